"""Faults injected by the emulator (/_emulator/faults) and how they surface.

Each fault maps to one exception class with the builtin it also is, and
reads are retried by libsmartcar as its client options say.
"""

from __future__ import annotations

from typing import Any, Dict

import pytest

import smartcar_native as smartcar
from smartcar_native import _core
from conftest import Emulator, assert_no_secrets

ODOMETER_PATH = "/v2.0/vehicles/*/odometer"


def inject(emu: Emulator, fault: Dict[str, Any], count: int = 1,
           path: str = ODOMETER_PATH) -> None:
    emu.request("POST", "/_emulator/faults", {
        "match": {"method": "GET", "path": path},
        "count": count,
        "fault": fault,
    })


@pytest.fixture
def fleet(emu: Emulator, access: Any) -> Dict[str, Any]:
    emu.request("DELETE", "/_emulator/faults")
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    return {
        "vehicle_id": vid,
        "access_token": access.access_token,
        "refresh_token": access.refresh_token,
    }


def _call(client: Any, fleet: Dict[str, Any]) -> Dict[str, Any]:
    return client.call("odometer", {
        "vehicle_id": fleet["vehicle_id"],
        "access_token": fleet["access_token"],
    })


def test_malformed_json(emu, fleet):
    inject(emu, {"type": "malformed"})
    with _core.Client(max_attempts=1) as client:
        with pytest.raises(smartcar.MalformedResponseError) as info:
            _call(client, fleet)
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "malformed_response"
    assert_no_secrets(info.value, fleet["access_token"])


def test_oversized_body(emu, fleet):
    inject(emu, {"type": "oversized", "bytes": 50000})
    with _core.Client(max_attempts=1, max_response_bytes=4096) as client:
        with pytest.raises(smartcar.ResponseTooLargeError) as info:
            _call(client, fleet)
    assert isinstance(info.value, smartcar.MalformedResponseError)
    assert info.value.kind == "response_too_large"
    assert_no_secrets(info.value, fleet["access_token"])


def test_rate_limit_with_retry_after(emu, fleet):
    inject(emu, {"type": "rate_limit", "retry_after": 2})
    with _core.Client(max_attempts=1) as client:
        with pytest.raises(smartcar.RateLimitError) as info:
            _call(client, fleet)
    e = info.value
    assert e.type == "RATE_LIMIT" and e.code == "VEHICLE"
    assert e.status_code == 429
    assert e.retry_after == "2"  # the header as sent, as the official SDK
    assert e.retry_after_seconds == 2
    assert e.resolution == {"type": "RETRY_LATER", "url": None}
    assert e.message.startswith("RATE_LIMIT:VEHICLE - ")
    assert_no_secrets(e, fleet["access_token"])


def test_vehicle_asleep(emu, fleet):
    inject(emu, {"type": "asleep"})
    with _core.Client(max_attempts=1) as client:
        with pytest.raises(smartcar.VehicleStateError) as info:
            _call(client, fleet)
    assert info.value.code == "ASLEEP"
    assert info.value.status_code == 409


def test_server_error_retried_then_success(emu, fleet):
    inject(emu, {"type": "status", "status": 500, "error_type": "SERVER",
                 "error_code": "INTERNAL", "resolution": "RETRY_LATER"})
    with _core.Client(max_attempts=3, retry_base_ms=10) as client:
        data = _call(client, fleet)
    assert data["distance"] > 0


def test_server_error_after_all_attempts(emu, fleet):
    inject(emu, {"type": "status", "status": 500, "error_type": "SERVER",
                 "error_code": "INTERNAL", "resolution": "RETRY_LATER"},
           count=5)
    with _core.Client(max_attempts=3, retry_base_ms=10) as client:
        with pytest.raises(smartcar.ServerError) as info:
            _call(client, fleet)
    assert info.value.attempts == 3
    assert info.value.status_code == 500


def test_dropped_connection_retried(emu, fleet):
    inject(emu, {"type": "drop"})
    with _core.Client(max_attempts=3, retry_base_ms=10) as client:
        assert _call(client, fleet)["distance"] > 0


def test_dropped_connection_without_retries(emu, fleet):
    inject(emu, {"type": "drop"})
    with _core.Client(max_attempts=1) as client:
        with pytest.raises(smartcar.NetworkError) as info:
            _call(client, fleet)
    assert isinstance(info.value, ConnectionError)
    assert_no_secrets(info.value, fleet["access_token"])


def test_latency_past_the_timeout(emu, fleet):
    inject(emu, {"type": "latency", "ms": 1500})
    with _core.Client(max_attempts=1, timeout_ms=300) as client:
        with pytest.raises(smartcar.SmartcarTimeoutError) as info:
            _call(client, fleet)
    assert isinstance(info.value, TimeoutError)
    assert_no_secrets(info.value, fleet["access_token"])


def test_public_api_surfaces_faults(emu, fleet):
    # the module-level client retries reads with the library's defaults
    inject(emu, {"type": "asleep"}, count=5)
    vehicle = smartcar.Vehicle(fleet["vehicle_id"], fleet["access_token"])
    with pytest.raises(smartcar.VehicleStateError):
        vehicle.odometer()
