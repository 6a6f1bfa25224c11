/* Management API v2 (vehicle connections) and the compatibility API.
 *
 *   GET|DELETE /v2.0/management/connections   Basic default:<AMT>
 *   GET        /v2.0/compatibility            Basic client_id:client_secret
 *   GET        /v2.0/compatibility/matrix     Basic client_id:client_secret
 *
 * Connections live here, guarded by the state lock: Connect records one
 * per granted vehicle when an owner approves (emu_connections_add), and
 * deleting one ends every grant's access to that vehicle
 * (emu_connection_revoke), so the tokens of that user lose it. */
#include "emu.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MGMT_LIMIT_DEFAULT 10
#define MGMT_LIMIT_MAX 100

static const char auth_desc[] =
    "The authorization header is missing or malformed, or it contains "
    "invalid or expired authentication credentials. Please check for "
    "missing parameters, spelling and casing mistakes, and other syntax "
    "issues.";

/* ------------------------------------------------------------ connections */

typedef struct conn {
  char user_id[37];
  char vehicle_id[37];
  char mode[12];
  int64_t connected_ms;
  uint64_t seq; /* insertion order: breaks ties between equal times */
} conn;

static conn *conns;        /* guarded by the state lock */
static size_t n_conns, cap_conns;
static uint64_t next_seq = 1;

/* Management API v3 subscriptions (webhook, user, vehicle). */
typedef struct sub3 {
  char id[37], webhook_id[64], user_id[64], vehicle_id[64];
} sub3;
static sub3 *subs;
static size_t n_subs, cap_subs;

static conn *conn_find(const char *user_id, const char *vehicle_id) {
  for (size_t i = 0; i < n_conns; i++)
    if (emu_strcaseeq(conns[i].user_id, user_id) &&
        emu_strcaseeq(conns[i].vehicle_id, vehicle_id))
      return &conns[i];
  return NULL;
}

void emu_connections_add(const emu_user *u, unsigned mask, const char *mode) {
  if (!mode || (strcmp(mode, "test") != 0 && strcmp(mode, "simulated") != 0))
    mode = "live";
  int64_t now = emu_now_ms();
  for (int i = 0; i < u->n_vehicles; i++) {
    if (!(mask & (1u << i))) continue;
    const emu_vehicle *v = &u->vehicles[i];
    /* A vehicle already connected for this user keeps its connection
     * (and its original date); a re-approval does not create another. */
    if (conn_find(u->id, v->id)) continue;
    if (n_conns == cap_conns) {
      cap_conns = cap_conns ? cap_conns * 2 : 16;
      conns = emu_xrealloc(conns, cap_conns * sizeof *conns);
    }
    conn *c = &conns[n_conns++];
    memset(c, 0, sizeof *c);
    memcpy(c->user_id, u->id, sizeof c->user_id);
    memcpy(c->vehicle_id, v->id, sizeof c->vehicle_id);
    snprintf(c->mode, sizeof c->mode, "%s", mode);
    c->connected_ms = now;
    c->seq = next_seq++;
  }
}

void emu_connections_remove(const char *user_id, const char *vehicle_id) {
  size_t o = 0;
  for (size_t i = 0; i < n_conns; i++) {
    if (emu_strcaseeq(conns[i].user_id, user_id) &&
        emu_strcaseeq(conns[i].vehicle_id, vehicle_id))
      continue;
    conns[o++] = conns[i];
  }
  n_conns = o;
}

const char *emu_connection_mode(const char *user_id, const char *vehicle_id) {
  const conn *c = conn_find(user_id, vehicle_id);
  return c ? c->mode : NULL;
}

void emu_management_reset(void) {
  emu_lock();
  free(conns);
  conns = NULL;
  n_conns = cap_conns = 0;
  next_seq = 1;
  free(subs);
  subs = NULL;
  n_subs = cap_subs = 0;
  emu_unlock();
}

/* Ends the access of every grant to the connection's vehicle (state.c
 * does the work: the vehicle leaves the grants' vehicle sets). Lock held. */
static void conn_revoke(const conn *c) {
  emu_user *owner = NULL;
  int index = -1;
  if (emu_vehicle_find(c->vehicle_id, &owner, &index) && owner &&
      emu_strcaseeq(owner->id, c->user_id))
    emu_connection_revoke(owner, index);
}

