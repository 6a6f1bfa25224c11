#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define MAX_TESTS 512

static struct {
	const char *name;
	sc_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
int sc_test_failed_flag;

void sc_test_register(const char *name, sc_test_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

int t_check(int ok, const char *file, int line, const char *what)
{
	if (!ok) {
		fprintf(stderr, "  %s:%d: %s failed\n", file, line, what);
		sc_test_failed_flag = 1;
	}
	return ok;
}

void t_shutdown(void);

int main(int argc, char **argv)
{
	int i, passed = 0, failed = 0;
	const char *filter = argc > 1 ? argv[1] : NULL;

	/* The suite's own test servers (plain and TLS) write to sockets that a
	 * client under test may have closed on purpose; that must be an error
	 * return in the server, not a SIGPIPE that ends the whole suite. */
	signal(SIGPIPE, SIG_IGN);
	sc_global_init();
	for (i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		sc_test_failed_flag = 0;
		tests[i].fn();
		if (sc_test_failed_flag) {
			failed++;
			printf("FAIL %s\n", tests[i].name);
		} else {
			passed++;
			printf("ok   %s\n", tests[i].name);
		}
		fflush(stdout);
	}
	t_shutdown();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
