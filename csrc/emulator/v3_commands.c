/* Vehicle API v3 commands and charge schedules (v3.c routes here once the
 * token and the vehicle are checked):
 *
 *   POST   /v3/vehicles/{id}/commands/{charge/start, charge/stop,
 *          charge/set-limit, security/lock, security/unlock,
 *          navigation/set-destination, charge-port/open, charge-port/close}
 *   POST   /v3/vehicles/{id}/charge-schedules/{daily, weekly, workweek}
 *   DELETE /v3/vehicles/{id}/charge-schedules/{scheduleId}
 *
 * A command runs sync (200 and the command-execution resource) or async:
 * 202 at once, headers only (chunked, or close-delimited for HTTP/1.0),
 * and the final body (the execution, or an errors[] document whose status
 * differs from 202) written on the same connection when the command ends.
 * The wait holds no thread: the content reader suspends the connection
 * and delay.c's timer resumes it. The car changes when the command ends.
 *
 * Which way: per make (ASYNC_MAKES), unless the control API forces one:
 *   GET|POST /_emulator/v3/commands  {"mode", "delay_ms", "result",
 *            "error_type", "error_code", "status"}
 *   POST     /_emulator/v3/commands/release  ends every waiting command
 */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_COMMAND 1
#define DELAY_DEFAULT_MS 1000
#define DELAY_MAX_MS 600000

/* Makes whose commands answer 202 by default (docs/emulator.md). */
static const char *const ASYNC_MAKES[] = {"BMW", "TOYOTA"};

enum { MODE_AUTO, MODE_SYNC, MODE_ASYNC };
static const char *const MODES[] = {"auto", "sync", "async"};

/* How commands end; guarded by the state lock. */
static struct settings {
  int mode;
  long delay_ms;         /* < 0: until released */
  char result[16];       /* SUCCESS, FAILURE, ERROR, UNAVAILABLE, errors */
  const char *err_type;  /* the catalogue's strings */
  const char *err_code;
  unsigned err_status;   /* result "errors": 0 = the catalogue's */
} cfg = {MODE_AUTO, DELAY_DEFAULT_MS, "SUCCESS", NULL, NULL, 0};
static unsigned release_gen; /* a release ends commands begun before it */
static unsigned n_waiting;   /* async commands not yet ended */

/* ------------------------------------------------------------ schedules */

typedef struct schedule {
  char id[37], vehicle_id[37];
  const char *type; /* DAILY, WEEKLY, WORKWEEK */
  cJSON *attrs;
} schedule;
static schedule *scheds;
static size_t n_scheds, cap_scheds;

static void defaults(void) {
  memset(&cfg, 0, sizeof cfg);
  cfg.delay_ms = DELAY_DEFAULT_MS;
  snprintf(cfg.result, sizeof cfg.result, "SUCCESS");
}

void emu_v3_commands_reset(void) {
  emu_lock();
  for (size_t i = 0; i < n_scheds; i++) cJSON_Delete(scheds[i].attrs);
  free(scheds);
  scheds = NULL;
  n_scheds = cap_scheds = 0;
  defaults();
  release_gen++;
  emu_unlock();
  emu_delay_release(TAG_COMMAND);
}

