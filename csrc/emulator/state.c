/* Emulator state: configuration, clock, users and their fleets, grants,
 * authorization codes, access and refresh tokens. */
#include "emu.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

emu_config emu_cfg;

/* ----------------------------------------------------------- config */

static const char *const default_redirects[] = {
    "http://localhost:8000/callback",
    "https://example.com/callback",
    "sc8229df9f-91a0-4ff0-a1ae-a1f38ee24d07://exchange",
    "https://javascript-sdk.smartcar.com/v2/redirect?app_origin="
    "http://localhost:8000",
};

void emu_config_defaults(emu_config *c) {
  memset(c, 0, sizeof *c);
  c->client_id = emu_strdup("8229df9f-91a0-4ff0-a1ae-a1f38ee24d07");
  c->client_secret = emu_strdup("emulator-client-secret");
  c->management_token = emu_strdup("emulator-management-token");
  c->n_redirect_uris = sizeof default_redirects / sizeof default_redirects[0];
  c->redirect_uris = emu_xmalloc(c->n_redirect_uris * sizeof(char *));
  for (size_t i = 0; i < c->n_redirect_uris; i++)
    c->redirect_uris[i] = emu_strdup(default_redirects[i]);
  c->seed = 0;
  c->refresh_grace_s = 60;
  c->host = emu_strdup("127.0.0.1");
  c->port = 0;
}

void emu_config_free(emu_config *c) {
  free(c->client_id);
  free(c->client_secret);
  free(c->management_token);
  for (size_t i = 0; i < c->n_redirect_uris; i++) free(c->redirect_uris[i]);
  free(c->redirect_uris);
  free(c->host);
  memset(c, 0, sizeof *c);
}

const char *emu_redirect_uri_registered(const char *uri) {
  for (size_t i = 0; i < emu_cfg.n_redirect_uris; i++)
    if (strcmp(emu_cfg.redirect_uris[i], uri) == 0)
      return emu_cfg.redirect_uris[i];
  return NULL;
}

/* ------------------------------------------------------------ lock, clock */

static pthread_mutex_t state_mutex = PTHREAD_MUTEX_INITIALIZER;
/* The clock: real time + offset, or a frozen instant. Read with __atomic
 * builtins; changes are serialised by clock_mutex. */
#define NOT_FROZEN INT64_MIN
static pthread_mutex_t clock_mutex = PTHREAD_MUTEX_INITIALIZER;
static int64_t clock_offset_ms;
static int64_t frozen_ms = NOT_FROZEN;

void emu_lock(void) { pthread_mutex_lock(&state_mutex); }
void emu_unlock(void) { pthread_mutex_unlock(&state_mutex); }

int64_t emu_now_ms(void) {
  int64_t f = __atomic_load_n(&frozen_ms, __ATOMIC_SEQ_CST);
  if (f != NOT_FROZEN) return f;
  return emu_real_ms() + __atomic_load_n(&clock_offset_ms, __ATOMIC_SEQ_CST);
}

int64_t emu_clock_offset_ms(void) {
  int64_t f = __atomic_load_n(&frozen_ms, __ATOMIC_SEQ_CST);
  if (f != NOT_FROZEN) return f - emu_real_ms();
  return __atomic_load_n(&clock_offset_ms, __ATOMIC_SEQ_CST);
}

int emu_clock_frozen(void) {
  return __atomic_load_n(&frozen_ms, __ATOMIC_SEQ_CST) != NOT_FROZEN;
}

void emu_clock_advance_ms(int64_t delta) {
  pthread_mutex_lock(&clock_mutex);
  __atomic_add_fetch(&clock_offset_ms, delta, __ATOMIC_SEQ_CST);
  if (emu_clock_frozen())
    __atomic_add_fetch(&frozen_ms, delta, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&clock_mutex);
}

