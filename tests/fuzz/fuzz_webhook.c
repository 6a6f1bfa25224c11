/* libFuzzer target: webhook delivery parsing and signature checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smartcar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sc_result *r = NULL;
	char *json = NULL, *sig = NULL;

	sc_webhook_parse(&r, (const char *)data, size);
	sc_result_to_json(&json, r);
	sc_free(json);
	sc_result_free(r);
	if (sc_hmac_sha256_hex(&sig, "amt", (const char *)data, size) == 0) {
		if (!sc_webhook_verify("amt", sig, (const char *)data, size))
			abort(); /* a body must verify against its own MAC */
		sc_free(sig);
	}
	if (size >= 64) {
		char given[65];
		memcpy(given, data, 64);
		given[64] = '\0';
		sc_webhook_verify("amt", given, (const char *)data + 64,
				  size - 64);
	}
	return 0;
}
