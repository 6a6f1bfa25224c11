/* smartcar_native._core: the CPython binding of libsmartcar.  It only
 * marshals (Python values to sc_params and cJSON trees and back, handles,
 * the GIL, sc_error objects into exceptions); every rule lives in the C
 * library.  The wrappers, types and tables are generated from
 * csrc/lib/bindings.def into _core_functions.h; here are the helpers
 * they call.  The only module-level state is the error factory. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "smartcar.h"

/* smartcar_native.errors._from_core(code, fields) -> exception */
static PyObject *error_factory;

/* ---- cJSON -> Python ---------------------------------------------- */

static PyObject *str_from_c(const char *s)
{
	if (!s)
		Py_RETURN_NONE;
	/* Server text is untrusted: never fail a call on bad UTF-8. */
	return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

/* The str of an object key: keys repeat from call to call ("meta"...),
 * so the last one of each slot of a small table (guarded by the GIL) is
 * given again, its hash already computed. */
#define KEY_SLOTS 256
static struct {
	char text[32];
	PyObject *str;
} key_slots[KEY_SLOTS];

static PyObject *key_from_c(const char *s)
{
#ifndef Py_GIL_DISABLED
	size_t len = strlen(s), i;
	unsigned h = 2166136261u; /* FNV-1a */
	PyObject *str;

	if (len < sizeof(key_slots[0].text)) {
		for (i = 0; i < len; i++)
			h = (h ^ (unsigned char)s[i]) * 16777619u;
		i = h % KEY_SLOTS;
		str = key_slots[i].str;
		if (str && memcmp(key_slots[i].text, s, len + 1) == 0) {
			Py_INCREF(str);
			return str;
		}
		str = str_from_c(s);
		if (str) {
			Py_INCREF(str);
			Py_XSETREF(key_slots[i].str, str);
			memcpy(key_slots[i].text, s, len + 1);
		}
		return str;
	}
#endif
	return str_from_c(s);
}

/* An int when @p d is integral and |d| <= 2^53 (the range in which
 * every integer is a double), else a float. */
static PyObject *number_from_json(double d)
{
	if (isfinite(d) && d == floor(d) && fabs(d) <= 9007199254740992.0)
		return PyLong_FromDouble(d);
	return PyFloat_FromDouble(d);
}

static PyObject *from_json(const cJSON *v)
{
	const cJSON *child;
	PyObject *out;

	if (cJSON_IsTrue(v))
		Py_RETURN_TRUE;
	if (cJSON_IsFalse(v))
		Py_RETURN_FALSE;
	if (cJSON_IsNumber(v))
		return number_from_json(v->valuedouble);
	if (cJSON_IsString(v) || cJSON_IsRaw(v))
		return str_from_c(v->valuestring ? v->valuestring : "");

	if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) /* null, NULL */
		Py_RETURN_NONE;
	if (Py_EnterRecursiveCall(" while converting a JSON value"))
		return NULL;
	out = cJSON_IsObject(v) ? PyDict_New() : PyList_New(0);
	for (child = v->child; out && child; child = child->next) {
		PyObject *key = NULL, *item = from_json(child);

		if (item && PyDict_Check(out))
			key = key_from_c(child->string ? child->string : "");
		if (!item || (PyDict_Check(out)
				      ? !key || PyDict_SetItem(out, key, item) < 0
				      : PyList_Append(out, item) < 0))
			Py_CLEAR(out);
		Py_XDECREF(key);
		Py_XDECREF(item);
	}
	Py_LeaveRecursiveCall();
	return out;
}

/* ---- Errors ------------------------------------------------------- */

/* The exception (not raised) for @p code and the fields sc_error_fields
 * gives for @p err or @p message, its class picked by the factory; NULL
 * with an exception set. */
static PyObject *error_instance(int code, const sc_error *err,
				const char *message)
{
	PyObject *fields;
	cJSON *j;

	if (!err && code == SC_ENOMEM)
		return PyErr_NoMemory();
	j = sc_error_fields(code, err, message);
	fields = j ? from_json(j) : PyErr_NoMemory();
	cJSON_Delete(j);
	/* fields NULL: their error stays (Py_BuildValue's rule for "N");
	 * the factory's own exception is more useful than ours */
	return PyObject_CallFunction(error_factory, "iN",
				     err ? sc_error_code(err) : code, fields);
}

