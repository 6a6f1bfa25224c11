/* sc_params: an ordered bag of named string parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* Entry i is "key\0value\0": keys[i] points at it and values[i] into
 * it.  keys and values share one array of 2 * cap.  The first entries
 * live inside the bag (INLINE_ENTRIES pointers, INLINE_TEXT bytes of
 * text, no allocation for the few parameters of a call); past that an
 * entry is one allocation and the array grows on the heap.  Text given
 * up inside the bag (an entry replaced or removed) is wiped, not reused. */
#define INLINE_ENTRIES 8
#define INLINE_TEXT 320

struct sc_params {
	char **keys;
	char **values;
	size_t n;
	size_t cap;
	size_t used;  /* bytes of text taken */
	char *inl[2 * INLINE_ENTRIES];
	char text[INLINE_TEXT];
};

int sc_params_new(sc_params **out)
{
	sc_params *p;

	if (!out)
		return SC_EINVAL;
	/* the inline storage needs no zeroing */
	*out = p = malloc(sizeof(**out));
	if (!p)
		return SC_ENOMEM;
	p->keys = p->inl;
	p->values = p->inl + INLINE_ENTRIES;
	p->n = 0;
	p->cap = INLINE_ENTRIES;
	p->used = 0;
	return 0;
}

static int inside(const sc_params *p, const char *e)
{
	return e >= p->text && e < p->text + INLINE_TEXT;
}

/* Wipe the value (it may be a token or a code), free the entry. */
static void free_entry(sc_params *p, char *key, char *value)
{
	sc__wipe(value, strlen(value));
	if (!inside(p, key))
		free(key);
}

void sc_params_free(sc_params *p)
{
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		if (!inside(p, p->keys[i]))
			free_entry(p, p->keys[i], p->values[i]);
	/* the bag's own text at once: its values, and keys beside them */
	sc__wipe(p->text, p->used);
	if (p->keys != p->inl)
		free(p->keys);
	free(p);
}

static long find(const sc_params *p, const char *key)
{
	size_t i;
	for (i = 0; p && i < p->n; i++)
		if (p->keys[i][0] == key[0] && strcmp(p->keys[i], key) == 0)
			return (long)i;
	return -1;
}

/* Room for cap entries (cap >= p->n). */
static int reserve(sc_params *p, size_t cap)
{
	char **a;
	if (cap <= p->cap)
		return 0;
	a = malloc(2 * cap * sizeof(char *));
	if (!a)
		return SC_ENOMEM;
	if (p->n) {
		memcpy(a, p->keys, p->n * sizeof(char *));
		memcpy(a + cap, p->values, p->n * sizeof(char *));
	}
	if (p->keys != p->inl)
		free(p->keys);
	p->keys = a;
	p->values = a + cap;
	p->cap = cap;
	return 0;
}

/* Entry i (i == p->n: a new one; the room is reserved) set to key and
 * value in one allocation. */
static int put(sc_params *p, size_t i, const char *key, const char *value)
{
	size_t kl = strlen(key) + 1, vl = strlen(value) + 1;
	char *e;

	if (p->used + kl + vl <= INLINE_TEXT) {
		e = p->text + p->used;
		p->used += kl + vl;
	} else if (!(e = malloc(kl + vl))) {
		return SC_ENOMEM;
	}
	memcpy(e, key, kl);
	memcpy(e + kl, value, vl);
	if (i < p->n)
		free_entry(p, p->keys[i], p->values[i]);
	else
		p->n++;
	p->keys[i] = e;
	p->values[i] = e + kl;
	return 0;
}

int sc_params_set(sc_params *p, const char *key, const char *value)
{
	long i;

	if (!p || !key)
		return SC_EINVAL;
	i = find(p, key);
	if (!value) {
		if (i >= 0) {
			free_entry(p, p->keys[i], p->values[i]);
			memmove(&p->keys[i], &p->keys[i + 1],
				(p->n - (size_t)i - 1) * sizeof(char *));
			memmove(&p->values[i], &p->values[i + 1],
				(p->n - (size_t)i - 1) * sizeof(char *));
			p->n--;
		}
		return 0;
	}
	if (i >= 0)
		return put(p, (size_t)i, key, value);
	if (p->n == p->cap && reserve(p, p->cap ? p->cap * 2 : 8) < 0)
		return SC_ENOMEM;
	return put(p, p->n, key, value);
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
	rc = reserve(p, n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = put(p, i, src->keys[i], src->values[i]);
	if (rc < 0) {
		sc_params_free(p);
		*out = NULL;
		return SC_ENOMEM;
	}
	return 0;
}

/* ---- an op's parameter slots (op.h) ----------------------------------- */

static const char *const slot_names[] = {
#define SC_P_NAME(name) #name,
	SC_PARAM_SLOTS(SC_P_NAME)
#undef SC_P_NAME
};

/* The first slot of the names starting with each byte, -1 for none. */
static signed char first_slot[256];
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;

static void slots_init(void)
{
	int i;

	memset(first_slot, -1, sizeof(first_slot));
	for (i = SC_P_N - 1; i >= 0; i--)
		first_slot[(unsigned char)slot_names[i][0]] = (signed char)i;
}

int sc__param_slot(const char *name)
{
	unsigned char c = (unsigned char)name[0];
	int i;

	pthread_once(&slots_once, slots_init);
	for (i = first_slot[c]; i >= 0 && i < SC_P_N &&
	     (unsigned char)slot_names[i][0] == c; i++)
		if (strcmp(slot_names[i] + 1, name + 1) == 0)
			return i;
	return -1;
}

void sc__params_slots(const sc_params *p, const char **pv)
{
	size_t i;

	for (i = 0; p && i < p->n; i++) {
		int slot = sc__param_slot(p->keys[i]);
		if (slot >= 0)
			pv[slot] = p->values[i];
	}
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
