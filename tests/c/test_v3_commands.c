/* v3 commands end to end against the emulator: a 202 is read to its end
 * (blocking call and sc_async), its final body decides the result
 * (errors[] and non-SUCCESS statuses are typed errors, never resent), a
 * deadline ends the wait with a timeout, commands get the long default
 * read timeout; charge schedules and the charge-chargetimers signal. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "test.h"

static t_private_emulator priv;

struct fx {
	const char *base;
	sc_client *c;
	char *token;
	char ids[3][40]; /* BEV (Tesla), PHEV (Toyota: async), ICE (Ford) */
};

static int fx_open(struct fx *f, const char *email)
{
	memset(f, 0, sizeof(*f));
	f->base = t_emulator_private(&priv, NULL);
	if (!f->base)
		return -1;
	{
		sc_client_options o = SC_CLIENT_OPTIONS_INIT;
		o.client_id = T_CLIENT_ID;
		o.client_secret = T_CLIENT_SECRET;
		o.redirect_uri = T_REDIRECT;
		o.connect_origin = o.auth_origin = o.api_origin =
			o.management_origin = o.vehicle_api_origin =
				o.iam_origin = f->base;
		if (sc_client_new(&f->c, &o, NULL) < 0)
			return -1;
	}
	f->token = t_login(f->base, email,
			   "read_security control_security read_charge "
			   "control_charge");
	return f->c && f->token && t_fleet(f->base, email, f->ids) == 0
		       ? 0 : -1;
}

static void fx_close(struct fx *f)
{
	free(f->token);
	sc_client_free(f->c);
}

static void commands_set(const char *base, const char *json)
{
	free(t_control_at(base, "/_emulator/v3/commands", json));
}

static sc_params *params(const struct fx *f, const char *vid,
			 const char *timeout_ms)
{
	sc_params *p = NULL;
	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", vid);
	sc_params_set(p, "access_token", f->token);
	if (timeout_ms)
		sc_params_set(p, "timeout_ms", timeout_ms);
	return p;
}

static int call(sc_result **r, const struct fx *f, const char *endpoint,
		const char *vid, const char *timeout_ms)
{
	sc_params *p = params(f, vid, timeout_ms);
	int rc = sc_call(r, f->c, endpoint, p);
	sc_params_free(p);
	return rc;
}

/* POSTs the emulator received whose path holds part. */
static int posts(const char *base, const char *part)
{
	cJSON *all = t_control_json(base, "GET", "/_emulator/requests", NULL);
	const cJSON *r;
	int n = 0;
	cJSON_ArrayForEach(r, t_json_get(all, "requests")) {
		const char *p = t_json_str(r, "path");
		const char *m = t_json_str(r, "method");
		if (p && m && !strcmp(m, "POST") && strstr(p, part))
			n++;
	}
	cJSON_Delete(all);
	return n;
}

static int locked(const struct fx *f, const char *vid)
{
	sc_result *r = NULL;
	sc_params *p = params(f, vid, NULL);
	int on = -1;
	sc_params_set(p, "signal_code", "closure-islocked");
	if (sc_call(&r, f->c, "get_signal", p) == 0)
		on = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(
			cJSON_GetObjectItem(cJSON_GetObjectItem(
				sc_result_data(r), "data"), "attributes"),
			"body"), "value"));
	sc_result_free(r);
	sc_params_free(p);
	return on;
}

/* endpoint run on vid with the deadline timeout_ms (NULL: the default)
 * through sc_async when async, else by sc_call: its result, or NULL when
 * the driver could not start it. */
static sc_result *run(const struct fx *f, const char *endpoint,
		      const char *vid, const char *timeout_ms, int async)
{
	sc_async *a = NULL;
	sc_op *op = NULL;
	sc_result *r = NULL;
	sc_params *p = params(f, vid, timeout_ms);
	uint64_t id;

	if (!async)
		sc_call(&r, f->c, endpoint, p);
	else if (sc_async_new(&a, f->c, 0) == 0 &&
		 sc_op_new(&op, f->c, endpoint, p, NULL) == 0 &&
		 sc_async_start(a, op, &id) == 0)
		t_async_drain(a, id, &r, 20000);
	sc_params_free(p);
	sc_async_free(a);
	return r;
}

/* The error code of r (0 when it succeeded, -1 when there is none),
 * r freed. */
static int code_of(sc_result *r)
{
	int code = r ? sc_error_code(sc_result_error(r)) : -1;

	sc_result_free(r);
	return code;
}

/* endpoint run on vid (through sc_async when async, else sc_call):
 * "failed", or the execution mode of the command that succeeded. */
