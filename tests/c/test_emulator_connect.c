/* smartcar-emulator's Connect pages, walked like a browser would: GET
 * /oauth/authorize, read the page's form (action, method, hidden fields,
 * buttons), submit it with the next step's fields, never following
 * redirects, and read Location. Covers the brand page, login, the grant
 * page, Allow/Deny, approval_prompt, configuration errors (pages and the
 * control API), the server-error account, the recorded grants and every
 * redirect URI form of spec 1.4 up to the token exchange.
 *
 * A private emulator (its own redirect URIs, reset per test). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "test.h"

#define JS_SDK "https://javascript-sdk.smartcar.com/v2/redirect?app_origin=" \
	       "http://localhost:8000"
#define CUSTOM "sc" T_CLIENT_ID "://exchange"
#define HTTPS "https://example.com/callback"
#define WITH_QUERY "https://app.example.com/cb?tenant=7"

static t_private_emulator priv;

/* The private emulator, reset: every test starts from a clean state. */
static const char *start(void)
{
	static const char *const args[] = {
		"--seed", "5", "--redirect-uri", T_REDIRECT,
		"--redirect-uri", HTTPS, "--redirect-uri", CUSTOM,
		"--redirect-uri", JS_SDK, "--redirect-uri", WITH_QUERY, NULL};
	return t_emulator_private(&priv, args);
}

/* ----------------------------------------------------------------- HTTP */

typedef struct page {
	long status;
	char *body, *location;
} page;

static void pfree(page *p)
{
	free(p->body);
	free(p->location);
	memset(p, 0, sizeof(*p));
}

/* GET url, or POST form (x-www-form-urlencoded) when form != NULL;
 * basic = "id:secret" for HTTP Basic, bearer for a Bearer token.
 * Redirects are not followed: p->location is the Location header. */
static int fetch(page *p, const char *url, const char *form,
		 const char *basic, const char *bearer)
{
	char auth[256], loc[8192];
	const char *lines[2] = {NULL, NULL};
	t_http_res r;
	int rc;

	memset(p, 0, sizeof(*p));
	if (basic) {
		t_basic_auth(auth, sizeof(auth), basic);
		lines[0] = auth;
	} else if (bearer) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
			 bearer);
		lines[0] = auth;
	}
	rc = t_http(&r, form ? "POST" : "GET", url, lines, form, NULL);
	p->status = r.status;
	p->body = r.body ? r.body : strdup("");
	r.body = NULL;
	if (t_http_header(&r, "location", loc, sizeof(loc)))
		p->location = strdup(loc);
	t_http_free(&r);
	return rc == CURLE_OK ? 0 : -1;
}

/* ------------------------------------------------------- minimal forms */

#define MAX_FIELDS 48

typedef struct form {
	char *action, *method;
	int n;
	char *name[MAX_FIELDS], *value[MAX_FIELDS];
} form;

static void ffree(form *f)
{
	int i;
	free(f->action);
	free(f->method);
	for (i = 0; i < f->n; i++) {
		free(f->name[i]);
		free(f->value[i]);
	}
	memset(f, 0, sizeof(*f));
}

/* Attribute attr of the tag [tag, end), HTML entities decoded; NULL when
 * absent. */
static char *attr(const char *tag, const char *end, const char *attr_name)
{
	char pat[40];
	const char *p, *v, *e;
	char *out, *o;

	snprintf(pat, sizeof(pat), " %s=\"", attr_name);
	p = strstr(tag, pat);
	if (!p || p >= end)
		return NULL;
	v = p + strlen(pat);
	e = strchr(v, '"');
	if (!e || e > end)
		return NULL;
	out = o = malloc((size_t)(e - v) + 1);
	while (v < e) {
		static const struct {
			const char *ent;
			char c;
		} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
			    {"&quot;", '"'}, {"&#39;", '\''}};
		size_t k, done = 0;
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t l = strlen(ents[k].ent);
			if ((size_t)(e - v) >= l &&
			    strncmp(v, ents[k].ent, l) == 0) {
				*o++ = ents[k].c;
				v += l;
				done = 1;
				break;
			}
		}
		if (!done)
			*o++ = *v++;
	}
	*o = '\0';
	return out;
}

static int has_attr(const char *tag, const char *end, const char *a)
{
	char pat[40];
	const char *p;
	snprintf(pat, sizeof(pat), " %s", a);
	p = strstr(tag, pat);
	return p && p < end;
}

/* The first form of html: its action, method and the fields a browser
 * would send without the submit button: hidden inputs, and checked
 * checkboxes/radios. 0 when there is no form. */
static int parse_form(form *f, const char *html)
{
	const char *fs = strstr(html, "<form"), *fe, *end, *p;

	memset(f, 0, sizeof(*f));
	if (!fs)
		return 0;
	fe = strchr(fs, '>');
	end = strstr(fs, "</form>");
	if (!fe || !end)
		return 0;
	f->action = attr(fs, fe, "action");
	f->method = attr(fs, fe, "method");
	for (p = fe; (p = strstr(p, "<input")) && p < end; p++) {
		const char *te = strchr(p, '>');
		char *type = attr(p, te, "type");
		int take = type && (strcmp(type, "hidden") == 0 ||
				    ((strcmp(type, "checkbox") == 0 ||
				      strcmp(type, "radio") == 0) &&
				     has_attr(p, te, "checked")));
		if (take && f->n < MAX_FIELDS) {
			f->name[f->n] = attr(p, te, "name");
			f->value[f->n] = attr(p, te, "value");
			if (!f->name[f->n] || !f->value[f->n]) {
				free(f->name[f->n]);
				free(f->value[f->n]);
			} else {
				f->n++;
			}
		}
		free(type);
	}
	return 1;
}

/* 1 when html has a <button name=name value=value>. */
static int has_button(const char *html, const char *name, const char *value)
{
	char pat[160];
	snprintf(pat, sizeof(pat), "name=\"%s\" value=\"%s\"", name, value);
	return strstr(html, pat) != NULL;
}

