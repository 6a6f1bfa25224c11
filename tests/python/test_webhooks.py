"""Webhooks: challenge, signatures, payload parsing, and vehicle
subscriptions against the emulator with a real callback server."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import smartcar_native as smartcar
from conftest import MANAGEMENT_TOKEN, HookServer, assert_no_secrets

CHALLENGE_HMAC = (
    "9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efacf646d79328e")
PIZZA_HMAC = (
    "4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d3301dcaaa854f70")


# -- challenge and signatures ---------------------------------------------


def test_hash_challenge_vectors():
    assert smartcar.hash_challenge("amt", "challenge") == CHALLENGE_HMAC
    assert smartcar.hash_challenge("amt", '{"pizza":"pasta"}') == PIZZA_HMAC
    with pytest.raises(TypeError):
        smartcar.hash_challenge("amt", b"challenge")
    with pytest.raises(TypeError):
        smartcar.hash_challenge(None, "challenge")


def test_verify_payload():
    body = '{"pizza":"pasta"}'
    assert smartcar.verify_payload("amt", PIZZA_HMAC, body) is True
    assert smartcar.verify_payload("amt", PIZZA_HMAC, body.encode()) is True
    assert smartcar.verify_payload("amt", PIZZA_HMAC,
                                   bytearray(body.encode())) is True
    assert smartcar.verify_payload("amt", PIZZA_HMAC.upper(), body) is True
    assert smartcar.verify_payload("amt", PIZZA_HMAC.encode(), body) is True
    # wrong key, body, signature
    assert smartcar.verify_payload("AMT", PIZZA_HMAC, body) is False
    assert smartcar.verify_payload("amt", PIZZA_HMAC, body + " ") is False
    assert smartcar.verify_payload("amt", PIZZA_HMAC[:-1] + "1", body) is False
    assert smartcar.verify_payload("amt", PIZZA_HMAC[:32], body) is False
    assert smartcar.verify_payload("amt", "", body) is False
    assert smartcar.verify_payload("amt", None, body) is False
    # the alias
    assert smartcar.verify_webhook is smartcar.verify_payload
    assert smartcar.verify_webhook("amt", CHALLENGE_HMAC, b"challenge")
    with pytest.raises(TypeError):
        smartcar.verify_payload("amt", PIZZA_HMAC, {"pizza": "pasta"})


def test_verify_payload_non_ascii_body():
    body = '{"name":"Zoë","city":"Köln"}'
    sig = smartcar.hash_challenge("k", body)
    assert smartcar.verify_payload("k", sig, body)
    assert smartcar.verify_payload("k", sig, body.encode("utf-8"))
    assert not smartcar.verify_payload("k", sig, body.encode("latin-1"))


# -- parsing --------------------------------------------------------------

V2_VERIFY = {
    "version": "2.0", "webhookId": "5a8e5e38-1e12-4011-a36d-56f120053f9e",
    "eventName": "verify", "payload": {"challenge": "3f2a1c9e"},
}
V2_EVENT = {
    "version": "2.0", "webhookId": "w-1", "eventName": "eventBased",
    "mode": "test",
    "payload": {"eventId": "e-1", "vehicleId": "v-1",
                "eventType": "CHARGING_STARTED",
                "eventTime": "2022-04-13T18:00:00.000Z"},
}
V4_VERIFY = {
    "eventId": "52f6e0bb-1369-45da-a61c-9e67d092d6db", "eventType": "VERIFY",
    "data": {"challenge": "3f2a1c9e"},
    "meta": {"version": "4.0", "webhookId": "w-4",
             "webhookName": "Example Webhook", "deliveryId": "d-4",
             "deliveredAt": "2025-07-31T19:38:42.332Z"},
}
V4_STATE = {
    "eventId": "5a537912-9ad3-424b-ba33-65a1704567e9",
    "eventType": "VEHICLE_STATE",
    "data": {
        "user": {"id": "93b3ea96-ca37-43a9-9073-f4334712dbc7"},
        "vehicle": {"id": "123e4567-e89b-12d3-a456-426614174000",
                    "make": "TESLA", "model": "Model 3", "year": 2020},
        "signals": [
            {"code": "tractionbattery-stateofcharge",
             "name": "StateOfCharge", "group": "TractionBattery",
             "body": {"unit": "percent", "value": 75},
             "status": {"value": "SUCCESS"},
             "meta": {"retrievedAt": 1758668712404,
                      "oemUpdatedAt": 1758668712404}},
            {"code": "location-isathome", "name": "IsAtHome",
             "group": "Location",
             "status": {"value": "ERROR",
                        "error": {"type": "COMPATIBILITY",
                                  "code": "VEHICLE_NOT_CAPABLE"}}}]},
    "triggers": [{"type": "SIGNAL_UPDATED",
                  "signal": {"code": "tractionbattery-stateofcharge",
                             "name": "StateOfCharge",
                             "group": "TractionBattery"}}],
    "meta": {"version": "4.0", "deliveryId": "48b25f8f",
             "deliveredAt": 1761896351529, "webhookId": "w-4",
             "webhookName": "My First Webhook", "signalCount": 2,
             "mode": "LIVE"},
}


def test_parse_webhook_v2():
    event = smartcar.parse_webhook(json.dumps(V2_VERIFY))
    assert event["version"] == "2.0"
    assert event["event_type"] == "VERIFY"
    assert event["webhook_id"] == V2_VERIFY["webhookId"]
    assert event["challenge"] == "3f2a1c9e"

    event = smartcar.parse_webhook(json.dumps(V2_EVENT).encode())
    assert event["event_type"] == "EVENTBASED"
    assert event["mode"] == "test"
    assert event["vehicle_id"] == "v-1"
    assert event["payload"]["event_type"] == "CHARGING_STARTED"
    assert event["payload"]["event_time"] == "2022-04-13T18:00:00.000Z"


def test_parse_webhook_v4():
    event = smartcar.parse_webhook(json.dumps(V4_VERIFY))
    assert event["version"] == "4.0"
    assert event["event_type"] == "VERIFY"
    assert event["challenge"] == "3f2a1c9e"
    assert event["webhook_name"] == "Example Webhook"
    assert event["delivery_id"] == "d-4"

    event = smartcar.parse_webhook(json.dumps(V4_STATE))
    assert event["event_type"] == "VEHICLE_STATE"
    assert event["event_id"] == V4_STATE["eventId"]
    assert event["user_id"] == "93b3ea96-ca37-43a9-9073-f4334712dbc7"
    assert event["vehicle_id"] == "123e4567-e89b-12d3-a456-426614174000"
    assert event["webhook_id"] == "w-4"
    # one time type in Python: aware UTC datetimes (exact to the ms)
    assert event["delivered_at"] == dt.datetime(
        2025, 10, 31, 7, 39, 11, 529000, tzinfo=dt.timezone.utc)
    assert event["mode"] == "LIVE"
    signals = event["signals"]
    assert [s["code"] for s in signals] == [
        "tractionbattery-stateofcharge", "location-isathome"]
    assert signals[0]["body"] == {"unit": "percent", "value": 75}
    assert signals[0]["meta"]["retrieved_at"] == 1758668712404
    assert signals[1]["status"]["error"]["code"] == "VEHICLE_NOT_CAPABLE"
    assert event["triggers"][0]["type"] == "SIGNAL_UPDATED"
    assert event["payload"]["vehicle"]["make"] == "TESLA"


@pytest.mark.parametrize("body", [
    "", "not json", "[]", '"text"', '{"hello": "world"}',
])
def test_parse_webhook_malformed(body):
    with pytest.raises(smartcar.MalformedResponseError):
        smartcar.parse_webhook(body)


def test_parse_webhook_types():
    with pytest.raises(TypeError):
        smartcar.parse_webhook(V2_VERIFY)
    with pytest.raises(TypeError):
        smartcar.parse_webhook(None)


# -- subscriptions, with a callback server --------------------------------


class Receiver(HookServer):
    """An HTTP callback that answers challenges and keeps deliveries."""

    path = "/webhook"

    def __init__(self) -> None:
        self.deliveries: List[Dict[str, Any]] = []
        super().__init__()

    def reply(self, raw: bytes,
              signature: Optional[str]) -> Tuple[int, bytes]:
        ok = smartcar.verify_payload(MANAGEMENT_TOKEN, signature, raw)
        event = smartcar.parse_webhook(raw) if ok else None
        with self.lock:
            self.deliveries.append({"raw": raw, "signature": signature,
                                    "ok": ok, "event": event})
        if not ok:
            return 401, b""
        reply: Dict[str, Any] = {}
        if event["event_type"] == "VERIFY":
            reply["challenge"] = smartcar.hash_challenge(
                MANAGEMENT_TOKEN, event["challenge"])
        return 200, json.dumps(reply).encode()

    def events(self, event_type: str) -> List[Dict[str, Any]]:
        with self.lock:
            return [d["event"] for d in self.deliveries
                    if d["ok"] and d["event"]["event_type"] == event_type]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _register(emu, receiver, webhook_id, version="4.0"):
    return emu.request("POST", "/_emulator/webhooks", {
        "webhook_id": webhook_id, "callback_url": receiver.url,
        "version": version})


@pytest.mark.parametrize("version", ["4.0", "2.0"])
def test_subscribe_deliver_unsubscribe(cars, receiver, version):
    emu = cars.emu
    hook = _register(emu, receiver, "hook-" + version[0], version)
    # the callback answered the VERIFY challenge with hash_challenge
    assert hook["verified"] is True
    verify = receiver.events("VERIFY")
    assert len(verify) == 1 and verify[0]["version"] == version

    vehicle = cars.vehicle("bev")
    sub = vehicle.subscribe(hook["webhook_id"])
    assert isinstance(sub, smartcar.Subscribe)
    assert sub.webhook_id == hook["webhook_id"]
    assert sub.vehicle_id == cars.bev
    assert sub.meta.request_id
    listed = emu.request("GET", "/_emulator/webhooks")["webhooks"]
    assert [h["vehicles"] for h in listed] == [[cars.bev]]

    out = emu.request("POST", "/_emulator/webhooks/%s/deliver"
                      % hook["webhook_id"], {})
    assert [d["status"] for d in out["deliveries"]] == [200]
    for d in receiver.deliveries:
        assert d["ok"], "signature did not verify"
    delivery = out["deliveries"][0]
    assert smartcar.verify_payload(MANAGEMENT_TOKEN, delivery["signature"],
                                   delivery["body"])
    if version == "4.0":
        (event,) = receiver.events("VEHICLE_STATE")
        assert event["vehicle_id"] == cars.bev
        assert event["user_id"] == cars.user_id
        assert event["webhook_id"] == hook["webhook_id"]
        codes = {s["code"] for s in event["signals"]}
        assert "tractionbattery-stateofcharge" in codes
    else:
        (event,) = receiver.events("EVENTBASED")
        assert event["vehicle_id"] == cars.bev
        assert event["payload"]["event_type"].startswith("CHARGING_")

    status = vehicle.unsubscribe(MANAGEMENT_TOKEN, hook["webhook_id"])
    assert isinstance(status, smartcar.Status)
    assert status.status == "success"
    listed = emu.request("GET", "/_emulator/webhooks")["webhooks"]
    assert listed[0]["vehicles"] == []
    out = emu.request("POST", "/_emulator/webhooks/%s/deliver"
                      % hook["webhook_id"], {})
    assert out["deliveries"] == []


def test_subscription_errors(cars, receiver):
    hook = _register(cars.emu, receiver, "hook-errors")
    vehicle = cars.vehicle("ice")
    with pytest.raises(smartcar.ValidationError):
        vehicle.subscribe("no-such-webhook")
    vehicle.subscribe(hook["webhook_id"])
    with pytest.raises(smartcar.AuthenticationError) as info:
        vehicle.unsubscribe("not-the-amt", hook["webhook_id"])
    assert info.value.status_code == 401
    assert_no_secrets(info.value, "not-the-amt", cars.token)
    with pytest.raises(smartcar.AuthenticationError) as info:
        smartcar.Vehicle(cars.ice, "expired-token").subscribe(
            hook["webhook_id"])
    assert_no_secrets(info.value, "expired-token")
    with pytest.raises(TypeError):
        vehicle.subscribe(None)


def test_charge_events_are_delivered(cars, receiver):
    """start_charge makes the emulator send a signed v2 charging event."""
    hook = _register(cars.emu, receiver, "hook-charge", "2.0")
    vehicle = cars.vehicle("bev")
    vehicle.subscribe(hook["webhook_id"])
    cars.state(cars.bev, plugged_in=True, percent_remaining=0.4,
               charge_limit=0.9)
    vehicle.start_charge()
    import time

    deadline = time.monotonic() + 5
    while not receiver.events("EVENTBASED") and time.monotonic() < deadline:
        time.sleep(0.02)
    (event,) = receiver.events("EVENTBASED")
    assert event["payload"]["event_type"] == "CHARGING_STARTED"
    assert event["vehicle_id"] == cars.bev
