"""``smartcar.v3_response`` of the official SDK: the v3 ``Response``."""

from __future__ import annotations

from typing import Any, Dict, TypedDict

__all__ = ["Response"]


class Response(TypedDict):
    """What ``get_vehicle``, ``Vehicle.get_signals`` and
    ``Vehicle.get_signal`` return: the JSON body as sent and the
    ``sc-*`` response headers."""

    body: Any
    headers: Dict[str, Any]
