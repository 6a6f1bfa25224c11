/*
 * smartcar-emulator: internal header shared by every file of the program.
 *
 * Files:
 *   main.c     command line, config file, signals, start/stop
 *   server.c   libmicrohttpd glue, request objects, strict parsing,
 *              connection limit, routing, responses
 *   delay.c    latency faults: suspended connections and a timer heap
 *   util.c     buffers, url/form codecs, random ids, derivation, time
 *   state.c    app config, clock, users and fleets, grants, codes, tokens
 *   connect.c  Connect flow and the shared approve/deny decision
 *   connect_html.c  Connect's pages
 *   redirect.c the JavaScript SDK redirect stand-in (/v2/redirect)
 *   makes.c    the make table: brands, test vehicles, WMIs, make paths
 *   token.c    POST /oauth/token
 *   api.c      Vehicle API v1.0/v2.0: the endpoint table, routing, batch
 *   api_handlers.c  what each Vehicle API endpoint answers
 *   vehicles.c vehicle state and how it follows the clock
 *   errors.c   the v2 error catalogue and error bodies
 *   faults.c   fault injection, the received-request log, rate limits
 *   control.c  /_emulator/ control API
 *   v3.c       Vehicle API v3 (vehicle, signals) and the v3 error body
 *   v3_commands.c  v3 commands and charge schedules: sync (200) or a 202
 *              whose body is written when the command ends
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
#define EMU_FLEET_SIZE 3     /* the base fleet every owner has */
#define EMU_MAX_VEHICLES 32  /* base fleet + test-mode brand vehicles */

/* ---------------------------------------------------------------- util.c */

/* Frees every node of a singly linked list (linked through ->next) with
 * free_node, leaving head NULL. */
#define EMU_LIST_FREE(head, free_node) \
  do {                                 \
    while (head) {                     \
      void *emu_node_ = (head);        \
      (head) = (head)->next;           \
      free_node(emu_node_);            \
    }                                  \
  } while (0)

void *emu_xmalloc(size_t n);
void *emu_xrealloc(void *p, size_t n);
char *emu_strdup(const char *s);
char *emu_strndup(const char *s, size_t n);
int emu_strcaseeq(const char *a, const char *b);
/* 1 when the n bytes at s are a version "<digits>.<digits>". */
int emu_version_well_formed(const char *s, size_t n);
/* A name and what it stands for, in tables looked up by name. */
typedef struct emu_pair {
  const char *name, *value;
} emu_pair;
/* The value of name among the n pairs of t, or NULL. */
const char *emu_pair_find(const emu_pair *t, size_t n, const char *name);
/* o[k] = v as a string, or null when v is NULL. */
void emu_json_str_or_null(cJSON *o, const char *k, const char *v);
/* A JSON:API resource {"id", "type"}; with attributes non-NULL it also
 * gets an "attributes" object, returned there. */
cJSON *emu_jsonapi_resource(const char *id, const char *type,
                            cJSON **attributes);

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
 * %20 are spaces, every %XX is decoded. Appends to out; returns 1 when a
 * decoded key or value holds a NUL (%00), else 0. */
int emu_kv_parse(emu_kvlist *out, const char *s, size_t len);
/* First value for key, or NULL. */
const char *emu_kv_get(const emu_kvlist *l, const char *key);
void emu_kv_free(emu_kvlist *l);
/* Percent-decodes s[0..len); plus_is_space for query/form text. */
char *emu_pct_decode(const char *s, size_t len, int plus_is_space);
/* The same, with the decoded length (NULs included) in *outlen. */
char *emu_pct_decode_n(const char *s, size_t len, int plus_is_space,
                       size_t *outlen);

void emu_random_bytes(void *out, size_t n);
void emu_uuid_random(char out[37]);
/* 16 bytes as a version 4 UUID (the version and variant bits are set in
 * b). */
