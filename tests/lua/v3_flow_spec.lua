-- The whole API v3 flow against the emulator, as an application runs it:
-- Connect through its pages returns the user id, an application token,
-- the user's connections page by page, signals, a lock read back through
-- closure-islocked, charging started through a 202, a signed v4 webhook
-- received on a loopback socket and verified, and the connection deleted,
-- after which reads fail typed; and examples/v3_quickstart.lua run against
-- the emulator.

local smartcar = require "smartcar"
local helper = require "helper"
local socket = require "socket"

local SCOPE = { "read_vehicle_info", "read_odometer", "read_battery",
                "read_charge", "read_security", "control_security",
                "control_charge" }
local UUID = "^%x+%-%x+%-%x+%-%x+%-%x+$"

local serve_one = helper.serve_webhook

describe("API v3 flow", function()
  local auth
  helper.spec_auth_client(setup, teardown, function(a) auth = a end, true)

  it("runs from Connect to a deleted connection", function()
    -- 1. Connect in the browser: the redirect carries the user id
    local url, state = auth:get_auth_url(SCOPE)
    local location = helper.browse_connect(url, "lua-v3-flow@example.com")
    local redirect = assert(smartcar.parse_redirect(location, state))
    assert.equal(state, redirect.state)
    local uid = redirect.user_id
    assert.matches(UUID, uid)

    -- 2. an application token (client credentials); the calls below
    -- fetch and cache their own
    local tok = assert(smartcar.get_app_token { client = auth })
    assert.equal("Bearer", tok.token_type)
    assert.equal(3600, tok.expires_in)
    assert.is_false(smartcar.is_expired(tok.expiration, 60))

    -- 3. the user's connections, two a page
    helper.clear_log()
    local connections, by_vehicle = {}, {}
    for c in smartcar.each_v3_connection({ user_id = uid },
                                         { client = auth, page_size = 2 }) do
      assert.equal("connection", c.type)
      assert.equal(uid, c.relationships.user.data.id)
      connections[#connections + 1] = c
      by_vehicle[c.relationships.vehicle.data.id] = c
    end
    assert.equal(3, #connections) -- the whole fleet was shared
    local pages = helper.logged("GET", "^/v3/connections$")
    assert.equal(2, #pages)
    assert.equal("2", pages[2].query["page[number]"])

    -- 4. signals of the electric car
    local car, id
    for vid in pairs(by_vehicle) do
      local v = smartcar.vehicle_v3(vid, { user_id = uid, client = auth })
      local info = assert(v:get_vehicle())
      if info.data.attributes.powertrain_type == "BEV" then car, id = v, vid end
    end
    assert.is_not_nil(car)
    assert.equal("TESLA", assert(car:get_vehicle()).data.attributes.make)
    local signals = assert(car:get_signals())
    local by_code = {}
    for _, s in ipairs(signals.data) do by_code[s.id] = s.attributes end
    local soc = by_code["tractionbattery-stateofcharge"]
    assert.equal("SUCCESS", soc.status.value)
    assert.equal("percent", soc.body.unit)
    assert.is_true(soc.body.value > 0 and soc.body.value <= 100)
    assert.is_true(by_code["odometer-traveleddistance"].body.value > 0)
    assert.equal(#signals.data, signals.meta.total_count)

    -- 5. unlock, then lock, read back through closure-islocked
    assert(car:security_unlock())
    local sig = assert(car:get_signal("closure-islocked"))
    assert.is_false(sig.data.attributes.body.value)
    local ex = assert(car:security_lock())
    assert.equal("command-execution", ex.data.type)
    assert.equal("SUCCESS", ex.data.attributes.status.value)
    sig = assert(car:get_signal("closure-islocked"))
    assert.equal("IsLocked", sig.data.attributes.name)
    assert.equal("Closure", sig.data.attributes.group)
    assert.is_true(sig.data.attributes.body.value)

    -- 6. start charging (plugged in first): the emulator made commands
    -- long-running, so it answers 202 at once and writes the final
    -- command-execution on the same connection when the command ends
    helper.control("POST", "/_emulator/vehicles/" .. id,
                   { plugged_in = true, charging = false,
                     percent_remaining = 0.5 })
    helper.control("POST", "/_emulator/v3/commands",
                   { mode = "async", delay_ms = 50 })
    helper.clear_log()
    ex = assert(car:charge_start())
    helper.control("POST", "/_emulator/v3/commands", { mode = "auto" })
    assert.equal("charge-start", ex.data.attributes.command_type)
    assert.equal("async", ex.data.attributes.execution_mode)
    assert.equal("SUCCESS", ex.data.attributes.status.value)
    local posted = helper.logged("POST", "/commands/charge/start$")
    assert.equal(1, #posted)
    assert.equal(202, posted[1].status)
    sig = assert(car:get_signal("charge-ischarging"))
    assert.is_true(sig.data.attributes.body.value)

    -- 7. a signed v4 webhook on a loopback receiver: the car subscribed
    -- to a webhook (Management API v3); the emulator sends VERIFY
    -- (unsigned) and a signed VEHICLE_STATE; receive_webhook answers the
    -- one and verifies the other
    local srv = assert(socket.bind("127.0.0.1", 0))
    srv:settimeout(10)
    local _, port = srv:getsockname()
    -- registering sends a VERIFY at once: answered while curl waits
    helper.register_webhook_async("lua-v3-flow", port)
    local seen = smartcar.webhook_seen()
    assert.equal("VERIFY", assert(serve_one(srv, seen)).event_type)
    local made = assert(smartcar.create_subscription("lua-v3-flow", uid, id,
                                                     { client = auth }))
    assert.equal("subscription creation in progress", made.meta.message)
    local verify, _, sig = serve_one(srv, seen)
    assert.equal("VERIFY", assert(verify).event_type)
    assert.is_nil(sig) -- Smartcar does not sign VERIFY
    local state, body
    state, _, sig, body = serve_one(srv, seen)
    srv:close()
    assert.is_string(sig)
    assert.equal("VEHICLE_STATE", assert(state).event_type)
    assert.is_true(state.first_delivery)
    assert.is_false(state.duplicate)
    assert.equal(uid, state.user_id)
    assert.equal(id, state.vehicle_id)
    local values = {}
    for _, row in ipairs(assert(smartcar.signal_rows(state))) do
      values[row.code] = row.value
    end
    assert.is_true(values["closure-islocked"])
    assert.is_true(values["charge-ischarging"])
    local _, bad = smartcar.receive_webhook(helper.amt, sig, body .. " ")
    assert.equal("bad_signature", bad.kind)
    local subscribed = {}
    for s in smartcar.each_subscription({ webhook_id = "lua-v3-flow" },
                                        { client = auth }) do
      subscribed[#subscribed + 1] = s.relationships.vehicle.data.id
    end
    assert.same({ id }, subscribed)
    helper.control("DELETE", "/_emulator/webhooks/lua-v3-flow")

    -- 8. delete the connection: its vehicle is out of reach
    local gone = by_vehicle[id].id
    assert(smartcar.delete_connection(gone, { client = auth }))
    local data, err = car:get_signal("closure-islocked")
    assert.is_nil(data)
    assert.equal("RESOURCE_NOT_FOUND", err.type)
    assert.equal(404, err.status_code)
    data, err = smartcar.get_connection(gone, { client = auth })
    assert.is_nil(data)
    assert.equal("RESOURCE_NOT_FOUND", err.type)
    -- the other connections stay
    local left = 0
    for _ in smartcar.each_v3_connection({ user_id = uid },
                                         { client = auth }) do
      left = left + 1
    end
    assert.equal(2, left)
  end)

  it("runs examples/v3_quickstart.lua against the emulator", function()
    local q = helper.sh_quote
    local cmd = table.concat({ "env", "LUA_PATH=" .. q(package.path),
      "LUA_CPATH=" .. q(package.cpath),
      "SMARTCAR_API_V3_ORIGIN=" .. q(helper.url()),
      "SMARTCAR_CONNECT_ORIGIN=" .. q(helper.url()),
      "SMARTCAR_CLIENT_ID=" .. q(helper.client_id),
      "SMARTCAR_CLIENT_SECRET=" .. q(helper.client_secret),
      "SMARTCAR_REDIRECT_URI=" .. q(helper.redirect_uri),
      jit and "luajit" or "lua5.4",
      q(helper.root .. "/examples/v3_quickstart.lua") }, " ")
    local function run(args)
      local p = assert(io.popen(cmd .. args .. " 2>&1"))
      local out = p:read("*a")
      assert(p:close(), out)
      return out
    end
    local url, state = run(""):match("^(%S+)\n(%S+)\n$")
    assert.matches("/oauth/authorize%?", url)
    local location = helper.browse_connect(url, "lua-v3-example@example.com")
    local out = run(" " .. q(location) .. " " .. q(state))
    assert.matches("^user %x+%-%x+%-%x+%-%x+%-%x+\n", out)
    assert.matches("\napplication token: Bearer, 3600 s\n", out)
    local n = 0
    for line in out:gmatch("vehicle [^\n]+") do
      n = n + 1
      assert.matches(" odometer %d+%.%d kilometers$", line)
    end
    assert.equal(3, n)
    assert.matches(": SUCCESS\nclosure%-islocked: true\n$", out)
  end)
end)
