/* The non-blocking driver (smartcar/async.h): ops stepped over libcurl's
 * multi-socket interface, the sockets and the next timeout handed to the
 * caller's event loop.  sc_call_many runs on it too, waiting in
 * sc__async_wait.  A pager's walk is one op after another under one id:
 * each page finished is handed out, and the pager's next op queued.
 *
 * Every op held is one struct req, on the list of its state: queued (in
 * start order), active, waiting, done (in finish order), so that no step
 * scans the ops that are not concerned.  An op is stepped when it is
 * queued and there is room on the wire, when its transfer ends (at once,
 * in the room it leaves) and when its wait ends: a retry backoff, a
 * rate-limit cool-down or another op's token refresh are deadlines here,
 * never sleeps.  A step (one sc_async_poll, _socket or _timeout call)
 * starts or finishes at most the budget of transfers: opening a loopback
 * connection costs tens of microseconds of kernel time and shaping an
 * answer tens more, so a burst of a hundred is spread over frames.  libcurl's socket and timer callbacks only record what
 * to watch and when; all stepping happens in the sc_async_* calls, never
 * inside a libcurl callback.
 *
 * On Linux the watched sockets are also kept in an epoll set: readiness
 * is then found in time proportional to the sockets that are ready, not
 * to all of them, and an event loop can watch that one descriptor
 * (sc_async_fd) instead of every socket. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#ifdef __linux__
#include <sys/epoll.h>
#define SC_HAVE_EPOLL 1
#endif

#include "op.h"
#include "xfer.h"
#include "smartcar/async.h"

/* Idle connections kept without a max_in_flight. */
#define IDLE_KEEP 1024
/* Idle connections an sc_call_many keeps at least. */
#define MANY_KEEP 16
/* Transfers one multi handle takes before the next one is used: libcurl
 * 7.88 scans a host's every connection for an idle one on each new
 * transfer, and every cached connection on each removal, so a thousand
 * connections in one multi handle cost a tenth of the CPU of a call. */
#define SHARD_SIZE 128
#define SHARDS_MAX 16
/* Unread socket changes compacted past this (a caller that never reads
 * them, such as one that reads the whole set each frame). */
#define CHANGES_COMPACT 1024

enum req_state { QUEUED, ACTIVE, WAITING, DONE, NSTATES };

struct shard {
	sc_async *a;
	CURLM *multi;
	double deadline;      /* libcurl's timer; 0: none */
	size_t active;        /* transfers in it */
	int backlog;          /* ended transfers may wait, not yet read */
};

struct req {
	uint64_t id;
	sc_op *op;
	struct xfer *x;
	struct shard *sh;        /* ACTIVE: the multi handle of x */
	enum req_state state;
	struct req *prev, *next; /* on its state's list */
	double ready_at;         /* WAITING: monotonic seconds */
	sc_result *result;       /* DONE */
	sc_pager *pager;         /* a walk of pages: makes the next op */
	int more;                /* DONE: a page, more of its walk follow */
};

struct list {
	struct req *head, *tail;
	size_t n;
};

/* A change to the watched set; prev: the events before it. */
struct change {
	int fd, events, prev;
};

