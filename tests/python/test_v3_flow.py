"""The whole API v3 flow against the emulator, as an application runs it:
Connect through its pages returns the user id, an application token, the
user's connections page by page, signals, a lock read back through
closure-islocked, charging started through a 202, a signed v4 webhook
received and verified, and the connection deleted, after
which reads fail typed."""

from __future__ import annotations

import re

import pytest

import smartcar_native as smartcar
from connect_walk import walk
from test_webhooks_v4 import Receiver

SCOPE = ["read_vehicle_info", "read_odometer", "read_battery", "read_charge",
         "read_security", "control_security", "control_charge"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{12}$")


def test_v3_flow(emu, auth):
    # 1. Connect in the browser: the redirect carries the user id
    url, state = auth.get_auth_url_with_state(SCOPE)
    location = walk(emu.url, url, "py-v3-flow@example.com")
    redirect = smartcar.parse_redirect(location, expected_state=state)
    uid = redirect.user_id
    assert UUID.match(uid)

    # 2. an application token (client credentials); the calls below fetch
    # and cache their own
    token = smartcar.get_app_token()
    assert token.token_type == "Bearer" and token.expires_in == 3600
    assert not token.is_expired()

    # 3. the user's connections, two a page
    emu.clear_requests()
    connections = list(smartcar.v3.iter_connections({"user_id": uid},
                                                    page_size=2))
    assert len(connections) == 3  # the whole fleet was shared
    assert all(c["type"] == "connection" and
               c["relationships"]["user"]["data"]["id"] == uid
               for c in connections)
    # (a 401 first is the shared client renewing an application token
    # that an earlier test's emulator reset forgot)
    pages = [r["query"]["page[number]"] for r in emu.requests()
             if r["path"] == "/v3/connections" and r["status"] == 200]
    assert pages == ["1", "2"]
    by_vehicle = {c["relationships"]["vehicle"]["data"]["id"]: c["id"]
                  for c in connections}

    # 4. signals of the electric car
    cars = {vid: smartcar.VehicleV3(vid, user_id=uid) for vid in by_vehicle}
    kinds = {car.get_vehicle().powertrain_type: vid
             for vid, car in cars.items()}
    assert sorted(kinds) == ["BEV", "ICE", "PHEV"]
    vid = kinds["BEV"]
    car = cars[vid]
    info = car.get_vehicle()
    assert (info.make, info.model) == ("TESLA", "Model 3")
    signals = {s.code: s for s in car.iter_signals(page_size=4)}
    soc = signals["tractionbattery-stateofcharge"]
    assert soc.status == "SUCCESS" and soc.unit == "percent"
    assert 0 < soc.value <= 100
    assert signals["odometer-traveleddistance"].value > 0
    assert signals["internalcombustionengine-fuellevel"].status == "ERROR"

    # 5. unlock, then lock, read back through closure-islocked
    car.security_unlock()
    assert car.get_signal("closure-islocked").value is False
    execution = car.security_lock()
    assert execution["data"]["type"] == "command-execution"
    assert execution["data"]["attributes"]["status"]["value"] == "SUCCESS"
    locked = car.get_signal("closure-islocked")
    assert (locked.group, locked.name) == ("Closure", "IsLocked")
    assert locked.value is True

    # 6. start charging (plugged in first): the emulator made commands
    # long-running, so it answers 202 at once and writes the final
    # command-execution on the same connection when the command ends
    emu.request("POST", "/_emulator/vehicles/" + vid,
                {"plugged_in": True, "charging": False,
                 "percent_remaining": 0.5})
    emu.request("POST", "/_emulator/v3/commands",
                {"mode": "async", "delay_ms": 50})
    emu.clear_requests()
    execution = car.charge_start()
    attrs = execution["data"]["attributes"]
    assert attrs["command_type"] == "charge-start"
    assert attrs["execution_mode"] == "async"
    assert attrs["status"]["value"] == "SUCCESS"
    assert [r["status"] for r in emu.requests()
            if r["path"].endswith("/commands/charge/start")] == [202]
    assert car.get_signal("charge-ischarging").value is True
    emu.request("POST", "/_emulator/v3/commands", {"mode": "auto"})

    # 7. a signed v4 webhook on a loopback receiver: subscribe the car to
    # a webhook (Management API v3); the emulator sends VERIFY (unsigned)
    # and a signed VEHICLE_STATE, which receive_webhook verifies
    receiver = Receiver()
    try:
        emu.request("POST", "/_emulator/webhooks", {
            "webhook_id": "py-v3-flow", "callback_url": receiver.url})
        made = smartcar.v3.create_subscription("py-v3-flow", uid, vid)
        assert made["meta"]["message"] == "subscription creation in progress"
        got = receiver.wait(3, "registration VERIFY, VERIFY, FIRST_DELIVERY")
    finally:
        receiver.close()
    assert receiver.refused == 0
    signed, state = got[2]
    assert signed and state["event_type"] == "VEHICLE_STATE"
    assert state["first_delivery"] is True and state["duplicate"] is False
    assert (state["user_id"], state["vehicle_id"]) == (uid, vid)
    rows = {r["code"]: r["value"] for r in smartcar.signal_rows(state)}
    assert rows["closure-islocked"] is True
    assert rows["charge-ischarging"] is True

    # 8. delete the connection: its vehicle is out of reach
    smartcar.v3.delete_connection(by_vehicle[vid])
    with pytest.raises(smartcar.ResourceNotFoundError) as info:
        car.get_signal("closure-islocked")
    assert info.value.status_code == 404
    with pytest.raises(smartcar.ResourceNotFoundError):
        smartcar.v3.get_connection(by_vehicle[vid])
    left = list(smartcar.v3.iter_connections({"user_id": uid}))
    assert sorted(c["id"] for c in left) == sorted(
        cid for v, cid in by_vehicle.items() if v != vid)
