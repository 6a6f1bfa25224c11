---@meta smartcar.core
-- LuaLS definitions for the C module smartcar.core (lua/smartcar_core.c).
-- Not loaded at run time; point LuaLS at lua/meta to use it.

---@class smartcar.core
---@field null lightuserdata what JSON null converts to
---@field array_mt table metatable of every converted JSON array
---@field error_mt table metatable of every error table (__tostring = message)
---@field client_mt table metatable of smartcar.Client
---@field token_store_mt table metatable of smartcar.TokenStore
---@field client_options table<string, string> option name -> "string", "integer", "boolean" or "number"
---@field codes table<string, integer> errors.def: codes.ETIMEOUT == -4
---@field kinds table<integer, string> kinds[-4] == "timeout"
---@field STEP_DONE integer
---@field STEP_SEND integer
---@field STEP_WAIT integer
---@field _VERSION string
local core = {}

--- Create a client.  Options (all optional): client_id, client_secret,
--- redirect_uri, mode, connect_origin, auth_origin, api_origin,
--- management_origin, vehicle_api_origin, iam_origin, api_version,
--- unit_system, user_agent_suffix
--- (strings); connect_timeout_ms, timeout_ms, max_response_bytes
--- (integers); allow_insecure_http (boolean); see core.client_options
--- for the full list.  Raises on an unknown option, a wrong type or a
--- value the library refuses.
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

---@return string[] # the environment variables a client reads its hosts, CA bundle and credentials from
function core.client_env() end

---@return table<string, string> # the per-call options, name -> "string" or "count"
function core.call_options() end

--- Every column of an endpoint's line (sc_endpoint_info): method, path,
--- host, auth, kind, vehicle ("1"/"0"), permission, batch_path,
--- batch_name, args, result, doc, paging, query; nil for an unknown name.
---@param name string
---@return table<string, string>|nil
function core.endpoint_info(name) end

---@return string # libsmartcar version
function core.version() end

--- Convert JSON text with the same rules as call results.
---@param text string
---@return any|nil value
---@return smartcar.Error|nil err kind "malformed_response"
function core.json_decode(text) end

--- Encode a Lua value as compact JSON text: smartcar.null -> null,
--- booleans, strings (no NUL bytes), integers (exact), finite floats;
--- tables tagged with array_mt -> arrays (1..#t); tables whose keys are
--- exactly 1..n (n > 0) -> arrays; tables with only string keys (or
--- empty) -> objects, keys in byte order.  Raises on anything else
--- (functions, NaN, mixed or sparse keys, cycles).
---@param value any
---@return string
function core.json_encode(value) end

--- Lower-case hex HMAC-SHA256 of data (any bytes) keyed by key.
---@param key string
---@param data string
---@return string
function core.hmac_sha256_hex(key, data) end

--- The answer to a webhook VERIFY challenge: hex HMAC-SHA256(amt,
--- challenge).
---@param amt string
---@param challenge string
---@return string
function core.webhook_challenge(amt, challenge) end

--- Whether signature is the hex HMAC-SHA256 of the raw body keyed by
--- amt (constant-time compare; hex case-insensitive).  nil signature:
--- false.
---@param amt string
---@param signature string|nil
---@param body string
---@return boolean
function core.webhook_verify(amt, signature, body) end

--- Parse a webhook delivery (v2 or v4) into snake_case data: version,
--- event_type, event_id, webhook_id, webhook_name, delivery_id,
--- delivered_at, mode, challenge, user_id, vehicle_id, payload, signals,
--- triggers (each when present).
---@param body string
---@return table|nil event
---@return smartcar.Error|nil err kind "malformed_response"
function core.webhook_parse(body) end

--- Open (creating when needed) a SQLite token store (sc_token_store_
--- sqlite_new); ":memory:" is a private in-memory one.  A database that
--- cannot be opened or created gives nil, err; a bad argument raises.
---@param path string
---@return smartcar.TokenStore|nil store
---@return smartcar.Error|nil err
function core.sqlite_store(path) end

--- sc_token_store_postgres_new: a PostgreSQL token store (nil or "": the
--- PG* environment variables); nil, err when it cannot connect.
---@param conninfo string|nil
---@return smartcar.TokenStore|nil store
---@return smartcar.Error|nil err
function core.postgres_store(conninfo) end

--- sc_token_expired: true when a token expiring at `expiration` (Unix
--- seconds) has expired or will within `leeway` seconds (default 0).
---@param expiration number
---@param leeway number|nil
---@return boolean
function core.token_expired(expiration, leeway) end

--- sc_flags_format: feature flags as Smartcar's "flags" parameter
--- ("key:value" pairs, keys in byte order), or nil and the message when
--- a name or value cannot be sent (spaces, colons in names...).
---@param flags table<string, string|number|boolean>
---@return string|nil text
---@return string|nil message
function core.format_flags(flags) end

-- (its doc, get and delete: lua/meta/smartcar_api.lua, from api.def)
---@class smartcar.TokenStore
local TokenStore = {}

--- Save a token set under key, replacing what was there.  token needs
--- string access_token and refresh_token (non-empty); expiration and
--- refresh_expiration, when present, are numbers (Unix seconds).  The
--- whole table is stored as JSON.  Raises on a bad table.
---@param key string
---@param token table
---@return true|nil ok
---@return smartcar.Error|nil err
function TokenStore:put(key, token) end

--- Refresh the set under key now (sc_token_store_refresh_now: single-flight,
--- compare-and-swap, saved before it is returned).  client: a
--- smartcar.Client, or a table whose `core` field holds one.
---@param client smartcar.Client|table
---@param key string
---@return table|nil token the current set
---@return smartcar.Error|nil err
function TokenStore:refresh(client, key) end

---@return boolean
function TokenStore:closed() end

--- Idempotent; also __gc and __close.  Later use raises.
function TokenStore:close() end

---@class smartcar.Client
local Client = {}

--- sc_call_stored: run a call with the access token from store under
--- key, refreshed first when it expires within 60 s and once more when
--- the API answers 401 AUTHENTICATION (the new set is saved before it is
--- used).  params must not hold access_token (that raises).
---@param store smartcar.TokenStore
---@param key string
---@param endpoint string
---@param params table<string, string|number|boolean>|nil
---@return table|nil data
---@return smartcar.Error|nil err
function Client:call_stored(store, key, endpoint, params) end

--- sc_client_share_cooldowns: wait out the cool-downs any client sharing
--- store received, and share this one's (store: a PostgreSQL one; nil
--- stops).  Raises for a store that cannot share them.
---@param store smartcar.TokenStore|nil
function Client:share_cooldowns(store) end

