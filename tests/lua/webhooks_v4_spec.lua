-- Webhooks v4 and signals as data, in Lua: receive (signature, VERIFY,
-- dedupe by eventId), the documented delivery variants, and signal rows
-- with times sent as epoch milliseconds or ISO-8601 (epoch ms in Lua).

local smartcar = require "smartcar"
local helper = require "helper"

local raises = helper.raises
local AMT = "amt-lua-4"
local T1_MS = 1758668712404

local STATE = [[{"eventId": "ev-1", "eventType": "VEHICLE_STATE",
  "data": {"user": {"id": "u-1", "externalId": "crm-1"},
           "vehicle": {"id": "v-1"},
           "triggers": [{"code": "FIRST_DELIVERY"}],
           "signals": [
             {"code": "closure-islocked", "name": "IsLocked", "group": "Closure",
              "body": {"value": true}, "status": {"value": "SUCCESS"},
              "meta": {"retrievedAt": "2025-09-23T23:05:12.404Z",
                       "oemUpdatedAt": 1758668712404}},
             {"code": "location-preciselocation", "name": "PreciseLocation",
              "group": "Location", "status": {"value": "SUCCESS"},
              "body": {"latitude": 1.5, "longitude": 2.5},
              "meta": {"retrievedAt": 1758668712}}]},
  "meta": {"version": "4.0", "deliveryId": "d-1",
           "deliveredAt": "2025-09-23T23:05:12.404Z"}}]]

describe("receive_webhook", function()
  it("accepts a signed event once, then marks its retry duplicate", function()
    local seen = smartcar.webhook_seen { capacity = 16 }
    local sig = smartcar.hash_challenge(AMT, STATE) -- the body's HMAC
    local ev = assert(smartcar.receive_webhook(AMT, sig, STATE, seen))
    assert.is_false(ev.duplicate)
    assert.equal('{"status":"received"}', ev.reply)
    assert.equal(T1_MS, ev.delivered_at)
    assert.is_true(ev.first_delivery)
    assert.equal("FIRST_DELIVERY", ev.triggers[1].type)
    assert.equal("crm-1", ev.user_external_id)
    local again = assert(smartcar.receive_webhook(AMT, sig, STATE, seen))
    assert.is_true(again.duplicate)
    assert.equal(1, seen:count())
    assert.is_true(seen:forget("ev-1"))
    assert.is_false(seen:forget("ev-1"))
    assert.is_false(assert(smartcar.receive_webhook(AMT, sig, STATE,
                                                    seen)).duplicate)
  end)

  it("refuses a bad signature and a bad body with typed errors", function()
    local ev, err = smartcar.receive_webhook(AMT, nil, STATE)
    assert.is_nil(ev)
    assert.equal("bad_signature", err.kind)
    ev, err = smartcar.receive_webhook(AMT, smartcar.hash_challenge("x",
                                                                    STATE),
                                       STATE)
    assert.equal("bad_signature", err.kind)
    assert.is_nil(tostring(err):find(AMT, 1, true))
    ev, err = smartcar.receive_webhook(AMT, smartcar.hash_challenge(AMT,
                                                                    "[]"),
                                       "[]")
    assert.equal("malformed_response", err.kind)
    assert.matches("body: string", raises(smartcar.receive_webhook, AMT,
                                          nil, {}))
  end)

  it("answers an unsigned VERIFY, but not a forged one", function()
    local ev = assert(smartcar.receive_webhook(AMT, nil,
      '{"eventId":"e","eventType":"VERIFY","data":{"challenge":"c1"}}'))
    assert.equal('{"challenge":"' .. smartcar.hash_challenge(AMT, "c1")
                 .. '"}', ev.reply)
    local _, err = smartcar.receive_webhook(AMT, nil,
      '{"eventType":"VERIFY","data":{"challenge":"{\\"eventType\\":1}"}}')
    assert.equal("malformed_response", err.kind)
  end)

  it("reads VEHICLE_ERROR signals given as strings or objects", function()
    local ev = assert(smartcar.parse_webhook([[{"eventId": "e",
      "eventType": "VEHICLE_ERROR", "data": {"errors": [{"type": "UPSTREAM",
      "state": "ERROR", "signals": ["Charge.IsCharging",
      {"code": "closure-islocked"}]}]}}]]))
    local sigs = ev.errors[1].signals
    assert.equal("charge-ischarging", sigs[1].code)
    assert.equal("Charge", sigs[1].group)
    assert.equal("IsCharging", sigs[1].name)
    assert.equal("closure-islocked", sigs[2].code)
  end)
end)

