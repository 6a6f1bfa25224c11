/* The PostgreSQL token store (libpq), for many processes on many hosts.
 *
 * Single-flight across hosts: a refresh runs inside one transaction that
 * holds the key's row lock (SELECT ... FOR UPDATE) from the load to the
 * commit of the new set; others wait on the lock and then see the new
 * set.  The transaction carries its own deadline
 * (idle_in_transaction_session_timeout), so a host that hangs or vanishes
 * mid-refresh loses the lock after LEASE_S; a process that dies loses it
 * at once (the server sees the connection close and rolls back).  The
 * save is still a compare-and-swap on the refresh token that was used.
 * Cool-downs live in a second table, timed by the server's clock.
 * docs/postgres.md has the schema and docs/design-notes.md the why.
 *
 * Compiled always; without SC_HAVE_LIBPQ the constructor reports a typed
 * error, so the three build systems keep one source list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

#ifndef SC_HAVE_LIBPQ

int sc_token_store_postgres_new(sc_token_store **out, const char *conninfo,
				sc_error **err_out)
{
	if (out)
		*out = NULL;
	if (err_out)
		*err_out = sc__error_new(SC_ESTORAGE,
			"this libsmartcar was built without libpq: the "
			"PostgreSQL token store is not available");
	return SC_ESTORAGE;
}

int sc__pg_seen_open(void **out, const char *conninfo, sc_error **err_out)
{
	(void)conninfo;
	*out = NULL;
	if (err_out)
		*err_out = sc__error_new(SC_ESTORAGE,
			"this libsmartcar was built without libpq: the "
			"PostgreSQL event table is not available");
	return SC_ESTORAGE;
}

int sc__pg_seen_check(void *pg, const char *id, int64_t now, int64_t ttl)
{
	(void)pg, (void)id, (void)now, (void)ttl;
	return SC_ESTORAGE;
}

int sc__pg_seen_forget(void *pg, const char *id)
{
	(void)pg, (void)id;
	return SC_ESTORAGE;
}

long sc__pg_seen_count(void *pg)
{
	(void)pg;
	return SC_ESTORAGE;
}

void sc__pg_seen_close(void *pg)
{
	(void)pg;
}

#else

#include <libpq-fe.h>

#define POOL_MAX 8
#define LEASE_S "30s"     /* a refresh's transaction may idle this long */
#define LOCK_WAIT_S "60s" /* a refresh waits this long for another */

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS smartcar_tokens ("
	" key text PRIMARY KEY,"
	" refresh_token text NOT NULL,"
	" json text NOT NULL,"
	" updated_at timestamptz NOT NULL DEFAULT now());"
	"CREATE TABLE IF NOT EXISTS smartcar_cooldowns ("
	" scope text PRIMARY KEY,"
	" until_at timestamptz NOT NULL);"
	"CREATE TABLE IF NOT EXISTS smartcar_token_leases ("
	" key text PRIMARY KEY,"
	" owner text NOT NULL,"
	" deadline double precision NOT NULL)";

/* A key held by lock(): the thread, and the connection whose open
 * transaction holds the row lock (in_tx 0 once a save committed). */
struct held {
	struct held *next;
	pthread_t thread;
	char *key;
	PGconn *conn;
	int in_tx;
};

struct pg_store {
	sc_token_store base; /* first: the library sees only this */
	char *conninfo;
	pthread_mutex_t mu; /* guards idle, nidle and held */
	void *idle[POOL_MAX]; /* PGconn */
	size_t nidle;
	struct held *held;
};

static void quiet(void *arg, const char *message)
{
	/* notices ("relation already exists, skipping") are not errors */
}

/* Connect with our defaults under the caller's settings: a server that
 * does not answer fails the connect after 10 s (unless PGCONNECT_TIMEOUT
 * or the string says otherwise), and TCP keepalives notice a dead peer
 * in about a minute instead of hours.  The string's own keywords win
 * (it is expanded after the defaults). */
static PGconn *connect_to(const char *conninfo)
{
	const char *const keys[] = { "connect_timeout", "keepalives_idle",
				     "keepalives_interval", "keepalives_count",
				     "dbname", NULL };
	const char *const values[] = {
		getenv("PGCONNECT_TIMEOUT") ? NULL : "10", "30", "10", "3",
		conninfo, NULL
	};
	return PQconnectdbParams(keys, values, 1);
}

static PGconn *conn_open(const char *conninfo)
{
	PGconn *c = connect_to(conninfo);
	if (c && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	if (c)
		PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

static PGconn *conn_get(struct pg_store *st)
{
	PGconn *c = sc__idle_take(&st->mu, st->idle, &st->nidle);
	return c ? c : conn_open(st->conninfo);
}

/* Back to the pool when healthy and outside a transaction. */
static void conn_put(struct pg_store *st, PGconn *c)
{
	if (!c)
		return;
	if (PQstatus(c) != CONNECTION_OK ||
	    PQtransactionStatus(c) != PQTRANS_IDLE ||
	    !sc__idle_keep(&st->mu, st->idle, &st->nidle, POOL_MAX, c))
		PQfinish(c);
}

/* The connection holding key for this thread, or NULL. */
static struct held *held_find(struct pg_store *st, const char *key,
			      int unlink)
{
	struct held **p, *h = NULL;
	pthread_mutex_lock(&st->mu);
	for (p = &st->held; *p; p = &(*p)->next) {
		if (pthread_equal((*p)->thread, pthread_self()) &&
		    !strcmp((*p)->key, key)) {
			h = *p;
			if (unlink)
				*p = h->next;
			break;
		}
	}
	pthread_mutex_unlock(&st->mu);
	return h;
}

/* Run one statement; 1 when it went as expected (want), else 0. */
static int run(PGresult **res_out, PGconn *c, const char *sql, int n,
	       const char *const *params, ExecStatusType want)
{
	PGresult *r = n ? PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0)
			: PQexec(c, sql);
	int ok = r && PQresultStatus(r) == want;
	if (res_out && ok)
		*res_out = r;
	else
		PQclear(r);
	return ok;
}

/* One statement on the key's held connection, or on a pooled one, tried
 * again on a new connection when the pooled one turns out dead (a
 * server restart).  Returns the result, or NULL (SC_ESTORAGE). */
static PGresult *query(struct pg_store *st, const char *key,
		       const char *sql, int n, const char *const *params,
		       ExecStatusType want)
{
	struct held *h = key ? held_find(st, key, 0) : NULL;
	PGresult *r = NULL;
	PGconn *c;
	int attempt;

	if (h)
		return run(&r, h->conn, sql, n, params, want) ? r : NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		c = conn_get(st);
		if (!c)
			return NULL;
		if (run(&r, c, sql, n, params, want)) {
			conn_put(st, c);
			return r;
		}
		if (PQstatus(c) == CONNECTION_OK) { /* not a dead link */
			conn_put(st, c);
			break;
		}
		PQfinish(c);
	}
	return NULL;
}

static int load(sc_token_store *s, const char *key, char **json_out)
{
	const char *params[1] = { key };
	PGresult *r = query((struct pg_store *)s, key,
			    "SELECT json FROM smartcar_tokens WHERE key = $1",
			    1, params, PGRES_TUPLES_OK);
	int rc;

	*json_out = NULL;
	if (!r)
		return SC_ESTORAGE;
	if (PQntuples(r) == 1) {
		*json_out = sc__strdup(PQgetvalue(r, 0, 0));
		rc = *json_out ? 0 : SC_ENOMEM;
	} else {
		rc = SC_ENOTFOUND;
	}
	PQclear(r);
	return rc;
}

/* End the held transaction: commit (1) or roll back (0).  1 when a
 * commit went through. */
static int finish(struct held *h, int commit)
{
	PGresult *r;
	int ok;

	if (!h->in_tx)
		return 0;
	h->in_tx = 0;
	r = PQexec(h->conn, commit ? "COMMIT" : "ROLLBACK");
	/* a COMMIT of a failed transaction answers ROLLBACK */
	ok = commit && r && PQresultStatus(r) == PGRES_COMMAND_OK &&
	     !strcmp(PQcmdStatus(r), "COMMIT");
	PQclear(r);
	return ok;
}

static int save(sc_token_store *s, const char *key, const char *expected,
		const char *refresh, const char *json)
{
	struct pg_store *st = (struct pg_store *)s;
	const char *params[4] = { key, refresh, json, expected };
	struct held *h = held_find(st, key, 0);
	PGresult *r;
	int changed;

	r = query(st, key, expected
		  ? "UPDATE smartcar_tokens SET refresh_token = $2, json = $3,"
		    " updated_at = now() WHERE key = $1 AND refresh_token = $4"
		  : "INSERT INTO smartcar_tokens (key, refresh_token, json)"
		    " VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET"
		    " refresh_token = excluded.refresh_token,"
		    " json = excluded.json, updated_at = now()",
		  expected ? 4 : 3, params, PGRES_COMMAND_OK);
	if (!r) {
		if (h)
			finish(h, 0);
		return SC_ESTORAGE;
	}
	changed = atoi(PQcmdTuples(r));
	PQclear(r);
	if (expected && changed != 1) {
		if (h)
			finish(h, 0);
		return SC_ECONFLICT;
	}
	/* a new set ends the refresh lease, in the same transaction */
	r = query(st, key, "DELETE FROM smartcar_token_leases WHERE key = $1",
		  1, params, PGRES_COMMAND_OK);
	if (!r) {
		if (h)
			finish(h, 0);
		return SC_ESTORAGE;
	}
	PQclear(r);
	/* the new set is durable before anyone uses it */
	if (h && !finish(h, 1))
		return SC_ESTORAGE;
	return 0;
}

static int remove_key(sc_token_store *s, const char *key)
{
	const char *params[1] = { key };
	PGresult *r = query((struct pg_store *)s, key,
			    "DELETE FROM smartcar_tokens WHERE key = $1", 1,
			    params, PGRES_COMMAND_OK);
	PQclear(r);
	if (r) {
		r = query((struct pg_store *)s, NULL, "DELETE FROM "
			  "smartcar_token_leases WHERE key = $1", 1, params,
			  PGRES_COMMAND_OK);
		PQclear(r);
	}
	return r ? 0 : SC_ESTORAGE;
}

/* Refresh leases live in a table of their own, written on a pooled
 * connection outside the key's held transaction: a lease must be durable
 * before the grant is sent, and survive the rollback of a process that
 * dies mid-refresh. */
static int lease_take(sc_token_store *s, const char *key,
		      const char *expected, const char *refresh,
		      const char *owner, double deadline)
{
	struct pg_store *st = (struct pg_store *)s;
	char until[40];
	const char *params[5] = { key, expected, owner, until, refresh };
	PGresult *r;
	int changed;

	snprintf(until, sizeof(until), "%.3f", deadline);
	r = query(st, NULL,
		  "INSERT INTO smartcar_token_leases (key, owner, deadline)"
		  " SELECT $1, $3, $4::double precision FROM smartcar_tokens"
		  " WHERE key = $1 AND refresh_token = $5"
		  " ON CONFLICT (key) DO UPDATE SET"
		  " owner = excluded.owner, deadline = excluded.deadline"
		  " WHERE smartcar_token_leases.owner IS NOT DISTINCT FROM"
		  " $2::text", 5, params, PGRES_COMMAND_OK);
	if (!r)
		return SC_ESTORAGE;
	changed = atoi(PQcmdTuples(r));
	PQclear(r);
	if (changed == 1)
		return 0;
	r = query(st, NULL, "SELECT 1 FROM smartcar_tokens WHERE key = $1", 1,
		  params, PGRES_TUPLES_OK);
	if (!r)
		return SC_ESTORAGE;
	changed = PQntuples(r);
	PQclear(r);
	return changed ? SC_ECONFLICT : SC_ENOTFOUND;
}

static int lease_get(sc_token_store *s, const char *key, char **owner_out,
		     double *deadline_out)
{
	const char *params[1] = { key };
	PGresult *r = query((struct pg_store *)s, NULL,
			    "SELECT owner, deadline FROM smartcar_token_leases"
			    " WHERE key = $1", 1, params, PGRES_TUPLES_OK);
	int rc = SC_ENOTFOUND;

	*owner_out = NULL;
	*deadline_out = 0;
	if (!r)
		return SC_ESTORAGE;
	if (PQntuples(r) == 1) {
		*owner_out = sc__strdup(PQgetvalue(r, 0, 0));
		*deadline_out = strtod(PQgetvalue(r, 0, 1), NULL);
		rc = *owner_out ? 0 : SC_ENOMEM;
	}
	PQclear(r);
	return rc;
}

static int lease_end(sc_token_store *s, const char *key, const char *owner)
{
	const char *params[2] = { key, owner };
	PGresult *r = query((struct pg_store *)s, NULL,
			    "UPDATE smartcar_token_leases SET deadline = 0"
			    " WHERE key = $1 AND owner = $2", 2, params,
			    PGRES_COMMAND_OK);
	PQclear(r);
	return r ? 0 : SC_ESTORAGE;
}

static int lock_key(sc_token_store *s, const char *key)
{
	struct pg_store *st = (struct pg_store *)s;
	const char *params[1] = { key };
	struct held *h = calloc(1, sizeof(*h));

	if (!h || !(h->key = sc__strdup(key))) {
		free(h);
		return SC_ENOMEM;
	}
	h->conn = conn_get(st);
	if (!h->conn ||
	    !run(NULL, h->conn, "BEGIN; SET LOCAL "
		 "idle_in_transaction_session_timeout = '" LEASE_S "';"
		 " SET LOCAL lock_timeout = '" LOCK_WAIT_S "'", 0, NULL,
		 PGRES_COMMAND_OK) ||
	    !run(NULL, h->conn, "SELECT 1 FROM smartcar_tokens WHERE key = $1"
		 " FOR UPDATE", 1, params, PGRES_TUPLES_OK)) {
		if (h->conn) {
			PGresult *r = PQexec(h->conn, "ROLLBACK");
			PQclear(r);
		}
		conn_put(st, h->conn);
		free(h->key);
		free(h);
		return SC_ESTORAGE;
	}
	h->in_tx = 1;
	h->thread = pthread_self();
	pthread_mutex_lock(&st->mu);
	h->next = st->held;
	st->held = h;
	pthread_mutex_unlock(&st->mu);
	return 0;
}

static void unlock_key(sc_token_store *s, const char *key)
{
	struct pg_store *st = (struct pg_store *)s;
	struct held *h = held_find(st, key, 1);

	if (!h)
		return;
	finish(h, 0);
	conn_put(st, h->conn);
	free(h->key);
	free(h);
}

/* "vehicle:<id>" or "app": the cool-down table's scope names. */
static char *scope_of(const char *vehicle_id)
{
	size_t n = vehicle_id ? strlen(vehicle_id) + 9 : 4;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s", vehicle_id ? "vehicle:" : "app",
			 vehicle_id ? vehicle_id : "");
	return s;
}

