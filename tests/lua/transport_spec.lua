-- Transport limits that show in Lua: an answer past libcurl's header limit
-- is `nil, err` (response too large), never a raised "not enough memory".

local smartcar = require "smartcar"
local core = require "smartcar.core"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

-- Start the oversized-header server (size bytes); its URL and a closer.
local function start_server(size)
  local python = os.getenv("PYTHON") or "python3"
  local cmd = ("%s %s/oversized_header_server.py %d"):format(python, here,
                                                             size)
  -- stdin of the server is this pipe: closing it stops the server
  local out = os.tmpname()
  local pipe = assert(io.popen(cmd .. " > " .. out, "w"))
  local url
  for _ = 1, 200 do
    local f = io.open(out, "r")
    url = f and f:read("l")
    if f then f:close() end
    if url and url:match("^http://") then break end
    os.execute("sleep 0.05")
  end
  return url, function() pipe:close(); os.remove(out) end
end

-- An odometer read through a client with options against a server whose
-- header is size bytes: it answers with the canned distance.
local function reads_odometer(size, options)
  local url, stop = start_server(size)
  options.api_origin = url
  local client = core.client(options)
  local car = smartcar.vehicle("veh-1", "tok-1", { client = client })
  local res, err = car:odometer()
  client:close()
  stop()
  assert.is_nil(err)
  assert.equal(1234.5, res.distance)
end

describe("transport", function()
  it("a header over 100 KB is nil, err of kind response_too_large", function()
    local url, stop = start_server(150 * 1024)
    assert.truthy(url)
    local client = core.client { api_origin = url, max_attempts = 1 }
    local car = smartcar.vehicle("veh-1", "tok-1", { client = client })
    local ok, res, err = pcall(car.odometer, car)
    client:close()
    stop()
    assert.is_true(ok, tostring(res))
    assert.is_nil(res)
    assert.equal("response_too_large", err.kind)
    assert.matches("header", err.message)
  end)

  it("a large header within the limit is read", function()
    reads_odometer(50 * 1024, { max_attempts = 1 })
  end)

  it("takes connection_pool_size and max_cooldown_ms", function()
    reads_odometer(10, { connection_pool_size = 4, max_cooldown_ms = 5000 })
    assert.has_error(function() core.client { max_cooldown_ms = -1 } end)
  end)
end)
