/* The whole API v3 flow through the library, as an application runs it:
 * Connect walked through its pages returns the user id, an application
 * token, the user's connections page by page (sc_pager), signals, a lock
 * read back through closure-islocked, charging started through a 202, a
 * signed v4 webhook received and verified, and the connection deleted,
 * after which reads fail typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "test.h"
#include "tserver.h"

#define AMT "emulator-management-token"

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* One signal's body.value (borrowed from r). */
static const cJSON *signal_value(const sc_result *r)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(sc_result_data(r), "data"), "attributes"),
		"body"), "value");
}

/* GET one signal of vid for user uid; its value (a copy), or NULL. */
static cJSON *read_signal(sc_client *c, const char *vid, const char *uid,
			  const char *code)
{
	sc_params *p = NULL;
	sc_result *r = NULL;
	cJSON *v = NULL;

	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", vid);
	sc_params_set(p, "user_id", uid);
	sc_params_set(p, "signal_code", code);
	if (sc_call(&r, c, "get_signal", p) == 0)
		v = cJSON_Duplicate(signal_value(r), 1);
	sc_result_free(r);
	sc_params_free(p);
	return v;
}

/* Run a v3 command on vid; 1 when its execution says SUCCESS, of type
 * and in execution mode (sync: a 200, async: through a 202). */
static int command(sc_client *c, const char *vid, const char *uid,
		   const char *name, const char *type, const char *mode)
{
	sc_params *p = NULL;
	sc_result *r = NULL;
	int ok;

	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", vid);
	sc_params_set(p, "user_id", uid);
	ok = sc_call(&r, c, name, p) == 0 &&
	     same(sc_result_get_string(r, "data.type"),
		      "command-execution") &&
	     same(sc_result_get_string(r, "data.attributes.command_type"),
		      type) &&
	     same(sc_result_get_string(r,
				"data.attributes.execution_mode"), mode) &&
	     same(sc_result_get_string(r,
				"data.attributes.status.value"), "SUCCESS");
	sc_result_free(r);
	sc_params_free(p);
	return ok;
}

/* Step 7: 1 when a signed FIRST_DELIVERY of vid's state reached a
 * loopback receiver that verified it (sc_webhook_receive), and the body
 * it got (from the emulator's delivery log) says locked and charging,
 * from the steps before. */
