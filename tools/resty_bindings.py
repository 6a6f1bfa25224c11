"""smartcar.resty's wrappers of the library's plain functions.

Part of tools/gen-bindings.py (its main() writes and --checks this file
with the others).  From the csrc/lib/bindings.def entries named in
RESTY below this writes lua/smartcar/resty/functions.lua: one LuaJIT FFI
function per entry, as tools/c_bindings.py writes one lua_CFunction per
entry for lua/smartcar_core.c.  The module returns make(C, rt), which
smartcar.resty calls once the library is loaded; rt gives the helpers
the wrappers call (raise, fail, take_string, opt_string, decode_result,
error_from_c, encode, run_op, pages, store_io and the classes a new
handle gets); make sets the methods ("seen:first") of the classes rt gives
(rt.seen_class...), F.codes are the codes of errors.def by kind.

What each argument and return kind becomes in Lua is written once here,
in ARG and render_fn.  Argument errors raise (an invalid_argument Error
whose message starts with the argument's name); failures of data from
the network are nil, err.
"""
import copy
import os
import re

import c_bindings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "lua", "smartcar", "resty", "functions.lua")
INCLUDE = os.path.join(ROOT, "csrc", "include", "smartcar")

# The entries smartcar.resty offers (by their Lua name): the calls with
# state (the client's, the stores' I/O) stay in resty.lua.
RESTY = ("parse_redirect", "state_seal", "state_open", "sqlite_store", "postgres_store", "webhook_challenge", "webhook_verify",
         "webhook_parse", "webhook_receive", "seen:first",
         "seen:forget", "seen:count", "signal_rows", "time_ms",
         "version", "endpoints", "random_state", "client:get",
         "store:get", "store:put", "store:delete", "client:call",
         "client:pages", "store:refresh", "webhook_seen_open",
         "client:auth_url_text", "state_cookie")
# Those Lua's core does not offer, by their Python name.
BY_PYTHON = {"webhook_seen_open": "seen_open",
             "client:auth_url_text": "auth_url_text",
             "state_cookie": "state_cookie"}

# The entries whose calls smartcar.resty makes itself, driving the op over
# cosockets (the library's own call would block on libcurl): after their
# arguments' checks they return this.
DRIVEN = {"client:call": "rt.run_op(self, endpoint, params)",
          "client:pages": "rt.pages(self, endpoint, params, page_size, "
                          "store, key)",
          "store:refresh": "rt.run_op(client, \"exchange_refresh_token\", "
                           "nil, self, key)"}

# kind -> (the Lua type a value must have, how it is passed to C); {n} is
# the argument.  An "o" kind may be nil.
ARG = {
    "str": ("string", "{n}"), "ostr": ("string", "{n}"),
    "text": ("string", "{n}"), "otext": ("string", "{n}"),
    "path": ("string", "{n}"), "lstr": ("string", "{n}, #{n}"),
    "time": ("string", "{n}, #{n}"),
    "bytes": ("string", "{n}, #{n}"),
    "i64": ("number", "{n}"), "size": ("number", "{n}"),
    "long": ("number", "{n}"), "ostore": ("table", "{n}"),
    "okey": ("string", "{n}"),
    "int": ("number", "{n}"), "double": ("number", "{n}"),
    "seen": ("table", "{n}.ptr"), "oseen": ("table", "{n} and {n}.ptr"),
    "params": ("table", "rt.make_params({n})"),
    "client": ("table", "{n}.cptr"),
    "store": ("table", "{n}.cptr"), "key": ("string", "{n}"),
    "tokens": ("table", "{n}_json, #{n}_json"),
}
# The C function a call with a "tokens" argument makes instead: the one
# that takes the set as JSON text (rt.encode writes it).
TEXT_TWIN = {"sc_token_store_save_tokens": "sc_token_store_save_tokens_text"}

