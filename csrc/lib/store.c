/* Token stores: load, save-if-unchanged, and the op's token steps.  An
 * op made with a store and a key loads the set before it sends, refreshes
 * it when it is due (or once after a 401), saves the new set before it
 * uses it, and only then sends.  Refreshes are single-flight per key
 * inside a process (a table of keys being refreshed: an op that finds
 * its key there waits and reads the store again) and compare-and-swap
 * across processes (the store's save).  The store's load and save are
 * called from sc_op_next()/sc_op_feed(): they are local and short, the
 * only I/O an op does itself. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "op.h"

#define LEEWAY_S 60.0

int sc_token_expired(double expiration, double leeway)
{
	return sc__now() + (leeway > 0 ? leeway : 0) >= expiration;
}

/* ---- holds: a store stays open while ops, pagers and clients use it -- */

struct hold {
	sc_token_store *store;
	size_t n;   /* holders */
	int closed; /* sc_token_store_free() came: the last release frees */
	struct hold *next;
};

static pthread_mutex_t holds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hold *holds;

static struct hold **hold_of(const sc_token_store *store)
{
	struct hold **h = &holds;
	while (*h && (*h)->store != store)
		h = &(*h)->next;
	return h;
}

int sc__store_hold(sc_token_store *store)
{
	struct hold **h;
	int rc = 0;

	if (!store)
		return 0;
	pthread_mutex_lock(&holds_lock);
	h = hold_of(store);
	if (!*h && (*h = calloc(1, sizeof(**h))))
		(*h)->store = store;
	if (*h)
		(*h)->n++;
	else
		rc = SC_ENOMEM;
	pthread_mutex_unlock(&holds_lock);
	return rc;
}

void sc__store_release(sc_token_store *store)
{
	struct hold **h, *gone = NULL;

	if (!store)
		return;
	pthread_mutex_lock(&holds_lock);
	h = hold_of(store);
	if (*h && --(*h)->n == 0) {
		gone = *h;
		*h = gone->next;
	}
	pthread_mutex_unlock(&holds_lock);
	if (gone && gone->closed && store->free)
		store->free(store);
	free(gone);
}

void sc_token_store_free(sc_token_store *store)
{
	struct hold *h;

	if (!store)
		return;
	pthread_mutex_lock(&holds_lock);
	h = *hold_of(store);
	if (h)
		h->closed = 1;
	pthread_mutex_unlock(&holds_lock);
	if (!h && store->free)
		store->free(store);
}

static sc_result *fail(int code, const char *msg)
{
	return sc__result_code(code, msg);
}

static int load(sc_result **out, sc_token_store *store, const char *key)
{
	char *json = NULL;
	cJSON *d;
	int rc;

	*out = NULL;
	if (!store || !key || !*key || !store->load) {
		*out = fail(SC_EINVAL, "a store and a key are required");
		return SC_EINVAL;
	}
	rc = store->load(store, key, &json);
	if (rc == SC_STORE_PENDING) { /* asked again after the store's I/O */
		free(json);
		return rc;
	}
	if (rc < 0) {
		*out = fail(rc, rc == SC_ENOTFOUND
				  ? "no token set is stored under that key"
				  : "the token store failed to load");
		free(json);
		return rc;
	}
	d = json ? sc__json_parse(json, strlen(json)) : NULL;
	if (json)
		sc__wipe(json, strlen(json));
	free(json);
	if (!cJSON_IsString(cJSON_GetObjectItem(d, "access_token")) ||
	    !cJSON_IsString(cJSON_GetObjectItem(d, "refresh_token"))) {
		cJSON_Delete(d);
		*out = fail(SC_EMALFORMED, "the stored token set is malformed");
		return SC_EMALFORMED;
	}
	*out = sc__result_ok(d);
	return *out ? 0 : SC_ENOMEM;
}

/* Hands the error of a failed store function to the caller: rc, with
 * *err_out (when asked for) holding the code and msg. */
static int store_error(sc_error **err_out, int rc, const char *msg)
{
	if (rc < 0 && rc != SC_STORE_PENDING && err_out && !*err_out)
		*err_out = sc__error_new(rc, msg);
	return rc;
}