static int cooldown_get(sc_token_store *s, const char *vehicle_id,
			double *app_left, double *vehicle_left)
{
	char *scope = scope_of(vehicle_id);
	const char *params[1] = { scope };
	PGresult *r;
	int i;

	*app_left = *vehicle_left = 0;
	if (!scope)
		return SC_ENOMEM;
	r = query((struct pg_store *)s, NULL,
		  "SELECT scope, extract(epoch FROM until_at -"
		  " clock_timestamp()) FROM smartcar_cooldowns"
		  " WHERE scope IN ('app', $1) AND until_at > clock_timestamp()",
		  1, params, PGRES_TUPLES_OK);
	free(scope);
	if (!r)
		return SC_ESTORAGE;
	for (i = 0; i < PQntuples(r); i++) {
		double left = strtod(PQgetvalue(r, i, 1), NULL);
		if (!strcmp(PQgetvalue(r, i, 0), "app"))
			*app_left = left;
		else
			*vehicle_left = left;
	}
	PQclear(r);
	return 0;
}

static int cooldown_put(sc_token_store *s, const char *vehicle_id,
			double seconds)
{
	char *scope = scope_of(vehicle_id);
	char secs[32];
	const char *params[2] = { scope, secs };
	PGresult *r;

	if (!scope)
		return SC_ENOMEM;
	snprintf(secs, sizeof(secs), "%.3f", seconds);
	/* keep the longer window; drop ones long past while here */
	r = query((struct pg_store *)s, NULL,
		  "WITH gone AS (DELETE FROM smartcar_cooldowns WHERE until_at"
		  " < clock_timestamp() - interval '1 hour')"
		  " INSERT INTO smartcar_cooldowns (scope, until_at) VALUES"
		  " ($1, clock_timestamp() + make_interval(secs => $2))"
		  " ON CONFLICT (scope) DO UPDATE SET until_at = greatest("
		  "smartcar_cooldowns.until_at, excluded.until_at)",
		  2, params, PGRES_COMMAND_OK);
	free(scope);
	PQclear(r);
	return r ? 0 : SC_ESTORAGE;
}

