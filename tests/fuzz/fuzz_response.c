/* libFuzzer target: every response parser behind an op (token sets, data
 * with meta, batch bodies, v2/v1/OAuth/non-JSON error bodies).
 *
 * The retry and rate paths too: several attempts, each with its own
 * response, Retry-After values, cool-downs and the local rate limit.
 *
 * Input layout: byte 0 picks the endpoint (bits 0-2) and the client's
 * retry and rate options (client() below), then one response per attempt
 * (response_from() below): bytes 1-2 the status, then "Name: value\n"
 * header lines up to a blank line, then the body, then "\n===\n" and the
 * next attempt's response. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smartcar.h"

static const char *const eps[] = {
	"exchange_code", "odometer", "get_vehicles", "batch", "request",
	"service_history", "lock", "get_connections",
};

/* A fresh client per input: cool-downs learned from one input's 429s
 * must not leak into the next.  Byte 0: bits 3-4 give max_attempts - 1
 * (retries), bit 5 the "fail" rate policy, bit 6 a one-request-per-second
 * local rate limit. */
static sc_client *client(uint8_t b)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;

	o.client_id = "id";
	o.client_secret = "secret";
	o.redirect_uri = "https://example.com/cb";
	o.max_attempts = 1 + ((b >> 3) & 3);
	o.retry_base_ms = 1;
	o.retry_max_ms = 5;
	o.retry_deadline_ms = 2000;
	o.rate_policy = (b & 32) ? "fail" : "wait";
	if (b & 64) {
		o.rate_limit_capacity = 1;
		o.rate_limit_per_minute = 60;
	}
	sc_client_new(&c, &o, NULL);
	return c;
}

/* One response from data[0..size): 2 status bytes, "Name: value\n"
 * header lines up to a blank line, then the body up to the next
 * "\n===\n" (the next attempt's response) or the end.  Returns the bytes
 * used. */
static size_t response_from(const uint8_t *data, size_t size,
			    sc_response **out)
{
	static const char sep[] = "\n===\n";
	size_t i = 2, line, end = size;
	const uint8_t *next;
	char *copy;

	sc_response_new(out, 1 << 16);
	if (size < 2)
		return size;
	sc_response_set_status(*out, 100 + (data[0] << 8 | data[1]) % 500);
	next = memmem(data, size, sep, sizeof(sep) - 1);
	if (next)
		end = (size_t)(next - data);
	copy = malloc(end + 1);
	memcpy(copy, data, end);
	copy[end] = '\0';
	/* headers until an empty line */
	while (i < end) {
		char *nl = memchr(copy + i, '\n', end - i), *colon;
		if (!nl)
			break;
		line = (size_t)(nl - (copy + i));
		if (line == 0) {
			i++;
			break;
		}
		*nl = '\0';
		colon = strchr(copy + i, ':');
		if (colon) {
			*colon = '\0';
			sc_response_add_header(*out, copy + i, colon + 1);
		}
		i += line + 1;
	}
	if (i < end)
		sc_response_append_body(*out, (const char *)data + i, end - i);
	free(copy);
	return next ? end + sizeof(sep) - 1 : size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sc_params *p = NULL;
	sc_op *op = NULL;
	sc_result *res = NULL;
	sc_client *c;
	const sc_request *req;
	size_t pos = 1;
	int steps, waits = 0;

	if (size < 3)
		return 0;
	c = client(data[0]);
	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", "v1");
	sc_params_set(p, "access_token", "tok-1234");
	sc_params_set(p, "code", "code-1234");
	sc_params_set(p, "paths", "/odometer /location");
	sc_params_set(p, "method", "GET");
	sc_params_set(p, "path", "x");
	sc_params_set(p, "management_token", "amt-1234");
	if (!c || sc_op_new(&op, c, eps[data[0] % 8], p, NULL) < 0)
		goto out;
	/* the op's steps with each attempt's response in turn: retries,
	 * Retry-After waits (never slept: the next step comes at once),
	 * cool-downs and the local rate limit */
	for (steps = 0; steps < 16; steps++) {
		sc_response *resp = NULL;
		int step = sc_op_next(op, &req);
		if (step == SC_STEP_DONE) {
			char *json = NULL;
			sc_op_result(&res, op);
			sc_result_to_json(&json, res);
			sc_free(json);
			break;
		}
		if (step == SC_STEP_WAIT) {
			if (++waits > 4)
				break;
			continue;
		}
		if (step != SC_STEP_SEND)
			break;
		if (pos >= size) {
			/* no response left: the connection failed */
			sc_op_fail(op, SC_ENETWORK, "fuzz: no response");
			continue;
		}
		pos += response_from(data + pos, size - pos, &resp);
		sc_op_feed(op, resp);
	}
out:
	sc_result_free(res);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
	return 0;
}
