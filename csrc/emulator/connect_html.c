/* Connect's pages, with the structure and element ids of Smartcar's
 * Connect so browser automation written for it runs unchanged:
 *
 *   preamble  a form with button#continue-button
 *   brands    button.brand-list-item#<MAKE> (id = the brand in capitals)
 *   sign in   input#username, input#password, button#sign-in-button
 *   grant     button#approval-button (and button#deny-button)
 *
 * Plain server-rendered forms: no JavaScript, every control labelled and
 * reachable with the keyboard, the first one focused, errors announced
 * (role="alert"). Every form carries the original authorize query as
 * hidden fields. */
#include "connect.h"

#include <string.h>

/* What the grant page says about each permission (our wording). */
static const emu_pair permission_texts[] = {
    {"read_vehicle_info", "Know the make, model and year"},
    {"read_vin", "Read the VIN"},
    {"read_odometer", "Read the odometer"},
    {"read_location", "Access the location"},
    {"read_fuel", "Read the fuel level"},
    {"read_battery", "Read the battery level and capacity"},
    {"read_charge", "Know whether the vehicle is charging"},
    {"read_engine_oil", "Read the engine oil life"},
    {"read_tires", "Read the tire pressures"},
    {"read_security", "Know whether the vehicle is locked"},
    {"read_service_history", "Read the service records"},
    {"read_diagnostics", "Read diagnostics and trouble codes"},
    {"read_compass", "Read the heading"},
    {"read_speedometer", "Read the speed"},
    {"read_thermometer", "Read the temperatures"},
    {"read_user_profile", "Read the owner's access profile"},
    {"control_charge", "Start or stop charging and set the charge limit"},
    {"control_security", "Lock or unlock the vehicle"},
    {"control_navigation", "Send destinations to the navigation system"},
};


/* Form fields the pages add; everything else is the original query. */
static int is_step_field(const char *key) {
  static const char *const f[] = {"email",   "password", "action",
                                  "brand",   "vehicle",  "vehicle_choice",
                                  "preamble"};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    if (strcmp(key, f[i]) == 0) return 1;
  return 0;
}



