/* HTTP/1.1 without I/O, for drivers that own their sockets (smartcar.resty
 * over nginx cosockets): where to connect, the request as bytes, and a
 * response parser that takes bytes as they come.  The rules a driver
 * would otherwise write again live here once: URL to host, port and
 * target; the Host, Content-Length and Connection headers; status lines,
 * 1xx answers, Content-Length, chunked bodies, read-until-close, and
 * whether the connection may be kept.  A hostile server gets a typed
 * error (SC_EMALFORMED, SC_ETOOBIG, SC_ENETWORK) under fixed caps. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"
#include "smartcar/sys/transport.h"

/* One line of the head (status, header, chunk size, trailer): as
 * libcurl's CURL_MAX_HTTP_HEADER, a longer one is a response too large. */
#define LINE_MAX_BYTES (100 * 1024)
/* All head lines of one response together (1xx heads and trailers
 * included). */
#define HEAD_MAX_BYTES (1024 * 1024)
/* Header lines past this count are read and dropped, as by the curl
 * transport. */
#define MAX_HEADERS 256

enum state {
	ST_STATUS,     /* a status line */
	ST_HEADERS,    /* header lines up to a blank one */
	ST_LENGTH,     /* a Content-Length body */
	ST_CHUNK_SIZE, /* a chunk-size line */
	ST_CHUNK_DATA, /* the bytes of a chunk */
	ST_CHUNK_END,  /* the CRLF after a chunk */
	ST_TRAILERS,   /* trailer lines up to a blank one */
	ST_UNTIL_CLOSE, /* a body that ends when the server closes */
	ST_DONE,
	ST_FAILED
};

struct sc_http1 {
	sc_request *req;   /* the request as sent (headers completed) */
	sc_buf bytes;      /* the request as bytes (wiped: it holds tokens) */
	char *host;        /* to connect to (no brackets) */
	char *target;      /* path and query */
	int port;
	int tls;
	int ip_literal;
	int head_only;     /* HEAD: no body whatever the headers say */
	sc_response *resp; /* the response being read; NULL once taken */
	sc_buf in;         /* bytes fed and not parsed yet */
	size_t pos;        /* parsed up to here in `in` */
	size_t head_bytes; /* head lines read so far */
	size_t left;       /* body or chunk bytes still to come */
	int minor;         /* HTTP/1.minor */
	int keep;          /* the connection may serve another exchange */
	int got_any;       /* a byte came back */
	enum state st;
	int err;
	char msg[96];
};

/* Whether the n bytes at a equal b's first n, ignoring ASCII case. */
static int prefix_caseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int fail(sc_http1 *h, int code, const char *msg)
{
	h->st = ST_FAILED;
	h->err = code;
	h->keep = 0;
	snprintf(h->msg, sizeof(h->msg), "%s", msg);
	return code;
}

/* ---- the URL and the request ---------------------------------------- */

/* scheme://authority[/path][?query][#fragment], http or https only. */
static int parse_url(sc_http1 *h, const char *url, const char **authority,
		     size_t *alen)
{
	const char *p = strstr(url, "://"), *a, *end, *host, *colon;
	size_t hlen, slen, off;
	long port = 0;

	if (!p)
		return fail(h, SC_EINVAL, "bad URL");
	slen = (size_t)(p - url);
	if (slen == 4 && prefix_caseeq(url, "http", 4))
		h->tls = 0;
	else if (slen == 5 && prefix_caseeq(url, "https", 5))
		h->tls = 1;
	else
		return fail(h, SC_EINVAL, "unsupported URL scheme");
	a = p + 3;
	end = a + strcspn(a, "/?#");
	*authority = a;
	*alen = (size_t)(end - a);
	if (*a == '[') {
		host = a + 1;
		colon = memchr(a, ']', (size_t)(end - a));
		if (!colon)
			return fail(h, SC_EINVAL, "bad URL host");
		hlen = (size_t)(colon - host);
		colon++;
		if (colon < end && *colon != ':')
			return fail(h, SC_EINVAL, "bad URL host");
		h->ip_literal = 1;
	} else {
		host = a;
		colon = memchr(a, ':', (size_t)(end - a));
		hlen = (size_t)((colon ? colon : end) - host);
	}
	if (hlen == 0)
		return fail(h, SC_EINVAL, "bad URL host");
	if (colon && colon < end) {
		const char *d;
		for (d = colon + 1; d < end; d++) {
			if (!isdigit((unsigned char)*d))
				return fail(h, SC_EINVAL, "bad URL port");
			port = port * 10 + (*d - '0');
			if (port > 65535)
				return fail(h, SC_EINVAL, "bad URL port");
		}
	}
	if (port == 0)
		port = h->tls ? 443 : 80;
	h->port = (int)port;
	h->host = sc__strndup(host, hlen);
	hlen = strcspn(end, "#");
	h->target = malloc(hlen + 2);
	if (!h->host || !h->target)
		return fail(h, SC_ENOMEM, "out of memory");
	off = *end != '/'; /* "http://h?q" asks for "/?q" */
	h->target[0] = '/';
	memcpy(h->target + off, end, hlen);
	h->target[hlen + off] = '\0';
	if (!h->ip_literal) {
		unsigned b[4];
		char tail;
		h->ip_literal = sscanf(h->host, "%3u.%3u.%3u.%3u%c", &b[0],
				       &b[1], &b[2], &b[3], &tail) == 4;
	}
	return 0;
}

