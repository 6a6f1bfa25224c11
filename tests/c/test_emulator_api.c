/* smartcar-emulator itself, over real HTTP with libcurl: every Vehicle API
 * endpoint's keys and JSON types (spec 3.5) in both unit systems, 501s per
 * vehicle kind, scope errors, batch, each fault type, the rate limits with
 * Retry-After, the state moving with the clock, commands changing it, the
 * request log, reset, and determinism across processes.
 *
 * These tests run on a private emulator (they reset it, move and freeze
 * its clock), never on the shared one of the other integration tests. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "test.h"

#define ALL_SCOPES                                                         \
	"read_vehicle_info read_vin read_odometer read_location read_fuel " \
	"read_battery read_charge read_engine_oil read_tires read_security " \
	"control_charge control_security control_navigation "               \
	"read_service_history read_diagnostics read_compass "               \
	"read_speedometer read_thermometer read_user_profile"

enum { BEV, PHEV, ICE };
#define K_BEV 1u
#define K_PHEV 2u
#define K_ICE 4u

/* ------------------------------------------------------------ emulators */

static t_private_emulator priv;

/* The private emulator, reset: every test starts from a clean state. */
static const char *start(void)
{
	static const char *const args[] = {"--seed", "11", NULL};
	return t_emulator_private(&priv, args);
}

/* ----------------------------------------------------------------- HTTP */

/* method base+path with an optional bearer token, sc-unit-system, JSON
 * body and one extra header line. */
static int req(t_http_res *out, const char *method, const char *base,
	       const char *path, const char *token, const char *unit,
	       const char *body, const char *extra)
{
	char url[1024];
	t_api_lines h;

	snprintf(url, sizeof(url), "%s%s", base, path);
	return t_http(out, method, url,
		      t_api_headers(&h, token, NULL, unit, extra), body,
		      body ? "application/json" : NULL);
}

static int get(t_http_res *o, const char *base, const char *path,
	       const char *tok, const char *unit)
{
	return req(o, "GET", base, path, tok, unit, NULL, NULL);
}

static cJSON *control_json(const char *base, const char *path,
			   const char *json)
{
	return t_control_json(base, NULL, path, json);
}

static void control(const char *base, const char *path, const char *json)
{
	free(t_control_at(base, path, json));
}

/* The number of elements of the array key in the control API's answer
 * to GET path, or -1. */
static int control_count(const char *base, const char *path, const char *key)
{
	cJSON *j = control_json(base, path, NULL);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
	int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;

	cJSON_Delete(j);
	return n;
}

/* The vehicle id's "locked" in the control API's state: 1, 0, or -1
 * when it is not a boolean. */
static int state_locked(const char *base, const char *id)
{
	char path[128];
	cJSON *j;
	const cJSON *l;
	int on;

	snprintf(path, sizeof(path), "/_emulator/vehicles/%s", id);
	j = control_json(base, path, NULL);
	l = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(j, "state"), "locked");
	on = cJSON_IsBool(l) ? cJSON_IsTrue(l) : -1;
	cJSON_Delete(j);
	return on;
}

static int control_status(const char *base, const char *method,
			  const char *path, const char *json)
{
	t_http_res r;
	long s;
	req(&r, method, base, path, NULL, NULL, json, NULL);
	s = r.status;
	t_http_free(&r);
	return (int)s;
}

/* ------------------------------------------------------------- sessions */

static void vpath(char *out, size_t n, const char *id, const char *sub)
{
	snprintf(out, n, "/v2.0/vehicles/%s%s", id, sub);
}

/* method /v2.0/vehicles/{id}{sub} on base with tok and an optional JSON
 * body (as req): the answer's status. */
static long vreq(t_http_res *r, const char *method, const char *base,
		 const char *id, const char *sub, const char *tok,
		 const char *body)
{
	char path[512];

	vpath(path, sizeof(path), id, sub);
	req(r, method, base, path, tok, NULL, body, NULL);
	return r->status;
}

/* GET /v2.0/vehicles/{id}{sub} with tok and sc-unit-system unit (as
 * get): the answer's status. */
static long vget(t_http_res *r, const char *base, const char *id,
		 const char *sub, const char *tok, const char *unit)
{
	char path[512];

	vpath(path, sizeof(path), id, sub);
	get(r, base, path, tok, unit);
	return r->status;
}

/* The status of a GET of base+path (the answer freed). */
static long get_status(const char *base, const char *path, const char *tok,
		       const char *unit)
{
	t_http_res r;
	long status;

	get(&r, base, path, tok, unit);
	status = r.status;
	t_http_free(&r);
	return status;
}

/* ----------------------------------------------------------------- shapes */

#define ERROR_KEYS                                                         \
	"type:s,code:sz,description:s,docURL:s,statusCode:n,requestId:s,"  \
	"resolution:o,suggestedUserMessage:s"

/* A complete v2 error: status, type, code (NULL = null), body keys,
 * requestId = SC-Request-Id, docURL slug, JSON content type. */
static void check_error(const t_http_res *r, long status, const char *type,
			const char *code)
{
	char rid[64], url[256];
	const cJSON *res;

	t_check_json_status(r, status);
	if (cJSON_GetObjectItemCaseSensitive(r->json, "detail"))
		t_shape("error", r->json, ERROR_KEYS ",detail:a");
	else
		t_shape("error", r->json, ERROR_KEYS);
	CHECK_STR(t_json_str(r->json, "type"), type);
	if (code)
		CHECK_STR(t_json_str(r->json, "code"), code);
	else
		CHECK(cJSON_IsNull(
			cJSON_GetObjectItemCaseSensitive(r->json, "code")));
	CHECK(t_json_num(r->json, "statusCode") == (double)status);
	CHECK(t_http_header(r, "sc-request-id", rid, sizeof(rid)) != NULL);
	CHECK_STR(t_json_str(r->json, "requestId"), rid);
	res = cJSON_GetObjectItemCaseSensitive(r->json, "resolution");
	CHECK(cJSON_GetObjectItemCaseSensitive(res, "type") != NULL);
	CHECK_CONTAINS(t_json_str(r->json, "docURL"),
		       "https://smartcar.com/docs/errors/api-errors/");
	{
		char slug[128];
		size_t i;
		snprintf(slug, sizeof(slug), "%s", code ? code : "null");
		for (i = 0; slug[i]; i++)
			slug[i] = slug[i] == '_' ? '-' : (char)tolower(
				(unsigned char)slug[i]);
		snprintf(url, sizeof(url), "-errors#%s", slug);
		CHECK_CONTAINS(t_json_str(r->json, "docURL"), url);
	}
}

typedef struct get_case {
	const char *path;
	unsigned kinds;
	const char *keys; /* NULL: a top-level array (service history) */
} get_case;

