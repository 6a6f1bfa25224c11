"""smartcar_native: Smartcar for Python on libsmartcar (C).

The public API mirrors the official ``smartcar`` SDK (6.x) for Connect,
token exchange and refresh, users, vehicle lists and the odometer::

    import smartcar_native as smartcar

    client = smartcar.AuthClient()            # SMARTCAR_* env variables
    url, state = client.get_auth_url_with_state(["required:read_odometer"])
    ...                                       # owner approves in Connect
    redirect = smartcar.parse_redirect(callback_url, expected_state=state)
    access = client.exchange_code(redirect.code)
    vehicles = smartcar.get_vehicles(access.access_token).vehicles
    print(smartcar.Vehicle(vehicles[0], access.access_token).odometer())

Errors raise :class:`SmartcarException` subclasses (see
:mod:`smartcar_native.errors`).  HTTP runs in libsmartcar with the GIL
released; connections are pooled and reused.
"""

from __future__ import annotations

from typing import List

# errors must be imported before _core: the extension loads its factory.
from . import errors
from .errors import (
    ApiError,
    AuthenticationError,
    BillingError,
    CallbackError,
    CompatibilityError,
    ConnectedServicesAccountError,
    ConnectError,
    HttpError,
    InvalidArgumentError,
    MalformedResponseError,
    MisuseError,
    NetworkError,
    OAuthError,
    OutOfMemoryError,
    PermissionDeniedError,
    RateLimitedLocallyError,
    RateLimitError,
    ResourceNotFoundError,
    ResponseTooLargeError,
    ServerError,
    SmartcarException,
    SmartcarTimeoutError,
    StateMismatchError,
    TLSError,
    UpstreamError,
    ValidationError,
    VehicleStateError,
)
from . import _core
from ._core import Client, Op
from .types import Access, Meta, Odometer, Paging, Redirect, User, Vehicles
from .auth_client import AuthClient
from .api import (
    get_api_version,
    get_user,
    get_vehicles,
    parse_redirect,
    set_api_version,
)
from .vehicle import Vehicle
from ._client import default_client

__version__ = _core.version()


def random_state() -> str:
    """A fresh random ``state`` value (32 hex characters, OS CSPRNG)."""
    return _core.random_state()


def endpoints() -> List[str]:
    """The endpoint names libsmartcar knows (``Client.call`` accepts)."""
    return _core.endpoints()


__all__ = [
    # API
    "AuthClient",
    "Vehicle",
    "get_user",
    "get_vehicles",
    "parse_redirect",
    "get_api_version",
    "set_api_version",
    "random_state",
    "endpoints",
    "default_client",
    "Client",
    "Op",
    # types
    "Access",
    "Meta",
    "Odometer",
    "Paging",
    "Redirect",
    "User",
    "Vehicles",
    # errors
    "errors",
]
__all__ += errors.__all__