int sc_token_store_load(sc_result **out, sc_token_store *store,
			const char *key, sc_error **err_out)
{
	sc_result *res = NULL;
	int rc;

	if (!out)
		return store_error(err_out, SC_EINVAL, "out is required");
	*out = NULL;
	rc = load(&res, store, key);
	if (rc == 0) {
		*out = res;
		return 0;
	}
	if (res && res->error && err_out && !*err_out) {
		*err_out = res->error;
		res->error = NULL;
	}
	sc_result_free(res);
	return store_error(err_out, rc, "the token store failed to load");
}

static int save(sc_token_store *store, const char *key, const char *expected,
		const sc_result *tokens)
{
	const cJSON *d = sc_result_data(tokens);
	const char *rt = cJSON_GetStringValue(cJSON_GetObjectItem(d,
							"refresh_token"));
	char *json;
	int rc;

	if (!d || !rt || !cJSON_IsString(cJSON_GetObjectItem(d,
							     "access_token")))
		return SC_EINVAL;
	json = cJSON_PrintUnformatted(d);
	if (!json)
		return SC_ENOMEM;
	rc = store->save(store, key, expected, rt, json);
	sc__wipe_free(json);
	return rc;
}

/* One message per failure, the same in every binding. */
#define NOT_TOKENS "the token set is not a valid token object"
#define NOT_SAVED "the token store failed to save the token set"

static int saved(sc_error **err_out, int rc)
{
	return store_error(err_out, rc, rc == SC_EINVAL ? NOT_TOKENS
							: NOT_SAVED);
}

int sc_token_store_save(sc_token_store *store, const char *key,
			const sc_result *tokens, sc_error **err_out)
{
	if (!store || !key || !*key || !store->save)
		return store_error(err_out, SC_EINVAL,
				   "a store and a key are required");
	return saved(err_out, save(store, key, NULL, tokens));
}

int sc_token_store_save_json(sc_token_store *store, const char *key,
			     const char *json, sc_error **err_out)
{
	cJSON *d;
	const char *rt;
	int rc;

	if (!store || !key || !*key || !store->save)
		return store_error(err_out, SC_EINVAL,
				   "a store and a key are required");
	if (!json)
		return saved(err_out, SC_EINVAL);
	d = sc__json_parse(json, strlen(json));
	rt = cJSON_GetStringValue(cJSON_GetObjectItem(d, "refresh_token"));
	if (!rt || !*rt || !cJSON_GetStringValue(cJSON_GetObjectItem(d,
							"access_token"))) {
		cJSON_Delete(d);
		return saved(err_out, SC_EINVAL);
	}
	rc = store->save(store, key, NULL, rt, json);
	cJSON_Delete(d);
	return saved(err_out, rc);
}

int sc_token_store_remove(sc_token_store *store, const char *key,
			  sc_error **err_out)
{
	if (!store || !key || !*key || !store->remove)
		return store_error(err_out, SC_EINVAL,
				   "a store and a key are required");
	return store_error(err_out, store->remove(store, key),
			   "the token store failed to delete the token set");
}

/* The names of 0.1.0, kept for source compatibility. */
int sc_token_store_get(sc_result **out, sc_token_store *store,
		       const char *key)
{
	if (!out)
		return SC_EINVAL;
	return load(out, store, key);
}

int sc_token_store_put(sc_token_store *store, const char *key,
		       const sc_result *tokens)
{
	return sc_token_store_save(store, key, tokens, NULL);
}

int sc_token_store_put_json(sc_token_store *store, const char *key,
			    const char *json)
{
	return sc_token_store_save_json(store, key, json, NULL);
}

int sc_token_store_delete(sc_token_store *store, const char *key)
{
	return sc_token_store_remove(store, key, NULL);
}

static const char *str(const sc_result *r, const char *k)
{
	return sc_result_get_string(r, k);
}

/* ---- in-process single flight ---------------------------------------- */

struct flight {
	const sc_token_store *store;
	char *key;
	struct flight *next;
};

static pthread_mutex_t flights_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flight *flights;

