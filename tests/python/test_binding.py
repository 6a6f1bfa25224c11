"""The binding itself: types, lifetime, threads, conversions, tables."""

from __future__ import annotations

import datetime as dt
import pickle
import re
import threading
import urllib.parse
import warnings

import pytest

import smartcar_native as smartcar
from smartcar_native import _core, errors

from conftest import in_threads


# -- module surface -------------------------------------------------------


def test_version_and_endpoints():
    assert smartcar.__version__ == _core.version() == _core.VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", smartcar.__version__)
    names = smartcar.endpoints()
    for name in ("exchange_code", "exchange_refresh_token", "get_user",
                 "get_vehicles", "odometer"):
        assert name in names


def test_error_constants_match_table():
    assert _core.OK == 0
    assert len(_core.ERRORS) >= 15
    for symbol, code, kind, message in _core.ERRORS:
        assert getattr(_core, symbol) == code < 0
        assert _core.code_kind(code) == kind
        assert _core.strerror(code) == message
        # every kind of errors.def has its exception class
        cls = errors.exception_class(kind)
        assert cls is not smartcar.SmartcarException, kind
        assert cls.default_kind == kind
    assert _core.code_kind(-999) is None


def test_random_state():
    states = {smartcar.random_state() for _ in range(50)}
    assert len(states) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}", s) for s in states)


def test_exports():
    for name in smartcar.__all__:
        assert hasattr(smartcar, name), name


# -- named tuples ---------------------------------------------------------


def test_namedtuple_fields():
    assert smartcar.Access._fields == (
        "access_token", "token_type", "expires_in", "expiration",
        "refresh_token", "refresh_expiration")
    assert smartcar.Odometer._fields == ("distance", "meta")
    assert smartcar.Meta._fields == (
        "data_age", "unit_system", "request_id", "fetched_at")
    assert smartcar.User._fields == ("id", "meta")
    assert smartcar.Vehicles._fields == ("vehicles", "paging", "meta")
    assert smartcar.Paging._fields == ("count", "offset")
    assert smartcar.Redirect._fields[:5] == (
        "code", "state", "user_id", "external_id", "virtual_key_url")
    assert smartcar.Meta() == (None, None, None, None)


def test_access_conversion():
    from smartcar_native._shapes import access_from

    a = access_from({
        "access_token": "a", "token_type": "Bearer", "expires_in": 7200,
        "expiration": 1700000000, "refresh_token": "r",
        "refresh_expiration": 1705184000.5,
    })
    assert a.expiration == dt.datetime(2023, 11, 14, 22, 13, 20)
    assert a.expiration.tzinfo is None
    assert a.refresh_expiration.microsecond == 500000
    assert a.access_token == "a" and a.refresh_token == "r"


# -- argument checking ----------------------------------------------------


@pytest.mark.parametrize("args", [
    (123, "token"), ("vehicle", None), (b"vehicle", "token"),
    ("vehicle", 42),
])
def test_vehicle_type_errors(args):
    with pytest.raises(TypeError):
        smartcar.Vehicle(*args)


@pytest.mark.parametrize("args", [("", "token"), ("vehicle", "")])
def test_vehicle_value_errors(args):
    with pytest.raises(ValueError):
        smartcar.Vehicle(*args)


def test_vehicle_options():
    with pytest.raises(ValueError):
        smartcar.Vehicle("v", "t", {"unit_system": "furlongs"})
    with pytest.raises(ValueError):
        smartcar.Vehicle("v", "t", {"colour": "red"})
    with pytest.raises(TypeError):
        smartcar.Vehicle("v", "t", ["metric"])
    v = smartcar.Vehicle("v", "secret-token", {"unit_system": "imperial"})
    assert v.unit_system == "imperial"
    assert "secret-token" not in repr(v)


