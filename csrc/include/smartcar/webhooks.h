/**
 * @file smartcar/webhooks.h
 * @brief Webhooks: payload signatures, the VERIFY challenge, and parsing
 *        deliveries in the v2 and v4 shapes.
 *
 * Smartcar signs each delivery with `SC-Signature`: the lower-case hex
 * HMAC-SHA256 of the raw request body, keyed by the application
 * management token (AMT).  Verify the raw bytes before parsing them.
 */
#ifndef SMARTCAR_WEBHOOKS_H
#define SMARTCAR_WEBHOOKS_H

#include <stdint.h>

#include "common.h"
#include "result.h"

SC_BEGIN_DECL

/**
 * Lower-case hex HMAC-SHA256 of @p data keyed by @p key.
 * @return 0, SC_EINVAL or SC_ENOMEM.
 * Ownership: free @p *out with sc_free().
 */
SC_EXTERN(int) sc_hmac_sha256_hex(char **out, const char *key,
				  const char *data, size_t len);

/**
 * The answer to a VERIFY challenge: hex HMAC-SHA256(key = AMT,
 * message = challenge).  Reply with {"challenge": "<this>"}.
 * Ownership: free @p *out with sc_free().
 */
SC_EXTERN(int) sc_webhook_challenge(char **out, const char *amt,
				    const char *challenge);

/**
 * Check a delivery's signature against its raw body, in constant time.
 * Hex digits are compared case-insensitively.
 * @return 1 when @p signature is the body's signature, 0 when it is not
 *         (or any argument is NULL).
 */
SC_EXTERN(int) sc_webhook_verify(const char *amt, const char *signature,
				 const char *body, size_t len);

/**
 * Parse a delivery body (v2: {version, webhookId, eventName, payload};
 * v4: {eventId, eventType, data, triggers, meta}).  Data, snake_case
 * keys, each when present:
 *  - "version": "2.0" or "4.0"
 *  - "event_type": VERIFY, VEHICLE_STATE, VEHICLE_ERROR (v4), or the v2
 *    eventName upper-cased (VERIFY, EVENTBASED, SCHEDULE, DYNAMIC)
 *  - "event_id" (the dedupe key: the same on every retry), "webhook_id",
 *    "webhook_name", "delivery_id", "mode", "challenge" (VERIFY),
 *    "user_id", "user_external_id", "vehicle_id"
 *  - "delivered_at": epoch milliseconds (sent as milliseconds, seconds
 *    or ISO-8601 text)
 *  - "payload": the v2 payload or the v4 data object (snake_case keys)
 *  - v4 "signals": data.signals, their meta times in epoch milliseconds;
 *    "rows": the same signals flattened (sc_signal_rows)
 *  - v4 "triggers": from the top level or from data, each
 *    {"type", "signal": {"code", "name", "group"}} (a {"code":
 *    "FIRST_DELIVERY"} trigger becomes {"type": "FIRST_DELIVERY"}); and
 *    "first_delivery": true when one of them is FIRST_DELIVERY
 *  - v4 "errors" (VEHICLE_ERROR): data.errors with snake_case keys, each
 *    one's "signals" as objects {"code", "name", "group"} whether they
 *    were sent as "Group.Name" strings or as objects
 * @return 0, or SC_EMALFORMED with the reason in the result's error.
 * Ownership: free @p *out with sc_result_free().
 */
SC_EXTERN(int) sc_webhook_parse(sc_result **out, const char *body,
				size_t len);

/**
 * Recently seen event ids: a bounded, thread-safe set that tells a
 * first delivery from a repeat (Smartcar delivers at least once and
 * keeps the eventId across retries).  Ids are forgotten oldest first
 * when the set is full or when they are older than its time to live.
 */
typedef struct sc_webhook_seen sc_webhook_seen;

/** sc_webhook_seen_check(): the id was not seen before (now it is). */
#define SC_WEBHOOK_FIRST 1
/** sc_webhook_seen_check(): the id was seen within the time to live. */
#define SC_WEBHOOK_DUPLICATE 0

/**
 * A set remembering up to @p capacity ids (1 .. 2^26) for @p ttl_ms
 * milliseconds each (0: until evicted by capacity).
 * @return 0, SC_EINVAL or SC_ENOMEM.
 * Ownership: free @p *out with sc_webhook_seen_free().
 */
SC_EXTERN(int) sc_webhook_seen_new(sc_webhook_seen **out, size_t capacity,
				   int64_t ttl_ms);