describe("signal_rows", function()
  it("flattens a delivery with both time formats into epoch ms", function()
    local ev = assert(smartcar.parse_webhook(STATE))
    for _, source in ipairs { ev, STATE } do
      local rows = assert(smartcar.signal_rows(source))
      assert.equal(2, #rows)
      assert.equal("closure-islocked", rows[1].code)
      assert.is_true(rows[1].value)
      assert.equal(T1_MS, rows[1].retrieved_at)     -- ISO text
      assert.equal(T1_MS, rows[1].oem_updated_at)   -- epoch ms
      assert.equal(1758668712000, rows[2].retrieved_at) -- epoch seconds
      assert.equal(1.5, rows[2].value.latitude)
      assert.equal("v-1", rows[2].vehicle_id)
      assert.equal(smartcar.null, rows[2].unit)
    end
    local rows, err = smartcar.signal_rows('{"x": 1}')
    assert.is_nil(rows)
    assert.equal("malformed_response", err.kind)
    assert.matches("signal_rows", raises(smartcar.signal_rows, 5))
  end)

  it("parse_time reads ISO-8601 and epoch numbers", function()
    assert.equal(T1_MS, smartcar.parse_time("2025-09-23T23:05:12.404Z"))
    assert.equal(T1_MS, smartcar.parse_time("2025-09-24T01:05:12.404+02:00"))
    assert.equal(T1_MS, smartcar.parse_time(T1_MS))
    assert.equal(1758668712000, smartcar.parse_time(1758668712))
    assert.is_nil(smartcar.parse_time("yesterday"))
    assert.has_error(function() smartcar.parse_time({}) end,
      "bad argument #1 to 'parse_time' (value: string or number expected, got table)")
  end)

  it("comes with get_signals results from the emulator", function()
    helper.url()
    local fleet = helper.fleet { email = "rows@example.com" }
    local id = fleet.vehicles[1]
    local v = smartcar.vehicle_v3(id, { access_token = fleet.token.access_token })
    local page = assert(v:get_signals())
    local rows = assert(smartcar.signal_rows(page))
    assert.equal(#page.data, #rows)
    local locked
    for _, r in ipairs(rows) do
      if r.code == "closure-islocked" then locked = r end
    end
    assert.equal("boolean", type(locked.value))
    assert.equal("number", type(locked.retrieved_at))
    assert.equal(id, locked.vehicle_id)
  end)
end)

describe("the emulator's repeated deliveries", function()
  it("a failed delivery is sent again with its eventId: deduped", function()
    helper.url()
    local fleet = helper.fleet { email = "repeat@example.com" }
    local hook = "lua-v4-repeat"
    -- nothing listens on port 9: every attempt fails, and is retried once
    assert(helper.control("POST", "/_emulator/webhooks", {
      webhook_id = hook, callback_url = "http://127.0.0.1:9/" .. hook }) == 200)
    local status, body = helper.control("POST", "/_emulator/webhooks/" .. hook
      .. "/delivery", { retry_delays_ms = { 0 } })
    assert.equal(200, status)
    assert.equal(0, body.delivery.retry_delays_ms[1])
    assert(fleet.bev:subscribe(hook))
    assert.equal(200, (helper.control("POST", "/_emulator/webhooks/" .. hook
      .. "/deliver", { vehicle_id = fleet.bev.id })))
    local tries
    for _ = 1, 200 do
      local _, log = helper.control("GET",
        "/_emulator/webhooks/deliveries?webhook_id=" .. hook)
      tries = {}
      for _, d in ipairs(log.deliveries) do
        if d.event_type == "VEHICLE_STATE" then tries[#tries + 1] = d end
      end
      if #tries >= 2 then break end
      os.execute("sleep 0.02")
    end
    assert.equal(2, #tries)
    assert.equal(tries[1].event_id, tries[2].event_id)
    assert.are_not.equal(tries[1].delivery_id, tries[2].delivery_id)
    assert.equal(1, tries[1].attempt)
    assert.equal(2, tries[2].attempt)
    local seen = smartcar.webhook_seen()
    local first = assert(smartcar.receive_webhook(helper.amt,
      tries[1].signature, tries[1].body, seen))
    local again = assert(smartcar.receive_webhook(helper.amt,
      tries[2].signature, tries[2].body, seen))
    assert.is_false(first.duplicate)
    assert.is_true(again.duplicate)
    assert.is_true(first.first_delivery)
    assert.equal(fleet.bev.id, first.vehicle_id)
    assert.equal("number", type(first.delivered_at))
  end)
end)

describe("a loopback receiver", function()
  it("gets the emulator's duplicate and receive_webhook marks it", function()
    local socket = require "socket"
    helper.url()
    local fleet = helper.fleet { email = "loopback@example.com" }
    local auth = helper.auth_client()
    local srv = assert(socket.bind("127.0.0.1", 0))
    srv:settimeout(10)
    local _, port = srv:getsockname()
    local seen = smartcar.webhook_seen()
    helper.register_webhook_async("lua-loopback", port)
    assert.equal("VERIFY", assert(helper.serve_webhook(srv, seen)).event_type)
    assert.equal(200, (helper.control("POST",
      "/_emulator/webhooks/lua-loopback/delivery", { duplicate = true })))
    local id = fleet.vehicles[1]
    assert(smartcar.create_subscription("lua-loopback", fleet.user_id, id,
                                        { client = auth }))
    local verify, _, vsig = helper.serve_webhook(srv, seen)
    assert.equal("VERIFY", assert(verify).event_type)
    assert.is_nil(vsig)
    local first, _, sig = helper.serve_webhook(srv, seen)
    local again, _, sig2 = helper.serve_webhook(srv, seen)
    srv:close()
    auth:close()
    assert.is_string(sig)
    assert.is_string(sig2)
    assert.is_true(assert(first).first_delivery)
    assert.is_false(first.duplicate)
    assert.equal(first.event_id, assert(again).event_id)
    assert.are_not.equal(first.delivery_id, again.delivery_id)
    assert.is_true(again.duplicate)
    assert.equal(id, first.vehicle_id)
    helper.control("DELETE", "/_emulator/webhooks/lua-loopback")
  end)
end)

describe("webhook_seen in SQLite", function()
  it("is shared by two handles and survives a restart", function()
    local path = os.tmpname()
    local a = assert(smartcar.webhook_seen { path = path, ttl_ms = 60000 })
    local b = assert(smartcar.webhook_seen { path = path, ttl_ms = 60000 })
    assert.is_true(a:first("ev-lua"))
    assert.is_false(b:first("ev-lua"))
    assert.equal(1, b:count())
    a, b = nil, nil
    collectgarbage()
    local c = assert(smartcar.webhook_seen { path = path, ttl_ms = 60000 })
    assert.is_false(c:first("ev-lua"))
    local bad, err = smartcar.webhook_seen { path = "/no/such/dir/x.db" }
    assert.is_nil(bad)
    assert.equal("storage", err.kind)
    c = nil
    collectgarbage() -- the last handle closes: SQLite drops -wal and -shm
    os.remove(path)
  end)
end)
