"""Module-level calls that need only an access token."""

from __future__ import annotations

import re
import threading
from typing import Any, Dict, Mapping, Optional

from . import _core, _util
from ._client import default_client
from .errors import InvalidArgumentError
from .types import Redirect, User, Vehicles, redirect_from, user_from, vehicles_from

__all__ = [
    "get_user",
    "get_vehicles",
    "parse_redirect",
    "get_api_version",
    "set_api_version",
]

_DEFAULT_API_VERSION = "2.0"
_VERSION_RE = re.compile(r"^\d+\.\d+$")
_version_lock = threading.Lock()
_api_version: Optional[str] = None  # None: the library's default


def set_api_version(version: str) -> None:
    """Set the Vehicle API version used by calls that do not name one."""
    global _api_version
    _util.require_str("version", version)
    if not _VERSION_RE.match(version):
        raise InvalidArgumentError(
            "version must look like '2.0', not %r" % version
        )
    with _version_lock:
        _api_version = version


def get_api_version() -> str:
    """The Vehicle API version used by default (``"2.0"``)."""
    return _api_version or _DEFAULT_API_VERSION


def _version_param() -> Optional[str]:
    return _api_version


def get_user(access_token: str) -> User:
    """``GET /user``: the Smartcar user id of the token's owner."""
    params = {
        "access_token": _util.require_str("access_token", access_token),
        "version": _version_param(),
    }
    return user_from(default_client().call("get_user", params))


def get_vehicles(
    access_token: str, paging: Optional[Mapping[str, Any]] = None
) -> Vehicles:
    """``GET /vehicles``: the ids of the vehicles the token may access.

    ``paging``: ``{"limit": int, "offset": int}``.
    """
    params: Dict[str, Any] = {
        "access_token": _util.require_str("access_token", access_token),
        "version": _version_param(),
    }
    pages = _util.require_mapping("paging", paging)
    _util.check_keys("paging key", pages, ("limit", "offset"))
    for key in ("limit", "offset"):
        value = pages.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                "paging %s must be int, not %s" % (key, type(value).__name__)
            )
        params[key] = value
    return vehicles_from(default_client().call("get_vehicles", params))


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