/**
 * A persistent set: event ids in the table smartcar_webhook_events of the
 * SQLite database at @p path (created when missing; the token store's
 * file will do), kept @p ttl_ms milliseconds (required, > 0; expired rows
 * are deleted as checks go by).  Processes and threads sharing the file
 * agree on what is a repeat.
 * @return 0, SC_EINVAL, SC_ENOMEM or SC_ESTORAGE (@p *err_out says why;
 *         may be NULL).
 * Ownership: free @p *out with sc_webhook_seen_free(), @p *err_out with
 * sc_error_free().
 */
SC_EXTERN(int) sc_webhook_seen_open_sqlite(sc_webhook_seen **out,
					   const char *path, int64_t ttl_ms,
					   sc_error **err_out);

/**
 * The same on PostgreSQL: the table smartcar_webhook_events of the
 * database @p conninfo names (libpq keywords or URI; NULL or "": the PG*
 * variables), so every host using it agrees.  @p ttl_ms required (> 0).
 * @return as sc_webhook_seen_open_sqlite(); SC_ESTORAGE too when the
 *         library was built without libpq.
 * Ownership: as sc_webhook_seen_open_sqlite().
 */
SC_EXTERN(int) sc_webhook_seen_open_postgres(sc_webhook_seen **out,
					     const char *conninfo,
					     int64_t ttl_ms,
					     sc_error **err_out);

/**
 * The set its options ask for: on PostgreSQL when @p conninfo is not NULL
 * (sc_webhook_seen_open_postgres), else in the SQLite file @p path when
 * it is not NULL (sc_webhook_seen_open_sqlite), else in memory for up to
 * @p capacity ids (sc_webhook_seen_new); each for @p ttl_ms.
 * @return as the one it calls (err_out is NULL for one in memory).
 */
SC_EXTERN(int) sc_webhook_seen_open(sc_webhook_seen **out, size_t capacity,
				    int64_t ttl_ms, const char *path,
				    const char *conninfo, sc_error **err_out);

/** Free the set; accepts NULL. */
SC_EXTERN(void) sc_webhook_seen_free(sc_webhook_seen *seen);

/**
 * Record @p event_id (1 to 256 bytes) at @p now_ms (epoch milliseconds;
 * 0 or less: the system clock) and say whether it was new.
 * @return SC_WEBHOOK_FIRST, SC_WEBHOOK_DUPLICATE, or SC_EINVAL /
 *         SC_ENOMEM / SC_ESTORAGE (a persistent set's database failed).
 * Thread-safety: any number of threads may share one set.
 */
SC_EXTERN(int) sc_webhook_seen_check(sc_webhook_seen *seen,
				     const char *event_id, int64_t now_ms);

/**
 * Forget @p event_id, so that its next delivery counts as the first
 * (for a receiver that failed to handle the event it recorded).
 * @return 0, SC_ENOTFOUND or SC_EINVAL.
 * Thread-safety: as sc_webhook_seen_check().
 */
SC_EXTERN(int) sc_webhook_seen_forget(sc_webhook_seen *seen,
				      const char *event_id);

/** How many ids the set holds now (expired ones included until the next
 *  check drops them). Thread-safety: as sc_webhook_seen_check(). */
SC_EXTERN(size_t) sc_webhook_seen_count(sc_webhook_seen *seen);

/**
 * Receive one delivery: the whole rule in one call.
 *
 * A VERIFY event (v4 VERIFY deliveries are not signed) is answered
 * whatever its signature: the result's "reply" is the JSON text
 * {"challenge": "<hex HMAC-SHA256(amt, challenge)>"}.  A challenge that
 * is not a short token (over 256 bytes, or holding quotes or braces) is
 * refused as malformed, so a forged VERIFY cannot make the receiver
 * sign a delivery body of the forger's choosing.  Every other event must
 * carry @p signature (the SC-Signature header), checked against the raw
 * @p body in constant time before its fields are used; its "reply" is
 * {"status":"received"}.  With @p seen (may be NULL) the event id is
 * recorded and the result's "duplicate" is true for a repeat.
 *
 * Data: sc_webhook_parse()'s, plus "reply" (answer it with HTTP 200 and
 * this body) and "duplicate" (boolean).
 * @return 0; SC_ESIGNATURE (answer 401) for a missing or wrong
 *         signature; SC_EMALFORMED (answer 400) for a body that is not a
 *         delivery; SC_EINVAL for a NULL @p amt.  The error is in the
 *         result and never holds the AMT or the signature.
 * Ownership: free @p *out with sc_result_free().
 * Thread-safety: as sc_webhook_seen_check() for @p seen.
 */
SC_EXTERN(int) sc_webhook_receive(sc_result **out, const char *amt,
				  const char *signature, const char *body,
				  size_t len, sc_webhook_seen *seen);

SC_END_DECL

#endif
