/*
 * smartcar.core: the Lua 5.4 marshalling layer over libsmartcar.
 *
 * This file only converts values and holds handles.  Every protocol rule
 * (URLs, token grants, error mapping, retries) lives in the C library;
 * every Lua idiom (objects, defaults, option tables) lives in
 * lua/smartcar/init.lua.
 *
 * Conventions (see DESIGN.md section 7):
 *  - runtime failures return nil, err where err is the library's error
 *    object converted to a table with the shared metatable smartcar.Error;
 *  - argument errors (wrong types, SC_EINVAL, SC_EMISUSE) and running out
 *    of memory raise.
 *
 * No C static here points into a lua_State: the only statics are the
 * address used as the JSON null sentinel and constant tables.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include "sc_lua_compat.h" /* LuaJIT: the 5.4 calls used here */

#include <cjson/cJSON.h>

#include "smartcar.h"

/* cJSON's own nesting limit: anything it parsed converts. */
#define MAX_JSON_DEPTH 1000

/* Its address is core.null, the value JSON null converts to. */
static const char null_sentinel = 0;

/* A smartcar.Client (the other types: smartcar_core_types.h). */
typedef struct lclient {
	sc_client *client; /* NULL once closed */
	int busy;          /* run_many in progress: closing must wait */
	lua_State *hook_L; /* the debug hook's thread (user value 1), or NULL */
	sc_async *async;   /* client:async_*, made on first use, or NULL */
} lclient;

#include "smartcar_core_types.h"

/* ---- Temporary C resources of one call (struct tmp) ---- */

/* Push a new tmp, freed when collected. */
static tmp *tmp_new(lua_State *L)
{
	tmp *t = lua_newuserdatauv(L, sizeof(*t), 0);
	memset(t, 0, sizeof(*t));
	luaL_setmetatable(L, TMP_MT);
	return t;
}

/* Push a new tmp, marked to-be-closed; it must stay on the stack. */
static tmp *tmp_push(lua_State *L)
{
	tmp *t = tmp_new(L);
	lua_toclose(L, -1);
	return t;
}

static int raise_nomem(lua_State *L)
{
	return luaL_error(L, "not enough memory");
}

/* Raise failure @p rc of the function @p name (NULL: no prefix) with
 * @p err's message, or the code's text. */
static int raise_failure(lua_State *L, const char *name, int rc,
			 const sc_error *err)
{
	const char *msg = err ? sc_error_message(err) : sc_strerror(rc);

	if (rc == SC_ENOMEM && err == NULL)
		return raise_nomem(L);
	if (name == NULL)
		return luaL_error(L, "%s", msg);
	return luaL_error(L, "%s: %s", name, msg);
}

/* ---- JSON to Lua. ---- */

static void push_json(lua_State *L, const cJSON *j, int depth)
{
	const cJSON *c;
	lua_Integer i;

	if (depth > MAX_JSON_DEPTH)
		luaL_error(L, "JSON nested too deeply");
	luaL_checkstack(L, 4, "JSON nested too deeply");

	if (j == NULL) {
		lua_pushnil(L);
		return;
	}
	switch (j->type & 0xFF) {
	case cJSON_False:
		lua_pushboolean(L, 0);
		break;
	case cJSON_True:
		lua_pushboolean(L, 1);
		break;
	case cJSON_NULL:
		lua_pushlightuserdata(L, (void *)&null_sentinel);
		break;
	case cJSON_Number:
		/* integral and in range (2^63 is not): an integer */
		if (j->valuedouble >= -9223372036854775808.0 &&
		    j->valuedouble < 9223372036854775808.0 &&
		    floor(j->valuedouble) == j->valuedouble)
			lua_pushinteger(L, (lua_Integer)j->valuedouble);
		else
			lua_pushnumber(L, (lua_Number)j->valuedouble);
		break;
	case cJSON_String:
	case cJSON_Raw:
		lua_pushstring(L, j->valuestring ? j->valuestring : "");
		break;
	case cJSON_Array:
		lua_createtable(L, cJSON_GetArraySize(j), 0);
		i = 1;
		for (c = j->child; c != NULL; c = c->next) {
			push_json(L, c, depth + 1);
			lua_rawseti(L, -2, i++);
		}
		luaL_setmetatable(L, ARRAY_MT);
		break;
	case cJSON_Object:
		lua_createtable(L, 0, cJSON_GetArraySize(j));
		for (c = j->child; c != NULL; c = c->next) {
			if (c->string == NULL)
				continue;
			push_json(L, c, depth + 1);
			lua_setfield(L, -2, c->string);
		}
		break;
	default:
		lua_pushnil(L);
		break;
	}
}

