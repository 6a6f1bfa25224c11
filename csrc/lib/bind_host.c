/* What a binding hands its host language whole (smartcar/bind.h): the
 * library's objects as JSON trees for the binding's one tree converter,
 * and the token-set checks both bindings used to write out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* NULL when field @p name of the token set @p t is what it must be,
 * else what is wrong with it (a format for its name). */
static const char *token_fault(const cJSON *t, const char *name, int text)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, name);

	if (text && !v)
		return "the token set has no %s";
	if (text && !cJSON_IsString(v))
		return "%s must be a string";
	if (text && !*v->valuestring)
		return "%s must not be empty";
	if (!text && v && !cJSON_IsNull(v) && !cJSON_IsNumber(v) &&
	    !cJSON_IsRaw(v)) /* Lua writes its integers as raw text */
		return "%s must be a number (Unix seconds)";
	return NULL;
}

int sc_token_store_save_tokens(sc_token_store *store, const char *key,
			       cJSON *tokens, sc_error **err_out)
{
	static const char *const fields[] = { "access_token", "refresh_token",
					      "expiration",
					      "refresh_expiration" };
	const char *fault = NULL;
	char msg[96], *text = NULL;
	size_t i;
	int rc = SC_EINVAL;

	if (!cJSON_IsObject(tokens))
		snprintf(msg, sizeof(msg), "the token set must be an object");
	for (i = 0; cJSON_IsObject(tokens) && !fault && i < 4; i++)
		fault = token_fault(tokens, fields[i], i < 2);
	if (fault)
		snprintf(msg, sizeof(msg), fault, fields[i - 1]);
	if (fault || !cJSON_IsObject(tokens)) {
		if (err_out && !*err_out)
			*err_out = sc__error_new(rc, msg);
	} else if (!(text = cJSON_PrintUnformatted(tokens))) {
		rc = SC_ENOMEM;
	} else {
		rc = sc_token_store_save_json(store, key, text, err_out);
	}
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

/* Add the header @p name (NULL: not a string): @p value to @p resp: 0,
 * or a failure with its message in *err_out. */
static int feed_header(sc_response *resp, const char *name,
		       const cJSON *value, sc_error **err_out)
{
	int rc;

	if (!name || !cJSON_IsString(value)) {
		rc = SC_EINVAL;
		*err_out = sc__error_new(rc, "header names and values must be "
					     "strings");
		return rc;
	}
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
		*err_out = sc__error_new(SC_EINVAL, "headers must be a map or "
					 "(name, value) pairs");
		return SC_EINVAL;
	}
	if ((rc = sc_response_new(&resp, 0)) != 0 ||
	    (rc = sc_response_set_status(resp, status)) != 0)
		goto done;
	for (h = headers ? headers->child : NULL; h && rc == 0; h = h->next) {
		if (cJSON_IsObject(headers)) {
			rc = feed_header(resp, h->string, h, err_out);
		} else if (!cJSON_IsArray(h) || cJSON_GetArraySize(h) != 2) {
			rc = SC_EINVAL;
			*err_out = sc__error_new(rc, "headers must be (name, "
						     "value) pairs");
		} else {
			rc = feed_header(resp,
					 cJSON_GetStringValue(h->child),
					 h->child->next, err_out);
		}
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
