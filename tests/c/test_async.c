/* The non-blocking driver (smartcar/async.h) against the emulator: a
 * poll(2) loop of the test's own over the sockets it names, the
 * zero-wait poll, token stores, rate waits as timers, cancelling. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "test.h"
#include "tserver.h"

static sc_op *odo_op(sc_client *c, const char *vid, const char *token)
{
	sc_params *p = NULL;
	sc_op *op = NULL;
	p = T_PARAMS("vehicle_id", vid, "access_token", token);
	sc_op_new(&op, c, "odometer", p, NULL);
	sc_params_free(p);
	return op;
}

/* The sockets the test watches, kept from sc_async_changes() only. */
struct mirror {
	sc_async_watch w[256];
	size_t n;
	int agrees; /* always equal to sc_async_fds() */
};

/* Applies the n changes of ch to the mirror. */
static void mirror_change(struct mirror *m, const sc_async_watch *ch,
			  size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < m->n && m->w[j].fd != ch[i].fd; j++)
			;
		if (ch[i].events == 0) {
			if (j == m->n)
				m->agrees = 0; /* dropped unwatched */
			else
				m->w[j] = m->w[--m->n];
		} else if (j < m->n) {
			m->w[j].events = ch[i].events;
		} else if (m->n < 256) {
			m->w[m->n++] = ch[i];
		}
	}
}

static void mirror_apply(struct mirror *m, sc_async *a)
{
	sc_async_watch ch[16], all[256];
	size_t n, i, j, nall;

	while ((n = sc_async_changes(a, ch, 16)) > 0)
		mirror_change(m, ch, n);
	nall = sc_async_fds(a, all, 256);
	if (nall != m->n)
		m->agrees = 0;
	for (i = 0; i < nall && i < 256; i++) {
		for (j = 0; j < m->n && m->w[j].fd != all[i].fd; j++)
			;
		if (j == m->n || m->w[j].events != all[i].events)
			m->agrees = 0;
	}
}

/* The poll(2) entries of the n watched sockets w. */
static void watches_to_pollfds(struct pollfd *p, const sc_async_watch *w,
			       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i].fd = w[i].fd;
		p[i].events = (short)((w[i].events & SC_WATCH_READ ? POLLIN
								   : 0) |
				      (w[i].events & SC_WATCH_WRITE ? POLLOUT
								    : 0));
		p[i].revents = 0;
	}
}

/* One turn of an event loop: wait for the sockets or the timeout. */
static void loop_turn(struct mirror *m, sc_async *a)
{
	struct pollfd p[256];
	long t;
	size_t i;
	int n;

	mirror_apply(m, a);
	t = sc_async_timeout_ms(a);
	watches_to_pollfds(p, m->w, m->n);
	n = poll(p, (nfds_t)m->n, t < 0 || t > 1000 ? 1000 : (int)t);
	if (n <= 0) {
		sc_async_timeout(a);
		return;
	}
	for (i = 0; i < m->n; i++) {
		int ev = (p[i].revents & (POLLIN | POLLHUP | POLLERR)
				  ? SC_WATCH_READ : 0) |
			 (p[i].revents & (POLLOUT | POLLERR) ? SC_WATCH_WRITE
							     : 0);
		if (ev)
			sc_async_socket(a, p[i].fd, ev);
	}
}

