/* Webhook event ids seen recently: Smartcar delivers at least once and
 * keeps a delivery's eventId across retries, so a receiver that records
 * the ids it has handled can drop the repeats.
 *
 * In memory: a ring of entries in arrival order (the oldest is evicted
 * first, by capacity or by age) indexed by a chained hash table; one
 * mutex.  In SQLite (the token store's file will do) or PostgreSQL (the
 * token store's database): one table, one upsert per check, so processes
 * sharing it agree. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "sc_internal.h"

#define ID_MAX 256

typedef struct entry {
	char *id;
	uint64_t hash;
	int64_t at_ms;
	long next; /* in its bucket's chain; -1 ends it */
} entry;

struct sc_webhook_seen {
	pthread_mutex_t lock;
	entry *ring;
	size_t cap, head, count;
	long *buckets;
	size_t nbuckets; /* a power of two */
	int64_t ttl_ms;
	sqlite3 *db;          /* persistent: then the ring is unused */
	void *pg;             /* persistent on PostgreSQL (store_pg.c) */
	unsigned long checks; /* persistent: expired rows go every 256 */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sc_webhook_seen_new(sc_webhook_seen **out, size_t capacity,
			int64_t ttl_ms)
{
	sc_webhook_seen *s;
	size_t i;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (capacity == 0 || capacity > ((size_t)1 << 26) || ttl_ms < 0)
		return SC_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return SC_ENOMEM;
	s->cap = capacity;
	s->ttl_ms = ttl_ms;
	for (s->nbuckets = 16; s->nbuckets < 2 * capacity; s->nbuckets *= 2)
		;
	s->ring = calloc(capacity, sizeof(*s->ring));
	s->buckets = malloc(s->nbuckets * sizeof(*s->buckets));
	if (!s->ring || !s->buckets || pthread_mutex_init(&s->lock, NULL)) {
		free(s->ring);
		free(s->buckets);
		free(s);
		return SC_ENOMEM;
	}
	for (i = 0; i < s->nbuckets; i++)
		s->buckets[i] = -1;
	*out = s;
	return 0;
}

/* ------------------------------------------------------------ SQLite */

/* The checks both database-backed openers make (out, ttl_ms, and have,
 * whether the database is named when it must be: need says what is
 * missing), then the set's shell (its lock and TTL) in *s_out. */
static int seen_db_alloc(sc_webhook_seen **s_out, sc_webhook_seen **out,
			 int have, int64_t ttl_ms, const char *need,
			 sc_error **err_out)
{
	sc_webhook_seen *s;

	*s_out = NULL;
	if (err_out)
		*err_out = NULL;
	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!have || ttl_ms <= 0) {
		if (err_out)
			*err_out = sc__error_new(SC_EINVAL, need);
		return SC_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return SC_ENOMEM;
	if (pthread_mutex_init(&s->lock, NULL)) {
		free(s);
		return SC_ENOMEM;
	}
	s->ttl_ms = ttl_ms;
	*s_out = s;
	return 0;
}

int sc_webhook_seen_open_sqlite(sc_webhook_seen **out, const char *path,
				int64_t ttl_ms, sc_error **err_out)
{
	sc_webhook_seen *s;
	int rc = seen_db_alloc(&s, out, path != NULL, ttl_ms, "a path and a "
			       "positive ttl_ms are needed", err_out);

	if (rc < 0)
		return rc;
	if (sc__sqlite_open(&s->db, path) < 0 ||
	    sqlite3_exec(s->db,
			 "CREATE TABLE IF NOT EXISTS smartcar_webhook_events ("
			 " event_id TEXT PRIMARY KEY,"
			 " seen_ms INTEGER NOT NULL)", NULL, NULL, NULL)) {
		if (err_out)
			*err_out = sc__error_new(SC_ESTORAGE, "cannot open the "
						 "webhook events table");
		sc_webhook_seen_free(s);
		return SC_ESTORAGE;
	}
	*out = s;
	return 0;
}

int sc_webhook_seen_open_postgres(sc_webhook_seen **out, const char *conninfo,
				  int64_t ttl_ms, sc_error **err_out)
{
	sc_webhook_seen *s;
	int rc = seen_db_alloc(&s, out, 1, ttl_ms,
			       "a positive ttl_ms is needed", err_out);

	if (rc < 0)
		return rc;
	rc = sc__pg_seen_open(&s->pg, conninfo, err_out);
	if (rc < 0) {
		sc_webhook_seen_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int sc_webhook_seen_open(sc_webhook_seen **out, size_t capacity,
			 int64_t ttl_ms, const char *path, const char *conninfo,
			 sc_error **err_out)
{
	if (conninfo)
		return sc_webhook_seen_open_postgres(out, conninfo, ttl_ms,
						     err_out);
	if (path)
		return sc_webhook_seen_open_sqlite(out, path, ttl_ms, err_out);
	if (err_out)
		*err_out = NULL;
	return sc_webhook_seen_new(out, capacity, ttl_ms);
}

/* One statement with one text and up to two integer parameters; the
 * number of rows it changed (a SELECT: its first column), or
 * SC_ESTORAGE. */
static int run_sql(sc_webhook_seen *s, const char *sql, const char *id,
		   int64_t a, int64_t b)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL))
		return SC_ESTORAGE;
	if (id)
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, a);
	sqlite3_bind_int64(q, 3, b);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		rc = sqlite3_column_int(q, 0);
	else
		rc = rc == SQLITE_DONE ? sqlite3_changes(s->db) : SC_ESTORAGE;
	sqlite3_finalize(q);
	return rc;
}

