-- Bad values: argument mistakes raise the binding's argument errors, a
-- hostile server's answer is `nil, err` with a typed kind (never a Lua
-- error such as "JSON nested too deeply"), and printed results hold no
-- credential.  No network: canned responses through core ops.

local smartcar = require "smartcar"
local core = require "smartcar.core"

local function deep_json(levels)
  return '{"distance":' .. ("["):rep(levels) .. ("]"):rep(levels) .. "}"
end

local function odometer_with(body)
  local client = core.client({})
  local op = client:op("odometer", { vehicle_id = "v",
    access_token = "tok-SECRET-1", max_attempts = "1" })
  assert.equal(core.STEP_SEND, op:next())
  op:feed(200, { { "Content-Type", "application/json" } }, body)
  assert.equal(core.STEP_DONE, op:next())
  local data, err = op:result()
  client:close()
  return data, err
end

describe("bad values", function()
  it("a response nested deeper than the library reads is malformed", function()
    local data, err = odometer_with(deep_json(999))
    assert.is_nil(data)
    assert.equal("malformed_response", err.kind)
    -- and a shallow one still reads
    data = assert(odometer_with(deep_json(3)))
    assert.is_table(data.distance)
  end)

  it("out-of-range numbers are argument errors, not requests", function()
    local car = smartcar.vehicle("veh-1", "tok-SECRET-1")
    for _, f in ipairs({
      function() return car:send_destination(2 ^ 63, 1) end,
      function() return car:set_charge_limit(0 / 0) end,
      function() return car:permissions({ limit = 2 ^ 64 }) end,
      function() return car:permissions({ limit = -2 ^ 63 }) end,
    }) do
      local ok, msg = pcall(f)
      assert.is_false(ok)
      assert.is_string(msg)
    end
  end)

  it("a deep or cyclic table is an argument error", function()
    local d = {}
    local cur = d
    for _ = 1, 5000 do cur.a = {}; cur = cur.a end
    local cyclic = {}
    cyclic[1] = cyclic
    local car = smartcar.vehicle("veh-1", "tok-SECRET-1")
    for _, body in ipairs({ d, cyclic }) do
      local ok, msg = pcall(car.request, car, "POST", "echo", { body = body })
      assert.is_false(ok)
      assert.matches("nested too deeply", msg)
    end
  end)

  it("a redirect prints without its code", function()
    local r = assert(smartcar.parse_redirect(
      "https://app.example.com/cb?code=c0de%2B%2F%3D%26SECRET&state=st-1",
      "st-1"))
    assert.equal("c0de+/=&SECRET", r.code)
    local text = tostring(r)
    assert.is_nil(text:find("SECRET", 1, true))
    assert.is_nil(text:find("c0de", 1, true))
    assert.truthy(text:find("[REDACTED]", 1, true))
    assert.truthy(text:find("st-1", 1, true))
  end)
end)
