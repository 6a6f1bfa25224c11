/**
 * @file smartcar/store.h
 * @brief Token stores and calls that refresh tokens by themselves.
 *
 * A token store keeps one token set per key (an app's user or vehicle
 * id).  sc_call_stored() loads the set, refreshes it when the access token
 * is about to expire (or the server says it has), saves the new set
 * BEFORE using it, and makes the call.  Refresh tokens rotate and the old
 * one dies a minute after use, so a lost save would log the user out:
 *
 *  - in one process, refreshes of one key are single-flight;
 *  - across processes, the save is a compare-and-swap on the refresh token
 *    that was used: a process that loses the race adopts the winner's set;
 *  - before each refresh a lease (owner, deadline) is recorded in stores
 *    that keep leases (SQLite does); a call that finds one whose owner
 *    died refreshes at once, inside Smartcar's grace window, so a crash
 *    between the grant and the save loses nothing as long as some process
 *    calls with the key within that minute.
 *
 * SQLite is the built-in store (one table, WAL mode, safe for several
 * processes); PostgreSQL serves many hosts (built when libpq is found);
 * sys/store.h describes how to write another.
 */
#ifndef SMARTCAR_STORE_H
#define SMARTCAR_STORE_H

#include "common.h"
#include "errors.h"
#include "params.h"
#include "client.h"
#include "result.h"
#include "call.h"

SC_BEGIN_DECL

typedef struct sc_token_store sc_token_store;

/**
 * Open (creating when needed) a SQLite token store at @p path
 * (":memory:" for a private in-memory one).
 * @return 0, SC_EINVAL or SC_ENOMEM; @p err_out gets the detail.
 * Ownership: free with sc_token_store_free().
 * Thread-safety: one store may be shared between threads.
 */
SC_EXTERN(int) sc_token_store_sqlite_new(sc_token_store **out,
					 const char *path,
					 sc_error **err_out);

/**
 * Open a PostgreSQL token store (libpq).  @p conninfo is a libpq
 * connection string or URI; NULL or "" takes everything from the PG*
 * environment variables.  The tables are created when missing and the
 * role may create them (else apply the SQL in docs/postgres.md).
 * Refreshes hold the key's row lock from the load to the commit of the
 * new set, so one process or host refreshes a key at a time.
 * @return 0, SC_ESTORAGE (cannot connect, no tables, or libsmartcar was
 * built without libpq) or SC_ENOMEM; @p err_out gets the detail.
 * Ownership: free with sc_token_store_free().
 * Thread-safety: one store may be shared between threads.
 */
SC_EXTERN(int) sc_token_store_postgres_new(sc_token_store **out,
					   const char *conninfo,
					   sc_error **err_out);

/**
 * Share @p client's cool-downs (a 429's Retry-After, per vehicle and for
 * the application) through @p store, so every client sharing it waits
 * them out; NULL stops sharing.  The store must offer cool-downs (the
 * PostgreSQL one does); the client holds it (see sc_token_store_free())
 * until it stops sharing or is freed.  Sharing turns
 * the client's cool-downs on (a client whose rate_policy was "off", as
 * the "official" profile's is by default, then waits).  A store that
 * fails to answer leaves the client's own cool-downs in force.
 * @return 0, SC_EINVAL or SC_ENOMEM.
 */
SC_EXTERN(int) sc_client_share_cooldowns(sc_client *client,
					 sc_token_store *store);

/** Close and free a store.  Accepts NULL.  Ops and pagers made with
 *  the store and clients sharing cool-downs through it hold it: then it
 *  is freed when the last of them is freed (or stops sharing). */
SC_EXTERN(void) sc_token_store_free(sc_token_store *store);

/*
 * The functions below return 0 or a negative code, and on failure put
 * the details (code, message) in @p *err_out when @p err_out is not NULL
 * and *err_out is NULL, as every fallible libsmartcar function does.
 * Ownership: the caller frees @p *err_out with sc_error_free().
 */

/**
 * Save a token set (the data of sc_exchange_code() or
 * sc_exchange_refresh_token()) under @p key, replacing what was there.
 * @return 0, SC_EINVAL (no store or key, or not a token set) or the
 * store's error (SC_ESTORAGE...).
 */
SC_EXTERN(int) sc_token_store_save(sc_token_store *store, const char *key,
				   const sc_result *tokens,
				   sc_error **err_out);

/**
 * Save a token set given as JSON text (an object with at least
 * access_token and refresh_token strings) under @p key, replacing what was
 * there.  For bindings and for importing sets kept elsewhere.
 * @return 0, SC_EINVAL (not such an object) or the store's error.
 */
SC_EXTERN(int) sc_token_store_save_json(sc_token_store *store,
					const char *key, const char *json,
					sc_error **err_out);

