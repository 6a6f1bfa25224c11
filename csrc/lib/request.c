#define _GNU_SOURCE
/* The endpoint table (endpoints.def) and request building: the exact HTTP
 * request, URL, headers and body, for one line of the table and the
 * caller's parameters, validated before anything is sent. */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "op.h"

const endpoint sc__endpoints[] = {
#define SC_ENDPOINT(sym, name, method, host, path, auth, body, query, flags, \
		    perm, batch)                                              \
	{ name, method, SC_HOST_##host, path, SC_AUTH_##auth, body, query,    \
	  flags, perm, batch },
#include "endpoints.def"
#undef SC_ENDPOINT
};

const size_t sc__n_endpoints = sizeof(sc__endpoints) / sizeof(sc__endpoints[0]);

/* Each endpoint's index in the table, EP_<SYMBOL>. */
enum {
#define SC_ENDPOINT(sym, ...) EP_##sym,
#include "endpoints.def"
#undef SC_ENDPOINT
	EP_COUNT
};

size_t sc_endpoint_count(void)
{
	return sc__n_endpoints;
}

const char *sc_endpoint_name(size_t i)
{
	return i < sc__n_endpoints ? sc__endpoints[i].name : NULL;
}

/* The binding columns (SC_BINDING in endpoints.def), in table order. */
typedef struct binding {
	const char *name;
	const char *args;
	const char *result;
	const char *doc;
} binding;

static const binding bindings[] = {
#define SC_ENDPOINT(...)
#define SC_BINDING(name, args, result, doc) { name, args, result, doc },
#include "endpoints.def"
#undef SC_BINDING
#undef SC_ENDPOINT
};

static const char *const host_names[] = { "api", "auth", "management", "v3",
					  "iam", "v3m" };
static const char *const auth_names[] = { "bearer", "basic_client",
					  "basic_amt", "bearer_amt",
					  "bearer_or_app", "none" };

const char *sc_endpoint_column(size_t i)
{
	static const char *const columns[] = {
		"method", "path", "host", "auth", "kind", "vehicle",
		"permission", "batch_path", "batch_name", "args", "result",
		"doc", "paging", "query", "walk"
	};

	return i < sizeof(columns) / sizeof(columns[0]) ? columns[i] : NULL;
}

const char *sc_endpoint_info(const char *endpoint_name, const char *field)
{
	const endpoint *ep = sc__find_endpoint(endpoint_name);
	const binding *b = NULL;
	size_t i;

	if (!ep || !field)
		return NULL;
	for (i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++)
		if (strcmp(bindings[i].name, ep->name) == 0)
			b = &bindings[i];
	if (strcmp(field, "method") == 0)
		return ep->method;
	if (strcmp(field, "path") == 0)
		return ep->path;
	if (strcmp(field, "host") == 0)
		return host_names[ep->host];
	if (strcmp(field, "auth") == 0)
		return auth_names[ep->auth];
	if (strcmp(field, "kind") == 0)
		return (ep->flags & SC_EP_COMMAND) ? "command" :
		       (ep->flags & SC_EP_READ) ? "read" : "any";
	if (strcmp(field, "vehicle") == 0)
		return (ep->flags & SC_EP_VEHICLE) ||
		       strcmp(ep->body, "raw") == 0 ? "1" : "0";
	if (strcmp(field, "permission") == 0)
		return ep->permission;
	if (strcmp(field, "batch_path") == 0)
		return ep->batch_path;
	if (strcmp(field, "batch_name") == 0)
		return ep->batch_path[0] ? ep->name : "";
	if (strcmp(field, "args") == 0)
		return b ? b->args : "";
	if (strcmp(field, "result") == 0)
		return b ? b->result : "";
	if (strcmp(field, "doc") == 0)
		return b ? b->doc : "";
	if (strcmp(field, "paging") == 0)
		return sc__paging_style(ep->name);
	if (strcmp(field, "query") == 0)
		return ep->query;
	if (strcmp(field, "walk") == 0)
		return sc__paging_walk(ep->name);
	return NULL;
}

