rockspec_format = "3.0"
package = "smartcar"
version = "scm-1"

-- Built from a checkout: luarocks --lua-version=5.4 make rockspec/smartcar-scm-1.rockspec
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

dependencies = {
   "lua >= 5.4",
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

build = {
   type = "builtin",
   modules = {
      ["smartcar.core"] = {
         -- The library sources: the same list, in the same order, as
         -- SC_LIB_SOURCES in CMakeLists.txt (checked in CI).
         sources = {
            "csrc/lib/buf.c",
            "csrc/lib/redact.c",
            "csrc/lib/strings.c",
            "csrc/lib/url.c",
            "csrc/lib/platform.c",
            "csrc/lib/json.c",
            "csrc/lib/error.c",
            "csrc/lib/params.c",
            "csrc/lib/client.c",
            "csrc/lib/message.c",
            "csrc/lib/result.c",
            "csrc/lib/auth.c",
            "csrc/lib/request.c",
            "csrc/lib/op.c",
            "csrc/lib/paging.c",
            "csrc/lib/shape.c",
            "csrc/lib/debug.c",
            "csrc/lib/call.c",
            "csrc/lib/answer.c",
            "csrc/lib/async.c",
            "csrc/lib/rate.c",
            "csrc/lib/webhook.c",
            "csrc/lib/store.c",
            "csrc/lib/store_sqlite.c",
            "csrc/lib/store_pg.c",
            "csrc/lib/transport_curl.c",
            "lua/smartcar_core.c",
         },
         incdirs = {
            "csrc/include",
            "csrc/lib",
            "$(CURL_INCDIR)",
            "$(CJSON_INCDIR)",
            "$(CJSON_INCDIR)/cjson", -- for sources that include "cJSON.h"
            "$(OPENSSL_INCDIR)",
            "$(PQ_INCDIR)/postgresql",
         },
         defines = { "SC_HAVE_LIBPQ" },
         libdirs = {
            "$(CURL_LIBDIR)",
            "$(CJSON_LIBDIR)",
            "$(OPENSSL_LIBDIR)",
            "$(PQ_LIBDIR)",
         },
         libraries = { "curl", "cjson", "ssl", "crypto", "sqlite3", "pq", "pthread",
                       "m" },
      },
      ["smartcar"] = "lua/smartcar/init.lua",
   },
}
