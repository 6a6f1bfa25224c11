"""Compatibility (client credentials) and vehicle connections (AMT)."""

from __future__ import annotations

import re

import pytest

import smartcar_native as smartcar
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    MANAGEMENT_TOKEN,
    assert_no_secrets,
)

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _last_request(emu):
    return emu.request("GET", "/_emulator/requests")["requests"][-1]


# -- compatibility --------------------------------------------------------


def test_compatibility_by_vin(cars):
    vin = cars.vehicle("bev").vin().vin
    result = smartcar.get_compatibility(vin, ["read_odometer", "read_fuel"])
    assert isinstance(result, smartcar.CompatibilityV2)
    assert result.compatible is True and result.reason is None
    by_permission = {c.permission: c for c in result.capabilities}
    assert all(isinstance(c, smartcar.Capability)
               for c in result.capabilities)
    odometer = by_permission["read_odometer"]
    assert odometer.capable is True and odometer.reason is None
    assert odometer.endpoint == "/odometer"
    fuel = by_permission["read_fuel"]
    assert fuel.capable is False and fuel.reason == "VEHICLE_NOT_CAPABLE"
    assert result.meta.request_id
    sent = _last_request(cars.emu)
    assert sent["path"] == "/v2.0/compatibility"
    assert sent["query"]["country"] == "US"
    assert sent["query"]["scope"] == "read_odometer read_fuel"


def test_compatibility_unknown_vin(emu):
    result = smartcar.get_compatibility("1HGCM82633A004352",
                                        ["read_odometer"], "CA")
    assert result.compatible is False
    # a Honda: not a make of the emulator's make table
    assert result.reason == "MAKE_NOT_COMPATIBLE"
    assert result.capabilities == []
    assert _last_request(emu)["query"]["country"] == "CA"


def test_compatibility_test_mode(emu, native):
    result = smartcar.get_compatibility(
        "0SCAUDI012FE3B132", ["read_battery", "read_fuel"],
        options={"test_mode_compatibility_level": "fuel"})
    assert result.compatible is True
    capable = {c.permission: c.capable for c in result.capabilities}
    assert capable == {"read_battery": False, "read_fuel": True}
    query = _last_request(emu)["query"]
    assert query["mode"] == "test"
    assert query["test_mode_compatibility_level"] == "fuel"

    result = smartcar.get_compatibility(
        "0SCAUDI012FE3B132", ["read_odometer"],
        options={"mode": "test", "test_mode_compatibility_level":
                 "incompatible", "flags": {"beta": True}})
    assert result.compatible is False
    assert result.reason == "MAKE_NOT_COMPATIBLE"

    with pytest.raises(smartcar.ValidationError) as info:
        smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_odometer"],
                                   options={"mode": "test"})
    assert info.value.detail[0]["field"] == "test_mode_compatibility_level"

    with pytest.warns(DeprecationWarning):
        with pytest.raises(smartcar.ValidationError):
            smartcar.get_compatibility("0SCAUDI012FE3B132",
                                       ["read_odometer"],
                                       options={"test_mode": True})


def test_compatibility_v1(emu):
    result = smartcar.get_compatibility(
        "0SCAUDI012FE3B132", ["read_odometer"],
        options={"version": "1.0", "test_mode_compatibility_level":
                 "compatible"})
    assert isinstance(result, smartcar.CompatibilityV1)
    assert result.compatible is True
    assert _last_request(emu)["path"] == "/v1.0/compatibility"


