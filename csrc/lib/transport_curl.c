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
#include <stddef.h>
#include <time.h>
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

/* Everything one transfer needs, kept together so the easy and the
 * multi paths share the setup and the finish. */
struct xfer {
	sc_client *client;
	CURL *h;
	struct curl_slist *headers;
	sc_response *resp;
	char errbuf[CURL_ERROR_SIZE];
};

static int xfer_start(struct xfer *x, sc_client *client,
		      const sc_request *req)
{
	struct sc_curl_pool *pool = client->pool;
	struct curl_slist *tmp;
	CURL *h;
	size_t i;

	memset(x, 0, sizeof(*x));
	x->client = client;
	if (sc_response_new(&x->resp, client->max_response_bytes) < 0)
		return SC_ENOMEM;
	h = x->h = checkout(pool);
	if (!h) {
		sc_response_free(x->resp);
		x->resp = NULL;
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
		tmp = curl_slist_append(x->headers, line);
		/* the line holds the Authorization value */
		sc__wipe_free(line);
		if (!tmp)
			break;
		x->headers = tmp;
	}
	/* libcurl would add "Expect: 100-continue" to larger POSTs */
	tmp = curl_slist_append(x->headers, "Expect:");
	if (tmp)
		x->headers = tmp;

	x->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
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
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x->resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x->resp);
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	if (client->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, client->ca_bundle);
	if (client->proxy)
		curl_easy_setopt(h, CURLOPT_PROXY, client->proxy);
	if (client->insecure_tls) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
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
	return 0;
}

/* Finish a transfer: hand back the response, or the code, message and
 * whether the request certainly never left. */