/**
 * Load the token set stored under @p key: data {access_token,
 * refresh_token, expiration, refresh_expiration, token_type, expires_in}.
 * @return 0, SC_ENOTFOUND (nothing stored), SC_EMALFORMED (the stored
 * set is not a token set) or the store's error; @p *out is NULL then.
 * Ownership: free @p *out with sc_result_free().
 */
SC_EXTERN(int) sc_token_store_load(sc_result **out, sc_token_store *store,
				   const char *key, sc_error **err_out);

/** Remove the set stored under @p key (0 even when there was none). */
SC_EXTERN(int) sc_token_store_remove(sc_token_store *store, const char *key,
				     sc_error **err_out);

/**
 * Refresh the set stored under @p key now, after any refresh of the key
 * under way in this process (or, with a store that has lock(), on any
 * host) has finished; the new set is saved before it is returned.  When
 * the save loses a compare-and-swap to another process, that process's
 * set is returned.
 * @return 0 with the current set in @p *out, or the error's code with
 * @p *out NULL and the error in @p *err_out.
 * Ownership: free @p *out with sc_result_free().
 */
SC_EXTERN(int) sc_token_store_refresh_now(sc_result **out,
					  sc_client *client,
					  sc_token_store *store,
					  const char *key,
					  sc_error **err_out);

/* The names of 0.1.0, kept for source compatibility: the same calls
 * without err_out (get and refresh put a failure in @p *out instead). */

/** Deprecated: sc_token_store_save(). */
SC_EXTERN(int) sc_token_store_put(sc_token_store *store, const char *key,
				  const sc_result *tokens) SC_DEPRECATED;

/** Deprecated: sc_token_store_save_json(). */
SC_EXTERN(int) sc_token_store_put_json(sc_token_store *store,
				       const char *key,
				       const char *json) SC_DEPRECATED;

/**
 * Deprecated: sc_token_store_load().  @return 0, or the code with the
 * error in @p *out.  Ownership: free @p *out with sc_result_free().
 */
SC_EXTERN(int) sc_token_store_get(sc_result **out, sc_token_store *store,
				  const char *key) SC_DEPRECATED;

/** Deprecated: sc_token_store_remove(). */
SC_EXTERN(int) sc_token_store_delete(sc_token_store *store,
				     const char *key) SC_DEPRECATED;

/**
 * Deprecated: sc_token_store_refresh_now().  @return 0 with the current
 * set in @p *out, or the error's code with the error in @p *out.
 */
SC_EXTERN(int) sc_token_store_refresh(sc_result **out, sc_client *client,
				      sc_token_store *store,
				      const char *key) SC_DEPRECATED;

/**
 * 1 when a token that expires at @p expiration (Unix seconds) has expired
 * or will within @p leeway_seconds, else 0.
 */
SC_EXTERN(int) sc_token_expired(double expiration, double leeway_seconds);

/**
 * sc_op_new() for a call that takes the user's tokens from @p store
 * under @p key.  The op's steps then load the set, refresh it when the
 * access token expires within 60 s (and once more when the server answers
 * 401 AUTHENTICATION), save the new set before using it (compare-and-swap
 * on the refresh token used), and only then send the call.  Refreshes of
 * one key are single-flight in a process: an op that finds another
 * refreshing waits (SC_STEP_WAIT) and reads the store again.  The store's
 * load and save run inside sc_op_next()/sc_op_feed().  Do not put
 * "access_token" or "refresh_token" in @p params.  Calls that do not
 * authenticate with the user's access token ignore the store; the
 * endpoint "exchange_refresh_token" refreshes the set now and has it as
 * its result (sc_token_store_refresh_now()).
 * @return as sc_op_new(); SC_EINVAL without a store or key.
 * Ownership: the op holds @p store (a sc_token_store_free() of it
 * meanwhile waits for the op's free).
 */
SC_EXTERN(int) sc_op_new_stored(sc_op **out, sc_client *client,
				sc_token_store *store, const char *key,
				const char *endpoint, const sc_params *params,
				sc_error **err_out);

/** sc_op_new_stored() with @p store and @p key, or sc_op_new() when
 *  @p store is NULL: a call whose tokens may come from a store. */
SC_EXTERN(int) sc_op_new_call(sc_op **out, sc_client *client,
			      sc_token_store *store, const char *key,
			      const char *endpoint, const sc_params *params,
			      sc_error **err_out);

/**
 * sc_call() of an op made by sc_op_new_stored().
 * @return as sc_call(); @p *out holds the data or the error.
 */
SC_EXTERN(int) sc_call_stored(sc_result **out, sc_client *client,
			      sc_token_store *store, const char *key,
			      const char *endpoint, const sc_params *params);

SC_END_DECL

#endif
