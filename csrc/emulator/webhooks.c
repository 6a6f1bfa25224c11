/* Webhooks: registration and verification (control API), vehicle
 * subscriptions (Vehicle API), signed deliveries and their log.
 *
 *   POST   /v2.0/vehicles/{id}/webhooks/{webhook_id}   Bearer access token
 *   DELETE /v2.0/vehicles/{id}/webhooks/{webhook_id}   Bearer AMT
 *   POST   /_emulator/webhooks                  register + VERIFY challenge
 *   GET    /_emulator/webhooks                  list
 *   POST   /_emulator/webhooks/{id}/verify      send the challenge again
 *   DELETE /_emulator/webhooks/{id}             forget it
 *   POST   /_emulator/webhooks/{id}/deliver     deliver to subscribed cars
 *   GET|DELETE /_emulator/webhooks/deliveries   the delivery log
 *
 * This file: the registry of webhooks, signing, the VERIFY challenge and
 * the delivery log. Payloads are built in webhook_payload.c, deliveries
 * made in webhook_delivery.c, routes served in webhook_routes.c; what they
 * share (and the locking rule) is in webhooks.h. */
#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

const char wh_auth_desc[] =
	"The authorization header is missing or malformed, or it contains "
	"invalid or expired authentication credentials. Please check for "
	"missing parameters, spelling and casing mistakes, and other syntax "
	"issues.";
const char wh_perm_desc[] =
	"Your application has insufficient permissions to access the requested "
	"resource. Please prompt the user to re-authenticate using Smartcar "
	"Connect.";
const char wh_validation_desc[] =
	"Request invalid or malformed. Please check for missing parameters, "
	"spelling and casing mistakes, and other syntax issues.";

pthread_mutex_t wh_mutex = PTHREAD_MUTEX_INITIALIZER;
webhook *wh_hooks;
delivery wh_log_ring[WH_LOG_MAX];
size_t wh_log_start, wh_log_count;

/* ------------------------------------------------------------ helpers */

static void hmac_hex(const char *msg, size_t len, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	const char *key = emu_cfg.management_token;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg,
	     len, mac, &mlen);
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32 && i < mlen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
}

webhook *wh_hook_find(const char *id)
{
	for (webhook *w = wh_hooks; w; w = w->next)
		if (strcmp(w->id, id) == 0)
			return w;
	return NULL;
}

sub *wh_sub_find(webhook *w, const char *vehicle_id)
{
	for (size_t i = 0; i < w->n_subs; i++)
		if (emu_strcaseeq(w->subs[i].vehicle_id, vehicle_id))
			return &w->subs[i];
	return NULL;
}

sub *wh_sub_add(webhook *w, const char *vehicle_id)
{
	sub *s = wh_sub_find(w, vehicle_id);
	if (s)
		return s;
	if (w->n_subs == w->cap_subs) {
		w->cap_subs = w->cap_subs ? w->cap_subs * 2 : 4;
		w->subs = emu_xrealloc(w->subs, w->cap_subs * sizeof *w->subs);
	}
	s = &w->subs[w->n_subs++];
	memset(s, 0, sizeof *s);
	snprintf(s->vehicle_id, sizeof s->vehicle_id, "%s", vehicle_id);
	return s;
}

void wh_sub_remove(webhook *w, const char *vehicle_id)
{
	size_t o = 0;
	for (size_t i = 0; i < w->n_subs; i++) {
		if (emu_strcaseeq(w->subs[i].vehicle_id, vehicle_id))
			free(w->subs[i].last);
		else
			w->subs[o++] = w->subs[i];
	}
	w->n_subs = o;
}

void wh_subs_free(sub *subs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(subs[i].last);
	free(subs);
}

void wh_hook_free(webhook *w)
{
	wh_subs_free(w->subs, w->n_subs);
	free(w->url);
	free(w->name);
	free(w);
}

void wh_delivery_clear(delivery *d)
{
	free(d->body);
	free(d->error);
	free(d->url);
	memset(d, 0, sizeof *d);
}

