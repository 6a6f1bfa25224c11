-- CPU per odometer() call of the Lua module on its default client
-- (SMARTCAR_API_ORIGIN), in microseconds.  Used by bench/perf.py.
local smartcar = require "smartcar"
local n = tonumber(arg[1])
local car = smartcar.vehicle("veh-1", "tok-1")
assert(car:odometer())
local c0 = os.clock()
for _ = 1, n do assert(car:odometer()) end
print(string.format("%.3f", (os.clock() - c0) / n * 1e6))
