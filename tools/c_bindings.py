"""The C wrappers of the library's plain functions, for both bindings.

Part of tools/gen-bindings.py (its main() writes and --checks these files
with the others).  csrc/lib/bindings.def declares each function once: the
C call, its arguments (name and kind), what it returns and its doc.  From
it this writes

- python/smartcar_native/_core_functions.h, #included by _core.c: one
  CPython function per entry, and SC_GENERATED_METHODS, the lines of the
  module's method table;
- lua/smartcar_core_functions.h, #included by lua/smartcar_core.c: one
  lua_CFunction per entry, the method tables of the module and of each
  userdata type, and register_types(), which makes their metatables;
- lua/smartcar_core_types.h, #included before: the metatable names, and
  the struct, check and close of each type that holds one handle
  (LUA_TYPES).

What a kind means in each language (the conversion, the error a wrong
value gets, what a failure turns into) is written once here, in PY_ARG,
PY_RET, LUA_ARG and render_lua_fn; the helpers the generated code calls
(utf8_of, bytes_view, check_cstring, push_outcome...) stay in the
hand-written files, with the calls that hold state (Client, Op, stores,
call_many, async).
"""
import ast
import copy
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY_OUT = os.path.join(ROOT, "python", "smartcar_native", "_core_functions.h")
LUA_OUT = os.path.join(ROOT, "lua", "smartcar_core_functions.h")
LUA_TYPES_OUT = os.path.join(ROOT, "lua", "smartcar_core_types.h")
DEF = os.path.join(ROOT, "csrc", "lib", "bindings.def")


class Arg:
    def __init__(self, name, kind, lua, default):
        self.name, self.kind, self.default = name, kind, default or None
        # how a Lua error message names the argument
        self.lua_what = lua or "the " + name.replace("_", " ")


class Fn:
    def __init__(self, py, lua, call, ret, flags):
        self.py, self.lua, self.call, self.ret = py or None, lua or None, \
            call, ret
        # words, and name=value where a value may hold spaces and ==
        words = re.split(r"\s+(?=\w+=(?!=))", flags.strip())
        values = dict(w.split("=", 1) for w in words if "=" in w)
        self.nogil = "nogil" in words[0].split()
        self.when, self.ok = values.get("when"), values.get("ok")
        self.nonneg = values.get("lua") == "nonneg"
        # lua=raise: a failure with details (ERR) raises too
        self.lua_raise = values.get("lua") == "raise"
        # lua=void: none returns nothing (not its receiver)
        self.lua_void = values.get("lua") == "void"
        # HAND: the function is hand-written (named as a generated one
        # would be); only its doc and method table line come from here,
        # its Python calling convention from py= (O, noargs; else kw)
        self.hand = call.startswith("HAND")
        # HAND:name: the hand-written C function's own name
        self.c_name = call[5:] if self.hand and call[4:5] == ":" else None
        self.py_meth = {"O": "METH_O", "noargs": "METH_NOARGS",
                        "fastcall": "METH_FASTCALL"}.get(
            values.get("py"), "METH_VARARGS | METH_KEYWORDS")
        self.args, self.doc, self.einval = [], [], {}
        self.py_checks, self.lua_checks = [], []
        # SC_TWIN: the function like this one but for its C call, and
        # the function a twin is like
        self.twin = self.twin_of = None


class PyClass:
    """An SC_CLASS line (a type of Python's _core) or the SC_MODULE one."""

    def __init__(self, name, prefix="", recv="", slots=""):
        self.name, self.prefix, self.recv = name, prefix, recv or None
        self.slots, self.doc = slots.split(), []


def def_lines(path):
    """(macro, values) of every SC_*(...) line of the .def file at path,
    its C comments left out and its arguments read as Python literals."""
    with open(path) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    for m in re.finditer(r"^(SC_\w+)\((.*?)\)\s*$", text, re.M | re.S):
        yield m.group(1), ast.literal_eval("(%s,)" % m.group(2))


def read_table(classes=None):
    """The SC_FN entries of csrc/lib/bindings.def, with their lines (and
    into classes, the SC_CLASS and SC_MODULE ones)."""
    fns, classes = [], [] if classes is None else classes
    for macro, values in def_lines(DEF):
        if macro == "SC_FN":
            fns.append(Fn(*values))
            documented = fns[-1]
        elif macro in ("SC_CLASS", "SC_MODULE"):
            classes.append(PyClass(*values))
            documented = classes[-1]
        elif macro == "SC_TWIN":
            base = fns[-1]
            twin = copy.copy(base)
            twin.py, twin.lua, twin.doc = values[0], values[1], []
            twin.call = values[2] + base.call[base.call.index("("):]
            base.twin, twin.twin_of = twin, base
            fns.append(twin)
            documented = twin
        elif macro == "SC_ARG":
            fns[-1].args.append(Arg(*values))
        elif macro == "SC_DOC":
            documented.doc.append(values[0])
        elif macro == "SC_CHECK":
            lang, argn, cond, msg = values
            if cond == "einval":
                fns[-1].einval[lang] = msg
            elif lang == "py":
                fns[-1].py_checks.append((cond, c_escape(msg)))
            else:
                fns[-1].lua_checks.append((argn, cond, c_escape(msg)))
        else:
            raise SystemExit("bindings.def: unknown line %s" % macro)
    for fn in fns + classes:
        fn.doc = "\n".join(fn.doc)
    return fns


def c_escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


HEADER = ("/* Generated by tools/gen-bindings.py (tools/c_bindings.py) from "
          "csrc/lib/bindings.def:\n * do not edit. */\n")

# ---------------------------------------------------------------- Python

