--- smartcar.resty.resp: a small Redis client over nginx cosockets, for
--- the Redis token store when lua-resty-redis is not installed (Debian
--- does not package it).  It has the part of lua-resty-redis's interface
--- the store uses, with the same conventions:
---
---   local r = resp:new()
---   r:set_timeouts(connect_ms, send_ms, read_ms)
---   local ok, err = r:connect(host, port, { pool = name })
---   r:get_reused_times()
---   local v, err = r:hget(key, field)  -- any command, by its name
---   r:set_keepalive(idle_ms, pool_size)   r:close()
---
--- Replies: a status is its string ("OK"), an integer a number, a bulk
--- string a string, a nil bulk or array ngx.null, an array a table.  A
--- Redis error reply returns false, "ERR ...".  A failure returns nil and
--- a string: a socket error ("timeout", "closed", "connection
--- refused"...), or "bad reply: ..." when the server sent something that
--- is not RESP; the connection is closed then, never put back in a pool.
local ngx = ngx
local tostring, tonumber, type, select = tostring, tonumber, type, select
local concat = table.concat

local _M = { _VERSION = "0.1.0" }
local mt = { __index = _M }

-- A bulk string or array larger than this is refused as a bad reply.
local MAX_BULK = 64 * 1024 * 1024
local MAX_ITEMS = 1024 * 1024

function _M.new()
  local sock, err = ngx.socket.tcp()
  if not sock then return nil, err end
  return setmetatable({ sock = sock }, mt)
end

function _M.set_timeouts(self, connect_ms, send_ms, read_ms)
  return self.sock:settimeouts(connect_ms, send_ms, read_ms)
end

function _M.set_timeout(self, ms)
  return self.sock:settimeout(ms)
end

--- connect(host, port, opts) or connect("unix:/path", opts).
function _M.connect(self, host, port, opts)
  if type(port) == "table" or (port == nil and opts == nil) then
    return self.sock:connect(host, port)
  end
  if opts ~= nil then return self.sock:connect(host, port, opts) end
  return self.sock:connect(host, port)
end

function _M.get_reused_times(self)
  return self.sock:getreusedtimes()
end

function _M.set_keepalive(self, idle_ms, pool_size)
  return self.sock:setkeepalive(idle_ms, pool_size)
end

function _M.close(self)
  return self.sock:close()
end

local function bad(self, what)
  self.sock:close()
  return nil, "bad reply: " .. what
end

-- A length or count of a "$" or "*" reply: -1 (nil) or 0..max.
local function length(line, max)
  local n = line:match("^%-?%d+$") and tonumber(line)
  if not n or n < -1 or n > max then return nil end
  return n
end

local read_reply

local function read_array(self, n)
  local items = {}
  for i = 1, n do
    local v, err = read_reply(self)
    if v == nil then return nil, err end
    items[i] = v -- an error reply inside an array stays false
  end
  return items
end

-- One reply; see the module's comment for what it returns.
read_reply = function(self)
  local line, err = self.sock:receive("*l")
  if not line then return nil, err end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then
    return rest
  elseif kind == "-" then
    return false, rest
  elseif kind == ":" then
    local n = rest:match("^%-?%d+$") and tonumber(rest)
    if not n then return bad(self, "integer") end
    return n
  elseif kind == "$" then
    local n = length(rest, MAX_BULK)
    if not n then return bad(self, "bulk length") end
    if n == -1 then return ngx.null end
    local data
    data, err = self.sock:receive(n + 2)
    if not data then return nil, err end
    if data:sub(-2) ~= "\r\n" then return bad(self, "bulk end") end
    return data:sub(1, n)
  elseif kind == "*" then
    local n = length(rest, MAX_ITEMS)
    if not n then return bad(self, "array length") end
    if n == -1 then return ngx.null end
    return read_array(self, n)
  end
  return bad(self, "unknown type")
end

--- Send one command (its arguments as strings or numbers) and read its
--- reply.
function _M.command(self, ...)
  local n = select("#", ...)
  local buf = { "*", n, "\r\n" }
  for i = 1, n do
    local arg = select(i, ...)
    if type(arg) ~= "string" then arg = tostring(arg) end
    buf[#buf + 1] = "$"
    buf[#buf + 1] = #arg
    buf[#buf + 1] = "\r\n"
    buf[#buf + 1] = arg
    buf[#buf + 1] = "\r\n"
  end
  local ok, err = self.sock:send(concat(buf))
  if not ok then return nil, err end
  return read_reply(self)
end

-- Every other name is a command: r:hget(k, f) sends HGET k f.
setmetatable(_M, { __index = function(t, name)
  if type(name) ~= "string" or not name:match("^%l[%l_]*$") then
    return nil
  end
  local cmd = name:upper()
  local fn = function(self, ...) return self:command(cmd, ...) end
  rawset(t, name, fn)
  return fn
end })

return _M