static const get_case get_cases[] = {
	{"", 7, "id:s,make:s,model:s,year:n"},
	{"/vin", 7, "vin:s"},
	{"/odometer", 7, "distance:n"},
	{"/location", 7, "latitude:n,longitude:n"},
	{"/fuel", K_PHEV | K_ICE,
	 "range:nz,percentRemaining:nz,amountRemaining:nz"},
	{"/battery", K_BEV | K_PHEV, "range:n,percentRemaining:n"},
	{"/battery/capacity", K_BEV | K_PHEV, "capacity:n"},
	{"/battery/nominal_capacity", K_BEV | K_PHEV,
	 "availableCapacities:a,capacity:oz,url:sz"},
	{"/charge", K_BEV | K_PHEV, "isPluggedIn:b,state:s"},
	{"/charge/limit", K_BEV | K_PHEV, "limit:n"},
	{"/engine/oil", K_PHEV | K_ICE, "lifeRemaining:n"},
	{"/tires/pressure", 7, "frontLeft:n,frontRight:n,backLeft:n,backRight:n"},
	{"/security", 7,
	 "isLocked:b,doors:a,windows:a,sunroof:a,storage:a,chargingPort:a"},
	{"/service/history", 7, NULL},
	{"/diagnostics/system_status", 7, "systems:a"},
	{"/diagnostics/dtcs", 7, "activeCodes:a"},
	{"/permissions", 7, "permissions:a,paging:o"},
	{"/tesla/charge/ammeter", K_BEV, "amperage:n"},
	{"/tesla/charge/voltmeter", K_BEV, "voltage:n"},
	{"/tesla/charge/wattmeter", K_BEV, "wattage:n"},
	{"/tesla/compass", K_BEV, "direction:s,heading:n"},
	{"/tesla/speedometer", K_BEV, "speed:n"},
	{"/tesla/thermometer/exterior", K_BEV, "temperature:n"},
	{"/tesla/thermometer/interior", K_BEV, "temperature:n"},
	{"/tesla/user/access", K_BEV, "accessType:s,permissions:a"},
};

/* The nested parts of a body. */
static void nested(const char *path, const cJSON *b)
{
	const cJSON *e;
	if (strcmp(path, "/security") == 0) {
		static const char *const k[] = {"doors", "windows", "sunroof",
						"storage", "chargingPort"};
		size_t i;
		for (i = 0; i < 5; i++)
			t_shape_each(k[i],
				     cJSON_GetObjectItemCaseSensitive(b, k[i]),
				     "type:s,status:s");
	} else if (strcmp(path, "/battery/nominal_capacity") == 0) {
		const cJSON *cap = cJSON_GetObjectItemCaseSensitive(b, "capacity");
		t_shape_each("availableCapacities",
			     cJSON_GetObjectItemCaseSensitive(
				     b, "availableCapacities"),
			     "capacity:n,description:sz");
		if (cJSON_IsObject(cap))
			t_shape("capacity", cap, "nominal:n,source:s");
	} else if (strcmp(path, "/service/history") == 0) {
		CHECK(cJSON_IsArray(b) && cJSON_GetArraySize(b) > 0);
		cJSON_ArrayForEach(e, b)
		{
			t_shape("service record", e,
				"serviceId:sz,serviceDate:s,odometerDistance:n,"
				"serviceTasks:a,serviceDetails:a,serviceCost:o");
			t_shape_each("serviceTasks",
				     cJSON_GetObjectItemCaseSensitive(
					     e, "serviceTasks"),
				     "taskId:sz,taskDescription:sz");
			t_shape_each("serviceDetails",
				     cJSON_GetObjectItemCaseSensitive(
					     e, "serviceDetails"),
				     "type:s,value:sz");
			t_shape("serviceCost",
				cJSON_GetObjectItemCaseSensitive(e,
								 "serviceCost"),
				"totalCost:nz,currency:sz");
		}
	} else if (strcmp(path, "/diagnostics/system_status") == 0) {
		t_shape_each("systems",
			     cJSON_GetObjectItemCaseSensitive(b, "systems"),
			     "systemId:s,status:s,description:sz");
	} else if (strcmp(path, "/diagnostics/dtcs") == 0) {
		t_shape_each("activeCodes",
			     cJSON_GetObjectItemCaseSensitive(b, "activeCodes"),
			     "code:s,timestamp:sz");
	} else if (strcmp(path, "/permissions") == 0) {
		t_shape("paging", cJSON_GetObjectItemCaseSensitive(b, "paging"),
			"count:n,offset:n");
	}
}

/* Every GET endpoint on every kind, in one unit system. Returns the bodies
 * (cJSON array, [kind][endpoint]) for unit comparisons. */
static cJSON *walk_gets(const char *base, const char *tok, char ids[3][40],
			const char *unit)
{
	cJSON *all = cJSON_CreateArray();
	int k;
	size_t i;

	for (k = 0; k < 3; k++) {
		cJSON *row = cJSON_CreateArray();
		cJSON_AddItemToArray(all, row);
		for (i = 0; i < sizeof(get_cases) / sizeof(*get_cases); i++) {
			const get_case *g = &get_cases[i];
			char path[256], buf[64], where[128];
			t_http_res r;
			vpath(path, sizeof(path), ids[k], g->path);
			snprintf(where, sizeof(where), "%s %s (kind %d)", unit,
				 g->path[0] ? g->path : "/", k);
			get(&r, base, path, tok, unit);
			if (!(g->kinds & (1u << k))) {
				check_error(&r, 501, "COMPATIBILITY",
					    "VEHICLE_NOT_CAPABLE");
				CHECK(!t_http_header(&r, "sc-data-age", buf,
						     sizeof(buf)));
				cJSON_AddItemToArray(row, cJSON_CreateNull());
				t_http_free(&r);
				continue;
			}
			if (r.status != 200)
				fprintf(stderr, "  %s: %ld %s\n", where, r.status,
					r.body ? r.body : "");
			CHECK(r.status == 200);
			if (g->keys)
				t_shape(where, r.json, g->keys);
			nested(g->path, r.json);
			CHECK(t_http_header(&r, "sc-request-id", buf,
					    sizeof(buf)) != NULL);
			if (strcmp(g->path, "/permissions") == 0) {
				CHECK(!t_http_header(&r, "sc-data-age", buf,
						     sizeof(buf)));
			} else {
				CHECK(t_http_header(&r, "sc-data-age", buf,
						    sizeof(buf)) &&
				      strlen(buf) == 24 && buf[23] == 'Z');
				CHECK(t_http_header(&r, "sc-fetched-at", buf,
						    sizeof(buf)) != NULL);
				CHECK(t_http_header(&r, "sc-unit-system", buf,
						    sizeof(buf)) &&
				      strcmp(buf, unit) == 0);
			}
			cJSON_AddItemToArray(row, r.json ? r.json
							  : cJSON_CreateNull());
			r.json = NULL;
			t_http_free(&r);
		}
	}
	return all;
}

static const cJSON *body_of(const cJSON *all, int kind, const char *path)
{
	size_t i;
	for (i = 0; i < sizeof(get_cases) / sizeof(*get_cases); i++)
		if (strcmp(get_cases[i].path, path) == 0)
			return cJSON_GetArrayItem(
				cJSON_GetArrayItem(all, kind), (int)i);
	return NULL;
}

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

