"""Return types: named tuples with the official ``smartcar`` SDK's names.

Conversion from libsmartcar's result data (snake_case dicts, expirations
in Unix seconds) lives here too, so every call builds its tuple the same
way.
"""

from __future__ import annotations

import collections
import datetime as _dt
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Union

from ._time import is_expired as _is_expired
from . import notebook as _notebook
from ._time import parse_iso as _parse_iso
from ._time import utc_naive as _utc_naive

__all__ = [
    "Meta",
    "Access",
    "User",
    "Paging",
    "Vehicles",
    "Redirect",
    # Vehicle
    "Vin",
    "Charge",
    "Battery",
    "BatteryCapacity",
    "AvailableCapacity",
    "NominalCapcity",
    "NominalCapacity",
    "Fuel",
    "TirePressure",
    "EngineOil",
    "Odometer",
    "Location",
    "Attributes",
    "Permissions",
    "ChargeLimit",
    "LockStatus",
    "Door",
    "Window",
    "Sunroof",
    "Storage",
    "ChargingPort",
    "SelectedCapacity",
    "ServiceHistory",
    "DiagnosticSystem",
    "DiagnosticSystemStatus",
    "DiagnosticTroubleCode",
    "DiagnosticTroubleCodes",
    "Action",
    "Status",
    "Subscribe",
    "Response",
    # compatibility, management
    "CompatibilityV1",
    "CompatibilityV2",
    "Capability",
    "CompatibilityMatrix",
    "CompatibilityMatrixModel",
    "CompatibilityMatrixEntry",
    "Connection",
    "PagingCursor",
    "GetConnections",
    "DeleteConnections",
    # v3
    "AppToken",
    "VehicleInfo",
    "Signal",
    "Signals",
    "PageInfo",
]

Number = Union[int, float]


class Meta(NamedTuple):
    """The ``sc-*`` response headers; ``None`` for those not sent."""

    data_age: Optional[str] = None
    unit_system: Optional[str] = None
    request_id: Optional[str] = None
    fetched_at: Optional[str] = None

    @property
    def data_age_dt(self) -> Optional[_dt.datetime]:
        """``data_age`` as a naive UTC datetime (None when absent)."""
        return _parse_iso(self.data_age)

    @property
    def fetched_at_dt(self) -> Optional[_dt.datetime]:
        """``fetched_at`` as a naive UTC datetime (None when absent)."""
        return _parse_iso(self.fetched_at)


class Access(NamedTuple):
    """A token set.  Expirations are naive UTC datetimes.

    Beyond the official SDK's fields, two helpers (methods, so the tuple's
    fields, equality and unpacking are unchanged)::

        if access.is_expired():            # within 60 s of expiring
            access = client.exchange_refresh_token(access.refresh_token)
        if access.refresh_is_expired(leeway=7 * 86400):
            ...                            # ask the owner to reconnect soon
    """

    access_token: str
    token_type: str
    expires_in: int
    expiration: _dt.datetime
    refresh_token: str
    refresh_expiration: _dt.datetime

    def is_expired(self, leeway: float = 60) -> bool:
        """True when the access token has expired or will within
        ``leeway`` seconds (default 60, the token store's margin)."""
        return _is_expired(self.expiration, leeway)

    def refresh_is_expired(self, leeway: float = 60) -> bool:
        """True when the refresh token (60 days) has expired or will
        within ``leeway`` seconds: the owner must then go through Connect
        again."""
        return _is_expired(self.refresh_expiration, leeway)

    def __repr__(self) -> str:
        # tokens stay out of logs and tracebacks; the fields hold them
        return (
            "Access(access_token='[REDACTED]', token_type=%r, expires_in=%r,"
            " expiration=%r, refresh_token='[REDACTED]',"
            " refresh_expiration=%r)"
            % (self.token_type, self.expires_in, self.expiration,
               self.refresh_expiration)
        )


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


class Vin(NamedTuple):
    vin: str
    meta: Meta


