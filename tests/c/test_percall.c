/* What the per-call path keeps or finds once (issue 9): an op's parameter
 * slots, a buffer that starts in the caller's storage, a header value in
 * two parts, and the libcurl handle's settings and header list, kept from
 * one transfer to the next only while they are the same; a params bag
 * and a message that keep their first bytes inside themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "op.h"

TEST(percall_param_slots_find_every_name)
{
	static const char *const names[] = {
#define T_NAME(name) #name,
		SC_PARAM_SLOTS(T_NAME)
#undef T_NAME
	};
	const char *pv[SC_P_N];
	sc_params *p = NULL;
	int i;

	for (i = 0; i < SC_P_N; i++)
		CHECK(sc__param_slot(names[i]) == i);
	CHECK(sc__param_slot("") == -1);
	CHECK(sc__param_slot("vehicle") == -1);
	CHECK(sc__param_slot("vehicle_id_") == -1);
	CHECK(sc__param_slot("header:Accept") == -1);
	CHECK(sc__param_slot("\xff") == -1);
	/* a bag's values land in their slots, the others stay NULL */
	REQUIRE(sc_params_new(&p) == 0);
	sc_params_set(p, "vehicle_id", "v1");
	sc_params_set(p, "header:X-A", "a");
	sc_params_set(p, "timeout_ms", "250");
	memset(pv, 0, sizeof(pv));
	sc__params_slots(p, pv);
	CHECK_STR(pv[SC_P_vehicle_id], "v1");
	CHECK_STR(pv[SC_P_timeout_ms], "250");
	for (i = 0; i < SC_P_N; i++)
		if (i != SC_P_vehicle_id && i != SC_P_timeout_ms)
			CHECK(pv[i] == NULL);
	sc_params_free(p);
}

/* An op reads its params through the slots: the request it builds
 * carries them, and a name without a slot (a caller header) still goes. */
TEST(percall_op_request_from_slots)
{
	static const char *const kv[] = {
		"vehicle_id", "v/1", "access_token", "tok-9",
		"unit_system", "imperial", "version", "2.0",
		"timeout_ms", "1234", "flags", "a:1", NULL
	};
	sc_client *c = t_offline_client();
	sc_params *p = t_params(kv);
	const sc_request *req;
	sc_op *op = NULL;

	REQUIRE(c && p);
	REQUIRE(sc_op_new(&op, c, "odometer", p, NULL) == 0);
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK_CONTAINS(sc_request_url(req), "/v2.0/vehicles/v%2F1/odometer?"
			"flags=a%3A1");
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer tok-9");
	CHECK_STR(sc_request_header(req, "sc-unit-system"), "imperial");
	CHECK(sc_request_timeout_ms(req) == 1234);
	sc_op_free(op);
	sc_params_free(p);
	{
		static const char *const raw[] = {
			"method", "GET", "path", "/x", "access_token", "t",
			"header:X-Thing", "yes", NULL
		};
		p = t_params(raw);
		REQUIRE(sc_op_new(&op, c, "request", p, NULL) == 0);
		REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
		CHECK_STR(sc_request_header(req, "X-Thing"), "yes");
		CHECK_STR(sc_request_header(req, "Authorization"), "Bearer t");
		sc_op_free(op);
		sc_params_free(p);
	}
	sc_client_free(c);
}

TEST(percall_buffer_in_caller_storage_moves_to_the_heap)
{
	char storage[8];
	sc_buf b;
	char *s;

	sc__buf_init_in(&b, storage, sizeof(storage), 0);
	CHECK(sc__buf_puts(&b, "abcdef") == 0);
	CHECK(b.ptr == storage);
	CHECK(sc__buf_puts(&b, "ghijkl") == 0); /* past 8 bytes */
	CHECK(b.ptr != storage);
	CHECK_STR(b.ptr, "abcdefghijkl");
	sc__buf_free(&b);
	/* detached from the caller's storage: a copy of its own */
	sc__buf_init_in(&b, storage, sizeof(storage), 0);
	CHECK(sc__buf_puts(&b, "xyz") == 0);
	s = sc__buf_detach(&b);
	CHECK(s != storage);
	CHECK_STR(s, "xyz");
	free(s);
	/* the cap still holds */
	sc__buf_init_in(&b, storage, sizeof(storage), 4);
	CHECK(sc__buf_puts(&b, "abcde") == SC_ETOOBIG);
	sc__buf_wipe(&b);
}

TEST(percall_header_in_two_parts)
{
	sc_request *req = NULL;

	REQUIRE(sc__request_new(&req, "GET", "http://h/x") == 0);
	CHECK(sc__request_add_header2(req, "Authorization", "Bearer ",
				      "tok") == 0);
	CHECK(sc__request_add_header2(req, "X-Empty", "", "") == 0);
	CHECK_STR(sc_request_header(req, "authorization"), "Bearer tok");
	CHECK_STR(sc_request_header(req, "X-Empty"), "");
	sc__request_free(req);
}

/* sc_call(name, p) returns rc and, when path is given, its data has
 * want there; a refused call (SC_EAPI) has a 4xx status. */
static int call_gives(sc_client *c, const char *name, const sc_params *p,
		      int rc, const char *path, const char *want)
{
	sc_result *r = NULL;
	int got = sc_call(&r, c, name, p), ok = got == rc;

	if (ok && path)
		ok = sc_result_get_string(r, path) &&
		     strcmp(sc_result_get_string(r, path), want) == 0;
	if (ok && rc == SC_EAPI)
		ok = sc_error_status_code(sc_result_error(r)) / 100 == 4;
	sc_result_free(r);
	return ok;
}

