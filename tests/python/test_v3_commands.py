"""API v3 commands that end through 202, and charge schedules, against the
emulator: the wire (headers first, the body when the command ends), the
blocking calls, aio (the non-blocking driver) and deadlines."""

import asyncio
import socket

import pytest

import smartcar_native as smartcar
from smartcar_native import aio

from conftest import set_charge_limit_v3


def commands(emu, **settings):
    return emu.request("POST", "/_emulator/v3/commands", settings)


def posts(emu, part):
    """POSTs that reached the command (a 401 of an application token an
    earlier test's reset forgot is renewed and sent again, as it should)."""
    return sum(1 for r in emu.requests()
               if r["method"] == "POST" and part in r["path"]
               and r["status"] != 401)


def app_car(cars, kind, **options):
    return smartcar.VehicleV3(getattr(cars, kind), user_id=cars.user_id,
                              options=options or None)


def raw_command(emu, cars, version="1.1"):
    """A lock of the PHEV (Toyota: async) sent by hand with the Connect
    token; the socket after the request."""
    host, port = emu.url.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)))
    s.sendall((
        "POST /v3/vehicles/%s/commands/security/lock HTTP/%s\r\n"
        "Host: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n"
        % (cars.phev, version, host, cars.token)).encode())
    return s


def read_head(s):
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        assert chunk, "connection closed before the headers"
        got += chunk
    head, _, rest = got.partition(b"\r\n\r\n")
    return head.decode().lower(), rest


def read_to_close_or(s, end):
    got = b""
    while not got.endswith(end):
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def test_202_headers_first_then_the_body_on_the_same_connection(emu, cars):
    cars.state(cars.phev, locked=False)
    commands(emu, delay_ms=-1)  # held until released
    s = raw_command(emu, cars)
    s.settimeout(10)
    head, rest = read_head(s)
    assert head.startswith("http/1.1 202")
    assert "content-length" not in head
    assert "transfer-encoding: chunked" in head
    assert rest == b""
    # nothing more until the command ends; the car has not changed yet
    s.settimeout(0.2)
    with pytest.raises(socket.timeout):
        s.recv(1)
    assert cars.state(cars.phev)["locked"] is False
    assert emu.request("GET", "/_emulator/v3/commands")["waiting"] == 1
    assert emu.request("POST", "/_emulator/v3/commands/release",
                       {})["released"] == 1
    s.settimeout(10)
    body = read_to_close_or(s, b"0\r\n\r\n")
    s.close()
    assert b'"executionMode":"async"' in body
    assert b'"value":"SUCCESS"' in body
    assert cars.state(cars.phev)["locked"] is True
    # HTTP/1.0: no chunks, the end of the body is the end of the connection
    commands(emu, delay_ms=50, result="errors", error_type="VEHICLE_STATE",
             error_code="DOOR_OPEN")
    s = raw_command(emu, cars, "1.0")
    s.settimeout(10)
    head, rest = read_head(s)
    assert head.startswith("http/1.1 202") and "content-length" not in head
    assert "connection: close" in head
    body = rest + read_to_close_or(s, b"\0")
    s.close()
    assert b'{"errors":[{"status":"409","type":"VEHICLE_STATE"' in body


def test_command_through_202(emu, cars):
    commands(emu, delay_ms=30)
    car = app_car(cars, "phev")
    cars.state(cars.phev, locked=False)
    execution = car.security_lock()
    attrs = execution["data"]["attributes"]
    assert attrs["execution_mode"] == "async"
    assert attrs["status"]["value"] == "SUCCESS"
    assert car.get_signal("closure-islocked").value is True
    # the Tesla answers at once
    tesla = app_car(cars, "bev").security_unlock()
    assert tesla["data"]["attributes"]["execution_mode"] == "sync"