/* Raise (and release) @p exc, an error_instance() result.  NULL. */
static PyObject *raise_exc(PyObject *exc)
{
	if (exc) {
		PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
		Py_DECREF(exc);
	}
	return NULL;
}

/* Raise the exception of @p code: the failure @p err describes (freed
 * here), else @p message (NULL: the code's text).  NULL. */
static void *raise_error(int code, sc_error *err, const char *message)
{
	raise_exc(error_instance(code, err, message));
	sc_error_free(err);
	return NULL;
}

/* The data of a result, or its exception instance when it failed (NULL
 * only when Python failed).  @p res stays the caller's. */
static PyObject *result_or_error(const sc_result *res)
{
	if (!res)
		return error_instance(SC_ENOMEM, NULL, NULL);
	if (sc_result_error(res))
		return error_instance(SC_EAPI, sc_result_error(res), NULL);
	return sc_result_data(res) ? from_json(sc_result_data(res))
				   : PyDict_New();
}

/* Turn a result into its data (new reference) or raise; frees @p res. */
static PyObject *take_result(int rc, sc_result *res)
{
	PyObject *out = res ? result_or_error(res)
			    : error_instance(rc ? rc : SC_ENOMEM, NULL, NULL);

	if (out && (!res || sc_result_error(res)))
		out = raise_exc(out);
	sc_result_free(res);
	return out;
}

/* ---- Python -> C -------------------------------------------------- */

/* TypeError "<what> must be <expected>, not <type of obj>".  NULL. */
static void *wrong_type(PyObject *obj, const char *what, const char *expected)
{
	PyErr_Format(PyExc_TypeError, "%s must be %s, not %.100s", what,
		     expected, Py_TYPE(obj)->tp_name);
	return NULL;
}

/* raise_error with a message in PyUnicode_FromFormat's format.  NULL. */
static void *raise_fmt(int code, const char *fmt, ...)
{
	va_list ap;
	PyObject *msg;

	va_start(ap, fmt);
	msg = PyUnicode_FromFormatV(fmt, ap);
	va_end(ap);
	if (msg) {
		const char *text = PyUnicode_AsUTF8(msg);
		if (text)
			raise_error(code, NULL, text);
		Py_DECREF(msg);
	}
	return NULL;
}

/* A value Python refused while converting an argument (an int out of
 * range, a str that is not UTF-8, nesting too deep) is a bad value: the
 * pending OverflowError, RecursionError, UnicodeError or bare ValueError
 * becomes InvalidArgumentError with its text; others stay.  NULL. */
static void *retyped(void)
{
	PyObject *type, *value, *tb, *t = PyErr_Occurred();

	if (!t || !(t == PyExc_ValueError ||
		    PyErr_ExceptionMatches(PyExc_OverflowError) ||
		    PyErr_ExceptionMatches(PyExc_RecursionError) ||
		    PyErr_ExceptionMatches(PyExc_UnicodeError)))
		return NULL;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	raise_fmt(SC_EINVAL, "%S", value ? value : type);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	return NULL;
}

/* @p p (@p len bytes), or NULL with an error when it holds a NUL (C
 * would cut there). */
static const char *no_nul(const char *p, Py_ssize_t len, const char *what)
{
	if ((size_t)len == strlen(p))
		return p;
	return raise_fmt(SC_EINVAL, "%s contains a NUL character", what);
}

/* UTF-8 view of a str without NULs. */
static const char *utf8_of(PyObject *s, const char *what)
{
	Py_ssize_t len;
	const char *p;

	if (!PyUnicode_Check(s))
		return wrong_type(s, what, "str");
	p = PyUnicode_AsUTF8AndSize(s, &len);
	return p ? no_nul(p, len, what) : retyped();
}

/* dict[str, str | int | None] (or None: none) -> sc_params.  None values
 * are skipped; ints (not bools) are written in decimal. */
