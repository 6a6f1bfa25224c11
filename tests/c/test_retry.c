/* Retries, backoff, Retry-After, commands never resent, rate awareness
 * and the debug hook, through the sans-IO op (no sockets, no sleeping:
 * the test is the driver and only looks at the waits asked for). */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

#define ORIGIN "https://api.example.com"

static sc_client *client_with(int max_attempts, double capacity,
			      const char *policy)
{
	sc_client_options o;

	t_app_options(&o, ORIGIN);
	o.max_attempts = max_attempts;
	o.rate_limit_capacity = capacity;
	o.rate_policy = policy;
	return t_client_from(&o);
}

static sc_op *op_for(sc_client *c, const char *ep, const char *vid)
{
	sc_params *p = NULL;
	sc_op *op = NULL;
	p = T_PARAMS("vehicle_id", vid ? vid : "veh-1",
			"access_token", "tok-123456");
	sc_op_new(&op, c, ep, p, NULL);
	sc_params_free(p);
	return op;
}

static sc_response *v2(int status, const char *type, const char *code,
		       const char *resolution, const char *retry_after)
{
	char body[512];
	sc_response *r;
	snprintf(body, sizeof(body),
		 "{\"type\":\"%s\",\"code\":%s%s%s,\"description\":\"d\","
		 "\"docURL\":\"u\",\"statusCode\":%d,\"requestId\":\"r\","
		 "\"resolution\":{\"type\":%s%s%s}}",
		 type, code ? "\"" : "", code ? code : "null", code ? "\"" : "",
		 status, resolution ? "\"" : "",
		 resolution ? resolution : "null", resolution ? "\"" : "");
	r = t_response(status, "application/json", body);
	if (retry_after)
		sc_response_add_header(r, "Retry-After", retry_after);
	return r;
}

/* The op's result code once it is done (-99 when it is not), the op
 * freed; the result in *out (caller frees) when out != NULL. */
static int finish(sc_op *op, sc_result **out)
{
	sc_result *res = NULL;
	int rc = sc_op_next(op, NULL) == SC_STEP_DONE ? sc_op_result(&res, op)
						       : -99;
	if (out)
		*out = res;
	else
		sc_result_free(res);
	sc_op_free(op);
	return rc;
}

static sc_response *ok_body(void)
{
	return t_response(200, "application/json", "{\"distance\":1}");
}

TEST(retry_read_after_retry_later_5xx)
{
	sc_client *c = client_with(3, 0, NULL);
	sc_op *op = op_for(c, "odometer", NULL);

	REQUIRE(op);
	CHECK(sc_op_next(op, NULL) == SC_STEP_SEND);
	sc_op_feed(op, v2(500, "SERVER", "INTERNAL", "RETRY_LATER", NULL));
	CHECK(sc_op_next(op, NULL) == SC_STEP_WAIT);
	CHECK(sc_op_wait_ms(op) > 0 && sc_op_wait_ms(op) <= 200);
	CHECK(sc_op_next(op, NULL) == SC_STEP_SEND);
	sc_op_feed(op, v2(502, "UPSTREAM", "NO_RESPONSE", "RETRY_LATER", NULL));
	CHECK(sc_op_next(op, NULL) == SC_STEP_WAIT);
	/* the second backoff is larger than the first could be */
	CHECK(sc_op_wait_ms(op) >= 200 && sc_op_wait_ms(op) <= 400);
	CHECK(sc_op_next(op, NULL) == SC_STEP_SEND);
	sc_op_feed(op, ok_body());
	CHECK(finish(op, NULL) == 0);
	sc_client_free(c);
}

TEST(retry_gives_up_after_max_attempts_and_reports_them)
{
	sc_client *c = client_with(3, 0, NULL);
	sc_op *op = op_for(c, "odometer", NULL);
	sc_result *res = NULL;
	int i;

	REQUIRE(op);
	for (i = 0; i < 3; i++) {
		while (sc_op_next(op, NULL) == SC_STEP_WAIT)
			;
		sc_op_fail(op, SC_ENETWORK, "connection reset");
	}
	CHECK(finish(op, &res) == SC_ENETWORK);
	CHECK(sc_error_attempts(sc_result_error(res)) == 3);
	sc_result_free(res);
	sc_client_free(c);
}