# kind -> (PyArg format, C declaration of the value(s), conversion, cleanup)
# {n}: the argument's name; the PyObject is {n}_obj.
PY_ARG = {
    "str": ("O", "const char *{n};",
            "if (!({n} = utf8_of({n}_obj, \"{n}\")))\n\t\tgoto done;", None),
    "ostr": ("O", "const char *{n} = NULL;",
             "if ({n}_obj != Py_None && !({n} = utf8_of({n}_obj, \"{n}\")))"
             "\n\t\tgoto done;", None),
    "text": ("O", "const char *{n};",
             "if (!({n} = text_of({n}_obj, \"{n}\")))\n\t\tgoto done;", None),
    "otext": ("O", "const char *{n} = NULL;",
              "if ({n}_obj != Py_None && !({n} = text_of({n}_obj, \"{n}\")))"
              "\n\t\tgoto done;", None),
    "bytes": ("O", "const char *{n};\n\tPy_ssize_t {n}_len;\n"
              "\tPy_buffer {n}_view = {{ 0 }};",
              "if (bytes_view({n}_obj, &{n}_view, &{n}, &{n}_len, \"{n}\")"
              " < 0)\n\t\tgoto done;",
              "if ({n}_view.obj)\n\t\tPyBuffer_Release(&{n}_view);"),
    "obytes": ("O", "const char *{n} = \"\";\n\tPy_ssize_t {n}_len = 0;\n"
               "\tPy_buffer {n}_view = {{ 0 }};",
               "if ({n}_obj != Py_None && bytes_view({n}_obj, &{n}_view, "
               "&{n}, &{n}_len,\n\t\t\t\t\t\t   \"{n}\") < 0)\n"
               "\t\tgoto done;",
               "if ({n}_view.obj)\n\t\tPyBuffer_Release(&{n}_view);"),
    "lstr": ("O", "const char *{n};\n\tPy_ssize_t {n}_len;",
             "if (!PyUnicode_Check({n}_obj)) {{\n"
             "\t\twrong_type({n}_obj, \"{n}\", \"str\");\n"
             "\t\tgoto done;\n\t}}\n"
             "\tif (!({n} = PyUnicode_AsUTF8AndSize({n}_obj, &{n}_len))) {{\n"
             "\t\tretyped();\n\t\tgoto done;\n\t}}", None),
    # a time: text, or a number (not a bool) as its repr, for the library
    # to read (sc_time_parse_ms: epoch seconds below 1e11, else ms)
    "time": ("O", "const char *{n};\n\tPy_ssize_t {n}_len;\n"
             "\tPyObject *{n}_repr = NULL;",
             "if (!PyBool_Check({n}_obj) && (PyLong_Check({n}_obj) ||\n"
             "\t    PyFloat_Check({n}_obj)) &&\n"
             "\t    !({n}_obj = {n}_repr = PyObject_Repr({n}_obj)))\n"
             "\t\tgoto done;\n"
             "\tif (!PyUnicode_Check({n}_obj)) {{\n"
             "\t\twrong_type({n}_obj, \"{n}\", \"str or a number\");\n"
             "\t\tgoto done;\n\t}}\n"
             "\tif (!({n} = PyUnicode_AsUTF8AndSize({n}_obj, &{n}_len))) {{\n"
             "\t\tretyped();\n\t\tgoto done;\n\t}}",
             "Py_XDECREF({n}_repr);"),
    "path": ("O", "PyObject *{n}_bytes = NULL;\n\tconst char *{n};",
             "if (!PyUnicode_FSConverter({n}_obj, &{n}_bytes))\n"
             "\t\tgoto done;\n\t{n} = PyBytes_AS_STRING({n}_bytes);",
             "Py_XDECREF({n}_bytes);"),
    "client": ("O", "sc_client *{n};",
               "if (!({n} = holder_arg({n}_obj, &Client_Type, \"{n}\")))\n"
               "\t\tgoto done;", None),
    "store": ("O", "sc_token_store *{n};",
              "if (!({n} = holder_arg({n}_obj, &Store_Type, \"{n}\")))\n"
              "\t\tgoto done;", None),
    # or a wrapper of one (smartcar_native.TokenStore) as its .core
    "ostore": ("O", "sc_token_store *{n} = NULL;\n"
               "\tPyObject *{n}_core = NULL;",
               "{n}_obj = core_of({n}_obj, &Store_Type, &{n}_core);\n"
               "\tif ({n}_obj != Py_None &&\n"
               "\t    !({n} = holder_arg({n}_obj, &Store_Type, \"{n}\")))\n"
               "\t\tgoto done;", "Py_XDECREF({n}_core);"),
    # a token store's key (the library refuses an empty one)
    "key": ("O", "const char *{n};",
            "if (!({n} = utf8_of({n}_obj, \"{n}\")))\n\t\tgoto done;",
            None),
    # the tree sc_token_store_save_tokens takes (and checks)
    "tokens": ("O", "cJSON *{n};",
               "if (!({n} = PyDict_Check({n}_obj)\n"
               "\t\t     ? to_json({n}_obj, 0, \"{n}\")\n"
               "\t\t     : wrong_type({n}_obj, \"{n}\", \"a dict\")))\n"
               "\t\tgoto done;", None),
    # any JSON value, its integers exact (as Lua's: raw text)
    "value": ("O", "cJSON *{n} = NULL;",
              "if (!({n} = to_json({n}_obj, 0, \"{n}\")))\n\t\tgoto done;",
              "cJSON_Delete({n});"),
    # None, a dict or an iterable of (name, value) pairs (as a list)
    "headers": ("O", "cJSON *{n} = NULL;\n\tPyObject *{n}_list = NULL;",
                "if ({n}_obj != Py_None && !PyDict_Check({n}_obj) &&\n"
                "\t    !({n}_obj = {n}_list = PySequence_List({n}_obj)))\n"
                "\t\tgoto done;\n"
                "\tif ({n}_obj != Py_None && !({n} = to_json({n}_obj, 0, "
                "\"{n}\")))\n\t\tgoto done;",
                "cJSON_Delete({n});\n\tPy_XDECREF({n}_list);"),
    "okey": ("O", "const char *{n} = NULL;",
             "if ({n}_obj != Py_None && !({n} = utf8_of({n}_obj, \"{n}\")))"
             "\n\t\tgoto done;", None),
    # Async.start's call: a call_many() item (call_of()), of the Async's
    # client; Async.start_pages' pages: a Pages of its client, whose pager
    # the driver takes
    "call": ("O", "struct call {n} = {{ 0 }};",
             "if (call_of({n}_obj, 0, self->owner, &{n}) < 0)\n"
             "\t\tgoto done;", "call_end(&{n});"),
    "pages": ("O", "sc_pager *{n};",
              "if (!({n} = pages_taken({n}_obj, self->owner)))\n"
              "\t\tgoto done;", None),
    # call_many's calls: the batch of the items (call_of()) on self
    "calls": ("O", "struct many {n} = {{ 0 }};",
              "if (many_of({n}_obj, self, &{n}) < 0)\n\t\tgoto done;",
              "sc_many_free({n}.m);"),
    "ocallable": ("O", "",
                  "if ({n}_obj != Py_None && !PyCallable_Check({n}_obj)) {{\n"
                  "\t\twrong_type({n}_obj, \"{n}\", \"callable or None\");"
                  "\n\t\tgoto done;\n\t}}", None),
    # a set, or a wrapper of one (smartcar_native.SeenEvents) as its .core
    "seen": ("O", "sc_webhook_seen *{n};\n\tPyObject *{n}_core = NULL;",
             "{n}_obj = core_of({n}_obj, &PyCapsule_Type, &{n}_core);\n"
             "\tif (!({n} = seen_of({n}_obj, \"{n}\")))\n\t\tgoto done;",
             "Py_XDECREF({n}_core);"),
    "env": ("O", "sc_env_snapshot *{n};",
            "if (!({n} = env_of({n}_obj, \"{n}\")))\n\t\tgoto done;",
            None),
    # a list of strings (env_snapshot's names) as a cJSON tree
    "table": ("O", "cJSON *{n} = NULL;",
              "if (!({n} = to_json({n}_obj, 0, \"{n}\")))\n\t\tgoto done;",
              "cJSON_Delete({n});"),
    "oseen": ("O", "sc_webhook_seen *{n} = NULL;\n\tPyObject *{n}_core = NULL;",
              "{n}_obj = core_of({n}_obj, &PyCapsule_Type, &{n}_core);\n"
              "\tif ({n}_obj != Py_None && !({n} = seen_of({n}_obj, \"{n}\")))\n"
              "\t\tgoto done;", "Py_XDECREF({n}_core);"),
    "params": ("O", "const sc_params *{n};\n\tsc_params *{n}_owned = NULL;",
               "if (!({n} = params_of({n}_obj, &{n}_owned)))\n"
               "\t\tgoto done;", "sc_params_free({n}_owned);"),
    "i64": ("L", "long long {n}{d};", None, None),
    "size": ("n", "Py_ssize_t {n}{d};", None, None),
    "int": ("i", "int {n}{d};", None, None),
    "long": ("l", "long {n}{d};", None, None),
    "double": ("d", "double {n}{d};", None, None),
}

# return kind -> (declarations, the output argument(s), conversion to ret)
PY_RET = {
    "result": ("sc_result *out = NULL;", "&out", "ret = take_result(rc, out);"),
    "call": ("sc_result *out = NULL;", "&out", "ret = take_result(rc, out);"),
    "string": ("char *out = NULL;", "&out",
               "ret = rc != 0 ? raise_error(rc, {err}, NULL)\n"
               "\t\t     : str_from_c(out);"),
    "pair": ("char *out = NULL, *out2 = NULL;", "&out, &out2",
             "ret = rc != 0 ? raise_error(rc, {err}, NULL)\n"
             "\t\t     : Py_BuildValue(\"(zz)\", out, out2);"),
    "none": ("", None,
             "ret = rc != 0 ? raise_error(rc, {err}, NULL) : py_none();"),
    "bool": ("", None, "ret = PyBool_FromLong({when});"),
    "flag": ("", None,
             "if (rc < 0{ok}) {{\n"
             "\t\traise_error(rc, NULL, rc == SC_EINVAL ? \"{einval}\"\n"
             "\t\t\t\t\t\t  : NULL);\n"
             "\t\tgoto done;\n\t}}\n"
             "\tret = PyBool_FromLong({when});"),
    # a new handle in a capsule (PY_CAPSULES)
    "seen": ("sc_webhook_seen *out = NULL;", "&out",
             "ret = seen_wrap(rc, out, {err});"),
    "env": ("sc_env_snapshot *out = NULL;", "&out",
            "ret = env_wrap(rc, out, {err});"),
    "time": ("int64_t out = 0;", "&out",
             "ret = rc != 0 ? py_none() : PyLong_FromLongLong((long long)out);"),
    "stored": ("sc_result *out = NULL;", "&out",
               "ret = rc != 0 ? raise_error(rc, {err}, NULL)\n"
               "\t\t     : take_result(rc, out);"),
    "integer": ("", None, "ret = PyLong_FromLongLong((long long){call});"),
    "cstr": ("", None, "ret = str_from_c({call});"),
    "void": ("", None, "{call};\n\tret = py_none();"),
    "names": ("", None, "ret = list_names({name});"),
    "step": ("cJSON *out = NULL;", "&out", "ret = step_value(rc, out);"),
    # call_many's list of data or exception instances ({first}: its calls)
    "many": ("", None, "ret = many_results(rc, &{first});"),
    "id": ("uint64_t out = 0;", "&out",
           "ret = rc < 0 ? raise_error(rc, {err}, NULL)\n"
           "\t\t     : PyLong_FromUnsignedLongLong(out);"),
    "taken": ("sc_result *out = NULL;", "&out",
              "ret = {err} ? raise_error(rc, {err}, NULL)\n"
              "\t\t  : take_result(rc, out);"),
    # a constructor (SC_FN named as its class) or a call giving a new
    # object (PY_OBJECT_RETS): the object, made before the call, holds
    # the handle; it keeps what {keep} says
    "new": ("{cls}Object *obj = NULL;", "&obj->{field}",
            "if (rc != 0) {{\n\t\tPy_CLEAR(obj);\n"
            "\t\traise_error(rc, {err}, NULL);\n\t}}{keep}\n"
            "\tret = (PyObject *)obj;"),
    # a JSON array the call makes (NULL: no memory)
    "list": ("cJSON *out;", None, "out = {call};\n"
             "\tret = out ? from_json(out) : PyErr_NoMemory();\n"
               "\tcJSON_Delete(out);"),
    # (with ERR: NULL raises the error, or no memory)
    "json": ("cJSON *out;", None, "out = {call};\n"
             "\tret = out ? from_json(out) : {json_null};\n"
             "\tcJSON_Delete(out);"),
}
# the return kinds that make an object of a class (the Python name) like
# a constructor (new), and what the object keeps besides the handle
PY_OBJECT_RETS = {
    "new": (None, "obj->owner = client_hold((ClientObject *)client_obj);"),
    "store": ("TokenStore", None),
    "pages": ("Pages", "obj->owner = client_hold(self);\n"
              "\t\tobj->store = {store} == Py_None ? NULL\n"
              "\t\t\t\t\t\t : (StoreObject *){store};\n"
              "\t\tPy_XINCREF(obj->store);"),
}
# the handles Python holds in a capsule (return and argument kind): the
# C type, its free function, and what a wrong argument must be
PY_CAPSULES = {
    "seen": ("sc_webhook_seen", "sc_webhook_seen_free",
             "a SeenEvents or a set made by seen_open()",
             "webhook_seen"),
    "env": ("sc_env_snapshot", "sc_env_snapshot_free",
            "a snapshot made by env_snapshot()", "env_snapshot"),
}
PY_CAPSULE = """
#define {K}_CAPSULE "smartcar_native._core.{name}"

static void {k}_capsule_free(PyObject *cap)
{{
	{free}(PyCapsule_GetPointer(cap, {K}_CAPSULE));
}}

/* The {type} of a capsule {k}_wrap() made, or NULL (TypeError). */
static {type} *{k}_of(PyObject *cap, const char *what)
{{
	if (PyCapsule_IsValid(cap, {K}_CAPSULE))
		return PyCapsule_GetPointer(cap, {K}_CAPSULE);
	PyErr_Format(PyExc_TypeError,
		     "%s must be {desc}", what);
	return NULL;
}}

/* A capsule for the {type} a constructor gave, or raise. */
static PyObject *{k}_wrap(int rc, {type} *h, sc_error *err)
{{
	PyObject *cap;

	if (rc != 0)
		return raise_error(rc, err, NULL);
	if (!(cap = PyCapsule_New(h, {K}_CAPSULE, {k}_capsule_free)))
		{free}(h);
	return cap;
}}
"""
# names: one helper walks at(0), at(1)... for every such function
PY_NAMES = (
    "\n/* The list of the strings at(0), at(1), ... until NULL. */\n"
    "static PyObject *list_names(const char *(*at)(size_t))\n{\n"
    "\tconst char *name;\n\tsize_t i;\n\tPyObject *ret = PyList_New(0);\n\n"
    "\tfor (i = 0; ret && (name = at(i)) != NULL; i++) {\n"
    "\t\tPyObject *s = PyUnicode_FromString(name);\n"
    "\t\tif (!s || PyList_Append(ret, s) < 0)\n"
    "\t\t\tPy_CLEAR(ret);\n\t\tPy_XDECREF(s);\n\t}\n\treturn ret;\n}\n")
