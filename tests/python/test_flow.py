"""The whole v2 flow against the emulator: Connect, tokens, API, refresh."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse

import pytest

import smartcar_native as smartcar
from conftest import CLIENT_ID, REDIRECT_URI, assert_no_secrets

SCOPE = ["required:read_odometer", "read_vehicle_info"]
MILES_PER_KM = 0.621371


def _query(url: str) -> dict:
    parts = urllib.parse.urlsplit(url)
    return dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def test_whole_flow(emu, auth):
    # 1. Connect URL
    url, state = auth.get_auth_url_with_state(SCOPE)
    assert url.startswith(emu.url + "/oauth/authorize?")
    q = _query(url)
    assert q["response_type"] == "code"
    assert q["client_id"] == CLIENT_ID
    assert q["redirect_uri"] == REDIRECT_URI
    assert q["scope"] == "required:read_odometer read_vehicle_info"
    assert q["approval_prompt"] == "auto"
    assert q["mode"] == "live"
    assert q["state"] == state
    assert re.fullmatch(r"[0-9a-f]{32}", state)
    assert auth.get_auth_url(SCOPE, {"state": "fixed"}) != url

    # 2. the owner approves; the app parses the redirect
    location = emu.connect(url, "approve", "owner@example.com")
    assert location.startswith(REDIRECT_URI + "?")
    redirect = smartcar.parse_redirect(location, expected_state=state)
    assert isinstance(redirect, smartcar.Redirect)
    assert redirect.code and redirect.state == state
    # the query string alone works too
    again = smartcar.parse_redirect(urllib.parse.urlsplit(location).query)
    assert again.code == redirect.code

    # 3. code -> tokens
    before = _utcnow()
    access = auth.exchange_code(redirect.code)
    after = _utcnow()
    assert isinstance(access, smartcar.Access)
    assert access.token_type == "Bearer"
    assert access.expires_in == 7200 and isinstance(access.expires_in, int)
    assert access.access_token and access.refresh_token
    assert access.access_token != access.refresh_token
    assert isinstance(access.expiration, dt.datetime)
    assert access.expiration.tzinfo is None
    slack = dt.timedelta(seconds=5)
    assert (
        before + dt.timedelta(seconds=7200) - slack
        <= access.expiration
        <= after + dt.timedelta(seconds=7200) + slack
    )
    assert (
        before + dt.timedelta(days=60) - slack
        <= access.refresh_expiration
        <= after + dt.timedelta(days=60) + slack
    )

    # 4. user and vehicles
    user = smartcar.get_user(access.access_token)
    assert isinstance(user, smartcar.User)
    assert isinstance(user.id, str) and user.id
    assert user.meta.request_id

    vehicles = smartcar.get_vehicles(access.access_token)
    assert isinstance(vehicles, smartcar.Vehicles)
    assert len(vehicles.vehicles) == 3
    assert vehicles.paging == smartcar.Paging(count=3, offset=0)
    assert isinstance(vehicles.paging.count, int)
    assert vehicles.meta.request_id

    page = smartcar.get_vehicles(
        access.access_token, paging={"limit": 2, "offset": 1}
    )
    assert page.vehicles == vehicles.vehicles[1:3]
    assert page.paging.offset == 1
    assert page.paging.count == 3
    page = smartcar.get_vehicles(access.access_token, {"limit": 1})
    assert page.vehicles == vehicles.vehicles[:1]

    # 5. odometer, metric then imperial
    vid = vehicles.vehicles[0]
    metric = smartcar.Vehicle(vid, access.access_token).odometer()
    imperial = smartcar.Vehicle(
        vid, access.access_token, {"unit_system": "imperial"}
    ).odometer()
    assert isinstance(metric, smartcar.Odometer)
    assert isinstance(metric.distance, (int, float)) and metric.distance > 0
    assert imperial.distance == pytest.approx(
        metric.distance * MILES_PER_KM, rel=1e-3
    )
    assert metric.meta.unit_system == "metric"
    assert imperial.meta.unit_system == "imperial"
    for m in (metric.meta, imperial.meta):
        assert isinstance(m, smartcar.Meta)
        assert m.request_id and m.data_age
    assert metric.meta.request_id != imperial.meta.request_id

    # 6. refresh: tokens rotate
    renewed = auth.exchange_refresh_token(access.refresh_token)
    assert renewed.refresh_token != access.refresh_token
    assert renewed.access_token != access.access_token
    assert smartcar.get_user(renewed.access_token).id == user.id

    # 7. past the grace period the used refresh token is refused
    emu.advance(61)
    with pytest.raises(smartcar.OAuthError) as info:
        auth.exchange_refresh_token(access.refresh_token)
    assert info.value.error == "invalid_grant"
    assert info.value.status_code == 400
    assert isinstance(info.value, smartcar.SmartcarException)
    assert_no_secrets(
        info.value,
        access.refresh_token,
        access.access_token,
        renewed.refresh_token,
        renewed.access_token,
        redirect.code,
        "emulator-client-secret",
    )

    # 8. the new refresh token works
    third = auth.exchange_refresh_token(renewed.refresh_token)
    assert third.refresh_token not in (access.refresh_token,
                                       renewed.refresh_token)
    assert smartcar.get_user(third.access_token).id == user.id


def test_flags_are_accepted(emu, auth, access):
    renewed = auth.exchange_refresh_token(
        access.refresh_token, {"flags": {"country": "DE", "beta": True}}
    )
    vid = smartcar.get_vehicles(renewed.access_token).vehicles[0]
    odo = smartcar.Vehicle(
        vid, renewed.access_token, {"flags": {"beta": True}, "version": "2.0"}
    ).odometer()
    assert odo.distance > 0


def test_single_select_vin_limits_grant(emu, auth):
    from conftest import authorize

    first = smartcar.get_vehicles(
        auth.exchange_code(authorize(emu, auth)).access_token
    )
    assert len(first.vehicles) == 3
    code = authorize(emu, auth, options={"single_select": {"enabled": True}})
    only = smartcar.get_vehicles(auth.exchange_code(code).access_token)
    assert len(only.vehicles) == 1


@pytest.mark.parametrize("redirect_uri", [
    "sc8229df9f-91a0-4ff0-a1ae-a1f38ee24d07://exchange",
    "https://javascript-sdk.smartcar.com/v2/redirect"
    "?app_origin=http://localhost:8000",
])
def test_other_redirect_uris(emu, redirect_uri):
    auth = smartcar.AuthClient(redirect_uri=redirect_uri)
    url, state = auth.get_auth_url_with_state(SCOPE)
    assert _query(url)["redirect_uri"] == redirect_uri
    location = emu.connect(url)
    assert location.startswith(redirect_uri)
    redirect = smartcar.parse_redirect(location, expected_state=state)
    access = auth.exchange_code(redirect.code)
    assert smartcar.get_user(access.access_token).id
    auth.close()


def test_used_refresh_token_within_grace(emu, auth, access):
    first = auth.exchange_refresh_token(access.refresh_token)
    emu.advance(30)
    second = auth.exchange_refresh_token(access.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert smartcar.get_user(second.access_token).id
    emu.advance(31)
    with pytest.raises(smartcar.OAuthError) as info:
        auth.exchange_refresh_token(access.refresh_token)
    assert info.value.error == "invalid_grant"
