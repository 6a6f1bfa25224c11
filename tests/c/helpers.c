/* Shared helpers: canned responses for the sans-IO tests, and a real
 * emulator process for the integration tests. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "test.h"

static pid_t emu_pid;
static char emu_url[256];

sc_client *t_client(const char *base, const char *secret)
{
	sc_client_options o = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	sc_error *err = NULL;

	o.client_id = T_CLIENT_ID;
	o.client_secret = secret ? secret : T_CLIENT_SECRET;
	o.redirect_uri = T_REDIRECT;
	o.mode = "test";
	o.connect_origin = o.auth_origin = o.api_origin =
		o.management_origin = base ? base : NULL;
	if (sc_client_new(&c, &o, &err) < 0) {
		fprintf(stderr, "client: %s\n", sc_error_message(err));
		sc_error_free(err);
		return NULL;
	}
	return c;
}

const char *t_emulator(void)
{
	const char *env = getenv("SMARTCAR_EMULATOR_URL");
	const char *bin = getenv("SMARTCAR_EMULATOR_BIN");
	int fds[2];
	FILE *f;

	if (env && *env)
		return env;
	if (emu_pid)
		return emu_url;
	if (!bin || !*bin)
		bin = SC_EMULATOR_PATH;
	if (pipe(fds) < 0)
		return NULL;
	emu_pid = fork();
	if (emu_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(bin, bin, "--port", "0", "--seed", "7", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f || !fgets(emu_url, sizeof(emu_url), f)) {
		fprintf(stderr, "emulator did not start (%s)\n", bin);
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	emu_url[strcspn(emu_url, "\r\n")] = '\0';
	return emu_url;
}

void t_shutdown(void)
{
	if (emu_pid > 0) {
		kill(emu_pid, SIGTERM);
		waitpid(emu_pid, NULL, 0);
		emu_pid = 0;
	}
}

static size_t collect(char *d, size_t s, size_t n, void *u)
{
	sc_response *r = u;
	sc_response_append_body(r, d, s * n);
	return s * n;
}

char *t_control(const char *path, const char *json)
{
	return t_control_at(t_emulator(), path, json);
}

pid_t t_emulator_spawn(const char *const *args, char *url, size_t n)
{
	const char *bin = getenv("SMARTCAR_EMULATOR_BIN");
	const char *argv[24];
	int fds[2], k = 0;
	FILE *f;
	pid_t pid;

	if (!bin || !*bin)
		bin = SC_EMULATOR_PATH;
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		argv[k++] = bin;
		argv[k++] = "--port";
		argv[k++] = "0";
		while (args && *args && k < 23)
			argv[k++] = *args++;
		argv[k] = NULL;
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (pid < 0 || !f || !fgets(url, (int)n, f)) {
		if (f)
			fclose(f);
		t_emulator_stop(pid);
		return -1;
	}
	fclose(f);
	url[strcspn(url, "\r\n")] = '\0';
	return pid;
}

void t_emulator_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

char *t_control_at(const char *base, const char *path, const char *json)
{
	char url[512];
	CURL *h;
	sc_response *r = NULL;
	struct curl_slist *hs = NULL;
	char *out = NULL;

	if (!base)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", base, path);
	h = curl_easy_init();
	sc_response_new(&r, 0);
	hs = curl_slist_append(hs, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	if (json)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (curl_easy_perform(h) == CURLE_OK) {
		size_t len;
		const char *b = sc_response_body(r, &len);
		out = strndup(b, len);
	}
	curl_slist_free_all(hs);
	curl_easy_cleanup(h);
	sc_response_free(r);
	return out;
}

char *t_connect(const char *auth_url, const char *action, const char *email)
{
	cJSON *req = cJSON_CreateObject(), *resp, *loc;
	char *body, *out = NULL, *raw;

	cJSON_AddStringToObject(req, "authorize_url", auth_url);
	cJSON_AddStringToObject(req, "action", action);
	cJSON_AddStringToObject(req, "email", email);
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	raw = t_control("/_emulator/connect", body);
	free(body);
	if (!raw)
		return NULL;
	resp = cJSON_Parse(raw);
	loc = cJSON_GetObjectItem(resp, "location");
	if (cJSON_IsString(loc))
		out = strdup(loc->valuestring);
	else
		fprintf(stderr, "connect control said: %s\n", raw);
	cJSON_Delete(resp);
	free(raw);
	return out;
}

void t_advance(double seconds)
{
	char body[64];
	snprintf(body, sizeof(body), "{\"advance\": %.3f}", seconds);
	free(t_control("/_emulator/clock", body));
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
