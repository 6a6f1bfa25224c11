/* Webhook signatures, the VERIFY challenge and delivery parsing. */
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test.h"

TEST(webhook_vectors)
{
	char *hex = NULL;
	REQUIRE(sc_webhook_challenge(&hex, "amt", "challenge") == 0);
	CHECK_STR(hex, "9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efa"
		       "cf646d79328e");
	sc_free(hex);
	REQUIRE(sc_hmac_sha256_hex(&hex, "amt", "{\"pizza\":\"pasta\"}", 17)
		== 0);
	CHECK_STR(hex, "4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d330"
		       "1dcaaa854f70");
	sc_free(hex);
}

TEST(webhook_verify)
{
	const char *body = "{\"pizza\":\"pasta\"}";
	const char *sig = "4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d3"
			  "301dcaaa854f70";
	CHECK(sc_webhook_verify("amt", sig, body, strlen(body)) == 1);
	CHECK(sc_webhook_verify("amt",
				"4C05A8DA471F05156AD717BAA4017ACD13A3A809850B9"
				"CA7D3301DCAAA854F70", body, strlen(body)) == 1);
	CHECK(sc_webhook_verify("amx", sig, body, strlen(body)) == 0);
	CHECK(sc_webhook_verify("amt", sig, body, strlen(body) - 1) == 0);
	CHECK(sc_webhook_verify("amt", "4c05", body, strlen(body)) == 0);
	CHECK(sc_webhook_verify("amt", "zz05a8da471f05156ad717baa4017acd13a3a8"
				"09850b9ca7d3301dcaaa854f70", body,
				strlen(body)) == 0);
	CHECK(sc_webhook_verify(NULL, sig, body, strlen(body)) == 0);
	CHECK(sc_webhook_verify("amt", NULL, body, strlen(body)) == 0);
}

TEST(webhook_parse_v4)
{
	const char *body =
		"{\"eventId\":\"e1\",\"eventType\":\"VEHICLE_STATE\",\"data\":"
		"{\"user\":{\"id\":\"u1\"},\"vehicle\":{\"id\":\"v1\",\"make\":"
		"\"TESLA\"},\"signals\":[{\"code\":\"tractionbattery-"
		"stateofcharge\",\"body\":{\"unit\":\"percent\",\"value\":75}}]},"
		"\"triggers\":[{\"type\":\"SIGNAL_UPDATED\"}],\"meta\":{\"version"
		"\":\"4.0\",\"deliveryId\":\"d1\",\"deliveredAt\":1761896351529,"
		"\"webhookId\":\"w1\",\"webhookName\":\"n\",\"mode\":\"LIVE\"}}";
	sc_result *r = NULL;
	double at = 0;

	REQUIRE(sc_webhook_parse(&r, body, strlen(body)) == 0);
	CHECK_RESULT_STRINGS(r, "version", "4.0",
			"event_type", "VEHICLE_STATE", "event_id", "e1",
			"webhook_id", "w1", "user_id", "u1",
			"vehicle_id", "v1", "mode", "LIVE");
	CHECK(sc_result_get_number(r, "delivered_at", &at) == 0 &&
	      at == 1761896351529.0);
	CHECK_STR(sc_result_get_string(r, "signals.0.code"),
		  "tractionbattery-stateofcharge");
	CHECK_STR(sc_result_get_string(r, "triggers.0.type"), "SIGNAL_UPDATED");
	sc_result_free(r);
}

TEST(webhook_parse_v2_and_verify_challenge)
{
	const char *v2 = "{\"version\":\"2.0\",\"webhookId\":\"w2\",\"eventName"
			 "\":\"eventBased\",\"mode\":\"test\",\"payload\":{"
			 "\"eventId\":\"e2\",\"vehicleId\":\"v2\",\"eventType\":"
			 "\"CHARGING_STARTED\",\"eventTime\":\"2022-04-13T18:00:00"
			 ".000Z\"}}";
	const char *verify = "{\"eventId\":\"e3\",\"eventType\":\"VERIFY\","
			     "\"data\":{\"challenge\":\"abc\"},\"meta\":{"
			     "\"version\":\"4.0\",\"webhookId\":\"w3\"}}";
	sc_result *r = NULL;

	REQUIRE(sc_webhook_parse(&r, v2, strlen(v2)) == 0);
	CHECK_RESULT_STRINGS(r, "version", "2.0", "event_type", "EVENTBASED",
			"vehicle_id", "v2",
			"payload.event_type", "CHARGING_STARTED");
	sc_result_free(r);
	REQUIRE(sc_webhook_parse(&r, verify, strlen(verify)) == 0);
	CHECK_STR(sc_result_get_string(r, "event_type"), "VERIFY");
	CHECK_STR(sc_result_get_string(r, "challenge"), "abc");
	sc_result_free(r);
}

