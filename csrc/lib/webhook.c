/* Webhooks: HMAC-SHA256 signatures (OpenSSL), the VERIFY challenge, and a
 * parser that gives v2 and v4 deliveries one shape. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

#include "sc_internal.h"

static int hmac_raw(unsigned char out[32], const char *key, const char *data,
		    size_t len)
{
	unsigned int outlen = 0;
	if (!HMAC(EVP_sha256(), key, (int)strlen(key),
		  (const unsigned char *)(data ? data : ""), len, out, &outlen)
	    || outlen != 32)
		return SC_ENOMEM;
	return 0;
}

int sc_hmac_sha256_hex(char **out, const char *key, const char *data,
		       size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[32];
	char *s;
	int i, rc;

	if (!out || !key || (!data && len))
		return SC_EINVAL;
	*out = NULL;
	if ((rc = hmac_raw(mac, key, data, len)) < 0)
		return rc;
	s = malloc(65);
	if (!s)
		return SC_ENOMEM;
	for (i = 0; i < 32; i++) {
		s[2 * i] = hex[mac[i] >> 4];
		s[2 * i + 1] = hex[mac[i] & 15];
	}
	s[64] = '\0';
	*out = s;
	return 0;
}

int sc_webhook_challenge(char **out, const char *amt, const char *challenge)
{
	if (!challenge)
		return SC_EINVAL;
	return sc_hmac_sha256_hex(out, amt, challenge, strlen(challenge));
}

int sc_webhook_verify(const char *amt, const char *signature,
		      const char *body, size_t len)
{
	unsigned char mac[32], given[32];
	size_t i, slen;
	int bad = 0;

	if (!amt || !signature || (!body && len))
		return 0;
	slen = strlen(signature);
	while (slen > 0 && isspace((unsigned char)signature[slen - 1]))
		slen--;
	if (slen != 64 || hmac_raw(mac, amt, body, len) < 0)
		return 0;
	for (i = 0; i < 32; i++) {
		int hi = sc__hexval(signature[2 * i]);
		int lo = sc__hexval(signature[2 * i + 1]);
		bad |= (hi < 0) | (lo < 0);
		given[i] = (unsigned char)(((hi & 15) << 4) | (lo & 15));
	}
	/* CRYPTO_memcmp takes the same time wherever the first difference
	 * is, so the signature cannot be guessed byte by byte. */
	return !bad && CRYPTO_memcmp(mac, given, 32) == 0;
}

static int copy_str(cJSON *dst, const char *key, const cJSON *src,
		    const char *skey)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, skey);
	if (cJSON_IsString(v))
		return cJSON_AddStringToObject(dst, key, v->valuestring) ? 0
									: -1;
	if (cJSON_IsNumber(v))
		return cJSON_AddNumberToObject(dst, key, v->valuedouble) ? 0
									 : -1;
	return 0;
}

/* Adds item (a new value, owned from here on) to dst; -1 when item is
 * NULL (out of memory where it was made) or cannot be added. */
static int add_item(cJSON *dst, const char *key, cJSON *item)
{
	if (item && cJSON_AddItemToObject(dst, key, item))
		return 0;
	cJSON_Delete(item);
	return -1;
}

static int add_snake(cJSON *dst, const char *key, const cJSON *v)
{
	return v ? add_item(dst, key, sc__json_snake(v)) : 0;
}

static int parse_fail(sc_result **out, const char *why)
{
	sc_error *e = sc__error_new(SC_EMALFORMED, why);
	if (e)
		sc__error_set(e, "type", "SDK_ERROR");
	*out = sc__result_err(e);
	return *out ? SC_EMALFORMED : SC_ENOMEM;
}