--- Run many calls concurrently over one libcurl multi handle
--- (sc_call_many).  calls: {{endpoint, params|nil}, ...}.  Results come
--- in the order of calls: {ok = true, data = ...} or {ok = false, err =
--- smartcar.Error}.  progress(index, ok, done, total) runs as each call
--- finishes, under lua_pcall: if it raises it is not called again, the
--- remaining calls finish, and call_many raises that error.  The client
--- cannot be closed while call_many runs.
---@param calls {[1]: string, [2]: table|nil}[]
---@param max_in_flight integer|nil default 8
---@param progress fun(index: integer, ok: boolean, done: integer, total: integer)|nil
---@return {ok: boolean, data: table|nil, err: smartcar.Error|nil}[]
function Client:call_many(calls, max_in_flight, progress) end

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

--- Install (a function) or remove (nil) the debug hook: hook(direction,
--- line) for every request ('>') and response ('<') line, secrets
--- redacted.  An error raised by the hook is dropped.
---@param hook fun(direction: string, line: string)|nil
function Client:set_debug(hook) end

---@return integer
function Client:connections_opened() end

---@return boolean
function Client:closed() end

--- Non-blocking calls (the core's sc_async; smartcar's client:start and
--- client:poll wrap these).  Start one: its id.  Argument errors raise.
---@param endpoint string
---@param params table|nil
---@param store userdata|nil
---@param key string|nil
---@return integer
function Client:async_start(endpoint, params, store, key) end

--- Start the walk of a paged call's pages (sc_async_start_pager): its id
--- and the data field that holds each page's items.  Each page finishes
--- as its own entry under that id, with more = true before the last.
---@param endpoint string
---@param params table|nil
---@param page_size integer|nil
---@param store userdata|nil
---@param key string|nil
---@return integer id
---@return string items
function Client:async_start_pages(endpoint, params, page_size, store, key) end

--- Check every socket and timer without waiting: the finished calls,
--- {id = n, data = t} or {id = n, err = e} (more = true: a page of a walk
--- that goes on), in finishing order.
---@return table[]
function Client:async_poll() end

--- The finished calls, without checking anything.
---@return table[]
function Client:async_take() end

--- A socket of client:fds() became ready.
---@param fd integer
---@param read boolean
---@param write boolean
function Client:async_socket(fd, read, write) end

--- The timeout of client:timeout_ms() came.
function Client:async_timeout() end

---@param id integer
---@return boolean
function Client:async_cancel(id) end

---@return integer calls running or finished and not taken
function Client:async_count() end

--- Milliseconds until client:async_timeout() is due; nil: no timer.
---@return integer|nil
function Client:timeout_ms() end

--- The sockets to watch now.
---@return {fd: integer, read: boolean, write: boolean}[]
function Client:fds() end

--- Idempotent; also __gc and __close.  Raises while call_many runs on
--- the client.
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

--- As fail, for a request that certainly never left this process
--- (connection refused, DNS failure): even a command may go again.
---@param code integer from core.codes
---@param message string|nil must not contain secrets
---@return smartcar.Op self
function Op:fail_unsent(code, message) end

---@return table|nil data
---@return smartcar.Error|nil err
function Op:result() end

--- Idempotent; also __gc and __close.
function Op:close() end

return core
