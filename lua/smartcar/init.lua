--- smartcar: Smartcar Connect, tokens and the Vehicle API for Lua 5.4.
---
--- The protocol lives in libsmartcar (C), reached through `smartcar.core`;
--- this module only adds Lua idioms: objects with methods, option tables,
--- a shared default client, and clear argument errors.
---
--- Errors follow one convention: a failure at run time (network, timeout,
--- OAuth refusal, Smartcar API error, Connect error, state mismatch...)
--- returns `nil, err`, where `err` is a table (metatable `smartcar.Error`)
--- with the fields `kind`, `type`, `code`, `description`, `doc_url`,
--- `status_code`, `request_id`, `resolution` {type, url},
--- `suggested_user_message`, `detail`, `retry_after`, `attempts`,
--- `message` and, for Connect errors, `vin`, `make`, `model`, `year`
--- (each only when known); `tostring(err)` is `err.message`.  A mistake
--- in the call itself (missing vehicle id, wrong type) raises.
---
--- ```lua
--- local smartcar = require "smartcar"
--- local auth = smartcar.auth_client{
---   client_id = "...", client_secret = "...",
---   redirect_uri = "https://example.com/callback", mode = "test",
--- }
--- local url, state = auth:get_auth_url({"read_vehicle_info", "read_odometer"})
--- -- ... the owner approves, the redirect reaches the back end ...
--- local redirect = assert(smartcar.parse_redirect(location, state))
--- local token = assert(auth:exchange_code(redirect.code))
--- local list = assert(smartcar.get_vehicles(token.access_token))
--- local car = smartcar.vehicle(list.vehicles[1], token.access_token)
--- print(assert(car:odometer()).distance)
--- ```
---
--- Vehicles have a method per call of the endpoint table
--- (`car:odometer()`, `car:location()`, `car:lock()`...), each taking an
--- optional options table; `car:call(name, {params = {...}})` runs any of
--- them with endpoint parameters.
---
--- Pointing the library at another Smartcar (the emulator): set
--- SMARTCAR_CONNECT_ORIGIN, SMARTCAR_AUTH_ORIGIN, SMARTCAR_API_ORIGIN and
--- SMARTCAR_MANAGEMENT_API_ORIGIN in the environment, or call
--- `smartcar.configure{connect_origin=..., auth_origin=..., api_origin=...,
--- management_origin=...}`, or give the origins to `auth_client`.

local core = require "smartcar.core"

local smartcar = {}

---@class smartcar.Error
---@field kind string stable kind from errors.def ("oauth", "api", "connect", "state_mismatch", "network", "timeout"...)
---@field message string human-readable text, also what tostring(err) gives
---@field type string|nil Smartcar error type ("AUTHENTICATION", "invalid_grant", "access_denied"...)
---@field code string|nil Smartcar error code
---@field description string|nil
---@field doc_url string|nil
---@field status_code integer|nil HTTP status of the failed exchange
---@field request_id string|nil
---@field resolution {type: string, url: string}|nil
---@field suggested_user_message string|nil
---@field detail table|nil
---@field retry_after number|nil seconds
---@field attempts integer|nil requests made (1 + retries)
---@field vin string|nil Connect errors (vehicle_incompatible)
---@field make string|nil
---@field model string|nil
---@field year string|nil

---@class smartcar.Meta
---@field data_age string|nil
---@field unit_system string|nil
---@field request_id string|nil
---@field fetched_at string|nil

---@class smartcar.Token
---@field access_token string
---@field token_type string
---@field expires_in integer
---@field expiration integer Unix seconds
---@field refresh_token string
---@field refresh_expiration integer Unix seconds

--- The C module, for what this layer does not wrap.
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

---@param v any
---@return boolean # true when v came from a JSON array
function smartcar.is_array(v)
  return type(v) == "table" and getmetatable(v) == core.array_mt
end

---@param v any
---@return boolean # true when v is an error returned by this library
function smartcar.is_error(v)
  return type(v) == "table" and getmetatable(v) == core.error_mt
end

---@return string # 32 hex characters from the OS CSPRNG
function smartcar.random_state()
  return core.random_state()
end

---@return string[] # names of the calls in the endpoint table
function smartcar.endpoints()
  return core.endpoints()
end

