/* The sans-IO operation: request building and response/error mapping with
 * canned responses.  No sockets. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "test.h"

#define ORIGIN "https://api.example.com"

static sc_op *start(sc_client *c, const char *ep, sc_params *p,
		    const sc_request **req)
{
	sc_op *op = NULL;
	sc_error *err = NULL;
	int rc = sc_op_new(&op, c, ep, p, &err);
	if (rc < 0) {
		fprintf(stderr, "  op_new: %s\n", sc_error_message(err));
		sc_error_free(err);
		return NULL;
	}
	if (sc_op_next(op, req) != SC_STEP_SEND) {
		sc_op_free(op);
		return NULL;
	}
	return op;
}

static sc_params *odo_params(const char *units)
{
	/* these tests look at one exchange; test_retry.c covers retries */
	sc_params *p = T_PARAMS("vehicle_id", "veh-1", "access_token",
				"tok-SECRET-1", "max_attempts", "1");
	if (units)
		sc_params_set(p, "unit_system", units);
	return p;
}

/* A test's client (for ORIGIN) and parameters, and its op (with the
 * request it asks to send) or the result of its last exchange: each
 * freed by the next one and by fx_free. */
struct fx {
	sc_client *c;
	sc_params *p;
	sc_op *op;
	const sc_request *req;
	sc_result *res;
	int rc; /* sc_op_result's code for res */
};

static void fx_free(struct fx *f)
{
	sc_result_free(f->res);
	sc_op_free(f->op);
	sc_params_free(f->p);
	sc_client_free(f->c);
}

/* Run one op against one canned response. */
static sc_result *run(sc_client *c, const char *ep, sc_params *p,
		      sc_response *resp, int *rc_out)
{
	const sc_request *req;
	sc_op *op = start(c, ep, p, &req);
	sc_result *res = NULL;
	int rc;

	if (!op) {
		sc_response_free(resp);
		return NULL;
	}
	CHECK(sc_op_feed(op, resp) == 0);
	CHECK(sc_op_next(op, &req) == SC_STEP_DONE);
	rc = sc_op_result(&res, op);
	if (rc_out)
		*rc_out = rc;
	sc_op_free(op);
	return res;
}

/* f's op for ep with f->p, at its first request (f->req), or NULL. */
static sc_op *fx_start(struct fx *f, const char *ep)
{
	sc_op_free(f->op);
	f->op = start(f->c, ep, f->p, &f->req);
	return f->op;
}

/* f's exchange of ep with f->p against resp: its result in f->res, and
 * sc_op_result's code (f->rc), or -99 when there is no result. */
static int fx_run(struct fx *f, const char *ep, sc_response *resp)
{
	f->rc = -99;
	sc_result_free(f->res);
	f->res = run(f->c, ep, f->p, resp, &f->rc);
	return f->res ? f->rc : -99;
}

/* The error of f's exchange of ep against resp, or NULL. */
static const sc_error *fx_error(struct fx *f, const char *ep,
				sc_response *resp)
{
	fx_run(f, ep, resp);
	return sc_result_error(f->res);
}

/* The error code of f's exchange of ep against resp (0: it succeeded). */
static int fx_code(struct fx *f, const char *ep, sc_response *resp)
{
	fx_run(f, ep, resp);
	return sc_error_code(sc_result_error(f->res));
}

/* A canned response with the header lines kv (name, value, ..., NULL). */
static sc_response *canned(int status, const char *type, const char *body,
			   const char *const *kv)
{
	sc_response *r = t_response(status, type, body);

	for (; *kv; kv += 2)
		sc_response_add_header(r, kv[0], kv[1]);
	return r;
}
#define CANNED(status, type, body, ...)                                \
	canned((status), (type), (body), (const char *const[]){__VA_ARGS__, NULL})

TEST(op_odometer_request)
{
	struct fx f = { t_client(ORIGIN, NULL), odo_params("imperial") };
	const sc_request *req;
	size_t len = 99;

	REQUIRE(fx_start(&f, "odometer"));
	req = f.req;
	CHECK_STR(sc_request_method(req), "GET");
	CHECK_STR(sc_request_url(req), ORIGIN "/v2.0/vehicles/veh-1/odometer");
	CHECK_STR(sc_request_header(req, "authorization"),
		  "Bearer tok-SECRET-1");
	CHECK_STR(sc_request_header(req, "SC-Unit-System"), "imperial");
	CHECK_CONTAINS(sc_request_header(req, "User-Agent"), "libsmartcar/");
	sc_request_body(req, &len);
	CHECK(len == 0);
	CHECK(sc_request_timeout_ms(req) > 0);
	CHECK(sc_request_connect_timeout_ms(req) > 0);
	fx_free(&f);
}

