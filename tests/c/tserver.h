/* A small HTTP/1.1 (and HTTPS) server for the transport tests: canned
 * answers, keep-alive, counts of connections, requests and TLS
 * handshakes, and misbehaviours the emulator cannot produce. */
#ifndef SC_TSERVER_H
#define SC_TSERVER_H

#include <stddef.h>

typedef struct t_server t_server;

typedef struct t_server_opts {
	/* directory of tests/tls/make-cert.sh output: serve HTTPS */
	const char *tls_dir;
	/* at most TLS 1.2: sessions resumed by id from the server's cache
	 * (a TLS 1.3 ticket may be refused when two connections present
	 * the same one at once) */
	int tls12;
	/* the 2nd request on a kept-alive connection is read (and counted)
	 * but the connection is closed without an answer */
	int drop_second;
	/* every answer carries one header line of this many bytes */
	size_t big_header;
	/* milliseconds before each answer */
	int delay_ms;
	/* a webhook receiver: each POST goes through sc_webhook_receive
	 * with this AMT (its SC-Signature header, no seen-set) and gets its
	 * reply, or a 401 when refused */
	const char *webhook_amt;
	/* the body of every GET answer (default {"distance":1234.5}) */
	const char *get_body;
	/* every answer says "Connection: close" and ends its connection */
	int close_each;
} t_server_opts;

typedef struct t_server_counts {
	int connections;
	int requests;   /* complete requests read */
	int gets, posts;
	int full_handshakes;
	int resumed;
	int webhooks, refused; /* webhook_amt: received, refused */
} t_server_counts;

/* Start on 127.0.0.1, port 0; url receives "http(s)://127.0.0.1:PORT".
 * GET answers {"distance":...}, POST {"status":"success",...}. */
t_server *t_server_start(const t_server_opts *o, char *url, size_t n);
void t_server_counts_get(t_server *s, t_server_counts *out);
void t_server_stop(t_server *s);

#endif
