/* Management API v3 webhooks, read-only (spec 4.5 W5, W6), over the
 * webhooks registered through the control API:
 *
 *   GET /v3/webhooks?filter[name]=&filter[callbackUri]=&filter[isEnabled]=
 *       &filter[autoSubscribe]=&page[number]=&page[size]=
 *   GET /v3/webhooks/{id}
 *
 * with an application token. Webhooks are made only through the control
 * API (Smartcar: only in the Dashboard). */
#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE_SIZE_DEFAULT 50
#define PAGE_SIZE_MAX 100

static cJSON *webhook_v3_json(const webhook *w) {
  char at[32];
  emu_iso8601(at, w->created_ms);
  cJSON *a;
  cJSON *o = emu_jsonapi_resource(w->id, "webhook", &a);
  cJSON_AddStringToObject(a, "name", w->name);
  cJSON_AddStringToObject(a, "callbackUri", w->url);
  cJSON_AddBoolToObject(a, "isEnabled", w->enabled);
  cJSON_AddBoolToObject(a, "autoSubscribe", w->auto_subscribe);
  cJSON_AddBoolToObject(a, "isVerified", w->verified);
  cJSON_AddStringToObject(a, "version", w->version == 2 ? "2.0" : "4.0");
  char self[WH_ID_MAX + 16];
  snprintf(self, sizeof self, "/webhooks/%s", w->id);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "links"), "self", self);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "meta"), "createdAt",
                          at);
  return o;
}

/* A boolean filter: -1 absent, 0/1, or -2 when it is neither word. */
static int bool_filter(emu_req *r, const char *key) {
  const char *v = emu_kv_get(&r->query, key);
  if (!v) return -1;
  if (emu_strcaseeq(v, "true")) return 1;
  if (emu_strcaseeq(v, "false")) return 0;
  return -2;
}

static int contains(const char *hay, const char *needle) {
  if (!needle) return 1;
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0) return 1;
  return n == 0;
}

static void page_link(cJSON *links, const char *key, long page, long size) {
  if (page < 1) {
    cJSON_AddNullToObject(links, key);
    return;
  }
  char s[96];
  snprintf(s, sizeof s, "/webhooks?page[number]=%ld&page[size]=%ld", page,
           size);
  cJSON_AddStringToObject(links, key, s);
}

static cJSON *page_of(emu_req *r, long page, long size, int enabled,
                      int auto_sub) {
  const char *name = emu_kv_get(&r->query, "filter[name]");
  const char *uri = emu_kv_get(&r->query, "filter[callbackUri]");
  cJSON *doc = cJSON_CreateObject();
  cJSON *data = cJSON_AddArrayToObject(doc, "data");
  long total = 0, got = 0, first = (page - 1) * size;
  pthread_mutex_lock(&wh_mutex);
  size_t n = 0;
  for (webhook *w = wh_hooks; w; w = w->next) n++;
  const webhook **all = emu_xmalloc((n ? n : 1) * sizeof *all);
  n = 0;
  for (webhook *w = wh_hooks; w; w = w->next) all[n++] = w;
  for (size_t i = n; i-- > 0;) { /* oldest first */
    const webhook *w = all[i];
    if (!contains(w->name, name) || !contains(w->url, uri) ||
        (enabled >= 0 && w->enabled != enabled) ||
        (auto_sub >= 0 && w->auto_subscribe != auto_sub))
      continue;
    if (total++ >= first && got < size) {
      cJSON_AddItemToArray(data, webhook_v3_json(w));
      got++;
    }
  }
  pthread_mutex_unlock(&wh_mutex);
  free(all);
  long last = total ? (total + size - 1) / size : 1;
  cJSON *meta = cJSON_AddObjectToObject(doc, "meta");
  cJSON_AddNumberToObject(meta, "pageNumber", (double)page);
  cJSON_AddNumberToObject(meta, "pageSize", (double)got);
  cJSON_AddNumberToObject(meta, "totalCount", (double)total);
  cJSON *links = cJSON_AddObjectToObject(doc, "links");
  page_link(links, "self", page, size);
  page_link(links, "first", 1, size);
  page_link(links, "prev", page > 1 && page - 1 <= last ? page - 1 : 0, size);
  page_link(links, "next", page < last ? page + 1 : 0, size);
  page_link(links, "last", last, size);
  return doc;
}

enum MHD_Result emu_v3_webhooks(emu_req *r, const char *id) {
  char key[64];
  emu_error e;
  memset(&e, 0, sizeof e);
  long page = 1, size = PAGE_SIZE_DEFAULT;
  if (!emu_auth_bearer(r, key, sizeof key) || !emu_iam_token_valid(key)) {
    e.type = "AUTHENTICATION";
    return emu_respond_err(r, &e);
  }
  if (id) {
    cJSON *doc = NULL;
    pthread_mutex_lock(&wh_mutex);
    webhook *w = wh_hook_find(id);
    if (w) {
      doc = cJSON_CreateObject();
      cJSON_AddItemToObject(doc, "data", webhook_v3_json(w));
    }
    pthread_mutex_unlock(&wh_mutex);
    if (doc) return emu_respond_json(r, MHD_HTTP_OK, doc, NULL, 0);
    e.type = "RESOURCE_NOT_FOUND";
    e.description = "No such webhook.";
    return emu_respond_err(r, &e);
  }
  if (emu_v3_query_int(r, "page[number]", 1, 1000000, &page, &e) != 0 ||
      emu_v3_query_int(r, "page[size]", PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX,
                       &size, &e) != 0)
    return emu_respond_err(r, &e);
  int enabled = bool_filter(r, "filter[isEnabled]");
  int auto_sub = bool_filter(r, "filter[autoSubscribe]");
  if (enabled == -2 || auto_sub == -2) {
    e.type = "VALIDATION";
    e.code = "PARAMETER";
    e.detail = emu_error_detail(enabled == -2 ? "filter[isEnabled]"
                                              : "filter[autoSubscribe]",
                                "must be true or false.");
    return emu_respond_err(r, &e);
  }
  return emu_respond_json(r, MHD_HTTP_OK,
                          page_of(r, page, size, enabled, auto_sub), NULL, 0);
}
