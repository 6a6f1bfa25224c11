/* API v3 signals as data: times in either format, flat rows. */
#include <string.h>

#include <cjson/cJSON.h>

#include "test.h"

static int64_t ms_of(const char *s)
{
	int64_t v = -42;
	if (sc_time_parse_ms(&v, s, strlen(s)) != 0)
		return -42;
	return v;
}

TEST(signal_times_both_formats)
{
	CHECK(ms_of("1758668712404") == 1758668712404LL);
	CHECK(ms_of("1758668712") == 1758668712000LL); /* seconds */
	CHECK(ms_of("1696156800.5") == 1696156800500LL);
	CHECK(ms_of("2025-09-23T23:05:12.404Z") == 1758668712404LL);
	CHECK(ms_of("2025-09-23T23:05:12.404") == 1758668712404LL);
	CHECK(ms_of("2025-09-23 23:05:12.4049Z") == 1758668712404LL);
	CHECK(ms_of("2025-09-24T01:05:12.404+02:00") == 1758668712404LL);
	CHECK(ms_of("2025-09-23T20:05:12.404-0300") == 1758668712404LL);
	CHECK(ms_of("2025-09-23T23:05Z") == 1758668700000LL);
	CHECK(ms_of("2025-09-23") == 1758585600000LL);
	CHECK(ms_of("1970-01-01T00:00:00Z") == 0);
	CHECK(ms_of("1969-12-31T23:59:59Z") == -1000);
	CHECK(ms_of("2024-02-29T00:00:00Z") == 1709164800000LL);
	CHECK(ms_of(" 2025-09-23T23:05:12.404Z ") == 1758668712404LL);
	/* not times */
	CHECK(ms_of("2023-02-29T00:00:00Z") == -42);
	CHECK(ms_of("2025-13-01T00:00:00Z") == -42);
	CHECK(ms_of("2025-09-23T24:00:00Z") == -42);
	CHECK(ms_of("2025-09-23T23:05:12.Z") == -42);
	CHECK(ms_of("2025-09-23T23:05:12Zjunk") == -42);
	CHECK(ms_of("") == -42);
	CHECK(ms_of("abc") == -42);
	CHECK(ms_of("12e5") == -42);
	CHECK(ms_of("99999999999999999999") == -42);
	CHECK(sc_time_parse_ms(NULL, "1", 1) == SC_EINVAL);
	{
		int64_t v;
		CHECK(sc_time_parse_ms(&v, "1\0002", 3) == SC_EINVAL);
	}
}

static const char *const rest_list =
	"{\"data\":[{\"id\":\"odometer-traveleddistance\",\"type\":\"signal\","
	"\"attributes\":{\"code\":\"odometer-traveleddistance\",\"name\":"
	"\"TraveledDistance\",\"group\":\"Odometer\",\"status\":{\"value\":"
	"\"SUCCESS\"},\"body\":{\"unit\":\"kilometers\",\"value\":1234.5}},"
	"\"meta\":{\"retrievedAt\":\"2025-09-23T23:05:12.404Z\","
	"\"oemUpdatedAt\":1758668712404}},"
	"{\"id\":\"location-preciselocation\",\"type\":\"signal\","
	"\"attributes\":{\"code\":\"location-preciselocation\",\"status\":{"
	"\"value\":\"SUCCESS\"},\"body\":{\"latitude\":1.5,\"longitude\":2.5}},"
	"\"meta\":{\"retrievedAt\":1758668712}},"
	"{\"id\":\"tractionbattery-stateofcharge\",\"type\":\"signal\","
	"\"attributes\":{\"code\":\"tractionbattery-stateofcharge\","
	"\"status\":{\"value\":\"ERROR\",\"error\":{\"type\":"
	"\"COMPATIBILITY\",\"code\":\"VEHICLE_NOT_CAPABLE\"}}},\"meta\":{}}],"
	"\"included\":{\"vehicle\":{\"id\":\"veh-1\",\"type\":\"vehicle\"}}}";

