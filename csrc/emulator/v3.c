/* Vehicle API v3 (read side): the vehicle resource and its signals, as
 * JSON:API documents, plus the v3 error body every /v3 path answers with.
 *
 *   GET /v3/vehicles/{id}                 the vehicle resource, top level
 *   GET /v3/vehicles/{id}/signals?page=&pageSize=
 *   GET /v3/vehicles/{id}/signals/{code}  the signal resource, top level
 *   POST /v3/vehicles/{id}/commands/..., POST|DELETE
 *        /v3/vehicles/{id}/charge-schedules/...: checked here, run by
 *        v3_commands.c (sync 200, or 202 and the body when they end)
 *
 * Auth: "Authorization: Bearer <token>", either a Connect access token
 * (token.c) that covers the vehicle, or an application token from
 * POST /oauth2/token (iam.c) together with "sc-user-id: <user id>" naming
 * the owner who connected the vehicle. Signals come from the same live
 * state as the v2 endpoints (vehicles.c), synced to the emulator clock. */
#include "emu.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KM_PER_MILE 1.609344
#define PAGE_SIZE_DEFAULT 25
#define PAGE_SIZE_MAX 100

enum { K_BEV = 1, K_PHEV = 2, K_ICE = 4, K_EV = K_BEV | K_PHEV,
       K_FUEL = K_PHEV | K_ICE, K_ALL = 7 };

/* ----------------------------------------------------------- error body */

int emu_path_is_v3(const char *path) {
  return path && strncmp(path, "/v3", 3) == 0 &&
         (path[3] == '\0' || path[3] == '/');
}

static const char *reason_phrase(unsigned status) {
  switch (status) {
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 409: return "Conflict";
  case 413: return "Payload Too Large";
  case 429: return "Too Many Requests";
  case 430: return "Billing Error";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  default: return status < 500 ? "Client Error" : "Server Error";
  }
}

/* The v2 body (errors.c: catalogue, docURL, resolution) reshaped into one
 * JSON:API error object: status as a string, title, detail (the first
 * detail entry's message for validation errors, else the description),
 * links.about. */
cJSON *emu_error_json_v3(emu_error *e, const char *request_id) {
  cJSON *v2 = emu_error_json(e, request_id);
  char status[8];
  snprintf(status, sizeof status, "%u", e->status);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(v2, "code");
  const cJSON *det = cJSON_GetArrayItem(
      cJSON_GetObjectItemCaseSensitive(v2, "detail"), 0);
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(det, "message");
  const cJSON *desc = cJSON_GetObjectItemCaseSensitive(v2, "description");

  cJSON *err = cJSON_CreateObject();
  cJSON_AddStringToObject(err, "status", status);
  cJSON_AddStringToObject(err, "type", e->type);
  if (cJSON_IsString(code))
    cJSON_AddStringToObject(err, "code", code->valuestring);
  else
    cJSON_AddNullToObject(err, "code");
  cJSON_AddStringToObject(err, "title", reason_phrase(e->status));
  cJSON_AddStringToObject(err, "detail", cJSON_IsString(msg) ? msg->valuestring
                                         : cJSON_IsString(desc)
                                             ? desc->valuestring
                                             : "An error occurred.");
  cJSON *links = cJSON_AddObjectToObject(err, "links");
  cJSON_AddStringToObject(
      links, "about",
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v2, "docURL")));
  cJSON_AddItemToObject(err, "resolution",
                        cJSON_DetachItemFromObjectCaseSensitive(v2,
                                                                "resolution"));
  cJSON_AddItemToObject(err, "suggestedUserMessage",
                        cJSON_DetachItemFromObjectCaseSensitive(
                            v2, "suggestedUserMessage"));
  cJSON_Delete(v2);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "errors"), err);
  return o;
}

/* -------------------------------------------------------------- context */

typedef struct ctx {
  emu_req *r;
  const emu_grant *g; /* Connect token; NULL for an application token */
  emu_user *owner;
  emu_vehicle *v;
  const char *mode;   /* the connection's: live, test or simulated */
  int imperial;
  int64_t now;
} ctx;

typedef struct outcome {
  int is_error;
  emu_error err;
  cJSON *body;
  int units; /* send SC-Unit-System */
  int imperial;
  emu_v3_exec *exec; /* a command (v3_commands.c) */
} outcome;

