/* HTTP messages: the request an operation wants sent, and the response a
 * transport builds.  Both are plain data; no I/O here. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

/* Where a message keeps its headers: the array and the text of the first
 * ones inside the message itself (no allocation per header for an
 * ordinary request or response); past that, the array grows on the heap
 * by doubling and a header is one allocation, "name\0value\0". */
typedef struct hstore {
	sc_header **hs;
	size_t *n;
	size_t *used;      /* bytes of text taken */
	sc_header *inl;    /* SC_HDR_INLINE entries */
	char *text;        /* SC_HDR_TEXT bytes */
} hstore;

#define HSTORE(m) { &(m)->headers, &(m)->nheaders, &(m)->hdr_used, \
		    (m)->hdr_inline, (m)->hdr_text }

static int in_text(const hstore *s, const char *p)
{
	uintptr_t a = (uintptr_t)s->text, x = (uintptr_t)p;
	return x >= a && x < a + SC_HDR_TEXT;
}

/* A header whose value is value then more (mlen bytes; 0 for none). */
static int add_header_n(hstore s, const char *name, size_t nlen,
			const char *value, size_t vlen, const char *more,
			size_t mlen)
{
	size_t n = *s.n, need = nlen + vlen + mlen + 2;
	sc_header *h;
	char *block;

	if (n == 0) {
		*s.hs = s.inl;
	} else if (*s.hs == s.inl && n == SC_HDR_INLINE) {
		sc_header *nh = malloc(2 * n * sizeof(sc_header));
		if (!nh)
			return SC_ENOMEM;
		memcpy(nh, s.inl, n * sizeof(sc_header));
		*s.hs = nh;
	} else if (*s.hs != s.inl && (n & (n - 1)) == 0) {
		sc_header *nh = realloc(*s.hs, 2 * n * sizeof(sc_header));
		if (!nh)
			return SC_ENOMEM;
		*s.hs = nh;
	}
	if (*s.used + need <= SC_HDR_TEXT) {
		block = s.text + *s.used;
		*s.used += need;
	} else if (!(block = malloc(need))) {
		return SC_ENOMEM;
	}
	memcpy(block, name, nlen);
	block[nlen] = '\0';
	memcpy(block + nlen + 1, value, vlen);
	if (mlen)
		memcpy(block + nlen + 1 + vlen, more, mlen);
	block[nlen + 1 + vlen + mlen] = '\0';
	h = &(*s.hs)[n];
	h->name = block;
	h->value = block + nlen + 1;
	*s.n = n + 1;
	return 0;
}

static int add_header(hstore s, const char *name, const char *value)
{
	if (!value)
		value = "";
	return add_header_n(s, name, strlen(name), value, strlen(value), NULL,
			    0);
}

/* Request headers carry Authorization and are wiped; response headers
 * never hold a secret (tokens come in bodies) and are only freed. */
static void free_header(const hstore *s, sc_header *h, int wipe)
{
	if (wipe)
		sc__wipe(h->value, strlen(h->value));
	if (!in_text(s, h->name))
		free(h->name);
}

/* Free every header; the store is empty after.  Wiped, the text inside
 * the message goes at once (what it holds is all headers). */
static void free_headers(hstore s, int wipe)
{
	size_t i;
	for (i = 0; i < *s.n; i++)
		if (!in_text(&s, (*s.hs)[i].name))
			free_header(&s, &(*s.hs)[i], wipe);
	if (wipe)
		sc__wipe(s.text, *s.used);
	if (*s.hs != s.inl)
		free(*s.hs);
	*s.hs = NULL;
	*s.n = 0;
	*s.used = 0;
}

static const char *find_header(const sc_header *hs, size_t n, const char *name)
{
	size_t i;
	if (!name)
		return NULL;
	for (i = 0; i < n; i++)
		if (sc__strcaseeq(hs[i].name, name))
			return hs[i].value;
	return NULL;
}

int sc__request_new(sc_request **out, const char *method, const char *url)
{
	size_t ml = strlen(method) + 1, ul = strlen(url) + 1;
	sc_request *r = malloc(sizeof(*r) + ml + ul);
	if (!r)
		return SC_ENOMEM;
	/* the inline header storage needs no zeroing */
	memset(r, 0, offsetof(sc_request, hdr_inline));
	r->method = (char *)(r + 1);
	memcpy(r->method, method, ml);
	r->url = r->method + ml;
	memcpy(r->url, url, ul);
	sc__buf_init(&r->body, 0);
	*out = r;
	return 0;
}

int sc__request_add_header(sc_request *req, const char *name, const char *value)
{
	hstore s = HSTORE(req);
	return add_header(s, name, value);
}