def test_compatibility_credentials(emu, monkeypatch, native):
    # explicit credentials win over the environment
    monkeypatch.setenv("SMARTCAR_CLIENT_SECRET", "wrong-secret")
    options = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
               "test_mode_compatibility_level": "bev"}
    assert smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_battery"],
                                      options=options).compatible
    sent = _last_request(emu)
    auth = {k.lower(): v for k, v in sent["headers"].items()}["authorization"]
    assert auth.startswith("Basic ")

    with pytest.raises(smartcar.AuthenticationError) as info:
        smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_battery"],
                                   options={"test_mode_compatibility_level":
                                            "bev"})
    assert info.value.status_code == 401
    assert_no_secrets(info.value, "wrong-secret", CLIENT_SECRET)

    monkeypatch.delenv("SMARTCAR_CLIENT_SECRET")
    with pytest.raises(smartcar.InvalidArgumentError) as info:
        smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_battery"])
    assert "SMARTCAR_CLIENT_SECRET" in str(info.value)  # where to give it
    with pytest.raises(smartcar.InvalidArgumentError):  # the id alone
        smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_battery"],
                                   options={"client_id": CLIENT_ID})
    # the one not given: from its variable (a change makes a new client)
    monkeypatch.setenv("SMARTCAR_CLIENT_SECRET", CLIENT_SECRET)
    assert smartcar.get_compatibility(
        "0SCAUDI012FE3B132", ["read_battery"], options={
            "client_id": CLIENT_ID, "test_mode_compatibility_level": "bev"}
    ).compatible
    monkeypatch.delenv("SMARTCAR_CLIENT_SECRET")

    # or a client that has them
    with smartcar.AuthClient(client_secret=CLIENT_SECRET) as auth_client:
        result = smartcar.get_compatibility(
            "0SCAUDI012FE3B132", ["read_battery"],
            options={"client": auth_client,
                     "test_mode_compatibility_level": "bev"})
        assert result.compatible


def test_compatibility_argument_errors(emu):
    with pytest.raises(TypeError):
        smartcar.get_compatibility("0SCAUDI012FE3B132", "read_odometer")
    with pytest.raises(ValueError):
        smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_odometer"],
                                   options={"colour": "red"})
    with pytest.raises(ValueError):
        smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_odometer"],
                                   options={"mode": "production"})
    with pytest.raises(ValueError):
        smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_odometer"],
                                   options={"version": "v2"})
    with pytest.raises(smartcar.ValidationError):
        smartcar.get_compatibility("short", ["read_odometer"])


def test_compatibility_matrix(emu):
    matrix = smartcar.get_compatibility_matrix("US")
    assert isinstance(matrix, smartcar.CompatibilityMatrix)
    assert isinstance(matrix, dict)
    assert "TESLA" in matrix and "FORD" in matrix
    assert all(make == make.upper() for make in matrix)
    assert matrix.meta.request_id
    for rows in matrix.values():
        for row in rows:
            assert isinstance(row, smartcar.CompatibilityMatrixModel)
            assert row.start_year == row.startYear
            assert isinstance(row.model, str)
            assert isinstance(row.start_year, int)
            assert isinstance(row.end_year, int)
            assert row.type in ("ICE", "HEV", "PHEV", "BEV")
            assert row.permissions and row.endpoints

    tesla = smartcar.get_compatibility_matrix(
        "US", {"make": ["TESLA"], "type": "BEV"})
    assert list(tesla) == ["TESLA"]
    query = _last_request(emu)["query"]
    assert query["region"] == "US" and query["make"] == "TESLA"
    assert query["type"] == "BEV"

    # empty lists mean "not given", as the official SDK's `if make:`
    everything = smartcar.get_compatibility_matrix(
        "US", [], {"scope": [], "type": "BEV"})
    query = _last_request(emu)["query"]
    assert "make" not in query and "scope" not in query
    assert "TESLA" in everything

    scoped = smartcar.get_compatibility_matrix(
        "US", {"scope": ["read_engine_oil"]})
    for rows in scoped.values():
        for row in rows:
            assert "read_engine_oil" in row.permissions


# -- connections ----------------------------------------------------------


