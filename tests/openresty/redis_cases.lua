-- The Redis token store's cases, run inside nginx by tests/openresty/run.sh
-- against the redis-server it starts (SMARTCAR_TEST_REDIS = host:port; its
-- ACL user "smartcar" has the password SMARTCAR_TEST_REDIS_PASSWORD).
-- cases.lua registers them (M.register); the race and the restart run are
-- driven by run.sh through the functions at the end.
local smartcar = require "smartcar.resty"
local resp = require "smartcar.resty.resp"

local M = {}
local H -- the helpers of cases.lua

local ADDR = os.getenv("SMARTCAR_TEST_REDIS") or ""
local HOST, PORT = ADDR:match("^(.+):(%d+)$")
PORT = tonumber(PORT)
local PASSWORD = os.getenv("SMARTCAR_TEST_REDIS_PASSWORD")

local function store(extra)
  local opts = { host = HOST, port = PORT, prefix = "t:" }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return smartcar.redis_store(opts)
end

-- A connection of our own client, to look at what the store wrote.
local function redis(db)
  local r = assert(resp:new())
  r:set_timeouts(1000, 1000, 1000)
  assert(r:connect(HOST, PORT))
  if db then assert(r:select(db)) end
  return r
end

-- A free local port nobody listens on.
local function dead_port()
  local s = ngx.socket.tcp()
  s:settimeouts(200, 200, 200)
  for p = 1, 30 do
    local ok = s:connect("127.0.0.1", p)
    if not ok then return p end
    s:close()
  end
  error("no closed port")
end

