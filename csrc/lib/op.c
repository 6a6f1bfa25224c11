#define _GNU_SOURCE
/* Operations: the sans-IO state machine behind every call.  An op builds
 * the exact HTTP request for one line of endpoints.def, takes back the
 * response, decides retries, waits and rate limits, and turns the answer
 * into data (snake_case keys + meta) or a typed error.  sc_call() is a
 * short loop over these steps with the libcurl transport, so every driver
 * shares one code path. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc_internal.h"

enum { SC_HOST_API, SC_HOST_AUTH, SC_HOST_MANAGEMENT, SC_HOST_V3,
       SC_HOST_IAM };
enum { SC_AUTH_BEARER, SC_AUTH_BASIC_CLIENT, SC_AUTH_BASIC_AMT,
       SC_AUTH_BEARER_AMT, SC_AUTH_BEARER_OR_APP, SC_AUTH_NONE };
#define SC_EP_READ 1u
#define SC_EP_COMMAND 2u
#define SC_EP_UNITS 4u
#define SC_EP_TOKEN 8u
#define SC_EP_VEHICLE 16u
#define SC_EP_RAW 32u
#define SC_EP_APP_TOKEN 64u

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

static const endpoint endpoints[] = {
#define SC_ENDPOINT(sym, name, method, host, path, auth, body, query, flags, \
		    perm, batch)                                              \
	{ name, method, SC_HOST_##host, path, SC_AUTH_##auth, body, query,    \
	  flags, perm, batch },
#include "endpoints.def"
#undef SC_ENDPOINT
};

#define N_ENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

enum op_state { OP_READY, OP_BACKOFF, OP_SENT, OP_TOKEN_SENT, OP_DONE };

struct sc_op {
	sc_client *client;
	const endpoint *ep;
	sc_params *params;
	sc_request *req;
	enum op_state state;
	sc_result *result;
	int attempts;
	int max_attempts;
	long wait_ms;
	long deadline_ms;
	long base_ms;
	long max_ms;
	int fail_fast;
	int resendable;       /* reads: may go again after reaching the server */
	int raw;              /* keep the body verbatim as {body, meta} */
	double started;       /* monotonic seconds */
	const char *vehicle_id;
	const char *secrets[7];
	size_t nsecrets;
	sc_debug_cb debug;    /* the client's hook when the op began */
	void *debug_payload;
	int app_token;        /* authenticates with the client's v3 token */
	int app_token_renewed;
	char *app_token_value;
	sc_request *token_req;
};

size_t sc_endpoint_count(void)
{
	return N_ENDPOINTS;
}

const char *sc_endpoint_name(size_t i)
{
	return i < N_ENDPOINTS ? endpoints[i].name : NULL;
}

static const endpoint *find_endpoint(const char *name)
{
	size_t i;
	for (i = 0; name && i < N_ENDPOINTS; i++)
		if (strcmp(endpoints[i].name, name) == 0)
			return &endpoints[i];
	return NULL;
}

int sc__endpoint_uses_access_token(const char *name)
{
	const endpoint *ep = find_endpoint(name);
	return ep && (ep->auth == SC_AUTH_BEARER ||
		      ep->auth == SC_AUTH_BEARER_OR_APP);
}

int sc__valid_version(const char *v)
{
	const char *p = v;
	int digits = 0;

	if (!v)
		return 0;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (!digits || *p++ != '.')
		return 0;
	digits = 0;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	return digits && *p == '\0';
}

/* Header values must not be able to smuggle extra headers. */
static int header_safe(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

static int token_char(int c)
{
	return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c);
}

static int all_digits(const char *v)
{
	if (!*v)
		return 0;
	for (; *v; v++)
		if (!isdigit((unsigned char)*v))
			return 0;
	return 1;
}

static int parse_number(const char *v, double *out)
{
	char *end;
	double d;
	if (!v || !*v)
		return 0;
	d = strtod(v, &end);
	if (*end || !isfinite(d))
		return 0;
	*out = d;
	return 1;
}

static int invalid(sc_error **err_out, const char *msg)
{
	if (err_out && !*err_out)
		*err_out = sc__error_new(SC_EINVAL, msg);
	return SC_EINVAL;
}

static long param_long(const sc_params *p, const char *key, long dflt)
{
	const char *v = sc_params_get(p, key);
	if (v && all_digits(v) && strlen(v) < 10)
		return strtol(v, NULL, 10);
	return dflt;
}

static int add_form(sc_buf *b, const char *key, const char *value)
{
	return sc__buf_param(b, b->len ? '&' : 0, key, value);
}

/* "a b  c" -> calls fn for each word; stops at the first failure. */
static int each_word(const char *s, int (*fn)(void *, const char *, size_t),
		     void *ctx)
{
	int rc = 0;
	while (s && *s && rc == 0) {
		size_t n;
		while (*s == ' ' || *s == ',' || *s == '\n' || *s == '\t')
			s++;
		n = strcspn(s, " ,\n\t");
		if (n)
			rc = fn(ctx, s, n);
		s += n;
	}
	return rc;
}

struct build {
	sc_op *op;
	sc_buf *url;
	int first;
	sc_error **err;
};

static int add_query(void *ctx, const char *word, size_t n)
{
	struct build *b = ctx;
	char key[64], wire[64];
	const char *v, *gt;
	int rc;

	if (n >= sizeof(key))
		return 0;
	memcpy(key, word, n);
	key[n] = '\0';
	gt = strchr(key, '>');
	if (gt) {
		snprintf(wire, sizeof(wire), "%s", gt + 1);
		key[gt - key] = '\0';
	} else {
		snprintf(wire, sizeof(wire), "%s", key);
	}
	v = sc_params_get(b->op->params, key);
	/* the Python SDK's spellings of the service-history range */
	if (!v && !strcmp(key, "start_date"))
		v = sc_params_get(b->op->params, "startDate");
	if (!v && !strcmp(key, "end_date"))
		v = sc_params_get(b->op->params, "endDate");
	if (!v && !strcmp(key, "flags"))
		v = b->op->client->flags;
	if (!v)
		return 0;
	if ((!strcmp(key, "limit") || !strcmp(key, "offset")) &&
	    !all_digits(v)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%s must be a non-negative integer",
			 key);
		return invalid(b->err, msg);
	}
	rc = sc__buf_param(b->url, b->first ? '?' : '&', wire, v);
	b->first = 0;
	return rc;
}

/* JSON body from a "json:..." spec: K=V literal strings, K# numbers. */
struct jbody {
	sc_op *op;
	cJSON *obj;
	sc_error **err;
};