LUA_NAMES = (
    "\n/* A table of the strings at(0), at(1), ... until NULL. */\n"
    "static int push_names(lua_State *L, const char *(*at)(size_t))\n{\n"
    "\tconst char *name;\n\tsize_t i;\n\n\tlua_newtable(L);\n"
    "\tfor (i = 0; (name = at(i)) != NULL; i++) {\n"
    "\t\tlua_pushstring(L, name);\n"
    "\t\tlua_rawseti(L, -2, (lua_Integer)i + 1);\n\t}\n\treturn 1;\n}\n")


def names_fn(fn):
    """The function a names call walks: "sc_endpoint_name(i)" ->
    "sc_endpoint_name"."""
    return fn.call.split("(")[0]
# the call is the value, not a code (names: the call of index i, until
# it gives NULL)
VALUE_RETS = ("integer", "cstr", "void", "names", "json", "list",
              "finished", "text")
# the receiver of a method (an SC_ARG named self): the object type, its
# check, its handle, and how a call that released the GIL gives it back
PY_SELF = {
    "client": ("ClientObject", "holder_check(self) < 0", "sc_client",
               "self->handle", "holder_release(self);"),
    "store": ("StoreObject", "holder_check(self) < 0", "sc_token_store",
              "self->handle", "holder_release(self);"),
    "async": ("AsyncObject", None, "sc_async", "self->async", None),
    "op": ("OpObject", None, "sc_op", "self->op", None),
    "pages": ("PagesObject", None, "sc_pager", "self->pager", None),
}
# a getter (return kind attr): the object the call gives (NULL: None)
PY_GETTER = """static PyObject *%s(%s *self, void *closure)
{
	PyObject *v = (PyObject *)(%s);

	v = v ? v : Py_None;
	Py_INCREF(v);
	return v;
}
"""
# the Python class of each receiver, whose method table a macro fills
PY_CLASSES = {"client": "Client", "store": "TokenStore", "async": "Async",
              "op": "Op", "pages": "Pages"}


def c_string(text):
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        end = "\\n" if i < len(lines) - 1 else ""
        out.append('"%s%s"' % (line.replace('"', '\\"'), end))
    return "\n".join(out)


def subst_call(fn, out_arg, err):
    call = fn.call.replace("ERR", err)
    if out_arg is not None:
        call = call.replace("OUT", out_arg)
    return call


def py_name(fn, own=True):
    """The C name of fn's CPython function (own: HAND:name's name)."""
    recv = receiver(fn)
    if fn.c_name and own:
        return fn.c_name
    return "py_" + ("%s_%s" % (PY_CLASSES[recv], fn.py) if recv else fn.py)


def receiver(fn):
    """The kind of fn's receiver (client, store, async), or None."""
    return fn.args[0].kind if fn.args and fn.args[0].name == "self" \
        else None


def render_py_fn(fn):
    decls, out_arg, conv = PY_RET.get(fn.ret, PY_RET["new"])
    cls, keep = PY_OBJECT_RETS.get(fn.ret, (None, None))
    cls = PY_TYPES.get(cls or fn.py) if fn.ret in PY_OBJECT_RETS else None
    if cls:
        field = PY_SELF[cls.recv][3].replace("self->", "")
        decls, out_arg = decls.format(cls=cls.prefix), \
            out_arg.format(field=field)
        if field == "handle":  # a HolderObject's: a void *
            out_arg = "(%s **)%s" % (PY_SELF[cls.recv][2], out_arg)
    if fn.ret == "none" and "py" in fn.einval:  # SC_EINVAL: its message
        conv = "if (rc == SC_EINVAL) {{\n\t\traise_error(rc, NULL, " \
            "\"{einval}\");\n\t\tgoto done;\n\t}}\n\t" + conv
    has_err = "ERR" in fn.call
    recv = receiver(fn)
    args = fn.args[1:] if recv else fn.args
    lines, body, cleanup, done = [], [], [], []
    self_type, call = "PyObject", fn.call
    if recv:
        self_type, check, htype, handle, release = PY_SELF[recv]
        lines.append("\t%s *handle = %s;" % (htype, handle))
        call = call.replace("SELF", "handle")
        if check:  # before the handle is read
            lines[-1] = "\t%s *handle;" % htype
            body.append("\tif (%s)\n\t\tgoto done;\n\thandle = %s;"
                        % (check, handle))
        if "SELF" not in fn.call:  # the check alone
            del lines[-1]
            body[-1:] = [body[-1].split("\n\thandle =")[0]] if check else []
    if args:
        lines.append("\tstatic char *kwlist[] = { %s, NULL };"
                     % ", ".join('"%s"' % a.name for a in args))
        objs = [a for a in args if PY_ARG[a.kind][0] == "O"]
        if objs:
            lines.append("\tPyObject %s;" % ", ".join(
                "*%s_obj%s" % (a.name, " = Py_None" if a.default else "")
                for a in objs))
    for a in args:
        fmt, decl, conv_a, clean = PY_ARG[a.kind]
        d = " = %s" % a.default if a.default and fmt != "O" else ""
        if decl:
            lines.append("\t" + decl.format(n=a.name, d=d))
        if conv_a:
            body.append("\t" + conv_a.format(n=a.name))
        if clean:
            cleanup.append("\t" + clean.format(n=a.name))
    if decls:
        lines.append("\t" + decls)
    if has_err:
        lines.append("\tsc_error *err = NULL;")
    lines.append("\tPyObject *ret = NULL;")
    if fn.ret not in VALUE_RETS:
        lines.append("\tint rc;")
    if fn.ret == "string":
        cleanup.append("\tsc_free(out);")
    if fn.ret == "pair":
        cleanup.append("\tsc_free(out);\n\tsc_free(out2);")
    c_name = py_name(fn)
    if fn.ret == "new":
        out = ["static PyObject *%s_new(PyTypeObject *type, PyObject *args,"
               "\n\t\t\t     PyObject *kwds)\n{" % cls.prefix]
    elif args:
        out = ["static PyObject *%s(%s *self, PyObject *args,\n"
               "\t\t\t     PyObject *kwds)\n{" % (c_name, self_type)]
    else:
        out = ["static PyObject *%s(%s *self, PyObject *unused)\n{"
               % (c_name, self_type)]
    out += lines
    out.append("")
    if args:
        fmt = ""
        for a in args:
            if a.default and "|" not in fmt:
                fmt += "|"
            fmt += PY_ARG[a.kind][0]
        ptrs = ", ".join("&%s%s" % (a.name, "_obj" if PY_ARG[a.kind][0] ==
                                    "O" else "") for a in args)
        out.append("\tif (!PyArg_ParseTupleAndKeywords(args, kwds, \"%s:%s\","
                   " kwlist,\n\t\t\t\t\t %s))\n\t\treturn retyped();"
                   % (fmt, fn.py, ptrs))
    out += body
    for cond, msg in fn.py_checks:
        out.append("\tif (!(%s)) {\n\t\traise_error(SC_EINVAL, NULL, \"%s\");\n"
                   "\t\tgoto done;\n\t}" % (cond, msg))
    if cls:
        alloc = "type->tp_alloc(type, 0)" if fn.ret == "new" else \
            "{0}_Type.tp_alloc(&{0}_Type, 0)".format(cls.prefix)
        out.append("\tif (!(obj = (%sObject *)%s))\n\t\tgoto done;"
                   % (cls.prefix, alloc))
    err = "err" if has_err else "NULL"
    call = call.replace("ERR", "&err")
    if out_arg is not None:
        call = call.replace("OUT", out_arg)
    if fn.ret not in VALUE_RETS:
        # objects that stay open (their handles alive) while the GIL is
        # released: the receiver and Client arguments
        held = [("self", PY_SELF[recv][4])] if recv and PY_SELF[recv][4] \
            else []
        held += [("((%s *)%s_obj)" % (PY_SELF[a.kind][0], a.name),
                  PY_SELF[a.kind][4].replace("self", "(%s *)%s_obj" % (
                      PY_SELF[a.kind][0], a.name)))
                 for a in args if a.kind in ("client", "store")]
        if fn.nogil and held:
            out.append("".join("\t%s->users++;\n" % h for h, _ in held) +
                       "\tPy_BEGIN_ALLOW_THREADS\n"
                       "\trc = %s;\n\tPy_END_ALLOW_THREADS\n" % call +
                       "".join("\t%s->users--;\n" % h for h, _ in held) +
                       "\n".join("\t" + r for _, r in held))
        elif fn.nogil:
            out.append("\tPy_BEGIN_ALLOW_THREADS\n\trc = %s;\n"
                       "\tPy_END_ALLOW_THREADS" % call)
        else:
            out.append("\trc = %s;" % call)
    store = next((a.name + "_obj" for a in args
                  if a.kind in ("store", "ostore")), "Py_None")
    out.append("\t" + conv.format(
        err=err, when=fn.when, call=call, name=names_fn(fn),
        ok=" && rc != " + fn.ok if fn.ok else "",
        json_null="raise_error(err ? sc_error_code(err) : SC_ENOMEM,\n"
                  "\t\t\t\t\t\t\t  err, NULL)"
        if has_err else "py_none()",
        einval=fn.einval.get("py"),
        keep=" else {\n\t\t%s\n\t}" % keep.format(store=store)
        if keep else "", first=args[0].name if args else None))
    if "goto done" in "\n".join(out):
        out.append("done:")
    out += cleanup
    out.append("\treturn ret;\n}")
    return "\n".join(out) + "\n"


