/* Fault injection, the log of received requests, and the rate limits.
 *
 * Faults and the request log have their own small mutexes so that the
 * Vehicle API's state lock is not held while a request is logged; the
 * limits live under the state lock (the API checks them while it holds
 * it). Lock order: state lock, then fault_mu / log_mu. */
#include "emu.h"

#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- faults */

enum {
	F_LATENCY,
	F_STATUS,
	F_RATE_LIMIT,
	F_DROP,
	F_MALFORMED,
	F_OVERSIZED,
	F_ASLEEP
};

static const char *const fault_names[] = {
	"latency",   "status",	  "rate_limit", "drop",
	"malformed", "oversized", "asleep",
};

typedef struct fault {
	char id[37];
	char *method, *path; /* NULL: any */
	long remaining;
	int type;
	long n; /* the type's integer setting (int_settings) */
	unsigned status;
	const emu_error_def *err; /* status faults: the catalogue row */
	int resolution_set;
	const char *resolution, *description; /* in spec */
	cJSON *spec; /* as given, for listings */
	struct fault *next;
} fault;

/* The integer setting of a fault type: its key in "fault", bounds and
 * default, and the error when it is out of them. */
#define NON_NEGATIVE "fault.retry_after must be a non-negative integer."
static const struct int_setting {
	int type;
	const char *key, *field, *must;
	double lo, hi, def;
} int_settings[] = {
	{ F_LATENCY, "ms", "fault.ms",
	  "fault.ms must be an integer between 0 and 600000.", 0, 600000,
	  500 },
	{ F_STATUS, "retry_after", "fault.retry_after", NON_NEGATIVE, 0, 1e9,
	  0 },
	{ F_RATE_LIMIT, "retry_after", "fault.retry_after", NON_NEGATIVE, 0,
	  1e9, 1 },
	{ F_OVERSIZED, "bytes", "fault.bytes",
	  "fault.bytes must be an integer between 16 and 1073741824.", 16,
	  1073741824.0, 10485760.0 },
};

static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;
static fault *faults;
static int n_faults; /* read without the mutex as a fast "none" check */

static void fault_free(fault *f)
{
	free(f->method);
	free(f->path);
	cJSON_Delete(f->spec);
	free(f);
}

void emu_faults_clear(void)
{
	pthread_mutex_lock(&fault_mu);
	EMU_LIST_FREE(faults, fault_free);
	__atomic_store_n(&n_faults, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&fault_mu);
}

/* Glob over '/' separated segments: a "**" segment matches any number of
 * segments (none included); any other segment is an fnmatch pattern for
 * exactly one segment, so "*" is one whole segment. */
static int glob_match(const char *pat, const char *s)
{
	while (*pat == '/')
		pat++;
	while (*s == '/')
		s++;
	if (!*pat)
		return !*s;
	const char *pe = strchr(pat, '/');
	size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
	if (pl == 2 && pat[0] == '*' && pat[1] == '*') {
		const char *rest = pat + pl;
		for (;;) {
			if (glob_match(rest, s))
				return 1;
			const char *se = strchr(s, '/');
			if (!*s)
				return 0;
			s = se ? se + 1 : s + strlen(s);
		}
	}
	if (!*s)
		return 0;
	const char *se = strchr(s, '/');
	size_t sl = se ? (size_t)(se - s) : strlen(s);
	char p1[256], s1[256];
	if (pl >= sizeof p1 || sl >= sizeof s1)
		return 0;
	memcpy(p1, pat, pl);
	p1[pl] = '\0';
	memcpy(s1, s, sl);
	s1[sl] = '\0';
	if (fnmatch(p1, s1, 0) != 0)
		return 0;
	return glob_match(pat + pl, s + sl);
}

static int fault_matches(const fault *f, emu_req *r)
{
	if (f->method && strcasecmp(f->method, r->method) != 0)
		return 0;
	return !f->path || glob_match(f->path, r->path);
}

static int spec_err(const char **field, char *msg, size_t msglen,
		    const char *name, const char *text)
{
	*field = name;
	snprintf(msg, msglen, "%s", text);
	return -1;
}

static int opt_int(const cJSON *o, const char *key, double lo, double hi,
		   double def, double *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!it || cJSON_IsNull(it)) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(it) || it->valuedouble < lo ||
	    it->valuedouble > hi || it->valuedouble != floor(it->valuedouble))
		return -1;
	*out = it->valuedouble;
	return 0;
}

