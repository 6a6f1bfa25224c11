/* Smartcar Connect: the authorize pages (brand, login, grant, error), the
 * decision shared by POST /oauth/authorize/decide and POST
 * /_emulator/connect, and the record of what each owner granted.
 *
 *   GET  /oauth/authorize          brand page (no make/single_select_vin),
 *                                  else the login page; bad deep links get
 *                                  an error page with "go back to the app"
 *   POST /oauth/authorize/login    email + password -> grant page, or a
 *                                  302 (error accounts, approval_prompt=auto
 *                                  with an earlier grant that covers it)
 *   POST /oauth/authorize/decide   action=allow|approve|deny|back -> 302
 *   GET|DELETE /_emulator/connect/grants   the grants recorded so far
 *
 * Every form carries the original authorize query as hidden fields, so each
 * step can check it again and nothing lives on the server between steps. */
#include "emu.h"
#include "connect.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


/* Granted when the Connect URL carries no scope at all (the real service
 * falls back to the app's dashboard configuration). */
static const char *const default_scopes[] = {
    "read_vehicle_info", "read_vin",     "read_odometer",  "read_location",
    "read_fuel",         "read_battery", "read_charge",    "read_engine_oil",
    "read_tires",        "read_security", "control_charge", "control_security",
};


static const char no_vehicles_description[] =
    "No vehicles found. Please add vehicles to your account and try again.";

static const char config_description[] =
    "There has been an error in the configuration of your application.";

int cn_nonempty(const char *s) { return s && *s; }

/* "live" when absent; the legacy test_mode=true means "test". */
const char *cn_mode(const emu_kvlist *q) {
  const char *mode = emu_kv_get(q, "mode");
  if (cn_nonempty(mode)) return mode;
  const char *legacy = emu_kv_get(q, "test_mode");
  return legacy && emu_strcaseeq(legacy, "true") ? "test" : "live";
}

/* The brand the owner picked on the brand page, when it counts: only
 * without make and single_select_vin, and only a known one (or ANY). */
const char *cn_picked_brand(const emu_kvlist *q) {
  const char *b = emu_kv_get(q, "brand");
  if (!cn_nonempty(b) || cn_nonempty(emu_kv_get(q, "make")) ||
      cn_nonempty(emu_kv_get(q, "single_select_vin")))
    return NULL;
  if (emu_strcaseeq(b, ANY_BRAND) || emu_make_find(b)) return b;
  return NULL;
}

/* <anything>@<anything>.com, no spaces or controls, one '@'. */
static int email_ok(const char *e) {
  const char *at = strchr(e, '@');
  if (!at || at == e || strchr(at + 1, '@')) return 0;
  for (const char *p = e; *p; p++)
    if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) return 0;
  const char *dom = at + 1;
  size_t n = strlen(dom);
  return n > 4 && dom[0] != '.' && strcasecmp(dom + n - 4, ".com") == 0;
}

/* ------------------------------------------------------------ validation */

/* The request itself: a known application, a registered redirect URI and
 * response_type=code. Failing any of these is a 400 page and never a
 * redirect. Returns the redirect URI (borrowed from the config), or NULL
 * with *field set and *message allocated. */
static const char *check_request(const emu_kvlist *q, const char **field,
                                 char **message) {
  const char *client_id = emu_kv_get(q, "client_id");
  if (!client_id) client_id = emu_kv_get(q, "application_id");
  emu_buf m = {0};
  const char *uri = NULL;
  *field = NULL;
  if (!cn_nonempty(client_id)) {
    *field = "client_id";
    emu_buf_puts(&m, "Missing client_id.");
  } else if (strcmp(client_id, emu_cfg.client_id) != 0) {
    *field = "client_id";
    emu_buf_printf(&m, "Unknown client_id: %s.", client_id);
  }
  if (!*field) {
    const char *given = emu_kv_get(q, "redirect_uri");
    if (given)
      uri = emu_redirect_uri_registered(given) || emu_redirect_standin_ok(given)
                ? given
                : NULL;
    else
      uri = emu_cfg.n_redirect_uris ? emu_cfg.redirect_uris[0] : NULL;
    if (!uri) {
      *field = "redirect_uri";
      if (given)
        emu_buf_printf(&m, "redirect_uri is not registered for this "
                           "application: %s.", given);
      else
        emu_buf_puts(&m, "No redirect_uri given and none registered.");
    }
  }
  if (!*field) {
    const char *rt = emu_kv_get(q, "response_type");
    if (!rt || strcmp(rt, "code") != 0) {
      *field = "response_type";
      emu_buf_printf(&m, "Unsupported response_type: %s (expected code).",
                     rt ? rt : "(missing)");
    }
  }
  if (*field) {
    *message = emu_buf_take(&m);
    return NULL;
  }
  return uri;
}

