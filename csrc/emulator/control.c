/* /_emulator/ control API: health, reset, clock, scripted Connect. */
#include "emu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result status_json(emu_req *r, const char *status) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "status", status);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result clock_json(emu_req *r) {
  int64_t now = emu_now_ms(), off = emu_clock_offset_ms();
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "now", (double)(now >= 0 ? now / 1000
                                                      : (now - 999) / 1000));
  cJSON_AddNumberToObject(o, "offset", (double)off / 1000.0);
  return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result clock_advance(emu_req *r) {
  cJSON *j = emu_body_json(r);
  cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "advance");
  if (!cJSON_IsNumber(a) || !isfinite(a->valuedouble) ||
      fabs(a->valuedouble) > 1e12) {
    cJSON_Delete(j);
    return emu_respond_validation(r, "PARAMETER", "advance",
                                  "advance must be a number of seconds.");
  }
  emu_clock_advance_ms((int64_t)llround(a->valuedouble * 1000.0));
  cJSON_Delete(j);
  return clock_json(r);
}

/* {"authorize_url", "action", "email"} -> {"location"} */
static enum MHD_Result scripted_connect(emu_req *r) {
  cJSON *j = emu_body_json(r);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return emu_respond_validation(r, NULL, "body",
                                  "Body must be a JSON object.");
  }
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "authorize_url");
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "action");
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "email");
  if (!cJSON_IsString(u)) {
    cJSON_Delete(j);
    return emu_respond_validation(r, NULL, "authorize_url",
                                  "authorize_url must be a string.");
  }
  if (e && !cJSON_IsNull(e) && !cJSON_IsString(e)) {
    cJSON_Delete(j);
    return emu_respond_validation(r, NULL, "email", "email must be a string.");
  }
  /* Accept a full Connect URL or just its query. */
  const char *url = u->valuestring, *q = strchr(url, '?');
  q = q ? q + 1 : url;
  const char *hash = strchr(q, '#');
  emu_kvlist query = {0};
  emu_kv_parse(&query, q, hash ? (size_t)(hash - q) : strlen(q));
  emu_connect_outcome o;
  emu_connect_decide(&query, cJSON_IsString(a) ? a->valuestring : NULL,
                     cJSON_IsString(e) ? e->valuestring : NULL, &o);
  enum MHD_Result ret;
  if (o.location) {
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "location", o.location);
    ret = emu_respond_json(r, MHD_HTTP_OK, out, NULL, 0);
  } else {
    ret = emu_respond_validation(r, NULL, o.field, o.message);
  }
  emu_connect_outcome_free(&o);
  emu_kv_free(&query);
  cJSON_Delete(j);
  return ret;
}

enum MHD_Result emu_control_handle(emu_req *r) {
  const char *p = r->path;
  int get = emu_method_is(r, "GET"), post = emu_method_is(r, "POST");
  if (strcmp(p, "/_emulator/health") == 0 && get) return status_json(r, "ok");
  if (strcmp(p, "/_emulator/reset") == 0 && post) {
    emu_lock();
    emu_state_reset();
    emu_unlock();
    return status_json(r, "success");
  }
  if (strcmp(p, "/_emulator/clock") == 0 && get) return clock_json(r);
  if (strcmp(p, "/_emulator/clock") == 0 && post) return clock_advance(r);
  if (strcmp(p, "/_emulator/connect") == 0 && post) return scripted_connect(r);
  return emu_respond_not_found(r);
}
