/*
 * Internal to the operation files (request.c, op.c, shape.c, debug.c,
 * call.c): the endpoint table's row type and the op's state.  Nothing here
 * is public API.
 */
#ifndef SC_OP_H
#define SC_OP_H

#include "sc_internal.h"

enum { SC_HOST_API, SC_HOST_AUTH, SC_HOST_MANAGEMENT, SC_HOST_V3,
       SC_HOST_IAM, SC_HOST_V3M };
enum { SC_AUTH_BEARER, SC_AUTH_BASIC_CLIENT, SC_AUTH_BASIC_AMT,
       SC_AUTH_BEARER_AMT, SC_AUTH_BEARER_OR_APP, SC_AUTH_NONE };
#define SC_EP_READ 1u
#define SC_EP_COMMAND 2u
#define SC_EP_UNITS 4u
#define SC_EP_TOKEN 8u
#define SC_EP_VEHICLE 16u
#define SC_EP_RAW 32u
#define SC_EP_APP_TOKEN 64u
#define SC_EP_SIGNALS 128u /* v3 signals: times to epoch ms, "rows" */
#define SC_EP_LONG 256u   /* v3 commands: 202, long read, final body */

typedef struct endpoint {
	const char *name;
	const char *method;
	int host;
	const char *path;
	int auth;
	const char *body;
	const char *query;
	unsigned flags;
	const char *permission;
	const char *batch_path;
} endpoint;

/* The table of endpoints.def (request.c). */
extern const endpoint sc__endpoints[];
extern const size_t sc__n_endpoints;

/* The parameters an op reads by name, found once when it starts (one
 * walk of its params) instead of by a search of the bag at each use:
 * op->pv[SC_P_<name>] is the value or NULL.  Sorted by first byte (the
 * look-up starts at a name's first letter). */
#define SC_PARAM_SLOTS(X)                                                 \
	X(access_token) X(body) X(code) X(connect_timeout_ms) X(endDate)   \
	X(end_date) X(flags) X(limit) X(management_token) X(max_attempts)  \
	X(method) X(mode) X(offset) X(path) X(paths) X(rate_policy)        \
	X(raw_body) X(redirect_uri) X(refresh_token) X(retry_deadline_ms)  \
	X(startDate) X(start_date) X(test_mode_compatibility_level)         \
	X(timeout_ms) X(unit_system) X(user_agent_suffix) X(user_id)       \
	X(vehicle_id) X(version)

enum {
#define SC_P_SLOT(name) SC_P_##name,
	SC_PARAM_SLOTS(SC_P_SLOT)
#undef SC_P_SLOT
	SC_P_N
};

/* The slot of a parameter name, or -1 when it has none (params.c). */
int sc__param_slot(const char *name);
/* Fill pv (SC_P_N entries, NULL for the names p lacks) from p. */
void sc__params_slots(const sc_params *p, const char **pv);

enum op_state { OP_READY, OP_BACKOFF, OP_SENT, OP_TOKEN_SENT, OP_REFRESH,
		OP_DONE };

/* Slots of sc_op.secrets that change while the op runs. */
enum { SC_SECRET_APP_TOKEN = 6, SC_SECRET_STORED_ACCESS,
       SC_SECRET_STORED_REFRESH, SC_NSECRETS };

struct sc_op {
	sc_client *client;
	const endpoint *ep;
	sc_params *params;
	int params_borrowed; /* the caller's, which outlive the op (sc_call) */
	const char *pv[SC_P_N]; /* params' values by slot (SC_PARAM_SLOTS) */
	sc_request *req;
	enum op_state state;
	sc_result *result;
	int taken;            /* sc_op_result() gave the result away */
	int attempts;
	int max_attempts;
	long wait_ms;
	long deadline_ms;
	long base_ms;
	long max_ms;
	int fail_fast;
	int rate_off;       /* rate_policy "off": no waits, no cool-downs */
	int resendable;       /* reads: may go again after reaching the server */
	int raw;              /* keep the body verbatim as {body, meta} */
	double started;       /* monotonic seconds */
	const char *vehicle_id;
	const char *secrets[SC_NSECRETS];
	size_t nsecrets;
	sc_debug_cb debug;    /* the client's hook when the op began */
	void *debug_payload;
	int app_token;        /* authenticates with the client's v3 token */
	int app_token_renewed;
	char *app_token_value;
	sc_request *token_req;
	/* token store steps (store.c) */
	sc_token_store *store;
	char *key;
	sc_result *tokens;    /* the stored set in use */
	char *seen_access;    /* access token when a refresh was decided */
	sc_op *refresh;       /* the refresh grant under way (OP_REFRESH) */
	int want_refresh;     /* SC_REFRESH_* */
	int refreshed_401;    /* the one refresh after a 401 was made */
	int refresh_only;     /* sc_token_store_refresh_now(): no call after */
	int in_flight;        /* holds the key's in-process single flight */
	int store_locked;     /* holds the store's lock() of the key */
	int lease_held;       /* holds the store's refresh lease of the key */
	int lease_live;       /* another owner's live lease is on the key */
	char *lease_stale;    /* owner of the stale lease on the key */
	/* a store call answered SC_STORE_PENDING: where the op resumes */
	int recheck;          /* 1: re-read after flight_begin, 2: the lease */
	sc_result *reloaded;  /* the set loaded while lease_get was pending */
	sc_result *unsaved;   /* the new set while its save() is pending */
};

