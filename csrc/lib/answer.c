#define _GNU_SOURCE
/* Response mapping shared by every operation: token sets, and the typed
 * error for each error body shape Smartcar uses (v2, v1, OAuth 2,
 * non-JSON), decided the way the official SDKs decide it. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc_internal.h"

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double sc__parse_retry_after(const char *v)
{
	char *end;
	double d;
	struct tm tm;

	if (!v)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	d = strtod(v, &end);
	while (end && isspace((unsigned char)*end))
		end++;
	if (end != v && *end == '\0' && d >= 0 && isfinite(d))
		return d;
	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end && *end == '\0') {
		double at = (double)timegm(&tm), now = sc__now();
		return at > now ? at - now : 0;
	}
	return -1;
}

/* Printable, bounded excerpt of a non-JSON body for the description. */
static char *body_excerpt(const char *b, size_t len)
{
	size_t i;
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

static sc_error *local(int code, const char *msg, int status, const char *rid,
		       const char *desc)
{
	sc_error *e = sc__error_new(code, msg);
	if (e) {
		sc__error_set(e, "type", "SDK_ERROR");
		if (desc)
			sc__error_set(e, "description", desc);
		if (status)
			sc__error_set_number(e, "status_code", status);
		if (rid)
			sc__error_set(e, "request_id", rid);
	}
	return e;
}

sc_error *sc__error_from_answer(int status, const char *content_type,
				const char *rid, const char *retry_after,
				const char *body, size_t len)
{
	cJSON *json;
	sc_error *e;
	char msg[512];

	if (!is_json_type(content_type)) {
		char *ex = body_excerpt(body ? body : "", body ? len : 0);
		snprintf(msg, sizeof(msg), "HTTP %d%s%s", status,
			 ex && *ex ? ": " : "", ex ? ex : "");
		e = local(SC_EHTTP, msg, status, rid, ex);
		free(ex);
		return e;
	}
	json = sc__json_parse(body, len);
	if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		snprintf(msg, sizeof(msg), "HTTP %d with a malformed JSON body",
			 status);
		return local(SC_EMALFORMED, msg, status, rid, NULL);
	}
	e = sc__error_from_json(status, rid, retry_after, json);
	cJSON_Delete(json);
	return e;
}

/* The v2 error type of each API v1 "error" value: an error's "category"
 * (the one list; bindings pick their error classes by category). */
static const char *const v1_categories[][2] = {
	{ "authentication_error", "AUTHENTICATION" },
	{ "permission_error", "PERMISSION" },
	{ "validation_error", "VALIDATION" },
	{ "resource_not_found", "RESOURCE_NOT_FOUND" },
	{ "rate_limiting_error", "RATE_LIMIT" },
	{ "vehicle_state_error", "VEHICLE_STATE" },
	{ "vehicle_not_capable_error", "COMPATIBILITY" },
	{ "smartcar_not_capable_error", "COMPATIBILITY" },
	{ "server_error", "SERVER" },
	{ "monthly_limit_exceeded", "BILLING" },
	{ "vehicle_owner_action_required", "CONNECTED_SERVICES_ACCOUNT" },
};

static const char *v1_category(const char *type)
{
	size_t i;
	for (i = 0; i < sizeof(v1_categories) / sizeof(v1_categories[0]); i++)
		if (!strcmp(v1_categories[i][0], type))
			return v1_categories[i][1];
	return type;
}

static sc_error *v1_error(int status, const char *rid, const cJSON *json)
{
	const char *type = json_str(json, "error");
	const char *desc = json_str(json, "message");
	const char *code = json_str(json, "code");
	const char *brid = json_str(json, "requestId");
	const cJSON *sc = cJSON_GetObjectItem(json, "statusCode");
	char msg[512];
	sc_error *e;

	snprintf(msg, sizeof(msg), "%s:%s - %s", type, code ? code : "null",
		 desc);
	e = sc__error_new(SC_EAPI, msg);
	if (e) {
		sc__error_set(e, "type", type);
		sc__error_set(e, "category", v1_category(type));
		if (code)
			sc__error_set(e, "code", code);
		sc__error_set(e, "description", desc);
		sc__error_set_number(e, "status_code",
				     cJSON_IsNumber(sc) ? sc->valuedouble
							: status);
		if (brid || rid)
			sc__error_set(e, "request_id", brid ? brid : rid);
	}
	return e;
}

static sc_error *oauth_error(int status, const char *rid, const cJSON *json)
{
	const char *type = json_str(json, "error");
	const char *desc = json_str(json, "error_description");
	char msg[512];
	sc_error *e;

	/* what the server said, as the official SDKs show it */
	if (desc && *desc)
		snprintf(msg, sizeof(msg), "%s", desc);
	else
		snprintf(msg, sizeof(msg), "%s - no description", type);
	e = sc__error_new(SC_EOAUTH, msg);
	if (e) {
		sc__error_set(e, "type", type);
		sc__error_set(e, "description", desc);
		sc__error_set_number(e, "status_code", status);
		if (rid)
			sc__error_set(e, "request_id", rid);
	}
	return e;
}

