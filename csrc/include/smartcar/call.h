/**
 * @file smartcar/call.h
 * @brief Calls by endpoint name, blocking (sc_call) or sans-IO (sc_op).
 *
 * Every Smartcar call is a line of the endpoint table.  sc_call() runs one
 * to completion with the built-in libcurl transport.  sc_op exposes the
 * same state machine step by step so that any event loop can perform the
 * HTTP exchanges itself:
 *
 *     sc_op_new(&op, client, "odometer", params, NULL);
 *     while ((rc = sc_op_next(op, &req)) == SC_STEP_SEND) {
 *         ... perform req, build an sc_response ...
 *         sc_op_feed(op, resp);
 *     }
 *     sc_op_result(&res, op);
 */
#ifndef SMARTCAR_CALL_H
#define SMARTCAR_CALL_H

#include "common.h"
#include "errors.h"
#include "params.h"
#include "client.h"
#include "result.h"
#include "sys/transport.h"

SC_BEGIN_DECL

/** sc_op_next() results. */
#define SC_STEP_DONE 0 /**< finished: take the result */
#define SC_STEP_SEND 1 /**< perform the request, then feed the response */
#define SC_STEP_WAIT 2 /**< wait sc_op_wait_ms() then call next again */

typedef struct sc_op sc_op;

/** Number of endpoints in the table. */
SC_EXTERN(size_t) sc_endpoint_count(void);

/**
 * Name of the @p i th endpoint ("odometer"), or NULL past the end.
 * Ownership: static storage.
 */
SC_EXTERN(const char *) sc_endpoint_name(size_t i);

/**
 * One column of an endpoint's line in the table, for bindings that build
 * their methods from it (LuaJIT FFI included: strings in, a string out).
 *
 * @p field is one of:
 * - "method" ("GET", "POST", "DELETE"; "" for "request", which takes it
 *   from its parameters), "path" (template, "/vehicles/{vehicle_id}/vin"),
 *   "host" ("api", "auth", "management", "v3", "iam"), "auth" ("bearer",
 *   "basic_client", "basic_amt", "bearer_amt", "bearer_or_app", "none");
 * - "kind": "read" (sent again when safe), "command" (never resent once it
 *   may have reached the server) or "any" (by method);
 * - "vehicle": "1" for a call about one vehicle, else "0";
 * - "permission" (Smartcar permission or ""), "batch_path" ("/odometer",
 *   "" when batch cannot read it), "batch_name" (the name its result has
 *   in a batch answer, "" when none);
 * - "args": the method's positional arguments, space separated, each
 *   "name:type", "name>param:type" (sent as parameter param), with a
 *   trailing "?" when optional; types string, number, integer, date,
 *   paging, paths, path (any string, "" too), json, headers, list,
 *   filter;
 * - "result": the result type's name ("Odometer"); "doc": one line;
 * - "paging": how a paged call asks for its next page, "offset"
 *   (limit/offset), "cursor" (limit/cursor) or "page" (page/page_size);
 *   "" for a call that is not paged;
 * - "query": the parameters the query string may carry, space separated,
 *   as the table writes them ("param>wire" sent under another name,
 *   "param!1" only to API 1.x for the official profile);
 * - "walk": the name of the Lua iterator over every item of a paged call
 *   ("each_vehicle"), "" for none.
 *
 * @return the column, or NULL for an unknown endpoint or field.
 * Ownership: static storage.
 */
SC_EXTERN(const char *) sc_endpoint_info(const char *endpoint,
					 const char *field);

/**
 * Name of the @p i th column sc_endpoint_info() answers ("method",
 * "path", ... "doc", "paging", "query", "walk", in that order), or NULL past the end: bindings list
 * an endpoint's whole line from it.  Ownership: static storage.
 */
SC_EXTERN(const char *) sc_endpoint_column(size_t i);

/**
 * Start an operation.
 *
 * Common parameters: "access_token", "vehicle_id", "unit_system",
 * "version" (API version), "flags", "timeout_ms", "connect_timeout_ms",
 * "max_attempts", "retry_deadline_ms", "rate_policy" ("wait"/"fail"),
 * "user_agent_suffix", "raw_body" ("true": data is {body: the JSON as
 * sent, meta} instead of snake_case fields); per endpoint (see docs/endpoints.md): "limit",
 * "offset", "code", "refresh_token", "redirect_uri", "limit" (charge
 * limit), "latitude", "longitude", "start_date", "end_date",
 * "webhook_id", "management_token", "paths" (batch: space-separated),
 * "method", "path", "body", "header:<Name>" (request), "vin", "scope",
 * "country", "mode", "test_mode_compatibility_level", "region", "make",
 * "type", "cursor", "user_id".
 *
 * @return 0, or SC_EINVAL (unknown endpoint, missing parameter) with the
 *         detail in @p *err_out when it is not NULL.
 * Ownership: free the op with sc_op_free(); params are copied.  The
 * op borrows @p client, which must outlive it.
 */
SC_EXTERN(int) sc_op_new(sc_op **out, sc_client *client,
			 const char *endpoint, const sc_params *params,
			 sc_error **err_out);

/**
 * Advance.  @return SC_STEP_SEND with @p *req_out set (borrowed from the
 * op until the next feed/fail), SC_STEP_WAIT, or SC_STEP_DONE.
 */