static void fail(outcome *o, const char *type, const char *code) {
  o->is_error = 1;
  o->err.type = type;
  o->err.code = code;
}

static void fail_msg(outcome *o, const char *type, const char *code,
                     const char *field, const char *msg) {
  fail(o, type, code);
  if (strcmp(type, "VALIDATION") == 0)
    o->err.detail = emu_error_detail(field, msg);
  else
    o->err.description = msg; /* a static string */
}

static double round_dec(double x, int decimals) {
  double p = pow(10.0, decimals);
  double v = round(x * p) / p;
  return v == 0 ? 0 : v; /* no -0 */
}

static unsigned kind_bit(const emu_vehicle *v) {
  return v->engine == EMU_BEV ? K_BEV : v->engine == EMU_PHEV ? K_PHEV : K_ICE;
}

/* ------------------------------------------------------------- signals */

static cJSON *unit_value(const char *unit, double value) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "unit", unit);
  cJSON_AddNumberToObject(b, "value", value);
  return b;
}

static cJSON *bool_value(int on) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddBoolToObject(b, "value", on != 0);
  return b;
}

static cJSON *b_active_limit(const ctx *c) {
  return unit_value("percent", round_dec(c->v->charge_limit * 100, 2));
}

static cJSON *b_amperage(const ctx *c) {
  return unit_value("amperes", c->v->plugged_in ? c->v->amperage : 0);
}

static cJSON *b_timers(const ctx *c) { return emu_v3_charge_timers(c->v); }

static cJSON *b_is_charging(const ctx *c) {
  return bool_value(strcmp(emu_vehicle_charge_state(c->v), "CHARGING") == 0);
}

static cJSON *b_cable(const ctx *c) { return bool_value(c->v->plugged_in); }

static cJSON *b_voltage(const ctx *c) {
  return unit_value("volts", emu_vehicle_voltage(c->v));
}

static cJSON *b_locked(const ctx *c) { return bool_value(c->v->locked); }

static cJSON *b_fuel(const ctx *c) {
  return unit_value("percent", round_dec(c->v->fuel * 100, 2));
}

static cJSON *b_location(const ctx *c) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "latitude", round_dec(c->v->latitude, 6));
  cJSON_AddNumberToObject(b, "longitude", round_dec(c->v->longitude, 6));
  return b;
}

static cJSON *b_odometer(const ctx *c) {
  double km = c->v->odometer_km;
  return c->imperial ? unit_value("miles", round_dec(km / KM_PER_MILE, 1))
                     : unit_value("kilometers", round_dec(km, 1));
}

static cJSON *b_soc(const ctx *c) {
  return unit_value("percent", round_dec(c->v->battery * 100, 2));
}

static cJSON *b_vin(const ctx *c) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "value", c->v->vin);
  return b;
}

typedef struct signal_def {
  const char *code, *group, *name;
  const char *scope; /* needed with a Connect token */
  unsigned kinds;    /* K_*: the vehicles that have it */
  cJSON *(*body)(const ctx *c);
} signal_def;

/* Every vehicle lists every row (sorted by code); a row its kind lacks is
 * an ERROR signal, so pages hold the same codes on every vehicle. */
static const signal_def signals[] = {
    {"charge-activelimit", "Charge", "ActiveLimit", "read_charge", K_EV,
     b_active_limit},
    {"charge-amperage", "Charge", "Amperage", "read_charge", K_EV,
     b_amperage},
    {"charge-chargetimers", "Charge", "ChargeTimers", "read_charge", K_EV,
     b_timers},
    {"charge-ischarging", "Charge", "IsCharging", "read_charge", K_EV,
     b_is_charging},
    {"charge-ischargingcableconnected", "Charge", "IsChargingCableConnected",
     "read_charge", K_EV, b_cable},
    {"charge-voltage", "Charge", "Voltage", "read_charge", K_EV, b_voltage},
    {"closure-islocked", "Closure", "IsLocked", "read_security", K_ALL,
     b_locked},
    {"internalcombustionengine-fuellevel", "InternalCombustionEngine",
     "FuelLevel", "read_fuel", K_FUEL, b_fuel},
    {"location-preciselocation", "Location", "PreciseLocation",
     "read_location", K_ALL, b_location},
    {"odometer-traveleddistance", "Odometer", "TraveledDistance",
     "read_odometer", K_ALL, b_odometer},
    {"tractionbattery-stateofcharge", "TractionBattery", "StateOfCharge",
     "read_battery", K_EV, b_soc},
    {"vehicleidentification-vin", "VehicleIdentification", "Vin", "read_vin",
     K_ALL, b_vin},
};