local function register(case)
  local check, must, raises = H.check, H.must, H.raises

  case("redis_resp_client", function()
    check(HOST and PORT, "run.sh did not start a redis-server")
    local r = redis()
    check(r:set("t:resp", "v\r\nx") == "OK", "SET")
    check(r:get("t:resp") == "v\r\nx", "GET of a bulk with CRLF")
    check(r:get("t:nothing") == ngx.null, "missing: ngx.null")
    check(r:del("t:resp", "t:nothing") == 1, "DEL: integer")
    local t = r:eval("return {1, 'a', false}", 0)
    check(type(t) == "table" and t[1] == 1 and t[2] == "a"
      and t[3] == ngx.null, "array")
    local ok, err = r:eval("return redis.error_reply('ERR nope')", 0)
    check(ok == false and err == "ERR nope", "error reply: %s", tostring(err))
    check(r:ping() == "PONG", "still usable after an error reply")
    check(r:set_keepalive(1000, 4), "keepalive")
    -- a server that does not speak RESP: this nginx (HTTP)
    local bad = assert(resp:new())
    bad:set_timeouts(1000, 1000, 1000)
    must(bad:connect("127.0.0.1", tonumber(ngx.var.server_port)))
    local v, berr = bad:ping()
    check(v == nil and berr:find("^bad reply"), "bad reply: %s %s",
      tostring(v), tostring(berr))
    -- nothing listening
    local down = assert(resp:new())
    down:set_timeouts(500, 500, 500)
    local c, cerr = down:connect("127.0.0.1", dead_port())
    check(not c and cerr, "connect to a closed port")
  end)

  case("redis_store_options", function()
    raises("unknown redis_store option", smartcar.redis_store, { hots = "x" })
    raises("port", smartcar.redis_store, { port = "6379" })
    raises("db", smartcar.redis_store, { db = -1 })
    raises("ttl", smartcar.redis_store, { ttl = 0 })
    raises("driver", smartcar.redis_store, { driver = "hiredis" })
    raises("username", smartcar.redis_store, { username = "u" })
    raises("opts", smartcar.redis_store, "localhost")
    local s = store()
    check(s.driver == "builtin" or s.driver == "resty.redis", "driver")
    check(store({ driver = "builtin" }).driver == "builtin", "builtin")
  end)

  case("redis_store", function()
    local client = H.new_client()
    local tok = H.connect(client, "redis@example.com")
    local s = store({ driver = "builtin" })
    local _, err = s:get("u")
    check(err and err.kind == "not_found", "empty: %s", tostring(err))
    must(s:put("u", tok))
    check(must(s:get("u")).refresh_token == tok.refresh_token, "get")
    -- the layout: a hash under prefix{key} with the set and its refresh
    local r = redis()
    check(r:hget("t:{u}", "rt") == tok.refresh_token, "rt field")
    check(r:pttl("t:{u}") == -1, "no ttl by default")
    -- calls take the set from Redis; a refresh saves the new one
    local id = must(client:get_vehicles(tok.access_token)).vehicles[1]
    local car = client:vehicle(id, { store = s, key = "u" })
    must(car:odometer())
    local new = must(s:refresh(client, "u"))
    check(new.refresh_token ~= tok.refresh_token, "not rotated")
    check(r:hget("t:{u}", "rt") == new.refresh_token, "not saved")
    check(r:exists("t:{u}:lease") == 0, "the save ends the lease")
    -- an expired set is refreshed (and saved) before the call
    new.expiration = ngx.time() - 10
    must(s:put("u", new))
    H.emu("DELETE", "/_emulator/requests")
    must(car:odometer())
    check(H.token_posts() == 1, "refreshes %d", H.token_posts())
    local cur = must(s:get("u"))
    check(cur.refresh_token ~= new.refresh_token, "expired set kept")
    -- a stale lease (its deadline passed: its grant may have used the
    -- stored token) makes the next call refresh at once
    r:set("t:{u}:lease", "1000.000 elsewhere:1:n")
    H.emu("DELETE", "/_emulator/requests")
    must(car:odometer())
    check(H.token_posts() == 1, "stale lease: refreshes %d", H.token_posts())
    check(r:exists("t:{u}:lease") == 0, "stale lease left")
    check(must(s:get("u")).refresh_token ~= cur.refresh_token, "no refresh")
    -- a live lease of another box: a call that needs a refresh waits
    -- for it; when it goes stale (1 s here), the call refreshes
    cur = must(s:get("u"))
    cur.expiration = ngx.time() - 10
    must(s:put("u", cur))
    ngx.update_time()
    r:set("t:{u}:lease", string.format("%.3f elsewhere:2:n", ngx.now() + 1))
    H.emu("DELETE", "/_emulator/requests")
    must(car:odometer())
    check(H.token_posts() == 1, "live lease: refreshes %d", H.token_posts())
    -- two boxes' stores forced to refresh at once: one waits for the
    -- other's lease, then refreshes the set that one saved
    local other = store()
    local a, b, saved = H.refresh_both(client, s, other)
    check(a.refresh_token ~= b.refresh_token, "one refresh, not two")
    check(a.refresh_token == saved or b.refresh_token == saved,
      "the last refresh must be the saved set")
    -- ttl and db
    local d1 = store({ db = 1, ttl = 3600 })
    must(d1:put("u", tok))
    local r1 = redis(1)
    local ttl = r1:pttl("t:{u}")
    check(ttl > 3500000 and ttl <= 3600000, "ttl %s", tostring(ttl))
    check(r:hget("t:{u}", "rt") == saved, "db 0 untouched")
    must(d1:delete("u"))
    check(r1:exists("t:{u}") == 0, "delete")
    check(must(d1:delete("u")), "delete of nothing")
    -- an ACL user with its password
    if PASSWORD then
      local acl = store({ username = "smartcar", password = PASSWORD,
                          prefix = "acl:" })
      must(acl:put("u", tok))
      check(r:hget("acl:{u}", "rt") == tok.refresh_token, "acl put")
    end
    -- compare-and-swap: while a refresh's grant is on the wire (300 ms at
    -- the emulator), another box saves a new set; the refresh's save
    -- finds the set changed, and the refresh adopts the stored set
    local fresh = H.connect(client, "redis@example.com")
    H.emu("POST", "/_emulator/faults", { match = { method = "POST",
      path = "/oauth/token" }, count = 1,
      fault = { type = "latency", ms = 300 } })
    local th = ngx.thread.spawn(function() return must(s:refresh(client, "u")) end)
    ngx.sleep(0.1)
    must(other:put("u", fresh))
    local _, got = ngx.thread.wait(th)
    check(got.refresh_token == fresh.refresh_token,
      "the refresh must adopt the set saved meanwhile")
    check(must(s:get("u")).refresh_token == fresh.refresh_token,
      "the set saved meanwhile was overwritten")
    s:close()
    other:close()
    raises("closed", car.odometer, car)
  end)

  case("redis_store_errors", function()
    local client = H.new_client()
    local tok = H.connect(client, "redis-down@example.com")
    -- Redis down: typed storage errors, from get, put and a call
    local down = store({ port = dead_port(), connect_timeout_ms = 500 })
    local _, err = down:get("u")
    check(err and err.kind == "storage", "get: %s", tostring(err))
    _, err = down:put("u", tok)
    check(err and err.kind == "storage", "put: %s", tostring(err))
    local car = client:vehicle("v", { store = down, key = "u" })
    _, err = car:odometer()
    check(err and err.kind == "storage", "call: %s", tostring(err))
    -- a server that answers something else than RESP (this nginx)
    local bad = store({ port = tonumber(ngx.var.server_port) })
    _, err = bad:get("u")
    check(err and err.kind == "storage", "bad reply: %s", tostring(err))
    -- a wrong password: storage, and the password is nowhere in it (a
    -- pooled connection of the right password is not reused for it)
    if PASSWORD then
      must(store({ username = "smartcar", password = PASSWORD }):delete("x"))
    end
    local wrong = store({ username = "smartcar", password = "not-the-pw-x" })
    _, err = wrong:put("u", tok)
    check(err and err.kind == "storage", "auth: %s", tostring(err))
    check(not tostring(err):find("not-the-pw-x", 1, true), "password shown")
    -- a value that is not a token set
    redis():hset("t:{junk}", "set", "not json", "rt", "x")
    _, err = store():get("junk")
    check(err and err.kind == "malformed_response", "junk: %s", tostring(err))
    -- a lease value that is not one
    local s = store()
    must(s:put("u", tok))
    redis():set("t:{u}:lease", "garbage")
    _, err = client:vehicle("v", { store = s, key = "u" }):odometer()
    check(err and err.kind == "storage", "bad lease: %s", tostring(err))
    redis():del("t:{u}:lease")
  end)
