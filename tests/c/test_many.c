/* Concurrency: many calls over the multi interface, and one client shared
 * by several threads, against the emulator. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

/* A logged-in owner: token and vehicle ids. */
struct owner {
	sc_result *tok;
	sc_result *veh;
};

static int owner_login(sc_client *c, const char *email, struct owner *o)
{
	o->tok = t_owner_tokens(c, email, "read_odometer read_vehicle_info "
					  "read_location", &o->veh, NULL);
	return o->veh && !sc_result_error(o->veh) ? 0 : -1;
}

static void owner_free(struct owner *o)
{
	sc_result_free(o->tok);
	sc_result_free(o->veh);
}

struct progress {
	size_t calls;
	size_t last_done;
	int ordered;
};

static void on_progress(void *payload, size_t index, int rc, size_t done,
			size_t total)
{
	struct progress *p = payload;
	(void)index;
	(void)rc;
	p->calls++;
	if (done != p->last_done + 1 || done > total)
		p->ordered = 0;
	p->last_done = done;
}

TEST(many_in_input_order)
{
	const char *base = t_emulator();
	sc_client *c;
	struct owner o;
	enum { N = 12 };
	const char *names[N];
	sc_params *params[N];
	sc_result *results[N];
	struct progress prog = { 0, 0, 1 };
	long opened;
	int i;

	REQUIRE(base);
	c = t_client(base, NULL);
	REQUIRE(owner_login(c, "fleet@example.com", &o) == 0);
	for (i = 0; i < N; i++) {
		char path[32];
		snprintf(path, sizeof(path), "vehicles.%d", i % 3);
		names[i] = i % 4 == 3 ? "location" : "odometer";
		sc_params_new(&params[i]);
		sc_params_set(params[i], "vehicle_id",
			      sc_result_get_string(o.veh, path));
		sc_params_set(params[i], "access_token",
			      sc_result_get_string(o.tok, "access_token"));
	}
	/* one bad call among good ones: its error stays in its slot */
	sc_params_set(params[5], "vehicle_id", NULL);
	opened = sc_client_connections_opened(c);
	REQUIRE(sc_call_many(results, c, names,
			     (const sc_params *const *)params, N, 4,
			     on_progress, &prog) == 0);
	for (i = 0; i < N; i++) {
		double d;
		if (i == 5) {
			CHECK(sc_error_code(sc_result_error(results[i])) ==
			      SC_EINVAL);
		} else if (i % 4 == 3) {
			CHECK(sc_result_get_number(results[i], "latitude",
						   &d) == 0);
		} else {
			CHECK(sc_result_get_number(results[i], "distance",
						   &d) == 0 && d > 0);
		}
		sc_result_free(results[i]);
		sc_params_free(params[i]);
	}
	CHECK(prog.calls == N);
	CHECK(prog.ordered);
	/* at most 4 at once: never more than 4 connections for 11 calls */
	CHECK(sc_client_connections_opened(c) - opened <= 4);
	owner_free(&o);
	sc_client_free(c);
}

struct worker {
	sc_client *c;
	const char *token;
	const char *vid;
	int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	int i;
	w->ok = 0;
	for (i = 0; i < 10; i++) {
		sc_result *r = NULL;
		if (sc_vehicle_odometer(&r, w->c, w->vid, w->token, NULL) == 0)
			w->ok++;
		sc_result_free(r);
	}
	return NULL;
}

TEST(many_batch_keeps_refusals_in_their_place)
{
	const char *base = t_emulator();
	struct progress prog = { 0, 0, 1 };
	sc_many *m = NULL;
	struct owner o;
	sc_params *p;
	sc_client *c;

	REQUIRE(base);
	c = t_client(base, NULL);
	REQUIRE(owner_login(c, "fleet@example.com", &o) == 0);
	p = T_PARAMS("vehicle_id", sc_result_get_string(o.veh, "vehicles.0"),
		     "access_token",
		     sc_result_get_string(o.tok, "access_token"));
	REQUIRE(sc_many_new(&m, c, 3) == 0);
	CHECK(sc_many_add(m, NULL, NULL, "odometer", p) == 0);
	CHECK(sc_many_add(m, NULL, NULL, "no_such_call", p) == 0);
	CHECK(sc_many_add(m, NULL, NULL, "location", p) == 0);
	CHECK(sc_many_add(m, NULL, NULL, "odometer", p) == SC_EINVAL);
	CHECK(sc_many_result(m, 0) == NULL); /* not run yet */
	REQUIRE(sc_many_run(m, 2, on_progress, &prog) == 0);
	CHECK(sc_many_run(m, 2, NULL, NULL) == SC_EINVAL); /* once */
	CHECK(sc_many_add(m, NULL, NULL, "odometer", p) == SC_EINVAL);
	CHECK(prog.calls == 3 && prog.ordered);
	CHECK(sc_many_result(m, 0) && !sc_result_error(sc_many_result(m, 0)));
	CHECK(sc_error_code(sc_result_error(sc_many_result(m, 1))) ==
	      SC_EINVAL);
	CHECK(sc_many_result(m, 2) && !sc_result_error(sc_many_result(m, 2)));
	CHECK(sc_many_result(m, 3) == NULL);
	sc_many_free(m);
	sc_params_free(p);
	owner_free(&o);
	sc_client_free(c);
}

