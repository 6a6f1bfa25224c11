#define _GNU_SOURCE
/* JSON: parsing with a nesting limit, and the snake_case renaming of
 * the keys of answers. */
#include <limits.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

char *sc__snake_case(const char *name)
{
	sc_buf b;
	size_t i, n = strlen(name);
	int has_lower = 0;

	/* keys without a lower-case letter are data, not field names
	 * (the makes of the compatibility matrix: "TESLA", "NISSAN") */
	for (i = 0; i < n; i++)
		if (islower((unsigned char)name[i]))
			has_lower = 1;
	if (!has_lower)
		return sc__strdup(name);

	sc__buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (isupper(c)) {
			int prev_lower = i > 0 &&
					 (islower((unsigned char)name[i - 1]) ||
					  isdigit((unsigned char)name[i - 1]));
			int next_lower = i > 0 && i + 1 < n &&
					 isupper((unsigned char)name[i - 1]) &&
					 islower((unsigned char)name[i + 1]);
			if ((prev_lower || next_lower) &&
			    sc__buf_putc(&b, '_') < 0)
				goto fail;
			c = (unsigned char)tolower(c);
		}
		if (sc__buf_putc(&b, (char)c) < 0)
			goto fail;
	}
	return sc__buf_detach(&b);
fail:
	sc__buf_free(&b);
	return NULL;
}

/* sc__json_snake on the tree itself: only keys with both cases change */
int sc__json_snake_in_place(cJSON *v)
{
	cJSON *child;
	int object = cJSON_IsObject(v);

	if (!object && !cJSON_IsArray(v))
		return 0;
	cJSON_ArrayForEach (child, v) {
		if (object && child->string &&
		    !(child->type & cJSON_StringIsConst)) {
			const char *k = child->string;
			int upper = 0, lower = 0;
			for (; *k; k++) {
				upper |= isupper((unsigned char)*k) != 0;
				lower |= islower((unsigned char)*k) != 0;
			}
			if (upper && lower) {
				char *key = sc__snake_case(child->string);
				size_t n = key ? strlen(key) + 1 : 0;
				char *own = key ? cJSON_malloc(n) : NULL;
				if (!own) {
					free(key);
					return -1;
				}
				memcpy(own, key, n);
				free(key);
				cJSON_free(child->string);
				child->string = own;
			}
		}
		if (sc__json_snake_in_place(child) < 0)
			return -1;
	}
	return 0;
}

cJSON *sc__json_snake(const cJSON *v)
{
	cJSON *out, *child;

	if (cJSON_IsObject(v)) {
		out = cJSON_CreateObject();
		if (!out)
			return NULL;
		cJSON_ArrayForEach (child, v) {
			char *key = sc__snake_case(child->string);
			cJSON *c = sc__json_snake(child);
			if (!key || !c) {
				free(key);
				cJSON_Delete(c);
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToObject(out, key, c);
			free(key);
		}
		return out;
	}
	if (cJSON_IsArray(v))
		return sc__json_map(v, sc__json_snake);
	return cJSON_Duplicate(v, 1);
}

int sc__json_int(const cJSON *v, int dflt)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= INT_MIN &&
				     v->valuedouble <= INT_MAX))
		return dflt;
	return (int)v->valuedouble;
}

cJSON *sc__json_map(const cJSON *v, cJSON *(*fn)(const cJSON *))
{
	cJSON *out = cJSON_CreateArray(), *child;

	if (!out)
		return NULL;
	cJSON_ArrayForEach (child, v) {
		cJSON *c = fn(child);
		if (!c) {
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_AddItemToArray(out, c);
	}
	return out;
}

/* 1 when no array or object of the text nests deeper than max: bindings
 * convert JSON recursively, so a hostile server must not choose the
 * depth (Smartcar's answers nest a few levels). */
static int json_depth_ok(const char *p, size_t len, int max)
{
	const char *end = p + len;
	int depth = 0, in_str = 0;

	for (; p < end; p++) {
		if (in_str) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				in_str = 0;
		} else if (*p == '"') {
			in_str = 1;
		} else if (*p == '[' || *p == '{') {
			if (++depth > max)
				return 0;
		} else if (*p == ']' || *p == '}') {
			depth--;
		}
	}
	return 1;
}

cJSON *sc__json_parse_whole(const char *data, size_t len, const char **end)
{
	/* Explicit length and end pointer: cJSON's global error pointer is
	 * never consulted, so parsing is safe from any thread. */
	cJSON *v = cJSON_ParseWithLengthOpts(data, len, end, 0);

	while (v && *end < data + len &&
	       (**end == ' ' || **end == '\n' || **end == '\r' ||
		**end == '\t' || **end == '\0'))
		(*end)++;
	if (v && *end != data + len) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

cJSON *sc__json_parse(const char *data, size_t len)
{
	const char *end = NULL;

	if (!data || len == 0 || !json_depth_ok(data, len, SC_JSON_MAX_DEPTH))
		return NULL;
	return sc__json_parse_whole(data, len, &end);
}
