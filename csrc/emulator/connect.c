/* Smartcar Connect: the authorize page, the form it posts, and the
 * approve/deny decision shared with POST /_emulator/connect. */
#include "emu.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_EMAIL "owner@example.com"

/* Granted when the Connect URL carries no scope at all (the real service
 * falls back to the app's dashboard configuration). */
static const char *const default_scopes[] = {
    "read_vehicle_info", "read_vin",     "read_odometer",  "read_location",
    "read_fuel",         "read_battery", "read_charge",    "read_engine_oil",
    "read_tires",        "read_security", "control_charge", "control_security",
};

/* Checks the authorize query. On success returns the redirect URI to use
 * (borrowed from the config); otherwise NULL with field/message set. */
static const char *validate(const emu_kvlist *q, emu_connect_outcome *out) {
  const char *client_id = emu_kv_get(q, "client_id");
  if (!client_id) client_id = emu_kv_get(q, "application_id");
  emu_buf m = {0};
  if (!client_id || !*client_id) {
    out->field = "client_id";
    emu_buf_puts(&m, "Missing client_id.");
  } else if (strcmp(client_id, emu_cfg.client_id) != 0) {
    out->field = "client_id";
    emu_buf_printf(&m, "Unknown client_id: %s.", client_id);
  }
  const char *uri = NULL;
  if (!out->field) {
    const char *given = emu_kv_get(q, "redirect_uri");
    uri = given ? emu_redirect_uri_registered(given)
                : (emu_cfg.n_redirect_uris ? emu_cfg.redirect_uris[0] : NULL);
    if (!uri) {
      out->field = "redirect_uri";
      emu_buf_printf(&m,
                     given ? "redirect_uri is not registered for this "
                             "application: %s."
                           : "No redirect_uri given and none registered.%s",
                     given ? given : "");
    }
  }
  if (!out->field) {
    const char *rt = emu_kv_get(q, "response_type");
    if (!rt || strcmp(rt, "code") != 0) {
      out->field = "response_type";
      emu_buf_printf(&m, "Unsupported response_type: %s (expected code).",
                     rt ? rt : "(missing)");
    }
  }
  if (!out->field) {
    const char *mode = emu_kv_get(q, "mode");
    if (mode && strcmp(mode, "live") != 0 && strcmp(mode, "test") != 0 &&
        strcmp(mode, "simulated") != 0) {
      out->field = "mode";
      emu_buf_printf(&m, "Invalid mode: %s (expected live, test or "
                         "simulated).", mode);
    }
  }
  if (out->field) {
    out->message = emu_buf_take(&m);
    return NULL;
  }
  return uri;
}

/* Space separated scope list without "required:" prefixes, deduplicated.
 * NULL scope means the default set. */
static char **parse_scopes(const char *scope, size_t *n_out) {
  const size_t n_default = sizeof default_scopes / sizeof *default_scopes;
  size_t n = 0, cap = n_default;
  char **v = emu_xmalloc(cap * sizeof(char *));
  if (!scope) {
    for (size_t i = 0; i < n_default; i++)
      v[n++] = emu_strdup(default_scopes[i]);
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
      if ((size_t)(e - s) > 9 && strncmp(s, "required:", 9) == 0) s += 9;
      char *name = emu_strndup(s, (size_t)(e - s));
      int dup = 0;
      for (size_t i = 0; i < n; i++) dup |= strcmp(v[i], name) == 0;
      if (dup) {
        free(name);
      } else {
        if (n == cap) v = emu_xrealloc(v, (cap *= 2) * sizeof(char *));
        v[n++] = name;
      }
    }
    p = e;
  }
  *n_out = n;
  return v;
}

