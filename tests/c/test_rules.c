/* Rules the bindings used to keep their own copies of: settings checks,
 * feature flags, batch naming, v1 error types.  The library is now the
 * only place that knows them. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

/* The message of a failed check (then freed), or "" when it passed. */
static const char *check_msg(const char *name, const char *value)
{
	static char buf[200];
	sc_error *err = NULL;
	int rc = sc_param_check(name, value, &err);

	buf[0] = '\0';
	if (rc != 0) {
		CHECK(rc == SC_EINVAL && sc_error_code(err) == SC_EINVAL);
		snprintf(buf, sizeof(buf), "%s", sc_error_message(err));
	} else {
		CHECK(err == NULL);
	}
	sc_error_free(err);
	return buf;
}

TEST(rules_settings_checked_once)
{
	CHECK_STR(check_msg("unit_system", "metric"), "");
	CHECK_STR(check_msg("unit_system", "imperial"), "");
	CHECK_STR(check_msg("unit_system", "furlongs"),
		  "unit_system must be 'metric' or 'imperial', not "
		  "'furlongs'");
	CHECK_STR(check_msg("version", "2.0"), "");
	CHECK_STR(check_msg("version", "10.12"), "");
	CHECK_STR(check_msg("version", "v2"),
		  "version must look like '2.0', not 'v2'");
	CHECK_STR(check_msg("version", "2."),
		  "version must look like '2.0', not '2.'");
	CHECK_STR(check_msg("api_version", "2"),
		  "api_version must look like '2.0', not '2'");
	CHECK_STR(check_msg("rate_policy", "off"), "");
	CHECK_STR(check_msg("rate_policy", "later"),
		  "rate_policy must be 'wait', 'fail' or 'off', not 'later'");
	CHECK_STR(check_msg("mode", "simulated"), "");
	CHECK_STR(check_msg("mode", "bogus"),
		  "mode must be one of live, test, simulated, not 'bogus'");
	/* a value that is not short plain text is not repeated */
	CHECK_STR(check_msg("mode", "it's"),
		  "mode must be one of live, test, simulated");
	CHECK_STR(check_msg("unit_system",
			    "0123456789012345678901234567890123456789x"),
		  "unit_system must be 'metric' or 'imperial'");
	/* no rule: accepted */
	CHECK_STR(check_msg("color", "blue"), "");
	CHECK(sc_param_check(NULL, "x", NULL) == SC_EINVAL);
}

/* The message of sc_op_new's refusal of name with p on c (checked to be
 * SC_EINVAL), or "" when it made the op (then freed). */
static const char *op_refusal(sc_client *c, const char *name, sc_params *p)
{
	static char buf[200];
	sc_op *op = NULL;
	sc_error *err = NULL;
	int rc = sc_op_new(&op, c, name, p, &err);

	buf[0] = '\0';
	if (rc != 0) {
		CHECK(rc == SC_EINVAL && op == NULL);
		snprintf(buf, sizeof(buf), "%s", sc_error_message(err));
	} else {
		CHECK(op != NULL && err == NULL);
	}
	sc_op_free(op);
	sc_error_free(err);
	return buf;
}

TEST(rules_settings_apply_to_clients_and_calls)
{
	sc_client_options o;
	sc_client *c = NULL;
	sc_params *p = NULL;
	sc_error *err = NULL;

	sc_client_options_init(&o, SC_CLIENT_OPTIONS_VERSION);
	o.rate_policy = "later";
	CHECK(sc_client_new(&c, &o, &err) == SC_EINVAL);
	CHECK_STR(sc_error_message(err), "rate_policy must be 'wait', "
		  "'fail' or 'off', not 'later'");
	sc_error_free(err);
	o.rate_policy = NULL;
	o.client_id = "id";
	o.client_secret = "secret";
	REQUIRE(sc_client_new(&c, &o, NULL) == 0);
	REQUIRE(sc_params_new(&p) == 0);
	sc_params_set(p, "vin", "5YJSA1E26JF123456");
	sc_params_set(p, "scope", "read_odometer");
	sc_params_set(p, "mode", "bogus");
	/* the mode of a compatibility call follows the same rule */
	CHECK_STR(op_refusal(c, "get_compatibility", p),
		  "mode must be one of live, test, simulated, not 'bogus'");
	sc_params_set(p, "mode", "test");
	CHECK_STR(op_refusal(c, "get_compatibility", p), "");
	sc_params_set(p, "version", "two");
	CHECK_STR(op_refusal(c, "get_compatibility", p),
		  "version must look like '2.0', not 'two'");
	sc_params_free(p);
	p = NULL;
	/* delete_connections: one user's or one vehicle's, never both */
	REQUIRE(sc_params_new(&p) == 0);
	sc_params_set(p, "management_token", "amt");
	sc_params_set(p, "user_id", "u");
	sc_params_set(p, "vehicle_id", "v");
	CHECK_CONTAINS(op_refusal(c, "delete_connections", p), "EITHER");
	sc_params_set(p, "vehicle_id", "");
	CHECK_STR(op_refusal(c, "delete_connections", p), "");
	sc_params_free(p);
	sc_client_free(c);
}

