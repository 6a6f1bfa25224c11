/* sc_http1: the sans-IO HTTP/1.1 client smartcar.resty drives over
 * cosockets.  URL and request bytes, then responses fed in pieces,
 * including the ones a hostile server sends. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "sc_internal.h"

/* An exchange of method url (with an Authorization header and body). */
static sc_http1 *start(const char *method, const char *url,
		       const char *body, size_t max_body)
{
	sc_request *req = NULL;
	sc_http1 *h = NULL;

	if (sc__request_new(&req, method, url) != 0)
		return NULL;
	sc__request_add_header(req, "Authorization", "Bearer tok");
	if (body)
		sc__buf_puts(&req->body, body);
	sc_http1_new(&h, req, max_body, NULL);
	sc__request_free(req);
	return h;
}

/* Feed text in pieces of `step` bytes: the last feed's answer. */
static int feed(sc_http1 *h, const char *text, size_t step)
{
	size_t len = strlen(text), i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i += step)
		rc = sc_http1_feed(h, text + i, len - i < step ? len - i : step);
	return rc;
}

TEST(http1_url_and_request_bytes)
{
	sc_http1 *h = start("POST", "https://api.example.com/v2.0/x?a=b#frag",
			    "{}", 0);
	size_t len;
	const char *bytes;

	REQUIRE(h != NULL);
	CHECK_STR(sc_http1_host(h), "api.example.com");
	CHECK(sc_http1_port(h) == 443);
	CHECK(sc_http1_tls(h) == 1);
	CHECK_STR(sc_http1_server_name(h), "api.example.com");
	CHECK_STR(sc_http1_target(h), "/v2.0/x?a=b");
	bytes = sc_http1_bytes(h, &len);
	CHECK(len == strlen(bytes));
	CHECK_STR(bytes, "POST /v2.0/x?a=b HTTP/1.1\r\n"
			 "Authorization: Bearer tok\r\n"
			 "Host: api.example.com\r\n"
			 "Content-Length: 2\r\n"
			 "Connection: keep-alive\r\n\r\n{}");
	CHECK_STR(sc_request_header(sc_http1_request(h), "host"),
		  "api.example.com");
	sc_http1_free(h);

	h = start("GET", "http://[::1]:8443?q=1", NULL, 0);
	REQUIRE(h != NULL);
	CHECK_STR(sc_http1_host(h), "::1");
	CHECK(sc_http1_port(h) == 8443);
	CHECK(sc_http1_tls(h) == 0);
	CHECK(sc_http1_server_name(h) == NULL);
	CHECK_STR(sc_http1_target(h), "/?q=1");
	CHECK_CONTAINS(sc_http1_bytes(h, NULL), "Host: [::1]:8443\r\n");
	CHECK(strstr(sc_http1_bytes(h, NULL), "Content-Length") == NULL);
	sc_http1_free(h);

	h = start("DELETE", "HTTP://127.0.0.1/a", NULL, 0);
	REQUIRE(h != NULL);
	CHECK(sc_http1_port(h) == 80);
	CHECK(sc_http1_server_name(h) == NULL);
	CHECK_CONTAINS(sc_http1_bytes(h, NULL), "Content-Length: 0\r\n");
	sc_http1_free(h);
}

TEST(http1_refuses_bad_urls_and_header_injection)
{
	static const char *const bad[] = {
		"ftp://h/x", "h/x", "http:///x", "http://h:99999/",
		"http://h:8x/", "http://[::1/", "http://[::1]x/",
	};
	sc_request *req = NULL;
	sc_http1 *h = NULL;
	sc_error *err = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h = start("GET", bad[i], NULL, 0);
		CHECK(h == NULL);
		sc_http1_free(h);
	}
	REQUIRE(sc__request_new(&req, "GET", "http://h/") == 0);
	sc__request_add_header(req, "X-A", "1\r\nX-Injected: 1");
	CHECK(sc_http1_new(&h, req, 0, &err) == SC_EINVAL);
	CHECK(h == NULL);
	CHECK_CONTAINS(sc_error_message(err), "line break");
	sc_error_free(err);
	sc__request_free(req);
}

TEST(http1_content_length_in_pieces)
{
	static const char text[] =
		"HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		"X-Spaced :  v  \r\nnot a header\r\n"
		"Content-Length: 13\r\n\r\n{\"a\":\"b c d\"}";
	size_t step;

	for (step = 1; step <= sizeof(text); step *= 3) {
		sc_http1 *h = start("GET", "http://h/", NULL, 0);
		sc_response *resp = NULL;
		size_t len;

		REQUIRE(h != NULL);
		CHECK(sc_http1_got_any(h) == 0);
		CHECK(feed(h, text, step) == 1);
		CHECK(sc_http1_keep_alive(h) == 1);
		CHECK(sc_http1_got_any(h) == 1);
		REQUIRE(sc_http1_take(&resp, h) == 0);
		CHECK(sc_http1_take(&resp, h) == SC_EINVAL);
		CHECK(sc_response_status(resp) == 200);
		CHECK_STR(sc_response_header(resp, "x-spaced"), "v");
		CHECK_STR(sc_response_body(resp, &len), "{\"a\":\"b c d\"}");
		CHECK(len == 13);
		sc_response_free(resp);
		sc_http1_free(h);
	}
}

