-- smartcar.run_many over sc_call_many: results in input order, the
-- progress callback (called from C under lua_pcall), error slots, and a
-- progress callback that raises.

local smartcar = require "smartcar"
local helper = require "helper"

local function raises(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return err
end

describe("run_many", function()
  local fleet = helper.spec_fleet(setup, "many@example.com")

  it("returns results in input order, with an error slot", function()
    local bev, phev = fleet.bev, fleet.phev
    local calls = {
      { phev, "odometer" },
      { bev, "set_charge_limit", { limit = 0.8 } },
      { "get_user", { access_token = fleet.token.access_token } },
      { bev, "fuel" },                       -- 501 on the BEV
      { phev, "vin" },
      { bev, "get_charge_limit" },
      { smartcar.vehicle(phev.id, phev.access_token,
                         { unit_system = "imperial" }), "odometer" },
    }
    local res = smartcar.run_many(calls)
    assert.equal(#calls, #res)

    assert.is_true(res[1].ok)
    assert.equal("number", type(res[1].data.distance))
    assert.equal("metric", res[1].data.meta.unit_system)
    assert.is_nil(res[1].err)

    assert.is_true(res[2].ok)
    assert.equal("success", res[2].data.status)

    assert.is_true(res[3].ok)
    assert.equal(fleet.user_id, res[3].data.id)

    assert.is_false(res[4].ok)
    assert.is_nil(res[4].data)
    local err = res[4].err
    assert.equal(smartcar.error_mt, getmetatable(err))
    assert.equal("api", err.kind)
    assert.equal("COMPATIBILITY", err.type)
    assert.equal(501, err.status_code)
    helper.assert_no_secrets(err, { fleet.token.access_token,
                                    fleet.token.refresh_token })

    assert.is_true(res[5].ok)
    assert.equal(17, #res[5].data.vin)

    -- Concurrent: the limit may or may not be set yet, but it is valid.
    assert.is_true(res[6].ok)
    assert.equal("number", type(res[6].data.limit))
    assert.equal(0.8, assert(bev:get_charge_limit()).limit)

    assert.is_true(res[7].ok)
    assert.equal("imperial", res[7].data.meta.unit_system)
    helper.near(res[1].data.distance / 1.609344, res[7].data.distance, 0.01,
                "miles")
  end)

  it("reports progress once per call, from C", function()
    local calls = {}
    for i = 1, 9 do
      calls[i] = { fleet.by_id[fleet.vehicles[(i - 1) % 3 + 1]], "vin" }
    end
    calls[10] = { fleet.bev, "engine_oil" } -- fails
    local seen, dones = {}, {}
    local res = smartcar.run_many(calls, {
      max_in_flight = 3,
      progress = function(index, ok, done, total)
        assert.equal(10, total)
        assert.is_nil(seen[index], "each index once")
        seen[index] = ok
        dones[#dones + 1] = done
      end,
    })
    assert.equal(10, #res)
    for i = 1, 10 do
      assert.equal(res[i].ok, seen[i], "progress ok matches slot " .. i)
    end
    for i = 1, 10 do assert.equal(i, dones[i]) end
    assert.is_false(seen[10])
    -- Each vin matches its vehicle.
    for i = 1, 9 do
      local car = calls[i][1]
      assert.equal(assert(car:vin()).vin, res[i].data.vin)
    end
  end)

  it("runs one at a time with max_in_flight = 1", function()
    local order = {}
    local res = smartcar.run_many({
      { fleet.ice, "odometer" }, { fleet.ice, "location" },
      { fleet.ice, "lock_status" },
    }, { max_in_flight = 1,
         progress = function(i) order[#order + 1] = i end })
    assert.same({ 1, 2, 3 }, order)
    for _, r in ipairs(res) do assert.is_true(r.ok) end
  end)

  it("puts parameters the library refuses in their slot", function()
    local res = smartcar.run_many({
      { "odometer", { access_token = fleet.token.access_token } }, -- no id
      { fleet.phev, "odometer" },
      { fleet.phev, "set_charge_limit" },                          -- no limit
    })
    assert.is_false(res[1].ok)
    assert.equal("invalid_argument", res[1].err.kind)
    assert.is_true(res[2].ok)
    assert.is_false(res[3].ok)
    assert.equal("invalid_argument", res[3].err.kind)
    for _, r in ipairs(res) do
      if r.err then
        helper.assert_no_secrets(r.err, { fleet.token.access_token })
      end
    end
  end)

  it("returns an empty list for no calls", function()
    assert.same({}, smartcar.run_many({}))
  end)

  it("re-raises what progress raised, after every call finished", function()
    helper.set_vehicle(fleet.bev.id, { charge_limit = 0.6 })
    local count = 0
    local err = raises(smartcar.run_many, {
      { fleet.phev, "odometer" },
      { fleet.phev, "vin" },
      { fleet.bev, "set_charge_limit", { limit = 0.95 } },
      { fleet.ice, "location" },
    }, {
      max_in_flight = 1,
      progress = function()
        count = count + 1
        error("progress boom")
      end,
    })
    assert.matches("progress boom", err)
    assert.equal(1, count, "not called again after raising")
    -- The remaining calls still ran, the command among them.
    assert.equal(0.95, assert(fleet.bev:get_charge_limit()).limit)

    -- Any error value comes back as it was raised.
    local value = { reason = "custom" }
    local got = raises(smartcar.run_many, { { fleet.ice, "vin" } }, {
      progress = function() error(value) end,
    })
    assert.equal(value, got)
  end)

  it("keeps the client open while it runs", function()
    local client = helper.core_client()
    local car = smartcar.vehicle(fleet.ice.id, fleet.ice.access_token,
                                 { client = client })
    local close_err
    local res = smartcar.run_many({ { car, "vin" }, { car, "odometer" } }, {
      progress = function()
        if close_err == nil then
          local ok, e = pcall(client.close, client)
          close_err = ok and "closed" or tostring(e)
        end
      end,
    })
    assert.matches("in use", close_err)
    assert.is_false(client:closed())
    assert.is_true(res[1].ok and res[2].ok)
    client:close()
    assert.is_true(client:closed())
  end)

  it("may call the API from the progress callback", function()
    local inner
    local res = smartcar.run_many({ { fleet.ice, "vin" } }, {
      progress = function() inner = assert(fleet.ice:odometer()) end,
    })
    assert.is_true(res[1].ok)
    assert.equal("number", type(inner.distance))
  end)

  it("raises on bad arguments", function()
    local car = fleet.ice
    assert.matches("calls: table expected",
                   tostring(raises(smartcar.run_many, "odometer")))
    assert.matches("calls%[1%]: table expected",
                   tostring(raises(smartcar.run_many, { "odometer" })))
    assert.matches("unknown endpoint 'odometre'",
                   tostring(raises(smartcar.run_many, { { "odometre" } })))
    assert.matches("name of a vehicle call",
                   tostring(raises(smartcar.run_many, { { car, "get_user" } })))
    assert.matches("calls%[1%]%[1%]: vehicle or endpoint name",
                   tostring(raises(smartcar.run_many, { { 42, "vin" } })))
    assert.matches("max_in_flight must be at least 1",
                   tostring(raises(smartcar.run_many, { { car, "vin" } },
                                   { max_in_flight = 0 })))
    assert.matches("progress: function expected",
                   tostring(raises(smartcar.run_many, { { car, "vin" } },
                                   { progress = true })))
    assert.matches("unknown option 'parallel'",
                   tostring(raises(smartcar.run_many, { { car, "vin" } },
                                   { parallel = 2 })))
    local other = smartcar.vehicle(car.id, car.access_token,
                                   { client = helper.core_client() })
    assert.matches("different clients",
                   tostring(raises(smartcar.run_many,
                                   { { car, "vin" }, { other, "vin" } })))
  end)
end)
