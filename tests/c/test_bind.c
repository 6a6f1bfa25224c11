/* smartcar/bind.h: the trees a binding converts whole, and the checks
 * of a token set before it is saved. */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

static const char *str_at(const cJSON *obj, const char *field)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj,
								     field));
}

TEST(bind_endpoint_info_json)
{
	cJSON *info = sc_endpoint_info_json("odometer");
	const char *column;
	size_t i;

	REQUIRE(info != NULL);
	for (i = 0; (column = sc_endpoint_column(i)) != NULL; i++)
		CHECK_STR(str_at(info, column),
			  sc_endpoint_info("odometer", column));
	CHECK(cJSON_GetArraySize(info) == (int)i);
	CHECK_STR(str_at(info, "method"), "GET");
	cJSON_Delete(info);
	CHECK(sc_endpoint_info_json("no_such_endpoint") == NULL);
	CHECK(sc_endpoint_info_json(NULL) == NULL);
}

TEST(bind_call_options_json)
{
	cJSON *o = sc_call_options_json();

	REQUIRE(o);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "timeout_ms")),
		  "count");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "unit_system")),
		  "string");
	CHECK(cJSON_GetObjectItem(o, "flags") == NULL);
	cJSON_Delete(o);
}

TEST(bind_request_json)
{
	sc_client *c = t_client("https://api.example.com", NULL);
	sc_params *p = NULL;
	const sc_request *req = NULL;
	cJSON *j, *h;
	sc_op *op = NULL;

	REQUIRE(c && sc_params_new(&p) == 0);
	sc_params_set(p, "access_token", "tok-1");
	sc_params_set(p, "vehicle_id", "v1");
	REQUIRE(sc_op_new(&op, c, "lock", p, NULL) == 0);
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	j = sc_request_json(req);
	REQUIRE(j != NULL);
	CHECK_STR(str_at(j, "method"), "POST");
	CHECK_STR(str_at(j, "url"), sc_request_url(req));
	CHECK_CONTAINS(str_at(j, "body"), "LOCK");
	h = cJSON_GetObjectItem(j, "headers");
	CHECK(cJSON_GetArraySize(h) == (int)sc_request_header_count(req));
	CHECK(cJSON_GetArraySize(cJSON_GetArrayItem(h, 0)) == 2);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "timeout_ms")) ==
	      (double)sc_request_timeout_ms(req));
	CHECK(cJSON_GetObjectItem(j, "connect_timeout_ms") != NULL);
	cJSON_Delete(j);
	CHECK(sc_request_json(NULL) == NULL);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
}

/* The step and its value, then a response fed as pairs or a map, the
 * result taken once; the faults they name: a status, a header, an op
 * not waiting, not done, or used up. */
