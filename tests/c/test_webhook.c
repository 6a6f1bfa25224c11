/* Webhook signatures, the VERIFY challenge and delivery parsing. */
#include <string.h>

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
	CHECK_STR(sc_result_get_string(r, "version"), "4.0");
	CHECK_STR(sc_result_get_string(r, "event_type"), "VEHICLE_STATE");
	CHECK_STR(sc_result_get_string(r, "event_id"), "e1");
	CHECK_STR(sc_result_get_string(r, "webhook_id"), "w1");
	CHECK_STR(sc_result_get_string(r, "user_id"), "u1");
	CHECK_STR(sc_result_get_string(r, "vehicle_id"), "v1");
	CHECK_STR(sc_result_get_string(r, "mode"), "LIVE");
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
	CHECK_STR(sc_result_get_string(r, "version"), "2.0");
	CHECK_STR(sc_result_get_string(r, "event_type"), "EVENTBASED");
	CHECK_STR(sc_result_get_string(r, "vehicle_id"), "v2");
	CHECK_STR(sc_result_get_string(r, "payload.event_type"),
		  "CHARGING_STARTED");
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
