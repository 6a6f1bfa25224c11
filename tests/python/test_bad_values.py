"""Bad values from callers and servers raise the library's typed errors,
never a bare builtin (OverflowError, RecursionError, ValueError,
UnicodeEncodeError), and reprs hold no credential.  No network: every
case fails before a request is sent, or feeds a canned response."""

import pytest

import smartcar_native as sc
from smartcar_native import _core


def deep(levels):
    top = cur = {}
    for _ in range(levels):
        cur["a"] = {}
        cur = cur["a"]
    return top


@pytest.fixture
def car():
    return sc.Vehicle("veh-1", "tok-SECRET-1")


@pytest.mark.parametrize("call", [
    lambda v: v.send_destination(2**63, 1),
    lambda v: v.send_destination(1, -2**80),
    lambda v: v.set_charge_limit(10**30),
    lambda v: v.permissions({"limit": 2**64}),
    lambda v: v.permissions({"offset": 2**64}),
])
def test_out_of_range_ints_are_invalid_argument(car, call):
    with pytest.raises(sc.InvalidArgumentError, match="out of range"):
        call(car)


def test_out_of_range_client_options_are_invalid_argument():
    with pytest.raises(sc.InvalidArgumentError):
        sc.Client(timeout_ms=2**70)
    client = sc.Client()
    with pytest.raises(sc.InvalidArgumentError):
        client.set_timeouts(2**64, 0)
    with pytest.raises(sc.InvalidArgumentError):
        client.call_many([], max_in_flight=2**64)
    with pytest.raises(sc.InvalidArgumentError):
        client.call_many([], max_in_flight=0)


def test_deep_token_set_is_invalid_argument(tmp_path):
    path = str(tmp_path / "tokens.db")
    store = sc.TokenStore(path)
    token = {"access_token": "a" * 8, "refresh_token": "r" * 8,
             "extra": deep(5000)}
    with pytest.raises(sc.InvalidArgumentError, match="too deeply"):
        store.core.put("user", token)
    store.close()


def test_deep_or_cyclic_request_body_is_invalid_argument(car):
    with pytest.raises(sc.InvalidArgumentError):
        car.request("POST", "echo", body=deep(5000))
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(sc.InvalidArgumentError):
        car.request("POST", "echo", body=cyclic)
    with pytest.raises(sc.InvalidArgumentError):
        car.request("POST", "echo", body={"x": float("nan")})


def test_strings_that_are_not_utf8_are_invalid_argument():
    lone_surrogate = "veh-\ud800"
    with pytest.raises(sc.InvalidArgumentError):
        sc.Vehicle(lone_surrogate, "tok-SECRET-1").odometer()
    with pytest.raises(sc.InvalidArgumentError):
        sc.Vehicle("veh-1", "tok\x00").odometer()


def test_nested_flag_values_are_refused(car):
    with pytest.raises(TypeError):
        sc.Vehicle("veh-1", "tok", options={"flags": {"a": deep(5000)}})
    with pytest.raises(sc.InvalidArgumentError):
        sc.Vehicle("veh-1", "tok", options={"flags": {"a": 10**5000}})


def test_deep_response_is_malformed_not_recursion():
    client = _core.Client()
    op = _core.Op(client, "odometer", {"vehicle_id": "v",
                                       "access_token": "tok-SECRET-1",
                                       "max_attempts": 1})
    assert op.next()[0] == _core.STEP_SEND
    body = '{"distance":' + "[" * 999 + "]" * 999 + "}"
    op.feed(200, {"Content-Type": "application/json"}, body.encode())
    op.next()
    with pytest.raises(sc.MalformedResponseError):
        op.result()


def test_closed_objects_raise_typed_errors():
    client = sc.Client()
    client.close()
    with pytest.raises(sc.InvalidArgumentError, match="closed"):
        client.set_timeouts(1, 1)


def test_redirect_repr_hides_the_code():
    redirect = sc.parse_redirect(
        "https://app.example.com/cb?code=c0de%2B%2F%3D%26SECRET&state=st-1",
        expected_state="st-1")
    assert redirect.code == "c0de+/=&SECRET"
    text = repr(redirect) + str(redirect)
    assert "SECRET" not in text and "c0de" not in text
    assert "'[REDACTED]'" in text and "st-1" in text