/* One client, one handle: each call goes out with its own token, unit
 * system, method and body, whatever the call before it set. */
TEST(percall_handle_settings_follow_each_request)
{
	const char *base = t_emulator();
	sc_client *c;
	sc_result *tok, *veh = NULL;
	const char *access, *vid;
	sc_params *p;

	REQUIRE(base);
	c = t_client(base, NULL);
	REQUIRE(c);
	tok = t_owner_tokens(c, "percall@example.com",
			     "read_odometer control_security", &veh, NULL);
	REQUIRE(tok && veh);
	access = sc_result_get_string(tok, "access_token");
	vid = sc_result_get_string(veh, "vehicles.0");
	REQUIRE(access && vid);
	{
		const char *const kv[] = { "vehicle_id", vid, "access_token",
					   access, NULL };
		p = t_params(kv);
	}
	/* the same request twice, then another token, another unit
	 * system, a POST and a GET again */
	CHECK(call_gives(c, "odometer", p, 0, "meta.unit_system", "metric"));
	CHECK(call_gives(c, "odometer", p, 0, "meta.unit_system", "metric"));
	sc_params_set(p, "access_token", "not-a-token");
	CHECK(call_gives(c, "odometer", p, SC_EAPI, NULL, NULL));
	sc_params_set(p, "access_token", access);
	sc_params_set(p, "unit_system", "imperial");
	CHECK(call_gives(c, "odometer", p, 0, "meta.unit_system",
			 "imperial"));
	CHECK(call_gives(c, "lock", p, 0, "status", "success"));
	sc_params_set(p, "unit_system", NULL);
	sc_params_set(p, "timeout_ms", "7000");
	CHECK(call_gives(c, "odometer", p, 0, "meta.unit_system", "metric"));
	/* another vehicle: another URL (one the server refuses) */
	sc_params_set(p, "vehicle_id", "no-such-vehicle");
	CHECK(call_gives(c, "odometer", p, SC_EAPI, NULL, NULL));
	sc_params_free(p);
	sc_result_free(veh);
	sc_result_free(tok);
	sc_client_free(c);
}

/* A bag keeps its first entries inside itself and the rest on the heap:
 * every entry reads back through replacements, removals and a copy. */
TEST(percall_params_inline_then_heap)
{
	sc_params *p = NULL, *q = NULL;
	char key[32], value[96];
	const char *k, *v;
	int i;

	REQUIRE(sc_params_new(&p) == 0);
	for (i = 0; i < 30; i++) {
		snprintf(key, sizeof(key), "key_%d", i);
		snprintf(value, sizeof(value), "value %d %060d", i, i);
		CHECK(sc_params_set(p, key, value) == 0);
	}
	CHECK(sc_params_count(p) == 30);
	CHECK(sc_params_set(p, "key_0", "zero") == 0);     /* inside */
	CHECK(sc_params_set(p, "key_29", "last") == 0);    /* on the heap */
	CHECK(sc_params_set(p, "key_1", NULL) == 0);       /* removed */
	CHECK(sc_params_set(p, "key_28", NULL) == 0);
	CHECK(sc_params_count(p) == 28);
	CHECK_STR(sc_params_get(p, "key_0"), "zero");
	CHECK_STR(sc_params_get(p, "key_29"), "last");
	CHECK(sc_params_get(p, "key_1") == NULL);
	REQUIRE(sc__params_copy(&q, p) == 0);
	for (i = 2; i < 28; i++) {
		snprintf(key, sizeof(key), "key_%d", i);
		snprintf(value, sizeof(value), "value %d %060d", i, i);
		CHECK_STR(sc_params_get(p, key), value);
		CHECK_STR(sc_params_get(q, key), value);
	}
	/* insertion order is kept */
	CHECK(sc_params_at(q, 0, &k, &v) == 0);
	CHECK_STR(k, "key_0");
	CHECK_STR(v, "zero");
	CHECK(sc_params_at(q, 27, &k, &v) == 0);
	CHECK_STR(k, "key_29");
	sc_params_free(q);
	sc_params_free(p);
}

/* A response's body starts inside it and moves to the heap when it
 * grows; the size limit holds either way. */
TEST(percall_response_body_inside_then_heap)
{
	sc_response *r = NULL;
	char chunk[50];
	const char *body;
	size_t len;
	int i;

	REQUIRE(sc_response_new(&r, 0) == 0);
	body = sc_response_body(r, &len);
	CHECK(body && len == 0 && *body == '\0');
	memset(chunk, 'a', sizeof(chunk));
	for (i = 0; i < 20; i++) {
		chunk[0] = (char)('A' + i);
		CHECK(sc_response_append_body(r, chunk, sizeof(chunk)) == 0);
	}
	body = sc_response_body(r, &len);
	CHECK(len == 20 * sizeof(chunk));
	for (i = 0; i < 20; i++)
		CHECK(body[i * sizeof(chunk)] == 'A' + i &&
		      body[i * sizeof(chunk) + 1] == 'a');
	CHECK(body[len] == '\0');
	sc_response_free(r);
	REQUIRE(sc_response_new(&r, 60) == 0);
	CHECK(sc_response_append_body(r, chunk, sizeof(chunk)) == 0);
	CHECK(sc_response_append_body(r, chunk, sizeof(chunk)) ==
	      SC_ETOOBIG);
	sc_response_free(r);
}
