"""Test your application against smartcar-emulator: a pytest plugin.

Load it with ``pytest -p smartcar_native.testing`` (or
``pytest_plugins = ["smartcar_native.testing"]`` in a conftest.py) and
take the ``smartcar_emulator`` fixture::

    def test_odometer(smartcar_emulator):
        client = smartcar.AuthClient()          # variables point at it
        code = smartcar_emulator.approve(["read_odometer"])
        access = client.exchange_code(code)
        vid = smartcar.get_vehicles(access.access_token).vehicles[0]
        before = smartcar.Vehicle(vid, access.access_token).odometer()
        smartcar_emulator.advance(3600)         # an hour of driving
        ...

One emulator runs per test session (``--port 0``, so parallel runs never
collide); each test gets it reset, with ``SMARTCAR_*`` origins and the
emulator's test application's credentials in the environment (restored
afterwards).  The binary is ``$SMARTCAR_EMULATOR_BIN``, else
``smartcar-emulator`` on ``PATH`` (``cmake --install`` puts it there);
``$SMARTCAR_EMULATOR_URL`` uses an emulator that is already running.

:class:`Emulator` and :func:`start_emulator` work without pytest too
(notebooks, scripts).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Sequence

from . import _core
from ._shared_clients import ORIGIN_VARIABLES

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "REDIRECT_URI",
    "MANAGEMENT_TOKEN",
    "Emulator",
    "start_emulator",
    "find_emulator",
    "ALL_SCOPES",
    "pytest_configure",
]

#: the emulator's built-in test application (docs/emulator.md)
CLIENT_ID = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
CLIENT_SECRET = "emulator-client-secret"
REDIRECT_URI = "http://localhost:8000/callback"
MANAGEMENT_TOKEN = "emulator-management-token"

# loopback control traffic never goes through a proxy from the env
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Emulator:
    """A running smartcar-emulator: its ``url`` and its control API."""

    def __init__(self, url: str,
                 process: Optional["subprocess.Popen[bytes]"] = None) -> None:
        self.url: str = url.rstrip("/")
        self.process: Optional["subprocess.Popen[bytes]"] = process

    def __repr__(self) -> str:
        return "Emulator(%r)" % self.url

    def request(self, method: str, path: str,
                body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Call the control API (``/_emulator/...``); the decoded JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        try:
            with _OPENER.open(req, timeout=10) as resp:
                out: Dict[str, Any] = json.loads(resp.read().decode() or "{}")
                return out
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise AssertionError("emulator %s %s -> %s: %s"
                                 % (method, path, exc.code, detail)) from None

    # -- state and clock --------------------------------------------------

    def health(self) -> Dict[str, Any]:
        return self.request("GET", "/_emulator/health")

    def reset(self) -> None:
        """Forget every owner, token, connection, fault and request."""
        self.request("POST", "/_emulator/reset")

    def clock(self) -> Dict[str, Any]:
        """The emulator's clock (``{"now": unix seconds, ...}``)."""
        return self.request("GET", "/_emulator/clock")

    def advance(self, seconds: float) -> Dict[str, Any]:
        """Move the clock forward: vehicles drive and charge meanwhile,
        tokens age."""
        return self.request("POST", "/_emulator/clock", {"advance": seconds})

    def set_clock(self, unix_seconds: float) -> Dict[str, Any]:
        return self.request("POST", "/_emulator/clock", {"set": unix_seconds})

    def freeze(self, frozen: bool = True) -> Dict[str, Any]:
        """Stop (or restart) the clock following real time."""
        return self.request("POST", "/_emulator/clock", {"freeze": frozen})

    def vehicle(self, vehicle_id: str, **state: Any) -> Dict[str, Any]:
        """A vehicle's state; with ``state`` (``driving=True``,
        ``speed_kmh=60``, ``plugged_in=True``, ``percent_remaining=0.3``
        ...), set it first (docs/emulator.md lists the fields)."""
        return self.request("POST" if state else "GET", "/_emulator/vehicles/"
                            + urllib.request.quote(vehicle_id), state or None)

    def requests(self) -> List[Dict[str, Any]]:
        """The emulator's request log, oldest first."""
        return list(self.request("GET", "/_emulator/requests")["requests"])

    def fault(self, fault: Dict[str, Any], path: str, count: int = 1,
              method: str = "GET") -> None:
        """Make the next ``count`` requests to ``path`` fail
        (``{"type": "rate_limit", "retry_after": 2}``...)."""
        self.request("POST", "/_emulator/faults", {
            "match": {"method": method, "path": path},
            "count": count, "fault": fault})

    # -- owners -------------------------------------------------------------

    def environment(self) -> Dict[str, str]:
        """The ``SMARTCAR_*`` variables that aim the SDK here, with the
        emulator's test application's credentials."""
        env = {name: self.url for name in ORIGIN_VARIABLES
               if name.endswith("_ORIGIN")}
        env.update(SMARTCAR_CLIENT_ID=CLIENT_ID,
                   SMARTCAR_CLIENT_SECRET=CLIENT_SECRET,
                   SMARTCAR_REDIRECT_URI=REDIRECT_URI)
        return env

    def connect(self, authorize_url: str, action: str = "approve",
                email: str = "owner@example.com") -> str:
        """Play the vehicle owner in Connect on ``authorize_url``; the
        redirect URL Connect answers with."""
        out = self.request("POST", "/_emulator/connect", {
            "authorize_url": authorize_url, "action": action,
            "email": email})
        return str(out["location"])

    def approve(self, scope: Optional[Sequence[str]] = None,
                email: str = "owner@example.com", mode: str = "test",
                client: Any = None) -> str:
        """An owner (``email``) approves ``scope`` (default: every read
        and command) in Connect; the authorization code to exchange.

        ``client`` is the :class:`~smartcar_native.AuthClient` whose
        Connect URL is used (default: one for the emulator's test
        application)."""
        from . import AuthClient, parse_redirect

        if client is None:
            client = AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
                                mode=mode, connect_origin=self.url)
        url, state = client.get_auth_url_with_state(
            list(scope) if scope is not None else ALL_SCOPES)
        return parse_redirect(self.connect(url, "approve", email),
                              expected_state=state).code

    def stop(self) -> None:
        """Stop the emulator process (when this object started it)."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


#: every permission the library's endpoint table names, in its order; the
#: emulator knows them all (Connect's default for approve())
ALL_SCOPES: List[str] = list(dict.fromkeys(
    scope for name in _core.endpoints()
    for scope in (_core.endpoint_info(name)["permission"] or "").split()))


def find_emulator() -> str:
    """The smartcar-emulator binary: ``$SMARTCAR_EMULATOR_BIN``, else on
    ``PATH``."""
    binary = os.environ.get("SMARTCAR_EMULATOR_BIN") or \
        shutil.which("smartcar-emulator")
    if not binary or not os.access(binary, os.X_OK):
        raise RuntimeError(
            "smartcar-emulator not found: install it (cmake --install "
            "build) or set SMARTCAR_EMULATOR_BIN (or SMARTCAR_EMULATOR_URL "
            "for one already running)")
    return binary


def _drain(stream: Any) -> None:
    # keep reading so the emulator never blocks on a full stdout pipe
    for _ in iter(stream.readline, b""):
        pass


def start_emulator(*flags: str, binary: Optional[str] = None) -> Emulator:
    """Start smartcar-emulator on a free loopback port (extra command-line
    ``flags`` such as ``"--seed", "5"``); stop it with ``.stop()`` or use
    it as a context manager."""
    proc = subprocess.Popen([binary or find_emulator(), "--port", "0",
                             *flags],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout=15)
    line = proc.stdout.readline().decode().strip() if ready else ""
    if not line.startswith("http"):
        proc.kill()
        proc.wait()
        raise RuntimeError("smartcar-emulator printed no URL (got %r)" % line)
    threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
    return Emulator(line, proc)


# ---------------------------------------------------------------------
# pytest: this module is the plugin; the fixtures are in ._fixtures


def pytest_configure(config: Any) -> None:
    """pytest hook: registers the ``smartcar_emulator`` and
    ``smartcar_emulator_process`` fixtures."""
    config.pluginmanager.import_plugin("smartcar_native._fixtures")