static int add_json_field(void *ctx, const char *word, size_t n)
{
	struct jbody *j = ctx;
	char spec[64];
	char *eq;

	if (n >= sizeof(spec))
		return SC_EINVAL;
	memcpy(spec, word, n);
	spec[n] = '\0';
	if ((eq = strchr(spec, '='))) {
		*eq = '\0';
		return cJSON_AddStringToObject(j->obj, spec, eq + 1) ? 0
								     : SC_ENOMEM;
	}
	if (n && spec[n - 1] == '#') {
		double d;
		char msg[96];
		spec[n - 1] = '\0';
		if (!parse_number(sc_params_get(j->op->params, spec), &d)) {
			snprintf(msg, sizeof(msg), "%s must be a number", spec);
			return invalid(j->err, msg);
		}
		if (!strcmp(spec, "latitude") && (d < -90 || d > 90))
			return invalid(j->err, "Invalid latitude value. It "
					       "must be between -90 and 90.");
		if (!strcmp(spec, "longitude") && (d < -180 || d > 180))
			return invalid(j->err, "Invalid longitude value. It "
					       "must be between -180 and 180.");
		return cJSON_AddNumberToObject(j->obj, spec, d) ? 0
								 : SC_ENOMEM;
	}
	return SC_EINVAL;
}

static int add_batch_path(void *ctx, const char *word, size_t n)
{
	cJSON *reqs = ctx, *item;
	char *path;
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)word[i] < 0x21 || word[i] == '?' ||
		    word[i] == '#')
			return SC_EINVAL;
	path = malloc(n + 2);
	if (!path)
		return SC_ENOMEM;
	path[0] = '/';
	memcpy(path + (word[0] == '/' ? 0 : 1), word, n);
	path[n + (word[0] == '/' ? 0 : 1)] = '\0';
	item = cJSON_CreateObject();
	if (!item || !cJSON_AddStringToObject(item, "path", path)) {
		cJSON_Delete(item);
		free(path);
		return SC_ENOMEM;
	}
	free(path);
	cJSON_AddItemToArray(reqs, item);
	return 0;
}

static int set_body_json(sc_request *req, cJSON *obj)
{
	char *s = obj ? cJSON_PrintUnformatted(obj) : NULL;
	int rc;
	if (!s)
		return SC_ENOMEM;
	rc = sc__buf_puts(&req->body, s);
	free(s);
	return rc;
}

static int build_body(sc_op *op, sc_error **err_out)
{
	const char *spec = op->ep->body;
	const sc_params *p = op->params;
	sc_request *req = op->req;
	int rc = 0;

	if (!strcmp(spec, "form:code")) {
		const char *code = sc_params_get(p, "code");
		const char *redirect = sc_params_get(p, "redirect_uri");
		if (!redirect)
			redirect = op->client->redirect_uri;
		if (!code || !*code)
			return invalid(err_out, "code is required");
		if (!redirect)
			return invalid(err_out, "redirect_uri is required");
		rc = add_form(&req->body, "grant_type", "authorization_code");
		if (rc == 0)
			rc = add_form(&req->body, "code", code);
		if (rc == 0)
			rc = add_form(&req->body, "redirect_uri", redirect);
	} else if (!strcmp(spec, "form:refresh")) {
		const char *rt = sc_params_get(p, "refresh_token");
		if (!rt || !*rt)
			return invalid(err_out, "refresh_token is required");
		rc = add_form(&req->body, "grant_type", "refresh_token");
		if (rc == 0)
			rc = add_form(&req->body, "refresh_token", rt);
	} else if (!strcmp(spec, "form:client_credentials")) {
		if (!op->client->client_id || !op->client->client_secret)
			return invalid(err_out, "client_id and client_secret "
						"are required");
		rc = add_form(&req->body, "grant_type", "client_credentials");
		if (rc == 0)
			rc = add_form(&req->body, "client_id",
				      op->client->client_id);
		if (rc == 0)
			rc = add_form(&req->body, "client_secret",
				      op->client->client_secret);
	} else if (!strncmp(spec, "json:", 5)) {
		struct jbody j = { op, cJSON_CreateObject(), err_out };
		if (!j.obj)
			return SC_ENOMEM;
		rc = each_word(spec + 5, add_json_field, &j);
		if (rc == 0)
			rc = set_body_json(req, j.obj);
		cJSON_Delete(j.obj);
	} else if (!strcmp(spec, "batch")) {
		cJSON *obj = cJSON_CreateObject();
		cJSON *reqs = cJSON_CreateArray();
		if (!obj || !reqs) {
			cJSON_Delete(obj);
			cJSON_Delete(reqs);
			return SC_ENOMEM;
		}
		cJSON_AddItemToObject(obj, "requests", reqs);
		rc = each_word(sc_params_get(p, "paths"), add_batch_path, reqs);
		if (rc == SC_EINVAL)
			invalid(err_out, "batch paths must not contain spaces, "
					 "'?' or '#'");
		else if (rc == 0 && cJSON_GetArraySize(reqs) == 0)
			rc = invalid(err_out, "batch needs at least one path");
		if (rc == 0)
			rc = set_body_json(req, obj);
		cJSON_Delete(obj);
	} else if (!strcmp(spec, "raw")) {
		const char *body = sc_params_get(p, "body");
		if (body && *body) {
			cJSON *v = sc__json_parse(body, strlen(body));
			if (!v)
				return invalid(err_out,
					       "body must be JSON text");
			cJSON_Delete(v);
			rc = sc__buf_puts(&req->body, body);
		}
	}
	if (rc == 0 && req->body.len && !sc_request_header(req,
							   "Content-Type"))
		rc = sc__request_add_header(req, "Content-Type",
			!strncmp(spec, "form:", 5)
				? "application/x-www-form-urlencoded"
				: "application/json");
	return rc;
}

static int append_path(sc_op *op, sc_buf *url, const char *tmpl,
		       sc_error **err_out)
{
	int rc = 0;
	while (rc == 0 && *tmpl) {
		const char *key = NULL;
		size_t skip = 0;
		if (!strncmp(tmpl, "{vehicle_id}", 12)) {
			key = "vehicle_id";
			skip = 12;
		} else if (!strncmp(tmpl, "{webhook_id}", 12)) {
			key = "webhook_id";
			skip = 12;
		} else if (!strncmp(tmpl, "{signal_code}", 13)) {
			key = "signal_code";
			skip = 13;
		}
		if (key) {
			const char *v = sc_params_get(op->params, key);
			char msg[64];
			if (!v || !*v) {
				snprintf(msg, sizeof(msg), "%s is required",
					 key);
				return invalid(err_out, msg);
			}
			rc = sc__url_encode(url, v);
			tmpl += skip;
		} else {
			rc = sc__buf_putc(url, *tmpl++);
		}
	}
	return rc;
}

