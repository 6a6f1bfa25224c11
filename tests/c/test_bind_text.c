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

/* Parameters and options as an array of objects: merged in order, a
 * later member (null too: then left out) replacing an earlier one. */
TEST(bind_text_merged_objects)
{
	const char *json = "[{\"a\":\"1\",\"b\":\"2\",\"c\":\"x\"},null,"
			   "{\"b\":\"3\",\"c\":null}]";
	sc_params *p = NULL;
	sc_error *err = NULL;
	char *url = NULL, *state = NULL;
	sc_client *c = NULL;

	REQUIRE(sc_params_from_text(&p, json, strlen(json), &err) == 0);
	CHECK_STR(sc_params_get(p, "a"), "1");
	CHECK_STR(sc_params_get(p, "b"), "3");
	CHECK(sc_params_get(p, "c") == NULL);
	sc_params_free(p);
	CHECK(sc_params_from_text(&p, "[]", 2, &err) == SC_EINVAL);
	sc_error_free(err);
	CHECK(sc_params_from_text(&p, "[{}, 1]", 7, &err) == SC_EINVAL);
	CHECK(p == NULL);
	CHECK_CONTAINS(sc_error_message(err), "parameters");
	sc_error_free(err);
	json = "[{\"client_id\":\"id\",\"redirect_uri\":\"https://a.example/cb\","
	       "\"timeout_ms\":5},{\"timeout_ms\":null}]";
	REQUIRE(sc_client_new_text(&c, json, strlen(json), NULL) == 0);
	CHECK_STR(sc_client_get(c, "client_id"), "id");
	json = "[{\"scope\":[\"read_vin\"]},{\"state\":\"s1\"}]";
	REQUIRE(sc_auth_url_text(&url, &state, c, json, strlen(json), NULL) ==
		0);
	CHECK_STR(state, "s1");
	CHECK_CONTAINS(url, "read_vin");
	sc_free(url);
	sc_free(state);
	sc_client_free(c);
}

/* sc_state_cookie: the Set-Cookie value a keeper of the Connect state
 * sends, and the bytes a cookie cannot hold refused. */
TEST(state_cookie_header)
{
	char *h = NULL;

	REQUIRE(sc_state_cookie(&h, "sc_state", "s%20t.17.ab", NULL, 600,
				1) == 0);
	CHECK_STR(h, "sc_state=s%20t.17.ab; Path=/; Max-Age=600; HttpOnly; "
		     "SameSite=Lax; Secure");
	sc_free(h);
	REQUIRE(sc_state_cookie(&h, "id", "", "/cb", 0, 0) == 0);
	CHECK_STR(h, "id=; Path=/cb; Max-Age=0; HttpOnly; SameSite=Lax");
	sc_free(h);
	CHECK(sc_state_cookie(&h, "a;b", "v", NULL, 1, 1) == SC_EINVAL);
	CHECK(sc_state_cookie(&h, "a=b", "v", NULL, 1, 1) == SC_EINVAL);
	CHECK(sc_state_cookie(&h, "", "v", NULL, 1, 1) == SC_EINVAL);
	CHECK(sc_state_cookie(&h, "n", "v; Domain=evil", NULL, 1, 1) ==
	      SC_EINVAL);
	CHECK(sc_state_cookie(&h, "n", "a b", NULL, 1, 1) == SC_EINVAL);
	CHECK(sc_state_cookie(&h, "n", "v", "/a;b", 1, 1) == SC_EINVAL);
	CHECK(sc_state_cookie(&h, "n", "v", "/a\r\nX: y", 1, 1) == SC_EINVAL);
	CHECK(sc_state_cookie(&h, "n", "v", NULL, -1, 1) == SC_EINVAL);
	CHECK(h == NULL);
}
