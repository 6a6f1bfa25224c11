/* The secrets probe (C): servers echo each secret back in every form a
 * request carried it in (form-encoded body, base64 Basic credentials,
 * percent-encoded twice, JSON-escaped) and the probe decodes the debug
 * lines and the error text every way it can; no view may hold a secret.
 * No sockets: canned responses through the sans-IO op. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "sc_internal.h" /* sc__hexval */

#define ORIGIN "https://auth.example.com"
/* secrets with the characters encoders treat specially */
#define CODE "c0de+/=&%25 x~Y"
#define REFRESH "rt+/=&%:Z9?#tok"
#define SECRET "s3cr+t/=&% \"sec"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Percent-decoding (form: '+' is a space too); a new string. */
static char *pct_decode(const char *s, int form)
{
	char *o = malloc(strlen(s) + 1), *q = o;
	for (; *s; s++) {
		if (*s == '%' && sc__hexval(s[1]) >= 0 && sc__hexval(s[2]) >= 0) {
			*q++ = (char)(sc__hexval(s[1]) * 16 + sc__hexval(s[2]));
			s += 2;
		} else {
			*q++ = form && *s == '+' ? ' ' : *s;
		}
	}
	*q = 0;
	return o;
}

/* JSON string escapes undone (\/ \\ \" \u00XX); a new string. */
static char *json_unescape(const char *s)
{
	char *o = malloc(strlen(s) + 1), *q = o;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'u' && s[2] == '0' && s[3] == '0' &&
		    sc__hexval(s[4]) >= 0 && sc__hexval(s[5]) >= 0) {
			*q++ = (char)(sc__hexval(s[4]) * 16 + sc__hexval(s[5]));
			s += 5;
		} else if (s[0] == '\\' && s[1]) {
			*q++ = *++s;
		} else {
			*q++ = *s;
		}
	}
	*q = 0;
	return o;
}

static int b64v(int c)
{
	const char *p;
	if (c == '-')
		c = '+';
	if (c == '_')
		c = '/';
	p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

static int holds(const char *view, size_t n, const char *secret)
{
	return memmem(view, n, secret, strlen(secret)) != NULL;
}

/* 1 when some base64 run of text, decoded from any of its first four
 * characters, holds the secret. */
static int base64_holds(const char *t, const char *secret)
{
	size_t i = 0, n = strlen(t);

	while (i < n) {
		size_t j = i, off;
		while (j < n && b64v(t[j]) >= 0)
			j++;
		for (off = 0; off < 4 && j - i >= 8 + off; off++) {
			size_t k, m = 0;
			unsigned char *d = malloc(j - i + 1);
			unsigned long acc = 0;
			int bits = 0, found;
			for (k = i + off; k < j; k++) {
				acc = acc << 6 | (unsigned)b64v(t[k]);
				if ((bits += 6) >= 8) {
					bits -= 8;
					d[m++] = (unsigned char)(acc >> bits);
				}
			}
			d[m] = 0;
			found = holds((char *)d, m, secret);
			if (!found) {
				/* a form body in base64 */
				char *f = pct_decode((char *)d, 1);
				found = holds(f, strlen(f), secret);
				free(f);
			}
			free(d);
			if (found)
				return 1;
		}
		i = j + 1;
	}
	return 0;
}

/* 1 when the text holds none of the secrets, in any form (quiet: no
 * report, for the checks that the probe finds what it must). */
static int probe(const char *text, const char *const *secrets, size_t n,
		 int quiet)
{
	char *views[5];
	size_t i, v;
	int clean = 1;

	if (!text)
		return 1;
	views[0] = strdup(text);
	views[1] = pct_decode(text, 0);
	views[2] = pct_decode(views[1], 0); /* encoded twice */
	views[3] = pct_decode(text, 1);
	views[4] = json_unescape(text);
	for (i = 0; i < n; i++)
		for (v = 0; v < 5; v++)
			if (holds(views[v], strlen(views[v]), secrets[i]) ||
			    base64_holds(views[v], secrets[i])) {
				if (!quiet)
					fprintf(stderr, "  secret %zu leaked "
						"(view %zu) into: %s\n", i, v,
						text);
				clean = 0;
			}
	for (v = 0; v < 5; v++)
		free(views[v]);
	return clean;
}

static int probe_clean(const char *text, const char *const *secrets,
		       size_t n)
{
	return probe(text, secrets, n, 0);
}

/* Encoders for the echoes (what servers and proxies write back). */
static void pct_encode(char *out, const char *s, int form, int lower)
{
	const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			*out++ = (char)c;
		} else if (form && c == ' ') {
			*out++ = '+';
		} else {
			*out++ = '%';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		}
	}
	*out = 0;
}

