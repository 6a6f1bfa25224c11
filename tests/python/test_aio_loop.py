"""aio runs every call on the event loop: module functions, v3
application calls, the auth client's token calls, the token store's
refresh and run_many go through the loop's driver and start no thread;
a stored vehicle refreshes after a 401 inside the awaited call."""

from __future__ import annotations

import asyncio
import threading

import pytest

import smartcar_native as smartcar
from smartcar_native import aio

from conftest import MANAGEMENT_TOKEN, authorize, gather_sampling


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def no_threads(monkeypatch):
    """Starting a thread fails the test; also returns the thread count."""
    def refuse(self, *args, **kwargs):
        raise AssertionError("aio started a thread: %r" % self)

    before = threading.active_count()
    monkeypatch.setattr(threading.Thread, "start", refuse)
    yield before
    assert threading.active_count() == before


def test_a_gather_of_200_calls_starts_no_thread(emu, cars, no_threads):
    car = aio.AsyncVehicle(cars.bev, cars.token)
    v3car = aio.AsyncVehicleV3(cars.bev, access_token=cars.token)
    makers = [
        lambda: aio.get_user(cars.token),
        lambda: aio.get_vehicles(cars.token),
        lambda: car.odometer(),
        lambda: aio.get_connections(MANAGEMENT_TOKEN),
        lambda: v3car.get_vehicle(),
    ]
    counts = []

    results = run(gather_sampling(
        (makers[i % len(makers)]() for i in range(200)),
        lambda: counts.append(threading.active_count())))
    assert len(results) == 200
    assert {r.id for r in results[0::5]} == {cars.user_id}
    assert all(r.vehicles == cars.ids for r in results[1::5])
    assert all(r.distance > 0 for r in results[2::5])
    assert all(len(r.connections) >= 3 for r in results[3::5])
    assert all(r.id == cars.bev for r in results[4::5])
    assert counts and set(counts) == {no_threads}


def test_every_module_twin_on_the_loop(emu, cars, no_threads):
    webhook = "f1b8e0c2-61c2-4a5e-8d1a-2f0a1c3b4d5e"
    emu.request("POST", "/_emulator/webhooks", {
        "webhook_id": "wh-aio", "name": "aio",
        "callback_url": "http://127.0.0.1:9/hooks/wh-aio",
        "enabled": True, "auto_subscribe": False})

    async def main():
        out = {}
        out["user"] = await aio.get_user(cars.token)
        out["vin"] = (await aio.AsyncVehicle(cars.bev, cars.token).vin()).vin
        out["compat"] = await aio.get_compatibility(out["vin"],
                                                    ["read_odometer"])
        out["matrix"] = await aio.get_compatibility_matrix("US")
        out["token"] = await aio.get_app_token()
        out["conns"] = await aio.list_connections({"user_id": cars.user_id})
        first = out["conns"]["data"][0]["id"]
        out["conn"] = await aio.get_connection(first)
        out["made"] = await aio.create_subscription(webhook, cars.user_id,
                                                    cars.bev)
        out["subs"] = await aio.list_subscriptions({"webhook_id": webhook})
        out["walked_subs"] = [s async for s in aio.iter_subscriptions(
            {"webhook_id": webhook}, 1)]
        await aio.delete_subscription(out["subs"]["data"][0]["id"])
        out["hooks"] = await aio.list_webhooks()
        out["walked_hooks"] = [w async for w in aio.iter_webhooks(None, 1)]
        out["hook"] = await aio.get_webhook("wh-aio")
        v3car = aio.AsyncVehicleV3(cars.bev, access_token=cars.token)
        out["signals"] = await v3car.get_signals(page=1, page_size=3)
        out["signal"] = await v3car.get_signal("closure-islocked")
        await aio.delete_connection(first)
        with pytest.raises(smartcar.ResourceNotFoundError):
            await aio.get_connection(first)
        out["deleted"] = await aio.delete_connections(
            MANAGEMENT_TOKEN, {"vehicle_id": cars.phev})
        await aio.delete_user(cars.user_id)
        out["after"] = await aio.list_connections({"user_id": cars.user_id})
        return out

    out = run(main())
    assert out["user"].id == cars.user_id
    assert out["compat"].compatible is True
    assert isinstance(out["matrix"], smartcar.CompatibilityMatrix)
    assert isinstance(out["token"], smartcar.AppToken)
    assert out["conn"]["data"]["relationships"]["user"]["data"]["id"] == \
        cars.user_id
    assert out["made"]["meta"]["message"] == \
        "subscription creation in progress"
    assert [s["id"] for s in out["walked_subs"]] == [
        s["id"] for s in out["subs"]["data"]]
    assert "wh-aio" in [w["id"] for w in out["hooks"]["data"]]
    assert [w["id"] for w in out["walked_hooks"]] == [
        w["id"] for w in out["hooks"]["data"]]
    assert out["hook"]["data"]["id"] == "wh-aio"
    assert len(out["signals"].signals) == 3
    assert out["signal"].value is True
    assert [c.vehicle_id for c in out["deleted"].connections] == [cars.phev]
    assert out["after"]["data"] == []


