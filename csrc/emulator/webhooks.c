/* Webhooks: registration and verification (control API), vehicle
 * subscriptions (Vehicle API), signed deliveries and their log.
 *
 *   POST   /v2.0/vehicles/{id}/webhooks/{webhook_id}   Bearer access token
 *   DELETE /v2.0/vehicles/{id}/webhooks/{webhook_id}   Bearer AMT
 *   POST   /_emulator/webhooks                  register + VERIFY challenge
 *   GET    /_emulator/webhooks                  list
 *   POST   /_emulator/webhooks/{id}/verify      send the challenge again
 *   DELETE /_emulator/webhooks/{id}             forget it
 *   POST   /_emulator/webhooks/{id}/deliver     deliver to subscribed cars
 *   GET|DELETE /_emulator/webhooks/deliveries   the delivery log
 *
 * Locking: wh_mutex guards everything here. The state lock may be held
 * when wh_mutex is taken (emu_webhooks_vehicle_event), never the other way
 * round, and no lock is held while a callback is being called. */
#include "emu.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define WH_ID_MAX 64
#define WH_TIMEOUT_MS 5000
#define WH_LOG_MAX 1000
#define WH_QUEUE_MAX 256

static const char auth_desc[] =
    "The authorization header is missing or malformed, or it contains "
    "invalid or expired authentication credentials. Please check for "
    "missing parameters, spelling and casing mistakes, and other syntax "
    "issues.";
static const char perm_desc[] =
    "Your application has insufficient permissions to access the requested "
    "resource. Please prompt the user to re-authenticate using Smartcar "
    "Connect.";
static const char validation_desc[] =
    "Request invalid or malformed. Please check for missing parameters, "
    "spelling and casing mistakes, and other syntax issues.";

typedef struct sub {
  char vehicle_id[37];
  int delivered; /* a VEHICLE_STATE went out: later ones are updates */
} sub;

typedef struct webhook {
  char id[WH_ID_MAX + 1];
  char *url, *name;
  int version; /* 2 or 4 */
  int verified;
  sub *subs;
  size_t n_subs, cap_subs;
  struct webhook *next;
} webhook;

typedef struct delivery {
  char webhook_id[WH_ID_MAX + 1];
  char vehicle_id[37]; /* "" = none (VERIFY) */
  char event_type[32];
  int status;          /* HTTP status from the callback, 0 = none */
  char *body, *error, *url;
  char signature[65];
  int64_t time_ms;
} delivery;

static pthread_mutex_t wh_mutex = PTHREAD_MUTEX_INITIALIZER;
static webhook *hooks;
static delivery log_ring[WH_LOG_MAX];
static size_t log_start, log_count;

/* ------------------------------------------------------------ helpers */

static void hmac_hex(const char *msg, size_t len, char out[65]) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mlen = 0;
  const char *key = emu_cfg.management_token;
  HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, len,
       mac, &mlen);
  static const char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < 32 && i < mlen; i++) {
    out[2 * i] = hex[mac[i] >> 4];
    out[2 * i + 1] = hex[mac[i] & 15];
  }
  out[64] = '\0';
}

static webhook *hook_find(const char *id) {
  for (webhook *w = hooks; w; w = w->next)
    if (strcmp(w->id, id) == 0) return w;
  return NULL;
}

static sub *sub_find(webhook *w, const char *vehicle_id) {
  for (size_t i = 0; i < w->n_subs; i++)
    if (emu_strcaseeq(w->subs[i].vehicle_id, vehicle_id)) return &w->subs[i];
  return NULL;
}

static void hook_free(webhook *w) {
  free(w->url);
  free(w->name);
  free(w->subs);
  free(w);
}

static void delivery_clear(delivery *d) {
  free(d->body);
  free(d->error);
  free(d->url);
  memset(d, 0, sizeof *d);
}

/* Appends a copy to the log (dropping the oldest past WH_LOG_MAX). */
static void log_add(const delivery *d) {
  pthread_mutex_lock(&wh_mutex);
  delivery *slot;
  if (log_count == WH_LOG_MAX) {
    slot = &log_ring[log_start];
    delivery_clear(slot);
    log_start = (log_start + 1) % WH_LOG_MAX;
  } else {
    slot = &log_ring[(log_start + log_count) % WH_LOG_MAX];
    log_count++;
  }
  *slot = *d;
  slot->body = d->body ? emu_strdup(d->body) : NULL;
  slot->error = d->error ? emu_strdup(d->error) : NULL;
  slot->url = d->url ? emu_strdup(d->url) : NULL;
  pthread_mutex_unlock(&wh_mutex);
}

