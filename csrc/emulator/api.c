/* Vehicle API v1.0/v2.0 (any well-formed /v<major>.<minor>).
 *
 * One table (endpoints[], declared in api_endpoints.def) lists every
 * vehicle endpoint: method, path below /vehicles/{id}, permission, the
 * kinds of vehicle that can serve it, flags and the handler. Direct
 * requests and the sub-requests of POST /batch are both routed through
 * it. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void batch(call *c, outcome *o);

/* ---------------------------------------------------------------- table */

enum { K_BEV = 1, K_PHEV = 2, K_ICE = 4, K_EV = K_BEV | K_PHEV,
       K_FUEL = K_PHEV | K_ICE, K_ALL = 7 };
enum { EP_RECORDS = 1 }; /* api_endpoints.def */

typedef struct endpoint {
  const char *method;
  const char *path;  /* below /vehicles/{id}; "" is the vehicle itself */
  const char *scope; /* NULL: any valid token for the vehicle */
  unsigned kinds;    /* K_*: vehicles that can serve it, else 501 */
  unsigned flags;    /* EP_RECORDS or 0 */
  void (*fn)(call *c, outcome *o);
} endpoint;

static const endpoint endpoints[] = {
#define EMU_ENDPOINT(method, path, scope, kinds, flags, fn) \
  {method, path, scope, kinds, flags, fn},
#include "api_endpoints.def"
};

#define N_ENDPOINTS (sizeof endpoints / sizeof *endpoints)

/* The make a make-specific path is for, else NULL. */
static const emu_make *endpoint_make(const endpoint *e) {
  if (e->path[0] != '/') return NULL;
  const char *seg = e->path + 1, *end = strchr(seg, '/');
  return emu_make_by_segment(seg, end ? (size_t)(end - seg) : strlen(seg));
}

static const endpoint *find_exact(const char *method, const char *sub,
                                  size_t len) {
  for (size_t i = 0; i < N_ENDPOINTS; i++) {
    const endpoint *e = &endpoints[i];
    if (strncmp(e->path, sub, len) == 0 && e->path[len] == '\0' &&
        strcmp(e->method, method) == 0)
      return e;
  }
  return NULL;
}

/* The row for method + sub (sub[0..len)). A make segment in the wrong case
 * ("/TESLA/compass") finds its row with *wrong_case set: such requests are
 * refused with PERMISSION, as the service does. */
static const endpoint *find_endpoint(const char *method, const char *sub,
                                     size_t len, int *wrong_case) {
  *wrong_case = 0;
  const endpoint *e = find_exact(method, sub, len);
  if (e || len < 2 || len > 128) return e;
  char low[130];
  memcpy(low, sub, len);
  low[len] = '\0';
  int changed = 0;
  for (size_t i = 1; i < len && low[i] != '/'; i++) {
    int l = tolower((unsigned char)low[i]);
    changed |= l != low[i];
    low[i] = (char)l;
  }
  if (!changed) return NULL;
  e = find_exact(method, low, len);
  if (e && endpoint_make(e)) {
    *wrong_case = 1;
    return e;
  }
  return NULL;
}

static unsigned kind_bit(const emu_vehicle *v) {
  return v->engine == EMU_BEV ? K_BEV : v->engine == EMU_PHEV ? K_PHEV : K_ICE;
}

/* The per-endpoint checks after the vehicle itself passed: permission,
 * capability, sleep; then the handler. */
static void run_endpoint(const endpoint *ep, int wrong_case, call *c,
                         outcome *o, int permission_checked) {
  const emu_make *make = endpoint_make(ep);
  if (!permission_checked &&
      (wrong_case || (ep->scope && !emu_grant_has_scope(c->g, ep->scope)))) {
    api_fail(o, "PERMISSION", NULL);
  } else if (!(ep->kinds & kind_bit(c->v)) ||
             (make && strcasecmp(make->id, c->v->make) != 0)) {
    api_fail(o, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE");
  } else if (ep->scope && !(ep->flags & EP_RECORDS) && c->v->asleep) {
    api_fail(o, "VEHICLE_STATE", "ASLEEP");
  } else {
    ep->fn(c, o);
    o->data_read =
        !o->is_error && ep->scope && strcmp(ep->method, "GET") == 0;
  }
}

/* ----------------------------------------------------------------- batch */

typedef struct sub_request {
  const endpoint *ep;
  int wrong_case;
  char *path; /* as echoed: leading slash, no trailing one */
  emu_kvlist query;
} sub_request;

static void sub_free(sub_request *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(s[i].path);
    emu_kv_free(&s[i].query);
  }
  free(s);
}

