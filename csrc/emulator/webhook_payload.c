/* Webhook delivery bodies (v2 and v4) built from a vehicle's live
 * state: the VEHICLE_STATE signals and the charge events. */
#include "webhooks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* x rounded to `decimals` places: the nearest double to a short decimal,
 * which both cJSON and JavaScript print the same way. */
static double round_dec(double x, int decimals)
{
	double p = 1;
	for (int i = 0; i < decimals; i++)
		p *= 10;
	double v = round(x * p) / p;
	return v == 0 ? 0 : v; /* no -0 */
}

static void signal_ok(cJSON *s, cJSON *body, int64_t now)
{
	cJSON_AddItemToObject(s, "body", body);
	cJSON *st = cJSON_AddObjectToObject(s, "status");
	cJSON_AddStringToObject(st, "value", "SUCCESS");
	cJSON *m = cJSON_AddObjectToObject(s, "meta");
	cJSON_AddNumberToObject(m, "retrievedAt", (double)now);
	cJSON_AddNumberToObject(m, "oemUpdatedAt", (double)now);
}

static void signal_not_capable(cJSON *s)
{
	cJSON *st = cJSON_AddObjectToObject(s, "status");
	cJSON_AddStringToObject(st, "value", "ERROR");
	cJSON *e = cJSON_AddObjectToObject(st, "error");
	cJSON_AddStringToObject(e, "type", "COMPATIBILITY");
	cJSON_AddStringToObject(e, "code", "VEHICLE_NOT_CAPABLE");
}

/* Appends the signal group/name to list: with body (taken over) a
 * success, without (NULL: the vehicle lacks it) VEHICLE_NOT_CAPABLE. */
static void add_signal(cJSON *list, const char *group, const char *name,
		       cJSON *body, int64_t now)
{
	char code[96];
	snprintf(code, sizeof code, "%s-%s", group, name);
	for (char *p = code; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "code", code);
	cJSON_AddStringToObject(s, "name", name);
	cJSON_AddStringToObject(s, "group", group);
	cJSON_AddItemToArray(list, s);
	if (body)
		signal_ok(s, body, now);
	else
		signal_not_capable(s);
}

static cJSON *unit_value(const char *unit, double v)
{
	cJSON *b = cJSON_CreateObject();
	if (unit)
		cJSON_AddStringToObject(b, "unit", unit);
	cJSON_AddNumberToObject(b, "value", v);
	return b;
}

static cJSON *bool_value(int value)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddBoolToObject(b, "value", value != 0);
	return b;
}

/* A 0..1 fraction as {"unit": "percent", "value"}. */
static cJSON *percent(double fraction)
{
	return unit_value("percent", round_dec(fraction * 100, 2));
}

/* The signals a VEHICLE_STATE delivery carries, from the live state.
 * Numbers are rounded so that compact JSON from cJSON and JavaScript's
 * JSON.stringify agree (the Node SDK re-serialises before verifying).
 * State lock held. */
static cJSON *signals_json(const emu_vehicle *v, int64_t now)
{
	cJSON *a = cJSON_CreateArray();
	int ev = v->engine != EMU_ICE, ice = v->engine != EMU_BEV;
	add_signal(a, "Odometer", "TraveledDistance",
		   unit_value("kilometers", round_dec(v->odometer_km, 1)), now);
	cJSON *loc = cJSON_CreateObject();
	cJSON_AddNumberToObject(loc, "latitude", round_dec(v->latitude, 6));
	cJSON_AddNumberToObject(loc, "longitude", round_dec(v->longitude, 6));
	cJSON_AddNumberToObject(loc, "heading", round_dec(v->heading_deg, 1));
	add_signal(a, "Location", "PreciseLocation", loc, now);
	add_signal(a, "TractionBattery", "StateOfCharge",
		   ev ? percent(v->battery) : NULL, now);
	add_signal(a, "Charge", "IsCharging", ev ? bool_value(v->charging) : NULL,
		   now);
	add_signal(a, "Charge", "IsChargingCableConnected",
		   ev ? bool_value(v->plugged_in) : NULL, now);
	add_signal(a, "Charge", "ActiveLimit",
		   ev ? percent(v->charge_limit) : NULL, now);
	add_signal(a, "InternalCombustionEngine", "FuelLevel",
		   ice ? percent(v->fuel) : NULL, now);
	add_signal(a, "Closure", "IsLocked", bool_value(v->locked), now);
	return a;
}