# Arguments smartcar.resty takes in more forms than their kind, by entry
# and name: the Lua that makes them the kind's before its check (a
# header nginx gives as a table was sent twice: it is none).
HEADER = 'if type({n}) == "table" then {n} = nil end'
PREPARE = {("webhook_verify", "signature"): HEADER,
           ("webhook_receive", "signature"): HEADER,
           ("time_ms", "value"): 'if type({n}) == "number" then '
                                '{n} = string.format("%.17g", {n}) end'}
# Arguments smartcar.resty requires where the entry may go without: what
# its message says is expected.
REQUIRED = {("parse_redirect", "expected_state"):
            "the non-empty state get_auth_url returned expected (without "
            "it the CSRF check would be skipped)"}

# Checks past the type's, by kind: a store must be open, a key not empty.
MORE = {"store": ("{n}.cptr == nil", "the token store is closed"),
        "key": ("{n} == \"\"", "{n}: non-empty string expected")}
# A token store's call may reach its Lua I/O: rt.store_io(store, fn, ...)
# makes it (again while the I/O answers "pending").
STORE_IO = "the token store did not answer"


def constants():
    """{name: value} of the SC_* constants a condition may name: the
    codes of errors.def and the #defines of the public headers."""
    values = {}
    with open(os.path.join(INCLUDE, "errors.def")) as f:
        for name, code in re.findall(r"^SC_ERROR\((\w+),\s*(-?\d+)",
                                     f.read(), re.M):
            values["SC_" + name] = code
    for name in os.listdir(INCLUDE):
        if name.endswith(".h"):
            with open(os.path.join(INCLUDE, name)) as f:
                values.update(re.findall(
                    r"^#define (SC_\w+) (-?\d+)\s*$", f.read(), re.M))
    return values


def lua_expr(cond, consts):
    """A C condition of bindings.def over the arguments and rc, in Lua."""
    expr = re.sub(r"\(1 << (\d+)\)", lambda m: str(1 << int(m.group(1))),
                  cond)
    expr = re.sub(r"\*(\w+)", r"#\1 > 0", expr)
    expr = re.sub(r"!isnan\((\w+)\)", r"\1 == \1", expr)
    expr = expr.replace("&&", "and").replace("||", "or").replace("!=", "~=")
    expr = re.sub(r"\bSC_\w+\b", lambda m: consts[m.group(0)], expr)
    if re.search(r"[!&|<]{2}|[?:]|\bSC_", expr):
        raise SystemExit("resty_bindings: cannot write %r in Lua" % cond)
    return expr


def c_call(fn, out):
    """fn's C call, with OUT, ERR, SELF, casts and lengths as Lua has
    them."""
    call = re.sub(r"\((?:size_t|int64_t|int|long|double)\)", "", fn.call)
    call = call.replace("OUT", out).replace("ERR", "err").replace(
        "SELF", "self")
    for a in fn.args:
        call = re.sub(r"\b%s, %s_len\b" % (a.name, a.name),
                      ARG[a.kind][1].format(n=a.name), call)
        if a.kind == "tokens":
            call = re.sub(r"\b%s\b" % a.name, ARG[a.kind][1].format(
                n=a.name), TEXT_TWIN[call.split("(")[0]] + call[call.index("("):])
        if a.kind in ("seen", "oseen", "params", "client", "store"):
            call = re.sub(r"\b%s\b" % a.name, ARG[a.kind][1].format(n=a.name),
                          call)
    if "sc_endpoint_name(i)" in call:
        return call
    if fn.args and fn.args[0].kind == "store":
        return re.sub(r"^(\w+)\(", r"rt.store_io(self, C.\1, ", call)
    return "C." + call