static const char *fget(const form *f, const char *name)
{
	int i;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

/* Drops every field called name (to untick a box). */
static void fdrop(form *f, const char *name)
{
	int i, o = 0;
	for (i = 0; i < f->n; i++) {
		if (strcmp(f->name[i], name) == 0) {
			free(f->name[i]);
			free(f->value[i]);
			continue;
		}
		f->name[o] = f->name[i];
		f->value[o++] = f->value[i];
	}
	f->n = o;
}

static void enc_pair(char **s, size_t *n, const char *k, const char *v)
{
	char *ek = curl_easy_escape(NULL, k, 0);
	char *ev = curl_easy_escape(NULL, v, 0);
	size_t add = strlen(ek) + strlen(ev) + 2;
	*s = realloc(*s, *n + add + 1);
	*n += (size_t)sprintf(*s + *n, "%s%s=%s", *n ? "&" : "", ek, ev);
	curl_free(ek);
	curl_free(ev);
}

/* Submits f with the extra name/value pairs of ap (NULL-terminated), as
 * its method says. */
static int vsubmit(page *out, const char *base, const form *f, va_list ap)
{
	char *body = NULL, url[8192];
	size_t n = 0;
	int i, rc;
	const char *k;

	for (i = 0; i < f->n; i++)
		enc_pair(&body, &n, f->name[i], f->value[i]);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		enc_pair(&body, &n, k, v);
	}
	if (!body)
		body = strdup("");
	if (f->method && strcasecmp(f->method, "get") == 0) {
		snprintf(url, sizeof(url), "%s%s?%s", base, f->action, body);
		rc = fetch(out, url, NULL, NULL, NULL);
	} else {
		snprintf(url, sizeof(url), "%s%s", base,
			 f->action ? f->action : "");
		rc = fetch(out, url, body, NULL, NULL);
	}
	free(body);
	return rc;
}

/* Submits f with the extra name/value pairs (NULL-terminated list). */
static int submit(page *out, const char *base, const form *f, ...)
{
	va_list ap;
	int rc;

	va_start(ap, f);
	rc = vsubmit(out, base, f, ap);
	va_end(ap);
	return rc;
}

/* Submits the form of page p with the extra name/value pairs
 * (NULL-terminated list); -1 when p has no form. */
static int answer(page *out, const char *base, const page *p, ...)
{
	va_list ap;
	form f;
	int rc;

	if (!p->body || !parse_form(&f, p->body))
		return -1;
	va_start(ap, p);
	rc = vsubmit(out, base, &f, ap);
	va_end(ap);
	ffree(&f);
	return rc;
}

/* -------------------------------------------------------------- helpers */

/* The authorize URL for redirect (encoded here) plus extra ("&k=v...");
 * scope "read_odometer required:read_vin" and mode=test unless extra has
 * its own; state "st+1". */
static void authq(char *out, size_t n, const char *base,
		  const char *redirect, const char *extra)
{
	char *r = curl_easy_escape(NULL, redirect, 0);
	if (!extra)
		extra = "";
	snprintf(out, n,
		 "%s/oauth/authorize?response_type=code&client_id=%s"
		 "&redirect_uri=%s%s%s&state=st%%2B1%s",
		 base, T_CLIENT_ID, r,
		 strstr(extra, "scope=") ? ""
		 : "&scope=read_odometer%20required%3Aread_vin",
		 strstr(extra, "mode=") ? "" : "&mode=test", extra);
	curl_free(r);
}

/* Decoded value of name in the query of location (caller frees). */
static char *qparam(const char *location, const char *name)
{
	const char *q = location ? strchr(location, '?') : NULL;
	size_t nl = strlen(name);
	while (q) {
		q++;
		if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *v = q + nl + 1;
			size_t len = strcspn(v, "&#");
			int outlen;
			char *d = curl_easy_unescape(NULL, v, (int)len, &outlen);
			char *r = strndup(d, (size_t)outlen);
			curl_free(d);
			return r;
		}
		q = strchr(q, '&');
	}
	return NULL;
}

/* qparam's value in a buffer of its own (until the next call), or NULL. */
static const char *qval(const char *location, const char *name)
{
	static char buf[1024];
	char *v = qparam(location, name);

	if (!v)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", v);
	free(v);
	return buf;
}

