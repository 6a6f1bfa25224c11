/* What each Vehicle API endpoint answers: the data reads, the commands
 * and the make-specific paths, from the vehicle's state (vehicles.c) in
 * the request's unit system. api.c's table routes to these; they run with
 * the state lock held and leave the body (or a failure) in the outcome. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KM_PER_MILE 1.609344
#define L_PER_GALLON 3.785411784
#define PSI_PER_KPA 0.1450377377
#define DAY_MS (86400LL * 1000)

static const char command_ok[] = "Successfully sent request to vehicle";

void api_fail(outcome *o, const char *type, const char *code) {
  o->is_error = 1;
  o->err.type = type;
  o->err.code = code;
}

void api_fail_detail(outcome *o, const char *code, const char *field,
                        const char *msg) {
  api_fail(o, "VALIDATION", code);
  o->err.detail = emu_error_detail(field, msg);
}

void api_fail_retry(outcome *o, const char *code, int retry_after) {
  api_fail(o, "RATE_LIMIT", code);
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

/* A new JSON object, the answer's body. */
static cJSON *new_body(outcome *o) { return o->body = cJSON_CreateObject(); }

/* The body {key: x}. */
static void number_body(outcome *o, const char *key, double x) {
  cJSON_AddNumberToObject(new_body(o), key, x);
}

static void ok_command(outcome *o) {
  cJSON *b = new_body(o);
  cJSON_AddStringToObject(b, "status", "success");
  cJSON_AddStringToObject(b, "message", command_ok);
}

/* The request body as a JSON object, or a VALIDATION failure. Caller
 * deletes the result. */
cJSON *api_command_body(call *c, outcome *o) {
  cJSON *j = emu_body_json(c->r);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    api_fail_detail(o, NULL, "body", "Body must be a JSON object.");
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

void api_attributes(call *c, outcome *o) {
  cJSON *b = new_body(o);
  cJSON_AddStringToObject(b, "id", c->v->id);
  cJSON_AddStringToObject(b, "make", c->v->make);
  cJSON_AddStringToObject(b, "model", c->v->model);
  cJSON_AddNumberToObject(b, "year", c->v->year);
}

void api_vin(call *c, outcome *o) {
  cJSON *b = new_body(o);
  cJSON_AddStringToObject(b, "vin", c->v->vin);
}

void api_odometer(call *c, outcome *o) {
  number_body(o, "distance", distance(c, c->v->odometer_km));
}

void api_location(call *c, outcome *o) {
  cJSON *b = new_body(o);
  cJSON_AddNumberToObject(b, "latitude", round_to(c->v->latitude, 6));
  cJSON_AddNumberToObject(b, "longitude", round_to(c->v->longitude, 6));
}

void api_fuel(call *c, outcome *o) {
  double l = emu_vehicle_fuel_liters(c->v);
  cJSON *b = new_body(o);
  cJSON_AddNumberToObject(b, "range",
                          round_to(distance(c, emu_vehicle_fuel_range_km(c->v)),
                                   1));
  cJSON_AddNumberToObject(b, "percentRemaining", round_to(c->v->fuel, 4));
  cJSON_AddNumberToObject(
      b, "amountRemaining", round_to(c->imperial ? l / L_PER_GALLON : l, 2));
}

void api_battery(call *c, outcome *o) {
  cJSON *b = new_body(o);
  cJSON_AddNumberToObject(
      b, "range", round_to(distance(c, emu_vehicle_battery_range_km(c->v)), 1));
  cJSON_AddNumberToObject(b, "percentRemaining", round_to(c->v->battery, 4));
}

void api_battery_capacity(call *c, outcome *o) {
  number_body(o, "capacity", emu_vehicle_battery_kwh(c->v));
}

static cJSON *capacity_option(double kwh, const char *description) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "capacity", kwh);
  emu_json_str_or_null(e, "description", description);
  return e;
}

/* The BEV knows its capacity; the PHEV leaves it undetermined and offers
 * the selection URL instead, so both shapes of the spec occur. */
void api_nominal_capacity(call *c, outcome *o) {
  double kwh = emu_vehicle_battery_kwh(c->v);
  cJSON *b = new_body(o);
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
}

void api_charge(call *c, outcome *o) {
  cJSON *b = new_body(o);
  cJSON_AddBoolToObject(b, "isPluggedIn", c->v->plugged_in);
  cJSON_AddStringToObject(b, "state", emu_vehicle_charge_state(c->v));
}

void api_charge_limit(call *c, outcome *o) {
  number_body(o, "limit", round_to(c->v->charge_limit, 4));
}

void api_engine_oil(call *c, outcome *o) {
  number_body(o, "lifeRemaining", round_to(emu_vehicle_oil_life(c->v), 4));
}

