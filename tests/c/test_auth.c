/* Connect URL building and redirect parsing: pure functions, no sockets. */
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "test.h"

static sc_client *connect_client(void)
{
	return t_client("https://connect.example.com", NULL);
}

static char *auth_url(sc_client *c, sc_params *p, char **state)
{
	char *url = NULL;
	int rc = sc_auth_url(&url, state, c, p, NULL);
	return rc == 0 ? url : NULL;
}

TEST(auth_url_has_every_parameter)
{
	sc_client *c = connect_client();
	sc_params *p = NULL;
	char *url, *state = NULL;

	REQUIRE(c);
	p = T_PARAMS("scope", "read_odometer required:read_location",
			"state", "abc 123", "make", "TESLA",
			"single_select_vin", "5YJSA1E14FF101307",
			"flags", "country:DE flag:true", "user", "u-42",
			"force_prompt", "true");
	url = auth_url(c, p, &state);
	REQUIRE(url);
	CHECK_CONTAINS(url, "https://connect.example.com/oauth/authorize?"
			    "response_type=code&client_id=" T_CLIENT_ID);
	CHECK_CONTAINS(url, "&redirect_uri=http%3A%2F%2Flocalhost%3A8000"
			    "%2Fcallback");
	CHECK_CONTAINS(url, "&approval_prompt=force");
	CHECK_CONTAINS(url, "&scope=read_odometer%20required%3Aread_location");
	CHECK_CONTAINS(url, "&mode=test");
	CHECK_CONTAINS(url, "&state=abc%20123");
	CHECK_CONTAINS(url, "&make=TESLA");
	CHECK_CONTAINS(url, "&single_select_vin=5YJSA1E14FF101307"
			    "&single_select=true");
	CHECK_CONTAINS(url, "&flags=country%3ADE%20flag%3Atrue");
	CHECK_CONTAINS(url, "&user=u-42");
	CHECK_STR(state, "abc 123");
	sc_free(url);
	sc_free(state);
	sc_params_free(p);
	sc_client_free(c);
}

TEST(auth_url_takes_the_sdk_option_names)
{
	sc_client *c = connect_client();
	sc_params *p = NULL;
	char *url;

	REQUIRE(c);
	p = T_PARAMS("make_bypass", "TESLA", "single_select", "false");
	url = auth_url(c, p, NULL);
	REQUIRE(url);
	CHECK_CONTAINS(url, "&make=TESLA&single_select=false");
	sc_free(url);
	/* "make" wins over "make_bypass" */
	sc_params_set(p, "make", "BMW");
	url = auth_url(c, p, NULL);
	REQUIRE(url);
	CHECK_CONTAINS(url, "&make=BMW");
	CHECK(strstr(url, "TESLA") == NULL);
	sc_free(url);
	sc_params_free(p);
	sc_client_free(c);
}

TEST(auth_url_makes_a_random_state)
{
	sc_client *c = connect_client();
	char *u1, *u2, *s1 = NULL, *s2 = NULL;
	size_t i;

	REQUIRE(c);
	u1 = auth_url(c, NULL, &s1);
	u2 = auth_url(c, NULL, &s2);
	REQUIRE(u1 && u2 && s1 && s2);
	CHECK(strlen(s1) == 32);
	for (i = 0; i < strlen(s1); i++)
		CHECK(isxdigit((unsigned char)s1[i]));
	CHECK(strcmp(s1, s2) != 0);
	CHECK(strstr(u1, s1) != NULL);
	CHECK_CONTAINS(u1, "&approval_prompt=auto");
	CHECK(strstr(u1, "scope=") == NULL);
	sc_free(u1);
	sc_free(u2);
	sc_free(s1);
	sc_free(s2);
	sc_client_free(c);
}

TEST(auth_url_single_select_false_and_bad_mode)
{
	sc_client *c = connect_client();
	sc_params *p = NULL;
	char *url;

	REQUIRE(c);
	p = T_PARAMS("single_select", "false");
	url = auth_url(c, p, NULL);
	CHECK_CONTAINS(url, "&single_select=false");
	sc_free(url);
	sc_params_set(p, "mode", "bogus");
	CHECK(auth_url(c, p, NULL) == NULL);
	sc_params_free(p);
	sc_client_free(c);
}

