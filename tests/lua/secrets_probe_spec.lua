-- The secrets probe (Lua): a server that echoes each request back in every
-- form (as received, decoded, percent-encoded again, the body in base64;
-- in the error body and a header; tests/faults/badserver.py) answers token,
-- client-credentials and API calls made with secrets full of the
-- characters encoders treat specially.  The probe decodes every field of
-- each error, tostring(err), the printed results and every line the
-- client's debug hook is handed, every way it can; no view may hold a
-- secret.

local smartcar = require "smartcar"
local helper = require "helper"

local CLIENT_ID = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
local SECRET = 's3cr+t/=&% "sec-probe'
local CODE = "c0de+/=&%25 x~Y-probe"
local REFRESH = "rt+/=&%:Z9?#tok-probe"
local ACCESS = "at+/=tok-probe-0123"

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function pct_decode(s, plus)
  if plus then s = s:gsub("%+", " ") end
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function b64_decode(run)
  local bits, n, out = 0, 0, {}
  for c in run:gmatch(".") do
    if c == "-" then c = "+" elseif c == "_" then c = "/" end
    bits = bits * 64 + (B64:find(c, 1, true) - 1)
    n = n + 6
    if n >= 8 then
      n = n - 8
      out[#out + 1] = string.char(math.floor(bits / 2 ^ n))
      bits = bits % 2 ^ n
    end
  end
  return table.concat(out)
end

-- text decoded once, every way a secret may hide in it
local function decodings(text)
  local out = { pct_decode(text, false), pct_decode(text, true),
    (text:gsub("\\/", "/"):gsub('\\"', '"'):gsub("\\u0022", '"')) }
  for run in text:gmatch("[A-Za-z0-9+/_-]+") do
    if #run >= 8 then
      for offset = 1, 4 do out[#out + 1] = b64_decode(run:sub(offset)) end
    end
  end
  return out
end

-- the secrets found in text or in its decodings, two levels deep
local function leaks(text, secrets)
  local views, frontier = { [text] = true }, { text }
  for _ = 1, 2 do
    local next_frontier = {}
    for _, v in ipairs(frontier) do
      for _, d in ipairs(decodings(v)) do
        if not views[d] then
          views[d] = true
          next_frontier[#next_frontier + 1] = d
        end
      end
    end
    frontier = next_frontier
  end
  local found = {}
  for view in pairs(views) do
    for _, s in ipairs(secrets) do
      if view:find(s, 1, true) then found[#found + 1] = s end
    end
  end
  return found
end

local function all_text(err)
  local parts = { tostring(err) }
  for _, t in ipairs(helper.strings(err)) do parts[#parts + 1] = t.value end
  return table.concat(parts, "\n")
end

describe("secrets probe", function()
  local server, url, pid, auth

  setup(function()
    server = assert(io.popen("exec python3 tests/faults/badserver.py echo 120"))
    url, pid = server:read("l"):match("^(%S+) (%d+)$")
    assert(url, "the echo server printed no URL")
    auth = smartcar.auth_client({
      client_id = CLIENT_ID, client_secret = SECRET,
      redirect_uri = "http://localhost:8000/callback",
      auth_origin = url, api_origin = url, iam_origin = url,
      max_attempts = 1,
    })
  end)

  teardown(function()
    if auth then auth:close() end
    if pid then os.execute("kill " .. pid) end
    if server then server:close() end
  end)

  local function probe(secrets, f)
    local data, err = f()
    assert.is_nil(data)
    local text = all_text(err)
    -- the probe looks at what the server really echoed
    assert.truthy(text:find("invalid_grant", 1, true))
    assert.truthy(text:find("[REDACTED]", 1, true))
    assert.same({}, leaks(text, secrets))
  end

  it("finds each form the echo server writes", function()
    local basic = "Basic " .. "ODIyOWRmOWYtOTFhMC00ZmYwLWExYWUtYTFmMzhlZTI0ZDA3"
      .. "OnMzY3IrdC89JiUgInNlYy1wcm9iZQ=="
    -- Basic credentials, form-encoded, percent-encoded twice, a form body
    -- in base64, JSON-escaped
    for _, form in ipairs({ basic, "s3cr%2Bt%2F%3D%26%25+%22sec-probe",
      "s3cr%252Bt%252F%253D%2526%2525%2520%2522sec-probe",
      "eD1zM2NyJTJCdCUyRiUzRCUyNiUyNSUyMCUyMnNlYy1wcm9iZQ==",
      's3cr+t\\/=&% \\"sec-probe' }) do
      assert.same({ SECRET }, leaks(form, { SECRET }))
    end
  end)

  it("code exchange", function()
    probe({ CODE, SECRET }, function() return auth:exchange_code(CODE) end)
  end)

  it("refresh", function()
    probe({ REFRESH, SECRET },
      function() return auth:exchange_refresh_token(REFRESH) end)
  end)

  it("client credentials", function()
    probe({ SECRET }, function()
      return smartcar.get_app_token({ client = auth })
    end)
  end)

  it("an API call", function()
    local car = smartcar.vehicle("veh-1", ACCESS, { client = auth })
    probe({ ACCESS, SECRET }, function() return car:odometer() end)
  end)

  it("the debug hook", function()
    local lines = {}
    auth.core:set_debug(function(direction, line)
      lines[#lines + 1] = direction .. line
    end)
    local car = smartcar.vehicle("veh-1", ACCESS, { client = auth })
    auth:exchange_code(CODE)
    auth:exchange_refresh_token(REFRESH)
    smartcar.get_app_token({ client = auth })
    car:odometer()
    auth.core:set_debug(nil)
    local text = table.concat(lines, "\n")
    -- requests and the echoed answers both reached the hook
    assert.truthy(text:find(">POST ", 1, true))
    assert.truthy(text:find("<HTTP ", 1, true))
    assert.truthy(text:find("[REDACTED]", 1, true))
    assert.same({}, leaks(text, { CODE, REFRESH, ACCESS, SECRET }))
  end)

  it("printed results", function()
    local r = assert(smartcar.parse_redirect(
      "http://localhost:8000/callback?code=c0de%2B%2F%3D%26%2525%20x~Y-probe"
      .. "&state=st-1", "st-1"))
    assert.equal(CODE, r.code)
    assert.same({}, leaks(tostring(r), { CODE }))
  end)
end)