TEST(async_own_loop_runs_calls_and_reuses_connections)
{
	const char *base = t_emulator();
	sc_client *c;
	sc_async *a = NULL;
	char ids[3][40];
	char *token;
	enum { N = 10 };
	uint64_t id[N];
	int seen[N] = { 0 }, round, turns, i;
	long opened = 0;
	struct mirror m;

	REQUIRE(base);
	c = t_client(base, NULL);
	token = t_login(base, "async-loop@example.com", "read_odometer");
	REQUIRE(c && token && t_fleet(base, "async-loop@example.com", ids) == 0);
	REQUIRE(sc_async_new(&a, c, 4) == 0);
	memset(&m, 0, sizeof(m));
	m.agrees = 1;
	CHECK(sc_async_timeout_ms(a) == -1);
	CHECK(sc_async_start(a, NULL, &id[0]) == SC_EINVAL);
	for (round = 0; round < 2; round++) {
		if (round == 1)
			opened = sc_client_connections_opened(c);
		for (i = 0; i < N; i++) {
			REQUIRE(sc_async_start(a, odo_op(c, ids[i % 3], token),
					       &id[i]) == 0);
			CHECK(id[i] != 0 && (i == 0 || id[i] > id[i - 1]));
		}
		CHECK(sc_async_timeout_ms(a) == 0);
		CHECK(sc_async_count(a) == N);
		for (turns = 0; sc_async_count(a) && turns < 2000; turns++) {
			sc_result *r = NULL;
			uint64_t got;
			loop_turn(&m, a);
			while (sc_async_take(a, &got, &r) == 1) {
				double d = 0;
				for (i = 0; i < N && id[i] != got; i++)
					;
				CHECK(i < N);
				if (i < N)
					seen[i]++;
				CHECK(sc_result_error(r) == NULL);
				CHECK(sc_result_get_number(r, "distance", &d) ==
					      0 && d > 0);
				sc_result_free(r);
			}
		}
		CHECK(sc_async_count(a) == 0);
	}
	for (i = 0; i < N; i++)
		CHECK(seen[i] == 2);
	CHECK(m.agrees);
	/* the second round found the first round's connections open */
	CHECK(sc_client_connections_opened(c) == opened);
	sc_async_free(a);
	free(token);
	sc_client_free(c);
}

/* Every op held run to its end as a game's frames would: the result of
 * the op with id want (freed when out is NULL); the frames taken. */
static int poll_until_done(sc_async *a, uint64_t want, sc_result **out)
{
	return t_async_drain(a, want, out, 5000);
}

TEST(async_poll_stored_op_refreshes_after_401)
{
	const char *base = t_emulator();
	sc_client *c = t_client(base, NULL);
	sc_token_store *s = NULL;
	sc_async *a = NULL;
	sc_params *p = NULL;
	sc_result *red = NULL, *tok = NULL, *odo = NULL, *now = NULL;
	char *url = NULL, *state = NULL, *loc, ids[3][40], json[1024];
	sc_op *op = NULL;
	uint64_t id;
	double d = 0;

	REQUIRE(base && c);
	REQUIRE(sc_token_store_sqlite_new(&s, ":memory:", NULL) == 0);
	REQUIRE(sc_async_new(&a, c, 0) == 0);
	/* the code exchange itself goes through the driver */
	p = T_PARAMS("scope", "read_odometer");
	sc_auth_url(&url, &state, c, p, NULL);
	sc_params_free(p);
	loc = t_connect(url, "approve", "async-store@example.com");
	REQUIRE(loc && sc_parse_redirect(&red, loc, state) == 0);
	p = T_PARAMS("code", sc_result_get_string(red, "code"));
	REQUIRE(sc_op_new(&op, c, "exchange_code", p, NULL) == 0);
	sc_params_free(p);
	REQUIRE(sc_async_start(a, op, &id) == 0);
	poll_until_done(a, id, &tok);
	REQUIRE(tok && !sc_result_error(tok));
	REQUIRE(t_fleet(base, "async-store@example.com", ids) == 0);
	/* an access token the server refuses, not yet expired here */
	snprintf(json, sizeof(json),
		 "{\"access_token\":\"stale-token-async\",\"refresh_token\":"
		 "\"%s\",\"expiration\":4102444800,"
		 "\"refresh_expiration\":4102444800}",
		 sc_result_get_string(tok, "refresh_token"));
	REQUIRE(sc_token_store_save_json(s, "k", json, NULL) == 0);
	p = NULL;
	p = T_PARAMS("vehicle_id", ids[0]);
	op = NULL;
	REQUIRE(sc_op_new_stored(&op, c, s, "k", "odometer", p, NULL) == 0);
	sc_params_free(p);
	REQUIRE(sc_async_start(a, op, &id) == 0);
	poll_until_done(a, id, &odo);
	REQUIRE(odo);
	CHECK(sc_result_error(odo) == NULL);
	CHECK(sc_result_get_number(odo, "distance", &d) == 0 && d > 0);
	REQUIRE(sc_token_store_load(&now, s, "k", NULL) == 0);
	CHECK(strcmp(sc_result_get_string(now, "access_token"),
		     "stale-token-async") != 0);
	CHECK(strcmp(sc_result_get_string(now, "refresh_token"),
		     sc_result_get_string(tok, "refresh_token")) != 0);
	sc_result_free(now);
	sc_result_free(odo);
	sc_result_free(tok);
	sc_result_free(red);
	free(loc);
	sc_free(url);
	sc_free(state);
	sc_async_free(a);
	sc_token_store_free(s);
	sc_client_free(c);
}