def test_get_connections(cars):
    result = smartcar.get_connections(MANAGEMENT_TOKEN)
    assert isinstance(result, smartcar.GetConnections)
    assert isinstance(result.paging, smartcar.PagingCursor)
    assert result.paging.cursor is None
    assert sorted(c.vehicle_id for c in result.connections) == \
        sorted(cars.ids)
    for c in result.connections:
        assert isinstance(c, smartcar.Connection)
        assert c.user_id == cars.user_id
        assert ISO.fullmatch(c.connected_at)
    assert result.meta.request_id

    one = smartcar.get_connections(MANAGEMENT_TOKEN,
                                   {"vehicle_id": cars.bev})
    assert [c.vehicle_id for c in one.connections] == [cars.bev]
    mine = smartcar.get_connections(MANAGEMENT_TOKEN,
                                    {"user_id": cars.user_id})
    assert len(mine.connections) == 3
    nobody = smartcar.get_connections(
        MANAGEMENT_TOKEN, {"user_id": "00000000-0000-4000-8000-000000000000"})
    assert nobody.connections == []


def test_get_connections_paging(cars):
    seen = []
    cursor = None
    for _ in range(5):
        page = smartcar.get_connections(MANAGEMENT_TOKEN,
                                        paging={"limit": 1, "cursor": cursor})
        assert len(page.connections) == 1
        seen.append(page.connections[0].vehicle_id)
        cursor = page.paging.cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(cars.ids)
    with pytest.raises(smartcar.ValidationError):
        smartcar.get_connections(MANAGEMENT_TOKEN, paging={"limit": 1000})
    with pytest.raises(ValueError):
        smartcar.get_connections(MANAGEMENT_TOKEN, paging={"offset": 1})


def test_management_bad_token(cars):
    with pytest.raises(smartcar.AuthenticationError) as info:
        smartcar.get_connections("not-the-amt")
    assert info.value.status_code == 401
    assert_no_secrets(info.value, "not-the-amt", MANAGEMENT_TOKEN)
    with pytest.raises(smartcar.AuthenticationError) as info:
        smartcar.delete_connections("not-the-amt", {"vehicle_id": cars.bev})
    assert_no_secrets(info.value, "not-the-amt")


def test_delete_connection_by_vehicle(cars):
    result = smartcar.delete_connections(MANAGEMENT_TOKEN,
                                         {"vehicle_id": cars.phev})
    assert isinstance(result, smartcar.DeleteConnections)
    assert result.connections == [
        smartcar.Connection(vehicle_id=cars.phev, user_id=cars.user_id,
                            connected_at=None)]
    left = smartcar.get_connections(MANAGEMENT_TOKEN).connections
    assert cars.phev not in [c.vehicle_id for c in left]
    with pytest.raises((smartcar.PermissionDeniedError,
                        smartcar.AuthenticationError)):
        cars.vehicle("phev").odometer()
    assert cars.vehicle("ice").odometer().distance > 0


def test_delete_connections_by_user(cars):
    result = smartcar.delete_connections(MANAGEMENT_TOKEN,
                                         {"user_id": cars.user_id})
    assert sorted(c.vehicle_id for c in result.connections) == \
        sorted(cars.ids)
    assert smartcar.get_connections(MANAGEMENT_TOKEN).connections == []


def test_delete_connections_filter_rules(cars):
    with pytest.raises(smartcar.InvalidArgumentError) as info:
        smartcar.delete_connections(
            MANAGEMENT_TOKEN,
            {"user_id": cars.user_id, "vehicle_id": cars.bev})
    assert isinstance(info.value, ValueError)
    assert "not both" in str(info.value)
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.delete_connections(MANAGEMENT_TOKEN, {})
    with pytest.raises(ValueError):
        smartcar.delete_connections(MANAGEMENT_TOKEN, {"mode": "live"})
    with pytest.raises(TypeError):
        smartcar.delete_connections(MANAGEMENT_TOKEN, {"user_id": 5})
    # nothing was deleted
    assert len(smartcar.get_connections(MANAGEMENT_TOKEN).connections) == 3
