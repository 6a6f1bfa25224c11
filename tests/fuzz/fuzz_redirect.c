/* libFuzzer target: redirect URL parsing (code, state, Connect errors). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smartcar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	sc_result *r = NULL;
	char *json = NULL;

	memcpy(s, data, size);
	s[size] = '\0';
	sc_parse_redirect(&r, s, size % 2 ? "state-1" : NULL);
	sc_result_to_json(&json, r);
	sc_free(json);
	sc_result_free(r);
	free(s);
	return 0;
}
