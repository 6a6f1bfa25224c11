"""Vehicle API v3: the vehicle resource and its signals (VehicleV3's doc,
its ways to authenticate and an example: csrc/lib/api.def)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from . import _util
from ._api import VehicleV3Doc
from ._module_calls import OPTIONS as _OPTIONS
from ._module_calls import client_for as _client_for
from ._app_calls import *  # noqa: F401,F403  (the generated v3 calls)
from ._core import Client
from .errors import InvalidArgumentError
from .store import store_and_key
from ._vehicle_methods import VehicleV3Methods
from ._module_functions import get_app_token as get_app_token
from ._plans import Planned
from .types import Signal

__all__ = ["VehicleV3", "get_app_token", "list_connections",
           "iter_connections", "get_connection", "delete_connection",
           "delete_user", "create_subscription", "list_subscriptions",
           "iter_subscriptions", "delete_subscription", "list_webhooks",
           "iter_webhooks", "get_webhook"]


class VehicleV3(VehicleV3Doc, VehicleV3Methods, Planned):
    __doc__ = VehicleV3Doc.__doc__

    vehicle_id: str
    user_id: Optional[str]
    access_token: Optional[str]

    def __init__(
        self,
        vehicle_id: str,
        *,
        user_id: Optional[str] = None,
        access_token: Optional[str] = None,
        options: Optional[Mapping[str, Any]] = None,
        store: Any = None,
        key: Optional[str] = None,
    ) -> None:
        self._opts = dict(self._settings(vehicle_id, options, _OPTIONS))
        self.user_id = _util.optional_str("user_id", user_id)
        self.access_token = _util.optional_str("access_token", access_token)
        self._store, self._key = store_and_key(store, key, access_token)
        if self.user_id is None and self.access_token is None and (
            self._store is None
        ):
            raise InvalidArgumentError(
                "VehicleV3 needs a user_id (application token), an "
                "access_token, or a store and key"
            )

    def __repr__(self) -> str:
        # never the access token
        return "VehicleV3(vehicle_id=%r, user_id=%r)" % (self.vehicle_id,
                                                         self.user_id)

    @property
    def client(self) -> Client:
        """The client this vehicle's calls go through."""
        return _client_for(self._opts)

    def _params(self) -> Dict[str, Any]:
        return {"vehicle_id": self.vehicle_id, "user_id": self.user_id,
                "unit_system": self._unit_system,
                "access_token": self.access_token}