void emu_clock_set_ms(int64_t now_ms) {
  pthread_mutex_lock(&clock_mutex);
  __atomic_store_n(&clock_offset_ms, now_ms - emu_real_ms(), __ATOMIC_SEQ_CST);
  if (emu_clock_frozen()) __atomic_store_n(&frozen_ms, now_ms, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&clock_mutex);
}

void emu_clock_freeze(int frozen) {
  pthread_mutex_lock(&clock_mutex);
  if (frozen && !emu_clock_frozen()) {
    __atomic_store_n(&frozen_ms, emu_now_ms(), __ATOMIC_SEQ_CST);
  } else if (!frozen && emu_clock_frozen()) {
    int64_t f = __atomic_load_n(&frozen_ms, __ATOMIC_SEQ_CST);
    __atomic_store_n(&clock_offset_ms, f - emu_real_ms(), __ATOMIC_SEQ_CST);
    __atomic_store_n(&frozen_ms, NOT_FROZEN, __ATOMIC_SEQ_CST);
  }
  pthread_mutex_unlock(&clock_mutex);
}

static void clock_reset(void) {
  pthread_mutex_lock(&clock_mutex);
  __atomic_store_n(&frozen_ms, NOT_FROZEN, __ATOMIC_SEQ_CST);
  __atomic_store_n(&clock_offset_ms, 0, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&clock_mutex);
}

/* ----------------------------------------------------------- users, fleet */

static emu_user *users;