def render_python(functions):
    parts = [HEADER, "/*\n * The CPython wrappers of csrc/lib/bindings.def's "
             "functions, #included by\n * _core.c after the helpers they "
             "call.\n */\n"]
    if any(fn.py and fn.ret == "names" for fn in functions):
        parts.append(PY_NAMES)
    for k, (ctype, free, desc, name) in PY_CAPSULES.items():
        parts.append(PY_CAPSULE.format(k=k, K=k.upper(), type=ctype,
                                       free=free, desc=desc, name=name))
    tables, attrs, classes = {}, {}, []
    read_table(classes)
    PY_TYPES.update((cls.name, cls) for cls in classes)
    for fn in functions:
        if not fn.py:
            continue
        if fn.ret == "new":  # a class's tp_new
            parts.append("\n" + render_py_fn(fn))
            continue
        c_name, doc = py_name(fn), py_name(fn, False) + "_doc"
        if fn.doc:
            parts.append("\nPyDoc_STRVAR(%s,\n%s);\n\n" %
                         (doc, c_string(fn.doc)))
        else:
            doc = "NULL"
        if fn.ret == "attr":  # a getter of the object the call gives
            if not fn.hand:
                parts.append(PY_GETTER % (c_name, PY_SELF[receiver(fn)][0],
                                          fn.call.replace("SELF", "self")))
            attrs.setdefault(receiver(fn), []).append(
                "\t{ \"%s\", (getter)%s, NULL, %s, NULL }," % (
                    fn.py, c_name, doc))
            continue
        if not fn.hand:
            parts.append(render_twins(fn, render_py_fn, py_name, PY_TWIN))
        has_args = len(fn.args) > (1 if receiver(fn) else 0)
        flags = fn.py_meth if has_args or fn.hand else "METH_NOARGS"
        tables.setdefault(receiver(fn), []).append(
            "\t{ \"%s\", (PyCFunction)(void (*)(void))%s,\n"
            "\t  %s, %s }," % (fn.py, c_name, flags, doc))
    parts.append(render_py_classes(classes, tables, attrs))
    return "".join(parts)


# a closable class (one whose handle calls may hold with the GIL
# released): these lines of its method table
PY_CLOSABLE = [
    "\t{ \"__enter__\", (PyCFunction)Holder_enter, METH_NOARGS, NULL },",
    "\t{ \"__exit__\", (PyCFunction)Holder_close, METH_VARARGS, NULL },"]
# the type slots a class's SC_CLASS slot words give ({p}: its C prefix)
PY_SLOTS = {
    "new": ".tp_new = {p}_new,",
    "repr": ".tp_repr = (reprfunc){p}_repr,",
    "iter": ".tp_iter = PyObject_SelfIter,\n"
            "\t.tp_iternext = (iternextfunc){p}_next,",
    "gc": ".tp_traverse = (traverseproc){p}_traverse,\n"
          "\t.tp_clear = (inquiry){p}_clear,\n\t.tp_free = PyObject_GC_Del,",
    "weakref": ".tp_weaklistoffset = offsetof({p}Object, weakrefs),",
}


def render_py_classes(classes, tables, attrs):
    """The method and attribute tables, type objects and module
    definition of Python's _core, and add_types(), which readies the
    types and adds the public ones to the module."""
    out, names, module = [], [], None
    for cls in classes:
        if cls.prefix == "":  # SC_MODULE
            module = cls
            continue
        p = cls.prefix
        methods = tables.get(cls.recv, []) if cls.recv else []
        getset = attrs.get(cls.recv, []) if cls.recv else []
        # a closable class is a HolderObject: its functions are Holder_
        own, words = p, cls.slots
        if "closable" in cls.slots:
            methods = methods + PY_CLOSABLE
            own, words = "Holder", words + ["gc", "weakref", "repr"]
        slots = ["PyVarObject_HEAD_INIT(NULL, 0)",
                 ".tp_name = \"smartcar_native._core.%s\"," % cls.name,
                 ".tp_basicsize = sizeof(%sObject)," % p,
                 ".tp_dealloc = (destructor)%s_dealloc," % own,
                 ".tp_flags = Py_TPFLAGS_DEFAULT%s," % (
                     " | Py_TPFLAGS_HAVE_GC" if "gc" in words else ""),
                 ".tp_doc = %s_doc," % p]
        doc = cls.doc
        if "options" in cls.slots:  # the keywords of client_options.def
            options = read_options()
            doc = doc.replace("{options}", "".join(
                "%s=%s, " % (name, PY_OPTION_DEFAULT[kind])
                for kind, _, name, _, _ in options)) + "\n" + "".join(
                    "\n%s: %s" % (name, text)
                    for _, _, name, _, text in options)
        out.append("\nPyDoc_STRVAR(%s_doc,\n%s);\n" % (p, c_string(doc)))
        if "options" in cls.slots:
            out.append(render_py_options(p, options))
        if methods:
            out.append("\nstatic PyMethodDef %s_methods[] = {\n%s\n"
                       "\t{ NULL, NULL, 0, NULL }\n};\n"
                       % (p, "\n".join(methods)))
            slots.append(".tp_methods = %s_methods," % p)
        if getset:
            out.append("\nstatic PyGetSetDef %s_getset[] = {\n%s\n"
                       "\t{ NULL, NULL, NULL, NULL, NULL }\n};\n"
                       % (p, "\n".join(getset)))
            slots.append(".tp_getset = %s_getset," % p)
        slots += [PY_SLOTS[w].format(p=own if w in ("gc", "weakref", "repr") else p)
                  for w in words if w in PY_SLOTS]
        free = [w[5:] for w in words if w.startswith("free=")]
        if free:  # a client's child: its handle freed, the client dropped
            out.append(PY_CHILD_DEALLOC % (
                p, p, free[0], PY_SELF[cls.recv][3],
                "\tPy_XDECREF(self->store);\n" if "store" in words else ""))
        out.append("\nstatic PyTypeObject %s_Type = {\n\t%s\n};\n"
                   % (p, "\n\t".join(slots)))
        names.append("\t\t{ %s, &%s_Type }," % (
            "NULL" if "hidden" in cls.slots else '"%s"' % cls.name, p))
    out.append("\nstatic PyMethodDef module_methods[] = {\n%s\n"
               "\t{ NULL, NULL, 0, NULL }\n};\n" % "\n".join(tables[None]))
    out.append("\nPyDoc_STRVAR(module_doc,\n%s);\n\n"
               "static struct PyModuleDef module_def = {\n"
               "\tPyModuleDef_HEAD_INIT, \"%s\", module_doc, -1, "
               "module_methods,\n\tNULL, NULL, NULL, NULL\n};\n"
               % (c_string(module.doc), module.name))
    out.append(PY_ADD_TYPES % "\n".join(names))
    out.append(render_py_constants())
    return "".join(out)


