/* The built-in token store: one SQLite table, WAL journal, one serialized
 * connection per store.  The compare-and-swap is a single UPDATE guarded
 * by the expected refresh token, atomic across processes; so is taking a
 * refresh lease (two columns of the key's row, cleared by every save). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "sc_internal.h"

struct sqlite_store {
	sc_token_store base; /* first: the library sees only this */
	sqlite3 *db;
};

/* sql prepared with key bound to ?1, or NULL. */
static sqlite3_stmt *keyed(struct sqlite_store *st, const char *sql,
			   const char *key)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL))
		return NULL;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	return q;
}

/* Runs sql with key bound to ?1.  With text_out, a query: its first
 * row's column 0 (a new string) in *text_out, column 1 in *num_out when
 * asked, SC_ENOTFOUND without a row.  Without, a statement: 0 when done. */
static int run_keyed(struct sqlite_store *st, const char *sql,
		     const char *key, char **text_out, double *num_out)
{
	sqlite3_stmt *q = keyed(st, sql, key);
	int rc;

	if (text_out)
		*text_out = NULL;
	if (!q)
		return SC_ESTORAGE;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && text_out) {
		*text_out = sc__strdup((const char *)sqlite3_column_text(q, 0));
		if (num_out)
			*num_out = sqlite3_column_double(q, 1);
		rc = *text_out ? 0 : SC_ENOMEM;
	} else if (rc == SQLITE_DONE) {
		rc = text_out ? SC_ENOTFOUND : 0;
	} else {
		rc = SC_ESTORAGE;
	}
	sqlite3_finalize(q);
	return rc;
}

static int load(sc_token_store *s, const char *key, char **json_out)
{
	return run_keyed((struct sqlite_store *)s, "SELECT json FROM "
			 "smartcar_tokens WHERE key = ?1", key, json_out, NULL);
}

/* One write of a key's row (?1), with text a (or NULL) as ?2, text b as
 * ?3, num as ?4 and, when not NULL, text c as ?5; 1 when it changed the
 * row, 0 when not, SC_ESTORAGE. */
static int write_row(struct sqlite_store *st, const char *sql,
		     const char *key, const char *a, const char *b,
		     double num, const char *c)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (!(q = keyed(st, sql, key)))
		return SC_ESTORAGE;
	if (a)
		sqlite3_bind_text(q, 2, a, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 2);
	sqlite3_bind_text(q, 3, b, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 4, num);
	if (c)
		sqlite3_bind_text(q, 5, c, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return SC_ESTORAGE;
	return sqlite3_changes(st->db) == 1;
}

static int save(sc_token_store *s, const char *key, const char *expected,
		const char *refresh, const char *json)
{
	const char *sql = expected
		? "UPDATE smartcar_tokens SET refresh_token = ?2, json = ?3, "
		  "updated_at = ?4, lease_owner = NULL, lease_deadline = NULL "
		  "WHERE key = ?1 AND refresh_token = ?5"
		: "INSERT INTO smartcar_tokens (key, refresh_token, json, "
		  "updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO "
		  "UPDATE SET refresh_token = excluded.refresh_token, json = "
		  "excluded.json, updated_at = excluded.updated_at, "
		  "lease_owner = NULL, lease_deadline = NULL";
	int rc = write_row((struct sqlite_store *)s, sql, key, refresh, json,
			   sc__now(), expected);

	if (rc < 0)
		return rc;
	return expected && rc != 1 ? SC_ECONFLICT : 0;
}

static int remove_key(sc_token_store *s, const char *key)
{
	return run_keyed((struct sqlite_store *)s, "DELETE FROM "
			 "smartcar_tokens WHERE key = ?1", key, NULL, NULL);
}

static int lease_take(sc_token_store *s, const char *key,
		      const char *expected, const char *refresh,
		      const char *owner, double deadline)
{
	struct sqlite_store *st = (struct sqlite_store *)s;
	char *json = NULL;
	int rc = write_row(st, "UPDATE smartcar_tokens SET lease_owner = "
			   "?3, lease_deadline = ?4 WHERE key = ?1 AND "
			   "lease_owner IS ?2 AND refresh_token = ?5", key,
			   expected, owner, deadline, refresh);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	/* nothing changed: another lease, or no set at all */
	rc = load(s, key, &json);
	sc__wipe_free(json);
	return rc == SC_ENOTFOUND ? rc : SC_ECONFLICT;
}