struct sc_async {
	sc_client *client;
	struct shard shards[SHARDS_MAX];
	size_t nshards;
	size_t max_in_flight;
	size_t budget;        /* transfers started or ended per step; 0:
				 no limit */
	size_t spent;         /* transfers started or ended in this step */
	struct list lists[NSTATES];
	uint64_t next_id;
	sc_async_watch *watch;   /* the sockets libcurl wants watched */
	struct shard **wshard;   /* the multi handle of each */
	size_t nwatch, capwatch, capwshard;
	struct change *changes;  /* not yet handed out */
	size_t nchanges, capchanges;
	int fd_mode;          /* the caller watches epfd: no changes kept */
	int epfd;             /* the watched set as an epoll set, or -1 */
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

/* ---- the state lists ---------------------------------------------------- */

static void list_remove(struct list *l, struct req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	l->n--;
}

/* Append r, or insert it by id when ordered and r is older than the
 * tail (an op queued again after its wait goes back in start order). */
static void list_add(struct list *l, struct req *r, int ordered)
{
	struct req *after = l->tail;

	if (ordered)
		while (after && after->id > r->id)
			after = after->prev;
	r->prev = after;
	r->next = after ? after->next : l->head;
	if (r->next)
		r->next->prev = r;
	else
		l->tail = r;
	if (after)
		after->next = r;
	else
		l->head = r;
	l->n++;
}

static void set_state(sc_async *a, struct req *r, enum req_state s)
{
	list_remove(&a->lists[r->state], r);
	r->state = s;
	list_add(&a->lists[s], r, s == QUEUED);
}

/* ---- libcurl's callbacks: record only ---------------------------------- */

static int change_cmp(const void *x, const void *y)
{
	const struct change *a = x, *b = y;
	if (a->fd != b->fd)
		return a->fd < b->fd ? -1 : 1;
	return a < b ? -1 : a > b; /* qsort is not stable: keep the order */
}

/* Shrink the unread changes to what a reader must still apply: per
 * socket its last state, after a drop when it was dropped on the way. */
static void compact_changes(sc_async *a)
{
	struct change *c = a->changes;
	size_t i = 0, out = 0, n = a->nchanges;

	qsort(c, n, sizeof(*c), change_cmp);
	while (i < n) {
		size_t j = i;
		int prior = c[i].prev, dropped = 0, last;
		while (j + 1 < n && c[j + 1].fd == c[i].fd)
			dropped |= c[j++].events == 0;
		last = c[j].events;
		if (prior && (last == 0 || dropped)) {
			c[out].fd = c[i].fd;
			c[out].events = 0;
			c[out++].prev = prior;
			prior = 0;
		}
		if (last) {
			c[out].fd = c[i].fd;
			c[out].events = last;
			c[out++].prev = prior;
		}
		i = j + 1;
	}
	a->nchanges = out;
}

static void note_change(sc_async *a, int fd, int events, int prev)
{
	if (a->fd_mode)
		return;
	if (a->nchanges >= CHANGES_COMPACT &&
	    a->nchanges >= 4 * a->nwatch)
		compact_changes(a);
	if (grow((void **)&a->changes, &a->capchanges, a->nchanges + 1,
		 sizeof(*a->changes)) < 0)
		return; /* the full set (sc_async_fds) stays right */
	a->changes[a->nchanges].fd = fd;
	a->changes[a->nchanges].events = events;
	a->changes[a->nchanges].prev = prev;
	a->nchanges++;
}

#ifdef SC_HAVE_EPOLL
/* Mirror one change in the epoll set. */
static int ep_update(sc_async *a, int fd, int shard, int events, int prev)
{
	struct epoll_event ev;
	int op = !events ? EPOLL_CTL_DEL : prev ? EPOLL_CTL_MOD
						 : EPOLL_CTL_ADD;

	memset(&ev, 0, sizeof(ev));
	/* the fd and the index of its multi handle */
	ev.data.u64 = (uint64_t)(unsigned)fd | (uint64_t)shard << 32;
	ev.events = (events & SC_WATCH_READ ? EPOLLIN : 0) |
		    (events & SC_WATCH_WRITE ? EPOLLOUT : 0);
	if (epoll_ctl(a->epfd, op, fd, &ev) == 0)
		return 0;
	/* a socket closed and its number reused; or one closed before
	 * libcurl said so (then the set forgot it by itself) */
	if (op == EPOLL_CTL_ADD && errno == EEXIST)
		return epoll_ctl(a->epfd, EPOLL_CTL_MOD, fd, &ev);
	if (op == EPOLL_CTL_MOD && errno == ENOENT)
		return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
	return op == EPOLL_CTL_DEL ? 0 : -1;
}
#endif

static int on_socket(CURL *easy, curl_socket_t s, int what, void *user,
		     void *socketp)
{
	struct shard *sh = user;
	sc_async *a = sh->a;
	int events = 0, prev = 0;
	size_t i;
	(void)easy;
	(void)socketp;

	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= SC_WATCH_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= SC_WATCH_WRITE;
	for (i = 0; i < a->nwatch && a->watch[i].fd != (int)s; i++)
		;
	if (i < a->nwatch)
		prev = a->watch[i].events;
	if (events == prev)
		return 0;
	if (events == 0) {
		a->nwatch--;
		a->watch[i] = a->watch[a->nwatch];
		a->wshard[i] = a->wshard[a->nwatch];
	} else if (prev) {
		a->watch[i].events = events;
		a->wshard[i] = sh;
	} else {
		if (grow((void **)&a->watch, &a->capwatch, a->nwatch + 1,
			 sizeof(*a->watch)) < 0 ||
		    grow((void **)&a->wshard, &a->capwshard, a->nwatch + 1,
			 sizeof(*a->wshard)) < 0)
			return -1;
		a->watch[a->nwatch].fd = (int)s;
		a->watch[a->nwatch].events = events;
		a->wshard[a->nwatch] = sh;
		a->nwatch++;
	}
#ifdef SC_HAVE_EPOLL
	if (a->epfd >= 0 &&
	    ep_update(a, (int)s, (int)(sh - a->shards), events, prev) < 0)
		return -1; /* the set would miss a socket: fail the transfers */
#endif
	note_change(a, (int)s, events, prev);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *user)
{
	struct shard *sh = user;
	(void)multi;
	sh->deadline = timeout_ms < 0
		? 0 : sc__monotonic() + (double)timeout_ms / 1e3;
	if (timeout_ms >= 0 && sh->deadline == 0)
		sh->deadline = 1e-9;
	return 0;
}

/* ---- stepping ----------------------------------------------------------- */

/* A page of r's walk finished (r->result): hand it out and queue the op
 * of the next page.  0 when there is no next page: the page is r's last
 * result. */
static int next_page(sc_async *a, struct req *r)
{
	struct req *page;
	sc_op *op = NULL;
	sc_error *err = NULL;
	int rc;

	sc_pager_take(r->pager, r->result);
	rc = sc_pager_op(r->pager, &op, &err);
	if (rc == 0 && !op)
		return 0;
	page = calloc(1, sizeof(*page));
	if (!page) {
		sc_op_free(op);
		sc_error_free(err);
		return 0; /* the walk ends at this page */
	}
	page->id = r->id;
	page->result = r->result;
	page->more = 1;
	page->state = DONE;
	list_add(&a->lists[DONE], page, 0);
	if (rc < 0) { /* the next page's op cannot be made: that ends it */
		r->result = err ? sc__result_err(err)
				: sc__result_code(rc, NULL);
		return 0;
	}
	r->result = NULL;
	r->op = op; /* stays queued: stepped on the next round */
	return 1;
}

/* Step r once from QUEUED: start its transfer, its wait, or finish. */
static void step(sc_async *a, struct req *r)
{
	const sc_request *req;
	int rc = sc_op_next(r->op, &req);

	if (rc == SC_STEP_SEND) {
		struct shard *sh = &a->shards[0];
		size_t k;
		/* the first multi handle with room, else the least busy */
		for (k = 1; sh->active >= SHARD_SIZE && k < a->nshards; k++)
			if (a->shards[k].active < sh->active)
				sh = &a->shards[k];
		r->x = sc__xfer_begin(a->client, req);
		if (!r->x) {
			/* stays queued: the op steps again and fails */
			sc_op_fail_unsent(r->op, SC_ENOMEM,
					  "cannot start a transfer");
			return;
		}
		curl_easy_setopt(sc__xfer_handle(r->x), CURLOPT_PRIVATE, r);
		if (curl_multi_add_handle(sh->multi, sc__xfer_handle(r->x)) !=
		    CURLM_OK) {
			sc__xfer_end(r->x, CURLE_OUT_OF_MEMORY, NULL);
			r->x = NULL;
			sc_op_fail_unsent(r->op, SC_ENOMEM,
					  "cannot start a transfer");
			return;
		}
		r->sh = sh;
		sh->active++;
		a->spent++;
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
		if (r->pager && r->result && next_page(a, r))
			return;
		set_state(a, r, DONE);
	}
}

static int room(const sc_async *a)
{
	return a->max_in_flight == 0 ||
	       a->lists[ACTIVE].n < a->max_in_flight;
}

/* Budget left in this step. */
static int budget_left(const sc_async *a)
{
	return a->budget == 0 || a->spent < a->budget;
}

/* Room on the wire and budget left in this step. */
static int may_start(const sc_async *a)
{
	return room(a) && budget_left(a);
}

/* Hand each transfer of sh that ended to its op and step it at once,
 * while the step's budget lasts: the others wait in libcurl's queue of
 * messages for the next step (shaping a result costs tens of
 * microseconds: a frame that finds a hundred answers spreads them). */
static void collect(struct shard *sh)
{
	sc_async *a = sh->a;
	CURLMsg *msg;
	int left, more;

	sh->backlog = 0;
	while ((more = budget_left(a)) &&
	       (msg = curl_multi_info_read(sh->multi, &left))) {
		struct req *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&r);
		curl_multi_remove_handle(sh->multi, msg->easy_handle);
		sh->active--;
		sc__xfer_end(r->x, msg->data.result, r->op);
		r->x = NULL;
		set_state(a, r, QUEUED);
		/* the op's next transfer may not start in this step: then
		 * it waits queued, in start order, like the others */
		if (may_start(a))
			step(a, r);
		a->spent++;
	}
	if (!more)
		sh->backlog = 1;
}

