/* POST /oauth/token: authorization_code and refresh_token grants. */
#include "emu.h"

#include <stdlib.h>
#include <string.h>

/* Issues a new access + refresh pair for g. Lock held. */
static cJSON *issue_pair(emu_grant *g) {
  emu_token *a = emu_token_new(EMU_TOK_ACCESS, g, EMU_ACCESS_TTL_MS, NULL);
  emu_token *rt = emu_token_new(EMU_TOK_REFRESH, g, EMU_REFRESH_TTL_MS, NULL);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "access_token", a->key);
  cJSON_AddStringToObject(o, "token_type", "Bearer");
  cJSON_AddNumberToObject(o, "expires_in", EMU_ACCESS_TTL_S);
  cJSON_AddStringToObject(o, "refresh_token", rt->key);
  return o;
}

/* 400 error ("invalid_grant" or "invalid_request") with Smartcar's
 * "Invalid <field>: <value>." */
static enum MHD_Result invalid(emu_req *r, const char *error,
                               const char *field, const char *value) {
  emu_buf b = {0};
  emu_buf_printf(&b, "Invalid %s: %s.", field, value);
  enum MHD_Result ret =
      emu_respond_oauth_error(r, MHD_HTTP_BAD_REQUEST, error, b.p);
  emu_buf_free(&b);
  return ret;
}

static enum MHD_Result missing(emu_req *r, const char *field) {
  emu_buf b = {0};
  emu_buf_printf(&b, "Missing required parameter: %s.", field);
  enum MHD_Result ret =
      emu_respond_oauth_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request", b.p);
  emu_buf_free(&b);
  return ret;
}

static enum MHD_Result success(emu_req *r, cJSON *o) {
  emu_hdr h[] = {{MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"},
                 {MHD_HTTP_HEADER_PRAGMA, "no-cache"}};
  return emu_respond_json(r, MHD_HTTP_OK, o, h, 2);
}

static enum MHD_Result grant_code(emu_req *r, const emu_kvlist *f) {
  const char *code = emu_kv_get(f, "code");
  const char *uri = emu_kv_get(f, "redirect_uri");
  if (!code || !*code) return missing(r, "code");
  if (!uri) return missing(r, "redirect_uri");
  emu_lock();
  int64_t now = emu_now_ms();
  emu_token *t = emu_token_find(EMU_TOK_CODE, code);
  if (!t) { /* a code Connect never issued */
    emu_unlock();
    return invalid(r, "invalid_request", "code", code);
  }
  if (t->used_ms || now >= t->expires_ms ||
      strcmp(t->grant->client_id, emu_cfg.client_id) != 0 ||
      strcmp(t->redirect_uri, uri) != 0) {
    emu_unlock();
    return invalid(r, "invalid_grant", "code", code);
  }
  t->used_ms = now;
  cJSON *o = issue_pair(t->grant);
  emu_unlock();
  return success(r, o);
}

static enum MHD_Result grant_refresh(emu_req *r, const emu_kvlist *f) {
  const char *rt = emu_kv_get(f, "refresh_token");
  if (!rt || !*rt) return missing(r, "refresh_token");
  emu_lock();
  int64_t now = emu_now_ms();
  int64_t grace = (int64_t)(emu_cfg.refresh_grace_s * 1000);
  emu_token *t = emu_token_find(EMU_TOK_REFRESH, rt);
  if (!t || now >= t->expires_ms ||
      strcmp(t->grant->client_id, emu_cfg.client_id) != 0 ||
      (t->used_ms && now >= t->used_ms + grace)) {
    emu_unlock();
    return invalid(r, "invalid_grant", "refresh_token", rt);
  }
  if (!t->used_ms) t->used_ms = now; /* the grace window starts now */
  cJSON *o = issue_pair(t->grant);
  emu_unlock();
  return success(r, o);
}

enum MHD_Result emu_token_handle(emu_req *r) {
  if (!emu_method_is(r, "POST")) return emu_respond_not_found(r);
  if (!emu_auth_basic_is(r, emu_cfg.client_id, emu_cfg.client_secret)) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", "invalid_client");
    cJSON_AddStringToObject(o, "error_description",
                            "Invalid client credentials.");
    emu_hdr h[] = {
        {MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"smartcar\""},
        {MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"}};
    return emu_respond_json(r, MHD_HTTP_UNAUTHORIZED, o, h, 2);
  }
  /* flags may ride in the query string; they are accepted and ignored. */
  emu_kvlist f = {0};
  if (r->body) emu_kv_parse(&f, r->body, r->body_len);
  const char *gt = emu_kv_get(&f, "grant_type");
  enum MHD_Result ret;
  if (!gt || !*gt)
    ret = missing(r, "grant_type");
  else if (strcmp(gt, "authorization_code") == 0)
    ret = grant_code(r, &f);
  else if (strcmp(gt, "refresh_token") == 0)
    ret = grant_refresh(r, &f);
  else
    ret = emu_respond_oauth_error(r, MHD_HTTP_BAD_REQUEST,
                                  "unsupported_grant_type",
                                  "Unsupported grant_type.");
  emu_kv_free(&f);
  return ret;
}