/* The string o[key] (borrowed), NULL when absent or null; *bad = 1 when
 * it is something else. */
static const char *opt_ref(const cJSON *o, const char *key, int *bad)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!it || cJSON_IsNull(it))
		return NULL;
	if (!cJSON_IsString(it)) {
		*bad = 1;
		return NULL;
	}
	return it->valuestring;
}

static char *opt_str(const cJSON *o, const char *key, int *bad)
{
	const char *s = opt_ref(o, key, bad);
	return s ? emu_strdup(s) : NULL;
}

int emu_fault_add(const cJSON *spec, cJSON **out, const char **field, char *msg,
		  size_t msglen)
{
	if (!cJSON_IsObject(spec))
		return spec_err(field, msg, msglen, "body",
				"Body must be a JSON object.");
	const cJSON *match = cJSON_GetObjectItemCaseSensitive(spec, "match");
	const cJSON *fs = cJSON_GetObjectItemCaseSensitive(spec, "fault");
	if (match && !cJSON_IsNull(match) && !cJSON_IsObject(match))
		return spec_err(field, msg, msglen, "match",
				"match must be an object.");
	if (!cJSON_IsObject(fs))
		return spec_err(field, msg, msglen, "fault",
				"fault must be an object.");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(fs, "type");
	int type = -1;
	for (int i = 0; cJSON_IsString(t) &&
			i < (int)(sizeof fault_names / sizeof *fault_names);
	     i++)
		if (strcmp(t->valuestring, fault_names[i]) == 0)
			type = i;
	if (type < 0)
		return spec_err(field, msg, msglen, "fault.type",
				"fault.type must be one of latency, status, "
				"rate_limit, "
				"drop, malformed, oversized, asleep.");
	double count;
	if (opt_int(spec, "count", 1, 1e9, 1, &count) != 0)
		return spec_err(field, msg, msglen, "count",
				"count must be a positive integer.");

	fault *f = emu_xmalloc(sizeof *f);
	memset(f, 0, sizeof *f);
	f->spec = cJSON_Duplicate(spec, 1);
	fs = cJSON_GetObjectItemCaseSensitive(f->spec, "fault");
	f->type = type;
	f->remaining = (long)count;
	int bad = 0;
	if (cJSON_IsObject(match)) {
		f->method = opt_str(match, "method", &bad);
		f->path = opt_str(match, "path", &bad);
		if (bad) {
			fault_free(f);
			return spec_err(
				field, msg, msglen, "match",
				"match.method and match.path must be strings.");
		}
		if (f->path) {
			size_t n = strlen(f->path);
			while (n > 1 && f->path[n - 1] == '/')
				f->path[--n] = '\0';
		}
	}
	double x = 0;
	const char *ef = NULL, *em = NULL;
	if (type == F_STATUS) {
		const char *et = opt_ref(fs, "error_type", &bad);
		const char *ec = opt_ref(fs, "error_code", &bad);
		f->description = opt_ref(fs, "description", &bad);
		f->resolution_set =
			cJSON_GetObjectItemCaseSensitive(fs, "resolution") != NULL;
		f->resolution = opt_ref(fs, "resolution", &bad);
		f->err = emu_error_find(et ? et : "SERVER",
					et ? ec : "INTERNAL");
		if (bad) {
			ef = "fault";
			em = "error_type, error_code, description and "
			     "resolution must be "
			     "strings.";
		} else if (!f->err) {
			ef = "fault.error_code";
			em = "error_type/error_code is not in the error "
			     "catalogue.";
		} else if (opt_int(fs, "status", 100, 599, f->err->status,
				   &x) != 0) {
			ef = "fault.status";
			em = "fault.status must be an HTTP status (100..599).";
		}
		f->status = (unsigned)x;
	}
	for (size_t i = 0; !ef && i < sizeof int_settings / sizeof *int_settings;
	     i++) {
		const struct int_setting *s = &int_settings[i];
		if (s->type != type)
			continue;
		if (opt_int(fs, s->key, s->lo, s->hi, s->def, &x) != 0) {
			ef = s->field;
			em = s->must;
		}
		f->n = (long)x;
	}
	if (ef) {
		fault_free(f);
		return spec_err(field, msg, msglen, ef, em);
	}
	emu_uuid_random(f->id);
	pthread_mutex_lock(&fault_mu);
	fault **pp = &faults;
	while (*pp)
		pp = &(*pp)->next;
	*pp = f;
	__atomic_add_fetch(&n_faults, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&fault_mu);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", f->id);
	cJSON_AddNumberToObject(o, "remaining", (double)count);
	*out = o;
	return 0;
}

