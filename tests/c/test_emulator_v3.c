/* smartcar-emulator's Vehicle API v3 over real HTTP with libcurl: the
 * vehicle resource, the signals list (shape, paging, links, included
 * vehicle), single signals, units, the clock moving the signals, both
 * kinds of token (Connect access token, application token + sc-user-id),
 * and the JSON:API error body on every /v3 error, faults included.
 *
 * They use the shared emulator (t_emulator) with owners of their own. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "test.h"

#define V3_SCOPES                                                        \
	"read_vehicle_info read_vin read_odometer read_location read_fuel " \
	"read_battery read_charge read_security"
#define N_SIGNALS 11

enum { BEV, PHEV, ICE };

/* ----------------------------------------------------------------- HTTP */

typedef struct v3res {
	long status;
	char *body, *headers;
	size_t len, hlen;
	cJSON *json;
} v3res;

typedef struct v3sink {
	char **p;
	size_t *n;
} v3sink;

static size_t v3_grow(char *d, size_t s, size_t n, void *u)
{
	v3sink *k = u;
	char *q = realloc(*k->p, *k->n + s * n + 1);
	if (!q)
		return 0;
	memcpy(q + *k->n, d, s * n);
	*k->n += s * n;
	q[*k->n] = '\0';
	*k->p = q;
	return s * n;
}

static void v3_free(v3res *r)
{
	free(r->body);
	free(r->headers);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

/* method base+path; token (Bearer), sc-user-id and sc-unit-system when
 * not NULL; form: a POST body. */
static void v3_req(v3res *out, const char *method, const char *path,
		   const char *token, const char *user, const char *unit,
		   const char *form)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hs = NULL;
	char url[1024], line[256];
	v3sink bs = {&out->body, &out->len}, hk = {&out->headers, &out->hlen};

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", t_emulator(), path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (token) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		hs = curl_slist_append(hs, line);
	}
	if (user) {
		snprintf(line, sizeof(line), "sc-user-id: %s", user);
		hs = curl_slist_append(hs, line);
	}
	if (unit) {
		snprintf(line, sizeof(line), "sc-unit-system: %s", unit);
		hs = curl_slist_append(hs, line);
	}
	if (form)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, v3_grow);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &bs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, v3_grow);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hk);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hs);
	curl_easy_cleanup(h);
	if (out->body)
		out->json = cJSON_ParseWithLength(out->body, out->len);
}

static void v3_get(v3res *out, const char *path, const char *token,
		   const char *user, const char *unit)
{
	v3_req(out, "GET", path, token, user, unit, NULL);
}

static const char *v3_hdr(const v3res *r, const char *name, char *buf,
			  size_t n)
{
	const char *p = r->headers;
	size_t nl = strlen(name);

	while (p && *p) {
		const char *e = strstr(p, "\r\n");
		size_t ll = e ? (size_t)(e - p) : strlen(p);
		if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t vl = ll - nl - 1;
			while (vl && *v == ' ')
				v++, vl--;
			if (vl >= n)
				vl = n - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = e ? e + 2 : NULL;
	}
	return NULL;
}

static const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *it = jget(o, k);
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *it = jget(o, k);
	return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

/* ---------------------------------------------------------------- shapes */

static int v3_has_type(const cJSON *it, const char *types)
{
	for (; *types; types++)
		if ((*types == 'n' && cJSON_IsNumber(it)) ||
		    (*types == 's' && cJSON_IsString(it)) ||
		    (*types == 'b' && cJSON_IsBool(it)) ||
		    (*types == 'a' && cJSON_IsArray(it)) ||
		    (*types == 'o' && cJSON_IsObject(it)) ||
		    (*types == 'z' && cJSON_IsNull(it)))
			return 1;
	return 0;
}

/* The object has exactly the keys of spec ("key:types,..."; n number,
 * s string, b bool, a array, o object, z null). */
static void v3_shape(const char *where, const cJSON *o, const char *spec)
{
	char buf[512], *save = NULL, *tok;
	int want = 0;

	if (!cJSON_IsObject(o)) {
		fprintf(stderr, "  %s: not an object\n", where);
		sc_test_failed_flag = 1;
		return;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		*colon = '\0';
		want++;
		if (!v3_has_type(jget(o, tok), colon + 1)) {
			fprintf(stderr, "  %s: key %s missing or not [%s]\n",
				where, tok, colon + 1);
			sc_test_failed_flag = 1;
		}
	}
	if (cJSON_GetArraySize(o) != want) {
		fprintf(stderr, "  %s: %d keys, expected %d\n", where,
			cJSON_GetArraySize(o), want);
		sc_test_failed_flag = 1;
	}
}

/* A complete v3 error: HTTP status, JSON content type, SC-Request-Id and
 * {"errors":[{status (string), type, code, title, detail, links.about,
 * resolution, suggestedUserMessage}]}. */