static int params_from(PyObject *obj, sc_params **out)
{
	PyObject *key, *value;
	Py_ssize_t pos = 0;
	sc_params *p;
	int rc;

	*out = NULL;
	if (sc_params_new(&p) != 0) {
		PyErr_NoMemory();
		return -1;
	}
	if (!obj || obj == Py_None) {
		*out = p;
		return 0;
	}
	if (!PyDict_Check(obj)) {
		wrong_type(obj, "params", "a dict");
		goto fail;
	}
	while (PyDict_Next(obj, &pos, &key, &value)) {
		const char *k = utf8_of(key, "parameter name"), *v = NULL;
		long long n = 0;

		if (!k)
			goto fail;
		if (value == Py_None)
			continue;
		if (PyUnicode_Check(value)) {
			if (!(v = utf8_of(value, "parameter value")))
				goto fail;
		} else if (!PyLong_Check(value) || PyBool_Check(value)) {
			PyErr_Format(PyExc_TypeError,
				     "parameter '%s' must be str, not %.100s",
				     k, Py_TYPE(value)->tp_name);
			goto fail;
		} else if ((n = PyLong_AsLongLong(value)) == -1 &&
			   PyErr_Occurred()) {
			PyErr_Clear();
			raise_fmt(SC_EINVAL, "parameter '%s' is out of range", k);
			goto fail;
		}
		rc = v ? sc_params_set(p, k, v) : sc_params_set_int(p, k, n);
		if (rc != 0) {
			raise_error(rc, NULL, NULL);
			goto fail;
		}
	}
	*out = p;
	return 0;
fail:
	sc_params_free(p);
	return -1;
}

/* FrozenParams: call parameters converted once, for many calls (a
 * Vehicle's without arguments).  Immutable: calls of several threads may
 * borrow its sc_params at once. */
typedef struct {
	PyObject_HEAD
	sc_params *params;
} ParamsObject;

static PyObject *Params_new(PyTypeObject *type, PyObject *args,
			    PyObject *kwds)
{
	static char *kwlist[] = { "params", NULL };
	PyObject *obj;
	ParamsObject *self;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:FrozenParams", kwlist,
					 &obj))
		return NULL;
	self = (ParamsObject *)type->tp_alloc(type, 0);
	if (self && params_from(obj, &self->params) < 0)
		Py_CLEAR(self);
	return (PyObject *)self;
}