void emu_uuid_format(char out[37], unsigned char b[16]);
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
  /* start-up limits (0 = off); POST /_emulator/limits changes the live
   * ones, reset goes back to these */
  double app_rate_capacity, app_rate_per_min;
  double vehicle_min_interval_s;
  /* --tls-cert/--tls-key: PEM text (main.c reads the files and frees it);
   * both set = serve HTTPS */
  char *tls_cert_pem, *tls_key_pem;
  /* --max-connections, --connection-timeout (seconds idle, 0 = none) */
  unsigned max_connections, connection_timeout_s;
} emu_config;

typedef enum { EMU_BEV, EMU_PHEV, EMU_ICE } emu_engine;

/* A vehicle and its live state (vehicles.c moves it along the emulator
 * clock; see emu_vehicle_sync). Guarded by the state lock. */
typedef struct emu_vehicle {
  char id[37];
  char vin[18];
  const char *make, *model;
  int year;
  emu_engine engine;
  double odometer_km;
  int64_t synced_ms;      /* state is current as of this emulator time */
  double latitude, longitude, heading_deg, speed_kmh;
  double leg_lat, leg_lon, leg_odo_km; /* start of the current straight leg */
  double battery;         /* 0..1 (BEV, PHEV) */
  double fuel;            /* 0..1 (ICE, PHEV) */
  double charge_limit;    /* 0.5..1 */
  double oil_life, oil_odo_km; /* life at oil_odo_km; wears with distance */
  double tire_kpa[4];     /* front left, front right, back left, back right */
  double temp_ext_c, temp_int_c;
  double amperage;        /* charging current setting (A) */
  double dest_lat, dest_lon;
  int has_dest;
  int plugged_in, charging, driving, locked, asleep;
  int64_t last_request_ms; /* per-vehicle throttle; 0 = none yet */
} emu_vehicle;

