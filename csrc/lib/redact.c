/* Redaction: every secret of an op (tokens, codes, the client secret)
 * removed from a text in each form it may take there.  A server may echo a
 * secret as it received it (percent- or form-encoded in a body, inside
 * base64 Basic credentials) or escape it in JSON; a log line may show the
 * request body as sent.  The caller's list holds each secret once, raw;
 * the forms are derived here, so every binding and the debug hook get
 * them from the one list. */
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

/* Secrets shorter than this would redact ordinary words. */
#define MIN_SECRET 4
/* Shorter base64 runs of a secret would match unrelated base64 data. */
#define MIN_B64_CORE 8

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The byte that %XX at p spells, or -1. */
static int pct_byte(const char *p)
{
	int hi, lo;

	if (p[0] != '%' || (hi = sc__hexval(p[1])) < 0 ||
	    (lo = sc__hexval(p[2])) < 0)
		return -1;
	return hi * 16 + lo;
}

/* The lengths of the forms at p that spell the byte c, longest first,
 * into k[] (at most 3): %25XX (percent-encoded twice), %XX (either hex
 * case), \\u00XX, \\/ \\\\ and \\" (JSON), '+' for a space (form
 * encoding), c itself.  Returns how many. */
static int forms_at(const char *p, unsigned char c, size_t *k)
{
	int hi, lo, n = 0;

	if (pct_byte(p) == '%' && (hi = sc__hexval(p[3])) >= 0 &&
	    (lo = sc__hexval(p[4])) >= 0 && hi * 16 + lo == c)
		k[n++] = 5;
	if (p[0] == '\\' && p[1] == 'u' && p[2] == '0' && p[3] == '0' &&
	    (hi = sc__hexval(p[4])) >= 0 && (lo = sc__hexval(p[5])) >= 0 &&
	    hi * 16 + lo == c)
		k[n++] = 6;
	if (pct_byte(p) == c)
		k[n++] = 3;
	if (p[0] == '\\' && (c == '/' || c == '\\' || c == '"') &&
	    p[1] == (char)c)
		k[n++] = 2;
	if ((c == ' ' && p[0] == '+') || (c && (unsigned char)p[0] == c))
		k[n++] = 1;
	return n;
}

/* Length of the text at p that spells the n bytes of s, each byte in
 * any of its forms (any mix), or -1.  alt maps a byte to an equivalent
 * one (base64url for base64) or is NULL.  Only a '%' of s can be spelled
 * in more than one way that fits ("%2525" is one '%' twice encoded, or
 * '%', '2', '5' once): there the other readings are tried too, a bounded
 * number of times. */
static long spelled_len(const char *p, const char *s, size_t n,
			int (*alt)(int), int branches)
{
	const char *start = p;
	size_t i, k[8];
	int m, j;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int a = alt ? alt(c) : c;
		m = forms_at(p, c, k);
		if (a != c)
			m += forms_at(p, (unsigned char)a, k + m);
		if (m == 0)
			return -1;
		if (m > 1 && c == '%' && branches > 0) {
			for (j = 0; j < m; j++) {
				long r = spelled_len(p + k[j], s + i + 1,
						     n - i - 1, alt,
						     branches - 1);
				if (r >= 0)
					return (long)(p - start) +
					       (long)k[j] + r;
			}
			return -1;
		}
		p += k[0];
	}
	return (long)(p - start);
}

static int base64url(int c)
{
	return c == '+' ? '-' : c == '/' ? '_' : c;
}

static int is_b64_char(int c)
{
	return (c && strchr(b64_alphabet, c)) || c == '=' || c == '-' ||
	       c == '_';
}

/* The base64 text every encoding of a text holding s carries when s
 * starts at offset k (0, 1, 2) of a 3-byte group: the groups wholly inside
 * s, encoded.  Empty when s is too short to fill one. */
static int b64_core(sc_buf *out, const char *s, size_t n, size_t k)
{
	size_t skip = (3 - k) % 3;

	out->len = 0;
	if (n < skip + 3)
		return sc__buf_puts(out, "");
	return sc__base64(out, (const unsigned char *)s + skip,
			  (n - skip) / 3 * 3);
}

/* Mark [from, to) of the text as secret. */
static void mark(unsigned char *m, size_t from, size_t to)
{
	memset(m + from, 1, to - from);
}

/* Mark every occurrence of secret s in text t (length tn). */
static int mark_secret(unsigned char *m, const char *t, size_t tn,
		       const char *s)
{
	size_t n = strlen(s), i, k;
	sc_buf core[6], enc;
	long l;
	int rc = 0;

	if (n < MIN_SECRET)
		return 0;
	/* base64 of the secret, and of the secret as the library sends it
	 * in a form body (a server may base64 the body it received) */
	sc__buf_init(&enc, 0);
	rc = sc__url_encode(&enc, s);
	for (k = 0; k < 6; k++) {
		sc__buf_init(&core[k], 0);
		if (rc == 0 && k < 3)
			rc = b64_core(&core[k], s, n, k);
		else if (rc == 0 && strcmp(enc.ptr, s) != 0)
			rc = b64_core(&core[k], enc.ptr, enc.len, k - 3);
	}
	sc__buf_wipe(&enc);
	for (i = 0; rc == 0 && i < tn; i++) {
		/* the raw form first: a secret holding "%25" as such */
		if (strncmp(t + i, s, n) == 0) {
			mark(m, i, i + n);
			continue;
		}
		if ((l = spelled_len(t + i, s, n, NULL, 8)) > 0) {
			mark(m, i, i + (size_t)l);
			continue;
		}
		for (k = 0; k < 6; k++) {
			size_t a, b;
			if (core[k].len < MIN_B64_CORE ||
			    (l = spelled_len(t + i, core[k].ptr, core[k].len,
					     base64url, 0)) <= 0)
				continue;
			/* the whole base64 run: its edges hold bits of the
			 * secret too, and the rest is one credential */
			for (a = i; a > 0 && is_b64_char(t[a - 1]); a--)
				;
			for (b = i + (size_t)l; b < tn && is_b64_char(t[b]); b++)
				;
			mark(m, a, b);
		}
	}
	for (k = 0; k < 6; k++)
		sc__buf_wipe(&core[k]);
	return rc;
}

char *sc__redact(const char *s, const char *const *secrets, size_t n)
{
	size_t len = strlen(s), i;
	unsigned char *m = calloc(len + 1, 1);
	sc_buf b;

	if (!m)
		return NULL;
	for (i = 0; i < n; i++)
		if (secrets[i] && mark_secret(m, s, len, secrets[i]) < 0)
			goto fail;
	sc__buf_init(&b, 0);
	for (i = 0; i < len; i++) {
		if (!m[i]) {
			if (sc__buf_putc(&b, s[i]) < 0)
				goto fail_buf;
		} else if (i == 0 || !m[i - 1]) {
			if (sc__buf_puts(&b, SC_REDACTED) < 0)
				goto fail_buf;
		}
	}
	free(m);
	return sc__buf_detach(&b);
fail_buf:
	sc__buf_wipe(&b);
fail:
	free(m);
	return NULL;
}