#define N_SIGNALS (sizeof signals / sizeof *signals)

static const signal_def *signal_find(const char *code) {
  for (size_t i = 0; i < N_SIGNALS; i++)
    if (strcasecmp(signals[i].code, code) == 0) return &signals[i];
  return NULL;
}

static void link_to(cJSON *links, const char *key, const char *vehicle_id,
                    const char *rest) {
  emu_buf b = {0};
  emu_buf_puts(&b, "/vehicles/");
  emu_buf_puts(&b, vehicle_id);
  if (rest) emu_buf_puts(&b, rest);
  cJSON_AddStringToObject(links, key, b.p);
  emu_buf_free(&b);
}

/* One signal resource. A signal the vehicle lacks, or (Connect tokens) one
 * whose permission was not granted, has status ERROR and no body. */
static cJSON *signal_json(const signal_def *s, const ctx *c) {
  cJSON *a;
  cJSON *o = emu_jsonapi_resource(s->code, "signal", &a);
  cJSON_AddStringToObject(a, "code", s->code);
  cJSON_AddStringToObject(a, "name", s->name);
  cJSON_AddStringToObject(a, "group", s->group);
  cJSON *st = cJSON_AddObjectToObject(a, "status");
  const char *etype = NULL, *ecode = NULL;
  if (c->g && s->scope && !emu_grant_has_scope(c->g, s->scope)) {
    etype = "PERMISSION";
  } else if (!(s->kinds & kind_bit(c->v))) {
    etype = "COMPATIBILITY";
    ecode = "VEHICLE_NOT_CAPABLE";
  }
  cJSON *m = cJSON_CreateObject();
  cJSON_AddNumberToObject(m, "retrievedAt", (double)c->now);
  if (etype) {
    cJSON_AddStringToObject(st, "value", "ERROR");
    cJSON *e = cJSON_AddObjectToObject(st, "error");
    cJSON_AddStringToObject(e, "type", etype);
    emu_json_str_or_null(e, "code", ecode);
  } else {
    cJSON_AddStringToObject(st, "value", "SUCCESS");
    cJSON_AddItemToObject(a, "body", s->body(c));
    cJSON_AddNumberToObject(m, "oemUpdatedAt", (double)c->now);
  }
  cJSON_AddItemToObject(o, "meta", m);
  cJSON *l = cJSON_AddObjectToObject(o, "links");
  emu_buf rest = {0};
  emu_buf_puts(&rest, "/signals/");
  emu_buf_puts(&rest, s->code);
  link_to(l, "self", c->v->id, rest.p);
  link_to(l, "vehicle", c->v->id, NULL);
  emu_buf_free(&rest);
  return o;
}

/* ------------------------------------------------------------ resources */

static const char *upper_mode(const char *m) {
  if (m && strcmp(m, "test") == 0) return "TEST";
  if (m && strcmp(m, "simulated") == 0) return "SIMULATED";
  return "LIVE";
}

static cJSON *vehicle_json(const ctx *c) {
  cJSON *a;
  cJSON *o = emu_jsonapi_resource(c->v->id, "vehicle", &a);
  cJSON_AddStringToObject(a, "make", c->v->make);
  cJSON_AddStringToObject(a, "model", c->v->model);
  cJSON_AddNumberToObject(a, "year", c->v->year);
  cJSON_AddStringToObject(a, "powertrainType", emu_engine_name(c->v->engine));
  cJSON_AddStringToObject(a, "mode", upper_mode(c->mode));
  link_to(cJSON_AddObjectToObject(o, "links"), "self", c->v->id, NULL);
  return o;
}