TEST(auth_url_single_select_object)
{
	sc_client *c = connect_client();
	sc_params *p = NULL;
	static const char *const good[][2] = {
		{ "{\"enabled\":false}", "&single_select=false" },
		{ "{\"vin\":\"5YJSA1E14FF101307\"}",
		  "&single_select_vin=5YJSA1E14FF101307&single_select=true" },
	};
	static const char *const bad[][2] = {
		{ "{\"vin\":17}",
		  "single_select.vin: string expected, got number" },
		{ "{\"vin\":\"\"}", "single_select.vin: must not be empty" },
		{ "{\"enabled\":1}",
		  "single_select.enabled: boolean expected, got number" },
		{ "{\"enabled\":true,\"x\":1}", "single_select.x: unknown field" },
		{ "{bad", "single_select: a boolean or an object {enabled, vin} "
			  "expected" },
	};
	sc_error *err = NULL;
	char *url = NULL;
	size_t i;

	REQUIRE(c);
	REQUIRE(sc_params_new(&p) == 0);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		sc_params_set(p, "single_select", good[i][0]);
		url = auth_url(c, p, NULL);
		CHECK_CONTAINS(url, good[i][1]);
		sc_free(url);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sc_params_set(p, "single_select", bad[i][0]);
		CHECK(sc_auth_url(&url, NULL, c, p, &err) == SC_EINVAL);
		CHECK_STR(sc_error_message(err), bad[i][1]);
		sc_error_free(err);
		err = NULL;
	}
	sc_params_free(p);
	sc_client_free(c);
}

/* sc_auth_url_text: the Connect options as JSON, each of its JSON type; a
 * wrong type is an invalid argument that says the type expected. */
TEST(auth_url_text_checks_types)
{
	static const char *const bad[][3] = {
		{ "{\"state\": 5}", "state: string expected, got number",
		  "string" },
		{ "{\"scope\": \"read_vin\"}",
		  "scope: list of strings expected, got string",
		  "list of strings" },
		{ "{\"scope\": [1]}", "scope item: string expected", "string" },
		{ "{\"force_prompt\": \"yes\"}", "force_prompt: boolean",
		  "boolean" },
		{ "{\"single_select\": \"yes\"}", "single_select: boolean or",
		  "boolean or object" },
		{ "{\"single_select\": {\"vin\": 5}}", "single_select.vin: ",
		  "string" },
		{ "{\"flags\": {\"a\": null}}", "parameter 'a': ",
		  "string, number or boolean" },
		{ "{\"flags\": 5}", "flags: object or string", "object or string" },
		{ "[]", "parameters: a JSON object expected, got array",
		  "a JSON object" },
		{ "{\"user\": \"\"}", "user: must not be empty", NULL },
		{ "{\"forcePrompt\": true}", "unknown option: forcePrompt", NULL },
	};
	const char *good = "{\"scope\": [\"read_vin\"], \"state\": \"s1\", "
			   "\"force_prompt\": true, \"user\": null, "
			   "\"single_select\": true, \"flags\": {\"x\": 1}}";
	sc_client *c = connect_client();
	sc_error *err = NULL;
	char *url = NULL, *state = NULL;
	size_t i;

	REQUIRE(c);
	REQUIRE(sc_auth_url_text(&url, &state, c, good, strlen(good),
				 &err) == 0);
	CHECK_CONTAINS(url, "approval_prompt=force&scope=read_vin&");
	CHECK_CONTAINS(url, "&state=s1&single_select=true&flags=x%3A1");
	CHECK_STR(state, "s1");
	sc_free(url);
	sc_free(state);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(sc_auth_url_text(&url, &state, c, bad[i][0],
				       strlen(bad[i][0]), &err) == SC_EINVAL);
		CHECK(url == NULL && state == NULL);
		CHECK_CONTAINS(sc_error_message(err), bad[i][1]);
		if (bad[i][2])
			CHECK_STR(sc_error_get(err, "expected"), bad[i][2]);
		else
			CHECK(sc_error_get(err, "expected") == NULL);
		sc_error_free(err);
		err = NULL;
	}
	sc_client_free(c);
}

