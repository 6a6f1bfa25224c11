#define _GNU_SOURCE
/* Result shaping: a 2xx answer turned into the data every binding sees
 * (snake_case keys, "meta" from the sc-* headers, batch responses one
 * entry per path with its own data or typed error, token sets). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "op.h"

/* A result's meta: the SC-* headers get finds in src (a response, or a
 * batch answer's headers object); rid, when not NULL, is the request id
 * (a batch answer has its batch's).  NULL when out of memory. */
static const char *const map[][2] = {
	{ "SC-Data-Age", "data_age" },
	{ "SC-Unit-System", "unit_system" },
	{ "SC-Request-Id", "request_id" },
	{ "SC-Fetched-At", "fetched_at" },
};

static cJSON *meta_of(const char *(*get)(const void *src, const char *name),
		      const void *src, const char *rid)
{
	cJSON *meta = cJSON_CreateObject();
	size_t i;

	for (i = 0; meta && i < 4; i++) {
		const char *v = rid && !strcmp(map[i][1], "request_id")
			? rid : get(src, map[i][0]);
		cJSON *item;
		if (!v)
			continue;
		/* the key is the table's constant (no copy of it per call) */
		item = cJSON_CreateString(v);
		if (!item || !cJSON_AddItemToObjectCS(meta, map[i][1], item)) {
			cJSON_Delete(item);
			cJSON_Delete(meta);
			return NULL;
		}
	}
	return meta;
}

/* found[i]: the value of header map[i][0] (name is one of those). */
static const char *found_header(const void *found, const char *name)
{
	size_t i;
	for (i = 0; i < 4 && name != map[i][0]; i++)
		;
	return i < 4 ? ((const char *const *)found)[i] : NULL;
}

static cJSON *meta_from(const sc_response *resp)
{
	const char *found[4] = { NULL, NULL, NULL, NULL };
	size_t i, h;

	/* one pass over the headers: only "sc-..." names are compared, and
	 * the first of a name wins (as sc_response_header finds it) */
	for (h = 0; h < resp->nheaders; h++) {
		const char *name = resp->headers[h].name;
		if ((name[0] | 0x20) != 's' || (name[1] | 0x20) != 'c' ||
		    name[2] != '-')
			continue;
		/* the names differ at their fourth letter: one compare */
		for (i = 0; i < 4 && (map[i][0][3] | 0x20) != (name[3] | 0x20);
		     i++)
			;
		if (i < 4 && !found[i] && sc__strcaseeq(name, map[i][0]))
			found[i] = resp->headers[h].value;
	}
	return meta_of(found_header, found, NULL);
}

/* Every response header for a raw result, {name as first sent: value};
 * repeats of a name (any case) join with ", ", as HTTP reads them. */
static int add_headers(cJSON *data, const sc_response *resp)
{
	cJSON *h = cJSON_AddObjectToObject(data, "headers");
	size_t i;

	for (i = 0; h && i < resp->nheaders; i++) {
		const sc_header *x = &resp->headers[i];
		cJSON *seen = cJSON_GetObjectItem(h, x->name); /* any case */
		if (seen) {
			size_t n = strlen(seen->valuestring) +
				   strlen(x->value) + 3;
			char *v = malloc(n);
			if (!v)
				return -1;
			snprintf(v, n, "%s, %s", seen->valuestring, x->value);
			seen = cJSON_SetValuestring(seen, v) ? seen : NULL;
			free(v);
			if (!seen)
				return -1;
		} else if (!cJSON_AddStringToObject(h, x->name, x->value)) {
			return -1;
		}
	}
	return h ? 0 : -1;
}

/* A single resource sent at the top level ({"id", "type", ...}, as the
 * official SDKs' v3 code reads it) in the {"data": resource} the docs
 * show, so the bindings read one shape. */
static cJSON *v3_wrapped(const sc_op *op, cJSON *json)
{
	cJSON *doc;

	if ((op->ep->host != SC_HOST_V3 && op->ep->host != SC_HOST_V3M) ||
	    !cJSON_IsObject(json) ||
	    cJSON_GetObjectItemCaseSensitive(json, "data") ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "type")))
		return json;
	doc = cJSON_CreateObject();
	if (!doc) {
		cJSON_Delete(json);
		return NULL;
	}
	cJSON_AddItemToObject(doc, "data", json);
	return doc;
}

sc_error *sc__shape_malformed(const sc_response *resp, const char *what)
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
	return e;
}

