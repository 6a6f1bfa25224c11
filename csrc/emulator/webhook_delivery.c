/* Webhook deliveries: to the vehicles a webhook is subscribed to, on
 * request (POST /_emulator/webhooks/{id}/deliver) or automatically when a
 * vehicle starts, stops or completes charging (a queue served by one
 * worker thread, so the request that changed the state never waits on a
 * callback). */
#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	s->vehicles =
		emu_xmalloc((w->n_subs ? w->n_subs : 1) * sizeof *s->vehicles);
	s->first = emu_xmalloc((w->n_subs ? w->n_subs : 1) * sizeof *s->first);
	for (size_t i = 0; i < w->n_subs; i++) {
		if (vehicle_id &&
		    !emu_strcaseeq(w->subs[i].vehicle_id, vehicle_id))
			continue;
		memcpy(s->vehicles[s->n], w->subs[i].vehicle_id, 37);
		s->first[s->n] = !w->subs[i].delivered;
		w->subs[i].delivered = 1;
		s->n++;
	}
	pthread_mutex_unlock(&wh_mutex);
	return 0;
}

void wh_snapshot_free(snapshot *s)
{
	free(s->url);
	free(s->name);
	free(s->vehicles);
	free(s->first);
}

/* Delivers to every vehicle of the snapshot; appends records to out
 * (may be NULL). */
void wh_deliver_snapshot(const snapshot *s, const char *event, cJSON *out)
{
	for (size_t i = 0; i < s->n; i++) {
		delivery d;
		memset(&d, 0, sizeof d);
		snprintf(d.webhook_id, sizeof d.webhook_id, "%s", s->id);
		memcpy(d.vehicle_id, s->vehicles[i], 37);
		char *body = wh_payload(s->id, s->name, s->version,
					s->vehicles[i], event, s->first[i],
					d.event_type);
		if (!body)
			continue;
		wh_send_signed(&d, s->url, body, NULL);
		wh_log_add(&d);
		if (out)
			cJSON_AddItemToArray(out, wh_delivery_json(&d));
		wh_delivery_clear(&d);
	}
}

/* ------------------------------------------- automatic charge deliveries */

typedef struct queued {
	char vehicle_id[37];
	char event[32];
} queued;

static queued queue[WH_QUEUE_MAX];
static size_t q_head, q_len;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static int worker_started;

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&wh_mutex);
		while (q_len == 0)
			pthread_cond_wait(&q_cond, &wh_mutex);
		queued q = queue[q_head];
		q_head = (q_head + 1) % WH_QUEUE_MAX;
		q_len--;
		/* ids of the wh_hooks this vehicle is subscribed to */
		size_t n = 0;
		for (webhook *w = wh_hooks; w; w = w->next)
			n += wh_sub_find(w, q.vehicle_id) != 0;
		char(*ids)[WH_ID_MAX + 1] =
			emu_xmalloc((n ? n : 1) * sizeof *ids);
		n = 0;
		for (webhook *w = wh_hooks; w; w = w->next)
			if (wh_sub_find(w, q.vehicle_id))
				memcpy(ids[n++], w->id, WH_ID_MAX + 1);
		pthread_mutex_unlock(&wh_mutex);
		for (size_t i = 0; i < n; i++) {
			snapshot s;
			if (wh_snapshot_take(ids[i], q.vehicle_id, &s) == 0) {
				wh_deliver_snapshot(&s, q.event, NULL);
				wh_snapshot_free(&s);
			}
		}
		free(ids);
	}
	return NULL;
}

void emu_webhooks_vehicle_event(const char *vehicle_id, const char *event)
{
	pthread_mutex_lock(&wh_mutex);
	int subscribed = 0;
	for (webhook *w = wh_hooks; w && !subscribed; w = w->next)
		subscribed = wh_sub_find(w, vehicle_id) != NULL;
	if (subscribed && q_len < WH_QUEUE_MAX) {
		if (!worker_started) {
			pthread_t t;
			if (pthread_create(&t, NULL, worker, NULL) == 0) {
				pthread_detach(t);
				worker_started = 1;
			}
		}
		queued *q = &queue[(q_head + q_len) % WH_QUEUE_MAX];
		snprintf(q->vehicle_id, sizeof q->vehicle_id, "%s", vehicle_id);
		snprintf(q->event, sizeof q->event, "%s", event ? event : "");
		q_len++;
		pthread_cond_signal(&q_cond);
	}
	pthread_mutex_unlock(&wh_mutex);
}

void wh_queue_clear(void)
{
	q_head = q_len = 0;
}