def test_final_body_errors_are_typed_and_not_resent(emu, cars):
    car = app_car(cars, "phev")
    cars.state(cars.phev, locked=False)
    emu.clear_requests()
    commands(emu, delay_ms=20, result="errors", error_type="VEHICLE_STATE",
             error_code="DOOR_OPEN")
    with pytest.raises(smartcar.VehicleStateError) as info:
        car.security_lock()
    assert info.value.status_code == 409
    assert info.value.code == "DOOR_OPEN"
    commands(emu, result="FAILURE", error_type="UPSTREAM",
             error_code="NO_RESPONSE")
    with pytest.raises(smartcar.UpstreamError) as info:
        car.security_lock()
    assert info.value.code == "NO_RESPONSE" and info.value.status_code == 202
    assert posts(emu, "/commands/security/lock") == 2
    assert car.get_signal("closure-islocked").value is False


def test_deadline_ends_the_wait_with_a_timeout(emu, cars):
    commands(emu, delay_ms=-1)
    emu.clear_requests()
    car = app_car(cars, "phev", timeout_ms=300)
    with pytest.raises(smartcar.SmartcarTimeoutError):
        car.charge_stop()
    assert posts(emu, "/commands/charge/stop") == 1
    emu.request("POST", "/_emulator/v3/commands/release", {})


def test_aio_runs_a_202_command_on_the_loop_with_a_deadline(emu, cars):
    cars.state(cars.phev, locked=False)

    async def main():
        car = aio.AsyncVehicleV3(cars.phev, user_id=cars.user_id)
        commands(emu, delay_ms=50)
        ran = await asyncio.gather(car.security_lock(),
                                   car.navigation_set_destination(48.1, 11.5))
        commands(emu, delay_ms=-1)
        quick = aio.AsyncVehicleV3(cars.phev, user_id=cars.user_id,
                                   options={"timeout_ms": 300})
        try:
            await quick.security_unlock()
        except smartcar.SmartcarTimeoutError as exc:
            return ran, exc
        return ran, None

    (lock, dest), timed_out = asyncio.run(main())
    emu.request("POST", "/_emulator/v3/commands/release", {})
    assert lock["data"]["attributes"]["execution_mode"] == "async"
    assert dest["data"]["attributes"]["parameters"] == {
        "latitude": 48.1, "longitude": 11.5}
    assert isinstance(timed_out, smartcar.SmartcarTimeoutError)
    # planned on the loop: the same plan the blocking call runs
    plan = smartcar.VehicleV3(cars.phev, user_id=cars.user_id).plan(
        "charge_set_limit", {"percent": 70})
    assert plan.endpoint == "charge_set_limit"
    assert plan.params["percent"] == 70


DAILY = {"location": {"latitude": 52.52, "longitude": 13.405},
         "startTime": "22:00", "stopTime": "06:00"}
WEEKLY = {"location": {"latitude": 52.52, "longitude": 13.405},
          "days": {"MONDAY": {"startTime": "22:00", "stopTime": "06:00"}}}
WORKWEEK = {"location": {"latitude": 52.52, "longitude": 13.405},
            "weekdays": {"startTime": "22:00", "stopTime": "06:00"},
            "weekends": {"startTime": "01:00", "stopTime": "05:00"}}


def test_charge_schedules_on_a_tesla(emu, cars):
    car = app_car(cars, "bev")
    made = [car.charge_schedule_daily(DAILY),
            car.charge_schedule_weekly(WEEKLY),
            car.charge_schedule_workweek(WORKWEEK)]
    ids = [m["data"]["attributes"]["schedule_id"] for m in made]
    assert [m["data"]["attributes"]["schedule_type"] for m in made] == [
        "DAILY", "WEEKLY", "WORKWEEK"]
    assert made[0]["data"]["attributes"]["parameters"]["start_time"] == \
        "22:00"
    sent = [r for r in emu.requests() if "/charge-schedules/" in r["path"]]
    assert '"data":{"attributes":{"location"' in sent[0]["body"]
    timers = car.get_signal("charge-chargetimers").body["values"]
    assert [t["schedule_id"] for t in timers] == ids
    assert {t["type"] for t in timers} == {"LOCATION"}
    assert timers[1]["schedule_type"] == "WEEKLY"
    assert timers[1]["days"]["MONDAY"]["start_time"] == "22:00"
    gone = car.delete_charge_schedule(ids[0])
    assert gone["data"]["attributes"]["action"] == "DELETE"
    left = car.get_signal("charge-chargetimers").body["values"]
    assert [t["schedule_id"] for t in left] == ids[1:]
    with pytest.raises(smartcar.ResourceNotFoundError):
        car.delete_charge_schedule(ids[0])
    with pytest.raises(TypeError):
        car.charge_schedule_daily(["not", "a", "mapping"])