static int webhook_received(sc_client *c, const char *base,
			    const char *uid, const char *vid)
{
	char url[128], body[256];
	t_server_opts so = { 0 };
	t_server *srv;
	t_server_counts counts;
	sc_params *p = NULL;
	sc_result *r = NULL, *ev = NULL;
	const cJSON *d, *row;
	const char *raw = NULL, *sig = NULL;
	cJSON *log = NULL;
	int tries, ok = 0, locked = 0, charging = 0;

	so.webhook_amt = AMT; /* answers VERIFY, checks signatures */
	srv = t_server_start(&so, url, sizeof(url));
	if (!srv)
		return 0;
	snprintf(body, sizeof(body), "{\"webhook_id\": \"c-v3-flow\", "
		 "\"callback_url\": \"%s/hook\"}", url);
	cJSON_Delete(t_control_json(base, "POST", "/_emulator/webhooks", body));
	sc_params_new(&p);
	sc_params_set(p, "webhook_id", "c-v3-flow");
	sc_params_set(p, "user_id", uid);
	sc_params_set(p, "vehicle_id", vid);
	CHECK(sc_call(&r, c, "create_subscription", p) == 0);
	sc_result_free(r);
	sc_params_free(p);
	for (tries = 0; tries < 250 && !raw; tries++) {
		cJSON_Delete(log);
		log = t_control_json(base, "GET", "/_emulator/webhooks/"
				     "deliveries?webhook_id=c-v3-flow", NULL);
		cJSON_ArrayForEach(d, t_json_get(log, "deliveries"))
			if (same(t_json_str(d, "event_type"), "VEHICLE_STATE") &&
			    cJSON_IsNumber(t_json_get(d, "status"))) {
				raw = t_json_str(d, "body");
				sig = t_json_str(d, "signature");
			}
		if (!raw)
			usleep(20000);
	}
	/* the receiver verified each: registration VERIFY (signed),
	 * subscription VERIFY (unsigned), the signed state */
	t_server_counts_get(srv, &counts);
	if (raw && sig && counts.webhooks >= 3 && counts.refused == 0 &&
	    sc_webhook_receive(&ev, AMT, sig, raw, strlen(raw), NULL) == 0) {
		ok = same(sc_result_get_string(ev, "event_type"),
			  "VEHICLE_STATE") &&
		     same(sc_result_get_string(ev, "vehicle_id"), vid) &&
		     same(sc_result_get_string(ev, "user_id"), uid) &&
		     cJSON_IsTrue(cJSON_GetObjectItem(sc_result_data(ev),
						      "first_delivery"));
		cJSON_ArrayForEach(row, cJSON_GetObjectItem(
				   sc_result_data(ev), "rows")) {
			const char *code = t_json_str(row, "code");
			locked |= same(code, "closure-islocked") &&
				  cJSON_IsTrue(t_json_get(row, "value"));
			charging |= same(code, "charge-ischarging") &&
				    cJSON_IsTrue(t_json_get(row, "value"));
		}
	}
	/* a body that is not the one signed is refused */
	if (raw && sig) {
		sc_result_free(ev);
		ev = NULL;
		ok = ok && sc_webhook_receive(&ev, AMT, sig, raw,
					      strlen(raw) - 1, NULL) < 0;
	}
	sc_result_free(ev);
	cJSON_Delete(log);
	cJSON_Delete(t_control_json(base, "DELETE",
				    "/_emulator/webhooks/c-v3-flow", NULL));
	t_server_stop(srv);
	return ok && locked && charging;
}

