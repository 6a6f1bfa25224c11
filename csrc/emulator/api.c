/* Vehicle API v1.0/v2.0 (any well-formed /v<major>.<minor>).
 *
 * One table (endpoints[] below) lists every vehicle endpoint: method, path
 * below /vehicles/{id}, permission, the kinds of vehicle that can serve it,
 * the make for make-specific paths, flags and the handler. Direct requests
 * and the sub-requests of POST /batch are both routed through it. */
#include "emu.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KM_PER_MILE 1.609344
#define L_PER_GALLON 3.785411784
#define PSI_PER_KPA 0.1450377377
#define DAY_MS (86400LL * 1000)

static const char command_ok[] = "Successfully sent request to vehicle";

/* Everything a handler needs, gathered under the lock. */
typedef struct call {
  emu_req *r;
  const emu_kvlist *query;
  const emu_grant *g;
  emu_user *owner;
  int index; /* of v in owner->vehicles */
  emu_vehicle *v;
  int imperial;
  int64_t now;
} call;

/* What to send once the lock is released. */
typedef struct outcome {
  int is_error;
  emu_error err;
  cJSON *body;
  int data_read; /* SC-Data-Age, SC-Fetched-At, SC-Unit-System */
  int imperial;
  int64_t now;
  int not_found; /* unknown path: 404 PATH */
} outcome;

static void fail(outcome *o, const char *type, const char *code) {
  o->is_error = 1;
  o->err.type = type;
  o->err.code = code;
}

static void fail_detail(outcome *o, const char *code, const char *field,
                        const char *msg) {
  fail(o, "VALIDATION", code);
  o->err.detail = emu_error_detail(field, msg);
}

static void fail_retry(outcome *o, const char *code, int retry_after) {
  fail(o, "RATE_LIMIT", code);
  o->err.retry_after = retry_after;
}

/* ----------------------------------------------------------------- units */

static double round_to(double x, double places) {
  double f = pow(10.0, places);
  return round(x * f) / f;
}

static double distance(const call *c, double km) {
  return round_to(c->imperial ? km / KM_PER_MILE : km, 3);
}

static void ok_command(outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "status", "success");
  cJSON_AddStringToObject(b, "message", command_ok);
  o->body = b;
}

/* The request body as a JSON object, or a VALIDATION failure. Caller
 * deletes the result. */
static cJSON *command_body(call *c, outcome *o) {
  cJSON *j = emu_body_json(c->r);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    fail_detail(o, NULL, "body", "Body must be a JSON object.");
    return NULL;
  }
  return j;
}

/* A JSON number, or a string holding one (the Node SDK sends strings). */
static int json_number(const cJSON *it, double *out) {
  if (cJSON_IsNumber(it)) {
    *out = it->valuedouble;
    return isfinite(*out) ? 0 : -1;
  }
  if (!cJSON_IsString(it) || !*it->valuestring) return -1;
  char *end;
  errno = 0;
  double x = strtod(it->valuestring, &end);
  while (*end == ' ') end++;
  if (errno || *end || !isfinite(x)) return -1;
  *out = x;
  return 0;
}

/* ------------------------------------------------------- data endpoints */

static void attributes(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "id", c->v->id);
  cJSON_AddStringToObject(b, "make", c->v->make);
  cJSON_AddStringToObject(b, "model", c->v->model);
  cJSON_AddNumberToObject(b, "year", c->v->year);
  o->body = b;
}

static void vin(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "vin", c->v->vin);
  o->body = b;
}

static void odometer(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "distance", distance(c, c->v->odometer_km));
  o->body = b;
}

static void location(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "latitude", round_to(c->v->latitude, 6));
  cJSON_AddNumberToObject(b, "longitude", round_to(c->v->longitude, 6));
  o->body = b;
}

static void fuel(call *c, outcome *o) {
  double l = emu_vehicle_fuel_liters(c->v);
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "range",
                          round_to(distance(c, emu_vehicle_fuel_range_km(c->v)),
                                   1));
  cJSON_AddNumberToObject(b, "percentRemaining", round_to(c->v->fuel, 4));
  cJSON_AddNumberToObject(
      b, "amountRemaining", round_to(c->imperial ? l / L_PER_GALLON : l, 2));
  o->body = b;
}

static void battery(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(
      b, "range", round_to(distance(c, emu_vehicle_battery_range_km(c->v)), 1));
  cJSON_AddNumberToObject(b, "percentRemaining", round_to(c->v->battery, 4));
  o->body = b;
}

static void battery_capacity(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "capacity", emu_vehicle_battery_kwh(c->v));
  o->body = b;
}

static cJSON *capacity_option(double kwh, const char *description) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "capacity", kwh);
  if (description)
    cJSON_AddStringToObject(e, "description", description);
  else
    cJSON_AddNullToObject(e, "description");
  return e;
}

/* The BEV knows its capacity; the PHEV leaves it undetermined and offers
 * the selection URL instead, so both shapes of the spec occur. */