/* Newest first; equal dates: the later insertion first. */
static int conn_cmp(const void *a, const void *b) {
  const conn *x = a, *y = b;
  if (x->connected_ms != y->connected_ms)
    return x->connected_ms > y->connected_ms ? -1 : 1;
  return x->seq > y->seq ? -1 : x->seq < y->seq ? 1 : 0;
}

/* ------------------------------------------------------------ API v3 */

static void conn_v3_id(const conn *c, char out[37]) {
  emu_uuid_derive(out, c->seq, c->user_id, c->vehicle_id);
}

static cJSON *conn_v3_json(const conn *c) {
  char id[37], at[32];
  conn_v3_id(c, id);
  emu_iso8601(at, c->connected_ms);
  cJSON *o = emu_jsonapi_resource(id, "connection", NULL);
  cJSON *rel = cJSON_AddObjectToObject(o, "relationships");
  cJSON_AddItemToObject(cJSON_AddObjectToObject(rel, "vehicle"), "data",
                        emu_jsonapi_resource(c->vehicle_id, "vehicle", NULL));
  cJSON_AddItemToObject(cJSON_AddObjectToObject(rel, "user"), "data",
                        emu_jsonapi_resource(c->user_id, "user", NULL));
  cJSON *a = cJSON_AddObjectToObject(o, "attributes");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "vehicle"), "mode",
                          c->mode);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "meta"), "createdAt",
                          at);
  return o;
}

cJSON *emu_v3_connections_page(const char *user_id, long page, long size) {
  conn *sorted = emu_xmalloc((n_conns ? n_conns : 1) * sizeof *sorted);
  size_t n = 0;
  for (size_t i = 0; i < n_conns; i++)
    if (!user_id || emu_strcaseeq(conns[i].user_id, user_id))
      sorted[n++] = conns[i];
  qsort(sorted, n, sizeof *sorted, conn_cmp);
  cJSON *doc = cJSON_CreateObject();
  cJSON *data = cJSON_AddArrayToObject(doc, "data");
  size_t first = (size_t)(page - 1) * (size_t)size, got = 0;
  for (size_t i = first; i < n && got < (size_t)size; i++, got++)
    cJSON_AddItemToArray(data, conn_v3_json(&sorted[i]));
  free(sorted);
  cJSON *meta = cJSON_AddObjectToObject(doc, "meta");
  cJSON_AddNumberToObject(meta, "pageNumber", (double)page);
  cJSON_AddNumberToObject(meta, "pageSize", (double)got);
  cJSON_AddNumberToObject(meta, "totalCount", (double)n);
  cJSON *links = cJSON_AddObjectToObject(doc, "links");
  if (first + got < n) {
    char next[96];
    snprintf(next, sizeof next, "/v3/connections?page[number]=%ld"
             "&page[size]=%ld", page + 1, size);
    cJSON_AddStringToObject(links, "next", next);
  } else {
    cJSON_AddNullToObject(links, "next");
  }
  return doc;
}

cJSON *emu_v3_connection(const char *id, int del) {
  char cid[37];
  for (size_t i = 0; i < n_conns; i++) {
    conn_v3_id(&conns[i], cid);
    if (!emu_strcaseeq(cid, id)) continue;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "data", conn_v3_json(&conns[i]));
    if (del) {
      conn c = conns[i];
      conn_revoke(&c);
      emu_connections_remove(c.user_id, c.vehicle_id);
    }
    return doc;
  }
  return NULL;
}

int emu_v3_delete_user(const char *user_id) {
  int known = 0;
  for (emu_user *u = emu_users(); u && !known; u = u->next)
    known = emu_strcaseeq(u->id, user_id);
  if (!known) return -1;
  size_t i = 0;
  while (i < n_conns) {
    if (!emu_strcaseeq(conns[i].user_id, user_id)) {
      i++;
      continue;
    }
    conn c = conns[i];
    conn_revoke(&c);
    emu_connections_remove(c.user_id, c.vehicle_id);
  }
  size_t o = 0; /* and the user's v3 subscriptions */
  for (size_t k = 0; k < n_subs; k++)
    if (!emu_strcaseeq(subs[k].user_id, user_id)) subs[o++] = subs[k];
  n_subs = o;
  return 0;
}