void api_tire_pressure(call *c, outcome *o) {
  static const char *const names[4] = {"frontLeft", "frontRight", "backLeft",
                                       "backRight"};
  cJSON *b = new_body(o);
  for (int i = 0; i < 4; i++) {
    double p = c->v->tire_kpa[i];
    cJSON_AddNumberToObject(b, names[i],
                            round_to(c->imperial ? p * PSI_PER_KPA : p, 1));
  }
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

void api_security(call *c, outcome *o) {
  static const char *const corners[] = {"frontLeft", "frontRight", "backLeft",
                                        "backRight"};
  static const char *const sunroof[] = {"sunroof"};
  static const char *const storage[] = {"front", "rear"};
  static const char *const port[] = {"chargingPort"};
  const emu_vehicle *v = c->v;
  cJSON *b = new_body(o);
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
  emu_json_str_or_null(t, "taskId", id);
  emu_json_str_or_null(t, "taskDescription", description);
  return t;
}

/* Records at fixed dates derived from the seed: one every 5-7 months from
 * the delivery in the model year up to the current clock. Without a range
 * the last year is shown. */
void api_service_history(call *c, outcome *o) {
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
    api_fail_detail(o, "PARAMETER", ename,
                "Dates are YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.SSSZ.");
    return;
  }
  start = end - 365 * DAY_MS;
  if (s && parse_date(s, 0, &start) != 0) {
    api_fail_detail(o, "PARAMETER", sname,
                "Dates are YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.SSSZ.");
    return;
  }
  if (start > end) {
    api_fail_detail(o, "PARAMETER", sname, "The start date is after the end date.");
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

void api_system_status(call *c, outcome *o) {
  static const char *const common[] = {
      "SYSTEM_AIRBAG",        "SYSTEM_ABS",
      "SYSTEM_TPMS",          "SYSTEM_BRAKE_FLUID",
      "SYSTEM_ELECTRIC_POWER_STEERING", "SYSTEM_LOW_VOLTAGE_BATTERY"};
  const emu_vehicle *v = c->v;
  unsigned char d[32];
  emu_derive(d, emu_cfg.seed, v->id, "diagnostics");
  int low_tire = 0;
  for (int i = 0; i < 4; i++) low_tire |= v->tire_kpa[i] < 180.0;
  cJSON *b = new_body(o);
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
    emu_json_str_or_null(s, "description", desc);
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
}

void api_dtcs(call *c, outcome *o) {
  static const char *const codes[] = {"P0420", "P0171", "C0035",
                                      "U0100", "B1318", "P0A80"};
  unsigned char d[32];
  emu_derive(d, emu_cfg.seed, c->v->id, "diagnostics");
  cJSON *b = new_body(o);
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
}

static long parse_long(const char *s, long *out) {
  if (!s || !*s || strlen(s) > 9) return -1;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p)) return -1;
  *out = strtol(s, NULL, 10);
  return 0;
}

/* ?limit (1..50, default given) & ?offset (>= 0, default 0). */
int api_parse_paging(const emu_kvlist *q, long def, long *limit,
                        long *offset, outcome *o) {
  const char *l = emu_kv_get(q, "limit");
  const char *f = emu_kv_get(q, "offset");
  *limit = def;
  *offset = 0;
  if (l && (parse_long(l, limit) != 0 || *limit < 1 || *limit > 50)) {
    api_fail_detail(o, "PARAMETER", "limit",
                "limit must be an integer between 1 and 50.");
    return -1;
  }
  if (f && parse_long(f, offset) != 0) {
    api_fail_detail(o, "PARAMETER", "offset",
                "offset must be a non-negative integer.");
    return -1;
  }
  return 0;
}

cJSON *api_paging(long count, long offset) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "count", (double)count);
  cJSON_AddNumberToObject(p, "offset", (double)offset);
  return p;
}

void api_permissions(call *c, outcome *o) {
  long limit, offset;
  if (api_parse_paging(c->query, 25, &limit, &offset, o) != 0) return;
  cJSON *b = new_body(o);
  cJSON *a = cJSON_AddArrayToObject(b, "permissions");
  long n = (long)c->g->n_scopes;
  for (long i = offset; i < n && i < offset + limit; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(c->g->scopes[i]));
  cJSON_AddItemToObject(b, "paging", api_paging(n, offset));
}

/* ------------------------------------------------------------- commands */

/* The body's "action": 1 when it is yes, 0 when it is no, else -1 with a
 * failure in o. */
static int command_action(call *c, outcome *o, const char *yes,
                          const char *no) {
  cJSON *j = api_command_body(c, o);
  if (!j) return -1;
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "action");
  const char *s = cJSON_IsString(a) ? a->valuestring : "";
  int which = strcmp(s, yes) == 0 ? 1 : strcmp(s, no) == 0 ? 0 : -1;
  cJSON_Delete(j);
  if (which < 0) {
    char msg[64];
    snprintf(msg, sizeof msg, "action must be %s or %s.", yes, no);
    api_fail_detail(o, "PARAMETER", "action", msg);
  }
  return which;
}

/* The body's number field when it lies in [lo, hi] (0), else -1 with a
 * PARAMETER failure saying msg. */
static int body_number(const cJSON *j, const char *field, double lo,
                       double hi, const char *msg, outcome *o, double *out) {
  if (json_number(cJSON_GetObjectItemCaseSensitive(j, field), out) == 0 &&
      *out >= lo && *out <= hi)
    return 0;
  api_fail_detail(o, "PARAMETER", field, msg);
  return -1;
}

