/* What a binding hands its host language whole (smartcar/bind.h): the
 * library's objects as JSON trees for the binding's one tree converter,
 * and the token-set checks both bindings used to write out. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "sc_internal.h"
#include "smartcar/bind.h"

cJSON *sc_endpoint_info_json(const char *endpoint)
{
	const char *column;
	cJSON *out;
	size_t i;

	if (!endpoint || !sc_endpoint_info(endpoint, "method"))
		return NULL;
	out = cJSON_CreateObject();
	for (i = 0; out && (column = sc_endpoint_column(i)) != NULL; i++) {
		if (!cJSON_AddStringToObject(out, column,
					     sc_endpoint_info(endpoint,
							      column))) {
			cJSON_Delete(out);
			out = NULL;
		}
	}
	return out;
}

/* Add a [name, value] pair to @p list: 0, or -1 without memory. */
static int add_pair(cJSON *list, const char *name, const char *value)
{
	cJSON *pair = cJSON_CreateArray();

	if (!cJSON_AddItemToArray(list, pair))
		return -1;
	return cJSON_AddItemToArray(pair, cJSON_CreateString(name)) &&
			       cJSON_AddItemToArray(pair,
						    cJSON_CreateString(value))
		       ? 0
		       : -1;
}

cJSON *sc_request_json(const sc_request *req)
{
	cJSON *out = cJSON_CreateObject(), *headers;
	const char *name, *value, *body;
	size_t i, len = 0;
	char *text;
	int ok;

	if (!out || !req)
		goto fail;
	ok = cJSON_AddStringToObject(out, "method", sc_request_method(req)) &&
	     cJSON_AddStringToObject(out, "url", sc_request_url(req)) &&
	     (headers = cJSON_AddArrayToObject(out, "headers")) != NULL;
	for (i = 0; ok && sc_request_header_at(req, i, &name, &value) == 0;
	     i++)
		ok = add_pair(headers, name, value) == 0;
	body = sc_request_body(req, &len);
	/* bodies the library builds are JSON or form text: no NUL bytes */
	text = ok ? sc__strndup(body ? body : "", body ? len : 0) : NULL;
	ok = text && cJSON_AddStringToObject(out, "body", text) &&
	     cJSON_AddNumberToObject(out, "connect_timeout_ms",
				     (double)sc_request_connect_timeout_ms(
					     req)) &&
	     cJSON_AddNumberToObject(out, "timeout_ms",
				     (double)sc_request_timeout_ms(req));
	free(text);
	if (ok)
		return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

/* Set @p field of @p obj to @p text unless it holds a string: 0 or -1. */
static int default_string(cJSON *obj, const char *field, const char *text)
{
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(obj, field)))
		return 0;
	cJSON_DeleteItemFromObjectCaseSensitive(obj, field);
	return cJSON_AddStringToObject(obj, field, text) ? 0 : -1;
}

cJSON *sc_error_fields(int code, const sc_error *err, const char *message)
{
	const cJSON *obj = sc_error_object(err);
	cJSON *out = cJSON_IsObject(obj) ? cJSON_Duplicate(obj, 1)
					 : cJSON_CreateObject();
	const char *kind;

	if (err) {
		code = sc_error_code(err);
		message = sc_error_message(err);
	}
	kind = sc_code_kind(code);
	if (out && default_string(out, "kind", kind ? kind : "unknown") == 0 &&
	    default_string(out, "message",
			   message ? message : sc_strerror(code)) == 0)
		return out;
	cJSON_Delete(out);
	return NULL;
}

/* Overwrite every string of a tree (a token set). */
static void wipe_strings(cJSON *j)
{
	for (; j; j = j->next) {
		if ((cJSON_IsString(j) || cJSON_IsRaw(j)) && j->valuestring)
			sc__wipe(j->valuestring, strlen(j->valuestring));
		wipe_strings(j->child);
	}
}

/* 0 when field @p name of the token set @p t is of its @p kind (T a
 * non-empty string, t one or absent, n a number or absent: Unix seconds),
 * else SC_EINVAL saying what is wrong with it. */