static void store_free(sc_token_store *s)
{
	struct pg_store *st = (struct pg_store *)s;
	while (st->nidle > 0)
		PQfinish(st->idle[--st->nidle]);
	pthread_mutex_destroy(&st->mu);
	sc__wipe_free(st->conninfo);
	free(st);
}

/* The schema, created under a transaction-scoped advisory lock so that
 * processes starting together do not race on the catalog; a role that
 * may not create tables is fine when they exist already. */
static int ensure_schema(PGconn *c)
{
	PGresult *r;
	int ok;

	if (run(NULL, c, "BEGIN; SELECT pg_advisory_xact_lock(7370616734);",
		0, NULL, PGRES_TUPLES_OK) &&
	    run(NULL, c, SCHEMA, 0, NULL, PGRES_COMMAND_OK) &&
	    run(NULL, c, "COMMIT", 0, NULL, PGRES_COMMAND_OK))
		return 0;
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
	ok = run(NULL, c, "SELECT 1 FROM smartcar_tokens, smartcar_cooldowns,"
		 " smartcar_token_leases LIMIT 0", 0, NULL, PGRES_TUPLES_OK);
	return ok ? 0 : -1;
}

static int open_failed(sc_error **err_out, PGconn *c, const char *what)
{
	if (err_out) {
		sc_buf b;
		const char *detail = c ? PQerrorMessage(c) : "";
		size_t n = strcspn(detail, "\n");

		sc__buf_init(&b, 0);
		sc__buf_puts(&b, what);
		if (n) {
			sc__buf_puts(&b, ": ");
			sc__buf_append(&b, detail, n);
		}
		*err_out = sc__error_new(SC_ESTORAGE, b.ptr ? b.ptr : what);
		sc__buf_free(&b);
	}
	PQfinish(c);
	return SC_ESTORAGE;
}

