/* v3 "API Authentication": POST /oauth2/token with the client-credentials
 * grant. Application tokens (no user, no refresh token) that live 3600 s
 * of emulator clock. They are kept here, under their own lock, for the v3
 * endpoints to check with emu_iam_token_valid(). */
#include "emu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct app_token {
  char key[37];
  int64_t expires_ms;
  struct app_token *next;
} app_token;

static pthread_mutex_t iam_mutex = PTHREAD_MUTEX_INITIALIZER;
static app_token *tokens;

/* Drops expired tokens. iam_mutex held. */
static void prune(int64_t now) {
  app_token **pp = &tokens;
  while (*pp) {
    if (now >= (*pp)->expires_ms) {
      app_token *dead = *pp;
      *pp = dead->next;
      free(dead);
    } else {
      pp = &(*pp)->next;
    }
  }
}

int emu_iam_token_valid(const char *key) {
  int ok = 0;
  int64_t now = emu_now_ms();
  pthread_mutex_lock(&iam_mutex);
  for (app_token *t = tokens; t && !ok; t = t->next)
    ok = strcmp(t->key, key) == 0 && now < t->expires_ms;
  pthread_mutex_unlock(&iam_mutex);
  return ok;
}

void emu_iam_reset(void) {
  pthread_mutex_lock(&iam_mutex);
  EMU_LIST_FREE(tokens, free);
  pthread_mutex_unlock(&iam_mutex);
}

/* Credentials from the form, or else from HTTP Basic (both are seen in
 * OAuth clients). Returns 0 when none were given. Caller frees *dec. */
static int credentials(emu_req *r, const emu_kvlist *f, const char **id,
                       const char **secret, char **dec) {
  *dec = NULL;
  *id = emu_kv_get(f, "client_id");
  *secret = emu_kv_get(f, "client_secret");
  if (*id && *secret) return 1;
  return emu_auth_basic(r, dec, id, secret);
}

static enum MHD_Result issue(emu_req *r) {
  app_token *t = emu_xmalloc(sizeof *t);
  emu_uuid_random(t->key);
  int64_t now = emu_now_ms();
  t->expires_ms = now + (int64_t)EMU_IAM_TTL_S * 1000;
  pthread_mutex_lock(&iam_mutex);
  prune(now);
  t->next = tokens;
  tokens = t;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "access_token", t->key);
  pthread_mutex_unlock(&iam_mutex);
  cJSON_AddStringToObject(o, "token_type", "Bearer");
  cJSON_AddNumberToObject(o, "expires_in", EMU_IAM_TTL_S);
  emu_hdr h[] = {{MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"},
                 {MHD_HTTP_HEADER_PRAGMA, "no-cache"}};
  return emu_respond_json(r, MHD_HTTP_OK, o, h, 2);
}

static enum MHD_Result token(emu_req *r) {
  emu_kvlist f = {0};
  if (r->body) emu_kv_parse(&f, r->body, r->body_len);
  const char *gt = emu_kv_get(&f, "grant_type");
  const char *id, *secret;
  char *dec = NULL;
  enum MHD_Result ret;
  if (!gt || !*gt) {
    ret = emu_respond_oauth_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request",
                                  "Missing required parameter: grant_type.");
  } else if (strcmp(gt, "client_credentials") != 0) {
    ret = emu_respond_oauth_error(r, MHD_HTTP_BAD_REQUEST,
                                  "unsupported_grant_type",
                                  "Unsupported grant_type (expected "
                                  "client_credentials).");
  } else if (!credentials(r, &f, &id, &secret, &dec)) {
    ret = emu_respond_oauth_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request",
                                  "Missing required parameter: client_id "
                                  "and client_secret.");
  } else if (!emu_secret_eq(id, emu_cfg.client_id) ||
             !emu_secret_eq(secret, emu_cfg.client_secret)) {
    ret = emu_respond_oauth_error(r, MHD_HTTP_UNAUTHORIZED, "invalid_client",
                                  "Invalid client credentials.");
  } else {
    ret = issue(r);
  }
  free(dec);
  emu_kv_free(&f);
  return ret;
}

int emu_iam_route(emu_req *r, enum MHD_Result *ret) {
  if (strcmp(r->path, "/oauth2/token") != 0) return 0;
  *ret = emu_method_is(r, "POST") ? token(r) : emu_respond_not_found(r);
  return 1;
}
