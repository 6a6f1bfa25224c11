#!/usr/bin/env python3
"""The whole Smartcar flow, end to end, against a local smartcar-emulator.

1. build the Connect URL and send the owner there;
2. the owner picks a brand, logs in and allows access on the emulator's
   Connect pages (a tiny form-submitting "browser" walks them here);
3. parse the redirect and exchange the code for tokens;
4. list the owner's vehicles and read each odometer;
5. refresh the tokens (the refresh token rotates).

Run it with `bash scripts/demo.sh`, or directly once the project is built:
`.venv/bin/python examples/quickstart.py [emulator-binary]`.
"""

import http.client
import os
import subprocess
import sys
import urllib.parse
from html.parser import HTMLParser

import smartcar_native as smartcar

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The emulator's built-in test application (docs/emulator.md).
CLIENT_ID = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
CLIENT_SECRET = "emulator-client-secret"
REDIRECT_URI = "http://localhost:8000/callback"


def start_emulator(binary, *flags):
    """A smartcar-emulator on a free port (more ``flags`` if given);
    returns (process, base URL)."""
    proc = subprocess.Popen([binary, "--port", "0", "--seed", "42", *flags],
                            stdout=subprocess.PIPE, text=True)
    base = proc.stdout.readline().strip()
    if not base.startswith("http"):
        proc.kill()
        sys.exit("smartcar-emulator did not start")
    return proc, base


class _Form(HTMLParser):
    """The first form of a page: where it goes and the fields it sends."""

    def __init__(self):
        super().__init__()
        self.action, self.method, self.fields, self._in = None, "get", [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action, self.method = a.get("action"), a.get("method", "get")
            self._in = True
        elif tag == "input" and self._in and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in = False


def _request(base, method, path, body=None):
    """One HTTP exchange, redirects not followed (the last one goes to the
    app's REDIRECT_URI, which is not running here)."""
    host = urllib.parse.urlsplit(base).netloc
    conn = http.client.HTTPConnection(host, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    page = resp.read().decode()
    conn.close()
    return resp.status, resp.getheader("Location"), page


def _submit(base, page, extra):
    form = _Form()
    form.feed(page)
    fields = [(k, v) for k, v in form.fields if k not in extra]
    data = urllib.parse.urlencode(fields + list(extra.items()))
    if form.method.lower() == "post":
        return _request(base, "POST", form.action, data)
    return _request(base, "GET", form.action + "?" + data)


def owner_approves(base, auth_url, email):
    """What the owner does in the browser at Connect: continue past the
    preamble, pick the brand, log in, press Allow.  Returns the redirect Location."""
    parts = urllib.parse.urlsplit(auth_url)
    _, _, page = _request(base, "GET", parts.path + "?" + parts.query)
    _, _, page = _submit(base, page, {"preamble": "done"})        # Continue
    _, _, page = _submit(base, page, {"brand": "ANY"})            # brands
    _, _, page = _submit(base, page, {"email": email,              # login
                                      "password": "any-password"})
    status, location, _ = _submit(base, page, {"action": "allow"})  # grant
    if status != 302 or not location:
        sys.exit("Connect did not redirect back to the app")
    return location


def with_emulator(flow):
    """Run ``flow(base)`` with an emulator (argv[1], else
    SMARTCAR_EMULATOR_BIN, else build/smartcar-emulator); the exit
    status."""
    binary = (sys.argv[1] if len(sys.argv) > 1 else
              os.environ.get("SMARTCAR_EMULATOR_BIN",
                             os.path.join(ROOT, "build", "smartcar-emulator")))
    proc, base = start_emulator(binary)
    try:
        print(f"smartcar-emulator at {base}")
        flow(base)
    except smartcar.SmartcarException as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


def main():
    return with_emulator(v2_flow)


def v2_flow(base):
    """Connect, the code exchange, the vehicles' odometers, a refresh."""
    # Point every Smartcar origin at the emulator.
    for var in ("SMARTCAR_CONNECT_ORIGIN", "SMARTCAR_AUTH_ORIGIN",
                "SMARTCAR_API_ORIGIN", "SMARTCAR_MANAGEMENT_API_ORIGIN"):
        os.environ[var] = base
    client = smartcar.AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
                                 mode="test")
    url, state = client.get_auth_url_with_state(
        ["read_vehicle_info", "required:read_odometer"])
    print(f"1. Connect URL: {url[:80]}...")

    location = owner_approves(base, url, "owner@example.com")
    redirect = smartcar.parse_redirect(location, expected_state=state)
    print("2. the owner picked a brand, logged in and allowed access;"
          " the redirect carried a code")

    access = client.exchange_code(redirect.code)
    print(f"3. tokens received; access expires {access.expiration:%H:%M} "
          f"UTC, refresh by {access.refresh_expiration:%Y-%m-%d}")

    user = smartcar.get_user(access.access_token)
    vehicles = smartcar.get_vehicles(access.access_token)
    print(f"4. user {user.id} has {vehicles.paging.count} vehicles:")
    for vid in vehicles.vehicles:
        km = smartcar.Vehicle(vid, access.access_token).odometer()
        mi = smartcar.Vehicle(vid, access.access_token,
                              {"unit_system": "imperial"}).odometer()
        print(f"   {vid}  odometer {km.distance:>10.1f} km"
              f"  ({mi.distance:.1f} mi)")

    renewed = client.exchange_refresh_token(access.refresh_token)
    rotated = renewed.refresh_token != access.refresh_token
    print(f"5. refreshed; the refresh token rotated: {rotated}")


if __name__ == "__main__":
    sys.exit(main())