class Charge(NamedTuple):
    """``state``: ``CHARGING``, ``FULLY_CHARGED`` or ``NOT_CHARGING``."""

    is_plugged_in: bool
    state: str
    meta: Meta


class Battery(NamedTuple):
    """``percent_remaining`` is a fraction (0..1); ``range`` km or miles."""

    percent_remaining: Number
    range: Number
    meta: Meta


class BatteryCapacity(NamedTuple):
    """Capacity in kWh."""

    capacity: Number
    meta: Meta


class AvailableCapacity(NamedTuple):
    """One capacity the vehicle may have: kWh and ``ENGINE:TRIM`` text."""

    capacity: Number
    description: Optional[str]


class NominalCapcity(NamedTuple):
    """The nominal battery capacity (official SDK name and spelling).

    ``capacity`` is a :class:`SelectedCapacity` ``(nominal, source)``
    (``source`` ``"SMARTCAR"`` or ``"USER_SELECTED"``; it also reads as
    the official SDK's dict) or None when undetermined; then ``url`` (if not
    None) starts the Connect flow that lets the owner choose one of
    ``availableCapacities`` (append ``redirect_uri``).
    """

    availableCapacities: List[AvailableCapacity]
    capacity: Optional[SelectedCapacity]
    url: Optional[str]
    meta: Meta

    @property
    def available_capacities(self) -> List[AvailableCapacity]:
        """``availableCapacities`` under a snake_case name."""
        return self.availableCapacities


#: the correctly spelt name of :class:`NominalCapcity`
NominalCapacity = NominalCapcity


class Fuel(NamedTuple):
    """Range in km or miles, amount in liters or US gallons."""

    range: Optional[Number]
    percent_remaining: Optional[Number]
    amount_remaining: Optional[Number]
    meta: Meta


class TirePressure(NamedTuple):
    """Pressures in kilopascals (metric) or psi (imperial)."""

    front_left: Number
    front_right: Number
    back_left: Number
    back_right: Number
    meta: Meta


class EngineOil(NamedTuple):
    """``life_remaining``: 1 is fresh oil, 0 means change it now."""

    life_remaining: Number
    meta: Meta


class Location(NamedTuple):
    latitude: Number
    longitude: Number
    meta: Meta


class Attributes(NamedTuple):
    id: str
    make: str
    model: str
    year: int
    meta: Meta


class Permissions(NamedTuple):
    permissions: List[str]
    paging: Paging
    meta: Meta


class ChargeLimit(NamedTuple):
    """The charge limit as a fraction (0.5..1)."""

    limit: Number
    meta: Meta


def _item(self: Any, key: Any) -> Any:
    if isinstance(key, str):
        if key in self._fields:
            return getattr(self, key)
        raise KeyError(key)
    return tuple.__getitem__(self, key)


def _get(self: Any, key: str, default: Any = None) -> Any:
    return getattr(self, key) if key in self._fields else default


def _keys(self: Any) -> Any:
    return self._asdict().keys()


def _equal(self: Any, other: object) -> bool:
    if isinstance(other, Mapping):
        return dict(self._asdict()) == dict(other)
    return tuple.__eq__(self, other)  # type: ignore[no-any-return]


def _not_equal(self: Any, other: object) -> bool:
    return not _equal(self, other)


_MAPPING_METHODS = {
    "__getitem__": _item,
    "get": _get,
    "keys": _keys,
    "__eq__": _equal,
    "__ne__": _not_equal,
    "__hash__": tuple.__hash__,
}


def _mapped(cls: Any) -> Any:
    """Named tuples that also read like the dicts the official SDK
    returns at run time: ``door.status`` and ``door["status"]`` both
    work, and a tuple equals the dict with the same keys."""
    for name, method in _MAPPING_METHODS.items():
        setattr(cls, name, method)
    return cls