/* data + "meta" for a body (object, array or empty). */
static cJSON *join_meta(cJSON *data, cJSON *meta);

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
	return join_meta(data, meta);
}

/* data with the header fields in meta (both owned; NULL when either is) */
static cJSON *join_meta(cJSON *data, cJSON *meta)
{
	if (!data || !meta) {
		cJSON_Delete(data);
		cJSON_Delete(meta);
		return NULL;
	}
	{
		/* a body with its own meta (v3 paging) keeps it; the header
		 * fields join it where the body has none of the same name */
		cJSON *own = cJSON_GetObjectItemCaseSensitive(data, "meta");
		if (!own) {
			cJSON_AddItemToObjectCS(data, "meta", meta);
			return data;
		}
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
	cJSON_AddItemToObjectCS(data, "meta", meta);
	return data;
}

/* v3 signals (a list, one wrapped in "data", or one bare): each one's
 * times in epoch milliseconds, and the flat "rows" beside them. */
static int signals_data(cJSON *data)
{
	cJSON *inner = cJSON_GetObjectItemCaseSensitive(data, "data"), *s;
	cJSON *rows;
	int rc = 0;

	if (cJSON_IsArray(inner)) {
		cJSON_ArrayForEach (s, inner)
			rc |= sc__signal_times(
				cJSON_GetObjectItemCaseSensitive(s, "meta"));
	} else {
		rc |= sc__signal_times(cJSON_GetObjectItemCaseSensitive(
			cJSON_IsObject(inner) ? inner : data, "meta"));
	}
	rows = sc__signal_rows(data);
	if (rows)
		cJSON_AddItemToObject(data, "rows", rows);
	return rc;
}

/* A page of a paged call: its items an empty list when it has none and,
 * for a cursor-paged call, a paging object whose cursor is left out on
 * the last page (the server's null or "": passing "" on would ask for
 * the first page again). */
static int page_shape(cJSON *data, const char *endpoint)
{
	const char *items = sc__paging_items(endpoint);
	cJSON *paging, *cursor;

	if (!items)
		return 0;
	if (!cJSON_GetObjectItemCaseSensitive(data, items) &&
	    !cJSON_AddArrayToObject(data, items))
		return -1;
	if (strcmp(sc__paging_style(endpoint), "cursor"))
		return 0;
	paging = cJSON_GetObjectItemCaseSensitive(data, "paging");
	if (!cJSON_IsObject(paging)) {
		cJSON_DeleteItemFromObjectCaseSensitive(data, "paging");
		paging = cJSON_AddObjectToObject(data, "paging");
		if (!paging)
			return -1;
	}
	cursor = cJSON_GetObjectItemCaseSensitive(paging, "cursor");
	if (cursor && !(cJSON_IsString(cursor) && *cursor->valuestring))
		cJSON_DeleteItemFromObjectCaseSensitive(paging, "cursor");
	return 0;
}

/* The official SDKs' batch attribute for the paths where it is not the
 * endpoint's name (the one declared list of such names). */
static const char *const official_batch_names[][2] = {
	{ "/battery/nominal_capacity", "battery_nominal_capacity" },
};

/* Name of a batch path in the endpoint table ("/odometer" or "odometer"
 * -> odometer, "/" -> attributes), else the path made a plain identifier: any other
 * character becomes '_', a leading digit or a name results use for
 * themselves ("meta", "errors") gets "path_" in front. */
static char *batch_name(const char *path)
{
	size_t i, n;
	char *name, *w;

	while (*path == '/')
		path++;
	for (i = 0; i < sc__n_endpoints; i++)
		if (*sc__endpoints[i].batch_path &&
		    !strcmp(sc__endpoints[i].batch_path + 1, path))
			return sc__strdup(sc__endpoints[i].name);
	n = strlen(path);
	/* "path_" in front, then the name or "path" when it has none */
	name = malloc(n + 10);
	if (!name)
		return NULL;
	w = name + 5;
	for (i = 0; i < n; i++)
		*w++ = isalnum((unsigned char)path[i]) ? path[i] : '_';
	*w = '\0';
	w = name + 5;
	while (*w == '_')
		w++;
	if (!*w)
		w = strcpy(name + 5, "path");
	if (isdigit((unsigned char)*w) || !strcmp(w, "meta") ||
	    !strcmp(w, "errors")) {
		memcpy(w - 5, "path_", 5);
		w -= 5;
	}
	memmove(name, w, strlen(w) + 1);
	return name;
}

/* The official SDKs' name for the answer to path (see batch_name). */
static char *batch_alias(const char *path, const char *name)
{
	size_t i;
	while (*path == '/')
		path++;
	for (i = 0; i < sizeof(official_batch_names) /
			    sizeof(official_batch_names[0]); i++)
		if (!strcmp(official_batch_names[i][0] + 1, path))
			return sc__strdup(official_batch_names[i][1]);
	return sc__strdup(name);
}

int sc_batch_name(char **name_out, char **alias_out, const char *path,
		  sc_error **err_out)
{
	char *name, *alias;

	if (name_out)
		*name_out = NULL;
	if (alias_out)
		*alias_out = NULL;
	if (!path)
		return sc__invalid(err_out, "path is required");
	name = batch_name(path);
	alias = name ? batch_alias(path, name) : NULL;
	if (!alias) {
		free(name);
		if (err_out && !*err_out)
			*err_out = sc__error_new(SC_ENOMEM, NULL);
		return SC_ENOMEM;
	}
	if (name_out)
		*name_out = name;
	else
		free(name);
	if (alias_out)
		*alias_out = alias;
	else
		free(alias);
	return 0;
}

static const char *sub_header(const void *headers, const char *name)
{
	const cJSON *h;
	cJSON_ArrayForEach(h, (const cJSON *)headers)
		if (h->string && sc__strcaseeq(h->string, name) &&
		    cJSON_IsString(h))
			return h->valuestring;
	return NULL;
}

static cJSON *batch_item(const sc_op *op, const cJSON *item, const char *rid)
{
	const cJSON *path = cJSON_GetObjectItem(item, "path");
	const cJSON *code = cJSON_GetObjectItem(item, "code");
	const cJSON *body = cJSON_GetObjectItem(item, "body");
	const cJSON *hdrs = cJSON_GetObjectItem(item, "headers");
	cJSON *out = cJSON_CreateObject();
	char *name, *alias;
	int status;

	if (!out)
		return NULL;
	status = sc__json_int(code, 0);
	sc_batch_name(&name, &alias,
		      cJSON_IsString(path) ? path->valuestring : "", NULL);
	cJSON_AddStringToObject(out, "path",
				cJSON_IsString(path) ? path->valuestring : "");
	cJSON_AddStringToObject(out, "name", name ? name : "");
	if (alias && name && strcmp(alias, name) != 0)
		cJSON_AddStringToObject(out, "alias", alias);
	cJSON_AddNumberToObject(out, "code", status);
	free(name);
	free(alias);
	if ((status == 200 || status == 204) &&
	    (!body || cJSON_IsObject(body) || cJSON_IsArray(body) ||
	     cJSON_IsNull(body))) {
		cJSON *meta = meta_of(sub_header, hdrs, rid);
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
	/* each path has its data or its error (neither: out of memory) */
	if (!cJSON_GetObjectItem(out, "data") &&
	    !cJSON_GetObjectItem(out, "error")) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

static cJSON *batch_data(const sc_op *op, const cJSON *json, cJSON *meta)
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

/* A v3 answer's final word (spec 4.4.2): an errors[] document is an
 * error even in a 2xx (a 202 whose command then failed: the status comes
 * from errors[].status); a command execution whose status.value is not
 * SUCCESS is an error of status.error's type and code.  NULL: success. */
static sc_error *v3_outcome(const sc_op *op, const sc_response *resp,
			    const cJSON *json)
{
	const cJSON *errs = cJSON_GetObjectItem(json, "errors");
	const cJSON *data = cJSON_GetObjectItem(json, "data");
	const cJSON *attrs = cJSON_GetObjectItem(data, "attributes");
	const cJSON *st = cJSON_GetObjectItem(attrs, "status");
	const char *value = cJSON_GetStringValue(
		cJSON_GetObjectItem(st, "value"));
	const cJSON *why = cJSON_GetObjectItem(st, "error");
	const char *rid = sc_response_header(resp, "SC-Request-Id");
	const char *type, *code, *what;
	int status = sc_response_status(resp);
	char msg[256];
	cJSON *doc, *err;
	sc_error *e;

	if (cJSON_IsArray(errs) && cJSON_IsObject(cJSON_GetArrayItem(errs, 0)))
		return sc__error_from_json(status, rid,
			sc_response_header(resp, "Retry-After"), json);
	if (!(op->ep->flags & SC_EP_LONG))
		return NULL;
	if (!value)
		return status == 202 ? sc__shape_malformed(resp,
			"the 202 answer ended without the command's status")
				     : NULL;
	if (!strcmp(value, "SUCCESS"))
		return NULL;
	/* reshaped as one errors[] entry: the same typed error as any v3
	 * error; without status.error the type is the status value */
	type = cJSON_GetStringValue(cJSON_GetObjectItem(why, "type"));
	code = cJSON_GetStringValue(cJSON_GetObjectItem(why, "code"));
	what = cJSON_GetStringValue(cJSON_GetObjectItem(attrs, "commandType"));
	snprintf(msg, sizeof(msg), "%s%s%s (%s%s%s)",
		 what ? "the command " : "the command",
		 what ? what : "", " did not succeed", value,
		 type ? ": " : "", type ? type : "");
	doc = cJSON_CreateObject();
	err = cJSON_CreateObject();
	if (!doc || !err ||
	    !cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "errors"), err)) {
		cJSON_Delete(doc);
		cJSON_Delete(err);
		return sc__error_new(SC_ENOMEM, NULL);
	}
	cJSON_AddStringToObject(err, "type", type ? type : value);
	if (code)
		cJSON_AddStringToObject(err, "code", code);
	cJSON_AddStringToObject(err, "detail",
		cJSON_GetStringValue(cJSON_GetObjectItem(why, "description"))
			? cJSON_GetStringValue(
				  cJSON_GetObjectItem(why, "description"))
			: msg);
	e = sc__error_from_json(status, rid, NULL, doc);
	cJSON_Delete(doc);
	if (e) {
		sc__error_set(e, "command_status", value);
		sc__error_set(e, "execution_id", cJSON_GetStringValue(
			cJSON_GetObjectItem(data, "id")));
		sc__error_set(e, "command_type", what);
	}
	return e;
}

sc_error *sc__shape_success(const sc_op *op, const sc_response *resp,
			    cJSON **data_out)
{
	size_t len;
	const char *body = sc_response_body(resp, &len);
	cJSON *json = NULL, *data;

	*data_out = NULL;
	if (len > 0) {
		json = sc__json_parse(body, len);
		if (!json)
			return sc__shape_malformed(resp,
				"the response body is not JSON");
	}
	if (!op->raw && (op->ep->host == SC_HOST_V3 ||
				 op->ep->host == SC_HOST_V3M)) {
		sc_error *e = v3_outcome(op, resp, json);
		if (e) {
			cJSON_Delete(json);
			return e;
		}
	}
	if (op->ep->flags & (SC_EP_TOKEN | SC_EP_APP_TOKEN)) {
		data = json ? sc__token_data(json,
			(op->ep->flags & SC_EP_TOKEN) != 0) : NULL;
		cJSON_Delete(json);
		if (!data)
			return sc__shape_malformed(resp,
				"the token response lacks access_token, "
				"refresh_token or expires_in");
		*data_out = data;
		return NULL;
	}
	if (!strcmp(op->ep->body, "batch") && !op->raw) {
		data = json ? batch_data(op, json, meta_from(resp)) : NULL;
		cJSON_Delete(json);
		if (!data)
			return sc__shape_malformed(resp,
				"the batch response lacks \"responses\"");
		*data_out = data;
		return NULL;
	}
	if (json && !op->raw && !cJSON_IsObject(json) &&
	    !cJSON_IsArray(json)) {
		cJSON_Delete(json);
		return sc__shape_malformed(resp,
			"the response body is not a JSON object");
	}
	if (json && !op->raw && !(json = v3_wrapped(op, json)))
		return sc__error_new(SC_ENOMEM, NULL);
	if (json && !op->raw && cJSON_IsObject(json)) {
		/* the parsed body becomes the data: keys renamed in place,
		 * not copied (issue 9: a copy of the tree per call) */
		if (sc__json_snake_in_place(json) < 0) {
			cJSON_Delete(json);
			return sc__error_new(SC_ENOMEM, NULL);
		}
		data = join_meta(json, meta_from(resp));
	} else {
		data = data_with_meta(json, meta_from(resp), op->raw);
		cJSON_Delete(json);
	}
	if (data && op->raw && add_headers(data, resp) < 0) {
		cJSON_Delete(data);
		data = NULL;
	}
	if (data && !op->raw &&
	    (page_shape(data, op->ep->name) < 0 || ((op->ep->flags & SC_EP_SIGNALS) &&
				       signals_data(data) < 0))) {
		cJSON_Delete(data);
		data = NULL;
	}
	if (!data)
		return sc__error_new(SC_ENOMEM, NULL);
	*data_out = data;
	return NULL;
}