static cJSON *delivery_json(const delivery *d) {
  char when[32];
  emu_iso8601(when, d->time_ms);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "webhook_id", d->webhook_id);
  if (d->vehicle_id[0])
    cJSON_AddStringToObject(o, "vehicle_id", d->vehicle_id);
  else
    cJSON_AddNullToObject(o, "vehicle_id");
  cJSON_AddStringToObject(o, "event_type", d->event_type);
  if (d->status)
    cJSON_AddNumberToObject(o, "status", d->status);
  else
    cJSON_AddNullToObject(o, "status");
  cJSON_AddStringToObject(o, "body", d->body ? d->body : "");
  cJSON_AddStringToObject(o, "signature", d->signature);
  cJSON_AddStringToObject(o, "time", when);
  cJSON_AddStringToObject(o, "callback_url", d->url ? d->url : "");
  if (d->error)
    cJSON_AddStringToObject(o, "error", d->error);
  else
    cJSON_AddNullToObject(o, "error");
  return o;
}


/* Signs body (taken over by d) and POSTs it to url with no lock held;
 * fills d. The reply body is handed back in *reply (caller frees) when
 * reply is not NULL. */
static void send_signed(delivery *d, const char *url, char *body,
                        char **reply) {
  d->body = body;
  d->url = emu_strdup(url);
  d->time_ms = emu_now_ms();
  hmac_hex(body, strlen(body), d->signature);
  emu_hdr h[] = {{"Content-Type", "application/json"},
                 {"SC-Signature", d->signature}};
  emu_http_reply rep;
  if (emu_http_post(url, h, 2, body, strlen(body), WH_TIMEOUT_MS, &rep) == 0) {
    d->status = rep.status;
    if (d->status < 200 || d->status > 299) {
      char msg[64];
      snprintf(msg, sizeof msg, "callback answered HTTP %d", d->status);
      d->error = emu_strdup(msg);
    }
  } else {
    d->error = emu_strdup(rep.error);
  }
  if (reply) {
    *reply = rep.body;
    rep.body = NULL;
  }
  emu_http_reply_free(&rep);
}

static char *print(cJSON *j) {
  char *t = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  char *s = emu_strdup(t ? t : "{}");
  cJSON_free(t);
  return s;
}

/* ------------------------------------------------------------ verify */

/* Sends the VERIFY challenge; returns 1 when the callback answered 200
 * with {"challenge": hex HMAC-SHA256(AMT, challenge)}. */
static int verify(const char *id, const char *url, int version,
                  const char *name, delivery *d) {
  unsigned char rnd[16];
  char challenge[33], event_id[37], delivery_id[37], when[32];
  static const char hex[] = "0123456789abcdef";
  emu_random_bytes(rnd, sizeof rnd);
  for (int i = 0; i < 16; i++) {
    challenge[2 * i] = hex[rnd[i] >> 4];
    challenge[2 * i + 1] = hex[rnd[i] & 15];
  }
  challenge[32] = '\0';
  cJSON *o = cJSON_CreateObject();
  if (version == 2) {
    cJSON_AddStringToObject(o, "version", "2.0");
    cJSON_AddStringToObject(o, "webhookId", id);
    cJSON_AddStringToObject(o, "eventName", "verify");
    cJSON *p = cJSON_AddObjectToObject(o, "payload");
    cJSON_AddStringToObject(p, "challenge", challenge);
  } else {
    emu_uuid_random(event_id);
    emu_uuid_random(delivery_id);
    emu_iso8601(when, emu_now_ms());
    cJSON_AddStringToObject(o, "eventId", event_id);
    cJSON_AddStringToObject(o, "eventType", "VERIFY");
    cJSON *data = cJSON_AddObjectToObject(o, "data");
    cJSON_AddStringToObject(data, "challenge", challenge);
    cJSON *m = cJSON_AddObjectToObject(o, "meta");
    cJSON_AddStringToObject(m, "version", "4.0");
    cJSON_AddStringToObject(m, "webhookId", id);
    cJSON_AddStringToObject(m, "webhookName", name);
    cJSON_AddStringToObject(m, "deliveryId", delivery_id);
    cJSON_AddStringToObject(m, "deliveredAt", when);
  }
  memset(d, 0, sizeof *d);
  snprintf(d->webhook_id, sizeof d->webhook_id, "%s", id);
  snprintf(d->event_type, sizeof d->event_type, "VERIFY");
  char *reply = NULL;
  send_signed(d, url, print(o), &reply);
  int ok = 0;
  if (d->status == 200 && reply) {
    char want[65];
    hmac_hex(challenge, strlen(challenge), want);
    cJSON *j = cJSON_Parse(reply);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "challenge");
    ok = cJSON_IsString(c) && strlen(c->valuestring) == 64 &&
         strcasecmp(c->valuestring, want) == 0;
    cJSON_Delete(j);
    if (!ok && !d->error)
      d->error = emu_strdup("reply is not {\"challenge\": "
                            "hex HMAC-SHA256(AMT, challenge)}");
  }
  free(reply);
  log_add(d);
  return ok;
}

