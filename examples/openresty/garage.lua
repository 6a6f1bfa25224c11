-- "My Garage" on OpenResty: log in with Smartcar Connect, then see your
-- vehicles with their odometer and battery.  Every handler runs in
-- content_by_lua (nginx.conf); smartcar.resty does the calls on cosockets,
-- so a slow Smartcar never blocks a worker.
--
--   /          a "Connect your car" button, or on to /vehicles
--   /login     keeps the Connect state in a signed, HttpOnly cookie and
--              redirects to Connect
--   /callback  checks the redirect against that state (refused without
--              it or when it differs), exchanges the code, saves the
--              token set under the user's id (in the shared-dict store,
--              or in Redis when APP_REDIS is "host:port") and starts a
--              session
--   /vehicles  the user's vehicles, read concurrently with the stored
--              tokens (refreshed by the library when due)
--   /logout    ends the session
local smartcar = require "smartcar.resty"

local M = {}

local SCOPE = { "read_vehicle_info", "read_odometer", "read_battery" }
local SESSION_COOKIE = "garage_session"
local SESSION_SECONDS = 8 * 3600

local client, store, keeper

-- Once per worker (init_worker_by_lua).
function M.init()
  smartcar.init()
  local secret = os.getenv("APP_SECRET")
  if not secret or #secret < 16 then
    error("garage: set APP_SECRET to a random string of 16 bytes or more")
  end
  local opts = { mode = os.getenv("SMARTCAR_MODE") or "live" }
  local emulator = os.getenv("APP_EMULATOR_URL")
  if emulator and emulator ~= "" then
    -- every Smartcar origin at a local smartcar-emulator (plain http)
    for _, k in ipairs({ "connect_origin", "auth_origin", "api_origin",
                         "management_origin", "vehicle_api_origin",
                         "iam_origin" }) do
      opts[k] = emulator
    end
    opts.allow_insecure_http = true
  end
  -- client_id, client_secret and redirect_uri come from SMARTCAR_*
  client = assert(smartcar.client(opts))
  -- token sets by user: Redis serves several boxes, a shared dict one
  local rhost, rport = (os.getenv("APP_REDIS") or ""):match("^(.+):(%d+)$")
  if rhost then
    store = smartcar.redis_store { host = rhost, port = tonumber(rport) }
  else
    store = smartcar.shared_dict_store("sc_tokens")
  end
  -- secure = false only because the demo is served over http://localhost
  keeper = smartcar.state_cookie(secret, { path = "/callback",
    secure = emulator == nil or emulator == "" })
end

---------------------------------------------------------------------------
-- Pages

local function esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;",
    [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }))
end

