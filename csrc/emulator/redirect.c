/* The JavaScript SDK's hosted redirect page, served by the emulator:
 *
 *   GET /v2/redirect?app_origin=ORIGIN&code=...&state=...
 *
 * Connect redirects the popup here; the page posts the result to the
 * window that opened it (targetOrigin = app_origin) as the object the
 * official @smartcar/auth package listens for, then closes itself:
 *
 *   {name: "SmartcarAuthMessage", isSmartcarHosted: true, code, error,
 *    errorDescription, state, vin, make, model, year, virtualKeyUrl,
 *    userId, externalId}
 *
 * (error is the error code; absent query parameters are null.) The page
 * also shows the result as plain text, for a browser without JavaScript
 * or a page opened outside a popup.
 *
 * A redirect URI of the form <scheme>://<loopback host>/v2/redirect?Q is
 * accepted wherever https://javascript-sdk.smartcar.com/v2/redirect?Q is
 * registered, so an application registered for the hosted page works
 * against the emulator's stand-in unchanged (emu_redirect_standin_ok). */
#include "emu.h"

#include <string.h>
#include <strings.h>

#define HOSTED_PREFIX "https://javascript-sdk.smartcar.com/v2/redirect"

/* What follows http:// or https://, or NULL. */
static const char *after_scheme(const char *uri) {
  if (strncmp(uri, "http://", 7) == 0) return uri + 7;
  if (strncmp(uri, "https://", 8) == 0) return uri + 8;
  return NULL;
}

/* scheme://host[:port], nothing after it: what postMessage accepts as a
 * target origin (besides "*", which we do not allow). */
static int origin_ok(const char *o) {
  const char *p = after_scheme(o);
  if (!p || !*p) return 0;
  for (; *p; p++)
    if (*p == '/' || *p == '?' || *p == '#' || *p == '@' || *p == ' ' ||
        *p == '"' || *p == '\'' || *p == '<' || *p == '>' || *p == '\\' ||
        (unsigned char)*p < 0x21)
      return 0;
  return 1;
}

static int loopback_authority(const char *a, size_t n) {
  static const char *const hosts[] = {"127.", "localhost", "[::1]"};
  for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
    size_t k = strlen(hosts[i]);
    if (n < k || strncasecmp(a, hosts[i], k) != 0) continue;
    if (hosts[i][k - 1] == '.') return 1; /* 127.x.y.z[:port] */
    if (n == k || a[k] == ':') return 1;
  }
  const char *h = emu_cfg.host;
  size_t k = h ? strlen(h) : 0;
  return k && n >= k && strncasecmp(a, h, k) == 0 && (n == k || a[k] == ':');
}

int emu_redirect_standin_ok(const char *uri) {
  const char *p = after_scheme(uri);
  const char *slash = p ? strchr(p, '/') : NULL;
  if (!slash || !loopback_authority(p, (size_t)(slash - p))) return 0;
  if (strncmp(slash, "/v2/redirect", 12) != 0 ||
      (slash[12] != '\0' && slash[12] != '?'))
    return 0;
  emu_buf b = {0};
  emu_buf_puts(&b, HOSTED_PREFIX);
  emu_buf_puts(&b, slash + 12);
  int ok = emu_redirect_uri_registered(b.p) != NULL;
  emu_buf_free(&b);
  return ok;
}

/* The message fields and the query parameters they come from. */
static const struct {
  const char *field, *param;
} fields[] = {
    {"code", "code"},       {"error", "error"},
    {"errorDescription", "error_description"},
    {"state", "state"},     {"vin", "vin"},
    {"make", "make"},       {"model", "model"},
    {"year", "year"},       {"virtualKeyUrl", "virtual_key_url"},
    {"userId", "user_id"},  {"externalId", "external_id"},
};

static void page_start(emu_buf *b, const char *title) {
  emu_buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head>"
                  "<meta charset=\"utf-8\"><title>");
  emu_buf_html(b, title);
  emu_buf_puts(b, "</title></head><body>\n<main>\n<h1>");
  emu_buf_html(b, title);
  emu_buf_puts(b, "</h1>\n");
}

static enum MHD_Result page(emu_req *r) {
  const emu_kvlist *q = &r->query;
  const char *origin = emu_kv_get(q, "app_origin");
  emu_buf b = {0};
  if (!origin || !origin_ok(origin)) {
    page_start(&b, "Invalid app_origin");
    emu_buf_puts(&b, "<p id=\"error\">The redirect page needs "
                     "<code>app_origin</code>: the origin of the "
                     "application (scheme, host and port, no path), for "
                     "example <code>http://localhost:8000</code>.</p>\n"
                     "</main></body></html>\n");
    enum MHD_Result ret = emu_respond_html(r, MHD_HTTP_BAD_REQUEST, b.p);
    emu_buf_free(&b);
    return ret;
  }
  const char *err = emu_kv_get(q, "error");
  page_start(&b, err ? "Connect ended with an error" : "Connect is done");
  emu_buf_puts(&b, "<p>You can close this window and go back to the "
                   "application.</p>\n<dl id=\"result\">\n");
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    const char *v = emu_kv_get(q, fields[i].param);
    if (!v) continue;
    emu_buf_puts(&b, "<dt>");
    emu_buf_html(&b, fields[i].param);
    emu_buf_printf(&b, "</dt><dd id=\"%s\">", fields[i].param);
    emu_buf_html(&b, v);
    emu_buf_puts(&b, "</dd>\n");
  }
  emu_buf_puts(&b, "</dl>\n</main>\n<script>\n(function () {\n"
                   "  var q = new URLSearchParams(window.location.search);\n"
                   "  var get = function (k) { return q.get(k); };\n"
                   "  var message = {name: 'SmartcarAuthMessage', "
                   "isSmartcarHosted: true");
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    emu_buf_printf(&b, ",\n    %s: get('%s')", fields[i].field,
                   fields[i].param);
  emu_buf_puts(&b, "};\n  if (!window.opener) return;\n"
                   "  window.opener.postMessage(message, get('app_origin'));"
                   "\n  window.close();\n})();\n</script>\n</body></html>\n");
  emu_hdr h[] = {{MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"}};
  enum MHD_Result ret = emu_respond(r, MHD_HTTP_OK, "text/html; charset=utf-8",
                                    b.p, b.len, h, 1);
  emu_buf_free(&b);
  return ret;
}

int emu_redirect_route(emu_req *r, enum MHD_Result *ret) {
  if (strcmp(r->path, "/v2/redirect") != 0) return 0;
  *ret = emu_method_is(r, "GET") ? page(r) : emu_respond_not_found(r);
  return 1;
}
