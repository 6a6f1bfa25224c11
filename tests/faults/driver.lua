-- The fault matrix's Lua driver (tests/faults/run.py starts it): the C
-- driver's line protocol (see driver.c) through smartcar.core.
local core = require "smartcar.core"

-- Lua has no monotonic clock of its own; /proc/uptime is one (10 ms steps)
local function now_ms()
  local f = io.open("/proc/uptime")
  local up = f:read("n")
  f:close()
  return up * 1000
end

local function run(row)
  local kinds = {}
  local start = now_ms()
  local ok, client = pcall(core.client, row.client)
  if not ok then
    kinds[1] = "no client: " .. tostring(client)
  else
    for i = 1, row["repeat"] or 1 do
      local called, data, err = pcall(function()
        if not row.page_size then
          return client:call(row.endpoint, row.params)
        end
        -- called by hand: a for loop would end quietly at nil, err
        local next_page = client:pages(row.endpoint, row.params,
                                       row.page_size)
        while true do
          local page, perr = next_page()
          if page == nil then
            if perr ~= nil then return nil, perr end
            return true
          end
        end
      end)
      if not called then
        kinds[i] = "raised " .. tostring(data)
      else
        kinds[i] = data ~= nil and "ok" or err.kind
      end
    end
    client:close()
  end
  return { kinds = kinds, ms = now_ms() - start }
end

for line in io.lines() do
  io.write(core.json_encode(run(core.json_decode(line))), "\n")
  io.flush()
end