TEST(retry_honours_retry_after_on_429)
{
	sc_client *c = client_with(3, 0, NULL);
	sc_op *op = op_for(c, "odometer", "veh-429");

	REQUIRE(op);
	CHECK(sc_op_next(op, NULL) == SC_STEP_SEND);
	sc_op_feed(op, v2(429, "RATE_LIMIT", "VEHICLE", "RETRY_LATER", "2"));
	CHECK(sc_op_next(op, NULL) == SC_STEP_WAIT);
	CHECK(sc_op_wait_ms(op) == 2000);
	sc_op_free(op);
	sc_client_free(c);
}

TEST(retry_not_past_the_deadline)
{
	sc_client *c = client_with(3, 0, NULL);
	sc_op *op = op_for(c, "odometer", "veh-late");
	sc_result *res = NULL;

	REQUIRE(op);
	sc_op_next(op, NULL);
	/* Retry-After beyond the 30 s deadline: report it at once */
	sc_op_feed(op, v2(429, "RATE_LIMIT", "VEHICLE", "RETRY_LATER", "100"));
	CHECK(finish(op, &res) == SC_EAPI);
	CHECK(sc_error_retry_after(sc_result_error(res)) == 100);
	CHECK(sc_error_attempts(sc_result_error(res)) == 1);
	sc_result_free(res);
	sc_client_free(c);
}

TEST(retry_not_on_client_errors_or_contact_support)
{
	sc_client *c = client_with(3, 0, NULL);
	sc_op *op = op_for(c, "odometer", NULL);

	sc_op_next(op, NULL);
	sc_op_feed(op, v2(401, "AUTHENTICATION", NULL, NULL, NULL));
	CHECK(finish(op, NULL) == SC_EAPI);
	op = op_for(c, "odometer", NULL);
	sc_op_next(op, NULL);
	sc_op_feed(op, v2(500, "SERVER", "MULTIPLE_RECORDS_FOUND",
			  "CONTACT_SUPPORT", NULL));
	CHECK(finish(op, NULL) == SC_EAPI);
	sc_client_free(c);
}

TEST(retry_commands_never_resent_once_sent)
{
	static const char *const cmds[] = { "lock", "unlock", "start_charge",
					    "stop_charge", "disconnect" };
	sc_client *c = client_with(5, 0, NULL);
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		sc_op *op = op_for(c, cmds[i], NULL);
		REQUIRE(op);
		CHECK(sc_op_next(op, NULL) == SC_STEP_SEND);
		sc_op_fail(op, SC_ETIMEOUT, "timed out");
		CHECK(finish(op, NULL) == SC_ETIMEOUT);
		/* nor after a 5xx */
		op = op_for(c, cmds[i], NULL);
		sc_op_next(op, NULL);
		sc_op_feed(op, v2(503, "SERVER", "INTERNAL", "RETRY_LATER",
				  NULL));
		CHECK(finish(op, NULL) == SC_EAPI);
	}
	sc_client_free(c);
}

TEST(retry_commands_resent_when_certainly_unsent)
{
	sc_client *c = client_with(3, 0, NULL);
	sc_op *op = op_for(c, "lock", NULL);

	REQUIRE(op);
	sc_op_next(op, NULL);
	sc_op_fail_unsent(op, SC_ENETWORK, "connection refused");
	while (sc_op_next(op, NULL) == SC_STEP_WAIT)
		;
	sc_op_feed(op, t_response(200, "application/json",
				  "{\"status\":\"success\"}"));
	CHECK(finish(op, NULL) == 0);
	sc_client_free(c);
}

TEST(retry_off_with_one_attempt)
{
	sc_client *c = client_with(1, 0, NULL);
	sc_op *op = op_for(c, "odometer", NULL);
	sc_op_next(op, NULL);
	sc_op_fail(op, SC_ENETWORK, "reset");
	CHECK(finish(op, NULL) == SC_ENETWORK);
	sc_client_free(c);
}

