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

SC_END_DECL

#endif
