/* Token stores: save-before-use, refresh on expiry and on 401,
 * single-flight refresh across threads, and the compare-and-swap that
 * settles races between processes. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/wait.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "test.h"

static sc_result *login_tokens(sc_client *c, const char *email,
			       char *vid, size_t vlen)
{
	sc_result *veh, *tok = t_owner_tokens(c, email, "read_odometer", &veh,
					      NULL);
	if (veh)
		snprintf(vid, vlen, "%s",
			 sc_result_get_string(veh, "vehicles.0"));
	sc_result_free(veh);
	return tok;
}

/* A JSON copy of tokens whose access token looks expired to the client. */
static cJSON *aged(const sc_result *tok)
{
	char *json = NULL;
	cJSON *d;
	sc_result_to_json(&json, tok);
	d = cJSON_Parse(json);
	sc_free(json);
	cJSON_ReplaceItemInObject(d, "expiration", cJSON_CreateNumber(1000));
	return d;
}


static void clear_requests(void)
{
	CURL *h = curl_easy_init();
	char url[300];
	snprintf(url, sizeof(url), "%s/_emulator/requests", t_emulator());
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_perform(h);
	curl_easy_cleanup(h);
}

/* store a token set given as cJSON through a raw store save */
static void put_json(sc_token_store *s, const char *key, cJSON *d)
{
	char *json = cJSON_PrintUnformatted(d);
	s->save(s, key, NULL, cJSON_GetStringValue(cJSON_GetObjectItem(d,
		"refresh_token")), json);
	free(json);
}

static sc_params *odo(const char *vid)
{
	return T_PARAMS("vehicle_id", vid);
}

/* An owner of the shared emulator: a client, email's tokens, a store in
 * memory and odometer parameters for the first vehicle. */
struct owner {
	sc_client *c;
	sc_token_store *s;
	sc_result *tok;
	sc_params *p;
	char vid[64];
};

static int owner_open(struct owner *o, const char *email)
{
	memset(o, 0, sizeof(*o));
	if (!t_emulator() || !(o->c = t_client(t_emulator(), NULL)) ||
	    sc_token_store_sqlite_new(&o->s, ":memory:", NULL) != 0)
		return -1;
	o->tok = login_tokens(o->c, email, o->vid, sizeof(o->vid));
	o->p = odo(o->vid);
	return o->tok && o->vid[0] ? 0 : -1;
}

/* The same offline: t_offline_client, no tokens, vehicle "v1". */
static int offline_open(struct owner *o)
{
	memset(o, 0, sizeof(*o));
	o->p = odo("v1");
	o->c = t_offline_client();
	return o->c && sc_token_store_sqlite_new(&o->s, ":memory:", NULL) == 0
		       ? 0 : -1;
}

/* An odometer op on o's vehicle, stored under "u", or NULL. */
static sc_op *u_odometer(struct owner *o)
{
	sc_op *op = NULL;
	return sc_op_new_stored(&op, o->c, o->s, "u", "odometer", o->p,
				NULL) == 0 ? op : NULL;
}

static void owner_close(struct owner *o)
{
	sc_params_free(o->p);
	sc_result_free(o->tok);
	sc_token_store_free(o->s);
	sc_client_free(o->c);
}

TEST(store_sqlite_roundtrip)
{
	char path[] = "/tmp/sc-store-XXXXXX";
	sc_token_store *s = NULL;
	sc_result *r = NULL;
	sc_error *err = NULL;
	int fd = mkstemp(path);

	REQUIRE(fd >= 0);
	close(fd);
	unlink(path);
	REQUIRE(sc_token_store_sqlite_new(&s, path, NULL) == 0);
	CHECK(access(path, R_OK) == 0);
	CHECK(sc_token_store_load(&r, s, "nobody", &err) == SC_ENOTFOUND);
	CHECK(r == NULL);
	CHECK_STR(sc_error_get(err, "kind"), "not_found");
	sc_error_free(err);
	CHECK(sc_token_expired(1000, 0) == 1);
	CHECK(sc_token_expired(4102444800.0, 60) == 0);
	sc_token_store_free(s);
	unlink(path);
}