static void Params_dealloc(ParamsObject *self)
{
	sc_params_free(self->params);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject Params_Type;

/* A params argument: a FrozenParams' (borrowed: the caller's argument
 * keeps it), or a dict as params_from() takes converted into *owned.
 * NULL with an exception set. */
static const sc_params *params_of(PyObject *obj, sc_params **owned)
{
	*owned = NULL;
	if (Py_TYPE(obj) == &Params_Type)
		return ((ParamsObject *)obj)->params;
	return params_from(obj, owned) < 0 ? NULL : *owned;
}

/* Deeper token sets are refused: the library refuses deeper JSON too. */
#define MAX_TOKEN_DEPTH 64

/* Python value (dict with str keys, list, tuple, str, int, float, bool,
 * None) -> cJSON at nesting @p depth, named @p what in messages (a dict's
 * values by their key).  NULL with an exception set. */
static cJSON *to_json(PyObject *v, int depth, const char *what)
{
	PyObject *items, *item;
	cJSON *out = NULL, *child;
	const char *s = NULL;
	int dict = PyDict_Check(v);
	Py_ssize_t i;
	double d;

	if (v == Py_None || PyBool_Check(v))
		out = v == Py_None ? cJSON_CreateNull()
				   : cJSON_CreateBool(v == Py_True);
	else if (PyLong_Check(v)) { /* exact: raw text, as Lua's integers */
		if ((items = PyLong_Type.tp_repr(v)) == NULL)
			return retyped();
		out = (s = PyUnicode_AsUTF8(items)) ? cJSON_CreateRaw(s) : NULL;
		Py_DECREF(items); /* out NULL: no memory */
	} else if (PyFloat_Check(v)) {
		if ((d = PyFloat_AsDouble(v)) == -1.0 && PyErr_Occurred())
			return retyped();
		if (!isfinite(d))
			return raise_fmt(SC_EINVAL, "%s must be a finite number",
					 what);
		out = cJSON_CreateNumber(d);
	} else if (PyUnicode_Check(v)) {
		if (!(s = utf8_of(v, what)))
			return NULL;
		out = cJSON_CreateString(s);
	} else if (!dict && !PyList_Check(v) && !PyTuple_Check(v))
		return wrong_type(v, what, "a JSON value");
	else if (depth >= MAX_TOKEN_DEPTH)
		return raise_error(SC_EINVAL, NULL,
				   "the token set nests too deeply");
	else { /* a dict's (key, value) items, or a sequence's items */
		items = dict ? PyDict_Items(v) : PySequence_List(v);
		if (!items)
			return NULL;
		out = dict ? cJSON_CreateObject() : cJSON_CreateArray();
		for (i = 0; out && i < PyList_GET_SIZE(items); i++) {
			item = PyList_GET_ITEM(items, i);
			if (dict && !(s = utf8_of(PyTuple_GET_ITEM(item, 0),
						  "token field name")))
				child = NULL;
			else
				child = to_json(dict ? PyTuple_GET_ITEM(item, 1) : item,
						depth + 1, dict ? s : what);
			if (!child) { /* an exception is set */
				cJSON_Delete(out);
				Py_DECREF(items);
				return NULL;
			}
			if (dict)
				cJSON_AddItemToObject(out, s, child);
			else
				cJSON_AddItemToArray(out, child);
		}
		Py_DECREF(items);
	}
	return out ? out : (cJSON *)PyErr_NoMemory();
}

/* ---- Client and TokenStore: handles used with the GIL released --- */

/* A Client (handle: an sc_client) or a TokenStore (an sc_token_store).
 * users (touched with the GIL held) counts the holders of the handle
 * besides the object: calls running without the GIL, and a Client's Op,
 * Pages and Async objects; the last one frees a closed handle. */
typedef struct {
	PyObject_HEAD
	void *handle; /* NULL once freed */
	Py_ssize_t users;
	int closed;
	PyObject *weakrefs;
	PyObject *debug; /* a Client's Python debug hook or NULL */
} HolderObject;
typedef HolderObject ClientObject;
typedef HolderObject StoreObject;

static PyTypeObject Client_Type, Store_Type, Pages_Type;

/* Free the handle of a closed holder that no call uses any more. */
static void holder_release(HolderObject *self)
{
	int client = Py_TYPE(self) == &Client_Type;
	void *handle = self->handle;

	if (!self->closed || self->users > 0 || !handle)
		return;
	self->handle = NULL;
	Py_BEGIN_ALLOW_THREADS /* closing connections may block briefly */
	if (client)
		sc_client_free(handle);
	else
		sc_token_store_free(handle);
	Py_END_ALLOW_THREADS
}

/* 0 while @p self is open, else -1 with the error set. */
static int holder_check(HolderObject *self)
{
	if (!self->closed && self->handle)
		return 0;
	raise_error(SC_EINVAL, NULL,
		    Py_TYPE(self) == &Client_Type
			    ? "operation on a closed smartcar Client"
			    : "operation on a closed TokenStore");
	return -1;
}

/* The open handle of an argument that must be of @p type (Client or
 * TokenStore), or NULL with an exception set. */
static void *holder_arg(PyObject *obj, PyTypeObject *type, const char *what)
{
	if (!PyObject_TypeCheck(obj, type))
		return wrong_type(obj, what,
				  type == &Client_Type ? "a Client"
						       : "a TokenStore");
	if (holder_check((HolderObject *)obj) < 0)
		return NULL;
	return ((HolderObject *)obj)->handle;
}

/* @p obj, or a wrapper of an object of @p type (smartcar_native's
 * TokenStore) as its .core, a new reference in *core. */
static PyObject *core_of(PyObject *obj, PyTypeObject *type, PyObject **core)
{
	if (PyObject_TypeCheck(obj, type) ||
	    !(*core = PyObject_GetAttrString(obj, "core"))) {
		PyErr_Clear();
		return obj;
	}
	return *core;
}

/* An Op, Pages or Async object takes (and drops) its client's handle. */
static ClientObject *client_hold(ClientObject *client)
{
	Py_INCREF(client);
	client->users++;
	return client;
}

static void client_drop(ClientObject **owner)
{
	ClientObject *client = *owner;

	if (client) {
		*owner = NULL;
		client->users--;
		holder_release(client);
		Py_DECREF(client);
	}
}

/* close() and __exit__ (its None is false: exceptions go on) */
static PyObject *Holder_close(PyObject *self, PyObject *unused)
{
	((HolderObject *)self)->closed = 1;
	holder_release((HolderObject *)self);
	Py_RETURN_NONE;
}

static PyObject *Holder_enter(PyObject *self, PyObject *unused)
{
	if (holder_check((HolderObject *)self) < 0)
		return NULL;
	Py_INCREF(self);
	return self;
}

static int Holder_traverse(HolderObject *self, visitproc visit, void *arg)
{
	Py_VISIT(self->debug);
	return 0;
}

static int Holder_clear(HolderObject *self)
{
	Py_CLEAR(self->debug);
	return 0;
}

static void Holder_dealloc(HolderObject *self)
{
	PyObject_GC_UnTrack(self);
	if (self->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)self);
	/* users is 0 here: calls and Ops hold a reference to self. */
	Py_DECREF(Holder_close((PyObject *)self, NULL));
	Py_CLEAR(self->debug);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Async: the non-blocking driver (smartcar/async.h) for an event loop */
typedef struct {
	PyObject_HEAD
	sc_async *async;
	ClientObject *owner; /* a user of the client while open */
} AsyncObject;

/* sc_debug_cb: redacted request and response lines, from whichever
 * thread runs the call (GIL or not).  What the hook raises is reported
 * as unraisable: it never changes the outcome of a call. */
static void debug_trampoline(void *payload, int direction, const char *line)
{
	ClientObject *self = payload;
	PyGILState_STATE gil;
	PyObject *cb, *res;

	if (!self || !line)
		return;
	gil = PyGILState_Ensure();
	cb = self->debug;
	if (cb) {
		Py_INCREF(cb);
		res = PyObject_CallFunction(cb, "CN", direction,
					    str_from_c(line));
		if (!res)
			PyErr_WriteUnraisable(cb);
		Py_XDECREF(res);
		Py_DECREF(cb);
	}
	PyGILState_Release(gil);
}

/* Client.set_debug: set (or with None clear) the Python hook.  Each op
 * keeps the hook the client had when it was made; the trampoline reads
 * self->debug, so a call already running stops calling a hook that was
 * removed. */
static PyObject *py_Client_set_debug(ClientObject *self, PyObject *cb)
{
	int rc;

	if (holder_check(self) < 0)
		return NULL;
	if (cb == Py_None)
		cb = NULL;
	if (cb && !PyCallable_Check(cb))
		return wrong_type(cb, "debug", "callable or None");
	rc = sc_client_set_debug(self->handle, cb ? debug_trampoline : NULL,
				 self);
	if (rc != 0)
		return raise_error(rc, NULL, NULL);
	Py_XINCREF(cb);
	Py_XSETREF(self->debug, cb);
	Py_RETURN_NONE;
}

/* The Client (of @p type) for the options Client() read (its generated
 * tp_new, from client_options.def), with the debug hook @p debug. */
static PyObject *client_made(PyTypeObject *type,
			     const sc_client_options *opts, PyObject *debug)
{
	sc_error *err = NULL;
	ClientObject *self;
	PyObject *set = NULL;
	int rc;

	self = (ClientObject *)type->tp_alloc(type, 0);
	if (!self)
		return NULL;
	rc = sc_client_new((sc_client **)&self->handle, opts, &err);
	if (rc != 0)
		raise_error(rc, err, NULL);
	/* a debug that is not callable: set_debug's TypeError */
	if (rc != 0 ||
	    (debug != Py_None && !(set = py_Client_set_debug(self, debug))))
		Py_CLEAR(self);
	Py_XDECREF(set);
	return (PyObject *)self;
}

/* call_many()'s calls (argument kind calls): the batch and its size,
 * and the Python progress callback with the first exception it raised
 * (later progress calls are then skipped). */
struct many {
	sc_many *m;
	Py_ssize_t n;
	PyObject *progress;
	PyObject *exc_type, *exc_value, *exc_tb;
	int failed;
};

/* sc_progress_cb, on the thread of call_many(), which released the GIL:
 * take it back for the callback. */
static void many_progress(void *payload, size_t index, int rc, size_t done,
			  size_t total)
{
	struct many *ctx = payload;
	PyGILState_STATE gil;
	PyObject *res;

	if (ctx->failed)
		return;
	gil = PyGILState_Ensure();
	res = PyObject_CallFunction(ctx->progress, "nnn", (Py_ssize_t)index,
				    (Py_ssize_t)done, (Py_ssize_t)total);
	if (!res) {
		ctx->failed = 1;
		PyErr_Fetch(&ctx->exc_type, &ctx->exc_value, &ctx->exc_tb);
	}
	Py_XDECREF(res);
	PyGILState_Release(gil);
}

/* One call as call_many() and Async.start() take it, item i of the
 * calls: (endpoint, params) or (endpoint, params, store, key). */
struct call {
	PyObject *seq; /* the item as a sequence: it holds the strings */
	const char *endpoint, *key;
	sc_token_store *store;
	const sc_params *params;
	sc_params *owned;
};

/* A call on @p owner (which must be open): 0, or -1 with an exception
 * set; call_end() in both cases. */
static int call_of(PyObject *item, Py_ssize_t i, ClientObject *owner,
		   struct call *c)
{
	Py_ssize_t len = 0;

	memset(c, 0, sizeof(*c));
	if (holder_check(owner) < 0)
		return -1;
	if (!PyUnicode_Check(item) && !PyBytes_Check(item) &&
	    PySequence_Check(item) && (c->seq = PySequence_Fast(item, "")))
		len = PySequence_Fast_GET_SIZE(c->seq);
	if (len != 2 && len != 4) {
		PyErr_Format(PyExc_TypeError, "calls[%zd] must be an "
			     "(endpoint, params[, store, key]) tuple, not "
			     "%.100s", i, Py_TYPE(item)->tp_name);
		return -1;
	}
	c->endpoint = utf8_of(PySequence_Fast_GET_ITEM(c->seq, 0), "endpoint");
	if (!c->endpoint ||
	    !(c->params = params_of(PySequence_Fast_GET_ITEM(c->seq, 1),
				    &c->owned)))
		return -1;
	/* the store after the params: converting them runs Python */
	if (len == 4 &&
	    (!(c->store = holder_arg(PySequence_Fast_GET_ITEM(c->seq, 2),
				     &Store_Type, "store")) ||
	     !(c->key = utf8_of(PySequence_Fast_GET_ITEM(c->seq, 3), "key"))))
		return -1;
	return 0;
}

static void call_end(struct call *c)
{
	sc_params_free(c->owned);
	Py_XDECREF(c->seq);
}

/* The items of @p obj as the batch of @p client's calls *calls: 0, or -1
 * with an exception set. */
static int many_of(PyObject *obj, ClientObject *client, struct many *calls)
{
	PyObject *seq = NULL;
	Py_ssize_t i;
	struct call c;
	int rc = 0;

	if (!PyUnicode_Check(obj) && !PyBytes_Check(obj) && !PyDict_Check(obj))
		seq = PySequence_Fast(obj, "");
	if (!seq) {
		PyErr_SetString(PyExc_TypeError, "calls must be a list of "
						 "(endpoint, params) pairs");
		return -1;
	}
	calls->n = PySequence_Fast_GET_SIZE(seq);
	if (sc_many_new(&calls->m, client->handle, (size_t)calls->n) < 0) {
		PyErr_NoMemory();
		rc = -1;
	}
	for (i = 0; i < calls->n && rc == 0; i++) {
		rc = call_of(PySequence_Fast_GET_ITEM(seq, i), i, client, &c);
		if (rc == 0 && sc_many_add(calls->m, c.store, c.key, c.endpoint,
					   c.params) < 0) {
			PyErr_NoMemory();
			rc = -1;
		}
		call_end(&c);
	}
	Py_DECREF(seq);
	return rc;
}

/* sc_many_run() of call_many(): runs with the GIL released. */
static int many_run(struct many *calls, size_t max_in_flight,
		    PyObject *progress)
{
	calls->progress = progress;
	return sc_many_run(calls->m, max_in_flight,
			   progress != Py_None ? many_progress : NULL, calls);
}

/* call_many()'s list of each call's data or exception instance, or
 * raise what the progress callback or the run failed with. */
static PyObject *many_results(int rc, struct many *calls)
{
	PyObject *out, *item;
	Py_ssize_t i;

	if (calls->failed) {
		PyErr_Restore(calls->exc_type, calls->exc_value, calls->exc_tb);
		return NULL;
	}
	if (rc != 0)
		return raise_error(rc, NULL, NULL);
	out = PyList_New(calls->n);
	for (i = 0; out && i < calls->n; i++) {
		if (!(item = result_or_error(sc_many_result(calls->m, i))))
			Py_CLEAR(out);
		else
			PyList_SET_ITEM(out, i, item);
	}
	return out;
}

/* Configuration only (a Client's mode and origin), never the secret. */
static PyObject *Holder_repr(HolderObject *self)
{
	const char *mode, *origin, *name = Py_TYPE(self)->tp_name;

	if (self->closed || !self->handle)
		return PyUnicode_FromFormat("<%s closed>", name);
	if (!PyObject_TypeCheck(self, &Client_Type))
		return PyUnicode_FromFormat("<%s>", name);
	mode = sc_client_get(self->handle, "mode");
	origin = sc_client_get(self->handle, "api_origin");
	return PyUnicode_FromFormat("<%s mode=%s api_origin=%s>", name,
				    mode ? mode : "?", origin ? origin : "?");
}

/* ---- Pages: a paged call's pages (sc_pager) as an iterator -------- */

typedef struct {
	PyObject_HEAD
	sc_pager *pager;
	ClientObject *owner; /* held: the pager borrows its handle */
	StoreObject *store;  /* strong or NULL: the pages stop once closed
			      * (the pager holds its sc_token_store) */
} PagesObject;

static PyObject *Pages_next(PagesObject *self)
{
	sc_result *res = NULL;
	int rc;

	if (!self->pager || (self->store && holder_check(self->store) < 0))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = sc_pager_next(&res, self->pager);
	Py_END_ALLOW_THREADS
	if (rc == 0) {
		sc_pager_free(self->pager);
		self->pager = NULL;
		return NULL; /* StopIteration */
	}
	return take_result(rc < 0 ? rc : 0, res);
}

/* ---- Helpers of the generated functions --------------------------- */

/* A new reference to None, for a conditional expression. */
static PyObject *py_none(void)
{
	Py_INCREF(Py_None);
	return Py_None;
}

/* A read-only byte view of str (UTF-8) or any bytes-like object;
 * PyBuffer_Release() it when @p view->obj is set. */
static int bytes_view(PyObject *obj, Py_buffer *view, const char **data,
		      Py_ssize_t *len, const char *what)
{
	memset(view, 0, sizeof(*view));
	if (PyUnicode_Check(obj)) {
		*data = PyUnicode_AsUTF8AndSize(obj, len);
		return *data ? 0 : -1;
	}
	if (!PyObject_CheckBuffer(obj)) {
		wrong_type(obj, what, "str or bytes");
		return -1;
	}
	if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0)
		return -1;
	*data = view->buf ? (const char *)view->buf : "";
	*len = view->len;
	return 0;
}

