/* /_emulator/ control API: health, reset, clock, scripted Connect, faults,
 * received requests, vehicles and their state, limits, the error
 * catalogue. */
#include "emu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result clock_json(emu_req *r)
{
	int64_t now = emu_now_ms(), off = emu_clock_offset_ms();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(
		o, "now", (double)(now >= 0 ? now / 1000 : (now - 999) / 1000));
	cJSON_AddNumberToObject(o, "offset", (double)off / 1000.0);
	cJSON_AddBoolToObject(o, "frozen", emu_clock_frozen());
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

/* {"advance": s} and/or {"set": unix s} and/or {"freeze": bool} */
static enum MHD_Result clock_change(emu_req *r)
{
	cJSON *j = emu_body_json(r);
	cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "advance");
	cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "set");
	cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "freeze");
	const char *field = NULL, *msg = NULL;
	if (!a && !s && !f) {
		field = "advance";
		msg = "advance must be a number of seconds.";
	} else if (a && (!cJSON_IsNumber(a) || !isfinite(a->valuedouble) ||
			 fabs(a->valuedouble) > 1e12)) {
		field = "advance";
		msg = "advance must be a number of seconds.";
	} else if (s && (!cJSON_IsNumber(s) || !(s->valuedouble >= 0) ||
			 s->valuedouble > 253402300799.0)) {
		field = "set";
		msg = "set must be a unix time in seconds (0..253402300799).";
	} else if (f && !cJSON_IsBool(f)) {
		field = "freeze";
		msg = "freeze must be true or false.";
	}
	if (field) {
		cJSON_Delete(j);
		return emu_respond_validation(r, "PARAMETER", field, msg);
	}
	if (f && cJSON_IsTrue(f))
		emu_clock_freeze(1);
	if (s)
		emu_clock_set_ms((int64_t)llround(s->valuedouble * 1000.0));
	if (a)
		emu_clock_advance_ms((int64_t)llround(a->valuedouble * 1000.0));
	if (f && !cJSON_IsTrue(f))
		emu_clock_freeze(0);
	cJSON_Delete(j);
	return clock_json(r);
}

static enum MHD_Result bad_spec(emu_req *r, const char *field, const char *msg)
{
	return emu_respond_validation(r, "PARAMETER", field, msg);
}

/* ---------------------------------------------------- faults, requests */

static enum MHD_Result faults_add(emu_req *r)
{
	cJSON *j = emu_body_json(r), *out = NULL;
	const char *field = NULL;
	char msg[256];
	int rc = emu_fault_add(j, &out, &field, msg, sizeof msg);
	cJSON_Delete(j);
	if (rc)
		return bad_spec(r, field, msg);
	return emu_respond_json(r, MHD_HTTP_OK, out, NULL, 0);
}

static enum MHD_Result requests_enable(emu_req *r)
{
	cJSON *j = emu_body_json(r);
	cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "enabled");
	int ok = cJSON_IsBool(e);
	if (ok)
		emu_requests_enable(cJSON_IsTrue(e));
	cJSON_Delete(j);
	if (!ok)
		return bad_spec(r, "enabled", "enabled must be true or false.");
	return emu_respond_status(r, "success");
}

/* ------------------------------------------------------------- vehicles */

static cJSON *vehicle_json(emu_user *u, emu_vehicle *v, int64_t now)
{
	emu_vehicle_sync(v, now);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", v->id);
	cJSON_AddStringToObject(o, "make", v->make);
	cJSON_AddStringToObject(o, "model", v->model);
	cJSON_AddNumberToObject(o, "year", v->year);
	cJSON_AddStringToObject(o, "vin", v->vin);
	cJSON_AddStringToObject(o, "kind", emu_engine_name(v->engine));
	cJSON_AddStringToObject(o, "owner_email", u->email);
	cJSON_AddStringToObject(o, "owner_id", u->id);
	cJSON_AddItemToObject(o, "state", emu_vehicle_state_json(v));
	return o;
}

/* GET /_emulator/vehicles[?email=]: every known owner's fleet, oldest
 * owner first; email picks one owner (derived on first use). */
