#define _GNU_SOURCE
/* Operations: the sans-IO state machine behind every call.  An op builds
 * the exact HTTP request for one line of endpoints.def, takes back the
 * response, and turns it into data (snake_case keys + meta) or a typed
 * error.  sc_call() is a short loop over these steps with the libcurl
 * transport, so there is one code path for every driver. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sc_internal.h"

enum { SC_HOST_API, SC_HOST_AUTH, SC_HOST_MANAGEMENT };
enum { SC_AUTH_BEARER, SC_AUTH_BASIC_CLIENT };
enum { SC_BODY_NONE, SC_BODY_FORM_CODE, SC_BODY_FORM_REFRESH };
#define SC_EP_READ 1u
#define SC_EP_COMMAND 2u
#define SC_EP_UNITS 4u
#define SC_EP_TOKEN 8u

typedef struct endpoint {
	const char *name;
	const char *method;
	int host;
	const char *path;
	int auth;
	int body;
	const char *query;
	unsigned flags;
	const char *permission;
} endpoint;

static const endpoint endpoints[] = {
#define SC_ENDPOINT(sym, name, method, host, path, auth, body, query, flags, \
		    perm)                                                     \
	{ name, method, SC_HOST_##host, path, SC_AUTH_##auth, SC_BODY_##body, \
	  query, flags, perm },
#include "endpoints.def"
#undef SC_ENDPOINT
};

#define N_ENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

enum op_state { OP_READY, OP_SENT, OP_DONE };

struct sc_op {
	sc_client *client;
	const endpoint *ep;
	sc_params *params;
	sc_request *req;
	enum op_state state;
	sc_result *result;
	int attempts;
	long wait_ms;
	const char *secrets[4];
	size_t nsecrets;
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

static int all_digits(const char *v)
{
	if (!*v)
		return 0;
	for (; *v; v++)
		if (!isdigit((unsigned char)*v))
			return 0;
	return 1;
}

static int invalid(sc_error **err_out, const char *msg)
{
	if (err_out)
		*err_out = sc__error_new(SC_EINVAL, msg);
	return SC_EINVAL;
}

static long param_long(const sc_params *p, const char *key, long dflt)
{
	const char *v = sc_params_get(p, key);
	if (v && all_digits(v))
		return strtol(v, NULL, 10);
	return dflt;
}

static int add_form(sc_buf *b, const char *key, const char *value)
{
	int rc = 0;
	if (b->len)
		rc = sc__buf_putc(b, '&');
	if (rc == 0)
		rc = sc__buf_puts(b, key);
	if (rc == 0)
		rc = sc__buf_putc(b, '=');
	if (rc == 0)
		rc = sc__url_encode(b, value);
	return rc;
}

static int build_request(sc_op *op, sc_error **err_out)
{
	const endpoint *ep = op->ep;
	sc_client *c = op->client;
	const sc_params *p = op->params;
	sc_buf url, tmp;
	const char *version = sc_params_get(p, "version");
	const char *units = sc_params_get(p, "unit_system");
	const char *token = sc_params_get(p, "access_token");
	const char *vid = sc_params_get(p, "vehicle_id");
	const char *path;
	int rc = 0, first = 1;
	char msg[160];

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
	if (ep->auth == SC_AUTH_BEARER) {
		if (!token || !*token)
			return invalid(err_out, "access_token is required");
		if (!header_safe(token))
			return invalid(err_out,
				       "access_token has control characters");
	} else if (!c->client_id || !c->client_secret) {
		return invalid(err_out,
			       "client_id and client_secret are required");
	}
	if (strstr(ep->path, "{vehicle_id}") && (!vid || !*vid))
		return invalid(err_out, "vehicle_id is required");

	sc__buf_init(&url, 16384);
	switch (ep->host) {
	case SC_HOST_AUTH:
		rc = sc__buf_puts(&url, c->auth_url);
		break;
	case SC_HOST_MANAGEMENT:
		rc = sc__buf_puts(&url, c->management_origin);
		if (rc == 0)
			rc = sc__buf_puts(&url, "/v");
		if (rc == 0)
			rc = sc__buf_puts(&url, version);
		break;
	default:
		rc = sc__buf_puts(&url, c->api_origin);
		if (rc == 0)
			rc = sc__buf_puts(&url, "/v");
		if (rc == 0)
			rc = sc__buf_puts(&url, version);
		break;
	}
	if (ep->host != SC_HOST_AUTH) {
		for (path = ep->path; rc == 0 && *path;) {
			if (strncmp(path, "{vehicle_id}", 12) == 0) {
				rc = sc__url_encode(&url, vid);
				path += 12;
			} else {
				rc = sc__buf_putc(&url, *path++);
			}
		}
	}
	/* query parameters named by the endpoint table, in table order */
	for (path = ep->query; rc == 0 && *path;) {
		size_t n = strcspn(path, " ");
		char key[32];
		const char *v;
		if (n && n < sizeof(key)) {
			memcpy(key, path, n);
			key[n] = '\0';
			v = sc_params_get(p, key);
			if (v && (!strcmp(key, "limit") ||
				  !strcmp(key, "offset")) && !all_digits(v)) {
				sc__buf_free(&url);
				snprintf(msg, sizeof(msg),
					 "%s must be a non-negative integer",
					 key);
				return invalid(err_out, msg);
			}
			if (v) {
				rc = sc__buf_putc(&url, first ? '?' : '&');
				first = 0;
				if (rc == 0)
					rc = sc__buf_puts(&url, key);
				if (rc == 0)
					rc = sc__buf_putc(&url, '=');
				if (rc == 0)
					rc = sc__url_encode(&url, v);
			}
		}
		path += n;
		while (*path == ' ')
			path++;
	}
	if (rc == SC_ETOOBIG) {
		sc__buf_free(&url);
		return invalid(err_out, "request URL is too long");
	}
	if (rc == 0)
		rc = sc__request_new(&op->req, ep->method, url.ptr);
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

	sc__buf_init(&tmp, 0);
	if (ep->auth == SC_AUTH_BEARER) {
		rc = sc__buf_puts(&tmp, "Bearer ");
		if (rc == 0)
			rc = sc__buf_puts(&tmp, token);
	} else {
		sc_buf cred;
		sc__buf_init(&cred, 0);
		rc = sc__buf_puts(&cred, c->client_id);
		if (rc == 0)
			rc = sc__buf_putc(&cred, ':');
		if (rc == 0)
			rc = sc__buf_puts(&cred, c->client_secret);
		if (rc == 0)
			rc = sc__buf_puts(&tmp, "Basic ");
		if (rc == 0)
			rc = sc__base64(&tmp, (unsigned char *)cred.ptr,
					cred.len);
		sc__buf_wipe(&cred);
	}
	if (rc == 0)
		rc = sc__request_add_header(op->req, "Authorization", tmp.ptr);
	sc__buf_wipe(&tmp);
	if (rc == 0)
		rc = sc__request_add_header(op->req, "Accept",
					    "application/json");
	if (rc == 0)
		rc = sc__request_add_header(op->req, "User-Agent",
					    c->user_agent);
	if (rc == 0 && (ep->flags & SC_EP_UNITS))
		rc = sc__request_add_header(op->req, "sc-unit-system", units);

	if (rc == 0 && ep->body == SC_BODY_FORM_CODE) {
		const char *code = sc_params_get(p, "code");
		const char *redirect = sc_params_get(p, "redirect_uri");
		if (!redirect)
			redirect = c->redirect_uri;
		if (!code || !*code)
			return invalid(err_out, "code is required");
		if (!redirect)
			return invalid(err_out, "redirect_uri is required");
		rc = add_form(&op->req->body, "grant_type",
			      "authorization_code");
		if (rc == 0)
			rc = add_form(&op->req->body, "code", code);
		if (rc == 0)
			rc = add_form(&op->req->body, "redirect_uri", redirect);
	} else if (rc == 0 && ep->body == SC_BODY_FORM_REFRESH) {
		const char *rt = sc_params_get(p, "refresh_token");
		if (!rt || !*rt)
			return invalid(err_out, "refresh_token is required");
		rc = add_form(&op->req->body, "grant_type", "refresh_token");
		if (rc == 0)
			rc = add_form(&op->req->body, "refresh_token", rt);
	}
	if (rc == 0 && ep->body != SC_BODY_NONE)
		rc = sc__request_add_header(op->req, "Content-Type",
				"application/x-www-form-urlencoded");
	return rc;
}