typedef struct emu_user {
  char *email; /* lower-cased */
  char id[37];
  /* [0, EMU_FLEET_SIZE): the base fleet; then the test vehicles of each
   * brand a test-mode owner picked at Connect (emu_user_add_make) */
  emu_vehicle vehicles[EMU_MAX_VEHICLES];
  int n_vehicles;
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
/* Adds make's test vehicles to u's fleet unless it has them (derived
 * from seed, email and make); returns the mask of u's vehicles of make. */
unsigned emu_user_add_make(emu_user *u, const char *make);
emu_grant *emu_grant_new(emu_user *u, char **scopes, size_t n_scopes,
                         unsigned mask, const char *client_id);
int emu_grant_has_scope(const emu_grant *g, const char *scope);
/* Granted vehicle with this id, or NULL. */
emu_vehicle *emu_grant_vehicle(const emu_grant *g, const char *id);
/* Creates a token of kind with a fresh random key; takes a grant ref. */
emu_token *emu_token_new(emu_tok_kind kind, emu_grant *g, int64_t ttl_ms,
                         const char *redirect_uri);
emu_token *emu_token_find(emu_tok_kind kind, const char *key);
/* Head of the owner list (newest first), for listings. */
emu_user *emu_users(void);
/* Vehicle with this id among all owners (case-insensitive), or NULL;
 * owner and index are optional outputs. */
emu_vehicle *emu_vehicle_find(const char *id, emu_user **owner, int *index);
/* Ends every grant's access to u->vehicles[index] (DELETE /application,
 * management disconnects): tokens keep working for the rest. */
void emu_connection_revoke(emu_user *u, int index);
/* Clock control beyond advancing: jump to an absolute time, freeze. */
void emu_clock_set_ms(int64_t now_ms);
void emu_clock_freeze(int frozen);
int emu_clock_frozen(void);

/* --------------------------------------------------------------- makes.c */

#define EMU_MAKE_WMIS 4
#define EMU_MAKE_MODELS 2

typedef struct emu_model {
  const char *model;
  int year;               /* the test vehicle's model year */
  emu_engine engine;
  const char *vin_prefix; /* VIN characters 1-8 */
  char plant;             /* VIN character 11 */
  int start_year;         /* compatibility matrix: first model year */
} emu_model;

typedef struct emu_make {
  const char *id, *label;          /* "MERCEDES_BENZ", "Mercedes-Benz" */
  const char *wmi[EMU_MAKE_WMIS];  /* manufacturer codes, VIN 1-3 */
  int first_year;                  /* first compatible model year */
  const char *segment;             /* make-specific paths, or NULL */
  const char *regions;             /* matrix regions: "US CA EUROPE" */
  emu_model models[EMU_MAKE_MODELS];
} emu_make;

const emu_make *emu_makes(size_t *n);
const emu_make *emu_make_find(const char *id); /* any case */
size_t emu_make_models(const emu_make *m);
/* The make whose path segment is segment[0..len) ("tesla"), or NULL. */
const emu_make *emu_make_by_segment(const char *segment, size_t len);
/* The make of a VIN by its WMI (NULL if none), and the test model whose
 * 8-character prefix it has (NULL if none). */
const emu_make *emu_vin_make(const char *vin, const emu_model **model);
/* Model year from VIN character 10; 0 if it is not a year code. */
int emu_vin_model_year(const char *vin);
char emu_vin_year_code(int year);

/* ------------------------------------------------------------ vehicles.c */

/* Start state from 32 derived bytes; the vehicle's ids are already set. */
void emu_vehicle_init(emu_vehicle *v, const unsigned char d[32], int64_t now);
/* Moves the state along to now: driving adds distance, moves the car and
 * uses energy; a charging car fills up to its limit. Lock held. */
void emu_vehicle_sync(emu_vehicle *v, int64_t now_ms);
const char *emu_engine_name(emu_engine e);
/* Readings derived from the state (metric). */
double emu_vehicle_battery_kwh(const emu_vehicle *v);
double emu_vehicle_battery_range_km(const emu_vehicle *v);
double emu_vehicle_fuel_liters(const emu_vehicle *v);
double emu_vehicle_fuel_range_km(const emu_vehicle *v);
double emu_vehicle_oil_life(const emu_vehicle *v);
double emu_vehicle_voltage(const emu_vehicle *v);
/* Charging power now (kW): 0 unless CHARGING. */
double emu_vehicle_charge_kw(const emu_vehicle *v);
/* CHARGING, FULLY_CHARGED or NOT_CHARGING */
const char *emu_vehicle_charge_state(const emu_vehicle *v);
void emu_vehicle_set_driving(emu_vehicle *v, int on);
void emu_vehicle_set_position(emu_vehicle *v, double lat, double lon);
/* {"plugged_in", ...}: the control API's view of the state. */
cJSON *emu_vehicle_state_json(const emu_vehicle *v);
/* Applies control API state fields (all or nothing). On a bad field returns
 * -1 with *field set and msg filled. Lock held. */
int emu_vehicle_apply(emu_vehicle *v, const cJSON *fields, const char **field,
                      char *msg, size_t msglen);

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
  int post_fault;       /* EMU_POST_*: mangle the response (faults.c) */
  int bad_target;       /* the request target holds a NUL */
  const char *target_end; /* server.c: end of the target MHD gave us */
  int close;            /* answer with Connection: close */
  long delay_ms;        /* latency fault: wait this long first ... */
  int delayed;          /* ... done (the connection was suspended) */
} emu_req;

typedef struct emu_hdr {
  const char *name, *value;
} emu_hdr;

#define EMU_DEFAULT_MAX_CONNECTIONS 4096u
#define EMU_DEFAULT_CONNECTION_TIMEOUT_S 30u

struct MHD_Daemon *emu_server_start(const char *host, int port, int *bound_port,
                                    char *err, size_t errlen);
/* Resumes delayed requests, then stops the daemon. */
void emu_server_stop(struct MHD_Daemon *d);

