/* libFuzzer target: sc_http1, the sans-IO HTTP/1.1 engine smartcar.resty
 * drives over cosockets.  Its URL reading and request bytes, then a
 * server's answer fed in pieces, then the server closing.
 *
 * Input layout: byte 0 picks the method (bit 0: HEAD), a small body cap
 * (bit 1) and the piece size (bits 2-7, plus one); the URL runs to the
 * first '\n'; the rest is what the server sends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smartcar.h"
#include "sc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	sc_request *req = NULL;
	sc_http1 *h = NULL;
	sc_response *resp = NULL;
	size_t step, at, ulen, blen;
	char *url;
	int rc = 0;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] >> 2) + 1;
	nl = memchr(data + 1, '\n', size - 1);
	ulen = nl ? (size_t)(nl - data - 1) : size - 1;
	url = sc__strndup((const char *)data + 1, ulen);
	if (!url)
		return 0;
	if (sc__request_new(&req, (data[0] & 1) ? "HEAD" : "POST", url) == 0) {
		sc__request_add_header(req, "Authorization", "Bearer t");
		sc__buf_puts(&req->body, "{}");
		sc_http1_new(&h, req, (data[0] & 2) ? 64 : 0, NULL);
	}
	free(url);
	sc__request_free(req);
	if (!h)
		return 0;
	sc_http1_bytes(h, &blen);
	at = nl ? (size_t)(nl - data) + 1 : size;
	while (rc == 0 && at < size) {
		size_t n = size - at < step ? size - at : step;
		rc = sc_http1_feed(h, (const char *)data + at, n);
		at += n;
	}
	if (rc == 0)
		rc = sc_http1_eof(h);
	if (rc == 1 && sc_http1_take(&resp, h) == 0) {
		sc_response_body(resp, &blen);
		sc_response_free(resp);
	} else if (rc < 0 && !sc_http1_error(h)) {
		abort(); /* every failure says why */
	}
	sc_http1_keep_alive(h);
	sc_http1_free(h);
	return 0;
}
