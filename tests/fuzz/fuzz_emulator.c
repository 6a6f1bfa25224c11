/* libFuzzer target: smartcar-emulator's request parsing, end to end. The
 * emulator's server runs in this process on a loopback port; each input
 * is sent as raw bytes on a new connection (the write side then shut), and
 * whatever comes back is read and dropped. The sanitizers watch the whole
 * path: libmicrohttpd's parsing, server.c's strict checks (NUL in the
 * target, Content-Length framing), the target and query decoding, the
 * Authorization parsers, and every handler's body parsing. Faults an input
 * may add through the control API are cleared after it. Two rules are
 * checked as well: a GET whose target holds a NUL (raw or %00), and a
 * request with two Content-Length headers, never get a 2xx answer. */
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu.h"

static int port;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	struct MHD_Daemon *d;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	emu_config_defaults(&emu_cfg);
	emu_cfg.max_connections = EMU_DEFAULT_MAX_CONNECTIONS;
	emu_cfg.connection_timeout_s = 2;
	emu_state_init();
	d = emu_server_start("127.0.0.1", 0, &port, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "fuzz_emulator: %s\n", err);
		abort();
	}
	return 0; /* the daemon lives until the process ends */
}

/* Reads until the server closes, 1 MiB arrived, or 50 ms of silence
 * (a latency fault, or a request the server still waits to complete). */
static void drain(int fd, char first[16])
{
	char buf[65536];
	size_t total = 0;
	struct pollfd p = {fd, POLLIN, 0};

	memset(first, 0, 16);
	while (total < (1u << 20) && poll(&p, 1, 50) == 1) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		if (total < 15)
			memcpy(first + total, buf,
			       (size_t)n < 15 - total ? (size_t)n : 15 - total);
		total += (size_t)n;
	}
}

static const uint8_t *find(const uint8_t *h, size_t hn, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; hn >= n && i <= hn - n; i++)
		if (strncasecmp((const char *)h + i, needle, n) == 0)
			return h + i;
	return NULL;
}

/* 1 when the input is a request the server must refuse: "GET <target>
 * HTTP/1.1" whose target (before any '#') holds a NUL or "%00", or a
 * head with two Content-Length lines. */
static int must_refuse(const uint8_t *d, size_t n)
{
	const uint8_t *eol = find(d, n, "\r\n"), *head_end, *cl;
	size_t i, tl;

	if (eol && n > 4 && memcmp(d, "GET /", 5) == 0 &&
	    (size_t)(eol - d) > 13 &&
	    memcmp(eol - 9, " HTTP/1.1", 9) == 0) {
		tl = (size_t)(eol - 9 - (d + 4));
		for (i = 0; i < tl && d[4 + i] != '#'; i++)
			if (d[4 + i] == 0 ||
			    (i + 2 < tl && memcmp(d + 4 + i, "%00", 3) == 0))
				return 1;
	}
	head_end = find(d, n, "\r\n\r\n");
	if (head_end) {
		n = (size_t)(head_end - d) + 2;
		cl = find(d, n, "\r\ncontent-length:");
		if (cl && find(cl + 2, n - (size_t)(cl + 2 - d),
			       "\r\ncontent-length:"))
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in a;
	char first[16];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		size_t off = 0;
		while (off < size) {
			ssize_t n = send(fd, data + off, size - off,
					 MSG_NOSIGNAL);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		shutdown(fd, SHUT_WR);
		drain(fd, first);
		if (strncmp(first, "HTTP/1.1 2", 10) == 0 &&
		    must_refuse(data, size)) {
			fprintf(stderr, "fuzz_emulator: answered %.12s\n", first);
			abort();
		}
	}
	close(fd);
	emu_faults_clear();
	return 0;
}
