-- Test helper for the busted specs (loaded by .busted before any spec, and
-- `require "helper"` from the specs).
--
-- It gives the specs a running emulator: SMARTCAR_EMULATOR_URL when set,
-- otherwise its own `smartcar-emulator --port 0` (SMARTCAR_EMULATOR_BIN, or
-- build/smartcar-emulator), started on first use and stopped when the Lua
-- state closes.  Lua cannot set environment variables, so the library is
-- pointed at the emulator with smartcar.configure{...origins} (module-level
-- functions, vehicles) and with origins given to auth_client.
--
-- The emulator's control API (/_emulator/...) is reached with the curl
-- command-line tool, so that the library under test is not also the tool
-- that checks it.

local smartcar = require "smartcar"
local core = require "smartcar.core"

local helper = {}

----------------------------------------------------------------------------
-- Lua 5.4 and LuaJIT (Lua 5.1) alike.
----------------------------------------------------------------------------

--- math.type under Lua 5.4; under LuaJIT, whose numbers are all doubles,
--- "integer" for a number with no fraction within +-2^53 (what the
--- binding converts as an integer), else "float".
helper.math_type = math.type or function(v)
  if type(v) ~= "number" then return nil end
  return (v == math.floor(v) and v >= -2 ^ 53 and v <= 2 ^ 53) and "integer"
    or "float"
end

--- The extreme integers: Lua 5.4's 64-bit ones, or LuaJIT's exact doubles.
helper.maxinteger = math.maxinteger or 2 ^ 53
helper.mininteger = math.mininteger or -2 ^ 53

helper.unpack = table.unpack or unpack

--- table.pack: the values and their count n.
function helper.pack(...)
  return { n = select("#", ...), ... }
end

-- The emulator's built-in application (docs/emulator.md).
helper.client_id = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
helper.client_secret = "emulator-client-secret"
helper.redirect_uri = "https://example.com/callback"

-- Repository root: two levels above this file.
local function repo_root()
  local src = debug.getinfo(1, "S").source
  local dir = src:match("^@(.*)/tests/lua/[^/]*$")
  if dir == nil then
    return "."
  end
  return dir == "" and "/" or dir
end
helper.root = repo_root()

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
helper.sh_quote = sh_quote

----------------------------------------------------------------------------
-- A small JSON encoder for control-API bodies (decoding uses the binding's
-- own converter, smartcar.core.json_decode).
----------------------------------------------------------------------------

local function encode(v)
  local t = type(v)
  if v == nil or v == core.null then
    return "null"
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "number" then
    if math.type then
      if math.type(v) == "integer" then return tostring(v) end
    elseif helper.math_type(v) == "integer" then
      return ("%.0f"):format(v) -- LuaJIT's tostring may use an exponent
    end
    return ("%.17g"):format(v)
  elseif t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return ("\\u%04x"):format(c:byte())
    end) .. '"'
  elseif t == "table" then
    local parts = {}
    if #v > 0 or getmetatable(v) == core.array_mt then
      for i = 1, #v do parts[i] = encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, x in pairs(v) do
      parts[#parts + 1] = encode(tostring(k)) .. ":" .. encode(x)
    end
    table.sort(parts)
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. t)
end
helper.json_encode = encode

----------------------------------------------------------------------------
-- The emulator process.
----------------------------------------------------------------------------

local emulator = nil -- {url, pid, pipe, log} when we started one

--- A value whose finalizer calls f: a table under Lua 5.2+, a userdata
--- under LuaJIT (Lua 5.1 ignores __gc on tables).  Keep it referenced.
function helper.on_gc(f)
  if newproxy then
    local p = newproxy(true)
    getmetatable(p).__gc = function() f() end
    return p
  end
  return setmetatable({}, { __gc = function() f() end })
end

local function start_emulator()
  local bin = os.getenv("SMARTCAR_EMULATOR_BIN")
  if bin == nil or bin == "" then
    bin = helper.root .. "/build/smartcar-emulator"
  end
  local f = io.open(bin, "rb")
  if f == nil then
    error("smartcar-emulator not found at " .. bin .. ": build it with "
      .. "cmake, or set SMARTCAR_EMULATOR_BIN or SMARTCAR_EMULATOR_URL", 0)
  end
  f:close()
  local log = os.tmpname()
  -- The shell prints its PID and then becomes the emulator (exec), so the
  -- PID is the emulator's; its first stdout line is its base URL.
  local cmd = ("sh -c %s %s %s"):format(
    sh_quote('echo $$; exec "$0" --port 0 --host 127.0.0.1 2>"$1"'),
    sh_quote(bin), sh_quote(log))
  local pipe = assert(io.popen(cmd, "r"))
  local pid = pipe:read("l")
  local url = pipe:read("l")
  if not (pid and pid:match("^%d+$")) or not (url and url:match("^https?://")) then
    pipe:close()
    local lf = io.open(log, "r")
    local text = lf and lf:read("a") or ""
    if lf then lf:close() end
    os.remove(log)
    error("smartcar-emulator did not start (" .. tostring(url) .. "): "
      .. text, 0)
  end
  emulator = { url = url:gsub("/+$", ""), pid = pid, pipe = pipe, log = log }
  -- Stop it when the Lua state closes (normal exit or os.exit(n, true)),
  -- before the pipe's own finalizer would wait for it to exit.  LuaJIT
  -- (Lua 5.1) runs __gc only for userdata: there the reaper is one.
  helper._reaper = helper.on_gc(helper.stop)
  return emulator.url