TEST(async_start_call_makes_the_op_and_holds_the_store)
{
	const char *base = t_emulator();
	sc_client *c = t_client(base, NULL);
	sc_token_store *s = NULL;
	sc_async *a = NULL;
	sc_params *p = T_PARAMS("vehicle_id", "v1");
	sc_error *err = NULL;
	sc_result *res = NULL;
	uint64_t id = 0;

	REQUIRE(base && c);
	REQUIRE(sc_token_store_sqlite_new(&s, ":memory:", NULL) == 0);
	REQUIRE(sc_async_new(&a, c, 0) == 0);
	/* refusals: nothing is queued, the error says why */
	CHECK(sc_async_start_call(a, NULL, NULL, "no_such_call", p, &id,
				  &err) == SC_EINVAL);
	CHECK(sc_error_code(err) == SC_EINVAL && sc_async_count(a) == 0);
	sc_error_free(err);
	err = NULL;
	CHECK(sc_async_start_call(a, s, NULL, "odometer", p, &id, &err) ==
	      SC_EINVAL);
	CHECK(err != NULL && sc_async_count(a) == 0);
	sc_error_free(err);
	err = NULL;
	/* the store is closed while its call runs: the op holds it */
	REQUIRE(sc_async_start_call(a, s, "nobody", "odometer", p, &id,
				    &err) == 0);
	sc_token_store_free(s);
	poll_until_done(a, id, &res);
	CHECK(res && sc_error_code(sc_result_error(res)) == SC_ENOTFOUND);
	sc_result_free(res);
	sc_params_free(p);
	sc_async_free(a);
	sc_client_free(c);
}

TEST(async_rate_wait_is_a_timer_not_a_sleep)
{
	const char *base = t_emulator();
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	sc_async *a = NULL;
	char ids[3][40], *token;
	uint64_t first, second;
	sc_result *r = NULL;
	int polls = 0, waited = 0;
	long t;

	REQUIRE(base);
	o.client_id = T_CLIENT_ID;
	o.client_secret = T_CLIENT_SECRET;
	o.redirect_uri = T_REDIRECT;
	o.mode = "test";
	o.connect_origin = o.auth_origin = o.api_origin =
		o.management_origin = base;
	/* one request per 0.3 s: the second call must wait for a token */
	o.rate_limit_capacity = 1;
	o.rate_limit_per_minute = 200;
	o.rate_policy = "wait";
	REQUIRE(sc_client_new(&c, &o, NULL) == 0);
	token = t_login(base, "async-rate@example.com", "read_odometer");
	REQUIRE(token && t_fleet(base, "async-rate@example.com", ids) == 0);
	REQUIRE(sc_async_new(&a, c, 0) == 0);
	REQUIRE(sc_async_start(a, odo_op(c, ids[0], token), &first) == 0);
	REQUIRE(sc_async_start(a, odo_op(c, ids[0], token), &second) == 0);
	while (sc_async_count(a) && polls < 5000) {
		uint64_t got;
		sc_async_poll(a);
		polls++;
		while (sc_async_take(a, &got, &r) == 1) {
			CHECK(sc_result_error(r) == NULL);
			sc_result_free(r);
			if (got == first && sc_async_count(a) == 1) {
				/* the second is waiting on a timer, and a
				 * poll returns without running it */
				t = sc_async_timeout_ms(a);
				CHECK(t > 0 && t <= 400);
				CHECK(sc_async_poll(a) == 0);
				CHECK(sc_async_count(a) == 1);
				waited = 1;
			}
		}
		t_frame_sleep();
	}
	CHECK(waited);
	CHECK(sc_async_count(a) == 0);
	sc_async_free(a);
	free(token);
	sc_client_free(c);
}