/* 1 when op now refreshes its key, 0 when another op does, or SC_ENOMEM. */
static int flight_begin(sc_op *op)
{
	struct flight *f;
	int rc = 1;

	pthread_mutex_lock(&flights_lock);
	for (f = flights; f; f = f->next)
		if (f->store == op->store && !strcmp(f->key, op->key)) {
			rc = 0;
			break;
		}
	if (rc == 1) {
		f = malloc(sizeof(*f));
		if (f && !(f->key = sc__strdup(op->key))) {
			free(f);
			f = NULL;
		}
		if (f) {
			f->store = op->store;
			f->next = flights;
			flights = f;
			op->in_flight = 1;
		} else {
			rc = SC_ENOMEM;
		}
	}
	pthread_mutex_unlock(&flights_lock);
	return rc;
}

/* ---- refresh leases ----------------------------------------------------- */

/* A lease is taken for this long; the grant must end well before. */
#define LEASE_S 20.0
#define GRANT_TIMEOUT_MS 8000L
#define GRANT_DEADLINE_MS 12000L

static pthread_mutex_t owner_lock = PTHREAD_MUTEX_INITIALIZER;
static char owner_id[128];
static pid_t owner_pid;

static int has_leases(const sc_token_store *s)
{
	return s->version >= 3 && s->lease_take && s->lease_get &&
	       s->lease_end;
}

static void host_name(char *buf, size_t n)
{
	if (gethostname(buf, n) != 0)
		snprintf(buf, n, "?");
	buf[n - 1] = '\0';
}

/* This process's lease owner id, "host:pid:nonce" (made again after a
 * fork).  Copied into buf. */
static void lease_owner(char *buf, size_t n)
{
	pthread_mutex_lock(&owner_lock);
	if (owner_pid != getpid()) {
		char host[64];
		unsigned char r[8] = { 0 };
		owner_pid = getpid();
		host_name(host, sizeof(host));
		sc__random_bytes(r, sizeof(r));
		snprintf(owner_id, sizeof(owner_id),
			 "%s:%ld:%02x%02x%02x%02x%02x%02x%02x%02x", host,
			 (long)owner_pid, r[0], r[1], r[2], r[3], r[4], r[5],
			 r[6], r[7]);
	}
	snprintf(buf, n, "%s", owner_id);
	pthread_mutex_unlock(&owner_lock);
}

/* 1 when the lease's owner is a process of this host that is gone. */
static int owner_gone(const char *owner)
{
	char host[64];
	const char *nonce = strrchr(owner, ':'), *pid_at;
	size_t hlen;
	long pid;

	if (!nonce || nonce == owner)
		return 0;
	for (pid_at = nonce - 1; pid_at > owner && *pid_at != ':'; pid_at--)
		;
	if (*pid_at != ':')
		return 0;
	host_name(host, sizeof(host));
	hlen = (size_t)(pid_at - owner);
	if (strlen(host) != hlen || strncmp(host, owner, hlen))
		return 0;
	pid = strtol(pid_at + 1, NULL, 10);
	return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Read the lease on the op's key: a stale one (past its deadline, or its
 * owner gone) calls for a refresh at once.  0 or a store error. */
static int read_lease(sc_op *op)
{
	char *owner = NULL;
	double deadline = 0;
	int rc;

	sc__wipe_free(op->lease_stale);
	op->lease_stale = NULL;
	op->lease_live = 0;
	if (!has_leases(op->store))
		return 0;
	rc = op->store->lease_get(op->store, op->key, &owner, &deadline);
	if (rc == SC_ENOTFOUND || rc == SC_STORE_PENDING) {
		free(owner);
		return rc == SC_ENOTFOUND ? 0 : rc;
	}
	if (rc < 0)
		return rc;
	if (deadline <= sc__now() || owner_gone(owner))
		op->lease_stale = owner;
	else
		op->lease_live = 1;
	if (!op->lease_stale)
		free(owner);
	return 0;
}

#define LEASE_PENDING 2

/* Record the refresh intent before the grant goes: 1 taken (or the store
 * keeps no leases), 0 another owner holds it, LEASE_PENDING (the store
 * answers after its I/O), or an error. */