local function page(title, body, status)
  ngx.status = status or 200
  ngx.header["Content-Type"] = "text/html; charset=utf-8"
  ngx.header["Cache-Control"] = "no-store"
  ngx.say([[<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>]], esc(title),
[[</title><meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
button, .button { font: inherit; padding: .5rem 1rem; border-radius: .4rem; border: 1px solid #245; background: #2a6; color: #fff; text-decoration: none; cursor: pointer; }
.vehicle { border: 1px solid #ccc; border-radius: .5rem; padding: .5rem 1rem; margin: 1rem 0; }
.error { color: #a22; }
</style></head><body><h1>My Garage</h1>
]], body, "\n</body></html>")
  return ngx.exit(ngx.HTTP_OK)
end

-- 12345.6 -> "12,346"
local function thousands(n)
  local s = string.format("%d", math.floor(n + 0.5))
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""))
end

---------------------------------------------------------------------------
-- Sessions: a random id in an HttpOnly cookie, the user id in a shared
-- dict (every worker sees it).

local function random_id()
  local f = assert(io.open("/dev/urandom", "rb"))
  local bytes = f:read(24)
  f:close()
  return (ngx.encode_base64(bytes):gsub("[+/=]", { ["+"] = "-",
    ["/"] = "_", ["="] = "" }))
end

local function session_user()
  local id = ngx.var["cookie_" .. SESSION_COOKIE]
  return id and ngx.shared.sessions:get(id) or nil
end

local function start_session(user_id)
  local id = random_id()
  assert(ngx.shared.sessions:set(id, user_id, SESSION_SECONDS))
  ngx.header["Set-Cookie"] = ("%s=%s; Path=/; Max-Age=%d; HttpOnly; "
    .. "SameSite=Lax"):format(SESSION_COOKIE, id, SESSION_SECONDS)
end

---------------------------------------------------------------------------
-- Handlers

function M.home()
  if session_user() then return ngx.redirect("/vehicles") end
  return page("My Garage", [[
<p>See your cars' odometer and battery, read through Smartcar.</p>
<p><a id="login" class="button" href="/login">Connect your car</a></p>]])
end

function M.login()
  -- keeps the state in the signed cookie, then 302 to Connect
  local _, err = client:login(keeper, SCOPE)
  return page("Connect failed", '<p class="error">' .. esc(err) .. "</p>",
    500)
end

function M.callback()
  -- No kept state (no cookie, a forged or expired one) or a state that
  -- differs from the redirect's: refused, before any code is exchanged.
  local tokens, err = client:callback(keeper)
  if not tokens then
    return page("Connect did not finish", '<p class="error" id="error">'
      .. "Connect did not finish: " .. esc(err) .. '</p><p><a href="/">'
      .. "Back</a></p>", 400)
  end
  local user, uerr = client:get_user(tokens.access_token)
  if not user then
    return page("Connect failed", '<p class="error">' .. esc(uerr)
      .. "</p>", 502)
  end
  local ok, serr = store:put(user.id, tokens)
  if not ok then
    return page("Connect failed", '<p class="error">' .. esc(serr)
      .. "</p>", 500)
  end
  start_session(user.id)
  return ngx.redirect("/vehicles")
end

-- One vehicle's card; its three reads run together.
local function vehicle_card(auth, id)
  local v = client:vehicle(id, auth)
  local reads = {}
  for _, what in ipairs({ "attributes", "odometer", "battery" }) do
    reads[what] = ngx.thread.spawn(function() return v[what](v) end)
  end
  local got = {}
  for what, thread in pairs(reads) do
    local _, data, err = ngx.thread.wait(thread)
    got[what] = data or { error = err }
  end
  local a, o, b = got.attributes, got.odometer, got.battery
  local name = a.error and ("Vehicle " .. id)
    or (a.make .. " " .. a.model .. " " .. string.format("%d", a.year))
  local odometer = o.error and "unavailable"
    or (thousands(o.distance) .. " km")
  local battery = b.error and "no battery"
    or (string.format("%d", math.floor(b.percent_remaining * 100 + 0.5))
      .. "%")
  local range = (not b.error and b.range) and
    (" (" .. thousands(b.range) .. " km range)") or ""
  return ('<article class="vehicle" data-id="%s"><h2 class="name">%s</h2>'
    .. '<p>Odometer: <span class="odometer">%s</span></p>'
    .. '<p>Battery: <span class="battery">%s</span>'
    .. '<span class="range">%s</span></p></article>'):format(esc(id),
    esc(name), esc(odometer), esc(battery), esc(range))
end

function M.vehicles()
  local user = session_user()
  if not user then return ngx.redirect("/") end
  -- the tokens come from the store, refreshed there when due
  local auth = { store = store, key = user }
  local list, err = client:get_vehicles(auth)
  if not list then
    return page("My Garage", '<p class="error">' .. esc(err)
      .. '</p><p><a href="/login">Connect again</a></p>', 502)
  end
  local threads, cards = {}, {}
  for i, id in ipairs(list.vehicles) do
    threads[i] = ngx.thread.spawn(vehicle_card, auth, id)
  end
  for i, thread in ipairs(threads) do
    local ok, card = ngx.thread.wait(thread)
    cards[i] = ok and card or '<p class="error">' .. esc(card) .. "</p>"
  end
  return page("My Garage", '<p id="count">' .. #cards .. " vehicle"
    .. (#cards == 1 and "" or "s") .. "</p>\n" .. table.concat(cards, "\n")
    .. '\n<form method="post" action="/logout"><button id="logout">'
    .. "Log out</button></form>")
end

function M.logout()
  local id = ngx.var["cookie_" .. SESSION_COOKIE]
  if id then ngx.shared.sessions:delete(id) end
  ngx.header["Set-Cookie"] = SESSION_COOKIE .. "=; Path=/; Max-Age=0; "
    .. "HttpOnly; SameSite=Lax"
  return ngx.redirect("/", ngx.HTTP_SEE_OTHER)
end

return M
