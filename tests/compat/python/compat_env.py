"""Points the official `smartcar` Python SDK at a smartcar-emulator.

The SDK reads its origins from the environment when it is imported, so
this module settles the emulator URL and the variables before it imports
`smartcar`:
SMARTCAR_EMULATOR_URL names a running emulator; without it one is started
from SMARTCAR_EMULATOR_BIN (default build/smartcar-emulator) for the
session and stopped at the end.
"""
import atexit
import os
import subprocess
import uuid
from urllib.parse import parse_qs, urlparse

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CLIENT_ID = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
CLIENT_SECRET = "emulator-client-secret"
REDIRECT_URI = "http://localhost:8000/callback"
AMT = "emulator-management-token"


def _start_emulator():
    url = os.environ.get("SMARTCAR_EMULATOR_URL")
    if url:
        return url.rstrip("/")
    binary = os.environ.get(
        "SMARTCAR_EMULATOR_BIN", os.path.join(ROOT, "build", "smartcar-emulator")
    )
    proc = subprocess.Popen(
        [binary, "--port", "0", "--seed", "11"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    atexit.register(proc.terminate)
    line = proc.stdout.readline().strip()
    if not line.startswith("http"):
        raise RuntimeError(f"emulator did not start ({binary})")
    return line


BASE = _start_emulator()
os.environ.update(
    {
        "SMARTCAR_API_ORIGIN": BASE,
        # the Python SDK takes the complete token URL (spec section 0)
        "SMARTCAR_AUTH_ORIGIN": BASE + "/oauth/token",
        "SMARTCAR_CONNECT_ORIGIN": BASE,
        "SMARTCAR_MANAGEMENT_API_ORIGIN": BASE,
        # v3 (get_vehicle, get_signals): the Python SDK's variable
        "SMARTCAR_VEHICLE_API_V3_ORIGIN": BASE,
        "SMARTCAR_CLIENT_ID": CLIENT_ID,
        "SMARTCAR_CLIENT_SECRET": CLIENT_SECRET,
        "SMARTCAR_REDIRECT_URI": REDIRECT_URI,
    }
)

import smartcar  # noqa: E402  (after the environment is set)

# every permission the emulator knows (run.sh puts smartcar_native on
# PYTHONPATH beside the official SDK)
from smartcar_native.testing import ALL_SCOPES  # noqa: E402
KINDS = {"TESLA": "bev", "TOYOTA": "phev", "FORD": "ice"}


def control(method, path, **kw):
    return requests.request(method, BASE + path, timeout=30, **kw)


def approve(auth_url, email, action="approve"):
    """Runs Connect through the control API; returns the redirect query."""
    r = control("POST", "/_emulator/connect",
                json={"authorize_url": auth_url, "action": action,
                      "email": email})
    assert r.status_code == 200, r.text
    return parse_qs(urlparse(r.json()["location"]).query)


class Owner:
    """A fresh vehicle owner who connected all three cars."""

    def __init__(self, scope=None, mode="test"):
        self.email = f"compat-{uuid.uuid4().hex[:12]}@example.com"
        self.client = smartcar.AuthClient(mode=mode)
        url = self.client.get_auth_url(scope or ALL_SCOPES)
        code = approve(url, self.email)["code"][0]
        self.access = self.client.exchange_code(code)
        self.token = self.access.access_token
        self.ids = smartcar.get_vehicles(self.token).vehicles
        self.by_kind = {}
        if scope is None or "read_vehicle_info" in scope:
            for vid in self.ids:
                make = smartcar.Vehicle(vid, self.token).attributes().make
                self.by_kind[KINDS.get(make, make)] = vid

    def vehicle(self, kind, **options):
        return smartcar.Vehicle(self.by_kind[kind], self.token, options or None)