/* Push an sc_error (or code @p rc's) as a smartcar.Error table: its
 * fields (sc_error_fields), kind and message always there. */
static void push_error(lua_State *L, const sc_error *err, int rc)
{
	tmp *t = tmp_new(L);

	if ((t->json = sc_error_fields(rc, err, NULL)) == NULL)
		raise_nomem(L);
	push_json(L, t->json, 0);
	luaL_setmetatable(L, ERROR_MT);
	lua_remove(L, -2); /* the tmp: freed when collected */
}

static int error_tostring(lua_State *L)
{
	if (lua_istable(L, 1) &&
	    lua_getfield(L, 1, "message") == LUA_TSTRING)
		return 1;
	lua_pushliteral(L, "smartcar error");
	return 1;
}

/* ---- Lua tables to C. ---- */

/* Argument @p idx of type @p type, else an argument error naming it. */
static void check_arg(lua_State *L, int idx, int type, const char *name)
{
	if (lua_type(L, idx) != type)
		luaL_argerror(L, idx, lua_pushfstring(L, "%s: %s expected, got %s",
						      name, lua_typename(L, type),
						      luaL_typename(L, idx)));
}

/* A string argument or field that must not hide a NUL byte. */
static const char *check_cstring(lua_State *L, int idx, const char *what)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);

	if (s != NULL && strlen(s) != len)
		luaL_error(L, "%s contains a NUL byte", what);
	return s;
}

static cJSON *json_encode_tree(lua_State *L, int idx, tmp *t);

/* The params of the table (or nil) at @p idx, made in t->params; a bad
 * one raises, an argument error of argument @p argn. */
static sc_params *params_arg(lua_State *L, tmp *t, int idx, int argn)
{
	cJSON *tree = NULL;
	int rc;

	if (!lua_isnoneornil(L, idx)) {
		luaL_checktype(L, idx, LUA_TTABLE);
		tree = json_encode_tree(L, idx, t);
	}
	sc_params_free(t->params);
	rc = sc_params_from_json(&t->params, tree, &t->err);
	cJSON_Delete(cJSON_DetachItemViaPointer(t->json, tree));
	if (rc == SC_ENOMEM)
		raise_nomem(L);
	if (rc != 0)
		luaL_argerror(L, argn, t->err ? sc_error_message(t->err)
					      : sc_strerror(rc));
	return t->params;
}

/* ---- smartcar.Client (core.client: generated) ---- */

/* close and __close: idempotent; a client call_many runs on (closed from
 * its progress callback) raises. */
static int client_close(lua_State *L)
{
	lclient *c = luaL_checkudata(L, 1, CLIENT_MT);

	if (c->busy)
		return luaL_error(L, "client is in use by call_many");
	sc_async_free(c->async); /* its calls stop */
	c->async = NULL;
	if (c->client != NULL) {
		sc_client *cl = c->client;
		c->client = NULL; /* closed before freeing, like liolib */
		sc_client_free(cl);
	}
	c->hook_L = NULL;
	lua_pushnil(L);
	lua_setiuservalue(L, 1, 1);
	return 0;
}

/* The debug hook: hook(direction, line) on its own thread ('>' request,
 * '<' response lines, redacted by the core); its errors are dropped. */
static void debug_trampoline(void *payload, int direction, const char *line)
{
	lclient *c = payload;
	lua_State *T = c->hook_L;
	char dir[2] = { (char)direction, '\0' };

	if (T == NULL)
		return;
	lua_pushvalue(T, 1);
	lua_pushstring(T, dir);
	lua_pushstring(T, line);
	if (lua_pcall(T, 2, 0, 0) != LUA_OK)
		lua_pop(T, 1);
}

