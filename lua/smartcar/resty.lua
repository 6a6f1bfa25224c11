--- smartcar.resty: libsmartcar for OpenResty / lua-nginx-module.
---
--- The library's sans-IO state machine (sc_op) decides what to send,
--- retries, waits and decodes; this module does the I/O with nginx
--- cosockets (ngx.socket.tcp) and ngx.sleep, so a call never blocks the
--- nginx worker.  Works in every phase where cosockets are allowed
--- (rewrite, access, content, ngx.timer, ssl_certificate...).
---
---   local smartcar = require "smartcar.resty"
---   smartcar.init { lib = "/usr/local/lib/libsmartcar.so" }
---   local client = smartcar.client { client_id = ..., client_secret = ... }
---   local data, err = client:vehicle(id, token):odometer()
local ffi = require "ffi"
local cjson = require "cjson.safe"

local ngx = ngx
local C = nil

local _M = { _VERSION = "0.1.0" }

-- Return codes (csrc/include/smartcar/errors.def).
local SC_EINVAL = -1
local SC_ENETWORK = -3
local SC_ETIMEOUT = -4
local SC_ETLS = -5
local SC_EMALFORMED = -6
local SC_ETOOBIG = -7
local STEP_DONE, STEP_SEND, STEP_WAIT = 0, 1, 2

_M.SC_ENETWORK, _M.SC_ETIMEOUT, _M.SC_ETOOBIG = SC_ENETWORK, SC_ETIMEOUT,
  SC_ETOOBIG

local CDEF = [[
typedef struct sc_client sc_client;
typedef struct sc_params sc_params;
typedef struct sc_op sc_op;
typedef struct sc_request sc_request;
typedef struct sc_response sc_response;
typedef struct sc_result sc_result;
typedef struct sc_error sc_error;
typedef struct sc_token_store sc_token_store;

typedef struct sc_client_options {
  unsigned int version;
  const char *client_id;
  const char *client_secret;
  const char *redirect_uri;
  const char *mode;
  const char *connect_origin;
  const char *auth_origin;
  const char *api_origin;
  const char *management_origin;
  const char *api_version;
  const char *unit_system;
  const char *user_agent_suffix;
  long connect_timeout_ms;
  long timeout_ms;
  size_t max_response_bytes;
  int allow_insecure_http;
  int insecure_skip_tls_verify_dangerous;
  const char *ca_bundle;
  const char *proxy;
  const char *flags;
  int max_attempts;
  long retry_base_ms;
  long retry_max_ms;
  long retry_deadline_ms;
  double rate_limit_capacity;
  double rate_limit_per_minute;
  const char *rate_policy;
  const char *vehicle_api_origin;
  const char *iam_origin;
  const char *profile;
  long connection_pool_size;
  long max_cooldown_ms;
} sc_client_options;

const char *sc_version(void);
int sc_global_init(void);
void sc_free(void *ptr);
const char *sc_strerror(int code);
const char *sc_code_kind(int code);

int sc_client_options_init(sc_client_options *opts, unsigned int version);
int sc_client_new(sc_client **out, const sc_client_options *opts,
                  sc_error **err_out);
void sc_client_free(sc_client *client);
const char *sc_client_get(const sc_client *client, const char *key);

int sc_params_new(sc_params **out);
void sc_params_free(sc_params *params);
int sc_params_set(sc_params *params, const char *key, const char *value);

size_t sc_endpoint_count(void);
const char *sc_endpoint_name(size_t i);
const char *sc_endpoint_info(const char *endpoint, const char *field);
int sc_op_new(sc_op **out, sc_client *client, const char *endpoint,
              const sc_params *params, sc_error **err_out);
int sc_op_next(sc_op *op, const sc_request **req_out);
long sc_op_wait_ms(const sc_op *op);
int sc_op_feed(sc_op *op, sc_response *resp);
int sc_op_fail(sc_op *op, int code, const char *message);
int sc_op_fail_unsent(sc_op *op, int code, const char *message);
int sc_op_result(sc_result **out, sc_op *op);
void sc_op_free(sc_op *op);
int sc_op_new_stored(sc_op **out, sc_client *client, sc_token_store *store,
                     const char *key, const char *endpoint,
                     const sc_params *params, sc_error **err_out);

int sc_token_store_sqlite_new(sc_token_store **out, const char *path,
                              sc_error **err_out);
void sc_token_store_free(sc_token_store *store);
int sc_token_store_put_json(sc_token_store *store, const char *key,
                            const char *json);
int sc_token_store_get(sc_result **out, sc_token_store *store,
                       const char *key);
int sc_token_store_delete(sc_token_store *store, const char *key);

const char *sc_request_method(const sc_request *req);
const char *sc_request_url(const sc_request *req);
size_t sc_request_header_count(const sc_request *req);
int sc_request_header_at(const sc_request *req, size_t i,
                         const char **name, const char **value);
const char *sc_request_body(const sc_request *req, size_t *len_out);
long sc_request_connect_timeout_ms(const sc_request *req);
long sc_request_timeout_ms(const sc_request *req);

int sc_response_new(sc_response **out, size_t max_body);
void sc_response_free(sc_response *resp);
int sc_response_set_status(sc_response *resp, int status);
int sc_response_add_header(sc_response *resp, const char *name,
                           const char *value);
int sc_response_append_body(sc_response *resp, const char *data, size_t len);

const sc_error *sc_result_error(const sc_result *res);
int sc_result_to_json(char **out, const sc_result *res);
void sc_result_free(sc_result *res);

int sc_error_code(const sc_error *err);
int sc_error_to_json(char **out, const sc_error *err);
void sc_error_free(sc_error *err);

int sc_auth_url(char **url_out, char **state_out, const sc_client *client,
                const sc_params *params, sc_error **err_out);
int sc_parse_redirect(sc_result **out, const char *url_or_query,
                      const char *expected_state);
]]