/* delay.c: latency without a thread per wait. emu_delay suspends the
 * connection (call it from the request handler) and resumes it after ms;
 * 0 when it did not (stopping), the caller then goes on at once. */
void emu_delay_start(void);
int emu_delay(struct MHD_Connection *c, long ms);
/* The same with a tag for emu_delay_release; ms < 0 waits until then. May
 * also be called from a response's content reader. */
int emu_delay_tagged(struct MHD_Connection *c, long ms, int tag);
/* Resumes every waiter of tag now; returns how many. */
size_t emu_delay_release(int tag);
/* Resumes every waiting connection now and refuses new waits. */
void emu_delay_stop(void);

const char *emu_header(emu_req *r, const char *name);
int emu_method_is(emu_req *r, const char *m);

enum MHD_Result emu_respond(emu_req *r, unsigned status, const char *ctype,
                            const char *body, size_t len, const emu_hdr *extra,
                            size_t n_extra);
/* Queues resp (consumed; NULL = MHD_NO) with Content-Type, SC-Request-Id,
 * the extra headers and Connection: close when r->close, and records the
 * request: the one way every answer goes out. */
enum MHD_Result emu_queue(emu_req *r, unsigned status,
                          struct MHD_Response *resp, const char *ctype,
                          const emu_hdr *extra, size_t n_extra);
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
/* 200 {"status": status} */
enum MHD_Result emu_respond_status(emu_req *r, const char *status);
/* OAuth style {"error","error_description"}. */
enum MHD_Result emu_respond_oauth_error(emu_req *r, unsigned status,
                                        const char *error,
                                        const char *description);
/* Parses the body as JSON; NULL if empty or invalid. */
cJSON *emu_body_json(emu_req *r);
/* The body as a JSON object in *out (caller deletes; NULL for an empty
 * body when empty_ok): 0, or -1 with a VALIDATION answer queued in *ret. */
int emu_body_object(emu_req *r, int empty_ok, cJSON **out,
                    enum MHD_Result *ret);
/* A member of a JSON object body: where its value goes (NULL when absent)
 * and what it may hold. valid (NULL: anything) judges a present value;
 * null counts as absent with EMU_FIELD_NULL_OK; absent is fine unless
 * EMU_FIELD_REQUIRED. message is the VALIDATION detail otherwise. */
enum { EMU_FIELD_REQUIRED = 1, EMU_FIELD_NULL_OK = 2 };
typedef struct emu_field {
  const char *name;
  const cJSON **out;
  cJSON_bool (*valid)(const cJSON *v);
  int flags;
  const char *message;
} emu_field;
/* emu_body_object, then the n fields checked in order: 0 (caller deletes
 * *body), or -1 with the first bad field's VALIDATION answer in *ret. */
int emu_body_fields(emu_req *r, int empty_ok, const emu_field *f, size_t n,
                    cJSON **body, enum MHD_Result *ret);

/* util.c, "Authorization: <scheme> <credentials>" (scheme matched without
 * case, spaces around the credentials ignored). */
/* Bearer token copied into out; 0 when absent, another scheme, empty or
 * too long for out. */
int emu_auth_bearer(emu_req *r, char *out, size_t outlen);
/* Basic base64(user:secret): 1 with *user and *secret pointing into *dec
 * (caller frees it); 0 (nothing to free) when absent or malformed. */
int emu_auth_basic(emu_req *r, char **dec, const char **user,
                   const char **secret);
/* 1 when the Basic credentials are exactly (user, secret). */
int emu_auth_basic_is(emu_req *r, const char *user, const char *secret);
/* given == want, in time that does not depend on where they differ;
 * given may be NULL. */
int emu_secret_eq(const char *given, const char *want);

/* -------------------------------------------------------------- errors.c */

