"""pytest fixtures: one smartcar-emulator per session, a clean state per test.

The emulator comes from SMARTCAR_EMULATOR_URL (a running one) or is
started from SMARTCAR_EMULATOR_BIN (default <repo>/build/smartcar-emulator)
with ``--port 0``; its base URL is the first line it prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import os
import pathlib
import socket
import subprocess
import threading
import time
from typing import (Any, Awaitable, Callable, Dict, Iterable, Iterator,
                    List, Optional, Sequence, Tuple)

import pytest

from smartcar_native import testing

REPO = pathlib.Path(__file__).resolve().parents[2]

# The emulator's built-in test application (docs/emulator.md).
CLIENT_ID = testing.CLIENT_ID
CLIENT_SECRET = testing.CLIENT_SECRET
REDIRECT_URI = testing.REDIRECT_URI
OWNER_EMAIL = "owner@example.com"


JSON = (("Content-Type", "application/json"),)


class Handler(http.server.BaseHTTPRequestHandler):
    """Request handler base for the tests' loopback servers: quiet, with
    ``body()`` for the request's body and ``answer()`` for a whole reply."""

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status: int, body: bytes = b"",
               headers: Sequence[Tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def serve(handler: type, path: str = "/") -> Tuple[Any, str]:
    """handler served on a free loopback port by a daemon thread: the
    server (shut it down when done) and its URL, with path."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,),
                     daemon=True).start()
    return server, "http://127.0.0.1:%d%s" % (server.server_port, path)


class HookServer:
    """A loopback webhook endpoint: each POST's body and SC-Signature go
    to ``reply(raw, signature)``, which returns the status and the JSON
    body to answer with (b"" for none); ``lock`` guards what it keeps."""

    path = "/hook"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        outer = self

        class Hook(Handler):
            def do_POST(self) -> None:  # noqa: N802
                status, body = outer.reply(self.body(),
                                           self.headers.get("SC-Signature"))
                self.answer(status, body, JSON if body else ())

        self.server, self.url = serve(Hook, self.path)

    def reply(self, raw: bytes,
              signature: Optional[str]) -> Tuple[int, bytes]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def set_charge_limit_v3(car: Any, percent: int) -> None:
    """A v3 car's charge_set_limit(percent) answers with it and the
    charge-activelimit signal reads it back."""
    limit = car.charge_set_limit(percent)
    assert limit["data"]["attributes"]["parameters"] == {"percent": percent}
    assert car.get_signal("charge-activelimit").value == pytest.approx(percent)


def in_threads(work: Any, count: int, timeout: float = 60) -> list:
    """Runs ``work()`` on ``count`` threads released together (a barrier)
    and waits for them; the exceptions they raised."""
    barrier = threading.Barrier(count)
    failures: list = []

    def run() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # pragma: no cover - reported by caller
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return failures


class Emulator(testing.Emulator):
    """The control API of a running emulator, plus request counting."""

    def clear_requests(self) -> None:
        self.request("DELETE", "/_emulator/requests")

    def count(self, method: str, path_part: str, body_part: str = "") -> int:
        """How many logged requests match method, a piece of the path and
        a piece of the body."""
        return sum(
            1 for r in self.requests()
            if r["method"] == method and path_part in r["path"]
            and body_part in (r.get("body") or "")
        )

    def refreshes(self) -> int:
        """Refresh-token grants the token endpoint received."""
        return self.count("POST", "/oauth/token", "grant_type=refresh_token")


def _start_emulator(*flags: str) -> "tuple[subprocess.Popen, str]":
    binary = os.environ.get("SMARTCAR_EMULATOR_BIN") or str(
        REPO / "build" / "smartcar-emulator"
    )
    emulator = testing.start_emulator(*flags, binary=binary)
    assert emulator.process is not None
    return emulator.process, emulator.url


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    given = os.environ.get("SMARTCAR_EMULATOR_URL")
    if given:
        yield given.rstrip("/")
        return
    proc, url = _start_emulator()
    try:
        emu = Emulator(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                emu.health()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        _stop_emulator(proc)


def _stop_emulator(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def emu(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """A reset emulator, with every SMARTCAR_* variable pointing at it."""
    emu = Emulator(emulator_url)
    for name, value in emu.environment().items():
        monkeypatch.setenv(name, value)
    emu.reset()
    return emu


@pytest.fixture
def native() -> Iterator[None]:
    """smartcar_native.configure(profile="native") for one test: our
    extensions past the official SDK (test-mode compatibility on v2.0,
    retries, cool-downs); back to the official behaviour afterwards."""
    import smartcar_native as smartcar

    smartcar.configure(profile="native")
    yield
    smartcar.configure()


@pytest.fixture
def auth(emu: Emulator) -> Iterator[Any]:
    import smartcar_native as smartcar

    client = smartcar.AuthClient()
    yield client
    client.close()


def authorize(
    emu: Emulator,
    auth: Any,
    scope: Optional[list] = None,
    options: Optional[Dict[str, Any]] = None,
    email: str = OWNER_EMAIL,
) -> str:
    """Run Connect as an approving owner; return the authorization code."""
    import smartcar_native as smartcar

    url, state = auth.get_auth_url_with_state(
        scope or ["required:read_odometer", "read_vehicle_info"], options
    )
    location = emu.connect(url, "approve", email)
    code = smartcar.parse_redirect(location, expected_state=state).code
    assert code
    return code


@pytest.fixture
def access(emu: Emulator, auth: Any) -> Any:
    """A fresh token set for the default owner."""
    return auth.exchange_code(authorize(emu, auth))


def assert_no_secrets(exc: BaseException, *secrets: Optional[str]) -> None:
    """No secret may appear in the message, repr, args or attributes."""
    texts = [str(exc), repr(exc), repr(exc.args)]
    texts += [repr(v) for v in vars(exc).values()]
    for secret in secrets:
        if not secret:
            continue
        for text in texts:
            assert secret not in text, "secret leaked into %r" % text


async def gather_sampling(awaitables: Iterable[Awaitable[Any]],
                          sample: Callable[[], None],
                          interval: float = 0.0) -> List[Any]:
    """Awaits the awaitables together (asyncio.gather) while a task on the
    same loop calls sample() every interval seconds (0: every turn of the
    loop), to see what the loop did meanwhile; their results, in order.
    The sampler is cancelled as soon as the last one is done."""
    async def sampler() -> None:
        while True:
            sample()
            await asyncio.sleep(interval)

    task = asyncio.ensure_future(sampler())
    try:
        return list(await asyncio.gather(*awaitables))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def silent_origin() -> Iterator[str]:
    """An origin that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.05)
    stop = threading.Event()
    held = []

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