/* ------------------------------------------------------------ payloads */

/* x rounded to `decimals` places: the nearest double to a short decimal,
 * which both cJSON and JavaScript print the same way. */
static double round_dec(double x, int decimals) {
  double p = 1;
  for (int i = 0; i < decimals; i++) p *= 10;
  double v = round(x * p) / p;
  return v == 0 ? 0 : v; /* no -0 */
}

static cJSON *add_signal(cJSON *list, const char *group, const char *name) {
  char code[96];
  snprintf(code, sizeof code, "%s-%s", group, name);
  for (char *p = code; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "code", code);
  cJSON_AddStringToObject(s, "name", name);
  cJSON_AddStringToObject(s, "group", group);
  cJSON_AddItemToArray(list, s);
  return s;
}

static void signal_ok(cJSON *s, cJSON *body, int64_t now) {
  cJSON_AddItemToObject(s, "body", body);
  cJSON *st = cJSON_AddObjectToObject(s, "status");
  cJSON_AddStringToObject(st, "value", "SUCCESS");
  cJSON *m = cJSON_AddObjectToObject(s, "meta");
  cJSON_AddNumberToObject(m, "retrievedAt", (double)now);
  cJSON_AddNumberToObject(m, "oemUpdatedAt", (double)now);
}

static void signal_not_capable(cJSON *s) {
  cJSON *st = cJSON_AddObjectToObject(s, "status");
  cJSON_AddStringToObject(st, "value", "ERROR");
  cJSON *e = cJSON_AddObjectToObject(st, "error");
  cJSON_AddStringToObject(e, "type", "COMPATIBILITY");
  cJSON_AddStringToObject(e, "code", "VEHICLE_NOT_CAPABLE");
}

static cJSON *unit_value(const char *unit, double v) {
  cJSON *b = cJSON_CreateObject();
  if (unit) cJSON_AddStringToObject(b, "unit", unit);
  cJSON_AddNumberToObject(b, "value", v);
  return b;
}

/* The signals a VEHICLE_STATE delivery carries, from the live state.
 * Numbers are rounded so that compact JSON from cJSON and JavaScript's
 * JSON.stringify agree (the Node SDK re-serialises before verifying).
 * State lock held. */
static cJSON *signals_json(const emu_vehicle *v, int64_t now) {
  cJSON *a = cJSON_CreateArray();
  int ev = v->engine != EMU_ICE, ice = v->engine != EMU_BEV;
  signal_ok(add_signal(a, "Odometer", "TraveledDistance"),
            unit_value("kilometers", round_dec(v->odometer_km, 1)), now);
  cJSON *loc = cJSON_CreateObject();
  cJSON_AddNumberToObject(loc, "latitude", round_dec(v->latitude, 6));
  cJSON_AddNumberToObject(loc, "longitude", round_dec(v->longitude, 6));
  cJSON_AddNumberToObject(loc, "heading", round_dec(v->heading_deg, 1));
  signal_ok(add_signal(a, "Location", "PreciseLocation"), loc, now);
  cJSON *s = add_signal(a, "TractionBattery", "StateOfCharge");
  if (ev)
    signal_ok(s, unit_value("percent", round_dec(v->battery * 100, 2)), now);
  else
    signal_not_capable(s);
  s = add_signal(a, "Charge", "IsCharging");
  if (ev) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddBoolToObject(b, "value", v->charging != 0);
    signal_ok(s, b, now);
  } else {
    signal_not_capable(s);
  }
  s = add_signal(a, "Charge", "IsChargingCableConnected");
  if (ev) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddBoolToObject(b, "value", v->plugged_in != 0);
    signal_ok(s, b, now);
  } else {
    signal_not_capable(s);
  }
  s = add_signal(a, "Charge", "ActiveLimit");
  if (ev)
    signal_ok(s, unit_value("percent", round_dec(v->charge_limit * 100, 2)),
              now);
  else
    signal_not_capable(s);
  s = add_signal(a, "InternalCombustionEngine", "FuelLevel");
  if (ice)
    signal_ok(s, unit_value("percent", round_dec(v->fuel * 100, 2)), now);
  else
    signal_not_capable(s);
  cJSON *lock = cJSON_CreateObject();
  cJSON_AddBoolToObject(lock, "value", v->locked != 0);
  signal_ok(add_signal(a, "Closure", "IsLocked"), lock, now);
  return a;
}

static const char *upper_mode(const char *m) {
  if (m && strcmp(m, "test") == 0) return "TEST";
  if (m && strcmp(m, "simulated") == 0) return "SIMULATED";
  return "LIVE";
}

