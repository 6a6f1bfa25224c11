"""Typical use of smartcar_native, checked with mypy --strict (run.sh).

Nothing here runs against a server: the file is only type-checked.
"""
from __future__ import annotations

import datetime
from typing import List, Optional

import smartcar_native as smartcar
from smartcar_native import aio, options as sc_options
from smartcar_native.exception import SmartcarException
from smartcar_native.v2_response import Door, LockStatus


def connect(client: smartcar.AuthClient, callback_url: str, state: str) -> str:
    url: str = client.get_auth_url(options={"force_prompt": True})
    url = client.get_auth_url(["read_odometer"], {"state": state,
                                                  "single_select": {"vin": "X"},
                                                  "flags": {"beta": True}})
    redirect = smartcar.parse_redirect(callback_url, expected_state=state)
    access: smartcar.Access = client.exchange_code(redirect.code)
    expires: datetime.datetime = access.expiration
    assert expires and url
    return access.access_token


def read(token: str) -> List[float]:
    out: List[float] = []
    opts: sc_options.VehicleOptions = {"unit_system": "imperial",
                                       "timeout_ms": 5000}
    for vid in smartcar.get_vehicles(token, {"limit": 10}).vehicles:
        car = smartcar.Vehicle(vid, token, opts)
        out.append(float(car.odometer().distance))
        status: LockStatus = car.lock_status()
        doors: List[Door] = status.doors
        out.extend(1.0 for d in doors if d.status == "OPEN")
        capacity = car.nominal_capacity().capacity
        if capacity is not None:
            out.append(float(capacity.nominal))
    return out


def errors(token: str) -> Optional[str]:
    try:
        smartcar.Vehicle("vid", token).odometer()
    except smartcar.RateLimitError as e:
        seconds: Optional[float] = e.retry_after_seconds
        text: Optional[str] = e.retry_after
        return "%s %s" % (seconds, text)
    except SmartcarException as e:
        return e.message
    return None


def configure() -> None:
    smartcar.configure(retries=3, rate_policy="wait")
    smartcar.configure()
    compat = smartcar.get_compatibility("VIN", ["read_odometer"], "US",
                                        {"mode": "test"})
    assert compat.compatible in (True, False)
    smartcar.delete_connections("amt", {"user_id": "u"})
    origin: str = smartcar.config.API_ORIGIN
    assert origin


async def read_async(token: str, store: aio.AsyncTokenStore) -> str:
    # the awaitable twins take their originals' arguments
    async with aio.AsyncAuthClient(mode="test") as auth:
        access: smartcar.Access = await auth.exchange_code(
            "code", store=store, key="user")
        ids: List[str] = (await aio.get_vehicles(access.access_token)).vehicles
        car = aio.AsyncVehicle(ids[0], access.access_token,
                               {"unit_system": "imperial"})
        odometer = await car.odometer()
        miles: float = odometer.distance
        v3car = aio.AsyncVehicleV3("vid", user_id="user")
        user: Optional[str] = v3car.user_id
        assert miles and user is not None
        return car.unit_system + store.path