@_mapped
class Door(NamedTuple):
    """A door: ``type`` (``frontLeft``...) and ``status`` (``LOCKED``,
    ``UNLOCKED``, ``OPEN``, ``CLOSED``, ``UNKNOWN``)."""

    type: str
    status: str


@_mapped
class Window(NamedTuple):
    type: str
    status: str


@_mapped
class Sunroof(NamedTuple):
    type: str
    status: str


@_mapped
class Storage(NamedTuple):
    """Front or rear storage (``front``, ``rear``)."""

    type: str
    status: str


@_mapped
class ChargingPort(NamedTuple):
    type: str
    status: str


@_mapped
class SelectedCapacity(NamedTuple):
    """The chosen nominal capacity: kWh and its ``source``
    (``SMARTCAR`` or ``USER_SELECTED``)."""

    nominal: Number
    source: str


class LockStatus(NamedTuple):
    """Lists of :class:`Door`, :class:`Window`... named tuples (status
    ``OPEN``, ``CLOSED`` or ``UNKNOWN``); empty when a make does not
    report them.  Each also reads as the official SDK's dict
    (``door["status"]``)."""

    is_locked: bool
    doors: List[Door]
    windows: List[Window]
    sunroof: List[Sunroof]
    storage: List[Storage]
    charging_port: List[ChargingPort]
    meta: Meta


class ServiceHistory(NamedTuple):
    """Service records, keys in snake_case (``service_date``,
    ``odometer_distance``, ``service_tasks``...)."""

    items: List[Dict[str, Any]]
    meta: Meta


class DiagnosticSystem(NamedTuple):
    """``status``: ``OK`` or ``ALERT``."""

    system_id: str
    status: str
    description: Optional[str]


class DiagnosticSystemStatus(NamedTuple):
    systems: List[DiagnosticSystem]
    meta: Meta


class DiagnosticTroubleCode(NamedTuple):
    code: str
    timestamp: Optional[str]

    @property
    def timestamp_dt(self) -> Optional[_dt.datetime]:
        """``timestamp`` as a naive UTC datetime."""
        return _parse_iso(self.timestamp)


class DiagnosticTroubleCodes(NamedTuple):
    active_codes: List[DiagnosticTroubleCode]
    meta: Meta


class Action(NamedTuple):
    """The answer to a command (lock, charge, destination...)."""

    status: str
    message: Optional[str]
    meta: Meta


class Status(NamedTuple):
    status: Optional[str]
    meta: Meta


class Subscribe(NamedTuple):
    webhook_id: str
    vehicle_id: str
    meta: Meta


class Response(NamedTuple):
    """A raw answer: the body as the server sent it (keys unchanged)."""

    body: Any
    meta: Meta


class CompatibilityV1(NamedTuple):
    compatible: bool
    meta: Meta


class Capability(NamedTuple):
    """``reason``: ``VEHICLE_NOT_CAPABLE``, ``SMARTCAR_NOT_CAPABLE`` or
    None."""

    permission: str
    endpoint: Optional[str]
    capable: bool
    reason: Optional[str]


class CompatibilityV2(NamedTuple):
    """``reason``: ``VEHICLE_NOT_COMPATIBLE``, ``MAKE_NOT_COMPATIBLE`` or
    None; ``capabilities`` is empty when not compatible."""

    compatible: bool
    reason: Optional[str]
    capabilities: List[Capability]
    meta: Meta


# both are named "Compatibility" in the official SDK (reprs alike)
CompatibilityV1.__name__ = CompatibilityV1.__qualname__ = "Compatibility"
CompatibilityV2.__name__ = CompatibilityV2.__qualname__ = "Compatibility"


class CompatibilityMatrixModel(NamedTuple):
    """One model line of the compatibility matrix (official SDK names:
    ``startYear`` and ``endYear``; ``start_year`` and ``end_year`` are
    aliases)."""

    model: str
    startYear: Optional[int]
    endYear: Optional[int]
    type: Optional[str]
    endpoints: List[str]
    permissions: List[str]

    @property
    def start_year(self) -> Optional[int]:
        return self.startYear

    @property
    def end_year(self) -> Optional[int]:
        return self.endYear


