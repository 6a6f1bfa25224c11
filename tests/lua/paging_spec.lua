-- Paging iterators across several pages: vehicles (limit/offset),
-- permissions (limit/offset), connections (cursor), v3 signals
-- (page/pageSize until totalCount); failures raise the error table.

local smartcar = require "smartcar"
local helper = require "helper"

local raises, sorted = helper.raises, helper.sorted
local clear_log, logged = helper.clear_log, helper.logged

local function collect(iter)
  local out = {}
  for x in iter do out[#out + 1] = x end
  return out
end

describe("paging iterators", function()
  local fleet, other

  setup(function()
    fleet, other = helper.fresh_fleets("paging-a@example.com",
                                       "paging-b@example.com")
  end)

  it("each_vehicle walks limit/offset pages", function()
    clear_log()
    local ids = collect(smartcar.each_vehicle(fleet.token.access_token,
                                              { page_size = 1 }))
    assert.same(fleet.vehicles, ids)
    assert.equal(3, #ids)
    local reqs = logged("GET", "^/v2%.0/vehicles$")
    assert.equal(3, #reqs)
    for i, r in ipairs(reqs) do
      assert.equal("1", r.query.limit)
      assert.equal(tostring(i - 1), r.query.offset)
    end
    -- pages of two: 2 + 1
    clear_log()
    assert.same(fleet.vehicles, collect(smartcar.each_vehicle(
      fleet.token.access_token, { page_size = 2 })))
    assert.equal(2, #logged("GET", "^/v2%.0/vehicles$"))
    -- the server's page size, and per-call options
    assert.same(fleet.vehicles, collect(smartcar.each_vehicle(
      fleet.token.access_token, { timeout_ms = 20000 })))
  end)

  it("vehicle:each_permission walks limit/offset pages", function()
    local car = fleet.by_id[fleet.vehicles[1]]
    local all = assert(car:permissions({ limit = 50 })).permissions
    assert.equal(#helper.all_scopes, #all)
    clear_log()
    local perms = collect(car:each_permission { page_size = 4 })
    assert.same(all, perms)
    -- 15 permissions: 4 + 4 + 4 + 3
    assert.equal(4, #logged("GET", "/permissions$"))
    -- a store-backed vehicle pages too
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    assert(store:put("a", fleet.token))
    local stored = smartcar.vehicle(fleet.vehicles[1],
                                    { store = store, key = "a" },
                                    { client = helper.auth_client() })
    assert.same(all, collect(stored:each_permission { page_size = 7 }))
  end)

  it("each_connection follows the cursor", function()
    clear_log()
    local conns = collect(smartcar.each_connection(helper.amt,
      { user_id = fleet.user_id }, { page_size = 1 }))
    assert.equal(3, #conns)
    local ids = {}
    for i, c in ipairs(conns) do
      assert.equal(fleet.user_id, c.user_id)
      ids[i] = c.vehicle_id
    end
    assert.same(sorted(fleet.vehicles), sorted(ids))
    local reqs = logged("GET", "/management/connections$")
    assert.equal(3, #reqs)
    assert.is_nil(reqs[1].query.cursor)
    assert.is_string(reqs[2].query.cursor)
    assert.is_string(reqs[3].query.cursor)
    -- every connection of the application, a page of 4 at a time
    local everything = collect(smartcar.each_connection(helper.amt, nil,
                                                        { page_size = 4 }))
    assert.equal(6, #everything)
    local users = {}
    for _, c in ipairs(everything) do users[c.user_id] = true end
    assert.is_true(users[fleet.user_id])
    assert.is_true(users[other.user_id])
  end)

  it("vehicle_v3:each_signal walks pages until total_count", function()
    local v = smartcar.vehicle_v3(fleet.vehicles[1],
                                  { access_token = fleet.token.access_token })
    local all = assert(v:get_signals { page_size = 100 })
    clear_log()
    local signals = collect(v:each_signal { page_size = 4 })
    assert.equal(all.meta.total_count, #signals)
    assert.equal(12, #signals)
    for i, s in ipairs(signals) do
      assert.equal(all.data[i].id, s.id)
      assert.equal("signal", s.type)
    end
    -- 12 signals: 4 + 4 + 4, and no request for a fourth page
    local reqs = logged("GET", "/signals$")
    assert.equal(3, #reqs)
    for i, r in ipairs(reqs) do
      assert.equal(tostring(i), r.query.page)
      assert.equal("4", r.query.pageSize)
    end
    -- with the application token
    local app = smartcar.vehicle_v3(fleet.vehicles[2], {
      user_id = fleet.user_id,
      client = helper.core_client {
        client_id = helper.client_id, client_secret = helper.client_secret,
      },
    })
    assert.equal(12, #collect(app:each_signal { page_size = 5 }))
    -- the server's page size: one page holds them all
    clear_log()
    assert.equal(12, #collect(v:each_signal()))
    assert.equal(1, #logged("GET", "/signals$"))
  end)

  it("raises the error table when a page fails", function()
    local token = "bogus-paging-token-0123456789"
    local ok, err = pcall(function()
      for _ in smartcar.each_vehicle(token) do end
    end)
    assert.is_false(ok)
    assert.is_true(smartcar.is_error(err))
    assert.equal("api", err.kind)
    assert.equal("AUTHENTICATION", err.type)
    assert.matches("^each_vehicle: ", tostring(err))
    helper.assert_no_secrets(err, { token })

    local ok2, err2 = pcall(function()
      for _ in smartcar.each_connection("wrong-management-token-0001") do end
    end)
    assert.is_false(ok2)
    assert.matches("^each_connection: ", tostring(err2))
    assert.equal(401, err2.status_code)
    helper.assert_no_secrets(err2, { "wrong-management-token-0001" })

    local v = smartcar.vehicle_v3(fleet.vehicles[1], { access_token = token })
    local ok3, err3 = pcall(collect, v:each_signal())
    assert.is_false(ok3)
    assert.matches("^each_signal: ", tostring(err3))
  end)

  it("raises mid-way when a later page fails", function()
    local got = {}
    local ok, err = pcall(function()
      for id in smartcar.each_vehicle(fleet.token.access_token,
                                      { page_size = 1 }) do
        got[#got + 1] = id
        -- the token dies before the second page
        helper.advance_clock(7300)
      end
    end)
    helper.advance_clock(-7300)
    assert.is_false(ok)
    assert.same({ fleet.vehicles[1] }, got)
    assert.equal("AUTHENTICATION", err.type)
    assert.matches("^each_vehicle: ", tostring(err))
    helper.assert_no_secrets(err, { fleet.token.access_token })
  end)

  it("checks its arguments", function()
    assert.matches("page_size", raises(smartcar.each_vehicle, "t",
                                       { page_size = 0 }))
    assert.matches("page_size", raises(smartcar.each_vehicle, "t",
                                       { page_size = "2" }))
    assert.matches("unknown option", raises(smartcar.each_vehicle, "t",
                                            { size = 2 }))
    assert.matches("access_token", raises(smartcar.each_vehicle, nil))
    assert.matches("amt", raises(smartcar.each_connection, nil))
    assert.matches("unknown option", raises(smartcar.each_connection, "amt",
                                            { make = "x" }))
    local car = fleet.by_id[fleet.vehicles[1]]
    assert.matches("page_size", raises(car.each_permission, car,
                                       { page_size = -1 }))
    assert.matches("':'", raises(car.each_permission, {}))
  end)
end)