static const sc_token_store pg_methods = {
	.version = SC_TOKEN_STORE_VERSION, .load = load, .save = save,
	.remove = remove_key, .free = store_free, .lock = lock_key,
	.unlock = unlock_key, .lease_take = lease_take, .lease_get = lease_get,
	.lease_end = lease_end, .cooldown_get = cooldown_get,
	.cooldown_put = cooldown_put,
};

int sc_token_store_postgres_new(sc_token_store **out, const char *conninfo,
				sc_error **err_out)
{
	struct pg_store *st;
	PQconninfoOption *parsed;
	char *errmsg = NULL;
	PGconn *c;

	if (err_out)
		*err_out = NULL;
	if (!out) {
		if (err_out)
			*err_out = sc__error_new(SC_EINVAL,
						 "an output pointer is required");
		return SC_EINVAL;
	}
	*out = NULL;
	if (!conninfo)
		conninfo = "";
	/* no detail: the parser's message may quote the string, password
	 * and all */
	parsed = PQconninfoParse(conninfo, &errmsg);
	PQfreemem(errmsg);
	if (!parsed)
		return open_failed(err_out, NULL, "the PostgreSQL connection "
				   "string is malformed");
	PQconninfoFree(parsed);
	c = connect_to(conninfo);
	if (!c)
		return SC_ENOMEM;
	if (PQstatus(c) != CONNECTION_OK)
		return open_failed(err_out, c, "cannot connect to PostgreSQL");
	PQsetNoticeProcessor(c, quiet, NULL);
	if (ensure_schema(c) < 0)
		return open_failed(err_out, c, "the token tables are missing "
				   "and cannot be created (see "
				   "docs/postgres.md)");
	st = calloc(1, sizeof(*st));
	if (!st || !(st->conninfo = sc__strdup(conninfo))) {
		free(st);
		PQfinish(c);
		return SC_ENOMEM;
	}
	pthread_mutex_init(&st->mu, NULL);
	st->idle[st->nidle++] = c;
	st->base = pg_methods;
	*out = &st->base;
	return 0;
}

