-- Management (get_connections, delete_connections) and compatibility
-- against the emulator.

local smartcar = require "smartcar"
local helper = require "helper"

local raises, sorted = helper.raises, helper.sorted

local null = smartcar.null

local function ids(list)
  local out = {}
  for i, c in ipairs(list) do out[i] = c.vehicle_id end
  table.sort(out)
  return out
end

describe("get_connections", function()
  local a, b

  setup(function()
    a, b = helper.fresh_fleets("conn-a@example.com", "conn-b@example.com")
  end)

  it("lists every connection with its fields", function()
    local res = assert(smartcar.get_connections(helper.amt, nil,
                                                { limit = 50 }))
    assert.is_true(smartcar.is_array(res.connections))
    assert.equal(6, #res.connections)
    for _, c in ipairs(res.connections) do
      assert.equal("string", type(c.vehicle_id))
      assert.equal("string", type(c.user_id))
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT", c.connected_at)
    end
    assert.is_table(res.paging)
    assert.is_nil(res.paging.cursor)
    assert.equal("string", type(res.meta.request_id))
  end)

  it("filters by user and by vehicle", function()
    local res = assert(smartcar.get_connections(helper.amt,
                                                { user_id = a.user_id }))
    assert.same(sorted(a.vehicles), ids(res.connections))
    for _, c in ipairs(res.connections) do
      assert.equal(a.user_id, c.user_id)
    end

    local one = assert(smartcar.get_connections(
      helper.amt, { vehicle_id = b.vehicles[2] }))
    assert.equal(1, #one.connections)
    assert.equal(b.vehicles[2], one.connections[1].vehicle_id)
    assert.equal(b.user_id, one.connections[1].user_id)
  end)

  it("pages with a cursor until it runs out", function()
    local seen, cursor, pages = {}, nil, 0
    repeat
      local res = assert(smartcar.get_connections(
        helper.amt, nil, { limit = 4, cursor = cursor }))
      pages = pages + 1
      assert.is_true(#res.connections <= 4)
      for _, c in ipairs(res.connections) do seen[#seen + 1] = c end
      cursor = res.paging.cursor
      if cursor ~= nil then assert.equal("string", type(cursor)) end
    until cursor == nil or pages > 10
    assert.equal(2, pages)
    assert.equal(6, #seen)
    local all = {}
    for _, id in ipairs(a.vehicles) do all[#all + 1] = id end
    for _, id in ipairs(b.vehicles) do all[#all + 1] = id end
    assert.same(sorted(all), ids(seen))
  end)

  it("refuses a wrong management token without echoing it", function()
    local wrong = "wrong-amt-3f1c9a77"
    local res, err = smartcar.get_connections(wrong)
    helper.assert_api_error(res, err, "AUTHENTICATION", 401,
                            { wrong, helper.amt })
  end)

  it("raises on bad arguments", function()
    assert.matches("amt: string expected",
                   raises(smartcar.get_connections, nil))
    assert.matches("unknown option 'userId'",
                   raises(smartcar.get_connections, helper.amt,
                          { userId = "x" }))
    assert.matches("limit: non%-negative integer",
                   raises(smartcar.get_connections, helper.amt, nil,
                          { limit = 1.5 }))
    assert.matches("cursor: string expected",
                   raises(smartcar.get_connections, helper.amt, nil,
                          { cursor = 3 }))
  end)
end)

describe("delete_connections", function()
  local a, b

  setup(function()
    a, b = helper.fresh_fleets("del-a@example.com", "del-b@example.com")
  end)

  it("refuses both filters or none", function()
    -- the rule is the library's: the same words as in Python
    assert.matches("needs a user_id or a vehicle_id",
                   raises(smartcar.delete_connections, helper.amt, {}))
    assert.matches("EITHER user_id OR vehicle_id, not both",
                   raises(smartcar.delete_connections, helper.amt,
                          { user_id = a.user_id, vehicle_id = a.vehicles[1] }))
    assert.matches("filter: table expected",
                   raises(smartcar.delete_connections, helper.amt))
  end)

  it("deletes one vehicle's connection and its access", function()
    local vid = a.vehicles[1]
    assert(a.by_id[vid]:attributes())
    local res = assert(smartcar.delete_connections(helper.amt,
                                                   { vehicle_id = vid }))
    assert.is_true(smartcar.is_array(res.connections))
    assert.equal(1, #res.connections)
    assert.equal(vid, res.connections[1].vehicle_id)
    assert.equal(a.user_id, res.connections[1].user_id)
    assert.equal("string", type(res.meta.request_id))

    local left = assert(smartcar.get_connections(helper.amt,
                                                 { vehicle_id = vid }))
    assert.equal(0, #left.connections)
    local data, err = a.by_id[vid]:attributes()
    assert.is_nil(data)
    assert.equal(403, err.status_code)
    -- The user's other vehicles are still connected.
    assert(a.by_id[a.vehicles[2]]:attributes())
  end)

  it("deletes every connection of a user", function()
    local res = assert(smartcar.delete_connections(helper.amt,
                                                   { user_id = b.user_id }))
    assert.same(sorted(b.vehicles), ids(res.connections))
    local left = assert(smartcar.get_connections(helper.amt,
                                                 { user_id = b.user_id }))
    assert.equal(0, #left.connections)
  end)

  it("refuses a wrong management token", function()
    local wrong = "wrong-amt-88b2e1d0"
    local res, err = smartcar.delete_connections(wrong,
                                                 { user_id = a.user_id })
    assert.is_nil(res)
    assert.equal("AUTHENTICATION", err.type)
    helper.assert_no_secrets(err, { wrong })
  end)
end)

describe("get_compatibility", function()
  local fleet
  local creds

  setup(function()
    fleet = helper.fresh_fleets("compat@example.com")
    creds = { client_id = helper.client_id,
              client_secret = helper.client_secret }
  end)

  local function vin_of(car)
    return assert(car:vin()).vin
  end

  it("checks a VIN's permissions", function()
    local vin = vin_of(fleet.phev)
    local res = assert(smartcar.get_compatibility(
      vin, { "read_odometer", "read_fuel", "read_battery" }, "US", creds))
    assert.is_true(res.compatible)
    assert.equal(null, res.reason)
    assert.is_true(smartcar.is_array(res.capabilities))
    assert.is_true(#res.capabilities >= 3)
    for _, c in ipairs(res.capabilities) do
      assert.equal("string", type(c.permission))
      assert.equal("string", type(c.endpoint))
      assert.equal("boolean", type(c.capable))
      assert.is_true(c.capable, c.permission .. " on a PHEV")
    end
    assert.equal("string", type(res.meta.request_id))
  end)

  it("says what a BEV cannot do, with the client from an auth client",
     function()
    local auth = helper.auth_client()
    finally(function() auth:close() end)
    local res = assert(smartcar.get_compatibility(
      vin_of(fleet.bev), { "read_fuel", "read_battery" }, nil,
      { client = auth }))
    assert.is_true(res.compatible)
    local by = {}
    for _, c in ipairs(res.capabilities) do by[c.permission] = c end
    assert.is_false(by.read_fuel.capable)
    assert.equal("string", type(by.read_fuel.reason))
    assert.is_true(by.read_battery.capable)
  end)

  it("answers in test mode from the compatibility level", function()
    local res = assert(smartcar.get_compatibility(
      "0SCAUDI012FE3B132", { "read_odometer" }, "US",
      { client_id = helper.client_id, client_secret = helper.client_secret,
        test_mode_compatibility_level = "incompatible" }))
    assert.is_false(res.compatible)
    assert.equal("string", type(res.reason))
  end)

  it("refuses wrong client credentials without echoing them", function()
    local wrong = "not-the-client-secret-5d2"
    local res, err = smartcar.get_compatibility(
      vin_of(fleet.phev), { "read_odometer" }, "US",
      { client_id = helper.client_id, client_secret = wrong })
    helper.assert_api_error(res, err, "AUTHENTICATION", 401,
                            { wrong, helper.client_secret })
  end)

  it("raises on bad arguments", function()
    assert.matches("vin: string expected",
                   raises(smartcar.get_compatibility, nil, { "read_vin" }))
    assert.matches("scope: table of strings expected",
                   raises(smartcar.get_compatibility, "VIN", "read_vin"))
    assert.matches("scope%[1%]",
                   raises(smartcar.get_compatibility, "VIN", { 1 }))
    assert.matches("country: string expected",
                   raises(smartcar.get_compatibility, "VIN", { "read_vin" },
                          840))
    assert.matches("unknown option 'testMode'",
                   raises(smartcar.get_compatibility, "VIN", { "read_vin" },
                          "US", { testMode = true }))
  end)

  it("lists the compatibility matrix of a region", function()
    local res = assert(smartcar.get_compatibility_matrix("US", {
      make = "TESLA", client_id = helper.client_id,
      client_secret = helper.client_secret,
    }))
    assert.equal("string", type(res.meta.request_id))
    local models = res.TESLA
    assert.is_true(smartcar.is_array(models), "models under the make")
    assert.is_true(#models >= 1)
    for _, m in ipairs(models) do
      assert.equal("string", type(m.model))
      assert.equal("integer", helper.math_type(m.start_year))
      assert.is_true(smartcar.is_array(m.permissions))
    end
    for k in pairs(res) do
      assert.is_true(k == "TESLA" or k == "meta", "only TESLA: " .. k)
    end
    assert.matches("region: string expected",
                   raises(smartcar.get_compatibility_matrix, nil))
  end)
end)
