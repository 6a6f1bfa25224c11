"""The public surface: official SDK names, stubs and docstrings."""

from __future__ import annotations

import ast
import inspect
import pathlib

import pytest

import smartcar_native as smartcar
from smartcar_native import _core

PACKAGE = pathlib.Path(smartcar.__file__).resolve().parent

# The official SDK's Vehicle methods (6.x) and module functions.
VEHICLE_METHODS = {
    "vin": [], "charge": [], "battery": [], "battery_capacity": [],
    "nominal_capacity": [], "fuel": [], "tire_pressure": [],
    "engine_oil": [], "odometer": [], "location": [], "attributes": [],
    "permissions": ["paging"], "get_charge_limit": [], "lock_status": [],
    "service_history": ["start_date", "end_date"],
    "diagnostic_system_status": [], "diagnostic_trouble_codes": [],
    "lock": [], "unlock": [], "start_charge": [], "stop_charge": [],
    "set_charge_limit": ["limit"],
    "send_destination": ["latitude", "longitude"], "batch": ["paths"],
    "disconnect": [], "subscribe": ["webhook_id"],
    "unsubscribe": ["amt", "webhook_id"],
    "request": ["method", "path", "body", "headers"],
    "set_unit_system": ["unit_system"],
}
FUNCTIONS = {
    "get_user": ["access_token"],
    "get_vehicles": ["access_token", "paging"],
    "get_compatibility": ["vin", "scope", "country", "options"],
    "get_compatibility_matrix": ["region", "make", "options"],
    "hash_challenge": ["amt", "challenge"],
    "verify_payload": ["amt", "signature", "body"],
    "get_connections": ["amt", "filter", "paging", "options"],
    "delete_connections": ["amt", "filter", "options"],
    "get_api_version": [],
    "set_api_version": ["version"],
    "parse_webhook": ["body"],
    "verify_webhook": ["amt", "signature", "body"],
    "run_many": ["calls", "max_in_flight", "progress", "client"],
    "set_debug": ["hook"],
}
TUPLES = {
    "Vin": ("vin", "meta"),
    "Charge": ("is_plugged_in", "state", "meta"),
    "Battery": ("percent_remaining", "range", "meta"),
    "BatteryCapacity": ("capacity", "meta"),
    "AvailableCapacity": ("capacity", "description"),
    "NominalCapcity": ("availableCapacities", "capacity", "url", "meta"),
    "Fuel": ("range", "percent_remaining", "amount_remaining", "meta"),
    "TirePressure": ("front_left", "front_right", "back_left", "back_right",
                     "meta"),
    "EngineOil": ("life_remaining", "meta"),
    "Odometer": ("distance", "meta"),
    "Location": ("latitude", "longitude", "meta"),
    "Attributes": ("id", "make", "model", "year", "meta"),
    "Permissions": ("permissions", "paging", "meta"),
    "ChargeLimit": ("limit", "meta"),
    "LockStatus": ("is_locked", "doors", "windows", "sunroof", "storage",
                   "charging_port", "meta"),
    "ServiceHistory": ("items", "meta"),
    "DiagnosticSystem": ("system_id", "status", "description"),
    "DiagnosticSystemStatus": ("systems", "meta"),
    "DiagnosticTroubleCode": ("code", "timestamp"),
    "DiagnosticTroubleCodes": ("active_codes", "meta"),
    "Action": ("status", "message", "meta"),
    "Status": ("status", "meta"),
    "Subscribe": ("webhook_id", "vehicle_id", "meta"),
    "Response": ("body", "meta"),
    "CompatibilityV1": ("compatible", "meta"),
    "Capability": ("permission", "endpoint", "capable", "reason"),
    "CompatibilityV2": ("compatible", "reason", "capabilities", "meta"),
    "CompatibilityMatrixModel": ("model", "startYear", "endYear", "type",
                                 "endpoints", "permissions"),
    "Connection": ("vehicle_id", "user_id", "connected_at"),
    "PagingCursor": ("cursor",),
    "GetConnections": ("connections", "paging", "meta"),
    "DeleteConnections": ("connections", "meta"),
}


def _params(fn) -> list:
    return [p for p in inspect.signature(fn).parameters if p != "self"]


@pytest.mark.parametrize("name,args", sorted(VEHICLE_METHODS.items()))
def test_vehicle_methods(name, args):
    method = getattr(smartcar.Vehicle, name)
    assert _params(method) == args
    assert method.__doc__ and method.__doc__.strip()


@pytest.mark.parametrize("name,args", sorted(FUNCTIONS.items()))
def test_module_functions(name, args):
    fn = getattr(smartcar, name)
    assert _params(fn) == args
    assert fn.__doc__ and fn.__doc__.strip()


@pytest.mark.parametrize("name,fields", sorted(TUPLES.items()))
def test_named_tuples(name, fields):
    cls = getattr(smartcar, name)
    assert cls._fields == fields
    assert name in smartcar.__all__


def test_aliases():
    assert smartcar.NominalCapacity is smartcar.NominalCapcity
    assert smartcar.CompatibilityMatrixEntry is smartcar.CompatibilityMatrixModel
    assert smartcar.verify_webhook is smartcar.verify_payload
    nominal = smartcar.NominalCapcity([], None, None, smartcar.Meta())
    assert nominal.available_capacities == []
    row = smartcar.CompatibilityMatrixModel("LEAF", 2018, 2022, "BEV", [], [])
    assert (row.start_year, row.end_year) == (2018, 2022)


def test_everything_exported_is_documented():
    for name in smartcar.__all__:
        obj = getattr(smartcar, name)
        if callable(obj) or inspect.ismodule(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name


def _stub_names() -> tuple:
    tree = ast.parse((PACKAGE / "_core.pyi").read_text())
    module, client = set(), set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            module.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            module.add(node.target.id)
        elif isinstance(node, ast.ClassDef):
            module.add(node.name)
            if node.name == "Client":
                client = {n.name for n in node.body
                          if isinstance(n, ast.FunctionDef)}
    return module, client


def test_core_stub_covers_the_extension():
    module, client = _stub_names()
    public = {n for n in dir(_core) if not n.startswith("_")}
    assert public - module <= set(), sorted(public - module)
    methods = {n for n in dir(_core.Client) if not n.startswith("_")}
    assert methods - client == set(), sorted(methods - client)
    assert (PACKAGE / "py.typed").exists()
