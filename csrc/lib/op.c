#define _GNU_SOURCE
/* Operations: the sans-IO state machine behind every call.  An op builds
 * the exact HTTP request for one line of endpoints.def, takes back the
 * response, decides retries, waits and rate limits, and turns the answer
 * into data (snake_case keys + meta) or a typed error.  sc_call() is a
 * short loop over these steps with the libcurl transport, so every driver
 * shares one code path. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "op.h"

static int op_new(sc_op **out, sc_client *client, sc_token_store *store,
		  const char *key, const char *endpoint_name,
		  const sc_params *params, int borrow, sc_error **err_out)
{
	sc_op *op;
	const char *v;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (!out || !client)
		return sc__invalid(err_out, "out and client are required");
	*out = NULL;
	op = calloc(1, sizeof(*op));
	if (!op)
		return SC_ENOMEM;
	op->client = client;
	op->ep = sc__find_endpoint(endpoint_name);
	if (!op->ep) {
		free(op);
		return sc__invalid(err_out, "unknown endpoint");
	}
	if (borrow && params) {
		/* never written: the op only reads its params */
		op->params = (sc_params *)params;
		op->params_borrowed = 1;
	} else if ((rc = sc__params_copy(&op->params, params)) < 0) {
		free(op);
		return rc;
	}
	sc__params_slots(op->params, op->pv);
	if (store && (op->ep->auth == SC_AUTH_BEARER ||
		      op->ep->auth == SC_AUTH_BEARER_OR_APP ||
		      !strcmp(op->ep->name, "exchange_refresh_token"))) {
		/* only calls made with the user's tokens use the store */
		if (sc__store_hold(store) == 0)
			op->store = store;
		op->key = sc__strdup(key);
		if (!op->key || !op->store) {
			sc_op_free(op);
			return SC_ENOMEM;
		}
		if (op->pv[SC_P_access_token] || op->pv[SC_P_refresh_token]) {
			sc_op_free(op);
			return sc__invalid(err_out, "a call with a token store "
					   "takes its tokens from the store, "
					   "not from params");
		}
	}
	/* everything that must never reach an error message or a log */
	op->secrets[op->nsecrets++] = op->pv[SC_P_access_token];
	op->secrets[op->nsecrets++] = op->pv[SC_P_code];
	op->secrets[op->nsecrets++] = op->pv[SC_P_refresh_token];
	op->secrets[op->nsecrets++] = op->pv[SC_P_management_token];
	op->secrets[op->nsecrets++] = client->client_secret;
	op->nsecrets = SC_NSECRETS; /* the others are filled as they come */
	op->vehicle_id = (op->ep->flags & SC_EP_VEHICLE)
		? op->pv[SC_P_vehicle_id] : NULL;

	pthread_mutex_lock(&client->lock);
	op->max_attempts = client->max_attempts;
	op->deadline_ms = client->retry_deadline_ms;
	op->base_ms = client->retry_base_ms;
	op->max_ms = client->retry_max_ms;
	op->fail_fast = client->rate_fail_fast;
	op->rate_off = client->rate_off;
	op->debug = client->debug;
	op->debug_payload = client->debug_payload;
	pthread_mutex_unlock(&client->lock);
	op->max_attempts = (int)sc__long_or(op->pv[SC_P_max_attempts],
					    op->max_attempts);
	if (op->max_attempts < 1)
		op->max_attempts = 1;
	op->deadline_ms = sc__long_or(op->pv[SC_P_retry_deadline_ms],
				      op->deadline_ms);
	v = op->pv[SC_P_rate_policy];
	if (v && sc_param_check("rate_policy", v, err_out) != 0) {
		sc_op_free(op);
		return SC_EINVAL;
	}
	if (v) {
		op->fail_fast = !strcmp(v, "fail");
		op->rate_off = !strcmp(v, "off");
	}
	if (op->ep->flags & SC_EP_RAW) {
		v = op->pv[SC_P_method];
		op->resendable = v && !strcmp(v, "GET");
	} else {
		op->resendable = (op->ep->flags & SC_EP_READ) != 0;
	}
	op->started = sc__monotonic();
	v = op->pv[SC_P_raw_body];
	op->raw = (op->ep->flags & SC_EP_RAW) || sc__is_true(v);

	if (op->store && !strcmp(op->ep->name, "exchange_refresh_token")) {
		/* sc_token_store_refresh_now(): the refresh is the whole op */
		op->refresh_only = 1;
		op->want_refresh = SC_REFRESH_FORCED;
		*out = op;
		return 0;
	}
	rc = sc__op_build_request(op, err_out);
	if (rc < 0) {
		if (err_out && !*err_out)
			*err_out = sc__error_new(rc, NULL);
		sc_op_free(op);
		return rc;
	}
	op->req->reusable = op->resendable;
	*out = op;
	return 0;
}