static const char page_head[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width\">"
    "<title>Smartcar Connect (emulator)</title>"
    "<style>body{font-family:sans-serif;max-width:34em;margin:2em auto;"
    "padding:0 1em}label{display:block;margin:.5em 0 .2em}"
    "input[type=email],input[type=password]{display:block;width:100%;"
    "padding:.4em;box-sizing:border-box}"
    ".required{color:#a00}.error{color:#a00;font-weight:bold}"
    ".brand-list{list-style:none;padding:0}"
    ".brand-list button{display:block;width:100%;margin:.3em 0;"
    "padding:.5em}fieldset{border:0;padding:0}"
    ":focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}"
    ".note{color:#555;font-size:.9em}</style>"
    "</head><body>\n<p class=\"note\">Smartcar Connect &middot; emulator"
    "</p>\n<main>\n";

static const char page_tail[] = "</main>\n</body></html>\n";

static void hidden(emu_buf *b, const char *name, const char *value) {
  emu_buf_puts(b, "<input type=\"hidden\" name=\"");
  emu_buf_html(b, name);
  emu_buf_puts(b, "\" value=\"");
  emu_buf_html(b, value);
  emu_buf_puts(b, "\">\n");
}

/* The original query, then the brand (if it counts) and the email. */
static void carry(emu_buf *b, const emu_kvlist *q, const char *email) {
  for (size_t i = 0; i < q->n; i++)
    if (!is_step_field(q->items[i].key))
      hidden(b, q->items[i].key, q->items[i].value);
  const char *brand = cn_picked_brand(q);
  if (brand) hidden(b, "brand", brand);
  if (cn_nonempty(emu_kv_get(q, "preamble"))) hidden(b, "preamble", "done");
  if (email) hidden(b, "email", email);
}

/* <form method action [extra attributes]> and the carried fields. */
static void form_open(emu_buf *b, const char *method, const char *action,
                      const char *attrs, const emu_kvlist *q,
                      const char *email) {
  emu_buf_printf(b, "<form method=\"%s\" action=\"%s\"%s>\n", method,
                 action, attrs);
  carry(b, q, email);
}

static void para(emu_buf *b, const char *cls, const char *text) {
  if (!text) return;
  emu_buf_printf(b, "<p class=\"%s\"%s>", cls,
                 strcmp(cls, "error") == 0 ? " role=\"alert\"" : "");
  emu_buf_html(b, text);
  emu_buf_puts(b, "</p>\n");
}

static enum MHD_Result send_page(emu_req *r, unsigned status, emu_buf *b) {
  emu_buf_puts(b, page_tail);
  enum MHD_Result ret = emu_respond_html(r, status, b->p);
  emu_buf_free(b);
  return ret;
}

/* A request Connect refuses outright (unknown app, unregistered redirect
 * URI): there is nowhere safe to send the user back to. */
/* A request Connect refuses outright (unknown app, unregistered redirect
 * URI): there is nowhere safe to send the user back to. */
enum MHD_Result cn_refusal_page(emu_req *r, const char *message) {
  emu_buf b = {0};
  emu_buf_puts(&b, page_head);
  emu_buf_puts(&b, "<h1>Something is wrong with this link</h1>\n");
  para(&b, "error", message);
  return send_page(r, MHD_HTTP_BAD_REQUEST, &b);
}

/* A configuration error: the user may go back to the application, which
 * then receives error=configuration_error. */
enum MHD_Result cn_config_page(emu_req *r, const emu_kvlist *q,
                               const char *email, const char *message) {
  emu_buf b = {0};
  emu_buf_puts(&b, page_head);
  emu_buf_puts(&b, "<h1>This application's link to Connect has a "
                   "problem</h1>\n");
  para(&b, "error", message);
  form_open(&b, "post", "/oauth/authorize/decide", "", q, email);
  emu_buf_puts(&b, "<button type=\"submit\" id=\"back-button\" "
                   "name=\"action\" value=\"back\" autofocus>"
                   "Go back to the application</button>\n</form>\n");
  return send_page(r, MHD_HTTP_BAD_REQUEST, &b);
}

static const char *mode_text(const emu_kvlist *q) {
  const char *m = cn_mode(q);
  return strcmp(m, "test") == 0        ? "test"
         : strcmp(m, "simulated") == 0 ? "simulated"
                                       : "live";
}

enum MHD_Result cn_preamble_page(emu_req *r, const emu_kvlist *q) {
  emu_buf b = {0};
  emu_buf_puts(&b, page_head);
  emu_buf_puts(&b, "<h1>Connect your vehicle</h1>\n<p>Application <code>");
  emu_buf_html(&b, emu_cfg.client_id);
  emu_buf_puts(&b, "</code> would like to connect to your vehicle through "
                   "Smartcar. You choose what it may see and do.</p>\n");
  emu_buf_printf(&b, "<p class=\"note\">Mode: %s.</p>\n", mode_text(q));
  form_open(&b, "get", "/oauth/authorize", "", q, NULL);
  emu_buf_puts(&b, "<button type=\"submit\" id=\"continue-button\" "
                   "name=\"preamble\" value=\"done\" autofocus>Continue"
                   "</button>\n</form>\n");
  return send_page(r, MHD_HTTP_OK, &b);
}

enum MHD_Result cn_brand_page(emu_req *r, const emu_kvlist *q,
                              const char *hint) {
  size_t n;
  const emu_make *mk = emu_makes(&n);
  emu_buf b = {0};
  emu_buf_puts(&b, page_head);
  emu_buf_puts(&b, "<h1 id=\"brand-heading\">Select your vehicle's brand"
                   "</h1>\n");
  para(&b, "error", hint);
  form_open(&b, "get", "/oauth/authorize",
            " aria-labelledby=\"brand-heading\"", q, NULL);
  emu_buf_puts(&b, "<ul class=\"brand-list\">\n");
  for (size_t i = 0; i < n; i++)
    emu_buf_printf(&b, "<li><button type=\"submit\" class=\"brand-list-item\""
                       " id=\"%s\" name=\"brand\" value=\"%s\"%s>%s</button>"
                       "</li>\n",
                   mk[i].id, mk[i].id, i ? "" : " autofocus", mk[i].label);
  emu_buf_puts(&b, "</ul>\n<p><button type=\"submit\" class=\"brand-any\" "
                   "id=\"any-brand\" name=\"brand\" value=\"" ANY_BRAND "\">"
                   "Any brand (emulator: share the whole fleet)</button></p>"
                   "\n</form>\n");
  return send_page(r, MHD_HTTP_OK, &b);
}

enum MHD_Result cn_login_page(emu_req *r, const emu_kvlist *q,
                              const char *email, const char *hint,
                              unsigned status) {
  const char *make = emu_kv_get(q, "make");
  const char *brand = cn_picked_brand(q);
  const emu_make *mk = emu_make_find(cn_nonempty(make) ? make : brand);
  emu_buf b = {0};
  emu_buf_puts(&b, page_head);
  emu_buf_puts(&b, "<h1>Sign in");
  if (mk) {
    emu_buf_puts(&b, " to your ");
    emu_buf_html(&b, mk->label);
    emu_buf_puts(&b, " account");
  }
  emu_buf_puts(&b, "</h1>\n");
  emu_buf_printf(&b, "<p class=\"note\">Mode: %s.</p>\n", mode_text(q));
  para(&b, "error", hint);
  form_open(&b, "post", "/oauth/authorize/login", "", q, NULL);
  emu_buf_puts(&b, "<label for=\"username\">Email</label>\n<input "
                   "type=\"email\" id=\"username\" name=\"email\" "
                   "autocomplete=\"username\" required autofocus value=\"");
  if (email) emu_buf_html(&b, email);
  emu_buf_puts(&b,
               "\">\n<label for=\"password\">Password</label>\n<input "
               "type=\"password\" id=\"password\" name=\"password\" "
               "autocomplete=\"current-password\" required>\n"
               "<p><button type=\"submit\" id=\"sign-in-button\">Sign in"
               "</button></p>\n</form>\n"
               "<p class=\"note\">Emulator: any name@domain.com email and "
               "any password sign in, in every mode. Special accounts: "
               SUBSCRIPTION_EMAIL ", " INCOMPATIBLE_EMAIL ", "
               NO_VEHICLES_EMAIL ", " SERVER_ERROR_EMAIL ".</p>\n");
  return send_page(r, status, &b);
}

static const char *permission_text(const char *name) {
  return emu_pair_find(permission_texts,
                       sizeof permission_texts / sizeof *permission_texts,
                       name);
}


enum MHD_Result cn_grant_page(emu_req *r, const emu_kvlist *q,
                              const char *email, unsigned cand,
                              const char *hint, unsigned status) {
  size_t n;
  perm *p = cn_parse_perms(emu_kv_get(q, "scope"), &n);
  int single = cn_single_select(q);
  emu_buf b = {0};
  emu_buf_puts(&b, page_head);
  emu_buf_puts(&b, "<h1>Allow this application to access your "
                   "vehicle?</h1>\n<p>Signed in as <strong>");
  emu_buf_html(&b, email);
  emu_buf_puts(&b, "</strong>. Application <code>");
  emu_buf_html(&b, emu_cfg.client_id);
  emu_buf_puts(&b, "</code>.</p>\n");
  para(&b, "error", hint);
  form_open(&b, "post", "/oauth/authorize/decide", "", q, email);
  hidden(&b, "vehicle_choice", "1");
  emu_buf_printf(&b, "<fieldset>\n<legend>%s</legend>\n",
                 single ? "Vehicle to share" : "Vehicles to share");
  emu_lock();
  emu_user *u = emu_user_get(email);
  int first = 1;
  for (int i = 0; i < u->n_vehicles; i++) {
    if (!(cand & (1u << i))) continue;
    const emu_vehicle *v = &u->vehicles[i];
    const emu_make *mk = emu_make_find(v->make);
    emu_buf_printf(&b,
                   "<label><input type=\"%s\" name=\"vehicle\" value=\"%s\"%s>"
                   " %d %s %s <small>(VIN %s)</small></label>\n",
                   single ? "radio" : "checkbox", v->id,
                   !single || first ? " checked" : "", v->year,
                   mk ? mk->label : v->make, v->model, v->vin);
    first = 0;
  }
  emu_unlock();
  emu_buf_puts(&b, "</fieldset>\n<p id=\"permissions-heading\">This "
                   "application asks to:</p>\n<ul class=\"permissions\" "
                   "aria-labelledby=\"permissions-heading\">\n");
  for (size_t i = 0; i < n; i++) {
    const char *text = permission_text(p[i].name);
    emu_buf_puts(&b, "<li data-permission=\"");
    emu_buf_html(&b, p[i].name);
    emu_buf_printf(&b, "\" data-required=\"%s\">",
                   p[i].required ? "true" : "false");
    emu_buf_html(&b, text ? text : p[i].name);
    emu_buf_puts(&b, " <code>");
    emu_buf_html(&b, p[i].name);
    emu_buf_puts(&b, "</code>");
    if (p[i].required)
      emu_buf_puts(&b, " <strong class=\"required\">(required)</strong>");
    emu_buf_puts(&b, "</li>\n");
  }
  cn_free_perms(p, n);
  emu_buf_puts(&b, "</ul>\n<p>"
                   "<button type=\"submit\" id=\"approval-button\" "
                   "name=\"action\" value=\"allow\" autofocus>Allow</button>\n"
                   "<button type=\"submit\" id=\"deny-button\" "
                   "name=\"action\" value=\"deny\" formnovalidate>Deny"
                   "</button></p>\n</form>\n");
  return send_page(r, status, &b);
}
