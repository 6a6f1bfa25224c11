/*
 * The Lua 5.4 C API that smartcar_core.c uses, on top of the Lua 5.1 API
 * of LuaJIT 2.1 (which already has luaL_setfuncs, luaL_testudata,
 * luaL_setmetatable, lua_tointegerx and LUA_OK).  Included after lua.h
 * and lauxlib.h; empty under Lua 5.4.
 *
 * To-be-closed slots: Lua 5.1 has none, so every C function this file
 * registers (lua_pushcclosure, lua_pushcfunction, luaL_setfuncs and
 * luaL_newlib) runs inside a trampoline that calls it under lua_pcall and
 * then calls __close on what lua_toclose() marked during the call, newest
 * first, whether it returned or raised (then the error is raised again).
 * So a call's C resources are released when it ends, as under 5.4, not
 * whenever the collector gets to them.
 *
 * Differences that remain under LuaJIT:
 *  - one user value per userdata, kept in its environment table;
 *  - numbers are doubles: an "integer" is a number with no fraction part
 *    within +-2^53.
 */
#ifndef SC_LUA_COMPAT_H
#define SC_LUA_COMPAT_H

/* LuaJIT's lua.h defines LUA_OK (from 5.2); PUC-Rio Lua 5.1's does not. */
#if (LUA_VERSION_NUM < 502 && !defined(LUA_OK)) || \
	(LUA_VERSION_NUM >= 502 && LUA_VERSION_NUM < 504)
#error "smartcar.core builds for Lua 5.4 or LuaJIT 2.1 (Lua 5.1 API)"
#endif

#if LUA_VERSION_NUM < 502

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long lua_Unsigned;
#define LUAI_UACINT long long
#define LUA_INTEGER_FMT "%lld"

#define lua_rawlen(L, i) lua_objlen(L, (i))

static int sc_compat_absindex(lua_State *L, int i)
{
	return (i > 0 || i <= LUA_REGISTRYINDEX) ? i : lua_gettop(L) + i + 1;
}
#define lua_absindex(L, i) sc_compat_absindex(L, (i))

/* Its address keys the registry's list of values to close. */
static const char sc_compat_tbc_key = 0;

