/* Client configuration, environment overrides, params and error codes. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

TEST(client_defaults)
{
	sc_client *c = NULL;
	unsetenv("SMARTCAR_API_ORIGIN");
	unsetenv("SMARTCAR_AUTH_ORIGIN");
	unsetenv("SMARTCAR_CONNECT_ORIGIN");
	unsetenv("SMARTCAR_MANAGEMENT_API_ORIGIN");
	REQUIRE(sc_client_new(&c, NULL, NULL) == 0);
	CHECK_CLIENT_SETTINGS(c, "api_origin", "https://api.smartcar.com",
			"auth_url", "https://auth.smartcar.com/oauth/token",
			"connect_origin", "https://connect.smartcar.com",
			"management_origin", "https://management.smartcar.com",
			"mode", "live", "api_version", "2.0",
			"unit_system", "metric");
	CHECK(sc_client_get(c, "client_secret") == NULL);
	CHECK(sc_client_connections_opened(c) == 0);
	sc_client_free(c);
	sc_client_free(NULL);
}

TEST(client_secret_set_tells_without_the_secret)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *with = NULL, *without = NULL, *env = NULL;

	unsetenv("SMARTCAR_CLIENT_SECRET");
	o.client_secret = "s3cret";
	REQUIRE(sc_client_new(&with, &o, NULL) == 0);
	REQUIRE(sc_client_new(&without, NULL, NULL) == 0);
	setenv("SMARTCAR_CLIENT_SECRET", "from-env", 1);
	REQUIRE(sc_client_new(&env, NULL, NULL) == 0);
	unsetenv("SMARTCAR_CLIENT_SECRET");
	CHECK_STR(sc_client_get(with, "client_secret_set"), "1");
	CHECK_STR(sc_client_get(env, "client_secret_set"), "1");
	CHECK(sc_client_get(without, "client_secret_set") == NULL);
	CHECK(sc_client_get(with, "client_secret") == NULL);
	sc_client_free(with);
	sc_client_free(without);
	sc_client_free(env);
}

TEST(client_env_read_at_creation)
{
	sc_client *a = NULL, *b = NULL;

	setenv("SMARTCAR_API_ORIGIN", "http://127.0.0.1:1111/", 1);
	setenv("SMARTCAR_AUTH_ORIGIN", "http://127.0.0.1:2222", 1);
	setenv("SMARTCAR_CONNECT_ORIGIN", "http://localhost:3333", 1);
	setenv("SMARTCAR_MANAGEMENT_API_ORIGIN", "http://[::1]:4444", 1);
	REQUIRE(sc_client_new(&a, NULL, NULL) == 0);
	setenv("SMARTCAR_API_ORIGIN", "http://127.0.0.1:5555", 1);
	REQUIRE(sc_client_new(&b, NULL, NULL) == 0);
	CHECK_CLIENT_SETTINGS(a, "api_origin", "http://127.0.0.1:1111",
			"auth_url", "http://127.0.0.1:2222/oauth/token",
			"connect_origin", "http://localhost:3333",
			"management_origin", "http://[::1]:4444");
	CHECK_STR(sc_client_get(b, "api_origin"), "http://127.0.0.1:5555");
	unsetenv("SMARTCAR_API_ORIGIN");
	unsetenv("SMARTCAR_AUTH_ORIGIN");
	unsetenv("SMARTCAR_CONNECT_ORIGIN");
	unsetenv("SMARTCAR_MANAGEMENT_API_ORIGIN");
	sc_client_free(a);
	sc_client_free(b);
}

TEST(client_rejects_bad_options)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	sc_error *err = NULL;

	o.mode = "production";
	CHECK(sc_client_new(&c, &o, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "mode");
	CHECK_STR(sc_error_get(err, "kind"), "invalid_argument");
	sc_error_free(err);
	o.mode = NULL;
	o.api_origin = "http://api.example.com";
	CHECK(sc_client_new(&c, &o, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "allow_insecure_http");
	sc_error_free(err);
	o.allow_insecure_http = 1;
	CHECK(sc_client_new(&c, &o, &err) == 0);
	sc_client_free(c);
	o.allow_insecure_http = 0;
	o.api_origin = "ftp://x";
	CHECK(sc_client_new(&c, &o, &err) == SC_EINVAL);
	sc_error_free(err);
	o.api_origin = NULL;
	o.unit_system = "nautical";
	CHECK(sc_client_new(&c, &o, NULL) == SC_EINVAL);
	o.unit_system = NULL;
	o.max_response_bytes = (size_t)-1; /* a binding's -1 */
	CHECK(sc_client_new(&c, &o, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "max_response_bytes");
	sc_error_free(err);
	o.max_response_bytes = 0;
	o.api_version = "two";
	CHECK(sc_client_new(&c, &o, NULL) == SC_EINVAL);
	o.api_version = NULL;
	o.timeout_ms = -1;
	CHECK(sc_client_new(&c, &o, NULL) == SC_EINVAL);
	o.timeout_ms = 0;
	o.version = 99;
	CHECK(sc_client_new(&c, &o, NULL) == SC_EINVAL);
	CHECK(sc_client_options_init(&o, 99) == SC_EINVAL);
	CHECK(sc_client_options_init(&o, SC_CLIENT_OPTIONS_VERSION) == 0);
}

