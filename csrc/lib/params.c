/* sc_params: an ordered bag of named string parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

struct sc_params {
	char **keys;
	char **values;
	size_t n;
	size_t cap;
};

int sc_params_new(sc_params **out)
{
	if (!out)
		return SC_EINVAL;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : SC_ENOMEM;
}

void sc_params_free(sc_params *p)
{
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->keys[i]);
		/* values may be tokens or codes */
		sc__wipe_free(p->values[i]);
	}
	free(p->keys);
	free(p->values);
	free(p);
}

static long find(const sc_params *p, const char *key)
{
	size_t i;
	for (i = 0; p && i < p->n; i++)
		if (strcmp(p->keys[i], key) == 0)
			return (long)i;
	return -1;
}

int sc_params_set(sc_params *p, const char *key, const char *value)
{
	long i;
	char *v;

	if (!p || !key)
		return SC_EINVAL;
	i = find(p, key);
	if (!value) {
		if (i >= 0) {
			free(p->keys[i]);
			sc__wipe_free(p->values[i]);
			memmove(&p->keys[i], &p->keys[i + 1],
				(p->n - (size_t)i - 1) * sizeof(char *));
			memmove(&p->values[i], &p->values[i + 1],
				(p->n - (size_t)i - 1) * sizeof(char *));
			p->n--;
		}
		return 0;
	}
	v = sc__strdup(value);
	if (!v)
		return SC_ENOMEM;
	if (i >= 0) {
		sc__wipe_free(p->values[i]);
		p->values[i] = v;
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		char **k = realloc(p->keys, cap * sizeof(char *));
		char **vv;
		if (!k) {
			free(v);
			return SC_ENOMEM;
		}
		p->keys = k;
		vv = realloc(p->values, cap * sizeof(char *));
		if (!vv) {
			free(v);
			return SC_ENOMEM;
		}
		p->values = vv;
		p->cap = cap;
	}
	p->keys[p->n] = sc__strdup(key);
	if (!p->keys[p->n]) {
		free(v);
		return SC_ENOMEM;
	}
	p->values[p->n++] = v;
	return 0;
}

int sc_params_set_int(sc_params *p, const char *key, long long value)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", value);
	return sc_params_set(p, key, num);
}

const char *sc_params_get(const sc_params *p, const char *key)
{
	long i;
	if (!p || !key)
		return NULL;
	i = find(p, key);
	return i >= 0 ? p->values[i] : NULL;
}

size_t sc_params_count(const sc_params *p)
{
	return p ? p->n : 0;
}

int sc_params_at(const sc_params *p, size_t i, const char **key_out,
		 const char **value_out)
{
	if (!p || i >= p->n)
		return SC_EINVAL;
	if (key_out)
		*key_out = p->keys[i];
	if (value_out)
		*value_out = p->values[i];
	return 0;
}

/* The source's keys are already distinct: the copy takes them in one
 * pass, without looking each one up again. */
int sc__params_copy(sc_params **out, const sc_params *src)
{
	size_t i, n = src ? src->n : 0;
	sc_params *p;
	int rc = sc_params_new(out);

	if (rc < 0 || n == 0)
		return rc;
	p = *out;
	p->keys = malloc(n * sizeof(char *));
	p->values = malloc(n * sizeof(char *));
	p->cap = n;
	for (i = 0; p->keys && p->values && i < n; i++) {
		p->keys[i] = sc__strdup(src->keys[i]);
		p->values[i] = sc__strdup(src->values[i]);
		if (!p->keys[i] || !p->values[i]) {
			free(p->keys[i]);
			free(p->values[i]);
			break;
		}
		p->n++;
	}
	if (p->n < n) {
		sc_params_free(p);
		*out = NULL;
		return SC_ENOMEM;
	}
	return 0;
}

/* ---- feature flags ---------------------------------------------------- */

static int flag_text_ok(const char *s, int key)
{
	if (key && !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f ||
		    (key && *s == ':'))
			return 0;
	return 1;
}

int sc_flags_format(char **out, const sc_params *flags, sc_error **err_out)
{
	size_t i, len = 1, *order;
	char *text, *w;

	if (!out || !flags)
		return sc__invalid(err_out, "out and flags are required");
	*out = NULL;
	for (i = 0; i < flags->n; i++) {
		if (!flag_text_ok(flags->keys[i], 1))
			return sc__invalid(err_out, "flag names must be "
					   "non-empty, without spaces, "
					   "colons or control characters");
		if (!flag_text_ok(flags->values[i], 0))
			return sc__invalid(err_out, "flag values must not "
					   "contain spaces or control "
					   "characters");
		len += strlen(flags->keys[i]) + strlen(flags->values[i]) + 2;
	}
	order = malloc((flags->n ? flags->n : 1) * sizeof(*order));
	text = malloc(len);
	if (!order || !text) {
		free(order);
		free(text);
		if (err_out && !*err_out)
			*err_out = sc__error_new(SC_ENOMEM, NULL);
		return SC_ENOMEM;
	}
	/* one key order in every binding (Lua tables have none): keys in
	 * byte order, by insertion sort (a handful of flags) */
	for (i = 0; i < flags->n; i++) {
		size_t j = i;
		while (j > 0 && strcmp(flags->keys[order[j - 1]],
				       flags->keys[i]) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	w = text;
	for (i = 0; i < flags->n; i++)
		w += sprintf(w, "%s%s:%s", i ? " " : "",
			     flags->keys[order[i]], flags->values[order[i]]);
	*w = '\0';
	free(order);
	*out = text;
	return 0;
}
