"""The transport under threads: run_many finishes while other threads use
the same client (issue: it hung with a core spinning), and many threads
share a bounded number of connections."""
import threading
from typing import Iterator

import pytest

import smartcar_native as smartcar
from smartcar_native._core import Client

from conftest import JSON, Handler, in_threads, serve

BODY = b'{"distance":1234.5}'
LIMITED = (b'{"type":"RATE_LIMIT","code":"VEHICLE","description":"slow",'
           b'"docURL":null,"statusCode":429,"requestId":"r",'
           b'"resolution":{"type":"RETRY_LATER"}}')


class _Handler(Handler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if "/hot/" in self.path:  # a year-long vehicle cool-down
            self.answer(429, LIMITED, JSON + (("Retry-After", "31536000"),))
        else:
            self.answer(200, BODY, JSON)


@pytest.fixture
def canned() -> Iterator[str]:
    """A loopback server answering every GET with an odometer reading."""
    server, url = serve(_Handler, "")
    yield url
    server.shutdown()
    server.server_close()


def test_run_many_finishes_while_other_threads_use_the_client(
        canned: str) -> None:
    client = Client(api_origin=canned, max_attempts=1, timeout_ms=2000)
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            client.call("odometer", {"vehicle_id": "veh-h",
                                     "access_token": "tok-1"})

    others = [threading.Thread(target=hammer) for _ in range(3)]
    for t in others:
        t.start()
    done: list = []
    calls = [("odometer", {"vehicle_id": "veh-%d" % i,
                           "access_token": "tok-1"}) for i in range(40)]
    runner = threading.Thread(target=lambda: done.append(
        smartcar.run_many(calls, max_in_flight=2, client=client)))
    runner.start()
    # a hang detector, not a timing assertion: 40 calls of at most 2 s
    # each, 2 at a time, end within 40 s whatever the server does
    runner.join(60)
    stop.set()
    for t in others:
        t.join()
    assert not runner.is_alive(), "run_many hung"
    assert [r["distance"] for r in done[0]] == [1234.5] * 40


def test_threads_share_a_bounded_pool(canned: str) -> None:
    client = Client(api_origin=canned, max_attempts=1)

    def work() -> None:
        for _ in range(20):
            client.call("odometer", {"vehicle_id": "veh-1",
                                     "access_token": "tok-1"})

    assert not in_threads(work, 8)
    # 160 calls from 8 threads: at most one connection per thread
    assert client.connections_opened() <= 8


def test_cooldown_capped_by_max_cooldown_ms(canned: str) -> None:
    client = Client(api_origin=canned, max_attempts=1, rate_policy="fail",
                    max_cooldown_ms=5000, connection_pool_size=4)
    params = {"vehicle_id": "hot", "access_token": "tok-1"}
    with pytest.raises(smartcar.SmartcarException):
        client.call("odometer", params)
    # refused locally, for at most the cap, not a year
    with pytest.raises(smartcar.SmartcarException) as refused:
        client.call("odometer", params)
    assert 4 < float(refused.value.retry_after) <= 5
    with pytest.raises(smartcar.SmartcarException):
        Client(max_cooldown_ms=-1)