/* The raw "request" endpoint: method, path (under the vehicle when a
 * vehicle_id is given), caller's headers. */
static int raw_path(sc_op *op, sc_buf *url, const char **method,
		    sc_error **err_out)
{
	const char *m = sc_params_get(op->params, "method");
	const char *path = sc_params_get(op->params, "path");
	const char *vid = sc_params_get(op->params, "vehicle_id");
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH",
					       "DELETE" };
	size_t i;
	int ok = 0, rc = 0;

	for (i = 0; m && i < 5; i++)
		if (!strcmp(m, methods[i]))
			ok = 1;
	if (!ok)
		return invalid(err_out, "method must be GET, POST, PUT, "
					"PATCH or DELETE");
	*method = m;
	if (!path)
		path = "";
	for (i = 0; path[i]; i++)
		if ((unsigned char)path[i] < 0x21 || path[i] == '#')
			return invalid(err_out, "path must not contain spaces, "
						"control characters or '#'");
	if (strstr(path, ".."))
		return invalid(err_out, "path must not contain '..'");
	if (vid && *vid) {
		rc = sc__buf_puts(url, "/vehicles/");
		if (rc == 0)
			rc = sc__url_encode(url, vid);
	}
	if (rc == 0 && *path) {
		if (path[0] != '/')
			rc = sc__buf_putc(url, '/');
		if (rc == 0)
			rc = sc__buf_puts(url, path);
	}
	return rc;
}

static int add_auth(sc_op *op, sc_error **err_out)
{
	sc_client *c = op->client;
	const sc_params *p = op->params;
	const char *token = sc_params_get(p, "access_token");
	const char *amt = sc_params_get(p, "management_token");
	sc_buf tmp, cred;
	int rc = 0;

	sc__buf_init(&tmp, 0);
	sc__buf_init(&cred, 0);
	if (op->ep->auth == SC_AUTH_NONE)
		return 0;
	if (op->ep->auth == SC_AUTH_BEARER_OR_APP) {
		const char *user = sc_params_get(p, "user_id");
		if (user && !header_safe(user))
			return invalid(err_out, "user_id has control "
						"characters");
		if (user && (rc = sc__request_add_header(op->req,
							 "sc-user-id", user)))
			return rc;
		if (!token || !*token) {
			if (!c->client_id || !c->client_secret)
				return invalid(err_out, "access_token, or a "
					"client_id and client_secret for an "
					"application token, is required");
			op->app_token = 1;
			return 0;
		}
	}
	switch (op->ep->auth) {
	case SC_AUTH_BEARER_OR_APP:
	case SC_AUTH_BEARER:
		if (!token || !*token)
			return invalid(err_out, "access_token is required");
		if (!header_safe(token))
			return invalid(err_out,
				       "access_token has control characters");
		rc = sc__buf_puts(&tmp, "Bearer ");
		if (rc == 0)
			rc = sc__buf_puts(&tmp, token);
		break;
	case SC_AUTH_BEARER_AMT:
	case SC_AUTH_BASIC_AMT:
		if (!amt || !*amt)
			return invalid(err_out, "management_token is required");
		if (!header_safe(amt))
			return invalid(err_out, "management_token has control "
						"characters");
		if (op->ep->auth == SC_AUTH_BEARER_AMT) {
			rc = sc__buf_puts(&tmp, "Bearer ");
			if (rc == 0)
				rc = sc__buf_puts(&tmp, amt);
			break;
		}
		rc = sc__buf_puts(&cred, "default:");
		if (rc == 0)
			rc = sc__buf_puts(&cred, amt);
		goto basic;
	default:
		if (!c->client_id || !c->client_secret)
			return invalid(err_out, "client_id and client_secret "
						"are required");
		rc = sc__buf_puts(&cred, c->client_id);
		if (rc == 0)
			rc = sc__buf_putc(&cred, ':');
		if (rc == 0)
			rc = sc__buf_puts(&cred, c->client_secret);
	basic:
		if (rc == 0)
			rc = sc__buf_puts(&tmp, "Basic ");
		if (rc == 0)
			rc = sc__base64(&tmp, (unsigned char *)cred.ptr,
					cred.len);
		break;
	}
	if (rc == 0)
		rc = sc__request_add_header(op->req, "Authorization", tmp.ptr);
	sc__buf_wipe(&cred);
	sc__buf_wipe(&tmp);
	return rc;
}

/* Caller headers for the raw endpoint ("header:Name" params). */
static int add_caller_headers(sc_op *op, sc_error **err_out)
{
	size_t i, n = sc_params_count(op->params);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		const char *k, *v, *name;
		sc_params_at(op->params, i, &k, &v);
		if (strncmp(k, "header:", 7))
			continue;
		name = k + 7;
		if (!*name)
			return invalid(err_out, "empty header name");
		for (const char *q = name; *q; q++)
			if (!token_char((unsigned char)*q))
				return invalid(err_out, "bad header name");
		if (!header_safe(v))
			return invalid(err_out,
				       "header values must not contain "
				       "control characters");
		rc = sc__request_add_header(op->req, name, v);
	}
	return rc;
}

