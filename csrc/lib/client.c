/* sc_client: configuration, read once at creation, plus the transport's
 * connection pool.  Fields are immutable after creation except the
 * timeouts and counters, which are guarded by client->lock. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "sc_internal.h"

static const char *const default_connect = "https://connect.smartcar.com";
static const char *const default_auth = "https://auth.smartcar.com";
static const char *const default_api = "https://api.smartcar.com";
static const char *const default_management =
	"https://management.smartcar.com";
static const char *const default_vehicle_api =
	"https://vehicle.api.smartcar.com";
static const char *const default_iam = "https://iam.smartcar.com";
static const char *const default_management_v3 =
	"https://management.api.smartcar.com";

const char *sc_version(void)
{
	return SC_VERSION;
}

/* The bytes of sc_client_options that a program built against @version
 * has: up to the end of the last field of that version (the "since"
 * column of client_options.def), so an older, shorter struct is never
 * read or written past its end. */
static size_t options_size(unsigned int version)
{
	size_t size = sizeof(unsigned int), end;

#define SC_OPTION(kind, ctype, name, since, doc)                           \
	end = offsetof(sc_client_options, name) + sizeof(ctype);            \
	if ((since) <= version && end > size)                               \
		size = end;
#include <smartcar/client_options.def>
#undef SC_OPTION
	return size;
}

static int known_version(unsigned int version)
{
	return version >= 1 && version <= SC_CLIENT_OPTIONS_VERSION;
}

int sc_client_options_init(sc_client_options *opts, unsigned int version)
{
	if (!opts || !known_version(version))
		return SC_EINVAL;
	memset(opts, 0, options_size(version));
	opts->version = version;
	return 0;
}

static const char *pick(const char *opt, const char *env, const char *dflt)
{
	const char *e;
	if (opt && *opt)
		return opt;
	e = env ? getenv(env) : NULL;
	if (e && *e)
		return e;
	return dflt;
}

/* The first of opt and the NULL-terminated env names that is set. */
static const char *pick_any(const char *opt, const char *const *envs,
			    const char *dflt)
{
	const char *v = pick(opt, NULL, NULL);
	for (; !v && *envs; envs++)
		v = pick(NULL, *envs, NULL);
	return v ? v : dflt;
}

/* Every variable a client reads (what sc_client_env_name lists): the
 * origins, then the names of the v3 origin (v3_origin_env), then the CA
 * files requests, curl and OpenSSL users already point at
 * (ca_bundle_env), then the application's credentials. */
static const char *const client_env[] = {
	"SMARTCAR_CONNECT_ORIGIN", "SMARTCAR_AUTH_ORIGIN",
	"SMARTCAR_API_ORIGIN", "SMARTCAR_MANAGEMENT_API_ORIGIN",
	"SMARTCAR_IAM_ORIGIN", "SMARTCAR_MANAGEMENT_API_V3_ORIGIN",
	"SMARTCAR_VEHICLE_API_V3_ORIGIN", /* the Python SDK's name */
	"SMARTCAR_API_V3_ORIGIN", "SMARTCAR_VEHICLE_API_ORIGIN", NULL,
	"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", NULL,
	"SMARTCAR_CLIENT_ID", "SMARTCAR_CLIENT_SECRET", "SMARTCAR_REDIRECT_URI",
	NULL
};
#define v3_origin_env (client_env + 6)
#define ca_bundle_env (client_env + 10)

const char *sc_client_env_name(size_t i)
{
	if (i >= 9) /* past the end of the origins' list */
		i++;
	if (i >= 13) /* past the end of the CA bundles' list */
		i++;
	return i < sizeof(client_env) / sizeof(client_env[0]) ?
	       client_env[i] : NULL;
}

/* Copy an origin without trailing slashes. */
static char *origin_dup(const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	return sc__strndup(s, n);
}

/* SMARTCAR_AUTH_ORIGIN is an origin for most SDKs and the full token URL
 * for the Python SDK: accept both. */