@pytest.mark.parametrize("error, call", [
    (TypeError, lambda c: smartcar.get_user(None)),
    (TypeError, lambda c: smartcar.get_vehicles(b"token")),
    (TypeError, lambda c: smartcar.get_vehicles("token", {"limit": "2"})),
    (TypeError, lambda c: smartcar.parse_redirect(None)),
    (TypeError, lambda c: smartcar.parse_redirect("code=x", 5)),
    (TypeError, lambda c: smartcar.set_api_version(2.0)),
    (ValueError, lambda c: smartcar.set_api_version("v2")),
    (TypeError, lambda c: _core.Client("positional")),
    (TypeError, lambda c: _core.Client(mode=3)),
    (TypeError, lambda c: _core.Client(no_such_option="x")),
    (TypeError, lambda c: _core.Client(timeout_ms="10")),
    (TypeError, lambda c: _core.Client(debug="not callable")),
    (ValueError, lambda c: _core.Client(mode="bogus")),
    (ValueError, lambda c: _core.Client(max_response_bytes=-1)),
    (TypeError, lambda c: c.call(1, {})),
    (TypeError, lambda c: c.call("get_user", [("access_token", "t")])),
    (TypeError, lambda c: c.call("get_user", {"access_token": 1.5})),
    (TypeError, lambda c: c.call("get_user", {"access_token": True})),
    (TypeError, lambda c: c.call("get_user", {1: "t"})),
    (ValueError, lambda c: c.call("get_user", {"access_token": "a\0b"})),
    (TypeError, lambda c: c.get(None)),
    (TypeError, lambda c: c.set_timeouts("1", 2)),
    (ValueError, lambda c: c.set_timeouts(-1, 0)),
])
def test_argument_errors(error, call):
    """Module functions and the client refuse wrong types and values."""
    with _core.Client(api_origin="http://127.0.0.1:9") as client:
        with pytest.raises(error):
            call(client)


def test_settings_and_flags_follow_the_library_rules():
    """The checks are libsmartcar's (sc_param_check, sc_flags_format):
    the same messages and classes as before they left Python."""
    cases = [
        (lambda: smartcar.set_api_version("v2"),
         "version must look like '2.0', not 'v2'"),
        (lambda: smartcar.Vehicle("v", "t", {"unit_system": "furlongs"}),
         "unit_system must be 'metric' or 'imperial', not 'furlongs'"),
        (lambda: smartcar.VehicleV3("v", access_token="t",
                                    options={"unit_system": "si"}),
         "unit_system must be 'metric' or 'imperial', not 'si'"),
        (lambda: smartcar.get_compatibility("VIN", ["read_vin"],
                                            options={"mode": "bogus"}),
         "mode must be one of live, test, simulated, not 'bogus'"),
        (lambda: smartcar.AuthClient("id", "secret", "https://x/cb",
                                     mode="bogus"),
         "mode must be one of live, test, simulated, not 'bogus'"),
    ]
    for call, message in cases:
        with pytest.raises(smartcar.InvalidArgumentError) as info:
            call()
        assert str(info.value) == message
    assert smartcar.helpers.format_flag_query(
        {"z": 1.5, "b": False, "a": "x"}) == "a:x b:false z:1.5"
    assert smartcar.helpers.format_flag_query({}) == ""
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.helpers.format_flag_query({"country": "D E"})
    with pytest.raises(TypeError):
        smartcar.helpers.format_flag_query({"a": [1]})


def test_batch_paths_and_names_follow_the_library_rules():
    vehicle = smartcar.Vehicle("v", "t", {"client": _core.Client(
        api_origin="http://127.0.0.1:9")})
    for paths, message in [
            (["/odometer", ""], "batch paths[2] must be a path without "
                                "spaces, '?' or '#'"),
            (["/odo meter"], "batch paths[1] must be a path without "
                             "spaces, '?' or '#'"),
            ([], "batch paths must not be empty (give at least one path)")]:
        with pytest.raises(smartcar.InvalidArgumentError) as info:
            vehicle.batch(paths)
        assert str(info.value) == message
    with pytest.raises(TypeError):
        vehicle.batch(["/odometer", 3])
    assert _core.batch_name("/battery/nominal_capacity") == \
        ("nominal_capacity", "battery_nominal_capacity")
    assert _core.batch_name("tesla/speed-o") == ("tesla_speed_o",
                                                 "tesla_speed_o")


