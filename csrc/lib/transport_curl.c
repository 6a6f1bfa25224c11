/* The libcurl transport: the only file that includes curl.h.
 *
 * Contract: send exactly the request the op built and hand back exactly
 * the response.  No redirects are followed, no auth is added, nothing is
 * retried here, and a request that may not be resent never goes on a
 * kept-alive connection (libcurl silently sends a request again when a
 * reused connection turns out dead). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sc_internal.h"
#include "xfer.h"

/* Idle easy handles always kept, whatever the client's peak. */
#define POOL_MIN 16
/* Idle multi handles kept for sc_call_many and the sc_async drivers
 * (each takes one per 128 transfers in flight, up to 16). */
#define MULTI_KEEP 32
/* Connections one easy handle keeps: one per origin the client uses. */
#define CONNS_PER_HANDLE 4L

/* The client's pool.  Connections are never shared between handles that
 * may run at the same time: libcurl's shared connection cache is not
 * thread-safe.  Each easy handle keeps its own connections and the pool
 * keeps the handles, so a thread that checks one out finds a connection
 * already open.  The multi handles of sc_async drivers and sc_call_many
 * are pooled the same way.  What is shared, under locks, is what libcurl shares safely: DNS
 * answers and TLS sessions (a new connection resumes the session instead
 * of a full handshake).  The CA store is parsed once per client and given
 * to every new TLS connection. */
struct handle;

