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
 * v4: {eventId, eventType, data, meta}).  Data, snake_case keys:
 *  - "version": "2.0" or "4.0"
 *  - "event_type": VERIFY, VEHICLE_STATE, VEHICLE_ERROR (v4), or the v2
 *    eventName upper-cased (VERIFY, EVENTBASED, SCHEDULE, DYNAMIC)
 *  - "event_id", "webhook_id", "webhook_name", "delivery_id",
 *    "delivered_at", "mode", "challenge" (VERIFY), "user_id",
 *    "vehicle_id" when present
 *  - "payload": the v2 payload or the v4 data object (snake_case keys)
 *  - "signals" (v4) and "triggers" (v4) when present
 * @return 0, or SC_EMALFORMED with the reason in the result's error.
 * Ownership: free @p *out with sc_result_free().
 */
SC_EXTERN(int) sc_webhook_parse(sc_result **out, const char *body,
				size_t len);

SC_END_DECL

#endif