def test_client_argument_errors():
    with pytest.raises(TypeError):
        _core.Client("positional")
    with pytest.raises(TypeError):
        _core.Client(mode=3)
    with pytest.raises(TypeError):
        _core.Client(no_such_option="x")
    with pytest.raises(TypeError):
        _core.Client(timeout_ms="10")
    with pytest.raises(ValueError):
        _core.Client(mode="bogus")
    client = _core.Client(api_origin="http://127.0.0.1:9")
    with pytest.raises(TypeError):
        client.call(1, {})
    with pytest.raises(TypeError):
        client.call("get_user", [("access_token", "t")])
    with pytest.raises(TypeError):
        client.call("get_user", {"access_token": 1.5})
    with pytest.raises(TypeError):
        client.call("get_user", {"access_token": True})
    with pytest.raises(TypeError):
        client.call("get_user", {1: "t"})
    with pytest.raises(ValueError):
        client.call("get_user", {"access_token": "a\0b"})
    with pytest.raises(TypeError):
        client.get(None)
    with pytest.raises(TypeError):
        client.set_timeouts("1", 2)
    with pytest.raises(ValueError):
        client.set_timeouts(-1, 0)
    client.close()


def test_client_get_and_repr():
    client = _core.Client(
        client_id="cid", client_secret="shh-very-secret",
        api_origin="http://127.0.0.1:9", mode="test",
    )
    assert client.get("client_id") == "cid"
    assert client.get("mode") == "test"
    assert client.get("api_origin") == "http://127.0.0.1:9"
    assert client.get("client_secret") is None
    assert client.get("nonsense") is None
    assert "shh-very-secret" not in repr(client)
    assert "smartcar" in (client.get("user_agent") or "").lower()
    client.set_timeouts(1000, 2000)
    client.close()


# -- lifetime -------------------------------------------------------------


def test_python_user_agent(monkeypatch):
    monkeypatch.setenv("SMARTCAR_API_ORIGIN", "http://127.0.0.1:9")
    ua = smartcar.default_client().get("user_agent")
    assert "Python/" in ua
    auth = smartcar.AuthClient(client_id="c", client_secret="s",
                               redirect_uri="https://example.com/cb")
    assert "Python/" in auth.client.get("user_agent")
    auth.close()


def test_close_twice_and_use_after_close():
    client = _core.Client()
    assert client.closed is False
    client.close()
    client.close()
    assert client.closed is True
    for call in (
        lambda: client.call("get_user", {"access_token": "t"}),
        lambda: client.auth_url({}),
        lambda: client.get("mode"),
        lambda: client.connections_opened(),
        lambda: client.set_timeouts(1, 1),
    ):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert "closed" in repr(client)


def test_context_manager():
    with _core.Client() as client:
        assert not client.closed
    assert client.closed
    with smartcar.AuthClient(client_id="c", client_secret="s",
                             redirect_uri="https://example.com/cb") as auth:
        assert not auth.client.closed
    assert auth.client.closed


def test_dealloc_without_close():
    import gc
    import weakref

    client = _core.Client()
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is None


def test_default_client_lazy_and_env_bound(monkeypatch):
    from smartcar_native import _shared_clients as _client

    _client.reset_default_client()
    assert _client._current is None  # not created at import or reset
    monkeypatch.setenv("SMARTCAR_API_ORIGIN", "http://127.0.0.1:9")
    one = smartcar.default_client()
    assert smartcar.default_client() is one
    assert one.get("api_origin") == "http://127.0.0.1:9"
    monkeypatch.setenv("SMARTCAR_API_ORIGIN", "http://127.0.0.1:10")
    two = smartcar.default_client()
    assert two is not one
    assert two.get("api_origin") == "http://127.0.0.1:10"
    two.close()
    assert smartcar.default_client() is not two


