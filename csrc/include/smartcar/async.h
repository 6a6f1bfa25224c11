/**
 * @file smartcar/async.h
 * @brief Many calls driven by the caller's event loop, without blocking.
 *
 * An sc_async runs ops (sc_op_new(), sc_op_new_stored()) and walks of
 * pages (sc_pager_new()) over libcurl's multi-socket interface and never waits itself: the
 * caller's loop watches the sockets it names and its next timeout, and
 * tells it what became ready.  Retry backoffs, rate-limit cool-downs and
 * token-refresh waits are timers of the sc_async, never sleeps.
 *
 *     sc_async_new(&a, client, 0);
 *     sc_async_start(a, op, &id);                 (op is consumed)
 *     loop:
 *         n = sc_async_changes(a, w, 64);         watch w[i].fd for
 *                                                 w[i].events (0: stop)
 *         t = sc_async_timeout_ms(a);             -1: no timer
 *         ... wait for a socket or the timeout ...
 *         sc_async_socket(a, fd, SC_WATCH_READ); or sc_async_timeout(a);
 *         while (sc_async_take(a, &id, &res) == 1) ... use res ...
 *
 * Without a loop of its own, a program (a game frame) calls
 * sc_async_poll(), which checks every socket and timer with zero wait.
 *
 * Ownership: an sc_async borrows its client (which must outlive it) and
 * owns the ops it was given and the results not yet taken;
 * sc_async_free() drops both.
 * Thread-safety: an sc_async is used by one thread at a time.  Its
 * client may be shared with other threads and drivers.  Token-store
 * loads and saves run inside the sc_async_* call that steps the op.
 */
#ifndef SMARTCAR_ASYNC_H
#define SMARTCAR_ASYNC_H

#include <stdint.h>

#include "common.h"
#include "client.h"
#include "result.h"
#include "call.h"
#include "paging.h"

SC_BEGIN_DECL

typedef struct sc_async sc_async;

/** Socket events (a bit set). */
#define SC_WATCH_READ 1
#define SC_WATCH_WRITE 2

/** One socket to watch; events 0 means stop watching it. */
typedef struct sc_async_watch {
	int fd;
	int events;
} sc_async_watch;

/**
 * A driver for @p client with at most @p max_in_flight requests on the
 * wire at once (0: no limit of the library's; the others wait in start
 * order).  It keeps as many idle connections open for later calls
 * (1024 without a limit), and hands them back to the client when freed:
 * a later driver or sc_call_many on the client finds them open.
 * @return 0, SC_EINVAL, SC_ENOMEM or
 * SC_ENETWORK.
 */
SC_EXTERN(int) sc_async_new(sc_async **out, sc_client *client,
			    size_t max_in_flight);

/**
 * Start or finish at most @p n transfers per step (one sc_async_poll(),
 * sc_async_socket() or sc_async_timeout() call; 0: no limit).  The
 * others wait for the next steps (sc_async_timeout_ms() is then 0), so
 * one frame neither opens a whole burst's connections nor shapes all
 * its answers.  A new driver takes its client's async_start_budget
 * option (default 8).
 */
SC_EXTERN(void) sc_async_set_start_budget(sc_async *a, size_t n);

/** Free the driver: unfinished ops stop (a request on the wire is
 *  abandoned), results not taken are freed.  Accepts NULL. */
SC_EXTERN(void) sc_async_free(sc_async *a);

/**
 * Queue @p op (made with the driver's client); it starts on the next
 * sc_async_timeout()/sc_async_poll() (sc_async_timeout_ms() is then 0).
 * @return 0 with its id (never 0) in @p *id_out, or SC_EINVAL/SC_ENOMEM.
 * Ownership: the op is consumed, even on failure.
 */
SC_EXTERN(int) sc_async_start(sc_async *a, sc_op *op, uint64_t *id_out);

/**
 * Make the op of a call and queue it: sc_op_new_stored() with @p store
 * and @p key, or sc_op_new() when @p store is NULL, then
 * sc_async_start().
 * @return 0 with the id in @p *id_out; the op's argument error (details
 *         in @p *err_out when not NULL: nothing is queued) or SC_ENOMEM.
 */
SC_EXTERN(int) sc_async_start_call(sc_async *a, struct sc_token_store *store,
				   const char *key, const char *endpoint,
				   const sc_params *params, uint64_t *id_out,
				   sc_error **err_out);

