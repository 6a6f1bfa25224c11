/* libmicrohttpd glue: request objects, body collection, routing and the
 * response helpers every handler uses. */
#include "emu.h"

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------- responses */

const char *emu_header(emu_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int emu_method_is(emu_req *r, const char *m)
{
	return strcmp(r->method, m) == 0;
}

enum MHD_Result emu_respond(emu_req *r, unsigned status, const char *ctype,
			    const char *body, size_t len, const emu_hdr *extra,
			    size_t n_extra)
{
	if (r->post_fault) /* faults.c: a dropped or malformed answer */
		return emu_fault_respond(r, status, ctype, body, len, extra,
					 n_extra);
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)body, MHD_RESPMEM_MUST_COPY);
	return emu_queue(r, status, resp, ctype, extra, n_extra);
}

enum MHD_Result emu_queue(emu_req *r, unsigned status,
			  struct MHD_Response *resp, const char *ctype,
			  const emu_hdr *extra, size_t n_extra)
{
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "SC-Request-Id", r->request_id);
	for (size_t i = 0; i < n_extra; i++)
		MHD_add_response_header(resp, extra[i].name, extra[i].value);
	if (r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
					"close");
	enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->responded = 1;
	emu_requests_record(r, status); /* faults.c: GET /_emulator/requests */
	if (emu_cfg.verbose)
		fprintf(stderr, "smartcar-emulator: %s %s -> %u\n", r->method,
			r->path ? r->path : "?", status);
	return ret;
}

enum MHD_Result emu_respond_json(emu_req *r, unsigned status, cJSON *json,
				 const emu_hdr *extra, size_t n_extra)
{
	/* Small bodies (nearly all) are printed into the stack: no allocation
   * and no growing of cJSON's own buffer on the hot path. */
	char small[2048];
	char *text = NULL;
	if (json && cJSON_PrintPreallocated(json, small, (int)sizeof small, 0))
		text = small;
	else if (json)
		text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	if (!text)
		return MHD_NO;
	enum MHD_Result ret = emu_respond(r, status, "application/json", text,
					  strlen(text), extra, n_extra);
	if (text != small)
		cJSON_free(text);
	return ret;
}

enum MHD_Result emu_respond_html(emu_req *r, unsigned status, const char *html)
{
	return emu_respond(r, status, "text/html; charset=utf-8", html,
			   strlen(html), NULL, 0);
}

enum MHD_Result emu_respond_redirect(emu_req *r, const char *location)
{
	static const char body[] = "Redirecting";
	emu_hdr h[] = { { MHD_HTTP_HEADER_LOCATION, location },
			{ MHD_HTTP_HEADER_CACHE_CONTROL, "no-store" } };
	return emu_respond(r, MHD_HTTP_FOUND, "text/html; charset=utf-8", body,
			   sizeof body - 1, h, 2);
}

/* The body, resolution and user message come from the catalogue in
 * errors.c. */
enum MHD_Result emu_respond_error(emu_req *r, unsigned status, const char *type,
				  const char *code, const char *description,
				  cJSON *detail)
{
	emu_error e = { .status = status,
			.type = type,
			.code = code,
			.description = description,
			.detail = detail };
	return emu_respond_err(r, &e);
}

enum MHD_Result emu_respond_validation(emu_req *r, const char *code,
				       const char *field, const char *message)
{
	cJSON *detail = cJSON_CreateArray();
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "field", field);
	cJSON_AddStringToObject(d, "message", message);
	cJSON_AddItemToArray(detail, d);
	const char *desc =
		code ? "Request contains an invalid parameter. See `detail` "
		       "for the "
		       "parameter and the reason."
		     : "Request invalid or malformed. Please check for missing "
		       "parameters, spelling and casing mistakes, and other "
		       "syntax "
		       "issues.";
	return emu_respond_error(r, MHD_HTTP_BAD_REQUEST, "VALIDATION", code,
				 desc, detail);
}

enum MHD_Result emu_respond_status(emu_req *r, const char *status)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", status);
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

enum MHD_Result emu_respond_not_found(emu_req *r)
{
	return emu_respond_error(
		r, MHD_HTTP_NOT_FOUND, "RESOURCE_NOT_FOUND", "PATH",
		"The requested resource does not exist. Please "
		"check the URL and try again.",
		NULL);
}

