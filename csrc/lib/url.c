#define _GNU_SOURCE
/* URLs: percent-encoding and decoding, form parameters, base64, and the
 * checks on an origin (http:// only for loopback hosts). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

/* RFC 3986's unreserved characters (ASCII, whatever the locale). */
static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

int sc__url_encode(sc_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	while (*s && rc == 0) {
		const char *run = s;
		while (unreserved((unsigned char)*s))
			s++;
		if (s > run) /* a run of unreserved characters in one append */
			rc = sc__buf_append(out, run, (size_t)(s - run));
		if (*s && rc == 0) {
			unsigned char c = (unsigned char)*s++;
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
		char q[4] = { tbl[d[i] >> 2], tbl[(d[i] & 3) << 4], '=', '=' };
		rc = sc__buf_append(out, q, 4);
	} else if (rc == 0 && len - i == 2) {
		char q[4] = { tbl[d[i] >> 2],
			      tbl[((d[i] & 3) << 4) | (d[i + 1] >> 4)],
			      tbl[(d[i + 1] & 15) << 2], '=' };
		rc = sc__buf_append(out, q, 4);
	}
	return rc;
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