int sc__request_add_header2(sc_request *req, const char *name,
			    const char *value, const char *more)
{
	hstore s = HSTORE(req);
	return add_header_n(s, name, strlen(name), value, strlen(value), more,
			    strlen(more));
}

int sc__request_set_header(sc_request *req, const char *name, const char *value)
{
	size_t i;
	for (i = 0; i < req->nheaders; i++) {
		if (sc__strcaseeq(req->headers[i].name, name)) {
			/* the new header is built at the end, then takes the old slot */
			size_t n = req->nheaders;
			sc_header old = req->headers[i];
			int rc = sc__request_add_header(req, old.name, value);
			if (rc < 0)
				return rc;
			hstore s = HSTORE(req);
			req->headers[i] = req->headers[n];
			req->nheaders = n;
			free_header(&s, &old, 1);
			return 0;
		}
	}
	return sc__request_add_header(req, name, value);
}

void sc__request_free(sc_request *req)
{
	if (!req)
		return;
	{
		hstore s = HSTORE(req);
		free_headers(s, 1);
	}
	sc__buf_wipe(&req->body);
	free(req); /* with the method and url */
}

const char *sc_request_method(const sc_request *req)
{
	return req ? req->method : NULL;
}

const char *sc_request_url(const sc_request *req)
{
	return req ? req->url : NULL;
}

size_t sc_request_header_count(const sc_request *req)
{
	return req ? req->nheaders : 0;
}

int sc_request_header_at(const sc_request *req, size_t i, const char **name,
			 const char **value)
{
	if (!req || i >= req->nheaders)
		return SC_EINVAL;
	if (name)
		*name = req->headers[i].name;
	if (value)
		*value = req->headers[i].value;
	return 0;
}

const char *sc_request_header(const sc_request *req, const char *name)
{
	return req ? find_header(req->headers, req->nheaders, name) : NULL;
}

/* A request's or response's body as handed out: never NULL. */
static const char *body_of(const sc_buf *body, size_t *len_out)
{
	if (len_out)
		*len_out = body->len;
	return body->ptr ? body->ptr : "";
}

const char *sc_request_body(const sc_request *req, size_t *len_out)
{
	return req ? body_of(&req->body, len_out) : NULL;
}

long sc_request_connect_timeout_ms(const sc_request *req)
{
	return req ? req->connect_timeout_ms : 0;
}

long sc_request_timeout_ms(const sc_request *req)
{
	return req ? req->timeout_ms : 0;
}

int sc_response_new(sc_response **out, size_t max_body)
{
	sc_response *r;
	if (!out)
		return SC_EINVAL;
	r = malloc(sizeof(*r));
	if (!r)
		return SC_ENOMEM;
	/* the inline header storage needs no zeroing */
	memset(r, 0, offsetof(sc_response, hdr_inline));
	sc__buf_init_in(&r->body, r->body_text, sizeof(r->body_text),
			max_body ? max_body : SC_DEFAULT_MAX_RESPONSE);
	*out = r;
	return 0;
}

void sc__response_clear_headers(sc_response *resp)
{
	hstore s = HSTORE(resp);
	free_headers(s, 0);
}

void sc_response_free(sc_response *resp)
{
	if (!resp)
		return;
	sc__response_clear_headers(resp);
	sc__buf_wipe(&resp->body);
	free(resp);
}

int sc_response_set_status(sc_response *resp, int status)
{
	if (!resp || status < 100 || status > 999)
		return SC_EINVAL;
	resp->status = status;
	return 0;
}

int sc_response_add_header(sc_response *resp, const char *name,
			   const char *value)
{
	if (!resp || !name)
		return SC_EINVAL;
	{
		hstore s = HSTORE(resp);
		return add_header(s, name, value);
	}
}

int sc__response_add_header_n(sc_response *resp, const char *name, size_t nlen,
			      const char *value, size_t vlen)
{
	hstore s = HSTORE(resp);
	return add_header_n(s, name, nlen, value, vlen, NULL, 0);
}

int sc_response_append_body(sc_response *resp, const char *data, size_t len)
{
	int rc;
	if (!resp || (!data && len))
		return SC_EINVAL;
	if (resp->too_big)
		return SC_ETOOBIG;
	rc = sc__buf_append(&resp->body, data, len);
	if (rc == SC_ETOOBIG)
		resp->too_big = 1;
	return rc;
}

int sc_response_status(const sc_response *resp)
{
	return resp ? resp->status : 0;
}

const char *sc_response_header(const sc_response *resp, const char *name)
{
	return resp ? find_header(resp->headers, resp->nheaders, name) : NULL;
}

const char *sc_response_body(const sc_response *resp, size_t *len_out)
{
	return resp ? body_of(&resp->body, len_out) : NULL;
}
