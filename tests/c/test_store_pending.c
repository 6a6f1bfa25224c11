/* A token store whose answers come after its own I/O (SC_STORE_PENDING,
 * sys/store.h), as the Redis store of smartcar.resty answers: the op
 * waits 0 ms and makes the same call again, and keeps every promise of
 * the synchronous stores (save before use, compare-and-swap, leases). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "smartcar/sys/store.h"

/* Over a SQLite store: every call answers SC_STORE_PENDING first and
 * remembers what was asked; the same call made again answers.  Another
 * call while one is pending breaks the promise and is counted. */
struct later_store {
	sc_token_store base;
	sc_token_store *inner;
	char asked[1024];
	int pending, pends, broken;
};

static int later(struct later_store *ls, const char *fmt, ...)
{
	char sig[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sig, sizeof(sig), fmt, ap);
	va_end(ap);
	if (ls->pending && !strcmp(sig, ls->asked)) {
		ls->pending = 0;
		return 0;
	}
	if (ls->pending)
		ls->broken++;
	snprintf(ls->asked, sizeof(ls->asked), "%s", sig);
	ls->pending = 1;
	ls->pends++;
	return 1;
}

#define LS(s) ((struct later_store *)(s))
#define OR(s) ((s) ? (s) : "-")

static int ls_load(sc_token_store *s, const char *k, char **out)
{
	if (later(LS(s), "load %s", k))
		return SC_STORE_PENDING;
	return LS(s)->inner->load(LS(s)->inner, k, out);
}

static int ls_save(sc_token_store *s, const char *k, const char *exp,
		   const char *rt, const char *json)
{
	if (later(LS(s), "save %s %s %s %s", k, OR(exp), rt, json))
		return SC_STORE_PENDING;
	return LS(s)->inner->save(LS(s)->inner, k, exp, rt, json);
}

static int ls_remove(sc_token_store *s, const char *k)
{
	if (later(LS(s), "remove %s", k))
		return SC_STORE_PENDING;
	return LS(s)->inner->remove(LS(s)->inner, k);
}

/* the deadline is "now + 20 s" each time it is asked: not compared */
static int ls_lease_take(sc_token_store *s, const char *k, const char *eo,
			 const char *er, const char *owner, double deadline)
{
	if (later(LS(s), "lease_take %s %s %s %s", k, OR(eo), OR(er), owner))
		return SC_STORE_PENDING;
	return LS(s)->inner->lease_take(LS(s)->inner, k, eo, er, owner,
					deadline);
}

static int ls_lease_get(sc_token_store *s, const char *k, char **owner,
			double *deadline)
{
	if (later(LS(s), "lease_get %s", k))
		return SC_STORE_PENDING;
	return LS(s)->inner->lease_get(LS(s)->inner, k, owner, deadline);
}

/* queued: not asked again */
static int ls_lease_end(sc_token_store *s, const char *k, const char *owner)
{
	LS(s)->inner->lease_end(LS(s)->inner, k, owner);
	return SC_STORE_PENDING;
}

static void ls_free(sc_token_store *s)
{
	sc_token_store_free(LS(s)->inner);
}

static const sc_token_store later_methods = {
	.version = SC_TOKEN_STORE_VERSION, .load = ls_load, .save = ls_save,
	.remove = ls_remove, .free = ls_free, .lease_take = ls_lease_take,
	.lease_get = ls_lease_get, .lease_end = ls_lease_end,
};

static int later_store_init(struct later_store *ls, const char *path)
{
	memset(ls, 0, sizeof(*ls));
	if (sc_token_store_sqlite_new(&ls->inner, path, NULL) != 0)
		return -1;
	ls->base = later_methods;
	return 0;
}

/* sc_op_next(), past the 0 ms waits of pending store answers. */
static int next_answered(sc_op *op, const sc_request **req)
{
	int step, n = 0;
	while ((step = sc_op_next(op, req)) == SC_STEP_WAIT &&
	       sc_op_wait_ms(op) == 0 && ++n < 50)
		;
	return step;
}

