"""``smartcar.smartcar`` of the official SDK: the module-level calls.

Everything here is also at the package top level
(``smartcar_native.get_user``...); this module exists so that code
importing from ``smartcar.smartcar`` keeps working.
"""

from __future__ import annotations

import base64
from typing import Any

from . import _util
from ._shared_clients import default_client
from ._module_calls import (
    delete_connections, get_api_version, get_compatibility,
    get_compatibility_matrix, get_connections, get_user, get_vehicles,
    set_api_version)
from .v3_response import Response
from .v3_response import response_from as _v3_response
from .webhooks import hash_challenge, verify_payload

__all__ = [
    "API_VERSION", "set_api_version", "get_api_version", "get_user",
    "get_compatibility_matrix", "get_vehicle", "get_vehicles",
    "get_compatibility", "hash_challenge", "verify_payload",
    "get_management_token", "get_connections", "delete_connections",
]

#: the API version calls use (read-only here; use set_api_version)
API_VERSION: str


def __getattr__(name: str) -> Any:
    if name == "API_VERSION":
        return get_api_version()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def get_vehicle(access_token: str, vehicle_id: str) -> Response:
    """``GET /v3/vehicles/{vehicle_id}``: ``{"body": <JSON as sent>,
    "headers": {...}}`` as in the official SDK.  :class:`VehicleV3` gives
    a typed result."""
    data = default_client().call("get_vehicle", {
        "access_token": _util.require_str("access_token", access_token),
        "vehicle_id": _util.require_str("vehicle_id", vehicle_id),
        "raw_body": "true",
    })
    return _v3_response(data)  # type: ignore[return-value]


def get_management_token(amt: str, username: str = "default") -> str:
    """The Basic credential for the management API (``username:amt`` in
    base64), as the official helper returns it."""
    text = "%s:%s" % (_util.require_str("username", username),
                      _util.require_str("amt", amt))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