/* sc_flags_format of key, value pairs (NULL-terminated), or the error. */
static const char *flags_of(const char *const *kv)
{
	static char buf[200];
	sc_params *p = NULL;
	sc_error *err = NULL;
	char *out = NULL;

	buf[0] = '\0';
	if (sc_params_new(&p) != 0)
		return buf;
	for (; *kv; kv += 2)
		sc_params_set(p, kv[0], kv[1]);
	if (sc_flags_format(&out, p, &err) == 0) {
		snprintf(buf, sizeof(buf), "%s", out);
		CHECK(err == NULL);
	} else {
		CHECK(out == NULL && sc_error_code(err) == SC_EINVAL);
		snprintf(buf, sizeof(buf), "error: %s", sc_error_message(err));
	}
	sc_free(out);
	sc_error_free(err);
	sc_params_free(p);
	return buf;
}

TEST(rules_flags_one_key_order)
{
	static const char *const none[] = { NULL };
	static const char *const two[] = { "flag", "true", "country", "DE",
					   NULL };
	static const char *const three[] = { "b", "1.5", "a", "x", "ab", "",
					     NULL };
	static const char *const spaced[] = { "country", "D E", NULL };
	static const char *const colon[] = { "a:b", "1", NULL };
	static const char *const empty[] = { "", "1", NULL };

	CHECK_STR(flags_of(none), "");
	/* byte order of the keys, whatever order they were given in */
	CHECK_STR(flags_of(two), "country:DE flag:true");
	CHECK_STR(flags_of(three), "a:x ab: b:1.5");
	CHECK(strncmp(flags_of(spaced), "error: flag values", 18) == 0);
	CHECK(strncmp(flags_of(colon), "error: flag names", 17) == 0);
	CHECK(strncmp(flags_of(empty), "error: flag names", 17) == 0);
	CHECK(sc_flags_format(NULL, NULL, NULL) == SC_EINVAL);
}

/* sc_batch_name's name (or alias) for path. */
static const char *batch_name_of(const char *path, int alias)
{
	static char buf[100];
	char *name = NULL, *official = NULL;

	buf[0] = '\0';
	if (sc_batch_name(&name, &official, path, NULL) == 0)
		snprintf(buf, sizeof(buf), "%s", alias ? official : name);
	sc_free(name);
	sc_free(official);
	return buf;
}

TEST(rules_batch_names)
{
	CHECK_STR(batch_name_of("/odometer", 0), "odometer");
	CHECK_STR(batch_name_of("odometer", 0), "odometer");
	CHECK_STR(batch_name_of("/", 0), "attributes");
	CHECK_STR(batch_name_of("", 0), "attributes");
	CHECK_STR(batch_name_of("/charge/limit", 0), "get_charge_limit");
	CHECK_STR(batch_name_of("/charge/limit", 1), "get_charge_limit");
	CHECK_STR(batch_name_of("/tires/pressure", 0), "tire_pressure");
	CHECK_STR(batch_name_of("/security", 0), "lock_status");
	/* the official SDKs' name where it is not the endpoint's */
	CHECK_STR(batch_name_of("/battery/nominal_capacity", 0),
		  "nominal_capacity");
	CHECK_STR(batch_name_of("/battery/nominal_capacity", 1),
		  "battery_nominal_capacity");
	/* paths outside the table become plain identifiers */
	CHECK_STR(batch_name_of("/tesla/speed-o.meter", 0),
		  "tesla_speed_o_meter");
	CHECK_STR(batch_name_of("/tesla/speed-o.meter", 1),
		  "tesla_speed_o_meter");
	CHECK_STR(batch_name_of("/2fa/x", 0), "path_2fa_x");
	CHECK_STR(batch_name_of("/meta", 0), "path_meta");
	CHECK_STR(batch_name_of("/errors", 0), "path_errors");
	CHECK_STR(batch_name_of("/--", 0), "path");
	CHECK(sc_batch_name(NULL, NULL, NULL, NULL) == SC_EINVAL);
}