static int add_string(cJSON *o, const char *key, const char *v)
{
	if (!v)
		return cJSON_AddNullToObject(o, key) ? 0 : -1;
	return cJSON_AddStringToObject(o, key, v) ? 0 : -1;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* {"code", "name", "group"} of a signal named by an object (any of the
 * three) or a string: "Group.Name" (VEHICLE_ERROR deliveries) or a code.
 * A missing code is made from group and name, as Smartcar's codes are. */
static cJSON *signal_ref(const cJSON *v)
{
	const char *code = NULL, *name = NULL, *group = NULL, *dot;
	char *made = NULL, *g = NULL;
	cJSON *o = cJSON_CreateObject();
	int rc = 0;

	if (!o)
		return NULL;
	if (cJSON_IsString(v)) {
		dot = strchr(v->valuestring, '.');
		if (dot && dot != v->valuestring && dot[1]) {
			g = sc__strndup(v->valuestring,
					(size_t)(dot - v->valuestring));
			group = g;
			name = dot + 1;
		} else {
			code = v->valuestring;
		}
	} else if (cJSON_IsObject(v)) {
		code = str_of(v, "code");
		name = str_of(v, "name");
		group = str_of(v, "group");
	}
	if (!code && name && group) {
		size_t i, n = strlen(group) + strlen(name) + 2;
		made = malloc(n);
		if (made) {
			snprintf(made, n, "%s-%s", group, name);
			for (i = 0; made[i]; i++)
				made[i] = (char)tolower((unsigned char)made[i]);
		}
		code = made;
		rc |= made ? 0 : -1;
	}
	rc |= add_string(o, "code", code);
	rc |= add_string(o, "name", name);
	rc |= add_string(o, "group", group);
	free(made);
	free(g);
	if (rc) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The triggers of a v4 delivery, wherever they were put (the top level in
 * real deliveries, inside data in some docs), as a list of
 * {"type", "signal"}; *first is set when one is FIRST_DELIVERY. */
static cJSON *triggers_of(const cJSON *json, const cJSON *data, int *first)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "triggers");
	const cJSON *item;
	cJSON *list = cJSON_CreateArray();

	if (!t)
		t = cJSON_GetObjectItemCaseSensitive(data, "triggers");
	if (!list)
		return NULL;
	cJSON_ArrayForEach (item, t) {
		const char *type = NULL;
		const cJSON *sig = NULL;
		cJSON *o;
		if (cJSON_IsString(item)) {
			type = item->valuestring;
		} else if (cJSON_IsObject(item)) {
			type = str_of(item, "type");
			if (!type)
				type = str_of(item, "code");
			sig = cJSON_GetObjectItemCaseSensitive(item, "signal");
		} else {
			continue;
		}
		o = cJSON_CreateObject();
		if (!o || add_string(o, "type", type)) {
			cJSON_Delete(o);
			cJSON_Delete(list);
			return NULL;
		}
		if (sig && !cJSON_IsNull(sig)) {
			cJSON *ref = signal_ref(sig);
			if (!ref) {
				cJSON_Delete(o);
				cJSON_Delete(list);
				return NULL;
			}
			cJSON_AddItemToObject(o, "signal", ref);
		}
		if (type && !strcmp(type, "FIRST_DELIVERY"))
			*first = 1;
		cJSON_AddItemToArray(list, o);
	}
	return list;
}

/* data.errors of a VEHICLE_ERROR, snake_case, with each error's signals
 * as {"code", "name", "group"} objects. */
