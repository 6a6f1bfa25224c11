-- API v3 commands that end through 202 (blocking calls and start/poll,
-- with a deadline), their final bodies as typed errors, and charge
-- schedules given as tables.

local smartcar = require "smartcar"
local helper = require "helper"

local function commands(settings)
  local status, body, text = helper.control("POST", "/_emulator/v3/commands",
                                            settings)
  assert(status == 200, text)
  return body
end

local function frame_sleep()
  os.execute("sleep 0.016")
end

-- Poll client until req is done (at most ~10 s of frames).
local function wait(client, req)
  for _ = 1, 600 do
    client:poll()
    if req:done() then return req:result() end
    frame_sleep()
  end
  return nil, { kind = "test", message = "the request did not finish" }
end

local function lock_posts()
  local n = 0
  for _, r in ipairs(helper.logged("POST", "/commands/security/lock$")) do
    if r.status ~= 401 then n = n + 1 end
  end
  return n
end

describe("v3 commands through 202", function()
  local fleet, phev_id

  setup(function()
    fleet = helper.fresh_fleets("v3cmd-lua@example.com")
    phev_id = fleet.phev.id
  end)

  before_each(function()
    commands { mode = "auto", delay_ms = 30, result = "SUCCESS" }
    helper.set_vehicle(phev_id, { locked = false })
  end)

  local function islocked()
    local v = smartcar.vehicle_v3(phev_id,
                                  { access_token = fleet.token.access_token })
    local sig = assert(v:get_signal("closure-islocked"))
    return sig.data.attributes.body.value
  end

  it("reads a 202 to its end in a blocking call", function()
    local ex = assert(fleet.phev:security_lock())
    assert.equal("async", ex.data.attributes.execution_mode)
    assert.equal("SUCCESS", ex.data.attributes.status.value)
    assert.is_true(islocked())
    local tesla = assert(fleet.bev:security_lock())
    assert.equal("sync", tesla.data.attributes.execution_mode)
  end)

  it("makes the final body's error a typed error, sent once", function()
    helper.clear_log()
    commands { result = "errors", error_type = "VEHICLE_STATE",
               error_code = "DOOR_OPEN" }
    local data, err = fleet.phev:security_lock()
    assert.is_nil(data)
    assert.equal("api", err.kind)
    assert.equal("VEHICLE_STATE", err.type)
    assert.equal("DOOR_OPEN", err.code)
    assert.equal(409, err.status_code)
    commands { result = "UNAVAILABLE", error_type = "UPSTREAM",
               error_code = "NO_RESPONSE" }
    data, err = fleet.phev:security_lock()
    assert.is_nil(data)
    assert.equal("UPSTREAM", err.type)
    assert.equal("UNAVAILABLE", err.command_status)
    assert.equal(202, err.status_code)
    assert.equal(2, lock_posts())
    assert.is_false(islocked())
  end)

  it("runs through start/poll and honours a deadline", function()
    local client = smartcar.default_client()
    local req = fleet.phev:start("security_lock")
    local data, err = wait(client, req)
    assert.is_nil(err)
    assert.equal("async", data.data.attributes.execution_mode)
    assert.is_true(islocked())
    -- held until released: the call's timeout ends the wait
    commands { delay_ms = -1 }
    helper.clear_log()
    req = fleet.phev:start("security_unlock", { timeout_ms = 300 })
    data, err = wait(client, req)
    assert.is_nil(data)
    assert.equal("timeout", err.kind)
    assert.equal(1, #helper.logged("POST", "/commands/security/unlock$"))
    helper.control("POST", "/_emulator/v3/commands/release", {})
  end)

  it("sends charge schedules given as tables and deletes them", function()
    local daily = { location = { latitude = 52.52, longitude = 13.405 },
                    startTime = "22:00", stopTime = "06:00" }
    local made = assert(fleet.bev:charge_schedule_daily(daily))
    local id = made.data.attributes.schedule_id
    assert.equal("DAILY", made.data.attributes.schedule_type)
    -- JSON text works as well
    assert(fleet.bev:charge_schedule_workweek(
      '{"weekdays":{"startTime":"22:00"},"weekends":{"startTime":"01:00"}}'))
    local v = smartcar.vehicle_v3(fleet.bev.id,
                                  { access_token = fleet.token.access_token })
    local timers = assert(v:get_signal("charge-chargetimers"))
    local values = timers.data.attributes.body.values
    assert.equal(2, #values)
    assert.equal(id, values[1].schedule_id)
    assert.equal("22:00", values[1].start_time)
    assert.equal("WORKWEEK", values[2].schedule_type)
    assert(fleet.bev:delete_charge_schedule(id))
    timers = assert(v:get_signal("charge-chargetimers"))
    assert.equal(1, #timers.data.attributes.body.values)
    local _, err = fleet.bev:delete_charge_schedule(id)
    assert.equal("RESOURCE_NOT_FOUND", err.type)
    _, err = fleet.ice:charge_schedule_daily(daily)
    assert.equal("COMPATIBILITY", err.type)
    assert.equal(501, err.status_code)
    assert.matches("attributes: table or JSON text expected",
                   helper.raises(fleet.bev.charge_schedule_daily, fleet.bev,
                                 42))
  end)
end)

describe("Management API v3 webhooks (read-only)", function()
  local opts

  setup(function()
    helper.url()
    helper.reset()
    opts = { client = helper.auth_client() }
    for i, name in ipairs { "Fleet updates", "Fleet errors", "Old hook" } do
      local status = helper.control("POST", "/_emulator/webhooks", {
        webhook_id = "lua-wh-" .. i, name = name,
        callback_url = "http://127.0.0.1:9/hooks/" .. i,
        enabled = i ~= 3, auto_subscribe = i == 2 })
      assert.equal(200, status)
    end
  end)

  it("lists with filters and page-number paging, and gets one", function()
    local all = assert(smartcar.list_webhooks(nil, opts))
    assert.equal(3, all.meta.total_count)
    assert.equal("lua-wh-1", all.data[1].id)
    assert.equal("webhook", all.data[1].type)
    assert.is_true(all.data[1].attributes.is_enabled)
    local fleet = assert(smartcar.list_webhooks({ name = "fleet" }, opts))
    assert.equal(2, #fleet.data)
    local off = assert(smartcar.list_webhooks({ is_enabled = false }, opts))
    assert.equal(1, #off.data)
    assert.equal("lua-wh-3", off.data[1].id)
    local page = assert(smartcar.list_webhooks({ page = 2, page_size = 2 },
                                            opts))
    assert.equal(1, #page.data)
    assert.is_true(page.links.next == nil or page.links.next == smartcar.null)
    assert.equal("/webhooks?page[number]=1&page[size]=2", page.links.prev)
    local ids = {}
    for w in smartcar.each_webhook(nil, { client = opts.client,
                                          page_size = 2 }) do
      ids[#ids + 1] = w.id
    end
    assert.same({ "lua-wh-1", "lua-wh-2", "lua-wh-3" }, ids)
    local one = assert(smartcar.get_webhook("lua-wh-2", opts))
    assert.is_true(one.data.attributes.auto_subscribe)
    local _, err = smartcar.get_webhook("lua-wh-none", opts)
    assert.equal("RESOURCE_NOT_FOUND", err.type)
    assert.matches("is_enabled: boolean expected",
                   helper.raises(smartcar.list_webhooks, { is_enabled = 1 }))
  end)
end)