/* The charge event a v2 delivery reports when none was asked for. */
static const char *charge_event(const emu_vehicle *v) {
  if (v->charging) return "CHARGING_STARTED";
  if (v->plugged_in && v->engine != EMU_ICE &&
      v->battery >= v->charge_limit - 1e-9)
    return "CHARGING_COMPLETED";
  return "CHARGING_STOPPED";
}

static int is_charge_event(const char *e) {
  return strcmp(e, "CHARGING_STARTED") == 0 ||
         strcmp(e, "CHARGING_STOPPED") == 0 ||
         strcmp(e, "CHARGING_COMPLETED") == 0;
}

/* Builds the delivery body for one vehicle; NULL when the vehicle is gone.
 * event: NULL (default for the version), a CHARGING_* event or
 * VEHICLE_STATE. *event_type gets what was sent. Takes the state lock. */
static char *payload(const char *hook_id, const char *hook_name, int version,
                     const char *vehicle_id, const char *event, int first,
                     char event_type[32]) {
  char event_id[37], delivery_id[37], when[32];
  emu_uuid_random(event_id);
  emu_uuid_random(delivery_id);
  cJSON *o = cJSON_CreateObject();
  emu_lock();
  emu_user *owner = NULL;
  int index = -1;
  emu_vehicle *v = emu_vehicle_find(vehicle_id, &owner, &index);
  if (!v || !owner) {
    emu_unlock();
    cJSON_Delete(o);
    return NULL;
  }
  int64_t now = emu_now_ms();
  emu_vehicle_sync(v, now);
  const char *mode = emu_connection_mode(owner->id, v->id);
  if (version == 2) {
    const char *ev = event && is_charge_event(event) ? event : charge_event(v);
    snprintf(event_type, 32, "%s", ev);
    emu_iso8601(when, now);
    cJSON_AddStringToObject(o, "version", "2.0");
    cJSON_AddStringToObject(o, "webhookId", hook_id);
    cJSON_AddStringToObject(o, "eventName", "eventBased");
    cJSON_AddStringToObject(o, "mode", mode ? mode : "live");
    cJSON *p = cJSON_AddObjectToObject(o, "payload");
    cJSON_AddStringToObject(p, "eventId", event_id);
    cJSON_AddStringToObject(p, "vehicleId", v->id);
    cJSON_AddStringToObject(p, "eventType", ev);
    cJSON_AddStringToObject(p, "eventTime", when);
  } else {
    snprintf(event_type, 32, "VEHICLE_STATE");
    cJSON_AddStringToObject(o, "eventId", event_id);
    cJSON_AddStringToObject(o, "eventType", "VEHICLE_STATE");
    cJSON *data = cJSON_AddObjectToObject(o, "data");
    cJSON *u = cJSON_AddObjectToObject(data, "user");
    cJSON_AddStringToObject(u, "id", owner->id);
    cJSON *veh = cJSON_AddObjectToObject(data, "vehicle");
    cJSON_AddStringToObject(veh, "id", v->id);
    cJSON_AddStringToObject(veh, "make", v->make);
    cJSON_AddStringToObject(veh, "model", v->model);
    cJSON_AddNumberToObject(veh, "year", v->year);
    cJSON *sigs = signals_json(v, now);
    int count = cJSON_GetArraySize(sigs);
    cJSON_AddItemToObject(data, "signals", sigs);
    cJSON *tr = cJSON_AddArrayToObject(o, "triggers");
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "type", first ? "FIRST_DELIVERY"
                                             : "SIGNAL_UPDATED");
    if (!first) {
      /* charge events point at the charging signal, others at the
       * odometer */
      int charge = event && is_charge_event(event);
      cJSON *sg = cJSON_AddObjectToObject(t, "signal");
      cJSON_AddStringToObject(sg, "code", charge ? "charge-ischarging"
                                                 : "odometer-traveleddistance");
      cJSON_AddStringToObject(sg, "name", charge ? "IsCharging"
                                                 : "TraveledDistance");
      cJSON_AddStringToObject(sg, "group", charge ? "Charge" : "Odometer");
    }
    cJSON_AddItemToArray(tr, t);
    cJSON *m = cJSON_AddObjectToObject(o, "meta");
    cJSON_AddStringToObject(m, "version", "4.0");
    cJSON_AddStringToObject(m, "deliveryId", delivery_id);
    cJSON_AddNumberToObject(m, "deliveredAt", (double)now);
    cJSON_AddStringToObject(m, "webhookId", hook_id);
    cJSON_AddStringToObject(m, "webhookName", hook_name);
    cJSON_AddNumberToObject(m, "signalCount", count);
    cJSON_AddStringToObject(m, "mode", upper_mode(mode));
  }
  emu_unlock();
  return print(o);
}

