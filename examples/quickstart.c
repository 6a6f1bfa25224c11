/* The flow in C: exchange a code, list vehicles, read odometers.
 * Build: cc quickstart.c $(pkg-config --cflags --libs smartcar libcurl libcjson)
 * Usage: quickstart CODE   (origins from SMARTCAR_*_ORIGIN, credentials
 *        from SMARTCAR_CLIENT_ID / _SECRET / SMARTCAR_REDIRECT_URI) */
#include <stdio.h>
#include <smartcar.h>

int main(int argc, char **argv)
{
	sc_client *client = NULL;
	sc_result *tokens = NULL, *vehicles = NULL;
	sc_error *err = NULL;
	const char *token, *vid;
	int i, rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: %s AUTHORIZATION_CODE\n", argv[0]);
		return 2;
	}
	sc_global_init();
	if (sc_client_new(&client, NULL, &err) < 0) {
		fprintf(stderr, "client: %s\n", sc_error_message(err));
		sc_error_free(err);
		return 1;
	}
	if (sc_exchange_code(&tokens, client, argv[1], NULL) < 0) {
		fprintf(stderr, "exchange: %s\n",
			sc_error_message(sc_result_error(tokens)));
		goto out;
	}
	token = sc_result_get_string(tokens, "access_token");
	if (sc_get_vehicles(&vehicles, client, token, -1, -1) < 0) {
		fprintf(stderr, "vehicles: %s\n",
			sc_error_message(sc_result_error(vehicles)));
		goto out;
	}
	for (i = 0;; i++) {
		char path[32];
		sc_result *odo = NULL;
		double km;
		snprintf(path, sizeof(path), "vehicles.%d", i);
		vid = sc_result_get_string(vehicles, path);
		if (!vid)
			break;
		if (sc_vehicle_odometer(&odo, client, vid, token, NULL) == 0 &&
		    sc_result_get_number(odo, "distance", &km) == 0)
			printf("%s  %.1f km\n", vid, km);
		else
			printf("%s  %s\n", vid,
			       sc_error_message(sc_result_error(odo)));
		sc_result_free(odo);
	}
	rc = 0;
out:
	sc_result_free(tokens);
	sc_result_free(vehicles);
	sc_client_free(client);
	return rc;
}