static int vin_well_formed(const char *vin) {
  size_t n = 0;
  for (; vin[n]; n++)
    if (!isalnum((unsigned char)vin[n])) return 0;
  return n == 17;
}

/* Configuration errors Connect can see before anyone logs in: a bad mode,
 * an unknown make, a single_select_vin that is not a VIN. Returns the
 * message shown on the error page (caller frees) or NULL. */
static char *check_deep_link(const emu_kvlist *q) {
  emu_buf m = {0};
  const char *mode = emu_kv_get(q, "mode");
  const char *make = emu_kv_get(q, "make");
  const char *vin = emu_kv_get(q, "single_select_vin");
  if (mode && strcmp(mode, "live") != 0 && strcmp(mode, "test") != 0 &&
      strcmp(mode, "simulated") != 0)
    emu_buf_printf(&m, "Invalid mode: %s. Expected live, test or simulated.",
                   mode);
  else if (cn_nonempty(make) && !emu_make_find(make))
    emu_buf_printf(&m, "The make %s is not supported.", make);
  else if (vin && !vin_well_formed(vin))
    emu_buf_printf(&m, "The single_select_vin %s is not a valid VIN (17 "
                       "letters and digits).", vin);
  return m.p ? emu_buf_take(&m) : NULL;
}

/* After login (lock held): in test mode a single_select_vin must be one
 * of the test owner's vehicles. */
static char *check_owner(const emu_kvlist *q, const emu_user *u) {
  const char *vin = emu_kv_get(q, "single_select_vin");
  if (!cn_nonempty(vin) || strcmp(cn_mode(q), "test") != 0) return NULL;
  for (int i = 0; i < u->n_vehicles; i++)
    if (emu_strcaseeq(u->vehicles[i].vin, vin)) return NULL;
  emu_buf m = {0};
  emu_buf_printf(&m, "The single_select_vin %s does not belong to this test "
                     "account: in test mode it must be one of the account's "
                     "vehicles.", vin);
  return emu_buf_take(&m);
}

/* ---------------------------------------------------------------- scopes */

/* The requested permissions, "required:" stripped (and noted),
 * deduplicated; no scope parameter means the default set. */
perm *cn_parse_perms(const char *scope, size_t *n_out) {
  const size_t n_default = sizeof default_scopes / sizeof *default_scopes;
  size_t n = 0, cap = n_default;
  perm *v = emu_xmalloc(cap * sizeof *v);
  if (!scope) {
    for (size_t i = 0; i < n_default; i++) {
      v[n].name = emu_strdup(default_scopes[i]);
      v[n++].required = 0;
    }
    *n_out = n;
    return v;
  }
  const char *p = scope;
  while (*p) {
    while (*p == ' ') p++;
    const char *e = p;
    while (*e && *e != ' ') e++;
    if (e > p) {
      const char *s = p;
      int req = (size_t)(e - s) > 9 && strncmp(s, "required:", 9) == 0;
      if (req) s += 9;
      char *name = emu_strndup(s, (size_t)(e - s));
      size_t i = 0;
      while (i < n && strcmp(v[i].name, name) != 0) i++;
      if (i < n) {
        v[i].required |= req;
        free(name);
      } else {
        if (n == cap) v = emu_xrealloc(v, (cap *= 2) * sizeof *v);
        v[n].name = name;
        v[n++].required = req;
      }
    }
    p = e;
  }
  *n_out = n;
  return v;
}

void cn_free_perms(perm *v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i].name);
  free(v);
}

/* ----------------------------------------------------- recorded grants */

/* What one owner granted one application so far: the union of the
 * permissions of every approval, and the latest user/flags/mode. Guarded
 * by the state lock; POST /_emulator/reset forgets them. */
typedef struct grant_rec {
  char *client_id, *email; /* email lower-cased, as emu_user keeps it */
  char user_id[37];
  char **perms;
  size_t n_perms;
  char *user, *flags, *mode;
  int64_t first_ms, last_ms;
  unsigned approvals;
  struct grant_rec *next;
} grant_rec;