static sc_result *parse(const char *url, const char *expected, int want_rc)
{
	sc_result *r = NULL;
	int rc = sc_parse_redirect(&r, url, expected);
	if (rc != want_rc)
		fprintf(stderr, "  parse_redirect(%s) = %d, want %d\n", url, rc,
			want_rc);
	CHECK(rc == want_rc);
	return r;
}

TEST(redirect_success_forms)
{
	static const char *const inputs[] = {
		"http://localhost:8000/callback?code=c0de-1234&state=s1",
		"code=c0de-1234&state=s1",
		"?code=c0de-1234&state=s1#frag",
		"sc8229df9f-91a0-4ff0-a1ae-a1f38ee24d07://exchange?code="
		"c0de-1234&state=s1",
		"https://javascript-sdk.smartcar.com/v2/redirect?app_origin="
		"http%3A%2F%2Flocalhost&code=c0de-1234&state=s1",
	};
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		sc_result *r = parse(inputs[i], "s1", 0);
		REQUIRE(r);
		CHECK_STR(sc_result_get_string(r, "code"), "c0de-1234");
		CHECK_STR(sc_result_get_string(r, "state"), "s1");
		CHECK(sc_result_error(r) == NULL);
		sc_result_free(r);
	}
}

TEST(redirect_decodes_and_keeps_extras)
{
	sc_result *r = parse("https://a/cb?code=a%2Bb+c&state=x%20y"
			     "&user_id=u1&virtual_key_url=https%3A%2F%2Fk",
			     "x y", 0);
	REQUIRE(r);
	CHECK_RESULT_STRINGS(r, "code", "a+b c", "user_id", "u1",
			"virtual_key_url", "https://k");
	sc_result_free(r);
}

TEST(redirect_v3_user_id_without_a_code)
{
	sc_result *r = parse("https://a/cb?user_id=93b3ea96-ca37-43a9-9073-"
			     "f4334712dbc7&state=s1", "s1", 0);
	REQUIRE(r);
	CHECK(sc_result_error(r) == NULL);
	CHECK_STR(sc_result_get_string(r, "user_id"),
		  "93b3ea96-ca37-43a9-9073-f4334712dbc7");
	CHECK(sc_result_get_string(r, "code") == NULL);
	sc_result_free(r);
	r = parse("https://a/cb?user_id=&state=s1", "s1", SC_EINVAL);
	sc_result_free(r);
}

TEST(redirect_state_mismatch_is_an_error_without_the_code)
{
	sc_result *r = parse("https://a/cb?code=secret-code-9&state=evil",
			     "good", SC_ESTATE);
	const sc_error *e;
	const char *const secrets[] = { "secret-code-9" };

	REQUIRE(r);
	e = sc_result_error(r);
	REQUIRE(e);
	CHECK(sc_error_code(e) == SC_ESTATE);
	CHECK_STR(sc_error_get(e, "kind"), "state_mismatch");
	CHECK(t_result_clean(r, secrets, 1));
	CHECK(sc_result_data(r) == NULL);
	sc_result_free(r);
	r = parse("https://a/cb?code=x1234", "good", SC_ESTATE);
	sc_result_free(r);
	/* no expectation: no check */
	r = parse("https://a/cb?code=x1234", NULL, 0);
	sc_result_free(r);
}

