/* libFuzzer target: every response parser behind an op (token sets, data
 * with meta, batch bodies, v2/v1/OAuth/non-JSON error bodies).
 *
 * Input layout: byte 0 picks the endpoint, bytes 1-2 the status, then
 * "Name: value\n" header lines up to a blank line, then the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smartcar.h"

static const char *const eps[] = {
	"exchange_code", "odometer", "get_vehicles", "batch", "request",
	"service_history", "lock", "get_connections",
};

static sc_client *client(void)
{
	static sc_client *c;
	if (!c) {
		sc_client_options o = SC_CLIENT_OPTIONS_INIT;
		o.client_id = "id";
		o.client_secret = "secret";
		o.redirect_uri = "https://example.com/cb";
		o.max_attempts = 1;
		sc_client_new(&c, &o, NULL);
	}
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sc_params *p = NULL;
	sc_op *op = NULL;
	sc_response *resp = NULL;
	sc_result *res = NULL;
	const sc_request *req;
	size_t i = 3, line;
	char *copy;

	if (size < 3)
		return 0;
	sc_params_new(&p);
	sc_params_set(p, "vehicle_id", "v1");
	sc_params_set(p, "access_token", "tok-1234");
	sc_params_set(p, "code", "code-1234");
	sc_params_set(p, "paths", "/odometer /location");
	sc_params_set(p, "method", "GET");
	sc_params_set(p, "path", "x");
	sc_params_set(p, "management_token", "amt-1234");
	if (sc_op_new(&op, client(), eps[data[0] % 8], p, NULL) < 0 ||
	    sc_op_next(op, &req) != SC_STEP_SEND)
		goto out;
	sc_response_new(&resp, 1 << 16);
	sc_response_set_status(resp, 100 + (data[1] << 8 | data[2]) % 500);
	copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* headers until an empty line */
	while (i < size) {
		char *nl = memchr(copy + i, '\n', size - i), *colon;
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
			sc_response_add_header(resp, copy + i, colon + 1);
		}
		i += line + 1;
	}
	if (i < size)
		sc_response_append_body(resp, (const char *)data + i, size - i);
	free(copy);
	sc_op_feed(op, resp);
	if (sc_op_next(op, &req) == SC_STEP_DONE) {
		char *json = NULL;
		sc_op_result(&res, op);
		sc_result_to_json(&json, res);
		sc_free(json);
	}
out:
	sc_result_free(res);
	sc_op_free(op);
	sc_params_free(p);
	return 0;
}