TEST(op_vehicles_paging_version_flags_timeouts)
{
	struct fx f = { t_client(ORIGIN, NULL), NULL };
	const sc_request *req;

	f.p = T_PARAMS("access_token", "t0ken-abc");
	sc_params_set_int(f.p, "limit", 5);
	sc_params_set_int(f.p, "offset", 10);
	sc_params_set(f.p, "version", "1.0");
	sc_params_set(f.p, "flags", "country:DE");
	sc_params_set(f.p, "timeout_ms", "1234");
	sc_params_set(f.p, "connect_timeout_ms", "77");
	REQUIRE(fx_start(&f, "get_vehicles"));
	req = f.req;
	CHECK_STR(sc_request_url(req), ORIGIN "/v1.0/vehicles?limit=5&offset=10"
				       "&flags=country%3ADE");
	CHECK(sc_request_header(req, "sc-unit-system") == NULL);
	CHECK(sc_request_timeout_ms(req) == 1234);
	CHECK(sc_request_connect_timeout_ms(req) == 77);
	fx_free(&f);
}

TEST(op_token_requests)
{
	struct fx f = { t_client(ORIGIN, NULL), NULL };
	const sc_request *req;
	size_t len;

	f.p = T_PARAMS("code", "the code/1", "flags", "pizza:pasta");
	REQUIRE(fx_start(&f, "exchange_code"));
	req = f.req;
	CHECK_STR(sc_request_method(req), "POST");
	CHECK_STR(sc_request_url(req),
		  ORIGIN "/oauth/token?flags=pizza%3Apasta");
	/* base64("8229df9f-91a0-4ff0-a1ae-a1f38ee24d07:emulator-client-secret") */
	CHECK_STR(sc_request_header(req, "Authorization"),
		  "Basic ODIyOWRmOWYtOTFhMC00ZmYwLWExYWUtYTFmMzhlZTI0ZDA3OmVtdWxh"
		  "dG9yLWNsaWVudC1zZWNyZXQ=");
	CHECK_STR(sc_request_header(req, "Content-Type"),
		  "application/x-www-form-urlencoded");
	CHECK_STR(sc_request_body(req, &len),
		  "grant_type=authorization_code&code=the%20code%2F1"
		  "&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fcallback");
	CHECK(len == strlen(sc_request_body(req, NULL)));
	sc_params_free(f.p);

	f.p = T_PARAMS("refresh_token", "rt-1");
	REQUIRE(fx_start(&f, "exchange_refresh_token"));
	CHECK_STR(sc_request_body(f.req, NULL),
		  "grant_type=refresh_token&refresh_token=rt-1");
	fx_free(&f);
}

TEST(op_auth_origin_may_be_the_token_url)
{
	static const char *const origins[] = {
		"http://127.0.0.1:9/oauth/token", "http://127.0.0.1:9/"
	};
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	size_t i;

	o.client_id = "id";
	o.client_secret = "secret";
	for (i = 0; i < 2; i++) {
		sc_client *c = NULL;
		o.auth_origin = origins[i];
		REQUIRE(sc_client_new(&c, &o, NULL) == 0);
		CHECK_STR(sc_client_get(c, "auth_url"),
			  "http://127.0.0.1:9/oauth/token");
		sc_client_free(c);
	}
}