TEST(store_refreshes_on_expiry_and_saves_first)
{
	struct owner o;
	sc_result *r = NULL, *now = NULL;
	cJSON *old;

	REQUIRE(owner_open(&o, "store1@example.com") == 0);
	old = aged(o.tok);
	put_json(o.s, "user-1", old);
	clear_requests();
	CHECK(sc_call_stored(&r, o.c, o.s, "user-1", "odometer", o.p) == 0);
	CHECK(t_requests_to("/oauth/token") == 1);
	REQUIRE(sc_token_store_load(&now, o.s, "user-1", NULL) == 0);
	/* rotated and saved */
	CHECK(strcmp(sc_result_get_string(now, "refresh_token"),
		     sc_result_get_string(o.tok, "refresh_token")) != 0);
	sc_result_free(now);
	sc_result_free(r);
	/* fresh now: no second refresh */
	CHECK(sc_call_stored(&r, o.c, o.s, "user-1", "odometer", o.p) == 0);
	CHECK(t_requests_to("/oauth/token") == 1);
	sc_result_free(r);
	cJSON_Delete(old);
	owner_close(&o);
}

TEST(store_refreshes_once_on_401)
{
	struct owner o;
	sc_result *r = NULL;

	REQUIRE(owner_open(&o, "store401@example.com") == 0);
	REQUIRE(sc_token_store_save(o.s, "k", o.tok, NULL) == 0);
	/* the server's clock passes the access token's life */
	t_advance(7300);
	CHECK(sc_call_stored(&r, o.c, o.s, "k", "odometer", o.p) == 0);
	sc_result_free(r);
	owner_close(&o);
}

struct racer {
	sc_client *c;
	sc_token_store *s;
	const char *vid;
	int rc;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	sc_result *res = NULL;
	sc_params *p = odo(r->vid);
	r->rc = sc_call_stored(&res, r->c, r->s, "racy", "odometer", p);
	sc_result_free(res);
	sc_params_free(p);
	return NULL;
}

TEST(store_single_flight_across_threads)
{
	struct owner o;
	cJSON *old;
	pthread_t th[6];
	struct racer rs[6];
	int i;

	REQUIRE(owner_open(&o, "racy@example.com") == 0);
	old = aged(o.tok);
	put_json(o.s, "racy", old);
	clear_requests();
	for (i = 0; i < 6; i++) {
		rs[i] = (struct racer){ o.c, o.s, o.vid, -99 };
		pthread_create(&th[i], NULL, race, &rs[i]);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		CHECK(rs[i].rc == 0);
	}
	CHECK(t_requests_to("/oauth/token") == 1);
	cJSON_Delete(old);
	owner_close(&o);
}

/* A store wrapper whose first guarded save loses to "another process". */
struct racing_store {
	sc_token_store base;
	sc_token_store *inner;
	char *winner;     /* JSON the other process saves */
	int lost;
};

static int rs_load(sc_token_store *s, const char *k, char **out)
{
	struct racing_store *r = (struct racing_store *)s;
	return r->inner->load(r->inner, k, out);
}

static int rs_save(sc_token_store *s, const char *k, const char *exp,
		   const char *rt, const char *json)
{
	struct racing_store *r = (struct racing_store *)s;
	if (exp && !r->lost) {
		cJSON *w = cJSON_Parse(r->winner);
		r->lost = 1;
		r->inner->save(r->inner, k, NULL, cJSON_GetStringValue(
			cJSON_GetObjectItem(w, "refresh_token")), r->winner);
		cJSON_Delete(w);
		/* now the guarded save sees a different refresh token */
	}
	return r->inner->save(r->inner, k, exp, rt, json);
}

