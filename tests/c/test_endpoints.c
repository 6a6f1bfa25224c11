/* Integration: every Vehicle API call of the endpoint table, through the
 * C API and libcurl, on each kind of vehicle (BEV, PHEV, ICE), metric and
 * imperial, against the emulator. */
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cjson/cJSON.h>

#include "test.h"

#define ALL_SCOPES                                                        \
	"read_vehicle_info read_vin read_odometer read_location read_fuel " \
	"read_battery read_charge read_engine_oil read_tires "              \
	"read_security read_service_history read_diagnostics "              \
	"control_charge control_security control_navigation"

struct read_ep {
	const char *name;
	const char *keys;   /* space-separated keys the data must have */
	const char *kinds;  /* kinds that can serve it */
};

static const struct read_ep reads[] = {
	{ "attributes", "id make model year", "BEV PHEV ICE" },
	{ "vin", "vin", "BEV PHEV ICE" },
	{ "odometer", "distance", "BEV PHEV ICE" },
	{ "location", "latitude longitude", "BEV PHEV ICE" },
	{ "fuel", "range percent_remaining amount_remaining", "PHEV ICE" },
	{ "battery", "range percent_remaining", "BEV PHEV" },
	{ "battery_capacity", "capacity", "BEV PHEV" },
	{ "nominal_capacity", "available_capacities capacity url",
	  "BEV PHEV" },
	{ "charge", "is_plugged_in state", "BEV PHEV" },
	{ "get_charge_limit", "limit", "BEV PHEV" },
	{ "engine_oil", "life_remaining", "PHEV ICE" },
	{ "tire_pressure", "front_left front_right back_left back_right",
	  "BEV PHEV ICE" },
	{ "lock_status", "is_locked doors windows sunroof storage "
			 "charging_port", "BEV PHEV ICE" },
	{ "service_history", "items", "BEV PHEV ICE" },
	{ "diagnostic_system_status", "systems", "BEV PHEV ICE" },
	{ "diagnostic_trouble_codes", "active_codes", "BEV PHEV ICE" },
	{ "permissions", "permissions paging", "BEV PHEV ICE" },
};

static const char *kind_of(const char *make)
{
	if (!strcmp(make, "TESLA"))
		return "BEV";
	if (!strcmp(make, "TOYOTA"))
		return "PHEV";
	return "ICE";
}

static int has_keys(const cJSON *d, const char *keys)
{
	char buf[256], *tok, *save = NULL;
	snprintf(buf, sizeof(buf), "%s", keys);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!cJSON_GetObjectItemCaseSensitive(d, tok)) {
			fprintf(stderr, "  missing key %s\n", tok);
			return 0;
		}
	return 1;
}

struct fleet {
	sc_client *c;
	sc_result *tok;
	sc_result *veh;
};

static int fleet_login(struct fleet *f, const char *email)
{
	f->c = t_client(t_emulator(), NULL);
	f->tok = t_owner_tokens(f->c, email, ALL_SCOPES, &f->veh, NULL);
	return f->veh && !sc_result_error(f->veh) ? 0 : -1;
}

static void fleet_free(struct fleet *f)
{
	sc_result_free(f->tok);
	sc_result_free(f->veh);
	sc_client_free(f->c);
}

static int vcall(struct fleet *f, const char *ep, const char *vid,
		 sc_params *opts, sc_result **out)
{
	return sc_vehicle_call(out, f->c, ep, vid,
			       sc_result_get_string(f->tok, "access_token"),
			       opts);
}

/* vcall with the parameters kv (key, value, ..., NULL). */
static int vcall_kv(struct fleet *f, const char *ep, const char *vid,
		    sc_result **out, const char *const *kv)
{
	sc_params *p = t_params(kv);
	int rc = vcall(f, ep, vid, p, out);
	sc_params_free(p);
	return rc;
}
#define VCALL(f, ep, vid, out, ...)                                    \
	vcall_kv((f), (ep), (vid), (out),                              \
		 (const char *const[]){__VA_ARGS__, NULL})