static void nominal_capacity(call *c, outcome *o) {
  double kwh = emu_vehicle_battery_kwh(c->v);
  cJSON *b = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(b, "availableCapacities");
  if (c->v->engine == EMU_BEV) {
    cJSON_AddItemToArray(a, capacity_option(kwh, NULL));
    cJSON_AddItemToArray(a, capacity_option(82.0, "BEV:Long Range"));
    cJSON *cap = cJSON_AddObjectToObject(b, "capacity");
    cJSON_AddNumberToObject(cap, "nominal", kwh);
    cJSON_AddStringToObject(cap, "source", "SMARTCAR");
    cJSON_AddNullToObject(b, "url");
  } else {
    cJSON_AddItemToArray(a, capacity_option(kwh, "PHEV:SE"));
    cJSON_AddItemToArray(a, capacity_option(18.1, "PHEV:XSE Premium"));
    cJSON_AddNullToObject(b, "capacity");
    char token[37];
    emu_uuid_derive(token, emu_cfg.seed, c->v->id, "capacity-selection");
    emu_buf u = {0};
    emu_buf_puts(&u, "https://connect.smartcar.com/battery-capacity?vehicle_id=");
    emu_buf_pct(&u, c->v->id);
    emu_buf_puts(&u, "&client_id=");
    emu_buf_pct(&u, c->g->client_id);
    emu_buf_printf(&u, "&token=%s&response_type=vehicle_id&redirect_uri=",
                   token);
    cJSON_AddStringToObject(b, "url", u.p);
    emu_buf_free(&u);
  }
  o->body = b;
}

static void charge(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddBoolToObject(b, "isPluggedIn", c->v->plugged_in);
  cJSON_AddStringToObject(b, "state", emu_vehicle_charge_state(c->v));
  o->body = b;
}

static void charge_limit(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "limit", round_to(c->v->charge_limit, 4));
  o->body = b;
}

static void engine_oil(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "lifeRemaining",
                          round_to(emu_vehicle_oil_life(c->v), 4));
  o->body = b;
}

static void tire_pressure(call *c, outcome *o) {
  static const char *const names[4] = {"frontLeft", "frontRight", "backLeft",
                                       "backRight"};
  cJSON *b = cJSON_CreateObject();
  for (int i = 0; i < 4; i++) {
    double p = c->v->tire_kpa[i];
    cJSON_AddNumberToObject(b, names[i],
                            round_to(c->imperial ? p * PSI_PER_KPA : p, 1));
  }
  o->body = b;
}

static cJSON *openings(const char *const *types, size_t n,
                       const char *status) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", types[i]);
    cJSON_AddStringToObject(e, "status", status);
    cJSON_AddItemToArray(a, e);
  }
  return a;
}

static void security(call *c, outcome *o) {
  static const char *const corners[] = {"frontLeft", "frontRight", "backLeft",
                                        "backRight"};
  static const char *const sunroof[] = {"sunroof"};
  static const char *const storage[] = {"front", "rear"};
  static const char *const port[] = {"chargingPort"};
  const emu_vehicle *v = c->v;
  cJSON *b = cJSON_CreateObject();
  cJSON_AddBoolToObject(b, "isLocked", v->locked);
  cJSON_AddItemToObject(b, "doors", openings(corners, 4, "CLOSED"));
  cJSON_AddItemToObject(b, "windows", openings(corners, 4, "CLOSED"));
  /* the Model 3 has a fixed glass roof: an empty list */
  cJSON_AddItemToObject(b, "sunroof",
                        openings(sunroof, v->engine == EMU_BEV ? 0 : 1,
                                 "CLOSED"));
  cJSON_AddItemToObject(b, "storage", openings(storage, 2, "CLOSED"));
  cJSON_AddItemToObject(b, "chargingPort",
                        openings(port, v->engine == EMU_ICE ? 0 : 1,
                                 v->plugged_in ? "OPEN" : "CLOSED"));
  o->body = b;
}

/* days since 1970-01-01 for a civil date (proleptic Gregorian) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.sss]Z. A bare date as an end of range
 * means the end of that day. */
static int parse_date(const char *s, int end_of_day, int64_t *out) {
  unsigned y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
  int n = 0;
  if (sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3 || n != 10) return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970) return -1;
  const char *t = s + 10;
  if (*t) {
    int k = 0;
    if (sscanf(t, "T%2u:%2u:%2u%n", &h, &mi, &se, &k) != 3 || k != 9)
      return -1;
    t += k;
    if (*t == '.') {
      int digits = 0;
      for (t++; isdigit((unsigned char)*t); t++, digits++)
        if (digits < 3) ms = ms * 10 + (unsigned)(*t - '0');
      if (!digits) return -1;
      while (digits++ < 3) ms *= 10;
    }
    if (strcmp(t, "Z") != 0 || h > 23 || mi > 59 || se > 60) return -1;
  } else if (end_of_day) {
    h = 23, mi = 59, se = 59, ms = 999;
  }
  *out = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) *
             1000 + ms;
  return 0;
}

static const char *query_either(const call *c, const char *a, const char *b,
                                const char **name) {
  const char *v = emu_kv_get(c->query, a);
  *name = a;
  if (!v) {
    v = emu_kv_get(c->query, b);
    *name = b;
  }
  return v;
}

static cJSON *service_task(const char *id, const char *description) {
  cJSON *t = cJSON_CreateObject();
  if (id)
    cJSON_AddStringToObject(t, "taskId", id);
  else
    cJSON_AddNullToObject(t, "taskId");
  if (description)
    cJSON_AddStringToObject(t, "taskDescription", description);
  else
    cJSON_AddNullToObject(t, "taskDescription");
  return t;
}

/* Records at fixed dates derived from the seed: one every 5-7 months from
 * the delivery in the model year up to the current clock. Without a range
 * the last year is shown. */
