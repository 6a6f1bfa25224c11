-- Vehicle API v3 against the emulator: a Connect access token, the
-- application token (client credentials, cached per client) with
-- sc-user-id, a token store, get_app_token, the new client options, and
-- errors without secrets.

local smartcar = require "smartcar"
local helper = require "helper"

local raises, clear_log, logged = helper.raises, helper.clear_log, helper.logged

local POWERTRAINS = { BEV = true, PHEV = true, ICE = true }

describe("Vehicle API v3", function()
  local auth, fleet
  helper.spec_auth_client(setup, teardown, function(a)
    auth = a
    fleet = helper.fleet { email = "v3-owner@example.com" }
  end, true)

  it("has the v3 origins as client options", function()
    local u = helper.url()
    assert.equal("string", smartcar.core.client_options.vehicle_api_origin)
    assert.equal("string", smartcar.core.client_options.iam_origin)
    assert.equal(u, auth:get("vehicle_api_origin"))
    assert.equal(u, auth:get("iam_origin"))
    local c = smartcar.core.client { vehicle_api_origin = "https://v3.example",
                                     iam_origin = "https://iam.example" }
    assert.equal("https://v3.example", c:get("vehicle_api_origin"))
    assert.equal("https://iam.example", c:get("iam_origin"))
    c:close()
    -- with a v3 origin set, the v3 management host follows it
    c = smartcar.core.client { vehicle_api_origin = "https://v3.example" }
    assert.equal("https://v3.example", c:get("management_v3_origin"))
    c:close()
    assert.matches("vehicle_api_origin", raises(smartcar.configure,
      { vehicle_api_origin = 42 }))
  end)

  it("runs v3 commands that change the car", function()
    local id = fleet.vehicles[1]
    local token = fleet.token.access_token
    local v = smartcar.vehicle_v3(id, { access_token = token })
    local car = fleet.by_id[id]
    local ex = assert(car:security_lock())
    assert.equal("command-execution", ex.data.type)
    assert.equal("security-lock", ex.data.attributes.command_type)
    local sig = assert(v:get_signal("closure-islocked"))
    assert.is_true(sig.data.attributes.body.value)
    assert(car:security_unlock())
    sig = assert(v:get_signal("closure-islocked"))
    assert.is_false(sig.data.attributes.body.value)
    local _, err = car:charge_set_limit(20)
    assert.equal("VALIDATION", err.type)
  end)

  it("has a method for every v3 call about a vehicle", function()
    local v = smartcar.vehicle_v3(fleet.vehicles[2],
                                  { user_id = fleet.user_id, client = auth })
    local names = {}
    for _, name in ipairs(smartcar.core.endpoints()) do
      local info = smartcar.core.endpoint_info(name)
      if info.host == "v3" and info.vehicle == "1" then
        assert.is_function(v[name], name)
        names[#names + 1] = name
      end
    end
    for _, name in ipairs { "charge_start", "charge_stop", "charge_set_limit",
                            "security_lock", "security_unlock",
                            "navigation_set_destination" } do
      assert.is_function(v[name], name)
    end
    assert.is_true(#names >= 9)
    -- with the application token and sc-user-id
    local ex = assert(v:security_lock())
    assert.equal("security-lock", ex.data.attributes.command_type)
    assert.is_true(assert(v:get_signal("closure-islocked"))
                     .data.attributes.body.value)
    ex = assert(v:charge_set_limit(65))
    assert.equal(65, ex.data.attributes.parameters.percent)
    local sig = assert(v:get_signal("charge-activelimit"))
    assert.equal(65, sig.data.attributes.body.value)
    local _, err = v:charge_set_limit(20)
    assert.equal("VALIDATION", err.type)
    assert(v:navigation_set_destination(48.8566, 2.3522))
    assert(v:security_unlock())
    assert.is_false(assert(v:get_signal("closure-islocked"))
                      .data.attributes.body.value)
    assert.matches("percent", raises(v.charge_set_limit, v, "x"))
    assert.matches("latitude", raises(v.navigation_set_destination, v))
    assert.matches("security_lock", raises(v.security_lock, {}))
  end)

  it("reads the vehicle and its signals with a Connect access token",
     function()
    local id = fleet.vehicles[1]
    local v = smartcar.vehicle_v3(id, { access_token = fleet.token.access_token })
    assert.equal("smartcar.VehicleV3 (" .. id .. ")", tostring(v))
    local doc = assert(v:get_vehicle())
    assert.equal(id, doc.data.id)
    assert.equal("vehicle", doc.data.type)
    local a = doc.data.attributes
    assert.is_true(POWERTRAINS[a.powertrain_type], a.powertrain_type)
    local v2 = assert(fleet.by_id[id]:attributes())
    assert.equal(v2.make, a.make)
    assert.equal(v2.model, a.model)
    assert.equal(v2.year, a.year)
    assert.equal("TEST", a.mode)
    assert.is_string(doc.meta.request_id)

    local sig = assert(v:get_signal("odometer-traveleddistance"))
    assert.equal("odometer-traveleddistance", sig.data.id)
    assert.equal("SUCCESS", sig.data.attributes.status.value)
    assert.equal("kilometers", sig.data.attributes.body.unit)
    assert.is_number(sig.data.attributes.body.value)
    assert.is_number(sig.data.meta.retrieved_at)

    local miles = assert(v:get_signal("odometer-traveleddistance",
                                      { unit_system = "imperial" }))
    assert.equal("miles", miles.data.attributes.body.unit)

    local page = assert(v:get_signals { page = 2, page_size = 4 })
    assert.is_true(smartcar.is_array(page.data))
    assert.equal(4, #page.data)
    assert.equal(2, page.meta.page)
    assert.equal(4, page.meta.page_size)
    assert.equal(12, page.meta.total_count)
    assert.equal(id, page.included.vehicle.id)

    -- the request carried the Connect token and no sc-user-id
    clear_log()
    assert(v:get_vehicle())
    local reqs = logged("GET", "^/v3/vehicles/")
    assert.equal(1, #reqs)
    assert.equal("Bearer " .. fleet.token.access_token,
                 reqs[1].headers.authorization)
    assert.is_nil(reqs[1].headers["sc-user-id"])
  end)

  it("uses a cached application token with sc-user-id from user_id",
     function()
    local user = assert(smartcar.get_user(fleet.token.access_token)).id
    assert.equal(fleet.user_id, user)
    local client = helper.core_client {
      client_id = helper.client_id, client_secret = helper.client_secret,
    }
    local id = fleet.vehicles[2]
    local v = smartcar.vehicle_v3(id, { user_id = user, client = client })
    clear_log()
    local doc = assert(v:get_vehicle())
    assert.equal(id, doc.data.id)
    assert.is_true(POWERTRAINS[doc.data.attributes.powertrain_type])
    local sig = assert(v:get_signal("vehicleidentification-vin"))
    assert.is_string(sig.data.attributes.body.value)
    local page = assert(v:get_signals { page_size = 100 })
    assert.equal(12, #page.data)

    -- one client-credentials grant for all three calls
    local grants = logged("POST", "^/oauth2/token$")
    assert.equal(1, #grants)
    local reqs = logged("GET", "^/v3/vehicles/")
    assert.equal(3, #reqs)
    for _, r in ipairs(reqs) do
      assert.equal(user, r.headers["sc-user-id"])
      assert.not_equal("Bearer " .. fleet.token.access_token,
                       r.headers.authorization)
    end
    client:close()
  end)

  it("renews the application token after it expired", function()
    local client = helper.core_client {
      client_id = helper.client_id, client_secret = helper.client_secret,
    }
    local v = smartcar.vehicle_v3(fleet.vehicles[1],
                                  { user_id = fleet.user_id, client = client })
    assert(v:get_vehicle())
    -- past the application token's 3600 s, not the Connect token's 7200 s
    helper.advance_clock(3700)
    clear_log()
    assert(v:get_vehicle())
    assert.equal(1, #logged("POST", "^/oauth2/token$"))
    helper.advance_clock(-3700)
    client:close()
  end)

  it("takes a Connect token from a token store", function()
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    local expired = {}
    for k, x in pairs(fleet.token) do expired[k] = x end
    expired.expiration = os.time() - 5
    assert(store:put("owner", expired))
    local v = smartcar.vehicle_v3(fleet.vehicles[3],
                                  { store = store, key = "owner",
                                    client = auth })
    local doc = assert(v:get_vehicle())
    assert.equal(fleet.vehicles[3], doc.data.id)
    assert.not_equal(fleet.token.refresh_token,
                     assert(store:get("owner")).refresh_token)
    -- the fleet's own token set is now rotated: keep using the store's
    fleet.token = assert(store:get("owner"))
  end)

  it("fetches an application token explicitly", function()
    local tok = assert(smartcar.get_app_token { client = auth })
    assert.is_string(tok.access_token)
    assert.equal("Bearer", tok.token_type)
    assert.equal(3600, tok.expires_in)
    assert.is_false(smartcar.is_expired(tok.expiration, 60))
    -- usable as an access token with sc-user-id
    local v = smartcar.vehicle_v3(fleet.vehicles[1],
                                  { access_token = tok.access_token,
                                    user_id = fleet.user_id })
    assert(v:get_vehicle())
    -- credentials given in the options override the client's
    local other = assert(smartcar.get_app_token {
      client = helper.core_client(),
      client_id = helper.client_id, client_secret = helper.client_secret,
    })
    assert.is_string(other.access_token)
  end)

  it("returns errors without tokens or secrets", function()
    -- a wrong client secret for the application token
    local bad = helper.auth_client { client_secret = "wrong-secret-0123456789" }
    local v = smartcar.vehicle_v3(fleet.vehicles[1],
                                  { user_id = fleet.user_id, client = bad })
    local data, err = v:get_vehicle()
    assert.is_nil(data)
    assert.is_true(smartcar.is_error(err))
    assert.equal(401, err.status_code)
    helper.assert_no_secrets(err, { "wrong-secret-0123456789" })
    local t, terr = smartcar.get_app_token { client = bad }
    assert.is_nil(t)
    helper.assert_no_secrets(terr, { "wrong-secret-0123456789" })
    bad:close()

    -- an unknown access token
    local token = "bogus-v3-access-token-0123456789"
    local w = smartcar.vehicle_v3(fleet.vehicles[1], { access_token = token })
    local d2, e2 = w:get_signal("closure-islocked")
    assert.is_nil(d2)
    assert.equal("api", e2.kind)
    assert.equal("AUTHENTICATION", e2.type)
    helper.assert_no_secrets(e2, { token })

    -- an unknown signal code
    local c = smartcar.vehicle_v3(fleet.vehicles[1],
                                  { access_token = fleet.token.access_token })
    local d3, e3 = c:get_signal("nope-nothing")
    assert.is_nil(d3)
    assert.equal(404, e3.status_code)
    assert.equal("RESOURCE_NOT_FOUND", e3.type)
    helper.assert_no_secrets(e3, { fleet.token.access_token })
  end)

  it("checks its arguments", function()
    assert.matches("user_id", raises(smartcar.vehicle_v3, "id", {}))
    assert.matches("user_id", raises(smartcar.vehicle_v3, "id"))
    assert.matches("vehicle id", raises(smartcar.vehicle_v3, nil,
      { user_id = "u" }))
    assert.matches("unknown option", raises(smartcar.vehicle_v3, "id",
      { user_id = "u", colour = "red" }))
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close() end)
    assert.matches("not both", raises(smartcar.vehicle_v3, "id",
      { access_token = "t", store = store, key = "k" }))
    local v = smartcar.vehicle_v3("id", { user_id = "u" })
    assert.matches("page_size", raises(v.get_signals, v, { page_size = 0 }))
    assert.matches("page", raises(v.get_signals, v, { page = 1.5 }))
    assert.matches("unknown option", raises(v.get_signals, v, { size = 1 }))
    assert.matches("code", raises(v.get_signal, v, ""))
    assert.matches("':'", raises(v.get_vehicle, {}))
    assert.matches("unknown option", raises(smartcar.get_app_token,
      { colour = "red" }))
  end)
end)

describe("Vehicle API v3 with a token store", function()
  it("refreshes the stored Connect token when v3 answers 401", function()
    helper.url()
    helper.reset()
    local auth = helper.auth_client()
    local fleet = helper.fleet { email = "v3-store-401@example.com" }
    local store = assert(smartcar.token_store(":memory:"))
    finally(function() store:close(); auth:close() end)
    assert(store:put("owner", fleet.token))
    local v = smartcar.vehicle_v3(fleet.vehicles[1],
                                  { store = store, key = "owner",
                                    client = auth })
    helper.advance_clock(7300)
    clear_log()
    local sig = assert(v:get_signal("closure-islocked"))
    assert.is_boolean(sig.data.attributes.body.value)
    local reqs = logged("GET", "^/v3/vehicles/")
    assert.equal(2, #reqs)
    assert.equal(401, reqs[1].status)
    assert.equal(200, reqs[2].status)
    assert.not_equal(fleet.token.refresh_token,
                     assert(store:get("owner")).refresh_token)
    helper.reset()
  end)
end)