static int take_lease(sc_op *op)
{
	char owner[128];
	int rc;

	if (!has_leases(op->store))
		return 1;
	if (op->lease_live)
		return 0;
	lease_owner(owner, sizeof(owner));
	/* only while the set is still the one this op read: a refresh that
	 * ended between that read and now must not be made again */
	rc = op->store->lease_take(op->store, op->key, op->lease_stale,
				   str(op->tokens, "refresh_token"), owner,
				   sc__now() + LEASE_S);
	if (rc == SC_STORE_PENDING)
		return LEASE_PENDING;
	if (rc == SC_ECONFLICT)
		return 0;
	if (rc < 0)
		return rc;
	op->lease_held = 1;
	return 1;
}

static void flight_end(sc_op *op)
{
	struct flight **pp, *f;

	op->recheck = 0;
	if (op->lease_held) {
		/* no new set was saved: the grant may have reached the
		 * server, so the next reader refreshes at once */
		char owner[128];
		op->lease_held = 0;
		lease_owner(owner, sizeof(owner));
		op->store->lease_end(op->store, op->key, owner);
	}
	if (op->store_locked) {
		op->store_locked = 0;
		op->store->unlock(op->store, op->key);
	}
	if (!op->in_flight)
		return;
	op->in_flight = 0;
	pthread_mutex_lock(&flights_lock);
	for (pp = &flights; (f = *pp); pp = &f->next)
		if (f->store == op->store && !strcmp(f->key, op->key)) {
			*pp = f->next;
			free(f->key);
			free(f);
			break;
		}
	pthread_mutex_unlock(&flights_lock);
}

/* ---- the op's steps ---------------------------------------------------- */

#define FLIGHT_WAIT_MS 20

static void set_tokens(sc_op *op, sc_result *tokens)
{
	sc_result_free(op->tokens);
	op->tokens = tokens;
	op->secrets[SC_SECRET_STORED_ACCESS] = str(tokens, "access_token");
	op->secrets[SC_SECRET_STORED_REFRESH] = str(tokens, "refresh_token");
}

/* Finish the op with the failure of a store step. */
static int fail_step(sc_op *op, sc_result *res, int rc, const char *msg)
{
	sc_error *e = NULL;

	flight_end(op);
	if (res && res->error) {
		e = res->error;
		res->error = NULL;
	}
	sc_result_free(res);
	if (!e)
		e = sc__error_new(rc, msg);
	else if (msg)
		sc__error_set_message(e, msg);
	sc__op_finish_error(op, e);
	return SC_STEP_DONE;
}

/* A store call answered SC_STORE_PENDING: wait 0 ms while the driver does
 * the store's I/O, then make the same call again. */
static int store_pending(sc_op *op)
{
	op->wait_ms = 0;
	return SC_STEP_WAIT;
}

/* Read the stored set again; a refresh that is no longer needed (another
 * op or process made it) is dropped.  SC__STEP_GO, SC_STEP_DONE, or
 * SC_STEP_WAIT while the store's answer is pending. */
