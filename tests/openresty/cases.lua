-- Test cases for smartcar.resty, run inside nginx (content_by_lua) by
-- tests/openresty/run.sh.  Each case is one location /t/<name>; it prints
-- "ok <name>" or "FAIL <name>: <why>".
local smartcar = require "smartcar.resty"
local cjson = require "cjson.safe"

local EMU = assert(os.getenv("SMARTCAR_TEST_EMULATOR"), "no emulator URL")
local REDIRECT = "https://example.com/callback"
local SECRET = "emulator-client-secret"
local SCOPE = { "read_odometer", "read_vehicle_info", "read_security",
                "control_security", "read_vin" }

local M = {}
local order = {}
local cases = {}
local function case(name, fn)
  order[#order + 1] = name
  cases[name] = fn
end

local function check(cond, msg, ...)
  if not cond then error(string.format(msg, ...), 2) end
  return cond
end

-- fn(...) must raise an invalid_argument Error whose message has `what`.
local function raises(what, fn, ...)
  local ok, err = pcall(fn, ...)
  check(not ok, "no error raised (%s)", what)
  check(type(err) == "table" and err.kind == "invalid_argument",
    "raised %s", tostring(err))
  check(tostring(err):find(what, 1, true), "message %s lacks %s",
    tostring(err), what)
  return err
end

local function must(v, err, what)
  if v == nil then error((what or "call") .. " failed: " .. tostring(err), 2) end
  return v
end

-- Two store handles over one entry refresh it at once (two light
-- threads): both refreshed sets, and the one saved after.
local function refresh_both(client, s1, s2)
  local function refresh(st) return must(st:refresh(client, "u")) end
  local t1 = ngx.thread.spawn(refresh, s1)
  local t2 = ngx.thread.spawn(refresh, s2)
  local _, a = ngx.thread.wait(t1)
  local _, b = ngx.thread.wait(t2)
  return a, b, must(s1:get("u")).refresh_token
end

-- Emulator control API through the /emu/ proxy location.
local function emu(method, path, body, via)
  local res = ngx.location.capture((via or "/emu") .. path, {
    method = method == "POST" and ngx.HTTP_POST
      or method == "DELETE" and ngx.HTTP_DELETE or ngx.HTTP_GET,
    body = body and cjson.encode(body) or nil,
  })
  check(res.status == 200, "emulator %s %s: %d %s", method, path, res.status,
    res.body or "")
  return cjson.decode(res.body)
end

local function new_client(extra)
  local opts = {
    client_id = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07",
    client_secret = SECRET,
    redirect_uri = REDIRECT,
    mode = "live",
    connect_origin = EMU, auth_origin = EMU, api_origin = EMU,
    management_origin = EMU, vehicle_api_origin = EMU, iam_origin = EMU,
    timeout_ms = 10000, connect_timeout_ms = 2000,
  }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return must(smartcar.client(opts))
end

-- Connect as `email`: returns the token set.
local function connect(client, email, via)
  local url, state = client:get_auth_url(SCOPE, { make = "TESLA" })
  must(url, state, "get_auth_url")
  local loc = emu("POST", "/_emulator/connect",
    { authorize_url = url, action = "approve", email = email }, via).location
  local r = must(smartcar.parse_redirect(loc, state))
  check(r.state == state, "state %s ~= %s", tostring(r.state), state)
  return must(client:exchange_code(r.code))
end

-- A client, a token and a vehicle id for `email`.
local function setup(email, extra)
  local client = new_client(extra)
  local tok = connect(client, email)
  local vs = must(client:get_vehicles(tok.access_token))
  check(#vs.vehicles > 0, "no vehicles")
  return client, tok, vs.vehicles[1]
end

-- The whole API v3 flow: Connect walked through the emulator's pages
-- (via the /emu proxy) returns the user id; an application token; the
-- user's connections through client:pages; signals; lock read back
-- through closure-islocked; charging started through a 202; a signed v4
-- webhook received and verified; the connection deleted, after which
-- reads fail typed.
case("v3_flow", function()
  local walk = require "connect_walk"
  local client = new_client()
  local url, state = client:get_auth_url({ "read_vehicle_info",
    "read_battery", "read_charge", "read_security", "control_security",
    "control_charge" })
  must(url, state, "get_auth_url")
  local function fetch(method, u, form)
    ngx.req.set_header("Content-Type", "application/x-www-form-urlencoded")
    local res = ngx.location.capture("/emu" .. u:sub(#EMU + 1), {
      method = method == "POST" and ngx.HTTP_POST or ngx.HTTP_GET,
      body = form })
    return res.status, res.header.Location, res.body
  end
  local loc = must(walk.walk(fetch, EMU, url, "resty-v3-flow@example.com"))
  local uid = must(smartcar.parse_redirect(loc, state)).user_id
  check(type(uid) == "string" and #uid == 36, "user id %s", tostring(uid))

  local tok = must(client:call("get_app_token", {}))
  check(tok.token_type == "Bearer" and tok.expires_in == 3600,
    "app token %s", cjson.encode(tok))

  local conns, pages = {}, 0
  for page, err in client:pages("list_connections", { user_id = uid }, 2) do
    must(page, err, "connections page")
    pages = pages + 1
    for _, c in ipairs(page.data) do
      check(c.relationships.user.data.id == uid, "user of %s", c.id)
      conns[c.relationships.vehicle.data.id] = c.id
    end
  end
  local n = 0
  for _ in pairs(conns) do n = n + 1 end
  check(n == 3 and pages == 2, "%d connections in %d pages", n, pages)

  local v, vid
  for id in pairs(conns) do
    local car = client:vehicle(id, nil, { user_id = uid })
    local info = must(car:get_vehicle())
    if info.data.attributes.powertrain_type == "BEV" then v, vid = car, id end
  end
  check(v, "no BEV among the connections")
  local signals = must(v:get_signals())
  local soc
  for _, s in ipairs(signals.data) do
    if s.id == "tractionbattery-stateofcharge" then soc = s.attributes end
  end
  check(soc and soc.body.unit == "percent" and soc.body.value > 0,
    "state of charge %s", cjson.encode(soc))

  must(v:security_unlock())
  local sig = must(v:get_signal("closure-islocked"))
  check(sig.data.attributes.body.value == false, "unlocked")
  local ex, err = v:security_lock()
  must(ex, err, "security_lock")
  check(ex.data.attributes.status.value == "SUCCESS", "lock %s",
    cjson.encode(ex))
  sig = must(v:get_signal("closure-islocked"))
  check(sig.data.attributes.body.value == true, "locked")

  -- charging ends through a 202 (the emulator made commands long-running)
  emu("POST", "/_emulator/vehicles/" .. vid,
    { plugged_in = true, charging = false, percent_remaining = 0.5 })
  emu("POST", "/_emulator/v3/commands", { mode = "async", delay_ms = 50 })
  ex, err = v:charge_start()
  emu("POST", "/_emulator/v3/commands", { mode = "auto" })
  must(ex, err, "charge_start")
  check(ex.data.attributes.command_type == "charge-start"
    and ex.data.attributes.execution_mode == "async"
    and ex.data.attributes.status.value == "SUCCESS", "charge %s",
    cjson.encode(ex))
  sig = must(v:get_signal("charge-ischarging"))
  check(sig.data.attributes.body.value == true, "charging")

  -- a signed v4 webhook on a loopback receiver (this nginx's /hook,
  -- handle_webhook: VERIFY answered, signature checked): the car
  -- subscribed through the Management API v3
  local hook = emu("POST", "/_emulator/webhooks", { webhook_id =
    "resty-v3-flow", callback_url = "http://127.0.0.1:"
    .. ngx.var.server_port .. "/hook" })
  check(hook.verified == true, "VERIFY not answered: %s", cjson.encode(hook))
  ngx.shared.sc_tokens:delete("hook:last")
  must(client:call("create_subscription", { webhook_id = "resty-v3-flow",
    user_id = uid, vehicle_id = vid }))
  local got
  for _ = 1, 250 do
    got = ngx.shared.sc_tokens:get("hook:last")
    if got then break end
    ngx.sleep(0.02)
  end
  check(got == "VEHICLE_STATE " .. vid, "delivery: %s", tostring(got))
  emu("DELETE", "/_emulator/webhooks/resty-v3-flow")

  must(client:call("delete_connection", { connection_id = conns[vid] }))
  local data
  data, err = v:get_signal("closure-islocked")
  check(data == nil and err.type == "RESOURCE_NOT_FOUND"
    and err.status_code == 404, "after delete: %s", tostring(err))
end)

-- Every API v3 call the flow case does not make, through smartcar.resty
-- against the emulator: a connection read by id, the Tesla's synchronous
-- commands, charge schedules (read back through charge-chargetimers and
-- deleted), Management API v3 webhooks and subscriptions, and the user
-- deleted, after which its reads fail typed.
case("v3_every_call", function()
  local client = new_client()
  local url, state = client:get_auth_url({ "read_vehicle_info",
    "read_battery", "read_charge", "read_security", "control_security",
    "control_charge", "control_navigation" }, { make = "TESLA" })
  must(url, state, "get_auth_url")
  local loc = emu("POST", "/_emulator/connect", { authorize_url = url,
    action = "approve", email = "resty-v3-all@example.com" }).location
  local uid = must(smartcar.parse_redirect(loc, state)).user_id
  check(type(uid) == "string" and #uid == 36, "user id %s", tostring(uid))

  local conns = must(client:call("list_connections", { user_id = uid }))
  check(#conns.data > 0, "no connections")
  local one = must(client:call("get_connection",
    { connection_id = conns.data[1].id }))
  check(one.data.id == conns.data[1].id
    and one.data.relationships.user.data.id == uid, "connection %s",
    cjson.encode(one))
  local v, vid
  for _, c in ipairs(conns.data) do
    local id = c.relationships.vehicle.data.id
    local car = client:vehicle(id, nil, { user_id = uid })
    if must(car:get_vehicle()).data.attributes.make == "TESLA" then
      v, vid = car, id
    end
  end
  check(v, "no Tesla among the connections")

  emu("POST", "/_emulator/vehicles/" .. vid,
    { plugged_in = true, charging = true, percent_remaining = 0.5 })
  for _, name in ipairs { "charge_stop", "charge_port_open",
                          "charge_port_close" } do
    local ex = must(v[name](v))
    check(ex.data.attributes.status.value == "SUCCESS"
      and ex.data.attributes.execution_mode == "sync", "%s: %s", name,
      cjson.encode(ex))
  end
  local ex = must(v:charge_set_limit(80))
  check(ex.data.attributes.parameters.percent == 80, "limit %s",
    cjson.encode(ex))
  local sig = must(v:get_signal("charge-activelimit"))
  check(sig.data.attributes.body.value == 80, "limit read back %s",
    cjson.encode(sig))
  local _, err = v:charge_set_limit(20)
  check(err and err.status_code == 400, "limit 20: %s", tostring(err))
  ex = must(v:navigation_set_destination(52.52, 13.405))
  check(ex.data.attributes.command_type == "navigation-set-destination",
    "destination %s", cjson.encode(ex))

  local made = must(v:charge_schedule_daily(
    '{"location":{"latitude":52.52,"longitude":13.405},'
    .. '"startTime":"22:00","stopTime":"06:00"}'))
  local sid = made.data.attributes.schedule_id
  check(type(sid) == "string", "schedule %s", cjson.encode(made))
  must(v:charge_schedule_weekly('{"days":{"monday":{"startTime":"23:00"}}}'))
  must(v:charge_schedule_workweek(
    '{"weekdays":{"startTime":"22:00"},"weekends":{"startTime":"01:00"}}'))
  local timers = must(v:get_signal("charge-chargetimers"))
  check(#timers.data.attributes.body.values == 3, "timers %s",
    cjson.encode(timers))
  must(v:delete_charge_schedule(sid))
  timers = must(v:get_signal("charge-chargetimers"))
  check(#timers.data.attributes.body.values == 2, "after delete %s",
    cjson.encode(timers))

  emu("POST", "/_emulator/webhooks", { webhook_id = "resty-v3-all",
    name = "Resty every call", callback_url = "http://127.0.0.1:"
    .. ngx.var.server_port .. "/hook" })
  local hooks = must(client:call("list_webhooks",
    { name = "resty every" }))
  check(#hooks.data == 1 and hooks.data[1].id == "resty-v3-all",
    "webhooks %s", cjson.encode(hooks))
  local hook = must(client:call("get_webhook",
    { webhook_id = "resty-v3-all" }))
  check(hook.data.attributes.name == "Resty every call", "webhook %s",
    cjson.encode(hook))
  must(client:call("create_subscription", { webhook_id = "resty-v3-all",
    user_id = uid, vehicle_id = vid }))
  local subs = must(client:call("list_subscriptions",
    { webhook_id = "resty-v3-all" }))
  check(#subs.data == 1, "subscriptions %s", cjson.encode(subs))
  must(client:call("delete_subscription",
    { subscription_id = subs.data[1].id }))
  subs = must(client:call("list_subscriptions",
    { webhook_id = "resty-v3-all" }))
  check(#subs.data == 0, "after delete %s", cjson.encode(subs))
  emu("DELETE", "/_emulator/webhooks/resty-v3-all")

  must(client:call("delete_user", { user_id = uid }))
  local data
  data, err = v:get_signal("closure-islocked")
  check(data == nil and err.status_code == 404, "after delete_user: %s",
    tostring(err))
end)

case("flow", function()
  local client = new_client()
  local url, state = client:get_auth_url(SCOPE, { make = "TESLA" })
  must(url, state, "get_auth_url")
  check(url:find("^" .. EMU:gsub("%p", "%%%0") .. "/oauth/authorize%?"),
    "url %s", url)
  check(#state >= 16, "short state")
  local loc = emu("POST", "/_emulator/connect", { authorize_url = url,
    action = "approve", email = "flow@example.com" }).location
  local r = must(smartcar.parse_redirect(loc, state))
  local _, perr = smartcar.parse_redirect(loc, "not-the-state")
  check(perr and perr.kind == "state_mismatch", "state mismatch: %s",
    tostring(perr))
  local tok = must(client:exchange_code(r.code))
  check(type(tok.access_token) == "string" and tok.refresh_token, "tokens")
  check(type(tok.expiration) == "number", "expiration")
  local user = must(client:get_user(tok.access_token))
  check(type(user.id) == "string", "user id")
  local vs = must(client:get_vehicles(tok.access_token, { limit = 10 }))
  check(#vs.vehicles > 0 and vs.paging, "vehicles")
  local id = vs.vehicles[1]
  local v = client:vehicle(id, tok.access_token)
  local km = must(v:odometer())
  check(type(km.distance) == "number", "distance")
  check(km.meta.unit_system == "metric", "metric: %s",
    tostring(km.meta.unit_system))
  local vi = client:vehicle(id, tok.access_token, { unit_system = "imperial" })
  local mi = must(vi:odometer())
  check(mi.meta.unit_system == "imperial", "imperial")
  check(math.abs(mi.distance * 1.609344 - km.distance) < 2,
    "miles %s vs km %s", mi.distance, km.distance)
  local attrs = must(v:attributes())
  check(attrs.id == id and attrs.make, "attributes")
  local lk = must(v:lock())
  check(lk.status == "success", "lock status %s", tostring(lk.status))
  local sec = must(v:lock_status())
  check(sec.is_locked == true, "is_locked %s", tostring(sec.is_locked))
  must(v:unlock())
  check(must(v:lock_status()).is_locked == false, "unlocked")
  -- methods with positional arguments, from the table's args column
  local perms = must(v:permissions({ limit = 1 }))
  check(#perms.permissions == 1, "one permission per page: %d",
    #perms.permissions)
  check(v.no_such_call == nil, "only table calls are methods")
  local tok2 = must(client:exchange_refresh_token(tok.refresh_token))
  check(tok2.access_token ~= tok.access_token, "refresh rotated")
  must(client:vehicle(id, tok2.access_token):vin())
end)

case("errors", function()
  local client, _, id = setup("errors@example.com")
  local bad = "bad-token-0123456789abcdef"
  local d, err = client:vehicle(id, bad):odometer()
  check(d == nil and err, "bad token accepted")
  check(err.kind == "api", "kind %s", tostring(err.kind))
  check(err.type == "AUTHENTICATION", "type %s", tostring(err.type))
  check(err.status_code == 401, "status %s", tostring(err.status_code))
  check(getmetatable(err) and tostring(err):find("AUTHENTICATION", 1, true),
    "tostring %s", tostring(err))
  check(not tostring(err):find(bad, 1, true), "token in message")
  check(not cjson.encode(err):find(bad, 1, true), "token in error")

  local wrong = "wrong-secret-0123456789"
  local c2 = new_client({ client_secret = wrong })
  local code = "0123456789abcdef0123456789abcdef"
  d, err = c2:exchange_code(code)
  check(d == nil and err, "bad secret accepted")
  check(err.kind == "oauth", "kind %s", tostring(err.kind))
  check(err.type == "invalid_client", "type %s", tostring(err.type))
  check(err.status_code == 401, "status %s", tostring(err.status_code))
  local s = tostring(err) .. cjson.encode(err)
  check(not s:find(wrong, 1, true), "secret in error")
  check(not s:find(code, 1, true), "code in error")

  raises("unknown endpoint", client.call, client, "no_such_endpoint", {})
  raises("proxy", smartcar.client, { proxy = "http://x" })
  -- every option of client_options.def is read (the FFI declaration and
  -- the option lists are generated from it)
  local c4 = must(smartcar.client({ max_cooldown_ms = 1000,
    connection_pool_size = 4, profile = "official", client_id = "cid-4" }))
  check(c4:get("client_id") == "cid-4", "client_id %s",
    tostring(c4:get("client_id")))
  raises("no_such_option", smartcar.client, { no_such_option = 1 })
end)

case("network_errors", function()
  -- Nothing listens on port 9 of loopback: connection refused.
  local c = new_client({ api_origin = "http://127.0.0.1:9", max_attempts = 2,
                         retry_base_ms = 10 })
  local d, err = c:vehicle("x", "t"):odometer()
  check(d == nil and err.kind == "network", "refused: %s", tostring(err))
  check(err.attempts == 2, "attempts %s", tostring(err.attempts))
  -- A slow answer past the request timeout.
  local client, tok, id = setup("timeout@example.com",
    { timeout_ms = 300, max_attempts = 1 })
  emu("POST", "/_emulator/faults", { match = { method = "GET",
    path = "/v2.0/vehicles/*/odometer" }, count = 1,
    fault = { type = "latency", ms = 1500 } })
  local t0 = ngx.now()
  d, err = client:vehicle(id, tok.access_token):odometer()
  ngx.update_time()
  check(d == nil and err.kind == "timeout", "timeout: %s", tostring(err))
  check(ngx.now() - t0 < 1.2, "timeout took %.3f s", ngx.now() - t0)
end)

case("too_big", function()
  local client, tok = setup("big@example.com")
  local small = new_client({ max_response_bytes = 40 })
  local d, err = small:get_vehicles(tok.access_token)
  check(d == nil and err.kind == "response_too_large", "too big: %s",
    tostring(err))
  must(client:get_vehicles(tok.access_token))
end)

case("keepalive", function()
  local client, tok, id = setup("keepalive@example.com")
  local v = client:vehicle(id, tok.access_token)
  local before = client.stats.reused
  local opened = client.stats.connections
  for _ = 1, 5 do must(v:odometer()) end
  check(client.stats.reused - before >= 5, "reused %d of 5",
    client.stats.reused - before)
  check(client.stats.connections == opened, "new connections: %d",
    client.stats.connections - opened)
end)

case("concurrency", function()
  local client, tok, id = setup("parallel@example.com")
  -- Each read waits 200 ms at the emulator, so they overlap only if the
  -- driver yields while waiting.
  emu("POST", "/_emulator/faults", { match = { method = "GET",
    path = "/v2.0/vehicles/*/odometer" }, count = 8,
    fault = { type = "latency", ms = 200 } })
  local threads = {}
  for i = 1, 8 do
    threads[i] = ngx.thread.spawn(function()
      return client:vehicle(id, tok.access_token):odometer()
    end)
  end
  for i = 1, 8 do
    local ok, d, err = ngx.thread.wait(threads[i])
    check(ok and d and type(d.distance) == "number", "thread %d: %s", i,
      tostring(err or d))
  end
  check(client.stats.max_inflight >= 2, "max in flight %d",
    client.stats.max_inflight)
end)

case("retry", function()
  local client, tok, id = setup("retry@example.com",
    { retry_base_ms = 100 })
  emu("POST", "/_emulator/faults", { match = { method = "GET",
    path = "/v2.0/vehicles/*/odometer" }, count = 1,
    fault = { type = "status", status = 502, error_type = "UPSTREAM",
              error_code = "NO_RESPONSE" } })
  emu("DELETE", "/_emulator/requests")
  local waits = client.stats.waits
  local d = must(client:vehicle(id, tok.access_token):odometer())
  check(type(d.distance) == "number", "distance")
  check(client.stats.waits > waits, "no SC_STEP_WAIT")
  local n, statuses = 0, {}
  for _, r in ipairs(emu("GET", "/_emulator/requests").requests) do
    if r.path:find("/odometer$") then
      n = n + 1
      statuses[#statuses + 1] = r.status
    end
  end
  check(n == 2 and statuses[1] == 502 and statuses[2] == 200,
    "requests: %d (%s)", n, table.concat(statuses, ","))
  check(#emu("GET", "/_emulator/faults").faults == 0, "fault left")
end)

case("chunked", function()
  -- /v2.0/vehicles/chunky/odometer on this nginx answers in chunks.
  local self_url = "http://127.0.0.1:" .. ngx.var.server_port
  local c = new_client({ api_origin = self_url })
  local d = must(c:vehicle("chunky", "tok"):odometer())
  check(d.distance == 1234.5, "distance %s", tostring(d.distance))
  local raw = must(c:vehicle("chunky", "tok"):call("odometer",
    { raw_body = "true" }))
  check(raw.body and raw.body.distance == 1234.5, "raw body")
  -- vehicle:request's headers table reaches the server (echoed back)
  local r = must(c:vehicle("chunky", "tok"):request("GET", "/odometer", nil,
    { ["X-Echo"] = "hi" }))
  check(r.body and r.body.echo == "hi", "request headers: %s",
    cjson.encode(r))
end)

-- A server that answers badly (the hostile-* locations on this nginx):
-- with the built-in driver (the library's parser) each answer is an
-- error of this kind; lua-resty-http parses by its own rules (it reads a
-- bad Content-Length as none), so there only no hang or crash is asked.
case("hostile_server", function()
  local c = new_client({ max_attempts = 1,
    api_origin = "http://127.0.0.1:" .. ngx.var.server_port })
  local want = { status = "malformed_response", length = "malformed_response",
                 chunk = "malformed_response", head = "response_too_large",
                 cut = "network" }
  for kind, expect in pairs(want) do
    local d, err = c:vehicle("hostile-" .. kind, "tok"):odometer()
    if smartcar.http_driver == "builtin" then
      check(d == nil and err.kind == expect, "%s: %s, want %s", kind,
        tostring(err), expect)
    else
      check(d ~= nil or type(err.kind) == "string", "%s: %s", kind,
        tostring(err))
    end
  end
end)

case("tls", function()
  local url = os.getenv("SMARTCAR_TEST_EMULATOR_TLS") or ""
  if url == "" then
    ngx.say("ok tls")
    ngx.say("(skipped: no openssl)")
    return
  end
  local o = { connect_origin = url, auth_origin = url, api_origin = url,
              management_origin = url }
  local client = new_client(o)
  local tok = connect(client, "tls@example.com", "/emutls")
  local id = must(client:get_vehicles(tok.access_token)).vehicles[1]
  local v = client:vehicle(id, tok.access_token)
  must(v:odometer())
  local reused = client.stats.reused
  must(v:odometer())
  check(client.stats.reused > reused, "TLS connection not reused")

  local bad = os.getenv("SMARTCAR_TEST_EMULATOR_UNTRUSTED") or ""
  if bad ~= "" then
    o.api_origin, o.max_attempts = bad, 1
    local d, err = new_client(o):vehicle(id, "t"):odometer()
    check(d == nil and err.kind == "tls", "untrusted: %s", tostring(err))
    o.insecure_skip_tls_verify_dangerous = true
    d, err = new_client(o):vehicle(id, "t"):odometer()
    check(d == nil and err.kind == "api" and err.status_code == 401,
      "insecure: %s", tostring(err))
  end
end)

-- Token grants the emulator saw since its request log was cleared.
local function token_posts()
  local n = 0
  for _, r in ipairs(emu("GET", "/_emulator/requests").requests) do
    if r.method == "POST" and r.path == "/oauth/token" then n = n + 1 end
  end
  return n
end

case("token_store", function()
  local client, tok, id = setup("store@example.com")
  local store = must(smartcar.token_store(":memory:"))
  must(store:put("u", tok))
  local car = client:vehicle(id, { store = store, key = "u" })
  -- the server's clock passes the access token's life: it answers 401,
  -- the op refreshes once, saves the new set and sends again
  emu("POST", "/_emulator/clock", { advance = 7300 })
  emu("DELETE", "/_emulator/requests")
  local km = must(car:odometer())
  check(type(km.distance) == "number", "distance")
  check(token_posts() == 1, "refreshes %d", token_posts())
  local now = must(store:get("u"))
  check(now.refresh_token ~= tok.refresh_token, "not rotated")
  must(car:vin())
  check(token_posts() == 1, "refreshed again")
  -- an expired set is refreshed before the call
  local old = now.refresh_token
  now.expiration = ngx.time() - 10
  must(store:put("u", now))
  must(car:odometer())
  check(token_posts() == 2, "refreshes %d", token_posts())
  check(must(store:get("u")).refresh_token ~= old, "not rotated")
  local d, err = client:vehicle(id, { store = store, key = "nobody" }):vin()
  check(d == nil and err.kind == "not_found", "missing key: %s",
    tostring(err))
  store:close()
  raises("closed", car.vin, car)
end)

case("argument_errors", function()
  -- bad arguments raise (they are the caller's bug), as in smartcar
  local client = new_client()
  raises("timeout_ms", smartcar.client, { timeout_ms = "soon" })
  raises("client_id", smartcar.client, { client_id = 5 })
  raises("endpoint", client.call, client, 42)
  raises("endpoint", client.pages, client, 42)
  -- a cookie name the library's Set-Cookie refuses
  local jar = smartcar.state_cookie(("k"):rep(16), { name = "a;b" })
  raises("state_cookie", jar.save, jar, "state")
  raises("unknown option", client.get_auth_url, client, SCOPE, { nope = 1 })
  raises("path", smartcar.token_store, "")
  local store = must(smartcar.token_store(":memory:"))
  raises("key", store.put, store, "", {})
  raises("token", store.put, store, "k", "not a table")
  raises("key", store.get, store, nil)
  store:close()
  local car = client:vehicle("v", "t")
  raises("options", car.odometer, car, "metric")
  raises("parameter", car.call, car, "odometer", { f = function() end })
  raises("url", smartcar.parse_redirect, nil, "s")
end)

case("redirect_state_required", function()
  -- parse_redirect never skips the CSRF check: the state is required
  local client = new_client()
  local url, state = client:get_auth_url(SCOPE)
  must(url, state, "get_auth_url")
  local loc = emu("POST", "/_emulator/connect", { authorize_url = url,
    action = "approve", email = "state@example.com" }).location
  raises("expected_state", smartcar.parse_redirect, loc)
  raises("expected_state", smartcar.parse_redirect, loc, "")
  raises("expected_state", smartcar.parse_redirect, loc, 7)
  local _, err = smartcar.parse_redirect(loc, state .. "x")
  check(err and err.kind == "state_mismatch", "mismatch: %s", tostring(err))
  local r = must(smartcar.parse_redirect(loc, state))
  check(r.state == state and type(r.code) == "string", "code")
end)

case("endpoints", function()
  local names = smartcar.endpoints()
  check(#names > 20, "endpoints %d", #names)
  check(smartcar.version():match("^%d+%.%d+%.%d+"), "version")
  -- the codes come from the library: every kind of errors.def
  check(smartcar.codes.invalid_argument == -1 and smartcar.codes.timeout
    and smartcar.codes.storage and smartcar.SC_ETIMEOUT ==
    smartcar.codes.timeout, "codes")
end)

case("shared_dict_store", function()
  local client = new_client()
  local tok = connect(client, "dict@example.com")
  local store = smartcar.shared_dict_store("sc_tokens", "case:")
  raises("dict", smartcar.shared_dict_store, "no_such_dict")
  raises("prefix", smartcar.shared_dict_store, "sc_tokens", 5)
  local _, err = store:get("u")
  check(err and err.kind == "not_found", "empty store: %s", tostring(err))
  must(store:put("u", tok))
  check(must(store:get("u")).refresh_token == tok.refresh_token, "get")
  check(ngx.shared.sc_tokens:get("case:u"), "not in the dict")
  -- calls take the set from the dict, and a refresh saves the new one
  local id = must(client:get_vehicles(tok.access_token)).vehicles[1]
  local car = client:vehicle(id, { store = store, key = "u" })
  must(car:odometer())
  local new = must(store:refresh(client, "u"))
  check(new.refresh_token ~= tok.refresh_token, "not rotated")
  check(must(store:get("u")).refresh_token == new.refresh_token, "not saved")
  must(car:odometer())
  -- a set whose access token expired is refreshed before the call
  new.expiration = ngx.time() - 10
  must(store:put("u", new))
  must(car:odometer())
  check(must(store:get("u")).refresh_token ~= new.refresh_token,
    "expired set not refreshed")
  -- get_user and get_vehicles take {store, key} too (and refresh the same)
  local held = must(store:get("u"))
  held.expiration = ngx.time() - 10
  must(store:put("u", held))
  local vs = must(client:get_vehicles({ store = store, key = "u" }))
  check(vs.vehicles[1] == id, "get_vehicles from the store")
  check(must(store:get("u")).refresh_token ~= held.refresh_token,
    "get_vehicles did not refresh the expired set")
  check(type(must(client:get_user({ store = store, key = "u" })).id)
    == "string", "get_user from the store")
  -- client:pages takes a store and key too
  local vehicles = 0
  for page, perr in client:pages("get_vehicles", nil, 1, store, "u") do
    vehicles = vehicles + #must(page, perr, "vehicles page").vehicles
  end
  check(vehicles == #vs.vehicles, "%d vehicles in pages", vehicles)
  -- a second store object over the same dict sees the same sets
  local again = smartcar.shared_dict_store(ngx.shared.sc_tokens, "case:")
  check(must(again:get("u")).access_token == must(store:get("u")).access_token,
    "second handle")
  -- compare-and-swap: two stores over the same entry (as two workers are)
  -- refresh at once; the second save finds the set changed, and that
  -- refresh adopts the first one's set instead of overwriting it
  local a, b, saved = refresh_both(client, store, again)
  check(a.refresh_token == saved and b.refresh_token == saved,
    "both refreshes must end with the saved set")
  again:close()
  store:close()
  raises("closed", car.odometer, car)
  raises("closed", store.get, store, "u")
end)

-- Connect helpers and webhooks, through locations of this nginx.
local AMT = "emulator-management-token"
local COOKIE_SECRET = "a-test-secret-of-32-bytes-------"
-- The HTTP driver of this pass (run.sh runs every case with both): the
-- built-in client, or lua-resty-http when "resty.http" loads; and the
-- smartcar.resty file this pass loads (the second one, as installed by
-- cmake --install).
case("http_driver", function()
  local file = debug.getinfo(smartcar.init, "S").source:gsub("^@", "")
  check(file == os.getenv("SMARTCAR_TEST_RESTY_FILE"), "loaded %s", file)
  local want = os.getenv("SMARTCAR_TEST_HTTP_DRIVER")
  check(smartcar.http_driver == want, "driver %s, want %s",
    tostring(smartcar.http_driver), tostring(want))
  local loaded, http = pcall(require, "resty.http")
  check(loaded == (want == "lua-resty-http"), "resty.http loads: %s",
    tostring(loaded))
  local client, tok, id = setup("driver@example.com")
  local before = loaded and http.requests
  must(client:vehicle(id, tok.access_token):odometer())
  if loaded then
    check(http.requests > before, "the call did not go through resty.http")
  end
end)

local function keeper(kind)
  if kind == "dict" then return smartcar.state_dict("sc_tokens", { secure = false }) end
  return smartcar.state_cookie(COOKIE_SECRET, { secure = false })
end

function M.c_login()
  local client = new_client()
  return client:login(keeper(ngx.var.arg_kind), SCOPE, { make = "TESLA" })
end

function M.c_callback()
  local tok, err = new_client():callback(keeper(ngx.var.arg_kind))
  if tok then return ngx.say("tokens ", type(tok.refresh_token)) end
  ngx.say("error ", err.kind)
end

function M.hook()
  local event = smartcar.handle_webhook(AMT)
  if event and event.event_type ~= "VERIFY" then
    ngx.shared.sc_tokens:set("hook:last", event.event_type .. " "
      .. tostring(event.vehicle_id))
    ngx.say("{}")
  end
end

-- GET path on this nginx over a cosocket (HTTP/1.0): status, headers
-- (lower-case names; set-cookie as a list), body.
local function self_get(path, cookie_header)
  local sock = ngx.socket.tcp()
  must(sock:connect("127.0.0.1", tonumber(ngx.var.server_port)))
  must(sock:send("GET " .. path .. " HTTP/1.0\r\nHost: localhost\r\n"
    .. (cookie_header and ("Cookie: " .. cookie_header .. "\r\n") or "")
    .. "\r\n"))
  local raw = must(sock:receive("*a"))
  sock:close()
  local head, body = raw:match("^(.-)\r\n\r\n(.*)$")
  local status = tonumber(head:match("^HTTP/%d%.%d (%d+)"))
  local headers = { ["set-cookie"] = {} }
  for k, v in head:gmatch("\r\n([^:]+):%s*([^\r]*)") do
    k = k:lower()
    if k == "set-cookie" then
      table.insert(headers[k], v)
    else
      headers[k] = v
    end
  end
  return status, headers, body
end

for _, kind in ipairs({ "cookie", "dict" }) do
  case("connect_state_" .. kind, function()
    local status, h = self_get("/c/login?kind=" .. kind)
    check(status == 302 and h.location, "login: %s", tostring(status))
    local set = h["set-cookie"][1] or ""
    check(set:find("HttpOnly", 1, true), "cookie not HttpOnly: %s", set)
    local cookie = check(set:match("^(sc_state=[^;]+)"), "no cookie")
    local loc = emu("POST", "/_emulator/connect", { authorize_url = h.location,
      action = "approve", email = "keeper@example.com" }).location
    local query = check(loc:match("%?(.*)$"), "no query")
    local cb = "/c/callback?kind=" .. kind .. "&" .. query
    -- no cookie, or a forged one: the state check refuses
    local _, _, body = self_get(cb)
    check(body == "error state_mismatch\n", "no cookie: %s", body)
    _, _, body = self_get(cb, cookie:sub(1, -2) .. "x")
    check(body == "error state_mismatch\n", "forged cookie: %s", body)
    -- the browser's own cookie: the code is exchanged
    _, _, body = self_get(cb, cookie)
    check(body == "tokens string\n", "callback: %s", body)
    if kind == "dict" then -- a kept state is taken once
      _, _, body = self_get(cb, cookie)
      check(body == "error state_mismatch\n", "replayed: %s", body)
    end
  end)
end

case("webhooks", function()
  raises("amt", smartcar.hash_challenge, nil, "c")
  check(#smartcar.hash_challenge(AMT, "c") == 64, "challenge hash")
  local url = "http://127.0.0.1:" .. ngx.var.server_port .. "/hook"
  local w = emu("POST", "/_emulator/webhooks",
    { callback_url = url, version = "4.0", name = "resty" })
  check(w.verified == true, "VERIFY not answered: %s", cjson.encode(w))
  -- a signed delivery reaches the handler
  local client = new_client()
  local tok = connect(client, "hook@example.com")
  local id = must(client:get_vehicles(tok.access_token)).vehicles[1]
  must(client:call("subscribe", { vehicle_id = id,
    webhook_id = w.webhook_id, access_token = tok.access_token }))
  ngx.shared.sc_tokens:delete("hook:last")
  emu("POST", "/_emulator/webhooks/" .. w.webhook_id .. "/deliver",
    { vehicle_id = id, event = "VEHICLE_STATE" })
  check(ngx.shared.sc_tokens:get("hook:last") == "VEHICLE_STATE " .. id,
    "delivery: %s", tostring(ngx.shared.sc_tokens:get("hook:last")))
  -- an unsigned one is refused
  local res = ngx.location.capture("/hook", { method = ngx.HTTP_POST,
    body = '{"eventId":"x","eventType":"VEHICLE_STATE","data":{},"meta":{}}' })
  check(res.status == 401, "unsigned delivery: %d", res.status)
  -- an unsigned VERIFY is answered (Smartcar does not sign VERIFY)
  res = ngx.location.capture("/hook", { method = ngx.HTTP_POST,
    body = '{"eventId":"v","eventType":"VERIFY","data":{"challenge":"c"}}' })
  check(res.status == 200 and cjson.decode(res.body).challenge
    == smartcar.hash_challenge(AMT, "c"), "unsigned VERIFY: %d %s",
    res.status, res.body)
  -- the same signed event twice: the second is a duplicate; its signal
  -- time (ISO text) comes back in epoch milliseconds
  local seen = smartcar.webhook_seen { capacity = 8 }
  local body = '{"eventId":"dup-1","eventType":"VEHICLE_STATE","data":{'
    .. '"vehicle":{"id":"v9"},"signals":[{"code":"closure-islocked",'
    .. '"body":{"value":true},"meta":{"retrievedAt":'
    .. '"2025-09-23T23:05:12.404Z"}}]},"meta":{"version":"4.0"}}'
  local sig = smartcar.hash_challenge(AMT, body) -- the HMAC of the body
  local first = must(smartcar.receive_webhook(AMT, sig, body, seen))
  local again = must(smartcar.receive_webhook(AMT, sig, body, seen))
  check(first.duplicate == false and again.duplicate == true, "dedupe")
  local rows = must(smartcar.signal_rows(first))
  check(rows[1].retrieved_at == 1758668712404 and rows[1].vehicle_id == "v9",
    "rows: %s", cjson.encode(rows))
  check(smartcar.parse_time("2025-09-23T23:05:12.404Z") == 1758668712404,
    "parse_time")
  -- a SQLite set is shared by every worker (two handles here)
  local path = os.tmpname()
  local s1 = must(smartcar.webhook_seen { path = path, ttl_ms = 60000 })
  local s2 = must(smartcar.webhook_seen { path = path, ttl_ms = 60000 })
  check(s1:first("dup-sql") and not s2:first("dup-sql"), "sqlite seen")
  os.remove(path)
  local _, err = smartcar.receive_webhook(AMT, "00", body, seen)
  check(err and err.kind == "bad_signature", "bad signature: %s",
    tostring(err))
  check(smartcar.verify_payload(AMT, smartcar.hash_challenge(AMT, "b"), "b"),
    "verify_payload")
  check(not smartcar.verify_payload(AMT, "00", "b"), "bad signature accepted")
end)

-- The refresh race over the shared dict, driven by run.sh: race_setup
-- once, then many race requests at once (spread over the workers), then
-- race_check.
local RACE_KEY = "racer"
function M.race_setup()
  local client = new_client()
  local store = smartcar.shared_dict_store("sc_tokens")
  must(store:put(RACE_KEY, connect(client, "racer@example.com")))
  ngx.say("ok")
end

-- n forced refreshes of key: how many failed, and the last refresh token.
local function refresh_many(client, store, key, n)
  local failed, last = 0, nil
  for _ = 1, n do
    local t, err = store:refresh(client, key)
    if t then last = t.refresh_token else
      failed = failed + 1
      ngx.log(ngx.ERR, "race refresh failed: ", tostring(err))
    end
  end
  return failed, last
end

function M.race(n)
  local client = new_client()
  local store = smartcar.shared_dict_store("sc_tokens")
  local failed, last = refresh_many(client, store, RACE_KEY, n)
  ngx.say(failed == 0 and "ok " or "FAIL ", ngx.worker.pid(), " ",
    n - failed, " ", last and #last or 0)
end

-- Past the grace window only the newest refresh token works: the one
-- stored under key must be it (a lost save would leave a dead one there),
-- so a refresh then rotates it.  Answers "ok" or "FAIL <what>: why".
local function say_rotated(what, client, store, key)
  local before = must(store:get(key)).refresh_token
  emu("POST", "/_emulator/clock", { advance = 61 })
  local t, err = store:refresh(client, key)
  emu("POST", "/_emulator/clock", { advance = -61 })
  if not t then return ngx.say("FAIL ", what, ": ", tostring(err)) end
  if t.refresh_token == before then
    return ngx.say("FAIL ", what, ": not rotated")
  end
  ngx.say("ok")
end

function M.race_check()
  say_rotated("race_check", new_client(),
              smartcar.shared_dict_store("sc_tokens"), RACE_KEY)
end

-- The Redis store's cases (redis_cases.lua).
require("redis_cases").register(case, { check = check, must = must,
  raises = raises, emu = emu, new_client = new_client, connect = connect,
  token_posts = token_posts, EMU = EMU, refresh_many = refresh_many,
  refresh_both = refresh_both, say_rotated = say_rotated })

function M.list()
  for _, name in ipairs(order) do ngx.say(name) end
end

-- The line a case's location answers: "ok <name>" when ok, else
-- "FAIL <name>: why" (shared_cases.lua answers the same way).
function M.report(name, ok, why)
  if ok then
    ngx.say("ok ", name)
  else
    ngx.say("FAIL ", name, ": ", tostring(why))
  end
end

function M.run(name)
  local fn = cases[name]
  if not fn then return M.report(name, false, "no such case") end
  M.report(name, xpcall(fn, debug.traceback))
end

-- The chunked fake upstream.
function M.chunky()
  ngx.header["Content-Type"] = "application/json"
  ngx.header["SC-Unit-System"] = "metric"
  local body = cjson.encode({ distance = 1234.5,
    echo = ngx.var.http_x_echo })
  for i = 1, #body, 4 do
    ngx.print(body:sub(i, i + 3))
    ngx.flush(true)
  end
end

-- The raw answers of the hostile_server case, by kind.
local HOSTILE = {
  status = "SSH-2.0-OpenSSH_9.2\r\n\r\n",
  length = "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n{}",
  chunk = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  head = "HTTP/1.1 200 OK\r\nX-Big: " .. ("a"):rep(200 * 1024)
    .. "\r\n\r\n",
  cut = 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"dist',
}

function M.hostile(kind)
  local sock = assert(ngx.req.socket(true))
  sock:send(HOSTILE[kind])
end

return M
