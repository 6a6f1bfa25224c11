--- smartcar.resty: libsmartcar for OpenResty / lua-nginx-module.
---
--- The library's sans-IO op (sc_op) decides what to send, retries, waits
--- and decodes; this module does its I/O with cosockets and ngx.sleep, so
--- a call never blocks the nginx worker (docs/openresty.md).
---
---   local smartcar = require "smartcar.resty"
---   smartcar.init { lib = "/usr/local/lib/libsmartcar.so" }
---   local client = smartcar.client { client_id = ..., client_secret = ... }
---   local data, err = client:vehicle(id, token):odometer()
local ffi = require "ffi"
local cjson = require "cjson.safe"

local ngx = ngx
local C, codes -- the library and its codes by kind, once loaded

local _M = { _VERSION = "0.1.0" }
local Client, TokenStore, Seen, Vehicle = {}, {}, {}, {} -- (classes)
for _, class in ipairs { Client, TokenStore, Seen, Vehicle } do
  class.__index = class
end

-- The library's declarations (generated from its headers), and libc's.
local CDEF = require("smartcar.resty.cdef") .. "void *malloc(size_t size);"
local cdef_done = false

local function need_lib()
  if C == nil then _M.init() end
end

---------------------------------------------------------------------------
-- Errors and results

local Error = {}
Error.__index = Error
Error.__tostring = function(e)
  local status = (e.status_code or 0) ~= 0
    and " (HTTP " .. tostring(e.status_code) .. ")" or ""
  return "smartcar: " .. (e.kind or "error") .. status
    .. (e.message and ": " .. tostring(e.message) or "")
end

-- An owned C string as a Lua string (freed), or nil.
local function take_string(p)
  if p == nil then return nil end
  local s = ffi.string(p)
  C.sc_free(p)
  return s
end

local function opt_string(p)
  return p ~= nil and ffi.string(p) or nil
end

-- The JSON fn(out, ...) writes, decoded; or nil.
local function json_of(fn, ...)
  local out = ffi.new("char *[1]")
  return fn(out, ...) == 0 and cjson.decode(take_string(out[0])) or nil
end

-- An Error of an owned sc_error* (freed), or of code and msg.
local function error_from_c(cerr, code, msg)
  local t = json_of(C.sc_error_fields_text, code, cerr, msg)
  if cerr ~= nil then C.sc_error_free(cerr) end
  return setmetatable(t or { kind = "out_of_memory", sc_code = -2 }, Error)
end

-- Argument errors raise an invalid_argument Error (a table: no position).
local function raise(message)
  need_lib()
  error(error_from_c(nil, -1, message or "out of memory"), 0)
end

-- An owned sc_result* (freed) and its code as data, or nil and an Error.
local function decode_result(res, rc)
  local t = json_of(C.sc_result_text, res, rc)
  C.sc_result_free(res)
  if not t then return nil, error_from_c(nil, -2) end
  if t.error then return nil, setmetatable(t.error, Error) end
  return t.data
end

-- The library's plain functions (generated from bindings.def), made when
-- it is loaded; rt is what they call.
local made
local F = setmetatable({}, { __index = function(_, name)
  need_lib()
  return made[name]
end })
local rt = { raise = raise, take_string = take_string, opt_string = opt_string,
  decode_result = decode_result, error_from_c = error_from_c,
  client_class = Client, store_class = TokenStore, seen_class = Seen }
function rt.encode(v, what) -- (what: the argument, in the message)
  local json, err = cjson.encode(v)
  return json or raise((what or "value") .. ": cannot write JSON: "
    .. tostring(err))
end

---------------------------------------------------------------------------
-- Library loading

--- Load the shared library.  Call once per worker (init_worker_by_lua or
--- lazily); later calls return the already-loaded library.
---@param opts table|nil {lib = path}; default $SMARTCAR_LIB or "libsmartcar.so"
function _M.init(opts)
  if C ~= nil then return true end
  if not cdef_done then
    ffi.cdef(CDEF)
    cdef_done = true
  end
  local path = opts and opts.lib or os.getenv("SMARTCAR_LIB")
    or "libsmartcar.so"
  local ok, lib = pcall(ffi.load, path)
  if not ok then
    error("smartcar.resty: cannot load " .. path .. ": " .. tostring(lib), 2)
  end
  local rc = lib.sc_global_init()
  if rc ~= 0 then
    error("smartcar.resty: sc_global_init failed: " .. rc, 2)
  end
  C, made = lib, require("smartcar.resty.functions")(lib, rt)
  codes = made.codes -- by kind: codes.timeout
  _M.codes, _M.SC_ENETWORK, _M.SC_ETIMEOUT, _M.SC_ETOOBIG = codes,
    codes.network, codes.timeout, codes.response_too_large
  return true