TEST(bind_op_next_feed_json)
{
	sc_client *c = t_client("https://api.example.com", NULL);
	sc_params *p = NULL;
	sc_error *err = NULL;
	sc_op *op = NULL;
	sc_result *res = NULL;
	cJSON *v = NULL, *h;

	REQUIRE(c && sc_params_new(&p) == 0);
	sc_params_set(p, "access_token", "tok-1");
	REQUIRE(sc_op_new(&op, c, "get_user", p, NULL) == 0);
	CHECK(sc_op_take_result(&res, op, &err) == SC_EMISUSE);
	CHECK_STR(sc_error_message(err), "the op is not done");
	sc_error_free(err);
	CHECK(sc_op_feed_json(op, 200, NULL, "", 0, &err) == SC_EMISUSE);
	CHECK_CONTAINS(sc_error_message(err), "not waiting");
	sc_error_free(err);
	REQUIRE(sc_op_next_json(op, &v) == SC_STEP_SEND);
	CHECK_STR(str_at(v, "method"), "GET");
	cJSON_Delete(v);

	h = cJSON_Parse("[[\"Content-Type\", \"text/plain\"], [1, \"x\"]]");
	CHECK(sc_op_feed_json(op, 200, h, "{}", 2, &err) == SC_EINVAL);
	CHECK_STR(sc_error_message(err),
		  "header names and values: string expected, got number");
	CHECK_STR(sc_error_get(err, "expected"), "string");
	sc_error_free(err);
	cJSON_Delete(h);
	h = cJSON_Parse("[[\"only-name\"]]");
	CHECK(sc_op_feed_json(op, 200, h, "{}", 2, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "(name, value) pairs");
	sc_error_free(err);
	cJSON_Delete(h);
	CHECK(sc_op_feed_json(op, 42, NULL, "{}", 2, &err) == SC_EINVAL);
	CHECK_STR(sc_error_message(err), "HTTP status expected");
	sc_error_free(err);

	h = cJSON_Parse("{\"Content-Type\": \"application/json\", "
			"\"SC-Request-Id\": \"r-9\"}");
	CHECK(sc_op_feed_json(op, 200, h, "{\"id\": \"u1\"}", 12, &err) == 0);
	CHECK(err == NULL);
	cJSON_Delete(h);
	CHECK(sc_op_next_json(op, &v) == SC_STEP_DONE);
	CHECK(v == NULL);
	CHECK(sc_op_take_result(&res, op, &err) == 0);
	CHECK(err == NULL);
	CHECK_STR(sc_result_get_string(res, "id"), "u1");
	sc_result_free(res);
	CHECK(sc_op_take_result(&res, op, &err) == SC_EINVAL);
	CHECK(res == NULL);
	CHECK_STR(sc_error_message(err), "the op's result was already taken");
	sc_error_free(err);
	CHECK(sc_op_result(&res, op) == SC_EMISUSE && res == NULL);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
}

TEST(bind_error_fields)
{
	sc_error *err = NULL;
	cJSON *f;

	f = sc_error_fields(SC_ENOTFOUND, NULL, NULL);
	REQUIRE(f != NULL);
	CHECK_STR(str_at(f, "kind"), sc_code_kind(SC_ENOTFOUND));
	CHECK_STR(str_at(f, "message"), sc_strerror(SC_ENOTFOUND));
	cJSON_Delete(f);
	f = sc_error_fields(SC_EINVAL, NULL, "key must not be empty");
	CHECK_STR(str_at(f, "message"), "key must not be empty");
	cJSON_Delete(f);
	f = sc_error_fields(12345, NULL, NULL);
	CHECK_STR(str_at(f, "kind"), "unknown");
	cJSON_Delete(f);

	/* an error object: copied whole, the code's own fields kept */
	CHECK(sc_param_check("unit_system", "furlongs", &err) == SC_EINVAL);
	REQUIRE(err != NULL);
	f = sc_error_fields(SC_ENETWORK, err, "ignored");
	CHECK_STR(str_at(f, "kind"), sc_code_kind(SC_EINVAL));
	CHECK_STR(str_at(f, "message"), sc_error_message(err));
	CHECK(cJSON_GetObjectItem(f, "attempts") != NULL);
	cJSON_Delete(f);
	sc_error_free(err);
}

/* Save @p json as a token set: the code, and the error's message in
 * @p msg. */
static int save(sc_token_store *st, const char *json, char *msg, size_t n)
{
	sc_error *err = NULL;
	int rc = sc_token_store_save_tokens(st, "k", cJSON_Parse(json), &err);

	snprintf(msg, n, "%s", err ? sc_error_message(err) : "");
	sc_error_free(err);
	return rc;
}

TEST(bind_save_tokens_checks_fields)
{
	sc_token_store *st = NULL;
	sc_result *got = NULL;
	char msg[128];

	REQUIRE(sc_token_store_sqlite_new(&st, ":memory:", NULL) == 0);
	CHECK(save(st, "{\"refresh_token\":\"r\"}", msg, sizeof(msg)) ==
	      SC_EINVAL);
	CHECK_STR(msg, "the token set has no access_token");
	CHECK(save(st, "{\"access_token\":1,\"refresh_token\":\"r\"}", msg,
		   sizeof(msg)) == SC_EINVAL);
	CHECK_STR(msg, "access_token: string expected, got number");
	CHECK(save(st, "{\"access_token\":\"a\",\"refresh_token\":null}", msg,
		   sizeof(msg)) == SC_EINVAL);
	CHECK_STR(msg, "refresh_token: string expected, got null");
	CHECK(save(st, "{\"access_token\":\"a\",\"refresh_token\":\"r\","
		       "\"token_type\":5}", msg, sizeof(msg)) == SC_EINVAL);
	CHECK_STR(msg, "token_type: string expected, got number");
	CHECK(save(st, "{\"access_token\":\"a\",\"refresh_token\":\"r\","
		       "\"expires_in\":true}", msg, sizeof(msg)) == SC_EINVAL);
	CHECK_CONTAINS(msg, "expires_in: number");
	CHECK(save(st, "{\"access_token\":\"a\",\"refresh_token\":\"\"}", msg,
		   sizeof(msg)) == SC_EINVAL);
	CHECK_STR(msg, "refresh_token must not be empty");
	CHECK(save(st, "{\"access_token\":\"a\",\"refresh_token\":\"r\","
		       "\"expiration\":\"soon\"}",
		   msg, sizeof(msg)) == SC_EINVAL);
	CHECK_CONTAINS(msg, "expiration: number (Unix seconds) expected");
	CHECK(save(st, "[1]", msg, sizeof(msg)) == SC_EINVAL);
	CHECK_STR(msg, "the token set must be an object");
	CHECK(save(st, "{\"access_token\":\"a\",\"refresh_token\":\"r\","
		       "\"expiration\":2000000000,\"extra\":[\"x\"]}",
		   msg, sizeof(msg)) == 0);
	REQUIRE(sc_token_store_load(&got, st, "k", NULL) == 0);
	CHECK_STR(sc_result_get_string(got, "access_token"), "a");
	CHECK_STR(sc_result_get_string(got, "extra.0"), "x");
	CHECK_STR(sc_result_get_string(got, "token_type"), "Bearer");
	sc_result_free(got);
	CHECK(save(st, "{\"access_token\":\"a\",\"refresh_token\":\"r\","
		       "\"token_type\":null}", msg, sizeof(msg)) == 0);
	REQUIRE(sc_token_store_load(&got, st, "k", NULL) == 0);
	CHECK_STR(sc_result_get_string(got, "token_type"), "Bearer");
	sc_result_free(got);
	/* NULL tokens and no err_out: a code, nothing leaks */
	CHECK(sc_token_store_save_tokens(st, "k", NULL, NULL) == SC_EINVAL);
	sc_token_store_free(st);
}

/* A stored call takes its token from the store: params holding one are
 * refused (both bindings relied on it; Lua checked it itself). */
TEST(bind_stored_call_refuses_an_access_token)
{
	sc_client *c = t_client("https://api.example.com", NULL);
	sc_token_store *st = NULL;
	sc_params *p = NULL;
	sc_error *err = NULL;
	sc_op *op = NULL;

	REQUIRE(c && sc_params_new(&p) == 0);
	REQUIRE(sc_token_store_sqlite_new(&st, ":memory:", NULL) == 0);
	sc_params_set(p, "access_token", "tok");
	CHECK(sc_op_new_stored(&op, c, st, "k", "get_user", p, &err) ==
	      SC_EINVAL);
	CHECK(op == NULL);
	CHECK_CONTAINS(sc_error_message(err), "must not hold access_token");
	sc_error_free(err);
	/* sc_op_new_call: the same without a store is a plain op */
	CHECK(sc_op_new_call(&op, c, st, "k", "get_user", p, &err) ==
	      SC_EINVAL);
	sc_error_free(err);
	REQUIRE(sc_op_new_call(&op, c, NULL, NULL, "get_user", p, &err) == 0);
	CHECK(op != NULL && err == NULL);
	sc_op_free(op);
	sc_params_free(p);
	sc_token_store_free(st);
	sc_client_free(c);
}

/* An environment snapshot: changed, restored, unset as "", a value
 * missing from the ones given. */
TEST(bind_env_snapshot)
{
	const char *names[] = { "SC_TEST_ENV_A", "SC_TEST_ENV_UNSET" };
	const char *values[] = { "one", "" }, *missing[] = { "one", NULL };
	sc_env_snapshot *s, *g, *m;

	unsetenv("SC_TEST_ENV_UNSET");
	setenv("SC_TEST_ENV_A", "one", 1);
	s = sc_env_snapshot_new(names, NULL, 2);
	g = sc_env_snapshot_new(names, values, 2);
	m = sc_env_snapshot_new(names, missing, 2);
	REQUIRE(s && g && m);
	CHECK(sc_env_snapshot_same(s) == 1);
	CHECK(sc_env_snapshot_same(s) == 1); /* the cached answer */
	CHECK(sc_env_snapshot_same(g) == 1);
	CHECK(sc_env_snapshot_same(m) == 0);
	setenv("SC_TEST_ENV_A", "two", 1);
	CHECK(sc_env_snapshot_same(s) == 0);
	setenv("SC_TEST_ENV_A", "one", 1);
	CHECK(sc_env_snapshot_same(s) == 1);
	setenv("SC_TEST_ENV_UNSET", "x", 1);
	CHECK(sc_env_snapshot_same(g) == 0);
	unsetenv("SC_TEST_ENV_UNSET");
	unsetenv("SC_TEST_ENV_A");
	CHECK(sc_env_snapshot_same(g) == 0);
	CHECK(sc_env_snapshot_same(NULL) == 0);
	sc_env_snapshot_free(s);
	sc_env_snapshot_free(g);
	sc_env_snapshot_free(m);
	sc_env_snapshot_free(NULL);
}

/* The message sc_params_from_json / sc_client_new_json gave for @p json
 * (NULL when it was accepted). */
static char *json_refusal(const char *json, int client)
{
	cJSON *tree = cJSON_Parse(json);
	sc_params *p = NULL;
	sc_client *c = NULL;
	sc_error *err = NULL;
	char *msg = NULL;
	int rc = client ? sc_client_new_json(&c, tree, &err)
			: sc_params_from_json(&p, tree, &err);

	if (rc != 0 && err)
		msg = strdup(sc_error_message(err));
	else if (rc != 0)
		msg = strdup(sc_strerror(rc));
	if (!client && rc == 0)
		CHECK_STR(sc_params_get(p, "b"), "true");
	sc_params_free(p);
	sc_client_free(c);
	sc_error_free(err);
	cJSON_Delete(tree);
	return msg;
}

TEST(bind_params_and_options_from_json)
{
	static const struct {
		const char *json;
		int client;
		const char *message;
	} refused[] = {
		{ "{\"b\": true, \"x\": {}}", 0,
		  "parameter 'x': string, number or boolean expected, got "
		  "object" },
		{ "[\"positional\"]", 0, "parameter names must be strings" },
		{ "{\"bogus\": 1}", 1, "unknown option 'bogus'" },
		{ "{\"mode\": 1}", 1,
		  "option 'mode': string expected, got number" },
		{ "{\"timeout_ms\": \"5\"}", 1,
		  "option 'timeout_ms': non-negative integer expected, got "
		  "string" },
	};
	size_t i;
	sc_params *p = NULL;
	cJSON *tree = cJSON_Parse("{\"s\": \"x\", \"b\": true, \"i\": 42, "
				  "\"f\": 1.5, \"big\": 1e300}");
	char *msg;

	REQUIRE(sc_params_from_json(&p, tree, NULL) == 0);
	CHECK_STR(sc_params_get(p, "s"), "x");
	CHECK_STR(sc_params_get(p, "b"), "true");
	CHECK_STR(sc_params_get(p, "i"), "42");
	CHECK_STR(sc_params_get(p, "f"), "1.5");
	CHECK_STR(sc_params_get(p, "big"), "1e+300");
	sc_params_free(p);
	cJSON_Delete(tree);
	REQUIRE(sc_params_from_json(&p, NULL, NULL) == 0);
	CHECK(sc_params_count(p) == 0);
	sc_params_free(p);

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		msg = json_refusal(refused[i].json, refused[i].client);
		CHECK_STR(msg, refused[i].message);
		free(msg);
	}
	CHECK(json_refusal("{\"b\": true}", 0) == NULL);
	CHECK(json_refusal("{\"mode\": \"test\", \"timeout_ms\": 5}", 1) ==
	      NULL);
	msg = json_refusal("{\"timeout_ms\": -1}", 1);
	CHECK_CONTAINS(msg, "non-negative integer");
	free(msg);
}

