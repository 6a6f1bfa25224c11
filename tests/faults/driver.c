/* The fault matrix's C driver (tests/faults/run.py starts it): one JSON
 * row a line on stdin,
 *   {"client": {option: value}, "endpoint": name, "params": {k: v},
 *    "repeat": n, "page_size": n}
 * makes one client with those options, runs the call n times (default 1)
 * with sc_call -- or, with a page_size, walks all its pages with
 * sc_pager -- and answers one line
 *   {"kinds": ["ok" | error kind, ...], "ms": elapsed}
 * The Python and Lua drivers do the same through their bindings. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "smartcar.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *str_opt(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static double num_opt(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static sc_client *client_for(const cJSON *o)
{
	sc_client_options opts = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	sc_error *err = NULL;

	opts.client_id = str_opt(o, "client_id");
	opts.client_secret = str_opt(o, "client_secret");
	opts.auth_origin = str_opt(o, "auth_origin");
	opts.api_origin = str_opt(o, "api_origin");
	opts.iam_origin = str_opt(o, "iam_origin");
	opts.ca_bundle = str_opt(o, "ca_bundle");
	opts.connect_timeout_ms = (long)num_opt(o, "connect_timeout_ms");
	opts.timeout_ms = (long)num_opt(o, "timeout_ms");
	opts.max_response_bytes = (size_t)num_opt(o, "max_response_bytes");
	opts.max_attempts = (int)num_opt(o, "max_attempts");
	opts.retry_base_ms = (long)num_opt(o, "retry_base_ms");
	opts.retry_max_ms = (long)num_opt(o, "retry_max_ms");
	opts.retry_deadline_ms = (long)num_opt(o, "retry_deadline_ms");
	if (sc_client_new(&c, &opts, &err) < 0) {
		fprintf(stderr, "driver: client: %s\n", sc_error_message(err));
		sc_error_free(err);
		return NULL;
	}
	return c;
}

static int call_once(sc_client *c, const char *endpoint,
		     const sc_params *params)
{
	sc_result *res = NULL;
	int rc = sc_call(&res, c, endpoint, params);
	sc_result_free(res);
	return rc;
}

/* Every page of a paged call (sc_pager): 0, or the first failure. */
static int walk_pages(sc_client *c, const char *endpoint,
		      const sc_params *params, long page_size)
{
	sc_pager *pg = NULL;
	sc_result *page = NULL;
	int rc = sc_pager_new(&pg, c, NULL, NULL, endpoint, params,
			      page_size, NULL);

	while (rc == 0 && (rc = sc_pager_next(&page, pg)) == 1) {
		sc_result_free(page);
		page = NULL;
		rc = 0;
	}
	sc_result_free(page);
	sc_pager_free(pg);
	return rc;
}

static void run_row(const cJSON *row)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(row, "params"), *kv;
	sc_client *c = client_for(
		cJSON_GetObjectItemCaseSensitive(row, "client"));
	sc_params *params = NULL;
	int i, repeat = (int)num_opt(row, "repeat");
	long page_size = (long)num_opt(row, "page_size");
	cJSON *out = cJSON_CreateObject();
	cJSON *kinds = cJSON_AddArrayToObject(out, "kinds");
	double t0 = now_ms();
	char *line;

	sc_params_new(&params);
	cJSON_ArrayForEach(kv, p)
		sc_params_set(params, kv->string, cJSON_GetStringValue(kv));
	for (i = 0; c && i < (repeat > 0 ? repeat : 1); i++) {
		int rc = page_size > 0
			? walk_pages(c, str_opt(row, "endpoint"), params,
				     page_size)
			: call_once(c, str_opt(row, "endpoint"), params);
		cJSON_AddItemToArray(kinds, cJSON_CreateString(
			rc == 0 ? "ok" : sc_code_kind(rc)));
	}
	if (!c)
		cJSON_AddItemToArray(kinds, cJSON_CreateString("no client"));
	cJSON_AddNumberToObject(out, "ms", now_ms() - t0);
	line = cJSON_PrintUnformatted(out);
	printf("%s\n", line);
	fflush(stdout);
	cJSON_free(line);
	cJSON_Delete(out);
	sc_params_free(params);
	sc_client_free(c);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		cJSON *row = cJSON_ParseWithLength(line, (size_t)n);
		if (!row) {
			printf("{\"kinds\":[\"bad row\"],\"ms\":0}\n");
			fflush(stdout);
			continue;
		}
		run_row(row);
		cJSON_Delete(row);
	}
	free(line);
	return 0;
}
