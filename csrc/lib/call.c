#define _GNU_SOURCE
/* The blocking driver: sc_call() is a short loop over the op's steps with
 * the libcurl transport, and the typed shortcuts of vehicle.h. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "op.h"

static void sleep_ms(long ms)
{
	struct timespec ts;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Run an op to completion with the libcurl transport; frees the op. */
int sc__drive(sc_result **out, sc_op *op)
{
	const sc_request *req;
	int rc;

	while ((rc = sc_op_next(op, &req)) != SC_STEP_DONE) {
		if (rc == SC_STEP_SEND) {
			sc_response *resp = NULL;
			char msg[256];
			int unsent = 0;
			int trc = sc__curl_perform(op->client, req, &resp, msg,
						   sizeof(msg), &unsent);
			if (trc < 0)
				(unsent ? sc_op_fail_unsent : sc_op_fail)(op, trc, msg);
			else
				sc_op_feed(op, resp);
		} else if (rc == SC_STEP_WAIT) {
			sleep_ms(sc_op_wait_ms(op));
		} else {
			break;
		}
	}
	rc = sc_op_result(out, op);
	sc_op_free(op);
	return rc;
}

static int started(sc_result **out, sc_op *op, sc_error *err, int rc)
{
	if (rc < 0) {
		*out = err ? sc__result_err(err) : sc__result_code(rc, NULL);
		return rc;
	}
	return sc__drive(out, op);
}

int sc_call(sc_result **out, sc_client *client, const char *endpoint_name,
	    const sc_params *params)
{
	sc_op *op = NULL;
	sc_error *err = NULL;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	/* the op ends before sc_call returns: it may read params in place */
	return started(out, op, err, sc__op_new_borrowing(&op, client,
							  endpoint_name,
							  params, &err));
}

int sc_call_stored(sc_result **out, sc_client *client, sc_token_store *store,
		   const char *key, const char *endpoint_name,
		   const sc_params *params)
{
	sc_op *op = NULL;
	sc_error *err = NULL;
	int rc;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	rc = sc_op_new_stored(&op, client, store, key, endpoint_name, params,
			      &err);
	return started(out, op, err, rc);
}

/* ---- typed shortcuts (vehicle.h) -------------------------------------- */

static int call_with(sc_result **out, sc_client *client, const char *name,
		     sc_params *p, int rc)
{
	if (rc == 0)
		rc = sc_call(out, client, name, p);
	else if (out)
		*out = sc__result_code(rc, NULL);
	sc_params_free(p);
	return rc;
}

int sc_get_user(sc_result **out, sc_client *client, const char *access_token)
{
	sc_params *p = NULL;
	int rc = sc_params_new(&p);
	if (rc == 0)
		rc = sc_params_set(p, "access_token", access_token);
	return call_with(out, client, "get_user", p, rc);
}

int sc_get_vehicles(sc_result **out, sc_client *client,
		    const char *access_token, long limit, long offset)
{
	sc_params *p = NULL;
	int rc = sc_params_new(&p);
	if (rc == 0)
		rc = sc_params_set(p, "access_token", access_token);
	if (rc == 0 && limit >= 0)
		rc = sc_params_set_int(p, "limit", limit);
	if (rc == 0 && offset >= 0)
		rc = sc_params_set_int(p, "offset", offset);
	return call_with(out, client, "get_vehicles", p, rc);
}

int sc_vehicle_call(sc_result **out, sc_client *client,
		    const char *endpoint_name, const char *vehicle_id,
		    const char *access_token, const sc_params *options)
{
	sc_params *p = NULL;
	int rc = sc__params_copy(&p, options);
	if (rc == 0)
		rc = sc_params_set(p, "vehicle_id", vehicle_id);
	if (rc == 0)
		rc = sc_params_set(p, "access_token", access_token);
	return call_with(out, client, endpoint_name, p, rc);
}

int sc_vehicle_odometer(sc_result **out, sc_client *client,
			const char *vehicle_id, const char *access_token,
			const sc_params *options)
{
	return sc_vehicle_call(out, client, "odometer", vehicle_id,
			       access_token, options);
}
