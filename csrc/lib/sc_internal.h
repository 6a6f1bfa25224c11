/*
 * Internal declarations shared by the library's .c files.  Nothing here
 * is public API; names are sc__* (double underscore).
 */
#ifndef SC_INTERNAL_H
#define SC_INTERNAL_H

#include <stddef.h>
#include <pthread.h>
#include <cjson/cJSON.h>

#include "smartcar.h"

#define SC_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define SC_DEFAULT_TIMEOUT_MS 60000L
/* transfers an sc_async starts per step (client option async_start_budget) */
#define SC_DEFAULT_ASYNC_START_BUDGET 8
/* v3 commands (SC_EP_LONG) may answer 202 and write the result minutes
 * later on the same connection: at least this long unless the call says */
#define SC_LONG_COMMAND_TIMEOUT_MS 310000L
#define SC_DEFAULT_MAX_RESPONSE ((size_t)4 * 1024 * 1024)
#define SC_REFRESH_LIFETIME_S (60.0 * 24 * 3600)
#define SC_REDACTED "[REDACTED]"

/* ---- bounded growable buffer (buf.c) ---------------------------------- */
typedef struct sc_buf {
	char *ptr;   /* always NUL-terminated when not NULL */
	size_t len;
	size_t cap;
	size_t max;  /* appends past this fail with SC_ETOOBIG; 0 = no cap */
	int borrowed; /* ptr is the caller's storage (sc__buf_init_in) */
} sc_buf;

void sc__buf_init(sc_buf *b, size_t max);
/* Start in the caller's storage (cap bytes, e.g. on the stack); a longer
 * text moves to the heap.  Free it as any other. */
void sc__buf_init_in(sc_buf *b, char *storage, size_t cap, size_t max);
int sc__buf_append(sc_buf *b, const char *data, size_t len);
int sc__buf_puts(sc_buf *b, const char *s);
/* Appends each string in turn; stops at the first error. */
#define sc__buf_cat(b, ...) sc__buf_cat_(b, __VA_ARGS__, (const char *)NULL)
int sc__buf_cat_(sc_buf *b, ...);
int sc__buf_putc(sc_buf *b, char c);
/* Hand the bytes to the caller (never NULL on success: "" when empty). */
char *sc__buf_detach(sc_buf *b);
void sc__buf_free(sc_buf *b);
/* Zero the bytes, then free: for buffers that held secrets. */
void sc__buf_wipe(sc_buf *b);

/* ---- small helpers (strings.c, url.c, platform.c, json.c) ------------ */
char *sc__strdup(const char *s);
char *sc__strndup(const char *s, size_t n);
void sc__wipe_free(char *s);
/* Zero n bytes that held a secret (not optimised away; fast). */
void sc__wipe(void *p, size_t n);
int sc__strcaseeq(const char *a, const char *b);
/* RFC 3986: keep unreserved characters, percent-encode the rest. */
int sc__url_encode(sc_buf *out, const char *s);
/* Append [sep]key=url-encoded(value); sep 0 appends none. */
int sc__buf_param(sc_buf *b, char sep, const char *key, const char *value);
/* Value of one hex digit, or -1. */
int sc__hexval(int c);
/* "true", "1", "True" or "yes". */
int sc__is_true(const char *v);
/* Decode %XX and '+' (as space).  Returns a new string or NULL. */
char *sc__url_decode(const char *s, size_t len);
int sc__base64(sc_buf *out, const unsigned char *data, size_t len);
int sc__random_bytes(unsigned char *out, size_t len);
/* 1 when equal, compared in time that depends only on the lengths. */
int sc__ct_streq(const char *a, const char *b);
double sc__now(void);
/* Idle handles a pool keeps for reuse, items[0..*n) under mu: take gives
 * the last one (NULL when none); keep adds h when fewer than cap are (1),
 * else 0 and the caller closes h. */
void *sc__idle_take(pthread_mutex_t *mu, void **items, size_t *n);
int sc__idle_keep(pthread_mutex_t *mu, void **items, size_t *n, size_t cap,
		  void *h);
/* camelCase -> snake_case, new string. */
char *sc__snake_case(const char *name);
/* Recursively copy a JSON value, renaming object keys to snake_case. */
cJSON *sc__json_snake(const cJSON *v);
int sc__json_snake_in_place(cJSON *v);
/* A new array of fn(item) for each item of v; NULL when out of memory or
 * when fn returns NULL for one. */
cJSON *sc__json_map(const cJSON *v, cJSON *(*fn)(const cJSON *));
/* v's number as an int; dflt when v is no number or out of int's range
 * (a hostile body's 1e300: converting it is undefined behaviour). */
int sc__json_int(const cJSON *v, int dflt);
/* Parse exactly len bytes of JSON; NULL when malformed, with trailing
 * junk, or nested deeper than SC_JSON_MAX_DEPTH. */
#define SC_JSON_MAX_DEPTH 64
cJSON *sc__json_parse(const char *data, size_t len);
/* The value of all len bytes (only whitespace or NUL bytes may follow
 * it), else NULL; *end is where parsing stopped (NULL: no memory). */