/* Queue the ops whose wait is over, then step queued ops in start order
 * while there is room, each once. */
static void advance(sc_async *a)
{
	struct req *r, *next;

	if (a->lists[WAITING].n) {
		double now = sc__monotonic();
		for (r = a->lists[WAITING].head; r; r = next) {
			next = r->next;
			if (r->ready_at <= now)
				set_state(a, r, QUEUED);
		}
	}
	/* an op that cannot start a transfer stays queued: it is stepped
	 * once per call, not in a loop */
	for (r = a->lists[QUEUED].head; r && may_start(a); r = next) {
		next = r->next;
		step(a, r);
	}
}

/* ---- public ------------------------------------------------------------- */

static int async_new(sc_async **out, sc_client *client,
		     size_t max_in_flight, int pooled)
{
	sc_async *a;
	size_t k, want, keep;

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
	a->epfd = -1;
	a->client = client;
	/* without a limit, for what a burst usually is */
	want = max_in_flight ? max_in_flight : IDLE_KEEP / 2;
	a->nshards = (want + SHARD_SIZE - 1) / SHARD_SIZE;
	if (a->nshards > SHARDS_MAX)
		a->nshards = SHARDS_MAX;
	for (k = 0; k < a->nshards; k++) {
		struct shard *sh = &a->shards[k];
		sh->a = a;
		/* with the idle connections of the client's earlier
		 * drivers and sc_call_many runs */
		sh->multi = sc__multi_checkout(client);
		if (!sh->multi) {
			a->nshards = k;
			sc_async_free(a);
			return SC_ENOMEM;
		}
	}
	a->max_in_flight = max_in_flight;
	/* sc_call_many waits between steps: no budget to spread */
	a->budget = pooled ? 0 : client->async_start_budget;
	a->next_id = 1;
#ifdef SC_HAVE_EPOLL
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
#endif
	/* idle connections kept for the next calls: as many as may be on
	 * the wire at once (libcurl's default shrinks with the transfers
	 * running, closing connections a burst will want again); a pooled
	 * multi serves later sc_call_many runs too: twice that */
	keep = pooled ? (max_in_flight * 2 > MANY_KEEP ? max_in_flight * 2
						       : MANY_KEEP)
		      : (max_in_flight ? max_in_flight : IDLE_KEEP);
	keep = (keep + a->nshards - 1) / a->nshards;
	/* a multi handle may hold SHARD_SIZE transfers and keep them all
	 * (twice that in the pool), whatever the others hold */
	if (a->nshards > 1 && keep < SHARD_SIZE * (pooled ? 2u : 1u))
		keep = SHARD_SIZE * (pooled ? 2u : 1u);
	for (k = 0; k < a->nshards; k++) {
		CURLM *m = a->shards[k].multi;
		curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)keep);
		curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
		curl_multi_setopt(m, CURLMOPT_SOCKETDATA, &a->shards[k]);
		curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
		curl_multi_setopt(m, CURLMOPT_TIMERDATA, &a->shards[k]);
	}
	*out = a;
	return 0;
}

