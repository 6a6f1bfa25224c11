"""aio's paging iterators: ``async for`` walks the pages on the event
loop's driver, with the library's stop rules (the blocking iterators'
rules: a short page, a repeated cursor, links.next, the total)."""

from __future__ import annotations

import asyncio
import json
import urllib.parse

import pytest

import smartcar_native as smartcar
from smartcar_native import aio

from conftest import JSON, MANAGEMENT_TOKEN, Handler, serve


def run(coro):
    return asyncio.run(coro)


async def collect(items):
    return [item async for item in items]


def paths(emu, suffix):
    return [(r["path"], r["query"]) for r in emu.requests()
            if r["method"] == "GET" and r["path"].endswith(suffix)]


def test_async_iterators_match_the_blocking_ones(emu, cars):
    car = cars.vehicle("bev")
    acar = aio.AsyncVehicle(cars.bev, cars.token)
    v3car = aio.AsyncVehicleV3(cars.bev, access_token=cars.token)
    walks = [
        ("/vehicles", lambda: smartcar.iter_vehicles(cars.token, 1),
         lambda: aio.iter_vehicles(cars.token, 1)),
        ("/permissions", lambda: car.iter_permissions(4),
         lambda: acar.iter_permissions(4)),
        ("/management/connections",
         lambda: smartcar.iter_connections(MANAGEMENT_TOKEN, None, 2),
         lambda: aio.iter_connections(MANAGEMENT_TOKEN, None, 2)),
        ("/signals", lambda: v3car.sync.iter_signals(5),
         lambda: v3car.iter_signals(5)),
    ]
    for suffix, blocking, awaited in walks:
        emu.clear_requests()
        # signals differ in their reading times: compare their codes
        expected = [getattr(x, "code", x) for x in blocking()]
        sent = paths(emu, suffix)
        emu.clear_requests()
        got = run(collect(awaited()))
        assert [getattr(x, "code", x) for x in got] == expected, suffix
        # the same pages asked for, in the same order
        assert paths(emu, suffix) == sent, suffix
        assert len(sent) > 1, suffix


def test_errors_and_bad_arguments(emu, cars):
    with pytest.raises(smartcar.InvalidArgumentError):
        aio.iter_vehicles(cars.token, 0)

    async def bad_token():
        return [v async for v in aio.iter_vehicles("not-a-token", 1)]

    with pytest.raises(smartcar.AuthenticationError):
        run(bad_token())


class _Pages(Handler):
    """Offset pages of permissions (a count that never ends them) and
    connections whose cursor repeats."""

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.server.seen.append((url.path, query))  # type: ignore
        if url.path.endswith("/permissions"):
            offset = int(query.get("offset", "0"))
            # 2 + 2 + 1: the third page is short, though count says 99
            items = ["p%d" % i for i in range(offset, min(offset + 2, 5))]
            body = {"permissions": items,
                    "paging": {"count": 99, "offset": offset}}
        else:
            cursor = {None: "c1", "c1": "c2", "c2": "c1"}[query.get("cursor")]
            body = {"connections": [{"vehicleId": "v-" + cursor,
                                     "userId": "u",
                                     "connectedAt": "2024-01-01T00:00:00Z"}],
                    "paging": {"cursor": cursor}}
        self.answer(200, json.dumps(body).encode(), JSON)


@pytest.fixture
def pages_server():
    server, url = serve(_Pages, "")
    server.seen = []
    client = smartcar.Client(api_origin=url, management_origin=url)
    yield server, client
    client.close()
    server.shutdown()


def test_a_short_page_is_the_last(pages_server):
    server, client = pages_server
    car = aio.AsyncVehicle("v1", "token", {"client": client})
    assert run(collect(car.iter_permissions(2))) == [
        "p0", "p1", "p2", "p3", "p4"]
    assert [q["offset"] for _, q in server.seen] == ["0", "2", "4"]


def test_a_repeated_cursor_ends_the_walk(pages_server):
    server, client = pages_server
    got = run(collect(aio.iter_connections(
        MANAGEMENT_TOKEN, None, 1, {"client": client})))
    # c1, c2, then c1 again: the third page is not followed further
    assert [c.vehicle_id for c in got] == ["v-c1", "v-c2", "v-c1"]
    assert [q.get("cursor") for _, q in server.seen] == [None, "c1", "c2"]


def test_leaving_early_stops_the_walk(pages_server):
    server, client = pages_server
    car = aio.AsyncVehicle("v1", "token", {"client": client})

    async def first():
        items = car.iter_permissions(2)
        async for item in items:
            await items.aclose()
            return item

    assert run(first()) == "p0"
    assert len(server.seen) <= 3

