/**
 * @file smartcar/client.h
 * @brief sc_client: application credentials, origins, defaults and the
 *        connection pool.
 */
#ifndef SMARTCAR_CLIENT_H
#define SMARTCAR_CLIENT_H

#include "common.h"
#include "errors.h"
#include "params.h"

SC_BEGIN_DECL

typedef struct sc_client sc_client;

#define SC_CLIENT_OPTIONS_VERSION 2

/**
 * Client configuration.  Every string is optional and copied.  Origins
 * left NULL come from SMARTCAR_CONNECT_ORIGIN, SMARTCAR_AUTH_ORIGIN,
 * SMARTCAR_API_ORIGIN and SMARTCAR_MANAGEMENT_API_ORIGIN, read when the
 * client is created, and otherwise from Smartcar's production origins.
 * SMARTCAR_AUTH_ORIGIN may be an origin or the full token URL (as the
 * Python SDK uses it); both work.
 */
typedef struct sc_client_options {
	unsigned int version; /**< SC_CLIENT_OPTIONS_VERSION */
	/* The fields, one per line of smartcar/client_options.def (each
	 * documented there and in docs/client-options.md). */
#define SC_OPTION(kind, ctype, name, since, doc) ctype name;
#include "client_options.def"
#undef SC_OPTION
} sc_client_options;

#define SC_CLIENT_OPTIONS_INIT { SC_CLIENT_OPTIONS_VERSION, 0 }

/**
 * Fill @p opts with defaults for @p version.
 * @return 0, or SC_EINVAL for an unknown version.
 */
SC_EXTERN(int) sc_client_options_init(sc_client_options *opts,
				      unsigned int version);

/**
 * Create a client.
 * @param out receives the client.
 * @param opts options, or NULL for all defaults.
 * @param err_out if not NULL, receives the error detail on failure
 *        (free with sc_error_free()).
 * @return 0, SC_EINVAL (bad mode, origin, unit system...) or SC_ENOMEM.
 * Ownership: free the client with sc_client_free().
 * Thread-safety: the client may be shared between threads.
 */
SC_EXTERN(int) sc_client_new(sc_client **out, const sc_client_options *opts,
			     sc_error **err_out);

/**
 * Create a client from options given as text, for bindings that hold
 * them in a table: the names of the sc_client_options fields, integers in
 * decimal, booleans "true"/"false" (or "1"/"0"), numbers as text.
 * @return as sc_client_new(), plus SC_EINVAL for an unknown name or a
 *         value that is not of its field's type (the message names it).
 * Ownership: free the client with sc_client_free(); @p opts is not kept.
 */
SC_EXTERN(int) sc_client_new_params(sc_client **out, const sc_params *opts,
				    sc_error **err_out);

/**
 * The type of the client option @p name: "string", "integer", "number",
 * "boolean", or NULL when there is no such option.
 * Ownership: a static string.
 */
SC_EXTERN(const char *) sc_client_option_type(const char *name);

/** The name of the @p i th client option (from 0, in struct order), or
 * NULL past the last.  Ownership: a static string. */
SC_EXTERN(const char *) sc_client_option_name(size_t i);

/** The name of the @p i th environment variable (from 0) a client reads
 * its hosts, CA bundle or credentials from (SMARTCAR_*_ORIGIN,
 * REQUESTS_CA_BUNDLE, SMARTCAR_CLIENT_ID...), or NULL past the last: a
 * binding that shares a client makes a new one when one of them changed.
 * Ownership: a static string. */
SC_EXTERN(const char *) sc_client_env_name(size_t i);

/** Free a client and close its connections.  Accepts NULL. */
SC_EXTERN(void) sc_client_free(sc_client *client);

/**
 * Read a configuration value: "client_id", "redirect_uri", "mode",
 * "connect_origin", "auth_url" (the full token URL), "api_origin",
 * "management_origin", "vehicle_api_origin", "iam_origin", "api_version",
 * "unit_system", "user_agent", "flags", "ca_bundle".
 * The client secret cannot be read back: "client_secret_set" is "1" when
 * the client has one (given or from SMARTCAR_CLIENT_SECRET), else NULL.
 * Ownership: borrowed from @p client.
 */
SC_EXTERN(const char *) sc_client_get(const sc_client *client,
				      const char *key);

/**
 * Change the timeouts (milliseconds; 0 keeps the current value).
 * @return 0 or SC_EINVAL for a negative value.
 * Thread-safety: affects calls that start afterwards.
 */
SC_EXTERN(int) sc_client_set_timeouts(sc_client *client,
				      long connect_timeout_ms,
				      long timeout_ms);

/**
 * Debug hook: receives each request and response line by line, with
 * tokens, secrets, codes and token responses replaced by [REDACTED].
 * @param direction '>' for request lines, '<' for response lines.
 */
typedef void (*sc_debug_cb)(void *payload, int direction, const char *line);

/**
 * Install (or with NULL remove) the debug hook.  Set it before sharing
 * the client between threads; the hook may then be called from several
 * threads at once.
 */
SC_EXTERN(int) sc_client_set_debug(sc_client *client, sc_debug_cb cb,
				   void *payload);

/**
 * Number of new connections the client has opened so far (TCP or TLS).
 * A client that reuses its connections keeps this at one per origin.
 */
SC_EXTERN(long) sc_client_connections_opened(const sc_client *client);

SC_END_DECL

#endif