int sc_op_new(sc_op **out, sc_client *client, const char *endpoint_name,
	      const sc_params *params, sc_error **err_out)
{
	sc_op *op;
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
	/* everything that must never reach an error message */
	op->secrets[op->nsecrets++] = sc_params_get(op->params,
						    "access_token");
	op->secrets[op->nsecrets++] = sc_params_get(op->params, "code");
	op->secrets[op->nsecrets++] = sc_params_get(op->params,
						    "refresh_token");
	op->secrets[op->nsecrets++] = client->client_secret;
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

int sc_op_next(sc_op *op, const sc_request **req_out)
{
	if (!op)
		return SC_EINVAL;
	if (req_out)
		*req_out = NULL;
	switch (op->state) {
	case OP_READY:
		op->state = OP_SENT;
		/* fall through */
	case OP_SENT:
		if (req_out)
			*req_out = op->req;
		return SC_STEP_SEND;
	default:
		return SC_STEP_DONE;
	}
}

long sc_op_wait_ms(const sc_op *op)
{
	return op ? op->wait_ms : 0;
}

static void finish_error(sc_op *op, sc_error *e)
{
	if (e) {
		sc__error_set_number(e, "attempts", op->attempts);
		sc__error_redact(e, op->secrets, op->nsecrets);
	}
	op->result = e ? sc__result_err(e) : NULL;
	op->state = OP_DONE;
}

int sc_op_fail(sc_op *op, int code, const char *message)
{
	if (!op || code >= 0)
		return SC_EINVAL;
	if (op->state != OP_SENT)
		return SC_EMISUSE;
	op->attempts++;
	finish_error(op, sc__error_new(code, message));
	return 0;
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

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Retry-After: delta-seconds or an HTTP date. */
static double parse_retry_after(const char *v)
{
	char *end;
	double d;
	struct tm tm;

	if (!v)
		return -1;
	d = strtod(v, &end);
	if (end != v && *end == '\0' && d >= 0 && isfinite(d))
		return d;
	memset(&tm, 0, sizeof(tm));
	if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
		double at = (double)timegm(&tm), now = sc__now();
		return at > now ? at - now : 0;
	}
	return -1;
}

/* Printable, bounded excerpt of a non-JSON body for the description. */
static char *body_excerpt(const sc_response *resp)
{
	size_t len, i;
	const char *b = sc_response_body(resp, &len);
	sc_buf out;

	sc__buf_init(&out, 0);
	for (i = 0; i < len && i < 200; i++) {
		char ch = b[i];
		if ((unsigned char)ch < 0x20 || (unsigned char)ch >= 0x7f)
			ch = ' ';
		if (sc__buf_putc(&out, ch) < 0) {
			sc__buf_free(&out);
			return NULL;
		}
	}
	return sc__buf_detach(&out);
}

static int is_json_type(const char *ct)
{
	char low[128];
	size_t i;
	if (!ct)
		return 0;
	for (i = 0; ct[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)ct[i]);
	low[i] = '\0';
	return strstr(low, "application/json") != NULL ||
	       strstr(low, "+json") != NULL;
}

static sc_error *error_from_response(const sc_response *resp)
{
	int status = sc_response_status(resp);
	const char *rid = sc_response_header(resp, "SC-Request-Id");
	size_t len;
	const char *body = sc_response_body(resp, &len);
	cJSON *json;
	sc_error *e;
	char msg[512];

	if (!is_json_type(sc_response_header(resp, "Content-Type"))) {
		char *ex = body_excerpt(resp);
		snprintf(msg, sizeof(msg), "HTTP %d%s%s", status,
			 ex && *ex ? ": " : "", ex ? ex : "");
		e = sc__error_new(SC_EHTTP, msg);
		if (e) {
			sc__error_set(e, "type", "SDK_ERROR");
			sc__error_set(e, "description", ex);
			sc__error_set_number(e, "status_code", status);
			if (rid)
				sc__error_set(e, "request_id", rid);
		}
		free(ex);
		return e;
	}
	json = sc__json_parse(body, len);
	if (!json || !cJSON_IsObject(json)) {
		snprintf(msg, sizeof(msg),
			 "HTTP %d with a malformed JSON body", status);
		cJSON_Delete(json);
		e = sc__error_new(SC_EMALFORMED, msg);
		if (e) {
			sc__error_set(e, "type", "SDK_ERROR");
			sc__error_set_number(e, "status_code", status);
			if (rid)
				sc__error_set(e, "request_id", rid);
		}
		return e;
	}

	if (json_str(json, "error")) {
		const char *type = json_str(json, "error");
		const char *v1msg = json_str(json, "message");
		if (v1msg) {
			/* v1.0 body: {error, message, code?} */
			const cJSON *sc = cJSON_GetObjectItem(json,
							      "statusCode");
			const char *code = json_str(json, "code");
			const char *brid = json_str(json, "requestId");
			snprintf(msg, sizeof(msg), "%s:%s - %s", type,
				 code ? code : "null", v1msg);
			e = sc__error_new(SC_EAPI, msg);
			if (e) {
				sc__error_set(e, "type", type);
				if (code)
					sc__error_set(e, "code", code);
				sc__error_set(e, "description", v1msg);
				sc__error_set_number(e, "status_code",
					cJSON_IsNumber(sc) ? sc->valuedouble
							   : status);
				if (brid || rid)
					sc__error_set(e, "request_id",
						      brid ? brid : rid);
			}
		} else {
			/* OAuth 2 body: {error, error_description} */
			const char *desc = json_str(json, "error_description");
			snprintf(msg, sizeof(msg), "%s - %s", type,
				 desc ? desc : "no description");
			e = sc__error_new(SC_EOAUTH, msg);
			if (e) {
				sc__error_set(e, "type", type);
				sc__error_set(e, "description", desc);
				sc__error_set_number(e, "status_code", status);
				if (rid)
					sc__error_set(e, "request_id", rid);
			}
		}
	} else if (json_str(json, "type")) {
		/* v2 body */
		const char *type = json_str(json, "type");
		const char *code = json_str(json, "code");
		const char *desc = json_str(json, "description");
		const char *brid = json_str(json, "requestId");
		const cJSON *sc = cJSON_GetObjectItem(json, "statusCode");
		const cJSON *res = cJSON_GetObjectItem(json, "resolution");
		const cJSON *detail = cJSON_GetObjectItem(json, "detail");
		const char *sum = json_str(json, "suggestedUserMessage");
		double ra = parse_retry_after(
			sc_response_header(resp, "Retry-After"));

		if (code && *code)
			snprintf(msg, sizeof(msg), "%s:%s - %s", type, code,
				 desc ? desc : "");
		else
			snprintf(msg, sizeof(msg), "%s - %s", type,
				 desc ? desc : "");
		e = sc__error_new(SC_EAPI, msg);
		if (e) {
			cJSON *r = cJSON_CreateObject();
			const char *rt = NULL, *ru = NULL;
			sc__error_set(e, "type", type);
			sc__error_set(e, "code", code);
			sc__error_set(e, "description", desc);
			sc__error_set(e, "doc_url", json_str(json, "docURL"));
			sc__error_set_number(e, "status_code",
				cJSON_IsNumber(sc) ? sc->valuedouble : status);
			sc__error_set(e, "request_id", brid ? brid : rid);
			if (cJSON_IsObject(res)) {
				rt = json_str(res, "type");
				ru = json_str(res, "url");
			} else if (cJSON_IsString(res)) {
				rt = res->valuestring;
			}
			if (r) {
				cJSON_AddItemToObject(r, "type",
					rt ? cJSON_CreateString(rt)
					   : cJSON_CreateNull());
				cJSON_AddItemToObject(r, "url",
					ru ? cJSON_CreateString(ru)
					   : cJSON_CreateNull());
				sc__error_set_item(e, "resolution", r);
			}
			if (sum)
				sc__error_set(e, "suggested_user_message", sum);
			if (cJSON_IsArray(detail))
				sc__error_set_item(e, "detail",
					sc__json_snake(detail));
			if (ra >= 0)
				sc__error_set_number(e, "retry_after", ra);
		}
	} else {
		snprintf(msg, sizeof(msg),
			 "HTTP %d with an unrecognised error body", status);
		e = sc__error_new(SC_EHTTP, msg);
		if (e) {
			sc__error_set(e, "type", "SDK_ERROR");
			sc__error_set_number(e, "status_code", status);
			if (rid)
				sc__error_set(e, "request_id", rid);
		}
	}
	cJSON_Delete(json);
	return e;
}

static cJSON *token_data(const cJSON *body)
{
	const cJSON *at = cJSON_GetObjectItem(body, "access_token");
	const cJSON *rt = cJSON_GetObjectItem(body, "refresh_token");
	const cJSON *ei = cJSON_GetObjectItem(body, "expires_in");
	const char *tt = json_str(body, "token_type");
	double now = sc__now();
	cJSON *d;

	if (!cJSON_IsString(at) || !*at->valuestring ||
	    !cJSON_IsString(rt) || !*rt->valuestring ||
	    !cJSON_IsNumber(ei) || ei->valuedouble < 0)
		return NULL;
	d = cJSON_CreateObject();
	if (!d)
		return NULL;
	/* Expiries are absolute, in milliseconds precision Unix seconds. */
	if (!cJSON_AddStringToObject(d, "access_token", at->valuestring) ||
	    !cJSON_AddStringToObject(d, "token_type", tt ? tt : "Bearer") ||
	    !cJSON_AddNumberToObject(d, "expires_in", ei->valuedouble) ||
	    !cJSON_AddNumberToObject(d, "expiration",
		floor((now + ei->valuedouble) * 1000) / 1000) ||
	    !cJSON_AddStringToObject(d, "refresh_token", rt->valuestring) ||
	    !cJSON_AddNumberToObject(d, "refresh_expiration",
		floor((now + SC_REFRESH_LIFETIME_S) * 1000) / 1000)) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
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

static void feed_success(sc_op *op, const sc_response *resp)
{
	size_t len;
	const char *body = sc_response_body(resp, &len);
	cJSON *json = NULL, *data = NULL, *meta;

	if (len > 0) {
		json = sc__json_parse(body, len);
		if (!json) {
			malformed(op, resp, "the response body is not JSON");
			return;
		}
	}
	if (op->ep->flags & SC_EP_TOKEN) {
		data = json ? token_data(json) : NULL;
		cJSON_Delete(json);
		if (!data) {
			malformed(op, resp,
				  "the token response lacks access_token, "
				  "refresh_token or expires_in");
			return;
		}
		op->result = sc__result_ok(data);
		op->state = OP_DONE;
		return;
	}
	if (!json) {
		data = cJSON_CreateObject();
	} else if (cJSON_IsObject(json)) {
		data = sc__json_snake(json);
	} else if (cJSON_IsArray(json)) {
		data = cJSON_CreateObject();
		if (data)
			cJSON_AddItemToObject(data, "items",
					      sc__json_snake(json));
	} else {
		cJSON_Delete(json);
		malformed(op, resp, "the response body is not a JSON object");
		return;
	}
	cJSON_Delete(json);
	meta = meta_from(resp);
	if (!data || !meta) {
		cJSON_Delete(data);
		cJSON_Delete(meta);
		finish_error(op, sc__error_new(SC_ENOMEM, NULL));
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(data, "meta");
	cJSON_AddItemToObject(data, "meta", meta);
	op->result = sc__result_ok(data);
	op->state = OP_DONE;
}

int sc_op_feed(sc_op *op, sc_response *resp)
{
	int status;

	if (!op || !resp) {
		sc_response_free(resp);
		return SC_EINVAL;
	}
	if (op->state != OP_SENT) {
		sc_response_free(resp);
		return SC_EMISUSE;
	}
	op->attempts++;
	status = sc_response_status(resp);
	if (resp->too_big)
		finish_error(op, sc__error_new(SC_ETOOBIG,
			"the response body exceeds the size limit"));
	else if (status >= 200 && status < 300)
		feed_success(op, resp);
	else
		finish_error(op, error_from_response(resp));
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
	sc_params_free(op->params);
	sc_result_free(op->result);
	free(op);
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
			int trc = sc__curl_perform(client, req, &resp, msg,
						   sizeof(msg));
			if (trc < 0)
				sc_op_fail(op, trc, msg);
			else
				sc_op_feed(op, resp);
		} else if (rc == SC_STEP_WAIT) {
			struct timespec ts;
			long ms = sc_op_wait_ms(op);
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (ms % 1000) * 1000000L;
			nanosleep(&ts, NULL);
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

int sc_vehicle_odometer(sc_result **out, sc_client *client,
			const char *vehicle_id, const char *access_token,
			const sc_params *options)
{
	sc_params *p = NULL;
	int rc = sc__params_copy(&p, options);
	if (rc == 0)
		rc = sc_params_set(p, "vehicle_id", vehicle_id);
	if (rc == 0)
		rc = sc_params_set(p, "access_token", access_token);
	return call_with(out, client, "odometer", p, rc);
}
