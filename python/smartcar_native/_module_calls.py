"""Module-level calls: users and vehicles (access token), compatibility
(client id and secret), vehicle connections (management token) and the
application's API v3 calls (application token), with their clients."""

from __future__ import annotations

from typing import (Any, Collection, Dict, Iterator, Mapping, Optional,
                    Sequence, Tuple, Union)

from .options import (CompatibilityMatrixOptions, CompatibilityOptions,
                      ManagementOptions)
from . import _util
from ._api import parse_redirect as parse_redirect
from ._shared_clients import credentials_client, default_client
from ._core import (Client, check_fields, endpoint_args, endpoint_args_spec,
                    endpoint_info)
from .notebook import with_progress
from .types import (CONVERTERS, CompatibilityMatrix, CompatibilityV1,
                    CompatibilityV2, compatibility_matrix_from)
from ._shapes import compatibility_v1_from, compatibility_v2_from

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
_MANAGEMENT = tuple(ManagementOptions.__annotations__)
#: the options of the application's calls (and VehicleV3's, OPTIONS)
APP_OPTIONS = ("client", "client_id", "client_secret") + _util.CALL_OPTIONS
OPTIONS = APP_OPTIONS + ("unit_system",)


def set_api_version(version: str) -> None:
    """Set the Vehicle API version used by calls that do not name one."""
    global _api_version
    _api_version = _util.setting("version", version)


def get_api_version() -> str:
    """The Vehicle API version used by default (``"2.0"``)."""
    return _api_version or "2.0"


# ---------------------------------------------------------------------
# Compatibility (Basic client_id:client_secret)

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
    params: Dict[str, Any] = endpoint_args(
        "get_compatibility", (vin, scope, country), "python")
    # (with a level, the library sends mode=test unless a mode is given)
    params.update(_query_options("get_compatibility", opts))
    params["flags"] = _util.flags_string(opts.get("flags"))
    if opts.get("test_mode") is not None:
        test_mode = _util.mode_of_test_mode(opts["test_mode"])
        params["mode"] = params.get("mode") or test_mode
    data = _util.call(_client(params, opts, tuple(
        CompatibilityOptions.__annotations__)), "get_compatibility", params)
    if (params["version"] or get_api_version()).startswith("1."):
        return compatibility_v1_from(data)
    return compatibility_v2_from(data)


def _query_options(endpoint: str, opts: Mapping[str, Any]
                   ) -> Dict[str, Any]:
    """The options that are ``endpoint``'s query parameters, checked by the
    library's kinds for them (a make: one or a list; scope: a list...).
    None or an empty list is not given (the official SDK's ``if make:``)."""
    kinds = (endpoint_args_spec(endpoint, "python") or {})["options"]
    return check_fields(kinds, {key: opts[key] for key in kinds
                                if opts.get(key) not in (None, [], ())},
                        "python")


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
    params: Dict[str, Any] = endpoint_args(
        "get_compatibility_matrix", (region,), "python")
    params.update(_query_options("get_compatibility_matrix", dict(
        opts, make=opts.get("make") if make is None else make)))
    return compatibility_matrix_from(_util.call(_client(params, opts, tuple(
        CompatibilityMatrixOptions.__annotations__)),
        "get_compatibility_matrix", params))


# ---------------------------------------------------------------------
# The calls of the account (access token), of the vehicle connections
# (management token) and the application's v3 calls: generated from the
# endpoint table (_module_functions.py, _app_calls.py), run here

def client_for(opts: Mapping[str, Any]) -> Client:
    """The client to authenticate as the application: ``options["client"]``;
    else a shared client for ``client_id`` / ``client_secret`` (each
    defaulting to SMARTCAR_CLIENT_ID / SMARTCAR_CLIENT_SECRET); without
    either option, the default client (made from those variables).  The
    library refuses a call that needs both on a client without them."""
    client = _util.client_option(opts.get("client"))
    if client is not None:
        return client
    client_id = opts.get("client_id")
    client_secret = opts.get("client_secret")
    if client_id is None and client_secret is None:
        return default_client()
    return credentials_client(_util.optional_str("client_id", client_id),
                              _util.optional_str("client_secret",
                                                 client_secret))


def _client(params: Dict[str, Any], options: Any,
            allowed: Collection[str] = _MANAGEMENT) -> Client:
    """The client of a call with ``params``: the default client for an
    access token, else the ``options``' (of ``allowed``: their API
    version and per-call settings go into params)."""
    opts = _util.require_mapping("options", options)
    version = opts.get("version")
    params["version"] = _api_version if version is None else \
        _util.setting("version", version)
    if "access_token" in params:
        return default_client()
    _util.check_keys("option", opts, allowed)
    params.update(_util.call_options(opts))
    return client_for(opts)


def _params(endpoint: str, values: Tuple[Any, ...], options: Any,
            how: str = "python") -> Tuple[Client, Dict[str, Any]]:
    """The client and parameters of ``endpoint`` for its arguments'
    ``values``, which the library checks as the endpoint table declares
    them (a v3 call's filters and paging are one query table)."""
    params = endpoint_args(endpoint, values, how)
    host = (endpoint_info(endpoint) or {}).get("host")
    return _client(params, options, _MANAGEMENT if host == "management"
                   else APP_OPTIONS), params


def _run(endpoint: str, values: Tuple[Any, ...], options: Any = None,
         raw: bool = False) -> Any:
    """``endpoint``'s result for its arguments' ``values`` (with ``raw``,
    its data as it is)."""
    client, params = _params(endpoint, values, options)
    data = _util.call(client, endpoint, params)
    return data if raw else CONVERTERS[endpoint](data)


def _walk(endpoint: str, field: str, values: Tuple[Any, ...],
          page_size: int, options: Any, progress: bool = False
          ) -> Iterator[Any]:
    """The items (``field`` of each page converted; "": a v3 page's
    resources) of every page of ``endpoint``."""
    client, params = _params(endpoint, values, options, "python walk")
    return with_progress(_util.page_items(
        client, (endpoint, params), page_size,
        CONVERTERS[endpoint] if field else None, field), progress, field)


from ._module_functions import *  # noqa: E402,F401,F403
