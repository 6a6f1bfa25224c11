"""Errors from the emulator and from the transport, and what they hold."""

from __future__ import annotations

import socket
import urllib.parse

import pytest

import smartcar_native as smartcar
from conftest import CLIENT_SECRET, authorize, assert_no_secrets


def test_wrong_client_secret(emu, auth):
    code = authorize(emu, auth)
    wrong = "not-the-emulator-secret-123"
    bad = smartcar.AuthClient(client_secret=wrong)
    try:
        with pytest.raises(smartcar.OAuthError) as info:
            bad.exchange_code(code)
    finally:
        bad.close()
    e = info.value
    assert e.error == "invalid_client"
    assert e.type == "invalid_client"
    assert e.status_code == 401
    assert e.kind == "oauth"
    assert_no_secrets(e, code, wrong, CLIENT_SECRET)
    assert "client_secret" not in repr(vars(bad))
    assert wrong not in repr(bad)


def test_reused_code(emu, auth):
    code = authorize(emu, auth)
    first = auth.exchange_code(code)
    with pytest.raises(smartcar.OAuthError) as info:
        auth.exchange_code(code)
    assert info.value.error == "invalid_grant"
    assert info.value.status_code == 400
    assert_no_secrets(info.value, code, first.access_token,
                      first.refresh_token, CLIENT_SECRET)


def test_expired_code(emu, auth):
    code = authorize(emu, auth)
    emu.advance(601)
    with pytest.raises(smartcar.OAuthError) as info:
        auth.exchange_code(code)
    assert info.value.error == "invalid_grant"
    assert_no_secrets(info.value, code, CLIENT_SECRET)


def test_unknown_refresh_token(emu, auth):
    token = "00000000-0000-4000-8000-00000000dead"
    with pytest.raises(smartcar.OAuthError) as info:
        auth.exchange_refresh_token(token)
    assert info.value.error == "invalid_grant"
    assert_no_secrets(info.value, token, CLIENT_SECRET)


def test_state_mismatch(emu, auth):
    url, state = auth.get_auth_url_with_state(["read_odometer"])
    location = emu.connect(url)
    code = smartcar.parse_redirect(location).code
    with pytest.raises(smartcar.StateMismatchError) as info:
        smartcar.parse_redirect(location, expected_state=state + "x")
    e = info.value
    assert isinstance(e, ValueError)
    assert isinstance(e, smartcar.SmartcarException)
    assert e.kind == "state_mismatch"
    assert_no_secrets(e, code, state)


def test_connect_access_denied(emu, auth):
    url, state = auth.get_auth_url_with_state(["read_odometer"])
    location = emu.connect(url, action="deny")
    with pytest.raises(smartcar.ConnectError) as info:
        smartcar.parse_redirect(location, expected_state=state)
    e = info.value
    assert e.error == "access_denied"
    assert e.kind == "connect"
    assert e.description
    assert "access_denied" in str(e)


def test_connect_vehicle_incompatible(emu, auth):
    url, state = auth.get_auth_url_with_state(["read_odometer"])
    location = emu.connect(
        url, email="smartcar@vehicle-incompatible.com"
    )
    with pytest.raises(smartcar.ConnectError) as info:
        smartcar.parse_redirect(location, expected_state=state)
    e = info.value
    assert e.error == "vehicle_incompatible"
    assert e.vin == "0SCAUDI012FE3B132"
    assert e.make == "AUDI"
    assert e.model == "A4"
    assert str(e.year) == "2017"


def test_connect_invalid_subscription(emu, auth):
    url = auth.get_auth_url(["read_odometer"])
    location = emu.connect(url, email="smartcar@invalid-subscription.com")
    with pytest.raises(smartcar.ConnectError) as info:
        smartcar.parse_redirect(location)
    assert info.value.error == "invalid_subscription"


def test_redirect_without_code_or_error(emu):
    with pytest.raises(smartcar.InvalidArgumentError) as info:
        smartcar.parse_redirect("https://example.com/callback?state=abc")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("call", ["get_user", "get_vehicles", "odometer"])
