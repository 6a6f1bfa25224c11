/* Small helpers: memory, buffers, url/form codecs, ids, time. */
#include "emu.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* Running out of memory is not a client error; stop loudly. */
void *emu_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("smartcar-emulator: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *emu_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("smartcar-emulator: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *emu_strndup(const char *s, size_t n)
{
	char *d = emu_xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

int emu_version_well_formed(const char *s, size_t n)
{
	size_t i = 0, a = 0, b = 0;

	for (; i < n && isdigit((unsigned char)s[i]); i++)
		a++;
	if (i >= n || s[i++] != '.')
		return 0;
	for (; i < n && isdigit((unsigned char)s[i]); i++)
		b++;
	return a > 0 && b > 0 && i == n;
}

const char *emu_pair_find(const emu_pair *t, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].value;
	return NULL;
}

void emu_json_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

cJSON *emu_jsonapi_resource(const char *id, const char *type,
			    cJSON **attributes)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "type", type);
	if (attributes)
		*attributes = cJSON_AddObjectToObject(o, "attributes");
	return o;
}

char *emu_strdup(const char *s)
{
	return emu_strndup(s, strlen(s));
}

int emu_strcaseeq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* ---------------------------------------------------------------- buffer */

static void buf_reserve(emu_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->p = emu_xrealloc(b->p, cap);
	b->cap = cap;
}

void emu_buf_put(emu_buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void emu_buf_puts(emu_buf *b, const char *s)
{
	emu_buf_put(b, s, strlen(s));
}

void emu_buf_printf(emu_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void emu_buf_pct(emu_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			emu_buf_put(b, (const char *)&c, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			emu_buf_put(b, e, 3);
		}
	}
}

void emu_buf_html(emu_buf *b, const char *s)
{
	static const char *const entity[] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
		['"'] = "&quot;", ['\''] = "&#39;",
	};

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < sizeof entity / sizeof *entity && entity[c])
			emu_buf_puts(b, entity[c]);
		else
			emu_buf_put(b, s, 1);
	}
}

char *emu_buf_take(emu_buf *b)
{
	char *p = b->p ? b->p : emu_strdup("");
	*b = (emu_buf){ 0 };
	return p;
}

void emu_buf_free(emu_buf *b)
{
	free(b->p);
	*b = (emu_buf){ 0 };
}

/* ------------------------------------------------------- url/form codecs */

/* The value of digit c in alphabet (its position), or -1. */
static int digit_in(const char *alphabet, char c)
{
	const char *at = c ? strchr(alphabet, c) : NULL;
	return at ? (int)(at - alphabet) : -1;
}

static int hexval(char c)
{
	return digit_in("0123456789abcdef", (char)tolower((unsigned char)c));
}

/* Malformed escapes ("%zz", a lone "%") are kept literally. */
char *emu_pct_decode(const char *s, size_t len, int plus_is_space)
{
	return emu_pct_decode_n(s, len, plus_is_space, NULL);
}

char *emu_pct_decode_n(const char *s, size_t len, int plus_is_space,
		       size_t *outlen)
{
	char *out = emu_xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int hi = -1, lo = -1;
		if (s[i] == '%' && i + 2 < len) {
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* Decodes s[0..len) into *out; 1 when the text held a NUL. */
static int decode_field(char **out, const char *s, size_t len)
{
	size_t n;
	*out = emu_pct_decode_n(s, len, 1, &n);
	return memchr(*out, '\0', n) != NULL;
}

int emu_kv_parse(emu_kvlist *out, const char *s, size_t len)
{
	int nul = 0;
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && s[end] != '&')
			end++;
		if (end > i) {
			size_t eq = i;
			while (eq < end && s[eq] != '=')
				eq++;
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 8;
				out->items = emu_xrealloc(
					out->items, out->cap * sizeof(emu_kv));
			}
			emu_kv *kv = &out->items[out->n++];
			nul |= decode_field(&kv->key, s + i, eq - i);
			if (eq < end)
				nul |= decode_field(&kv->value, s + eq + 1,
						    end - eq - 1);
			else
				kv->value = emu_strdup("");
		}
		i = end + 1;
	}
	return nul;
}

const char *emu_kv_get(const emu_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

void emu_kv_free(emu_kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

/* --------------------------------------------------------------- ids */

void emu_random_bytes(void *out, size_t n)
{
	if (RAND_bytes(out, (int)n) != 1) {
		fputs("smartcar-emulator: RAND_bytes failed\n", stderr);
		abort();
	}
}

void emu_uuid_format(char out[37], unsigned char b[16])
{
	static const char hex[] = "0123456789abcdef";
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

void emu_uuid_random(char out[37])
{
	unsigned char b[16];
	emu_random_bytes(b, sizeof b);
	emu_uuid_format(out, b);
}

void emu_derive(unsigned char out[32], uint64_t seed, const char *subject,
		const char *label)
{
	char head[64];
	int n = snprintf(head, sizeof head, "smartcar-emulator|%llu|",
			 (unsigned long long)seed);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int olen = 32;
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, head, (size_t)n) != 1 ||
	    EVP_DigestUpdate(ctx, subject, strlen(subject)) != 1 ||
	    EVP_DigestUpdate(ctx, "|", 1) != 1 ||
	    EVP_DigestUpdate(ctx, label, strlen(label)) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &olen) != 1) {
		fputs("smartcar-emulator: SHA-256 failed\n", stderr);
		abort();
	}
	EVP_MD_CTX_free(ctx);
}

