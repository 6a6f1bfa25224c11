-- smartcar.postgres_store from Lua, against the suite's PostgreSQL server
-- (tests/pg/run.sh sets the PG* variables).
local smartcar = require("smartcar")

describe("smartcar.postgres_store", function()
  it("keeps token sets under keys through the PG* variables", function()
    local store = assert(smartcar.postgres_store())
    assert.is_true(smartcar.is_token_store(store))
    assert(store:put("lua-owner", { access_token = "a1", refresh_token = "r1",
                                    expiration = 1e10 }))
    local other = assert(smartcar.postgres_store(""))
    local got = assert(other:get("lua-owner"))
    assert.are.equal("r1", got.refresh_token)
    assert(store:delete("lua-owner"))
    local none, err = other:get("lua-owner")
    assert.is_nil(none)
    assert.are.equal("not_found", err.kind)
    store:close()
    other:close()
  end)

  it("reports a server it cannot reach as a storage error", function()
    local store, err = smartcar.postgres_store(
      "host=127.0.0.1 port=1 password=hunter2 connect_timeout=5")
    assert.is_nil(store)
    assert.are.equal("storage", err.kind)
    assert.is_nil(tostring(err.message):find("hunter2", 1, true))
    assert.has_error(function() smartcar.postgres_store(5) end)
  end)
end)

describe("smartcar.webhook_seen on PostgreSQL", function()
  it("is shared by two sets; a bad server is nil, err", function()
    local a = assert(smartcar.webhook_seen { postgres = "", ttl_ms = 60000 })
    local b = assert(smartcar.webhook_seen { postgres = "", ttl_ms = 60000 })
    local id = "lua-pg-" .. tostring(os.time()) .. tostring(math.random(1e6))
    assert.is_true(a:first(id))
    assert.is_false(b:first(id))
    assert.is_true(b:forget(id))
    assert.is_true(a:first(id))
    local none, err = smartcar.webhook_seen {
      postgres = "host=127.0.0.1 port=1 connect_timeout=2" }
    assert.is_nil(none)
    assert.equal("storage", err.kind)
  end)
end)

describe("client:share_cooldowns", function()
  local helper = require("helper")

  it("makes a 429 one client received stop another", function()
    local fleet = helper.fresh_fleets("lua-cooldowns@example.com")
    local vid, other = fleet.vehicles[1], fleet.vehicles[2]
    local store = assert(smartcar.postgres_store())
    local a = helper.auth_client { max_attempts = 1 }
    local b = helper.auth_client { rate_policy = "fail" }
    a:share_cooldowns(store)
    b:share_cooldowns(store)
    helper.control("POST", "/_emulator/faults", {
      match = { path = "/v2.0/vehicles/" .. vid .. "/odometer" }, count = 1,
      fault = { type = "rate_limit", retry_after = 3 } })
    local car_a = smartcar.vehicle(vid, fleet.token.access_token,
                                   { client = a })
    local none, err = car_a:odometer()
    assert.is_nil(none)
    assert.are.equal(429, err.status_code)
    -- b never asks the server about that vehicle while it cools down
    helper.clear_log()
    local car_b = smartcar.vehicle(vid, fleet.token.access_token,
                                   { client = b })
    none, err = car_b:odometer()
    assert.is_nil(none)
    assert.are.equal("rate_limited", err.kind)
    assert.are.equal(0, #helper.logged("GET", vid))
    assert(smartcar.vehicle(other, fleet.token.access_token,
                            { client = b }):odometer())
    -- a closed store stays usable by the clients sharing it
    store:close()
    none, err = car_b:odometer()
    assert.are.equal("rate_limited", err.kind)
    b:share_cooldowns(nil)
    a:close()
    assert(car_b:odometer())
    assert.has_error(function()
      b:share_cooldowns(assert(smartcar.token_store(":memory:")))
    end)
    b:close()
  end)
end)