end

--- Stop the emulator this helper started (no-op otherwise).
function helper.stop()
  local e = emulator
  if e == nil then return end
  emulator = nil
  os.execute("kill " .. e.pid .. " 2>/dev/null")
  e.pipe:close()
  os.remove(e.log)
end

local base_url = nil

--- Base URL of the emulator ("http://127.0.0.1:PORT"); starts one on first
--- use and points the module's default client at it.
---@return string
function helper.url()
  if base_url == nil then
    local env = os.getenv("SMARTCAR_EMULATOR_URL")
    if env ~= nil and env ~= "" then
      base_url = env:gsub("/+$", "")
    else
      base_url = start_emulator()
    end
    smartcar.configure(helper.origins())
  end
  return base_url
end

--- The six origins (v2, management, v3 and IAM), all on the emulator.
function helper.origins()
  local u = base_url or helper.url()
  return {
    connect_origin = u, auth_origin = u, api_origin = u,
    management_origin = u, vehicle_api_origin = u, iam_origin = u,
  }
end

--- An auth client for the emulator's built-in application.
---@param overrides table|nil options replacing the defaults
function helper.auth_client(overrides)
  local opts = helper.origins()
  opts.client_id = helper.client_id
  opts.client_secret = helper.client_secret
  opts.redirect_uri = helper.redirect_uri
  opts.mode = "test"
  for k, v in pairs(overrides or {}) do opts[k] = v end
  return smartcar.auth_client(opts)
end

--- A fresh core client on the emulator (own connection pool).
function helper.core_client(overrides)
  local opts = helper.origins()
  for k, v in pairs(overrides or {}) do opts[k] = v end
  return core.client(opts)
end

----------------------------------------------------------------------------
-- Control API, through the curl command-line tool.
----------------------------------------------------------------------------

