/* Paging as an op: sc_pager makes the op of each page of a paged call
 * (endpoints.def says how the next page is asked for) and decides from
 * each answer whether another page follows.  The bindings' iterators only
 * wrap it, so every language stops at the same page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

enum { PAGING_OFFSET, PAGING_CURSOR, PAGING_PAGE };

struct paging {
	const char *name;
	int style;
	const char *items;
	const char *walk;
};

static const struct paging table[] = {
#define SC_ENDPOINT(...)
#define SC_PAGING(name, style, items, walk) \
	{ name, PAGING_##style, items, walk },
#include "endpoints.def"
#undef SC_PAGING
#undef SC_ENDPOINT
};

#define MAX_CURSORS 64

struct sc_pager {
	sc_client *client;
	sc_token_store *store;
	char *key;
	char *endpoint;
	sc_params *params;
	const struct paging *paging;
	long page_size;   /* 0: the server's */
	long offset;      /* OFFSET: items so far; PAGE: the page number */
	long seen;        /* items so far */
	char *cursors[MAX_CURSORS]; /* CURSOR: every cursor followed */
	size_t ncursors;
	int done;
};

static const struct paging *find_paging(const char *endpoint)
{
	size_t i;
	for (i = 0; endpoint && i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, endpoint))
			return &table[i];
	return NULL;
}

const char *sc__paging_style(const char *endpoint)
{
	static const char *const names[] = { "offset", "cursor", "page" };
	const struct paging *pg = find_paging(endpoint);

	return pg ? names[pg->style] : "";
}

const char *sc__paging_walk(const char *endpoint)
{
	const struct paging *pg = find_paging(endpoint);

	return pg ? pg->walk : "";
}

const char *sc__paging_items(const char *endpoint)
{
	const struct paging *pg = find_paging(endpoint);

	return pg ? pg->items : NULL;
}

const char *sc_pager_items(const sc_pager *pager)
{
	return pager ? pager->paging->items : NULL;
}

int sc_pager_new(sc_pager **out, sc_client *client, sc_token_store *store,
		 const char *key, const char *endpoint,
		 const sc_params *params, long page_size, sc_error **err_out)
{
	sc_pager *pg;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (!out || !client)
		return sc__invalid(err_out, "out and client are required");
	*out = NULL;
	if (!find_paging(endpoint))
		return sc__invalid(err_out, "that call does not come in pages");
	if (page_size < 0 || page_size > 1000000)
		return sc__invalid(err_out, "page_size must be 1 to 1000000, "
				   "or 0 for the server's");
	if (store && (!key || !*key))
		return sc__invalid(err_out, "a token store needs a key");
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return SC_ENOMEM;
	pg->client = client;
	if (sc__store_hold(store) < 0) {
		free(pg);
		return SC_ENOMEM;
	}
	pg->store = store;
	pg->paging = find_paging(endpoint);
	pg->page_size = page_size;
	pg->offset = pg->paging->style == PAGING_PAGE ? 1 : 0;
	pg->endpoint = sc__strdup(endpoint);
	pg->key = store ? sc__strdup(key) : NULL;
	rc = pg->endpoint && (!store || pg->key) ? 0 : SC_ENOMEM;
	if (rc == 0)
		rc = sc__params_copy(&pg->params, params);
	if (rc < 0) {
		sc_pager_free(pg);
		return rc;
	}
	*out = pg;
	return 0;
}

/* The paging parameters of the next page, over the caller's. */
static int page_params(sc_pager *pg, sc_params *p)
{
	const char *size = pg->paging->style == PAGING_PAGE ? "page_size"
							    : "limit";
	int rc = 0;

	if (pg->page_size > 0)
		rc = sc_params_set_int(p, size, pg->page_size);
	if (rc < 0)
		return rc;
	switch (pg->paging->style) {
	case PAGING_OFFSET:
		return sc_params_set_int(p, "offset", pg->offset);
	case PAGING_PAGE:
		return sc_params_set_int(p, "page", pg->offset);
	default:
		return pg->ncursors
			? sc_params_set(p, "cursor",
					pg->cursors[pg->ncursors - 1])
			: 0;
	}
}

