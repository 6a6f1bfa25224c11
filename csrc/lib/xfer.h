/* One libcurl transfer, for drivers other than transport_curl.c's own
 * (async.c, which sc_call_many runs on): the same setup and finish as
 * sc_call. */
#ifndef SC_XFER_H
#define SC_XFER_H

#include "sc_internal.h"

struct xfer;

/* A transfer of req, set up on a pooled easy handle (HTTP/1.1: one
 * transfer per connection); NULL when out of memory. */
struct xfer *sc__xfer_begin(sc_client *client, const sc_request *req);
/* Its easy handle (a CURL *), to add to a multi handle. */
void *sc__xfer_handle(struct xfer *x);
/* Finish it with libcurl's result code cc (a CURLcode), hand the
 * response or the failure to op (NULL: drop it; a failure that certainly
 * never left is told as such) and free it.  The handle goes back to the
 * pool. */
void sc__xfer_end(struct xfer *x, int cc, sc_op *op);

/* A multi handle (a CURLM *) of the client's pool, with the idle
 * connections an earlier driver left; give it back (callbacks
 * cleared) with sc__multi_checkin. */
void *sc__multi_checkout(sc_client *client);
void sc__multi_checkin(sc_client *client, void *multi);

#endif