static void free_scopes(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* Which of the user's vehicles the owner shares: all of them, narrowed by
 * make, single_select_vin and single_select. */
static unsigned select_vehicles(const emu_user *u, const emu_kvlist *q) {
  const char *make = emu_kv_get(q, "make");
  const char *vin = emu_kv_get(q, "single_select_vin");
  const char *single = emu_kv_get(q, "single_select");
  unsigned mask = 0;
  for (int i = 0; i < EMU_FLEET_SIZE; i++) {
    const emu_vehicle *v = &u->vehicles[i];
    if (vin && *vin) {
      if (emu_strcaseeq(v->vin, vin)) mask |= 1u << i;
    } else if (!make || !*make || emu_strcaseeq(v->make, make)) {
      mask |= 1u << i;
    }
  }
  if (single && emu_strcaseeq(single, "true") && mask)
    mask &= ~(mask - 1); /* keep the first one */
  return mask;
}

static void add_param(emu_buf *b, int *first, const char *k, const char *v) {
  emu_buf_puts(b, *first ? "" : "&");
  *first = 0;
  emu_buf_puts(b, k);
  emu_buf_puts(b, "=");
  emu_buf_pct(b, v);
}

void emu_connect_decide(const emu_kvlist *q, const char *action,
                        const char *email, emu_connect_outcome *out) {
  memset(out, 0, sizeof *out);
  const char *uri = validate(q, out);
  if (!uri) return;
  int approve;
  if (action &&
      (strcmp(action, "approve") == 0 || strcmp(action, "allow") == 0))
    approve = 1;
  else if (action && strcmp(action, "deny") == 0)
    approve = 0;
  else {
    out->field = "action";
    out->message = emu_strdup("action must be approve (or allow) or deny.");
    return;
  }
  if (!email || !*email) email = DEFAULT_EMAIL;
  if (!strchr(email, '@')) {
    out->field = "email";
    out->message = emu_strdup("email must look like an email address.");
    return;
  }

  emu_buf b = {0};
  int first = 1;
  emu_buf_puts(&b, uri);
  emu_buf_puts(&b, strchr(uri, '?') ? "&" : "?");
  if (!approve) {
    add_param(&b, &first, "error", "access_denied");
    add_param(&b, &first, "error_description",
              "User denied access to application.");
  } else if (emu_strcaseeq(email, "smartcar@vehicle-incompatible.com")) {
    add_param(&b, &first, "error", "vehicle_incompatible");
    add_param(&b, &first, "error_description",
              "The user's vehicle is not compatible.");
    add_param(&b, &first, "vin", "0SCAUDI012FE3B132");
    add_param(&b, &first, "make", "AUDI");
    add_param(&b, &first, "model", "A4");
    add_param(&b, &first, "year", "2017");
  } else if (emu_strcaseeq(email, "smartcar@invalid-subscription.com")) {
    add_param(&b, &first, "error", "invalid_subscription");
    add_param(&b, &first, "error_description",
              "User does not have an active connected vehicle subscription.");
  } else {
    size_t n_scopes;
    char **scopes = parse_scopes(emu_kv_get(q, "scope"), &n_scopes);
    emu_lock();
    emu_user *u = emu_user_get(email);
    unsigned mask = select_vehicles(u, q);
    if (!mask) {
      emu_unlock();
      add_param(&b, &first, "error", "no_vehicles");
      add_param(&b, &first, "error_description",
                "No vehicles found. Please add vehicles to your account and "
                "try again.");
    } else {
      emu_grant *g =
          emu_grant_new(u, scopes, n_scopes, mask, emu_cfg.client_id);
      emu_token *code = emu_token_new(EMU_TOK_CODE, g, EMU_CODE_TTL_MS, uri);
      emu_connections_add(u, mask, emu_kv_get(q, "mode")); /* management */
      char key[sizeof code->key];
      memcpy(key, code->key, sizeof key);
      emu_unlock();
      add_param(&b, &first, "code", key);
    }
    free_scopes(scopes, n_scopes);
  }
  const char *state = emu_kv_get(q, "state");
  if (state) add_param(&b, &first, "state", state);
  out->location = emu_buf_take(&b);
}

void emu_connect_outcome_free(emu_connect_outcome *o) {
  free(o->location);
  free(o->message);
  o->location = o->message = NULL;
}

/* ------------------------------------------------------------ HTML pages */

static const char page_head[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Smartcar Connect (emulator)</title>"
    "<style>body{font-family:sans-serif;max-width:32em;margin:2em auto}"
    "label{display:block;margin:.5em 0}li small{color:#a00}</style>"
    "</head><body>\n";

static enum MHD_Result error_page(emu_req *r, const char *message) {
  emu_buf b = {0};
  emu_buf_puts(&b, page_head);
  emu_buf_puts(&b, "<h1>Something is wrong with this link</h1>\n<p>");
  emu_buf_html(&b, message);
  emu_buf_puts(&b, "</p>\n</body></html>\n");
  enum MHD_Result ret = emu_respond_html(r, MHD_HTTP_BAD_REQUEST, b.p);
  emu_buf_free(&b);
  return ret;
}

static int is_form_field(const char *key) {
  return strcmp(key, "email") == 0 || strcmp(key, "password") == 0 ||
         strcmp(key, "action") == 0;
}

static enum MHD_Result authorize_page(emu_req *r) {
  emu_connect_outcome o;
  memset(&o, 0, sizeof o);
  if (!validate(&r->query, &o)) {
    enum MHD_Result ret = error_page(r, o.message);
    emu_connect_outcome_free(&o);
    return ret;
  }
  emu_buf b = {0};
  emu_buf_puts(&b, page_head);
  emu_buf_puts(&b, "<h1>Connect your vehicle</h1>\n"
                   "<form method=\"post\" action=\"/oauth/authorize/decide\">"
                   "\n");
  for (size_t i = 0; i < r->query.n; i++) {
    const emu_kv *kv = &r->query.items[i];
    if (is_form_field(kv->key)) continue;
    emu_buf_puts(&b, "<input type=\"hidden\" name=\"");
    emu_buf_html(&b, kv->key);
    emu_buf_puts(&b, "\" value=\"");
    emu_buf_html(&b, kv->value);
    emu_buf_puts(&b, "\">\n");
  }
  emu_buf_puts(&b,
               "<label>Email <input type=\"email\" name=\"email\" required>"
               "</label>\n<label>Password <input type=\"password\" "
               "name=\"password\" required></label>\n"
               "<p>This application asks for:</p>\n<ul>\n");
  const char *scope = emu_kv_get(&r->query, "scope");
  size_t n = 0;
  char **names = NULL;
  if (scope) {
    /* show the raw list so required: markers survive */
    const char *p = scope;
    while (*p) {
      while (*p == ' ') p++;
      const char *e = p;
      while (*e && *e != ' ') e++;
      if (e > p) {
        int req = (size_t)(e - p) > 9 && strncmp(p, "required:", 9) == 0;
        size_t skip = req ? 9 : 0;
        char *name = emu_strndup(p + skip, (size_t)(e - p) - skip);
        emu_buf_puts(&b, "<li>");
        emu_buf_html(&b, name);
        if (req) emu_buf_puts(&b, " <small>(required)</small>");
        emu_buf_puts(&b, "</li>\n");
        free(name);
      }
      p = e;
    }
  } else {
    names = parse_scopes(NULL, &n);
    for (size_t i = 0; i < n; i++) {
      emu_buf_puts(&b, "<li>");
      emu_buf_html(&b, names[i]);
      emu_buf_puts(&b, "</li>\n");
    }
    free_scopes(names, n);
  }
  emu_buf_puts(&b, "</ul>\n"
                   "<button type=\"submit\" name=\"action\" value=\"allow\">"
                   "Allow</button>\n"
                   "<button type=\"submit\" name=\"action\" value=\"deny\" "
                   "formnovalidate>Deny</button>\n</form>\n</body></html>\n");
  enum MHD_Result ret = emu_respond_html(r, MHD_HTTP_OK, b.p);
  emu_buf_free(&b);
  return ret;
}

static enum MHD_Result decide(emu_req *r) {
  emu_kvlist form = {0};
  if (r->body) emu_kv_parse(&form, r->body, r->body_len);
  emu_connect_outcome o;
  emu_connect_decide(&form, emu_kv_get(&form, "action"),
                     emu_kv_get(&form, "email"), &o);
  enum MHD_Result ret = o.location ? emu_respond_redirect(r, o.location)
                                   : error_page(r, o.message);
  emu_connect_outcome_free(&o);
  emu_kv_free(&form);
  return ret;
}

enum MHD_Result emu_connect_handle(emu_req *r) {
  if (strcmp(r->path, "/oauth/authorize") == 0 && emu_method_is(r, "GET"))
    return authorize_page(r);
  if (strcmp(r->path, "/oauth/authorize/decide") == 0 &&
      emu_method_is(r, "POST"))
    return decide(r);
  return emu_respond_not_found(r);
}