/* Appends a copy to the log (dropping the oldest past WH_LOG_MAX). */
void wh_log_add(const delivery *d)
{
	pthread_mutex_lock(&wh_mutex);
	delivery *slot;
	if (wh_log_count == WH_LOG_MAX) {
		slot = &wh_log_ring[wh_log_start];
		wh_delivery_clear(slot);
		wh_log_start = (wh_log_start + 1) % WH_LOG_MAX;
	} else {
		slot = &wh_log_ring[(wh_log_start + wh_log_count) % WH_LOG_MAX];
		wh_log_count++;
	}
	*slot = *d;
	slot->body = d->body ? emu_strdup(d->body) : NULL;
	slot->error = d->error ? emu_strdup(d->error) : NULL;
	slot->url = d->url ? emu_strdup(d->url) : NULL;
	pthread_mutex_unlock(&wh_mutex);
}

void wh_log_clear(void)
{
	for (size_t i = 0; i < wh_log_count; i++)
		wh_delivery_clear(
			&wh_log_ring[(wh_log_start + i) % WH_LOG_MAX]);
	wh_log_start = wh_log_count = 0;
}

cJSON *wh_delivery_json(const delivery *d)
{
	char when[32];
	emu_iso8601(when, d->time_ms);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "webhook_id", d->webhook_id);
	if (d->vehicle_id[0])
		cJSON_AddStringToObject(o, "vehicle_id", d->vehicle_id);
	else
		cJSON_AddNullToObject(o, "vehicle_id");
	cJSON_AddStringToObject(o, "event_type", d->event_type);
	if (d->status)
		cJSON_AddNumberToObject(o, "status", d->status);
	else
		cJSON_AddNullToObject(o, "status");
	cJSON_AddStringToObject(o, "body", d->body ? d->body : "");
	if (d->signature[0])
		cJSON_AddStringToObject(o, "signature", d->signature);
	else
		cJSON_AddNullToObject(o, "signature");
	if (d->event_id[0])
		cJSON_AddStringToObject(o, "event_id", d->event_id);
	else
		cJSON_AddNullToObject(o, "event_id");
	if (d->delivery_id[0])
		cJSON_AddStringToObject(o, "delivery_id", d->delivery_id);
	else
		cJSON_AddNullToObject(o, "delivery_id");
	cJSON_AddNumberToObject(o, "attempt", d->attempt ? d->attempt : 1);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "callback_url", d->url ? d->url : "");
	if (d->error)
		cJSON_AddStringToObject(o, "error", d->error);
	else
		cJSON_AddNullToObject(o, "error");
	return o;
}

/* Signs body (taken over by d) and POSTs it to url with no lock held;
 * fills d. The reply body is handed back in *reply (caller frees) when
 * reply is not NULL. */
void wh_send_signed(delivery *d, const char *url, char *body, char **reply)
{
	wh_send(d, url, body, reply, 1);
}

/* The eventId and meta.deliveryId (v4) or payload.eventId (v2) of a
 * body, for the delivery log. */
static void ids_of(delivery *d, const char *body)
{
	cJSON *j = cJSON_Parse(body);
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "eventId");
	if (!ev)
		ev = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(j, "payload"),
			"eventId");
	const cJSON *dl = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(j, "meta"), "deliveryId");
	if (cJSON_IsString(ev))
		snprintf(d->event_id, sizeof d->event_id, "%s", ev->valuestring);
	if (cJSON_IsString(dl))
		snprintf(d->delivery_id, sizeof d->delivery_id, "%s",
			 dl->valuestring);
	cJSON_Delete(j);
}

