/* A tiny test harness: tests register themselves at load time; main()
 * runs them (optionally filtered by a substring) and prints
 * "N passed, N failed". */
#ifndef SC_TEST_H
#define SC_TEST_H

#include <stdio.h>
#include <string.h>

typedef void (*sc_test_fn)(void);
void sc_test_register(const char *name, sc_test_fn fn);
extern int sc_test_failed_flag;

#define TEST(name)                                                     \
	static void test_##name(void);                                 \
	__attribute__((constructor)) static void reg_##name(void)      \
	{                                                              \
		sc_test_register(#name, test_##name);                  \
	}                                                              \
	static void test_##name(void)

/* Marks the test failed with file:line and what when ok is 0; returns
 * ok. */
int t_check(int ok, const char *file, int line, const char *what);

#define CHECK(cond) t_check(!!(cond), __FILE__, __LINE__, "CHECK(" #cond ")")

#define REQUIRE(cond)                                                  \
	do {                                                           \
		if (!t_check(!!(cond), __FILE__, __LINE__,             \
			     "REQUIRE(" #cond ")"))                    \
			return;                                        \
	} while (0)

#define CHECK_STR(a, b)                                                \
	do {                                                           \
		const char *a_ = (a), *b_ = (b);                       \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {               \
			fprintf(stderr,                                \
				"  %s:%d: \"%s\" != \"%s\"\n",          \
				__FILE__, __LINE__, a_ ? a_ : "(null)", \
				b_ ? b_ : "(null)");                   \
			sc_test_failed_flag = 1;                       \
		}                                                      \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                    \
	do {                                                           \
		const char *h_ = (hay), *n_ = (needle);                \
		if (!h_ || !strstr(h_, n_)) {                          \
			fprintf(stderr,                                \
				"  %s:%d: \"%s\" lacks \"%s\"\n",        \
				__FILE__, __LINE__, h_ ? h_ : "(null)", \
				n_);                                   \
			sc_test_failed_flag = 1;                       \
		}                                                      \
	} while (0)

/* helpers shared by the test files (helpers.c) */
#include "smartcar.h"
struct cJSON;

/* A client pointed at base (or the default origins when NULL). */
sc_client *t_client(const char *base, const char *secret);
/* Base URL of the shared emulator, started on first use. */
const char *t_emulator(void);
/* POST a JSON body to the emulator's control API; returns the response
 * body (caller frees) or NULL. */
char *t_control(const char *path, const char *json);
/* Approve (or deny) an authorize URL as email; returns the redirect
 * Location (caller frees). */
char *t_connect(const char *auth_url, const char *action, const char *email);
/* POST (json != NULL) or GET base + path; the response body or NULL. */
char *t_control_at(const char *base, const char *path, const char *json);
/* t_control_at with any method (NULL: POST when json, else GET). */
char *t_control_req(const char *base, const char *method, const char *path,
		    const char *json);
/* t_control_req's answer parsed (caller deletes), or NULL. */
struct cJSON *t_control_json(const char *base, const char *method,
			     const char *path, const char *json);
/* t_connect on the emulator at base, without the diagnostic: the
 * Location (caller frees) or NULL, and the control API's answer in *raw
 * (caller frees) when raw != NULL. */
char *t_connect_at(const char *base, const char *auth_url, const char *action,
		   const char *email, char **raw);
/* A private emulator process started with --port 0 and the extra flags in
 * args (NULL-terminated, may be NULL): its pid (-1 on failure) and base
 * URL; stop it with t_emulator_stop. */
#include <sys/types.h>
pid_t t_emulator_spawn(const char *const *args, char *url, size_t n);
/* Runs argv (argv[0] a path) with its stdout on a pipe and reads the first
 * line (a server's base URL) into url: the pid, or -1 when it printed no
 * line.  Stop it with t_emulator_stop. */
pid_t t_spawn(const char *const *argv, char *url, size_t n);
void t_emulator_stop(pid_t pid);
/* A private emulator kept for a test file (a static, zeroed first). */
typedef struct t_private_emulator {
	pid_t pid;
	char url[256];
	int registered;
} t_private_emulator;
/* Starts e with args on first use (stopped at exit), then resets it, so
 * every test starts from a clean state: its base URL, or NULL. */
const char *t_emulator_private(t_private_emulator *e, const char *const *args);
/* Move the emulator clock forward. */
void t_advance(double seconds);
/* A debug hook that appends "<dir> <line>\n" to a t_lines. */
typedef struct t_lines {
	char all[32768];
} t_lines;
void t_collect_line(void *payload, int dir, const char *line);
/* 1 when the text contains none of the secrets. */
int t_clean(const char *text, const char *const *secrets, size_t n);
/* 1 when r as JSON and its error's message contain none of the secrets. */
int t_result_clean(const sc_result *r, const char *const *secrets, size_t n);
/* A client for canned answers: credentials and example.com origins, one
 * attempt per call. */
sc_client *t_offline_client(void);
/* Connect walked through its HTML pages as a browser would (past the
 * preamble, the whole fleet, log in as email, Allow): the redirect
 * location (caller frees), or NULL.  test_emulator_connect.c. */
char *t_browse_connect(const char *base, const char *url, const char *email);
/* Canned response builder. */
sc_response *t_response(int status, const char *content_type,
			const char *body);

/* Raw HTTP with libcurl, for the tests that talk to the emulator
 * directly: status, transport result, body and header block
 * (NUL-terminated, or NULL when empty) and the body parsed as JSON. */
typedef struct t_http_res {
	long status;
	int rc; /* CURLcode */
	char *body, *headers;
	size_t len, hlen;
	struct cJSON *json;
} t_http_res;
/* method url with the extra header lines (NULL-terminated, may be NULL),
 * an optional body and a Content-Type line when content_type != NULL;
 * redirects are not followed. Returns out->rc; free out with
 * t_http_free. */
int t_http(t_http_res *out, const char *method, const char *url,
	   const char *const *header_lines, const char *body,
	   const char *content_type);
void t_http_free(t_http_res *r);
/* The header lines of an API call, for t_http: a Bearer token,
 * sc-user-id, sc-unit-system (each when not NULL) and one extra line. */
typedef struct t_api_lines {
	char buf[3][256];
	const char *lines[5];
} t_api_lines;
const char *const *t_api_headers(t_api_lines *h, const char *token,
				 const char *user, const char *unit,
				 const char *extra);
/* Header value (case-insensitive name) copied into buf, or NULL. */
const char *t_http_header(const t_http_res *r, const char *name, char *buf,
			  size_t n);
/* "Authorization: Basic ..." for userpwd ("id:secret") into line. */
void t_basic_auth(char *line, size_t n, const char *userpwd);
/* The same for len bytes that may hold NULs. */
void t_basic_auth_n(char *line, size_t n, const char *userpwd, size_t len);
/* Connect as email with scope (space separated; mode=test, T_REDIRECT)
 * on the emulator at base and exchange the code: the access token
 * (caller frees) or NULL. */
char *t_login(const char *base, const char *email, const char *scope);
/* email's vehicle ids by kind: ids[0] BEV, ids[1] PHEV, ids[2] ICE.
 * 0, or -1 when one is missing. */
int t_fleet(const char *base, const char *email, char ids[3][40]);
/* t_login, and email's vehicle ids in ids (t_fleet): the token, or NULL
 * when either failed. */
char *t_login_fleet(const char *base, const char *email, const char *scope,
		    char ids[3][40]);
/* POST json to the control API's /_emulator/vehicles/{id}. */
void t_set_vehicle(const char *base, const char *id, const char *json);

/* JSON getters: the member k of o; a string (or NULL), a number (or
 * NAN). */
const struct cJSON *t_json_get(const struct cJSON *o, const char *k);
const char *t_json_str(const struct cJSON *o, const char *k);
double t_json_num(const struct cJSON *o, const char *k);
/* Checks that o is an object with exactly the keys of spec
 * ("key:types,..."; types: n number, s string, b bool, a array,
 * o object, z null), marking the test failed (with where in the
 * message) when not; t_shape_each checks every element of an array. */
void t_shape(const char *where, const struct cJSON *o, const char *spec);
void t_shape_each(const char *where, const struct cJSON *a, const char *spec);

/* Options of a client for the test application (T_CLIENT_ID,
 * T_CLIENT_SECRET, T_REDIRECT) whose connect, auth, API and management
 * origins are base; o is reset first (SC_CLIENT_OPTIONS_INIT). */
void t_app_options(sc_client_options *o, const char *base);

/* A new parameter set (caller frees) holding kv: key, value, ...,
 * NULL-terminated.  T_PARAMS("k", "v", ...) spells the list inline. */
sc_params *t_params(const char *const *kv);
/* Sets every key of kv to its value in p. */
void t_params_set(sc_params *p, const char *const *kv);
#define T_PARAMS(...) t_params((const char *const[]){__VA_ARGS__, NULL})
#define T_PARAMS_SET(p, ...)                                           \
	t_params_set((p), (const char *const[]){__VA_ARGS__, NULL})

/* Checks that get(obj, key) reads value for every key, value pair of kv
 * (NULL-terminated), marking the test failed at file:line, naming the
 * key, for each that does not.  CHECK_FIELDS takes any getter;
 * CHECK_ERROR_FIELDS reads an sc_error
 * with sc_error_get, CHECK_RESULT_STRINGS an sc_result with
 * sc_result_get_string, CHECK_CLIENT_SETTINGS an sc_client with
 * sc_client_get. */
typedef const char *(*t_get_fn)(const void *obj, const char *key);
void t_check_fields(const char *file, int line, t_get_fn get,
		    const void *obj, const char *const *kv);
const char *t_error_field(const void *e, const char *key);
const char *t_result_string(const void *r, const char *key);
const char *t_client_setting(const void *c, const char *key);
#define CHECK_FIELDS(get, obj, ...)                                    \
	t_check_fields(__FILE__, __LINE__, (get), (obj),               \
		       (const char *const[]){__VA_ARGS__, NULL})
#define CHECK_ERROR_FIELDS(e, ...)                                     \
	t_check_fields(__FILE__, __LINE__, t_error_field, (e),         \
		       (const char *const[]){__VA_ARGS__, NULL})
#define CHECK_RESULT_STRINGS(r, ...)                                   \
	t_check_fields(__FILE__, __LINE__, t_result_string, (r),       \
		       (const char *const[]){__VA_ARGS__, NULL})
#define CHECK_CLIENT_SETTINGS(c, ...)                                  \
	t_check_fields(__FILE__, __LINE__, t_client_setting, (c),      \
		       (const char *const[]){__VA_ARGS__, NULL})

/* A client made from o, or NULL (the error shown). */
sc_client *t_client_from(const sc_client_options *o);

/* A token grant's answer: access and refresh token, 2 h and 60 days. */
sc_response *t_token_reply(const char *access, const char *refresh);
/* Two ops on one expired stored set, a holding the refresh: b waits for
 * it (not a 0 ms store wait); a, fed access-2/refresh-2, sends with it,
 * and so does b without a grant of its own.  next steps an op
 * (sc_op_next, or a wrapper). */
typedef int (*t_next_fn)(sc_op *op, const sc_request **req);
void t_check_adopted(sc_op *a, sc_op *b, t_next_fn next);

/* Connect through the library on c: the authorize URL for scope,
 * approved as email on the emulator, the code exchanged.  The token set
 * (caller frees) or NULL; when veh != NULL, also the owner's vehicles
 * (sc_get_vehicles, caller frees; NULL when that fails) and when
 * code != NULL a copy of the authorization code (caller frees). */
sc_result *t_owner_tokens(sc_client *c, const char *email,
			  const char *scope, sc_result **veh, char **code);
/* How many requests the shared emulator logged whose path contains
 * part. */
int t_requests_to(const char *part);
/* A raw answer's status is status (the body is shown when not) and its
 * Content-Type is JSON. */
void t_check_json_status(const t_http_res *r, long status);

/* One 2 ms frame of a game loop. */
void t_frame_sleep(void);
/* Runs every op held by a with the zero-wait poll, a frame at a time (at
 * most max_frames), as a game would: the result of the op with id want
 * in *out (freed when out is NULL), the others freed.  The frames. */
int t_async_drain(sc_async *a, uint64_t want, sc_result **out,
		  int max_frames);

#define T_CLIENT_ID "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
#define T_CLIENT_SECRET "emulator-client-secret"
#define T_REDIRECT "http://localhost:8000/callback"

#endif
