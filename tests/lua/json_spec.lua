-- core.json_encode: the Lua -> JSON converter (cJSON in C) that request
-- bodies go through.

local smartcar = require "smartcar"
local core = require "smartcar.core"
local helper = require "helper"

local raises = helper.raises

local encode, decode = core.json_encode, core.json_decode
local null = core.null

describe("json_encode", function()
  it("encodes scalars", function()
    assert.equal("true", encode(true))
    assert.equal("false", encode(false))
    assert.equal("null", encode(null))
    assert.equal('"café"', encode("café"))
    assert.equal('"a\\"b\\\\c\\n"', encode('a"b\\c\n'))
    assert.equal("42", encode(42))
    assert.equal("-7", encode(-7))
    assert.equal("0.8", encode(0.8))
    assert.equal("2.5", encode(2.5))
  end)

  it("keeps integers exact past 2^53", function()
    if math.maxinteger == nil then
      -- LuaJIT: numbers are doubles, exact up to 2^53, written as integers
      assert.equal("9007199254740992", encode(2 ^ 53))
      assert.equal("-9007199254740992", encode(-2 ^ 53))
      return
    end
    assert.equal("9007199254740993", encode(9007199254740993))
    assert.equal("9223372036854775807", encode(math.maxinteger))
    assert.equal("-9223372036854775808", encode(math.mininteger))
  end)

  it("round-trips floats", function()
    for _, x in ipairs { 0.1, 1 / 3, 1e300, -2.5e-10, 37.4292 } do
      assert.equal(x, decode(encode(x)))
    end
  end)

  it("encodes sequences as arrays and string-keyed tables as objects",
     function()
    assert.equal("[1,2,3]", encode { 1, 2, 3 })
    assert.equal('["a",null,true]', encode { "a", null, true })
    assert.equal("{}", encode {})
    assert.equal("[]", encode(setmetatable({}, smartcar.array_mt)))
    assert.equal('{"a":1,"b":[],"c":{"d":null}}', encode {
      c = { d = null }, a = 1, b = setmetatable({}, core.array_mt) })
  end)

  it("writes object keys in byte order", function()
    local t = {}
    for _, k in ipairs { "zeta", "alpha", "Mid", "beta", "_x", "a1" } do
      t[k] = k
    end
    assert.equal('{"Mid":"Mid","_x":"_x","a1":"a1","alpha":"alpha",'
                 .. '"beta":"beta","zeta":"zeta"}', encode(t))
  end)

  it("round-trips what json_decode gives", function()
    local text = '{"available":[{"capacity":70.9,"description":null}],'
      .. '"empty":[],"flag":false,"n":12,"nested":{"list":[[1],[2,3]]}}'
    assert.equal(text, encode(decode(text)))
  end)

  it("raises on what JSON cannot hold", function()
    assert.matches("cannot encode a function", raises(encode, print))
    assert.matches("cannot encode a function",
                   raises(encode, { a = { b = print } }))
    assert.matches("value expected", raises(encode, nil))
    assert.matches("NaN or infinity", raises(encode, 0 / 0))
    assert.matches("NaN or infinity", raises(encode, { x = math.huge }))
    assert.matches("mixed", raises(encode, { 1, 2, a = 3 }))
    assert.matches("non%-string", raises(encode, { [1.5] = 1 }))
    assert.matches("non%-string", raises(encode, { [true] = 1 }))
    assert.matches("non%-string", raises(encode, { [0] = "zero" }))
    assert.matches("sparse", raises(encode, { 1, nil, 3 }))
    assert.matches("NUL", raises(encode, "a\0b"))
    assert.matches("NUL", raises(encode, { ["a\0b"] = 1 }))
    assert.matches("cannot encode a userdata",
                   raises(encode, io.stdout))
    local cycle = {}
    cycle.self = cycle
    assert.matches("nested too deeply", raises(encode, cycle))
  end)

  it("frees what it built when it raises", function()
    -- Exercised for leak checkers (valgrind, ASan): whatever cJSON
    -- allocated before the raise is released by the to-be-closed holder.
    local big = {}
    for i = 1, 200 do big["k" .. i] = { i, i + 0.5, "s" .. i } end
    big.zz_bad = print
    for _ = 1, 50 do pcall(encode, big) end
    collectgarbage()
    assert.is_true(true)
  end)
end)