static int build_request(sc_op *op, sc_error **err_out)
{
	const endpoint *ep = op->ep;
	sc_client *c = op->client;
	const sc_params *p = op->params;
	sc_buf url;
	const char *version = sc_params_get(p, "version");
	const char *units = sc_params_get(p, "unit_system");
	const char *method = ep->method;
	const char *suffix = sc_params_get(p, "user_agent_suffix");
	struct build b;
	int rc = 0, raw = (ep->flags & SC_EP_RAW) != 0;

	if (!version)
		version = c->api_version;
	if (!units)
		units = c->unit_system;
	if (ep->host == SC_HOST_API && !sc__valid_version(version))
		return invalid(err_out, "version must look like \"2.0\"");
	if ((ep->flags & SC_EP_UNITS) && strcmp(units, "metric") != 0 &&
	    strcmp(units, "imperial") != 0)
		return invalid(err_out,
			       "unit_system must be metric or imperial");
	if (suffix && !header_safe(suffix))
		return invalid(err_out, "user_agent_suffix has control "
					"characters");

	sc__buf_init(&url, 16384);
	switch (ep->host) {
	case SC_HOST_AUTH:
		rc = sc__buf_puts(&url, c->auth_url);
		break;
	case SC_HOST_MANAGEMENT:
		rc = sc__buf_puts(&url, c->management_origin);
		if (rc == 0)
			rc = sc__buf_puts(&url, "/v2.0");
		break;
	case SC_HOST_V3:
		rc = sc__buf_puts(&url, c->vehicle_api_origin);
		if (rc == 0)
			rc = sc__buf_puts(&url, "/v3");
		break;
	case SC_HOST_IAM:
		rc = sc__buf_puts(&url, c->iam_origin);
		if (rc == 0)
			rc = sc__buf_puts(&url, ep->path);
		break;
	default:
		rc = sc__buf_puts(&url, c->api_origin);
		if (rc == 0)
			rc = sc__buf_puts(&url, "/v");
		if (rc == 0)
			rc = sc__buf_puts(&url, version);
		break;
	}
	if (rc == 0 && raw)
		rc = raw_path(op, &url, &method, err_out);
	else if (rc == 0 && ep->host != SC_HOST_AUTH &&
		 ep->host != SC_HOST_IAM)
		rc = append_path(op, &url, ep->path, err_out);
	b.op = op;
	b.url = &url;
	b.first = strchr(url.ptr ? url.ptr : "", '?') == NULL;
	b.err = err_out;
	if (rc == 0)
		rc = each_word(ep->query, add_query, &b);
	if (rc == SC_ETOOBIG)
		rc = invalid(err_out, "request URL is too long");
	if (rc == 0)
		rc = sc__request_new(&op->req, method, url.ptr);
	sc__buf_free(&url);
	if (rc < 0)
		return rc;

	op->req->connect_timeout_ms = param_long(p, "connect_timeout_ms", 0);
	op->req->timeout_ms = param_long(p, "timeout_ms", 0);
	pthread_mutex_lock(&c->lock);
	if (!op->req->connect_timeout_ms)
		op->req->connect_timeout_ms = c->connect_timeout_ms;
	if (!op->req->timeout_ms)
		op->req->timeout_ms = c->timeout_ms;
	pthread_mutex_unlock(&c->lock);

	if (raw)
		rc = add_caller_headers(op, err_out);
	if (rc == 0 && !(raw && sc_request_header(op->req, "Authorization")))
		rc = add_auth(op, err_out);
	if (rc == 0 && !sc_request_header(op->req, "Accept"))
		rc = sc__request_add_header(op->req, "Accept",
					    "application/json");
	if (rc == 0) {
		if (suffix && *suffix) {
			sc_buf ua;
			sc__buf_init(&ua, 0);
			rc = sc__buf_puts(&ua, c->user_agent);
			if (rc == 0)
				rc = sc__buf_putc(&ua, ' ');
			if (rc == 0)
				rc = sc__buf_puts(&ua, suffix);
			if (rc == 0 && !sc_request_header(op->req,
							  "User-Agent"))
				rc = sc__request_add_header(op->req,
							    "User-Agent",
							    ua.ptr);
			sc__buf_free(&ua);
		} else if (!sc_request_header(op->req, "User-Agent")) {
			rc = sc__request_add_header(op->req, "User-Agent",
						    c->user_agent);
		}
	}
	if (rc == 0 && (ep->flags & SC_EP_UNITS) &&
	    !sc_request_header(op->req, "sc-unit-system"))
		rc = sc__request_add_header(op->req, "sc-unit-system", units);
	if (rc == 0)
		rc = build_body(op, err_out);
	return rc;
}

int sc_op_new(sc_op **out, sc_client *client, const char *endpoint_name,
	      const sc_params *params, sc_error **err_out)
{
	sc_op *op;
	const char *v;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (!out || !client)
		return invalid(err_out, "out and client are required");
	*out = NULL;
	op = calloc(1, sizeof(*op));
	if (!op)
		return SC_ENOMEM;
	op->client = client;
	op->ep = find_endpoint(endpoint_name);
	if (!op->ep) {
		free(op);
		return invalid(err_out, "unknown endpoint");
	}
	if ((rc = sc__params_copy(&op->params, params)) < 0) {
		free(op);
		return rc;
	}
	/* everything that must never reach an error message or a log */
	op->secrets[op->nsecrets++] = sc_params_get(op->params,
						    "access_token");
	op->secrets[op->nsecrets++] = sc_params_get(op->params, "code");
	op->secrets[op->nsecrets++] = sc_params_get(op->params,
						    "refresh_token");
	op->secrets[op->nsecrets++] = sc_params_get(op->params,
						    "management_token");
	op->secrets[op->nsecrets++] = client->client_secret;
	op->vehicle_id = (op->ep->flags & SC_EP_VEHICLE)
		? sc_params_get(op->params, "vehicle_id") : NULL;

	pthread_mutex_lock(&client->lock);
	op->max_attempts = client->max_attempts;
	op->deadline_ms = client->retry_deadline_ms;
	op->base_ms = client->retry_base_ms;
	op->max_ms = client->retry_max_ms;
	op->fail_fast = client->rate_fail_fast;
	op->debug = client->debug;
	op->debug_payload = client->debug_payload;
	pthread_mutex_unlock(&client->lock);
	op->max_attempts = (int)param_long(op->params, "max_attempts",
					   op->max_attempts);
	if (op->max_attempts < 1)
		op->max_attempts = 1;
	op->deadline_ms = param_long(op->params, "retry_deadline_ms",
				     op->deadline_ms);
	v = sc_params_get(op->params, "rate_policy");
	if (v && strcmp(v, "wait") && strcmp(v, "fail")) {
		sc_op_free(op);
		return invalid(err_out, "rate_policy must be wait or fail");
	}
	if (v)
		op->fail_fast = !strcmp(v, "fail");
	if (op->ep->flags & SC_EP_RAW) {
		v = sc_params_get(op->params, "method");
		op->resendable = v && !strcmp(v, "GET");
	} else {
		op->resendable = (op->ep->flags & SC_EP_READ) != 0;
	}
	op->started = sc__monotonic();
	v = sc_params_get(op->params, "raw_body");
	op->raw = (op->ep->flags & SC_EP_RAW) || sc__is_true(v);

	rc = build_request(op, err_out);
	if (rc < 0) {
		if (err_out && !*err_out)
			*err_out = sc__error_new(rc, NULL);
		sc_op_free(op);
		return rc;
	}
	*out = op;
	return 0;
}

/* ---- debug hook ------------------------------------------------------- */

static void debug_line(sc_op *op, int dir, const char *prefix,
		       const char *text)
{
	sc_buf b;
	char *clean;

	sc__buf_init(&b, 0);
	if (sc__buf_puts(&b, prefix) == 0 && sc__buf_puts(&b, text) == 0) {
		clean = sc__redact(b.ptr, op->secrets, op->nsecrets);
		if (clean)
			op->debug(op->debug_payload, dir, clean);
		sc__wipe_free(clean);
	}
	sc__buf_wipe(&b);
}

