/* The non-blocking driver (smartcar/async.h): ops stepped over libcurl's
 * multi-socket interface, the sockets and the next timeout handed to the
 * caller's event loop.
 *
 * Every op held is one struct req in start order.  An op is stepped when
 * it is queued and there is room on the wire, when its transfer ends
 * (at once, in the room it leaves) and when its wait ends: a retry
 * backoff, a rate-limit cool-down or another op's token refresh are
 * deadlines here, never sleeps.  libcurl's socket and timer callbacks
 * only record what to watch and when; all stepping happens in the
 * sc_async_* calls, never inside a libcurl callback. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "op.h"
#include "xfer.h"
#include "smartcar/async.h"

/* Idle connections kept without a max_in_flight. */
#define IDLE_KEEP 1024

enum req_state { QUEUED, ACTIVE, WAITING, DONE };

struct req {
	uint64_t id;
	sc_op *op;
	struct xfer *x;
	/* Idle connections kept without a max_in_flight. */
#define IDLE_KEEP 1024

enum req_state state;
	double ready_at;      /* WAITING: monotonic seconds */
	uint64_t done_seq;    /* DONE: order of finishing */
	sc_result *result;    /* DONE */
};

struct sc_async {
	sc_client *client;
	CURLM *multi;
	size_t max_in_flight;
	struct req **reqs;
	size_t n, cap;
	size_t nqueued, nactive, nwaiting, ndone;
	uint64_t next_id, next_done;
	double curl_deadline; /* 0: libcurl has no timer */
	sc_async_watch *watch;   /* the sockets libcurl wants watched */
	size_t nwatch, capwatch;
	sc_async_watch *changes; /* not yet handed out */
	size_t nchanges, capchanges;
};

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	void *p;
	size_t c;
	if (need <= *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	p = realloc(*arr, c * size);
	if (!p)
		return SC_ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/* ---- libcurl's callbacks: record only ---------------------------------- */

static void note_change(sc_async *a, int fd, int events)
{
	if (grow((void **)&a->changes, &a->capchanges, a->nchanges + 1,
		 sizeof(*a->changes)) < 0)
		return; /* the full set (sc_async_fds) stays right */
	a->changes[a->nchanges].fd = fd;
	a->changes[a->nchanges].events = events;
	a->nchanges++;
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *user,
		     void *socketp)
{
	sc_async *a = user;
	int events = 0;
	size_t i;
	(void)easy;
	(void)socketp;

	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= SC_WATCH_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= SC_WATCH_WRITE;
	for (i = 0; i < a->nwatch && a->watch[i].fd != (int)s; i++)
		;
	if (events == 0) {
		if (i == a->nwatch)
			return 0;
		a->watch[i] = a->watch[--a->nwatch];
	} else if (i < a->nwatch) {
		if (a->watch[i].events == events)
			return 0;
		a->watch[i].events = events;
	} else {
		if (grow((void **)&a->watch, &a->capwatch, a->nwatch + 1,
			 sizeof(*a->watch)) < 0)
			return -1;
		a->watch[a->nwatch].fd = (int)s;
		a->watch[a->nwatch].events = events;
		a->nwatch++;
	}
	note_change(a, (int)s, events);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *user)
{
	sc_async *a = user;
	(void)multi;
	a->curl_deadline = timeout_ms < 0
		? 0 : sc__monotonic() + (double)timeout_ms / 1e3;
	if (timeout_ms >= 0 && a->curl_deadline == 0)
		a->curl_deadline = 1e-9;
	return 0;
}

/* ---- stepping ----------------------------------------------------------- */

static void set_state(sc_async *a, struct req *r, /* Idle connections kept without a max_in_flight. */
#define IDLE_KEEP 1024

enum req_state s)
{
	size_t *counts[] = { &a->nqueued, &a->nactive, &a->nwaiting,
			     &a->ndone };
	(*counts[r->state])--;
	(*counts[s])++;
	r->state = s;
}

/* Step r once from QUEUED: start its transfer, its wait, or finish. */
static void step(sc_async *a, struct req *r)
{
	const sc_request *req;
	int rc = sc_op_next(r->op, &req);

	if (rc == SC_STEP_SEND) {
		r->x = sc__xfer_begin(a->client, req);
		if (!r->x) {
			/* stays queued: the op steps again and fails */
			sc_op_fail_unsent(r->op, SC_ENOMEM,
					  "cannot start a transfer");
			return;
		}
		curl_easy_setopt(sc__xfer_handle(r->x), CURLOPT_PRIVATE, r);
		if (curl_multi_add_handle(a->multi, sc__xfer_handle(r->x)) !=
		    CURLM_OK) {
			sc__xfer_end(r->x, CURLE_OUT_OF_MEMORY, NULL);
			r->x = NULL;
			sc_op_fail_unsent(r->op, SC_ENOMEM,
					  "cannot start a transfer");
			return;
		}
		set_state(a, r, ACTIVE);
	} else if (rc == SC_STEP_WAIT) {
		r->ready_at = sc__monotonic() + sc_op_wait_ms(r->op) / 1e3;
		set_state(a, r, WAITING);
	} else {
		sc_op_result(&r->result, r->op);
		sc_op_free(r->op);
		r->op = NULL;
		if (!r->result)
			r->result = sc__result_code(SC_ENOMEM, NULL);
		r->done_seq = a->next_done++;
		set_state(a, r, DONE);
	}
}

static int room(const sc_async *a)
{
	return a->max_in_flight == 0 || a->nactive < a->max_in_flight;
}

/* Hand each ended transfer to its op and step it at once. */
static void collect(sc_async *a)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(a->multi, &left))) {
		struct req *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&r);
		curl_multi_remove_handle(a->multi, msg->easy_handle);
		sc__xfer_end(r->x, msg->data.result, r->op);
		r->x = NULL;
		set_state(a, r, QUEUED);
		step(a, r);
	}
}

