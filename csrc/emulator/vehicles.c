/* Vehicle state: where each car starts (derived from the seed), how it
 * moves along the emulator clock, and the control API's view of it.
 *
 * The state is advanced lazily: emu_vehicle_sync(v, now) integrates from
 * the last sync to now. Driving and charging exclude each other, so each
 * step is a single linear phase (clamped when the energy runs out or the
 * charge limit is reached) and the result does not depend on how often a
 * vehicle is looked at. A clock moved backwards leaves the state alone
 * until the clock passes the last sync again. */
#include "emu.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define KM_PER_DEG_LAT 111.32
#define CHARGER_VOLTS 240.0

typedef struct kind_spec {
  double battery_kwh, kwh_per_km, charge_kw; /* charge_kw 0: volts * amps */
  double tank_l, l_per_km;
} kind_spec;

static const kind_spec specs[] = {
    [EMU_BEV] = {75.0, 0.15, 0.0, 0.0, 0.0},
    [EMU_PHEV] = {18.1, 0.20, 3.3, 55.0, 0.06},
    [EMU_ICE] = {0.0, 0.0, 0.0, 98.4, 0.125},
};

static const struct {
  double lat, lon;
} cities[] = {
    {37.7749, -122.4194}, {40.7128, -74.0060}, {52.5200, 13.4050},
    {48.8566, 2.3522},    {43.6532, -79.3832}, {34.0522, -118.2437},
};

const char *emu_engine_name(emu_engine e) {
  return e == EMU_BEV ? "BEV" : e == EMU_PHEV ? "PHEV" : "ICE";
}

static int has_battery(const emu_vehicle *v) { return v->engine != EMU_ICE; }
static int has_tank(const emu_vehicle *v) { return v->engine != EMU_BEV; }

void emu_vehicle_init(emu_vehicle *v, const unsigned char d[32], int64_t now) {
  v->synced_ms = now;
  v->battery = has_battery(v) ? 0.35 + (double)(d[0] % 50) / 100.0 : 0.0;
  v->fuel = has_tank(v) ? 0.25 + (double)(d[1] % 60) / 100.0 : 0.0;
  static const double limits[] = {0.8, 0.9, 1.0};
  v->charge_limit = has_battery(v) ? limits[d[2] % 3] : 1.0;
  if (v->battery > v->charge_limit) v->battery = v->charge_limit - 0.05;
  size_t c = d[3] % (sizeof cities / sizeof *cities);
  double lat = cities[c].lat + ((double)d[4] - 128.0) / 2560.0;
  double lon = cities[c].lon + ((double)d[15] - 128.0) / 2560.0;
  v->heading_deg = (double)(d[5] * 360 / 256);
  v->speed_kmh = 60.0;
  emu_vehicle_set_position(v, round(lat * 1e4) / 1e4, round(lon * 1e4) / 1e4);
  v->oil_life = has_tank(v) ? 0.3 + (double)(d[6] % 60) / 100.0 : 0.0;
  v->oil_odo_km = v->odometer_km;
  int base = 2300 + d[7] % 300; /* tenths of kPa */
  for (int i = 0; i < 4; i++) {
    int t = base + d[9 + i] % 11 - 5;
    if (t % 10 == 0) t += 3; /* keep a fraction: the API sends floats */
    v->tire_kpa[i] = t / 10.0;
  }
  v->temp_ext_c = 5.0 + d[13] % 25 + 0.5;
  v->temp_int_c = 21.5;
  v->amperage = 32.0;
  v->plugged_in = v->engine == EMU_BEV && d[14] % 2 == 0;
  v->charging = 0;
  v->driving = 0;
  v->locked = 1;
  v->asleep = 0;
  v->has_dest = 0;
  v->last_request_ms = 0;
}

/* ------------------------------------------------------------ readings */

double emu_vehicle_battery_kwh(const emu_vehicle *v) {
  return specs[v->engine].battery_kwh;
}

double emu_vehicle_battery_range_km(const emu_vehicle *v) {
  const kind_spec *k = &specs[v->engine];
  return k->kwh_per_km > 0 ? v->battery * k->battery_kwh / k->kwh_per_km : 0;
}

double emu_vehicle_fuel_liters(const emu_vehicle *v) {
  return v->fuel * specs[v->engine].tank_l;
}

double emu_vehicle_fuel_range_km(const emu_vehicle *v) {
  const kind_spec *k = &specs[v->engine];
  return k->l_per_km > 0 ? v->fuel * k->tank_l / k->l_per_km : 0;
}

double emu_vehicle_oil_life(const emu_vehicle *v) {
  double l = v->oil_life - (v->odometer_km - v->oil_odo_km) / 15000.0;
  return l < 0 ? 0 : l;
}