TEST(emulator_api_shapes_and_units)
{
	const char *base = start();
	char ids[3][40], *tok;
	cJSON *m, *im;
	int k;

	REQUIRE(base);
	/* a frozen clock: both walks see the same instant */
	control(base, "/_emulator/clock", "{\"freeze\": true}");
	tok = t_login_fleet(base, "shapes@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);
	m = walk_gets(base, tok, ids, "metric");
	im = walk_gets(base, tok, ids, "imperial");

	for (k = 0; k < 3; k++) {
		double km = t_json_num(body_of(m, k, "/odometer"), "distance");
		double mi = t_json_num(body_of(im, k, "/odometer"), "distance");
		const cJSON *tm = body_of(m, k, "/tires/pressure");
		const cJSON *ti = body_of(im, k, "/tires/pressure");
		CHECK(km > 0 && near(mi, km / 1.609344, 0.01));
		CHECK(near(t_json_num(ti, "frontLeft"),
			   t_json_num(tm, "frontLeft") * 0.1450377, 0.06));
		CHECK(t_json_num(tm, "backRight") > 150 &&
		      t_json_num(tm, "backRight") < 400);
	}
	{ /* fuel: liters / gallons, km / miles */
		const cJSON *fm = body_of(m, ICE, "/fuel");
		const cJSON *fi = body_of(im, ICE, "/fuel");
		CHECK(near(t_json_num(fi, "amountRemaining"),
			   t_json_num(fm, "amountRemaining") / 3.785411784,
			   0.02));
		CHECK(near(t_json_num(fi, "range"),
			   t_json_num(fm, "range") / 1.609344, 0.1));
		CHECK(t_json_num(fm, "percentRemaining") > 0 &&
		      t_json_num(fm, "percentRemaining") <= 1);
		CHECK(near(t_json_num(body_of(im, BEV, "/battery"), "range"),
			   t_json_num(body_of(m, BEV, "/battery"), "range") /
				   1.609344,
			   0.1));
	}
	{ /* the two nominal capacity shapes */
		const cJSON *b = body_of(m, BEV, "/battery/nominal_capacity");
		const cJSON *p = body_of(m, PHEV, "/battery/nominal_capacity");
		CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(b, "capacity")));
		CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, "url")));
		CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(p, "capacity")));
		CHECK_CONTAINS(t_json_str(p, "url"), "vehicle_id=");
	}
	CHECK_STR(t_json_str(body_of(m, BEV, ""), "make"), "TESLA");
	CHECK(strlen(t_json_str(body_of(m, ICE, "/vin"), "vin")) == 17);
	CHECK_STR(t_json_str(body_of(m, BEV, "/tesla/user/access"),
			     "accessType"),
		  "OWNER");
	CHECK(near(t_json_num(body_of(im, BEV, "/tesla/thermometer/interior"),
			      "temperature"),
		   t_json_num(body_of(m, BEV, "/tesla/thermometer/interior"),
			      "temperature") *
				   1.8 +
			   32,
		   0.11));
	cJSON_Delete(m);
	cJSON_Delete(im);
	free(tok);
}

TEST(emulator_api_errors_and_scopes)
{
	const char *base = start();
	char ids[3][40], path[256], other[3][40], *tok, *narrow, *stranger;
	t_http_res r;

	REQUIRE(base);
	tok = t_login(base, "scopes@example.com", ALL_SCOPES);
	narrow = t_login(base, "scopes@example.com", "read_vehicle_info");
	stranger = t_login(base, "stranger@example.com", ALL_SCOPES);
	REQUIRE(tok && narrow && stranger);
	REQUIRE(t_fleet(base, "scopes@example.com", ids) == 0);
	REQUIRE(t_fleet(base, "stranger@example.com", other) == 0);

	vget(&r, base, ids[BEV], "/odometer", narrow, NULL);
	check_error(&r, 403, "PERMISSION", NULL);
	CHECK_STR(t_json_str(cJSON_GetObjectItemCaseSensitive(r.json,
							      "resolution"),
			     "type"),
		  "REAUTHENTICATE");
	t_http_free(&r);
	vreq(&r, "POST", base, ids[BEV], "/security", narrow, "{\"action\":\"LOCK\"}");
	check_error(&r, 403, "PERMISSION", NULL);
	t_http_free(&r);
	vget(&r, base, ids[BEV], "/tesla/compass", narrow, NULL);
	check_error(&r, 403, "PERMISSION", NULL);
	t_http_free(&r);
	/* the make segment must be lower-case */
	vget(&r, base, ids[BEV], "/TESLA/compass", tok, NULL);
	check_error(&r, 403, "PERMISSION", NULL);
	t_http_free(&r);
	/* permissions need only a token for the vehicle */
	CHECK(vget(&r, base, ids[BEV], "/permissions?limit=1&offset=0", narrow,
		   NULL) == 200);
	CHECK(t_json_num(cJSON_GetObjectItemCaseSensitive(r.json, "paging"),
			 "count") == 1);
	t_http_free(&r);
	vget(&r, base, ids[BEV], "/permissions?limit=51", tok, NULL);
	check_error(&r, 400, "VALIDATION", "PARAMETER");
	t_http_free(&r);
	/* someone else's vehicle, a bad id, no token, bad unit system */
	vget(&r, base, other[BEV], "/odometer", tok, NULL);
	check_error(&r, 403, "PERMISSION", NULL);
	t_http_free(&r);
	get(&r, base, "/v2.0/vehicles/bad_id/odometer", tok, NULL);
	check_error(&r, 400, "VALIDATION", NULL);
	t_http_free(&r);
	vpath(path, sizeof(path), ids[BEV], "/odometer");
	get(&r, base, path, NULL, NULL);
	check_error(&r, 401, "AUTHENTICATION", NULL);
	t_http_free(&r);
	get(&r, base, path, tok, "furlongs");
	check_error(&r, 400, "VALIDATION", NULL);
	t_http_free(&r);
	vget(&r, base, ids[BEV], "/odometr", tok, NULL);
	check_error(&r, 404, "RESOURCE_NOT_FOUND", "PATH");
	t_http_free(&r);
	snprintf(path, sizeof(path), "/vJohnny/vehicles/%s/odometer", ids[BEV]);
	get(&r, base, path, tok, NULL);
	check_error(&r, 404, "RESOURCE_NOT_FOUND", "VERSION");
	t_http_free(&r);
	/* commands on cars that cannot: 501 */
	vreq(&r, "POST", base, ids[ICE], "/charge", tok, "{\"action\":\"START\"}");
	check_error(&r, 501, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE");
	t_http_free(&r);
	vreq(&r, "POST", base, ids[PHEV], "/tesla/charge/ammeter", tok,
	     "{\"amperage\":16}");
	check_error(&r, 501, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE");
	t_http_free(&r);
	free(tok);
	free(narrow);
	free(stranger);
}

static void command(const char *base, const char *tok, const char *id,
		    const char *sub, const char *body, long want)
{
	char path[256], buf[64];
	t_http_res r;
	vpath(path, sizeof(path), id, sub);
	req(&r, "POST", base, path, tok, NULL, body, NULL);
	CHECK(r.status == want);
	if (r.status != want)
		fprintf(stderr, "  POST %s %s: %ld %s\n", sub, body, r.status,
			r.body ? r.body : "");
	if (want == 200) {
		t_shape(sub, r.json, "status:s,message:s");
		CHECK_STR(t_json_str(r.json, "status"), "success");
		CHECK_STR(t_json_str(r.json, "message"),
			  "Successfully sent request to vehicle");
		CHECK(!t_http_header(&r, "sc-data-age", buf, sizeof(buf)));
	}
	t_http_free(&r);
}

static cJSON *read_json(const char *base, const char *tok, const char *id,
			const char *sub)
{
	char path[256];
	t_http_res r;
	cJSON *j;
	vpath(path, sizeof(path), id, sub);
	get(&r, base, path, tok, NULL);
	j = r.json;
	r.json = NULL;
	t_http_free(&r);
	return j;
}

static double read_num(const char *base, const char *tok, const char *id,
		       const char *sub, const char *key)
{
	cJSON *j = read_json(base, tok, id, sub);
	double v = t_json_num(j, key);
	cJSON_Delete(j);
	return v;
}

static int read_bool(const char *base, const char *tok, const char *id,
		     const char *sub, const char *key)
{
	cJSON *j = read_json(base, tok, id, sub);
	int v = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, key));
	cJSON_Delete(j);
	return v;
}

static char *read_str(const char *base, const char *tok, const char *id,
		      const char *sub, const char *key)
{
	cJSON *j = read_json(base, tok, id, sub);
	char *v = t_json_str(j, key) ? strdup(t_json_str(j, key)) : NULL;
	cJSON_Delete(j);
	return v;
}

/* POST body to id's sub on base is refused (400 VALIDATION PARAMETER),
 * its first detail naming field. */