TEST(op_argument_errors)
{
	struct fx f = { t_client(ORIGIN, NULL), odo_params("furlongs") };
	sc_op *op = NULL;
	sc_error *err = NULL;

	CHECK(sc_op_new(&op, f.c, "odometer", f.p, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "unit_system");
	sc_error_free(err);
	err = NULL;
	sc_params_set(f.p, "unit_system", NULL);
	sc_params_set(f.p, "vehicle_id", NULL);
	CHECK(sc_op_new(&op, f.c, "odometer", f.p, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "vehicle_id");
	sc_error_free(err);
	err = NULL;
	sc_params_set(f.p, "vehicle_id", "v");
	sc_params_set(f.p, "access_token", "a\r\nX-Evil: 1");
	CHECK(sc_op_new(&op, f.c, "odometer", f.p, &err) == SC_EINVAL);
	sc_error_free(err);
	err = NULL;
	sc_params_set(f.p, "access_token", "ok-token");
	sc_params_set(f.p, "version", "vJohnny");
	CHECK(sc_op_new(&op, f.c, "odometer", f.p, &err) == SC_EINVAL);
	sc_error_free(err);
	err = NULL;
	CHECK(sc_op_new(&op, f.c, "no_such_endpoint", f.p, &err) == SC_EINVAL);
	sc_error_free(err);
	err = NULL;
	sc_params_free(f.p);
	f.p = T_PARAMS("access_token", "t", "limit", "-1");
	CHECK(sc_op_new(&op, f.c, "get_vehicles", f.p, &err) == SC_EINVAL);
	CHECK(op == NULL);
	sc_error_free(err);
	err = NULL;
	sc_params_free(f.p);
	f.p = T_PARAMS("user_id", "u", "page", "00");
	CHECK(sc_op_new(&op, f.c, "list_connections", f.p, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "page must be a positive");
	sc_error_free(err);
	err = NULL;
	sc_params_set(f.p, "page", "2");
	sc_params_set(f.p, "page_size", "0");
	CHECK(sc_op_new(&op, f.c, "list_connections", f.p, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "page_size must be a positive");
	sc_error_free(err);
	fx_free(&f);
}

TEST(op_success_with_meta)
{
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };
	double d = 0;

	REQUIRE(fx_run(&f, "odometer",
		       CANNED(200, "application/json; charset=utf-8",
			      "{\"distance\": 37829.2}",
			      "sc-data-age", "2018-06-20T01:33:37.078Z",
			      "SC-Unit-System", "metric",
			      "SC-Request-Id", "rid-1",
			      "SC-Fetched-At", "2018-06-20T01:33:38.000Z")) ==
		0);
	CHECK(sc_result_get_number(f.res, "distance", &d) == 0 &&
	      d == 37829.2);
	CHECK_RESULT_STRINGS(f.res,
			"meta.data_age", "2018-06-20T01:33:37.078Z",
			"meta.unit_system", "metric",
			"meta.request_id", "rid-1",
			"meta.fetched_at", "2018-06-20T01:33:38.000Z");
	fx_free(&f);
}

/* A batch answer: /odometer with SC-* headers of its own, /fuel without. */
static const char batch_body[] =
	"{\"responses\": [{\"path\": \"/odometer\", \"code\": 200, \"headers\":"
	" {\"sc-data-age\": \"2018-06-20T01:33:37Z\", \"SC-Unit-System\":"
	" \"metric\", \"sc-fetched-at\": \"2018-06-20T01:33:38Z\"}, \"body\":"
	" {\"distance\": 1}}, {\"path\": \"/fuel\", \"code\": 200, \"body\":"
	" {\"amountRemaining\": 2}}]}";

/* Each batch answer's meta comes from its own headers (any case), its
 * request id from the batch's. */
TEST(op_batch_answers_carry_their_meta)
{
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };

	sc_params_set(f.p, "paths", "/odometer /fuel");
	REQUIRE(fx_run(&f, "batch", CANNED(200, "application/json", batch_body,
					   "SC-Request-Id", "rid-batch")) == 0);
	CHECK_RESULT_STRINGS(f.res, "meta.request_id", "rid-batch",
		"responses.0.data.meta.data_age", "2018-06-20T01:33:37Z",
		"responses.0.data.meta.unit_system", "metric",
		"responses.0.data.meta.fetched_at", "2018-06-20T01:33:38Z",
		"responses.0.data.meta.request_id", "rid-batch",
		"responses.1.data.meta.request_id", "rid-batch");
	CHECK(!sc_result_get_string(f.res, "responses.1.data.meta.data_age"));
	fx_free(&f);
}

TEST(op_snake_cases_body_keys)
{
	struct fx f = { t_client(ORIGIN, NULL), NULL };
	char *json = NULL;

	f.p = T_PARAMS("access_token", "tok-x");
	fx_run(&f, "get_vehicles",
	       t_response(200, "application/json",
			  "{\"paging\":{\"count\":2,\"offset\":0},"
			  "\"vehicles\":[\"a\",\"b\"],\"percentRemaining\":1,"
			  "\"docURL\":\"u\",\"isPluggedIn\":true}"));
	REQUIRE(f.res);
	sc_result_to_json(&json, f.res);
	CHECK_CONTAINS(json, "\"percent_remaining\":1");
	CHECK_CONTAINS(json, "\"doc_url\":\"u\"");
	CHECK_CONTAINS(json, "\"is_plugged_in\":true");
	CHECK_STR(sc_result_get_string(f.res, "vehicles.1"), "b");
	sc_free(json);
	fx_free(&f);
}

TEST(op_token_response)
{
	struct fx f = { t_client(ORIGIN, NULL), NULL };
	sc_result *res;
	double exp = 0, rexp = 0, now = (double)time(NULL), ei = 0;

	f.p = T_PARAMS("code", "code-1");
	fx_run(&f, "exchange_code",
	       t_response(200, "application/json",
			  "{\"access_token\":\"AT\",\"token_type\":\"Bearer\","
			  "\"expires_in\":7200,\"refresh_token\":\"RT\"}"));
	REQUIRE((res = f.res));
	CHECK_RESULT_STRINGS(res, "access_token", "AT", "refresh_token", "RT",
			"token_type", "Bearer");
	CHECK(sc_result_get_number(res, "expires_in", &ei) == 0 && ei == 7200);
	CHECK(sc_result_get_number(res, "expiration", &exp) == 0);
	CHECK(exp >= now + 7199 && exp <= now + 7202);
	CHECK(sc_result_get_number(res, "refresh_expiration", &rexp) == 0);
	CHECK(rexp >= now + 60 * 86400 - 1 && rexp <= now + 60 * 86400 + 2);

	CHECK(fx_code(&f, "exchange_code",
		      t_response(200, "application/json",
				 "{\"access_token\":\"AT\"}")) == SC_EMALFORMED);
	fx_free(&f);
}

TEST(op_v2_error_body_every_field)
{
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };
	sc_response *r = t_response(429, "application/json",
		"{\"type\":\"RATE_LIMIT\",\"code\":\"VEHICLE\",\"description\":"
		"\"slow down\",\"docURL\":\"https://smartcar.com/docs/errors/"
		"api-errors/rate-limit-errors#vehicle\",\"statusCode\":429,"
		"\"requestId\":\"rid-9\",\"resolution\":{\"type\":"
		"\"RETRY_LATER\"},\"suggestedUserMessage\":\"wait\","
		"\"detail\":[{\"field\":\"f\",\"message\":\"m\"}]}");
	const sc_error *e;
	const cJSON *obj;

	sc_response_add_header(r, "Retry-After", "30");
	REQUIRE((e = fx_error(&f, "odometer", r)));
	CHECK(f.rc == SC_EAPI);
	CHECK_ERROR_FIELDS(e, "kind", "api", "type", "RATE_LIMIT",
			"code", "VEHICLE", "description", "slow down",
			"request_id", "rid-9", "resolution_type", "RETRY_LATER");
	CHECK_CONTAINS(sc_error_get(e, "doc_url"), "rate-limit-errors#vehicle");
	CHECK(sc_error_get(e, "resolution_url") == NULL);
	CHECK_STR(sc_error_get(e, "suggested_user_message"), "wait");
	CHECK(sc_error_status_code(e) == 429);
	CHECK(sc_error_retry_after(e) == 30);
	CHECK(sc_error_attempts(e) == 1);
	CHECK_STR(sc_error_message(e), "RATE_LIMIT:VEHICLE - slow down");
	obj = sc_error_object(e);
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(obj, "detail")));
	fx_free(&f);
}