double emu_vehicle_voltage(const emu_vehicle *v) {
  return v->plugged_in ? CHARGER_VOLTS : 0.0;
}

double emu_vehicle_charge_kw(const emu_vehicle *v) {
  if (strcmp(emu_vehicle_charge_state(v), "CHARGING") != 0) return 0;
  const kind_spec *k = &specs[v->engine];
  return k->charge_kw > 0 ? k->charge_kw
                          : CHARGER_VOLTS * v->amperage / 1000.0;
}

const char *emu_vehicle_charge_state(const emu_vehicle *v) {
  if (!v->plugged_in || !v->charging) return "NOT_CHARGING";
  return v->battery >= v->charge_limit - 1e-9 ? "FULLY_CHARGED" : "CHARGING";
}

/* -------------------------------------------------------------- motion */

static void update_position(emu_vehicle *v) {
  double d = v->odometer_km - v->leg_odo_km;
  double h = v->heading_deg * M_PI / 180.0;
  double lat = v->leg_lat + d * cos(h) / KM_PER_DEG_LAT;
  if (lat > 89.9) lat = 89.9;
  if (lat < -89.9) lat = -89.9;
  double mid = (lat + v->leg_lat) / 2.0 * M_PI / 180.0;
  double lon = v->leg_lon + d * sin(h) / (KM_PER_DEG_LAT * cos(mid));
  lon = fmod(lon + 180.0, 360.0);
  if (lon < 0) lon += 360.0;
  v->latitude = lat;
  v->longitude = lon - 180.0;
}

void emu_vehicle_set_position(emu_vehicle *v, double lat, double lon) {
  v->latitude = v->leg_lat = lat;
  v->longitude = v->leg_lon = lon;
  v->leg_odo_km = v->odometer_km;
}

void emu_vehicle_set_driving(emu_vehicle *v, int on) {
  if (on && !v->driving) {
    v->plugged_in = 0;
    v->charging = 0;
    emu_vehicle_set_position(v, v->latitude, v->longitude);
  }
  v->driving = on ? 1 : 0;
}

/* Distance the energy on board allows. */
static double reach_km(const emu_vehicle *v) {
  return emu_vehicle_battery_range_km(v) + emu_vehicle_fuel_range_km(v);
}

static void use_energy(emu_vehicle *v, double km) {
  const kind_spec *k = &specs[v->engine];
  if (has_battery(v)) {
    double e = km < emu_vehicle_battery_range_km(v)
                   ? km
                   : emu_vehicle_battery_range_km(v);
    v->battery -= e * k->kwh_per_km / k->battery_kwh;
    if (v->battery < 0) v->battery = 0;
    km -= e;
  }
  if (has_tank(v) && km > 0) {
    v->fuel -= km * k->l_per_km / k->tank_l;
    if (v->fuel < 0) v->fuel = 0;
  }
}

void emu_vehicle_sync(emu_vehicle *v, int64_t now) {
  if (now <= v->synced_ms) return;
  double hours = (double)(now - v->synced_ms) / 3.6e6;
  v->synced_ms = now;
  if (v->driving) {
    double d = v->speed_kmh * hours, max = reach_km(v);
    if (d >= max) {
      d = max;
      v->driving = 0; /* ran dry and stopped */
    }
    use_energy(v, d);
    v->odometer_km += d;
    update_position(v);
  } else if (v->plugged_in && v->charging && has_battery(v) &&
             v->battery < v->charge_limit) {
    const kind_spec *k = &specs[v->engine];
    double kw = k->charge_kw > 0 ? k->charge_kw
                                 : CHARGER_VOLTS * v->amperage / 1000.0;
    v->battery += kw * hours / k->battery_kwh;
    if (v->battery >= v->charge_limit) {
      v->battery = v->charge_limit;
      emu_webhooks_vehicle_event(v->id, "CHARGING_COMPLETED");
    }
  }
}

/* ------------------------------------------------------ control API view */

static const char *const tire_names[4] = {"frontLeft", "frontRight",
                                          "backLeft", "backRight"};

/* The state fields the control API shows as they are stored: a flag (int)
 * or a number (double), possibly of a part the vehicle may lack (null
 * there). emu_vehicle_apply takes numbers within [lo, hi]; it sets the
 * plain fields as they come, SF_OWN ones by rules of their own. */
enum { SF_FLAG = 1, SF_NUMBER = 2, SF_BATTERY = 4, SF_TANK = 8, SF_OWN = 16 };
typedef struct state_field {
  const char *name;
  size_t off;
  unsigned kind;
  double lo, hi;
} state_field;

#define SF(name, member, kind, lo, hi) \
  {name, offsetof(emu_vehicle, member), kind, lo, hi}
