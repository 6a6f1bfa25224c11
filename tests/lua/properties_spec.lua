-- Property tests (Lua): a generated-input runner calls every public
-- function of `smartcar` and `smartcar.core`, and every method of the
-- objects they make (vehicles, v3 vehicles, auth clients, token stores,
-- clients, ops), with arbitrary values: odd integers and floats (NaN,
-- infinities, huge), strings with NULs and invalid UTF-8, deep and cyclic
-- tables, functions, userdata, coroutines.  Every call must either return
-- (a failure as nil plus a typed error table) or raise the binding's
-- argument error (Lua's convention: caller mistakes raise) or a typed
-- error table -- never a Lua runtime error from inside the library
-- (attempt to index, stack overflow, not enough memory...), and never
-- crash the process.
-- Calls that pass validation reach a local server that refuses them at
-- once (tests/faults/badserver.py), so nothing leaves the machine.
--
-- Fixed seed and a bounded number of examples per callable;
-- SMARTCAR_PROPERTY_EXAMPLES (default 12) and SMARTCAR_PROPERTY_SEED
-- run it longer or differently.

local smartcar = require "smartcar"
local core = require "smartcar.core"
local helper = require "helper"

local EXAMPLES = tonumber(os.getenv("SMARTCAR_PROPERTY_EXAMPLES")) or 12
local SEED = tonumber(os.getenv("SMARTCAR_PROPERTY_SEED")) or 20261204

local function deep(levels)
  local top = {}
  local cur = top
  for _ = 1, levels do cur.a = {}; cur = cur.a end
  return top
end

local SPECIAL = {
  "", "\0", "veh\0", "\xff\xfe", ("x"):rep(5000), "veh-1", "tok-123456",
  "2.0", "GET", "POST", "/odometer", "read_odometer", "a b", "+/=&%",
  "http://localhost:8000/callback?code=c&state=s", "https://x/y",
  helper.maxinteger, helper.mininteger, 2 ^ 63, 2 ^ 64, 1e300, -1e300, 0 / 0,
  math.huge, -math.huge, -0.0, 0, 1, -1, 0.5, true, false,
}

local value -- forward: value(depth) -> an arbitrary Lua value

local function random_string()
  local n = math.random(0, 24)
  local b = {}
  for i = 1, n do b[i] = string.char(math.random(0, 255)) end
  return table.concat(b)
end

local function random_table(depth)
  local t = {}
  local pick = math.random(1, 6)
  if pick == 1 then return deep(5000) end
  if pick == 2 then t[1] = t; t.self = t; return t end
  for i = 1, math.random(0, 3) do
    if math.random(1, 2) == 1 then
      t[i] = value(depth + 1)
    else
      local k = value(depth + 1)
      if k ~= nil and k == k then t[k] = value(depth + 1) end
    end
  end
  if pick == 3 then t.limit = SPECIAL[math.random(#SPECIAL)] end
  return t
end

value = function(depth)
  local pick = math.random(1, depth > 2 and 6 or 9)
  if pick == 1 then return nil end
  if pick == 2 then return SPECIAL[math.random(#SPECIAL)] end
  if pick == 3 then return math.random(helper.mininteger, helper.maxinteger) end
  if pick == 4 then return (math.random() - 0.5) * 10 ^ math.random(-5, 30) end
  if pick == 5 then return random_string() end
  if pick == 6 then return SPECIAL[math.random(#SPECIAL)] end
  if pick == 7 then return random_table(depth) end
  if pick == 8 then
    return ({ print, io.stdout, coroutine.create(print), smartcar })
      [math.random(4)]
  end
  return { value(depth + 1), value(depth + 1) }
end

-- Messages of errors raised from inside a library or binding (Lua's own
-- runtime errors, resource exhaustion): a bug, never an argument check.
local INTERNAL = {
  "attempt to ", "stack overflow", "not enough memory", "table index is",
  "C stack", "invalid key to 'next'",
  "string length overflow", "wrong number of arguments",
}

-- The binding raises its argument errors (a message, with or without the
-- caller's position: "bad argument #1 to 'x' (...)", "signal_code is
-- required"...) and typed error tables (iterators); anything else raised
-- is a bug.
local function acceptable_raise(e)
  if smartcar.is_error(e) then return true end
  if type(e) ~= "string" then return false, "raised a " .. type(e) end
  for _, pattern in ipairs(INTERNAL) do
    if e:find(pattern, 1, true) then return false, e end
  end
  return true
end

local function check_returns(...)
  local first, err = ...
  if first == nil and select("#", ...) > 1 and err ~= nil then
    if not smartcar.is_error(err) then
      return false, "nil plus a " .. type(err) .. " that is not an error"
    end
  end
  return true
end

describe("properties", function()
  local server, url, pid
  local base_options

  local function reset_defaults()
    smartcar.configure(base_options)
  end

  -- the server starts here, not in setup(): the instances below (made
  -- while the tests are declared) need its URL
  server = assert(io.popen(
    "exec python3 tests/faults/badserver.py status 600"))
  url, pid = server:read("l"):match("^(%S+) (%d+)$")
  assert(url, "the test server printed no URL")
  base_options = {
    connect_origin = url, auth_origin = url, api_origin = url,
    management_origin = url, vehicle_api_origin = url, iam_origin = url,
    client_id = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07",
    client_secret = "emulator-client-secret",
    redirect_uri = "http://localhost:8000/callback",
    max_attempts = 1, timeout_ms = 5000,
  }

  -- the working directory's entries, to check that nothing is left there
  local function listing()
    local ls = assert(io.popen("ls -A"))
    local names = ls:read("a")
    ls:close()
    return names
  end
  local before = listing()

  -- stores made from arbitrary paths go under a scratch directory
  local scratch = os.tmpname()
  os.remove(scratch)
  assert(os.execute("mkdir -p " .. scratch))

  setup(function()
    reset_defaults()
    math.randomseed(SEED)
  end)

  teardown(function()
    if pid then os.execute("kill " .. pid) end
    if server then server:close() end
    os.execute("rm -rf " .. scratch)
    -- the other specs' module configuration (helper.url() sets it)
    smartcar.configure(helper.origins())
  end)

  -- the callables: module functions, then the methods of one working
  -- instance of each kind of object (made again for each example)
  local makers = {
    vehicle = function() return smartcar.vehicle("veh-1", "tok-123456") end,
    vehicle_v3 = function()
      return smartcar.vehicle_v3("veh-1", { user_id = "user-1" })
    end,
    auth_client = function() return smartcar.auth_client(base_options) end,
    token_store = function() return smartcar.token_store(":memory:") end,
    client = function() return core.client(base_options) end,
    op = function()
      return core.client(base_options):op("odometer",
        { vehicle_id = "v", access_token = "tok-123456" })
    end,
  }

  local function methods_of(obj)
    local names, mt = {}, getmetatable(obj)
    local index = type(mt) == "table" and mt.__index
    if type(index) ~= "table" then index = mt end
    for name, f in pairs(type(index) == "table" and index or {}) do
      if type(f) == "function" and not name:find("^__")
         and name ~= "close" then
        names[#names + 1] = name
      end
    end
    table.sort(names)
    return names
  end

  -- functions that open (and create) a database file at their first
  -- argument: a string there names a file in the scratch directory
  local PATH_FIRST = {
    token_store = true, sqlite_store = true, webhook_seen_sqlite = true,
  }

  local targets = {}
  for _, mod in ipairs({ { "smartcar", smartcar }, { "core", core } }) do
    local names = {}
    for name, f in pairs(mod[2]) do
      if type(f) == "function" then names[#names + 1] = name end
    end
    table.sort(names)
    for _, name in ipairs(names) do
      targets[#targets + 1] = { mod[1] .. "." .. name, function(first, ...)
        if PATH_FIRST[name] and type(first) == "string" then
          first = scratch .. "/" .. first
        end
        return mod[2][name](first, ...)
      end }
    end
  end
  local kinds = {}
  for kind in pairs(makers) do kinds[#kinds + 1] = kind end
  table.sort(kinds)
  for _, kind in ipairs(kinds) do
    local ok, sample = pcall(makers[kind])
    assert(ok, kind .. ": " .. tostring(sample))
    for _, name in ipairs(methods_of(sample)) do
      targets[#targets + 1] = { kind .. ":" .. name, function(...)
        local obj = makers[kind]()
        return obj[name](obj, ...)
      end }
    end
  end

  for _, target in ipairs(targets) do
    it(target[1] .. " takes arbitrary values", function()
      for example = 1, EXAMPLES do
        local n = math.random(0, 4)
        local args = {}
        for i = 1, n do args[i] = value(0) end
        local result = helper.pack(pcall(target[2], helper.unpack(args, 1, n)))
        local ok, why
        if result[1] then
          ok, why = check_returns(helper.unpack(result, 2, result.n))
        else
          ok, why = acceptable_raise(result[2])
        end
        reset_defaults()
        assert(ok, ("%s, example %d (seed %d): %s"):format(
          target[1], example, SEED, tostring(why)))
      end
    end)
  end

  it("creates files only in its scratch directory", function()
    assert.are.equal(before, listing())
  end)
end)