TEST(client_timeouts)
{
	sc_client *c = t_client("https://api.example.com", NULL);
	sc_params *p = NULL;
	sc_op *op = NULL;
	const sc_request *req;

	REQUIRE(c);
	CHECK(sc_client_set_timeouts(c, -1, 0) == SC_EINVAL);
	CHECK(sc_client_set_timeouts(c, 250, 900) == 0);
	p = T_PARAMS("access_token", "t");
	REQUIRE(sc_op_new(&op, c, "get_user", p, NULL) == 0);
	sc_op_next(op, &req);
	CHECK(sc_request_connect_timeout_ms(req) == 250);
	CHECK(sc_request_timeout_ms(req) == 900);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
}

TEST(params_bag)
{
	sc_params *p = NULL;
	const char *k, *v;

	REQUIRE(sc_params_new(&p) == 0);
	CHECK(sc_params_set(p, NULL, "x") == SC_EINVAL);
	sc_params_set(p, "a", "1");
	sc_params_set(p, "b", "2");
	sc_params_set(p, "a", "3");
	sc_params_set_int(p, "n", -42);
	CHECK(sc_params_count(p) == 3);
	CHECK_STR(sc_params_get(p, "a"), "3");
	CHECK_STR(sc_params_get(p, "n"), "-42");
	CHECK(sc_params_at(p, 1, &k, &v) == 0);
	CHECK_STR(k, "b");
	CHECK(sc_params_at(p, 3, &k, &v) == SC_EINVAL);
	sc_params_set(p, "a", NULL);
	CHECK(sc_params_get(p, "a") == NULL);
	CHECK(sc_params_count(p) == 2);
	sc_params_free(p);
}

TEST(error_codes_and_kinds)
{
	CHECK_STR(sc_code_kind(SC_ETIMEOUT), "timeout");
	CHECK_STR(sc_code_kind(SC_EOAUTH), "oauth");
	CHECK_STR(sc_code_kind(SC_ECONNECT), "connect");
	CHECK_STR(sc_code_kind(SC_EAPI), "api");
	CHECK(sc_code_kind(12345) == NULL);
	CHECK_STR(sc_strerror(0), "success");
	CHECK_STR(sc_strerror(SC_ETOOBIG), "response too large");
	CHECK_STR(sc_strerror(-999), "unknown error");
	CHECK(sc_endpoint_count() >= 5);
	CHECK_STR(sc_endpoint_name(0), "exchange_code");
	CHECK(sc_endpoint_name(sc_endpoint_count()) == NULL);
	CHECK_STR(sc_version(), SC_VERSION);
}

/* The URL the first request of endpoint ep would have (NULL: refused). */
static char *first_url(sc_client *c, const char *ep, sc_params *p)
{
	sc_op *op = NULL;
	const sc_request *req = NULL;
	char *url = NULL;

	if (sc_op_new(&op, c, ep, p, NULL) < 0)
		return NULL;
	if (sc_op_next(op, &req) == SC_STEP_SEND)
		url = strdup(sc_request_url(req));
	sc_op_free(op);
	return url;
}