int sc_pager_op(sc_pager *pager, sc_op **op_out, sc_error **err_out)
{
	sc_params *p = NULL;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (!pager || !op_out)
		return sc__invalid(err_out, "pager and op_out are required");
	*op_out = NULL;
	if (pager->done)
		return 0;
	rc = sc__params_copy(&p, pager->params);
	if (rc == 0)
		rc = page_params(pager, p);
	if (rc == 0)
		rc = pager->store
			? sc_op_new_stored(op_out, pager->client,
					   pager->store, pager->key,
					   pager->endpoint, p, err_out)
			: sc_op_new(op_out, pager->client, pager->endpoint,
				    p, err_out);
	sc_params_free(p);
	if (rc < 0)
		pager->done = 1;
	return rc;
}

static int seen_cursor(const sc_pager *pg, const char *cursor)
{
	size_t i;
	for (i = 0; i < pg->ncursors; i++)
		if (!strcmp(pg->cursors[i], cursor))
			return 1;
	return 0;
}

/* A non-negative whole number at path, else -1. */
static long whole(const cJSON *d, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(d, a), b);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 1e15 || v->valuedouble != (long)v->valuedouble)
		return -1;
	return (long)v->valuedouble;
}

int sc_pager_take(sc_pager *pager, const sc_result *page)
{
	const cJSON *d = sc_result_data(page), *items, *links, *next;
	const char *cursor;
	long n, total = -1;

	if (!pager)
		return SC_EINVAL;
	items = cJSON_GetObjectItemCaseSensitive(d, pager->paging->items);
	if (!page || sc_result_error(page) || !cJSON_IsArray(items)) {
		pager->done = 1; /* a failed or shapeless page ends it */
		return 0;
	}
	n = cJSON_GetArraySize(items);
	pager->seen += n;
	if (n == 0 || (pager->page_size > 0 && n < pager->page_size))
		pager->done = 1;
	switch (pager->paging->style) {
	case PAGING_OFFSET:
		pager->offset += n;
		total = whole(d, "paging", "count");
		break;
	case PAGING_PAGE:
		pager->offset++;
		total = whole(d, "meta", "total_count");
		links = cJSON_GetObjectItemCaseSensitive(d, "links");
		next = cJSON_GetObjectItemCaseSensitive(links, "next");
		if (cJSON_IsObject(links) &&
		    !(cJSON_IsString(next) && *next->valuestring))
			pager->done = 1;
		break;
	default:
		cursor = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(d, "paging"),
			"cursor"));
		/* a cursor seen before would loop for ever */
		if (!cursor || !*cursor || seen_cursor(pager, cursor) ||
		    pager->ncursors == MAX_CURSORS)
			pager->done = 1;
		else if (!(pager->cursors[pager->ncursors] =
				   sc__strdup(cursor)))
			pager->done = 1;
		else
			pager->ncursors++;
		break;
	}
	if (total >= 0 && (pager->paging->style == PAGING_OFFSET
				   ? pager->offset : pager->seen) >= total)
		pager->done = 1;
	return 0;
}

int sc_pager_next(sc_result **page_out, sc_pager *pager)
{
	sc_op *op = NULL;
	sc_error *err = NULL;
	int rc;

	if (!page_out)
		return SC_EINVAL;
	*page_out = NULL;
	rc = sc_pager_op(pager, &op, &err);
	if (rc < 0) {
		*page_out = err ? sc__result_err(err)
				: sc__result_code(rc, NULL);
		return rc;
	}
	if (!op)
		return 0;
	rc = sc__drive(page_out, op);
	sc_pager_take(pager, *page_out);
	return rc < 0 ? rc : 1;
}

void sc_pager_free(sc_pager *pager)
{
	size_t i;

	if (!pager)
		return;
	for (i = 0; i < pager->ncursors; i++)
		free(pager->cursors[i]);
	sc_params_free(pager->params);
	sc__store_release(pager->store);
	free(pager->endpoint);
	free(pager->key);
	free(pager);
}