/* client:set_debug(hook | nil) */
static int l_client_set_debug(lua_State *L)
{
	lclient *c = luaL_checkudata(L, 1, CLIENT_MT);

	check_client(L, 1);
	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TFUNCTION);
	if (c->busy)
		return luaL_error(L, "client is in use by call_many");
	lua_settop(L, 2);
	c->hook_L = lua_isnil(L, 2) ? NULL : lua_newthread(L);
	if (c->hook_L != NULL) {
		lua_pushvalue(L, 2);
		lua_xmove(L, c->hook_L, 1); /* the hook: index 1 of its thread */
	}
	lua_setiuservalue(L, 1, 1); /* the thread, or nil */
	sc_client_set_debug(c->client, c->hook_L ? debug_trampoline : NULL, c);
	return 0;
}

/* __gc: as close, but a busy client (the state closing under a running
 * call_many) is left. */
static int client_gc(lua_State *L)
{
	lclient *c = luaL_checkudata(L, 1, CLIENT_MT);

	if (c->busy)
		return 0;
	return client_close(L);
}

/*
 * nil, err for the failure @p err (or code @p rc without one): out of
 * memory raises, and so do an invalid argument and misuse when @p strict
 * (the caller's mistakes, not the network's data).
 */
static int push_failure(lua_State *L, const sc_error *err, int rc,
			int strict)
{
	int code = err ? sc_error_code(err) : rc;

	if (code == SC_ENOMEM ||
	    (strict && (code == SC_EINVAL || code == SC_EMISUSE)))
		return raise_failure(L, NULL, code, err);
	lua_pushnil(L);
	push_error(L, err, rc);
	return 2;
}

/* Push the data of a successful result (an empty table if it has none). */
static int push_data(lua_State *L, const sc_result *res)
{
	const cJSON *data = sc_result_data(res);

	if (data == NULL)
		lua_newtable(L);
	else
		push_json(L, data, 0);
	return 1;
}

/* A store key: a non-empty string without NUL bytes. */
static const char *check_key(lua_State *L, int idx)
{
	const char *key;

	luaL_checktype(L, idx, LUA_TSTRING);
	key = check_cstring(L, idx, "the key");
	luaL_argcheck(L, *key != '\0', idx, "the key must not be empty");
	return key;
}

/* data, or nil, err (push_failure) for the result of a call. */
static int push_outcome(lua_State *L, const sc_result *res, int rc,
			int strict)
{
	if (res == NULL)
		return raise_failure(L, NULL, rc, NULL);
	if (rc == 0 && sc_result_error(res) == NULL)
		return push_data(L, res);
	return push_failure(L, sc_result_error(res), rc, strict);
}

/* t->url (and t->state, nil when NULL, when @p n is 2) that a function
 * named @p name made with code @p rc; a failure raises with its message
 * (@p name NULL: nil, message, but out of memory raises). */
static int push_strings(lua_State *L, tmp *t, int rc, const char *name,
			int n)
{
	if (rc != 0 && (name != NULL || rc == SC_ENOMEM))
		return raise_failure(L, name, rc, t->err);
	if (rc != 0) {
		lua_pushnil(L);
		lua_pushstring(L, t->err ? sc_error_message(t->err)
					 : sc_strerror(rc));
		return 2;
	}
	lua_pushstring(L, t->url);
	if (n == 2)
		lua_pushstring(L, t->state);
	return n;
}

/* Set parameter @p key of @p p to the string, number or boolean on top:
 * 0, or 1 for a value of another type or a string with a NUL byte. */
static int set_param(lua_State *L, sc_params *p, const char *key)
{
	size_t len;
	const char *s;
	int rc;

	if (lua_type(L, -1) == LUA_TSTRING) {
		s = lua_tolstring(L, -1, &len);
		if (strlen(s) != len)
			return 1;
		rc = sc_params_set(p, key, s);
	} else if (lua_type(L, -1) == LUA_TBOOLEAN) {
		rc = sc_params_set(p, key, lua_toboolean(L, -1) ? "true"
								: "false");
	} else if (lua_isinteger(L, -1)) {
		rc = sc_params_set_int(p, key, lua_tointeger(L, -1));
	} else if (lua_type(L, -1) == LUA_TNUMBER) {
		rc = sc_params_set_number(p, key, lua_tonumber(L, -1));
	} else {
		return 1;
	}
	if (rc != 0)
		raise_nomem(L);
	return 0;
}