static grant_rec *grant_recs; /* oldest first */

static grant_rec *grant_rec_find(const char *client_id, const char *email) {
  for (grant_rec *g = grant_recs; g; g = g->next)
    if (strcmp(g->client_id, client_id) == 0 && strcmp(g->email, email) == 0)
      return g;
  return NULL;
}

static int grant_rec_has(const grant_rec *g, const char *name) {
  for (size_t i = 0; i < g->n_perms; i++)
    if (strcmp(g->perms[i], name) == 0) return 1;
  return 0;
}

static int grant_rec_covers(const grant_rec *g, const perm *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!grant_rec_has(g, p[i].name)) return 0;
  return 1;
}

static void set_str(char **dst, const char *src) {
  free(*dst);
  *dst = src ? emu_strdup(src) : NULL;
}

static void grant_rec_note(const emu_user *u, const char *client_id,
                           const perm *p, size_t n, const emu_kvlist *q) {
  grant_rec *g = grant_rec_find(client_id, u->email);
  int64_t now = emu_now_ms();
  if (!g) {
    g = emu_xmalloc(sizeof *g);
    memset(g, 0, sizeof *g);
    g->client_id = emu_strdup(client_id);
    g->email = emu_strdup(u->email);
    memcpy(g->user_id, u->id, sizeof g->user_id);
    g->first_ms = now;
    grant_rec **pp = &grant_recs;
    while (*pp) pp = &(*pp)->next;
    *pp = g;
  }
  for (size_t i = 0; i < n; i++) {
    if (grant_rec_has(g, p[i].name)) continue;
    g->perms = emu_xrealloc(g->perms, (g->n_perms + 1) * sizeof(char *));
    g->perms[g->n_perms++] = emu_strdup(p[i].name);
  }
  set_str(&g->user, emu_kv_get(q, "user"));
  set_str(&g->flags, emu_kv_get(q, "flags"));
  set_str(&g->mode, cn_mode(q));
  g->last_ms = now;
  g->approvals++;
}

static void grant_rec_free(grant_rec *g) {
  for (size_t i = 0; i < g->n_perms; i++) free(g->perms[i]);
    free(g->perms);
    free(g->client_id);
    free(g->email);
    free(g->user);
    free(g->flags);
    free(g->mode);
    free(g);
}

void emu_connect_reset(void) { EMU_LIST_FREE(grant_recs, grant_rec_free); }

/* flags=k:v k:v -> {"k": "v"}; an entry without ':' maps to "". */
static cJSON *flags_json(const char *flags) {
  cJSON *o = cJSON_CreateObject();
  const char *p = flags;
  while (p && *p) {
    while (*p == ' ') p++;
    const char *e = p;
    while (*e && *e != ' ') e++;
    if (e > p) {
      const char *colon = memchr(p, ':', (size_t)(e - p));
      char *k = emu_strndup(p, (size_t)((colon ? colon : e) - p));
      char *v = colon ? emu_strndup(colon + 1, (size_t)(e - colon - 1))
                      : emu_strdup("");
      cJSON_DeleteItemFromObjectCaseSensitive(o, k);
      cJSON_AddStringToObject(o, k, v);
      free(k);
      free(v);
    }
    p = e;
  }
  return o;
}

static cJSON *grants_json(void) {
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_AddArrayToObject(o, "grants");
  emu_lock();
  for (const grant_rec *g = grant_recs; g; g = g->next) {
    cJSON *e = cJSON_CreateObject();
    char when[32];
    cJSON_AddStringToObject(e, "client_id", g->client_id);
    cJSON_AddStringToObject(e, "email", g->email);
    cJSON_AddStringToObject(e, "user_id", g->user_id);
    cJSON *ps = cJSON_AddArrayToObject(e, "permissions");
    for (size_t i = 0; i < g->n_perms; i++)
      cJSON_AddItemToArray(ps, cJSON_CreateString(g->perms[i]));
    emu_json_str_or_null(e, "user", g->user);
    if (g->flags)
      cJSON_AddItemToObject(e, "flags", flags_json(g->flags));
    else
      cJSON_AddNullToObject(e, "flags");
    emu_json_str_or_null(e, "mode", g->mode);
    cJSON_AddNumberToObject(e, "approvals", g->approvals);
    emu_iso8601(when, g->first_ms);
    cJSON_AddStringToObject(e, "first_granted_at", when);
    emu_iso8601(when, g->last_ms);
    cJSON_AddStringToObject(e, "last_granted_at", when);
    cJSON_AddItemToArray(a, e);
  }
  emu_unlock();
  return o;
}