static int rs_remove(sc_token_store *s, const char *k)
{
	struct racing_store *r = (struct racing_store *)s;
	return r->inner->remove(r->inner, k);
}

static void rs_free(sc_token_store *s)
{
	(void)s;
}

TEST(store_cas_loser_adopts_the_winner)
{
	const char *base = t_emulator();
	sc_client *c = t_client(base, NULL);
	struct racing_store rs;
	sc_result *tok, *tok2, *r = NULL, *now = NULL;
	cJSON *old;
	char vid[64] = "", vid2[64] = "";
	sc_params *p;

	REQUIRE(base && c);
	memset(&rs, 0, sizeof(rs));
	REQUIRE(sc_token_store_sqlite_new(&rs.inner, ":memory:", NULL) == 0);
	rs.base.version = SC_TOKEN_STORE_VERSION;
	rs.base.load = rs_load;
	rs.base.save = rs_save;
	rs.base.remove = rs_remove;
	rs.base.free = rs_free;
	tok = login_tokens(c, "cas@example.com", vid, sizeof(vid));
	/* the "other process" holds a newer, valid set */
	tok2 = login_tokens(c, "cas@example.com", vid2, sizeof(vid2));
	REQUIRE(tok && tok2);
	sc_result_to_json(&rs.winner, tok2);
	old = aged(tok);
	put_json(&rs.base, "cas", old);
	p = odo(vid);
	CHECK(sc_call_stored(&r, c, &rs.base, "cas", "odometer", p) == 0);
	CHECK(rs.lost == 1);
	REQUIRE(sc_token_store_load(&now, &rs.base, "cas", NULL) == 0);
	CHECK_STR(sc_result_get_string(now, "refresh_token"),
		  sc_result_get_string(tok2, "refresh_token"));
	sc_result_free(now);
	sc_result_free(r);
	sc_params_free(p);
	cJSON_Delete(old);
	sc_free(rs.winner);
	sc_result_free(tok);
	sc_result_free(tok2);
	sc_token_store_free(rs.inner);
	sc_client_free(c);
}

TEST(store_dead_refresh_token_is_an_oauth_error)
{
	struct owner o;
	const char *const secrets[] = { "not-a-refresh-token-1" };
	sc_result *r = NULL;
	cJSON *old;

	REQUIRE(owner_open(&o, "dead@example.com") == 0);
	old = aged(o.tok);
	cJSON_ReplaceItemInObject(old, "refresh_token",
				  cJSON_CreateString("not-a-refresh-token-1"));
	put_json(o.s, "dead", old);
	CHECK(sc_call_stored(&r, o.c, o.s, "dead", "odometer", o.p) ==
	      SC_EOAUTH);
	CHECK_STR(sc_error_get(sc_result_error(r), "type"), "invalid_grant");
	CHECK(t_result_clean(r, secrets, 1));
	sc_result_free(r);
	cJSON_Delete(old);
	owner_close(&o);
}

