rockspec_format = "3.0"
package = "smartcar"
version = "scm-1"

-- Built from a checkout: luarocks --lua-version=5.4 make rockspec/smartcar-scm-1.rockspec
-- (LuaJIT: --lua-version=5.1 LUA_INCDIR=/usr/include/luajit-2.1, see
-- docs/lua.md).  A release rock for a tag: scripts/make-rock.sh, which
-- writes smartcar-VERSION-1.rockspec with a tarball source.
source = {
   url = "git+file://.",
}

description = {
   summary = "Smartcar client (Connect, tokens, Vehicle API) over libsmartcar",
   detailed = [[
The Lua binding of libsmartcar: build the Smartcar Connect URL, parse the
redirect, exchange and refresh tokens (by hand or through a SQLite token
store that refreshes by itself), call the Vehicle API (v2 and the v3
signals, with Connect or application tokens) and walk paged results.  The
C library is compiled into the module, so only libcurl, cJSON, OpenSSL,
SQLite and libpq are needed at run time.
]],
   license = "MIT",
}

-- Lua 5.4, or LuaJIT 2.1 (its Lua 5.1 API, through lua/sc_lua_compat.h);
-- the build stops with a message under PUC-Rio Lua 5.1, 5.2 and 5.3.
dependencies = {
   "lua >= 5.1",
}

external_dependencies = {
   -- libcurl is found by its library: on multiarch systems (Debian,
   -- Ubuntu) curl/curl.h sits in /usr/include/<triplet>/, where the
   -- compiler looks by itself but LuaRocks' header search does not.
   CURL = { library = "curl" },
   CJSON = { header = "cjson/cJSON.h" },
   OPENSSL = { header = "openssl/hmac.h" },
   SQLITE = { header = "sqlite3.h" },
   -- the PostgreSQL token store (Debian: libpq-dev)
   PQ = { header = "postgresql/libpq-fe.h" },
}

-- The "command" backend, not "builtin": builtin copies the whole lua/
-- directory into the tree (with smartcar_core.c, its object, the LuaLS
-- meta files and smartcar/resty.lua, which only works under OpenResty),
-- and writes its objects next to the sources.  This installs just the two
-- modules (and README, LICENSE and CHANGELOG as docs).
build = {
   type = "command",
   -- The library sources: the same list, in the same order, as
   -- SC_LIB_SOURCES in CMakeLists.txt (checked by tools/check-sources.sh).
   build_command = [[$(CC) $(CFLAGS) $(LIBFLAG) -o core.so \
      -I$(LUA_INCDIR) -Icsrc/include -Icsrc/lib -I$(CURL_INCDIR) \
      -I$(CJSON_INCDIR) -I$(CJSON_INCDIR)/cjson -I$(OPENSSL_INCDIR) \
      -I$(PQ_INCDIR)/postgresql -DSC_HAVE_LIBPQ \
      csrc/lib/buf.c \
      csrc/lib/redact.c \
      csrc/lib/strings.c \
      csrc/lib/url.c \
      csrc/lib/platform.c \
      csrc/lib/json.c \
      csrc/lib/error.c \
      csrc/lib/params.c \
      csrc/lib/client.c \
      csrc/lib/message.c \
      csrc/lib/http1.c \
      csrc/lib/result.c \
      csrc/lib/auth.c \
      csrc/lib/bind_host.c \
      csrc/lib/bind_json.c \
      csrc/lib/bind_text.c \
      csrc/lib/request.c \
      csrc/lib/op.c \
      csrc/lib/paging.c \
      csrc/lib/shape.c \
      csrc/lib/debug.c \
      csrc/lib/call.c \
      csrc/lib/answer.c \
      csrc/lib/async.c \
      csrc/lib/rate.c \
      csrc/lib/webhook.c \
      csrc/lib/state_seal.c \
      csrc/lib/webhook_seen.c \
      csrc/lib/signals.c \
      csrc/lib/store.c \
      csrc/lib/store_sqlite.c \
      csrc/lib/store_pg.c \
      csrc/lib/store_host.c \
      csrc/lib/transport_curl.c \
      lua/smartcar_core.c \
      -L$(CURL_LIBDIR) -L$(CJSON_LIBDIR) -L$(OPENSSL_LIBDIR) -L$(PQ_LIBDIR) \
      -lcurl -lcjson -lssl -lcrypto -lsqlite3 -lpq -lpthread -lm]],
   install = {
      lua = { ["smartcar"] = "lua/smartcar/init.lua" },
      lib = { ["smartcar.core"] = "core.so" },
   },
}