/* A positive integer query value (absent: def); 0 or -1 on a bad one. */
static int query_int(emu_req *r, const char *key, long def, long max,
                     long *out, outcome *o) {
  const char *s = emu_kv_get(&r->query, key);
  *out = def;
  if (!s) return 0;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 1 || v > max) {
    char msg[96]; /* copied into the detail at once */
    snprintf(msg, sizeof msg, "%s must be an integer between 1 and %ld.",
             key, max);
    fail_msg(o, "VALIDATION", "PARAMETER", key, msg);
    return -1;
  }
  *out = v;
  return 0;
}

int emu_v3_query_int(emu_req *r, const char *key, long def, long max,
                     long *out, emu_error *e) {
  outcome o;
  memset(&o, 0, sizeof o);
  int rc = query_int(r, key, def, max, out, &o);
  if (rc) *e = o.err;
  return rc;
}

static void page_link(cJSON *links, const char *key, const ctx *c, long page,
                      long size) {
  if (page < 1) {
    cJSON_AddNullToObject(links, key);
    return;
  }
  char rest[96];
  snprintf(rest, sizeof rest, "/signals?page=%ld&pageSize=%ld", page, size);
  link_to(links, key, c->v->id, rest);
}

static void signal_list(const ctx *c, outcome *o) {
  long page, size;
  if (query_int(c->r, "page", 1, 1000000, &page, o) != 0 ||
      query_int(c->r, "pageSize", PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, &size,
                o) != 0)
    return;
  long total = (long)N_SIGNALS;
  long last = total ? (total + size - 1) / size : 1;
  cJSON *b = cJSON_CreateObject();
  cJSON *data = cJSON_AddArrayToObject(b, "data");
  for (long i = (page - 1) * size; i < total && i < page * size; i++)
    cJSON_AddItemToArray(data, signal_json(&signals[i], c));
  cJSON *m = cJSON_AddObjectToObject(b, "meta");
  cJSON_AddNumberToObject(m, "page", (double)page);
  cJSON_AddNumberToObject(m, "pageSize", (double)size);
  cJSON_AddNumberToObject(m, "totalCount", (double)total);
  cJSON *l = cJSON_AddObjectToObject(b, "links");
  page_link(l, "self", c, page, size);
  page_link(l, "first", c, 1, size);
  page_link(l, "previous", c, page > 1 ? (page - 1 < last ? page - 1 : last)
                                      : 0, size);
  page_link(l, "next", c, page < last ? page + 1 : 0, size);
  page_link(l, "last", c, last, size);
  cJSON *inc = cJSON_AddObjectToObject(b, "included");
  cJSON_AddItemToObject(inc, "vehicle", vehicle_json(c));
  o->body = b;
}

/* -------------------------------------------------------------- routing */

static int unit_system(emu_req *r) {
  const char *u = emu_header(r, "sc-unit-system");
  if (!u || emu_strcaseeq(u, "metric")) return 0;
  if (emu_strcaseeq(u, "imperial")) return 1;
  return -1;
}

/* The owner with this user id, or NULL. Lock held. */
static emu_user *user_by_id(const char *id) {
  for (emu_user *u = emu_users(); u; u = u->next)
    if (emu_strcaseeq(u->id, id)) return u;
  return NULL;
}

/* u's vehicle id, if u connected it to the application. Lock held. */
static emu_vehicle *connected_vehicle(emu_user *u, const char *id) {
  for (int i = 0; i < u->n_vehicles; i++)
    if (emu_strcaseeq(u->vehicles[i].id, id) &&
        emu_connection_mode(u->id, u->vehicles[i].id))
      return &u->vehicles[i];
  return NULL;
}

enum { R_VEHICLE, R_SIGNALS, R_SIGNAL, R_COMMAND };

/* Smartcar's hosted test vehicle (companion spec 6: the official SDKs'
 * end-to-end tests read it with this token on the v3 origin). Its id is
 * not a UUID ("tst" prefix); the emulator serves it as the base-fleet
 * Tesla of an owner of its own, reached only with the test token. */
#define HOSTED_VEHICLE_ID "tst2e255-d3c8-4f90-9fec-e6e68b98e9cb"
#define HOSTED_TOKEN "test-data-token"
#define HOSTED_OWNER "hosted-test-vehicle@smartcar.com"