/*
 * core.vehicle_call(vehicle, endpoint, default_client) -> data | nil, err
 * | false: a Vehicle method called without options, its parameters the
 * vehicle's fields (sc_vehicle_field()), run by its client or
 * default_client().  false, with nothing done, when init.lua's general
 * path is needed: a field kind says so, a value of another type, an
 * empty id or token, or no open core client.
 */
static int l_vehicle_call(lua_State *L)
{
	const char *endpoint = luaL_checkstring(L, 2);
	int required = 0, rc;
	lclient *c = NULL;
	tmp *t;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 3);
	/* the tmp kept as the upvalue, unless a call still holds it (one
	 * made from a debug hook during this one): no userdata per call */
	t = lua_touserdata(L, lua_upvalueindex(1));
	if (t->params == NULL && t->res == NULL) {
		lua_pushvalue(L, lua_upvalueindex(1));
		lua_toclose(L, -1);
	} else {
		t = tmp_push(L);
	}
	if (sc_params_new(&t->params) != 0)
		return raise_nomem(L);
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		size_t len = 0;
		const char *param, *key = lua_type(L, -2) == LUA_TSTRING
						  ? lua_tolstring(L, -2, &len)
						  : "";
		int kind = sc_vehicle_field(key, len, &param);

		if (kind == SC_VEHICLE_FIELD_CLIENT) {
			/* the vehicle's table keeps it for the call */
			c = luaL_testudata(L, -1, CLIENT_MT);
			if (c == NULL || c->client == NULL)
				goto general;
		} else if (kind == SC_VEHICLE_FIELD_GENERAL ||
			   (kind >= SC_VEHICLE_FIELD_STRING &&
			    lua_type(L, -1) != LUA_TSTRING) ||
			   (kind == SC_VEHICLE_FIELD_REQUIRED &&
			    lua_rawlen(L, -1) == 0) ||
			   (param != NULL &&
			    set_param(L, t->params, param) != 0)) {
			goto general;
		}
		required += kind == SC_VEHICLE_FIELD_REQUIRED;
		lua_pop(L, 1);
	}
	if (required != 2)
		goto general;
	if (c == NULL) {
		lua_pushvalue(L, 3);
		lua_call(L, 0, 1);
		c = luaL_testudata(L, -1, CLIENT_MT);
		if (c == NULL || c->client == NULL)
			goto general;
	}
	rc = sc_call(&t->res, c->client, endpoint, t->params);
	return push_outcome(L, t->res, rc, 1);
general:
	lua_pushboolean(L, 0);
	return 1;
}

/* The field data (err NULL) or err of the table on top: one call's
 * outcome in call_many's and async_take's lists. */
static void set_outcome(lua_State *L, const sc_result *res,
			const sc_error *err)
{
	if (err == NULL)
		push_data(L, res);
	else
		push_error(L, err, sc_error_code(err));
	lua_setfield(L, -2, err == NULL ? "data" : "err");
}

/* ---- client:pages: the pages of a paged call (sc_pager) ---- */

/* The iterator: the next page's data, nil at the end, or nil, err.  Its
 * upvalues: a tmp holding the pager (NULL once the last page was seen),
 * the client and the store (or nil). */
static int pages_step(lua_State *L)
{
	tmp *p = lua_touserdata(L, lua_upvalueindex(1));
	lclient *c = lua_touserdata(L, lua_upvalueindex(2));
	lstore *s = lua_touserdata(L, lua_upvalueindex(3));
	tmp *t;
	int rc;

	if (p->pager == NULL)
		return 0;
	if (c->client == NULL)
		return luaL_error(L, "client is closed");
	if (s != NULL && s->store == NULL)
		return luaL_error(L, "token store is closed");
	t = tmp_push(L);
	rc = sc_pager_next(&t->res, p->pager);
	if (rc <= 0) { /* the walk is over: the end, or a failed page */
		sc_pager_free(p->pager);
		p->pager = NULL;
	}
	if (rc == 0)
		return 0;
	return push_outcome(L, t->res, rc < 0 ? rc : 0, 1);
}

/* ---- Lua to JSON. ---- */