static char *token_url(const char *auth)
{
	const char *p = strstr(auth, "://");
	sc_buf b;
	char *o = origin_dup(auth);

	if (!o || !p)
		return o;
	p = strchr(p + 3, '/');
	if (p && p[1] != '\0')
		return o; /* has a path: it is the token URL itself */
	sc__buf_init(&b, 0);
	if (sc__buf_puts(&b, o) < 0 || sc__buf_puts(&b, "/oauth/token") < 0) {
		free(o);
		sc__buf_free(&b);
		return NULL;
	}
	free(o);
	return sc__buf_detach(&b);
}

static int fail(sc_error **err_out, int code, const char *msg)
{
	if (err_out)
		*err_out = sc__error_new(code, msg);
	return code;
}

static int check_origin(const char *url, int allow_insecure,
			sc_error **err_out, const char *what)
{
	char msg[160];

	if (!sc__url_is_http(url)) {
		snprintf(msg, sizeof(msg), "%s must be an http(s) URL", what);
		return fail(err_out, SC_EINVAL, msg);
	}
	if (strncmp(url, "http://", 7) == 0 && !allow_insecure &&
	    !sc__url_is_loopback(url)) {
		snprintf(msg, sizeof(msg),
			 "%s uses plain http to a non-loopback host; set "
			 "allow_insecure_http to permit it", what);
		return fail(err_out, SC_EINVAL, msg);
	}
	return 0;
}

static char *make_user_agent(const char *suffix)
{
	struct utsname u;
	char ua[512];

	if (uname(&u) != 0) {
		strcpy(u.sysname, "unknown");
		strcpy(u.machine, "unknown");
	}
	snprintf(ua, sizeof(ua), "libsmartcar/%s (%s; %s)%s%s", SC_VERSION,
		 u.sysname, u.machine, suffix && *suffix ? " " : "",
		 suffix && *suffix ? suffix : "");
	return sc__strdup(ua);
}

