/* smartcar/bind.h: parameters, client options and Connect options given
 * as JSON text (what smartcar.resty hands over). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "sc_internal.h"
#include <cjson/cJSON.h>

/* sc_params_from_text of json: its code; the error's message in msg. */
static int params(sc_params **p, const char *json, char *msg, size_t n)
{
	sc_error *err = NULL;
	int rc = sc_params_from_text(p, json, strlen(json), &err);

	snprintf(msg, n, "%s", err ? sc_error_message(err) : "");
	sc_error_free(err);
	return rc;
}

TEST(bind_params_from_text)
{
	static const char *const want[][2] = {
		{ "a", "x y" },	       { "b", "true" },
		{ "c", "false" },      { "n", "1234567890123" },
		{ "f", "0.25" },       { "big", "1e+20" },
		{ "empty", "" },       { "scope", "read_vin read_odometer" },
		{ "flags", "beta:true country:DE" },
	};
	sc_params *p = NULL;
	char msg[200];
	size_t i;

	REQUIRE(params(&p, "{\"a\": \"x y\", \"b\": true, \"c\": false, "
			   "\"n\": 1234567890123, \"f\": 0.25, \"big\": 1e20, "
			   "\"scope\": [\"read_vin\", \"read_odometer\"], "
			   "\"flags\": {\"country\": \"DE\", \"beta\": true}, "
			   "\"none\": null, \"empty\": {}}",
		       msg, sizeof(msg)) == 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(sc_params_get(p, want[i][0]), want[i][1]);
	CHECK(sc_params_get(p, "none") == NULL);
	sc_params_free(p);

	/* what cannot be a parameter names the parameter */
	CHECK(params(&p, "{\"paths\": [\"a\", {\"b\": 1}]}", msg,
		     sizeof(msg)) == SC_EINVAL);
	CHECK(p == NULL);
	CHECK_CONTAINS(msg, "paths:");
	CHECK(params(&p, "{\"x\": {\"y\": 1}}", msg, sizeof(msg)) == SC_EINVAL);
	CHECK_CONTAINS(msg, "parameter 'x'");
	CHECK(params(&p, "{\"flags\": {\"a b\": \"c\"}}", msg, sizeof(msg)) ==
	      SC_EINVAL);
	CHECK_CONTAINS(msg, "flag names");
	CHECK(params(&p, "[1, 2]", msg, sizeof(msg)) == SC_EINVAL);
	CHECK_CONTAINS(msg, "object expected");
	CHECK(params(&p, "{\"a\": ", msg, sizeof(msg)) == SC_EINVAL);
	CHECK_CONTAINS(msg, "JSON object expected");
	CHECK(sc_params_from_text(&p, NULL, 0, NULL) == SC_EINVAL);
	CHECK(sc_params_from_text(NULL, "{}", 2, NULL) == SC_EINVAL);
}

TEST(bind_client_new_text)
{
	const char *good = "{\"client_id\": \"id\", \"timeout_ms\": 5000, "
			   "\"allow_insecure_http\": true, "
			   "\"flags\": {\"country\": \"DE\"}}";
	const char *bad[][2] = {
		{ "{\"timeout_ms\": \"soon\"}", "option 'timeout_ms': non-negative integer" },
		{ "{\"client_id\": 5}", "option 'client_id': string expected" },
		{ "{\"allow_insecure_http\": 1}",
		  "option 'allow_insecure_http': boolean" },
		{ "{\"no_such_option\": 1}", "unknown option 'no_such_option'" },
	};
	sc_client *c = NULL;
	sc_error *err = NULL;
	size_t i;

	REQUIRE(sc_client_new_text(&c, good, strlen(good), &err) == 0);
	CHECK(err == NULL);
	CHECK_STR(sc_client_get(c, "client_id"), "id");
	CHECK_STR(sc_client_get(c, "flags"), "country:DE");
	sc_client_free(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = NULL;
		CHECK(sc_client_new_text(&c, bad[i][0], strlen(bad[i][0]),
					 &err) == SC_EINVAL);
		CHECK(c == NULL);
		CHECK_CONTAINS(err ? sc_error_message(err) : NULL, bad[i][1]);
		sc_error_free(err);
		err = NULL;
	}
}

TEST(bind_auth_params_text)
{
	const char *json = "{\"scope\": [\"read_vin\"], \"make\": \"TESLA\", "
			   "\"single_select\": {\"enabled\": true, "
			   "\"vin\": \"VIN1\"}}";
	const char *off = "{\"single_select\": {\"enabled\": false}}";
	sc_params *p = NULL;
	sc_error *err = NULL;

	REQUIRE(sc_auth_params_text(&p, json, strlen(json), &err) == 0);
	CHECK_STR(sc_params_get(p, "scope"), "read_vin");
	CHECK_STR(sc_params_get(p, "make"), "TESLA");
	/* the table as JSON text: sc_auth_url() reads it (test_auth.c) */
	CHECK_STR(sc_params_get(p, "single_select"),
		  "{\"enabled\":true,\"vin\":\"VIN1\"}");
	sc_params_free(p);
	REQUIRE(sc_auth_params_text(&p, off, strlen(off), &err) == 0);
	CHECK_STR(sc_params_get(p, "single_select"), "{\"enabled\":false}");
	CHECK(sc_params_get(p, "single_select_vin") == NULL);
	sc_params_free(p);
	CHECK(sc_auth_params_text(&p, "{\"nope\": 1}", 11, &err) == SC_EINVAL);
	CHECK(p == NULL);
	CHECK_CONTAINS(err ? sc_error_message(err) : NULL, "unknown option: nope");
	sc_error_free(err);
}

/* The string field of the JSON object text j. */
static const char *field(cJSON *j, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
}

TEST(bind_http1_describe_and_response_headers)
{
	static const char *const want[][2] = {
		{ "host", "api.example.com" },
		{ "server_name", "api.example.com" },
		{ "pool", "https://api.example.com:8443" },
		{ "method", "POST" },
		{ "path", "/v2.0/x" },
		{ "query", "a=b" },
	};
	size_t i;
	sc_request *req = NULL;
	sc_http1 *h = NULL;
	sc_response *resp = NULL;
	const char *hdrs = "{\"Content-Type\": \"application/json\", "
			   "\"Set-Cookie\": [\"a=1\", \"b=2\"]}";
	char *text = NULL;
	cJSON *j;

	REQUIRE(sc__request_new(&req, "POST",
				"https://api.example.com:8443/v2.0/x?a=b") == 0);
	sc__request_add_header(req, "Authorization", "Bearer tok");
	REQUIRE(sc_http1_new(&h, req, 0, NULL) == 0);
	REQUIRE(sc_http1_describe(&text, h) == 0);
	j = cJSON_Parse(text);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(field(j, want[i][0]), want[i][1]);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "tls")));
	CHECK(cJSON_GetObjectItem(j, "port")->valueint == 8443);
	CHECK_STR(field(cJSON_GetObjectItem(j, "headers"), "Authorization"),
		  "Bearer tok");
	CHECK_STR(field(cJSON_GetObjectItem(j, "headers"), "Host"),
		  "api.example.com:8443");
	cJSON_Delete(j);
	sc_free(text);
	sc_http1_free(h);
	sc__request_free(req);
	CHECK(sc_http1_describe(&text, NULL) == SC_EINVAL);

	REQUIRE(sc__request_new(&req, "GET", "http://127.0.0.1:8080/") == 0);
	REQUIRE(sc_http1_new(&h, req, 0, NULL) == 0);
	REQUIRE(sc_http1_describe(&text, h) == 0);
	j = cJSON_Parse(text);
	CHECK(field(j, "server_name") == NULL);
	CHECK(field(j, "query") == NULL);
	CHECK_STR(field(j, "pool"), "http://127.0.0.1:8080");
	cJSON_Delete(j);
	sc_free(text);
	sc_http1_free(h);
	sc__request_free(req);

	REQUIRE(sc_response_new_text(&resp, 0, 201, hdrs, strlen(hdrs)) == 0);
	CHECK(sc_response_status(resp) == 201);
	CHECK_STR(sc_response_header(resp, "content-type"), "application/json");
	CHECK(sc_response_header(resp, "set-cookie") != NULL);
	sc_response_free(resp);
	CHECK(sc_response_new_text(&resp, 0, 200, "[1]", 3) == SC_EINVAL);
	CHECK(resp == NULL);
	CHECK(sc_response_new_text(&resp, 0, 200, "{\"a\": ", 6) ==
	      SC_EINVAL);
	CHECK(sc_response_new_text(&resp, 0, 7, "{}", 2) == SC_EINVAL);
}

