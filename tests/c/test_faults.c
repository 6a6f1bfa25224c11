/* Retries, rate limits and the rule that commands are never resent,
 * against the emulator's fault injection (docs/emulator.md). */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

/* A control-API call with any method; returns the parsed JSON answer. */
static cJSON *control(const char *method, const char *path, const char *json)
{
	return t_control_json(t_emulator(), method, path, json);
}

static void fault(const char *method, const char *path, int count,
		  const char *fault_json)
{
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"match\":{\"method\":\"%s\",\"path\":\"%s\"},\"count\":%d,"
		 "\"fault\":%s}", method, path, count, fault_json);
	cJSON_Delete(control("POST", "/_emulator/faults", body));
}

/* How many requests the emulator received for method + path suffix. */
static int received(const char *method, const char *suffix)
{
	cJSON *all = control("GET", "/_emulator/requests", NULL), *r;
	int n = 0;
	size_t sl = strlen(suffix);
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(all, "requests")) {
		const char *m = cJSON_GetStringValue(
			cJSON_GetObjectItem(r, "method"));
		const char *p = cJSON_GetStringValue(
			cJSON_GetObjectItem(r, "path"));
		size_t pl = p ? strlen(p) : 0;
		if (m && p && !strcmp(m, method) && pl >= sl &&
		    !strcmp(p + pl - sl, suffix))
			n++;
	}
	cJSON_Delete(all);
	return n;
}

struct session {
	sc_client *c;
	sc_result *tok;
	sc_result *veh;
	char token[128];
	char vid[64];
};

static sc_client *client_opts(int attempts, const char *policy,
			      size_t max_body, long timeout_ms)
{
	sc_client_options o;

	t_app_options(&o, t_emulator());
	o.max_attempts = attempts;
	o.rate_policy = policy;
	o.max_response_bytes = max_body;
	o.timeout_ms = timeout_ms;
	o.retry_base_ms = 50;
	return t_client_from(&o);
}

static int start(struct session *s, const char *email, int attempts,
		 const char *policy)
{
	memset(s, 0, sizeof(*s));
	if (!t_emulator())
		return -1;
	cJSON_Delete(control("DELETE", "/_emulator/faults", NULL));
	cJSON_Delete(control("DELETE", "/_emulator/requests", NULL));
	s->c = client_opts(attempts, policy, 0, 0);
	s->tok = t_owner_tokens(s->c, email,
				"read_odometer read_security "
				"control_security read_vehicle_info",
				&s->veh, NULL);
	if (s->veh && !sc_result_error(s->veh)) {
		snprintf(s->token, sizeof(s->token), "%s",
			 sc_result_get_string(s->tok, "access_token"));
		snprintf(s->vid, sizeof(s->vid), "%s",
			 sc_result_get_string(s->veh, "vehicles.0"));
	}
	cJSON_Delete(control("DELETE", "/_emulator/requests", NULL));
	return s->vid[0] ? 0 : -1;
}

static void stop(struct session *s)
{
	cJSON_Delete(control("DELETE", "/_emulator/faults", NULL));
	sc_result_free(s->tok);
	sc_result_free(s->veh);
	sc_client_free(s->c);
}

static int odometer(struct session *s, sc_client *c, sc_result **out)
{
	return sc_vehicle_odometer(out, c ? c : s->c, s->vid, s->token, NULL);
}

/* Reads the client retries through faults (three attempts): a 429 waited
 * out, a dropped connection, two 502s.  Each ends answered, after as many
 * requests as it says. */
TEST(faults_reads_are_retried_through)
{
	static const struct {
		const char *email, *policy, *fault;
		int count, sent;
	} reads[] = {
		{ "wait429@example.com", "wait",
		  "{\"type\":\"rate_limit\",\"retry_after\":1}", 1, 2 },
		{ "dropread@example.com", NULL, "{\"type\":\"drop\"}", 1, 2 },
		{ "retry5xx@example.com", NULL,
		  "{\"type\":\"status\",\"status\":502,\"error_type\":"
		  "\"UPSTREAM\",\"error_code\":\"NO_RESPONSE\"}", 2, 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(reads) / sizeof(*reads); i++) {
		struct session s;
		sc_result *r = NULL;
		REQUIRE(start(&s, reads[i].email, 3, reads[i].policy) == 0);
		fault("GET", "/v2.0/vehicles/*/odometer", reads[i].count,
		      reads[i].fault);
		CHECK(odometer(&s, NULL, &r) == 0);
		CHECK(received("GET", "/odometer") == reads[i].sent);
		sc_result_free(r);
		stop(&s);
	}
}

TEST(faults_429_fail_fast_reports_retry_after)
{
	struct session s;
	sc_result *r = NULL;

	REQUIRE(start(&s, "fast429@example.com", 3, "fail") == 0);
	fault("GET", "/v2.0/vehicles/*/odometer", 1,
	      "{\"type\":\"rate_limit\",\"retry_after\":40}");
	/* 40 s is past the retry deadline: reported at once */
	CHECK(odometer(&s, NULL, &r) == SC_EAPI);
	CHECK_STR(sc_error_get(sc_result_error(r), "type"), "RATE_LIMIT");
	CHECK(sc_error_retry_after(sc_result_error(r)) == 40);
	sc_result_free(r);
	/* the cool-down is remembered: no request goes out */
	CHECK(odometer(&s, NULL, &r) == SC_ERATELIMIT);
	CHECK(sc_error_retry_after(sc_result_error(r)) > 30);
	CHECK(received("GET", "/odometer") == 1);
	sc_result_free(r);
	stop(&s);
}

TEST(faults_lock_not_resent_after_a_dropped_connection)
{
	struct session s;
	sc_result *r = NULL, *st = NULL;

	REQUIRE(start(&s, "droplock@example.com", 5, NULL) == 0);
	fault("POST", "/v2.0/vehicles/*/security", 1, "{\"type\":\"drop\"}");
	CHECK(sc_vehicle_call(&r, s.c, "unlock", s.vid, s.token, NULL) ==
	      SC_ENETWORK);
	CHECK(sc_error_attempts(sc_result_error(r)) == 1);
	CHECK(received("POST", "/security") == 1);
	sc_result_free(r);
	/* the command did reach the car */
	CHECK(sc_vehicle_call(&st, s.c, "lock_status", s.vid, s.token,
			      NULL) == 0);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(sc_result_data(st),
						"is_locked")));
	sc_result_free(st);
	stop(&s);
}

