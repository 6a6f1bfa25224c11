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
#include <cjson/cJSON.h>

#include "test.h"

#define V3_SCOPES                                                        \
	"read_vehicle_info read_vin read_odometer read_location read_fuel " \
	"read_battery read_charge read_security"
#define N_SIGNALS 12

enum { BEV, PHEV, ICE };
/* the powertrainType of each kind */
static const char *const POWERTRAIN[3] = {"BEV", "PHEV", "ICE"};

/* ----------------------------------------------------------------- HTTP */

/* method on the shared emulator; token (Bearer), sc-user-id and
 * sc-unit-system when not NULL; form: a POST body. */
static void v3_req(t_http_res *out, const char *method, const char *path,
		   const char *token, const char *user, const char *unit,
		   const char *form)
{
	char url[1024];
	t_api_lines h;

	snprintf(url, sizeof(url), "%s%s", t_emulator(), path);
	t_http(out, method, url, t_api_headers(&h, token, user, unit, NULL),
	       form, NULL);
}

static void v3_get(t_http_res *out, const char *path, const char *token,
		   const char *user, const char *unit)
{
	v3_req(out, "GET", path, token, user, unit, NULL);
}

/* GET /v3/vehicles/{vid}{rest} (rest "" or "/signals...") as v3_get:
 * the answer's status. */
static long v3_vehicle(t_http_res *out, const char *vid, const char *rest,
		       const char *token, const char *user, const char *unit)
{
	char path[512];

	snprintf(path, sizeof(path), "/v3/vehicles/%s%s", vid, rest);
	v3_get(out, path, token, user, unit);
	return out->status;
}

/* ---------------------------------------------------------------- shapes */

/* A complete v3 error: HTTP status, JSON content type, SC-Request-Id and
 * {"errors":[{status (string), type, code, title, detail, links.about,
 * resolution, suggestedUserMessage}]}. */
static void check_v3_error(const t_http_res *r, long status, const char *type,
			   const char *code, const char *title)
{
	char buf[128], want[128], slug[64];
	const cJSON *errs = t_json_get(r->json, "errors"), *e;
	size_t i;

	t_check_json_status(r, status);
	CHECK(t_http_header(r, "sc-request-id", buf, sizeof(buf)) &&
	      strlen(buf) == 36);
	t_shape("v3 error body", r->json, "errors:a");
	REQUIRE(cJSON_GetArraySize(errs) == 1);
	e = cJSON_GetArrayItem(errs, 0);
	t_shape("v3 error", e,
		"status:s,type:s,code:sz,title:s,detail:s,links:o,"
		"resolution:o,suggestedUserMessage:s");
	snprintf(want, sizeof(want), "%ld", status);
	CHECK_STR(t_json_str(e, "status"), want);
	CHECK_STR(t_json_str(e, "type"), type);
	if (code)
		CHECK_STR(t_json_str(e, "code"), code);
	else
		CHECK(cJSON_IsNull(t_json_get(e, "code")));
	if (title)
		CHECK_STR(t_json_str(e, "title"), title);
	CHECK(t_json_get(t_json_get(e, "resolution"), "type") != NULL);
	t_shape("v3 error links", t_json_get(e, "links"), "about:s");
	CHECK_CONTAINS(t_json_str(t_json_get(e, "links"), "about"),
		       "https://smartcar.com/docs/errors/api-errors/");
	snprintf(slug, sizeof(slug), "%s", code ? code : "null");
	for (i = 0; slug[i]; i++)
		slug[i] = slug[i] == '_' ? '-'
					 : (char)tolower((unsigned char)slug[i]);
	snprintf(want, sizeof(want), "-errors#%s", slug);
	CHECK_CONTAINS(t_json_str(t_json_get(e, "links"), "about"), want);
}

static void check_vehicle_resource(const cJSON *v, const char *id,
				   const char *powertrain)
{
	char self[128];

	t_shape("vehicle", v, "id:s,type:s,attributes:o,links:o");
	CHECK_STR(t_json_str(v, "id"), id);
	CHECK_STR(t_json_str(v, "type"), "vehicle");
	t_shape("vehicle attributes", t_json_get(v, "attributes"),
		"make:s,model:s,year:n,powertrainType:s,mode:s");
	CHECK_STR(t_json_str(t_json_get(v, "attributes"), "powertrainType"),
		  powertrain);
	CHECK_STR(t_json_str(t_json_get(v, "attributes"), "mode"), "TEST");
	snprintf(self, sizeof(self), "/vehicles/%s", id);
	t_shape("vehicle links", t_json_get(v, "links"), "self:s");
	CHECK_STR(t_json_str(t_json_get(v, "links"), "self"), self);
}