static cJSON *sub3_json(const sub3 *x) {
  cJSON *o = emu_jsonapi_resource(x->id, "subscription", NULL);
  cJSON *rel = cJSON_AddObjectToObject(o, "relationships");
  const char *kinds[] = {"webhook", "user", "vehicle"};
  const char *ids[] = {x->webhook_id, x->user_id, x->vehicle_id};
  for (int i = 0; i < 3; i++)
    cJSON_AddItemToObject(cJSON_AddObjectToObject(rel, kinds[i]), "data",
                          emu_jsonapi_resource(ids[i], kinds[i], NULL));
  return o;
}

int emu_v3_subscribe(const char *webhook_id, const char *user_id,
                     const char *vehicle_id) {
  if (strlen(webhook_id) >= 64 || strlen(user_id) >= 64 ||
      strlen(vehicle_id) >= 64)
    return -1;
  for (size_t i = 0; i < n_subs; i++)
    if (!strcmp(subs[i].webhook_id, webhook_id) &&
        !strcmp(subs[i].user_id, user_id) &&
        !strcmp(subs[i].vehicle_id, vehicle_id))
      return 1;
  if (n_subs == cap_subs) {
    cap_subs = cap_subs ? cap_subs * 2 : 8;
    subs = emu_xrealloc(subs, cap_subs * sizeof *subs);
  }
  sub3 *x = &subs[n_subs++];
  memset(x, 0, sizeof *x);
  emu_uuid_random(x->id);
  snprintf(x->webhook_id, sizeof x->webhook_id, "%s", webhook_id);
  snprintf(x->user_id, sizeof x->user_id, "%s", user_id);
  snprintf(x->vehicle_id, sizeof x->vehicle_id, "%s", vehicle_id);
  emu_webhooks_v3_subscribed(x->webhook_id, x->vehicle_id);
  return 0;
}

cJSON *emu_v3_subscriptions(const char *webhook_id) {
  cJSON *doc = cJSON_CreateObject();
  cJSON *data = cJSON_AddArrayToObject(doc, "data");
  for (size_t i = 0; i < n_subs; i++)
    if (!webhook_id || !strcmp(subs[i].webhook_id, webhook_id))
      cJSON_AddItemToArray(data, sub3_json(&subs[i]));
  cJSON *meta = cJSON_AddObjectToObject(doc, "meta");
  cJSON_AddNumberToObject(meta, "pageNumber", 1);
  cJSON_AddNumberToObject(meta, "pageSize", cJSON_GetArraySize(data));
  cJSON_AddNumberToObject(meta, "totalCount", cJSON_GetArraySize(data));
  cJSON_AddNullToObject(cJSON_AddObjectToObject(doc, "links"), "next");
  return doc;
}

int emu_v3_unsubscribe(const char *id) {
  for (size_t i = 0; i < n_subs; i++)
    if (emu_strcaseeq(subs[i].id, id)) {
      emu_webhooks_v3_unsubscribed(subs[i].webhook_id, subs[i].vehicle_id);
      subs[i] = subs[--n_subs];
      return 0;
    }
  return -1;
}

/* ------------------------------------------------------------ auth */

static enum MHD_Result unauthorized(emu_req *r) {
  return emu_respond_error(r, MHD_HTTP_UNAUTHORIZED, "AUTHENTICATION", NULL,
                           auth_desc, NULL);
}

/* ------------------------------------------------------------ GET/DELETE */

static int parse_limit(const char *s, long *out) {
  if (!s || !*s || strlen(s) > 6) return -1;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p)) return -1;
  *out = strtol(s, NULL, 10);
  return 0;
}

/* Cursor: opaque to clients; "<ms hex>.<seq hex>" of the first connection
 * of the next page, which is where that page starts (inclusive). */
static void cursor_make(char out[48], const conn *c) {
  snprintf(out, 48, "%llx.%llx", (unsigned long long)c->connected_ms,
           (unsigned long long)c->seq);
}

static int cursor_parse(const char *s, conn *key) {
  char *end;
  errno = 0;
  if (!isxdigit((unsigned char)*s)) return -1;
  unsigned long long ms = strtoull(s, &end, 16);
  if (errno || *end != '.' || !isxdigit((unsigned char)end[1])) return -1;
  unsigned long long seq = strtoull(end + 1, &end, 16);
  if (errno || *end) return -1;
  key->connected_ms = (int64_t)ms;
  key->seq = seq;
  return 0;
}

