/* sc_token_store_host_new: a store made of one host function (as
 * smartcar.resty makes its Lua stores) passes each function's operation
 * and arguments through in order, hands back what the host answers, and
 * keeps leases only when asked. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "smartcar/sys/store.h"

/* The host: forwards to an inner SQLite store and notes the last call. */
struct host {
	sc_token_store *inner;
	int op, calls;
	int busy, locked, unlocks; /* LOCK: busy more answers of "held" */
	char a[256], b[256], c[256];
	double number;
};

static void note(char *dst, const char *s)
{
	snprintf(dst, 256, "%s", s ? s : "-");
}

static int host_fn(void *ctx, int op, const char *key, const char *a,
		   const char *b, const char *c, double number,
		   char **text_out, double *number_out)
{
	struct host *h = ctx;
	sc_token_store *in = h->inner;

	h->op = op;
	h->calls++;
	note(h->a, a);
	note(h->b, b);
	note(h->c, c);
	h->number = number;
	switch (op) {
	case SC_STORE_HOST_LOAD:
		return in->load(in, key, text_out);
	case SC_STORE_HOST_SAVE:
		return in->save(in, key, a, b, c);
	case SC_STORE_HOST_REMOVE:
		return in->remove(in, key);
	case SC_STORE_HOST_LEASE_TAKE:
		return in->lease_take(in, key, a, b, c, number);
	case SC_STORE_HOST_LEASE_GET:
		return in->lease_get(in, key, text_out, number_out);
	case SC_STORE_HOST_LEASE_END:
		return in->lease_end(in, key, a);
	case SC_STORE_HOST_LOCK:
		if (h->busy > 0 && h->busy-- > 0)
			return SC_ECONFLICT;
		h->locked = 1;
		return 0;
	case SC_STORE_HOST_UNLOCK:
		h->locked = 0;
		h->unlocks++;
		return 0;
	}
	return SC_ESTORAGE;
}

#define SET(n) "{\"access_token\":\"a" n "\",\"refresh_token\":\"r" n \
	"\",\"expiration\":4102444800}"

TEST(store_host_passes_calls_through)
{
	struct host h = { 0 };
	sc_token_store *s = NULL, *plain = NULL;
	sc_result *res = NULL;
	char *owner = NULL, *json = NULL;
	double deadline = 0;

	CHECK(sc_token_store_host_new(&s, NULL, &h, 1) == SC_EINVAL);
	CHECK(s == NULL);
	REQUIRE(sc_token_store_sqlite_new(&h.inner, ":memory:", NULL) == 0);
	REQUIRE(sc_token_store_host_new(&s, host_fn, &h, 1) == 0);
	CHECK(s->version == SC_TOKEN_STORE_VERSION);
	CHECK(sc_token_store_load(&res, s, "k", NULL) == SC_ENOTFOUND);
	CHECK(h.op == SC_STORE_HOST_LOAD);

	/* a save: expected (none), refresh and json as a, b, c */
	REQUIRE(sc_token_store_save_json(s, "k", SET("1"), NULL) == 0);
	CHECK(h.op == SC_STORE_HOST_SAVE);
	CHECK_STR(h.a, "-");
	CHECK_STR(h.b, "r1");
	CHECK_CONTAINS(h.c, "\"a1\"");
	REQUIRE(sc_token_store_load(&res, s, "k", NULL) == 0);
	REQUIRE(sc_result_to_json(&json, res) == 0);
	CHECK_CONTAINS(json, "\"refresh_token\":\"r1\"");
	sc_free(json);
	sc_result_free(res);
	/* the compare-and-swap's answer comes back as it is */
	CHECK(s->save(s, "k", "r0", "r2", SET("2")) == SC_ECONFLICT);
	CHECK_STR(h.a, "r0");
	CHECK(s->save(s, "k", "r1", "r2", SET("2")) == 0);

	/* leases: owner and deadline both ways */
	CHECK(s->lease_take(s, "k", NULL, "r2", "me", 1234.5) == 0);
	CHECK(h.op == SC_STORE_HOST_LEASE_TAKE && h.number == 1234.5);
	CHECK_STR(h.b, "r2");
	CHECK_STR(h.c, "me");
	REQUIRE(s->lease_get(s, "k", &owner, &deadline) == 0);
	CHECK_STR(owner, "me");
	CHECK(deadline == 1234.5);
	free(owner);
	CHECK(s->lease_end(s, "k", "me") == 0);
	CHECK(h.op == SC_STORE_HOST_LEASE_END);
	CHECK_STR(h.a, "me");

	CHECK(sc_token_store_remove(s, "k", NULL) == 0);
	CHECK(h.op == SC_STORE_HOST_REMOVE);
	CHECK(sc_token_store_load(&res, s, "k", NULL) == SC_ENOTFOUND);

	/* without leases: a version 1 store, no lease functions */
	REQUIRE(sc_token_store_host_new(&plain, host_fn, &h, 0) == 0);
	CHECK(plain->version == 1 && !plain->lease_take &&
	      !plain->lease_get && !plain->lease_end);
	sc_token_store_free(plain);
	sc_token_store_free(s); /* frees only the store: the host is ours */
	sc_token_store_free(h.inner);
}

/* SC_STORE_HOST_LOCKED_SAVE: the host's save only writes; the library
 * takes the host's lock (waiting while another holds it), compares the
 * stored refresh token and releases the lock whatever the outcome. */
TEST(store_host_locked_save_compares_under_the_lock)
{
	struct host h = { 0 };
	sc_token_store *s = NULL;

	REQUIRE(sc_token_store_sqlite_new(&h.inner, ":memory:", NULL) == 0);
	REQUIRE(sc_token_store_host_new(&s, host_fn, &h,
					SC_STORE_HOST_LOCKED_SAVE) == 0);
	CHECK(s->version == 1);
	/* nothing stored: a compare-and-swap conflicts, a plain save writes */
	CHECK(s->save(s, "k", "r0", "r1", SET("1")) == SC_ECONFLICT);
	CHECK(h.op == SC_STORE_HOST_UNLOCK && h.unlocks == 1);
	h.busy = 3; /* held elsewhere for three tries */
	CHECK(s->save(s, "k", NULL, "r1", SET("1")) == 0);
	CHECK(h.busy == 0 && h.unlocks == 2 && !h.locked);
	/* the save it passes on compares nothing (a is NULL) */
	CHECK(s->save(s, "k", "r1", "r2", SET("2")) == 0);
	CHECK(s->save(s, "k", "r1", "r3", SET("3")) == SC_ECONFLICT);
	CHECK(h.unlocks == 4);
	h.calls = 0;
	CHECK(s->save(s, "k", "r2", "r3", SET("3")) == 0);
	CHECK(h.calls == 4); /* lock, load, save, unlock */
	/* a lock never free: a storage failure, no write */
	h.busy = 1 << 30;
	CHECK(s->save(s, "k", "r3", "r4", SET("4")) == SC_ESTORAGE);
	h.busy = 0;
	CHECK(s->save(s, "k", "r3", "r5", SET("5")) == 0);
	sc_token_store_free(s);
	sc_token_store_free(h.inner);
}