/* ------------------------------------------------------------- vehicles */

/* The owner's vehicles Connect may offer: narrowed by single_select_vin,
 * else make, else the brand picked on the brand page. */
static unsigned candidates(emu_user *u, const emu_kvlist *q) {
  const char *vin = emu_kv_get(q, "single_select_vin");
  const char *make = emu_kv_get(q, "make");
  const char *brand = cn_picked_brand(q);
  int test = strcmp(cn_mode(q), "test") == 0;
  if (!cn_nonempty(make) && brand && !emu_strcaseeq(brand, ANY_BRAND))
    make = brand;
  /* test mode: a brand brings its test vehicles (makes.c) */
  if (test && !cn_nonempty(vin) && cn_nonempty(make))
    return emu_user_add_make(u, make);
  unsigned mask = 0;
  for (int i = 0; i < u->n_vehicles; i++) {
    const emu_vehicle *v = &u->vehicles[i];
    if (cn_nonempty(vin)) {
      if (emu_strcaseeq(v->vin, vin)) mask |= 1u << i;
    } else if (!test && i >= EMU_FLEET_SIZE) {
      continue; /* live and simulated owners have the base fleet only */
    } else if (!cn_nonempty(make) || emu_strcaseeq(v->make, make)) {
      mask |= 1u << i;
    }
  }
  return mask;
}

int cn_single_select(const emu_kvlist *q) {
  const char *s = emu_kv_get(q, "single_select");
  return (s && emu_strcaseeq(s, "true")) ||
         cn_nonempty(emu_kv_get(q, "single_select_vin"));
}

/* What is shared: the vehicles ticked on the grant page ("vehicle"
 * fields), or every candidate; single_select keeps the first. Returns 0
 * with *bad set when a ticked id is not a candidate. */
static unsigned choose(const emu_user *u, const emu_kvlist *q, unsigned cand,
                       int *bad) {
  unsigned mask = 0;
  int any = 0;
  *bad = 0;
  for (size_t k = 0; k < q->n; k++) {
    if (strcmp(q->items[k].key, "vehicle") != 0) continue;
    any = 1;
    int found = 0;
    for (int i = 0; i < u->n_vehicles; i++)
      if ((cand & (1u << i)) &&
          emu_strcaseeq(u->vehicles[i].id, q->items[k].value)) {
        mask |= 1u << i;
        found = 1;
      }
    if (!found) *bad = 1;
  }
  if (*bad) return 0;
  /* the grant page always sends vehicle_choice: nothing ticked there
   * means nothing shared; a direct POST without it shares them all */
  if (!any) mask = emu_kv_get(q, "vehicle_choice") ? 0 : cand;
  if (cn_single_select(q) && mask) mask &= ~(mask - 1); /* the first one */
  return mask;
}

/* ---------------------------------------------------------- redirects */

/* uri + ('?' or '&') + params (+ state) + the URI's fragment, if any. */
typedef struct redirect {
  emu_buf params;
  int n;
} redirect;

static void param(redirect *r, const char *k, const char *v) {
  if (r->n++) emu_buf_puts(&r->params, "&");
  emu_buf_puts(&r->params, k);
  emu_buf_puts(&r->params, "=");
  emu_buf_pct(&r->params, v);
}

static char *finish(redirect *r, const char *uri, const emu_kvlist *q) {
  const char *state = emu_kv_get(q, "state");
  if (state) param(r, "state", state);
  const char *hash = strchr(uri, '#');
  size_t base = hash ? (size_t)(hash - uri) : strlen(uri);
  emu_buf b = {0};
  emu_buf_put(&b, uri, base);
  const char *qm = memchr(uri, '?', base);
  if (!qm)
    emu_buf_puts(&b, "?");
  else if (base > 0 && uri[base - 1] != '?' && uri[base - 1] != '&')
    emu_buf_puts(&b, "&");
  if (r->params.p) emu_buf_puts(&b, r->params.p);
  if (hash) emu_buf_puts(&b, hash);
  emu_buf_free(&r->params);
  return emu_buf_take(&b);
}