TEST(op_v2_error_null_code_and_header_request_id)
{
	/* no code, no resolution type, the request id only in a header */
	static const char body[] =
		"{\"type\":\"AUTHENTICATION\",\"code\":null,\"description\":"
		"\"bad token\",\"docURL\":\"d\",\"resolution\":{\"type\":null}}";
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };
	const sc_error *e;

	REQUIRE((e = fx_error(&f, "odometer",
			      CANNED(401, "application/json", body,
				     "SC-Request-Id", "hdr-rid"))));
	CHECK(sc_error_get(e, "code") == NULL);
	CHECK_STR(sc_error_message(e), "AUTHENTICATION - bad token");
	CHECK_ERROR_FIELDS(e, "request_id", "hdr-rid");
	CHECK(sc_error_status_code(e) == 401);
	CHECK(sc_error_retry_after(e) == -1);
	fx_free(&f);
}

TEST(op_oauth_error_is_redacted)
{
	struct fx f = { t_client(ORIGIN, NULL), NULL };
	const sc_error *e;
	const char *const secrets[] = { "c0de-SECRET-77", T_CLIENT_SECRET };

	f.p = T_PARAMS("code", "c0de-SECRET-77");
	REQUIRE((e = fx_error(&f, "exchange_code",
			      t_response(400, "application/json",
					 "{\"error\":\"invalid_grant\","
					 "\"error_description\":"
					 "\"Invalid code: c0de-SECRET-77.\"}"))));
	CHECK(f.rc == SC_EOAUTH);
	CHECK_ERROR_FIELDS(e, "type", "invalid_grant",
			   "description", "Invalid code: [REDACTED].");
	CHECK(sc_error_status_code(e) == 400);
	CHECK(t_result_clean(f.res, secrets, 2));
	fx_free(&f);
}