enum MHD_Result emu_respond_oauth_error(emu_req *r, unsigned status,
					const char *error,
					const char *description)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", error);
	cJSON_AddStringToObject(o, "error_description", description);
	emu_hdr h[] = { { MHD_HTTP_HEADER_CACHE_CONTROL, "no-store" } };
	return emu_respond_json(r, status, o, h, 1);
}

cJSON *emu_body_json(emu_req *r)
{
	if (!r->body || r->body_len == 0)
		return NULL;
	return cJSON_ParseWithLength(r->body, r->body_len);
}

int emu_body_object(emu_req *r, int empty_ok, cJSON **out,
		    enum MHD_Result *ret)
{
	*out = emu_body_json(r);
	if (cJSON_IsObject(*out) || (empty_ok && !r->body_len))
		return 0;
	cJSON_Delete(*out);
	*out = NULL;
	*ret = emu_respond_validation(r, NULL, "body",
				      "Body must be a JSON object.");
	return -1;
}

int emu_body_fields(emu_req *r, int empty_ok, const emu_field *f, size_t n,
		    cJSON **body, enum MHD_Result *ret)
{
	if (emu_body_object(r, empty_ok, body, ret) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(*body,
								  f[i].name);
		*f[i].out = v;
		int absent = !v || ((f[i].flags & EMU_FIELD_NULL_OK) &&
				    cJSON_IsNull(v));
		if (absent ? !(f[i].flags & EMU_FIELD_REQUIRED)
			   : !f[i].valid || f[i].valid(v))
			continue;
		cJSON_Delete(*body);
		*body = NULL;
		*ret = emu_respond_validation(r, NULL, f[i].name,
					      f[i].message);
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- routing */

static enum MHD_Result dispatch(emu_req *r)
{
	const char *p = r->path;
	enum MHD_Result ext; /* ext.c: webhooks control, management, ... */
	if (p[0] == '/' && p[1] == '_' && emu_ext_dispatch(r, &ext))
		return ext;
	if (strncmp(p, "/_emulator/connect/", 19) == 0)
		return emu_connect_control(r); /* connect.c: recorded grants */
	if (strcmp(p, "/_emulator") == 0 || strncmp(p, "/_emulator/", 11) == 0)
		return emu_control_handle(r);
	if (!r->delayed) { /* injected faults, once (not again after a wait) */
		if (emu_faults_intercept(r, &ext))
			return ext;
		if (r->delay_ms > 0 && emu_delay(r->conn, r->delay_ms)) {
			r->delayed =
				1; /* delay.c resumes it; MHD then calls us again */
			return MHD_YES;
		}
	}
	if (strncmp(p, "/oauth/authorize", 16) == 0 &&
	    (p[16] == '\0' || p[16] == '/'))
		return emu_connect_handle(r);
	if (strcmp(p, "/oauth/token") == 0)
		return emu_token_handle(r);
	if (emu_ext_dispatch(r, &ext))
		return ext;
	if (emu_path_is_v3(p))
		return emu_v3_handle(r);
	if (p[0] == '/' && p[1] == 'v')
		return emu_api_handle(r);
	return emu_respond_not_found(r);
}

/* ------------------------------------------------------ MHD callbacks */

/* SC-Request-Id: ids must be unique, not secret, so a per-thread
 * xorshift128+ seeded once from the CSPRNG replaces RAND_bytes (its lock
 * and fork check cost a getpid() on every request). */
static void request_id(char out[37])
{
	static __thread uint64_t s[2];
	if (!(s[0] | s[1])) {
		emu_random_bytes(s, sizeof s);
		s[0] |= 1;
	}
	unsigned char b[16];
	for (int k = 0; k < 2; k++) {
		uint64_t x = s[0], y = s[1];
		s[0] = y;
		x ^= x << 23;
		s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
		uint64_t v = s[1] + y;
		memcpy(b + 8 * k, &v, 8);
	}
	emu_uuid_format(out, b);
}

/* Called by MHD with the raw request target before it parses anything:
 * we keep our own decoding so '+' and %20 both mean space in queries,
 * and "X/" equals "X". */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	emu_req *r = emu_xmalloc(sizeof *r);
	memset(r, 0, sizeof *r);
	request_id(r->request_id);
	r->target_end = uri + strlen(uri);
	const char *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : strlen(uri), n;
	r->path = emu_pct_decode_n(uri, plen, 0, &n);
	/* a %00 would cut the path short for every strcmp after this one */
	if (memchr(r->path, '\0', n))
		r->bad_target = 1;
	n = strlen(r->path);
	while (n > 1 && r->path[n - 1] == '/')
		r->path[--n] = '\0';
	if (q) {
		const char *end = strchr(q + 1, '#');
		if (emu_kv_parse(&r->query, q + 1,
				 end ? (size_t)(end - q - 1) : strlen(q + 1)))
			r->bad_target = 1;
	}
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
			 enum MHD_RequestTerminationCode toe)
{
	emu_req *r = *ctx;
	(void)cls;
	(void)c;
	(void)toe;
	if (!r)
		return;
	/* a delayed request whose client left before the answer was still
	 * received: it goes in the log without a status */
	if (r->delayed && !r->responded)
		emu_requests_record(r, 0);
	free(r->path);
	emu_kv_free(&r->query);
	free(r->body);
	free(r);
	*ctx = NULL;
}

static enum MHD_Result too_large(emu_req *r)
{
	return emu_respond_error(r, 413, "VALIDATION", NULL,
				 "Request body too large (limit 1 MiB).", NULL);
}

/* ---------------------------------------------------- strict parsing */

typedef struct framing {
	int n_length, n_encoding;
	const char *length;
} framing;

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind,
				     const char *key, const char *value)
{
	framing *f = cls;
	(void)kind;
	if (emu_strcaseeq(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		f->n_length++;
		f->length = value;
	} else if (emu_strcaseeq(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		f->n_encoding++;
	}
	return MHD_YES;
}

/* NULL when the request is well formed, else why not. Body framing must
 * be unambiguous: one Content-Length of digits only, not beside a
 * Transfer-Encoding (two readers of the stream could otherwise split it
 * differently). */
static const char *malformed(emu_req *r, unsigned long long *length)
{
	if (r->bad_target)
		return "The request path or query holds a NUL character (%00).";
	framing f = { 0, 0, NULL };
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_framing, &f);
	*length = 0;
	if (f.n_length == 0)
		return NULL;
	if (f.n_length > 1)
		return "More than one Content-Length header.";
	if (f.n_encoding)
		return "Both Content-Length and Transfer-Encoding.";
	const char *p = f.length;
	if (!*p || strlen(p) > 19)
		return "Content-Length is not a number.";
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return "Content-Length is not a number.";
	*length = strtoull(f.length, NULL, 10);
	return NULL;
}

/* --------------------------------------------- connection limit */

/* Connections beyond --max-connections get a 503 (their socket context
 * points here); MHD's own limit, a little higher, closes the rest at
 * once. */
static char over_limit;
static unsigned live_connections;

static void on_connection(void *cls, struct MHD_Connection *c,
			  void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)c;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		unsigned n = __atomic_add_fetch(&live_connections, 1,
						__ATOMIC_RELAXED);
		if (n > emu_cfg.max_connections)
			*socket_ctx = &over_limit;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		__atomic_sub_fetch(&live_connections, 1, __ATOMIC_RELAXED);
	}
}