static int starts(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* GET an authorize URL as a browser opens it: past the preamble (its
 * Continue button) when Connect shows one. */
static int open_authorize(page *out, const char *base, const char *url)
{
	page pre;
	form f;
	int rc;

	if (fetch(&pre, url, NULL, NULL, NULL) != 0)
		return -1;
	if (pre.status != 200 || !strstr(pre.body, "id=\"continue-button\"") ||
	    !parse_form(&f, pre.body)) {
		*out = pre;
		return 0;
	}
	rc = submit(out, base, &f, "preamble", "done", NULL);
	ffree(&f);
	pfree(&pre);
	return rc;
}

/* From a page whose form leads to login: fills in email and password. */
static int login(page *out, const char *base, const page *login_page,
		 const char *email)
{
	return answer(out, base, login_page, "email", email, "password", "pw",
		      NULL);
}

/* Presses button action=value on the page's form. */
static int press(page *out, const char *base, const page *p,
		 const char *value)
{
	return answer(out, base, p, "action", value, NULL);
}

/* Opens the authorize URL url (open_authorize) and logs in as email: the
 * page after login in out, or -1. */
static int open_login(page *out, const char *base, const char *url,
		      const char *email)
{
	page a = {0, NULL, NULL};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (open_authorize(&a, base, url) == 0)
		rc = login(out, base, &a, email);
	pfree(&a);
	return rc;
}

/* The status of the page that logging in from page from as email leads
 * to, or -1. */
static long login_status(const char *base, const page *from,
			 const char *email)
{
	page p;
	long status = login(&p, base, from, email) == 0 ? p.status : -1;

	pfree(&p);
	return status;
}

/* Logs in from page from as email: when that redirects, the query
 * parameter name of its location (qval), else NULL. */
static const char *login_redirect_param(const char *base, const page *from,
					const char *email, const char *name)
{
	const char *v = NULL;
	page p;

	if (login(&p, base, from, email) == 0 && p.status == 302)
		v = qval(p.location, name);
	pfree(&p);
	return v;
}

/* Connect for extra (authq, T_REDIRECT) opened and logged into as email
 * leads to a page of HTTP status status: a redirect whose location
 * starts with want, or a page without one whose body contains want. */
static void check_login_leads(int line, const char *base, const char *extra,
			      const char *email, long status, const char *want)
{
	char url[1024];
	page p;
	int ok;

	authq(url, sizeof(url), base, T_REDIRECT, extra);
	ok = open_login(&p, base, url, email) == 0 && p.status == status;
	if (ok && status >= 300 && status < 400)
		ok = starts(p.location, want);
	else if (ok)
		ok = p.location == NULL && p.body && strstr(p.body, want);
	t_check(ok, __FILE__, line, want);
	pfree(&p);
}
#define CHECK_LOGIN_LEADS(base, extra, email, status, want)                 \
	check_login_leads(__LINE__, (base), (extra), (email), (status), (want))

/* GET url (make given), log in as email and allow: the final page. */
static int walk_allow(page *out, const char *base, const char *url,
		      const char *email)
{
	page a, b;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	if (open_authorize(&a, base, url) == 0 && a.status == 200 &&
	    login(&b, base, &a, email) == 0) {
		if (b.status == 200 && strstr(b.body, "name=\"action\""))
			rc = press(out, base, &b, "allow");
		pfree(&b);
	}
	pfree(&a);
	return rc;
}

/* Connect walked as a browser by any test (test.h): past the preamble,
 * the whole fleet on the brand page, log in as email, Allow; the
 * redirect location (caller frees), or NULL. */
char *t_browse_connect(const char *base, const char *url, const char *email)
{
	page p, next;
	form f;
	char *loc = NULL;
	int i, rc;

	if (fetch(&p, url, NULL, NULL, NULL) != 0)
		return NULL;
	for (i = 0; i < 10 && p.status == 200 && parse_form(&f, p.body);
	     i++) {
		/* (later pages carry the earlier answers as hidden fields) */
		if (strstr(p.body, "type=\"password\""))
			rc = submit(&next, base, &f, "email", email,
				    "password", "pw", NULL);
		else if (has_button(p.body, "action", "allow"))
			rc = submit(&next, base, &f, "action", "allow", NULL);
		else if (has_button(p.body, "brand", "ANY"))
			rc = submit(&next, base, &f, "brand", "ANY", NULL);
		else
			rc = submit(&next, base, &f, "preamble", "done", NULL);
		ffree(&f);
		pfree(&p);
		if (rc != 0)
			return NULL;
		p = next;
	}
	if (p.status >= 300 && p.status < 400 && p.location)
		loc = strdup(p.location);
	pfree(&p);
	return loc;
}

/* POSTs form to url (fetch): the answer's status, -1 when none came. */
static long post_form(page *p, const char *url, const char *form)
{
	return fetch(p, url, form, NULL, NULL) == 0 ? p->status : -1;
}

/* The status of a GET of url (the page freed), or -1. */
static long get_status(const char *url)
{
	page p;
	long status = fetch(&p, url, NULL, NULL, NULL) == 0 ? p.status : -1;

	pfree(&p);
	return status;
}

/* POSTs form to url: 1 when it is refused with a 400 page that leads
 * nowhere (no Location). */
static int refused_post(const char *url, const char *form)
{
	page p;
	int ok = fetch(&p, url, form, NULL, NULL) == 0 && p.status == 400 &&
		 p.location == NULL;

	pfree(&p);
	return ok;
}

/* Exchanges code for redirect: the access token (caller frees) or
 * NULL. */
static char *access_token(const char *base, const char *code,
			  const char *redirect)
{
	char url[512], *form = NULL, *tok = NULL;
	size_t n = 0;
	page p;
	cJSON *j;

	enc_pair(&form, &n, "grant_type", "authorization_code");
	enc_pair(&form, &n, "code", code);
	enc_pair(&form, &n, "redirect_uri", redirect);
	snprintf(url, sizeof(url), "%s/oauth/token", base);
	fetch(&p, url, form, T_CLIENT_ID ":" T_CLIENT_SECRET, NULL);
	free(form);
	j = cJSON_Parse(p.body);
	if (p.status == 200 && t_json_str(j, "access_token"))
		tok = strdup(t_json_str(j, "access_token"));
	cJSON_Delete(j);
	pfree(&p);
	return tok;
}

/* GET base+path with the Bearer token tok: the body parsed (caller
 * deletes; NULL when it is not JSON) and the status in *status. */
static cJSON *api_json(const char *base, const char *tok, const char *path,
		       long *status)
{
	char url[1024];
	page p;
	cJSON *j;

	snprintf(url, sizeof(url), "%s%s", base, path);
	fetch(&p, url, NULL, NULL, tok);
	j = p.body ? cJSON_Parse(p.body) : NULL;
	if (status)
		*status = p.status;
	pfree(&p);
	return j;
}

/* Exchanges code for redirect; the number of vehicles the token sees, or
 * -1. */
static int exchange(const char *base, const char *code, const char *redirect)
{
	char *tok = access_token(base, code, redirect);
	cJSON *j;
	const cJSON *v;
	long status = 0;
	int count = -1;

	if (!tok)
		return -1;
	j = api_json(base, tok, "/v2.0/vehicles", &status);
	v = cJSON_GetObjectItem(j, "vehicles");
	if (status == 200 && cJSON_IsArray(v))
		count = cJSON_GetArraySize(v);
	cJSON_Delete(j);
	free(tok);
	return count;
}

/* exchange of the code in the redirect location, or -1 without one. */
static int exchange_at(const char *base, const char *location,
		       const char *redirect)
{
	char *code = qparam(location, "code");
	int n = code ? exchange(base, code, redirect) : -1;

	free(code);
	return n;
}

/* A VIN of email's fleet (index 0 TESLA, 1 TOYOTA, 2 FORD). */
static char *fleet_vin(const char *base, const char *email, int index)
{
	char path[256], *raw, *out = NULL;
	cJSON *j, *v;
	snprintf(path, sizeof(path), "/_emulator/vehicles?email=%s", email);
	raw = t_control_at(base, path, NULL);
	j = cJSON_Parse(raw ? raw : "");
	v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vehicles"), index);
	v = cJSON_GetObjectItem(v, "vin");
	if (cJSON_IsString(v))
		out = strdup(v->valuestring);
	cJSON_Delete(j);
	free(raw);
	return out;
}

/* ---------------------------------------------------------------- tests */

TEST(connect_brand_page_shown_without_make_skipped_with_it)
{
	const char *base = start();
	char url[1024], extra[64], *vin;
	page p;
	form f;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, NULL);
	REQUIRE(open_authorize(&p, base, url) == 0);
	CHECK(p.status == 200);
	CHECK_CONTAINS(p.body, "Select your vehicle's brand");
	CHECK(has_button(p.body, "brand", "TESLA"));
	CHECK(has_button(p.body, "brand", "TOYOTA"));
	CHECK(has_button(p.body, "brand", "FORD"));
	CHECK(has_button(p.body, "brand", "NISSAN"));
	CHECK(has_button(p.body, "brand", "BMW"));
	CHECK(strstr(p.body, "name=\"password\"") == NULL);
	/* the original query rides along as hidden fields */
	REQUIRE(parse_form(&f, p.body));
	CHECK_STR(f.action, "/oauth/authorize");
	CHECK_STR(f.method, "get");
	CHECK_STR(fget(&f, "state"), "st+1");
	CHECK_STR(fget(&f, "scope"), "read_odometer required:read_vin");
	CHECK_STR(fget(&f, "redirect_uri"), T_REDIRECT);
	ffree(&f);
	pfree(&p);

	/* make=ford (any case) goes straight to login */
	authq(url, sizeof(url), base, T_REDIRECT, "&make=ford");
	REQUIRE(open_authorize(&p, base, url) == 0);
	CHECK(p.status == 200);
	CHECK(strstr(p.body, "name=\"brand\"") == NULL);
	CHECK_CONTAINS(p.body, "name=\"password\"");
	CHECK_CONTAINS(p.body, "Sign in to your Ford account");
	REQUIRE(parse_form(&f, p.body));
	CHECK_STR(f.action, "/oauth/authorize/login");
	CHECK_STR(f.method, "post");
	CHECK_STR(fget(&f, "make"), "ford");
	ffree(&f);
	pfree(&p);

	/* so does single_select_vin */
	vin = fleet_vin(base, "brand@example.com", 0);
	REQUIRE(vin);
	snprintf(extra, sizeof(extra), "&single_select_vin=%s", vin);
	authq(url, sizeof(url), base, T_REDIRECT, extra);
	REQUIRE(open_authorize(&p, base, url) == 0);
	CHECK(p.status == 200);
	CHECK(strstr(p.body, "name=\"brand\"") == NULL);
	CHECK_CONTAINS(p.body, "name=\"password\"");
	pfree(&p);
	free(vin);

	/* an unknown brand picked on the brand page shows it again */
	authq(url, sizeof(url), base, T_REDIRECT, "&brand=DELOREAN");
	REQUIRE(open_authorize(&p, base, url) == 0);
	CHECK(p.status == 200);
	CHECK_CONTAINS(p.body, "Unknown brand");
	CHECK(has_button(p.body, "brand", "TESLA"));
	pfree(&p);
}

