/* Error codes (from errors.def) and the sc_error detail object.  Every
 * field lives in one cJSON object so that C getters and the bindings'
 * converters read the same data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

struct code_info {
	int code;
	const char *kind;
	const char *message;
};

static const struct code_info codes[] = {
#define SC_ERROR(sym, val, kind, msg) { val, kind, msg },
#include "smartcar/errors.def"
#undef SC_ERROR
};

static const struct code_info *lookup(int code)
{
	size_t i;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return &codes[i];
	return NULL;
}

const char *sc_strerror(int code)
{
	const struct code_info *c;
	if (code == 0)
		return "success";
	c = lookup(code);
	return c ? c->message : "unknown error";
}

const char *sc_code_kind(int code)
{
	const struct code_info *c = lookup(code);
	return c ? c->kind : NULL;
}

static void sync_message(sc_error *e)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(e->obj, "message");
	e->message = cJSON_IsString(m) ? m->valuestring : NULL;
}

sc_error *sc__error_new(int code, const char *message)
{
	sc_error *e = calloc(1, sizeof(*e));
	const char *kind = sc_code_kind(code);

	if (!e)
		return NULL;
	e->code = code;
	e->obj = cJSON_CreateObject();
	if (!e->obj ||
	    !cJSON_AddStringToObject(e->obj, "kind", kind ? kind : "unknown") ||
	    !cJSON_AddStringToObject(e->obj, "message",
				     message ? message : sc_strerror(code)) ||
	    !cJSON_AddNumberToObject(e->obj, "attempts", 0)) {
		cJSON_Delete(e->obj);
		free(e);
		return NULL;
	}
	sync_message(e);
	return e;
}

int sc__error_set_item(sc_error *e, const char *field, cJSON *item)
{
	if (!item)
		return SC_ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(e->obj, field)) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(e->obj, field,
							    item)) {
			cJSON_Delete(item);
			return SC_ENOMEM;
		}
	} else if (!cJSON_AddItemToObject(e->obj, field, item)) {
		cJSON_Delete(item);
		return SC_ENOMEM;
	}
	sync_message(e);
	return 0;
}

int sc__error_set(sc_error *e, const char *field, const char *value)
{
	/* absent and null are the same to callers: keep the key out, so
	 * bindings see None / nil rather than a null sentinel */
	if (!value) {
		cJSON_DeleteItemFromObjectCaseSensitive(e->obj, field);
		sync_message(e);
		return 0;
	}
	return sc__error_set_item(e, field, cJSON_CreateString(value));
}

int sc__error_set_number(sc_error *e, const char *field, double value)
{
	return sc__error_set_item(e, field, cJSON_CreateNumber(value));
}

int sc__error_set_message(sc_error *e, const char *message)
{
	return sc__error_set(e, "message", message);
}

static void redact_tree(cJSON *v, const char *const *secrets, size_t n)
{
	cJSON *child;

	if (cJSON_IsString(v) && v->valuestring) {
		char *r = sc__redact(v->valuestring, secrets, n);
		if (r && strcmp(r, v->valuestring) != 0) {
			sc__wipe_free(v->valuestring);
			v->valuestring = r;
		} else if (!r) {
			/* no memory to redact: drop the text rather than leak */
			v->valuestring[0] = '\0';
		} else {
			free(r);
		}
		return;
	}
	cJSON_ArrayForEach(child, v)
		redact_tree(child, secrets, n);
}

void sc__error_redact(sc_error *e, const char *const *secrets, size_t n)
{
	if (!e || n == 0)
		return;
	redact_tree(e->obj, secrets, n);
	sync_message(e);
}

int sc_error_code(const sc_error *err)
{
	return err ? err->code : 0;
}

const char *sc_error_message(const sc_error *err)
{
	return err ? err->message : NULL;
}

int sc_error_message_of(char **out, const char *type, const char *code,
			const char *description)
{
	const char *d = description ? description : "";
	size_t n = strlen(d) + 16;

	if (!out)
		return SC_EINVAL;
	n += (type ? strlen(type) : 0) + (code ? strlen(code) : 0);
	if (!(*out = malloc(n)))
		return SC_ENOMEM;
	if (type && *type && code && *code)
		snprintf(*out, n, "%s:%s - %s", type, code, d);
	else if (type && *type)
		snprintf(*out, n, "%s - %s", type, d);
	else
		snprintf(*out, n, "%s", *d ? d : "Smartcar error");
	return 0;
}

const char *sc_error_get(const sc_error *err, const char *field)
{
	cJSON *v;

	if (!err || !field)
		return NULL;
	if (strcmp(field, "resolution_type") == 0 ||
	    strcmp(field, "resolution_url") == 0) {
		cJSON *r = cJSON_GetObjectItemCaseSensitive(err->obj,
							    "resolution");
		v = cJSON_GetObjectItemCaseSensitive(r, field + 11);
	} else {
		v = cJSON_GetObjectItemCaseSensitive(err->obj, field);
	}
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double number_field(const sc_error *err, const char *field,
			   double dflt)
{
	cJSON *v;
	if (!err)
		return dflt;
	v = cJSON_GetObjectItemCaseSensitive(err->obj, field);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static int int_field(const sc_error *err, const char *field)
{
	return err ? sc__json_int(cJSON_GetObjectItemCaseSensitive(err->obj,
								   field), 0)
		   : 0;
}

int sc_error_status_code(const sc_error *err)
{
	return int_field(err, "status_code");
}

double sc_error_retry_after(const sc_error *err)
{
	return number_field(err, "retry_after", -1);
}

int sc_error_attempts(const sc_error *err)
{
	return int_field(err, "attempts");
}

const cJSON *sc_error_object(const sc_error *err)
{
	return err ? err->obj : NULL;
}

int sc_error_to_json(char **out, const sc_error *err)
{
	char *s;

	if (!out || !err)
		return SC_EINVAL;
	s = cJSON_PrintUnformatted(err->obj);
	if (!s)
		return SC_ENOMEM;
	*out = s;
	return 0;
}

void sc_error_free(sc_error *err)
{
	if (!err)
		return;
	cJSON_Delete(err->obj);
	free(err);
}