# the module's integer constants besides the error codes
PY_CONSTANTS = ["SC_OK", "SC_STEP_DONE", "SC_STEP_SEND", "SC_STEP_WAIT",
                "SC_WATCH_READ", "SC_WATCH_WRITE"]


def render_py_constants():
    """add_constants(): the codes of errors.def and PY_CONSTANTS as ints,
    ERRORS ((symbol, code, kind, message), ...) and VERSION."""
    with open(ERRORS_DEF) as f:
        errors = re.findall(r'^SC_ERROR\((\w+),\s*(-?\d+),\s*"(\w+)",\s*'
                            r'"((?:[^"\\]|\\.)*)"\)', f.read(), re.M)
    ints = ["SC_" + e[0] for e in errors] + PY_CONSTANTS
    return """
/* The module's constants: the codes of errors.def and the steps, watch
 * events and OK as ints, ERRORS ((symbol, code, kind, message), ...) and
 * VERSION. */
static int add_constants(PyObject *m)
{
	static const struct {
		const char *name;
		int value;
	} ints[] = {
%s
	};
	PyObject *errors = Py_BuildValue("(%s)",
%s);
	size_t i;

	for (i = 0; errors && i < sizeof(ints) / sizeof(ints[0]); i++)
		if (PyModule_AddIntConstant(m, ints[i].name, ints[i].value) < 0)
			break;
	if (errors && i == sizeof(ints) / sizeof(ints[0]) &&
	    PyModule_AddStringConstant(m, "VERSION", SC_VERSION) == 0 &&
	    PyModule_AddObject(m, "ERRORS", errors) == 0)
		return 0;
	Py_XDECREF(errors);
	return -1;
}
""" % ("\n".join("\t\t{ \"%s\", %s }," % (c[3:], c) for c in ints),
       "(siss)" * len(errors),
       ",\n".join("\t\t\"%s\", SC_%s, \"%s\", \"%s\"" % (e[0], e[0], e[2],
                                                            e[3])
                  for e in errors))


OPTIONS_DEF = os.path.join(ROOT, "csrc", "include", "smartcar",
                           "client_options.def")
# the Python value of an option left out, by its kind
PY_OPTION_DEFAULT = {"STRING": "None", "LONG": "0", "INT": "0", "SIZE": "0",
                     "BOOL": "False", "DOUBLE": "0.0"}


def read_options():
    """(kind, C type, name, since, doc) of every SC_OPTION line of
    client_options.def."""
    with open(OPTIONS_DEF) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    out = []
    for m in re.finditer(r"^SC_OPTION\((\w+),\s*([^,]+),\s*(\w+),\s*(\d+),"
                         r"(.*?)\)\s*$", text, re.M | re.S):
        doc = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(5)))
        out.append((m.group(1), m.group(2).strip(), m.group(3),
                    int(m.group(4)), doc.replace('\\"', '"')))
    return out


# PyArg's format of each kind of client option: BOOL fields are ints
# ("p"), the SIZE one a size_t read as a Py_ssize_t ("n", the same size;
# sc_client_new refuses one that was negative)
PY_OPTION_FORMAT = {"STRING": "z", "LONG": "l", "INT": "i", "SIZE": "n",
                    "BOOL": "p", "DOUBLE": "d"}


def render_py_options(prefix, options):
    """The tp_new of a class of slot options: every field of
    sc_client_options as a keyword, then debug, for client_made()."""
    names = ['"%s"' % o[2] for o in options] + ['"debug"', "NULL"]
    return ("\nstatic PyObject *%s_new(PyTypeObject *type, PyObject *args,\n"
            "\t\t\t     PyObject *kwds)\n{\n"
            "\tstatic char *kwlist[] = {\n\t\t%s\n\t};\n"
            "\tPyObject *debug = Py_None;\n\tsc_client_options opts;\n\n"
            "\tsc_client_options_init(&opts, SC_CLIENT_OPTIONS_VERSION);\n"
            "\tif (!PyArg_ParseTupleAndKeywords(args, kwds, \"|$%sO:%s\", "
            "kwlist,\n\t\t\t\t\t %s,\n\t\t\t\t\t &debug))\n"
            "\t\treturn retyped();\n"
            "\treturn client_made(type, &opts, debug);\n}\n" % (
                prefix, wrap(names, ", ", "\n\t\t"),
                "".join(PY_OPTION_FORMAT[o[0]] for o in options), prefix,
                wrap(["&opts." + o[2] for o in options], ", ",
                     "\n\t\t\t\t\t ")))


def wrap(items, sep, newline, width=60):
    """items joined by sep, a newline (newline) before one that would
    pass width characters."""
    lines, line = [], ""
    for item in items:
        if line and len(line) + len(sep) + len(item) > width:
            lines.append(line + sep.rstrip())
            line = item
        else:
            line = line + sep + item if line else item
    return newline.join(lines + [line])


# the dealloc of a class of slot free=<the handle's free function> (and
# store: a TokenStore it holds)
PY_CHILD_DEALLOC = """
static void %s_dealloc(%sObject *self)
{
	%s(%s);
	client_drop(&self->owner);
%s	Py_TYPE(self)->tp_free((PyObject *)self);
}
"""
# the SC_CLASS lines by Python name
PY_TYPES = {}
# the types ready, the public ones (a name) added to the module
PY_ADD_TYPES = """
/* Ready the types and add those with a name to @p m: 0, or -1. */
static int add_types(PyObject *m)
{
	static const struct {
		const char *name;
		PyTypeObject *type;
	} types[] = {
%s
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (PyType_Ready(types[i].type) < 0)
			return -1;
		if (!types[i].name)
			continue;
		Py_INCREF(types[i].type); /* static: never freed */
		if (PyModule_AddObject(m, types[i].name,
				       (PyObject *)types[i].type) < 0)
			return -1;
	}
	return 0;
}
"""


# ---------------------------------------------------------------- Lua

# kind -> (C declaration, conversion at argument {i}); {w}: how messages
# name it, {d}: the default of an optional number
LUA_ARG = {
    "str": ("const char *{n};",
            "check_arg(L, {i}, LUA_TSTRING, \"{n}\");\n"
            "\t{n} = check_cstring(L, {i}, \"{w}\");"),
    "ostr": ("const char *{n} = NULL;",
             "if (!lua_isnoneornil(L, {i})) {{\n"
             "\t\tcheck_arg(L, {i}, LUA_TSTRING, \"{n}\");\n"
             "\t\t{n} = check_cstring(L, {i}, \"{w}\");\n\t}}"),
    "bytes": ("const char *{n};\n\tsize_t {n}_len;",
              "check_arg(L, {i}, LUA_TSTRING, \"{n}\");\n"
              "\t{n} = lua_tolstring(L, {i}, &{n}_len);"),
    "obytes": ("const char *{n};\n\tsize_t {n}_len;",
               "{n} = luaL_optlstring(L, {i}, \"\", &{n}_len);"),
    "headers": ("cJSON *{n} = NULL;",
                "if (!lua_isnoneornil(L, {i}))\n"
                "\t\tcheck_arg(L, {i}, LUA_TTABLE, \"{n}\");"),
    "lstr": ("const char *{n};\n\tsize_t {n}_len;",
             "{n} = luaL_checklstring(L, {i}, &{n}_len);"),
    # a time: text, or a number written "%.17g" (as Python's kind)
    "time": ("const char *{n};\n\tsize_t {n}_len;\n\tchar {n}_num[32];",
             "if (lua_type(L, {i}) == LUA_TNUMBER) {{\n"
             "\t\t{n}_len = (size_t)snprintf({n}_num, sizeof {n}_num, "
             "\"%.17g\",\n\t\t\t\t\t\t   (double)lua_tonumber(L, {i}));\n"
             "\t\t{n} = {n}_num;\n"
             "\t}} else if (!({n} = lua_isstring(L, {i}) ? lua_tolstring(L, "
             "{i}, &{n}_len)\n\t\t\t\t\t\t : NULL)) {{\n"
             "\t\treturn luaL_argerror(L, {i}, lua_pushfstring(L,\n"
             "\t\t\t\"{n}: string or number expected, got %s\",\n"
             "\t\t\tluaL_typename(L, {i})));\n\t}}"),
    "key": ("const char *{n};", "{n} = check_key(L, {i});"),
    "store": ("sc_token_store *{n};", "{n} = check_store(L, {i});"),
    "ostore": ("sc_token_store *{n} = NULL;",
               "if (!lua_isnoneornil(L, {i}))\n"
               "\t\t{n} = check_store(L, {i});"),
    "tokens": ("cJSON *{n};", "check_arg(L, {i}, LUA_TTABLE, \"{n}\");"),
    "okey": ("const char *{n} = NULL;",
             "if (!lua_isnoneornil(L, {i}))\n\t\t{n} = check_key(L, {i});"),
    # a Client, or a table (an AuthClient) whose field core is one
    "client": ("sc_client *{n};",
               "if (lua_istable(L, {i})) {{\n"
               "\t\tlua_getfield(L, {i}, \"core\");\n"
               "\t\tlua_replace(L, {i});\n\t}}\n"
               "\tluaL_argcheck(L, luaL_testudata(L, {i}, CLIENT_MT), {i},\n"
               "\t\t      \"smartcar client expected\");\n"
               "\t{n} = check_client(L, {i});"),
    "seen": ("sc_webhook_seen *{n};", "{n} = check_seen(L, {i});"),
    "oseen": ("sc_webhook_seen *{n} = NULL;",
              "if (!lua_isnoneornil(L, {i}))\n"
              "\t\t{n} = check_seen(L, {i});"),
    "params": ("sc_params *{n};", "check_arg(L, {i}, LUA_TTABLE, \"{n}\");"),
    "i64": ("lua_Integer {n};", "{n} = luaL_checkinteger(L, {i});"),
    "size": ("lua_Integer {n};", "{n} = luaL_checkinteger(L, {i});"),
    "int": ("int {n};", "{n} = (int)luaL_checkinteger(L, {i});"),
    "long": ("long {n};", "{n} = (long)luaL_checkinteger(L, {i});"),
    "double": ("lua_Number {n};", "check_arg(L, {i}, LUA_TNUMBER, \"{n}\");\n"
               "\t{n} = lua_tonumber(L, {i});"),
    "bool": ("int {n};", "{n} = lua_toboolean(L, {i});"),
    "table": ("cJSON *{n};", "check_arg(L, {i}, LUA_TTABLE, \"{n}\");"),
    "otable": ("cJSON *{n} = NULL;", "if (!lua_isnoneornil(L, {i}))\n"
               "\t\tcheck_arg(L, {i}, LUA_TTABLE, \"{n}\");"),
    "value": ("cJSON *{n};", "luaL_argcheck(L, !lua_isnoneornil(L, {i}), {i},\n"
              "\t\t      \"value expected (use smartcar.null for null)\");"),
}
LUA_ARG["text"] = LUA_ARG["path"] = LUA_ARG["str"]
LUA_ARG["otext"] = LUA_ARG["ostr"]
LUA_OPT = {"i64": "{n} = luaL_optinteger(L, {i}, {d});",
           "size": "{n} = luaL_optinteger(L, {i}, {d});",
           "long": "{n} = (long)luaL_optinteger(L, {i}, {d});",
           "double": "{n} = {d};\n\tif (!lua_isnoneornil(L, {i})) {{\n"
                     "\t\tcheck_arg(L, {i}, LUA_TNUMBER, \"{n}\");\n"
                     "\t\t{n} = lua_tonumber(L, {i});\n\t}}"}