static sc_error *v2_error(int status, const char *rid, const char *retry_after,
			  const cJSON *json)
{
	const char *type = json_str(json, "type");
	const char *code = json_str(json, "code");
	const char *desc = json_str(json, "description");
	const char *brid = json_str(json, "requestId");
	const cJSON *sc = cJSON_GetObjectItem(json, "statusCode");
	const cJSON *res = cJSON_GetObjectItem(json, "resolution");
	const cJSON *detail = cJSON_GetObjectItem(json, "detail");
	const char *sum = json_str(json, "suggestedUserMessage");
	double ra = sc__parse_retry_after(retry_after);
	const char *rt = NULL, *ru = NULL;
	char msg[512];
	sc_error *e;
	cJSON *r;

	if (code && *code)
		snprintf(msg, sizeof(msg), "%s:%s - %s", type, code,
			 desc ? desc : "");
	else
		snprintf(msg, sizeof(msg), "%s - %s", type, desc ? desc : "");
	e = sc__error_new(SC_EAPI, msg);
	if (!e)
		return NULL;
	sc__error_set(e, "type", type);
	sc__error_set(e, "category", type);
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
	r = cJSON_CreateObject();
	if (r) {
		if (rt)
			cJSON_AddStringToObject(r, "type", rt);
		if (ru)
			cJSON_AddStringToObject(r, "url", ru);
		sc__error_set_item(e, "resolution", r);
	}
	if (sum)
		sc__error_set(e, "suggested_user_message", sum);
	if (cJSON_IsArray(detail))
		sc__error_set_item(e, "detail", sc__json_snake(detail));
	if (ra >= 0) {
		sc__error_set_number(e, "retry_after", ra);
		/* the header as sent: the official SDKs' retry_after */
		sc__error_set(e, "retry_after_header", retry_after);
	}
	return e;
}

/* v3 (JSON:API): {"errors": [{status, type, code, title, detail,
 * links {about}, resolution, suggestedUserMessage}]} */
static sc_error *v3_error(int status, const char *rid, const char *retry_after,
			  const cJSON *first)
{
	cJSON *flat = cJSON_CreateObject();
	const char *st = json_str(first, "status");
	const cJSON *links = cJSON_GetObjectItem(first, "links");
	sc_error *e;

	if (!flat)
		return NULL;
	/* reshape into the v2 vocabulary, then share its mapping */
	if (json_str(first, "type"))
		cJSON_AddStringToObject(flat, "type", json_str(first, "type"));
	else
		cJSON_AddStringToObject(flat, "type", "SDK_ERROR");
	if (json_str(first, "code"))
		cJSON_AddStringToObject(flat, "code", json_str(first, "code"));
	if (json_str(first, "detail"))
		cJSON_AddStringToObject(flat, "description",
					json_str(first, "detail"));
	else if (json_str(first, "title"))
		cJSON_AddStringToObject(flat, "description",
					json_str(first, "title"));
	if (json_str(links, "about"))
		cJSON_AddStringToObject(flat, "docURL",
					json_str(links, "about"));
	cJSON_AddNumberToObject(flat, "statusCode",
				st && atoi(st) > 0 ? atoi(st) : status);
	if (cJSON_GetObjectItem(first, "resolution"))
		cJSON_AddItemToObject(
			flat, "resolution",
			cJSON_Duplicate(
				cJSON_GetObjectItem(first, "resolution"), 1));
	if (json_str(first, "suggestedUserMessage"))
		cJSON_AddStringToObject(flat, "suggestedUserMessage",
					json_str(first,
						 "suggestedUserMessage"));
	e = v2_error(status, rid, retry_after, flat);
	if (e && json_str(first, "title"))
		sc__error_set(e, "title", json_str(first, "title"));
	cJSON_Delete(flat);
	return e;
}

sc_error *sc__error_from_json(int status, const char *rid,
			      const char *retry_after, const cJSON *json)
{
	char msg[128];
	const cJSON *errs = cJSON_GetObjectItem(json, "errors");

	if (cJSON_IsArray(errs) && cJSON_IsObject(cJSON_GetArrayItem(errs, 0)))
		return v3_error(status, rid, retry_after,
				cJSON_GetArrayItem(errs, 0));

	if (json_str(json, "error")) {
		if (json_str(json, "message"))
			return v1_error(status, rid, json);
		return oauth_error(status, rid, json);
	}
	if (json_str(json, "type"))
		return v2_error(status, rid, retry_after, json);
	snprintf(msg, sizeof(msg), "HTTP %d with an unrecognised error body",
		 status);
	return local(SC_EHTTP, msg, status, rid, NULL);
}

cJSON *sc__token_data(const cJSON *body, int want_refresh)
{
	const cJSON *at = cJSON_GetObjectItem(body, "access_token");
	const cJSON *rt = cJSON_GetObjectItem(body, "refresh_token");
	const cJSON *ei = cJSON_GetObjectItem(body, "expires_in");
	const char *tt = json_str(body, "token_type");
	double now = sc__now();
	cJSON *d;

	if (!cJSON_IsString(at) || !*at->valuestring ||
	    (want_refresh && (!cJSON_IsString(rt) || !*rt->valuestring)) ||
	    !cJSON_IsNumber(ei) || ei->valuedouble < 0 || ei->valuedouble > 1e9)
		return NULL;
	d = cJSON_CreateObject();
	if (!d)
		return NULL;
	/* Expiries are absolute Unix seconds, millisecond precision. */
	if (!cJSON_AddStringToObject(d, "access_token", at->valuestring) ||
	    !cJSON_AddStringToObject(d, "token_type", tt ? tt : "Bearer") ||
	    !cJSON_AddNumberToObject(d, "expires_in", ei->valuedouble) ||
	    !cJSON_AddNumberToObject(d, "expiration",
				     floor((now + ei->valuedouble) * 1000) /
					     1000) ||
	    (want_refresh &&
	     (!cJSON_AddStringToObject(d, "refresh_token", rt->valuestring) ||
	      !cJSON_AddNumberToObject(
		      d, "refresh_expiration",
		      floor((now + SC_REFRESH_LIFETIME_S) * 1000) / 1000)))) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}
