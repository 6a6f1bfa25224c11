-- Error mapping against the emulator.  Every failure is `nil, err` with
-- the documented fields, and no error text carries a token, a secret or an
-- authorization code.

local smartcar = require "smartcar"
local helper = require "helper"

-- Approve a fresh authorization and return the code (and the auth URL).
local function fresh_code(auth, options)
  local url = auth:get_auth_url({ "read_vehicle_info", "read_odometer" })
  local redirect = assert(smartcar.parse_redirect(helper.connect(url, options)))
  return redirect.code, url
end

describe("errors", function()
  local auth
  helper.spec_auth_client(setup, teardown, function(a) auth = a end)

  before_each(function()
    helper.reset()
  end)

  it("wrong client secret: oauth invalid_client, 401", function()
    local code = fresh_code(auth)
    local wrong_secret = "not-the-secret-8c1f9e"
    local bad = helper.auth_client { client_secret = wrong_secret }
    finally(function() bad:close() end)
    local token, err = bad:exchange_code(code)
    assert.is_nil(token)
    assert.equal("oauth", err.kind)
    assert.equal("invalid_client", err.type)
    assert.equal(401, err.status_code)
    assert.equal("string", type(err.message))
    assert.equal(err.message, tostring(err))
    helper.assert_no_secrets(err, { wrong_secret, code,
                                    helper.client_secret })
  end)

  it("reused code: oauth invalid_grant", function()
    local code = fresh_code(auth)
    local token = assert(auth:exchange_code(code))
    local again, err = auth:exchange_code(code)
    assert.is_nil(again)
    assert.equal("oauth", err.kind)
    assert.equal("invalid_grant", err.type)
    assert.equal(400, err.status_code)
    helper.assert_no_secrets(err, { code, helper.client_secret,
                                    token.access_token, token.refresh_token })
  end)

  it("expired code: oauth invalid_grant", function()
    local code = fresh_code(auth)
    helper.advance_clock(601)
    local token, err = auth:exchange_code(code)
    assert.is_nil(token)
    assert.equal("oauth", err.kind)
    assert.equal("invalid_grant", err.type)
    helper.assert_no_secrets(err, { code, helper.client_secret })
  end)

  it("state mismatch: kind state_mismatch", function()
    local url, state = auth:get_auth_url({ "read_odometer" })
    local location = helper.connect(url)
    local code = helper.query(location).code
    local data, err = smartcar.parse_redirect(location, state .. "-forged")
    assert.is_nil(data)
    assert.equal("state_mismatch", err.kind)
    assert.equal(smartcar.error_mt, getmetatable(err))
    helper.assert_no_secrets(err, { code })
    -- The right state is accepted.
    assert(smartcar.parse_redirect(location, state))
  end)

  it("Connect access_denied: kind connect", function()
    local url, state = auth:get_auth_url({ "read_odometer" })
    local location = helper.connect(url, { action = "deny" })
    local data, err = smartcar.parse_redirect(location, state)
    assert.is_nil(data)
    assert.equal("connect", err.kind)
    assert.equal("access_denied", err.type)
    assert.equal("string", type(err.description))
    assert.equal(err.message, tostring(err))
  end)

  it("Connect vehicle_incompatible carries vin, make, model, year", function()
    local url, state = auth:get_auth_url({ "read_odometer" })
    local location = helper.connect(url, {
      email = "smartcar@vehicle-incompatible.com" })
    local data, err = smartcar.parse_redirect(location, state)
    assert.is_nil(data)
    assert.equal("connect", err.kind)
    assert.equal("vehicle_incompatible", err.type)
    for _, field in ipairs { "vin", "make", "model", "year" } do
      assert.equal("string", type(err[field]), field)
      assert.is_true(#err[field] > 0, field)
    end
    assert.equal("0SCAUDI012FE3B132", err.vin)
  end)

  it("invalid access token: api AUTHENTICATION, 401, request id", function()
    local bogus = "bogus-access-token-4242"
    local user, err = smartcar.get_user(bogus)
    helper.assert_api_error(user, err, "AUTHENTICATION", 401, { bogus })
    assert.equal("string", type(err.request_id))
    assert.equal("string", type(err.message))
    assert.matches("AUTHENTICATION", tostring(err))

    -- The same from a vehicle call.
    local car = smartcar.vehicle("0a1b2c3d-0000-4000-8000-000000000000", bogus)
    local odo, err2 = car:odometer()
    assert.is_nil(odo)
    assert.equal("api", err2.kind)
    assert.equal("AUTHENTICATION", err2.type)
    assert.equal(401, err2.status_code)
    helper.assert_no_secrets(err2, { bogus })
  end)

  it("carries the documented optional fields when the server sends them",
     function()
    local _, err = smartcar.get_user("another-bogus-token-77")
    -- Fields come straight from the library's error object: only names
    -- from the documented list appear.
    local known = {
      kind = true, type = true, category = true, code = true,
      description = true,
      doc_url = true, status_code = true, request_id = true,
      resolution = true, suggested_user_message = true, detail = true,
      retry_after = true, attempts = true, message = true, vin = true,
      make = true, model = true, year = true, error_message = true,
    }
    for k in pairs(err) do
      assert.is_true(known[k] ~= nil, "unexpected field " .. tostring(k))
    end
    if err.resolution ~= nil then
      assert.equal("table", type(err.resolution))
    end
    if err.attempts ~= nil then
      assert.equal("integer", helper.math_type(err.attempts))
    end
  end)
end)