----------------------------------------------------------------------------
-- Argument checks.  They raise at the line of the code that called into
-- this module, however deep in the module the check runs.
----------------------------------------------------------------------------

local THIS_FILE = debug.getinfo(1, "S").source

local function raise(msg)
  local level = 2
  while true do
    local info = debug.getinfo(level, "S")
    if info == nil or info.source ~= THIS_FILE then break end
    level = level + 1
  end
  error(msg, level)
end

local function argerror(fname, n, msg)
  raise(("bad argument #%d to '%s' (%s)"):format(n, fname, msg))
end

local function check_string(v, fname, n, what)
  if type(v) ~= "string" then
    argerror(fname, n, ("%s: string expected, got %s"):format(what, type(v)))
  elseif v == "" then
    argerror(fname, n, what .. " must not be empty")
  end
end

local function check_opt_table(v, fname, n)
  if v ~= nil and type(v) ~= "table" then
    argerror(fname, n, "table expected, got " .. type(v))
  end
  return v or {}
end

local function check_keys(t, allowed, fname, n)
  for k in pairs(t) do
    if not allowed[k] then
      argerror(fname, n, ("unknown option '%s'"):format(tostring(k)))
    end
  end
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- Feature flags {country = "DE", flag = true} -> "country:DE flag:true",
-- keys sorted so the same table always gives the same text.
local function format_flags(flags, fname, n)
  if flags == nil then return nil end
  if type(flags) == "string" then return flags end
  if type(flags) ~= "table" then
    argerror(fname, n, "flags: table expected, got " .. type(flags))
  end
  local keys = {}
  for k, v in pairs(flags) do
    local tv = type(v)
    if type(k) ~= "string" or (tv ~= "string" and tv ~= "number"
        and tv ~= "boolean") then
      argerror(fname, n, "flags: string keys and string, number or "
        .. "boolean values expected")
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do
    parts[i] = k .. ":" .. tostring(flags[k])
  end
  return table.concat(parts, " ")
end

----------------------------------------------------------------------------
-- The default client.
----------------------------------------------------------------------------

-- Names of the client options (from the C module, which knows the
-- options struct): client_id, client_secret, redirect_uri, mode, origins,
-- api_version, unit_system, timeouts, retries, rate limits...
local CLIENT_OPTIONS = core.client_options

local ORIGIN_ENV = {
  "SMARTCAR_CONNECT_ORIGIN", "SMARTCAR_AUTH_ORIGIN", "SMARTCAR_API_ORIGIN",
  "SMARTCAR_MANAGEMENT_API_ORIGIN",
}

-- Module state: the options given to configure() and the client shared by
-- the module-level functions and the vehicles that were given none.
local defaults = { options = {}, client = nil, env = nil }

local function origin_env()
  local parts = {}
  for i, name in ipairs(ORIGIN_ENV) do
    parts[i] = os.getenv(name) or ""
  end
  return table.concat(parts, "\n")
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

