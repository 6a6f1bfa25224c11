/* Parameters, client options and Connect URL options given as JSON text
 * (smartcar/bind.h): a binding that writes JSON (smartcar.resty, with
 * cjson) hands its table over whole.  The lists and the flags object a
 * table may hold become their parameter text here, then the tree goes
 * to sc_params_from_json() / sc_client_new_json(), which check the rest. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "sc_internal.h"
#include "smartcar/bind.h"

/* An EINVAL with "<key>: <what>" in *err_out. */
static int bad(sc_error **err_out, const char *key, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%.60s: %s", key, what);
	return sc__invalid(err_out, msg);
}

/* Append the text of a list item: a string, true/false or a number (an
 * integer in full).  0, 1 for another type, or SC_ENOMEM. */
static int item_text(sc_buf *b, const cJSON *v)
{
	char num[32];
	double d = v->valuedouble;

	if (!cJSON_IsString(v) && !cJSON_IsBool(v) && !cJSON_IsNumber(v))
		return 1;
	snprintf(num, sizeof(num),
		 d == floor(d) && fabs(d) < 1e15 ? "%.0f" : "%.14g", d);
	return sc__buf_puts(b, cJSON_IsString(v) ? v->valuestring
			       : cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "true"
								    : "false")
						 : num)
		       ? SC_ENOMEM
		       : 0;
}

/* The text member @p v of a table stands for, newly allocated in *text:
 * a list space-separated, "flags" written by sc_flags_format(), {} as
 * "" (an empty Lua table), NULL for any other value (kept as it is). */
static int member_text(const cJSON *v, char **text, sc_error **err_out)
{
	const cJSON *item;
	sc_params *flags;
	sc_buf b;
	int rc = 0;

	*text = NULL;
	if (cJSON_IsObject(v) && v->child && strcmp(v->string, "flags") == 0) {
		rc = sc_params_from_json(&flags, v, err_out);
		if (rc == 0)
			rc = sc_flags_format(text, flags, err_out);
		sc_params_free(flags);
		return rc;
	}
	if (!cJSON_IsArray(v) && !(cJSON_IsObject(v) && !v->child))
		return 0;
	sc__buf_init(&b, 1024 * 1024);
	cJSON_ArrayForEach(item, v) {
		if (item != v->child && sc__buf_putc(&b, ' '))
			rc = SC_ENOMEM;
		if (rc == 0)
			rc = item_text(&b, item);
		if (rc != 0)
			break;
	}
	*text = rc == 0 ? sc__buf_detach(&b) : NULL;
	sc__buf_free(&b);
	if (rc == 1)
		return sc__invalid_type(err_out, v->string,
					"a list of strings, numbers or booleans",
					item);
	return rc == 0 && !*text ? SC_ENOMEM : rc;
}

/* Parse @p json (@p len bytes): 0 and the object in *tree, or EINVAL. */
static int parse(cJSON **tree, const char *json, size_t len,
		 sc_error **err_out)
{
	int rc;

	if (err_out)
		*err_out = NULL;
	*tree = json ? sc__json_parse(json, len) : NULL;
	if (cJSON_IsObject(*tree))
		return 0;
	if (!*tree) /* not JSON */
		return sc__invalid(err_out, "parameters: a JSON object expected");
	rc = sc__invalid_type(err_out, "parameters", "a JSON object", *tree);
	cJSON_Delete(*tree);
	*tree = NULL;
	return rc;
}

/* Write the lists and flags of @p tree as text and leave out its nulls:
 * 0 or an error. */
static int normalize(cJSON *tree, sc_error **err_out)
{
	cJSON *v, *next;
	char *text;
	int rc = 0;

	for (v = tree->child; rc == 0 && v; v = next) {
		next = v->next;
		rc = member_text(v, &text, err_out);
		if (rc == 0 && cJSON_IsNull(v))
			cJSON_Delete(cJSON_DetachItemViaPointer(tree, v));
		else if (rc == 0 && text &&
			 !cJSON_ReplaceItemInObjectCaseSensitive(
				 tree, v->string, cJSON_CreateString(text)))
			rc = SC_ENOMEM;
		free(text);
	}
	if (rc == SC_ENOMEM && err_out && !*err_out)
		*err_out = sc__error_new(SC_ENOMEM, NULL);
	return rc;
}