TEST(v3_whole_flow)
{
	const char *base = t_emulator();
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	sc_params *p = NULL;
	sc_pager *pg = NULL;
	sc_result *red = NULL, *r = NULL;
	char *url = NULL, *state = NULL, *loc, uid[64], vid[64] = "",
	     conn[64] = "", body[160];
	const cJSON *item;
	cJSON *v;
	double n = 0;
	int pages = 0, items = 0, rc;

	REQUIRE(base);
	o.client_id = T_CLIENT_ID;
	o.client_secret = T_CLIENT_SECRET;
	o.redirect_uri = T_REDIRECT;
	o.connect_origin = o.auth_origin = o.api_origin =
		o.management_origin = o.vehicle_api_origin = o.iam_origin =
			base;
	REQUIRE(sc_client_new(&c, &o, NULL) == 0);

	/* 1. Connect in the browser: the redirect carries the user id */
	sc_params_new(&p);
	sc_params_set(p, "scope", "read_vehicle_info read_odometer "
		      "read_battery read_charge read_security "
		      "control_security control_charge");
	REQUIRE(sc_auth_url(&url, &state, c, p, NULL) == 0);
	sc_params_free(p);
	loc = t_browse_connect(base, url, "c-v3-flow@example.com");
	REQUIRE(loc && sc_parse_redirect(&red, loc, state) == 0);
	REQUIRE(sc_result_get_string(red, "user_id"));
	snprintf(uid, sizeof(uid), "%s", sc_result_get_string(red, "user_id"));
	CHECK(strlen(uid) == 36 && uid[8] == '-' && uid[23] == '-');

	/* 2. an application token (the calls below fetch and cache their
	 * own) */
	REQUIRE(sc_call(&r, c, "get_app_token", NULL) == 0);
	CHECK_STR(sc_result_get_string(r, "token_type"), "Bearer");
	CHECK(sc_result_get_number(r, "expires_in", &n) == 0 && n == 3600);
	CHECK(strlen(sc_result_get_string(r, "access_token")) > 10);
	sc_result_free(r);

	/* 3. the user's connections, two a page, to the last page; 4. the
	 * vehicle that reads as a BEV */
	sc_params_new(&p);
	sc_params_set(p, "user_id", uid);
	REQUIRE(sc_pager_new(&pg, c, NULL, NULL, "list_connections", p, 2,
			     NULL) == 0);
	sc_params_free(p);
	while ((rc = sc_pager_next(&r, pg)) == 1) {
		pages++;
		cJSON_ArrayForEach(item, cJSON_GetObjectItem(
				   sc_result_data(r), sc_pager_items(pg))) {
			const char *id = cJSON_GetStringValue(
				cJSON_GetObjectItem(cJSON_GetObjectItem(
					cJSON_GetObjectItem(cJSON_GetObjectItem(
						item, "relationships"),
						"vehicle"), "data"), "id"));
			sc_result *info = NULL;
			items++;
			REQUIRE(id);
			sc_params_new(&p);
			sc_params_set(p, "vehicle_id", id);
			sc_params_set(p, "user_id", uid);
			REQUIRE(sc_call(&info, c, "get_vehicle", p) == 0);
			if (same(sc_result_get_string(info,
				"data.attributes.powertrain_type"), "BEV")) {
				snprintf(vid, sizeof(vid), "%s", id);
				snprintf(conn, sizeof(conn), "%s",
					 cJSON_GetStringValue(
						 cJSON_GetObjectItem(item,
								     "id")));
				CHECK_STR(sc_result_get_string(info,
					"data.attributes.make"), "TESLA");
			}
			sc_result_free(info);
			sc_params_free(p);
		}
		sc_result_free(r);
	}
	CHECK(rc == 0);
	sc_pager_free(pg);
	CHECK(items == 3 && pages == 2);
	REQUIRE(*vid && *conn);

	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", vid);
	sc_params_set(p, "user_id", uid);
	REQUIRE(sc_call(&r, c, "get_signals", p) == 0);
	CHECK(sc_result_get_number(r, "meta.total_count", &n) == 0 &&
	      n == cJSON_GetArraySize(cJSON_GetObjectItem(sc_result_data(r),
							  "data")));
	sc_result_free(r);
	sc_params_free(p);
	v = read_signal(c, vid, uid, "tractionbattery-stateofcharge");
	CHECK(cJSON_IsNumber(v) && v->valuedouble > 0 &&
	      v->valuedouble <= 100);
	cJSON_Delete(v);

	/* 5. unlock, then lock, read back through closure-islocked */
	CHECK(command(c, vid, uid, "security_unlock", "security-unlock",
		      "sync"));
	v = read_signal(c, vid, uid, "closure-islocked");
	CHECK(cJSON_IsFalse(v));
	cJSON_Delete(v);
	CHECK(command(c, vid, uid, "security_lock", "security-lock",
		      "sync"));
	v = read_signal(c, vid, uid, "closure-islocked");
	CHECK(cJSON_IsTrue(v));
	cJSON_Delete(v);

	/* 6. start charging (plugged in first): the emulator made commands
	 * long-running, so it answers 202 at once and writes the final
	 * command-execution on the same connection when the command ends */
	snprintf(body, sizeof(body), "{\"plugged_in\": true, \"charging\": "
		 "false, \"percent_remaining\": 0.5}");
	t_set_vehicle(base, vid, body);
	free(t_control("/_emulator/v3/commands",
		       "{\"mode\": \"async\", \"delay_ms\": 50}"));
	CHECK(command(c, vid, uid, "charge_start", "charge-start", "async"));
	free(t_control("/_emulator/v3/commands", "{\"mode\": \"auto\"}"));
	v = read_signal(c, vid, uid, "charge-ischarging");
	CHECK(cJSON_IsTrue(v));
	cJSON_Delete(v);

	/* 7. a signed v4 webhook on a loopback receiver (tserver): the car
	 * subscribed to a webhook (Management API v3), the emulator sends
	 * VERIFY (unsigned) and a signed VEHICLE_STATE; the body and
	 * signature the receiver got verify with sc_webhook_receive */
	CHECK(webhook_received(c, base, uid, vid));

	/* 8. delete the connection: reads of its vehicle fail typed */
	sc_params_new(&p);
	sc_params_set(p, "connection_id", conn);
	CHECK(sc_call(&r, c, "delete_connection", p) == 0);
	sc_result_free(r);
	CHECK(sc_call(&r, c, "get_connection", p) == SC_EAPI);
	CHECK_STR(sc_error_get(sc_result_error(r), "type"),
		  "RESOURCE_NOT_FOUND");
	sc_result_free(r);
	sc_params_free(p);
	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", vid);
	sc_params_set(p, "user_id", uid);
	sc_params_set(p, "signal_code", "closure-islocked");
	CHECK(sc_call(&r, c, "get_signal", p) == SC_EAPI);
	CHECK_STR(sc_error_get(sc_result_error(r), "type"),
		  "RESOURCE_NOT_FOUND");
	CHECK(sc_error_status_code(sc_result_error(r)) == 404);
	sc_result_free(r);
	sc_params_free(p);

	free(loc);
	sc_result_free(red);
	sc_free(url);
	sc_free(state);
	sc_client_free(c);
}