static void check_v3_error(const v3res *r, long status, const char *type,
			   const char *code, const char *title)
{
	char buf[128], want[128], slug[64];
	const cJSON *errs = jget(r->json, "errors"), *e;
	size_t i;

	CHECK(r->status == status);
	if (r->status != status)
		fprintf(stderr, "  status %ld, expected %ld: %s\n", r->status,
			status, r->body ? r->body : "");
	CHECK(v3_hdr(r, "content-type", buf, sizeof(buf)) &&
	      strstr(buf, "application/json"));
	CHECK(v3_hdr(r, "sc-request-id", buf, sizeof(buf)) &&
	      strlen(buf) == 36);
	v3_shape("v3 error body", r->json, "errors:a");
	REQUIRE(cJSON_GetArraySize(errs) == 1);
	e = cJSON_GetArrayItem(errs, 0);
	v3_shape("v3 error", e,
		 "status:s,type:s,code:sz,title:s,detail:s,links:o,"
		 "resolution:o,suggestedUserMessage:s");
	snprintf(want, sizeof(want), "%ld", status);
	CHECK_STR(jstr(e, "status"), want);
	CHECK_STR(jstr(e, "type"), type);
	if (code)
		CHECK_STR(jstr(e, "code"), code);
	else
		CHECK(cJSON_IsNull(jget(e, "code")));
	if (title)
		CHECK_STR(jstr(e, "title"), title);
	CHECK(jget(jget(e, "resolution"), "type") != NULL);
	v3_shape("v3 error links", jget(e, "links"), "about:s");
	CHECK_CONTAINS(jstr(jget(e, "links"), "about"),
		       "https://smartcar.com/docs/errors/api-errors/");
	snprintf(slug, sizeof(slug), "%s", code ? code : "null");
	for (i = 0; slug[i]; i++)
		slug[i] = slug[i] == '_' ? '-'
					 : (char)tolower((unsigned char)slug[i]);
	snprintf(want, sizeof(want), "-errors#%s", slug);
	CHECK_CONTAINS(jstr(jget(e, "links"), "about"), want);
}

static void check_vehicle_resource(const cJSON *v, const char *id,
				   const char *powertrain)
{
	char self[128];

	v3_shape("vehicle", v, "id:s,type:s,attributes:o,links:o");
	CHECK_STR(jstr(v, "id"), id);
	CHECK_STR(jstr(v, "type"), "vehicle");
	v3_shape("vehicle attributes", jget(v, "attributes"),
		 "make:s,model:s,year:n,powertrainType:s,mode:s");
	CHECK_STR(jstr(jget(v, "attributes"), "powertrainType"), powertrain);
	CHECK_STR(jstr(jget(v, "attributes"), "mode"), "TEST");
	snprintf(self, sizeof(self), "/vehicles/%s", id);
	v3_shape("vehicle links", jget(v, "links"), "self:s");
	CHECK_STR(jstr(jget(v, "links"), "self"), self);
}

/* One signal: shape, links; status SUCCESS (with body and both meta
 * times) or ERROR (error, no body). Returns 1 for SUCCESS. */
static int check_signal(const cJSON *s, const char *vid)
{
	const cJSON *a = jget(s, "attributes"), *st = jget(a, "status");
	const char *code = jstr(s, "id");
	char want[256];
	int ok;

	v3_shape("signal", s, "id:s,type:s,attributes:o,meta:o,links:o");
	CHECK_STR(jstr(s, "type"), "signal");
	CHECK_STR(jstr(a, "code"), code);
	ok = jstr(st, "value") && strcmp(jstr(st, "value"), "SUCCESS") == 0;
	if (ok) {
		v3_shape(code, a, "code:s,name:s,group:s,status:o,body:o");
		v3_shape("status", st, "value:s");
		v3_shape("signal meta", jget(s, "meta"),
			 "retrievedAt:n,oemUpdatedAt:n");
		CHECK(jnum(jget(s, "meta"), "retrievedAt") > 1.6e12);
	} else {
		v3_shape(code, a, "code:s,name:s,group:s,status:o");
		CHECK_STR(jstr(st, "value"), "ERROR");
		v3_shape("status", st, "value:s,error:o");
		v3_shape("status error", jget(st, "error"), "type:s,code:sz");
	}
	if (code) { /* the code is {group}-{name}, lower-cased */
		char gn[128];
		size_t i;
		snprintf(gn, sizeof(gn), "%s-%s", jstr(a, "group"),
			 jstr(a, "name"));
		for (i = 0; gn[i]; i++)
			gn[i] = (char)tolower((unsigned char)gn[i]);
		CHECK_STR(gn, code);
	}
	snprintf(want, sizeof(want), "/vehicles/%s/signals/%s", vid,
		 code ? code : "");
	CHECK_STR(jstr(jget(s, "links"), "self"), want);
	return ok;
}