def render_fn(fn, consts):
    name = fn.lua.replace(":", "_")
    args = [a.name for a in fn.args]
    body = []
    for a in fn.args:
        want, _ = ARG[a.kind]
        if (fn.lua, a.name) in PREPARE:
            body.append(PREPARE[fn.lua, a.name].format(n=a.name))
        if (fn.lua, a.name) in REQUIRED:
            body.append("if type({n}) ~= \"string\" or {n} == \"\" then "
                        "rt.raise(\"{n}: {m}\") end".format(
                            n=a.name, m=REQUIRED[fn.lua, a.name]))
            continue
        if a.default and a.default != "None":
            body.append("if %s == nil then %s = %s end" % (a.name, a.name,
                                                          a.default))
        if a.kind in MORE:  # (checked by the file's check_store/check_key)
            body.append("check_%s(%s)" % (a.kind, a.name))
            continue
        check = "type(%s) ~= \"%s\"" % (a.name, want)
        if a.kind.startswith("o") or a.default == "None":
            check = "%s ~= nil and %s" % (a.name, check)
        want = "%s: %s expected" % (a.name, want)
        body.append("if %s then rt.raise(\"%s\") end" % (check, want))
        if a.kind == "tokens":
            body.append("local %s_json = rt.encode(%s)" % (a.name, a.name))
    for argn, cond, msg in fn.lua_checks:
        body.append("if not (%s) then rt.raise(\"%s\") end"
                    % (lua_expr(cond, consts), msg))
    ret = fn.ret
    if fn.lua in DRIVEN:
        ret = "driven"
    elif "ERR" in fn.call:
        body.append("local err = ffi.new(\"sc_error *[1]\")")
    outs = {"result": "sc_result *", "stored": "sc_result *", "string": "char *", "time": "int64_t",
            "seen": "sc_webhook_seen *", "store": "sc_token_store *"}
    if ret in outs:
        body.append("local out = ffi.new(\"%s[1]\")" % outs[ret])
    if ret == "pair":
        body.append("local out, out2 = ffi.new(\"char *[1]\"), "
                    "ffi.new(\"char *[1]\")")
    call = DRIVEN.get(fn.lua) or c_call(fn, "out")
    fallback = STORE_IO if "rt.store_io" in call else name
    failed = "rt.error_from_c(%s, rc, \"%s\")" % (
        "err[0]" if "ERR" in fn.call else "nil", fallback)
    if ret == "driven":
        body.append("return " + call)
    elif ret == "result":
        body += ["local rc = %s" % call,
                 "return rt.decode_result(out[0], rc)"]
    elif ret == "string":  # a failure with details (ERR): nil, err
        body += ["local rc = %s" % call,
                 ("if rc ~= 0 then return nil, %s end" if "ERR" in fn.call
                  else "if rc ~= 0 then error(%s, 0) end") % failed,
                 "return rt.take_string(out[0])"]
    elif ret == "pair":  # two strings, or nil and the Error (or raised)
        body += ["local rc = %s" % c_call(fn, "out, out2"),
                 "if rc ~= 0 then return rt.fail(%s) end" % failed,
                 "return rt.take_string(out[0]), rt.take_string(out2[0])"]
    elif ret == "stored":  # the set, or nil and the Error
        body += ["local rc = %s" % call,
                 "if rc ~= 0 then return nil, %s end" % failed,
                 "return rt.decode_result(out[0], rc)"]
    elif ret == "none" and "ERR" in fn.call:  # true, or nil and the Error
        body += ["local rc = %s" % call,
                 "if rc ~= 0 then return nil, %s end" % failed,
                 "return true"]
    elif ret == "time":
        body += ["if %s ~= 0 then return nil end" % call,
                 "return tonumber(out[0])"]
    elif ret in ("seen", "store"):
        free = {"seen": "sc_webhook_seen_free",
                "store": "sc_token_store_free"}[ret]
        body += ["local rc = %s" % call,
                 "if rc ~= 0 then return rt.fail(%s) end" % failed,
                 "return setmetatable({ %s = ffi.gc(out[0], C.%s) },"
                 % ({"seen": "ptr", "store": "cptr"}[ret], free),
                 "  rt.%s_class)" % ret]
    elif ret == "bool":
        body += ["local rc = %s" % call,
                 "return %s" % lua_expr(fn.when, consts)]
    elif ret == "flag":
        body += ["local rc = %s" % call,
                 "if rc == %s then rt.raise(\"%s\") end"
                 % (consts["SC_EINVAL"], fn.einval["lua"])]
        ok = " and rc ~= %s" % lua_expr(fn.ok, consts) if fn.ok else ""
        body += ["if rc < 0%s then error(%s, 0) end" % (ok, failed),
                 "return %s" % lua_expr(fn.when, consts)]
    elif ret == "integer":
        body.append("return tonumber(%s)" % call)
    elif ret == "cstr":
        body.append("return rt.opt_string(%s)" % call)
    elif ret == "names":
        body += ["local t = {}",
                 "while C.%s ~= nil do" % call.replace("(i)", "(#t)"),
                 "  t[#t + 1] = ffi.string(C.%s)" % call.replace("(i)",
                                                                "(#t)"),
                 "end", "return t"]
    else:
        raise SystemExit("resty_bindings: %s: no Lua form of return kind %s"
                         % (fn.lua, ret))
    lines = []
    for line in body:  # a check too long for one line on three
        m = re.match(r"^(if .*) then (.*) end$", line)
        if m and len(line) > 74:
            raised = m.group(2)
            if len(raised) > 72 and raised.startswith('rt.raise("'):
                cut = raised.rindex(" ", 0, 66)  # a long message on two
                raised = (raised[:cut + 1] + '"\n        .. "'
                          + raised[cut + 1:])
            lines += [m.group(1) + " then", "  " + raised, "end"]
        elif len(line) > 74 and ", " in line[:70]:  # a long call
            cut = line.rindex(", ", 0, 70) + 1
            lines += [line[:cut], "  " + line[cut + 1:]]
        else:
            lines.append(line)
    return "\n  function F.%s(%s)\n%s\n  end\n" % (
        name, ", ".join(args), "\n".join("    " + line for line in lines))


