/* Vehicle API v1.0/v2.0 (any well-formed /v<major>.<minor>). */
#include "emu.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KM_PER_MILE 1.609344

static const char auth_desc[] =
    "The authorization header is missing or malformed, or it contains "
    "invalid or expired authentication credentials. Please check for "
    "missing parameters, spelling and casing mistakes, and other syntax "
    "issues.";
static const char perm_desc[] =
    "Your application has insufficient permissions to access the requested "
    "resource. Please prompt the user to re-authenticate using Smartcar "
    "Connect.";

/* Everything a handler needs, gathered under the lock. */
typedef struct call {
  emu_req *r;
  const emu_grant *g;
  const emu_vehicle *v;
  int imperial;
  long limit, offset;
} call;

/* What to send once the lock is released. */
typedef struct outcome {
  unsigned status;
  const char *type, *code, *desc; /* error when type != NULL */
  const char *field, *msg;        /* validation detail */
  cJSON *body;
  int data_read;
  const char *unit; /* SC-Unit-System value for data reads */
  int not_found;    /* unknown path: 404 PATH */
} outcome;

static void fail(outcome *o, unsigned status, const char *type,
                 const char *code, const char *desc) {
  o->status = status;
  o->type = type;
  o->code = code;
  o->desc = desc;
}

static void fail_validation(outcome *o, const char *code, const char *field,
                            const char *msg) {
  fail(o, MHD_HTTP_BAD_REQUEST, "VALIDATION", code, NULL);
  o->field = field;
  o->msg = msg;
}

/* ------------------------------------------------------------ endpoints */

static cJSON *attributes(call *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", c->v->id);
  cJSON_AddStringToObject(o, "make", c->v->make);
  cJSON_AddStringToObject(o, "model", c->v->model);
  cJSON_AddNumberToObject(o, "year", c->v->year);
  return o;
}

static cJSON *vin(call *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "vin", c->v->vin);
  return o;
}

static cJSON *odometer(call *c) {
  double d = c->v->odometer_km;
  if (c->imperial) d = round(d / KM_PER_MILE * 1000.0) / 1000.0;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "distance", d);
  return o;
}

static cJSON *paging(long count, long offset) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "count", (double)count);
  cJSON_AddNumberToObject(p, "offset", (double)offset);
  return p;
}

static cJSON *permissions(call *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(o, "permissions");
  long n = (long)c->g->n_scopes;
  for (long i = c->offset; i < n && i < c->offset + c->limit; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(c->g->scopes[i]));
  cJSON_AddItemToObject(o, "paging", paging(n, c->offset));
  return o;
}

typedef struct endpoint {
  const char *method;
  const char *path; /* below /vehicles/{id}; "" is the vehicle itself */
  const char *scope; /* NULL: any valid token for the vehicle */
  int data_read;     /* sends SC-Data-Age, SC-Fetched-At, SC-Unit-System */
  long page_default; /* 0: not paged */
  cJSON *(*fn)(call *c);
} endpoint;

static const endpoint endpoints[] = {
    {"GET", "", "read_vehicle_info", 1, 0, attributes},
    {"GET", "/vin", "read_vin", 1, 0, vin},
    {"GET", "/odometer", "read_odometer", 1, 0, odometer},
    {"GET", "/permissions", NULL, 0, 25, permissions},
};

/* ------------------------------------------------------------ helpers */

static int well_formed_version(const char *s, size_t n) {
  size_t i = 0, a = 0, b = 0;
  while (i < n && isdigit((unsigned char)s[i])) i++, a++;
  if (i >= n || s[i] != '.') return 0;
  i++;
  while (i < n && isdigit((unsigned char)s[i])) i++, b++;
  return a > 0 && b > 0 && i == n;
}

static int parse_long(const char *s, long *out) {
  if (!s || !*s) return -1;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p)) return -1;
  errno = 0;
  long v = strtol(s, NULL, 10);
  if (errno) return -1;
  *out = v;
  return 0;
}

/* ?limit (1..50, default given) & ?offset (>= 0, default 0). */
static int parse_paging(emu_req *r, long def, long *limit, long *offset,
                        outcome *o) {
  const char *l = emu_kv_get(&r->query, "limit");
  const char *f = emu_kv_get(&r->query, "offset");
  *limit = def;
  *offset = 0;
  if (l && (parse_long(l, limit) != 0 || *limit < 1 || *limit > 50)) {
    fail_validation(o, "PARAMETER", "limit",
                    "limit must be an integer between 1 and 50.");
    return -1;
  }
  if (f && parse_long(f, offset) != 0) {
    fail_validation(o, "PARAMETER", "offset",
                    "offset must be a non-negative integer.");
    return -1;
  }
  return 0;
}

/* sc-unit-system: absent/metric -> 0, imperial -> 1, else -1. */
static int unit_system(emu_req *r) {
  const char *u = emu_header(r, "sc-unit-system");
  if (!u || emu_strcaseeq(u, "metric")) return 0;
  if (emu_strcaseeq(u, "imperial")) return 1;
  return -1;
}

