/* Webhooks, inside the emulator: what webhooks.c (the registry, signing,
 * verification and the delivery log), webhook_payload.c (delivery bodies
 * from vehicle state), webhook_delivery.c (deliveries, and the queue of
 * automatic charge events) and webhook_routes.c (the Vehicle API and
 * control API routes) share.
 *
 * Locking: wh_mutex guards everything here. The state lock may be held
 * when wh_mutex is taken (emu_webhooks_vehicle_event), never the other way
 * round, and no lock is held while a callback is being called. */
#ifndef EMU_WEBHOOKS_H
#define EMU_WEBHOOKS_H

#include <pthread.h>

#include "emu.h"

#define WH_ID_MAX 64
#define WH_TIMEOUT_MS 5000
#define WH_LOG_MAX 1000
#define WH_QUEUE_MAX 256

extern const char wh_auth_desc[], wh_perm_desc[], wh_validation_desc[];

typedef struct sub {
	char vehicle_id[37];
	int delivered; /* a VEHICLE_STATE went out: later ones are updates */
	char *last;    /* v4: {code: body or status} last delivered, or NULL */
} sub;

#define WH_RETRIES_MAX 8

typedef struct webhook {
	char id[WH_ID_MAX + 1];
	char *url, *name;
	int version; /* 2 or 4 */
	int verified;
	/* control API (POST /_emulator/webhooks/{id}/delivery) */
	int duplicate;  /* send each successful delivery once more */
	long fail_next; /* attempts still to count as failed */
	int n_retries;  /* re-sends after a failed attempt ... */
	long retry_ms[WH_RETRIES_MAX]; /* ... after these waits */
	int enabled, auto_subscribe; /* Management API v3 attributes */
	int64_t created_ms;
	sub *subs;
	size_t n_subs, cap_subs;
	struct webhook *next;
} webhook;

typedef struct delivery {
	char webhook_id[WH_ID_MAX + 1];
	char vehicle_id[37]; /* "" = none (VERIFY) */
	char event_type[32];
	int status; /* HTTP status from the callback, 0 = none */
	char *body, *error, *url;
	char signature[65]; /* "" when sent unsigned (v4 VERIFY) */
	int64_t time_ms;
	char event_id[37], delivery_id[37]; /* "" when the body has none */
	int attempt;                        /* 1 for the first */
} delivery;

extern pthread_mutex_t wh_mutex;
extern webhook *wh_hooks; /* registered, newest first */
extern delivery wh_log_ring[WH_LOG_MAX];
extern size_t wh_log_start, wh_log_count;

/* webhooks.c; the three finders need wh_mutex held. */
webhook *wh_hook_find(const char *id);
sub *wh_sub_find(webhook *w, const char *vehicle_id);
/* The vehicle's subscription, made when missing; and its removal. */
sub *wh_sub_add(webhook *w, const char *vehicle_id);
void wh_sub_remove(webhook *w, const char *vehicle_id);
/* webhook_delivery.c; takes wh_mutex. Subscribes the vehicle to the
 * webhook (WH_SUB_ON_NOTIFY: and queues the v3 SUBSCRIBED delivery) or
 * unsubscribes it. 0 when there is no such webhook. */
typedef enum { WH_SUB_OFF, WH_SUB_ON, WH_SUB_ON_NOTIFY } wh_sub_change;
int wh_subscription_set(const char *webhook_id, const char *vehicle_id,
			wh_sub_change change);
/* Frees the n subscriptions of subs and the array. */
void wh_subs_free(sub *subs, size_t n);
void wh_hook_free(webhook *w);
void wh_delivery_clear(delivery *d);
/* Appends a copy to the log (dropping the oldest past WH_LOG_MAX). */
void wh_log_add(const delivery *d);
/* Empties the log (wh_mutex held). */
void wh_log_clear(void);
cJSON *wh_delivery_json(const delivery *d);
/* Signs body (taken over by d) and POSTs it to url with no lock held;
 * fills d. The reply body is handed back in *reply (caller frees) when
 * reply is not NULL. */
void wh_send_signed(delivery *d, const char *url, char *body, char **reply);
/* The same, signed or not (Smartcar does not sign a v4 VERIFY). */
void wh_send(delivery *d, const char *url, char *body, char **reply,
	     int sign);
/* Prints and deletes j; the text is the caller's. */
char *wh_print(cJSON *j);
/* Sends the VERIFY challenge (signed when sign is set); returns 1 when the
 * callback answered 200 with {"challenge": hex HMAC-SHA256(AMT,
 * challenge)}. */
int wh_verify(const char *id, const char *url, int version, const char *name,
	      delivery *d, int sign);

/* webhook_payload.c */
int wh_is_charge_event(const char *e);
/* Builds the delivery body for one vehicle (event_type_out gets its event
 * type); NULL when the vehicle is gone, or (event SIGNAL_UPDATED) when no
 * signal changed since prev.  v4: prev is what the subscription was last
 * sent ({code: body or status}, NULL: nothing yet); the triggers name the
 * signals that differ from it, and *values gets the new one (caller
 * frees). */
char *wh_payload(const char *hook_id, const char *hook_name, int version,
		 const char *vehicle_id, const char *event, int first,
		 const char *prev, char **values, char event_type_out[32]);

/* webhook_delivery.c */
/* A snapshot of one webhook taken under wh_mutex, used without it. */
typedef struct snapshot {
	char id[WH_ID_MAX + 1];
	char *url, *name;
	int version;
	sub *subs; /* copies of the webhook's subscriptions */
	size_t n;
} snapshot;

/* vehicle_id NULL: all subscribed vehicles. Returns -1 if no such hook. */
int wh_snapshot_take(const char *id, const char *vehicle_id, snapshot *s);
void wh_snapshot_free(snapshot *s);
/* Delivers to every vehicle of the snapshot; appends records to out
 * (may be NULL). */
void wh_deliver_snapshot(const snapshot *s, const char *event, cJSON *out);
/* Forgets the queued automatic events and retries; wh_mutex held. */
void wh_queue_clear(void);

#endif
