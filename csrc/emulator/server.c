/* libmicrohttpd glue: request objects, body collection, routing and the
 * response helpers every handler uses. */
#include "emu.h"

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ------------------------------------------------------------- responses */

const char *emu_header(emu_req *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int emu_method_is(emu_req *r, const char *m) {
  return strcmp(r->method, m) == 0;
}

enum MHD_Result emu_respond(emu_req *r, unsigned status, const char *ctype,
                            const char *body, size_t len, const emu_hdr *extra,
                            size_t n_extra) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  MHD_add_response_header(resp, "SC-Request-Id", r->request_id);
  for (size_t i = 0; i < n_extra; i++)
    MHD_add_response_header(resp, extra[i].name, extra[i].value);
  enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
  MHD_destroy_response(resp);
  r->responded = 1;
  if (emu_cfg.verbose)
    fprintf(stderr, "smartcar-emulator: %s %s -> %u\n", r->method,
            r->path ? r->path : "?", status);
  return ret;
}

enum MHD_Result emu_respond_json(emu_req *r, unsigned status, cJSON *json,
                                 const emu_hdr *extra, size_t n_extra) {
  char *text = json ? cJSON_PrintUnformatted(json) : NULL;
  cJSON_Delete(json);
  if (!text) return MHD_NO;
  enum MHD_Result ret = emu_respond(r, status, "application/json", text,
                                    strlen(text), extra, n_extra);
  cJSON_free(text);
  return ret;
}

enum MHD_Result emu_respond_html(emu_req *r, unsigned status,
                                 const char *html) {
  return emu_respond(r, status, "text/html; charset=utf-8", html, strlen(html),
                     NULL, 0);
}

