-- A test double of lua-resty-http (require "resty.http"), written here
-- from its documented API, for tests/openresty/run.sh.
--
-- smartcar.resty does its HTTP through lua-resty-http where that is
-- installed.  Debian 12 does not package lua-resty-http, and the tests do
-- not download code, so the second pass of the OpenResty suite puts this
-- directory on lua_package_path instead: it implements the part of the
-- documented interface the adapter uses, over ngx.socket.tcp, with the
-- documented behaviour:
--
--   httpc = http.new()
--   httpc:set_timeouts(connect_ms, send_ms, read_ms)   httpc:set_timeout(ms)
--   ok, err = httpc:connect{scheme, host, port, pool, pool_size, backlog,
--                           ssl_verify (default true), ssl_server_name}
--     (TCP connect, and the TLS handshake on a new https connection; the
--     default pool name is made from the scheme, host, port and TLS
--     options)
--   times = httpc:get_reused_times()
--   res, err = httpc:request{version, method, path, query, headers, body}
--     res.status, res.reason, res.headers (case-insensitive; a field sent
--     several times is a list), res.has_body, res.body_reader(max),
--     res:read_body()
--   ok, err = httpc:set_keepalive(idle_ms, pool_size)
--     (returns 2, "connection must be closed" after an HTTP/1.0 response
--     without keep-alive, a "Connection: close" or a body ended by close)
--   ok, err = httpc:close()
--
-- Not here: proxies, pipelining, trailers, request_uri, streamed request
-- bodies.  M.requests counts the requests sent, so that a test can see
-- the adapter went through this module.
local M = { _VERSION = "test-double", requests = 0 }
local Client = {}
Client.__index = Client

function M.new()
  local sock, err = ngx.socket.tcp()
  if not sock then return nil, err end
  return setmetatable({ sock = sock, keepalive = true }, Client)
end

function Client:set_timeouts(connect_ms, send_ms, read_ms)
  self.sock:settimeouts(connect_ms, send_ms, read_ms)
end

function Client:set_timeout(ms)
  self.sock:settimeout(ms)
end

function Client:connect(options)
  if type(options) ~= "table" then
    return nil, "this test double only has connect(options)"
  end
  local scheme, host = options.scheme or "http", options.host
  local port = options.port or (scheme == "https" and 443 or 80)
  local tls = scheme == "https"
  local verify = options.ssl_verify ~= false
  local pool = options.pool or table.concat({ scheme, host, tostring(port),
    tostring(tls), options.ssl_server_name or "", tostring(verify) }, ":")
  local ok, err = self.sock:connect(host, port, { pool = pool,
    pool_size = options.pool_size, backlog = options.backlog })
  if not ok then return nil, err end
  if tls and self.sock:getreusedtimes() == 0 then
    local session
    session, err = self.sock:sslhandshake(nil, options.ssl_server_name,
      verify)
    if not session then
      self.sock:close()
      return nil, err
    end
  end
  self.host, self.port, self.keepalive = host, port, true
  return true
end

function Client:get_reused_times()
  return self.sock:getreusedtimes()
end

function Client:close()
  return self.sock:close()
end

function Client:set_keepalive(idle_ms, pool_size)
  if not self.keepalive then
    self.sock:close()
    return 2, "connection must be closed"
  end
  return self.sock:setkeepalive(idle_ms, pool_size)
end

-- Response headers: stored as received, looked up in any case; a field
-- sent several times becomes a list.
local function header_table()
  local lower = {}
  return setmetatable({}, {
    lower = lower,
    __index = function(_, k)
      return type(k) == "string" and lower[k:lower()] or nil
    end,
  })
end