TEST(store_put_json_and_storage_errors)
{
	sc_token_store *s = NULL;
	sc_error *err = NULL;
	sc_result *r = NULL;

	REQUIRE(sc_token_store_sqlite_new(&s, ":memory:", NULL) == 0);
	CHECK(sc_token_store_save_json(s, "k", "{\"access_token\":\"a1\","
				       "\"refresh_token\":\"r1\","
				       "\"expiration\":1}", &err) == 0);
	CHECK(err == NULL);
	CHECK(sc_token_store_load(&r, s, "k", &err) == 0);
	CHECK_STR(sc_result_get_string(r, "refresh_token"), "r1");
	sc_result_free(r);
	/* every failure hands its details back through err_out */
	CHECK(sc_token_store_save_json(s, "k", "{\"access_token\":\"a1\"}",
				       &err) == SC_EINVAL);
	CHECK(sc_error_code(err) == SC_EINVAL);
	CHECK_STR(sc_error_message(err),
		  "the token set is not a valid token object");
	sc_error_free(err);
	err = NULL;
	CHECK(sc_token_store_save_json(s, "k", "not json", NULL) == SC_EINVAL);
	CHECK(sc_token_store_save(s, "", NULL, &err) == SC_EINVAL);
	CHECK_STR(sc_error_get(err, "kind"), "invalid_argument");
	sc_error_free(err);
	err = NULL;
	CHECK(sc_token_store_remove(s, "", &err) == SC_EINVAL);
	CHECK_STR(sc_error_get(err, "kind"), "invalid_argument");
	sc_error_free(err);
	err = NULL;
	CHECK(sc_token_store_remove(s, "k", &err) == 0);
	CHECK(err == NULL);
	CHECK(sc_token_store_load(&r, s, "k", &err) == SC_ENOTFOUND);
	CHECK(r == NULL);
	CHECK_STR(sc_error_message(err),
		  "no token set is stored under that key");
	sc_error_free(err);
	err = NULL;
	sc_token_store_free(s);
	CHECK(sc_token_store_sqlite_new(&s, "/nonexistent-dir/x/tokens.db",
					&err) == SC_ESTORAGE);
	CHECK_STR(sc_error_get(err, "kind"), "storage");
	sc_error_free(err);
}

/* The 0.1.0 names still work, with their old error style. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(store_deprecated_names_keep_working)
{
	sc_token_store *s = NULL;
	sc_result *r = NULL;

	REQUIRE(sc_token_store_sqlite_new(&s, ":memory:", NULL) == 0);
	CHECK(sc_token_store_put_json(s, "k", "{\"access_token\":\"a1\","
				      "\"refresh_token\":\"r1\"}") == 0);
	CHECK(sc_token_store_put_json(s, "k", "[]") == SC_EINVAL);
	CHECK(sc_token_store_get(&r, s, "k") == 0);
	CHECK_STR(sc_result_get_string(r, "access_token"), "a1");
	CHECK(sc_token_store_put(s, "k2", r) == 0);
	sc_result_free(r);
	CHECK(sc_token_store_delete(s, "k") == 0);
	CHECK(sc_token_store_get(&r, s, "k") == SC_ENOTFOUND);
	CHECK_STR(sc_error_get(sc_result_error(r), "kind"), "not_found");
	sc_result_free(r);
	CHECK(sc_token_store_get(&r, s, "k2") == 0);
	sc_result_free(r);
	CHECK(sc_token_store_refresh(NULL, NULL, s, "k2") == SC_EINVAL);
	sc_token_store_free(s);
}
#pragma GCC diagnostic pop

/* ---- the store as steps of the sans-IO op (canned answers) ------------ */

static void put_set(sc_token_store *s, const char *key, const char *access,
		    const char *refresh, double expiration)
{
	char json[256];
	snprintf(json, sizeof(json), "{\"access_token\":\"%s\","
		 "\"refresh_token\":\"%s\",\"expiration\":%.0f}", access,
		 refresh, expiration);
	sc_token_store_save_json(s, key, json, NULL);
}

static const char *stored(sc_token_store *s, const char *key,
			  const char *field, char *buf, size_t n)
{
	sc_result *r = NULL;
	sc_token_store_load(&r, s, key, NULL);
	snprintf(buf, n, "%s", r ? sc_result_get_string(r, field) : "");
	sc_result_free(r);
	return buf;
}


static const char *AUTH_401 =
	"{\"type\":\"AUTHENTICATION\",\"code\":null,\"description\":\"d\","
	"\"docURL\":\"u\",\"statusCode\":401,\"requestId\":\"r\","
	"\"resolution\":{\"type\":\"REAUTHENTICATE\"}}";

