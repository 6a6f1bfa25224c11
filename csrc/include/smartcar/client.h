/**
 * @file smartcar/client.h
 * @brief sc_client: application credentials, origins, defaults and the
 *        connection pool.
 */
#ifndef SMARTCAR_CLIENT_H
#define SMARTCAR_CLIENT_H

#include "common.h"
#include "errors.h"

SC_BEGIN_DECL

typedef struct sc_client sc_client;

#define SC_CLIENT_OPTIONS_VERSION 1

/**
 * Client configuration.  Every string is optional and copied.  Origins
 * left NULL come from SMARTCAR_CONNECT_ORIGIN, SMARTCAR_AUTH_ORIGIN,
 * SMARTCAR_API_ORIGIN and SMARTCAR_MANAGEMENT_API_ORIGIN, read when the
 * client is created, and otherwise from Smartcar's production origins.
 * SMARTCAR_AUTH_ORIGIN may be an origin or the full token URL (as the
 * Python SDK uses it); both work.
 */
typedef struct sc_client_options {
	unsigned int version;       /**< SC_CLIENT_OPTIONS_VERSION */
	const char *client_id;      /**< default: $SMARTCAR_CLIENT_ID */
	const char *client_secret;  /**< default: $SMARTCAR_CLIENT_SECRET */
	const char *redirect_uri;   /**< default: $SMARTCAR_REDIRECT_URI */
	const char *mode;           /**< "live" (default), "test", "simulated" */
	const char *connect_origin; /**< https://connect.smartcar.com */
	const char *auth_origin;    /**< https://auth.smartcar.com */
	const char *api_origin;     /**< https://api.smartcar.com */
	const char *management_origin; /**< https://management.smartcar.com */
	const char *api_version;    /**< "2.0" (default) */
	const char *unit_system;    /**< "metric" (default) or "imperial" */
	const char *user_agent_suffix; /**< appended to the User-Agent */
	long connect_timeout_ms;    /**< 0: default 10000 */
	long timeout_ms;            /**< total per request; 0: default 60000 */
	size_t max_response_bytes;  /**< 0: default 4 MiB */
	int allow_insecure_http;    /**< allow http:// to non-loopback hosts */
	/** Turn TLS certificate and host verification off.  Dangerous:
	 *  anyone on the path can read and change the traffic.  For local
	 *  test servers only. */
	int insecure_skip_tls_verify_dangerous;
	const char *ca_bundle;      /**< PEM file of trusted CAs (CURLOPT_CAINFO);
	                                 default: $REQUESTS_CA_BUNDLE, then
	                                 $CURL_CA_BUNDLE, then $SSL_CERT_FILE */
	const char *proxy;          /**< proxy URL; default: the usual
	                                 http_proxy/https_proxy/no_proxy env */
	const char *flags;          /**< default feature flags "k:v k:v" */
	/* Retries of reads (GET, batch, refresh) on 429, on 5xx answers
	 * whose resolution is RETRY_LATER and on transport errors; commands
	 * are resent only when they certainly never left this machine. */
	int max_attempts;           /**< 0: default 3; 1 turns retries off */
	long retry_base_ms;         /**< first backoff; 0: default 200 */
	long retry_max_ms;          /**< backoff cap; 0: default 8000 */
	long retry_deadline_ms;     /**< total time for all attempts;
	                                 0: default 30000 */
	/* Local rate awareness. */
	double rate_limit_capacity; /**< token bucket size; 0: off */
	double rate_limit_per_minute; /**< refill rate; 0 with a capacity:
	                                   Smartcar's default, 2 per minute */
	const char *rate_policy;    /**< "wait" (default): sleep until a
	                                 request may go; "fail": fail at once
	                                 with SC_ERATELIMIT and retry_after;
	                                 "off": no local limits or cool-downs */
	/* Vehicle API v3 and API Authentication (client-credentials). */
	const char *vehicle_api_origin; /**< https://vehicle.api.smartcar.com;
	                                     env SMARTCAR_VEHICLE_API_V3_ORIGIN
	                                     (the Python SDK's name), then
	                                     SMARTCAR_API_V3_ORIGIN, then
	                                     SMARTCAR_VEHICLE_API_ORIGIN */
	const char *iam_origin;     /**< https://iam.smartcar.com;
	                                 env SMARTCAR_IAM_ORIGIN */
	/** NULL or "native": the defaults above.  "official": behave as the
	 *  official Smartcar SDKs do: no automatic retries (max_attempts
	 *  defaults to 1), no local rate awareness (rate_policy defaults to
	 *  "off": no waits, no cool-downs learned from Retry-After), and
	 *  get_compatibility sends "mode" only to API version 1.x.  Options
	 *  set explicitly still win. */
	const char *profile;
	/** Idle connections (with their handles) kept open at least;
	 *  0: 16.  The pool keeps up to twice the most calls the client
	 *  ever had in flight at once, when that is more. */
	long connection_pool_size;
	/** Cap on a server-imposed cool-down (Retry-After on a 429);
	 *  0: default 3600000 (1 hour). */
	long max_cooldown_ms;
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

/** Free a client and close its connections.  Accepts NULL. */
SC_EXTERN(void) sc_client_free(sc_client *client);

/**
 * Read a configuration value: "client_id", "redirect_uri", "mode",
 * "connect_origin", "auth_url" (the full token URL), "api_origin",
 * "management_origin", "vehicle_api_origin", "iam_origin", "api_version",
 * "unit_system", "user_agent", "flags", "ca_bundle".
 * The client secret cannot be read back.
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