static int token_field(const cJSON *t, const char *name, char kind,
		       sc_error **err_out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, name);
	char msg[80];

	if (!v && kind == 'T')
		snprintf(msg, sizeof(msg), "the token set has no %s", name);
	else if (!v || (cJSON_IsNull(v) && kind != 'T'))
		return 0;
	else if (kind == 'n' && !cJSON_IsNumber(v) && !cJSON_IsRaw(v))
		/* Lua writes its integers as raw text */
		return sc__invalid_type(err_out, name, "number (Unix seconds)",
					v);
	else if (kind != 'n' && !cJSON_IsString(v))
		return sc__invalid_type(err_out, name, "string", v);
	else if (kind != 'n' && !*v->valuestring)
		snprintf(msg, sizeof(msg), "%s must not be empty", name);
	else
		return 0;
	return sc__invalid(err_out, msg);
}

int sc_token_store_save_tokens(sc_token_store *store, const char *key,
			       cJSON *tokens, sc_error **err_out)
{
	static const struct {
		const char *name;
		char kind;
	} fields[] = {
		{ "access_token", 'T' }, { "refresh_token", 'T' },
		{ "token_type", 't' },	 { "expires_in", 'n' },
		{ "expiration", 'n' },	 { "refresh_expiration", 'n' },
	};
	char *text = NULL;
	size_t i;
	int rc = cJSON_IsObject(tokens)
			 ? 0
			 : sc__invalid(err_out, "the token set must be an object");

	for (i = 0; rc == 0 && i < sizeof(fields) / sizeof(fields[0]); i++)
		rc = token_field(tokens, fields[i].name, fields[i].kind,
				 err_out);
	/* the token endpoint's default type, as answer.c gives it */
	if (rc == 0 && !cJSON_IsString(cJSON_GetObjectItem(tokens,
							    "token_type"))) {
		cJSON_DeleteItemFromObject(tokens, "token_type");
		if (!cJSON_AddStringToObject(tokens, "token_type", "Bearer"))
			rc = SC_ENOMEM;
	}
	if (rc == 0 && !(text = cJSON_PrintUnformatted(tokens)))
		rc = SC_ENOMEM;
	else if (rc == 0)
		rc = sc_token_store_save_json(store, key, text, err_out);
	wipe_strings(tokens);
	cJSON_Delete(tokens);
	if (text)
		sc__wipe_free(text);
	return rc;
}

int sc_op_next_json(sc_op *op, cJSON **value)
{
	const sc_request *req = NULL;
	int step = sc_op_next(op, &req);

	*value = NULL;
	if (step == SC_STEP_SEND)
		*value = sc_request_json(req);
	else if (step == SC_STEP_WAIT)
		*value = cJSON_CreateNumber((double)sc_op_wait_ms(op));
	else
		return step;
	return *value ? step : SC_ENOMEM;
}

/* Add the header @p name (NULL: not a string, @p node): @p value to
 * @p resp: 0, or a failure with its message in *err_out. */
static int feed_header(sc_response *resp, const char *name,
		       const cJSON *node, const cJSON *value, sc_error **err_out)
{
	int rc;

	if (!name || !cJSON_IsString(value))
		return sc__invalid_type(err_out, "header names and values",
					"string", name ? value : node);
	rc = sc_response_add_header(resp, name, value->valuestring);
	if (rc != 0)
		*err_out = sc__error_new(rc, "the header cannot be added");
	return rc;
}

