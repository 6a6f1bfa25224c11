/* The shared declarative cases (tests/cases/NAME.json), run through the
 * sans-IO op with no sockets: each case names an endpoint and its
 * params, the exact request expected, the canned reply, and the expected
 * data or error.  The Python and Lua suites run the same files. */
#include <dirent.h>
#include <stddef.h>
#include <strings.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "test.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* expected ⊆ actual, with "<number>", "<string>", "<any>" wildcards and
 * "<absent>" for keys that must not be there. */
static int subset(const cJSON *exp, const cJSON *act, const char *where,
		  const char *name)
{
	const cJSON *e;
	if (cJSON_IsString(exp)) {
		const char *s = exp->valuestring;
		if (!strcmp(s, "<any>"))
			return act != NULL;
		if (!strcmp(s, "<number>"))
			return cJSON_IsNumber(act);
		if (!strcmp(s, "<string>"))
			return cJSON_IsString(act);
		if (!cJSON_IsString(act) || strcmp(s, act->valuestring)) {
			fprintf(stderr, "  %s: %s.%s: want \"%s\"\n", name,
				where, "", s);
			return 0;
		}
		return 1;
	}
	if (cJSON_IsNumber(exp))
		return cJSON_IsNumber(act) &&
		       fabs(exp->valuedouble - act->valuedouble) < 1e-9;
	if (cJSON_IsObject(exp)) {
		if (!cJSON_IsObject(act))
			return 0;
		cJSON_ArrayForEach(e, exp) {
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(
				act, e->string);
			if (cJSON_IsString(e) &&
			    !strcmp(e->valuestring, "<absent>")) {
				if (a) {
					fprintf(stderr, "  %s: %s.%s must be "
						"absent\n", name, where,
						e->string);
					return 0;
				}
				continue;
			}
			if (!subset(e, a, e->string, name)) {
				fprintf(stderr, "  %s: mismatch at %s.%s\n",
					name, where, e->string);
				return 0;
			}
		}
		return 1;
	}
	if (cJSON_IsArray(exp)) {
		int i, n = cJSON_GetArraySize(exp);
		if (!cJSON_IsArray(act) || cJSON_GetArraySize(act) != n)
			return 0;
		for (i = 0; i < n; i++)
			if (!subset(cJSON_GetArrayItem(exp, i),
				    cJSON_GetArrayItem(act, i), where, name))
				return 0;
		return 1;
	}
	return cJSON_Compare(exp, act, 1);
}

/* The client options a case may set, by name (strings). */
static const struct {
	const char *name;
	size_t at;
} client_strings[] = {
	{ "client_id", offsetof(sc_client_options, client_id) },
	{ "client_secret", offsetof(sc_client_options, client_secret) },
	{ "redirect_uri", offsetof(sc_client_options, redirect_uri) },
	{ "connect_origin", offsetof(sc_client_options, connect_origin) },
	{ "auth_origin", offsetof(sc_client_options, auth_origin) },
	{ "api_origin", offsetof(sc_client_options, api_origin) },
	{ "management_origin", offsetof(sc_client_options, management_origin) },
	{ "api_version", offsetof(sc_client_options, api_version) },
	{ "unit_system", offsetof(sc_client_options, unit_system) },
	{ "flags", offsetof(sc_client_options, flags) },
	{ "mode", offsetof(sc_client_options, mode) },
};

/* Sets the options that layer (a JSON object) names in o; the strings stay
 * layer's. */
static void apply_client(sc_client_options *o, const cJSON *layer)
{
	const cJSON *n = cJSON_GetObjectItem(layer, "max_attempts");
	size_t i;

	for (i = 0; i < sizeof(client_strings) / sizeof(*client_strings); i++)
		if (str(layer, client_strings[i].name))
			*(const char **)((char *)o + client_strings[i].at) =
				str(layer, client_strings[i].name);
	if (cJSON_IsNumber(n))
		o->max_attempts = n->valueint;
}

/* The client every case starts from (tests/cases/defaults/client.json)
 * with the case's "client" on top. */