static void check_bad_field(const char *base, const char *tok, const char *id,
			    const char *sub, const char *body,
			    const char *field)
{
	t_http_res r;

	vreq(&r, "POST", base, id, sub, tok, body);
	check_error(&r, 400, "VALIDATION", "PARAMETER");
	CHECK_STR(t_json_str(cJSON_GetArrayItem(t_json_get(r.json, "detail"),
						0),
			     "field"),
		  field);
	t_http_free(&r);
}

TEST(emulator_api_commands)
{
	const char *base = start();
	char ids[3][40], *tok, *s;
	t_http_res r;

	REQUIRE(base);
	tok = t_login_fleet(base, "commands@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);
	t_set_vehicle(base, ids[BEV], "{\"plugged_in\": false}");

	/* locks */
	CHECK(read_bool(base, tok, ids[ICE], "/security", "isLocked"));
	command(base, tok, ids[ICE], "/security", "{\"action\":\"UNLOCK\"}", 200);
	CHECK(!read_bool(base, tok, ids[ICE], "/security", "isLocked"));
	command(base, tok, ids[ICE], "/security", "{\"action\":\"LOCK\"}", 200);
	CHECK(read_bool(base, tok, ids[ICE], "/security", "isLocked"));
	command(base, tok, ids[ICE], "/security", "{\"action\":\"OPEN\"}", 400);

	/* charging follows the plug */
	vreq(&r, "POST", base, ids[BEV], "/charge", tok, "{\"action\":\"START\"}");
	check_error(&r, 409, "VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED");
	t_http_free(&r);
	t_set_vehicle(base, ids[BEV],
		      "{\"plugged_in\": true, \"percent_remaining\": 0.5}");
	CHECK(read_bool(base, tok, ids[BEV], "/charge", "isPluggedIn"));
	command(base, tok, ids[BEV], "/charge/limit", "{\"limit\": \"0.9\"}",
		200);
	command(base, tok, ids[BEV], "/charge", "{\"action\":\"START\"}", 200);
	s = read_str(base, tok, ids[BEV], "/charge", "state");
	CHECK_STR(s, "CHARGING");
	free(s);
	CHECK(read_num(base, tok, ids[BEV], "/tesla/charge/wattmeter",
		       "wattage") > 0);
	command(base, tok, ids[BEV], "/charge", "{\"action\":\"STOP\"}", 200);
	s = read_str(base, tok, ids[BEV], "/charge", "state");
	CHECK_STR(s, "NOT_CHARGING");
	free(s);

	/* the charge limit: numbers or numeric strings, 0.5..1 */
	command(base, tok, ids[BEV], "/charge/limit", "{\"limit\": 0.6}", 200);
	CHECK(near(read_num(base, tok, ids[BEV], "/charge/limit", "limit"),
		   0.6, 1e-9));
	command(base, tok, ids[PHEV], "/charge/limit", "{\"limit\": \"0.75\"}",
		200);
	CHECK(near(read_num(base, tok, ids[PHEV], "/charge/limit", "limit"),
		   0.75, 1e-9));
	check_bad_field(base, tok, ids[BEV], "/charge/limit", "{\"limit\": 0.4}",
			"limit");
	command(base, tok, ids[BEV], "/charge/limit", "{\"limit\": \"1.5\"}",
		400);
	command(base, tok, ids[BEV], "/charge/limit", "{\"limit\": \"abc\"}",
		400);

	/* navigation validates the coordinates */
	command(base, tok, ids[ICE], "/navigation/destination",
		"{\"latitude\": 37.77, \"longitude\": -122.42}", 200);
	check_bad_field(base, tok, ids[ICE], "/navigation/destination",
			"{\"latitude\": 91, \"longitude\": 0}", "latitude");
	command(base, tok, ids[ICE], "/navigation/destination",
		"{\"latitude\": 10, \"longitude\": 181}", 400);
	command(base, tok, ids[ICE], "/navigation/destination", "not json",
		400);

	/* Tesla charging current */
	command(base, tok, ids[BEV], "/tesla/charge/ammeter",
		"{\"amperage\": 16}", 200);
	CHECK(read_num(base, tok, ids[BEV], "/tesla/charge/ammeter",
		       "amperage") == 16);
	command(base, tok, ids[BEV], "/tesla/charge/ammeter",
		"{\"amperage\": 99}", 400);

	/* an asleep car refuses what reaches it, not its attributes */
	t_set_vehicle(base, ids[ICE], "{\"asleep\": true}");
	vget(&r, base, ids[ICE], "/odometer", tok, NULL);
	check_error(&r, 409, "VEHICLE_STATE", "ASLEEP");
	t_http_free(&r);
	command(base, tok, ids[ICE], "/security", "{\"action\":\"LOCK\"}", 409);
	CHECK(vget(&r, base, ids[ICE], "", tok, NULL) == 200);
	t_http_free(&r);
	t_set_vehicle(base, ids[ICE], "{\"asleep\": false}");
	free(tok);
}

TEST(emulator_api_state_follows_clock)
{
	const char *base = start();
	char ids[3][40], *tok, *s;
	double odo, lat, lon, pct, fuel, limit;

	REQUIRE(base);
	control(base, "/_emulator/clock", "{\"freeze\": true}");
	tok = t_login_fleet(base, "driver@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);

	/* parked: nothing moves */
	odo = read_num(base, tok, ids[BEV], "/odometer", "distance");
	control(base, "/_emulator/clock", "{\"advance\": 600}");
	CHECK(read_num(base, tok, ids[BEV], "/odometer", "distance") == odo);

	/* one hour at 60 km/h */
	lat = read_num(base, tok, ids[BEV], "/location", "latitude");
	lon = read_num(base, tok, ids[BEV], "/location", "longitude");
	pct = read_num(base, tok, ids[BEV], "/battery", "percentRemaining");
	t_set_vehicle(base, ids[BEV], "{\"driving\": true}");
	CHECK(read_num(base, tok, ids[BEV], "/tesla/speedometer", "speed") == 60);
	control(base, "/_emulator/clock", "{\"advance\": 3600}");
	CHECK(near(read_num(base, tok, ids[BEV], "/odometer", "distance"),
		   odo + 60, 0.001));
	CHECK(read_num(base, tok, ids[BEV], "/location", "latitude") != lat ||
	      read_num(base, tok, ids[BEV], "/location", "longitude") != lon);
	CHECK(near(read_num(base, tok, ids[BEV], "/battery", "percentRemaining"),
		   pct - 60 * 0.15 / 75, 0.0002));
	t_set_vehicle(base, ids[BEV], "{\"driving\": false}");
	control(base, "/_emulator/clock", "{\"advance\": 600}");
	CHECK(near(read_num(base, tok, ids[BEV], "/odometer", "distance"),
		   odo + 60, 0.001));

	/* an ICE burns fuel */
	fuel = read_num(base, tok, ids[ICE], "/fuel", "amountRemaining");
	t_set_vehicle(base, ids[ICE], "{\"driving\": true}");
	control(base, "/_emulator/clock", "{\"advance\": 1800}");
	CHECK(near(read_num(base, tok, ids[ICE], "/fuel", "amountRemaining"),
		   fuel - 30 * 0.125, 0.02));
	CHECK(control_status(base, "POST", "/_emulator/vehicles/x", "{}") == 404);

	/* charging fills up to the limit, then FULLY_CHARGED */
	free(tok); /* access tokens live two hours */
	tok = t_login(base, "driver@example.com", ALL_SCOPES);
	REQUIRE(tok);
	t_set_vehicle(base, ids[BEV],
		      "{\"plugged_in\": true, \"charging\": true, "
		      "\"percent_remaining\": 0.3, "
		      "\"charge_limit\": 0.8}");
	s = read_str(base, tok, ids[BEV], "/charge", "state");
	CHECK_STR(s, "CHARGING");
	free(s);
	control(base, "/_emulator/clock", "{\"advance\": 3600}");
	pct = read_num(base, tok, ids[BEV], "/battery", "percentRemaining");
	CHECK(pct > 0.3 && pct < 0.8);
	control(base, "/_emulator/clock", "{\"advance\": 36000}");
	free(tok); /* access tokens live two hours */
	tok = t_login(base, "driver@example.com", ALL_SCOPES);
	REQUIRE(tok);
	limit = read_num(base, tok, ids[BEV], "/charge/limit", "limit");
	CHECK(near(read_num(base, tok, ids[BEV], "/battery", "percentRemaining"),
		   limit, 1e-9));
	s = read_str(base, tok, ids[BEV], "/charge", "state");
	CHECK_STR(s, "FULLY_CHARGED");
	free(s);
	free(tok);
}

TEST(emulator_api_control_vehicle_state)
{
	const char *base = start();
	char ids[3][40], path[128];
	cJSON *j, *st;

	REQUIRE(base);
	REQUIRE(t_fleet(base, "ctl@example.com", ids) == 0);
	snprintf(path, sizeof(path), "/_emulator/vehicles/%s", ids[PHEV]);
	j = control_json(base, path,
			 "{\"latitude\": 10.5, \"longitude\": 20.25, "
			 "\"odometer_km\": 1234.5, \"fuel_percent\": 0.5, "
			 "\"locked\": false}");
	st = cJSON_GetObjectItemCaseSensitive(j, "state");
	CHECK(t_json_num(st, "latitude") == 10.5 &&
	      t_json_num(st, "longitude") == 20.25);
	CHECK(t_json_num(st, "odometer_km") == 1234.5);
	CHECK(t_json_num(st, "fuel_percent") == 0.5);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(st, "locked")));
	CHECK_STR(t_json_str(j, "kind"), "PHEV");
	CHECK_STR(t_json_str(j, "owner_email"), "ctl@example.com");
	cJSON_Delete(j);
	/* all or nothing; bad fields name themselves */
	CHECK(control_status(base, "POST", path,
			     "{\"charge_limit\": 0.2, \"locked\": true}") ==
	      400);
	CHECK(control_status(base, "POST", path, "{\"nope\": 1}") == 400);
	CHECK(control_status(base, "POST", path,
			     "{\"charging\": true, \"plugged_in\": false}") ==
	      400);
	snprintf(path, sizeof(path), "/_emulator/vehicles/%s", ids[ICE]);
	CHECK(control_status(base, "POST", path, "{\"plugged_in\": true}") ==
	      400);
	CHECK(control_status(base, "POST", path, "{\"percent_remaining\": 1}") ==
	      400);
	CHECK(state_locked(base, ids[PHEV]) == 0);
}

