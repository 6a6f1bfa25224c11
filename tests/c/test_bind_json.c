/* smartcar/bind.h: parameters, client options and Connect options given
 * as JSON text (what smartcar.resty hands over). */
#include <stdlib.h>
#include <string.h>

#include "test.h"

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
	sc_params *p = NULL;
	char msg[200];

	REQUIRE(params(&p, "{\"a\": \"x y\", \"b\": true, \"c\": false, "
			   "\"n\": 1234567890123, \"f\": 0.25, \"big\": 1e20, "
			   "\"scope\": [\"read_vin\", \"read_odometer\"], "
			   "\"flags\": {\"country\": \"DE\", \"beta\": true}, "
			   "\"none\": null, \"empty\": {}}",
		       msg, sizeof(msg)) == 0);
	CHECK_STR(sc_params_get(p, "a"), "x y");
	CHECK_STR(sc_params_get(p, "b"), "true");
	CHECK_STR(sc_params_get(p, "c"), "false");
	CHECK_STR(sc_params_get(p, "n"), "1234567890123");
	CHECK_STR(sc_params_get(p, "f"), "0.25");
	CHECK_STR(sc_params_get(p, "big"), "1e+20");
	CHECK_STR(sc_params_get(p, "scope"), "read_vin read_odometer");
	CHECK_STR(sc_params_get(p, "flags"), "beta:true country:DE");
	CHECK(sc_params_get(p, "none") == NULL);
	CHECK_STR(sc_params_get(p, "empty"), "");
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
	CHECK_STR(sc_params_get(p, "single_select"), "true");
	CHECK_STR(sc_params_get(p, "single_select_vin"), "VIN1");
	sc_params_free(p);
	REQUIRE(sc_auth_params_text(&p, off, strlen(off), &err) == 0);
	CHECK_STR(sc_params_get(p, "single_select"), "false");
	CHECK(sc_params_get(p, "single_select_vin") == NULL);
	sc_params_free(p);
	CHECK(sc_auth_params_text(&p, "{\"nope\": 1}", 11, &err) == SC_EINVAL);
	CHECK(p == NULL);
	CHECK_CONTAINS(err ? sc_error_message(err) : NULL, "unknown option: nope");
	sc_error_free(err);
}