def test_env_snapshot_sees_every_change_of_its_variables(monkeypatch):
    # the answer may be remembered while the environment is unchanged;
    # any change of a variable it holds must show
    monkeypatch.setenv("SC_TEST_A", "value-a")
    monkeypatch.setenv("SC_TEST_B", "value-b")
    monkeypatch.delenv("SC_TEST_MISSING", raising=False)
    snap = _core.env_snapshot(["SC_TEST_A", "SC_TEST_B", "SC_TEST_MISSING"])
    assert _core.same_env(snap)
    assert _core.same_env(snap)
    monkeypatch.setenv("SC_TEST_C", "changed")  # not one of the names
    assert _core.same_env(snap)
    monkeypatch.setenv("SC_TEST_B", "value-b2")
    assert not _core.same_env(snap)
    assert not _core.same_env(snap)
    monkeypatch.setenv("SC_TEST_B", "value-b")  # equal again: the same
    assert _core.same_env(snap)
    monkeypatch.setenv("SC_TEST_MISSING", "now set")
    assert not _core.same_env(snap)
    monkeypatch.delenv("SC_TEST_MISSING")
    assert _core.same_env(snap)
    given = _core.env_snapshot(["SC_TEST_A", "SC_TEST_B"],
                               ["value-a", "other"])
    assert not _core.same_env(given)
    assert _core.same_env(_core.env_snapshot(["SC_TEST_A"], ["value-a"]))
    with pytest.raises(TypeError, match="snapshot must be"):
        _core.same_env(_core.seen_new())


# -- AuthClient -----------------------------------------------------------


