/**
 * @file smartcar/bind.h
 * @brief What a language binding hands its host whole: the library's
 *        objects as JSON trees, and the checks a value gets before it is
 *        stored.
 *
 * A binding has one converter from a cJSON tree to its own values (the
 * one that converts results); these functions build the trees, so the
 * Python and Lua modules do not each walk a request, an endpoint's line
 * or an error object field by field.  Every tree returned is the
 * caller's, freed with cJSON_Delete(); NULL means no memory (or, where
 * said, nothing to describe).
 */
#ifndef SMARTCAR_BIND_H
#define SMARTCAR_BIND_H

#include "async.h"
#include "call.h"
#include "common.h"
#include "errors.h"
#include "store.h"
#include "sys/transport.h"

SC_BEGIN_DECL

struct cJSON;

/**
 * Every column sc_endpoint_info() answers for @p endpoint, as an object
 * of strings keyed by sc_endpoint_column()'s names; NULL for an unknown
 * endpoint.
 */
SC_EXTERN(struct cJSON *) sc_endpoint_info_json(const char *endpoint);

/**
 * The request an op asks its driver to send: {method, url, headers:
 * [[name, value], ...] in order, body (text), connect_timeout_ms,
 * timeout_ms}.
 */
SC_EXTERN(struct cJSON *) sc_request_json(const sc_request *req);

/**
 * The fields of the error value a binding makes: @p err's object (with
 * "kind" and "message" always there), or, without @p err, {kind,
 * message} of @p code, where @p message (NULL: sc_strerror()) replaces
 * the code's static text.
 */
SC_EXTERN(struct cJSON *) sc_error_fields(int code, const sc_error *err,
					  const char *message);

/**
 * Save the token set @p tokens (an object such as exchange_code's data)
 * under @p key: access_token and refresh_token must be non-empty
 * strings, token_type one when present (absent or null: "Bearer", as
 * the token endpoint's default), expires_in, expiration and
 * refresh_expiration numbers when present (a wrong type: an error with
 * "expected").
 * Takes @p tokens: every string of it and its text are overwritten
 * before they are freed, whatever the outcome.
 * @return 0, SC_EINVAL (the field at fault named in *err_out) or the
 * store's failure (sc_token_store_save_json()).
 */
SC_EXTERN(int) sc_token_store_save_tokens(sc_token_store *store,
					  const char *key,
					  struct cJSON *tokens,
					  sc_error **err_out);

/**
 * The parameters of a call of @p endpoint from its arguments @p json
 * (@p len bytes of JSON text: the positional arguments its "args" column
 * names, null where left out, then its options object), as a JSON object
 * in *out (free with sc_free()): the options, with each argument under
 * its parameter; a paging or filter table's fields are parameters, a
 * json or headers argument's table is sent as its JSON text.
 * @return 0, SC_EINVAL (an unknown endpoint, options that are no table:
 * said in *err_out) or SC_ENOMEM.
 */
SC_EXTERN(int) sc_endpoint_args_text(char **out, const char *endpoint,
				     const char *json, size_t len,
				     sc_error **err_out);

/**
 * The parameters of a binding's call of @p endpoint from its positional
 * arguments @p args (an array: the values in order, null where left
 * out; an integer as raw text, cJSON_CreateRaw, so that 1 and 1.0
 * differ), each checked by the kind the "args" column names: string
 * and date (a non-empty string), number (finite; an integer in int64),
 * integer (>= 0; page and page_size >= 1), json (an object or JSON text), headers (a table),
 * list (strings without spaces), paths (strings), paging and filter (a
 * table of the call's query parameters: limit, offset, cursor, page and
 * page_size; the others).  On the v3 hosts the paging and filter
 * arguments are one query table, the last argument.  @p how: words,
 * "lua" or "python" (the words of messages for types and kinds), and
 * "walk" for a call that pages (no paging argument; no page or
 * page_size in a query table), "table" when the arguments come as the
 * fields of one table, by name, the only item of @p args.  An integer
 * argument page or page_size is >= 1.
 * @return an object of parameter -> text (free with cJSON_Delete()), or
 * NULL: an unknown endpoint or an argument of a wrong type or value
 * said in *err_out, with "argument" (its position, from 1) and, for a
 * wrong type, "expected"; NULL with no error: no memory.
 */