/* Push the list of values marked to-be-closed (a sequence, oldest first). */
static void sc_compat_tbc_list(lua_State *L)
{
	lua_pushlightuserdata(L, (void *)&sc_compat_tbc_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	if (lua_istable(L, -1))
		return;
	lua_pop(L, 1);
	lua_newtable(L);
	lua_pushlightuserdata(L, (void *)&sc_compat_tbc_key);
	lua_pushvalue(L, -2);
	lua_rawset(L, LUA_REGISTRYINDEX);
}

static void sc_compat_toclose(lua_State *L, int i)
{
	i = sc_compat_absindex(L, i);
	sc_compat_tbc_list(L);
	lua_pushvalue(L, i);
	lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
	lua_pop(L, 1);
}
#define lua_toclose(L, i) sc_compat_toclose(L, (i))

/*
 * Called from the trampoline, luaL_argerror cannot name the function (its
 * message says "to '?'") nor tell a method call.  The trampoline's own
 * frame knows both: rewrite the message the way luaL_argerror would have
 * written it for a direct call.
 */
static void sc_compat_name_argerror(lua_State *L)
{
	static const char head[] = "bad argument #", anon[] = " to '?'";
	lua_Debug ar;
	const char *msg = lua_tostring(L, -1), *rest;
	char *end;
	long narg;

	if (lua_type(L, -1) != LUA_TSTRING ||
	    strncmp(msg, head, sizeof(head) - 1) != 0)
		return;
	narg = strtol(msg + sizeof(head) - 1, &end, 10);
	if (end == msg + sizeof(head) - 1 ||
	    strncmp(end, anon, sizeof(anon) - 1) != 0)
		return;
	rest = end + sizeof(anon) - 1;
	if (!lua_getstack(L, 0, &ar) || !lua_getinfo(L, "n", &ar) ||
	    ar.name == NULL)
		return;
	if (ar.namewhat != NULL && strcmp(ar.namewhat, "method") == 0 &&
	    --narg == 0)
		lua_pushfstring(L, "calling '%s' on bad self%s", ar.name, rest);
	else
		lua_pushfstring(L, "bad argument #%d to '%s'%s", (int)narg,
				ar.name, rest);
	lua_replace(L, -2);
}

/* Upvalue 1: the C function to run; see the comment at the top. */
static int sc_compat_tbc_call(lua_State *L)
{
	int base, n, status;

	sc_compat_tbc_list(L);
	base = (int)lua_objlen(L, -1);
	lua_pop(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	luaL_checkstack(L, 5, "closing a call's resources");
	sc_compat_tbc_list(L);
	for (n = (int)lua_objlen(L, -1); n > base; n--) {
		lua_rawgeti(L, -1, n); /* the value */
		lua_pushnil(L);
		lua_rawseti(L, -3, n); /* off the list before it runs */
		if (luaL_getmetafield(L, -1, "__close")) {
			lua_insert(L, -2); /* __close, value */
			if (status != 0)
				lua_pushvalue(L, -4); /* the error */
			else
				lua_pushnil(L);
			lua_call(L, 2, 0);
		} else {
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	if (status != 0) {
		sc_compat_name_argerror(L);
		return lua_error(L);
	}
	return lua_gettop(L);
}

static void sc_compat_pushcclosure(lua_State *L, lua_CFunction f, int n)
{
	(lua_pushcclosure)(L, f, n);
	(lua_pushcclosure)(L, sc_compat_tbc_call, 1);
}
#undef lua_pushcfunction
#define lua_pushcfunction(L, f) sc_compat_pushcclosure(L, (f), 0)
#define lua_pushcclosure(L, f, n) sc_compat_pushcclosure(L, (f), (n))

static void sc_compat_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
	int i;

	luaL_checkstack(L, nup + 1, "too many upvalues");
	for (; l->name != NULL; l++) {
		for (i = 0; i < nup; i++)
			lua_pushvalue(L, -nup);
		sc_compat_pushcclosure(L, l->func, nup);
		lua_setfield(L, -(nup + 2), l->name);
	}
	lua_pop(L, nup);
}
#define luaL_setfuncs(L, l, n) sc_compat_setfuncs(L, (l), (n))

static int sc_compat_isinteger(lua_State *L, int i)
{
	lua_Number n;

	if (lua_type(L, i) != LUA_TNUMBER)
		return 0;
	n = lua_tonumber(L, i);
	return n == floor(n) && n >= -9007199254740992.0 &&
	       n <= 9007199254740992.0;
}
#define lua_isinteger(L, i) sc_compat_isinteger(L, (i))

/* 5.3+: these return the type of the pushed value. */
static int sc_compat_getfield(lua_State *L, int i, const char *k)
{
	(lua_getfield)(L, i, k);
	return lua_type(L, -1);
}
#define lua_getfield(L, i, k) sc_compat_getfield(L, (i), (k))

static int sc_compat_rawgeti(lua_State *L, int i, lua_Integer n)
{
	(lua_rawgeti)(L, i, (int)n);
	return lua_type(L, -1);
}
#define lua_rawgeti(L, i, n) sc_compat_rawgeti(L, (i), (n))

static void *sc_compat_newuserdatauv(lua_State *L, size_t size, int nuv)
{
	void *p = lua_newuserdata(L, size);

	if (nuv > 0) { /* a fresh environment table holds the user value */
		lua_newtable(L);
		lua_setfenv(L, -2);
	}
	return p;
}
#define lua_newuserdatauv(L, s, n) sc_compat_newuserdatauv(L, (s), (n))

/* Only user value 1 is used. */
static int sc_compat_getiuservalue(lua_State *L, int i, int n)
{
	lua_getfenv(L, i);
	(lua_rawgeti)(L, -1, n);
	lua_remove(L, -2);
	return lua_type(L, -1);
}
#define lua_getiuservalue(L, i, n) sc_compat_getiuservalue(L, (i), (n))

static int sc_compat_setiuservalue(lua_State *L, int i, int n)
{
	i = sc_compat_absindex(L, i);
	lua_getfenv(L, i);
	lua_insert(L, -2);
	(lua_rawseti)(L, -2, n);
	lua_pop(L, 1);
	return 1;
}
#define lua_setiuservalue(L, i, n) sc_compat_setiuservalue(L, (i), (n))

#endif /* LUA_VERSION_NUM < 502 */

#endif
