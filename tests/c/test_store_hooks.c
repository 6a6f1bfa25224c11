/* The version-2 hooks of a token store: the cross-process lock around a
 * refresh and shared cool-downs, through a recording store; and the
 * PostgreSQL store's open errors (the server tests are in tests/pg). */
#include <stdlib.h>
#include <string.h>

#include "test.h"

struct hook_store {
	sc_token_store base;
	sc_token_store *inner;
	int lock_rc;
	char trail[64];   /* L(ock) l(oad) s(ave) U(nlock), in order */
	double vehicle_left;
	char put_vehicle[64];
	double put_seconds;
};

static void note(struct hook_store *h, char c)
{
	size_t n = strlen(h->trail);
	if (n + 1 < sizeof(h->trail))
		h->trail[n] = c;
}

static int h_load(sc_token_store *s, const char *k, char **out)
{
	struct hook_store *h = (struct hook_store *)s;
	note(h, 'l');
	return h->inner->load(h->inner, k, out);
}

static int h_save(sc_token_store *s, const char *k, const char *exp,
		  const char *rt, const char *json)
{
	struct hook_store *h = (struct hook_store *)s;
	note(h, 's');
	return h->inner->save(h->inner, k, exp, rt, json);
}

static int h_remove(sc_token_store *s, const char *k)
{
	struct hook_store *h = (struct hook_store *)s;
	return h->inner->remove(h->inner, k);
}

static void h_free(sc_token_store *s)
{
	struct hook_store *h = (struct hook_store *)s;
	sc_token_store_free(h->inner);
}

static int h_lock(sc_token_store *s, const char *k)
{
	struct hook_store *h = (struct hook_store *)s;
	note(h, 'L');
	return h->lock_rc;
}

static void h_unlock(sc_token_store *s, const char *k)
{
	note((struct hook_store *)s, 'U');
}

static int h_cd_get(sc_token_store *s, const char *vid, double *app,
		    double *vehicle)
{
	struct hook_store *h = (struct hook_store *)s;
	*app = 0;
	*vehicle = vid && !strcmp(vid, "cooling") ? h->vehicle_left : 0;
	return 0;
}

static int h_cd_put(sc_token_store *s, const char *vid, double seconds)
{
	struct hook_store *h = (struct hook_store *)s;
	snprintf(h->put_vehicle, sizeof(h->put_vehicle), "%s",
		 vid ? vid : "(app)");
	h->put_seconds = seconds;
	return 0;
}

static void hook_store_init(struct hook_store *h)
{
	memset(h, 0, sizeof(*h));
	sc_token_store_sqlite_new(&h->inner, ":memory:", NULL);
	h->base.version = SC_TOKEN_STORE_VERSION;
	h->base.load = h_load;
	h->base.save = h_save;
	h->base.remove = h_remove;
	h->base.free = h_free;
	h->base.lock = h_lock;
	h->base.unlock = h_unlock;
	h->base.cooldown_get = h_cd_get;
	h->base.cooldown_put = h_cd_put;
}

TEST(store_lock_hook_wraps_the_refresh)
{
	sc_client *c = t_client(t_emulator(), NULL);
	struct hook_store h;
	sc_result *r = NULL;
	sc_error *err = NULL;

	REQUIRE(c);
	hook_store_init(&h);
	REQUIRE(h.inner);
	REQUIRE(sc_token_store_save_json(&h.base, "k", "{\"access_token\":"
		"\"a1\",\"refresh_token\":\"dead-refresh-token\"}", NULL) == 0);
	memset(h.trail, 0, sizeof(h.trail));
	/* the op reads the set, takes the lock, reads it again under the
	 * lock (another host may have refreshed meanwhile) and releases it
	 * after the (here refused) refresh */
	CHECK(sc_token_store_refresh_now(&r, c, &h.base, "k", &err) ==
	      SC_EOAUTH);
	CHECK(r == NULL && sc_error_code(err) == SC_EOAUTH);
	CHECK_STR(h.trail, "lLlU");
	sc_error_free(err);
	err = NULL;
	/* a lock that cannot be had: nothing more is read or sent */
	memset(h.trail, 0, sizeof(h.trail));
	h.lock_rc = SC_ESTORAGE;
	CHECK(sc_token_store_refresh_now(&r, c, &h.base, "k", &err) ==
	      SC_ESTORAGE);
	CHECK_STR(h.trail, "lL");
	CHECK(strstr(sc_error_message(err), "nothing changed") != NULL);
	sc_error_free(err);
	h_free(&h.base);
	sc_client_free(c);
}

static int call_odometer(sc_result **r, sc_client *c, const char *vid)
{
	sc_params *p = NULL;
	int rc;

	p = T_PARAMS("vehicle_id", vid, "access_token", "not-a-token",
			"rate_policy", "fail", "max_attempts", "1");
	rc = sc_call(r, c, "odometer", p);
	sc_params_free(p);
	return rc;
}