TEST(connect_pages_brand_login_grant_allow)
{
	const char *base = start();
	char url[1024];
	page a, b, c, d;
	form f;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, "&user=u-42&flags=country%3ADE%20beta%3Atrue");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(answer(&b, base, &a, "brand", "TOYOTA", NULL) == 0);
	CHECK(b.status == 200);
	CHECK_CONTAINS(b.body, "Sign in to your Toyota account");
	REQUIRE(login(&c, base, &b, "walker@example.com") == 0);
	CHECK(c.status == 200);
	/* the grant page lists the scopes, required ones marked */
	CHECK_CONTAINS(c.body, "Allow this application");
	CHECK_CONTAINS(c.body, "data-permission=\"read_odometer\" "
			       "data-required=\"false\"");
	CHECK_CONTAINS(c.body, "data-permission=\"read_vin\" "
			       "data-required=\"true\"");
	CHECK_CONTAINS(c.body, "(required)");
	CHECK(has_button(c.body, "action", "allow"));
	CHECK(has_button(c.body, "action", "deny"));
	/* only the Toyota is offered: the brand picked on the first page */
	CHECK_CONTAINS(c.body, "RAV4 Prime");
	CHECK_CONTAINS(c.body, "bZ4X"); /* test mode: the brand's vehicles */
	CHECK(strstr(c.body, "Model 3") == NULL);
	REQUIRE(parse_form(&f, c.body));
	CHECK_STR(f.action, "/oauth/authorize/decide");
	CHECK_STR(fget(&f, "email"), "walker@example.com");
	CHECK_STR(fget(&f, "brand"), "TOYOTA");
	CHECK(fget(&f, "password") == NULL); /* never carried */
	ffree(&f);
	REQUIRE(press(&d, base, &c, "allow") == 0);
	CHECK(d.status == 302);
	CHECK(starts(d.location, T_REDIRECT "?code="));
	CHECK_STR(qval(d.location, "state"), "st+1");
	CHECK(qval(d.location, "code") && strlen(qval(d.location, "code")) == 32);
	CHECK(exchange_at(base, d.location, T_REDIRECT) == 2);
	pfree(&a);
	pfree(&b);
	pfree(&c);
	pfree(&d);
}

TEST(connect_pages_deny_and_unticked_vehicles)
{
	const char *base = start();
	char url[1024];
	page b, c;
	form f;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, "&make=TESLA");
	REQUIRE(open_login(&b, base, url, "denier@example.com") == 0);
	REQUIRE(press(&c, base, &b, "deny") == 0);
	CHECK(c.status == 302);
	CHECK(starts(c.location, T_REDIRECT "?error=access_denied"));
	CHECK_STR(qval(c.location, "error"), "access_denied");
	CHECK_STR(qval(c.location, "error_description"),
		  "User denied access to application.");
	CHECK(qval(c.location, "code") == NULL);
	CHECK_STR(qval(c.location, "state"), "st+1");
	pfree(&c);

	/* Allow with every vehicle unticked: the grant page again */
	REQUIRE(parse_form(&f, b.body));
	fdrop(&f, "vehicle");
	REQUIRE(submit(&c, base, &f, "action", "allow", NULL) == 0);
	ffree(&f);
	CHECK(c.status == 400);
	CHECK(c.location == NULL);
	CHECK_CONTAINS(c.body, "Choose at least one vehicle");
	CHECK_CONTAINS(c.body, "data-permission=\"read_vin\"");
	pfree(&b);
	pfree(&c);
}

TEST(connect_single_select_offers_radio_choice)
{
	const char *base = start();
	char url[1024], *raw, *vid;
	page a, b, c;
	form f;
	cJSON *j;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&single_select=true&brand=ANY");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "single@example.com") == 0);
	CHECK(b.status == 200);
	CHECK_CONTAINS(b.body, "type=\"radio\" name=\"vehicle\"");
	CHECK_CONTAINS(b.body, "Model 3");
	CHECK_CONTAINS(b.body, "RAV4 Prime");
	CHECK_CONTAINS(b.body, "F-150");
	/* pick the third (the Ford) instead of the preselected first */
	raw = t_control_at(base, "/_emulator/vehicles?email=single@example.com",
			   NULL);
	j = cJSON_Parse(raw ? raw : "");
	vid = strdup(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vehicles"), 2),
		"id")->valuestring);
	cJSON_Delete(j);
	free(raw);
	REQUIRE(parse_form(&f, b.body));
	fdrop(&f, "vehicle");
	REQUIRE(submit(&c, base, &f, "vehicle", vid, "action", "allow",
		       NULL) == 0);
	ffree(&f);
	CHECK(c.status == 302);
	CHECK(exchange_at(base, c.location, T_REDIRECT) == 1);
	free(vid);
	pfree(&a);
	pfree(&b);
	pfree(&c);
}