TEST(webhook_parse_rejects_garbage)
{
	sc_result *r = NULL;
	CHECK(sc_webhook_parse(&r, "[1,2]", 5) == SC_EMALFORMED);
	CHECK_STR(sc_error_get(sc_result_error(r), "kind"),
		  "malformed_response");
	sc_result_free(r);
	CHECK(sc_webhook_parse(&r, "{\"x\":1}", 7) == SC_EMALFORMED);
	sc_result_free(r);
	CHECK(sc_webhook_parse(&r, "{", 1) == SC_EMALFORMED);
	sc_result_free(r);
	CHECK(sc_webhook_parse(&r, NULL, 0) == SC_EMALFORMED);
	sc_result_free(r);
}

/* The documented variants of a v4 delivery read the same. */
TEST(webhook_parse_v4_variants)
{
	/* triggers inside data, FIRST_DELIVERY as a code, ISO deliveredAt,
	 * user.externalId, an ISO signal time */
	const char *a =
		"{\"eventId\":\"e1\",\"eventType\":\"VEHICLE_STATE\",\"data\":{"
		"\"user\":{\"id\":\"u1\",\"externalId\":\"x-9\"},\"vehicle\":{"
		"\"id\":\"v1\"},\"triggers\":[{\"code\":\"FIRST_DELIVERY\"}],"
		"\"signals\":[{\"code\":\"closure-islocked\",\"name\":"
		"\"IsLocked\",\"group\":\"Closure\",\"body\":{\"value\":true},"
		"\"status\":{\"value\":\"SUCCESS\"},\"meta\":{\"retrievedAt\":"
		"\"2025-09-23T23:05:12.404Z\",\"oemUpdatedAt\":1758668712}}]},"
		"\"meta\":{\"version\":\"4.0\",\"deliveredAt\":"
		"\"2025-07-31T19:38:42.332Z\"}}";
	/* top-level triggers with type FIRST_DELIVERY and SIGNAL_UPDATED
	 * naming its signal; a string trigger */
	const char *b =
		"{\"eventId\":\"e2\",\"eventType\":\"VEHICLE_STATE\",\"data\":{"
		"\"signals\":[]},\"triggers\":[{\"type\":\"FIRST_DELIVERY\"},"
		"{\"type\":\"SIGNAL_UPDATED\",\"signal\":{\"name\":\"IsLocked\","
		"\"group\":\"Closure\"}},\"SIGNAL_UPDATED\"],\"meta\":{}}";
	sc_result *r = NULL;
	double n = 0;
	int first = 0;
	const cJSON *d;

	REQUIRE(sc_webhook_parse(&r, a, strlen(a)) == 0);
	CHECK_STR(sc_result_get_string(r, "user_id"), "u1");
	CHECK_STR(sc_result_get_string(r, "user_external_id"), "x-9");
	CHECK(sc_result_get_number(r, "delivered_at", &n) == 0 &&
	      n == 1753990722332.0);
	CHECK_STR(sc_result_get_string(r, "triggers.0.type"),
		  "FIRST_DELIVERY");
	d = sc_result_data(r);
	first = cJSON_IsTrue(cJSON_GetObjectItem(d, "first_delivery"));
	CHECK(first);
	CHECK(sc_result_get_number(r, "signals.0.meta.retrieved_at", &n) ==
		      0 && n == 1758668712404.0);
	/* seconds become milliseconds */
	CHECK(sc_result_get_number(r, "signals.0.meta.oem_updated_at", &n) ==
		      0 && n == 1758668712000.0);
	CHECK_STR(sc_result_get_string(r, "rows.0.code"), "closure-islocked");
	CHECK_STR(sc_result_get_string(r, "rows.0.vehicle_id"), "v1");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(d, "rows"), 0),
		"value")));
	CHECK(sc_result_get_number(r, "rows.0.retrieved_at", &n) == 0 &&
	      n == 1758668712404.0);
	sc_result_free(r);

	REQUIRE(sc_webhook_parse(&r, b, strlen(b)) == 0);
	CHECK_STR(sc_result_get_string(r, "triggers.0.type"),
		  "FIRST_DELIVERY");
	CHECK_STR(sc_result_get_string(r, "triggers.1.type"),
		  "SIGNAL_UPDATED");
	/* the code a trigger leaves out is made from group and name */
	CHECK_STR(sc_result_get_string(r, "triggers.1.signal.code"),
		  "closure-islocked");
	CHECK_STR(sc_result_get_string(r, "triggers.2.type"),
		  "SIGNAL_UPDATED");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(sc_result_data(r),
					       "first_delivery")));
	CHECK(sc_result_get_string(r, "delivered_at") == NULL);
	sc_result_free(r);
}

