"""Vehicle: calls about one vehicle with one access token."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from . import _util, api
from ._client import default_client
from .errors import InvalidArgumentError
from .types import Odometer, odometer_from

__all__ = ["Vehicle"]

UNIT_SYSTEMS = ("metric", "imperial")


class Vehicle:
    """One vehicle, as in the official ``smartcar`` SDK.

    ``options``: ``unit_system`` (``"metric"``, the default, or
    ``"imperial"``), ``version`` (API version, default the module's) and
    ``flags`` (dict).  Calls share the module's default client, so
    connections are reused; a Vehicle is cheap to create.
    """

    vehicle_id: str
    access_token: str

    def __init__(
        self,
        vehicle_id: str,
        access_token: str,
        options: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.vehicle_id = _util.require_str("vehicle_id", vehicle_id)
        self.access_token = _util.require_str("access_token", access_token)
        opts = _util.require_mapping("options", options)
        _util.check_keys("option", opts, ("unit_system", "version", "flags"))
        self._unit_system = "metric"
        if opts.get("unit_system") is not None:
            self.set_unit_system(opts["unit_system"])
        self._version: Optional[str] = _util.optional_str(
            "version", opts.get("version")
        )
        self._flags = _util.flags_string(opts.get("flags"))

    def __repr__(self) -> str:
        # never the access token
        return "Vehicle(vehicle_id=%r, unit_system=%r)" % (
            self.vehicle_id,
            self._unit_system,
        )

    @property
    def unit_system(self) -> str:
        return self._unit_system

    def set_unit_system(self, unit_system: str) -> None:
        """Use ``"metric"`` or ``"imperial"`` for later calls."""
        _util.require_str("unit_system", unit_system)
        if unit_system not in UNIT_SYSTEMS:
            raise InvalidArgumentError(
                "unit_system must be 'metric' or 'imperial', not %r"
                % unit_system
            )
        self._unit_system = unit_system

    def _params(self) -> Dict[str, Any]:
        return {
            "vehicle_id": self.vehicle_id,
            "access_token": self.access_token,
            "unit_system": self._unit_system,
            "version": self._version or api._version_param(),
            "flags": self._flags,
        }

    def _call(self, endpoint: str) -> Dict[str, Any]:
        return default_client().call(endpoint, self._params())

    def odometer(self) -> Odometer:
        """The odometer: ``Odometer(distance, meta)``, in km or miles."""
        return odometer_from(self._call("odometer"))