static const state_field state_fields[] = {
    SF("plugged_in", plugged_in, SF_FLAG | SF_OWN, 0, 0),
    SF("charging", charging, SF_FLAG | SF_OWN, 0, 0),
    SF("driving", driving, SF_FLAG | SF_OWN, 0, 0),
    SF("locked", locked, SF_FLAG, 0, 0),
    SF("asleep", asleep, SF_FLAG, 0, 0),
    SF("percent_remaining", battery, SF_NUMBER | SF_BATTERY, 0, 1),
    SF("charge_limit", charge_limit, SF_NUMBER | SF_BATTERY, 0.5, 1),
    SF("fuel_percent", fuel, SF_NUMBER | SF_TANK, 0, 1),
    SF("odometer_km", odometer_km, SF_NUMBER | SF_OWN, 0, 1e7),
    SF("latitude", latitude, SF_NUMBER | SF_OWN, -90, 90),
    SF("longitude", longitude, SF_NUMBER | SF_OWN, -180, 180),
    SF("heading", heading_deg, SF_NUMBER | SF_OWN, 0, 360),
    SF("speed_kmh", speed_kmh, SF_NUMBER, 0, 400),
    SF("exterior_temp_c", temp_ext_c, SF_NUMBER, -80, 80),
    SF("interior_temp_c", temp_int_c, SF_NUMBER, -80, 80),
    SF("charge_amperage", amperage, SF_NUMBER, 1, 80),
};
#undef SF

static const state_field *state_field_find(const char *name) {
  for (size_t i = 0; i < sizeof state_fields / sizeof *state_fields; i++)
    if (strcmp(state_fields[i].name, name) == 0) return &state_fields[i];
  return NULL;
}

/* 0 when f belongs to a part v lacks. */
static int has_part(const emu_vehicle *v, const state_field *f) {
  return !((f->kind & SF_BATTERY) && !has_battery(v)) &&
         !((f->kind & SF_TANK) && !has_tank(v));
}

cJSON *emu_vehicle_state_json(const emu_vehicle *v) {
  cJSON *o = cJSON_CreateObject();
  for (size_t i = 0; i < sizeof state_fields / sizeof *state_fields; i++) {
    const state_field *f = &state_fields[i];
    const char *p = (const char *)v + f->off;
    if (!has_part(v, f))
      cJSON_AddNullToObject(o, f->name);
    else if (f->kind & SF_FLAG)
      cJSON_AddBoolToObject(o, f->name, *(const int *)p);
    else
      cJSON_AddNumberToObject(o, f->name, *(const double *)p);
  }
  emu_json_str_or_null(o, "charge_state",
                       has_battery(v) ? emu_vehicle_charge_state(v) : NULL);
  if (has_tank(v))
    cJSON_AddNumberToObject(o, "oil_life", emu_vehicle_oil_life(v));
  else
    cJSON_AddNullToObject(o, "oil_life");
  cJSON *t = cJSON_AddObjectToObject(o, "tire_pressure_kpa");
  for (int i = 0; i < 4; i++)
    cJSON_AddNumberToObject(t, tire_names[i], v->tire_kpa[i]);
  if (v->has_dest) {
    cJSON *d = cJSON_AddObjectToObject(o, "destination");
    cJSON_AddNumberToObject(d, "latitude", v->dest_lat);
    cJSON_AddNumberToObject(d, "longitude", v->dest_lon);
  } else {
    cJSON_AddNullToObject(o, "destination");
  }
  return o;
}

typedef struct apply_ctx {
  const char **field;
  char *msg;
  size_t msglen;
} apply_ctx;

static int bad(apply_ctx *c, const char *field, const char *fmt) {
  *c->field = field;
  snprintf(c->msg, c->msglen, fmt, field);
  return -1;
}

static int number(apply_ctx *c, const cJSON *it, double lo, double hi,
                  double *out) {
  if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) ||
      it->valuedouble < lo || it->valuedouble > hi) {
    *c->field = it->string;
    snprintf(c->msg, c->msglen, "%s must be a number between %g and %g.",
             it->string, lo, hi);
    return -1;
  }
  *out = it->valuedouble;
  return 0;
}

#define NO_BATTERY "%s: this vehicle has no traction battery."

static int boolean(apply_ctx *c, const cJSON *it, int *out) {
  if (!cJSON_IsBool(it)) return bad(c, it->string, "%s must be true or false.");
  *out = cJSON_IsTrue(it);
  return 0;
}

/* A plain state field f of n (a copy of v) from it. */
static int plain_field(apply_ctx *c, const emu_vehicle *v, emu_vehicle *n,
                       const state_field *f, const cJSON *it) {
  char *p = (char *)n + f->off;
  if (!has_part(v, f))
    return bad(c, it->string,
               f->kind & SF_TANK ? "%s: this vehicle has no fuel tank."
                                 : NO_BATTERY);
  if (f->kind & SF_FLAG) return boolean(c, it, (int *)p);
  return number(c, it, f->lo, f->hi, (double *)p);
}

