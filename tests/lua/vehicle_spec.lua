-- The SDK-shaped Vehicle methods against the emulator: every read in both
-- unit systems (field types and meta), commands that change state, batch,
-- the raw request, permissions paging, service history, disconnect and
-- webhook subscriptions.

local smartcar = require "smartcar"
local helper = require "helper"

local raises = helper.raises

local null = smartcar.null
local KM_PER_MILE = 1.609344
local L_PER_GALLON = 3.785411784
local PSI_PER_KPA = 0.1450377377

local ISO = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d"

-- meta of a data read: request id, timestamps and the unit system.
local function assert_data_meta(meta, units)
  assert.is_table(meta)
  assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", meta.request_id)
  assert.matches(ISO, meta.data_age)
  assert.matches(ISO, meta.fetched_at)
  if units then assert.equal(units, meta.unit_system) end
end

local function assert_fraction(v, what)
  assert.equal("number", type(v), what)
  assert.is_true(v >= 0 and v <= 1, what .. " in 0..1")
end

local function assert_number_or_null(v, what)
  assert.is_true(type(v) == "number" or v == null,
                 what .. ": number or null expected")
end

-- A describe block whose specs share the fresh fleet of one email
-- (reads, commands, batch, ...: each on vehicles of its own).
local function describe_fleet(name, email, body)
  describe(name, function() body(helper.spec_fleet(setup, email)) end)
end

