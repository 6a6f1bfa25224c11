-- API v3 in Lua: Connect gives the user id, the client fetches and caches
-- the application token, then the user's connections, each vehicle's
-- odometer signal, and a lock command read back through closure-islocked.
--
--   lua5.4 v3_quickstart.lua                     prints the Connect URL, then its state
--   lua5.4 v3_quickstart.lua REDIRECT_URL STATE  once the owner has approved
--
-- Origins: SMARTCAR_API_V3_ORIGIN (the IAM and management v3 hosts follow
-- it), SMARTCAR_CONNECT_ORIGIN; credentials: SMARTCAR_CLIENT_ID, _SECRET,
-- SMARTCAR_REDIRECT_URI.
local smartcar = require "smartcar"

local auth = smartcar.auth_client {}
local redirect_url, state = arg[1], arg[2]

if not state then -- 1. where to send the owner
  local url, new_state = auth:get_auth_url { "read_vehicle_info",
    "read_odometer", "read_security", "control_security" }
  print(url)
  print(new_state)
  return
end

-- 2. the redirect carries the user id (checked against the state)
local redirect = assert(smartcar.parse_redirect(redirect_url, state))
local user_id = redirect.user_id
print("user " .. user_id)

-- 3. the application token: every call below fetches and caches it by
-- itself; asked for here to show it
local token = assert(smartcar.get_app_token { client = auth })
print(("application token: %s, %d s"):format(token.token_type,
                                              token.expires_in))

-- 4. the user's connections, page after page, and each vehicle's odometer
local cars = {}
for connection in smartcar.each_v3_connection({ user_id = user_id },
                                              { client = auth }) do
  local id = connection.relationships.vehicle.data.id
  local car = smartcar.vehicle_v3(id, { user_id = user_id, client = auth })
  local odometer = assert(car:get_signal("odometer-traveleddistance"))
  local body = odometer.data.attributes.body
  print(("vehicle %s  odometer %.1f %s"):format(id, body.value, body.unit))
  cars[#cars + 1] = car
end

-- 5. a command, read back through its signal
local execution = assert(cars[1]:security_lock())
print(("lock %s: %s"):format(cars[1].id,
                             execution.data.attributes.status.value))
local locked = assert(cars[1]:get_signal("closure-islocked"))
print("closure-islocked: " .. tostring(locked.data.attributes.body.value))