static emu_vehicle *hosted_vehicle(emu_user **owner) {
  emu_user *u = emu_user_get(HOSTED_OWNER);
  emu_vehicle *v = &u->vehicles[0];
  if (strcmp(v->id, HOSTED_VEHICLE_ID) != 0)
    snprintf(v->id, sizeof v->id, "%s", HOSTED_VEHICLE_ID);
  *owner = u;
  return v;
}

/* Checks in order (the first failure answers): token, application rate
 * limit, sc-user-id (application tokens), vehicle id, access to the
 * vehicle, per-vehicle throttle, sc-unit-system, then the resource. */
static void serve(emu_req *r, int kind, const char *id, const char *code,
                  outcome *o) {
  char key[64];
  int have_key = emu_auth_bearer(r, key, sizeof key);
  /* iam.c has its own lock: ask before taking the state lock */
  int app = have_key && emu_iam_token_valid(key);
  int hosted = have_key && !app && strcmp(key, HOSTED_TOKEN) == 0;
  const char *uid = emu_header(r, "sc-user-id");
  ctx c;
  memset(&c, 0, sizeof c);
  c.r = r;
  int retry;

  emu_lock();
  c.now = emu_now_ms();
  if (have_key && !app && !hosted) {
    const emu_token *t = emu_token_find(EMU_TOK_ACCESS, key);
    if (t && c.now < t->expires_ms) c.g = t->grant;
  }
  if (!app && !c.g && !hosted) {
    fail(o, "AUTHENTICATION", NULL);
  } else if (emu_limit_app(c.now, &retry)) {
    fail(o, "RATE_LIMIT", "SMARTCAR_API");
    o->err.retry_after = retry;
  } else if (app && (!uid || !*uid)) {
    fail_msg(o, "VALIDATION", NULL, "sc-user-id",
             "The sc-user-id header is required with an application "
             "token.");
  } else if (!emu_is_uuid(id) && !emu_strcaseeq(id, HOSTED_VEHICLE_ID)) {
    fail_msg(o, "VALIDATION", NULL, "vehicle_id",
             "vehicle id must be a UUID.");
  } else if (hosted && !emu_strcaseeq(id, HOSTED_VEHICLE_ID)) {
    fail(o, "PERMISSION", NULL);
  } else if (hosted && !(c.v = hosted_vehicle(&c.owner))) {
    fail(o, "SERVER", "INTERNAL"); /* not reached */
  } else if (app && !(c.owner = user_by_id(uid))) {
    fail_msg(o, "RESOURCE_NOT_FOUND", NULL, NULL,
             "No user with the id given in sc-user-id is connected to this "
             "application.");
  } else if (app && !(c.v = connected_vehicle(c.owner, id))) {
    fail_msg(o, "RESOURCE_NOT_FOUND", NULL, NULL,
             "The user has no vehicle with this id connected to this "
             "application.");
  } else if (!app && !hosted && !(c.v = emu_grant_vehicle(c.g, id))) {
    fail(o, "PERMISSION", NULL);
  } else if (emu_limit_vehicle(c.v, c.now, &retry)) {
    fail(o, "RATE_LIMIT", "VEHICLE");
    o->err.retry_after = retry;
  } else if ((c.imperial = unit_system(r)) < 0) {
    c.imperial = 0;
    fail_msg(o, "VALIDATION", NULL, "sc-unit-system",
             "sc-unit-system must be metric or imperial.");
  } else {
    if (!c.owner) c.owner = c.g->user;
    c.mode = emu_connection_mode(c.owner->id, c.v->id);
    emu_vehicle_sync(c.v, c.now);
    const signal_def *s = kind == R_SIGNAL ? signal_find(code) : NULL;
    if (kind == R_COMMAND) {
      o->exec = emu_v3_exec_begin(r, c.v, code, c.now, &o->err);
      o->is_error = !o->exec;
    } else if (kind == R_VEHICLE) {
      /* single resources at the top level, no "data" wrapper: what the
       * official SDKs' v3 code reads (issue 10 item 8) */
      o->body = vehicle_json(&c);
    } else if (kind == R_SIGNAL && !s) {
      fail_msg(o, "RESOURCE_NOT_FOUND", NULL, NULL,
               "Unknown signal code.");
    } else if (c.v->asleep) {
      fail(o, "VEHICLE_STATE", "ASLEEP");
    } else if (kind == R_SIGNALS) {
      signal_list(&c, o);
      o->units = !o->is_error;
    } else {
      o->body = signal_json(s, &c);
      o->units = 1;
    }
  }
  emu_unlock();
  o->imperial = c.imperial;
}