static int reload(sc_op *op)
{
	sc_result *cur = op->reloaded;
	double exp = 0;
	int rc;

	op->reloaded = NULL;
	if (!cur) {
		rc = load(&cur, op->store, op->key);
		if (rc == SC_STORE_PENDING)
			return store_pending(op);
		if (rc < 0)
			return fail_step(op, cur, rc, NULL);
	}
	rc = read_lease(op);
	if (rc == SC_STORE_PENDING) {
		op->reloaded = cur; /* loaded: not asked for again */
		return store_pending(op);
	}
	set_tokens(op, cur);
	if (rc < 0)
		return fail_step(op, NULL, rc, "the token store failed to read "
				 "the refresh lease");
	sc_result_get_number(cur, "expiration", &exp);
	if (op->want_refresh == SC_REFRESH_NONE && !op->refresh_only &&
	    sc_token_expired(exp, LEEWAY_S)) {
		op->want_refresh = SC_REFRESH_DUE;
		sc__wipe_free(op->seen_access);
		op->seen_access = sc__strdup(str(cur, "access_token"));
		if (!op->seen_access)
			return fail_step(op, NULL, SC_ENOMEM, NULL);
	} else if (op->want_refresh != SC_REFRESH_NONE && op->seen_access &&
		   strcmp(op->seen_access, str(cur, "access_token"))) {
		/* refreshed meanwhile by another op or process */
		op->want_refresh = SC_REFRESH_NONE;
	} else if (op->want_refresh == SC_REFRESH_DUE &&
		   !sc_token_expired(exp, LEEWAY_S)) {
		op->want_refresh = SC_REFRESH_NONE;
	}
	if (op->want_refresh == SC_REFRESH_NONE && op->lease_stale) {
		/* a refresh was cut short (a crash?): the stored refresh
		 * token may be used already and dies soon; refresh now */
		op->want_refresh = SC_REFRESH_STALE;
		sc__wipe_free(op->seen_access);
		op->seen_access = sc__strdup(str(cur, "access_token"));
		if (!op->seen_access)
			return fail_step(op, NULL, SC_ENOMEM, NULL);
	}
	return SC__STEP_GO;
}

/* The refresh grant finished: save its set (compare-and-swap on the
 * refresh token it used) before anything uses it. */
static int refresh_done(sc_op *op)
{
	sc_result *fresh = op->unsaved;
	int rc = 0;

	op->unsaved = NULL;
	if (!fresh) {
		rc = sc_op_result(&fresh, op->refresh);
		sc_op_free(op->refresh);
		op->refresh = NULL;
	}
	op->state = OP_READY;
	if (rc < 0 && op->want_refresh == SC_REFRESH_STALE &&
	    !op->refresh_only) {
		/* the call still goes with the access token it has; the
		 * lease stays stale, so the next call tries again */
		sc_result_free(fresh);
		op->want_refresh = SC_REFRESH_NONE;
		flight_end(op);
		return SC__STEP_GO;
	}
	if (rc < 0)
		return fail_step(op, fresh, rc, NULL);
	rc = save(op->store, op->key, str(op->tokens, "refresh_token"), fresh);
	if (rc == SC_STORE_PENDING) {
		op->unsaved = fresh; /* saved again, unused until then */
		return store_pending(op);
	}
	if (rc == 0)
		op->lease_held = 0; /* the save ended it */
	if (rc == SC_ECONFLICT) {
		/* another process won the race: adopt its set (ours stays
		 * valid too, but only one can be the stored one) */
		sc_result_free(fresh);
		op->want_refresh = SC_REFRESH_NONE;
		flight_end(op);
		/* none in use until it is read (when the read is pending,
		 * the next step reads again) */
		set_tokens(op, NULL);
		return reload(op);
	}
	if (rc < 0) {
		sc_result_free(fresh);
		return fail_step(op, NULL, rc, "the refreshed token set could "
				 "not be saved; the previous refresh token "
				 "stays valid briefly, try again");
	}
	set_tokens(op, fresh);
	op->want_refresh = SC_REFRESH_NONE;
	flight_end(op);
	return SC__STEP_GO;
}

/* Start the refresh grant with the stored refresh token. */
static int refresh_start(sc_op *op)
{
	sc_params *p = NULL;
	sc_error *err = NULL;
	int rc = sc_params_new(&p);

	if (rc == 0)
		rc = sc_params_set(p, "refresh_token",
				   str(op->tokens, "refresh_token"));
	/* the grant ends (answered or given up) well within its lease */
	if (rc == 0 && op->lease_held)
		rc = sc_params_set_int(p, "timeout_ms",
			op->client->timeout_ms < GRANT_TIMEOUT_MS
				? op->client->timeout_ms : GRANT_TIMEOUT_MS);
	if (rc == 0 && op->lease_held)
		rc = sc_params_set_int(p, "retry_deadline_ms",
			op->client->retry_deadline_ms < GRANT_DEADLINE_MS
				? op->client->retry_deadline_ms
				: GRANT_DEADLINE_MS);
	if (rc == 0)
		rc = sc_op_new(&op->refresh, op->client,
			       "exchange_refresh_token", p, &err);
	sc_params_free(p);
	if (rc < 0) {
		flight_end(op);
		sc__op_finish_error(op, err ? err : sc__error_new(rc, NULL));
		return SC_STEP_DONE;
	}
	op->state = OP_REFRESH;
	return SC__STEP_GO;
}