TEST(store_op_refreshes_saves_then_sends_and_once_after_401)
{
	struct owner o;
	sc_op *op = NULL;
	sc_result *res = NULL;
	const sc_request *req;
	char buf[64];
	size_t len;

	REQUIRE(offline_open(&o) == 0);
	put_set(o.s, "u", "access-1", "refresh-1", 1000);
	REQUIRE((op = u_odometer(&o)));
	/* expired: the refresh grant goes first, with the stored token */
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK_STR(sc_request_url(req), "https://auth.example.com/oauth/token");
	CHECK(strstr(sc_request_body(req, &len),
		     "refresh_token=refresh-1") != NULL);
	CHECK(sc_op_feed(op, t_token_reply("access-2", "refresh-2")) == 0);
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	/* saved before it is used */
	CHECK_STR(stored(o.s, "u", "refresh_token", buf, sizeof(buf)),
		  "refresh-2");
	CHECK_STR(sc_request_url(req),
		  "https://api.example.com/v2.0/vehicles/v1/odometer");
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-2");
	/* the server refuses it: one more refresh, then the call again */
	CHECK(sc_op_feed(op, t_response(401, "application/json",
					 AUTH_401)) == 0);
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK(strstr(sc_request_body(req, &len),
		     "refresh_token=refresh-2") != NULL);
	CHECK(sc_op_feed(op, t_token_reply("access-3", "refresh-3")) == 0);
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-3");
	CHECK_STR(stored(o.s, "u", "access_token", buf, sizeof(buf)),
		  "access-3");
	/* a second 401 is the answer: no refresh loop */
	CHECK(sc_op_feed(op, t_response(401, "application/json",
					 AUTH_401)) == 0);
	CHECK(sc_op_next(op, &req) == SC_STEP_DONE);
	CHECK(sc_op_result(&res, op) == SC_EAPI);
	CHECK(sc_error_status_code(sc_result_error(res)) == 401);
	sc_result_free(res);
	sc_op_free(op);
	owner_close(&o);
}

TEST(store_op_single_flight_waits_and_adopts)
{
	struct owner o;
	sc_op *a = NULL, *b = NULL;
	sc_result *res = NULL;
	const sc_request *req;
	sc_error *err = NULL;

	REQUIRE(offline_open(&o) == 0);
	put_set(o.s, "u", "access-1", "refresh-1", 1000);
	REQUIRE((a = u_odometer(&o)));
	REQUIRE((b = u_odometer(&o)));
	REQUIRE(sc_op_next(a, &req) == SC_STEP_SEND); /* a refreshes */
	/* b finds the refresh under way on one thread: it waits, then
	 * adopts a's set */
	t_check_adopted(a, b, sc_op_next);
	CHECK(sc_op_feed(b, t_response(200, "application/json",
				       "{\"distance\":5}")) == 0);
	CHECK(sc_op_next(b, &req) == SC_STEP_DONE);
	CHECK(sc_op_result(&res, b) == 0);
	sc_result_free(res);
	sc_op_free(a); /* freed mid-call: nothing is left held */
	sc_op_free(b);
	/* the key is free again; tokens in params are refused */
	sc_params_set(o.p, "access_token", "x");
	CHECK(sc_op_new_stored(&a, o.c, o.s, "u", "odometer", o.p, &err) ==
	      SC_EINVAL);
	CHECK(err && strstr(sc_error_message(err), "store"));
	sc_error_free(err);
	owner_close(&o);
}

TEST(store_call_many_refreshes_once_after_401)
{
	struct owner o;
	sc_result *res[4] = { NULL };
	sc_op *ops[4] = { NULL };
	int i;

	REQUIRE(owner_open(&o, "store-many@example.com") == 0);
	REQUIRE(sc_token_store_save(o.s, "m", o.tok, NULL) == 0);
	/* the server's clock passes the access token's life: 401s */
	t_advance(7300);
	clear_requests();
	for (i = 0; i < 4; i++)
		REQUIRE(sc_op_new_stored(&ops[i], o.c, o.s, "m", "odometer",
					 o.p, NULL) == 0);
	CHECK(sc_call_many_ops(res, o.c, ops, 4, 4, NULL, NULL) == 0);
	for (i = 0; i < 4; i++) {
		CHECK(res[i] && !sc_result_error(res[i]));
		sc_result_free(res[i]);
	}
	CHECK(t_requests_to("/oauth/token") == 1);
	owner_close(&o);
}

