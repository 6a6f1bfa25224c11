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