/* One signal: shape, links; status SUCCESS (with body and both meta
 * times) or ERROR (error, no body). Returns 1 for SUCCESS. */
static int check_signal(const cJSON *s, const char *vid)
{
	const cJSON *a = t_json_get(s, "attributes"),
		    *st = t_json_get(a, "status");
	const char *code = t_json_str(s, "id");
	char want[256];
	int ok;

	t_shape("signal", s, "id:s,type:s,attributes:o,meta:o,links:o");
	CHECK_STR(t_json_str(s, "type"), "signal");
	CHECK_STR(t_json_str(a, "code"), code);
	ok = t_json_str(st, "value") &&
	     strcmp(t_json_str(st, "value"), "SUCCESS") == 0;
	if (ok) {
		t_shape(code, a, "code:s,name:s,group:s,status:o,body:o");
		t_shape("status", st, "value:s");
		t_shape("signal meta", t_json_get(s, "meta"),
			"retrievedAt:n,oemUpdatedAt:n");
		CHECK(t_json_num(t_json_get(s, "meta"), "retrievedAt") >
		      1.6e12);
	} else {
		t_shape(code, a, "code:s,name:s,group:s,status:o");
		CHECK_STR(t_json_str(st, "value"), "ERROR");
		t_shape("status", st, "value:s,error:o");
		t_shape("status error", t_json_get(st, "error"),
			"type:s,code:sz");
	}
	if (code) { /* the code is {group}-{name}, lower-cased */
		char gn[128];
		size_t i;
		snprintf(gn, sizeof(gn), "%s-%s", t_json_str(a, "group"),
			 t_json_str(a, "name"));
		for (i = 0; gn[i]; i++)
			gn[i] = (char)tolower((unsigned char)gn[i]);
		CHECK_STR(gn, code);
	}
	snprintf(want, sizeof(want), "/vehicles/%s/signals/%s", vid,
		 code ? code : "");
	CHECK_STR(t_json_str(t_json_get(s, "links"), "self"), want);
	return ok;
}

static const cJSON *find_signal(const cJSON *list, const char *code)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, list)
	{
		if (t_json_str(s, "id") &&
		    strcmp(t_json_str(s, "id"), code) == 0)
			return s;
	}
	return NULL;
}

static const char *signal_status(const cJSON *list, const char *code)
{
	return t_json_str(
		t_json_get(t_json_get(find_signal(list, code), "attributes"),
			   "status"),
		"value");
}

static const cJSON *signal_body(const cJSON *s)
{
	return t_json_get(t_json_get(s, "attributes"), "body");
}

/* ------------------------------------------------------------- sessions */

/* An application token from POST /oauth2/token (client credentials in
 * the form), or NULL. */
static char *app_token(void)
{
	t_http_res r;
	char *tok = NULL;

	v3_req(&r, "POST", "/oauth2/token", NULL, NULL, NULL,
	       "grant_type=client_credentials&client_id=" T_CLIENT_ID
	       "&client_secret=" T_CLIENT_SECRET);
	CHECK(r.status == 200);
	CHECK_STR(t_json_str(r.json, "token_type"), "Bearer");
	CHECK(t_json_num(r.json, "expires_in") == 3600);
	CHECK(!t_json_get(r.json, "refresh_token"));
	if (t_json_str(r.json, "access_token"))
		tok = strdup(t_json_str(r.json, "access_token"));
	t_http_free(&r);
	return tok;
}

static char *user_id(const char *token)
{
	t_http_res r;
	char *id = NULL;

	v3_get(&r, "/v2.0/user", token, NULL, NULL);
	if (t_json_str(r.json, "id"))
		id = strdup(t_json_str(r.json, "id"));
	t_http_free(&r);
	return id;
}