TEST(bind_save_tokens_text)
{
	const char *good = "{\"access_token\": \"a\", \"refresh_token\": \"r\", "
			   "\"expiration\": 1700000000}";
	const char *bad = "{\"access_token\": \"a\"}";
	sc_token_store *store = NULL;
	sc_result *res = NULL;
	sc_error *err = NULL;

	REQUIRE(sc_token_store_sqlite_new(&store, ":memory:", NULL) == 0);
	CHECK(sc_token_store_save_tokens_text(store, "k", good, strlen(good),
					      &err) == 0);
	REQUIRE(sc_token_store_load(&res, store, "k", NULL) == 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
			  sc_result_data(res), "refresh_token")),
		  "r");
	sc_result_free(res);
	CHECK(sc_token_store_save_tokens_text(store, "k", bad, strlen(bad),
					      &err) == SC_EINVAL);
	CHECK_CONTAINS(err ? sc_error_message(err) : NULL, "refresh_token");
	sc_error_free(err);
	CHECK(sc_token_store_save_tokens_text(store, "k", "{", 1, &err) ==
	      SC_EINVAL);
	sc_error_free(err);
	sc_token_store_free(store);
}

/* sc_endpoint_args_text of endpoint e and arguments a: the parameters'
 * JSON text (freed by the next call), or the error's message. */