/* sc_op_new("batch") with paths; the message of its failure or "". */
static const char *batch_paths_error(const char *paths)
{
	static char buf[160];
	sc_client *c = NULL;
	sc_params *p = NULL;
	sc_error *err = NULL;
	sc_op *op = NULL;

	buf[0] = '\0';
	if (sc_client_new(&c, NULL, NULL) != 0 || sc_params_new(&p) != 0)
		return "no client";
	sc_params_set(p, "vehicle_id", "v1");
	sc_params_set(p, "access_token", "t");
	sc_params_set(p, "paths", paths);
	if (sc_op_new(&op, c, "batch", p, &err) != 0)
		snprintf(buf, sizeof(buf), "%s", sc_error_message(err));
	sc_error_free(err);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
	return buf;
}

TEST(rules_batch_paths_checked_in_c)
{
	CHECK_STR(batch_paths_error("/odometer /fuel"), "");
	CHECK_STR(batch_paths_error("[\"/odometer\",\"fuel\"]"), "");
	/* a list as the bindings hand it over: each path is checked */
	CHECK_STR(batch_paths_error("[\"/odometer\",\"\"]"),
		  "batch paths[2] must be a path without spaces, '?' or '#'");
	CHECK_STR(batch_paths_error("[\"/odo meter\"]"),
		  "batch paths[1] must be a path without spaces, '?' or '#'");
	CHECK_STR(batch_paths_error("[\"/odometer\",3]"),
		  "batch paths[2] must be a path without spaces, '?' or '#'");
	CHECK_STR(batch_paths_error("[]"),
		  "batch paths must not be empty (give at least one path)");
	CHECK_STR(batch_paths_error(""),
		  "batch paths must not be empty (give at least one path)");
	CHECK_STR(batch_paths_error("/odometer?x"),
		  "batch paths must not contain spaces, '?' or '#'");
	CHECK_STR(batch_paths_error("[\"/odometer\""),
		  "batch paths: a JSON array of strings expected");
}

/* The error (JSON, caller frees) of an odometer call answered with
 * status and body, or NULL. */
static char *answered(int status, const char *body)
{
	sc_client *c = t_offline_client();
	sc_params *p = NULL;
	sc_result *res = NULL;
	const sc_request *req;
	const sc_error *e;
	sc_op *op = NULL;
	char *json = NULL;

	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", "v1");
	sc_params_set(p, "access_token", "t");
	sc_params_set(p, "max_attempts", "1");
	if (c && sc_op_new(&op, c, "odometer", p, NULL) == 0 &&
	    sc_op_next(op, &req) == SC_STEP_SEND &&
	    sc_op_feed(op, t_response(status, "application/json", body)) ==
		    0 &&
	    sc_op_next(op, &req) == SC_STEP_DONE)
		sc_op_result(&res, op);
	e = sc_result_error(res);
	if (e)
		sc_error_to_json(&json, e);
	sc_result_free(res);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
	return json;
}

TEST(rules_v1_error_types_have_a_v2_category)
{
	static const char *const v1[][2] = {
		{ "authentication_error", "AUTHENTICATION" },
		{ "rate_limiting_error", "RATE_LIMIT" },
		{ "vehicle_not_capable_error", "COMPATIBILITY" },
		{ "smartcar_not_capable_error", "COMPATIBILITY" },
		{ "monthly_limit_exceeded", "BILLING" },
		{ "vehicle_owner_action_required",
		  "CONNECTED_SERVICES_ACCOUNT" },
		{ "some_future_error", "some_future_error" },
	};
	char body[256], want[128];
	size_t i;

	for (i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
		char *json;
		snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":"
			 "\"m\",\"code\":null}", v1[i][0]);
		json = answered(400, body);
		snprintf(want, sizeof(want), "\"category\":\"%s\"", v1[i][1]);
		CHECK(json && strstr(json, want) != NULL);
		snprintf(want, sizeof(want), "\"type\":\"%s\"", v1[i][0]);
		CHECK(json && strstr(json, want) != NULL);
		sc_free(json);
	}
	/* v2 bodies: the category is the type */
	{
		char *json = answered(401, "{\"type\":"
			"\"AUTHENTICATION\",\"code\":null,\"description\":"
			"\"d\",\"statusCode\":401}");
		CHECK(json && strstr(json, "\"category\":\"AUTHENTICATION\"")
		      != NULL);
		sc_free(json);
	}
}