describe_fleet("vehicle reads", "reads@example.com", function(fleet)

  it("finds the three kinds of vehicle", function()
    assert.is_table(fleet.bev)
    assert.is_table(fleet.phev)
    assert.is_table(fleet.ice)
    assert.equal("smartcar.Vehicle (" .. fleet.phev.id .. ")",
                 tostring(fleet.phev))
  end)

  it("vin, attributes, location", function()
    local car = fleet.phev
    local vin = assert(car:vin())
    assert.equal("string", type(vin.vin))
    assert.equal(17, #vin.vin)
    assert_data_meta(vin.meta)

    local attrs = assert(car:attributes())
    assert.equal(car.id, attrs.id)
    assert.equal("TOYOTA", attrs.make)
    assert.equal("string", type(attrs.model))
    assert.equal("integer", helper.math_type(attrs.year))
    assert_data_meta(attrs.meta)

    local loc = assert(car:location())
    assert.is_true(loc.latitude >= -90 and loc.latitude <= 90)
    assert.is_true(loc.longitude >= -180 and loc.longitude <= 180)
    assert_data_meta(loc.meta)
  end)

  it("charge, battery, capacities and the charge limit", function()
    local car = fleet.phev
    local charge = assert(car:charge())
    assert.equal("boolean", type(charge.is_plugged_in))
    assert.is_truthy(({ CHARGING = true, FULLY_CHARGED = true,
                        NOT_CHARGING = true })[charge.state])
    assert_data_meta(charge.meta)

    local battery = assert(car:battery())
    assert_fraction(battery.percent_remaining, "percent_remaining")
    assert.equal("number", type(battery.range))
    assert_data_meta(battery.meta, "metric")

    local cap = assert(car:battery_capacity())
    assert.equal("number", type(cap.capacity))
    assert.is_true(cap.capacity > 0)
    assert_data_meta(cap.meta)

    for _, c in ipairs { fleet.phev, fleet.bev } do
      local nominal = assert(c:nominal_capacity())
      assert.is_true(smartcar.is_array(nominal.available_capacities))
      assert.is_true(#nominal.available_capacities >= 1)
      for _, a in ipairs(nominal.available_capacities) do
        assert.equal("number", type(a.capacity))
        assert.is_true(type(a.description) == "string" or
                       a.description == null)
      end
      if nominal.capacity ~= null then
        assert.equal("number", type(nominal.capacity.nominal))
        assert.equal("string", type(nominal.capacity.source))
      end
      assert.is_true(type(nominal.url) == "string" or nominal.url == null)
      assert_data_meta(nominal.meta)
    end

    local limit = assert(car:get_charge_limit())
    assert.is_true(limit.limit >= 0.5 and limit.limit <= 1)
    assert_data_meta(limit.meta)
  end)

  it("fuel, engine oil, tire pressure, odometer", function()
    local car = fleet.phev
    local fuel = assert(car:fuel())
    assert_number_or_null(fuel.range, "range")
    assert_number_or_null(fuel.amount_remaining, "amount_remaining")
    assert_fraction(fuel.percent_remaining, "percent_remaining")
    assert_data_meta(fuel.meta, "metric")

    local oil = assert(car:engine_oil())
    assert_fraction(oil.life_remaining, "life_remaining")
    assert_data_meta(oil.meta)

    local tires = assert(car:tire_pressure())
    for _, k in ipairs { "front_left", "front_right", "back_left",
                         "back_right" } do
      assert.equal("number", type(tires[k]), k)
      assert.is_true(tires[k] > 100, k .. " looks like kPa")
    end
    assert.is_nil(tires.frontLeft)
    assert_data_meta(tires.meta, "metric")

    local odo = assert(car:odometer())
    assert.equal("number", type(odo.distance))
    assert_data_meta(odo.meta, "metric")
  end)

  it("lock status and diagnostics", function()
    local car = fleet.phev
    local ls = assert(car:lock_status())
    assert.equal("boolean", type(ls.is_locked))
    for _, k in ipairs { "doors", "windows", "sunroof", "storage",
                         "charging_port" } do
      assert.is_true(smartcar.is_array(ls[k]), k)
      for _, o in ipairs(ls[k]) do
        assert.equal("string", type(o.type))
        assert.is_truthy(({ OPEN = true, CLOSED = true,
                            UNKNOWN = true })[o.status])
      end
    end
    assert.equal(4, #ls.doors)
    assert_data_meta(ls.meta)

    local sys = assert(car:diagnostic_system_status())
    assert.is_true(smartcar.is_array(sys.systems))
    assert.is_true(#sys.systems > 0)
    for _, s in ipairs(sys.systems) do
      assert.matches("^SYSTEM_", s.system_id)
      assert.is_truthy(({ OK = true, ALERT = true })[s.status])
      assert.is_true(type(s.description) == "string" or
                     s.description == null)
    end
    assert_data_meta(sys.meta)

    local dtcs = assert(car:diagnostic_trouble_codes())
    assert.is_true(smartcar.is_array(dtcs.active_codes))
    for _, c in ipairs(dtcs.active_codes) do
      assert.equal("string", type(c.code))
      assert.is_true(c.timestamp == null or
                     c.timestamp:match(ISO) ~= nil)
    end
    assert_data_meta(dtcs.meta)
  end)

  it("converts units for imperial vehicles and per call", function()
    local metric = fleet.phev
    local imperial = smartcar.vehicle(metric.id, metric.access_token,
                                      { unit_system = "imperial" })

    local km = assert(metric:odometer())
    local mi = assert(imperial:odometer())
    assert.equal("imperial", mi.meta.unit_system)
    helper.near(km.distance / KM_PER_MILE, mi.distance, 0.01, "odometer")
    local per_call = assert(metric:odometer { unit_system = "imperial" })
    assert.equal("imperial", per_call.meta.unit_system)
    assert.equal(mi.distance, per_call.distance)

    local fm, fi = assert(metric:fuel()), assert(imperial:fuel())
    assert.equal("imperial", fi.meta.unit_system)
    helper.near(fm.range / KM_PER_MILE, fi.range, 0.2, "fuel range")
    helper.near(fm.amount_remaining / L_PER_GALLON, fi.amount_remaining,
                0.02, "fuel amount")
    assert.equal(fm.percent_remaining, fi.percent_remaining)

    local bm, bi = assert(metric:battery()), assert(imperial:battery())
    assert.equal("imperial", bi.meta.unit_system)
    helper.near(bm.range / KM_PER_MILE, bi.range, 0.2, "battery range")
    assert.equal(bm.percent_remaining, bi.percent_remaining)

    local tm, ti = assert(metric:tire_pressure()),
                   assert(imperial:tire_pressure())
    assert.equal("imperial", ti.meta.unit_system)
    for _, k in ipairs { "front_left", "front_right", "back_left",
                         "back_right" } do
      helper.near(tm[k] * PSI_PER_KPA, ti[k], 0.1, k)
    end

    -- Unit-free reads are the same in both systems.
    assert.equal(assert(metric:engine_oil()).life_remaining,
                 assert(imperial:engine_oil()).life_remaining)
    assert.equal(assert(metric:get_charge_limit()).limit,
                 assert(imperial:get_charge_limit()).limit)
  end)

  it("refuses reads the vehicle cannot serve (BEV fuel, engine oil)", function()
    for _, method in ipairs { "fuel", "engine_oil" } do
      local data, err = fleet.bev[method](fleet.bev)
      assert.is_nil(data)
      assert.equal("api", err.kind)
      assert.equal("COMPATIBILITY", err.type)
      assert.equal("VEHICLE_NOT_CAPABLE", err.code)
      assert.equal(501, err.status_code)
      assert.equal(smartcar.error_mt, getmetatable(err))
      helper.assert_no_secrets(err, { fleet.token.access_token,
                                      fleet.token.refresh_token })
    end
  end)

  it("raises on a bad unit system", function()
    assert.matches("unit_system",
                   raises(fleet.phev.odometer, fleet.phev,
                          { unit_system = "furlongs" }))
  end)

  -- A call without options reads the vehicle's fields in C
  -- (core.vehicle_call, issue 9): each call sees them as they are then,
  -- and what it does not take goes through the general path unchanged.
  it("calls with the vehicle's fields as they are at each call", function()
    local car = smartcar.vehicle(fleet.phev.id, fleet.phev.access_token)
    local km = assert(car:odometer())
    car.unit_system = "imperial"
    local mi = assert(car:odometer())
    assert.equal("imperial", mi.meta.unit_system)
    helper.near(km.distance / KM_PER_MILE, mi.distance, 0.01, "odometer")
    car.unit_system = "furlongs"
    assert.matches("unit_system", raises(car.odometer, car))
    car.unit_system = nil
    car.access_token = "not-" .. fleet.phev.access_token
    local data, err = car:odometer()
    assert.is_nil(data)
    assert.equal("AUTHENTICATION", err.type)
    for _, bad in ipairs { "", 7, "a\0b" } do
      car.access_token = bad
      assert.matches("access_token", raises(car.odometer, car))
    end
    car.access_token = fleet.phev.access_token
    car.timeout_ms = {}
    assert.matches("timeout_ms", raises(car.odometer, car))
    car.timeout_ms = 30000
    car.flags = { beta = true } -- a table: formatted by the general path
    assert.equal("metric", assert(car:odometer()).meta.unit_system)
    car.flags = "beta:true"
    assert.equal("metric", assert(car:odometer()).meta.unit_system)
    local client = helper.core_client()
    car.client = client
    assert(car:odometer())
    assert.equal(1, client:connections_opened())
    client:close()
    assert.matches("closed", raises(car.odometer, car))
    car.client = nil
    assert.equal(km.distance, assert(car:odometer()).distance)
  end)

  it("calls again from a debug hook while a call runs", function()
    local outer_client, inner_client = helper.core_client(),
                                       helper.core_client()
    local car = smartcar.vehicle(fleet.phev.id, fleet.phev.access_token,
                                 { client = outer_client })
    local inner = smartcar.vehicle(fleet.ice.id, fleet.ice.access_token,
                                   { client = inner_client })
    local got
    outer_client:set_debug(function(direction)
      if direction == ">" and got == nil then
        got = assert(inner:odometer())
      end
    end)
    local outer = assert(car:odometer())
    assert.equal("number", type(outer.distance))
    assert.equal("number", type(got.distance))
    assert.not_equal(outer.meta.request_id, got.meta.request_id)
    assert.equal(outer.distance, assert(car:odometer()).distance)
    outer_client:close()
    inner_client:close()
  end)
end)

describe_fleet("vehicle commands", "commands@example.com", function(fleet)

  local function assert_action(res)
    assert.equal("success", res.status)
    assert.equal("string", type(res.message))
    assert.equal("string", type(res.meta.request_id))
  end

  it("lock and unlock change the lock status", function()
    local car = fleet.ice
    assert_action(assert(car:unlock()))
    assert.is_false(assert(car:lock_status()).is_locked)
    assert_action(assert(car:lock()))
    assert.is_true(assert(car:lock_status()).is_locked)
    assert_action(assert(car:unlock()))
    assert.is_false(assert(car:lock_status()).is_locked)
  end)

  it("set_charge_limit changes get_charge_limit", function()
    local car = fleet.bev
    assert_action(assert(car:set_charge_limit(0.75)))
    assert.equal(0.75, assert(car:get_charge_limit()).limit)
    assert_action(assert(car:set_charge_limit(1)))
    assert.equal(1, assert(car:get_charge_limit()).limit)

    -- Out of range: the API refuses it.
    local data, err = car:set_charge_limit(0.3)
    assert.is_nil(data)
    assert.equal("api", err.kind)
    assert.equal("VALIDATION", err.type)
    assert.equal(400, err.status_code)
    assert.equal(1, assert(car:get_charge_limit()).limit)
  end)

  it("start_charge and stop_charge follow the plug", function()
    local car = fleet.bev
    helper.set_vehicle(car.id, { plugged_in = false })
    local data, err = car:start_charge()
    assert.is_nil(data)
    assert.equal("VEHICLE_STATE", err.type)
    assert.equal("CHARGING_PLUG_NOT_CONNECTED", err.code)
    assert.equal(409, err.status_code)

    helper.set_vehicle(car.id, { plugged_in = true, percent_remaining = 0.2,
                                 charge_limit = 0.9 })
    assert_action(assert(car:start_charge()))
    local charge = assert(car:charge())
    assert.is_true(charge.is_plugged_in)
    assert.equal("CHARGING", charge.state)
    assert_action(assert(car:stop_charge()))
    assert.equal("NOT_CHARGING", assert(car:charge()).state)
  end)

  it("send_destination takes numbers", function()
    local car = fleet.ice
    assert_action(assert(car:send_destination(37.4292, -122.1381)))
    assert_action(assert(car:send_destination(0, 180)))
    assert.matches("latitude: number expected, got string",
                   raises(car.send_destination, car, "37.4", -122.1))
    assert.matches("longitude: number expected, got nil",
                   raises(car.send_destination, car, 37.4))
    assert.matches("finite", raises(car.send_destination, car, 0 / 0, 1))
    -- Out of range: checked by the library before sending.
    assert.matches("latitude", raises(car.send_destination, car, 91, 0))
    assert.matches("longitude", raises(car.send_destination, car, 0, -181))
  end)

  it("raise on arguments of the wrong type", function()
    local car = fleet.bev
    assert.matches("limit: number expected, got string",
                   raises(car.set_charge_limit, car, "0.8"))
    assert.matches("limit: number expected, got nil",
                   raises(car.set_charge_limit, car))
    assert.matches("call it with ':'", raises(car.lock))
    assert.matches("table expected", raises(car.lock, car, "now"))
  end)
end)

describe_fleet("vehicle batch", "batch@example.com", function(fleet)

  it("returns each path by name and the failures in errors", function()
    local car = fleet.bev
    local res = assert(car:batch { "/odometer", "/fuel", "/", "tires/pressure",
                                   "/security", "/charge/limit" })
    assert.equal("string", type(res.meta.request_id))

    assert.equal("number", type(res.odometer.distance))
    assert.equal("metric", res.odometer.meta.unit_system)
    assert.equal(res.meta.request_id, res.odometer.meta.request_id)
    assert.equal("TESLA", res.attributes.make)
    assert.equal(car.id, res.attributes.id)
    assert.equal("number", type(res.tire_pressure.front_left))
    assert.equal("boolean", type(res.lock_status.is_locked))
    assert.equal("number", type(res.get_charge_limit.limit))

    -- The BEV has no tank: that one path fails, the batch does not.
    assert.is_nil(res.fuel)
    local err = res.errors.fuel
    assert.is_table(err)
    assert.equal(smartcar.error_mt, getmetatable(err))
    assert.equal("api", err.kind)
    assert.equal("COMPATIBILITY", err.type)
    assert.equal("VEHICLE_NOT_CAPABLE", err.code)
    assert.equal(501, err.status_code)
    assert.equal(err.message, tostring(err))
    helper.assert_no_secrets(err, { car.access_token })
    local n = 0
    for _ in pairs(res.errors) do n = n + 1 end
    assert.equal(1, n)
  end)

  it("matches the single reads, in imperial too", function()
    local car = smartcar.vehicle(fleet.phev.id, fleet.phev.access_token,
                                 { unit_system = "imperial" })
    local res = assert(car:batch { "odometer", "fuel" })
    assert.equal("imperial", res.odometer.meta.unit_system)
    assert.equal(assert(car:odometer()).distance, res.odometer.distance)
    assert.equal("number", type(res.fuel.amount_remaining))
    assert.is_nil(next(res.errors))
  end)

  it("fails as a whole on a misspelt path", function()
    local data, err = fleet.bev:batch { "/odometer", "/odometr" }
    assert.is_nil(data)
    assert.equal("api", err.kind)
    assert.equal(400, err.status_code)
    assert.equal("VALIDATION", err.type)
  end)

  it("raises on bad paths", function()
    local car = fleet.bev
    assert.matches("paths: table of strings expected",
                   raises(car.batch, car, "/odometer"))
    assert.matches("paths must not be empty", raises(car.batch, car, {}))
    assert.matches("paths%[2%]", raises(car.batch, car, { "/odometer", 3 }))
    assert.matches("paths%[1%]", raises(car.batch, car, { "/odo meter" }))
    assert.matches("paths%[1%]", raises(car.batch, car, { "" }))
  end)
end)

describe_fleet("vehicle request", "request@example.com", function(fleet)

  it("reads a path of the vehicle and keeps the body's keys", function()
    local car = fleet.phev
    local res = assert(car:request("GET", "odometer"))
    assert.equal(assert(car:odometer()).distance, res.body.distance)
    assert.equal("string", type(res.meta.request_id))

    local tires = assert(car:request("get", "/tires/pressure"))
    assert.equal("number", type(tires.body.frontLeft))
    assert.is_nil(tires.body.front_left)

    local attrs = assert(car:request("GET", ""))
    assert.equal(car.id, attrs.body.id)
  end)

  it("sends a JSON body and headers", function()
    local car = fleet.bev
    local res = assert(car:request("POST", "charge/limit", { limit = 0.65 }))
    assert.equal("success", res.body.status)
    assert.equal(0.65, assert(car:get_charge_limit()).limit)

    res = assert(car:request("POST", "/security", '{"action":"UNLOCK"}'))
    assert.equal("success", res.body.status)
    assert.is_false(assert(car:lock_status()).is_locked)

    local mi = assert(car:request("GET", "odometer", nil,
                                  { ["sc-unit-system"] = "imperial" }))
    assert.equal("imperial", mi.meta.unit_system)
    helper.near(assert(car:odometer()).distance / KM_PER_MILE,
                mi.body.distance, 0.01, "distance")
  end)

  it("returns API errors as nil, err", function()
    local car = fleet.bev
    local data, err = car:request("GET", "no/such/path")
    assert.is_nil(data)
    assert.equal("api", err.kind)
    assert.equal(404, err.status_code)
    assert.equal("RESOURCE_NOT_FOUND", err.type)
    helper.assert_no_secrets(err, { car.access_token })

    -- A caller Authorization header replaces the token.
    local d2, e2 = car:request("GET", "odometer", nil,
                               { Authorization = "Bearer not-a-token-1234" })
    assert.is_nil(d2)
    assert.equal("AUTHENTICATION", e2.type)
    assert.equal(401, e2.status_code)
  end)

  it("raises on a body that is neither a table nor JSON text", function()
    local car = fleet.bev
    assert.matches("#3 to 'request' %(body: table or JSON text expected",
                   raises(car.request, car, "POST", "charge/limit", 0.8))
    assert.matches("headers: table expected",
                   raises(car.request, car, "GET", "odometer", nil, "x"))
  end)

  it("raises on bad arguments", function()
    local car = fleet.bev
    assert.matches("method", raises(car.request, car, "FETCH", "odometer"))
    assert.matches("path: string expected",
                   raises(car.request, car, "GET", nil))
    assert.matches("body", raises(car.request, car, "POST", "x", 42))
    assert.matches("cannot encode a function",
                   raises(car.request, car, "POST", "x", { f = print }))
    assert.matches("headers", raises(car.request, car, "GET", "x", nil,
                                     { ["X-A"] = {} }))
    assert.matches("must be JSON text",
                   raises(car.request, car, "POST", "x", "{nope"))
  end)
end)

describe_fleet("vehicle permissions, service history, disconnect",
               "perms@example.com", function(fleet)

  it("pages the permissions", function()
    local car = fleet.ice
    local all = assert(car:permissions())
    assert.is_true(smartcar.is_array(all.permissions))
    assert.equal(#helper.all_scopes, all.paging.count)
    assert.equal(#helper.all_scopes, #all.permissions)
    assert.equal(0, all.paging.offset)
    assert.equal("string", type(all.meta.request_id))

    local page = assert(car:permissions { limit = 2, offset = 1 })
    assert.equal(2, #page.permissions)
    assert.equal(all.permissions[2], page.permissions[1])
    assert.equal(all.permissions[3], page.permissions[2])
    assert.equal(1, page.paging.offset)
    assert.equal(#helper.all_scopes, page.paging.count)

    local past = assert(car:permissions { offset = 100 })
    assert.equal(0, #past.permissions)

    assert.matches("limit: non%-negative integer",
                   raises(car.permissions, car, { limit = "2" }))
    assert.matches("unknown option 'page'",
                   raises(car.permissions, car, { page = 1 }))
  end)

  it("reads the service history between dates", function()
    local car = fleet.ice
    local all = assert(car:service_history("2015-01-01", "2099-12-31"))
    assert.is_true(smartcar.is_array(all.items))
    assert.is_true(#all.items >= 2, "several records since delivery")
    assert.equal("metric", all.meta.unit_system)
    for _, rec in ipairs(all.items) do
      assert.matches(ISO, rec.service_date)
      assert.equal("number", type(rec.odometer_distance))
      assert.is_true(smartcar.is_array(rec.service_tasks))
      assert.is_true(rec.service_id == null or
                     type(rec.service_id) == "string")
      assert.is_table(rec.service_cost)
    end

    -- A narrower range gives the records inside it.
    local first = all.items[1].service_date:sub(1, 10)
    local some = assert(car:service_history(first, first))
    assert.is_true(#some.items >= 1)
    for _, rec in ipairs(some.items) do
      assert.equal(first, rec.service_date:sub(1, 10))
    end

    -- Without dates: the last year only.
    local recent = assert(car:service_history())
    assert.is_true(#recent.items <= #all.items)

    -- Imperial distances.
    local mi = assert(car:service_history("2015-01-01", "2099-12-31",
                                          { unit_system = "imperial" }))
    assert.equal(#all.items, #mi.items)
    helper.near(all.items[1].odometer_distance / KM_PER_MILE,
                mi.items[1].odometer_distance, 0.02, "service odometer")

    local bad, err = car:service_history("01/02/2020")
    assert.is_nil(bad)
    assert.equal("VALIDATION", err.type)
    assert.equal(400, err.status_code)

    assert.matches("start_date: string expected",
                   raises(car.service_history, car, 20200101))
    assert.matches("end_date: string expected",
                   raises(car.service_history, car, nil, {}))
  end)

  it("disconnect revokes the token's access to the vehicle", function()
    local car = fleet.phev
    assert(car:odometer())
    local res = assert(car:disconnect())
    assert.equal("success", res.status)
    assert.equal("string", type(res.meta.request_id))
    local data, err = car:odometer()
    helper.assert_api_error(data, err, "PERMISSION", 403,
                            { car.access_token })
    -- The other vehicles still answer.
    assert(fleet.ice:odometer())
  end)
end)

describe("vehicle webhook subscriptions", function()
  local fleet
  local hook = "lua-spec-hook"

  local function subscribed()
    local status, body = helper.control("GET", "/_emulator/webhooks")
    assert.equal(200, status)
    for _, w in ipairs(body.webhooks) do
      if w.webhook_id == hook then return w.vehicles end
    end
    error("webhook " .. hook .. " not registered")
  end

  setup(function()
    fleet = helper.fresh_fleets("hooks@example.com")
    -- Nothing listens on port 9: the VERIFY challenge fails, which does
    -- not stop subscriptions.
    local status, _, text = helper.control("POST", "/_emulator/webhooks", {
      webhook_id = hook, callback_url = "http://127.0.0.1:9/hook",
      version = "4.0",
    })
    assert(status == 200, "register failed: " .. tostring(text))
  end)

  it("subscribes and unsubscribes a vehicle", function()
    local car = fleet.bev
    local sub = assert(car:subscribe(hook))
    assert.equal(hook, sub.webhook_id)
    assert.equal(car.id, sub.vehicle_id)
    assert.equal("string", type(sub.meta.request_id))
    assert.same({ car.id }, subscribed())

    local res = assert(car:unsubscribe(helper.amt, hook))
    assert.equal("success", res.status)
    assert.same({}, subscribed())
  end)

  it("refuses an unknown webhook and a wrong management token", function()
    local car = fleet.bev
    local data, err = car:subscribe("no-such-hook")
    assert.is_nil(data)
    assert.equal("VALIDATION", err.type)
    assert.equal(400, err.status_code)

    local wrong = "wrong-management-token-77"
    data, err = car:unsubscribe(wrong, hook)
    assert.is_nil(data)
    assert.equal("AUTHENTICATION", err.type)
    assert.equal(401, err.status_code)
    helper.assert_no_secrets(err, { wrong, car.access_token })

    assert.matches("webhook_id: string expected",
                   raises(car.subscribe, car, nil))
    assert.matches("amt: string expected",
                   raises(car.unsubscribe, car, nil, hook))
  end)
end)
