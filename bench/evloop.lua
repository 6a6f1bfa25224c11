-- CPU of client:poll() in a 60 fps game loop (issue 13), against the CPU
-- of one blocking odometer() call in the same process: bench/perf.py
-- turns them into ratios.  SMARTCAR_API_ORIGIN is nginx's canned
-- odometer; its /slow prefix answers 200 ms late.  Prints one JSON line
-- of microseconds: call_us, worst_poll_us (the 60 fps loop of 100 reads
-- on the default start budget) and in_flight_poll_us (the median poll
-- while all 100 waited on the wire, every one started at once: the
-- median, as one poll preempted by another process would be the most).
local smartcar = require "smartcar"
local core = require "smartcar.core"
local origin = assert(os.getenv("SMARTCAR_API_ORIGIN"))

local car = smartcar.vehicle("veh-1", "tok-1")
assert(car:odometer())
local c0 = os.clock()
for _ = 1, 500 do assert(car:odometer()) end
local call = (os.clock() - c0) / 500

local function frame() os.execute("sleep 0.016") end

-- 100 reads of the slow odometer polled once a frame; f(spent, done,
-- client) sees every poll.  The client's budget is the default unless
-- given.
local function loop(budget, f)
  local client = core.client { api_origin = origin .. "/slow",
                               async_start_budget = budget }
  for _ = 1, 100 do
    smartcar.vehicle("veh-1", "tok-1", { client = client }):start("odometer")
  end
  local finished, frames = 0, 0
  while finished < 100 and frames < 600 do
    frames = frames + 1
    local t0 = os.clock()
    local done = client:poll()
    f(os.clock() - t0, #done, client)
    finished = finished + #done
    if finished < 100 then frame() end
  end
  assert(finished == 100, "reads left after 600 frames")
  client:close()
end

local worst = 0
loop(nil, function(spent) worst = math.max(worst, spent) end)
-- polls after every one of the 100 is on the wire and before any answer
local flying, answered = {}, false
loop(1000, function(spent, done, client)
  answered = answered or done > 0
  if not answered and #client:fds() >= 100 then
    flying[#flying + 1] = spent
  end
end)
-- the first such poll may still be sending
table.remove(flying, 1)
table.sort(flying)
local in_flight = flying[(#flying + 1) // 2] or 0
print(string.format('{"call_us": %.3f, "worst_poll_us": %.3f, '
  .. '"in_flight_poll_us": %.3f}', call * 1e6, worst * 1e6,
  in_flight * 1e6))
