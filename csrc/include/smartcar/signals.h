/**
 * @file smartcar/signals.h
 * @brief API v3 signals as data: one time type, and flat rows.
 *
 * Smartcar sends a signal's times (`meta.retrievedAt`,
 * `meta.oemUpdatedAt`, `meta.ingestedAt`) as epoch milliseconds in
 * webhook deliveries and either as integers or ISO-8601 text over REST.
 * The library turns every one of them into epoch milliseconds (int64),
 * in the results of get_signals / get_signal, in parsed webhooks and in
 * the rows below.
 */
#ifndef SMARTCAR_SIGNALS_H
#define SMARTCAR_SIGNALS_H

#include <stdint.h>

#include "common.h"
#include "result.h"

SC_BEGIN_DECL

/**
 * Parse a time into epoch milliseconds.
 *
 * Accepts an ISO-8601 date-time (`2026-12-04T10:00:00.123Z`, with `Z`, a
 * `+HH:MM`/`-HHMM` offset, or no zone, read as UTC; `T` or a space; or a
 * date alone, midnight UTC) or a decimal number.  A number of magnitude
 * below 1e11 is taken as seconds (1e11 seconds is the year 5138, 1e11
 * milliseconds is 1973), anything larger as milliseconds.
 * @param out  the time, epoch milliseconds
 * @param text the text (need not be NUL-terminated), @p len bytes
 * @return 0, or SC_EINVAL when it is not a time between the years 0 and
 *         9999.
 * Thread-safety: pure.
 */
SC_EXTERN(int) sc_time_parse_ms(int64_t *out, const char *text, size_t len);

/**
 * Flatten a list of signals into rows, one per signal.
 *
 * @p json (@p len bytes) may be the body of `GET /v3/vehicles/{id}/signals`
 * or `.../signals/{code}` (with or without the `data` wrapper), the data of
 * their results (snake_case keys), a v4 webhook delivery (`data.signals`)
 * or a parsed one (sc_webhook_parse), the official Python SDK's
 * `{"body", "headers"}` response, or a bare array of signals; a signal
 * may also be flat (a row, or a binding's signal: its times and error
 * beside its code, not in meta and status).
 *
 * The result's data is `{"rows": [...]}`; every row has the same keys:
 * `code`, `name`, `group`, `value` (the body's `value`, or for a body
 * without one, such as a location, the body without its `unit`), `unit`,
 * `status` (`SUCCESS`, `ERROR`...), `error_type`, `error_code`,
 * `retrieved_at`, `oem_updated_at`, `ingested_at` (epoch milliseconds),
 * `vehicle_id` (when the document names the vehicle), `body` (the value
 * object as sent) and `error` (the status's error object); a key the
 * signal lacks is null.
 * @return 0, or SC_EMALFORMED (not JSON, or no signals in it; the reason
 *         is in the result's error).
 * Ownership: free @p *out with sc_result_free().
 */
SC_EXTERN(int) sc_signal_rows(sc_result **out, const char *json, size_t len);

SC_END_DECL

#endif
