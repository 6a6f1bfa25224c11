/**
 * @file smartcar/sys/transport.h
 * @brief For people who drive sc_op with their own HTTP stack: read the
 *        request the op wants sent, build the response to feed back.
 *
 * Transport contract: send exactly this request and return exactly the
 * response.  No redirects, no added authentication, no retries.
 */
#ifndef SMARTCAR_SYS_TRANSPORT_H
#define SMARTCAR_SYS_TRANSPORT_H

#include "../common.h"
#include "../errors.h"

SC_BEGIN_DECL

typedef struct sc_request sc_request;
typedef struct sc_response sc_response;

/** "GET", "POST"... Ownership: borrowed from @p req. */
SC_EXTERN(const char *) sc_request_method(const sc_request *req);
/** Absolute URL with query.  Ownership: borrowed. */
SC_EXTERN(const char *) sc_request_url(const sc_request *req);
/** Number of headers. */
SC_EXTERN(size_t) sc_request_header_count(const sc_request *req);
/** The @p i th header.  @return 0 or SC_EINVAL past the end. */
SC_EXTERN(int) sc_request_header_at(const sc_request *req, size_t i,
				    const char **name, const char **value);
/** A header by case-insensitive name, or NULL.  Ownership: borrowed. */
SC_EXTERN(const char *) sc_request_header(const sc_request *req,
					  const char *name);
/** The body (may be empty, never NULL).  Ownership: borrowed. */
SC_EXTERN(const char *) sc_request_body(const sc_request *req,
					size_t *len_out);
/** Connect timeout for this request in milliseconds. */
SC_EXTERN(long) sc_request_connect_timeout_ms(const sc_request *req);
/** Total timeout for this request in milliseconds. */
SC_EXTERN(long) sc_request_timeout_ms(const sc_request *req);

/**
 * Start a response.  @p max_body caps the body (0: 4 MiB).
 * Ownership: feed it to an op (which consumes it) or free it.
 */
SC_EXTERN(int) sc_response_new(sc_response **out, size_t max_body);
/** Free a response.  Accepts NULL. */
SC_EXTERN(void) sc_response_free(sc_response *resp);
/** Set the HTTP status. */
SC_EXTERN(int) sc_response_set_status(sc_response *resp, int status);
/** Add a header (copied).  Names are compared case-insensitively. */
SC_EXTERN(int) sc_response_add_header(sc_response *resp, const char *name,
				      const char *value);
/**
 * Append body bytes.  @return 0, or SC_ETOOBIG past the cap (the
 * response is then unusable).
 */
SC_EXTERN(int) sc_response_append_body(sc_response *resp, const char *data,
				       size_t len);
/** HTTP status. */
SC_EXTERN(int) sc_response_status(const sc_response *resp);
/** A header by case-insensitive name, or NULL.  Ownership: borrowed. */
SC_EXTERN(const char *) sc_response_header(const sc_response *resp,
					   const char *name);
/** The body.  Ownership: borrowed. */
SC_EXTERN(const char *) sc_response_body(const sc_response *resp,
					 size_t *len_out);

/*
 * HTTP/1.1 without I/O, for drivers that own their sockets (nginx
 * cosockets, an event loop): sc_http1_new() reads the request's URL and
 * turns the request into bytes; the driver connects to host:port (TLS
 * when sc_http1_tls(), SNI sc_http1_server_name()), sends the bytes,
 * then feeds what it reads to sc_http1_feed() until it answers 1, or
 * calls sc_http1_eof() when the server closes.  sc_http1_take() hands out
 * the response for sc_op_feed(); sc_http1_keep_alive() says whether the
 * connection may serve another exchange.  A server's bad answer is a
 * typed error under fixed caps: SC_EMALFORMED (status line, chunk sizes,
 * Content-Length), SC_ETOOBIG (a head line over 100 KiB, a head over
 * 1 MiB, a body over the cap), SC_ENETWORK (closed mid-response).
 * Thread-safety: one exchange is used by one thread at a time.
 */
typedef struct sc_http1 sc_http1;

/**
 * Start an HTTP/1.1 exchange of @p req (http or https URL).  The request
 * gets Host, Content-Length (a body, or a method other than GET, HEAD
 * and OPTIONS) and "Connection: keep-alive" unless it has them.
 * @p max_body caps the response body (0: 4 MiB).
 * @return 0; SC_EINVAL for a URL that is not http(s)://host[:port]... or
 *         a header or method holding a line break; SC_ENOMEM.
 * Ownership: the caller frees @p *out with sc_http1_free() and
 * @p *err_out (which may be NULL) with sc_error_free().  Nothing of
 * @p req is kept.
 */
SC_EXTERN(int) sc_http1_new(sc_http1 **out, const sc_request *req,
			    size_t max_body, sc_error **err_out);
/** Free an exchange (its request bytes are wiped).  Accepts NULL. */
SC_EXTERN(void) sc_http1_free(sc_http1 *h);
/** The host to connect to (an IPv6 literal without brackets).
 * Ownership: borrowed from @p h. */
SC_EXTERN(const char *) sc_http1_host(const sc_http1 *h);
/** The port to connect to (the scheme's default when the URL has none). */
SC_EXTERN(int) sc_http1_port(const sc_http1 *h);
/** 1 for https (TLS), 0 for http. */
SC_EXTERN(int) sc_http1_tls(const sc_http1 *h);
/** The TLS server name (SNI): the host, or NULL for an IP literal.
 * Ownership: borrowed from @p h. */
SC_EXTERN(const char *) sc_http1_server_name(const sc_http1 *h);
/** The request target: path and query ("/v2.0/user?x=1").
 * Ownership: borrowed from @p h. */
SC_EXTERN(const char *) sc_http1_target(const sc_http1 *h);
/** The request as sent, its headers completed, for an HTTP client that
 * writes the bytes itself.  Ownership: borrowed from @p h. */
SC_EXTERN(const sc_request *) sc_http1_request(const sc_http1 *h);
/** The request as bytes to write (request line, headers, body).
 * Ownership: borrowed from @p h; it holds the request's secrets. */
SC_EXTERN(const char *) sc_http1_bytes(const sc_http1 *h, size_t *len_out);
/**
 * Feed bytes the server sent.  @return 0 (more is needed), 1 (the
 * response is complete: take it), or a negative code (the exchange
 * failed; sc_http1_error() says why; later calls return the same code).
 */
SC_EXTERN(int) sc_http1_feed(sc_http1 *h, const char *data, size_t len);
/** The server closed the connection.  @return 1 when that completes the
 * response (a body without a length), else the failure's code. */
SC_EXTERN(int) sc_http1_eof(sc_http1 *h);
/** Take the complete response.  @return 0, or SC_EINVAL before it is
 * complete or once taken.  Ownership: the caller feeds it to an op (which
 * consumes it) or frees it with sc_response_free(). */
SC_EXTERN(int) sc_http1_take(sc_response **out, sc_http1 *h);
/** 1 when the response is complete and the connection may be kept for
 * another exchange (HTTP/1.1 without "Connection: close", or 1.0 with
 * "keep-alive"; no body read until close; no bytes past the response). */
SC_EXTERN(int) sc_http1_keep_alive(const sc_http1 *h);
/** 1 once the server sent any byte (a connection from a pool that
 * answers nothing was closed by the server before this request). */
SC_EXTERN(int) sc_http1_got_any(const sc_http1 *h);
/** Why the exchange failed, or NULL.  Ownership: borrowed from @p h. */
SC_EXTERN(const char *) sc_http1_error(const sc_http1 *h);

SC_END_DECL

#endif
