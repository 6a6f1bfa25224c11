-- Webhooks: the VERIFY challenge, payload signatures (raw body HMAC in
-- the C core) and parsing v2 and v4 deliveries, with fixed vectors and
-- with deliveries the emulator actually signed.

local smartcar = require "smartcar"
local core = require "smartcar.core"
local helper = require "helper"

local raises = helper.raises

--- Calls f with the nargs arguments of each case { pattern, arg1, ... }
--- (nil among them) and checks that it raises an error matching pattern.
local function raises_each(f, nargs, cases)
  for _, case in ipairs(cases) do
    assert.matches(case[1], raises(f, helper.unpack(case, 2, nargs + 1)))
  end
end

local CHALLENGE_HEX =
  "9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efacf646d79328e"
local PIZZA = '{"pizza":"pasta"}'
local PIZZA_HEX =
  "4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d3301dcaaa854f70"

describe("hash_challenge", function()
  it("matches the known vectors", function()
    assert.equal(CHALLENGE_HEX, smartcar.hash_challenge("amt", "challenge"))
    assert.equal(PIZZA_HEX, smartcar.hash_challenge("amt", PIZZA))
    assert.equal(PIZZA_HEX, core.hmac_sha256_hex("amt", PIZZA))
    assert.equal(CHALLENGE_HEX, core.webhook_challenge("amt", "challenge"))
  end)

  it("raises on bad arguments", function()
    raises_each(smartcar.hash_challenge, 2, {
      { "amt: string expected", nil, "challenge" },
      { "amt must not be empty", "", "challenge" },
      { "challenge: string expected", "amt", 42 },
    })
  end)
end)

describe("verify_payload", function()
  it("accepts the right signature of the raw body", function()
    assert.is_true(smartcar.verify_payload("amt", PIZZA_HEX, PIZZA))
    -- hex digits in either case, trailing whitespace from a header
    assert.is_true(smartcar.verify_payload("amt", PIZZA_HEX:upper(), PIZZA))
    assert.is_true(smartcar.verify_payload("amt", PIZZA_HEX .. "\r\n", PIZZA))
  end)

  it("refuses anything else", function()
    assert.is_false(smartcar.verify_payload("amt", PIZZA_HEX,
                                            '{"pizza": "pasta"}'))
    assert.is_false(smartcar.verify_payload("other", PIZZA_HEX, PIZZA))
    assert.is_false(smartcar.verify_payload("amt", CHALLENGE_HEX, PIZZA))
    assert.is_false(smartcar.verify_payload("amt", PIZZA_HEX:sub(1, 63),
                                            PIZZA))
    assert.is_false(smartcar.verify_payload("amt", ("z"):rep(64), PIZZA))
    assert.is_false(smartcar.verify_payload("amt", "", PIZZA))
    assert.is_false(smartcar.verify_payload("amt", nil, PIZZA))
  end)

  it("hashes every byte of the body", function()
    local body = "a\0b"
    local sig = core.hmac_sha256_hex("amt", body)
    assert.is_true(smartcar.verify_payload("amt", sig, body))
    assert.is_false(smartcar.verify_payload("amt", sig, "a"))
  end)

  it("raises on bad arguments", function()
    raises_each(smartcar.verify_payload, 3, {
      { "amt: string expected", nil, PIZZA_HEX, PIZZA },
      { "signature: string expected", "amt", 42, PIZZA },
      { "body: string", "amt", PIZZA_HEX, { pizza = "pasta" } },
    })
  end)
end)