static int valid_mode(const char *m) {
  return strcmp(m, "live") == 0 || strcmp(m, "test") == 0 ||
         strcmp(m, "simulated") == 0;
}

static int matches(const conn *c, const char *user_id, const char *vehicle_id,
                   const char *mode) {
  return (!user_id || emu_strcaseeq(c->user_id, user_id)) &&
         (!vehicle_id || emu_strcaseeq(c->vehicle_id, vehicle_id)) &&
         (!mode || strcmp(c->mode, mode) == 0);
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

static enum MHD_Result connections_get(emu_req *r) {
  const char *user_id = nonempty(emu_kv_get(&r->query, "user_id"));
  const char *vehicle_id = nonempty(emu_kv_get(&r->query, "vehicle_id"));
  const char *mode = nonempty(emu_kv_get(&r->query, "mode"));
  const char *ls = emu_kv_get(&r->query, "limit");
  const char *cs = nonempty(emu_kv_get(&r->query, "cursor"));
  long limit = MGMT_LIMIT_DEFAULT;
  if (ls && (parse_limit(ls, &limit) != 0 || limit < 1 ||
             limit > MGMT_LIMIT_MAX))
    return emu_respond_validation(r, "PARAMETER", "limit",
                                  "limit must be an integer between 1 and "
                                  "100.");
  conn key;
  memset(&key, 0, sizeof key);
  if (cs && cursor_parse(cs, &key) != 0)
    return emu_respond_validation(r, "PARAMETER", "cursor",
                                  "cursor is not a cursor returned by this "
                                  "API.");
  if (mode && !valid_mode(mode))
    return emu_respond_validation(r, "PARAMETER", "mode",
                                  "mode must be one of: live, test, "
                                  "simulated.");

  emu_lock();
  conn *sorted = emu_xmalloc((n_conns ? n_conns : 1) * sizeof *sorted);
  size_t n = 0;
  for (size_t i = 0; i < n_conns; i++)
    if (matches(&conns[i], user_id, vehicle_id, mode)) sorted[n++] = conns[i];
  emu_unlock();
  qsort(sorted, n, sizeof *sorted, conn_cmp);

  size_t start = 0;
  if (cs)
    while (start < n && conn_cmp(&sorted[start], &key) < 0) start++;
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(o, "connections");
  size_t i = start;
  for (; i < n && i < start + (size_t)limit; i++) {
    char when[32];
    emu_iso8601(when, sorted[i].connected_ms);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "vehicleId", sorted[i].vehicle_id);
    cJSON_AddStringToObject(c, "userId", sorted[i].user_id);
    cJSON_AddStringToObject(c, "connectedAt", when);
    cJSON_AddStringToObject(c, "mode", sorted[i].mode);
    cJSON_AddItemToArray(a, c);
  }
  cJSON *p = cJSON_AddObjectToObject(o, "paging");
  if (i < n) {
    char next[48];
    cursor_make(next, &sorted[i]);
    cJSON_AddStringToObject(p, "cursor", next);
  } else {
    cJSON_AddNullToObject(p, "cursor");
  }
  free(sorted);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result connections_delete(emu_req *r) {
  const char *user_id = nonempty(emu_kv_get(&r->query, "user_id"));
  const char *vehicle_id = nonempty(emu_kv_get(&r->query, "vehicle_id"));
  if (!user_id && !vehicle_id)
    return emu_respond_validation(r, "PARAMETER", "vehicle_id",
                                  "Either vehicle_id or user_id is "
                                  "required.");
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(o, "connections");
  emu_lock();
  /* Take the matches out first: revoking may call back into
   * emu_connections_remove, which must then find nothing to do. */
  conn *gone = emu_xmalloc((n_conns ? n_conns : 1) * sizeof *gone);
  size_t keep = 0, n_gone = 0;
  for (size_t i = 0; i < n_conns; i++) {
    if (matches(&conns[i], user_id, vehicle_id, NULL))
      gone[n_gone++] = conns[i];
    else
      conns[keep++] = conns[i];
  }
  n_conns = keep;
  for (size_t i = 0; i < n_gone; i++) conn_revoke(&gone[i]);
  emu_unlock();
  qsort(gone, n_gone, sizeof *gone, conn_cmp);
  for (size_t i = 0; i < n_gone; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "vehicleId", gone[i].vehicle_id);
    cJSON_AddStringToObject(e, "userId", gone[i].user_id);
    cJSON_AddItemToArray(a, e);
  }
  free(gone);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

/* rest: the path after /v<version>. */
int emu_management_route(emu_req *r, const char *rest, enum MHD_Result *ret) {
  if (strcmp(rest, "/management/connections") != 0) return 0;
  int get = emu_method_is(r, "GET"), del = emu_method_is(r, "DELETE");
  if (!get && !del) return 0; /* the Vehicle API answers 404 */
  if (!emu_auth_basic_is(r, "default", emu_cfg.management_token))
    *ret = unauthorized(r);
  else
    *ret = get ? connections_get(r) : connections_delete(r);
  return 1;
}

/* ---------------------------------------------------------- compatibility */

typedef enum { K_BEV, K_PHEV, K_ICE, K_ALL } kind;

/* What each permission reads or controls, and which vehicle kinds can do
 * it (the emulator fleet: BEV, PHEV, ICE). SMARTCAR_NOT_CAPABLE marks
 * endpoints Smartcar itself does not offer for that kind. */
typedef struct capability {
  const char *permission, *endpoint;
  const char *bev, *phev, *ice; /* NULL = capable, else the reason */
  const char *name;             /* the matrix's endpoint name */
} capability;

#define VNC "VEHICLE_NOT_CAPABLE"
#define SNC "SMARTCAR_NOT_CAPABLE"
static const capability capabilities[] = {
    {"read_vehicle_info", "/", NULL, NULL, NULL,
     "Vehicle info"},
    {"read_vin", "/vin", NULL, NULL, NULL,
     "VIN"},
    {"read_odometer", "/odometer", NULL, NULL, NULL,
     "Odometer"},
    {"read_location", "/location", NULL, NULL, NULL,
     "Location"},
    {"read_fuel", "/fuel", VNC, NULL, NULL,
     "Fuel tank"},
    {"read_battery", "/battery", NULL, NULL, VNC,
     "EV battery"},
    {"read_battery", "/battery/capacity", NULL, NULL, VNC,
     "EV battery"},
    {"read_battery", "/battery/nominal_capacity", NULL, NULL, VNC,
     "EV battery"},
    {"read_charge", "/charge", NULL, NULL, VNC,
     "EV charging status"},
    {"read_charge", "/charge/limit", NULL, NULL, VNC,
     "EV charging status"},
    {"control_charge", "/charge", NULL, NULL, VNC,
     "EV start & stop charge"},
    {"control_charge", "/charge/limit", NULL, NULL, VNC,
     "EV charge limit"},
    {"read_engine_oil", "/engine/oil", VNC, NULL, NULL,
     "Engine oil life"},
    {"read_tires", "/tires/pressure", NULL, NULL, NULL,
     "Tire pressure"},
    {"read_security", "/security", NULL, NULL, NULL,
     "Lock status"},
    {"control_security", "/security", NULL, NULL, NULL,
     "Lock & unlock"},
    {"control_navigation", "/navigation/destination", NULL, NULL, SNC,
     "Navigation"},
    {"read_service_history", "/service/history", SNC, NULL, NULL,
     "Service history"},
    {"read_diagnostics", "/diagnostics/system_status", NULL, NULL, NULL,
     "Diagnostics"},
    {"read_diagnostics", "/diagnostics/dtcs", NULL, NULL, NULL,
     "Diagnostics"},
};
#define N_CAPS (sizeof capabilities / sizeof *capabilities)

/* Other permissions Smartcar knows: accepted, never capable here. */
static const char *const other_permissions[] = {
    "read_alerts",        "read_charge_locations", "read_charge_records",
    "read_charge_events", "read_climate",          "read_compass",
    "read_extended_vehicle_info", "read_speedometer", "read_thermometer",
    "read_user_profile",  "control_climate",       "control_trunk",
    "control_pin",
};

static int known_permission(const char *p) {
  for (size_t i = 0; i < N_CAPS; i++)
    if (strcmp(capabilities[i].permission, p) == 0) return 1;
  for (size_t i = 0; i < sizeof other_permissions / sizeof *other_permissions;
       i++)
    if (strcmp(other_permissions[i], p) == 0) return 1;
  return 0;
}

static const char *const test_levels[] = {"compatible", "phev",
                                          "incompatible", "fuel",
                                          "dinosaur",   "bev"};

/* Letters and digits: real VINs have no I, O or Q, but Smartcar's test
 * VINs do (0SCAUDI012FE3B132). */
static int vin_char_ok(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* Splits a space separated list into words (callers free with free_words). */
static char **split_words(const char *s, size_t *n_out) {
  size_t n = 0, cap = 4;
  char **v = emu_xmalloc(cap * sizeof *v);
  while (s && *s) {
    while (*s == ' ' || *s == ',') s++;
    const char *e = s;
    while (*e && *e != ' ' && *e != ',') e++;
    if (e > s) {
      if (n == cap) v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
      v[n++] = emu_strndup(s, (size_t)(e - s));
    }
    s = e;
  }
  *n_out = n;
  return v;
}

static void free_words(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

static kind kind_of(emu_engine e) {
  return e == EMU_BEV ? K_BEV : e == EMU_PHEV ? K_PHEV : K_ICE;
}

static const char *reason_for(const capability *c, kind k) {
  switch (k) {
  case K_BEV: return c->bev;
  case K_PHEV: return c->phev;
  case K_ICE: return c->ice;
  default: return NULL;
  }
}

/* Live and simulated: the make from the VIN's manufacturer code, then its
 * model year against the make's first compatible year (makes.c). The kind:
 * a test model's, if the VIN has its prefix; else BEV for a make of
 * electric cars only, else ICE. NULL when compatible, else the reason. */
static const char *vin_decide(const char *vin, kind *k) {
  const emu_model *model;
  const emu_make *mk = emu_vin_make(vin, &model);
  if (!mk) return "MAKE_NOT_COMPATIBLE";
  if (emu_vin_model_year(vin) < mk->first_year) return "VEHICLE_NOT_COMPATIBLE";
  if (model) {
    *k = kind_of(model->engine);
    return NULL;
  }
  *k = K_BEV;
  for (size_t i = 0; i < emu_make_models(mk); i++)
    if (mk->models[i].engine != EMU_BEV) *k = K_ICE;
  return NULL;
}

static enum MHD_Result compatibility(emu_req *r) {
  const char *vin = nonempty(emu_kv_get(&r->query, "vin"));
  const char *scope = nonempty(emu_kv_get(&r->query, "scope"));
  const char *country = nonempty(emu_kv_get(&r->query, "country"));
  const char *mode = nonempty(emu_kv_get(&r->query, "mode"));
  const char *level = emu_kv_get(&r->query, "test_mode_compatibility_level");
  if (!vin)
    return emu_respond_validation(r, NULL, "vin", "Field is required.");
  if (!scope)
    return emu_respond_validation(r, NULL, "scope", "Field is required.");
  if (country && (strlen(country) != 2 || !isalpha((unsigned char)country[0]) ||
                  !isalpha((unsigned char)country[1])))
    return emu_respond_validation(r, NULL, "country",
                                  "Field must be an ISO 3166-1 alpha-2 "
                                  "country code.");
  if (mode && !valid_mode(mode))
    return emu_respond_validation(r, NULL, "mode",
                                  "Field must be one of: "
                                  "[test,live,simulated]");
  int lvl = -1;
  if (mode && strcmp(mode, "test") == 0) {
    for (size_t i = 0; level && i < sizeof test_levels / sizeof *test_levels;
         i++)
      if (strcmp(level, test_levels[i]) == 0) lvl = (int)i;
    if (lvl < 0)
      return emu_respond_validation(
          r, NULL, "test_mode_compatibility_level",
          "Field must be one of: "
          "[compatible,phev,incompatible,fuel,dinosaur,bev]");
  }
  size_t n_perm;
  char **perms = split_words(scope, &n_perm);
  for (size_t i = 0; i < n_perm; i++) {
    if (!known_permission(perms[i])) {
      emu_buf m = {0};
      emu_buf_printf(&m, "Unknown permission: %s.", perms[i]);
      free_words(perms, n_perm);
      enum MHD_Result ret =
          emu_respond_validation(r, "PARAMETER", "scope", m.p);
      emu_buf_free(&m);
      return ret;
    }
  }

  /* Decide the vehicle: a test level, or the VIN in live/simulated mode. */
  const char *top_reason = NULL;
  kind k = K_ALL;
  if (lvl >= 0) {
    const char *l = test_levels[lvl];
    if (strcmp(l, "compatible") == 0) k = K_ALL;
    else if (strcmp(l, "phev") == 0) k = K_PHEV;
    else if (strcmp(l, "bev") == 0) k = K_BEV;
    else if (strcmp(l, "fuel") == 0) k = K_ICE;
    else if (strcmp(l, "incompatible") == 0) top_reason = "MAKE_NOT_COMPATIBLE";
    else top_reason = "VEHICLE_NOT_COMPATIBLE"; /* dinosaur: too old */
  } else {
    char up[18];
    size_t len = strlen(vin);
    int ok = len == 17;
    for (size_t i = 0; ok && i < 17; i++) {
      up[i] = (char)toupper((unsigned char)vin[i]);
      ok = vin_char_ok(up[i]);
    }
    if (!ok) {
      free_words(perms, n_perm);
      return emu_respond_validation(r, NULL, "vin",
                                    "Field must be a 17 character VIN.");
    }
    up[17] = '\0';
    top_reason = vin_decide(up, &k);
  }

  cJSON *o = cJSON_CreateObject();
  cJSON_AddBoolToObject(o, "compatible", top_reason == NULL);
  emu_json_str_or_null(o, "reason", top_reason);
  cJSON *caps = cJSON_AddArrayToObject(o, "capabilities");
  for (size_t i = 0; !top_reason && i < n_perm; i++) {
    int any = 0;
    for (size_t j = 0; j < N_CAPS; j++) {
      const capability *c = &capabilities[j];
      if (strcmp(c->permission, perms[i]) != 0) continue;
      const char *why = reason_for(c, k);
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "permission", c->permission);
      cJSON_AddStringToObject(e, "endpoint", c->endpoint);
      cJSON_AddBoolToObject(e, "capable", why == NULL);
      emu_json_str_or_null(e, "reason", why);
      cJSON_AddItemToArray(caps, e);
      any = 1;
    }
    if (!any) { /* a known permission with no v2 endpoint */
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "permission", perms[i]);
      cJSON_AddNullToObject(e, "endpoint");
      cJSON_AddBoolToObject(e, "capable", 0);
      cJSON_AddStringToObject(e, "reason", SNC);
      cJSON_AddItemToArray(caps, e);
    }
  }
  free_words(perms, n_perm);
  if (strncmp(r->path, "/v1.", 4) == 0) { /* v1.0 shape: {"compatible"} */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "reason");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "capabilities");
  }
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

