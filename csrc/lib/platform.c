#define _GNU_SOURCE
/* What the library asks of the system: random bytes from the kernel
 * CSPRNG, the wall clock, and a lock around the handles pools keep. */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include "sc_internal.h"

int sc__random_bytes(unsigned char *out, size_t len)
{
	size_t got = 0;

	/* getrandom() draws from the kernel CSPRNG; never a userspace PRNG */
	while (got < len) {
		ssize_t n = getrandom(out + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return SC_ENOMEM;
		}
		got += (size_t)n;
	}
	return 0;
}

void *sc__idle_take(pthread_mutex_t *mu, void **items, size_t *n)
{
	void *h = NULL;

	pthread_mutex_lock(mu);
	if (*n > 0)
		h = items[--*n];
	pthread_mutex_unlock(mu);
	return h;
}

int sc__idle_keep(pthread_mutex_t *mu, void **items, size_t *n, size_t cap,
		  void *h)
{
	int kept = 0;

	pthread_mutex_lock(mu);
	if (*n < cap) {
		items[(*n)++] = h;
		kept = 1;
	}
	pthread_mutex_unlock(mu);
	return kept;
}

double sc__now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}