static char *error_location(const char *uri, const emu_kvlist *q,
                            const char *error, const char *description) {
  redirect r = {{0}, 0};
  param(&r, "error", error);
  param(&r, "error_description", description);
  return finish(&r, uri, q);
}

static char *config_location(const char *uri, const emu_kvlist *q,
                             const char *message) {
  redirect r = {{0}, 0};
  param(&r, "error", "configuration_error");
  param(&r, "error_description", config_description);
  param(&r, "status_code", "400");
  param(&r, "error_message", message);
  return finish(&r, uri, q);
}

/* Outcomes decided by the account alone, before any vehicle: NULL for an
 * ordinary owner. */
static char *account_outcome(const char *uri, const emu_kvlist *q,
                             const char *email) {
  redirect r = {{0}, 0};
  if (emu_strcaseeq(email, SERVER_ERROR_EMAIL)) {
    param(&r, "error", "server_error");
    param(&r, "error_description",
          "Smartcar Connect encountered an unexpected error. Please try "
          "again later.");
  } else if (emu_strcaseeq(email, INCOMPATIBLE_EMAIL)) {
    param(&r, "error", "vehicle_incompatible");
    param(&r, "error_description", "The user's vehicle is not compatible.");
    param(&r, "vin", "0SCAUDI012FE3B132");
    param(&r, "make", "AUDI");
    param(&r, "model", "A4");
    param(&r, "year", "2017");
  } else if (emu_strcaseeq(email, NO_VEHICLES_EMAIL)) {
    param(&r, "error", "no_vehicles");
    param(&r, "error_description", no_vehicles_description);
  } else if (emu_strcaseeq(email, SUBSCRIPTION_EMAIL)) {
    param(&r, "error", "invalid_subscription");
    param(&r, "error_description",
          "User does not have an active connected vehicle subscription.");
  } else {
    return NULL;
  }
  return finish(&r, uri, q);
}

/* ------------------------------------------------------------ decision */

enum { ACT_INVALID = -2, ACT_LOGIN = -1, ACT_DENY, ACT_APPROVE, ACT_BACK };

static int parse_action(const char *a) {
  if (!a) return ACT_INVALID;
  if (strcmp(a, "approve") == 0 || strcmp(a, "allow") == 0) return ACT_APPROVE;
  if (strcmp(a, "deny") == 0) return ACT_DENY;
  if (strcmp(a, "back") == 0) return ACT_BACK;
  return ACT_INVALID;
}

typedef enum { OUT_REFUSE, OUT_CONFIG, OUT_REDIRECT, OUT_GRANT } out_kind;

typedef struct flow {
  out_kind kind;
  const char *field;  /* OUT_REFUSE */
  char *message;      /* OUT_REFUSE, OUT_CONFIG; OUT_GRANT: a hint */
  char *location;     /* OUT_REDIRECT; OUT_CONFIG: the go-back redirect */
  unsigned candidates; /* OUT_GRANT */
} flow;

static void flow_free(flow *f) {
  free(f->message);
  free(f->location);
  f->message = f->location = NULL;
}

static void refuse(flow *f, const char *field, const char *message) {
  f->kind = OUT_REFUSE;
  f->field = field;
  f->message = emu_strdup(message);
}

/* Issues a code for mask (lock held): the grant, the management
 * connections and the grant record. */
static char *approve(const char *uri, const emu_kvlist *q, emu_user *u,
                     unsigned mask, const perm *p, size_t n) {
  char **names = emu_xmalloc((n ? n : 1) * sizeof(char *));
  for (size_t i = 0; i < n; i++) names[i] = p[i].name;
  emu_grant *g = emu_grant_new(u, names, n, mask, emu_cfg.client_id);
  free(names);
  emu_token *code = emu_token_new(EMU_TOK_CODE, g, EMU_CODE_TTL_MS, uri);
  emu_connections_add(u, mask, cn_mode(q)); /* management */
  grant_rec_note(u, emu_cfg.client_id, p, n, q);
  redirect r = {{0}, 0};
  param(&r, "code", code->key);
  param(&r, "user_id", u->id); /* v3 (spec v3 2.3): the sc-user-id */
  return finish(&r, uri, q);
}

/* The whole decision after the owner typed email (and, for act other than
 * ACT_LOGIN, pressed a button). Order: the request, the action, the email,
 * the deep link, the account (server error and the test trigger accounts),
 * the owner's fleet (test-mode VIN, no vehicles), then deny or the grant.
 * ACT_BACK only ever leaves through a configuration error. */