static const cJSON *find_signal(const cJSON *list, const char *code)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, list)
	{
		if (jstr(s, "id") && strcmp(jstr(s, "id"), code) == 0)
			return s;
	}
	return NULL;
}

static const char *signal_status(const cJSON *list, const char *code)
{
	return jstr(jget(jget(find_signal(list, code), "attributes"), "status"),
		    "value");
}

static const cJSON *signal_body(const cJSON *s)
{
	return jget(jget(s, "attributes"), "body");
}

/* ------------------------------------------------------------- sessions */

/* Connect as email (mode=test) and exchange the code: the access token
 * (caller frees) or NULL. */
static char *v3_login(const char *email, const char *scope)
{
	char *esc = curl_easy_escape(NULL, scope, 0), *loc, *tok = NULL;
	char url[2048], form[512];
	const char *code;
	v3res r;
	CURL *h;
	v3sink bs;

	snprintf(url, sizeof(url),
		 "%s/oauth/authorize?response_type=code&client_id=%s"
		 "&redirect_uri=http%%3A%%2F%%2Flocalhost%%3A8000%%2Fcallback"
		 "&scope=%s&mode=test",
		 t_emulator(), T_CLIENT_ID, esc);
	curl_free(esc);
	loc = t_connect(url, "approve", email);
	code = loc ? strstr(loc, "code=") : NULL;
	if (!code) {
		free(loc);
		return NULL;
	}
	snprintf(form, sizeof(form),
		 "grant_type=authorization_code&code=%.32s&redirect_uri="
		 "http%%3A%%2F%%2Flocalhost%%3A8000%%2Fcallback",
		 code + 5);
	free(loc);
	memset(&r, 0, sizeof(r));
	bs.p = &r.body;
	bs.n = &r.len;
	snprintf(url, sizeof(url), "%s/oauth/token", t_emulator());
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERPWD, T_CLIENT_ID ":" T_CLIENT_SECRET);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, v3_grow);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &bs);
	curl_easy_perform(h);
	curl_easy_cleanup(h);
	r.json = r.body ? cJSON_Parse(r.body) : NULL;
	if (jstr(r.json, "access_token"))
		tok = strdup(jstr(r.json, "access_token"));
	v3_free(&r);
	return tok;
}

/* An application token from POST /oauth2/token (client credentials in
 * the form), or NULL. */
static char *app_token(void)
{
	v3res r;
	char *tok = NULL;

	v3_req(&r, "POST", "/oauth2/token", NULL, NULL, NULL,
	       "grant_type=client_credentials&client_id=" T_CLIENT_ID
	       "&client_secret=" T_CLIENT_SECRET);
	CHECK(r.status == 200);
	CHECK_STR(jstr(r.json, "token_type"), "Bearer");
	CHECK(jnum(r.json, "expires_in") == 3600);
	CHECK(!jget(r.json, "refresh_token"));
	if (jstr(r.json, "access_token"))
		tok = strdup(jstr(r.json, "access_token"));
	v3_free(&r);
	return tok;
}

/* The owner's vehicle ids by kind, from the control API. */
static int v3_fleet(const char *email, char ids[3][40])
{
	char path[256], *raw;
	cJSON *j;
	const cJSON *v;
	int n = 0;

	snprintf(path, sizeof(path), "/_emulator/vehicles?email=%s", email);
	raw = t_control(path, NULL);
	j = raw ? cJSON_Parse(raw) : NULL;
	free(raw);
	cJSON_ArrayForEach(v, jget(j, "vehicles"))
	{
		const char *kind = jstr(v, "kind"), *id = jstr(v, "id");
		int k = !kind ? -1 : strcmp(kind, "BEV") == 0 ? BEV
				 : strcmp(kind, "PHEV") == 0  ? PHEV
							      : ICE;
		if (k >= 0 && id) {
			snprintf(ids[k], 40, "%s", id);
			n++;
		}
	}
	cJSON_Delete(j);
	return n == 3 ? 0 : -1;
}

static char *user_id(const char *token)
{
	v3res r;
	char *id = NULL;

	v3_get(&r, "/v2.0/user", token, NULL, NULL);
	if (jstr(r.json, "id"))
		id = strdup(jstr(r.json, "id"));
	v3_free(&r);
	return id;
}

static void set_vehicle(const char *id, const char *json)
{
	char path[128];
	snprintf(path, sizeof(path), "/_emulator/vehicles/%s", id);
	free(t_control(path, json));
}

/* ------------------------------------------------------------------ tests */

