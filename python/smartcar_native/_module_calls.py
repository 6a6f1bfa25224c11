"""Module-level calls: users and vehicles (access token), compatibility
(client id and secret) and vehicle connections (management token)."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Mapping, Optional, Sequence, Union

from .options import (
    CompatibilityMatrixOptions,
    CompatibilityOptions,
    ConnectionsFilter,
    ConnectionsPaging,
    ManagementOptions,
    PagingOptions,
)
from . import _core, _util
from ._app import client_for
from ._shared_clients import default_client
from ._core import Client
from .notebook import with_progress
from .types import (
    CompatibilityMatrix,
    CompatibilityV1,
    CompatibilityV2,
    DeleteConnections,
    Connection,
    GetConnections,
    Redirect,
    User,
    Vehicles,
    compatibility_matrix_from,
)
from ._shapes import (
    compatibility_v1_from,
    compatibility_v2_from,
    delete_connections_from,
    get_connections_from,
    redirect_from,
    user_from,
    vehicles_from,
)

__all__ = [
    "get_user",
    "get_vehicles",
    "parse_redirect",
    "get_api_version",
    "set_api_version",
    "get_compatibility",
    "get_compatibility_matrix",
    "get_connections",
    "delete_connections",
    "iter_vehicles",
    "iter_connections",
]

_api_version: Optional[str] = None  # None: the library's default


def set_api_version(version: str) -> None:
    """Set the Vehicle API version used by calls that do not name one."""
    global _api_version
    _api_version = _util.setting("version", version)


def get_api_version() -> str:
    """The Vehicle API version used by default (``"2.0"``)."""
    return _api_version or "2.0"


def _token_params(access_token: str) -> Dict[str, Any]:
    """The parameters of a call with the owner's access token."""
    return {"access_token": _util.require_str("access_token", access_token),
            "version": _api_version}


def get_user(access_token: str) -> User:
    """``GET /user``: the Smartcar user id of the token's owner."""
    return user_from(_util.call(default_client(), "get_user",
                                _token_params(access_token)))


def get_vehicles(
    access_token: str, paging: Optional[PagingOptions] = None
) -> Vehicles:
    """``GET /vehicles``: the ids of the vehicles the token may access.

    ``paging``: ``{"limit": int, "offset": int}``.
    """
    params = _token_params(access_token)
    params.update(_util.offset_paging(paging))
    return vehicles_from(
        _util.call(default_client(), "get_vehicles", params))


def iter_vehicles(access_token: str, page_size: int = 50,
                  progress: bool = False) -> Iterator[str]:
    """Every vehicle id the token may access, fetching pages of
    ``page_size`` (``GET /vehicles`` with limit/offset; the server allows
    1 to 50) as the iteration goes.  ``progress=True``: a tqdm bar."""
    pages = default_client().pages(
        "get_vehicles", _token_params(access_token), _util.int_param("page_size", page_size, 1))
    return with_progress(_util.page_items(pages, vehicles_from, "vehicles"),
                         progress, "vehicles")


def parse_redirect(
    url_or_query: str, expected_state: Optional[str] = None
) -> Redirect:
    """Parse the redirect Connect sent back to the application.

    Accepts the full redirect URL or its query string.  When
    ``expected_state`` is given it must equal the redirect's state
    (compared in constant time) or :class:`StateMismatchError` is raised.
    A Connect error raises :class:`ConnectError` (``e.error`` is
    ``access_denied``, ``vehicle_incompatible``...).
    """
    return redirect_from(_core.parse_redirect(url_or_query, expected_state))


# ---------------------------------------------------------------------
# Compatibility (Basic client_id:client_secret)

def _mode(value: Any) -> Optional[str]:
    return None if value is None else _util.setting("mode", value)


def _as_application(endpoint: str, params: Dict[str, Any],
                    opts: Mapping[str, Any]) -> Dict[str, Any]:
    """``endpoint`` with the application's credentials: ``params`` plus
    the options' API version and per-call settings."""
    version = opts.get("version")
    params["version"] = _api_version if version is None else \
        _util.setting("version", version)
    params.update(_util.call_options(opts))
    return _util.call(client_for(opts), endpoint, params)