/* sc_async_fds_json holds what sc_async_fds does: {fd, read, write}. */
static void check_fds_json(sc_async *a)
{
	sc_async_watch w[16];
	size_t n = sc_async_fds(a, w, 16), i;
	cJSON *fds = sc_async_fds_json(a), *f;

	REQUIRE(cJSON_IsArray(fds));
	CHECK(cJSON_GetArraySize(fds) == (int)n);
	for (i = 0; i < n && i < 16; i++) {
		f = cJSON_GetArrayItem(fds, (int)i);
		CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(f, "fd")) ==
		      w[i].fd);
		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(f, "read")) ==
		      !!(w[i].events & SC_WATCH_READ));
		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(f, "write")) ==
		      !!(w[i].events & SC_WATCH_WRITE));
	}
	cJSON_Delete(fds);
	/* the same set as [fd, events] pairs (Python's fds()) */
	fds = sc_async_watches_json(a, 1);
	REQUIRE(cJSON_IsArray(fds));
	CHECK(cJSON_GetArraySize(fds) == (int)n);
	for (i = 0; i < n && i < 16; i++) {
		f = cJSON_GetArrayItem(fds, (int)i);
		CHECK(cJSON_GetArraySize(f) == 2);
		CHECK(cJSON_GetNumberValue(cJSON_GetArrayItem(f, 0)) ==
		      w[i].fd);
		CHECK(cJSON_GetNumberValue(cJSON_GetArrayItem(f, 1)) ==
		      w[i].events);
	}
	cJSON_Delete(fds);
	/* the changes, taken once: then none are left */
	n = sc_async_changes(a, NULL, 0);
	fds = sc_async_watches_json(a, 0);
	CHECK(cJSON_GetArraySize(fds) == (int)n);
	cJSON_Delete(fds);
	fds = sc_async_watches_json(a, 0);
	CHECK(cJSON_IsArray(fds) && cJSON_GetArraySize(fds) == 0);
	cJSON_Delete(fds);
}