def test_auth_calls_and_store_refresh_on_the_loop(emu, no_threads):
    async def main():
        async with aio.AsyncAuthClient() as auth:
            code = authorize(emu, auth.sync)
            store = aio.AsyncTokenStore()
            access = await auth.exchange_code(code, store=store, key="me")
            fresh = await auth.exchange_refresh_token(access.refresh_token)
            await store.put("me", fresh)
            again = await store.refresh("me", auth)
            saved = await store.get("me")
            with pytest.raises(smartcar.NotFoundError):
                await store.refresh("nobody", auth)
            with pytest.raises(smartcar.SmartcarException):
                await auth.exchange_refresh_token("not-a-refresh-token")
            store.close()
            return access, fresh, again, saved

    access, fresh, again, saved = run(main())
    assert fresh.refresh_token != access.refresh_token
    assert again.refresh_token != fresh.refresh_token
    assert saved == again
    assert emu.refreshes() >= 2


def refused(emu, auth, store):
    """A stored set whose access token the server no longer takes, though
    its expiration says it is fresh; the vehicle's id."""
    access = auth.exchange_code(authorize(emu, auth))
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    store.put("owner", access)
    emu.advance(7300)  # the server sees the access token as expired
    emu.clear_requests()
    return access, vid


def test_a_stored_vehicle_refreshes_after_a_401(emu, auth, no_threads):
    store = aio.AsyncTokenStore()
    access, vid = refused(emu, auth, store.sync)
    car = aio.AsyncVehicle(vid, store=store, key="owner",
                           options={"client": auth})
    assert run(car.odometer()).distance > 0
    assert emu.refreshes() == 1
    assert [r["status"] for r in emu.requests()
            if r["path"].endswith("/odometer")] == [401, 200]
    assert store.sync.get("owner").refresh_token != access.refresh_token
    store.close()


def test_stored_v3_calls_and_run_many_refresh_once_after_a_401(
        emu, auth, no_threads):
    store = aio.AsyncTokenStore()
    access, vid = refused(emu, auth, store.sync)
    car = aio.AsyncVehicle(vid, store=store, key="owner",
                           options={"client": auth})

    async def main():
        many = await aio.run_many([(car, "odometer")] * 4 +
                                  [(car, "attributes")], max_in_flight=5)
        v3car = aio.AsyncVehicleV3(vid, store=store, key="owner",
                                   options={"client": auth})
        return many, await v3car.get_vehicle()

    many, info = run(main())
    assert all(r.distance > 0 for r in many[:4]) and many[4].id == vid
    assert info.id == vid
    assert emu.refreshes() == 1
    statuses = [r["status"] for r in emu.requests()
                if r["path"].endswith("/odometer")]
    assert statuses.count(200) == 4 and 1 <= statuses.count(401) <= 4
    store.close()


def test_run_many_progress_and_limits_on_the_loop(emu, cars, no_threads):
    car = aio.AsyncVehicle(cars.bev, cars.token)
    seen = []

    async def main():
        return await aio.run_many(
            [(car, "odometer"), ("get_user", {"access_token": cars.token}),
             (car, "fuel")],
            max_in_flight=1,
            progress=lambda i, done, total: seen.append((done, total)))

    odometer, user, failure = run(main())
    assert odometer.distance > 0 and user["id"] == cars.user_id
    assert isinstance(failure, smartcar.CompatibilityError)
    assert seen == [(1, 3), (2, 3), (3, 3)]

    def broken(*args):
        raise RuntimeError("progress broke")

    with pytest.raises(RuntimeError, match="progress broke"):
        run(aio.run_many([(car, "odometer")] * 2, progress=broken))
    with pytest.raises(smartcar.InvalidArgumentError):
        run(aio.run_many([(car, "no_such_method")]))
    with pytest.raises(smartcar.InvalidArgumentError):
        run(aio.run_many([(car, "odometer")], max_in_flight=0))