int emu_vehicle_apply(emu_vehicle *v, const cJSON *fields, const char **field,
                      char *msg, size_t msglen) {
  apply_ctx c = {field, msg, msglen};
  emu_vehicle n = *v; /* work on a copy: all or nothing */
  int plug = -1, charge = -1, drive = -1, have_lat = 0, have_lon = 0;
  double lat = v->latitude, lon = v->longitude;
  const cJSON *it;
  if (!cJSON_IsObject(fields)) {
    *field = "body";
    snprintf(msg, msglen, "Body must be a JSON object of state fields.");
    return -1;
  }
  cJSON_ArrayForEach(it, fields) {
    const char *k = it->string;
    const state_field *f = state_field_find(k);
    int rc = 0;
    double x;
    if (f && !(f->kind & SF_OWN)) {
      rc = plain_field(&c, v, &n, f, it);
    } else if (strcmp(k, "plugged_in") == 0) {
      rc = boolean(&c, it, &plug);
      if (!rc && plug && !has_battery(v))
        rc = bad(&c, k, "%s: this vehicle has no charging port.");
    } else if (strcmp(k, "charging") == 0) {
      rc = boolean(&c, it, &charge);
      if (!rc && charge && !has_battery(v))
        rc = bad(&c, k, NO_BATTERY);
    } else if (strcmp(k, "driving") == 0) {
      rc = boolean(&c, it, &drive);
    } else if (strcmp(k, "oil_life") == 0) {
      rc = has_tank(v) ? number(&c, it, 0, 1, &n.oil_life)
                       : bad(&c, k, "%s: this vehicle has no engine oil.");
      if (!rc)
        n.oil_odo_km = n.odometer_km;
    } else if (strcmp(k, "latitude") == 0) {
      rc = number(&c, it, f->lo, f->hi, &lat);
      have_lat = 1;
    } else if (strcmp(k, "longitude") == 0) {
      rc = number(&c, it, f->lo, f->hi, &lon);
      have_lon = 1;
    } else if (strcmp(k, "heading") == 0) {
      rc = number(&c, it, f->lo, f->hi, &x);
      if (!rc) {
        n.heading_deg = fmod(x, 360.0);
        have_lat = 1; /* a new leg starts here */
      }
    } else if (strcmp(k, "odometer_km") == 0) {
      rc = number(&c, it, f->lo, f->hi, &x);
      if (!rc) {
        n.oil_odo_km += x - n.odometer_km;
        n.odometer_km = x;
        have_lat = 1;
      }
    } else if (strcmp(k, "tire_pressure_kpa") == 0) {
      if (cJSON_IsNumber(it)) {
        rc = number(&c, it, 0, 1000, &x);
        for (int i = 0; !rc && i < 4; i++) n.tire_kpa[i] = x;
      } else if (cJSON_IsObject(it)) {
        const cJSON *t;
        cJSON_ArrayForEach(t, it) {
          int i = 0;
          while (i < 4 && strcmp(tire_names[i], t->string) != 0) i++;
          if (i == 4) {
            rc = bad(&c, k, "%s keys are frontLeft, frontRight, backLeft, "
                            "backRight.");
            break;
          }
          if ((rc = number(&c, t, 0, 1000, &n.tire_kpa[i]))) break;
        }
      } else {
        rc = bad(&c, k, "%s must be a number or an object of four numbers.");
      }
    } else {
      rc = bad(&c, k, "Unknown state field %s.");
    }
    if (rc) return -1;
  }
  if (have_lat || have_lon) emu_vehicle_set_position(&n, lat, lon);
  /* driving, plugged in and charging must agree; fields the request does
   * not name follow the ones it does */
  if (drive == 1 && plug == 1)
    return bad(&c, "driving", "%s: a plugged-in vehicle cannot drive.");
  if (drive == 1 && charge == 1)
    return bad(&c, "driving", "%s: a charging vehicle cannot drive.");
  if (drive >= 0) emu_vehicle_set_driving(&n, drive);
  if (plug == 0 && charge == 1)
    return bad(&c, "charging", "%s needs plugged_in.");
  if (plug >= 0) {
    n.plugged_in = plug;
    if (!plug) n.charging = 0;
    if (plug) n.driving = 0;
  }
  if (charge >= 0) {
    if (charge && !n.plugged_in)
      return bad(&c, "charging", "%s needs plugged_in.");
    n.charging = charge;
  }
  if (n.charging != v->charging)
    emu_webhooks_vehicle_event(v->id, n.charging ? "CHARGING_STARTED"
                                                 : "CHARGING_STOPPED");
  else
    emu_webhooks_vehicle_event(v->id, "SIGNAL_UPDATED"); /* v4 hooks */
  *v = n;
  return 0;
}