cJSON *emu_faults_json(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(o, "faults");
	pthread_mutex_lock(&fault_mu);
	for (fault *f = faults; f; f = f->next) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", f->id);
		cJSON *m = cJSON_AddObjectToObject(e, "match");
		if (f->method)
			cJSON_AddStringToObject(m, "method", f->method);
		if (f->path)
			cJSON_AddStringToObject(m, "path", f->path);
		cJSON_AddNumberToObject(e, "remaining", (double)f->remaining);
		const cJSON *fs =
			cJSON_GetObjectItemCaseSensitive(f->spec, "fault");
		cJSON_AddItemToObject(e, "fault", cJSON_Duplicate(fs, 1));
		cJSON_AddItemToArray(a, e);
	}
	pthread_mutex_unlock(&fault_mu);
	return o;
}

/* Oversized bodies are generated as they are sent: {"padding":"xxx..."} */
static ssize_t pad_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	static const char head[] = "{\"padding\":\"";
	uint64_t total = *(uint64_t *)cls;
	if (pos >= total)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = 0;
	while (n < max && pos + n < total) {
		uint64_t p = pos + n;
		char c;
		if (p < sizeof head - 1)
			c = head[p];
		else if (p == total - 2)
			c = '"';
		else if (p == total - 1)
			c = '}';
		else
			c = 'x';
		buf[n++] = c;
	}
	return (ssize_t)n;
}

static enum MHD_Result respond_oversized(emu_req *r, size_t bytes)
{
	uint64_t *total = emu_xmalloc(sizeof *total);
	*total = bytes;
	struct MHD_Response *resp = MHD_create_response_from_callback(
		bytes, 64 * 1024, pad_reader, total, free);
	if (!resp) {
		free(total);
		return MHD_NO;
	}
	return emu_queue(r, MHD_HTTP_OK, resp, "application/json", NULL, 0);
}

int emu_faults_intercept(emu_req *r, enum MHD_Result *ret)
{
	if (__atomic_load_n(&n_faults, __ATOMIC_SEQ_CST) == 0)
		return 0;
	fault act;
	int found = 0;
	char resolution[64] = "", description[512] = "";
	pthread_mutex_lock(&fault_mu);
	for (fault **pp = &faults; *pp; pp = &(*pp)->next) {
		fault *f = *pp;
		if (!fault_matches(f, r))
			continue;
		act = *f;
		if (f->resolution)
			snprintf(resolution, sizeof resolution, "%s",
				 f->resolution);
		if (f->description)
			snprintf(description, sizeof description, "%s",
				 f->description);
		found = 1;
		if (--f->remaining <= 0) {
			*pp = f->next;
			fault_free(f);
			__atomic_sub_fetch(&n_faults, 1, __ATOMIC_SEQ_CST);
		}
		break;
	}
	pthread_mutex_unlock(&fault_mu);
	if (!found)
		return 0;

	emu_error e;
	memset(&e, 0, sizeof e);
	switch (act.type) {
	case F_LATENCY: /* server.c suspends the connection for this long */
		r->delay_ms = act.n;
		return 0;
	case F_DROP:
		r->post_fault = EMU_POST_DROP;
		return 0;
	case F_MALFORMED:
		r->post_fault = EMU_POST_MALFORMED;
		return 0;
	case F_OVERSIZED:
		*ret = respond_oversized(r, (size_t)act.n);
		return 1;
	case F_STATUS:
		e.status = act.status;
		e.type = act.err->type;
		e.code = act.err->code;
		e.description = description[0] ? description : NULL;
		e.resolution_set = act.resolution_set;
		e.resolution = resolution[0] ? resolution : NULL;
		e.retry_after = (int)act.n;
		break;
	case F_RATE_LIMIT:
		e.type = "RATE_LIMIT";
		e.code = "VEHICLE";
		e.retry_after = act.n > 0 ? (int)act.n : 0;
		break;
	case F_ASLEEP:
	default:
		e.type = "VEHICLE_STATE";
		e.code = "ASLEEP";
		break;
	}
	*ret = emu_respond_err(r, &e); /* retry_after 0: no Retry-After */
	return 1;
}

