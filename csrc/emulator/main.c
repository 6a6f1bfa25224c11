/* smartcar-emulator: command line, config file, signals, start and stop. */
#include "emu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: smartcar-emulator [options]\n"
	"\n"
	"An offline stand-in for Smartcar's servers (Connect, OAuth token\n"
	"endpoint, Vehicle API). Prints its base URL on the first line of\n"
	"stdout, then serves until SIGINT or SIGTERM.\n"
	"\n"
	"  --port N                 TCP port, 0 picks a free one (default 0)\n"
	"  --host ADDR              address to bind (default 127.0.0.1)\n"
	"  --seed N                 seed for ids, VINs and readings (default "
	"0)\n"
	"  --config FILE            JSON config file (flags override it)\n"
	"  --client-id ID           application client id\n"
	"  --client-secret S        application client secret\n"
	"  --redirect-uri URI       registered redirect URI (repeatable; "
	"replaces\n"
	"                           the configured list)\n"
	"  --management-token T     application management token (AMT)\n"
	"  --refresh-grace SECONDS  life of a used refresh token (default 60)\n"
	"  --app-rate-limit CAPACITY:PER_MINUTE\n"
	"                           application token bucket (default off)\n"
	"  --vehicle-min-interval SECONDS\n"
	"                           per-vehicle throttle (default off)\n"
	"  --tls-cert FILE          serve HTTPS with this PEM certificate "
	"(chain)\n"
	"  --tls-key FILE           ... and this PEM private key\n"
	"  --max-connections N      connections served at once; more get 503\n"
	"                           (default 4096)\n"
	"  --connection-timeout SECONDS\n"
	"                           close a connection idle this long, a slow\n"
	"                           partial request included (default 30, 0 =\n"
	"                           never)\n"
	"  --verbose                log requests to stderr\n"
	"  --help                   show this text\n";

static int fail(const char *fmt, const char *arg)
{
	fputs("smartcar-emulator: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 2;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = emu_strdup(v);
}

static void clear_redirects(emu_config *c)
{
	for (size_t i = 0; i < c->n_redirect_uris; i++)
		free(c->redirect_uris[i]);
	free(c->redirect_uris);
	c->redirect_uris = NULL;
	c->n_redirect_uris = 0;
}

static void add_redirect(emu_config *c, const char *uri)
{
	c->redirect_uris = emu_xrealloc(
		c->redirect_uris, (c->n_redirect_uris + 1) * sizeof(char *));
	c->redirect_uris[c->n_redirect_uris++] = emu_strdup(uri);
}

static int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !(v >= 0) || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

/* The file's first MiB or so into b (zeroed); -1 when it cannot be
 * opened. */
static int slurp(const char *path, emu_buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char chunk[4096];
	size_t n;
	memset(b, 0, sizeof *b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 &&
	       b->len < EMU_MAX_BODY)
		emu_buf_put(b, chunk, n);
	fclose(f);
	return 0;
}

/* Whole file as a NUL-terminated string (PEM certificates and keys). */
static int read_pem(const char *path, char **out)
{
	emu_buf b;
	if (slurp(path, &b) != 0)
		return fail("cannot open %s", path);
	if (!b.p || !strstr(b.p, "-----BEGIN ")) {
		emu_buf_free(&b);
		return fail("%s is not a PEM file", path);
	}
	free(*out);
	*out = emu_buf_take(&b);
	return 0;
}

/* emu_config_free plus the TLS material main.c read. */
static void config_free(void)
{
	if (emu_cfg.tls_key_pem) /* wipe the private key before freeing it */
		memset(emu_cfg.tls_key_pem, 0, strlen(emu_cfg.tls_key_pem));
	free(emu_cfg.tls_cert_pem);
	free(emu_cfg.tls_key_pem);
	emu_cfg.tls_cert_pem = emu_cfg.tls_key_pem = NULL;
	emu_config_free(&emu_cfg);
}

/* ------------------------------------------------------------- config */

static int load_config(emu_config *c, const char *path)
{
	emu_buf b;
	if (slurp(path, &b) != 0)
		return fail("cannot open config file %s", path);
	cJSON *j = cJSON_ParseWithLength(b.p ? b.p : "", b.len);
	emu_buf_free(&b);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return fail("config file %s is not a JSON object", path);
	}
	int rc = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, j)
	{
		const char *k = it->string;
		if (strcmp(k, "client_id") == 0 ||
		    strcmp(k, "client_secret") == 0 ||
		    strcmp(k, "management_token") == 0) {
			if (!cJSON_IsString(it)) {
				rc = fail("config: %s must be a string", k);
				break;
			}
			set_str(strcmp(k, "client_id") == 0 ? &c->client_id
				: strcmp(k, "client_secret") == 0
					? &c->client_secret
					: &c->management_token,
				it->valuestring);
		} else if (strcmp(k, "redirect_uris") == 0) {
			const cJSON *u;
			if (!cJSON_IsArray(it)) {
				rc = fail("config: %s must be an array of "
					  "strings",
					  k);
				break;
			}
			clear_redirects(c);
			cJSON_ArrayForEach(u, it)
			{
				if (!cJSON_IsString(u)) {
					rc = fail("config: %s must be an array "
						  "of strings",
						  k);
					break;
				}
				add_redirect(c, u->valuestring);
			}
			if (rc)
				break;
		} else if (strcmp(k, "seed") == 0) {
			if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
			    it->valuedouble > 9007199254740992.0 ||
			    it->valuedouble !=
				    (double)(uint64_t)it->valuedouble) {
				rc = fail("config: %s must be a non-negative "
					  "integer",
					  k);
				break;
			}
			c->seed = (uint64_t)it->valuedouble;
		} else if (strcmp(k, "refresh_grace") == 0) {
			if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0) ||
			    it->valuedouble > 1e9) {
				rc = fail("config: %s must be a non-negative "
					  "number",
					  k);
				break;
			}
			c->refresh_grace_s = it->valuedouble;
		} else {
			fprintf(stderr,
				"smartcar-emulator: config: ignoring unknown "
				"key %s\n",
				k);
		}
	}
	cJSON_Delete(j);
	return rc;
}

