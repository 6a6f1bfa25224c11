--- smartcar.resty.redis: a token store in Redis, for nginx workers on
--- many boxes.  Made by smartcar.resty.redis_store(opts); see
--- docs/openresty.md.
---
--- The refresh rules are the library's (the op's store steps: a refresh
--- lease before the grant, save before use, compare-and-swap on the
--- refresh token used); this file only moves them to Redis, atomically:
---
---   key   prefix{KEY}        a hash: set = the token set's JSON,
---                            rt = its refresh token
---   lease prefix{KEY}:lease  "DEADLINE OWNER", taken with SET NX PX
---
--- (one hash tag, so both live on one Redis Cluster slot).  The save and
--- the lease are server-side scripts (EVALSHA, EVAL after a NOSCRIPT).
---
--- The library calls a store's functions inside sc_op_next(), where a
--- cosocket cannot yield.  So each function answers SC_STORE_PENDING and
--- records what it needs; smartcar.resty then runs this store's I/O
--- (io:run) and the op asks again, getting the answer (sys/store.h).
local ngx = ngx
local type, tostring, tonumber, pcall = type, tostring, tonumber, pcall

local _M = {}

local PENDING = 1 -- SC_STORE_PENDING
-- A lease lives on this long past its deadline, so that a reader still
-- sees it stale (the refresh token it guarded may be used) through
-- Smartcar's grace window; after that it goes by itself.
local LEASE_KEEP_MS = 300000

local POOL_SALT = tostring(math.random()) .. tostring(ngx.now())

local function script(text)
  local sha = ngx.sha1_bin(text):gsub(".", function(c)
    return string.format("%02x", c:byte())
  end)
  return { text = text, sha = sha }
end

-- KEYS: set, lease.  ARGV: "1" with an expected refresh token, it,
-- refresh, json, ttl ms ("0": none).  1 saved, 0 the set changed.
local SAVE = script([[
if ARGV[1] == '1' and redis.call('HGET', KEYS[1], 'rt') ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'set', ARGV[4], 'rt', ARGV[3])
if ARGV[5] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
else
  redis.call('PERSIST', KEYS[1])
end
redis.call('DEL', KEYS[2])
return 1
]])

-- KEYS: set, lease.  ARGV: expected owner ("" none), "1" with an
-- expected refresh token, it, "DEADLINE OWNER", ttl ms.  1 taken, 0
-- another holds it or the set changed, -1 no set.
local LEASE_TAKE = script([[
local rt = redis.call('HGET', KEYS[1], 'rt')
if not rt then return -1 end
if ARGV[2] == '1' and rt ~= ARGV[3] then return 0 end
if ARGV[1] == '' then
  if redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5], 'NX') then
    return 1
  end
  return 0
end
local cur = redis.call('GET', KEYS[2])
if not cur or string.match(cur, '^%S+ (.*)$') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
return 1
]])

-- KEYS: set, lease.  The set's JSON and the lease (false when absent).
local LOAD = script([[
return { redis.call('HGET', KEYS[1], 'set'), redis.call('GET', KEYS[2]) }
]])

-- KEYS: lease.  ARGV: owner.  The owner's lease gets deadline 0.
local LEASE_END = script([[
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^%S+ (.*)$') == ARGV[1] then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('SET', KEYS[1], '0 ' .. ARGV[1], 'PX', ttl)
  else
    redis.call('SET', KEYS[1], '0 ' .. ARGV[1])
  end
end
return 1
]])

local function eval(r, s, nkeys, ...)
  local res, err = r:evalsha(s.sha, nkeys, ...)
  if res == false and type(err) == "string" and err:find("^NOSCRIPT") then
    res, err = r:eval(s.text, nkeys, ...)
  end
  if res == false then return nil, "redis: " .. tostring(err) end
  return res, err
end

---------------------------------------------------------------------------
-- Connections

-- The client module: lua-resty-redis when installed, else ours.
local function client_module(which)
  if which == "builtin" then return require("smartcar.resty.resp"), which end
  local ok, mod = pcall(require, "resty.redis")
  if ok and type(mod) == "table" and mod.new then
    return mod, "resty.redis"
  end
  if which == "resty.redis" then
    return nil, "resty.redis is not installed"
  end
  return require("smartcar.resty.resp"), "builtin"
end

-- A connection, authenticated and on its database (once per pooled
-- connection): r, reused or nil, err.
local function connect(cfg)
  local r, err = cfg.mod:new()
  if not r then return nil, err end
  r:set_timeouts(cfg.connect_timeout, cfg.timeout, cfg.timeout)
  local ok
  if cfg.socket then
    ok, err = r:connect(cfg.socket, { pool = cfg.pool,
                                      pool_size = cfg.pool_size })
  else
    ok, err = r:connect(cfg.host, cfg.port, { pool = cfg.pool,
                                              pool_size = cfg.pool_size })
  end
  if not ok then return nil, "connect: " .. tostring(err) end
  local reused = (r:get_reused_times() or 0) > 0
  if not reused then
    if cfg.password then
      if cfg.username then
        ok, err = r:auth(cfg.username, cfg.password)
      else
        ok, err = r:auth(cfg.password)
      end
      if not ok then
        r:close()
        return nil, "auth: " .. tostring(err)
      end
    end
    if cfg.db ~= 0 then
      ok, err = r:select(cfg.db)
      if not ok then
        r:close()
        return nil, "select: " .. tostring(err)
      end
    end
  end
  return r, reused