/* Valid, unexpired access token from "Authorization: Bearer ...". Lock held. */
static const emu_grant *authenticate(emu_req *r) {
  const char *h = emu_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!h) return NULL;
  while (*h == ' ') h++;
  if (strncasecmp(h, "Bearer ", 7) != 0) return NULL;
  h += 7;
  while (*h == ' ') h++;
  size_t n = strlen(h);
  while (n && h[n - 1] == ' ') n--;
  char key[64];
  if (n == 0 || n >= sizeof key) return NULL;
  memcpy(key, h, n);
  key[n] = '\0';
  const emu_token *t = emu_token_find(EMU_TOK_ACCESS, key);
  if (!t || emu_now_ms() >= t->expires_ms) return NULL;
  return t->grant;
}

/* ------------------------------------------------------------ routing */

static void user(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "id", c->g->user->id);
  o->body = b;
}

static void vehicles(call *c, outcome *o) {
  long total = 0;
  cJSON *b = cJSON_CreateObject();
  cJSON *p = cJSON_CreateObject();
  cJSON_AddItemToObject(b, "paging", p);
  cJSON *a = cJSON_AddArrayToObject(b, "vehicles");
  for (int i = 0; i < EMU_FLEET_SIZE; i++) {
    if (!(c->g->vehicle_mask & (1u << i))) continue;
    if (total >= c->offset && total < c->offset + c->limit)
      cJSON_AddItemToArray(a, cJSON_CreateString(c->g->user->vehicles[i].id));
    total++;
  }
  cJSON_AddNumberToObject(p, "count", (double)total);
  cJSON_AddNumberToObject(p, "offset", (double)c->offset);
  o->body = b;
}

/* Route "rest" (the path after the version). Fills o. */
static void route(emu_req *r, const char *rest, outcome *o) {
  call c;
  memset(&c, 0, sizeof c);
  c.r = r;
  const endpoint *ep = NULL;
  char id[64] = "";
  enum { R_USER, R_VEHICLES, R_VEHICLE } kind;

  if (strcmp(rest, "/user") == 0 && emu_method_is(r, "GET")) {
    kind = R_USER;
  } else if (strcmp(rest, "/vehicles") == 0 && emu_method_is(r, "GET")) {
    kind = R_VEHICLES;
  } else if (strncmp(rest, "/vehicles/", 10) == 0) {
    const char *s = rest + 10, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    const char *sub = s + n;
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++)
      if (strcmp(endpoints[i].path, sub) == 0 &&
          emu_method_is(r, endpoints[i].method))
        ep = &endpoints[i];
    if (!ep || n == 0) {
      o->not_found = 1;
      return;
    }
    if (n >= sizeof id) n = sizeof id - 1;
    memcpy(id, s, n);
    id[n] = '\0';
    kind = R_VEHICLE;
  } else {
    o->not_found = 1;
    return;
  }

  o->status = MHD_HTTP_OK;
  emu_lock();
  c.g = authenticate(r);
  if (!c.g) {
    fail(o, MHD_HTTP_UNAUTHORIZED, "AUTHENTICATION", NULL, auth_desc);
  } else if (kind == R_USER) {
    user(&c, o);
  } else if (kind == R_VEHICLES) {
    if (parse_paging(r, 10, &c.limit, &c.offset, o) == 0) vehicles(&c, o);
  } else if (!emu_is_uuid(id)) {
    fail_validation(o, NULL, "vehicle_id", "vehicle id must be a UUID.");
  } else if (!(c.v = emu_grant_vehicle(c.g, id)) ||
             (ep->scope && !emu_grant_has_scope(c.g, ep->scope))) {
    fail(o, MHD_HTTP_FORBIDDEN, "PERMISSION", NULL, perm_desc);
  } else if ((c.imperial = unit_system(r)) < 0) {
    fail_validation(o, NULL, "sc-unit-system",
                    "sc-unit-system must be metric or imperial.");
  } else if (!ep->page_default ||
             parse_paging(r, ep->page_default, &c.limit, &c.offset, o) == 0) {
    o->body = ep->fn(&c);
    o->data_read = ep->data_read;
  }
  emu_unlock();
  o->unit = c.imperial ? "imperial" : "metric";
}

enum MHD_Result emu_api_handle(emu_req *r) {
  const char *v = r->path + 2; /* after "/v" */
  const char *slash = strchr(v, '/');
  size_t vlen = slash ? (size_t)(slash - v) : strlen(v);
  if (!well_formed_version(v, vlen))
    return emu_respond_error(r, MHD_HTTP_NOT_FOUND, "RESOURCE_NOT_FOUND",
                             "VERSION",
                             "The requested API version does not exist. "
                             "Please check the version in the URL.",
                             NULL);
  outcome o;
  memset(&o, 0, sizeof o);
  route(r, slash ? slash : "", &o);
  if (o.not_found) return emu_respond_not_found(r);
  if (o.type) {
    if (o.field) return emu_respond_validation(r, o.code, o.field, o.msg);
    return emu_respond_error(r, o.status, o.type, o.code, o.desc, NULL);
  }
  if (!o.data_read) return emu_respond_json(r, o.status, o.body, NULL, 0);
  char now[32];
  emu_iso8601(now, emu_now_ms());
  emu_hdr h[] = {{"SC-Data-Age", now},
                 {"SC-Fetched-At", now},
                 {"SC-Unit-System", o.unit}};
  return emu_respond_json(r, o.status, o.body, h, 3);
}
