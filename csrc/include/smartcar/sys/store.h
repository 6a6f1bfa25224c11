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

#define SC_TOKEN_STORE_VERSION 1

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
};

SC_END_DECL

#endif