TEST(faults_5xx_without_retries_is_the_answer)
{
	struct session s;
	sc_result *r = NULL;

	REQUIRE(start(&s, "once5xx@example.com", 3, NULL) == 0);
	fault("GET", "/v2.0/vehicles/*/odometer", 1,
	      "{\"type\":\"status\",\"status\":500,\"error_type\":\"SERVER\","
	      "\"error_code\":\"INTERNAL\",\"description\":\"words\","
	      "\"resolution\":\"CONTACT_SUPPORT\"}");
	{
		sc_client *one = client_opts(1, NULL, 0, 0);
		CHECK(odometer(&s, one, &r) == SC_EAPI);
		/* the fault's own description and resolution */
		CHECK_ERROR_FIELDS(sc_result_error(r), "type", "SERVER",
				   "description", "words", "resolution_type",
				   "CONTACT_SUPPORT");
		CHECK(sc_error_attempts(sc_result_error(r)) == 1);
		sc_result_free(r);
		sc_client_free(one);
	}
	stop(&s);
}

TEST(faults_malformed_oversized_slow)
{
	struct session s;
	sc_result *r = NULL;
	sc_client *small, *quick;

	REQUIRE(start(&s, "bodies@example.com", 1, NULL) == 0);
	fault("GET", "/v2.0/vehicles/*/odometer", 1,
	      "{\"type\":\"malformed\"}");
	CHECK(odometer(&s, NULL, &r) == SC_EMALFORMED);
	sc_result_free(r);

	small = client_opts(1, NULL, 64 * 1024, 0);
	fault("GET", "/v2.0/vehicles/*/odometer", 1,
	      "{\"type\":\"oversized\",\"bytes\":1048576}");
	CHECK(odometer(&s, small, &r) == SC_ETOOBIG);
	sc_result_free(r);
	sc_client_free(small);

	quick = client_opts(1, NULL, 0, 300);
	fault("GET", "/v2.0/vehicles/*/odometer", 1,
	      "{\"type\":\"latency\",\"ms\":1500}");
	CHECK(odometer(&s, quick, &r) == SC_ETIMEOUT);
	CHECK_STR(sc_error_get(sc_result_error(r), "kind"), "timeout");
	sc_result_free(r);
	sc_client_free(quick);
	stop(&s);
}

TEST(faults_settings_out_of_bounds_name_their_field)
{
	static const char *const bad[][2] = {
		{ "{\"type\":\"latency\",\"ms\":-1}", "fault.ms" },
		{ "{\"type\":\"oversized\",\"bytes\":3}", "fault.bytes" },
		{ "{\"type\":\"rate_limit\",\"retry_after\":1.5}",
		  "fault.retry_after" },
		{ "{\"type\":\"status\",\"retry_after\":-2}",
		  "fault.retry_after" },
		{ "{\"type\":\"status\",\"status\":42}", "fault.status" },
		{ "{\"type\":\"nap\"}", "fault.type" },
	};
	char body[256];
	cJSON *j;
	size_t i;

	REQUIRE(t_emulator());
	cJSON_Delete(control("DELETE", "/_emulator/faults", NULL));
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const cJSON *d;
		snprintf(body, sizeof(body), "{\"fault\":%s}", bad[i][0]);
		j = control("POST", "/_emulator/faults", body);
		d = cJSON_GetArrayItem(t_json_get(j, "detail"), 0);
		CHECK(t_json_num(j, "statusCode") == 400);
		CHECK_STR(t_json_str(d, "field"), bad[i][1]);
		CHECK_CONTAINS(t_json_str(d, "message"), bad[i][1]);
		cJSON_Delete(j);
	}
	/* none of them was added; a good one is, with its setting */
	j = control("POST", "/_emulator/faults",
		    "{\"fault\":{\"type\":\"latency\",\"ms\":20}}");
	cJSON_Delete(j);
	j = control("GET", "/_emulator/faults", NULL);
	REQUIRE(cJSON_GetArraySize(t_json_get(j, "faults")) == 1);
	CHECK(t_json_num(t_json_get(cJSON_GetArrayItem(t_json_get(j, "faults"),
						       0), "fault"), "ms") == 20);
	cJSON_Delete(j);
	cJSON_Delete(control("DELETE", "/_emulator/faults", NULL));
}