int sc_op_feed_json(sc_op *op, int status, const cJSON *headers,
		    const char *body, size_t len, sc_error **err_out)
{
	sc_response *resp = NULL;
	const cJSON *h;
	int rc;

	*err_out = NULL;
	if (status < 100 || status > 999) {
		*err_out = sc__error_new(SC_EINVAL, "HTTP status expected");
		return SC_EINVAL;
	}
	if (headers && !cJSON_IsNull(headers) && !cJSON_IsObject(headers) &&
	    !cJSON_IsArray(headers)) {
		return sc__invalid_type(err_out, "headers",
					"a map or (name, value) pairs", headers);
	}
	if ((rc = sc_response_new(&resp, 0)) != 0 ||
	    (rc = sc_response_set_status(resp, status)) != 0)
		goto done;
	for (h = headers ? headers->child : NULL; h && rc == 0; h = h->next) {
		if (cJSON_IsObject(headers))
			rc = feed_header(resp, h->string, h, h, err_out);
		else if (!cJSON_IsArray(h) || cJSON_GetArraySize(h) != 2)
			rc = sc__invalid_type(err_out, "headers",
					      "(name, value) pairs", h);
		else
			rc = feed_header(resp, cJSON_GetStringValue(h->child),
					 h->child, h->child->next, err_out);
	}
	/* Past the cap the response is marked too big; the op reports it. */
	if (rc == 0 && sc_response_append_body(resp, body, len) == SC_ENOMEM)
		rc = SC_ENOMEM;
	if (rc == 0) {
		rc = sc_op_feed(op, resp); /* consumes resp */
		resp = NULL;
		if (rc == SC_EMISUSE)
			*err_out = sc__error_new(rc, "the op is not waiting "
						     "for a response");
	}
done:
	sc_response_free(resp);
	return rc;
}

int sc_op_take_result(sc_result **out, sc_op *op, sc_error **err_out)
{
	int rc = sc_op_result(out, op);

	*err_out = NULL;
	if (rc != SC_EMISUSE || *out)
		return rc;
	if (op && op->taken)
		rc = SC_EINVAL; /* the op is a used-up argument now */
	*err_out = sc__error_new(rc, rc == SC_EINVAL
				 ? "the op's result was already taken"
				 : "the op is not done");
	return rc;
}

/* ---- environment snapshots (sc_env_snapshot) ------------------------ */

/*
 * One walk of the environment compares all the names (getenv walks it
 * once per name); the first entry of a name counts, as for getenv.
 * While the environment's array holds the very entries it held when the
 * snapshot was last found the same (setenv, putenv and unsetenv replace,
 * add or remove an entry's pointer; none writes into an entry), it is
 * the same again without comparing the names: only a string given to
 * putenv and then written into goes unseen.
 */
extern char **environ;

typedef struct env_var {
	const char *name, *value;
	size_t nlen, vlen;
} env_var;

struct sc_env_snapshot {
	size_t n;
	int missing;       /* values lacked one: never the same */
	uint64_t seen;     /* env_print() when last found the same, or 0 */
	uint64_t first[4]; /* the names' first two bytes (env_key), as bits */
	env_var var[];     /* then the strings */
};

/* A byte of the first two of an environment entry "NAME=value" (a
 * one-letter name's second is the '='), for a filter of the entries. */
static unsigned env_key(const char *entry)
{
	unsigned char a = (unsigned char)entry[0];
	unsigned char b = a ? (unsigned char)entry[1] : 0;
	return (a * 31u + (b ? b : '=')) & 255;
}

/* A print of the environment's array: its address and every entry's. */
static uint64_t env_print(void)
{
	uint64_t h = 14695981039346656037u ^ (uintptr_t)environ;
	char **e;

	for (e = environ; e && *e; e++)
		h = (h ^ (uintptr_t)*e) * 1099511628211u;
	return h | 1; /* never 0 */
}

/* Copy @p text (NULL: "") to *at, advancing it; its length. */
static size_t env_copy(char **at, const char *text, const char **to)
{
	size_t len = text ? strlen(text) : 0;

	*to = *at;
	if (len)
		memcpy(*at, text, len);
	(*at)[len] = '\0';
	*at += len + 1;
	return len;
}

sc_env_snapshot *sc_env_snapshot_new(const char *const *names,
				     const char *const *values, size_t n)
{
	size_t i, room = 0;
	sc_env_snapshot *s;
	const char *v;
	char *at;

	for (i = 0; i < n; i++) {
		v = values ? values[i] : getenv(names[i]);
		room += strlen(names[i]) + (v ? strlen(v) : 0) + 2;
	}
	s = calloc(1, sizeof(*s) + n * sizeof(env_var) + room);
	if (!s)
		return NULL;
	s->n = n;
	at = (char *)&s->var[n];
	for (i = 0; i < n; i++) {
		env_var *x = &s->var[i];
		unsigned f;

		x->nlen = env_copy(&at, names[i], &x->name);
		f = env_key(x->name);
		s->first[f >> 6] |= (uint64_t)1 << (f & 63);
		v = values ? values[i] : getenv(names[i]);
		if (values && !v)
			s->missing = 1;
		x->vlen = env_copy(&at, v, &x->value);
	}
	return s;
}