static void service_history(call *c, outcome *o) {
  static const char *const ev_tasks[] = {"Tire rotation",
                                         "Cabin air filter replacement",
                                         "Brake fluid test", "Wiper blades"};
  static const char *const ice_tasks[] = {"Oil change", "Tire rotation",
                                          "Engine air filter replacement",
                                          "Multi-point inspection"};
  const char *sname, *ename;
  const char *s = query_either(c, "startDate", "start_date", &sname);
  const char *e = query_either(c, "endDate", "end_date", &ename);
  int64_t end = c->now, start;
  if (e && parse_date(e, 1, &end) != 0) {
    fail_detail(o, "PARAMETER", ename,
                "Dates are YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.SSSZ.");
    return;
  }
  start = end - 365 * DAY_MS;
  if (s && parse_date(s, 0, &start) != 0) {
    fail_detail(o, "PARAMETER", sname,
                "Dates are YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.SSSZ.");
    return;
  }
  if (start > end) {
    fail_detail(o, "PARAMETER", sname, "The start date is after the end date.");
    return;
  }
  const emu_vehicle *v = c->v;
  const char *const *tasks = v->engine == EMU_BEV ? ev_tasks : ice_tasks;
  int64_t delivery = days_from_civil(v->year, 3, 1) * DAY_MS;
  int64_t t = delivery;
  cJSON *a = cJSON_CreateArray();
  for (int k = 0; k < 200; k++) {
    unsigned char d[32];
    char label[32];
    snprintf(label, sizeof label, "service:%d", k);
    emu_derive(d, emu_cfg.seed, v->id, label);
    t += (150 + d[0] % 60) * DAY_MS + (int64_t)(d[1] % 24) * 3600000 +
         (int64_t)d[2] * 13000;
    if (t > c->now || t > end) break;
    if (t < start) continue;
    /* the odometer grew evenly from delivery to the start of 2025 */
    double km = v->odometer_km * (double)(t - delivery) /
                (double)(days_from_civil(2025, 1, 1) * DAY_MS - delivery);
    if (km > v->odometer_km) km = v->odometer_km;
    char iso[32], id[32], task[8];
    emu_iso8601(iso, t);
    cJSON *rec = cJSON_CreateObject();
    if (k % 3 == 2) {
      cJSON_AddNullToObject(rec, "serviceId");
    } else {
      snprintf(id, sizeof id, "SRV-%06u",
               (unsigned)((d[4] << 16 | d[5] << 8 | d[6]) % 1000000));
      cJSON_AddStringToObject(rec, "serviceId", id);
    }
    cJSON_AddStringToObject(rec, "serviceDate", iso);
    cJSON_AddNumberToObject(rec, "odometerDistance",
                            round_to(distance(c, km), 2));
    cJSON *ts = cJSON_AddArrayToObject(rec, "serviceTasks");
    snprintf(task, sizeof task, "%u", 1000u + (d[7] << 8 | d[8]) % 9000u);
    cJSON_AddItemToArray(ts, service_task(task, tasks[k % 4]));
    if (d[9] % 2) cJSON_AddItemToArray(ts, service_task(NULL, NULL));
    cJSON *det = cJSON_AddArrayToObject(rec, "serviceDetails");
    cJSON *dl = cJSON_CreateObject();
    cJSON_AddStringToObject(dl, "type", "dealership");
    if (d[10] % 2)
      cJSON_AddStringToObject(dl, "value", "Emulator Motors");
    else
      cJSON_AddNullToObject(dl, "value");
    cJSON_AddItemToArray(det, dl);
    cJSON *cost = cJSON_AddObjectToObject(rec, "serviceCost");
    if (d[11] % 3) {
      cJSON_AddNumberToObject(cost, "totalCost",
                              round_to(60.0 + d[12] * 1.37, 2));
      cJSON_AddStringToObject(cost, "currency", "USD");
    } else {
      cJSON_AddNullToObject(cost, "totalCost");
      cJSON_AddNullToObject(cost, "currency");
    }
    cJSON_AddItemToArray(a, rec);
  }
  o->body = a;
}

static void system_status(call *c, outcome *o) {
  static const char *const common[] = {
      "SYSTEM_AIRBAG",        "SYSTEM_ABS",
      "SYSTEM_TPMS",          "SYSTEM_BRAKE_FLUID",
      "SYSTEM_ELECTRIC_POWER_STEERING", "SYSTEM_LOW_VOLTAGE_BATTERY"};
  const emu_vehicle *v = c->v;
  unsigned char d[32];
  emu_derive(d, emu_cfg.seed, v->id, "diagnostics");
  int low_tire = 0;
  for (int i = 0; i < 4; i++) low_tire |= v->tire_kpa[i] < 180.0;
  cJSON *b = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(b, "systems");
  for (size_t i = 0; i < sizeof common / sizeof *common; i++) {
    const char *desc = NULL;
    if (i == 2 && low_tire)
      desc = "Low tire pressure";
    else if (i == 2 && d[0] % 4 == 0)
      desc = "Left rear tire sensor battery low";
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "systemId", common[i]);
    cJSON_AddStringToObject(s, "status", desc ? "ALERT" : "OK");
    if (desc)
      cJSON_AddStringToObject(s, "description", desc);
    else
      cJSON_AddNullToObject(s, "description");
    cJSON_AddItemToArray(a, s);
  }
  if (v->engine != EMU_BEV) {
    int mil = d[1] % 3 != 0; /* the same bytes give trouble codes */
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "systemId", "SYSTEM_MIL");
    cJSON_AddStringToObject(s, "status", mil ? "ALERT" : "OK");
    if (mil)
      cJSON_AddStringToObject(s, "description", "Check engine light is on");
    else
      cJSON_AddNullToObject(s, "description");
    cJSON_AddItemToArray(a, s);
  }
  o->body = b;
}

