/* smartcar-emulator's server layer over real sockets: the shared
 * Authorization parsing (Basic and Bearer, every call site), strict
 * request parsing, the connection limit and timeout, slow connections,
 * and latency faults that do not hold a server thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

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

/* ------------------------------------------------------- raw sockets */

/* Port of an http://127.0.0.1:PORT base URL. */
static int base_port(const char *base)
{
	const char *c = base ? strrchr(base, ':') : NULL;
	return c ? atoi(c + 1) : -1;
}

static int raw_connect(const char *base)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)base_port(base));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads from fd until EOF, cap bytes or ms without data: bytes read
 * (NUL-terminated in buf), and *eof set when the peer closed. */
static size_t raw_read(int fd, char *buf, size_t cap, int ms, int *eof)
{
	size_t n = 0;
	struct pollfd p = {fd, POLLIN, 0};

	*eof = 0;
	while (n + 1 < cap && poll(&p, 1, ms) == 1) {
		ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
		if (k <= 0) {
			*eof = 1;
			break;
		}
		n += (size_t)k;
	}
	buf[n] = '\0';
	return n;
}

/* Sends len raw bytes as one request and reads the answer: its status
 * (0 when none) and whether the server closed the connection after it. */
static int raw_status(const char *base, const char *req, size_t len,
		      int *closed)
{
	char buf[8192];
	int fd = raw_connect(base), eof = 0, st = 0;

	if (fd < 0)
		return -1;
	if (send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len) {
		raw_read(fd, buf, sizeof(buf), 2000, &eof);
		if (strncmp(buf, "HTTP/1.1 ", 9) == 0)
			st = atoi(buf + 9);
	}
	if (closed)
		*closed = eof;
	close(fd);
	return st;
}

#define RAW(base, lit, closed) raw_status(base, lit, sizeof(lit) - 1, closed)

/* ------------------------------------------------------- strict parsing */

TEST(emulator_strict_nul_in_target)
{
	const char *b = t_emulator();
	int closed = 0;

	REQUIRE(b != NULL);
	CHECK(RAW(b, "GET /_emulator/health HTTP/1.1\r\nHost: x\r\n"
		  "Connection: close\r\n\r\n", NULL) == 200);
	/* %00 in the path used to cut it to /_emulator/health: 200 */
	CHECK(RAW(b, "GET /_emulator/health%00/x HTTP/1.1\r\nHost: x\r\n\r\n",
		  &closed) == 400);
	CHECK(closed);
	CHECK(RAW(b, "GET /v2.0/vehicles%00 HTTP/1.1\r\nHost: x\r\n\r\n",
		  NULL) == 400);
	CHECK(RAW(b, "GET /v3/vehicles/x%00y HTTP/1.1\r\nHost: x\r\n\r\n",
		  NULL) == 400);
	/* ... and in the query, keys and values */
	CHECK(RAW(b, "GET /_emulator/health?a=b%00c HTTP/1.1\r\nHost: x\r\n\r\n",
		  NULL) == 400);
	CHECK(RAW(b, "GET /_emulator/health?a%00=1 HTTP/1.1\r\nHost: x\r\n\r\n",
		  NULL) == 400);
	/* a raw NUL byte in the request line */
	CHECK(RAW(b, "GET /_emulator/health\0/x HTTP/1.1\r\nHost: x\r\n\r\n",
		  NULL) == 400);
	CHECK(RAW(b, "GET /_emulator/health\0HTTP/1.1\0 HTTP/1.1\r\n"
		  "Host: x\r\n\r\n", NULL) == 400);
	/* an escaped percent sign is no NUL */
	CHECK(RAW(b, "GET /_emulator/health?a=%2500 HTTP/1.1\r\nHost: x\r\n"
		  "Connection: close\r\n\r\n", NULL) == 200);
}