static int is_over_limit(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci && ci->socket_context == &over_limit;
}

static enum MHD_Result refuse(emu_req *r)
{
	emu_error e = { .status = MHD_HTTP_SERVICE_UNAVAILABLE,
			.type = "SERVER",
			.code = "INTERNAL",
			.retry_after = 1,
			.description =
				"The emulator is at its connection limit "
				"(--max-connections). Retry shortly." };
	r->close = 1;
	return emu_respond_err(r, &e);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **ctx)
{
	emu_req *r = *ctx;
	if (!r)
		return MHD_NO;
	if (!r->started) {
		r->started = 1;
		r->conn = c;
		r->method = method;
		/* libmicrohttpd parses the request line in place and ends the target
     * where the space before the version was: the version starts right
     * after the target's NUL. Anything else means a raw NUL byte cut the
     * target we were given (or a layout we do not know: refuse both). */
		if (version != r->target_end + 1)
			r->bad_target = 1;
		if (is_over_limit(c))
			return refuse(r);
		unsigned long long length;
		const char *why = malformed(r, &length);
		if (why) { /* answered early, and the connection closed after it */
			r->close = 1;
			return emu_respond_validation(r, NULL, "request", why);
		}
		if (length > EMU_MAX_BODY) {
			r->too_large = 1;
			r->close = 1;
			return too_large(
				r); /* answered early; MHD closes the connection */
		}
		return MHD_YES;
	}
	if (r->responded) { /* early answer given; drop the rest of the body */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->too_large) {
			if (r->body_len + *upload_size > EMU_MAX_BODY) {
				r->too_large = 1;
				free(r->body);
				r->body = NULL;
				r->body_len = 0;
			} else {
				r->body = emu_xrealloc(
					r->body,
					r->body_len + *upload_size + 1);
				memcpy(r->body + r->body_len, upload,
				       *upload_size);
				r->body_len += *upload_size;
				r->body[r->body_len] = '\0';
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_large)
		return too_large(r);
	return dispatch(r);
}

/* One MHD thread per core (at least 2, so a handler that waits, such as
 * a webhook verification, never stalls everything). */
static unsigned int pool_size(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 2 ? 2u : n > 64 ? 64u : (unsigned int)n;
}

/* Each connection's memory pool: the request head (line and headers) must
 * fit in about half of it. libmicrohttpd zeroes the pool between
 * requests on a kept-alive connection, so its default 32 KiB cost more
 * than the rest of a small request (and evicted the cache): 16 KiB still
 * takes 8 KiB of headers, twice nginx's default line buffer. */
#define CONNECTION_MEMORY (16u * 1024u)

/* Sockets beyond --max-connections that still get a clean 503. */
#define REFUSAL_SLOTS 64u

/* Room for every connection we accept, the listening sockets, MHD's
 * per-thread wake-up pipes and the files we open: the soft descriptor
 * limit is raised towards the hard one as far as that needs. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)emu_cfg.max_connections + REFUSAL_SLOTS + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
			      ? want
			      : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

void emu_server_stop(struct MHD_Daemon *d)
{
	emu_delay_stop(); /* MHD refuses to stop with suspended connections */
	MHD_stop_daemon(d);
}