struct sc_curl_pool {
	pthread_mutex_t lock;
	struct handle **idle;
	size_t nidle, cap;
	CURLM *multis[MULTI_KEEP];
	size_t nmultis;
	size_t busy;          /* easy handles checked out now */
	size_t peak;          /* most ever checked out at once */
	size_t keep_min;      /* idle handles kept in any case */
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	int proxy_env;        /* a proxy variable was set at creation */
	int ca_tried;         /* the CA store was loaded (or failed to) */
	X509_STORE *ca;       /* the client's CA store, or NULL */
	long ca_loads;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;
static int global_openssl;   /* libcurl's TLS backend is OpenSSL */

static void global_init_once(void)
{
	const curl_version_info_data *v;

	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
		? 0 : SC_ENETWORK;
	v = curl_version_info(CURLVERSION_NOW);
	global_openssl = v && v->ssl_version &&
			 strncmp(v->ssl_version, "OpenSSL/", 8) == 0;
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

int sc__curl_pool_new(struct sc_curl_pool **out, size_t keep_min)
{
	struct sc_curl_pool *p;
	int i;

	if (sc_global_init() < 0)
		return SC_ENETWORK;
	p = calloc(1, sizeof(*p));
	if (!p)
		return SC_ENOMEM;
	p->keep_min = keep_min ? keep_min : POOL_MIN;
	{
		/* the variables libcurl would read on every transfer */
		static const char *const vars[] = {
			"http_proxy", "https_proxy", "HTTPS_PROXY",
			"all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"
		};
		for (i = 0; i < (int)(sizeof(vars) / sizeof(*vars)); i++)
			p->proxy_env |= getenv(vars[i]) != NULL;
	}
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
	}
	*out = p;
	return 0;
}

/* An easy handle of the pool with what the transfers on it last set:
 * a transfer sets only the options that differ from the last one's (the
 * same call again sets none but the URL's check), and keeps the header
 * list while the next request's headers are the same.  The callbacks'
 * user data and the error buffer are the handle's own, set once. */
struct handle {
	CURL *h;
	sc_response *resp;        /* the transfer's, while it runs */
	char *url;                /* CURLOPT_URL as last set */
	long connect_timeout_ms;  /* as last set (-1: never) */
	long timeout_ms;
	int fresh;                /* FRESH_CONNECT and FORBID_REUSE */
	long http_version;
	int method;               /* METHOD_*: how the method was last set */
	/* the header list set on the handle: libcurl's nodes and the
	 * "Name: value" lines, then the request's own "name\0value\0"
	 * texts it was made from (sig, sig_len) to compare the next
	 * request's with; one block, wiped when it goes */
	struct curl_slist *headers;
	size_t headers_len;
	const char *sig;
	size_t sig_len;
	int headers_body;         /* made for a request with a body */
	char errbuf[CURL_ERROR_SIZE];
};

enum { METHOD_UNSET, METHOD_GET, METHOD_OTHER };

static void drop_header_list(struct handle *hd)
{
	if (hd->headers) {
		sc__wipe(hd->headers, hd->headers_len);
		free(hd->headers);
		hd->headers = NULL;
		hd->sig = NULL;
		hd->sig_len = 0;
	}
}

static void free_handle(struct handle *hd)
{
	curl_easy_cleanup(hd->h);
	drop_header_list(hd);
	free(hd->url);
	free(hd);
}

void sc__curl_pool_free(struct sc_curl_pool *p)
{
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->nidle; i++)
		free_handle(p->idle[i]);
	free(p->idle);
	for (i = 0; i < p->nmultis; i++)
		curl_multi_cleanup(p->multis[i]);
	if (p->share)
		curl_share_cleanup(p->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&p->share_locks[i]);
	if (p->ca)
		X509_STORE_free(p->ca);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

long sc__curl_pool_ca_loads(const struct sc_curl_pool *p)
{
	long n;
	pthread_mutex_lock((pthread_mutex_t *)&p->lock);
	n = p->ca_loads;
	pthread_mutex_unlock((pthread_mutex_t *)&p->lock);
	return n;
}

/* ---- the CA store, parsed once per client ------------------------------ */

/* The bundle libcurl would load: the client's, else libcurl's default
 * file (libcurl's default directory is left to libcurl). */
static const char *ca_file(const sc_client *client, CURL *h)
{
	char *file = client->ca_bundle;
#if LIBCURL_VERSION_NUM >= 0x075400
	if (!file)
		curl_easy_getinfo(h, CURLINFO_CAINFO, &file);
#else
	(void)h;
#endif
	return file;
}

static int ca_readable(const sc_client *client, CURL *h)
{
	const char *file = ca_file(client, h);
	FILE *f = file ? fopen(file, "r") : NULL;
	if (f)
		fclose(f);
	return f != NULL;
}

static X509_STORE *load_ca(const sc_client *client, CURL *h)
{
	X509_STORE *st = X509_STORE_new();
	const char *file = ca_file(client, h);

	if (st && (!file || X509_STORE_load_file(st, file) != 1)) {
		X509_STORE_free(st);
		st = NULL;
	}
	return st;
}

/* Called by libcurl for each new TLS connection: the client's store,
 * parsed on the first one (a client that only speaks plain HTTP never
 * pays for it). */
static CURLcode on_ssl_ctx(CURL *h, void *ssl_ctx, void *user)
{
	sc_client *client = user;
	struct sc_curl_pool *p = client->pool;
	X509_STORE *ca;

	pthread_mutex_lock(&p->lock);
	if (!p->ca_tried) {
		p->ca_tried = 1;
		p->ca = load_ca(client, h);
		p->ca_loads += p->ca != NULL;
	}
	ca = p->ca;
	pthread_mutex_unlock(&p->lock);
	if (!ca)
		return CURLE_SSL_CACERT_BADFILE;
	/* the context takes its own reference */
	SSL_CTX_set1_cert_store(ssl_ctx, ca);
	return CURLE_OK;
}

static size_t on_body(char *data, size_t size, size_t n, void *user);
static size_t on_header(char *data, size_t size, size_t n, void *user);

/* Options that stay the same for every transfer of the client: set once
 * when a handle is made. */
static struct handle *new_handle(sc_client *client)
{
	struct sc_curl_pool *p = client->pool;
	struct handle *hd = calloc(1, sizeof(*hd));
	CURL *h = hd ? curl_easy_init() : NULL;