TEST(emulator_strict_content_length)
{
	const char *b = t_emulator();
	int closed = 0;

	REQUIRE(b != NULL);
	CHECK(RAW(b, "POST /_emulator/clock HTTP/1.1\r\nHost: x\r\n"
		  "Content-Type: application/json\r\nContent-Length: 14\r\n"
		  "Connection: close\r\n\r\n{\"advance\": 0}", NULL) == 200);
	/* the same length twice, two lengths, a length beside chunking */
	CHECK(RAW(b, "POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
		  &closed) == 400);
	CHECK(closed);
	CHECK(RAW(b, "POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: 3\r\ncontent-length: 8\r\n\r\nabcdefgh",
		  &closed) == 400);
	CHECK(closed);
	CHECK(RAW(b, "POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "3\r\nabc\r\n0\r\n\r\n", &closed) == 400);
	CHECK(closed);
	CHECK(RAW(b, "POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: 3, 3\r\n\r\nabc", NULL) == 400);
	/* the v2 error body says why */
	{
		char buf[4096];
		int fd = raw_connect(b), eof;
		static const char req[] =
			"POST /v2.0/vehicles HTTP/1.1\r\nHost: x\r\n"
			"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}";

		REQUIRE(fd >= 0);
		CHECK(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0);
		raw_read(fd, buf, sizeof(buf), 2000, &eof);
		close(fd);
		CHECK_CONTAINS(buf, "\"type\":\"VALIDATION\"");
		CHECK_CONTAINS(buf, "More than one Content-Length");
	}
}

/* The smaller per-connection memory still takes a request head of 6 KB
 * (a long Connect URL, cookies) and refuses one of 40 KB. */
TEST(emulator_large_request_heads)
{
	char url[512], *line = malloc(40000);
	const char *lines[2] = {line, NULL};
	t_http_res r;

	REQUIRE(line != NULL && t_emulator() != NULL);
	snprintf(url, sizeof(url), "%s/_emulator/health", t_emulator());
	memcpy(line, "X-Big: ", 7);
	memset(line + 7, 'a', 6000);
	line[6007] = '\0';
	t_http(&r, "GET", url, lines, NULL, NULL);
	CHECK(r.status == 200);
	t_http_free(&r);
	memset(line + 7, 'a', 39000);
	line[39007] = '\0';
	t_http(&r, "GET", url, lines, NULL, NULL);
	CHECK(r.status == 431 || r.status == 413 || r.status == 400);
	t_http_free(&r);
	free(line);
}

/* --------------------------------------------------- connection limits */

static int health(const char *base)
{
	char url[512];
	t_http_res r;
	long st;

	snprintf(url, sizeof(url), "%s/_emulator/health", base);
	t_http(&r, "GET", url, NULL, NULL, NULL);
	st = r.rc == 0 ? r.status : -1;
	t_http_free(&r);
	return (int)st;
}

TEST(emulator_connection_limit_refuses_cleanly)
{
	const char *args[] = {"--max-connections", "4", NULL};
	char url[256], buf[4096];
	int fds[4], i, fd, eof, st = 0;
	pid_t pid = t_emulator_spawn(args, url, sizeof(url));
	static const char req[] =
		"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n";

	REQUIRE(pid > 0);
	for (i = 0; i < 4; i++)
		fds[i] = raw_connect(url);
	/* give the server a moment to accept all four */
	for (i = 0; i < 4; i++)
		CHECK(fds[i] >= 0);
	usleep(200 * 1000);
	fd = raw_connect(url);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0);
		raw_read(fd, buf, sizeof(buf), 5000, &eof);
		close(fd);
		CHECK(strncmp(buf, "HTTP/1.1 503", 12) == 0);
		CHECK_CONTAINS(buf, "Retry-After: 1");
		CHECK_CONTAINS(buf, "Connection: close");
		CHECK(eof);
	}
	for (i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* once they are gone the emulator serves again (the server notices
	 * the closes on its own time: ask a few times) */
	for (i = 0; i < 50 && st != 200; i++) {
		st = health(url);
		if (st != 200)
			usleep(100 * 1000);
	}
	CHECK(st == 200);
	t_emulator_stop(pid);
}

TEST(emulator_connection_timeout_closes_slow_requests)
{
	const char *args[] = {"--connection-timeout", "1", NULL};
	char url[256], buf[256];
	int fd, eof = 0, i;
	pid_t pid = t_emulator_spawn(args, url, sizeof(url));
	static const char part[] = "GET /_emulator/health HTTP/1.1\r\nHo";

	REQUIRE(pid > 0);
	fd = raw_connect(url);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(send(fd, part, sizeof(part) - 1, MSG_NOSIGNAL) > 0);
		/* closed without an answer, well before 20 s */
		for (i = 0; i < 20 && !eof; i++)
			CHECK(raw_read(fd, buf, sizeof(buf), 1000, &eof) == 0);
		CHECK(eof);
		close(fd);
	}
	CHECK(health(url) == 200);
	t_emulator_stop(pid);
}