/* Whether variables from..from+m-1 (m <= 64) of @p s are the same. */
static int env_same(const sc_env_snapshot *s, size_t from, size_t m)
{
	uint64_t seen = 0;
	size_t i;
	char **e;

	for (e = environ; e && *e; e++) {
		const char *v = *e, *eq;
		unsigned f = env_key(v);
		size_t klen;

		if (!(s->first[f >> 6] >> (f & 63) & 1) ||
		    !(eq = strchr(v, '=')))
			continue;
		klen = (size_t)(eq - v);
		for (i = 0; i < m; i++) {
			const env_var *x = &s->var[from + i];
			if ((seen >> i & 1) || x->nlen != klen ||
			    memcmp(v, x->name, klen) != 0)
				continue;
			if (strlen(eq + 1) != x->vlen ||
			    memcmp(eq + 1, x->value, x->vlen) != 0)
				return 0;
			seen |= (uint64_t)1 << i;
			break;
		}
	}
	for (i = 0; i < m; i++)
		if (!(seen >> i & 1) && s->var[from + i].vlen != 0)
			return 0;
	return 1;
}

int sc_env_snapshot_same(sc_env_snapshot *s)
{
	uint64_t print = env_print();
	size_t from;
	int same = 1;

	if (!s)
		return 0;
	if (print != s->seen) {
		same = !s->missing;
		for (from = 0; same && from < s->n; from += 64)
			same = env_same(s, from,
					s->n - from < 64 ? s->n - from : 64);
		s->seen = same ? print : 0;
	}
	return same;
}

void sc_env_snapshot_free(sc_env_snapshot *s)
{
	free(s);
}

/* ---- parameter and option tables given as JSON (a Lua table's) ------- */

static const char *json_type(const cJSON *v)
{
	return cJSON_IsString(v)			? "string"
	       : cJSON_IsBool(v)			? "boolean"
	       : cJSON_IsNumber(v) || cJSON_IsRaw(v) ? "number"
	       : cJSON_IsNull(v)			? "null"
	       : cJSON_IsArray(v)			? "array"
							: "object";
}

int sc__invalid_type(sc_error **err_out, const char *what,
		     const char *expected, const cJSON *got)
{
	char msg[200];

	if (!err_out || *err_out)
		return SC_EINVAL;
	snprintf(msg, sizeof(msg), "%.80s: %.60s expected, got %s", what,
		 expected, json_type(got));
	*err_out = sc__error_new(SC_EINVAL, msg);
	if (*err_out && sc__error_set(*err_out, "expected", expected) != 0) {
		sc_error_free(*err_out);
		*err_out = sc__error_new(SC_ENOMEM, NULL);
		return SC_ENOMEM;
	}
	return SC_EINVAL;
}

/* SC_EINVAL, its message @p fmt with @p a, @p b and @p c in *err_out. */
static int invalid(sc_error **err_out, const char *fmt, const char *a,
		   const char *b, const char *c)
{
	char msg[160];

	snprintf(msg, sizeof(msg), fmt, a ? a : "?", b, c);
	if (err_out)
		*err_out = sc__error_new(SC_EINVAL, msg);
	return SC_EINVAL;
}

int sc_params_set_number(sc_params *params, const char *key, double value)
{
	char num[32];

	if (value > -1e15 && value < 1e15 && value == (double)(long long)value)
		snprintf(num, sizeof(num), "%.0f", value);
	else
		snprintf(num, sizeof(num), "%.14g", value);
	return sc_params_set(params, key, num);
}