SC_EXTERN(struct cJSON *) sc_endpoint_args_json(const char *endpoint,
						const struct cJSON *args,
						const char *how,
						sc_error **err_out);

/**
 * What sc_endpoint_args_json() takes for @p endpoint and @p how:
 * {"arguments": how many, "options": {parameter: kind}} where options
 * are the query parameters no argument fills (and mode, which a filter
 * table may hold too), a binding's options; kinds: text, count,
 * positive, boolean, list (strings without spaces) or names (a string
 * or a list).  NULL for an unknown endpoint or without memory.
 */
SC_EXTERN(struct cJSON *) sc_endpoint_args_spec(const char *endpoint,
						const char *how);

/**
 * The values to send of the fields of @p values (an object), each
 * checked by the kind @p kinds names for it ({field: kind}): text (a
 * non-empty string), string, boolean, count (an integer >= 0),
 * positive, list (strings without spaces: space-separated), names (a
 * string or a list), json (an object or array: its JSON text; or JSON
 * text), headers (an object or array: its JSON text), select (a
 * boolean, or an object: its JSON text) or flags (text, or an object of
 * scalars: sc_flags_format()); a binding checks its own kinds (a
 * function, any value) before.  @p how: "lua" or "python", the words
 * of messages, as sc_endpoint_args_json().
 * @return an object of field -> text (an integer as a number; free
 * with cJSON_Delete()), or NULL: a wrong value said in *err_out
 * (with "expected" for a wrong type), or no memory (no error).
 */
SC_EXTERN(struct cJSON *) sc_fields_json(const struct cJSON *kinds,
					 const struct cJSON *values,
					 const char *how, sc_error **err_out);

/** sc_token_store_save_tokens() of the token set in @p json (@p len
 * bytes of JSON text, which stays the caller's). */
SC_EXTERN(int) sc_token_store_save_tokens_text(sc_token_store *store,
					       const char *key,
					       const char *json, size_t len,
					       sc_error **err_out);

/**
 * Advance @p op (sc_op_next()): the step, or a failure (< 0), and in
 * *value what goes with the step: the request to send (sc_request_json())
 * for SC_STEP_SEND, the milliseconds to wait (sc_op_wait_ms()) for
 * SC_STEP_WAIT, NULL for SC_STEP_DONE.  SC_ENOMEM when the tree cannot
 * be made.
 */
SC_EXTERN(int) sc_op_next_json(sc_op *op, struct cJSON **value);

/**
 * Give @p op the response to the request it asked for: @p status (100
 * to 999), @p headers (NULL, null, an object {name: value} or an array
 * of [name, value] pairs, all strings) and the body.
 * @return 0, SC_EINVAL (a bad status or header, said in *err_out),
 * SC_EMISUSE (the op is not waiting for a response), SC_ENOMEM, or
 * sc_op_feed()'s failure.  @p headers stays the caller's.
 */
SC_EXTERN(int) sc_op_feed_json(sc_op *op, int status,
			       const struct cJSON *headers, const char *body,
			       size_t len, sc_error **err_out);

/**
 * sc_op_result(), with a message in *err_out (only then) when there is
 * no result: SC_EMISUSE, the op is not done; SC_EINVAL, its result was
 * already taken.
 */
SC_EXTERN(int) sc_op_take_result(sc_result **out, sc_op *op,
				 sc_error **err_out);

/** What a field of a binding's Vehicle object is to a call made without
 * options (sc_vehicle_field()). */
enum {
	SC_VEHICLE_FIELD_GENERAL = -1, /* store, user_id: the binding's
					  general path makes the call */
	SC_VEHICLE_FIELD_NONE = 0,     /* no parameter */
	SC_VEHICLE_FIELD_PARAM,        /* a call option: a parameter (a
					  string, number or boolean) */
	SC_VEHICLE_FIELD_CLIENT,       /* client: the client that runs it */
	SC_VEHICLE_FIELD_STRING,       /* flags: a string parameter */
	SC_VEHICLE_FIELD_REQUIRED      /* id (as vehicle_id), access_token:
					  non-empty string parameters */
};