/* DELETE /v3/users/{id}: the user's connections and subscriptions end,
 * so later reads with that sc-user-id get 404 and the user's Connect
 * tokens 403. With an application token. */
static enum MHD_Result delete_user(emu_req *r, const char *id) {
  char key[64];
  outcome o;
  memset(&o, 0, sizeof o);
  if (!emu_auth_bearer(r, key, sizeof key) || !emu_iam_token_valid(key))
    fail(&o, "AUTHENTICATION", NULL);
  if (o.is_error) return emu_respond_err(r, &o.err);
  emu_lock();
  int rc = emu_v3_delete_user(id);
  emu_unlock();
  if (rc) {
    fail_msg(&o, "RESOURCE_NOT_FOUND", NULL, NULL, "No such user.");
    return emu_respond_err(r, &o.err);
  }
  return emu_respond(r, 204, NULL, "", 0, NULL, 0);
}

/* GET /v3/connections[/{id}], DELETE /v3/connections/{id}: with an
 * application token. */
static enum MHD_Result connections(emu_req *r, const char *id) {
  char key[64];
  outcome o;
  memset(&o, 0, sizeof o);
  int del = emu_method_is(r, "DELETE");
  long page = 1, size = 10;
  if (!emu_auth_bearer(r, key, sizeof key) || !emu_iam_token_valid(key)) {
    fail(&o, "AUTHENTICATION", NULL);
  } else if (!*id && !del &&
             (query_int(r, "page[number]", 1, 1000000, &page, &o) != 0 ||
              query_int(r, "page[size]", 10, 100, &size, &o) != 0)) {
    /* o holds the error */
  } else if (*id || del) {
    emu_lock();
    o.body = *id ? emu_v3_connection(id, del) : NULL;
    emu_unlock();
    if (!o.body)
      fail_msg(&o, "RESOURCE_NOT_FOUND", NULL, NULL, "No such connection.");
  } else {
    emu_lock();
    o.body = emu_v3_connections_page(
        emu_kv_get(&r->query, "filter[userId]"), page, size);
    emu_unlock();
  }
  if (o.is_error) return emu_respond_err(r, &o.err);
  if (del) {
    cJSON_Delete(o.body);
    return emu_respond(r, 204, NULL, "", 0, NULL, 0);
  }
  return emu_respond_json(r, MHD_HTTP_OK, o.body, NULL, 0);
}

/* Management API v3: POST/GET /v3/subscriptions, DELETE
 * /v3/subscriptions/{id}, with an application token. */
static enum MHD_Result subscriptions(emu_req *r, const char *id) {
  char key[64];
  outcome o;
  memset(&o, 0, sizeof o);
  unsigned status = MHD_HTTP_OK;
  if (!emu_auth_bearer(r, key, sizeof key) || !emu_iam_token_valid(key)) {
    fail(&o, "AUTHENTICATION", NULL);
  } else if (id) {
    emu_lock();
    int rc = emu_v3_unsubscribe(id);
    emu_unlock();
    if (rc) fail_msg(&o, "RESOURCE_NOT_FOUND", NULL, NULL,
                     "No such subscription.");
    else status = 204;
  } else if (emu_method_is(r, "GET")) {
    emu_lock();
    o.body = emu_v3_subscriptions(emu_kv_get(&r->query,
                                             "filter[webhookId]"));
    emu_unlock();
  } else {
    cJSON *doc = NULL;
    const cJSON *a = emu_v3_body_attrs(r, &doc);
    const char *w = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(a, "webhookId"));
    const char *u = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(a, "userId"));
    const char *v = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(a, "vehicleId"));
    int rc = -1;
    if (w && u && v) {
      emu_lock();
      rc = emu_v3_subscribe(w, u, v);
      emu_unlock();
    }
    cJSON_Delete(doc);
    if (rc < 0) {
      fail_msg(&o, "VALIDATION", "BAD_REQUEST", "data.attributes",
               "webhookId, userId and vehicleId are required.");
    } else if (rc > 0) {
      fail(&o, "VALIDATION", "BAD_REQUEST");
      o.err.status = 409;
    } else {
      status = 202;
      o.body = cJSON_CreateObject();
      cJSON_AddStringToObject(cJSON_AddObjectToObject(o.body, "meta"),
                              "message", "subscription creation in progress");
    }
  }
  if (o.is_error) return emu_respond_err(r, &o.err);
  if (status == 204) return emu_respond(r, 204, NULL, "", 0, NULL, 0);
  return emu_respond_json(r, status, o.body, NULL, 0);
}