static enum MHD_Result vehicles_list(emu_req *r)
{
	const char *email = emu_kv_get(&r->query, "email");
	cJSON *o = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(o, "vehicles");
	emu_lock();
	int64_t now = emu_now_ms();
	size_t n = 0;
	for (emu_user *u = emu_users(); u; u = u->next)
		n++;
	emu_user **all = emu_xmalloc((n ? n : 1) * sizeof *all);
	n = 0;
	if (email && *email) {
		all[n++] = emu_user_get(email);
	} else {
		for (emu_user *u = emu_users(); u; u = u->next)
			all[n++] = u;
	}
	for (size_t i = n; i-- > 0;)
		for (int k = 0; k < all[i]->n_vehicles; k++)
			cJSON_AddItemToArray(
				a, vehicle_json(all[i], &all[i]->vehicles[k],
						now));
	emu_unlock();
	free(all);
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

/* GET or POST /_emulator/vehicles/{id} (POST: state fields to set). */
static enum MHD_Result vehicle_one(emu_req *r, const char *id, int post)
{
	cJSON *j = post ? emu_body_json(r) : NULL;
	const char *field = NULL;
	char msg[256];
	cJSON *out = NULL;
	int rc = 0, found;
	emu_lock();
	emu_user *u = NULL;
	emu_vehicle *v = emu_vehicle_find(id, &u, NULL);
	found = v != NULL;
	if (v) {
		emu_vehicle_sync(v, emu_now_ms());
		if (post)
			rc = emu_vehicle_apply(v, j, &field, msg, sizeof msg);
		if (rc == 0)
			out = vehicle_json(u, v, emu_now_ms());
	}
	emu_unlock();
	enum MHD_Result ret =
		!found ? emu_respond_not_found(r)
		: rc   ? bad_spec(r, field, msg) /* field is in j */
		       : emu_respond_json(r, MHD_HTTP_OK, out, NULL, 0);
	cJSON_Delete(j);
	return ret;
}

/* --------------------------------------------------------------- limits */

static enum MHD_Result limits(emu_req *r, int post)
{
	cJSON *j = post ? emu_body_json(r) : NULL;
	const char *field = NULL;
	char msg[256];
	int rc = 0;
	cJSON *out = NULL;
	emu_lock();
	if (post)
		rc = emu_limits_set(j, &field, msg, sizeof msg);
	if (!rc)
		out = emu_limits_json();
	emu_unlock();
	cJSON_Delete(j);
	if (rc)
		return bad_spec(r, field, msg);
	return emu_respond_json(r, MHD_HTTP_OK, out, NULL, 0);
}

/* GET /_emulator/errors: the catalogue, for tests that walk every error. */
static enum MHD_Result errors_list(emu_req *r)
{
	size_t n;
	const emu_error_def *d = emu_error_catalogue(&n);
	cJSON *o = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(o, "errors");
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "type", d[i].type);
		emu_json_str_or_null(e, "code", d[i].code);
		cJSON_AddNumberToObject(e, "status", d[i].status);
		emu_json_str_or_null(e, "resolution", d[i].resolution);
		cJSON_AddItemToArray(a, e);
	}
	return emu_respond_json(r, MHD_HTTP_OK, o, NULL, 0);
}

/* {"authorize_url", "action", "email"} -> {"location"} */
static enum MHD_Result scripted_connect(emu_req *r)
{
	cJSON *j;
	const cJSON *u, *a, *e;
	const emu_field fields[] = {
		{ "authorize_url", &u, cJSON_IsString, EMU_FIELD_REQUIRED,
		  "authorize_url must be a string." },
		{ "action", &a, NULL, 0, NULL },
		{ "email", &e, cJSON_IsString, EMU_FIELD_NULL_OK,
		  "email must be a string." },
	};
	enum MHD_Result refused;
	if (emu_body_fields(r, 0, fields, 3, &j, &refused) < 0)
		return refused;
	/* Accept a full Connect URL or just its query. */
	const char *url = u->valuestring, *q = strchr(url, '?');
	q = q ? q + 1 : url;
	const char *hash = strchr(q, '#');
	emu_kvlist query = { 0 };
	emu_kv_parse(&query, q, hash ? (size_t)(hash - q) : strlen(q));
	emu_connect_outcome o;
	emu_connect_decide(&query, cJSON_IsString(a) ? a->valuestring : NULL,
			   cJSON_IsString(e) ? e->valuestring : NULL, &o);
	enum MHD_Result ret;
	if (o.location) {
		cJSON *out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "location", o.location);
		ret = emu_respond_json(r, MHD_HTTP_OK, out, NULL, 0);
	} else {
		ret = emu_respond_validation(r, NULL, o.field, o.message);
	}
	emu_connect_outcome_free(&o);
	emu_kv_free(&query);
	cJSON_Delete(j);
	return ret;
}

enum MHD_Result emu_control_handle(emu_req *r)
{
	const char *p = r->path;
	int get = emu_method_is(r, "GET"), post = emu_method_is(r, "POST");
	int del = emu_method_is(r, "DELETE");
	if (strcmp(p, "/_emulator/health") == 0 && get)
		return emu_respond_status(r, "ok");
	if (strcmp(p, "/_emulator/reset") == 0 && post) {
		emu_lock();
		emu_state_reset();
		emu_unlock();
		return emu_respond_status(r, "success");
	}
	if (strcmp(p, "/_emulator/clock") == 0 && get)
		return clock_json(r);
	if (strcmp(p, "/_emulator/clock") == 0 && post)
		return clock_change(r);
	if (strcmp(p, "/_emulator/connect") == 0 && post)
		return scripted_connect(r);
	if (strcmp(p, "/_emulator/faults") == 0) {
		if (post)
			return faults_add(r);
		if (get)
			return emu_respond_json(r, MHD_HTTP_OK,
						emu_faults_json(), NULL, 0);
		if (del) {
			emu_faults_clear();
			return emu_respond_status(r, "success");
		}
	}
	if (strcmp(p, "/_emulator/requests") == 0) {
		if (get)
			return emu_respond_json(r, MHD_HTTP_OK,
						emu_requests_json(), NULL, 0);
		if (post)
			return requests_enable(r);
		if (del) {
			emu_requests_clear();
			return emu_respond_status(r, "success");
		}
	}
	if (strcmp(p, "/_emulator/vehicles") == 0 && get)
		return vehicles_list(r);
	if (strncmp(p, "/_emulator/vehicles/", 20) == 0 && (get || post) &&
	    !strchr(p + 20, '/'))
		return vehicle_one(r, p + 20, post);
	if (strcmp(p, "/_emulator/limits") == 0 && (get || post))
		return limits(r, post);
	if (strcmp(p, "/_emulator/errors") == 0 && get)
		return errors_list(r);
	return emu_respond_not_found(r);
}
