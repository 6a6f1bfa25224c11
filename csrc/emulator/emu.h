/*
 * smartcar-emulator: internal header shared by every file of the program.
 *
 * Files:
 *   main.c     command line, config file, signals, start/stop
 *   server.c   libmicrohttpd glue, request objects, routing, responses
 *   util.c     buffers, url/form codecs, random ids, derivation, time
 *   state.c    app config, clock, users and fleets, grants, codes, tokens
 *   connect.c  Connect pages and the shared approve/deny decision
 *   token.c    POST /oauth/token
 *   api.c      Vehicle API v1.0/v2.0
 *   control.c  /_emulator/ control API
 *
 * Locking: one mutex (emu_lock/emu_unlock) guards everything in state.c.
 * Handlers take it, read or change state, copy what they need into a
 * response, and release it before queueing the response.
 */
#ifndef EMU_H
#define EMU_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#define EMU_MAX_BODY (1024u * 1024u)
#define EMU_CODE_TTL_MS (600LL * 1000)
#define EMU_ACCESS_TTL_S 7200
#define EMU_ACCESS_TTL_MS ((int64_t)EMU_ACCESS_TTL_S * 1000)
#define EMU_REFRESH_TTL_MS (60LL * 24 * 3600 * 1000)
#define EMU_FLEET_SIZE 3

/* ---------------------------------------------------------------- util.c */

void *emu_xmalloc(size_t n);
void *emu_xrealloc(void *p, size_t n);
char *emu_strdup(const char *s);
char *emu_strndup(const char *s, size_t n);
int emu_strcaseeq(const char *a, const char *b);

/* Growable NUL-terminated byte buffer. Zero-initialise before use. */
typedef struct emu_buf {
  char *p;
  size_t len, cap;
} emu_buf;