int sc_op_new(sc_op **out, sc_client *client, const char *endpoint_name,
	      const sc_params *params, sc_error **err_out)
{
	return op_new(out, client, NULL, NULL, endpoint_name, params, 0,
		      err_out);
}

int sc__op_new_borrowing(sc_op **out, sc_client *client,
			 const char *endpoint_name, const sc_params *params,
			 sc_error **err_out)
{
	return op_new(out, client, NULL, NULL, endpoint_name, params, 1,
		      err_out);
}

int sc_op_new_stored(sc_op **out, sc_client *client, sc_token_store *store,
		     const char *key, const char *endpoint_name,
		     const sc_params *params, sc_error **err_out)
{
	if (err_out)
		*err_out = NULL;
	if (!store || !key || !*key)
		return sc__invalid(err_out, "a token store and a key are "
				   "required");
	if (params && sc_params_get(params, "access_token"))
		return sc__invalid(err_out, "params must not hold access_token "
				   "(the store gives it)");
	return op_new(out, client, store, key, endpoint_name, params, 0,
		      err_out);
}

int sc_op_new_call(sc_op **out, sc_client *client, sc_token_store *store,
		   const char *key, const char *endpoint,
		   const sc_params *params, sc_error **err_out)
{
	if (store)
		return sc_op_new_stored(out, client, store, key, endpoint,
					params, err_out);
	return sc_op_new(out, client, endpoint, params, err_out);
}

/* ---- v3 application token --------------------------------------------- */

static int use_app_token(sc_op *op, const char *token)
{
	sc_buf h;
	int rc;

	sc__wipe_free(op->app_token_value);
	op->app_token_value = sc__strdup(token);
	if (!op->app_token_value)
		return SC_ENOMEM;
	op->secrets[SC_SECRET_APP_TOKEN] = op->app_token_value;
	sc__buf_init(&h, 0);
	rc = sc__buf_puts(&h, "Bearer ");
	if (rc == 0)
		rc = sc__buf_puts(&h, token);
	if (rc == 0)
		rc = sc__request_set_header(op->req, "Authorization", h.ptr);
	sc__buf_wipe(&h);
	return rc;
}

/* The client's cached application token when it lives another minute. */
static int take_cached_token(sc_op *op)
{
	sc_client *c = op->client;
	char *tok = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->app_token && c->app_token_expires > sc__now() + 60)
		tok = sc__strdup(c->app_token);
	pthread_mutex_unlock(&c->lock);
	if (!tok)
		return 0;
	use_app_token(op, tok);
	sc__wipe_free(tok);
	return op->app_token_value != NULL;
}