TEST(bind_async_start_pages_and_fds_json)
{
	const char *base = t_emulator(), *items = NULL;
	char *token = base ? t_login(base, "bind-pages@example.com",
				     "read_vehicle_info")
			   : NULL;
	sc_client *c = base ? t_client(base, NULL) : NULL;
	sc_async *a = NULL;
	sc_params *p = NULL;
	sc_error *err = NULL;
	sc_result *r = NULL;
	uint64_t id = 0;
	int frames;

	REQUIRE(c && token && sc_async_new(&a, c, 0) == 0);
	REQUIRE(sc_params_new(&p) == 0);
	check_fds_json(a);
	CHECK(sc_async_start_pages(a, NULL, NULL, "no_such_endpoint", p, 0,
				   &id, &items, &err) == SC_EINVAL);
	CHECK(err != NULL && items == NULL);
	sc_error_free(err);
	err = NULL;
	sc_params_set(p, "access_token", token);
	REQUIRE(sc_async_start_pages(a, NULL, NULL, "get_vehicles", p, 0, &id,
				     &items, &err) == 0);
	CHECK_STR(items, "vehicles");
	for (frames = 0; sc_async_count(a) && frames < 5000; frames++) {
		sc_async_poll(a);
		check_fds_json(a);
		while (sc_async_take(a, &(uint64_t){ 0 }, &r) == 1) {
			CHECK(sc_result_error(r) == NULL);
			sc_result_free(r);
		}
		if (sc_async_count(a))
			t_frame_sleep();
	}
	CHECK(sc_async_count(a) == 0);
	CHECK(sc_async_start_pages(NULL, NULL, NULL, "get_vehicles", p, 0, &id,
				   &items, NULL) == SC_EINVAL);
	sc_params_free(p);
	sc_async_free(a);
	sc_client_free(c);
	free(token);
}