#: another name of :class:`CompatibilityMatrixModel`
CompatibilityMatrixEntry = CompatibilityMatrixModel


class CompatibilityMatrix(Dict[str, List[CompatibilityMatrixModel]]):
    """A dict keyed by make (upper case) of :class:`CompatibilityMatrixModel`
    lists, with the response ``meta`` as an attribute."""

    meta: Meta

    def __init__(self, entries: Any = (), meta: Optional[Meta] = None
                 ) -> None:
        super().__init__(entries)
        self.meta = meta if meta is not None else Meta()

    def __repr__(self) -> str:
        return "CompatibilityMatrix(%s, meta=%r)" % (
            dict.__repr__(self), self.meta)


class Connection(NamedTuple):
    """``connected_at`` is an ISO-8601 string (None after a delete)."""

    vehicle_id: str
    user_id: str
    connected_at: Optional[str]

    @property
    def connected_at_dt(self) -> Optional[_dt.datetime]:
        """``connected_at`` as a naive UTC datetime."""
        return _parse_iso(self.connected_at)


class PagingCursor(NamedTuple):
    """``cursor`` for the next page, or None on the last one."""

    cursor: Optional[str]


class GetConnections(NamedTuple):
    connections: List[Connection]
    paging: PagingCursor
    meta: Meta


class DeleteConnections(NamedTuple):
    connections: List[Connection]
    meta: Meta


class Redirect(NamedTuple):
    """What Connect sent back to the redirect URI on success.

    ``code`` is the authorization code to pass to ``exchange_code``; it is
    ``""`` (falsy) for redirects without one (the v3 flow sends
    ``user_id``, re-authentication ``vehicle_id``), so it is typed ``str``
    and ``client.exchange_code(redirect.code)`` type-checks."""

    code: str = ""
    state: Optional[str] = None
    user_id: Optional[str] = None
    external_id: Optional[str] = None
    virtual_key_url: Optional[str] = None
    #: set instead of ``code`` by the re-authentication flow
    vehicle_id: Optional[str] = None

    def __repr__(self) -> str:
        # the code is a credential: it stays out of logs and tracebacks
        return (
            "Redirect(code=%s, state=%r, user_id=%r, external_id=%r,"
            " virtual_key_url=%r, vehicle_id=%r)"
            % ("'[REDACTED]'" if self.code else None, self.state,
               self.user_id, self.external_id, self.virtual_key_url,
               self.vehicle_id)
        )


# ---------------------------------------------------------------------
# API v3 and application tokens


class AppToken(NamedTuple):
    """An application token (v3 client-credentials grant): 1 hour, no
    refresh token.  ``expiration`` is a naive UTC datetime."""

    access_token: str
    token_type: str
    expires_in: int
    expiration: _dt.datetime

    def is_expired(self, leeway: float = 60) -> bool:
        """True when the token has expired or will within ``leeway``
        seconds."""
        return _is_expired(self.expiration, leeway)

    def __repr__(self) -> str:
        # tokens stay out of logs and tracebacks; the field holds it
        return ("AppToken(access_token='[REDACTED]', token_type=%r, "
                "expires_in=%r, expiration=%r)"
                % (self.token_type, self.expires_in, self.expiration))


class VehicleInfo(NamedTuple):
    """``GET /v3/vehicles/{id}``: the vehicle resource.

    ``powertrain_type`` is ``BEV``, ``PHEV``, ``ICE``...; ``mode`` the
    connection's mode (``LIVE``, ``TEST``, ``SIMULATED``).  ``attributes``
    holds every attribute the server sent (snake_case keys), including
    ones added after this release.
    """

    id: str
    make: Optional[str]
    model: Optional[str]
    year: Optional[int]
    powertrain_type: Optional[str]
    mode: Optional[str]
    attributes: Dict[str, Any]
    meta: Meta


