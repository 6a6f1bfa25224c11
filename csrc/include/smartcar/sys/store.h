/**
 * @file smartcar/sys/store.h
 * @brief For people who write a token store (Redis, PostgreSQL...).
 *
 * Embed sc_token_store as the first member of your own struct, fill the
 * functions, and hand its address to sc_call_stored().  Values are JSON
 * text of the token set; the store does not need to understand them
 * beyond the refresh token passed to save().
 */
#ifndef SMARTCAR_SYS_STORE_H
#define SMARTCAR_SYS_STORE_H

#include "../common.h"

SC_BEGIN_DECL

#define SC_TOKEN_STORE_VERSION 3

/**
 * For a store whose I/O cannot run inside its functions (a client on an
 * event loop, such as nginx cosockets, cannot block or yield there): a
 * function may return SC_STORE_PENDING instead of answering.  It has
 * then queued its request; the op returns SC_STEP_WAIT with
 * sc_op_wait_ms() 0, the driver completes the store's I/O, and the next
 * store call the op makes is the same one with the same arguments, which
 * answers.  sc_token_store_load(), _save(), _save_json() and _remove()
 * return SC_STORE_PENDING to their caller likewise: call again after the
 * I/O.  lease_end() and unlock() may return it for "queued": they are not
 * called again.  Only a driver that completes the store's I/O (such as
 * smartcar.resty) may use such a store: any other would wait forever.
 */
#define SC_STORE_PENDING 1

struct sc_token_store {
	unsigned int version; /**< SC_TOKEN_STORE_VERSION */
	/** Load the JSON stored under key into *json_out (malloc'd; freed
	 *  by the library with free()).  SC_ENOTFOUND when absent. */
	int (*load)(struct sc_token_store *store, const char *key,
		    char **json_out);
	/** Store json under key.  When expected_refresh is not NULL, only
	 *  if the stored set's refresh token is still expected_refresh
	 *  (compare-and-swap); else SC_ECONFLICT.  Must be atomic across
	 *  every process sharing the store. */
	int (*save)(struct sc_token_store *store, const char *key,
		    const char *expected_refresh, const char *refresh,
		    const char *json);
	/** Remove key. */
	int (*remove)(struct sc_token_store *store, const char *key);
	/** Release the store. */
	void (*free)(struct sc_token_store *store);

	/* Version 2 and later; each may be NULL. */

	/** Hold key against every other process and host sharing the store
	 *  while the calling thread refreshes it (waiting while another
	 *  holds it).  Until unlock(), load() and save() of key from this
	 *  thread run under the hold, and a save() releases it once the new
	 *  set is durable.  Without lock(), races are settled by the
	 *  compare-and-swap in save() alone.  0 or SC_ESTORAGE. */
	int (*lock)(struct sc_token_store *store, const char *key);
	/** Release what lock() holds (nothing is left after a save). */
	void (*unlock)(struct sc_token_store *store, const char *key);
	/** Shared cool-downs: seconds left for the whole application and
	 *  for vehicle_id (NULL: none asked), 0 when not cooling down. */
	int (*cooldown_get)(struct sc_token_store *store,
			    const char *vehicle_id, double *app_left,
			    double *vehicle_left);
	/** Record a cool-down of seconds for vehicle_id (NULL: the whole
	 *  application), keeping a longer one already recorded. */
	int (*cooldown_put)(struct sc_token_store *store,
			    const char *vehicle_id, double seconds);

	/* Version 3 and later: refresh leases, so that a refresh cut short
	 * by a crash is noticed.  All three or none (NULL).
	 *
	 * Before it sends a refresh grant the library records a lease on
	 * the key (its owner, "host:pid:nonce", and a deadline in Unix
	 * seconds); the save() of the new set ends it.  A lease still there
	 * after its deadline, or whose owner process is gone, means the
	 * stored refresh token may have been used by a grant whose answer
	 * was lost: the next call that reads it refreshes at once, while
	 * the old token still works (Smartcar's grace window). */

	/** Record owner's lease on key until deadline, durably, only if the
	 *  lease there now is held by expected_owner (NULL: no lease) and
	 *  the stored set's refresh token is still expected_refresh; else
	 *  SC_ECONFLICT (SC_ENOTFOUND when key holds no set).  Atomic across
	 *  every process sharing the store.  A save() of key removes the
	 *  lease. */
	int (*lease_take)(struct sc_token_store *store, const char *key,
			  const char *expected_owner,
			  const char *expected_refresh, const char *owner,
			  double deadline);
	/** The lease on key: *owner_out (malloc'd, freed by the library
	 *  with free()) and its deadline; SC_ENOTFOUND when there is none. */
	int (*lease_get)(struct sc_token_store *store, const char *key,
			 char **owner_out, double *deadline_out);
	/** End owner's lease without a new set: its deadline becomes 0, so
	 *  the next reader refreshes at once (the grant may have reached
	 *  the server).  0 also when owner no longer holds it. */
	int (*lease_end)(struct sc_token_store *store, const char *key,
			 const char *owner);
};

/**
 * The operations of a store made of one host function
 * (sc_token_store_host_new).
 */
enum {
	SC_STORE_HOST_LOAD = 1,
	SC_STORE_HOST_SAVE,
	SC_STORE_HOST_REMOVE,
	SC_STORE_HOST_LEASE_TAKE,
	SC_STORE_HOST_LEASE_GET,
	SC_STORE_HOST_LEASE_END,
	SC_STORE_HOST_LOCK,
	SC_STORE_HOST_UNLOCK
};

/** sc_token_store_host_new() flags: the host keeps refresh leases
 *  (version 3); the host's save writes without comparing, and the
 *  library makes the compare-and-swap itself under the host's lock: it
 *  asks LOCK until it answers 0 (SC_ECONFLICT: held elsewhere, asked
 *  again 50 us later, for 1 s at most, then SC_ESTORAGE), then LOAD, the
 *  comparison, SAVE (a: NULL) and UNLOCK. */
#define SC_STORE_HOST_LEASES 1
#define SC_STORE_HOST_LOCKED_SAVE 2

/**
 * The one function of a host store: operation @p op on @p key, with the
 * store function's other arguments in order: save's expected_refresh,
 * refresh and json as @p a, @p b, @p c; lease_take's expected_owner,
 * expected_refresh and owner as a, b, c and its deadline as @p number;
 * lease_end's owner as a (NULL where a function has fewer; LOCK and
 * UNLOCK have none).  load sets
 * *text_out to the JSON, lease_get to the owner (malloc'd; freed by the
 * library with free()) and *number_out to the deadline.  Returns what
 * the store function returns (sc_token_store above).
 */
typedef int (*sc_store_host_fn)(void *ctx, int op, const char *key,
				const char *a, const char *b, const char *c,
				double number, char **text_out,
				double *number_out);

/**
 * A token store whose functions all call @p fn with @p ctx: for a
 * binding that cannot give each function of sc_token_store a function
 * of its own (LuaJIT FFI callbacks are costly to make).  @p flags:
 * SC_STORE_HOST_LEASES (it also keeps refresh leases: version 3, else
 * version 1) and SC_STORE_HOST_LOCKED_SAVE, above.
 * @return 0, SC_EINVAL (no out or fn) or SC_ENOMEM.
 * Ownership: free with sc_token_store_free() (which frees only the store
 * itself: ctx is the host's).
 */
SC_EXTERN(int) sc_token_store_host_new(sc_token_store **out,
				       sc_store_host_fn fn, void *ctx,
				       int flags);

SC_END_DECL

#endif