static int sql_check(sc_webhook_seen *s, const char *id, int64_t now)
{
	/* a row older than the time to live counts as absent: the upsert
	 * changes a row only when the id is new or has expired */
	int rc = run_sql(s,
		"INSERT INTO smartcar_webhook_events (event_id, seen_ms) "
		"VALUES (?1, ?2) ON CONFLICT(event_id) DO UPDATE SET "
		"seen_ms = excluded.seen_ms WHERE seen_ms <= ?2 - ?3",
		id, now, s->ttl_ms);
	if (rc >= 0 && ++s->checks % 256 == 0)
		run_sql(s, "DELETE FROM smartcar_webhook_events WHERE "
			   "seen_ms <= ?2 - ?3", NULL, now, s->ttl_ms);
	if (rc < 0)
		return rc;
	return rc > 0 ? SC_WEBHOOK_FIRST : SC_WEBHOOK_DUPLICATE;
}

/* ------------------------------------------------------------ memory */

void sc_webhook_seen_free(sc_webhook_seen *s)
{
	size_t i;

	if (!s)
		return;
	sqlite3_close(s->db);
	sc__pg_seen_close(s->pg);
	for (i = 0; i < s->count; i++)
		free(s->ring[(s->head + i) % s->cap].id);
	free(s->ring);
	free(s->buckets);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The slot of id, or -1; *link gets the pointer that leads to it. */
static long find(sc_webhook_seen *s, const char *id, uint64_t h,
		 long **link)
{
	long *p = &s->buckets[h & (s->nbuckets - 1)];

	while (*p >= 0) {
		entry *e = &s->ring[*p];
		if (e->hash == h && strcmp(e->id, id) == 0) {
			if (link)
				*link = p;
			return *p;
		}
		p = &e->next;
	}
	return -1;
}

static void unlink_slot(sc_webhook_seen *s, long slot)
{
	entry *e = &s->ring[slot];
	long *link = NULL;

	if (!e->id) /* forgotten already */
		return;
	if (find(s, e->id, e->hash, &link) == slot)
		*link = e->next;
	free(e->id);
	e->id = NULL;
}

/* Drop the oldest entry. */
static void pop(sc_webhook_seen *s)
{
	unlink_slot(s, (long)s->head);
	s->head = (s->head + 1) % s->cap;
	s->count--;
}

static void expire(sc_webhook_seen *s, int64_t now)
{
	while (s->count && s->ttl_ms > 0 &&
	       now - s->ring[s->head].at_ms >= s->ttl_ms)
		pop(s);
}

static int valid_id(const char *id)
{
	size_t n;
	if (!id)
		return 0;
	n = strlen(id);
	return n > 0 && n <= ID_MAX;
}

int sc_webhook_seen_check(sc_webhook_seen *s, const char *event_id,
			  int64_t now_ms)
{
	uint64_t h;
	long slot;
	entry *e;
	char *copy;

	if (!s || !valid_id(event_id))
		return SC_EINVAL;
	if (now_ms <= 0)
		now_ms = wall_ms();
	if (s->db || s->pg) {
		pthread_mutex_lock(&s->lock);
		if (s->db) {
			slot = sql_check(s, event_id, now_ms);
		} else {
			slot = sc__pg_seen_check(s->pg, event_id, now_ms,
						 s->ttl_ms);
			if (slot >= 0)
				slot = slot > 0 ? SC_WEBHOOK_FIRST
						: SC_WEBHOOK_DUPLICATE;
		}
		pthread_mutex_unlock(&s->lock);
		return (int)slot;
	}
	h = fnv1a(event_id);
	copy = sc__strdup(event_id);
	if (!copy)
		return SC_ENOMEM;
	pthread_mutex_lock(&s->lock);
	expire(s, now_ms);
	if (find(s, event_id, h, NULL) >= 0) {
		pthread_mutex_unlock(&s->lock);
		free(copy);
		return SC_WEBHOOK_DUPLICATE;
	}
	if (s->count == s->cap)
		pop(s);
	slot = (long)((s->head + s->count) % s->cap);
	e = &s->ring[slot];
	e->id = copy;
	e->hash = h;
	e->at_ms = now_ms;
	e->next = s->buckets[h & (s->nbuckets - 1)];
	s->buckets[h & (s->nbuckets - 1)] = slot;
	s->count++;
	pthread_mutex_unlock(&s->lock);
	return SC_WEBHOOK_FIRST;
}

int sc_webhook_seen_forget(sc_webhook_seen *s, const char *event_id)
{
	uint64_t h;
	long slot;

	if (!s || !valid_id(event_id))
		return SC_EINVAL;
	if (s->db || s->pg) {
		int rc;
		pthread_mutex_lock(&s->lock);
		rc = s->pg ? sc__pg_seen_forget(s->pg, event_id)
			   : run_sql(s, "DELETE FROM smartcar_webhook_events "
					"WHERE event_id = ?1", event_id, 0, 0);
		pthread_mutex_unlock(&s->lock);
		return rc < 0 ? rc : rc ? 0 : SC_ENOTFOUND;
	}
	h = fnv1a(event_id);
	pthread_mutex_lock(&s->lock);
	slot = find(s, event_id, h, NULL);
	if (slot >= 0) {
		/* the slot stays in the ring (order is kept) with no id:
		 * eviction skips it when its turn comes */
		unlink_slot(s, slot);
	}
	pthread_mutex_unlock(&s->lock);
	return slot >= 0 ? 0 : SC_ENOTFOUND;
}

size_t sc_webhook_seen_count(sc_webhook_seen *s)
{
	size_t i, n = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->db || s->pg) {
		long rc = s->pg ? sc__pg_seen_count(s->pg)
				: run_sql(s, "SELECT count(*) FROM "
					     "smartcar_webhook_events", NULL, 0,
					  0);
		pthread_mutex_unlock(&s->lock);
		return rc > 0 ? (size_t)rc : 0;
	}
	for (i = 0; i < s->count; i++)
		n += s->ring[(s->head + i) % s->cap].id != NULL;
	pthread_mutex_unlock(&s->lock);
	return n;
}
