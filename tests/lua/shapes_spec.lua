-- Result shapes are declared once (csrc/lib/results.def): the LuaLS classes
-- of lua/meta/smartcar_results.lua are the declared ones, and what the
-- emulator answers carries exactly the declared fields, nested ones
-- included.  tests/shapes.json is the schema as tools/gen-bindings.py
-- reads it (tests/python/test_shapes.py checks the Python side).

local smartcar = require "smartcar"
local helper = require "helper"

local function read(path)
  local f = assert(io.open(helper.root .. "/" .. path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

local schema = assert(smartcar.core.json_decode(read("tests/shapes.json")))
local LUA = schema.lua

-- class -> {field = true} of the generated LuaLS file
local function meta_classes()
  local classes, current = {}, nil
  for line in read("lua/meta/smartcar_results.lua"):gmatch("[^\n]+") do
    local class = line:match("^%-%-%-@class smartcar%.(%w+)$")
    if class then
      current = {}
      classes[class] = current
    end
    local field = line:match("^%-%-%-@field (%S+) ")
    if field then current[field] = true end
  end
  return classes
end

local function set(list)
  local out = {}
  for _, v in ipairs(list) do out[v] = true end
  return out
end

-- data has exactly the declared keys of class: none missing but the
-- optional ones and meta's, none more; nested shapes likewise.
local function check(data, class, where)
  local shape = assert(LUA[class], "no shape " .. class)
  local keys, optional = set(shape.keys), set(shape.optional)
  assert.is_table(data, where)
  if not shape.map then
    for k in pairs(data) do
      assert.is_true(keys[k] == true, where .. ": undeclared field " ..
                     tostring(k))
    end
  end
  for _, k in ipairs(shape.keys) do
    if not optional[k] and class ~= "Meta" then
      assert.is_true(data[k] ~= nil, where .. ": missing field " .. k)
    end
  end
  for k, nested in pairs(shape.nested) do
    local inner, is_list = nested[1], nested[2]
    local value = data[k]
    if value ~= nil and value ~= smartcar.null then
      if is_list then
        for i, item in ipairs(value) do
          check(item, inner, ("%s.%s[%d]"):format(where, k, i))
        end
      else
        check(value, inner, where .. "." .. k)
      end
    end
  end
end

describe("result shapes", function()
  it("the LuaLS meta file has every declared class and field", function()
    local classes = meta_classes()
    for name, shape in pairs(LUA) do
      local fields = assert(classes[name], "no class smartcar." .. name)
      local expected = set(shape.fields)
      if shape.map then expected["[string]"] = true end
      assert.same(expected, fields, name)
    end
    for name in pairs(classes) do
      assert.is_table(LUA[name], "undeclared class smartcar." .. name)
    end
  end)

  it("every endpoint's result names a Lua shape", function()
    for _, name in ipairs(smartcar.core.endpoints()) do
      local info = smartcar.core.endpoint_info(name)
      local result = schema.endpoints[name]
      assert.is_table(result, name)
      assert.is_string(result.lua, name .. " (" .. info.result .. ")")
    end
  end)

  describe("live answers", function()
    local fleet

    setup(function()
      helper.url()
      helper.reset()
      fleet = helper.fleet { email = "shapes@example.com" }
    end)

    local reads = {
      attributes = "ice", vin = "bev", odometer = "phev", location = "bev",
      fuel = "ice", battery = "bev", battery_capacity = "phev",
      nominal_capacity = "bev", charge = "bev", get_charge_limit = "phev",
      engine_oil = "ice", tire_pressure = "ice", lock_status = "phev",
      service_history = "ice", diagnostic_system_status = "ice",
      diagnostic_trouble_codes = "phev", permissions = "bev", lock = "bev",
      unlock = "bev",
    }
    for name, kind in pairs(reads) do
      it(name, function()
        local data = assert(fleet[kind][name](fleet[kind]))
        check(data, schema.endpoints[name].lua, name)
      end)
    end

    it("get_user, get_vehicles and the token set", function()
      check(assert(smartcar.get_user(fleet.token.access_token)),
            schema.endpoints.get_user.lua, "get_user")
      check(assert(smartcar.get_vehicles(fleet.token.access_token)),
            schema.endpoints.get_vehicles.lua, "get_vehicles")
      check(fleet.token, schema.endpoints.exchange_code.lua, "exchange_code")
    end)

    it("a parsed webhook, an error and a run_many slot", function()
      local body = '{"version": "4.0", "eventId": "e-1", "eventType": '
        .. '"VEHICLE_STATE", "data": {"user": {"id": "u-1"}, "vehicle": '
        .. '{"id": "v-1"}, "signals": [{"code": "odometer-traveleddistance", '
        .. '"name": "TraveledDistance", "group": "Odometer", "body": '
        .. '{"value": 12.5, "unit": "km"}}]}, "meta": {"deliveryId": "d-1", '
        .. '"deliveredAt": 1700000000000, "webhookId": "w-1", "mode": "TEST"}}'
      check(assert(smartcar.parse_webhook(body)), "WebhookEvent", "webhook")
      local _, err = smartcar.get_user("not-a-token")
      check(err, "Error", "get_user error")
      local res = smartcar.run_many {
        { "get_user", { access_token = fleet.token.access_token } },
        { "get_user", { access_token = "not-a-token" } },
      }
      check(res[1], "ManyResult", "run_many ok")
      check(res[2], "ManyResult", "run_many failed")
    end)

    it("API v3 documents", function()
      local car = smartcar.vehicle_v3(fleet.bev.id,
                                      { access_token = fleet.token.access_token })
      check(assert(car:get_vehicle()), schema.endpoints.get_vehicle.lua,
            "get_vehicle")
      check(assert(car:get_signals()), schema.endpoints.get_signals.lua,
            "get_signals")
      check(assert(car:get_signal("odometer-traveleddistance")),
            schema.endpoints.get_signal.lua, "get_signal")
    end)
  end)
end)
