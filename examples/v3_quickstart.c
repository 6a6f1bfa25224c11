/* API v3 in C: Connect gives the user id, the client fetches and caches
 * the application token, then the user's connections, each vehicle's
 * odometer signal, and a lock command read back through closure-islocked.
 * Build: cc v3_quickstart.c $(pkg-config --cflags --libs smartcar libcurl libcjson)
 * Usage: v3_quickstart                     prints the Connect URL, then its state
 *        v3_quickstart REDIRECT_URL STATE  once the owner has approved
 * Origins: SMARTCAR_API_V3_ORIGIN (the IAM and management v3 hosts follow
 * it), SMARTCAR_CONNECT_ORIGIN; credentials: SMARTCAR_CLIENT_ID, _SECRET,
 * SMARTCAR_REDIRECT_URI. */
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <smartcar.h>

static const char *errmsg(const sc_result *r)
{
	return sc_error_message(sc_result_error(r));
}

/* One call for the user's vehicle vid: name with code (a signal) or not
 * (a command); the result, or NULL after printing the error. */
static sc_result *call(sc_client *c, const char *name, const char *uid,
		       const char *vid, const char *code)
{
	sc_params *p = NULL;
	sc_result *r = NULL;

	sc_params_new(&p);
	sc_params_set(p, "user_id", uid);  /* sent as sc-user-id */
	sc_params_set(p, "vehicle_id", vid);
	sc_params_set(p, "signal_code", code);
	if (sc_call(&r, c, name, p) < 0) {
		fprintf(stderr, "%s: %s\n", name, errmsg(r));
		sc_result_free(r);
		r = NULL;
	}
	sc_params_free(p);
	return r;
}

int main(int argc, char **argv)
{
	sc_client *c = NULL;
	sc_params *p = NULL;
	sc_pager *pager = NULL;
	sc_result *red = NULL, *r = NULL, *page;
	sc_error *err = NULL;
	char uid[64], first[64] = "";
	double n;
	int rc = 1;

	sc_global_init();
	if (sc_client_new(&c, NULL, &err) < 0) {
		fprintf(stderr, "client: %s\n", sc_error_message(err));
		sc_error_free(err);
		return 1;
	}
	if (argc < 3) { /* 1. where to send the owner */
		char *url = NULL, *state = NULL;
		sc_params_new(&p);
		sc_params_set(p, "scope", "read_vehicle_info read_odometer "
			      "read_security control_security");
		if (sc_auth_url(&url, &state, c, p, &err) == 0) {
			printf("%s\n%s\n", url, state);
			rc = 0;
		} else {
			fprintf(stderr, "connect: %s\n", sc_error_message(err));
			sc_error_free(err);
		}
		sc_free(url);
		sc_free(state);
		goto out;
	}
	/* 2. the redirect carries the user id (checked against the state) */
	if (sc_parse_redirect(&red, argv[1], argv[2]) < 0) {
		fprintf(stderr, "redirect: %s\n", errmsg(red));
		goto out;
	}
	snprintf(uid, sizeof(uid), "%s", sc_result_get_string(red, "user_id"));
	printf("user %s\n", uid);

	/* 3. the application token: every call below fetches and caches it
	 * by itself; asked for here to show it */
	if (sc_call(&r, c, "get_app_token", NULL) < 0) {
		fprintf(stderr, "application token: %s\n", errmsg(r));
		goto out;
	}
	if (sc_result_get_number(r, "expires_in", &n) == 0)
		printf("application token: %s, %.0f s\n",
		       sc_result_get_string(r, "token_type"), n);

	/* 4. the user's connections, page after page, and each vehicle's
	 * odometer */
	sc_params_new(&p);
	sc_params_set(p, "user_id", uid);
	if (sc_pager_new(&pager, c, NULL, NULL, "list_connections", p, 10,
			 &err) < 0) {
		fprintf(stderr, "connections: %s\n", sc_error_message(err));
		sc_error_free(err);
		goto out;
	}
	while (sc_pager_next(&page, pager) == 1) {
		int i;
		for (i = 0;; i++) {
			char path[64];
			const char *vid;
			sc_result *odo;
			snprintf(path, sizeof(path),
				 "data.%d.relationships.vehicle.data.id", i);
			if (!(vid = sc_result_get_string(page, path)))
				break;
			if (!*first)
				snprintf(first, sizeof(first), "%s", vid);
			odo = call(c, "get_signal", uid, vid,
				   "odometer-traveleddistance");
			if (odo && sc_result_get_number(odo,
					"data.attributes.body.value", &n) == 0)
				printf("vehicle %s  odometer %.1f %s\n", vid, n,
				       sc_result_get_string(odo,
					       "data.attributes.body.unit"));
			sc_result_free(odo);
		}
		sc_result_free(page);
	}
	if (!*first) {
		fprintf(stderr, "no connected vehicle\n");
		goto out;
	}

	/* 5. a command, read back through its signal */
	sc_result_free(r);
	if (!(r = call(c, "security_lock", uid, first, NULL)))
		goto out;
	printf("lock %s: %s\n", first,
	       sc_result_get_string(r, "data.attributes.status.value"));
	sc_result_free(r);
	if (!(r = call(c, "get_signal", uid, first, "closure-islocked")))
		goto out;
	{
		const cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(
			sc_result_data(r), "data"), "attributes");
		const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(
			attrs, "body"), "value");
		printf("closure-islocked: %s\n",
		       cJSON_IsTrue(v) ? "true" : "false");
	}
	rc = 0;
out:
	sc_pager_free(pager);
	sc_params_free(p);
	sc_result_free(r);
	sc_result_free(red);
	sc_client_free(c);
	return rc;
}