static void evaluate(const emu_kvlist *q, int act, const char *email,
                     flow *f) {
  memset(f, 0, sizeof *f);
  const char *uri = check_request(q, &f->field, &f->message);
  if (!uri) {
    f->kind = OUT_REFUSE;
    return;
  }
  if (act == ACT_INVALID) {
    refuse(f, "action", "action must be approve (or allow), deny or back.");
    return;
  }
  if (!cn_nonempty(email)) email = DEFAULT_EMAIL;
  if (!email_ok(email)) {
    refuse(f, "email", "email must look like name@domain.com.");
    return;
  }
  char *msg = check_deep_link(q);
  if (msg) {
    f->kind = OUT_CONFIG;
    f->message = msg;
    f->location = config_location(uri, q, msg);
    return;
  }
  if (act != ACT_BACK && (f->location = account_outcome(uri, q, email))) {
    f->kind = OUT_REDIRECT;
    return;
  }
  emu_lock();
  emu_user *u = emu_user_get(email);
  if ((msg = check_owner(q, u))) {
    emu_unlock();
    f->kind = OUT_CONFIG;
    f->message = msg;
    f->location = config_location(uri, q, msg);
    return;
  }
  if (act == ACT_BACK) {
    emu_unlock();
    refuse(f, "action", "Nothing to go back from: this request has no "
                        "configuration error.");
    return;
  }
  unsigned cand = candidates(u, q);
  if (!cand) {
    emu_unlock();
    f->kind = OUT_REDIRECT;
    f->location = error_location(
        uri, q, "no_vehicles",
        no_vehicles_description);
    return;
  }
  if (act == ACT_DENY) {
    emu_unlock();
    f->kind = OUT_REDIRECT;
    f->location = error_location(uri, q, "access_denied",
                                 "User denied access to application.");
    return;
  }
  size_t n;
  perm *p = cn_parse_perms(emu_kv_get(q, "scope"), &n);
  if (act == ACT_LOGIN) {
    const char *prompt = emu_kv_get(q, "approval_prompt");
    const grant_rec *g = grant_rec_find(emu_cfg.client_id, u->email);
    if ((prompt && strcmp(prompt, "force") == 0) || !g ||
        !grant_rec_covers(g, p, n)) {
      emu_unlock();
      cn_free_perms(p, n);
      f->kind = OUT_GRANT;
      f->candidates = cand;
      return;
    }
  }
  int bad;
  unsigned mask = choose(u, q, cand, &bad);
  if (bad) {
    emu_unlock();
    cn_free_perms(p, n);
    refuse(f, "vehicle", "A chosen vehicle is not one this request can "
                         "share.");
    return;
  }
  if (!mask) { /* the grant page's boxes were all left unticked */
    emu_unlock();
    cn_free_perms(p, n);
    f->kind = OUT_GRANT;
    f->candidates = cand;
    f->message = emu_strdup("Choose at least one vehicle to share.");
    return;
  }
  f->kind = OUT_REDIRECT;
  f->location = approve(uri, q, u, mask, p, n);
  emu_unlock();
  cn_free_perms(p, n);
}

void emu_connect_decide(const emu_kvlist *q, const char *action,
                        const char *email, emu_connect_outcome *out) {
  memset(out, 0, sizeof *out);
  flow f;
  evaluate(q, parse_action(action), email, &f);
  switch (f.kind) {
  case OUT_CONFIG:
    out->configuration_error = 1;
    out->location = f.location;
    out->message = f.message;
    return;
  case OUT_REDIRECT:
    out->location = f.location;
    free(f.message);
    return;
  case OUT_GRANT: /* only with vehicle_choice and no vehicle */
    out->field = "vehicle";
    out->message = emu_strdup("Choose at least one vehicle to share.");
    flow_free(&f);
    return;
  case OUT_REFUSE:
    out->field = f.field;
    out->message = f.message;
    free(f.location);
    return;
  }
}

void emu_connect_outcome_free(emu_connect_outcome *o) {
  free(o->location);
  free(o->message);
  o->location = o->message = NULL;
}

/* ---------------------------------------------------------- handlers */

