/* A tiny blocking HTTP/1.1 client for webhook callbacks.
 *
 * Only http:// URLs whose host is loopback (127.0.0.0/8, ::1, localhost)
 * are attempted: the emulator never sends traffic off the machine. One
 * request per connection (Connection: close), one deadline for the whole
 * exchange, replies capped at 1 MiB; Content-Length, chunked and
 * read-to-close bodies are understood. Never called with a lock held. */
#include "emu.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPLY_MAX (1024u * 1024u)

static void set_error(emu_http_reply *out, const char *msg, const char *arg)
{
	snprintf(out->error, sizeof out->error, "%s%s%.80s", msg,
		 arg ? ": " : "", arg ? arg : "");
}

void emu_http_reply_free(emu_http_reply *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			return s->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

/* http://host[:port][/path]; host may be [v6]. Fills host, port, path. */
static int parse_url(const char *url, char *host, size_t hostlen, char *port,
		     size_t portlen, const char **path)
{
	if (strncasecmp(url, "http://", 7) != 0)
		return -1;
	const char *h = url + 7, *e;
	if (*h == '[') {
		e = strchr(h, ']');
		if (!e)
			return -1;
		if ((size_t)(e - h - 1) >= hostlen)
			return -1;
		memcpy(host, h + 1, (size_t)(e - h - 1));
		host[e - h - 1] = '\0';
		e++;
	} else {
		e = h + strcspn(h, ":/?#");
		if (e == h || (size_t)(e - h) >= hostlen)
			return -1;
		memcpy(host, h, (size_t)(e - h));
		host[e - h] = '\0';
	}
	if (*e == ':') {
		const char *p = e + 1, *pe = p;
		while (isdigit((unsigned char)*pe))
			pe++;
		if (pe == p || (size_t)(pe - p) >= portlen || pe - p > 5)
			return -1;
		memcpy(port, p, (size_t)(pe - p));
		port[pe - p] = '\0';
		if (atoi(port) <= 0 || atoi(port) > 65535)
			return -1;
		e = pe;
	} else {
		snprintf(port, portlen, "80");
	}
	if (*e && *e != '/' && *e != '?')
		return -1;
	*path = *e ? e : "/";
	return 0;
}

static int ms_left(int64_t deadline)
{
	int64_t left = deadline - emu_real_ms();
	return left < 0 ? 0 : (int)left;
}

/* Waits for events on fd until the deadline. 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		int left = ms_left(deadline);
		if (left == 0)
			return 0;
		int n = poll(&p, 1, left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static int connect_deadline(const struct addrinfo *ai, int64_t deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	if (wait_fd(fd, POLLOUT, deadline) != 1) {
		close(fd);
		errno = ETIMEDOUT;
		return -1;
	}
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
		close(fd);
		errno = err ? err : EIO;
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline) != 1)
				return -1;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Header value (case-insensitive name) inside the head block, or NULL. */
static const char *find_header(const char *head, const char *name, size_t *vl)
{
	size_t nl = strlen(name);
	for (const char *l = strstr(head, "\r\n"); l; l = strstr(l, "\r\n")) {
		l += 2;
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = strstr(v, "\r\n");
			size_t n = e ? (size_t)(e - v) : strlen(v);
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			*vl = n;
			return v;
		}
	}
	return NULL;
}

/* Decodes a chunked body in place. Returns 1 when the last chunk was
 * seen, 0 when more data is needed, -1 on a malformed stream. */
static int dechunk(const char *in, size_t len, emu_buf *out)
{
	size_t i = 0;
	out->len = 0;
	for (;;) {
		const char *crlf = NULL;
		for (size_t k = i; k + 1 < len; k++)
			if (in[k] == '\r' && in[k + 1] == '\n') {
				crlf = in + k;
				break;
			}
		if (!crlf)
			return 0;
		char *end;
		unsigned long size = strtoul(in + i, &end, 16);
		if (end == in + i)
			return -1;
		size_t data = (size_t)(crlf - in) + 2;
		if (size == 0)
			return 1;
		if (size > REPLY_MAX)
			return -1;
		if (data + size + 2 > len)
			return 0;
		emu_buf_put(out, in + data, size);
		i = data + size + 2;
	}
}