static void debug_request(sc_op *op, const sc_request *r)
{
	size_t i;
	char line[64];

	if (!op->debug)
		return;
	snprintf(line, sizeof(line), "%s ", r->method);
	debug_line(op, '>', line, r->url);
	for (i = 0; i < r->nheaders; i++) {
		sc_buf h;
		sc__buf_init(&h, 0);
		sc__buf_puts(&h, r->headers[i].name);
		sc__buf_puts(&h, ": ");
		if (sc__strcaseeq(r->headers[i].name, "Authorization")) {
			const char *sp = strchr(r->headers[i].value, ' ');
			sc__buf_append(&h, r->headers[i].value,
				       sp ? (size_t)(sp - r->headers[i].value)
					  : 0);
			sc__buf_puts(&h, " " SC_REDACTED);
		} else {
			sc__buf_puts(&h, r->headers[i].value);
		}
		if (h.ptr)
			debug_line(op, '>', "", h.ptr);
		sc__buf_wipe(&h);
	}
	if (r->body.len)
		debug_line(op, '>', "", r->body.ptr);
}

static void debug_response(sc_op *op, const sc_response *resp)
{
	size_t i;
	char line[64];

	if (!op->debug)
		return;
	snprintf(line, sizeof(line), "HTTP %d", resp->status);
	debug_line(op, '<', line, "");
	for (i = 0; i < resp->nheaders; i++) {
		sc_buf h;
		sc__buf_init(&h, 0);
		sc__buf_puts(&h, resp->headers[i].name);
		sc__buf_puts(&h, ": ");
		sc__buf_puts(&h, resp->headers[i].value);
		if (h.ptr)
			debug_line(op, '<', "", h.ptr);
		sc__buf_free(&h);
	}
	if (resp->body.len) {
		/* a token set must never reach a log, whatever its shape */
		if ((op->state == OP_TOKEN_SENT ||
		     (op->ep->flags & (SC_EP_TOKEN | SC_EP_APP_TOKEN))) &&
		    resp->status >= 200 && resp->status < 300)
			debug_line(op, '<', "", SC_REDACTED " (token response)");
		else
			debug_line(op, '<', "", resp->body.ptr);
	}
}

/* ---- v3 application token --------------------------------------------- */

static int build_token_request(sc_op *op)
{
	sc_client *c = op->client;
	sc_buf url;
	int rc;

	sc__buf_init(&url, 0);
	rc = sc__buf_puts(&url, c->iam_origin);
	if (rc == 0)
		rc = sc__buf_puts(&url, "/oauth2/token");
	if (rc == 0)
		rc = sc__request_new(&op->token_req, "POST", url.ptr);
	sc__buf_free(&url);
	if (rc < 0)
		return rc;
	op->token_req->connect_timeout_ms = op->req->connect_timeout_ms;
	op->token_req->timeout_ms = op->req->timeout_ms;
	rc = sc__request_add_header(op->token_req, "Content-Type",
				    "application/x-www-form-urlencoded");
	if (rc == 0)
		rc = sc__request_add_header(op->token_req, "Accept",
					    "application/json");
	if (rc == 0)
		rc = sc__request_add_header(op->token_req, "User-Agent",
					    c->user_agent);
	if (rc == 0)
		rc = add_form(&op->token_req->body, "grant_type",
			      "client_credentials");
	if (rc == 0)
		rc = add_form(&op->token_req->body, "client_id", c->client_id);
	if (rc == 0)
		rc = add_form(&op->token_req->body, "client_secret",
			      c->client_secret);
	return rc;
}

static int use_app_token(sc_op *op, const char *token)
{
	sc_buf h;
	int rc;

	sc__wipe_free(op->app_token_value);
	op->app_token_value = sc__strdup(token);
	if (!op->app_token_value)
		return SC_ENOMEM;
	op->secrets[6] = op->app_token_value;
	op->nsecrets = 7;
	sc__buf_init(&h, 0);
	rc = sc__buf_puts(&h, "Bearer ");
	if (rc == 0)
		rc = sc__buf_puts(&h, token);
	if (rc == 0)
		rc = sc__request_set_header(op->req, "Authorization", h.ptr);
	sc__buf_wipe(&h);
	return rc;
}

/* The client's cached application token when it lives another minute. */
static int take_cached_token(sc_op *op)
{
	sc_client *c = op->client;
	char *tok = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->app_token && c->app_token_expires > sc__now() + 60)
		tok = sc__strdup(c->app_token);
	pthread_mutex_unlock(&c->lock);
	if (!tok)
		return 0;
	use_app_token(op, tok);
	sc__wipe_free(tok);
	return op->app_token_value != NULL;
}