static const char *mode_of(const struct fx *f, const char *endpoint,
			   const char *vid, int async)
{
	static char buf[32];
	sc_result *r = run(f, endpoint, vid, NULL, async);
	const char *mode = "failed";

	if (r && !sc_result_error(r))
		mode = sc_result_get_string(r,
					    "data.attributes.execution_mode");
	snprintf(buf, sizeof(buf), "%s", mode ? mode : "(none)");
	sc_result_free(r);
	return buf;
}

/* endpoint run on vid fails with an API error: the answer's HTTP status
 * is status, the error's fields are kv (key, value, ..., NULL). */
static void check_refused(int line, const struct fx *f, const char *endpoint,
			  const char *vid, int status, const char *const *kv)
{
	sc_result *r = NULL;
	const sc_error *e;

	t_check(call(&r, f, endpoint, vid, NULL) == SC_EAPI, __FILE__, line,
		"the call fails with SC_EAPI");
	e = sc_result_error(r);
	t_check(sc_error_status_code(e) == status, __FILE__, line,
		"the answer's status");
	t_check_fields(__FILE__, line, t_error_field, e, kv);
	sc_result_free(r);
}
#define CHECK_REFUSED(f, endpoint, vid, status, ...)                       \
	check_refused(__LINE__, (f), (endpoint), (vid), (status),          \
		      (const char *const[]){__VA_ARGS__, NULL})

TEST(v3_command_202_is_read_to_its_end)
{
	struct fx f;
	sc_result *r = NULL;

	REQUIRE(fx_open(&f, "cmd202@example.com") == 0);
	commands_set(f.base, "{\"delay_ms\":50}");
	/* Toyota answers 202 by default: the result is the final body */
	CHECK(call(&r, &f, "security_lock", f.ids[1], NULL) == 0);
	CHECK_STR(sc_result_get_string(r, "data.type"), "command-execution");
	CHECK_STR(sc_result_get_string(r, "data.attributes.execution_mode"),
		  "async");
	CHECK_STR(sc_result_get_string(r, "data.attributes.status.value"),
		  "SUCCESS");
	sc_result_free(r);
	CHECK(locked(&f, f.ids[1]) == 1);
	/* Tesla answers at once */
	CHECK_STR(mode_of(&f, "security_lock", f.ids[0], 0), "sync");
	/* forced async for every make */
	commands_set(f.base, "{\"mode\":\"async\",\"delay_ms\":10}");
	CHECK_STR(mode_of(&f, "security_unlock", f.ids[0], 0), "async");
	CHECK(locked(&f, f.ids[0]) == 0);
	fx_close(&f);
}

TEST(v3_command_final_body_errors_are_typed_and_never_resent)
{
	struct fx f;

	REQUIRE(fx_open(&f, "cmdfail@example.com") == 0);
	t_set_vehicle(f.base, f.ids[0], "{\"locked\":false}");
	t_set_vehicle(f.base, f.ids[1], "{\"locked\":false}");
	/* an errors[] document after the 202: its status, not 202 */
	commands_set(f.base, "{\"delay_ms\":20,\"result\":\"errors\","
		     "\"error_type\":\"VEHICLE_STATE\","
		     "\"error_code\":\"DOOR_OPEN\"}");
	CHECK_REFUSED(&f, "security_lock", f.ids[1], 409, "type",
		      "VEHICLE_STATE", "code", "DOOR_OPEN");
	CHECK(posts(f.base, "/commands/security/lock") == 1);
	CHECK(locked(&f, f.ids[1]) == 0);
	/* a command execution that did not succeed */
	commands_set(f.base, "{\"result\":\"FAILURE\","
		     "\"error_type\":\"UPSTREAM\","
		     "\"error_code\":\"NO_RESPONSE\"}");
	CHECK_REFUSED(&f, "security_lock", f.ids[1], 202, "type", "UPSTREAM",
		      "code", "NO_RESPONSE", "command_status", "FAILURE",
		      "command_type", "security-lock");
	/* the same at once (sync, 200) */
	CHECK_REFUSED(&f, "security_lock", f.ids[0], 200, "command_status",
		      "FAILURE");
	CHECK(posts(f.base, "/commands/security/lock") == 3);
	CHECK(locked(&f, f.ids[1]) == 0 && locked(&f, f.ids[0]) == 0);
	/* the car itself refuses: unplugged, found when the command ends */
	commands_set(f.base, "{\"result\":\"SUCCESS\",\"delay_ms\":20}");
	t_set_vehicle(f.base, f.ids[1], "{\"plugged_in\":false}");
	CHECK_REFUSED(&f, "charge_start", f.ids[1], 409, "code",
		      "CHARGING_PLUG_NOT_CONNECTED");
	CHECK(posts(f.base, "/commands/charge/start") == 1);
	/* the ICE cannot charge at all: 501 at once */
	CHECK_REFUSED(&f, "charge_start", f.ids[2], 501, "type",
		      "COMPATIBILITY");
	fx_close(&f);
}