static void b64_encode(char *out, const char *s)
{
	size_t n = strlen(s), i;
	const unsigned char *d = (const unsigned char *)s;
	for (i = 0; i + 2 < n; i += 3) {
		*out++ = b64[d[i] >> 2];
		*out++ = b64[(d[i] & 3) << 4 | d[i + 1] >> 4];
		*out++ = b64[(d[i + 1] & 15) << 2 | d[i + 2] >> 6];
		*out++ = b64[d[i + 2] & 63];
	}
	if (n - i == 1) {
		*out++ = b64[d[i] >> 2];
		*out++ = b64[(d[i] & 3) << 4];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		*out++ = b64[d[i] >> 2];
		*out++ = b64[(d[i] & 3) << 4 | d[i + 1] >> 4];
		*out++ = b64[(d[i + 1] & 15) << 2];
		*out++ = '=';
	}
	*out = 0;
}

/* Every form of s a server could echo, one after another, as JSON text. */
static void echo_forms(char *out, size_t cap, const char *s)
{
	char enc[256], twice[512], basic[800], cred[512];
	size_t n = strlen(out);

	pct_encode(enc, s, 1, 0);
	n += (size_t)snprintf(out + n, cap - n, " form=%s", enc);
	pct_encode(enc, s, 0, 1);
	n += (size_t)snprintf(out + n, cap - n, " lower=%s", enc);
	pct_encode(enc, s, 0, 0);
	pct_encode(twice, enc, 0, 0);
	n += (size_t)snprintf(out + n, cap - n, " twice=%s", twice);
	snprintf(cred, sizeof(cred), "%s:%s", T_CLIENT_ID, s);
	b64_encode(basic, cred);
	n += (size_t)snprintf(out + n, cap - n,
			      " Authorization: Basic %s", basic);
	b64_encode(basic, s);
	n += (size_t)snprintf(out + n, cap - n, " b64=%s", basic);
	snprintf(cred, sizeof(cred), "client_secret=%s", enc);
	b64_encode(basic, cred);
	n += (size_t)snprintf(out + n, cap - n, " bodyb64=%s", basic);
	/* JSON-escaped: \/ and \u0022 for the quote, then the raw text */
	n += (size_t)snprintf(out + n, cap - n, " json=");
	for (; *s && n + 8 < cap; s++)
		n += (size_t)snprintf(out + n, cap - n,
				      *s == '/' ? "\\/" : *s == '"'
				      ? "\\u0022" : *s == '\\' ? "\\\\" : "%c",
				      *s);
}

/* Run endpoint with the secret param key=value against a 400 that echoes
 * every form of the op's secrets (that one and the client secret), in
 * its body and a header; probe the debug lines and the error. */
