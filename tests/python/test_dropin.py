"""The official SDK's behaviour by default, ours behind configure().

Default (profile "official"): no automatic retries, no local cool-downs,
``retry_after`` as the header text, OAuth messages as the server wrote
them, ``mode`` not sent to v2.0 compatibility, scope and redirect_uri
optional, the official submodules and nested named tuples.
"""

from __future__ import annotations

import importlib
import urllib.parse
from typing import Any, Dict, Iterator

import pytest

import smartcar_native as smartcar
from smartcar_native import _core
from conftest import Emulator, authorize

ODOMETER_PATH = "/v2.0/vehicles/*/odometer"


def _inject(emu: Emulator, fault: Dict[str, Any], count: int = 1) -> None:
    emu.request("POST", "/_emulator/faults", {
        "match": {"method": "GET", "path": ODOMETER_PATH},
        "count": count,
        "fault": fault,
    })


def _requests(emu: Emulator) -> Any:
    return emu.request("GET", "/_emulator/requests")["requests"]


@pytest.fixture
def reset_config() -> Iterator[None]:
    yield
    smartcar.configure()


@pytest.fixture
def car(emu: Emulator, access: Any) -> smartcar.Vehicle:
    emu.request("DELETE", "/_emulator/faults")
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    return smartcar.Vehicle(vid, access.access_token)


def test_no_retry_by_default_retry_after_is_text(emu, car):
    _inject(emu, {"type": "rate_limit", "retry_after": 3}, count=1)
    before = len(_requests(emu))
    with pytest.raises(smartcar.SmartcarException) as info:
        car.odometer()
    e = info.value
    assert isinstance(e, smartcar.RateLimitError)  # typed, still the base
    assert e.retry_after == "3" and e.retry_after_seconds == 3
    assert e.attempts == 1
    assert len(_requests(emu)) == before + 1
    # no cool-down learnt: the next read goes out at once and succeeds
    assert car.odometer().distance > 0


def test_configure_turns_retries_on(emu, car, reset_config):
    smartcar.configure(retries=2)
    car_native = smartcar.Vehicle(car.vehicle_id, car.access_token)
    _inject(emu, {"type": "status", "status": 500, "error_type": "SERVER",
                  "error_code": "INTERNAL", "resolution": "RETRY_LATER"})
    assert car_native.odometer().distance > 0
    smartcar.configure()
    _inject(emu, {"type": "status", "status": 500, "error_type": "SERVER",
                  "error_code": "INTERNAL", "resolution": "RETRY_LATER"})
    with pytest.raises(smartcar.ServerError) as info:
        car.odometer()
    assert info.value.attempts == 1


def test_configure_checks_its_values(reset_config):
    with pytest.raises(ValueError):
        smartcar.configure(retries=-1)
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.configure(rate_policy="sometimes")  # type: ignore[arg-type]
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.configure(profile="fast")  # type: ignore[arg-type]


def test_oauth_message_is_the_servers_text(emu, auth):
    with pytest.raises(smartcar.SmartcarException) as info:
        auth.exchange_code("THIS_SHOULD_NOT_WORK")
    e = info.value
    assert isinstance(e, smartcar.OAuthError)
    # a code never issued (the emulator follows Smartcar here)
    assert e.type == "invalid_request" and e.status_code == 400
    # the official text; the refused code itself stays redacted
    assert e.message == "Invalid code: [REDACTED]."
    assert "THIS_SHOULD_NOT_WORK" not in repr(e)


def test_compatibility_mode_only_for_v1(emu, reset_config):
    smartcar.get_compatibility("5YJSA1E14FF101307", ["read_odometer"],
                               options={"mode": "live"})
    assert "mode" not in _requests(emu)[-1]["query"]
    smartcar.configure(profile="native")
    smartcar.get_compatibility("5YJSA1E14FF101307", ["read_odometer"],
                               options={"mode": "live"})
    assert _requests(emu)[-1]["query"]["mode"] == "live"


def test_auth_url_scope_and_redirect_optional(emu, monkeypatch):
    client = smartcar.AuthClient()
    url = client.get_auth_url(options={"force_prompt": True})
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["approval_prompt"] == ["force"]
    assert "scope" not in query
    monkeypatch.delenv("SMARTCAR_REDIRECT_URI")
    bare = smartcar.AuthClient()
    assert bare.redirect_uri is None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(
        bare.get_auth_url(["read_vin"])).query)
    assert "redirect_uri" not in query and query["scope"] == ["read_vin"]


