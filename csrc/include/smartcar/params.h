/**
 * @file smartcar/params.h
 * @brief sc_params: a small ordered bag of named string parameters.
 *
 * Calls take their inputs by name (vehicle_id, access_token, limit, code,
 * unit_system...), which keeps the C API, the endpoint table and the
 * bindings in step.  Values are copied.
 */
#ifndef SMARTCAR_PARAMS_H
#define SMARTCAR_PARAMS_H

#include "common.h"
#include "errors.h"

SC_BEGIN_DECL

typedef struct sc_params sc_params;

/**
 * Create an empty bag.
 * @return 0 or SC_ENOMEM.  Ownership: free with sc_params_free().
 */
SC_EXTERN(int) sc_params_new(sc_params **out);

/** Free a bag.  Accepts NULL.  Secrets are wiped before release. */
SC_EXTERN(void) sc_params_free(sc_params *params);

/**
 * Set @p key to @p value (copied), replacing an earlier value.  A NULL
 * value removes the key.
 * @return 0, SC_EINVAL (NULL key) or SC_ENOMEM.
 */
SC_EXTERN(int) sc_params_set(sc_params *params, const char *key,
			     const char *value);

/** Set @p key to the decimal text of @p value. */
SC_EXTERN(int) sc_params_set_int(sc_params *params, const char *key,
				 long long value);

/**
 * The value of @p key, or NULL.
 * Ownership: borrowed; valid until the key is set again or the bag freed.
 */
SC_EXTERN(const char *) sc_params_get(const sc_params *params,
				      const char *key);

/** Number of keys in the bag. */
SC_EXTERN(size_t) sc_params_count(const sc_params *params);

/**
 * The @p i th key and value, in insertion order.
 * @return 0, or SC_EINVAL when @p i is out of range.
 */
SC_EXTERN(int) sc_params_at(const sc_params *params, size_t i,
			    const char **key_out, const char **value_out);

/**
 * Check @p value against the library's rule for the setting @p name, the
 * same rule sc_client_new(), sc_op_new() and sc_auth_url() apply:
 * "unit_system" (metric, imperial), "version" and "api_version" ("2.0":
 * digits, a dot, digits), "rate_policy" (wait, fail, off) and "mode"
 * (live, test, simulated).  For bindings that check a setting when it
 * is set rather than when a call is made.  A name without a rule is
 * accepted.
 * @return 0, or SC_EINVAL with the message in @p *err_out.
 */
SC_EXTERN(int) sc_param_check(const char *name, const char *value,
			      sc_error **err_out);

/**
 * Feature flags as Smartcar's "flags" parameter: each key and value of
 * @p flags (values already text: "true", "DE", "1.5") as "key:value",
 * in byte order of the keys, joined by spaces ("country:DE flag:true").
 * Keys must be non-empty; keys and values must not hold spaces, control
 * characters, or (keys) a colon.  An empty bag gives "".
 * @return 0, SC_EINVAL or SC_ENOMEM; @p err_out gets the detail.
 * Ownership: the caller frees @p *out with sc_free().
 */
SC_EXTERN(int) sc_flags_format(char **out, const sc_params *flags,
			       sc_error **err_out);

SC_END_DECL

#endif
