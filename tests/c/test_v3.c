/* v3 through the library: a Connect token, and the application token the
 * client fetches and caches by itself (client credentials + sc-user-id). */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

TEST(v3_with_connect_and_application_tokens)
{
	const char *base = t_emulator();
	sc_client_options o;
	sc_client *c = NULL;
	sc_params *p = NULL;
	sc_result *tok, *veh = NULL, *user = NULL, *r = NULL;
	char vid[64], uid[64];
	int before;

	REQUIRE(base);
	t_app_options(&o, base);
	o.vehicle_api_origin = o.iam_origin = base;
	REQUIRE(sc_client_new(&c, &o, NULL) == 0);
	tok = t_owner_tokens(c, "v3owner@example.com",
			     "read_odometer read_vehicle_info", &veh, NULL);
	REQUIRE(tok && !sc_result_error(tok) && veh);
	REQUIRE(sc_get_user(&user, c, sc_result_get_string(tok,
		"access_token")) == 0);
	snprintf(vid, sizeof(vid), "%s", sc_result_get_string(veh,
							      "vehicles.0"));
	snprintf(uid, sizeof(uid), "%s", sc_result_get_string(user, "id"));

	/* with the Connect token */
	REQUIRE(sc_vehicle_call(&r, c, "get_vehicle", vid,
		sc_result_get_string(tok, "access_token"), NULL) == 0);
	CHECK_STR(sc_result_get_string(r, "data.id"), vid);
	CHECK(sc_result_get_string(r, "data.attributes.powertrain_type"));
	sc_result_free(r);

	/* with the application token: fetched once, then cached */
	before = t_requests_to("/oauth2/token");
	p = T_PARAMS("vehicle_id", vid, "user_id", uid, "page_size", "3");
	REQUIRE(sc_call(&r, c, "get_signals", p) == 0);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(sc_result_data(r),
						     "data")) == 3);
	{
		double total = 0;
		CHECK(sc_result_get_number(r, "meta.total_count", &total) == 0
		      && total > 3);
	}
	sc_result_free(r);
	sc_params_set(p, "signal_code", "odometer-traveleddistance");
	REQUIRE(sc_call(&r, c, "get_signal", p) == 0);
	CHECK_STR(sc_result_get_string(r, "data.attributes.code"),
		  "odometer-traveleddistance");
	sc_result_free(r);
	CHECK(t_requests_to("/oauth2/token") == before + 1);

	/* without sc-user-id the server refuses, as a typed error */
	sc_params_set(p, "user_id", NULL);
	CHECK(sc_call(&r, c, "get_signal", p) == SC_EAPI);
	CHECK_STR(sc_error_get(sc_result_error(r), "type"), "VALIDATION");
	sc_result_free(r);

	/* a wrong secret: the token grant's error, with no secret in it */
	{
		sc_client *bad = NULL;
		const char *const secrets[] = { "wrong-v3-secret" };
		o.client_secret = "wrong-v3-secret";
		REQUIRE(sc_client_new(&bad, &o, NULL) == 0);
		sc_params_set(p, "user_id", uid);
		CHECK(sc_call(&r, bad, "get_signal", p) == SC_EOAUTH);
		CHECK_STR(sc_error_get(sc_result_error(r), "type"),
			  "invalid_client");
		CHECK(t_result_clean(r, secrets, 1));
		sc_result_free(r);
		sc_client_free(bad);
	}
	sc_params_free(p);
	sc_result_free(tok);
	sc_result_free(veh);
	sc_result_free(user);
	sc_client_free(c);
}