void emu_uuid_derive(char out[37], uint64_t seed, const char *subject,
		     const char *label)
{
	unsigned char d[32];
	emu_derive(d, seed, subject, label);
	emu_uuid_format(out, d);
}

int emu_is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[36] == '\0';
}

static int b64val(char c)
{
	return digit_in("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789+/",
			c);
}

int emu_base64_decode(const char *in, char **out, size_t *outlen)
{
	size_t len = strlen(in);
	while (len && (in[len - 1] == '='))
		len--;
	char *o = emu_xmalloc(len * 3 / 4 + 2);
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64val(in[i]);
		if (v < 0) {
			free(o);
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits >= 6) { /* a single dangling character is not base64 */
		free(o);
		return -1;
	}
	o[n] = '\0';
	*out = o;
	*outlen = n;
	return 0;
}

/* ------------------------------------------------- Authorization header */

/* The credentials after "<scheme> " in the Authorization header, spaces
 * around them trimmed; NULL when the header is absent or uses another
 * scheme. *len gets their length. */
static const char *auth_value(emu_req *r, const char *scheme, size_t *len)
{
	const char *h = emu_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t sl = strlen(scheme);
	if (!h)
		return NULL;
	while (*h == ' ')
		h++;
	if (strncasecmp(h, scheme, sl) != 0 || h[sl] != ' ')
		return NULL;
	h += sl + 1;
	while (*h == ' ')
		h++;
	size_t n = strlen(h);
	while (n && h[n - 1] == ' ')
		n--;
	*len = n;
	return h;
}

int emu_auth_bearer(emu_req *r, char *out, size_t outlen)
{
	size_t n;
	const char *t = auth_value(r, "Bearer", &n);
	if (!t || n == 0 || n >= outlen)
		return 0;
	memcpy(out, t, n);
	out[n] = '\0';
	return 1;
}

int emu_auth_basic(emu_req *r, char **dec, const char **user,
		   const char **secret)
{
	size_t n, len;
	*dec = NULL;
	const char *t = auth_value(r, "Basic", &n);
	if (!t || n == 0)
		return 0;
	char *b64 = emu_strndup(t, n);
	int bad = emu_base64_decode(b64, dec, &len) != 0;
	free(b64);
	if (bad)
		return 0;
	char *colon = memchr(*dec, ':', len);
	if (!colon || memchr(*dec, '\0', len)) { /* a NUL would cut the pair */
		free(*dec);
		*dec = NULL;
		return 0;
	}
	*colon = '\0';
	*user = *dec;
	*secret = colon + 1;
	return 1;
}

int emu_secret_eq(const char *given, const char *want)
{
	size_t n = strlen(want);
	return given && strlen(given) == n &&
	       CRYPTO_memcmp(given, want, n) == 0;
}

int emu_auth_basic_is(emu_req *r, const char *user, const char *secret)
{
	char *dec;
	const char *u, *s;
	if (!emu_auth_basic(r, &dec, &u, &s))
		return 0;
	int ok = strcmp(u, user) == 0 && emu_secret_eq(s, secret);
	free(dec);
	return ok;
}

/* ------------------------------------------------------------------ time */

int64_t emu_real_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* n as width decimal digits at p (n < 10^width). */
static void put_digits(char *p, unsigned n, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + n % 10);
		n /= 10;
	}
}

/* Hand-formatted (every API answer carries one: snprintf was a tenth of a
 * request's CPU). */
void emu_iso8601(char out[32], int64_t unix_ms)
{
	/* Clamp to years 1970..9999 so a wild clock offset cannot break it. */
	const int64_t max_ms = 253402300799999LL; /* 9999-12-31T23:59:59.999Z */
	if (unix_ms < 0)
		unix_ms = 0;
	if (unix_ms > max_ms)
		unix_ms = max_ms;
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	gmtime_r(&t, &tm);
	memcpy(out, "0000-00-00T00:00:00.000Z", 25);
	put_digits(out, (unsigned)(tm.tm_year + 1900) % 10000u, 4);
	put_digits(out + 5, (unsigned)(tm.tm_mon + 1) % 100u, 2);
	put_digits(out + 8, (unsigned)tm.tm_mday % 100u, 2);
	put_digits(out + 11, (unsigned)tm.tm_hour % 100u, 2);
	put_digits(out + 14, (unsigned)tm.tm_min % 100u, 2);
	put_digits(out + 17, (unsigned)tm.tm_sec % 100u, 2);
	put_digits(out + 20, (unsigned)(unix_ms % 1000), 3);
}