static void batch(call *c, outcome *o) {
  cJSON *j = api_command_body(c, o);
  if (!j) return;
  const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(j, "requests");
  int n = cJSON_GetArraySize(reqs);
  if (!cJSON_IsArray(reqs) || n == 0 || n > 100) {
    api_fail_detail(o, "PARAMETER", "requests",
                "requests must be an array of 1 to 100 {\"path\"} objects.");
    cJSON_Delete(j);
    return;
  }
  sub_request *subs = emu_xmalloc((size_t)n * sizeof *subs);
  memset(subs, 0, (size_t)n * sizeof *subs);
  int i = 0;
  const cJSON *it;
  char field[48];
  /* every path must be known before any runs */
  cJSON_ArrayForEach(it, reqs) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "path");
    snprintf(field, sizeof field, "requests.%d.path", i);
    if (!cJSON_IsString(p)) {
      api_fail_detail(o, "PARAMETER", field, "path must be a string.");
      break;
    }
    const char *s = p->valuestring, *q = strchr(s, '?');
    size_t len = q ? (size_t)(q - s) : strlen(s);
    while (len && *s == '/') s++, len--;
    while (len && s[len - 1] == '/') len--;
    emu_buf b = {0};
    if (len) emu_buf_puts(&b, "/");
    emu_buf_put(&b, s, len);
    subs[i].path = emu_buf_take(&b);
    if (q) emu_kv_parse(&subs[i].query, q + 1, strlen(q + 1));
    subs[i].ep = find_endpoint("GET", subs[i].path, len ? len + 1 : 0,
                               &subs[i].wrong_case);
    if (!subs[i].ep) {
      emu_buf m = {0};
      emu_buf_printf(&m, "Unknown path: %s", p->valuestring);
      api_fail_detail(o, "PARAMETER", field, m.p);
      emu_buf_free(&m);
      i++;
      break;
    }
    if (!len) { /* the attributes path is echoed as "/" */
      free(subs[i].path);
      subs[i].path = emu_strdup("/");
    }
    i++;
  }
  if (o->is_error) {
    sub_free(subs, (size_t)i);
    cJSON_Delete(j);
    return;
  }
  char now[32];
  emu_iso8601(now, c->now);
  cJSON *b = cJSON_CreateObject();
  cJSON *out = cJSON_AddArrayToObject(b, "responses");
  for (int k = 0; k < n; k++) {
    outcome so;
    memset(&so, 0, sizeof so);
    call sc = *c;
    sc.query = &subs[k].query;
    run_endpoint(subs[k].ep, subs[k].wrong_case, &sc, &so, 0);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "path", subs[k].path);
    cJSON *h;
    if (so.is_error) {
      cJSON *body = emu_error_json_for(c->r->path, &so.err,
                                       c->r->request_id);
      cJSON_AddNumberToObject(e, "code", so.err.status);
      cJSON_AddItemToObject(e, "body", body);
      h = cJSON_AddObjectToObject(e, "headers");
    } else {
      cJSON_AddNumberToObject(e, "code", 200);
      cJSON_AddItemToObject(e, "body", so.body);
      h = cJSON_AddObjectToObject(e, "headers");
      if (so.data_read) {
        cJSON_AddStringToObject(h, "sc-data-age", now);
        cJSON_AddStringToObject(h, "sc-unit-system",
                                c->imperial ? "imperial" : "metric");
        cJSON_AddStringToObject(h, "sc-fetched-at", now);
      }
    }
    cJSON_AddItemToArray(out, e);
  }
  o->body = b;
  sub_free(subs, (size_t)n);
  cJSON_Delete(j);
}

/* ------------------------------------------------------------ helpers */

/* sc-unit-system: absent/metric -> 0, imperial -> 1, else -1. */
static int unit_system(emu_req *r) {
  const char *u = emu_header(r, "sc-unit-system");
  if (!u || emu_strcaseeq(u, "metric")) return 0;
  if (emu_strcaseeq(u, "imperial")) return 1;
  return -1;
}

/* Valid, unexpired access token from "Authorization: Bearer ...". Lock held. */
static const emu_grant *authenticate(emu_req *r) {
  char key[64];
  if (!emu_auth_bearer(r, key, sizeof key)) return NULL;
  const emu_token *t = emu_token_find(EMU_TOK_ACCESS, key);
  if (!t || emu_now_ms() >= t->expires_ms) return NULL;
  return t->grant;
}

/* ------------------------------------------------------------ routing */

static void user(call *c, outcome *o) {
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "id", c->g->user->id);
  o->body = b;
}