/* Output of `env <v3 variables> build/v3_quickstart args` (caller frees),
 * the example built next to this test binary. */
static char *run_example(const char *base, const char *args)
{
	char exe[4096], cmd[16384], *out = NULL;
	size_t len = 0, n;
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f;

	if (k <= 0)
		return NULL;
	exe[k] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(cmd, sizeof(cmd),
		 "env SMARTCAR_API_V3_ORIGIN=%s SMARTCAR_CONNECT_ORIGIN=%s "
		 "SMARTCAR_CLIENT_ID=%s SMARTCAR_CLIENT_SECRET=%s "
		 "SMARTCAR_REDIRECT_URI=%s %s/v3_quickstart %s",
		 base, base, T_CLIENT_ID, T_CLIENT_SECRET, T_REDIRECT, exe,
		 args);
	if (!(f = popen(cmd, "r")))
		return NULL;
	out = malloc(65536);
	while (out && (n = fread(out + len, 1, 65535 - len, f)) > 0)
		len += n;
	if (out)
		out[len] = '\0';
	if (pclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* examples/v3_quickstart.c against the emulator: the Connect URL, then
 * with the redirect the browser ended at: user id, application token,
 * every connected vehicle's odometer, a lock read back. */
TEST(v3_quickstart_example)
{
	const char *base = t_emulator();
	char *first, *second, *nl, args[8192], *p;
	char *loc;
	int vehicles = 0;

	REQUIRE(base);
	first = run_example(base, "");
	REQUIRE(first && (nl = strchr(first, '\n')));
	*nl = '\0';
	CHECK_CONTAINS(first, "/oauth/authorize?");
	loc = t_browse_connect(base, first, "c-v3-example@example.com");
	REQUIRE(loc && !strchr(loc, '\''));
	*strchr(nl + 1, '\n') = '\0';
	snprintf(args, sizeof(args), "'%s' '%s'", loc, nl + 1);
	second = run_example(base, args);
	REQUIRE(second);
	CHECK(strncmp(second, "user ", 5) == 0 && second[5 + 36] == '\n');
	CHECK_CONTAINS(second, "application token: Bearer, 3600 s\n");
	for (p = second; (p = strstr(p, "\nvehicle ")); p++) {
		vehicles++;
		CHECK(strstr(p, " kilometers\n") != NULL);
	}
	CHECK(vehicles == 3);
	CHECK_CONTAINS(second, ": SUCCESS\nclosure-islocked: true\n");
	free(loc);
	free(first);
	free(second);
}