# a method's receiver (SC_ARG self): the handle's type and how it is read
LUA_SELF = {"client": ("sc_client", "check_client(L, 1)"),
            "store": ("sc_token_store", "check_store(L, 1)"),
            "async": ("sc_async", "check_async_client(L)->async"),
            "op": ("sc_op", "check_op(L, 1)")}
# handle return kinds: userdata type, metatable, field; an op keeps its
# client (the receiver) as its user value and raises when not made
LUA_HANDLES = {"client": ("lclient", "CLIENT_MT", "client"),
               "store": ("lstore", "STORE_MT", "store"),
               "seen": ("lseen", "SEEN_MT", "seen"),
               "op": ("lop", "OP_MT", "op"),
               "env": ("lenv", "ENV_MT", "env")}


# The types of smartcar.core's values, in the order they are registered:
# name, metatable, the handle a userdata holds (the first field of
# struct l<name>, NULL once closed; None: no handle), the function that
# frees it (None: the struct and its close are hand-written), the error
# a call on a closed one raises (None: never checked; False: no
# check_<name>), whether its calls need its client (its user value)
# open, __gc and __close (None: <name>_close; "": none), __tostring
# (True: <name>_tostring, "smartcar.Client (0x...)" or "(closed)"), and
# the methods besides bindings.def's ones (closed: <name>_closed, whether
# its handle is closed; close: <name>_close).
LUA_TYPES = [
    ("tmp", "smartcar.tmp", None, None, None, False, "tmp_release",
     "tmp_release", None, []),
    ("seen", "smartcar.WebhookSeen", "sc_webhook_seen",
     "sc_webhook_seen_free", None, False, None, "", None, []),
    ("env", "smartcar.env", "sc_env_snapshot", "sc_env_snapshot_free",
     False, False, None, "", None, []),
    ("client", "smartcar.Client", "sc_client", None, "client is closed",
     False, "client_gc", "client_close", True, ["closed", "close"]),
    ("op", "smartcar.Op", "sc_op", "sc_op_free", "op is closed", True,
     None, None, True, ["close"]),
    ("store", "smartcar.TokenStore", "sc_token_store",
     "sc_token_store_free", "token store is closed", False, None, None,
     True, ["closed", "close"]),
    # tables: an error's and the tag of an array (json_encode)
    ("error", "smartcar.Error", None, None, None, False, "", "",
     "error_tostring", []),
    ("array", "smartcar.array", None, None, None, False, "", "", None, []),
]

# The C objects one call holds in its tmp (tmp_push: a to-be-closed
# userdata, so they are freed on every exit, a raise included): field,
# type, the function that frees it, what holds one
LUA_TMP = [("params", "sc_params", "sc_params_free", ""),
           ("res", "sc_result", "sc_result_free", ""),
           ("url", "char", "sc_free", ""),
           ("state", "char", "sc_free", ""),
           ("json", "cJSON", "cJSON_Delete", ""),
           ("err", "sc_error", "sc_error_free", ""),
           ("text", "char", "cJSON_free", "from cJSON_Print*"),
           ("pager", "sc_pager", "sc_pager_free",
            "client:pages' iterator keeps one in a tmp"),
           ("many", "sc_many", "sc_many_free", "client:call_many's calls")]


LUA_TYPES_MT = dict(t[:2] for t in LUA_TYPES)
# the types whose metatable the module offers, and its field
LUA_TYPE_FIELDS = [("client", "client_mt"), ("store", "token_store_mt"),
                   ("error", "error_mt"), ("array", "array_mt")]
# The module's hand-written functions (smartcar_core.c)
LUA_FUNCTIONS = ["same_env"]


def render_lua_types():
    """The metatable names, struct tmp, and the struct, check, close,
    __tostring and closed of each type that holds one handle."""
    parts = [HEADER, "/*\n * The userdata types of smartcar.core "
             "(tools/c_bindings.py's LUA_TYPES),\n * #included by "
             "smartcar_core.c before the code that uses them.\n */\n\n"]
    parts += ["#define %s_MT \"%s\"\n" % (t[0].upper(), t[1])
              for t in LUA_TYPES]
    parts.append("\n/* The C objects of one call (tools/c_bindings.py's "
                 "LUA_TMP). */\ntypedef struct tmp {\n%s} tmp;\n\n"
                 "static int tmp_release(lua_State *L)\n{\n"
                 "\ttmp *t = luaL_checkudata(L, 1, TMP_MT);\n\n%s"
                 "\tmemset(t, 0, sizeof(*t));\n\treturn 0;\n}\n" % (
                     "".join("\t%s *%s;%s\n" % (
                         ctype, field, " /* %s */" % why if why else "")
                             for field, ctype, _, why in LUA_TMP),
                     "".join("\t%s(t->%s);\n" % (free, field)
                             for field, _, free, _ in LUA_TMP)))
    for (name, _, handle, free, closed, owner, _, _, tostring,
         extra) in LUA_TYPES:
        if handle is None:
            continue
        mt = name.upper() + "_MT"
        if free:
            parts.append("\ntypedef struct l%s {\n\t%s *%s; /* NULL once "
                         "closed */\n} l%s;\n" % (name, handle, name, name))
        check = ["static %s *check_%s(lua_State *L, int idx)\n{"
                 % (handle, name),
                 "\tl%s *u = luaL_checkudata(L, idx, %s);" % (name, mt)]
        if owner:
            check[-1] += "\n\tlclient *c;"
        if closed:
            check.append("\n\tif (u->%s == NULL)\n\t\tluaL_error(L, "
                         "\"%s\");" % (name, closed))
        if owner:  # the client it borrows, its user value
            check.append("\tlua_getiuservalue(L, idx, 1);\n"
                         "\tc = lua_touserdata(L, -1);\n\tlua_pop(L, 1);\n"
                         "\tif (c == NULL || c->client == NULL)\n"
                         "\t\tluaL_error(L, \"client is closed\");")
        check.append("\treturn u->%s;\n}\n" % name)
        if closed is not False:
            parts.append("\n" + "\n".join(check))
        if free:
            parts.append("\n/* close, __gc and __close: idempotent. */\n"
                         "static int %s_close(lua_State *L)\n{\n"
                         "\tl%s *u = luaL_checkudata(L, 1, %s);\n"
                         "\t%s *h = u->%s;\n\n\tu->%s = NULL;\n\t%s(h);\n"
                         "\treturn 0;\n}\n" % (name, name, mt, handle, name,
                                               name, free))
        head = "static int %s_%%s(lua_State *L)\n{\n\tl%s *u = " \
            "luaL_checkudata(L, 1, %s);\n\n" % (name, name, mt)
        if tostring is True:
            parts.append("\n/* __tostring: \"%s (0x...)\" or \"... "
                         "(closed)\". */\n" % LUA_TYPES_MT[name] +
                         head % "tostring" +
                         "\tlua_pushfstring(L, u->%s ? \"%%s (%%p)\" : "
                         "\"%%s (closed)\", %s,\n\t\t\t(void *)u->%s);\n"
                         "\treturn 1;\n}\n" % (name, mt, name))
        if "closed" in extra:
            parts.append("\n/* %s:closed() */\n" % name + head % "closed" +
                         "\tlua_pushboolean(L, u->%s == NULL);\n"
                         "\treturn 1;\n}\n" % name)
    return "".join(parts)