SC_EXTERN(int) sc_op_next(sc_op *op, const sc_request **req_out);

/** Milliseconds to wait after SC_STEP_WAIT. */
SC_EXTERN(long) sc_op_wait_ms(const sc_op *op);

/**
 * Give the op the response to the request it asked for.
 * Ownership: @p resp is consumed, even on failure.
 */
SC_EXTERN(int) sc_op_feed(sc_op *op, sc_response *resp);

/**
 * Tell the op the request failed locally (SC_ENETWORK, SC_ETIMEOUT,
 * SC_ETLS, SC_ETOOBIG...).  @p message must not contain secrets.
 */
SC_EXTERN(int) sc_op_fail(sc_op *op, int code, const char *message);

/**
 * Like sc_op_fail(), for a request that certainly never left this
 * machine (connection refused, DNS failure): even commands may then be
 * sent again.
 */
SC_EXTERN(int) sc_op_fail_unsent(sc_op *op, int code, const char *message);

/**
 * Take the result once the op is done.
 * @return the result's code (0 on success); SC_EMISUSE (no result)
 *         before the op is done and once the result was taken.
 * Ownership: free @p *out with sc_result_free().
 */
SC_EXTERN(int) sc_op_result(sc_result **out, sc_op *op);

/** Free an op.  Accepts NULL. */
SC_EXTERN(void) sc_op_free(sc_op *op);

/**
 * Run a call to completion with the client's libcurl transport.
 * @return 0 or a negative code; @p *out holds the data or the error
 *         (NULL only on SC_ENOMEM).
 * Ownership: free @p *out with sc_result_free().
 * Thread-safety: safe to run concurrently on one shared client.
 */
SC_EXTERN(int) sc_call(sc_result **out, sc_client *client,
		       const char *endpoint, const sc_params *params);

/**
 * Progress callback of sc_call_many(): @p index finished with @p rc;
 * @p done of @p total are finished.
 */
typedef void (*sc_progress_cb)(void *payload, size_t index, int rc,
			       size_t done, size_t total);

/**
 * Run @p n calls concurrently through libcurl's multi interface, with at
 * most @p max_in_flight requests on the wire at once (0: 8).  Retries,
 * waits and rate limits apply to each call as in sc_call().
 *
 * @param results caller's array of @p n pointers; results[i] receives the
 *        result of endpoints[i] with params[i] (free each with
 *        sc_result_free()).
 * @param params may be NULL, and so may any params[i].
 * @return 0 when every call ran (each result holds its own data or error),
 *         SC_EINVAL for bad arguments, SC_ENOMEM.
 * Thread-safety: runs on the calling thread; the client may be shared.
 */
SC_EXTERN(int) sc_call_many(sc_result **results, sc_client *client,
			    const char *const *endpoints,
			    const sc_params *const *params, size_t n,
			    size_t max_in_flight, sc_progress_cb progress,
			    void *payload);

/**
 * sc_call_many() over ops the caller made (sc_op_new(),
 * sc_op_new_stored()...), so token-store calls run concurrently too.
 * A NULL ops[i] keeps results[i] as the caller set it (for example the
 * error of the op that could not be made), or an SC_EINVAL result.
 * Ownership: every op is consumed (freed), even on failure; results as
 * sc_call_many().  The ops must have been made with @p client.
 */
SC_EXTERN(int) sc_call_many_ops(sc_result **results, sc_client *client,
				sc_op **ops, size_t n, size_t max_in_flight,
				sc_progress_cb progress, void *payload);

/**
 * A batch for sc_call_many_ops() built one call at a time, as the
 * bindings' call_many() does: the batch keeps the ops, the errors of the
 * calls the library refused and the results.
 *
 *     sc_many_new(&m, client, n);
 *     sc_many_add(m, store, key, endpoint, params);    (n times)
 *     sc_many_run(m, max_in_flight, progress, payload);
 *     sc_many_result(m, i) ...                         (each call's)
 *     sc_many_free(m);
 */
typedef struct sc_many sc_many;
struct sc_token_store;

/** A batch of at most @p cap calls on @p client (which must outlive it).
 *  @return 0, SC_EINVAL or SC_ENOMEM. */
SC_EXTERN(int) sc_many_new(sc_many **out, sc_client *client, size_t cap);

/**
 * Add a call: its op is sc_op_new_stored() with @p store and @p key, or
 * sc_op_new() when @p store is NULL.  A call the library refuses stays
 * in the batch with that error as its result (and finishes first).
 * @return 0, SC_EINVAL when the batch is full or already ran, SC_ENOMEM.
 */
SC_EXTERN(int) sc_many_add(sc_many *m, struct sc_token_store *store,
			   const char *key, const char *endpoint,
			   const sc_params *params);

/** Run the calls added: sc_call_many_ops() (indexes in the order they
 *  were added).  Once only.  @return as sc_call_many_ops(). */
SC_EXTERN(int) sc_many_run(sc_many *m, size_t max_in_flight,
			   sc_progress_cb progress, void *payload);

/** The result (data or error) of call @p i after the run, owned by the
 *  batch; NULL before the run, for a call not added, or out of memory. */
SC_EXTERN(const sc_result *) sc_many_result(const sc_many *m, size_t i);

/** Free the batch, its ops and results.  Accepts NULL. */
SC_EXTERN(void) sc_many_free(sc_many *m);

SC_END_DECL

#endif