/* ---- refresh leases ----------------------------------------------------- */

static double lease_deadline(sc_token_store *s, const char *key, char *owner,
			     size_t n)
{
	char *o = NULL;
	double d = -1;
	if (s->lease_get(s, key, &o, &d) != 0)
		return -1;
	snprintf(owner, n, "%s", o);
	free(o);
	return d;
}

static const char *ODO_200 = "{\"distance\":5}";

TEST(store_lease_stale_one_refreshes_at_once_and_save_ends_it)
{
	struct owner o;
	sc_op *op = NULL;
	sc_result *res = NULL;
	const sc_request *req;
	char owner[128], buf[64];
	size_t len;

	REQUIRE(offline_open(&o) == 0);
	REQUIRE(o.s->version >= 3 && o.s->lease_take && o.s->lease_get &&
		o.s->lease_end);
	put_set(o.s, "u", "access-1", "refresh-1", 4102444800.0);
	/* no lease on a missing key; a lease of a process elsewhere whose
	 * deadline has passed: its grant may have used refresh-1 */
	CHECK(o.s->lease_take(o.s, "nobody", NULL, "r", "x:1:n", 1) ==
	      SC_ENOTFOUND);
	/* not over a set that changed since it was read */
	CHECK(o.s->lease_take(o.s, "u", NULL, "refresh-0", "elsewhere:1:n",
			    1000) == SC_ECONFLICT);
	CHECK(o.s->lease_take(o.s, "u", NULL, "refresh-1", "elsewhere:1:n",
			    1000) == 0);
	CHECK(o.s->lease_take(o.s, "u", NULL, "refresh-1", "elsewhere:2:n",
			    1000) == SC_ECONFLICT);
	REQUIRE((op = u_odometer(&o)));
	/* the access token is fresh, yet the op refreshes first */
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK(strstr(sc_request_body(req, &len), "refresh_token=refresh-1")
	      != NULL);
	/* the intent is recorded, ours now, before the grant goes */
	CHECK(lease_deadline(o.s, "u", owner, sizeof(owner)) >
	      (double)time(NULL));
	CHECK(strcmp(owner, "elsewhere:1:n") != 0);
	CHECK(sc_op_feed(op, t_token_reply("access-2", "refresh-2")) == 0);
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-2");
	/* the save ended the lease */
	CHECK(lease_deadline(o.s, "u", owner, sizeof(owner)) == -1);
	CHECK_STR(stored(o.s, "u", "refresh_token", buf, sizeof(buf)),
		  "refresh-2");
	CHECK(sc_op_feed(op, t_response(200, "application/json",
					ODO_200)) == 0);
	CHECK(sc_op_next(op, &req) == SC_STEP_DONE);
	CHECK(sc_op_result(&res, op) == 0);
	sc_result_free(res);
	sc_op_free(op);
	/* no lease: no refresh */
	REQUIRE((op = u_odometer(&o)));
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-2");
	sc_op_free(op);
	owner_close(&o);
}

