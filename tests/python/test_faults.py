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


def fails(emu: Emulator, fleet: Dict[str, Any], fault: Dict[str, Any],
          error: type, count: int = 1, **options: Any) -> Any:
    """The exception (of class error, with no token in it) that an odometer
    call raises on a client made with options (one attempt unless they
    say) while the emulator answers with fault count times."""
    inject(emu, fault, count)
    options.setdefault("max_attempts", 1)
    with _core.Client(**options) as client:
        with pytest.raises(error) as info:
            _call(client, fleet)
    assert_no_secrets(info.value, fleet["access_token"])
    return info.value


SERVER_ERROR = {"type": "status", "status": 500, "error_type": "SERVER",
                "error_code": "INTERNAL", "resolution": "RETRY_LATER"}


@pytest.mark.parametrize("fault, options, error, builtin, kind", [
    ({"type": "malformed"}, {}, smartcar.MalformedResponseError,
     ValueError, "malformed_response"),
    ({"type": "oversized", "bytes": 50000}, {"max_response_bytes": 4096},
     smartcar.ResponseTooLargeError, smartcar.MalformedResponseError,
     "response_too_large"),
    ({"type": "drop"}, {}, smartcar.NetworkError, ConnectionError,
     "network"),
    ({"type": "latency", "ms": 1500}, {"timeout_ms": 300},
     smartcar.SmartcarTimeoutError, TimeoutError, "timeout"),
], ids=["malformed", "oversized", "dropped", "latency"])
def test_fault_is_its_class_and_builtin(emu, fleet, fault, options, error,
                                        builtin, kind):
    e = fails(emu, fleet, fault, error, **options)
    assert isinstance(e, builtin)
    assert e.kind == kind


def test_rate_limit_with_retry_after(emu, fleet):
    e = fails(emu, fleet, {"type": "rate_limit", "retry_after": 2},
              smartcar.RateLimitError)
    assert e.type == "RATE_LIMIT" and e.code == "VEHICLE"
    assert e.status_code == 429
    assert e.retry_after == "2"  # the header as sent, as the official SDK
    assert e.retry_after_seconds == 2
    assert e.resolution == {"type": "RETRY_LATER", "url": None}
    assert e.message.startswith("RATE_LIMIT:VEHICLE - ")


def test_vehicle_asleep(emu, fleet):
    e = fails(emu, fleet, {"type": "asleep"}, smartcar.VehicleStateError)
    assert e.code == "ASLEEP"
    assert e.status_code == 409


def test_server_error_retried_then_success(emu, fleet):
    inject(emu, SERVER_ERROR)
    with _core.Client(max_attempts=3, retry_base_ms=10) as client:
        data = _call(client, fleet)
    assert data["distance"] > 0


def test_server_error_after_all_attempts(emu, fleet):
    e = fails(emu, fleet, SERVER_ERROR, smartcar.ServerError, count=5,
              max_attempts=3, retry_base_ms=10)
    assert e.attempts == 3
    assert e.status_code == 500


def test_dropped_connection_retried(emu, fleet):
    inject(emu, {"type": "drop"})
    with _core.Client(max_attempts=3, retry_base_ms=10) as client:
        assert _call(client, fleet)["distance"] > 0


def test_public_api_surfaces_faults(emu, fleet):
    # the module-level client retries reads with the library's defaults
    inject(emu, {"type": "asleep"}, count=5)
    vehicle = smartcar.Vehicle(fleet["vehicle_id"], fleet["access_token"])
    with pytest.raises(smartcar.VehicleStateError):
        vehicle.odometer()