static void forget_app_token(sc_op *op)
{
	sc_client *c = op->client;
	pthread_mutex_lock(&c->lock);
	if (c->app_token && op->app_token_value &&
	    !strcmp(c->app_token, op->app_token_value)) {
		sc__wipe_free(c->app_token);
		c->app_token = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	sc__wipe_free(op->app_token_value);
	op->app_token_value = NULL;
	op->secrets[SC_SECRET_APP_TOKEN] = NULL;
}

/* ---- the state machine ------------------------------------------------ */

void sc__op_finish(sc_op *op, sc_result *res)
{
	sc_result_free(op->result);
	op->result = res;
	op->state = OP_DONE;
}

void sc__op_finish_error(sc_op *op, sc_error *e)
{
	if (e) {
		sc__error_set_number(e, "attempts", op->attempts);
		sc__error_redact(e, op->secrets, op->nsecrets);
	}
	sc__op_finish(op, e ? sc__result_err(e) : NULL);
}

static long elapsed_ms(const sc_op *op)
{
	return (long)((sc__monotonic() - op->started) * 1000);
}

static void rate_limited(sc_op *op, double wait, const char *why)
{
	char msg[160];
	sc_error *e;

	snprintf(msg, sizeof(msg),
		 "rate limit (%s): no request may be sent for %.1f s", why,
		 wait);
	e = sc__error_new(SC_ERATELIMIT, msg);
	if (e) {
		sc__error_set(e, "type", "RATE_LIMIT");
		sc__error_set(e, "code", why);
		sc__error_set_number(e, "retry_after", ceil(wait * 10) / 10);
	}
	sc__op_finish_error(op, e);
}

int sc_op_next(sc_op *op, const sc_request **req_out)
{
	double wait;
	const char *why;

	if (!op)
		return SC_EINVAL;
	if (req_out)
		*req_out = NULL;
	switch (op->state) {
	case OP_DONE:
		return SC_STEP_DONE;
	case OP_SENT:
		if (req_out)
			*req_out = op->req;
		return SC_STEP_SEND;
	case OP_TOKEN_SENT:
		if (req_out)
			*req_out = op->token_req;
		return SC_STEP_SEND;
	case OP_BACKOFF:
		op->state = OP_READY;
		return SC_STEP_WAIT;
	case OP_REFRESH:
	case OP_READY:
		break;
	}
	if (op->store) {
		/* the token store's steps: load, refresh, save */
		int step = sc__op_store_step(op, req_out);
		if (step != SC__STEP_GO)
			return step;
	}
	if (op->app_token && !op->app_token_value && !take_cached_token(op)) {
		if (!op->token_req && sc__op_build_token_request(op) < 0) {
			sc__op_finish_error(op, sc__error_new(SC_ENOMEM, NULL));
			return SC_STEP_DONE;
		}
		op->state = OP_TOKEN_SENT;
		sc__debug_request(op, op->token_req);
		if (req_out)
			*req_out = op->token_req;
		return SC_STEP_SEND;
	}
	wait = op->rate_off ? 0
			    : sc__rate_acquire(op->client, op->vehicle_id, &why);
	if (wait > 0) {
		if (op->fail_fast ||
		    elapsed_ms(op) + wait * 1000 > op->deadline_ms) {
			rate_limited(op, wait, why);
			return SC_STEP_DONE;
		}
		op->wait_ms = (long)ceil(wait * 1000);
		return SC_STEP_WAIT;
	}
	op->wait_ms = 0;
	op->state = OP_SENT;
	sc__debug_request(op, op->req);
	if (req_out)
		*req_out = op->req;
	return SC_STEP_SEND;
}

long sc_op_wait_ms(const sc_op *op)
{
	return op ? op->wait_ms : 0;
}

static long jitter(long ms)
{
	unsigned int r = 0;
	if (ms <= 1 || sc__random_bytes((unsigned char *)&r, sizeof(r)) < 0)
		return ms;
	/* "equal jitter": half fixed, half random */
	return ms / 2 + (long)(r % (unsigned int)(ms / 2 + 1));
}

/* Decide whether the failed attempt should be made again.  Returns 1 and
 * schedules the backoff when it should. */
static int should_retry(sc_op *op, const sc_error *e, int unsent)
{
	int code = sc_error_code(e);
	int status = sc_error_status_code(e);
	const char *res = sc_error_get(e, "resolution_type");
	double ra = sc_error_retry_after(e);
	long delay;
	int retry = 0;

	if (op->attempts >= op->max_attempts)
		return 0;
	if (code == SC_ENETWORK || code == SC_ETIMEOUT)
		retry = unsent || op->resendable;
	else if (code == SC_EAPI || code == SC_EHTTP)
		retry = op->resendable &&
			(status == 429 ||
			 (status >= 500 && status < 600 && res &&
			  !strcmp(res, "RETRY_LATER")) ||
			 (code == SC_EHTTP &&
			  (status == 502 || status == 503 || status == 504)));
	if (!retry)
		return 0;
	if (ra >= 0) {
		/* compared before the cast: 1e23 s does not fit a long */
		if (ra * 1000 > op->deadline_ms)
			return 0;
		delay = (long)ceil(ra * 1000);
	} else {
		int shift = op->attempts - 1 < 20 ? op->attempts - 1 : 20;
		delay = op->base_ms << shift;
		if (delay > op->max_ms || delay <= 0)
			delay = op->max_ms;
		delay = jitter(delay);
	}
	if (elapsed_ms(op) + delay > op->deadline_ms)
		return 0;
	op->wait_ms = delay;
	op->state = delay > 0 ? OP_BACKOFF : OP_READY;
	return 1;
}

static void learn_cooldown(sc_op *op, const sc_error *e)
{
	const char *type = sc_error_get(e, "type");
	const char *code = sc_error_get(e, "code");
	double ra = sc_error_retry_after(e);

	if (op->rate_off || sc_error_status_code(e) != 429 || ra <= 0)
		return;
	/* only Smartcar's application limit blocks every vehicle; any
	 * other 429 of a vehicle call (a proxy's...) blocks that vehicle */
	if (op->vehicle_id && !(type && !strcmp(type, "RATE_LIMIT") &&
				code && !strcmp(code, "SMARTCAR_API")))
		sc__rate_cooldown(op->client, op->vehicle_id, ra);
	else
		sc__rate_cooldown(op->client, NULL, ra);
}

static void failed_attempt(sc_op *op, sc_error *e, int unsent)
{
	if (!e) {
		sc__op_finish(op, NULL);
		return;
	}
	learn_cooldown(op, e);
	if (op->store && sc__op_store_rejected(op, e)) {
		/* refreshed after a 401: the op sends again */
		sc_error_free(e);
		return;
	}
	if (op->app_token && !op->app_token_renewed &&
	    sc_error_status_code(e) == 401) {
		/* the cached application token died early: get a new one */
		op->app_token_renewed = 1;
		forget_app_token(op);
		op->state = OP_READY;
		sc_error_free(e);
		return;
	}
	if (should_retry(op, e, unsent)) {
		sc_error_free(e);
		return;
	}
	sc__op_finish_error(op, e);
}

static int fail(sc_op *op, int code, const char *message, int unsent)
{
	if (!op || code >= 0)
		return SC_EINVAL;
	if (op->state == OP_REFRESH)
		return sc__op_store_fail(op, code, message, unsent);
	if (op->state == OP_TOKEN_SENT) {
		sc__op_finish_error(op, sc__error_new(code, message));
		return 0;
	}
	if (op->state != OP_SENT)
		return SC_EMISUSE;
	op->attempts++;
	failed_attempt(op, sc__error_new(code, message), unsent);
	return 0;
}

int sc_op_fail(sc_op *op, int code, const char *message)
{
	return fail(op, code, message, 0);
}

int sc_op_fail_unsent(sc_op *op, int code, const char *message)
{
	return fail(op, code, message, 1);
}

static void feed_app_token(sc_op *op, const sc_response *resp)
{
	int status = sc_response_status(resp);
	size_t len;
	const char *body = sc_response_body(resp, &len);
	cJSON *json, *d;
	sc_client *c = op->client;

	sc__debug_response(op, resp);
	if (status < 200 || status >= 300) {
		sc__op_finish_error(op, sc__error_from_answer(status,
			sc_response_header(resp, "Content-Type"),
			sc_response_header(resp, "SC-Request-Id"),
			sc_response_header(resp, "Retry-After"), body, len));
		return;
	}
	json = sc__json_parse(body, len);
	d = json ? sc__token_data(json, 0) : NULL;
	cJSON_Delete(json);
	if (!d) {
		sc__op_finish_error(op, sc__shape_malformed(resp,
			"the application token response lacks "
			"access_token or expires_in"));
		return;
	}
	pthread_mutex_lock(&c->lock);
	sc__wipe_free(c->app_token);
	c->app_token = sc__strdup(cJSON_GetStringValue(
		cJSON_GetObjectItem(d, "access_token")));
	c->app_token_expires = cJSON_GetNumberValue(
		cJSON_GetObjectItem(d, "expiration"));
	pthread_mutex_unlock(&c->lock);
	if (use_app_token(op, cJSON_GetStringValue(
		    cJSON_GetObjectItem(d, "access_token"))) < 0) {
		cJSON_Delete(d);
		sc__op_finish_error(op, sc__error_new(SC_ENOMEM, NULL));
		return;
	}
	cJSON_Delete(d);
	op->state = OP_READY;
}

int sc_op_feed(sc_op *op, sc_response *resp)
{
	int status;

	if (!op || !resp) {
		sc_response_free(resp);
		return SC_EINVAL;
	}
	if (op->state == OP_REFRESH)
		return sc__op_store_feed(op, resp);
	if (op->state == OP_TOKEN_SENT) {
		feed_app_token(op, resp);
		sc_response_free(resp);
		return 0;
	}
	if (op->state != OP_SENT) {
		sc_response_free(resp);
		return SC_EMISUSE;
	}
	op->attempts++;
	sc__debug_response(op, resp);
	status = sc_response_status(resp);
	if (resp->too_big) {
		sc__op_finish_error(op, sc__error_new(SC_ETOOBIG,
			"the response body exceeds the size limit"));
	} else if (status >= 200 && status < 300) {
		cJSON *data;
		sc_error *e = sc__shape_success(op, resp, &data);
		if (e)
			sc__op_finish_error(op, e);
		else
			sc__op_finish(op, sc__result_ok(data));
	} else {
		size_t len;
		const char *body = sc_response_body(resp, &len);
		failed_attempt(op, sc__error_from_answer(status,
			sc_response_header(resp, "Content-Type"),
			sc_response_header(resp, "SC-Request-Id"),
			sc_response_header(resp, "Retry-After"), body, len),
			0);
	}
	sc_response_free(resp);
	return 0;
}

int sc_op_result(sc_result **out, sc_op *op)
{
	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!op)
		return SC_EINVAL;
	if (op->state != OP_DONE || op->taken)
		return SC_EMISUSE;
	op->taken = 1;
	if (!op->result) {
		*out = sc__result_code(SC_ENOMEM, NULL);
		return SC_ENOMEM;
	}
	*out = op->result;
	op->result = NULL;
	return (*out)->code;
}

void sc_op_free(sc_op *op)
{
	if (!op)
		return;
	sc__op_store_free(op);
	sc__request_free(op->req);
	sc__request_free(op->token_req);
	sc__wipe_free(op->app_token_value);
	if (!op->params_borrowed)
		sc_params_free(op->params);
	sc_result_free(op->result);
	free(op);
}