local cdef_done = false

---------------------------------------------------------------------------
-- Errors

local Error = {}
Error.__index = Error
Error.__tostring = function(e)
  local parts = { "smartcar: ", e.kind or "error" }
  if e.status_code and e.status_code ~= 0 then
    parts[#parts + 1] = " (HTTP " .. tostring(e.status_code) .. ")"
  end
  if e.message then parts[#parts + 1] = ": " .. e.message end
  return table.concat(parts)
end

local function strip_nulls(v)
  if v == cjson.null then return nil end
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = strip_nulls(x) end
  end
  return v
end

-- A local error (bad argument, library not loaded...).
local function local_error(sc_code, message)
  local kind = "error"
  if C ~= nil then
    local k = C.sc_code_kind(sc_code)
    if k ~= nil then kind = ffi.string(k) end
  end
  return setmetatable({ kind = kind, sc_code = sc_code, message = message },
    Error)
end

local function take_string(p)
  if p == nil then return nil end
  local s = ffi.string(p)
  C.sc_free(p)
  return s
end

-- Turn an owned sc_error* into an Error table and free it.
local function error_from_c(cerr, fallback_code, fallback_msg)
  if cerr == nil then
    return local_error(fallback_code, fallback_msg)
  end
  local code = C.sc_error_code(cerr)
  local out = ffi.new("char *[1]")
  local t
  if C.sc_error_to_json(out, cerr) == 0 then
    t = cjson.decode(take_string(out[0]))
  end
  C.sc_error_free(cerr)
  if type(t) ~= "table" then
    return local_error(code, fallback_msg)
  end
  t = strip_nulls(t)
  t.sc_code = code
  return setmetatable(t, Error)
end

-- Decode an owned sc_result* into data, or nil and an Error; frees it.
local function decode_result(res, rc)
  if res == nil then
    return nil, local_error(rc ~= 0 and rc or -2, "no result")
  end
  local out = ffi.new("char *[1]")
  local json
  if C.sc_result_to_json(out, res) == 0 then json = take_string(out[0]) end
  local is_err = C.sc_result_error(res) ~= nil
  C.sc_result_free(res)
  local t = json and cjson.decode(json)
  if type(t) ~= "table" then
    return nil, local_error(rc ~= 0 and rc or SC_EMALFORMED,
      "cannot decode the result")
  end
  if is_err or rc ~= 0 then
    t = strip_nulls(t)
    t.sc_code = rc
    return nil, setmetatable(t, Error)
  end
  return t
end

---------------------------------------------------------------------------
-- Library loading

--- Load the shared library.  Call once per worker (init_worker_by_lua or
--- lazily); later calls return the already-loaded library.
---@param opts table|nil {lib = path}; default $SMARTCAR_LIB or "libsmartcar.so"
function _M.init(opts)
  if C ~= nil then return true end
  opts = opts or {}
  if not cdef_done then
    ffi.cdef(CDEF)
    cdef_done = true
  end
  local path = opts.lib or os.getenv("SMARTCAR_LIB") or "libsmartcar.so"
  local ok, lib = pcall(ffi.load, path)
  if not ok then
    error("smartcar.resty: cannot load " .. path .. ": " .. tostring(lib), 2)
  end
  local rc = lib.sc_global_init()
  if rc ~= 0 then
    error("smartcar.resty: sc_global_init failed: " .. rc, 2)
  end
  C = lib
  return true
end

local function need_lib()
  if C == nil then _M.init() end
end

function _M.version()
  need_lib()
  return ffi.string(C.sc_version())
end

--- Names of every call of the endpoint table.
function _M.endpoints()
  need_lib()
  local t = {}
  for i = 0, tonumber(C.sc_endpoint_count()) - 1 do
    t[#t + 1] = ffi.string(C.sc_endpoint_name(i))
  end
  return t
end

---------------------------------------------------------------------------
-- Parameters

local function format_flags(flags)
  if type(flags) ~= "table" then return flags end
  local keys = {}
  for k in pairs(flags) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for i = 1, #keys do
    parts[i] = keys[i] .. ":" .. tostring(flags[keys[i]])
  end
  return table.concat(parts, " ")
end

local function to_param(k, v)
  if k == "flags" then return format_flags(v) end
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "boolean" then return v and "true" or "false" end
  if tv == "number" then
    if v == math.floor(v) and v > -1e15 and v < 1e15 then
      return string.format("%d", v)
    end
    return string.format("%.14g", v)
  end
  if tv == "table" then -- "paths", "scope": space-separated lists
    local parts = {}
    for i = 1, #v do parts[i] = tostring(v[i]) end
    return table.concat(parts, " ")
  end
  return nil
end

-- Build an sc_params* (gc-anchored) from one or more Lua tables; later
-- tables win.
local function make_params(...)
  local out = ffi.new("sc_params *[1]")
  if C.sc_params_new(out) ~= 0 then return nil end
  local p = ffi.gc(out[0], C.sc_params_free)
  for i = 1, select("#", ...) do
    local t = select(i, ...)
    if t then
      for k, v in pairs(t) do
        if type(k) == "string" and v ~= nil then
          local s = to_param(k, v)
          if s == nil then
            return nil, "parameter " .. k .. ": unsupported type " .. type(v)
          end
          if C.sc_params_set(p, k, s) ~= 0 then
            return nil, "parameter " .. k .. ": cannot set"
          end
        end
      end
    end
  end
  return p
end

---------------------------------------------------------------------------
-- HTTP over cosockets

local function parse_url(url)
  local scheme, authority, rest = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")
  if not scheme then return nil, "bad URL" end
  scheme = scheme:lower()
  if scheme ~= "http" and scheme ~= "https" then
    return nil, "unsupported scheme " .. scheme
  end
  local host, port
  if authority:sub(1, 1) == "[" then
    host, port = authority:match("^%[([^%]]+)%]:?(%d*)$")
  else
    host, port = authority:match("^([^:]+):?(%d*)$")
  end
  if not host or host == "" then return nil, "bad URL host" end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  rest = rest:gsub("#.*$", "")
  if rest == "" or rest:sub(1, 1) == "?" then rest = "/" .. rest end
  return { scheme = scheme, host = host, port = port,
           authority = authority, target = rest }
end
_M._parse_url = parse_url

local function now_ms()
  ngx.update_time()
  return ngx.now() * 1000
end

-- Remaining milliseconds before the deadline (at least 1).
local function left(deadline)
  local ms = deadline - now_ms()
  if ms < 1 then return 1 end
  return math.floor(ms)
end

local function io_code(err)
  if err == "timeout" then return SC_ETIMEOUT end
  return SC_ENETWORK
end

local READ_CHUNK = 65536

-- Read the response of one exchange into an sc_response.  Returns resp,
-- keepalive (bool) or nil, sc_code, message, got_any_byte.
local function read_response(sock, method, max_body, deadline)
  local line, err
  local status, minor
  local headers = {}
  local got_any = false
  repeat
    sock:settimeouts(left(deadline), left(deadline), left(deadline))
    line, err = sock:receive("*l")
    if not line then
      return nil, io_code(err), "reading status: " .. tostring(err), got_any
    end
    got_any = true
    local m, s = line:match("^HTTP/1%.(%d) (%d%d%d)")
    if not m then
      return nil, SC_EMALFORMED, "bad status line", true
    end
    minor, status = tonumber(m), tonumber(s)
    headers = {}
    while true do
      sock:settimeouts(left(deadline), left(deadline), left(deadline))
      line, err = sock:receive("*l")
      if not line then
        return nil, io_code(err), "reading headers: " .. tostring(err), true
      end
      if line == "" then break end
      local name, value = line:match("^([^:%s]+)%s*:%s*(.-)%s*$")
      if name then headers[#headers + 1] = { name, value } end
    end
  until status >= 200 or status == 101

  local out = ffi.new("sc_response *[1]")
  if C.sc_response_new(out, max_body) ~= 0 then
    return nil, -2, "out of memory", true
  end
  local resp = ffi.gc(out[0], C.sc_response_free)
  C.sc_response_set_status(resp, status)
  local clen, chunked, conn_close = nil, false, minor == 0
  for i = 1, #headers do
    local name, value = headers[i][1], headers[i][2]
    C.sc_response_add_header(resp, name, value)
    local lname = name:lower()
    if lname == "content-length" then
      clen = tonumber(value)
    elseif lname == "transfer-encoding" then
      chunked = value:lower():find("chunked", 1, true) ~= nil
    elseif lname == "connection" then
      local v = value:lower()
      if v:find("close", 1, true) then conn_close = true end
      if minor == 0 and v:find("keep-alive", 1, true) then
        conn_close = false
      end
    end
  end

  local function append(data)
    if #data == 0 then return true end
    if C.sc_response_append_body(resp, data, #data) ~= 0 then
      return false
    end
    return true
  end

  local no_body = method == "HEAD" or status == 204 or status == 304
    or status < 200
  if no_body then
    -- nothing
  elseif chunked then
    while true do
      sock:settimeouts(left(deadline), left(deadline), left(deadline))
      line, err = sock:receive("*l")
      if not line then
        return nil, io_code(err), "reading chunk: " .. tostring(err), true
      end
      local size = tonumber(line:match("^%s*(%x+)"), 16)
      if not size then return nil, SC_EMALFORMED, "bad chunk size", true end
      if size == 0 then
        repeat -- trailers
          sock:settimeouts(left(deadline), left(deadline), left(deadline))
          line, err = sock:receive("*l")
          if not line then
            return nil, io_code(err), "reading trailer: " .. tostring(err),
              true
          end
        until line == ""
        break
      end
      while size > 0 do
        local n = size < READ_CHUNK and size or READ_CHUNK
        sock:settimeouts(left(deadline), left(deadline), left(deadline))
        local data
        data, err = sock:receive(n)
        if not data then
          return nil, io_code(err), "reading body: " .. tostring(err), true
        end
        if not append(data) then
          return nil, SC_ETOOBIG, "response body too large", true
        end
        size = size - n
      end
      line, err = sock:receive("*l") -- CRLF after the chunk
      if line ~= "" then
        return nil, line and SC_EMALFORMED or io_code(err),
          "bad chunk end", true
      end
    end
  elseif clen then
    local remaining = clen
    while remaining > 0 do
      local n = remaining < READ_CHUNK and remaining or READ_CHUNK
      sock:settimeouts(left(deadline), left(deadline), left(deadline))
      local data
      data, err = sock:receive(n)
      if not data then
        return nil, io_code(err), "reading body: " .. tostring(err), true
      end
      if not append(data) then
        return nil, SC_ETOOBIG, "response body too large", true
      end
      remaining = remaining - n
    end
  else -- body until the server closes
    conn_close = true
    while true do
      sock:settimeouts(left(deadline), left(deadline), left(deadline))
      local data, partial
      data, err, partial = sock:receive(READ_CHUNK)
      data = data or partial
      if data and not append(data) then
        return nil, SC_ETOOBIG, "response body too large", true
      end
      if err == "closed" then break end
      if err then
        return nil, io_code(err), "reading body: " .. tostring(err), true
      end
    end
  end
  return resp, not conn_close
end

local function read_request(req)
  local t = {
    method = ffi.string(C.sc_request_method(req)),
    url = ffi.string(C.sc_request_url(req)),
    connect_timeout = tonumber(C.sc_request_connect_timeout_ms(req)),
    timeout = tonumber(C.sc_request_timeout_ms(req)),
    headers = {},
  }
  local n = tonumber(C.sc_request_header_count(req))
  local name, value = ffi.new("const char *[1]"), ffi.new("const char *[1]")
  for i = 0, n - 1 do
    if C.sc_request_header_at(req, i, name, value) == 0 then
      t.headers[#t.headers + 1] = { ffi.string(name[0]),
                                    ffi.string(value[0]) }
    end
  end
  local len = ffi.new("size_t[1]")
  local body = C.sc_request_body(req, len)
  t.body = body ~= nil and ffi.string(body, len[0]) or ""
  return t
end

local function build_request(r, u)
  local buf = { r.method, " ", u.target, " HTTP/1.1\r\n" }
  local has = {}
  for i = 1, #r.headers do
    local name, value = r.headers[i][1], r.headers[i][2]
    has[name:lower()] = true
    buf[#buf + 1] = name .. ": " .. value .. "\r\n"
  end
  if not has.host then buf[#buf + 1] = "Host: " .. u.authority .. "\r\n" end
  if not has["content-length"] and (#r.body > 0 or (r.method ~= "GET"
      and r.method ~= "HEAD" and r.method ~= "OPTIONS")) then
    buf[#buf + 1] = "Content-Length: " .. #r.body .. "\r\n"
  end
  if not has.connection then buf[#buf + 1] = "Connection: keep-alive\r\n" end
  buf[#buf + 1] = "\r\n"
  buf[#buf + 1] = r.body
  return table.concat(buf)
end

-- Perform one exchange.  Returns resp or nil, code, message, unsent.
local function exchange(client, r)
  local u, perr = parse_url(r.url)
  if not u then return nil, SC_EINVAL, perr, true end
  local stats = client.stats
  local deadline = now_ms() + (r.timeout > 0 and r.timeout or 60000)
  local verify = not client.insecure_tls
  local pool = u.scheme .. "://" .. u.host .. ":" .. u.port
    .. (verify and "" or "#noverify")
  local wire = build_request(r, u)

  for attempt = 1, 2 do
    local sock = ngx.socket.tcp()
    local cto = r.connect_timeout > 0 and r.connect_timeout or 10000
    local ctl = left(deadline)
    sock:settimeouts(cto < ctl and cto or ctl, left(deadline), left(deadline))
    local ok, err = sock:connect(u.host, u.port, { pool = pool })
    if not ok then
      return nil, io_code(err), "connect: " .. tostring(err), true
    end
    local reused = (sock:getreusedtimes() or 0) > 0
    if reused then
      stats.reused = stats.reused + 1
    else
      stats.connections = stats.connections + 1
      if u.scheme == "https" then
        local sess
        -- IP literals get no SNI; nginx then checks the chain but cannot
        -- match the address against the certificate (see docs).
        local is_ip = u.host:find(":", 1, true)
          or u.host:match("^%d+%.%d+%.%d+%.%d+$")
        sess, err = sock:sslhandshake(nil, (not is_ip) and u.host or nil,
          verify)
        if not sess then
          sock:close()
          local code = err == "timeout" and SC_ETIMEOUT or SC_ETLS
          return nil, code, "TLS handshake: " .. tostring(err), true
        end
      end
    end
    stats.requests = stats.requests + 1
    local sent
    sent, err = sock:send(wire)
    local resp, keep_or_code, msg, got_any
    if sent then
      resp, keep_or_code, msg, got_any = read_response(sock, r.method,
        client.max_body, deadline)
    else
      keep_or_code, msg, got_any = io_code(err), "sending: " .. tostring(err),
        false
    end
    if resp then
      if keep_or_code then
        sock:setkeepalive(client.keepalive_timeout, client.keepalive_pool)
      else
        sock:close()
      end
      return resp
    end
    sock:close()
    -- A pooled connection the server had already closed: nothing came
    -- back, so send once more on a fresh connection (as curl does).
    if not (reused and not got_any and attempt == 1
            and keep_or_code == SC_ENETWORK) then
      return nil, keep_or_code, msg, false
    end
    stats.stale = stats.stale + 1
  end
end

local inflight = 0

-- Drive an sc_op to completion.  Returns data or nil, err.  With a
-- token store (and key) the op's own steps load, refresh and save the
-- token set.
local function run_op(client, endpoint, params, store, key)
  need_lib()
  local p, perr = make_params(params)
  if not p then return nil, local_error(SC_EINVAL, perr) end
  local out = ffi.new("sc_op *[1]")
  local eout = ffi.new("sc_error *[1]")
  local rc
  if store ~= nil then
    if store.cptr == nil then
      return nil, local_error(SC_EINVAL, "the token store is closed")
    end
    rc = C.sc_op_new_stored(out, client.cptr, store.cptr, key, endpoint, p,
      eout)
  else
    rc = C.sc_op_new(out, client.cptr, endpoint, p, eout)
  end
  if rc ~= 0 then
    return nil, error_from_c(eout[0], rc, "cannot start " .. endpoint)
  end
  local op = ffi.gc(out[0], C.sc_op_free)
  local reqp = ffi.new("const sc_request *[1]")
  local stats = client.stats
  while true do
    local step = C.sc_op_next(op, reqp)
    if step == STEP_SEND then
      local r = read_request(reqp[0])
      inflight = inflight + 1
      if inflight > stats.max_inflight then stats.max_inflight = inflight end
      local ok, resp, code, msg, unsent = pcall(exchange, client, r)
      inflight = inflight - 1
      if not ok then -- a Lua error in the driver: do not leak the op
        C.sc_op_fail(op, SC_ENETWORK, "driver error")
        error(resp, 0)
      end
      if resp then
        ffi.gc(resp, nil) -- consumed by feed
        C.sc_op_feed(op, resp)
      elseif unsent then
        C.sc_op_fail_unsent(op, code, msg)
      else
        C.sc_op_fail(op, code, msg)
      end
    elseif step == STEP_WAIT then
      stats.waits = stats.waits + 1
      local ms = tonumber(C.sc_op_wait_ms(op))
      ngx.sleep((ms > 0 and ms or 0) / 1000)
    else
      break
    end
  end
  local res = ffi.new("sc_result *[1]")
  rc = C.sc_op_result(res, op)
  C.sc_op_free(ffi.gc(op, nil))
  return decode_result(res[0], rc)
end

---------------------------------------------------------------------------
-- Client

local Client = {}
Client.__index = Client

local STRING_OPTIONS = {
  "client_id", "client_secret", "redirect_uri", "mode", "connect_origin",
  "auth_origin", "api_origin", "management_origin", "api_version",
  "unit_system", "user_agent_suffix", "ca_bundle", "rate_policy",
  "vehicle_api_origin", "iam_origin", "profile",
}
local NUMBER_OPTIONS = {
  "connect_timeout_ms", "timeout_ms", "max_response_bytes", "max_attempts",
  "retry_base_ms", "retry_max_ms", "retry_deadline_ms",
  "rate_limit_capacity", "rate_limit_per_minute",
}
local LOCAL_OPTIONS = { keepalive_timeout_ms = true, keepalive_pool_size = true,
                        allow_insecure_http = true, flags = true,
                        insecure_skip_tls_verify_dangerous = true }

--- Create a client.  Options: the fields of sc_client_options (strings
--- and numbers), plus keepalive_timeout_ms (default 60000) and
--- keepalive_pool_size (default: lua_socket_pool_size).
---@return table|nil client, table|nil err
function _M.client(opts)
  need_lib()
  opts = opts or {}
  local known = {}
  for _, k in ipairs(STRING_OPTIONS) do known[k] = true end
  for _, k in ipairs(NUMBER_OPTIONS) do known[k] = true end
  for k in pairs(opts) do
    if not known[k] and not LOCAL_OPTIONS[k] then
      if k == "proxy" then
        return nil, local_error(SC_EINVAL,
          "proxy: not supported by smartcar.resty (cosockets connect directly)")
      end
      return nil, local_error(SC_EINVAL, "unknown client option " .. tostring(k))
    end
  end
  local o = ffi.new("sc_client_options")
  C.sc_client_options_init(o, 1)
  local anchor = {}
  for _, k in ipairs(STRING_OPTIONS) do
    local v = opts[k]
    if v ~= nil then
      if type(v) ~= "string" then
        return nil, local_error(SC_EINVAL, k .. ": string expected")
      end
      anchor[#anchor + 1] = v
      o[k] = v
    end
  end
  if opts.flags ~= nil then
    local f = format_flags(opts.flags)
    anchor[#anchor + 1] = f
    o.flags = f
  end
  for _, k in ipairs(NUMBER_OPTIONS) do
    local v = opts[k]
    if v ~= nil then
      if type(v) ~= "number" or v < 0 then
        return nil, local_error(SC_EINVAL, k .. ": non-negative number expected")
      end
      o[k] = v
    end
  end
  if opts.allow_insecure_http then o.allow_insecure_http = 1 end
  if opts.insecure_skip_tls_verify_dangerous then
    o.insecure_skip_tls_verify_dangerous = 1
  end
  local out = ffi.new("sc_client *[1]")
  local eout = ffi.new("sc_error *[1]")
  local rc = C.sc_client_new(out, o, eout)
  anchor = nil -- luacheck: ignore
  if rc ~= 0 then
    return nil, error_from_c(eout[0], rc, "cannot create the client")
  end
  local self = setmetatable({
    cptr = ffi.gc(out[0], C.sc_client_free),
    max_body = opts.max_response_bytes or 0,
    insecure_tls = opts.insecure_skip_tls_verify_dangerous and true or false,
    keepalive_timeout = opts.keepalive_timeout_ms or 60000,
    keepalive_pool = opts.keepalive_pool_size,
    stats = { connections = 0, reused = 0, requests = 0, waits = 0,
              stale = 0, max_inflight = 0 },
  }, Client)
  return self
end

--- A configuration value (sc_client_get keys).  Never the secret.
function Client:get(key)
  local v = C.sc_client_get(self.cptr, key)
  return v ~= nil and ffi.string(v) or nil
end

--- Run any call of the endpoint table by name.
---@return table|nil data, table|nil err
function Client:call(endpoint, params)
  if type(endpoint) ~= "string" then
    return nil, local_error(SC_EINVAL, "endpoint: string expected")
  end
  return run_op(self, endpoint, params)
end

local AUTH_URL_KEYS = {
  state = "state", force_prompt = "force_prompt", make = "make",
  make_bypass = "make", single_select = "single_select",
  single_select_vin = "single_select_vin", flags = "flags", user = "user",
  mode = "mode",
}

--- The Connect URL.  scope: array of permissions.  Options: state,
--- force_prompt, make, single_select, single_select_vin, flags, user, mode.
---@return string|nil url, string|table state_or_err
function Client:get_auth_url(scope, options)
  local params = {}
  if scope ~= nil then params.scope = scope end
  for k, v in pairs(options or {}) do
    local key = AUTH_URL_KEYS[k]
    if not key then
      return nil, local_error(SC_EINVAL, "unknown option " .. tostring(k))
    end
    if k == "single_select" and type(v) == "table" then
      if v.vin then params.single_select_vin = v.vin end
      if v.enabled ~= nil then params.single_select = v.enabled end
    else
      params[key] = v
    end
  end
  local p, perr = make_params(params)
  if not p then return nil, local_error(SC_EINVAL, perr) end
  local url, state = ffi.new("char *[1]"), ffi.new("char *[1]")
  local eout = ffi.new("sc_error *[1]")
  local rc = C.sc_auth_url(url, state, self.cptr, p, eout)
  if rc ~= 0 then
    return nil, error_from_c(eout[0], rc, "cannot build the URL")
  end
  return take_string(url[0]), take_string(state[0])
end

local function merge(a, b)
  local t = {}
  if a then for k, v in pairs(a) do t[k] = v end end
  if b then for k, v in pairs(b) do t[k] = v end end
  return t
end

--- Exchange an authorization code.  Options: flags, timeout_ms...
function Client:exchange_code(code, options)
  return run_op(self, "exchange_code", merge(options, { code = code }))
end

--- Exchange a refresh token (they rotate: store the new one).
function Client:exchange_refresh_token(refresh_token, options)
  return run_op(self, "exchange_refresh_token",
    merge(options, { refresh_token = refresh_token }))
end

function Client:get_user(access_token, options)
  return run_op(self, "get_user", merge(options, { access_token = access_token }))
end

--- paging: {limit = n, offset = n} or nil.
function Client:get_vehicles(access_token, paging, options)
  local p = merge(options, { access_token = access_token })
  if paging then p.limit, p.offset = paging.limit, paging.offset end
  return run_op(self, "get_vehicles", p)
end

---------------------------------------------------------------------------
-- Token stores

local TokenStore = {}
TokenStore.__index = TokenStore

--- A SQLite token store (libsmartcar's, through FFI; a file several
--- workers and processes may share, or ":memory:").  Its calls are short
--- local file I/O and block the worker while they run.
---@return table|nil store, table|nil err
function _M.token_store(path)
  need_lib()
  if type(path) ~= "string" or path == "" then
    return nil, local_error(SC_EINVAL, "path: non-empty string expected")
  end
  local out = ffi.new("sc_token_store *[1]")
  local eout = ffi.new("sc_error *[1]")
  local rc = C.sc_token_store_sqlite_new(out, path, eout)
  if rc ~= 0 then
    return nil, error_from_c(eout[0], rc, "cannot open the token store")
  end
  return setmetatable({ cptr = ffi.gc(out[0], C.sc_token_store_free) },
    TokenStore)
end

local function store_key(store, key)
  if store.cptr == nil then return "the token store is closed" end
  if type(key) ~= "string" or key == "" then
    return "key: non-empty string expected"
  end
end

--- Save a token set (the table exchange_code returns) under key.
---@return boolean|nil ok, table|nil err
function TokenStore:put(key, token)
  local bad = store_key(self, key)
  if bad then return nil, local_error(SC_EINVAL, bad) end
  local json = type(token) == "table" and cjson.encode(token)
  if not json then return nil, local_error(SC_EINVAL, "token: table expected") end
  local rc = C.sc_token_store_put_json(self.cptr, key, json)
  if rc ~= 0 then
    return nil, local_error(rc, "the token set was not saved")
  end
  return true
end

--- The token set stored under key.
---@return table|nil token, table|nil err
function TokenStore:get(key)
  local bad = store_key(self, key)
  if bad then return nil, local_error(SC_EINVAL, bad) end
  local out = ffi.new("sc_result *[1]")
  local rc = C.sc_token_store_get(out, self.cptr, key)
  return decode_result(out[0], rc)
end

--- Close the store (idempotent).
function TokenStore:close()
  if self.cptr ~= nil then
    C.sc_token_store_free(ffi.gc(self.cptr, nil))
    self.cptr = nil
  end
end

---------------------------------------------------------------------------
-- Vehicle

local Vehicle = {}
Vehicle.__index = Vehicle

--- A vehicle handle.  token: the access token, or {store = token_store,
--- key = key}: then each call's op takes the token set from the store,
--- refreshes it when it is due or after a 401, and saves it before use.
--- options: per-call parameters applied to every call (unit_system,
--- version, flags, timeout_ms...).
function Client:vehicle(id, token, options)
  local v = { client = self, id = id, options = options or {} }
  if type(token) == "table" then
    v.store, v.key = token.store, token.key
  else
    v.access_token = token
  end
  return setmetatable(v, Vehicle)
end

--- Any endpoint for this vehicle, with extra parameters.
function Vehicle:call(endpoint, params)
  return run_op(self.client, endpoint, merge(self.options, merge(params, {
    vehicle_id = self.id, access_token = self.access_token })),
    self.store, self.key)
end

-- vehicle:NAME(arguments..., options) for every call about a vehicle,
-- built on first use from its line of the endpoint table: the "args"
-- column of sc_endpoint_info names the positional arguments and the
-- parameters they fill (a paging table fills limit and offset).
local function vehicle_method(name)
  need_lib()
  local column = C.sc_endpoint_info(name, "vehicle")
  if column == nil or ffi.string(column) ~= "1" then return nil end
  local args = {}
  for word in ffi.string(C.sc_endpoint_info(name, "args")):gmatch("%S+") do
    local arg, param, kind = word:match("^([%w_]+)>?([%w_]*):(%a+)")
    args[#args + 1] = { param = param ~= "" and param or arg, kind = kind }
  end
  local method = function(self, ...)
    local params = {}
    for i, a in ipairs(args) do
      local v = (select(i, ...))
      if a.kind == "paging" and type(v) == "table" then
        params.limit, params.offset = v.limit, v.offset
      else
        params[a.param] = v
      end
    end
    local options = select(#args + 1, ...)
    if options ~= nil and type(options) ~= "table" then
      return nil, local_error(SC_EINVAL, name .. ": options table expected")
    end
    return self:call(name, merge(options, params))
  end
  Vehicle[name] = method
  return method
end

setmetatable(Vehicle, { __index = function(_, name)
  if type(name) == "string" then return vehicle_method(name) end
end })

--- Parse the redirect Connect sent back (URL or query string).
---@return table|nil data {code, state...}, table|nil err
function _M.parse_redirect(url, expected_state)
  need_lib()
  if type(url) ~= "string" then
    return nil, local_error(SC_EINVAL, "url: string expected")
  end
  local out = ffi.new("sc_result *[1]")
  local rc = C.sc_parse_redirect(out, url, expected_state)
  return decode_result(out[0], rc)
end

return _M
