-- smartcar.postgres_store from Lua, against the suite's PostgreSQL server
-- (tests/pg/run.sh sets the PG* variables).
local smartcar = require("smartcar")

describe("smartcar.postgres_store", function()
  it("keeps token sets under keys through the PG* variables", function()
    local store = assert(smartcar.postgres_store())
    assert.is_true(smartcar.is_token_store(store))
    assert(store:put("lua-owner", { access_token = "a1", refresh_token = "r1",
                                    expiration = 1e10 }))
    local other = assert(smartcar.postgres_store(""))
    local got = assert(other:get("lua-owner"))
    assert.are.equal("r1", got.refresh_token)
    assert(store:delete("lua-owner"))
    local none, err = other:get("lua-owner")
    assert.is_nil(none)
    assert.are.equal("not_found", err.kind)
    store:close()
    other:close()
  end)

  it("reports a server it cannot reach as a storage error", function()
    local store, err = smartcar.postgres_store(
      "host=127.0.0.1 port=1 password=hunter2 connect_timeout=5")
    assert.is_nil(store)
    assert.are.equal("storage", err.kind)
    assert.is_nil(tostring(err.message):find("hunter2", 1, true))
    assert.has_error(function() smartcar.postgres_store(5) end)
  end)
end)