static void dtcs(call *c, outcome *o) {
  static const char *const codes[] = {"P0420", "P0171", "C0035",
                                      "U0100", "B1318", "P0A80"};
  unsigned char d[32];
  emu_derive(d, emu_cfg.seed, c->v->id, "diagnostics");
  cJSON *b = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(b, "activeCodes");
  int n = c->v->engine == EMU_BEV ? d[1] % 2 : d[1] % 3;
  for (int i = 0; i < n; i++) {
    cJSON *e = cJSON_CreateObject();
    /* the last code (hybrid battery) only for cars that have one */
    cJSON_AddStringToObject(e, "code",
                            codes[d[2 + i] % (c->v->engine == EMU_ICE ? 5 : 6)]);
    if (i == 0) {
      char iso[32];
      int64_t when =
          days_from_civil(2024, 1 + d[4] % 12, 1 + d[5] % 28) * DAY_MS +
          (int64_t)d[6] * 60000 * 5;
      emu_iso8601(iso, when);
      cJSON_AddStringToObject(e, "timestamp", iso);
    } else {
      cJSON_AddNullToObject(e, "timestamp");
    }
    cJSON_AddItemToArray(a, e);
  }
  o->body = b;
}

static long parse_long(const char *s, long *out) {
  if (!s || !*s || strlen(s) > 9) return -1;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p)) return -1;
  *out = strtol(s, NULL, 10);
  return 0;
}

/* ?limit (1..50, default given) & ?offset (>= 0, default 0). */
static int parse_paging(const emu_kvlist *q, long def, long *limit,
                        long *offset, outcome *o) {
  const char *l = emu_kv_get(q, "limit");
  const char *f = emu_kv_get(q, "offset");
  *limit = def;
  *offset = 0;
  if (l && (parse_long(l, limit) != 0 || *limit < 1 || *limit > 50)) {
    fail_detail(o, "PARAMETER", "limit",
                "limit must be an integer between 1 and 50.");
    return -1;
  }
  if (f && parse_long(f, offset) != 0) {
    fail_detail(o, "PARAMETER", "offset",
                "offset must be a non-negative integer.");
    return -1;
  }
  return 0;
}

static cJSON *paging(long count, long offset) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "count", (double)count);
  cJSON_AddNumberToObject(p, "offset", (double)offset);
  return p;
}

static void permissions(call *c, outcome *o) {
  long limit, offset;
  if (parse_paging(c->query, 25, &limit, &offset, o) != 0) return;
  cJSON *b = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(b, "permissions");
  long n = (long)c->g->n_scopes;
  for (long i = offset; i < n && i < offset + limit; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(c->g->scopes[i]));
  cJSON_AddItemToObject(b, "paging", paging(n, offset));
  o->body = b;
}

/* ------------------------------------------------------------- commands */

static void charge_command(call *c, outcome *o) {
  cJSON *j = command_body(c, o);
  if (!j) return;
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "action");
  int start = cJSON_IsString(a) && strcmp(a->valuestring, "START") == 0;
  int stop = cJSON_IsString(a) && strcmp(a->valuestring, "STOP") == 0;
  if (!start && !stop) {
    fail_detail(o, "PARAMETER", "action", "action must be START or STOP.");
  } else if (!c->v->plugged_in) {
    fail(o, "VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED");
  } else {
    if (c->v->charging != start)
      emu_webhooks_vehicle_event(c->v->id, start ? "CHARGING_STARTED"
                                                 : "CHARGING_STOPPED");
    c->v->charging = start;
    ok_command(o);
  }
  cJSON_Delete(j);
}

static void set_charge_limit(call *c, outcome *o) {
  cJSON *j = command_body(c, o);
  if (!j) return;
  double x;
  if (json_number(cJSON_GetObjectItemCaseSensitive(j, "limit"), &x) != 0 ||
      x < 0.5 || x > 1.0) {
    fail_detail(o, "PARAMETER", "limit",
                "limit must be a number between 0.5 and 1.");
  } else {
    c->v->charge_limit = x;
    ok_command(o);
  }
  cJSON_Delete(j);
}

static void lock_command(call *c, outcome *o) {
  cJSON *j = command_body(c, o);
  if (!j) return;
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "action");
  int lock = cJSON_IsString(a) && strcmp(a->valuestring, "LOCK") == 0;
  int unlock = cJSON_IsString(a) && strcmp(a->valuestring, "UNLOCK") == 0;
  if (!lock && !unlock) {
    fail_detail(o, "PARAMETER", "action", "action must be LOCK or UNLOCK.");
  } else {
    c->v->locked = lock;
    ok_command(o);
  }
  cJSON_Delete(j);
}

static void destination(call *c, outcome *o) {
  cJSON *j = command_body(c, o);
  if (!j) return;
  double lat, lon;
  if (json_number(cJSON_GetObjectItemCaseSensitive(j, "latitude"), &lat) != 0 ||
      lat < -90 || lat > 90) {
    fail_detail(o, "PARAMETER", "latitude",
                "Invalid latitude value. It must be between -90 and 90.");
  } else if (json_number(cJSON_GetObjectItemCaseSensitive(j, "longitude"),
                         &lon) != 0 ||
             lon < -180 || lon > 180) {
    fail_detail(o, "PARAMETER", "longitude",
                "Invalid longitude value. It must be between -180 and 180.");
  } else {
    c->v->dest_lat = lat;
    c->v->dest_lon = lon;
    c->v->has_dest = 1;
    ok_command(o);
  }
  cJSON_Delete(j);
}

static void disconnect(call *c, outcome *o) {
  emu_connection_revoke(c->owner, c->index);
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "status", "success");
  o->body = b;
}

/* --------------------------------------------------------- Tesla paths */

static void ammeter(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "amperage", c->v->amperage);
  o->body = b;
}