static int use_access_token(sc_op *op)
{
	sc_buf h;
	int rc;

	sc__buf_init(&h, 0);
	rc = sc__buf_puts(&h, "Bearer ");
	if (rc == 0)
		rc = sc__buf_puts(&h, str(op->tokens, "access_token"));
	if (rc == 0)
		rc = sc__request_set_header(op->req, "Authorization", h.ptr);
	sc__buf_wipe(&h);
	if (rc < 0)
		return fail_step(op, NULL, rc, NULL);
	return SC__STEP_GO;
}

int sc__op_store_step(sc_op *op, const sc_request **req_out)
{
	int step;

	for (;;) {
		if (op->unsaved) { /* its save was pending */
			step = refresh_done(op);
			if (step != SC__STEP_GO)
				return step;
			continue;
		}
		if (op->state == OP_REFRESH) {
			step = sc_op_next(op->refresh, req_out);
			if (step == SC_STEP_WAIT)
				op->wait_ms = sc_op_wait_ms(op->refresh);
			if (step != SC_STEP_DONE)
				return step;
			step = refresh_done(op);
			if (step != SC__STEP_GO)
				return step;
			continue;
		}
		if (!op->tokens || (op->want_refresh && !op->in_flight)) {
			step = reload(op);
			if (step != SC__STEP_GO)
				return step;
		}
		if (op->want_refresh == SC_REFRESH_NONE) {
			if (op->refresh_only) {
				cJSON *d = cJSON_Duplicate(
					sc_result_data(op->tokens), 1);
				sc__op_finish(op, d ? sc__result_ok(d) : NULL);
				return SC_STEP_DONE;
			}
			return use_access_token(op);
		}
		if (!op->in_flight) {
			step = flight_begin(op);
			if (step < 0)
				return fail_step(op, NULL, step, NULL);
			if (step == 0) {
				/* another op refreshes this key: wait, then
				 * read what it saved */
				op->wait_ms = FLIGHT_WAIT_MS;
				return SC_STEP_WAIT;
			}
			if (op->store->version >= 2 && op->store->lock &&
			    op->store->unlock) {
				/* single-flight across processes and hosts
				 * too: the store holds the key (blocking)
				 * until the new set is saved */
				step = op->store->lock(op->store, op->key);
				if (step < 0)
					return fail_step(op, NULL, step,
						"the token store could not "
						"hold the key for a refresh; "
						"nothing changed");
				op->store_locked = 1;
			}
			op->recheck = 1;
		}
		if (op->recheck == 1) {
			/* ours now: was it refreshed before we got it?  (A
			 * pending answer keeps the flight: we resume here.) */
			step = reload(op);
			if (step != SC__STEP_GO)
				return step;
			if (op->want_refresh == SC_REFRESH_NONE) {
				flight_end(op);
				continue;
			}
			op->recheck = 2;
		}
		if (op->recheck == 2) {
			step = take_lease(op);
			if (step == LEASE_PENDING)
				return store_pending(op);
			op->recheck = 0;
			if (step < 0)
				return fail_step(op, NULL, step,
					"the token store could not record "
					"the refresh lease; nothing changed");
			if (step == 0) {
				/* another process is refreshing: wait for
				 * its set (or for its lease to go stale) */
				flight_end(op);
				op->wait_ms = FLIGHT_WAIT_MS;
				return SC_STEP_WAIT;
			}
		}
		step = refresh_start(op);
		if (step != SC__STEP_GO)
			return step;
	}
}

int sc__op_store_feed(sc_op *op, sc_response *resp)
{
	return sc_op_feed(op->refresh, resp);
}

int sc__op_store_fail(sc_op *op, int code, const char *msg, int unsent)
{
	return (unsent ? sc_op_fail_unsent : sc_op_fail)(op->refresh, code,
							  msg);
}