TEST(endpoints_every_read_on_every_kind)
{
	struct fleet f;
	int v, units;
	size_t i;

	REQUIRE(t_emulator());
	REQUIRE(fleet_login(&f, "every-read@example.com") == 0);
	for (v = 0; v < 3; v++) {
		char path[32];
		const char *vid, *kind;
		sc_result *attr = NULL;
		snprintf(path, sizeof(path), "vehicles.%d", v);
		vid = sc_result_get_string(f.veh, path);
		REQUIRE(vcall(&f, "attributes", vid, NULL, &attr) == 0);
		kind = kind_of(sc_result_get_string(attr, "make"));
		sc_result_free(attr);
		for (units = 0; units < 2; units++) {
			sc_params *p = NULL;
			sc_params_new(&p);
			sc_params_set(p, "unit_system",
				      units ? "imperial" : "metric");
			for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
				sc_result *r = NULL;
				int rc = vcall(&f, reads[i].name, vid, p, &r);
				if (strstr(reads[i].kinds, kind)) {
					if (rc != 0 ||
					    !has_keys(sc_result_data(r),
						      reads[i].keys) ||
					    !sc_result_get_string(r,
						"meta.request_id")) {
						fprintf(stderr, "  %s on %s: %s\n",
							reads[i].name, kind,
							sc_error_message(
							  sc_result_error(r)));
						sc_test_failed_flag = 1;
					}
				} else {
					/* 501 VEHICLE_NOT_CAPABLE, typed */
					CHECK(rc == SC_EAPI);
					CHECK(sc_error_status_code(
						sc_result_error(r)) == 501);
					CHECK_STR(sc_error_get(sc_result_error(r),
						"type"), "COMPATIBILITY");
				}
				sc_result_free(r);
			}
			{
				/* units the server says it used */
				sc_result *r = NULL;
				CHECK(vcall(&f, "odometer", vid, p, &r) == 0);
				CHECK_STR(sc_result_get_string(r,
						"meta.unit_system"),
					  units ? "imperial" : "metric");
				sc_result_free(r);
			}
			sc_params_free(p);
		}
	}
	fleet_free(&f);
}

static int number(const sc_result *r, const char *path, double *d)
{
	return sc_result_get_number(r, path, d);
}

