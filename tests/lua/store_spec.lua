-- Token stores: put/get/delete, is_expired, vehicles backed by a store
-- that refresh by themselves (expired set, 401 after the emulator clock
-- moved), a SQLite file shared by two handles, exchange_code saving the
-- new set, run_many with store-backed vehicles, and no secrets in errors.

local smartcar = require "smartcar"
local core = require "smartcar.core"
local helper = require "helper"

local raises, clear_log, logged = helper.raises, helper.clear_log, helper.logged

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- A fresh temporary database path; remove(path) deletes it and its WAL.
local function temp_db()
  local path = os.tmpname()
  os.remove(path)
  return path .. ".db"
end

local function remove_db(path)
  for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(path .. suffix) end
end

local SAMPLE = {
  access_token = "sample-access-token-0001",
  refresh_token = "sample-refresh-token-0001",
  token_type = "Bearer",
  expires_in = 7200,
  expiration = 2000000000.5,
  refresh_expiration = 2005000000,
}

describe("smartcar.token_store", function()
  it("puts, gets and deletes token sets", function()
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    assert.is_true(smartcar.is_token_store(store))
    assert.is_true(store:put("user-1", SAMPLE))
    local got = assert(store:get("user-1"))
    assert.same(SAMPLE, got)
    assert.is_nil(getmetatable(got))

    -- put replaces
    local other = copy(SAMPLE)
    other.access_token = "sample-access-token-0002"
    assert.is_true(store:put("user-1", other))
    assert.equal("sample-access-token-0002",
                 assert(store:get("user-1")).access_token)

    -- keys are independent
    assert.is_true(store:put("user-2", SAMPLE))
    assert.is_true(store:delete("user-1"))
    local none, err = store:get("user-1")
    assert.is_nil(none)
    assert.is_true(smartcar.is_error(err))
    assert.equal("not_found", err.kind)
    assert.equal(SAMPLE.access_token, assert(store:get("user-2")).access_token)
    -- deleting what is not there is fine
    assert.is_true(store:delete("user-1"))
  end)

  it("takes the token table exchange_code returns", function()
    helper.url()
    helper.reset()
    local fleet = helper.fleet { email = "store-put@example.com" }
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    assert.is_true(store:put("k", fleet.token))
    local got = assert(store:get("k"))
    for _, f in ipairs { "access_token", "refresh_token", "expiration",
                         "refresh_expiration", "token_type", "expires_in" } do
      assert.equal(fleet.token[f], got[f], f)
    end
  end)

  it("checks its arguments", function()
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    assert.matches("refresh_token", raises(store.put, store, "k",
      { access_token = "a" }))
    assert.matches("access_token", raises(store.put, store, "k",
      { refresh_token = "r" }))
    assert.matches("must not be empty", raises(store.put, store, "k",
      { access_token = "", refresh_token = "r" }))
    assert.matches("expiration", raises(store.put, store, "k",
      { access_token = "a", refresh_token = "r", expiration = "soon" }))
    assert.matches("table expected", raises(store.put, store, "k", "tok"))
    assert.matches("key", raises(store.get, store, ""))
    assert.matches("string expected", raises(store.get, store, 42))
    assert.matches("path", raises(smartcar.token_store, ""))
    assert.matches("path", raises(smartcar.token_store, nil))
    assert.matches("client", raises(store.refresh, store, {}, "k"))
  end)

  it("returns nil, err for a database it cannot open", function()
    local store, err = smartcar.token_store("/nonexistent-dir/x/tokens.db")
    assert.is_nil(store)
    assert.is_true(smartcar.is_error(err))
    assert.is_string(err.message)
  end)

  it("closes idempotently and prints no tokens", function()
    local store = assert(smartcar.token_store(":memory:"))
    store:put("k", SAMPLE)
    assert.matches("^smartcar.TokenStore %(", tostring(store))
    assert.is_false(store:closed())
    store:close()
    store:close()
    assert.is_true(store:closed())
    assert.equal("smartcar.TokenStore (closed)", tostring(store))
    assert.matches("closed", raises(store.get, store, "k"))
    assert.matches("closed", raises(store.put, store, "k", SAMPLE))
    assert.matches("closed", raises(smartcar.vehicle, "id",
      { store = store, key = "k" }))
    do
      local s2 = assert(smartcar.token_store(":memory:"))
      assert.is_false(s2:closed())
      s2:close()
    end
  end)
end)