static const char *inner_field(struct later_store *ls, const char *key,
			       const char *field, char *buf, size_t n)
{
	sc_result *r = NULL;
	sc_token_store_load(&r, ls->inner, key, NULL);
	snprintf(buf, n, "%s", r ? sc_result_get_string(r, field) : "");
	sc_result_free(r);
	return buf;
}

static void put_inner(struct later_store *ls, const char *key,
		      const char *access, const char *refresh, double exp)
{
	char json[256];
	snprintf(json, sizeof(json), "{\"access_token\":\"%s\","
		 "\"refresh_token\":\"%s\",\"expiration\":%.0f}", access,
		 refresh, exp);
	sc_token_store_save_json(ls->inner, key, json, NULL);
}

TEST(store_pending_public_calls_answer_when_asked_again)
{
	struct later_store ls;
	sc_result *r = NULL;
	const char *json = "{\"access_token\":\"a\",\"refresh_token\":\"r\"}";

	REQUIRE(later_store_init(&ls, ":memory:") == 0);
	CHECK(sc_token_store_save_json(&ls.base, "k", json, NULL) ==
	      SC_STORE_PENDING);
	CHECK(sc_token_store_save_json(&ls.base, "k", json, NULL) == 0);
	CHECK(sc_token_store_load(&r, &ls.base, "k", NULL) == SC_STORE_PENDING);
	CHECK(r == NULL);
	CHECK(sc_token_store_load(&r, &ls.base, "k", NULL) == 0);
	CHECK_STR(sc_result_get_string(r, "refresh_token"), "r");
	sc_result_free(r);
	r = NULL;
	CHECK(sc_token_store_remove(&ls.base, "k", NULL) == SC_STORE_PENDING);
	CHECK(sc_token_store_remove(&ls.base, "k", NULL) == 0);
	CHECK(sc_token_store_load(&r, &ls.base, "k", NULL) == SC_STORE_PENDING);
	CHECK(sc_token_store_load(&r, &ls.base, "k", NULL) == SC_ENOTFOUND);
	sc_result_free(r);
	CHECK(ls.broken == 0);
	sc_token_store_free(&ls.base);
}

TEST(store_pending_op_refreshes_saves_then_sends)
{
	sc_client *c = t_offline_client();
	struct later_store ls;
	sc_op *op = NULL;
	sc_result *res = NULL;
	const sc_request *req;
	sc_params *p = NULL;
	char buf[64];
	size_t len;

	REQUIRE(c && later_store_init(&ls, ":memory:") == 0);
	p = T_PARAMS("vehicle_id", "v1");
	put_inner(&ls, "u", "access-1", "refresh-1", 1000); /* expired */
	REQUIRE(sc_op_new_stored(&op, c, &ls.base, "u", "odometer", p,
				 NULL) == 0);
	/* the first step only asks the store */
	CHECK(sc_op_next(op, &req) == SC_STEP_WAIT);
	CHECK(sc_op_wait_ms(op) == 0);
	REQUIRE(next_answered(op, &req) == SC_STEP_SEND);
	CHECK(strstr(sc_request_body(req, &len), "refresh_token=refresh-1"));
	/* the lease was asked for, and recorded, before the grant went */
	CHECK(strstr(ls.asked, "lease_take u - refresh-1 ") == ls.asked);
	CHECK(sc_op_feed(op, t_token_reply("access-2", "refresh-2")) == 0);
	/* the save is pending: nothing is sent until it answers */
	CHECK(sc_op_next(op, &req) == SC_STEP_WAIT);
	CHECK(strncmp(ls.asked, "save u refresh-1 refresh-2", 26) == 0);
	CHECK_STR(inner_field(&ls, "u", "refresh_token", buf, sizeof(buf)),
		  "refresh-1");
	REQUIRE(next_answered(op, &req) == SC_STEP_SEND);
	CHECK_STR(inner_field(&ls, "u", "refresh_token", buf, sizeof(buf)),
		  "refresh-2");
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-2");
	CHECK(sc_op_feed(op, t_response(200, "application/json",
					"{\"distance\":5}")) == 0);
	CHECK(next_answered(op, &req) == SC_STEP_DONE);
	CHECK(sc_op_result(&res, op) == 0);
	/* load, lease_get, the re-read (load, lease_get), lease_take, save */
	CHECK(ls.pends == 6);
	CHECK(ls.broken == 0);
	sc_result_free(res);
	sc_op_free(op);
	sc_params_free(p);
	sc_token_store_free(&ls.base);
	sc_client_free(c);
}