int sc_params_from_json(sc_params **out, const cJSON *obj,
			sc_error **err_out)
{
	const cJSON *v = obj ? obj->child : NULL;
	int rc = sc_params_new(out);
	char what[80];

	if (err_out)
		*err_out = NULL;
	if (rc == 0 && v && !cJSON_IsObject(obj))
		rc = invalid(err_out, "parameter names must be strings", "",
			     "", "");
	for (; rc == 0 && v; v = v->next) {
		if (cJSON_IsString(v) || cJSON_IsRaw(v)) /* Raw: an integer */
			rc = sc_params_set(*out, v->string, v->valuestring);
		else if (cJSON_IsBool(v))
			rc = sc_params_set(*out, v->string,
					   cJSON_IsTrue(v) ? "true" : "false");
		else if (cJSON_IsNumber(v))
			rc = sc_params_set_number(*out, v->string,
						  v->valuedouble);
		else {
			snprintf(what, sizeof(what), "parameter '%.60s'",
				 v->string);
			rc = sc__invalid_type(err_out, what,
					      "string, number or boolean", v);
		}
	}
	if (rc != 0) {
		sc_params_free(*out);
		*out = NULL;
	}
	return rc;
}

int sc_client_new_json(sc_client **out, const cJSON *options,
		       sc_error **err_out)
{
	const cJSON *v = options ? options->child : NULL;
	sc_params *p = NULL;
	char want[32], what[80];
	int rc;

	*out = NULL;
	if (err_out)
		*err_out = NULL;
	for (; v; v = v->next) {
		const char *type = sc_client_option_type(v->string);
		int number = type && (*type == 'i' || *type == 'n');

		if (!type)
			return invalid(err_out, "unknown option '%.60s'",
				       v->string, "", "");
		snprintf(want, sizeof(want), "%s%s",
			 number ? "non-negative " : "", type);
		if (strcmp(json_type(v), number ? "number" : type) != 0) {
			snprintf(what, sizeof(what), "option '%.60s'",
				 v->string);
			return sc__invalid_type(err_out, what, want, v);
		}
	}
	rc = sc_params_from_json(&p, options, err_out);
	if (rc == 0)
		rc = sc_client_new_params(out, p, err_out);
	sc_params_free(p);
	return rc;
}

/* The sockets of @p a: every one now (@p all) or the changes since the
 * last call (consumed), as a list of *n (NULL: no memory). */
static sc_async_watch *watches(sc_async *a, int all, size_t *n)
{
	size_t cap = all ? sc_async_fds(a, NULL, 0)
			 : sc_async_changes(a, NULL, 0);
	sc_async_watch *w = calloc(cap ? cap : 1, sizeof(*w));

	if (w)
		*n = all ? sc_async_fds(a, w, cap) : sc_async_changes(a, w, cap);
	if (!w)
		*n = 0;
	else if (*n > cap)
		*n = cap;
	return w;
}

cJSON *sc_async_fds_json(const sc_async *a)
{
	size_t n, i;
	sc_async_watch *w = watches((sc_async *)a, 1, &n); /* reads only */
	cJSON *out = w ? cJSON_CreateArray() : NULL, *fd;

	for (i = 0; out && i < n; i++) {
		if (!cJSON_AddItemToArray(out, fd = cJSON_CreateObject()) ||
		    !cJSON_AddNumberToObject(fd, "fd", w[i].fd) ||
		    !cJSON_AddBoolToObject(fd, "read",
					   w[i].events & SC_WATCH_READ) ||
		    !cJSON_AddBoolToObject(fd, "write",
					   w[i].events & SC_WATCH_WRITE)) {
			cJSON_Delete(out);
			out = NULL;
		}
	}
	free(w);
	return out;
}

cJSON *sc_async_watches_json(sc_async *a, int all)
{
	size_t n, i;
	sc_async_watch *w = watches(a, all, &n);
	cJSON *out = w ? cJSON_CreateArray() : NULL, *pair;

	for (i = 0; out && i < n; i++) {
		if (!cJSON_AddItemToArray(out, pair = cJSON_CreateArray()) ||
		    !cJSON_AddItemToArray(pair, cJSON_CreateNumber(w[i].fd)) ||
		    !cJSON_AddItemToArray(pair,
					  cJSON_CreateNumber(w[i].events))) {
			cJSON_Delete(out);
			out = NULL;
		}
	}
	free(w);
	return out;
}