describe("smartcar.is_expired", function()
  it("compares with the clock, with a leeway", function()
    local now = os.time()
    assert.is_true(smartcar.is_expired(now - 10))
    assert.is_false(smartcar.is_expired(now + 3600))
    assert.is_false(smartcar.is_expired(now + 120, 60))
    assert.is_true(smartcar.is_expired(now + 30, 60))
    assert.is_true(smartcar.is_expired({ expiration = now - 1 }))
    assert.is_false(smartcar.is_expired({ expiration = now + 600 }, 60))
    assert.is_true(smartcar.is_expired({}))
    assert.is_true(core.token_expired(now - 1, 0))
    assert.matches("number expected", raises(smartcar.is_expired, "soon"))
    assert.matches("leeway", raises(smartcar.is_expired, now, -1))
  end)
end)

describe("a vehicle backed by a token store", function()
  local auth
  helper.spec_auth_client(setup, teardown, function(a) auth = a end)

  before_each(function()
    helper.reset()
  end)

  -- The fleet of options.email, a store in memory holding its token set
  -- (as changed by options.edit) under "u", its first car backed by that
  -- key, and the set stored.
  local function stored_car(options)
    local fleet = helper.fleet(options)
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    local set = fleet.token
    if options.edit then
      set = copy(fleet.token)
      options.edit(set)
    end
    assert(store:put("u", set))
    local car = smartcar.vehicle(fleet.vehicles[1], { store = store, key = "u" },
                                 { client = auth })
    return fleet, store, car, set
  end

  local function expire(set) set.expiration = os.time() - 10 end

  it("uses the stored token while it is fresh", function()
    local fleet, store, car = stored_car { email = "store-fresh@example.com" }
    assert.is_nil(car.access_token)
    clear_log()
    local odo = assert(car:odometer())
    assert.is_number(odo.distance)
    assert.equal(0, #logged("POST", "^/oauth/token$"))
    assert.equal(fleet.token.refresh_token,
                 assert(store:get("u")).refresh_token)
  end)

  it("refreshes a set whose expiration is past, saving the rotated one",
     function()
    local fleet, store, car = stored_car {
      email = "store-expired@example.com", edit = expire }
    clear_log()
    local odo = assert(car:odometer())
    assert.is_number(odo.distance)
    -- one refresh grant, before the read
    local grants = logged("POST", "^/oauth/token$")
    assert.equal(1, #grants)
    local now_set = assert(store:get("u"))
    assert.not_equal(fleet.token.refresh_token, now_set.refresh_token)
    assert.not_equal(fleet.token.access_token, now_set.access_token)
    assert.is_false(smartcar.is_expired(now_set, 60))
    -- the next call uses the new set without refreshing again
    clear_log()
    assert(car:vin())
    assert.equal(0, #logged("POST", "^/oauth/token$"))
    local reads = logged("GET", "/vin$")
    assert.equal(1, #reads)
    assert.equal("Bearer " .. now_set.access_token,
                 reads[1].headers.authorization)
  end)

  it("refreshes and retries once when the API answers 401", function()
    local fleet, store, car = stored_car { email = "store-401@example.com" }
    -- The emulator's clock passes the access token's life (7200 s); the
    -- stored expiration (local clock) still says it is fresh.
    helper.advance_clock(7300)
    clear_log()
    local attrs = assert(car:attributes())
    assert.equal(fleet.vehicles[1], attrs.id)
    local gets = logged("GET", "^/v2%.0/vehicles/[^/]+$")
    assert.equal(2, #gets)
    assert.equal(401, gets[1].status)
    assert.equal(200, gets[2].status)
    assert.equal(1, #logged("POST", "^/oauth/token$"))
    local now_set = assert(store:get("u"))
    assert.not_equal(fleet.token.refresh_token, now_set.refresh_token)
  end)

  it("shares a SQLite file between handles", function()
    local fleet = helper.fleet { email = "store-shared@example.com" }
    local path = temp_db()
    local a, b, c
    finally(function()
      for _, s in pairs({ a, b, c }) do s:close() end -- the ones opened
      remove_db(path)
    end)
    a = assert(smartcar.token_store(path))
    b = assert(smartcar.token_store(path))
    local expired = copy(fleet.token)
    expired.expiration = os.time() - 10
    assert(a:put("u", expired))
    assert.equal(fleet.token.refresh_token, assert(b:get("u")).refresh_token)

    -- A refresh through the first handle...
    local car_a = smartcar.vehicle(fleet.vehicles[1], { store = a, key = "u" },
                                   { client = auth })
    assert(car_a:odometer())
    local after_a = assert(a:get("u"))
    assert.not_equal(fleet.token.refresh_token, after_a.refresh_token)
    -- ...is what the second handle sees, and it does not refresh again.
    assert.same(after_a, assert(b:get("u")))
    local car_b = smartcar.vehicle(fleet.vehicles[1], { store = b, key = "u" },
                                   { client = auth })
    clear_log()
    assert(car_b:odometer())
    assert.equal(0, #logged("POST", "^/oauth/token$"))

    -- An explicit refresh through the second handle shows in the first.
    local fresh = assert(b:refresh(auth, "u"))
    assert.not_equal(after_a.refresh_token, fresh.refresh_token)
    assert.same(fresh, assert(a:get("u")))
    -- a core client works as well as an auth client
    local again = assert(a:refresh(auth.core, "u"))
    assert.not_equal(fresh.refresh_token, again.refresh_token)

    -- A file store survives its handles.
    a:close()
    b:close()
    c = assert(smartcar.token_store(path))
    assert.same(again, assert(c:get("u")))
  end)

  it("saves the set exchange_code returns", function()
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    local url = auth:get_auth_url(helper.all_scopes)
    local redirect = assert(smartcar.parse_redirect(
      helper.connect(url, { email = "store-exchange@example.com" })))
    local token = assert(auth:exchange_code(redirect.code,
                                            { store = store, key = "owner" }))
    assert.same(token.refresh_token, assert(store:get("owner")).refresh_token)
    local list = assert(smartcar.get_vehicles(token.access_token))
    local car = smartcar.vehicle(list.vehicles[1],
                                 { store = store, key = "owner" },
                                 { client = auth })
    assert(car:odometer())
    -- and exchange_refresh_token too
    local next_set = assert(auth:exchange_refresh_token(token.refresh_token,
                                            { store = store, key = "owner" }))
    assert.equal(next_set.refresh_token,
                 assert(store:get("owner")).refresh_token)
    assert.matches("key", raises(auth.exchange_code, auth, "code",
                                 { store = store }))
    assert.matches("store", raises(auth.exchange_code, auth, "code",
                                   { store = {}, key = "k" }))
  end)

  it("fails with not_found for a key the store does not hold", function()
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    local car = smartcar.vehicle("36ab27d0-fd9d-4455-823a-ce30af709ffc",
                                 { store = store, key = "nobody" },
                                 { client = auth })
    local data, err = car:odometer()
    assert.is_nil(data)
    assert.equal("not_found", err.kind)
    local perms, perr = store:refresh(auth, "nobody")
    assert.is_nil(perms)
    assert.equal("not_found", perr.kind)
  end)

  it("returns a failed refresh as nil, err without any token", function()
    local _, store, car, bad = stored_car {
      email = "store-badrefresh@example.com",
      edit = function(set)
        expire(set)
        set.refresh_token = "bogus-refresh-token-0123456789"
      end }
    local data, err = car:odometer()
    assert.is_nil(data)
    assert.is_true(smartcar.is_error(err))
    assert.equal("oauth", err.kind)
    helper.assert_no_secrets(err, { bad.refresh_token, bad.access_token,
                                    helper.client_secret })
    -- the stored set is left as it was
    assert.equal(bad.refresh_token, assert(store:get("u")).refresh_token)

    local r, rerr = store:refresh(auth, "u")
    assert.is_nil(r)
    helper.assert_no_secrets(rerr, { bad.refresh_token, bad.access_token,
                                     helper.client_secret })
  end)

  it("keeps API errors free of the stored tokens", function()
    local fleet, _, car = stored_car { email = "store-apierr@example.com",
                                       scopes = { "read_vehicle_info" } }
    local data, err = car:odometer() -- no read_odometer permission
    helper.assert_api_error(data, err, "PERMISSION", 403,
                            { fleet.token.access_token,
                              fleet.token.refresh_token })
  end)

  it("unsubscribes with the management token, without the stored token",
     function()
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    local car = smartcar.vehicle("36ab27d0-fd9d-4455-823a-ce30af709ffc",
                                 { store = store, key = "nobody" },
                                 { client = auth })
    -- no token set under the key: a call that needs none still runs
    local data, err = car:unsubscribe("wrong-management-token", "webhook-1")
    assert.is_nil(data)
    assert.equal("api", err.kind)
    assert.equal(401, err.status_code)
  end)

  it("runs in run_many, refreshing once per key first", function()
    local fleet, store = stored_car { email = "store-many@example.com",
                                      edit = expire }
    local cars = {}
    for i, id in ipairs(fleet.vehicles) do
      cars[i] = smartcar.vehicle(id, { store = store, key = "u" },
                                 { client = auth })
    end
    local missing = smartcar.vehicle(fleet.vehicles[1],
                                     { store = store, key = "nobody" },
                                     { client = auth })
    clear_log()
    local seen = {}
    local res = smartcar.run_many({
      { cars[1], "odometer" }, { missing, "odometer" },
      { cars[2], "location" }, { cars[3], "vin" },
    }, { progress = function(i, ok, done, total)
      seen[#seen + 1] = { i, ok, done, total }
    end })
    assert.equal(4, #res)
    assert.is_true(res[1].ok)
    assert.is_number(res[1].data.distance)
    assert.is_false(res[2].ok)
    assert.equal("not_found", res[2].err.kind)
    assert.is_true(res[3].ok)
    assert.is_true(res[4].ok)
    assert.equal(1, #logged("POST", "^/oauth/token$"))
    assert.equal(4, #seen)
    for _, s in ipairs(seen) do assert.equal(4, s[4]) end
    assert.same({ 2, false, 1, 4 }, seen[1])
  end)

  it("refreshes once in run_many when the API answers 401", function()
    local fleet, store, car = stored_car { email = "store-many-401@example.com" }
    helper.advance_clock(7300) -- the server now refuses the access token
    clear_log()
    local calls = {}
    for i = 1, 4 do calls[i] = { car, "odometer" } end
    local res = smartcar.run_many(calls, { max_in_flight = 4 })
    for i = 1, 4 do assert.is_true(res[i].ok) end
    assert.equal(1, #logged("POST", "^/oauth/token$"))
    local ok = 0
    for _, r in ipairs(logged("GET", "/odometer$")) do
      if r.status == 200 then ok = ok + 1 end
    end
    assert.equal(4, ok)
    assert.not_equal(fleet.token.refresh_token,
                     assert(store:get("u")).refresh_token)
    -- run_many let go of the store when it returned, not when collected
    -- (under LuaJIT, by the compat layer's to-be-closed emulation)
    collectgarbage("stop")
    smartcar.run_many({ { car, "odometer" } })
    local closed, why = pcall(store.close, store)
    collectgarbage("restart")
    assert(closed, why)
    assert.is_true(store:closed())
  end)

  it("checks the store argument", function()
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    assert.matches("key", raises(smartcar.vehicle, "id", { store = store }))
    assert.matches("store", raises(smartcar.vehicle, "id", { key = "k" }))
    assert.matches("unknown option", raises(smartcar.vehicle, "id",
      { store = store, key = "k", extra = 1 }))
    assert.matches("access_token", raises(auth.core.call_stored, auth.core,
      store, "k", "odometer", { vehicle_id = "v", access_token = "t" }))
  end)
end)
