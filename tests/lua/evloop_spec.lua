-- Requests that never block (client:start / car:start, client:poll) over
-- the core's sc_async: a 60 fps game loop reading 100 vehicles against a
-- 200 ms latency, token stores, retries and cool-downs as timers, walks
-- of pages, callbacks, cancelling, and the sockets and timeout for
-- engines with a loop of their own.

local smartcar = require "smartcar"
local helper = require "helper"

-- What bounds a poll's work is counted here: the client starts or
-- finishes at most async_start_budget (8 by default) requests a poll.
-- The CPU a poll takes is timed in bench/ (bench/evloop.lua, as ratios
-- against a blocking call), never asserted in a test.
local BUDGET = 8

local function frame_sleep()
  os.execute("sleep 0.016")
end

-- Poll client once a frame until every request of reqs is done (600
-- frames at most).  Between frames, watch(frame) when given (it paces
-- the loop: a control request), else a frame's sleep.  Returns the
-- frames and the most requests one poll finished.
local function run_frames(client, reqs, watch)
  local frames, worst = 0, 0
  local function pending()
    for _, r in ipairs(reqs) do
      if not r:done() then return true end
    end
    return false
  end
  while pending() and frames < 600 do
    frames = frames + 1
    local done = client:poll()
    if #done > worst then worst = #done end
    if watch then watch(frames) else frame_sleep() end
  end
  assert.is_false(pending(), "requests still running after 600 frames")
  return frames, worst
end

local function assert_short_polls(worst)
  assert.is_true(worst <= BUDGET,
    ("a poll finished %d requests"):format(worst))
end

-- A Lua pattern matching s exactly.
local function exactly(s)
  return "^" .. s:gsub("%p", "%%%0") .. "$"
end

-- A fault on the emulator for requests to path (a glob) by method.
local function fault(method, path, spec, count)
  local status = helper.control("POST", "/_emulator/faults", {
    match = { method = method, path = path }, count = count or 1,
    fault = spec })
  assert.equal(200, status)
end