/* str or bytes, without NULs, as a C string (borrowed). */
static const char *text_of(PyObject *obj, const char *what)
{
	if (PyBytes_Check(obj))
		return no_nul(PyBytes_AS_STRING(obj), PyBytes_GET_SIZE(obj),
			      what);
	return utf8_of(obj, what);
}

/* Op (its methods below): one operation, with its client */
typedef struct {
	PyObject_HEAD
	ClientObject *owner; /* keeps the sc_client alive */
	sc_op *op;           /* never NULL: Op() fails without one */
} OpObject;

/* Op.next's (step, value) for what sc_op_next_json gave (and frees
 * here), a request's body as bytes; raises for a step < 0. */
static PyObject *step_value(int step, cJSON *value)
{
	PyObject *v, *body;

	if (step < 0) {
		cJSON_Delete(value);
		return raise_error(step, NULL, NULL);
	}
	v = value ? from_json(value) : py_none();
	cJSON_Delete(value);
	if (v && PyDict_Check(v)) {
		body = PyDict_GetItemString(v, "body"); /* borrowed */
		body = body ? PyUnicode_AsUTF8String(body) : NULL;
		if (!body || PyDict_SetItemString(v, "body", body) < 0)
			Py_CLEAR(v);
		Py_XDECREF(body);
	}
	return v ? Py_BuildValue("(iN)", step, v) : NULL;
}