TEST(emulator_api_batch)
{
	const char *base = start();
	char ids[3][40], path[256], *tok, *narrow;
	const cJSON *resp, *e;
	t_http_res r;
	int i = 0;
	static const char *const echo[] = {"/odometer", "/", "/tires/pressure",
					   "/fuel", "/tesla/speedometer",
					   "/TESLA/speedometer",
					   "/service/history"};
	static const long codes[] = {200, 200, 200, 501, 200, 403, 200};

	REQUIRE(base);
	tok = t_login(base, "batch@example.com", ALL_SCOPES);
	narrow = t_login(base, "batch@example.com", "read_vehicle_info");
	REQUIRE(tok && narrow);
	REQUIRE(t_fleet(base, "batch@example.com", ids) == 0);
	vpath(path, sizeof(path), ids[BEV], "/batch");
	req(&r, "POST", base, path, tok, "imperial",
	    "{\"requests\":[{\"path\":\"/odometer\"},{\"path\":\"/\"},"
	    "{\"path\":\"tires/pressure\"},{\"path\":\"/fuel\"},"
	    "{\"path\":\"/tesla/speedometer\"},{\"path\":\"/TESLA/speedometer\"},"
	    "{\"path\":\"/service/history?start_date=2000-01-01\"}]}",
	    NULL);
	CHECK(r.status == 200);
	t_shape("batch", r.json, "responses:a");
	resp = cJSON_GetObjectItemCaseSensitive(r.json, "responses");
	CHECK(cJSON_GetArraySize(resp) == 7);
	cJSON_ArrayForEach(e, resp)
	{
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "headers");
		if (i >= 7)
			break;
		t_shape("batch item", e, "path:s,code:n,body:oa,headers:o");
		CHECK_STR(t_json_str(e, "path"),
			  i == 6 ? "/service/history" : echo[i]);
		CHECK(t_json_num(e, "code") == codes[i]);
		if (codes[i] == 200) {
			CHECK_STR(t_json_str(h, "sc-unit-system"), "imperial");
			CHECK(t_json_str(h, "sc-data-age") != NULL);
			CHECK(t_json_str(h, "sc-fetched-at") != NULL);
		} else {
			const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "body");
			CHECK(cJSON_GetArraySize(h) == 0);
			t_shape("batch error", b, ERROR_KEYS);
			CHECK(t_json_num(b, "statusCode") == codes[i]);
		}
		i++;
	}
	CHECK_STR(t_json_str(cJSON_GetObjectItemCaseSensitive(
				     cJSON_GetArrayItem(resp, 1), "body"),
			     "make"),
		  "TESLA");
	CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(resp, 6), "body")));
	t_http_free(&r);

	/* a misspelled path fails the whole batch */
	req(&r, "POST", base, path, tok, NULL,
	    "{\"requests\":[{\"path\":\"/odometer\"},{\"path\":\"/odometr\"}]}",
	    NULL);
	check_error(&r, 400, "VALIDATION", "PARAMETER");
	t_http_free(&r);
	req(&r, "POST", base, path, tok, NULL, "{\"requests\": 3}", NULL);
	check_error(&r, 400, "VALIDATION", "PARAMETER");
	t_http_free(&r);
	/* scopes apply per sub-request */
	req(&r, "POST", base, path, narrow, NULL,
	    "{\"requests\":[{\"path\":\"/\"},{\"path\":\"/odometer\"}]}", NULL);
	CHECK(r.status == 200);
	resp = cJSON_GetObjectItemCaseSensitive(r.json, "responses");
	CHECK(t_json_num(cJSON_GetArrayItem(resp, 0), "code") == 200);
	CHECK(t_json_num(cJSON_GetArrayItem(resp, 1), "code") == 403);
	t_http_free(&r);
	free(tok);
	free(narrow);
}

