/* Latency faults without a thread per wait. The handler suspends the
 * request's connection (MHD_suspend_connection) and files it here; one
 * timer thread keeps a min-heap of deadlines and resumes each connection
 * when its time comes, and MHD then calls the handler again. A thousand
 * delayed requests cost a thousand heap entries, not a thousand threads. */
#include "emu.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

typedef struct waiter {
	int64_t at_ns; /* CLOCK_MONOTONIC; INT64_MAX: until released */
	struct MHD_Connection *conn;
	int tag; /* emu_delay_release() resumes the waiters of a tag */
} waiter;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_t thread;
static waiter *heap;
static size_t n_heap, cap_heap;
static int running, stopping;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void swap(size_t a, size_t b)
{
	waiter t = heap[a];
	heap[a] = heap[b];
	heap[b] = t;
}

static void sift_up(size_t i)
{
	while (i > 0 && heap[(i - 1) / 2].at_ns > heap[i].at_ns) {
		swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void push(waiter w)
{
	if (n_heap == cap_heap) {
		cap_heap = cap_heap ? cap_heap * 2 : 64;
		heap = emu_xrealloc(heap, cap_heap * sizeof *heap);
	}
	heap[n_heap] = w;
	sift_up(n_heap++);
}

static waiter pop(void)
{
	waiter top = heap[0];
	heap[0] = heap[--n_heap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n_heap && heap[l].at_ns < heap[m].at_ns)
			m = l;
		if (r < n_heap && heap[r].at_ns < heap[m].at_ns)
			m = r;
		if (m == i)
			break;
		swap(i, m);
		i = m;
	}
	return top;
}

static void *timer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		if (n_heap == 0) {
			pthread_cond_wait(&cv, &mu);
			continue;
		}
		int64_t now = mono_ns();
		if (heap[0].at_ns <= now) {
			waiter w = pop();
			MHD_resume_connection(
				w.conn); /* thread-safe; wakes its worker */
			continue;
		}
		struct timespec ts = { (time_t)(heap[0].at_ns / 1000000000),
				       (long)(heap[0].at_ns % 1000000000) };
		pthread_cond_timedwait(&cv, &mu, &ts);
	}
	while (n_heap)
		MHD_resume_connection(pop().conn);
	pthread_mutex_unlock(&mu);
	return NULL;
}

void emu_delay_start(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &a);
	pthread_condattr_destroy(&a);
	stopping = 0;
	running = pthread_create(&thread, NULL, timer_main, NULL) == 0;
}

int emu_delay(struct MHD_Connection *c, long ms)
{
	return emu_delay_tagged(c, ms, 0);
}

int emu_delay_tagged(struct MHD_Connection *c, long ms, int tag)
{
	int ok = 0;
	pthread_mutex_lock(&mu);
	if (running && !stopping) {
		MHD_suspend_connection(c);
		push((waiter){ ms < 0 ? INT64_MAX
				      : mono_ns() + (int64_t)ms * 1000000,
			       c, tag });
		if (heap[0].conn == c)
			pthread_cond_signal(&cv); /* a new earliest */
		ok = 1;
	}
	pthread_mutex_unlock(&mu);
	return ok;
}

size_t emu_delay_release(int tag)
{
	size_t n = 0;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < n_heap; i++)
		if (heap[i].tag == tag) {
			heap[i].at_ns = 0; /* due now: only ever decreases */
			sift_up(i);
			n++;
		}
	if (n)
		pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return n;
}

void emu_delay_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	running = 0;
	free(heap);
	heap = NULL;
	n_heap = cap_heap = 0;
	pthread_cond_destroy(&cv);
}