/* A snapshot of one webhook taken under wh_mutex, used without it. */
typedef struct snapshot {
  char id[WH_ID_MAX + 1];
  char *url, *name;
  int version;
  char (*vehicles)[37];
  int *first;
  size_t n;
} snapshot;

/* vehicle_id NULL: all subscribed vehicles. Returns -1 if no such hook. */
static int snapshot_take(const char *id, const char *vehicle_id,
                         snapshot *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_lock(&wh_mutex);
  webhook *w = hook_find(id);
  if (!w) {
    pthread_mutex_unlock(&wh_mutex);
    return -1;
  }
  snprintf(s->id, sizeof s->id, "%s", w->id);
  s->url = emu_strdup(w->url);
  s->name = emu_strdup(w->name);
  s->version = w->version;
  s->vehicles = emu_xmalloc((w->n_subs ? w->n_subs : 1) * sizeof *s->vehicles);
  s->first = emu_xmalloc((w->n_subs ? w->n_subs : 1) * sizeof *s->first);
  for (size_t i = 0; i < w->n_subs; i++) {
    if (vehicle_id && !emu_strcaseeq(w->subs[i].vehicle_id, vehicle_id))
      continue;
    memcpy(s->vehicles[s->n], w->subs[i].vehicle_id, 37);
    s->first[s->n] = !w->subs[i].delivered;
    w->subs[i].delivered = 1;
    s->n++;
  }
  pthread_mutex_unlock(&wh_mutex);
  return 0;
}

static void snapshot_free(snapshot *s) {
  free(s->url);
  free(s->name);
  free(s->vehicles);
  free(s->first);
}

/* Delivers to every vehicle of the snapshot; appends records to out
 * (may be NULL). */
static void deliver_snapshot(const snapshot *s, const char *event,
                             cJSON *out) {
  for (size_t i = 0; i < s->n; i++) {
    delivery d;
    memset(&d, 0, sizeof d);
    snprintf(d.webhook_id, sizeof d.webhook_id, "%s", s->id);
    memcpy(d.vehicle_id, s->vehicles[i], 37);
    char *body = payload(s->id, s->name, s->version, s->vehicles[i], event,
                         s->first[i], d.event_type);
    if (!body) continue;
    send_signed(&d, s->url, body, NULL);
    log_add(&d);
    if (out) cJSON_AddItemToArray(out, delivery_json(&d));
    delivery_clear(&d);
  }
}

/* ------------------------------------------- automatic charge deliveries */

typedef struct queued {
  char vehicle_id[37];
  char event[32];
} queued;

static queued queue[WH_QUEUE_MAX];
static size_t q_head, q_len;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static int worker_started;

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&wh_mutex);
    while (q_len == 0) pthread_cond_wait(&q_cond, &wh_mutex);
    queued q = queue[q_head];
    q_head = (q_head + 1) % WH_QUEUE_MAX;
    q_len--;
    /* ids of the hooks this vehicle is subscribed to */
    size_t n = 0;
    for (webhook *w = hooks; w; w = w->next) n += sub_find(w, q.vehicle_id) != 0;
    char (*ids)[WH_ID_MAX + 1] = emu_xmalloc((n ? n : 1) * sizeof *ids);
    n = 0;
    for (webhook *w = hooks; w; w = w->next)
      if (sub_find(w, q.vehicle_id)) memcpy(ids[n++], w->id, WH_ID_MAX + 1);
    pthread_mutex_unlock(&wh_mutex);
    for (size_t i = 0; i < n; i++) {
      snapshot s;
      if (snapshot_take(ids[i], q.vehicle_id, &s) == 0) {
        deliver_snapshot(&s, q.event, NULL);
        snapshot_free(&s);
      }
    }
    free(ids);
  }
  return NULL;
}

void emu_webhooks_vehicle_event(const char *vehicle_id, const char *event) {
  pthread_mutex_lock(&wh_mutex);
  int subscribed = 0;
  for (webhook *w = hooks; w && !subscribed; w = w->next)
    subscribed = sub_find(w, vehicle_id) != NULL;
  if (subscribed && q_len < WH_QUEUE_MAX) {
    if (!worker_started) {
      pthread_t t;
      if (pthread_create(&t, NULL, worker, NULL) == 0) {
        pthread_detach(t);
        worker_started = 1;
      }
    }
    queued *q = &queue[(q_head + q_len) % WH_QUEUE_MAX];
    snprintf(q->vehicle_id, sizeof q->vehicle_id, "%s", vehicle_id);
    snprintf(q->event, sizeof q->event, "%s", event ? event : "");
    q_len++;
    pthread_cond_signal(&q_cond);
  }
  pthread_mutex_unlock(&wh_mutex);
}