TEST(async_cancel_and_free_with_calls_in_flight)
{
	const char *base = t_emulator();
	sc_client *c = t_client(base, NULL);
	sc_async *a = NULL;
	char ids[3][40], *token;
	uint64_t id[5];
	int i;

	REQUIRE(base && c);
	token = t_login(base, "async-cancel@example.com", "read_odometer");
	REQUIRE(token && t_fleet(base, "async-cancel@example.com", ids) == 0);
	REQUIRE(sc_async_new(&a, c, 2) == 0);
	for (i = 0; i < 5; i++)
		REQUIRE(sc_async_start(a, odo_op(c, ids[i % 3], token),
				       &id[i]) == 0);
	sc_async_poll(a); /* two on the wire, three queued */
	CHECK(sc_async_cancel(a, id[0]) == 0);
	CHECK(sc_async_cancel(a, id[4]) == 0);
	CHECK(sc_async_cancel(a, id[4]) == SC_EINVAL);
	CHECK(sc_async_cancel(a, 9999) == SC_EINVAL);
	CHECK(sc_async_count(a) == 3);
	sc_async_free(a); /* the rest, on the wire or not, go with it */
	free(token);
	sc_client_free(c);
}

/* A client, a token and three vehicles of a new owner on the shared
 * emulator; 0 when all are there. */
struct owner {
	sc_client *c;
	char *token;
	char ids[3][40];
};

static int owner_open(struct owner *o, const char *email)
{
	const char *base = t_emulator();
	memset(o, 0, sizeof(*o));
	if (!base)
		return -1;
	o->c = t_client(base, NULL);
	o->token = t_login(base, email, "read_odometer");
	return o->c && o->token && t_fleet(base, email, o->ids) == 0 ? 0 : -1;
}

static void owner_close(struct owner *o, sc_async *a)
{
	sc_async_free(a);
	free(o->token);
	sc_client_free(o->c);
}

/* A loop that watches only sc_async_fd(): every call finishes, the loop
 * wakes for sockets and timers rather than spinning, and no list of
 * changes piles up. */
TEST(async_one_descriptor_for_every_socket)
{
	struct owner o;
	sc_async *a = NULL;
	char fault[256], *r;
	sc_async_watch w[4];
	enum { N = 12 };
	uint64_t id;
	int fd, finished = 0, turns, i;

	REQUIRE(owner_open(&o, "async-fd@example.com") == 0);
	snprintf(fault, sizeof(fault),
		 "{\"match\":{\"path\":\"/v2.0/vehicles/%s/odometer\"},"
		 "\"fault\":{\"type\":\"latency\",\"ms\":300},\"count\":%d}",
		 o.ids[0], N);
	r = t_control("/_emulator/faults", fault);
	REQUIRE(r);
	free(r);
	REQUIRE(sc_async_new(&a, o.c, 0) == 0);
	fd = sc_async_fd(a);
#ifdef __linux__
	CHECK(fd >= 0);
#endif
	if (fd < 0) {
		owner_close(&o, a);
		return; /* no such descriptor here: the sockets are watched */
	}
	CHECK(sc_async_fd(a) == fd);
	for (i = 0; i < N; i++)
		REQUIRE(sc_async_start(a, odo_op(o.c, o.ids[0], o.token),
				       &id) == 0);
	for (turns = 0; finished < N && turns < 1000; turns++) {
		struct pollfd p = { fd, POLLIN, 0 };
		long t = sc_async_timeout_ms(a);
		sc_result *res = NULL;
		double d = 0;

		poll(&p, 1, t < 0 || t > 2000 ? 2000 : (int)t);
		sc_async_poll(a);
		while (sc_async_take(a, &id, &res) == 1) {
			CHECK(sc_result_get_number(res, "distance", &d) == 0 &&
			      d > 0);
			sc_result_free(res);
			finished++;
		}
	}
	CHECK(finished == N);
	/* 300 ms of latency in a few dozen wake-ups, not thousands */
	CHECK(turns < 200);
	CHECK(sc_async_changes(a, w, 4) == 0);
	owner_close(&o, a);
}

/* A client on a canned server (started with so) and an sc_async on it
 * with the start budget budget. */
struct canned {
	t_server *s;
	sc_client *c;
	sc_async *a;
	char url[128];
};

static int canned_open(struct canned *k, const t_server_opts *so,
		       int budget)
{
	memset(k, 0, sizeof(*k));
	k->s = t_server_start(so, k->url, sizeof(k->url));
	if (!k->s)
		return -1;
	k->c = t_client(k->url, NULL);
	return k->c && sc_async_new(&k->a, k->c, budget) == 0 ? 0 : -1;
}