TEST(emulator_api_service_history_ranges)
{
	const char *base = start();
	char ids[3][40], path[256], *tok;
	t_http_res r;
	int all, some;

	REQUIRE(base);
	tok = t_login_fleet(base, "service@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);
	vpath(path, sizeof(path), ids[ICE],
	      "/service/history?startDate=2000-01-01");
	get(&r, base, path, tok, NULL);
	CHECK(r.status == 200 && cJSON_IsArray(r.json));
	all = cJSON_GetArraySize(r.json);
	CHECK(all > 2);
	t_http_free(&r);
	vpath(path, sizeof(path), ids[ICE],
	      "/service/history?start_date=2000-01-01&end_date=2021-12-31");
	get(&r, base, path, tok, NULL);
	some = cJSON_GetArraySize(r.json);
	CHECK(r.status == 200 && some >= 1 && some < all);
	t_http_free(&r);
	vpath(path, sizeof(path), ids[ICE],
	      "/service/history?startDate=2000-01-01T00:00:00.000Z"
	      "&endDate=2021-12-31T23:59:59.999Z");
	get(&r, base, path, tok, NULL);
	CHECK(cJSON_GetArraySize(r.json) == some);
	t_http_free(&r);
	vget(&r, base, ids[ICE], "/service/history?startDate=yesterday", tok, NULL);
	check_error(&r, 400, "VALIDATION", "PARAMETER");
	t_http_free(&r);
	free(tok);
}

TEST(emulator_api_disconnect)
{
	const char *base = start();
	char ids[3][40], *tok;
	t_http_res r;

	REQUIRE(base);
	tok = t_login_fleet(base, "leaver@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);
	CHECK(vreq(&r, "DELETE", base, ids[PHEV], "/application", tok, NULL) == 200);
	t_shape("disconnect", r.json, "status:s");
	CHECK_STR(t_json_str(r.json, "status"), "success");
	t_http_free(&r);
	vget(&r, base, ids[PHEV], "/odometer", tok, NULL);
	check_error(&r, 403, "PERMISSION", NULL);
	t_http_free(&r);
	get(&r, base, "/v2.0/vehicles", tok, NULL);
	CHECK(t_json_num(cJSON_GetObjectItemCaseSensitive(r.json, "paging"),
			 "count") == 2);
	t_http_free(&r);
	CHECK(vget(&r, base, ids[BEV], "/odometer", tok, NULL) == 200);
	t_http_free(&r);
	free(tok);
}

static char *add_fault(const char *base, const char *json)
{
	cJSON *j = control_json(base, "/_emulator/faults", json);
	char *id = t_json_str(j, "id") ? strdup(t_json_str(j, "id")) : NULL;
	cJSON_Delete(j);
	return id;
}

/* Adds the fault {match, "fault": fault} (match: a "match":{...} member). */
static void add_match_fault(const char *base, const char *match,
			    const char *fault)
{
	char spec[512];

	snprintf(spec, sizeof(spec), "{%s,\"fault\":%s}", match, fault);
	free(add_fault(base, spec));
}

static double seconds(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

TEST(emulator_api_faults)
{
	const char *base = start();
	char ids[3][40], path[256], buf[64], *tok, *id;
	const char *odo_match = "\"match\":{\"method\":\"GET\","
				"\"path\":\"/v2.0/vehicles/*/odometer\"}";
	char spec[512];
	cJSON *j;
	t_http_res r;
	double t0;

	REQUIRE(base);
	tok = t_login_fleet(base, "faults@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);
	vpath(path, sizeof(path), ids[ICE], "/odometer");

	/* status with Retry-After; count 2; other paths untouched */
	snprintf(spec, sizeof(spec),
		 "{%s,\"count\":2,\"fault\":{\"type\":\"status\","
		 "\"status\":500,\"error_type\":\"SERVER\","
		 "\"error_code\":\"INTERNAL\",\"retry_after\":3}}",
		 odo_match);
	id = add_fault(base, spec);
	CHECK(id != NULL);
	free(id);
	CHECK(control_count(base, "/_emulator/faults", "faults") == 1);
	vpath(buf, sizeof(buf), ids[ICE], "/vin");
	CHECK(get_status(base, buf, tok, NULL) == 200);
	get(&r, base, path, tok, NULL);
	check_error(&r, 500, "SERVER", "INTERNAL");
	CHECK_STR(t_http_header(&r, "retry-after", buf, sizeof(buf)), "3");
	t_http_free(&r);
	req(&r, "POST", base, path, tok, NULL, "{}", NULL); /* method differs */
	CHECK(r.status == 404);
	t_http_free(&r);
	CHECK(get_status(base, path, tok, NULL) == 500);
	get(&r, base, path, tok, NULL); /* expired after two */
	CHECK(r.status == 200);
	t_http_free(&r);

	/* every catalogue entry can be produced */
	j = control_json(base, "/_emulator/errors", NULL);
	{
		const cJSON *e;
		int n = 0;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "errors"))
		{
			const char *code = t_json_str(e, "code");
			const cJSON *res;
			snprintf(
				spec, sizeof(spec),
				"{%s,\"fault\":{\"type\":\"status\","
				"\"error_type\":\"%s\",\"error_code\":%s%s%s}}",
				odo_match, t_json_str(e, "type"),
				code ? "\"" : "", code ? code : "null",
				code ? "\"" : "");
			free(add_fault(base, spec));
			get(&r, base, path, tok, NULL);
			check_error(&r, (long)t_json_num(e, "status"),
				    t_json_str(e, "type"), code);
			res = cJSON_GetObjectItemCaseSensitive(r.json, "resolution");
			if (t_json_str(e, "resolution"))
				CHECK_STR(t_json_str(res, "type"),
					  t_json_str(e, "resolution"));
			else
				CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
					res, "type")));
			t_http_free(&r);
			n++;
		}
		CHECK(n >= 40);
	}
	cJSON_Delete(j);

	/* latency, then a normal answer */
	add_match_fault(base, odo_match, "{\"type\":\"latency\",\"ms\":250}");
	t0 = seconds();
	get(&r, base, path, tok, NULL);
	CHECK(seconds() - t0 >= 0.24);
	CHECK(r.status == 200);
	t_http_free(&r);

	/* rate_limit and asleep */
	add_match_fault(base, odo_match,
			"{\"type\":\"rate_limit\",\"retry_after\":2}");
	get(&r, base, path, tok, NULL);
	check_error(&r, 429, "RATE_LIMIT", "VEHICLE");
	CHECK_STR(t_http_header(&r, "retry-after", buf, sizeof(buf)), "2");
	t_http_free(&r);
	add_match_fault(base, odo_match, "{\"type\":\"asleep\"}");
	get(&r, base, path, tok, NULL);
	check_error(&r, 409, "VEHICLE_STATE", "ASLEEP");
	t_http_free(&r);

	/* malformed: 200 and JSON that does not parse */
	add_match_fault(base, odo_match, "{\"type\":\"malformed\"}");
	get(&r, base, path, tok, NULL);
	CHECK(r.status == 200 && r.rc == 0 && r.body && !r.json);
	t_http_free(&r);

	/* oversized: exactly that many bytes of valid JSON */
	add_match_fault(base, odo_match, "{\"type\":\"oversized\",\"bytes\":1048576}");
	get(&r, base, path, tok, NULL);
	CHECK(r.status == 200 && r.len == 1048576 && r.json);
	t_http_free(&r);

	/* drop: the command is applied, the answer is cut short */
	free(add_fault(base, "{\"match\":{\"method\":\"POST\",\"path\":"
			     "\"/v2.0/**/security\"},"
			     "\"fault\":{\"type\":\"drop\"}}"));
	CHECK(read_bool(base, tok, ids[ICE], "/security", "isLocked"));
	vpath(buf, sizeof(buf), ids[ICE], "/security");
	req(&r, "POST", base, buf, tok, NULL, "{\"action\":\"UNLOCK\"}", NULL);
	CHECK(r.rc == CURLE_PARTIAL_FILE);
	CHECK(r.status == 200);
	CHECK(r.len > 0 && !r.json);
	t_http_free(&r);
	CHECK(!read_bool(base, tok, ids[ICE], "/security", "isLocked"));

	/* bad specs, listing, clearing */
	CHECK(control_status(base, "POST", "/_emulator/faults",
			     "{\"fault\":{\"type\":\"bogus\"}}") == 400);
	CHECK(control_status(base, "POST", "/_emulator/faults",
			     "{\"fault\":{\"type\":\"status\","
			     "\"error_type\":\"SERVER\","
			     "\"error_code\":\"NOPE\"}}") == 400);
	free(add_fault(base, "{\"fault\":{\"type\":\"asleep\"},\"count\":5}"));
	free(add_fault(base, "{\"fault\":{\"type\":\"malformed\"}}"));
	CHECK(control_count(base, "/_emulator/faults", "faults") == 2);
	CHECK(control_status(base, "DELETE", "/_emulator/faults", NULL) == 200);
	CHECK(control_count(base, "/_emulator/faults", "faults") == 0);
	CHECK(get_status(base, path, tok, NULL) == 200);
	free(tok);
}