TEST(connect_approval_prompt_auto_skips_known_grant_force_shows_it)
{
	const char *base = start();
	char url[1024], *code;
	page b, c;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&make=FORD&approval_prompt=auto");
	REQUIRE(walk_allow(&c, base, url, "again@example.com") == 0);
	CHECK(c.status == 302);
	CHECK(starts(c.location, T_REDIRECT "?code="));
	pfree(&c);

	/* second visit, auto: straight from login to the redirect */
	REQUIRE(open_login(&b, base, url, "AGAIN@example.com") == 0);
	CHECK(b.status == 302);
	CHECK(starts(b.location, T_REDIRECT "?code="));
	CHECK(exchange_at(base, b.location, T_REDIRECT) == 2); /* F-150, Mach-E */
	pfree(&b);

	/* a subset of what was granted (and no approval_prompt: auto) */
	CHECK_LOGIN_LEADS(base, "&scope=read_vin&make=FORD",
			  "again@example.com", 302, T_REDIRECT "?code=");
	/* force: the grant page every time */
	CHECK_LOGIN_LEADS(base, "&make=FORD&approval_prompt=force",
			  "again@example.com", 200,
			  "data-permission=\"read_vin\"");
	/* auto, but asking for more than was granted: the grant page */
	CHECK_LOGIN_LEADS(base,
			  "&scope=read_vin%20read_location&make=FORD"
			  "&approval_prompt=auto",
			  "again@example.com", 200,
			  "data-permission=\"read_location\"");
	/* another owner has granted nothing yet */
	CHECK_LOGIN_LEADS(base, "&make=FORD", "newcomer@example.com", 200,
			  "Allow this application");

	/* a deny records nothing; the control API's approval does */
	authq(url, sizeof(url), base, T_REDIRECT, "&make=FORD");
	code = t_connect_at(base, url, "approve", "scripted@example.com", NULL);
	CHECK(starts(code, T_REDIRECT "?code="));
	free(code);
	CHECK_LOGIN_LEADS(base, "&make=FORD", "scripted@example.com", 302,
			  T_REDIRECT "?code=");
}

/* The page for url (GET, or login as email when email != NULL) must be a
 * 400 configuration error page whose "go back" leads to
 * error=configuration_error with error_message containing needle; the
 * control API must answer the same location. */
static void check_config_error(const char *base, const char *url,
			       const char *email, const char *needle)
{
	page a, b, c;
	page *err_page = &a;
	char *loc;

	memset(&b, 0, sizeof(b));
	REQUIRE(open_authorize(&a, base, url) == 0);
	if (email) {
		CHECK(a.status == 200);
		REQUIRE(login(&b, base, &a, email) == 0);
		err_page = &b;
	}
	CHECK(err_page->status == 400);
	CHECK(err_page->location == NULL);
	CHECK_CONTAINS(err_page->body, needle);
	CHECK(has_button(err_page->body, "action", "back"));
	REQUIRE(press(&c, base, err_page, "back") == 0);
	CHECK(c.status == 302);
	CHECK(starts(c.location, T_REDIRECT "?error=configuration_error"));
	CHECK_STR(qval(c.location, "status_code"), "400");
	CHECK_CONTAINS(qval(c.location, "error_message"), needle);
	CHECK(qval(c.location, "error_description") &&
	      *qval(c.location, "error_description"));
	CHECK_STR(qval(c.location, "state"), "st+1");
	/* the control API: the same redirect */
	loc = t_connect_at(base, url, "approve",
			   email ? email : "owner@example.com", NULL);
	CHECK_STR(loc, c.location);
	free(loc);
	pfree(&a);
	pfree(&b);
	pfree(&c);
}

TEST(connect_configuration_errors_go_back_to_the_app)
{
	const char *base = start();
	char url[1024], extra[128], *vin, *loc;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&single_select_vin=5YJ3E1EA1LF80");
	check_config_error(base, url, NULL, "not a valid VIN");
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&single_select_vin=5YJ3E1EA1LF80049-");
	check_config_error(base, url, NULL, "not a valid VIN");
	authq(url, sizeof(url), base, T_REDIRECT, "&make=PONTIAC");
	check_config_error(base, url, NULL, "PONTIAC is not supported");
	authq(url, sizeof(url), base, T_REDIRECT, "&mode=production");
	check_config_error(base, url, NULL, "Invalid mode: production");

	/* a real VIN, but someone else's: only known after login (test) */
	vin = fleet_vin(base, "someone-else@example.com", 1);
	REQUIRE(vin);
	snprintf(extra, sizeof(extra), "&single_select_vin=%s", vin);
	authq(url, sizeof(url), base, T_REDIRECT, extra);
	check_config_error(base, url, "vin-owner@example.com",
			   "does not belong to this test account");

	/* live mode: the same VIN just finds no vehicle */
	snprintf(extra, sizeof(extra), "&single_select_vin=%s&mode=live",
		 vin);
	authq(url, sizeof(url), base, T_REDIRECT, extra);
	loc = t_connect_at(base, url, "approve", "vin-owner@example.com", NULL);
	CHECK_STR(qval(loc, "error"), "no_vehicles");
	free(loc);

	/* the owner's own VIN in test mode is fine and shares just it */
	free(vin);
	vin = fleet_vin(base, "vin-owner@example.com", 1);
	snprintf(extra, sizeof(extra), "&single_select_vin=%s", vin);
	authq(url, sizeof(url), base, T_REDIRECT, extra);
	loc = t_connect_at(base, url, "approve", "vin-owner@example.com", NULL);
	CHECK(exchange_at(base, loc, T_REDIRECT) == 1);
	free(loc);
	free(vin);
}

TEST(connect_bad_client_or_redirect_is_a_dead_end)
{
	const char *base = start();
	char url[1024], *raw = NULL, *loc;
	page p;

	REQUIRE(base);
	snprintf(url, sizeof(url),
		 "%s/oauth/authorize?response_type=code&client_id=nope"
		 "&redirect_uri=http%%3A%%2F%%2Flocalhost%%3A8000%%2Fcallback"
		 "&mode=bogus&state=s",
		 base);
	REQUIRE(open_authorize(&p, base, url) == 0);
	CHECK(p.status == 400);
	CHECK(p.location == NULL);
	CHECK_CONTAINS(p.body, "Unknown client_id");
	CHECK(strstr(p.body, "<form") == NULL); /* no way back */
	pfree(&p);
	loc = t_connect_at(base, url, "approve", "owner@example.com", &raw);
	CHECK(loc == NULL);
	CHECK_CONTAINS(raw, "\"client_id\"");
	CHECK_CONTAINS(raw, "VALIDATION");
	free(raw);

	authq(url, sizeof(url), base, "https://evil.example.com/cb",
	      "&make=TESLA");
	REQUIRE(open_authorize(&p, base, url) == 0);
	CHECK(p.status == 400);
	CHECK(p.location == NULL);
	CHECK_CONTAINS(p.body, "not registered");
	CHECK(strstr(p.body, "<form") == NULL);
	pfree(&p);
	loc = t_connect_at(base, url, "approve", "owner@example.com", &raw);
	CHECK(loc == NULL);
	CHECK_CONTAINS(raw, "\"redirect_uri\"");
	free(raw);

	/* posting straight to decide or login is refused the same way */
	snprintf(url, sizeof(url), "%s/oauth/authorize/decide", base);
	CHECK(refused_post(url,
			   "response_type=code&client_id=nope&action=allow"
			   "&email=a%40b.com"));
	snprintf(url, sizeof(url), "%s/oauth/authorize/login", base);
	CHECK(refused_post(url,
			   "response_type=code&client_id=" T_CLIENT_ID
			   "&redirect_uri=https%3A%2F%2Fevil.example.com"
			   "&email=a%40b.com&password=x"));
}

