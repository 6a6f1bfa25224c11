/* smartcar-emulator's v4 deliveries received over loopback HTTP (the
 * tserver receiver): a delivery sent twice on purpose carries one eventId,
 * and sc_webhook_receive with a seen-set tells the repeat; a failed
 * attempt is sent again with the same eventId and a new deliveryId. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "test.h"
#include "tserver.h"

#define AMT "emulator-management-token"

static cJSON *control(const char *method, const char *path, const char *json)
{
	return t_control_json(t_emulator(), method, path, json);
}

TEST(emulator_v4_duplicate_delivery_is_deduped)
{
	char url[128], body[512], ids[3][40], path[256];
	t_server *srv = t_server_start(NULL, url, sizeof(url));
	t_server_counts counts;
	sc_webhook_seen *seen = NULL;
	char *token;
	cJSON *out;
	const cJSON *list, *d;
	int n = 0, dups = 0;
	const char *event_id = NULL;

	REQUIRE(srv);
	token = t_login(t_emulator(), "c-v4@example.com", "read_odometer");
	REQUIRE(token);
	REQUIRE(t_fleet(t_emulator(), "c-v4@example.com", ids) == 0);
	snprintf(body, sizeof(body),
		 "{\"webhook_id\":\"c-v4\",\"callback_url\":\"%s/hook\"}", url);
	cJSON_Delete(control("POST", "/_emulator/webhooks", body));
	out = control("POST", "/_emulator/webhooks/c-v4/delivery",
		      "{\"duplicate\":true}");
	CHECK(cJSON_IsTrue(t_json_get(t_json_get(out, "delivery"),
				      "duplicate")));
	cJSON_Delete(out);
	{
		t_http_res r;
		t_api_lines h;
		snprintf(path, sizeof(path),
			 "%s/v2.0/vehicles/%s/webhooks/c-v4", t_emulator(),
			 ids[0]);
		t_http(&r, "POST", path,
		       t_api_headers(&h, token, NULL, NULL, NULL), "", NULL);
		CHECK(r.status == 200);
		t_http_free(&r);
	}
	snprintf(body, sizeof(body), "{\"vehicle_id\":\"%s\"}", ids[0]);
	out = control("POST", "/_emulator/webhooks/c-v4/deliver", body);
	list = t_json_get(out, "deliveries");
	REQUIRE(sc_webhook_seen_new(&seen, 16, 0) == 0);
	cJSON_ArrayForEach(d, list)
	{
		const char *b = t_json_str(d, "body");
		sc_result *res = NULL;
		n++;
		CHECK(cJSON_IsNumber(t_json_get(d, "status")) &&
		      t_json_get(d, "status")->valuedouble == 200);
		CHECK(t_json_get(d, "attempt")->valuedouble == n);
		if (!event_id)
			event_id = t_json_str(d, "event_id");
		CHECK_STR(t_json_str(d, "event_id"), event_id);
		REQUIRE(b);
		REQUIRE(sc_webhook_receive(&res, AMT,
					   t_json_str(d, "signature"), b,
					   strlen(b), seen) == 0);
		CHECK_STR(sc_result_get_string(res, "event_id"), event_id);
		dups += cJSON_IsTrue(cJSON_GetObjectItem(sc_result_data(res),
							 "duplicate"));
		sc_result_free(res);
	}
	/* sent twice, one event: the second is the repeat */
	CHECK(n == 2 && dups == 1);
	CHECK(strcmp(t_json_str(cJSON_GetArrayItem(list, 0), "delivery_id"),
		     t_json_str(cJSON_GetArrayItem(list, 1), "delivery_id")));
	t_server_counts_get(srv, &counts);
	CHECK(counts.posts >= 3); /* VERIFY, then the delivery twice */
	cJSON_Delete(out);

	/* fail the next attempt and retry it at once: two attempts, one
	 * event id, the first marked failed */
	cJSON_Delete(control("POST", "/_emulator/webhooks/c-v4/delivery",
			     "{\"duplicate\":false,\"fail_next\":1,"
			     "\"retry_delays_ms\":[0]}"));
	out = control("POST", "/_emulator/webhooks/c-v4/deliver", body);
	list = t_json_get(out, "deliveries");
	CHECK(cJSON_GetArraySize(list) == 1);
	CHECK(t_json_str(cJSON_GetArrayItem(list, 0), "error") != NULL);
	event_id = t_json_str(cJSON_GetArrayItem(list, 0), "event_id");
	{
		int found = 0, tries;
		for (tries = 0; tries < 200 && !found; tries++) {
			cJSON *log = control("GET",
				"/_emulator/webhooks/deliveries?webhook_id="
				"c-v4", NULL);
			cJSON_ArrayForEach(d, t_json_get(log, "deliveries"))
				found |= t_json_get(d, "attempt")
						 ->valuedouble == 2 &&
					 !strcmp(t_json_str(d, "event_id"),
						 event_id) &&
					 cJSON_IsNull(t_json_get(d, "error"));
			cJSON_Delete(log);
			if (!found)
				usleep(20000);
		}
		CHECK(found);
	}
	cJSON_Delete(out);
	cJSON_Delete(control("DELETE", "/_emulator/webhooks/c-v4", NULL));
	sc_webhook_seen_free(seen);
	free(token);
	t_server_stop(srv);
}
