#!/usr/bin/env python3
"""Write the bindings' per-call methods from csrc/lib/endpoints.def.

The endpoint table's SC_BINDING lines give each call's positional
arguments, result type and one-line doc.  From them this writes:

- python/smartcar_native/_vehicle_methods.py: the call methods of
  ``Vehicle`` and the calls of ``VehicleV3`` (API v3 lines; v3.py writes
  the ones that need more);
- lua/meta/smartcar_vehicle.lua: the LuaLS declarations of the Lua
  ``Vehicle`` methods that init.lua builds at load from
  ``core.endpoint_info`` (smartcar.resty builds its own the same way);
- python/smartcar_native/_aio_twins.py: the awaitable twins of the
  module functions (AIO_FUNCTIONS below) and of the classes (AIO_CLASSES:
  AuthClient, TokenStore, Vehicle, VehicleV3), one line a call or an
  attribute: _twins.py makes a twin from its blocking original, whose
  signature type checkers carry over;
- from csrc/lib/results.def (the result shapes): Python's named tuples
  and their converters (python/smartcar_native/_shapes.py), the LuaLS
  classes (lua/meta/smartcar_results.lua) and tests/shapes.json, the
  declared fields the surface tests compare with both languages and with
  live answers;
- from csrc/lib/bindings.def (the library's plain functions), the C
  wrappers both binding modules include (tools/c_bindings.py);
- from csrc/lib/exceptions.def, Python's exception classes
  (python/smartcar_native/_exceptions.py): one per error kind of
  csrc/include/smartcar/errors.def (checked) and per API error category;
- from csrc/lib/call_options.def, the LuaLS class smartcar.CallOptions
  in lua/meta/smartcar_vehicle.lua;
- from csrc/include/smartcar/client_options.def, the keyword arguments
  of ``_core.Client`` in _core.pyi (its marked block) and
  docs/client-options.md.  (The C struct, the Lua option reader and the
  Python keywords include the .def file directly; smartcar.resty asks the
  library (sc_client_option_type, sc_client_new_params).)

A method whose arguments need more than a type check (paging tables, batch
paths, raw requests) keeps a hand-written ``_plan_<name>`` in vehicle.py
(Python) or a hand-written ``function Vehicle:<name>`` in init.lua (Lua);
this tool finds those and generates only the rest.  The other
``_plan_<name>`` are one line each: _plans.planner makes them at import
from the table's argument list (``_core.endpoint_info``).  ``--check`` fails when
a committed file differs from what the table says (run in .ci/run).
"""
import ast
import glob
import importlib.util
import json
import os
import re
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import c_bindings  # noqa: E402  (tools/c_bindings.py)
import resty_bindings  # noqa: E402  (tools/resty_bindings.py)
import api_bindings  # noqa: E402  (tools/api_bindings.py)
import options_bindings  # noqa: E402  (tools/options_bindings.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEF = os.path.join(ROOT, "csrc", "lib", "endpoints.def")
PY_OUT = os.path.join(ROOT, "python", "smartcar_native", "_vehicle_methods.py")
TWINS_OUT = os.path.join(ROOT, "python", "smartcar_native", "_aio_twins.py")
PKG = os.path.join(ROOT, "python", "smartcar_native")
# The awaitable twins aio gives of the blocking API: module functions
# (module, names) and methods (module, class, twin class, names).  Each
# twin has the signature of its original, read from the source;
# "twin=original" names a twin whose original's name aio already uses.
AIO_FUNCTIONS = [
    ("_module_calls", ["get_user", "get_vehicles", "iter_vehicles",
                       "get_compatibility", "get_compatibility_matrix",
                       "get_connections", "delete_connections",
                       "iter_connections"]),
    ("v3", ["get_app_token", "list_connections", "get_connection",
            "delete_connection", "delete_user", "create_subscription",
            "list_subscriptions", "delete_subscription", "list_webhooks",
            "get_webhook", "iter_subscriptions", "iter_webhooks",
            "iter_v3_connections=iter_connections"]),
]
# how the twins module names each source module
TWIN_ALIAS = {"_module_calls": "_api", "v3": "_v3"}
# The awaitable twins of the classes (Async<class>, holding the original
# as ``sync``): (module, class, the twin doc's own words, methods kept
# synchronous (no I/O), awaited methods besides the table's calls).  The
# awaited calls of Vehicle and VehicleV3 run their plans (_plan_<name>);
# the others are replayed (aio._replayed).  A
# twin reads the original's public attributes and properties (found in
# its source) through one descriptor; a class with close() gives a twin
# with close() and ``async with``.
AIO_CLASSES = [
    ("auth_client", "AuthClient",
     "Building the Connect URL does no I/O and stays synchronous; "
     "``options={\"client\": async_auth}`` works wherever an AuthClient "
     "is accepted.",
     ["get_auth_url", "get_auth_url_with_state"], []),
    ("store", "TokenStore",
     "put, get and delete touch the database (SQLite may wait for another "
     "process's write); refresh runs on the loop's driver.  Anything that "
     "takes a store takes either.",
     [], ["put", "get", "delete", "refresh"]),
    ("vehicle", "Vehicle",
     "Settings (``set_unit_system``) apply to both.",
     ["set_unit_system"], ["iter_permissions", "get_signals", "get_signal"]),
    ("v3", "VehicleV3", "", [], []),
]
LUA_OUT = os.path.join(ROOT, "lua", "meta", "smartcar_vehicle.lua")
VEHICLE_PY = os.path.join(ROOT, "python", "smartcar_native", "vehicle.py")
V3_PY = os.path.join(ROOT, "python", "smartcar_native", "v3.py")
APP_CALLS_OUT = os.path.join(ROOT, "python", "smartcar_native", "_app_calls.py")
# the application's API v3 calls (not about a vehicle) that are generated:
# every V3/V3M line but get_app_token (hand-written: it converts)
APP_HOSTS = ("V3", "V3M")
INIT_LUA = os.path.join(ROOT, "lua", "smartcar", "init.lua")
OPTIONS_DOC = os.path.join(ROOT, "docs", "client-options.md")
RESTY_DIR = os.path.join(ROOT, "lua", "smartcar", "resty")
RESTY_CDEF = os.path.join(RESTY_DIR, "cdef.lua")
INCLUDE_DIR = os.path.join(ROOT, "csrc", "include", "smartcar")

HEADER = "Generated by tools/gen-bindings.py from csrc/lib/endpoints.def: " \
         "do not edit."

# Python Vehicle methods named as the official SDK names them when that
# differs from the table ("method": "endpoint").  Empty today: every
# official name is the table's.
ALIASES = {}

# The official SDK's Vehicle has get_signals()/get_signal(code) with its own
# result shape (vehicle.py writes them); the typed v3 calls are VehicleV3's.
PY_VEHICLE_HOSTS = ("API",)

PY_TYPES = {"string": "str", "path": "str", "number": "float",
            "integer": "int",
            "date": "Any", "paging": "Optional[PagingOptions]",
            "paths": "List[str]", "json": "Any",
            "headers": "Optional[Mapping[str, Any]]", "list": "List[str]",
            "filter": "Mapping[str, Any]"}
LUA_TYPES = {"string": "string", "path": "string", "number": "number",
             "integer": "integer",
             "date": "string", "paging": "smartcar.PagingOptions",
             "paths": "string[]", "json": "table|string",
             "headers": "table<string, string|number>", "list": "string[]",
             "filter": "smartcar.ConnectionsFilter"}