cJSON *sc_json_parse_text(const char *text, size_t len, sc_error **err_out)
{
	const char *end = NULL;
	cJSON *v = sc__json_parse_whole(text, len, &end);
	char msg[48];

	if (err_out)
		*err_out = NULL;
	if (!v && err_out) {
		snprintf(msg, sizeof(msg), "invalid JSON near byte %ld",
			 end && end >= text ? (long)(end - text) : 0L);
		*err_out = sc__error_new(SC_EMALFORMED, msg);
	}
	return v;
}

/* The list of members from @p head sorted by key (a merge sort): its new
 * head; the prev links are left to the caller. */
static cJSON *sort_members(cJSON *head)
{
	cJSON *half[2] = { NULL, NULL }, **tail = &head, *next;
	int side = 0;

	if (!head || !head->next)
		return head;
	for (; head; head = next, side ^= 1) {
		next = head->next;
		head->next = half[side];
		half[side] = head;
	}
	half[0] = sort_members(half[0]);
	half[1] = sort_members(half[1]);
	while (half[0] && half[1]) {
		side = strcmp(half[0]->string, half[1]->string) > 0;
		*tail = half[side];
		tail = &half[side]->next;
		half[side] = half[side]->next;
	}
	*tail = half[0] ? half[0] : half[1];
	return head;
}

void sc_json_sort_keys(cJSON *tree)
{
	cJSON *c, *prev = NULL;

	if (cJSON_IsObject(tree))
		tree->child = sort_members(tree->child);
	for (c = tree ? tree->child : NULL; c; prev = c, c = c->next) {
		c->prev = prev;
		sc_json_sort_keys(c);
	}
	if (prev)
		tree->child->prev = prev; /* cJSON: the head's prev is the tail */
}

cJSON *sc_call_options_json(void)
{
	cJSON *o = cJSON_CreateObject();

#define SC_CALL_OPTION(name, kind, doc)                          \
	if (o && !cJSON_AddStringToObject(o, name, kind)) {      \
		cJSON_Delete(o);                                 \
		o = NULL;                                        \
	}
#include "call_options.def"
#undef SC_CALL_OPTION
	return o;
}

int sc_vehicle_field(const char *name, size_t len, const char **param)
{
	static const struct {
		const char *name, *param;
		int kind;
	} fields[] = {
		{ "id", "vehicle_id", SC_VEHICLE_FIELD_REQUIRED },
		{ "access_token", "access_token", SC_VEHICLE_FIELD_REQUIRED },
		{ "flags", "flags", SC_VEHICLE_FIELD_STRING },
		{ "client", NULL, SC_VEHICLE_FIELD_CLIENT },
		{ "store", NULL, SC_VEHICLE_FIELD_GENERAL },
		{ "user_id", NULL, SC_VEHICLE_FIELD_GENERAL },
#define SC_CALL_OPTION(name, kind, doc) { name, name, SC_VEHICLE_FIELD_PARAM },
#include "call_options.def"
#undef SC_CALL_OPTION
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) == len &&
		    memcmp(fields[i].name, name, len) == 0) {
			*param = fields[i].param;
			return fields[i].kind;
		}
	}
	*param = NULL;
	return SC_VEHICLE_FIELD_NONE;
}

int sc_env_snapshot_json(sc_env_snapshot **out, const cJSON *names,
			 const cJSON *values)
{
	const cJSON *v = cJSON_IsArray(values) ? values->child : NULL, *c;
	size_t n = 0, i;
	const char **a;

	for (c = cJSON_IsArray(names) ? names->child : NULL;
	     cJSON_IsString(c); c = c->next)
		n++;
	if (!(a = calloc(2 * n + 1, sizeof(*a))))
		return SC_ENOMEM;
	for (i = 0, c = n ? names->child : NULL; i < n; i++, c = c->next) {
		a[i] = c->valuestring;
		a[n + i] = cJSON_IsString(v) ? v->valuestring : NULL;
		v = v ? v->next : NULL;
	}
	*out = sc_env_snapshot_new(a, values ? a + n : NULL, n);
	free(a);
	return *out ? 0 : SC_ENOMEM;
}