/* ------------------------------------------------------------ arguments */

/* "--name value" or "--name=value". Returns the value, advancing *i, or
 * NULL if arg is not this option. *missing is set if the value is absent. */
static const char *opt(int argc, char **argv, int *i, const char *name,
		       int *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int parse_args(emu_config *c, int argc, char **argv)
{
	/* the config file first, so flags override it */
	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *v = opt(argc, argv, &i, "--config", &missing);
		if (missing)
			return fail("%s needs a value", "--config");
		if (v) {
			int rc = load_config(c, v);
			if (rc)
				return rc;
		}
	}
	int cli_redirects = 0;
	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *a = argv[i], *v;
		if (strcmp(a, "--verbose") == 0) {
			c->verbose = 1;
		} else if ((v = opt(argc, argv, &i, "--config", &missing))) {
			/* already loaded */
		} else if ((v = opt(argc, argv, &i, "--port", &missing))) {
			uint64_t p;
			if (parse_u64(v, &p) != 0 || p > 65535)
				return fail("invalid --port %s", v);
			c->port = (int)p;
		} else if ((v = opt(argc, argv, &i, "--host", &missing))) {
			set_str(&c->host, v);
		} else if ((v = opt(argc, argv, &i, "--seed", &missing))) {
			if (parse_u64(v, &c->seed) != 0)
				return fail("invalid --seed %s", v);
		} else if ((v = opt(argc, argv, &i, "--client-id", &missing))) {
			set_str(&c->client_id, v);
		} else if ((v = opt(argc, argv, &i, "--client-secret",
				    &missing))) {
			set_str(&c->client_secret, v);
		} else if ((v = opt(argc, argv, &i, "--redirect-uri",
				    &missing))) {
			if (!cli_redirects++)
				clear_redirects(c);
			add_redirect(c, v);
		} else if ((v = opt(argc, argv, &i, "--management-token",
				    &missing))) {
			set_str(&c->management_token, v);
		} else if ((v = opt(argc, argv, &i, "--refresh-grace",
				    &missing))) {
			if (parse_seconds(v, &c->refresh_grace_s) != 0)
				return fail("invalid --refresh-grace %s", v);
		} else if ((v = opt(argc, argv, &i, "--app-rate-limit",
				    &missing))) {
			char *end; /* CAPACITY:PER_MINUTE, both > 0 */
			double cap = strtod(v, &end), per = 0;
			if (*end == ':')
				per = strtod(end + 1, &end);
			if (*end || !(cap >= 1 && cap <= 1e9) ||
			    !(per > 0 && per <= 1e9))
				return fail("invalid --app-rate-limit %s "
					    "(CAPACITY:PER_MINUTE)",
					    v);
			c->app_rate_capacity = cap;
			c->app_rate_per_min = per;
		} else if ((v = opt(argc, argv, &i, "--vehicle-min-interval",
				    &missing))) {
			if (parse_seconds(v, &c->vehicle_min_interval_s) != 0)
				return fail("invalid --vehicle-min-interval %s",
					    v);
		} else if ((v = opt(argc, argv, &i, "--max-connections",
				    &missing))) {
			uint64_t n;
			if (parse_u64(v, &n) != 0 || n < 1 || n > 1000000)
				return fail("invalid --max-connections %s "
					    "(1..1000000)",
					    v);
			c->max_connections = (unsigned)n;
		} else if ((v = opt(argc, argv, &i, "--connection-timeout",
				    &missing))) {
			uint64_t n;
			if (parse_u64(v, &n) != 0 || n > 86400)
				return fail("invalid --connection-timeout %s "
					    "(0..86400 s)",
					    v);
			c->connection_timeout_s = (unsigned)n;
		} else if ((v = opt(argc, argv, &i, "--tls-cert", &missing))) {
			if (read_pem(v, &c->tls_cert_pem) != 0)
				return 2;
		} else if ((v = opt(argc, argv, &i, "--tls-key", &missing))) {
			if (read_pem(v, &c->tls_key_pem) != 0)
				return 2;
		} else if (missing) {
			return fail("%s needs a value", a);
		} else {
			fprintf(stderr, "%s", usage_text);
			return fail("unknown argument %s", a);
		}
	}
	if (!*c->client_id)
		return fail("%s", "client id must not be empty");
	if (!c->tls_cert_pem != !c->tls_key_pem)
		return fail("%s", "--tls-cert and --tls-key go together");
	return 0;
}