# The emulator's application management token (docs/emulator.md).
MANAGEMENT_TOKEN = "emulator-management-token"

# Every permission the Vehicle methods need.
FULL_SCOPE = testing.ALL_SCOPES


class Cars:
    """An owner's fleet shared with every permission: ``bev``, ``phev``
    and ``ice`` vehicle ids, the token set and the user id."""

    def __init__(self, emu: Emulator, access: Any) -> None:
        import smartcar_native as smartcar

        self.emu = emu
        self.access = access
        self.token = access.access_token
        self.user_id = smartcar.get_user(self.token).id
        self.ids = smartcar.get_vehicles(self.token).vehicles
        kinds = {}
        for vid in self.ids:
            kinds[emu.request("GET", "/_emulator/vehicles/" + vid)["kind"]] = vid
        self.bev = kinds["BEV"]
        self.phev = kinds["PHEV"]
        self.ice = kinds["ICE"]

    def vehicle(self, kind: str = "bev", options: Optional[dict] = None
                ) -> Any:
        import smartcar_native as smartcar

        return smartcar.Vehicle(getattr(self, kind), self.token, options)

    def state(self, vid: str, **changes: Any) -> Dict[str, Any]:
        """The emulator's view of a vehicle (after applying changes)."""
        if changes:
            return self.emu.request("POST", "/_emulator/vehicles/" + vid,
                                    changes)["state"]
        return self.emu.request("GET", "/_emulator/vehicles/" + vid)["state"]


@pytest.fixture
def cars(emu: Emulator, auth: Any) -> Cars:
    """A fresh owner token with FULL_SCOPE over the three vehicles."""
    return Cars(emu, auth.exchange_code(authorize(emu, auth, FULL_SCOPE)))
