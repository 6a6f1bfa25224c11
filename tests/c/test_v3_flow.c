/* The whole API v3 flow through the library, as an application runs it:
 * Connect walked through its pages returns the user id, an application
 * token, the user's connections page by page (sc_pager), signals, a lock
 * read back through closure-islocked, charging started through a 202,
 * and the connection deleted, after which reads fail typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

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