TEST(bind_json_parse_text_and_sort_keys)
{
	const char *text = "{\"b\": [{\"z\": 1, \"a\": 2}], \"c\": 3, \"a\": "
			   "{\"y\": null, \"x\": true}, \"ab\": 4}";
	sc_error *err = NULL;
	cJSON *tree = sc_json_parse_text(text, strlen(text), &err), *last;
	char *out;

	REQUIRE(tree != NULL && err == NULL);
	sc_json_sort_keys(tree);
	out = cJSON_PrintUnformatted(tree);
	CHECK_STR(out, "{\"a\":{\"x\":true,\"y\":null},\"ab\":4,"
		       "\"b\":[{\"a\":2,\"z\":1}],\"c\":3}");
	free(out);
	/* the links cJSON keeps: the head's prev is the tail */
	last = cJSON_GetObjectItem(tree, "c");
	CHECK(tree->child->prev == last && last->next == NULL);
	CHECK(last->prev == cJSON_GetObjectItem(tree, "b"));
	CHECK(cJSON_AddNumberToObject(tree, "d", 5) != NULL);
	CHECK(tree->child->prev == cJSON_GetObjectItem(tree, "d"));
	cJSON_Delete(tree);
	sc_json_sort_keys(NULL);

	CHECK(sc_json_parse_text("{\"a\": }", 7, &err) == NULL);
	REQUIRE(err != NULL);
	CHECK(sc_error_code(err) == SC_EMALFORMED);
	CHECK_STR(sc_error_message(err), "invalid JSON near byte 6");
	sc_error_free(err);
	/* one value: text after it is refused, whitespace is not */
	CHECK(sc_json_parse_text("{} {}", 5, &err) == NULL);
	REQUIRE(err != NULL);
	CHECK_STR(sc_error_message(err), "invalid JSON near byte 3");
	sc_error_free(err);
	CHECK(sc_json_parse_text("[1]x", 4, &err) == NULL);
	sc_error_free(err);
	tree = sc_json_parse_text("[1] \r\n\t", 7, &err);
	CHECK(tree != NULL && err == NULL);
	cJSON_Delete(tree);
}

