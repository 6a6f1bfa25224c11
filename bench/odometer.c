/* The C core's share of an odometer() call: N calls through sc_call() on
 * one client (origins from SMARTCAR_API_ORIGIN, the CA bundle from
 * SSL_CERT_FILE), each with the parameters the bindings pass (vehicle_id,
 * access_token, unit_system) in a new sc_params, as a binding builds them.
 * Prints the CPU time per call in microseconds.  bench/perf.py runs it
 * next to bench/raw_curl.c (its _cpu_c_* details); under callgrind it
 * shows where the library spends instructions beyond libcurl's.
 *
 *   sc_bench_odometer N */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <smartcar.h>

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One call: 0 when it answered with a numeric distance. */
static int odometer(sc_client *client)
{
	sc_params *p = NULL;
	sc_result *res = NULL;
	double km;
	int rc = sc_params_new(&p);

	if (rc == 0)
		rc = sc_params_set(p, "vehicle_id", "veh-1");
	if (rc == 0)
		rc = sc_params_set(p, "access_token", "tok-1");
	if (rc == 0)
		rc = sc_params_set(p, "unit_system", "metric");
	if (rc == 0)
		rc = sc_call(&res, client, "odometer", p);
	if (rc == 0)
		rc = sc_result_get_number(res, "distance", &km);
	if (rc != 0)
		fprintf(stderr, "odometer: %s\n", res && sc_result_error(res)
			? sc_error_message(sc_result_error(res))
			: sc_strerror(rc));
	sc_result_free(res);
	sc_params_free(p);
	return rc;
}

int main(int argc, char **argv)
{
	sc_client *client = NULL;
	sc_error *err = NULL;
	double t0;
	long i, n;

	if (argc < 2)
		return 2;
	n = atol(argv[1]);
	sc_global_init();
	if (sc_client_new(&client, NULL, &err) < 0) {
		fprintf(stderr, "client: %s\n", sc_error_message(err));
		sc_error_free(err);
		return 1;
	}
	/* the first call opens the connection, outside the measurement */
	if (odometer(client) != 0)
		return 1;
	t0 = cpu_now();
	for (i = 0; i < n; i++)
		if (odometer(client) != 0)
			return 1;
	printf("%.3f\n", (cpu_now() - t0) / n * 1e6);
	sc_client_free(client);
	return 0;
}
