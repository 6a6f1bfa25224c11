/* The libcurl transport against a server that misbehaves on purpose
 * (tserver.c): commands never go twice, oversized headers are a typed
 * error, and the connection pool keeps its connections. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>

#include "test.h"
#include "tserver.h"

static int call(sc_client *c, const char *name, sc_result **out)
{
	return sc_vehicle_call(out, c, name, "veh-1", "tok-1", NULL);
}

TEST(transport_command_never_resent_on_a_dead_kept_alive_connection)
{
	t_server_opts o = { 0 };
	t_server_counts n;
	char url[128];
	t_server *s;
	sc_client *c;
	sc_result *r = NULL;

	/* the server acts on the 2nd request of a connection and closes
	 * it without answering */
	o.drop_second = 1;
	REQUIRE((s = t_server_start(&o, url, sizeof(url))));
	c = t_client(url, NULL);
	REQUIRE(c);
	CHECK(call(c, "lock", &r) == 0);
	sc_result_free(r);
	CHECK(call(c, "lock", &r) == 0);
	sc_result_free(r);
	t_server_counts_get(s, &n);
	/* two lock() calls reach the server twice, on two connections */
	CHECK(n.posts == 2);
	CHECK(n.connections == 2);
	sc_client_free(c);
	t_server_stop(s);
}

TEST(transport_reads_reuse_one_connection)
{
	t_server_counts n;
	char url[128];
	t_server *s;
	sc_client *c;
	sc_result *r = NULL;
	int i;

	REQUIRE((s = t_server_start(NULL, url, sizeof(url))));
	c = t_client(url, NULL);
	REQUIRE(c);
	for (i = 0; i < 5; i++) {
		CHECK(call(c, "odometer", &r) == 0);
		sc_result_free(r);
	}
	t_server_counts_get(s, &n);
	CHECK(n.gets == 5);
	CHECK(n.connections == 1);
	CHECK(sc_client_connections_opened(c) == 1);
	sc_client_free(c);
	t_server_stop(s);
}

TEST(transport_oversized_header_is_too_large)
{
	t_server_opts o = { 0 };
	char url[128];
	t_server *s;
	sc_client *c;
	sc_result *r = NULL;

	/* past libcurl's 100 KB limit for one header line */
	o.big_header = 150 * 1024;
	REQUIRE((s = t_server_start(&o, url, sizeof(url))));
	c = t_client(url, NULL);
	REQUIRE(c);
	CHECK(call(c, "odometer", &r) == SC_ETOOBIG);
	CHECK_CONTAINS(sc_error_message(sc_result_error(r)), "header");
	sc_result_free(r);
	sc_client_free(c);
	t_server_stop(s);

	/* a large header within the limit is fine */
	o.big_header = 50 * 1024;
	REQUIRE((s = t_server_start(&o, url, sizeof(url))));
	c = t_client(url, NULL);
	CHECK(call(c, "odometer", &r) == 0);
	sc_result_free(r);
	sc_client_free(c);
	t_server_stop(s);
}

/* What reaches the server header by header (the emulator's request
 * log): each request header once, libcurl's own Accept and Expect left
 * out, Content-Type once on a body.  The transport hands libcurl the
 * headers it does not look at as one entry. */
TEST(transport_sends_each_header_once)
{
	const char *base = t_emulator();
	static const char *const names[] = { "authorization", "accept",
					     "user-agent", "sc-unit-system" };
	char ids[3][40], *tok;
	const cJSON *list, *h;
	sc_client *c;
	sc_result *r = NULL;
	cJSON *j;
	int i, k;

	REQUIRE(base);
	tok = t_login(base, "headers@example.com",
		      "read_odometer control_security");
	REQUIRE(tok && t_fleet(base, "headers@example.com", ids) == 0);
	c = t_client(base, NULL);
	REQUIRE(c);
	free(t_control_req(base, "DELETE", "/_emulator/requests", NULL));
	CHECK(sc_vehicle_call(&r, c, "odometer", ids[0], tok, NULL) == 0);
	sc_result_free(r);
	CHECK(sc_vehicle_call(&r, c, "lock", ids[0], tok, NULL) == 0);
	CHECK(sc_result_error(r) == NULL);
	sc_result_free(r);
	j = t_control_json(base, "GET", "/_emulator/requests", NULL);
	list = cJSON_GetObjectItemCaseSensitive(j, "requests");
	REQUIRE(cJSON_GetArraySize(list) == 2);
	for (k = 0; k < 2; k++) {
		h = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetArrayItem(list, k), "headers");
		/* a string: sent once (a read also names its units) */
		for (i = 0; i < (k == 0 ? 4 : 3); i++)
			CHECK(cJSON_IsString(
				cJSON_GetObjectItemCaseSensitive(h, names[i])));
		CHECK_STR(t_json_str(h, "accept"), "application/json");
		CHECK(cJSON_GetObjectItemCaseSensitive(h, "expect") == NULL);
		CHECK((cJSON_GetObjectItemCaseSensitive(h, "content-type") !=
		       NULL) == (k == 1));
		if (k == 1)
			CHECK_STR(t_json_str(h, "content-type"),
				  "application/json");
	}
	CHECK_CONTAINS(t_json_str(h, "authorization"), "Bearer ");
	cJSON_Delete(j);
	sc_client_free(c);
	free(tok);
}
