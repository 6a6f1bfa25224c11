/* Webhook routes: vehicle subscriptions (Vehicle API) and the control
 * API's registration, verification, delivery and log. */
#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------ vehicle routes */

static enum MHD_Result unknown_webhook(emu_req *r)
{
	return emu_respond_error(r, MHD_HTTP_BAD_REQUEST, "VALIDATION", NULL,
				 wh_validation_desc, NULL);
}

static enum MHD_Result subscribe(emu_req *r, const char *vid, const char *wid)
{
	char key[128];
	int ok = emu_auth_bearer(r, key, sizeof key);
	int status = 0;
	emu_lock();
	const emu_token *t = ok ? emu_token_find(EMU_TOK_ACCESS, key) : NULL;
	if (!t || emu_now_ms() >= t->expires_ms)
		status = 401;
	else if (!emu_is_uuid(vid))
		status = 400;
	else if (!emu_grant_vehicle(t->grant, vid))
		status = 403;
	char canonical[37] = "";
	if (!status) {
		const emu_vehicle *v = emu_grant_vehicle(t->grant, vid);
		memcpy(canonical, v->id, sizeof canonical);
	}
	emu_unlock();
	if (status == 401)
		return emu_respond_error(r, MHD_HTTP_UNAUTHORIZED,
					 "AUTHENTICATION", NULL, wh_auth_desc,
					 NULL);
	if (status == 400)
		return emu_respond_validation(r, NULL, "vehicle_id",
					      "vehicle id must be a UUID.");
	if (status == 403)
		return emu_respond_error(r, MHD_HTTP_FORBIDDEN, "PERMISSION",
					 NULL, wh_perm_desc, NULL);
	if (!wh_subscription_set(wid, canonical, WH_SUB_ON))
		return unknown_webhook(r);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "webhookId", wid);
	cJSON_AddStringToObject(o, "vehicleId", canonical);
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result unsubscribe(emu_req *r, const char *vid, const char *wid)
{
	char key[256];
	if (!emu_auth_bearer(r, key, sizeof key) ||
	    !emu_secret_eq(key, emu_cfg.management_token))
		return emu_respond_error(r, MHD_HTTP_UNAUTHORIZED,
					 "AUTHENTICATION", NULL, wh_auth_desc,
					 NULL);
	if (!emu_is_uuid(vid))
		return emu_respond_validation(r, NULL, "vehicle_id",
					      "vehicle id must be a UUID.");
	if (!wh_subscription_set(wid, vid, WH_SUB_OFF))
		return unknown_webhook(r);
	return emu_respond_status(r, "success");
}

/* rest: the path after /v<version>: /vehicles/{id}/webhooks/{webhook_id} */
int emu_webhooks_route(emu_req *r, const char *rest, enum MHD_Result *ret)
{
	if (strncmp(rest, "/vehicles/", 10) != 0)
		return 0;
	const char *vid = rest + 10, *slash = strchr(vid, '/');
	if (!slash || slash == vid || strncmp(slash, "/webhooks/", 10) != 0)
		return 0;
	const char *wid = slash + 10;
	if (!*wid || strchr(wid, '/') || strlen(wid) > WH_ID_MAX)
		return 0;
	int post = emu_method_is(r, "POST"), del = emu_method_is(r, "DELETE");
	if (!post && !del)
		return 0;
	char vehicle[64];
	size_t n = (size_t)(slash - vid);
	if (n >= sizeof vehicle)
		n = sizeof vehicle - 1;
	memcpy(vehicle, vid, n);
	vehicle[n] = '\0';
	*ret = post ? subscribe(r, vehicle, wid) : unsubscribe(r, vehicle, wid);
	return 1;
}

/* ------------------------------------------------------ control routes */