TEST(connect_server_error_and_trigger_accounts)
{
	const char *base = start();
	char url[1024], *loc;
	page a, b;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, "&make=TESLA");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "smartcar@server-error.com") == 0);
	CHECK(b.status == 302);
	CHECK(starts(b.location, T_REDIRECT "?error=server_error"));
	CHECK(qval(b.location, "error_description") &&
	      *qval(b.location, "error_description"));
	CHECK_STR(qval(b.location, "state"), "st+1");
	pfree(&b);
	loc = t_connect_at(base, url, "approve", "Smartcar@Server-Error.com",
			   NULL);
	CHECK_STR(qval(loc, "error"), "server_error");
	free(loc);

	CHECK_STR(login_redirect_param(base, &a,
				       "smartcar@invalid-subscription.com",
				       "error"),
		  "invalid_subscription");
	CHECK_STR(login_redirect_param(base, &a,
				       "smartcar@vehicle-incompatible.com",
				       "vin"),
		  "0SCAUDI012FE3B132");
	/* the no-vehicles account: no_vehicles, in test mode too */
	CHECK_STR(login_redirect_param(base, &a, "smartcar@no-vehicles.com",
				       "error"),
		  "no_vehicles");

	/* live: a make the owner's (base) fleet lacks is no_vehicles */
	authq(url, sizeof(url), base, T_REDIRECT, "&make=NISSAN&mode=live");
	pfree(&a);
	REQUIRE(open_authorize(&a, base, url) == 0);
	CHECK_STR(login_redirect_param(base, &a, "owner@example.com", "error"),
		  "no_vehicles");
	pfree(&a);
}

TEST(connect_login_rules)
{
	const char *base = start();
	char url[1024];
	page a, b;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, "&make=TESLA");
	REQUIRE(open_authorize(&a, base, url) == 0);
	CHECK(login_status(base, &a, "not-an-email") == 400);
	REQUIRE(login(&b, base, &a, "someone@example.org") == 0);
	CHECK(b.status == 400);
	CHECK_CONTAINS(b.body, "name@domain.com");
	CHECK_CONTAINS(b.body, "name=\"password\"");
	pfree(&b);
	/* any password, but some password */
	REQUIRE(answer(&b, base, &a, "email", "x@y.com", "password", "",
		       NULL) == 0);
	CHECK(b.status == 400);
	pfree(&b);
	REQUIRE(login(&b, base, &a, "Any.Body+tag@Some-Where.COM") == 0);
	CHECK(b.status == 200);
	CHECK_CONTAINS(b.body, "Allow this application");
	pfree(&a);
	pfree(&b);
}

TEST(connect_direct_single_step_decide_still_works)
{
	const char *base = start();
	char url[1024];
	page p;

	REQUIRE(base);
	snprintf(url, sizeof(url), "%s/oauth/authorize/decide", base);
	CHECK(post_form(&p, url,
			"response_type=code&client_id=" T_CLIENT_ID
			"&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fcallback"
			"&scope=read_odometer+read_vin&approval_prompt=auto"
			"&mode=test&state=xyz&email=form%40example.com"
			"&password=pw&action=allow") == 302);
	CHECK_STR(qval(p.location, "state"), "xyz");
	CHECK(exchange_at(base, p.location, T_REDIRECT) == 3);
	pfree(&p);

	/* a bad deep link posted straight to decide: the error page, and
	 * action=back from there redirects */
	CHECK(post_form(&p, url,
			"response_type=code&client_id=" T_CLIENT_ID
			"&mode=bogus&email=form%40example.com&action=allow") == 400);
	CHECK(has_button(p.body, "action", "back"));
	pfree(&p);
	CHECK(post_form(&p, url,
			"response_type=code&client_id=" T_CLIENT_ID
			"&mode=bogus&action=back") == 302);
	CHECK_STR(qval(p.location, "error"), "configuration_error");
	pfree(&p);
	/* back without a configuration error is refused */
	CHECK(refused_post(url,
			   "response_type=code&client_id=" T_CLIENT_ID
			   "&action=back"));
}

TEST(connect_records_user_and_flags)
{
	const char *base = start();
	char url[1024], *raw;
	page c;
	cJSON *j, *g, *fl;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&make=TESLA&user=u-42&flags=country%3ADE+beta%3Atrue");
	REQUIRE(walk_allow(&c, base, url, "flags@example.com") == 0);
	CHECK(c.status == 302);
	pfree(&c);
	raw = t_control_at(base, "/_emulator/connect/grants", NULL);
	j = cJSON_Parse(raw ? raw : "");
	g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "grants"), 0);
	REQUIRE(g);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(g, "email")),
		  "flags@example.com");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(g, "client_id")),
		  T_CLIENT_ID);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(g, "user")),
		  "u-42");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(g, "mode")),
		  "test");
	fl = cJSON_GetObjectItem(g, "flags");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(fl, "country")),
		  "DE");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(fl, "beta")),
		  "true");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(g, "permissions")) == 2);
	CHECK(cJSON_GetObjectItem(g, "user_id") != NULL);
	cJSON_Delete(j);
	free(raw);

	/* the request log has them too */
	raw = t_control_at(base, "/_emulator/requests", NULL);
	CHECK_CONTAINS(raw, "u-42");
	CHECK_CONTAINS(raw, "country:DE beta:true");
	free(raw);

	/* DELETE forgets them */
	{
		CURL *h = curl_easy_init();
		char u2[512];
		snprintf(u2, sizeof(u2), "%s/_emulator/connect/grants", base);
		curl_easy_setopt(h, CURLOPT_URL, u2);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		CHECK(curl_easy_perform(h) == CURLE_OK);
		curl_easy_cleanup(h);
	}
	raw = t_control_at(base, "/_emulator/connect/grants", NULL);
	CHECK_CONTAINS(raw, "\"grants\":[]");
	free(raw);
}