void emu_webhooks_reset(void) {
  pthread_mutex_lock(&wh_mutex);
  while (hooks) {
    webhook *w = hooks;
    hooks = w->next;
    hook_free(w);
  }
  for (size_t i = 0; i < log_count; i++)
    delivery_clear(&log_ring[(log_start + i) % WH_LOG_MAX]);
  log_start = log_count = 0;
  q_head = q_len = 0;
  pthread_mutex_unlock(&wh_mutex);
}

/* ------------------------------------------------------ vehicle routes */

static enum MHD_Result unknown_webhook(emu_req *r) {
  return emu_respond_error(r, MHD_HTTP_BAD_REQUEST, "VALIDATION", NULL,
                           validation_desc, NULL);
}

static enum MHD_Result subscribe(emu_req *r, const char *vid,
                                 const char *wid) {
  char key[128];
  int ok = emu_auth_bearer(r, key, sizeof key);
  int status = 0;
  emu_lock();
  const emu_token *t = ok ? emu_token_find(EMU_TOK_ACCESS, key) : NULL;
  if (!t || emu_now_ms() >= t->expires_ms)
    status = 401;
  else if (!emu_is_uuid(vid))
    status = 400;
  else if (!emu_grant_vehicle(t->grant, vid))
    status = 403;
  char canonical[37] = "";
  if (!status) {
    const emu_vehicle *v = emu_grant_vehicle(t->grant, vid);
    memcpy(canonical, v->id, sizeof canonical);
  }
  emu_unlock();
  if (status == 401)
    return emu_respond_error(r, MHD_HTTP_UNAUTHORIZED, "AUTHENTICATION", NULL,
                             auth_desc, NULL);
  if (status == 400)
    return emu_respond_validation(r, NULL, "vehicle_id",
                                  "vehicle id must be a UUID.");
  if (status == 403)
    return emu_respond_error(r, MHD_HTTP_FORBIDDEN, "PERMISSION", NULL,
                             perm_desc, NULL);
  pthread_mutex_lock(&wh_mutex);
  webhook *w = hook_find(wid);
  if (w && !sub_find(w, canonical)) {
    if (w->n_subs == w->cap_subs) {
      w->cap_subs = w->cap_subs ? w->cap_subs * 2 : 4;
      w->subs = emu_xrealloc(w->subs, w->cap_subs * sizeof *w->subs);
    }
    sub *s = &w->subs[w->n_subs++];
    memset(s, 0, sizeof *s);
    memcpy(s->vehicle_id, canonical, sizeof s->vehicle_id);
  }
  pthread_mutex_unlock(&wh_mutex);
  if (!w) return unknown_webhook(r);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "webhookId", wid);
  cJSON_AddStringToObject(o, "vehicleId", canonical);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result unsubscribe(emu_req *r, const char *vid,
                                   const char *wid) {
  char key[256];
  if (!emu_auth_bearer(r, key, sizeof key) ||
      !emu_secret_eq(key, emu_cfg.management_token))
    return emu_respond_error(r, MHD_HTTP_UNAUTHORIZED, "AUTHENTICATION", NULL,
                             auth_desc, NULL);
  if (!emu_is_uuid(vid))
    return emu_respond_validation(r, NULL, "vehicle_id",
                                  "vehicle id must be a UUID.");
  pthread_mutex_lock(&wh_mutex);
  webhook *w = hook_find(wid);
  if (w) {
    size_t o = 0;
    for (size_t i = 0; i < w->n_subs; i++)
      if (!emu_strcaseeq(w->subs[i].vehicle_id, vid)) w->subs[o++] = w->subs[i];
    w->n_subs = o;
  }
  pthread_mutex_unlock(&wh_mutex);
  if (!w) return unknown_webhook(r);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "status", "success");
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

/* rest: the path after /v<version>: /vehicles/{id}/webhooks/{webhook_id} */
int emu_webhooks_route(emu_req *r, const char *rest, enum MHD_Result *ret) {
  if (strncmp(rest, "/vehicles/", 10) != 0) return 0;
  const char *vid = rest + 10, *slash = strchr(vid, '/');
  if (!slash || slash == vid || strncmp(slash, "/webhooks/", 10) != 0)
    return 0;
  const char *wid = slash + 10;
  if (!*wid || strchr(wid, '/') || strlen(wid) > WH_ID_MAX) return 0;
  int post = emu_method_is(r, "POST"), del = emu_method_is(r, "DELETE");
  if (!post && !del) return 0;
  char vehicle[64];
  size_t n = (size_t)(slash - vid);
  if (n >= sizeof vehicle) n = sizeof vehicle - 1;
  memcpy(vehicle, vid, n);
  vehicle[n] = '\0';
  *ret = post ? subscribe(r, vehicle, wid) : unsubscribe(r, vehicle, wid);
  return 1;
}