int emu_http_post(const char *url, const emu_hdr *headers, size_t n_headers,
		  const char *body, size_t len, int timeout_ms,
		  emu_http_reply *out)
{
	memset(out, 0, sizeof *out);
	char host[256], port[8];
	const char *path;
	if (parse_url(url, host, sizeof host, port, sizeof port, &path) != 0) {
		set_error(out,
			  "refused: only http://HOST[:PORT]/PATH URLs on "
			  "loopback",
			  NULL);
		return -1;
	}
	int64_t deadline = emu_real_ms() + timeout_ms;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* Names other than localhost are never resolved: no DNS traffic. */
	int is_name = strcasecmp(host, "localhost") == 0;
	if (!is_name)
		hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
		set_error(out, "refused: callback host is not loopback", host);
		return -1;
	}
	int fd = -1, refused = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		if (!is_loopback(ai->ai_addr)) {
			refused = 1;
			continue;
		}
		fd = connect_deadline(ai, deadline);
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (refused)
			set_error(out, "refused: callback host is not loopback",
				  host);
		else
			set_error(out, "connect failed", strerror(errno));
		return -1;
	}

	emu_buf req = { 0 };
	int v6 = strchr(host, ':') != NULL;
	emu_buf_printf(&req,
		       "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
		       "Content-Length: %zu\r\nConnection: close\r\n"
		       "User-Agent: smartcar-emulator-webhooks\r\n",
		       path, v6 ? "[" : "", host, v6 ? "]" : "", port, len);
	for (size_t i = 0; i < n_headers; i++)
		emu_buf_printf(&req, "%s: %s\r\n", headers[i].name,
			       headers[i].value);
	emu_buf_puts(&req, "\r\n");
	emu_buf_put(&req, body, len);
	int rc = send_all(fd, req.p, req.len, deadline);
	emu_buf_free(&req);
	if (rc != 0) {
		set_error(out, "send failed",
			  ms_left(deadline) ? strerror(errno) : "timed out");
		close(fd);
		return -1;
	}

	/* Read until the reply is complete, the peer closes, or time runs out. */
	emu_buf in = { 0 }, chunks = { 0 };
	int done = 0, closed = 0, failed = 0;
	size_t head_len = 0;
	long content_length = -1;
	int chunked = 0;
	while (!done) {
		char tmp[8192];
		ssize_t n = recv(fd, tmp, sizeof tmp, 0);
		if (n > 0) {
			if (in.len + (size_t)n > REPLY_MAX) {
				set_error(out, "reply too large", NULL);
				failed = 1;
				break;
			}
			emu_buf_put(&in, tmp, (size_t)n);
		} else if (n == 0) {
			closed = 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK ||
			   errno == EINTR) {
			int w = wait_fd(fd, POLLIN, deadline);
			if (w != 1) {
				set_error(out, "no reply",
					  w == 0 ? "timed out"
						 : strerror(errno));
				failed = 1;
				break;
			}
			continue;
		} else {
			set_error(out, "receive failed", strerror(errno));
			failed = 1;
			break;
		}
		if (!head_len && in.p) {
			char *sep = strstr(in.p, "\r\n\r\n");
			if (sep) {
				head_len = (size_t)(sep - in.p) + 4;
				in.p[head_len - 2] =
					'\0'; /* terminate the head for parsing */
				size_t vl;
				const char *v = find_header(
					in.p, "Content-Length", &vl);
				if (v)
					content_length = strtol(v, NULL, 10);
				v = find_header(in.p, "Transfer-Encoding", &vl);
				chunked = v && vl >= 7 &&
					  strncasecmp(v + vl - 7, "chunked",
						      7) == 0;
			}
		}
		if (head_len) {
			size_t have = in.len - head_len;
			if (chunked) {
				int c = dechunk(in.p + head_len, have, &chunks);
				if (c < 0) {
					set_error(out,
						  "malformed chunked reply",
						  NULL);
					failed = 1;
					break;
				}
				done = c == 1;
			} else if (content_length >= 0) {
				done = have >= (size_t)content_length;
			} else {
				done = closed;
			}
		}
		if (closed && !done) {
			set_error(out,
				  "connection closed before the reply was "
				  "complete",
				  NULL);
			failed = 1;
			break;
		}
	}
	close(fd);
	if (failed) {
		emu_buf_free(&in);
		emu_buf_free(&chunks);
		return -1;
	}
	int status = 0;
	if (sscanf(in.p, "HTTP/%*d.%*d %d", &status) != 1 || status < 100 ||
	    status > 999) {
		set_error(out, "malformed status line", NULL);
		emu_buf_free(&in);
		emu_buf_free(&chunks);
		return -1;
	}
	out->status = status;
	if (chunked) {
		out->body_len = chunks.len;
		out->body = emu_buf_take(&chunks);
	} else {
		size_t n = in.len - head_len;
		if (content_length >= 0 && (size_t)content_length < n)
			n = (size_t)content_length;
		out->body = emu_strndup(in.p + head_len, n);
		out->body_len = n;
	}
	emu_buf_free(&in);
	emu_buf_free(&chunks);
	return 0;
}
