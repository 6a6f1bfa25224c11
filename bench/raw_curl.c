/* The floor: N odometer reads with one reused libcurl easy handle, doing
 * what any client of the API must do for the call and nothing more:
 *
 *  - the request headers the spec gives every vehicle request
 *    (Authorization, sc-unit-system, a User-Agent, Accept for JSON), one
 *    curl_slist entry each, built once;
 *  - the status checked, the SC-* response headers (the call's meta:
 *    request id, data age, unit system) noted by a header callback;
 *  - the body collected into a buffer and parsed with cJSON, the distance
 *    read from it.
 *
 * Prints the CPU time per call in microseconds.
 *
 *   raw_curl URL N [CA_FILE] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

struct sink {
	char buf[65536];
	size_t len;
	int sc_headers; /* SC-* response headers seen */
};

static size_t on_body(char *d, size_t s, size_t n, void *u)
{
	struct sink *k = u;
	size_t len = s * n;
	if (k->len + len > sizeof(k->buf))
		return 0;
	memcpy(k->buf + k->len, d, len);
	k->len += len;
	return len;
}

static size_t on_header(char *d, size_t s, size_t n, void *u)
{
	struct sink *k = u;
	size_t len = s * n;
	if (len > 3 && strncasecmp(d, "sc-", 3) == 0)
		k->sc_headers++;
	return len;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One call: 0 when it answered 200 with a numeric distance. */
static int odometer(CURL *h, struct sink *k, double *distance)
{
	long status = 0;
	cJSON *doc, *d;
	int rc = 1;

	k->len = 0;
	k->sc_headers = 0;
	if (curl_easy_perform(h) != CURLE_OK)
		return 1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return 1;
	doc = cJSON_ParseWithLength(k->buf, k->len);
	d = cJSON_GetObjectItemCaseSensitive(doc, "distance");
	if (cJSON_IsNumber(d)) {
		*distance = d->valuedouble;
		rc = 0;
	}
	cJSON_Delete(doc);
	return rc;
}

int main(int argc, char **argv)
{
	static struct sink sink;
	struct curl_slist *hdr = NULL;
	double t0, distance = NAN;
	long i, n;
	CURL *h;

	if (argc < 3)
		return 2;
	n = atol(argv[2]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	hdr = curl_slist_append(hdr, "Authorization: Bearer tok-1");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	hdr = curl_slist_append(hdr, "User-Agent: raw-libcurl/7.88 (Linux; x86_64)");
	hdr = curl_slist_append(hdr, "sc-unit-system: metric");
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (argc > 3)
		curl_easy_setopt(h, CURLOPT_CAINFO, argv[3]);
	/* the first call opens the connection, outside the measurement */
	if (odometer(h, &sink, &distance) != 0)
		return 1;
	t0 = cpu_now();
	for (i = 0; i < n; i++)
		if (odometer(h, &sink, &distance) != 0)
			return 1;
	printf("%.3f\n", (cpu_now() - t0) / n * 1e6);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return sink.sc_headers > 0 ? 0 : 1;
}