def test_auth_client_requires_credentials(monkeypatch):
    for name in ("SMARTCAR_CLIENT_ID", "SMARTCAR_CLIENT_SECRET",
                 "SMARTCAR_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError) as info:
        smartcar.AuthClient()
    assert isinstance(info.value, smartcar.InvalidArgumentError)
    assert "SMARTCAR_CLIENT_ID" in str(info.value)
    with pytest.raises(ValueError) as info:
        smartcar.AuthClient(client_id="c", redirect_uri="https://x/cb")
    assert "client_secret" in str(info.value)
    monkeypatch.setenv("SMARTCAR_CLIENT_ID", "env-id")
    monkeypatch.setenv("SMARTCAR_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("SMARTCAR_REDIRECT_URI", "https://example.com/cb")
    auth = smartcar.AuthClient()
    assert auth.client_id == "env-id"
    assert auth.redirect_uri == "https://example.com/cb"
    assert auth.mode == "live"
    assert "env-secret" not in repr(auth)
    auth.close()


def test_auth_client_mode(monkeypatch):
    kw = dict(client_id="c", client_secret="s",
              redirect_uri="https://example.com/cb")
    with pytest.raises(ValueError):
        smartcar.AuthClient(mode="prod", **kw)
    assert smartcar.AuthClient(mode="simulated", **kw).mode == "simulated"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        auth = smartcar.AuthClient(test_mode=True, **kw)
    assert auth.mode == "test"
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    with pytest.raises(TypeError):
        smartcar.AuthClient(client_id=5, client_secret="s",
                            redirect_uri="https://example.com/cb")
    with pytest.raises(TypeError):
        smartcar.AuthClient(no_such_option=1, **kw)


def _q(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_auth_url_options():
    auth = smartcar.AuthClient(
        client_id="my-client", client_secret="s", mode="test",
        redirect_uri="https://example.com/callback",
        connect_origin="https://connect.example.com",
    )
    url = auth.get_auth_url(
        ["read_odometer", "required:read_location"],
        {
            "force_prompt": True,
            "state": "st-42",
            "make_bypass": "TESLA",
            "single_select": {"vin": "5YJSA1E14FF101307"},
            "flags": {"country": "DE", "flag": True, "off": False},
            "user": "u-42",
        },
    )
    assert url.startswith("https://connect.example.com/oauth/authorize?")
    assert _q(url) == {
        "response_type": "code", "client_id": "my-client",
        "redirect_uri": "https://example.com/callback",
        "scope": "read_odometer required:read_location",
        "approval_prompt": "force", "mode": "test", "state": "st-42",
        "make": "TESLA", "single_select": "true",
        "single_select_vin": "5YJSA1E14FF101307",
        "flags": "country:DE flag:true off:false", "user": "u-42",
    }

    q = _q(auth.get_auth_url(["read_odometer"],
                             {"single_select": {"enabled": False}}))
    assert q["single_select"] == "false"
    assert "single_select_vin" not in q
    assert q["approval_prompt"] == "auto"
    assert "make" not in q and "user" not in q and "flags" not in q

    q = _q(auth.get_auth_url(["read_odometer"],
                             {"single_select": {"enabled": True}}))
    assert q["single_select"] == "true"

    url, state = auth.get_auth_url_with_state(["read_odometer"])
    assert _q(url)["state"] == state
    url, state = auth.get_auth_url_with_state(["read_odometer"],
                                              {"state": "mine"})
    assert state == "mine"

    with pytest.raises(TypeError):
        auth.get_auth_url("read_odometer")
    with pytest.raises(TypeError):
        auth.get_auth_url([1])
    with pytest.raises(ValueError):
        auth.get_auth_url(["read_odometer"], {"forcePrompt": True})
    with pytest.raises(TypeError):
        auth.get_auth_url(["read_odometer"], {"state": 5})
    # a wrong type, as the library says it: both a TypeError and an
    # InvalidArgumentError, naming the option and the type it takes
    for opts, expected in (({"state": 5}, "string"),
                           ({"single_select": {"vin": 5}}, "string"),
                           ({"force_prompt": None, "user": []}, "string"),
                           ({"single_select": "yes"}, "boolean or object")):
        with pytest.raises(smartcar.InvalidArgumentTypeError) as info:
            auth.get_auth_url(["read_odometer"], opts)
        assert isinstance(info.value, smartcar.InvalidArgumentError)
        assert info.value.expected == expected
        assert [k for k in opts if k in str(info.value)]
    with pytest.raises(smartcar.InvalidArgumentError) as bad:
        auth.get_auth_url(["read_odometer"], {"user": ""})
    assert not isinstance(bad.value, TypeError)
    assert "user" in str(bad.value)
    with pytest.raises(TypeError):
        auth.exchange_code(None)
    with pytest.raises(TypeError):
        auth.exchange_refresh_token(123)
    auth.close()


# -- exceptions -----------------------------------------------------------


BUILTIN_FOR_KIND = {
    "invalid_argument": ValueError,
    "out_of_memory": MemoryError,
    "network": ConnectionError,
    "timeout": TimeoutError,
    "tls": ConnectionError,
    "malformed_response": ValueError,
    "response_too_large": ValueError,
    "state_mismatch": ValueError,
    "misuse": RuntimeError,
}


@pytest.mark.parametrize("symbol,code,kind,message", _core.ERRORS)
def test_factory_builds_kind_classes(symbol, code, kind, message):
    exc = errors._from_core(code, {"kind": kind, "message": message,
                                   "attempts": 1})
    assert isinstance(exc, smartcar.SmartcarException)
    assert exc.kind == kind
    assert exc.sc_code == code
    assert str(exc) == message
    assert exc.args == (message,)
    if kind in BUILTIN_FOR_KIND:
        assert isinstance(exc, BUILTIN_FOR_KIND[kind])
    # picklable, like any exception
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc) and str(copy) == message
    assert copy.kind == kind


def test_v1_types_take_the_library_category():
    """An API v1 body's type keeps its v1 name; the class comes from the
    category libsmartcar gives it (its v2 type)."""
    exc = errors._from_core(_core.EAPI, {
        "kind": "api", "type": "vehicle_state_error",
        "category": "VEHICLE_STATE", "message": "m", "status_code": 409})
    assert type(exc) is smartcar.VehicleStateError
    assert exc.type == "vehicle_state_error"
    # without a category (not from the library) the v1 name means nothing
    assert type(errors._from_core(_core.EAPI, {
        "kind": "api", "type": "vehicle_state_error"})) is smartcar.ApiError


@pytest.mark.parametrize("api_type,cls,builtin", [
    ("AUTHENTICATION", smartcar.AuthenticationError, None),
    ("PERMISSION", smartcar.PermissionDeniedError, PermissionError),
    ("VALIDATION", smartcar.ValidationError, ValueError),
    ("RESOURCE_NOT_FOUND", smartcar.ResourceNotFoundError, LookupError),
    ("RATE_LIMIT", smartcar.RateLimitError, None),
    ("VEHICLE_STATE", smartcar.VehicleStateError, None),
    ("COMPATIBILITY", smartcar.CompatibilityError, None),
    ("UPSTREAM", smartcar.UpstreamError, None),
    ("SERVER", smartcar.ServerError, None),
    ("BILLING", smartcar.BillingError, None),
    ("CONNECTED_SERVICES_ACCOUNT", smartcar.ConnectedServicesAccountError,
     None),
    ("SOMETHING_NEW", smartcar.ApiError, None),
])
def test_factory_api_types(api_type, cls, builtin):
    fields = {
        "kind": "api", "type": api_type, "code": "VEHICLE",
        "description": "desc", "message": "%s:VEHICLE - desc" % api_type,
        "status_code": 429, "request_id": "req-1", "retry_after": 30.0,
        "resolution": {"type": "RETRY_LATER"}, "doc_url": "https://d",
        "detail": [{"field": "x"}], "suggested_user_message": "later",
        "attempts": 3,
    }
    exc = errors._from_core(_core.EAPI, fields)
    assert type(exc) is cls
    assert isinstance(exc, smartcar.ApiError)
    if builtin:
        assert isinstance(exc, builtin)
    assert exc.status_code == 429 and exc.request_id == "req-1"
    # the official SDK's type (the header text) and ours (a number)
    assert exc.retry_after == "30"
    assert exc.retry_after_seconds == 30
    assert isinstance(exc.retry_after_seconds, int)
    assert exc.resolution == {"type": "RETRY_LATER", "url": None}
    assert exc.detail == [{"field": "x"}]
    assert exc.suggested_user_message == "later"
    assert exc.attempts == 3
    assert str(exc) == "%s:VEHICLE - desc" % api_type


def test_exception_constructed_in_python():
    exc = smartcar.SmartcarException(type="SERVER", code="INTERNAL",
                                     description="boom", status_code=500)
    assert str(exc) == "SERVER:INTERNAL - boom"
    assert smartcar.SmartcarException(type="AUTHENTICATION",
                                      description="d").message == \
        "AUTHENTICATION - d"
    with pytest.raises(TypeError):
        smartcar.SmartcarException("m", bogus=1)
    net = smartcar.SmartcarTimeoutError("slow")
    assert isinstance(net, TimeoutError) and isinstance(net, OSError)
    assert str(net) == "slow"


# -- sans-IO Op -----------------------------------------------------------


def test_op_steps_without_network():
    client = _core.Client(api_origin="https://api.example.com")
    op = _core.Op(client, "get_user", {"access_token": "tok-123"})
    step, req = op.next()
    assert step == _core.STEP_SEND
    assert req["method"] == "GET"
    assert req["url"].startswith("https://api.example.com/v2.0/user")
    headers = {k.lower(): v for k, v in req["headers"]}
    assert headers["authorization"] == "Bearer tok-123"
    assert isinstance(req["body"], bytes)
    assert req["timeout_ms"] > 0
    op.feed(200, {"Content-Type": "application/json",
                  "SC-Request-Id": "req-9"}, b'{"id": "user-1"}')
    step, value = op.next()
    assert step == _core.STEP_DONE and value is None
    data = op.result()
    assert data["id"] == "user-1"
    assert data["meta"]["request_id"] == "req-9"
    with pytest.raises(ValueError):
        op.result()
    # the Op keeps the client handle alive past close()
    client.close()
    del op


def test_op_error_result():
    client = _core.Client(api_origin="https://api.example.com")
    op = _core.Op(client, "get_user", {"access_token": "tok-456"})
    op.next()
    op.feed(401, [("content-type", "application/json"),
                  ("sc-request-id", "r-1")],
            '{"type":"AUTHENTICATION","code":null,"description":"bad",'
            '"docURL":"https://d","statusCode":401,"requestId":"r-1",'
            '"resolution":{"type":null}}')
    while op.next()[0] != _core.STEP_DONE:
        pass
    with pytest.raises(smartcar.AuthenticationError) as info:
        op.result()
    assert info.value.request_id == "r-1"
    assert "tok-456" not in repr(info.value)


def test_op_argument_errors():
    client = _core.Client()
    with pytest.raises(TypeError):
        _core.Op("not a client", "get_user", {})
    with pytest.raises(smartcar.InvalidArgumentError):
        _core.Op(client, "nope", {})
    op = _core.Op(client, "get_user", {"access_token": "t"})
    op.next()
    with pytest.raises(TypeError):
        op.feed(200, [("only-name",)], b"")
    with pytest.raises(TypeError):
        op.feed(200, {}, 12)


# -- with the emulator: threads, pooling, numbers -------------------------


def test_gil_released_concurrent_odometer(emu, access):
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    results = []

    def worker():
        for _ in range(5):
            results.append(
                smartcar.Vehicle(vid, access.access_token).odometer())

    failures = in_threads(worker, 4)
    assert not failures, failures
    assert len(results) == 20
    assert all(r.distance > 0 for r in results)


def test_gil_released_during_call(silent_origin):
    """Python threads run while another thread waits inside sc_call."""
    import time

    client = _core.Client(api_origin=silent_origin, timeout_ms=600,
                          max_attempts=1)
    done = threading.Event()
    stamps = []

    def tick():
        while not done.is_set():
            stamps.append(time.monotonic())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        start = time.monotonic()
        with pytest.raises(smartcar.SmartcarTimeoutError):
            client.call("get_user", {"access_token": "t"})
        end = time.monotonic()
    finally:
        done.set()
        ticker.join()
        client.close()
    assert end - start >= 0.5
    # Had the call kept the GIL, the ticker could not have run at all in
    # the middle of it.
    middle = [t for t in stamps if start + 0.15 < t < end - 0.15]
    assert len(middle) >= 20


def test_connections_are_reused(emu, access):
    client = _core.Client()
    assert client.connections_opened() == 0
    for _ in range(5):
        client.call("get_user", {"access_token": access.access_token})
    assert client.connections_opened() == 1
    client.close()


def test_numbers_are_ints_when_integral(emu, access):
    data = _core.Client().call(
        "get_vehicles", {"access_token": access.access_token, "limit": 2}
    )
    assert type(data["paging"]["count"]) is int
    assert type(data["paging"]["offset"]) is int
    assert isinstance(data["vehicles"], list)
    assert isinstance(data["meta"], dict)


def test_close_while_other_thread_calls(emu, access):
    client = _core.Client()
    errors_seen, ok = [], []
    start = threading.Event()

    def worker():
        start.wait()
        for _ in range(20):
            try:
                client.call("get_user", {"access_token": access.access_token})
                ok.append(1)
            except ValueError as exc:
                errors_seen.append(exc)
                return

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    start.set()
    client.close()
    for t in threads:
        t.join(30)
    assert client.closed
    assert all("closed" in str(e) for e in errors_seen)


def test_frozen_params(emu, access):
    """FrozenParams: a params dict converted once, given to call() many
    times; its conversion refuses what call() refuses."""
    frozen = _core.FrozenParams({"access_token": access.access_token,
                                 "unused": None})
    with _core.Client() as client:
        first = client.call("get_user", frozen)["id"]
        assert client.call("get_user", frozen)["id"] == first
        assert client.call("get_user", params=frozen)["id"] == first
    with pytest.raises(TypeError, match="parameter 'x' must be str"):
        _core.FrozenParams({"x": 1.5})
    with pytest.raises(TypeError, match="params must be a dict"):
        _core.FrozenParams(["x"])
    with pytest.raises(ValueError, match="NUL"):
        _core.FrozenParams({"x": "a\0b"})


def test_tuple_new():
    """tuple_new(cls, values): a tuple subclass's instance (the result
    shapes), nothing else."""
    meta = _core.tuple_new(smartcar.Meta, (None, "metric", "id", None))
    assert type(meta) is smartcar.Meta and meta.unit_system == "metric"
    assert meta == smartcar.Meta(None, "metric", "id", None)
    assert _core.tuple_new(tuple, ()) == ()
    for bad in ((dict, ()), (smartcar.Meta, [1, 2, 3, 4]), (smartcar.Meta,)):
        with pytest.raises(TypeError):
            _core.tuple_new(*bad)
