-- docs/lua.md names only what exists: every `smartcar.NAME`,
-- `smartcar.core.NAME` and every method written on one of the doc's
-- conventional receivers (auth:, client:, car:, v3car:, store:, req:)
-- is looked up on a real object of that kind.

local smartcar = require "smartcar"
local helper = require "helper"

local function read_doc()
  local f = assert(io.open(helper.root .. "/docs/lua.md", "r"))
  local text = f:read("*a")
  f:close()
  return text
end

-- Distinct NAMEs following `prefix` (a Lua pattern) in text, sorted.
local function names_after(text, prefix)
  local seen, out = {}, {}
  for name in text:gmatch("%f[%w_.]" .. prefix .. "([%a_][%w_]*)") do
    if not seen[name] then
      seen[name] = true
      out[#out + 1] = name
    end
  end
  table.sort(out)
  return out
end

describe("docs/lua.md", function()
  local text = read_doc()

  it("names only fields of the smartcar module", function()
    -- `smartcar.resty` is the OpenResty module (docs/openresty.md) and
    -- `smartcar.lua` the installed file name
    local other = { resty = true, lua = true }
    local names = names_after(text, "smartcar%.")
    assert.is_true(#names >= 40, "too few names found: " .. #names)
    for _, name in ipairs(names) do
      if not other[name] then
        assert(smartcar[name] ~= nil, "smartcar." .. name .. " is not in the module")
      end
    end
    for _, name in ipairs(names_after(text, "smartcar%.core%.")) do
      assert(smartcar.core[name] ~= nil,
             "smartcar.core." .. name .. " is not in the module")
    end
  end)

  it("names only methods the objects have", function()
    local client = helper.core_client()
    local store = assert(smartcar.token_store(":memory:"))
    local auth = smartcar.auth_client { client_id = "docs-check" }
    finally(function() store:close(); auth:close(); client:close() end)
    local req = client:start("get_user", { access_token = "tok-docs-check" })
    local objects = {
      auth = auth,
      client = client,
      car = smartcar.vehicle("veh-docs", "tok-docs-check"),
      v3car = smartcar.vehicle_v3("veh-docs",
                                  { access_token = "tok-docs-check" }),
      store = store,
      req = req,
    }
    local total = 0
    for receiver, obj in pairs(objects) do
      local names = names_after(text, receiver .. ":")
      assert.is_true(#names > 0, "no " .. receiver .. ": method in the doc")
      for _, name in ipairs(names) do
        assert(type(obj[name]) == "function",
               receiver .. ":" .. name .. " is not a method")
      end
      total = total + #names
    end
    assert.is_true(total >= 60, "too few methods found: " .. total)
    req:cancel()
  end)

  it("names a kind of error only if the library has it", function()
    local kinds = {}
    for _, kind in pairs(smartcar.kinds) do kinds[kind] = true end
    local section = text:match("\n## Errors\n(.-)\n## ")
    assert.is_string(section)
    local n = 0
    for kind in section:gmatch('`"([%a_]+)"`') do
      assert(kinds[kind], "error kind " .. kind .. " does not exist")
      n = n + 1
    end
    assert.is_true(n >= 5)
  end)

  it("is linked from the README", function()
    local f = assert(io.open(helper.root .. "/README.md", "r"))
    local readme = f:read("*a")
    f:close()
    assert.truthy(readme:find("docs/lua.md", 1, true))
  end)
end)