static void set_ammeter(call *c, outcome *o) {
  cJSON *j = command_body(c, o);
  if (!j) return;
  double x;
  if (json_number(cJSON_GetObjectItemCaseSensitive(j, "amperage"), &x) != 0 ||
      x < 1 || x > 48) {
    fail_detail(o, "PARAMETER", "amperage",
                "amperage must be a number between 1 and 48.");
  } else {
    c->v->amperage = x;
    ok_command(o);
  }
  cJSON_Delete(j);
}

static void voltmeter(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "voltage", emu_vehicle_voltage(c->v));
  o->body = b;
}

static void wattmeter(call *c, outcome *o) {
  int charging = strcmp(emu_vehicle_charge_state(c->v), "CHARGING") == 0;
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(
      b, "wattage", charging ? emu_vehicle_voltage(c->v) * c->v->amperage : 0);
  o->body = b;
}

static void compass(call *c, outcome *o) {
  static const char *const points[] = {"N", "NE", "E", "SE",
                                       "S", "SW", "W", "NW"};
  double h = c->v->heading_deg;
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "direction",
                          points[(int)floor(fmod(h + 22.5, 360.0) / 45.0) % 8]);
  cJSON_AddNumberToObject(b, "heading", round_to(h, 1));
  o->body = b;
}

static void speedometer(call *c, outcome *o) {
  double s = c->v->driving ? c->v->speed_kmh : 0;
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "speed",
                          round_to(c->imperial ? s / KM_PER_MILE : s, 1));
  o->body = b;
}

static void thermometer(call *c, outcome *o, double celsius) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(
      b, "temperature",
      round_to(c->imperial ? celsius * 9.0 / 5.0 + 32.0 : celsius, 1));
  o->body = b;
}

static void exterior(call *c, outcome *o) { thermometer(c, o, c->v->temp_ext_c); }
static void interior(call *c, outcome *o) { thermometer(c, o, c->v->temp_int_c); }

static void user_access(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "accessType", "OWNER");
  cJSON *a = cJSON_AddArrayToObject(b, "permissions");
  for (size_t i = 0; i < c->g->n_scopes; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(c->g->scopes[i]));
  o->body = b;
}

static void tesla_battery(call *c, outcome *o) {
  double km = emu_vehicle_battery_range_km(c->v), pct = c->v->battery;
  cJSON *b = cJSON_CreateObject();
  cJSON_AddNumberToObject(b, "percentRemaining", round_to(pct, 4));
  cJSON_AddNumberToObject(b, "range", round_to(distance(c, km), 1));
  cJSON_AddBoolToObject(b, "heaterOn", 0);
  cJSON_AddNumberToObject(b, "rangeEstimated",
                          round_to(distance(c, km * 0.92), 1));
  cJSON_AddNumberToObject(b, "rangeIdeal", round_to(distance(c, km * 1.05), 1));
  cJSON_AddNumberToObject(b, "percentRemainingUsable",
                          round_to(pct > 0.01 ? pct - 0.01 : 0, 4));
  cJSON_AddNumberToObject(b, "maxRangeChargeCounter", 0);
  cJSON_AddBoolToObject(b, "notEnoughPowerToHeat", 0);
  o->body = b;
}

/* When the charge reaches the limit: an ISO time, or null when the car is
 * not charging. */
static void add_completion(const call *c, cJSON *b, const char *key) {
  double kw = emu_vehicle_charge_kw(c->v);
  if (kw <= 0) {
    cJSON_AddNullToObject(b, key);
    return;
  }
  double hours = (c->v->charge_limit - c->v->battery) *
                 emu_vehicle_battery_kwh(c->v) / kw;
  char when[32];
  emu_iso8601(when, c->now + (int64_t)(hours * 3600.0 * 1000.0));
  cJSON_AddStringToObject(b, key, when);
}

/* tesla|chevrolet|cadillac/charge/completion */
static void charge_completion(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  add_completion(c, b, "time");
  o->body = b;
}

static void audi_charge(call *c, outcome *o) {
  const char *state = emu_vehicle_charge_state(c->v);
  double kw = emu_vehicle_charge_kw(c->v);
  double km_per_h =
      emu_vehicle_battery_kwh(c->v) > 0 && c->v->battery > 0
          ? kw * emu_vehicle_battery_range_km(c->v) /
                (c->v->battery * emu_vehicle_battery_kwh(c->v))
          : 0;
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "chargingStatus", state);
  cJSON_AddBoolToObject(b, "isPluggedIn", c->v->plugged_in);
  cJSON_AddNumberToObject(b, "chargeRate", round_to(distance(c, km_per_h), 1));
  if (c->v->plugged_in)
    cJSON_AddStringToObject(b, "chargeType", "AC");
  else
    cJSON_AddNullToObject(b, "chargeType");
  cJSON_AddStringToObject(b, "chargePortColor", kw > 0 ? "GREEN" : "NONE");
  cJSON_AddStringToObject(b, "chargePortLatch",
                          c->v->plugged_in ? "LOCKED" : "UNLOCKED");
  add_completion(c, b, "completionTime");
  cJSON_AddStringToObject(b, "chargeMode", "MANUAL");
  cJSON_AddNumberToObject(b, "socLimit", round_to(c->v->charge_limit, 4));
  cJSON_AddStringToObject(b, "externalPowerStatus",
                          c->v->plugged_in ? "ACTIVE" : "UNAVAILABLE");
  cJSON_AddNumberToObject(b, "wattage", round_to(kw * 1000.0, 0));
  o->body = b;
}

static void batch(call *c, outcome *o);

