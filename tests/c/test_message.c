/* HTTP messages (message.c): headers kept inside the message while they
 * fit and on the heap past that, found by name in any ASCII case. */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "sc_internal.h"

/* 40 headers with values long enough to overflow the inline text: each
 * one is found, in another case, with its value; replacing one keeps
 * the others. */
TEST(message_headers_inline_then_heap)
{
	sc_request *req = NULL;
	sc_response *resp = NULL;
	char name[32], value[64];
	int i;

	REQUIRE(sc__request_new(&req, "GET", "http://h/x") == 0);
	REQUIRE(sc_response_new(&resp, 0) == 0);
	CHECK_STR(sc_request_method(req), "GET");
	CHECK_STR(sc_request_url(req), "http://h/x");
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "X-Header-%d", i);
		snprintf(value, sizeof(value), "value %d %040d", i, i);
		CHECK(sc__request_add_header(req, name, value) == 0);
		CHECK(sc_response_add_header(resp, name, value) == 0);
	}
	CHECK(sc_request_header_count(req) == 40);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "x-HEADER-%d", i);
		snprintf(value, sizeof(value), "value %d %040d", i, i);
		CHECK_STR(sc_request_header(req, name), value);
		CHECK_STR(sc_response_header(resp, name), value);
	}
	CHECK(sc__request_set_header(req, "x-header-3", "new") == 0);
	CHECK(sc__request_set_header(req, "x-header-39", "last") == 0);
	CHECK(sc_request_header_count(req) == 40);
	CHECK_STR(sc_request_header(req, "X-Header-3"), "new");
	CHECK_STR(sc_request_header(req, "X-Header-39"), "last");
	CHECK_STR(sc_request_header(req, "X-Header-4"),
		  "value 4 0000000000000000000000000000000000000004");
	/* a new status line starts a new header block */
	sc__response_clear_headers(resp);
	CHECK(sc_response_header(resp, "X-Header-0") == NULL);
	CHECK(sc__response_add_header_n(resp, "SC-Request-Id", 13, "r1", 2) ==
	      0);
	CHECK_STR(sc_response_header(resp, "sc-request-id"), "r1");
	sc_response_free(resp);
	sc__request_free(req);
}

TEST(message_header_names_fold_ascii_case_only)
{
	CHECK(sc__strcaseeq("Content-Type", "content-TYPE"));
	CHECK(sc__strcaseeq("", ""));
	CHECK(!sc__strcaseeq("Accept", "Accept-Encoding"));
	CHECK(!sc__strcaseeq("Accept-Encoding", "Accept"));
	/* bytes one bit apart that are not letters */
	CHECK(!sc__strcaseeq("a@", "a`"));
	CHECK(!sc__strcaseeq("[", "{"));
	CHECK(!sc__strcaseeq("x-1", "x\x11" "1"));
	CHECK(!sc__strcaseeq("\xc4", "\xe4"));
	CHECK(!sc__strcaseeq(NULL, "a"));
}