/* An owner of the three kinds (their ids in ids, by kind) connected as
 * email with V3_SCOPES: the access token (caller frees), or NULL. */
static char *v3_login(const char *email, char ids[3][40])
{
	return t_login_fleet(t_emulator(), email, V3_SCOPES, ids);
}

/* Adds the fault spec_fmt formats with vid (a JSON body for
 * /_emulator/faults). */
static void add_fault(const char *spec_fmt, const char *vid)
{
	char spec[512];

	snprintf(spec, sizeof(spec), spec_fmt, vid);
	free(t_control("/_emulator/faults", spec));
}

/* ------------------------------------------------------------------ tests */

TEST(emulator_v3_vehicle_resource)
{
	char ids[3][40], buf[64];
	char *tok = v3_login("v3-vehicle@example.com", ids);
	t_http_res r;
	int k;

	REQUIRE(tok);
	for (k = 0; k < 3; k++) {
		CHECK(v3_vehicle(&r, ids[k], "", tok, NULL, NULL) == 200);
		CHECK(t_http_header(&r, "content-type", buf, sizeof(buf)) &&
		      strstr(buf, "application/json"));
		CHECK(t_http_header(&r, "sc-request-id", buf, sizeof(buf)) !=
		      NULL);
		/* the resource at the top level (issue 10, item 8) */
		CHECK(t_json_get(r.json, "data") == NULL);
		check_vehicle_resource(r.json, ids[k],
				       POWERTRAIN[k]);
		t_http_free(&r);
	}
	/* the trailing slash variant (the Node SDK sends it) */
	CHECK(v3_vehicle(&r, ids[BEV], "/", tok, NULL, NULL) == 200);
	CHECK_STR(
		t_json_str(t_json_get(r.json, "attributes"),
			   "make"),
		"TESLA");
	CHECK(t_json_num(t_json_get(r.json, "attributes"),
			 "year") == 2020);
	t_http_free(&r);
	/* an asleep car still answers its attributes */
	t_set_vehicle(t_emulator(), ids[ICE], "{\"asleep\": true}");
	CHECK(v3_vehicle(&r, ids[ICE], "", tok, NULL, NULL) == 200);
	t_http_free(&r);
	t_set_vehicle(t_emulator(), ids[ICE], "{\"asleep\": false}");
	free(tok);
}

/* Fetches every page of size n and checks the paging document; returns
 * the concatenated data (caller deletes). */
static cJSON *walk_pages(const char *vid, const char *tok, long n)
{
	cJSON *all = cJSON_CreateArray();
	long last = (N_SIGNALS + n - 1) / n, p;
	char path[256], want[256];
	t_http_res r;

	for (p = 1; p <= last; p++) {
		const cJSON *l, *s, *m;
		snprintf(path, sizeof(path),
			 "/v3/vehicles/%s/signals?page=%ld&pageSize=%ld", vid, p,
			 n);
		v3_get(&r, path, tok, NULL, NULL);
		CHECK(r.status == 200);
		t_shape("signals document", r.json,
			"data:a,meta:o,links:o,included:o");
		m = t_json_get(r.json, "meta");
		t_shape("signals meta", m, "page:n,pageSize:n,totalCount:n");
		CHECK(t_json_num(m, "page") == p &&
		      t_json_num(m, "pageSize") == n &&
		      t_json_num(m, "totalCount") == N_SIGNALS);
		CHECK(cJSON_GetArraySize(t_json_get(r.json, "data")) ==
		      (p < last ? n : N_SIGNALS - (last - 1) * n));
		l = t_json_get(r.json, "links");
		t_shape("signals links", l,
			"self:s,first:s,previous:sz,next:sz,last:s");
		snprintf(want, sizeof(want),
			 "/vehicles/%s/signals?page=%ld&pageSize=%ld", vid, p, n);
		CHECK_STR(t_json_str(l, "self"), want);
		snprintf(want, sizeof(want),
			 "/vehicles/%s/signals?page=1&pageSize=%ld", vid, n);
		CHECK_STR(t_json_str(l, "first"), want);
		snprintf(want, sizeof(want),
			 "/vehicles/%s/signals?page=%ld&pageSize=%ld", vid,
			 last, n);
		CHECK_STR(t_json_str(l, "last"), want);
		if (p == 1) {
			CHECK(cJSON_IsNull(t_json_get(l, "previous")));
		} else {
			snprintf(want, sizeof(want),
				 "/vehicles/%s/signals?page=%ld&pageSize=%ld",
				 vid, p - 1, n);
			CHECK_STR(t_json_str(l, "previous"), want);
		}
		if (p == last) {
			CHECK(cJSON_IsNull(t_json_get(l, "next")));
		} else {
			snprintf(want, sizeof(want),
				 "/vehicles/%s/signals?page=%ld&pageSize=%ld",
				 vid, p + 1, n);
			CHECK_STR(t_json_str(l, "next"), want);
		}
		t_shape("included", t_json_get(r.json, "included"),
			"vehicle:o");
		cJSON_ArrayForEach(s, t_json_get(r.json, "data"))
		{
			check_signal(s, vid);
			cJSON_AddItemToArray(all, cJSON_Duplicate(s, 1));
		}
		t_http_free(&r);
	}
	return all;
}

