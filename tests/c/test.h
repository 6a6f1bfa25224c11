/* A tiny test harness: tests register themselves at load time; main()
 * runs them (optionally filtered by a substring) and prints
 * "N passed, N failed". */
#ifndef SC_TEST_H
#define SC_TEST_H

#include <stdio.h>
#include <string.h>

typedef void (*sc_test_fn)(void);
void sc_test_register(const char *name, sc_test_fn fn);
extern int sc_test_failed_flag;

#define TEST(name)                                                     \
	static void test_##name(void);                                 \
	__attribute__((constructor)) static void reg_##name(void)      \
	{                                                              \
		sc_test_register(#name, test_##name);                  \
	}                                                              \
	static void test_##name(void)

#define CHECK(cond)                                                    \
	do {                                                           \
		if (!(cond)) {                                         \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", \
				__FILE__, __LINE__, #cond);            \
			sc_test_failed_flag = 1;                       \
		}                                                      \
	} while (0)

#define REQUIRE(cond)                                                  \
	do {                                                           \
		if (!(cond)) {                                         \
			fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", \
				__FILE__, __LINE__, #cond);            \
			sc_test_failed_flag = 1;                       \
			return;                                        \
		}                                                      \
	} while (0)

#define CHECK_STR(a, b)                                                \
	do {                                                           \
		const char *a_ = (a), *b_ = (b);                       \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {               \
			fprintf(stderr,                                \
				"  %s:%d: \"%s\" != \"%s\"\n",          \
				__FILE__, __LINE__, a_ ? a_ : "(null)", \
				b_ ? b_ : "(null)");                   \
			sc_test_failed_flag = 1;                       \
		}                                                      \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                    \
	do {                                                           \
		const char *h_ = (hay), *n_ = (needle);                \
		if (!h_ || !strstr(h_, n_)) {                          \
			fprintf(stderr,                                \
				"  %s:%d: \"%s\" lacks \"%s\"\n",        \
				__FILE__, __LINE__, h_ ? h_ : "(null)", \
				n_);                                   \
			sc_test_failed_flag = 1;                       \
		}                                                      \
	} while (0)

/* helpers shared by the test files (helpers.c) */
#include "smartcar.h"
struct cJSON;

/* A client pointed at base (or the default origins when NULL). */
sc_client *t_client(const char *base, const char *secret);
/* Base URL of the shared emulator, started on first use. */
const char *t_emulator(void);
/* POST a JSON body to the emulator's control API; returns the response
 * body (caller frees) or NULL. */
char *t_control(const char *path, const char *json);
/* Approve (or deny) an authorize URL as email; returns the redirect
 * Location (caller frees). */
char *t_connect(const char *auth_url, const char *action, const char *email);
/* POST (json != NULL) or GET base + path; the response body or NULL. */
char *t_control_at(const char *base, const char *path, const char *json);
/* A private emulator process started with --port 0 and the extra flags in
 * args (NULL-terminated, may be NULL): its pid (-1 on failure) and base
 * URL; stop it with t_emulator_stop. */
#include <sys/types.h>
pid_t t_emulator_spawn(const char *const *args, char *url, size_t n);
void t_emulator_stop(pid_t pid);
/* Move the emulator clock forward. */
void t_advance(double seconds);
/* 1 when the text contains none of the secrets. */
int t_clean(const char *text, const char *const *secrets, size_t n);
/* Canned response builder. */
sc_response *t_response(int status, const char *content_type,
			const char *body);

#define T_CLIENT_ID "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
#define T_CLIENT_SECRET "emulator-client-secret"
#define T_REDIRECT "http://localhost:8000/callback"

#endif
