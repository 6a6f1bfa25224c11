"""Vehicle API v3: the vehicle and its signals with a Connect token, with
the application token + user id, and the client options for v3."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import smartcar_native as smartcar

from conftest import (CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, REPO,
                      authorize, assert_no_secrets, set_charge_limit_v3)

# the signals of the emulator's ICE vehicle, in code order
SIGNAL_CODES = json.loads(
    (REPO / "tests" / "data" / "ice_signal_codes.json").read_text())


def iam_posts(emu):
    return emu.count("POST", "/oauth2/token")


def test_with_a_connect_token(cars):
    car = smartcar.VehicleV3(cars.bev, access_token=cars.token)
    info = car.get_vehicle()
    assert isinstance(info, smartcar.VehicleInfo)
    assert info.id == cars.bev
    assert (info.make, info.model, info.year) == ("TESLA", "Model 3", 2020)
    assert info.powertrain_type == "BEV"
    assert info.mode == "LIVE"
    assert info.attributes["powertrain_type"] == "BEV"
    assert info.meta.request_id

    odometer = car.get_signal("odometer-traveleddistance")
    assert isinstance(odometer, smartcar.Signal)
    assert odometer.code == "odometer-traveleddistance"
    assert odometer.status == "SUCCESS" and odometer.error is None
    assert odometer.unit == "kilometers"
    v2 = smartcar.Vehicle(cars.bev, cars.token).odometer().distance
    assert odometer.value == pytest.approx(v2, abs=0.1)
    assert odometer.body == {"unit": "kilometers", "value": odometer.value}
    # signal times: timezone-aware UTC datetimes (docs/v3.md)
    assert isinstance(odometer.retrieved_at, dt.datetime)
    assert odometer.retrieved_at.utcoffset() == dt.timedelta(0)
    assert odometer.meta.unit_system == "metric"

    location = car.get_signal("location-preciselocation")
    # a body without a "value": the value is the body, less its unit
    assert location.unit is None
    assert set(location.body) == {"latitude", "longitude"}
    assert location.value == location.body

    # the BEV cannot have a fuel level: listed as an ERROR signal
    fuel = car.get_signal("internalcombustionengine-fuellevel")
    assert fuel.status == "ERROR"
    assert fuel.error["type"] == "COMPATIBILITY"
    assert fuel.body is None and fuel.value is None


def test_connect_token_permissions_filter_signals(emu, auth):
    access = auth.exchange_code(authorize(emu, auth, ["read_odometer"]))
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    car = smartcar.VehicleV3(vid, access_token=access.access_token)
    assert car.get_signal("odometer-traveleddistance").status == "SUCCESS"
    vin = car.get_signal("vehicleidentification-vin")
    assert vin.status == "ERROR" and vin.error["type"] == "PERMISSION"


def test_with_the_application_token_and_user_id(emu, cars):
    emu.clear_requests()
    car = smartcar.VehicleV3(cars.phev, user_id=cars.user_id)
    assert car.get_vehicle().powertrain_type == "PHEV"
    page = car.get_signals(page=1, page_size=4)
    assert isinstance(page, smartcar.Signals)
    assert len(page.signals) == 4
    assert page.paging == smartcar.PageInfo(1, 4, 12)
    assert page.links["next"] and page.links["previous"] is None
    assert page.vehicle is not None and page.vehicle.id == cars.phev
    assert page.meta.request_id
    # the application token sees every signal the car has
    fuel = car.get_signal("internalcombustionengine-fuellevel")
    assert fuel.status == "SUCCESS" and fuel.unit == "percent"
    # one client-credentials grant for all of them; sc-user-id sent
    assert iam_posts(emu) == 1
    v3 = [r for r in emu.requests() if r["path"].startswith("/v3/")]
    assert v3 and all(r["headers"].get("sc-user-id") == cars.user_id
                      for r in v3)
    assert all(r["headers"]["authorization"].startswith("Bearer ")
               for r in v3)
    # another vehicle of the same application reuses the cached token
    smartcar.VehicleV3(cars.ice, user_id=cars.user_id).get_vehicle()
    assert iam_posts(emu) == 1


def test_application_token_is_renewed_after_it_expires(emu, cars):
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id)
    car.get_vehicle()
    before = iam_posts(emu)
    emu.advance(3700)  # the emulator's app token is dead now
    assert car.get_vehicle().id == cars.bev
    assert iam_posts(emu) == before + 1


def test_iter_signals_pages(emu, cars):
    car = smartcar.VehicleV3(cars.ice, user_id=cars.user_id)
    emu.clear_requests()
    signals = list(car.iter_signals(page_size=3))
    assert [s.code for s in signals] == SIGNAL_CODES
    # (a 401 first is the shared client renewing an app token that an
    # earlier test's emulator reset forgot)
    pages = [r for r in emu.requests()
             if r["path"].endswith("/signals") and r["status"] == 200]
    assert [r["query"]["page"] for r in pages] == ["1", "2", "3", "4"]
    assert {r["query"]["pageSize"] for r in pages} == {"3"}
    # a page size that divides the total stops without an empty page
    emu.clear_requests()
    assert len(list(car.iter_signals(page_size=12))) == 12
    assert len([r for r in emu.requests()
                if r["path"].endswith("/signals")
                and r["status"] == 200]) == 1
    with pytest.raises(smartcar.InvalidArgumentError):
        car.iter_signals(page_size=0)


def test_unit_system_option(cars):
    car = smartcar.VehicleV3(cars.bev, access_token=cars.token,
                             options={"unit_system": "imperial"})
    odometer = car.get_signal("odometer-traveleddistance")
    assert odometer.unit == "miles"
    assert odometer.meta.unit_system == "imperial"
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.VehicleV3(cars.bev, access_token=cars.token,
                           options={"unit_system": "nautical"})


def test_v3_errors(emu, cars):
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id)
    with pytest.raises(smartcar.ResourceNotFoundError) as info:
        car.get_signal("no-such-signal")
    assert info.value.status_code == 404
    nobody = "00000000-0000-4000-8000-000000000000"
    stranger = smartcar.VehicleV3(cars.bev, user_id=nobody)
    with pytest.raises(smartcar.ResourceNotFoundError):
        stranger.get_vehicle()
    bad_token = "not-a-valid-token-12345"
    with pytest.raises(smartcar.AuthenticationError) as info:
        smartcar.VehicleV3(cars.bev, access_token=bad_token).get_vehicle()
    assert_no_secrets(info.value, bad_token)
    emu.request("POST", "/_emulator/vehicles/" + cars.bev, {"asleep": True})
    with pytest.raises(smartcar.VehicleStateError) as info:
        car.get_signals()
    assert info.value.code == "ASLEEP"
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.VehicleV3(cars.bev)  # no way to authenticate
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.VehicleV3(cars.bev, user_id="u", options={"bogus": 1})
    with pytest.raises(TypeError):
        smartcar.VehicleV3(cars.bev, cars.user_id)  # keyword-only
    with pytest.raises(smartcar.InvalidArgumentError):
        car.get_signals(page=0)
    assert cars.token not in repr(smartcar.VehicleV3(
        cars.bev, access_token=cars.token))


def test_wrong_secret_gives_oauth_error_without_secret(emu, cars):
    secret = "wrong-v3-secret-abcdef"
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id,
                             options={"client_id": CLIENT_ID,
                                      "client_secret": secret})
    with pytest.raises(smartcar.OAuthError) as info:
        car.get_vehicle()
    assert info.value.type == "invalid_client"
    assert_no_secrets(info.value, secret, CLIENT_SECRET)
    with pytest.raises(smartcar.OAuthError) as info:
        smartcar.get_app_token({"client_secret": secret})
    assert_no_secrets(info.value, secret, CLIENT_SECRET)


def test_get_app_token(emu):
    token = smartcar.get_app_token()
    assert isinstance(token, smartcar.AppToken)
    assert token.token_type == "Bearer"
    assert token.expires_in == 3600
    assert isinstance(token.expiration, dt.datetime)
    assert not token.is_expired()
    assert token.is_expired(leeway=4000)
    assert token.access_token not in repr(token)
    assert iam_posts(emu) == 1
    # with an AuthClient
    with smartcar.AuthClient() as auth:
        other = smartcar.get_app_token({"client": auth, "timeout_ms": 5000})
    assert other.access_token != token.access_token
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.get_app_token({"bogus": True})


def test_client_v3_origin_options(emulator_url, emu, cars, monkeypatch):
    monkeypatch.delenv("SMARTCAR_API_V3_ORIGIN")
    monkeypatch.delenv("SMARTCAR_IAM_ORIGIN")
    monkeypatch.delenv("SMARTCAR_VEHICLE_API_ORIGIN", raising=False)
    monkeypatch.delenv("SMARTCAR_VEHICLE_API_V3_ORIGIN", raising=False)
    default = smartcar.Client()
    assert default.get("vehicle_api_origin") != emulator_url
    default.close()
    client = smartcar.Client(client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET,
                             vehicle_api_origin=emulator_url,
                             iam_origin=emulator_url)
    assert client.get("vehicle_api_origin") == emulator_url
    assert client.get("iam_origin") == emulator_url
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id,
                             options={"client": client})
    assert car.get_vehicle().id == cars.bev
    assert smartcar.get_app_token({"client": client}).expires_in == 3600
    client.close()
    auth = smartcar.AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
                               vehicle_api_origin=emulator_url,
                               iam_origin=emulator_url)
    assert auth.client.get("vehicle_api_origin") == emulator_url
    info = smartcar.VehicleV3(cars.ice, user_id=cars.user_id,
                              options={"client": auth}).get_vehicle()
    assert info.powertrain_type == "ICE"
    auth.close()


def test_v3_with_a_token_store(emu, cars, auth):
    store = smartcar.TokenStore()
    store.put("owner", cars.access._replace(
        expiration=dt.datetime(2000, 1, 1)))
    emu.clear_requests()
    car = smartcar.VehicleV3(cars.bev, store=store, key="owner",
                             options={"client": auth})
    assert car.get_signal("closure-islocked").status == "SUCCESS"
    assert emu.refreshes() == 1
    assert store.get("owner").refresh_token != cars.access.refresh_token
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.VehicleV3(cars.bev, store=store)
    store.close()


def test_vehicle_get_signals_in_the_official_shape(cars):
    """Vehicle.get_signals/get_signal as the official SDK 6.x has them:
    {"body": the JSON as sent, "headers": every response header}."""
    car = smartcar.Vehicle(cars.bev, cars.token)
    res = car.get_signals()
    assert set(res) == {"body", "headers"}
    signals = res["body"]["data"]
    assert signals and "retrievedAt" in signals[0]["meta"]
    assert "totalCount" in res["body"]["meta"]
    # every response header, in any case (a requests-style mapping)
    headers = res["headers"]
    assert isinstance(headers, smartcar.v3_response.Headers)
    assert headers["sc-request-id"] == headers["SC-Request-Id"]
    assert headers["Content-Type"].startswith("application/json")
    assert int(headers["content-length"]) > 100
    assert headers["sc-unit-system"] == "metric"
    assert "Content-Type" in list(headers)
    # a single resource at the top level, as the official SDKs read it
    one = car.get_signal("odometer-traveleddistance")
    assert "data" not in one["body"]
    assert one["body"]["attributes"]["code"] == "odometer-traveleddistance"
    assert one["body"]["attributes"]["body"]["unit"] == "kilometers"
    assert one["headers"]["SC-REQUEST-ID"] != headers["sc-request-id"]
    info = smartcar.get_vehicle(cars.token, cars.bev)
    assert set(info) == {"body", "headers"}
    assert info["body"]["id"] == cars.bev
    assert info["body"]["attributes"]["make"] == "TESLA"
    assert info["headers"]["content-type"].startswith("application/json")
    assert smartcar.get_vehicle is smartcar.smartcar.get_vehicle
    with pytest.raises(smartcar.ResourceNotFoundError):
        car.get_signal("no-such-signal")


def test_commands_change_the_car(emu, cars):
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id)
    execution = car.security_lock()
    attrs = execution["data"]["attributes"]
    assert execution["data"]["type"] == "command-execution"
    assert attrs["command_type"] == "security-lock"
    assert attrs["status"]["value"] == "SUCCESS"
    assert car.get_signal("closure-islocked").value is True
    car.security_unlock()
    assert car.get_signal("closure-islocked").value is False

    set_charge_limit_v3(car, 80)
    with pytest.raises(smartcar.ValidationError):
        car.charge_set_limit(30)
    assert car.get_signal("charge-activelimit").value == pytest.approx(80)

    dest = car.navigation_set_destination(37.4292, -122.1381)
    assert dest["data"]["attributes"]["command_type"] == \
        "navigation-set-destination"


def test_connect_returns_the_v3_user_id(emu, auth, cars):
    url, state = auth.get_auth_url_with_state(["read_vehicle_info"])
    location = emu.connect(url, "approve", "owner@example.com")
    redirect = smartcar.parse_redirect(location, expected_state=state)
    assert redirect.code
    assert redirect.user_id == smartcar.get_user(
        auth.exchange_code(redirect.code).access_token).id
    # the user id alone reads the vehicle with the application token
    assert smartcar.VehicleV3(cars.bev, user_id=redirect.user_id
                              ).get_vehicle().id == cars.bev


def test_connections_follow_connect_and_deletion(emu, cars):
    page = smartcar.v3.list_connections({"user_id": cars.user_id,
                                         "page_size": 2})
    assert page["meta"]["total_count"] >= 3
    assert page["meta"]["page_size"] == len(page["data"]) == 2
    assert page["links"]["next"]
    ids = {}
    for number in range(1, 4):
        for c in smartcar.v3.list_connections(
                {"user_id": cars.user_id, "page": number,
                 "page_size": 2})["data"]:
            ids[c["relationships"]["vehicle"]["data"]["id"]] = c["id"]
    assert {cars.bev, cars.phev, cars.ice} <= set(ids)
    # the iterator walks the same pages by itself
    emu.clear_requests()
    walked = list(smartcar.v3.iter_connections({"user_id": cars.user_id},
                                               page_size=2))
    assert sorted(c["id"] for c in walked) == sorted(ids.values())
    asked = [r["query"].get("page[number]") for r in emu.requests()
             if r["path"] == "/v3/connections"]
    assert asked == [str(n) for n in range(1, (len(walked) + 1) // 2 + 1)]
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.v3.iter_connections({"page": 2})
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.v3.iter_connections(page_size=0)
    one = smartcar.v3.get_connection(ids[cars.bev])
    assert one["data"]["relationships"]["user"]["data"]["id"] == \
        cars.user_id
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id)
    car.get_vehicle()
    smartcar.v3.delete_connection(ids[cars.bev])
    with pytest.raises(smartcar.ResourceNotFoundError):
        smartcar.v3.get_connection(ids[cars.bev])
    with pytest.raises(smartcar.SmartcarException):
        car.get_vehicle()


@pytest.mark.parametrize("variable", ["SMARTCAR_API_V3_ORIGIN",
                                      "SMARTCAR_VEHICLE_API_V3_ORIGIN"])
def test_a_v3_origin_variable_keeps_every_v3_host_off_production(
        emu, cars, emulator_url, monkeypatch, variable):
    for name in ("SMARTCAR_API_V3_ORIGIN", "SMARTCAR_IAM_ORIGIN",
                 "SMARTCAR_VEHICLE_API_ORIGIN",
                 "SMARTCAR_MANAGEMENT_API_V3_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, emulator_url)
    client = smartcar.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    for origin in ("vehicle_api_origin", "iam_origin",
                   "management_v3_origin"):
        assert client.get(origin) == emulator_url
    before = iam_posts(emu)
    car = smartcar.VehicleV3(cars.bev, user_id=cars.user_id,
                             options={"client": client})
    assert car.get_vehicle().id == cars.bev
    assert iam_posts(emu) == before + 1
    client.close()


def test_management_v3_subscriptions(emu, cars):
    webhook = "f1b8e0c2-61c2-4a5e-8d1a-2f0a1c3b4d5e"
    made = smartcar.v3.create_subscription(webhook, cars.user_id, cars.bev)
    assert made["meta"]["message"] == "subscription creation in progress"
    with pytest.raises(smartcar.SmartcarException) as again:
        smartcar.v3.create_subscription(webhook, cars.user_id, cars.bev)
    assert again.value.status_code == 409
    listed = smartcar.v3.list_subscriptions({"webhook_id": webhook})["data"]
    assert [s["relationships"]["vehicle"]["data"]["id"]
            for s in listed] == [cars.bev]
    smartcar.v3.delete_subscription(listed[0]["id"])
    assert smartcar.v3.list_subscriptions({"webhook_id": webhook}
                                          )["data"] == []
    with pytest.raises(smartcar.ResourceNotFoundError):
        smartcar.v3.delete_subscription(listed[0]["id"])