end

-- Run job(r) -> answer table (or nil, err) on a connection; a pooled
-- connection the server closed meanwhile (Redis restarted) is replaced
-- once.  The answer, or nil after logging why.
local function exec(cfg, job)
  local err
  for _ = 1, 2 do
    local r, reused = connect(cfg)
    if not r then
      err = reused
      break
    end
    local ok, res, jerr = pcall(job, r)
    if ok and res then
      r:set_keepalive(cfg.keepalive, cfg.pool_size)
      return res
    end
    r:close()
    err = ok and jerr or res
    if not (reused and (err == "closed" or
                        tostring(err):find("reset", 1, true))) then
      break
    end
  end
  ngx.log(ngx.WARN, "smartcar.resty redis store: ", tostring(err))
  return nil
end

---------------------------------------------------------------------------
-- Answers after the I/O

local IO = {}
IO.__index = IO

-- A context per op (or per direct call): the request its store function
-- left pending, its answer once the I/O ran, and queued writes.
function IO.context()
  return { queue = {} }
end

--- Call fn(...) (a library call that may reach this store's functions)
--- with ctx current, then do the I/O they asked for.
function IO:run(ctx, fn, ...)
  self.current = ctx
  local rc = fn(...)
  self.current = nil
  self:service(ctx)
  return rc
end
jit.off(IO.run)

function IO:service(ctx)
  local orphans = self.orphans
  if #orphans > 0 then
    self.orphans = {}
    for i = 1, #orphans do exec(self.cfg, orphans[i]) end
  end
  local q = ctx.queue
  if #q > 0 then
    ctx.queue = {}
    for i = 1, #q do exec(self.cfg, q[i]) end
  end
  local p = ctx.pending
  if p then
    ctx.pending = nil
    ctx.answer_sig, ctx.answer = p.sig, exec(self.cfg, p.job) or p.fail
  end
end

-- The answer to the request sig when the I/O ran for it; else record
-- job (run by service) and return nil: the caller answers PENDING.
function IO:ask(sig, job, fail)
  local ctx = self.current
  if not ctx then return fail end -- outside run(): cannot wait
  if ctx.answer_sig == sig then
    local a = ctx.answer
    ctx.answer_sig, ctx.answer = nil, nil
    return a
  end
  ctx.pending = { sig = sig, job = job, fail = fail }
  return nil
end

-- A write whose answer nobody waits for (lease_end).
function IO:queue(job)
  local ctx = self.current
  local q = ctx and ctx.queue or self.orphans
  q[#q + 1] = job
end

---------------------------------------------------------------------------
-- The store

local OPTIONS = {
  host = "string", port = "number", socket = "string",
  username = "string", password = "string", db = "number",
  prefix = "string", ttl = "number",
  connect_timeout_ms = "number", timeout_ms = "number",
  pool = "string", pool_size = "number", keepalive_timeout_ms = "number",
  driver = "string",
}

local function config(opts, raise)
  if opts ~= nil and type(opts) ~= "table" then raise("opts: table expected") end
  opts = opts or {}
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if not want then raise("unknown redis_store option " .. tostring(k)) end
    if type(v) ~= want then raise(k .. ": " .. want .. " expected") end
    if want == "number" and (v < 0 or v ~= v) then
      raise(k .. ": non-negative number expected")
    end
  end
  if opts.ttl ~= nil and opts.ttl <= 0 then raise("ttl: positive number expected") end
  local driver = opts.driver or "auto"
  if driver ~= "auto" and driver ~= "builtin" and driver ~= "resty.redis" then
    raise("driver: \"auto\", \"builtin\" or \"resty.redis\" expected")
  end
  local mod, which = client_module(driver)
  if not mod then raise("driver: " .. which) end
  local cfg = {
    mod = mod, driver = which,
    host = opts.host or "127.0.0.1", port = opts.port or 6379,
    socket = opts.socket, username = opts.username,
    password = opts.password, db = opts.db or 0,
    prefix = opts.prefix or "smartcar:token:",
    ttl_ms = opts.ttl and string.format("%d", opts.ttl * 1000) or "0",
    connect_timeout = opts.connect_timeout_ms or 1000,
    timeout = opts.timeout_ms or 1000,
    pool_size = opts.pool_size,
    keepalive = opts.keepalive_timeout_ms or 60000,
  }
  if cfg.username and not cfg.password then
    raise("username: needs a password")
  end
  -- connections differ by server, user, password and database: one
  -- pool each (a pooled connection skips AUTH).  The password enters the
  -- name only as a salted digest.
  cfg.pool = opts.pool or ("smartcar.redis:" .. (cfg.socket or
    (cfg.host .. ":" .. cfg.port)) .. ":" .. (cfg.username or "") .. ":"
    .. (cfg.password and ngx.md5(POOL_SALT .. cfg.password) or "") .. ":"
    .. cfg.db)
  return cfg
end

--- A Redis token store.  internal: {token_store, raise, codes} from
--- smartcar.resty.
function _M.new(opts, internal)
  local raise, codes = internal.raise, internal.codes
  local cfg = config(opts, raise)
  local sio = setmetatable({ cfg = cfg, orphans = {} }, IO)
  local prefix = cfg.prefix
  local function set_key(key) return prefix .. "{" .. key .. "}" end
  local function lease_key(key) return prefix .. "{" .. key .. "}:lease" end
  -- what a function answers when Redis could not: (nil, code) or code
  local STORAGE, STORAGE_RC = { nil, codes.storage }, { codes.storage }

  local fns = { io = sio }

  -- The op reads the lease right after the set: both come in one round
  -- trip, and the lease waits in the context for that lease_get.
  function fns.load(key)
    local ctx = sio.current
    local a = sio:ask("load\0" .. key, function(r)
      local res, err = eval(r, LOAD, 2, set_key(key), lease_key(key))
      if type(res) ~= "table" then return nil, err or "bad reply: load" end
      ctx.lease_read = { key = key, value = res[2] }
      if res[1] == ngx.null then return { nil, codes.not_found } end
      return { res[1] }
    end, STORAGE)
    if not a then return nil, PENDING end
    return a[1], a[2]
  end

  function fns.save(key, expected, refresh, json)
    local a = sio:ask("save\0" .. key .. "\0" .. (expected or "\1") .. "\0"
      .. refresh .. "\0" .. json, function(r)
      local res, err = eval(r, SAVE, 2, set_key(key), lease_key(key),
        expected and "1" or "0", expected or "", refresh, json, cfg.ttl_ms)
      if res == nil then return nil, err end
      return { res == 1 and 0 or codes.conflict }
    end, STORAGE_RC)
    if not a then return PENDING end
    return a[1]
  end

  function fns.remove(key)
    local a = sio:ask("remove\0" .. key, function(r)
      local res, err = r:del(set_key(key), lease_key(key))
      if res == nil or res == false then return nil, err end
      return { 0 }
    end, STORAGE_RC)
    if not a then return PENDING end
    return a[1]
  end

  function fns.lease_take(key, expected_owner, expected_refresh, owner,
                          deadline)
    local a = sio:ask("lease_take\0" .. key .. "\0" .. (expected_owner or
      "\1") .. "\0" .. (expected_refresh or "\1") .. "\0" .. owner,
      function(r)
        ngx.update_time()
        local ttl = math.floor((deadline - ngx.now()) * 1000) + LEASE_KEEP_MS
        local res, err = eval(r, LEASE_TAKE, 2, set_key(key), lease_key(key),
          expected_owner or "", expected_refresh and "1" or "0",
          expected_refresh or "", string.format("%.3f %s", deadline, owner),
          ttl > 0 and ttl or LEASE_KEEP_MS)
        if res == nil then return nil, err end
        return { res == 1 and 0 or res == -1 and codes.not_found
                 or codes.conflict }
      end, STORAGE_RC)
    if not a then return PENDING end
    return a[1]
  end

  -- A lease value read: { owner, deadline }, or nil, why.
  local function lease_value(key, v)
    if v == ngx.null then return { nil, codes.not_found } end
    local deadline, owner = tostring(v):match("^(%S+) (.+)$")
    if not tonumber(deadline) then
      return nil, "bad lease value under " .. lease_key(key)
    end
    return { owner, tonumber(deadline) }
  end

  function fns.lease_get(key)
    local ctx = sio.current
    local read = ctx and ctx.lease_read
    local a
    if read and read.key == key then -- read with the set
      ctx.lease_read = nil
      local why
      a, why = lease_value(key, read.value)
      if not a then
        ngx.log(ngx.WARN, "smartcar.resty redis store: ", why)
        a = STORAGE
      end
    else
      a = sio:ask("lease_get\0" .. key, function(r)
        local v, err = r:get(lease_key(key))
        if v == nil or v == false then return nil, err end
        return lease_value(key, v)
      end, STORAGE)
    end
    if not a then return nil, PENDING end
    return a[1], a[2]
  end

  function fns.lease_end(key, owner)
    sio:queue(function(r)
      local res, err = eval(r, LEASE_END, 1, lease_key(key), owner)
      if res == nil then return nil, err end
      return { 0 }
    end)
    return PENDING
  end

  local store = internal.token_store(fns)
  store.driver = cfg.driver
  return store
end

return _M