cJSON *emu_v3_charge_timers(const emu_vehicle *v) {
  cJSON *b = cJSON_CreateObject();
  cJSON *vals = cJSON_AddArrayToObject(b, "values");
  for (size_t i = 0; i < n_scheds; i++) {
    if (strcmp(scheds[i].vehicle_id, v->id) != 0) continue;
    cJSON *e = cJSON_Duplicate(scheds[i].attrs, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(e, "type");
    cJSON_DeleteItemFromObjectCaseSensitive(e, "scheduleType");
    cJSON_DeleteItemFromObjectCaseSensitive(e, "scheduleId");
    cJSON_AddStringToObject(e, "type", "LOCATION");
    cJSON_AddStringToObject(e, "scheduleType", scheds[i].type);
    cJSON_AddStringToObject(e, "scheduleId", scheds[i].id);
    cJSON_AddItemToArray(vals, e);
  }
  return b;
}

/* ------------------------------------------------------------- commands */

enum { K_LOCK, K_UNLOCK, K_START, K_STOP, K_LIMIT, K_DEST, K_PORT_OPEN,
       K_PORT_CLOSE, K_SCHEDULE, K_UNSCHEDULE };

typedef struct cmd {
  int kind;
  const char *type;      /* commandType, or the schedule type */
  double a, b;           /* percent; latitude, longitude */
  cJSON *attrs;          /* schedules: the caller's attributes (owned) */
  char schedule_id[64];  /* K_UNSCHEDULE */
} cmd;

static const struct {
  const char *path;
  int kind;
  const char *type;
} COMMANDS[] = {
    {"commands/security/lock", K_LOCK, "security-lock"},
    {"commands/security/unlock", K_UNLOCK, "security-unlock"},
    {"commands/charge/start", K_START, "charge-start"},
    {"commands/charge/stop", K_STOP, "charge-stop"},
    {"commands/charge/set-limit", K_LIMIT, "charge-set-limit"},
    {"commands/navigation/set-destination", K_DEST,
     "navigation-set-destination"},
    {"commands/charge-port/open", K_PORT_OPEN, "charge-port-open"},
    {"commands/charge-port/close", K_PORT_CLOSE, "charge-port-close"},
    {"charge-schedules/daily", K_SCHEDULE, "DAILY"},
    {"charge-schedules/weekly", K_SCHEDULE, "WEEKLY"},
    {"charge-schedules/workweek", K_SCHEDULE, "WORKWEEK"},
};

const cJSON *emu_v3_body_attrs(emu_req *r, cJSON **doc) {
  *doc = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
  return cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(*doc, "data"), "attributes");
}

static void refuse(emu_error *e, const char *type, const char *code,
                   const char *field, const char *msg) {
  memset(e, 0, sizeof *e);
  e->type = type;
  e->code = code;
  if (field)
    e->detail = emu_error_detail(field, msg);
  else
    e->description = msg; /* a static string */
}

/* A number attribute within [lo, hi]. */
static int attr_number(const cJSON *attrs, const char *key, double lo,
                       double hi, double *out, emu_error *e) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(attrs, key);
  if (cJSON_IsNumber(n) && n->valuedouble >= lo && n->valuedouble <= hi) {
    *out = n->valuedouble;
    return 0;
  }
  refuse(e, "VALIDATION", "BAD_REQUEST", key,
         "a command attribute is missing or out of range.");
  return -1;
}

static int is_ev(const emu_vehicle *v) { return v->engine != EMU_ICE; }

/* Which schedule types the make takes: Tesla all, Volvo daily (spec
 * 4.4.4), others none. */
static int schedules_ok(const emu_vehicle *v, const char *type) {
  if (emu_strcaseeq(v->make, "TESLA")) return 1;
  return emu_strcaseeq(v->make, "VOLVO") && strcmp(type, "DAILY") == 0;
}

