/* Options per client and per call: User-Agent suffix, default flags,
 * proxy (option and environment), and that a raw request's headers stay
 * with that request. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define ORIGIN "https://api.example.com"

static sc_client *client_with(const char *suffix, const char *flags,
			      const char *proxy, const char *base)
{
	sc_client_options o;

	t_app_options(&o, base ? base : ORIGIN);
	o.user_agent_suffix = suffix;
	o.flags = flags;
	o.proxy = proxy;
	o.max_attempts = 1;
	return t_client_from(&o);
}

static const sc_request *first_request(sc_op **op, sc_client *c,
				       const char *ep, sc_params *p)
{
	const sc_request *req = NULL;
	*op = NULL;
	if (sc_op_new(op, c, ep, p, NULL) == 0)
		sc_op_next(*op, &req);
	return req;
}

TEST(options_user_agent_and_flags)
{
	sc_client *c = client_with("myapp/1.2", "country:DE", NULL, NULL);
	sc_params *p = NULL;
	sc_op *op;
	const sc_request *req;
	sc_error *err = NULL;

	REQUIRE(c);
	p = T_PARAMS("access_token", "tok-abcdef");
	req = first_request(&op, c, "get_user", p);
	REQUIRE(req);
	CHECK_CONTAINS(sc_request_header(req, "User-Agent"), "libsmartcar/");
	CHECK_CONTAINS(sc_request_header(req, "User-Agent"), " myapp/1.2");
	/* the client's default flags ride in the query */
	CHECK_CONTAINS(sc_request_url(req), "?flags=country%3ADE");
	sc_op_free(op);
	/* per call: another suffix and other flags win */
	sc_params_set(p, "user_agent_suffix", "job/7");
	sc_params_set(p, "flags", "a:b");
	req = first_request(&op, c, "get_user", p);
	REQUIRE(req);
	CHECK_CONTAINS(sc_request_header(req, "User-Agent"), "job/7");
	CHECK_CONTAINS(sc_request_url(req), "?flags=a%3Ab");
	sc_op_free(op);
	sc_params_set(p, "user_agent_suffix", "bad\r\nX-Evil: 1");
	CHECK(sc_op_new(&op, c, "get_user", p, &err) == SC_EINVAL);
	CHECK_CONTAINS(sc_error_message(err), "user_agent_suffix");
	sc_error_free(err);
	sc_params_free(p);
	sc_client_free(c);
}

TEST(options_caller_headers_stay_with_their_request)
{
	sc_client *c = client_with(NULL, NULL, NULL, NULL);
	sc_params *p = NULL;
	sc_op *op;
	const sc_request *req;

	p = T_PARAMS("access_token", "tok-abcdef", "vehicle_id", "v1",
			"method", "GET", "path", "odometer",
			"header:X-Trace", "t-1",
			"header:Authorization", "Bearer other-token");
	req = first_request(&op, c, "request", p);
	REQUIRE(req);
	CHECK_STR(sc_request_header(req, "X-Trace"), "t-1");
	/* a caller's Authorization replaces the library's */
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer other-token");
	sc_op_free(op);
	req = first_request(&op, c, "odometer", p);
	REQUIRE(req);
	CHECK(sc_request_header(req, "X-Trace") == NULL);
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer tok-abcdef");
	sc_op_free(op);
	sc_params_set(p, "header:Bad Name", "x");
	CHECK(sc_op_new(&op, c, "request", p, NULL) == SC_EINVAL);
	sc_params_free(p);
	sc_client_free(c);
}

/* A binding's headers table as the "headers" JSON object; a method in
 * any case. */
TEST(options_caller_headers_object)
{
	static const char *const bad[][2] = {
		{ "{\"X-A\":{}}",
		  "headers: 'X-A': string or number expected, got object" },
		{ "{\"X A\":\"1\"}", "bad header name" },
		{ "{\"\":\"1\"}", "empty header name" },
		{ "[1]", "headers: an object of names and values expected" },
	};
	sc_client *c = client_with(NULL, NULL, NULL, NULL);
	sc_params *p = NULL;
	sc_error *err = NULL;
	sc_op *op;
	const sc_request *req;
	size_t i;

	p = T_PARAMS("access_token", "tok-abcdef", "vehicle_id", "v1",
			"method", "post", "path", "odometer", "headers",
			"{\"X-Trace\":\"t-1\",\"X-N\":3,\"X-F\":1.5}");
	req = first_request(&op, c, "request", p);
	REQUIRE(req);
	CHECK_STR(sc_request_method(req), "POST");
	CHECK_STR(sc_request_header(req, "X-Trace"), "t-1");
	CHECK_STR(sc_request_header(req, "X-N"), "3");
	CHECK_STR(sc_request_header(req, "X-F"), "1.5");
	sc_op_free(op);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sc_params_set(p, "headers", bad[i][0]);
		CHECK(sc_op_new(&op, c, "request", p, &err) == SC_EINVAL);
		CHECK_STR(err ? sc_error_message(err) : NULL, bad[i][1]);
		sc_error_free(err);
		err = NULL;
	}
	sc_params_free(p);
	sc_client_free(c);
}