static void canned_close(struct canned *k)
{
	sc_async_free(k->a);
	sc_client_free(k->c);
	if (k->s)
		t_server_stop(k->s);
}

/* A caller that never reads the changes (it reads the whole set each
 * frame) does not make them pile up; read at last, they still agree
 * with the set.  The server ends every connection after its answer, so
 * each call watches a socket of its own and drops it: at least 2 x N
 * changes, however the calls interleave (with kept-alive connections
 * their number depends on timing and may stay under the compaction
 * threshold). */
TEST(async_unread_changes_stay_bounded)
{
	t_server_opts so = { 0 };
	t_server_counts sn;
	struct canned k;
	enum { N = 1200 };
	struct mirror m;
	sc_async_watch w[64];
	size_t unread = 0, n;
	uint64_t id;
	int i, frames, ok = 0;

	so.close_each = 1;
	REQUIRE(canned_open(&k, &so, 4) == 0);
	for (i = 0; i < N; i++)
		REQUIRE(sc_async_start(k.a, odo_op(k.c, "veh-1", "tok-1"),
				       &id) == 0);
	for (frames = 0; sc_async_count(k.a) && frames < 100000; frames++) {
		sc_result *r = NULL;
		struct pollfd p[8];
		long t = sc_async_timeout_ms(k.a);
		size_t nw = sc_async_fds(k.a, w, 8);

		/* wait as an engine reading the whole set would */
		if (nw > 8)
			nw = 8;
		watches_to_pollfds(p, w, nw);
		poll(p, (nfds_t)nw, t < 0 || t > 1000 ? 1000 : (int)t);
		sc_async_poll(k.a);
		while (sc_async_take(k.a, &id, &r) == 1) {
			ok += sc_result_error(r) == NULL;
			sc_result_free(r);
		}
	}
	CHECK(sc_async_count(k.a) == 0);
	CHECK(ok == N);
	/* a connection per call, so 2 x N changes or more */
	t_server_counts_get(k.s, &sn);
	CHECK(sn.connections == N);
	memset(&m, 0, sizeof(m));
	m.agrees = 1;
	n = sc_async_changes(k.a, NULL, 0); /* how many, none taken */
	CHECK(n > 0 && sc_async_changes(k.a, NULL, 0) == n);
	while ((n = sc_async_changes(k.a, w, 64)) > 0) {
		unread += n;
		mirror_change(&m, w, n);
	}
	/* compacted: fewer than half of them are left */
	CHECK(unread < N && sc_async_changes(k.a, NULL, 0) == 0);
	CHECK(m.agrees && m.n == sc_async_fds(k.a, NULL, 0));
	canned_close(&k);
}

/* Start n calls of o on a and poll them all to the end, waiting on
 * sc_async_fd() as an event loop would; the calls that succeeded. */
static int burst_on(struct owner *o, sc_async *a, int n)
{
	uint64_t id;
	int i, ok = 0;

	for (i = 0; i < n; i++)
		if (sc_async_start(a, odo_op(o->c, o->ids[i % 3], o->token),
				   &id) != 0)
			return -1;
	for (i = 0; sc_async_count(a) && i < 100000; i++) {
		struct pollfd p = { sc_async_fd(a), POLLIN, 0 };
		long t = sc_async_timeout_ms(a);
		sc_result *r = NULL;
		if (p.fd >= 0)
			poll(&p, 1, t < 0 || t > 1000 ? 1000 : (int)t);
		sc_async_poll(a);
		while (sc_async_take(a, &id, &r) == 1) {
			ok += sc_result_error(r) == NULL;
			sc_result_free(r);
		}
	}
	return ok;
}

/* The same burst through sc_call_many, all n on the wire at once. */
static int many_on(struct owner *o, int n)
{
	static sc_op *ops[300];
	static sc_result *res[300];
	int i, ok = 0;

	if (n > 300)
		return -1;
	for (i = 0; i < n; i++)
		ops[i] = odo_op(o->c, o->ids[i % 3], o->token);
	if (sc_call_many_ops(res, o->c, ops, (size_t)n, (size_t)n, NULL,
			     NULL) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		ok += res[i] && sc_result_error(res[i]) == NULL;
		sc_result_free(res[i]);
	}
	return ok;
}