--- Send a control request; returns the HTTP status and the decoded body.
---@param method string
---@param path string
---@param body table|nil JSON body
---@return integer status
---@return any body
function helper.control(method, path, body)
  local cmd = { "curl -sS --max-time 30 -X", method,
                "-w '\\n%{http_code}'" }
  if body ~= nil then
    cmd[#cmd + 1] = "-H 'Content-Type: application/json' --data-binary"
    cmd[#cmd + 1] = sh_quote(encode(body))
  end
  cmd[#cmd + 1] = sh_quote(helper.url() .. path)
  local p = assert(io.popen(table.concat(cmd, " "), "r"))
  local out = p:read("a")
  p:close()
  local text, status = out:match("^(.*)\n(%d%d%d)$")
  if status == nil then
    error("control request " .. method .. " " .. path .. " failed: " .. out)
  end
  local decoded = nil
  if text ~= "" then decoded = core.json_decode(text) end
  return tonumber(status), decoded, text
end

--- Forget codes, tokens and the clock offset.
function helper.reset()
  local status, body, text = helper.control("POST", "/_emulator/reset")
  assert(status == 200, "reset failed: " .. tostring(text))
  return body
end

--- Move the emulator's clock forward.
---@param seconds number
function helper.advance_clock(seconds)
  local status, body, text = helper.control("POST", "/_emulator/clock",
                                            { advance = seconds })
  assert(status == 200, "clock failed: " .. tostring(text))
  return body
end

--- The emulator's current time (Unix seconds).
function helper.now()
  local status, body, text = helper.control("GET", "/_emulator/clock")
  assert(status == 200, "clock failed: " .. tostring(text))
  return body.now
end

--- Empty the emulator's request log.
function helper.clear_log()
  local status = helper.control("DELETE", "/_emulator/requests")
  assert(status == 200 or status == 204, "clearing the request log failed")
end

--- The requests the emulator received (since the log was last emptied)
--- with this method and a path matching the Lua pattern.
---@param method string
---@param path_pattern string
---@return table[]
function helper.logged(method, path_pattern)
  local status, body = helper.control("GET", "/_emulator/requests")
  assert(status == 200)
  local out = {}
  for _, r in ipairs(body.requests) do
    if r.method == method and r.path:match(path_pattern) then
      out[#out + 1] = r
    end
  end
  return out
end

--- Drive Connect: approve (or deny) an authorization URL, as the owner
--- would in the browser.  Returns the redirect location.
---@param auth_url string
---@param options {action: string|nil, email: string|nil}|nil
---@return string location
function helper.connect(auth_url, options)
  options = options or {}
  local status, body, text = helper.control("POST", "/_emulator/connect", {
    authorize_url = auth_url,
    action = options.action or "approve",
    email = options.email or "owner@example.com",
  })
  assert(status == 200, "connect failed (" .. status .. "): " .. tostring(text))
  return body.location
end

--- Drive Connect through its HTML pages as a browser would (curl, no
--- redirects followed): past the preamble, the whole fleet, log in as
--- `email`, Allow.  Returns the redirect location.
---@param auth_url string
---@param email string
---@return string location
function helper.browse_connect(auth_url, email)
  local walk = require "connect_walk"
  local function fetch(method, url, form)
    local cmd = { "curl -sS --max-time 30 -X", method, "-D -",
                  "-w '\n%{http_code}'" }
    if form then
      cmd[#cmd + 1] = "--data-binary " .. sh_quote(form)
    end
    cmd[#cmd + 1] = sh_quote(url)
    local p = assert(io.popen(table.concat(cmd, " "), "r"))
    local out = p:read("a")
    p:close()
    local head, body, status = out:match("^(.-)\r\n\r\n(.*)\n(%d%d%d)$")
    assert(status, "Connect request failed: " .. out)
    return tonumber(status), head:match("\n[Ll]ocation: ([^\r\n]*)"), body
  end
  return assert(walk.walk(fetch, helper.url(), auth_url, email))
end

----------------------------------------------------------------------------
-- Small utilities for the specs.
----------------------------------------------------------------------------

--- pcall f and return its error message (fails if f did not raise).
---@return string
function helper.raises(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(err)
end

--- A sorted copy of a list.
function helper.sorted(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = v end
  table.sort(out)
  return out
end

local function unescape(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

--- Decode the query string of a URL into a table.
---@param url string
---@return table<string, string>
function helper.query(url)
  local q = url:match("%?([^#]*)") or ""
  local t = {}
  for pair in q:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    t[unescape(k)] = unescape(v)
  end
  return t
end

--- Every string inside a value (recursively), with its path.
---@return {path: string, value: string}[]
function helper.strings(v, path, out)
  out = out or {}
  path = path or "err"
  if type(v) == "string" then
    out[#out + 1] = { path = path, value = v }
  elseif type(v) == "table" then
    for k, x in pairs(v) do
      helper.strings(x, path .. "." .. tostring(k), out)
    end
  end
  return out
end

--- Assert that neither tostring(err) nor any string in err contains one
--- of the secrets.
---@param err table
---@param secrets string[]
function helper.assert_no_secrets(err, secrets)
  local texts = helper.strings(err)
  texts[#texts + 1] = { path = "tostring(err)", value = tostring(err) }
  for _, secret in ipairs(secrets) do
    assert(type(secret) == "string" and #secret >= 6,
           "secret too short to search for")
    for _, t in ipairs(texts) do
      if t.value:find(secret, 1, true) then
        error(("%s leaks a secret: %q"):format(t.path, t.value), 2)
      end
    end
  end
end

----------------------------------------------------------------------------
-- Owners, fleets and vehicle state.
----------------------------------------------------------------------------

-- The emulator's application management token (docs/emulator.md).
-- For a describe block: opens its auth client before the tests
-- (helper.url(), then helper.reset() when reset) and closes it after
-- them.  Pass busted's setup and teardown; set(client) receives it.
function helper.spec_auth_client(setup, teardown, set, reset)
  local auth
  setup(function()
    helper.url()
    if reset then helper.reset() end
    auth = helper.auth_client()
    set(auth)
  end)
  teardown(function()
    if auth then auth:close() end
  end)
end

-- For a describe block: a table that busted's setup fills with
-- helper.fresh_fleets(email) before the tests.
function helper.spec_fleet(setup, email)
  local fleet = {}
  setup(function()
    for k, v in pairs(helper.fresh_fleets(email)) do fleet[k] = v end
  end)
  return fleet
end

-- actual[k] equals v for every k, v of expected (the key named when not).
function helper.assert_fields(expected, actual)
  local is = require "luassert"
  for k, v in pairs(expected) do is.equal(v, actual[k], k) end
end

-- A call that failed with an API error: no result, err of kind "api"
-- with this type and HTTP status, and none of the secrets in it.
function helper.assert_api_error(res, err, type_, status, secrets)
  local is = require "luassert"
  is.is_nil(res)
  is.equal("api", err.kind)
  is.equal(type_, err.type)
  is.equal(status, err.status_code)
  helper.assert_no_secrets(err, secrets)
end

helper.amt = "emulator-management-token"

-- Every permission the SDK-shaped vehicle methods need.
helper.all_scopes = {
  "read_vehicle_info", "read_vin", "read_odometer", "read_location",
  "read_fuel", "read_battery", "read_charge", "read_engine_oil",
  "read_tires", "read_security", "read_service_history",
  "read_diagnostics", "control_charge", "control_security",
  "control_navigation",
}

--- Approve Connect for an owner and return their fleet:
--- {token, user_id, vehicles = {ids}, bev, phev, ice (smartcar.Vehicle
--- by kind, from the make), by_id = {id = Vehicle}}.
---@param options {email: string|nil, scopes: string[]|nil, vehicle: table|nil}|nil
function helper.fleet(options)
  options = options or {}
  local auth = helper.auth_client()
  local url = auth:get_auth_url(options.scopes or helper.all_scopes)
  local redirect = assert(smartcar.parse_redirect(
    helper.connect(url, { email = options.email })))
  local token = assert(auth:exchange_code(redirect.code))
  auth:close()
  local list = assert(smartcar.get_vehicles(token.access_token))
  local user = assert(smartcar.get_user(token.access_token))
  local fleet = { token = token, user_id = user.id, vehicles = list.vehicles,
                  by_id = {} }
  local kinds = { TESLA = "bev", TOYOTA = "phev", FORD = "ice" }
  for _, id in ipairs(list.vehicles) do
    local car = smartcar.vehicle(id, token.access_token, options.vehicle)
    fleet.by_id[id] = car
    local status, body = helper.control("GET", "/_emulator/vehicles/" .. id)
    local make = status == 200 and body and body.make or nil
    if make == nil then
      make = assert(car:attributes()).make
    end
    if kinds[make] then fleet[kinds[make]] = car end
  end
  return fleet
end

--- Reach the emulator, reset it, then approve Connect for each email:
--- their fleets (helper.fleet), in the same order.
---@param ... string emails
function helper.fresh_fleets(...)
  helper.url()
  helper.reset()
  local fleets = {}
  for i, email in ipairs({ ... }) do
    fleets[i] = helper.fleet { email = email }
  end
  return helper.unpack(fleets)
end

--- Set state fields of an emulated vehicle (plugged_in, charging,
--- locked, percent_remaining, charge_limit...).
---@param id string
---@param fields table
function helper.set_vehicle(id, fields)
  local status, body, text = helper.control("POST", "/_emulator/vehicles/"
                                            .. id, fields)
  assert(status == 200, "vehicle state failed (" .. status .. "): "
    .. tostring(text))
  return body
end

--- Assert that |a - b| <= tol.
function helper.near(expected, actual, tol, what)
  assert(type(actual) == "number", (what or "value") .. " is not a number: "
    .. tostring(actual))
  if math.abs(expected - actual) > tol then
    error(("%s: expected %s within %s, got %s"):format(what or "value",
          tostring(expected), tostring(tol), tostring(actual)), 2)
  end
end

--- Answer one webhook delivery on srv (a LuaSocket server socket) with
--- smartcar.receive_webhook: the event (or nil, err), its SC-Signature and
--- body.  The answer is the event's reply (200), or 401.
function helper.serve_webhook(srv, seen)
  local c = assert(srv:accept())
  c:settimeout(5)
  local length, sig = 0, nil
  while true do
    local line = assert(c:receive("*l"))
    if line == "" then break end
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    k = k and k:lower()
    if k == "content-length" then length = tonumber(v) end
    if k == "sc-signature" then sig = v end
  end
  local body = length > 0 and assert(c:receive(length)) or ""
  local ev, err = smartcar.receive_webhook(helper.amt, sig, body, seen)
  local reply = ev and ev.reply or "{}"
  c:send(("HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
    .. "Content-Length: %d\r\nConnection: close\r\n\r\n%s")
    :format(ev and 200 or 401, #reply, reply))
  c:close()
  return ev, err, sig, body
end

--- Register webhook `id` with callback http://127.0.0.1:<port>/hook in
--- the background (registering sends its VERIFY at once: answer it with
--- helper.serve_webhook while the request waits).
function helper.register_webhook_async(id, port)
  os.execute(("curl -s -X POST -H 'Content-Type: application/json' "
    .. "--data-binary %s %s >/dev/null &"):format(helper.sh_quote(
      ('{"webhook_id": "%s", "callback_url": '
       .. '"http://127.0.0.1:%d/hook"}'):format(id, port)),
    helper.sh_quote(helper.url() .. "/_emulator/webhooks")))
end

package.loaded.helper = helper
return helper