/* Queue the ops whose wait is over, then step queued ops in start order
 * while there is room; repeat while a step finished something at once. */
static void advance(sc_async *a)
{
	double now = sc__monotonic();
	size_t i;

	for (i = 0; a->nwaiting && i < a->n; i++) {
		struct req *r = a->reqs[i];
		if (r->state == WAITING && r->ready_at <= now)
			set_state(a, r, QUEUED);
	}
	for (i = 0; a->nqueued && room(a) && i < a->n; i++) {
		struct req *r = a->reqs[i];
		/* an op that cannot start a transfer stays queued: it is
		 * stepped once per call, not in a loop */
		if (r->state == QUEUED)
			step(a, r);
	}
}

/* ---- public ------------------------------------------------------------- */

int sc_async_new(sc_async **out, sc_client *client, size_t max_in_flight)
{
	sc_async *a;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!client)
		return SC_EINVAL;
	if (sc_global_init() < 0)
		return SC_ENETWORK;
	a = calloc(1, sizeof(*a));
	if (!a)
		return SC_ENOMEM;
	a->multi = curl_multi_init();
	if (!a->multi) {
		free(a);
		return SC_ENOMEM;
	}
	a->client = client;
	a->max_in_flight = max_in_flight;
	a->next_id = 1;
	/* idle connections kept for the next calls: as many as may be on
	 * the wire at once (libcurl's default shrinks with the transfers
	 * running, closing connections a burst will want again) */
	curl_multi_setopt(a->multi, CURLMOPT_MAXCONNECTS,
			  (long)(max_in_flight ? max_in_flight : IDLE_KEEP));
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
	*out = a;
	return 0;
}

/* Stop r's transfer (if any) and free what it holds. */
static void req_free(sc_async *a, struct req *r)
{
	if (r->x) {
		curl_multi_remove_handle(a->multi, sc__xfer_handle(r->x));
		sc__xfer_end(r->x, CURLE_ABORTED_BY_CALLBACK, NULL);
	}
	sc_op_free(r->op);
	sc_result_free(r->result);
	free(r);
}

void sc_async_free(sc_async *a)
{
	size_t i;
	if (!a)
		return;
	for (i = 0; i < a->n; i++)
		req_free(a, a->reqs[i]);
	curl_multi_cleanup(a->multi);
	free(a->reqs);
	free(a->watch);
	free(a->changes);
	free(a);
}

int sc_async_start(sc_async *a, sc_op *op, uint64_t *id_out)
{
	struct req *r;

	if (!a || !op || !id_out || op->client != a->client) {
		sc_op_free(op);
		return SC_EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || grow((void **)&a->reqs, &a->cap, a->n + 1,
		       sizeof(*a->reqs)) < 0) {
		free(r);
		sc_op_free(op);
		return SC_ENOMEM;
	}
	r->id = a->next_id++;
	r->op = op;
	r->state = QUEUED;
	a->nqueued++;
	a->reqs[a->n++] = r;
	*id_out = r->id;
	return 0;
}

/* Remove reqs[i] from the list, keeping start order. */
static void unlist(sc_async *a, size_t i)
{
	struct req *r = a->reqs[i];
	size_t *counts[] = { &a->nqueued, &a->nactive, &a->nwaiting,
			     &a->ndone };
	(*counts[r->state])--;
	memmove(&a->reqs[i], &a->reqs[i + 1],
		(a->n - i - 1) * sizeof(*a->reqs));
	a->n--;
}