/* ---------------------------------------------------------------- table */

enum { K_BEV = 1, K_PHEV = 2, K_ICE = 4, K_EV = K_BEV | K_PHEV,
       K_FUEL = K_PHEV | K_ICE, K_ALL = 7 };
enum {
  EP_DATA = 1,  /* data read: SC-Data-Age, SC-Fetched-At, SC-Unit-System */
  EP_AWAKE = 2, /* reaches the car: refused while it is asleep */
};

typedef struct endpoint {
  const char *method;
  const char *path;  /* below /vehicles/{id}; "" is the vehicle itself */
  const char *scope; /* NULL: any valid token for the vehicle */
  unsigned kinds;    /* K_*: vehicles that can serve it, else 501 */
  const char *make;  /* make-specific paths: lower-case make */
  unsigned flags;
  void (*fn)(call *c, outcome *o);
} endpoint;

static const endpoint endpoints[] = {
    {"GET", "", "read_vehicle_info", K_ALL, NULL, EP_DATA, attributes},
    {"GET", "/vin", "read_vin", K_ALL, NULL, EP_DATA, vin},
    {"GET", "/odometer", "read_odometer", K_ALL, NULL, EP_DATA | EP_AWAKE,
     odometer},
    {"GET", "/location", "read_location", K_ALL, NULL, EP_DATA | EP_AWAKE,
     location},
    {"GET", "/fuel", "read_fuel", K_FUEL, NULL, EP_DATA | EP_AWAKE, fuel},
    {"GET", "/battery", "read_battery", K_EV, NULL, EP_DATA | EP_AWAKE,
     battery},
    {"GET", "/battery/capacity", "read_battery", K_EV, NULL,
     EP_DATA | EP_AWAKE, battery_capacity},
    {"GET", "/battery/nominal_capacity", "read_battery", K_EV, NULL,
     EP_DATA | EP_AWAKE, nominal_capacity},
    {"GET", "/charge", "read_charge", K_EV, NULL, EP_DATA | EP_AWAKE, charge},
    {"POST", "/charge", "control_charge", K_EV, NULL, EP_AWAKE,
     charge_command},
    {"GET", "/charge/limit", "read_charge", K_EV, NULL, EP_DATA | EP_AWAKE,
     charge_limit},
    {"POST", "/charge/limit", "control_charge", K_EV, NULL, EP_AWAKE,
     set_charge_limit},
    {"GET", "/engine/oil", "read_engine_oil", K_FUEL, NULL,
     EP_DATA | EP_AWAKE, engine_oil},
    {"GET", "/tires/pressure", "read_tires", K_ALL, NULL, EP_DATA | EP_AWAKE,
     tire_pressure},
    {"GET", "/security", "read_security", K_ALL, NULL, EP_DATA | EP_AWAKE,
     security},
    {"POST", "/security", "control_security", K_ALL, NULL, EP_AWAKE,
     lock_command},
    {"POST", "/navigation/destination", "control_navigation", K_ALL, NULL,
     EP_AWAKE, destination},
    {"GET", "/service/history", "read_service_history", K_ALL, NULL, EP_DATA,
     service_history},
    {"GET", "/diagnostics/system_status", "read_diagnostics", K_ALL, NULL,
     EP_DATA | EP_AWAKE, system_status},
    {"GET", "/diagnostics/dtcs", "read_diagnostics", K_ALL, NULL,
     EP_DATA | EP_AWAKE, dtcs},
    {"GET", "/permissions", NULL, K_ALL, NULL, 0, permissions},
    {"DELETE", "/application", NULL, K_ALL, NULL, 0, disconnect},
    {"POST", "/batch", NULL, K_ALL, NULL, 0, batch},
    {"GET", "/tesla/charge/ammeter", "read_charge", K_ALL, "tesla",
     EP_DATA | EP_AWAKE, ammeter},
    {"POST", "/tesla/charge/ammeter", "control_charge", K_ALL, "tesla",
     EP_AWAKE, set_ammeter},
    {"GET", "/tesla/charge/voltmeter", "read_charge", K_ALL, "tesla",
     EP_DATA | EP_AWAKE, voltmeter},
    {"GET", "/tesla/charge/wattmeter", "read_charge", K_ALL, "tesla",
     EP_DATA | EP_AWAKE, wattmeter},
    {"GET", "/tesla/compass", "read_compass", K_ALL, "tesla",
     EP_DATA | EP_AWAKE, compass},
    {"GET", "/tesla/speedometer", "read_speedometer", K_ALL, "tesla",
     EP_DATA | EP_AWAKE, speedometer},
    {"GET", "/tesla/thermometer/exterior", "read_thermometer", K_ALL, "tesla",
     EP_DATA | EP_AWAKE, exterior},
    {"GET", "/tesla/thermometer/interior", "read_thermometer", K_ALL, "tesla",
     EP_DATA | EP_AWAKE, interior},
    {"GET", "/tesla/user/access", "read_user_profile", K_ALL, "tesla",
     EP_DATA | EP_AWAKE, user_access},
    {"GET", "/tesla/battery", "read_battery", K_EV, "tesla",
     EP_DATA | EP_AWAKE, tesla_battery},
    {"GET", "/tesla/charge/completion", "read_charge", K_EV, "tesla",
     EP_DATA | EP_AWAKE, charge_completion},
    {"GET", "/chevrolet/charge/completion", "read_charge", K_EV, "chevrolet",
     EP_DATA | EP_AWAKE, charge_completion},
    {"GET", "/chevrolet/charge/voltmeter", "read_charge", K_EV, "chevrolet",
     EP_DATA | EP_AWAKE, voltmeter},
    {"GET", "/cadillac/charge/completion", "read_charge", K_EV, "cadillac",
     EP_DATA | EP_AWAKE, charge_completion},
    {"GET", "/cadillac/charge/voltmeter", "read_charge", K_EV, "cadillac",
     EP_DATA | EP_AWAKE, voltmeter},
    {"GET", "/audi/charge", "read_charge", K_EV, "audi", EP_DATA | EP_AWAKE,
     audi_charge},
};