/* The request as a command: 0, or -1 with e filled (400, 404, 501). */
static int parse(emu_req *r, const emu_vehicle *v, const char *what,
                 cmd *k, emu_error *e) {
  memset(k, 0, sizeof *k);
  k->kind = -1;
  int del = emu_method_is(r, "DELETE");
  if (del && strncmp(what, "charge-schedules/", 17) == 0 && what[17] &&
      !strchr(what + 17, '/') && strlen(what + 17) < sizeof k->schedule_id) {
    k->kind = K_UNSCHEDULE;
    snprintf(k->schedule_id, sizeof k->schedule_id, "%s", what + 17);
  }
  for (size_t i = 0; !del && i < sizeof COMMANDS / sizeof *COMMANDS; i++)
    if (strcmp(COMMANDS[i].path, what) == 0) {
      k->kind = COMMANDS[i].kind;
      k->type = COMMANDS[i].type;
    }
  if (k->kind < 0) {
    refuse(e, "RESOURCE_NOT_FOUND", "PATH", NULL, "Unknown command.");
    return -1;
  }
  int ev_only = k->kind == K_START || k->kind == K_STOP ||
                k->kind == K_LIMIT || k->kind == K_PORT_OPEN ||
                k->kind == K_PORT_CLOSE;
  if ((ev_only && !is_ev(v)) ||
      (k->kind == K_SCHEDULE && !schedules_ok(v, k->type)) ||
      (k->kind == K_UNSCHEDULE && !schedules_ok(v, "DAILY"))) {
    refuse(e, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE", NULL, NULL);
    return -1;
  }
  cJSON *doc = NULL;
  const cJSON *attrs = emu_v3_body_attrs(r, &doc);
  int rc = 0;
  if (k->kind == K_LIMIT) {
    rc = attr_number(attrs, "percent", 50, 100, &k->a, e);
  } else if (k->kind == K_DEST) {
    rc = attr_number(attrs, "latitude", -90, 90, &k->a, e);
    if (rc == 0) rc = attr_number(attrs, "longitude", -180, 180, &k->b, e);
  } else if (k->kind == K_SCHEDULE) {
    if (cJSON_IsObject(attrs)) {
      k->attrs = cJSON_Duplicate(attrs, 1);
    } else {
      refuse(e, "VALIDATION", "BAD_REQUEST", "data.attributes",
             "A charge schedule needs {\"data\":{\"attributes\":{...}}}.");
      rc = -1;
    }
  }
  cJSON_Delete(doc);
  return rc;
}

static schedule *schedule_find(const char *vehicle_id, const char *id) {
  for (size_t i = 0; i < n_scheds; i++)
    if (strcmp(scheds[i].vehicle_id, vehicle_id) == 0 &&
        emu_strcaseeq(scheds[i].id, id))
      return &scheds[i];
  return NULL;
}

/* Runs k on v (synced to now). The execution resource, or NULL with e
 * filled. Lock held. */
static cJSON *run(emu_vehicle *v, cmd *k, int64_t began, int64_t now,
                  int async, emu_error *e) {
  cJSON *params = NULL;
  char sched_id[37] = "";
  const char *type = k->type;
  schedule *gone = NULL;
  if (k->kind == K_UNSCHEDULE &&
      !(gone = schedule_find(v->id, k->schedule_id))) {
    refuse(e, "RESOURCE_NOT_FOUND", NULL, NULL, "No such charge schedule.");
    return NULL;
  }
  if (gone) {
    type = gone->type;
    memcpy(sched_id, gone->id, sizeof sched_id);
  }
  if (strcmp(cfg.result, "errors") == 0) {
    memset(e, 0, sizeof *e);
    e->type = cfg.err_type;
    e->code = cfg.err_code;
    e->status = cfg.err_status;
    return NULL;
  }
  int success = strcmp(cfg.result, "SUCCESS") == 0;
  switch (success ? k->kind : -1) {
  case K_LOCK:
  case K_UNLOCK:
    v->locked = k->kind == K_LOCK;
    break;
  case K_START:
  case K_STOP:
    if (!v->plugged_in) {
      refuse(e, "VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED", NULL, NULL);
      return NULL;
    }
    if (v->charging != (k->kind == K_START))
      emu_webhooks_vehicle_event(v->id, k->kind == K_START
                                            ? "CHARGING_STARTED"
                                            : "CHARGING_STOPPED");
    v->charging = k->kind == K_START;
    break;
  case K_LIMIT:
    v->charge_limit = k->a / 100.0;
    params = cJSON_CreateObject();
    cJSON_AddNumberToObject(params, "percent", k->a);
    break;
  case K_DEST:
    v->dest_lat = k->a;
    v->dest_lon = k->b;
    v->has_dest = 1;
    params = cJSON_CreateObject();
    cJSON_AddNumberToObject(params, "latitude", k->a);
    cJSON_AddNumberToObject(params, "longitude", k->b);
    break;
  case K_SCHEDULE: {
    if (n_scheds == cap_scheds) {
      cap_scheds = cap_scheds ? cap_scheds * 2 : 8;
      scheds = emu_xrealloc(scheds, cap_scheds * sizeof *scheds);
    }
    schedule *s = &scheds[n_scheds++];
    emu_uuid_random(s->id);
    memcpy(s->vehicle_id, v->id, sizeof s->vehicle_id);
    s->type = k->type;
    s->attrs = cJSON_Duplicate(k->attrs, 1);
    memcpy(sched_id, s->id, sizeof sched_id);
    params = cJSON_Duplicate(k->attrs, 1);
    break;
  }
  case K_UNSCHEDULE:
    cJSON_Delete(gone->attrs);
    memmove(gone, gone + 1,
            (size_t)(scheds + --n_scheds - gone) * sizeof *gone);
    break;
  default: /* K_PORT_*, and forced failures: the car stays as it is */
    break;
  }
  if (success) /* v4 webhooks hear of the signals that changed */
    emu_webhooks_vehicle_event(v->id, "SIGNAL_UPDATED");
  char id[37], at[32], done[32];
  emu_uuid_random(id);
  emu_iso8601(at, began);
  emu_iso8601(done, now);
  cJSON *body = cJSON_CreateObject();
  int sched = k->kind == K_SCHEDULE || k->kind == K_UNSCHEDULE;
  cJSON *a;
  cJSON *data = emu_jsonapi_resource(
      id, sched ? "schedule-execution" : "command-execution", &a);
  cJSON_AddItemToObject(body, "data", data);
  if (sched) {
    cJSON_AddStringToObject(a, "action",
                            k->kind == K_SCHEDULE ? "CREATE" : "DELETE");
    cJSON_AddStringToObject(a, "scheduleType", type);
    if (*sched_id) cJSON_AddStringToObject(a, "scheduleId", sched_id);
  } else {
    cJSON_AddStringToObject(a, "commandType", type);
  }
  cJSON *st = cJSON_AddObjectToObject(a, "status");
  cJSON_AddStringToObject(st, "value", cfg.result);
  if (!success) {
    cJSON *err = cJSON_AddObjectToObject(st, "error");
    cJSON_AddStringToObject(err, "type", cfg.err_type);
    if (cfg.err_code)
      cJSON_AddStringToObject(err, "code", cfg.err_code);
    else
      cJSON_AddNullToObject(err, "code");
  }
  cJSON_AddStringToObject(a, "executionMode", async ? "async" : "sync");
  if (params && success)
    cJSON_AddItemToObject(a, "parameters", params);
  else
    cJSON_Delete(params);
  cJSON *m = cJSON_AddObjectToObject(data, "meta");
  cJSON_AddStringToObject(m, "executedAt", at);
  cJSON_AddStringToObject(m, "completedAt", done);
  cJSON_AddNumberToObject(m, "durationInSeconds",
                          (double)((now - began) / 1000));
  return body;
}

/* -------------------------------------------------------------- answers */

struct emu_v3_exec {
  cJSON *body;           /* sync: the 200 body */
  /* async: what the content reader needs to end the command */
  int async;
  struct MHD_Connection *conn;
  char vehicle_id[37], request_id[37];
  cmd k;
  long delay_ms;
  unsigned gen;
  int waited;
  int64_t began;
  char *text;
  size_t len;
};

static int async_make(const emu_vehicle *v) {
  for (size_t i = 0; i < sizeof ASYNC_MAKES / sizeof *ASYNC_MAKES; i++)
    if (emu_strcaseeq(v->make, ASYNC_MAKES[i])) return 1;
  return 0;
}

emu_v3_exec *emu_v3_exec_begin(emu_req *r, emu_vehicle *v, const char *what,
                               int64_t now, emu_error *e) {
  cmd k;
  if (parse(r, v, what, &k, e) != 0) return NULL;
  int async = cfg.mode == MODE_ASYNC ||
              (cfg.mode == MODE_AUTO && async_make(v));
  emu_v3_exec *x = emu_xmalloc(sizeof *x);
  memset(x, 0, sizeof *x);
  if (!async) {
    x->body = run(v, &k, now, now, 0, e);
    cJSON_Delete(k.attrs);
    if (!x->body) {
      free(x);
      return NULL;
    }
    return x;
  }
  x->async = 1;
  x->conn = r->conn;
  memcpy(x->vehicle_id, v->id, sizeof x->vehicle_id);
  memcpy(x->request_id, r->request_id, sizeof x->request_id);
  x->k = k;
  x->delay_ms = cfg.delay_ms;
  x->gen = release_gen;
  x->began = now;
  n_waiting++;
  return x;
}

/* The command ends: the execution or an errors[] document. */
static void finish(emu_v3_exec *x) {
  emu_error e;
  memset(&e, 0, sizeof e);
  emu_lock();
  int64_t now = emu_now_ms();
  emu_vehicle *v = emu_vehicle_find(x->vehicle_id, NULL, NULL);
  cJSON *body = NULL;
  if (v) {
    emu_vehicle_sync(v, now);
    body = run(v, &x->k, x->began, now, 1, &e);
  } else {
    refuse(&e, "RESOURCE_NOT_FOUND", NULL, NULL,
           "The vehicle is no longer there.");
  }
  if (n_waiting) n_waiting--;
  emu_unlock();
  if (!body) body = emu_error_json_v3(&e, x->request_id);
  x->text = cJSON_PrintUnformatted(body);
  x->len = x->text ? strlen(x->text) : 0;
  cJSON_Delete(body);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  emu_v3_exec *x = cls;
  if (!x->text) {
    if (!x->waited) {
      x->waited = 1;
      emu_lock();
      int released = release_gen != x->gen;
      emu_unlock();
      if (!released && x->delay_ms != 0 &&
          emu_delay_tagged(x->conn, x->delay_ms, TAG_COMMAND))
        return 0; /* delay.c resumes the connection; MHD asks again */
    }
    finish(x);
    if (!x->text) return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  if (pos >= x->len) return MHD_CONTENT_READER_END_OF_STREAM;
  size_t n = x->len - (size_t)pos < max ? x->len - (size_t)pos : max;
  memcpy(buf, x->text + pos, n);
  return (ssize_t)n;
}

static void exec_free(void *cls) {
  emu_v3_exec *x = cls;
  if (x->async && !x->text) { /* the client left before it ended */
    emu_lock();
    if (n_waiting) n_waiting--;
    emu_unlock();
  }
  cJSON_Delete(x->k.attrs);
  cJSON_free(x->text);
  free(x);
}

enum MHD_Result emu_v3_exec_send(emu_req *r, emu_v3_exec *x) {
  if (!x->async) {
    cJSON *b = x->body;
    free(x);
    return emu_respond_json(r, MHD_HTTP_OK, b, NULL, 0);
  }
  struct MHD_Response *resp = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, 4096, reader, x, exec_free);
  if (!resp) {
    exec_free(x);
    return MHD_NO;
  }
  return emu_queue(r, MHD_HTTP_ACCEPTED, resp, "application/json", NULL, 0);
}

/* ---------------------------------------------------------- control API */

static cJSON *settings_json(void) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "mode", MODES[cfg.mode]);
  cJSON *m = cJSON_AddArrayToObject(o, "async_makes");
  for (size_t i = 0; i < sizeof ASYNC_MAKES / sizeof *ASYNC_MAKES; i++)
    cJSON_AddItemToArray(m, cJSON_CreateString(ASYNC_MAKES[i]));
  cJSON_AddNumberToObject(o, "delay_ms", (double)cfg.delay_ms);
  cJSON_AddStringToObject(o, "result", cfg.result);
  if (cfg.err_type) {
    cJSON_AddStringToObject(o, "error_type", cfg.err_type);
    if (cfg.err_code)
      cJSON_AddStringToObject(o, "error_code", cfg.err_code);
    else
      cJSON_AddNullToObject(o, "error_code");
  }
  if (cfg.err_status) cJSON_AddNumberToObject(o, "status", cfg.err_status);
  cJSON_AddNumberToObject(o, "waiting", n_waiting);
  return o;
}

