#define _GNU_SOURCE
/* Small helpers: strings, URL and base64 encoding, randomness, time,
 * constant-time comparison and JSON key renaming. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <sys/random.h>

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

void sc__wipe_free(char *s)
{
	if (s) {
		volatile char *p = s;
		while (*p)
			*p++ = 0;
		free(s);
	}
}

int sc__strcaseeq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	while (*a && *b) {
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
	return *a == *b;
}

int sc__url_encode(sc_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			rc = sc__buf_putc(out, (char)c);
		} else {
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = sc__buf_append(out, enc, 3);
		}
	}
	return rc;
}

int sc__buf_param(sc_buf *b, char sep, const char *key, const char *value)
{
	int rc = sep ? sc__buf_putc(b, sep) : 0;
	if (rc == 0)
		rc = sc__buf_puts(b, key);
	if (rc == 0)
		rc = sc__buf_putc(b, '=');
	if (rc == 0)
		rc = sc__url_encode(b, value);
	return rc;
}

int sc__hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int sc__is_true(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "1") ||
		     !strcmp(v, "True") || !strcmp(v, "yes"));
}

char *sc__url_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, j = 0;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < len &&
			   sc__hexval(s[i + 1]) >= 0 &&
			   sc__hexval(s[i + 2]) >= 0) {
			out[j++] = (char)(sc__hexval(s[i + 1]) * 16 +
					  sc__hexval(s[i + 2]));
			i += 2;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

int sc__base64(sc_buf *out, const unsigned char *d, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	size_t i;
	int rc = 0;

	for (i = 0; i + 2 < len && rc == 0; i += 3) {
		char q[4] = { tbl[d[i] >> 2],
			      tbl[((d[i] & 3) << 4) | (d[i + 1] >> 4)],
			      tbl[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)],
			      tbl[d[i + 2] & 63] };
		rc = sc__buf_append(out, q, 4);
	}
	if (rc == 0 && len - i == 1) {
		char q[4] = { tbl[d[i] >> 2], tbl[(d[i] & 3) << 4], '=',
			      '=' };
		rc = sc__buf_append(out, q, 4);
	} else if (rc == 0 && len - i == 2) {
		char q[4] = { tbl[d[i] >> 2],
			      tbl[((d[i] & 3) << 4) | (d[i + 1] >> 4)],
			      tbl[(d[i + 1] & 15) << 2], '=' };
		rc = sc__buf_append(out, q, 4);
	}
	return rc;
}

int sc__random_bytes(unsigned char *out, size_t len)
{
	size_t got = 0;

	/* getrandom() draws from the kernel CSPRNG; never a userspace PRNG */
	while (got < len) {
		ssize_t n = getrandom(out + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return SC_ENOMEM;
		}
		got += (size_t)n;
	}
	return 0;
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

double sc__now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

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

cJSON *sc__json_snake(const cJSON *v)
{
	cJSON *out, *child;

	if (cJSON_IsObject(v)) {
		out = cJSON_CreateObject();
		if (!out)
			return NULL;
		cJSON_ArrayForEach(child, v) {
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
	if (cJSON_IsArray(v)) {
		out = cJSON_CreateArray();
		if (!out)
			return NULL;
		cJSON_ArrayForEach(child, v) {
			cJSON *c = sc__json_snake(child);
			if (!c) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToArray(out, c);
		}
		return out;
	}
	return cJSON_Duplicate(v, 1);
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

cJSON *sc__json_parse(const char *data, size_t len)
{
	const char *end = NULL;
	cJSON *v;

	if (!data || len == 0 || !json_depth_ok(data, len, SC_JSON_MAX_DEPTH))
		return NULL;
	/* Explicit length and end pointer: cJSON's global error pointer is
	 * never consulted, so parsing is safe from any thread. */
	v = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!v)
		return NULL;
	while (end && end < data + len &&
	       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t' ||
		*end == '\0'))
		end++;
	if (end != data + len) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/* Copy the host of an http(s) URL into host (lower-case, no brackets). */
static int url_host(const char *url, char *host, size_t cap)
{
	const char *p = strstr(url, "://"), *end;
	size_t n;

	if (!p)
		return -1;
	p += 3;
	end = p + strcspn(p, "/?#");
	{
		/* skip userinfo */
		const char *at = memchr(p, '@', (size_t)(end - p));
		if (at)
			p = at + 1;
	}
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));
		if (!rb)
			return -1;
		p++;
		n = (size_t)(rb - p);
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((colon ? colon : end) - p);
	}
	if (n == 0 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)p[i]);
	host[n] = '\0';
	return 0;
}

int sc__url_is_http(const char *url)
{
	char host[256];
	if (!url)
		return 0;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return 0;
	return url_host(url, host, sizeof(host)) == 0;
}

int sc__url_is_loopback(const char *url)
{
	char host[256];

	if (url_host(url, host, sizeof(host)) < 0)
		return 0;
	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return 1;
	if (strncmp(host, "127.", 4) == 0) {
		const char *p = host + 4;
		for (; *p; p++)
			if (!isdigit((unsigned char)*p) && *p != '.')
				return 0;
		return 1;
	}
	return 0;
}