--- Set the options of the clients this module creates: the shared default
--- client and, for the options they do not give, `auth_client`s.  Takes
--- the same options as `auth_client`.  `smartcar.configure()` or
--- `smartcar.configure{}` goes back to the defaults (environment, then
--- Smartcar's production origins).  Raises on an unknown or invalid option.
---@param options table|nil
function smartcar.configure(options)
  options = check_opt_table(options, "configure", 1)
  check_keys(options, CLIENT_OPTIONS, "configure", 1)
  options = copy(options)
  -- Create the client now so that a bad option raises here.
  local client = core.client(options)
  defaults.options = options
  defaults.client = client
  defaults.env = origin_env()
end

--- The client shared by module-level functions and vehicles: created on
--- first use and created again when a SMARTCAR_*_ORIGIN variable changed,
--- so connections are reused between calls.  Do not close it.
---@return userdata # a smartcar.Client
function smartcar.default_client()
  local env = origin_env()
  local client = defaults.client
  if client == nil or defaults.env ~= env or client:closed() then
    -- The old client is left to the garbage collector: whoever still
    -- holds it can finish using it.
    client = core.client(defaults.options)
    defaults.client = client
    defaults.env = env
  end
  return client
end

local AuthClient = {}
AuthClient.__index = AuthClient
AuthClient.__name = "smartcar.AuthClient"

-- The core client to run a call on: options.client if given (a core
-- client or an AuthClient), otherwise the default one.
local function resolve_client(client, fname, n)
  if client == nil then
    return smartcar.default_client()
  end
  if getmetatable(client) == AuthClient then
    return client.core
  end
  if getmetatable(client) == core.client_mt then
    return client
  end
  argerror(fname, n, "client: smartcar client expected, got " .. type(client))
end

-- Per-call options shared by every API call, with their types.  They
-- become call parameters of the same name (flags formatted as "k:v").
local CALL_OPTIONS = {
  version = "string",           -- API version, "2.0"
  unit_system = "string",       -- "metric" or "imperial"
  timeout_ms = "integer",
  connect_timeout_ms = "integer",
  max_attempts = "integer",     -- 1 turns retries off
  retry_deadline_ms = "integer",
  rate_policy = "string",       -- "wait" or "fail"
}

local function check_call_options(options, fname, n, extra)
  options = check_opt_table(options, fname, n)
  for k, v in pairs(options) do
    local want = CALL_OPTIONS[k]
    if want == "string" then
      if type(v) ~= "string" then
        argerror(fname, n, ("%s: string expected, got %s"):format(k, type(v)))
      end
    elseif want == "integer" then
      if math.type(v) ~= "integer" or v < 0 then
        argerror(fname, n, k .. ": non-negative integer expected")
      end
    elseif k == "flags" then
      format_flags(v, fname, n)
    elseif k ~= "client" and not (extra and extra[k]) then
      argerror(fname, n, ("unknown option '%s'"):format(tostring(k)))
    end
  end
  return options
end

-- Copy per-call options into call parameters; `base` (a vehicle) gives
-- the values the options leave out.
local function apply_call_options(params, options, fname, n, base)
  base = base or {}
  for k in pairs(CALL_OPTIONS) do
    local v = options[k]
    if v == nil then v = rawget(base, k) end
    params[k] = v
  end
  local flags = options.flags
  if flags == nil then flags = rawget(base, "flags") end
  params.flags = format_flags(flags, fname, n)
  return params
end

----------------------------------------------------------------------------
-- Tokens.
----------------------------------------------------------------------------

-- Token sets print without their secrets.
local Token = {
  __name = "smartcar.Token",
  __tostring = function(t)
    return ("smartcar.Token (expiration %s, refresh_expiration %s)")
      :format(tostring(rawget(t, "expiration")),
              tostring(rawget(t, "refresh_expiration")))
  end,
}

local function token_result(data, err)
  if data == nil then return nil, err end
  return setmetatable(data, Token)
end

----------------------------------------------------------------------------
-- AuthClient.
----------------------------------------------------------------------------

--- Create a client for Connect and the token endpoint.
---
--- Options: `client_id`, `client_secret`, `redirect_uri` (default:
--- SMARTCAR_CLIENT_ID, SMARTCAR_CLIENT_SECRET, SMARTCAR_REDIRECT_URI),
--- `mode` ("live", "test", "simulated"), `connect_origin`, `auth_origin`,
--- `api_origin`, `management_origin`, `api_version`, `unit_system`,
--- `user_agent_suffix`, `connect_timeout_ms`, `timeout_ms`,
--- `max_response_bytes`, `allow_insecure_http`, `ca_bundle`, `proxy`,
--- `flags`, `max_attempts`, `retry_base_ms`, `retry_max_ms`,
--- `retry_deadline_ms`, `rate_limit_capacity`, `rate_limit_per_minute`,
--- `rate_policy`, `insecure_skip_tls_verify_dangerous`
--- (`smartcar.core.client_options` lists them with their types).  Options
--- not given come from `smartcar.configure`, then from the environment.
---
--- The client holds a connection pool; `client:close()` (or `<close>`)
--- releases it early, the garbage collector does otherwise.
---@param options table
---@return smartcar.AuthClient
function smartcar.auth_client(options)
  if type(options) ~= "table" then
    argerror("auth_client", 1, "table expected, got " .. type(options))
  end
  check_keys(options, CLIENT_OPTIONS, "auth_client", 1)
  local merged = copy(defaults.options)
  for k, v in pairs(options) do merged[k] = v end
  ---@class smartcar.AuthClient
  ---@field core userdata the smartcar.Client underneath
  local self = setmetatable({ core = core.client(merged) }, AuthClient)
  return self
end

local function check_self(self, mt, fname)
  if getmetatable(self) ~= mt then
    raise(("bad self to '%s' (call it with ':')"):format(fname))
  end
end

local AUTH_URL_OPTIONS = set_of {
  "force_prompt", "state", "make_bypass", "single_select", "flags", "user",
  "mode",
}

--- Build the Connect URL to send the vehicle owner to.
---
--- Options: `force_prompt` (boolean), `state` (a random one is made when
--- absent), `make_bypass` ("TESLA"), `single_select` ({enabled = boolean,
--- vin = string}, or a boolean), `flags` ({country = "DE"}), `user`,
--- `mode` (overrides the client's).
---@param scope string[]|nil permissions, "required:" marks mandatory ones
---@param options table|nil
---@return string url
---@return string state the state sent; check it on the redirect
function AuthClient:get_auth_url(scope, options)
  local fname = "get_auth_url"
  check_self(self, AuthClient, fname)
  local params = {}
  if scope ~= nil then
    if type(scope) ~= "table" then
      argerror(fname, 1, "scope: table of strings expected, got "
        .. type(scope))
    end
    for i = 1, #scope do
      if type(scope[i]) ~= "string" or scope[i] == "" then
        argerror(fname, 1, ("scope[%d]: non-empty string expected"):format(i))
      end
    end
    params.scope = table.concat(scope, " ")
  end
  options = check_opt_table(options, fname, 2)
  check_keys(options, AUTH_URL_OPTIONS, fname, 2)
  if options.force_prompt ~= nil then
    if type(options.force_prompt) ~= "boolean" then
      argerror(fname, 2, "force_prompt: boolean expected")
    end
    params.force_prompt = options.force_prompt
  end
  for opt, param in pairs { state = "state", make_bypass = "make",
                            user = "user", mode = "mode" } do
    local v = options[opt]
    if v ~= nil then
      check_string(v, fname, 2, opt)
      params[param] = v
    end
  end
  local ss = options.single_select
  if type(ss) == "boolean" then
    params.single_select = ss
  elseif type(ss) == "table" then
    if ss.enabled ~= nil and type(ss.enabled) ~= "boolean" then
      argerror(fname, 2, "single_select.enabled: boolean expected")
    end
    if ss.vin ~= nil then
      check_string(ss.vin, fname, 2, "single_select.vin")
      params.single_select_vin = ss.vin
    end
    if ss.enabled ~= nil then params.single_select = ss.enabled end
  elseif ss ~= nil then
    argerror(fname, 2, "single_select: table or boolean expected, got "
      .. type(ss))
  end
  params.flags = format_flags(options.flags, fname, 2)
  local core_client = self.core
  if (core_client:get("client_id") or "") == "" then
    raise("get_auth_url: no client_id (give one to auth_client or set "
      .. "SMARTCAR_CLIENT_ID)")
  end
  if (core_client:get("redirect_uri") or "") == "" then
    raise("get_auth_url: no redirect_uri (give one to auth_client or set "
      .. "SMARTCAR_REDIRECT_URI)")
  end
  return core_client:auth_url(params)
end

local EXCHANGE_OPTIONS = set_of {
  "flags", "timeout_ms", "connect_timeout_ms", "max_attempts",
  "retry_deadline_ms", "rate_policy",
}

local function token_call(self, fname, endpoint, key, value, options)
  check_self(self, AuthClient, fname)
  check_string(value, fname, 1, key)
  options = check_opt_table(options, fname, 2)
  check_keys(options, EXCHANGE_OPTIONS, fname, 2)
  options = check_call_options(options, fname, 2)
  local params = apply_call_options({ [key] = value }, options, fname, 2)
  return token_result(self.core:call(endpoint, params))
end

--- Exchange the authorization code from the redirect for a token set.
--- Options: `flags`, `timeout_ms`, `connect_timeout_ms`, `max_attempts`,
--- `retry_deadline_ms`, `rate_policy`.
---@param code string
---@param options table|nil
---@return smartcar.Token|nil token
---@return smartcar.Error|nil err
function AuthClient:exchange_code(code, options)
  return token_call(self, "exchange_code", "exchange_code", "code", code,
                    options)
end

--- Exchange a refresh token for a new token set.  Refresh tokens rotate:
--- store the new one before using the new access token.
---@param refresh_token string
---@param options table|nil
---@return smartcar.Token|nil token
---@return smartcar.Error|nil err
function AuthClient:exchange_refresh_token(refresh_token, options)
  return token_call(self, "exchange_refresh_token", "exchange_refresh_token",
                    "refresh_token", refresh_token, options)
end

--- Read a configuration value ("client_id", "redirect_uri", "mode",
--- "connect_origin", "auth_url", "api_origin", ...).  The secret cannot be
--- read back.
---@param key string
---@return string|nil
function AuthClient:get(key)
  check_self(self, AuthClient, "get")
  return self.core:get(key)
end

--- Close the client's connections.  Idempotent; later use raises.
function AuthClient:close()
  check_self(self, AuthClient, "close")
  self.core:close()
end

AuthClient.__close = AuthClient.close

function AuthClient:__tostring()
  return ("smartcar.AuthClient (%s)"):format(
    self.core:closed() and "closed" or tostring(self.core:get("client_id")))
end

--- Parse the redirect Connect sent (a full URL or its query string).
---@param url string
---@param expected_state string|nil the state from get_auth_url; a mismatch returns nil, err (kind "state_mismatch")
---@return table|nil data {code, state, user_id?, external_id?, virtual_key_url?}
---@return smartcar.Error|nil err kind "connect" (type "access_denied", "vehicle_incompatible"...) or "state_mismatch"
function smartcar.parse_redirect(url, expected_state)
  check_string(url, "parse_redirect", 1, "url")
  if expected_state ~= nil and type(expected_state) ~= "string" then
    argerror("parse_redirect", 2, "expected_state: string expected, got "
      .. type(expected_state))
  end
  return core.parse_redirect(url, expected_state)
end

AuthClient.parse_redirect = function(self, url, expected_state)
  check_self(self, AuthClient, "parse_redirect")
  check_string(url, "parse_redirect", 1, "url")
  if expected_state ~= nil and type(expected_state) ~= "string" then
    argerror("parse_redirect", 2, "expected_state: string expected, got "
      .. type(expected_state))
  end
  return core.parse_redirect(url, expected_state)
end

----------------------------------------------------------------------------
-- Account-level calls.
----------------------------------------------------------------------------

--- The Smartcar user id of the token's owner.
--- Options: `client`, `flags`, `version`, `timeout_ms`, `connect_timeout_ms`,
--- `max_attempts`, `retry_deadline_ms`, `rate_policy`.
---@param access_token string
---@param options table|nil
---@return {id: string, meta: smartcar.Meta}|nil data
---@return smartcar.Error|nil err
function smartcar.get_user(access_token, options)
  check_string(access_token, "get_user", 1, "access_token")
  options = check_call_options(options, "get_user", 2)
  local client = resolve_client(options.client, "get_user", 2)
  local params = apply_call_options({ access_token = access_token }, options,
                                    "get_user", 2)
  return client:call("get_user", params)
end

--- The ids of the vehicles the token grants.
--- `paging`: {limit = integer, offset = integer}, both optional.
--- Options: as for get_user.
---@param access_token string
---@param paging {limit: integer|nil, offset: integer|nil}|nil
---@param options table|nil
---@return {vehicles: string[], paging: {count: integer, offset: integer}, meta: smartcar.Meta}|nil data
---@return smartcar.Error|nil err
function smartcar.get_vehicles(access_token, paging, options)
  local fname = "get_vehicles"
  check_string(access_token, fname, 1, "access_token")
  paging = check_opt_table(paging, fname, 2)
  check_keys(paging, { limit = true, offset = true }, fname, 2)
  for _, k in ipairs { "limit", "offset" } do
    local v = paging[k]
    if v ~= nil and (math.type(v) ~= "integer" or v < 0) then
      argerror(fname, 2, k .. ": non-negative integer expected")
    end
  end
  options = check_call_options(options, fname, 3)
  local client = resolve_client(options.client, fname, 3)
  local params = apply_call_options(
    { access_token = access_token, limit = paging.limit,
      offset = paging.offset }, options, fname, 3)
  return client:call(fname, params)
end

----------------------------------------------------------------------------
-- Vehicle.
----------------------------------------------------------------------------

---@class smartcar.Vehicle
---@field id string
---@field access_token string
---@field unit_system string|nil "metric" or "imperial"; nil: the client's
---@field version string|nil API version; nil: the client's
---@field flags table|string|nil
---@field client userdata|smartcar.AuthClient|nil nil: the default client
local Vehicle = {}
Vehicle.__index = Vehicle
Vehicle.__name = "smartcar.Vehicle"

function Vehicle:__tostring()
  return ("smartcar.Vehicle (%s)"):format(tostring(self.id))
end

--- A vehicle to call the Vehicle API on.
--- Options: `unit_system`, `version`, `flags`, `client` (a client from
--- `smartcar.core.client` or an `auth_client`; default: the shared one),
--- `timeout_ms`, `connect_timeout_ms`, `max_attempts`,
--- `retry_deadline_ms`, `rate_policy`: defaults for every call.
---@param id string vehicle id from get_vehicles
---@param access_token string
---@param options table|nil
---@return smartcar.Vehicle
function smartcar.vehicle(id, access_token, options)
  check_string(id, "vehicle", 1, "vehicle id")
  check_string(access_token, "vehicle", 2, "access_token")
  options = check_call_options(options, "vehicle", 3)
  if options.client ~= nil then
    resolve_client(options.client, "vehicle", 3)
  end
  local self = { id = id, access_token = access_token,
                 client = options.client, flags = options.flags }
  for k in pairs(CALL_OPTIONS) do self[k] = options[k] end
  return setmetatable(self, Vehicle)
end

-- The body of every vehicle method; fname and n name the method and the
-- position of its options argument in error messages.
local function vehicle_call(self, fname, n, endpoint, options)
  options = check_call_options(options, fname, n, { params = true })
  for _, field in ipairs { "id", "access_token" } do
    local v = rawget(self, field)
    if type(v) ~= "string" or v == "" then
      raise(("%s: vehicle.%s must be a non-empty string"):format(fname,
            field))
    end
  end
  local params = {}
  if options.params ~= nil then
    if type(options.params) ~= "table" then
      argerror(fname, n, "params: table expected, got "
        .. type(options.params))
    end
    for k, v in pairs(options.params) do params[k] = v end
  end
  apply_call_options(params, options, fname, n, self)
  params.vehicle_id = self.id
  params.access_token = self.access_token
  local client = resolve_client(rawget(self, "client"), fname, n)
  return client:call(endpoint, params)
end

--- Run any call of the endpoint table on this vehicle.  Options: the
--- per-call options of `smartcar.vehicle`, plus the endpoint's own
--- parameters in `params` ({limit = 80}, {latitude = ..., longitude = ...},
--- {paths = "/odometer /fuel"}, {method = "GET", path = "/..."}).
---@param endpoint string a name from smartcar.endpoints()
---@param options table|nil
---@return table|nil data the body's fields in snake_case plus meta
---@return smartcar.Error|nil err
function Vehicle:call(endpoint, options)
  check_self(self, Vehicle, "call")
  check_string(endpoint, "call", 1, "endpoint")
  return vehicle_call(self, "call", 2, endpoint, options)
end

--- The odometer reading: {distance, meta}; distance in kilometres, or in
--- miles when the unit system is "imperial".
---@param options table|nil per-call options (see Vehicle:call)
---@return {distance: number, meta: smartcar.Meta}|nil data
---@return smartcar.Error|nil err
function Vehicle:odometer(options)
  check_self(self, Vehicle, "odometer")
  return vehicle_call(self, "odometer", 1, "odometer", options)
end

-- Every other per-vehicle call of the endpoint table becomes a method with
-- the same shape, vehicle:NAME(options), so the Lua surface follows
-- endpoints.def.  The calls below are not about one vehicle.
local NOT_VEHICLE = set_of {
  "exchange_code", "exchange_refresh_token", "get_user", "get_vehicles",
  "get_compatibility", "get_compatibility_matrix", "get_connections",
  "delete_connections",
}
for _, name in ipairs(core.endpoints()) do
  if not NOT_VEHICLE[name] and Vehicle[name] == nil then
    Vehicle[name] = function(self, options)
      check_self(self, Vehicle, name)
      return vehicle_call(self, name, 1, name, options)
    end
  end
end

return smartcar
