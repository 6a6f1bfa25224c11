/* API v3 signals as data: their times (epoch milliseconds or ISO-8601
 * text, as REST answers and webhook deliveries send them) become one
 * type, epoch milliseconds, and a list of signals becomes flat rows
 * (code, name, group, value, unit, status, ...) for tables. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"
#include "smartcar/signals.h"

/* Beyond year 9999 a time is not a time. */
#define MAX_MS 253402300799999LL
/* Below this a number is seconds: 1e11 s is the year 5138, 1e11 ms is
 * 1973, so either reading of a real time stays on its side. */
#define SECONDS_BELOW 1e11

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n decimal digits at *p into *out; advances *p. */
static int digits(const char **p, const char *end, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (*p >= end || **p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int from_number(int64_t *out, double v)
{
	double ms;

	if (!isfinite(v))
		return SC_EINVAL;
	ms = fabs(v) < SECONDS_BELOW ? v * 1000.0 : v;
	ms = floor(ms + 0.5);
	if (ms > (double)MAX_MS || ms < -(double)MAX_MS)
		return SC_EINVAL;
	*out = (int64_t)ms;
	return 0;
}

/* "1758668712404", "1696156800", "-5", "1696156800.25" */
static int plain_number(int64_t *out, const char *s, const char *end)
{
	const char *p = s;
	double v = 0, scale = 1;
	int sign = 1, any = 0;

	if (p < end && (*p == '-' || *p == '+'))
		sign = *p++ == '-' ? -1 : 1;
	for (; p < end && *p >= '0' && *p <= '9'; p++, any = 1)
		v = v * 10 + (*p - '0');
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, any = 1)
			v += (*p - '0') * (scale /= 10);
	if (!any || p != end || v > 1e17)
		return SC_EINVAL;
	return from_number(out, sign * v);
}

static int iso8601(int64_t *out, const char *p, const char *end)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, s = 0, ms = 0, off = 0;
	int64_t t;

	if (digits(&p, end, 4, &y) || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, &mo) || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, &d))
		return SC_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return SC_EINVAL;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (digits(&p, end, 2, &h) || p >= end || *p++ != ':' ||
		    digits(&p, end, 2, &mi))
			return SC_EINVAL;
		if (p < end && *p == ':') {
			p++;
			if (digits(&p, end, 2, &s))
				return SC_EINVAL;
			if (p < end && (*p == '.' || *p == ',')) {
				int scale = 100, any = 0;
				for (p++; p < end && *p >= '0' && *p <= '9';
				     p++, any = 1) {
					ms += (*p - '0') * scale;
					scale /= 10;
				}
				if (!any)
					return SC_EINVAL;
			}
		}
		if (h > 23 || mi > 59 || s > 60) /* 60: a leap second */
			return SC_EINVAL;
		if (p < end && (*p == 'Z' || *p == 'z')) {
			p++;
		} else if (p < end && (*p == '+' || *p == '-')) {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			if (digits(&p, end, 2, &oh))
				return SC_EINVAL;
			if (p < end && *p == ':')
				p++;
			if (p < end && digits(&p, end, 2, &om))
				return SC_EINVAL;
			if (oh > 23 || om > 59)
				return SC_EINVAL;
			off = sign * (oh * 60 + om);
		}
	}
	if (p != end)
		return SC_EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
	    (int64_t)off * 60;
	*out = t * 1000 + ms;
	return 0;
}

int sc_time_parse_ms(int64_t *out, const char *text, size_t len)
{
	const char *end;

	if (!out || !text)
		return SC_EINVAL;
	end = text + len;
	while (text < end && (*text == ' ' || *text == '\t'))
		text++;
	while (end > text && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (text == end || memchr(text, '\0', (size_t)(end - text)))
		return SC_EINVAL;
	/* a date has its '-' at the fifth character; a number never does */
	if (end - text >= 10 && text[4] == '-')
		return iso8601(out, text, end);
	return plain_number(out, text, end);
}

int sc__time_ms(const cJSON *v, int64_t *out)
{
	if (cJSON_IsNumber(v))
		return from_number(out, v->valuedouble);
	if (cJSON_IsString(v))
		return sc_time_parse_ms(out, v->valuestring,
					strlen(v->valuestring));
	return SC_EINVAL;
}

/* o[camel] or o[snake]: data as sent, or as a result already gives it. */
static const cJSON *field(const cJSON *o, const char *camel,
			  const char *snake)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, camel);
	return v ? v : cJSON_GetObjectItemCaseSensitive(o, snake);
}

