"""The official `smartcar` Python SDK (6.x) against smartcar-emulator.

Each test states what the SDK gets from Smartcar (spec sections 2-5); a
failure is a place where the emulator answers differently.
"""
import datetime
import hashlib
import hmac
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests

import smartcar
import smartcar.smartcar as sc_module
from compat_env import (ALL_SCOPES, AMT, BASE, CLIENT_ID, CLIENT_SECRET,
                      REDIRECT_URI, Owner, approve, control)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ACTION_MESSAGE = "Successfully sent request to vehicle"


def raises(fn, *args, **kw):
    with pytest.raises(smartcar.SmartcarException) as e:
        fn(*args, **kw)
    return e.value


# ------------------------------------------------------------------ auth

def test_auth_url_points_at_emulator_connect():
    client = smartcar.AuthClient(mode="test")
    url = client.get_auth_url(["read_odometer", "required:read_vin"],
                              {"state": "s1", "make_bypass": "TESLA",
                               "flags": {"country": "DE", "beta": True}})
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}" == BASE
    assert parsed.path == "/oauth/authorize"
    q = parse_qs(parsed.query)
    assert q["client_id"] == [CLIENT_ID]
    assert q["redirect_uri"] == [REDIRECT_URI]
    assert q["scope"] == ["read_odometer required:read_vin"]
    assert q["mode"] == ["test"]
    # the emulator's Connect page accepts it (an HTML consent page)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]


