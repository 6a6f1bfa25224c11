/* Token stores: load, save-if-unchanged, and calls that refresh by
 * themselves.  Refreshes are single-flight per key inside a process
 * (striped locks) and compare-and-swap across processes (the store's
 * save), and a new token set is saved before anyone uses it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

#define STRIPES 64
#define LEEWAY_S 60.0

static pthread_mutex_t stripes[STRIPES];
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;

static void stripes_init(void)
{
	int i;
	for (i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripes[i], NULL);
}

static pthread_mutex_t *stripe(const sc_token_store *store, const char *key)
{
	/* FNV-1a over the store address and the key */
	unsigned long h = 2166136261u ^ (unsigned long)(size_t)store;
	pthread_once(&stripes_once, stripes_init);
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return &stripes[h % STRIPES];
}

int sc_token_expired(double expiration, double leeway)
{
	return sc__now() + (leeway > 0 ? leeway : 0) >= expiration;
}

void sc_token_store_free(sc_token_store *store)
{
	if (store && store->free)
		store->free(store);
}

static sc_result *fail(int code, const char *msg)
{
	return sc__result_code(code, msg);
}

static int load(sc_result **out, sc_token_store *store, const char *key)
{
	char *json = NULL;
	cJSON *d;
	int rc;

	*out = NULL;
	if (!store || !key || !*key || !store->load) {
		*out = fail(SC_EINVAL, "a store and a key are required");
		return SC_EINVAL;
	}
	rc = store->load(store, key, &json);
	if (rc < 0) {
		*out = fail(rc, rc == SC_ENOTFOUND
				  ? "no token set is stored under that key"
				  : "the token store failed to load");
		free(json);
		return rc;
	}
	d = json ? sc__json_parse(json, strlen(json)) : NULL;
	if (json) {
		volatile char *p = json;
		while (*p)
			*p++ = 0;
	}
	free(json);
	if (!cJSON_IsString(cJSON_GetObjectItem(d, "access_token")) ||
	    !cJSON_IsString(cJSON_GetObjectItem(d, "refresh_token"))) {
		cJSON_Delete(d);
		*out = fail(SC_EMALFORMED, "the stored token set is malformed");
		return SC_EMALFORMED;
	}
	*out = sc__result_ok(d);
	return *out ? 0 : SC_ENOMEM;
}

int sc_token_store_get(sc_result **out, sc_token_store *store,
		       const char *key)
{
	if (!out)
		return SC_EINVAL;
	return load(out, store, key);
}

static int save(sc_token_store *store, const char *key, const char *expected,
		const sc_result *tokens)
{
	const cJSON *d = sc_result_data(tokens);
	const char *rt = cJSON_GetStringValue(cJSON_GetObjectItem(d,
							"refresh_token"));
	char *json;
	int rc;

	if (!d || !rt || !cJSON_IsString(cJSON_GetObjectItem(d,
							     "access_token")))
		return SC_EINVAL;
	json = cJSON_PrintUnformatted(d);
	if (!json)
		return SC_ENOMEM;
	rc = store->save(store, key, expected, rt, json);
	sc__wipe_free(json);
	return rc;
}

int sc_token_store_put(sc_token_store *store, const char *key,
		       const sc_result *tokens)
{
	int rc;
	if (!store || !key || !*key || !store->save)
		return SC_EINVAL;
	pthread_mutex_lock(stripe(store, key));
	rc = save(store, key, NULL, tokens);
	pthread_mutex_unlock(stripe(store, key));
	return rc;
}

int sc_token_store_put_json(sc_token_store *store, const char *key,
			    const char *json)
{
	cJSON *d;
	const char *rt;
	int rc;

	if (!store || !key || !*key || !json || !store->save)
		return SC_EINVAL;
	d = sc__json_parse(json, strlen(json));
	rt = cJSON_GetStringValue(cJSON_GetObjectItem(d, "refresh_token"));
	if (!rt || !*rt || !cJSON_GetStringValue(cJSON_GetObjectItem(d,
							"access_token"))) {
		cJSON_Delete(d);
		return SC_EINVAL;
	}
	pthread_mutex_lock(stripe(store, key));
	rc = store->save(store, key, NULL, rt, json);
	pthread_mutex_unlock(stripe(store, key));
	cJSON_Delete(d);
	return rc;
}

int sc_token_store_delete(sc_token_store *store, const char *key)
{
	if (!store || !key || !store->remove)
		return SC_EINVAL;
	return store->remove(store, key);
}

static const char *str(const sc_result *r, const char *k)
{
	return sc_result_get_string(r, k);
}

/* Refresh under the key's lock.  seen_access: the access token the caller
 * has; when the stored one differs, somebody refreshed already and that
 * set is the answer.  force: refresh even if not expired (after a 401). */
