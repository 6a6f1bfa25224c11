/* Shared helpers: canned responses for the sans-IO tests, a real
 * emulator process for the integration tests, raw HTTP (libcurl) and JSON
 * checks for the tests that talk to the emulator directly. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "test.h"

static pid_t emu_pid;
static char emu_url[256];

void t_app_options(sc_client_options *o, const char *base)
{
	static const sc_client_options init = SC_CLIENT_OPTIONS_INIT;

	*o = init;
	o->client_id = T_CLIENT_ID;
	o->client_secret = T_CLIENT_SECRET;
	o->redirect_uri = T_REDIRECT;
	o->connect_origin = o->auth_origin = o->api_origin =
		o->management_origin = base;
}

sc_client *t_client_from(const sc_client_options *o)
{
	sc_client *c = NULL;
	sc_error *err = NULL;

	if (sc_client_new(&c, o, &err) < 0) {
		fprintf(stderr, "  client: %s\n", sc_error_message(err));
		sc_error_free(err);
		return NULL;
	}
	return c;
}

sc_client *t_client(const char *base, const char *secret)
{
	sc_client_options o;

	t_app_options(&o, base);
	if (secret)
		o.client_secret = secret;
	o.mode = "test";
	return t_client_from(&o);
}

/* The emulator program: SMARTCAR_EMULATOR_BIN or the one built here. */
static const char *emulator_bin(void)
{
	const char *bin = getenv("SMARTCAR_EMULATOR_BIN");
	return bin && *bin ? bin : SC_EMULATOR_PATH;
}

pid_t t_spawn(const char *const *argv, char *url, size_t n)
{
	int fds[2];
	FILE *f;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (pid < 0 || !f || !fgets(url, (int)n, f)) {
		fprintf(stderr, "  %s did not start\n", argv[0]);
		if (f)
			fclose(f);
		t_emulator_stop(pid);
		return -1;
	}
	fclose(f);
	url[strcspn(url, "\r\n")] = '\0';
	return pid;
}

const char *t_emulator(void)
{
	const char *env = getenv("SMARTCAR_EMULATOR_URL");
	const char *const argv[] = { emulator_bin(), "--port", "0", "--seed",
				     "7", NULL };

	if (env && *env)
		return env;
	if (emu_pid)
		return emu_url;
	emu_pid = t_spawn(argv, emu_url, sizeof(emu_url));
	if (emu_pid < 0) {
		emu_pid = 0;
		return NULL;
	}
	return emu_url;
}

void t_shutdown(void)
{
	t_emulator_stop(emu_pid);
	emu_pid = 0;
}

char *t_control(const char *path, const char *json)
{
	return t_control_at(t_emulator(), path, json);
}

pid_t t_emulator_spawn(const char *const *args, char *url, size_t n)
{
	const char *argv[24];
	int k = 0;

	argv[k++] = emulator_bin();
	argv[k++] = "--port";
	argv[k++] = "0";
	while (args && *args && k < 23)
		argv[k++] = *args++;
	argv[k] = NULL;
	return t_spawn(argv, url, n);
}

void t_emulator_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

char *t_control_req(const char *base, const char *method, const char *path,
		    const char *json)
{
	char url[512];
	t_http_res r;
	char *out = NULL;

	if (!base)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", base, path);
	if (t_http(&r,
		   method ? method
		   : json ? "POST"
			  : "GET",
		   url, NULL, json, "application/json") == CURLE_OK)
		out = r.body ? strndup(r.body, r.len) : strdup("");
	t_http_free(&r);
	return out;
}

char *t_control_at(const char *base, const char *path, const char *json)
{
	return t_control_req(base, NULL, path, json);
}

cJSON *t_control_json(const char *base, const char *method, const char *path,
		      const char *json)
{
	char *raw = t_control_req(base, method, path, json);
	cJSON *j = raw ? cJSON_Parse(raw) : NULL;
	free(raw);
	return j;
}