def render_lua_registry(tables):
    """The method tables of the types and the module, and
    register_types(), which makes the types' metatables."""
    parts = []
    calls = []
    for name, _, _, _, _, _, gc, close, tostring, extra in LUA_TYPES:
        lines = tables.get(name, []) + ["\t{ \"%s\", %s_%s }," % (m, name, m)
                                        for m in extra]
        if lines:
            parts.append("\nstatic const luaL_Reg %s_methods[] = {\n%s\n"
                         "\t{ NULL, NULL },\n};\n" % (name, "\n".join(lines)))
        calls.append("\tluaL_newmetatable(L, %s_MT);" % name.upper())
        for field, fn in (("__gc", name + "_close" if gc is None else gc),
                          ("__close",
                           name + "_close" if close is None else close),
                          ("__tostring", name + "_tostring"
                           if tostring is True else tostring)):
            if fn:
                calls.append("\tlua_pushcfunction(L, %s);\n"
                             "\tlua_setfield(L, -2, \"%s\");" % (fn, field))
        if lines:
            calls.append("\tlua_newtable(L);\n\tluaL_setfuncs(L, %s_methods, "
                         "0);\n\tlua_setfield(L, -2, \"__index\");" % name)
        calls.append("\tlua_pop(L, 1);")
    parts.append("\nstatic const luaL_Reg module_functions[] = {\n%s\n"
                 "\t{ NULL, NULL },\n};\n" % "\n".join(
                     tables[None] + ["\t{ \"%s\", l_%s }," % (f, f)
                                     for f in LUA_FUNCTIONS]))
    parts.append("\n/* The metatables of the userdata types. */\n"
                 "static void register_types(lua_State *L)\n{\n%s\n}\n"
                 % "\n".join(calls))
    return "".join(parts)


ERRORS_DEF = os.path.join(ROOT, "csrc", "include", "smartcar", "errors.def")
# the module's integer constants besides the error codes
LUA_CONSTANTS = ["SC_STEP_DONE", "SC_STEP_SEND", "SC_STEP_WAIT"]


def render_lua_constants():
    """push_constants(): the module's codes = {EINVAL = -1, ...}, kinds =
    {[-1] = "invalid_argument", ...} (errors.def), client_options =
    {client_id = "string", ...} (client_options.def), STEP_*, the
    metatables of LUA_TYPE_FIELDS and _VERSION."""
    with open(ERRORS_DEF) as f:
        errors = re.findall(r'^SC_ERROR\((\w+),\s*(-?\d+),\s*"(\w+)"',
                            f.read(), re.M)
    out = ["\n/* The module's constants (errors.def, client_options.def). */",
           "static void push_constants(lua_State *L)\n{"]
    for table, lines in (
            ("codes", ["\tlua_pushinteger(L, SC_%s);\n\tlua_setfield(L, -2, "
                       "\"%s\");" % (sym, sym) for sym, _, _ in errors]),
            ("kinds", ["\tlua_pushliteral(L, \"%s\");\n\tlua_rawseti(L, -2, "
                       "SC_%s);" % (kind, sym) for sym, _, kind in errors]),
            ("client_options",
             ["\tlua_pushstring(L, sc_client_option_type(\"%s\"));\n"
              "\tlua_setfield(L, -2, \"%s\");" % (o[2], o[2])
              for o in read_options()])):
        out += ["\tlua_newtable(L);"] + lines + \
            ["\tlua_setfield(L, -2, \"%s\");" % table]
    out += ["\tlua_pushinteger(L, %s);\n\tlua_setfield(L, -2, \"%s\");"
            % (c, c[3:]) for c in LUA_CONSTANTS]
    out += ["\tluaL_getmetatable(L, %s_MT);\n\tlua_setfield(L, -2, \"%s\");"
            % (name.upper(), field) for name, field in LUA_TYPE_FIELDS]
    out.append("\tlua_pushstring(L, sc_version());\n"
               "\tlua_setfield(L, -2, \"_VERSION\");")
    return "\n".join(out) + "\n}\n"


def lua_name(fn):
    """The C name of fn's lua_CFunction."""
    return "l_" + fn.lua.replace(":", "_")