TEST(client_profile_official)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *official = NULL, *native = NULL, *c = NULL;
	sc_params *p = NULL;
	sc_error *err = NULL;
	char *url;

	o.profile = "fast";
	CHECK(sc_client_new(&c, &o, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "profile");
	sc_error_free(err);
	o.rate_policy = "never";
	o.profile = NULL;
	CHECK(sc_client_new(&c, &o, NULL) == SC_EINVAL);
	o.rate_policy = NULL;

	o.api_origin = "https://api.example.com";
	o.client_id = "id";
	o.client_secret = "secret-value";
	o.redirect_uri = NULL;
	unsetenv("SMARTCAR_REDIRECT_URI");
	REQUIRE(sc_client_new(&native, &o, NULL) == 0);
	o.profile = "official";
	REQUIRE(sc_client_new(&official, &o, NULL) == 0);

	/* compatibility: "mode" only to 1.x for the official profile */
	p = T_PARAMS("vin", "5YJSA1E14FF101307", "scope", "read_vin",
			"mode", "test");
	url = first_url(official, "get_compatibility", p);
	CHECK(url && !strstr(url, "mode="));
	free(url);
	url = first_url(native, "get_compatibility", p);
	CHECK(url && strstr(url, "&mode=test"));
	free(url);
	sc_params_set(p, "version", "1.0");
	url = first_url(official, "get_compatibility", p);
	CHECK(url && strstr(url, "/v1.0/compatibility") &&
	      strstr(url, "&mode=test"));
	free(url);
	sc_params_free(p);

	/* the country is US unless named */
	p = T_PARAMS("vin", "5YJSA1E14FF101307", "scope", "read_vin");
	url = first_url(native, "get_compatibility", p);
	CHECK(url && strstr(url, "&country=US"));
	free(url);
	sc_params_set(p, "country", "DE");
	url = first_url(native, "get_compatibility", p);
	CHECK(url && strstr(url, "&country=DE") && !strstr(url, "=US"));
	free(url);
	sc_params_free(p);

	/* a compatibility level implies mode=test, unless a mode is named */
	p = T_PARAMS("vin", "5YJSA1E14FF101307", "scope", "read_vin",
			"test_mode_compatibility_level", "phev");
	url = first_url(native, "get_compatibility", p);
	CHECK(url && strstr(url, "&mode=test&test_mode_compatibility_level"
				 "=phev"));
	free(url);
	sc_params_set(p, "mode", "simulated");
	url = first_url(native, "get_compatibility", p);
	CHECK(url && strstr(url, "&mode=simulated&") && !strstr(url,
								"mode=test"));
	free(url);
	sc_params_free(p);

	/* exchange_code: redirect_uri optional for the official profile */
	p = T_PARAMS("code", "a-code-value");
	url = first_url(official, "exchange_code", p);
	CHECK(url != NULL);
	free(url);
	CHECK(first_url(native, "exchange_code", p) == NULL);
	sc_params_free(p);
	sc_client_free(official);
	sc_client_free(native);
}

TEST(client_env_v3_origin_and_ca_bundle)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;

	setenv("SMARTCAR_API_V3_ORIGIN", "http://127.0.0.1:7001", 1);
	setenv("SMARTCAR_VEHICLE_API_V3_ORIGIN", "http://127.0.0.1:7002/", 1);
	unsetenv("REQUESTS_CA_BUNDLE");
	unsetenv("CURL_CA_BUNDLE");
	setenv("SSL_CERT_FILE", "/tmp/ssl-cert-file.pem", 1);
	REQUIRE(sc_client_new(&c, NULL, NULL) == 0);
	/* the Python SDK's name wins */
	CHECK_STR(sc_client_get(c, "vehicle_api_origin"),
		  "http://127.0.0.1:7002");
	CHECK_STR(sc_client_get(c, "ca_bundle"), "/tmp/ssl-cert-file.pem");
	sc_client_free(c);
	setenv("REQUESTS_CA_BUNDLE", "/tmp/requests-bundle.pem", 1);
	REQUIRE(sc_client_new(&c, NULL, NULL) == 0);
	CHECK_STR(sc_client_get(c, "ca_bundle"), "/tmp/requests-bundle.pem");
	sc_client_free(c);
	o.ca_bundle = "/tmp/explicit.pem";
	REQUIRE(sc_client_new(&c, &o, NULL) == 0);
	CHECK_STR(sc_client_get(c, "ca_bundle"), "/tmp/explicit.pem");
	sc_client_free(c);
	unsetenv("SMARTCAR_VEHICLE_API_V3_ORIGIN");
	REQUIRE(sc_client_new(&c, NULL, NULL) == 0);
	CHECK_STR(sc_client_get(c, "vehicle_api_origin"),
		  "http://127.0.0.1:7001");
	sc_client_free(c);
	unsetenv("SMARTCAR_API_V3_ORIGIN");
	unsetenv("REQUESTS_CA_BUNDLE");
	unsetenv("SSL_CERT_FILE");
}

