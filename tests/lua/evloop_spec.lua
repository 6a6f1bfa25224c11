-- Requests that never block (client:start / car:start, client:poll) over
-- the core's sc_async: a 60 fps game loop reading 100 vehicles against a
-- 200 ms latency, token stores, callbacks, cancelling, and the sockets
-- and timeout for engines with a loop of their own.

local smartcar = require "smartcar"
local helper = require "helper"

-- CPU seconds one poll may take in a frame.  The target is 1-2 ms; the
-- bound is generous (a loaded 2-core machine, sanitizer builds) and
-- still far below what one blocking read costs a frame (200 ms).
local FRAME_POLL_BOUND = 0.010

local function frame_sleep()
  os.execute("sleep 0.016")
end

describe("start/poll", function()
  local fleet

  setup(function()
    helper.url()
    helper.reset()
    fleet = helper.fleet { email = "evloop@example.com" }
  end)

  it("reads 100 vehicles in a 60 fps loop without a long frame", function()
    local client = smartcar.default_client()
    helper.control("POST", "/_emulator/faults", {
      match = { method = "GET", path = "/v2.0/vehicles/*/odometer" },
      count = 100, fault = { type = "latency", ms = 200 } })
    local ids = fleet.vehicles
    local reqs, called = {}, 0
    for i = 1, 100 do
      local car = smartcar.vehicle(ids[(i - 1) % #ids + 1],
                                   fleet.token.access_token)
      reqs[i] = car:start("odometer", function(data, err, req)
        if err == nil and req.data == data then called = called + 1 end
      end)
      assert.is_false(reqs[i]:done())
    end
    local _, err = reqs[1]:result()
    assert.equal("pending", err.kind)
    local worst, frames, finished = 0, 0, 0
    while finished < 100 and frames < 600 do
      frames = frames + 1
      local t0 = os.clock()
      local done = client:poll()
      local spent = os.clock() - t0
      -- the first frame starts 100 connections
      if frames > 1 and spent > worst then worst = spent end
      finished = finished + #done
      if finished < 100 then frame_sleep() end
    end
    assert.equal(100, finished)
    assert.equal(100, called)
    -- several frames passed: the reads did not block the loop
    assert.is_true(frames > 5, "frames: " .. frames)
    for i = 1, 100 do
      assert.is_true(reqs[i]:done())
      local data = assert(reqs[i]:result())
      assert.is_true(data.distance > 0)
    end
    print(("\n  60 fps loop: %d frames, worst poll %.2f ms CPU")
      :format(frames, worst * 1000))
    assert.is_true(worst < FRAME_POLL_BOUND,
      ("a poll took %.2f ms of CPU"):format(worst * 1000))
  end)

  it("refreshes a stored token after a 401", function()
    local store = smartcar.token_store(":memory:")
    local auth = helper.auth_client()
    finally(function() auth:close(); store:close() end)
    local tok = {}
    for k, v in pairs(fleet.token) do tok[k] = v end
    tok.access_token = "stale-lua-evloop-token"
    store:put("k", tok)
    -- refreshing takes the application's credentials
    local car = smartcar.vehicle(fleet.bev.id, { store = store, key = "k" },
                                 { client = auth })
    local req = car:start("odometer")
    for _ = 1, 600 do
      if #auth:poll() > 0 then break end
      frame_sleep()
    end
    assert.is_true(req:done())
    local data, err = req:result()
    assert.is_nil(err)
    assert.is_true(data.distance > 0)
    local now = assert(store:get("k"))
    assert.not_equal("stale-lua-evloop-token", now.access_token)
    assert.not_equal(fleet.token.refresh_token, now.refresh_token)
  end)

  it("gives errors, cancels, and shows its sockets and timeout", function()
    local client = smartcar.default_client()
    -- the answer comes late: the request waits on its socket meanwhile
    helper.control("POST", "/_emulator/faults", {
      match = { method = "GET", path = "/v2.0/vehicles/*/odometer" },
      count = 1, fault = { type = "latency", ms = 200 } })
    local bad = client:start("odometer", { vehicle_id = fleet.bev.id,
                                           access_token = "bad-token" })
    local gone = client:start("odometer", {
      vehicle_id = fleet.bev.id,
      access_token = fleet.token.access_token })
    assert.equal(0, client:timeout_ms())
    assert.is_true(gone:cancel())
    assert.is_false(gone:cancel())
    assert.equal("cancelled", select(2, gone:result()).kind)
    -- one descriptor for every socket (Linux): the same each time, and
    -- the sockets are still listed for loops that watch each one
    local fd = client:fd()
    if fd ~= nil then
      assert.equal("number", type(fd))
      assert.equal(fd, client:fd())
    end
    local saw_socket = false
    for _ = 1, 600 do
      local done = client:poll()
      for _, w in ipairs(client:fds()) do
        assert.equal("number", type(w.fd))
        saw_socket = saw_socket or w.read or w.write
      end
      if #done > 0 then
        assert.equal(bad, done[1])
        break
      end
      frame_sleep()
    end
    local data, err = bad:result()
    assert.is_nil(data)
    assert.equal("AUTHENTICATION", err.type)
    assert.is_true(saw_socket)
    assert.equal(0, client:async_count())
    assert.is_nil(client:timeout_ms())
    assert.has_error(function() client:start(42) end)
    assert.has_error(function() client:start("no_such_endpoint") end)
  end)
end)