/* ------------------------------------------------------------ matrix */

/* The last model year the matrix lists. */
#define MATRIX_END_YEAR 2026

/* The permissions (space separated, each once) or endpoint names (';'
 * separated, each once) a vehicle of kind k can use. */
static char *kind_capabilities(kind k, int names) {
  emu_buf b = {0};
  for (size_t i = 0; i < N_CAPS; i++) {
    const char *v = names ? capabilities[i].name : capabilities[i].permission;
    if (reason_for(&capabilities[i], k)) continue;
    int seen = 0;
    for (size_t j = 0; j < i; j++)
      if (!reason_for(&capabilities[j], k) &&
          strcmp(names ? capabilities[j].name : capabilities[j].permission,
                 v) == 0)
        seen = 1;
    if (seen) continue;
    if (b.len) emu_buf_puts(&b, names ? ";" : " ");
    emu_buf_puts(&b, v);
  }
  return emu_buf_take(&b);
}

static int word_in(const char *list, const char *word) {
  size_t wl = strlen(word);
  const char *p = list;
  while (*p) {
    while (*p == ' ') p++;
    const char *e = p;
    while (*e && *e != ' ') e++;
    if ((size_t)(e - p) == wl && strncasecmp(p, word, wl) == 0) return 1;
    p = e;
  }
  return 0;
}