int sc_async_cancel(sc_async *a, uint64_t id)
{
	size_t i;
	if (!a)
		return SC_EINVAL;
	for (i = 0; i < a->n; i++) {
		struct req *r = a->reqs[i];
		if (r->id != id)
			continue;
		unlist(a, i);
		req_free(a, r);
		return 0;
	}
	return SC_EINVAL;
}

size_t sc_async_changes(sc_async *a, sc_async_watch *out, size_t cap)
{
	size_t n;
	if (!a || !out || !a->nchanges)
		return 0;
	n = a->nchanges < cap ? a->nchanges : cap;
	memcpy(out, a->changes, n * sizeof(*out));
	memmove(a->changes, a->changes + n,
		(a->nchanges - n) * sizeof(*out));
	a->nchanges -= n;
	return n;
}

size_t sc_async_fds(const sc_async *a, sc_async_watch *out, size_t cap)
{
	if (!a)
		return 0;
	if (out && a->nwatch)
		memcpy(out, a->watch,
		       (a->nwatch < cap ? a->nwatch : cap) * sizeof(*out));
	return a->nwatch;
}

long sc_async_timeout_ms(const sc_async *a)
{
	double soonest = 0, now;
	size_t i;

	if (!a)
		return -1;
	if (a->nqueued && room(a))
		return 0;
	soonest = a->curl_deadline;
	for (i = 0; a->nwaiting && i < a->n; i++) {
		const struct req *r = a->reqs[i];
		if (r->state == WAITING &&
		    (soonest == 0 || r->ready_at < soonest))
			soonest = r->ready_at;
	}
	if (soonest == 0)
		return -1;
	now = sc__monotonic();
	if (soonest <= now)
		return 0;
	/* rounded up: a timer that fires on time finds the deadline past */
	return (long)((soonest - now) * 1e3) + 1;
}

int sc_async_socket(sc_async *a, int fd, int events)
{
	int running = 0, mask = 0;

	if (!a)
		return SC_EINVAL;
	if (events & SC_WATCH_READ)
		mask |= CURL_CSELECT_IN;
	if (events & SC_WATCH_WRITE)
		mask |= CURL_CSELECT_OUT;
	curl_multi_socket_action(a->multi, (curl_socket_t)fd, mask,
				 &running);
	collect(a);
	advance(a);
	return 0;
}

int sc_async_timeout(sc_async *a)
{
	int running = 0;

	if (!a)
		return SC_EINVAL;
	if (a->curl_deadline != 0 && a->curl_deadline <= sc__monotonic()) {
		a->curl_deadline = 0;
		curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0,
					 &running);
		collect(a);
	}
	advance(a);
	/* ops just started: let libcurl begin their transfers now */
	if (a->curl_deadline != 0 && a->curl_deadline <= sc__monotonic()) {
		a->curl_deadline = 0;
		curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0,
					 &running);
		collect(a);
	}
	return 0;
}

int sc_async_poll(sc_async *a)
{
	struct pollfd stack[64], *pfd = stack;
	size_t i, n;

	if (!a)
		return SC_EINVAL;
	sc_async_timeout(a);
	n = a->nwatch;
	if (n > 64) {
		pfd = malloc(n * sizeof(*pfd));
		if (!pfd)
			return (int)a->ndone;
	}
	for (i = 0; i < n; i++) {
		pfd[i].fd = a->watch[i].fd;
		pfd[i].events =
			(short)((a->watch[i].events & SC_WATCH_READ ? POLLIN
								   : 0) |
				(a->watch[i].events & SC_WATCH_WRITE ? POLLOUT
								    : 0));
		pfd[i].revents = 0;
	}
	if (n && poll(pfd, (nfds_t)n, 0) > 0) {
		for (i = 0; i < n; i++) {
			int ev = 0;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				ev |= SC_WATCH_READ;
			if (pfd[i].revents & (POLLOUT | POLLERR))
				ev |= SC_WATCH_WRITE;
			if (ev)
				sc_async_socket(a, pfd[i].fd, ev);
		}
	}
	if (pfd != stack)
		free(pfd);
	sc_async_timeout(a);
	return (int)a->ndone;
}

int sc_async_take(sc_async *a, uint64_t *id_out, sc_result **out)
{
	size_t i, best = 0;
	struct req *r;

	if (!a || !out)
		return SC_EINVAL;
	*out = NULL;
	if (!a->ndone)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->reqs[i]->state == DONE &&
		    (a->reqs[best]->state != DONE ||
		     a->reqs[i]->done_seq < a->reqs[best]->done_seq))
			best = i;
	r = a->reqs[best];
	unlist(a, best);
	if (id_out)
		*id_out = r->id;
	*out = r->result;
	r->result = NULL;
	free(r);
	return 1;
}

size_t sc_async_count(const sc_async *a)
{
	return a ? a->n : 0;
}