#define N_ENDPOINTS (sizeof endpoints / sizeof *endpoints)

static const endpoint *find_exact(const char *method, const char *sub,
                                  size_t len) {
  for (size_t i = 0; i < N_ENDPOINTS; i++) {
    const endpoint *e = &endpoints[i];
    if (strncmp(e->path, sub, len) == 0 && e->path[len] == '\0' &&
        strcmp(e->method, method) == 0)
      return e;
  }
  return NULL;
}

/* The row for method + sub (sub[0..len)). A make segment in the wrong case
 * ("/TESLA/compass") finds its row with *wrong_case set: such requests are
 * refused with PERMISSION, as the service does. */
static const endpoint *find_endpoint(const char *method, const char *sub,
                                     size_t len, int *wrong_case) {
  *wrong_case = 0;
  const endpoint *e = find_exact(method, sub, len);
  if (e || len < 2 || len > 128) return e;
  char low[130];
  memcpy(low, sub, len);
  low[len] = '\0';
  int changed = 0;
  for (size_t i = 1; i < len && low[i] != '/'; i++) {
    int l = tolower((unsigned char)low[i]);
    changed |= l != low[i];
    low[i] = (char)l;
  }
  if (!changed) return NULL;
  e = find_exact(method, low, len);
  if (e && e->make) {
    *wrong_case = 1;
    return e;
  }
  return NULL;
}

static unsigned kind_bit(const emu_vehicle *v) {
  return v->engine == EMU_BEV ? K_BEV : v->engine == EMU_PHEV ? K_PHEV : K_ICE;
}

/* The per-endpoint checks after the vehicle itself passed: permission,
 * capability, sleep; then the handler. */
static void run_endpoint(const endpoint *ep, int wrong_case, call *c,
                         outcome *o, int permission_checked) {
  if (!permission_checked &&
      (wrong_case || (ep->scope && !emu_grant_has_scope(c->g, ep->scope)))) {
    fail(o, "PERMISSION", NULL);
  } else if (!(ep->kinds & kind_bit(c->v)) ||
             (ep->make && strcasecmp(ep->make, c->v->make) != 0)) {
    fail(o, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE");
  } else if ((ep->flags & EP_AWAKE) && c->v->asleep) {
    fail(o, "VEHICLE_STATE", "ASLEEP");
  } else {
    ep->fn(c, o);
    o->data_read = !o->is_error && (ep->flags & EP_DATA);
  }
}

/* ----------------------------------------------------------------- batch */

typedef struct sub_request {
  const endpoint *ep;
  int wrong_case;
  char *path; /* as echoed: leading slash, no trailing one */
  emu_kvlist query;
} sub_request;

static void sub_free(sub_request *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(s[i].path);
    emu_kv_free(&s[i].query);
  }
  free(s);
}

static void batch(call *c, outcome *o) {
  cJSON *j = command_body(c, o);
  if (!j) return;
  const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(j, "requests");
  int n = cJSON_GetArraySize(reqs);
  if (!cJSON_IsArray(reqs) || n == 0 || n > 100) {
    fail_detail(o, "PARAMETER", "requests",
                "requests must be an array of 1 to 100 {\"path\"} objects.");
    cJSON_Delete(j);
    return;
  }
  sub_request *subs = emu_xmalloc((size_t)n * sizeof *subs);
  memset(subs, 0, (size_t)n * sizeof *subs);
  int i = 0;
  const cJSON *it;
  char field[48];
  /* every path must be known before any runs */
  cJSON_ArrayForEach(it, reqs) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "path");
    snprintf(field, sizeof field, "requests.%d.path", i);
    if (!cJSON_IsString(p)) {
      fail_detail(o, "PARAMETER", field, "path must be a string.");
      break;
    }
    const char *s = p->valuestring, *q = strchr(s, '?');
    size_t len = q ? (size_t)(q - s) : strlen(s);
    while (len && *s == '/') s++, len--;
    while (len && s[len - 1] == '/') len--;
    emu_buf b = {0};
    if (len) emu_buf_puts(&b, "/");
    emu_buf_put(&b, s, len);
    subs[i].path = emu_buf_take(&b);
    if (q) emu_kv_parse(&subs[i].query, q + 1, strlen(q + 1));
    subs[i].ep = find_endpoint("GET", subs[i].path, len ? len + 1 : 0,
                               &subs[i].wrong_case);
    if (!subs[i].ep) {
      emu_buf m = {0};
      emu_buf_printf(&m, "Unknown path: %s", p->valuestring);
      fail_detail(o, "PARAMETER", field, m.p);
      emu_buf_free(&m);
      i++;
      break;
    }
    if (!len) { /* the attributes path is echoed as "/" */
      free(subs[i].path);
      subs[i].path = emu_strdup("/");
    }
    i++;
  }
  if (o->is_error) {
    sub_free(subs, (size_t)i);
    cJSON_Delete(j);
    return;
  }
  char now[32];
  emu_iso8601(now, c->now);
  cJSON *b = cJSON_CreateObject();
  cJSON *out = cJSON_AddArrayToObject(b, "responses");
  for (int k = 0; k < n; k++) {
    outcome so;
    memset(&so, 0, sizeof so);
    call sc = *c;
    sc.query = &subs[k].query;
    run_endpoint(subs[k].ep, subs[k].wrong_case, &sc, &so, 0);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "path", subs[k].path);
    cJSON *h;
    if (so.is_error) {
      cJSON *body = emu_error_json_for(c->r->path, &so.err,
                                       c->r->request_id);
      cJSON_AddNumberToObject(e, "code", so.err.status);
      cJSON_AddItemToObject(e, "body", body);
      h = cJSON_AddObjectToObject(e, "headers");
    } else {
      cJSON_AddNumberToObject(e, "code", 200);
      cJSON_AddItemToObject(e, "body", so.body);
      h = cJSON_AddObjectToObject(e, "headers");
      if (so.data_read) {
        cJSON_AddStringToObject(h, "sc-data-age", now);
        cJSON_AddStringToObject(h, "sc-unit-system",
                                c->imperial ? "imperial" : "metric");
        cJSON_AddStringToObject(h, "sc-fetched-at", now);
      }
    }
    cJSON_AddItemToArray(out, e);
  }
  o->body = b;
  sub_free(subs, (size_t)n);
  cJSON_Delete(j);
}

