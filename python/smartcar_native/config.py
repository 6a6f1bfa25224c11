"""``smartcar.config`` of the official SDK: the origins in use.

The values are read from libsmartcar's default client each time they are
looked up, so they follow the ``SMARTCAR_*_ORIGIN`` variables (the
official SDK reads them once, at import).  ``AUTH_ORIGIN`` is the full
token URL, as in the official SDK.
"""

from __future__ import annotations

from typing import Dict

from ._shared_clients import default_client

__all__ = ["API_ORIGIN", "AUTH_ORIGIN", "CONNECT_ORIGIN",
           "MANAGEMENT_API_ORIGIN", "VEHICLE_API_ORIGIN"]

_KEYS: Dict[str, str] = {
    "API_ORIGIN": "api_origin",
    "AUTH_ORIGIN": "auth_url",
    "CONNECT_ORIGIN": "connect_origin",
    "MANAGEMENT_API_ORIGIN": "management_origin",
    "VEHICLE_API_ORIGIN": "vehicle_api_origin",
}

API_ORIGIN: str
AUTH_ORIGIN: str
CONNECT_ORIGIN: str
MANAGEMENT_API_ORIGIN: str
VEHICLE_API_ORIGIN: str


def __getattr__(name: str) -> str:
    key = _KEYS.get(name)
    if key is None:
        raise AttributeError("module %r has no attribute %r"
                             % (__name__, name))
    return str(default_client().get(key))