static int xfer_finish(struct xfer *x, CURLcode cc, sc_response **resp_out,
		       char *errmsg, size_t errlen, int *unsent)
{
	long status = 0, connects = 0, sent = 0;
	CURL *h = x->h;
	int rc;

	*resp_out = NULL;
	*unsent = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	checkin(x->client->pool, h);
	x->h = NULL;

	pthread_mutex_lock(&x->client->lock);
	x->client->connections_opened += connects;
	pthread_mutex_unlock(&x->client->lock);

	if (cc != CURLE_OK) {
		rc = map_error(cc, x->resp->too_big);
		/* nothing was written to the wire: safe to send again */
		*unsent = sent == 0 || cc == CURLE_COULDNT_CONNECT ||
			  cc == CURLE_COULDNT_RESOLVE_HOST ||
			  cc == CURLE_COULDNT_RESOLVE_PROXY;
		if (rc == SC_ETOOBIG)
			snprintf(errmsg, errlen,
				 "the response body exceeds %zu bytes",
				 x->client->max_response_bytes);
		else
			snprintf(errmsg, errlen, "%s",
				 x->errbuf[0] ? x->errbuf
					      : curl_easy_strerror(cc));
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
	rc = xfer_start(&x, client, req);
	if (rc < 0) {
		snprintf(errmsg, errlen, "cannot start a transfer");
		return rc;
	}
	return xfer_finish(&x, curl_easy_perform(x.h), resp_out, errmsg,
			   errlen, unsent);
}

/* ---- many calls at once over the multi interface ----------------------- */

struct slot {
	sc_op *op;
	struct xfer x;
	int active;       /* a transfer is on the wire */
	int done;
	double ready_at;  /* monotonic seconds; waits for a retry or limit */
};

static void finish_slot(struct slot *s, sc_result **out, size_t i,
			size_t *done, size_t n, sc_progress_cb progress,
			void *payload)
{
	int rc = sc_op_result(&out[i], s->op);
	sc_op_free(s->op);
	s->op = NULL;
	s->done = 1;
	(*done)++;
	if (progress)
		progress(payload, i, rc, *done, n);
}

int sc_call_many(sc_result **results, sc_client *client,
		 const char *const *names, const sc_params *const *params,
		 size_t n, size_t max_in_flight, sc_progress_cb progress,
		 void *payload)
{
	struct slot *slots;
	CURLM *multi;
	size_t i, done = 0, active = 0, next = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	if (!results || !client || !names)
		return SC_EINVAL;
	for (i = 0; i < n; i++)
		results[i] = NULL;
	if (n == 0)
		return 0;
	if (max_in_flight == 0)
		max_in_flight = 8;
	slots = calloc(n, sizeof(*slots));
	multi = curl_multi_init();
	if (!slots || !multi) {
		free(slots);
		if (multi)
			curl_multi_cleanup(multi);
		return SC_ENOMEM;
	}
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)max_in_flight);
	/* every op is made up front: argument errors finish at once */
	for (i = 0; i < n; i++) {
		sc_error *err = NULL;
		struct slot *s = &slots[i];
		if (sc_op_new(&s->op, client, names[i],
			      params ? params[i] : NULL, &err) < 0) {
			results[i] = err ? sc__result_err(err)
					 : sc__result_code(SC_ENOMEM, NULL);
			s->done = 1;
			done++;
			if (progress)
				progress(payload, i, results[i] ?
					 results[i]->code : SC_ENOMEM, done, n);
		}
	}
	next = n;

	while (done < n) {
		double now = sc__monotonic(), soonest = -1;
		int running = 0, left;
		CURLMsg *msg;

		/* step every waiting op that is due */
		for (i = 0; i < next; i++) {
			struct slot *s = &slots[i];
			const sc_request *req;
			int step;
			if (s->done || s->active || s->ready_at > now)
				continue;
			if (active >= max_in_flight)
				break;
			step = sc_op_next(s->op, &req);
			if (step == SC_STEP_SEND) {
				if (xfer_start(&s->x, client, req) < 0) {
					sc_op_fail(s->op, SC_ENOMEM,
						   "cannot start a transfer");
					continue;
				}
				curl_multi_add_handle(multi, s->x.h);
				s->active = 1;
				active++;
			} else if (step == SC_STEP_WAIT) {
				s->ready_at = now + sc_op_wait_ms(s->op) / 1e3;
			} else {
				finish_slot(s, results, i, &done, n, progress,
					    payload);
			}
		}
		if (done >= n)
			break;
		for (i = 0; i < next; i++)
			if (!slots[i].done && !slots[i].active &&
			    (soonest < 0 || slots[i].ready_at < soonest))
				soonest = slots[i].ready_at;
		if (active) {
			int wait_ms = 100;
			if (soonest >= 0) {
				double d = (soonest - now) * 1000;
				wait_ms = d < 0 ? 0 : d > 100 ? 100 : (int)d;
			}
			curl_multi_perform(multi, &running);
			curl_multi_poll(multi, NULL, 0, wait_ms, NULL);
			curl_multi_perform(multi, &running);
		} else if (soonest > now) {
			struct timespec ts;
			double d = soonest - now;
			ts.tv_sec = (time_t)d;
			ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		}
		while ((msg = curl_multi_info_read(multi, &left))) {
			struct xfer *x = NULL;
			struct slot *s;
			sc_response *resp;
			char errmsg[256];
			int unsent, trc;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&x);
			s = (struct slot *)((char *)x -
					    offsetof(struct slot, x));
			curl_multi_remove_handle(multi, msg->easy_handle);
			trc = xfer_finish(x, msg->data.result, &resp, errmsg,
					  sizeof(errmsg), &unsent);
			s->active = 0;
			active--;
			if (trc < 0) {
				if (unsent)
					sc_op_fail_unsent(s->op, trc, errmsg);
				else
					sc_op_fail(s->op, trc, errmsg);
			} else {
				sc_op_feed(s->op, resp);
			}
			s->ready_at = 0;
		}
	}
	curl_multi_cleanup(multi);
	free(slots);
	return rc;
}