int sc_async_new(sc_async **out, sc_client *client, size_t max_in_flight)
{
	return async_new(out, client, max_in_flight, 0);
}

void sc_async_set_start_budget(sc_async *a, size_t n)
{
	if (a)
		a->budget = n;
}

/* Stop r's transfer (if any) and free what it holds. */
static void req_free(sc_async *a, struct req *r)
{
	if (r->x) {
		curl_multi_remove_handle(r->sh->multi, sc__xfer_handle(r->x));
		r->sh->active--;
		sc__xfer_end(r->x, CURLE_ABORTED_BY_CALLBACK, NULL);
	}
	sc_op_free(r->op);
	sc_pager_free(r->pager);
	sc_result_free(r->result);
	free(r);
}

void sc_async_free(sc_async *a)
{
	size_t k;
	int s;
	if (!a)
		return;
	for (s = 0; s < NSTATES; s++)
		while (a->lists[s].head) {
			struct req *r = a->lists[s].head;
			list_remove(&a->lists[s], r);
			req_free(a, r);
		}
	/* back to the pool last first: the next run takes them in the
	 * same order, each with the connections it had */
	for (k = a->nshards; k-- > 0;) {
		CURLM *m = a->shards[k].multi;
		/* the multi and its idle connections outlive this driver */
		curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, NULL);
		curl_multi_setopt(m, CURLMOPT_SOCKETDATA, NULL);
		curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, NULL);
		curl_multi_setopt(m, CURLMOPT_TIMERDATA, NULL);
		sc__multi_checkin(a->client, m);
	}
	if (a->epfd >= 0)
		close(a->epfd);
	free(a->watch);
	free(a->wshard);
	free(a->changes);
	free(a);
}

