--- smartcar: Smartcar Connect, tokens and the Vehicle API for Lua 5.4 and
--- LuaJIT.  The protocol lives in libsmartcar (C), reached through
--- `smartcar.core`; this module adds Lua idioms: objects with methods,
--- option tables, a shared default client and argument errors.  The
--- reference, with examples, is docs/lua.md; lua/meta/ declares the
--- methods built here from the endpoint table.
---
--- A failure at run time returns `nil, err` (`err` a smartcar.Error,
--- `tostring(err)` its message); a mistake in the call itself (a missing
--- vehicle id, a wrong type, an unknown option) raises.

local core = require "smartcar.core"
local type, getmetatable, next = type, getmetatable, next

---@class smartcar
local smartcar = {}

-- The C module, for what this layer does not wrap.
smartcar.core = core
--- The value JSON null converts to.
smartcar.null = core.null
--- Metatable shared by every JSON array converted to Lua.
smartcar.array_mt = core.array_mt
--- Metatable shared by every error table.
smartcar.error_mt = core.error_mt
--- Error codes of errors.def: `smartcar.codes.ETIMEOUT == -4`.
smartcar.codes = core.codes
--- Kind of each code: `smartcar.kinds[-4] == "timeout"`.
smartcar.kinds = core.kinds
--- Version of libsmartcar, e.g. "0.1.0".
smartcar.VERSION = core.version()
--- 32 hex characters from the OS CSPRNG.
smartcar.random_state = core.random_state
--- The names of the calls in the endpoint table.
smartcar.endpoints = core.endpoints

--- true when v came from a JSON array.
function smartcar.is_array(v)
  return type(v) == "table" and getmetatable(v) == core.array_mt
end

--- true when v is an error returned by this library.
function smartcar.is_error(v)
  return type(v) == "table" and getmetatable(v) == core.error_mt
end

-- == Argument checks.  They raise at the line of the caller's code.

local THIS_FILE = debug.getinfo(1, "S").source

local function raise(msg)
  local level = 2
  while (debug.getinfo(level, "S") or {}).source == THIS_FILE do
    level = level + 1
  end
  error(msg, level)
end

local function argerror(fname, n, msg)
  raise(("bad argument #%d to '%s' (%s)"):format(n, fname, msg))
end

-- The values to send of `values` ({name = value}) checked by `kinds`
-- ({name = kind}) as argument n of fname: names, functions, tables and
-- "any" here, every other kind by the library (sc_fields_json).
local function checked(values, kinds, fname, n)
  local out, sent = {}, nil
  for k, v in pairs(values) do
    local kind = kinds[k]
    if kind == nil then
      argerror(fname, n, ("unknown option '%s'"):format(tostring(k)))
    elseif kind == "function" or kind == "table" then
      local got = v == core.null and "nil" or type(v)
      if got ~= kind then
        argerror(fname, n, ("%s: %s expected, got %s"):format(k, kind, got))
      end
    end
    if kind == "any" or kind == "function" or kind == "table" then
      out[k] = v
    else
      sent = sent or {}
      sent[k] = v
    end
  end
  if sent == nil then return out end
  local ok, res, err = pcall(core.check_fields, kinds, sent, "lua")
  if not ok then argerror(fname, n, res) end
  if res == nil then argerror(fname, n, err.message) end
  for k, v in pairs(res) do out[k] = v end
  return out
end

-- v (`what` of argument n of fname) checked as `kind`: the value to send.
local function check(kind, v, fname, n, what)
  if v == nil then v = core.null end
  return checked({ [what] = v }, { [what] = kind }, fname, n)[what]
end

-- Table t (nil: {}) checked against spec {field = kind}: t and a copy
-- holding the values to send.
local function check_fields(t, spec, fname, n)
  if t ~= nil and type(t) ~= "table" then
    argerror(fname, n, "table expected, got " .. type(t))
  end
  return t or {}, checked(t or {}, spec, fname, n)
end

-- The params the first n arguments (...) of call `name` fill, checked
-- by the library (core.endpoint_args, `how`), and the options after them.
local function positional(name, how, fname, n, ...)
  if n == 0 then return {}, (...) end
  local args = setmetatable({}, core.array_mt)
  for i = 1, n do
    local v = (select(i, ...))
    args[i] = v == nil and core.null or v
  end
  local ok, params, err = pcall(core.endpoint_args, name, args, how)
  if not ok then raise(("bad argument to '%s' (%s)"):format(fname, params)) end
  if params == nil then argerror(fname, err.argument or 1, err.message) end
  return params, (select(n + 1, ...))
end

-- A metatable for objects of class `name` that print as "name (id)"
-- (or what `shown` gives instead of the id).
local function class(name, shown)
  local c = { __name = name }
  c.__index = c
  c.__tostring = function(self)
    return ("%s (%s)"):format(name, tostring(
      shown and shown(self) or rawget(self, "id")))
  end
  return c
end