TEST(bind_vehicle_field)
{
	const char *param = "x";

	CHECK(sc_vehicle_field("id", 2, &param) == SC_VEHICLE_FIELD_REQUIRED);
	CHECK_STR(param, "vehicle_id");
	CHECK(sc_vehicle_field("access_token", 12, &param) ==
	      SC_VEHICLE_FIELD_REQUIRED);
	CHECK_STR(param, "access_token");
	CHECK(sc_vehicle_field("flags", 5, &param) == SC_VEHICLE_FIELD_STRING);
	CHECK_STR(param, "flags");
	/* every per-call option, and only those, is a parameter */
	CHECK(sc_vehicle_field("unit_system", 11, &param) ==
	      SC_VEHICLE_FIELD_PARAM);
	CHECK_STR(param, "unit_system");
	CHECK(sc_vehicle_field("max_attempts", 12, &param) ==
	      SC_VEHICLE_FIELD_PARAM);
	CHECK(sc_vehicle_field("client", 6, &param) == SC_VEHICLE_FIELD_CLIENT);
	CHECK(param == NULL);
	CHECK(sc_vehicle_field("store", 5, &param) == SC_VEHICLE_FIELD_GENERAL);
	CHECK(sc_vehicle_field("user_id", 7, &param) ==
	      SC_VEHICLE_FIELD_GENERAL);
	/* the length counts: a prefix or a longer name is another field */
	CHECK(sc_vehicle_field("idx", 2, &param) == SC_VEHICLE_FIELD_REQUIRED);
	CHECK(sc_vehicle_field("id\0x", 4, &param) == SC_VEHICLE_FIELD_NONE);
	CHECK(param == NULL);
	CHECK(sc_vehicle_field("make", 4, &param) == SC_VEHICLE_FIELD_NONE);
	CHECK(sc_vehicle_field("", 0, &param) == SC_VEHICLE_FIELD_NONE);
}

TEST(bind_env_snapshot_json)
{
	cJSON *names = cJSON_Parse("[\"SC_TEST_ENV_J\", \"SC_TEST_ENV_K\", 5, "
				   "\"SC_TEST_ENV_L\"]");
	cJSON *values = cJSON_Parse("[\"one\", \"\"]");
	cJSON *short_values = cJSON_Parse("[\"one\"]");
	cJSON *not_array = cJSON_Parse("{}");
	sc_env_snapshot *s = NULL, *g = NULL, *m = NULL, *e = NULL;

	setenv("SC_TEST_ENV_J", "one", 1);
	unsetenv("SC_TEST_ENV_K");
	setenv("SC_TEST_ENV_L", "differs", 1); /* after 5: not read */
	REQUIRE(names && values && short_values && not_array);
	REQUIRE(sc_env_snapshot_json(&s, names, NULL) == 0);
	REQUIRE(sc_env_snapshot_json(&g, names, values) == 0);
	REQUIRE(sc_env_snapshot_json(&m, names, short_values) == 0);
	REQUIRE(sc_env_snapshot_json(&e, not_array, not_array) == 0);
	CHECK(sc_env_snapshot_same(s) == 1);
	CHECK(sc_env_snapshot_same(g) == 1);
	CHECK(sc_env_snapshot_same(m) == 0); /* K has no value: never */
	CHECK(sc_env_snapshot_same(e) == 1); /* no names */
	setenv("SC_TEST_ENV_K", "x", 1);
	CHECK(sc_env_snapshot_same(s) == 0);
	CHECK(sc_env_snapshot_same(g) == 0);
	unsetenv("SC_TEST_ENV_K");
	unsetenv("SC_TEST_ENV_J");
	unsetenv("SC_TEST_ENV_L");
	sc_env_snapshot_free(s);
	sc_env_snapshot_free(g);
	sc_env_snapshot_free(m);
	sc_env_snapshot_free(e);
	cJSON_Delete(names);
	cJSON_Delete(values);
	cJSON_Delete(short_values);
	cJSON_Delete(not_array);
}
