-- Binding behaviour: argument errors raise, lifetime of handles, value
-- conversion (null sentinel, arrays, integers), the error metatable.

local smartcar = require "smartcar"
local core = require "smartcar.core"
local helper = require "helper"

local raises = helper.raises

describe("smartcar.core module", function()
  it("exposes the version, the endpoint names and the error codes", function()
    assert.matches("^%d+%.%d+%.%d+", core.version())
    assert.equal(core.version(), smartcar.VERSION)
    local names = {}
    for _, n in ipairs(core.endpoints()) do names[n] = true end
    for _, n in ipairs { "exchange_code", "exchange_refresh_token",
                         "get_user", "get_vehicles", "odometer" } do
      assert.is_true(names[n], n)
    end
    assert.equal(-1, core.codes.EINVAL)
    assert.equal(-4, core.codes.ETIMEOUT)
    assert.equal("timeout", core.kinds[core.codes.ETIMEOUT])
    assert.equal("oauth", core.kinds[core.codes.EOAUTH])
    assert.equal("state_mismatch", core.kinds[core.codes.ESTATE])
  end)

  it("builds the paging iterator each paged call names (walk)", function()
    assert.equal("each_vehicle", core.endpoint_info("get_vehicles").walk)
    assert.equal("", core.endpoint_info("odometer").walk)
    local car = smartcar.vehicle("id", "token")
    local v3car = smartcar.vehicle_v3("id", { user_id = "user" })
    local n = 0
    for _, name in ipairs(core.endpoints()) do
      local info = core.endpoint_info(name)
      local owner = info.vehicle ~= "1" and smartcar
        or info.host == "v3" and v3car or car
      if info.walk ~= "" then
        assert.is_function(owner[info.walk], info.walk)
        n = n + 1
      end
    end
    assert.equal(7, n)
    assert.matches("call it with ':'", helper.raises(car.each_permission))
  end)

  it("makes random states", function()
    local a, b = core.random_state(), smartcar.random_state()
    assert.matches("^%x+$", a)
    assert.equal(32, #a)
    assert.not_equal(a, b)
  end)

  it("lists the variables clients read their hosts from (client_env)",
     function()
    local names = {}
    for _, name in ipairs(core.client_env()) do names[name] = true end
    -- the v3 names and the CA files, which the library reads too
    for _, name in ipairs { "SMARTCAR_API_ORIGIN", "SMARTCAR_IAM_ORIGIN",
                            "SMARTCAR_VEHICLE_API_V3_ORIGIN",
                            "SMARTCAR_MANAGEMENT_API_V3_ORIGIN",
                            "SSL_CERT_FILE" } do
      assert.is_true(names[name], name)
    end
  end)

  it("compares environment variables with same_env (unset reads as \"\")",
     function()
    local path = os.getenv("PATH")
    local unset = "SC_TEST_UNSET_VARIABLE_7f3a"
    assert.is_nil(os.getenv(unset))
    assert.is_true(core.same_env({ "PATH", unset }, { path, "" }))
    assert.is_true(core.same_env({}, {}))
    assert.is_false(core.same_env({ "PATH" }, { path .. "x" }))
    assert.is_false(core.same_env({ "PATH" }, { path:sub(1, -2) }))
    assert.is_false(core.same_env({ unset }, { "x" }))
    assert.is_false(core.same_env({ "PATH" }, {}))
    assert.has_error(function() core.same_env("PATH", {}) end)
    -- more names than one walk of the environment takes (16)
    local names, values = {}, {}
    for i = 1, 20 do names[i], values[i] = unset .. i, "" end
    names[18], values[18] = "PATH", path
    assert.is_true(core.same_env(names, values))
    values[18] = path .. "x"
    assert.is_false(core.same_env(names, values))
    values[18], values[3] = path, "set"
    assert.is_false(core.same_env(names, values))
    -- a snapshot: the values now (unset: ""), or those given
    assert.is_true(core.same_env(core.env_snapshot({ "PATH", unset })))
    assert.is_true(core.same_env(core.env_snapshot({})))
    assert.is_true(core.same_env(core.env_snapshot(names)))
    assert.is_false(core.same_env(core.env_snapshot(names, values)))
    values[3] = ""
    assert.is_true(core.same_env(core.env_snapshot(names, values)))
    assert.is_false(core.same_env(core.env_snapshot({ "PATH" }, {})))
    assert.has_error(function() core.env_snapshot("PATH") end)
  end)

  it("sees a variable changed in C at the next same_env", function()
    -- (setenv from LuaJIT's FFI; Lua 5.4 has no way to change one)
    local has_ffi, ffi = pcall(require, "ffi")
    if not has_ffi then return end
    ffi.cdef [[
      int setenv(const char *name, const char *value, int overwrite);
      int unsetenv(const char *name);
    ]]
    local name, path = "SC_TEST_SNAPSHOT_VARIABLE_5e1c", os.getenv("PATH")
    local snap = core.env_snapshot({ "PATH", name })
    assert.is_true(core.same_env(snap))
    assert.is_true(core.same_env(snap))
    ffi.C.setenv(name, "set", 1)
    assert.is_false(core.same_env(snap))
    ffi.C.unsetenv(name)
    assert.is_true(core.same_env(snap))
    ffi.C.setenv("PATH", path .. ":/nowhere", 1)
    assert.is_false(core.same_env(snap))
    ffi.C.setenv("PATH", path, 1)
    assert.is_true(core.same_env(snap))
    ffi.C.setenv(name, "", 1) -- set but empty reads as unset
    assert.is_true(core.same_env(snap))
    ffi.C.unsetenv(name)
  end)
end)

describe("value conversion", function()
  it("turns JSON null into the null sentinel", function()
    local v = assert(core.json_decode('{"a": null, "b": [null, 1]}'))
    assert.equal("userdata", type(core.null))
    assert.equal(core.null, smartcar.null)
    assert.equal(core.null, v.a)
    assert.equal(core.null, v.b[1])
    assert.equal(2, #v.b)
  end)

  it("tags arrays with a shared metatable, objects stay plain", function()
    local v = assert(core.json_decode('{"list": [1, 2], "empty": [], "obj": {}}'))
    assert.equal(core.array_mt, getmetatable(v.list))
    assert.equal(core.array_mt, getmetatable(v.empty))
    assert.is_nil(getmetatable(v.obj))
    assert.is_nil(getmetatable(v))
    assert.is_true(smartcar.is_array(v.list))
    assert.is_false(smartcar.is_array(v.obj))
    assert.same({ 1, 2 }, v.list)
  end)

  it("keeps integers exact and other numbers as floats", function()
    local v = assert(core.json_decode(
      '[1, -7, 2.5, 1e3, 9007199254740992, 1e300, 0.1]'))
    assert.equal(1, v[1])
    assert.equal(-7, v[2])
    assert.equal(2.5, v[3])
    assert.equal(1000, v[4])
    assert.equal(9007199254740992, v[5])
    assert.equal(1e300, v[6])
    assert.equal(0.1, v[7])
    -- Lua 5.4 tells integers from floats (LuaJIT's numbers are doubles)
    if math.type then
      assert.equal("integer", math.type(v[1]))
      assert.equal("float", math.type(v[3]))
      assert.equal("integer", math.type(v[4]))
      assert.equal("integer", math.type(v[5]))
      assert.equal("float", math.type(v[6]))
    end
  end)

  it("converts strings, booleans and nesting", function()
    local v = assert(core.json_decode(
      '{"s": "caf\\u00e9", "t": true, "f": false, "n": {"m": {"k": [[]]}}}'))
    assert.equal("café", v.s)
    assert.is_true(v.t)
    assert.is_false(v.f)
    assert.equal(0, #v.n.m.k[1])
  end)

  it("returns nil, err for invalid JSON", function()
    local v, err = core.json_decode("{nope")
    assert.is_nil(v)
    assert.equal("malformed_response", err.kind)
    assert.equal(core.error_mt, getmetatable(err))
    assert.equal(err.message, tostring(err))
  end)

  it("refuses text after the JSON value, not whitespace", function()
    local v, err = core.json_decode('{"a": 1} {"b": 2}')
    assert.is_nil(v)
    assert.equal("malformed_response", err.kind)
    assert.equal("invalid JSON near byte 9", err.message)
    assert.is_nil(core.json_decode("[1]x"))
    assert.same({ 1 }, core.json_decode("[1] \n"))
  end)
end)

describe("argument errors raise", function()
  local auth
  setup(function()
    auth = smartcar.auth_client {
      client_id = "cid", client_secret = "s",
      redirect_uri = "https://example.com/callback",
    }
  end)
  teardown(function() auth:close() end)

  it("in the C module", function()
    assert.matches("unknown option 'bogus'", raises(core.client, { bogus = 1 }))
    assert.matches("option 'mode': string expected",
                   raises(core.client, { mode = 1 }))
    assert.matches("non%-negative integer",
                   raises(core.client, { timeout_ms = -1 }))
    assert.matches("boolean expected",
                   raises(core.client, { allow_insecure_http = "yes" }))
    assert.matches("table expected", raises(core.client, "x"))
    -- Values the library refuses raise too.
    raises(core.client, { mode = "bogus" })
    raises(core.client, { unit_system = "furlongs" })

    local c = core.client {}
    assert.matches("string expected", raises(c.call, c, nil))
    assert.matches("table expected", raises(c.call, c, "get_user", "x"))
    assert.matches("parameter 'x': string, number or boolean expected",
                   raises(c.call, c, "get_user", { x = {} }))
    assert.matches("parameter names must be strings",
                   raises(c.call, c, "get_user", { "positional" }))
    assert.matches("NUL", raises(c.call, c, "get_user",
                                 { access_token = "a\0b" }))
    assert.matches("smartcar.Client expected", raises(c.call, {}, "get_user"))
    assert.matches("must not be negative", raises(c.set_timeouts, c, -1))
    assert.matches("string expected", raises(core.parse_redirect, 42))
    assert.matches("string expected",
                   raises(core.parse_redirect, "code=x", 42))
    c:close()
  end)

  it("in client:call_many and the webhook functions", function()
    local c = core.client {}
    assert.matches("table expected", raises(c.call_many, c, "odometer"))
    assert.matches("calls%[1%]: table {endpoint, params%[, store, key%]} "
                   .. "expected", raises(c.call_many, c, { "odometer" }))
    assert.matches("calls%[1%]%[3%], %[4%]: an open token store and a key",
                   raises(c.call_many, c, { { "vin", {}, "store", "k" } }))
    assert.matches("calls%[2%]%[1%]: endpoint name expected",
                   raises(c.call_many, c, { { "vin" }, { 42 } }))
    assert.matches("calls%[1%]%[2%]: params table expected",
                   raises(c.call_many, c, { { "vin", "x" } }))
    assert.matches("parameter 'x': string, number or boolean expected",
                   raises(c.call_many, c, { { "vin", { x = {} } } }))
    assert.matches("max_in_flight must be 1..1024",
                   raises(c.call_many, c, { { "vin" } }, 0))
    assert.matches("function expected",
                   raises(c.call_many, c, { { "vin" } }, nil, "f"))
    assert.same({}, c:call_many({}))
    c:close()
    assert.equal("client is closed", raises(c.call_many, c, {}))

    assert.matches("string expected", raises(core.webhook_challenge, 1, "x"))
    assert.matches("NUL", raises(core.webhook_challenge, "a\0b", "x"))
    assert.matches("string expected", raises(core.webhook_verify, "k", 1, ""))
    assert.matches("string expected", raises(core.webhook_verify, "k", "s"))
    assert.matches("string expected", raises(core.webhook_parse, nil))
    assert.matches("string expected", raises(core.hmac_sha256_hex, nil, ""))
  end)

  it("for a missing vehicle id or an unknown endpoint in core calls", function()
    local c = core.client {}
    raises(c.call, c, "odometer", { access_token = "t" })
    raises(c.call, c, "no_such_endpoint", { access_token = "t" })
    c:close()
  end)

  it("in the Lua module", function()
    assert.matches("vehicle id: string expected, got nil",
                   raises(smartcar.vehicle, nil, "token"))
    assert.matches("vehicle id must not be empty",
                   raises(smartcar.vehicle, "", "token"))
    assert.matches("access_token: string expected, got number",
                   raises(smartcar.vehicle, "id", 42))
    assert.matches("unknown option 'units'",
                   raises(smartcar.vehicle, "id", "t", { units = "metric" }))
    assert.matches("access_token: string expected",
                   raises(smartcar.get_user, nil))
    assert.matches("limit: non%-negative integer",
                   raises(smartcar.get_vehicles, "t", { limit = "2" }))
    assert.matches("unknown option 'page'",
                   raises(smartcar.get_vehicles, "t", { page = 1 }))
    assert.matches("url_or_query: string expected",
                   raises(smartcar.parse_redirect, 1))
    assert.matches("expected_state: string expected",
                   raises(smartcar.parse_redirect, "code=x", 1))
    assert.matches("table expected", raises(smartcar.auth_client, "cid"))
    assert.matches("unknown option 'clientid'",
                   raises(smartcar.auth_client, { clientid = "x" }))
    assert.matches("unknown option", raises(smartcar.configure, { x = 1 }))
    assert.matches("flags: string keys",
                   raises(smartcar.get_user, "t", { flags = { a = {} } }))
    -- the library's rules: values that cannot be sent are refused
    assert.matches("flags: flag values must not contain spaces",
                   raises(smartcar.get_user, "t",
                          { flags = { country = "D E" } }))
  end)

  it("for a vehicle whose fields were changed after it was made", function()
    -- refused before anything is sent, at the caller's line
    local function call(car) local r = car:odometer(); return r end
    local car = smartcar.vehicle("id", "token")
    car.id = ""
    assert.matches("binding_spec%.lua:%d+: odometer: vehicle%.id must be a " ..
                   "non%-empty string", raises(call, car))
    car.id, car.access_token = "id", 42
    assert.matches("odometer: vehicle%.access_token must be a non%-empty " ..
                   "string", raises(call, car))
    car.access_token = nil
    assert.matches("vehicle%.access_token must be", raises(call, car))
    local stored = smartcar.vehicle("id", {
      store = assert(smartcar.token_store(":memory:")), key = "k" })
    stored.key = ""
    assert.matches("odometer: vehicle%.key must be a non%-empty string",
                   raises(call, stored))
    stored.key, stored.store = "k", {}
    assert.matches("odometer: vehicle%.store must be a token store",
                   raises(call, stored))
  end)

  it("formats flags with the library (keys in byte order)", function()
    assert.equals("a:x b:false z:1.5",
                  core.format_flags { z = 1.5, b = false, a = "x" })
    assert.equals("n:3", core.format_flags { n = 3 })
    assert.equals("", core.format_flags {})
    local text, err = core.format_flags { ["a:b"] = "1" }
    assert.is_nil(text)
    assert.matches("flag names", err)
  end)

  it("in AuthClient methods", function()
    assert.matches("scope: table of strings expected",
                   raises(auth.get_auth_url, auth, "read_odometer"))
    assert.matches("scope%[2%]", raises(auth.get_auth_url, auth,
                                         { "read_odometer", 3 }))
    assert.matches("force_prompt: boolean expected",
                   raises(auth.get_auth_url, auth, {}, { force_prompt = 1 }))
    assert.matches("unknown option 'forcePrompt'",
                   raises(auth.get_auth_url, auth, {}, { forcePrompt = true }))
    assert.matches("single_select.vin", raises(auth.get_auth_url, auth, {},
      { single_select = { enabled = true, vin = 17 } }))
    assert.matches("code: string expected", raises(auth.exchange_code, auth))
    assert.matches("refresh_token must not be empty",
                   raises(auth.exchange_refresh_token, auth, ""))
    assert.matches("call it with ':'", raises(auth.exchange_code, "code"))
    local car = smartcar.vehicle("id", "token")
    assert.matches("call it with ':'", raises(car.odometer))
  end)

  it("when the auth client lacks a client id or redirect URI", function()
    local bare = smartcar.auth_client { client_id = "cid",
                                        redirect_uri = "" }
    assert.matches("redirect_uri", raises(bare.get_auth_url, bare, {}))
    bare:close()
  end)
end)

describe("client lifetime", function()
  it("closes twice without error and raises on use after close", function()
    local c = core.client {}
    assert.is_false(c:closed())
    assert.matches("^smartcar.Client %(", tostring(c))
    c:close()
    c:close()
    assert.is_true(c:closed())
    assert.equal("smartcar.Client (closed)", tostring(c))
    assert.equal("client is closed", raises(c.get, c, "mode"))
    assert.equal("client is closed", raises(c.call, c, "get_user", {}))
    assert.equal("client is closed", raises(c.auth_url, c, {}))
    assert.equal("client is closed", raises(c.connections_opened, c))
  end)

  -- Lua 5.4 runs __close at the end of a `local x <close>` scope (a
  -- chunk loaded from text: LuaJIT cannot parse the attribute); LuaJIT
  -- has no such scopes, and calls the same metamethod as 5.4 would.
  local function close_scope(make)
    if _VERSION == "Lua 5.4" then
      return assert(load([[
        local make = ...
        local kept
        do
          local x <close> = make()
          kept = x
        end
        return kept]]))(make)
    end
    local x = make()
    getmetatable(x).__close(x, nil)
    return x
  end

  it("closes at the end of a <close> scope", function()
    local kept = close_scope(function()
      local c = core.client {}
      assert.is_false(c:closed())
      return c
    end)
    assert.is_true(kept:closed())

    local auth_kept = close_scope(function()
      return smartcar.auth_client { client_id = "cid" }
    end)
    assert.is_true(auth_kept.core:closed())
    assert.equal("smartcar.AuthClient (closed)", tostring(auth_kept))
    assert.matches("client is closed",
                   raises(auth_kept.get_auth_url, auth_kept, {}))
  end)

  -- (LuaJIT runs the C functions through the compat layer's trampoline,
  -- which must not cost the messages their name or the method's count)
  it("names the function in argument errors, counting from self", function()
    local c = core.client {}
    local ok, msg = pcall(function() local _ = c:set_timeouts("x") end)
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'set_timeouts' %(number expected",
                   msg)
    ok, msg = pcall(function() local _ = core.client(5) end)
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'client' %(options: table expected",
                   msg)
    c:close()
  end)

  it("is collected without an explicit close", function()
    for _ = 1, 50 do core.client {} end
    collectgarbage()
    collectgarbage()
  end)

  it("reads back configuration but never the secret", function()
    local c = core.client { client_id = "cid", client_secret = "hush-hush-1",
                            mode = "test", unit_system = "imperial" }
    assert.equal("cid", c:get("client_id"))
    assert.equal("test", c:get("mode"))
    assert.equal("imperial", c:get("unit_system"))
    assert.is_nil(c:get("client_secret"))
    assert.equal(c, c:set_timeouts(1000, 5000))
    assert.equal(0, c:connections_opened())
    c:close()
  end)
end)

describe("the default client", function()
  it("is created once, and again by configure", function()
    local url = helper.url()
    local before = smartcar.default_client()
    assert.equal(before, smartcar.default_client())
    assert.equal(url, before:get("api_origin"))
    smartcar.configure(helper.origins())
    local after = smartcar.default_client()
    assert.not_equal(before, after)
    assert.equal(after, smartcar.default_client())
    assert.equal(url, after:get("api_origin"))
  end)

  it("gives configured options to auth clients that lack them", function()
    helper.url()
    local auth = smartcar.auth_client { client_id = "cid" }
    local other = smartcar.auth_client {
      client_id = "cid", api_origin = "https://api.example.com" }
    finally(function() auth:close(); other:close() end)
    assert.equal(helper.url(), auth:get("api_origin"))
    assert.equal("https://api.example.com", other:get("api_origin"))
  end)
end)

describe("errors", function()
  it("are tables with the shared metatable and __tostring", function()
    local data, err = core.parse_redirect(
      "https://example.com/callback?code=abc&state=one", "two")
    assert.is_nil(data)
    assert.equal(core.error_mt, getmetatable(err))
    assert.equal(smartcar.error_mt, getmetatable(err))
    assert.is_true(smartcar.is_error(err))
    assert.equal("state_mismatch", err.kind)
    assert.equal("string", type(err.message))
    assert.equal(err.message, tostring(err))
  end)

  it("come back as nil, err from a network failure", function()
    -- Port 1 on loopback: nothing listens there.
    local c = core.client { api_origin = "http://127.0.0.1:1",
                            connect_timeout_ms = 2000 }
    local data, err = c:call("get_user", { access_token = "secret-token-1" })
    assert.is_nil(data)
    assert.equal("network", err.kind)
    helper.assert_no_secrets(err, { "secret-token-1" })
    c:close()
  end)
end)

describe("token sets", function()
  it("print without their secrets", function()
    -- Token tables share a metatable whose __tostring hides the tokens.
    local auth = helper.auth_client()
    local url = auth:get_auth_url({ "read_odometer" })
    local redirect = assert(smartcar.parse_redirect(helper.connect(url)))
    local token = assert(auth:exchange_code(redirect.code))
    local text = tostring(token)
    assert.matches("^smartcar.Token", text)
    assert.is_nil(text:find(token.access_token, 1, true))
    assert.is_nil(text:find(token.refresh_token, 1, true))
    auth:close()
  end)
end)

describe("op failures", function()
  local function lock_op(client)
    return client:op("lock", { vehicle_id = "v", access_token = "tok-1",
                               max_attempts = "3" })
  end

  it("op:fail ends a command that may have been sent", function()
    local client = core.client({})
    finally(function() client:close() end)
    local op = lock_op(client)
    assert.equal(core.STEP_SEND, op:next())
    op:fail(core.codes.ENETWORK, "reset after sending")
    assert.equal(core.STEP_DONE, op:next())
    local data, err = op:result()
    assert.is_nil(data)
    assert.equal("network", err.kind)
  end)

  it("op:fail_unsent lets the same command go again", function()
    local client = core.client({})
    finally(function() client:close() end)
    local op = lock_op(client)
    assert.equal(core.STEP_SEND, op:next())
    assert.equal(op, op:fail_unsent(core.codes.ENETWORK, "refused"))
    local step = op:next()
    assert.is_true(step == core.STEP_SEND or step == core.STEP_WAIT)
    raises(function() op:fail_unsent(1, "x") end)
  end)
end)

describe("client:set_debug", function()
  it("shows the exchange without the token, until removed", function()
    local client = helper.core_client()
    finally(function() client:close() end)
    local lines = {}
    client:set_debug(function(direction, line)
      lines[#lines + 1] = direction .. line
    end)
    client:call("get_user", { access_token = "tok-SECRET-debug" })
    local text = table.concat(lines, "\n")
    assert.matches(">GET http://[^\n]+/v[%d.]+/user\n", text)
    assert.matches("\n<", text)
    assert.is_nil(text:find("tok-SECRET-debug", 1, true))
    local seen = #lines
    client:set_debug(nil)
    client:call("get_user", { access_token = "tok-SECRET-debug" })
    assert.equal(seen, #lines)
    assert.matches("function expected",
      raises(function() client:set_debug("no") end))
  end)

  it("drops an error raised by the hook", function()
    local client = helper.core_client()
    finally(function() client:close() end)
    local calls = 0
    client:set_debug(function() calls = calls + 1; error("hook failed") end)
    local data, err = client:call("get_user", { access_token = "tok-x" })
    assert.is_true(calls > 0)
    assert.is_true(data ~= nil or err ~= nil)
  end)
end)