TEST(emulator_v3_vehicle_resource)
{
	static const char *const pt[3] = {"BEV", "PHEV", "ICE"};
	char ids[3][40], path[256], buf[64];
	char *tok = v3_login("v3-vehicle@example.com", V3_SCOPES);
	v3res r;
	int k;

	REQUIRE(tok);
	REQUIRE(v3_fleet("v3-vehicle@example.com", ids) == 0);
	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[k]);
		v3_get(&r, path, tok, NULL, NULL);
		CHECK(r.status == 200);
		CHECK(v3_hdr(&r, "content-type", buf, sizeof(buf)) &&
		      strstr(buf, "application/json"));
		CHECK(v3_hdr(&r, "sc-request-id", buf, sizeof(buf)) != NULL);
		v3_shape("vehicle document", r.json, "data:o");
		check_vehicle_resource(jget(r.json, "data"), ids[k], pt[k]);
		v3_free(&r);
	}
	/* the trailing slash variant (the Node SDK sends it) */
	snprintf(path, sizeof(path), "/v3/vehicles/%s/", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 200);
	CHECK_STR(jstr(jget(jget(r.json, "data"), "attributes"), "make"),
		  "TESLA");
	CHECK(jnum(jget(jget(r.json, "data"), "attributes"), "year") == 2020);
	v3_free(&r);
	/* an asleep car still answers its attributes */
	set_vehicle(ids[ICE], "{\"asleep\": true}");
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[ICE]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 200);
	v3_free(&r);
	set_vehicle(ids[ICE], "{\"asleep\": false}");
	free(tok);
}

/* Fetches every page of size n and checks the paging document; returns
 * the concatenated data (caller deletes). */
static cJSON *walk_pages(const char *vid, const char *tok, long n)
{
	cJSON *all = cJSON_CreateArray();
	long last = (N_SIGNALS + n - 1) / n, p;
	char path[256], want[256];
	v3res r;

	for (p = 1; p <= last; p++) {
		const cJSON *l, *s, *m;
		snprintf(path, sizeof(path),
			 "/v3/vehicles/%s/signals?page=%ld&pageSize=%ld", vid, p,
			 n);
		v3_get(&r, path, tok, NULL, NULL);
		CHECK(r.status == 200);
		v3_shape("signals document", r.json,
			 "data:a,meta:o,links:o,included:o");
		m = jget(r.json, "meta");
		v3_shape("signals meta", m, "page:n,pageSize:n,totalCount:n");
		CHECK(jnum(m, "page") == p && jnum(m, "pageSize") == n &&
		      jnum(m, "totalCount") == N_SIGNALS);
		CHECK(cJSON_GetArraySize(jget(r.json, "data")) ==
		      (p < last ? n : N_SIGNALS - (last - 1) * n));
		l = jget(r.json, "links");
		v3_shape("signals links", l,
			 "self:s,first:s,previous:sz,next:sz,last:s");
		snprintf(want, sizeof(want),
			 "/vehicles/%s/signals?page=%ld&pageSize=%ld", vid, p, n);
		CHECK_STR(jstr(l, "self"), want);
		snprintf(want, sizeof(want),
			 "/vehicles/%s/signals?page=1&pageSize=%ld", vid, n);
		CHECK_STR(jstr(l, "first"), want);
		snprintf(want, sizeof(want),
			 "/vehicles/%s/signals?page=%ld&pageSize=%ld", vid,
			 last, n);
		CHECK_STR(jstr(l, "last"), want);
		if (p == 1) {
			CHECK(cJSON_IsNull(jget(l, "previous")));
		} else {
			snprintf(want, sizeof(want),
				 "/vehicles/%s/signals?page=%ld&pageSize=%ld",
				 vid, p - 1, n);
			CHECK_STR(jstr(l, "previous"), want);
		}
		if (p == last) {
			CHECK(cJSON_IsNull(jget(l, "next")));
		} else {
			snprintf(want, sizeof(want),
				 "/vehicles/%s/signals?page=%ld&pageSize=%ld",
				 vid, p + 1, n);
			CHECK_STR(jstr(l, "next"), want);
		}
		v3_shape("included", jget(r.json, "included"), "vehicle:o");
		cJSON_ArrayForEach(s, jget(r.json, "data"))
		{
			check_signal(s, vid);
			cJSON_AddItemToArray(all, cJSON_Duplicate(s, 1));
		}
		v3_free(&r);
	}
	return all;
}