/* An op on s for "u" whose stored set access-n/refresh-n has expired:
 * it has sent its refresh grant and been fed access-n+1/refresh-n+1.
 * NULL when a step went otherwise. */
static sc_op *refreshed(sc_client *c, struct later_store *s, sc_params *p,
			int n)
{
	char access[32], refresh[32];
	const sc_request *req;
	sc_op *op = NULL;

	snprintf(access, sizeof(access), "access-%d", n);
	snprintf(refresh, sizeof(refresh), "refresh-%d", n);
	put_inner(s, "u", access, refresh, 1000);
	if (sc_op_new_stored(&op, c, &s->base, "u", "odometer", p, NULL) < 0)
		return NULL;
	snprintf(access, sizeof(access), "access-%d", n + 1);
	snprintf(refresh, sizeof(refresh), "refresh-%d", n + 1);
	if (next_answered(op, &req) != SC_STEP_SEND ||
	    sc_op_feed(op, t_token_reply(access, refresh)) != 0) {
		sc_op_free(op);
		return NULL;
	}
	return op;
}

TEST(store_pending_lease_and_cas_between_two_processes)
{
	sc_client *c = t_offline_client();
	char path[] = "/tmp/sc-pending-XXXXXX";
	struct later_store s1, s2;
	sc_op *a = NULL, *b = NULL;
	const sc_request *req;
	sc_params *p = NULL;
	char buf[64];
	int fd = mkstemp(path);

	REQUIRE(c && fd >= 0);
	close(fd);
	unlink(path);
	/* two handles on one file stand for two hosts */
	REQUIRE(later_store_init(&s1, path) == 0);
	REQUIRE(later_store_init(&s2, path) == 0);
	p = T_PARAMS("vehicle_id", "v1");
	put_inner(&s1, "u", "access-1", "refresh-1", 1000); /* expired */
	REQUIRE(sc_op_new_stored(&a, c, &s1.base, "u", "odometer", p,
				 NULL) == 0);
	REQUIRE(sc_op_new_stored(&b, c, &s2.base, "u", "odometer", p,
				 NULL) == 0);
	REQUIRE(next_answered(a, &req) == SC_STEP_SEND); /* a's grant */
	/* b finds a's lease: it waits, then adopts a's set */
	t_check_adopted(a, b, next_answered);
	sc_op_free(a);
	sc_op_free(b);

	/* a compare-and-swap lost while the save was pending: the loser
	 * adopts the stored set and sends with it */
	REQUIRE((a = refreshed(c, &s1, p, 3)));
	CHECK(sc_op_next(a, &req) == SC_STEP_WAIT); /* the save, pending */
	put_inner(&s2, "u", "access-5", "refresh-5", 4102444800.0);
	REQUIRE(next_answered(a, &req) == SC_STEP_SEND);
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-5");
	CHECK_STR(inner_field(&s1, "u", "refresh_token", buf, sizeof(buf)),
		  "refresh-5");
	/* freed while a store answer is pending: nothing leaks */
	sc_op_free(a);
	REQUIRE((a = refreshed(c, &s1, p, 6)));
	CHECK(sc_op_next(a, &req) == SC_STEP_WAIT);
	sc_op_free(a);
	CHECK(s1.broken == 0 && s2.broken == 0);
	sc_params_free(p);
	sc_token_store_free(&s1.base);
	sc_token_store_free(&s2.base);
	unlink(path);
	sc_client_free(c);
}
