/* Integration: the whole flow against a real smartcar-emulator process on
 * loopback, with the libcurl transport. */
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cjson/cJSON.h>

#include "test.h"

TEST(flow_end_to_end)
{
	const char *base = t_emulator();
	sc_client *c;
	sc_params *p = NULL;
	char *url = NULL, *state = NULL, *loc, *code;
	sc_result *redirect = NULL, *tok = NULL, *user = NULL, *veh = NULL,
		  *odo = NULL, *odo_i = NULL, *tok2 = NULL, *again = NULL,
		  *tok3 = NULL;
	double km = 0, mi = 0, count = 0, expires = 0;
	char *rt1, *rt2, *vid;

	REQUIRE(base);
	c = t_client(base, NULL);
	REQUIRE(c);
	p = T_PARAMS("scope", "read_vehicle_info required:read_odometer");
	REQUIRE(sc_auth_url(&url, &state, c, p, NULL) == 0);
	CHECK_CONTAINS(url, base);
	loc = t_connect(url, "approve", "owner@example.com");
	REQUIRE(loc);
	CHECK_CONTAINS(loc, T_REDIRECT "?code=");
	REQUIRE(sc_parse_redirect(&redirect, loc, state) == 0);
	code = strdup(sc_result_get_string(redirect, "code"));

	REQUIRE(sc_exchange_code(&tok, c, code, NULL) == 0);
	CHECK(sc_result_get_number(tok, "expires_in", &expires) == 0 &&
	      expires == 7200);
	CHECK(sc_result_get_string(tok, "access_token") != NULL);
	rt1 = strdup(sc_result_get_string(tok, "refresh_token"));

	REQUIRE(sc_get_user(&user, c, sc_result_get_string(tok, "access_token"))
		== 0);
	CHECK(strlen(sc_result_get_string(user, "id")) == 36);
	CHECK(sc_result_get_string(user, "meta.request_id") != NULL);

	REQUIRE(sc_get_vehicles(&veh, c, sc_result_get_string(tok,
		"access_token"), -1, -1) == 0);
	CHECK(sc_result_get_number(veh, "paging.count", &count) == 0 &&
	      count == 3);
	vid = strdup(sc_result_get_string(veh, "vehicles.0"));

	REQUIRE(sc_vehicle_odometer(&odo, c, vid, sc_result_get_string(tok,
		"access_token"), NULL) == 0);
	CHECK(sc_result_get_number(odo, "distance", &km) == 0 && km > 0);
	CHECK_STR(sc_result_get_string(odo, "meta.unit_system"), "metric");
	CHECK(sc_result_get_string(odo, "meta.data_age") != NULL);
	CHECK(sc_result_get_string(odo, "meta.fetched_at") != NULL);
	sc_params_free(p);
	p = T_PARAMS("unit_system", "imperial");
	REQUIRE(sc_vehicle_odometer(&odo_i, c, vid, sc_result_get_string(tok,
		"access_token"), p) == 0);
	CHECK(sc_result_get_number(odo_i, "distance", &mi) == 0);
	CHECK(fabs(mi - km * 0.621371) < 0.2);
	CHECK_STR(sc_result_get_string(odo_i, "meta.unit_system"), "imperial");

	/* refresh rotates; the old token dies once the grace has passed */
	REQUIRE(sc_exchange_refresh_token(&tok2, c, rt1, NULL) == 0);
	rt2 = strdup(sc_result_get_string(tok2, "refresh_token"));
	CHECK(strcmp(rt1, rt2) != 0);
	t_advance(61);
	CHECK(sc_exchange_refresh_token(&again, c, rt1, NULL) == SC_EOAUTH);
	CHECK_STR(sc_error_get(sc_result_error(again), "type"),
		  "invalid_grant");
	{
		const char *const secrets[] = { rt1, T_CLIENT_SECRET };
		CHECK(t_result_clean(again, secrets, 2));
	}
	CHECK(sc_exchange_refresh_token(&tok3, c, rt2, NULL) == 0);
	/* one client, one connection for all of the above but the code
	 * exchange, which goes on a connection of its own (it must never be
	 * resent on a reused connection that died) */
	CHECK(sc_client_connections_opened(c) == 2);

	sc_result_free(redirect);
	sc_result_free(tok);
	sc_result_free(user);
	sc_result_free(veh);
	sc_result_free(odo);
	sc_result_free(odo_i);
	sc_result_free(tok2);
	sc_result_free(again);
	sc_result_free(tok3);
	sc_params_free(p);
	free(loc);
	free(code);
	free(rt1);
	free(rt2);
	free(vid);
	sc_free(url);
	sc_free(state);
	sc_client_free(c);
}