def load_doc_tool():
    spec = importlib.util.spec_from_file_location(
        "gen_endpoints_doc", os.path.join(ROOT, "tools", "gen-endpoints-doc.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def strings(text):
    """The C string literals of a macro's arguments, adjacent ones joined."""
    out, cur, pos = [], None, 0
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|(,)', text):
        if m.group(2):
            if cur is not None:
                out.append(cur)
            cur = None
        else:
            cur = (cur or "") + m.group(1)
    if cur is not None:
        out.append(cur)
    return out


class Arg:
    def __init__(self, word):
        self.optional = word.endswith("?")
        word = word.rstrip("?")
        names, self.type = word.split(":")
        self.name, _, param = names.partition(">")
        self.param = param or self.name


class Call:
    def __init__(self, row, binding):
        (self.sym, self.name, self.method, self.host, self.path, self.auth,
         self.body, self.query, self.flags, self.perm, self.batch) = row
        _, args, self.result, self.doc = binding
        self.args = [Arg(w) for w in args.split()]
        # request: any path below the vehicle's
        self.vehicle = "SC_EP_VEHICLE" in self.flags or self.body == "raw"

    def shown_path(self):
        path = self.path.replace("/vehicles/{vehicle_id}", "") or "/"
        if self.name == "attributes":
            path = "/vehicles/{id}"
        return "%s %s" % (self.method, path)


def read_table():
    doc_tool = load_doc_tool()
    text = open(DEF).read()
    body = "\n".join(l for l in text.splitlines()
                     if not l.lstrip().startswith(("/*", "*")))
    rows = doc_tool.LINE.findall(body)
    bindings = [strings(m.group(1)) for m in
                re.finditer(r"^SC_BINDING\((.*?)\)\s*$", body, re.M | re.S)]
    by_name = {b[0]: b for b in bindings}
    if len(bindings) != len(by_name) or set(by_name) != {r[1] for r in rows}:
        sys.exit("gen-bindings: SC_BINDING lines must name each endpoint once")
    for b in bindings:
        if len(b) != 4:
            sys.exit("gen-bindings: SC_BINDING(%s) needs 4 strings" % b[0])
        for word in b[1].split():
            if not re.match(r"^\w+(>\w+)?:(%s)\??$" % "|".join(PY_TYPES), word):
                sys.exit("gen-bindings: %s: bad argument %r" % (b[0], word))
    return [Call(r, by_name[r[1]]) for r in rows]


def hand_written(path, pattern):
    return set(re.findall(pattern, open(path).read(), re.M))


# what a generated _plan_<name> accepts where PY_TYPES is wider (a json
# argument, which the library takes as an object or JSON text, is a mapping)
PY_CHECKED_TYPES = {"json": "Mapping[str, Any]"}
PY_HAND = set()  # calls whose _plan_<name> is hand-written (main)


def py_sig(call):
    parts = ["self"]
    for a in call.args:
        ann = PY_TYPES[a.type]
        if call.name not in PY_HAND:
            ann = PY_CHECKED_TYPES.get(a.type, ann)
        if a.optional and not ann.startswith(("Optional", "Any")):
            ann = "Optional[%s]" % ann
        parts.append("%s: %s%s" % (a.name, ann, " = None" if a.optional else ""))
    return parts


def py_def(head, sig, ret, indent="    "):
    line = "%s%s(%s) -> %s:" % (indent, head, ", ".join(sig), ret)
    if len(line) <= 79:
        return [line]
    return (["%s%s(" % (indent, head)] +
            ["%s    %s," % (indent, part) for part in sig] +
            ["%s) -> %s:" % (indent, ret)])


def py_doc(text, tail):
    """A generated docstring: the table's doc line, wrapped, then tail."""
    lines = textwrap.wrap(text, 70, initial_indent='        """',
                          subsequent_indent="        ",
                          break_on_hyphens=False)
    return lines + [""] + textwrap.wrap(tail + '"""', 70,
                                        initial_indent="        ",
                                        subsequent_indent="        ")


def py_result(call, known):
    if call.result in known:
        return call.result
    # a JSON document Python returns as it is (Lua's shape of it)
    return "Dict[str, Any]" if call.result in LUA_ONLY else "Any"


LUA_ONLY = set()  # the shapes only Lua has (main)


def py_methods(calls, hand, known, call0="_run(self._plan"):
    """The ``_plan_<name>`` made by _plans.planner and the method of each
    call whose plan is not hand-written (a hand-written plan comes with
    its hand-written method).  call0: what runs a call without arguments
    (Vehicle's _call converts its parameters once, issue 9)."""
    calls = [c for c in calls if c.name not in hand]
    out = ["    %s = planner(\"%s\")" % ("_plan_" + c.name, c.name)
           for c in calls]
    out += [""] if out else []
    for c in calls:
        args = ", ".join(a.name for a in c.args)
        run = "        return self._run(self._plan_%s(%s))" % (c.name, args)
        if not c.args:
            # what the planner's plain() does, without its frame (a
            # tenth of the Python side of a call, issue 9)
            run = '        return self.%s("%s")%s' % (
                call0, c.name, ")" * call0.count("("))
        elif len(run) > 79:
            run = "        return self._run(self._plan_%s(\n            %s))" % (
                c.name, args)
        for method in [c.name] + [k for k, v in ALIASES.items()
                                  if v == c.name]:
            out += py_def("def " + method, py_sig(c), py_result(c, known))
            result = py_result(c, known)
            out += py_doc(c.doc, "``%s``%s." % (
                c.shown_path(), ": :class:`%s`" % result if result in known
                else "" if result == "Any"
                else ": the JSON:API document (snake_case keys)"))
            out += [run, ""]
    return out


# The iterators over a vehicle call's pages: (class, iterator, the call
# whose pages it walks, its default page_size, the result field it walks,
# the items' type)
VEHICLE_WALKS = [("VehicleMethods", "iter_permissions", "permissions", 25,
                  "permissions", "str"),
                 ("VehicleV3Methods", "iter_signals", "get_signals", 25,
                  "signals", "Signal")]


def py_walks(cls):
    out = []
    for owner, walk, name, size, field, item in VEHICLE_WALKS:
        if owner == cls:
            out += py_def("def " + walk, ["self", "page_size: int = %d"
                                          % size], "Iterator[%s]" % item)
            out += textwrap.wrap(
                "Every item (``%s``) of :meth:`%s`, fetching pages of "
                "``page_size`` as the iteration goes until the library "
                "finds the last page.\"\"\"" % (field, name), 70,
                initial_indent='        """', subsequent_indent="        ")
            out += ['        return self._pages("%s", page_size, "%s")'
                    % (name, field), ""]
    return out


def render_python(calls, hand, known, v3_hand):
    names = [c for c in calls if c.vehicle and c.host in PY_VEHICLE_HOSTS
             and c.name not in hand]
    v3 = [c for c in calls if c.vehicle and c.host == "V3"
          and c.name not in v3_hand]
    results = sorted({py_result(c, known) for c in names + v3}
                     - {"Any", "Dict[str, Any]"})
    used = " ".join(" ".join(py_sig(c)) for c in names + v3)
    out = ['"""The call methods of Vehicle and VehicleV3, one per line',
           "of the endpoint table.", "", HEADER, '"""', "",
           "from __future__ import annotations", "",
           "from typing import (TYPE_CHECKING, Any, Callable, Dict, "
           "Iterator, %s" % ("List," if "List[" in used else "Mapping,"),
           "                    %sOptional)" % (
               "Mapping, " if "List[" in used else ""), ""]
    out += ["from .options import PagingOptions"] if "PagingOptions" in used \
        else []
    out += ["from .options import TokenOptions", "from ._plans import planner",
            "from ._shapes import Access", "from .types import ("]
    out += ["    %s," % r for r in results]
    out += [")", "", "if TYPE_CHECKING:",
            "    from ._plans import Plan", "", "",
            "class VehicleMethods:",
            '    """The calls of :class:`Vehicle` the table describes fully, '
            'each built by', '    ``_plan_<name>``."""', "",
            "    if TYPE_CHECKING:",
            "        def _plan(self, endpoint: str,",
            "                  extra: Optional[Mapping[str, Any]] = None,",
            "                  convert: Optional[Callable[[Dict[str, Any]], "
            "Any]] = None",
            "                  ) -> Plan: ...", "",
            "        def _run(self, plan: Plan) -> Any: ...", "",
            "        def _call(self, endpoint: str) -> Any: ...", "",
            "        def _pages(self, endpoint: str, page_size: int, "
            "field: str",
            "                   ) -> Iterator[Any]: ...", ""]
    out += py_methods(names, hand, known, "_call")
    out += py_walks("VehicleMethods")
    out += ["", "class VehicleV3Methods:",
            '    """The calls of :class:`VehicleV3` the table describes '
            'fully, each built by', '    ``_plan_<name>``."""', "",
            "    if TYPE_CHECKING:",
            "        def _plan(self, endpoint: str,",
            "                  extra: Optional[Mapping[str, Any]] = None,",
            "                  convert: Optional[Callable[[Dict[str, Any]], "
            "Any]] = None",
            "                  ) -> Plan: ...", "",
            "        def _run(self, plan: Plan) -> Any: ...", "",
            "        def _pages(self, endpoint: str, page_size: int, "
            "field: str",
            "                   ) -> Iterator[Any]: ...", ""]
    out += py_methods(v3, (), known)
    out += py_walks("VehicleV3Methods")
    out += py_auth_methods(calls)
    while out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def py_auth_methods(calls):
    """class AuthClientMethods: the token grants (AUTH lines) of
    AuthClient, each saved under ``key`` in ``store`` when given
    (AuthClient._exchange)."""
    out = ["", "class AuthClientMethods:",
           '    """The token grants of :class:`AuthClient`, one per line of '
           'the table."""', "", "    if TYPE_CHECKING:",
           "        def _exchange(self, endpoint: str, name: str, value: str,",
           "                      options: Optional[TokenOptions], "
           "store: Any,", "                      key: Optional[str]) "
           "-> Access: ...", ""]
    for c in calls:
        if c.host != "AUTH":
            continue
        (arg,) = c.args
        out += py_def("def " + c.name, [
            "self", "%s: str" % arg.name,
            "options: Optional[TokenOptions] = None", "*",
            "store: Any = None", "key: Optional[str] = None"], c.result)
        out += py_doc(c.doc, "``%s``: :class:`%s`." % (c.shown_path(),
                                                       c.result))
        out += ["        return self._exchange("] + textwrap.wrap(
            '"%s", "%s", %s, options, store, key)' % (
                c.name, arg.param, arg.name), 79,
            initial_indent=" " * 12, subsequent_indent=" " * 12) + [""]
    return out


def app_calls(calls, hand):
    """The application's v3 calls a binding builds from the table."""
    return [c for c in calls if c.host in APP_HOSTS and not c.vehicle
            and c.name != "get_app_token" and c.name not in hand]


def account_calls(calls, hand):
    """The account's calls with the owner's access token (get_user,
    get_vehicles) that init.lua builds on the module table."""
    return [c for c in calls if c.host == "API" and c.auth == "BEARER"
            and not c.vehicle and c.name not in hand]


def other_module_calls(calls, hand):
    """The other calls init.lua builds on the module table (compatibility,
    management, the v3 application token), each with the query
    parameters no argument fills, which it takes as options."""
    out = []
    for c in calls:
        if c.vehicle or c.host in APP_HOSTS + ("AUTH",) or c.name in hand \
                or c in account_calls(calls, hand):
            continue
        filled = {"flags"} | {a.param for a in c.args}
        for a in c.args:
            filled |= {"paging": PAGING_FIELDS, "filter": FILTER_FIELDS}.get(
                a.type, set())
        out.append((c, [w.split(">")[0].split("!")[0] for w in c.query.split()
                        if w.split(">")[0].split("!")[0] not in filled]))
    return out


# the parameters a paging or filter argument of a module call fills
PAGING_FIELDS = {"limit", "offset", "cursor", "page", "page_size"}
FILTER_FIELDS = {"user_id", "vehicle_id"}


def app_signature(call):
    """(positional args, whether the call takes a query) of an
    application call: "filter" and "paging" arguments are one query."""
    args = [a for a in call.args if a.type not in ("filter", "paging")]
    return args, len(args) != len(call.args)


# The paging iterators over the application's page-number paged v3
# calls: (iterator, the call whose pages it walks, its default page_size:
# the server's)
APP_WALKS = [("iter_connections", "list_connections", 10),
             ("iter_subscriptions", "list_subscriptions", 25),
             ("iter_webhooks", "list_webhooks", 50)]


def render_app_calls(calls, hand):
    """python/smartcar_native/_app_calls.py: the application's v3 calls
    and the iterators over their pages (APP_WALKS)."""
    out = ['"""The application\'s API v3 calls (connections, users, '
           "subscriptions,", "webhooks), one per line of the endpoint table, "
           "and the iterators over", "their pages; smartcar_native.v3 "
           "re-exports them.", "", HEADER, '"""', "",
           "from __future__ import annotations", "",
           "from typing import Any, Dict, Iterator, Mapping, Optional", "",
           "from ._module_calls import _run, _walk", "", "__all__ = ["]
    chosen = app_calls(calls, hand)
    out += ['    "%s",' % c.name for c in chosen]
    out += ['    "%s",' % walk for walk, _, _ in APP_WALKS]
    out.append("]")
    by_name = {c.name: c for c in calls}
    walks = []
    for walk, name, size in APP_WALKS:
        method, _, path = by_name[name].shown_path().partition(" ")
        walks += ["", ""] + py_def("def " + walk, [
            "query: Optional[Mapping[str, Any]] = None",
            "page_size: int = %d" % size,
            "options: Optional[Mapping[str, Any]] = None"],
            "Iterator[Dict[str, Any]]", "")
        walks += [line.replace("\0", " ") for line in textwrap.wrap(
            "Every resource of :func:`%s` (``%s\0/v3%s``), fetching pages "
            "of ``page_size`` (``page[number]``/``page[size]``) as the "
            "iteration goes until the library finds the last page "
            "(``links.next`` null, ``total_count`` reached, a short or "
            "empty page).  ``query``: its filters.\"\"\"" % (name, method, path),
            72, initial_indent='    """', subsequent_indent="    ",
            break_on_hyphens=False)]
        walks.append('    return _walk("%s", "", (query,), page_size, options)'
                     % name)
    opt = "Optional[Mapping[str, Any]] = None"
    for c in chosen:
        args, query = app_signature(c)
        sig = ["%s: str" % a.name for a in args]
        sig += ["query: " + opt] if query else []
        sig += ["options: " + opt]
        out += ["", ""] + py_def("def " + c.name, sig, "Dict[str, Any]", "")
        method, _, path = c.shown_path().partition(" ")
        tail = "``%s /v3%s``" % (method, path)
        if query:
            keys = [w.split(">")[0] for w in c.query.split()]
            tail += "; ``query``: %s" % ", ".join("``%s``" % k for k in keys)
        out += textwrap.wrap(c.doc, 72, initial_indent='    """',
                             subsequent_indent="    ") + [""]
        out += [l.replace("\0", " ") for l in textwrap.wrap(
            tail.replace("``%s /" % method, "``%s\0/" % method) + '."""',
            72, initial_indent="    ", subsequent_indent="    ")]
        values = [a.name for a in args] + ["query"] * query
        line = "    return _run(\"%s\", (%s), options, raw=True)" % (
            c.name, values[0] + "," if len(values) == 1 else ", ".join(values))
        if len(line) > 79:
            line = line.replace(" options", "\n" + " " * 16 + "options")
        out.append(line)
    return "\n".join(out + walks) + "\n"


# The module functions of the account (access token) and of the vehicle
# connections (management token) Python generates
# (python/smartcar_native/_module_functions.py), and the iterators over
# their pages: (iterator, the call whose pages it walks, its default
# page_size, the result field it walks, the items' type)
MODULE_CALLS_OUT = os.path.join(PKG, "_module_functions.py")
MODULE_WALKS = [("iter_vehicles", "get_vehicles", 50, "vehicles", "str"),
                ("iter_connections", "get_connections", 100, "connections",
                 "Connection")]


def module_calls(calls):
    return [c for c in calls if not c.vehicle and (
        c.host in ("MANAGEMENT", "IAM") or c in account_calls(calls, ()))]


def module_signature(call, walk=None):
    """A module function's parameters: the table's arguments (all but the
    first may be left out), then page_size for a walk (instead of
    paging), options for a management call and progress for a walk."""
    sig = []
    for i, a in enumerate(call.args):
        if walk and a.type == "paging":
            continue
        ann = {"paging": "ConnectionsPaging" if "cursor" in call.query
               else "PagingOptions", "filter": "ConnectionsFilter"}.get(
                   a.type, PY_TYPES[a.type])
        sig.append("%s: %s" % (a.name, ann) if not i else
                   "%s: Optional[%s] = None" % (a.name, ann))
    sig += ["page_size: int = %d" % walk[2]] if walk else []
    sig += ["options: Optional[%s] = None" % {
        "MANAGEMENT": "ManagementOptions", "IAM": "Mapping[str, Any]"}[
            call.host]] if call.host in ("MANAGEMENT", "IAM") else []
    return sig + (["progress: bool = False"] if walk else [])


def render_module_calls(calls):
    chosen = module_calls(calls)
    out = ['"""The module functions of the account (access token) and of '
           "the vehicle", "connections (management token), one per line of "
           "the endpoint table, and", "the iterators over their pages; "
           "_module_calls (and so smartcar_native)", "re-exports them.", "",
           HEADER, '"""', "", "from __future__ import annotations", "",
           "from typing import Any, Iterator, Mapping, Optional", "",
           "from ._module_calls import _run, _walk",
           "from .options import (ConnectionsFilter, ConnectionsPaging, "
           "ManagementOptions,", "                      PagingOptions)",
           "from .types import (%s)" % "\n                    ".join(
               textwrap.wrap(", ".join(sorted({c.result for c in chosen} |
                                              {"Connection"})), 58)),
           "", "__all__ = ["]
    out += ['    "%s",' % n for n in [c.name for c in chosen] +
            [w[0] for w in MODULE_WALKS]] + ["]"]

    def body(call, names, walk=None):
        args = [n for n in names if n not in ("page_size", "options",
                                              "progress")]
        head = '_run("%s", ' % call.name if not walk else \
            '_walk("%s", "%s", ' % (call.name, walk[3])
        rest = ["(%s)" % (args[0] + "," if len(args) == 1
                          else ", ".join(args))]
        rest += ["page_size"] * bool(walk)
        rest += ["options" if "options" in names else "None"] * bool(
            walk or "options" in names)
        rest += ["progress"] * bool(walk)
        line = "    return " + head + ", ".join(rest) + ")"
        return [line] if len(line) <= 79 else [
            "    return " + head.rstrip(), "        " + ", ".join(rest) + ")"]
    for c in chosen:
        sig = module_signature(c)
        out += ["", ""] + py_def("def " + c.name, sig, c.result, "")
        out += [l[4:] for l in py_doc(c.doc, "``%s``: :class:`%s`%s." % (
            c.shown_path(), c.result, {
                "MANAGEMENT": "; ``options``: ``client`` and the per-call "
                "settings", "IAM": "; ``options``: ``client``, "
                "``client_id`` / ``client_secret`` (default: "
                "``SMARTCAR_CLIENT_ID`` / ``SMARTCAR_CLIENT_SECRET``) and "
                "the per-call settings"}.get(c.host, "")))]
        out += body(c, [part.split(":")[0] for part in sig])
    by_name = {c.name: c for c in calls}
    for walk in MODULE_WALKS:
        c = by_name[walk[1]]
        sig = module_signature(c, walk)
        out += ["", ""] + py_def("def " + walk[0], sig,
                                 "Iterator[%s]" % walk[4], "")
        out += [l.replace("\0", " ") for l in textwrap.wrap(
            "Every item (``%s``) of :func:`%s` (``%s``), fetching pages of "
            "``page_size`` as the iteration goes until the library finds "
            "the last page; ``progress=True``: a tqdm bar.\"\"\"" % (
                walk[3], c.name, c.shown_path().replace(" ", "\0")), 72,
            initial_indent='    """', subsequent_indent="    ",
            break_on_hyphens=False)]
        out += body(c, [part.split(":")[0] for part in sig], walk)
    return "\n".join(out) + "\n"


def lua_declaration(c, shapes, owner, options_type):
    """The LuaLS declaration of call c as owner..name(arguments...,
    options)."""
    out = [""] + textwrap.wrap(c.doc, 74, initial_indent="--- ",
                               subsequent_indent="--- ",
                               break_on_hyphens=False)
    for a in c.args:
        kind = LUA_TYPES[a.type]
        if a.type == "paging" and "cursor" in c.query.split():
            kind = "smartcar.ConnectionsPaging"
        out.append("---@param %s %s%s" % (
            a.name, kind, "|nil" if a.optional else ""))
    return out + ["---@param options " + options_type,
                  "---@return smartcar.%s|nil data" % result_shape(
                      shapes, c.result, "lua").lua_name,
                  "---@return smartcar.Error|nil err",
                  "function %s%s(%s) end" % (owner, c.name, ", ".join(
                      [a.name for a in c.args] + ["options"]))]


def lua_call_options():
    """The LuaLS class smartcar.CallOptions: the fields of
    csrc/lib/call_options.def (init.lua declares the ones it adds)."""
    out = ["", "--- The per-call options of every call (call_options.def).",
           "---@class smartcar.CallOptions"]
    for _, (name, kind, doc) in c_bindings.def_lines(
            os.path.join(ROOT, "csrc", "lib", "call_options.def")):
        out.append(("---@field %s %s|nil %s" % (
            name, "integer" if kind == "count" else kind, doc)).rstrip())
    return out


def read_walks():
    """(call, items field, Lua iterator) of each SC_PAGING line of the
    endpoint table that names a Lua iterator (its walk)."""
    return [m.groups() for m in re.finditer(
        r'^SC_PAGING\("(\w+)", \w+, "(\w+)", "(\w+)"\)', open(DEF).read(),
        re.M)]


def lua_walks(calls, shapes):
    """The LuaLS declarations of the paging iterators init.lua builds from
    SC_PAGING's walk column: vehicle:WALK(options) and
    smartcar.WALK(arguments..., options), a page_size option instead of
    the paging argument."""
    by_name = {c.name: c for c in calls}
    shapes_by_name = {s.name: s for s in shapes}
    out = []
    for name, items, walk in read_walks():
        c = by_name[name]
        item = next(_lua_type(f, shapes_by_name) for f in result_shape(
            shapes, c.result, "lua").fields if f.key == items)[:-len("[]")]
        params, query = [a for a in c.args if a.type != "paging"], False
        owner = what = "smartcar."
        if c.vehicle:
            params, what = [], "vehicle:"
            owner = "VehicleV3:" if c.host == "V3" else "Vehicle:"
        elif c.host in APP_HOSTS:
            params, query = app_signature(c)
        out += [""] + textwrap.wrap(
            "Every item of %s%s (each page's `%s`), fetching the pages of "
            "`page_size` as the loop goes until the library finds the last; "
            "a page that fails raises its error (its message prefixed with "
            "\"%s: \")." % (what, name, items, walk), 70,
            initial_indent="--- ", subsequent_indent="--- ")
        out += ["---@param %s %s%s" % (a.name, LUA_TYPES[a.type],
                                        "|nil" if a.optional else "")
                for a in params]
        names = [a.name for a in params] + ["query"] * query
        if query:
            out.append("---@param query table|nil its filters")
        out += ["---@param options table|nil page_size and the options of "
                "%s%s" % (what, name),
                "---@return fun(): %s|nil" % item,
                "function %s%s(%s) end" % (owner, walk, ", ".join(
                    names + ["options"]))]
    return out


def render_lua(calls, hand, hand_v3, shapes, lua_app_hand=()):
    out = ["---@meta", "-- " + HEADER, "--",
           "-- The calls init.lua builds at load from the endpoint table",
           "-- (core.endpoint_info): vehicle:NAME(arguments..., options),",
           "-- auth:NAME(argument, options) for the token grants, and",
           "-- smartcar.NAME(arguments..., [query,] options) for the others;",
           "-- each returns data, or nil and a smartcar.Error.  Then the",
           "-- paging iterators SC_PAGING's walk column names.",
           "-- The v3 calls both classes have are smartcar.VehicleV3Calls'."]
    # every vehicle call on Vehicle, the v3 ones on VehicleV3 too: those
    # both build are declared once, on the class both inherit from
    mine = {"Vehicle": {c.name for c in calls
                        if c.vehicle and c.name not in hand},
            "VehicleV3": {c.name for c in calls if c.vehicle
                          and c.host == "V3" and c.name not in hand_v3}}
    both = mine["Vehicle"] & mine["VehicleV3"]
    for cls, names in (("VehicleV3Calls", both),
                       ("Vehicle", mine["Vehicle"] - both),
                       ("VehicleV3", mine["VehicleV3"] - both)):
        parent = ": smartcar.VehicleV3Calls" if cls != "VehicleV3Calls" else ""
        out += ["", "---@class smartcar.%s%s" % (cls, parent),
                "local %s = {}" % cls]
        for c in calls:
            if c.name in names:
                out += lua_declaration(c, shapes, cls + ":",
                                       "smartcar.CallOptions|nil")
    # the token grants init.lua builds on AuthClient
    out += ["", "---@class smartcar.AuthClient", "local AuthClient = {}"]
    for c in calls:
        if c.host == "AUTH":
            out += lua_declaration(c, shapes, "AuthClient:", "table|nil "
                                   "the per-call options but unit_system "
                                   "and version; store and key")
    # the account's calls and the application's v3 calls init.lua builds
    # on the module table
    out += ["", "---@class smartcar", "local smartcar = {}"]
    for c in account_calls(calls, lua_app_hand):
        out += lua_declaration(c, shapes, "smartcar.",
                               "table|nil client and the per-call options")
    for c, options in other_module_calls(calls, lua_app_hand):
        creds = c.auth == "BASIC_CLIENT" or c.host == "IAM"
        out += lua_declaration(c, shapes, "smartcar.", "table|nil " + ", ".join(
            options + ["client_id", "client_secret"] * creds
            + ["client and the per-call options"]))
    for c in app_calls(calls, lua_app_hand):
        args, query = app_signature(c)
        out += ["", "--- " + c.doc]
        out += ["---@param %s string" % a.name for a in args]
        if query:
            out.append("---@param query table|nil %s" % ", ".join(
                w.split(">")[0] for w in c.query.split()))
        out += ["---@param options table|nil client, client_id, "
                "client_secret and the per-call options",
                "---@return smartcar.%s|nil data" % result_shape(
                    shapes, c.result, "lua").lua_name,
                "---@return smartcar.Error|nil err",
                "function smartcar.%s(%s) end" % (c.name, ", ".join(
                    [a.name for a in args] + ["query"] * query
                    + ["options"]))]
    return "\n".join(out + lua_walks(calls, shapes)
                     + lua_call_options()) + "\n"


def read_options():
    """(kind, C type, name, since, doc) of every SC_OPTION line."""
    out = c_bindings.read_options()
    if not out:
        sys.exit("gen-bindings: no SC_OPTION lines in client_options.def")
    return out


def replace_block(text, begin, end, lines):
    """text with the lines between its marker lines begin and end
    replaced by lines."""
    head, rest = text.split(begin + "\n", 1)
    _, tail = rest.split(end + "\n", 1)
    return head + begin + "\n" + "\n".join(lines) + "\n" + end + "\n" + tail


MARK = "BEGIN generated by tools/gen-bindings.py from client_options.def"


CORE_PYI = os.path.join(ROOT, "python", "smartcar_native", "_core.pyi")


def render_core_pyi(options):
    """_core.pyi with Client's keyword arguments (the options) renewed."""
    types = {"STRING": "Optional[str]", "LONG": "int", "INT": "int",
             "SIZE": "int", "BOOL": "bool", "DOUBLE": "float"}
    return replace_block(
        open(CORE_PYI).read(), "        # " + MARK, "        # END generated",
        ["        %s: %s = ...," % (name, types[kind])
         for kind, _, name, _, _ in options])


def render_options_doc(options):
    out = ["# Client options", "",
           "Generated from `csrc/include/smartcar/client_options.def` by "
           "`tools/gen-bindings.py`; do not edit by hand.", "",
           "The fields of `sc_client_options` (C), the keyword arguments of "
           "`smartcar_native.Client` (Python), the keys of the option table "
           "of `smartcar.core.client` and `smartcar.resty.client` (Lua). "
           "Unset fields take their defaults. `version` says which fields a "
           "program's struct has: `sc_client_options_init(&opts, "
           "SC_CLIENT_OPTIONS_VERSION)`; the library accepts every version "
           "from 1 and reads only the fields of the version given.", "",
           "| option | type | since | meaning |", "|---|---|---|---|"]
    kinds = {"STRING": "string", "LONG": "integer", "INT": "integer",
             "SIZE": "integer (bytes)", "BOOL": "boolean",
             "DOUBLE": "number"}
    for kind, _, name, since, doc in options:
        out.append("| `%s` | %s | %d | %s |" % (name, kinds[kind], since,
                                               doc.replace("|", "\\|")))
    return "\n".join(out) + "\n"


def _returns_iterator(fn):
    """Whether the ast function fn is declared to return an Iterator."""
    return fn.returns is not None and ast.unparse(fn.returns).startswith(
        "Iterator[")


def _annotation(node):
    """An annotation's text (a string annotation without its quotes)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ast.unparse(node)


def twin_attributes(cls):
    """The public attributes (annotated) and properties of the ast class
    cls, with their types: what its twin reads from ``sync``."""
    out = []
    for n in cls.body:
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
            out.append((n.target.id, _annotation(n.annotation)))
        elif isinstance(n, ast.FunctionDef) and any(
                ast.unparse(d) == "property" for d in n.decorator_list):
            out.append((n.name, _annotation(n.returns)))
    return [(name, ann) for name, ann in out if not name.startswith("_")]


def _params(fn, drop_self=False):
    """(the parameters of the ast function fn as written, the arguments
    that pass them on)."""
    a = fn.args
    plain = a.posonlyargs + a.args
    defaults = [None] * (len(plain) - len(a.defaults)) + a.defaults
    parts, passed = [], []

    def one(arg, default):
        text = arg.arg
        if arg.annotation is not None:
            text += ": " + ast.unparse(arg.annotation)
        if default is not None:
            text += (" = " if arg.annotation is not None else "=") + (
                json.dumps(default.value) if isinstance(default, ast.Constant)
                and isinstance(default.value, str) else ast.unparse(default))
        return text
    for i, (arg, default) in enumerate(zip(plain, defaults)):
        parts.append(one(arg, default))
        passed.append(arg.arg)
        if a.posonlyargs and i == len(a.posonlyargs) - 1:
            parts.append("/")
    if a.vararg is not None:
        parts.append("*" + one(a.vararg, None))
        passed.append("*" + a.vararg.arg)
    elif a.kwonlyargs:
        parts.append("*")
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        parts.append(one(arg, default))
        passed.append("%s=%s" % (arg.arg, arg.arg))
    if a.kwarg is not None:
        parts.append("**" + one(a.kwarg, None))
        passed.append("**" + a.kwarg.arg)
    if drop_self:
        passed = passed[1:]
    return parts, ", ".join(passed)


def _names(fn):
    """The names the annotations and defaults of the ast function fn
    use."""
    a = fn.args
    nodes = [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs +
             [a.vararg, a.kwarg] if x is not None and x.annotation]
    nodes += [fn.returns] if fn.returns is not None else []
    out = {n.id for d in a.defaults + a.kw_defaults if d is not None
           for n in ast.walk(d) if isinstance(n, ast.Name)}
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                try:
                    out |= {m.id for m in ast.walk(ast.parse(n.value))
                            if isinstance(m, ast.Name)}
                except SyntaxError:
                    pass
            elif isinstance(n, ast.Name):
                out.add(n.id)
    return out


def _origins(tree, module):
    """name -> the import that gives it, for the names the module's
    source (ast tree) imports or defines at the top level."""
    out = {}
    for n in tree.body:
        if isinstance(n, ast.ImportFrom):
            for alias in n.names:
                if alias.asname is None and alias.name != "*":
                    where = ("." * n.level) + (n.module or "")
                    out[alias.name] = (where or n.module, alias.name)
        elif isinstance(n, (ast.ClassDef, ast.FunctionDef)):
            out[n.name] = ("." + module, n.name)
        elif isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name):
            out[n.targets[0].id] = ("." + module, n.targets[0].id)
    return out


def _twin(name, fn, owner, kind, indent="", where="", planned=False):
    """The twin of the ast function fn (owner: "" for a module function,
    else its class's name): kind "await" (a coroutine), "same" (a method
    called at once) or "init" (the constructor); where: the module alias
    a module function is called through; planned: a call of Vehicle or
    VehicleV3 that runs its plan."""
    method = bool(owner)
    parts, passed = _params(fn, method)
    passed = passed.split(", ") if passed else []
    ret = ast.unparse(fn.returns) if fn.returns is not None else "None"
    target = ("self.sync.%s" % fn.name) if method else where + fn.name
    what = ":%s:`%s`" % ("meth", owner + "." + fn.name) if method else \
        ":func:`%s`" % fn.name
    if kind == "init":
        call, args, doc = "self.sync = " + owner, passed, None
    elif kind == "same":
        call, args = "return " + target, passed
        doc = "%s (no I/O)." % what
    elif _returns_iterator(fn):
        ret = "Async" + ret
        call, args = "return _iterate", ["%s(%s)" % (target, ", ".join(
            passed))]
        doc = "``async for`` over %s." % what
    elif planned:  # the plan of the call, by its arguments' names
        call = "return await _planned"
        args = ["self.sync", '"%s"' % fn.name] + (["{%s}" % ", ".join(
            '"%s": %s' % (a.arg, a.arg) for a in fn.args.args[1:])]
            if fn.args.args[1:] else [])
        doc = "Awaitable %s." % what
    else:
        call, args = "return await _replayed", [target] + passed
        doc = "Awaitable %s." % what
    head = ("async def " if kind == "await" and not _returns_iterator(fn)
            else "def ") + name
    out = py_def(head, parts, ret, indent)
    if doc:
        out.append('%s    """%s"""' % (indent, doc))
    line = "%s    %s(%s)" % (indent, call, ", ".join(args))
    if len(line) > 79:
        line = "%s    %s(\n%s        %s)" % (indent, call, indent,
                                           ", ".join(args))
    if len(line.split("\n")[-1]) > 79:  # an argument a line
        line = "%s    %s(\n%s\n%s    )" % (indent, call, "\n".join(
            "%s        %s," % (indent, arg) for arg in args), indent)
    return out + [line]


def render_twins(generated, app_generated, vehicle_calls, hand,
                 module_generated):
    """The twins of AIO_FUNCTIONS and of AIO_CLASSES (with the calls the
    generated VehicleMethods and VehicleV3Methods hold; vehicle_calls
    names Vehicle's, hand those vehicle.py writes), each with its
    original's parameters, passing them on."""
    def classes_of(tree):
        return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}

    def defs_of(node):
        return {n.name: n for n in node.body
                if isinstance(n, ast.FunctionDef)}

    sources = {}  # module -> its ast
    for module in ["_module_calls", "v3"] + [c[0] for c in AIO_CLASSES]:
        sources[module] = ast.parse(open(os.path.join(PKG, module + ".py"))
                                    .read())
    sources["_vehicle_methods"] = gen_tree = ast.parse(generated)
    api_tree = ast.parse(api_bindings.files()[api_bindings.PY_OUT])
    sources["_app_calls"] = app_tree = ast.parse(app_generated)
    sources["_module_functions"] = module_tree = ast.parse(module_generated)
    origins = {}
    for module, tree in sources.items():
        for name, where in _origins(tree, module).items():
            origins.setdefault(name, where)
    used = set()
    body = []
    for module, names in AIO_FUNCTIONS:
        defs = defs_of(sources[module])
        # and the generated calls they re-export
        defs.update(defs_of(module_tree))
        defs.update(defs_of(app_tree) if module == "v3" else {})
        for twin_name in names:
            mine, _, name = twin_name.rpartition("=")
            fn = defs[name]
            used |= _names(fn)
            twin = _twin(mine or name, fn, "", "await", "",
                         TWIN_ALIAS[module] + ".")
            body += ["", ""] + [line.replace(
                ":func:`", ":func:`smartcar_native.%s" % (
                    "v3." if module == "v3" else "")) for line in twin]
    for module, cls, doc, same, awaited in AIO_CLASSES:
        tree = sources[module]
        node = classes_of(tree)[cls]
        defs = defs_of(node)
        calls = same + awaited
        if cls == "Vehicle":
            defs.update({n: f for n, f in defs_of(
                classes_of(gen_tree)["VehicleMethods"]).items()
                if n not in defs})
            calls += vehicle_calls
        elif cls + "Methods" in classes_of(gen_tree):
            gen = defs_of(classes_of(gen_tree)[cls + "Methods"])
            defs.update(gen)
            calls += [n for n in gen if not n.startswith("_")]
        elif cls + "Methods" in classes_of(api_tree):  # api.def's
            defs.update(defs_of(classes_of(api_tree)[cls + "Methods"]))
        text = (":class:`%s` with awaitable calls: same arguments, "
                "attributes read from ``sync`` (the %s it wraps), same "
                "results.  %s" % (cls, cls, doc)).strip()
        body += ["", "", "class Async%s(%s):" % (
            cls, "ClosingTwin" if "close" in defs else "Twin")]
        body += textwrap.wrap(text, 72, initial_indent='    """',
                              subsequent_indent="    ",
                              break_on_hyphens=False)
        body[-1] += '"""'
        body += ["", "    sync: %s" % cls]
        attrs = dict(twin_attributes(node))
        if "Planned" in map(ast.unparse, node.bases):  # and what it shares
            attrs.update((k, v) for k, v in twin_attributes(classes_of(
                ast.parse(open(os.path.join(PKG, "_plans.py")).read()))[
                    "Planned"]) if k not in attrs)
        for name, ann in attrs.items():
            body.append("    %s: Same[%s] = Same()" % (name, ann))
            used |= {m.id for m in ast.walk(ast.parse(ann))
                     if isinstance(m, ast.Name)}
        used |= _names(defs["__init__"]) | {cls}
        body += [""] + _twin("__init__", defs["__init__"], cls, "init",
                             "    ")
        for name in calls:
            used |= _names(defs[name])
            body += [""] + _twin(name, defs[name], cls,
                                 "same" if name in same else "await", "    ",
                                 planned=cls in ("Vehicle", "VehicleV3"))
    # (an Iterator's twin is an AsyncIterator)
    used -= {"None", "self", "Iterator"} | set(dir(__builtins__))
    origins["AsyncIterator"] = ("typing", "AsyncIterator")
    used.add("AsyncIterator")
    imports = {}
    for name in sorted(used):
        module, original = origins[name]
        imports.setdefault(module, []).append(original)
    twins = ["Async" + c[1] for c in AIO_CLASSES]
    out = ['"""The awaitable twins of the blocking API that aio gives, each '
           "with its", "original's parameters: a call runs its original on "
           "the event loop", "(aio._planned, aio._replayed, aio._iterate); a "
           "twin class holds its", "original as ``sync``.", "",
           HEADER.replace("from csrc/lib/endpoints.def",
                          "(AIO_FUNCTIONS, AIO_CLASSES)"),
           '"""', "", "from __future__ import annotations", ""]
    def import_line(module, names):
        line = "from %s import %s" % (module, ", ".join(sorted(set(names))))
        if len(line) > 79:
            line = "from %s import (\n%s\n)" % (module, "\n".join(
                "    %s," % n for n in sorted(set(names))))
        return line
    out += [import_line("typing", imports.pop("typing")), "",
            "from . import _module_calls as _api, v3 as _v3"]
    local = [("._twins", ["ClosingTwin", "Same", "Twin"]),
             (".aio", ["_iterate", "_planned", "_replayed"])]
    for module, names in sorted(list(imports.items()) + local):
        out.append(import_line(module, names))
    out += ["", "__all__ = ["] + ['    "%s",' % n for n in sorted(
        [n.rpartition("=")[0] or n for _, names in AIO_FUNCTIONS
         for n in names] + twins)] + ["]"]
    return "\n".join(out + body) + "\n"


# ---------------------------------------------------------------------
# Result shapes (csrc/lib/results.def)

SHAPES_DEF = os.path.join(ROOT, "csrc", "lib", "results.def")
SHAPES_PY = os.path.join(ROOT, "python", "smartcar_native", "_shapes.py")
SHAPES_LUA = os.path.join(ROOT, "lua", "meta", "smartcar_results.lua")
SHAPES_JSON = os.path.join(ROOT, "tests", "shapes.json")
SHAPE_HEADER = "Generated by tools/gen-bindings.py from csrc/lib/results.def: " \
               "do not edit."
BASE_PY = {"string": "str", "number": "Number", "integer": "int",
           "boolean": "bool", "any": "Any", "object": "Dict[str, Any]",
           "time": "_dt.datetime", "mstime": "_dt.datetime",
           "isotime": "str"}
BASE_LUA = {"string": "string", "number": "number", "integer": "integer",
            "boolean": "boolean", "any": "any", "object": "table",
            "time": "integer", "mstime": "integer", "isotime": "string"}
SHAPE_OPTIONS = ("py", "lua", "mapping", "custom", "class", "defaults",
                 "plain", "ours")
V2_RESPONSE = os.path.join(ROOT, "python", "smartcar_native",
                           "v2_response.py")
# smartcar.v2_response names that are not shapes, and where they live
V2_EXTRAS = {"Reason": "types"}


class Field:
    def __init__(self, shape, name, spec, doc):
        name, _, path = name.partition("@")
        self.py, _, self.alias = name.partition("<")
        self.key = self.alias or path or self.py
        # where in the data the value is: keys and list indexes
        self.path = [int(p) if p.isdigit() else p
                     for p in path.split(".")] if path else None
        words = spec.split()
        kind = words[0]
        self.optional = kind.endswith("?")
        kind = kind.rstrip("?")
        self.list = kind.endswith("[]")
        self.kind = kind[:-2] if self.list else kind
        self.secret = "secret" in words[1:]
        self.expiry = "expiry" in words[1:]
        # a field only one language has
        self.only = next((w for w in words[1:] if w in ("py", "lua")), None)
        self.default = self.unit = None
        for w in words[1:]:
            if w.startswith("="):
                self.default = w[1:]
            elif w.startswith("unit=") and w.count("/") == 1:
                self.unit = tuple(w[5:].split("/"))
            elif w not in ("secret", "expiry", "py", "lua"):
                sys.exit("gen-bindings: %s.%s: unknown flag %r"
                         % (shape, name, w))
        self.doc = doc


class Shape:
    def __init__(self, name, options, doc):
        self.name, self.doc, self.fields = name, doc, []
        self.options, self.lua_name, self.py_name = set(), name, None
        self.in_path = None
        for word in options.split():
            key, _, value = word.partition("=")
            if key == "lua" and value:
                self.lua_name = value
            elif key == "name" and value:
                self.py_name = value
            elif key == "in" and value:
                self.in_path = [int(p) if p.isdigit() else p
                                for p in value.split(".")]
            elif word in SHAPE_OPTIONS:
                self.options.add(word)
            else:
                sys.exit("gen-bindings: %s: unknown option %r" % (name, word))
        self.in_py = "lua" not in self.options
        self.in_lua = "py" not in self.options

    def converter(self):
        return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", self.name).lower() \
            + "_from"


def read_shapes():
    """The shapes of results.def, in order."""
    text = open(SHAPES_DEF).read()
    body = "\n".join(l for l in text.splitlines()
                     if not l.lstrip().startswith(("/*", "*")))
    shapes = []
    for m in re.finditer(r"^SC_(SHAPE|FIELD)\((.*?)\)\s*$", body,
                         re.M | re.S):
        args = [s.replace('\\"', '"') for s in strings(m.group(2))]
        if len(args) != 3:
            sys.exit("gen-bindings: results.def: %s needs 3 strings"
                     % m.group(0).split("\n")[0])
        if m.group(1) == "SHAPE":
            shapes.append(Shape(*args))
        elif not shapes:
            sys.exit("gen-bindings: results.def: SC_FIELD before SC_SHAPE")
        else:
            shapes[-1].fields.append(Field(shapes[-1].name, *args))
    for lang in ("py", "lua"):
        names = [s.name for s in shapes if getattr(s, "in_" + lang)]
        if len(names) != len(set(names)):
            sys.exit("gen-bindings: results.def: a shape is declared twice "
                     "for %s" % lang)
    known = {s.name for s in shapes}
    for s in shapes:
        for f in s.fields:
            if f.kind not in BASE_PY and f.kind not in known:
                sys.exit("gen-bindings: %s.%s: unknown type %s"
                         % (s.name, f.py, f.kind))
    return shapes


def result_shape(shapes, name, lang):
    """The shape an SC_BINDING result names in a language, or None."""
    for s in shapes:
        if getattr(s, "in_" + lang) and name in (s.name, s.lua_name):
            return s
    return None


def check_results(calls, shapes):
    for c in calls:
        if not any(c.result in (s.name, s.lua_name) for s in shapes):
            sys.exit("gen-bindings: %s: result %s is not a shape in "
                     "csrc/lib/results.def" % (c.name, c.result))


PY_SHAPES = set()  # the shapes Python has (render_py_shapes)


def _py_type(f, plain=False):
    """f's Python annotation; in a plain class, plain shapes by name."""
    text = BASE_PY.get(f.kind, f.kind)
    if f.kind not in BASE_PY and f.kind not in PY_SHAPES and not plain:
        # a Lua-only or plain shape: a dict at run time in Python
        text = BASE_PY["object"]
    if f.list:
        text = "List[%s]" % text
    if f.optional and text != "Any":
        text = "Optional[%s]" % text
    return text


def _path_args(path):
    return ", ".join(str(p) if isinstance(p, int) else '"%s"' % p
                     for p in path)


def _shares_meta(s, shapes_by_name):
    """True when s has a Meta field and is nested in another shape or
    read from inside its call's data (in=): its converter then takes the
    meta of the data around it."""
    return any(f.kind == "Meta" for f in s.fields) and (
        s.in_path is not None or any(
            f.kind == s.name for o in shapes_by_name.values()
            for f in o.fields))


def _py_value(f, shapes_by_name, meta_expr="meta_from(data)"):
    get = 'data.get("%s")' % f.key
    if f.path and len(f.path) > 1:
        get = "_u.at(data, %s)" % _path_args(f.path)
    if f.kind == "Meta":
        return meta_expr
    if f.kind in shapes_by_name:
        inner = shapes_by_name[f.kind]
        conv, meta = inner.converter(), ""
        if _shares_meta(inner, shapes_by_name):
            conv, meta = conv.replace("_from", "_item_from"), ", meta"
        if f.list:
            return "[%s(v%s) for v in _u.dicts(%s)]" % (conv, meta, get)
        if f.optional:
            return "_u.one(%s, %s%s)" % (conv, get, meta)
        return "%s(_u.as_map(%s)%s)" % (conv, get, meta)
    if f.list:
        return "list(%s or [])" % get
    if f.kind == "time":
        return "_u.utc_naive(%s)" % get
    if f.kind == "mstime":
        return "_u.from_ms(%s)" % get
    if f.kind == "object" and not f.optional:
        return "dict(_u.as_map(%s))" % get
    if f.default is not None:
        return "%s or %s" % (get, f.default)
    return get


def _map_of(s):
    """The field of a map shape's values ("[string]"), or None."""
    return next((f for f in s.fields if f.key == "[string]"), None)


def _py_map(s, out):
    """A map shape: a dict of its values by key, meta an attribute."""
    out += ["class %s(Dict[str, List[%s]]):" % (s.name, _map_of(s).kind)]
    out += textwrap.wrap('"""%s"""' % s.doc, 75, initial_indent="    ",
                         subsequent_indent="    ")
    out += ["", "    meta: Meta", "",
            "    def __init__(self, entries: Any = (),",
            "                 meta: Optional[Meta] = None) -> None:",
            "        super().__init__(entries)",
            "        self.meta = meta if meta is not None else Meta()", "",
            "    def __repr__(self) -> str:",
            '        return "%s(%%s, meta=%%r)" %% (' % s.name,
            "            dict.__repr__(self), self.meta)"]


def _py_class(s, out):
    if "mapping" in s.options:
        out.append("@_u.mapped")
    plain = "plain" in s.options
    out += ["class %s%s:" % (s.name, "" if plain else "(NamedTuple)")]
    out += ['    """' + l if i == 0 else ("    " + l if l else "")
            for i, l in enumerate(textwrap.wrap(
                s.doc.replace("\n", " "), 70) or [""])]
    out[-1] += '"""'
    out.append("")
    for f in s.fields:
        default = ""
        if f.default is not None:
            default = " = %s" % f.default
        elif "defaults" in s.options or (plain and f.optional):
            default = " = None"
        comment = ""
        if f.py == "count":
            comment = "  # type: ignore[assignment]  # shadows tuple.count"
        out.append("    %s: %s%s%s" % (f.py, _py_type(f, plain), default,
                                       comment))
    for f in [] if plain else s.fields:
        if f.kind == "isotime":
            out += ["", "    @property",
                    "    def %s_dt(self) -> Optional[_dt.datetime]:" % f.py,
                    '        """``%s`` as a naive UTC datetime (None when '
                    'absent)."""' % f.py,
                    "        return _u.parse_iso(self.%s)" % f.py]
        if f.alias:
            out += ["", "    @property",
                    "    def %s(self) -> %s:" % (f.key, _py_type(f)),
                    '        """``%s`` under a snake_case name."""' % f.py,
                    "        return self.%s" % f.py]
        if f.expiry:
            method = f.py.replace("expiration", "is_expired")
            out += ["", "    def %s(self, leeway: float = 60) -> bool:" % method]
            doc = textwrap.wrap(
                "True when %s has expired or will within ``leeway`` seconds "
                "(default 60, the token store's margin)." % f.doc, 66)
            out += ['        """' + doc[0]] + ["        " + l for l in doc[1:]]
            out[-1] += '"""'
            out.append("        return _u.is_expired(self.%s, leeway)" % f.py)
    secrets = tuple(f.py for f in s.fields if f.secret)
    if secrets:
        out += ["", "    def __repr__(self) -> str:",
                "        return _u.redacted(self, %r)" % (secrets,)]
    if s.py_name:
        out += ["", "", "%s.__name__ = %s.__qualname__ = %r"
                % (s.name, s.name, s.py_name)]


def render_py_shapes(shapes, calls):
    py = [s for s in shapes if s.in_py]
    by_name = {s.name: s for s in py}
    PY_SHAPES.update(n for n, s in by_name.items()
                     if "plain" not in s.options)
    out = ['"""Result named tuples, with the official ``smartcar`` SDK\'s '
           "names, and", "their converters from libsmartcar's result data: "
           "one per shape of", "csrc/lib/results.def.", "",
           SHAPE_HEADER, '"""', "", "from __future__ import annotations", "",
           "import datetime as _dt",
           "from typing import (Any, Dict, List, Mapping, NamedTuple, "
           "Optional, Tuple,", "                    Union)", "",
           "from . import _shape_util as _u", "",
           "__all__ = ["]
    out += ['    "%s",' % s.name for s in py
            if "class" not in s.options and "plain" not in s.options]
    out += ["]", "", "Number = Union[int, float]"]
    for s in py:
        if "class" in s.options:
            continue
        out += ["", ""]
        (_py_map if _map_of(s) else _py_class)(s, out)
    out += ["", "", "# " + "-" * 69, "# From libsmartcar data"]
    for s in py:
        if s.options & {"custom", "class", "plain"}:
            continue
        out += ["", ""]
        name, args = s.converter(), ["data: Mapping[str, Any]"]
        if _map_of(s):  # the values of every key but meta that are lists
            out += py_def("def " + name, args, s.name, "") + [
                "    return %s({" % s.name,
                "        key: [%s(r) for r in _u.dicts(rows)]" % by_name[
                    _map_of(s).kind].converter(),
                "        for key, rows in data.items()",
                '        if key != "meta" and isinstance(rows, list)'
                "}, meta_from(data))"]
            continue
        shares = _shares_meta(s, by_name)
        if shares:
            top = "_u.as_map(_u.at(data, %s))" % _path_args(
                s.in_path) if s.in_path else "data"
            out += py_def("def " + name, args, s.name, "")
            out += ["    return %s(" % name.replace("_from", "_item_from"),
                    "        %s, meta_from(data))" % top, "", ""]
            name, args = name.replace("_from", "_item_from"), \
                args + ["meta: Meta"]
        out += py_def("def " + name, args, s.name, "")
        meta_expr = "meta" if shares else "meta_from(data)"
        if not shares and any(f.kind in by_name and _shares_meta(
                by_name[f.kind], by_name) for f in s.fields):
            out.append("    meta = meta_from(data)")
            meta_expr = "meta"
        if s.name == "Meta":
            # every result reads its meta: a dict is taken without the
            # call to as_map (issue 9, per-call cost)
            out += ['    """The ``meta`` of a call\'s data."""',
                    '    data = data.get("meta")',
                    '    if type(data) is not dict:',
                    '        data = _u.as_map(data)']
            values = ['data.get("%s")' % f.key for f in s.fields]
        else:
            values = [_py_value(f, by_name, meta_expr) for f in s.fields]
        line = "    return _u.new(%s, (%s%s))" % (
            s.name, ", ".join(values), "," if len(values) == 1 else "")
        if len(line) <= 79:
            out.append(line)
        else:
            out.append("    return _u.new(%s, (" % s.name)
            out += ["        %s," % v for v in values]
            out.append("    ))")
    units, times = {}, []
    for s in shapes:
        for f in s.fields:
            if f.unit and units.setdefault(f.key, f.unit) != f.unit:
                sys.exit("gen-bindings: %s.%s: another unit than the other "
                         "fields named %s" % (s.name, f.key, f.key))
            if f.kind in ("time", "isotime") and f.key not in times:
                times.append(f.key)
    out += ["", "", "#: measured fields -> (unit under \"metric\", unit under "
            "\"imperial\")", "UNITS: Dict[str, Tuple[str, str]] = {"]
    out += ['    "%s": ("%s", "%s"),' % ((k,) + u) for k, u in units.items()]
    out += ["}", "#: fields holding times (ISO-8601 text or Unix seconds)",
            "TIME_FIELDS = ("]
    out += textwrap.wrap(" ".join('"%s",' % t for t in times), 75,
                         initial_indent="    ", subsequent_indent="    ")
    out += [")", "#: result class -> its fields holding credentials",
            "SECRET_FIELDS = {"]
    out += ['    "%s": %r,' % (s.py_name or s.name, tuple(
        f.py for f in s.fields if f.secret)) for s in py
        if any(f.secret for f in s.fields)]
    out += ["}"]
    out += ["", "", "#: endpoint -> the name of its result's converter "
            "(types.CONVERTERS)", "CONVERTER_NAMES = {"]
    for c in calls:
        s = result_shape(py, c.result, "py")
        # a "class" shape without "custom" converts elsewhere (batch)
        if s is not None and "plain" not in s.options and (
                "class" not in s.options
                              or "custom" in s.options):
            out.append('    "%s": "%s",' % (c.name, s.converter()))
    out.append("}")
    return "\n".join(out) + "\n"


def _lua_type(f, by_name):
    text = BASE_LUA.get(f.kind)
    if text is None:
        text = "smartcar." + by_name[f.kind].lua_name
    if f.list:
        text += "[]"
    if f.optional:
        text += "|smartcar.Null|nil"
    return text


def render_lua_shapes(shapes):
    lua = [s for s in shapes if s.in_lua]
    by_name = {s.name: s for s in lua}
    out = ["---@meta", "-- " + SHAPE_HEADER, "--",
           "-- The tables calls return: the data libsmartcar shapes "
           "(snake_case keys,", "-- meta from the sc-* headers; JSON null "
           "is smartcar.null)."]
    for s in lua:
        out += [""] + ["--- " + l for l in textwrap.wrap(s.doc, 74)]
        out.append("---@class smartcar.%s" % s.lua_name)
        for f in s.fields:
            if f.only == "py":
                continue
            doc = f.doc + (" (Unix seconds)" if f.kind == "time" else "")
            out.append(("---@field %s %s %s" % (
                f.key, _lua_type(f, by_name), doc)).rstrip())
    return "\n".join(out) + "\n"


def render_v2_response(shapes):
    """smartcar_native.v2_response: the official SDK's result types."""
    names = {s.name: "types" if "class" in s.options else "_shapes"
             for s in shapes if s.in_py and "ours" not in s.options}
    names.update(V2_EXTRAS)
    out = ['"""``smartcar.v2_response`` of the official SDK: the result '
           'types (the', "shapes of csrc/lib/results.def not marked "
           "``ours``; ``ServiceRecord`` and", "its parts annotate the dicts "
           "of ``ServiceHistory.items``).", "", SHAPE_HEADER, '"""', "",
           "from __future__ import annotations", ""]
    for module in ("_shapes", "types"):
        out.append("from .%s import (" % module)
        out += ["    %s as %s," % (n, n) for n in sorted(names)
                if names[n] == module]
        out.append(")")
    out += ["", "__all__ = ["]
    out += textwrap.wrap(" ".join('"%s",' % n for n in sorted(names)), 75,
                         initial_indent="    ", subsequent_indent="    ")
    out.append("]")
    return "\n".join(out) + "\n"


def render_shapes_json(shapes, calls):
    """The declared fields per language and each endpoint's result, for
    the surface tests."""
    doc = {"python": {}, "lua": {}, "endpoints": {}}
    for c in calls:
        doc["endpoints"][c.name] = {
            lang: s.lua_name if lang == "lua" else s.name
            for lang, s in (("python", result_shape(shapes, c.result, "py")),
                            ("lua", result_shape(shapes, c.result, "lua")))
            if s is not None}
    for s in shapes:
        for lang in ("py", "lua"):
            fields = [f for f in s.fields if f.key != "[string]"
                      and f.only in (None, lang)]
            if not getattr(s, "in_" + lang) or (
                    lang == "py" and "class" in s.options):
                continue
            nested = {}
            for f in fields:
                inner = result_shape(shapes, f.kind, lang)
                if inner is not None and not (
                        lang == "py" and "plain" in inner.options):
                    nested[f.key] = [inner.lua_name if lang == "lua"
                                     else inner.name, f.list]
            doc["python" if lang == "py" else "lua"][
                s.lua_name if lang == "lua" else s.name] = {
                "fields": [f.key if lang == "lua" else f.py for f in fields],
                "keys": [f.key for f in fields],
                "optional": [f.key for f in fields if f.optional],
                "nested": nested,
                "plain": "plain" in s.options,
                "official": "ours" not in s.options,
                "map": any(f.key == "[string]" for f in s.fields)}
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def wrap_after(text, sep, indent):
    """text in lines of at most 78 columns, broken only after sep."""
    lines = [""]
    for part in re.split(r"(?<=%s) " % re.escape(sep), text):
        if lines[-1] and len(lines[-1]) + 1 + len(part) > 78:
            lines.append(indent + part)
        else:
            lines[-1] = lines[-1] + " " + part if lines[-1] else part
    return lines


def render_resty_cdef(generated):
    """smartcar.resty's FFI declarations, from the public headers: the
    opaque types, the layout of struct sc_token_store (a Lua token store
    fills one with callbacks it casts to their types itself, so its
    function pointers are declared as pointers) and the prototype of each
    library function smartcar.resty's files call (C.sc_name /
    lib.sc_name), in header order."""
    texts = dict(generated)  # the resty files this run writes
    for path in [os.path.join(ROOT, "lua", "smartcar", "resty.lua")] + \
            sorted(glob.glob(os.path.join(RESTY_DIR, "*.lua"))):
        if path != RESTY_CDEF and path not in texts:
            texts[path] = open(path).read()
    used = set()
    for text in texts.values():
        used |= set(re.findall(r"\b(?:C|lib)\.(sc_\w+)\b", text))
    headers = [os.path.join(INCLUDE_DIR, n) for n in (
        "common.h", "errors.h", "params.h", "client.h", "result.h",
        "auth.h", "call.h", "webhooks.h", "signals.h", "store.h",
        "paging.h", os.path.join("sys", "transport.h"),
        os.path.join("sys", "store.h"), "bind.h")]
    types, structs, protos, found = [], [], [], set()
    fn_types = {}  # function pointer typedefs, declared when a proto uses one
    for path in headers:
        text = re.sub(r"/\*.*?\*/|//[^\n]*", "", open(path).read(),
                      flags=re.S)
        for m in re.finditer(r"^typedef struct (sc_\w+) \1;", text, re.M):
            if m.group(0) not in types:
                types.append(m.group(0))
        m = re.search(r"^struct sc_token_store \{.*?^\};", text,
                      re.M | re.S)
        if m:
            structs.append("struct sc_token_store { unsigned int version; "
                           "%s };" % " ".join(
                               "void *%s;" % f for f in
                               re.findall(r"\(\*(\w+)\)", m.group(0))))
        for m in re.finditer(r"^typedef [^;(]*\(\*(sc_\w+)\)\([^;]*\);",
                             text, re.M):
            fn_types[m.group(1)] = re.sub(r"\s+", " ", m.group(0))
        for m in re.finditer(r"SC_EXTERN\(([^)]*)\)\s*(sc_\w+)\s*\("
                             r"([^;]*?)\)\s*;", text, re.S):
            if m.group(2) in used:
                found.add(m.group(2))
                args = re.sub(r"\s+", " ", m.group(3)).strip()
                protos.append("%s%s%s(%s);" % (
                    m.group(1), "" if m.group(1).endswith("*") else " ",
                    m.group(2), args))
    missing = used - found
    if missing:
        sys.exit("gen-bindings: smartcar.resty calls undeclared %s"
                 % ", ".join(sorted(missing)))
    out = ["-- Generated by tools/gen-bindings.py from csrc/include: do not "
           "edit.", "-- The FFI declarations of what smartcar.resty calls "
           "in libsmartcar.", "return [["]
    out += types
    for name, typedef in fn_types.items():
        if any(re.search(r"\b%s\b" % name, p) for p in protos):
            out += wrap_after(typedef, ",", "    ")
    for struct in structs:  # wrapped between fields
        out += wrap_after(struct, ";", "  ")
    for proto in protos:  # wrapped between arguments
        out += wrap_after(proto, ",", "    ")
    return "\n".join(out + ["]]"]) + "\n"


# -- Python's exception classes (csrc/lib/exceptions.def) -----------------

ERROR_FIELDS_PY = os.path.join(PKG, "_error_fields.py")


def render_error_fields(shapes):
    """The attributes of SmartcarException: results.def's Error shape."""
    shape = next(s for s in shapes if s.name == "Error")
    out = ['"""The attributes of every SmartcarException: the fields of '
           "libsmartcar's", 'error object (shape Error of csrc/lib/results.def, '
           "as Lua's errors", 'have them).', "", SHAPE_HEADER, '"""', "",
           "from __future__ import annotations", "",
           "from typing import Any, Dict, List, Optional, Union", "",
           "Number = Union[int, float]", "", "",
           "class ErrorFields:",
           '    """What a failure carries; None where it does not apply."""']
    for f in shape.fields:
        if f.only == "lua":
            continue
        if f.doc:
            out += [""] + ["    #: " + l for l in textwrap.wrap(f.doc, 71)]
        out.append("    %s: %s" % (f.py, _py_type(f)))
    return "\n".join(out) + "\n"


EXC_DEF = os.path.join(ROOT, "csrc", "lib", "exceptions.def")
ERRORS_DEF = os.path.join(ROOT, "csrc", "include", "smartcar", "errors.def")
EXC_OUT = os.path.join(PKG, "_exceptions.py")


def read_exceptions():
    """[(name, bases, what, flags, [doc lines])] of exceptions.def; fails
    unless each errors.def kind has exactly one class."""
    body = "\n".join(l for l in open(EXC_DEF).read().splitlines()
                     if not l.lstrip().startswith(("/*", "*")))
    classes = []
    for m in re.finditer(r"^SC_(EXC|DOC)\((.*?)\)\s*$", body, re.M | re.S):
        args = [a.replace('\\"', '"') for a in strings(m.group(2))]
        if m.group(1) == "EXC":
            classes.append(args + [[]])
        elif classes:
            classes[-1][4].extend(args)
    kinds = re.findall(r'^SC_ERROR\(\w+,\s*-?\d+,\s*"(\w+)"',
                       open(ERRORS_DEF).read(), re.M)
    whats = [c[2] for c in classes if c[2]]
    if sorted(k for k in whats if not k.startswith("API:")) != sorted(kinds):
        sys.exit("gen-bindings: exceptions.def: each kind of errors.def "
                 "needs one class")
    return classes


def render_exceptions(classes):
    out = ['"""The exception classes of each libsmartcar error kind and '
           'Smartcar API',
           'error category (smartcar_native.errors re-exports them).',
           "",
           "Generated by tools/gen-bindings.py from csrc/lib/exceptions.def "
           "and",
           'csrc/include/smartcar/errors.def; do not edit."""',
           "", "from __future__ import annotations", "",
           "from typing import Dict, Optional, Type", "",
           "from ._error_base import SmartcarException", "",
           "__all__ = ["]
    out += ['    "%s",' % c[0] for c in classes]
    out.append("]")
    for name, bases, what, flags, doc in classes:
        out += ["", "", "class %s(%s):" % (name, bases)]
        text = "\n".join(("    " + l).rstrip() if i else l
                         for i, l in enumerate(doc))
        out.append('    """%s%s"""' % (text, "\n    " if len(doc) > 1
                                         else ""))
        if "error" in flags.split():
            out += ["", "    @property", "    def error(self) -> Optional[str]:",
                    "        return self.type"]
    for title, table, test in (
            ("the class of each libsmartcar error kind", "BY_KIND",
             lambda w: w and not w.startswith("API:")),
            ("the ApiError class of each Smartcar API error category",
             "BY_API_TYPE", lambda w: w.startswith("API:"))):
        out += ["", "", "#: " + title,
                "%s: Dict[str, Type[SmartcarException]] = {" % table]
        out += ['    "%s": %s,' % (what.split(":")[-1], name)
                for name, _, what, _, _ in classes if test(what)]
        out.append("}")
    out += ["", "", "for _kind, _cls in BY_KIND.items():",
            "    _cls.default_kind = _kind",
            "# the module users import them from (tracebacks, pickling)",
            "for _name in __all__:",
            '    globals()[_name].__module__ = "smartcar_native.errors"']
    return "\n".join(out) + "\n"


def main():
    calls = read_table()
    options = read_options()
    shapes = read_shapes()
    check_results(calls, shapes)
    known = {s.name for s in shapes if s.in_py and (
        "class" not in s.options or "custom" in s.options)}
    py_hand = hand_written(VEHICLE_PY, r"^    def _plan_(\w+)\(")
    PY_HAND.update(py_hand)
    v3_hand = hand_written(V3_PY, r"^    def (\w+)\(")
    app_hand = hand_written(V3_PY, r"^def (\w+)\(")
    LUA_ONLY.update(s.name for s in shapes if not s.in_py)
    lua_hand = hand_written(INIT_LUA, r"^function Vehicle:(\w+)\(")
    lua_hand_v3 = hand_written(INIT_LUA, r"^function VehicleV3:(\w+)\(")
    py_text = render_python(calls, py_hand, known, v3_hand)
    app_text = render_app_calls(calls, app_hand)
    module_text = render_module_calls(calls)
    files = {PY_OUT: py_text,
             LUA_OUT: render_lua(calls, lua_hand, lua_hand_v3, shapes,
                                 hand_written(INIT_LUA,
                                              r"^function smartcar\.(\w+)\(")),
             SHAPES_PY: render_py_shapes(shapes, calls),
             SHAPES_LUA: render_lua_shapes(shapes),
             SHAPES_JSON: render_shapes_json(shapes, calls),
             V2_RESPONSE: render_v2_response(shapes),
             OPTIONS_DOC: render_options_doc(options),
             CORE_PYI: render_core_pyi(options),
             EXC_OUT: render_exceptions(read_exceptions()),
             ERROR_FIELDS_PY: render_error_fields(shapes),
             APP_CALLS_OUT: app_text,
             MODULE_CALLS_OUT: module_text,
             TWINS_OUT: render_twins(
                 py_text, app_text, [c.name for c in calls if c.vehicle
                                     and c.host in PY_VEHICLE_HOSTS],
                 py_hand, module_text)}
    files.update(c_bindings.files())
    files.update(api_bindings.files())
    files.update(options_bindings.files())
    resty = resty_bindings.files()
    files.update(resty)
    files[RESTY_CDEF] = render_resty_cdef(resty)
    stale = []
    for path, text in files.items():
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            if "--check" in sys.argv:
                stale.append(os.path.relpath(path, ROOT))
            else:
                with open(path, "w") as f:
                    f.write(text)
    if stale:
        sys.exit("out of date: %s: run tools/gen-bindings.py"
                 % ", ".join(stale))
    if "--check" in sys.argv:
        print("generated bindings match endpoints.def (%d calls)" % len(calls))


if __name__ == "__main__":
    main()
