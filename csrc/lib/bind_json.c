/* Parameters, client options and Connect URL options given as JSON text
 * (smartcar/bind.h): a binding that writes JSON (smartcar.resty, with
 * cjson) hands its table over whole.  The lists and the flags object a
 * table may hold become their parameter text here, then the tree goes
 * to sc_params_from_json() / sc_client_new_json(), which check the rest. */
#include <errno.h>
#include <limits.h>
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

/* A number's text in @p out (32 bytes): an integer in full, else 14
 * significant digits. */
static void number_text(char *out, double d)
{
	snprintf(out, 32, d == floor(d) && fabs(d) < 1e15 ? "%.0f" : "%.14g",
		 d);
}

/* Append the text of a list item: a string, true/false or a number (an
 * integer in full).  0, 1 for another type, or SC_ENOMEM. */
static int item_text(sc_buf *b, const cJSON *v)
{
	char num[32];

	if (!cJSON_IsString(v) && !cJSON_IsBool(v) && !cJSON_IsNumber(v))
		return 1;
	number_text(num, v->valuedouble);
	return sc__buf_puts(b, cJSON_IsString(v) ? v->valuestring
			       : cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "true"
								    : "false")
						 : num)
		       ? SC_ENOMEM
		       : 0;
}

/* The items of array @p v (or {}) space-separated in *@p text (newly
 * allocated): 0, 1 for an item of another type (in *@p bad), or
 * SC_ENOMEM. */
static int join_items(const cJSON *v, char **text, const cJSON **bad)
{
	const cJSON *item;
	sc_buf b;
	int rc = 0;

	sc__buf_init(&b, 1024 * 1024);
	cJSON_ArrayForEach(item, v) {
		if (item != v->child && sc__buf_putc(&b, ' '))
			rc = SC_ENOMEM;
		if (rc == 0)
			rc = item_text(&b, item);
		if (rc != 0)
			break;
	}
	*bad = item;
	*text = rc == 0 ? sc__buf_detach(&b) : NULL;
	sc__buf_free(&b);
	return rc == 0 && !*text ? SC_ENOMEM : rc;
}

/* The text member @p v of a table stands for, newly allocated in *text:
 * a list space-separated, "flags" written by sc_flags_format(), {} as
 * "" (an empty Lua table), NULL for any other value (kept as it is). */
static int member_text(const cJSON *v, char **text, sc_error **err_out)
{
	const cJSON *item;
	sc_params *flags;
	int rc;

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
	rc = join_items(v, text, &item);
	if (rc == 1)
		return sc__invalid_type(err_out, v->string,
					"a list of strings, numbers or booleans",
					item);
	return rc;
}

/* Parse @p json (@p len bytes): 0 and the object in *tree, or EINVAL. */
/* A non-empty array of objects (or nulls) in *@p tree made one object of
 * their members in order, a later one replacing an earlier one of its
 * name (another array is left as it is): 0 or SC_ENOMEM (*tree freed). */
static int merge_objects(cJSON **tree)
{
	cJSON *all, *part, *m;

	if (!(*tree)->child)
		return 0;
	all = cJSON_CreateObject();
	cJSON_ArrayForEach(part, *tree) {
		if (!cJSON_IsObject(part) && !cJSON_IsNull(part)) {
			cJSON_Delete(all);
			return 0;
		}
	}
	while (all && (part = cJSON_DetachItemFromArray(*tree, 0)) != NULL) {
		while (all && (m = part->child) != NULL) {
			cJSON_DetachItemViaPointer(part, m);
			cJSON_DeleteItemFromObjectCaseSensitive(all, m->string);
			if (!cJSON_AddItemToObject(all, m->string, m)) {
				cJSON_Delete(m);
				cJSON_Delete(all);
				all = NULL;
			}
		}
		cJSON_Delete(part);
	}
	cJSON_Delete(*tree);
	*tree = all;
	return all ? 0 : SC_ENOMEM;
}