TEST(connect_every_redirect_uri_form_end_to_end)
{
	static const struct {
		const char *uri, *prefix;
	} forms[] = {
		{T_REDIRECT, T_REDIRECT "?code="},
		{HTTPS, HTTPS "?code="},
		{CUSTOM, CUSTOM "?code="},
		{JS_SDK, JS_SDK "&code="},
		{WITH_QUERY, WITH_QUERY "&code="},
	};
	const char *base = start();
	char url[1024], *loc;
	size_t i;
	page c;

	REQUIRE(base);
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		/* through the pages (force: the grant page every time) */
		authq(url, sizeof(url), base, forms[i].uri,
		      "&make=TESLA&approval_prompt=force");
		REQUIRE(walk_allow(&c, base, url, "uris@example.com") == 0);
		CHECK(c.status == 302);
		if (!starts(c.location, forms[i].prefix))
			fprintf(stderr, "  %s -> %s\n", forms[i].uri,
				c.location ? c.location : "(none)");
		CHECK(starts(c.location, forms[i].prefix));
		CHECK_STR(qval(c.location, "state"), "st+1");
		REQUIRE(qval(c.location, "code"));
		/* exchanged with that redirect_uri, not another */
		CHECK(exchange_at(base, c.location, i ? T_REDIRECT : HTTPS) ==
		      -1);
		CHECK(exchange_at(base, c.location, forms[i].uri) == 2);
		pfree(&c);

		/* errors use the same separator */
		loc = t_connect_at(base, url, "deny", "uris@example.com", NULL);
		CHECK(loc && strstr(loc, forms[i].uri) == loc &&
		      loc[strlen(forms[i].uri)] ==
			      forms[i].prefix[strlen(forms[i].uri)]);
		CHECK_STR(qval(loc, "error"), "access_denied");
		free(loc);
	}
	/* the JS SDK page keeps its app_origin */
	authq(url, sizeof(url), base, JS_SDK, "&make=TESLA");
	loc = t_connect_at(base, url, "approve", "uris@example.com", NULL);
	CHECK_STR(qval(loc, "app_origin"), "http://localhost:8000");
	free(loc);
}

TEST(connect_js_sdk_redirect_stand_in)
{
	const char *base = start();
	char url[1024], uri[512];
	page p;

	REQUIRE(base);
	/* the page posts to app_origin what the official page posts */
	snprintf(url, sizeof(url), "%s/v2/redirect?app_origin=http%%3A%%2F%%2F"
		 "localhost%%3A8000&code=c0de&state=s%%3C1", base);
	REQUIRE(fetch(&p, url, NULL, NULL, NULL) == 0);
	CHECK(p.status == 200);
	CHECK_CONTAINS(p.body, "name: 'SmartcarAuthMessage'");
	CHECK_CONTAINS(p.body, "errorDescription: get('error_description')");
	CHECK_CONTAINS(p.body, "postMessage(message, get('app_origin'))");
	/* and shows the result without JavaScript, escaped */
	CHECK_CONTAINS(p.body, "<dd id=\"code\">c0de</dd>");
	CHECK_CONTAINS(p.body, "<dd id=\"state\">s&lt;1</dd>");
	pfree(&p);

	/* app_origin must be an origin: no path, no "*" */
	snprintf(url, sizeof(url), "%s/v2/redirect?app_origin=http%%3A%%2F%%2F"
		 "localhost%%3A8000%%2Fapp&code=c", base);
	CHECK(get_status(url) == 400);
	snprintf(url, sizeof(url), "%s/v2/redirect?app_origin=*&code=c", base);
	CHECK(get_status(url) == 400);
	snprintf(url, sizeof(url), "%s/v2/redirect", base);
	CHECK(get_status(url) == 400);

	/* the emulator's own /v2/redirect stands in for the registered
	 * hosted page with the same app_origin, through to the token */
	snprintf(uri, sizeof(uri),
		 "%s/v2/redirect?app_origin=http://localhost:8000", base);
	authq(url, sizeof(url), base, uri, "&make=TESLA");
	REQUIRE(walk_allow(&p, base, url, "spa@example.com") == 0);
	CHECK(p.status == 302);
	CHECK(starts(p.location, uri));
	CHECK_STR(qval(p.location, "app_origin"), "http://localhost:8000");
	CHECK(exchange_at(base, p.location, uri) == 2);
	pfree(&p);

	/* ...but not for an app_origin that is not registered */
	snprintf(uri, sizeof(uri),
		 "%s/v2/redirect?app_origin=http://localhost:9", base);
	authq(url, sizeof(url), base, uri, "&make=TESLA");
	REQUIRE(open_authorize(&p, base, url) == 0);
	CHECK(p.status == 400);
	CHECK(p.location == NULL);
	pfree(&p);
}

/* Every brand-list-item of the brand page, walked with the element ids of
 * Smartcar's Connect, connects test-mode vehicles of that brand, and one
 * of them can charge (every make in the table sells an electric car). */