static void probe_endpoint(const char *endpoint, const char *key,
			   const char *value)
{
	const char *const secrets[] = { SECRET, value };
	size_t ns = value ? 2 : 1;
	sc_client *c = t_client(ORIGIN, SECRET);
	t_lines *l = calloc(1, sizeof(*l));
	char *echo = calloc(1, 16384), *body = malloc(20000), *json = NULL;
	sc_params *p = NULL;
	sc_op *op = NULL;
	sc_result *res = NULL;
	sc_response *resp;
	size_t i;

	REQUIRE(c && l && echo && body);
	sc_client_set_debug(c, t_collect_line, l);
	sc_params_new(&p);
	if (key)
		sc_params_set(p, key, value);
	sc_params_set(p, "max_attempts", "1");
	REQUIRE(sc_op_new(&op, c, endpoint, p, NULL) == 0);
	REQUIRE(sc_op_next(op, NULL) == SC_STEP_SEND);
	for (i = 0; i < ns; i++)
		echo_forms(echo, 16384, secrets[i]);
	snprintf(body, 20000, "{\"error\":\"invalid_grant\","
		 "\"error_description\":\"%s\"}", echo);
	resp = t_response(400, "application/json", body);
	sc_response_add_header(resp, "X-Echo", echo);
	sc_op_feed(op, resp);
	CHECK(sc_op_next(op, NULL) == SC_STEP_DONE);
	CHECK(sc_op_result(&res, op) < 0);
	REQUIRE(sc_result_error(res));
	sc_result_to_json(&json, res);
	CHECK(probe_clean(json, secrets, ns));
	CHECK(probe_clean(sc_error_message(sc_result_error(res)), secrets, ns));
	CHECK(probe_clean(l->all, secrets, ns));
	/* the hook still shows the exchange, only without secrets */
	CHECK_CONTAINS(l->all, "> POST ");
	CHECK_CONTAINS(l->all, "< HTTP 400");
	CHECK_CONTAINS(l->all, "[REDACTED]");
	/* and the probe itself sees what it must: the echo leaks unredacted */
	CHECK(!probe(echo, secrets, ns, 1));
	sc_free(json);
	sc_result_free(res);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
	free(body);
	free(echo);
	free(l);
}

TEST(secrets_probe_code_exchange)
{
	probe_endpoint("exchange_code", "code", CODE);
}

TEST(secrets_probe_refresh)
{
	probe_endpoint("exchange_refresh_token", "refresh_token", REFRESH);
}

TEST(secrets_probe_client_credentials)
{
	/* the v3 client-credentials body carries the secret form-encoded */
	probe_endpoint("get_app_token", NULL, NULL);
}

TEST(secrets_probe_finds_each_form)
{
	/* the probe would catch every form the echo writes, one at a time */
	static const char *const s[] = { SECRET };
	const char *forms[] = { "form=", "lower=", "twice=", "Basic ", "b64=",
				"bodyb64=" };
	char echo[2048] = "";
	size_t i;

	echo_forms(echo, sizeof(echo), SECRET);
	for (i = 0; i < 6; i++) {
		const char *at = strstr(echo, forms[i]);
		char one[512];
		size_t n;
		REQUIRE(at);
		at += strlen(forms[i]);
		n = strcspn(at, " ");
		snprintf(one, sizeof(one), "x %.*s y", (int)n, at);
		CHECK(!probe(one, s, 1, 1));
	}
	CHECK(!probe("s3cr+t\\/=&% \\u0022sec", s, 1, 1));
}

TEST(secrets_redaction_keeps_ordinary_text)
{
	/* redaction must not eat the words around a secret, nor base64
	 * data that holds no secret */
	sc_client *c = t_client(ORIGIN, SECRET);
	sc_params *p = NULL;
	sc_op *op = NULL;
	sc_result *res = NULL;
	const char *msg;

	p = T_PARAMS("code", CODE, "max_attempts", "1");
	REQUIRE(sc_op_new(&op, c, "exchange_code", p, NULL) == 0);
	sc_op_next(op, NULL);
	sc_op_feed(op, t_response(400, "application/json",
		"{\"error\":\"invalid_grant\",\"error_description\":"
		"\"code c0de%2B%2F%3D%26%2525%20x~Y is used; "
		"aGVsbG8gd29ybGQgaGVsbG8= stays\"}"));
	sc_op_next(op, NULL);
	sc_op_result(&res, op);
	msg = sc_error_get(sc_result_error(res), "description");
	CHECK_STR(msg, "code [REDACTED] is used; aGVsbG8gd29ybGQgaGVsbG8= "
		       "stays");
	sc_result_free(res);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(c);
}
