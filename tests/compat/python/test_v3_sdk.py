"""The official Python SDK's v3 calls against the emulator:
``smartcar.smartcar.get_vehicle``, ``Vehicle.get_signals`` and
``Vehicle.get_signal``, reaching it only through the SDK's documented
``SMARTCAR_VEHICLE_API_V3_ORIGIN`` (compat_env sets it before the import).

The SDK reads single resources at the top level (no ``data`` wrapper) and
returns ``requests``' case-insensitive mapping of every response header.
"""
import json
import os
import re

import pytest
import requests.structures

from compat_env import BASE, ROOT, Owner, control
import smartcar

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{12}$")
# the signals of the emulator's ICE vehicle, in code order
with open(os.path.join(ROOT, "tests", "data", "ice_signal_codes.json")) as f:
    CODES = json.load(f)


def v3_paths():
    """The /v3 paths the emulator has seen since the last clear."""
    seen = control("GET", "/_emulator/requests").json()["requests"]
    return [r["path"] for r in seen if r["path"].startswith("/v3/")]


def signal_value(response):
    return response["body"]["attributes"]["body"]["value"]


def test_the_v3_origin_comes_from_the_documented_variable():
    assert os.environ["SMARTCAR_VEHICLE_API_V3_ORIGIN"] == BASE
    assert smartcar.config.VEHICLE_API_ORIGIN == BASE


def test_get_vehicle(owner):
    vid = owner.by_kind["bev"]
    control("DELETE", "/_emulator/requests")
    res = smartcar.smartcar.get_vehicle(owner.token, vid)
    assert v3_paths() == ["/v3/vehicles/" + vid]
    assert set(res) == {"body", "headers"}
    body = res["body"]
    assert "data" not in body  # the resource at the top level
    assert body["id"] == vid and body["type"] == "vehicle"
    v2 = owner.vehicle("bev").attributes()
    attrs = body["attributes"]
    assert (attrs["make"], attrs["model"], attrs["year"]) == \
        (v2.make, v2.model, v2.year) == ("TESLA", "Model 3", 2020)
    assert attrs["powertrainType"] == "BEV"
    assert body["links"]["self"] == "/vehicles/" + vid
    headers = res["headers"]
    assert isinstance(headers, requests.structures.CaseInsensitiveDict)
    assert UUID.match(headers["SC-Request-Id"])
    assert headers["sc-request-id"] == headers["SC-Request-Id"]
    assert headers["content-type"].startswith("application/json")


def test_get_signals(owner):
    car = owner.vehicle("ice")
    res = car.get_signals()
    body = res["body"]
    assert sorted(s["attributes"]["code"] for s in body["data"]) == CODES
    assert body["meta"]["totalCount"] == len(CODES)
    assert body["included"]["vehicle"]["id"] == owner.by_kind["ice"]
    by_code = {s["id"]: s for s in body["data"]}
    odometer = by_code["odometer-traveleddistance"]["attributes"]
    assert odometer["status"]["value"] == "SUCCESS"
    assert odometer["body"]["unit"] == "kilometers"
    assert odometer["body"]["value"] == pytest.approx(
        car.odometer().distance, abs=0.1)
    fuel = by_code["internalcombustionengine-fuellevel"]["attributes"]
    assert fuel["body"]["value"] == pytest.approx(
        car.fuel().percent_remaining * 100, abs=0.01)
    # an ICE car has no traction battery: a per-signal error, not a 4xx
    soc = by_code["tractionbattery-stateofcharge"]["attributes"]
    assert soc["status"] == {"value": "ERROR", "error": {
        "type": "COMPATIBILITY", "code": "VEHICLE_NOT_CAPABLE"}}
    assert "body" not in soc
    meta = by_code["vehicleidentification-vin"]["meta"]
    assert isinstance(meta["retrievedAt"], int)
    assert meta["retrievedAt"] > 1_600_000_000_000  # epoch milliseconds
    assert res["headers"]["SC-Unit-System"] == "metric"


def test_get_signal_follows_the_car(owner):
    car = owner.vehicle("bev")
    car.lock()
    res = car.get_signal("closure-islocked")
    assert "data" not in res["body"]
    assert res["body"]["id"] == "closure-islocked"
    assert res["body"]["attributes"]["group"] == "Closure"
    assert signal_value(res) is True
    car.unlock()
    assert signal_value(car.get_signal("closure-islocked")) is False
    vin = car.get_signal("vehicleidentification-vin")
    assert signal_value(vin) == car.vin().vin
    assert UUID.match(vin["headers"]["sc-request-id"])


def test_get_signal_needs_the_permission():
    owner = Owner(scope=["read_odometer"])
    car = smartcar.Vehicle(owner.ids[0], owner.token)
    assert signal_value(car.get_signal("odometer-traveleddistance")) > 0
    locked = car.get_signal("closure-islocked")["body"]["attributes"]
    assert locked["status"]["value"] == "ERROR"
    assert locked["status"]["error"]["type"] == "PERMISSION"


def test_unknown_signal_is_a_404(owner):
    with pytest.raises(smartcar.SmartcarException) as info:
        owner.vehicle("bev").get_signal("charge-bogus")
    # the SDK keeps a v3 errors[] body as its message
    assert info.value.status_code == 404
    assert "RESOURCE_NOT_FOUND" in info.value.message