int sc__op_store_rejected(sc_op *op, const sc_error *e)
{
	const char *type = sc_error_get(e, "type");

	if (op->refreshed_401 || sc_error_code(e) != SC_EAPI ||
	    sc_error_status_code(e) != 401 || !type ||
	    strcmp(type, "AUTHENTICATION"))
		return 0;
	/* the server says the token is dead: refresh once, unless another
	 * op or process already did */
	op->refreshed_401 = 1;
	op->want_refresh = SC_REFRESH_FORCED;
	sc__wipe_free(op->seen_access);
	op->seen_access = sc__strdup(str(op->tokens, "access_token"));
	op->state = OP_READY;
	return 1;
}

void sc__op_store_free(sc_op *op)
{
	flight_end(op);
	sc_op_free(op->refresh);
	sc_result_free(op->tokens);
	sc__wipe_free(op->seen_access);
	sc__wipe_free(op->lease_stale);
	sc_result_free(op->reloaded);
	sc_result_free(op->unsaved);
	free(op->key);
	sc__store_release(op->store);
}

int sc_token_store_refresh(sc_result **out, sc_client *client,
			   sc_token_store *store, const char *key)
{
	if (!out)
		return SC_EINVAL;
	return sc_call_stored(out, client, store, key,
			      "exchange_refresh_token", NULL);
}

int sc_token_store_refresh_now(sc_result **out, sc_client *client,
			       sc_token_store *store, const char *key,
			       sc_error **err_out)
{
	sc_result *res = NULL;
	int rc;

	if (!out)
		return store_error(err_out, SC_EINVAL, "out is required");
	*out = NULL;
	rc = sc_call_stored(&res, client, store, key,
			    "exchange_refresh_token", NULL);
	if (rc == 0 && res && !res->error) {
		*out = res;
		return 0;
	}
	if (rc == 0)
		rc = res && res->error ? res->error->code : SC_ENOMEM;
	if (res && res->error && err_out && !*err_out) {
		*err_out = res->error;
		res->error = NULL;
	}
	sc_result_free(res);
	return store_error(err_out, rc, "the token set was not refreshed");
}

/* Shared cool-downs: the store a client shares them through, if any,
 * held for the caller (sc__store_release() when done). */
static sc_token_store *cooldown_store(sc_client *c)
{
	sc_token_store *s;
	pthread_mutex_lock(&c->lock);
	s = c->shared_cooldowns;
	if (sc__store_hold(s) < 0)
		s = NULL;
	pthread_mutex_unlock(&c->lock);
	return s;
}

int sc_client_share_cooldowns(sc_client *client, sc_token_store *store)
{
	sc_token_store *old;

	if (!client || (store && (store->version < 2 ||
				  !store->cooldown_get ||
				  !store->cooldown_put)))
		return SC_EINVAL;
	if (sc__store_hold(store) < 0)
		return SC_ENOMEM;
	pthread_mutex_lock(&client->lock);
	old = client->shared_cooldowns;
	client->shared_cooldowns = store;
	if (store) /* sharing them means honouring them */
		client->rate_off = 0;
	pthread_mutex_unlock(&client->lock);
	sc__store_release(old);
	return 0;
}

double sc__cooldown_shared_wait(sc_client *c, const char *vehicle_id,
				const char **why)
{
	sc_token_store *s = cooldown_store(c);
	double app = 0, vehicle = 0;

	/* a store that cannot answer leaves the local rules in force */
	if (!s)
		return 0;
	if (s->cooldown_get(s, vehicle_id, &app, &vehicle) < 0)
		app = vehicle = 0;
	sc__store_release(s);
	if (app > 0 && app >= vehicle) {
		*why = "SMARTCAR_API";
		return app;
	}
	if (vehicle > 0)
		*why = "VEHICLE";
	return vehicle > 0 ? vehicle : 0;
}

void sc__cooldown_shared_put(sc_client *c, const char *vehicle_id,
			     double seconds)
{
	sc_token_store *s = cooldown_store(c);
	if (s && seconds > 0)
		s->cooldown_put(s, vehicle_id, seconds);
	sc__store_release(s);
}