cJSON *sc__json_parse_whole(const char *data, size_t len, const char **end);
/* 1 when the URL's host is 127.0.0.0/8, ::1 or localhost. */
int sc__url_is_loopback(const char *url);
/* 1 for http:// or https:// URLs with a host. */
int sc__url_is_http(const char *url);
/* A copy of s with each secret, in every form it may be encoded in
 * (redact.c), replaced by [REDACTED]; NULL when out of memory. */
char *sc__redact(const char *s, const char *const *secrets, size_t n);

/* ---- errors (error.c) ------------------------------------------------- */
struct sc_error {
	int code;
	cJSON *obj;      /* all fields, snake_case */
	char *message;   /* borrowed view of obj["message"] kept in sync */
};

sc_error *sc__error_new(int code, const char *message);
/* Set a string field (NULL value stores JSON null). */
int sc__error_set(sc_error *e, const char *field, const char *value);
int sc__error_set_number(sc_error *e, const char *field, double value);
/* Takes ownership of item. */
int sc__error_set_item(sc_error *e, const char *field, cJSON *item);
int sc__error_set_message(sc_error *e, const char *message);
/* Remove secrets from every string in the error. */
void sc__error_redact(sc_error *e, const char *const *secrets, size_t n);
/* SC_EINVAL for a value of the wrong type, in *err_out (when not set yet):
 * "<what>: <expected> expected, got <got's JSON type>" and the field
 * "expected" (the bindings raise a type error: bind_host.c). */
int sc__invalid_type(sc_error **err_out, const char *what,
		     const char *expected, const cJSON *got);

/* ---- results (result.c) ----------------------------------------------- */
struct sc_result {
	int code;
	cJSON *data;
	sc_error *error;
};
/* Both take ownership of their argument; NULL on allocation failure. */
sc_result *sc__result_ok(cJSON *data);
sc_result *sc__result_err(sc_error *err);
/* For allocation failures: a result whose error is SC_ENOMEM. */
sc_result *sc__result_code(int code, const char *message);

/* ---- signals (signals.c) ---------------------------------------------- */
/* A time (number: seconds below 1e11, else milliseconds; or ISO-8601
 * text) as epoch milliseconds; 0 or SC_EINVAL. */
int sc__time_ms(const cJSON *v, int64_t *out);
/* A signal's meta times (camelCase or snake_case keys) -> epoch ms, in
 * place; -1 when out of memory. */
int sc__signal_times(cJSON *meta);
/* One flat row of a signal (REST resource or webhook signal). */
cJSON *sc__signal_row(const cJSON *sig, const char *vehicle_id);
/* The rows of the signals a document holds; NULL when it holds none. */
cJSON *sc__signal_rows(const cJSON *doc);

/* ---- SQLite (store_sqlite.c) ------------------------------------------ */
struct sqlite3;
/* path opened read-write (created 0600), serialized, WAL, busy timeout:
 * 0 or SC_ESTORAGE. */
int sc__sqlite_open(struct sqlite3 **db, const char *path);

/* ---- webhook event ids on PostgreSQL (store_pg.c) ---------------------- */
int sc__pg_seen_open(void **out, const char *conninfo, sc_error **err_out);
/* Rows changed by the upsert (1: new or expired), or SC_ESTORAGE. */
int sc__pg_seen_check(void *pg, const char *id, int64_t now, int64_t ttl);
/* Rows deleted, or SC_ESTORAGE. */
int sc__pg_seen_forget(void *pg, const char *id);
long sc__pg_seen_count(void *pg);
void sc__pg_seen_close(void *pg);

/* ---- params (params.c) ------------------------------------------------ */
/* (opaque struct lives in params.c) */
int sc__params_copy(sc_params **out, const sc_params *src);

/* ---- HTTP messages (message.c) ---------------------------------------- */
typedef struct sc_header {
	char *name;
	char *value;
} sc_header;

/* The first headers of a message and their text live inside it: no
 * allocation per header for an ordinary request or response (message.c). */
#define SC_HDR_INLINE 12
#define SC_HDR_TEXT 640

struct sc_request {
	char *method;
	char *url;    /* method and url share the request's allocation */
	sc_header *headers;
	size_t nheaders;
	sc_buf body;
	long connect_timeout_ms;
	long timeout_ms;
	int reusable; /* may go on a kept-alive connection (it may be resent) */
	size_t hdr_used;
	sc_header hdr_inline[SC_HDR_INLINE];
	char hdr_text[SC_HDR_TEXT];
};

struct sc_response {
	int status;
	sc_header *headers;
	size_t nheaders;
	sc_buf body;
	int too_big;
	size_t hdr_used;
	sc_header hdr_inline[SC_HDR_INLINE];
	char hdr_text[SC_HDR_TEXT];
	/* where the body starts (sc__buf_init_in); the struct stays within
	 * 1 KB, the size glibc keeps freed blocks of at hand */
	char body_text[112];
};

