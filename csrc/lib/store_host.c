#define _GNU_SOURCE
/* A token store made of one function of the host program: for bindings
 * that cannot fill sc_token_store's pointers with functions of their own
 * one by one (LuaJIT FFI code, where each would be a separate callback),
 * every function of the store calls the one host function with its
 * operation and its arguments in order (sys/store.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc_internal.h"
#include "smartcar/sys/store.h"

struct host_store {
	sc_token_store base; /* first: the library sees only this */
	sc_store_host_fn fn;
	void *ctx;
	int flags;
};

#define HOST(s) ((struct host_store *)(s))

/* fn(op, key, a, b, c, number) with no output. */
static int call(sc_token_store *s, int op, const char *key, const char *a,
		const char *b, const char *c, double number)
{
	char *text = NULL;
	double num = 0;
	int rc = HOST(s)->fn(HOST(s)->ctx, op, key, a, b, c, number, &text,
			     &num);

	free(text); /* none is asked for: a host that gives one anyway */
	return rc;
}

static int host_load(sc_token_store *s, const char *key, char **json_out)
{
	double num = 0;

	*json_out = NULL;
	return HOST(s)->fn(HOST(s)->ctx, SC_STORE_HOST_LOAD, key, NULL, NULL,
			   NULL, 0, json_out, &num);
}

/* 0 when the set stored under key has the refresh token expected, else
 * SC_ECONFLICT (nothing stored, or not a set) or the load's failure. */
static int still_stored(sc_token_store *s, const char *key,
			const char *expected)
{
	char *text = NULL;
	int rc = host_load(s, key, &text);
	cJSON *set = rc == 0 && text ? sc__json_parse(text, strlen(text))
				     : NULL;
	const char *stored = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(set, "refresh_token"));

	if (rc == 0 || rc == SC_ENOTFOUND)
		rc = stored && strcmp(stored, expected) == 0 ? 0
							     : SC_ECONFLICT;
	cJSON_Delete(set);
	sc__wipe_free(text);
	return rc;
}

static int host_save(sc_token_store *s, const char *key,
		     const char *expected_refresh, const char *refresh,
		     const char *json)
{
	struct timespec pause = { 0, 50000 };
	int rc = SC_ECONFLICT, tries;

	if (!(HOST(s)->flags & SC_STORE_HOST_LOCKED_SAVE))
		return call(s, SC_STORE_HOST_SAVE, key, expected_refresh,
			    refresh, json, 0);
	/* held for microseconds by another worker: wait up to 1 s */
	for (tries = 0; tries < 20000 && rc == SC_ECONFLICT; tries++) {
		rc = call(s, SC_STORE_HOST_LOCK, key, NULL, NULL, NULL, 0);
		if (rc == SC_ECONFLICT)
			nanosleep(&pause, NULL);
	}
	if (rc != 0)
		return rc == SC_ECONFLICT ? SC_ESTORAGE : rc;
	if (expected_refresh)
		rc = still_stored(s, key, expected_refresh);
	if (rc == 0)
		rc = call(s, SC_STORE_HOST_SAVE, key, NULL, refresh, json, 0);
	call(s, SC_STORE_HOST_UNLOCK, key, NULL, NULL, NULL, 0);
	return rc;
}

static int host_remove(sc_token_store *s, const char *key)
{
	return call(s, SC_STORE_HOST_REMOVE, key, NULL, NULL, NULL, 0);
}

static int host_lease_take(sc_token_store *s, const char *key,
			   const char *expected_owner,
			   const char *expected_refresh, const char *owner,
			   double deadline)
{
	return call(s, SC_STORE_HOST_LEASE_TAKE, key, expected_owner,
		    expected_refresh, owner, deadline);
}

static int host_lease_get(sc_token_store *s, const char *key,
			  char **owner_out, double *deadline_out)
{
	*owner_out = NULL;
	*deadline_out = 0;
	return HOST(s)->fn(HOST(s)->ctx, SC_STORE_HOST_LEASE_GET, key, NULL,
			   NULL, NULL, 0, owner_out, deadline_out);
}

static int host_lease_end(sc_token_store *s, const char *key,
			  const char *owner)
{
	return call(s, SC_STORE_HOST_LEASE_END, key, owner, NULL, NULL, 0);
}

static void host_free(sc_token_store *s)
{
	free(s);
}

int sc_token_store_host_new(sc_token_store **out, sc_store_host_fn fn,
			    void *ctx, int flags)
{
	struct host_store *st;

	if (!out || !fn)
		return SC_EINVAL;
	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return SC_ENOMEM;
	st->base.version = flags & SC_STORE_HOST_LEASES ? SC_TOKEN_STORE_VERSION
							: 1;
	st->base.load = host_load;
	st->base.save = host_save;
	st->base.remove = host_remove;
	st->base.free = host_free;
	if (flags & SC_STORE_HOST_LEASES) {
		st->base.lease_take = host_lease_take;
		st->base.lease_get = host_lease_get;
		st->base.lease_end = host_lease_end;
	}
	st->fn = fn;
	st->ctx = ctx;
	st->flags = flags;
	*out = &st->base;
	return 0;
}
