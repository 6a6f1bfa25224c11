/* A growable byte buffer with a hard size limit, so response bodies and
 * built URLs can never grow without bound. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

void sc__buf_init(sc_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->borrowed = 0;
}

void sc__buf_init_in(sc_buf *b, char *storage, size_t cap, size_t max)
{
	b->ptr = storage;
	b->ptr[0] = '\0';
	b->len = 0;
	b->cap = cap;
	b->max = max;
	b->borrowed = 1;
}

int sc__buf_append(sc_buf *b, const char *data, size_t len)
{
	size_t need;
	char *p;

	if (b->max && (len > b->max || b->len > b->max - len))
		return SC_ETOOBIG;
	need = b->len + len + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < need)
			cap *= 2;
		p = b->borrowed ? malloc(cap) : realloc(b->ptr, cap);
		if (!p)
			return SC_ENOMEM;
		if (b->borrowed)
			memcpy(p, b->ptr, b->len);
		b->ptr = p;
		b->cap = cap;
		b->borrowed = 0;
	}
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int sc__buf_puts(sc_buf *b, const char *s)
{
	return sc__buf_append(b, s, strlen(s));
}

int sc__buf_cat_(sc_buf *b, ...)
{
	va_list ap;
	const char *s;
	int rc = 0;

	va_start(ap, b);
	while (rc == 0 && (s = va_arg(ap, const char *)) != NULL)
		rc = sc__buf_puts(b, s);
	va_end(ap);
	return rc;
}

int sc__buf_putc(sc_buf *b, char c)
{
	return sc__buf_append(b, &c, 1);
}

char *sc__buf_detach(sc_buf *b)
{
	char *p;

	if (!b->ptr && sc__buf_append(b, "", 0) < 0)
		return NULL;
	if (b->borrowed) {
		p = sc__strndup(b->ptr, b->len);
		b->ptr = NULL; /* (the storage stays the caller's) */
		b->len = b->cap = 0;
		b->borrowed = 0;
		return p;
	}
	p = b->ptr;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

void sc__buf_free(sc_buf *b)
{
	if (!b->borrowed)
		free(b->ptr);
	b->borrowed = 0;
	b->ptr = NULL;
	b->len = b->cap = 0;
}

void sc__buf_wipe(sc_buf *b)
{
	if (b->ptr)
		sc__wipe(b->ptr, b->cap);
	sc__buf_free(b);
}
