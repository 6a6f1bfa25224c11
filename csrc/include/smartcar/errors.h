/**
 * @file smartcar/errors.h
 * @brief Error codes (from errors.def) and the sc_error detail object.
 *
 * A failed operation yields an sc_error describing it: the local kind
 * (network, timeout, oauth, api...), and for server errors every field of
 * Smartcar's error body (type, code, description, doc_url, status_code,
 * request_id, resolution, suggested_user_message, detail, retry_after).
 * No error ever contains an access token, refresh token, client secret or
 * authorization code.
 */
#ifndef SMARTCAR_ERRORS_H
#define SMARTCAR_ERRORS_H

#include "common.h"

SC_BEGIN_DECL

/* How many codes errors.def lists (they are -1 down to -count). */
enum sc_error_count_ {
#define SC_ERROR(sym, val, kind, msg) SC_ERROR_INDEX_##sym,
#include "errors.def"
#undef SC_ERROR
	SC_ERROR_COUNT_
};

/** Return codes.  0 is success; failures are negative. */
typedef enum sc_code {
	SC_OK = 0,
#define SC_ERROR(sym, val, kind, msg) SC_##sym = val,
#include "errors.def"
#undef SC_ERROR
	/** One past the last code: every code c has SC_ERROR_LAST_ < c < 0. */
	SC_ERROR_LAST_ = -1 - (int)SC_ERROR_COUNT_
} sc_code;

/** Opaque error detail. */
typedef struct sc_error sc_error;

/**
 * Static English text for a code ("operation timed out").
 * Ownership: static storage.
 */
SC_EXTERN(const char *) sc_strerror(int code);

/**
 * Stable kind name for a code ("timeout", "oauth", "api"...), or NULL for
 * an unknown code.  Ownership: static storage.
 */
SC_EXTERN(const char *) sc_code_kind(int code);

/** The SC_E* code of this error. */
SC_EXTERN(int) sc_error_code(const sc_error *err);

/**
 * The human-readable message.  For Smartcar API errors it reads
 * "TYPE:CODE - description" like the official SDKs.
 * Ownership: borrowed from @p err.
 */
SC_EXTERN(const char *) sc_error_message(const sc_error *err);

/**
 * The message of an error from its fields, worded as the official SDKs
 * word a Smartcar API error: "TYPE:CODE - description", "TYPE -
 * description" without a code, else the description (or "Smartcar
 * error").  Any argument may be NULL.  Ownership: free with sc_free().
 */
SC_EXTERN(int) sc_error_message_of(char **out, const char *type,
				   const char *code, const char *description);

/**
 * One string field of the error, or NULL when absent.  Fields: "kind",
 * "type", "category" (for Smartcar API errors: the v2 type, also for an
 * API v1 body, whose "error" value is its type: "authentication_error"
 * has category "AUTHENTICATION"), "code", "description", "doc_url",
 * "request_id",
 * "resolution_type", "resolution_url", "suggested_user_message",
 * "message", and for Connect errors "vin", "make", "model", "year",
 * "error_message".  Ownership: borrowed from @p err.
 */
SC_EXTERN(const char *) sc_error_get(const sc_error *err, const char *field);

/** HTTP status of the failed exchange, or 0 when none was received. */
SC_EXTERN(int) sc_error_status_code(const sc_error *err);

/** Seconds from Retry-After, or -1 when the server sent none. */
SC_EXTERN(double) sc_error_retry_after(const sc_error *err);

/** Requests made for this operation (1 + retries); 0 when the error
 *  happened before any request (bad arguments, redirect parsing). */
SC_EXTERN(int) sc_error_attempts(const sc_error *err);

struct cJSON;

/**
 * The whole error as a JSON object: the string fields named above plus
 * "status_code", "retry_after", "attempts", "resolution" {type?, url?}
 * and "detail" (array).  A field the server sent as null, or did not
 * send, is absent (never a JSON null).  Bindings convert this tree.
 * Ownership: borrowed from @p err; valid until it is freed.
 */
SC_EXTERN(const struct cJSON *) sc_error_object(const sc_error *err);

/**
 * The same object as compact JSON text.
 * Ownership: the caller frees @p *out with sc_free().
 */
SC_EXTERN(int) sc_error_to_json(char **out, const sc_error *err);

/** Free an error that the caller owns.  Accepts NULL. */
SC_EXTERN(void) sc_error_free(sc_error *err);

SC_END_DECL

#endif