/* Queue op (and the pager of its walk); both consumed. */
static int start(sc_async *a, sc_op *op, sc_pager *pager, uint64_t *id_out)
{
	struct req *r;

	if (!a || !op || !id_out || op->client != a->client) {
		sc_op_free(op);
		sc_pager_free(pager);
		return SC_EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		sc_op_free(op);
		sc_pager_free(pager);
		return SC_ENOMEM;
	}
	r->id = a->next_id++;
	r->op = op;
	r->pager = pager;
	r->state = QUEUED;
	list_add(&a->lists[QUEUED], r, 0);
	*id_out = r->id;
	return 0;
}

int sc_async_start(sc_async *a, sc_op *op, uint64_t *id_out)
{
	return start(a, op, NULL, id_out);
}

int sc_async_start_pager(sc_async *a, sc_pager *pager, uint64_t *id_out,
			 sc_error **err_out)
{
	sc_op *op = NULL;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (!a || !pager || !id_out) {
		sc_pager_free(pager);
		return SC_EINVAL;
	}
	rc = sc_pager_op(pager, &op, err_out);
	if (rc == 0 && !op)
		rc = sc__invalid(err_out, "the pager has no page left");
	if (rc < 0) {
		sc_pager_free(pager);
		return rc;
	}
	return start(a, op, pager, id_out);
}

int sc_async_start_pages(sc_async *a, sc_token_store *store, const char *key,
			 const char *endpoint, const sc_params *params,
			 long page_size, uint64_t *id_out,
			 const char **items_out, sc_error **err_out)
{
	sc_pager *pager = NULL;
	int rc = a ? sc_pager_new(&pager, a->client, store, key, endpoint,
				  params, page_size, err_out)
		   : SC_EINVAL;

	if (rc == 0) {
		*items_out = sc_pager_items(pager);
		rc = sc_async_start_pager(a, pager, id_out, err_out);
	}
	return rc;
}