static sc_client *case_client(const cJSON *opts, const char *name)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	sc_error *err = NULL;
	char *text = slurp(SC_SOURCE_DIR "/tests/cases/defaults/client.json");
	cJSON *defaults = text ? cJSON_Parse(text) : NULL;

	free(text);
	if (!defaults) {
		fprintf(stderr, "  %s: no tests/cases/defaults/client.json\n",
			name);
		return NULL;
	}
	apply_client(&o, defaults);
	apply_client(&o, opts);
	if (sc_client_new(&c, &o, &err) < 0) {
		fprintf(stderr, "  %s: client: %s\n", name,
			sc_error_message(err));
		sc_error_free(err);
	}
	cJSON_Delete(defaults);
	return c;
}

static int check_request(const cJSON *want, const sc_request *req,
			 const char *name)
{
	const cJSON *h, *body = cJSON_GetObjectItem(want, "body");
	int ok = 1;
	size_t len;
	const char *got;

	if (str(want, "method") && strcmp(str(want, "method"),
					  sc_request_method(req))) {
		fprintf(stderr, "  %s: method %s\n", name,
			sc_request_method(req));
		ok = 0;
	}
	if (str(want, "url") && strcmp(str(want, "url"), sc_request_url(req))) {
		fprintf(stderr, "  %s: url %s\n", name, sc_request_url(req));
		ok = 0;
	}
	cJSON_ArrayForEach(h, cJSON_GetObjectItem(want, "headers")) {
		const char *v = sc_request_header(req, h->string);
		if (cJSON_IsNull(h) ? v != NULL
				    : (!v || strcmp(v, h->valuestring))) {
			fprintf(stderr, "  %s: header %s = %s\n", name,
				h->string, v ? v : "(none)");
			ok = 0;
		}
	}
	got = sc_request_body(req, &len);
	if (cJSON_IsString(body)) {
		if (strcmp(body->valuestring, got)) {
			fprintf(stderr, "  %s: body %s\n", name, got);
			ok = 0;
		}
	} else if (cJSON_IsNull(body)) {
		if (len) {
			fprintf(stderr, "  %s: unexpected body %s\n", name, got);
			ok = 0;
		}
	} else if (body) {
		cJSON *g = cJSON_ParseWithLength(got, len);
		if (!cJSON_Compare(body, g, 1)) {
			fprintf(stderr, "  %s: body %s\n", name, got);
			ok = 0;
		}
		cJSON_Delete(g);
	}
	return ok;
}

static sc_response *reply(const cJSON *r)
{
	const cJSON *h, *body = cJSON_GetObjectItem(r, "body");
	const cJSON *st = cJSON_GetObjectItem(r, "status");
	sc_response *resp = NULL;
	int has_ct = 0;

	sc_response_new(&resp, 0);
	sc_response_set_status(resp, cJSON_IsNumber(st) ? st->valueint : 200);
	cJSON_ArrayForEach(h, cJSON_GetObjectItem(r, "headers")) {
		sc_response_add_header(resp, h->string, h->valuestring);
		if (strcasecmp(h->string, "Content-Type") == 0)
			has_ct = 1;
	}
	if (cJSON_IsString(body)) {
		sc_response_append_body(resp, body->valuestring,
					strlen(body->valuestring));
	} else if (body) {
		char *s = cJSON_PrintUnformatted(body);
		if (!has_ct)
			sc_response_add_header(resp, "Content-Type",
					       "application/json");
		sc_response_append_body(resp, s, strlen(s));
		free(s);
	}
	return resp;
}

static sc_params *params_of(const cJSON *o)
{
	sc_params *p = NULL;
	const cJSON *v;
	sc_params_new(&p);
	cJSON_ArrayForEach(v, o) {
		if (cJSON_IsString(v)) {
			sc_params_set(p, v->string, v->valuestring);
		} else if (cJSON_IsNumber(v)) {
			char num[64];
			snprintf(num, sizeof(num), "%.17g", v->valuedouble);
			sc_params_set(p, v->string, num);
		}
	}
	return p;
}