TEST(rate_vehicle_cooldown_learned_from_retry_after)
{
	sc_client *c = client_with(1, 0, "fail");
	sc_op *op = op_for(c, "odometer", "veh-hot");
	sc_result *res = NULL;
	double ra;

	sc_op_next(op, NULL);
	sc_op_feed(op, v2(429, "RATE_LIMIT", "VEHICLE", "RETRY_LATER", "30"));
	sc_op_free(op);
	/* the same vehicle: refused locally, without a request */
	op = op_for(c, "location", "veh-hot");
	CHECK(finish(op, &res) == SC_ERATELIMIT);
	CHECK_STR(sc_error_get(sc_result_error(res), "kind"), "rate_limited");
	CHECK_STR(sc_error_get(sc_result_error(res), "code"), "VEHICLE");
	ra = sc_error_retry_after(sc_result_error(res));
	CHECK(ra > 28 && ra <= 30);
	sc_result_free(res);
	/* another vehicle goes */
	op = op_for(c, "location", "veh-cool");
	CHECK(sc_op_next(op, NULL) == SC_STEP_SEND);
	sc_op_free(op);
	sc_client_free(c);
}

/* The cool-down a fail-fast op on vehicle vid is refused for, in s (0
 * when it may go). */
static double refused_for(sc_client *c, const char *vid)
{
	sc_op *op = op_for(c, "location", vid);
	sc_result *res = NULL;
	double ra = 0;

	if (sc_op_next(op, NULL) == SC_STEP_DONE &&
	    sc_op_result(&res, op) == SC_ERATELIMIT)
		ra = sc_error_retry_after(sc_result_error(res));
	sc_result_free(res);
	sc_op_free(op);
	return ra;
}

static void feed_429(sc_client *c, const char *vid, const char *type,
		     const char *code, const char *retry_after)
{
	sc_op *op = op_for(c, "odometer", vid);
	sc_op_next(op, NULL);
	sc_op_feed(op, v2(429, type, code, "RETRY_LATER", retry_after));
	sc_op_free(op);
}

TEST(rate_cooldown_capped_for_absurd_retry_after)
{
	static const char *const absurd[] = {
		"31536000", "1e300", "1e23", "Thu, 01 Jan 2099 00:00:00 GMT"
	};
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = client_with(1, 0, "fail"), *capped = NULL;
	size_t i;

	for (i = 0; i < sizeof(absurd) / sizeof(*absurd); i++) {
		char vid[16];
		double ra;
		snprintf(vid, sizeof(vid), "veh-a%zu", i);
		feed_429(c, vid, "RATE_LIMIT", "VEHICLE", absurd[i]);
		ra = refused_for(c, vid);
		/* at most the default cap of one hour */
		CHECK(ra > 3500 && ra <= 3600);
	}
	sc_client_free(c);

	/* the cap is the client's to choose */
	o.api_origin = ORIGIN;
	o.max_attempts = 1;
	o.rate_policy = "fail";
	o.max_cooldown_ms = 5000;
	REQUIRE(sc_client_new(&capped, &o, NULL) == 0);
	feed_429(capped, "veh-b", "RATE_LIMIT", "VEHICLE", "31536000");
	CHECK(refused_for(capped, "veh-b") > 4 &&
	      refused_for(capped, "veh-b") <= 5);
	sc_client_free(capped);
	o.max_cooldown_ms = -1;
	CHECK(sc_client_new(&capped, &o, NULL) == SC_EINVAL);
}

TEST(rate_retry_after_beyond_the_deadline_is_not_waited)
{
	/* a read that would retry: 1e23 s is compared, never cast to long */
	sc_client *c = client_with(3, 0, "wait");
	sc_op *op = op_for(c, "odometer", "veh-d");
	sc_result *res = NULL;

	sc_op_next(op, NULL);
	sc_op_feed(op, v2(429, "RATE_LIMIT", "VEHICLE", "RETRY_LATER",
			  "1e23"));
	CHECK(finish(op, &res) == SC_EAPI);
	CHECK(sc_error_status_code(sc_result_error(res)) == 429);
	sc_result_free(res);
	sc_client_free(c);
}

