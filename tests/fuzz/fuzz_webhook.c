/* libFuzzer target: webhook delivery parsing, receiving (signature,
 * VERIFY, dedupe), signal rows and time parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smartcar.h"

static sc_webhook_seen *seen;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sc_result *r = NULL;
	char *json = NULL, *sig = NULL;
	int64_t ms;

	if (!seen && sc_webhook_seen_new(&seen, 64, 0) != 0)
		abort();
	sc_webhook_parse(&r, (const char *)data, size);
	sc_result_to_json(&json, r);
	sc_free(json);
	sc_result_free(r);
	if (sc_hmac_sha256_hex(&sig, "amt", (const char *)data, size) == 0) {
		if (!sc_webhook_verify("amt", sig, (const char *)data, size))
			abort(); /* a body must verify against its own MAC */
		/* a signed body: any outcome but a crash; twice, so the
		 * second is a duplicate when the first was recorded */
		r = NULL;
		if (sc_webhook_receive(&r, "amt", sig, (const char *)data,
				       size, seen) == 0 &&
		    !sc_result_get_string(r, "reply"))
			abort(); /* a received delivery always has a reply */
		sc_result_free(r);
		r = NULL;
		sc_webhook_receive(&r, "amt", sig, (const char *)data, size,
				   seen);
		sc_result_free(r);
		sc_free(sig);
	}
	r = NULL;
	/* unsigned: only a VERIFY may pass */
	if (sc_webhook_receive(&r, "amt", NULL, (const char *)data, size,
			       NULL) == 0) {
		const char *t = sc_result_get_string(r, "event_type");
		if (!t || strcmp(t, "VERIFY") != 0)
			abort();
	}
	sc_result_free(r);
	r = NULL;
	sc_signal_rows(&r, (const char *)data, size);
	sc_result_to_json(&json, r);
	sc_free(json);
	sc_result_free(r);
	sc_time_parse_ms(&ms, (const char *)data, size < 64 ? size : 64);
	if (size >= 64) {
		char given[65];
		memcpy(given, data, 64);
		given[64] = '\0';
		sc_webhook_verify("amt", given, (const char *)data + 64,
				  size - 64);
	}
	return 0;
}
