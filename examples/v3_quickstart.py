#!/usr/bin/env python3
"""The Smartcar API v3 flow, end to end, against a local smartcar-emulator.

1. the owner approves in Connect; the redirect carries their user id;
2. the application token (client credentials; the client fetches, caches
   and renews it by itself, this only shows it);
3. the user's connections, page by page;
4. each vehicle's signals;
5. a command (lock), read back through the closure-islocked signal.

Run it once the project is built:
`.venv/bin/python examples/v3_quickstart.py [emulator-binary]`.
"""

import os
import sys

import smartcar_native as smartcar
from smartcar_native import v3

from quickstart import (CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
                        owner_approves, with_emulator)


def v3_flow(base):
    # The official SDKs' v3 variable; the IAM (application token) and
    # Management API v3 hosts follow it unless named on their own.
    os.environ["SMARTCAR_API_V3_ORIGIN"] = base
    os.environ["SMARTCAR_CONNECT_ORIGIN"] = base
    os.environ["SMARTCAR_CLIENT_ID"] = CLIENT_ID
    os.environ["SMARTCAR_CLIENT_SECRET"] = CLIENT_SECRET

    client = smartcar.AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
                                 mode="test")
    url, state = client.get_auth_url_with_state(
        ["read_vehicle_info", "read_odometer", "read_battery",
         "read_security", "control_security"])
    location = owner_approves(base, url, "v3-owner@example.com")
    user_id = smartcar.parse_redirect(location, expected_state=state).user_id
    print(f"1. Connect: user {user_id}")

    token = smartcar.get_app_token()
    print(f"2. application token: {token.token_type}, {token.expires_in} s")

    cars = [smartcar.VehicleV3(c["relationships"]["vehicle"]["data"]["id"],
                               user_id=user_id)
            for c in v3.iter_connections({"user_id": user_id})]
    print(f"3. {len(cars)} connected vehicles")

    for car in cars:
        info = car.get_vehicle()
        signals = {s.code: s for s in car.iter_signals()
                   if s.status == "SUCCESS"}
        odometer = signals["odometer-traveleddistance"]
        print(f"4. {info.make} {info.model}: {len(signals)} signals, "
              f"odometer {odometer.value:.1f} {odometer.unit}")

    execution = cars[0].security_lock()
    status = execution["data"]["attributes"]["status"]["value"]
    locked = cars[0].get_signal("closure-islocked").value
    print(f"5. lock: {status}; closure-islocked: {locked}")

if __name__ == "__main__":
    sys.exit(with_emulator(v3_flow))