/* drop: the declared length is the whole body, only the first half is
 * sent, then the reader reports an error and MHD closes the connection. */
typedef struct cut_body {
	size_t sent;
	char data[];
} cut_body;

static ssize_t cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	cut_body *c = cls;
	if (pos >= c->sent)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = c->sent - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, c->data + pos, n);
	return (ssize_t)n;
}

enum MHD_Result emu_fault_respond(emu_req *r, unsigned status,
				  const char *ctype, const char *body,
				  size_t len, const emu_hdr *extra,
				  size_t n_extra)
{
	struct MHD_Response *resp;
	if (r->post_fault == EMU_POST_DROP) {
		size_t declared = len > 1 ? len : 64;
		cut_body *c = emu_xmalloc(sizeof *c + len / 2 + 1);
		c->sent = len / 2;
		memcpy(c->data, body, c->sent);
		resp = MHD_create_response_from_callback(declared, 4096,
							 cut_reader, c, free);
		if (!resp)
			free(c);
	} else { /* malformed: 200 and the first half of the real body */
		static const char open[] = "{";
		size_t n = len / 2;
		status = MHD_HTTP_OK;
		ctype = "application/json";
		if (n == 0) {
			body = open;
			n = 1;
		}
		resp = MHD_create_response_from_buffer(n, (void *)body,
						       MHD_RESPMEM_MUST_COPY);
	}
	return emu_queue(r, status, resp, ctype, extra, n_extra);
}

/* ----------------------------------------------------------- request log */

#define LOG_SIZE 1000
#define LOG_BODY_MAX (64u * 1024u)

typedef struct logged {
	char method[16];
	emu_buf path, query, headers, body; /* query/headers: "k\0v\0..." */
	int body_truncated, has_body;
	unsigned status;
	int64_t time_ms;
} logged;

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static logged ring[LOG_SIZE];
static size_t ring_next, ring_count;
static int log_enabled = 1;

static void buf_reset(emu_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static void put_pair(emu_buf *b, const char *k, const char *v, int lower)
{
	size_t at = b->len;
	emu_buf_put(b, k, strlen(k) + 1);
	if (lower)
		for (char *p = b->p + at; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
	emu_buf_put(b, v ? v : "", strlen(v ? v : "") + 1);
}

static enum MHD_Result header_it(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	put_pair(cls, key, value, 1);
	return MHD_YES;
}

void emu_requests_record(emu_req *r, unsigned status)
{
	if (!__atomic_load_n(&log_enabled, __ATOMIC_RELAXED))
		return;
	if (!r->path || strncmp(r->path, "/_emulator", 10) == 0)
		return;
	int64_t now = emu_now_ms();
	pthread_mutex_lock(&log_mu);
	logged *l = &ring[ring_next];
	ring_next = (ring_next + 1) % LOG_SIZE;
	if (ring_count < LOG_SIZE)
		ring_count++;
	snprintf(l->method, sizeof l->method, "%s", r->method ? r->method : "");
	buf_reset(&l->path);
	emu_buf_puts(&l->path, r->path);
	buf_reset(&l->query);
	for (size_t i = 0; i < r->query.n; i++)
		put_pair(&l->query, r->query.items[i].key,
			 r->query.items[i].value, 0);
	buf_reset(&l->headers);
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, header_it,
				  &l->headers);
	buf_reset(&l->body);
	l->has_body = r->body != NULL;
	l->body_truncated = r->body_len > LOG_BODY_MAX;
	if (r->body)
		emu_buf_put(&l->body, r->body,
			    l->body_truncated ? LOG_BODY_MAX : r->body_len);
	l->status = status;
	l->time_ms = now;
	pthread_mutex_unlock(&log_mu);
}

static cJSON *pairs_json(const emu_buf *b)
{
	cJSON *o = cJSON_CreateObject();
	const char *p = b->p, *end = b->p + b->len;
	while (p && p < end) {
		const char *k = p, *v = k + strlen(k) + 1;
		p = v + strlen(v) + 1;
		cJSON *old = cJSON_GetObjectItemCaseSensitive(o, k);
		if (!old) {
			cJSON_AddStringToObject(o, k, v);
		} else if (cJSON_IsArray(old)) {
			cJSON_AddItemToArray(old, cJSON_CreateString(v));
		} else { /* a repeated name: the values become a list */
			cJSON *a = cJSON_CreateArray();
			cJSON_AddItemToArray(
				a, cJSON_CreateString(old->valuestring));
			cJSON_AddItemToArray(a, cJSON_CreateString(v));
			cJSON_ReplaceItemInObjectCaseSensitive(o, k, a);
		}
	}
	return o;
}

cJSON *emu_requests_json(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(o, "requests");
	pthread_mutex_lock(&log_mu);
	size_t first = (ring_next + LOG_SIZE - ring_count) % LOG_SIZE;
	for (size_t i = 0; i < ring_count; i++) {
		const logged *l = &ring[(first + i) % LOG_SIZE];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "method", l->method);
		cJSON_AddStringToObject(e, "path", l->path.p ? l->path.p : "");
		cJSON_AddItemToObject(e, "query", pairs_json(&l->query));
		cJSON_AddItemToObject(e, "headers", pairs_json(&l->headers));
		if (l->has_body)
			cJSON_AddStringToObject(e, "body",
						l->body.p ? l->body.p : "");
		else
			cJSON_AddNullToObject(e, "body");
		if (l->body_truncated)
			cJSON_AddTrueToObject(e, "body_truncated");
		if (l->status) /* 0: the client left before the answer */
			cJSON_AddNumberToObject(e, "status", l->status);
		else
			cJSON_AddNullToObject(e, "status");
		cJSON_AddNumberToObject(e, "time", (double)l->time_ms / 1000.0);
		cJSON_AddItemToArray(a, e);
	}
	cJSON_AddBoolToObject(o, "enabled",
			      __atomic_load_n(&log_enabled, __ATOMIC_RELAXED));
	pthread_mutex_unlock(&log_mu);
	return o;
}

