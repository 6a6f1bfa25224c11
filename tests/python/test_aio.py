"""smartcar_native.aio: the same calls, awaitable, running concurrently
without blocking the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import threading
import time

import pytest

import smartcar_native as smartcar
from smartcar_native import aio

from conftest import (MANAGEMENT_TOKEN, assert_no_secrets, authorize,
                      gather_sampling)

LATENCY_MS = 300


def run(coro):
    return asyncio.run(coro)


def test_module_functions(emu, cars):
    async def main():
        user = await aio.get_user(cars.token)
        vehicles = await aio.get_vehicles(cars.token, {"limit": 2})
        ids = [vid async for vid in aio.iter_vehicles(cars.token, 1)]
        conns = [c async for c in aio.iter_connections(
            MANAGEMENT_TOKEN, {"user_id": cars.user_id}, page_size=2)]
        page = await aio.get_connections(MANAGEMENT_TOKEN,
                                         {"user_id": cars.user_id})
        token = await aio.get_app_token()
        compat = await aio.get_compatibility(
            (await aio.AsyncVehicle(cars.bev, cars.token).vin()).vin,
            ["read_odometer"])
        return user, vehicles, ids, conns, page, token, compat

    user, vehicles, ids, conns, page, token, compat = run(main())
    assert user.id == cars.user_id
    assert vehicles.vehicles == cars.ids[:2]
    assert ids == cars.ids
    assert sorted(c.vehicle_id for c in conns) == sorted(cars.ids)
    assert len(page.connections) == 3
    assert isinstance(token, smartcar.AppToken)
    assert compat.compatible is True


def test_async_vehicle_matches_vehicle(emu, cars):
    sync = cars.vehicle("phev")

    async def main():
        car = aio.AsyncVehicle(cars.phev, cars.token)
        assert car.vehicle_id == cars.phev and car.access_token == cars.token
        car.set_unit_system("imperial")
        return (await car.attributes(), await car.fuel(),
                await car.odometer(),
                [p async for p in car.iter_permissions(5)],
                await car.batch(["/odometer", "/fuel"]),
                await car.lock(), await car.lock_status(),
                await car.request("GET", "vin"))

    attrs, fuel, odometer, perms, batch, action, locks, raw = run(main())
    assert attrs == sync.attributes()._replace(meta=attrs.meta)
    assert fuel.meta.unit_system == "imperial"
    assert odometer.meta.unit_system == "imperial"
    assert sorted(perms) == sorted(sync.permissions().permissions)
    assert batch.odometer().distance > 0
    assert action.status == "success"
    assert locks.is_locked is True
    assert raw.body["vin"] == sync.vin().vin


def test_async_vehicle_has_every_vehicle_method():
    skip = {"plan", "set_unit_system"}
    for name, method in inspect.getmembers(smartcar.Vehicle,
                                           inspect.isfunction):
        if name.startswith("_") or name in skip:
            continue
        mine = getattr(aio.AsyncVehicle, name)
        assert mine.__doc__, name
        sync_params = list(inspect.signature(method).parameters)
        assert list(inspect.signature(mine).parameters) == sync_params, name
        if name.startswith("iter_"):
            assert not inspect.iscoroutinefunction(mine), name
        else:
            assert inspect.iscoroutinefunction(mine), name
    for name in ("get_vehicle", "get_signals", "get_signal"):
        assert inspect.iscoroutinefunction(getattr(aio.AsyncVehicleV3, name))
    for name in aio.__all__:
        obj = getattr(aio, name)
        assert obj.__doc__, name
    for name in ("get_user", "get_vehicles", "get_compatibility",
                 "get_compatibility_matrix", "get_connections",
                 "delete_connections", "get_app_token", "run_many"):
        assert inspect.iscoroutinefunction(getattr(aio, name)), name
        assert (list(inspect.signature(getattr(aio, name)).parameters)
                == list(inspect.signature(getattr(smartcar, name)).parameters))


def test_auth_client_and_store(emu):
    async def main():
        async with aio.AsyncAuthClient() as auth:
            url, state = auth.get_auth_url_with_state(["read_odometer"])
            location = emu.connect(url)
            code = smartcar.parse_redirect(location, state).code
            store = aio.AsyncTokenStore()
            access = await auth.exchange_code(code, store=store, key="me")
            assert await store.get("me") == access
            fresh = await auth.exchange_refresh_token(access.refresh_token)
            await store.put("me", fresh._replace(
                expiration=dt.datetime(2000, 1, 1)))
            vid = (await aio.get_vehicles(fresh.access_token)).vehicles[0]
            car = aio.AsyncVehicle(vid, store=store, key="me",
                                   options={"client": auth})
            odometer = await car.odometer()
            stored = await store.get("me")
            again = await store.refresh("me", auth)
            await store.delete("me")
            with pytest.raises(smartcar.NotFoundError):
                await store.get("me")
            store.close()
            return access, fresh, odometer, stored, again

    access, fresh, odometer, stored, again = run(main())
    assert fresh.refresh_token != access.refresh_token
    assert odometer.distance > 0
    assert stored.refresh_token not in (access.refresh_token,
                                        fresh.refresh_token)
    assert again.refresh_token != stored.refresh_token
    assert emu.refreshes() == 3


def test_errors_propagate_without_secrets(emu, cars):
    bad = "bad-token-for-aio-0000"

    async def main():
        with pytest.raises(smartcar.AuthenticationError) as info:
            await aio.AsyncVehicle(cars.bev, bad).odometer()
        return info.value

    assert_no_secrets(run(main()), bad)


def test_concurrent_reads_overlap_and_keep_the_loop_free(emu, cars):
    emu.request("POST", "/_emulator/faults", {
        "match": {"method": "GET", "path": "/v2.0/vehicles/*/odometer"},
        "count": 8, "fault": {"type": "latency", "ms": LATENCY_MS}})
    # when each request went out and each answer's status line came
    # back, and on which thread
    sent, answered, threads = [], [], set()

    def hook(direction, line):
        threads.add(threading.get_ident())
        now = time.monotonic()
        if direction == ">" and line.startswith("GET "):
            sent.append(now)
        elif direction == "<" and line.startswith("HTTP "):
            answered.append(now)

    client = smartcar.Client(debug=hook)
    cars_ = [aio.AsyncVehicle(vid, cars.token, {"client": client})
             for vid in cars.ids * 3][:8]
    ticks = []

    async def main():
        start = time.monotonic()
        readings = await gather_sampling(
            (car.odometer() for car in cars_),
            lambda: ticks.append(time.monotonic()), 0.01)
        return readings, time.monotonic() - start

    readings, elapsed = run(main())
    assert len(readings) == 8 and all(r.distance > 0 for r in readings)
    # all eight were on the wire at once: each went out before the first
    # answer came back (the server sleeps 300 ms on each), on connections
    # of their own
    assert len(sent) == 8 and len(answered) == 8
    assert max(sent) < min(answered)
    assert client.connections_opened() == 8
    # all on the loop's own thread: no worker threads
    assert threads == {threading.get_ident()}
    # One after the other they take at least 8 x 300 ms; together about
    # 300 ms (bench/aio_gather.py measures it): a generous bound only.
    assert elapsed < 2 * 8 * LATENCY_MS / 1000.0, elapsed
    # the loop kept ticking while the calls waited
    assert len(ticks) >= 0.5 * elapsed / 0.01
    assert all(f["remaining"] == 0 for f in
               emu.request("GET", "/_emulator/faults")["faults"])
    client.close()


def test_run_many(emu, cars):
    async def main():
        car = aio.AsyncVehicle(cars.bev, cars.token)
        sync = cars.vehicle("ice")
        return await aio.run_many([
            (car, "odometer"), (sync, "fuel"),
            ("get_user", {"access_token": cars.token}),
            (car, "fuel"),
        ])

    odometer, fuel, user, failure = run(main())
    assert odometer.distance > 0
    assert fuel.range > 0
    assert user["id"] == cars.user_id
    assert isinstance(failure, smartcar.CompatibilityError)


def test_v3(emu, cars):
    async def main():
        car = aio.AsyncVehicleV3(cars.bev, user_id=cars.user_id)
        info = await car.get_vehicle()
        page = await car.get_signals(page=2, page_size=5)
        one = await car.get_signal("closure-islocked")
        codes = [s.code async for s in car.iter_signals(page_size=4)]
        return info, page, one, codes

    info, page, one, codes = run(main())
    assert info.id == cars.bev
    assert page.paging.page == 2 and len(page.signals) == 5
    assert one.value is True
    assert len(codes) == 12


def test_paging_walks_on_the_loop_thread(emu, cars):
    # the pages of an async iterator are fetched by the loop's driver
    seen = []

    def hook(direction, line):
        seen.append(threading.current_thread())

    client = smartcar.Client(debug=hook)

    async def main():
        car = aio.AsyncVehicle(cars.bev, cars.token, {"client": client})
        return [p async for p in car.iter_permissions(5)]

    assert run(main())
    assert seen and all(t is threading.main_thread() for t in seen)
    client.close()


def test_vehicle_calls_run_on_the_loop_and_cancel(emu, cars):
    emu.request("POST", "/_emulator/faults", {
        "match": {"method": "GET", "path": "/v2.0/vehicles/*/fuel"},
        "count": 1, "fault": {"type": "latency", "ms": 2000}})
    names = []
    client = smartcar.Client(
        debug=lambda d, l: names.append(threading.current_thread().name))

    async def main():
        car = aio.AsyncVehicle(cars.ice, cars.token, {"client": client})
        slow = asyncio.ensure_future(car.fuel())
        await asyncio.sleep(0.2)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        # the cancelled call is gone; the next one still runs
        return await car.odometer()

    assert run(main()).distance > 0
    assert names and set(names) == {threading.current_thread().name}
    client.close()


def test_a_finished_loop_and_its_driver_are_freed(emu, cars):
    import gc
    import weakref

    loops = []

    async def main():
        loops.append(weakref.ref(asyncio.get_running_loop()))
        car = aio.AsyncVehicle(cars.bev, cars.token)
        return await asyncio.gather(car.odometer(), car.vin())

    odometer, vin = run(main())
    assert odometer.distance > 0 and vin.vin
    gc.collect()
    # the driver kept nothing that holds the loop: both went with it
    assert loops[0]() is None
    assert len(aio._drivers) == 0
