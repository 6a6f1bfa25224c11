---@meta smartcar.core
-- LuaLS definitions for the C module smartcar.core (lua/smartcar_core.c).
-- Not loaded at run time; point LuaLS at lua/meta to use it.

---@class smartcar.core
---@field null lightuserdata what JSON null converts to
---@field array_mt table metatable of every converted JSON array
---@field error_mt table metatable of every error table (__tostring = message)
---@field client_mt table metatable of smartcar.Client
---@field codes table<string, integer> errors.def: codes.ETIMEOUT == -4
---@field kinds table<integer, string> kinds[-4] == "timeout"
---@field STEP_DONE integer
---@field STEP_SEND integer
---@field STEP_WAIT integer
---@field _VERSION string
local core = {}

--- Create a client.  Options (all optional): client_id, client_secret,
--- redirect_uri, mode, connect_origin, auth_origin, api_origin,
--- management_origin, api_version, unit_system, user_agent_suffix
--- (strings); connect_timeout_ms, timeout_ms, max_response_bytes
--- (integers); allow_insecure_http (boolean).  Raises on an unknown
--- option, a wrong type or a value the library refuses.
---@param options table|nil
---@return smartcar.Client
function core.client(options) end

--- Parse the redirect Connect sent (URL or query string).
---@param url string
---@param expected_state string|nil
---@return table|nil data
---@return smartcar.Error|nil err
function core.parse_redirect(url, expected_state) end

---@return string # 32 hex characters
function core.random_state() end

---@return string[] # endpoint names, in table order
function core.endpoints() end

---@return string # libsmartcar version
function core.version() end

--- Convert JSON text with the same rules as call results.
---@param text string
---@return any|nil value
---@return smartcar.Error|nil err kind "malformed_response"
function core.json_decode(text) end

---@class smartcar.Client
local Client = {}

--- Run one call of the endpoint table to completion (blocking).
--- Raises for an unknown endpoint or a missing parameter.
---@param endpoint string
---@param params table<string, string|number|boolean>|nil
---@return table|nil data
---@return smartcar.Error|nil err
function Client:call(endpoint, params) end

--- Start a sans-IO operation (see smartcar.Op).
---@param endpoint string
---@param params table<string, string|number|boolean>|nil
---@return smartcar.Op
function Client:op(endpoint, params) end

--- Build the Connect URL from string parameters (scope, force_prompt,
--- state, make, single_select, single_select_vin, flags, user, mode).
---@param params table|nil
---@return string url
---@return string state
function Client:auth_url(params) end

---@param key string
---@return string|nil
function Client:get(key) end

---@param connect_ms integer|nil 0 or nil keeps the current value
---@param total_ms integer|nil
---@return smartcar.Client self
function Client:set_timeouts(connect_ms, total_ms) end

---@return integer
function Client:connections_opened() end

---@return boolean
function Client:closed() end

--- Idempotent; also __gc and __close.
function Client:close() end

---@class smartcar.Op
local Op = {}

--- STEP_SEND, request {method, url, headers = {{name, value}...}, body,
--- connect_timeout_ms, timeout_ms}; STEP_WAIT, milliseconds; STEP_DONE.
---@return integer step
---@return table|integer|nil value
function Op:next() end

---@return integer
function Op:wait_ms() end

---@param status integer
---@param headers table|nil {name = value} or {{name, value}, ...}
---@param body string|nil
---@return smartcar.Op self
function Op:feed(status, headers, body) end

---@param code integer from core.codes (ENETWORK, ETIMEOUT, ETLS...)
---@param message string|nil must not contain secrets
---@return smartcar.Op self
function Op:fail(code, message) end

---@return table|nil data
---@return smartcar.Error|nil err
function Op:result() end

--- Idempotent; also __gc and __close.
function Op:close() end

return core