/*
 * Values convert as follows: the null sentinel to null, booleans, strings
 * (no NUL bytes), integers (exact, any size), finite floats; tables
 * tagged with array_mt to arrays (1..#t), other tables to arrays when
 * their keys are exactly 1..n (n > 0) and to objects when every key is a
 * string (an empty table is an object), its keys sorted
 * (sc_json_sort_keys).  Anything else raises.
 */

/* @p item, added to @p parent (an array when @p key is NULL); raises on
 * failure after freeing the item. */
static cJSON *json_attach(lua_State *L, cJSON *parent, const char *key,
			  cJSON *item)
{
	if (item == NULL || !(key ? cJSON_AddItemToObject(parent, key, item)
				  : cJSON_AddItemToArray(parent, item))) {
		cJSON_Delete(item);
		raise_nomem(L);
	}
	return item;
}

/* The length of the table at @p idx as an array, or -1 for an object. */
static lua_Integer json_array_len(lua_State *L, int idx)
{
	lua_Integer max = 0, count = 0;
	int tagged = 0, has_other = 0, has_string = 0;

	if (lua_getmetatable(L, idx)) {
		luaL_getmetatable(L, ARRAY_MT);
		tagged = lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
	}
	if (tagged)
		return (lua_Integer)lua_rawlen(L, idx);
	for (lua_pushnil(L); lua_next(L, idx) != 0; lua_pop(L, 1), count++) {
		if (lua_type(L, -2) == LUA_TSTRING)
			has_string = 1;
		else if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1)
			max = lua_tointeger(L, -2) > max ? lua_tointeger(L, -2)
							 : max;
		else
			has_other = 1;
	}
	if (has_other || (has_string && max > 0))
		luaL_error(L, "cannot encode a table with %s keys as JSON "
			      "(arrays have keys 1..n, objects string keys)",
			   has_string ? "mixed" : "non-string");
	if (has_string || count == 0)
		return -1;
	if (max != count)
		luaL_error(L, "cannot encode a sparse array as JSON (tag it "
			      "with smartcar.array_mt or fill the gaps with "
			      "smartcar.null)");
	return max;
}

static void json_encode_into(lua_State *L, int idx, int depth,
			     cJSON *parent, const char *key)
{
	char buf[64];
	lua_Integer n, k;
	cJSON *node;

	if (depth > MAX_JSON_DEPTH)
		luaL_error(L, "cannot encode as JSON: nested too deeply "
			      "(a cycle?)");
	luaL_checkstack(L, 6, "cannot encode as JSON: nested too deeply");
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		json_attach(L, parent, key,
			    cJSON_CreateBool(lua_toboolean(L, idx)));
		return;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			/* Raw text: exact even past 2^53. */
			snprintf(buf, sizeof(buf), LUA_INTEGER_FMT,
				 (LUAI_UACINT)lua_tointeger(L, idx));
			json_attach(L, parent, key, cJSON_CreateRaw(buf));
		} else {
			double d = (double)lua_tonumber(L, idx);
			if (!isfinite(d))
				luaL_error(L, "cannot encode NaN or infinity "
					      "as JSON (not finite)");
			json_attach(L, parent, key, cJSON_CreateNumber(d));
		}
		return;
	case LUA_TSTRING:
		json_attach(L, parent, key,
			    cJSON_CreateString(check_cstring(
				    L, idx, key ? key : "a JSON string")));
		return;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == (void *)&null_sentinel) {
			json_attach(L, parent, key, cJSON_CreateNull());
			return;
		}
		break;
	case LUA_TTABLE:
		n = json_array_len(L, idx);
		node = json_attach(L, parent, key, n < 0 ? cJSON_CreateObject()
							 : cJSON_CreateArray());
		for (k = 1; k <= n; k++, lua_pop(L, 1)) {
			lua_rawgeti(L, idx, k);
			json_encode_into(L, lua_gettop(L), depth + 1, node,
					 NULL);
		}
		if (n >= 0)
			return;
		for (lua_pushnil(L); lua_next(L, idx) != 0; lua_pop(L, 1))
			json_encode_into(L, lua_gettop(L), depth + 1, node,
					 check_cstring(L, -2,
						       "a JSON object key"));
		return;
	default:
		break;
	}
	luaL_error(L, "cannot encode a %s as JSON (use smartcar.null for "
		      "null)",
		   luaL_typename(L, idx));
}