TEST(flow_vehicles_paging)
{
	const char *base = t_emulator();
	sc_client *c;
	sc_result *tok, *page = NULL;
	double count = 0, offset = -1;

	REQUIRE(base);
	c = t_client(base, NULL);
	tok = t_owner_tokens(c, "pager@example.com", "read_odometer", NULL,
			     NULL);
	REQUIRE(tok);
	REQUIRE(sc_get_vehicles(&page, c, sc_result_get_string(tok,
		"access_token"), 1, 1) == 0);
	CHECK(sc_result_get_number(page, "paging.count", &count) == 0 &&
	      count == 3);
	CHECK(sc_result_get_number(page, "paging.offset", &offset) == 0 &&
	      offset == 1);
	CHECK(sc_result_get_string(page, "vehicles.0") != NULL);
	CHECK(sc_result_get_string(page, "vehicles.1") == NULL);
	sc_result_free(page);
	sc_result_free(tok);
	sc_client_free(c);
}

TEST(flow_token_errors)
{
	const char *base = t_emulator();
	sc_client *c, *bad;
	sc_result *tok, *r = NULL;
	char *code = NULL;
	int i;

	REQUIRE(base);
	c = t_client(base, NULL);
	bad = t_client(base, "wrong-secret-value");
	tok = t_owner_tokens(c, "errors@example.com", "read_odometer", NULL,
			     &code);
	REQUIRE(tok && code);
	{
		const char *const secrets[] = { code, T_CLIENT_SECRET,
						"wrong-secret-value" };
		/* a reused code, then a wrong client secret */
		const struct {
			sc_client *by;
			const char *type;
			int status;
		} tries[] = { { c, "invalid_grant", 400 },
			      { bad, "invalid_client", 401 } };
		for (i = 0; i < 2; i++) {
			const sc_error *e;
			CHECK(sc_exchange_code(&r, tries[i].by, code, NULL) ==
			      SC_EOAUTH);
			e = sc_result_error(r);
			CHECK_STR(sc_error_get(e, "type"), tries[i].type);
			CHECK(sc_error_status_code(e) == tries[i].status);
			CHECK(t_result_clean(r, secrets, 3));
			sc_result_free(r);
		}
	}
	free(code);
	code = NULL;
	sc_result_free(tok);

	/* an expired code: ten minutes pass before the exchange */
	{
		sc_params *p = NULL;
		char *url = NULL, *state = NULL, *loc;
		sc_result *red = NULL;
		sc_auth_url(&url, &state, c, p, NULL);
		loc = t_connect(url, "approve", "late@example.com");
		REQUIRE(loc);
		REQUIRE(sc_parse_redirect(&red, loc, state) == 0);
		t_advance(601);
		CHECK(sc_exchange_code(&r, c, sc_result_get_string(red, "code"),
				       NULL) == SC_EOAUTH);
		CHECK_STR(sc_error_get(sc_result_error(r), "type"),
			  "invalid_grant");
		{
			const char *const secrets[] = {
				sc_result_get_string(red, "code") };
			CHECK(t_result_clean(r, secrets, 1));
		}
		sc_result_free(r);
		sc_result_free(red);
		free(loc);
		sc_free(url);
		sc_free(state);
	}
	sc_client_free(c);
	sc_client_free(bad);
}