local function add_header(t, name, value)
  local had = t[name]
  if had ~= nil then
    if type(had) ~= "table" then had = { had } end
    had[#had + 1] = value
    value = had
  end
  local lower = getmetatable(t).lower
  for k in pairs(t) do
    if k:lower() == name:lower() then name = k end
  end
  rawset(t, name, value)
  lower[name:lower()] = value
end

local function encode_query(q)
  if type(q) ~= "table" then return q end
  local parts = {}
  for k, v in pairs(q) do
    parts[#parts + 1] = ngx.escape_uri(k) .. "=" .. ngx.escape_uri(v)
  end
  return table.concat(parts, "&")
end

-- The body iterator for one response: framing by Content-Length, chunked
-- encoding, or the server closing the connection.
local function body_reader(client, length, chunked)
  local sock = client.sock
  local left_in_chunk, finished = 0, false
  return function(max)
    max = max or 65536
    if finished then return nil end
    if chunked then
      if left_in_chunk == 0 then
        local size_line, err = sock:receive("*l")
        if not size_line then return nil, err end
        left_in_chunk = tonumber(size_line:match("^%s*(%x+)") or "", 16)
        if not left_in_chunk then return nil, "bad chunk size" end
        if left_in_chunk == 0 then
          repeat
            size_line, err = sock:receive("*l")
            if not size_line then return nil, err end
          until size_line == ""
          finished = true
          return nil
        end
      end
      local data, err = sock:receive(math.min(max, left_in_chunk))
      if not data then return nil, err end
      left_in_chunk = left_in_chunk - #data
      if left_in_chunk == 0 then
        local crlf
        crlf, err = sock:receive("*l")
        if crlf ~= "" then return nil, err or "bad chunk end" end
      end
      return data
    elseif length then
      if length == 0 then finished = true; return nil end
      local data, err = sock:receive(math.min(max, length))
      if not data then return nil, err end
      length = length - #data
      return data
    end
    local data, err, partial = sock:receive(max)
    if err == "closed" then
      finished = true
      if partial and #partial > 0 then return partial end
      return nil
    end
    if not data then return nil, err end
    return data
  end
end

function Client:request(params)
  local sock = self.sock
  local method = params.method or "GET"
  local version = params.version or 1.1
  local target = params.path or "/"
  local query = encode_query(params.query)
  if query and query ~= "" then target = target .. "?" .. query end
  local headers, seen = {}, {}
  for name, value in pairs(params.headers or {}) do
    seen[name:lower()] = true
    headers[#headers + 1] = name .. ": " .. tostring(value) .. "\r\n"
  end
  local body = params.body
  if type(body) == "table" then body = table.concat(body) end
  if not seen.host then
    local default_port = self.port == 80 or self.port == 443
    headers[#headers + 1] = "Host: " .. self.host
      .. (default_port and "" or ":" .. self.port) .. "\r\n"
  end
  if not seen["user-agent"] then
    headers[#headers + 1] = "User-Agent: resty-http-test-double\r\n"
  end
  if body and not seen["content-length"] then
    headers[#headers + 1] = "Content-Length: " .. #body .. "\r\n"
  end
  local ok, err = sock:send({ method, " ", target, " HTTP/",
    string.format("%.1f", version), "\r\n", table.concat(headers), "\r\n",
    body or "" })
  if not ok then return nil, err end
  M.requests = M.requests + 1

  local status, minor, reason, res_headers
  repeat
    local line
    line, err = sock:receive("*l")
    if not line then return nil, err end
    local m, code, why = line:match("^HTTP/1%.(%d) (%d%d%d) ?(.*)$")
    if not m then return nil, "bad status line" end
    minor, status, reason = tonumber(m), tonumber(code), why
    res_headers = header_table()
    while true do
      line, err = sock:receive("*l")
      if not line then return nil, err end
      if line == "" then break end
      local name, value = line:match("^([^:]+):%s*(.-)%s*$")
      if name then add_header(res_headers, name, value) end
    end
  until status >= 200

  local connection = tostring(res_headers["Connection"] or ""):lower()
  self.keepalive = not connection:find("close", 1, true)
    and (minor == 1 or connection:find("keep-alive", 1, true) ~= nil)
  local has_body = method ~= "HEAD" and status ~= 204 and status ~= 304
  local chunked = tostring(res_headers["Transfer-Encoding"] or "")
    :lower():find("chunked", 1, true) ~= nil
  local length = tonumber(res_headers["Content-Length"])
  if has_body and not chunked and not length then self.keepalive = false end
  local res = {
    status = status, reason = reason, headers = res_headers,
    has_body = has_body,
    body_reader = has_body and body_reader(self, length, chunked)
      or function() return nil end,
  }
  function res.read_body(r)
    local parts = {}
    while true do
      local data, rerr = r.body_reader(65536)
      if rerr then return nil, rerr end
      if not data then return table.concat(parts) end
      parts[#parts + 1] = data
    end
  end
  return res
end

return M