int sc__request_new(sc_request **out, const char *method, const char *url);
int sc__request_add_header(sc_request *req, const char *name,
			   const char *value);
/* A header whose value is value followed by more ("Bearer ", token). */
int sc__request_add_header2(sc_request *req, const char *name,
			    const char *value, const char *more);
/* Replace (or add) a header. */
int sc__request_set_header(sc_request *req, const char *name,
			   const char *value);
void sc__request_free(sc_request *req);
void sc__response_clear_headers(sc_response *resp);
int sc__response_add_header_n(sc_response *resp, const char *name,
			      size_t nlen, const char *value, size_t vlen);

/* ---- client (client.c) ------------------------------------------------ */
struct sc_curl_pool;

struct sc_client {
	char *client_id;
	char *client_secret;
	char *redirect_uri;
	char *mode;
	char *connect_origin;
	char *auth_url;   /* full token URL */
	char *api_origin;
	char *management_origin;
	char *vehicle_api_origin;
	char *management_v3_origin; /* SMARTCAR_MANAGEMENT_API_V3_ORIGIN */
	char *iam_origin;
	char *api_version;
	char *unit_system;
	char *user_agent;
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response_bytes;
	int allow_insecure_http;
	int insecure_tls;
	char *ca_bundle;
	char *proxy;
	char *flags;
	int max_attempts;
	long retry_base_ms;
	long retry_max_ms;
	long retry_deadline_ms;
	int rate_fail_fast;
	int rate_off;                     /* rate_policy "off" */
	int official;                     /* profile "official" */
	double max_cooldown_s;            /* cap on a server's Retry-After */
	size_t async_start_budget;        /* per sc_async step; 0: none */
	sc_debug_cb debug;
	void *debug_payload;
	pthread_mutex_t lock;             /* guards the fields below */
	long connections_opened;
	char *app_token;                  /* v3 application token cache */
	double app_token_expires;         /* Unix seconds */
	struct sc_rate *rate;             /* rate.c */
	sc_token_store *shared_cooldowns; /* store.c; held */
	struct sc_curl_pool *pool;        /* transport_curl.c */
};

/* ---- rate awareness (rate.c) ------------------------------------------ */
struct sc_rate;
int sc__rate_new(struct sc_rate **out, double capacity, double per_minute);
void sc__rate_free(struct sc_rate *r);
/* Seconds until a request to vehicle_id (may be NULL) may be sent; 0 when
 * it may go now, in which case a bucket token has been taken.  *why is
 * set to "VEHICLE", "SMARTCAR_API" or "LOCAL" when the answer is > 0. */
double sc__rate_acquire(sc_client *c, const char *vehicle_id,
			const char **why);
/* Remember a server-imposed cool-down (Retry-After on a 429). */
void sc__rate_cooldown(sc_client *c, const char *vehicle_id, double seconds);
double sc__monotonic(void);
/* Cool-downs shared through a store (store.c): seconds to wait (0: none,
 * or the store did not answer; *why as above), and recording one. */
double sc__cooldown_shared_wait(sc_client *c, const char *vehicle_id,
				const char **why);
void sc__cooldown_shared_put(sc_client *c, const char *vehicle_id,
			     double seconds);
/* Holds on a store (store.c) by an op, a pager or a client sharing its
 * cool-downs: sc_token_store_free() of a held store waits for the last
 * release.  Hold: 0 or SC_ENOMEM; both accept NULL. */
int sc__store_hold(sc_token_store *store);
void sc__store_release(sc_token_store *store);

/* ---- transport (transport_curl.c) ------------------------------------- */
/* keep_min: idle handles (and their connections) always kept; 0: 16. */
int sc__curl_pool_new(struct sc_curl_pool **out, size_t keep_min);
/* How many times the client's CA store was parsed (once, or 0). */
long sc__curl_pool_ca_loads(const struct sc_curl_pool *pool);
void sc__curl_pool_free(struct sc_curl_pool *pool);
/* Perform req; on failure returns a negative code and a message, and sets
 * *unsent when the request certainly never left this machine. */
int sc__curl_perform(sc_client *client, const sc_request *req,
		     sc_response **resp_out, char *errmsg, size_t errlen,
		     int *unsent);

/* ---- response mapping (answer.c) -------------------------------------- */
/* The typed error for a non-2xx answer.  json may be NULL (then body is
 * parsed when the content type says JSON). */
sc_error *sc__error_from_answer(int status, const char *content_type,
				const char *request_id,
				const char *retry_after, const char *body,
				size_t len);
sc_error *sc__error_from_json(int status, const char *request_id,
			      const char *retry_after, const cJSON *json);
cJSON *sc__token_data(const cJSON *body, int want_refresh);
double sc__parse_retry_after(const char *v);

/* ---- operations (op.c) ------------------------------------------------ */
int sc__valid_version(const char *v);
/* 1 when the endpoint authenticates with the caller's access token. */
int sc__endpoint_uses_access_token(const char *name);

#endif