end

--- version(); endpoints(): every call's name; hash_challenge,
--- verify_payload, parse_webhook, receive_webhook and parse_redirect as
--- smartcar's (csrc/lib/api.def), but a signature is the SC-Signature
--- header as nginx gives it and parse_redirect's expected_state (the
--- state get_auth_url returned) is required: none would skip the CSRF
--- check; parse_time(text or number): epoch ms, or nil; token_store(
--- path): a SQLite token store (a file workers and processes may share,
--- or ":memory:"; its short file I/O blocks the worker); postgres_store(
--- conninfo): a PostgreSQL one.
for name, fname in pairs { version = "version", endpoints = "endpoints",
    hash_challenge = "webhook_challenge", parse_webhook = "webhook_parse",
    verify_payload = "webhook_verify", receive_webhook = "webhook_receive",
    parse_redirect = "parse_redirect", parse_time = "time_ms",
    token_store = "sqlite_store", postgres_store = "postgres_store" } do
  _M[name] = function(...) return F[fname](...) end
end

---------------------------------------------------------------------------
-- Parameters and library objects

-- fn(..., err_out): its code, and the sc_error* (owned) it failed with.
local function c_call(fn, ...)
  local n, args = select("#", ...), { ... }
  args[n + 1] = ffi.new("sc_error *[1]")
  return fn(unpack(args, 1, n + 1)), args[n + 1][0]
end

-- A library object from constructor fn(out, ..., err_out), gc-anchored
-- with free; or nil and the Error (msg when the library says nothing).
local function new_object(ctype, free, msg, fn, ...)
  local out = ffi.new(ctype .. " *[1]")
  local rc, cerr = c_call(fn, out, ...)
  if rc ~= 0 then return nil, error_from_c(cerr, rc, msg) end
  return ffi.gc(out[0], free)
end

-- nil and err, or err raised when it is about the arguments (a missing
-- or bad parameter or option, an unknown endpoint).
local function fail(err)
  if err.kind == "invalid_argument" or err.kind == "misuse" then
    error(err, 0)
  end
  return nil, err
end
rt.fail = fail