static cJSON *hook_json(const webhook *w)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "webhook_id", w->id);
	cJSON_AddStringToObject(o, "callback_url", w->url);
	cJSON_AddStringToObject(o, "version", w->version == 2 ? "2.0" : "4.0");
	cJSON_AddStringToObject(o, "name", w->name);
	cJSON_AddBoolToObject(o, "verified", w->verified);
	cJSON_AddBoolToObject(o, "enabled", w->enabled);
	cJSON_AddBoolToObject(o, "auto_subscribe", w->auto_subscribe);
	cJSON *a = cJSON_AddArrayToObject(o, "vehicles");
	for (size_t i = 0; i < w->n_subs; i++)
		cJSON_AddItemToArray(a,
				     cJSON_CreateString(w->subs[i].vehicle_id));
	cJSON *dl = cJSON_AddObjectToObject(o, "delivery");
	cJSON_AddBoolToObject(dl, "duplicate", w->duplicate);
	cJSON_AddNumberToObject(dl, "fail_next", (double)w->fail_next);
	cJSON *r = cJSON_AddArrayToObject(dl, "retry_delays_ms");
	for (int i = 0; i < w->n_retries; i++)
		cJSON_AddItemToArray(r,
				     cJSON_CreateNumber((double)w->retry_ms[i]));
	return o;
}

/* POST /_emulator/webhooks/{id}/delivery {"duplicate": bool,
 * "fail_next": n, "retry_delays_ms": [ms...]}: how deliveries to the
 * webhook behave (fields left out stay as they are). */
static enum MHD_Result delivery_settings(emu_req *r, const char *id)
{
	cJSON *j = emu_body_json(r);
	const char *field = NULL, *msg = NULL;
	const cJSON *dup = cJSON_GetObjectItemCaseSensitive(j, "duplicate");
	const cJSON *fail = cJSON_GetObjectItemCaseSensitive(j, "fail_next");
	const cJSON *ret = cJSON_GetObjectItemCaseSensitive(j,
							    "retry_delays_ms");
	const cJSON *it;
	if (!cJSON_IsObject(j)) {
		field = "body";
		msg = "Body must be a JSON object.";
	} else if (dup && !cJSON_IsBool(dup)) {
		field = "duplicate";
		msg = "duplicate must be true or false.";
	} else if (fail && (!cJSON_IsNumber(fail) || fail->valuedouble < 0 ||
			    fail->valuedouble > 1e6 ||
			    fail->valuedouble != (long)fail->valuedouble)) {
		field = "fail_next";
		msg = "fail_next must be an integer from 0 to 1000000.";
	} else if (ret && (!cJSON_IsArray(ret) ||
			   cJSON_GetArraySize(ret) > WH_RETRIES_MAX)) {
		field = "retry_delays_ms";
		msg = "retry_delays_ms must be a list of at most 8 waits.";
	}
	if (cJSON_IsArray(ret) && !field) {
		cJSON_ArrayForEach(it, ret)
		{
			if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
			    it->valuedouble > 600000) {
				field = "retry_delays_ms";
				msg = "each wait must be 0 to 600000 ms.";
			}
		}
	}
	if (field) {
		cJSON_Delete(j);
		return emu_respond_validation(r, NULL, field, msg);
	}
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(id);
	cJSON *o = NULL;
	if (w) {
		if (dup)
			w->duplicate = cJSON_IsTrue(dup);
		if (fail)
			w->fail_next = (long)fail->valuedouble;
		if (ret) {
			w->n_retries = 0;
			cJSON_ArrayForEach(it, ret)
				w->retry_ms[w->n_retries++] =
					(long)it->valuedouble;
		}
		o = hook_json(w);
	}
	pthread_mutex_unlock(&wh_mutex);
	cJSON_Delete(j);
	if (!o)
		return emu_respond_not_found(r);
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static cJSON_bool id_ok(const cJSON *v)
{
	if (!cJSON_IsString(v))
		return 0;
	const char *s = v->valuestring;
	size_t n = strlen(s);
	if (n == 0 || n > WH_ID_MAX || strcmp(s, "deliveries") == 0)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return 0;
	return 1;
}

static cJSON_bool nonempty_string(const cJSON *v)
{
	return cJSON_IsString(v) && *v->valuestring;
}

/* 2 for "2.0", "2" or 2; 4 for "4.0", "4" or 4; else 0. */
static int version_of(const cJSON *ver)
{
	const char *v = cJSON_IsString(ver) ? ver->valuestring : "";
	if (cJSON_IsNumber(ver))
		v = ver->valuedouble == 2   ? "2.0"
		    : ver->valuedouble == 4 ? "4.0"
					    : "";
	if (strcmp(v, "2.0") == 0 || strcmp(v, "2") == 0)
		return 2;
	if (strcmp(v, "4.0") == 0 || strcmp(v, "4") == 0)
		return 4;
	return 0;
}