/* One row {model, startYear, endYear, type, endpoints, permissions} under
 * o[make]. */
static void matrix_row(cJSON *o, const char *make, const emu_model *m,
                       const char *type, const char *perms) {
  cJSON *list = cJSON_GetObjectItemCaseSensitive(o, make);
  if (!list) list = cJSON_AddArrayToObject(o, make);
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "model", m->model);
  cJSON_AddNumberToObject(e, "startYear", m->start_year);
  cJSON_AddNumberToObject(e, "endYear", MATRIX_END_YEAR);
  cJSON_AddStringToObject(e, "type", type);
  cJSON *eps = cJSON_AddArrayToObject(e, "endpoints");
  char *names = kind_capabilities(kind_of(m->engine), 1);
  for (const char *p = names; *p;) {
    const char *semi = strchr(p, ';');
    size_t len = semi ? (size_t)(semi - p) : strlen(p);
    char *name = emu_strndup(p, len);
    cJSON_AddItemToArray(eps, cJSON_CreateString(name));
    free(name);
    p += len + (semi ? 1 : 0);
  }
  free(names);
  cJSON *ps = cJSON_AddArrayToObject(e, "permissions");
  size_t np;
  char **pv = split_words(perms, &np);
  for (size_t j = 0; j < np; j++)
    cJSON_AddItemToArray(ps, cJSON_CreateString(pv[j]));
  free_words(pv, np);
  cJSON_AddItemToArray(list, e);
}

