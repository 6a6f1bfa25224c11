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
    # ours: paging, expiry, v3
    "iter_vehicles": ["access_token", "page_size", "progress"],
    "iter_connections": ["amt", "filter", "page_size", "options",
                         "progress"],
    "is_expired": ["expiration", "leeway"],
    "get_app_token": ["options"],
}
# Ours, beyond the official SDK.
OUR_VEHICLE_METHODS = {
    "iter_permissions": ["page_size"],
}
VEHICLE_V3_METHODS = {
    "get_vehicle": [],
    "get_signals": ["page", "page_size"],
    "get_signal": ["code"],
    "iter_signals": ["page_size"],
}
TOKEN_STORE_METHODS = {
    "put": ["key", "access"],
    "get": ["key"],
    "delete": ["key"],
    "refresh": ["key", "client"],
    "close": [],
}
# The result types: their fields, then meta (every one ends with it).
RESULTS = {
    "Vin": ("vin",),
    "Charge": ("is_plugged_in", "state"),
    "Battery": ("percent_remaining", "range"),
    "BatteryCapacity": ("capacity",),
    "NominalCapcity": ("availableCapacities", "capacity", "url"),
    "Fuel": ("range", "percent_remaining", "amount_remaining"),
    "TirePressure": ("front_left", "front_right", "back_left", "back_right"),
    "EngineOil": ("life_remaining",),
    "Odometer": ("distance",),
    "Location": ("latitude", "longitude"),
    "Attributes": ("id", "make", "model", "year"),
    "Permissions": ("permissions", "paging"),
    "ChargeLimit": ("limit",),
    "LockStatus": ("is_locked", "doors", "windows", "sunroof", "storage",
                   "charging_port"),
    "ServiceHistory": ("items",),
    "DiagnosticSystemStatus": ("systems",),
    "DiagnosticTroubleCodes": ("active_codes",),
    "Action": ("status", "message"),
    "Status": ("status",),
    "Subscribe": ("webhook_id", "vehicle_id"),
    "Response": ("body",),
    "CompatibilityV1": ("compatible",),
    "CompatibilityV2": ("compatible", "reason", "capabilities"),
    "GetConnections": ("connections", "paging"),
    "DeleteConnections": ("connections",),
    # ours
    "VehicleInfo": ("id", "make", "model", "year", "powertrain_type", "mode",
                    "attributes"),
    "Signal": ("code", "name", "group", "status", "value", "unit", "body",
               "error", "retrieved_at", "oem_updated_at"),
    "Signals": ("signals", "paging", "links", "vehicle"),
}
# The types without meta: parts of results, the app token, a page's info.
PARTS = {
    "AvailableCapacity": ("capacity", "description"),
    "DiagnosticSystem": ("system_id", "status", "description"),
    "DiagnosticTroubleCode": ("code", "timestamp"),
    "Capability": ("permission", "endpoint", "capable", "reason"),
    "CompatibilityMatrixModel": ("model", "startYear", "endYear", "type",
                                 "endpoints", "permissions"),
    "Connection": ("vehicle_id", "user_id", "connected_at"),
    "PagingCursor": ("cursor",),
    # ours
    "AppToken": ("access_token", "token_type", "expires_in", "expiration"),
    "PageInfo": ("page", "page_size", "total_count"),
}
TUPLES = dict(PARTS, **{name: fields + ("meta",)
                        for name, fields in RESULTS.items()})


def _params(fn) -> list:
    return [p for p in inspect.signature(fn).parameters if p != "self"]


@pytest.mark.parametrize("name,args", sorted(VEHICLE_METHODS.items()))
def test_vehicle_methods(name, args):
    method = getattr(smartcar.Vehicle, name)
    assert _params(method) == args
    assert method.__doc__ and method.__doc__.strip()


@pytest.mark.parametrize("cls,name,args", [
    (cls, name, args)
    for cls, table in (("Vehicle", OUR_VEHICLE_METHODS),
                       ("VehicleV3", VEHICLE_V3_METHODS),
                       ("TokenStore", TOKEN_STORE_METHODS))
    for name, args in sorted(table.items())
])
def test_our_methods(cls, name, args):
    method = getattr(getattr(smartcar, cls), name)
    assert _params(method) == args
    assert method.__doc__ and method.__doc__.strip()
    assert cls in smartcar.__all__


def test_constructors():
    assert _params(smartcar.Vehicle.__init__) == [
        "vehicle_id", "access_token", "options", "store", "key"]
    assert _params(smartcar.VehicleV3.__init__) == [
        "vehicle_id", "user_id", "access_token", "options", "store", "key"]
    assert _params(smartcar.TokenStore.__init__) == ["path"]
    exchange = inspect.signature(smartcar.AuthClient.exchange_code)
    assert exchange.parameters["store"].kind is inspect.Parameter.KEYWORD_ONLY
    assert exchange.parameters["key"].kind is inspect.Parameter.KEYWORD_ONLY


def test_token_helpers_on_tuples():
    for method in ("is_expired", "refresh_is_expired"):
        assert getattr(smartcar.Access, method).__doc__
    assert smartcar.AppToken.is_expired.__doc__
    assert issubclass(smartcar.StorageError, OSError)
    assert smartcar.errors.exception_class("storage") is smartcar.StorageError


def test_aio_module_is_documented():
    from smartcar_native import aio

    assert aio.__doc__
    assert "No call of this\nmodule starts a thread" in aio.__doc__
    for name in aio.__all__:
        assert getattr(aio, name).__doc__, name


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
    module, classes = set(), {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            module.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            module.add(node.target.id)
        elif isinstance(node, ast.ClassDef):
            module.add(node.name)
            classes[node.name] = {n.name for n in node.body
                                  if isinstance(n, ast.FunctionDef)}
    return module, classes


def test_core_stub_covers_the_extension():
    module, classes = _stub_names()
    public = {n for n in dir(_core) if not n.startswith("_")}
    assert public - module <= set(), sorted(public - module)
    for name in ("Client", "TokenStore", "Op"):
        methods = {n for n in dir(getattr(_core, name))
                   if not n.startswith("_")}
        assert methods - classes[name] == set(), (name,
                                                  sorted(methods
                                                         - classes[name]))
    assert (PACKAGE / "py.typed").exists()
