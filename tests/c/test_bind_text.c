/* smartcar/bind.h's JSON text for a binding through a foreign function
 * interface (smartcar.resty): error values without nulls and with
 * sc_code, a call's data or error, and socket failures' codes. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "sc_internal.h"
#include "smartcar/bind.h"
#include <cjson/cJSON.h>

TEST(bind_text_error_fields)
{
	sc_error *err = NULL;
	char *t = NULL;

	CHECK(sc_error_fields_text(NULL, SC_EINVAL, NULL, "x") == SC_EINVAL);
	REQUIRE(sc_error_fields_text(&t, SC_ENOTFOUND, NULL, NULL) == 0);
	CHECK_CONTAINS(t, "\"kind\":\"not_found\"");
	CHECK_CONTAINS(t, "\"sc_code\":-17");
	sc_free(t);
	/* an error object: its own code, no null member left */
	CHECK(sc_param_check("unit_system", "furlongs", &err) == SC_EINVAL);
	REQUIRE(err != NULL);
	REQUIRE(cJSON_AddNullToObject((cJSON *)sc_error_object(err), "gone"));
	REQUIRE(sc_error_fields_text(&t, SC_ENETWORK, err, "ignored") == 0);
	CHECK_CONTAINS(t, "\"kind\":\"invalid_argument\"");
	CHECK_CONTAINS(t, "\"sc_code\":-1");
	CHECK(strstr(t, "null") == NULL && strstr(t, "ignored") == NULL);
	sc_free(t);
	sc_error_free(err);
}

TEST(bind_text_result)
{
	sc_result *ok = sc__result_ok(cJSON_Parse("{\"id\":\"u1\",\"n\":null}"));
	sc_result *bad = sc__result_err(sc__error_new(SC_ETIMEOUT, "slow"));
	char *t = NULL;

	REQUIRE(ok && bad);
	REQUIRE(sc_result_text(&t, ok, 0) == 0);
	CHECK_STR(t, "{\"data\":{\"id\":\"u1\",\"n\":null}}"); /* data as is */
	sc_free(t);
	CHECK_STR(sc_result_get_string(ok, "id"), "u1"); /* still its own */
	REQUIRE(sc_result_text(&t, bad, SC_ETIMEOUT) == 0);
	CHECK_CONTAINS(t, "{\"error\":{");
	CHECK_CONTAINS(t, "\"kind\":\"timeout\"");
	CHECK_CONTAINS(t, "\"message\":\"slow\"");
	sc_free(t);
	/* a failure code with data, or no result at all: an error */
	REQUIRE(sc_result_text(&t, ok, SC_ENETWORK) == 0);
	CHECK_CONTAINS(t, "\"sc_code\":-3");
	CHECK(strstr(t, "u1") == NULL);
	sc_free(t);
	REQUIRE(sc_result_text(&t, NULL, 0) == 0);
	CHECK_CONTAINS(t, "\"kind\":\"malformed_response\"");
	CHECK_CONTAINS(t, "\"message\":\"no result\"");
	sc_free(t);
	sc_result_free(ok);
	sc_result_free(bad);
}

TEST(bind_text_socket_error_code)
{
	CHECK(sc_socket_error_code("timeout", 0) == SC_ETIMEOUT);
	CHECK(sc_socket_error_code("timeout", 2) == SC_ETIMEOUT);
	CHECK(sc_socket_error_code("connection refused", 0) == SC_ENETWORK);
	CHECK(sc_socket_error_code(NULL, 0) == SC_ENETWORK);
	CHECK(sc_socket_error_code("closed", 2) == SC_ETLS);
	CHECK(sc_socket_error_code("connection refused", 1) == SC_ENETWORK);
	CHECK(sc_socket_error_code("20: unable to get local issuer "
				   "certificate", 1) == SC_ETLS);
	CHECK(sc_socket_error_code("SSL_do_handshake() failed", 1) == SC_ETLS);
	CHECK(sc_socket_error_code("Certificate expired", 1) == SC_ETLS);
	CHECK(sc_socket_error_code("20: not tls words", 0) == SC_ENETWORK);
	CHECK(sc_socket_error_code("20 no colon", 1) == SC_ENETWORK);
}
