"""Return types: named tuples with the official ``smartcar`` SDK's names.

Conversion from libsmartcar's result data (snake_case dicts, expirations
in Unix seconds) lives here too, so every call builds its tuple the same
way.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, List, Mapping, NamedTuple, Optional, Union

__all__ = [
    "Meta",
    "Access",
    "User",
    "Paging",
    "Vehicles",
    "Odometer",
    "Redirect",
]

Number = Union[int, float]


class Meta(NamedTuple):
    """The ``sc-*`` response headers; ``None`` for those not sent."""

    data_age: Optional[str] = None
    unit_system: Optional[str] = None
    request_id: Optional[str] = None
    fetched_at: Optional[str] = None


class Access(NamedTuple):
    """A token set.  Expirations are naive UTC datetimes."""

    access_token: str
    token_type: str
    expires_in: int
    expiration: _dt.datetime
    refresh_token: str
    refresh_expiration: _dt.datetime


class User(NamedTuple):
    id: str
    meta: Meta


class Paging(NamedTuple):
    # "count" shadows tuple.count, as in the official SDK's Paging.
    count: int  # type: ignore[assignment]
    offset: int


class Vehicles(NamedTuple):
    vehicles: List[str]
    paging: Paging
    meta: Meta


class Odometer(NamedTuple):
    """Distance in kilometers (metric) or miles (imperial)."""

    distance: Number
    meta: Meta


class Redirect(NamedTuple):
    """What Connect sent back to the redirect URI on success."""

    code: Optional[str] = None
    state: Optional[str] = None
    user_id: Optional[str] = None
    external_id: Optional[str] = None
    virtual_key_url: Optional[str] = None
    #: set instead of ``code`` by the re-authentication flow
    vehicle_id: Optional[str] = None


# ---------------------------------------------------------------------
# From libsmartcar data


def _utc_naive(seconds: Any) -> Optional[_dt.datetime]:
    if seconds is None:
        return None
    aware = _dt.datetime.fromtimestamp(float(seconds), _dt.timezone.utc)
    return aware.replace(tzinfo=None)


def meta_from(data: Mapping[str, Any]) -> Meta:
    raw = data.get("meta") or {}
    return Meta(
        data_age=raw.get("data_age"),
        unit_system=raw.get("unit_system"),
        request_id=raw.get("request_id"),
        fetched_at=raw.get("fetched_at"),
    )


def access_from(data: Mapping[str, Any]) -> Access:
    expires_in = data.get("expires_in")
    if isinstance(expires_in, float) and expires_in.is_integer():
        expires_in = int(expires_in)
    return Access(
        access_token=data.get("access_token"),  # type: ignore[arg-type]
        token_type=data.get("token_type"),  # type: ignore[arg-type]
        expires_in=expires_in,  # type: ignore[arg-type]
        expiration=_utc_naive(data.get("expiration")),  # type: ignore
        refresh_token=data.get("refresh_token"),  # type: ignore[arg-type]
        refresh_expiration=_utc_naive(  # type: ignore[arg-type]
            data.get("refresh_expiration")
        ),
    )


def user_from(data: Mapping[str, Any]) -> User:
    return User(id=data.get("id"), meta=meta_from(data))  # type: ignore


def vehicles_from(data: Mapping[str, Any]) -> Vehicles:
    paging = data.get("paging") or {}
    return Vehicles(
        vehicles=list(data.get("vehicles") or []),
        paging=Paging(
            count=paging.get("count"),  # type: ignore[arg-type]
            offset=paging.get("offset"),  # type: ignore[arg-type]
        ),
        meta=meta_from(data),
    )


def odometer_from(data: Mapping[str, Any]) -> Odometer:
    return Odometer(
        distance=data.get("distance"), meta=meta_from(data)  # type: ignore
    )


def redirect_from(data: Mapping[str, Any]) -> Redirect:
    return Redirect(**{k: data.get(k) for k in Redirect._fields})
