/* The floor: N GETs of one URL with one reused libcurl easy handle, the
 * answer collected into a buffer, as any libcurl program would.  Prints
 * the CPU time per call in microseconds.
 *
 *   raw_curl URL N [CA_FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

struct sink {
	char buf[65536];
	size_t len;
};

static size_t on_body(char *d, size_t s, size_t n, void *u)
{
	struct sink *k = u;
	size_t len = s * n;
	if (k->len + len <= sizeof(k->buf)) {
		memcpy(k->buf + k->len, d, len);
		k->len += len;
	}
	return len;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct sink sink;
	struct curl_slist *hdr = NULL;
	long i, n, status = 0;
	double t0;
	CURL *h;

	if (argc < 3)
		return 2;
	n = atol(argv[2]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	hdr = curl_slist_append(hdr, "Authorization: Bearer tok-1");
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (argc > 3)
		curl_easy_setopt(h, CURLOPT_CAINFO, argv[3]);
	/* the first call opens the connection, outside the measurement */
	if (curl_easy_perform(h) != CURLE_OK)
		return 1;
	t0 = cpu_now();
	for (i = 0; i < n; i++) {
		sink.len = 0;
		if (curl_easy_perform(h) != CURLE_OK)
			return 1;
	}
	printf("%.3f\n", (cpu_now() - t0) / n * 1e6);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return status == 200 ? 0 : 1;
}
