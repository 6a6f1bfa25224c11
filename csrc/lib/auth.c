/* Smartcar Connect: the authorization URL and the redirect back, plus the
 * token grants (which run as ordinary operations of endpoints.def). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"

int sc_random_state(char **out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	char *s;
	size_t i;
	int rc;

	if (!out)
		return SC_EINVAL;
	rc = sc__random_bytes(raw, sizeof(raw));
	if (rc < 0)
		return rc;
	s = malloc(2 * sizeof(raw) + 1);
	if (!s)
		return SC_ENOMEM;
	for (i = 0; i < sizeof(raw); i++) {
		s[2 * i] = hex[raw[i] >> 4];
		s[2 * i + 1] = hex[raw[i] & 15];
	}
	s[2 * sizeof(raw)] = '\0';
	*out = s;
	return 0;
}

static int url_fail(sc_error **err_out, int code, const char *msg)
{
	if (err_out)
		*err_out = sc__error_new(code, msg);
	return code;
}

/*
 * single_select given as a JSON object (a binding's table or dict):
 * {"enabled": boolean, "vin": non-empty string}, each optional, into
 * *single ("true"/"false") and *vin (allocated).  SC_EINVAL names the
 * field at fault.
 */
static int single_select_object(const char *text, const char **single,
				char **vin, sc_error **err_out)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *f;
	char msg[96];
	int rc = 0;

	if (!cJSON_IsObject(o))
		rc = url_fail(err_out, SC_EINVAL,
			      "single_select: a boolean or an object "
			      "{enabled, vin} expected");
	for (f = o ? o->child : NULL; rc == 0 && f; f = f->next) {
		if (!strcmp(f->string, "enabled") && cJSON_IsBool(f)) {
			*single = cJSON_IsTrue(f) ? "true" : "false";
		} else if (!strcmp(f->string, "vin") && cJSON_IsString(f) &&
			   *f->valuestring) {
			free(*vin);
			*vin = sc__strdup(f->valuestring);
			rc = *vin ? 0 : url_fail(err_out, SC_ENOMEM, NULL);
		} else {
			int vin_field = !strcmp(f->string, "vin");

			snprintf(msg, sizeof(msg), "single_select.%.40s",
				 f->string);
			if (!strcmp(f->string, "enabled"))
				rc = sc__invalid_type(err_out, msg, "boolean",
						      f);
			else if (vin_field && !cJSON_IsString(f))
				rc = sc__invalid_type(err_out, msg, "string",
						      f);
			else
				rc = url_fail(err_out, SC_EINVAL,
					      strcat(msg, vin_field
							     ? ": must not be empty"
							     : ": unknown field"));
		}
	}
	cJSON_Delete(o);
	return rc;
}

