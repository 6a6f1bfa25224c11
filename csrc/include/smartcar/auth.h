/**
 * @file smartcar/auth.h
 * @brief Smartcar Connect (authorization URL, redirect parsing) and the
 *        token endpoint (code exchange, refresh).
 */
#ifndef SMARTCAR_AUTH_H
#define SMARTCAR_AUTH_H

#include <stdint.h>

#include "common.h"
#include "errors.h"
#include "params.h"
#include "client.h"
#include "result.h"

SC_BEGIN_DECL

/**
 * Build the Connect URL the vehicle owner's browser is sent to.
 *
 * Parameters read from @p params (all optional):
 *  - "scope": space-separated permissions; "required:" marks mandatory ones
 *  - "force_prompt": "true" sends approval_prompt=force
 *  - "state": echoed back on the redirect; when absent a random one is made
 *  - "make" (or, as the official SDKs name the option, "make_bypass"),
 *    "single_select" ("true"/"false", or a JSON object {"enabled":
 *    boolean, "vin": string}, each optional: a binding's table),
 *    "single_select_vin" (which implies single_select=true), "flags"
 *    ("k:v k:v"), "user",
 *    "mode" (overrides the client's mode)
 *
 * @param url_out receives the URL.
 * @param state_out if not NULL, receives the state that was sent.
 * @param err_out if not NULL, receives the detail of a failure (free it
 *        with sc_error_free()).
 * @return 0, SC_EINVAL (no client id, no redirect URI, a bad mode or
 *         approval_prompt) or SC_ENOMEM.
 * Ownership: free both strings with sc_free().
 */
SC_EXTERN(int) sc_auth_url(char **url_out, char **state_out,
			   const sc_client *client, const sc_params *params,
			   sc_error **err_out);

/**
 * Make a random state value (32 hex characters from the OS CSPRNG).
 * Ownership: free with sc_free().
 */
SC_EXTERN(int) sc_random_state(char **out);

/**
 * Seal a Connect state for the browser to keep (a cookie) until the
 * callback: "S.E.M", S the state percent-encoded, E @p expires (Unix
 * seconds), M the hex HMAC-SHA256 of "sc_state:S.E" keyed by @p secret.
 * @return 0, or SC_EINVAL (no state, or a secret under 16 bytes).
 * Ownership: free @p *out with sc_free().
 */
SC_EXTERN(int) sc_state_seal(char **out, const char *secret,
			     const char *state, int64_t expires);

/**
 * The state a value of sc_state_seal() holds, its signature checked in
 * constant time and its expiry against @p now (Unix seconds).
 * @return 0 with the state in @p *out; SC_ESTATE when the value is
 * malformed, forged or expired (the error says which); SC_EINVAL.
 * Ownership: free @p *out with sc_free().
 */
SC_EXTERN(int) sc_state_open(char **out, const char *secret,
			     const char *sealed, int64_t now,
			     sc_error **err_out);

/**
 * The Set-Cookie header value that keeps @p value (a sealed state, or
 * the id it is kept under) in the browser as @p name at @p path (NULL:
 * "/") for @p max_age seconds (0 deletes it): HttpOnly, SameSite=Lax and,
 * unless @p secure is 0, Secure.
 * @return 0, or SC_EINVAL (a name that is not a token, a value or path
 * with bytes a cookie cannot hold, a negative age).
 * Ownership: free @p *out with sc_free().
 */
SC_EXTERN(int) sc_state_cookie(char **out, const char *name,
			       const char *value, const char *path,
			       long max_age, int secure);

/**
 * Parse the redirect that Connect sent to the app: a full URL
 * ("https://app/cb?code=...&state=...") or just its query string.
 *
 * Success data: {code, state, user_id?, external_id?, virtual_key_url?}
 * (or {vehicle_id, state} for the re-authentication flow).
 * Errors: SC_ECONNECT with type = the Connect error (access_denied,
 * vehicle_incompatible, invalid_subscription, no_vehicles,
 * configuration_error, server_error), description, and vin / make /
 * model / year or status_code / error_message when sent;
 * SC_ESTATE when @p expected_state is not NULL and differs (compared in
 * constant time); SC_EINVAL when there is neither a code nor an error, or
 * when code, state or error appears more than once (a tampered URL).
 *
 * @return 0 or a negative code; @p *out is set in both cases (except
 *         SC_ENOMEM).  Ownership: free with sc_result_free().
 */
SC_EXTERN(int) sc_parse_redirect(sc_result **out, const char *url_or_query,
				 const char *expected_state);

/**
 * Exchange an authorization code for a token set (blocking).
 * @p params may carry "flags".  Result data: see result.h.
 * @return 0 or a negative code; @p *out holds the data or the error.
 */
SC_EXTERN(int) sc_exchange_code(sc_result **out, sc_client *client,
				const char *code, const sc_params *params);

/**
 * Exchange a refresh token for a new token set (blocking).  Refresh
 * tokens rotate: store the new one before using the new access token.
 */
SC_EXTERN(int) sc_exchange_refresh_token(sc_result **out, sc_client *client,
					 const char *refresh_token,
					 const sc_params *params);

SC_END_DECL

#endif