-- A copy of t (nil: {}) with the fields of `more` over it.
local function copy(t, more)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  for k, v in pairs(more or {}) do c[k] = v end
  return c
end

local function check_self(self, mt, fname)
  if getmetatable(self) ~= mt then
    raise(("bad self to '%s' (call it with ':')"):format(fname))
  end
end

-- == The default client, made again when a variable of ORIGIN_ENV changes.

local CLIENT_OPTIONS, ORIGIN_ENV = {}, core.client_env()
for k in pairs(core.client_options) do CLIENT_OPTIONS[k] = "any" end
-- configure()'s options, the default client and ORIGIN_ENV's values then
local defaults = { options = {} }

local function new_default(options)
  local env = core.env_snapshot(ORIGIN_ENV)
  local client = core.client(options) -- (a bad option raises first)
  defaults.options, defaults.client, defaults.env = options, client, env
  return client
end

--- Set the options of the shared default client and the defaults of new
--- `auth_client`s (the same options); `smartcar.configure()` goes back to
--- the environment.  Raises on an unknown or invalid option.
---@param options table|nil
function smartcar.configure(options)
  new_default(select(2, check_fields(options, CLIENT_OPTIONS, "configure",
                                     1)))
end

--- The client shared by module functions and vehicles given none, made
--- again when a variable it reads (core.client_env()) changed.  Do not
--- close it.
---@return userdata # a smartcar.Client
function smartcar.default_client()
  local client = defaults.client
  if client == nil or not core.same_env(defaults.env) or client:closed() then
    client = new_default(defaults.options) -- (the old one: the collector's)
  end
  return client
end

local AuthClient = class("smartcar.AuthClient", function(self)
  return self.core:closed() and "closed" or self.core:get("client_id")
end)

-- The core client of `client` (nil: the default one).
local function resolve_client(client, fname, n)
  if client == nil then return smartcar.default_client() end
  if getmetatable(client) == AuthClient then return client.core end
  if getmetatable(client) == core.client_mt then return client end
  argerror(fname, n, "client: smartcar client expected, got " .. type(client))
end

-- Per-call options of every API call (call parameters), by kind.
local CALL_OPTIONS = core.call_options()

-- The endpoint table: name -> its line (core.endpoint_info).
local INFO = {}
for _, name in ipairs(core.endpoints()) do
  INFO[name] = core.endpoint_info(name)
end

-- The spec of a call's options: the per-call ones and `extra`.
local function call_spec(extra)
  local spec = copy(extra, CALL_OPTIONS)
  spec.flags, spec.client = "flags", "any"
  return spec
end
local CALL_SPEC = call_spec()

-- The per-call options (check_fields' values) into params; `base` (a
-- vehicle) gives those the options leave out.
local function apply_call_options(params, sent, fname, n, base)
  base = base or {}
  for k in pairs(CALL_OPTIONS) do
    local v = sent[k]
    if v == nil then v = rawget(base, k) end
    params[k] = v
  end
  params.flags = sent.flags
  if params.flags == nil and rawget(base, "flags") ~= nil then
    params.flags = check("flags", base.flags, fname, n, "flags")
  end
  return params
end

-- == Tokens and token stores.

-- A result (data, err) whose data prints as name (its fields `shown`,
-- `secret` redacted).
local function printed(name, shown, secret)
  local mt = { __name = name, __tostring = function(t)
    local parts = {}
    for i, k in ipairs(shown) do
      local v = rawget(t, k)
      parts[i] = k .. " " .. (k == secret and v and "[REDACTED]"
                              or tostring(v))
    end
    return ("%s (%s)"):format(name, table.concat(parts, ", "))
  end }
  return function(data, err)
    if data == nil then return nil, err end
    return setmetatable(data, mt)
  end
end
local token_result = printed("smartcar.Token",
                             { "expiration", "refresh_expiration" })
local redirect_result = printed("smartcar.Redirect",
                                { "code", "state", "user_id" }, "code")

local TOKEN_STORE_MT = core.token_store_mt -- (smartcar.TokenStore)

--- true when v is a token store from smartcar.token_store.
function smartcar.is_token_store(v)
  return getmetatable(v) == TOKEN_STORE_MT
end

--- Open (creating it when needed, readable by its owner only) a SQLite
--- token store at `path` (":memory:": a private one), which processes may
--- share; nil, err when the database cannot be opened.
---@type fun(path: string): smartcar.TokenStore|nil, smartcar.Error|nil
smartcar.token_store = core.sqlite_store

--- Open a PostgreSQL token store (docs/postgres.md): `dsn` is a libpq
--- connection string or URI (nil or "": the PG* environment variables);
--- nil, err (kind "storage") when the server cannot be reached.
---@type fun(dsn: string|nil): smartcar.TokenStore|nil, smartcar.Error|nil
smartcar.postgres_store = core.postgres_store

-- its doc and types: csrc/lib/api.def's (lua/meta/smartcar_api.lua)
function smartcar.is_expired(expiration, leeway)
  if type(expiration) == "table" then
    expiration = rawget(expiration, "expiration")
    if expiration == nil then return true end
  end
  return core.token_expired(expiration, leeway)
end

-- options.store and options.key, checked together: the store or nil.
local function check_store_option(options, fname, n)
  local store, key = options.store, options.key
  if store == nil and key == nil then return nil end
  if getmetatable(store) ~= TOKEN_STORE_MT then
    argerror(fname, n, "store: token store expected (smartcar.token_store), "
      .. "got " .. type(store))
  end
  if store:closed() then
    argerror(fname, n, "store: the token store is closed")
  end
  check("text", key, fname, n, "key")
  return store
end

-- == AuthClient.

--- Create a client for Connect, the token endpoint and every other call,
--- with its own connection pool (`auth:close()` or `<close>` releases it
--- early).  Options: those of docs/client-options.md
--- (`smartcar.core.client_options` lists them with their types); those
--- not given come from `smartcar.configure`, then from the environment.
---@param options table
---@return smartcar.AuthClient
function smartcar.auth_client(options)
  check("table", options, "auth_client", 1, "options")
  check_fields(options, CLIENT_OPTIONS, "auth_client", 1)
  ---@class smartcar.AuthClient
  ---@field core userdata the smartcar.Client underneath
  ---@field get fun(self: smartcar.AuthClient, name: string): string|nil
  ---@field share_cooldowns fun(self: smartcar.AuthClient, store: smartcar.TokenStore|nil)
  ---@field close fun(self: smartcar.AuthClient)
  ---@field poll fun(self: smartcar.AuthClient): smartcar.Request[]
  return setmetatable({ core = core.client(copy(defaults.options, options)) },
                      AuthClient)
end

local AUTH_URL_OPTIONS = {
  force_prompt = "boolean", state = "text", make_bypass = "text",
  single_select = "select", flags = "flags", user = "text", mode = "text",
}

--- The Connect URL to send the vehicle owner to.
---@param scope string[]|nil permissions, "required:" marks mandatory ones
---@param options smartcar.AuthUrlOptions|nil
---@return string url
---@return string state the state sent; check it on the redirect
function AuthClient:get_auth_url(scope, options)
  local fname = "get_auth_url"
  check_self(self, AuthClient, fname)
  scope = scope and check("list", scope, fname, 1, "scope")
  local _, params = check_fields(options, AUTH_URL_OPTIONS, fname, 2)
  params.scope = scope
  return self.core:auth_url(params)
end

local EXCHANGE_OPTIONS = call_spec { store = "any", key = "any" }
EXCHANGE_OPTIONS.version, EXCHANGE_OPTIONS.unit_system = nil, nil
EXCHANGE_OPTIONS.client = nil

-- The token grants of the endpoint table, auth:NAME(value, options): a
-- token set, or nil, err.  Options: the per-call options but unit_system
-- and version; `store` and `key` save the new set under `key` first.
for name, info in pairs(INFO) do
  local arg = info.host == "auth" and info.args:match("^[%w_]+")
  if arg then
    AuthClient[name] = function(self, value, options)
      check_self(self, AuthClient, name)
      check("text", value, name, 1, arg)
      local sent
      options, sent = check_fields(options, EXCHANGE_OPTIONS, name, 2)
      local store = check_store_option(options, name, 2)
      local params = apply_call_options({ [arg] = value }, sent, name, 2)
      local token, err = token_result(self.core:call(name, params))
      if token == nil or store == nil then return token, err end
      local ok, serr = store:put(options.key, token)
      if not ok then return nil, serr end
      return token
    end
  end
end

-- The core client's methods an auth client has (lua/meta/smartcar_core.lua).
for _, name in ipairs { "get", "share_cooldowns", "close", "poll" } do
  AuthClient[name] = function(self, ...)
    check_self(self, AuthClient, name)
    return self.core[name](self.core, ...)
  end
end
AuthClient.__close = AuthClient.close

-- its doc and types: csrc/lib/api.def's (lua/meta/smartcar_api.lua)
function smartcar.parse_redirect(url, expected_state)
  return redirect_result(core.parse_redirect(url, expected_state))
end

function AuthClient:parse_redirect(url, expected_state)
  check_self(self, AuthClient, "parse_redirect")
  return smartcar.parse_redirect(url, expected_state)
end

-- == Vehicle.  (The results' LuaLS classes: lua/meta/smartcar_results.lua.)

--- smartcar.null, what JSON null becomes.
---@alias smartcar.Null lightuserdata

-- (the library's per-call options: lua/meta/smartcar_vehicle.lua)
---@class smartcar.CallOptions
---@field flags table|string|nil feature flags {country = "DE"}
---@field client userdata|smartcar.AuthClient|nil
---@field params table|nil extra endpoint parameters (Vehicle:call)

---@class smartcar.StoredToken
---@field store smartcar.TokenStore from smartcar.token_store
---@field key string the key the token set is stored under

-- (its doc: csrc/lib/api.def's, in lua/meta/smartcar_api.lua)
---@class smartcar.Vehicle: smartcar.CallOptions
---@field id string
---@field access_token string|nil nil for a vehicle backed by a token store
---@field store smartcar.TokenStore|nil the token store, when backed by one
---@field key string|nil the key of the token set in the store
---@field start_pages fun(self: smartcar.Vehicle, endpoint: string, options: table|nil, callback: function|nil): smartcar.Request
local Vehicle = class "smartcar.Vehicle"

-- Vehicle `self` of class mt with the client and per-call defaults of
-- `options` (argument n of fname).
local function new_vehicle(mt, fname, n, options, self)
  if options.client ~= nil then resolve_client(options.client, fname, n) end
  self.client, self.flags = options.client, options.flags
  for k in pairs(CALL_OPTIONS) do self[k] = options[k] end
  return setmetatable(self, mt)
end

--- A smartcar.Vehicle: `token` is the access token or {store = store,
--- key = key}; `options` are the defaults of its calls.
---@param id string vehicle id from get_vehicles
---@param token string|smartcar.StoredToken
---@param options smartcar.CallOptions|nil
---@return smartcar.Vehicle
function smartcar.vehicle(id, token, options)
  check("text", id, "vehicle", 1, "vehicle id")
  local v = { id = id }
  if type(token) == "table" then
    check_fields(token, { store = "any", key = "any" }, "vehicle", 2)
    v.store = check_store_option(token, "vehicle", 2)
    if v.store == nil then argerror("vehicle", 2, "store and key expected") end
    v.key = token.key
  else
    v.access_token = check("text", token, "vehicle", 2, "access_token")
  end
  options = check_fields(options, CALL_SPEC, "vehicle", 3)
  return new_vehicle(Vehicle, "vehicle", 3, options, v)
end

-- Raise unless vehicle v has an id and a store and key, an access token
-- or (v3) a user id to send with the application token.
local function check_vehicle_fields(fname, v)
  local function need(ok, field, what)
    if not ok then
      raise(("%s: vehicle.%s must be %s"):format(fname, field, what))
    end
  end
  local function is_text(s) return type(s) == "string" and s ~= "" end
  need(is_text(rawget(v, "id")), "id", "a non-empty string")
  if rawget(v, "store") ~= nil then
    need(getmetatable(v.store) == TOKEN_STORE_MT, "store", "a token store")
    need(is_text(rawget(v, "key")), "key", "a non-empty string")
  elseif rawget(v, "access_token") ~= nil or rawget(v, "user_id") == nil then
    need(is_text(rawget(v, "access_token")), "access_token",
         "a non-empty string")
  end
end

-- The client, params, store, key and options (checked by `spec`) of a
-- call on vehicle `self`: params from `extra`, options.params, the
-- per-call options or the vehicle's, its id, user id and token.
local VEHICLE_OPTIONS = call_spec { params = "table" }
local function vehicle_params(self, fname, n, options, extra, spec)
  local _, sent = check_fields(options, spec or VEHICLE_OPTIONS, fname, n)
  check_vehicle_fields(fname, self)
  local params = copy(sent.params, extra)
  apply_call_options(params, sent, fname, n, self)
  params.vehicle_id, params.user_id = self.id, rawget(self, "user_id")
  local store = rawget(self, "store")
  params.access_token = store == nil and rawget(self, "access_token") or nil
  return resolve_client(rawget(self, "client"), fname, n), params, store,
    rawget(self, "key"), sent
end

-- A call on vehicle `self`, through its store if it has one but with
-- `no_token` (the call takes the management token).
local function vehicle_call(self, fname, n, endpoint, options, extra,
                            no_token)
  local client, params, store, key = vehicle_params(self, fname, n, options,
                                                    extra)
  if no_token then params.access_token, store = nil, nil end
  if store == nil then return client:call(endpoint, params) end
  return client:call_stored(store, key, endpoint, params)
end

--- Run any call of the endpoint table on this vehicle: `options` are the
--- per-call options plus the endpoint's own parameters in `params`.
---@param endpoint string a name from smartcar.endpoints()
---@param options smartcar.CallOptions|nil
---@return table|nil data the body's fields in snake_case plus meta
---@return smartcar.Error|nil err
function Vehicle:call(endpoint, options)
  check_self(self, Vehicle, "call")
  check("text", endpoint, "call", 1, "endpoint")
  return vehicle_call(self, "call", 2, endpoint, options)
end

-- == Requests that never block: start now, poll each frame (sc_async does
-- the work; this keeps the handles).

---@class smartcar.Request
---@field id integer
local Request = class("smartcar.Request", function(self)
  return ("%d, %s"):format(self.id, self.finished and "done" or "running")
end)

-- core client -> {id = Request} of its unfinished requests
local unfinished = setmetatable({}, { __mode = "k" })

-- A handle for a call of client, kept until it finishes; with `walk`
-- ({page_size, on_page}) a walk of a paged call: req.pages and req.items
-- grow as pages come.
local function start_request(client, endpoint, params, store, key,
                             callback, fname, n, walk)
  if callback ~= nil then check("function", callback, fname, n, "callback") end
  local req = setmetatable({ client = client, callback = callback,
                             finished = false }, Request)
  if walk == nil then
    req.id = client:async_start(endpoint, params, store, key)
  else
    req.id, req.field = client:async_start_pages(endpoint, params,
                                                 walk.page_size, store, key)
    req.pages, req.items, req.on_page = {}, setmetatable({}, core.array_mt),
      walk.on_page
  end
  unfinished[client] = unfinished[client] or {}
  unfinished[client][req.id] = req
  return req
end

--- true once the request finished (or was cancelled).
function Request:done()
  return self.finished
end

--- The request's data, or nil, err (kind "pending" while it runs).
---@return table|nil data
---@return smartcar.Error|table|nil err
function Request:result()
  if not self.finished then
    return nil, { kind = "pending", message = "the request has not finished" }
  end
  return self.data, self.err -- (data is nil when err is set)
end

--- Stop the request (a command already sent may still take effect).
---@return boolean stopped false when it had already finished
function Request:cancel()
  if self.finished then return false end
  unfinished[self.client][self.id] = nil
  self.finished = true
  self.err = { kind = "cancelled", message = "the request was cancelled" }
  return self.client:async_cancel(self.id)
end

-- The requests of `finished` (core results) settled, then their on_page
-- and callbacks run.
local function settle(client, finished)
  local mine, out, pages = unfinished[client] or {}, {}, {}
  for _, f in ipairs(finished) do
    local req, data = mine[f.id], f.data
    if req ~= nil and req.pages ~= nil and data ~= nil then
      req.pages[#req.pages + 1] = data -- a page of a walk: kept
      local items = type(data[req.field]) == "table" and data[req.field] or {}
      table.move(items, 1, #items, #req.items + 1, req.items)
      if req.on_page then pages[#pages + 1] = { req, data } end
      data = { items = req.items, pages = req.pages }
    end
    if req ~= nil and not f.more then
      mine[f.id] = nil
      req.finished, req.data, req.err = true, data, f.err
      out[#out + 1] = req
    end
  end
  for _, p in ipairs(pages) do p[1].on_page(p[2], p[1]) end
  for _, req in ipairs(out) do
    if req.callback ~= nil then req.callback(req.data, req.err, req) end
  end
  return out
end

local client_methods = core.client_mt.__index

--- Start a call of the endpoint table without waiting: a request handle.
--- `client:poll()` moves it on.
---@param endpoint string
---@param params table|nil
---@param callback fun(data: table|nil, err: table|nil, req: smartcar.Request)|nil
---@return smartcar.Request
function client_methods:start(endpoint, params, callback)
  check("text", endpoint, "start", 1, "endpoint")
  return start_request(self, endpoint, params, nil, nil, callback,
                       "start", 3)
end

--- Advance every request of this client without waiting: the requests
--- that finished, in order.
---@return smartcar.Request[]
function client_methods:poll()
  return settle(self, self:async_poll())
end

--- For engines with their own loop: after client:async_socket(fd, read,
--- write) or client:async_timeout(), the requests that finished.
---@return smartcar.Request[]
function client_methods:take()
  return settle(self, self:async_take())
end

-- fname (start or start_pages, `spec` its options: a walk) on vehicle
-- `self` of class mt.
local function vehicle_start(self, mt, fname, endpoint, options, callback,
                             spec)
  check_self(self, mt, fname)
  check("text", endpoint, fname, 1, "endpoint")
  local client, params, store, key, sent = vehicle_params(self, fname, 2,
    options, nil, spec)
  return start_request(client, endpoint, params, store, key, callback,
                       fname, 3, spec and sent)
end

--- Start `endpoint` on this vehicle without waiting (as Vehicle:call):
--- a request handle; poll the vehicle's client.
---@param endpoint string
---@param options smartcar.CallOptions|nil
---@param callback fun(data: table|nil, err: table|nil, req: smartcar.Request)|nil
---@return smartcar.Request
function Vehicle:start(endpoint, options, callback)
  if type(options) == "function" and callback == nil then
    options, callback = nil, options
  end
  return vehicle_start(self, Vehicle, "start", endpoint, options, callback)
end

-- Every other call about a vehicle is a method vehicle:NAME(arguments...,
-- options) built from its line of the endpoint table (LuaLS:
-- lua/meta/smartcar_vehicle.lua).

-- The method NAME of class mt.
local function vehicle_method(mt, name, info)
  local n = core.endpoint_args_spec(name, "lua").arguments
  local no_token = info.auth == "bearer_amt"
  return function(self, ...)
    -- (checked in place: check_self's frame is a tenth of the cost)
    if getmetatable(self) ~= mt then check_self(self, mt, name) end
    if n == 0 and (...) == nil and not no_token then
      -- the vehicle read in C (false: it needs the general path)
      local data, err = core.vehicle_call(self, name, smartcar.default_client)
      if data ~= false then return data, err end
    end
    local extra, options = positional(name, "lua", name, n, ...)
    return vehicle_call(self, name, n + 1, name, options, extra, no_token)
  end
end

for name, info in pairs(INFO) do
  if info.vehicle == "1" and Vehicle[name] == nil then
    Vehicle[name] = vehicle_method(Vehicle, name, info)
  end
end

-- vehicle:batch's answers by name (smartcar.Batch): each path's data, or
-- its error under errors.
local batch = Vehicle.batch
Vehicle.batch = function(self, ...)
  local data, err = batch(self, ...)
  if data == nil then return nil, err end
  local res = { errors = {}, meta = data.meta }
  for _, r in ipairs(data.responses or {}) do
    if r.data ~= nil then
      res[r.name] = r.data
    elseif r.error ~= nil then
      res.errors[r.name] = setmetatable(r.error, core.error_mt)
    end
  end
  return res
end

-- == Module calls: every other call but the token grants is
-- smartcar.NAME(arguments..., options) from its line of the endpoint
-- table (LuaLS: lua/meta/smartcar_vehicle.lua).

-- The client for a call: one made for the credentials the options name
-- (and true: the caller closes it), else options.client or the default.
local function credentials_client(options, fname, n)
  if options.client_id == nil and options.client_secret == nil then
    return resolve_client(options.client, fname, n), false
  end
  local merged = copy(defaults.options)
  if options.client ~= nil then
    local c = resolve_client(options.client, fname, n)
    for _, k in ipairs { "api_origin", "management_origin", "api_version",
                         "client_id", "vehicle_api_origin", "iam_origin" } do
      local v = c:get(k)
      if v ~= nil and v ~= "" then merged[k] = v end
    end
  end
  merged.client_id = options.client_id or merged.client_id
  merged.client_secret = options.client_secret or merged.client_secret
  return core.client(merged), true
end

-- The argument an invalid_argument error of a module call is about (the
-- library checks the filter: one of user_id and vehicle_id).
local RAISES = { delete_connections = 2 }

local each_item -- (Paging iterators, below)

-- The call `name`, or with `walk` the iterator over the items of every
-- page, with a `page_size` option instead of a paging argument.  Its
-- options: the per-call ones, credentials and the query parameters no
-- argument fills (their kinds: the library's).
local function module_call(name, info, walk)
  local fname = walk or name
  local how = walk and "lua walk" or "lua"
  local shape = core.endpoint_args_spec(name, how)
  local n = shape.arguments + 1 -- the options argument
  local options_spec = call_spec(shape.options)
  if info.auth == "basic_client" or info.host == "iam" or info.host == "v3"
      or info.host == "v3m" then
    options_spec.client_id, options_spec.client_secret = "text", "text"
  end
  if walk then options_spec.page_size = "positive" end
  return function(...)
    local params, options = positional(name, how, fname, n - 1, ...)
    local sent
    options, sent = check_fields(options, options_spec, fname, n)
    for k in pairs(shape.options) do -- (an argument's value wins)
      if params[k] == nil then params[k] = sent[k] end
    end
    apply_call_options(params, sent, fname, n)
    local client, owned = credentials_client(options, fname, n)
    if walk then
      local pages, field = client:pages(name, params, options.page_size)
      return each_item(fname, function()
        local data, err = pages()
        if data == nil and owned then client:close() end
        return data, err
      end, field)
    end
    local data, err = client:call(name, params)
    if owned then client:close() end
    if data == nil and RAISES[name] and err.kind == "invalid_argument" then
      argerror(name, RAISES[name], err.message)
    end
    return data, err
  end
end

-- smartcar.NAME and the iterators smartcar.WALK (SC_PAGING's walk).
for name, info in pairs(INFO) do
  if info.vehicle ~= "1" and info.host ~= "auth" then
    smartcar[name] = smartcar[name] or module_call(name, info)
    if info.walk ~= "" then
      smartcar[info.walk] = module_call(name, info, info.walk)
    end
  end
end

-- == Vehicle API v3.

-- (its doc: csrc/lib/api.def's, in lua/meta/smartcar_api.lua)
---@class smartcar.VehicleV3: smartcar.CallOptions
---@field id string
---@field user_id string|nil sent as sc-user-id
---@field access_token string|nil nil: the application token (or the store)
---@field store smartcar.TokenStore|nil
---@field key string|nil
---@field start_pages fun(self: smartcar.VehicleV3, endpoint: string, options: table|nil, callback: function|nil): smartcar.Request
local VehicleV3 = class "smartcar.VehicleV3"

local V3_OPTIONS = call_spec {
  user_id = "text", access_token = "text", store = "any", key = "any",
}

--- A smartcar.VehicleV3 (its options and ways to authenticate: its doc).
---@param id string vehicle id
---@param options {user_id: string|nil, access_token: string|nil, store: smartcar.TokenStore|nil, key: string|nil, client: userdata|smartcar.AuthClient|nil}|nil
---@return smartcar.VehicleV3
function smartcar.vehicle_v3(id, options)
  local fname = "vehicle_v3"
  check("text", id, fname, 1, "vehicle id")
  options = check_fields(options, V3_OPTIONS, fname, 2)
  local store = check_store_option(options, fname, 2)
  if options.access_token ~= nil and store ~= nil then
    argerror(fname, 2, "give access_token or store, not both")
  end
  if options.user_id == nil and options.access_token == nil
      and store == nil then
    argerror(fname, 2, "user_id is required with the application token "
      .. "(no access_token or store given)")
  end
  return new_vehicle(VehicleV3, fname, 2, options, { id = id,
    user_id = options.user_id, access_token = options.access_token,
    store = store, key = store and options.key or nil })
end

--- One page of the vehicle's signals: `paging` = {page, page_size}
--- (the server's defaults: 1, 25).
---@param paging {page: integer|nil, page_size: integer|nil}|nil
---@param options smartcar.CallOptions|nil
---@return smartcar.Signals|nil page
---@return smartcar.Error|nil err
function VehicleV3:get_signals(paging, options)
  check_self(self, VehicleV3, "get_signals")
  local extra = positional("get_signals", "lua table", "get_signals", 1,
                           paging)
  return vehicle_call(self, "get_signals", 2, "get_signals", options, extra)
end

-- The other v3 calls about a vehicle, as for Vehicle.
for name, info in pairs(INFO) do
  if info.vehicle == "1" and info.host == "v3" and VehicleV3[name] == nil then
    VehicleV3[name] = vehicle_method(VehicleV3, name, info)
  end
end

-- == Paging iterators, for a generic for: a failure raises the error,
-- its message prefixed with the iterator's name ("each_vehicle: ...").

-- An iterator over the items (data[field]) of the pages next_page gives
-- (data, nil at the end, or nil, err).
function each_item(fname, next_page, field)
  local items, i = {}, 0
  return function()
    while i >= #items do
      local data, err = next_page()
      if data == nil and err == nil then return nil end
      if data == nil then
        err.message = fname .. ": " .. tostring(err.message)
        error(err, 0)
      end
      items, i = type(data[field]) == "table" and data[field] or {}, 0
    end
    i = i + 1
    return items[i]
  end
end

-- The options of the iterators on vehicles and of walks.
local PAGES_OPTIONS = call_spec { params = "table", page_size = "positive" }
local WALK_OPTIONS = copy(PAGES_OPTIONS, { on_page = "function" })

-- vehicle:WALK(options) (SC_PAGING's walk): the items of every page of a
-- vehicle call (LuaLS: lua/meta/smartcar_vehicle.lua).
for name, info in pairs(INFO) do
  local mt = info.host == "v3" and VehicleV3 or Vehicle
  if info.vehicle == "1" and info.walk ~= "" then
    mt[info.walk] = function(self, options)
      check_self(self, mt, info.walk)
      local client, params, store, key, sent = vehicle_params(self,
        info.walk, 1, options, nil, PAGES_OPTIONS)
      return each_item(info.walk, client:pages(name, params, sent.page_size,
                                               store, key))
    end
  end
end

--- Start walking every page of a paged call without waiting (`params`
--- without the paging ones): a request handle whose data, when done, is
--- {items = every page's items, pages = each page's data}.  Options:
--- `page_size`, `on_page(data, req)` run for each page as it comes.
---@param endpoint string
---@param params table|nil
---@param options {page_size: integer|nil, on_page: fun(data: table, req: smartcar.Request)|nil}|nil
---@param callback fun(data: table|nil, err: table|nil, req: smartcar.Request)|nil
---@return smartcar.Request
function client_methods:start_pages(endpoint, params, options, callback)
  check("text", endpoint, "start_pages", 1, "endpoint")
  options = check_fields(options, { page_size = "positive",
                                    on_page = "function" }, "start_pages", 3)
  return start_request(self, endpoint, params, nil, nil, callback,
                       "start_pages", 4, options)
end

-- vehicle:start_pages(endpoint, options, callback): as client:start_pages
-- with the vehicle's client and store and the per-call options.
for _, mt in ipairs { Vehicle, VehicleV3 } do
  mt.start_pages = function(self, endpoint, options, callback)
    return vehicle_start(self, mt, "start_pages", endpoint, options,
                         callback, WALK_OPTIONS)
  end
end

-- == Webhooks (docs/lua.md, "Webhooks").

-- hash_challenge, verify_payload, parse_webhook and receive_webhook: their
-- docs and types are csrc/lib/api.def's (lua/meta/smartcar_api.lua)
smartcar.hash_challenge = core.webhook_challenge
smartcar.verify_payload = core.webhook_verify
smartcar.parse_webhook = core.webhook_parse

--- A set of recently seen webhook event ids (sc_webhook_seen):
--- `seen:first(id)`, `seen:forget(id)`, `seen:count()`.  Options:
--- `capacity` (100000) and `ttl_ms` (a day; 0: until full); or `path`, a
--- SQLite file, or `postgres`, a libpq connection string, that processes
--- share (then nil, err when the database cannot be opened).
---@param opts {capacity: integer|nil, ttl_ms: integer|nil, path: string|nil, postgres: string|nil}|nil
---@return userdata|nil
---@return smartcar.Error|nil err
function smartcar.webhook_seen(opts)
  if opts ~= nil then check("table", opts, "webhook_seen", 1, "options") end
  opts = opts or {}
  if opts.postgres ~= nil then
    return core.webhook_seen_postgres(opts.postgres, opts.ttl_ms)
  end
  if opts.path ~= nil then
    return core.webhook_seen_sqlite(opts.path, opts.ttl_ms)
  end
  return core.webhook_seen(opts.capacity, opts.ttl_ms)
end

-- its doc and types: csrc/lib/api.def's (lua/meta/smartcar_api.lua)
smartcar.receive_webhook = core.webhook_receive

--- One flat smartcar.SignalRow per signal (sc_signal_rows; times in epoch
--- ms) of a get_signals / get_signal result, a parsed webhook, or the
--- JSON text of either.
---@param source table|string
---@return smartcar.SignalRow[]|nil rows
---@return smartcar.Error|nil err
function smartcar.signal_rows(source)
  if type(source) == "table" and type(source.rows) == "table" then
    return source.rows
  end
  local data, err = core.signal_rows(check("json", source, "signal_rows", 1,
                                           "source"))
  return data and data.rows, err
end

-- its doc and types: csrc/lib/api.def's (lua/meta/smartcar_api.lua)
smartcar.parse_time = core.time_ms

-- == Many calls at once.

local RUN_MANY_OPTIONS = {
  max_in_flight = "positive", progress = "function", client = "any",
}

--- Run many calls concurrently (libcurl multi), at most `max_in_flight`
--- at once (default 8).  Each entry of `calls` is {vehicle, "endpoint",
--- params?} (with the vehicle's token and defaults) or {"endpoint",
--- params?} (all its parameters).  Returns {ok = true, data = ...} or
--- {ok = false, err = ...} per call, in order; a call the library refuses
--- gets an "invalid_argument" error in its slot.  Options: `client`
--- (default: the vehicles' or the shared one), `max_in_flight`,
--- `progress(index, ok, done, total)` (if it raises, run_many raises that
--- error once the calls in flight finish).
---@param calls table[]
---@param options {max_in_flight: integer|nil, progress: fun(index: integer, ok: boolean, done: integer, total: integer)|nil, client: userdata|smartcar.AuthClient|nil}|nil
---@return smartcar.ManyResult[]
function smartcar.run_many(calls, options)
  local fname = "run_many"
  check("table", calls, fname, 1, "calls")
  options = check_fields(options, RUN_MANY_OPTIONS, fname, 2)
  -- the vehicles' client (false: the default one), and whether they differ
  local list, vclient, mixed = {}, nil, false
  local function bad(i, j, msg)
    argerror(fname, 1, ("calls[%d]%s: %s"):format(i, j, msg))
  end
  for i = 1, #calls do
    local c = calls[i]
    if type(c) ~= "table" then
      bad(i, "", "table expected, got " .. type(c))
    end
    local first, name, params, store, key = c[1]
    local vehicle = getmetatable(first) == Vehicle
    if vehicle then
      name, params = c[2], c[3]
      if type(name) ~= "string" or (INFO[name] or {}).vehicle ~= "1" then
        bad(i, "[2]", "name of a vehicle call expected, got "
          .. tostring(name))
      end
    elseif type(first) ~= "string" then
      bad(i, "[1]", "vehicle or endpoint name expected, got " .. type(first))
    elseif not INFO[first] then
      bad(i, "[1]", ("unknown endpoint '%s'"):format(first))
    else
      name, params = first, c[2]
    end
    if params ~= nil and type(params) ~= "table" then
      bad(i, vehicle and "[3]" or "[2]", "params table expected")
    end
    if vehicle then
      -- (with a store, the op loads, refreshes and saves the set)
      params, store, key = select(2, vehicle_params(first, fname, 1, nil,
                                                    params))
      local client = rawget(first, "client") or false
      mixed = mixed or (vclient ~= nil and vclient ~= client)
      vclient = client
    end
    list[i] = { name, copy(params), store, key }
  end
  if options.client == nil and mixed then
    raise("run_many: the vehicles use different clients; give one in "
      .. "options.client")
  end
  local client = resolve_client(options.client or vclient or nil, fname, 2)
  return client:call_many(list, options.max_in_flight, options.progress)
end

return smartcar