TEST(op_v1_error_body)
{
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };
	const sc_error *e;

	REQUIRE((e = fx_error(&f, "odometer",
			      t_response(501, "application/json",
					 "{\"error\":"
					 "\"vehicle_not_capable_error\","
					 "\"message\":\"Vehicle is not capable "
					 "of performing request.\","
					 "\"code\":\"VNC_1\",\"requestId\":\"r1\"}"))));
	CHECK(sc_error_code(e) == SC_EAPI);
	CHECK_ERROR_FIELDS(e, "type", "vehicle_not_capable_error",
			"code", "VNC_1", "request_id", "r1", "description",
			"Vehicle is not capable of performing request.");
	CHECK(sc_error_status_code(e) == 501);
	fx_free(&f);
}

TEST(op_non_json_and_malformed_bodies)
{
	/* bodies that are not the JSON they claim, and what each becomes */
	static const struct {
		int status;
		const char *body;
		int code;
	} bad[] = {
		{ 500, "{\"type\": ", SC_EMALFORMED },
		{ 200, "{\"distance\": 1} junk", SC_EMALFORMED },
		{ 200, "42", SC_EMALFORMED },
		{ 418, "{\"what\": 1}", SC_EHTTP },
	};
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };
	const sc_error *e;
	size_t i;

	REQUIRE((e = fx_error(&f, "odometer",
			      CANNED(504, "text/html",
				     "<html>Gateway\nTimeout</html>",
				     "SC-Request-Id", "rid-504"))));
	CHECK(sc_error_code(e) == SC_EHTTP);
	CHECK(sc_error_status_code(e) == 504);
	CHECK_STR(sc_error_get(e, "request_id"), "rid-504");
	CHECK_CONTAINS(sc_error_message(e), "HTTP 504");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(fx_code(&f, "odometer",
			      t_response(bad[i].status, "application/json",
					 bad[i].body)) == bad[i].code);
	fx_free(&f);
}

TEST(op_body_cap_and_transport_failures)
{
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };
	sc_response *r = NULL;
	sc_op *op;
	char big[64];

	memset(big, 'x', sizeof(big));
	sc_response_new(&r, 16);
	sc_response_set_status(r, 200);
	CHECK(sc_response_append_body(r, big, sizeof(big)) == SC_ETOOBIG);
	CHECK(fx_code(&f, "odometer", r) == SC_ETOOBIG);
	sc_result_free(f.res);
	f.res = NULL;

	REQUIRE((op = fx_start(&f, "odometer")));
	CHECK(sc_op_fail(op, SC_ETIMEOUT, "timed out after 5 ms") == 0);
	CHECK(sc_op_fail(op, SC_ETIMEOUT, "again") == SC_EMISUSE);
	CHECK(sc_op_result(&f.res, op) == SC_ETIMEOUT);
	CHECK_STR(sc_error_get(sc_result_error(f.res), "kind"), "timeout");
	CHECK(sc_error_attempts(sc_result_error(f.res)) == 1);
	fx_free(&f);
}

