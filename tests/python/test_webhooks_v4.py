"""Webhooks v4 and signals as data: receive (signature, VERIFY, dedupe by
eventId), every documented delivery variant, and signal rows with both
time formats (epoch milliseconds and ISO-8601)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import smartcar_native as smartcar
from conftest import assert_no_secrets, in_threads

AMT = "amt-7c1f0e"
UTC = dt.timezone.utc
T1 = dt.datetime(2025, 9, 23, 23, 5, 12, 404000, tzinfo=UTC)
T1_MS = 1758668712404


def signed(body: bytes, amt: str = AMT) -> str:
    return smartcar._core.hmac_sha256_hex(amt, body)


def state(event_id: str = "ev-1", **extra) -> bytes:
    doc = {
        "eventId": event_id, "eventType": "VEHICLE_STATE",
        "data": {
            "user": {"id": "u-1", "externalId": "crm-42"},
            "vehicle": {"id": "v-1", "make": "TESLA"},
            "signals": [
                {"code": "closure-islocked", "name": "IsLocked",
                 "group": "Closure", "body": {"value": True},
                 "status": {"value": "SUCCESS"},
                 "meta": {"retrievedAt": T1_MS,
                          "oemUpdatedAt": "2025-09-23T23:05:12.404Z"}},
                {"code": "tractionbattery-stateofcharge",
                 "name": "StateOfCharge", "group": "TractionBattery",
                 "status": {"value": "ERROR", "error": {
                     "type": "COMPATIBILITY",
                     "code": "VEHICLE_NOT_CAPABLE"}}}]},
        "triggers": [{"type": "SIGNAL_UPDATED", "signal": {
            "code": "closure-islocked", "name": "IsLocked",
            "group": "Closure"}}],
        "meta": {"version": "4.0", "deliveryId": "d-1",
                 "deliveredAt": T1_MS, "webhookId": "w-1",
                 "mode": "LIVE"}}
    doc.update(extra)
    return json.dumps(doc).encode()


def test_receive_signed_then_duplicate():
    seen = smartcar.SeenEvents()
    body = state()
    first = smartcar.receive_webhook(AMT, signed(body), body, seen)
    assert first["duplicate"] is False
    assert first["event_type"] == "VEHICLE_STATE"
    assert json.loads(first["reply"]) == {"status": "received"}
    assert first["delivered_at"] == T1
    # the retry: same eventId, a new deliveryId
    retry = state()
    retry_doc = json.loads(retry)
    retry_doc["meta"]["deliveryId"] = "d-2"
    retry = json.dumps(retry_doc).encode()
    again = smartcar.receive_webhook(AMT, signed(retry), retry, seen)
    assert again["duplicate"] is True and again["delivery_id"] == "d-2"
    assert len(seen) == 1
    # without a set nothing is a duplicate
    assert smartcar.receive_webhook(AMT, signed(body), body)["duplicate"] \
        is False


def test_receive_refuses_bad_signatures_typed():
    body = state()
    sig = signed(body, "not-the-amt")
    with pytest.raises(smartcar.WebhookSignatureError) as info:
        smartcar.receive_webhook(AMT, sig, body)
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "bad_signature"
    assert_no_secrets(info.value, AMT, sig)
    with pytest.raises(smartcar.WebhookSignatureError):
        smartcar.receive_webhook(AMT, None, body)
    with pytest.raises(smartcar.WebhookSignatureError):
        smartcar.receive_webhook(AMT, signed(body), body + b" ")
    # signed but not a delivery
    with pytest.raises(smartcar.MalformedResponseError):
        smartcar.receive_webhook(AMT, signed(b"[1]"), b"[1]")
    with pytest.raises(TypeError):
        smartcar.receive_webhook(AMT, None, {"eventType": "VERIFY"})
    with pytest.raises(TypeError):
        smartcar.receive_webhook(AMT, 5, body)
    with pytest.raises(TypeError, match="seen must be a SeenEvents"):
        smartcar.receive_webhook(AMT, None, body, seen=set())


def test_receive_answers_unsigned_verify_but_not_a_forged_body():
    verify = json.dumps({
        "eventId": "e-v", "eventType": "VERIFY",
        "data": {"challenge": "3f2a1c9e"},
        "meta": {"version": "4.0", "deliveredAt":
                 "2025-07-31T19:38:42.332Z"}}).encode()
    event = smartcar.receive_webhook(AMT, None, verify)
    assert json.loads(event["reply"]) == {
        "challenge": smartcar.hash_challenge(AMT, "3f2a1c9e")}
    assert event["delivered_at"] == dt.datetime(2025, 7, 31, 19, 38, 42,
                                                332000, tzinfo=UTC)
    # a challenge that is itself a delivery body would get it signed
    forged = json.dumps({"eventType": "VERIFY", "data": {
        "challenge": state().decode()}}).encode()
    with pytest.raises(smartcar.MalformedResponseError):
        smartcar.receive_webhook(AMT, None, forged)


def test_parse_every_documented_variant():
    # triggers inside data; FIRST_DELIVERY as a code; ISO deliveredAt
    doc = json.loads(state())
    doc["data"]["triggers"] = [{"code": "FIRST_DELIVERY"}]
    del doc["triggers"]
    doc["meta"]["deliveredAt"] = "2025-09-23T23:05:12.404Z"
    event = smartcar.parse_webhook(json.dumps(doc))
    assert event["triggers"] == [{"type": "FIRST_DELIVERY"}]
    assert event["first_delivery"] is True
    assert event["delivered_at"] == T1
    assert event["user_id"] == "u-1"
    assert event["user_external_id"] == "crm-42"
    # FIRST_DELIVERY as a type, and SIGNAL_UPDATED naming its signal
    event = smartcar.parse_webhook(state(triggers=[
        {"type": "FIRST_DELIVERY"},
        {"type": "SIGNAL_UPDATED", "signal": {"group": "Closure",
                                              "name": "IsLocked"}}]))
    assert [t["type"] for t in event["triggers"]] == [
        "FIRST_DELIVERY", "SIGNAL_UPDATED"]
    assert event["triggers"][1]["signal"]["code"] == "closure-islocked"
    # VEHICLE_ERROR: signals as strings or objects
    error = smartcar.parse_webhook(json.dumps({
        "eventId": "e-err", "eventType": "VEHICLE_ERROR",
        "data": {"vehicle": {"id": "v-9"}, "errors": [{
            "type": "UPSTREAM", "code": "NO_RESPONSE", "state": "RESOLVED",
            "signals": ["TractionBattery.StateOfCharge",
                        {"code": "charge-ischarging"}]}]},
        "meta": {"version": "4.0"}}))
    (err,) = error["errors"]
    assert err["state"] == "RESOLVED"
    assert err["signals"] == [
        {"code": "tractionbattery-stateofcharge", "name": "StateOfCharge",
         "group": "TractionBattery"},
        {"code": "charge-ischarging", "name": None, "group": None}]


def test_seen_events_ttl_capacity_forget():
    seen = smartcar.SeenEvents(capacity=2, ttl=None)
    assert seen.first("a") and seen.first("b")
    assert not seen.first("a")
    assert seen.first("c")          # "a" is evicted, the oldest
    assert seen.first("a")
    assert seen.forget("a") is True and seen.forget("a") is False
    assert seen.first("a")
    with pytest.raises(smartcar.InvalidArgumentError):
        seen.first("")
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.SeenEvents(capacity=0)
    with pytest.raises(TypeError):
        smartcar.SeenEvents(ttl="1h")
    assert smartcar.SeenEvents(ttl=dt.timedelta(hours=1)).first("x")


def test_seen_events_threads():
    seen = smartcar.SeenEvents()
    firsts = []

    def work():
        n = sum(seen.first("id-%d" % i) for i in range(300))
        firsts.append(n)

    assert not in_threads(work, 4)
    assert sum(firsts) == 300


def test_seen_events_in_sqlite_shared_by_processes(tmp_path):
    path = tmp_path / "tokens.db"
    smartcar.TokenStore(str(path))              # the token store's file
    a = smartcar.SeenEvents(path=path, ttl=dt.timedelta(minutes=5))
    b = smartcar.SeenEvents(path=str(path), ttl=300)
    body = state("ev-sql")
    first = smartcar.receive_webhook(AMT, signed(body), body, a)
    again = smartcar.receive_webhook(AMT, signed(body), body, b)
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert len(a) == len(b) == 1
    assert b.forget("ev-sql") and not a.forget("ev-sql")
    assert a.first("ev-sql") and not b.first("ev-sql")
    del a, b
    # what was seen survives a restart
    assert not smartcar.SeenEvents(path=path, ttl=300).first("ev-sql")
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.SeenEvents(path=path, ttl=None)
    with pytest.raises(smartcar.StorageError):
        smartcar.SeenEvents(path=tmp_path / "no" / "such" / "dir.db")


REST = {
    "data": [
        {"id": "odometer-traveleddistance", "type": "signal",
         "attributes": {"code": "odometer-traveleddistance",
                        "name": "TraveledDistance", "group": "Odometer",
                        "status": {"value": "SUCCESS"},
                        "body": {"unit": "kilometers", "value": 1234.5}},
         "meta": {"retrievedAt": "2025-09-23T23:05:12.404Z",
                  "oemUpdatedAt": 1758668712}},
        {"id": "location-preciselocation", "type": "signal",
         "attributes": {"code": "location-preciselocation",
                        "status": {"value": "SUCCESS"},
                        "body": {"latitude": 1.5, "longitude": 2.5}},
         "meta": {"retrievedAt": T1_MS}}],
    "included": {"vehicle": {"id": "v-7", "type": "vehicle"}}}


def test_signal_rows_both_time_formats():
    for source in (json.dumps(REST), json.dumps(REST).encode(), REST,
                   {"body": REST, "headers": {}}):
        rows = smartcar.signal_rows(source)
        assert [r["code"] for r in rows] == [
            "odometer-traveleddistance", "location-preciselocation"]
        odo, loc = rows
        assert odo["retrieved_at"] == T1          # from ISO text
        assert loc["retrieved_at"] == T1          # from epoch ms
        assert odo["oem_updated_at"] == dt.datetime(
            2025, 9, 23, 23, 5, 12, tzinfo=UTC)   # from epoch seconds
        assert (odo["value"], odo["unit"]) == (1234.5, "kilometers")
        assert loc["value"] == {"latitude": 1.5, "longitude": 2.5}
        assert odo["vehicle_id"] == "v-7"
        assert set(odo) == set(loc) == {
            "code", "name", "group", "value", "unit", "status",
            "error_type", "error_code", "retrieved_at", "oem_updated_at",
            "ingested_at", "vehicle_id", "body", "error"}


def test_signal_rows_of_a_webhook():
    event = smartcar.parse_webhook(state())
    for source in (event, state()):
        locked, soc = smartcar.signal_rows(source)
        assert locked["value"] is True and locked["vehicle_id"] == "v-1"
        assert locked["retrieved_at"] == locked["oem_updated_at"] == T1
        assert soc["status"] == "ERROR"
        assert (soc["error_type"], soc["error_code"]) == (
            "COMPATIBILITY", "VEHICLE_NOT_CAPABLE")
        assert soc["value"] is None and soc["retrieved_at"] is None
    with pytest.raises(smartcar.MalformedResponseError):
        smartcar.signal_rows('{"nothing": 1}')
    with pytest.raises(TypeError):
        smartcar.signal_rows(42)


def test_signal_rows_of_results(cars):
    car = smartcar.VehicleV3(cars.bev, access_token=cars.token)
    page = car.get_signals()
    rows = smartcar.signal_rows(page)
    assert [r["code"] for r in rows] == [s.code for s in page.signals]
    locked = next(r for r in rows if r["code"] == "closure-islocked")
    assert isinstance(locked["value"], bool)
    assert locked["retrieved_at"].utcoffset() == dt.timedelta(0)
    assert locked["vehicle_id"] == cars.bev
    one = smartcar.signal_rows(car.get_signal("closure-islocked"))
    assert one[0]["value"] == locked["value"]
    # Signal tuples of any origin: their own fields, read by the library
    made = smartcar.Signal(
        "tractionbattery-stateofcharge", None, None, "ERROR", None, None,
        None, {"type": "COMPATIBILITY", "code": "X"},
        dt.datetime(2025, 9, 23, 23, 5, 12, 404000), None, smartcar.Meta())
    row, = smartcar.signal_rows([made])
    assert (row["error_type"], row["error_code"]) == ("COMPATIBILITY", "X")
    assert row["retrieved_at"] == T1 and row["oem_updated_at"] is None
    assert row["vehicle_id"] is None and row["status"] == "ERROR"
    # the official SDK's shape: the body as sent, flattened the same way
    raw = smartcar.Vehicle(cars.bev, cars.token).get_signals()
    assert [r["code"] for r in smartcar.signal_rows(raw)] == \
        [r["code"] for r in rows]


def test_parse_time():
    assert smartcar.parse_time("2025-09-23T23:05:12.404Z") == T1
    assert smartcar.parse_time("2025-09-24T01:05:12.404+02:00") == T1
    assert smartcar.parse_time(T1_MS) == T1
    assert smartcar.parse_time(1758668712) == T1.replace(microsecond=0)
    assert smartcar.parse_time("tomorrow") is None
    with pytest.raises(TypeError):
        smartcar.parse_time(None)
    with pytest.raises(TypeError, match="str or a number, not bool"):
        smartcar.parse_time(True)


# -- the emulator's v4 deliveries for v3 subscriptions ----------------------

import time  # noqa: E402

from conftest import MANAGEMENT_TOKEN, HookServer  # noqa: E402


class Receiver(HookServer):
    """A loopback webhook endpoint built on receive_webhook: it answers
    VERIFY, checks signatures and dedupes with a SeenEvents."""

    def __init__(self) -> None:
        self.seen = smartcar.SeenEvents()
        self.got = []          # (signed, event) in arrival order
        self.refused = 0
        super().__init__()

    def reply(self, raw, sig):
        try:
            event = smartcar.receive_webhook(MANAGEMENT_TOKEN, sig, raw,
                                             self.seen)
        except smartcar.SmartcarException:
            with self.lock:
                self.refused += 1
            return 401, b""
        with self.lock:
            self.got.append((sig is not None, event))
        return 200, event["reply"].encode()

    def wait(self, count: int, what: str):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.got) >= count:
                    return list(self.got)
            time.sleep(0.02)
        raise AssertionError("waited for %d deliveries (%s), got %r"
                             % (count, what, [(e["event_type"],
                                               e.get("triggers"))
                                              for _, e in self.got]))


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_v3_subscription_verify_first_delivery_and_duplicate(cars,
                                                             receiver):
    emu = cars.emu
    hook = emu.request("POST", "/_emulator/webhooks", {
        "webhook_id": "v4-dedupe", "callback_url": receiver.url})
    assert hook["verified"] is True
    receiver.wait(1, "registration VERIFY")
    settings = emu.request("POST", "/_emulator/webhooks/v4-dedupe/delivery",
                           {"duplicate": True})
    assert settings["delivery"]["duplicate"] is True

    smartcar.v3.create_subscription("v4-dedupe", cars.user_id, cars.bev)
    got = receiver.wait(4, "VERIFY, FIRST_DELIVERY and its duplicate")
    (signed_v, verify), (signed_1, first), (signed_2, again) = got[1:4]
    # Smartcar's VERIFY is unsigned; the state deliveries are signed
    assert verify["event_type"] == "VERIFY" and not signed_v
    assert signed_1 and signed_2
    assert first["event_type"] == "VEHICLE_STATE"
    assert first["first_delivery"] is True
    assert first["vehicle_id"] == cars.bev
    assert first["user_id"] == cars.user_id
    assert isinstance(first["delivered_at"], dt.datetime)
    assert first["duplicate"] is False
    # the same event again: same eventId, another deliveryId, a duplicate
    assert again["event_id"] == first["event_id"]
    assert again["delivery_id"] != first["delivery_id"]
    assert again["duplicate"] is True
    rows = {r["code"]: r for r in smartcar.signal_rows(first)}
    assert rows["closure-islocked"]["vehicle_id"] == cars.bev
    assert rows["closure-islocked"]["retrieved_at"].tzinfo is not None

    # a v3 command changes a signal: one SIGNAL_UPDATED naming it
    emu.request("POST", "/_emulator/webhooks/v4-dedupe/delivery",
                {"duplicate": False})
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id)
    was = rows["closure-islocked"]["value"]
    (car.security_unlock if was else car.security_lock)()
    (_, update), = receiver.wait(5, "SIGNAL_UPDATED")[4:]
    assert update["first_delivery"] is False
    assert {"type": "SIGNAL_UPDATED", "signal": {
        "code": "closure-islocked", "name": "IsLocked",
        "group": "Closure"}} in update["triggers"]
    locked = next(r for r in smartcar.signal_rows(update)
                  if r["code"] == "closure-islocked")
    assert locked["value"] is (not was)
    assert update["event_id"] != first["event_id"]


def test_failed_deliveries_are_retried_with_the_same_event_id(cars,
                                                              receiver):
    emu = cars.emu
    emu.request("POST", "/_emulator/webhooks", {
        "webhook_id": "v4-retry", "callback_url": receiver.url})
    smartcar.v3.create_subscription("v4-retry", cars.user_id, cars.phev)
    receiver.wait(3, "registration VERIFY, VERIFY, FIRST_DELIVERY")
    # the next attempt fails whatever the callback says; retried 50 ms on
    out = emu.request("POST", "/_emulator/webhooks/v4-retry/delivery",
                      {"fail_next": 1, "retry_delays_ms": [50, 50]})
    assert out["delivery"] == {"duplicate": False, "fail_next": 1,
                               "retry_delays_ms": [50, 50]}
    with pytest.raises(AssertionError, match="400"):
        emu.request("POST", "/_emulator/webhooks/v4-retry/delivery",
                    {"retry_delays_ms": [-1]})
    was = cars.state(cars.phev)["locked"]
    cars.state(cars.phev, locked=not was)    # fails once, then retried
    receiver.wait(5, "the failed attempt and its retry")
    cars.state(cars.phev, locked=was)
    got = receiver.wait(6, "a failed attempt, its retry, the next change")
    attempt1, retry, other = (e for _, e in got[3:6])
    assert retry["event_id"] == attempt1["event_id"]
    assert retry["duplicate"] is True and attempt1["duplicate"] is False
    assert other["event_id"] != attempt1["event_id"]
    log = emu.request("GET", "/_emulator/webhooks/deliveries"
                      "?webhook_id=v4-retry")["deliveries"]
    tries = [d for d in log if d["event_id"] == attempt1["event_id"]]
    assert [d["attempt"] for d in tries] == [1, 2]
    assert tries[0]["error"] and tries[1]["error"] is None
    assert tries[0]["delivery_id"] != tries[1]["delivery_id"]
    # VERIFY deliveries of v3 subscriptions carry no signature
    verifies = [d for d in log if d["event_type"] == "VERIFY"]
    assert verifies[0]["signature"] is not None   # control-API register
    assert verifies[1]["signature"] is None       # v3 subscription
    assert receiver.refused == 0