TEST(http1_chunked_and_keep_alive_rules)
{
	sc_http1 *h = start("GET", "http://h/", NULL, 0);
	sc_response *resp = NULL;

	REQUIRE(h != NULL);
	CHECK(feed(h, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked"
		      "\r\n\r\n5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\n"
		      "Trailer: x\r\n\r\n", 7) == 1);
	REQUIRE(sc_http1_take(&resp, h) == 0);
	CHECK_STR(sc_response_body(resp, NULL), "hello!");
	CHECK(sc_http1_keep_alive(h) == 1);
	sc_response_free(resp);
	/* bytes past the response: the connection is not kept */
	CHECK(sc_http1_feed(h, "X", 1) == 1);
	CHECK(sc_http1_keep_alive(h) == 0);
	sc_http1_free(h);

	h = start("GET", "http://h/", NULL, 0);
	CHECK(feed(h, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
		      "Content-Length: 0\r\n\r\n", 64) == 1);
	CHECK(sc_http1_keep_alive(h) == 0);
	sc_http1_free(h);

	h = start("GET", "http://h/", NULL, 0);
	CHECK(feed(h, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
		      "Content-Length: 0\r\n\r\n", 64) == 1);
	CHECK(sc_http1_keep_alive(h) == 1);
	sc_http1_free(h);

	/* no length: the body ends when the server closes */
	h = start("GET", "http://h/", NULL, 0);
	CHECK(feed(h, "HTTP/1.1 200 OK\r\n\r\nabc", 64) == 0);
	CHECK(sc_http1_feed(h, "def", 3) == 0);
	CHECK(sc_http1_eof(h) == 1);
	CHECK(sc_http1_keep_alive(h) == 0);
	REQUIRE(sc_http1_take(&resp, h) == 0);
	CHECK_STR(sc_response_body(resp, NULL), "abcdef");
	sc_response_free(resp);
	sc_http1_free(h);

	/* HEAD and 204: no body whatever the headers say */
	h = start("HEAD", "http://h/", NULL, 0);
	CHECK(feed(h, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 64)
	      == 1);
	sc_http1_free(h);
	h = start("GET", "http://h/", NULL, 0);
	CHECK(feed(h, "HTTP/1.1 204 No Content\r\n\r\n", 64) == 1);
	sc_http1_free(h);
}

/* One hostile answer: the code feeding (then closing) gives. */
static int hostile(const char *text, size_t max_body)
{
	sc_http1 *h = start("GET", "http://h/", NULL, max_body);
	int rc = feed(h, text, 4096);

	if (rc == 0)
		rc = sc_http1_eof(h);
	if (!CHECK(rc == 1 || sc_http1_error(h) != NULL))
		fprintf(stderr, "  %d for %.40s\n", rc, text);
	CHECK(rc == 1 || sc_http1_keep_alive(h) == 0);
	/* failures are sticky */
	CHECK(rc == 1 || sc_http1_feed(h, "x", 1) == rc);
	sc_http1_free(h);
	return rc;
}

TEST(http1_hostile_servers_get_typed_errors)
{
	char *big = malloc(200 * 1024);
	size_t i;

	REQUIRE(big != NULL);
	CHECK(hostile("SSH-2.0-OpenSSH\r\n", 0) == SC_EMALFORMED);
	CHECK(hostile("HTTP/1.1 2000 OK\r\n\r\n", 0) == SC_EMALFORMED);
	CHECK(hostile("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0) ==
	      SC_EMALFORMED);
	CHECK(hostile("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n", 0) ==
	      SC_EMALFORMED);
	CHECK(hostile("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 10) ==
	      SC_ETOOBIG);
	CHECK(hostile("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "zz\r\n", 0) == SC_EMALFORMED);
	CHECK(hostile("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "ffffffffffffffffff\r\n", 0) == SC_ETOOBIG);
	CHECK(hostile("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "2\r\nabXX\r\n", 0) == SC_EMALFORMED);
	CHECK(hostile("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "20\r\n0123456789abcdef0123456789abcdef\r\n0\r\n\r\n",
		      16) == SC_ETOOBIG);
	CHECK(hostile("HTTP/1.1 200 OK\r\n\r\n0123456789abcdef!", 16) ==
	      SC_ETOOBIG);
	CHECK(hostile("", 0) == SC_ENETWORK);
	CHECK(hostile("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 0) ==
	      SC_ENETWORK);
	/* a head line over 100 KiB, with or without its end */
	memcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
	for (i = 24; i < 200 * 1024 - 1; i++)
		big[i] = 'a';
	big[i] = '\0';
	CHECK(hostile(big, 0) == SC_ETOOBIG);
	/* a head of many short lines past 1 MiB */
	{
		size_t n = 0, cap = 2 * 1024 * 1024;
		char *many = malloc(cap);

		REQUIRE(many != NULL);
		n += (size_t)sprintf(many, "HTTP/1.1 200 OK\r\n");
		while (n + 16 < cap - 8)
			n += (size_t)sprintf(many + n, "X-A: 0123456789\r\n");
		many[n] = '\0';
		CHECK(hostile(many, 0) == SC_ETOOBIG);
		free(many);
	}
	free(big);
}