TEST(webhook_parse_vehicle_error)
{
	const char *body =
		"{\"eventId\":\"e3\",\"eventType\":\"VEHICLE_ERROR\",\"data\":{"
		"\"vehicle\":{\"id\":\"v3\"},\"errors\":[{\"type\":"
		"\"COMPATIBILITY\",\"code\":\"VEHICLE_NOT_CAPABLE\","
		"\"docURL\":\"https://x\",\"resolution\":{\"type\":null},"
		"\"suggestedUserMessage\":\"m\",\"state\":\"ERROR\","
		"\"signals\":[\"TractionBattery.StateOfCharge\",{\"code\":"
		"\"charge-ischarging\"},{\"group\":\"Location\",\"name\":"
		"\"IsAtHome\"}]}]},\"meta\":{\"version\":\"4.0\"}}";
	sc_result *r = NULL;

	REQUIRE(sc_webhook_parse(&r, body, strlen(body)) == 0);
	CHECK_RESULT_STRINGS(r, "event_type", "VEHICLE_ERROR",
			"errors.0.type", "COMPATIBILITY",
			"errors.0.doc_url", "https://x",
			"errors.0.state", "ERROR",
			"errors.0.signals.0.code",
			"tractionbattery-stateofcharge",
			"errors.0.signals.0.group", "TractionBattery",
			"errors.0.signals.0.name", "StateOfCharge",
			"errors.0.signals.1.code", "charge-ischarging",
			"errors.0.signals.2.code", "location-isathome");
	sc_result_free(r);
}

TEST(webhook_seen_dedupes_by_event_id)
{
	sc_webhook_seen *s = NULL;
	char id[32];
	int i;

	CHECK(sc_webhook_seen_new(&s, 0, 1000) == SC_EINVAL);
	REQUIRE(sc_webhook_seen_new(&s, 3, 1000) == 0);
	CHECK(sc_webhook_seen_check(s, "a", 10000) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_check(s, "a", 10001) == SC_WEBHOOK_DUPLICATE);
	CHECK(sc_webhook_seen_check(s, "b", 10002) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_count(s) == 2);
	/* the time to live: "a" is forgotten 1000 ms after it was seen */
	CHECK(sc_webhook_seen_check(s, "a", 11000) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_check(s, "b", 11001) == SC_WEBHOOK_DUPLICATE);
	/* capacity: the oldest goes first */
	CHECK(sc_webhook_seen_check(s, "c", 11002) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_check(s, "d", 11003) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_count(s) == 3);
	CHECK(sc_webhook_seen_check(s, "b", 11004) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_check(s, "d", 11005) == SC_WEBHOOK_DUPLICATE);
	/* forget: the next delivery counts as the first again */
	CHECK(sc_webhook_seen_forget(s, "d") == 0);
	CHECK(sc_webhook_seen_forget(s, "d") == SC_ENOTFOUND);
	CHECK(sc_webhook_seen_count(s) == 2);
	CHECK(sc_webhook_seen_check(s, "d", 11006) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_check(s, "", 11007) == SC_EINVAL);
	CHECK(sc_webhook_seen_check(s, NULL, 11007) == SC_EINVAL);
	/* many ids through a small set: bounded, and no id is lost early */
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "id-%d", i);
		CHECK(sc_webhook_seen_check(s, id, 20000 + i) ==
		      SC_WEBHOOK_FIRST);
		CHECK(sc_webhook_seen_check(s, id, 20000 + i) ==
		      SC_WEBHOOK_DUPLICATE);
	}
	CHECK(sc_webhook_seen_count(s) == 3);
	sc_webhook_seen_free(s);
	sc_webhook_seen_free(NULL);
}

