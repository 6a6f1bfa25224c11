"""Every Vehicle method against the emulator: types, units, meta, state."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from typing import Any, Dict

import pytest

import smartcar_native as smartcar
from conftest import FULL_SCOPE, assert_no_secrets

NUM = (int, float)
NONE = type(None)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
KM_PER_MILE = 1.609344
L_PER_GALLON = 3.785411784
PSI_PER_KPA = 0.1450377377

# method, vehicle kind, tuple type, {field: type(s)}, unit-bearing
READS = [
    ("vin", "bev", smartcar.Vin, {"vin": str}, False),
    ("charge", "bev", smartcar.Charge,
     {"is_plugged_in": bool, "state": str}, False),
    ("battery", "bev", smartcar.Battery,
     {"percent_remaining": NUM, "range": NUM}, True),
    ("battery_capacity", "phev", smartcar.BatteryCapacity,
     {"capacity": NUM}, False),
    ("nominal_capacity", "bev", smartcar.NominalCapcity,
     {"availableCapacities": list, "capacity": smartcar.SelectedCapacity,
      "url": NONE}, False),
    ("fuel", "ice", smartcar.Fuel,
     {"range": NUM, "percent_remaining": NUM, "amount_remaining": NUM}, True),
    ("tire_pressure", "ice", smartcar.TirePressure,
     {"front_left": NUM, "front_right": NUM, "back_left": NUM,
      "back_right": NUM}, True),
    ("engine_oil", "ice", smartcar.EngineOil, {"life_remaining": NUM}, False),
    ("odometer", "phev", smartcar.Odometer, {"distance": NUM}, True),
    ("location", "bev", smartcar.Location,
     {"latitude": NUM, "longitude": NUM}, False),
    ("attributes", "ice", smartcar.Attributes,
     {"id": str, "make": str, "model": str, "year": int}, False),
    ("permissions", "bev", smartcar.Permissions,
     {"permissions": list, "paging": smartcar.Paging}, False),
    ("get_charge_limit", "phev", smartcar.ChargeLimit, {"limit": NUM}, False),
    ("lock_status", "phev", smartcar.LockStatus,
     {"is_locked": bool, "doors": list, "windows": list, "sunroof": list,
      "storage": list, "charging_port": list}, False),
    ("service_history", "ice", smartcar.ServiceHistory, {"items": list},
     True),
    ("diagnostic_system_status", "ice", smartcar.DiagnosticSystemStatus,
     {"systems": list}, False),
    ("diagnostic_trouble_codes", "phev", smartcar.DiagnosticTroubleCodes,
     {"active_codes": list}, False),
]

# data reads send SC-Data-Age / SC-Fetched-At (not permissions)
NO_DATA_AGE = {"permissions"}


def check_meta(meta: Any, unit: str = None, data: bool = True) -> None:
    assert isinstance(meta, smartcar.Meta)
    assert UUID.fullmatch(meta.request_id)
    if data:
        assert ISO.fullmatch(meta.data_age)
        assert ISO.fullmatch(meta.fetched_at)
        assert meta.unit_system in ("metric", "imperial")
        if unit:
            assert meta.unit_system == unit
    else:
        assert meta.data_age is None and meta.fetched_at is None


# -- reads ----------------------------------------------------------------


@pytest.mark.parametrize("unit", ["metric", "imperial"])
@pytest.mark.parametrize(
    "method,kind,cls,fields,units", READS, ids=[r[0] for r in READS]
)
def test_read(cars, method, kind, cls, fields, units, unit):
    vehicle = cars.vehicle(kind, {"unit_system": unit})
    result = getattr(vehicle, method)()
    assert type(result) is cls
    assert result._fields[-1] == "meta"
    for name, types in fields.items():
        value = getattr(result, name)
        assert isinstance(value, types), (name, value)
        if types is NUM:
            assert not isinstance(value, bool)
    check_meta(result.meta, unit if units else None,
               data=method not in NO_DATA_AGE)


def test_read_values(cars):
    bev = cars.vehicle("bev")
    assert bev.attributes().id == cars.bev
    assert bev.attributes().make == "TESLA"
    assert len(bev.vin().vin) == 17
    assert bev.charge().state in ("CHARGING", "FULLY_CHARGED", "NOT_CHARGING")
    battery = bev.battery()
    assert 0 <= battery.percent_remaining <= 1 and battery.range > 0
    loc = bev.location()
    assert -90 <= loc.latitude <= 90 and -180 <= loc.longitude <= 180

    ice = cars.vehicle("ice")
    assert 0 <= ice.engine_oil().life_remaining <= 1
    assert 0 <= ice.fuel().percent_remaining <= 1
    systems = ice.diagnostic_system_status().systems
    assert systems and all(isinstance(s, smartcar.DiagnosticSystem)
                           for s in systems)
    assert {s.status for s in systems} <= {"OK", "ALERT"}
    assert any(s.system_id == "SYSTEM_TPMS" for s in systems)
    for code in cars.vehicle("phev").diagnostic_trouble_codes().active_codes:
        assert isinstance(code, smartcar.DiagnosticTroubleCode)
        assert isinstance(code.code, str)
        assert code.timestamp is None or ISO.fullmatch(code.timestamp)

    status = cars.vehicle("phev").lock_status()
    for door in status.doors:
        # a named tuple that also reads as the official SDK's dict
        assert isinstance(door, smartcar.Door)
        assert set(door.keys()) == {"type", "status"}
        assert door["status"] == door.status
        assert door.status in ("OPEN", "CLOSED", "UNKNOWN")
        assert door == {"type": door.type, "status": door.status}
    assert [p["type"] for p in status.charging_port] == ["chargingPort"]


def test_nominal_capacity_shapes(cars):
    bev = cars.vehicle("bev").nominal_capacity()
    assert smartcar.NominalCapacity is smartcar.NominalCapcity
    assert bev._fields == ("availableCapacities", "capacity", "url", "meta")
    assert bev.available_capacities is bev.availableCapacities
    for option in bev.availableCapacities:
        assert isinstance(option, smartcar.AvailableCapacity)
        assert isinstance(option.capacity, NUM)
        assert option.description is None or isinstance(option.description,
                                                        str)
    assert bev.capacity["source"] in ("SMARTCAR", "USER_SELECTED")
    assert isinstance(bev.capacity["nominal"], NUM)
    assert bev.url is None
    # undetermined: no capacity, a Connect URL to choose one instead
    phev = cars.vehicle("phev").nominal_capacity()
    assert phev.capacity is None
    assert phev.url.startswith("https://connect.smartcar.com/battery-capacity?")
    assert "vehicle_id=" + cars.phev in phev.url


def _both(cars, kind, method):
    metric = getattr(cars.vehicle(kind), method)()
    imperial = getattr(cars.vehicle(kind, {"unit_system": "imperial"}),
                       method)()
    return metric, imperial


def test_units_convert(cars):
    m, i = _both(cars, "phev", "odometer")
    assert i.distance == pytest.approx(m.distance / KM_PER_MILE, abs=0.01)
    m, i = _both(cars, "ice", "fuel")
    assert i.range == pytest.approx(m.range / KM_PER_MILE, abs=0.2)
    assert i.amount_remaining == pytest.approx(
        m.amount_remaining / L_PER_GALLON, abs=0.02)
    assert i.percent_remaining == m.percent_remaining
    m, i = _both(cars, "bev", "battery")
    assert i.range == pytest.approx(m.range / KM_PER_MILE, abs=0.2)
    assert i.percent_remaining == m.percent_remaining
    m, i = _both(cars, "ice", "tire_pressure")
    assert i.front_left == pytest.approx(m.front_left * PSI_PER_KPA, abs=0.1)
    assert i.back_right == pytest.approx(m.back_right * PSI_PER_KPA, abs=0.1)
    # unit-less values do not change
    m, i = _both(cars, "bev", "location")
    assert (m.latitude, m.longitude) == (i.latitude, i.longitude)
    m, i = _both(cars, "phev", "get_charge_limit")
    assert m.limit == i.limit


def test_set_unit_system(cars):
    vehicle = cars.vehicle("phev")
    metric = vehicle.odometer().distance
    vehicle.set_unit_system("imperial")
    assert vehicle.unit_system == "imperial"
    assert vehicle.odometer().distance == pytest.approx(
        metric / KM_PER_MILE, abs=0.01)
    with pytest.raises(ValueError):
        vehicle.set_unit_system("furlongs")


def test_capability_errors(cars):
    with pytest.raises(smartcar.CompatibilityError) as info:
        cars.vehicle("bev").fuel()
    e = info.value
    assert e.type == "COMPATIBILITY" and e.code == "VEHICLE_NOT_CAPABLE"
    assert e.status_code == 501
    assert_no_secrets(e, cars.token)
    with pytest.raises(smartcar.CompatibilityError):
        cars.vehicle("ice").battery()


def test_permission_error_without_scope(emu, auth):
    from conftest import authorize

    access = auth.exchange_code(authorize(emu, auth, ["read_odometer"]))
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    vehicle = smartcar.Vehicle(vid, access.access_token)
    assert vehicle.odometer().distance > 0
    with pytest.raises(smartcar.PermissionDeniedError) as info:
        vehicle.location()
    assert info.value.status_code == 403
    assert_no_secrets(info.value, access.access_token, access.refresh_token)


# -- permissions paging ---------------------------------------------------


def test_permissions_paging(cars):
    vehicle = cars.vehicle("bev")
    everything = vehicle.permissions()
    assert everything.permissions == FULL_SCOPE
    assert everything.paging == smartcar.Paging(count=len(FULL_SCOPE),
                                                offset=0)
    page = vehicle.permissions({"limit": 2, "offset": 1})
    assert page.permissions == FULL_SCOPE[1:3]
    assert page.paging.count == len(FULL_SCOPE)
    assert page.paging.offset == 1
    past = vehicle.permissions({"offset": 100})
    assert past.permissions == [] and past.paging.offset == 100
    with pytest.raises(smartcar.ValidationError):
        vehicle.permissions({"limit": 51})
    with pytest.raises(TypeError):
        vehicle.permissions({"limit": "2"})
    with pytest.raises(ValueError):
        vehicle.permissions({"page": 2})


# -- service history ------------------------------------------------------


def _last_query(emu, suffix: str) -> Dict[str, str]:
    log = emu.request("GET", "/_emulator/requests")["requests"]
    for entry in reversed(log):
        if entry["path"].endswith(suffix):
            query = entry["query"]
            if isinstance(query, dict):
                return query
            return dict(query)
    raise AssertionError("no request to %s" % suffix)


def test_service_history_dates(cars):
    vehicle = cars.vehicle("ice")
    recent = vehicle.service_history()
    everything = vehicle.service_history("2019-01-01",
                                         dt.date.today().isoformat())
    assert len(everything.items) >= len(recent.items)
    assert len(everything.items) >= 3
    for item in everything.items:
        assert ISO.fullmatch(item["service_date"])
        assert item["service_date"] >= "2019-01-01"
        assert isinstance(item["odometer_distance"], NUM)
        assert isinstance(item["service_tasks"], list)
        # the server's camelCase keys (official SDK), snake_case reads too
        assert set(item["serviceCost"]) == {"totalCost", "currency"}
        assert item["service_cost"]["total_cost"] == \
            item["serviceCost"]["totalCost"]

    # a window holding exactly one record
    first = everything.items[0]["service_date"]
    day = first[:10]
    one = vehicle.service_history(day, day)
    assert [i["service_date"] for i in one.items] == [first]
    query = _last_query(cars.emu, "/service/history")
    assert query.get("startDate") == day and query.get("endDate") == day

    # date and datetime objects
    start = dt.date.fromisoformat(day)
    end = dt.datetime(start.year, start.month, start.day, 23, 59, 59,
                      tzinfo=dt.timezone.utc)
    assert vehicle.service_history(start, end).items == one.items
    query = _last_query(cars.emu, "/service/history")
    assert query.get("endDate") == "%sT23:59:59.000Z" % day

    assert vehicle.service_history("1990-01-01", "1990-12-31").items == []
    with pytest.raises(smartcar.ValidationError) as info:
        vehicle.service_history("2024-13-01")
    assert info.value.detail
    with pytest.raises(TypeError):
        vehicle.service_history(20240101)


def test_service_history_imperial(cars):
    days = ("2019-01-01", dt.date.today().isoformat())
    metric = cars.vehicle("ice").service_history(*days)
    imperial = cars.vehicle("ice", {"unit_system": "imperial"}
                            ).service_history(*days)
    assert imperial.meta.unit_system == "imperial"
    for m, i in zip(metric.items, imperial.items):
        assert i["odometer_distance"] == pytest.approx(
            m["odometer_distance"] / KM_PER_MILE, abs=0.02)


# -- commands -------------------------------------------------------------


def _check_action(action: Any) -> None:
    assert isinstance(action, smartcar.Action)
    assert action.status == "success"
    assert action.message == "Successfully sent request to vehicle"
    check_meta(action.meta, data=False)


def test_lock_unlock(cars):
    vehicle = cars.vehicle("phev")
    _check_action(vehicle.unlock())
    assert vehicle.lock_status().is_locked is False
    assert cars.state(cars.phev)["locked"] is False
    _check_action(vehicle.lock())
    assert vehicle.lock_status().is_locked is True
    assert cars.state(cars.phev)["locked"] is True


def test_charge_limit(cars):
    vehicle = cars.vehicle("bev")
    _check_action(vehicle.set_charge_limit(0.65))
    assert vehicle.get_charge_limit().limit == pytest.approx(0.65)
    _check_action(vehicle.set_charge_limit(1))
    assert vehicle.get_charge_limit().limit == 1
    with pytest.raises(smartcar.ValidationError) as info:
        vehicle.set_charge_limit(0.2)
    assert info.value.status_code == 400
    assert vehicle.get_charge_limit().limit == 1
    for bad in ("0.8", True, None):
        with pytest.raises(TypeError):
            vehicle.set_charge_limit(bad)
    with pytest.raises(ValueError):
        vehicle.set_charge_limit(float("nan"))


def test_start_stop_charge(cars):
    vehicle = cars.vehicle("bev")
    cars.state(cars.bev, plugged_in=False)
    with pytest.raises(smartcar.VehicleStateError) as info:
        vehicle.start_charge()
    assert info.value.code == "CHARGING_PLUG_NOT_CONNECTED"
    assert info.value.status_code == 409

    cars.state(cars.bev, plugged_in=True, percent_remaining=0.4,
               charge_limit=0.9)
    _check_action(vehicle.start_charge())
    charge = vehicle.charge()
    assert charge.is_plugged_in is True and charge.state == "CHARGING"
    _check_action(vehicle.stop_charge())
    assert vehicle.charge().state != "CHARGING"
    assert cars.state(cars.bev)["charging"] is False


def test_send_destination(cars):
    vehicle = cars.vehicle("ice")
    _check_action(vehicle.send_destination(37.7749, -122.4194))
    dest = cars.state(cars.ice)["destination"]
    assert dest == {"latitude": 37.7749, "longitude": -122.4194}
    _check_action(vehicle.send_destination(0, 0))
    assert cars.state(cars.ice)["destination"] == {"latitude": 0,
                                                  "longitude": 0}
    # refused before anything is sent
    with pytest.raises(ValueError):
        vehicle.send_destination(91, 0)
    with pytest.raises(ValueError):
        vehicle.send_destination(0, -181)
    with pytest.raises(TypeError):
        vehicle.send_destination("37.7", 0)
    assert cars.state(cars.ice)["destination"] == {"latitude": 0,
                                                  "longitude": 0}


# -- batch ----------------------------------------------------------------


def test_batch_mixed(cars):
    vehicle = cars.vehicle("bev")
    paths = ["/odometer", "/fuel", "/", "tires/pressure", "/security",
             "/charge/limit", "/diagnostics/dtcs", "/battery/nominal_capacity",
             "/service/history"]
    batch = vehicle.batch(paths)
    assert batch._fields == (
        "odometer", "fuel", "attributes", "tire_pressure", "lock_status",
        "get_charge_limit", "diagnostic_trouble_codes", "nominal_capacity",
        "service_history", "battery_nominal_capacity", "meta")
    # the official SDK's name for that path is there too
    assert batch.battery_nominal_capacity is batch.nominal_capacity
    assert UUID.fullmatch(batch.meta.request_id)

    odometer = batch.odometer()
    assert isinstance(odometer, smartcar.Odometer)
    assert odometer.distance == vehicle.odometer().distance
    check_meta(odometer.meta, "metric")
    assert odometer.meta.request_id == batch.meta.request_id

    with pytest.raises(smartcar.CompatibilityError) as info:
        batch.fuel()
    e = info.value
    assert e.status_code == 501 and e.code == "VEHICLE_NOT_CAPABLE"
    assert e.kind == "api" and e.type == "COMPATIBILITY"
    assert_no_secrets(e, cars.token)
    # each call raises afresh; the other paths stay usable
    with pytest.raises(smartcar.CompatibilityError):
        batch.fuel()

    assert isinstance(batch.attributes(), smartcar.Attributes)
    assert batch.attributes().id == cars.bev
    assert isinstance(batch.tire_pressure(), smartcar.TirePressure)
    assert isinstance(batch.lock_status(), smartcar.LockStatus)
    assert isinstance(batch.get_charge_limit(), smartcar.ChargeLimit)
    assert isinstance(batch.diagnostic_trouble_codes(),
                      smartcar.DiagnosticTroubleCodes)
    assert isinstance(batch.nominal_capacity(), smartcar.NominalCapcity)
    assert isinstance(batch.service_history(), smartcar.ServiceHistory)
    assert batch.odometer.path == "/odometer" and batch.odometer.ok
    assert batch.fuel.code == 501 and not batch.fuel.ok


def test_batch_imperial(cars):
    metric = cars.vehicle("ice").odometer().distance
    batch = cars.vehicle("ice", {"unit_system": "imperial"}).batch(
        ["/odometer", "/fuel", "/battery"])
    assert batch.odometer().distance == pytest.approx(metric / KM_PER_MILE,
                                                      abs=0.01)
    assert batch.odometer().meta.unit_system == "imperial"
    assert isinstance(batch.fuel(), smartcar.Fuel)
    with pytest.raises(smartcar.CompatibilityError):
        batch.battery()


def test_batch_permission_slot(emu, auth):
    from conftest import authorize

    access = auth.exchange_code(authorize(emu, auth, ["read_odometer"]))
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    batch = smartcar.Vehicle(vid, access.access_token).batch(
        ["/odometer", "/location"])
    assert batch.odometer().distance > 0
    with pytest.raises(smartcar.PermissionDeniedError) as info:
        batch.location()
    assert info.value.status_code == 403
    assert_no_secrets(info.value, access.access_token)


def test_batch_argument_errors(cars):
    vehicle = cars.vehicle("bev")
    with pytest.raises(TypeError):
        vehicle.batch("/odometer")
    with pytest.raises(ValueError):
        vehicle.batch([])
    with pytest.raises(ValueError):
        vehicle.batch(["/odo meter"])
    with pytest.raises(smartcar.ValidationError):
        vehicle.batch(["/odometer", "/no/such/path"])


# -- raw request ----------------------------------------------------------


def test_request_raw(cars):
    vehicle = cars.vehicle("phev")
    res = vehicle.request("GET", "odometer")
    assert isinstance(res, smartcar.Response)
    assert set(res.body) == {"distance"}
    check_meta(res.meta, "metric")
    # the body is verbatim: camelCase keys
    assert "isLocked" in vehicle.request("get", "/security").body
    assert vehicle.request("GET", "").body["id"] == cars.phev

    res = vehicle.request("POST", "security", {"action": "UNLOCK"},
                          {"X-Trace": "abc"})
    assert res.body == {"status": "success",
                        "message": "Successfully sent request to vehicle"}
    assert vehicle.lock_status().is_locked is False
    log = cars.emu.request("GET", "/_emulator/requests")["requests"]
    sent = [e for e in log if e["method"] == "POST"
            and e["path"].endswith("/security")][-1]
    headers = {k.lower(): v for k, v in (
        sent["headers"].items() if isinstance(sent["headers"], dict)
        else sent["headers"])}
    assert headers.get("x-trace") == "abc"
    assert headers.get("content-type") == "application/json"

    imperial = cars.vehicle("phev", {"unit_system": "imperial"})
    assert imperial.request("GET", "odometer").meta.unit_system == "imperial"

    with pytest.raises(smartcar.ResourceNotFoundError):
        vehicle.request("GET", "no/such/thing")
    with pytest.raises(ValueError):
        vehicle.request("FETCH", "odometer")
    with pytest.raises(TypeError):
        vehicle.request("POST", "security", {"bad": object()})
    with pytest.raises(TypeError):  # the library checks each header
        vehicle.request("GET", "odometer", headers={"X-On": True})
    with pytest.raises(ValueError):
        vehicle.request("GET", "odometer", headers={"X A": "1"})


def test_request_with_own_authorization(cars):
    vehicle = smartcar.Vehicle(cars.bev, "not-the-token")
    with pytest.raises(smartcar.AuthenticationError):
        vehicle.odometer()
    res = vehicle.request("GET", "odometer",
                          headers={"Authorization": "Bearer " + cars.token})
    assert res.body["distance"] > 0


# -- disconnect -----------------------------------------------------------


def test_disconnect(cars):
    vehicle = cars.vehicle("ice")
    status = vehicle.disconnect()
    assert isinstance(status, smartcar.Status)
    assert status.status == "success"
    with pytest.raises((smartcar.PermissionDeniedError,
                        smartcar.AuthenticationError)) as info:
        vehicle.odometer()
    assert info.value.status_code in (401, 403)
    assert_no_secrets(info.value, cars.token)
    assert cars.ice not in smartcar.get_vehicles(cars.token).vehicles
    # the other vehicles are still shared
    assert cars.vehicle("bev").odometer().distance > 0


# -- options --------------------------------------------------------------


def test_vehicle_options_checked():
    ok = smartcar.Vehicle("v", "t", {
        "timeout_ms": 5000, "connect_timeout_ms": 1000, "max_attempts": 2,
        "retry_deadline_ms": 10000, "rate_policy": "fail",
        "flags": {"country": "DE"}, "version": "2.0"})
    assert ok.flags == "country:DE" and ok.version == "2.0"
    # (rate_policy's value is the library's rule, checked per call: see
    # test_rate_policy_value_is_the_librarys_rule)
    for bad in ({"max_attempts": 0}, {"timeout_ms": -1}):
        with pytest.raises(ValueError):
            smartcar.Vehicle("v", "t", bad)
    for bad in ({"timeout_ms": "5"}, {"max_attempts": True},
                {"client": "client"}):
        with pytest.raises(TypeError):
            smartcar.Vehicle("v", "t", bad)


def test_vehicle_own_client_and_flags(cars):
    with smartcar.Client() as client:
        vehicle = cars.vehicle("bev", {"client": client, "max_attempts": 1,
                                       "flags": {"country": "DE",
                                                 "beta": True}})
        assert vehicle.client is client
        assert vehicle.odometer().distance > 0
        assert client.connections_opened() >= 1
    query = _last_query(cars.emu, "/odometer")
    # keys in byte order (libsmartcar's one order, the same in Lua)
    assert urllib.parse.unquote_plus(query.get("flags", "")) == \
        "beta:true country:DE"
    # an AuthClient works as the client too
    with smartcar.AuthClient() as auth:
        assert cars.vehicle("bev", {"client": auth}).vin().vin


def test_vehicle_version_option(cars):
    vehicle = cars.vehicle("bev", {"version": "1.0"})
    assert vehicle.odometer().distance > 0
    log = cars.emu.request("GET", "/_emulator/requests")["requests"]
    assert log[-1]["path"].startswith("/v1.0/vehicles/")


def test_rate_policy_value_is_the_librarys_rule():
    car = smartcar.Vehicle("vid", "token", {"rate_policy": "sometimes"})
    with pytest.raises(smartcar.InvalidArgumentError) as info:
        car.odometer()
    assert "rate_policy" in str(info.value)
    with pytest.raises(TypeError):
        smartcar.Vehicle("vid", "token", {"rate_policy": 5})


def test_prepared_parameters_follow_changes(cars, monkeypatch):
    """A call without arguments converts the vehicle's parameters once
    (issue 9): what changed since still reaches the next call (the unit
    system, the module's API version, the access token)."""
    from smartcar_native import _module_calls
    monkeypatch.setattr(_module_calls, "_api_version",
                        _module_calls._api_version)
    sent = []
    smartcar.set_debug(lambda direction, line: sent.append(line))
    try:
        car = cars.vehicle("phev")
        metric = car.odometer().distance
        car.set_unit_system("imperial")
        assert car.odometer().distance == pytest.approx(
            metric / KM_PER_MILE, abs=0.01)
        assert "sc-unit-system: imperial" in sent
        smartcar.set_api_version("1.0")
        car.odometer()
        assert any("/v1.0/vehicles/%s/odometer" % car.vehicle_id in line
                   for line in sent)
        monkeypatch.setattr(_module_calls, "_api_version", None)
        car.access_token = "not-" + cars.token
        with pytest.raises(smartcar.AuthenticationError):
            car.odometer()
        car.access_token = cars.token
        assert car.odometer().distance == pytest.approx(
            metric / KM_PER_MILE, abs=0.01)
    finally:
        smartcar.set_debug(None)
