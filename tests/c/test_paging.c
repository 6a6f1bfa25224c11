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

/* A walk: the pager's endpoint, page size and one parameter, then the
 * body each page is answered with and what its request URL has (or must
 * lack); after the last page listed the pager must have none left. */
static const struct walk {
	const char *why, *endpoint;
	long size;
	const char *key, *value, *items;
	struct {
		const char *body, *has[2], *lacks;
	} pages[4];
} walks[] = {
	{ "offset: a short page is the last, whatever the count says",
	  "get_vehicles", 2, NULL, NULL, "vehicles",
	  { { "{\"vehicles\":[\"a\",\"b\"],\"paging\":{\"count\":5,"
	      "\"offset\":0}}", { "limit=2", "offset=0" }, NULL },
	    { "{\"vehicles\":[\"c\",\"d\"],\"paging\":{\"count\":5,"
	      "\"offset\":2}}", { "offset=2" }, NULL },
	    { "{\"vehicles\":[\"e\"],\"paging\":{\"count\":9,"
	      "\"offset\":4}}", { "offset=4" }, NULL } } },
	{ "offset: the total ends it on a full page; no size: the server's",
	  "permissions", 0, "vehicle_id", "v1", NULL,
	  { { "{\"permissions\":[\"a\",\"b\"],\"paging\":{\"count\":2,"
	      "\"offset\":0}}", { NULL }, "limit=" } } },
	{ "cursor: a repeated cursor would loop for ever", "get_connections",
	  0, NULL, NULL, NULL,
	  { { "{\"connections\":[{}],\"paging\":{\"cursor\":\"c1\"}}",
	      { NULL }, "cursor=" },
	    { "{\"connections\":[{}],\"paging\":{\"cursor\":\"c2\"}}",
	      { "cursor=c1" }, NULL },
	    { "{\"connections\":[{}],\"paging\":{\"cursor\":\"c1\"}}",
	      { "cursor=c2" }, NULL } } },
	{ "cursor: none is the end", "get_connections", 0, NULL, NULL, NULL,
	  { { "{\"connections\":[{}],\"paging\":{\"cursor\":null}}" } } },
	{ "page numbers: links.next null is the end", "get_signals", 0,
	  "vehicle_id", "v1", "data",
	  { { "{\"data\":[{}],\"links\":{\"next\":\"/p2\"}}",
	      { "page=1" }, NULL },
	    { "{\"data\":[{}],\"links\":{\"next\":null}}", { "page=2" },
	      NULL } } },
	{ "page numbers: no links, no total: an empty page ends it",
	  "get_signals", 0, "vehicle_id", "v1", NULL,
	  { { "{\"data\":[{}]}" }, { "{\"data\":[]}" } } },
};

TEST(paging_stops_at_each_rule)
{
	sc_client *c = t_offline_client();
	char url[300];
	size_t w, i, h;

	REQUIRE(c);
	for (w = 0; w < sizeof(walks) / sizeof(*walks); w++) {
		const struct walk *wk = &walks[w];
		sc_pager *pg = pager(c, wk->endpoint, wk->size, wk->key,
				     wk->value);
		REQUIRE(pg);
		if (wk->items)
			CHECK_STR(sc_pager_items(pg), wk->items);
		for (i = 0; i < 4 && wk->pages[i].body; i++) {
			if (!CHECK(page(pg, wk->pages[i].body, url,
					sizeof(url)) == 1))
				fprintf(stderr, "  %s: page %zu\n", wk->why, i);
			for (h = 0; h < 2 && wk->pages[i].has[h]; h++)
				CHECK_CONTAINS(url, wk->pages[i].has[h]);
			if (wk->pages[i].lacks)
				CHECK(strstr(url, wk->pages[i].lacks) == NULL);
		}
		if (!CHECK(page(pg, "{}", url, sizeof(url)) == 0))
			fprintf(stderr, "  %s: did not stop\n", wk->why);
		sc_pager_free(pg);
	}
	sc_client_free(c);
}

TEST(paging_refuses_a_call_without_pages)
{
	sc_client *c = t_offline_client();
	sc_pager *pg = NULL;
	sc_error *err = NULL;

	REQUIRE(c);
	CHECK(sc_pager_new(&pg, c, NULL, NULL, "odometer", NULL, 0, &err) ==
	      SC_EINVAL);
	CHECK(pg == NULL && err != NULL);
	sc_error_free(err);
	sc_client_free(c);
}