/**
 * The kind (SC_VEHICLE_FIELD_*) of the field @p name (@p len bytes) of a
 * Vehicle, and in *param the call parameter it gives (static; NULL for
 * none): id, access_token, flags, client, store, user_id or a per-call
 * option (call_options.def); any other name is SC_VEHICLE_FIELD_NONE.
 */
SC_EXTERN(int) sc_vehicle_field(const char *name, size_t len,
				const char **param);

/** The values of some environment variables, to tell later whether
 * they changed (a binding's shared client is made again then). */
typedef struct sc_env_snapshot sc_env_snapshot;

/**
 * A copy of the values of the environment variables @p names[0..n-1]:
 * @p values[i] when @p values is given (a NULL there: never the same),
 * else getenv() or "" for an unset one.  NULL without memory.
 * Ownership: free with sc_env_snapshot_free(); nothing given is kept.
 */
SC_EXTERN(sc_env_snapshot *) sc_env_snapshot_new(const char *const *names,
						 const char *const *values,
						 size_t n);

/**
 * 1 when the environment holds the snapshot's values (an unset variable
 * reads as ""), else 0.  Cheap while the environment's entries are the
 * ones it held when last found the same.  One thread at a time per
 * snapshot (it remembers that); no other thread may change the
 * environment meanwhile (as for getenv()).
 */
SC_EXTERN(int) sc_env_snapshot_same(sc_env_snapshot *s);

SC_EXTERN(void) sc_env_snapshot_free(sc_env_snapshot *s);

/**
 * sc_env_snapshot_new() of the array @p names (up to its first item that
 * is not a string) and, when @p values is not NULL, the values at the
 * same places of the array @p values (another item, or none: never the
 * same).  0, or SC_ENOMEM.
 */
SC_EXTERN(int) sc_env_snapshot_json(sc_env_snapshot **out,
				    const struct cJSON *names,
				    const struct cJSON *values);

/** The sockets @p a watches now (sc_async_fds()): [{fd, read, write}]. */
SC_EXTERN(struct cJSON *) sc_async_fds_json(const sc_async *a);

/**
 * The sockets @p a asks its loop to watch, as [[fd, events], ...]: every
 * one now (@p all, sc_async_fds()), or the changes since the last call
 * (sc_async_changes(), which this consumes).
 */
SC_EXTERN(struct cJSON *) sc_async_watches_json(sc_async *a, int all);

/**
 * The tree of the JSON @p text (@p len bytes: one value, and only
 * whitespace after it), or NULL with SC_EMALFORMED ("invalid JSON near
 * byte N") in *err_out (NULL there too without memory).
 */
SC_EXTERN(struct cJSON *) sc_json_parse_text(const char *text, size_t len,
					     sc_error **err_out);

/** Sort the members of every object of @p tree by key (byte order), so
 * that one table always prints as the same text. */
SC_EXTERN(void) sc_json_sort_keys(struct cJSON *tree);

/**
 * Set @p key to the number @p value: an integral one below 10^15 in
 * plain decimal, any other as "%.14g" (the text of a Lua number).
 */
SC_EXTERN(int) sc_params_set_number(sc_params *params, const char *key,
				    double value);

/**
 * The parameters of the object @p obj (NULL: none), such as a Lua
 * table's tree: values are strings, numbers (raw text: an integer, as
 * is) or booleans ("true", "false").  SC_EINVAL, said in *err_out, for
 * another value or a non-empty array; *out is NULL on failure.
 */
SC_EXTERN(int) sc_params_from_json(sc_params **out, const struct cJSON *obj,
				   sc_error **err_out);

/**
 * sc_client_new_params() for the options of the object @p options
 * (NULL: none), whose names and JSON types are checked first against
 * sc_client_option_type(): SC_EINVAL, said in *err_out, for an unknown
 * name or a value of another type.
 */
SC_EXTERN(int) sc_client_new_json(sc_client **out,
				  const struct cJSON *options,
				  sc_error **err_out);