def get_compatibility(
    vin: str,
    scope: Sequence[str],
    country: str = "US",
    options: Optional[CompatibilityOptions] = None,
) -> Union[CompatibilityV2, CompatibilityV1]:
    """``GET /compatibility``: can this VIN do what ``scope`` asks?

    Returns ``CompatibilityV2(compatible, reason, capabilities:
    [Capability(permission, endpoint, capable, reason)], meta)``, or
    ``CompatibilityV1(compatible, meta)`` with ``version="1.0"``.

    ``options``: ``client_id`` and ``client_secret`` (default: the
    SMARTCAR_CLIENT_ID / SMARTCAR_CLIENT_SECRET variables), ``version``,
    ``flags`` (dict), ``mode`` (``live``, ``test``, ``simulated``),
    ``test_mode_compatibility_level`` (``compatible``, ``phev``,
    ``incompatible``, ``fuel``, ``dinosaur``, ``bev``; implies
    ``mode="test"`` when no mode is given), ``test_mode`` (deprecated:
    ``mode="test"``); ours: ``client`` and the per-call settings
    (``timeout_ms``, ``max_attempts``...).
    """
    opts = _util.require_mapping("options", options)
    _util.check_keys("option", opts, CompatibilityOptions.__annotations__)
    params: Dict[str, Any] = {
        "vin": _util.require_str("vin", vin),
        "scope": " ".join(_util.str_list("scope", scope)),
        "country": _util.require_str("country", country),
        "flags": _util.flags_string(opts.get("flags")),
        "mode": _mode(opts.get("mode")),
        # (the library then sends mode=test unless a mode is given)
        "test_mode_compatibility_level": _util.optional_str(
            "test_mode_compatibility_level",
            opts.get("test_mode_compatibility_level")),
    }
    if opts.get("test_mode") is not None:
        test_mode = _util.mode_of_test_mode(opts["test_mode"])
        params["mode"] = params["mode"] or test_mode
    data = _as_application("get_compatibility", params, opts)
    if (params["version"] or get_api_version()).startswith("1."):
        return compatibility_v1_from(data)
    return compatibility_v2_from(data)


def _words(name: str, value: Any) -> Optional[str]:
    """A list of str (or one str) as a space-separated parameter."""
    if value is None:
        return None
    if isinstance(value, str):
        return _util.require_str(name, value)
    return " ".join(_util.str_list(name, value)) or None


def get_compatibility_matrix(
    region: str,
    make: Union[str, Sequence[str], Mapping[str, Any], None] = None,
    options: Optional[CompatibilityMatrixOptions] = None,
) -> CompatibilityMatrix:
    """``GET /compatibility/matrix``: the models Smartcar supports.

    ``region``: ``US``, ``CA`` or ``EUROPE``.  ``make``: a make
    (``"TESLA"``) or a list of makes; None for all.  As the official SDK
    6.x, ``make`` is the second argument; ``get_compatibility_matrix(
    region, options)`` also works.  ``options``: ``type`` (``ICE``,
    ``HEV``, ``PHEV``, ``BEV``), ``scope`` (list of permissions),
    ``make`` (when not given as an argument), ``mode``, ``version``,
    ``client_id`` and ``client_secret`` (default: the SMARTCAR_CLIENT_ID /
    SMARTCAR_CLIENT_SECRET variables), ``client`` and the per-call
    settings.

    Returns a :class:`CompatibilityMatrix`: a dict keyed by make
    (``"TESLA"``) of :class:`CompatibilityMatrixModel` lists, with
    ``meta``.
    """
    if isinstance(make, Mapping):
        if options is not None:
            raise TypeError("make must be a str or a list of str")
        make, options = None, make
    opts = _util.require_mapping("options", options)
    _util.check_keys("option", opts,
                     CompatibilityMatrixOptions.__annotations__)
    params: Dict[str, Any] = {
        "region": _util.require_str("region", region),
        "make": _words("make", make if make is not None
                       else opts.get("make")),
        "type": _util.optional_str("type", opts.get("type")),
        "scope": _words("scope", opts.get("scope")),
        "mode": _mode(opts.get("mode")),
    }
    return compatibility_matrix_from(
        _as_application("get_compatibility_matrix", params, opts))