/* ----------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
	}
	emu_config_defaults(&emu_cfg);
	emu_cfg.max_connections = EMU_DEFAULT_MAX_CONNECTIONS;
	emu_cfg.connection_timeout_s = EMU_DEFAULT_CONNECTION_TIMEOUT_S;
	int rc = parse_args(&emu_cfg, argc, argv);
	if (rc) {
		config_free();
		return rc;
	}

	/* Block the stop signals before MHD starts its threads so that only
   * sigwait() below sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	emu_state_init();
	char err[256];
	int port = 0;
	struct MHD_Daemon *d = emu_server_start(emu_cfg.host, emu_cfg.port,
						&port, err, sizeof err);
	if (!d) {
		fprintf(stderr, "smartcar-emulator: %s\n", err);
		emu_state_free();
		config_free();
		return 1;
	}

	const char *h = emu_cfg.host;
	if (strcmp(h, "0.0.0.0") == 0)
		h = "127.0.0.1";
	if (strcmp(h, "::") == 0)
		h = "::1";
	const char *scheme = emu_cfg.tls_cert_pem ? "https" : "http";
	if (strchr(h, ':'))
		printf("%s://[%s]:%d\n", scheme, h, port);
	else
		printf("%s://%s:%d\n", scheme, h, port);
	fflush(stdout);

	int sig = 0;
	while (sigwait(&stop, &sig) != 0) {
	}
	emu_server_stop(d);
	emu_state_free();
	config_free();
	return 0;
}