int sc__signal_times(cJSON *meta)
{
	static const char *const keys[] = { "retrievedAt",  "retrieved_at",
					    "oemUpdatedAt", "oem_updated_at",
					    "ingestedAt",   "ingested_at" };
	size_t i;

	if (!cJSON_IsObject(meta))
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, keys[i]);
		cJSON *n;
		int64_t ms;
		if (!v || sc__time_ms(v, &ms) != 0)
			continue; /* absent, null or not a time: as sent */
		if (cJSON_IsNumber(v)) {
			cJSON_SetNumberValue(v, (double)ms);
			continue;
		}
		n = cJSON_CreateNumber((double)ms);
		if (!n || !cJSON_ReplaceItemInObjectCaseSensitive(meta, keys[i],
							       n)) {
			cJSON_Delete(n);
			return -1;
		}
	}
	return 0;
}

static int add_str(cJSON *row, const char *key, const cJSON *v)
{
	cJSON *c = cJSON_IsString(v) ? cJSON_CreateString(v->valuestring)
				     : cJSON_CreateNull();
	if (!c)
		return -1;
	cJSON_AddItemToObject(row, key, c);
	return 0;
}

static int add_time(cJSON *row, const char *key, const cJSON *v)
{
	int64_t ms;
	cJSON *c = sc__time_ms(v, &ms) == 0 ? cJSON_CreateNumber((double)ms)
					    : cJSON_CreateNull();
	if (!c)
		return -1;
	cJSON_AddItemToObject(row, key, c);
	return 0;
}

/* A copy of an object, or null. */
static int add_obj(cJSON *row, const char *key, const cJSON *v)
{
	cJSON *c = cJSON_IsObject(v) ? cJSON_Duplicate(v, 1)
				     : cJSON_CreateNull();
	if (!c)
		return -1;
	cJSON_AddItemToObject(row, key, c);
	return 0;
}

/* The value of a body: its "value" when it has one, else the whole body
 * but its unit (a location's latitude and longitude, a list of doors). */
static cJSON *body_value(const cJSON *body)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "value");
	cJSON *copy;

	if (!body || cJSON_IsNull(body))
		return cJSON_CreateNull();
	if (v || !cJSON_IsObject(body))
		return cJSON_Duplicate(v ? v : body, 1);
	copy = cJSON_Duplicate(body, 1);
	if (copy)
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "unit");
	return copy;
}

/* A time of the signal's meta, else of the signal itself (a flat row, or
 * the fields of a binding's Signal). */
static const cJSON *time_of(const cJSON *meta, const cJSON *src,
			    const char *camel, const char *snake)
{
	const cJSON *v = field(meta, camel, snake);
	return v ? v : field(src, camel, snake);
}

cJSON *sc__signal_row(const cJSON *sig, const char *vehicle_id)
{
	/* a REST resource keeps its fields in "attributes"; a webhook's
	 * signal has them at the top, a flat one its error too */
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(sig, "attributes");
	const cJSON *src = cJSON_IsObject(a) ? a : sig;
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(src, "status");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(src, "body");
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(sig, "meta");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(
		cJSON_IsObject(status) ? status : src, "error");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(src, "code");
	cJSON *row = cJSON_CreateObject(), *value;
	int rc = 0;

	if (!row)
		return NULL;
	if (!cJSON_IsObject(meta))
		meta = cJSON_GetObjectItemCaseSensitive(src, "meta");
	if (!cJSON_IsString(code))
		code = cJSON_GetObjectItemCaseSensitive(sig, "id");
	rc |= add_str(row, "code", code);
	rc |= add_str(row, "name",
		      cJSON_GetObjectItemCaseSensitive(src, "name"));
	rc |= add_str(row, "group",
		      cJSON_GetObjectItemCaseSensitive(src, "group"));
	value = body_value(cJSON_IsObject(body) ? body : NULL);
	if (!value)
		rc = -1;
	else
		cJSON_AddItemToObject(row, "value", value);
	rc |= add_str(row, "unit",
		      cJSON_GetObjectItemCaseSensitive(body, "unit"));
	rc |= add_str(row, "status",
		      cJSON_IsString(status)
			      ? status
			      : cJSON_GetObjectItemCaseSensitive(status,
								 "value"));
	rc |= add_str(row, "error_type",
		      cJSON_GetObjectItemCaseSensitive(err, "type"));
	rc |= add_str(row, "error_code",
		      cJSON_GetObjectItemCaseSensitive(err, "code"));
	rc |= add_time(row, "retrieved_at",
		       time_of(meta, src, "retrievedAt",
			       "retrieved_at"));
	rc |= add_time(row, "oem_updated_at",
		       time_of(meta, src, "oemUpdatedAt",
			       "oem_updated_at"));
	rc |= add_time(row, "ingested_at",
		       time_of(meta, src, "ingestedAt",
			       "ingested_at"));
	if (vehicle_id)
		rc |= cJSON_AddStringToObject(row, "vehicle_id", vehicle_id)
			      ? 0 : -1;
	else
		rc |= cJSON_AddNullToObject(row, "vehicle_id") ? 0 : -1;
	rc |= add_obj(row, "body", body);
	rc |= add_obj(row, "error", err);
	if (rc) {
		cJSON_Delete(row);
		return NULL;
	}
	return row;
}