char *t_connect_at(const char *base, const char *auth_url, const char *action,
		   const char *email, char **raw)
{
	cJSON *req = cJSON_CreateObject(), *resp, *loc;
	char *body, *r, *out = NULL;

	cJSON_AddStringToObject(req, "authorize_url", auth_url);
	cJSON_AddStringToObject(req, "action", action);
	cJSON_AddStringToObject(req, "email", email);
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	r = t_control_at(base, "/_emulator/connect", body);
	free(body);
	resp = cJSON_Parse(r ? r : "");
	loc = cJSON_GetObjectItem(resp, "location");
	if (cJSON_IsString(loc))
		out = strdup(loc->valuestring);
	cJSON_Delete(resp);
	if (raw)
		*raw = r;
	else
		free(r);
	return out;
}

char *t_connect(const char *auth_url, const char *action, const char *email)
{
	char *raw, *out = t_connect_at(t_emulator(), auth_url, action, email,
				       &raw);

	if (!raw)
		return NULL;
	if (!out)
		fprintf(stderr, "connect control said: %s\n", raw);
	free(raw);
	return out;
}

void t_advance(double seconds)
{
	char body[64];
	snprintf(body, sizeof(body), "{\"advance\": %.3f}", seconds);
	free(t_control("/_emulator/clock", body));
}

void t_collect_line(void *payload, int dir, const char *line)
{
	t_lines *l = payload;
	size_t n = strlen(l->all);
	snprintf(l->all + n, sizeof(l->all) - n, "%c %s\n", dir, line);
}

int t_clean(const char *text, const char *const *secrets, size_t n)
{
	size_t i;
	if (!text)
		return 1;
	for (i = 0; i < n; i++)
		if (secrets[i] && *secrets[i] && strstr(text, secrets[i])) {
			fprintf(stderr, "  secret leaked into: %s\n", text);
			return 0;
		}
	return 1;
}

int t_result_clean(const sc_result *r, const char *const *secrets, size_t n)
{
	char *json = NULL;
	int ok;

	sc_result_to_json(&json, r);
	ok = t_clean(json, secrets, n) &&
	     t_clean(sc_error_message(sc_result_error(r)), secrets, n);
	sc_free(json);
	return ok;
}

sc_client *t_offline_client(void)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	o.client_id = "cid";
	o.client_secret = "csecret";
	o.redirect_uri = "https://example.com/cb";
	o.api_origin = "https://api.example.com";
	o.auth_origin = "https://auth.example.com";
	o.management_origin = "https://management.example.com";
	o.vehicle_api_origin = "https://vehicle.example.com";
	o.max_attempts = 1;
	sc_client_new(&c, &o, NULL);
	return c;
}

sc_response *t_response(int status, const char *content_type,
			const char *body)
{
	sc_response *r = NULL;
	sc_response_new(&r, 0);
	sc_response_set_status(r, status);
	if (content_type)
		sc_response_add_header(r, "Content-Type", content_type);
	if (body)
		sc_response_append_body(r, body, strlen(body));
	return r;
}

/* ------------------------------------------------------ private emulators */

#define MAX_PRIVATE 8
static t_private_emulator *privates[MAX_PRIVATE];
static int nprivates;

static void stop_privates(void)
{
	int i;
	for (i = 0; i < nprivates; i++) {
		t_emulator_stop(privates[i]->pid);
		privates[i]->pid = 0;
	}
}

const char *t_emulator_private(t_private_emulator *e, const char *const *args)
{
	char *r;

	if (!e->pid) {
		e->pid = t_emulator_spawn(args, e->url, sizeof(e->url));
		if (e->pid < 0) {
			e->pid = 0;
			fprintf(stderr, "  cannot start a private emulator\n");
			return NULL;
		}
		if (!e->registered && nprivates < MAX_PRIVATE) {
			e->registered = 1;
			if (!nprivates)
				atexit(stop_privates);
			privates[nprivates++] = e;
		}
	}
	r = t_control_at(e->url, "/_emulator/reset", "{}");
	if (!r)
		return NULL;
	free(r);
	return e->url;
}

/* -------------------------------------------------------------- raw HTTP */

typedef struct sink {
	char **p;
	size_t *n;
} sink;

static size_t grow(char *d, size_t s, size_t n, void *u)
{
	sink *k = u;
	char *q = realloc(*k->p, *k->n + s * n + 1);
	if (!q)
		return 0;
	memcpy(q + *k->n, d, s * n);
	*k->n += s * n;
	q[*k->n] = '\0';
	*k->p = q;
	return s * n;
}