static const char *upper_mode(const char *m)
{
	if (m && strcmp(m, "test") == 0)
		return "TEST";
	if (m && strcmp(m, "simulated") == 0)
		return "SIMULATED";
	return "LIVE";
}

/* The charge event a v2 delivery reports when none was asked for. */
static const char *charge_event(const emu_vehicle *v)
{
	if (v->charging)
		return "CHARGING_STARTED";
	if (v->plugged_in && v->engine != EMU_ICE &&
	    v->battery >= v->charge_limit - 1e-9)
		return "CHARGING_COMPLETED";
	return "CHARGING_STOPPED";
}

int wh_is_charge_event(const char *e)
{
	return strcmp(e, "CHARGING_STARTED") == 0 ||
	       strcmp(e, "CHARGING_STOPPED") == 0 ||
	       strcmp(e, "CHARGING_COMPLETED") == 0;
}

/* {code: body, or status when there is no body} of a signal list: what
 * a subscription was sent, to tell which signals changed since. */
static cJSON *values_of(const cJSON *sigs)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *s;
	cJSON_ArrayForEach(s, sigs)
	{
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(s, "code");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "body");
		if (!v)
			v = cJSON_GetObjectItemCaseSensitive(s, "status");
		if (cJSON_IsString(code) && v)
			cJSON_AddItemToObject(o, code->valuestring,
					      cJSON_Duplicate(v, 1));
	}
	return o;
}

/* One SIGNAL_UPDATED trigger per signal of sigs whose value differs from
 * prev (all of them when prev is NULL); returns how many. */
static int changed_triggers(cJSON *tr, const cJSON *sigs, const cJSON *now,
			    const cJSON *prev)
{
	int n = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, sigs)
	{
		const char *code = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(s, "code"));
		if (!code)
			continue;
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(now, code);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(prev, code);
		if (prev && a && b && cJSON_Compare(a, b, 1))
			continue;
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "type", "SIGNAL_UPDATED");
		cJSON *sg = cJSON_AddObjectToObject(t, "signal");
		static const char *const keys[] = { "code", "name", "group" };
		for (int i = 0; i < 3; i++)
			cJSON_AddItemToObject(
				sg, keys[i],
				cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(
							s, keys[i]),
						1));
		cJSON_AddItemToArray(tr, t);
		n++;
	}
	return n;
}

/* Builds the delivery body for one vehicle; NULL when the vehicle is gone
 * or (event SIGNAL_UPDATED) nothing changed.  event: NULL (default for
 * the version), a CHARGING_* event, VEHICLE_STATE or SIGNAL_UPDATED (v4
 * only: sent only when a signal changed). *event_type gets what was sent;
 * *values (v4) what the subscription now knows.  Takes the state lock. */