#define THREADS 4
#define PER_THREAD 500

typedef struct {
	sc_webhook_seen *s;
	int firsts;
} seen_job;

static void *seen_worker(void *arg)
{
	seen_job *j = arg;
	char id[32];
	int i;
	for (i = 0; i < PER_THREAD; i++) {
		snprintf(id, sizeof id, "shared-%d", i);
		if (sc_webhook_seen_check(j->s, id, 0) == SC_WEBHOOK_FIRST)
			j->firsts++;
	}
	return NULL;
}

TEST(webhook_seen_threads_agree)
{
	seen_job jobs[THREADS];
	pthread_t t[THREADS];
	sc_webhook_seen *s = NULL;
	int i, total = 0;

	REQUIRE(sc_webhook_seen_new(&s, 10000, 0) == 0);
	for (i = 0; i < THREADS; i++) {
		jobs[i].s = s;
		jobs[i].firsts = 0;
		REQUIRE(pthread_create(&t[i], NULL, seen_worker, &jobs[i]) == 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		total += jobs[i].firsts;
	}
	/* each id is the first exactly once, whichever thread saw it */
	CHECK(total == PER_THREAD);
	sc_webhook_seen_free(s);
}

static char *signed_by(const char *amt, const char *body)
{
	char *sig = NULL;
	sc_hmac_sha256_hex(&sig, amt, body, strlen(body));
	return sig;
}

TEST(webhook_receive)
{
	const char *state =
		"{\"eventId\":\"ev-1\",\"eventType\":\"VEHICLE_STATE\",\"data\":"
		"{\"vehicle\":{\"id\":\"v1\"},\"signals\":[]},\"triggers\":[],"
		"\"meta\":{\"version\":\"4.0\"}}";
	const char *verify =
		"{\"eventId\":\"ev-2\",\"eventType\":\"VERIFY\",\"data\":{"
		"\"challenge\":\"challenge\"},\"meta\":{\"version\":\"4.0\"}}";
	const char *forged =
		"{\"eventId\":\"ev-3\",\"eventType\":\"VERIFY\",\"data\":{"
		"\"challenge\":\"{\\\"eventType\\\":\\\"VEHICLE_STATE\\\"}\"}}";
	sc_webhook_seen *seen = NULL;
	sc_result *r = NULL;
	char *sig = signed_by("amt", state), *json = NULL;

	REQUIRE(sig);
	REQUIRE(sc_webhook_seen_new(&seen, 100, 0) == 0);
	REQUIRE(sc_webhook_receive(&r, "amt", sig, state, strlen(state),
				   seen) == 0);
	CHECK_STR(sc_result_get_string(r, "event_id"), "ev-1");
	CHECK_STR(sc_result_get_string(r, "reply"), "{\"status\":\"received\"}");
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(sc_result_data(r),
						"duplicate")));
	sc_result_free(r);
	/* the retry of the same event */
	REQUIRE(sc_webhook_receive(&r, "amt", sig, state, strlen(state),
				   seen) == 0);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(sc_result_data(r),
					       "duplicate")));
	sc_result_free(r);
	/* a wrong or missing signature: typed, and the error names neither
	 * the AMT nor the signature */
	CHECK(sc_webhook_receive(&r, "other-amt", sig, state, strlen(state),
				 seen) == SC_ESIGNATURE);
	CHECK_STR(sc_error_get(sc_result_error(r), "kind"), "bad_signature");
	REQUIRE(sc_error_to_json(&json, sc_result_error(r)) == 0);
	CHECK(!strstr(json, sig) && !strstr(json, "other-amt"));
	sc_free(json);
	sc_result_free(r);
	CHECK(sc_webhook_receive(&r, "amt", NULL, state, strlen(state),
				 NULL) == SC_ESIGNATURE);
	sc_result_free(r);
	/* unsigned garbage is a signature failure; signed garbage is
	 * malformed */
	CHECK(sc_webhook_receive(&r, "amt", NULL, "{", 1, NULL) ==
	      SC_ESIGNATURE);
	sc_result_free(r);
	sc_free(sig);
	sig = signed_by("amt", "[]");
	CHECK(sc_webhook_receive(&r, "amt", sig, "[]", 2, NULL) ==
	      SC_EMALFORMED);
	sc_result_free(r);
	sc_free(sig);
	/* VERIFY is answered without a signature */
	REQUIRE(sc_webhook_receive(&r, "amt", NULL, verify, strlen(verify),
				   seen) == 0);
	CHECK_STR(sc_result_get_string(r, "reply"),
		  "{\"challenge\":\"9baf5a7464bd86740ad5a06e439dcf535a075022e"
		  "d2c92d74efacf646d79328e\"}");
	sc_result_free(r);
	/* but not when the challenge could be a body to sign */
	CHECK(sc_webhook_receive(&r, "amt", NULL, forged, strlen(forged),
				 seen) == SC_EMALFORMED);
	sc_result_free(r);
	CHECK(sc_webhook_receive(&r, NULL, NULL, verify, strlen(verify),
				 seen) == SC_EINVAL);
	sc_result_free(r);
	sc_webhook_seen_free(seen);
}