def render(functions):
    consts = constants()
    by_lua = {fn.lua: fn for fn in functions if fn.lua}
    for lua, py in BY_PYTHON.items():
        by_lua[lua] = copy.copy(next(f for f in functions if f.py == py))
        by_lua[lua].lua = lua
    missing = [n for n in RESTY if n not in by_lua]
    if missing:
        raise SystemExit("resty_bindings: no bindings.def entry %s"
                         % ", ".join(missing))
    parts = ["-- Generated by tools/gen-bindings.py (tools/resty_bindings.py) "
             "from",
             "-- csrc/lib/bindings.def: do not edit.  smartcar.resty's "
             "wrappers of the",
             "-- library's plain functions by their Lua name (\"seen:first\" "
             "is",
             "-- F.seen_first): make(C, rt) returns them.",
             "local ffi = require \"ffi\"", "",
             "return function(C, rt)", "  local F = {}"]
    for kind, (cond, msg) in sorted(MORE.items()):  # one message for both
        parts += ["  local function check_%s(v)" % kind,
                  "    if type(v) ~= \"%s\" or %s then" % (
                      ARG[kind][0], cond.format(n="v")),
                  "      rt.raise(\"%s\")" % msg.format(n=kind).replace(
                      '"', '\\"'),
                  "    end", "  end"]
    for name in RESTY:
        parts.append(render_fn(by_lua[name], consts).rstrip("\n"))
    for name in RESTY:  # "seen:first" is the method first of rt.seen_class
        if ":" in name:
            cls, method = name.split(":")
            parts.append("  rt.%s_class.%s = F.%s_%s" % (cls, method, cls,
                                                         method))
    parts += ["  F.codes = { -- every code by kind (errors.def)"]
    with open(os.path.join(INCLUDE, "errors.def")) as f:
        codes = ["%s = %s," % (kind, code) for code, kind in re.findall(
            r'^SC_ERROR\(\w+,\s*(-?\d+),\s*"(\w+)"', f.read(), re.M)]
    line = "   "
    for item in codes:  # as many to a line as fit
        if len(line) + 1 + len(item) > 78:
            parts.append(line)
            line = "   "
        line += " " + item
    parts += [line, "  }", "  return F", "end"]
    return "\n".join(parts) + "\n"


def files():
    """{path: text} of the file this writes."""
    return {OUT: render(c_bindings.read_table())}