def test_charge_schedules_elsewhere_are_not_capable(emu, cars):
    for kind in ("phev", "ice"):
        with pytest.raises(smartcar.CompatibilityError) as info:
            app_car(cars, kind).charge_schedule_daily(DAILY)
        assert info.value.status_code == 501
        assert info.value.code == "VEHICLE_NOT_CAPABLE"


def test_charge_port_commands(emu, cars):
    car = app_car(cars, "bev")
    opened = car.charge_port_open()
    assert opened["data"]["attributes"]["command_type"] == "charge-port-open"
    assert car.charge_port_close()["data"]["attributes"]["status"] == {
        "value": "SUCCESS"}
    with pytest.raises(smartcar.CompatibilityError):
        app_car(cars, "ice").charge_port_open()


def test_command_settings_are_checked(emu):
    for bad in ({"mode": "later"}, {"delay_ms": -2}, {"delay_ms": 1.5},
                {"result": "MAYBE"},
                {"result": "errors", "error_type": "NOPE"},
                {"status": 99}):
        with pytest.raises(AssertionError, match="-> 400"):
            emu.request("POST", "/_emulator/v3/commands", bad)
    now = emu.request("GET", "/_emulator/v3/commands")
    assert now["mode"] == "auto" and now["async_makes"] == ["BMW", "TOYOTA"]
    assert now["delay_ms"] == 1000 and now["result"] == "SUCCESS"


def register(emu, webhook_id, name, enabled=True, auto=False):
    return emu.request("POST", "/_emulator/webhooks", {
        "webhook_id": webhook_id, "name": name,
        "callback_url": "http://127.0.0.1:9/hooks/" + webhook_id,
        "enabled": enabled, "auto_subscribe": auto})


def test_management_v3_webhooks_read_only(emu):
    register(emu, "wh-fleet-1", "Fleet updates")
    register(emu, "wh-fleet-2", "Fleet errors", auto=True)
    register(emu, "wh-old", "Old hook", enabled=False)
    every = smartcar.v3.list_webhooks()
    assert [w["id"] for w in every["data"]] == [
        "wh-fleet-1", "wh-fleet-2", "wh-old"]
    first = every["data"][0]
    assert first["type"] == "webhook"
    assert first["attributes"]["callback_uri"].endswith("/hooks/wh-fleet-1")
    assert first["attributes"]["is_enabled"] is True
    assert every["meta"]["total_count"] == 3
    # filters: partial names and URIs in any case, booleans
    assert [w["id"] for w in smartcar.v3.list_webhooks(
        {"name": "FLEET"})["data"]] == ["wh-fleet-1", "wh-fleet-2"]
    assert [w["id"] for w in smartcar.v3.list_webhooks(
        {"is_enabled": False})["data"]] == ["wh-old"]
    assert [w["id"] for w in smartcar.v3.list_webhooks(
        {"auto_subscribe": True, "callback_uri": "HOOKS/wh-fleet"}
    )["data"]] == ["wh-fleet-2"]
    sent = [r for r in emu.requests() if r["path"] == "/v3/webhooks"][-1]
    assert sent["query"]["filter[autoSubscribe]"] == "true"
    with pytest.raises(TypeError):
        smartcar.v3.list_webhooks({"is_enabled": "yes"})
    # page-number paging: pageSize is the number returned, next to null
    page = smartcar.v3.list_webhooks({"page": 2, "page_size": 2})
    assert [w["id"] for w in page["data"]] == ["wh-old"]
    assert page["meta"]["page_size"] == 1 and page["links"]["next"] is None
    assert page["links"]["prev"] == "/webhooks?page[number]=1&page[size]=2"
    # the core's pager follows the pages to links.next == null
    walked = [w["id"] for p in smartcar.default_client().pages(
        "list_webhooks", {}, 1) for w in p["data"]]
    assert walked == ["wh-fleet-1", "wh-fleet-2", "wh-old"]
    one = smartcar.v3.get_webhook("wh-fleet-2")
    assert one["data"]["attributes"]["auto_subscribe"] is True
    with pytest.raises(smartcar.ResourceNotFoundError):
        smartcar.v3.get_webhook("wh-none")
    with pytest.raises(smartcar.ValidationError):
        smartcar.v3.list_webhooks({"page_size": 101})