/* ------------------------------------------------------ control routes */

static cJSON *hook_json(const webhook *w) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "webhook_id", w->id);
  cJSON_AddStringToObject(o, "callback_url", w->url);
  cJSON_AddStringToObject(o, "version", w->version == 2 ? "2.0" : "4.0");
  cJSON_AddStringToObject(o, "name", w->name);
  cJSON_AddBoolToObject(o, "verified", w->verified);
  cJSON *a = cJSON_AddArrayToObject(o, "vehicles");
  for (size_t i = 0; i < w->n_subs; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(w->subs[i].vehicle_id));
  return o;
}

static int id_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > WH_ID_MAX || strcmp(s, "deliveries") == 0) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
      return 0;
  return 1;
}

/* Runs the challenge for hook id and stores the outcome; answers with
 * the hook plus what the callback did. */
static enum MHD_Result verify_and_answer(emu_req *r, const char *id) {
  snapshot s;
  if (snapshot_take(id, "", &s) != 0) return emu_respond_not_found(r);
  delivery d;
  int ok = verify(s.id, s.url, s.version, s.name, &d);
  pthread_mutex_lock(&wh_mutex);
  webhook *w = hook_find(id);
  cJSON *o = NULL;
  if (w) {
    w->verified = ok;
    o = hook_json(w);
  }
  pthread_mutex_unlock(&wh_mutex);
  snapshot_free(&s);
  if (!o) {
    delivery_clear(&d);
    return emu_respond_not_found(r);
  }
  if (d.status)
    cJSON_AddNumberToObject(o, "status", d.status);
  else
    cJSON_AddNullToObject(o, "status");
  if (d.error)
    cJSON_AddStringToObject(o, "error", d.error);
  else
    cJSON_AddNullToObject(o, "error");
  delivery_clear(&d);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result register_hook(emu_req *r) {
  cJSON *j = emu_body_json(r);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return emu_respond_validation(r, NULL, "body",
                                  "Body must be a JSON object.");
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "webhook_id");
  const cJSON *url = cJSON_GetObjectItemCaseSensitive(j, "callback_url");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
  const char *field = NULL, *msg = NULL;
  int version = 4;
  char gen[37];
  if (id && !cJSON_IsNull(id) && (!cJSON_IsString(id) ||
                                   !id_ok(id->valuestring))) {
    field = "webhook_id";
    msg = "webhook_id must be 1-64 letters, digits, '-', '_' or '.'.";
  } else if (!cJSON_IsString(url) || !*url->valuestring) {
    field = "callback_url";
    msg = "callback_url must be a string (http://127.0.0.1:PORT/...).";
  } else if (ver && !cJSON_IsNull(ver)) {
    const char *v = cJSON_IsString(ver) ? ver->valuestring : "";
    if (cJSON_IsNumber(ver))
      v = ver->valuedouble == 2 ? "2.0" : ver->valuedouble == 4 ? "4.0" : "";
    if (strcmp(v, "2.0") == 0 || strcmp(v, "2") == 0)
      version = 2;
    else if (strcmp(v, "4.0") == 0 || strcmp(v, "4") == 0)
      version = 4;
    else {
      field = "version";
      msg = "version must be \"2.0\" or \"4.0\".";
    }
  }
  if (!field && name && !cJSON_IsNull(name) && !cJSON_IsString(name)) {
    field = "name";
    msg = "name must be a string.";
  }
  if (field) {
    cJSON_Delete(j);
    return emu_respond_validation(r, NULL, field, msg);
  }
  const char *hid = cJSON_IsString(id) ? id->valuestring : NULL;
  if (!hid) {
    emu_uuid_random(gen);
    hid = gen;
  }
  pthread_mutex_lock(&wh_mutex);
  webhook *w = hook_find(hid);
  if (!w) {
    w = emu_xmalloc(sizeof *w);
    memset(w, 0, sizeof *w);
    snprintf(w->id, sizeof w->id, "%s", hid);
    w->next = hooks;
    hooks = w;
  }
  free(w->url);
  free(w->name);
  w->url = emu_strdup(url->valuestring);
  w->name = emu_strdup(cJSON_IsString(name) ? name->valuestring
                                            : "Emulator Webhook");
  w->version = version;
  w->verified = 0;
  char copy[WH_ID_MAX + 1];
  snprintf(copy, sizeof copy, "%s", w->id);
  pthread_mutex_unlock(&wh_mutex);
  cJSON_Delete(j);
  return verify_and_answer(r, copy);
}

