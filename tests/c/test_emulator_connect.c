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

/* Submits f with the extra name/value pairs (NULL-terminated list), as
 * its method says. */
static int submit(page *out, const char *base, const form *f, ...)
{
	char *body = NULL, url[8192];
	size_t n = 0;
	int i, rc;
	va_list ap;
	const char *k;

	for (i = 0; i < f->n; i++)
		enc_pair(&body, &n, f->name[i], f->value[i]);
	va_start(ap, f);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		enc_pair(&body, &n, k, v);
	}
	va_end(ap);
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
	form f;
	int rc;
	if (!parse_form(&f, login_page->body))
		return -1;
	rc = submit(out, base, &f, "email", email, "password", "pw", NULL);
	ffree(&f);
	return rc;
}

/* Presses button action=value on the page's form. */
static int press(page *out, const char *base, const page *p,
		 const char *value)
{
	form f;
	int rc;
	if (!parse_form(&f, p->body))
		return -1;
	rc = submit(out, base, &f, "action", value, NULL);
	ffree(&f);
	return rc;
}

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

/* Exchanges code for redirect; the number of vehicles the token sees, or
 * -1. */
static int exchange(const char *base, const char *code, const char *redirect)
{
	char url[512], *form = NULL, *er;
	size_t n = 0;
	page p;
	cJSON *j, *t, *v;
	int count = -1;

	enc_pair(&form, &n, "grant_type", "authorization_code");
	enc_pair(&form, &n, "code", code);
	enc_pair(&form, &n, "redirect_uri", redirect);
	snprintf(url, sizeof(url), "%s/oauth/token", base);
	fetch(&p, url, form, T_CLIENT_ID ":" T_CLIENT_SECRET, NULL);
	free(form);
	if (p.status != 200) {
		pfree(&p);
		return -1;
	}
	j = cJSON_Parse(p.body);
	t = cJSON_GetObjectItem(j, "access_token");
	er = cJSON_IsString(t) ? strdup(t->valuestring) : NULL;
	cJSON_Delete(j);
	pfree(&p);
	if (!er)
		return -1;
	snprintf(url, sizeof(url), "%s/v2.0/vehicles", base);
	fetch(&p, url, NULL, NULL, er);
	j = cJSON_Parse(p.body);
	v = cJSON_GetObjectItem(j, "vehicles");
	if (p.status == 200 && cJSON_IsArray(v))
		count = cJSON_GetArraySize(v);
	cJSON_Delete(j);
	pfree(&p);
	free(er);
	return count;
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
	char url[1024], *code, *state;
	page a, b, c, d;
	form f;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, "&user=u-42&flags=country%3ADE%20beta%3Atrue");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(parse_form(&f, a.body));
	REQUIRE(submit(&b, base, &f, "brand", "TOYOTA", NULL) == 0);
	ffree(&f);
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
	code = qparam(d.location, "code");
	state = qparam(d.location, "state");
	CHECK_STR(state, "st+1");
	REQUIRE(code);
	CHECK(strlen(code) == 32);
	CHECK(exchange(base, code, T_REDIRECT) == 2);
	free(code);
	free(state);
	pfree(&a);
	pfree(&b);
	pfree(&c);
	pfree(&d);
}

TEST(connect_pages_deny_and_unticked_vehicles)
{
	const char *base = start();
	char url[1024], *err, *desc;
	page a, b, c;
	form f;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, "&make=TESLA");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "denier@example.com") == 0);
	REQUIRE(press(&c, base, &b, "deny") == 0);
	CHECK(c.status == 302);
	CHECK(starts(c.location, T_REDIRECT "?error=access_denied"));
	err = qparam(c.location, "error");
	desc = qparam(c.location, "error_description");
	CHECK_STR(err, "access_denied");
	CHECK_STR(desc, "User denied access to application.");
	CHECK(qparam(c.location, "code") == NULL);
	free(err);
	free(desc);
	err = qparam(c.location, "state");
	CHECK_STR(err, "st+1");
	free(err);
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
	pfree(&a);
	pfree(&b);
	pfree(&c);
}

TEST(connect_single_select_offers_radio_choice)
{
	const char *base = start();
	char url[1024], *code, *raw, *vid;
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
	code = qparam(c.location, "code");
	REQUIRE(code);
	CHECK(exchange(base, code, T_REDIRECT) == 1);
	free(code);
	free(vid);
	pfree(&a);
	pfree(&b);
	pfree(&c);
}