def test_management_v3_webhooks_need_the_application_token(emu, cars):
    import json
    import urllib.error
    import urllib.request

    register(emu, "wh-x", "X")
    for path in ("/v3/webhooks", "/v3/webhooks/wh-x"):
        req = urllib.request.Request(emu.url + path, headers={
            "Authorization": "Bearer " + cars.token})  # a Connect token
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
        assert info.value.code == 401
        body = json.loads(info.value.read())
        assert body["errors"][0]["type"] == "AUTHENTICATION"


def test_iter_webhooks_walks_every_page(emu):
    for i in range(3):
        register(emu, "wh-it-%d" % i, "Hook %d" % i)
    emu.clear_requests()
    assert [w["id"] for w in smartcar.v3.iter_webhooks(page_size=2)] == [
        "wh-it-0", "wh-it-1", "wh-it-2"]
    pages = [r["query"]["page[number]"] for r in emu.requests()
             if r["path"] == "/v3/webhooks" and r["status"] == 200]
    assert pages == ["1", "2"]


def test_delete_user_ends_its_connections(emu, cars):
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id)
    assert car.get_vehicle().id == cars.bev
    assert smartcar.v3.list_connections({"user_id": cars.user_id})[
        "meta"]["total_count"] == 3
    smartcar.v3.delete_user(cars.user_id)
    assert smartcar.v3.list_connections({"user_id": cars.user_id})[
        "data"] == []
    # the application token with that sc-user-id: the vehicle is gone
    with pytest.raises(smartcar.ResourceNotFoundError):
        car.get_vehicle()
    # the user's Connect token lost its vehicles too (v3 and v2)
    with pytest.raises(smartcar.PermissionDeniedError):
        smartcar.VehicleV3(cars.bev, access_token=cars.token).get_vehicle()
    with pytest.raises(smartcar.PermissionDeniedError):
        cars.vehicle("bev").odometer()
    with pytest.raises(smartcar.ResourceNotFoundError):
        smartcar.v3.delete_user("00000000-0000-4000-8000-000000000000")


HOSTED = "tst2e255-d3c8-4f90-9fec-e6e68b98e9cb"


def test_the_hosted_test_vehicle(emu):
    car = smartcar.VehicleV3(HOSTED, access_token="test-data-token")
    info = car.get_vehicle()
    assert info.id == HOSTED and info.make == "TESLA"
    assert car.get_signal("vehicleidentification-vin").value
    assert car.security_lock()["data"]["attributes"]["status"] == {
        "value": "SUCCESS"}
    # the test token reaches only that vehicle; the id needs the token
    with pytest.raises(smartcar.PermissionDeniedError):
        smartcar.VehicleV3("00000000-0000-4000-8000-000000000000",
                           access_token="test-data-token").get_vehicle()
    with pytest.raises(smartcar.AuthenticationError):
        smartcar.VehicleV3(HOSTED, access_token="another").get_vehicle()
    with pytest.raises(smartcar.ValidationError):
        smartcar.VehicleV3("tst-not-it", access_token="test-data-token"
                           ).get_vehicle()


def test_async_commands_change_the_car_when_they_end(emu, cars):
    commands(emu, delay_ms=20)
    cars.state(cars.phev, plugged_in=True, charging=False)
    car = app_car(cars, "phev")
    started = car.charge_start()
    assert started["data"]["attributes"]["execution_mode"] == "async"
    assert car.get_signal("charge-ischarging").value is True
    car.charge_stop()
    assert car.get_signal("charge-ischarging").value is False
    set_charge_limit_v3(car, 70)
    with pytest.raises(smartcar.ValidationError):  # refused before the 202
        car.charge_set_limit(101)
    car.navigation_set_destination(52.52, 13.405)
    assert cars.state(cars.phev)["destination"] == {
        "latitude": 52.52, "longitude": 13.405}