TEST(emulator_api_limits)
{
	const char *base = start();
	char ids[3][40], path[256], other[256], buf[32], *tok;
	t_http_res r;
	int i;

	REQUIRE(base);
	control(base, "/_emulator/clock", "{\"freeze\": true}");
	tok = t_login_fleet(base, "limits@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);
	vpath(path, sizeof(path), ids[BEV], "/odometer");
	vpath(other, sizeof(other), ids[ICE], "/odometer");

	/* application bucket: 3 then empty; one token per 30 s */
	control(base, "/_emulator/limits",
		"{\"app\":{\"capacity\":3,\"refill_per_minute\":2}}");
	for (i = 0; i < 3; i++) {
		CHECK(get_status(base, i % 2 ? other : path, tok, NULL) == 200);
	}
	get(&r, base, path, tok, NULL);
	check_error(&r, 429, "RATE_LIMIT", "SMARTCAR_API");
	CHECK_STR(t_http_header(&r, "retry-after", buf, sizeof(buf)), "30");
	t_http_free(&r);
	control(base, "/_emulator/clock", "{\"advance\": 30}");
	CHECK(get_status(base, path, tok, NULL) == 200);
	CHECK(get_status(base, path, tok, NULL) == 429);

	/* per-vehicle throttle */
	control(base, "/_emulator/limits",
		"{\"app\":null,\"vehicle\":{\"min_interval_s\":20}}");
	CHECK(get_status(base, path, tok, NULL) == 200);
	control(base, "/_emulator/clock", "{\"advance\": 5}");
	get(&r, base, path, tok, NULL);
	check_error(&r, 429, "RATE_LIMIT", "VEHICLE");
	CHECK_STR(t_http_header(&r, "retry-after", buf, sizeof(buf)), "15");
	t_http_free(&r);
	get(&r, base, other, tok, NULL); /* another vehicle is fine */
	CHECK(r.status == 200);
	t_http_free(&r);
	control(base, "/_emulator/clock", "{\"advance\": 15}");
	CHECK(get_status(base, path, tok, NULL) == 200);

	/* off again; bad specs refused */
	CHECK(control_status(base, "POST", "/_emulator/limits",
			     "{\"app\":{\"capacity\":0}}") == 400);
	CHECK(control_status(base, "POST", "/_emulator/limits",
			     "{\"vehicle\":null}") == 200);
	CHECK(get_status(base, path, tok, NULL) == 200);
	free(tok);
}

TEST(emulator_api_limit_flags)
{
	static const char *const args[] = {"--seed", "3", "--app-rate-limit",
					   "2:1", "--vehicle-min-interval",
					   "0", NULL};
	char base[256], path[256], ids[3][40], buf[32], *tok;
	pid_t pid = t_emulator_spawn(args, base, sizeof(base));
	cJSON *j;
	t_http_res r;

	REQUIRE(pid > 0);
	j = control_json(base, "/_emulator/limits", NULL);
	CHECK(t_json_num(cJSON_GetObjectItemCaseSensitive(j, "app"),
			 "capacity") == 2);
	CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "vehicle")));
	cJSON_Delete(j);
	tok = t_login(base, "flags@example.com", ALL_SCOPES);
	if (tok && t_fleet(base, "flags@example.com", ids) == 0) {
		vpath(path, sizeof(path), ids[BEV], "/vin");
		CHECK(get_status(base, path, tok, NULL) == 200);
		CHECK(get_status(base, path, tok, NULL) == 200);
		get(&r, base, path, tok, NULL);
		CHECK(r.status == 429);
		CHECK(t_http_header(&r, "retry-after", buf, sizeof(buf)) !=
		      NULL);
		t_http_free(&r);
	} else {
		CHECK(!"login");
	}
	free(tok);
	t_emulator_stop(pid);
}

TEST(emulator_api_requests_log)
{
	const char *base = start();
	char ids[3][40], path[256], *tok;
	const cJSON *list, *last, *h;
	cJSON *j;
	t_http_res r;

	REQUIRE(base);
	tok = t_login_fleet(base, "log@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);
	CHECK(control_status(base, "DELETE", "/_emulator/requests", NULL) == 200);
	vpath(path, sizeof(path), ids[BEV], "/security");
	req(&r, "POST", base, path, tok, NULL, "{\"action\":\"LOCK\"}",
	    "X-Test-Marker: Hello");
	t_http_free(&r);
	vpath(path, sizeof(path), ids[BEV], "/permissions?limit=2");
	get(&r, base, path, tok, NULL);
	t_http_free(&r);
	j = control_json(base, "/_emulator/requests", NULL);
	list = cJSON_GetObjectItemCaseSensitive(j, "requests");
	CHECK(cJSON_GetArraySize(list) == 2); /* control calls are not logged */
	last = cJSON_GetArrayItem(list, 0);
	t_shape("logged", last,
		"method:s,path:s,query:o,headers:o,body:sz,"
		"status:n,time:n");
	CHECK_STR(t_json_str(last, "method"), "POST");
	CHECK_STR(t_json_str(last, "body"), "{\"action\":\"LOCK\"}");
	CHECK(t_json_num(last, "status") == 200);
	h = cJSON_GetObjectItemCaseSensitive(last, "headers");
	CHECK_STR(t_json_str(h, "x-test-marker"), "Hello");
	CHECK(t_json_str(h, "authorization") != NULL);
	last = cJSON_GetArrayItem(list, 1);
	CHECK_STR(t_json_str(cJSON_GetObjectItemCaseSensitive(last, "query"),
			     "limit"),
		  "2");
	CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(last, "body")));
	cJSON_Delete(j);
	CHECK(control_status(base, "DELETE", "/_emulator/requests", NULL) == 200);
	CHECK(control_count(base, "/_emulator/requests", "requests") == 0);
	free(tok);
}

TEST(emulator_api_reset_clears_everything)
{
	const char *base = start();
	char ids[3][40], again[3][40];
	cJSON *j;

	REQUIRE(base);
	REQUIRE(t_fleet(base, "reset@example.com", ids) == 0);
	t_set_vehicle(base, ids[ICE],
		      "{\"locked\": false, \"odometer_km\": 5}");
	free(add_fault(base, "{\"fault\":{\"type\":\"asleep\"}}"));
	control(base, "/_emulator/limits",
		"{\"vehicle\":{\"min_interval_s\":5}}");
	control(base, "/_emulator/clock", "{\"advance\": 100, \"freeze\": true}");
	control(base, "/_emulator/reset", "{}");
	CHECK(control_count(base, "/_emulator/faults", "faults") == 0);
	j = control_json(base, "/_emulator/limits", NULL);
	CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "vehicle")));
	cJSON_Delete(j);
	j = control_json(base, "/_emulator/clock", NULL);
	CHECK(t_json_num(j, "offset") == 0);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "frozen")));
	cJSON_Delete(j);
	CHECK(control_count(base, "/_emulator/vehicles", "vehicles") == 0);
	REQUIRE(t_fleet(base, "reset@example.com", again) == 0);
	CHECK_STR(again[ICE], ids[ICE]);
	CHECK(state_locked(base, ids[ICE]) == 1);
}