static cJSON *errors_of(const cJSON *errors)
{
	cJSON *list = sc__json_snake(errors), *e;

	if (!list)
		return NULL;
	cJSON_ArrayForEach (e, list) {
		cJSON *sigs = cJSON_GetObjectItemCaseSensitive(e, "signals");
		cJSON *refs;
		if (!cJSON_IsArray(sigs))
			continue;
		refs = sc__json_map(sigs, signal_ref);
		if (!refs) {
			cJSON_Delete(list);
			return NULL;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(e, "signals", refs);
	}
	return list;
}

/* The v4 fields of d from the delivery json; -1 when out of memory. */
static int parse_v4(cJSON *d, const cJSON *json, const char *type)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(json, "meta");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(json, "data");
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(data, "user");
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(data, "errors");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(meta, "version");
	cJSON *sigs, *s;
	int64_t at;
	int rc = 0, first = 0;

	rc |= add_string(d, "version",
			 cJSON_IsString(ver) ? ver->valuestring : "4.0");
	rc |= add_string(d, "event_type", type);
	rc |= copy_str(d, "event_id", json, "eventId");
	rc |= copy_str(d, "webhook_id", meta, "webhookId");
	rc |= copy_str(d, "webhook_name", meta, "webhookName");
	rc |= copy_str(d, "delivery_id", meta, "deliveryId");
	if (sc__time_ms(cJSON_GetObjectItemCaseSensitive(meta, "deliveredAt"),
			&at) == 0)
		rc |= cJSON_AddNumberToObject(d, "delivered_at", (double)at)
			      ? 0 : -1;
	rc |= copy_str(d, "mode", meta, "mode");
	rc |= copy_str(d, "challenge", data, "challenge");
	rc |= copy_str(d, "user_id", user, "id");
	rc |= copy_str(d, "user_external_id", user, "externalId");
	rc |= copy_str(d, "vehicle_id",
		       cJSON_GetObjectItemCaseSensitive(data, "vehicle"), "id");
	rc |= add_snake(d, "payload", data);
	sigs = sc__json_snake(cJSON_GetObjectItemCaseSensitive(data,
							       "signals"));
	if (sigs) {
		cJSON_ArrayForEach (s, sigs)
			rc |= sc__signal_times(cJSON_GetObjectItemCaseSensitive(
				s, "meta"));
		cJSON_AddItemToObject(d, "signals", sigs);
		if (cJSON_IsArray(sigs))
			rc |= add_item(d, "rows", sc__signal_rows(d));
	}
	if (cJSON_GetObjectItemCaseSensitive(json, "triggers") ||
	    cJSON_GetObjectItemCaseSensitive(data, "triggers")) {
		rc |= add_item(d, "triggers", triggers_of(json, data, &first));
		rc |= cJSON_AddBoolToObject(d, "first_delivery", first)
			      ? 0 : -1;
	}
	if (cJSON_IsArray(errors))
		rc |= add_item(d, "errors", errors_of(errors));
	return rc;
}

int sc_webhook_parse(sc_result **out, const char *body, size_t len)
{
	cJSON *json, *d;
	const cJSON *payload, *ev;
	int rc = 0;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!body && len)
		return SC_EINVAL;
	json = sc__json_parse(body ? body : "", len);
	if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		return parse_fail(out, "the webhook body is not a JSON object");
	}
	d = cJSON_CreateObject();
	if (!d) {
		cJSON_Delete(json);
		return parse_fail(out, "out of memory");
	}
	ev = cJSON_GetObjectItemCaseSensitive(json, "eventType");
	if (cJSON_IsString(ev)) {
		/* v4: {eventId, eventType, data, triggers, meta} */
		rc = parse_v4(d, json, ev->valuestring);
	} else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
			   json, "eventName"))) {
		/* v2: {version, webhookId, eventName, mode, payload} */
		const char *name = cJSON_GetObjectItemCaseSensitive(
			json, "eventName")->valuestring;
		char up[64];
		size_t i;
		for (i = 0; name[i] && i < sizeof(up) - 1; i++)
			up[i] = (char)toupper((unsigned char)name[i]);
		up[i] = '\0';
		payload = cJSON_GetObjectItemCaseSensitive(json, "payload");
		if (!cJSON_GetObjectItemCaseSensitive(json, "version"))
			rc |= cJSON_AddStringToObject(d, "version", "2.0")
				? 0 : -1;
		else
			rc |= copy_str(d, "version", json, "version");
		rc |= cJSON_AddStringToObject(d, "event_type", up) ? 0 : -1;
		rc |= copy_str(d, "webhook_id", json, "webhookId");
		rc |= copy_str(d, "mode", json, "mode");
		rc |= copy_str(d, "challenge", payload, "challenge");
		rc |= copy_str(d, "event_id", payload, "eventId");
		rc |= copy_str(d, "vehicle_id", payload, "vehicleId");
		rc |= add_snake(d, "payload", payload);
	} else {
		cJSON_Delete(d);
		cJSON_Delete(json);
		return parse_fail(out, "the webhook body has neither eventType "
				       "(v4) nor eventName (v2)");
	}
	cJSON_Delete(json);
	if (rc) {
		cJSON_Delete(d);
		return parse_fail(out, "out of memory");
	}
	*out = sc__result_ok(d);
	return *out ? 0 : SC_ENOMEM;
}