class Signal(NamedTuple):
    """One v3 signal (``odometer-traveleddistance``...).

    ``status`` is ``SUCCESS`` or ``ERROR``; on an error ``error`` is
    ``{"type", "code"}`` (``COMPATIBILITY``/``VEHICLE_NOT_CAPABLE``,
    ``PERMISSION``...) and ``body`` is None.  ``body`` is the signal's
    value object as sent (``{"unit": "kilometers", "value": 1234.5}``,
    ``{"latitude", "longitude"}``...); ``value`` and ``unit`` are its
    ``value`` and ``unit`` fields when it has them.  ``retrieved_at`` and
    ``oem_updated_at`` are naive UTC datetimes.  ``meta`` is the response's
    (request id, unit system).
    """

    code: str
    name: Optional[str]
    group: Optional[str]
    status: Optional[str]
    value: Any
    unit: Optional[str]
    body: Optional[Dict[str, Any]]
    error: Optional[Dict[str, Any]]
    retrieved_at: Optional[_dt.datetime]
    oem_updated_at: Optional[_dt.datetime]
    meta: Meta


class PageInfo(NamedTuple):
    """Page-number paging (v3): ``page`` from 1, ``page_size``, and
    ``total_count`` items over all pages."""

    page: Optional[int]
    page_size: Optional[int]
    total_count: Optional[int]


class Signals(NamedTuple):
    """One page of ``GET /v3/vehicles/{id}/signals``.

    ``links`` are the JSON:API links (``self``, ``first``, ``previous``,
    ``next``, ``last``; None where there is none); ``vehicle`` is the
    included vehicle resource when the server sent it.
    """

    signals: List[Signal]
    paging: PageInfo
    links: Dict[str, Optional[str]]
    vehicle: Optional[VehicleInfo]
    meta: Meta


# ---------------------------------------------------------------------
# From libsmartcar data


#: results are built positionally with tuple.__new__: a named tuple's
#: own __new__ is a Python call with keywords, twice the cost per result
_new = tuple.__new__


def meta_from(data: Mapping[str, Any]) -> Meta:
    get = (data.get("meta") or {}).get
    return _new(Meta, (get("data_age"), get("unit_system"),  # type: ignore
                       get("request_id"), get("fetched_at")))


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


def _fields_from(cls: Any, data: Mapping[str, Any]) -> Any:
    """``cls`` from the data keys named like its fields, plus ``meta``."""
    return _new(cls, [meta_from(data) if name == "meta" else data.get(name)
                      for name in cls._fields])


def _dicts(value: Any) -> List[Dict[str, Any]]:
    return [v for v in (value or []) if isinstance(v, dict)]


def _tuple_of(cls: Any, value: Any) -> Any:
    """cls from a dict's keys named like its fields; None if not a dict."""
    if not isinstance(value, Mapping):
        return None
    return cls(*(value.get(name) for name in cls._fields))


def _tuples(cls: Any, value: Any) -> List[Any]:
    return [_tuple_of(cls, v) for v in _dicts(value)]


def _paging_from(value: Any) -> Paging:
    paging = value if isinstance(value, Mapping) else {}
    return Paging(
        count=paging.get("count"),  # type: ignore[arg-type]
        offset=paging.get("offset"),  # type: ignore[arg-type]
    )


def odometer_from(data: Mapping[str, Any]) -> Odometer:
    return _new(Odometer, (data.get("distance"), meta_from(data)))  # type: ignore


def nominal_capacity_from(data: Mapping[str, Any]) -> NominalCapcity:
    return NominalCapcity(
        availableCapacities=[
            AvailableCapacity(
                capacity=c.get("capacity"),  # type: ignore[arg-type]
                description=c.get("description"),
            )
            for c in _dicts(data.get("available_capacities"))
        ],
        capacity=_tuple_of(SelectedCapacity, data.get("capacity")),
        url=data.get("url"),
        meta=meta_from(data),
    )