/* parse() and normalize() @p json into *tree (NULL on failure). */
static int load(cJSON **tree, const char *json, size_t len,
		sc_error **err_out)
{
	int rc = parse(tree, json, len, err_out);

	if (rc == 0)
		rc = normalize(*tree, err_out);
	if (rc != 0) {
		cJSON_Delete(*tree);
		*tree = NULL;
	}
	return rc;
}

/* The parameters (sc_params_from_json) or the client (sc_client_new_json)
 * of the object in @p json: the other output is NULL. */
static int from_text(sc_params **params, sc_client **client,
		     const char *json, size_t len, sc_error **err_out)
{
	cJSON *tree = NULL;
	int rc = params || client ? load(&tree, json, len, err_out)
				  : sc__invalid(err_out, "out is required");

	if (rc != 0 && params)
		*params = NULL;
	else if (rc != 0 && client)
		*client = NULL;
	else if (rc == 0)
		rc = params ? sc_params_from_json(params, tree, err_out)
			    : sc_client_new_json(client, tree, err_out);
	cJSON_Delete(tree);
	return rc;
}

int sc_params_from_text(sc_params **out, const char *json, size_t len,
			sc_error **err_out)
{
	return from_text(out, NULL, json, len, err_out);
}

int sc_client_new_text(sc_client **out, const char *json, size_t len,
		       sc_error **err_out)
{
	return from_text(NULL, out, json, len, err_out);
}

/* The options sc_auth_params_text() takes and their kinds: t a non-empty
 * string, b a boolean, l a list of non-empty strings, f flags (an object
 * or a string), s single_select (a boolean or an object). */
static const struct {
	const char *name;
	char kind;
} auth_options[] = {
	{ "scope", 'l' }, { "state", 't' },	      { "force_prompt", 'b' },
	{ "make", 't' },  { "make_bypass", 't' },     { "flags", 'f' },
	{ "user", 't' },  { "single_select_vin", 't' }, { "single_select", 's' },
	{ "mode", 't' },
};

/* 0 when option @p v (not null) is of its @p kind, else SC_EINVAL. */
static int auth_option(const cJSON *v, char kind, sc_error **err_out)
{
	const cJSON *item;

	switch (kind) {
	case 'b':
		return cJSON_IsBool(v) ? 0
				       : sc__invalid_type(err_out, v->string,
							  "boolean", v);
	case 'f':
		return cJSON_IsString(v) || cJSON_IsObject(v)
			       ? 0
			       : sc__invalid_type(err_out, v->string,
						  "object or string", v);
	case 's':
		return cJSON_IsBool(v) || cJSON_IsObject(v)
			       ? 0
			       : sc__invalid_type(err_out, v->string,
						  "boolean or object", v);
	case 't':
		if (!cJSON_IsString(v))
			return sc__invalid_type(err_out, v->string, "string",
						v);
		return *v->valuestring ? 0 : bad(err_out, v->string,
						 "must not be empty");
	}
	if (!cJSON_IsArray(v) && !(cJSON_IsObject(v) && !v->child))
		return sc__invalid_type(err_out, v->string, "list of strings",
					v);
	cJSON_ArrayForEach(item, v) {
		if (!cJSON_IsString(item))
			return sc__invalid_type(err_out, "scope item", "string",
						item);
		if (!*item->valuestring)
			return bad(err_out, "scope item", "must not be empty");
	}
	return 0;
}