TEST(store_shared_cooldowns_hook)
{
	sc_client *c = t_client(t_emulator(), NULL);
	struct hook_store h;
	sc_token_store *lite = NULL;
	sc_result *r = NULL;
	char *ans;

	REQUIRE(c);
	hook_store_init(&h);
	REQUIRE(h.inner);
	REQUIRE(sc_token_store_sqlite_new(&lite, ":memory:", NULL) == 0);
	CHECK(sc_client_share_cooldowns(c, lite) == SC_EINVAL);
	CHECK(sc_client_share_cooldowns(NULL, &h.base) == SC_EINVAL);
	REQUIRE(sc_client_share_cooldowns(c, &h.base) == 0);
	/* another client's cool-down stops this one before sending */
	h.vehicle_left = 30;
	CHECK(call_odometer(&r, c, "cooling") == SC_ERATELIMIT);
	sc_result_free(r);
	/* other vehicles go out (and fail on the fake token) */
	CHECK(call_odometer(&r, c, "warm") == SC_EAPI);
	sc_result_free(r);
	/* a 429 this client receives is shared */
	ans = t_control("/_emulator/faults", "{\"count\":1,\"fault\":{"
			"\"type\":\"rate_limit\",\"retry_after\":2}}");
	free(ans);
	CHECK(call_odometer(&r, c, "warm") == SC_EAPI);
	CHECK(sc_error_status_code(sc_result_error(r)) == 429);
	sc_result_free(r);
	CHECK_STR(h.put_vehicle, "warm");
	CHECK(h.put_seconds == 2);
	/* off again: the store is not asked */
	REQUIRE(sc_client_share_cooldowns(c, NULL) == 0);
	CHECK(call_odometer(&r, c, "cooling") == SC_EAPI);
	sc_result_free(r);
	sc_token_store_free(lite);
	h_free(&h.base);
	sc_client_free(c);
}

static int frees;

static void h_free_counted(sc_token_store *s)
{
	frees++;
	h_free(s);
}

TEST(store_free_waits_for_its_holders)
{
	sc_client *c = t_offline_client(), *c2 = t_offline_client();
	sc_params *p = T_PARAMS("vehicle_id", "v1");
	struct hook_store h;
	sc_pager *pg = NULL;
	sc_op *op = NULL;

	REQUIRE(c && c2);
	frees = 0;
	hook_store_init(&h);
	h.base.free = h_free_counted;
	/* an op, a pager and two clients sharing cool-downs hold it */
	REQUIRE(sc_op_new_stored(&op, c, &h.base, "k", "odometer", p,
				 NULL) == 0);
	REQUIRE(sc_pager_new(&pg, c, &h.base, "k", "get_vehicles", NULL, 0,
			     NULL) == 0);
	REQUIRE(sc_client_share_cooldowns(c, &h.base) == 0);
	REQUIRE(sc_client_share_cooldowns(c2, &h.base) == 0);
	sc_token_store_free(&h.base);
	CHECK(frees == 0);
	sc_op_free(op);
	sc_pager_free(pg);
	CHECK(sc_client_share_cooldowns(c, NULL) == 0);
	CHECK(frees == 0);
	sc_client_free(c2); /* the last holder */
	CHECK(frees == 1);
	/* a store nobody holds goes at once */
	hook_store_init(&h);
	h.base.free = h_free_counted;
	sc_token_store_free(&h.base);
	CHECK(frees == 2);
	sc_params_free(p);
	sc_client_free(c);
}

TEST(store_postgres_open_errors)
{
	sc_token_store *s = (sc_token_store *)1;
	sc_error *err = NULL;
	const char *secrets[] = { "hunter2" };

	CHECK(sc_token_store_postgres_new(&s, "password=hunter2 junk", &err) ==
	      SC_ESTORAGE);
	CHECK(s == NULL);
	CHECK_STR(sc_error_get(err, "kind"), "storage");
	CHECK(t_clean(sc_error_message(err), secrets, 1));
	sc_error_free(err);
	err = NULL;
	CHECK(sc_token_store_postgres_new(&s, "host=127.0.0.1 port=1 "
		"password=hunter2 connect_timeout=5", &err) == SC_ESTORAGE);
	CHECK(s == NULL);
	CHECK(t_clean(sc_error_message(err), secrets, 1));
	sc_error_free(err);
	CHECK(sc_token_store_postgres_new(NULL, "", NULL) != 0);
}

TEST(store_sharing_turns_cooldowns_on)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	struct hook_store h;
	sc_result *r = NULL;
	sc_params *p = NULL;

	o.client_id = "id";
	o.client_secret = "secret";
	o.api_origin = t_emulator();
	o.profile = "official"; /* no cool-downs by default */
	REQUIRE(sc_client_new(&c, &o, NULL) == 0);
	hook_store_init(&h);
	REQUIRE(h.inner);
	h.vehicle_left = 30;
	p = T_PARAMS("vehicle_id", "cooling", "access_token", "not-a-token");
	/* not shared: the store is not asked, the call goes out */
	CHECK(sc_call(&r, c, "odometer", p) == SC_EAPI);
	sc_result_free(r);
	/* shared: the client's default policy waits now, and a 30 s wait
	 * past a 1 s deadline fails at once */
	REQUIRE(sc_client_share_cooldowns(c, &h.base) == 0);
	sc_params_set(p, "retry_deadline_ms", "1000");
	CHECK(sc_call(&r, c, "odometer", p) == SC_ERATELIMIT);
	sc_result_free(r);
	sc_params_free(p);
	h_free(&h.base);
	sc_client_free(c);
}
