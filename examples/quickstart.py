#!/usr/bin/env python3
"""The whole Smartcar flow, end to end, against a local smartcar-emulator.

1. build the Connect URL and send the owner there;
2. the owner logs in and approves (here the emulator's scriptable Connect
   stands in for the browser);
3. parse the redirect and exchange the code for tokens;
4. list the owner's vehicles and read each odometer;
5. refresh the tokens (the refresh token rotates).

Run it with `bash scripts/demo.sh`, or directly once the project is built:
`.venv/bin/python examples/quickstart.py [emulator-binary]`.
"""

import json
import os
import subprocess
import sys
import urllib.request

import smartcar_native as smartcar

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The emulator's built-in test application (docs/emulator.md).
CLIENT_ID = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
CLIENT_SECRET = "emulator-client-secret"
REDIRECT_URI = "http://localhost:8000/callback"


def start_emulator(binary):
    proc = subprocess.Popen([binary, "--port", "0", "--seed", "42"],
                            stdout=subprocess.PIPE, text=True)
    base = proc.stdout.readline().strip()
    if not base.startswith("http"):
        proc.kill()
        sys.exit("smartcar-emulator did not start")
    return proc, base


def owner_approves(base, auth_url, email):
    """What the owner's browser does at Connect: log in and press Allow."""
    body = json.dumps({"authorize_url": auth_url, "action": "approve",
                       "email": email}).encode()
    req = urllib.request.Request(base + "/_emulator/connect", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)["location"]


def main():
    binary = (sys.argv[1] if len(sys.argv) > 1 else
              os.environ.get("SMARTCAR_EMULATOR_BIN",
                             os.path.join(ROOT, "build", "smartcar-emulator")))
    proc, base = start_emulator(binary)
    try:
        # Point every Smartcar origin at the emulator.
        for var in ("SMARTCAR_CONNECT_ORIGIN", "SMARTCAR_AUTH_ORIGIN",
                    "SMARTCAR_API_ORIGIN", "SMARTCAR_MANAGEMENT_API_ORIGIN"):
            os.environ[var] = base
        print(f"smartcar-emulator at {base}")

        client = smartcar.AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
                                     mode="test")
        url, state = client.get_auth_url_with_state(
            ["read_vehicle_info", "required:read_odometer"])
        print(f"1. Connect URL: {url[:80]}...")

        location = owner_approves(base, url, "owner@example.com")
        redirect = smartcar.parse_redirect(location, expected_state=state)
        print("2. the owner approved; the redirect carried a code")

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
    except smartcar.SmartcarException as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
