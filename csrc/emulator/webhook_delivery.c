/* Webhook deliveries: to the vehicles a webhook is subscribed to, on
 * request (POST /_emulator/webhooks/{id}/deliver) or automatically (a
 * queue served by one worker thread, so the request that changed the
 * state never waits on a callback): when a vehicle starts, stops or
 * completes charging, when its signals change (SIGNAL_UPDATED, v4), and
 * when a Management API v3 subscription is made (VERIFY, unsigned, then
 * the FIRST_DELIVERY).  A failed attempt is sent again after the waits
 * the webhook's delivery settings give, with the same eventId and a new
 * deliveryId; the settings can also fail attempts on purpose and send
 * each delivery twice, so receivers can test their deduplication. */
#include "webhooks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* vehicle_id NULL: all subscribed vehicles. Returns -1 if no such hook. */
int wh_snapshot_take(const char *id, const char *vehicle_id, snapshot *s)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(id);
	if (!w) {
		pthread_mutex_unlock(&wh_mutex);
		return -1;
	}
	snprintf(s->id, sizeof s->id, "%s", w->id);
	s->url = emu_strdup(w->url);
	s->name = emu_strdup(w->name);
	s->version = w->version;
	size_t cap = w->n_subs ? w->n_subs : 1;
	s->subs = emu_xmalloc(cap * sizeof *s->subs);
	for (size_t i = 0; i < w->n_subs; i++) {
		if (vehicle_id &&
		    !emu_strcaseeq(w->subs[i].vehicle_id, vehicle_id))
			continue;
		sub *copy = &s->subs[s->n++];
		*copy = w->subs[i];
		copy->last = copy->last ? emu_strdup(copy->last) : NULL;
	}
	pthread_mutex_unlock(&wh_mutex);
	return 0;
}

void wh_snapshot_free(snapshot *s)
{
	wh_subs_free(s->subs, s->n);
	free(s->url);
	free(s->name);
}

/* ------------------------------------------------------------ queue */

enum { J_EVENT, J_SUBSCRIBED, J_RETRY };

typedef struct job {
	int kind;
	char vehicle_id[37];
	char event[32];
	char webhook_id[WH_ID_MAX + 1];
	char *body;     /* J_RETRY: the failed attempt's body */
	int attempt;    /* J_RETRY: the number this attempt will have */
	int64_t due_ms; /* emu_real_ms() */
	struct job *next;
} job;

static job *jobs; /* guarded by wh_mutex; at most WH_QUEUE_MAX */
static size_t n_jobs;
static pthread_cond_t q_cond;
static int worker_started;

static void *worker(void *arg);

static void job_free(job *j)
{
	free(j->body);
	free(j);
}

/* Queues j (taken over); wh_mutex held. Drops it when the queue is full. */
static void enqueue(job *j)
{
	if (n_jobs >= WH_QUEUE_MAX) {
		job_free(j);
		return;
	}
	if (!worker_started) {
		pthread_condattr_t a;
		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&q_cond, &a);
		pthread_condattr_destroy(&a);
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0) {
			job_free(j);
			return;
		}
		pthread_detach(t);
		worker_started = 1;
	}
	job **pp = &jobs; /* keep arrival order among equal due times */
	while (*pp && (*pp)->due_ms <= j->due_ms)
		pp = &(*pp)->next;
	j->next = *pp;
	*pp = j;
	n_jobs++;
	pthread_cond_signal(&q_cond);
}

static job *job_new(int kind, const char *webhook_id, const char *vehicle_id,
		    const char *event)
{
	job *j = emu_xmalloc(sizeof *j);
	memset(j, 0, sizeof *j);
	j->kind = kind;
	snprintf(j->webhook_id, sizeof j->webhook_id, "%s",
		 webhook_id ? webhook_id : "");
	snprintf(j->vehicle_id, sizeof j->vehicle_id, "%s",
		 vehicle_id ? vehicle_id : "");
	snprintf(j->event, sizeof j->event, "%s", event ? event : "");
	j->due_ms = emu_real_ms();
	return j;
}

void wh_queue_clear(void)
{
	EMU_LIST_FREE(jobs, job_free);
	n_jobs = 0;
}

/* -------------------------------------------------------- one attempt */

/* body with a new meta.deliveryId and meta.deliveredAt (v4; a v2 body is
 * sent again as it was): a re-delivery of the same event. */
