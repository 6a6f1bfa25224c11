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
	sc_params *p = NULL;
	char *url = NULL, *state = NULL, *loc;
	sc_result *red = NULL;

	memset(o, 0, sizeof(*o));
	sc_params_new(&p);
	sc_params_set(p, "scope", "read_odometer read_vehicle_info "
				  "read_location");
	sc_auth_url(&url, &state, c, p, NULL);
	sc_params_free(p);
	loc = t_connect(url, "approve", email);
	if (loc && sc_parse_redirect(&red, loc, state) == 0)
		sc_exchange_code(&o->tok, c, sc_result_get_string(red, "code"),
				 NULL);
	if (o->tok && !sc_result_error(o->tok))
		sc_get_vehicles(&o->veh, c,
				sc_result_get_string(o->tok, "access_token"),
				-1, -1);
	free(loc);
	sc_free(url);
	sc_free(state);
	sc_result_free(red);
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
	CHECK(sc_client_connections_opened(c) <= 4);
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

TEST(many_threads_share_one_client)
{
	const char *base = t_emulator();
	sc_client *c;
	struct owner o;
	pthread_t th[4];
	struct worker w[4];
	int i;

	REQUIRE(base);
	c = t_client(base, NULL);
	REQUIRE(owner_login(c, "threads@example.com", &o) == 0);
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
	/* 42 calls, at most one connection per thread */
	CHECK(sc_client_connections_opened(c) <= 4);
	owner_free(&o);
	sc_client_free(c);
}
