"""run_many / Client.call_many, and the debug hook."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, List, Tuple

import pytest

import smartcar_native as smartcar
from smartcar_native import _core
from conftest import assert_no_secrets, in_threads


def _inject_latency(emu, ms: int, count: int, path: str) -> None:
    emu.request("POST", "/_emulator/faults", {
        "match": {"method": "GET", "path": path},
        "count": count,
        "fault": {"type": "latency", "ms": ms},
    })


@pytest.fixture
def no_faults(emu):
    emu.request("DELETE", "/_emulator/faults")
    yield
    emu.request("DELETE", "/_emulator/faults")


# -- run_many -------------------------------------------------------------


def test_run_many_order_progress_and_error_slot(cars):
    bev, phev, ice = (cars.vehicle(k) for k in ("bev", "phev", "ice"))
    calls = [
        (bev, "odometer"),
        (ice, "fuel", {}),
        (bev, "fuel"),  # 501 on the electric car
        ("vin", {"vehicle_id": cars.phev, "access_token": cars.token}),
        (phev, "set_charge_limit", {"limit": 0.75}),
        (ice, "service_history", {"start_date": "2019-01-01"}),
        (bev, "batch", {"paths": ["/odometer", "/fuel"]}),
    ]
    seen: List[Tuple[int, int, int]] = []
    results = smartcar.run_many(calls, progress=lambda *a: seen.append(a))

    assert len(results) == len(calls)
    assert isinstance(results[0], smartcar.Odometer)
    assert results[0].distance == bev.odometer().distance
    assert isinstance(results[1], smartcar.Fuel)
    assert isinstance(results[2], smartcar.CompatibilityError)
    assert results[2].status_code == 501
    assert_no_secrets(results[2], cars.token)
    # an (endpoint, params) call gives the data dict
    assert isinstance(results[3], dict)
    assert results[3]["vin"] == phev.vin().vin
    assert results[3]["meta"]["request_id"]
    assert isinstance(results[4], smartcar.Action)
    assert phev.get_charge_limit().limit == pytest.approx(0.75)
    assert isinstance(results[5], smartcar.ServiceHistory)
    assert results[6].odometer().distance == results[0].distance
    with pytest.raises(smartcar.CompatibilityError):
        results[6].fuel()

    # one progress call per finished call, done counting up
    assert sorted(i for i, _, _ in seen) == list(range(len(calls)))
    assert [d for _, d, _ in seen] == list(range(1, len(calls) + 1))
    assert {t for _, _, t in seen} == {len(calls)}


@pytest.mark.parametrize("max_in_flight", [1, 2, 4])
def test_run_many_in_flight(cars, max_in_flight):
    # Every request in flight at once needs its own connection; one after
    # another they share one.  (Timing would measure the emulator, whose
    # latency faults hold one of its few threads.)
    with smartcar.Client() as client:
        vehicle = cars.vehicle("ice", {"client": client})
        results = smartcar.run_many([(vehicle, "odometer")] * 4,
                                    max_in_flight=max_in_flight)
        assert all(isinstance(r, smartcar.Odometer) for r in results)
        assert client.connections_opened() == max_in_flight


def test_run_many_waits_for_slow_answers(cars, no_faults):
    _inject_latency(cars.emu, 150, 3, "/v2.0/vehicles/*/vin")
    start = time.monotonic()
    results = smartcar.run_many([(cars.vehicle("bev"), "vin")] * 3,
                                max_in_flight=1)
    assert all(isinstance(r, smartcar.Vin) for r in results)
    assert time.monotonic() - start >= 0.4


def test_run_many_empty_and_argument_errors(cars):
    assert smartcar.run_many([]) == []
    vehicle = cars.vehicle("bev")
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.run_many([(vehicle, "no_such_method")])
    with pytest.raises(TypeError):
        smartcar.run_many([(vehicle, "set_charge_limit", {"limit": "x"})])
    with pytest.raises(TypeError):
        smartcar.run_many([(vehicle, "odometer", {"unexpected": 1})])
    with pytest.raises(TypeError):
        smartcar.run_many(["odometer"])
    with pytest.raises(ValueError):
        smartcar.run_many([(vehicle, "odometer")], max_in_flight=0)
    with pytest.raises(TypeError):
        smartcar.run_many([(vehicle, "odometer")], progress=5)
    log = cars.emu.request("GET", "/_emulator/requests")["requests"]
    assert not any(e["path"].endswith("/odometer") for e in log)


def test_run_many_progress_exception(cars):
    calls = [(cars.vehicle("bev"), "odometer")] * 3
    seen = []

    def progress(index, done, total):
        seen.append(index)
        raise RuntimeError("stop it")

    with pytest.raises(RuntimeError, match="stop it"):
        smartcar.run_many(calls, progress=progress)
    assert len(seen) == 1  # not called again after it raised


def test_run_many_vehicles_with_their_own_clients(cars):
    with smartcar.Client() as mine:
        own = cars.vehicle("bev", {"client": mine})
        shared = cars.vehicle("phev")
        results = smartcar.run_many([(own, "vin"), (shared, "vin"),
                                     (own, "odometer")])
        assert [type(r) for r in results] == [
            smartcar.Vin, smartcar.Vin, smartcar.Odometer]
        assert results[0].vin != results[1].vin


# -- Client.call_many -----------------------------------------------------


def test_call_many_raw(cars):
    params = {"vehicle_id": cars.bev, "access_token": cars.token}
    with smartcar.Client() as client:
        out = client.call_many([
            ("odometer", params),
            ("no_such_endpoint", params),
            ("fuel", params),
            ["vin", params],
            ("odometer", {"vehicle_id": cars.bev}),  # no token
        ], max_in_flight=2)
    assert out[0]["distance"] > 0
    assert isinstance(out[1], smartcar.InvalidArgumentError)
    assert isinstance(out[2], smartcar.CompatibilityError)
    assert out[2].code == "VEHICLE_NOT_CAPABLE"
    assert len(out[3]["vin"]) == 17
    assert isinstance(out[4], smartcar.InvalidArgumentError)
    for item in out:
        if isinstance(item, BaseException):
            assert_no_secrets(item, cars.token)


def test_call_many_argument_errors():
    with _core.Client() as client:
        assert client.call_many([]) == []
        with pytest.raises(TypeError):
            client.call_many("odometer")
        with pytest.raises(TypeError):
            client.call_many([("odometer",)])
        with pytest.raises(TypeError):
            client.call_many([(1, {})])
        with pytest.raises(TypeError):
            client.call_many([("odometer", {"limit": 1.5})])
        with pytest.raises(ValueError):
            client.call_many([("odometer", {})], max_in_flight=0)
        with pytest.raises(TypeError):
            client.call_many([("odometer", {})], progress="no")
    with pytest.raises(ValueError):
        client.call_many([("odometer", {})])


def test_call_many_releases_the_gil(cars, no_faults):
    _inject_latency(cars.emu, 400, 2, "/v2.0/vehicles/*/odometer")
    params = {"vehicle_id": cars.ice, "access_token": cars.token}
    ticks = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.005)

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        out = smartcar.default_client().call_many([("odometer", params)] * 2)
    finally:
        stop.set()
        thread.join()
    assert all(r["distance"] > 0 for r in out)
    assert ticks > 20  # the other thread ran during the 400 ms


# -- debug hook -----------------------------------------------------------


def test_client_debug_hook(cars):
    lines: List[Tuple[str, str]] = []
    with _core.Client(debug=lambda d, line: lines.append((d, line))) as c:
        assert c.debug is not None
        c.call("odometer", {"vehicle_id": cars.bev,
                            "access_token": cars.token})
    sent = [line for d, line in lines if d == ">"]
    got = [line for d, line in lines if d == "<"]
    assert sent[0].startswith("GET ") and sent[0].endswith("/odometer")
    assert any(line.startswith("Authorization: Bearer [REDACTED]")
               for line in sent)
    assert got[0] == "HTTP 200"
    assert any('"distance"' in line for line in got)
    assert all(cars.token not in line for _, line in lines)


def test_set_debug_module_level(cars, native):
    lines: List[Tuple[str, str]] = []
    smartcar.set_debug(lambda d, line: lines.append((d, line)))
    try:
        assert smartcar.get_debug() is not None
        cars.vehicle("bev").vin()
        assert any(line.endswith("/vin") for _, line in lines)
        # code exchanges are redacted too
        n = len(lines)
        smartcar.get_compatibility("0SCAUDI012FE3B132", ["read_odometer"],
                                   options={"test_mode_compatibility_level":
                                            "compatible"})
        assert len(lines) > n
        assert all("emulator-client-secret" not in line for _, line in lines)
    finally:
        smartcar.set_debug(None)
    n = len(lines)
    cars.vehicle("bev").vin()
    assert len(lines) == n
    assert smartcar.get_debug() is None


def test_debug_hook_from_other_threads(cars):
    lines = []
    lock = threading.Lock()

    def hook(direction: str, line: str) -> None:
        with lock:
            lines.append((threading.get_ident(), line))

    with _core.Client(debug=hook) as client:
        params = {"vehicle_id": cars.bev, "access_token": cars.token}

        # all 4 alive until each has called: a finished thread's ident
        # may be given to the next one
        together = threading.Barrier(4)

        def work() -> None:
            client.call("vin", params)
            together.wait()

        assert not in_threads(work, 4)
        # and from call_many, on the calling thread
        client.call_many([("odometer", params)] * 3)
    idents = {i for i, _ in lines}
    assert len(idents) >= 4
    assert sum(1 for _, line in lines if line == "HTTP 200") == 7


def test_debug_hook_errors_do_not_break_calls(cars, monkeypatch):
    caught: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", caught.append)

    def broken(direction: str, line: str) -> None:
        raise ValueError("hook failed")

    with _core.Client(debug=broken) as client:
        data = client.call("odometer", {"vehicle_id": cars.bev,
                                        "access_token": cars.token})
    assert data["distance"] > 0
    assert caught and isinstance(caught[0].exc_value, ValueError)


def test_debug_hook_argument_errors():
    with pytest.raises(TypeError):
        _core.Client(debug=42)
    with _core.Client() as client:
        assert client.debug is None
        with pytest.raises(TypeError):
            client.set_debug("print")
        client.set_debug(print)
        assert client.debug is print
        client.set_debug(None)
        assert client.debug is None
    with pytest.raises(TypeError):
        smartcar.set_debug(42)


def test_debug_hook_cycle_is_collected():
    import gc
    import weakref

    class Owner:
        pass

    owner = Owner()
    owner.client = _core.Client(debug=lambda d, line: owner)
    ref = weakref.ref(owner.client)
    del owner
    gc.collect()
    assert ref() is None