/* ------------------------------------------------- webhook event ids */

/* The seen-set of webhook_seen.c on PostgreSQL: one connection, used by
 * one thread at a time (the set's own mutex), made again when it died. */
struct pg_seen {
	char *conninfo;
	PGconn *c;
};

int sc__pg_seen_open(void **out, const char *conninfo, sc_error **err_out)
{
	struct pg_seen *p;
	PGconn *c;

	*out = NULL;
	c = connect_to(conninfo ? conninfo : "");
	if (!c)
		return SC_ENOMEM;
	if (PQstatus(c) != CONNECTION_OK)
		return open_failed(err_out, c, "cannot connect to PostgreSQL");
	PQsetNoticeProcessor(c, quiet, NULL);
	if (!run(NULL, c, "CREATE TABLE IF NOT EXISTS smartcar_webhook_events ("
		 " event_id TEXT PRIMARY KEY, seen_ms BIGINT NOT NULL)", 0,
		 NULL, PGRES_COMMAND_OK) &&
	    !run(NULL, c, "SELECT 1 FROM smartcar_webhook_events LIMIT 0", 0,
		 NULL, PGRES_TUPLES_OK))
		return open_failed(err_out, c, "the webhook event table is "
				   "missing and cannot be created");
	p = calloc(1, sizeof(*p));
	if (!p || !(p->conninfo = sc__strdup(conninfo ? conninfo : ""))) {
		free(p);
		PQfinish(c);
		return SC_ENOMEM;
	}
	p->c = c;
	*out = p;
	return 0;
}