TEST(emulator_v3_signals_list_and_paging)
{
	static const char *const pt[3] = {"BEV", "PHEV", "ICE"};
	char ids[3][40], path[256], buf[64];
	char *tok = v3_login("v3-signals@example.com", V3_SCOPES);
	const cJSON *data, *s, *prev = NULL;
	v3res r;
	cJSON *paged;
	int k, i;

	REQUIRE(tok);
	REQUIRE(v3_fleet("v3-signals@example.com", ids) == 0);
	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[k]);
		v3_get(&r, path, tok, NULL, NULL);
		CHECK(r.status == 200);
		CHECK(v3_hdr(&r, "sc-unit-system", buf, sizeof(buf)) &&
		      strcmp(buf, "metric") == 0);
		data = jget(r.json, "data");
		CHECK(cJSON_GetArraySize(data) == N_SIGNALS);
		CHECK(jnum(jget(r.json, "meta"), "page") == 1);
		CHECK(jnum(jget(r.json, "meta"), "pageSize") == 25);
		CHECK(cJSON_IsNull(jget(jget(r.json, "links"), "next")));
		check_vehicle_resource(
			jget(jget(r.json, "included"), "vehicle"), ids[k],
			pt[k]);
		i = 0;
		cJSON_ArrayForEach(s, data)
		{
			check_signal(s, ids[k]);
			if (prev) /* sorted by code */
				CHECK(strcmp(jstr(prev, "id"), jstr(s, "id")) <
				      0);
			prev = s;
			i++;
		}
		prev = NULL;
		/* what every kind has */
		CHECK_STR(signal_status(data, "odometer-traveleddistance"),
			  "SUCCESS");
		CHECK_STR(signal_status(data, "location-preciselocation"),
			  "SUCCESS");
		CHECK_STR(signal_status(data, "closure-islocked"), "SUCCESS");
		CHECK_STR(signal_status(data, "vehicleidentification-vin"),
			  "SUCCESS");
		CHECK(strlen(jstr(signal_body(find_signal(
					  data, "vehicleidentification-vin")),
				  "value")) == 17);
		v3_shape("location body",
			 signal_body(find_signal(data,
						 "location-preciselocation")),
			 "latitude:n,longitude:n");
		v3_shape("lock body",
			 signal_body(find_signal(data, "closure-islocked")),
			 "value:b");
		/* what depends on the kind */
		CHECK_STR(signal_status(data, "tractionbattery-stateofcharge"),
			  k == ICE ? "ERROR" : "SUCCESS");
		CHECK_STR(signal_status(data, "charge-ischarging"),
			  k == ICE ? "ERROR" : "SUCCESS");
		CHECK_STR(signal_status(data, "charge-activelimit"),
			  k == ICE ? "ERROR" : "SUCCESS");
		CHECK_STR(signal_status(data,
					"internalcombustionengine-fuellevel"),
			  k == BEV ? "ERROR" : "SUCCESS");
		if (k != ICE) {
			const cJSON *b = signal_body(find_signal(
				data, "tractionbattery-stateofcharge"));
			v3_shape("soc body", b, "unit:s,value:n");
			CHECK_STR(jstr(b, "unit"), "percent");
			CHECK(jnum(b, "value") > 0 && jnum(b, "value") <= 100);
			v3_shape("charging body",
				 signal_body(find_signal(data,
							 "charge-ischarging")),
				 "value:b");
		} else {
			const cJSON *e = jget(
				jget(jget(find_signal(
						  data,
						  "tractionbattery-stateofcharge"),
					  "attributes"),
				     "status"),
				"error");
			CHECK_STR(jstr(e, "type"), "COMPATIBILITY");
			CHECK_STR(jstr(e, "code"), "VEHICLE_NOT_CAPABLE");
		}
		v3_free(&r);
	}

	/* pages of 4: 4 + 4 + 3, the same codes in the same order */
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[PHEV]);
	v3_get(&r, path, tok, NULL, NULL);
	paged = walk_pages(ids[PHEV], tok, 4);
	CHECK(cJSON_GetArraySize(paged) == N_SIGNALS);
	for (i = 0; i < N_SIGNALS; i++)
		CHECK_STR(jstr(cJSON_GetArrayItem(paged, i), "id"),
			  jstr(cJSON_GetArrayItem(jget(r.json, "data"), i),
			       "id"));
	cJSON_Delete(paged);
	v3_free(&r);
	paged = walk_pages(ids[BEV], tok, 1);
	CHECK(cJSON_GetArraySize(paged) == N_SIGNALS);
	cJSON_Delete(paged);
	paged = walk_pages(ids[ICE], tok, 100);
	CHECK(cJSON_GetArraySize(paged) == N_SIGNALS);
	cJSON_Delete(paged);

	/* past the end: an empty page; bad paging: 400 */
	snprintf(path, sizeof(path),
		 "/v3/vehicles/%s/signals/?page=9&pageSize=5", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 200);
	CHECK(cJSON_GetArraySize(jget(r.json, "data")) == 0);
	CHECK(cJSON_IsNull(jget(jget(r.json, "links"), "next")));
	CHECK_CONTAINS(jstr(jget(r.json, "links"), "previous"), "page=3&");
	v3_free(&r);
	{
		static const char *const bad[] = {"page=0", "page=x",
						  "pageSize=0", "pageSize=101",
						  "pageSize=2.5"};
		size_t b;
		for (b = 0; b < sizeof(bad) / sizeof(*bad); b++) {
			snprintf(path, sizeof(path),
				 "/v3/vehicles/%s/signals?%s", ids[BEV],
				 bad[b]);
			v3_get(&r, path, tok, NULL, NULL);
			check_v3_error(&r, 400, "VALIDATION", "PARAMETER",
				       "Bad Request");
			v3_free(&r);
		}
	}

	/* a narrow Connect token: signals outside its permissions are
	 * ERROR / PERMISSION */
	free(tok);
	tok = v3_login("v3-signals@example.com", "read_odometer");
	REQUIRE(tok);
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[PHEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 200);
	CHECK_STR(signal_status(jget(r.json, "data"),
				"odometer-traveleddistance"),
		  "SUCCESS");
	CHECK_STR(signal_status(jget(r.json, "data"), "closure-islocked"),
		  "ERROR");
	CHECK_STR(jstr(jget(jget(jget(find_signal(jget(r.json, "data"),
						  "closure-islocked"),
				      "attributes"),
				 "status"),
			    "error"),
		       "type"),
		  "PERMISSION");
	v3_free(&r);
	free(tok);
}