def test_v3_connections_walk_on_the_loop(emu, cars, no_threads):
    query = {"user_id": cars.user_id}
    expected = [c["id"] for c in smartcar.v3.iter_connections(query, 2)]

    async def main():
        return [c["id"] async for c in aio.iter_v3_connections(query, 2)]

    assert run(main()) == expected and len(expected) >= 3


def test_cancelling_replayed_calls_and_run_many(emu, cars, no_threads):
    emu.request("POST", "/_emulator/faults", {
        "match": {"method": "GET", "path": "/v2.0/user"},
        "count": 2, "fault": {"type": "latency", "ms": 2000}})
    car = aio.AsyncVehicle(cars.bev, cars.token)

    async def main():
        slow = asyncio.ensure_future(aio.get_user(cars.token))
        many = asyncio.ensure_future(aio.run_many(
            [("get_user", {"access_token": cars.token}),
             (car, "odometer")], progress=True))
        await asyncio.sleep(0.2)
        slow.cancel()
        many.cancel()
        for task in (slow, many):
            with pytest.raises(asyncio.CancelledError):
                await task
        # the cancelled calls are gone; the next ones still run
        return (await aio.get_user(cars.token),
                await aio.run_many([(car, "odometer")], progress=True))

    user, (odometer,) = run(main())
    assert user.id == cars.user_id and odometer.distance > 0


def test_set_executor_is_kept_but_unused(emu, cars):
    """The thread-pool era's set_executor/get_executor still exist for
    programs that call them: a DeprecationWarning, the executor kept, a
    wrong type refused, and no call submitted to it."""
    import concurrent.futures
    import warnings
    from smartcar_native import aio

    class Counting(concurrent.futures.ThreadPoolExecutor):
        submitted = 0

        def submit(self, *a, **k):  # type: ignore[override]
            Counting.submitted += 1
            return super().submit(*a, **k)

    with pytest.raises(TypeError):
        aio.set_executor(object())  # type: ignore[arg-type]
    pool = Counting(max_workers=1)
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            aio.set_executor(pool)
        assert any(issubclass(w.category, DeprecationWarning) for w in seen)
        assert aio.get_executor() is pool
        user = asyncio.run(aio.get_user(cars.token))
        assert user.id
        assert Counting.submitted == 0
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            aio.set_executor(None)
        pool.shutdown()
    assert aio.get_executor() is None


def test_bursts_on_a_warm_pool_open_no_connection(emu, cars):
    """A burst of N calls on a client whose pool holds N idle connections
    opens none, however its starts and answers interleave: gathers on
    one loop, on a new loop (its driver takes the client's pooled
    connections) and aio.run_many.  Counts only, no timing."""
    n = 300
    client = smartcar.Client()
    cars_ = [aio.AsyncVehicle(vid, cars.token, {"client": client})
             for vid in (cars.ids * n)[:n]]
    # run_many has no start budget: every call on the wire at once, on
    # a connection of its own
    warm = smartcar.run_many([(car.sync, "odometer") for car in cars_],
                             max_in_flight=n)
    assert all(r.distance > 0 for r in warm)
    assert client.connections_opened() == n

    async def gathers():
        for _ in range(2):  # the loop's driver starts a few per turn
            readings = await asyncio.gather(*(c.odometer() for c in cars_))
            assert all(r.distance > 0 for r in readings)

    run(gathers())
    assert client.connections_opened() == n
    run(gathers())
    many = run(aio.run_many([(car, "odometer") for car in cars_],
                            max_in_flight=n))
    assert all(r.distance > 0 for r in many)
    assert client.connections_opened() == n
    client.close()


def test_per_socket_watching_where_the_driver_has_no_descriptor(
        emu, cars, monkeypatch):
    """Where the C driver offers no single descriptor (no epoll: macOS),
    the loop follows each socket with add_reader/add_writer; here the
    descriptor is hidden to take that path on Linux too."""
    from smartcar_native import _core

    class NoDescriptor:
        def __init__(self, *args):
            self.core = _core.Async(*args)

        def fileno(self):
            return -1

        def __getattr__(self, name):
            return getattr(self.core, name)

    monkeypatch.setattr(aio, "Async", NoDescriptor)

    async def main():
        car = aio.AsyncVehicle(cars.bev, cars.token)
        readings = await asyncio.gather(*(car.odometer() for _ in range(20)))
        pages = [v async for v in aio.iter_vehicles(cars.token, 1)]
        many = await aio.run_many([(car, "odometer")] * 5, max_in_flight=2)
        return readings, pages, many

    readings, pages, many = run(main())
    assert all(r.distance > 0 for r in readings)
    assert pages == cars.ids
    assert all(r.distance > 0 for r in many)
