"""smartcar_native: Smartcar for Python on libsmartcar (C).

The public API mirrors the official ``smartcar`` SDK (6.x): Connect,
token exchange and refresh, users and vehicle lists, every
:class:`Vehicle` method (reads, commands, batch, webhooks, raw
requests), compatibility, vehicle connections and webhook
verification::

    import smartcar_native as smartcar

    client = smartcar.AuthClient()            # SMARTCAR_* env variables
    url, state = client.get_auth_url_with_state(["required:read_odometer"])
    ...                                       # owner approves in Connect
    redirect = smartcar.parse_redirect(callback_url, expected_state=state)
    access = client.exchange_code(redirect.code)
    vehicles = smartcar.get_vehicles(access.access_token).vehicles
    print(smartcar.Vehicle(vehicles[0], access.access_token).odometer())

Beyond the official SDK: :class:`TokenStore` keeps token sets and
refreshes them safely (``Vehicle(vehicle_id, store=store, key=key)``),
:class:`VehicleV3` and :func:`get_app_token` reach the Vehicle API v3
(Connect tokens, or the application token with a user id),
:func:`iter_vehicles`, :func:`iter_connections`,
``Vehicle.iter_permissions`` and ``VehicleV3.iter_signals`` walk every
page, :func:`is_expired` and ``Access.is_expired()`` check expiry,
:mod:`smartcar_native.aio` has awaitable versions for asyncio,
:func:`run_many` runs many calls concurrently, :func:`parse_webhook`
reads v2 and v4 deliveries, :func:`set_debug` shows the (redacted) HTTP
exchanges, and ``Vehicle`` options take a :class:`Client` and per-call
settings (``timeout_ms``, ``max_attempts``, ``rate_policy``...).

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
    ConflictError,
    ConnectedServicesAccountError,
    ConnectError,
    HttpError,
    InvalidArgumentError,
    MalformedResponseError,
    MisuseError,
    NetworkError,
    NotFoundError,
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
    StorageError,
    TLSError,
    UpstreamError,
    ValidationError,
    VehicleStateError,
)
from . import _core
from ._core import Client, Op
from . import types
from .types import (
    Access,
    Action,
    AppToken,
    Attributes,
    AvailableCapacity,
    Battery,
    BatteryCapacity,
    Capability,
    Charge,
    ChargeLimit,
    CompatibilityMatrix,
    CompatibilityMatrixEntry,
    CompatibilityMatrixModel,
    CompatibilityV1,
    CompatibilityV2,
    Connection,
    DeleteConnections,
    DiagnosticSystem,
    DiagnosticSystemStatus,
    DiagnosticTroubleCode,
    DiagnosticTroubleCodes,
    EngineOil,
    Fuel,
    GetConnections,
    Location,
    LockStatus,
    Meta,
    NominalCapacity,
    NominalCapcity,
    Odometer,
    Paging,
    PagingCursor,
    PageInfo,
    Permissions,
    Redirect,
    Response,
    ServiceHistory,
    Signal,
    Signals,
    Status,
    Subscribe,
    TirePressure,
    User,
    VehicleInfo,
    Vehicles,
    Vin,
)
from .auth_client import AuthClient
from .api import (
    delete_connections,
    get_api_version,
    get_compatibility,
    get_compatibility_matrix,
    get_connections,
    get_user,
    get_vehicles,
    iter_connections,
    iter_vehicles,
    parse_redirect,
    set_api_version,
)
from ._time import is_expired
from .store import PostgresTokenStore, TokenStore
from .vehicle import Vehicle
from .v3 import VehicleV3, get_app_token
from .webhooks import hash_challenge, parse_webhook, verify_payload, verify_webhook
from .many import run_many
from ._results import BatchResult
from ._client import default_client, get_debug, set_debug

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
    "VehicleV3",
    "TokenStore",
    "PostgresTokenStore",
    "is_expired",
    "get_app_token",
    "iter_vehicles",
    "iter_connections",
    "get_user",
    "get_vehicles",
    "parse_redirect",
    "get_api_version",
    "set_api_version",
    "get_compatibility",
    "get_compatibility_matrix",
    "get_connections",
    "delete_connections",
    "hash_challenge",
    "verify_payload",
    "verify_webhook",
    "parse_webhook",
    "run_many",
    "set_debug",
    "get_debug",
    "random_state",
    "endpoints",
    "default_client",
    "Client",
    "Op",
    "BatchResult",
    # errors
    "errors",
]
__all__ += types.__all__
__all__ += errors.__all__
