"""Vehicle: calls about one vehicle with one access token (its doc:
csrc/lib/api.def)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from .options import VehicleOptions
from . import _module_calls, _util
from ._api import VehicleDoc
from ._shared_clients import default_client
from ._core import Client, FrozenParams, endpoint_args
from ._plans import Plan, Planned, planner
from ._results import batch_from
from ._vehicle_methods import VehicleMethods
from .store import store_and_key
from .types import CONVERTERS, Response
from . import v3_response
from .v3_response import response_from as _v3_response

_REPLAY = _util.REPLAY

__all__ = ["Vehicle"]


class Vehicle(VehicleDoc, VehicleMethods, Planned):
    __doc__ = VehicleDoc.__doc__

    vehicle_id: str
    #: the token given, or None for a vehicle backed by a token store
    access_token: Optional[str]

    def __init__(
        self,
        vehicle_id: str,
        access_token: Optional[str] = None,
        options: Optional[VehicleOptions] = None,
        *,
        store: Any = None,
        key: Optional[str] = None,
    ) -> None:
        opts = self._settings(vehicle_id, options,
                              VehicleOptions.__annotations__)
        self._store, self._key = store_and_key(store, key, access_token)
        self.access_token = None if self._store is not None else \
            _util.require_str("access_token", access_token)
        self._version: Optional[str] = _util.optional_str(
            "version", opts.get("version"))
        self._flags = _util.flags_string(opts.get("flags"))
        #: what _call sends: (API version, vehicle id, token, FrozenParams)
        self._prepared: Optional[Tuple[Any, ...]] = None

    def __repr__(self) -> str:
        # never the access token
        key = "" if self._store is None else ", key=%r" % self._key
        return "Vehicle(vehicle_id=%r, unit_system=%r%s)" % (
            self.vehicle_id, self._unit_system, key)

    @property
    def store(self) -> Any:
        """The :class:`TokenStore` this vehicle's token comes from, or
        None."""
        return self._store

    @property
    def key(self) -> Optional[str]:
        """The store key of this vehicle's token set, or None."""
        return self._key

    # -- settings -------------------------------------------------------

    @property
    def version(self) -> str:
        """The API version this vehicle's calls use."""
        return self._version or _module_calls.get_api_version()

    @property
    def flags(self) -> Optional[str]:
        """The feature flags as sent (``"key:value key:value"``), or None."""
        return self._flags

    def set_unit_system(self, unit_system: str) -> None:
        """Use ``"metric"`` or ``"imperial"`` for later calls."""
        self._unit_system = _util.setting("unit_system", unit_system)
        self._prepared = None

    @property
    def client(self) -> Client:
        """The client this vehicle's calls go through."""
        return self._client_override or default_client()

    # -- plumbing -------------------------------------------------------

    def _params(self) -> Dict[str, Any]:
        return {"vehicle_id": self.vehicle_id,
                "access_token": self.access_token,
                "unit_system": self._unit_system,
                # the module's setting read in place (a call costs a frame)
                "version": self._version or _module_calls._api_version,
                "flags": self._flags}

    def _call(self, endpoint: str) -> Any:
        """``self._run(self._plan(endpoint))`` for a call without
        arguments (odometer()...), with the parameters converted once
        (again when the vehicle's settings or the module's API version
        changed), not on every call (issue 9)."""
        if self._store is not None or _REPLAY.get() is not None:
            return self._run(self._plan(endpoint))
        client = self._client_override or default_client()
        prepared = self._prepared
        if prepared is None or prepared[0] is not _module_calls._api_version \
                or prepared[1] is not self.vehicle_id \
                or prepared[2] is not self.access_token:
            prepared = self._prepared = (
                _module_calls._api_version, self.vehicle_id,
                self.access_token, FrozenParams(self._plan(endpoint).params))
        return CONVERTERS[endpoint](client.call(endpoint, prepared[3]))

    def _run(self, plan: Plan) -> Any:
        if self._store is not None or _REPLAY.get() is not None:
            return Planned._run(self, plan)
        # Planned._run without _util.call's frame
        data = (self._client_override or default_client()).call(
            plan.endpoint, plan.params)
        return plan.convert(data) if plan.convert else data

    # -- calls whose plan is more than a type check of the arguments
    # (every other call is generated: _vehicle_methods.py)

    # the records as sent (camelCase), as the official SDK
    _plan_service_history = planner("service_history", {"raw_body": "true"})
    _plan_batch = planner("batch", None, batch_from)

    # -- v3 signals, as the official SDK 6.x exposes them on Vehicle ------

    _plan_get_signals = planner("get_signals", {"raw_body": "true"},
                                _v3_response)

    def get_signals(self) -> v3_response.Response:
        """``GET /v3/vehicles/{id}/signals`` with this vehicle's token, in
        the official SDK's shape: ``{"body": <JSON as sent>, "headers":
        <every response header, case-insensitive>}``.  :class:`VehicleV3`
        gives typed results and application tokens."""
        return self._run(self._plan_get_signals())

    def _plan_get_signal(self, signal_code: str) -> Plan:
        _util.require_str("signal_code", signal_code)
        return self._plan("get_signal", {"signal_code": signal_code,
                                         "raw_body": "true"}, _v3_response)

    def get_signal(self, signal_code: str) -> v3_response.Response:
        """``GET /v3/vehicles/{id}/signals/{signal_code}``, shaped like
        :meth:`get_signals`."""
        return self._run(self._plan_get_signal(signal_code))

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Optional[Mapping[str, Any]] = None,
    ) -> Response:
        """Any request below ``/vehicles/{id}/``: ``Response(body, meta)``.

        ``path`` is relative to the vehicle (``"odometer"``,
        ``"tesla/charge/ammeter"``; ``""`` is the vehicle itself);
        ``body`` is sent as JSON when not None; ``headers`` are added and
        win over the defaults (give ``Authorization`` to use another
        credential).  The body comes back as the server sent it
        (camelCase keys).  Only GET requests are ever sent twice.
        """
        return self._run(self._plan_request(method, path, body, headers))

    def _plan_request(self, method: str, path: str, body: Any = None,
                      headers: Optional[Mapping[str, Any]] = None) -> Plan:
        # the library checks the arguments (the request line's kinds), the
        # method (in any case) and each header; any JSON is a body
        if headers is not None and not isinstance(headers, Mapping):
            raise _util.wrong_type("headers", "a dict", headers)
        return self._plan("request", endpoint_args("request", (
            method, path, None if body is None else
            _util.json_text("body", body), headers), "python"))