TEST(rate_only_the_application_limit_blocks_every_vehicle)
{
	sc_client *c = client_with(1, 0, "fail");

	/* a 429 that does not say SMARTCAR_API blocks that vehicle only */
	feed_429(c, "veh-p", "RATE_LIMIT", NULL, "60");
	CHECK(refused_for(c, "veh-p") > 50);
	CHECK(refused_for(c, "veh-q") == 0);
	/* Smartcar's application limit blocks them all */
	feed_429(c, "veh-r", "RATE_LIMIT", "SMARTCAR_API", "60");
	CHECK(refused_for(c, "veh-q") > 50);
	sc_client_free(c);
}

TEST(rate_wait_policy_asks_to_wait)
{
	sc_client *c = client_with(1, 0, "wait");
	sc_op *op = op_for(c, "odometer", "veh-w");
	sc_params *p = NULL;

	sc_op_next(op, NULL);
	sc_op_feed(op, v2(429, "RATE_LIMIT", "VEHICLE", "RETRY_LATER", "5"));
	sc_op_free(op);
	op = op_for(c, "odometer", "veh-w");
	CHECK(sc_op_next(op, NULL) == SC_STEP_WAIT);
	CHECK(sc_op_wait_ms(op) > 4000 && sc_op_wait_ms(op) <= 5000);
	sc_op_free(op);
	/* the per-call policy wins over the client's */
	p = T_PARAMS("vehicle_id", "veh-w", "access_token", "tok-123456",
			"rate_policy", "fail");
	sc_op_new(&op, c, "odometer", p, NULL);
	CHECK(finish(op, NULL) == SC_ERATELIMIT);
	sc_params_free(p);
	sc_client_free(c);
}

TEST(rate_token_bucket)
{
	sc_client *c = client_with(1, 2, "fail");
	sc_op *op;
	sc_result *res = NULL;
	int i;

	for (i = 0; i < 2; i++) {
		op = op_for(c, "odometer", NULL);
		CHECK(sc_op_next(op, NULL) == SC_STEP_SEND);
		sc_op_free(op);
	}
	op = op_for(c, "odometer", NULL);
	CHECK(finish(op, &res) == SC_ERATELIMIT);
	CHECK_STR(sc_error_get(sc_result_error(res), "code"), "LOCAL");
	/* 2 per minute: the next token is about 30 s away */
	CHECK(sc_error_retry_after(sc_result_error(res)) > 25);
	sc_result_free(res);
	sc_client_free(c);
}

TEST(debug_hook_redacts)
{
	sc_client *c = client_with(1, 0, NULL);
	t_lines l = { "" };
	sc_params *p = NULL;
	sc_op *op = NULL;
	const char *const secrets[] = { "c0de-SECRET-1", T_CLIENT_SECRET,
					"AT-SECRET-9", "RT-SECRET-9" };

	sc_client_set_debug(c, t_collect_line, &l);
	p = T_PARAMS("code", "c0de-SECRET-1");
	REQUIRE(sc_op_new(&op, c, "exchange_code", p, NULL) == 0);
	sc_op_next(op, NULL);
	sc_op_feed(op, t_response(200, "application/json",
		"{\"access_token\":\"AT-SECRET-9\",\"token_type\":\"Bearer\","
		"\"expires_in\":7200,\"refresh_token\":\"RT-SECRET-9\"}"));
	sc_op_free(op);
	CHECK_CONTAINS(l.all, "> POST " ORIGIN "/oauth/token");
	CHECK_CONTAINS(l.all, "> Authorization: Basic [REDACTED]");
	CHECK_CONTAINS(l.all, "code=[REDACTED]");
	CHECK_CONTAINS(l.all, "< HTTP 200");
	CHECK(t_clean(l.all, secrets, 4));
	sc_params_free(p);
	sc_client_free(c);
}