#define SLOW_CONNECTIONS 2000

/* Slowloris: 2,000 connections each holding a partial request, trickling
 * a header line now and then, while health checks keep being answered
 * (the emulator's defaults: about 1,100 used to stop it answering). */
TEST(emulator_answers_while_2000_slow_connections_are_open)
{
	static int fds[SLOW_CONNECTIONS];
	char url[256];
	struct rlimit rl;
	int i, n = 0, round, ok = 0, rounds = 0;
	pid_t pid;
	static const char head[] = "GET /_emulator/health HTTP/1.1\r\n"
				   "Host: x\r\n";

	/* this process needs a descriptor per connection too */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < SLOW_CONNECTIONS + 256) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		rl.rlim_cur >= SLOW_CONNECTIONS + 256);
	pid = t_emulator_spawn(NULL, url, sizeof(url));
	REQUIRE(pid > 0);
	for (i = 0; i < SLOW_CONNECTIONS; i++) {
		fds[i] = raw_connect(url);
		if (fds[i] < 0)
			break;
		n++;
		if (send(fds[i], head, sizeof(head) - 1, MSG_NOSIGNAL) < 0)
			break;
	}
	CHECK(n == SLOW_CONNECTIONS);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < n; i++) /* one more header line each */
			send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
		for (i = 0; i < 3; i++, rounds++)
			ok += health(url) == 200;
		usleep(300 * 1000);
	}
	CHECK(ok == rounds);
	/* the slow ones were kept, not dropped to make room: each still
	 * gets its answer once it ends its request */
	{
		char buf[512];
		int eof, answered = 0;

		for (i = 0; i < n; i += n / 8) {
			send(fds[i], "Connection: close\r\n\r\n", 21,
			     MSG_NOSIGNAL);
			raw_read(fds[i], buf, sizeof(buf), 2000, &eof);
			answered += strncmp(buf, "HTTP/1.1 200", 12) == 0;
		}
		CHECK(answered == 8);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	t_emulator_stop(pid);
}

/* ------------------------------------------------------------- latency */

#define DELAYED 64

static size_t discard(char *d, size_t s, size_t n, void *u)
{
	(void)d;
	(void)u;
	return s * n;
}

/* A latency fault suspends the request instead of holding a server
 * thread: 64 delayed requests (more than the server has threads) are all
 * answered, and a health check sent while they wait is answered before
 * any of them. Counts only, no wall-time bound. */