static char *redelivery(const char *body)
{
	cJSON *j = cJSON_Parse(body);
	cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "meta");
	if (cJSON_IsObject(m) &&
	    cJSON_GetObjectItemCaseSensitive(m, "deliveryId")) {
		char id[37];
		emu_uuid_random(id);
		cJSON_ReplaceItemInObjectCaseSensitive(m, "deliveryId",
						       cJSON_CreateString(id));
		cJSON_ReplaceItemInObjectCaseSensitive(
			m, "deliveredAt",
			cJSON_CreateNumber((double)emu_now_ms()));
	}
	return j ? wh_print(j) : emu_strdup(body);
}

/* Sends body (taken over) as attempt number `attempt` of a delivery to
 * hook_id, logs it and appends its record to out (may be NULL); then
 * follows the webhook's delivery settings: a failed attempt (or one the
 * settings fail) is queued again after the next wait, a successful one
 * is sent once more when `duplicate` is set. */
static void attempt_send(const char *hook_id, const char *url,
			 const char *vehicle_id, const char *event_type,
			 char *body, int attempt, cJSON *out)
{
	delivery d;
	memset(&d, 0, sizeof d);
	snprintf(d.webhook_id, sizeof d.webhook_id, "%s", hook_id);
	snprintf(d.vehicle_id, sizeof d.vehicle_id, "%s", vehicle_id);
	snprintf(d.event_type, sizeof d.event_type, "%s", event_type);
	d.attempt = attempt;
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(hook_id);
	int forced = w && w->fail_next > 0;
	if (forced)
		w->fail_next--;
	pthread_mutex_unlock(&wh_mutex);
	wh_send_signed(&d, url, body, NULL);
	int failed = d.error != NULL || d.status < 200 || d.status > 299;
	if (forced && !failed) {
		d.error = emu_strdup("failed on purpose (fail_next)");
		failed = 1;
	}
	wh_log_add(&d);
	if (out)
		cJSON_AddItemToArray(out, wh_delivery_json(&d));
	pthread_mutex_lock(&wh_mutex);
	w = wh_hook_find(hook_id);
	if (w && failed && attempt - 1 < w->n_retries) {
		job *j = job_new(J_RETRY, hook_id, vehicle_id, event_type);
		j->body = emu_strdup(d.body);
		j->attempt = attempt + 1;
		j->due_ms = emu_real_ms() + w->retry_ms[attempt - 1];
		enqueue(j);
	}
	int dup = w && !failed && w->duplicate;
	pthread_mutex_unlock(&wh_mutex);
	if (dup) {
		/* the same event again at once, as an at-least-once sender
		 * does when it missed the first answer */
		delivery again;
		memset(&again, 0, sizeof again);
		memcpy(again.webhook_id, d.webhook_id, sizeof again.webhook_id);
		memcpy(again.vehicle_id, d.vehicle_id, sizeof again.vehicle_id);
		memcpy(again.event_type, d.event_type, sizeof again.event_type);
		again.attempt = attempt + 1;
		wh_send_signed(&again, url, redelivery(d.body), NULL);
		wh_log_add(&again);
		if (out)
			cJSON_AddItemToArray(out, wh_delivery_json(&again));
		wh_delivery_clear(&again);
	}
	wh_delivery_clear(&d);
}

/* Records what a subscription was last sent (v4), taking values over. */
static void remember(const char *hook_id, const char *vehicle_id,
		     char *values)
{
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(hook_id);
	sub *s = w ? wh_sub_find(w, vehicle_id) : NULL;
	if (s) {
		free(s->last);
		s->last = values;
		s->delivered = 1;
		values = NULL;
	}
	pthread_mutex_unlock(&wh_mutex);
	free(values);
}

/* Delivers to every vehicle of the snapshot; appends records to out
 * (may be NULL). */
void wh_deliver_snapshot(const snapshot *s, const char *event, cJSON *out)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *vehicle = s->subs[i].vehicle_id;
		char type[32] = "", *values = NULL;
		char *body = wh_payload(s->id, s->name, s->version, vehicle,
					event, !s->subs[i].delivered,
					s->subs[i].last, &values, type);
		if (!body)
			continue;
		remember(s->id, vehicle, values);
		attempt_send(s->id, s->url, vehicle, type, body, 1, out);
	}
}

/* ------------------------------------------------------------ worker */

/* The ids of the webhooks vehicle_id is subscribed to; wh_mutex held. */
static char (*hooks_of(const char *vehicle_id, size_t *n))[WH_ID_MAX + 1]
{
	size_t k = 0;
	for (webhook *w = wh_hooks; w; w = w->next)
		k += wh_sub_find(w, vehicle_id) != 0;
	char(*ids)[WH_ID_MAX + 1] = emu_xmalloc((k ? k : 1) * sizeof *ids);
	k = 0;
	for (webhook *w = wh_hooks; w; w = w->next)
		if (wh_sub_find(w, vehicle_id))
			memcpy(ids[k++], w->id, WH_ID_MAX + 1);
	*n = k;
	return ids;
}

