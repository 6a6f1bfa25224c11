/* What a binding that reaches the library through a foreign function
 * interface (LuaJIT FFI: smartcar.resty) reads as JSON text, since it
 * cannot walk cJSON trees (smartcar/bind.h): errors and results as the
 * binding's values, and the code of a socket failure in its host's
 * words. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sc_internal.h"
#include "smartcar/bind.h"

/* Remove the null members of @p v, at any depth. */
static void drop_nulls(cJSON *v)
{
	cJSON *c = v ? v->child : NULL, *next;

	for (; c; c = next) {
		next = c->next;
		if (cJSON_IsNull(c))
			cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
		else
			drop_nulls(c);
	}
}

/* sc_error_fields() without nulls, plus "sc_code"; NULL without memory. */
static cJSON *error_value(int code, const sc_error *err, const char *message)
{
	cJSON *e = sc_error_fields(code, err, message);

	drop_nulls(e);
	if (e && cJSON_AddNumberToObject(e, "sc_code",
					 err ? sc_error_code(err) : code))
		return e;
	cJSON_Delete(e);
	return NULL;
}

/* *out = the text of @p tree (which this frees): 0 or SC_ENOMEM. */
static int print_taken(char **out, cJSON *tree)
{
	*out = tree ? cJSON_PrintUnformatted(tree) : NULL;
	cJSON_Delete(tree);
	return *out ? 0 : SC_ENOMEM;
}

int sc_error_fields_text(char **out, int code, const sc_error *err,
			 const char *message)
{
	if (!out)
		return SC_EINVAL;
	return print_taken(out, error_value(code, err, message));
}

int sc_result_text(char **out, const sc_result *res, int rc)
{
	cJSON *t;
	int ok;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	t = cJSON_CreateObject();
	if (!t)
		return SC_ENOMEM;
	if (res && !res->error && rc == 0 && res->data)
		/* a reference: the data stays the result's */
		ok = cJSON_AddItemReferenceToObject(t, "data", res->data);
	else {
		cJSON *e = error_value(rc ? rc : SC_EMALFORMED,
				       res ? res->error : NULL,
				       res && res->error ? NULL : "no result");

		ok = cJSON_AddItemToObject(t, "error", e);
		if (!ok)
			cJSON_Delete(e);
	}
	if (!ok) {
		cJSON_Delete(t);
		return SC_ENOMEM;
	}
	return print_taken(out, t);
}

/* 1 when the lowercase @p word is in @p text, in any case. */
static int has_word(const char *text, const char *word)
{
	size_t n = strlen(word), i;

	for (; *text; text++) {
		for (i = 0; i < n && tolower((unsigned char)text[i]) == word[i];
		     i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

int sc_socket_error_code(const char *err, int tls)
{
	const char *p = err;

	if (err && strcmp(err, "timeout") == 0)
		return SC_ETIMEOUT;
	if (tls == 2)
		return SC_ETLS;
	if (tls == 1 && err) {
		while (isdigit((unsigned char)*p))
			p++;
		if ((p > err && strncmp(p, ": ", 2) == 0) ||
		    has_word(err, "handshake") || has_word(err, "certificate") ||
		    has_word(err, "ssl"))
			return SC_ETLS;
	}
	return SC_ENETWORK;
}