static PyObject *mod_tuple_new(PyObject *self, PyObject *const *args,
			       Py_ssize_t nargs)
{
	PyObject *pack, *out;

	if (nargs != 2 || !PyType_Check(args[0]) ||
	    !PyType_IsSubtype((PyTypeObject *)args[0], &PyTuple_Type) ||
	    !PyTuple_Check(args[1])) {
		PyErr_SetString(PyExc_TypeError,
				"tuple_new(tuple subclass, tuple)");
		return NULL;
	}
	/* tuple's own path: it sets what a tuple caches (its hash, 3.14) */
	pack = PyTuple_Pack(1, args[1]);
	out = pack ? PyTuple_Type.tp_new((PyTypeObject *)args[0], pack, NULL)
		   : NULL;
	Py_XDECREF(pack);
	return out;
}

/* ---- Async: the non-blocking driver (smartcar/async.h) ------------ */

/* The pager of a Pages of @p owner's, taken for the driver to walk (the
 * Pages stop; the pager holds the store), or NULL with an exception set. */
static sc_pager *pages_taken(PyObject *obj, ClientObject *owner)
{
	PagesObject *pages = (PagesObject *)obj;
	sc_pager *pager;

	if (!PyObject_TypeCheck(obj, &Pages_Type))
		return wrong_type(obj, "pages", "a Pages");
	if (pages->owner != owner || !pages->pager)
		return raise_error(SC_EINVAL, NULL,
				   pages->pager
					   ? "the pages belong to another client"
					   : "the pages are used up");
	if (holder_check(owner) < 0 ||
	    (pages->store && holder_check(pages->store) < 0))
		return NULL;
	pager = pages->pager;
	pages->pager = NULL;
	return pager;
}

