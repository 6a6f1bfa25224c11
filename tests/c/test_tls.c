/* TLS: verification is on by default and works with a CA bundle; a server
 * the client cannot verify is a typed TLS error; only the option whose
 * name says it is dangerous turns verification off. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

static pid_t tls_pid;
static char tls_url[256];
static char tls_dir[256];

static const char *tls_emulator(void)
{
	char cmd[1024], crt[300], key[300];
	const char *const args[] = { "--tls-cert", crt, "--tls-key", key,
				     NULL };

	if (tls_pid)
		return tls_url;
	snprintf(tls_dir, sizeof(tls_dir), "/tmp/sc-tls-test-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "sh %s/tests/tls/make-cert.sh %s "
		 ">/dev/null 2>&1", SC_SOURCE_DIR, tls_dir);
	if (system(cmd) != 0)
		return NULL;
	snprintf(crt, sizeof(crt), "%s/server.crt", tls_dir);
	snprintf(key, sizeof(key), "%s/server.key", tls_dir);
	tls_pid = t_emulator_spawn(args, tls_url, sizeof(tls_url));
	if (tls_pid < 0) {
		tls_pid = 0;
		return NULL;
	}
	return tls_url;
}

static void tls_stop(void)
{
	char cmd[300];
	t_emulator_stop(tls_pid);
	tls_pid = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
	if (tls_dir[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tls_dir);
}

static sc_client *tls_client(const char *ca, int insecure)
{
	sc_client_options o;

	t_app_options(&o, tls_url);
	o.ca_bundle = ca;
	o.insecure_skip_tls_verify_dangerous = insecure;
	o.max_attempts = 1;
	return t_client_from(&o);
}

TEST(tls_verification)
{
	char ca[300];
	sc_client *trusted, *untrusted, *dangerous;
	sc_result *r = NULL;

	REQUIRE(tls_emulator());
	CHECK(strncmp(tls_url, "https://", 8) == 0);
	snprintf(ca, sizeof(ca), "%s/ca.crt", tls_dir);
	trusted = tls_client(ca, 0);
	untrusted = tls_client(NULL, 0);
	dangerous = tls_client(NULL, 1);
	REQUIRE(trusted && untrusted && dangerous);

	/* the server answers 401 for a made-up token: TLS itself worked */
	CHECK(sc_get_user(&r, trusted, "made-up-token") == SC_EAPI);
	CHECK(sc_error_status_code(sc_result_error(r)) == 401);
	sc_result_free(r);

	CHECK(sc_get_user(&r, untrusted, "made-up-token") == SC_ETLS);
	CHECK_STR(sc_error_get(sc_result_error(r), "kind"), "tls");
	sc_result_free(r);

	CHECK(sc_get_user(&r, dangerous, "made-up-token") == SC_EAPI);
	sc_result_free(r);

	sc_client_free(trusted);
	sc_client_free(untrusted);
	sc_client_free(dangerous);
	tls_stop();
}

/* ---- connections and handshakes, counted by the server ----------------- */

#include <pthread.h>
#include "sc_internal.h"
#include "tserver.h"

static void *odometers(void *arg)
{
	sc_client *c = arg;
	int i;
	for (i = 0; i < 10; i++) {
		sc_result *r = NULL;
		if (sc_vehicle_odometer(&r, c, "veh-1", "tok-1", NULL) != 0)
			sc_test_failed_flag = 1;
		sc_result_free(r);
	}
	return NULL;
}

static sc_client *counted_client(const char *url, const char *ca)
{
	sc_client_options co = SC_CLIENT_OPTIONS_INIT;
	sc_client *c = NULL;
	co.api_origin = url;
	co.ca_bundle = ca;
	co.max_attempts = 1;
	sc_client_new(&c, &co, NULL);
	return c;
}

static int lock_call(sc_client *c)
{
	sc_result *r = NULL;
	int rc = sc_vehicle_call(&r, c, "lock", "veh-1", "tok-1", NULL);
	sc_result_free(r);
	return rc;
}

TEST(tls_one_full_handshake_then_resumptions)
{
	char dir[256], cmd[600], ca[300], url[128];
	t_server_opts o = { 0 };
	t_server_counts n;
	pthread_t th[8];
	sc_client *c;
	t_server *s;
	int i;

	snprintf(dir, sizeof(dir), "/tmp/sc-tls-count-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "sh %s/tests/tls/make-cert.sh %s "
		 ">/dev/null 2>&1", SC_SOURCE_DIR, dir);
	REQUIRE(system(cmd) == 0);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	o.tls_dir = dir;

	/* TLS 1.3: a read, then two commands on connections of their own,
	 * each resuming the session of the one before */
	REQUIRE((s = t_server_start(&o, url, sizeof(url))));
	REQUIRE((c = counted_client(url, ca)));
	odometers(c);
	CHECK(lock_call(c) == 0);
	CHECK(lock_call(c) == 0);
	t_server_counts_get(s, &n);
	CHECK(n.gets == 10 && n.posts == 2);
	CHECK(n.connections == 3);
	CHECK(n.full_handshakes == 1 && n.resumed == 2);
	sc_client_free(c);
	t_server_stop(s);

	/* 8 threads on one client: one full handshake, then at most one
	 * connection per thread, each resumed */
	o.tls12 = 1;
	REQUIRE((s = t_server_start(&o, url, sizeof(url))));
	REQUIRE((c = counted_client(url, ca)));
	odometers(c);
	for (i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, odometers, c);
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	CHECK(lock_call(c) == 0);
	t_server_counts_get(s, &n);
	CHECK(n.gets == 90 && n.posts == 1);
	CHECK(n.full_handshakes == 1);
	CHECK(n.full_handshakes + n.resumed == n.connections);
	CHECK(n.connections <= 8 + 1);
	CHECK(sc_client_connections_opened(c) == n.connections);
	/* the CA bundle was parsed once for all of them */
	CHECK(sc__curl_pool_ca_loads(c->pool) == 1);
	sc_client_free(c);
	t_server_stop(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}
