-- The shared declarative cases (tests/cases/*.json), run through the
-- sans-IO op (smartcar.core client:op) with canned replies and no network,
-- with the same reading as the C runner (tests/c/test_cases.c).  Zero
-- files means zero tests.  JSON is read with the binding's own converter
-- (core.json_decode).
--
-- Case shape:
--
--   {
--     "name": "...", "description": "...",
--     "endpoint": "odometer",
--     "client": {client options},      optional; max_attempts defaults to 1
--     "params": {"vehicle_id": "...", ...},
--     "request": {"method", "url", "headers": {name: value | null (absent)},
--                 "body": "text" | null (empty) | JSON value},
--     "reply": {"status", "headers", "body": "text" | JSON value}
--       or "replies": [reply, ...]     (the request is checked once)
--     "requests": [request, ...]       instead of "request": one per reply,
--                                      each checked
--     "result": {...subset of the data...}
--       or "error": {...subset of the error...}
--   }
--
-- Subset: objects need the expected keys, arrays the same length; the
-- strings "<any>", "<number>", "<string>" match any value of that kind,
-- and "<absent>" as an object value requires the key to be missing.
--
-- One difference with C by design: in Lua a missing or invalid argument
-- raises in client:op() instead of returning an error, so a case whose
-- expected error kind is "invalid_argument" (or "misuse") passes when
-- client:op() raises.

local core = require "smartcar.core"
local helper = require "helper"

local null = core.null

-- SMARTCAR_CASES_DIR points the runner at another folder of cases.
local cases_dir = os.getenv("SMARTCAR_CASES_DIR")
if cases_dir == nil or cases_dir == "" then
  cases_dir = helper.root .. "/tests/cases"
end

local function is_array(v)
  return type(v) == "table" and getmetatable(v) == core.array_mt
end

local check = require("case_check") {
  null = null, is_array = is_array, decode = core.json_decode,
  encode = helper.json_encode, cases_dir = cases_dir,
}
local show, subset, check_request = check.show, check.subset,
  check.check_request

local DEFAULT_CLIENT = check.DEFAULT_CLIENT

local function list_cases()
  local files = {}
  local p = io.popen("ls " .. helper.sh_quote(cases_dir) .. " 2>/dev/null")
  if p == nil then return files end
  for name in p:lines() do
    if name:match("%.json$") then files[#files + 1] = name end
  end
  p:close()
  table.sort(files)
  return files
end

local function read_case(name)
  local f = assert(io.open(cases_dir .. "/" .. name, "rb"))
  local text = f:read("a")
  f:close()
  return assert(core.json_decode(text))
end

local function feed(op, reply)
  local headers, has_ct = {}, false
  for name, value in pairs(reply.headers or {}) do
    headers[name] = value
    if name:lower() == "content-type" then has_ct = true end
  end
  local body = reply.body
  if body == nil then
    body = ""
  elseif type(body) ~= "string" then
    body = helper.json_encode(body)
    if not has_ct then headers["Content-Type"] = "application/json" end
  end
  op:feed(reply.status or 200, headers, body)
end

local function run_case(case)
  local client = core.client(check.client_options(case))
  local ok, op
  finally(function()
    if ok then op:close() end
    client:close()
  end)

  ok, op = pcall(client.op, client, case.endpoint, case.params or {})
  if not ok then
    -- An argument error raises in Lua: that is the expected outcome when
    -- the case expects an invalid_argument (or misuse) error.
    local kind = case.error and case.error.kind
    if kind ~= "invalid_argument" and kind ~= "misuse" then
      error("client:op raised: " .. tostring(op), 0)
    end
    return
  end

  local replies = case.replies
  if replies == nil then replies = { case.reply or {} } end
  for i = 1, #replies do
    local step, req
    repeat step, req = op:next() until step ~= core.STEP_WAIT
    if step ~= core.STEP_SEND then
      error(("done after %d replies, the case has %d"):format(i - 1,
            #replies), 0)
    end
    -- "requests": every request, one per reply; else the first
    if case.requests ~= nil then
      check_request(case.requests[i] or {}, req)
    elseif i == 1 then
      check_request(case.request or {}, req)
    end
    feed(op, replies[i])
  end
  if op:next() ~= core.STEP_DONE then
    error("not done after the replies", 0)
  end
  local data, err = op:result()
  if case.error ~= nil then
    if data ~= nil then error("expected an error, got data", 0) end
    subset(case.error, err, "error")
  else
    if data == nil then error("unexpected error: " .. show(err), 0) end
    subset(case.result or {}, data, "result")
  end
end

describe("shared cases", function()
  for _, name in ipairs(list_cases()) do
    it(name, function()
      run_case(read_case(name))
    end)
  end
end)

describe("the op binding", function()
  it("drives an odometer call with a canned reply", function()
    local client = core.client(DEFAULT_CLIENT)
    local op = client:op("odometer", {
      vehicle_id = "veh-1", access_token = "tok-abc-123",
      unit_system = "imperial" })
    finally(function() op:close(); client:close() end)
    local step, req = op:next()
    assert.equal(core.STEP_SEND, step)
    assert.equal("GET", req.method)
    assert.equal("https://api.smartcar.com/v2.0/vehicles/veh-1/odometer",
                 req.url:match("^[^?]*"))
    local headers = {}
    for _, h in ipairs(req.headers) do headers[h[1]:lower()] = h[2] end
    assert.equal("Bearer tok-abc-123", headers.authorization)
    assert.equal("imperial", headers["sc-unit-system"])
    assert.equal("", req.body)
    assert.equal(op, op:feed(200, {
      { "Content-Type", "application/json" },
      { "SC-Request-Id", "req-1" },
      { "SC-Unit-System", "imperial" },
    }, '{"distance": 104.32, "extra": null, "list": []}'))
    assert.equal(core.STEP_DONE, op:next())
    local data = assert(op:result())
    assert.equal(104.32, data.distance)
    assert.equal("req-1", data.meta.request_id)
    assert.equal("imperial", data.meta.unit_system)
    assert.equal(core.null, data.extra)
    assert.equal(core.array_mt, getmetatable(data.list))
  end)

  it("reports local failures and misuse", function()
    local options = {}
    for k, v in pairs(DEFAULT_CLIENT) do options[k] = v end
    options.max_attempts = 2
    local client = core.client(options)
    finally(function() client:close() end)
    local op = client:op("get_user", { access_token = "tok-secret-9" })
    assert.has_error(function() op:result() end,
                     "op:result: the op is not done")
    -- Reads may be retried: fail every attempt until the op gives up.
    local attempts = 0
    for _ = 1, 100 do
      local step, value = op:next()
      if step == core.STEP_DONE then break end
      if step == core.STEP_WAIT then
        assert.equal("integer", helper.math_type(value))
        assert.equal(value, op:wait_ms())
      else
        attempts = attempts + 1
        assert.equal(op, op:fail(core.codes.ETIMEOUT, "simulated timeout"))
      end
    end
    local data, err = op:result()
    assert.is_nil(data)
    assert.equal("timeout", err.kind)
    assert.equal(2, attempts)
    assert.equal(attempts, err.attempts)
    helper.assert_no_secrets(err, { "tok-secret-9", "case-client-secret" })
    assert.has_error(function() op:result() end,
                     "op:result: the op's result was already taken")
    assert.has_error(function() op:fail(core.codes.ETIMEOUT) end)
    op:close()
    op:close()
    assert.has_error(function() op:next() end, "op is closed")
  end)

  it("refuses to run once its client is closed", function()
    local client = core.client(DEFAULT_CLIENT)
    local op = client:op("get_user", { access_token = "t" })
    client:close()
    assert.has_error(function() op:next() end, "client is closed")
    op:close()
  end)

  it("raises for a missing parameter or an unknown endpoint", function()
    local client = core.client(DEFAULT_CLIENT)
    finally(function() client:close() end)
    assert.has_error(function() client:op("odometer", { access_token = "t" }) end)
    assert.has_error(function() client:op("nope", {}) end)
  end)
end)