TEST(connect_approval_prompt_auto_skips_known_grant_force_shows_it)
{
	const char *base = start();
	char url[1024], *code;
	page a, b, c;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&make=FORD&approval_prompt=auto");
	REQUIRE(walk_allow(&c, base, url, "again@example.com") == 0);
	CHECK(c.status == 302);
	CHECK(starts(c.location, T_REDIRECT "?code="));
	pfree(&c);

	/* second visit, auto: straight from login to the redirect */
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "AGAIN@example.com") == 0);
	CHECK(b.status == 302);
	CHECK(starts(b.location, T_REDIRECT "?code="));
	code = qparam(b.location, "code");
	REQUIRE(code);
	CHECK(exchange(base, code, T_REDIRECT) == 2); /* F-150, Mach-E */
	free(code);
	pfree(&a);
	pfree(&b);

	/* a subset of what was granted (and no approval_prompt: auto) */
	authq(url, sizeof(url), base, T_REDIRECT, "&scope=read_vin&make=FORD");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "again@example.com") == 0);
	CHECK(b.status == 302);
	CHECK(starts(b.location, T_REDIRECT "?code="));
	pfree(&a);
	pfree(&b);

	/* force: the grant page every time */
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&make=FORD&approval_prompt=force");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "again@example.com") == 0);
	CHECK(b.status == 200);
	CHECK(b.location == NULL);
	CHECK_CONTAINS(b.body, "data-permission=\"read_vin\"");
	pfree(&a);
	pfree(&b);

	/* auto, but asking for more than was granted: the grant page */
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&scope=read_vin%20read_location&make=FORD"
	      "&approval_prompt=auto");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "again@example.com") == 0);
	CHECK(b.status == 200);
	CHECK_CONTAINS(b.body, "data-permission=\"read_location\"");
	pfree(&a);
	pfree(&b);

	/* another owner has granted nothing yet */
	authq(url, sizeof(url), base, T_REDIRECT, "&make=FORD");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "newcomer@example.com") == 0);
	CHECK(b.status == 200);
	CHECK_CONTAINS(b.body, "Allow this application");
	pfree(&a);
	pfree(&b);

	/* a deny records nothing; the control API's approval does */
	authq(url, sizeof(url), base, T_REDIRECT, "&make=FORD");
	code = t_connect_at(base, url, "approve", "scripted@example.com", NULL);
	CHECK(starts(code, T_REDIRECT "?code="));
	free(code);
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "scripted@example.com") == 0);
	CHECK(b.status == 302);
	pfree(&a);
	pfree(&b);
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
	char *v, *loc;

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
	v = qparam(c.location, "status_code");
	CHECK_STR(v, "400");
	free(v);
	v = qparam(c.location, "error_message");
	CHECK_CONTAINS(v, needle);
	free(v);
	v = qparam(c.location, "error_description");
	CHECK(v && *v);
	free(v);
	v = qparam(c.location, "state");
	CHECK_STR(v, "st+1");
	free(v);
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
	char url[1024], extra[128], *vin, *loc, *v;

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
	v = qparam(loc, "error");
	CHECK_STR(v, "no_vehicles");
	free(v);
	free(loc);

	/* the owner's own VIN in test mode is fine and shares just it */
	free(vin);
	vin = fleet_vin(base, "vin-owner@example.com", 1);
	snprintf(extra, sizeof(extra), "&single_select_vin=%s", vin);
	authq(url, sizeof(url), base, T_REDIRECT, extra);
	loc = t_connect_at(base, url, "approve", "vin-owner@example.com", NULL);
	v = qparam(loc, "code");
	REQUIRE(v);
	CHECK(exchange(base, v, T_REDIRECT) == 1);
	free(v);
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
	REQUIRE(fetch(&p, url,
		      "response_type=code&client_id=nope&action=allow"
		      "&email=a%40b.com",
		      NULL, NULL) == 0);
	CHECK(p.status == 400);
	CHECK(p.location == NULL);
	pfree(&p);
	snprintf(url, sizeof(url), "%s/oauth/authorize/login", base);
	REQUIRE(fetch(&p, url,
		      "response_type=code&client_id=" T_CLIENT_ID
		      "&redirect_uri=https%3A%2F%2Fevil.example.com"
		      "&email=a%40b.com&password=x",
		      NULL, NULL) == 0);
	CHECK(p.status == 400);
	CHECK(p.location == NULL);
	pfree(&p);
}