int sc_auth_url(char **url_out, char **state_out, const sc_client *client,
		const sc_params *params, sc_error **err_out)
{
	const char *scope = sc_params_get(params, "scope");
	const char *state = sc_params_get(params, "state");
	/* make_bypass: the official SDKs' name of the option */
	const char *make = sc_params_get(params, "make")
				   ? sc_params_get(params, "make")
				   : sc_params_get(params, "make_bypass");
	const char *single = sc_params_get(params, "single_select");
	const char *vin = sc_params_get(params, "single_select_vin");
	const char *flags = sc_params_get(params, "flags");
	const char *user = sc_params_get(params, "user");
	const char *mode = sc_params_get(params, "mode");
	const char *force = sc_params_get(params, "force_prompt");
	const char *prompt = sc_params_get(params, "approval_prompt");
	char *made_state = NULL, *vin_made = NULL;
	sc_buf b;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (err_out)
		*err_out = NULL;
	if (!url_out || !client)
		return url_fail(err_out, SC_EINVAL,
				"url_out and client are required");
	*url_out = NULL;
	if (state_out)
		*state_out = NULL;
	if (!client->client_id)
		return url_fail(err_out, SC_EINVAL,
				"client_id is required (give the client one or "
				"set SMARTCAR_CLIENT_ID)");
	if (!client->redirect_uri && !client->official)
		return url_fail(err_out, SC_EINVAL,
				"redirect_uri is required (give the client one "
				"or set SMARTCAR_REDIRECT_URI)");
	if (!mode)
		mode = client->mode;
	if (sc_param_check("mode", mode, err_out) != 0)
		return SC_EINVAL;
	if (!prompt)
		prompt = sc__is_true(force) ? "force" : "auto";
	if (strcmp(prompt, "auto") && strcmp(prompt, "force"))
		return url_fail(err_out, SC_EINVAL,
				"approval_prompt must be auto or force");
	if (!state || !*state) {
		rc = sc_random_state(&made_state);
		if (rc < 0)
			return url_fail(err_out, rc, NULL);
		state = made_state;
	}

	if (single && *single == '{') {
		single = NULL; /* unless the object has "enabled" */
		rc = single_select_object(sc_params_get(params, "single_select"),
					  &single, &vin_made, err_out);
		if (rc != 0) {
			free(made_state);
			return rc;
		}
		if (vin_made)
			vin = vin_made;
	}
	sc__buf_init(&b, 64 * 1024);
	rc = sc__buf_puts(&b, client->connect_origin);
	if (rc == 0)
		rc = sc__buf_puts(&b, "/oauth/authorize?response_type=code");
	if (rc == 0)
		rc = sc__buf_param(&b, '&', "client_id", client->client_id);
	if (rc == 0 && client->redirect_uri)
		rc = sc__buf_param(&b, '&', "redirect_uri",
				   client->redirect_uri);
	if (rc == 0)
		rc = sc__buf_param(&b, '&', "approval_prompt", prompt);
	if (rc == 0 && scope && *scope)
		rc = sc__buf_param(&b, '&', "scope", scope);
	if (rc == 0)
		rc = sc__buf_param(&b, '&', "mode", mode);
	if (rc == 0)
		rc = sc__buf_param(&b, '&', "state", state);
	if (rc == 0 && make && *make)
		rc = sc__buf_param(&b, '&', "make", make);
	if (rc == 0 && vin && *vin) {
		rc = sc__buf_param(&b, '&', "single_select_vin", vin);
		if (rc == 0)
			rc = sc__buf_param(&b, '&', "single_select", "true");
	} else if (rc == 0 && single && *single) {
		rc = sc__buf_param(&b, '&', "single_select",
				 sc__is_true(single) ? "true" : "false");
	}
	if (rc == 0 && flags && *flags)
		rc = sc__buf_param(&b, '&', "flags", flags);
	if (rc == 0 && user && *user)
		rc = sc__buf_param(&b, '&', "user", user);
	if (rc == 0 && state_out) {
		*state_out = made_state ? made_state : sc__strdup(state);
		made_state = NULL;
		if (!*state_out)
			rc = SC_ENOMEM;
	}
	free(made_state);
	free(vin_made);
	if (rc < 0) {
		sc__buf_free(&b);
		if (state_out) {
			free(*state_out);
			*state_out = NULL;
		}
		return url_fail(err_out, rc == SC_ETOOBIG ? SC_EINVAL : rc,
				rc == SC_ETOOBIG ? "the URL would be too long"
						 : NULL);
	}
	*url_out = sc__buf_detach(&b);
	return *url_out ? 0 : url_fail(err_out, SC_ENOMEM, NULL);
}

/* The query of a redirect URL, or the input itself when it is a query. */
static const char *redirect_query(const char *s, size_t *len)
{
	const char *q = strchr(s, '?');
	const char *hash;

	if (q)
		s = q + 1;
	hash = strchr(s, '#');
	*len = hash ? (size_t)(hash - s) : strlen(s);
	return s;
}

static int redirect_fail(sc_result **out, int code, const char *msg)
{
	*out = sc__result_code(code, msg);
	return code;
}