/* Why the op refreshes: due (expires within a minute), forced (after a
 * 401, or sc_token_store_refresh_now), or a stale lease (a refresh that may
 * have been cut short; when it fails the call still goes). */
enum { SC_REFRESH_NONE, SC_REFRESH_DUE, SC_REFRESH_FORCED,
       SC_REFRESH_STALE };

/* ---- endpoint table and request building (request.c) ------------------ */
const endpoint *sc__find_endpoint(const char *name);
/* "offset", "cursor" or "page": how a paged call asks for its next page
 * (endpoints.def's SC_PAGING); "" for a call that is not paged. */
const char *sc__paging_style(const char *endpoint);
/* Lua's iterator over the items of a paged call (SC_PAGING's walk), or "" */
const char *sc__paging_walk(const char *endpoint);
/* The field of a paged call's items ("vehicles"), or NULL. */
const char *sc__paging_items(const char *endpoint);
int sc__invalid(sc_error **err_out, const char *msg);
/* A non-negative integer of at most 9 digits, else dflt (also for NULL). */
long sc__long_or(const char *v, long dflt);
/* The op's parameter name, from its slot or (a name without one) its
 * params. */
const char *sc__op_param(const sc_op *op, const char *name);
/* The HTTP request of the op's endpoint and params, into op->req. */
int sc__op_build_request(sc_op *op, sc_error **err_out);
/* The v3 client-credentials request, into op->token_req. */
int sc__op_build_token_request(sc_op *op);

/* ---- token store steps (store.c) -------------------------------------- */
/* Before the op's request goes out: have a current access token in the
 * request (loading, refreshing and saving as needed).  Returns 0 to go
 * on and send, or an SC_STEP_* for sc_op_next() to return. */
int sc__op_store_step(sc_op *op, const sc_request **req_out);
#define SC__STEP_GO 3
/* Feed or fail the refresh grant under way (state OP_REFRESH). */
int sc__op_store_feed(sc_op *op, sc_response *resp);
int sc__op_store_fail(sc_op *op, int code, const char *msg, int unsent);
/* The server refused the access token: 1 when the op refreshes and sends
 * again (then e is not consumed). */
int sc__op_store_rejected(sc_op *op, const sc_error *e);
void sc__op_store_free(sc_op *op);

/* ---- the state machine (op.c) ---------------------------------------- */
void sc__op_finish(sc_op *op, sc_result *res);
/* Finish with e, its attempts counted and secrets redacted. */
void sc__op_finish_error(sc_op *op, sc_error *e);

/* ---- the blocking driver (call.c) ------------------------------------- */
/* Run op to completion with the libcurl transport; frees it. */
int sc__drive(sc_result **out, sc_op *op);
/* sc_op_new() reading params in place: they must outlive the op */
int sc__op_new_borrowing(sc_op **out, sc_client *client,
			 const char *endpoint_name, const sc_params *params,
			 sc_error **err_out);

/* ---- debug hook (debug.c) --------------------------------------------- */
void sc__debug_request(sc_op *op, const sc_request *r);
void sc__debug_response(sc_op *op, const sc_response *resp);

/* ---- result shaping (shape.c) ----------------------------------------- */
/* The error for a 2xx answer that cannot be read. */
sc_error *sc__shape_malformed(const sc_response *resp, const char *what);
/* The data of a 2xx answer to the op's endpoint (snake_case + meta, batch
 * reshaped, token sets with absolute expiries), or the error. */
sc_error *sc__shape_success(const sc_op *op, const sc_response *resp,
			    cJSON **data_out);

#endif