static const char *string_at(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int is_signal(const cJSON *o)
{
	return cJSON_IsObject(o) &&
	       (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(
			o, "attributes")) ||
		cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "code")));
}

/* Where the signals of a document are, and whose vehicle they belong to:
 * a REST list {data:[...], included:{vehicle}}, one REST signal (with or
 * without {data: ...}), a webhook delivery {data:{vehicle, signals}} or
 * its parsed form {vehicle_id, signals}, the official SDK's response
 * {body, headers}, or a bare array. */
static const cJSON *locate(const cJSON *doc, const char **vehicle_id,
			   int depth)
{
	const cJSON *data, *sigs;

	if (depth > 4 || !doc)
		return NULL;
	if (cJSON_IsArray(doc) || is_signal(doc))
		return doc;
	if (!cJSON_IsObject(doc))
		return NULL;
	sigs = cJSON_GetObjectItemCaseSensitive(doc, "signals");
	if (cJSON_IsArray(sigs)) {
		const char *v = string_at(doc, "vehicle_id");
		if (!v)
			v = string_at(cJSON_GetObjectItemCaseSensitive(
					      doc, "vehicle"), "id");
		if (v)
			*vehicle_id = v;
		return sigs;
	}
	data = cJSON_GetObjectItemCaseSensitive(doc, "data");
	if (data) {
		const cJSON *inc = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(doc, "included"),
			"vehicle");
		if (string_at(inc, "id"))
			*vehicle_id = string_at(inc, "id");
		return locate(data, vehicle_id, depth + 1);
	}
	if (cJSON_GetObjectItemCaseSensitive(doc, "headers"))
		return locate(cJSON_GetObjectItemCaseSensitive(doc, "body"),
			      vehicle_id, depth + 1);
	return NULL;
}

cJSON *sc__signal_rows(const cJSON *doc)
{
	const char *vehicle_id = NULL;
	const cJSON *where = locate(doc, &vehicle_id, 0), *s;
	cJSON *rows;

	if (!where)
		return NULL;
	rows = cJSON_CreateArray();
	if (!rows)
		return NULL;
	if (!cJSON_IsArray(where)) {
		cJSON *row = sc__signal_row(where, vehicle_id);
		if (!row) {
			cJSON_Delete(rows);
			return NULL;
		}
		cJSON_AddItemToArray(rows, row);
		return rows;
	}
	cJSON_ArrayForEach (s, where) {
		cJSON *row;
		if (!cJSON_IsObject(s))
			continue; /* not a signal: nothing to show */
		row = sc__signal_row(s, vehicle_id);
		if (!row) {
			cJSON_Delete(rows);
			return NULL;
		}
		cJSON_AddItemToArray(rows, row);
	}
	return rows;
}

int sc_signal_rows(sc_result **out, const char *json, size_t len)
{
	cJSON *doc, *rows, *data;
	sc_error *e;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!json && len)
		return SC_EINVAL;
	doc = sc__json_parse(json ? json : "", len);
	rows = doc ? sc__signal_rows(doc) : NULL;
	if (!rows) {
		e = sc__error_new(SC_EMALFORMED,
				  doc ? "no signals in the document"
				      : "the document is not JSON");
		cJSON_Delete(doc);
		if (e)
			sc__error_set(e, "type", "SDK_ERROR");
		*out = sc__result_err(e);
		return *out ? SC_EMALFORMED : SC_ENOMEM;
	}
	cJSON_Delete(doc);
	data = cJSON_CreateObject();
	if (!data) {
		cJSON_Delete(rows);
		return SC_ENOMEM;
	}
	cJSON_AddItemToObject(data, "rows", rows);
	*out = sc__result_ok(data);
	return *out ? 0 : SC_ENOMEM;
}