static int vin_value(char c) {
  static const char *const letters = "ABCDEFGHJKLMNPRSTUVWXYZ";
  static const int values[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                               5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
  if (c >= '0' && c <= '9') return c - '0';
  const char *p = strchr(letters, c);
  return p ? values[p - letters] : 0;
}

/* prefix: 8 chars (maker + descriptor); then the check digit, the model
 * year code, the plant and a six digit serial derived from the seed. */
static void make_vin(char out[18], const char *prefix, char year, char plant,
                     const unsigned char *d) {
  static const int weights[] = {8, 7, 6, 5, 4, 3, 2, 10, 0,
                                9, 8, 7, 6, 5, 4, 3, 2};
  memcpy(out, prefix, 8);
  out[8] = '0';
  out[9] = year;
  out[10] = plant;
  for (int i = 0; i < 6; i++) out[11 + i] = (char)('0' + d[i] % 10);
  out[17] = '\0';
  int sum = 0;
  for (int i = 0; i < 17; i++) sum += vin_value(out[i]) * weights[i];
  int check = sum % 11;
  out[8] = check == 10 ? 'X' : (char)('0' + check);
}

/* One vehicle of model m (make mk) at u->vehicles[u->n_vehicles]; label
 * names it in the derivation, so the same seed and email give the same
 * vehicle. */
static void add_vehicle(emu_user *u, const emu_make *mk, const emu_model *m,
                        const char *label) {
  emu_vehicle *v = &u->vehicles[u->n_vehicles++];
  unsigned char d[32];
  memset(v, 0, sizeof *v);
  emu_uuid_derive(v->id, emu_cfg.seed, u->email, label);
  emu_derive(d, emu_cfg.seed, u->email, label);
  make_vin(v->vin, m->vin_prefix, emu_vin_year_code(m->year), m->plant,
           d + 16);
  v->make = mk->id;
  v->model = m->model;
  v->year = m->year;
  v->engine = m->engine;
  uint64_t x = 0;
  for (int k = 0; k < 8; k++) x = (x << 8) | d[24 + k];
  v->odometer_km = 10000.0 + (double)(x % 700000) / 10.0;
  emu_vehicle_init(v, d, emu_now_ms());
}

/* The base fleet: the first model of the first three makes (makes.c). */
void emu_fleet_derive(emu_user *u) {
  static const char *const labels[EMU_FLEET_SIZE] = {
      "vehicle:bev", "vehicle:phev", "vehicle:ice"};
  size_t n;
  const emu_make *mk = emu_makes(&n);
  emu_uuid_derive(u->id, emu_cfg.seed, u->email, "user");
  u->n_vehicles = 0;
  for (int i = 0; i < EMU_FLEET_SIZE; i++)
    add_vehicle(u, &mk[i], &mk[i].models[0], labels[i]);
}

unsigned emu_user_add_make(emu_user *u, const char *make) {
  const emu_make *mk = emu_make_find(make);
  unsigned mask = 0;
  if (!mk) return 0;
  for (size_t k = 0; k < emu_make_models(mk); k++) {
    const emu_model *m = &mk->models[k];
    int have = 0;
    for (int i = 0; i < u->n_vehicles; i++)
      if (u->vehicles[i].model == m->model) have = 1;
    if (have || u->n_vehicles >= EMU_MAX_VEHICLES) continue;
    char label[64];
    snprintf(label, sizeof label, "vehicle:%s:%zu", mk->id, k);
    add_vehicle(u, mk, m, label);
    /* test vehicles that can charge start plugged in, so a charge
     * command works at once as in Smartcar's test mode */
    u->vehicles[u->n_vehicles - 1].plugged_in = m->engine != EMU_ICE;
  }
  for (int i = 0; i < u->n_vehicles; i++)
    if (strcmp(u->vehicles[i].make, mk->id) == 0) mask |= 1u << i;
  return mask;
}

emu_user *emu_users(void) { return users; }

emu_vehicle *emu_vehicle_find(const char *id, emu_user **owner, int *index) {
  for (emu_user *u = users; u; u = u->next)
    for (int i = 0; i < u->n_vehicles; i++)
      if (emu_strcaseeq(u->vehicles[i].id, id)) {
        if (owner) *owner = u;
        if (index) *index = i;
        return &u->vehicles[i];
      }
  return NULL;
}

emu_user *emu_user_get(const char *email) {
  char *lower = emu_strdup(email);
  for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
  for (emu_user *u = users; u; u = u->next) {
    if (strcmp(u->email, lower) == 0) {
      free(lower);
      return u;
    }
  }
  emu_user *u = emu_xmalloc(sizeof *u);
  memset(u, 0, sizeof *u);
  u->email = lower;
  emu_fleet_derive(u);
  u->next = users;
  users = u;
  return u;
}

/* ------------------------------------------------------------------ grants */

emu_grant *emu_grant_new(emu_user *u, char **scopes, size_t n_scopes,
                         unsigned mask, const char *client_id) {
  emu_grant *g = emu_xmalloc(sizeof *g);
  g->refs = 0;
  g->user = u;
  g->n_scopes = n_scopes;
  g->scopes = emu_xmalloc((n_scopes ? n_scopes : 1) * sizeof(char *));
  for (size_t i = 0; i < n_scopes; i++) g->scopes[i] = emu_strdup(scopes[i]);
  g->vehicle_mask = mask;
  g->client_id = emu_strdup(client_id);
  return g;
}

static void grant_unref(emu_grant *g) {
  if (--g->refs > 0) return;
  for (size_t i = 0; i < g->n_scopes; i++) free(g->scopes[i]);
  free(g->scopes);
  free(g->client_id);
  free(g);
}

int emu_grant_has_scope(const emu_grant *g, const char *scope) {
  for (size_t i = 0; i < g->n_scopes; i++)
    if (strcmp(g->scopes[i], scope) == 0) return 1;
  return 0;
}

emu_vehicle *emu_grant_vehicle(const emu_grant *g, const char *id) {
  for (int i = 0; i < g->user->n_vehicles; i++)
    if ((g->vehicle_mask & (1u << i)) &&
        emu_strcaseeq(g->user->vehicles[i].id, id))
      return &g->user->vehicles[i];
  return NULL;
}

/* ------------------------------------------------------------------ tokens */

#define N_BUCKETS 4096u
#define PRUNE_EVERY 1024u

static emu_token *buckets[N_BUCKETS];
static unsigned inserts_since_prune;

static unsigned bucket_of(const char *key) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *key; key++) h = (h ^ (unsigned char)*key) * 16777619u;
  return h % N_BUCKETS;
}