/* A command that sets one vehicle setting from the body's number field. */
static void set_number(call *c, outcome *o, const char *field, double lo,
                       double hi, const char *msg, double *setting) {
  cJSON *j = api_command_body(c, o);
  double x;
  if (j && body_number(j, field, lo, hi, msg, o, &x) == 0) {
    *setting = x;
    ok_command(o);
  }
  cJSON_Delete(j);
}

void api_charge_command(call *c, outcome *o) {
  int start = command_action(c, o, "START", "STOP");
  if (start < 0) return;
  if (!c->v->plugged_in) {
    api_fail(o, "VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED");
    return;
  }
  if (c->v->charging != start)
    emu_webhooks_vehicle_event(c->v->id, start ? "CHARGING_STARTED"
                                               : "CHARGING_STOPPED");
  c->v->charging = start;
  ok_command(o);
}

void api_set_charge_limit(call *c, outcome *o) {
  set_number(c, o, "limit", 0.5, 1.0,
             "limit must be a number between 0.5 and 1.",
             &c->v->charge_limit);
}

void api_lock_command(call *c, outcome *o) {
  int lock = command_action(c, o, "LOCK", "UNLOCK");
  if (lock < 0) return;
  c->v->locked = lock;
  ok_command(o);
}

void api_destination(call *c, outcome *o) {
  cJSON *j = api_command_body(c, o);
  double lat, lon;
  if (j &&
      body_number(j, "latitude", -90, 90,
                  "Invalid latitude value. It must be between -90 and 90.", o,
                  &lat) == 0 &&
      body_number(j, "longitude", -180, 180,
                  "Invalid longitude value. It must be between -180 and 180.",
                  o, &lon) == 0) {
    c->v->dest_lat = lat;
    c->v->dest_lon = lon;
    c->v->has_dest = 1;
    ok_command(o);
  }
  cJSON_Delete(j);
}

void api_disconnect(call *c, outcome *o) {
  emu_connection_revoke(c->owner, c->index);
  cJSON *b = new_body(o);
  cJSON_AddStringToObject(b, "status", "success");
}

/* --------------------------------------------------------- Tesla paths */

void api_ammeter(call *c, outcome *o) {
  number_body(o, "amperage", c->v->amperage);
}

void api_set_ammeter(call *c, outcome *o) {
  set_number(c, o, "amperage", 1, 48,
             "amperage must be a number between 1 and 48.", &c->v->amperage);
}

void api_voltmeter(call *c, outcome *o) {
  number_body(o, "voltage", emu_vehicle_voltage(c->v));
}

void api_wattmeter(call *c, outcome *o) {
  int charging = strcmp(emu_vehicle_charge_state(c->v), "CHARGING") == 0;
  number_body(o, "wattage",
              charging ? emu_vehicle_voltage(c->v) * c->v->amperage : 0);
}

void api_compass(call *c, outcome *o) {
  static const char *const points[] = {"N", "NE", "E", "SE",
                                       "S", "SW", "W", "NW"};
  double h = c->v->heading_deg;
  cJSON *b = new_body(o);
  cJSON_AddStringToObject(b, "direction",
                          points[(int)floor(fmod(h + 22.5, 360.0) / 45.0) % 8]);
  cJSON_AddNumberToObject(b, "heading", round_to(h, 1));
}

void api_speedometer(call *c, outcome *o) {
  double s = c->v->driving ? c->v->speed_kmh : 0;
  number_body(o, "speed", round_to(c->imperial ? s / KM_PER_MILE : s, 1));
}

static void thermometer(call *c, outcome *o, double celsius) {
  number_body(o, "temperature",
              round_to(c->imperial ? celsius * 9.0 / 5.0 + 32.0 : celsius, 1));
}

void api_exterior(call *c, outcome *o) { thermometer(c, o, c->v->temp_ext_c); }
void api_interior(call *c, outcome *o) { thermometer(c, o, c->v->temp_int_c); }

void api_user_access(call *c, outcome *o) {
  cJSON *b = new_body(o);
  cJSON_AddStringToObject(b, "accessType", "OWNER");
  cJSON *a = cJSON_AddArrayToObject(b, "permissions");
  for (size_t i = 0; i < c->g->n_scopes; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(c->g->scopes[i]));
}

void api_tesla_battery(call *c, outcome *o) {
  double km = emu_vehicle_battery_range_km(c->v), pct = c->v->battery;
  cJSON *b = new_body(o);
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
void api_charge_completion(call *c, outcome *o) {
  cJSON *b = new_body(o);
  add_completion(c, b, "time");
}

void api_audi_charge(call *c, outcome *o) {
  const char *state = emu_vehicle_charge_state(c->v);
  double kw = emu_vehicle_charge_kw(c->v);
  double km_per_h =
      emu_vehicle_battery_kwh(c->v) > 0 && c->v->battery > 0
          ? kw * emu_vehicle_battery_range_km(c->v) /
                (c->v->battery * emu_vehicle_battery_kwh(c->v))
          : 0;
  cJSON *b = new_body(o);
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
}