/* An endpoint table column, for CHECK_FIELDS. */
static const char *column(const void *endpoint, const char *name)
{
	return sc_endpoint_info(endpoint, name);
}

TEST(endpoint_info_every_column)
{
	size_t i;

	CHECK_FIELDS(column, "odometer", "method", "GET", "host", "api",
		     "path", "/vehicles/{vehicle_id}/odometer", "auth",
		     "bearer", "kind", "read", "vehicle", "1", "permission",
		     "read_odometer", "batch_path", "/odometer", "batch_name",
		     "odometer", "args", "", "result", "Odometer");
	CHECK_FIELDS(column, "lock", "kind", "command", "batch_name", "");
	CHECK_FIELDS(column, "unsubscribe", "auth", "bearer_amt", "args",
		     "amt>management_token:string webhook_id:string");
	CHECK_STR(sc_endpoint_info("request", "kind"), "any");
	CHECK_STR(sc_endpoint_info("get_user", "vehicle"), "0");
	CHECK_STR(sc_endpoint_info("get_signal", "host"), "v3");
	CHECK_STR(sc_endpoint_info("send_destination", "args"),
		  "latitude:number longitude:number");
	CHECK_STR(sc_endpoint_info("get_vehicles", "query"),
		  "limit offset flags");
	CHECK_STR(sc_endpoint_info("odometer", "query"), "flags");
	CHECK(sc_endpoint_info("odometer", "nope") == NULL);
	CHECK(sc_endpoint_info("odometer", NULL) == NULL);
	CHECK(sc_endpoint_info("nope", "method") == NULL);
	CHECK(sc_endpoint_info(NULL, "method") == NULL);
	/* every line of the table has its binding columns */
	for (i = 0; i < sc_endpoint_count(); i++) {
		const char *name = sc_endpoint_name(i);
		const char *result = sc_endpoint_info(name, "result");
		const char *doc = sc_endpoint_info(name, "doc");
		CHECK(result != NULL && result[0] != '\0');
		CHECK(doc != NULL && doc[0] != '\0');
	}
	/* sc_endpoint_column lists the columns: each is answered */
	for (i = 0; sc_endpoint_column(i) != NULL; i++)
		CHECK(sc_endpoint_info("odometer", sc_endpoint_column(i)) !=
		      NULL);
	CHECK(i == 15);
	CHECK_STR(sc_endpoint_column(0), "method");
	CHECK_STR(sc_endpoint_column(11), "doc");
	/* the paging style of a paged call, "" for another */
	CHECK_STR(sc_endpoint_info("get_vehicles", "paging"), "offset");
	CHECK_STR(sc_endpoint_info("get_connections", "paging"), "cursor");
	/* Lua's iterator over a paged call's items, "" for another call */
	CHECK_STR(sc_endpoint_info("get_vehicles", "walk"), "each_vehicle");
	CHECK_STR(sc_endpoint_info("odometer", "walk"), "");
	CHECK_STR(sc_endpoint_info("get_signals", "paging"), "page");
	CHECK_STR(sc_endpoint_info("odometer", "paging"), "");
}