# ---------------------------------------------------------------------
# Management: vehicle connections (Basic default:AMT)

def _management_client(
    params: Dict[str, Any], options: Optional[Mapping[str, Any]]
) -> Client:
    """The client of a management call; its per-call options go into
    params."""
    opts = _util.require_mapping("options", options)
    _util.check_keys("option", opts, ManagementOptions.__annotations__)
    params.update(_util.call_options(opts))
    return client_for(opts)


def _connections_params(amt: str, filter: Optional[ConnectionsFilter],
                        keys: Sequence[str] = ("user_id", "vehicle_id",
                                               "mode")) -> Dict[str, Any]:
    """The management token and the filter (``keys`` allowed) as
    parameters."""
    filters = _util.require_mapping("filter", filter)
    _util.check_keys("filter key", filters, keys)
    return {
        "management_token": _util.require_str("amt", amt),
        "user_id": _util.optional_str("user_id", filters.get("user_id")),
        "vehicle_id": _util.optional_str("vehicle_id",
                                         filters.get("vehicle_id")),
        "mode": _mode(filters.get("mode")),
    }


def get_connections(
    amt: str,
    filter: Optional[ConnectionsFilter] = None,
    paging: Optional[ConnectionsPaging] = None,
    options: Optional[ManagementOptions] = None,
) -> GetConnections:
    """The application's vehicle connections, newest first.

    ``amt``: the application management token.  ``filter``:
    ``{"user_id": str, "vehicle_id": str}`` (either or both; ours also
    ``"mode"``).  ``paging``: ``{"limit": int (default 10, max 100),
    "cursor": str}``.  Returns ``GetConnections(connections:
    [Connection(vehicle_id, user_id, connected_at)], paging:
    PagingCursor(cursor), meta)``; ``paging.cursor`` is None on the last
    page.  ``options`` (ours): ``client`` and the per-call settings.
    """
    params = _connections_params(amt, filter)
    pages = _util.require_mapping("paging", paging)
    _util.check_keys("paging key", pages, ("limit", "cursor"))
    if pages.get("limit") is not None:
        params["limit"] = _util.int_param("paging limit", pages["limit"], 1)
    params["cursor"] = _util.optional_str("cursor", pages.get("cursor"))
    return get_connections_from(_util.call(
        _management_client(params, options), "get_connections", params))


def delete_connections(
    amt: str,
    filter: Optional[ConnectionsFilter] = None,
    options: Optional[ManagementOptions] = None,
) -> DeleteConnections:
    """Delete connections: all of a user's (``{"user_id": ...}``) or all
    of a vehicle's (``{"vehicle_id": ...}``), exactly one of the two.

    Returns ``DeleteConnections(connections: [Connection(vehicle_id,
    user_id, None)], meta)``.  Their access tokens no longer reach those
    vehicles.
    """
    # exactly one of the two: the library checks (InvalidArgumentError)
    params = _connections_params(amt, filter, ("user_id", "vehicle_id"))
    return delete_connections_from(_util.call(
        _management_client(params, options), "delete_connections", params))


def iter_connections(
    amt: str,
    filter: Optional[ConnectionsFilter] = None,
    page_size: int = 100,
    options: Optional[ManagementOptions] = None,
    progress: bool = False,
) -> Iterator[Connection]:
    """Every vehicle connection of the application (newest first),
    following ``paging.cursor`` page after page (``page_size`` 1 to 100).
    ``filter`` and ``options`` as for :func:`get_connections`;
    ``progress=True``: a tqdm bar."""
    params = _connections_params(amt, filter)
    client = _management_client(params, options)
    pages = client.pages("get_connections", params,
                         _util.int_param("page_size", page_size, 1))
    return with_progress(
        _util.page_items(pages, get_connections_from, "connections"),
        progress, "connections")