TEST(emulator_v3_signals_list_and_paging)
{
	char ids[3][40], buf[64];
	char *tok = v3_login("v3-signals@example.com", ids);
	const cJSON *data, *s, *prev = NULL;
	t_http_res r;
	cJSON *paged;
	int k, i;

	REQUIRE(tok);
	for (k = 0; k < 3; k++) {
		CHECK(v3_vehicle(&r, ids[k], "/signals", tok, NULL, NULL) == 200);
		CHECK(t_http_header(&r, "sc-unit-system", buf, sizeof(buf)) &&
		      strcmp(buf, "metric") == 0);
		data = t_json_get(r.json, "data");
		CHECK(cJSON_GetArraySize(data) == N_SIGNALS);
		CHECK(t_json_num(t_json_get(r.json, "meta"), "page") == 1);
		CHECK(t_json_num(t_json_get(r.json, "meta"), "pageSize") == 25);
		CHECK(cJSON_IsNull(
			t_json_get(t_json_get(r.json, "links"), "next")));
		check_vehicle_resource(
			t_json_get(t_json_get(r.json, "included"), "vehicle"),
			ids[k], POWERTRAIN[k]);
		i = 0;
		cJSON_ArrayForEach(s, data)
		{
			check_signal(s, ids[k]);
			if (prev) /* sorted by code */
				CHECK(strcmp(t_json_str(prev, "id"),
					     t_json_str(s, "id")) < 0);
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
		CHECK(strlen(t_json_str(
			      signal_body(find_signal(
				      data, "vehicleidentification-vin")),
			      "value")) == 17);
		t_shape("location body",
			signal_body(
				find_signal(data, "location-preciselocation")),
			"latitude:n,longitude:n");
		t_shape("lock body",
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
			t_shape("soc body", b, "unit:s,value:n");
			CHECK_STR(t_json_str(b, "unit"), "percent");
			CHECK(t_json_num(b, "value") > 0 &&
			      t_json_num(b, "value") <= 100);
			t_shape("charging body",
				signal_body(
					find_signal(data, "charge-ischarging")),
				"value:b");
		} else {
			const cJSON *e = t_json_get(
				t_json_get(
					t_json_get(
						find_signal(
							data,
							"tractionbattery-stateofcharge"),
						"attributes"),
					"status"),
				"error");
			CHECK_STR(t_json_str(e, "type"), "COMPATIBILITY");
			CHECK_STR(t_json_str(e, "code"), "VEHICLE_NOT_CAPABLE");
		}
		t_http_free(&r);
	}

	/* pages of 4: 4 + 4 + 3, the same codes in the same order */
	v3_vehicle(&r, ids[PHEV], "/signals", tok, NULL, NULL);
	paged = walk_pages(ids[PHEV], tok, 4);
	CHECK(cJSON_GetArraySize(paged) == N_SIGNALS);
	for (i = 0; i < N_SIGNALS; i++)
		CHECK_STR(t_json_str(cJSON_GetArrayItem(paged, i), "id"),
			  t_json_str(cJSON_GetArrayItem(
					     t_json_get(r.json, "data"), i),
				     "id"));
	cJSON_Delete(paged);
	t_http_free(&r);
	paged = walk_pages(ids[BEV], tok, 1);
	CHECK(cJSON_GetArraySize(paged) == N_SIGNALS);
	cJSON_Delete(paged);
	paged = walk_pages(ids[ICE], tok, 100);
	CHECK(cJSON_GetArraySize(paged) == N_SIGNALS);
	cJSON_Delete(paged);

	/* past the end: an empty page; bad paging: 400 */
	CHECK(v3_vehicle(&r, ids[BEV], "/signals/?page=9&pageSize=5", tok,
			 NULL, NULL) == 200);
	CHECK(cJSON_GetArraySize(t_json_get(r.json, "data")) == 0);
	CHECK(cJSON_IsNull(t_json_get(t_json_get(r.json, "links"), "next")));
	CHECK_CONTAINS(t_json_str(t_json_get(r.json, "links"), "previous"),
		       "page=3&");
	t_http_free(&r);
	{
		static const char *const bad[] = {
			"/signals?page=0", "/signals?page=x",
			"/signals?pageSize=0", "/signals?pageSize=101",
			"/signals?pageSize=2.5"};
		size_t b;
		for (b = 0; b < sizeof(bad) / sizeof(*bad); b++) {
			v3_vehicle(&r, ids[BEV], bad[b], tok, NULL, NULL);
			check_v3_error(&r, 400, "VALIDATION", "PARAMETER",
				       "Bad Request");
			t_http_free(&r);
		}
	}

	/* a narrow Connect token: signals outside its permissions are
	 * ERROR / PERMISSION */
	free(tok);
	tok = t_login(t_emulator(), "v3-signals@example.com", "read_odometer");
	REQUIRE(tok);
	CHECK(v3_vehicle(&r, ids[PHEV], "/signals", tok, NULL, NULL) == 200);
	CHECK_STR(signal_status(t_json_get(r.json, "data"),
				"odometer-traveleddistance"),
		  "SUCCESS");
	CHECK_STR(signal_status(t_json_get(r.json, "data"), "closure-islocked"),
		  "ERROR");
	CHECK_STR(
		t_json_str(
			t_json_get(
				t_json_get(
					t_json_get(
						find_signal(t_json_get(r.json,
								       "data"),
							    "closure-islocked"),
						"attributes"),
					"status"),
				"error"),
			"type"),
		"PERMISSION");
	t_http_free(&r);
	free(tok);
}

TEST(emulator_v3_single_signal_units_and_clock)
{
	static const char odo[] = "/signals/odometer-traveleddistance";
	char ids[3][40], buf[64];
	char *tok = v3_login("v3-single@example.com", ids);
	const cJSON *listed;
	t_http_res r, l;
	double km, mi, km2;
	char *a, *b;

	REQUIRE(tok);
	/* the clock stands still for the comparisons */
	free(t_control("/_emulator/clock", "{\"freeze\": true}"));

	/* the signal at the top level, the same object the list holds */
	CHECK(v3_vehicle(&r, ids[BEV], "/signals/tractionbattery-stateofcharge",
			 tok, NULL, NULL) == 200);
	CHECK(t_json_get(r.json, "data") == NULL);
	CHECK(check_signal(r.json, ids[BEV]));
	v3_vehicle(&l, ids[BEV], "/signals", tok, NULL, NULL);
	listed = find_signal(t_json_get(l.json, "data"),
			     "tractionbattery-stateofcharge");
	a = cJSON_PrintUnformatted(r.json);
	b = cJSON_PrintUnformatted(listed);
	CHECK_STR(a, b);
	free(a);
	free(b);
	t_http_free(&l);
	t_http_free(&r);

	/* a signal the kind lacks: 200 with status ERROR */
	CHECK(v3_vehicle(&r, ids[BEV],
			 "/signals/internalcombustionengine-fuellevel/", tok,
			 NULL, NULL) == 200);
	CHECK(!check_signal(r.json, ids[BEV]));
	t_http_free(&r);
	/* an unknown code: 404 */
	v3_vehicle(&r, ids[BEV], "/signals/charge-bogus", tok, NULL, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, "Not Found");
	t_http_free(&r);

	/* units: kilometers (default, metric) or miles */
	v3_vehicle(&r, ids[ICE], odo, tok, NULL, NULL);
	CHECK_STR(t_json_str(signal_body(r.json), "unit"),
		  "kilometers");
	km = t_json_num(signal_body(r.json), "value");
	t_http_free(&r);
	v3_vehicle(&r, ids[ICE], odo, tok, NULL, "metric");
	CHECK(t_json_num(signal_body(r.json), "value") ==
	      km);
	t_http_free(&r);
	CHECK(v3_vehicle(&r, ids[ICE], odo, tok, NULL, "IMPERIAL") == 200);
	CHECK(t_http_header(&r, "sc-unit-system", buf, sizeof(buf)) &&
	      strcmp(buf, "imperial") == 0);
	CHECK_STR(t_json_str(signal_body(r.json), "unit"),
		  "miles");
	mi = t_json_num(signal_body(r.json), "value");
	CHECK(km > 1000 && fabs(mi - km / 1.609344) < 0.11);
	t_http_free(&r);
	v3_vehicle(&r, ids[ICE], odo, tok, NULL, "furlongs");
	check_v3_error(&r, 400, "VALIDATION", NULL, "Bad Request");
	t_http_free(&r);

	/* the clock moves the car: 60 km/h for 60 s is 1 km */
	t_set_vehicle(t_emulator(), ids[ICE],
		      "{\"driving\": true, \"speed_kmh\": 60}");
	t_advance(60);
	t_set_vehicle(t_emulator(), ids[ICE], "{\"driving\": false}");
	v3_vehicle(&r, ids[ICE], odo, tok, NULL, NULL);
	km2 = t_json_num(signal_body(r.json), "value");
	CHECK(fabs(km2 - km - 1.0) < 0.11);
	t_http_free(&r);
	/* commands show in the signals */
	t_set_vehicle(t_emulator(), ids[BEV], "{\"locked\": false}");
	v3_vehicle(&r, ids[BEV], "/signals/closure-islocked", tok, NULL, NULL);
	CHECK(cJSON_IsFalse(
		t_json_get(signal_body(r.json), "value")));
	t_http_free(&r);
	t_set_vehicle(t_emulator(), ids[BEV],
		      "{\"plugged_in\": true, \"charging\": true, "
		      "\"percent_remaining\": 0.5, "
		      "\"charge_limit\": 0.9}");
	v3_vehicle(&r, ids[BEV], "/signals/charge-ischarging", tok, NULL, NULL);
	CHECK(cJSON_IsTrue(
		t_json_get(signal_body(r.json), "value")));
	t_http_free(&r);
	v3_vehicle(&r, ids[BEV], "/signals/charge-activelimit", tok, NULL, NULL);
	CHECK(t_json_num(signal_body(r.json), "value") ==
	      90);
	CHECK_STR(t_json_str(signal_body(r.json), "unit"),
		  "percent");
	t_http_free(&r);
	t_set_vehicle(t_emulator(), ids[BEV], "{\"plugged_in\": false}");

	/* an asleep car refuses its signals (409), not its attributes */
	t_set_vehicle(t_emulator(), ids[PHEV], "{\"asleep\": true}");
	v3_vehicle(&r, ids[PHEV], "/signals", tok, NULL, NULL);
	check_v3_error(&r, 409, "VEHICLE_STATE", "ASLEEP", "Conflict");
	CHECK_STR(
		t_json_str(t_json_get(cJSON_GetArrayItem(
					      t_json_get(r.json, "errors"), 0),
				      "resolution"),
			   "type"),
		"RETRY_LATER");
	t_http_free(&r);
	t_set_vehicle(t_emulator(), ids[PHEV], "{\"asleep\": false}");
	free(t_control("/_emulator/clock", "{\"freeze\": false}"));
	free(tok);
}

TEST(emulator_v3_app_token)
{
	char ids[3][40], other[3][40], path[256];
	char *tok =
		t_login(t_emulator(), "v3-app@example.com", "read_odometer");
	char *stranger = t_login(t_emulator(), "v3-app-other@example.com",
				 "read_odometer");
	char *app = app_token(), *uid = NULL, *other_uid = NULL;
	t_http_res r;
	const cJSON *s;

	REQUIRE(tok && stranger && app);
	REQUIRE(t_fleet(t_emulator(), "v3-app@example.com", ids) == 0);
	REQUIRE(t_fleet(t_emulator(), "v3-app-other@example.com", other) == 0);
	uid = user_id(tok);
	other_uid = user_id(stranger);
	REQUIRE(uid && other_uid);

	/* with sc-user-id: the vehicle and every signal it has (an
	 * application token is not limited by Connect permissions) */
	CHECK(v3_vehicle(&r, ids[PHEV], "", app, uid, NULL) == 200);
	check_vehicle_resource(r.json, ids[PHEV], "PHEV");
	t_http_free(&r);
	CHECK(v3_vehicle(&r, ids[PHEV], "/signals", app, uid, "imperial") == 200);
	CHECK(cJSON_GetArraySize(t_json_get(r.json, "data")) == N_SIGNALS);
	cJSON_ArrayForEach(s, t_json_get(r.json, "data"))
		CHECK(check_signal(s, ids[PHEV]));
	CHECK_STR(t_json_str(
			  signal_body(find_signal(t_json_get(r.json, "data"),
						  "odometer-traveleddistance")),
			  "unit"),
		  "miles");
	t_http_free(&r);
	CHECK(v3_vehicle(&r, ids[BEV], "/signals/closure-islocked", app, uid,
			 NULL) == 200);
	CHECK(check_signal(r.json, ids[BEV]));
	t_http_free(&r);

	/* no sc-user-id with an application token: 400 */
	v3_vehicle(&r, ids[PHEV], "", app, NULL, NULL);
	check_v3_error(&r, 400, "VALIDATION", NULL, "Bad Request");
	CHECK_CONTAINS(
		t_json_str(cJSON_GetArrayItem(t_json_get(r.json, "errors"), 0),
			   "detail"),
		"sc-user-id");
	t_http_free(&r);
	v3_vehicle(&r, ids[PHEV], "", app, "", NULL);
	check_v3_error(&r, 400, "VALIDATION", NULL, NULL);
	t_http_free(&r);
	/* an unknown user, someone else's vehicle: 404 */
	v3_vehicle(&r, ids[PHEV], "", app,
		   "00000000-0000-4000-8000-000000000000", NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, "Not Found");
	t_http_free(&r);
	v3_vehicle(&r, ids[PHEV], "", app, other_uid, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, NULL);
	t_http_free(&r);
	v3_vehicle(&r, other[BEV], "/signals", app, uid, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, NULL);
	t_http_free(&r);
	/* the right owner */
	CHECK(v3_vehicle(&r, other[BEV], "/signals", app, other_uid, NULL) ==
	      200);
	t_http_free(&r);
	/* a Connect token does not need sc-user-id, but only covers its
	 * own vehicles */
	CHECK(v3_vehicle(&r, ids[ICE], "", tok, NULL, NULL) == 200);
	t_http_free(&r);
	v3_vehicle(&r, other[ICE], "", tok, NULL, NULL);
	check_v3_error(&r, 403, "PERMISSION", NULL, "Forbidden");
	t_http_free(&r);
	v3_get(&r, "/v3/vehicles/bad_id", app, uid, NULL);
	check_v3_error(&r, 400, "VALIDATION", NULL, NULL);
	t_http_free(&r);
	/* bad or missing token: 401 */
	v3_vehicle(&r, ids[ICE], "", "not-a-token", uid, NULL);
	check_v3_error(&r, 401, "AUTHENTICATION", NULL, "Unauthorized");
	t_http_free(&r);
	v3_vehicle(&r, ids[ICE], "", NULL, uid, NULL);
	check_v3_error(&r, 401, "AUTHENTICATION", NULL, NULL);
	t_http_free(&r);
	/* a vehicle the owner disconnected is gone for the application */
	snprintf(path, sizeof(path), "/v2.0/vehicles/%s/application", ids[ICE]);
	v3_req(&r, "DELETE", path, tok, NULL, NULL, NULL);
	CHECK(r.status == 200);
	t_http_free(&r);
	v3_vehicle(&r, ids[ICE], "", app, uid, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", NULL, NULL);
	t_http_free(&r);
	/* application tokens live 3600 s of emulator clock */
	t_advance(3590);
	CHECK(v3_vehicle(&r, ids[BEV], "", app, uid, NULL) == 200);
	t_http_free(&r);
	t_advance(11);
	v3_vehicle(&r, ids[BEV], "", app, uid, NULL);
	check_v3_error(&r, 401, "AUTHENTICATION", NULL, NULL);
	t_http_free(&r);
	free(app);
	free(uid);
	free(other_uid);
	free(stranger);
	free(tok);
}

TEST(emulator_v3_errors_faults_and_log)
{
	char ids[3][40], path[256], *raw;
	char *tok = v3_login("v3-errors@example.com", ids);
	const cJSON *e, *q;
	cJSON *log;
	t_http_res r;
	int seen = 0;

	REQUIRE(tok);
	/* unknown /v3 paths and methods: 404 PATH in the v3 shape */
	v3_get(&r, "/v3", tok, NULL, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH", "Not Found");
	t_http_free(&r);
	v3_vehicle(&r, ids[BEV], "/odometer", tok, NULL, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH", NULL);
	t_http_free(&r);
	v3_vehicle(&r, ids[BEV], "/signals/a/b", tok, NULL, NULL);
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH", NULL);
	t_http_free(&r);
	snprintf(path, sizeof(path), "/v3/vehicles/%s", ids[BEV]);
	v3_req(&r, "POST", path, tok, NULL, NULL, "{}");
	check_v3_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH", NULL);
	t_http_free(&r);
	/* v2 paths keep the v2 body */
	snprintf(path, sizeof(path), "/v2.0/vehicles/%s/odometr", ids[BEV]);
	v3_get(&r, path, tok, NULL, NULL);
	CHECK(r.status == 404 && t_json_str(r.json, "docURL") &&
	      !t_json_get(r.json, "errors"));
	t_http_free(&r);

	/* a status fault on a /v3 path answers in the v3 shape */
	add_fault("{\"match\":{\"method\":\"GET\",\"path\":"
		  "\"/v3/vehicles/%s/**\"},\"count\":1,\"fault\":{\"type\":"
		  "\"status\",\"error_type\":\"UPSTREAM\",\"error_code\":"
		  "\"INVALID_DATA\",\"retry_after\":3}}",
		  ids[BEV]);
	v3_vehicle(&r, ids[BEV], "/signals", tok, NULL, NULL);
	check_v3_error(&r, 502, "UPSTREAM", "INVALID_DATA", "Bad Gateway");
	e = cJSON_GetArrayItem(t_json_get(r.json, "errors"), 0);
	CHECK_STR(t_json_str(t_json_get(e, "resolution"), "type"),
		  "RETRY_LATER");
	CHECK_STR(t_json_str(t_json_get(e, "links"), "about"),
		  "https://smartcar.com/docs/errors/api-errors/"
		  "upstream-errors#invalid-data");
	{
		char ra[16];
		CHECK(t_http_header(&r, "retry-after", ra, sizeof(ra)) &&
		      strcmp(ra, "3") == 0);
	}
	t_http_free(&r);
	/* count 1: gone */
	CHECK(v3_vehicle(&r, ids[BEV], "/signals", tok, NULL, NULL) == 200);
	t_http_free(&r);
	/* a rate-limit fault too */
	add_fault("{\"match\":{\"path\":\"/v3/vehicles/%s\"},\"fault\":"
		  "{\"type\":\"rate_limit\",\"retry_after\":2}}",
		  ids[PHEV]);
	v3_vehicle(&r, ids[PHEV], "/", tok, NULL, NULL);
	check_v3_error(&r, 429, "RATE_LIMIT", "VEHICLE", "Too Many Requests");
	t_http_free(&r);

	/* the request log has the /v3 requests with their statuses */
	raw = t_control("/_emulator/requests", NULL);
	log = raw ? cJSON_Parse(raw) : NULL;
	free(raw);
	snprintf(path, sizeof(path), "/v3/vehicles/%s/signals", ids[BEV]);
	cJSON_ArrayForEach(q, t_json_get(log, "requests"))
	{
		if (t_json_str(q, "path") &&
		    strcmp(t_json_str(q, "path"), path) == 0 &&
		    t_json_num(q, "status") == 502) {
			seen++;
			CHECK_STR(t_json_str(q, "method"), "GET");
		}
	}
	CHECK(seen == 1);
	cJSON_Delete(log);
	free(tok);
}
