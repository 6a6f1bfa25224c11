-- Connect walked like a browser: open the authorize URL, read each page's
-- form (action, method, hidden fields, the email/password inputs, checked
-- boxes, buttons), submit it with the owner's answers and follow the
-- emulator's pages until one answers with a redirect; its Location is the
-- result.  Pure Lua, for the busted specs and the OpenResty cases: the
-- caller gives the HTTP function,
--   fetch(method, url, form_body_or_nil) -> status, location, body
-- which must not follow redirects.

local M = {}

-- The button pressed on each page, by its name: past the preamble, the
-- whole fleet on the brand page, Allow on the grant page.
local PRESS = { preamble = "done", brand = "ANY", action = "allow" }

local function unescape_html(s)
  return (s:gsub("&quot;", '"'):gsub("&#39;", "'"):gsub("&lt;", "<")
            :gsub("&gt;", ">"):gsub("&amp;", "&"))
end

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return ("%%%02X"):format(c:byte())
  end))
end

local function attr(tag, name)
  local v = tag:match("%s" .. name .. '="([^"]*)"')
  return v and unescape_html(v)
end

-- The first form of html: {action, method, fields = {{name, value}...}}
-- with the owner's email and password filled in and one button pressed.
local function read_form(html, email)
  local open, inner = html:match("(<form[^>]*>)(.-)</form>")
  if not open then return nil end
  local form = { action = attr(open, "action") or "",
                 method = (attr(open, "method") or "get"):lower(),
                 fields = {} }
  local pressed
  for tag in inner:gmatch("<input[^>]*>") do
    local kind, name = attr(tag, "type") or "text", attr(tag, "name")
    local value = attr(tag, "value") or ""
    if name == nil then
      -- no field
    elseif kind == "email" then
      form.fields[#form.fields + 1] = { name, email }
    elseif kind == "password" then
      form.fields[#form.fields + 1] = { name, "pw" }
    elseif kind ~= "checkbox" or tag:find("%schecked") then
      form.fields[#form.fields + 1] = { name, value }
    end
  end
  for tag in inner:gmatch("<button[^>]*>") do
    local name = attr(tag, "name")
    if name and PRESS[name] == attr(tag, "value") then
      pressed = { name, PRESS[name] }
    end
  end
  if pressed then form.fields[#form.fields + 1] = pressed end
  return form
end

--- Walk Connect from authorize_url as the owner `email`: the redirect
--- URL Connect ends with, or nil and what went wrong.
function M.walk(fetch, origin, authorize_url, email)
  local status, location, body = fetch("GET", authorize_url, nil)
  for _ = 1, 10 do
    if status >= 300 and status < 400 then return location end
    if status ~= 200 then
      return nil, ("Connect answered %d: %s"):format(status, body or "")
    end
    local form = read_form(body or "", email)
    if not form then return nil, "a Connect page without a form" end
    local parts = {}
    for _, f in ipairs(form.fields) do
      parts[#parts + 1] = encode(f[1]) .. "=" .. encode(f[2])
    end
    local query = table.concat(parts, "&")
    if form.method == "get" then
      status, location, body = fetch("GET", origin .. form.action .. "?"
                                     .. query, nil)
    else
      status, location, body = fetch("POST", origin .. form.action, query)
    end
  end
  return nil, "Connect did not end in a redirect"
end

return M