-- The library object fn(out, json, #json, err_out) makes of the Lua table
-- t as JSON (sc_params_from_text...), gc-anchored with free; or fail().
local function from_json(ctype, free, fn, t)
  local json = rt.encode(t or {}, "parameters")
  local obj, err = new_object(ctype, free, "parameters", fn, json, #json)
  if not obj then return fail(err) end
  return obj
end

local function make_params(t)
  return from_json("sc_params", C.sc_params_free, C.sc_params_from_text, t)
end

---------------------------------------------------------------------------
-- HTTP: the library's sans-IO HTTP/1.1 (sc_http1) says where to connect,
-- writes the request and parses the answer; this module does the socket
-- calls (or lua-resty-http's, when it is installed).

local function now_ms()
  ngx.update_time()
  return ngx.now() * 1000
end

-- Remaining milliseconds before the deadline (at least 1).
local function left(deadline)
  return math.max(1, math.floor(deadline - now_ms()))
end

-- The code of socket error err (tls: 1 after a connect that may have
-- run a TLS handshake, 2 during one).
local function io_code(err, tls)
  return C.sc_socket_error_code(tostring(err), tls or 0)
end

local READ_CHUNK = 65536

local ok_http, resty_http = pcall(require, "resty.http")
resty_http = ok_http and type(resty_http) == "table"
  and type(resty_http.new) == "function" and resty_http or nil
_M.http_driver = resty_http and "lua-resty-http" or "builtin"

-- The connection methods of a cosocket, or of a lua-resty-http object.
local CONN = resty_http and { timeouts = "set_timeouts",
  reused = "get_reused_times", keepalive = "set_keepalive" }
  or { timeouts = "settimeouts", reused = "getreusedtimes",
       keepalive = "setkeepalive" }

-- Connection c's timeouts: connect_ms (or the time left), then the time
-- left to send and to read.
local function timeouts(c, deadline, connect_ms)
  c[CONN.timeouts](c, connect_ms or left(deadline), left(deadline),
    left(deadline))
end

-- A connection for exchange x (sc_http1_describe), pooled or new: a
-- cosocket (TLS handshake done) or a lua-resty-http object (its connect()
-- does the handshake).  It and whether it was reused, or nil, code, msg.
local function open(client, x, deadline)
  local verify = not client.insecure_tls
  local c = resty_http and resty_http.new() or ngx.socket.tcp()
  timeouts(c, deadline, math.min(x.connect_timeout_ms, left(deadline)))
  local ok, err
  if resty_http then
    ok, err = c:connect({ scheme = x.tls and "https" or "http", host = x.host,
      port = x.port, pool_size = client.keepalive_pool, ssl_verify = verify,
      ssl_server_name = x.server_name })
  else
    ok, err = c:connect(x.host, x.port,
      { pool = x.pool .. (verify and "" or "#noverify") })
  end
  if not ok then -- (lua-resty-http's connect() runs the TLS handshake)
    return nil, io_code(err, resty_http and x.tls and 1),
      "connect: " .. tostring(err)
  end
  local reused = (c[CONN.reused](c) or 0) > 0
  if x.tls and not reused and not resty_http then
    ok, err = c:sslhandshake(nil, x.server_name, verify)
    if not ok then
      c:close()
      return nil, io_code(err, 2), "TLS handshake: " .. tostring(err)
    end
  end
  local stats, k = client.stats, reused and "reused" or "connections"
  stats[k], stats.requests = stats[k] + 1, stats.requests + 1
  return c, reused
end

-- Exchange h on cosocket sock: send its bytes, feed it the answer.  The
-- sc_response and whether to keep the connection, or nil, code, message,
-- stale (a pooled connection the server had closed: nothing came back).
local function exchange_builtin(sock, h, deadline, reused)
  local len = ffi.new("size_t[1]")
  local bytes = C.sc_http1_bytes(h, len)
  local ok, err = sock:send(ffi.string(bytes, len[0]))
  local rc, msg = 0, nil
  if not ok then rc, msg = io_code(err), "sending: " .. tostring(err) end
  while rc == 0 do
    timeouts(sock, deadline)
    local data, rerr = sock:receiveany(READ_CHUNK)
    if data then
      rc = C.sc_http1_feed(h, data, #data)
    elseif rerr == "closed" then
      rc = C.sc_http1_eof(h)
    else
      rc, msg = io_code(rerr), "reading: " .. tostring(rerr)
    end
  end
  if rc < 0 then
    return nil, rc, msg or ffi.string(C.sc_http1_error(h)),
      reused and rc == codes.network and C.sc_http1_got_any(h) == 0
  end
  local keep, out = C.sc_http1_keep_alive(h) == 1, ffi.new("sc_response *[1]")
  C.sc_http1_take(out, h)
  return out[0], keep
end

-- Exchange h (described by x) through lua-resty-http object httpc, the
-- body streamed into an sc_response under its cap.  As exchange_builtin.
local function exchange_resty_http(httpc, h, deadline, reused, max_body, x)
  local len = ffi.new("size_t[1]")
  local body = C.sc_request_body(C.sc_http1_request(h), len)
  timeouts(httpc, deadline)
  local res, err = httpc:request({ method = x.method, path = x.path,
    query = x.query, headers = x.headers,
    body = len[0] > 0 and ffi.string(body, len[0]) or nil })
  if not res then
    return nil, io_code(err), "request: " .. tostring(err),
      reused and err ~= "timeout"
  end
  local out, head = ffi.new("sc_response *[1]"), cjson.encode(res.headers)
  local rc = C.sc_response_new_text(out, max_body, res.status, head or "",
    head and #head or 0)
  if rc ~= 0 then -- (a status or header the library refuses)
    return nil, rc == -1 and codes.malformed_response or rc, "bad response"
  end
  local resp = ffi.gc(out[0], C.sc_response_free)
  while res.has_body do
    timeouts(httpc, deadline)
    local data, rerr = res.body_reader(READ_CHUNK)
    if rerr then
      return nil, io_code(rerr), "reading body: " .. tostring(rerr)
    end
    if not data then break end
    if #data > 0 and C.sc_response_append_body(resp, data, #data) ~= 0 then
      return nil, codes.response_too_large, "response body too large"
    end
  end
  return ffi.gc(resp, nil), true
end

-- Perform the exchange of request req: an owned sc_response, or nil,
-- code, message, unsent.
local function exchange(client, req)
  local deadline = now_ms() + tonumber(C.sc_request_timeout_ms(req))
  local once = resty_http and exchange_resty_http or exchange_builtin
  for attempt = 1, 2 do
    local h, err = new_object("sc_http1", C.sc_http1_free, "cannot send",
      C.sc_http1_new, req, client.max_body)
    if not h then return nil, err.sc_code, err.message, true end
    local x = json_of(C.sc_http1_describe, h)
    if not x then return nil, -2, "out of memory", true end
    local c, reused, msg = open(client, x, deadline)
    if not c then return nil, reused, msg, true end
    local resp, keep, emsg, stale = once(c, h, deadline, reused,
      client.max_body, x)
    if resp and keep then
      c[CONN.keepalive](c, client.keepalive_timeout, client.keepalive_pool)
    else
      c:close()
    end
    if resp then return resp end
    -- a pooled connection found dead: once more on a new one (as curl)
    if not (stale and attempt == 1) then return nil, keep, emsg, false end
    client.stats.stale = client.stats.stale + 1
  end
end

---------------------------------------------------------------------------
-- Running an op

local inflight = 0

-- A store with I/O of its own (store.io: Redis) answers SC_STORE_PENDING
-- first; sio:run(ctx, fn, ...) does that I/O after fn (the op waits 0 ms).
local function store_run(sio, ctx, fn, ...)
  if sio then return sio:run(ctx, fn, ...) end
  return fn(...)
end

-- Drive op (gc-owned, freed here) to its end: its sc_result and code.
local function drive(client, op, store)
  local reqp, stats = ffi.new("const sc_request *[1]"), client.stats
  local sio = store and store.io
  local ctx = sio and sio:context()
  while true do
    local step = store_run(sio, ctx, C.sc_op_next, op, reqp)
    if step == 1 then -- SC_STEP_SEND
      inflight = inflight + 1
      stats.max_inflight = math.max(stats.max_inflight, inflight)
      local ok, resp, code, msg, unsent = pcall(exchange, client, reqp[0])
      inflight = inflight - 1
      if not ok then -- a Lua error in the driver: do not leak the op
        C.sc_op_fail(op, codes.network, "driver error")
        error(resp, 0)
      end
      if resp then
        C.sc_op_feed(op, resp) -- (which takes it)
      else
        (unsent and C.sc_op_fail_unsent or C.sc_op_fail)(op, code, msg)
      end
    elseif step == 2 then -- SC_STEP_WAIT
      stats.waits = stats.waits + 1
      local ms = tonumber(C.sc_op_wait_ms(op))
      -- (a 0 ms wait of a store with I/O: its I/O has yielded already)
      if ms > 0 or not sio then ngx.sleep(math.max(ms, 0) / 1000) end
    else
      break
    end
  end
  local res = ffi.new("sc_result *[1]")
  local rc = C.sc_op_result(res, op)
  store_run(sio, ctx, C.sc_op_free, ffi.gc(op, nil))
  return res[0], rc
end

-- Run a call: data or nil, err.  With a store and key the op loads,
-- refreshes and saves the token set itself.
function rt.run_op(client, endpoint, params, store, key)
  need_lib()
  if store ~= nil and store.cptr == nil then
    raise("the token store is closed")
  end
  local op, err = new_object("sc_op", C.sc_op_free, "cannot start "
    .. endpoint, C.sc_op_new_call, client.cptr, store and store.cptr, key,
    endpoint, make_params(params))
  if not op then return fail(err) end
  return decode_result(drive(client, op, store))
end

---------------------------------------------------------------------------
-- Client

--- Create a client.  Options: sc_client_options' fields (the library
--- checks their names, types and values: a wrong one raises), plus
--- keepalive_timeout_ms (default 60000) and keepalive_pool_size (default:
--- lua_socket_pool_size).
---@return table|nil client, table|nil err
function _M.client(opts)
  need_lib()
  opts = opts or {}
  if opts.proxy ~= nil then
    raise("proxy: not supported by smartcar.resty (cosockets connect directly)")
  end
  -- (the library merges the two; a null leaves the option out)
  local cptr, err = from_json("sc_client", C.sc_client_free,
    C.sc_client_new_text, { opts, { keepalive_timeout_ms = cjson.null,
      keepalive_pool_size = cjson.null } })
  if not cptr then return nil, err end
  return setmetatable({
    cptr = cptr,
    max_body = opts.max_response_bytes or 0,
    insecure_tls = opts.insecure_skip_tls_verify_dangerous and true or false,
    keepalive_timeout = opts.keepalive_timeout_ms or 60000,
    keepalive_pool = opts.keepalive_pool_size,
    stats = { connections = 0, reused = 0, requests = 0, waits = 0,
              stale = 0, max_inflight = 0 },
  }, Client)
end

--- client:get(key): a configuration value (sc_client_get keys), never
--- the secret; client:call(endpoint, params): any call of the endpoint
--- table by name, data or nil, err (generated from bindings.def, as
--- client:pages and the stores' and seen's methods).

--- client:pages(endpoint, params, page_size, store, key): iterate the
--- pages of a paged call (get_vehicles, get_signals, list_connections...),
--- `page_size` items a page (nil: the server's default), the tokens from
--- store under key when given: each page's data, nil after the last, or
--- nil and the Error of a failed page (which ends the walk).
---   for page in client:pages("list_connections", {user_id = uid}, 10) do
function rt.pages(client, endpoint, params, page_size, store, key)
  local pager, perr = new_object("sc_pager", C.sc_pager_free,
    "cannot page " .. endpoint, C.sc_pager_new, client.cptr,
    store and store.cptr, key, endpoint, make_params(params), page_size)
  if not pager then error(perr, 0) end
  return function() -- (the pager knows when the walk has ended)
    local op = ffi.new("sc_op *[1]")
    local rc, cerr = c_call(C.sc_pager_op, pager, op)
    if rc ~= 0 then return nil, error_from_c(cerr, rc, endpoint) end
    if op[0] == nil then return nil end
    local res, code = drive(client, ffi.gc(op[0], C.sc_op_free), store)
    C.sc_pager_take(pager, res)
    return decode_result(res, code)
  end
end

--- The Connect URL.  scope: array of permissions.  Options: state,
--- force_prompt, make, single_select ({enabled =, vin =} or a boolean),
--- single_select_vin, flags, user, mode.
---@return string|nil url, string|table state_or_err
function Client:get_auth_url(scope, options) -- (the library merges them)
  return self:auth_url_text(rt.encode({ options, { scope = scope } },
    "options"))
end

---------------------------------------------------------------------------
-- Token stores

-- fn(...), made again while the store's I/O is pending (8 times at most).
function rt.store_io(store, fn, ...)
  local sio = store.io
  local ctx = sio and sio:context()
  for _ = 1, 8 do
    local rc = store_run(sio, ctx, fn, ...)
    if rc ~= 1 then return rc end -- SC_STORE_PENDING
  end
  return codes.storage
end

--- store:put(key, token_set), get(key), delete(key) and refresh(client,
--- key) (refresh it now, after any refresh under way, and save it): true
--- (get, refresh: the set), or nil, err (generated from bindings.def).

--- Close the store (idempotent).
function TokenStore:close()
  if self.cptr ~= nil then
    local p = ffi.gc(self.cptr, nil)
    self.cptr = nil;
    (self.release or C.sc_token_store_free)(p)
  end
end

-- Token stores in Lua: library stores of one host function (one FFI
-- callback finding each store's Lua functions by its id).
local lua_stores, next_store_id, host_fn = {}, 0, nil
local HOST_OPS = { "load", "save", "remove", "lease_take", "lease_get",
                   "lease_end", "lock", "unlock" } -- SC_STORE_HOST_*, in order

-- The host function: fns[op](key, a, b, c, number).  A string answer
-- (load's JSON; lease_get's owner, then its deadline) is handed over; nil,
-- code is that code (not_found without one).  A Lua error becomes
-- SC_ESTORAGE (it must not unwind through the library's C frames).
local function host_call(ctx, op, key, a, b, c, number, text_out, number_out)
  local fns = lua_stores[tonumber(ffi.cast("intptr_t", ctx))]
  if not fns then return codes.storage end
  local ok, r1, r2 = pcall(fns[HOST_OPS[op]], ffi.string(key),
    opt_string(a), opt_string(b), opt_string(c), number)
  if not ok then
    ngx.log(ngx.ERR, "smartcar.resty token store: ", tostring(r1))
    return codes.storage
  end
  if type(r1) ~= "string" then return r1 or r2 or codes.not_found end
  local buf = ffi.C.malloc(#r1 + 1) -- freed by the library
  if buf == nil then return codes.storage end
  ffi.copy(buf, r1, #r1 + 1)
  text_out[0], number_out[0] = buf, r2 or 0
  return 0
end

-- A TokenStore over Lua functions named as the SC_STORE_HOST_* operations
-- (sys/store.h: their arguments, and answers as host_call's): load, save,
-- remove; lease_take, lease_get and lease_end (refresh leases, version
-- 3) when given; with locked_save, lock (0, or conflict: held) and
-- unlock.  fns.io: see store_run.
local function lua_token_store(fns)
  need_lib()
  host_fn = host_fn or ffi.cast("sc_store_host_fn", host_call)
  next_store_id = next_store_id + 1
  local id, out = next_store_id, ffi.new("sc_token_store *[1]")
  if C.sc_token_store_host_new(out, host_fn, ffi.cast("void *", id),
      (fns.lease_take and 1 or 0) + (fns.locked_save and 2 or 0)) ~= 0 then
    raise("out of memory")
  end
  lua_stores[id] = fns
  local function release(p)
    lua_stores[id] = nil
    C.sc_token_store_free(p)
  end
  return setmetatable({ cptr = ffi.gc(out[0], release), release = release,
    io = fns.io }, TokenStore)
end

local function shared_dict(dict)
  if type(dict) == "string" then dict = ngx.shared[dict] end
  if type(dict) ~= "table" or type(dict.add) ~= "function" then
    raise("dict: a lua_shared_dict (or its name) expected")
  end
  return dict
end

--- A token store in an nginx shared dict (lua_shared_dict NAME SIZE;) for
--- every worker of one nginx, under prefix..key (default prefix
--- "smartcar:token:").  A save after a refresh is a compare-and-swap on
--- the refresh token used (under a short lock entry), so a worker that
--- loses a refresh race adopts the winner's set: none is lost.
---@return table store
function _M.shared_dict_store(dict, prefix)
  dict = shared_dict(dict)
  if prefix ~= nil and type(prefix) ~= "string" then
    raise("prefix: string expected")
  end
  prefix = prefix or "smartcar:token:"
  -- (a lock entry lives microseconds; it expires if its worker dies)
  return lua_token_store({ locked_save = true,
    load = function(key) return dict:get(prefix .. key) end,
    save = function(key, _, _, json)
      return dict:set(prefix .. key, json) and 0 or codes.storage
    end,
    remove = function(key) dict:delete(prefix .. key); return 0 end,
    lock = function(key)
      return dict:add(prefix .. "lock:" .. key, true, 1) and 0
        or codes.conflict
    end,
    unlock = function(key) dict:delete(prefix .. "lock:" .. key) end,
  })
end

--- A token store in Redis, shared by every box (lua-resty-redis when it
--- is installed, else smartcar.resty.resp): see smartcar/resty/redis.lua
--- and docs/openresty.md for the options.
---@return table store
function _M.redis_store(opts)
  need_lib()
  return require("smartcar.resty.redis").new(opts, {
    token_store = lua_token_store, raise = raise, codes = codes })
end

-- Calls that may reach a Lua store's callback must not run in a compiled
-- trace (LuaJIT cannot enter a callback from one).
for _, fn in ipairs { rt.run_op, c_call, new_object, store_run, rt.store_io,
    TokenStore.close } do
  jit.off(fn, true)
end

---------------------------------------------------------------------------
-- Vehicle and the endpoint table's methods

--- A vehicle handle.  token: the access token, or {store = s, key = k}:
--- each call's op then takes the set from the store, refreshes it when
--- due or after a 401 and saves it before use.  options: parameters of
--- every call (unit_system, version, flags, timeout_ms...).
function Client:vehicle(id, token, options)
  local v = { client = self, id = id, options = options or {} }
  if type(token) == "table" then
    v.store, v.key = token.store, token.key
  else
    v.access_token = token
  end
  return setmetatable(v, Vehicle)
end

--- Any endpoint for this vehicle, with extra parameters.
function Vehicle:call(endpoint, params)
  return rt.run_op(self.client, endpoint, { self.options, params, -- (merged)
    { vehicle_id = self.id, access_token = self.access_token } },
    self.store, self.key)
end

-- The method NAME(arguments..., options) of an endpoint: the library
-- maps the arguments to parameters (sc_endpoint_args_text); a token may
-- be {store =, key =}.  It calls call(self, name, params, store, key).
local function endpoint_method(name, call)
  return function(self, ...)
    local args, store, key = { ... }, nil, nil
    for i = 1, select("#", ...) do
      local v = args[i]
      if type(v) == "table" and getmetatable(v.store) == TokenStore then
        store, key, v = v.store, v.key, nil
      end
      args[i] = v == nil and cjson.null or v
    end
    local out, json = ffi.new("char *[1]"), rt.encode(args, "arguments")
    local rc, cerr = c_call(C.sc_endpoint_args_text, out, name, json, #json)
    if rc ~= 0 then error(error_from_c(cerr, rc, name), 0) end
    return call(self, name, cjson.decode(take_string(out[0])), store, key)
  end
end

-- vehicle:NAME(arguments..., options) of each vehicle call, made on use.
setmetatable(Vehicle, { __index = function(_, name)
  if type(name) ~= "string" then return nil end
  need_lib()
  local column = C.sc_endpoint_info(name, "vehicle")
  if column == nil or ffi.string(column) ~= "1" then return nil end
  Vehicle[name] = endpoint_method(name, Vehicle.call)
  return Vehicle[name]
end })

--- client:exchange_code(code, options), exchange_refresh_token(
--- refresh_token, options), get_user(token, options) and get_vehicles(
--- token, paging, options): token as vehicle's; paging {limit =, offset
--- =} or nil; options: flags, timeout_ms...
for _, name in ipairs { "exchange_code", "exchange_refresh_token",
                        "get_user", "get_vehicles" } do
  Client[name] = endpoint_method(name, rt.run_op)
end

---------------------------------------------------------------------------
-- Webhooks

--- A set of recently seen event ids (sc_webhook_seen): seen:first(id) is
--- true the first time, false for a repeat; seen:forget(id); seen:count().
--- opts: capacity (100000), ttl_ms (a day; 0: until full); or path (a
--- SQLite file every worker shares) or postgres (a libpq connection
--- string), nil, err when it cannot be opened.  An in-memory set is per
--- worker: a retry reaching another worker is missed.

function _M.webhook_seen(opts) -- (the defaults are bindings.def's)
  opts = opts or {}
  return F.webhook_seen_open(opts.capacity, opts.ttl_ms, opts.path,
    opts.postgres)
end

--- One flat row per signal (sc_signal_rows), times in epoch ms: from a
--- get_signals / get_signal result or parsed webhook (their rows), or
--- the JSON text of a signals response or delivery.
function _M.signal_rows(source)
  if type(source) == "table" then
    if type(source.rows) == "table" then return source.rows end
    source = cjson.encode(source)
  end
  local data, err = F.signal_rows(source)
  return data and data.rows, err
end

--- Serve a webhook delivery in content_by_lua: receive_webhook of the
--- request, a VERIFY challenge answered here (Smartcar does not sign it).
--- The event (`duplicate` true for a repeat seen marked) for the caller
--- to handle and answer 200; a bad signature or body is answered 401 /
--- 400 here and returns nil, err.
function _M.handle_webhook(amt, seen)
  ngx.req.read_body()
  local body, path = ngx.req.get_body_data(), ngx.req.get_body_file()
  local f = not body and path and io.open(path, "rb")
  if f then body = f:read("*a"); f:close() end
  local event, err = _M.receive_webhook(amt,
    ngx.req.get_headers()["SC-Signature"], body or "", seen)
  if not event then
    local bad_signature = err.kind == "bad_signature"
    ngx.status = bad_signature and 401 or 400
    ngx.say(bad_signature and '{"error":"bad signature"}'
      or '{"error":"bad delivery"}')
    return nil, err
  end
  if event.event_type == "VERIFY" then
    ngx.header["Content-Type"] = "application/json"
    ngx.say(event.reply)
  end
  return event
end

---------------------------------------------------------------------------
-- Connect: where the state waits between the redirect and the callback

-- A keeper of the Connect state in a cookie: save(state) sets it to
-- seal(state, max_age); take() clears it and returns open(value) or nil.
local function state_keeper(opts, seal, open)
  if opts ~= nil and type(opts) ~= "table" then raise("opts: table expected") end
  opts = opts or {}
  local name, max_age = opts.name or "sc_state", opts.max_age or 600
  local function set_cookie(value, age) -- (added to any Set-Cookie)
    local h = ngx.header["Set-Cookie"]
    h = type(h) == "string" and { h } or h or {}
    h[#h + 1] = F.state_cookie(name, value, age, opts.path,
      opts.secure == false and 0 or 1)
    ngx.header["Set-Cookie"] = h
  end
  return {
    save = function(_, state)
      if type(state) ~= "string" or state == "" then
        raise("state: non-empty string expected")
      end
      set_cookie(seal(state, max_age), max_age)
    end,
    take = function()
      local raw = ngx.var["cookie_" .. name]
      set_cookie("", 0)
      return raw and raw ~= "" and open(raw) or nil
    end,
  }
end

--- Keep the Connect state in a signed, HttpOnly cookie (sc_state_seal:
--- HMAC-SHA256, checked in constant time).  secret: at least 16 bytes,
--- the same on every worker and box.  opts: name ("sc_state"), path
--- ("/"), max_age (600 s), secure (true).  keeper:save(state) sets the
--- cookie; keeper:take() clears it and returns the state (nil when the
--- cookie is missing, forged or expired).
function _M.state_cookie(secret, opts)
  if type(secret) ~= "string" or #secret < 16 then
    raise("secret: a string of at least 16 bytes expected")
  end
  return state_keeper(opts, function(state, max_age)
    return F.state_seal(secret, state, ngx.time() + max_age)
  end, function(raw)
    return (F.state_open(secret, raw, ngx.time()))
  end)
end

--- Keep the Connect state in a shared dict, under a random id held in an
--- HttpOnly cookie.  opts: as state_cookie's.
function _M.state_dict(dict, opts)
  dict = shared_dict(dict)
  return state_keeper(opts, function(state, max_age)
    local id = F.random_state() -- (32 hex digits from the OS CSPRNG)
    local ok, err = dict:add("sc_state:" .. id, state, max_age)
    if not ok then raise("cannot keep the state: " .. tostring(err)) end
    return id
  end, function(id)
    local state = dict:get("sc_state:" .. id)
    dict:delete("sc_state:" .. id)
    return state
  end)
end

local function check_keeper(keeper, fn)
  if type(keeper) ~= "table" or type(keeper[fn]) ~= "function" then
    raise("keeper: state_cookie() or state_dict() expected")
  end
end

--- In the login location: build the Connect URL, keep its state with
--- keeper (state_cookie or state_dict) and redirect the browser there.
function Client:login(keeper, scope, options)
  check_keeper(keeper, "save")
  local url, state = self:get_auth_url(scope, options)
  if not url then return nil, state end
  keeper:save(state)
  return ngx.redirect(url)
end

--- In the callback location: take the kept state, check the redirect
--- against it and exchange the code.  The token set, or nil, err (kind
--- "state_mismatch" when no state was kept, or it does not match).
function Client:callback(keeper, options)
  check_keeper(keeper, "take")
  local state = keeper:take()
  if not state then
    return nil, error_from_c(nil, codes.state_mismatch,
      "no Connect state was kept for this browser (or it expired)")
  end
  local r, err = _M.parse_redirect(ngx.var.request_uri, state)
  if not r then return nil, err end
  return self:exchange_code(r.code, options)
end

return _M