	if (!h) {
		free(hd);
		return NULL;
	}
	hd->h = h;
	hd->connect_timeout_ms = hd->timeout_ms = -1;
	hd->fresh = -1;
	hd->http_version = -1;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, hd);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, hd);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, hd->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_MAXCONNECTS, CONNS_PER_HANDLE);
	if (p->share)
		curl_easy_setopt(h, CURLOPT_SHARE, p->share);
	if (client->proxy)
		curl_easy_setopt(h, CURLOPT_PROXY, client->proxy);
	else if (!p->proxy_env)
		/* none: libcurl need not look at the environment again for
		 * every transfer (configuration is read at creation) */
		curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (client->insecure_tls) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
		return hd;
	}
	if (client->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, client->ca_bundle);
	if (!global_openssl || !ca_readable(client, h))
		return hd; /* libcurl loads it, and says what is wrong with it */
	/* libcurl would parse the bundle again for every connection */
	curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, client);
	return hd;
}

static struct handle *checkout(sc_client *client)
{
	struct sc_curl_pool *p = client->pool;
	struct handle *h = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nidle > 0)
		h = p->idle[--p->nidle];
	p->busy++;
	if (p->busy > p->peak)
		p->peak = p->busy;
	pthread_mutex_unlock(&p->lock);
	if (!h)
		h = new_handle(client);
	if (!h) {
		pthread_mutex_lock(&p->lock);
		p->busy--;
		pthread_mutex_unlock(&p->lock);
	}
	return h;
}

/* Handles (and their connections) are kept for twice the most ever in
 * use at once, and at least keep_min. */
static void checkin(struct sc_curl_pool *p, struct handle *h)
{
	size_t keep;

	pthread_mutex_lock(&p->lock);
	p->busy--;
	keep = p->peak * 2 > p->keep_min ? p->peak * 2 : p->keep_min;
	if (p->nidle < keep) {
		if (p->nidle == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 16;
			struct handle **n = realloc(p->idle, cap * sizeof(*n));
			if (n) {
				p->idle = n;
				p->cap = cap;
			}
		}
		if (p->nidle < p->cap) {
			p->idle[p->nidle++] = h;
			h = NULL;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (h)
		free_handle(h);
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	sc_response *resp = ((struct handle *)user)->resp;
	size_t len = size * n;
	/* Returning less than len aborts the transfer: that is how the
	 * body cap stops a huge response early. */
	return sc_response_append_body(resp, data, len) == 0 ? len : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	sc_response *resp = ((struct handle *)user)->resp;
	size_t len = size * n, name_len, vstart, vend;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* a new status line (after 100-continue or a proxy CONNECT)
		 * starts a new header block */
		sc__response_clear_headers(resp);
		return len;
	}
	{
		const char *colon = memchr(data, ':', len);
		name_len = colon ? (size_t)(colon - data) : len;
	}
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
	sc__response_add_header_n(resp, data, name_len, data + vstart,
				  vend - vstart);
	return len;
}

static int map_error(CURLcode c, int too_big, long status)
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
		/* Once the status line is in, this is libcurl refusing a
		 * header line over its limit (CURL_MAX_HTTP_HEADER, 100 KB):
		 * the server's answer is too large, not this process. */
		return status > 0 ? SC_ETOOBIG : SC_ENOMEM;
	default:
		return SC_ENETWORK;
	}
}

/* Everything one transfer needs, kept together so the easy and the
 * multi paths share the setup and the finish. */
struct xfer {
	sc_client *client;
	struct handle *hd;
	sc_response *resp;
};

/* Whether libcurl looks for a custom header of this name (to add its own
 * or to leave ours out), given how new_handle() sets a handle up: no
 * libcurl auth, no user agent option, no redirects. */
static int curl_looks_for(const char *name)
{
	static const char *const names[] = {
		"Accept", "Accept-Encoding", "Connection", "Content-Length",
		"Content-Type", "Cookie", "Expect", "Host", "Proxy-Connection",
		"Range", "Referer", "TE", "Transfer-Encoding", "Upgrade"
	};
	size_t i;
	int c = name[0] | 0x20; /* the names all start with a letter */

	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if ((names[i][0] | 0x20) == c && sc__strcaseeq(names[i], name))
			return 1;
	return 0;
}

