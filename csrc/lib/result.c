/* sc_result: the data of a finished call, or its error. */
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

sc_result *sc__result_ok(cJSON *data)
{
	sc_result *r = calloc(1, sizeof(*r));
	if (!r) {
		cJSON_Delete(data);
		return NULL;
	}
	r->data = data;
	return r;
}

sc_result *sc__result_err(sc_error *err)
{
	sc_result *r;

	if (!err)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		sc_error_free(err);
		return NULL;
	}
	r->code = err->code;
	r->error = err;
	return r;
}

sc_result *sc__result_code(int code, const char *message)
{
	return sc__result_err(sc__error_new(code, message));
}

const cJSON *sc_result_data(const sc_result *res)
{
	return res && !res->error ? res->data : NULL;
}

const sc_error *sc_result_error(const sc_result *res)
{
	return res ? res->error : NULL;
}

static const cJSON *walk(const sc_result *res, const char *path)
{
	const cJSON *cur;
	char seg[128];

	if (!res || !path || res->error)
		return NULL;
	cur = res->data;
	while (cur && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (cJSON_IsArray(cur)) {
			char *end;
			long idx = strtol(seg, &end, 10);
			if (*end || idx < 0)
				return NULL;
			cur = cJSON_GetArrayItem(cur, (int)idx);
		} else {
			cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		}
		path += n;
		if (*path == '.')
			path++;
	}
	return cur;
}

const char *sc_result_get_string(const sc_result *res, const char *path)
{
	const cJSON *v = walk(res, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sc_result_get_number(const sc_result *res, const char *path, double *out)
{
	const cJSON *v = walk(res, path);
	if (!cJSON_IsNumber(v))
		return SC_EINVAL;
	if (out)
		*out = v->valuedouble;
	return 0;
}

int sc_result_to_json(char **out, const sc_result *res)
{
	char *s;

	if (!out || !res)
		return SC_EINVAL;
	if (res->error)
		return sc_error_to_json(out, res->error);
	s = cJSON_PrintUnformatted(res->data);
	if (!s)
		return SC_ENOMEM;
	*out = s;
	return 0;
}

static void wipe_strings(cJSON *v)
{
	cJSON *c;
	if (cJSON_IsString(v) && v->valuestring)
		sc__wipe(v->valuestring, strlen(v->valuestring));
	cJSON_ArrayForEach(c, v)
		wipe_strings(c);
}

void sc_result_free(sc_result *res)
{
	if (!res)
		return;
	/* token sets live here: zero them before the memory is reused */
	wipe_strings(res->data);
	cJSON_Delete(res->data);
	sc_error_free(res->error);
	free(res);
}

void sc_free(void *ptr)
{
	free(ptr);
}