def permissions_from(data: Mapping[str, Any]) -> Permissions:
    return Permissions(
        permissions=list(data.get("permissions") or []),
        paging=_paging_from(data.get("paging")),
        meta=meta_from(data),
    )


def lock_status_from(data: Mapping[str, Any]) -> LockStatus:
    return LockStatus(
        is_locked=data.get("is_locked"),  # type: ignore[arg-type]
        doors=_tuples(Door, data.get("doors")),
        windows=_tuples(Window, data.get("windows")),
        sunroof=_tuples(Sunroof, data.get("sunroof")),
        storage=_tuples(Storage, data.get("storage")),
        charging_port=_tuples(ChargingPort, data.get("charging_port")),
        meta=meta_from(data),
    )


class ServiceRecordDict(Dict[str, Any]):
    """A service record as the server sent it (camelCase keys, as the
    official SDK returns it: ``record["serviceDate"]``); the snake_case
    spelling (``record["service_date"]``) reads the same value."""

    def __missing__(self, key: str) -> Any:
        if isinstance(key, str) and "_" in key:
            head, *rest = key.split("_")
            camel = head + "".join(w[:1].upper() + w[1:] for w in rest)
            if camel in self:
                return self[camel]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or (
            isinstance(key, str) and self.get(key) is not None)