TEST(emulator_latency_does_not_hold_a_thread)
{
	char url[256], target[300];
	CURLM *m = curl_multi_init();
	CURL *h[DELAYED];
	int i, running = 1, done_before_health = -1, answered = 0;
	pid_t pid = t_emulator_spawn(NULL, url, sizeof(url));
	char *out;

	REQUIRE(pid > 0);
	out = t_control_at(url, "/_emulator/faults",
			   "{\"match\":{\"path\":\"/v2.0/vehicles\"},"
			   "\"fault\":{\"type\":\"latency\",\"ms\":3000},"
			   "\"count\":64}");
	CHECK_CONTAINS(out, "\"remaining\":64");
	free(out);
	snprintf(target, sizeof(target), "%s/v2.0/vehicles", url);
	for (i = 0; i < DELAYED; i++) {
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_URL, target);
		curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h[i], CURLOPT_NOSIGNAL, 1L);
		curl_multi_add_handle(m, h[i]);
	}
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	/* send them all: run the multi handle until every request is out */
	{
		int k;
		for (k = 0; k < 40 && running; k++) {
			curl_multi_perform(m, &running);
			curl_multi_poll(m, NULL, 0, 25, NULL);
		}
	}
	{
		CURLMsg *msg;
		int left;

		answered = 0;
		while ((msg = curl_multi_info_read(m, &left)))
			answered += msg->msg == CURLMSG_DONE;
		/* the health check goes while all 64 wait */
		CHECK(health(url) == 200);
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)))
			answered += msg->msg == CURLMSG_DONE;
		done_before_health = answered;
	}
	CHECK(done_before_health == 0);
	while (running) {
		CURLMsg *msg;
		int left;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)))
			answered += msg->msg == CURLMSG_DONE;
		if (running)
			curl_multi_poll(m, NULL, 0, 200, NULL);
	}
	{
		CURLMsg *msg;
		int left;

		while ((msg = curl_multi_info_read(m, &left)))
			answered += msg->msg == CURLMSG_DONE;
	}
	CHECK(answered == DELAYED);
	for (i = 0; i < DELAYED; i++) {
		long st = 0;
		curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &st);
		CHECK(st == 401); /* routed as usual once the wait is over */
		curl_multi_remove_handle(m, h[i]);
		curl_easy_cleanup(h[i]);
	}
	curl_multi_cleanup(m);
	/* every one of them was the fault's (none left) */
	out = t_control_at(url, "/_emulator/faults", NULL);
	CHECK_CONTAINS(out, "\"faults\":[]");
	free(out);
	t_emulator_stop(pid);
}

/* A delayed request whose client leaves before the answer was still
 * received: the request log lists it (with a null status when the server
 * noticed the close before answering). */
TEST(emulator_latency_logs_a_request_its_client_left)
{
	char url[256];
	int fd, i, found = 0;
	pid_t pid = t_emulator_spawn(NULL, url, sizeof(url));
	static const char req[] = "GET /v2.0/vehicles HTTP/1.1\r\nHost: x\r\n\r\n";
	char *out;

	REQUIRE(pid > 0);
	out = t_control_at(url, "/_emulator/faults",
			   "{\"match\":{\"path\":\"/v2.0/vehicles\"},"
			   "\"fault\":{\"type\":\"latency\",\"ms\":500}}");
	free(out);
	fd = raw_connect(url);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0);
		usleep(100 * 1000);
		close(fd); /* gone before the 500 ms are up */
	}
	/* the wait ends on its own; ask until the log has it (bounded) */
	for (i = 0; i < 50 && !found; i++) {
		cJSON *j = t_control_json(url, "GET", "/_emulator/requests",
					  NULL);
		const cJSON *e, *a = t_json_get(j, "requests");

		cJSON_ArrayForEach(e, a)
		{
			const char *p = t_json_str(e, "path");
			if (p && strcmp(p, "/v2.0/vehicles") == 0) {
				found = 1;
				/* null when the server saw the close first,
				 * else the answer that found no one */
				CHECK(cJSON_IsNull(t_json_get(e, "status")) ||
				      t_json_num(e, "status") == 401);
			}
		}
		cJSON_Delete(j);
		if (!found)
			usleep(100 * 1000);
	}
	CHECK(found);
	t_emulator_stop(pid);
}