TEST(many_threads_share_one_client)
{
	const char *base = t_emulator();
	sc_client *c;
	struct owner o;
	pthread_t th[4];
	struct worker w[4];
	long opened;
	int i;

	REQUIRE(base);
	c = t_client(base, NULL);
	REQUIRE(owner_login(c, "threads@example.com", &o) == 0);
	opened = sc_client_connections_opened(c);
	for (i = 0; i < 4; i++) {
		w[i].c = c;
		w[i].token = sc_result_get_string(o.tok, "access_token");
		w[i].vid = sc_result_get_string(o.veh, "vehicles.0");
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(w[i].ok == 10);
	}
	/* 40 calls, at most one connection per thread */
	CHECK(sc_client_connections_opened(c) - opened <= 4);
	owner_free(&o);
	sc_client_free(c);
}

/* ---- sc_call_many beside other threads on the same client -------------- */

#include "tserver.h"

struct hammer {
	sc_client *c;
	int stop;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	while (!__atomic_load_n(&h->stop, __ATOMIC_SEQ_CST)) {
		sc_result *r = NULL;
		sc_vehicle_odometer(&r, h->c, "veh-h", "tok-1", NULL);
		sc_result_free(r);
	}
	return NULL;
}

struct many_run {
	sc_client *c;
	int ok;
	int finished;
};

static void *many_run(void *arg)
{
	struct many_run *m = arg;
	enum { N = 40 };
	const char *names[N];
	sc_params *params[N];
	sc_result *results[N];
	int i;

	for (i = 0; i < N; i++) {
		names[i] = "odometer";
		sc_params_new(&params[i]);
		sc_params_set(params[i], "vehicle_id", "veh-m");
		sc_params_set(params[i], "access_token", "tok-1");
	}
	if (sc_call_many(results, m->c, names,
			 (const sc_params *const *)params, N, 2, NULL,
			 NULL) == 0)
		for (i = 0; i < N; i++)
			m->ok += sc_result_error(results[i]) == NULL;
	for (i = 0; i < N; i++) {
		sc_result_free(results[i]);
		sc_params_free(params[i]);
	}
	__atomic_store_n(&m->finished, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST(many_finishes_while_other_threads_use_the_client)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	struct hammer h = { NULL, 0 };
	struct many_run m = { NULL, 0, 0 };
	pthread_t ht[3], mt;
	char url[128];
	t_server *s;
	int i, rounds;

	REQUIRE((s = t_server_start(NULL, url, sizeof(url))));
	o.api_origin = url;
	o.max_attempts = 1;
	o.timeout_ms = 2000;
	REQUIRE(sc_client_new(&h.c, &o, NULL) == 0);
	m.c = h.c;
	for (i = 0; i < 3; i++)
		pthread_create(&ht[i], NULL, hammer_run, &h);
	pthread_create(&mt, NULL, many_run, &m);
	/* a hang detector, not a timing assertion: 40 calls of a 2 s
	 * timeout each, 2 at a time, end within 40 s whatever happens */
	for (rounds = 0; rounds < 600; rounds++) {
		struct timespec ts = { 0, 100000000L };
		if (__atomic_load_n(&m.finished, __ATOMIC_SEQ_CST))
			break;
		nanosleep(&ts, NULL);
	}
	REQUIRE(__atomic_load_n(&m.finished, __ATOMIC_SEQ_CST));
	pthread_join(mt, NULL);
	__atomic_store_n(&h.stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 3; i++)
		pthread_join(ht[i], NULL);
	CHECK(m.ok == 40);
	sc_client_free(h.c);
	t_server_stop(s);
}