int t_http(t_http_res *out, const char *method, const char *url,
	   const char *const *header_lines, const char *body,
	   const char *content_type)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hs = NULL;
	char line[256];
	sink bs, hk;

	memset(out, 0, sizeof(*out));
	bs.p = &out->body;
	bs.n = &out->len;
	hk.p = &out->headers;
	hk.n = &out->hlen;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	while (header_lines && *header_lines)
		hs = curl_slist_append(hs, *header_lines++);
	if (content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		hs = curl_slist_append(hs, line);
	}
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grow);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &bs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, grow);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hk);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	out->rc = (int)curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hs);
	curl_easy_cleanup(h);
	if (out->body)
		out->json = cJSON_ParseWithLength(out->body, out->len);
	return out->rc;
}

void t_http_free(t_http_res *r)
{
	free(r->body);
	free(r->headers);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

const char *const *t_api_headers(t_api_lines *h, const char *token,
				 const char *user, const char *unit,
				 const char *extra)
{
	int n = 0;

	if (token) {
		snprintf(h->buf[0], sizeof(h->buf[0]),
			 "Authorization: Bearer %s", token);
		h->lines[n++] = h->buf[0];
	}
	if (user) {
		snprintf(h->buf[1], sizeof(h->buf[1]), "sc-user-id: %s", user);
		h->lines[n++] = h->buf[1];
	}
	if (unit) {
		snprintf(h->buf[2], sizeof(h->buf[2]), "sc-unit-system: %s",
			 unit);
		h->lines[n++] = h->buf[2];
	}
	if (extra)
		h->lines[n++] = extra;
	h->lines[n] = NULL;
	return h->lines;
}

const char *t_http_header(const t_http_res *r, const char *name, char *buf,
			  size_t n)
{
	const char *p = r->headers;
	size_t nl = strlen(name);

	while (p && *p) {
		const char *e = strstr(p, "\r\n");
		size_t ll = e ? (size_t)(e - p) : strlen(p);
		if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t vl = ll - nl - 1;
			while (vl && *v == ' ')
				v++, vl--;
			if (vl >= n)
				vl = n - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = e ? e + 2 : NULL;
	}
	return NULL;
}

void t_basic_auth(char *line, size_t n, const char *userpwd)
{
	t_basic_auth_n(line, n, userpwd, strlen(userpwd));
}

void t_basic_auth_n(char *line, size_t n, const char *userpwd, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)userpwd;
	size_t i;
	int o = snprintf(line, n, "Authorization: Basic ");
	size_t k = o < 0 ? 0 : (size_t)o;

	for (i = 0; i < len && k + 4 < n; i += 3) {
		unsigned long v = (unsigned long)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		line[k++] = b64[(v >> 18) & 63];
		line[k++] = b64[(v >> 12) & 63];
		line[k++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		line[k++] = i + 2 < len ? b64[v & 63] : '=';
	}
	if (k < n)
		line[k] = '\0';
}

/* ------------------------------------------------------------- sessions */

char *t_login(const char *base, const char *email, const char *scope)
{
	char *esc = curl_easy_escape(NULL, scope, 0), *loc, *tok = NULL;
	char url[2048], form[512], basic[256];
	const char *code, *lines[2] = {basic, NULL};
	t_http_res r;

	snprintf(url, sizeof(url),
		 "%s/oauth/authorize?response_type=code&client_id=%s"
		 "&redirect_uri=http%%3A%%2F%%2Flocalhost%%3A8000%%2Fcallback"
		 "&scope=%s&mode=test",
		 base, T_CLIENT_ID, esc);
	curl_free(esc);
	loc = t_connect_at(base, url, "approve", email, NULL);
	code = loc ? strstr(loc, "code=") : NULL;
	if (!code) {
		free(loc);
		return NULL;
	}
	snprintf(form, sizeof(form),
		 "grant_type=authorization_code&code=%.32s&redirect_uri="
		 "http%%3A%%2F%%2Flocalhost%%3A8000%%2Fcallback",
		 code + 5);
	free(loc);
	snprintf(url, sizeof(url), "%s/oauth/token", base);
	t_basic_auth(basic, sizeof(basic), T_CLIENT_ID ":" T_CLIENT_SECRET);
	t_http(&r, "POST", url, lines, form, NULL);
	if (t_json_str(r.json, "access_token"))
		tok = strdup(t_json_str(r.json, "access_token"));
	t_http_free(&r);
	return tok;
}

int t_fleet(const char *base, const char *email, char ids[3][40])
{
	char path[256];
	cJSON *j;
	const cJSON *v;
	int n = 0;

	snprintf(path, sizeof(path), "/_emulator/vehicles?email=%s", email);
	j = t_control_json(base, NULL, path, NULL);
	cJSON_ArrayForEach(v, t_json_get(j, "vehicles"))
	{
		const char *kind = t_json_str(v, "kind"),
			   *id = t_json_str(v, "id");
		int k = !kind			    ? -1
			: strcmp(kind, "BEV") == 0  ? 0
			: strcmp(kind, "PHEV") == 0 ? 1
						    : 2;
		if (k >= 0 && id) {
			snprintf(ids[k], 40, "%s", id);
			n++;
		}
	}
	cJSON_Delete(j);
	return n == 3 ? 0 : -1;
}

char *t_login_fleet(const char *base, const char *email, const char *scope,
		    char ids[3][40])
{
	char *tok = t_login(base, email, scope);

	if (tok && t_fleet(base, email, ids) < 0) {
		free(tok);
		tok = NULL;
	}
	return tok;
}

void t_set_vehicle(const char *base, const char *id, const char *json)
{
	char path[128];
	snprintf(path, sizeof(path), "/_emulator/vehicles/%s", id);
	free(t_control_at(base, path, json));
}

/* ------------------------------------------------------------------ JSON */

const cJSON *t_json_get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

const char *t_json_str(const cJSON *o, const char *k)
{
	const cJSON *it = t_json_get(o, k);
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

double t_json_num(const cJSON *o, const char *k)
{
	const cJSON *it = t_json_get(o, k);
	return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

static int has_type(const cJSON *it, const char *types)
{
	for (; *types; types++)
		if ((*types == 'n' && cJSON_IsNumber(it)) ||
		    (*types == 's' && cJSON_IsString(it)) ||
		    (*types == 'b' && cJSON_IsBool(it)) ||
		    (*types == 'a' && cJSON_IsArray(it)) ||
		    (*types == 'o' && cJSON_IsObject(it)) ||
		    (*types == 'z' && cJSON_IsNull(it)))
			return 1;
	return 0;
}

void t_shape(const char *where, const cJSON *o, const char *spec)
{
	char buf[512], *save = NULL, *tok;
	int want = 0;

	if (!cJSON_IsObject(o)) {
		fprintf(stderr, "  %s: not an object\n", where);
		sc_test_failed_flag = 1;
		return;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		*colon = '\0';
		want++;
		if (!has_type(t_json_get(o, tok), colon + 1)) {
			fprintf(stderr, "  %s: key %s missing or not [%s]\n",
				where, tok, colon + 1);
			sc_test_failed_flag = 1;
		}
	}
	if (cJSON_GetArraySize(o) != want) {
		fprintf(stderr, "  %s: %d keys, expected %d\n", where,
			cJSON_GetArraySize(o), want);
		sc_test_failed_flag = 1;
	}
}

void t_shape_each(const char *where, const cJSON *a, const char *spec)
{
	const cJSON *e;
	if (!cJSON_IsArray(a)) {
		fprintf(stderr, "  %s: not an array\n", where);
		sc_test_failed_flag = 1;
		return;
	}
	cJSON_ArrayForEach(e, a) t_shape(where, e, spec);
}

/* ------------------------------------------------- parameters and fields */

void t_params_set(sc_params *p, const char *const *kv)
{
	for (; kv[0] && kv[1]; kv += 2)
		sc_params_set(p, kv[0], kv[1]);
}

sc_params *t_params(const char *const *kv)
{
	sc_params *p = NULL;
	if (sc_params_new(&p) == 0)
		t_params_set(p, kv);
	return p;
}

const char *t_error_field(const void *e, const char *key)
{
	return sc_error_get(e, key);
}

const char *t_result_string(const void *r, const char *key)
{
	return sc_result_get_string(r, key);
}

const char *t_client_setting(const void *c, const char *key)
{
	return sc_client_get(c, key);
}

void t_check_fields(const char *file, int line, t_get_fn get,
		    const void *obj, const char *const *kv)
{
	for (; kv[0] && kv[1]; kv += 2) {
		const char *got = obj ? get(obj, kv[0]) : NULL;
		if (!got || strcmp(got, kv[1]) != 0) {
			fprintf(stderr, "  %s:%d: %s is \"%s\", not \"%s\"\n",
				file, line, kv[0], got ? got : "(null)", kv[1]);
			sc_test_failed_flag = 1;
		}
	}
}

/* -------------------------------------------------- library sessions */

sc_result *t_owner_tokens(sc_client *c, const char *email,
			  const char *scope, sc_result **veh, char **code)
{
	sc_params *p = T_PARAMS("scope", scope);
	char *url = NULL, *state = NULL, *loc = NULL;
	sc_result *red = NULL, *tok = NULL;

	if (veh)
		*veh = NULL;
	if (sc_auth_url(&url, &state, c, p, NULL) == 0)
		loc = t_connect(url, "approve", email);
	sc_params_free(p);
	if (loc && sc_parse_redirect(&red, loc, state) == 0) {
		const char *got = sc_result_get_string(red, "code");
		if (code)
			*code = strdup(got);
		sc_exchange_code(&tok, c, got, NULL);
	}
	if (veh && tok && !sc_result_error(tok) &&
	    sc_get_vehicles(veh, c, sc_result_get_string(tok, "access_token"),
			    -1, -1) < 0) {
		sc_result_free(*veh);
		*veh = NULL;
	}
	free(loc);
	sc_free(url);
	sc_free(state);
	sc_result_free(red);
	return tok;
}

sc_response *t_token_reply(const char *access, const char *refresh)
{
	char body[256];
	snprintf(body, sizeof(body),
		 "{\"access_token\":\"%s\",\"refresh_token\":\"%s\","
		 "\"token_type\":\"Bearer\",\"expires_in\":7200,"
		 "\"refresh_expires_in\":5184000}",
		 access, refresh);
	return t_response(200, "application/json", body);
}

void t_check_adopted(sc_op *a, sc_op *b, t_next_fn next)
{
	const sc_request *req;

	CHECK(next(b, &req) == SC_STEP_WAIT);
	CHECK(sc_op_wait_ms(b) > 0);
	CHECK(sc_op_feed(a, t_token_reply("access-2", "refresh-2")) == 0);
	if (!CHECK(next(a, &req) == SC_STEP_SEND))
		return;
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-2");
	if (!CHECK(next(b, &req) == SC_STEP_SEND))
		return;
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-2");
}

int t_requests_to(const char *part)
{
	cJSON *all = t_control_json(t_emulator(), NULL, "/_emulator/requests",
				    NULL);
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, t_json_get(all, "requests")) {
		const char *path = t_json_str(r, "path");
		if (path && strstr(path, part))
			n++;
	}
	cJSON_Delete(all);
	return n;
}

void t_check_json_status(const t_http_res *r, long status)
{
	char ct[128];

	CHECK(r->status == status);
	if (r->status != status)
		fprintf(stderr, "  status %ld, expected %ld: %s\n", r->status,
			status, r->body ? r->body : "");
	CHECK(t_http_header(r, "content-type", ct, sizeof(ct)) &&
	      strstr(ct, "application/json"));
}

void t_frame_sleep(void)
{
	struct timespec ts = { 0, 2 * 1000000L };
	nanosleep(&ts, NULL);
}

int t_async_drain(sc_async *a, uint64_t want, sc_result **out,
		  int max_frames)
{
	int frames;

	for (frames = 0; sc_async_count(a) && frames < max_frames; frames++) {
		sc_result *r = NULL;
		uint64_t got;

		sc_async_poll(a);
		while (sc_async_take(a, &got, &r) == 1) {
			if (got == want && out)
				*out = r;
			else
				sc_result_free(r);
		}
		if (sc_async_count(a))
			t_frame_sleep();
	}
	return frames;
}