int sc_client_new(sc_client **out, const sc_client_options *opts,
		  sc_error **err_out)
{
	sc_client_options dflt;
	sc_client *c;
	const char *mode, *units, *version, *v3;
	int rc;

	if (err_out)
		*err_out = NULL;
	if (!out)
		return fail(err_out, SC_EINVAL, "out must not be NULL");
	*out = NULL;
	/* Read the caller's struct as its version has it; later fields
	 * stay zero (their defaults). */
	memset(&dflt, 0, sizeof(dflt));
	dflt.version = SC_CLIENT_OPTIONS_VERSION;
	if (opts) {
		if (!known_version(opts->version))
			return fail(err_out, SC_EINVAL,
				    "unknown options version");
		memcpy(&dflt, opts, options_size(opts->version));
	}
	opts = &dflt;

	mode = pick(opts->mode, NULL, "live");
	units = pick(opts->unit_system, NULL, "metric");
	version = pick(opts->api_version, NULL, "2.0");
	if (sc_param_check("mode", mode, err_out) ||
	    sc_param_check("unit_system", units, err_out) ||
	    sc_param_check("api_version", version, err_out) ||
	    (opts->rate_policy &&
	     sc_param_check("rate_policy", opts->rate_policy, err_out)))
		return SC_EINVAL;
	if (opts->connect_timeout_ms < 0 || opts->timeout_ms < 0)
		return fail(err_out, SC_EINVAL, "timeouts must not be negative");
	if (opts->connection_pool_size < 0 || opts->max_cooldown_ms < 0)
		return fail(err_out, SC_EINVAL, "connection_pool_size and "
			    "max_cooldown_ms must not be negative");
	/* a binding's negative number read as a size_t */
	if (opts->max_response_bytes > (size_t)PTRDIFF_MAX)
		return fail(err_out, SC_EINVAL,
			    "max_response_bytes must not be negative");

	c = calloc(1, sizeof(*c));
	if (!c)
		return fail(err_out, SC_ENOMEM, NULL);
	pthread_mutex_init(&c->lock, NULL);
	c->allow_insecure_http = opts->allow_insecure_http != 0;
	c->connect_timeout_ms = opts->connect_timeout_ms
		? opts->connect_timeout_ms : SC_DEFAULT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms
					 : SC_DEFAULT_TIMEOUT_MS;
	c->max_response_bytes = opts->max_response_bytes
		? opts->max_response_bytes : SC_DEFAULT_MAX_RESPONSE;
	c->insecure_tls = opts->insecure_skip_tls_verify_dangerous != 0;
	if (opts->profile && strcmp(opts->profile, "native") &&
	    strcmp(opts->profile, "official")) {
		sc_client_free(c);
		return fail(err_out, SC_EINVAL,
			    "profile must be native or official");
	}
	c->official = opts->profile && !strcmp(opts->profile, "official");
	c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts
						 : c->official ? 1 : 3;
	c->retry_base_ms = opts->retry_base_ms > 0 ? opts->retry_base_ms : 200;
	c->retry_max_ms = opts->retry_max_ms > 0 ? opts->retry_max_ms : 8000;
	c->retry_deadline_ms = opts->retry_deadline_ms > 0
		? opts->retry_deadline_ms : 30000;
	c->max_cooldown_s = (opts->max_cooldown_ms ? opts->max_cooldown_ms
						   : 3600000L) / 1000.0;
	c->async_start_budget = opts->async_start_budget < 0 ? 0
		: opts->async_start_budget ? (size_t)opts->async_start_budget
					   : SC_DEFAULT_ASYNC_START_BUDGET;
	c->rate_fail_fast = opts->rate_policy &&
			    !strcmp(opts->rate_policy, "fail");
	c->rate_off = opts->rate_policy ? !strcmp(opts->rate_policy, "off")
					: c->official;
	if (opts->rate_limit_capacity < 0 || opts->rate_limit_per_minute < 0) {
		sc_client_free(c);
		return fail(err_out, SC_EINVAL,
			    "rate limits must not be negative");
	}
	if (sc__rate_new(&c->rate, opts->rate_limit_capacity,
			 opts->rate_limit_per_minute) < 0)
		goto oom;
	{
		const char *ca = pick_any(opts->ca_bundle, ca_bundle_env, NULL);
		if (ca && !(c->ca_bundle = sc__strdup(ca)))
			goto oom;
	}
	if (
	    (opts->proxy && !(c->proxy = sc__strdup(opts->proxy))) ||
	    (opts->flags && !(c->flags = sc__strdup(opts->flags))))
		goto oom;

	rc = SC_ENOMEM;
	{
		const char *id = pick(opts->client_id, "SMARTCAR_CLIENT_ID",
				      NULL);
		const char *secret = pick(opts->client_secret,
					  "SMARTCAR_CLIENT_SECRET", NULL);
		const char *redirect = pick(opts->redirect_uri,
					    "SMARTCAR_REDIRECT_URI", NULL);
		if ((id && !(c->client_id = sc__strdup(id))) ||
		    (secret && !(c->client_secret = sc__strdup(secret))) ||
		    (redirect && !(c->redirect_uri = sc__strdup(redirect))))
			goto oom;
	}
	c->mode = sc__strdup(mode);
	c->unit_system = sc__strdup(units);
	c->api_version = sc__strdup(version);
	c->connect_origin = origin_dup(pick(opts->connect_origin,
		"SMARTCAR_CONNECT_ORIGIN", default_connect));
	c->auth_url = token_url(pick(opts->auth_origin,
		"SMARTCAR_AUTH_ORIGIN", default_auth));
	c->api_origin = origin_dup(pick(opts->api_origin,
		"SMARTCAR_API_ORIGIN", default_api));
	c->management_origin = origin_dup(pick(opts->management_origin,
		"SMARTCAR_MANAGEMENT_API_ORIGIN", default_management));
	/* with a v3 origin set, the IAM and v3 management hosts default to
	 * it: no v3 call reaches a production host by a missing variable */
	v3 = pick_any(opts->vehicle_api_origin, v3_origin_env, NULL);
	c->vehicle_api_origin = origin_dup(v3 ? v3 : default_vehicle_api);
	c->iam_origin = origin_dup(pick(opts->iam_origin,
		"SMARTCAR_IAM_ORIGIN", v3 ? v3 : default_iam));
	c->management_v3_origin = origin_dup(pick(NULL,
		"SMARTCAR_MANAGEMENT_API_V3_ORIGIN",
		v3 ? v3 : default_management_v3));
	c->user_agent = make_user_agent(opts->user_agent_suffix);
	if (!c->mode || !c->unit_system || !c->api_version ||
	    !c->connect_origin || !c->auth_url || !c->api_origin ||
	    !c->management_origin || !c->vehicle_api_origin ||
	    !c->iam_origin || !c->management_v3_origin || !c->user_agent)
		goto oom;

	if ((rc = check_origin(c->connect_origin, c->allow_insecure_http,
			       err_out, "connect origin")) < 0 ||
	    (rc = check_origin(c->auth_url, c->allow_insecure_http, err_out,
			       "auth origin")) < 0 ||
	    (rc = check_origin(c->api_origin, c->allow_insecure_http, err_out,
			       "API origin")) < 0 ||
	    (rc = check_origin(c->management_origin, c->allow_insecure_http,
			       err_out, "management origin")) < 0 ||
	    (rc = check_origin(c->vehicle_api_origin, c->allow_insecure_http,
			       err_out, "vehicle API origin")) < 0 ||
	    (rc = check_origin(c->management_v3_origin,
			       c->allow_insecure_http, err_out,
			       "management v3 origin")) < 0 ||
	    (rc = check_origin(c->iam_origin, c->allow_insecure_http,
			       err_out, "IAM origin")) < 0) {
		sc_client_free(c);
		return rc;
	}
	if (sc__curl_pool_new(&c->pool,
			      (size_t)opts->connection_pool_size) < 0)
		goto oom;
	*out = c;
	return 0;
oom:
	sc_client_free(c);
	return fail(err_out, SC_ENOMEM, NULL);
}