/* Past 128 in flight the transfers spread over several multi handles;
 * a second burst of the same size still finds every connection open,
 * through sc_call_many (the client's pooled handles) and through one
 * sc_async. */
TEST(async_wide_bursts_reuse_their_connections)
{
	struct owner o;
	sc_async *a = NULL;
	enum { N = 300 };
	long opened = 0;
	int round;

	REQUIRE(owner_open(&o, "async-wide@example.com") == 0);
	for (round = 0; round < 2; round++) {
		if (round == 1)
			opened = sc_client_connections_opened(o.c);
		CHECK(many_on(&o, N) == N);
	}
	CHECK(sc_client_connections_opened(o.c) == opened);
	REQUIRE(sc_async_new(&a, o.c, N) == 0);
	sc_async_set_start_budget(a, 0); /* each burst all at once */
	for (round = 0; round < 2; round++) {
		if (round == 1)
			opened = sc_client_connections_opened(o.c);
		CHECK(burst_on(&o, a, N) == N);
	}
	CHECK(sc_client_connections_opened(o.c) == opened);
	owner_close(&o, a);
}

/* A burst of N calls on a client whose pool holds N idle connections
 * opens none, however its starts and answers interleave: a first burst
 * with every call on the wire at once opens one connection per call;
 * later bursts started a few transfers per poll (answers then come back
 * while others still start, on any of the multi handles), through a new
 * driver (the client's pool hands it the first driver's connections),
 * through the same driver again and through sc_call_many, open none.
 * Counts only: no timing. */
TEST(async_burst_on_a_warm_pool_opens_no_connection)
{
	struct owner o;
	sc_async *a = NULL;
	enum { N = 300 };
	long before, warm;

	REQUIRE(owner_open(&o, "async-warm@example.com") == 0);
	before = sc_client_connections_opened(o.c);
	REQUIRE(sc_async_new(&a, o.c, N) == 0);
	sc_async_set_start_budget(a, 0);
	CHECK(burst_on(&o, a, N) == N);
	sc_async_free(a);
	warm = sc_client_connections_opened(o.c);
	CHECK(warm - before == N);
	/* the client's default budget (8), then 1 and 2 a step */
	REQUIRE(sc_async_new(&a, o.c, 0) == 0);
	CHECK(burst_on(&o, a, N) == N);
	sc_async_set_start_budget(a, 1);
	CHECK(burst_on(&o, a, N) == N);
	sc_async_set_start_budget(a, 2);
	CHECK(burst_on(&o, a, N) == N);
	sc_async_free(a);
	CHECK(sc_client_connections_opened(o.c) == warm);
	CHECK(many_on(&o, N) == N);
	CHECK(sc_client_connections_opened(o.c) == warm);
	owner_close(&o, NULL);
}

/* Walk pager's pages on a, polled as a game frame would: the page count
 * (the error that ended it in *err_code), each result's more flag in
 * more[] (up to 8), the items seen in *items. */
static int walk_pages(sc_async *a, sc_pager *pg, const char *field,
		      int more[8], int *items, int *err_code)
{
	uint64_t id, got;
	int frames, pages = 0;

	*items = 0;
	*err_code = 0;
	if (sc_async_start_pager(a, pg, &id, NULL) != 0)
		return -1;
	for (frames = 0; sc_async_count(a) && frames < 5000; frames++) {
		sc_result *r = NULL;
		int m;
		sc_async_poll(a);
		while (sc_async_take_page(a, &got, &r, &m) == 1) {
			const cJSON *arr = cJSON_GetObjectItemCaseSensitive(
				sc_result_data(r), field);
			CHECK(got == id);
			if (pages < 8)
				more[pages] = m;
			pages++;
			*items += cJSON_GetArraySize(arr);
			if (sc_result_error(r))
				*err_code = sc_error_code(sc_result_error(r));
			sc_result_free(r);
		}
		if (sc_async_count(a))
			t_frame_sleep();
	}
	return pages;
}

static sc_pager *vehicles_pager(sc_client *c, const char *token, long size)
{
	sc_params *p = T_PARAMS("access_token", token);
	sc_pager *pg = NULL;
	sc_pager_new(&pg, c, NULL, NULL, "get_vehicles", p, size, NULL);
	sc_params_free(p);
	return pg;
}