def _records(value: Any) -> Any:
    if isinstance(value, dict):
        return ServiceRecordDict({k: _records(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_records(v) for v in value]
    return value


def service_history_from(data: Mapping[str, Any]) -> ServiceHistory:
    if "body" in data:  # the verbatim body: a list of records
        items = _records(_dicts(data.get("body")))
    else:
        items = _dicts(data.get("items"))
    return ServiceHistory(items=items, meta=meta_from(data))


def system_status_from(data: Mapping[str, Any]) -> DiagnosticSystemStatus:
    return DiagnosticSystemStatus(
        systems=[
            DiagnosticSystem(
                system_id=s.get("system_id"),  # type: ignore[arg-type]
                status=s.get("status"),  # type: ignore[arg-type]
                description=s.get("description"),
            )
            for s in _dicts(data.get("systems"))
        ],
        meta=meta_from(data),
    )


def trouble_codes_from(data: Mapping[str, Any]) -> DiagnosticTroubleCodes:
    return DiagnosticTroubleCodes(
        active_codes=[
            DiagnosticTroubleCode(
                code=c.get("code"),  # type: ignore[arg-type]
                timestamp=c.get("timestamp"),
            )
            for c in _dicts(data.get("active_codes"))
        ],
        meta=meta_from(data),
    )


def response_from(data: Mapping[str, Any]) -> Response:
    """The raw ``request`` endpoint: ``{"body": verbatim, "meta"}``."""
    return Response(body=data.get("body"), meta=meta_from(data))


def data_tuple_from(data: Mapping[str, Any]) -> Any:
    """Data of a path without a named tuple of its own (make-specific
    batch paths): a namedtuple ``Data`` of its (snake_case) fields, as the
    official SDK makes, plus ``meta``."""
    body = {k: v for k, v in data.items() if k != "meta"}
    cls = collections.namedtuple(  # type: ignore[misc]
        "Data", list(body) + ["meta"], rename=True)
    return cls(*body.values(), meta_from(data))


def compatibility_from(data: Mapping[str, Any]) -> CompatibilityV2:
    return CompatibilityV2(
        compatible=data.get("compatible"),  # type: ignore[arg-type]
        reason=data.get("reason"),
        capabilities=[
            Capability(
                permission=c.get("permission"),  # type: ignore[arg-type]
                endpoint=c.get("endpoint"),
                capable=c.get("capable"),  # type: ignore[arg-type]
                reason=c.get("reason"),
            )
            for c in _dicts(data.get("capabilities"))
        ],
        meta=meta_from(data),
    )


def compatibility_v1_from(data: Mapping[str, Any]) -> CompatibilityV1:
    return CompatibilityV1(
        compatible=data.get("compatible"),  # type: ignore[arg-type]
        meta=meta_from(data),
    )


def compatibility_matrix_from(data: Mapping[str, Any]) -> CompatibilityMatrix:
    # Makes are upper case on the wire; a libsmartcar that snake-cases the
    # keys turns "TESLA" into "tesla", so an all-lower-case key goes back.
    out = CompatibilityMatrix(meta=meta_from(data))
    for make, rows in data.items():
        if make == "meta" or not isinstance(rows, list):
            continue
        out[make.upper() if make.islower() else make] = [
            CompatibilityMatrixModel(
                model=r.get("model"),  # type: ignore[arg-type]
                startYear=r.get("start_year"),
                endYear=r.get("end_year"),
                type=r.get("type"),
                endpoints=list(r.get("endpoints") or []),
                permissions=list(r.get("permissions") or []),
            )
            for r in _dicts(rows)
        ]
    return out


def _connection(c: Mapping[str, Any]) -> Connection:
    return Connection(
        vehicle_id=c.get("vehicle_id"),  # type: ignore[arg-type]
        user_id=c.get("user_id"),  # type: ignore[arg-type]
        connected_at=c.get("connected_at"),
    )


def get_connections_from(data: Mapping[str, Any]) -> GetConnections:
    paging = data.get("paging")
    cursor = paging.get("cursor") if isinstance(paging, Mapping) else None
    return GetConnections(
        connections=[_connection(c) for c in _dicts(data.get("connections"))],
        paging=PagingCursor(cursor=cursor or None),
        meta=meta_from(data),
    )


def delete_connections_from(data: Mapping[str, Any]) -> DeleteConnections:
    return DeleteConnections(
        connections=[_connection(c) for c in _dicts(data.get("connections"))],
        meta=meta_from(data),
    )


def _simple(cls: Any) -> Callable[[Mapping[str, Any]], Any]:
    def convert(data: Mapping[str, Any]) -> Any:
        return _fields_from(cls, data)

    convert.__name__ = "%s_from" % cls.__name__.lower()
    return convert


#: endpoint name (docs/endpoints.md) -> converter of its result data.
#: Batch results and run_many use it too.
CONVERTERS: Dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "get_user": user_from,
    "get_vehicles": vehicles_from,
    "attributes": _simple(Attributes),
    "vin": _simple(Vin),
    "odometer": odometer_from,
    "location": _simple(Location),
    "fuel": _simple(Fuel),
    "battery": _simple(Battery),
    "battery_capacity": _simple(BatteryCapacity),
    "nominal_capacity": nominal_capacity_from,
    "charge": _simple(Charge),
    "get_charge_limit": _simple(ChargeLimit),
    "set_charge_limit": _simple(Action),
    "engine_oil": _simple(EngineOil),
    "tire_pressure": _simple(TirePressure),
    "lock_status": lock_status_from,
    "lock": _simple(Action),
    "unlock": _simple(Action),
    "start_charge": _simple(Action),
    "stop_charge": _simple(Action),
    "send_destination": _simple(Action),
    "service_history": service_history_from,
    "diagnostic_system_status": system_status_from,
    "diagnostic_trouble_codes": trouble_codes_from,
    "permissions": permissions_from,
    "disconnect": _simple(Status),
    "subscribe": _simple(Subscribe),
    "unsubscribe": _simple(Status),
    "request": response_from,
    "get_compatibility": compatibility_from,
    "get_compatibility_matrix": compatibility_matrix_from,
    "get_connections": get_connections_from,
    "delete_connections": delete_connections_from,
}


def redirect_from(data: Mapping[str, Any]) -> Redirect:
    fields = {k: data.get(k) for k in Redirect._fields}
    fields["code"] = fields["code"] or ""
    return Redirect(**fields)


# ---------------------------------------------------------------------
# v3 converters


def app_token_from(data: Mapping[str, Any]) -> AppToken:
    expires_in = data.get("expires_in")
    if isinstance(expires_in, float) and expires_in.is_integer():
        expires_in = int(expires_in)
    return AppToken(
        access_token=data.get("access_token"),  # type: ignore[arg-type]
        token_type=data.get("token_type"),  # type: ignore[arg-type]
        expires_in=expires_in,  # type: ignore[arg-type]
        expiration=_utc_naive(data.get("expiration")),  # type: ignore
    )


def _ms(value: Any) -> Optional[_dt.datetime]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return _utc_naive(value / 1000.0)


def _vehicle_resource(item: Any, meta: Meta) -> Optional[VehicleInfo]:
    if not isinstance(item, Mapping):
        return None
    attrs = item.get("attributes")
    attrs = dict(attrs) if isinstance(attrs, Mapping) else {}
    return VehicleInfo(
        id=item.get("id"),  # type: ignore[arg-type]
        make=attrs.get("make"),
        model=attrs.get("model"),
        year=attrs.get("year"),
        powertrain_type=attrs.get("powertrain_type"),
        mode=attrs.get("mode"),
        attributes=attrs,
        meta=meta,
    )


def vehicle_info_from(data: Mapping[str, Any]) -> VehicleInfo:
    meta = meta_from(data)
    info = _vehicle_resource(data.get("data"), meta)
    if info is None:
        return VehicleInfo(
            None, None, None, None, None, None, {}, meta  # type: ignore
        )
    return info


def _signal(item: Mapping[str, Any], meta: Meta) -> Signal:
    attrs = item.get("attributes")
    attrs = attrs if isinstance(attrs, Mapping) else {}
    status = attrs.get("status")
    status = status if isinstance(status, Mapping) else {}
    body = attrs.get("body")
    body = dict(body) if isinstance(body, Mapping) else None
    error = status.get("error")
    own = item.get("meta")
    own = own if isinstance(own, Mapping) else {}
    return Signal(
        code=attrs.get("code") or item.get("id"),  # type: ignore[arg-type]
        name=attrs.get("name"),
        group=attrs.get("group"),
        status=status.get("value"),
        value=body.get("value") if body else None,
        unit=body.get("unit") if body else None,
        body=body,
        error=dict(error) if isinstance(error, Mapping) else None,
        retrieved_at=_ms(own.get("retrieved_at")),
        oem_updated_at=_ms(own.get("oem_updated_at")),
        meta=meta,
    )


def signal_from(data: Mapping[str, Any]) -> Signal:
    item = data.get("data")
    return _signal(item if isinstance(item, Mapping) else {},
                   meta_from(data))


def _int_or_none(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def signals_from(data: Mapping[str, Any]) -> Signals:
    meta = meta_from(data)
    raw_meta = data.get("meta")
    raw_meta = raw_meta if isinstance(raw_meta, Mapping) else {}
    links = data.get("links")
    included = data.get("included")
    included = included if isinstance(included, Mapping) else {}
    return Signals(
        signals=[_signal(s, meta) for s in _dicts(data.get("data"))],
        paging=PageInfo(
            page=_int_or_none(raw_meta.get("page")),
            page_size=_int_or_none(raw_meta.get("page_size")),
            total_count=_int_or_none(raw_meta.get("total_count")),
        ),
        links=dict(links) if isinstance(links, Mapping) else {},
        vehicle=_vehicle_resource(included.get("vehicle"), meta),
        meta=meta,
    )


CONVERTERS.update({
    "get_app_token": app_token_from,
    "get_vehicle": vehicle_info_from,
    "get_signals": signals_from,
    "get_signal": signal_from,
})


# to_dict() and _repr_html_ on every result (smartcar_native.notebook)
_notebook.install(v for v in list(globals().values())
                  if isinstance(v, type) and issubclass(v, tuple)
                  and hasattr(v, "_fields"))
