-- The comparisons of the shared declarative cases (tests/cases/README.md),
-- for the two Lua runners: tests/lua/cases_spec.lua (Lua 5.4, smartcar.core)
-- and tests/openresty/shared_cases.lua (LuaJIT inside nginx).  Plain Lua
-- that runs in both.
--
--   local check = require("case_check")(json)
--
-- json: {null = the JSON null value, is_array = function(v), decode =
-- function(text) -> value, encode = function(value) -> text, cases_dir =
-- the directory of the cases}.
return function(json)
  local null, is_array = json.null, json.is_array

  local function show(v)
    if type(v) == "table" then return json.encode(v) end
    if v == null then return "null" end
    return tostring(v)
  end

  -- expected ⊆ actual; raises with the path of the first difference.
  -- Objects need the expected keys, arrays the same length; "<any>",
  -- "<number>", "<string>" match any value of that kind and "<absent>" as
  -- an object value requires the key to be missing.  With loose_null
  -- (error objects without nulls) an expected null also matches a missing
  -- key.  An empty table stands for an empty array too (cjson reads []
  -- as {}).
  local function subset(expected, actual, where, loose_null)
    local function fail(what)
      error(("%s: %s (want %s, got %s)"):format(where, what, show(expected),
            show(actual)), 0)
    end
    if type(expected) == "string" then
      if expected == "<any>" then
        if actual == nil then fail("missing") end
      elseif expected == "<number>" then
        if type(actual) ~= "number" then fail("not a number") end
      elseif expected == "<string>" then
        if type(actual) ~= "string" then fail("not a string") end
      elseif actual ~= expected then
        fail("differs")
      end
    elseif type(expected) == "number" then
      if type(actual) ~= "number" or math.abs(expected - actual) >= 1e-9 then
        fail("differs")
      end
    elseif is_array(expected) then
      if type(actual) ~= "table" or #actual ~= #expected
          or (#actual == 0 and next(actual) ~= nil) then
        fail("not a list of the same length")
      end
      for i = 1, #expected do
        subset(expected[i], actual[i], ("%s[%d]"):format(where, i),
          loose_null)
      end
    elseif type(expected) == "table" then
      if type(actual) ~= "table" or is_array(actual) then
        fail("not an object")
      end
      for k, v in pairs(expected) do
        if v == "<absent>" then
          if actual[k] ~= nil then
            error(("%s.%s must be absent (got %s)"):format(where, k,
                  show(actual[k])), 0)
          end
        elseif not (loose_null and v == null and actual[k] == nil) then
          subset(v, actual[k], where .. "." .. k, loose_null)
        end
      end
    elseif expected ~= actual then
      fail("differs")
    end
  end

  -- Exact JSON equality (cJSON_Compare): same keys, same order in arrays.
  local function same_json(a, b)
    if type(a) ~= "table" or type(b) ~= "table" then
      if type(a) == "number" and type(b) == "number" then
        return a == b or math.abs(a - b) < 1e-12
      end
      return a == b
    end
    if is_array(a) ~= is_array(b) then return false end
    for k, v in pairs(a) do
      if not same_json(v, b[k]) then return false end
    end
    for k in pairs(b) do
      if a[k] == nil then return false end
    end
    return true
  end

  -- want: a case's "request"; req: {method, url, headers = {{name,
  -- value}...}, body = text}.  A header named twice counts by its first.
  local function check_request(want, req)
    if want.method ~= nil and want.method ~= req.method then
      error("request method " .. req.method, 0)
    end
    if want.url ~= nil and want.url ~= req.url then
      error("request url " .. req.url, 0)
    end
    local headers = {}
    for _, h in ipairs(req.headers) do
      local name = h[1]:lower()
      if headers[name] == nil then headers[name] = h[2] end
    end
    for name, value in pairs(want.headers or {}) do
      local got = headers[name:lower()]
      if value == null then
        if got ~= nil then
          error(("request header %s = %s, want none"):format(name, got), 0)
        end
      elseif got ~= value then
        error(("request header %s = %s"):format(name, tostring(got)), 0)
      end
    end
    local body = want.body
    if body == null then
      if req.body ~= "" then
        error("unexpected request body " .. req.body, 0)
      end
    elseif type(body) == "string" then
      if req.body ~= body then error("request body " .. req.body, 0) end
    elseif body ~= nil then
      local ok, got = pcall(json.decode, req.body)
      if not ok or not same_json(body, got) then
        error("request body " .. req.body, 0)
      end
    end
  end

  -- The client every case starts from (fixed credentials, Smartcar's
  -- production origins, one attempt: tests/cases/defaults/client.json),
  -- and with the case's "client" on top.
  local f = assert(io.open(json.cases_dir .. "/defaults/client.json", "rb"))
  local DEFAULT_CLIENT = json.decode(f:read("*a"))
  f:close()
  local function client_options(case)
    local options = {}
    for k, v in pairs(DEFAULT_CLIENT) do options[k] = v end
    for k, v in pairs(case.client or {}) do options[k] = v end
    return options
  end

  return { show = show, subset = subset, same_json = same_json,
           check_request = check_request, DEFAULT_CLIENT = DEFAULT_CLIENT,
           client_options = client_options }
end
