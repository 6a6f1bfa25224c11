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
from . import errors as errors
from .errors import (
    SmartcarException as SmartcarException,
    InvalidArgumentError as InvalidArgumentError,
    OutOfMemoryError as OutOfMemoryError,
    NetworkError as NetworkError,
    SmartcarTimeoutError as SmartcarTimeoutError,
    TLSError as TLSError,
    MalformedResponseError as MalformedResponseError,
    ResponseTooLargeError as ResponseTooLargeError,
    StateMismatchError as StateMismatchError,
    OAuthError as OAuthError,
    ConnectError as ConnectError,
    ApiError as ApiError,
    AuthenticationError as AuthenticationError,
    PermissionDeniedError as PermissionDeniedError,
    ValidationError as ValidationError,
    ResourceNotFoundError as ResourceNotFoundError,
    RateLimitError as RateLimitError,
    VehicleStateError as VehicleStateError,
    CompatibilityError as CompatibilityError,
    UpstreamError as UpstreamError,
    ServerError as ServerError,
    BillingError as BillingError,
    ConnectedServicesAccountError as ConnectedServicesAccountError,
    HttpError as HttpError,
    RateLimitedLocallyError as RateLimitedLocallyError,
    CallbackError as CallbackError,
    MisuseError as MisuseError,
    ConflictError as ConflictError,
    NotFoundError as NotFoundError,
    StorageError as StorageError,
    WebhookSignatureError as WebhookSignatureError,
)
from . import _core
from ._core import Client as Client, Op as Op
from . import types as types
from . import options as options
from ._shapes import *  # noqa: F401,F403  (the generated result tuples)
from .types import (
    CompatibilityMatrix as CompatibilityMatrix,
    CompatibilityMatrixEntry as CompatibilityMatrixEntry,
    NominalCapacity as NominalCapacity,
)
from .options import (
    CallOptions as CallOptions,
    SingleSelect as SingleSelect,
    AuthUrlOptions as AuthUrlOptions,
    TokenOptions as TokenOptions,
    VehicleOptions as VehicleOptions,
    PagingOptions as PagingOptions,
    CompatibilityOptions as CompatibilityOptions,
    CompatibilityMatrixOptions as CompatibilityMatrixOptions,
    ConnectionsFilter as ConnectionsFilter,
    ConnectionsPaging as ConnectionsPaging,
    ManagementOptions as ManagementOptions,
)
from .auth_client import AuthClient as AuthClient
from ._module_calls import (
    delete_connections as delete_connections,
    get_api_version as get_api_version,
    get_compatibility as get_compatibility,
    get_compatibility_matrix as get_compatibility_matrix,
    get_connections as get_connections,
    get_user as get_user,
    get_vehicles as get_vehicles,
    iter_connections as iter_connections,
    iter_vehicles as iter_vehicles,
    parse_redirect as parse_redirect,
    set_api_version as set_api_version,
)
from ._time import is_expired as is_expired
from .store import (
    PostgresTokenStore as PostgresTokenStore,
    TokenStore as TokenStore,
)
from .vehicle import Vehicle as Vehicle
from .v3 import VehicleV3 as VehicleV3, get_app_token as get_app_token
from .webhooks import (
    SeenEvents as SeenEvents,
    hash_challenge as hash_challenge,
    parse_time as parse_time,
    parse_webhook as parse_webhook,
    receive_webhook as receive_webhook,
    signal_frame as signal_frame,
    signal_rows as signal_rows,
    verify_payload as verify_payload,
    verify_webhook as verify_webhook,
)
from .many import run_many as run_many
from . import notebook as notebook
from .notebook import (
    ResultList as ResultList,
    to_dict as to_dict,
    to_frame as to_frame,
)
from ._results import BatchResult as BatchResult
from ._shared_clients import (
    configure as configure,
    default_client as default_client,
    get_debug as get_debug,
    set_debug as set_debug,
)
# the official SDK's submodules (smartcar.exception, smartcar.smartcar...)
from . import (
    config as config,
    exception as exception,
    helpers as helpers,
    smartcar as smartcar,
    v2_response as v2_response,
    v3_response as v3_response,
)
from .smartcar import (
    get_management_token as get_management_token,
    get_vehicle as get_vehicle,
)

__version__: str = _core.version()


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
    "get_vehicle",
    "get_management_token",
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
    "receive_webhook",
    "parse_time",
    "SeenEvents",
    "signal_rows",
    "signal_frame",
    "run_many",
    "to_frame",
    "to_dict",
    "ResultList",
    "notebook",
    "configure",
    "set_debug",
    "get_debug",
    "random_state",
    "endpoints",
    "default_client",
    "Client",
    "Op",
    "BatchResult",
    # modules
    "errors",
    "types",
    "options",
    "config",
    "exception",
    "helpers",
    "smartcar",
    "v2_response",
    "v3_response",
]
__all__ += types.__all__
__all__ += errors.__all__
# the option TypedDicts (their type aliases stay in smartcar_native.options)
__all__ += [n for n in options.__all__ if n[0].isupper() and
            n not in ("Flags", "RatePolicy", "Profile")]