TEST(options_proxy_is_used)
{
	const char *base = t_emulator();
	sc_client *direct, *proxied;
	sc_result *r = NULL;

	REQUIRE(base);
	direct = client_with(NULL, NULL, NULL, base);
	/* nothing listens on port 9: going through it must fail */
	proxied = client_with(NULL, NULL, "http://127.0.0.1:9", base);
	REQUIRE(direct && proxied);
	CHECK(sc_get_user(&r, direct, "made-up-token") == SC_EAPI);
	sc_result_free(r);
	CHECK(sc_get_user(&r, proxied, "made-up-token") == SC_ENETWORK);
	CHECK_STR(sc_error_get(sc_result_error(r), "kind"), "network");
	sc_result_free(r);
	sc_client_free(proxied);
	/* and the usual environment variable is honoured too */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	proxied = client_with(NULL, NULL, NULL, base);
	CHECK(sc_get_user(&r, proxied, "made-up-token") == SC_ENETWORK);
	sc_result_free(r);
	unsetenv("http_proxy");
	sc_client_free(proxied);
	sc_client_free(direct);
}

/* Options as text (sc_client_new_params): every kind of field is read,
 * and a wrong name or value is refused with a message naming it. */
TEST(options_from_params)
{
	static const char *const good[][2] = {
		{ "client_id", "cid" },
		{ "api_origin", "http://10.1.2.3:8080/" },
		{ "allow_insecure_http", "true" },
		{ "timeout_ms", "1500" },
		{ "max_attempts", "2" },
		{ "max_response_bytes", "4096" },
		{ "rate_limit_per_minute", "0.5" },
		{ "flags", "country:DE" },
	};
	static const char *const bad[][2] = {
		{ "nope", "1" },		{ "timeout_ms", "-5" },
		{ "timeout_ms", "soon" },	{ "max_attempts", "99999999999" },
		{ "allow_insecure_http", "yes" }, { "rate_limit_capacity", "x" },
		{ "max_response_bytes", "" },
	};
	sc_params *p = NULL;
	sc_client *c = NULL;
	sc_error *err = NULL;
	size_t i;

	CHECK_STR(sc_client_option_type("client_id"), "string");
	CHECK_STR(sc_client_option_type("timeout_ms"), "integer");
	CHECK_STR(sc_client_option_type("rate_limit_per_minute"), "number");
	CHECK_STR(sc_client_option_type("allow_insecure_http"), "boolean");
	CHECK(sc_client_option_type("keepalive_pool_size") == NULL);
	CHECK(sc_client_option_type(NULL) == NULL);

	REQUIRE(sc_params_new(&p) == 0);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		sc_params_set(p, good[i][0], good[i][1]);
	REQUIRE(sc_client_new_params(&c, p, &err) == 0);
	CHECK_STR(sc_client_get(c, "client_id"), "cid");
	CHECK_STR(sc_client_get(c, "api_origin"), "http://10.1.2.3:8080");
	CHECK_STR(sc_client_get(c, "flags"), "country:DE");
	sc_client_free(c);
	c = NULL;
	/* without allow_insecure_http the plain-http origin is refused */
	sc_params_set(p, "allow_insecure_http", "0");
	CHECK(sc_client_new_params(&c, p, &err) == SC_EINVAL);
	CHECK(c == NULL);
	sc_error_free(err);
	err = NULL;
	sc_params_free(p);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REQUIRE(sc_params_new(&p) == 0);
		sc_params_set(p, bad[i][0], bad[i][1]);
		CHECK(sc_client_new_params(&c, p, &err) == SC_EINVAL);
		CHECK(c == NULL);
		CHECK_CONTAINS(sc_error_message(err), bad[i][0]);
		sc_error_free(err);
		err = NULL;
		sc_params_free(p);
	}
	/* no options at all: the defaults */
	REQUIRE(sc_client_new_params(&c, NULL, NULL) == 0);
	sc_client_free(c);
}