TEST(client_env_names_every_variable_it_reads)
{
	size_t i, origins = 0, ca = 0, credentials = 0;

	/* the origins', the CA bundle's and the credentials' variables,
	 * each once */
	for (i = 0; sc_client_env_name(i) != NULL; i++) {
		const char *name = sc_client_env_name(i);
		if (strstr(name, "SMARTCAR_") != name)
			ca++;
		else if (strstr(name, "_ORIGIN") != NULL)
			origins++;
		else
			credentials++;
	}
	CHECK(origins == 9);
	CHECK(ca == 3);
	CHECK(credentials == 3);
	CHECK_STR(sc_client_env_name(0), "SMARTCAR_CONNECT_ORIGIN");
	CHECK_STR(sc_client_env_name(11), "SSL_CERT_FILE");
	CHECK_STR(sc_client_env_name(12), "SMARTCAR_CLIENT_ID");
	CHECK_STR(sc_client_env_name(14), "SMARTCAR_REDIRECT_URI");
	CHECK(sc_client_env_name(15) == NULL);
}

TEST(client_options_versions)
{
	/* a program built against version 1 has a struct that ends after
	 * the last version-1 field: the library must neither read nor write
	 * past it (ASan watches the exact-size allocation) */
	/* volatile: the compiler would warn at each field of the struct
	 * it sees allocated short; the short struct is the point here */
	volatile size_t v1_end = offsetof(sc_client_options,
					  max_cooldown_ms) + sizeof(long);
	size_t v1_size = v1_end;
	sc_client_options *v1 = malloc(v1_size), full;
	sc_client *c = NULL;
	sc_error *err = NULL;

	REQUIRE(v1 != NULL);
	memset(v1, 0xff, v1_size);
	CHECK(sc_client_options_init(v1, 1) == 0);
	CHECK(v1->version == 1);
	CHECK(v1->client_id == NULL && v1->max_cooldown_ms == 0);
	v1->client_id = "id-v1";
	v1->max_attempts = 2;
	CHECK(sc_client_new(&c, v1, &err) == 0);
	CHECK_STR(sc_client_get(c, "client_id"), "id-v1");
	sc_client_free(c);
	free(v1);

	CHECK(sc_client_options_init(&full, 0) == SC_EINVAL);
	CHECK(sc_client_options_init(&full, SC_CLIENT_OPTIONS_VERSION + 1) ==
	      SC_EINVAL);
	CHECK(sc_client_options_init(NULL, 1) == SC_EINVAL);
	CHECK(sc_client_options_init(&full, SC_CLIENT_OPTIONS_VERSION) == 0);
	full.version = SC_CLIENT_OPTIONS_VERSION + 1;
	CHECK(sc_client_new(&c, &full, &err) == SC_EINVAL);
	CHECK(c == NULL);
	CHECK_CONTAINS(sc_error_message(err), "version");
	sc_error_free(err);
}

TEST(error_codes_run_from_minus_one_to_the_last)
{
	int code;

	/* SC_ERROR_LAST_ follows errors.def: every code above it is known */
	for (code = -1; code > SC_ERROR_LAST_; code--)
		CHECK(sc_code_kind(code) != NULL);
	CHECK(sc_code_kind(SC_ERROR_LAST_) == NULL);
	CHECK(SC_ERROR_LAST_ == SC_ESTORAGE - 1 || SC_ERROR_LAST_ < SC_ESTORAGE);
}

/* An error's message from its fields, in each form the official SDKs
 * give it; NULL fields count as absent. */
TEST(error_message_of_words_fields)
{
	static const char *const cases[][4] = {
		{ "SERVER", "INTERNAL", "boom", "SERVER:INTERNAL - boom" },
		{ "SERVER", NULL, "boom", "SERVER - boom" },
		{ "SERVER", "", NULL, "SERVER - " },
		{ NULL, "CODE", "only this", "only this" },
		{ NULL, NULL, NULL, "Smartcar error" },
	};
	char *out = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		REQUIRE(sc_error_message_of(&out, cases[i][0], cases[i][1],
					    cases[i][2]) == 0);
		CHECK_STR(out, cases[i][3]);
		sc_free(out);
	}
	CHECK(sc_error_message_of(NULL, "T", "C", "d") == SC_EINVAL);
}
