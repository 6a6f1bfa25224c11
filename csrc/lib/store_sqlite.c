/* The built-in token store: one SQLite table, WAL journal, one serialized
 * connection per store.  The compare-and-swap is a single UPDATE guarded
 * by the expected refresh token, atomic across processes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "sc_internal.h"

struct sqlite_store {
	sc_token_store base; /* first: the library sees only this */
	sqlite3 *db;
};

static int load(sc_token_store *s, const char *key, char **json_out)
{
	struct sqlite_store *st = (struct sqlite_store *)s;
	sqlite3_stmt *q = NULL;
	int rc;

	*json_out = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT json FROM smartcar_tokens "
				       "WHERE key = ?1", -1, &q, NULL))
		return SC_ESTORAGE;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*json_out = sc__strdup((const char *)sqlite3_column_text(q, 0));
		rc = *json_out ? 0 : SC_ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? SC_ENOTFOUND : SC_ESTORAGE;
	}
	sqlite3_finalize(q);
	return rc;
}

static int save(sc_token_store *s, const char *key, const char *expected,
		const char *refresh, const char *json)
{
	struct sqlite_store *st = (struct sqlite_store *)s;
	sqlite3_stmt *q = NULL;
	const char *sql = expected
		? "UPDATE smartcar_tokens SET refresh_token = ?2, json = ?3, "
		  "updated_at = ?4 WHERE key = ?1 AND refresh_token = ?5"
		: "INSERT INTO smartcar_tokens (key, refresh_token, json, "
		  "updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO "
		  "UPDATE SET refresh_token = excluded.refresh_token, json = "
		  "excluded.json, updated_at = excluded.updated_at";
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL))
		return SC_ESTORAGE;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, refresh, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, json, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 4, sc__now());
	if (expected)
		sqlite3_bind_text(q, 5, expected, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return SC_ESTORAGE;
	if (expected && sqlite3_changes(st->db) != 1)
		return SC_ECONFLICT;
	return 0;
}

static int remove_key(sc_token_store *s, const char *key)
{
	struct sqlite_store *st = (struct sqlite_store *)s;
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM smartcar_tokens WHERE "
				       "key = ?1", -1, &q, NULL))
		return SC_ESTORAGE;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : SC_ESTORAGE;
}

static void store_free(sc_token_store *s)
{
	struct sqlite_store *st = (struct sqlite_store *)s;
	sqlite3_close(st->db);
	free(st);
}

int sc_token_store_sqlite_new(sc_token_store **out, const char *path,
			      sc_error **err_out)
{
	struct sqlite_store *st;
	struct stat sb;
	int existed;
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
	existed = stat(path, &sb) == 0;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL)) {
		if (err_out)
			*err_out = sc__error_new(SC_ESTORAGE,
				"cannot open the token store database");
		sqlite3_close(st->db);
		free(st);
		return SC_ESTORAGE;
	}
	/* tokens are secrets: a new database file is readable by us only */
	if (!existed && strcmp(path, ":memory:") && path[0])
		chmod(path, 0600);
	sqlite3_busy_timeout(st->db, 10000);
	if (sqlite3_exec(st->db,
			 "PRAGMA journal_mode=WAL;"
			 "CREATE TABLE IF NOT EXISTS smartcar_tokens ("
			 " key TEXT PRIMARY KEY,"
			 " refresh_token TEXT NOT NULL,"
			 " json TEXT NOT NULL,"
			 " updated_at REAL NOT NULL)", NULL, NULL, &errmsg)) {
		if (err_out)
			*err_out = sc__error_new(SC_ESTORAGE,
				"cannot create the token table");
		sqlite3_free(errmsg);
		sqlite3_close(st->db);
		free(st);
		return SC_ESTORAGE;
	}
	st->base.version = SC_TOKEN_STORE_VERSION;
	st->base.load = load;
	st->base.save = save;
	st->base.remove = remove_key;
	st->base.free = store_free;
	*out = &st->base;
	return 0;
}