TEST(emulator_v3_single_signal_units_and_clock)
{
	char ids[3][40], path[256], buf[64];
	char *tok = v3_login("v3-single@example.com", V3_SCOPES);
	const cJSON *listed;
	v3res r, l;
	double km, mi, km2;
	char *a, *b;

	REQUIRE(tok);
	REQUIRE(v3_fleet("v3-single@example.com", ids) == 0);
	/* the clock stands still for the comparisons */
	free(t_control("/_emulator/clock", "{\"freeze\": true}"));

	/* {"data": signal}, the same object the list holds */
	snprintf(path, sizeof(path),
		 "/v3/vehicles/%s/signals/tractionbattery-stateofcharge",
		 ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 200);
	v3_shape("signal document", r.json, "data:o");
	CHECK(check_signal(jget(r.json, "data"), ids[BEV]));
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[BEV]);
	v3_get(&l, path, tok, NULL, NULL);
	listed = find_signal(jget(l.json, "data"),
			     "tractionbattery-stateofcharge");
	a = cJSON_PrintUnformatted(jget(r.json, "data"));
	b = cJSON_PrintUnformatted(listed);
	CHECK_STR(a, b);
	free(a);
	free(b);
	v3_free(&l);
	v3_free(&r);

	/* a signal the kind lacks: 200 with status ERROR */
	snprintf(path, sizeof(path),
		 "/v3/vehicles/%s/signals/internalcombustionengine-fuellevel/",
		 ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 200);
	CHECK(!check_signal(jget(r.json, "data"), ids[BEV]));
	v3_free(&r);
	/* an unknown code: 404 */
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals/charge-bogus",
		 ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, "Not Found");
	v3_free(&r);

	/* units: kilometers (default, metric) or miles */
	snprintf(path, sizeof(path),
		 "/v3/vehicles/%s/signals/odometer-traveleddistance", ids[ICE]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK_STR(jstr(signal_body(jget(r.json, "data")), "unit"),
		  "kilometers");
	km = jnum(signal_body(jget(r.json, "data")), "value");
	v3_free(&r);
	v3_get(&r, path, tok, NULL, "metric");
	CHECK(jnum(signal_body(jget(r.json, "data")), "value") == km);
	v3_free(&r);
	v3_get(&r, path, tok, NULL, "IMPERIAL");
	CHECK(r.status == 200);
	CHECK(v3_hdr(&r, "sc-unit-system", buf, sizeof(buf)) &&
	      strcmp(buf, "imperial") == 0);
	CHECK_STR(jstr(signal_body(jget(r.json, "data")), "unit"), "miles");
	mi = jnum(signal_body(jget(r.json, "data")), "value");
	CHECK(km > 1000 && fabs(mi - km / 1.609344) < 0.11);
	v3_free(&r);
	v3_get(&r, path, tok, NULL, "furlongs");
	check_v3_error(&r, 400, "VALIDATION", NULL, "Bad Request");
	v3_free(&r);

	/* the clock moves the car: 60 km/h for 60 s is 1 km */
	set_vehicle(ids[ICE], "{\"driving\": true, \"speed_kmh\": 60}");
	t_advance(60);
	set_vehicle(ids[ICE], "{\"driving\": false}");
	v3_get(&r, path, tok, NULL, NULL);
	km2 = jnum(signal_body(jget(r.json, "data")), "value");
	CHECK(fabs(km2 - km - 1.0) < 0.11);
	v3_free(&r);
	/* commands show in the signals */
	set_vehicle(ids[BEV], "{\"locked\": false}");
	snprintf(path, sizeof(path),
		 "/v3/vehicles/%s/signals/closure-islocked", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(cJSON_IsFalse(jget(signal_body(jget(r.json, "data")), "value")));
	v3_free(&r);
	set_vehicle(ids[BEV], "{\"plugged_in\": true, \"charging\": true, "
			      "\"percent_remaining\": 0.5, "
			      "\"charge_limit\": 0.9}");
	snprintf(path, sizeof(path),
		 "/v3/vehicles/%s/signals/charge-ischarging", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(cJSON_IsTrue(jget(signal_body(jget(r.json, "data")), "value")));
	v3_free(&r);
	snprintf(path, sizeof(path),
		 "/v3/vehicles/%s/signals/charge-activelimit", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(jnum(signal_body(jget(r.json, "data")), "value") == 90);
	CHECK_STR(jstr(signal_body(jget(r.json, "data")), "unit"), "percent");
	v3_free(&r);
	set_vehicle(ids[BEV], "{\"plugged_in\": false}");

	/* an asleep car refuses its signals (409), not its attributes */
	set_vehicle(ids[PHEV], "{\"asleep\": true}");
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[PHEV]);
	v3_get(&r, path, tok, NULL, NULL);
	check_v3_error(&r, 409, "VEHICLE_STATE", "ASLEEP", "Conflict");
	CHECK_STR(jstr(jget(cJSON_GetArrayItem(jget(r.json, "errors"), 0),
			    "resolution"),
		       "type"),
		  "RETRY_LATER");
	v3_free(&r);
	set_vehicle(ids[PHEV], "{\"asleep\": false}");
	free(t_control("/_emulator/clock", "{\"freeze\": false}"));
	free(tok);
}

TEST(emulator_v3_app_token)
{
	char ids[3][40], other[3][40], path[256];
	char *tok = v3_login("v3-app@example.com", "read_odometer");
	char *stranger = v3_login("v3-app-other@example.com", "read_odometer");
	char *app = app_token(), *uid = NULL, *other_uid = NULL;
	v3res r;
	const cJSON *s;

	REQUIRE(tok && stranger && app);
	REQUIRE(v3_fleet("v3-app@example.com", ids) == 0);
	REQUIRE(v3_fleet("v3-app-other@example.com", other) == 0);
	uid = user_id(tok);
	other_uid = user_id(stranger);
	REQUIRE(uid && other_uid);

	/* with sc-user-id: the vehicle and every signal it has (an
	 * application token is not limited by Connect permissions) */
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[PHEV]);
	v3_get(&r, path, app, uid, NULL);
	CHECK(r.status == 200);
	check_vehicle_resource(jget(r.json, "data"), ids[PHEV], "PHEV");
	v3_free(&r);
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[PHEV]);
	v3_get(&r, path, app, uid, "imperial");
	CHECK(r.status == 200);
	CHECK(cJSON_GetArraySize(jget(r.json, "data")) == N_SIGNALS);
	cJSON_ArrayForEach(s, jget(r.json, "data"))
		CHECK(check_signal(s, ids[PHEV]));
	CHECK_STR(jstr(signal_body(find_signal(jget(r.json, "data"),
					       "odometer-traveleddistance")),
		       "unit"),
		  "miles");
	v3_free(&r);
	snprintf(path, sizeof(path),
		 "/v3/vehicles/%s/signals/closure-islocked", ids[BEV]);
	v3_get(&r, path, app, uid, NULL);
	CHECK(r.status == 200);
	CHECK(check_signal(jget(r.json, "data"), ids[BEV]));
	v3_free(&r);

	/* no sc-user-id with an application token: 400 */
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[PHEV]);
	v3_get(&r, path, app, NULL, NULL);
	check_v3_error(&r, 400, "VALIDATION", NULL, "Bad Request");
	CHECK_CONTAINS(jstr(cJSON_GetArrayItem(jget(r.json, "errors"), 0),
			    "detail"),
		       "sc-user-id");
	v3_free(&r);
	v3_get(&r, path, app, "", NULL);
	check_v3_error(&r, 400, "VALIDATION", NULL, NULL);
	v3_free(&r);
	/* an unknown user, someone else's vehicle: 404 */
	v3_get(&r, path, app, "00000000-0000-4000-8000-000000000000", NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, "Not Found");
	v3_free(&r);
	v3_get(&r, path, app, other_uid, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, NULL);
	v3_free(&r);
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", other[BEV]);
	v3_get(&r, path, app, uid, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, NULL);
	v3_free(&r);
	v3_get(&r, path, app, other_uid, NULL); /* the right owner */
	CHECK(r.status == 200);
	v3_free(&r);
	/* a Connect token does not need sc-user-id, but only covers its
	 * own vehicles */
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[ICE]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 200);
	v3_free(&r);
	snprintf(path, sizeof(path), "/v3/vehicles/%s", other[ICE]);
	v3_get(&r, path, tok, NULL, NULL);
	check_v3_error(&r, 403, "PERMISSION", NULL, "Forbidden");
	v3_free(&r);
	v3_get(&r, "/v3/vehicles/bad_id", app, uid, NULL);
	check_v3_error(&r, 400, "VALIDATION", NULL, NULL);
	v3_free(&r);
	/* bad or missing token: 401 */
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[ICE]);
	v3_get(&r, path, "not-a-token", uid, NULL);
	check_v3_error(&r, 401, "AUTHENTICATION", NULL, "Unauthorized");
	v3_free(&r);
	v3_get(&r, path, NULL, uid, NULL);
	check_v3_error(&r, 401, "AUTHENTICATION", NULL, NULL);
	v3_free(&r);
	/* a vehicle the owner disconnected is gone for the application */
	snprintf(path, sizeof(path), "/v2.0/vehicles/%s/application", ids[ICE]);
	v3_req(&r, "DELETE", path, tok, NULL, NULL, NULL);
	CHECK(r.status == 200);
	v3_free(&r);
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[ICE]);
	v3_get(&r, path, app, uid, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, NULL);
	v3_free(&r);
	/* application tokens live 3600 s of emulator clock */
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[BEV]);
	t_advance(3601);
	v3_get(&r, path, app, uid, NULL);
	check_v3_error(&r, 401, "AUTHENTICATION", NULL, NULL);
	v3_free(&r);
	free(app);
	free(uid);
	free(other_uid);
	free(stranger);
	free(tok);
}