TEST(redirect_connect_errors)
{
	sc_result *r = parse("https://a/cb?error=access_denied&error_"
			     "description=User+denied+access+to+application."
			     "&state=s", "s", SC_ECONNECT);
	const sc_error *e = sc_result_error(r);

	REQUIRE(e);
	CHECK_ERROR_FIELDS(e, "kind", "connect", "type", "access_denied",
			"description", "User denied access to application.");
	CHECK_CONTAINS(sc_error_message(e), "access_denied");
	sc_result_free(r);

	r = parse("https://a/cb?error=vehicle_incompatible&error_description="
		  "x&vin=0SCAUDI012FE3B132&make=AUDI&model=A4&year=2017", NULL,
		  SC_ECONNECT);
	e = sc_result_error(r);
	REQUIRE(e);
	CHECK_ERROR_FIELDS(e, "type", "vehicle_incompatible",
			"vin", "0SCAUDI012FE3B132", "make", "AUDI",
			"model", "A4", "year", "2017");
	sc_result_free(r);

	r = parse("error=configuration_error&error_description=d&status_code="
		  "400&error_message=bad+vin", NULL, SC_ECONNECT);
	e = sc_result_error(r);
	REQUIRE(e);
	CHECK(sc_error_status_code(e) == 400);
	CHECK_STR(sc_error_get(e, "error_message"), "bad vin");
	sc_result_free(r);
}

TEST(redirect_without_code_or_error)
{
	sc_result *r = parse("https://a/cb?state=s", NULL, SC_EINVAL);
	CHECK(sc_error_code(sc_result_error(r)) == SC_EINVAL);
	sc_result_free(r);
	r = parse("", NULL, SC_EINVAL);
	sc_result_free(r);
	r = parse("%%%&&&==", NULL, SC_EINVAL);
	sc_result_free(r);
}

TEST(auth_url_errors_say_why)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	sc_error *err = NULL;
	char *url = NULL;

	o.client_id = "id";
	o.connect_origin = "https://connect.example.com";
	unsetenv("SMARTCAR_REDIRECT_URI");
	REQUIRE(sc_client_new(&c, &o, NULL) == 0);
	CHECK(sc_auth_url(&url, NULL, c, NULL, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "redirect_uri");
	sc_error_free(err);
	sc_client_free(c);
}

TEST(redirect_refuses_repeated_parameters)
{
	sc_result *r = parse("https://a/cb?code=one1&code=two2&state=s", "s",
			     SC_EINVAL);
	sc_result_free(r);
	r = parse("https://a/cb?code=one1&state=s&state=t", NULL, SC_EINVAL);
	sc_result_free(r);
}

TEST(state_seal_and_open)
{
	const char *secret = "0123456789abcdef-secret";
	char *sealed = NULL, *state = NULL, *forged;
	sc_error *err = NULL;

	CHECK(sc_state_seal(&sealed, "short", "s", 100) == SC_EINVAL);
	CHECK(sc_state_seal(&sealed, secret, "", 100) == SC_EINVAL);
	REQUIRE(sc_state_seal(&sealed, secret, "a b/c.d%", 1000) == 0);
	CHECK(strchr(sealed, ' ') == NULL && strchr(sealed, ';') == NULL);
	REQUIRE(sc_state_open(&state, secret, sealed, 1000, &err) == 0);
	CHECK_STR(state, "a b/c.d%");
	CHECK(err == NULL);
	sc_free(state);
	/* expired, another secret, a changed byte, no signature, junk */
	CHECK(sc_state_open(&state, secret, sealed, 1001, &err) == SC_ESTATE);
	CHECK_CONTAINS(sc_error_message(err), "expired");
	sc_error_free(err);
	CHECK(sc_state_open(&state, "0123456789abcdef-other", sealed, 0,
			    &err) == SC_ESTATE);
	CHECK_CONTAINS(sc_error_message(err), "signature");
	sc_error_free(err);
	forged = strdup(sealed);
	REQUIRE(forged);
	forged[0] = forged[0] == 'x' ? 'y' : 'x';
	CHECK(sc_state_open(&state, secret, forged, 0, NULL) == SC_ESTATE);
	*strrchr(forged, '.') = '\0';
	CHECK(sc_state_open(&state, secret, forged, 0, NULL) == SC_ESTATE);
	CHECK(sc_state_open(&state, secret, "", 0, NULL) == SC_ESTATE);
	CHECK(sc_state_open(&state, secret, ".x", 0, NULL) == SC_ESTATE);
	CHECK(sc_state_open(&state, secret, "..", 0, NULL) == SC_ESTATE);
	CHECK(state == NULL);
	CHECK(sc_state_open(&state, "short", sealed, 0, NULL) == SC_EINVAL);
	free(forged);
	sc_free(sealed);
}