TEST(store_lease_live_one_is_waited_for_a_dead_owner_is_not)
{
	struct owner o;
	sc_op *op = NULL;
	const sc_request *req;
	char host[64], dead[128], owner[128];
	pid_t pid;
	int i, step = -1;

	REQUIRE(offline_open(&o) == 0);
	put_set(o.s, "u", "access-1", "refresh-1", 1000); /* expired */
	CHECK(o.s->lease_take(o.s, "u", NULL, "refresh-1", "elsewhere:7:n",
			    (double)time(NULL) + 300) == 0);
	REQUIRE((op = u_odometer(&o)));
	/* another host is refreshing it: no grant of ours, we wait */
	CHECK(sc_op_next(op, &req) == SC_STEP_WAIT);
	CHECK(sc_op_next(op, &req) == SC_STEP_WAIT);
	/* it gave up (lease ended without a set): we refresh at once */
	CHECK(o.s->lease_end(o.s, "u", "elsewhere:7:n") == 0);
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK(strstr(sc_request_url(req), "/oauth/token") != NULL);
	/* a failed grant (every attempt) leaves our lease stale */
	CHECK(sc_op_fail(op, SC_ENETWORK, "down") == 0);
	for (i = 0; i < 10 && (step = sc_op_next(op, &req)) != SC_STEP_DONE;
	     i++)
		if (step == SC_STEP_SEND)
			sc_op_fail(op, SC_ENETWORK, "down");
	CHECK(step == SC_STEP_DONE);
	sc_op_free(op);
	CHECK(lease_deadline(o.s, "u", owner, sizeof(owner)) == 0);

	/* a live deadline but an owner process of this host that is gone */
	put_set(o.s, "u", "access-1", "refresh-1", 4102444800.0);
	pid = fork();
	if (pid == 0) {
		/* exec, so that under valgrind the child is not a copy of
		 * this process whose exit reports its blocks as leaks */
		execl("/bin/true", "true", (char *)NULL);
		_exit(0);
	}
	REQUIRE(pid > 0);
	waitpid(pid, NULL, 0);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(dead, sizeof(dead), "%s:%ld:n", host, (long)pid);
	CHECK(o.s->lease_take(o.s, "u", NULL, "refresh-1", dead,
			    (double)time(NULL) + 300) == 0);
	REQUIRE((op = u_odometer(&o)));
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK(strstr(sc_request_url(req), "/oauth/token") != NULL);
	/* that refresh fails: the call still goes with the token it has */
	CHECK(sc_op_feed(op, t_response(400, "application/json",
		"{\"error\":\"invalid_grant\",\"error_description\":\"x\"}"))
	      == 0);
	REQUIRE(sc_op_next(op, &req) == SC_STEP_SEND);
	CHECK_STR(sc_request_header(req, "Authorization"), "Bearer access-1");
	sc_op_free(op);
	owner_close(&o);
}

TEST(store_lease_makes_another_process_wait)
{
	sc_client *c = t_offline_client();
	char path[] = "/tmp/sc-lease-XXXXXX";
	sc_token_store *s1 = NULL, *s2 = NULL;
	sc_op *a = NULL, *b = NULL;
	const sc_request *req;
	sc_params *p = odo("v1");
	int fd = mkstemp(path);

	REQUIRE(c && fd >= 0);
	close(fd);
	unlink(path);
	/* two handles on one file stand for two processes */
	REQUIRE(sc_token_store_sqlite_new(&s1, path, NULL) == 0);
	REQUIRE(sc_token_store_sqlite_new(&s2, path, NULL) == 0);
	put_set(s1, "u", "access-1", "refresh-1", 1000); /* expired */
	REQUIRE(sc_op_new_stored(&a, c, s1, "u", "odometer", p, NULL) == 0);
	REQUIRE(sc_op_new_stored(&b, c, s2, "u", "odometer", p, NULL) == 0);
	REQUIRE(sc_op_next(a, &req) == SC_STEP_SEND); /* a's grant */
	/* b: another store handle, so not the in-process single flight:
	 * the lease alone makes it wait */
	t_check_adopted(a, b, sc_op_next);
	sc_op_free(a);
	sc_op_free(b);
	sc_params_free(p);
	sc_token_store_free(s1);
	sc_token_store_free(s2);
	unlink(path);
	sc_client_free(c);
}
