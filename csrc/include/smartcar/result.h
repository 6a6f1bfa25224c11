/**
 * @file smartcar/result.h
 * @brief sc_result: what a call produced, data or error.
 *
 * Data is a JSON object with snake_case keys, the same in every language:
 *  - token sets: access_token, token_type, expires_in, expiration,
 *    refresh_token, refresh_expiration (expirations are Unix seconds with
 *    millisecond precision);
 *  - Vehicle API reads: the body's fields in snake_case plus "meta"
 *    {data_age, unit_system, request_id, fetched_at} holding only the
 *    headers the server sent;
 *  - redirects: code, state (and user_id, external_id, virtual_key_url
 *    when present).
 */
#ifndef SMARTCAR_RESULT_H
#define SMARTCAR_RESULT_H

#include "common.h"
#include "errors.h"

SC_BEGIN_DECL

typedef struct sc_result sc_result;
struct cJSON;

/**
 * The data object, or NULL when the call failed.
 * Ownership: borrowed from @p res.
 */
SC_EXTERN(const struct cJSON *) sc_result_data(const sc_result *res);

/**
 * The error, or NULL when the call succeeded.
 * Ownership: borrowed from @p res.
 */
SC_EXTERN(const sc_error *) sc_result_error(const sc_result *res);

/**
 * A string value by dotted path ("meta.request_id", "vehicles.0"), or
 * NULL when absent or not a string.  Ownership: borrowed from @p res.
 */
SC_EXTERN(const char *) sc_result_get_string(const sc_result *res,
					     const char *path);

/**
 * A number by dotted path ("distance", "paging.count").
 * @return 0, or SC_EINVAL when absent or not a number.
 */
SC_EXTERN(int) sc_result_get_number(const sc_result *res, const char *path,
				    double *out);

/**
 * The data (or the error object when the call failed) as compact JSON.
 * Ownership: free @p *out with sc_free().
 */
SC_EXTERN(int) sc_result_to_json(char **out, const sc_result *res);

/** Free a result.  Accepts NULL.  Tokens are wiped before release. */
SC_EXTERN(void) sc_result_free(sc_result *res);

SC_END_DECL

#endif