static void token_free(emu_token *t) {
  grant_unref(t->grant);
  free(t->redirect_uri);
  free(t);
}

/* A token that can never be accepted again. Codes are kept a day past
 * their expiry so a reused or expired code is still recognised (and
 * refused with invalid_grant, not invalid_request) meanwhile. */
#define CODE_KEEP_MS (24LL * 3600 * 1000)
static int token_dead(const emu_token *t, int64_t now) {
  if (now >= t->expires_ms + (t->kind == EMU_TOK_CODE ? CODE_KEEP_MS : 0))
    return 1;
  if (t->kind == EMU_TOK_REFRESH && t->used_ms &&
      now >= t->used_ms + (int64_t)(emu_cfg.refresh_grace_s * 1000))
    return 1;
  return 0;
}

static void prune(void) {
  int64_t now = emu_now_ms();
  for (unsigned b = 0; b < N_BUCKETS; b++) {
    emu_token **pp = &buckets[b];
    while (*pp) {
      emu_token *t = *pp;
      if (token_dead(t, now)) {
        *pp = t->next;
        token_free(t);
      } else {
        pp = &t->next;
      }
    }
  }
}

emu_token *emu_token_new(emu_tok_kind kind, emu_grant *g, int64_t ttl_ms,
                         const char *redirect_uri) {
  if (++inserts_since_prune >= PRUNE_EVERY) {
    inserts_since_prune = 0;
    prune();
  }
  emu_token *t = emu_xmalloc(sizeof *t);
  memset(t, 0, sizeof *t);
  if (kind == EMU_TOK_CODE) {
    /* 32 hex characters, like an opaque OAuth code. */
    unsigned char b[16];
    static const char hex[] = "0123456789abcdef";
    emu_random_bytes(b, sizeof b);
    for (int i = 0; i < 16; i++) {
      t->key[2 * i] = hex[b[i] >> 4];
      t->key[2 * i + 1] = hex[b[i] & 15];
    }
    t->key[32] = '\0';
  } else {
    emu_uuid_random(t->key);
  }
  t->kind = kind;
  t->grant = g;
  g->refs++;
  t->expires_ms = emu_now_ms() + ttl_ms;
  t->redirect_uri = redirect_uri ? emu_strdup(redirect_uri) : NULL;
  unsigned b = bucket_of(t->key);
  t->next = buckets[b];
  buckets[b] = t;
  return t;
}

emu_token *emu_token_find(emu_tok_kind kind, const char *key) {
  for (emu_token *t = buckets[bucket_of(key)]; t; t = t->next)
    if (t->kind == kind && strcmp(t->key, key) == 0) return t;
  return NULL;
}

/* Grants are reachable only through their tokens (codes included), so a
 * walk over every token finds every grant of the owner. */
void emu_connection_revoke(emu_user *u, int index) {
  for (unsigned b = 0; b < N_BUCKETS; b++)
    for (emu_token *t = buckets[b]; t; t = t->next)
      if (t->grant->user == u) t->grant->vehicle_mask &= ~(1u << index);
  emu_connections_remove(u->id, u->vehicles[index].id); /* management */
}

/* ---------------------------------------------------------- lifecycle */

static void user_free(emu_user *u) {
  free(u->email);
  free(u);
}

static void clear_all(void) {
  for (unsigned b = 0; b < N_BUCKETS; b++)
    EMU_LIST_FREE(buckets[b], token_free);
  EMU_LIST_FREE(users, user_free);
  inserts_since_prune = 0;
  emu_connect_reset(); /* connect.c: grants recorded for approval_prompt */
}

void emu_state_init(void) {
  memset(buckets, 0, sizeof buckets);
  users = NULL;
  clock_reset();
  emu_faults_init();
}

void emu_state_reset(void) {
  clear_all();
  clock_reset();
  emu_faults_reset();
}

void emu_state_free(void) {
  clear_all();
  emu_faults_free();
}