static cJSON_bool version_ok(const cJSON *v)
{
	return version_of(v) != 0;
}

/* Runs the challenge for hook id and stores the outcome; answers with
 * the hook plus what the callback did. */
static enum MHD_Result verify_and_answer(emu_req *r, const char *id)
{
	snapshot s;
	if (wh_snapshot_take(id, "", &s) != 0)
		return emu_respond_not_found(r);
	delivery d;
	int ok = wh_verify(s.id, s.url, s.version, s.name, &d, 1);
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(id);
	cJSON *o = NULL;
	if (w) {
		w->verified = ok;
		o = hook_json(w);
	}
	pthread_mutex_unlock(&wh_mutex);
	wh_snapshot_free(&s);
	if (!o) {
		wh_delivery_clear(&d);
		return emu_respond_not_found(r);
	}
	if (d.status)
		cJSON_AddNumberToObject(o, "status", d.status);
	else
		cJSON_AddNullToObject(o, "status");
	if (d.error)
		cJSON_AddStringToObject(o, "error", d.error);
	else
		cJSON_AddNullToObject(o, "error");
	wh_delivery_clear(&d);
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result register_hook(emu_req *r)
{
	cJSON *j;
	const cJSON *id, *url, *ver, *name, *en, *as;
	static const char flag_msg[] =
		"enabled and auto_subscribe must be true or false.";
	const emu_field fields[] = {
		{ "webhook_id", &id, id_ok, EMU_FIELD_NULL_OK,
		  "webhook_id must be 1-64 letters, digits, '-', '_' or '.'." },
		{ "callback_url", &url, nonempty_string, EMU_FIELD_REQUIRED,
		  "callback_url must be a string (http://127.0.0.1:PORT/...)." },
		{ "version", &ver, version_ok, EMU_FIELD_NULL_OK,
		  "version must be \"2.0\" or \"4.0\"." },
		{ "name", &name, cJSON_IsString, EMU_FIELD_NULL_OK,
		  "name must be a string." },
		{ "enabled", &en, cJSON_IsBool, 0, flag_msg },
		{ "auto_subscribe", &as, cJSON_IsBool, 0, flag_msg },
	};
	enum MHD_Result refused;
	if (emu_body_fields(r, 0, fields, 6, &j, &refused) < 0)
		return refused;
	int version = ver && !cJSON_IsNull(ver) ? version_of(ver) : 4;
	char gen[37];
	const char *hid = cJSON_IsString(id) ? id->valuestring : NULL;
	if (!hid) {
		emu_uuid_random(gen);
		hid = gen;
	}
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(hid);
	if (!w) {
		w = emu_xmalloc(sizeof *w);
		memset(w, 0, sizeof *w);
		snprintf(w->id, sizeof w->id, "%s", hid);
		w->created_ms = emu_now_ms();
		w->next = wh_hooks;
		wh_hooks = w;
	}
	free(w->url);
	free(w->name);
	w->url = emu_strdup(url->valuestring);
	w->name = emu_strdup(cJSON_IsString(name) ? name->valuestring
						  : "Emulator Webhook");
	w->version = version;
	w->verified = 0;
	w->enabled = !en || cJSON_IsTrue(en);
	w->auto_subscribe = cJSON_IsTrue(as);
	char copy[WH_ID_MAX + 1];
	snprintf(copy, sizeof copy, "%s", w->id);
	pthread_mutex_unlock(&wh_mutex);
	cJSON_Delete(j);
	return verify_and_answer(r, copy);
}

static enum MHD_Result list_hooks(emu_req *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(o, "webhooks");
	pthread_mutex_lock(&wh_mutex);
	for (webhook *w = wh_hooks; w; w = w->next)
		cJSON_AddItemToArray(a, hook_json(w));
	pthread_mutex_unlock(&wh_mutex);
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result deliveries(emu_req *r)
{
	const char *only = emu_kv_get(&r->query, "webhook_id");
	cJSON *o = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(o, "deliveries");
	pthread_mutex_lock(&wh_mutex);
	for (size_t i = 0; i < wh_log_count; i++) {
		const delivery *d =
			&wh_log_ring[(wh_log_start + i) % WH_LOG_MAX];
		if (only && *only && strcmp(d->webhook_id, only) != 0)
			continue;
		cJSON_AddItemToArray(a, wh_delivery_json(d));
	}
	pthread_mutex_unlock(&wh_mutex);
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result clear_deliveries(emu_req *r)
{
	pthread_mutex_lock(&wh_mutex);
	wh_log_clear();
	pthread_mutex_unlock(&wh_mutex);
	return emu_respond_status(r, "success");
}

static cJSON_bool event_ok(const cJSON *v)
{
	return cJSON_IsString(v) && (wh_is_charge_event(v->valuestring) ||
				     strcmp(v->valuestring, "VEHICLE_STATE") ==
					     0);
}

static enum MHD_Result deliver(emu_req *r, const char *id)
{
	cJSON *j;
	const cJSON *vid, *ev;
	const emu_field fields[] = {
		{ "vehicle_id", &vid, cJSON_IsString, EMU_FIELD_NULL_OK,
		  "vehicle_id must be a string." },
		{ "event", &ev, event_ok, EMU_FIELD_NULL_OK,
		  "event must be CHARGING_STARTED, CHARGING_STOPPED, "
		  "CHARGING_COMPLETED or VEHICLE_STATE." },
	};
	enum MHD_Result refused;
	if (emu_body_fields(r, 1, fields, 2, &j, &refused) < 0)
		return refused;
	const char *only = cJSON_IsString(vid) ? vid->valuestring : NULL;
	snapshot s;
	if (wh_snapshot_take(id, only, &s) != 0) {
		cJSON_Delete(j);
		return emu_respond_not_found(r);
	}
	if (only && s.n == 0) {
		wh_snapshot_free(&s);
		cJSON_Delete(j);
		return emu_respond_validation(
			r, NULL, "vehicle_id",
			"That vehicle is not subscribed to this "
			"webhook.");
	}
	cJSON *o = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(o, "deliveries");
	wh_deliver_snapshot(&s, cJSON_IsString(ev) ? ev->valuestring : NULL, a);
	wh_snapshot_free(&s);
	cJSON_Delete(j);
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

static enum MHD_Result delete_hook(emu_req *r, const char *id)
{
	pthread_mutex_lock(&wh_mutex);
	webhook **pp = &wh_hooks, *gone = NULL;
	while (*pp && !gone) {
		if (strcmp((*pp)->id, id) == 0) {
			gone = *pp;
			*pp = gone->next;
		} else {
			pp = &(*pp)->next;
		}
	}
	pthread_mutex_unlock(&wh_mutex);
	if (!gone)
		return emu_respond_not_found(r);
	wh_hook_free(gone);
	return emu_respond_status(r, "success");
}

int emu_webhooks_control_route(emu_req *r, enum MHD_Result *ret)
{
	const char *p = r->path;
	if (strncmp(p, "/_emulator/webhooks", 19) != 0 ||
	    (p[19] != '\0' && p[19] != '/'))
		return 0;
	int get = emu_method_is(r, "GET"), post = emu_method_is(r, "POST"),
	    del = emu_method_is(r, "DELETE");
	const char *rest = p + 19;
	if (!*rest) {
		if (post)
			*ret = register_hook(r);
		else if (get)
			*ret = list_hooks(r);
		else
			*ret = emu_respond_not_found(r);
		return 1;
	}
	rest++; /* after the slash */
	if (strcmp(rest, "deliveries") == 0) {
		if (get)
			*ret = deliveries(r);
		else if (del)
			*ret = clear_deliveries(r);
		else
			*ret = emu_respond_not_found(r);
		return 1;
	}
	char id[WH_ID_MAX + 1];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (n == 0 || n > WH_ID_MAX) {
		*ret = emu_respond_not_found(r);
		return 1;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	if (!slash && del)
		*ret = delete_hook(r, id);
	else if (slash && post && strcmp(slash, "/deliver") == 0)
		*ret = deliver(r, id);
	else if (slash && post && strcmp(slash, "/verify") == 0)
		*ret = verify_and_answer(r, id);
	else if (slash && post && strcmp(slash, "/delivery") == 0)
		*ret = delivery_settings(r, id);
	else
		*ret = emu_respond_not_found(r);
	return 1;
}