/* ------------------------------------------------------------ helpers */

static int well_formed_version(const char *s, size_t n) {
  size_t i = 0, a = 0, b = 0;
  while (i < n && isdigit((unsigned char)s[i])) i++, a++;
  if (i >= n || s[i] != '.') return 0;
  i++;
  while (i < n && isdigit((unsigned char)s[i])) i++, b++;
  return a > 0 && b > 0 && i == n;
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
  char key[64];
  if (!emu_auth_bearer(r, key, sizeof key)) return NULL;
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
  long limit, offset, total = 0;
  if (parse_paging(c->query, 10, &limit, &offset, o) != 0) return;
  cJSON *b = cJSON_CreateObject();
  cJSON *p = cJSON_CreateObject();
  cJSON_AddItemToObject(b, "paging", p);
  cJSON *a = cJSON_AddArrayToObject(b, "vehicles");
  for (int i = 0; i < c->g->user->n_vehicles; i++) {
    if (!(c->g->vehicle_mask & (1u << i))) continue;
    if (total >= offset && total < offset + limit)
      cJSON_AddItemToArray(a, cJSON_CreateString(c->g->user->vehicles[i].id));
    total++;
  }
  cJSON_AddNumberToObject(p, "count", (double)total);
  cJSON_AddNumberToObject(p, "offset", (double)offset);
  o->body = b;
}

/* Route "rest" (the path after the version). Fills o. */
static void route(emu_req *r, const char *rest, outcome *o) {
  call c;
  memset(&c, 0, sizeof c);
  c.r = r;
  c.query = &r->query;
  const endpoint *ep = NULL;
  int wrong_case = 0;
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
    ep = find_endpoint(r->method, sub, strlen(sub), &wrong_case);
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

  int retry;
  emu_lock();
  c.now = emu_now_ms();
  c.g = authenticate(r);
  if (!c.g) {
    fail(o, "AUTHENTICATION", NULL);
  } else if (emu_limit_app(c.now, &retry)) {
    fail_retry(o, "SMARTCAR_API", retry);
  } else if (kind == R_USER) {
    user(&c, o);
  } else if (kind == R_VEHICLES) {
    vehicles(&c, o);
  } else if (!emu_is_uuid(id)) {
    fail_detail(o, NULL, "vehicle_id", "vehicle id must be a UUID.");
  } else if (!(c.v = emu_grant_vehicle(c.g, id))) {
    fail(o, "PERMISSION", NULL);
  } else if (wrong_case ||
             (ep->scope && !emu_grant_has_scope(c.g, ep->scope))) {
    fail(o, "PERMISSION", NULL);
  } else if (emu_limit_vehicle(c.v, c.now, &retry)) {
    fail_retry(o, "VEHICLE", retry);
  } else if ((c.imperial = unit_system(r)) < 0) {
    c.imperial = 0;
    fail_detail(o, NULL, "sc-unit-system",
                "sc-unit-system must be metric or imperial.");
  } else {
    c.owner = c.g->user;
    c.index = (int)(c.v - c.owner->vehicles);
    emu_vehicle_sync(c.v, c.now);
    run_endpoint(ep, wrong_case, &c, o, 1);
  }
  emu_unlock();
  o->imperial = c.imperial;
  o->now = c.now;
}

enum MHD_Result emu_api_handle(emu_req *r) {
  const char *v = r->path + 2; /* after "/v" */
  const char *slash = strchr(v, '/');
  size_t vlen = slash ? (size_t)(slash - v) : strlen(v);
  if (!well_formed_version(v, vlen)) {
    emu_error e = {.type = "RESOURCE_NOT_FOUND", .code = "VERSION"};
    return emu_respond_err(r, &e);
  }
  outcome o;
  memset(&o, 0, sizeof o);
  route(r, slash ? slash : "", &o);
  if (o.not_found) return emu_respond_not_found(r);
  if (o.is_error) return emu_respond_err(r, &o.err);
  if (!o.data_read) return emu_respond_json(r, MHD_HTTP_OK, o.body, NULL, 0);
  char now[32];
  emu_iso8601(now, o.now);
  emu_hdr h[] = {{"SC-Data-Age", now},
                 {"SC-Fetched-At", now},
                 {"SC-Unit-System", o.imperial ? "imperial" : "metric"}};
  return emu_respond_json(r, MHD_HTTP_OK, o.body, h, 3);
}
