/**
 * @file smartcar/paging.h
 * @brief Calls that come in pages, walked by the library.
 *
 * endpoints.def says for each paged call how the next page is asked for
 * (offset, cursor or page number) and which data field holds the items.
 * A pager makes the op of each page and decides from each answer whether
 * another follows: it ends at an empty or short page, at the total the
 * server gives, at a missing links.next, and at a missing or repeated
 * cursor.  Blocking:
 *
 *     sc_pager_new(&pg, client, NULL, NULL, "get_vehicles", params, 50,
 *                  NULL);
 *     while ((rc = sc_pager_next(&page, pg)) == 1) {
 *         ... the items are sc_result_data(page)[sc_pager_items(pg)] ...
 *         sc_result_free(page);
 *     }
 *
 * Sans-IO: sc_pager_op() gives the op of the next page (NULL when none is
 * left); drive it as any op and give its result to sc_pager_take().
 */
#ifndef SMARTCAR_PAGING_H
#define SMARTCAR_PAGING_H

#include "common.h"
#include "errors.h"
#include "params.h"
#include "client.h"
#include "result.h"
#include "call.h"

SC_BEGIN_DECL

typedef struct sc_pager sc_pager;
struct sc_token_store;

/**
 * Start walking the pages of @p endpoint ("get_vehicles", "permissions",
 * "get_connections", "get_signals") with @p params (without the paging
 * parameters).  @p store and @p key (may be NULL): each page's op takes
 * its tokens from the store, as sc_op_new_stored().  @p page_size: items
 * per page, 0 for the server's default.
 * @return 0, or SC_EINVAL (a call that has no pages...) with the detail in
 *         @p *err_out when it is not NULL.
 * Ownership: free with sc_pager_free(); params are copied; the client
 * is borrowed and must outlive the pager, which holds the store (a
 * sc_token_store_free() of it meanwhile waits for the pager's free).
 */
SC_EXTERN(int) sc_pager_new(sc_pager **out, sc_client *client,
			    struct sc_token_store *store, const char *key,
			    const char *endpoint, const sc_params *params,
			    long page_size, sc_error **err_out);

/**
 * The op of the next page, or *@p op_out NULL when the last page was
 * seen.  @return 0 or the error of making the op (then the walk ends).
 * Ownership: the caller drives and frees the op.
 */
SC_EXTERN(int) sc_pager_op(sc_pager *pager, sc_op **op_out,
			   sc_error **err_out);

/**
 * Learn from the result of the page's op (borrowed): where the next page
 * is, or that it was the last.  A failed page ends the walk.
 */
SC_EXTERN(int) sc_pager_take(sc_pager *pager, const sc_result *page);

/**
 * Fetch the next page with the client's libcurl transport.
 * @return 1 with the page in @p *page_out, 0 when no page is left
 *         (*page_out NULL), or a negative code with the error in
 *         @p *page_out (the walk then ends).
 * Ownership: free @p *page_out with sc_result_free().
 */
SC_EXTERN(int) sc_pager_next(sc_result **page_out, sc_pager *pager);

/** The data field of a page that holds its items ("vehicles", "data").
 *  Ownership: static storage. */
SC_EXTERN(const char *) sc_pager_items(const sc_pager *pager);

/** Free a pager.  Accepts NULL. */
SC_EXTERN(void) sc_pager_free(sc_pager *pager);

SC_END_DECL

#endif