-- The next count odometer reads answer 200 ms late.
local function slow_odometers(count)
  fault("GET", "/v2.0/vehicles/*/odometer", { type = "latency", ms = 200 },
        count)
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
    slow_odometers(100)
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
    -- The client starts or finishes at most async_start_budget (8)
    -- requests a poll, so the 100 connections open over the first frames
    -- and no frame pays for all of them, nor for all the answers when a
    -- late frame finds them together.
    local most_done, most_opened, first_fds = 0, 0, nil
    local frames, finished, fds = 0, 0, 0
    while finished < 100 and frames < 600 do
      frames = frames + 1
      local done = client:poll()
      local now = #client:fds()
      most_opened = math.max(most_opened, now - fds)
      most_done = math.max(most_done, #done)
      fds = now
      first_fds = first_fds or now
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
    print(("\n  60 fps loop: %d frames, %d connections opened by the "
      .. "first; at most %d opened and %d finished by one poll")
      :format(frames, first_fds, most_opened, most_done))
    -- the first frame opened only its share, and so did every other one
    assert.is_true(first_fds >= 1 and first_fds <= BUDGET,
      "sockets after the first poll: " .. first_fds)
    assert.is_true(most_opened <= BUDGET, "opened by one poll: "
      .. most_opened)
    assert.is_true(most_done <= BUDGET, "finished by one poll: "
      .. most_done)
  end)

  it("keeps 100 requests on the wire across frames", function()
    -- a budget above the burst: all 100 go out in the first frames
    local client = helper.core_client { async_start_budget = 1000 }
    finally(function() client:close() end)
    slow_odometers(100)
    local ids = fleet.vehicles
    for i = 1, 100 do
      smartcar.vehicle(ids[(i - 1) % #ids + 1], fleet.token.access_token,
                       { client = client }):start("odometer")
    end
    -- frames polled with all 100 on the wire and none answered yet: the
    -- poll returned at once, each time, with every socket still watched
    local flying, finished, frames = 0, 0, 0
    while finished < 100 and frames < 600 do
      frames = frames + 1
      local done = client:poll()
      if finished == 0 and #done == 0 and #client:fds() >= 100 then
        flying = flying + 1
      end
      finished = finished + #done
      if finished < 100 then frame_sleep() end
    end
    assert.equal(100, finished)
    print(("\n  100 in flight: %d frames"):format(flying))
    assert.is_true(flying >= 3, "frames with 100 in flight: " .. flying)
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

  it("retries a 5xx as a timer while the loop polls, never a command",
     function()
    -- backoff 300..600 ms (half fixed, half random)
    local client = helper.core_client { retry_base_ms = 600,
                                        retry_max_ms = 600 }
    finally(function() client:close() end)
    local id = fleet.bev.id
    local car = smartcar.vehicle(id, fleet.token.access_token,
                                 { client = client })
    local path = "/v2.0/vehicles/" .. id .. "/odometer"
    helper.clear_log()
    fault("GET", path, { type = "status", status = 500 })
    local req = car:start("odometer")
    -- frames that found the first attempt logged and the request waiting
    local waiting = 0
    local frames, worst = run_frames(client, { req }, function()
      if not req:done() and #helper.logged("GET", exactly(path)) == 1 then
        waiting = waiting + 1
      end
    end)
    print(("\n  retry: %d frames between the attempts"):format(waiting))
    local data, err = req:result()
    assert.is_nil(err)
    assert.is_true(data.distance > 0)
    local log = helper.logged("GET", "/odometer$")
    assert.equal(2, #log)
    assert.equal(500, log[1].status)
    assert.equal(200, log[2].status)
    -- the backoff passed between the two, on the emulator's clock...
    assert.is_true(log[2].time - log[1].time >= 0.299,
      ("resent after %.3f s"):format(log[2].time - log[1].time))
    -- ...while polls kept returning: a poll that slept through it would
    -- have resent before the next frame looked
    assert.is_true(waiting >= 3, "frames between the attempts: " .. waiting)
    assert_short_polls(worst)
    assert.is_true(frames > waiting)

    -- a command that reached the server is never sent again: a 500 (it
    -- may have been applied) and a connection dropped after it was
    for _, spec in ipairs { { type = "status", status = 500 },
                            { type = "drop" } } do
      helper.clear_log()
      fault("POST", "/v2.0/vehicles/" .. id .. "/security", spec)
      local lock = car:start("lock")
      run_frames(client, { lock })
      local _, lerr = lock:result()
      assert.is_true(smartcar.is_error(lerr), spec.type)
      assert.equal(1, lerr.attempts)
      assert.equal(1, #helper.logged("POST", "/security$"))
    end
  end)

  it("waits out a 429 cool-down as a timer, or fails fast", function()
    local client = helper.core_client()
    finally(function() client:close() end)
    local id = fleet.bev.id
    local car = smartcar.vehicle(id, fleet.token.access_token,
                                 { client = client })
    local other = smartcar.vehicle(fleet.ice.id, fleet.token.access_token,
                                   { client = client })
    helper.clear_log()
    local path = "/v2.0/vehicles/" .. id .. "/odometer"
    fault("GET", path, { type = "rate_limit", retry_after = 1 })
    -- one attempt: the 429 is the answer, and the vehicle cools down
    local first = car:start("odometer", { max_attempts = 1 })
    run_frames(client, { first })
    local _, err = first:result()
    assert.equal(429, err.status_code)
    assert.equal(1, err.retry_after)
    -- started during the cool-down: this one waits it out on a timer,
    -- the other vehicle goes at once, and a "fail" policy fails at once
    local later = car:start("odometer")
    local fast = car:start("odometer", { rate_policy = "fail" })
    local free = other:start("odometer")
    local order, waiting = {}, 0
    later.callback = function() order[#order + 1] = "later" end
    free.callback = function() order[#order + 1] = "free" end
    local frames, worst = run_frames(client, { later, fast, free },
                                     function()
      if not later:done() and #helper.logged("GET", exactly(path)) == 1 then
        waiting = waiting + 1
      end
    end)
    local _, ferr = fast:result()
    assert.equal("rate_limited", ferr.kind)
    assert.is_true(ferr.retry_after > 0 and ferr.retry_after <= 1)
    assert.is_true(later:result().distance > 0)
    assert.is_true(free:result().distance > 0)
    assert.same({ "free", "later" }, order)
    -- the emulator saw the 429 and then, a cool-down later, one request
    -- (the fast one never left)
    local log = helper.logged("GET", exactly(path))
    assert.equal(2, #log)
    assert.equal(429, log[1].status)
    assert.is_true(log[2].time - log[1].time >= 0.999,
      ("sent after %.3f s"):format(log[2].time - log[1].time))
    print(("\n  cool-down: %d frames in it"):format(waiting))
    assert.is_true(waiting >= 3, "frames in the cool-down: " .. waiting)
    assert.is_true(frames > waiting)
    assert_short_polls(worst)
  end)

  it("walks pages through start_pages with the iterators' last page",
     function()
    local client = helper.core_client()
    finally(function() client:close() end)
    local token = fleet.token.access_token
    -- each page answers late: the walk spans frames
    fault("GET", "/v2.0/vehicles", { type = "latency", ms = 100 }, 3)
    helper.clear_log()
    local seen, req = {}, nil
    req = client:start_pages("get_vehicles", { access_token = token },
      { page_size = 1, on_page = function(page, r)
        assert.equal(req, r)
        seen[#seen + 1] = page.vehicles[1]
      end })
    local frames, worst = run_frames(client, { req })
    local data = assert(req:result())
    assert.same(fleet.vehicles, data.items)
    assert.is_true(smartcar.is_array(data.items))
    assert.same(fleet.vehicles, seen)
    assert.equal(3, #data.pages)
    local log = helper.logged("GET", "^/v2%.0/vehicles$")
    assert.equal(3, #log)
    for i, r in ipairs(log) do
      assert.equal("1", r.query.limit)
      assert.equal(tostring(i - 1), r.query.offset)
    end
    assert.is_true(frames > 3, "frames: " .. frames)
    assert_short_polls(worst)

    -- a short page is the last (2 + 1), as for each_vehicle
    helper.clear_log()
    req = client:start_pages("get_vehicles", { access_token = token },
                             { page_size = 2 })
    run_frames(client, { req })
    assert.same(fleet.vehicles, assert(req:result()).items)
    assert.equal(2, #helper.logged("GET", "^/v2%.0/vehicles$"))

    -- a vehicle's permissions (limit/offset), a v3 vehicle's signals
    -- (page numbers until the total), connections (the cursor), side by
    -- side in one loop
    local car = smartcar.vehicle(fleet.bev.id, token, { client = client })
    local v3car = smartcar.vehicle_v3(fleet.bev.id, { access_token = token,
                                                      client = client })
    helper.clear_log()
    local perms = car:start_pages("permissions", { page_size = 4 })
    local signals = v3car:start_pages("get_signals", { page_size = 4 })
    local conns = client:start_pages("get_connections",
      { management_token = helper.amt, user_id = fleet.user_id },
      { page_size = 1 })
    local finished = {}
    local bad = client:start_pages("get_vehicles",
      { access_token = "bogus-paging-token-0123456789" }, nil,
      function(d, e, r) finished[#finished + 1] = { d, e, r } end)
    run_frames(client, { perms, signals, conns, bad })
    assert.same(assert(car:permissions { limit = 50 }).permissions,
                assert(perms:result()).items)
    assert.equal(4, #perms.pages) -- 15 permissions: 4 + 4 + 4 + 3
    -- 12 signals: 4 + 4 + 4, and no request for a fourth page
    assert.equal(3, #helper.logged("GET", "/signals$"))
    local all = assert(v3car:get_signals { page_size = 100 })
    local got = assert(signals:result())
    assert.equal(all.meta.total_count, #got.items)
    assert.equal(all.data[5].id, got.items[5].id)
    local cl = assert(conns:result()).items
    assert.equal(#fleet.vehicles, #cl)
    assert.equal(fleet.user_id, cl[1].user_id)
    local clog = helper.logged("GET", "/management/connections$")
    assert.equal(#fleet.vehicles, #clog)
    assert.is_nil(clog[1].query.cursor)
    assert.is_string(clog[2].query.cursor)
    -- a failed page ends the walk with its error
    local _, err = bad:result()
    assert.equal("AUTHENTICATION", err.type)
    assert.same({}, bad.pages)
    assert.equal(1, #finished)
    assert.equal(bad, finished[1][3])
    assert.is_nil(finished[1][1])
    assert.equal(0, client:async_count())

    -- cancelling stops the walk
    local walk = client:start_pages("get_vehicles", { access_token = token },
                                    { page_size = 1 })
    assert.is_true(walk:cancel())
    assert.equal(0, client:async_count())
    assert.has_error(function() client:start_pages("odometer", {}) end)
    assert.has_error(function()
      client:start_pages("get_vehicles", {}, { page_size = 0 })
    end)
    assert.has_error(function()
      client:start_pages("get_vehicles", {}, { on_page = 1 })
    end)
    assert.has_error(function()
      client:start_pages("get_vehicles", {}, { size = 1 })
    end)
  end)

  it("gives errors, cancels, and shows its sockets and timeout", function()
    local client = smartcar.default_client()
    -- the answer comes late: the request waits on its socket meanwhile
    slow_odometers(1)
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