TEST(v3_command_deadline_and_the_nonblocking_driver)
{
	struct fx f;
	cJSON *st;

	REQUIRE(fx_open(&f, "cmddeadline@example.com") == 0);
	/* held until released: the caller's deadline ends the wait */
	commands_set(f.base, "{\"delay_ms\":-1}");
	CHECK(code_of(run(&f, "security_lock", f.ids[1], "300", 0)) ==
	      SC_ETIMEOUT);
	CHECK(posts(f.base, "/commands/security/lock") == 1);
	CHECK(code_of(run(&f, "charge_stop", f.ids[1], "300", 1)) ==
	      SC_ETIMEOUT);
	CHECK(posts(f.base, "/commands/charge/stop") == 1);
	st = t_control_json(f.base, "GET", "/_emulator/v3/commands", NULL);
	CHECK(t_json_num(st, "waiting") >= 1);
	cJSON_Delete(st);
	free(t_control_at(f.base, "/_emulator/v3/commands/release", "{}"));
	/* the driver reads a 202 to its end as well */
	commands_set(f.base, "{\"delay_ms\":30}");
	CHECK_STR(mode_of(&f, "security_lock", f.ids[1], 1), "async");
	CHECK(locked(&f, f.ids[1]) == 1);
	fx_close(&f);
}

TEST(v3_command_default_read_timeout)
{
	sc_client *c = t_offline_client();
	sc_params *p = NULL;
	sc_op *op = NULL;
	const sc_request *req = NULL;

	REQUIRE(c);
	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", "v");
	sc_params_set(p, "access_token", "t");
	/* a command: at least 310 s */
	REQUIRE(sc_op_new(&op, c, "security_lock", p, NULL) == 0);
	CHECK(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK(sc_request_timeout_ms(req) == 310000);
	sc_op_free(op);
	/* a read keeps the client's */
	sc_params_set(p, "signal_code", "closure-islocked");
	REQUIRE(sc_op_new(&op, c, "get_signal", p, NULL) == 0);
	CHECK(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK(sc_request_timeout_ms(req) == 60000);
	sc_op_free(op);
	/* the call's own timeout wins */
	sc_params_set(p, "timeout_ms", "5000");
	REQUIRE(sc_op_new(&op, c, "charge_schedule_daily", p, NULL) != 0);
	sc_params_set(p, "attributes", "{\"startTime\":\"22:00\"}");
	REQUIRE(sc_op_new(&op, c, "charge_schedule_daily", p, NULL) == 0);
	CHECK(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK(sc_request_timeout_ms(req) == 5000);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
}

/* The answer to a canned 2xx body for endpoint. */
static int canned(sc_result **r, const char *endpoint, int status,
		  const char *body)
{
	sc_client *c = t_offline_client();
	sc_params *p = NULL;
	sc_op *op = NULL;
	int rc;

	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", "v");
	sc_params_set(p, "access_token", "t");
	rc = sc_op_new(&op, c, endpoint, p, NULL);
	if (rc == 0) {
		sc_op_next(op, NULL);
		sc_op_feed(op, t_response(status, "application/json", body));
		rc = sc_op_result(r, op);
	}
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
	return rc;
}

TEST(v3_command_outcomes_from_canned_bodies)
{
	sc_result *r = NULL;
	const sc_error *e;

	/* a 202 without a status cannot say whether the car did it */
	CHECK(canned(&r, "charge_start", 202, "{}") == SC_EMALFORMED);
	sc_result_free(r);
	CHECK(canned(&r, "charge_start", 202, "") == SC_EMALFORMED);
	sc_result_free(r);
	/* a status without status.error: the value is the type */
	CHECK(canned(&r, "charge_start", 202,
		     "{\"data\":{\"id\":\"x1\",\"type\":\"command-execution\","
		     "\"attributes\":{\"status\":{\"value\":\"UNAVAILABLE\"}}}}")
	      == SC_EAPI);
	e = sc_result_error(r);
	CHECK_STR(sc_error_get(e, "type"), "UNAVAILABLE");
	CHECK_STR(sc_error_get(e, "execution_id"), "x1");
	sc_result_free(r);
	/* errors[] in a 2xx of any v3 call */
	CHECK(canned(&r, "get_vehicle", 200,
		     "{\"errors\":[{\"status\":\"502\",\"type\":\"UPSTREAM\","
		     "\"code\":\"INVALID_DATA\"}]}") == SC_EAPI);
	CHECK(sc_error_status_code(sc_result_error(r)) == 502);
	sc_result_free(r);
	/* a read's body without a status is data */
	CHECK(canned(&r, "get_vehicle", 200, "{\"data\":{\"id\":\"v\"}}") == 0);
	sc_result_free(r);
}