static enum MHD_Result list_hooks(emu_req *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(o, "webhooks");
  pthread_mutex_lock(&wh_mutex);
  for (webhook *w = hooks; w; w = w->next)
    cJSON_AddItemToArray(a, hook_json(w));
  pthread_mutex_unlock(&wh_mutex);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result deliveries(emu_req *r) {
  const char *only = emu_kv_get(&r->query, "webhook_id");
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(o, "deliveries");
  pthread_mutex_lock(&wh_mutex);
  for (size_t i = 0; i < log_count; i++) {
    const delivery *d = &log_ring[(log_start + i) % WH_LOG_MAX];
    if (only && *only && strcmp(d->webhook_id, only) != 0) continue;
    cJSON_AddItemToArray(a, delivery_json(d));
  }
  pthread_mutex_unlock(&wh_mutex);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result clear_deliveries(emu_req *r) {
  pthread_mutex_lock(&wh_mutex);
  for (size_t i = 0; i < log_count; i++)
    delivery_clear(&log_ring[(log_start + i) % WH_LOG_MAX]);
  log_start = log_count = 0;
  pthread_mutex_unlock(&wh_mutex);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "status", "success");
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result deliver(emu_req *r, const char *id) {
  cJSON *j = emu_body_json(r);
  if (r->body_len && !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return emu_respond_validation(r, NULL, "body",
                                  "Body must be a JSON object.");
  }
  const cJSON *vid = cJSON_GetObjectItemCaseSensitive(j, "vehicle_id");
  const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "event");
  const char *field = NULL, *msg = NULL;
  if (vid && !cJSON_IsNull(vid) && !cJSON_IsString(vid)) {
    field = "vehicle_id";
    msg = "vehicle_id must be a string.";
  } else if (ev && !cJSON_IsNull(ev) &&
             (!cJSON_IsString(ev) ||
              !(is_charge_event(ev->valuestring) ||
                strcmp(ev->valuestring, "VEHICLE_STATE") == 0))) {
    field = "event";
    msg = "event must be CHARGING_STARTED, CHARGING_STOPPED, "
          "CHARGING_COMPLETED or VEHICLE_STATE.";
  }
  if (field) {
    cJSON_Delete(j);
    return emu_respond_validation(r, NULL, field, msg);
  }
  const char *only = cJSON_IsString(vid) ? vid->valuestring : NULL;
  snapshot s;
  if (snapshot_take(id, only, &s) != 0) {
    cJSON_Delete(j);
    return emu_respond_not_found(r);
  }
  if (only && s.n == 0) {
    snapshot_free(&s);
    cJSON_Delete(j);
    return emu_respond_validation(r, NULL, "vehicle_id",
                                  "That vehicle is not subscribed to this "
                                  "webhook.");
  }
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(o, "deliveries");
  deliver_snapshot(&s, cJSON_IsString(ev) ? ev->valuestring : NULL, a);
  snapshot_free(&s);
  cJSON_Delete(j);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result delete_hook(emu_req *r, const char *id) {
  pthread_mutex_lock(&wh_mutex);
  webhook **pp = &hooks, *gone = NULL;
  while (*pp && !gone) {
    if (strcmp((*pp)->id, id) == 0) {
      gone = *pp;
      *pp = gone->next;
    } else {
      pp = &(*pp)->next;
    }
  }
  pthread_mutex_unlock(&wh_mutex);
  if (!gone) return emu_respond_not_found(r);
  hook_free(gone);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "status", "success");
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

int emu_webhooks_control_route(emu_req *r, enum MHD_Result *ret) {
  const char *p = r->path;
  if (strncmp(p, "/_emulator/webhooks", 19) != 0 ||
      (p[19] != '\0' && p[19] != '/'))
    return 0;
  int get = emu_method_is(r, "GET"), post = emu_method_is(r, "POST"),
      del = emu_method_is(r, "DELETE");
  const char *rest = p + 19;
  if (!*rest) {
    if (post) *ret = register_hook(r);
    else if (get) *ret = list_hooks(r);
    else *ret = emu_respond_not_found(r);
    return 1;
  }
  rest++; /* after the slash */
  if (strcmp(rest, "deliveries") == 0) {
    if (get) *ret = deliveries(r);
    else if (del) *ret = clear_deliveries(r);
    else *ret = emu_respond_not_found(r);
    return 1;
  }
  char id[WH_ID_MAX + 1];
  const char *slash = strchr(rest, '/');
  size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
  if (n == 0 || n > WH_ID_MAX) {
    *ret = emu_respond_not_found(r);
    return 1;
  }
  memcpy(id, rest, n);
  id[n] = '\0';
  if (!slash && del)
    *ret = delete_hook(r, id);
  else if (slash && post && strcmp(slash, "/deliver") == 0)
    *ret = deliver(r, id);
  else if (slash && post && strcmp(slash, "/verify") == 0)
    *ret = verify_and_answer(r, id);
  else
    *ret = emu_respond_not_found(r);
  return 1;
}