enum MHD_Result emu_v3_handle(emu_req *r) {
  const char *p = r->path + 3; /* after "/v3" */
  if (strcmp(p, "/subscriptions") == 0 &&
      (emu_method_is(r, "GET") || emu_method_is(r, "POST")))
    return subscriptions(r, NULL);
  if (strncmp(p, "/subscriptions/", 15) == 0 && p[15] &&
      emu_method_is(r, "DELETE"))
    return subscriptions(r, p + 15);
  if (strcmp(p, "/webhooks") == 0 && emu_method_is(r, "GET"))
    return emu_v3_webhooks(r, NULL); /* webhook_v3.c */
  if (strncmp(p, "/webhooks/", 10) == 0 && p[10] && !strchr(p + 10, '/') &&
      strlen(p + 10) <= 64 && emu_method_is(r, "GET"))
    return emu_v3_webhooks(r, p + 10);
  if (strncmp(p, "/users/", 7) == 0 && p[7] && !strchr(p + 7, '/') &&
      strlen(p + 7) < 64 && emu_method_is(r, "DELETE"))
    return delete_user(r, p + 7);
  if (strcmp(p, "/connections") == 0 && emu_method_is(r, "GET"))
    return connections(r, "");
  if (strncmp(p, "/connections/", 13) == 0 && strlen(p + 13) < 64 &&
      p[13] && !strchr(p + 13, '/') &&
      (emu_method_is(r, "GET") || emu_method_is(r, "DELETE")))
    return connections(r, p + 13);
  int kind = -1;
  char id[64] = "", code[96] = "";
  if (strncmp(p, "/vehicles/", 10) == 0 && emu_method_is(r, "GET")) {
    const char *s = p + 10, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n > 0 && n < sizeof id) {
      memcpy(id, s, n);
      const char *rest = s + n;
      if (!*rest) {
        kind = R_VEHICLE;
      } else if (strcmp(rest, "/signals") == 0) {
        kind = R_SIGNALS;
      } else if (strncmp(rest, "/signals/", 9) == 0 && rest[9] &&
                 !strchr(rest + 9, '/') && strlen(rest + 9) < sizeof code) {
        snprintf(code, sizeof code, "%s", rest + 9);
        kind = R_SIGNAL;
      }
    }
  } else if (strncmp(p, "/vehicles/", 10) == 0 &&
             (emu_method_is(r, "POST") || emu_method_is(r, "DELETE"))) {
    /* commands/... and charge-schedules/...: v3_commands.c */
    const char *s = p + 10, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : 0;
    if (n > 0 && n < sizeof id && strlen(e + 1) < sizeof code &&
        (strncmp(e + 1, "commands/", 9) == 0 ||
         strncmp(e + 1, "charge-schedules/", 17) == 0)) {
      memcpy(id, s, n);
      snprintf(code, sizeof code, "%s", e + 1);
      kind = R_COMMAND;
    }
  }
  if (kind < 0) return emu_respond_not_found(r); /* v3 body: errors.c */
  outcome o;
  memset(&o, 0, sizeof o);
  serve(r, kind, id, code, &o);
  if (o.is_error) return emu_respond_err(r, &o.err);
  if (o.exec) return emu_v3_exec_send(r, o.exec);
  if (!o.units) return emu_respond_json(r, MHD_HTTP_OK, o.body, NULL, 0);
  emu_hdr h[] = {{"SC-Unit-System", o.imperial ? "imperial" : "metric"}};
  return emu_respond_json(r, MHD_HTTP_OK, o.body, h, 1);
}
