-- The whole v2 flow against the emulator: Connect URL -> approve ->
-- redirect -> code exchange -> user -> vehicles -> odometer (both unit
-- systems) -> refresh -> rotation with grace -> old refresh token refused.

local smartcar = require "smartcar"
local helper = require "helper"

local KM_TO_MILES = 0.621371

describe("the v2 flow", function()
  -- Origins given explicitly (the module default is configured too).
  local auth
  helper.spec_auth_client(setup, teardown, function(a) auth = a end, true)

  it("puts every option in the Connect URL", function()
    local url, state = auth:get_auth_url(
      { "read_vehicle_info", "required:read_odometer" },
      {
        force_prompt = true,
        state = "state-with spaces&symbols",
        make_bypass = "TESLA",
        single_select = { enabled = true, vin = "5YJSA1E14FF101307" },
        flags = { country = "DE", beta = true },
        user = "user-42",
      })
    assert.equal("state-with spaces&symbols", state)
    assert.equal(helper.url() .. "/oauth/authorize",
                 url:match("^[^?]*"))
    local q = helper.query(url)
    assert.same({
      response_type = "code",
      client_id = helper.client_id,
      redirect_uri = helper.redirect_uri,
      approval_prompt = "force",
      scope = "read_vehicle_info required:read_odometer",
      mode = "test",
      state = "state-with spaces&symbols",
      make = "TESLA",
      single_select = "true",
      single_select_vin = "5YJSA1E14FF101307",
      flags = "beta:true country:DE",
      user = "user-42",
    }, q)
  end)

  it("makes a random state and sends approval_prompt=auto by default",
     function()
    local url1, state1 = auth:get_auth_url({ "read_odometer" })
    local _, state2 = auth:get_auth_url({ "read_odometer" })
    assert.matches("^%x+$", state1)
    assert.not_equal(state1, state2)
    local q = helper.query(url1)
    assert.equal(state1, q.state)
    assert.equal("auto", q.approval_prompt)
    assert.is_nil(q.single_select)
    assert.is_nil(q.make)
  end)

  it("runs from Connect to the Vehicle API and refreshes", function()
    local started = os.time()

    -- Connect: the owner approves.
    local url, state = auth:get_auth_url(
      { "read_vehicle_info", "read_odometer" },
      { force_prompt = true, flags = { country = "US" }, user = "owner-1" })
    local location = helper.connect(url)
    assert.matches("^" .. helper.redirect_uri:gsub("%p", "%%%0") .. "%?",
                   location)

    -- The redirect, with the state checked.
    local redirect = assert(smartcar.parse_redirect(location, state))
    assert.equal(state, redirect.state)
    assert.equal("string", type(redirect.code))

    -- Code exchange.
    local token = assert(auth:exchange_code(redirect.code))
    assert.equal("string", type(token.access_token))
    assert.equal("string", type(token.refresh_token))
    assert.equal("Bearer", token.token_type)
    assert.equal("integer", helper.math_type(token.expires_in))
    assert.equal(7200, token.expires_in)
    -- Unix seconds (the core keeps millisecond precision).
    assert.equal("number", type(token.expiration))
    assert.equal("number", type(token.refresh_expiration))
    assert.near(started + 7200, token.expiration, 120)
    assert.near(started + 60 * 24 * 3600, token.refresh_expiration, 120)

    -- User.
    local user = assert(smartcar.get_user(token.access_token))
    assert.equal("string", type(user.id))
    assert.equal("table", type(user.meta))
    assert.equal("string", type(user.meta.request_id))

    -- Vehicles, then a page of them.
    local list = assert(smartcar.get_vehicles(token.access_token))
    assert.equal(3, #list.vehicles)
    assert.is_true(smartcar.is_array(list.vehicles))
    assert.equal(3, list.paging.count)
    assert.equal(0, list.paging.offset)
    assert.equal("string", type(list.meta.request_id))
    local page = assert(smartcar.get_vehicles(token.access_token,
                                              { limit = 2, offset = 1 }))
    assert.same({ list.vehicles[2], list.vehicles[3] }, page.vehicles)
    assert.equal(1, page.paging.offset)

    -- Odometer, metric then imperial.
    local car = smartcar.vehicle(list.vehicles[1], token.access_token)
    local metric = assert(car:odometer())
    assert.equal("number", type(metric.distance))
    assert.is_true(metric.distance > 0)
    assert.equal("metric", metric.meta.unit_system)
    assert.equal("string", type(metric.meta.request_id))
    assert.equal("string", type(metric.meta.data_age))
    for k in pairs(metric.meta) do
      assert.is_true(k == "data_age" or k == "unit_system"
        or k == "request_id" or k == "fetched_at", k)
    end

    local imperial_car = smartcar.vehicle(list.vehicles[1],
      token.access_token, { unit_system = "imperial" })
    local imperial = assert(imperial_car:odometer())
    assert.equal("imperial", imperial.meta.unit_system)
    assert.near(metric.distance * KM_TO_MILES, imperial.distance, 0.01)
    -- A per-call override works as well.
    local again = assert(car:odometer { unit_system = "imperial" })
    assert.near(imperial.distance, again.distance, 0.01)
    assert.not_equal(metric.meta.request_id, imperial.meta.request_id)

    -- Refresh: a new pair, the new access token works.
    local refreshed = assert(auth:exchange_refresh_token(token.refresh_token))
    assert.not_equal(token.refresh_token, refreshed.refresh_token)
    assert.not_equal(token.access_token, refreshed.access_token)
    assert(smartcar.get_user(refreshed.access_token))

    -- Past the grace period the old refresh token is refused...
    helper.advance_clock(61)
    local none, err = auth:exchange_refresh_token(token.refresh_token)
    assert.is_nil(none)
    assert.equal("oauth", err.kind)
    assert.equal("invalid_grant", err.type)
    helper.assert_no_secrets(err, { token.refresh_token, token.access_token,
                                    helper.client_secret })

    -- ...and the new one still works.
    local third = assert(auth:exchange_refresh_token(refreshed.refresh_token))
    local me = assert(smartcar.get_user(third.access_token))
    assert.equal(user.id, me.id)
  end)

  it("has a method per vehicle call of the endpoint table", function()
    local url = auth:get_auth_url({ "read_vehicle_info", "read_odometer" })
    local redirect = assert(smartcar.parse_redirect(helper.connect(url)))
    local token = assert(auth:exchange_code(redirect.code))
    local list = assert(smartcar.get_vehicles(token.access_token))
    local car = smartcar.vehicle(list.vehicles[1], token.access_token)
    for _, name in ipairs { "attributes", "location", "lock", "unlock",
                            "set_charge_limit", "permissions", "batch" } do
      assert.is_function(car[name], name)
    end
    -- Account-level calls stay module functions.
    assert.is_nil(car.get_user)
    assert.is_nil(car.get_vehicles)

    local attrs = assert(car:attributes())
    assert.equal(car.id, attrs.id)
    assert.equal("string", type(attrs.make))
    assert.equal("string", type(attrs.meta.request_id))
    local perms = assert(car:permissions { limit = 1 })
    assert.is_true(smartcar.is_array(perms.permissions))
    assert.is_true(#perms.permissions <= 1)
    local same = assert(car:call("attributes"))
    assert.equal(attrs.model, same.model)

    -- A call the token has no permission for: an API error, not a raise.
    local vin, err = car:vin()
    helper.assert_api_error(vin, err, "PERMISSION", 403, { token.access_token })
  end)

  it("reuses one connection for repeated calls", function()
    local url = auth:get_auth_url({ "read_odometer" })
    local redirect = assert(smartcar.parse_redirect(helper.connect(url)))
    local token = assert(auth:exchange_code(redirect.code))
    local client = helper.core_client()
    for _ = 1, 5 do
      assert(smartcar.get_user(token.access_token, { client = client }))
    end
    local list = assert(smartcar.get_vehicles(token.access_token, nil,
                                              { client = client }))
    local car = smartcar.vehicle(list.vehicles[1], token.access_token,
                                 { client = client })
    assert(car:odometer())
    assert.equal(1, client:connections_opened())
    client:close()
  end)

  it("shares the default client between module calls and vehicles",
     function()
    local url = auth:get_auth_url({ "read_odometer" })
    local redirect = assert(smartcar.parse_redirect(helper.connect(url)))
    local token = assert(auth:exchange_code(redirect.code))
    local client = smartcar.default_client()
    assert.equal(client, smartcar.default_client())
    local before = client:connections_opened()
    local list = assert(smartcar.get_vehicles(token.access_token))
    assert(smartcar.vehicle(list.vehicles[2], token.access_token):odometer())
    assert(smartcar.get_user(token.access_token))
    assert.is_true(client:connections_opened() <= math.max(before, 1))
  end)
end)
