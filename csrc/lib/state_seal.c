/* Connect's state kept in a signed value (a cookie) between the redirect
 * to Connect and the callback: "S.E.M", S the state percent-encoded, E
 * the Unix time it expires, M the hex HMAC-SHA256 of "sc_state:S.E". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

#define MIN_SECRET 16

/* The signed text "sc_state:S.E" of a value's S.E part. */
static char *signed_text(const char *body, size_t len)
{
	sc_buf b;

	sc__buf_init(&b, 64 * 1024);
	if (sc__buf_puts(&b, "sc_state:") != 0 ||
	    sc__buf_append(&b, body, len) != 0) {
		sc__buf_free(&b);
		return NULL;
	}
	return sc__buf_detach(&b);
}

int sc_state_seal(char **out, const char *secret, const char *state,
		  int64_t expires)
{
	char num[32], *text, *mac = NULL;
	sc_buf b;
	int rc;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!secret || strlen(secret) < MIN_SECRET || !state || !*state)
		return SC_EINVAL;
	snprintf(num, sizeof num, ".%" PRId64, expires);
	sc__buf_init(&b, 64 * 1024);
	rc = sc__url_encode(&b, state);
	if (rc == 0)
		rc = sc__buf_puts(&b, num);
	text = rc == 0 ? signed_text(b.ptr, b.len) : NULL;
	rc = text ? sc_hmac_sha256_hex(&mac, secret, text, strlen(text))
		  : SC_ENOMEM;
	if (rc == 0)
		rc = sc__buf_cat(&b, ".", mac);
	free(text);
	free(mac);
	if (rc != 0) {
		sc__buf_free(&b);
		return rc < 0 ? rc : SC_ENOMEM;
	}
	*out = sc__buf_detach(&b);
	return *out ? 0 : SC_ENOMEM;
}

static int refuse(sc_error **err_out, const char *why)
{
	if (err_out)
		*err_out = sc__error_new(SC_ESTATE, why);
	return SC_ESTATE;
}

int sc_state_open(char **out, const char *secret, const char *sealed,
		  int64_t now, sc_error **err_out)
{
	const char *mac, *dot;
	char *text, *want = NULL, *end;
	long long expires;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!secret || strlen(secret) < MIN_SECRET || !sealed)
		return SC_EINVAL;
	mac = strrchr(sealed, '.');
	if (!mac || mac == sealed)
		return refuse(err_out, "the sealed state is malformed");
	text = signed_text(sealed, (size_t)(mac - sealed));
	rc = text ? sc_hmac_sha256_hex(&want, secret, text, strlen(text))
		  : SC_ENOMEM;
	free(text);
	if (rc != 0)
		return rc < 0 ? rc : SC_ENOMEM;
	rc = sc__ct_streq(want, mac + 1);
	free(want);
	if (!rc)
		return refuse(err_out, "the sealed state's signature is wrong");
	for (dot = mac - 1; dot > sealed && *dot != '.'; dot--)
		;
	expires = *dot == '.' ? strtoll(dot + 1, &end, 10) : 0;
	if (*dot != '.' || end != mac || end == dot + 1)
		return refuse(err_out, "the sealed state is malformed");
	if (expires < now)
		return refuse(err_out, "the sealed state has expired");
	*out = sc__url_decode(sealed, (size_t)(dot - sealed));
	return *out ? 0 : SC_ENOMEM;
}

/* 1 when every byte of @p s may stand in a cookie's @p part: n its name
 * (a token), v its value (cookie-octets), p its path (no control byte or
 * ';'), as RFC 6265 says. */
static int cookie_text(const char *s, char part)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || c == ';' ||
		    (part != 'p' && strchr(" \",\\", c)) ||
		    (part == 'n' && strchr("()<>@:/[]?={}", c)))
			return 0;
	}
	return 1;
}

int sc_state_cookie(char **out, const char *name, const char *value,
		    const char *path, long max_age, int secure)
{
	char age[32];
	sc_buf b;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	path = path ? path : "/";
	if (!name || !*name || !value || max_age < 0 ||
	    !cookie_text(name, 'n') || !cookie_text(value, 'v') ||
	    !cookie_text(path, 'p'))
		return SC_EINVAL;
	snprintf(age, sizeof age, "%ld", max_age);
	sc__buf_init(&b, 64 * 1024);
	if (sc__buf_cat(&b, name, "=", value, "; Path=", path, "; Max-Age=",
			age, "; HttpOnly; SameSite=Lax",
			secure ? "; Secure" : "") != 0) {
		sc__buf_free(&b);
		return SC_ENOMEM;
	}
	*out = sc__buf_detach(&b);
	return *out ? 0 : SC_ENOMEM;
}