static PyObject *py_Async_take(AsyncObject *self, PyObject *unused)
{
	PyObject *out = PyList_New(0), *t;
	sc_result *res;
	uint64_t id;
	int more;

	while (out && sc_async_take_page(self->async, &id, &res, &more) == 1) {
		t = Py_BuildValue("(KNO)", (unsigned long long)id,
				  result_or_error(res), more ? Py_True : Py_False);
		sc_result_free(res);
		if (!t || PyList_Append(out, t) < 0)
			Py_CLEAR(out);
		Py_XDECREF(t);
	}
	return out;
}

/* bindings.def's functions, classes and module; errors.def's constants */
#include "_core_functions.h"

PyMODINIT_FUNC PyInit__core(void)
{
	PyObject *m = NULL, *errors;
	int rc = sc_global_init();

	if (rc != 0)
		return PyErr_Format(PyExc_ImportError,
				    "libsmartcar could not initialise: %s",
				    sc_strerror(rc));
	/* The exception classes are pure Python; take the factory once. */
	errors = PyImport_ImportModule("smartcar_native.errors");
	Py_XSETREF(error_factory,
		   errors ? PyObject_GetAttrString(errors, "_from_core") : NULL);
	Py_XDECREF(errors);
	if (error_factory && (m = PyModule_Create(&module_def)) &&
	    (add_types(m) < 0 || add_constants(m) < 0))
		Py_CLEAR(m);
	return m;
}