static enum MHD_Result compatibility_matrix(emu_req *r) {
  const char *region = nonempty(emu_kv_get(&r->query, "region"));
  const char *make = nonempty(emu_kv_get(&r->query, "make"));
  const char *type_q = nonempty(emu_kv_get(&r->query, "type"));
  const char *scope = nonempty(emu_kv_get(&r->query, "scope"));
  const char *mode = nonempty(emu_kv_get(&r->query, "mode"));
  if (!region || !(strcasecmp(region, "US") == 0 ||
                   strcasecmp(region, "CA") == 0 ||
                   strcasecmp(region, "EUROPE") == 0))
    return emu_respond_validation(r, NULL, "region",
                                  "Field must be one of: [US,CA,EUROPE]");
  if (type_q &&
      !(strcasecmp(type_q, "ICE") == 0 || strcasecmp(type_q, "HEV") == 0 ||
        strcasecmp(type_q, "PHEV") == 0 || strcasecmp(type_q, "BEV") == 0))
    return emu_respond_validation(r, NULL, "type",
                                  "Field must be one of: [ICE,HEV,PHEV,BEV]");
  if (mode && !valid_mode(mode))
    return emu_respond_validation(r, NULL, "mode",
                                  "Field must be one of: "
                                  "[test,live,simulated]");
  size_t n_makes = 0, n_scope = 0;
  char **makes = make ? split_words(make, &n_makes) : NULL;
  char **scopes = scope ? split_words(scope, &n_scope) : NULL;
  cJSON *o = cJSON_CreateObject();
  size_t n_table;
  const emu_make *table = emu_makes(&n_table);
  for (size_t i = 0; i < n_table; i++) {
    const emu_make *mk = &table[i];
    if (!word_in(mk->regions, region)) continue;
    int ok = !makes;
    for (size_t j = 0; makes && j < n_makes; j++)
      ok |= strcasecmp(makes[j], mk->id) == 0;
    for (size_t mi = 0; ok && mi < emu_make_models(mk); mi++) {
      const emu_model *m = &mk->models[mi];
      const char *type = emu_engine_name(m->engine);
      if (type_q && strcasecmp(type_q, type) != 0) continue;
      char *perms = kind_capabilities(kind_of(m->engine), 0);
      int has = 1;
      for (size_t j = 0; j < n_scope; j++)
        has = has && word_in(perms, scopes[j]);
      if (has) matrix_row(o, mk->id, m, type, perms);
      free(perms);
    }
  }
  if (makes) free_words(makes, n_makes);
  if (scopes) free_words(scopes, n_scope);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

int emu_compatibility_route(emu_req *r, const char *rest,
                            enum MHD_Result *ret) {
  int is_matrix = strcmp(rest, "/compatibility/matrix") == 0;
  if (!is_matrix && strcmp(rest, "/compatibility") != 0) return 0;
  if (!emu_method_is(r, "GET")) return 0;
  if (!emu_auth_basic_is(r, emu_cfg.client_id, emu_cfg.client_secret))
    *ret = unauthorized(r);
  else
    *ret = is_matrix ? compatibility_matrix(r) : compatibility(r);
  return 1;
}