static char *last;
static const char *args_of(const char *e, const char *a, int *rc)
{
	sc_error *err = NULL;

	sc_free(last);
	last = NULL;
	*rc = sc_endpoint_args_text(&last, e, a, strlen(a), &err);
	if (*rc != 0) {
		last = sc__strdup(sc_error_message(err));
		sc_error_free(err);
	}
	return last;
}

TEST(bind_endpoint_args_text)
{
	static const char *const cases[][3] = {
		/* positional arguments under their parameters, options
		 * first (an argument wins) */
		{ "send_destination", "[1.5, 2, {\"timeout_ms\": 5}]",
		  "{\"timeout_ms\":5,\"latitude\":1.5,\"longitude\":2}" },
		{ "unsubscribe", "[\"amt\", \"wh\"]",
		  "{\"management_token\":\"amt\",\"webhook_id\":\"wh\"}" },
		/* a paging or filter table's fields; null is left out */
		{ "get_vehicles", "[null, {\"limit\": 2, \"offset\": 4}]",
		  "{\"limit\":2,\"offset\":4}" },
		{ "list_connections", "[{\"user_id\": \"u\"}, {\"page\": 2}]",
		  "{\"user_id\":\"u\",\"page\":2}" },
		/* a json argument's table as its text */
		{ "charge_schedule_daily", "[{\"a\": [1]}]",
		  "{\"attributes\":\"{\\\"a\\\":[1]}\"}" },
		{ "request", "[\"GET\", \"/x\", null, {\"X-A\": \"1\"}]",
		  "{\"method\":\"GET\",\"path\":\"/x\","
		  "\"headers\":\"{\\\"X-A\\\":\\\"1\\\"}\"}" },
		{ "odometer", "{}", "{}" },
		{ "odometer", "[{\"unit_system\": \"imperial\"}]",
		  "{\"unit_system\":\"imperial\"}" },
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_STR(args_of(cases[i][0], cases[i][1], &rc), cases[i][2]);
		CHECK(rc == 0);
	}
	CHECK_STR(args_of("odometer", "[\"metric\"]", &rc),
		  "odometer: options table expected");
	CHECK(rc == SC_EINVAL);
	CHECK_STR(args_of("no_such_call", "[]", &rc), "unknown endpoint");
	CHECK_STR(args_of("odometer", "{\"a\": 1}", &rc),
		  "arguments: a JSON list expected");
	args_of("odometer", "[]", &rc);
	CHECK(rc == 0);
	sc_free(last);
	last = NULL;
	CHECK(sc_endpoint_args_text(NULL, "odometer", "[]", 2, NULL) ==
	      SC_EINVAL);
}

/* Integral numbers of a tree as raw text, as a binding writes its
 * integers. */
static void raw_ints(cJSON *v)
{
	char num[32];

	for (; v; v = v->next) {
		if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble)) {
			snprintf(num, sizeof(num), "%.0f", v->valuedouble);
			v->type = cJSON_Raw;
			v->valuestring = sc__strdup(num);
		}
		raw_ints(v->child);
	}
}

/* sc_endpoint_args_json of endpoint e, arguments a (JSON text, its
 * integers raw) and how: the parameters' JSON text, or the error's
 * message then " #argument" and " [expected]" when set (freed by the
 * next call). */