int sc_async_cancel(sc_async *a, uint64_t id)
{
	int s, found = 0;
	if (!a)
		return SC_EINVAL;
	/* a walk of pages may also have pages not yet taken */
	for (s = 0; s < NSTATES; s++) {
		struct req *r, *next;
		for (r = a->lists[s].head; r; r = next) {
			next = r->next;
			if (r->id != id)
				continue;
			list_remove(&a->lists[s], r);
			req_free(a, r);
			found = 1;
		}
	}
	return found ? 0 : SC_EINVAL;
}

size_t sc_async_changes(sc_async *a, sc_async_watch *out, size_t cap)
{
	size_t n, i;
	if (!a || !a->nchanges)
		return 0;
	if (!out)
		return a->nchanges;
	n = a->nchanges < cap ? a->nchanges : cap;
	for (i = 0; i < n; i++) {
		out[i].fd = a->changes[i].fd;
		out[i].events = a->changes[i].events;
	}
	memmove(a->changes, a->changes + n,
		(a->nchanges - n) * sizeof(*a->changes));
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

int sc_async_fd(sc_async *a)
{
	if (!a || a->epfd < 0)
		return -1;
	a->fd_mode = 1;
	a->nchanges = 0;
	return a->epfd;
}

long sc_async_timeout_ms(const sc_async *a)
{
	double soonest = 0, now;
	const struct req *r;
	size_t k;

	if (!a)
		return -1;
	if (a->lists[QUEUED].n && room(a))
		return 0;
	for (k = 0; k < a->nshards; k++)
		if (a->shards[k].backlog)
			return 0;
	for (k = 0; k < a->nshards; k++)
		if (a->shards[k].deadline != 0 &&
		    (soonest == 0 || a->shards[k].deadline < soonest))
			soonest = a->shards[k].deadline;
	for (r = a->lists[WAITING].head; r; r = r->next)
		if (soonest == 0 || r->ready_at < soonest)
			soonest = r->ready_at;
	if (soonest == 0)
		return -1;
	now = sc__monotonic();
	if (soonest <= now)
		return 0;
	/* rounded up: a timer that fires on time finds the deadline past */
	return (long)((soonest - now) * 1e3) + 1;
}

/* Socket fd of sh became ready for events. */
static void socket_ready(struct shard *sh, int fd, int events)
{
	int running = 0, mask = 0;

	if (events & SC_WATCH_READ)
		mask |= CURL_CSELECT_IN;
	if (events & SC_WATCH_WRITE)
		mask |= CURL_CSELECT_OUT;
	curl_multi_socket_action(sh->multi, (curl_socket_t)fd, mask,
				 &running);
	collect(sh);
	advance(sh->a);
}

static void on_ready(sc_async *a, int fd, int events)
{
	size_t i;

	for (i = 0; i < a->nwatch && a->watch[i].fd != fd; i++)
		;
	if (i < a->nwatch)
		socket_ready(a->wshard[i], fd, events);
	else
		advance(a); /* a socket libcurl no longer watches */
}

int sc_async_socket(sc_async *a, int fd, int events)
{
	if (!a)
		return SC_EINVAL;
	a->spent = 0; /* a new step */
	on_ready(a, fd, events);
	return 0;
}

/* Run libcurl's timers that are due. */
static void due_timers(sc_async *a)
{
	double now = sc__monotonic();
	size_t k;

	for (k = 0; k < a->nshards; k++) {
		struct shard *sh = &a->shards[k];
		int running = 0;
		if (sh->deadline == 0 || sh->deadline > now)
			continue;
		sh->deadline = 0;
		curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0,
					 &running);
		collect(sh);
	}
}

static void timers_step(sc_async *a)
{
	size_t k;

	/* first the transfers that ended in an earlier step */
	for (k = 0; k < a->nshards; k++)
		if (a->shards[k].backlog)
			collect(&a->shards[k]);
	due_timers(a);
	advance(a);
	/* ops just started: let libcurl begin their transfers now */
	due_timers(a);
}

int sc_async_timeout(sc_async *a)
{
	if (!a)
		return SC_EINVAL;
	a->spent = 0; /* a new step */
	timers_step(a);
	return 0;
}