int sc_auth_params_text(sc_params **out, const char *json, size_t len,
			sc_error **err_out)
{
	cJSON *tree, *v, *ss;
	size_t i, n = sizeof(auth_options) / sizeof(auth_options[0]);
	char *text;
	int rc;

	if (!out)
		return sc__invalid(err_out, "out is required");
	*out = NULL;
	rc = parse(&tree, json, len, err_out);
	for (v = rc == 0 ? tree->child : NULL; v && rc == 0; v = v->next) {
		for (i = 0; i < n && strcmp(auth_options[i].name, v->string);
		     i++)
			;
		if (i == n)
			rc = bad(err_out, "unknown option", v->string);
		else if (!cJSON_IsNull(v))
			rc = auth_option(v, auth_options[i].kind, err_out);
	}
	/* single_select = {enabled = boolean, vin = string}: its JSON text,
	 * which sc_auth_url() checks and reads */
	ss = rc == 0 ? cJSON_GetObjectItemCaseSensitive(tree, "single_select")
		     : NULL;
	if (cJSON_IsObject(ss)) {
		text = cJSON_PrintUnformatted(ss);
		if (!text || !cJSON_ReplaceItemInObjectCaseSensitive(
				     tree, "single_select",
				     cJSON_CreateString(text)))
			rc = SC_ENOMEM;
		cJSON_free(text);
		if (rc == SC_ENOMEM && err_out)
			*err_out = sc__error_new(SC_ENOMEM, NULL);
	}
	if (rc == 0)
		rc = normalize(tree, err_out);
	if (rc == 0)
		rc = sc_params_from_json(out, tree, err_out);
	cJSON_Delete(tree);
	return rc;
}

int sc_auth_url_text(char **url_out, char **state_out,
		     const sc_client *client, const char *json, size_t len,
		     sc_error **err_out)
{
	sc_params *params = NULL;
	int rc = sc_auth_params_text(&params, json, len, err_out);

	if (url_out)
		*url_out = NULL;
	if (state_out)
		*state_out = NULL;
	if (rc == 0)
		rc = sc_auth_url(url_out, state_out, client, params, err_out);
	sc_params_free(params);
	return rc;
}

int sc_http1_describe(char **out, const sc_http1 *h)
{
	const sc_request *req = h ? sc_http1_request(h) : NULL;
	const char *target = h ? sc_http1_target(h) : NULL, *q, *name, *value;
	cJSON *j = cJSON_CreateObject(), *headers;
	int ok = j && req && target && out;
	char *path, *pool, port[16];
	size_t i;
	sc_buf b;

	if (out)
		*out = NULL;
	q = target ? strchr(target, '?') : NULL;
	path = ok ? sc__strndup(target, q ? (size_t)(q - target)
					  : strlen(target))
		  : NULL;
	/* the cosocket pool of the origin: scheme://host:port */
	snprintf(port, sizeof(port), "%d", h ? sc_http1_port(h) : 0);
	sc__buf_init(&b, 4096);
	pool = ok && sc__buf_cat(&b, sc_http1_tls(h) ? "https://" : "http://",
				 sc_http1_host(h), ":", port) == 0
		       ? sc__buf_detach(&b)
		       : NULL;
	sc__buf_free(&b);
	ok = ok && path && pool &&
	     cJSON_AddStringToObject(j, "host", sc_http1_host(h)) &&
	     cJSON_AddNumberToObject(j, "port", sc_http1_port(h)) &&
	     cJSON_AddBoolToObject(j, "tls", sc_http1_tls(h)) &&
	     cJSON_AddStringToObject(j, "pool", pool) &&
	     cJSON_AddStringToObject(j, "method", sc_request_method(req)) &&
	     cJSON_AddStringToObject(j, "path", path) &&
	     (!q || !q[1] || cJSON_AddStringToObject(j, "query", q + 1)) &&
	     (!sc_http1_server_name(h) ||
	      cJSON_AddStringToObject(j, "server_name",
				      sc_http1_server_name(h))) &&
	     cJSON_AddNumberToObject(j, "connect_timeout_ms",
				     (double)sc_request_connect_timeout_ms(
					     req)) &&
	     cJSON_AddNumberToObject(j, "timeout_ms",
				     (double)sc_request_timeout_ms(req)) &&
	     (headers = cJSON_AddObjectToObject(j, "headers")) != NULL;
	for (i = 0; ok && sc_request_header_at(req, i, &name, &value) == 0;
	     i++)
		ok = cJSON_AddStringToObject(headers, name, value) != NULL;
	free(path);
	free(pool);
	if (ok)
		*out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return !out || !h ? SC_EINVAL : *out ? 0 : SC_ENOMEM;
}