static const char *checked(const char *e, const char *a, const char *how)
{
	cJSON *args = cJSON_Parse(a), *out;
	const cJSON *n, *x;
	sc_error *err = NULL;
	char buf[400];

	raw_ints(args);
	out = sc_endpoint_args_json(e, args, how, &err);
	cJSON_Delete(args);
	sc_free(last);
	if (out) {
		last = cJSON_PrintUnformatted(out);
		cJSON_Delete(out);
		CHECK(err == NULL);
		return last;
	}
	n = cJSON_GetObjectItemCaseSensitive(sc_error_object(err), "argument");
	x = cJSON_GetObjectItemCaseSensitive(sc_error_object(err), "expected");
	snprintf(buf, sizeof(buf), "%s #%d [%s]", sc_error_message(err),
		 n ? (int)n->valuedouble : 0, x ? x->valuestring : "");
	CHECK(sc_error_code(err) == SC_EINVAL);
	sc_error_free(err);
	return last = sc__strdup(buf);
}

TEST(bind_endpoint_args_json)
{
	static const char *const cases[][4] = {
		/* each argument under its parameter, as text (an integer as a
		 * number) */
		{ "send_destination", "[1.5, -2]", "lua",
		  "{\"latitude\":\"1.5\",\"longitude\":-2}" },
		{ "unsubscribe", "[\"amt\", \"wh\"]", "python",
		  "{\"management_token\":\"amt\",\"webhook_id\":\"wh\"}" },
		{ "charge_set_limit", "[80]", "lua", "{\"percent\":80}" },
		{ "service_history", "[null, \"2024-01-01\"]", "lua",
		  "{\"end_date\":\"2024-01-01\"}" },
		{ "charge_schedule_daily", "[{\"a\": [1]}]", "lua",
		  "{\"attributes\":\"{\\\"a\\\":[1]}\"}" },
		{ "charge_schedule_daily", "[\"{}\"]", "lua",
		  "{\"attributes\":\"{}\"}" },
		{ "get_compatibility", "[\"V\", [\"read_vin\", \"read_odometer\"]]",
		  "lua",
		  "{\"vin\":\"V\",\"scope\":\"read_vin read_odometer\"}" },
		{ "batch", "[[\"/odometer\", \"\"]]", "python",
		  "{\"paths\":\"[\\\"/odometer\\\",\\\"\\\"]\"}" },
		{ "batch", "[{}]", "lua", "{\"paths\":\"[]\"}" },
		/* paging and filter tables: their fields, null left out */
		{ "get_vehicles", "[\"t\", {\"limit\": 2, \"offset\": null}]",
		  "lua", "{\"access_token\":\"t\",\"limit\":2}" },
		{ "get_connections",
		  "[\"amt\", {\"user_id\": \"u\", \"mode\": \"test\"}, "
		  "{\"cursor\": \"c\"}]",
		  "python",
		  "{\"management_token\":\"amt\",\"user_id\":\"u\","
		  "\"mode\":\"test\",\"cursor\":\"c\"}" },
		/* v3: one query table; a walk has no paging */
		{ "list_webhooks", "[{\"is_enabled\": true, \"page\": 2}]",
		  "lua", "{\"is_enabled\":\"true\",\"page\":2}" },
		{ "get_vehicles", "[\"t\"]", "lua walk",
		  "{\"access_token\":\"t\"}" },
		{ "odometer", "[]", "lua", "{}" },
		/* a path may be empty (the vehicle itself), a string may not */
		{ "request", "[\"GET\", \"\"]", "lua",
		  "{\"method\":\"GET\",\"path\":\"\"}" },
		{ "request", "[\"\", \"odometer\"]", "lua",
		  "method must not be empty #1 []" },
		{ "request", "[\"GET\", 1]", "python",
		  "path: str expected, got int #2 [str]" },
		/* wrong types, in each binding's words */
		{ "send_destination", "[\"1\", 2]", "lua",
		  "latitude: number expected, got string #1 [number]" },
		{ "send_destination", "[1]", "python",
		  "longitude: number expected, got None #2 [number]" },
		{ "charge_set_limit", "[80.5]", "python",
		  "percent: int expected, got float #1 [int]" },
		{ "charge_set_limit", "[-1]", "lua",
		  "percent must be at least 0 #1 []" },
		{ "charge_set_limit", "[1e30]", "lua",
		  "percent is out of range #1 []" },
		{ "subscribe", "[\"\"]", "lua",
		  "webhook_id must not be empty #1 []" },
		{ "subscribe", "[[]]", "python",
		  "webhook_id: str expected, got list #1 [str]" },
		{ "charge_schedule_daily", "[[1]]", "lua",
		  "attributes: table or JSON text expected, got table #1 "
		  "[table or JSON text]" },
		{ "get_compatibility", "[\"V\", [\"a b\"]]", "lua",
		  "scope[1]: non-empty string without spaces expected #2 []" },
		{ "get_compatibility", "[\"V\", \"read_vin\"]", "python",
		  "scope: list of str expected, got str #2 [list of str]" },
		{ "batch", "[[\"/a\", 1]]", "python",
		  "paths[1]: str expected #1 [list of str]" },
		{ "get_vehicles", "[\"t\", {\"limit\": 1.5}]", "lua",
		  "limit: non-negative integer expected, got number #2 "
		  "[non-negative integer]" },
		{ "get_vehicles", "[\"t\", {\"cursor\": \"c\"}]", "lua",
		  "paging: unknown option 'cursor' (expected limit offset) "
		  "#2 []" },
		{ "get_connections", "[\"amt\", null, {\"cursor\": 3}]", "lua",
		  "cursor: string expected, got number #3 [string]" },
		{ "delete_connections", "[\"amt\"]", "lua",
		  "filter: table expected, got nil #2 [table]" },
		{ "delete_connections", "[\"amt\", \"u\"]", "python",
		  "filter: dict expected, got str #2 [dict]" },
		{ "list_webhooks", "[{\"is_enabled\": 1}]", "lua",
		  "is_enabled: boolean expected, got number #1 [boolean]" },
		{ "list_webhooks", "[{\"page\": 0}]", "lua",
		  "page must be at least 1 #1 []" },
		{ "list_webhooks", "[{\"page\": 2}]", "python walk",
		  "query: unknown option 'page' (expected name callback_uri "
		  "is_enabled auto_subscribe) #1 []" },
		{ "get_vehicles", "[\"t\", {\"limit\": 99999999999999999999}]",
		  "python", "limit is out of range #2 []" },
		/* the arguments as one table; page and page_size are >= 1 */
		{ "get_signals", "[{\"page\": 2, \"page_size\": 4}]",
		  "lua table", "{\"page\":2,\"page_size\":4}" },
		{ "get_signals", "[null]", "lua table", "{}" },
		{ "get_signals", "[{\"size\": 2}]", "lua table",
		  "arguments: unknown option 'size' (expected page page_size) "
		  "#1 []" },
		{ "get_signals", "[\"x\"]", "lua table",
		  "arguments: table expected, got string #1 [table]" },
		{ "get_signals", "[{\"page_size\": 0}]", "lua table",
		  "page_size must be at least 1 #1 []" },
		{ "get_signals", "[null, 0]", "python",
		  "page_size must be at least 1 #2 []" },
	};
	cJSON *one = cJSON_CreateArray(), *spec;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(checked(cases[i][0], cases[i][1], cases[i][2]),
			  cases[i][3]);
	/* 1.0 is no integer; 2^63 is out of int64 */
	cJSON_AddItemToArray(one, cJSON_CreateNumber(1.0));
	spec = sc_endpoint_args_json("charge_set_limit", one, "lua", NULL);
	CHECK(spec == NULL);
	cJSON_Delete(one);
	CHECK_STR(checked("send_destination", "[9223372036854775808, 1]",
			  "lua"),
		  "latitude is out of range #1 []");
	CHECK(sc_endpoint_args_json("no_such_call", NULL, "", NULL) == NULL);
	CHECK_STR(checked("odometer", "{\"a\": 1}", "lua"),
		  "arguments: a list expected #0 []");
	/* what a binding's function takes: how many arguments, and the
	 * query parameters its options carry by kind */
	static const char *const specs[][3] = {
		{ "get_compatibility_matrix", "",
		  "{\"options\":{\"make\":\"names\",\"type\":\"text\","
		  "\"scope\":\"list\",\"mode\":\"text\"},\"arguments\":1}" },
		{ "get_compatibility", "lua",
		  "{\"options\":{\"mode\":\"text\","
		  "\"test_mode_compatibility_level\":\"text\"},"
		  "\"arguments\":3}" },
		{ "get_connections", "lua",
		  "{\"options\":{\"mode\":\"text\"},\"arguments\":3}" },
		{ "get_connections", "lua walk",
		  "{\"options\":{\"mode\":\"text\"},\"arguments\":2}" },
		{ "delete_connections", "lua",
		  "{\"options\":{},\"arguments\":2}" },
		{ "list_connections", "lua", "{\"options\":{},\"arguments\":1}" },
		{ "odometer", "lua", "{\"options\":{},\"arguments\":0}" },
	};
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		spec = sc_endpoint_args_spec(specs[i][0], specs[i][1]);
		text = cJSON_PrintUnformatted(spec);
		CHECK_STR(text, specs[i][2]);
		cJSON_free(text);
		cJSON_Delete(spec);
	}
	CHECK(sc_endpoint_args_spec("no_such_call", "lua") == NULL);
	sc_free(last);
	last = NULL;
}