def test_environment_the_official_sdk_reads(monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTCAR_VEHICLE_API_V3_ORIGIN",
                       "http://127.0.0.1:9/v3-mock")
    monkeypatch.delenv("SMARTCAR_API_V3_ORIGIN", raising=False)
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle) + ".ssl")
    with _core.Client() as client:
        assert client.get("vehicle_api_origin") == \
            "http://127.0.0.1:9/v3-mock"
        assert client.get("ca_bundle") == str(bundle) + ".ssl"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with _core.Client() as client:
        assert client.get("ca_bundle") == str(bundle)  # requests' first
    with _core.Client(ca_bundle="/explicit.pem") as client:
        assert client.get("ca_bundle") == "/explicit.pem"
    # the shared client follows the variables
    assert smartcar.config.VEHICLE_API_ORIGIN == "http://127.0.0.1:9/v3-mock"
    assert smartcar.default_client().get("ca_bundle") == str(bundle)


def test_ca_bundle_from_the_environment_is_used(emu, car, monkeypatch,
                                                tmp_path):
    # an https origin with a CA file that trusts nothing fails in TLS
    bad = tmp_path / "empty.pem"
    bad.write_text("not a certificate\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bad))
    monkeypatch.setenv("SMARTCAR_API_ORIGIN", "https://127.0.0.1:9")
    with pytest.raises(smartcar.NetworkError):
        smartcar.get_user(car.access_token)


def test_official_submodules():
    names = {
        "exception": ["SmartcarException"],
        "smartcar": ["get_user", "get_vehicles", "get_vehicle",
                     "get_compatibility", "get_compatibility_matrix",
                     "hash_challenge", "verify_payload", "get_api_version",
                     "set_api_version", "get_management_token",
                     "get_connections", "delete_connections",
                     "API_VERSION"],
        "helpers": ["validate_env", "format_flag_query",
                    "format_path_and_attribute_for_batch"],
        "config": ["API_ORIGIN", "AUTH_ORIGIN", "CONNECT_ORIGIN",
                   "MANAGEMENT_API_ORIGIN", "VEHICLE_API_ORIGIN"],
        "v2_response": ["Access", "LockStatus", "Door", "Window", "Sunroof",
                        "Storage", "ChargingPort", "SelectedCapacity",
                        "NominalCapcity", "Reason", "ServiceRecord"],
        "v3_response": ["Response"],
    }
    for module, attrs in names.items():
        mod = importlib.import_module("smartcar_native." + module)
        assert getattr(smartcar, module) is mod
        for attr in attrs:
            assert getattr(mod, attr) is not None, (module, attr)
    from smartcar_native.exception import SmartcarException
    assert SmartcarException is smartcar.SmartcarException
    assert smartcar.smartcar.API_VERSION == smartcar.get_api_version()
    assert smartcar.helpers.format_flag_query({"a": True, "b": "x"}) == \
        "a:true b:x"
    assert smartcar.helpers.format_path_and_attribute_for_batch(
        "/engine/oil") == ("engine/oil", "engine_oil")
    assert smartcar.helpers.format_path_and_attribute_for_batch(
        "/security") == ("security", "lock_status")
    assert smartcar.smartcar.get_management_token("amt") == \
        "ZGVmYXVsdDphbXQ="


def test_nested_named_tuples(cars):
    status = cars.vehicle("phev").lock_status()
    assert all(isinstance(d, smartcar.Door) for d in status.doors)
    assert all(isinstance(p, smartcar.ChargingPort)
               for p in status.charging_port)
    port = status.charging_port[0]
    assert port.type == port["type"] == "chargingPort"
    with pytest.raises(KeyError):
        port["colour"]
    capacity = cars.vehicle("bev").nominal_capacity().capacity
    assert isinstance(capacity, smartcar.SelectedCapacity)
    assert capacity == {"nominal": capacity.nominal,
                        "source": capacity.source}


def test_v3_get_vehicle_official_shape(emu, access):
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    result = smartcar.get_vehicle(access.access_token, vid)
    assert set(result) == {"body", "headers"}
    # the vehicle at the top level and every header, in any case
    assert result["body"]["id"] == vid
    assert result["body"]["type"] == "vehicle"
    assert result["headers"]["SC-Request-Id"] == \
        result["headers"]["sc-request-id"]
    assert "date" in result["headers"] and "Date" in result["headers"]