TEST(async_pager_walks_pages_under_one_id)
{
	struct owner o;
	sc_async *a = NULL;
	sc_pager *pg;
	sc_error *err = NULL;
	sc_result *r = NULL;
	uint64_t id, odo, got;
	int more[8], items, code, m, frames, pages = 0;

	REQUIRE(owner_open(&o, "async-pages@example.com") == 0);
	REQUIRE(sc_async_new(&a, o.c, 0) == 0);
	/* pages of one vehicle: three, the last one saying so */
	CHECK(walk_pages(a, vehicles_pager(o.c, o.token, 1), "vehicles", more,
			 &items, &code) == 3);
	CHECK(items == 3 && code == 0);
	CHECK(more[0] == 1 && more[1] == 1 && more[2] == 0);
	/* pages of two: the short second page is the last */
	CHECK(walk_pages(a, vehicles_pager(o.c, o.token, 2), "vehicles", more,
			 &items, &code) == 2);
	CHECK(items == 3 && more[0] == 1 && more[1] == 0);
	/* a failed page ends the walk: its error is the last result */
	CHECK(walk_pages(a, vehicles_pager(o.c, "bad-token", 1), "vehicles",
			 more, &items, &code) == 1);
	CHECK(code == SC_EAPI && more[0] == 0);
	/* a walk and a single op side by side; cancelling the walk drops
	 * its pages not yet taken and its next page */
	REQUIRE(sc_async_start_pager(a, vehicles_pager(o.c, o.token, 1), &id,
				     NULL) == 0);
	REQUIRE(sc_async_start(a, odo_op(o.c, o.ids[0], o.token), &odo) == 0);
	for (frames = 0; pages == 0 && frames < 5000; frames++) {
		sc_async_poll(a);
		/* up to the walk's first page: what follows stays held */
		while (pages == 0 && sc_async_take_page(a, &got, &r, &m) == 1) {
			if (got == odo)
				CHECK(m == 0 && sc_result_error(r) == NULL);
			else
				pages += m == 1;
			sc_result_free(r);
		}
		t_frame_sleep();
	}
	CHECK(pages == 1);
	CHECK(sc_async_cancel(a, id) == 0);
	CHECK(sc_async_cancel(a, id) == SC_EINVAL);
	poll_until_done(a, odo, NULL);
	CHECK(sc_async_count(a) == 0);
	/* the first page's argument error comes back at once */
	pg = NULL;
	REQUIRE(sc_pager_new(&pg, o.c, NULL, NULL, "get_vehicles", NULL, 1,
			     NULL) == 0);
	CHECK(sc_async_start_pager(a, pg, &id, &err) == SC_EINVAL);
	CHECK(err != NULL && sc_async_count(a) == 0);
	sc_error_free(err);
	CHECK(sc_async_start_pager(a, NULL, &id, NULL) == SC_EINVAL);
	owner_close(&o, a);
}

TEST(async_pager_stops_at_a_repeated_cursor)
{
	t_server_opts so = { 0 };
	t_server_counts n;
	struct canned k;
	sc_params *p;
	sc_pager *pg = NULL;
	int more[8], items, code;

	/* every page names the same cursor: the second one would loop */
	so.get_body = "{\"connections\":[{\"id\":\"x\"}],"
		      "\"paging\":{\"cursor\":\"c1\"}}";
	REQUIRE(canned_open(&k, &so, 0) == 0);
	p = T_PARAMS("management_token", "amt");
	REQUIRE(sc_pager_new(&pg, k.c, NULL, NULL, "get_connections", p, 0,
			     NULL) == 0);
	sc_params_free(p);
	CHECK(walk_pages(k.a, pg, "connections", more, &items, &code) == 2);
	CHECK(items == 2 && code == 0 && more[0] == 1 && more[1] == 0);
	t_server_counts_get(k.s, &n);
	CHECK(n.gets == 2);
	canned_close(&k);
}

/* Start the N ops of one burst on a and poll frame by frame: in
 * watched[k] the sockets libcurl watched after poll k + 1 (a transfer
 * on the wire has one).  The polls, or -1 when a call failed. */