const endpoint *sc__find_endpoint(const char *name)
{
	size_t i;
	for (i = 0; name && i < sc__n_endpoints; i++)
		if (sc__endpoints[i].name[0] == name[0] &&
		    strcmp(sc__endpoints[i].name, name) == 0)
			return &sc__endpoints[i];
	return NULL;
}

int sc__endpoint_uses_access_token(const char *name)
{
	const endpoint *ep = sc__find_endpoint(name);
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

/* The message of a setting that breaks its rule: the value is shown when
 * it is short plain text (settings are not secrets, but a value pasted
 * in the wrong place might be). */
static int setting_error(sc_error **err_out, const char *name,
			 const char *rule, const char *value)
{
	char msg[160];
	size_t i, n = strlen(value);
	int shown = n <= 40;

	for (i = 0; shown && i < n; i++)
		if (value[i] < 0x20 || value[i] > 0x7e || value[i] == '\'' ||
		    value[i] == '\\')
			shown = 0;
	if (shown)
		snprintf(msg, sizeof(msg), "%s must %s, not '%s'", name, rule,
			 value);
	else
		snprintf(msg, sizeof(msg), "%s must %s", name, rule);
	return sc__invalid(err_out, msg);
}

static int one_of(const char *v, const char *a, const char *b,
		  const char *c)
{
	return !strcmp(v, a) || !strcmp(v, b) || (c && !strcmp(v, c));
}

int sc_param_check(const char *name, const char *value, sc_error **err_out)
{
	if (!name || !value)
		return sc__invalid(err_out, "name and value are required");
	/* one rule per name: the first name that matches decides */
	if (!strcmp(name, "unit_system"))
		return one_of(value, "metric", "imperial", NULL) ? 0 :
		       setting_error(err_out, name,
				     "be 'metric' or 'imperial'", value);
	if (!strcmp(name, "version") || !strcmp(name, "api_version"))
		return sc__valid_version(value) ? 0 :
		       setting_error(err_out, name, "look like '2.0'", value);
	if (!strcmp(name, "rate_policy"))
		return one_of(value, "wait", "fail", "off") ? 0 :
		       setting_error(err_out, name,
				     "be 'wait', 'fail' or 'off'", value);
	if (!strcmp(name, "mode") &&
	    !one_of(value, "live", "test", "simulated"))
		return setting_error(err_out, name,
				     "be one of live, test, simulated", value);
	return 0;
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

/* A call that authenticates as the application, on a client without its
 * credentials (sc_client_new takes them from the options, else from the
 * environment). */
#define NO_CREDENTIALS                                                   \
	"client_id and client_secret are required (the client's options, " \
	"or SMARTCAR_CLIENT_ID and SMARTCAR_CLIENT_SECRET)"

int sc__invalid(sc_error **err_out, const char *msg)
{
	if (err_out && !*err_out)
		*err_out = sc__error_new(SC_EINVAL, msg);
	return SC_EINVAL;
}

long sc__long_or(const char *v, long dflt)
{
	if (v && all_digits(v) && strlen(v) < 10)
		return strtol(v, NULL, 10);
	return dflt;
}

const char *sc__op_param(const sc_op *op, const char *name)
{
	int slot = sc__param_slot(name);
	return slot >= 0 ? op->pv[slot] : sc_params_get(op->params, name);
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
	const char *version;
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
	/* "key!1": the official SDKs send it only to API version 1.x */
	if (n > 2 && !strcmp(key + n - 2, "!1")) {
		key[n - 2] = '\0';
		if (b->op->client->official && strncmp(b->version, "1.", 2))
			return 0;
	}
	gt = strchr(key, '>');
	/* (both fit: key is shorter than wire) */
	memcpy(wire, gt ? gt + 1 : key, strlen(gt ? gt + 1 : key) + 1);
	if (gt)
		key[gt - key] = '\0';
	v = sc__op_param(b->op, key);
	/* the Python SDK's spellings of the service-history range */
	if (!v && !strcmp(key, "start_date"))
		v = b->op->pv[SC_P_startDate];
	if (!v && !strcmp(key, "end_date"))
		v = b->op->pv[SC_P_endDate];
	if (!v && !strcmp(key, "flags"))
		v = b->op->client->flags;
	/* a compatibility level is answered in test mode only: it implies
	 * mode=test unless the caller named a mode */
	if (!v && !strcmp(key, "mode") &&
	    b->op->pv[SC_P_test_mode_compatibility_level])
		v = "test";
	/* get_compatibility's country, as in the official SDKs */
	if (!v && !strcmp(key, "country"))
		v = "US";
	if (!v)
		return 0;
	if ((!strcmp(key, "limit") || !strcmp(key, "offset")) &&
	    !all_digits(v)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%s must be a non-negative integer",
			 key);
		return sc__invalid(b->err, msg);
	}
	/* page-number paging counts from 1 */
	if ((!strcmp(key, "page") || !strcmp(key, "page_size")) &&
	    (!all_digits(v) || !v[strspn(v, "0")])) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%s must be a positive integer", key);
		return sc__invalid(b->err, msg);
	}
	/* a value with a rule of its own (mode) */
	if ((rc = sc_param_check(key, v, b->err)) != 0)
		return rc;
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
	if ((eq = strchr(spec, '>'))) {
		const char *v;
		char msg[96];
		*eq = '\0';
		v = sc__op_param(j->op, spec);
		if (!v || !*v) {
			snprintf(msg, sizeof(msg), "%s is required", spec);
			return sc__invalid(j->err, msg);
		}
		return cJSON_AddStringToObject(j->obj, eq + 1, v) ? 0
								  : SC_ENOMEM;
	}
	if (n && spec[n - 1] == '@') {
		/* the members of the JSON object in param P, as given */
		const char *v;
		cJSON *given, *m;
		char msg[96];
		spec[n - 1] = '\0';
		v = sc__op_param(j->op, spec);
		given = v ? sc__json_parse(v, strlen(v)) : NULL;
		if (!cJSON_IsObject(given)) {
			cJSON_Delete(given);
			snprintf(msg, sizeof(msg), "%s must be a JSON object",
				 spec);
			return sc__invalid(j->err, msg);
		}
		while ((m = given->child)) {
			cJSON_DetachItemViaPointer(given, m);
			cJSON_AddItemToObject(j->obj, m->string, m);
		}
		cJSON_Delete(given);
		return 0;
	}
	if (n && spec[n - 1] == '#') {
		double d;
		char msg[96];
		spec[n - 1] = '\0';
		if (!parse_number(sc__op_param(j->op, spec), &d)) {
			snprintf(msg, sizeof(msg), "%s must be a number", spec);
			return sc__invalid(j->err, msg);
		}
		if (!strcmp(spec, "latitude") && (d < -90 || d > 90))
			return sc__invalid(j->err, "Invalid latitude value. It "
					       "must be between -90 and 90.");
		if (!strcmp(spec, "longitude") && (d < -180 || d > 180))
			return sc__invalid(j->err, "Invalid longitude value. It "
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

	if (n == 0)
		return SC_EINVAL;
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

/* The "paths" of a batch: space-separated text, or (from the bindings,
 * which hand over a list as it was given) a JSON array of strings, so an
 * empty path or one with a space is reported, not split or dropped. */
static int batch_paths(const char *paths, cJSON *reqs, sc_error **err_out)
{
	cJSON *list, *item;
	char msg[96];
	int rc = 0, i = 0;

	if (!paths || paths[0] != '[') {
		rc = each_word(paths, add_batch_path, reqs);
		return rc == SC_EINVAL
			? sc__invalid(err_out, "batch paths must not contain "
				      "spaces, '?' or '#'")
			: rc;
	}
	list = sc__json_parse(paths, strlen(paths));
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(list);
		return sc__invalid(err_out, "batch paths: a JSON array of "
				   "strings expected");
	}
	cJSON_ArrayForEach(item, list) {
		const char *s = cJSON_GetStringValue(item);
		i++;
		rc = s ? add_batch_path(reqs, s, strlen(s)) : SC_EINVAL;
		if (rc != 0)
			break;
	}
	cJSON_Delete(list);
	if (rc == SC_EINVAL) {
		snprintf(msg, sizeof(msg), "batch paths[%d] must be a path "
			 "without spaces, '?' or '#'", i);
		return sc__invalid(err_out, msg);
	}
	return rc;
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
	sc_request *req = op->req;
	int rc = 0;

	if (!*spec)
		return 0; /* no body */
	if (!strcmp(spec, "form:code")) {
		const char *code = op->pv[SC_P_code];
		const char *redirect = op->pv[SC_P_redirect_uri];
		if (!redirect)
			redirect = op->client->redirect_uri;
		if (!code || !*code)
			return sc__invalid(err_out, "code is required");
		/* optional for the official SDKs (set in the dashboard) */
		if (!redirect && !op->client->official)
			return sc__invalid(err_out, "redirect_uri is required");
		rc = add_form(&req->body, "grant_type", "authorization_code");
		if (rc == 0)
			rc = add_form(&req->body, "code", code);
		if (rc == 0 && redirect)
			rc = add_form(&req->body, "redirect_uri", redirect);
	} else if (!strcmp(spec, "form:refresh")) {
		const char *rt = op->pv[SC_P_refresh_token];
		if (!rt || !*rt)
			return sc__invalid(err_out, "refresh_token is required");
		rc = add_form(&req->body, "grant_type", "refresh_token");
		if (rc == 0)
			rc = add_form(&req->body, "refresh_token", rt);
	} else if (!strcmp(spec, "form:client_credentials")) {
		if (!op->client->client_id || !op->client->client_secret)
			return sc__invalid(err_out, NO_CREDENTIALS);
		rc = add_form(&req->body, "grant_type", "client_credentials");
		if (rc == 0)
			rc = add_form(&req->body, "client_id",
				      op->client->client_id);
		if (rc == 0)
			rc = add_form(&req->body, "client_secret",
				      op->client->client_secret);
	} else if (!strncmp(spec, "json:", 5) || !strncmp(spec, "data:", 5)) {
		/* "data:" wraps the object as JSON:API {"data":{"attributes":}} */
		struct jbody j = { op, cJSON_CreateObject(), err_out };
		cJSON *doc = j.obj, *data = NULL;
		if (j.obj && spec[0] == 'd') {
			doc = cJSON_CreateObject();
			data = cJSON_AddObjectToObject(doc, "data");
			if (!data) {
				cJSON_Delete(doc);
				cJSON_Delete(j.obj);
				return SC_ENOMEM;
			}
			cJSON_AddItemToObject(data, "attributes", j.obj);
		}
		if (!j.obj)
			return SC_ENOMEM;
		rc = each_word(spec + 5, add_json_field, &j);
		if (rc == 0)
			rc = set_body_json(req, doc);
		cJSON_Delete(doc);
	} else if (!strcmp(spec, "batch")) {
		cJSON *obj = cJSON_CreateObject();
		cJSON *reqs = cJSON_CreateArray();
		if (!obj || !reqs) {
			cJSON_Delete(obj);
			cJSON_Delete(reqs);
			return SC_ENOMEM;
		}
		cJSON_AddItemToObject(obj, "requests", reqs);
		rc = batch_paths(op->pv[SC_P_paths], reqs, err_out);
		if (rc == 0 && cJSON_GetArraySize(reqs) == 0)
			rc = sc__invalid(err_out, "batch paths must not be empty "
					 "(give at least one path)");
		if (rc == 0)
			rc = set_body_json(req, obj);
		cJSON_Delete(obj);
	} else if (!strcmp(spec, "raw")) {
		const char *body = op->pv[SC_P_body];
		if (body && *body) {
			cJSON *v = sc__json_parse(body, strlen(body));
			if (!v)
				return sc__invalid(err_out,
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

/* A path template: each {name} is the URL-encoded param "name". */
static int append_path(sc_op *op, sc_buf *url, const char *tmpl,
		       sc_error **err_out)
{
	int rc = 0;
	while (rc == 0 && *tmpl) {
		const char *close = *tmpl == '{' ? strchr(tmpl, '}') : NULL;
		char key[32], msg[64];
		const char *v;
		if (!close || (size_t)(close - tmpl) > sizeof(key)) {
			/* the literal run up to the next placeholder */
			size_t len = strcspn(tmpl + 1, "{") + 1;
			rc = sc__buf_append(url, tmpl, len);
			tmpl += len;
			continue;
		}
		memcpy(key, tmpl + 1, (size_t)(close - tmpl - 1));
		key[close - tmpl - 1] = '\0';
		v = sc__op_param(op, key);
		if (!v || !*v) {
			snprintf(msg, sizeof(msg), "%s is required", key);
			return sc__invalid(err_out, msg);
		}
		rc = sc__url_encode(url, v);
		tmpl = close + 1;
	}
	return rc;
}

/* The raw "request" endpoint: method, path (under the vehicle when a
 * vehicle_id is given), caller's headers. */
static int raw_path(sc_op *op, sc_buf *url, const char **method,
		    sc_error **err_out)
{
	const char *m = op->pv[SC_P_method];
	const char *path = op->pv[SC_P_path];
	const char *vid = op->pv[SC_P_vehicle_id];
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH",
					       "DELETE" };
	size_t i;
	int ok = 0, rc = 0;

	/* in any case: "get" is GET */
	for (i = 0; m && i < 5 && !ok; i++) {
		size_t j = 0;
		while (m[j] && toupper((unsigned char)m[j]) == methods[i][j])
			j++;
		ok = !m[j] && !methods[i][j];
	}
	if (!ok)
		return sc__invalid(err_out, "method must be GET, POST, PUT, "
					"PATCH or DELETE");
	*method = methods[i - 1];
	if (!path)
		path = "";
	for (i = 0; path[i]; i++)
		if ((unsigned char)path[i] < 0x21 || path[i] == '#')
			return sc__invalid(err_out, "path must not contain spaces, "
						"control characters or '#'");
	if (strstr(path, ".."))
		return sc__invalid(err_out, "path must not contain '..'");
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
	const char *token = op->pv[SC_P_access_token];
	const char *amt = op->pv[SC_P_management_token];
	sc_buf tmp, cred;
	int rc = 0;

	sc__buf_init(&tmp, 0);
	sc__buf_init(&cred, 0);
	if (op->ep->auth == SC_AUTH_NONE)
		return 0;
	if (op->ep->auth == SC_AUTH_BEARER_OR_APP) {
		const char *user = op->pv[SC_P_user_id];
		if (user && !header_safe(user))
			return sc__invalid(err_out, "user_id has control "
						"characters");
		if (user && (rc = sc__request_add_header(op->req,
							 "sc-user-id", user)))
			return rc;
		if ((!token || !*token) && !op->store) {
			if (!c->client_id || !c->client_secret)
				return sc__invalid(err_out, "access_token, or a "
					"client_id and client_secret for an "
					"application token, is required");
			op->app_token = 1;
			return 0;
		}
	}
	if (op->store)
		return 0; /* the store's access token goes in before sending */
	switch (op->ep->auth) {
	case SC_AUTH_BEARER_OR_APP:
	case SC_AUTH_BEARER:
		if (!token || !*token)
			return sc__invalid(err_out, "access_token is required");
		if (!header_safe(token))
			return sc__invalid(err_out,
				       "access_token has control characters");
		return sc__request_add_header2(op->req, "Authorization",
					       "Bearer ", token);
	case SC_AUTH_BEARER_AMT:
	case SC_AUTH_BASIC_AMT:
		if (!amt || !*amt)
			return sc__invalid(err_out, "management_token is required");
		if (!header_safe(amt))
			return sc__invalid(err_out, "management_token has control "
						"characters");
		if (op->ep->auth == SC_AUTH_BEARER_AMT)
			return sc__request_add_header2(op->req,
						       "Authorization",
						       "Bearer ", amt);
		rc = sc__buf_puts(&cred, "default:");
		if (rc == 0)
			rc = sc__buf_puts(&cred, amt);
		goto basic;
	default:
		if (!c->client_id || !c->client_secret)
			return sc__invalid(err_out, NO_CREDENTIALS);
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

/* One caller header of the raw endpoint, checked. */
static int add_caller_header(sc_op *op, const char *name, const char *v,
			     sc_error **err_out)
{
	if (!*name)
		return sc__invalid(err_out, "empty header name");
	for (const char *q = name; *q; q++)
		if (!token_char((unsigned char)*q))
			return sc__invalid(err_out, "bad header name");
	if (!header_safe(v))
		return sc__invalid(err_out, "header values must not contain "
					    "control characters");
	return sc__request_add_header(op->req, name, v);
}

/* The "headers" param: a JSON object {name: string or number} (a
 * binding's table). */
static int add_headers_object(sc_op *op, const char *json,
			      sc_error **err_out)
{
	cJSON *o = sc__json_parse(json, strlen(json));
	const cJSON *h;
	char num[32], msg[120];
	int rc = 0;

	if (!cJSON_IsObject(o) && !(cJSON_IsArray(o) && !o->child))
		rc = sc__invalid(err_out, "headers: an object of names and "
					  "values expected");
	for (h = o ? o->child : NULL; rc == 0 && h; h = h->next) {
		if (cJSON_IsNumber(h))
			snprintf(num, sizeof(num),
				 h->valuedouble == floor(h->valuedouble) &&
						 fabs(h->valuedouble) < 1e15
					 ? "%.0f"
					 : "%.14g",
				 h->valuedouble);
		if (cJSON_IsString(h) || cJSON_IsNumber(h)) {
			rc = add_caller_header(op, h->string,
					       cJSON_IsString(h) ? h->valuestring
								 : num,
					       err_out);
		} else {
			snprintf(msg, sizeof(msg), "headers: '%.60s'",
				 h->string);
			rc = sc__invalid_type(err_out, msg, "string or number",
					      h);
		}
	}
	cJSON_Delete(o);
	return rc;
}

/* Caller headers for the raw endpoint ("header:Name" params, then the
 * "headers" object). */
static int add_caller_headers(sc_op *op, sc_error **err_out)
{
	size_t i, n = sc_params_count(op->params);
	const char *obj = sc_params_get(op->params, "headers");
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		const char *k, *v;
		sc_params_at(op->params, i, &k, &v);
		if (!strncmp(k, "header:", 7))
			rc = add_caller_header(op, k + 7, v, err_out);
	}
	return rc == 0 && obj ? add_headers_object(op, obj, err_out) : rc;
}

/* Where each host's URLs start: its origin (a field of the client), then
 * a version prefix.  The API host's version comes from the call; an IAM
 * endpoint's path is whole, so it stands in for the prefix. */
static const struct host {
	size_t origin;
	const char *prefix;
} hosts[] = {
	[SC_HOST_API] = { offsetof(sc_client, api_origin), "/v" },
	[SC_HOST_AUTH] = { offsetof(sc_client, auth_url), "" },
	[SC_HOST_MANAGEMENT] = { offsetof(sc_client, management_origin),
				 "/v2.0" },
	[SC_HOST_V3] = { offsetof(sc_client, vehicle_api_origin), "/v3" },
	[SC_HOST_IAM] = { offsetof(sc_client, iam_origin), NULL },
	[SC_HOST_V3M] = { offsetof(sc_client, management_v3_origin), "/v3" },
};

static int url_base(sc_buf *url, const sc_client *c, const endpoint *ep,
		    const char *version)
{
	const struct host *h = &hosts[ep->host];

	return sc__buf_cat(url, *(char *const *)((const char *)c + h->origin),
			   h->prefix ? h->prefix : ep->path,
			   ep->host == SC_HOST_API ? version : "");
}

int sc__op_build_request(sc_op *op, sc_error **err_out)
{
	const endpoint *ep = op->ep;
	sc_client *c = op->client;
	sc_buf url;
	char url_text[512]; /* (a longer URL moves to the heap) */
	const char *version = op->pv[SC_P_version];
	const char *units = op->pv[SC_P_unit_system];
	const char *method = ep->method;
	const char *suffix = op->pv[SC_P_user_agent_suffix];
	const char *mode;
	struct build b;
	int rc = 0, raw = (ep->flags & SC_EP_RAW) != 0;

	/* (the client's own were checked when it was made) */
	if (!version)
		version = c->api_version;
	else if (ep->host == SC_HOST_API &&
		 (rc = sc_param_check("version", version, err_out)) != 0)
		return rc;
	if (!units)
		units = c->unit_system;
	else if ((ep->flags & SC_EP_UNITS) &&
		 (rc = sc_param_check("unit_system", units, err_out)) != 0)
		return rc;
	if ((mode = op->pv[SC_P_mode]) != NULL && *mode &&
	    (rc = sc_param_check("mode", mode, err_out)) != 0)
		return rc;
	if (suffix && !header_safe(suffix))
		return sc__invalid(err_out, "user_agent_suffix has control "
					"characters");
	if (ep == &sc__endpoints[EP_DELETE_CONNECTIONS]) {
		/* one user's or one vehicle's connections, never a mix */
		const char *u = op->pv[SC_P_user_id];
		const char *v = op->pv[SC_P_vehicle_id];
		int has_u = u && *u, has_v = v && *v;
		if (has_u && has_v)
			return sc__invalid(err_out, "Filter can contain EITHER "
					   "user_id OR vehicle_id, not both");
		if (!has_u && !has_v)
			return sc__invalid(err_out, "Filter needs a user_id or "
					   "a vehicle_id");
	}

	sc__buf_init_in(&url, url_text, sizeof(url_text), 16384);
	rc = url_base(&url, c, ep, version);
	if (rc == 0 && raw)
		rc = raw_path(op, &url, &method, err_out);
	else if (rc == 0 && ep->host != SC_HOST_AUTH &&
		 ep->host != SC_HOST_IAM)
		rc = append_path(op, &url, ep->path, err_out);
	b.op = op;
	b.version = version;
	b.url = &url;
	b.first = strchr(url.ptr ? url.ptr : "", '?') == NULL;
	b.err = err_out;
	if (rc == 0)
		rc = each_word(ep->query, add_query, &b);
	if (rc == SC_ETOOBIG)
		rc = sc__invalid(err_out, "request URL is too long");
	if (rc == 0)
		rc = sc__request_new(&op->req, method, url.ptr);
	sc__buf_free(&url);
	if (rc < 0)
		return rc;

	op->req->connect_timeout_ms = sc__long_or(op->pv[SC_P_connect_timeout_ms], 0);
	op->req->timeout_ms = sc__long_or(op->pv[SC_P_timeout_ms], 0);
	pthread_mutex_lock(&c->lock);
	if (!op->req->connect_timeout_ms)
		op->req->connect_timeout_ms = c->connect_timeout_ms;
	if (!op->req->timeout_ms) {
		op->req->timeout_ms = c->timeout_ms;
		if ((ep->flags & SC_EP_LONG) &&
		    op->req->timeout_ms < SC_LONG_COMMAND_TIMEOUT_MS)
			op->req->timeout_ms = SC_LONG_COMMAND_TIMEOUT_MS;
	}
	pthread_mutex_unlock(&c->lock);

	if (raw)
		rc = add_caller_headers(op, err_out);
	if (rc == 0 && !(raw && sc_request_header(op->req, "Authorization")))
		rc = add_auth(op, err_out);
	/* (only a raw call's caller headers can already hold these) */
	if (rc == 0 && (!raw || !sc_request_header(op->req, "Accept")))
		rc = sc__request_add_header(op->req, "Accept",
					    "application/json");
	if (rc == 0) {
		if (suffix && *suffix) {
			sc_buf ua;
			sc__buf_init(&ua, 0);
			rc = sc__buf_cat(&ua, c->user_agent, " ", suffix);
			if (rc == 0 && (!raw || !sc_request_header(op->req,
								   "User-Agent")))
				rc = sc__request_add_header(op->req,
							    "User-Agent",
							    ua.ptr);
			sc__buf_free(&ua);
		} else if (!raw || !sc_request_header(op->req, "User-Agent")) {
			rc = sc__request_add_header(op->req, "User-Agent",
						    c->user_agent);
		}
	}
	if (rc == 0 && (ep->flags & SC_EP_UNITS) &&
	    (!raw || !sc_request_header(op->req, "sc-unit-system")))
		rc = sc__request_add_header(op->req, "sc-unit-system", units);
	if (rc == 0)
		rc = build_body(op, err_out);
	return rc;
}


int sc__op_build_token_request(sc_op *op)
{
	sc_client *c = op->client;
	sc_buf url;
	int rc;

	sc__buf_init(&url, 0);
	rc = sc__buf_cat(&url, c->iam_origin, "/oauth2/token");
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