/* One row of the v2 error catalogue (spec 4.2). code NULL = JSON null. */
typedef struct emu_error_def {
  const char *type, *code;
  unsigned status;
  const char *resolution; /* NULL = {"type": null} */
  const char *description, *user_message;
} emu_error_def;

const emu_error_def *emu_error_catalogue(size_t *n);
const emu_error_def *emu_error_find(const char *type, const char *code);

/* An error to send. Zero fields take the catalogue's values. */
typedef struct emu_error {
  unsigned status;
  const char *type, *code;
  const char *description;
  int resolution_set;     /* use resolution below (may be NULL) */
  const char *resolution;
  cJSON *detail;          /* consumed; sent for VALIDATION only */
  int retry_after;        /* > 0: Retry-After header */
} emu_error;

/* Complete v2 error body; consumes e->detail and fills e->status. */
cJSON *emu_error_json(emu_error *e, const char *request_id);
/* v1.0 body {"error","message","code","statusCode","requestId"} (code
 * absent when there is none); consumes e->detail, fills e->status. */
cJSON *emu_error_json_v1(emu_error *e, const char *request_id);
/* 1 for /v1.x paths: errors there use the v1.0 body. */
int emu_path_is_v1(const char *path);
/* The error body for a request path: v1.0, v2 or v3 (JSON:API). */
cJSON *emu_error_json_for(const char *path, emu_error *e,
                          const char *request_id);
/* [{"field", "message"}] */
cJSON *emu_error_detail(const char *field, const char *message);
enum MHD_Result emu_respond_err(emu_req *r, emu_error *e);

/* -------------------------------------------------------------- faults.c */

enum { EMU_POST_NONE, EMU_POST_DROP, EMU_POST_MALFORMED };

void emu_faults_init(void);
/* Forgets faults, recorded requests and live limits (back to the config). */
void emu_faults_reset(void);
void emu_faults_free(void);
/* Called for every request outside /_emulator/ before routing. Returns 1
 * when a fault answered the request (*ret set); may instead ask for a
 * wait first (latency: r->delay_ms) or mark the request for a mangled
 * response (r->post_fault). */
int emu_faults_intercept(emu_req *r, enum MHD_Result *ret);
/* emu_respond's path for requests with r->post_fault set. */
enum MHD_Result emu_fault_respond(emu_req *r, unsigned status,
                                  const char *ctype, const char *body,
                                  size_t len, const emu_hdr *extra,
                                  size_t n_extra);
/* Adds the answered request to the ring of recent requests. */
void emu_requests_record(emu_req *r, unsigned status);

/* Control API pieces. add: 0, or -1 with field/msg. */
int emu_fault_add(const cJSON *spec, cJSON **out, const char **field,
                  char *msg, size_t msglen);
cJSON *emu_faults_json(void);
void emu_faults_clear(void);
cJSON *emu_requests_json(void);
void emu_requests_clear(void);
void emu_requests_enable(int on);

/* Limits; these need the state lock. limits_set: 0, or -1 with field/msg. */
int emu_limits_set(const cJSON *spec, const char **field, char *msg,
                   size_t msglen);
cJSON *emu_limits_json(void);
/* 1 when the application bucket is empty (retry_after set), else takes a
 * token and returns 0. */
int emu_limit_app(int64_t now_ms, int *retry_after);
/* 1 when v was asked too recently (retry_after set), else notes the time. */
int emu_limit_vehicle(emu_vehicle *v, int64_t now_ms, int *retry_after);

/* ------------------------------------------------------------- handlers */

/* Outcome of the Connect decision shared by the HTML form and the control
 * API. On refusal (the authorize request itself is bad: unknown app,
 * unregistered redirect URI, bad action or email) location is NULL and
 * field/message say why. A configuration error (spec 1.3) sets
 * configuration_error, message (the error page's text) and location (the
 * error=configuration_error redirect the user gets by going back). */
typedef struct emu_connect_outcome {
  char *location;
  const char *field;
  char *message;
  int configuration_error;
} emu_connect_outcome;