void wh_send(delivery *d, const char *url, char *body, char **reply,
	     int sign)
{
	d->body = body;
	d->url = emu_strdup(url);
	d->time_ms = emu_now_ms();
	if (!d->attempt)
		d->attempt = 1;
	ids_of(d, body);
	d->signature[0] = '\0';
	if (sign)
		hmac_hex(body, strlen(body), d->signature);
	emu_hdr h[] = { { "Content-Type", "application/json" },
			{ "SC-Signature", d->signature } };
	emu_http_reply rep;
	if (emu_http_post(url, h, sign ? 2 : 1, body, strlen(body),
			  WH_TIMEOUT_MS, &rep) == 0) {
		d->status = rep.status;
		if (d->status < 200 || d->status > 299) {
			char msg[64];
			snprintf(msg, sizeof msg, "callback answered HTTP %d",
				 d->status);
			d->error = emu_strdup(msg);
		}
	} else {
		d->error = emu_strdup(rep.error);
	}
	if (reply) {
		*reply = rep.body;
		rep.body = NULL;
	}
	emu_http_reply_free(&rep);
}

char *wh_print(cJSON *j)
{
	char *t = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	char *s = emu_strdup(t ? t : "{}");
	cJSON_free(t);
	return s;
}

/* ------------------------------------------------------------ verify */

/* Sends the VERIFY challenge; returns 1 when the callback answered 200
 * with {"challenge": hex HMAC-SHA256(AMT, challenge)}. */
int wh_verify(const char *id, const char *url, int version, const char *name,
	      delivery *d, int sign)
{
	unsigned char rnd[16];
	char challenge[33], event_id[37], delivery_id[37], when[32];
	static const char hex[] = "0123456789abcdef";
	emu_random_bytes(rnd, sizeof rnd);
	for (int i = 0; i < 16; i++) {
		challenge[2 * i] = hex[rnd[i] >> 4];
		challenge[2 * i + 1] = hex[rnd[i] & 15];
	}
	challenge[32] = '\0';
	cJSON *o = cJSON_CreateObject();
	if (version == 2) {
		cJSON_AddStringToObject(o, "version", "2.0");
		cJSON_AddStringToObject(o, "webhookId", id);
		cJSON_AddStringToObject(o, "eventName", "verify");
		cJSON *p = cJSON_AddObjectToObject(o, "payload");
		cJSON_AddStringToObject(p, "challenge", challenge);
	} else {
		emu_uuid_random(event_id);
		emu_uuid_random(delivery_id);
		emu_iso8601(when, emu_now_ms());
		cJSON_AddStringToObject(o, "eventId", event_id);
		cJSON_AddStringToObject(o, "eventType", "VERIFY");
		cJSON *data = cJSON_AddObjectToObject(o, "data");
		cJSON_AddStringToObject(data, "challenge", challenge);
		cJSON *m = cJSON_AddObjectToObject(o, "meta");
		cJSON_AddStringToObject(m, "version", "4.0");
		cJSON_AddStringToObject(m, "webhookId", id);
		cJSON_AddStringToObject(m, "webhookName", name);
		cJSON_AddStringToObject(m, "deliveryId", delivery_id);
		cJSON_AddStringToObject(m, "deliveredAt", when);
	}
	memset(d, 0, sizeof *d);
	snprintf(d->webhook_id, sizeof d->webhook_id, "%s", id);
	snprintf(d->event_type, sizeof d->event_type, "VERIFY");
	char *reply = NULL;
	wh_send(d, url, wh_print(o), &reply, sign);
	int ok = 0;
	if (d->status == 200 && reply) {
		char want[65];
		hmac_hex(challenge, strlen(challenge), want);
		cJSON *j = cJSON_Parse(reply);
		const cJSON *c =
			cJSON_GetObjectItemCaseSensitive(j, "challenge");
		ok = cJSON_IsString(c) && strlen(c->valuestring) == 64 &&
		     strcasecmp(c->valuestring, want) == 0;
		cJSON_Delete(j);
		if (!ok && !d->error)
			d->error =
				emu_strdup("reply is not {\"challenge\": "
					   "hex HMAC-SHA256(AMT, challenge)}");
	}
	free(reply);
	wh_log_add(d);
	return ok;
}

void emu_webhooks_reset(void)
{
	pthread_mutex_lock(&wh_mutex);
	EMU_LIST_FREE(wh_hooks, wh_hook_free);
	wh_log_clear();
	wh_queue_clear();
	pthread_mutex_unlock(&wh_mutex);
}
