#define _GNU_SOURCE
/* The debug hook: each request and response line handed to the caller's
 * callback, with every secret of the op redacted (tokens, codes, the
 * client secret, Authorization values, token responses). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "op.h"

static void debug_line(sc_op *op, int dir, const char *prefix,
		       const char *text)
{
	sc_buf b;
	char *clean;

	sc__buf_init(&b, 0);
	if (sc__buf_puts(&b, prefix) == 0 && sc__buf_puts(&b, text) == 0) {
		clean = sc__redact(b.ptr, op->secrets, op->nsecrets);
		if (clean)
			op->debug(op->debug_payload, dir, clean);
		sc__wipe_free(clean);
	}
	sc__buf_wipe(&b);
}

/* One line a header; an Authorization value keeps only its scheme. */
static void debug_headers(sc_op *op, int dir, const sc_header *hs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sc_buf h;
		sc__buf_init(&h, 0);
		sc__buf_puts(&h, hs[i].name);
		sc__buf_puts(&h, ": ");
		if (sc__strcaseeq(hs[i].name, "Authorization")) {
			const char *sp = strchr(hs[i].value, ' ');
			sc__buf_append(&h, hs[i].value,
				       sp ? (size_t)(sp - hs[i].value) : 0);
			sc__buf_puts(&h, " " SC_REDACTED);
		} else {
			sc__buf_puts(&h, hs[i].value);
		}
		if (h.ptr)
			debug_line(op, dir, "", h.ptr);
		sc__buf_wipe(&h);
	}
}

void sc__debug_request(sc_op *op, const sc_request *r)
{
	char line[64];

	if (!op->debug)
		return;
	snprintf(line, sizeof(line), "%s ", r->method);
	debug_line(op, '>', line, r->url);
	debug_headers(op, '>', r->headers, r->nheaders);
	if (r->body.len)
		debug_line(op, '>', "", r->body.ptr);
}

void sc__debug_response(sc_op *op, const sc_response *resp)
{
	char line[64];

	if (!op->debug)
		return;
	snprintf(line, sizeof(line), "HTTP %d", resp->status);
	debug_line(op, '<', line, "");
	debug_headers(op, '<', resp->headers, resp->nheaders);
	if (resp->body.len) {
		/* a token set must never reach a log, whatever its shape */
		if ((op->state == OP_TOKEN_SENT ||
		     (op->ep->flags & (SC_EP_TOKEN | SC_EP_APP_TOKEN))) &&
		    resp->status >= 200 && resp->status < 300)
			debug_line(op, '<', "", SC_REDACTED " (token response)");
		else
			debug_line(op, '<', "", resp->body.ptr);
	}
}