static int has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* The request to send: req's headers (a line break in one would split
 * the request, so it is refused), then Host, Content-Length and
 * Connection unless req has them. */
static int complete_request(sc_http1 *h, const sc_request *req,
			    const char *authority, size_t alen)
{
	const char *m = req->method;
	char num[32];
	size_t i;
	int rc;

	if (has_line_break(m) || strchr(m, ' ') || has_line_break(h->target))
		return fail(h, SC_EINVAL, "bad request line");
	rc = sc__request_new(&h->req, m, req->url);
	for (i = 0; rc == 0 && i < req->nheaders; i++) {
		if (has_line_break(req->headers[i].name) ||
		    has_line_break(req->headers[i].value))
			return fail(h, SC_EINVAL, "a header holds a line break");
		rc = sc__request_add_header(h->req, req->headers[i].name,
					    req->headers[i].value);
	}
	if (rc == 0 && !sc_request_header(req, "Host")) {
		char *host = sc__strndup(authority, alen);
		rc = host ? sc__request_add_header(h->req, "Host", host)
			  : SC_ENOMEM;
		free(host);
	}
	if (rc == 0 && !sc_request_header(req, "Content-Length") &&
	    (req->body.len > 0 ||
	     (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS")))) {
		snprintf(num, sizeof(num), "%zu", req->body.len);
		rc = sc__request_add_header(h->req, "Content-Length", num);
	}
	if (rc == 0 && !sc_request_header(req, "Connection"))
		rc = sc__request_add_header(h->req, "Connection", "keep-alive");
	if (rc == 0 && req->body.len)
		rc = sc__buf_append(&h->req->body, req->body.ptr,
				    req->body.len);
	h->req->connect_timeout_ms = req->connect_timeout_ms;
	h->req->timeout_ms = req->timeout_ms;
	return rc ? fail(h, rc, "out of memory") : 0;
}

static int serialize(sc_http1 *h)
{
	const sc_request *r = h->req;
	size_t i;
	int rc;

	rc = sc__buf_puts(&h->bytes, r->method);
	if (!rc)
		rc = sc__buf_putc(&h->bytes, ' ');
	if (!rc)
		rc = sc__buf_puts(&h->bytes, h->target);
	if (!rc)
		rc = sc__buf_puts(&h->bytes, " HTTP/1.1\r\n");
	for (i = 0; !rc && i < r->nheaders; i++) {
		rc = sc__buf_puts(&h->bytes, r->headers[i].name);
		if (!rc)
			rc = sc__buf_puts(&h->bytes, ": ");
		if (!rc)
			rc = sc__buf_puts(&h->bytes, r->headers[i].value);
		if (!rc)
			rc = sc__buf_puts(&h->bytes, "\r\n");
	}
	if (!rc)
		rc = sc__buf_puts(&h->bytes, "\r\n");
	if (!rc)
		rc = sc__buf_append(&h->bytes, r->body.ptr ? r->body.ptr : "",
				    r->body.len);
	return rc ? fail(h, rc, "out of memory") : 0;
}

int sc_http1_new(sc_http1 **out, const sc_request *req, size_t max_body,
		 sc_error **err_out)
{
	sc_http1 *h;
	const char *authority = NULL;
	size_t alen = 0;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (!out || !req)
		return SC_EINVAL;
	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return SC_ENOMEM;
	sc__buf_init(&h->bytes, 0);
	sc__buf_init(&h->in, 0);
	h->head_only = strcmp(req->method, "HEAD") == 0;
	rc = parse_url(h, req->url, &authority, &alen);
	if (!rc)
		rc = complete_request(h, req, authority, alen);
	if (!rc)
		rc = serialize(h);
	if (!rc)
		rc = sc_response_new(&h->resp, max_body);
	if (rc) {
		if (err_out)
			*err_out = sc__error_new(rc, h->msg[0] ? h->msg
							       : "out of memory");
		sc_http1_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void sc_http1_free(sc_http1 *h)
{
	if (!h)
		return;
	sc__request_free(h->req);
	sc__buf_wipe(&h->bytes);
	sc__buf_free(&h->in);
	sc_response_free(h->resp);
	free(h->host);
	free(h->target);
	free(h);
}

const char *sc_http1_host(const sc_http1 *h)
{
	return h ? h->host : NULL;
}

int sc_http1_port(const sc_http1 *h)
{
	return h ? h->port : 0;
}

int sc_http1_tls(const sc_http1 *h)
{
	return h ? h->tls : 0;
}

const char *sc_http1_server_name(const sc_http1 *h)
{
	return h && !h->ip_literal ? h->host : NULL;
}

const char *sc_http1_target(const sc_http1 *h)
{
	return h ? h->target : NULL;
}

const sc_request *sc_http1_request(const sc_http1 *h)
{
	return h ? h->req : NULL;
}

const char *sc_http1_bytes(const sc_http1 *h, size_t *len_out)
{
	if (len_out)
		*len_out = h ? h->bytes.len : 0;
	return h && h->bytes.ptr ? h->bytes.ptr : "";
}

/* ---- the response ---------------------------------------------------- */

/* The next head line of the input, without its CR LF, or NULL when it has
 * not fully come (or is over a cap: then h has failed). */
static char *next_line(sc_http1 *h, size_t *len)
{
	char *start = h->in.ptr + h->pos;
	size_t avail = h->in.len - h->pos;
	char *nl = memchr(start, '\n', avail);
	size_t n = nl ? (size_t)(nl - start) : avail;

	if (n > LINE_MAX_BYTES || h->head_bytes + n > HEAD_MAX_BYTES) {
		fail(h, SC_ETOOBIG, "response head too large");
		return NULL;
	}
	if (!nl)
		return NULL;
	h->pos += n + 1;
	h->head_bytes += n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	start[n] = '\0';
	*len = n;
	return start;
}

/* Whether the comma-separated header value holds the token (any case). */
static int has_token(const char *value, const char *token)
{
	size_t n = strlen(token);

	while (value && *value) {
		value += strspn(value, " \t,");
		if (prefix_caseeq(value, token, n) &&
		    strchr(" \t,;", value[n]))
			return 1;
		value = strchr(value, ',');
	}
	return 0;
}

static int status_line(sc_http1 *h, const char *line)
{
	if (strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) ||
	    line[8] != ' ' || !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]) ||
	    (line[12] != '\0' && line[12] != ' '))
		return fail(h, SC_EMALFORMED, "bad status line");
	h->minor = line[7] - '0';
	sc__response_clear_headers(h->resp);
	sc_response_set_status(h->resp, atoi(line + 9));
	h->st = ST_HEADERS;
	return 0;
}

/* "Name: value"; a line with no name before its colon is dropped. */
static int header_line(sc_http1 *h, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *v;
	size_t nlen, vlen;

	if (!colon || colon == line || h->resp->nheaders >= MAX_HEADERS)
		return 0;
	nlen = (size_t)(colon - line);
	while (nlen > 0 && (line[nlen - 1] == ' ' || line[nlen - 1] == '\t'))
		nlen--;
	if (nlen == 0 || memchr(line, ' ', nlen) || memchr(line, '\t', nlen))
		return 0;
	v = colon + 1;
	v += strspn(v, " \t");
	vlen = len - (size_t)(v - line);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (sc__response_add_header_n(h->resp, line, nlen, v, vlen) < 0)
		return fail(h, SC_ENOMEM, "out of memory");
	return 0;
}

/* The blank line after the headers: what the body is and whether the
 * connection stays. */
static int end_of_head(sc_http1 *h)
{
	const sc_response *r = h->resp;
	const char *conn = sc_response_header(r, "Connection");
	const char *te = sc_response_header(r, "Transfer-Encoding");
	const char *cl = sc_response_header(r, "Content-Length");
	int status = r->status;

	if (status >= 100 && status < 200 && status != 101) {
		h->st = ST_STATUS; /* an interim answer: the real one follows */
		return 0;
	}
	h->keep = h->minor >= 1 ? !has_token(conn, "close")
				: has_token(conn, "keep-alive");
	if (h->head_only || status == 204 || status == 304 || status < 200) {
		h->st = ST_DONE;
	} else if (te && has_token(te, "chunked")) {
		h->st = ST_CHUNK_SIZE;
	} else if (cl) {
		char *end;
		unsigned long long n;

		cl += strspn(cl, " \t");
		if (!isdigit((unsigned char)*cl))
			return fail(h, SC_EMALFORMED, "bad Content-Length");
		n = strtoull(cl, &end, 10);
		if (*end != '\0')
			return fail(h, SC_EMALFORMED, "bad Content-Length");
		if (r->body.max && n > r->body.max)
			return fail(h, SC_ETOOBIG, "response body too large");
		h->left = (size_t)n;
		h->st = n ? ST_LENGTH : ST_DONE;
	} else {
		h->keep = 0;
		h->st = ST_UNTIL_CLOSE;
	}
	return 0;
}

static int chunk_size(sc_http1 *h, const char *line)
{
	size_t n = 0;
	int digits = 0;

	line += strspn(line, " \t");
	for (; isxdigit((unsigned char)*line); line++, digits++) {
		if (digits == 15)
			return fail(h, SC_ETOOBIG, "chunk too large");
		n = n * 16 + (size_t)sc__hexval((unsigned char)*line);
	}
	if (!digits)
		return fail(h, SC_EMALFORMED, "bad chunk size");
	h->left = n;
	h->st = n ? ST_CHUNK_DATA : ST_TRAILERS;
	return 0;
}

static int body_bytes(sc_http1 *h, size_t n)
{
	if (sc_response_append_body(h->resp, h->in.ptr + h->pos, n) != 0)
		return fail(h, SC_ETOOBIG, "response body too large");
	h->pos += n;
	return 0;
}

/* Parse what the input holds; the state when it runs out. */
static int parse(sc_http1 *h)
{
	char *line;
	size_t len, n;
	int rc = 0;

	while (rc == 0 && h->st != ST_DONE && h->st != ST_FAILED) {
		size_t avail = h->in.len - h->pos;

		switch (h->st) {
		case ST_LENGTH:
		case ST_CHUNK_DATA:
		case ST_UNTIL_CLOSE:
			if (avail == 0)
				return 0;
			n = h->st == ST_UNTIL_CLOSE || avail < h->left
				    ? avail
				    : h->left;
			rc = body_bytes(h, n);
			if (rc || h->st == ST_UNTIL_CLOSE)
				break;
			h->left -= n;
			if (h->left == 0)
				h->st = h->st == ST_LENGTH ? ST_DONE
							   : ST_CHUNK_END;
			break;
		default:
			line = next_line(h, &len);
			if (!line)
				return h->st == ST_FAILED ? h->err : 0;
			if (h->st == ST_STATUS)
				rc = status_line(h, line);
			else if (h->st == ST_HEADERS)
				rc = len ? header_line(h, line, len)
					 : end_of_head(h);
			else if (h->st == ST_CHUNK_SIZE)
				rc = chunk_size(h, line);
			else if (h->st == ST_CHUNK_END)
				rc = len ? fail(h, SC_EMALFORMED, "bad chunk end")
					 : (h->st = ST_CHUNK_SIZE, 0);
			else if (len == 0) /* ST_TRAILERS */
				h->st = ST_DONE;
		}
	}
	return rc;
}

int sc_http1_feed(sc_http1 *h, const char *data, size_t len)
{
	int rc;

	if (!h || (!data && len))
		return SC_EINVAL;
	if (h->st == ST_FAILED)
		return h->err;
	if (len)
		h->got_any = 1;
	if (h->st == ST_DONE) {
		if (len)
			h->keep = 0; /* bytes nobody asked for */
		return 1;
	}
	/* drop what was parsed before taking more */
	if (h->pos > 0) {
		memmove(h->in.ptr, h->in.ptr + h->pos, h->in.len - h->pos);
		h->in.len -= h->pos;
		h->pos = 0;
	}
	if (sc__buf_append(&h->in, data ? data : "", len) < 0)
		return fail(h, SC_ENOMEM, "out of memory");
	rc = parse(h);
	if (rc < 0)
		return rc;
	if (h->st != ST_DONE)
		return 0;
	if (h->pos < h->in.len)
		h->keep = 0;
	return 1;
}

int sc_http1_eof(sc_http1 *h)
{
	if (!h)
		return SC_EINVAL;
	if (h->st == ST_FAILED)
		return h->err;
	if (h->st == ST_UNTIL_CLOSE)
		h->st = ST_DONE;
	if (h->st == ST_DONE)
		return 1;
	return fail(h, SC_ENETWORK,
		    h->got_any ? "the connection closed mid-response"
			       : "the connection closed");
}

int sc_http1_take(sc_response **out, sc_http1 *h)
{
	if (!out || !h || h->st != ST_DONE || !h->resp)
		return SC_EINVAL;
	*out = h->resp;
	h->resp = NULL;
	return 0;
}

int sc_http1_keep_alive(const sc_http1 *h)
{
	return h && h->st == ST_DONE && h->keep;
}

int sc_http1_got_any(const sc_http1 *h)
{
	return h ? h->got_any : 0;
}

const char *sc_http1_error(const sc_http1 *h)
{
	return h && h->st == ST_FAILED ? h->msg : NULL;
}