/* sc_fields_json of kinds and values (JSON text, integers raw): the
 * values' JSON text, or the error's message and " [expected]". */
static const char *fields_of(const char *kinds, const char *values,
			     const char *how)
{
	cJSON *k = cJSON_Parse(kinds), *v = cJSON_Parse(values), *out;
	const cJSON *x;
	sc_error *err = NULL;
	char buf[300];

	raw_ints(v);
	out = sc_fields_json(k, v, how, &err);
	cJSON_Delete(k);
	cJSON_Delete(v);
	sc_free(last);
	if (out) {
		last = cJSON_PrintUnformatted(out);
		cJSON_Delete(out);
		return last;
	}
	x = cJSON_GetObjectItemCaseSensitive(sc_error_object(err), "expected");
	snprintf(buf, sizeof(buf), "%s [%s]", sc_error_message(err),
		 x ? x->valuestring : "");
	sc_error_free(err);
	return last = sc__strdup(buf);
}

TEST(bind_fields_json)
{
	static const char *const cases[][4] = {
		{ "{\"a\": \"text\", \"b\": \"count\", \"c\": \"boolean\", "
		  "\"d\": \"string\"}",
		  "{\"a\": \"x\", \"b\": 3, \"c\": true, \"d\": \"\"}", "lua",
		  "{\"a\":\"x\",\"b\":3,\"c\":\"true\",\"d\":\"\"}" },
		{ "{\"f\": \"flags\", \"s\": \"select\", \"j\": \"json\", "
		  "\"h\": \"headers\"}",
		  "{\"f\": {\"country\": \"DE\", \"beta\": true}, "
		  "\"s\": {\"vin\": \"V\"}, \"j\": [1], \"h\": {\"X\": \"1\"}}",
		  "lua",
		  "{\"f\":\"beta:true country:DE\",\"s\":\"{\\\"vin\\\":"
		  "\\\"V\\\"}\",\"j\":\"[1]\",\"h\":\"{\\\"X\\\":\\\"1\\\"}\"}" },
		{ "{\"f\": \"flags\", \"s\": \"select\"}",
		  "{\"f\": \"a:b\", \"s\": false}", "lua",
		  "{\"f\":\"a:b\",\"s\":\"false\"}" },
		{ "{\"m\": \"names\", \"l\": \"list\"}",
		  "{\"m\": \"TESLA\", \"l\": [\"a\", \"b\"]}", "python",
		  "{\"m\":\"TESLA\",\"l\":\"a b\"}" },
		{ "{}", "{}", "lua", "{}" },
		/* wrong values */
		{ "{\"a\": \"text\"}", "{\"a\": \"\"}", "lua",
		  "a must not be empty []" },
		{ "{\"a\": \"text\"}", "{\"a\": null}", "lua",
		  "a: string expected, got nil [string]" },
		{ "{\"p\": \"positive\"}", "{\"p\": 0}", "python",
		  "p must be at least 1 []" },
		{ "{\"f\": \"flags\"}", "{\"f\": {\"a\": {}}}", "lua",
		  "f: string keys and string, number or boolean values "
		  "expected []" },
		{ "{\"f\": \"flags\"}", "{\"f\": {\"a\": \"x y\"}}", "lua",
		  "f: flag values must not contain spaces or control "
		  "characters []" },
		{ "{\"f\": \"flags\"}", "{\"f\": 1}", "python",
		  "f: dict or str expected, got int [dict or str]" },
		{ "{\"s\": \"select\"}", "{\"s\": \"yes\"}", "lua",
		  "s: boolean or table expected, got string "
		  "[boolean or table]" },
		{ "{\"a\": \"any\"}", "{\"a\": 1}", "lua",
		  "a: no such option []" },
		{ "{}", "[1]", "lua", "kinds and values: objects expected []" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(fields_of(cases[i][0], cases[i][1], cases[i][2]),
			  cases[i][3]);
	sc_free(last);
	last = NULL;
}