static int burst_polls(struct owner *o, sc_async *a, size_t *watched,
		       int max)
{
	enum { N = 10 };
	uint64_t id;
	int frames = 0, ok = 0, i;

	for (i = 0; i < N; i++)
		if (sc_async_start(a, odo_op(o->c, o->ids[i % 3], o->token),
				   &id) != 0)
			return -1;
	for (; sc_async_count(a) && frames < 5000; frames++) {
		sc_result *r = NULL;
		sc_async_poll(a);
		if (frames < max)
			watched[frames] = sc_async_fds(a, NULL, 0);
		while (sc_async_take(a, &id, &r) == 1) {
			ok += sc_result_error(r) == NULL;
			sc_result_free(r);
		}
		if (sc_async_count(a))
			t_frame_sleep();
	}
	return ok == N ? frames : -1;
}

/* The start budget: a burst of 10 on a fresh client has at most 3
 * transfers on the wire after the first poll, 6 after the second, and
 * takes at least 4 polls; with no budget one poll starts them all. */
TEST(async_start_budget_spreads_a_burst_over_polls)
{
	struct owner o;
	sc_client_options opts;
	sc_async *a = NULL;
	size_t watched[4] = { 0 };
	uint64_t id;
	size_t most = 0;
	int i, ok = 0;

	REQUIRE(owner_open(&o, "async-budget@example.com") == 0);
	sc_client_free(o.c);
	t_app_options(&opts, t_emulator());
	opts.async_start_budget = 3;
	o.c = t_client_from(&opts);
	REQUIRE(o.c && sc_async_new(&a, o.c, 0) == 0);
	CHECK(burst_polls(&o, a, watched, 4) >= 4);
	CHECK(watched[0] >= 1 && watched[0] <= 3);
	CHECK(watched[1] <= 6 && watched[2] <= 9);
	sc_async_free(a);
	sc_client_free(o.c);

	/* no budget: the whole burst's connections in the first poll */
	opts.async_start_budget = -1;
	o.c = t_client_from(&opts);
	REQUIRE(o.c && sc_async_new(&a, o.c, 0) == 0);
	CHECK(burst_polls(&o, a, watched, 1) >= 1);
	CHECK(watched[0] == 10);
	sc_async_free(a);
	sc_client_free(o.c);

	/* the driver's own setter */
	o.c = t_client_from(&opts);
	REQUIRE(o.c && sc_async_new(&a, o.c, 0) == 0);
	sc_async_set_start_budget(a, 5);
	CHECK(burst_polls(&o, a, watched, 2) >= 2);
	CHECK(watched[0] >= 1 && watched[0] <= 5);

	/* answers that arrived together: at most the budget a poll (they
	 * come 200 ms late, so none is read while they are sent) */
	free(t_control("/_emulator/faults",
		       "{\"match\":{\"method\":\"GET\",\"path\":"
		       "\"/v2.0/vehicles/*/odometer\"},\"count\":10,"
		       "\"fault\":{\"type\":\"latency\",\"ms\":200}}"));
	sc_async_set_start_budget(a, 0);
	for (i = 0; i < 10; i++)
		REQUIRE(sc_async_start(a, odo_op(o.c, o.ids[i % 3], o.token),
				       &id) == 0);
	sc_async_poll(a); /* all sent */
	sc_async_set_start_budget(a, 3);
	for (;;) { /* a quick answer may already be read */
		sc_result *r = NULL;
		if (sc_async_take(a, &id, &r) != 1)
			break;
		ok += sc_result_error(r) == NULL;
		sc_result_free(r);
	}
	{
		struct timespec ts = { 0, 500 * 1000000L };
		nanosleep(&ts, NULL); /* the emulator answers them all */
	}
	for (i = 0; sc_async_count(a) && i < 5000; i++) {
		sc_result *r = NULL;
		size_t took = 0;
		sc_async_poll(a);
		while (sc_async_take(a, &id, &r) == 1) {
			ok += sc_result_error(r) == NULL;
			sc_result_free(r);
			took++;
		}
		most = took > most ? took : most;
		if (took == 3) /* it stopped at the budget: the rest wait */
			CHECK(sc_async_timeout_ms(a) == 0);
		if (sc_async_count(a))
			t_frame_sleep();
	}
	CHECK(ok == 10);
	CHECK(most >= 1 && most <= 3);
	owner_close(&o, a);
}