static int parse(cJSON **tree, const char *json, size_t len,
		 sc_error **err_out)
{
	int rc;

	if (err_out)
		*err_out = NULL;
	*tree = json ? sc__json_parse(json, len) : NULL;
	if (cJSON_IsArray(*tree) && merge_objects(tree) != 0)
		return SC_ENOMEM;
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

/* ---- positional arguments checked by kind (sc_endpoint_args_json) ----
 *
 * The kinds of values a binding's arguments (and the fields of their
 * paging, filter and query tables) take, each with what it expects in
 * the words of Lua and of Python.  A value is a tree the binding made:
 * an integer is raw text (cJSON_IsRaw), so 1 and 1.0 differ. */
static const struct kind {
	char code;
	const char *name, *lua, *py;
} kinds[] = {
	{ 't', "text", "string", "str" }, /* not empty */
	{ 'n', "number", "number", "number" },
	{ 'c', "count", "non-negative integer", "int" },
	{ 'p', "positive", "positive integer", "int" },
	{ 'b', "boolean", "boolean", "bool" },
	{ 'j', "object", "table or JSON text", "dict or JSON text" },
	{ 'J', "json", "table or JSON text", "dict, list or JSON text" },
	{ 's', "string", "string", "str" }, /* may be empty */
	{ 'S', "select", "boolean or table", "bool or dict" },
	{ 'F', "flags", "table or string", "dict or str" },
	{ 'h', "headers", "table", "dict" },
	{ 'l', "list", "table of strings", "list of str" },
	{ 'w', "names", "string or table of strings", "str or list of str" },
	{ 'P', "paths", "table of strings", "list of str" },
	{ 'a', "path", "string", "str" }, /* any: "" is the vehicle itself */
	{ 'T', "table", "table", "dict" }, /* paging, filter or query */
};

static const struct kind *kind_of(char code)
{
	size_t i = 0;

	while (i + 1 < sizeof(kinds) / sizeof(kinds[0]) &&
	       kinds[i].code != code)
		i++;
	return &kinds[i];
}

/* The kind of an argument of the endpoint table's "args" column. */
static char arg_kind(const char *word)
{
	static const char *const names[] = { "string", "date",	 "number",
					     "integer", "json",	 "headers",
					     "list",	"paths", "paging",
					     "filter", "path" };
	static const char codes[] = "ttncjhlPTTa";
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(word, names[i]) == 0)
			return codes[i];
	return 't';
}