static void vehicles(call *c, outcome *o) {
  long limit, offset, total = 0;
  if (api_parse_paging(c->query, 10, &limit, &offset, o) != 0) return;
  cJSON *b = cJSON_CreateObject();
  cJSON *p = cJSON_CreateObject();
  cJSON_AddItemToObject(b, "paging", p);
  cJSON *a = cJSON_AddArrayToObject(b, "vehicles");
  for (int i = 0; i < c->g->user->n_vehicles; i++) {
    if (!(c->g->vehicle_mask & (1u << i))) continue;
    if (total >= offset && total < offset + limit)
      cJSON_AddItemToArray(a, cJSON_CreateString(c->g->user->vehicles[i].id));
    total++;
  }
  cJSON_AddNumberToObject(p, "count", (double)total);
  cJSON_AddNumberToObject(p, "offset", (double)offset);
  o->body = b;
}

/* Route "rest" (the path after the version). Fills o. */
static void route(emu_req *r, const char *rest, outcome *o) {
  call c;
  memset(&c, 0, sizeof c);
  c.r = r;
  c.query = &r->query;
  const endpoint *ep = NULL;
  int wrong_case = 0;
  char id[64] = "";
  enum { R_USER, R_VEHICLES, R_VEHICLE } kind;

  if (strcmp(rest, "/user") == 0 && emu_method_is(r, "GET")) {
    kind = R_USER;
  } else if (strcmp(rest, "/vehicles") == 0 && emu_method_is(r, "GET")) {
    kind = R_VEHICLES;
  } else if (strncmp(rest, "/vehicles/", 10) == 0) {
    const char *s = rest + 10, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    const char *sub = s + n;
    ep = find_endpoint(r->method, sub, strlen(sub), &wrong_case);
    if (!ep || n == 0) {
      o->not_found = 1;
      return;
    }
    if (n >= sizeof id) n = sizeof id - 1;
    memcpy(id, s, n);
    id[n] = '\0';
    kind = R_VEHICLE;
  } else {
    o->not_found = 1;
    return;
  }

  int retry;
  emu_lock();
  c.now = emu_now_ms();
  c.g = authenticate(r);
  if (!c.g) {
    api_fail(o, "AUTHENTICATION", NULL);
  } else if (emu_limit_app(c.now, &retry)) {
    api_fail_retry(o, "SMARTCAR_API", retry);
  } else if (kind == R_USER) {
    user(&c, o);
  } else if (kind == R_VEHICLES) {
    vehicles(&c, o);
  } else if (!emu_is_uuid(id)) {
    api_fail_detail(o, NULL, "vehicle_id", "vehicle id must be a UUID.");
  } else if (!(c.v = emu_grant_vehicle(c.g, id))) {
    api_fail(o, "PERMISSION", NULL);
  } else if (wrong_case ||
             (ep->scope && !emu_grant_has_scope(c.g, ep->scope))) {
    api_fail(o, "PERMISSION", NULL);
  } else if (emu_limit_vehicle(c.v, c.now, &retry)) {
    api_fail_retry(o, "VEHICLE", retry);
  } else if ((c.imperial = unit_system(r)) < 0) {
    c.imperial = 0;
    api_fail_detail(o, NULL, "sc-unit-system",
                "sc-unit-system must be metric or imperial.");
  } else {
    c.owner = c.g->user;
    c.index = (int)(c.v - c.owner->vehicles);
    emu_vehicle_sync(c.v, c.now);
    run_endpoint(ep, wrong_case, &c, o, 1);
  }
  emu_unlock();
  o->imperial = c.imperial;
  o->now = c.now;
}

enum MHD_Result emu_api_handle(emu_req *r) {
  const char *v = r->path + 2; /* after "/v" */
  const char *slash = strchr(v, '/');
  size_t vlen = slash ? (size_t)(slash - v) : strlen(v);
  if (!emu_version_well_formed(v, vlen)) {
    emu_error e = {.type = "RESOURCE_NOT_FOUND", .code = "VERSION"};
    return emu_respond_err(r, &e);
  }
  outcome o;
  memset(&o, 0, sizeof o);
  route(r, slash ? slash : "", &o);
  if (o.not_found) return emu_respond_not_found(r);
  if (o.is_error) return emu_respond_err(r, &o.err);
  if (!o.data_read) return emu_respond_json(r, MHD_HTTP_OK, o.body, NULL, 0);
  char now[32];
  emu_iso8601(now, o.now);
  emu_hdr h[] = {{"SC-Data-Age", now},
                 {"SC-Fetched-At", now},
                 {"SC-Unit-System", o.imperial ? "imperial" : "metric"}};
  return emu_respond_json(r, MHD_HTTP_OK, o.body, h, 3);
}