/* The same seed and the same clock give the same fleet and answers. */
TEST(emulator_api_determinism)
{
	static const char *const args[] = {"--seed", "42", NULL};
	static const char *const subs[] = {
		"", "/vin", "/odometer", "/location", "/battery", "/charge",
		"/tires/pressure", "/security", "/service/history",
		"/diagnostics/system_status", "/diagnostics/dtcs",
		"/battery/nominal_capacity", "/tesla/compass"};
	char url[2][256], ids[2][3][40], path[256], age[2][40];
	char *tok[2] = {NULL, NULL}, *listing[2] = {NULL, NULL};
	const char *mine = start();
	char mine_ids[3][40];
	pid_t pid[2];
	int e, k;
	size_t i;

	REQUIRE(mine);
	pid[0] = t_emulator_spawn(args, url[0], sizeof(url[0]));
	pid[1] = t_emulator_spawn(args, url[1], sizeof(url[1]));
	REQUIRE(pid[0] > 0 && pid[1] > 0);
	for (e = 0; e < 2; e++) {
		control(url[e], "/_emulator/clock",
			"{\"set\": 1714564800, \"freeze\": true}");
		tok[e] = t_login(url[e], "same@example.com", ALL_SCOPES);
		CHECK(tok[e] != NULL);
		CHECK(t_fleet(url[e], "same@example.com", ids[e]) == 0);
	}
	for (k = 0; k < 3; k++)
		CHECK_STR(ids[0][k], ids[1][k]);
	/* another seed, other ids */
	REQUIRE(t_fleet(mine, "same@example.com", mine_ids) == 0);
	CHECK(strcmp(mine_ids[BEV], ids[0][BEV]) != 0);

	for (int round = 0; round < 2 && tok[0] && tok[1]; round++) {
		if (round == 1) /* drive for 90 min on both */
			for (e = 0; e < 2; e++) {
				t_set_vehicle(url[e], ids[e][BEV],
					      "{\"driving\": true}");
				t_set_vehicle(url[e], ids[e][ICE],
					      "{\"driving\": true}");
				control(url[e], "/_emulator/clock",
					"{\"advance\": 5400}");
			}
		for (k = 0; k < 3; k++)
			for (i = 0; i < sizeof(subs) / sizeof(*subs); i++) {
				t_http_res r[2];
				for (e = 0; e < 2; e++) {
					vpath(path, sizeof(path), ids[e][k], subs[i]);
					get(&r[e], url[e], path, tok[e], "imperial");
				}
				CHECK(r[0].status == r[1].status);
				if (r[0].status == 200) {
					CHECK_STR(r[0].body, r[1].body);
					CHECK_STR(t_http_header(&r[0],
								"sc-data-age",
								age[0], 40),
						  t_http_header(&r[1],
								"sc-data-age",
								age[1], 40));
				}
				t_http_free(&r[0]);
				t_http_free(&r[1]);
			}
	}
	for (e = 0; e < 2; e++) {
		snprintf(path, sizeof(path), "/_emulator/vehicles?email=%s",
			 "same@example.com");
		listing[e] = t_control_at(url[e], path, NULL);
	}
	CHECK_STR(listing[0], listing[1]);
	for (e = 0; e < 2; e++) {
		free(listing[e]);
		free(tok[e]);
		t_emulator_stop(pid[e]);
	}
}

/* /v1.0: the same reads, errors in the v1.0 shape {error, message, code}
 * (plus statusCode and requestId), in batch sub-responses too. */
TEST(emulator_api_v1_errors)
{
	const char *base = start();
	char ids[3][40], path[256], *tok;
	t_http_res r;

	REQUIRE(base);
	tok = t_login_fleet(base, "v1@example.com", ALL_SCOPES, ids);
	REQUIRE(tok);

	snprintf(path, sizeof(path), "/v1.0/vehicles/%s/odometer", ids[BEV]);
	get(&r, base, path, tok, NULL);
	CHECK(r.status == 200);
	t_shape("v1 odometer", r.json, "distance:n");
	t_http_free(&r);

	get(&r, base, path, "not-a-token", NULL);
	CHECK(r.status == 401);
	t_shape("v1 401", r.json, "error:s,message:s,statusCode:n,requestId:s");
	CHECK_STR(t_json_str(r.json, "error"), "authentication_error");
	t_http_free(&r);

	snprintf(path, sizeof(path), "/v1.0/vehicles/%s/fuel", ids[BEV]);
	get(&r, base, path, tok, NULL);
	CHECK(r.status == 501);
	t_shape("v1 501", r.json,
		"error:s,message:s,code:s,statusCode:n,requestId:s");
	CHECK_STR(t_json_str(r.json, "error"), "vehicle_not_capable_error");
	CHECK_STR(t_json_str(r.json, "message"),
		  "Vehicle is not capable of performing request.");
	CHECK_STR(t_json_str(r.json, "code"), "VEHICLE_NOT_CAPABLE");
	t_http_free(&r);

	get(&r, base, "/v1.0/vehicles/bad_id/odometer", tok, NULL);
	CHECK(r.status == 400);
	CHECK_STR(t_json_str(r.json, "error"), "validation_error");
	CHECK(t_json_get(r.json, "type") == NULL);
	t_http_free(&r);

	snprintf(path, sizeof(path), "/v1.0/vehicles/%s/batch", ids[BEV]);
	req(&r, "POST", base, path, tok, NULL,
	    "{\"requests\":[{\"path\":\"/odometer\"},{\"path\":\"/fuel\"}]}",
	    NULL);
	CHECK(r.status == 200);
	{
		const cJSON *resp = t_json_get(r.json, "responses");
		const cJSON *fuel = cJSON_GetArrayItem(resp, 1);
		CHECK(t_json_num(fuel, "code") == 501);
		CHECK_STR(t_json_str(t_json_get(fuel, "body"), "error"),
			  "vehicle_not_capable_error");
	}
	t_http_free(&r);

	/* v2 keeps its shape */
	snprintf(path, sizeof(path), "/v2.0/vehicles/%s/fuel", ids[BEV]);
	get(&r, base, path, tok, NULL);
	CHECK_STR(t_json_str(r.json, "type"), "COMPATIBILITY");
	t_http_free(&r);
	free(tok);
}

TEST(emulator_control_refuses_parts_a_vehicle_lacks)
{
	static const char *const lacks[][3] = {
		/* kind (0 BEV, 2 ICE), body, the message's end */
		{ "2", "{\"percent_remaining\":0.5}", "no traction battery." },
		{ "2", "{\"charge_limit\":0.8}", "no traction battery." },
		{ "0", "{\"fuel_percent\":0.5}", "no fuel tank." },
		{ "0", "{\"oil_life\":0.5}", "no engine oil." },
	};
	const char *base = start();
	char ids[3][40], path[128];
	size_t i;
	cJSON *j;

	REQUIRE(base);
	REQUIRE(t_fleet(base, "parts@example.com", ids) == 0);
	for (i = 0; i < sizeof(lacks) / sizeof(*lacks); i++) {
		const cJSON *d;
		snprintf(path, sizeof(path), "/_emulator/vehicles/%s",
			 ids[lacks[i][0][0] - '0']);
		j = t_control_json(base, "POST", path, lacks[i][1]);
		d = cJSON_GetArrayItem(t_json_get(j, "detail"), 0);
		CHECK(t_json_num(j, "statusCode") == 400);
		CHECK_CONTAINS(t_json_str(d, "message"), lacks[i][2]);
		cJSON_Delete(j);
	}
	/* and the ICE car takes its own */
	snprintf(path, sizeof(path), "/_emulator/vehicles/%s", ids[2]);
	j = t_control_json(base, "POST", path,
			   "{\"oil_life\":0.5,\"fuel_percent\":0.25}");
	CHECK(t_json_num(t_json_get(j, "state"), "fuel_percent") == 0.25);
	cJSON_Delete(j);
}