char *wh_payload(const char *hook_id, const char *hook_name, int version,
		 const char *vehicle_id, const char *event, int first,
		 const char *prev_text, char **values, char event_type[32])
{
	int on_change = event && strcmp(event, "SIGNAL_UPDATED") == 0;
	*values = NULL;
	if (on_change && version == 2)
		return NULL; /* v2 webhooks get charge events only */
	char event_id[37], delivery_id[37], when[32];
	emu_uuid_random(event_id);
	emu_uuid_random(delivery_id);
	cJSON *o = cJSON_CreateObject();
	emu_lock();
	emu_user *owner = NULL;
	int index = -1;
	emu_vehicle *v = emu_vehicle_find(vehicle_id, &owner, &index);
	if (!v || !owner) {
		emu_unlock();
		cJSON_Delete(o);
		return NULL;
	}
	int64_t now = emu_now_ms();
	emu_vehicle_sync(v, now);
	const char *mode = emu_connection_mode(owner->id, v->id);
	if (version == 2) {
		const char *ev = event && wh_is_charge_event(event)
					 ? event
					 : charge_event(v);
		snprintf(event_type, 32, "%s", ev);
		emu_iso8601(when, now);
		cJSON_AddStringToObject(o, "version", "2.0");
		cJSON_AddStringToObject(o, "webhookId", hook_id);
		cJSON_AddStringToObject(o, "eventName", "eventBased");
		cJSON_AddStringToObject(o, "mode", mode ? mode : "live");
		cJSON *p = cJSON_AddObjectToObject(o, "payload");
		cJSON_AddStringToObject(p, "eventId", event_id);
		cJSON_AddStringToObject(p, "vehicleId", v->id);
		cJSON_AddStringToObject(p, "eventType", ev);
		cJSON_AddStringToObject(p, "eventTime", when);
	} else {
		snprintf(event_type, 32, "VEHICLE_STATE");
		cJSON_AddStringToObject(o, "eventId", event_id);
		cJSON_AddStringToObject(o, "eventType", "VEHICLE_STATE");
		cJSON *data = cJSON_AddObjectToObject(o, "data");
		cJSON *u = cJSON_AddObjectToObject(data, "user");
		cJSON_AddStringToObject(u, "id", owner->id);
		cJSON *veh = cJSON_AddObjectToObject(data, "vehicle");
		cJSON_AddStringToObject(veh, "id", v->id);
		cJSON_AddStringToObject(veh, "make", v->make);
		cJSON_AddStringToObject(veh, "model", v->model);
		cJSON_AddNumberToObject(veh, "year", v->year);
		cJSON *sigs = signals_json(v, now);
		int count = cJSON_GetArraySize(sigs);
		cJSON_AddItemToObject(data, "signals", sigs);
		cJSON *now_values = values_of(sigs);
		cJSON *prev = prev_text ? cJSON_Parse(prev_text) : NULL;
		cJSON *tr = cJSON_AddArrayToObject(o, "triggers");
		int changed = first ? 0 : changed_triggers(tr, sigs, now_values,
							   prev);
		cJSON_Delete(prev);
		*values = wh_print(now_values);
		if (on_change && !first && !changed) {
			emu_unlock();
			cJSON_Delete(o);
			free(*values);
			*values = NULL;
			return NULL;
		}
		if (first) {
			cJSON *t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "type", "FIRST_DELIVERY");
			cJSON_AddItemToArray(tr, t);
		} else if (!changed) {
			/* nothing changed since the last delivery (one asked
			 * for through the control API): charge events point at
			 * the charging signal, others at the odometer */
			int charge = event && wh_is_charge_event(event);
			cJSON *t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "type", "SIGNAL_UPDATED");
			cJSON *sg = cJSON_AddObjectToObject(t, "signal");
			cJSON_AddStringToObject(
				sg, "code",
				charge ? "charge-ischarging"
				       : "odometer-traveleddistance");
			cJSON_AddStringToObject(sg, "name",
						charge ? "IsCharging"
						       : "TraveledDistance");
			cJSON_AddStringToObject(sg, "group",
						charge ? "Charge" : "Odometer");
			cJSON_AddItemToArray(tr, t);
		}
		cJSON *m = cJSON_AddObjectToObject(o, "meta");
		cJSON_AddStringToObject(m, "version", "4.0");
		cJSON_AddStringToObject(m, "deliveryId", delivery_id);
		cJSON_AddNumberToObject(m, "deliveredAt", (double)now);
		cJSON_AddStringToObject(m, "webhookId", hook_id);
		cJSON_AddStringToObject(m, "webhookName", hook_name);
		cJSON_AddNumberToObject(m, "signalCount", count);
		cJSON_AddStringToObject(m, "mode", upper_mode(mode));
	}
	emu_unlock();
	return wh_print(o);
}