/* action: approve|allow|deny (or back); email NULL = owner@example.com. */
void emu_connect_decide(const emu_kvlist *authorize_query, const char *action,
                        const char *email, emu_connect_outcome *out);
void emu_connect_outcome_free(emu_connect_outcome *o);
/* Forgets the grants recorded for approval_prompt=auto. Lock held. */
void emu_connect_reset(void);
/* GET|DELETE /_emulator/connect/grants */
enum MHD_Result emu_connect_control(emu_req *r);

enum MHD_Result emu_connect_handle(emu_req *r);
enum MHD_Result emu_token_handle(emu_req *r);
enum MHD_Result emu_api_handle(emu_req *r);
enum MHD_Result emu_control_handle(emu_req *r);
/* v3.c: GET /v3/vehicles/{id}[/signals[/{code}]]. */
enum MHD_Result emu_v3_handle(emu_req *r);
/* 1 for /v3 and the paths below it: errors there use the v3 body. */
int emu_path_is_v3(const char *path);
/* {"errors":[{status, type, code, title, detail, links, resolution,
 * suggestedUserMessage}]}; consumes e->detail and fills e->status. */
cJSON *emu_error_json_v3(emu_error *e, const char *request_id);

/* v3_commands.c. Lock held: checks the command `what` (the path after
 * /v3/vehicles/{id}/: "commands/security/lock", "charge-schedules/daily",
 * a DELETE of "charge-schedules/{id}") against v, then runs it (sync) or
 * keeps it to end later (async). NULL with *e filled when refused. */
typedef struct emu_v3_exec emu_v3_exec;
emu_v3_exec *emu_v3_exec_begin(emu_req *r, emu_vehicle *v, const char *what,
                               int64_t now, emu_error *e);
/* Without the lock: 200 with the execution, or 202 at once and the final
 * body when the command ends. Consumes x. */
enum MHD_Result emu_v3_exec_send(emu_req *r, emu_v3_exec *x);
/* The {"data":{"attributes":{...}}} of a request body (NULL if none);
 * *doc is the parsed body, for the caller to free. */
const cJSON *emu_v3_body_attrs(emu_req *r, cJSON **doc);
/* Body of the charge-chargetimers signal: the vehicle's schedules. Lock
 * held. */
cJSON *emu_v3_charge_timers(const emu_vehicle *v);
/* v3.c: a positive integer query value (absent: def) up to max; -1 with
 * *e (400 VALIDATION/PARAMETER) when it is not one. */
int emu_v3_query_int(emu_req *r, const char *key, long def, long max,
                     long *out, emu_error *e);
/* webhook_v3.c: GET /v3/webhooks (id NULL) and /v3/webhooks/{id}. */
enum MHD_Result emu_v3_webhooks(emu_req *r, const char *id);
/* /_emulator/v3/commands[/release]; same contract as emu_ext_dispatch. */
int emu_v3_commands_control(emu_req *r, enum MHD_Result *ret);
/* Schedules forgotten, settings back to the defaults, waiting commands
 * ended. Takes the lock. */
void emu_v3_commands_reset(void);

/* ------------- ext.c, management.c, webhooks.c, iam.c, httpc.c */

#define EMU_IAM_TTL_S 3600

/* Routes management, compatibility, webhook and /oauth2/token requests
 * (and resets their state on POST /_emulator/reset). Returns 1 with *ret
 * set when it answered, 0 to route the request as usual. */
int emu_ext_dispatch(emu_req *r, enum MHD_Result *ret);
/* rest is the path after /v<x.y>; same contract as emu_ext_dispatch. */
int emu_management_route(emu_req *r, const char *rest, enum MHD_Result *ret);
int emu_compatibility_route(emu_req *r, const char *rest,
                            enum MHD_Result *ret);