TEST(connect_server_error_and_trigger_accounts)
{
	const char *base = start();
	char url[1024], *v, *loc;
	page a, b;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, "&make=TESLA");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "smartcar@server-error.com") == 0);
	CHECK(b.status == 302);
	CHECK(starts(b.location, T_REDIRECT "?error=server_error"));
	v = qparam(b.location, "error_description");
	CHECK(v && *v);
	free(v);
	v = qparam(b.location, "state");
	CHECK_STR(v, "st+1");
	free(v);
	pfree(&b);
	loc = t_connect_at(base, url, "approve", "Smartcar@Server-Error.com",
			   NULL);
	v = qparam(loc, "error");
	CHECK_STR(v, "server_error");
	free(v);
	free(loc);

	REQUIRE(login(&b, base, &a, "smartcar@invalid-subscription.com") ==
		0);
	CHECK(b.status == 302);
	v = qparam(b.location, "error");
	CHECK_STR(v, "invalid_subscription");
	free(v);
	pfree(&b);
	REQUIRE(login(&b, base, &a, "smartcar@vehicle-incompatible.com") ==
		0);
	CHECK(b.status == 302);
	v = qparam(b.location, "vin");
	CHECK_STR(v, "0SCAUDI012FE3B132");
	free(v);
	pfree(&b);

	/* the no-vehicles account: no_vehicles, in test mode too */
	REQUIRE(login(&b, base, &a, "smartcar@no-vehicles.com") == 0);
	CHECK(b.status == 302);
	v = qparam(b.location, "error");
	CHECK_STR(v, "no_vehicles");
	free(v);
	pfree(&b);

	/* live: a make the owner's (base) fleet lacks is no_vehicles */
	authq(url, sizeof(url), base, T_REDIRECT, "&make=NISSAN&mode=live");
	pfree(&a);
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "owner@example.com") == 0);
	CHECK(b.status == 302);
	v = qparam(b.location, "error");
	CHECK_STR(v, "no_vehicles");
	free(v);
	pfree(&a);
	pfree(&b);
}

TEST(connect_login_rules)
{
	const char *base = start();
	char url[1024];
	page a, b;
	form f;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT, "&make=TESLA");
	REQUIRE(open_authorize(&a, base, url) == 0);
	REQUIRE(login(&b, base, &a, "someone@example.org") == 0);
	CHECK(b.status == 400);
	CHECK_CONTAINS(b.body, "name@domain.com");
	CHECK_CONTAINS(b.body, "name=\"password\"");
	pfree(&b);
	REQUIRE(login(&b, base, &a, "not-an-email") == 0);
	CHECK(b.status == 400);
	pfree(&b);
	/* any password, but some password */
	REQUIRE(parse_form(&f, a.body));
	REQUIRE(submit(&b, base, &f, "email", "x@y.com", "password", "",
		       NULL) == 0);
	ffree(&f);
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
	char url[1024], *code, *v;
	page p;

	REQUIRE(base);
	snprintf(url, sizeof(url), "%s/oauth/authorize/decide", base);
	REQUIRE(fetch(&p, url,
		      "response_type=code&client_id=" T_CLIENT_ID
		      "&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fcallback"
		      "&scope=read_odometer+read_vin&approval_prompt=auto"
		      "&mode=test&state=xyz&email=form%40example.com"
		      "&password=pw&action=allow",
		      NULL, NULL) == 0);
	CHECK(p.status == 302);
	code = qparam(p.location, "code");
	v = qparam(p.location, "state");
	CHECK_STR(v, "xyz");
	REQUIRE(code);
	CHECK(exchange(base, code, T_REDIRECT) == 3);
	free(code);
	free(v);
	pfree(&p);

	/* a bad deep link posted straight to decide: the error page, and
	 * action=back from there redirects */
	REQUIRE(fetch(&p, url,
		      "response_type=code&client_id=" T_CLIENT_ID
		      "&mode=bogus&email=form%40example.com&action=allow",
		      NULL, NULL) == 0);
	CHECK(p.status == 400);
	CHECK(has_button(p.body, "action", "back"));
	pfree(&p);
	REQUIRE(fetch(&p, url,
		      "response_type=code&client_id=" T_CLIENT_ID
		      "&mode=bogus&action=back",
		      NULL, NULL) == 0);
	CHECK(p.status == 302);
	v = qparam(p.location, "error");
	CHECK_STR(v, "configuration_error");
	free(v);
	pfree(&p);
	/* back without a configuration error is refused */
	REQUIRE(fetch(&p, url,
		      "response_type=code&client_id=" T_CLIENT_ID
		      "&action=back",
		      NULL, NULL) == 0);
	CHECK(p.status == 400);
	CHECK(p.location == NULL);
	pfree(&p);
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
	char url[1024], *code, *v, *loc;
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
		v = qparam(c.location, "state");
		CHECK_STR(v, "st+1");
		free(v);
		code = qparam(c.location, "code");
		REQUIRE(code);
		/* exchanged with that redirect_uri, not another */
		CHECK(exchange(base, code, i ? T_REDIRECT : HTTPS) == -1);
		CHECK(exchange(base, code, forms[i].uri) == 2);
		free(code);
		pfree(&c);

		/* errors use the same separator */
		loc = t_connect_at(base, url, "deny", "uris@example.com", NULL);
		CHECK(loc && strstr(loc, forms[i].uri) == loc &&
		      loc[strlen(forms[i].uri)] ==
			      forms[i].prefix[strlen(forms[i].uri)]);
		v = qparam(loc, "error");
		CHECK_STR(v, "access_denied");
		free(v);
		free(loc);
	}
	/* the JS SDK page keeps its app_origin */
	authq(url, sizeof(url), base, JS_SDK, "&make=TESLA");
	loc = t_connect_at(base, url, "approve", "uris@example.com", NULL);
	v = qparam(loc, "app_origin");
	CHECK_STR(v, "http://localhost:8000");
	free(v);
	free(loc);
}