/**
 * The same from JSON text (@p len bytes: an object, or a non-empty array
 * of objects or nulls merged in order, a later member replacing an earlier
 * one of its name), such as a Lua table cjson wrote, with two more value
 * kinds: a list of scalars (space-separated: scope, paths) and, for
 * "flags", an object (written by sc_flags_format()); null leaves the
 * entry out, {} is "".
 */
SC_EXTERN(int) sc_params_from_text(sc_params **out, const char *json,
				   size_t len, sc_error **err_out);
SC_EXTERN(int) sc_client_new_text(sc_client **out, const char *json,
				  size_t len, sc_error **err_out);

/**
 * The parameters of sc_auth_url() from the Connect options in @p json
 * (text, as sc_params_from_text(): scope, state, force_prompt, make,
 * make_bypass, single_select, single_select_vin, flags, user, mode;
 * another name is SC_EINVAL).  single_select may be {enabled = boolean,
 * vin = string}, which gives single_select and single_select_vin.
 */
SC_EXTERN(int) sc_auth_params_text(sc_params **out, const char *json,
				   size_t len, sc_error **err_out);

/**
 * sc_auth_url() with the Connect options of the JSON object @p json (@p len
 * bytes), read by sc_auth_params_text().  A value of the wrong JSON type
 * is SC_EINVAL whose error has the field "expected".
 */
SC_EXTERN(int) sc_auth_url_text(char **url_out, char **state_out,
				const sc_client *client, const char *json,
				size_t len, sc_error **err_out);

/**
 * What a driver that owns its sockets reads of exchange @p h, as JSON
 * text in *out (free with sc_free()): {host, port, tls, server_name (for
 * a host name: SNI), pool ("scheme://host:port"), method, path, query,
 * headers ({name: value}, with Host and Content-Length), connect_timeout_ms,
 * timeout_ms}.  The body stays sc_request_body()'s.
 */
SC_EXTERN(int) sc_http1_describe(char **out, const sc_http1 *h);

/**
 * A new response (sc_response_new()) with @p status and the headers
 * @p headers (@p len bytes of JSON: an object {name: value or a list of
 * values}, as a Lua HTTP client gives them); its body is appended after.
 * @return 0, SC_EINVAL (a bad status or headers), SC_ENOMEM; *out is
 * NULL on failure.
 */
SC_EXTERN(int) sc_response_new_text(sc_response **out, size_t max_body,
				    int status, const char *headers,
				    size_t len);

/**
 * The per-call options every call takes (csrc/lib/call_options.def), as
 * an object {name: kind}, kind "string" or "count" (a non-negative
 * integer); NULL without memory.
 */
SC_EXTERN(struct cJSON *) sc_call_options_json(void);

/*
 * For a binding that reaches the library through a foreign function
 * interface and cannot walk cJSON trees (LuaJIT FFI: smartcar.resty):
 * JSON text in *out (free with sc_free()); 0, SC_EINVAL (no out) or
 * SC_ENOMEM.
 */

/** sc_error_fields() as text, without null members (at any depth) and
 *  with "sc_code": the code (@p err's, or @p code). */
SC_EXTERN(int) sc_error_fields_text(char **out, int code,
				    const sc_error *err, const char *message);

/** What a call gives, from its result @p res and code @p rc: {"data":
 *  ...} when @p rc is 0 and @p res has data and no error, else
 *  {"error": sc_error_fields_text()'s value of the result's error, or of
 *  @p rc (SC_EMALFORMED when 0) and "no result"}. */
SC_EXTERN(int) sc_result_text(char **out, const sc_result *res, int rc);

/**
 * The code of a socket failure a driver met, from its host's words for
 * it (@p err, as nginx gives them): "timeout" is SC_ETIMEOUT; anything
 * else is SC_ETLS during a TLS handshake (@p tls 2) and, after a connect
 * that may have run one (@p tls 1, as lua-resty-http's connect() does),
 * when it is an OpenSSL verification code ("20: ...") or names the
 * handshake, a certificate or SSL (in any case); the rest SC_ENETWORK.
 */
SC_EXTERN(int) sc_socket_error_code(const char *err, int tls);

SC_END_DECL

#endif
