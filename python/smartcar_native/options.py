"""Typed option dicts: the keys each ``options`` argument accepts.

They are ordinary dicts at run time (``{"force_prompt": True}``); the
types let mypy and pyright reject a misspelt key or a wrong value type
before the call runs.  libsmartcar still checks every value.
"""

from __future__ import annotations

from typing import Dict, List, Literal, TypedDict, Union

from ._core import Client

__all__ = [
    "Flags",
    "CallOptions",
    "SingleSelect",
    "AuthUrlOptions",
    "TokenOptions",
    "VehicleOptions",
    "PagingOptions",
    "CompatibilityOptions",
    "CompatibilityMatrixOptions",
    "ConnectionsFilter",
    "ConnectionsPaging",
    "ManagementOptions",
    "RatePolicy",
    "Profile",
]

#: feature flags: ``{"country": "DE", "flag": True}``
Flags = Dict[str, Union[str, bool, int, float]]
#: what libsmartcar does when a local rate limit or cool-down applies
RatePolicy = Literal["wait", "fail", "off"]
#: "official" (the official SDK's behaviour) or "native" (libsmartcar's)
Profile = Literal["official", "native"]


class CallOptions(TypedDict, total=False):
    """Per-call settings (ours, beyond the official SDK)."""

    timeout_ms: int
    connect_timeout_ms: int
    max_attempts: int
    retry_deadline_ms: int
    rate_policy: RatePolicy


class _ClientOptions(CallOptions, total=False):
    """The per-call settings and the :class:`Client` (or
    :class:`AuthClient`) to call with."""

    client: Client


class SingleSelect(TypedDict, total=False):
    """``single_select``: one vehicle only, or the one with ``vin``."""

    enabled: bool
    vin: str


class AuthUrlOptions(TypedDict, total=False):
    """``AuthClient.get_auth_url(scope, options)``."""

    force_prompt: bool
    state: str
    make_bypass: str
    single_select: Union[SingleSelect, bool]
    flags: Flags
    user: str


class TokenOptions(TypedDict, total=False):
    """``exchange_code`` / ``exchange_refresh_token`` options."""

    flags: Flags


class VehicleOptions(_ClientOptions, total=False):
    """``Vehicle(vehicle_id, access_token, options)``."""

    unit_system: Literal["metric", "imperial"]
    version: str
    flags: Flags


class PagingOptions(TypedDict, total=False):
    """``get_vehicles(token, paging)``, ``Vehicle.permissions(paging)``."""

    limit: int
    offset: int


class _AppOptions(_ClientOptions, total=False):
    """What the calls made as the application (Basic client_id:secret)
    share."""

    client_id: str
    client_secret: str
    version: str
    mode: Literal["live", "test", "simulated"]


class CompatibilityOptions(_AppOptions, total=False):
    """``get_compatibility(vin, scope, country, options)``."""

    flags: Flags
    test_mode: bool
    test_mode_compatibility_level: str


class CompatibilityMatrixOptions(_AppOptions, total=False):
    """``get_compatibility_matrix(region, make, options)``."""

    make: Union[str, List[str]]
    type: str
    scope: List[str]


class ConnectionsFilter(TypedDict, total=False):
    """``get_connections`` / ``delete_connections`` filter."""

    user_id: str
    vehicle_id: str


class ConnectionsPaging(TypedDict, total=False):
    """``get_connections`` paging: page size and the cursor to go on."""

    limit: int
    cursor: str


class ManagementOptions(_ClientOptions, total=False):
    """Management calls' options (ours): a client and call settings."""