enum MHD_Result emu_respond_redirect(emu_req *r, const char *location) {
  static const char body[] = "Redirecting";
  emu_hdr h[] = {{MHD_HTTP_HEADER_LOCATION, location},
                 {MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"}};
  return emu_respond(r, MHD_HTTP_FOUND, "text/html; charset=utf-8", body,
                     sizeof body - 1, h, 2);
}

/* "RESOURCE_NOT_FOUND" -> "resource-not-found" */
static void slug(emu_buf *b, const char *s) {
  for (; *s; s++)
    emu_buf_printf(b, "%c", *s == '_' ? '-' : tolower((unsigned char)*s));
}

static void error_defaults(const char *type, const char **resolution,
                           const char **message) {
  *resolution = NULL;
  if (strcmp(type, "AUTHENTICATION") == 0) {
    *message = "Your vehicle's connection to this application was lost. "
               "Please reconnect your vehicle.";
  } else if (strcmp(type, "PERMISSION") == 0) {
    *resolution = "REAUTHENTICATE";
    *message = "Please reconnect your vehicle and grant this application "
               "the permissions it needs.";
  } else if (strcmp(type, "VALIDATION") == 0) {
    *message = "This application sent an invalid request. Please try again "
               "later or contact the application's support.";
  } else if (strcmp(type, "RESOURCE_NOT_FOUND") == 0) {
    *message = "This application asked for something that does not exist. "
               "Please contact the application's support.";
  } else {
    *message = "Something went wrong. Please try again later.";
  }
}

enum MHD_Result emu_respond_error(emu_req *r, unsigned status,
                                  const char *type, const char *code,
                                  const char *description, cJSON *detail) {
  const char *resolution, *message;
  error_defaults(type, &resolution, &message);
  emu_buf url = {0};
  emu_buf_puts(&url, "https://smartcar.com/docs/errors/api-errors/");
  slug(&url, type);
  emu_buf_puts(&url, "-errors#");
  if (code)
    slug(&url, code);
  else
    emu_buf_puts(&url, "null");

  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", type);
  if (code)
    cJSON_AddStringToObject(o, "code", code);
  else
    cJSON_AddNullToObject(o, "code");
  cJSON_AddStringToObject(o, "description", description);
  cJSON_AddStringToObject(o, "docURL", url.p);
  cJSON_AddNumberToObject(o, "statusCode", status);
  cJSON_AddStringToObject(o, "requestId", r->request_id);
  cJSON *res = cJSON_AddObjectToObject(o, "resolution");
  if (resolution)
    cJSON_AddStringToObject(res, "type", resolution);
  else
    cJSON_AddNullToObject(res, "type");
  cJSON_AddStringToObject(o, "suggestedUserMessage", message);
  if (detail && strcmp(type, "VALIDATION") == 0)
    cJSON_AddItemToObject(o, "detail", detail);
  else
    cJSON_Delete(detail);
  emu_buf_free(&url);
  return emu_respond_json(r, status, o, NULL, 0);
}

enum MHD_Result emu_respond_validation(emu_req *r, const char *code,
                                       const char *field, const char *message) {
  cJSON *detail = cJSON_CreateArray();
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "field", field);
  cJSON_AddStringToObject(d, "message", message);
  cJSON_AddItemToArray(detail, d);
  const char *desc =
      code ? "Request contains an invalid parameter. See `detail` for the "
             "parameter and the reason."
           : "Request invalid or malformed. Please check for missing "
             "parameters, spelling and casing mistakes, and other syntax "
             "issues.";
  return emu_respond_error(r, MHD_HTTP_BAD_REQUEST, "VALIDATION", code, desc,
                           detail);
}

enum MHD_Result emu_respond_not_found(emu_req *r) {
  return emu_respond_error(r, MHD_HTTP_NOT_FOUND, "RESOURCE_NOT_FOUND", "PATH",
                           "The requested resource does not exist. Please "
                           "check the URL and try again.",
                           NULL);
}

enum MHD_Result emu_respond_oauth_error(emu_req *r, unsigned status,
                                        const char *error,
                                        const char *description) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", error);
  cJSON_AddStringToObject(o, "error_description", description);
  emu_hdr h[] = {{MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"}};
  return emu_respond_json(r, status, o, h, 1);
}

cJSON *emu_body_json(emu_req *r) {
  if (!r->body || r->body_len == 0) return NULL;
  return cJSON_ParseWithLength(r->body, r->body_len);
}

/* --------------------------------------------------------------- routing */

static enum MHD_Result dispatch(emu_req *r) {
  const char *p = r->path;
  if (strcmp(p, "/_emulator") == 0 || strncmp(p, "/_emulator/", 11) == 0)
    return emu_control_handle(r);
  if (strncmp(p, "/oauth/authorize", 16) == 0 &&
      (p[16] == '\0' || p[16] == '/'))
    return emu_connect_handle(r);
  if (strcmp(p, "/oauth/token") == 0) return emu_token_handle(r);
  if (p[0] == '/' && p[1] == 'v') return emu_api_handle(r);
  return emu_respond_not_found(r);
}

/* ------------------------------------------------------ MHD callbacks */

/* Called by MHD with the raw request target before it parses anything:
 * we keep our own decoding so '+' and %20 both mean space in queries,
 * and "X/" equals "X". */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  emu_req *r = emu_xmalloc(sizeof *r);
  memset(r, 0, sizeof *r);
  emu_uuid_random(r->request_id);
  const char *q = strchr(uri, '?');
  size_t plen = q ? (size_t)(q - uri) : strlen(uri);
  r->path = emu_pct_decode(uri, plen, 0);
  size_t n = strlen(r->path);
  while (n > 1 && r->path[n - 1] == '/') r->path[--n] = '\0';
  if (q) {
    const char *end = strchr(q + 1, '#');
    emu_kv_parse(&r->query, q + 1,
                 end ? (size_t)(end - q - 1) : strlen(q + 1));
  }
  return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode toe) {
  emu_req *r = *ctx;
  if (!r) return;
  free(r->path);
  emu_kv_free(&r->query);
  free(r->body);
  free(r);
  *ctx = NULL;
}

static enum MHD_Result too_large(emu_req *r) {
  return emu_respond_error(r, 413, "VALIDATION", NULL,
                           "Request body too large (limit 1 MiB).", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **ctx) {
  emu_req *r = *ctx;
  if (!r) return MHD_NO;
  if (!r->started) {
    r->started = 1;
    r->conn = c;
    r->method = method;
    const char *cl = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > EMU_MAX_BODY) {
      r->too_large = 1;
      return too_large(r); /* answered early; MHD closes the connection */
    }
    return MHD_YES;
  }
  if (r->responded) { /* early answer given; drop the rest of the body */
    *upload_size = 0;
    return MHD_YES;
  }
  if (*upload_size) {
    if (!r->too_large) {
      if (r->body_len + *upload_size > EMU_MAX_BODY) {
        r->too_large = 1;
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
      } else {
        r->body = emu_xrealloc(r->body, r->body_len + *upload_size + 1);
        memcpy(r->body + r->body_len, upload, *upload_size);
        r->body_len += *upload_size;
        r->body[r->body_len] = '\0';
      }
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (r->too_large) return too_large(r);
  return dispatch(r);
}

struct MHD_Daemon *emu_server_start(const char *host, int port, int *bound_port,
                                    char *err, size_t errlen) {
  struct addrinfo hints, *ai = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  int gai = getaddrinfo(host, portstr, &hints, &ai);
  if (gai != 0 || !ai) {
    snprintf(err, errlen, "cannot resolve host %s: %s", host,
             gai_strerror(gai));
    return NULL;
  }
  unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD;
  if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  if (emu_cfg.verbose) flags |= MHD_USE_ERROR_LOG;
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, (uint16_t)port, NULL, NULL, &on_request, NULL,
      MHD_OPTION_SOCK_ADDR, ai->ai_addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)2,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)512,
      MHD_OPTION_URI_LOG_CALLBACK, &on_uri, NULL,
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, NULL,
      MHD_OPTION_END);
  freeaddrinfo(ai);
  if (!d) {
    snprintf(err, errlen, "cannot listen on %s:%d", host, port);
    return NULL;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  *bound_port = info ? info->port : port;
  return d;
}