static void deliver_to(const char *hook_id, const char *vehicle_id,
		       const char *event)
{
	snapshot s;
	if (wh_snapshot_take(hook_id, vehicle_id, &s) == 0) {
		wh_deliver_snapshot(&s, event, NULL);
		wh_snapshot_free(&s);
	}
}

/* A v3 subscription: VERIFY (unsigned, as Smartcar sends it), then, when
 * the callback answered it, the FIRST_DELIVERY. */
static void subscribed(const job *j)
{
	snapshot s;
	if (wh_snapshot_take(j->webhook_id, "", &s) != 0)
		return;
	delivery d;
	int ok = wh_verify(s.id, s.url, s.version, s.name, &d, 0);
	wh_delivery_clear(&d);
	wh_snapshot_free(&s);
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(j->webhook_id);
	if (w)
		w->verified = ok;
	pthread_mutex_unlock(&wh_mutex);
	if (ok)
		deliver_to(j->webhook_id, j->vehicle_id, "VEHICLE_STATE");
}

static void retry(job *j)
{
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(j->webhook_id);
	char *url = w ? emu_strdup(w->url) : NULL;
	pthread_mutex_unlock(&wh_mutex);
	if (url) /* a webhook forgotten meanwhile gets nothing */
		attempt_send(j->webhook_id, url, j->vehicle_id, j->event,
			     redelivery(j->body), j->attempt, NULL);
	free(url);
}

static void run(job *j)
{
	if (j->kind == J_SUBSCRIBED) {
		subscribed(j);
	} else if (j->kind == J_RETRY) {
		retry(j);
	} else {
		pthread_mutex_lock(&wh_mutex);
		size_t n = 0;
		char(*ids)[WH_ID_MAX + 1] = hooks_of(j->vehicle_id, &n);
		pthread_mutex_unlock(&wh_mutex);
		for (size_t i = 0; i < n; i++)
			deliver_to(ids[i], j->vehicle_id, j->event);
		free(ids);
	}
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wh_mutex);
	for (;;) {
		if (!jobs) {
			pthread_cond_wait(&q_cond, &wh_mutex);
			continue;
		}
		int64_t now = emu_real_ms();
		if (jobs->due_ms > now) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t wait = jobs->due_ms - now;
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&q_cond, &wh_mutex, &ts);
			continue;
		}
		job *j = jobs;
		jobs = j->next;
		n_jobs--;
		pthread_mutex_unlock(&wh_mutex);
		run(j);
		job_free(j);
		pthread_mutex_lock(&wh_mutex);
	}
	return NULL;
}

/* --------------------------------------------------- from other files */

void emu_webhooks_vehicle_event(const char *vehicle_id, const char *event)
{
	pthread_mutex_lock(&wh_mutex);
	int subscribed_any = 0;
	for (webhook *w = wh_hooks; w && !subscribed_any; w = w->next)
		subscribed_any = wh_sub_find(w, vehicle_id) != NULL;
	if (subscribed_any)
		enqueue(job_new(J_EVENT, NULL, vehicle_id, event));
	pthread_mutex_unlock(&wh_mutex);
}

int wh_subscription_set(const char *webhook_id, const char *vehicle_id,
			wh_sub_change change)
{
	pthread_mutex_lock(&wh_mutex);
	webhook *w = wh_hook_find(webhook_id);
	if (w && change == WH_SUB_OFF)
		wh_sub_remove(w, vehicle_id);
	else if (w)
		wh_sub_add(w, vehicle_id);
	if (w && change == WH_SUB_ON_NOTIFY)
		enqueue(job_new(J_SUBSCRIBED, webhook_id, vehicle_id, NULL));
	pthread_mutex_unlock(&wh_mutex);
	return w != NULL;
}

void emu_webhooks_v3_subscribed(const char *webhook_id,
				const char *vehicle_id)
{
	if (strlen(vehicle_id) < 37) /* a job's vehicle_id holds 36 */
		wh_subscription_set(webhook_id, vehicle_id, WH_SUB_ON_NOTIFY);
}

void emu_webhooks_v3_unsubscribed(const char *webhook_id,
				  const char *vehicle_id)
{
	wh_subscription_set(webhook_id, vehicle_id, WH_SUB_OFF);
}