TEST(emulator_v3_errors_faults_and_log)
{
	char ids[3][40], path[256], spec[512], *raw;
	char *tok = v3_login("v3-errors@example.com", V3_SCOPES);
	const cJSON *e, *q;
	cJSON *log;
	v3res r;
	int seen = 0;

	REQUIRE(tok);
	REQUIRE(v3_fleet("v3-errors@example.com", ids) == 0);
	/* unknown /v3 paths and methods: 404 PATH in the v3 shape */
	v3_get(&r, "/v3", tok, NULL, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH", "Not Found");
	v3_free(&r);
	snprintf(path, sizeof(path), "/v3/vehicles/%s/odometer", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH", NULL);
	v3_free(&r);
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals/a/b", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH", NULL);
	v3_free(&r);
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[BEV]);
	v3_req(&r, "POST", path, tok, NULL, NULL, "{}");
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH", NULL);
	v3_free(&r);
	/* v2 paths keep the v2 body */
	snprintf(path, sizeof(path), "/v2.0/vehicles/%s/odometr", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 404 && jstr(r.json, "docURL") &&
	      !jget(r.json, "errors"));
	v3_free(&r);

	/* a status fault on a /v3 path answers in the v3 shape */
	snprintf(spec, sizeof(spec),
		 "{\"match\":{\"method\":\"GET\",\"path\":"
		 "\"/v3/vehicles/%s/**\"},\"count\":1,\"fault\":{\"type\":"
		 "\"status\",\"error_type\":\"UPSTREAM\",\"error_code\":"
		 "\"INVALID_DATA\",\"retry_after\":3}}",
		 ids[BEV]);
	free(t_control("/_emulator/faults", spec));
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	check_v3_error(&r, 502, "UPSTREAM", "INVALID_DATA", "Bad Gateway");
	e = cJSON_GetArrayItem(jget(r.json, "errors"), 0);
	CHECK_STR(jstr(jget(e, "resolution"), "type"), "RETRY_LATER");
	CHECK_STR(jstr(jget(e, "links"), "about"),
		  "https://smartcar.com/docs/errors/api-errors/"
		  "upstream-errors#invalid-data");
	{
		char ra[16];
		CHECK(v3_hdr(&r, "retry-after", ra, sizeof(ra)) &&
		      strcmp(ra, "3") == 0);
	}
	v3_free(&r);
	v3_get(&r, path, tok, NULL, NULL); /* count 1: gone */
	CHECK(r.status == 200);
	v3_free(&r);
	/* a rate-limit fault too */
	snprintf(spec, sizeof(spec),
		 "{\"match\":{\"path\":\"/v3/vehicles/%s\"},\"fault\":"
		 "{\"type\":\"rate_limit\",\"retry_after\":2}}",
		 ids[PHEV]);
	free(t_control("/_emulator/faults", spec));
	snprintf(path, sizeof(path), "/v3/vehicles/%s/", ids[PHEV]);
	v3_get(&r, path, tok, NULL, NULL);
	check_v3_error(&r, 429, "RATE_LIMIT", "VEHICLE", "Too Many Requests");
	v3_free(&r);

	/* the request log has the /v3 requests with their statuses */
	raw = t_control("/_emulator/requests", NULL);
	log = raw ? cJSON_Parse(raw) : NULL;
	free(raw);
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[BEV]);
	cJSON_ArrayForEach(q, jget(log, "requests"))
	{
		if (jstr(q, "path") && strcmp(jstr(q, "path"), path) == 0 &&
		    jnum(q, "status") == 502) {
			seen++;
			CHECK_STR(jstr(q, "method"), "GET");
		}
	}
	CHECK(seen == 1);
	cJSON_Delete(log);
	free(tok);
}