int sc_parse_redirect(sc_result **out, const char *input,
		      const char *expected_state)
{
	static const char *const keep[] = {
		"code", "state", "user_id", "external_id", "virtual_key_url",
		"vehicle_id", "error", "error_description", "vin", "make",
		"model", "year", "status_code", "error_message",
	};
	const char *q;
	size_t qlen, pos = 0, i;
	cJSON *fields;
	const char *code, *state, *error, *vehicle, *user;
	int rc;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!input)
		return redirect_fail(out, SC_EINVAL,
				     "a redirect URL or query is required");
	q = redirect_query(input, &qlen);
	fields = cJSON_CreateObject();
	if (!fields)
		return redirect_fail(out, SC_ENOMEM, NULL);
	while (pos < qlen) {
		size_t n = 0, eq;
		char *k, *v;
		while (pos + n < qlen && q[pos + n] != '&')
			n++;
		for (eq = 0; eq < n && q[pos + eq] != '='; eq++)
			;
		k = sc__url_decode(q + pos, eq);
		v = eq < n ? sc__url_decode(q + pos + eq + 1, n - eq - 1)
			   : sc__strdup("");
		if (!k || !v) {
			free(k);
			sc__wipe_free(v);
			cJSON_Delete(fields);
			return redirect_fail(out, SC_ENOMEM, NULL);
		}
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			if (strcmp(k, keep[i]))
				continue;
			if (cJSON_GetObjectItemCaseSensitive(fields, k)) {
				/* two codes or two states: which one would
				 * be believed depends on the parser, so none is */
				if (i < 3 || !strcmp(k, "error")) {
					free(k);
					sc__wipe_free(v);
					cJSON_Delete(fields);
					return redirect_fail(out, SC_EINVAL,
						"the redirect repeats a "
						"parameter");
				}
				continue;
			}
			cJSON_AddStringToObject(fields, k, v);
		}
		free(k);
		sc__wipe_free(v);
		pos += n + 1;
	}
	code = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "code"));
	state = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "state"));
	error = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "error"));
	vehicle = cJSON_GetStringValue(
		cJSON_GetObjectItem(fields, "vehicle_id"));
	/* v3 (spec v3 2.3): user_id may come without a code */
	user = cJSON_GetStringValue(cJSON_GetObjectItem(fields, "user_id"));

	/* A forged redirect must not be believed, error or not: the state
	 * is checked first. */
	if (expected_state &&
	    (!state || !sc__ct_streq(expected_state, state))) {
		cJSON_Delete(fields);
		return redirect_fail(out, SC_ESTATE,
			state ? "the redirect's state does not match the "
				"state sent to Connect"
			      : "the redirect carries no state");
	}
	if (error && *error) {
		const char *desc = cJSON_GetStringValue(
			cJSON_GetObjectItem(fields, "error_description"));
		const char *status = cJSON_GetStringValue(
			cJSON_GetObjectItem(fields, "status_code"));
		static const char *const extra[] = { "vin", "make", "model",
						     "year", "error_message" };
		char msg[512];
		sc_error *e;

		snprintf(msg, sizeof(msg), "%s - %s", error,
			 desc ? desc : "no description");
		e = sc__error_new(SC_ECONNECT, msg);
		if (!e) {
			cJSON_Delete(fields);
			return redirect_fail(out, SC_ENOMEM, NULL);
		}
		sc__error_set(e, "type", error);
		sc__error_set(e, "description", desc);
		if (state)
			sc__error_set(e, "state", state);
		if (status && atoi(status) > 0)
			sc__error_set_number(e, "status_code", atoi(status));
		for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
			const char *v = cJSON_GetStringValue(
				cJSON_GetObjectItem(fields, extra[i]));
			if (v)
				sc__error_set(e, extra[i], v);
		}
		cJSON_Delete(fields);
		*out = sc__result_err(e);
		return *out ? SC_ECONNECT : SC_ENOMEM;
	}
	if ((!code || !*code) && (!vehicle || !*vehicle) &&
	    (!user || !*user)) {
		cJSON_Delete(fields);
		return redirect_fail(out, SC_EINVAL,
				     "the redirect has neither a code, a "
				     "user_id nor an error");
	}
	/* keep only the success fields */
	{
		static const char *const drop[] = {
			"error", "error_description", "vin", "make", "model",
			"year", "status_code", "error_message" };
		for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			cJSON_DeleteItemFromObjectCaseSensitive(fields,
								drop[i]);
	}
	*out = sc__result_ok(fields);
	rc = *out ? 0 : SC_ENOMEM;
	return rc;
}

static int grant(sc_result **out, sc_client *client, const char *endpoint,
		 const char *key, const char *value, const sc_params *params)
{
	sc_params *p = NULL;
	int rc;

	if (!out)
		return SC_EINVAL;
	rc = sc__params_copy(&p, params);
	if (rc == 0)
		rc = sc_params_set(p, key, value);
	if (rc == 0) {
		rc = sc_call(out, client, endpoint, p);
	} else {
		*out = sc__result_code(rc, NULL);
	}
	sc_params_free(p);
	return rc;
}

int sc_exchange_code(sc_result **out, sc_client *client, const char *code,
		     const sc_params *params)
{
	return grant(out, client, "exchange_code", "code", code, params);
}

int sc_exchange_refresh_token(sc_result **out, sc_client *client,
			      const char *refresh_token,
			      const sc_params *params)
{
	return grant(out, client, "exchange_refresh_token", "refresh_token",
		     refresh_token, params);
}
