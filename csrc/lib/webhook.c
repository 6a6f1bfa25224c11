/* Webhooks: HMAC-SHA256 signatures (OpenSSL), the VERIFY challenge, and a
 * parser that gives v2 and v4 deliveries one shape. */
#include <ctype.h>
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

static int add_snake(cJSON *dst, const char *key, const cJSON *v)
{
	cJSON *c;
	if (!v)
		return 0;
	c = sc__json_snake(v);
	if (!c)
		return -1;
	cJSON_AddItemToObject(dst, key, c);
	return 0;
}

static int parse_fail(sc_result **out, const char *why)
{
	sc_error *e = sc__error_new(SC_EMALFORMED, why);
	if (e)
		sc__error_set(e, "type", "SDK_ERROR");
	*out = sc__result_err(e);
	return *out ? SC_EMALFORMED : SC_ENOMEM;
}

int sc_webhook_parse(sc_result **out, const char *body, size_t len)
{
	cJSON *json, *d;
	const cJSON *meta, *data, *payload, *ev;
	int rc = 0;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	json = sc__json_parse(body, len);
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
		meta = cJSON_GetObjectItemCaseSensitive(json, "meta");
		data = cJSON_GetObjectItemCaseSensitive(json, "data");
		const cJSON *ver = cJSON_GetObjectItemCaseSensitive(meta,
								    "version");
		rc |= cJSON_AddStringToObject(d, "version",
			cJSON_IsString(ver) ? ver->valuestring : "4.0")
			? 0 : -1;
		rc |= cJSON_AddStringToObject(d, "event_type", ev->valuestring)
			? 0 : -1;
		rc |= copy_str(d, "event_id", json, "eventId");
		rc |= copy_str(d, "webhook_id", meta, "webhookId");
		rc |= copy_str(d, "webhook_name", meta, "webhookName");
		rc |= copy_str(d, "delivery_id", meta, "deliveryId");
		rc |= copy_str(d, "delivered_at", meta, "deliveredAt");
		rc |= copy_str(d, "mode", meta, "mode");
		rc |= copy_str(d, "challenge", data, "challenge");
		rc |= copy_str(d, "user_id",
			       cJSON_GetObjectItemCaseSensitive(data, "user"),
			       "id");
		rc |= copy_str(d, "vehicle_id",
			       cJSON_GetObjectItemCaseSensitive(data,
								"vehicle"),
			       "id");
		rc |= add_snake(d, "payload", data);
		rc |= add_snake(d, "signals",
				cJSON_GetObjectItemCaseSensitive(data,
								 "signals"));
		rc |= add_snake(d, "triggers",
				cJSON_GetObjectItemCaseSensitive(json,
								 "triggers"));
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
