-- The shared declarative cases (tests/cases/*.json, format in
-- tests/cases/README.md) run through smartcar.resty inside nginx, with
-- the same reading as the C, Python and Lua runners.
--
-- Unlike those runners, which feed canned replies to the sans-IO op, this
-- one sends every request over the network: the client's origins point at
-- /fake/<run>/<n> locations of this same nginx (serve() below), which
-- record each request and answer with the case's next reply.  So a case
-- also checks the HTTP driver in use (the built-in one or lua-resty-http).
-- A recorded URL is mapped back to the origin the case expects: the run
-- also builds a client with the case's own origins and reads both sets
-- with client:get().
--
-- The driver adds what HTTP needs (Host, Content-Length, Connection), and
-- the requests' headers are compared like the other runners do: the
-- headers a case names, no others.
--
-- Argument errors raise in smartcar.resty, as in the Lua module: a case
-- whose expected error kind is "invalid_argument" (or "misuse") passes
-- when the call raises an Error of that kind.  The error tables of
-- smartcar.resty carry no nulls, so in "error" a null and an absent key
-- are the same (as in the Python runner).
--
-- A case that cannot run here says so with "skip": {"openresty": "why"};
-- it is reported as "skip <name>: why" and counted apart.
local smartcar = require "smartcar.resty"
local cjson = require "cjson.safe"
local ffi = require "ffi"

local M = {}
local report = require("cases").report

local CASES_DIR = os.getenv("SMARTCAR_TEST_CASES_DIR")
local DICT = ngx.shared.sc_cases

---------------------------------------------------------------------------
-- JSON that keeps arrays apart from objects (cjson turns [] into {}).

local array_mt = {}
local null = cjson.null

local function decode(text)
  local pos = 1
  local function fail(what)
    error(("JSON: %s at byte %d"):format(what, pos), 0)
  end
  local function skip()
    pos = text:find("[^ \t\r\n]", pos) or #text + 1
  end
  local value
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local a, b = text:find('^[^"\\]+', pos)
      if a then
        out[#out + 1] = text:sub(a, b)
        pos = b + 1
      end
      local c = text:sub(pos, pos)
      if c == '"' then
        pos = pos + 1
        return table.concat(out)
      elseif c == "\\" then
        local e = text:sub(pos + 1, pos + 1)
        local simple = ({ b = "\b", f = "\f", n = "\n", r = "\r", t = "\t",
                          ['"'] = '"', ["\\"] = "\\", ["/"] = "/" })[e]
        if simple then
          out[#out + 1] = simple
          pos = pos + 2
        elseif e == "u" then
          local cp = tonumber(text:sub(pos + 2, pos + 5), 16)
          if not cp then fail("bad \\u escape") end
          pos = pos + 6
          if cp >= 0xD800 and cp < 0xDC00 and text:sub(pos, pos + 1) == "\\u" then
            local lo = tonumber(text:sub(pos + 2, pos + 5), 16)
            if lo and lo >= 0xDC00 and lo < 0xE000 then
              cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
              pos = pos + 6
            end
          end
          local bytes
          if cp < 0x80 then
            bytes = { cp }
          elseif cp < 0x800 then
            bytes = { 0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40 }
          elseif cp < 0x10000 then
            bytes = { 0xE0 + math.floor(cp / 0x1000),
                      0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40 }
          else
            bytes = { 0xF0 + math.floor(cp / 0x40000),
                      0x80 + math.floor(cp / 0x1000) % 0x40,
                      0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40 }
          end
          out[#out + 1] = string.char(unpack(bytes))
        else
          fail("bad escape")
        end
      else
        fail("unterminated string")
      end
    end
  end
  -- The items of an object or array into t, each read by item(t), up to
  -- the closing character.
  local function items(t, close, item)
    pos = pos + 1
    skip()
    if text:sub(pos, pos) == close then pos = pos + 1; return t end
    while true do
      item(t)
      skip()
      local c = text:sub(pos, pos)
      pos = pos + 1
      if c == close then return t end
      if c ~= "," then fail("',' or '" .. close .. "' expected") end
    end
  end
  local function member(t)
    skip()
    if text:sub(pos, pos) ~= '"' then fail("key expected") end
    local k = str()
    skip()
    if text:sub(pos, pos) ~= ":" then fail("':' expected") end
    pos = pos + 1
    t[k] = value()
  end
  local function element(t) t[#t + 1] = value() end
  function value()
    skip()
    local c = text:sub(pos, pos)
    if c == "{" then
      return items({}, "}", member)
    elseif c == "[" then
      return items(setmetatable({}, array_mt), "]", element)
    elseif c == '"' then
      return str()
    end
    for word, v in pairs({ ["true"] = true, ["false"] = false,
                           ["null"] = null }) do
      if text:sub(pos, pos + #word - 1) == word then
        pos = pos + #word
        return v
      end
    end
    local num = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not num or num == "" then fail("value expected") end
    pos = pos + #num
    return tonumber(num) or fail("bad number")
  end
  local v = value()
  skip()
  if pos <= #text then fail("trailing data") end
  return v
end
M._decode = decode

local function encode(v)
  local t = type(v)
  if v == null or v == nil then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then
      return string.format("%d", v)
    end
    return string.format("%.17g", v)
  end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(ch)
      return string.format("\\u%04x", ch:byte())
    end) .. '"'
  end
  local parts = {}
  if getmetatable(v) == array_mt then
    for i = 1, #v do parts[i] = encode(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  for k, x in pairs(v) do parts[#parts + 1] = encode(k) .. ":" .. encode(x) end
  return "{" .. table.concat(parts, ",") .. "}"
end

local check = require("case_check") {
  null = null, decode = decode, encode = encode, cases_dir = CASES_DIR,
  is_array = function(v) return getmetatable(v) == array_mt end,
}

---------------------------------------------------------------------------
-- The fake origins

-- Every origin a client holds, by its sc_client_get key (auth_url is the
-- token URL; the v3 management origin has no client option).
local ORIGINS = { "connect_origin", "auth_url", "api_origin",
                  "management_origin", "vehicle_api_origin", "iam_origin",
                  "management_v3_origin" }
local OPTION = { connect_origin = "connect_origin", auth_url = "auth_origin",
                 api_origin = "api_origin",
                 management_origin = "management_origin",
                 vehicle_api_origin = "vehicle_api_origin",
                 iam_origin = "iam_origin" }
local V3_MANAGEMENT_ENV = "SMARTCAR_MANAGEMENT_API_V3_ORIGIN"

ffi.cdef [[
int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name);
]]

-- The case's client, and one whose origins are /fake/<run>/<n> here; the
-- pairs {fake, real} map recorded URLs back.  Creating a client does not
-- yield, so the variable set for the v3 management origin is seen by
-- this client only.
local function clients(case, run)
  local opts = check.client_options(case)
  local real = assert(smartcar.client(opts))
  local base = ("http://127.0.0.1:%s/fake/%s/"):format(ngx.var.server_port,
                                                       run)
  for i, key in ipairs(ORIGINS) do
    if OPTION[key] then opts[OPTION[key]] = base .. i end
  end
  opts.allow_insecure_http = true
  opts.timeout_ms, opts.connect_timeout_ms = 10000, 2000
  ffi.C.setenv(V3_MANAGEMENT_ENV, base .. #ORIGINS, 1)
  local ok, fake, err = pcall(smartcar.client, opts)
  ffi.C.unsetenv(V3_MANAGEMENT_ENV)
  if not ok then error(fake, 0) end
  assert(fake, err)
  local map = {}
  for _, key in ipairs(ORIGINS) do
    map[#map + 1] = { assert(fake:get(key)), assert(real:get(key)) }
  end
  table.sort(map, function(a, b) return #a[1] > #b[1] end)
  return fake, map
end

local function real_url(url, map)
  for _, m in ipairs(map) do
    local f = m[1]
    if url:sub(1, #f) == f and url:sub(#f + 1, #f + 1):match("^[/?]?$") then
      return m[2] .. url:sub(#f + 1)
    end
  end
  return url
end

-- A reply of the case as the fake origin sends it.
local function wire_reply(reply)
  local headers, has_ct = {}, false
  for name, value in pairs(reply.headers or {}) do
    headers[#headers + 1] = { name, value }
    if name:lower() == "content-type" then has_ct = true end
  end
  local body = reply.body
  if body == nil or body == null then
    body = ""
  elseif type(body) ~= "string" then
    body = encode(body)
    if not has_ct then headers[#headers + 1] = { "Content-Type", "application/json" } end
  end
  return { status = reply.status or 200, headers = headers, body = body }
end

-- location /fake/: record the request, send the run's next reply.
function M.serve()
  local run, rest = ngx.var.uri:match("^/fake/([%w]+)/(.*)$")
  local n = DICT:incr(run .. ":n", 1, 0)
  ngx.req.read_body()
  local headers = {}
  for line in ngx.req.raw_header(true):gmatch("[^\r\n]+") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then headers[#headers + 1] = { name, value } end
  end
  DICT:set(run .. ":req:" .. n, cjson.encode({
    method = ngx.req.get_method(),
    url = "http://127.0.0.1:" .. ngx.var.server_port .. ngx.var.request_uri,
    headers = headers,
    body = ngx.req.get_body_data() or "",
  }), 60)
  local reply = cjson.decode(DICT:get(run .. ":reply:" .. n) or "null")
  if not rest or not reply then
    ngx.status = 599 -- more requests than the case has replies
    return ngx.exit(599)
  end
  ngx.status = reply.status
  for _, h in ipairs(reply.headers) do ngx.header[h[1]] = h[2] end
  ngx.header["Content-Length"] = #reply.body
  ngx.print(reply.body)
  return ngx.exit(ngx.HTTP_OK)
end

---------------------------------------------------------------------------
-- One case

local function params_of(case)
  -- as the other runners: strings as is, numbers as "%.17g", no others
  local p = {}
  for k, v in pairs(case.params or {}) do
    if type(v) == "string" then
      p[k] = v
    elseif type(v) == "number" then
      p[k] = string.format("%.17g", v)
    end
  end
  return p
end

local run_count = 0

local function run_case(case)
  run_count = run_count + 1
  local run = ("r%dw%dn%d"):format(ngx.time(), ngx.worker.pid(), run_count)
  local client, map = clients(case, run)
  local replies = case.replies or { case.reply or {} }
  for i, reply in ipairs(replies) do
    DICT:set(run .. ":reply:" .. i, cjson.encode(wire_reply(reply)), 60)
  end
  local ok, data, err = pcall(client.call, client, case.endpoint,
    params_of(case))
  if not ok then
    local kind = case.error and case.error.kind
    if (kind ~= "invalid_argument" and kind ~= "misuse")
        or type(data) ~= "table" or data.kind ~= kind then
      error("the call raised: " .. tostring(data), 0)
    end
    if (DICT:get(run .. ":n") or 0) ~= 0 then
      error("a request was sent before the argument error", 0)
    end
    return
  end
  local sent = DICT:get(run .. ":n") or 0
  if sent ~= #replies then
    error(("%d requests sent, the case has %d replies"):format(sent,
          #replies), 0)
  end
  for i = 1, sent do
    local req = cjson.decode(DICT:get(run .. ":req:" .. i))
    req.url = real_url(req.url, map)
    -- "requests": every request, one per reply; else the first
    if case.requests ~= nil then
      check.check_request(case.requests[i] or {}, req)
    elseif i == 1 then
      check.check_request(case.request or {}, req)
    end
  end
  if case.error ~= nil then
    if data ~= nil then error("expected an error, got data", 0) end
    check.subset(case.error, err, "error", true)
  else
    if data == nil then error("unexpected error: " .. tostring(err), 0) end
    check.subset(case.result or {}, data, "result")
  end
end

-- location /case/<name>: "ok <name>", "skip <name>: why" or
-- "FAIL <name>: why".
function M.run(name)
  local f = io.open(CASES_DIR .. "/" .. name .. ".json", "rb")
  if not f then return report(name, false, "no such case") end
  local text = f:read("*a")
  f:close()
  local ok, case = pcall(decode, text)
  if ok then
    local why = type(case.skip) == "table" and case.skip.openresty
    if why then return ngx.say("skip ", name, ": ", tostring(why)) end
    ok, case = pcall(run_case, case)
  end
  report(name, ok, case)
end

return M
