/* Rate awareness: a token bucket mirroring Smartcar's application limit
 * (opt-in) and cool-downs learned from Retry-After, per vehicle and for
 * the whole application.  All state is per client, under client->lock. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc_internal.h"

#define MAX_COOLDOWNS 256

struct cooldown {
	char id[80];
	double until;
};

struct sc_rate {
	double capacity;
	double per_s;
	double tokens;
	double last;
	double app_until;
	struct cooldown cd[MAX_COOLDOWNS];
	int ncd;
};

double sc__monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sc__rate_new(struct sc_rate **out, double capacity, double per_minute)
{
	struct sc_rate *r = calloc(1, sizeof(*r));
	if (!r)
		return SC_ENOMEM;
	r->capacity = capacity > 0 ? capacity : 0;
	r->per_s = (per_minute > 0 ? per_minute : 2.0) / 60.0;
	r->tokens = r->capacity;
	r->last = sc__monotonic();
	*out = r;
	return 0;
}

void sc__rate_free(struct sc_rate *r)
{
	free(r);
}

static struct cooldown *find(struct sc_rate *r, const char *id, double now)
{
	int i;
	for (i = 0; i < r->ncd; i++) {
		if (r->cd[i].until <= now) {
			/* expired: drop it */
			r->cd[i] = r->cd[--r->ncd];
			i--;
			continue;
		}
		if (strcmp(r->cd[i].id, id) == 0)
			return &r->cd[i];
	}
	return NULL;
}

double sc__rate_acquire(sc_client *c, const char *vehicle_id,
			const char **why)
{
	struct sc_rate *r = c->rate;
	double now = sc__monotonic(), wait = 0;
	struct cooldown *cd;

	*why = NULL;
	if (!r)
		return 0;
	/* cool-downs other clients learnt, when shared (store.c) */
	wait = sc__cooldown_shared_wait(c, vehicle_id, why);
	pthread_mutex_lock(&c->lock);
	if (r->app_until > now) {
		wait = r->app_until - now;
		*why = "SMARTCAR_API";
	}
	if (!wait && vehicle_id && (cd = find(r, vehicle_id, now))) {
		wait = cd->until - now;
		*why = "VEHICLE";
	}
	if (!wait && r->capacity > 0) {
		r->tokens += (now - r->last) * r->per_s;
		if (r->tokens > r->capacity)
			r->tokens = r->capacity;
		r->last = now;
		if (r->tokens >= 1) {
			r->tokens -= 1;
		} else {
			wait = (1 - r->tokens) / r->per_s;
			*why = "LOCAL";
		}
	}
	pthread_mutex_unlock(&c->lock);
	return wait;
}

void sc__rate_cooldown(sc_client *c, const char *vehicle_id, double seconds)
{
	struct sc_rate *r = c->rate;
	double now = sc__monotonic();
	struct cooldown *cd;

	if (!r || !(seconds > 0))
		return;
	/* a year-long (or absurd) Retry-After must not block for a year */
	if (seconds > c->max_cooldown_s)
		seconds = c->max_cooldown_s;
	pthread_mutex_lock(&c->lock);
	if (!vehicle_id) {
		if (now + seconds > r->app_until)
			r->app_until = now + seconds;
	} else if (strlen(vehicle_id) < sizeof(r->cd[0].id)) {
		cd = find(r, vehicle_id, now);
		if (!cd && r->ncd < MAX_COOLDOWNS) {
			cd = &r->cd[r->ncd++];
			strcpy(cd->id, vehicle_id);
			cd->until = 0;
		}
		if (cd && now + seconds > cd->until)
			cd->until = now + seconds;
	}
	pthread_mutex_unlock(&c->lock);
	sc__cooldown_shared_put(c, vehicle_id, seconds);
}