TEST(webhook_seen_sqlite_is_shared_and_expires)
{
	char path[] = "/tmp/sc-seen-XXXXXX";
	sc_webhook_seen *a = NULL, *b = NULL;
	sc_error *err = NULL;
	int fd = mkstemp(path);

	REQUIRE(fd >= 0);
	close(fd);
	CHECK(sc_webhook_seen_open_sqlite(&a, path, 0, &err) == SC_EINVAL);
	CHECK(err != NULL);
	sc_error_free(err);
	err = NULL;
	CHECK(sc_webhook_seen_open_sqlite(&a, "/nonexistent/dir/x.db", 1000,
					  &err) == SC_ESTORAGE);
	CHECK_STR(sc_error_get(err, "kind"), "storage");
	sc_error_free(err);
	REQUIRE(sc_webhook_seen_open_sqlite(&a, path, 1000, NULL) == 0);
	/* a second handle on the same file: another process, in effect */
	REQUIRE(sc_webhook_seen_open_sqlite(&b, path, 1000, NULL) == 0);
	CHECK(sc_webhook_seen_check(a, "ev-1", 50000) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_check(b, "ev-1", 50001) ==
	      SC_WEBHOOK_DUPLICATE);
	CHECK(sc_webhook_seen_check(a, "ev-1", 50002) ==
	      SC_WEBHOOK_DUPLICATE);
	CHECK(sc_webhook_seen_check(b, "ev-2", 50003) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_count(a) == 2);
	/* older than the time to live: counts as new again */
	CHECK(sc_webhook_seen_check(b, "ev-1", 51000) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_check(a, "ev-1", 51001) ==
	      SC_WEBHOOK_DUPLICATE);
	CHECK(sc_webhook_seen_forget(a, "ev-2") == 0);
	CHECK(sc_webhook_seen_forget(b, "ev-2") == SC_ENOTFOUND);
	CHECK(sc_webhook_seen_check(b, "ev-2", 51002) == SC_WEBHOOK_FIRST);
	CHECK(sc_webhook_seen_check(a, "", 51003) == SC_EINVAL);
	sc_webhook_seen_free(a);
	sc_webhook_seen_free(b);
	/* what was seen survives a restart (sc_webhook_seen_open: a path
	 * is a SQLite set, no path one in memory, its ttl checked as theirs) */
	REQUIRE(sc_webhook_seen_open(&a, 1, 1000, path, NULL, NULL) == 0);
	CHECK(sc_webhook_seen_check(a, "ev-2", 51004) ==
	      SC_WEBHOOK_DUPLICATE);
	sc_webhook_seen_free(a);
	CHECK(sc_webhook_seen_open(&a, 1, 0, path, NULL, &err) == SC_EINVAL);
	sc_error_free(err);
	REQUIRE(sc_webhook_seen_open(&a, 1, 0, NULL, NULL, &err) == 0);
	CHECK(err == NULL);
	CHECK(sc_webhook_seen_check(a, "ev-2", 1) == SC_WEBHOOK_FIRST);
	sc_webhook_seen_free(a);
	unlink(path);
}