/* One statement, tried again on a new connection when the old one died
 * (a server restart).  The result, or NULL. */
static PGresult *seen_query(struct pg_seen *p, const char *sql, int n,
			    const char *const *params, ExecStatusType want)
{
	PGresult *r = NULL;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (!p->c && !(p->c = conn_open(p->conninfo)))
			return NULL;
		if (run(&r, p->c, sql, n, params, want))
			return r;
		if (PQstatus(p->c) == CONNECTION_OK)
			return NULL; /* not a dead link */
		PQfinish(p->c);
		p->c = NULL;
	}
	return NULL;
}

static int changed_rows(struct pg_seen *p, const char *sql, int n,
			const char *const *params)
{
	PGresult *r = seen_query(p, sql, n, params, PGRES_COMMAND_OK);
	int rows;
	if (!r)
		return SC_ESTORAGE;
	rows = atoi(PQcmdTuples(r));
	PQclear(r);
	return rows;
}

int sc__pg_seen_check(void *pg, const char *id, int64_t now, int64_t ttl)
{
	char at[24], before[24];
	const char *params[3];

	snprintf(at, sizeof(at), "%lld", (long long)now);
	snprintf(before, sizeof(before), "%lld", (long long)(now - ttl));
	params[0] = id;
	params[1] = at;
	params[2] = before;
	/* a row older than the time to live counts as absent */
	return changed_rows(pg,
		"INSERT INTO smartcar_webhook_events (event_id, seen_ms) "
		"VALUES ($1, $2) ON CONFLICT (event_id) DO UPDATE SET "
		"seen_ms = EXCLUDED.seen_ms WHERE "
		"smartcar_webhook_events.seen_ms <= $3", 3, params);
}

int sc__pg_seen_forget(void *pg, const char *id)
{
	const char *params[1];
	params[0] = id;
	return changed_rows(pg, "DELETE FROM smartcar_webhook_events WHERE "
				"event_id = $1", 1, params);
}

long sc__pg_seen_count(void *pg)
{
	PGresult *r = seen_query(pg, "SELECT count(*) FROM "
				     "smartcar_webhook_events", 0, NULL,
				 PGRES_TUPLES_OK);
	long n;
	if (!r)
		return SC_ESTORAGE;
	n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

void sc__pg_seen_close(void *pg)
{
	struct pg_seen *p = pg;
	if (!p)
		return;
	PQfinish(p->c);
	free(p->conninfo);
	free(p);
}

#endif