static enum MHD_Result authorize_page(emu_req *r) {
  const emu_kvlist *q = &r->query;
  const char *field;
  char *msg = NULL;
  if (!check_request(q, &field, &msg)) {
    enum MHD_Result ret = cn_refusal_page(r, msg);
    free(msg);
    return ret;
  }
  if ((msg = check_deep_link(q))) {
    enum MHD_Result ret = cn_config_page(r, q, NULL, msg);
    free(msg);
    return ret;
  }
  const char *b = emu_kv_get(q, "brand");
  /* the preamble first; a brand can only come from the brand page,
   * which lies past it */
  if (!cn_nonempty(emu_kv_get(q, "preamble")) && !cn_nonempty(b))
    return cn_preamble_page(r, q);
  if (cn_nonempty(emu_kv_get(q, "make")) ||
      cn_nonempty(emu_kv_get(q, "single_select_vin")) || cn_picked_brand(q))
    return cn_login_page(r, q, NULL, NULL, MHD_HTTP_OK);
  return cn_brand_page(r, q, cn_nonempty(b) ? "Unknown brand; pick one below."
                                            : NULL);
}

/* Renders what evaluate() decided for a page step. */
static enum MHD_Result render(emu_req *r, const emu_kvlist *q,
                              const char *email, flow *f) {
  enum MHD_Result ret;
  switch (f->kind) {
  case OUT_REDIRECT:
    ret = emu_respond_redirect(r, f->location);
    break;
  case OUT_CONFIG:
    ret = cn_config_page(r, q, email, f->message);
    break;
  case OUT_GRANT:
    ret = cn_grant_page(r, q, email, f->candidates, f->message,
                     f->message ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_OK);
    break;
  default:
    ret = cn_refusal_page(r, f->message);
  }
  flow_free(f);
  return ret;
}

static enum MHD_Result login(emu_req *r) {
  emu_kvlist form = {0};
  if (r->body) emu_kv_parse(&form, r->body, r->body_len);
  const char *email = emu_kv_get(&form, "email");
  const char *password = emu_kv_get(&form, "password");
  const char *field;
  char *msg = NULL;
  enum MHD_Result ret;
  flow f;
  if (!check_request(&form, &field, &msg)) {
    ret = cn_refusal_page(r, msg);
  } else if ((msg = check_deep_link(&form))) {
    ret = cn_config_page(r, &form, NULL, msg);
  } else if (!cn_nonempty(email) || !email_ok(email) ||
             !cn_nonempty(password)) {
    ret = cn_login_page(r, &form, email,
                     "Enter an email of the form name@domain.com and a "
                     "password.",
                     MHD_HTTP_BAD_REQUEST);
  } else {
    evaluate(&form, ACT_LOGIN, email, &f);
    ret = render(r, &form, email, &f);
  }
  free(msg);
  emu_kv_free(&form);
  return ret;
}

static enum MHD_Result decide(emu_req *r) {
  emu_kvlist form = {0};
  if (r->body) emu_kv_parse(&form, r->body, r->body_len);
  const char *email = emu_kv_get(&form, "email");
  int act = parse_action(emu_kv_get(&form, "action"));
  flow f;
  evaluate(&form, act, email, &f);
  enum MHD_Result ret;
  if (f.kind == OUT_CONFIG && act == ACT_BACK) {
    ret = emu_respond_redirect(r, f.location);
    flow_free(&f);
  } else {
    ret = render(r, &form, cn_nonempty(email) ? email : DEFAULT_EMAIL, &f);
  }
  emu_kv_free(&form);
  return ret;
}

enum MHD_Result emu_connect_handle(emu_req *r) {
  if (strcmp(r->path, "/oauth/authorize") == 0 && emu_method_is(r, "GET"))
    return authorize_page(r);
  if (strcmp(r->path, "/oauth/authorize/login") == 0 &&
      emu_method_is(r, "POST"))
    return login(r);
  if (strcmp(r->path, "/oauth/authorize/decide") == 0 &&
      emu_method_is(r, "POST"))
    return decide(r);
  return emu_respond_not_found(r);
}

/* /_emulator/connect/grants: GET lists, DELETE forgets. */
enum MHD_Result emu_connect_control(emu_req *r) {
  if (strcmp(r->path, "/_emulator/connect/grants") == 0) {
    if (emu_method_is(r, "GET"))
      return emu_respond_json(r, MHD_HTTP_OK, grants_json(), NULL, 0);
    if (emu_method_is(r, "DELETE")) {
      emu_lock();
      emu_connect_reset();
      emu_unlock();
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "status", "success");
      return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
    }
  }
  return emu_respond_not_found(r);
}