/**
 * Queue the walk of @p pager's pages: one op after another under one id,
 * the pager deciding after each page whether another follows (the stop
 * rules of smartcar/paging.h).  Each page is a result of its own, taken
 * in order with sc_async_take_page() (or sc_async_take()); the last one
 * (the last page, or the error that ended the walk) has more == 0.  The
 * first page's op is made now.
 * @return 0 with the id in @p *id_out; SC_EINVAL (the op's argument error
 *         in @p *err_out when not NULL: nothing is queued) or SC_ENOMEM.
 * Ownership: the pager is consumed, even on failure.
 */
SC_EXTERN(int) sc_async_start_pager(sc_async *a, sc_pager *pager,
				    uint64_t *id_out, sc_error **err_out);

/**
 * sc_async_start_pager() for a new pager of @p a's client (the arguments
 * of sc_pager_new()), and in *items_out the field of each page's data
 * that holds its items (sc_pager_items(): static text).
 */
SC_EXTERN(int) sc_async_start_pages(sc_async *a, struct sc_token_store *store,
				    const char *key, const char *endpoint,
				    const sc_params *params, long page_size,
				    uint64_t *id_out, const char **items_out,
				    sc_error **err_out);

/**
 * Stop op @p id and drop its result.  A request already on the wire is
 * abandoned: a command may still take effect.
 * @return 0, or SC_EINVAL when no such op is held (taken or unknown).
 */
SC_EXTERN(int) sc_async_cancel(sc_async *a, uint64_t id);

/**
 * Changes to the set of sockets to watch since the last call, in the
 * order they happened (an fd may be dropped and then reused): apply them
 * in order.  Fills up to @p cap entries and removes them from the list.
 * @return the number filled; with @p out NULL, the number of changes
 *         waiting (none is removed).
 */
SC_EXTERN(size_t) sc_async_changes(sc_async *a, sc_async_watch *out,
				   size_t cap);

/**
 * The whole set of sockets to watch now.  Fills up to @p cap entries.
 * @return the number of sockets (may exceed @p cap).
 */
SC_EXTERN(size_t) sc_async_fds(const sc_async *a, sc_async_watch *out,
			       size_t cap);

/**
 * Milliseconds until sc_async_timeout() is due: 0 when it is due now,
 * -1 when no timer runs (then only a socket event, or a new op, moves
 * things on).
 */
SC_EXTERN(long) sc_async_timeout_ms(const sc_async *a);

/** @p fd became ready for @p events (SC_WATCH_*; 0: unknown, check
 *  both).  @return 0. */
SC_EXTERN(int) sc_async_socket(sc_async *a, int fd, int events);

/** The timeout came (calling it early does no harm).  @return 0. */
SC_EXTERN(int) sc_async_timeout(sc_async *a);

/**
 * Check every socket and timer without waiting and advance what is
 * ready.  @return the number of finished ops waiting to be taken.
 */
SC_EXTERN(int) sc_async_poll(sc_async *a);

/**
 * One descriptor that becomes readable whenever a watched socket is
 * ready (an epoll set on Linux), for a loop that would rather watch one
 * descriptor than each socket: when it is readable, and when
 * sc_async_timeout_ms() comes, call sc_async_poll().  From this call on
 * the driver keeps no list of changes (sc_async_changes() returns 0).
 * @return the descriptor (owned by the driver, closed by
 *         sc_async_free()), or -1 where there is none: then watch the
 *         sockets.
 */
SC_EXTERN(int) sc_async_fd(sc_async *a);

/**
 * Take a finished op's result, in the order they finished.
 * @return 1 with the id and the result (data or error), 0 when none is
 *         finished.
 * Ownership: free @p *out with sc_result_free().
 */
SC_EXTERN(int) sc_async_take(sc_async *a, uint64_t *id_out, sc_result **out);

/**
 * As sc_async_take(), and @p *more_out (may be NULL) is 1 when the result
 * is a page of a walk whose next page follows under the same id, 0 for
 * the op's last (or only) result.
 */
SC_EXTERN(int) sc_async_take_page(sc_async *a, uint64_t *id_out,
				  sc_result **out, int *more_out);

/** Ops held: running, waiting or finished but not taken (each page not
 *  taken counts). */
SC_EXTERN(size_t) sc_async_count(const sc_async *a);

SC_END_DECL

#endif