struct MHD_Daemon *emu_server_start(const char *host, int port, int *bound_port,
				    char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", port);
	int gai = getaddrinfo(host, portstr, &hints, &ai);
	if (gai != 0 || !ai) {
		snprintf(err, errlen, "cannot resolve host %s: %s", host,
			 gai_strerror(gai));
		return NULL;
	}
	raise_fd_limit();
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_ALLOW_SUSPEND_RESUME;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (emu_cfg.verbose)
		flags |= MHD_USE_ERROR_LOG;
	/* HTTPS (--tls-cert/--tls-key): PEM text handed to MHD's TLS backend. */
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL },
					 { MHD_OPTION_END, 0, NULL },
					 { MHD_OPTION_END, 0, NULL } };
	int https = emu_cfg.tls_cert_pem && emu_cfg.tls_key_pem;
	if (https) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(
				err, errlen,
				"this libmicrohttpd was built without TLS "
				"support: --tls-cert/--tls-key cannot be used");
			freeaddrinfo(ai);
			return NULL;
		}
		flags |= MHD_USE_TLS;
		tls[0].option = MHD_OPTION_HTTPS_MEM_KEY;
		tls[0].ptr_value = emu_cfg.tls_key_pem;
		tls[1].option = MHD_OPTION_HTTPS_MEM_CERT;
		tls[1].ptr_value = emu_cfg.tls_cert_pem;
	}
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, &on_request, NULL,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
		pool_size(), MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)512,
		MHD_OPTION_URI_LOG_CALLBACK, &on_uri, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, &on_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, &on_connection, NULL,
		MHD_OPTION_CONNECTION_LIMIT,
		emu_cfg.max_connections + REFUSAL_SLOTS,
		MHD_OPTION_CONNECTION_TIMEOUT, emu_cfg.connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (d)
		emu_delay_start();
	if (!d) {
		snprintf(err, errlen,
			 https ? "cannot serve HTTPS on %s:%d (port in use, or "
				 "the "
				 "certificate and key do not load or match)"
			       : "cannot listen on %s:%d",
			 host, port);
		return NULL;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*bound_port = info ? info->port : port;
	return d;
}