/* Wait up to wait_ms (0: not at all) for the watched sockets and advance
 * those that are ready. */
static void dispatch(sc_async *a, int wait_ms)
{
	struct pollfd stack[64], *pfd = stack;
	size_t i, n;

#ifdef SC_HAVE_EPOLL
	if (a->epfd >= 0) {
		struct epoll_event ev[64];
		int k, got = epoll_wait(a->epfd, ev, 64, wait_ms);
		for (k = 0; k < got; k++) {
			int e = 0;
			uint64_t d = ev[k].data.u64;
			if (ev[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				e |= SC_WATCH_READ;
			if (ev[k].events & (EPOLLOUT | EPOLLERR))
				e |= SC_WATCH_WRITE;
			socket_ready(&a->shards[d >> 32], (int)(uint32_t)d,
				     e);
		}
		return;
	}
#endif
	n = a->nwatch;
	if (n > 64) {
		pfd = malloc(n * sizeof(*pfd));
		if (!pfd)
			return;
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
	if (poll(pfd, (nfds_t)n, wait_ms) > 0) {
		for (i = 0; i < n; i++) {
			int ev = 0;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				ev |= SC_WATCH_READ;
			if (pfd[i].revents & (POLLOUT | POLLERR))
				ev |= SC_WATCH_WRITE;
			if (ev)
				on_ready(a, pfd[i].fd, ev);
		}
	}
	if (pfd != stack)
		free(pfd);
}

int sc_async_poll(sc_async *a)
{
	if (!a)
		return SC_EINVAL;
	a->spent = 0; /* one step */
	timers_step(a);
	dispatch(a, 0);
	timers_step(a);
	return (int)a->lists[DONE].n;
}

int sc_async_take_page(sc_async *a, uint64_t *id_out, sc_result **out,
		       int *more_out)
{
	struct req *r;

	if (more_out)
		*more_out = 0;
	if (!a || !out)
		return SC_EINVAL;
	*out = NULL;
	r = a->lists[DONE].head;
	if (!r)
		return 0;
	list_remove(&a->lists[DONE], r);
	if (id_out)
		*id_out = r->id;
	if (more_out)
		*more_out = r->more;
	*out = r->result;
	r->result = NULL;
	req_free(a, r); /* a finished op holds nothing else */
	return 1;
}

int sc_async_take(sc_async *a, uint64_t *id_out, sc_result **out)
{
	return sc_async_take_page(a, id_out, out, NULL);
}

size_t sc_async_count(const sc_async *a)
{
	size_t n = 0;
	int s;
	for (s = 0; a && s < NSTATES; s++)
		n += a->lists[s].n;
	return n;
}

/* ---- sc_call_many: the same driver, waiting on its own ------------------ */

int sc_call_many_ops(sc_result **results, sc_client *client, sc_op **ops,
		     size_t n, size_t max_in_flight, sc_progress_cb progress,
		     void *payload)
{
	sc_async *a = NULL;
	size_t *index_of, i, done = 0;

	if (n == 0)
		return 0;
	if (!results || !client || !ops) {
		for (i = 0; ops && i < n; i++)
			sc_op_free(ops[i]);
		return SC_EINVAL;
	}
	index_of = malloc(n * sizeof(*index_of));
	if (!index_of ||
	    async_new(&a, client, max_in_flight ? max_in_flight : 8, 1) < 0) {
		free(index_of);
		for (i = 0; i < n; i++)
			sc_op_free(ops[i]);
		return SC_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		uint64_t id;
		sc_op *op = ops[i];
		int rc = 0;

		ops[i] = NULL;
		if (op && (rc = sc_async_start(a, op, &id)) == 0) {
			results[i] = NULL;
			index_of[id - 1] = i; /* ids count from 1 */
			continue;
		}
		/* not made (its result, the error, is already there) or
		 * not started */
		if (op)
			results[i] = sc__result_code(rc, rc == SC_EINVAL
				? "the operation was made with another client"
				: NULL);
		else if (!results[i])
			results[i] = sc__result_code(SC_EINVAL,
						     "no operation was given");
		done++;
		if (progress)
			progress(payload, i,
				 results[i] ? results[i]->code : SC_ENOMEM,
				 done, n);
	}
	while (done < n) {
		uint64_t id;
		sc_result *res;
		long t = sc_async_timeout_ms(a);

		/* sleep until a socket or a timer is ready */
		dispatch(a, t < 0 || t > 1000 ? 1000 : (int)t);
		sc_async_timeout(a);
		while (sc_async_take(a, &id, &res) == 1) {
			i = index_of[id - 1];
			results[i] = res;
			done++;
			if (progress)
				progress(payload, i, res->code, done, n);
		}
	}
	sc_async_free(a);
	free(index_of);
	return 0;
}

/* ---- calls as the bindings describe them --------------------------------- */

/* The op of a call: stored when store is given. */
int sc_async_start_call(sc_async *a, sc_token_store *store, const char *key,
			const char *endpoint, const sc_params *params,
			uint64_t *id_out, sc_error **err_out)
{
	sc_op *op = NULL;
	int rc;

	if (!a)
		return sc__invalid(err_out, "no driver");
	rc = sc_op_new_call(&op, a->client, store, key, endpoint, params,
			    err_out);
	return rc < 0 ? rc : sc_async_start(a, op, id_out);
}

struct sc_many {
	sc_client *client;
	size_t n, cap;
	int ran;
	sc_op **ops;          /* consumed by the run */
	sc_result **results;  /* a refused call's error before the run */
};

int sc_many_new(sc_many **out, sc_client *client, size_t cap)
{
	sc_many *m;

	if (!out || !client)
		return SC_EINVAL;
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return SC_ENOMEM;
	m->client = client;
	m->cap = cap;
	m->ops = calloc(cap ? cap : 1, sizeof(*m->ops));
	m->results = calloc(cap ? cap : 1, sizeof(*m->results));
	if (!m->ops || !m->results) {
		sc_many_free(m);
		return SC_ENOMEM;
	}
	*out = m;
	return 0;
}

int sc_many_add(sc_many *m, sc_token_store *store, const char *key,
		const char *endpoint, const sc_params *params)
{
	sc_error *err = NULL;
	size_t i;

	if (!m || m->ran || m->n == m->cap)
		return SC_EINVAL;
	i = m->n;
	if (sc_op_new_call(&m->ops[i], m->client, store, key, endpoint,
			   params, &err) < 0) {
		m->results[i] = err ? sc__result_err(err) : NULL;
		if (!m->results[i])
			return SC_ENOMEM;
	}
	m->n++;
	return 0;
}

int sc_many_run(sc_many *m, size_t max_in_flight, sc_progress_cb progress,
		void *payload)
{
	if (!m || m->ran)
		return SC_EINVAL;
	m->ran = 1;
	return sc_call_many_ops(m->results, m->client, m->ops, m->n,
				max_in_flight, progress, payload);
}

const sc_result *sc_many_result(const sc_many *m, size_t i)
{
	return m && m->ran && i < m->n ? m->results[i] : NULL;
}

void sc_many_free(sc_many *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		sc_op_free(m->ops[i]);
		sc_result_free(m->results[i]);
	}
	free(m->ops);
	free(m->results);
	free(m);
}

int sc_call_many(sc_result **results, sc_client *client,
		 const char *const *names, const sc_params *const *params,
		 size_t n, size_t max_in_flight, sc_progress_cb progress,
		 void *payload)
{
	sc_op **ops;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	if (!results || !client || !names)
		return SC_EINVAL;
	ops = calloc(n, sizeof(*ops));
	if (!ops)
		return SC_ENOMEM;
	/* every op is made up front: argument errors finish at once */
	for (i = 0; i < n; i++) {
		sc_error *err = NULL;
		results[i] = NULL;
		if (sc_op_new(&ops[i], client, names[i],
			      params ? params[i] : NULL, &err) < 0)
			results[i] = err ? sc__result_err(err)
					 : sc__result_code(SC_ENOMEM, NULL);
	}
	rc = sc_call_many_ops(results, client, ops, n, max_in_flight,
			      progress, payload);
	free(ops);
	return rc;
}