void emu_requests_clear(void)
{
	pthread_mutex_lock(&log_mu);
	ring_next = ring_count = 0;
	pthread_mutex_unlock(&log_mu);
}

void emu_requests_enable(int on)
{
	__atomic_store_n(&log_enabled, on ? 1 : 0, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- limits */

static struct {
	int app_on;
	double capacity, per_min, tokens;
	int64_t refilled_ms;
	int vehicle_on;
	double min_interval_s;
} lim;

static void limits_from_config(void)
{
	memset(&lim, 0, sizeof lim);
	if (emu_cfg.app_rate_capacity >= 1 && emu_cfg.app_rate_per_min > 0) {
		lim.app_on = 1;
		lim.capacity = lim.tokens = emu_cfg.app_rate_capacity;
		lim.per_min = emu_cfg.app_rate_per_min;
		lim.refilled_ms = emu_now_ms();
	}
	if (emu_cfg.vehicle_min_interval_s > 0) {
		lim.vehicle_on = 1;
		lim.min_interval_s = emu_cfg.vehicle_min_interval_s;
	}
}

static int num_in(const cJSON *o, const char *key, double lo, double hi,
		  double *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) ||
	    it->valuedouble < lo || it->valuedouble > hi)
		return -1;
	*out = it->valuedouble;
	return 0;
}