static void forget_app_token(sc_op *op)
{
	sc_client *c = op->client;
	pthread_mutex_lock(&c->lock);
	if (c->app_token && op->app_token_value &&
	    !strcmp(c->app_token, op->app_token_value)) {
		sc__wipe_free(c->app_token);
		c->app_token = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	sc__wipe_free(op->app_token_value);
	op->app_token_value = NULL;
	op->nsecrets = 6;
}

/* ---- the state machine ------------------------------------------------ */

static void finish(sc_op *op, sc_result *res)
{
	sc_result_free(op->result);
	op->result = res;
	op->state = OP_DONE;
}

static void finish_error(sc_op *op, sc_error *e)
{
	if (e) {
		sc__error_set_number(e, "attempts", op->attempts);
		sc__error_redact(e, op->secrets, op->nsecrets);
	}
	finish(op, e ? sc__result_err(e) : NULL);
}

static long elapsed_ms(const sc_op *op)
{
	return (long)((sc__monotonic() - op->started) * 1000);
}

static void rate_limited(sc_op *op, double wait, const char *why)
{
	char msg[160];
	sc_error *e;

	snprintf(msg, sizeof(msg),
		 "rate limit (%s): no request may be sent for %.1f s", why,
		 wait);
	e = sc__error_new(SC_ERATELIMIT, msg);
	if (e) {
		sc__error_set(e, "type", "RATE_LIMIT");
		sc__error_set(e, "code", why);
		sc__error_set_number(e, "retry_after", ceil(wait * 10) / 10);
	}
	finish_error(op, e);
}

int sc_op_next(sc_op *op, const sc_request **req_out)
{
	double wait;
	const char *why;

	if (!op)
		return SC_EINVAL;
	if (req_out)
		*req_out = NULL;
	switch (op->state) {
	case OP_DONE:
		return SC_STEP_DONE;
	case OP_SENT:
		if (req_out)
			*req_out = op->req;
		return SC_STEP_SEND;
	case OP_TOKEN_SENT:
		if (req_out)
			*req_out = op->token_req;
		return SC_STEP_SEND;
	case OP_BACKOFF:
		op->state = OP_READY;
		return SC_STEP_WAIT;
	case OP_READY:
		break;
	}
	if (op->app_token && !op->app_token_value && !take_cached_token(op)) {
		if (!op->token_req && build_token_request(op) < 0) {
			finish_error(op, sc__error_new(SC_ENOMEM, NULL));
			return SC_STEP_DONE;
		}
		op->state = OP_TOKEN_SENT;
		debug_request(op, op->token_req);
		if (req_out)
			*req_out = op->token_req;
		return SC_STEP_SEND;
	}
	wait = sc__rate_acquire(op->client, op->vehicle_id, &why);
	if (wait > 0) {
		if (op->fail_fast ||
		    elapsed_ms(op) + wait * 1000 > op->deadline_ms) {
			rate_limited(op, wait, why);
			return SC_STEP_DONE;
		}
		op->wait_ms = (long)ceil(wait * 1000);
		return SC_STEP_WAIT;
	}
	op->wait_ms = 0;
	op->state = OP_SENT;
	debug_request(op, op->req);
	if (req_out)
		*req_out = op->req;
	return SC_STEP_SEND;
}

long sc_op_wait_ms(const sc_op *op)
{
	return op ? op->wait_ms : 0;
}

static long jitter(long ms)
{
	unsigned int r = 0;
	if (ms <= 1 || sc__random_bytes((unsigned char *)&r, sizeof(r)) < 0)
		return ms;
	/* "equal jitter": half fixed, half random */
	return ms / 2 + (long)(r % (unsigned int)(ms / 2 + 1));
}

/* Decide whether the failed attempt should be made again.  Returns 1 and
 * schedules the backoff when it should. */
static int should_retry(sc_op *op, const sc_error *e, int unsent)
{
	int code = sc_error_code(e);
	int status = sc_error_status_code(e);
	const char *res = sc_error_get(e, "resolution_type");
	double ra = sc_error_retry_after(e);
	long delay;
	int retry = 0;

	if (op->attempts >= op->max_attempts)
		return 0;
	if (code == SC_ENETWORK || code == SC_ETIMEOUT)
		retry = unsent || op->resendable;
	else if (code == SC_EAPI || code == SC_EHTTP)
		retry = op->resendable &&
			(status == 429 ||
			 (status >= 500 && status < 600 && res &&
			  !strcmp(res, "RETRY_LATER")) ||
			 (code == SC_EHTTP &&
			  (status == 502 || status == 503 || status == 504)));
	if (!retry)
		return 0;
	if (ra >= 0) {
		delay = (long)ceil(ra * 1000);
	} else {
		int shift = op->attempts - 1 < 20 ? op->attempts - 1 : 20;
		delay = op->base_ms << shift;
		if (delay > op->max_ms || delay <= 0)
			delay = op->max_ms;
		delay = jitter(delay);
	}
	if (elapsed_ms(op) + delay > op->deadline_ms)
		return 0;
	op->wait_ms = delay;
	op->state = delay > 0 ? OP_BACKOFF : OP_READY;
	return 1;
}

static void learn_cooldown(sc_op *op, const sc_error *e)
{
	const char *type = sc_error_get(e, "type");
	const char *code = sc_error_get(e, "code");
	double ra = sc_error_retry_after(e);

	if (sc_error_status_code(e) != 429 || ra <= 0)
		return;
	if (type && !strcmp(type, "RATE_LIMIT") && code &&
	    !strcmp(code, "VEHICLE") && op->vehicle_id)
		sc__rate_cooldown(op->client, op->vehicle_id, ra);
	else
		sc__rate_cooldown(op->client, NULL, ra);
}

static void failed_attempt(sc_op *op, sc_error *e, int unsent)
{
	if (!e) {
		finish(op, NULL);
		return;
	}
	learn_cooldown(op, e);
	if (op->app_token && !op->app_token_renewed &&
	    sc_error_status_code(e) == 401) {
		/* the cached application token died early: get a new one */
		op->app_token_renewed = 1;
		forget_app_token(op);
		op->state = OP_READY;
		sc_error_free(e);
		return;
	}
	if (should_retry(op, e, unsent)) {
		sc_error_free(e);
		return;
	}
	finish_error(op, e);
}

static int fail(sc_op *op, int code, const char *message, int unsent)
{
	if (!op || code >= 0)
		return SC_EINVAL;
	if (op->state == OP_TOKEN_SENT) {
		finish_error(op, sc__error_new(code, message));
		return 0;
	}
	if (op->state != OP_SENT)
		return SC_EMISUSE;
	op->attempts++;
	failed_attempt(op, sc__error_new(code, message), unsent);
	return 0;
}

int sc_op_fail(sc_op *op, int code, const char *message)
{
	return fail(op, code, message, 0);
}

int sc_op_fail_unsent(sc_op *op, int code, const char *message)
{
	return fail(op, code, message, 1);
}

static cJSON *meta_from(const sc_response *resp)
{
	static const char *const map[][2] = {
		{ "SC-Data-Age", "data_age" },
		{ "SC-Unit-System", "unit_system" },
		{ "SC-Request-Id", "request_id" },
		{ "SC-Fetched-At", "fetched_at" },
	};
	cJSON *meta = cJSON_CreateObject();
	size_t i;

	for (i = 0; meta && i < 4; i++) {
		const char *v = sc_response_header(resp, map[i][0]);
		if (v && !cJSON_AddStringToObject(meta, map[i][1], v)) {
			cJSON_Delete(meta);
			return NULL;
		}
	}
	return meta;
}

static void malformed(sc_op *op, const sc_response *resp, const char *what)
{
	sc_error *e = sc__error_new(SC_EMALFORMED, what);
	const char *rid = sc_response_header(resp, "SC-Request-Id");
	if (e) {
		sc__error_set(e, "type", "SDK_ERROR");
		sc__error_set_number(e, "status_code",
				     sc_response_status(resp));
		if (rid)
			sc__error_set(e, "request_id", rid);
	}
	finish_error(op, e);
}

/* data + "meta" for a body (object, array or empty). */
static cJSON *data_with_meta(const cJSON *json, cJSON *meta, int raw)
{
	cJSON *data;

	if (raw) {
		data = cJSON_CreateObject();
		if (data)
			cJSON_AddItemToObject(data, "body",
				json ? cJSON_Duplicate(json, 1)
				     : cJSON_CreateNull());
	} else if (!json) {
		data = cJSON_CreateObject();
	} else if (cJSON_IsObject(json)) {
		data = sc__json_snake(json);
	} else if (cJSON_IsArray(json)) {
		data = cJSON_CreateObject();
		if (data)
			cJSON_AddItemToObject(data, "items",
					      sc__json_snake(json));
	} else {
		data = NULL;
	}
	if (!data || !meta) {
		cJSON_Delete(data);
		cJSON_Delete(meta);
		return NULL;
	}
	{
		/* a body with its own meta (v3 paging) keeps it; the header
		 * fields join it where the body has none of the same name */
		cJSON *own = cJSON_GetObjectItemCaseSensitive(data, "meta");
		if (cJSON_IsObject(own)) {
			cJSON *h = meta->child;
			while (h) {
				cJSON *next = h->next;
				if (!cJSON_GetObjectItemCaseSensitive(own,
								      h->string))
					cJSON_AddItemToObject(own, h->string,
						cJSON_DetachItemViaPointer(meta,
									   h));
				h = next;
			}
			cJSON_Delete(meta);
			return data;
		}
	}
	cJSON_DeleteItemFromObjectCaseSensitive(data, "meta");
	cJSON_AddItemToObject(data, "meta", meta);
	return data;
}

/* Name of a batch path in the endpoint table ("/odometer" -> odometer,
 * "/" -> attributes), else the path with '/' -> '_'. */
static char *batch_name(const char *path)
{
	size_t i;
	char *name;

	for (i = 0; i < N_ENDPOINTS; i++)
		if (*endpoints[i].batch_path &&
		    !strcmp(endpoints[i].batch_path, path))
			return sc__strdup(endpoints[i].name);
	while (*path == '/')
		path++;
	if (!*path)
		return sc__strdup("attributes");
	name = sc__strdup(path);
	for (i = 0; name && name[i]; i++)
		if (name[i] == '/' || name[i] == '-')
			name[i] = '_';
	return name;
}

static const char *sub_header(const cJSON *headers, const char *name)
{
	const cJSON *h;
	cJSON_ArrayForEach(h, headers)
		if (h->string && sc__strcaseeq(h->string, name) &&
		    cJSON_IsString(h))
			return h->valuestring;
	return NULL;
}

static cJSON *batch_item(sc_op *op, const cJSON *item, const char *rid)
{
	const cJSON *path = cJSON_GetObjectItem(item, "path");
	const cJSON *code = cJSON_GetObjectItem(item, "code");
	const cJSON *body = cJSON_GetObjectItem(item, "body");
	const cJSON *hdrs = cJSON_GetObjectItem(item, "headers");
	cJSON *out = cJSON_CreateObject();
	char *name;
	int status;

	if (!out)
		return NULL;
	status = cJSON_IsNumber(code) ? (int)code->valuedouble : 0;
	name = batch_name(cJSON_IsString(path) ? path->valuestring : "");
	cJSON_AddStringToObject(out, "path",
				cJSON_IsString(path) ? path->valuestring : "");
	cJSON_AddStringToObject(out, "name", name ? name : "");
	cJSON_AddNumberToObject(out, "code", status);
	free(name);
	if ((status == 200 || status == 204) &&
	    (!body || cJSON_IsObject(body) || cJSON_IsArray(body) ||
	     cJSON_IsNull(body))) {
		static const char *const keys[][2] = {
			{ "sc-data-age", "data_age" },
			{ "sc-unit-system", "unit_system" },
			{ "sc-fetched-at", "fetched_at" },
		};
		cJSON *meta = cJSON_CreateObject();
		size_t i;
		for (i = 0; meta && i < 3; i++) {
			const char *v = sub_header(hdrs, keys[i][0]);
			if (v)
				cJSON_AddStringToObject(meta, keys[i][1], v);
		}
		if (meta && rid)
			cJSON_AddStringToObject(meta, "request_id", rid);
		cJSON_AddItemToObject(out, "data",
			data_with_meta(cJSON_IsNull(body) ? NULL : body, meta,
				       0));
	} else {
		sc_error *e = cJSON_IsObject(body)
			? sc__error_from_json(status, rid,
					      sub_header(hdrs, "retry-after"),
					      body)
			: sc__error_from_answer(status, NULL, rid, NULL, "", 0);
		if (e) {
			sc__error_set_number(e, "attempts", op->attempts);
			sc__error_redact(e, op->secrets, op->nsecrets);
			cJSON_AddItemToObject(out, "error",
					      cJSON_Duplicate(e->obj, 1));
			sc_error_free(e);
		}
	}
	return out;
}

static cJSON *batch_data(sc_op *op, const cJSON *json, cJSON *meta)
{
	const cJSON *responses = cJSON_GetObjectItem(json, "responses");
	const cJSON *meta_rid = cJSON_GetObjectItem(meta, "request_id");
	const char *rid = cJSON_IsString(meta_rid) ? meta_rid->valuestring
						   : NULL;
	const cJSON *item;
	cJSON *data, *list;

	if (!cJSON_IsArray(responses)) {
		cJSON_Delete(meta);
		return NULL;
	}
	data = cJSON_CreateObject();
	list = cJSON_CreateArray();
	if (!data || !list) {
		cJSON_Delete(data);
		cJSON_Delete(list);
		cJSON_Delete(meta);
		return NULL;
	}
	cJSON_AddItemToObject(data, "responses", list);
	cJSON_ArrayForEach(item, responses) {
		cJSON *r = cJSON_IsObject(item) ? batch_item(op, item, rid)
						: NULL;
		if (!r) {
			cJSON_Delete(data);
			cJSON_Delete(meta);
			return NULL;
		}
		cJSON_AddItemToArray(list, r);
	}
	cJSON_AddItemToObject(data, "meta", meta);
	return data;
}

static void feed_success(sc_op *op, const sc_response *resp)
{
	size_t len;
	const char *body = sc_response_body(resp, &len);
	cJSON *json = NULL, *data;

	if (len > 0) {
		json = sc__json_parse(body, len);
		if (!json) {
			malformed(op, resp, "the response body is not JSON");
			return;
		}
	}
	if (op->ep->flags & (SC_EP_TOKEN | SC_EP_APP_TOKEN)) {
		data = json ? sc__token_data(json,
			(op->ep->flags & SC_EP_TOKEN) != 0) : NULL;
		cJSON_Delete(json);
		if (!data) {
			malformed(op, resp,
				  "the token response lacks access_token, "
				  "refresh_token or expires_in");
			return;
		}
		finish(op, sc__result_ok(data));
		return;
	}
	if (!strcmp(op->ep->body, "batch") && !op->raw) {
		data = json ? batch_data(op, json, meta_from(resp)) : NULL;
		cJSON_Delete(json);
		if (!data)
			malformed(op, resp,
				  "the batch response lacks \"responses\"");
		else
			finish(op, sc__result_ok(data));
		return;
	}
	if (json && !op->raw && !cJSON_IsObject(json) &&
	    !cJSON_IsArray(json)) {
		cJSON_Delete(json);
		malformed(op, resp, "the response body is not a JSON object");
		return;
	}
	data = data_with_meta(json, meta_from(resp), op->raw);
	cJSON_Delete(json);
	if (!data)
		finish_error(op, sc__error_new(SC_ENOMEM, NULL));
	else
		finish(op, sc__result_ok(data));
}

static void feed_app_token(sc_op *op, const sc_response *resp)
{
	int status = sc_response_status(resp);
	size_t len;
	const char *body = sc_response_body(resp, &len);
	cJSON *json, *d;
	sc_client *c = op->client;

	debug_response(op, resp);
	if (status < 200 || status >= 300) {
		finish_error(op, sc__error_from_answer(status,
			sc_response_header(resp, "Content-Type"),
			sc_response_header(resp, "SC-Request-Id"),
			sc_response_header(resp, "Retry-After"), body, len));
		return;
	}
	json = sc__json_parse(body, len);
	d = json ? sc__token_data(json, 0) : NULL;
	cJSON_Delete(json);
	if (!d) {
		malformed(op, resp, "the application token response lacks "
				    "access_token or expires_in");
		return;
	}
	pthread_mutex_lock(&c->lock);
	sc__wipe_free(c->app_token);
	c->app_token = sc__strdup(cJSON_GetStringValue(
		cJSON_GetObjectItem(d, "access_token")));
	c->app_token_expires = cJSON_GetNumberValue(
		cJSON_GetObjectItem(d, "expiration"));
	pthread_mutex_unlock(&c->lock);
	if (use_app_token(op, cJSON_GetStringValue(
		    cJSON_GetObjectItem(d, "access_token"))) < 0) {
		cJSON_Delete(d);
		finish_error(op, sc__error_new(SC_ENOMEM, NULL));
		return;
	}
	cJSON_Delete(d);
	op->state = OP_READY;
}

int sc_op_feed(sc_op *op, sc_response *resp)
{
	int status;

	if (!op || !resp) {
		sc_response_free(resp);
		return SC_EINVAL;
	}
	if (op->state == OP_TOKEN_SENT) {
		feed_app_token(op, resp);
		sc_response_free(resp);
		return 0;
	}
	if (op->state != OP_SENT) {
		sc_response_free(resp);
		return SC_EMISUSE;
	}
	op->attempts++;
	debug_response(op, resp);
	status = sc_response_status(resp);
	if (resp->too_big) {
		finish_error(op, sc__error_new(SC_ETOOBIG,
			"the response body exceeds the size limit"));
	} else if (status >= 200 && status < 300) {
		feed_success(op, resp);
	} else {
		size_t len;
		const char *body = sc_response_body(resp, &len);
		failed_attempt(op, sc__error_from_answer(status,
			sc_response_header(resp, "Content-Type"),
			sc_response_header(resp, "SC-Request-Id"),
			sc_response_header(resp, "Retry-After"), body, len),
			0);
	}
	sc_response_free(resp);
	return 0;
}

int sc_op_result(sc_result **out, sc_op *op)
{
	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!op)
		return SC_EINVAL;
	if (op->state != OP_DONE)
		return SC_EMISUSE;
	if (!op->result) {
		*out = sc__result_code(SC_ENOMEM, NULL);
		return SC_ENOMEM;
	}
	*out = op->result;
	op->result = NULL;
	return (*out)->code;
}

