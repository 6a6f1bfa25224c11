"""Result shapes are declared once (csrc/lib/results.def): the Python
tuples and the LuaLS classes have the declared fields, and live answers of
the emulator carry exactly those fields, nested ones included.

tests/shapes.json is the schema as tools/gen-bindings.py reads it (its
--check keeps it current); tests/lua/shapes_spec.lua makes the same live
checks from Lua."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any, Dict, List

import pytest

import smartcar_native as smartcar
from smartcar_native import types, v2_response

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "tests" / "shapes.json").read_text())
PY = SCHEMA["python"]
LUA = SCHEMA["lua"]

# vehicle calls without arguments, and the emulator vehicle that answers
READS = {
    "attributes": "ice", "vin": "bev", "odometer": "phev",
    "location": "bev", "fuel": "ice", "battery": "bev",
    "battery_capacity": "phev", "nominal_capacity": "bev", "charge": "bev",
    "get_charge_limit": "phev", "engine_oil": "ice", "tire_pressure": "ice",
    "lock_status": "phev", "service_history": "ice",
    "diagnostic_system_status": "ice", "diagnostic_trouble_codes": "phev",
    "permissions": "bev", "lock": "bev", "unlock": "bev",
}


def _lua_classes() -> Dict[str, List[str]]:
    """class -> field names, in order, of the generated LuaLS file."""
    classes: Dict[str, List[str]] = {}
    current: List[str] = []
    text = (REPO / "lua" / "meta" / "smartcar_results.lua").read_text()
    for line in text.splitlines():
        m = re.match(r"---@class smartcar\.(\w+)$", line)
        if m:
            current = classes.setdefault(m.group(1), [])
        m = re.match(r"---@field (\S+) ", line)
        if m:
            current.append(m.group(1))
    return classes


@pytest.mark.parametrize("name", sorted(PY))
def test_python_type_has_the_declared_fields(name):
    shape = PY[name]
    if shape["plain"]:  # annotations of the dicts a result holds
        cls = getattr(v2_response, name)
        assert tuple(cls.__annotations__) == tuple(shape["fields"])
        return
    cls = getattr(types, name)
    if shape["map"]:  # a dict of the values by key, meta an attribute
        assert issubclass(cls, dict)
        assert tuple(cls.__annotations__) == tuple(shape["fields"])
    else:
        assert cls._fields == tuple(shape["fields"])
    assert getattr(smartcar, name) is cls
    assert name in smartcar.__all__
    if shape["official"]:
        assert getattr(v2_response, name) is cls
        assert name in v2_response.__all__
    else:
        assert not hasattr(v2_response, name)


def test_official_nested_types_exist():
    # the official SDK's smartcar.types names and field order
    assert smartcar.Door._fields == ("type", "status")
    for name in ("Window", "Sunroof", "Storage", "ChargingPort"):
        assert getattr(smartcar, name)._fields == ("type", "status")
    assert smartcar.SelectedCapacity._fields == ("nominal", "source")
    assert PY["LockStatus"]["nested"]["doors"] == ["Door", True]


def test_lua_meta_has_the_declared_classes():
    classes = _lua_classes()
    assert set(classes) == set(LUA)
    for name, shape in LUA.items():
        expected = shape["fields"] + (["[string]"] if shape["map"] else [])
        assert sorted(classes[name]) == sorted(expected), name


def test_every_endpoint_result_is_a_shape():
    for endpoint, result in SCHEMA["endpoints"].items():
        assert result, endpoint
        if "python" in result and result["python"] in PY:
            assert hasattr(types, result["python"]), endpoint
        if "lua" in result:
            assert result["lua"] in LUA, endpoint


def check_data(data: Any, shape: str, where: str) -> None:
    """data (libsmartcar's, before conversion) has exactly the declared
    keys of a Python shape: none missing but the optional, none more."""
    declared = PY[shape]
    keys = set(declared["keys"])
    assert isinstance(data, dict), where
    assert set(data) - keys == set(), (where, sorted(set(data) - keys))
    required = keys - set(declared["optional"]) - {"meta"}
    assert required - set(data) == set(), (where, sorted(required - set(data)))
    for key, (inner, is_list) in declared["nested"].items():
        if inner == "Meta" or data.get(key) is None:
            continue
        for i, item in enumerate(data[key] if is_list else [data[key]]):
            check_data(item, inner, "%s.%s[%d]" % (where, key, i))


@pytest.mark.parametrize("endpoint", sorted(READS))
def test_live_answer_has_exactly_the_declared_fields(cars, endpoint):
    vehicle = cars.vehicle(READS[endpoint])
    plan = vehicle.plan(endpoint)
    client = smartcar.default_client()
    # the data every binding gets (Python asks service records verbatim)
    params = {k: v for k, v in plan.params.items() if k != "raw_body"}
    shape = SCHEMA["endpoints"][endpoint]["python"]
    check_data(client.call(plan.endpoint, params), shape, endpoint)
    result = plan.convert(client.call(plan.endpoint, plan.params))
    assert type(result) is getattr(types, shape)
    assert result._fields == tuple(PY[shape]["fields"])


def test_live_module_calls(cars):
    client = smartcar.default_client()
    for endpoint in ("get_user", "get_vehicles"):
        data = client.call(endpoint, {"access_token": cars.token})
        check_data(data, SCHEMA["endpoints"][endpoint]["python"], endpoint)
    data = client.call("exchange_refresh_token",
                       {"refresh_token": cars.access.refresh_token})
    check_data(data, "Access", "exchange_refresh_token")