/* The tree of the value at @p idx, owned by t->json, the array of the
 * trees of the call (so that a raise half way through frees them). */
static cJSON *json_encode_tree(lua_State *L, int idx, tmp *t)
{
	idx = lua_absindex(L, idx);
	if (t->json == NULL && (t->json = cJSON_CreateArray()) == NULL)
		raise_nomem(L);
	json_encode_into(L, idx, 0, t->json, NULL);
	sc_json_sort_keys(t->json->child->prev); /* the last: this one */
	return t->json->child->prev;
}

static int l_env_snapshot(lua_State *L); /* generated */

/* core.same_env(snapshot) -> whether the environment still holds a
 * core.env_snapshot's values (the default client's check that no origin
 * variable changed); same_env(names, values): of env_snapshot(...). */
static int l_same_env(lua_State *L)
{
	lenv *u = luaL_testudata(L, 1, ENV_MT);

	if (u == NULL) {
		luaL_checktype(L, 2, LUA_TTABLE);
		l_env_snapshot(L);
		u = lua_touserdata(L, -1);
	}
	lua_pushboolean(L, sc_env_snapshot_same(u->env));
	return 1;
}

/* ---- client:call_many: sc_call_many with a Lua progress callback. ---- */

struct many_progress {
	lua_State *L;
	int fn;     /* stack index of the callback (0: none) */
	int err;    /* stack index where a raised error is kept */
	int failed; /* the callback raised: no more calls to it */
};

/* Called by sc_many_run on this thread: the Lua callback runs under
 * lua_pcall (an error never unwinds through libcurl); its error is kept,
 * later progress not reported, and call_many raises it at the end. */
static void many_progress_cb(void *payload, size_t index, int rc,
			     size_t done, size_t total)
{
	struct many_progress *p = payload;
	lua_State *L = p->L;

	if (p->fn == 0 || p->failed)
		return;
	if (!lua_checkstack(L, 8)) {
		p->failed = 1;
		lua_pushliteral(L, "call_many: progress callback: stack "
				   "overflow");
		lua_replace(L, p->err);
		return;
	}
	lua_pushvalue(L, p->fn);
	lua_pushinteger(L, (lua_Integer)index + 1);
	lua_pushboolean(L, rc == 0);
	lua_pushinteger(L, (lua_Integer)done);
	lua_pushinteger(L, (lua_Integer)total);
	if (lua_pcall(L, 4, 0, 0) != LUA_OK) {
		p->failed = 1;
		lua_replace(L, p->err);
	}
}

/* calls[i] (at 7) and its fields, pushed: 8 the endpoint, 9 the params,
 * 10 the store, 11 the key.  NULL, or what was expected instead. */
static const char *many_call(lua_State *L, lua_Integer i, lstore **st)
{
	if (lua_rawgeti(L, 2, i) != LUA_TTABLE)
		return ": table {endpoint, params[, store, key]}";
	if (lua_rawgeti(L, 7, 1) != LUA_TSTRING)
		return "[1]: endpoint name";
	if (lua_rawgeti(L, 7, 2) != LUA_TNIL && !lua_istable(L, 9))
		return "[2]: params table";
	if (lua_rawgeti(L, 7, 3) != LUA_TNIL &&
	    ((*st = luaL_testudata(L, 10, STORE_MT)) == NULL ||
	     (*st)->store == NULL || lua_rawgeti(L, 7, 4) != LUA_TSTRING ||
	     *lua_tostring(L, 11) == '\0'))
		return "[3], [4]: an open token store and a key";
	return NULL;
}

/*
 * client:call_many(calls, max_in_flight, progress) -> results
 *   calls: {{endpoint, params[, store, key]}, ...}; max_in_flight: 1..1024
 *   or nil (8); progress: function(index, ok, done, total) or nil.
 *   results: {{ok = true, data = ...} | {ok = false, err = ...}, ...}.
 * Raises for bad arguments, out of memory, or what progress raised.
 */