TEST(signal_rows_from_rest_and_webhook)
{
	static const char *const garbage[] = { "{\"x\":1}", "{", NULL };
	size_t i;
	const char *webhook =
		"{\"eventId\":\"e\",\"eventType\":\"VEHICLE_STATE\",\"data\":{"
		"\"vehicle\":{\"id\":\"veh-2\"},\"signals\":[{\"code\":"
		"\"closure-islocked\",\"name\":\"IsLocked\",\"group\":"
		"\"Closure\",\"body\":{\"value\":false},\"status\":{\"value\":"
		"\"SUCCESS\"},\"meta\":{\"retrievedAt\":1758668712404,"
		"\"oemUpdatedAt\":\"2025-09-23T23:05:12.000Z\"}}]}}";
	const char *single = "{\"data\":{\"id\":\"charge-ischarging\","
			     "\"attributes\":{\"status\":{\"value\":"
			     "\"SUCCESS\"},\"body\":{\"value\":true}}}}";
	sc_result *r = NULL;
	double n = 0;
	const cJSON *row;

	REQUIRE(sc_signal_rows(&r, rest_list, strlen(rest_list)) == 0);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(sc_result_data(r),
						     "rows")) == 3);
	CHECK_RESULT_STRINGS(r, "rows.0.code", "odometer-traveleddistance",
			"rows.0.group", "Odometer",
			"rows.0.unit", "kilometers",
			"rows.0.vehicle_id", "veh-1");
	CHECK(sc_result_get_number(r, "rows.0.value", &n) == 0 &&
	      n == 1234.5);
	/* an ISO time and an epoch-ms time give the same number */
	CHECK(sc_result_get_number(r, "rows.0.retrieved_at", &n) == 0 &&
	      n == 1758668712404.0);
	CHECK(sc_result_get_number(r, "rows.0.oem_updated_at", &n) == 0 &&
	      n == 1758668712404.0);
	/* a body without "value": the body, less its unit */
	CHECK(sc_result_get_number(r, "rows.1.value.latitude", &n) == 0 &&
	      n == 1.5);
	CHECK(sc_result_get_number(r, "rows.1.retrieved_at", &n) == 0 &&
	      n == 1758668712000.0);
	CHECK_RESULT_STRINGS(r, "rows.2.status", "ERROR",
			"rows.2.error_type", "COMPATIBILITY",
			"rows.2.error_code", "VEHICLE_NOT_CAPABLE");
	/* every row has every key; what a signal lacks is null */
	row = cJSON_GetArrayItem(cJSON_GetObjectItem(sc_result_data(r),
						     "rows"), 2);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(row, "value")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(row, "retrieved_at")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(row, "unit")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(row, "body")));
	CHECK(cJSON_GetArraySize(row) == 14);
	/* the error and the body as sent, whole */
	CHECK_RESULT_STRINGS(r, "rows.2.error.type", "COMPATIBILITY",
			"rows.0.body.unit", "kilometers");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(sc_result_data(r),
						       "rows"), 0), "error")));
	sc_result_free(r);

	REQUIRE(sc_signal_rows(&r, webhook, strlen(webhook)) == 0);
	CHECK_STR(sc_result_get_string(r, "rows.0.code"), "closure-islocked");
	CHECK_STR(sc_result_get_string(r, "rows.0.vehicle_id"), "veh-2");
	CHECK(sc_result_get_number(r, "rows.0.oem_updated_at", &n) == 0 &&
	      n == 1758668712000.0);
	sc_result_free(r);

	REQUIRE(sc_signal_rows(&r, single, strlen(single)) == 0);
	CHECK_STR(sc_result_get_string(r, "rows.0.code"), "charge-ischarging");
	sc_result_free(r);

	/* no signals, not JSON, nothing */
	for (i = 0; i < sizeof(garbage) / sizeof(*garbage); i++) {
		const char *g = garbage[i];
		CHECK(sc_signal_rows(&r, g, g ? strlen(g) : 0) ==
		      SC_EMALFORMED);
		CHECK_STR(sc_error_get(sc_result_error(r), "kind"),
			  "malformed_response");
		sc_result_free(r);
	}
}

/* Flat signals (rows, or a binding's Signal fields with a response meta
 * of their own), and rows read back to the same rows. */
TEST(signal_rows_from_flat_signals)
{
	const char *flat =
		"{\"vehicle\":{\"id\":\"veh-3\"},\"signals\":[{\"code\":"
		"\"tractionbattery-stateofcharge\",\"status\":\"ERROR\","
		"\"error\":{\"type\":\"COMPATIBILITY\",\"code\":\"X\"},"
		"\"body\":null,\"retrieved_at\":1758668712404,"
		"\"meta\":{\"request_id\":\"r\"}},{\"code\":\"odometer-"
		"traveleddistance\",\"status\":\"SUCCESS\",\"body\":{\"unit\":"
		"\"kilometers\",\"value\":7},\"oem_updated_at\":"
		"\"2025-09-23T23:05:12.404Z\"}]}";
	sc_result *r = NULL, *again = NULL;
	cJSON *doc;
	char *text;
	double n = 0;

	REQUIRE(sc_signal_rows(&r, flat, strlen(flat)) == 0);
	CHECK_RESULT_STRINGS(r, "rows.0.status", "ERROR",
			"rows.0.error_type", "COMPATIBILITY",
			"rows.0.error_code", "X", "rows.0.vehicle_id", "veh-3",
			"rows.1.unit", "kilometers");
	CHECK(sc_result_get_number(r, "rows.0.retrieved_at", &n) == 0 &&
	      n == 1758668712404.0);
	CHECK(sc_result_get_number(r, "rows.1.oem_updated_at", &n) == 0 &&
	      n == 1758668712404.0);
	CHECK(sc_result_get_number(r, "rows.1.value", &n) == 0 && n == 7);
	doc = cJSON_CreateObject();
	REQUIRE(doc != NULL);
	cJSON_AddStringToObject(doc, "vehicle_id", "veh-3");
	cJSON_AddItemToObject(
		doc, "signals",
		cJSON_Duplicate(cJSON_GetObjectItem(sc_result_data(r), "rows"),
				1));
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	REQUIRE(text != NULL);
	REQUIRE(sc_signal_rows(&again, text, strlen(text)) == 0);
	CHECK(cJSON_Compare(cJSON_GetObjectItem(sc_result_data(r), "rows"),
			    cJSON_GetObjectItem(sc_result_data(again), "rows"),
			    1));
	cJSON_free(text);
	sc_result_free(again);
	sc_result_free(r);
}