TEST(endpoints_commands_change_state)
{
	struct fleet f;
	const char *bev = NULL;
	sc_result *r = NULL, *attr = NULL;
	sc_params *p = NULL;
	double limit = 0;
	int v;
	char body[256], path[256];

	REQUIRE(t_emulator());
	REQUIRE(fleet_login(&f, "commands@example.com") == 0);
	for (v = 0; v < 3 && !bev; v++) {
		char key[32];
		const char *vid;
		snprintf(key, sizeof(key), "vehicles.%d", v);
		vid = sc_result_get_string(f.veh, key);
		vcall(&f, "attributes", vid, NULL, &attr);
		if (!strcmp(sc_result_get_string(attr, "make"), "TESLA"))
			bev = vid;
		sc_result_free(attr);
	}
	REQUIRE(bev);
	sc_params_new(&p);

	CHECK(vcall(&f, "lock", bev, p, &r) == 0);
	CHECK_STR(sc_result_get_string(r, "status"), "success");
	sc_result_free(r);
	CHECK(vcall(&f, "lock_status", bev, p, &r) == 0);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(sc_result_data(r),
					       "is_locked")));
	sc_result_free(r);
	CHECK(vcall(&f, "unlock", bev, p, &r) == 0);
	sc_result_free(r);
	CHECK(vcall(&f, "lock_status", bev, p, &r) == 0);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(sc_result_data(r),
						"is_locked")));
	sc_result_free(r);

	sc_params_set(p, "limit", "0.7");
	CHECK(vcall(&f, "set_charge_limit", bev, p, &r) == 0);
	sc_result_free(r);
	sc_params_set(p, "limit", NULL);
	CHECK(vcall(&f, "get_charge_limit", bev, p, &r) == 0);
	CHECK(number(r, "limit", &limit) == 0 && fabs(limit - 0.7) < 1e-9);
	sc_result_free(r);
	sc_params_set(p, "limit", "0.2");
	CHECK(vcall(&f, "set_charge_limit", bev, p, &r) == SC_EAPI);
	CHECK_STR(sc_error_get(sc_result_error(r), "type"), "VALIDATION");
	sc_result_free(r);
	sc_params_set(p, "limit", NULL);

	/* plugged in, charging follows start and stop */
	snprintf(path, sizeof(path), "/_emulator/vehicles/%s", bev);
	snprintf(body, sizeof(body), "{\"plugged_in\": true}");
	free(t_control(path, body));
	CHECK(vcall(&f, "start_charge", bev, p, &r) == 0);
	sc_result_free(r);
	CHECK(vcall(&f, "charge", bev, p, &r) == 0);
	CHECK_STR(sc_result_get_string(r, "state"), "CHARGING");
	sc_result_free(r);
	CHECK(vcall(&f, "stop_charge", bev, p, &r) == 0);
	sc_result_free(r);
	CHECK(vcall(&f, "charge", bev, p, &r) == 0);
	CHECK(strcmp(sc_result_get_string(r, "state"), "CHARGING") != 0);
	sc_result_free(r);

	sc_params_set(p, "latitude", "37.4292");
	sc_params_set(p, "longitude", "-122.1381");
	CHECK(vcall(&f, "send_destination", bev, p, &r) == 0);
	sc_result_free(r);
	sc_params_set(p, "latitude", "91");
	CHECK(vcall(&f, "send_destination", bev, p, &r) == SC_EINVAL);
	sc_result_free(r);
	sc_params_free(p);
	fleet_free(&f);
}

TEST(endpoints_batch_raw_paging_history_disconnect)
{
	struct fleet f;
	sc_result *r = NULL;
	sc_params *p = NULL;
	const char *vid;
	double count = 0;
	const cJSON *resp, *item;
	int ok = 0, bad = 0;

	REQUIRE(t_emulator());
	REQUIRE(fleet_login(&f, "batchy@example.com") == 0);
	vid = sc_result_get_string(f.veh, "vehicles.0"); /* the BEV first */
	p = T_PARAMS("paths", "/odometer /location / /fuel");
	CHECK(vcall(&f, "batch", vid, p, &r) == 0);
	resp = cJSON_GetObjectItem(sc_result_data(r), "responses");
	cJSON_ArrayForEach(item, resp) {
		if (cJSON_GetObjectItem(item, "data"))
			ok++;
		if (cJSON_GetObjectItem(item, "error"))
			bad++;
	}
	CHECK(cJSON_GetArraySize(resp) == 4);
	CHECK(ok >= 3);
	sc_result_free(r);
	sc_params_free(p);

	CHECK(VCALL(&f, "request", vid, &r, "method", "GET", "path",
		    "odometer") == 0);
	CHECK(number(r, "body.distance", &count) == 0 && count > 0);
	sc_result_free(r);
	CHECK(VCALL(&f, "permissions", vid, &r, "limit", "2", "offset",
		    "1") == 0);
	CHECK(number(r, "paging.offset", &count) == 0 && count == 1);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(sc_result_data(r),
						     "permissions")) <= 2);
	sc_result_free(r);
	CHECK(VCALL(&f, "service_history", vid, &r, "start_date",
		    "2020-01-01", "end_date", "2030-12-31") == 0);
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(sc_result_data(r), "items")));
	sc_result_free(r);

	CHECK(vcall(&f, "disconnect", vid, NULL, &r) == 0);
	sc_result_free(r);
	CHECK(vcall(&f, "odometer", vid, NULL, &r) == SC_EAPI);
	CHECK(sc_error_status_code(sc_result_error(r)) == 403);
	sc_result_free(r);
	fleet_free(&f);
}
