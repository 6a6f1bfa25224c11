/* The libcurl transport: the only file that includes curl.h.
 *
 * Contract: send exactly the request the op built and hand back exactly
 * the response.  No redirects are followed, no auth is added, nothing is
 * retried here.  Connections, TLS sessions and DNS answers are shared by
 * every easy handle of a client through a share handle, and idle easy
 * handles are kept in a small pool, so a client reuses its connections
 * across calls and threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "sc_internal.h"

#define POOL_MAX 16

struct sc_curl_pool {
	pthread_mutex_t lock;
	CURL *idle[POOL_MAX];
	int nidle;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;

static void global_init_once(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
		? 0 : SC_ENETWORK;
}

int sc_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return global_rc;
}

void sc_global_cleanup(void)
{
	/* curl_global_cleanup is left to process exit: calling it while
	 * another library in the process still uses curl would break it. */
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a,
		       void *user)
{
	struct sc_curl_pool *p = user;
	(void)h;
	(void)a;
	if (data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&p->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
	struct sc_curl_pool *p = user;
	(void)h;
	if (data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&p->share_locks[data]);
}

int sc__curl_pool_new(struct sc_curl_pool **out)
{
	struct sc_curl_pool *p;
	int i;

	if (sc_global_init() < 0)
		return SC_ENETWORK;
	p = calloc(1, sizeof(*p));
	if (!p)
		return SC_ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&p->share_locks[i], NULL);
	p->share = curl_share_init();
	if (p->share) {
		curl_share_setopt(p->share, CURLSHOPT_LOCKFUNC, share_lock);
		curl_share_setopt(p->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
		curl_share_setopt(p->share, CURLSHOPT_USERDATA, p);
		curl_share_setopt(p->share, CURLSHOPT_SHARE,
				  CURL_LOCK_DATA_DNS);
		curl_share_setopt(p->share, CURLSHOPT_SHARE,
				  CURL_LOCK_DATA_SSL_SESSION);
		curl_share_setopt(p->share, CURLSHOPT_SHARE,
				  CURL_LOCK_DATA_CONNECT);
	}
	*out = p;
	return 0;
}

void sc__curl_pool_free(struct sc_curl_pool *p)
{
	int i;
	if (!p)
		return;
	for (i = 0; i < p->nidle; i++)
		curl_easy_cleanup(p->idle[i]);
	if (p->share)
		curl_share_cleanup(p->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&p->share_locks[i]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static CURL *checkout(struct sc_curl_pool *p)
{
	CURL *h = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->nidle > 0)
		h = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	if (h)
		curl_easy_reset(h); /* keeps its connections and caches */
	else
		h = curl_easy_init();
	return h;
}

static void checkin(struct sc_curl_pool *p, CURL *h)
{
	pthread_mutex_lock(&p->lock);
	if (p->nidle < POOL_MAX) {
		p->idle[p->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (h)
		curl_easy_cleanup(h);
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	sc_response *resp = user;
	size_t len = size * n;
	/* Returning less than len aborts the transfer: that is how the
	 * body cap stops a huge response early. */
	return sc_response_append_body(resp, data, len) == 0 ? len : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	sc_response *resp = user;
	size_t len = size * n, name_len, vstart, vend;
	char *name, *value;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new status line (after 100-continue or a proxy CONNECT)
		 * starts a new header block */
		sc__response_clear_headers(resp);
		return len;
	}
	for (name_len = 0; name_len < len && data[name_len] != ':';
	     name_len++)
		;
	if (name_len == 0 || name_len >= len)
		return len;
	vstart = name_len + 1;
	while (vstart < len && (data[vstart] == ' ' || data[vstart] == '\t'))
		vstart++;
	vend = len;
	while (vend > vstart && (data[vend - 1] == '\r' ||
				 data[vend - 1] == '\n' ||
				 data[vend - 1] == ' '))
		vend--;
	if (resp->nheaders >= 256)
		return len; /* ignore absurd header counts */
	name = sc__strndup(data, name_len);
	value = sc__strndup(data + vstart, vend - vstart);
	if (name && value)
		sc_response_add_header(resp, name, value);
	free(name);
	free(value);
	return len;
}

static int map_error(CURLcode c, int too_big)
{
	if (too_big)
		return SC_ETOOBIG;
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return SC_ETIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return SC_ETLS;
	case CURLE_OUT_OF_MEMORY:
		return SC_ENOMEM;
	default:
		return SC_ENETWORK;
	}
}

int sc__curl_perform(sc_client *client, const sc_request *req,
		     sc_response **resp_out, char *errmsg, size_t errlen)
{
	struct sc_curl_pool *pool = client->pool;
	struct curl_slist *headers = NULL, *tmp;
	char errbuf[CURL_ERROR_SIZE];
	sc_response *resp = NULL;
	CURL *h;
	CURLcode cc;
	long status = 0, connects = 0;
	size_t i;
	int rc;

	*resp_out = NULL;
	errmsg[0] = '\0';
	if (sc_response_new(&resp, client->max_response_bytes) < 0)
		return SC_ENOMEM;
	h = checkout(pool);
	if (!h) {
		sc_response_free(resp);
		snprintf(errmsg, errlen, "cannot create a curl handle");
		return SC_ENOMEM;
	}
	for (i = 0; i < req->nheaders; i++) {
		size_t n = strlen(req->headers[i].name) +
			   strlen(req->headers[i].value) + 3;
		char *line = malloc(n);
		if (!line)
			break;
		snprintf(line, n, "%s: %s", req->headers[i].name,
			 req->headers[i].value);
		tmp = curl_slist_append(headers, line);
		/* the line holds the Authorization value */
		sc__wipe_free(line);
		if (!tmp)
			break;
		headers = tmp;
	}
	/* libcurl would add "Expect: 100-continue" to larger POSTs */
	tmp = curl_slist_append(headers, "Expect:");
	if (tmp)
		headers = tmp;

	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	if (pool->share)
		curl_easy_setopt(h, CURLOPT_SHARE, pool->share);
	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
					 req->method);
		if (req->body.len || strcmp(req->method, "POST") == 0) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
					 (long)req->body.len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS,
					 req->body.ptr ? req->body.ptr : "");
		}
	}

	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	/* detach the share and per-call pointers before pooling */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(headers);
	checkin(pool, h);

	pthread_mutex_lock(&client->lock);
	client->connections_opened += connects;
	pthread_mutex_unlock(&client->lock);

	if (cc != CURLE_OK) {
		rc = map_error(cc, resp->too_big);
		if (rc == SC_ETOOBIG)
			snprintf(errmsg, errlen,
				 "the response body exceeds %zu bytes",
				 client->max_response_bytes);
		else
			snprintf(errmsg, errlen, "%s",
				 errbuf[0] ? errbuf : curl_easy_strerror(cc));
		sc_response_free(resp);
		return rc;
	}
	sc_response_set_status(resp, (int)status);
	*resp_out = resp;
	return 0;
}
