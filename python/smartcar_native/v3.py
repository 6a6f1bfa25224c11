"""Vehicle API v3: the vehicle resource and its signals.

Two ways to authenticate, both handled by libsmartcar:

- a Connect access token (the v2 flow), as for :class:`Vehicle`; or a
  :class:`TokenStore` and key, refreshed by itself;
- the application token: with no access token the client fetches one with
  the OAuth client-credentials grant (``iam_origin``), keeps it for its
  hour and fetches a new one before it expires, and sends the Smartcar
  ``user_id`` (``GET /user``'s id, or Connect's redirect ``user_id``) in
  the ``sc-user-id`` header.

::

    car = smartcar.VehicleV3(vehicle_id, user_id=user_id)
    odometer = car.get_signal("odometer-traveleddistance")
    print(odometer.value, odometer.unit)
    for signal in car.iter_signals():
        print(signal.code, signal.status, signal.body)

The method names follow the official Node and Java SDKs' v3 calls
(``getVehicle``, ``getSignals``, ``getSignal``) in snake_case.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from . import _util
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


class VehicleV3(VehicleV3Methods, Planned):
    """One vehicle through the Vehicle API v3.

    Give ``user_id`` (application token + ``sc-user-id``), or an
    ``access_token`` from Connect, or a :class:`TokenStore` and ``key``
    (Connect tokens refreshed by themselves, as for :class:`Vehicle`).

    ``options``: ``client`` (an :class:`AuthClient` or :class:`Client`),
    ``client_id`` / ``client_secret`` (default: the ``SMARTCAR_CLIENT_*``
    variables), ``unit_system`` (``"metric"`` or ``"imperial"``), and the
    per-call settings (``timeout_ms``, ``max_attempts``...).

    Methods return named tuples (:class:`VehicleInfo`, :class:`Signals`,
    :class:`Signal`) with the response ``meta``; errors raise
    :class:`SmartcarException` subclasses built from the JSON:API error
    body.  Safe to use from several threads.

    A command (``charge_start``...) returns the command-execution document
    (snake_case).  It may answer 202 and end minutes later on the same
    connection (the read timeout is then at least 310 s unless
    ``timeout_ms`` says otherwise): the final body decides, an
    ``errors[]`` body or a status other than SUCCESS raising the typed
    error.
    """

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