void sc_client_free(sc_client *c)
{
	if (!c)
		return;
	sc__curl_pool_free(c->pool);
	sc__rate_free(c->rate);
	sc__store_release(c->shared_cooldowns);
	free(c->ca_bundle);
	free(c->proxy);
	free(c->flags);
	free(c->client_id);
	sc__wipe_free(c->client_secret);
	free(c->redirect_uri);
	free(c->mode);
	free(c->connect_origin);
	free(c->auth_url);
	free(c->api_origin);
	free(c->management_origin);
	free(c->vehicle_api_origin);
	free(c->iam_origin);
	free(c->management_v3_origin);
	sc__wipe_free(c->app_token);
	free(c->api_version);
	free(c->unit_system);
	free(c->user_agent);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

const char *sc_client_get(const sc_client *c, const char *key)
{
	if (!c || !key)
		return NULL;
	if (!strcmp(key, "client_id"))
		return c->client_id;
	if (!strcmp(key, "redirect_uri"))
		return c->redirect_uri;
	if (!strcmp(key, "mode"))
		return c->mode;
	if (!strcmp(key, "connect_origin"))
		return c->connect_origin;
	if (!strcmp(key, "auth_url"))
		return c->auth_url;
	if (!strcmp(key, "api_origin"))
		return c->api_origin;
	if (!strcmp(key, "management_origin"))
		return c->management_origin;
	if (!strcmp(key, "vehicle_api_origin"))
		return c->vehicle_api_origin;
	if (!strcmp(key, "iam_origin"))
		return c->iam_origin;
	if (!strcmp(key, "management_v3_origin"))
		return c->management_v3_origin;
	if (!strcmp(key, "api_version"))
		return c->api_version;
	if (!strcmp(key, "unit_system"))
		return c->unit_system;
	if (!strcmp(key, "user_agent"))
		return c->user_agent;
	if (!strcmp(key, "flags"))
		return c->flags;
	if (!strcmp(key, "ca_bundle"))
		return c->ca_bundle;
	if (!strcmp(key, "client_secret_set")) /* never the secret itself */
		return c->client_secret ? "1" : NULL;
	return NULL;
}

int sc_client_set_timeouts(sc_client *c, long connect_ms, long total_ms)
{
	if (!c || connect_ms < 0 || total_ms < 0)
		return SC_EINVAL;
	pthread_mutex_lock(&c->lock);
	if (connect_ms)
		c->connect_timeout_ms = connect_ms;
	if (total_ms)
		c->timeout_ms = total_ms;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int sc_client_set_debug(sc_client *c, sc_debug_cb cb, void *payload)
{
	if (!c)
		return SC_EINVAL;
	pthread_mutex_lock(&c->lock);
	c->debug = cb;
	c->debug_payload = payload;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

long sc_client_connections_opened(const sc_client *c)
{
	long n;
	if (!c)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&c->lock);
	n = c->connections_opened;
	pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
	return n;
}

/* ---- options given as text (sc_client_new_params) ------------------- */

/* Every field of sc_client_options by name, kind and place, from
 * client_options.def. */
enum opt_kind { K_STRING, K_LONG, K_INT, K_SIZE, K_BOOL, K_DOUBLE };

static const struct opt_field {
	const char *name;
	enum opt_kind kind;
	size_t offset;
} opt_fields[] = {
#define SC_OPTION(kind, ctype, name, since, doc)                           \
	{ #name, K_##kind, offsetof(sc_client_options, name) },
#include <smartcar/client_options.def>
#undef SC_OPTION
};

static const struct opt_field *opt_field(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(opt_fields) / sizeof(opt_fields[0]);
	     i++)
		if (strcmp(name, opt_fields[i].name) == 0)
			return &opt_fields[i];
	return NULL;
}

const char *sc_client_option_name(size_t i)
{
	return i < sizeof(opt_fields) / sizeof(opt_fields[0])
		       ? opt_fields[i].name
		       : NULL;
}

const char *sc_client_option_type(const char *name)
{
	static const char *const names[] = { "string",	"integer",
					     "integer", "integer",
					     "boolean", "number" };
	const struct opt_field *f = opt_field(name);

	return f ? names[f->kind] : NULL;
}

/* Store the text @p v into field @p f of @p o: 0, or -1 when it is not
 * a value of the field's kind. */
static int set_field(sc_client_options *o, const struct opt_field *f,
		     const char *v)
{
	char *at = (char *)o + f->offset, *end = NULL;
	double d;
	long l;

	switch (f->kind) {
	case K_STRING:
		*(const char **)(void *)at = v;
		return 0;
	case K_BOOL:
		if (strcmp(v, "true") && strcmp(v, "1") && strcmp(v, "false") &&
		    strcmp(v, "0"))
			return -1;
		*(int *)(void *)at = v[0] == 't' || v[0] == '1';
		return 0;
	case K_DOUBLE:
		d = strtod(v, &end);
		if (end == v || *end || !(d >= 0 && d <= 1e300))
			return -1;
		*(double *)(void *)at = d;
		return 0;
	default:
		if (*v < '0' || *v > '9')
			return -1;
		l = strtol(v, &end, 10);
		if (*end || l < 0 || l == LONG_MAX ||
		    (f->kind == K_INT && l > INT_MAX))
			return -1;
		if (f->kind == K_LONG)
			*(long *)(void *)at = l;
		else if (f->kind == K_INT)
			*(int *)(void *)at = (int)l;
		else
			*(size_t *)(void *)at = (size_t)l;
		return 0;
	}
}

int sc_client_new_params(sc_client **out, const sc_params *opts,
			 sc_error **err_out)
{
	sc_client_options o;
	const char *key, *value;
	char msg[160];
	size_t i;

	if (err_out)
		*err_out = NULL;
	sc_client_options_init(&o, SC_CLIENT_OPTIONS_VERSION);
	for (i = 0; sc_params_at(opts, i, &key, &value) == 0; i++) {
		const struct opt_field *f = opt_field(key);

		if (!f) {
			snprintf(msg, sizeof(msg), "unknown client option %.60s",
				 key);
			return fail(err_out, SC_EINVAL, msg);
		}
		if (set_field(&o, f, value) < 0) {
			snprintf(msg, sizeof(msg), "%s: %s expected", key,
				 f->kind == K_BOOL ? "true or false"
				 : f->kind == K_DOUBLE
					 ? "non-negative number"
					 : "non-negative integer");
			return fail(err_out, SC_EINVAL, msg);
		}
	}
	return sc_client_new(out, &o, err_out);
}