int emu_webhooks_route(emu_req *r, const char *rest, enum MHD_Result *ret);
int emu_webhooks_control_route(emu_req *r, enum MHD_Result *ret);
int emu_iam_route(emu_req *r, enum MHD_Result *ret);
/* redirect.c: GET /v2/redirect, the JavaScript SDK redirect stand-in. */
int emu_redirect_route(emu_req *r, enum MHD_Result *ret);
/* 1 for <scheme>://<loopback host>/v2/redirect?Q when the hosted
 * https://javascript-sdk.smartcar.com/v2/redirect?Q is registered. */
int emu_redirect_standin_ok(const char *uri);

/* Management connections, guarded by the state lock (lock held for the
 * three below). Connect calls add when an owner approves: one connection
 * per vehicle in mask (bit i = u->vehicles[i]); mode live|test|simulated
 * (NULL = live). */
void emu_connections_add(const emu_user *u, unsigned mask, const char *mode);
/* Forgets the (user, vehicle) connection (e.g. DELETE /application). */
void emu_connections_remove(const char *user_id, const char *vehicle_id);
/* "live", "test" or "simulated"; NULL when not connected. */
const char *emu_connection_mode(const char *user_id, const char *vehicle_id);
/* API v3 (v3.c routes): one page of connections, newest first, of one user
 * (NULL: all) as a JSON:API collection; one connection by id (NULL when
 * none), deleted (and its grants' access ended) when del. */
cJSON *emu_v3_connections_page(const char *user_id, long page, long size);
cJSON *emu_v3_connection(const char *id, int del);
/* DELETE /v3/users/{id}: every connection of the user ends (its grants
 * lose the vehicles) and its v3 subscriptions go; -1 for an unknown
 * user. Lock held. */
int emu_v3_delete_user(const char *user_id);
/* Management API v3 subscriptions (lock held): subscribe (0 new, 1 exists,
 * -1 bad ids), the collection (of one webhook; NULL: all), unsubscribe
 * (0, or -1 when none). */
int emu_v3_subscribe(const char *webhook_id, const char *user_id,
                     const char *vehicle_id);
cJSON *emu_v3_subscriptions(const char *webhook_id);
int emu_v3_unsubscribe(const char *id);
/* Take their own locks. */
void emu_management_reset(void);
void emu_webhooks_reset(void);
void emu_iam_reset(void);

/* Queues an automatic delivery to the webhooks vehicle_id is subscribed
 * to (event: CHARGING_STARTED|CHARGING_STOPPED|CHARGING_COMPLETED, or
 * NULL; SIGNAL_UPDATED: v4 webhooks only, sent when a signal changed). Cheap, never blocks on the network; may be called with the state
 * lock held. */
void emu_webhooks_vehicle_event(const char *vehicle_id, const char *event);
/* A Management API v3 subscription made or deleted (webhook_delivery.c):
 * the webhook registered under that id (control API) gets, or loses,
 * the vehicle; made: VERIFY (unsigned) then FIRST_DELIVERY, queued.
 * Cheap; may be called with the state lock held. */
void emu_webhooks_v3_subscribed(const char *webhook_id,
                                const char *vehicle_id);
void emu_webhooks_v3_unsubscribed(const char *webhook_id,
                                  const char *vehicle_id);

/* 1 if key is an unexpired v3 application token from /oauth2/token. */
int emu_iam_token_valid(const char *key);

/* Blocking HTTP/1.1 POST to an http:// loopback URL (others are refused
 * without any traffic). Returns 0 with status and body (caller frees with
 * emu_http_reply_free), or -1 with error set. Never call with a lock. */
typedef struct emu_http_reply {
  int status;
  char *body;
  size_t body_len;
  char error[160];
} emu_http_reply;
int emu_http_post(const char *url, const emu_hdr *headers, size_t n_headers,
                  const char *body, size_t len, int timeout_ms,
                  emu_http_reply *out);
void emu_http_reply_free(emu_http_reply *r);

#endif