TEST(flow_connect_denied_and_incompatible)
{
	const char *base = t_emulator();
	sc_client *c;
	char *url = NULL, *state = NULL, *loc;
	sc_result *r = NULL;
	/* the owner denies; a car Smartcar cannot serve */
	const struct {
		const char *action, *email, *type;
	} ends[] = { { "deny", "owner@example.com", "access_denied" },
		     { "approve", "smartcar@vehicle-incompatible.com",
		       "vehicle_incompatible" } };
	size_t i;

	REQUIRE(base);
	c = t_client(base, NULL);
	REQUIRE(sc_auth_url(&url, &state, c, NULL, NULL) == 0);
	for (i = 0; i < sizeof(ends) / sizeof(*ends); i++) {
		loc = t_connect(url, ends[i].action, ends[i].email);
		REQUIRE(loc);
		CHECK(sc_parse_redirect(&r, loc, state) == SC_ECONNECT);
		CHECK_ERROR_FIELDS(sc_result_error(r), "kind", "connect",
				   "type", ends[i].type);
		if (i == 1) {
			CHECK_STR(sc_error_get(sc_result_error(r), "vin"),
				  "0SCAUDI012FE3B132");
			CHECK(sc_error_get(sc_result_error(r), "make") != NULL);
		}
		sc_result_free(r);
		free(loc);
	}

	/* a tampered state */
	loc = t_connect(url, "approve", "owner@example.com");
	REQUIRE(loc);
	CHECK(sc_parse_redirect(&r, loc, "not-the-state") == SC_ESTATE);
	sc_result_free(r);
	free(loc);
	sc_free(url);
	sc_free(state);
	sc_client_free(c);
}

TEST(flow_api_errors)
{
	const char *base = t_emulator();
	sc_client *c;
	sc_result *r = NULL, *tok, *veh = NULL;
	const sc_error *e;
	const char *const secrets[] = { "not-a-real-token-123" };

	REQUIRE(base);
	c = t_client(base, NULL);
	CHECK(sc_get_user(&r, c, "not-a-real-token-123") == SC_EAPI);
	e = sc_result_error(r);
	REQUIRE(e);
	CHECK_STR(sc_error_get(e, "type"), "AUTHENTICATION");
	CHECK(sc_error_get(e, "code") == NULL);
	CHECK(sc_error_status_code(e) == 401);
	CHECK(sc_error_get(e, "request_id") != NULL);
	CHECK(sc_error_get(e, "doc_url") != NULL);
	CHECK(sc_error_get(e, "description") != NULL);
	CHECK(t_result_clean(r, secrets, 1));
	sc_result_free(r);

	/* a token without read_odometer */
	tok = t_owner_tokens(c, "noscope@example.com", "read_vehicle_info",
			     &veh, NULL);
	REQUIRE(tok && veh);
	CHECK(sc_vehicle_odometer(&r, c, sc_result_get_string(veh,
		"vehicles.0"), sc_result_get_string(tok, "access_token"),
		NULL) == SC_EAPI);
	e = sc_result_error(r);
	CHECK(sc_error_status_code(e) == 403);
	CHECK_STR(sc_error_get(e, "type"), "PERMISSION");
	sc_result_free(r);
	sc_result_free(veh);
	sc_result_free(tok);
	sc_client_free(c);
}

TEST(flow_network_failure_is_typed)
{
	sc_client *c = t_client("http://127.0.0.1:1", NULL);
	sc_result *r = NULL;
	int rc;

	REQUIRE(c);
	rc = sc_get_user(&r, c, "tok-abcdef");
	CHECK(rc == SC_ENETWORK);
	CHECK_STR(sc_error_get(sc_result_error(r), "kind"), "network");
	sc_result_free(r);
	sc_client_free(c);
}