static int l_client_call_many(lua_State *L)
{
	lclient *c = luaL_checkudata(L, 1, CLIENT_MT);
	lua_Integer mif;
	struct many_progress prog = { L, 0, 6, 0 };
	size_t n, i;
	tmp *t;
	int rc;

	check_client(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	mif = luaL_optinteger(L, 3, 8);
	luaL_argcheck(L, mif >= 1 && mif <= 1024, 3,
		      "max_in_flight must be 1..1024");
	if (!lua_isnoneornil(L, 4)) {
		luaL_checktype(L, 4, LUA_TFUNCTION);
		prog.fn = 4;
	}
	lua_settop(L, 4);
	n = (size_t)lua_rawlen(L, 2);
	t = tmp_push(L); /* 5 */
	lua_pushnil(L); /* 6: the error the callback raised */
	if (sc_many_new(&t->many, c->client, n) != 0)
		return raise_nomem(L);
	for (i = 1; i <= n; i++) {
		const char *key = NULL, *bad;
		lstore *st = NULL;

		if ((bad = many_call(L, (lua_Integer)i, &st)) != NULL)
			return luaL_argerror(L, 2, lua_pushfstring(L,
				"calls[%d]%s expected", (int)i, bad));
		check_cstring(L, 8, "an endpoint name");
		if (st != NULL)
			key = check_cstring(L, 11, "the key");
		params_arg(L, t, 9, 2);
		rc = sc_many_add(t->many, st ? st->store : NULL, key,
				 lua_tostring(L, 8), t->params);
		sc_params_free(t->params);
		t->params = NULL;
		if (rc != 0)
			return raise_nomem(L);
		lua_settop(L, 6);
	}

	c->busy++; /* the callback runs under lua_pcall: nothing raises */
	rc = sc_many_run(t->many, (size_t)mif, many_progress_cb, &prog);
	c->busy--;
	if (prog.failed) {
		lua_pushvalue(L, 6);
		return lua_error(L);
	}
	if (rc != 0)
		return raise_failure(L, "call_many", rc, NULL);

	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		const sc_result *res = sc_many_result(t->many, i);
		const sc_error *err = res ? sc_result_error(res) : NULL;

		if (res == NULL || (err && sc_error_code(err) == SC_ENOMEM))
			return raise_nomem(L);
		lua_createtable(L, 0, 2);
		lua_pushboolean(L, err == NULL);
		lua_setfield(L, -2, "ok");
		set_outcome(L, res, err);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* ---- client:async_*: the non-blocking driver (smartcar/async.h) ---- */

/* The client's sc_async, made on first use (freed when it closes). */
static lclient *check_async_client(lua_State *L)
{
	lclient *c = luaL_checkudata(L, 1, CLIENT_MT);
	int rc;

	check_client(L, 1);
	if (c->async == NULL && (rc = sc_async_new(&c->async, c->client, 0)))
		raise_failure(L, NULL, rc, NULL);
	return c;
}

/* The finished calls: {{id = n, data = t} or {id = n, err = e}, ...};
 * a page of a walk that goes on has more = true. */
static int async_push_taken(lua_State *L, sc_async *a)
{
	sc_result *res;
	uint64_t id;
	int n = 0, more;

	lua_newtable(L);
	while (sc_async_take_page(a, &id, &res, &more) == 1) {
		const sc_error *err = sc_result_error(res);
		lua_createtable(L, 0, 3);
		lua_pushinteger(L, (lua_Integer)id);
		lua_setfield(L, -2, "id");
		if (more) {
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, "more");
		}
		set_outcome(L, res, err);
		sc_result_free(res);
		lua_rawseti(L, -2, ++n);
	}
	return 1;
}

/* The wrappers of csrc/lib/bindings.def's functions, the method tables
 * and register_types() */
#include "smartcar_core_functions.h"

int luaopen_smartcar_core(lua_State *L)
{
	int rc = sc_global_init();

	if (rc != 0)
		return luaL_error(L, "smartcar: global init failed: %s",
				  sc_strerror(rc));

	register_types(L);

	luaL_newlib(L, module_functions);
	tmp_new(L); /* core.vehicle_call's (its upvalue) */
	lua_pushcclosure(L, l_vehicle_call, 1);
	lua_setfield(L, -2, "vehicle_call");

	lua_pushlightuserdata(L, (void *)&null_sentinel);
	lua_setfield(L, -2, "null");

	push_constants(L);
	return 1;
}