TEST(connect_js_sdk_redirect_stand_in)
{
	const char *base = start();
	char url[1024], uri[512], *code, *v;
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
	REQUIRE(fetch(&p, url, NULL, NULL, NULL) == 0);
	CHECK(p.status == 400);
	pfree(&p);
	snprintf(url, sizeof(url), "%s/v2/redirect?app_origin=*&code=c", base);
	REQUIRE(fetch(&p, url, NULL, NULL, NULL) == 0);
	CHECK(p.status == 400);
	pfree(&p);
	snprintf(url, sizeof(url), "%s/v2/redirect", base);
	REQUIRE(fetch(&p, url, NULL, NULL, NULL) == 0);
	CHECK(p.status == 400);
	pfree(&p);

	/* the emulator's own /v2/redirect stands in for the registered
	 * hosted page with the same app_origin, through to the token */
	snprintf(uri, sizeof(uri),
		 "%s/v2/redirect?app_origin=http://localhost:8000", base);
	authq(url, sizeof(url), base, uri, "&make=TESLA");
	REQUIRE(walk_allow(&p, base, url, "spa@example.com") == 0);
	CHECK(p.status == 302);
	CHECK(starts(p.location, uri));
	code = qparam(p.location, "code");
	v = qparam(p.location, "app_origin");
	CHECK_STR(v, "http://localhost:8000");
	REQUIRE(code);
	CHECK(exchange(base, code, uri) == 2);
	free(code);
	free(v);
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

/* Exchanges code; the access token (caller frees) or NULL. */
static char *access_token(const char *base, const char *code)
{
	char url[512], *form = NULL, *tok = NULL;
	size_t n = 0;
	page p;
	cJSON *j;

	enc_pair(&form, &n, "grant_type", "authorization_code");
	enc_pair(&form, &n, "code", code);
	enc_pair(&form, &n, "redirect_uri", T_REDIRECT);
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

/* Every brand-list-item of the brand page, walked with the element ids of
 * Smartcar's Connect, connects test-mode vehicles of that brand, and one
 * of them can charge (every make in the table sells an electric car). */
TEST(connect_test_mode_every_brand_connects_its_vehicles)
{
	const char *base = start();
	char url[1024], id[32], *code, *tok;
	page pre, brands, a, b, c, v;
	form f;
	const char *p;
	int n_brands = 0;

	REQUIRE(base);
	authq(url, sizeof(url), base, T_REDIRECT,
	      "&scope=read_vehicle_info%20read_charge&approval_prompt=force");
	REQUIRE(fetch(&pre, url, NULL, NULL, NULL) == 0);
	CHECK(pre.status == 200);
	CHECK_CONTAINS(pre.body, "<button type=\"submit\" id=\"continue-button\"");
	CHECK(strstr(pre.body, "brand-list-item") == NULL);
	REQUIRE(parse_form(&f, pre.body));
	REQUIRE(submit(&brands, base, &f, "preamble", "done", NULL) == 0);
	ffree(&f);
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
		REQUIRE(parse_form(&f, brands.body));
		REQUIRE(submit(&a, base, &f, "brand", id, NULL) == 0);
		ffree(&f);
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
		tok = access_token(base, code);
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
	tok = code ? access_token(base, code) : NULL;
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
