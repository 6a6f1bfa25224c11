#define _GNU_SOURCE
/* Strings: copies, wiping a secret before it is freed, case-insensitive
 * and constant-time comparison, truth values of parameters. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

char *sc__strdup(const char *s)
{
	return s ? sc__strndup(s, strlen(s)) : NULL;
}

char *sc__strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void sc__wipe(void *p, size_t n)
{
#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
#endif
}

void sc__wipe_free(char *s)
{
	if (s) {
		sc__wipe(s, strlen(s));
		free(s);
	}
}

int sc__strcaseeq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	/* ASCII case folding: header names and the words compared here are
	 * ASCII (tolower() would also consult the locale, at twice the
	 * cost) */
	while (*a && *b) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x != y && ((x | 0x20) != (y | 0x20) ||
			       (unsigned char)((x | 0x20) - 'a') > 'z' - 'a'))
			return 0;
		a++;
		b++;
	}
	return *a == *b;
}

int sc__is_true(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "1") ||
		     !strcmp(v, "True") || !strcmp(v, "yes"));
}

int sc__ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = (unsigned char)(la != lb);
	volatile unsigned char acc = 0;

	/* Walk the expected value fully whatever the input looks like. */
	for (i = 0; i < la; i++)
		acc |= (unsigned char)a[i] ^ (unsigned char)(i < lb ? b[i] : 0);
	return (acc | diff) == 0;
}
