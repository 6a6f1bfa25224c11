"""The endpoint table's binding columns (sc_endpoint_info) and the Vehicle
methods generated from them agree: every call about a vehicle on API v2 is
a method taking the table's positional arguments and returning its
result type."""

import inspect
import typing

import pytest

import smartcar_native as smartcar
from smartcar_native import _core, aio


def test_columns_of_one_line():
    info = _core.endpoint_info("send_destination")
    assert info is not None
    assert info.items() >= {
        "method": "POST", "kind": "command", "result": "Action",
        "path": "/vehicles/{vehicle_id}/navigation/destination",
        "args": "latitude:number longitude:number", "vehicle": "1",
    }.items()
    assert _core.endpoint_info("odometer")["batch_name"] == "odometer"
    assert _core.endpoint_info("no_such_call") is None
    with pytest.raises(TypeError):
        _core.endpoint_info(3)  # type: ignore[arg-type]


def _vehicle_calls():
    for name in _core.endpoints():
        info = _core.endpoint_info(name)
        assert info is not None and info["doc"]
        if info["vehicle"] == "1" and info["host"] == "api":
            yield name, info


@pytest.mark.parametrize("cls", [smartcar.Vehicle, aio.AsyncVehicle])
def test_every_vehicle_call_is_a_method_with_the_table_arguments(cls):
    names = []
    for name, info in _vehicle_calls():
        method = getattr(cls, name)
        params = list(inspect.signature(method).parameters)[1:]
        assert params == [w.split(":")[0].split(">")[0]
                          for w in info["args"].split()], name
        hints = typing.get_type_hints(method)
        result = hints["return"]
        if hasattr(smartcar, info["result"]):
            assert result is getattr(smartcar, info["result"]), name
        assert method.__doc__, name
        names.append(name)
    assert {"odometer", "lock", "send_destination", "unsubscribe",
            "request", "batch"} <= set(names)


def test_arguments_are_checked_before_anything_is_sent():
    car = smartcar.Vehicle("veh-1", "tok-1")
    with pytest.raises(TypeError):
        car.set_charge_limit("0.8")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        car.subscribe(5)  # type: ignore[arg-type]
    plan = car.plan("unsubscribe", {"amt": "amt-1", "webhook_id": "wh-1"})
    assert plan.params["management_token"] == "amt-1"
    assert plan.params["webhook_id"] == "wh-1"


def test_plans_made_from_the_table_take_its_arguments_by_position_or_name():
    car = smartcar.Vehicle("veh-1", "tok-1")
    # the table's argument list, with its parameter names where they differ
    assert list(inspect.signature(car._plan_unsubscribe).parameters) == [
        "amt", "webhook_id"]
    by_position = car._plan_unsubscribe("amt-1", "wh-1")
    by_name = car._plan_unsubscribe(webhook_id="wh-1", amt="amt-1")
    assert by_position == by_name
    assert by_name.endpoint == "unsubscribe"
    assert by_name.params["management_token"] == "amt-1"
    assert car._plan_odometer().params.keys() == car.plan(
        "odometer").params.keys()
    # a missing, extra or unknown argument, or a wrong type: TypeError
    for args, kwargs in (((), {"amt": "amt-1"}),
                         (("amt-1", "wh-1", "x"), {}),
                         (("amt-1",), {"webhook": "wh-1"}),
                         (("amt-1", 5), {})):
        with pytest.raises(TypeError):
            car._plan_unsubscribe(*args, **kwargs)
    with pytest.raises(TypeError):
        car.plan("set_charge_limit", {"limit": 0.5, "extra": 1})