void sc_op_free(sc_op *op)
{
	if (!op)
		return;
	sc__request_free(op->req);
	sc__request_free(op->token_req);
	sc__wipe_free(op->app_token_value);
	sc_params_free(op->params);
	sc_result_free(op->result);
	free(op);
}

static void sleep_ms(long ms)
{
	struct timespec ts;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

int sc_call(sc_result **out, sc_client *client, const char *endpoint_name,
	    const sc_params *params)
{
	sc_op *op = NULL;
	sc_error *err = NULL;
	const sc_request *req;
	int rc;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	rc = sc_op_new(&op, client, endpoint_name, params, &err);
	if (rc < 0) {
		*out = err ? sc__result_err(err) : sc__result_code(rc, NULL);
		return rc;
	}
	while ((rc = sc_op_next(op, &req)) != SC_STEP_DONE) {
		if (rc == SC_STEP_SEND) {
			sc_response *resp = NULL;
			char msg[256];
			int unsent = 0;
			int trc = sc__curl_perform(client, req, &resp, msg,
						   sizeof(msg), &unsent);
			if (trc < 0)
				fail(op, trc, msg, unsent);
			else
				sc_op_feed(op, resp);
		} else if (rc == SC_STEP_WAIT) {
			sleep_ms(sc_op_wait_ms(op));
		} else {
			break;
		}
	}
	rc = sc_op_result(out, op);
	sc_op_free(op);
	return rc;
}

/* ---- typed shortcuts (vehicle.h) -------------------------------------- */

static int call_with(sc_result **out, sc_client *client, const char *name,
		     sc_params *p, int rc)
{
	if (rc == 0)
		rc = sc_call(out, client, name, p);
	else if (out)
		*out = sc__result_code(rc, NULL);
	sc_params_free(p);
	return rc;
}

int sc_get_user(sc_result **out, sc_client *client, const char *access_token)
{
	sc_params *p = NULL;
	int rc = sc_params_new(&p);
	if (rc == 0)
		rc = sc_params_set(p, "access_token", access_token);
	return call_with(out, client, "get_user", p, rc);
}

int sc_get_vehicles(sc_result **out, sc_client *client,
		    const char *access_token, long limit, long offset)
{
	sc_params *p = NULL;
	int rc = sc_params_new(&p);
	if (rc == 0)
		rc = sc_params_set(p, "access_token", access_token);
	if (rc == 0 && limit >= 0)
		rc = sc_params_set_int(p, "limit", limit);
	if (rc == 0 && offset >= 0)
		rc = sc_params_set_int(p, "offset", offset);
	return call_with(out, client, "get_vehicles", p, rc);
}

int sc_vehicle_call(sc_result **out, sc_client *client,
		    const char *endpoint_name, const char *vehicle_id,
		    const char *access_token, const sc_params *options)
{
	sc_params *p = NULL;
	int rc = sc__params_copy(&p, options);
	if (rc == 0)
		rc = sc_params_set(p, "vehicle_id", vehicle_id);
	if (rc == 0)
		rc = sc_params_set(p, "access_token", access_token);
	return call_with(out, client, endpoint_name, p, rc);
}

int sc_vehicle_odometer(sc_result **out, sc_client *client,
			const char *vehicle_id, const char *access_token,
			const sc_params *options)
{
	return sc_vehicle_call(out, client, "odometer", vehicle_id,
			       access_token, options);
}