/* The bytes of header i: its name and value, "name\0value\0" (a
 * message keeps them together, see message.c). */
static size_t header_text_len(const sc_header *h)
{
	return (size_t)(h->value - h->name) + strlen(h->value) + 1;
}

/* Whether the handle's header list was made from req's headers. */
static int same_header_list(const struct handle *hd, const sc_request *req)
{
	const char *sig = hd->sig;
	size_t i, left = hd->sig_len;

	if (!hd->headers || hd->headers_body != (req->body.len > 0))
		return 0;
	for (i = 0; i < req->nheaders; i++) {
		const sc_header *h = &req->headers[i];
		size_t n = header_text_len(h);

		if (n > left || memcmp(sig, h->name, n) != 0)
			return 0;
		sig += n;
		left -= n;
	}
	return left == 0;
}

/* The header list: libcurl's list nodes and the "Name: value" lines in
 * one block (libcurl only reads the list), wiped when it goes: one line
 * holds the Authorization value.  The block ends with the request's own
 * header texts, to tell whether the next request's list is the same.
 *
 * libcurl formats each entry of the list into the request ("%s\r\n")
 * and compares it with the names it handles itself; that costs a few
 * thousand instructions an entry.  So the headers libcurl never looks
 * for share one entry, their lines joined by CRLF: the bytes sent are
 * the same.  The others (Accept, Content-Type...) keep an entry each,
 * where libcurl finds them.  "Expect:" (no "Expect: 100-continue")
 * goes with a request that has a body. */
static int header_list(struct handle *hd, const sc_request *req)
{
	static const char expect[] = "Expect:";
	size_t i, n = 0, joined = 0, len = 0, sig_len = 0;
	int body = req->body.len > 0, pass;
	unsigned char alone[32]; /* curl_looks_for of the first headers */
	struct curl_slist *nodes;
	char *p;

	for (i = 0; i < req->nheaders; i++) {
		int a = curl_looks_for(req->headers[i].name);
		if (i < sizeof(alone))
			alone[i] = (unsigned char)a;
		sig_len += header_text_len(&req->headers[i]);
		n += a;
		joined += !a;
	}
	/* a line is its texts, ": " for the first NUL and CRLF (or a NUL)
	 * for the second; then the texts themselves */
	len = sig_len + 2 * req->nheaders;
	n += (joined > 0) + body;
	/* (no entry at all: the block still holds the texts) */
	len += (n ? n : 1) * sizeof(struct curl_slist) + sizeof(expect) +
	       sig_len;
	nodes = malloc(len);
	if (!nodes)
		return SC_ENOMEM;
	p = (char *)(nodes + n);
	n = 0;
	/* first the entries of their own, then the joined one */
	for (pass = 1; pass >= 0; pass--) {
		int open = 0;
		for (i = 0; i < req->nheaders; i++) {
			const char *name = req->headers[i].name;
			size_t nl, vl;

			if ((i < sizeof(alone) ? alone[i]
					       : curl_looks_for(name)) != pass)
				continue;
			if (open) {
				p[-1] = '\r'; /* the joined entry goes on */
				*p++ = '\n';
			} else {
				nodes[n].data = p;
				nodes[n].next = &nodes[n + 1];
				n++;
				open = !pass;
			}
			nl = (size_t)(req->headers[i].value - name) - 1;
			vl = strlen(req->headers[i].value);
			memcpy(p, name, nl);
			p[nl] = ':';
			p[nl + 1] = ' ';
			memcpy(p + nl + 2, req->headers[i].value, vl + 1);
			p += nl + vl + 3;
		}
	}
	if (body) {
		/* libcurl would add "Expect: 100-continue" to larger POSTs */
		memcpy(p, expect, sizeof(expect));
		nodes[n].data = p;
		nodes[n].next = &nodes[n + 1];
		n++;
		p += sizeof(expect);
	}
	if (n > 0)
		nodes[n - 1].next = NULL;
	drop_header_list(hd);
	hd->headers = nodes;
	hd->headers_len = len;
	hd->headers_body = body;
	hd->sig = p;
	hd->sig_len = sig_len;
	for (i = 0; i < req->nheaders; i++) {
		size_t t = header_text_len(&req->headers[i]);
		memcpy(p, req->headers[i].name, t);
		p += t;
	}
	curl_easy_setopt(hd->h, CURLOPT_HTTPHEADER, n > 0 ? nodes : NULL);
	return 0;
}

