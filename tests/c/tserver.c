/* The transport tests' server (tserver.h): one thread per connection,
 * plain sockets or OpenSSL. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/ssl.h>

#include "smartcar.h"
#include "tserver.h"

#define MAX_CONNS 256

struct conn {
	t_server *srv;
	int fd; /* -1 once closed */
	SSL *ssl;
	pthread_t th;
	int done; /* serve() ended: the thread may be joined */
};

struct t_server {
	t_server_opts o;
	int lfd;
	int stop;
	SSL_CTX *ctx;
	pthread_t accept_th;
	pthread_mutex_t lock;
	struct conn *conns[MAX_CONNS];
	int nconns;
	t_server_counts counts;
};

static void count(t_server *s, int *field)
{
	pthread_mutex_lock(&s->lock);
	(*field)++;
	pthread_mutex_unlock(&s->lock);
}

static long io_read(struct conn *c, char *buf, size_t n)
{
	if (c->ssl) {
		int r = SSL_read(c->ssl, buf, (int)n);
		return r > 0 ? r : -1;
	}
	return read(c->fd, buf, n);
}

static int io_write(struct conn *c, const char *buf, size_t n)
{
	while (n > 0) {
		long w = c->ssl ? SSL_write(c->ssl, buf, (int)n)
				: write(c->fd, buf, n);
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one request into buf; its length, 0 at EOF, -1 on error.  The
 * byte count of what follows it (pipelined) is kept in *have. */
static long read_request(struct conn *c, char *buf, size_t cap, size_t *have)
{
	for (;;) {
		char *end = memmem(buf, *have, "\r\n\r\n", 4);
		if (end) {
			size_t head = (size_t)(end - buf) + 4, body = 0;
			const char *cl = NULL, *p;
			for (p = buf; p < end; p++)
				if ((p == buf || p[-1] == '\n') &&
				    strncasecmp(p, "Content-Length:", 15) == 0)
					cl = p + 15;
			if (cl)
				body = strtoul(cl, NULL, 10);
			if (head + body <= *have)
				return (long)(head + body);
		}
		if (*have >= cap)
			return -1;
		{
			long r = io_read(c, buf + *have, cap - *have);
			if (r <= 0)
				return *have ? -1 : 0;
			*have += (size_t)r;
		}
	}
}

static int answer(struct conn *c, int post, int status, const char *reply)
{
	t_server *s = c->srv;
	char head[512];
	const char *body = reply ? reply : post
		? "{\"status\":\"success\",\"message\":\"done\"}"
		: s->o.get_body ? s->o.get_body : "{\"distance\":1234.5}";
	int n;

	if (s->o.delay_ms > 0) {
		struct timespec ts = { s->o.delay_ms / 1000,
				       (s->o.delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
		     "SC-Request-Id: t-1\r\nContent-Length: %zu\r\n%s",
		     status, strlen(body),
		     s->o.close_each ? "Connection: close\r\n" : "");
	if (io_write(c, head, (size_t)n) < 0)
		return -1;
	if (s->o.big_header) {
		char *big = malloc(s->o.big_header + 16);
		int rc;
		if (!big)
			return -1;
		memcpy(big, "X-Big: ", 7);
		memset(big + 7, 'a', s->o.big_header);
		memcpy(big + 7 + s->o.big_header, "\r\n", 2);
		rc = io_write(c, big, s->o.big_header + 9);
		free(big);
		if (rc < 0)
			return -1;
	}
	if (io_write(c, "\r\n", 2) < 0 || io_write(c, body, strlen(body)) < 0)
		return -1;
	return 0;
}

/* webhook_amt: the request [buf, buf + len) through sc_webhook_receive;
 * its reply (caller frees), NULL when refused. */
static char *receive(t_server *s, const char *buf, long len)
{
	const char *end = memmem(buf, (size_t)len, "\r\n\r\n", 4), *p;
	char sig[160] = "", *reply = NULL;
	sc_result *ev = NULL;

	for (p = buf; end && p + 13 < end; p++)
		if ((p == buf || p[-1] == '\n') &&
		    strncasecmp(p, "SC-Signature:", 13) == 0) {
			/* the request is not NUL-terminated: copy by hand */
			const char *v = p + 13;
			size_t n = 0;
			while (v < end && *v == ' ')
				v++;
			while (v < end && n + 1 < sizeof(sig) &&
			       strchr("0123456789abcdefABCDEF", *v) && *v)
				sig[n++] = *v++;
			sig[n] = '\0';
		}
	if (end && sc_webhook_receive(&ev, s->o.webhook_amt, *sig ? sig : NULL,
				      end + 4, (size_t)(buf + len - end - 4),
				      NULL) == 0 &&
	    sc_result_get_string(ev, "reply"))
		reply = strdup(sc_result_get_string(ev, "reply"));
	sc_result_free(ev);
	pthread_mutex_lock(&s->lock);
	if (reply)
		s->counts.webhooks++;
	else
		s->counts.refused++;
	pthread_mutex_unlock(&s->lock);
	return reply;
}

static void *serve(void *arg)
{
	struct conn *c = arg;
	t_server *s = c->srv;
	size_t cap = 65536, have = 0;
	char *buf = malloc(cap);
	int nth = 0;

	if (!buf)
		goto out;
	if (s->ctx) {
		c->ssl = SSL_new(s->ctx);
		if (!c->ssl)
			goto out;
		SSL_set_fd(c->ssl, c->fd);
		if (SSL_accept(c->ssl) != 1)
			goto out;
		count(s, SSL_session_reused(c->ssl) ? &s->counts.resumed
						    : &s->counts.full_handshakes);
	}
	for (;;) {
		long len = read_request(c, buf, cap, &have);
		int post;
		if (len <= 0)
			break;
		nth++;
		post = strncmp(buf, "GET ", 4) != 0;
		pthread_mutex_lock(&s->lock);
		s->counts.requests++;
		if (post)
			s->counts.posts++;
		else
			s->counts.gets++;
		pthread_mutex_unlock(&s->lock);
		if (s->o.drop_second && nth == 2)
			break; /* acted on, never answered */
		if (post && s->o.webhook_amt) {
			char *reply = receive(s, buf, len);
			int rc = answer(c, post, reply ? 200 : 401,
					reply ? reply : "{}");
			free(reply);
			if (rc < 0)
				break;
		} else if (answer(c, post, 200, NULL) < 0) {
			break;
		}
		if (s->o.close_each)
			break;
		memmove(buf, buf + len, have - (size_t)len);
		have -= (size_t)len;
	}
out:
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	free(buf);
	pthread_mutex_lock(&s->lock);
	shutdown(c->fd, SHUT_RDWR);
	close(c->fd);
	c->fd = -1;
	c->done = 1;
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Join the connections that ended and free their slots (a server may
 * take more connections over its life than it holds at once).  Called
 * with s->lock held. */
static void reap(t_server *s)
{
	int i = 0;
	while (i < s->nconns) {
		struct conn *c = s->conns[i];
		if (!c->done) {
			i++;
			continue;
		}
		pthread_join(c->th, NULL); /* past its last use of the lock */
		free(c);
		s->conns[i] = s->conns[--s->nconns];
	}
}

static void *accept_loop(void *arg)
{
	t_server *s = arg;
	for (;;) {
		struct pollfd pfd = { s->lfd, POLLIN, 0 };
		struct conn *c;
		int fd;

		if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		c = calloc(1, sizeof(*c));
		pthread_mutex_lock(&s->lock);
		reap(s);
		if (!c || s->nconns >= MAX_CONNS) {
			pthread_mutex_unlock(&s->lock);
			free(c);
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		s->conns[s->nconns++] = c;
		s->counts.connections++;
		pthread_mutex_unlock(&s->lock);
		pthread_create(&c->th, NULL, serve, c);
	}
	return NULL;
}

static SSL_CTX *tls_ctx(const char *dir, int tls12)
{
	char crt[512], key[512];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	if (tls12)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	snprintf(crt, sizeof(crt), "%s/server.crt", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

t_server *t_server_start(const t_server_opts *o, char *url, size_t n)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	t_server *s = calloc(1, sizeof(*s));
	int one = 1;

	if (!s)
		return NULL;
	if (o)
		s->o = *o;
	pthread_mutex_init(&s->lock, NULL);
	if (s->o.tls_dir && !(s->ctx = tls_ctx(s->o.tls_dir, s->o.tls12))) {
		free(s);
		return NULL;
	}
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s->lfd, 128) ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &al)) {
		if (s->lfd >= 0)
			close(s->lfd);
		SSL_CTX_free(s->ctx);
		free(s);
		return NULL;
	}
	snprintf(url, n, "%s://127.0.0.1:%d", s->ctx ? "https" : "http",
		 ntohs(a.sin_port));
	pthread_create(&s->accept_th, NULL, accept_loop, s);
	return s;
}

void t_server_counts_get(t_server *s, t_server_counts *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->counts;
	pthread_mutex_unlock(&s->lock);
}

void t_server_stop(t_server *s)
{
	int i;
	if (!s)
		return;
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(s->accept_th, NULL);
	close(s->lfd);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nconns; i++)
		if (s->conns[i]->fd >= 0)
			shutdown(s->conns[i]->fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < s->nconns; i++) {
		pthread_join(s->conns[i]->th, NULL);
		free(s->conns[i]);
	}
	SSL_CTX_free(s->ctx);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