int emu_limits_set(const cJSON *spec, const char **field, char *msg,
		   size_t msglen)
{
	if (!cJSON_IsObject(spec))
		return spec_err(field, msg, msglen, "body",
				"Body must be a JSON object.");
	const cJSON *it;
	cJSON_ArrayForEach(it, spec)
	{
		if (strcmp(it->string, "app") != 0 &&
		    strcmp(it->string, "vehicle") != 0)
			return spec_err(field, msg, msglen, it->string,
					"Unknown key; limits are \"app\" and "
					"\"vehicle\".");
	}
	const cJSON *app = cJSON_GetObjectItemCaseSensitive(spec, "app");
	const cJSON *veh = cJSON_GetObjectItemCaseSensitive(spec, "vehicle");
	double cap = 0, per = 0, iv = 0;
	if (app && !cJSON_IsNull(app)) {
		if (!cJSON_IsObject(app) ||
		    num_in(app, "capacity", 1, 1e9, &cap) != 0)
			return spec_err(field, msg, msglen, "app.capacity",
					"app.capacity must be a number >= 1.");
		if (num_in(app, "refill_per_minute", 1e-6, 1e9, &per) != 0)
			return spec_err(
				field, msg, msglen, "app.refill_per_minute",
				"app.refill_per_minute must be a number > 0.");
	}
	if (veh && !cJSON_IsNull(veh) &&
	    (!cJSON_IsObject(veh) ||
	     num_in(veh, "min_interval_s", 0, 1e9, &iv) != 0))
		return spec_err(
			field, msg, msglen, "vehicle.min_interval_s",
			"vehicle.min_interval_s must be a number >= 0.");
	if (app) {
		lim.app_on = cap >= 1;
		lim.capacity = lim.tokens = cap;
		lim.per_min = per;
		lim.refilled_ms = emu_now_ms();
	}
	if (veh) {
		lim.vehicle_on = iv > 0;
		lim.min_interval_s = iv;
		for (emu_user *u = emu_users(); u; u = u->next)
			for (int i = 0; i < u->n_vehicles; i++)
				u->vehicles[i].last_request_ms = 0;
	}
	return 0;
}

cJSON *emu_limits_json(void)
{
	cJSON *o = cJSON_CreateObject();
	if (lim.app_on) {
		cJSON *a = cJSON_AddObjectToObject(o, "app");
		cJSON_AddNumberToObject(a, "capacity", lim.capacity);
		cJSON_AddNumberToObject(a, "refill_per_minute", lim.per_min);
		double t = lim.tokens;
		int64_t now = emu_now_ms();
		if (now > lim.refilled_ms)
			t += (double)(now - lim.refilled_ms) / 60000.0 *
			     lim.per_min;
		cJSON_AddNumberToObject(a, "tokens",
					floor(t < lim.capacity ? t
							       : lim.capacity));
	} else {
		cJSON_AddNullToObject(o, "app");
	}
	if (lim.vehicle_on) {
		cJSON *v = cJSON_AddObjectToObject(o, "vehicle");
		cJSON_AddNumberToObject(v, "min_interval_s",
					lim.min_interval_s);
	} else {
		cJSON_AddNullToObject(o, "vehicle");
	}
	return o;
}

static int ceil_seconds(double s)
{
	double c = ceil(s - 1e-9);
	return c < 1 ? 1 : c > 1e9 ? 1000000000 : (int)c;
}

int emu_limit_app(int64_t now, int *retry_after)
{
	if (!lim.app_on)
		return 0;
	if (now > lim.refilled_ms) {
		lim.tokens +=
			(double)(now - lim.refilled_ms) / 60000.0 * lim.per_min;
		if (lim.tokens > lim.capacity)
			lim.tokens = lim.capacity;
		lim.refilled_ms = now;
	}
	if (lim.tokens >= 1.0) {
		lim.tokens -= 1.0;
		return 0;
	}
	*retry_after = ceil_seconds((1.0 - lim.tokens) / lim.per_min * 60.0);
	return 1;
}

int emu_limit_vehicle(emu_vehicle *v, int64_t now, int *retry_after)
{
	if (!lim.vehicle_on)
		return 0;
	int64_t gap = (int64_t)(lim.min_interval_s * 1000.0);
	if (v->last_request_ms && now >= v->last_request_ms &&
	    now - v->last_request_ms < gap) {
		*retry_after = ceil_seconds(
			(double)(gap - (now - v->last_request_ms)) / 1000.0);
		return 1;
	}
	v->last_request_ms = now;
	return 0;
}

/* ------------------------------------------------------------- lifecycle */

void emu_faults_init(void)
{
	limits_from_config();
	emu_requests_enable(1);
}

void emu_faults_reset(void)
{
	emu_faults_clear();
	emu_requests_clear();
	emu_requests_enable(1);
	limits_from_config();
}

void emu_faults_free(void)
{
	emu_faults_clear();
	pthread_mutex_lock(&log_mu);
	for (size_t i = 0; i < LOG_SIZE; i++) {
		emu_buf_free(&ring[i].path);
		emu_buf_free(&ring[i].query);
		emu_buf_free(&ring[i].headers);
		emu_buf_free(&ring[i].body);
	}
	ring_next = ring_count = 0;
	pthread_mutex_unlock(&log_mu);
}