static int lease_get(sc_token_store *s, const char *key, char **owner_out,
		     double *deadline_out)
{
	*deadline_out = 0;
	return run_keyed((struct sqlite_store *)s, "SELECT lease_owner, "
			 "lease_deadline FROM smartcar_tokens WHERE key = ?1 "
			 "AND lease_owner IS NOT NULL", key, owner_out,
			 deadline_out);
}

static int lease_end(sc_token_store *s, const char *key, const char *owner)
{
	int rc = write_row((struct sqlite_store *)s,
			   "UPDATE smartcar_tokens SET lease_deadline = ?4 "
			   "WHERE key = ?1 AND lease_owner = ?3", key, NULL,
			   owner, 0, NULL);
	return rc < 0 ? rc : 0;
}

static void store_free(sc_token_store *s)
{
	struct sqlite_store *st = (struct sqlite_store *)s;
	sqlite3_close(st->db);
	free(st);
}

/* The lease columns, added to tables made before leases existed. */
static int add_lease_columns(sqlite3 *db)
{
	static const char *const cols[] = { "lease_owner TEXT",
					    "lease_deadline REAL" };
	sqlite3_stmt *q = NULL;
	int i, have = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info("
				   "'smartcar_tokens') WHERE name LIKE "
				   "'lease_%'", -1, &q, NULL))
		return SC_ESTORAGE;
	if (sqlite3_step(q) == SQLITE_ROW)
		have = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	for (i = have; i < 2; i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "ALTER TABLE smartcar_tokens ADD "
			 "COLUMN %s", cols[i]);
		/* another process may have added it meanwhile: check again */
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) &&
		    !strstr(sqlite3_errmsg(db), "duplicate"))
			return SC_ESTORAGE;
	}
	return 0;
}

int sc__sqlite_open(sqlite3 **db, const char *path)
{
	struct stat sb;
	int existed = stat(path, &sb) == 0;

	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL)) {
		sqlite3_close(*db);
		*db = NULL;
		return SC_ESTORAGE;
	}
	/* tokens are secrets: a new database file is readable by us only */
	if (!existed && strcmp(path, ":memory:") && path[0])
		chmod(path, 0600);
	sqlite3_busy_timeout(*db, 10000);
	sqlite3_exec(*db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	return 0;
}

static const sc_token_store sqlite_methods = {
	.version = SC_TOKEN_STORE_VERSION, .load = load, .save = save,
	.remove = remove_key, .free = store_free, .lease_take = lease_take,
	.lease_get = lease_get, .lease_end = lease_end,
};

int sc_token_store_sqlite_new(sc_token_store **out, const char *path,
			      sc_error **err_out)
{
	struct sqlite_store *st;
	char *errmsg = NULL;

	if (err_out)
		*err_out = NULL;
	if (!out || !path) {
		if (err_out)
			*err_out = sc__error_new(SC_EINVAL,
						 "a path is required");
		return SC_EINVAL;
	}
	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return SC_ENOMEM;
	if (sc__sqlite_open(&st->db, path) < 0) {
		if (err_out)
			*err_out = sc__error_new(SC_ESTORAGE,
				"cannot open the token store database");
		free(st);
		return SC_ESTORAGE;
	}
	if (sqlite3_exec(st->db,
			 "CREATE TABLE IF NOT EXISTS smartcar_tokens ("
			 " key TEXT PRIMARY KEY,"
			 " refresh_token TEXT NOT NULL,"
			 " json TEXT NOT NULL,"
			 " updated_at REAL NOT NULL)", NULL, NULL, &errmsg) ||
	    add_lease_columns(st->db) < 0) {
		if (err_out)
			*err_out = sc__error_new(SC_ESTORAGE,
				"cannot create the token table");
		sqlite3_free(errmsg);
		sqlite3_close(st->db);
		free(st);
		return SC_ESTORAGE;
	}
	st->base = sqlite_methods;
	*out = &st->base;
	return 0;
}
