/* sc_pager, sans-IO with canned pages: the parameters of each page and
 * every stop rule (empty page, short page, total, links.next, missing and
 * repeated cursor), and the blocking walk against the emulator. */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

/* Run the pager's next op with one canned body: the request URL in url
 * (empty when no page was left). */
static int page(sc_pager *pg, const char *body, char *url, size_t n)
{
	sc_op *op = NULL;
	sc_result *res = NULL;
	const sc_request *req;

	url[0] = '\0';
	if (sc_pager_op(pg, &op, NULL) < 0)
		return -1;
	if (!op)
		return 0;
	if (sc_op_next(op, &req) != SC_STEP_SEND) {
		sc_op_free(op);
		return -1;
	}
	snprintf(url, n, "%s", sc_request_url(req));
	sc_op_feed(op, t_response(200, "application/json", body));
	sc_op_next(op, &req);
	sc_op_result(&res, op);
	sc_pager_take(pg, res);
	sc_result_free(res);
	sc_op_free(op);
	return 1;
}

static sc_pager *pager(sc_client *c, const char *endpoint, long size,
		       const char *k1, const char *v1)
{
	sc_params *p = NULL;
	sc_pager *pg = NULL;
	p = T_PARAMS("access_token", "tok", "management_token", "amt");
	if (k1)
		sc_params_set(p, k1, v1);
	sc_pager_new(&pg, c, NULL, NULL, endpoint, p, size, NULL);
	sc_params_free(p);
	return pg;
}

TEST(paging_offset_stops_at_the_total_and_at_a_short_page)
{
	sc_client *c = t_offline_client();
	sc_pager *pg;
	char url[300];

	REQUIRE(c);
	pg = pager(c, "get_vehicles", 2, NULL, NULL);
	REQUIRE(pg);
	CHECK_STR(sc_pager_items(pg), "vehicles");
	CHECK(page(pg, "{\"vehicles\":[\"a\",\"b\"],\"paging\":{\"count\":5,"
		  "\"offset\":0}}", url, sizeof(url)) == 1);
	CHECK(strstr(url, "limit=2") && strstr(url, "offset=0"));
	CHECK(page(pg, "{\"vehicles\":[\"c\",\"d\"],\"paging\":{\"count\":5,"
		  "\"offset\":2}}", url, sizeof(url)) == 1);
	CHECK(strstr(url, "offset=2") != NULL);
	/* a short page is the last, whatever the count says */
	CHECK(page(pg, "{\"vehicles\":[\"e\"],\"paging\":{\"count\":9,"
		  "\"offset\":4}}", url, sizeof(url)) == 1);
	CHECK(strstr(url, "offset=4") != NULL);
	CHECK(page(pg, "{}", url, sizeof(url)) == 0);
	sc_pager_free(pg);
	/* the total ends it on a full page; no page size: the server's */
	pg = pager(c, "permissions", 0, "vehicle_id", "v1");
	CHECK(page(pg, "{\"permissions\":[\"a\",\"b\"],\"paging\":{\"count\":"
		  "2,\"offset\":0}}", url, sizeof(url)) == 1);
	CHECK(strstr(url, "limit=") == NULL);
	CHECK(page(pg, "{}", url, sizeof(url)) == 0);
	sc_pager_free(pg);
	sc_client_free(c);
}

TEST(paging_cursor_stops_at_a_missing_or_repeated_cursor)
{
	sc_client *c = t_offline_client();
	sc_pager *pg;
	char url[300];

	REQUIRE(c);
	pg = pager(c, "get_connections", 0, NULL, NULL);
	REQUIRE(pg);
	CHECK(page(pg, "{\"connections\":[{}],\"paging\":{\"cursor\":\"c1\"}}",
		   url, sizeof(url)) == 1);
	CHECK(strstr(url, "cursor=") == NULL);
	CHECK(page(pg, "{\"connections\":[{}],\"paging\":{\"cursor\":\"c2\"}}",
		   url, sizeof(url)) == 1);
	CHECK(strstr(url, "cursor=c1") != NULL);
	/* a server that sends c1 again would loop for ever */
	CHECK(page(pg, "{\"connections\":[{}],\"paging\":{\"cursor\":\"c1\"}}",
		   url, sizeof(url)) == 1);
	CHECK(strstr(url, "cursor=c2") != NULL);
	CHECK(page(pg, "{}", url, sizeof(url)) == 0);
	sc_pager_free(pg);
	pg = pager(c, "get_connections", 0, NULL, NULL);
	CHECK(page(pg, "{\"connections\":[{}],\"paging\":{\"cursor\":null}}",
		   url, sizeof(url)) == 1);
	CHECK(page(pg, "{}", url, sizeof(url)) == 0);
	sc_pager_free(pg);
	sc_client_free(c);
}

TEST(paging_page_numbers_stop_at_links_next_and_empty_pages)
{
	sc_client *c = t_offline_client();
	sc_pager *pg;
	sc_error *err = NULL;
	char url[300];

	REQUIRE(c);
	pg = pager(c, "get_signals", 0, "vehicle_id", "v1");
	REQUIRE(pg);
	CHECK_STR(sc_pager_items(pg), "data");
	CHECK(page(pg, "{\"data\":[{}],\"links\":{\"next\":\"/p2\"}}", url,
		   sizeof(url)) == 1);
	CHECK(strstr(url, "page=1") != NULL);
	CHECK(page(pg, "{\"data\":[{}],\"links\":{\"next\":null}}", url,
		   sizeof(url)) == 1);
	CHECK(strstr(url, "page=2") != NULL);
	CHECK(page(pg, "{}", url, sizeof(url)) == 0);
	sc_pager_free(pg);
	/* no links, no total: an empty page ends it */
	pg = pager(c, "get_signals", 0, "vehicle_id", "v1");
	CHECK(page(pg, "{\"data\":[{}]}", url, sizeof(url)) == 1);
	CHECK(page(pg, "{\"data\":[]}", url, sizeof(url)) == 1);
	CHECK(page(pg, "{}", url, sizeof(url)) == 0);
	sc_pager_free(pg);
	/* a call without pages is refused */
	pg = NULL;
	CHECK(sc_pager_new(&pg, c, NULL, NULL, "odometer", NULL, 0, &err) ==
	      SC_EINVAL);
	CHECK(pg == NULL && err != NULL);
	sc_error_free(err);
	sc_client_free(c);
}