static void set_long(CURL *h, CURLoption opt, long *last, long v)
{
	if (*last != v) {
		curl_easy_setopt(h, opt, v);
		*last = v;
	}
}

/* Set req up on the handle: only what differs from the last transfer. */
static int setup(struct handle *hd, const sc_request *req, long version)
{
	CURL *h = hd->h;
	int fresh = !req->reusable;
	int get = strcmp(req->method, "GET") == 0;
	int post = !get && strcmp(req->method, "POST") == 0;

	if (!same_header_list(hd, req) && header_list(hd, req) < 0)
		return SC_ENOMEM;
	if (!hd->url || strcmp(hd->url, req->url) != 0) {
		char *url = sc__strdup(req->url);
		if (!url)
			return SC_ENOMEM;
		curl_easy_setopt(h, CURLOPT_URL, url);
		free(hd->url);
		hd->url = url;
	}
	set_long(h, CURLOPT_CONNECTTIMEOUT_MS, &hd->connect_timeout_ms,
		 req->connect_timeout_ms);
	set_long(h, CURLOPT_TIMEOUT_MS, &hd->timeout_ms, req->timeout_ms);
	/* A request that may not go twice gets a connection of its own,
	 * closed after it: libcurl resends a request whose reused
	 * connection died before any answer, and the server may have
	 * acted on it. */
	if (hd->fresh != fresh) {
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, (long)fresh);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, (long)fresh);
		hd->fresh = fresh;
	}
	set_long(h, CURLOPT_HTTP_VERSION, &hd->http_version, version);
	if (get || (!post && !req->body.len)) {
		if (hd->method != METHOD_GET || !get) {
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
			curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		}
		hd->method = get ? METHOD_GET : METHOD_OTHER;
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
				 (long)req->body.len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
				 req->body.ptr ? req->body.ptr : "");
		hd->method = METHOD_OTHER;
	}
	if (!get && !post)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	return 0;
}

static int xfer_start(struct xfer *x, sc_client *client,
		      const sc_request *req, long version)
{
	x->client = client;
	x->hd = NULL;
	if (sc_response_new(&x->resp, client->max_response_bytes) < 0)
		return SC_ENOMEM;
	x->hd = checkout(client);
	if (!x->hd || setup(x->hd, req, version) < 0) {
		if (x->hd)
			checkin(client->pool, x->hd);
		x->hd = NULL;
		sc_response_free(x->resp);
		x->resp = NULL;
		return SC_ENOMEM;
	}
	x->hd->resp = x->resp;
	x->hd->errbuf[0] = '\0';
	return 0;
}

/* Finish a transfer: hand back the response, or the code, message and
 * whether the request certainly never left. */