TEST(op_misuse)
{
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };
	sc_op *op = NULL;
	sc_result *res = NULL;

	REQUIRE(sc_op_new(&op, f.c, "odometer", f.p, NULL) == 0);
	/* feed before next */
	CHECK(sc_op_feed(op, t_response(200, "application/json", "{}")) ==
	      SC_EMISUSE);
	CHECK(sc_op_result(&res, op) == SC_EMISUSE);
	CHECK(res == NULL);
	sc_op_free(op);
	sc_op_free(NULL);
	fx_free(&f);
}

/* {"distance": [[...]]} nested `levels` deep, the object included. */
static char *nested_body(int levels)
{
	char *b = malloc(2 * (size_t)levels + 32);
	int at = sprintf(b, "{\"distance\":"), k;

	for (k = 1; k < levels; k++)
		b[at++] = '[';
	for (k = 1; k < levels; k++)
		b[at++] = ']';
	strcpy(b + at, "}");
	return b;
}

TEST(op_json_deeper_than_the_limit_is_malformed)
{
	/* bindings convert JSON recursively: a server must not choose the
	 * depth (64 levels are read, 65 and 999 are not) */
	sc_client *c = t_client(ORIGIN, NULL);
	int levels[] = { 3, 64, 65, 999 }, i;

	for (i = 0; i < 4; i++) {
		sc_params *p = odo_params(NULL);
		char *body = nested_body(levels[i]);
		int rc = 1;
		sc_result *res = run(c, "odometer", p,
				     t_response(200, "application/json", body),
				     &rc);
		CHECK(levels[i] <= 64 ? rc == 0 : rc == SC_EMALFORMED);
		sc_result_free(res);
		sc_params_free(p);
		free(body);
	}
	sc_client_free(c);
}

/* API v3: a raw result holds every response header (repeats of a name in
 * any case joined with ", "); a typed result reads a single resource
 * sent at the top level under "data", as the wrapped form. */
TEST(op_v3_raw_headers_and_top_level_resource)
{
	static const char bare[] =
		"{\"id\":\"closure-islocked\",\"type\":\"signal\","
		"\"attributes\":{\"body\":{\"value\":true}},"
		"\"meta\":{\"retrievedAt\":1752104218549}}";
	struct fx f = { t_client(ORIGIN, NULL), odo_params(NULL) };
	sc_result *res;
	const cJSON *h;
	double ms = 0;

	sc_params_set(f.p, "signal_code", "closure-islocked");
	sc_params_set(f.p, "raw_body", "true");
	REQUIRE(fx_code(&f, "get_signal",
			CANNED(200, "application/json", bare, "Vary", "Accept",
			       "SC-Request-Id", "rid-1", "vary", "Origin")) ==
		0);
	REQUIRE((res = f.res));
	h = cJSON_GetObjectItemCaseSensitive(sc_result_data(res), "headers");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			  h, "Vary")), "Accept, Origin");
	CHECK(cJSON_GetObjectItemCaseSensitive(h, "vary") == NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			  h, "SC-Request-Id")), "rid-1");
	CHECK_CONTAINS(cJSON_GetStringValue(cJSON_GetObjectItem(
			       h, "content-type")), "application/json");
	/* the body as sent: no "data" added */
	CHECK_STR(sc_result_get_string(res, "body.id"), "closure-islocked");
	CHECK(sc_result_get_string(res, "body.data.id") == NULL);

	sc_params_set(f.p, "raw_body", "false");
	REQUIRE(fx_code(&f, "get_signal",
			CANNED(200, "application/json", bare,
			       "SC-Request-Id", "rid-2")) == 0);
	REQUIRE((res = f.res));
	CHECK_STR(sc_result_get_string(res, "data.id"), "closure-islocked");
	CHECK(sc_result_get_string(res, "id") == NULL);
	h = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		sc_result_data(res), "data"), "attributes"), "body");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(h, "value")));
	CHECK(sc_result_get_number(res, "data.meta.retrieved_at", &ms) == 0 &&
	      ms == 1752104218549.0);
	CHECK_STR(sc_result_get_string(res, "meta.request_id"), "rid-2");
	CHECK(sc_result_get_string(res, "headers.SC-Request-Id") == NULL);
	fx_free(&f);
}