static const char *const RESULTS[] = {"SUCCESS", "FAILURE", "ERROR",
                                      "UNAVAILABLE", "errors"};

/* Applies {"mode", "delay_ms", "result", "error_type", "error_code",
 * "status"} (all or nothing). NULL, or the bad field. Lock held. */
static const char *settings_set(const cJSON *j, const char **msg) {
  struct settings n = cfg;
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(j, "mode");
  const cJSON *delay = cJSON_GetObjectItemCaseSensitive(j, "delay_ms");
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "result");
  const cJSON *et = cJSON_GetObjectItemCaseSensitive(j, "error_type");
  const cJSON *ec = cJSON_GetObjectItemCaseSensitive(j, "error_code");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
  if (!cJSON_IsObject(j)) {
    *msg = "The body must be a JSON object.";
    return "body";
  }
  if (mode) {
    int found = 0;
    for (int i = 0; i < 3; i++)
      if (cJSON_IsString(mode) && strcmp(mode->valuestring, MODES[i]) == 0)
        n.mode = i, found = 1;
    if (!found) {
      *msg = "mode must be auto, sync or async.";
      return "mode";
    }
  }
  if (delay) {
    if (!cJSON_IsNumber(delay) || delay->valuedouble != (long)delay->valuedouble ||
        delay->valuedouble < -1 || delay->valuedouble > DELAY_MAX_MS) {
      *msg = "delay_ms must be an integer from 0 to 600000, or -1 (until "
             "released).";
      return "delay_ms";
    }
    n.delay_ms = (long)delay->valuedouble;
  }
  if (res) {
    int found = 0;
    for (size_t i = 0; i < sizeof RESULTS / sizeof *RESULTS; i++)
      if (cJSON_IsString(res) && strcmp(res->valuestring, RESULTS[i]) == 0)
        found = 1;
    if (!found) {
      *msg = "result must be SUCCESS, FAILURE, ERROR, UNAVAILABLE or errors.";
      return "result";
    }
    snprintf(n.result, sizeof n.result, "%s", res->valuestring);
    n.err_type = n.err_code = NULL;
    n.err_status = 0;
  }
  if ((et && !cJSON_IsString(et)) ||
      (ec && !cJSON_IsString(ec) && !cJSON_IsNull(ec))) {
    *msg = "error_type and error_code must be strings.";
    return "error_type";
  }
  if (strcmp(n.result, "SUCCESS") != 0) {
    const char *type = et ? et->valuestring
                       : n.err_type ? n.err_type : "VEHICLE_STATE";
    const char *code = ec ? cJSON_GetStringValue(ec)
                       : et ? NULL
                       : n.err_type ? n.err_code : "UNKNOWN";
    const emu_error_def *d = emu_error_find(type, code);
    if (!d) {
      *msg = "error_type/error_code is not in the error catalogue "
             "(GET /_emulator/errors).";
      return "error_code";
    }
    n.err_type = d->type;
    n.err_code = d->code;
  }
  if (st) {
    if (!cJSON_IsNumber(st) || st->valuedouble < 400 ||
        st->valuedouble > 599 ||
        st->valuedouble != (unsigned)st->valuedouble) {
      *msg = "status must be an HTTP error status (400..599).";
      return "status";
    }
    n.err_status = (unsigned)st->valuedouble;
  }
  cfg = n;
  return NULL;
}

int emu_v3_commands_control(emu_req *r, enum MHD_Result *ret) {
  const char *p = r->path;
  int post = emu_method_is(r, "POST");
  if (strcmp(p, "/_emulator/v3/commands/release") == 0 && post) {
    emu_lock();
    release_gen++;
    emu_unlock();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "released",
                            (double)emu_delay_release(TAG_COMMAND));
    *ret = emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
    return 1;
  }
  if (strcmp(p, "/_emulator/v3/commands") != 0 ||
      !(post || emu_method_is(r, "GET")))
    return 0;
  cJSON *j = post ? emu_body_json(r) : NULL;
  const char *field = NULL, *msg = NULL;
  cJSON *out = NULL;
  emu_lock();
  if (post) field = settings_set(j, &msg);
  if (!field) out = settings_json();
  emu_unlock();
  cJSON_Delete(j);
  *ret = field ? emu_respond_validation(r, "PARAMETER", field, msg)
               : emu_respond_json(r, MHD_HTTP_OK, out, NULL, 0);
  return 1;
}