void emu_buf_put(emu_buf *b, const char *s, size_t n);
void emu_buf_puts(emu_buf *b, const char *s);
void emu_buf_printf(emu_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s percent-encoded (unreserved characters kept, space -> %20). */
void emu_buf_pct(emu_buf *b, const char *s);
/* Appends s with & < > " ' escaped for HTML text and attributes. */
void emu_buf_html(emu_buf *b, const char *s);
/* Returns the string (never NULL) and leaves b empty. Caller frees. */
char *emu_buf_take(emu_buf *b);
void emu_buf_free(emu_buf *b);

/* Decoded key/value pairs from a query string or form body. */
typedef struct emu_kv {
  char *key, *value;
} emu_kv;
typedef struct emu_kvlist {
  emu_kv *items;
  size_t n, cap;
} emu_kvlist;

/* Parses application/x-www-form-urlencoded text: '&' separated, '+' and
 * %20 are spaces, every %XX is decoded. Appends to out. */
void emu_kv_parse(emu_kvlist *out, const char *s, size_t len);
/* First value for key, or NULL. */
const char *emu_kv_get(const emu_kvlist *l, const char *key);
void emu_kv_free(emu_kvlist *l);
/* Percent-decodes s[0..len); plus_is_space for query/form text. */
char *emu_pct_decode(const char *s, size_t len, int plus_is_space);

void emu_random_bytes(void *out, size_t n);
void emu_uuid_random(char out[37]);
/* Deterministic 32-byte digest of (seed, subject, label). */
void emu_derive(unsigned char out[32], uint64_t seed, const char *subject,
                const char *label);
/* UUID (v4 layout) derived from (seed, subject, label). */
void emu_uuid_derive(char out[37], uint64_t seed, const char *subject,
                     const char *label);
int emu_is_uuid(const char *s);
/* Decodes standard base64; returns 0 on success. out gets a NUL. */
int emu_base64_decode(const char *in, char **out, size_t *outlen);
/* 2024-05-01T12:00:00.000Z */
void emu_iso8601(char out[32], int64_t unix_ms);
int64_t emu_real_ms(void);

/* --------------------------------------------------------------- state.c */

typedef struct emu_config {
  char *client_id;
  char *client_secret;
  char **redirect_uris;
  size_t n_redirect_uris;
  char *management_token;
  uint64_t seed;
  double refresh_grace_s;
  char *host;
  int port;
  int verbose;
} emu_config;

typedef enum { EMU_BEV, EMU_PHEV, EMU_ICE } emu_engine;

typedef struct emu_vehicle {
  char id[37];
  char vin[18];
  const char *make, *model;
  int year;
  emu_engine engine;
  double odometer_km;
} emu_vehicle;

typedef struct emu_user {
  char *email; /* lower-cased */
  char id[37];
  emu_vehicle vehicles[EMU_FLEET_SIZE];
  struct emu_user *next;
} emu_user;

/* What an owner granted one app: shared by the code and the tokens that
 * descend from it. Reference counted; guarded by the state lock. */
typedef struct emu_grant {
  int refs;
  emu_user *user;
  char **scopes;
  size_t n_scopes;
  unsigned vehicle_mask; /* bit i: user->vehicles[i] is granted */
  char *client_id;
} emu_grant;

typedef enum { EMU_TOK_CODE, EMU_TOK_ACCESS, EMU_TOK_REFRESH } emu_tok_kind;

typedef struct emu_token {
  char key[37];
  emu_tok_kind kind;
  emu_grant *grant;
  int64_t expires_ms;
  int64_t used_ms;    /* codes and refresh tokens: first use, 0 = unused */
  char *redirect_uri; /* codes only */
  struct emu_token *next;
} emu_token;

/* Global configuration, read-only after start. */
extern emu_config emu_cfg;

void emu_config_defaults(emu_config *c);
void emu_config_free(emu_config *c);

void emu_state_init(void);
void emu_state_free(void);
void emu_lock(void);
void emu_unlock(void);

/* Emulator clock: real time + offset. Safe without the lock. */
int64_t emu_now_ms(void);
int64_t emu_clock_offset_ms(void);
void emu_clock_advance_ms(int64_t delta);

/* The rest need the lock held. */
void emu_state_reset(void);
const char *emu_redirect_uri_registered(const char *uri);
/* User for an email (created with its fleet on first use). */
emu_user *emu_user_get(const char *email);
/* Fleet derivation, also usable without the lock. */
void emu_fleet_derive(emu_user *u);
emu_grant *emu_grant_new(emu_user *u, char **scopes, size_t n_scopes,
                         unsigned mask, const char *client_id);
int emu_grant_has_scope(const emu_grant *g, const char *scope);
/* Granted vehicle with this id, or NULL. */
emu_vehicle *emu_grant_vehicle(const emu_grant *g, const char *id);
/* Creates a token of kind with a fresh random key; takes a grant ref. */
emu_token *emu_token_new(emu_tok_kind kind, emu_grant *g, int64_t ttl_ms,
                         const char *redirect_uri);
emu_token *emu_token_find(emu_tok_kind kind, const char *key);

/* --------------------------------------------------------------- server.c */

typedef struct emu_req {
  struct MHD_Connection *conn;
  const char *method;
  char *path; /* percent-decoded, trailing slashes removed */
  emu_kvlist query;
  char request_id[37];
  char *body;
  size_t body_len;
  int started, too_large, responded;
} emu_req;

typedef struct emu_hdr {
  const char *name, *value;
} emu_hdr;

struct MHD_Daemon *emu_server_start(const char *host, int port, int *bound_port,
                                    char *err, size_t errlen);

const char *emu_header(emu_req *r, const char *name);
int emu_method_is(emu_req *r, const char *m);

enum MHD_Result emu_respond(emu_req *r, unsigned status, const char *ctype,
                            const char *body, size_t len, const emu_hdr *extra,
                            size_t n_extra);
/* Consumes json. */
enum MHD_Result emu_respond_json(emu_req *r, unsigned status, cJSON *json,
                                 const emu_hdr *extra, size_t n_extra);
enum MHD_Result emu_respond_html(emu_req *r, unsigned status,
                                 const char *html);
enum MHD_Result emu_respond_redirect(emu_req *r, const char *location);
/* Complete v2 error body. code may be NULL (JSON null). detail (consumed)
 * may be NULL; it is sent only for VALIDATION errors. */
enum MHD_Result emu_respond_error(emu_req *r, unsigned status,
                                  const char *type, const char *code,
                                  const char *description, cJSON *detail);
/* VALIDATION error with one detail entry {field, message}. */
enum MHD_Result emu_respond_validation(emu_req *r, const char *code,
                                       const char *field, const char *message);
enum MHD_Result emu_respond_not_found(emu_req *r);
/* OAuth style {"error","error_description"}. */
enum MHD_Result emu_respond_oauth_error(emu_req *r, unsigned status,
                                        const char *error,
                                        const char *description);
/* Parses the body as JSON; NULL if empty or invalid. */
cJSON *emu_body_json(emu_req *r);

/* ------------------------------------------------------------- handlers */

/* Outcome of the Connect decision shared by the HTML form and the control
 * API. On refusal (the authorize request itself is bad) location is NULL
 * and field/message say why. */
typedef struct emu_connect_outcome {
  char *location;
  const char *field;
  char *message;
} emu_connect_outcome;

void emu_connect_decide(const emu_kvlist *authorize_query, const char *action,
                        const char *email, emu_connect_outcome *out);
void emu_connect_outcome_free(emu_connect_outcome *o);

enum MHD_Result emu_connect_handle(emu_req *r);
enum MHD_Result emu_token_handle(emu_req *r);
enum MHD_Result emu_api_handle(emu_req *r);
enum MHD_Result emu_control_handle(emu_req *r);

#endif