static int run_case(const char *path, cJSON *c)
{
	const char *name = str(c, "name") ? str(c, "name") : path;
	const cJSON *want_err = cJSON_GetObjectItem(c, "error");
	const cJSON *want_res = cJSON_GetObjectItem(c, "result");
	const cJSON *replies = cJSON_GetObjectItem(c, "replies");
	sc_client *cl = case_client(cJSON_GetObjectItem(c, "client"), name);
	sc_params *p = params_of(cJSON_GetObjectItem(c, "params"));
	sc_op *op = NULL;
	sc_error *err = NULL;
	sc_result *res = NULL;
	const sc_request *req;
	int ok = 1, rc, i, n;

	if (!cl)
		return 0;
	rc = sc_op_new(&op, cl, str(c, "endpoint"), p, &err);
	if (rc < 0) {
		/* an argument error is itself the expected outcome */
		cJSON *got = err ? cJSON_Duplicate(sc_error_object(err), 1)
				 : NULL;
		ok = want_err && subset(want_err, got, "error", name);
		if (!ok)
			fprintf(stderr, "  %s: op_new: %s\n", name,
				sc_error_message(err));
		cJSON_Delete(got);
		goto out;
	}
	/* one reply, or several for cases that retry */
	n = cJSON_IsArray(replies) ? cJSON_GetArraySize(replies) : 1;
	for (i = 0; i < n; i++) {
		int step;
		while ((step = sc_op_next(op, &req)) == SC_STEP_WAIT)
			;
		if (step != SC_STEP_SEND) {
			fprintf(stderr, "  %s: done after %d replies\n", name,
				i);
			ok = 0;
			break;
		}
		/* "requests": every request, one per reply; else the first */
		if (cJSON_IsArray(cJSON_GetObjectItem(c, "requests"))) {
			if (!check_request(cJSON_GetArrayItem(
				    cJSON_GetObjectItem(c, "requests"), i),
					   req, name))
				ok = 0;
		} else if (i == 0 &&
			   !check_request(cJSON_GetObjectItem(c, "request"),
					  req, name)) {
			ok = 0;
		}
		sc_op_feed(op, reply(cJSON_IsArray(replies)
			? cJSON_GetArrayItem(replies, i)
			: cJSON_GetObjectItem(c, "reply")));
	}
	if (sc_op_next(op, &req) != SC_STEP_DONE) {
		fprintf(stderr, "  %s: not done after the replies\n", name);
		ok = 0;
		goto out;
	}
	rc = sc_op_result(&res, op);
	if (want_err) {
		ok = ok && rc < 0 &&
		     subset(want_err, sc_error_object(sc_result_error(res)),
			    "error", name);
	} else {
		ok = ok && rc == 0 &&
		     subset(want_res, sc_result_data(res), "result", name);
	}
	if (!ok) {
		char *json = NULL;
		if (res)
			sc_result_to_json(&json, res);
		fprintf(stderr, "  %s: got %s\n", name, json ? json : "-");
		sc_free(json);
	}
out:
	sc_result_free(res);
	sc_error_free(err);
	sc_op_free(op);
	sc_params_free(p);
	sc_client_free(cl);
	return ok;
}

TEST(cases_declarative)
{
	char dir[512], path[1024];
	DIR *d;
	struct dirent *de;
	int count = 0;

	snprintf(dir, sizeof(dir), "%s/tests/cases", SC_SOURCE_DIR);
	d = opendir(dir);
	REQUIRE(d);
	while ((de = readdir(d))) {
		char *text;
		cJSON *c;
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		text = slurp(path);
		c = text ? cJSON_Parse(text) : NULL;
		if (!c) {
			fprintf(stderr, "  %s: not JSON\n", de->d_name);
			sc_test_failed_flag = 1;
		} else if (!run_case(de->d_name, c)) {
			fprintf(stderr, "  case %s failed\n", de->d_name);
			sc_test_failed_flag = 1;
		}
		count++;
		cJSON_Delete(c);
		free(text);
	}
	closedir(d);
	CHECK(count > 0);
}