static int refresh(sc_result **out, sc_client *client, sc_token_store *store,
		   const char *key, const char *seen_access, int force)
{
	pthread_mutex_t *m = stripe(store, key);
	sc_result *cur = NULL, *fresh = NULL;
	double exp = 0;
	int rc, held = 0;

	pthread_mutex_lock(m);
	if (store->version >= 2 && store->lock) {
		/* single-flight across processes and hosts too */
		rc = store->lock(store, key);
		if (rc < 0) {
			cur = fail(rc, "the token store could not hold the "
				       "key for a refresh; nothing changed");
			goto done;
		}
		held = 1;
	}
	rc = load(&cur, store, key);
	if (rc < 0)
		goto done;
	sc_result_get_number(cur, "expiration", &exp);
	if ((seen_access && strcmp(seen_access, str(cur, "access_token"))) ||
	    (!force && !sc_token_expired(exp, LEEWAY_S)))
		goto done; /* already refreshed by another thread or process */
	rc = sc_exchange_refresh_token(&fresh, client,
				       str(cur, "refresh_token"), NULL);
	if (rc < 0) {
		sc_result_free(cur);
		cur = fresh;
		goto done;
	}
	/* persist before anyone uses the new access token */
	rc = save(store, key, str(cur, "refresh_token"), fresh);
	if (rc == SC_ECONFLICT) {
		/* another process won the race: adopt its set (ours stays
		 * valid too, but only one can be the stored one) */
		sc_result_free(fresh);
		sc_result_free(cur);
		rc = load(&cur, store, key);
		goto done;
	}
	if (rc < 0) {
		sc_result_free(fresh);
		sc_result_free(cur);
		cur = fail(rc, "the refreshed token set could not be saved; "
			       "the previous refresh token stays valid "
			       "briefly, try again");
		goto done;
	}
	sc_result_free(cur);
	cur = fresh;
done:
	if (held && store->unlock)
		store->unlock(store, key);
	pthread_mutex_unlock(m);
	*out = cur;
	return rc;
}

int sc_token_store_refresh(sc_result **out, sc_client *client,
			   sc_token_store *store, const char *key)
{
	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!client || !store || !key) {
		*out = fail(SC_EINVAL, "client, store and key are required");
		return SC_EINVAL;
	}
	return refresh(out, client, store, key, NULL, 1);
}

/* Shared cool-downs: the store a client shares them through, if any. */
static sc_token_store *cooldown_store(sc_client *c)
{
	sc_token_store *s;
	pthread_mutex_lock(&c->lock);
	s = c->shared_cooldowns;
	pthread_mutex_unlock(&c->lock);
	return s;
}

int sc_client_share_cooldowns(sc_client *client, sc_token_store *store)
{
	if (!client || (store && (store->version < 2 ||
				  !store->cooldown_get ||
				  !store->cooldown_put)))
		return SC_EINVAL;
	pthread_mutex_lock(&client->lock);
	client->shared_cooldowns = store;
	pthread_mutex_unlock(&client->lock);
	return 0;
}

double sc__cooldown_shared_wait(sc_client *c, const char *vehicle_id,
				const char **why)
{
	sc_token_store *s = cooldown_store(c);
	double app = 0, vehicle = 0;

	/* a store that cannot answer leaves the local rules in force */
	if (!s || s->cooldown_get(s, vehicle_id, &app, &vehicle) < 0)
		return 0;
	if (app > 0 && app >= vehicle) {
		*why = "SMARTCAR_API";
		return app;
	}
	if (vehicle > 0)
		*why = "VEHICLE";
	return vehicle > 0 ? vehicle : 0;
}

void sc__cooldown_shared_put(sc_client *c, const char *vehicle_id,
			     double seconds)
{
	sc_token_store *s = cooldown_store(c);
	if (s && seconds > 0)
		s->cooldown_put(s, vehicle_id, seconds);
}

static int is_auth_failure(const sc_result *r)
{
	const sc_error *e = sc_result_error(r);
	const char *type = sc_error_get(e, "type");
	return sc_error_code(e) == SC_EAPI && sc_error_status_code(e) == 401 &&
	       type && !strcmp(type, "AUTHENTICATION");
}

int sc_call_stored(sc_result **out, sc_client *client, sc_token_store *store,
		   const char *key, const char *endpoint,
		   const sc_params *params)
{
	sc_result *tok = NULL;
	sc_params *p = NULL;
	double exp = 0;
	int rc, attempt;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!client) {
		*out = fail(SC_EINVAL, "a client is required");
		return SC_EINVAL;
	}
	rc = load(&tok, store, key);
	if (rc < 0) {
		*out = tok;
		return rc;
	}
	sc_result_get_number(tok, "expiration", &exp);
	if (sc_token_expired(exp, LEEWAY_S)) {
		sc_result *next = NULL;
		rc = refresh(&next, client, store, key,
			     str(tok, "access_token"), 0);
		sc_result_free(tok);
		tok = next;
		if (rc < 0) {
			*out = tok;
			return rc;
		}
	}
	rc = sc__params_copy(&p, params);
	for (attempt = 0; rc == 0 && attempt < 2; attempt++) {
		sc_result *next = NULL;
		rc = sc_params_set(p, "access_token", str(tok, "access_token"));
		if (rc < 0)
			break;
		rc = sc_call(out, client, endpoint, p);
		if (attempt == 1 || !is_auth_failure(*out) ||
		    !sc__endpoint_uses_access_token(endpoint))
			break;
		/* the server says the token is dead: refresh once */
		rc = refresh(&next, client, store, key,
			     str(tok, "access_token"), 1);
		if (rc < 0) {
			sc_result_free(*out);
			*out = next;
			break;
		}
		sc_result_free(*out);
		*out = NULL;
		sc_result_free(tok);
		tok = next;
	}
	if (rc < 0 && !*out)
		*out = fail(rc, NULL);
	sc_params_free(p);
	sc_result_free(tok);
	return rc;
}