end

function M.register(case, helpers)
  H = helpers
  register(case)
end

---------------------------------------------------------------------------
-- The race: every worker makes N forced refreshes of one key at once
-- (each worker's timer polls for the go signal, so all 4 take part).

local RACE_KEY = "racer"
local dict = function() return ngx.shared.sc_tokens end

local function race_store()
  return smartcar.redis_store({ host = HOST, port = PORT, prefix = "race:" })
end

local running = false
local function race_worker(premature)
  if premature or running then return end
  local go = dict():get("redis_race_go")
  if not go or go == M.seen_go then return end
  M.seen_go = go
  running = true
  local ok, err = pcall(function()
    local n = dict():get("redis_race_n")
    local client = H.new_client()
    local failed, last = H.refresh_many(client, race_store(), RACE_KEY, n)
    dict():set("redis_race_done:" .. ngx.worker.pid(), (failed == 0 and
      "ok " or "FAIL ") .. (n - failed) .. " " .. (last and #last or 0))
  end)
  running = false
  if not ok then
    dict():set("redis_race_done:" .. ngx.worker.pid(), "FAIL " .. tostring(err))
  end
end

function M.init_worker()
  if HOST then ngx.timer.every(0.05, race_worker) end
end

function M.race_setup(n)
  local client = H.new_client()
  local s = race_store()
  H.must(s:put(RACE_KEY, H.connect(client, "redis-racer@example.com")))
  for _, k in ipairs(dict():get_keys(0)) do
    if k:find("^redis_race_done:") then dict():delete(k) end
  end
  dict():set("redis_race_n", n)
  dict():set("redis_race_go", ngx.now() .. ":" .. math.random())
  ngx.say("ok")
end

-- One line per worker that finished: "ok N LEN" or "FAIL ...".
function M.race_status()
  for _, k in ipairs(dict():get_keys(0)) do
    if k:find("^redis_race_done:") then ngx.say(dict():get(k)) end
  end
end

-- The refresh token in Redis is the newest one (say_rotated).  First a
-- refresh inside the grace window, as any call would make: it settles a
-- lease a restart may have left behind.
function M.check(key, prefix)
  local client = H.new_client()
  local s = smartcar.redis_store({ host = HOST, port = PORT, prefix = prefix })
  local t, err = s:refresh(client, key)
  if not t then return ngx.say("FAIL check: ", tostring(err)) end
  H.say_rotated("check", client, s, key)
end

---------------------------------------------------------------------------
-- Redis restarts mid-run: one request refreshes a key again and again for
-- `seconds` while run.sh stops Redis (saving its data) and starts it
-- again, then marks the time it answered again (restart_mark).

function M.restart_mark()
  ngx.update_time()
  dict():set("redis_restarted_at", ngx.now())
  ngx.say("ok")
end

function M.restart_run(seconds)
  local client = H.new_client()
  local s = smartcar.redis_store({ host = HOST, port = PORT,
    prefix = "restart:", connect_timeout_ms = 300, timeout_ms = 1000 })
  dict():delete("redis_restarted_at")
  H.must(s:put("k", H.connect(client, "redis-restart@example.com")))
  ngx.say("ready")
  ngx.flush(true)
  local ok, fails, other, late, last = 0, 0, {}, 0, nil
  ngx.update_time()
  local stop = ngx.now() + seconds
  while ngx.now() < stop do
    local t, err = s:refresh(client, "k")
    ngx.update_time()
    if t then
      ok = ok + 1
      last = true
    else
      last = false
      fails = fails + 1
      if err.kind ~= "storage" then other[#other + 1] = tostring(err) end
      local up = dict():get("redis_restarted_at")
      if up and ngx.now() > up + 0.5 then late = late + 1 end
    end
    ngx.sleep(0.05)
  end
  local up = dict():get("redis_restarted_at")
  local result = (up and ok > 0 and fails > 0 and #other == 0 and late == 0
    and last) and "ok" or "FAIL"
  ngx.say(result, " ", ok, " refreshes, ", fails,
    " storage errors while down, ", late, " after, other: ",
    table.concat(other, "; "), up and "" or " (no restart seen)")
end

return M