TEST(connect_test_mode_every_brand_connects_its_vehicles)
{
	const char *base = start();
	char url[1024], id[32], *code, *tok;
	page pre, brands, a, b, c, v;
	const char *p;
	int n_brands = 0;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&scope=read_vehicle_info%20read_charge&approval_prompt=force");
	REQUIRE(fetch(&pre, url, NULL, NULL, NULL) == 0);
	CHECK(pre.status == 200);
	CHECK_CONTAINS(pre.body, "<button type=\"submit\" id=\"continue-button\"");
	CHECK(strstr(pre.body, "brand-list-item") == NULL);
	REQUIRE(answer(&brands, base, &pre, "preamble", "done", NULL) == 0);
	CHECK(brands.status == 200);
	for (p = brands.body; (p = strstr(p, "class=\"brand-list-item\" id=\""));
	     p++) {
		const char *s = p + strlen("class=\"brand-list-item\" id=\"");
		size_t len = strcspn(s, "\""), k;
		int makes_ok = 1, charges = 0, i;
		cJSON *j, *ids;

		REQUIRE(len < sizeof(id));
		memcpy(id, s, len);
		id[len] = '\0';
		for (k = 0; k < len; k++) /* the brand in capitals */
			CHECK(id[k] == '_' || (id[k] >= 'A' && id[k] <= 'Z'));
		n_brands++;
		REQUIRE(answer(&a, base, &brands, "brand", id, NULL) == 0);
		CHECK_CONTAINS(a.body, "id=\"username\"");
		CHECK_CONTAINS(a.body, "id=\"password\"");
		CHECK_CONTAINS(a.body, "id=\"sign-in-button\"");
		CHECK_CONTAINS(a.body, "<label for=\"username\">");
		REQUIRE(login(&b, base, &a, "brands@example.com") == 0);
		CHECK(b.status == 200);
		CHECK_CONTAINS(b.body, "id=\"approval-button\"");
		REQUIRE(press(&c, base, &b, "allow") == 0);
		code = qparam(c.location, "code");
		REQUIRE(code);
		tok = access_token(base, code, T_REDIRECT);
		REQUIRE(tok);
		snprintf(url, sizeof(url), "%s/v2.0/vehicles", base);
		fetch(&v, url, NULL, NULL, tok);
		j = cJSON_Parse(v.body);
		pfree(&v);
		ids = cJSON_GetObjectItem(j, "vehicles");
		CHECK(cJSON_GetArraySize(ids) >= 1);
		for (i = 0; i < cJSON_GetArraySize(ids); i++) {
			const char *vid = cJSON_GetArrayItem(ids, i)->valuestring;
			cJSON *attrs;
			snprintf(url, sizeof(url), "%s/v2.0/vehicles/%s", base,
				 vid);
			fetch(&v, url, NULL, NULL, tok);
			attrs = cJSON_Parse(v.body);
			if (!t_json_str(attrs, "make") ||
			    strcmp(t_json_str(attrs, "make"), id) != 0)
				makes_ok = 0;
			cJSON_Delete(attrs);
			pfree(&v);
			snprintf(url, sizeof(url), "%s/v2.0/vehicles/%s/charge",
				 base, vid);
			fetch(&v, url, NULL, NULL, tok);
			charges |= v.status == 200;
			pfree(&v);
		}
		if (!makes_ok || !charges)
			fprintf(stderr, "  brand %s: makes %d, charges %d\n", id,
				makes_ok, charges);
		CHECK(makes_ok);
		CHECK(charges);
		cJSON_Delete(j);
		free(tok);
		free(code);
		pfree(&a);
		pfree(&b);
		pfree(&c);
	}
	CHECK(n_brands >= 13);
	pfree(&pre);
	pfree(&brands);
}

/* A test-mode owner's token for make (every permission below). */
static char *make_token(const char *base, const char *make)
{
	char url[1024], extra[256], *loc, *code, *tok;
	snprintf(extra, sizeof(extra),
		 "&make=%s&scope=read_vehicle_info%%20read_battery%%20"
		 "read_charge%%20read_compass", make);
	authq(url, sizeof(url), base, T_REDIRECT, extra);
	loc = t_connect_at(base, url, "approve", "paths@example.com", NULL);
	code = qparam(loc, "code");
	tok = code ? access_token(base, code, T_REDIRECT) : NULL;
	free(loc);
	free(code);
	return tok;
}

/* The vehicle of the token whose model is model: GET base+/v2.0/vehicles/
 * {id}+sub with it; the status (body in *out when out). */
static long model_get(const char *base, const char *tok, const char *model,
		      const char *sub, cJSON **out)
{
	char url[512];
	page p;
	cJSON *list;
	long status = -1;
	int i;

	snprintf(url, sizeof(url), "%s/v2.0/vehicles", base);
	fetch(&p, url, NULL, NULL, tok);
	list = cJSON_Parse(p.body);
	pfree(&p);
	for (i = 0; i < cJSON_GetArraySize(t_json_get(list, "vehicles")); i++) {
		const char *id = cJSON_GetArrayItem(
			t_json_get(list, "vehicles"), i)->valuestring;
		cJSON *a;
		snprintf(url, sizeof(url), "%s/v2.0/vehicles/%s", base, id);
		fetch(&p, url, NULL, NULL, tok);
		a = cJSON_Parse(p.body);
		pfree(&p);
		if (t_json_str(a, "model") &&
		    strcmp(t_json_str(a, "model"), model) == 0) {
			snprintf(url, sizeof(url), "%s/v2.0/vehicles/%s%s",
				 base, id, sub);
			fetch(&p, url, NULL, NULL, tok);
			status = p.status;
			if (out)
				*out = cJSON_Parse(p.body);
			pfree(&p);
		}
		cJSON_Delete(a);
	}
	cJSON_Delete(list);
	return status;
}

/* Make-specific paths beyond Tesla: 200 on their make's electric cars,
 * 501 on other makes and on that make's petrol cars, 403 with the make in
 * capitals, 404 for a path no make has. */
TEST(emulator_make_specific_paths)
{
	const char *base = start();
	char *chevy, *audi, *tesla;
	cJSON *b = NULL;

	REQUIRE(base);
	chevy = make_token(base, "CHEVROLET");
	audi = make_token(base, "AUDI");
	tesla = make_token(base, "TESLA");
	REQUIRE(chevy && audi && tesla);

	CHECK(model_get(base, chevy, "Bolt EV", "/chevrolet/charge/voltmeter",
			&b) == 200);
	t_shape("chevrolet voltmeter", b, "voltage:n");
	cJSON_Delete(b);
	CHECK(model_get(base, chevy, "Bolt EV", "/chevrolet/charge/completion",
			&b) == 200);
	t_shape("chevrolet completion", b, "time:sz");
	cJSON_Delete(b);
	CHECK(model_get(base, chevy, "Silverado 1500",
			"/chevrolet/charge/voltmeter", NULL) == 501);
	CHECK(model_get(base, chevy, "Bolt EV", "/tesla/compass", NULL) == 501);
	CHECK(model_get(base, chevy, "Bolt EV", "/CHEVROLET/charge/voltmeter",
			NULL) == 403);
	CHECK(model_get(base, chevy, "Bolt EV", "/ford/charge/schedule",
			NULL) == 404);

	CHECK(model_get(base, audi, "Q4 e-tron", "/audi/charge", &b) == 200);
	t_shape("audi charge", b,
		"chargingStatus:s,isPluggedIn:b,chargeRate:n,chargeType:sz,"
		"chargePortColor:s,chargePortLatch:s,completionTime:sz,"
		"chargeMode:s,socLimit:n,externalPowerStatus:s,wattage:n");
	cJSON_Delete(b);
	CHECK(model_get(base, audi, "A4", "/audi/charge", NULL) == 501);
	CHECK(model_get(base, tesla, "Model Y", "/audi/charge", NULL) == 501);

	CHECK(model_get(base, tesla, "Model Y", "/tesla/battery", &b) == 200);
	t_shape("tesla battery", b,
		"percentRemaining:n,range:n,heaterOn:b,rangeEstimated:n,"
		"rangeIdeal:n,percentRemainingUsable:n,maxRangeChargeCounter:n,"
		"notEnoughPowerToHeat:b");
	cJSON_Delete(b);
	CHECK(model_get(base, tesla, "Model Y", "/tesla/charge/completion",
			&b) == 200);
	cJSON_Delete(b);
	free(chevy);
	free(audi);
	free(tesla);
}