def test_invalid_access_token(emu, call):
    token = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(smartcar.AuthenticationError) as info:
        if call == "get_user":
            smartcar.get_user(token)
        elif call == "get_vehicles":
            smartcar.get_vehicles(token)
        else:
            smartcar.Vehicle(
                "36ab27d0-fd9d-4455-823a-ce30af709ffc", token
            ).odometer()
    e = info.value
    assert isinstance(e, smartcar.ApiError)
    assert e.kind == "api"
    assert e.type == "AUTHENTICATION"
    assert e.status_code == 401
    assert e.request_id
    assert e.doc_url and e.doc_url.startswith("http")
    assert isinstance(e.resolution, dict)
    assert set(e.resolution) == {"type", "url"}
    assert e.message.startswith("AUTHENTICATION")
    assert str(e) == e.message
    assert_no_secrets(e, token)


def test_permission_error(emu, auth):
    # read_vehicle_info only: the odometer needs read_odometer
    code = authorize(emu, auth, scope=["read_vehicle_info"])
    access = auth.exchange_code(code)
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    with pytest.raises(smartcar.PermissionDeniedError) as info:
        smartcar.Vehicle(vid, access.access_token).odometer()
    e = info.value
    assert isinstance(e, PermissionError)
    assert e.type == "PERMISSION" and e.status_code == 403
    assert_no_secrets(e, access.access_token, access.refresh_token, code)


def test_validation_error_on_bad_paging(emu, access):
    with pytest.raises(smartcar.ValidationError) as info:
        smartcar.get_vehicles(access.access_token, {"limit": 500})
    assert isinstance(info.value, ValueError)
    assert info.value.status_code == 400
    assert_no_secrets(info.value, access.access_token)


def test_network_error(emu, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # nothing listens on that port now; the default client follows the env
    monkeypatch.setenv("SMARTCAR_API_ORIGIN", "http://127.0.0.1:%d" % port)
    token = "a-token-that-must-not-leak"
    with pytest.raises(smartcar.NetworkError) as info:
        smartcar.get_user(token)
    e = info.value
    assert isinstance(e, ConnectionError)
    assert e.kind == "network"
    assert e.attempts and e.attempts >= 1
    assert_no_secrets(e, token)


def test_timeout(silent_origin):
    client = smartcar.Client(api_origin=silent_origin, timeout_ms=300,
                             max_attempts=1)
    with pytest.raises(smartcar.SmartcarTimeoutError) as info:
        client.call("get_user", {"access_token": "secret-tok"})
    e = info.value
    assert isinstance(e, TimeoutError)
    assert isinstance(e, smartcar.NetworkError)
    assert isinstance(e, ConnectionError)
    assert e.kind == "timeout"
    assert_no_secrets(e, "secret-tok")
    client.close()


def test_unknown_endpoint_is_invalid_argument(emu):
    client = smartcar.Client()
    with pytest.raises(smartcar.InvalidArgumentError) as info:
        client.call("no_such_endpoint", {})
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "invalid_argument"


def test_missing_parameter_is_invalid_argument(emu):
    client = smartcar.Client()
    with pytest.raises(smartcar.InvalidArgumentError):
        client.call("odometer", {"access_token": "t"})


def test_connect_url_without_redirect_uri_rejected_by_emulator(emu, auth):
    # the emulator refuses an unregistered redirect URI with a 400
    bad = smartcar.AuthClient(redirect_uri="https://evil.example/cb")
    url = bad.get_auth_url(["read_odometer"])
    with pytest.raises(AssertionError) as info:
        emu.connect(url)
    assert "400" in str(info.value)
    bad.close()
    assert "redirect_uri" in urllib.parse.urlsplit(url).query


def test_timeout_is_retried_for_reads(silent_origin):
    client = smartcar.Client(api_origin=silent_origin, timeout_ms=100,
                             max_attempts=3, retry_base_ms=10)
    with pytest.raises(smartcar.SmartcarTimeoutError) as info:
        client.call("get_user", {"access_token": "secret-tok"})
    assert info.value.attempts == 3
    client.close()