static int in_words(const char *word, const char *words)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(words, word); p; p = strstr(p + 1, word))
		if ((p == words || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return 1;
	return 0;
}

/* The kind of the query parameter @p key in a table. */
static char field_kind(const char *key)
{
	return in_words(key, "limit offset")		   ? 'c'
	       : in_words(key, "page page_size")	   ? 'p'
	       : in_words(key, "is_enabled auto_subscribe") ? 'b'
	       : strcmp(key, "scope") == 0		   ? 'l'
	       : strcmp(key, "make") == 0		   ? 'w'
							   : 't';
}

#define PAGING_KEYS "limit offset cursor page page_size"


/* An EINVAL about argument @p argn: "<name>: <what>", with the type
 * the kind expects in "expected" when @p k is given. */
static int arg_error(sc_error **err_out, int argn, const char *name,
		     const char *what, const struct kind *k, int py)
{
	char msg[240];

	/* "name must ..." and "name is ...", else "name: what" */
	snprintf(msg, sizeof(msg), "%.60s%s%.160s", name,
		 strncmp(what, "must ", 5) && strncmp(what, "is ", 3) ? ": "
								    : " ",
		 what);
	if (!err_out)
		return SC_EINVAL;
	*err_out = sc__error_new(SC_EINVAL, msg);
	if (*err_out &&
	    (sc__error_set_number(*err_out, "argument", argn) != 0 ||
	     (k && sc__error_set(*err_out, "expected", py ? k->py : k->lua))))
		return SC_ENOMEM;
	return SC_EINVAL;
}

/* The wrong type of @p v for kind @p k. */
static int wrong_type(sc_error **err_out, int argn, const char *name,
		      const struct kind *k, const cJSON *v, int py)
{
	static const char *const words[2][7] = {
		{ "nil", "boolean", "number", "number", "string", "table",
		  "table" },
		{ "None", "bool", "int", "float", "str", "list", "dict" },
	};
	char what[160];
	int t = !v || cJSON_IsNull(v) ? 0
		: cJSON_IsBool(v)     ? 1
		: cJSON_IsRaw(v)      ? 2
		: cJSON_IsNumber(v)   ? 3
		: cJSON_IsString(v)   ? 4
		: cJSON_IsArray(v)    ? 5
				      : 6;

	snprintf(what, sizeof(what), "%s expected, got %s",
		 py ? k->py : k->lua, words[py][t]);
	return arg_error(err_out, argn, name, what, k, py);
}

/* A list's text: its strings space-separated ('l': none empty or with
 * a space) or its JSON text ('P'); NULL for a wrong item (its index in
 * *bad) or without memory (*bad = -1). */
static char *list_text(const cJSON *v, char code, int *bad)
{
	const cJSON *item;
	char *text;
	int i = 0;

	*bad = -1;
	cJSON_ArrayForEach(item, v) {
		if (!cJSON_IsString(item) ||
		    (code == 'l' && (!*item->valuestring ||
				     strpbrk(item->valuestring, " \t\r\n")))) {
			*bad = i;
			return NULL;
		}
		i++;
	}
	if (code == 'P')
		return cJSON_IsArray(v) ? cJSON_PrintUnformatted(v)
					: sc__strdup("[]");
	return join_items(v, &text, &item) == 0 ? text : NULL;
}

/* An integer's text in @p out (32 bytes), checked against @p min: 0,
 * or SC_EINVAL. */
static int integer_text(char *out, const cJSON *v, long long min,
			int argn, const char *name, sc_error **err_out)
{
	char *end, what[64];
	long long n;

	errno = 0;
	n = strtoll(v->valuestring, &end, 10);
	if (errno == ERANGE || *end || end == v->valuestring)
		return arg_error(err_out, argn, name, "is out of range", NULL,
				 0);
	if (n < min) {
		snprintf(what, sizeof(what), "must be at least %lld", min);
		return arg_error(err_out, argn, name, what, NULL, 0);
	}
	snprintf(out, 32, "%lld", n);
	return 0;
}

/* The text of feature flags @p v (an object of strings, numbers and
 * booleans; [] is none) for @p name: 0, SC_EINVAL (said in *err_out,
 * as argument @p argn) or SC_ENOMEM. */
static int flags_text(char **text, const cJSON *v, int argn,
		      const char *name, int py, sc_error **err_out)
{
	sc_params *flags = NULL;
	sc_error *err = NULL;
	char what[160];
	int rc = cJSON_IsArray(v) && v->child
			 ? SC_EINVAL
			 : sc_params_from_json(&flags, cJSON_IsObject(v) ? v
									: NULL,
					       &err);

	if (rc == SC_EINVAL) {
		sc_error_free(err);
		return arg_error(err_out, argn, name,
				 "string keys and string, number or boolean "
				 "values expected",
				 NULL, py);
	}
	if (rc == 0)
		rc = sc_flags_format(text, flags, &err);
	sc_params_free(flags);
	snprintf(what, sizeof(what), "%s", err ? sc_error_message(err) : "");
	sc_error_free(err);
	return rc == SC_EINVAL ? arg_error(err_out, argn, name, what, NULL, py)
			       : rc;
}

/* Check @p v, argument @p argn (or a field of it) named @p name, as
 * kind @p code: 0 and the text to send in *text (newly allocated), or
 * a failure said in *err_out. */
static int value_text(char **text, char code, const cJSON *v, int argn,
		      const char *name, int py, sc_error **err_out)
{
	const struct kind *k = kind_of(code);
	char num[32], what[80];
	double d = v->valuedouble;
	int bad, rc;

	*text = NULL;
	if (code == 'w')
		code = cJSON_IsString(v) ? 't' : 'l';
	switch (code) {
	case 't':
	case 'a':
		if (!cJSON_IsString(v))
			return wrong_type(err_out, argn, name, k, v, py);
		if (code == 't' && !*v->valuestring)
			return arg_error(err_out, argn, name,
					 "must not be empty", NULL, py);
		*text = sc__strdup(v->valuestring);
		break;
	case 'n':
		if (cJSON_IsRaw(v) &&
		    (rc = integer_text(num, v, LLONG_MIN, argn, name, err_out)))
			return rc;
		if (cJSON_IsNumber(v) && !isfinite(d))
			return arg_error(err_out, argn, name,
					 "must be a finite number", NULL, py);
		if (cJSON_IsNumber(v))
			number_text(num, d);
		else if (!cJSON_IsRaw(v))
			return wrong_type(err_out, argn, name, k, v, py);
		*text = sc__strdup(num);
		break;
	case 'c':
	case 'p':
		if (!cJSON_IsRaw(v))
			return wrong_type(err_out, argn, name, k, v, py);
		if ((rc = integer_text(num, v, code == 'p', argn, name,
				       err_out)))
			return rc;
		*text = sc__strdup(num);
		break;
	case 's':
		if (!cJSON_IsString(v))
			return wrong_type(err_out, argn, name, k, v, py);
		*text = sc__strdup(v->valuestring);
		break;
	case 'S': /* single_select: a boolean, or an object (sc_auth_url) */
		if (cJSON_IsObject(v))
			*text = cJSON_PrintUnformatted(v);
		else if (cJSON_IsBool(v))
			*text = sc__strdup(cJSON_IsTrue(v) ? "true" : "false");
		else
			return wrong_type(err_out, argn, name, k, v, py);
		break;
	case 'F': /* feature flags: text as it is, an object formatted */
		if (cJSON_IsString(v))
			*text = sc__strdup(v->valuestring);
		else if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
			return wrong_type(err_out, argn, name, k, v, py);
		else if ((rc = flags_text(text, v, argn, name, py,
					  err_out)) != 0)
			return rc;
		break;
	case 'b':
		if (!cJSON_IsBool(v))
			return wrong_type(err_out, argn, name, k, v, py);
		*text = sc__strdup(cJSON_IsTrue(v) ? "true" : "false");
		break;
	case 'j':
	case 'J':
	case 'h':
		if (code != 'h' && cJSON_IsString(v))
			*text = sc__strdup(v->valuestring);
		else if (cJSON_IsObject(v) || (code != 'j' && cJSON_IsArray(v)))
			*text = cJSON_PrintUnformatted(v);
		else
			return wrong_type(err_out, argn, name, k, v, py);
		break;
	default: /* a list: an array, or {} (an empty Lua table) */
		if (!cJSON_IsArray(v) && !(cJSON_IsObject(v) && !v->child))
			return wrong_type(err_out, argn, name, k, v, py);
		*text = list_text(v, code, &bad);
		if (!*text && bad >= 0) { /* name[i], i as each counts */
			snprintf(what, sizeof(what), "%.60s[%d]", name,
				 bad + !py);
			return arg_error(err_out, argn, what,
					 code == 'P' ? (py ? "str expected"
							   : "string expected")
						     : "non-empty string "
						       "without spaces expected",
					 code == 'P' ? k : NULL, py);
		}
	}
	return *text ? 0 : SC_ENOMEM;
}

/* Add @p key: @p text (taken) to @p out, an integer of @p v (exact in
 * a double) as a number: 0 or SC_ENOMEM. */
static int put_text(cJSON *out, const char *key, char *text,
		    const cJSON *v)
{
	long long n = cJSON_IsRaw(v) ? strtoll(text, NULL, 10) : 0;
	cJSON *s = cJSON_IsRaw(v) && n > -(1LL << 53) && n < (1LL << 53)
			   ? cJSON_CreateNumber((double)n)
			   : cJSON_CreateString(text);

	free(text);
	cJSON_DeleteItemFromObjectCaseSensitive(out, key);
	return s && cJSON_AddItemToObject(out, key, s) ? 0 : SC_ENOMEM;
}

/* The fields of table @p v (argument @p argn, named @p name), which
 * may hold the keys @p keys, into @p out. */
static int table_params(cJSON *out, const cJSON *v, const char *keys,
			int argn, const char *name, int py,
			sc_error **err_out)
{
	const cJSON *f;
	char what[240], *text;
	int rc;

	if (!cJSON_IsObject(v) && !(cJSON_IsArray(v) && !v->child))
		return wrong_type(err_out, argn, name, kind_of('T'), v, py);
	cJSON_ArrayForEach(f, (cJSON_IsObject(v) ? v : NULL)) {
		if (!in_words(f->string, keys)) {
			snprintf(what, sizeof(what),
				 "unknown option '%.60s' (expected %.140s)",
				 f->string, keys);
			return arg_error(err_out, argn, name, what, NULL, py);
		}
		if (cJSON_IsNull(f) || !out) /* (NULL: the keys alone) */
			continue;
		rc = value_text(&text, field_kind(f->string), f, argn,
				f->string, py, err_out);
		if (rc == 0)
			rc = put_text(out, f->string, text, f);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A call's arguments as a binding offers them, from its "args" column:
 * each word "name[>param]:kind[?]" is one, but on the v3 hosts the
 * paging and filter arguments are one table of the call's query
 * parameters (the last argument), and a walk (it pages) has no paging
 * argument. */
struct arg {
	char name[64], param[64];
	char code; /* a kind, or a table: g paging, f filter, q query */
	int optional;
};

struct args {
	const char *query; /* the call's query column */
	int py, walk, paging, filter, queried, table;
	struct arg arg[12];
	size_t n;
};

static int args_of(struct args *a, const char *name, const char *how)
{
	const endpoint *ep = sc__find_endpoint(name);
	const char *spec = ep ? sc_endpoint_info(name, "args") : NULL;
	int i = 0, used;
	char word[128], *kind, *gt;
	struct arg *x;

	memset(a, 0, sizeof(*a));
	if (!spec)
		return -1;
	a->query = ep->query;
	a->py = how && in_words("python", how);
	a->walk = how && in_words("walk", how);
	a->table = how && in_words("table", how);
	while (a->n < 11 && sscanf(spec + i, "%127s%n", word, &used) == 1) {
		i += used;
		x = &a->arg[a->n];
		kind = strchr(word, ':');
		if (kind)
			*kind++ = '\0';
		x->optional = kind && kind[strcspn(kind, "?")] == '?';
		if (kind)
			kind[strcspn(kind, "?")] = '\0';
		gt = strchr(word, '>');
		if (gt)
			*gt++ = '\0';
		snprintf(x->name, sizeof(x->name), "%.63s", word);
		snprintf(x->param, sizeof(x->param), "%.63s", gt ? gt : word);
		x->code = kind ? arg_kind(kind) : 't';
		if (x->code == 'c' && field_kind(x->param) == 'p')
			x->code = 'p'; /* page, page_size */
		if (x->code == 'T' &&
		    (ep->host == SC_HOST_V3 || ep->host == SC_HOST_V3M)) {
			a->queried = 1;
			continue;
		}
		if (x->code == 'T' && strcmp(kind, "paging") == 0)
			x->code = 'g', a->paging = 1;
		else if (x->code == 'T')
			x->code = 'f', a->filter = 1;
		if (!(x->code == 'g' && a->walk))
			a->n++;
	}
	if (a->queried) {
		x = &a->arg[a->n++];
		strcpy(x->name, "query");
		x->code = 'q';
		x->optional = 1;
	}
	return 0;
}

/* The query parameters a paging ('g'), filter ('f') or query ('q')
 * table of the call takes, or ('o') those its options carry: the ones
 * no argument fills, and mode, space-separated in @p out (of @p size
 * bytes). */
static void table_keys(const struct args *a, char table, char *out,
		       size_t size)
{
	char key[64];
	int i = 0, used, paging, mine;
	size_t len = 0, j;

	*out = '\0';
	while (sscanf(a->query + i, "%63s%n", key, &used) == 1) {
		i += used;
		key[strcspn(key, ">!")] = '\0';
		paging = in_words(key, PAGING_KEYS);
		mine = table == 'q' ? !(a->walk && paging)
		       : table == 'g' ? paging
		       : table == 'f' ? !paging
				      : !a->queried && !(a->paging && paging) &&
					  !(a->filter && !paging &&
					    strcmp(key, "mode") != 0);
		for (j = 0; table == 'o' && j < a->n; j++)
			mine = mine && strcmp(key, a->arg[j].param) != 0;
		if (strcmp(key, "flags") != 0 && mine)
			len += (size_t)snprintf(out + len,
						len < size ? size - len : 0,
						"%s%s", len ? " " : "", key);
	}
}

cJSON *sc_endpoint_args_json(const char *endpoint, const cJSON *args,
			     const char *how, sc_error **err_out)
{
	struct args a;
	const cJSON *v, *named = NULL;
	cJSON *out = NULL;
	char keys[512], *text;
	size_t i, len = 0;
	int rc = 0;

	if (err_out)
		*err_out = NULL;
	if (args_of(&a, endpoint, how) != 0)
		rc = sc__invalid(err_out, "unknown endpoint");
	else if (!cJSON_IsArray(args) && !(cJSON_IsObject(args) && !args->child))
		rc = sc__invalid(err_out, "arguments: a list expected");
	else if (!(out = cJSON_CreateObject()))
		rc = SC_ENOMEM;
	/* "table": the arguments are the fields of one table, by name */
	named = a.table ? cJSON_GetArrayItem(args, 0) : NULL;
	for (i = 0; rc == 0 && named && i < a.n; i++)
		len += (size_t)snprintf(keys + len,
					len < sizeof(keys) ? sizeof(keys) - len
							   : 0,
					"%s%s", i ? " " : "", a.arg[i].name);
	if (rc == 0 && named && !cJSON_IsNull(named))
		rc = table_params(NULL, named, keys, 1, "arguments", a.py,
				  err_out);
	for (i = 0; rc == 0 && i < a.n; i++) {
		const struct arg *x = &a.arg[i];
		int argn = a.table ? 1 : (int)i + 1;

		v = !a.table ? cJSON_GetArrayItem(args, (int)i)
		    : cJSON_IsObject(named)
			    ? cJSON_GetObjectItemCaseSensitive(named, x->name)
			    : NULL;
		if ((!v || cJSON_IsNull(v)) && x->optional)
			continue;
		if (!v || cJSON_IsNull(v))
			rc = wrong_type(err_out, argn, x->name,
					kind_of(strchr("gfq", x->code)
							? 'T'
							: x->code),
					v, a.py);
		else if (strchr("gfq", x->code)) {
			table_keys(&a, x->code, keys, sizeof(keys));
			rc = table_params(out, v, keys, argn, x->name, a.py,
					  err_out);
		} else if ((rc = value_text(&text, x->code, v, argn, x->name,
					    a.py, err_out)) == 0)
			rc = put_text(out, x->param, text, v);
	}
	if (rc == 0)
		return out;
	cJSON_Delete(out);
	if (rc == SC_ENOMEM && err_out && !*err_out)
		*err_out = sc__error_new(SC_ENOMEM, NULL);
	return NULL;
}

cJSON *sc_endpoint_args_spec(const char *endpoint, const char *how)
{
	struct args a;
	cJSON *out, *options;
	char keys[512], key[64];
	int i = 0, used, ok;

	if (args_of(&a, endpoint, how) != 0)
		return NULL;
	out = cJSON_CreateObject();
	options = cJSON_AddObjectToObject(out, "options");
	ok = options && cJSON_AddNumberToObject(out, "arguments", (double)a.n);
	table_keys(&a, 'o', keys, sizeof(keys));
	while (ok && sscanf(keys + i, "%63s%n", key, &used) == 1) {
		i += used;
		ok = cJSON_AddStringToObject(options, key,
					     kind_of(field_kind(key))->name) !=
		     NULL;
	}
	if (!ok)
		cJSON_Delete(out);
	return ok ? out : NULL;
}

/* The code of the kind named @p name, 0 for none. */
static char kind_named(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return kinds[i].code;
	return 0;
}

cJSON *sc_fields_json(const cJSON *kinds_of, const cJSON *values,
		      const char *how, sc_error **err_out)
{
	int py = how && in_words("python", how), rc = 0;
	cJSON *out = cJSON_CreateObject();
	const cJSON *v, *k;
	char *text;

	if (err_out)
		*err_out = NULL;
	if (!cJSON_IsObject(kinds_of) ||
	    !(cJSON_IsObject(values) || (cJSON_IsArray(values) && !values->child)))
		rc = sc__invalid(err_out, "kinds and values: objects expected");
	cJSON_ArrayForEach(v, (rc == 0 && out ? values : NULL)) {
		k = cJSON_GetObjectItemCaseSensitive(kinds_of, v->string);
		if (!kind_named(cJSON_GetStringValue(k)))
			rc = arg_error(err_out, 0, v->string, "no such option",
				       NULL, py);
		else
			rc = value_text(&text, kind_named(k->valuestring), v, 0,
					v->string, py, err_out);
		if (rc == 0)
			rc = put_text(out, v->string, text, v);
		if (rc != 0)
			break;
	}
	if (rc == 0 && out)
		return out;
	cJSON_Delete(out);
	if ((rc == SC_ENOMEM || !out) && err_out && !*err_out)
		*err_out = sc__error_new(SC_ENOMEM, NULL);
	return NULL;
}