static int xfer_finish(struct xfer *x, CURLcode cc, sc_response **resp_out,
		       char *errmsg, size_t errlen, int *unsent)
{
	long status = 0, connects = 0, sent = 0;
	struct handle *hd = x->hd;
	CURL *h = hd->h;
	int rc = 0;

	*resp_out = NULL;
	*unsent = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
	if (cc != CURLE_OK) {
		rc = map_error(cc, x->resp->too_big, status);
		/* nothing was written to the wire: safe to send again */
		*unsent = sent == 0 || cc == CURLE_COULDNT_CONNECT ||
			  cc == CURLE_COULDNT_RESOLVE_HOST ||
			  cc == CURLE_COULDNT_RESOLVE_PROXY;
		if (rc == SC_ETOOBIG && x->resp->too_big)
			snprintf(errmsg, errlen,
				 "the response body exceeds %zu bytes",
				 x->client->max_response_bytes);
		else if (rc == SC_ETOOBIG)
			snprintf(errmsg, errlen,
				 "a response header exceeds the size limit");
		else
			snprintf(errmsg, errlen, "%s",
				 hd->errbuf[0] ? hd->errbuf
					       : curl_easy_strerror(cc));
	}
	/* the handle keeps nothing of the transfer but its settings and
	 * header list (for the next one) */
	hd->resp = NULL;
	checkin(x->client->pool, hd);
	x->hd = NULL;

	if (connects) {
		pthread_mutex_lock(&x->client->lock);
		x->client->connections_opened += connects;
		pthread_mutex_unlock(&x->client->lock);
	}

	if (rc < 0) {
		sc_response_free(x->resp);
		x->resp = NULL;
		return rc;
	}
	sc_response_set_status(x->resp, (int)status);
	*resp_out = x->resp;
	x->resp = NULL;
	return 0;
}

int sc__curl_perform(sc_client *client, const sc_request *req,
		     sc_response **resp_out, char *errmsg, size_t errlen,
		     int *unsent)
{
	struct xfer x;
	int rc;

	*resp_out = NULL;
	*unsent = 1;
	errmsg[0] = '\0';
	rc = xfer_start(&x, client, req, (long)CURL_HTTP_VERSION_2TLS);
	if (rc < 0) {
		snprintf(errmsg, errlen, "cannot start a transfer");
		return rc;
	}
	return xfer_finish(&x, curl_easy_perform(x.hd->h), resp_out, errmsg,
			   errlen, unsent);
}

/* End transfer x with libcurl's result cc and hand its response, or
 * its failure, to op (NULL: drop it). */
static void xfer_to_op(struct xfer *x, CURLcode cc, sc_op *op)
{
	sc_response *resp;
	char errmsg[256];
	int unsent;
	int trc = xfer_finish(x, cc, &resp, errmsg, sizeof(errmsg), &unsent);

	if (!op)
		sc_response_free(resp);
	else if (trc < 0)
		(unsent ? sc_op_fail_unsent : sc_op_fail)(op, trc, errmsg);
	else
		sc_op_feed(op, resp);
}

/* ---- multi handles for sc_async and sc_call_many (async.c) -------------- */

void *sc__multi_checkout(sc_client *client)
{
	struct sc_curl_pool *p = client->pool;
	CURLM *m = sc__idle_take(&p->lock, p->multis, &p->nmultis);
	return m ? m : curl_multi_init();
}

void sc__multi_checkin(sc_client *client, void *multi)
{
	struct sc_curl_pool *p = client->pool;
	if (!sc__idle_keep(&p->lock, p->multis, &p->nmultis, MULTI_KEEP,
			   multi))
		curl_multi_cleanup(multi);
}

/* ---- single transfers for async.c (xfer.h) ----------------------------- */

struct xfer *sc__xfer_begin(sc_client *client, const sc_request *req)
{
	struct xfer *x = malloc(sizeof(*x));
	/* HTTP/1.1: one transfer per connection.  Over HTTP/2, libcurl
	 * 7.88 holds back the streams added to a busy connection until
	 * one ends, which turns one latency into two. */
	if (!x || xfer_start(x, client, req, (long)CURL_HTTP_VERSION_1_1) < 0) {
		free(x);
		return NULL;
	}
	return x;
}

void *sc__xfer_handle(struct xfer *x)
{
	return x->hd->h;
}

void sc__xfer_end(struct xfer *x, int cc, sc_op *op)
{
	xfer_to_op(x, (CURLcode)cc, op);
	free(x);
}