/* A challenge we answer: a short token.  Anything that could be a
 * delivery body (quotes, braces) is refused, so the answer can never be
 * a valid signature of a body the sender chose. */
static int challenge_ok(const char *c)
{
	size_t n = c ? strlen(c) : 0;
	return n > 0 && n <= 256 && !strpbrk(c, "{}[]\"\\");
}

static int receive_fail(sc_result **out, int code, const char *why)
{
	sc_error *e = sc__error_new(code, why);
	if (e)
		sc__error_set(e, "type", "SDK_ERROR");
	*out = sc__result_err(e);
	return *out ? code : SC_ENOMEM;
}

int sc_webhook_receive(sc_result **out, const char *amt,
		       const char *signature, const char *body, size_t len,
		       sc_webhook_seen *seen)
{
	sc_result *r = NULL;
	const char *type, *id;
	char *reply = NULL;
	int rc, signed_ok, dup = 0;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!amt || (!body && len))
		return receive_fail(out, SC_EINVAL,
				    "the AMT and the body are required");
	/* the raw bytes are checked before anything in them is used */
	signed_ok = signature && sc_webhook_verify(amt, signature, body, len);
	rc = sc_webhook_parse(&r, body, len);
	if (rc < 0) {
		if (!signed_ok && rc == SC_EMALFORMED) {
			sc_result_free(r);
			return receive_fail(out, SC_ESIGNATURE,
				"the delivery's SC-Signature is missing or "
				"does not sign its body");
		}
		*out = r;
		return rc;
	}
	type = sc_result_get_string(r, "event_type");
	if (type && !strcmp(type, "VERIFY")) {
		const char *c = sc_result_get_string(r, "challenge");
		char *hex = NULL;
		if (!challenge_ok(c)) {
			sc_result_free(r);
			return receive_fail(out, SC_EMALFORMED,
				"the VERIFY challenge is missing or is not a "
				"short token");
		}
		rc = sc_webhook_challenge(&hex, amt, c);
		if (rc == 0) {
			cJSON *o = cJSON_CreateObject();
			if (o && cJSON_AddStringToObject(o, "challenge", hex))
				reply = cJSON_PrintUnformatted(o);
			cJSON_Delete(o);
		}
		sc_free(hex);
	} else if (!signed_ok) {
		sc_result_free(r);
		return receive_fail(out, SC_ESIGNATURE,
				    "the delivery's SC-Signature is missing or "
				    "does not sign its body");
	} else {
		reply = sc__strdup("{\"status\":\"received\"}");
		id = sc_result_get_string(r, "event_id");
		if (seen && id && *id) {
			rc = sc_webhook_seen_check(seen, id, 0);
			if (rc < 0) {
				free(reply);
				sc_result_free(r);
				return receive_fail(out, rc,
					"the event id cannot be recorded");
			}
			dup = rc == SC_WEBHOOK_DUPLICATE;
		}
	}
	if (!reply || !cJSON_AddStringToObject(r->data, "reply", reply) ||
	    !cJSON_AddBoolToObject(r->data, "duplicate", dup)) {
		free(reply);
		sc_result_free(r);
		return receive_fail(out, SC_ENOMEM, NULL);
	}
	free(reply);
	*out = r;
	return 0;
}
