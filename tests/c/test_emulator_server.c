/* smartcar-emulator's server layer over real sockets: the shared
 * Authorization parsing (Basic and Bearer, every call site), strict
 * request parsing, the connection limit and timeout, slow connections,
 * and latency faults that do not hold a server thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

/* POST /oauth2/token (client credentials) with one Authorization line. */
static long app_token_status(const char *auth_line)
{
	char url[512];
	const char *lines[2] = {auth_line, NULL};
	t_http_res r;
	long st;

	snprintf(url, sizeof(url), "%s/oauth2/token", t_emulator());
	t_http(&r, "POST", url, lines, "grant_type=client_credentials",
	       "application/x-www-form-urlencoded");
	st = r.status;
	t_http_free(&r);
	return st;
}

TEST(emulator_auth_basic_forms)
{
	static const char good[] = T_CLIENT_ID ":" T_CLIENT_SECRET;
	char line[512], nul[512];
	size_t n = sizeof(good) - 1;

	REQUIRE(t_emulator() != NULL);
	t_basic_auth_n(line, sizeof(line), good, n);
	CHECK(app_token_status(line) == 200);
	/* the scheme is matched without case, extra spaces are ignored */
	memcpy(nul, "Authorization:   bAsIc  ", 24);
	snprintf(nul + 24, sizeof(nul) - 24, "%.400s  ",
		 line + strlen("Authorization: Basic"));
	CHECK(app_token_status(nul) == 200);
	/* a NUL after the secret must not cut the credentials short */
	memcpy(nul, good, n);
	memcpy(nul + n, "\0junk", 5);
	t_basic_auth_n(line, sizeof(line), nul, n + 5);
	CHECK(app_token_status(line) == 400);
	/* nor one inside the client id */
	memcpy(nul, T_CLIENT_ID, 4);
	nul[4] = '\0';
	memcpy(nul + 5, good + 4, n - 4);
	t_basic_auth_n(line, sizeof(line), nul, n + 1);
	CHECK(app_token_status(line) == 400);
	/* "BasicX", no colon, bad base64, wrong secret */
	CHECK(app_token_status("Authorization: BasicX Zm9vOmJhcg==") == 400);
	t_basic_auth_n(line, sizeof(line), "no-colon", 8);
	CHECK(app_token_status(line) == 400);
	CHECK(app_token_status("Authorization: Basic !!!!") == 400);
	t_basic_auth_n(line, sizeof(line), T_CLIENT_ID ":wrong", 42);
	CHECK(app_token_status(line) == 401);
	/* the /oauth/token Basic check (same helper) */
	{
		char url[512];
		const char *lines[2] = {line, NULL};
		t_http_res r;

		snprintf(url, sizeof(url), "%s/oauth/token", t_emulator());
		memcpy(nul, good, n);
		memcpy(nul + n, "\0", 1);
		t_basic_auth_n(line, sizeof(line), nul, n + 1);
		t_http(&r, "POST", url, lines,
		       "grant_type=refresh_token&refresh_token=x",
		       "application/x-www-form-urlencoded");
		CHECK(r.status == 401);
		t_http_free(&r);
	}
}

TEST(emulator_auth_bearer_forms)
{
	char url[512], line[512];
	const char *lines[2] = {line, NULL};
	char *tok;
	t_http_res r;

	REQUIRE(t_emulator() != NULL);
	tok = t_login(t_emulator(), "bearer-forms@example.com",
		      "read_vehicle_info");
	REQUIRE(tok != NULL);
	snprintf(url, sizeof(url), "%s/v2.0/user", t_emulator());
	snprintf(line, sizeof(line), "Authorization:  bearer  %s  ", tok);
	t_http(&r, "GET", url, lines, NULL, NULL);
	CHECK(r.status == 200);
	t_http_free(&r);
	snprintf(line, sizeof(line), "Authorization: Bearer%s", tok);
	t_http(&r, "GET", url, lines, NULL, NULL);
	CHECK(r.status == 401);
	t_http_free(&r);
	snprintf(line, sizeof(line), "Authorization: Basic %s", tok);
	t_http(&r, "GET", url, lines, NULL, NULL);
	CHECK(r.status == 401);
	t_http_free(&r);
	snprintf(line, sizeof(line), "Authorization: Bearer ");
	t_http(&r, "GET", url, lines, NULL, NULL);
	CHECK(r.status == 401);
	t_http_free(&r);
	free(tok);
}