def render_lua_fn(fn):
    cname = lua_name(fn)
    nargs = len(fn.args)
    decls = []
    body = []
    for i, a in enumerate(fn.args, 1):
        if i == 1 and a.name == "self":
            htype, read = LUA_SELF[a.kind]
            decls.append("\t%s *self;" % htype)
            body.append("\tself = %s;" % read)
            continue
        decl, conv = LUA_ARG[a.kind]
        if a.default and a.kind in LUA_OPT:
            conv = LUA_OPT[a.kind]
        elif a.default and a.kind == "params":
            conv = ""  # params_arg takes nil
        decls.append("\t" + decl.format(n=a.name))
        if conv:
            body.append("\t" + conv.format(n=a.name, i=i, w=a.lua_what,
                                           d=a.default))
    has_err = "ERR" in fn.call
    params = [(i, a) for i, a in enumerate(fn.args, 1)
              if a.kind in ("params", "tokens", "headers", "value", "table",
                            "otable")]
    needs_tmp = fn.ret in ("result", "call", "string", "store", "seen",
                           "client",
                           "stored", "pages", "step", "taken",
                           "pair", "json", "id") or has_err or params
    if needs_tmp:
        decls.append("\ttmp *t;")
        body.append("\tlua_settop(L, %d);\n\tt = tmp_push(L);" % nargs)
    conv = {"params": "\t{n} = params_arg(L, t, {i}, {i});",
            # the call takes it: out of t->json, which frees the others
            "tokens": "\t{n} = cJSON_DetachItemViaPointer(\n"
                      "\t\tt->json, json_encode_tree(L, {i}, t));",
            "headers": "\tif (!lua_isnil(L, {i}))\n"
                       "\t\t{n} = json_encode_tree(L, {i}, t);",
            "value": "\t{n} = json_encode_tree(L, {i}, t);",
            "table": "\t{n} = json_encode_tree(L, {i}, t);"}
    conv["otable"] = conv["headers"]
    for i, a in params:  # made once the tmp that frees them is there
        body.append(conv[a.kind].format(n=a.name, i=i))
    for argn, cond, msg in fn.lua_checks:
        body.append("\tluaL_argcheck(L, %s, %d, \"%s\");" % (cond, argn, msg))
    err = "&t->err"
    # how a failure names the function: an op's methods as op:fail
    name = fn.lua if fn.lua.startswith("op:") else fn.lua.split(":")[-1]
    fn_call, fn.call = fn.call, fn.call.replace("SELF", "self")
    if fn.ret in VALUE_RETS:
        call = subst_call(fn, None, err)
        if fn.ret == "names":
            call = names_fn(fn)
        push = {"integer": "lua_pushinteger(L, (lua_Integer)%s);\n\treturn 1;"
                if not fn.nonneg else
                "v = (lua_Integer)%s;\n\tif (v < 0)\n\t\tlua_pushnil(L);\n"
                "\telse\n\t\tlua_pushinteger(L, v);\n\treturn 1;",
                "names": "return push_names(L, %s);",
                "cstr": "lua_pushstring(L, %s);\n\treturn 1;",
                # NULL: nil, or with ERR nil, err (no memory raises)
                "json": "t->json = %s;\n\tif (t->json == NULL)\n" + (
                    "\t\treturn push_failure(L, t->err, SC_ENOMEM, 0);\n"
                    if has_err else "\t\tlua_pushnil(L);\n\telse\n\t") +
                        "\tpush_json(L, t->json, 0);\n\treturn 1;",
                "void": "%s;\n\treturn 0;",
                "text": "t->text = %s;\n\tif (t->text == NULL)\n"
                        "\t\treturn raise_nomem(L);\n"
                        "\tlua_pushstring(L, t->text);\n\treturn 1;",
                # the finished calls after the call (if any)
                "finished": "%s;\n\treturn async_push_taken(L, self);"
                if call else "return async_push_taken(L, self);%s"}[fn.ret]
        body.append("\t" + push % call)
        if fn.nonneg:  # a negative integer: nil
            decls.append("\tlua_Integer v;")
    else:
        decls.append("\tint rc;")
        if fn.ret == "result":
            body.append("\trc = %s;" % subst_call(fn, "&t->res", err))
            body.append("\treturn push_outcome(L, t->res, rc, 0);")
        elif fn.ret == "call":  # a call's failure: as client:call's
            body.append("\trc = %s;" % subst_call(fn, "&t->res", err))
            body.append("\treturn push_outcome(L, t->res, rc, 1);")
        elif fn.ret == "pages":  # the iterator and the items' field
            body.append("\trc = %s;" % subst_call(fn, "&t->pager", err))
            decls.append("\ttmp *p;")
            body.append(
                "\tif (rc != 0)\n\t\treturn raise_failure(L, \"%s\", rc, "
                "t->err);\n\tp = tmp_new(L); /* pages_step's upvalues */\n"
                "\tp->pager = t->pager;\n\tt->pager = NULL;\n"
                "\tlua_pushvalue(L, 1);\n\tlua_pushvalue(L, %d);\n"
                "\tlua_pushcclosure(L, pages_step, 3);\n"
                "\tlua_pushstring(L, sc_pager_items(p->pager));\n\treturn 2;"
                % (name, next(i for i, a in enumerate(fn.args, 1)
                              if a.kind == "ostore")))
        elif fn.ret == "stored":
            body.append("\trc = %s;" % subst_call(fn, "&t->res", err))
            body.append("\treturn rc != 0 ? push_failure(L, t->err, rc, 1)\n"
                        "\t\t       : push_data(L, t->res);")
        elif fn.ret == "taken":  # misuse raises; else as a call's
            body.append("\trc = %s;" % subst_call(fn, "&t->res", err))
            body.append("\treturn t->err ? raise_failure(L, \"%s\", rc, "
                        "t->err)\n\t\t      : push_outcome(L, t->res, rc, 1);"
                        % name)
        elif fn.ret == "step":  # the step and its value, or raise
            body.append("\trc = %s;" % subst_call(fn, "&t->json", err))
            body.append("\tif (rc < 0)\n\t\treturn raise_failure(L, \"%s\", "
                        "rc, NULL);\n\tlua_pushinteger(L, rc);\n"
                        "\tif (t->json == NULL)\n\t\treturn 1;\n"
                        "\tpush_json(L, t->json, 0);\n\treturn 2;" % name)
        elif fn.ret == "none" and has_err and fn.lua_raise:
            body.append("\trc = %s;" % subst_call(fn, None, err))
            body.append("\tif (rc != 0)\n\t\treturn raise_failure(L, \"%s\", "
                        "rc, t->err);\n\tlua_settop(L, 1);\n\treturn 1;"
                        % name)
        elif fn.ret == "none" and has_err:  # true | nil, err
            body.append("\trc = %s;" % subst_call(fn, None, err))
            body.append("\tif (rc != 0) /* a value it refused raises */\n"
                        "\t\treturn push_failure(L, t->err, rc, "
                        "rc == SC_EINVAL);\n"
                        "\tlua_pushboolean(L, 1);\n\treturn 1;")
        elif fn.ret == "none":  # raises; a method returns its receiver
            body.append("\trc = %s;" % subst_call(fn, None, err))
            if "lua" in fn.einval:  # SC_EINVAL: about argument 2
                body.append("\tluaL_argcheck(L, rc != SC_EINVAL, 2, \"%s\");"
                            % fn.einval["lua"])
            body.append("\tif (rc != 0)\n\t\treturn raise_failure(L, \"%s\", "
                        "rc, NULL);\n%s" % (name, "\treturn 0;" if fn.lua_void
                                             else "\tlua_settop(L, 1);\n"
                                             "\treturn 1;"))
        elif fn.ret == "pair":
            body.append("\trc = %s;" % subst_call(fn, "&t->url, &t->state",
                                                   err))
            body.append("\treturn push_strings(L, t, rc, \"%s\", 2);" % name)
        elif fn.ret == "string":
            body.append("\trc = %s;" % subst_call(fn, "&t->url", err))
            if has_err:  # a failure with details: nil, message
                body.append("\treturn push_strings(L, t, rc, NULL, 1);")
            else:
                body.append("\treturn push_strings(L, t, rc, \"%s\", 1);"
                            % name)
        elif fn.ret in LUA_HANDLES:
            utype, mt, field = LUA_HANDLES[fn.ret]
            decls.append("\t%s *u;" % utype)
            op = fn.ret == "op"
            # user value 1: an op's client, a client's debug hook thread
            body.append("\tu = lua_newuserdatauv(L, sizeof(*u), %d);\n"
                        "\tmemset(u, 0, sizeof(*u));\n"
                        "\tluaL_setmetatable(L, %s);"
                        % (fn.ret in ("op", "client"), mt))
            if op:
                body.append("\tlua_pushvalue(L, 1);\n"
                            "\tlua_setiuservalue(L, -2, 1);")
            body.append("\trc = %s;" % subst_call(fn, "&u->" + field, err))
            body.append("\tif (rc != 0) {\n\t\tu->%s = NULL;\n"
                        "\t\treturn %s;\n\t}\n\treturn 1;" % (
                            field, "push_failure(L, t->err, rc, 0)"
                            if fn.ret in ("store", "seen", "env") else
                            "raise_failure(L, %s, rc, t->err)" % (
                                "NULL" if op else '"smartcar %s"' % fn.lua)))
        elif fn.ret == "bool":
            body.append("\trc = %s;" % subst_call(fn, None, err))
            body.append("\tlua_pushboolean(L, %s);\n\treturn 1;" % fn.when)
        elif fn.ret == "flag":
            body.append("\trc = %s;" % subst_call(fn, None, err))
            body.append("\tluaL_argcheck(L, rc != SC_EINVAL, 2, \"%s\");\n"
                        "\tif (rc < 0%s)\n"
                        "\t\treturn raise_failure(L, \"%s\", rc, NULL);\n"
                        "\tlua_pushboolean(L, %s);\n\treturn 1;"
                        % (fn.einval["lua"],
                           " && rc != " + fn.ok if fn.ok else "",
                           fn.lua.replace(":", "_"), fn.when))
        elif fn.ret == "id":  # the id of a started call (and the items)
            decls.append("\tuint64_t id;\n\tconst char *items = NULL;")
            body.append("\trc = %s;" % subst_call(fn, "&id", err))
            body.append("\tif (rc != 0)\n\t\treturn raise_failure(L, \"%s\", "
                        "rc, t->err);\n\tlua_pushinteger(L, (lua_Integer)id);"
                        "\n\tif (items == NULL)\n\t\treturn 1;\n"
                        "\tlua_pushstring(L, items);\n\treturn 2;" % name)
        elif fn.ret == "time":
            decls.append("\tint64_t out;")
            body.append("\trc = %s;" % subst_call(fn, "&out", err))
            body.append("\tif (rc != 0)\n\t\tlua_pushnil(L);\n\telse\n"
                        "\t\tlua_pushinteger(L, (lua_Integer)out);\n"
                        "\treturn 1;")
        else:
            raise SystemExit("%s: no Lua form of return kind %s"
                             % (fn.lua, fn.ret))
    fn.call = fn_call
    sig = fn.doc.split("\n")[0].split(": ")[0]
    doc = "/* core.%s%s */\n" % (fn.lua, "" if fn.lua == fn.py or not fn.py
                                else "; in Python: " + sig)
    head = "\n".join(decls) + "\n\n" if decls else ""
    return "%sstatic int %s(lua_State *L)\n{\n%s%s\n}\n" % (
        doc, cname, head, "\n".join(body))


def render_lua(functions):
    parts = [HEADER, "/*\n * The Lua wrappers of csrc/lib/bindings.def's functions, "
             "#included by\n * smartcar_core.c after the helpers they call.  "
             "Argument errors raise;\n * failures of data from the network "
             "are nil, err.\n */\n"]
    if any(fn.lua and fn.ret == "names" for fn in functions):
        parts.append(LUA_NAMES)
    tables = {}
    for fn in functions:
        if not fn.lua:
            continue
        if not fn.hand:
            parts.append("\n" + render_twins(fn, render_lua_fn, lua_name,
                                              LUA_TWIN))
        reg = "\t{ \"%s\", l_%s }," % (fn.lua.split(":")[-1],
                                       fn.lua.replace(":", "_"))
        owner = fn.lua.split(":")[0] if ":" in fn.lua else None
        tables.setdefault(owner, []).append(reg)
    parts.append(render_lua_registry(tables))
    parts.append(render_lua_constants())
    return "".join(parts)


# twins (SC_TWIN): the call of the body both share, and its head
PY_TWIN = ("\treturn {body}(self, {args}, {n});\n",
           ("PyObject *kwds)\n{", "PyObject *kwds, int twin)\n{"),
           ("PyObject *unused)\n{", "PyObject *unused, int twin)\n{"))
LUA_TWIN = ("\treturn {body}(L, {n});\n",
            ("(lua_State *L)\n{", "(lua_State *L, int twin)\n{"))


def render_twins(fn, render, name, how):
    """render(fn); for a function with a twin, one that calls the body
    both share (whose argument twin picks the C call: 0 the first's, 1
    the twin's), after that body when fn is the first."""
    base = fn.twin_of or fn
    if not base.twin:
        return render(fn)
    body = name(base) + "_as"
    head = render(fn).split("\n{", 1)[0] + "\n{\n"
    args = "args, kwds" if "kwds" in head else "unused"
    out = head + how[0].format(body=body, args=args,
                               n=1 if fn.twin_of else 0) + "}\n"
    if fn.twin_of:
        return out
    both = copy.copy(fn)
    both.call = "(twin ? %s : %s)" % (fn.twin.call, fn.call)
    text = render(both)
    text = "/* %s and %s */\n" % (name(fn), name(fn.twin)) + \
        text[text.index("static "):].replace(name(fn) + "(", body + "(", 1)
    for old, new in how[1:]:
        text = text.replace(old, new, 1)
    return text + "\n" + out


def files():
    """{path: text} of the files this writes."""
    functions = read_table()
    return {PY_OUT: render_python(functions), LUA_OUT: render_lua(functions),
            LUA_TYPES_OUT: render_lua_types()}