/* Add the headers @p json (an object) to @p resp: 0 or a failure. */
static int add_headers(sc_response *resp, const char *json, size_t len)
{
	cJSON *tree = json ? sc__json_parse(json, len) : NULL, *v, *one;
	int rc = resp && cJSON_IsObject(tree) ? 0 : SC_EINVAL;

	cJSON_ArrayForEach(v, (rc == 0 ? tree : NULL)) {
		cJSON_ArrayForEach(one, (cJSON_IsArray(v) ? v : NULL)) {
			if (rc == 0 && cJSON_IsString(one))
				rc = sc_response_add_header(resp, v->string,
							    one->valuestring);
		}
		if (rc == 0 && cJSON_IsString(v))
			rc = sc_response_add_header(resp, v->string,
						    v->valuestring);
	}
	cJSON_Delete(tree);
	return rc;
}

int sc_response_new_text(sc_response **out, size_t max_body, int status,
			 const char *headers, size_t len)
{
	int rc = sc_response_new(out, max_body);

	if (rc == 0)
		rc = sc_response_set_status(*out, status);
	if (rc == 0)
		rc = add_headers(*out, headers, len);
	if (rc != 0 && out) {
		sc_response_free(*out);
		*out = NULL;
	}
	return rc;
}

int sc_token_store_save_tokens_text(sc_token_store *store, const char *key,
				    const char *json, size_t len,
				    sc_error **err_out)
{
	if (err_out)
		*err_out = NULL;
	return sc_token_store_save_tokens(
		store, key, json ? sc__json_parse(json, len) : NULL, err_out);
}

int sc_endpoint_args_text(char **out, const char *endpoint, const char *json,
			  size_t len, sc_error **err_out)
{
	const char *spec = endpoint ? sc_endpoint_info(endpoint, "args") : NULL;
	cJSON *args = json ? sc__json_parse(json, len) : NULL;
	cJSON *params = NULL, *item, *v;
	char word[128], msg[160], *text;
	int i = 0, n, used, rc = 0;

	if (err_out)
		*err_out = NULL;
	if (out)
		*out = NULL;
	if (!out || !spec || !(cJSON_IsArray(args) ||
			       (cJSON_IsObject(args) && !args->child))) {
		cJSON_Delete(args);
		return sc__invalid(err_out, !spec ? "unknown endpoint"
						  : "arguments: a JSON list "
						    "expected");
	}
	/* the options (the argument after the positional ones) first */
	for (n = 0; sscanf(spec + i, "%127s%n", word, &used) == 1; n++)
		i += used;
	item = cJSON_GetArrayItem(args, n);
	if (item && !cJSON_IsNull(item) && !cJSON_IsObject(item)) {
		snprintf(msg, sizeof(msg), "%.60s: options table expected",
			 endpoint);
		rc = sc__invalid(err_out, msg);
	}
	params = cJSON_IsObject(item) ? cJSON_Duplicate(item, 1)
				       : cJSON_CreateObject();
	for (i = 0, n = 0; rc == 0 && params &&
			   sscanf(spec + i, "%127s%n", word, &used) == 1;
	     n++) {
		char *kind = strchr(word, ':'), *param = strchr(word, '>');

		i += used;
		item = cJSON_GetArrayItem(args, n);
		if (!kind || !item || cJSON_IsNull(item))
			continue;
		*kind++ = '\0';
		kind[strcspn(kind, "?")] = '\0';
		param = param ? (*param = '\0', param + 1) : word;
		if ((!strcmp(kind, "paging") || !strcmp(kind, "filter")) &&
		    cJSON_IsObject(item)) { /* their fields are parameters */
			cJSON_ArrayForEach(v, item) {
				cJSON_DeleteItemFromObjectCaseSensitive(
					params, v->string);
				cJSON_AddItemToObject(params, v->string,
						      cJSON_Duplicate(v, 1));
			}
			continue;
		}
		/* a json or headers argument's table goes as its JSON text */
		text = (!strcmp(kind, "json") || !strcmp(kind, "headers")) &&
			       (cJSON_IsObject(item) || cJSON_IsArray(item))
			       ? cJSON_PrintUnformatted(item)
			       : NULL;
		v = text ? cJSON_CreateString(text) : cJSON_Duplicate(item, 1);
		free(text);
		cJSON_DeleteItemFromObjectCaseSensitive(params, param);
		cJSON_AddItemToObject(params, param, v);
	}
	*out = rc == 0 && params ? cJSON_PrintUnformatted(params) : NULL;
	cJSON_Delete(params);
	cJSON_Delete(args);
	return rc ? rc : *out ? 0 : SC_ENOMEM;
}