describe("parse_webhook", function()
  it("parses a v2 verify and a v2 event", function()
    local verify = assert(smartcar.parse_webhook(
      '{"version":"2.0","webhookId":"5a8e5e38-1e12-4011-a36d-56f120053f9e",'
      .. '"eventName":"verify","payload":{"challenge":"3f2a1c9e"}}'))
    helper.assert_fields({ version = "2.0", event_type = "VERIFY",
                           challenge = "3f2a1c9e",
                           webhook_id = "5a8e5e38-1e12-4011-a36d-56f120053f9e" },
                         verify)

    local ev = assert(smartcar.parse_webhook(
      '{"version":"2.0","webhookId":"w-1","eventName":"eventBased",'
      .. '"mode":"test","payload":{"eventId":"e-1","vehicleId":"v-1",'
      .. '"eventType":"CHARGING_STARTED",'
      .. '"eventTime":"2022-04-13T18:00:00.000Z"}}'))
    helper.assert_fields({ event_type = "EVENTBASED", mode = "test",
                           event_id = "e-1", vehicle_id = "v-1" }, ev)
    helper.assert_fields({ event_type = "CHARGING_STARTED",
                           event_time = "2022-04-13T18:00:00.000Z" },
                         ev.payload)
  end)

  it("parses a v4 verify and a v4 vehicle state", function()
    local verify = assert(smartcar.parse_webhook(
      '{"eventId":"52f6e0bb","eventType":"VERIFY",'
      .. '"data":{"challenge":"abc123"},'
      .. '"meta":{"version":"4.0","webhookId":"w-4",'
      .. '"webhookName":"Example Webhook","deliveryId":"d-1",'
      .. '"deliveredAt":"2025-07-31T19:38:42.332Z"}}'))
    helper.assert_fields({ version = "4.0", event_type = "VERIFY",
                           challenge = "abc123", webhook_id = "w-4",
                           webhook_name = "Example Webhook",
                           delivery_id = "d-1" }, verify)

    local state = assert(smartcar.parse_webhook([[
      {"eventId": "5a537912", "eventType": "VEHICLE_STATE",
       "data": {
         "user": {"id": "u-1"},
         "vehicle": {"id": "v-1", "make": "TESLA", "model": "Model 3",
                     "year": 2020},
         "signals": [
           {"code": "tractionbattery-stateofcharge", "name": "StateOfCharge",
            "group": "TractionBattery", "body": {"unit": "percent", "value": 75},
            "status": {"value": "SUCCESS"},
            "meta": {"retrievedAt": 1758668712404, "oemUpdatedAt": 1758668712404}},
           {"code": "location-isathome", "name": "IsAtHome", "group": "Location",
            "status": {"value": "ERROR", "error": {"type": "COMPATIBILITY",
                                                   "code": "VEHICLE_NOT_CAPABLE"}}}]},
       "triggers": [{"type": "SIGNAL_UPDATED",
                     "signal": {"code": "tractionbattery-stateofcharge"}}],
       "meta": {"version": "4.0", "deliveryId": "d-2",
                "deliveredAt": 1761896351529, "webhookId": "w-4",
                "webhookName": "My First Webhook", "signalCount": 2,
                "mode": "LIVE"}}]]))
    assert.equal("VEHICLE_STATE", state.event_type)
    assert.equal("5a537912", state.event_id)
    assert.equal("u-1", state.user_id)
    assert.equal("v-1", state.vehicle_id)
    assert.equal("LIVE", state.mode)
    assert.equal(1761896351529, state.delivered_at)
    assert.is_true(smartcar.is_array(state.signals))
    assert.equal(2, #state.signals)
    assert.equal(75, state.signals[1].body.value)
    assert.equal(1758668712404, state.signals[1].meta.retrieved_at)
    assert.equal("ERROR", state.signals[2].status.value)
    assert.equal("SIGNAL_UPDATED", state.triggers[1].type)
    assert.equal("TESLA", state.payload.vehicle.make)
  end)

  it("returns nil, err for a body that is not a delivery", function()
    for _, body in ipairs { "", "{nope", "[1, 2]", '{"hello": "world"}' } do
      local ev, err = smartcar.parse_webhook(body)
      assert.is_nil(ev)
      assert.equal("malformed_response", err.kind)
      assert.equal(smartcar.error_mt, getmetatable(err))
      assert.equal("string", type(tostring(err)))
    end
    assert.matches("body: string expected",
                   raises(smartcar.parse_webhook, { eventType = "VERIFY" }))
  end)
end)

describe("deliveries signed by the emulator", function()
  local fleet

  local function deliveries(hook)
    local status, body = helper.control(
      "GET", "/_emulator/webhooks/deliveries?webhook_id=" .. hook)
    assert.equal(200, status)
    return body.deliveries
  end

  local function register(hook, version)
    local status, body, text = helper.control("POST", "/_emulator/webhooks", {
      webhook_id = hook, callback_url = "http://127.0.0.1:9/" .. hook,
      version = version,
    })
    assert(status == 200, "register failed: " .. tostring(text))
    return body
  end

  -- The BEV subscribed to hook, then an event delivered: its record.
  local function subscribe_and_deliver(hook, event)
    assert(fleet.bev:subscribe(hook))
    local status, _, text = helper.control(
      "POST", "/_emulator/webhooks/" .. hook .. "/deliver", { event = event })
    assert(status == 200, "deliver failed: " .. tostring(text))
    local list = deliveries(hook)
    return list[#list]
  end

  setup(function()
    fleet = helper.fresh_fleets("deliveries@example.com")
  end)

  it("v4: the VERIFY challenge and a VEHICLE_STATE delivery", function()
    local hook = "lua-v4-hook"
    register(hook, "4.0")
    local verify = deliveries(hook)[1]
    assert.is_table(verify, "the VERIFY challenge is logged")
    assert.is_true(smartcar.verify_payload(helper.amt, verify.signature,
                                           verify.body))
    local ev = assert(smartcar.parse_webhook(verify.body))
    assert.equal("VERIFY", ev.event_type)
    assert.equal("4.0", ev.version)
    assert.equal(hook, ev.webhook_id)
    assert.equal("string", type(ev.challenge))
    assert.equal(64, #smartcar.hash_challenge(helper.amt, ev.challenge))

    local last = subscribe_and_deliver(hook, "VEHICLE_STATE")
    assert.equal("VEHICLE_STATE", last.event_type)
    assert.is_true(smartcar.verify_payload(helper.amt, last.signature,
                                           last.body))
    assert.is_false(smartcar.verify_payload("not-the-amt", last.signature,
                                            last.body))
    assert.is_false(smartcar.verify_payload(helper.amt, last.signature,
                                            last.body .. " "))
    local state = assert(smartcar.parse_webhook(last.body))
    assert.equal("VEHICLE_STATE", state.event_type)
    assert.equal(fleet.bev.id, state.vehicle_id)
    assert.is_true(smartcar.is_array(state.signals))
  end)

  it("v2: the verify challenge and a charging event", function()
    local hook = "lua-v2-hook"
    register(hook, "2.0")
    local verify = deliveries(hook)[1]
    assert.is_true(smartcar.verify_payload(helper.amt, verify.signature,
                                           verify.body))
    local ev = assert(smartcar.parse_webhook(verify.body))
    assert.equal("VERIFY", ev.event_type)
    assert.equal("2.0", ev.version)
    assert.equal("string", type(ev.challenge))

    local last = subscribe_and_deliver(hook, "CHARGING_STARTED")
    assert.is_true(smartcar.verify_payload(helper.amt, last.signature,
                                           last.body))
    local charging = assert(smartcar.parse_webhook(last.body))
    assert.equal("2.0", charging.version)
    assert.equal("EVENTBASED", charging.event_type)
    assert.equal(fleet.bev.id, charging.vehicle_id)
    assert.equal("CHARGING_STARTED", charging.payload.event_type)
  end)
end)