def test_exchange_code_through_the_consent_form():
    client = smartcar.AuthClient(mode="test")
    url = client.get_auth_url(["read_odometer"], {"state": "xyz"})
    q = parse_qs(urlparse(url).query)
    form = {k: v[0] for k, v in q.items()}
    form.update({"email": "form-user@example.com", "password": "pw",
                 "action": "allow"})
    r = requests.post(BASE + "/oauth/authorize/decide", data=form,
                      allow_redirects=False, timeout=10)
    assert r.status_code == 302
    loc = urlparse(r.headers["Location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == REDIRECT_URI
    back = parse_qs(loc.query)
    assert back["state"] == ["xyz"]
    access = client.exchange_code(back["code"][0])
    assert access.token_type == "Bearer"
    assert access.expires_in == 7200
    assert UUID.match(access.access_token)
    assert UUID.match(access.refresh_token)
    assert isinstance(access.expiration, datetime.datetime)
    assert isinstance(access.refresh_expiration, datetime.datetime)


def test_deny_redirects_with_access_denied():
    client = smartcar.AuthClient(mode="test")
    q = approve(client.get_auth_url(["read_odometer"]), "deny@example.com",
                action="deny")
    assert q["error"] == ["access_denied"]
    assert q["error_description"] == ["User denied access to application."]


def test_refresh_rotates_tokens(owner):
    new = owner.client.exchange_refresh_token(owner.access.refresh_token)
    assert new.access_token != owner.access.access_token
    assert new.refresh_token != owner.access.refresh_token
    assert new.expires_in == 7200
    assert smartcar.get_user(new.access_token).id == \
        smartcar.get_user(owner.token).id


@pytest.mark.parametrize("exchange, error_type, message", [
    ("exchange_code", "invalid_request", "Invalid code"),
    ("exchange_refresh_token", "invalid_grant", "Invalid refresh_token"),
])
def test_unknown_code_or_refresh_token(exchange, error_type, message):
    client = smartcar.AuthClient(mode="test")
    e = raises(getattr(client, exchange), "THIS_SHOULD_NOT_WORK")
    assert (e.type, e.status_code) == (error_type, 400)
    assert e.message == message + ": THIS_SHOULD_NOT_WORK."


def test_used_expired_or_mismatched_code_is_invalid_grant():
    client = smartcar.AuthClient(mode="test")
    url = client.get_auth_url(["read_odometer"])
    # used: the second exchange of the same code
    code = approve(url, "oauth-used@example.com")["code"][0]
    client.exchange_code(code)
    e = raises(client.exchange_code, code)
    assert (e.type, e.status_code) == ("invalid_grant", 400)
    assert e.message == f"Invalid code: {code}."
    # mismatched: another (registered) redirect_uri than Connect's
    code = approve(url, "oauth-used@example.com")["code"][0]
    other = smartcar.AuthClient(redirect_uri="https://example.com/callback",
                                mode="test")
    e = raises(other.exchange_code, code)
    assert (e.type, e.status_code) == ("invalid_grant", 400)
    assert client.exchange_code(code).access_token  # not burnt
    # expired: ten minutes on the emulator clock
    code = approve(url, "oauth-used@example.com")["code"][0]
    try:
        control("POST", "/_emulator/clock", json={"advance": 601})
        e = raises(client.exchange_code, code)
        assert (e.type, e.status_code) == ("invalid_grant", 400)
        assert e.message == f"Invalid code: {code}."
    finally:
        control("POST", "/_emulator/clock", json={"advance": -601})


def test_bad_client_secret_is_invalid_client():
    client = smartcar.AuthClient(client_secret="wrong", mode="test")
    e = raises(client.exchange_code, "whatever")
    assert e.type == "invalid_client"
    assert e.status_code == 401


# ------------------------------------------------------------ user, list

def test_get_user(owner):
    user = smartcar.get_user(owner.token)
    assert UUID.match(user.id)
    assert UUID.match(user.meta.request_id)


def test_get_vehicles_and_paging(owner):
    res = smartcar.get_vehicles(owner.token)
    assert len(res.vehicles) == 3
    assert res.paging.count == 3 and res.paging.offset == 0
    page = smartcar.get_vehicles(owner.token, {"limit": 1, "offset": 1})
    assert page.vehicles == [res.vehicles[1]]
    assert page.paging.count == 3 and page.paging.offset == 1


def test_bad_token_is_authentication_error():
    e = raises(smartcar.get_user, "not-a-token")
    assert e.type == "AUTHENTICATION"
    assert e.code is None
    assert e.status_code == 401
    assert e.doc_url.endswith("/authentication-errors#null")
    assert e.resolution == {"type": None, "url": None}
    assert UUID.match(e.request_id)
    assert e.message.startswith("AUTHENTICATION - The authorization header")


# -------------------------------------------------------- vehicle reads

def test_attributes(owner):
    a = owner.vehicle("bev").attributes()
    assert a.id == owner.by_kind["bev"]
    assert a.make == "TESLA" and isinstance(a.year, int)
    assert a.meta.data_age and a.meta.fetched_at


def test_vin(owner):
    v = owner.vehicle("ice").vin()
    assert len(v.vin) == 17


def test_odometer_metric_and_imperial(owner):
    km = owner.vehicle("bev").odometer()
    mi = owner.vehicle("bev", unit_system="imperial").odometer()
    assert km.meta.unit_system == "metric"
    assert mi.meta.unit_system == "imperial"
    assert abs(mi.distance * 1.609344 - km.distance) < 2


def test_location(owner):
    loc = owner.vehicle("bev").location()
    assert -90 <= loc.latitude <= 90 and -180 <= loc.longitude <= 180


def test_fuel(owner):
    f = owner.vehicle("ice").fuel()
    assert 0 <= f.percent_remaining <= 1
    assert f.range >= 0 and f.amount_remaining >= 0


def test_fuel_on_bev_is_not_capable(owner):
    e = raises(owner.vehicle("bev").fuel)
    assert (e.type, e.code, e.status_code) == \
        ("COMPATIBILITY", "VEHICLE_NOT_CAPABLE", 501)


def test_battery(owner):
    b = owner.vehicle("bev").battery()
    assert 0 <= b.percent_remaining <= 1 and b.range >= 0


def test_battery_capacity(owner):
    assert owner.vehicle("bev").battery_capacity().capacity > 0


def test_nominal_capacity(owner):
    n = owner.vehicle("bev").nominal_capacity()
    assert isinstance(n.availableCapacities, list)
    assert n.capacity is None or "nominal" in n.capacity


def test_charge(owner):
    c = owner.vehicle("bev").charge()
    assert isinstance(c.is_plugged_in, bool)
    assert c.state in ("CHARGING", "FULLY_CHARGED", "NOT_CHARGING")


def test_charge_limit_get_and_set(owner):
    v = owner.vehicle("bev")
    assert 0.5 <= v.get_charge_limit().limit <= 1
    act = v.set_charge_limit(0.8)
    assert (act.status, act.message) == ("success", ACTION_MESSAGE)
    assert v.get_charge_limit().limit == 0.8


def test_tire_pressure(owner):
    t = owner.vehicle("ice").tire_pressure()
    for x in (t.front_left, t.front_right, t.back_left, t.back_right):
        assert x > 0


def test_engine_oil(owner):
    assert 0 <= owner.vehicle("ice").engine_oil().life_remaining <= 1


def test_lock_status_lock_unlock(owner):
    v = owner.vehicle("bev")
    act = v.lock()
    assert (act.status, act.message) == ("success", ACTION_MESSAGE)
    s = v.lock_status()
    assert s.is_locked is True
    assert isinstance(s.doors, list) and isinstance(s.charging_port, list)
    assert v.unlock().status == "success"
    assert v.lock_status().is_locked is False


def test_start_and_stop_charge(owner):
    vid = owner.by_kind["bev"]
    r = control("POST", f"/_emulator/vehicles/{vid}",
                json={"plugged_in": True, "percent_remaining": 0.5})
    assert r.status_code == 200, r.text
    v = owner.vehicle("bev")
    assert v.start_charge().message == ACTION_MESSAGE
    assert v.charge().state == "CHARGING"
    assert v.stop_charge().status == "success"
    assert v.charge().state == "NOT_CHARGING"


def test_send_destination(owner):
    act = owner.vehicle("bev").send_destination(37.7749, -122.4194)
    assert (act.status, act.message) == ("success", ACTION_MESSAGE)


def test_service_history(owner):
    h = owner.vehicle("ice").service_history()
    assert isinstance(h.items, list)
    h2 = owner.vehicle("ice").service_history("2020-01-01", "2030-01-01")
    assert isinstance(h2.items, list)


def test_diagnostics(owner):
    v = owner.vehicle("ice")
    systems = v.diagnostic_system_status().systems
    assert systems and all(s.status in ("OK", "ALERT") for s in systems)
    codes = v.diagnostic_trouble_codes().active_codes
    assert isinstance(codes, list)


def test_permissions(owner):
    p = owner.vehicle("bev").permissions()
    assert set(p.permissions) == set(ALL_SCOPES)
    assert p.paging.count == len(ALL_SCOPES)
    page = owner.vehicle("bev").permissions({"limit": 2, "offset": 1})
    assert len(page.permissions) == 2 and page.paging.offset == 1


def test_missing_permission_is_permission_error():
    o = Owner(scope=["read_vehicle_info", "read_odometer"])
    e = raises(o.vehicle("bev").location)
    assert (e.type, e.code, e.status_code) == ("PERMISSION", None, 403)
    assert e.resolution["type"] == "REAUTHENTICATE"


def test_bad_vehicle_id_is_validation_error(owner):
    e = raises(smartcar.Vehicle("bad_id", owner.token).odometer)
    assert e.type == "VALIDATION" and e.status_code == 400


def test_batch(owner):
    b = owner.vehicle("bev").batch(["/odometer", "/location", "/fuel"])
    assert b.odometer().distance > 0
    assert b.location().latitude is not None
    assert b.meta.request_id
    e = raises(b.fuel)
    assert (e.type, e.code) == ("COMPATIBILITY", "VEHICLE_NOT_CAPABLE")


def test_request_passthrough(owner):
    r = owner.vehicle("bev").request("GET", "odometer")
    assert r.body["distance"] > 0
    assert r.meta.unit_system == "metric"


def test_disconnect(owner):
    v = owner.vehicle("phev")
    assert v.disconnect().status == "success"
    e = raises(v.odometer)
    assert e.status_code in (401, 403)
    # the management API no longer lists that connection
    left = smartcar.get_connections(AMT, {"vehicle_id": v.vehicle_id})
    assert left.connections == []


def test_rate_limit_fault_gives_retry_after(owner):
    r = control("POST", "/_emulator/faults",
                json={"match": {"path": "/v2.0/vehicles/*/odometer"},
                      "count": 1,
                      "fault": {"type": "rate_limit", "retry_after": 2}})
    assert r.status_code == 200, r.text
    e = raises(owner.vehicle("bev").odometer)
    assert (e.type, e.code, e.status_code) == ("RATE_LIMIT", "VEHICLE", 429)
    assert str(e.retry_after) == "2"


# ------------------------------------------------------------ management

def test_get_connections_filters_and_paging(owner):
    uid = smartcar.get_user(owner.token).id
    res = smartcar.get_connections(AMT, {"user_id": uid})
    assert sorted(c.vehicle_id for c in res.connections) == sorted(owner.ids)
    assert all(c.user_id == uid for c in res.connections)
    assert all(c.connected_at.endswith("Z") for c in res.connections)
    assert res.paging.cursor is None
    first = smartcar.get_connections(AMT, {"user_id": uid}, {"limit": 2})
    assert len(first.connections) == 2 and first.paging.cursor
    rest = smartcar.get_connections(AMT, {"user_id": uid},
                                    {"limit": 2, "cursor": first.paging.cursor})
    assert len(rest.connections) == 1 and rest.paging.cursor is None
    one = smartcar.get_connections(AMT, {"vehicle_id": owner.ids[0]})
    assert [c.vehicle_id for c in one.connections] == [owner.ids[0]]


def test_delete_connections_revokes_access(owner):
    vid = owner.by_kind["ice"]
    res = smartcar.delete_connections(AMT, {"vehicle_id": vid})
    assert [(c.vehicle_id, c.connected_at) for c in res.connections] == \
        [(vid, None)]
    e = raises(owner.vehicle("ice").odometer)
    assert e.status_code in (401, 403)
    assert owner.vehicle("bev").odometer().distance > 0
    assert vid not in smartcar.get_vehicles(owner.token).vehicles
    uid = smartcar.get_user(owner.token).id
    gone = smartcar.delete_connections(AMT, {"user_id": uid})
    assert len(gone.connections) == 2


def test_management_bad_amt():
    e = raises(smartcar.get_connections, "wrong-amt")
    assert (e.type, e.status_code) == ("AUTHENTICATION", 401)


# --------------------------------------------------------- compatibility

def test_compatibility_by_vin(owner):
    vin = owner.vehicle("bev").vin().vin
    c = smartcar.get_compatibility(vin, ["read_odometer", "read_fuel"])
    assert c.compatible is True and c.reason is None
    caps = {x.permission: x for x in c.capabilities}
    assert caps["read_odometer"].capable is True
    assert caps["read_odometer"].endpoint == "/odometer"
    assert (caps["read_fuel"].capable, caps["read_fuel"].reason) == \
        (False, "VEHICLE_NOT_CAPABLE")


def test_compatibility_by_make_and_model_year():
    # any well-formed VIN: its manufacturer code and model year decide
    c = smartcar.get_compatibility("WAUZZZ8V0LA123456", ["read_odometer"],
                                   "DE")  # an Audi of 2020
    assert c.compatible is True and c.reason is None
    assert [(x.endpoint, x.capable) for x in c.capabilities] == \
        [("/odometer", True)]
    c = smartcar.get_compatibility("1G1FY6S05P4123456",
                                   ["read_battery", "read_fuel"])
    caps = {x.endpoint: x.capable for x in c.capabilities}  # a 2023 Bolt EV
    assert c.compatible and caps["/battery"] and not caps["/fuel"]
    c = smartcar.get_compatibility("1G1ZT53806F109149", ["read_odometer"])
    assert (c.compatible, c.reason) == (False, "VEHICLE_NOT_COMPATIBLE")
    assert c.capabilities == []  # a 2006 Chevrolet: too old
    for vin in ("9BWZZZ377VT004251", "0SCAUDI012FE3B132"):
        c = smartcar.get_compatibility(vin, ["read_odometer"])
        assert (c.compatible, c.reason) == (False, "MAKE_NOT_COMPATIBLE")


def test_v1_reads_and_errors(owner):
    smartcar.set_api_version("1.0")
    try:
        assert owner.vehicle("bev").odometer().distance > 0
        e = raises(owner.vehicle("bev").fuel)
        assert e.type == "vehicle_not_capable_error"
        assert e.message == "Vehicle is not capable of performing request."
        assert e.code == "VEHICLE_NOT_CAPABLE"
        assert e.status_code == 501
        e = raises(smartcar.Vehicle(owner.by_kind["bev"], "bad-token").vin)
        assert (e.type, e.status_code) == ("authentication_error", 401)
    finally:
        smartcar.set_api_version("2.0")


def test_compatibility_bad_credentials():
    e = raises(smartcar.get_compatibility, "5YJ3E1EA0LF000000",
               ["read_odometer"], "US", {"client_secret": "nope"})
    assert (e.type, e.status_code) == ("AUTHENTICATION", 401)


def test_compatibility_matrix():
    m = sc_module.get_compatibility_matrix("US", "TESLA",
                                           {"scope": ["read_battery"]})
    assert list(m) == ["TESLA"]
    row = m["TESLA"][0]
    assert row.type == "BEV" and "read_battery" in row.permissions
    assert row.startYear <= row.endYear


# -------------------------------------------------------------- webhooks

class Callback:
    """A local webhook endpoint that answers the VERIFY challenge with the
    SDK's own hash_challenge and keeps every delivery."""

    def __init__(self):
        self.got = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = raw.decode()
                outer.got.append((self.headers.get("SC-Signature"), body))
                data = json.loads(body)
                inner = data.get("payload") or data.get("data") or {}
                reply = {}
                if "challenge" in inner:
                    reply = {"challenge": smartcar.hash_challenge(
                        AMT, inner["challenge"])}
                out = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("version", ["2.0", "4.0"])
def test_webhook_verify_subscribe_deliver_unsubscribe(owner, version):
    cb = Callback()
    try:
        wid = f"py-{version}-{uuid.uuid4().hex[:12]}"
        r = control("POST", "/_emulator/webhooks",
                    json={"webhook_id": wid, "callback_url": cb.url,
                          "version": version, "name": "compat"})
        assert r.status_code == 200 and r.json()["verified"] is True, r.text
        sig, body = cb.got[0]
        assert smartcar.verify_payload(AMT, sig, body)

        v = owner.vehicle("bev")
        sub = v.subscribe(wid)
        assert (sub.webhook_id, sub.vehicle_id) == (wid, v.vehicle_id)

        r = control("POST", f"/_emulator/webhooks/{wid}/deliver",
                    json={"event": "CHARGING_STARTED"})
        assert r.status_code == 200, r.text
        d = r.json()["deliveries"][0]
        assert d["status"] == 200
        sig, body = cb.got[-1]
        assert sig == d["signature"] and body == d["body"]
        assert smartcar.verify_payload(AMT, sig, body)
        assert not smartcar.verify_payload("other-amt", sig, body)
        payload = json.loads(body)
        if version == "2.0":
            assert payload["eventName"] == "eventBased"
            assert payload["payload"]["eventType"] == "CHARGING_STARTED"
            assert payload["payload"]["vehicleId"] == v.vehicle_id
        else:
            assert payload["eventType"] == "VEHICLE_STATE"
            assert payload["data"]["vehicle"]["id"] == v.vehicle_id
            assert payload["meta"]["signalCount"] == \
                len(payload["data"]["signals"])

        e = raises(v.unsubscribe, "wrong-amt", wid)
        assert (e.type, e.code, e.status_code) == ("AUTHENTICATION", None, 401)
        assert v.unsubscribe(AMT, wid).status == "success"
        r = control("POST", f"/_emulator/webhooks/{wid}/deliver")
        assert r.json()["deliveries"] == []
    finally:
        cb.close()


def test_subscribe_unknown_webhook_is_validation_error(owner):
    e = raises(owner.vehicle("bev").subscribe, "no-such-webhook")
    assert (e.type, e.code, e.status_code) == ("VALIDATION", None, 400)


def test_hash_challenge_vector():
    # spec section 5.2 test vector
    assert smartcar.hash_challenge("amt", "challenge") == \
        "9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efacf646d79328e"
    mac = hmac.new(b"amt", b'{"pizza":"pasta"}', hashlib.sha256).hexdigest()
    assert smartcar.verify_payload("amt", mac, '{"pizza":"pasta"}')


# ---------------------------------------------------------- clock, expiry

def test_access_token_expiry_and_refresh_grace(owner):
    """Access tokens die after 7200 s; a used refresh token keeps working
    for the grace window only (moves the emulator clock, then back)."""
    rotated = owner.client.exchange_refresh_token(owner.access.refresh_token)
    try:
        control("POST", "/_emulator/clock", json={"advance": 7201})
        e = raises(smartcar.get_user, owner.token)
        assert (e.type, e.status_code) == ("AUTHENTICATION", 401)
        e = raises(owner.client.exchange_refresh_token,
                   owner.access.refresh_token)
        assert e.type == "invalid_grant"
        fresh = owner.client.exchange_refresh_token(rotated.refresh_token)
        assert smartcar.get_user(fresh.access_token).id
    finally:
        control("POST", "/_emulator/clock", json={"advance": -7201})


# ----------------------------------------------------------------- https

def test_sdk_over_https(tmp_path):
    """The emulator with --tls-cert/--tls-key and the SDK trusting the
    throwaway CA through REQUESTS_CA_BUNDLE."""
    import os
    import subprocess
    import sys
    from compat_env import ROOT
    subprocess.run([os.path.join(ROOT, "tests", "tls", "make-cert.sh"),
                    str(tmp_path)], check=True, capture_output=True)
    binary = os.environ.get("SMARTCAR_EMULATOR_BIN",
                            os.path.join(ROOT, "build", "smartcar-emulator"))
    emu = subprocess.Popen([binary, "--port", "0",
                            "--tls-cert", str(tmp_path / "server.crt"),
                            "--tls-key", str(tmp_path / "server.key")],
                           stdout=subprocess.PIPE, text=True)
    try:
        url = emu.stdout.readline().strip()
        assert url.startswith("https://127.0.0.1:")
        script = (
            "import smartcar\n"
            "c = smartcar.get_compatibility('5YJ3E1EA0LF000000', "
            "['read_odometer'])\n"
            "print(c.compatible)\n"
            "try:\n"
            "    smartcar.get_user('nope')\n"
            "except smartcar.SmartcarException as e:\n"
            "    print(e.type, e.status_code)\n")
        env = dict(os.environ, SMARTCAR_API_ORIGIN=url,
                   REQUESTS_CA_BUNDLE=str(tmp_path / "ca.crt"))
        out = subprocess.run([sys.executable, "-c", script], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.stdout.split("\n")[:2] == ["True", "AUTHENTICATION 401"], \
            out.stderr
        # without trusting the CA the SDK refuses the connection
        env["REQUESTS_CA_BUNDLE"] = "/etc/ssl/certs/ca-certificates.crt"
        out = subprocess.run([sys.executable, "-c", script], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0
    finally:
        emu.terminate()
        emu.wait(10)


def test_charging_sends_webhooks_by_itself(owner):
    """Starting a charge through the SDK makes the emulator call the
    subscribed v2 webhook with CHARGING_STARTED, signed."""
    import time
    cb = Callback()
    try:
        wid = f"py-auto-{uuid.uuid4().hex[:12]}"
        r = control("POST", "/_emulator/webhooks",
                    json={"webhook_id": wid, "callback_url": cb.url,
                          "version": "2.0"})
        assert r.json()["verified"] is True, r.text
        vid = owner.by_kind["bev"]
        control("POST", f"/_emulator/vehicles/{vid}",
                json={"plugged_in": True, "percent_remaining": 0.4})
        v = owner.vehicle("bev")
        v.subscribe(wid)
        v.start_charge()
        deadline = time.time() + 10
        events = []
        while time.time() < deadline and not events:
            events = [json.loads(b) for s, b in cb.got[1:]
                      if smartcar.verify_payload(AMT, s, b)]
            time.sleep(0.05)
        assert events and events[0]["payload"]["eventType"] == \
            "CHARGING_STARTED"
        assert events[0]["payload"]["vehicleId"] == vid
        assert events[0]["mode"] == "test"
    finally:
        cb.close()


def test_single_select_vin_and_make_bypass(owner):
    vin = owner.vehicle("ice").vin().vin
    client = smartcar.AuthClient(mode="test")
    url = client.get_auth_url(["read_vin"], {"single_select": {"vin": vin}})
    token = client.exchange_code(approve(url, owner.email)["code"][0])
    ids = smartcar.get_vehicles(token.access_token).vehicles
    assert ids == [owner.by_kind["ice"]]
    assert smartcar.Vehicle(ids[0], token.access_token).vin().vin == vin
    url = client.get_auth_url(["read_vehicle_info"], {"make_bypass": "tesla"})
    token = client.exchange_code(approve(url, owner.email)["code"][0])
    ids = smartcar.get_vehicles(token.access_token).vehicles
    # test mode: the make's test vehicles, the owner's Model 3 first
    assert ids[0] == owner.by_kind["bev"] and len(ids) == 2
    for vid in ids:
        attrs = smartcar.Vehicle(vid, token.access_token).attributes()
        assert attrs.make == "TESLA"
