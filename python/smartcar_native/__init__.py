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

# errors must be imported before _core: the extension loads its factory.
from . import errors
from .errors import *  # noqa: F401,F403  (the exception classes)
from ._exceptions import *  # noqa: F401,F403  (the generated ones)
from . import _core
from ._core import Client, Op, endpoints, random_state
from . import options, types
from ._shapes import *  # noqa: F401,F403  (the generated result tuples)
from .types import *  # noqa: F401,F403  (the other result types)
from .options import *  # noqa: F401,F403  (the option TypedDicts)
from .auth_client import AuthClient
from . import _module_calls, webhooks
from ._module_calls import *  # noqa: F401,F403
from ._api import is_expired
from .store import PostgresTokenStore, TokenStore
from .vehicle import Vehicle
from .v3 import VehicleV3, get_app_token
from .webhooks import *  # noqa: F401,F403
from .many import run_many
from . import notebook
from .notebook import ResultList, to_dict, to_frame
from ._results import BatchResult
from ._shared_clients import configure, default_client, get_debug, set_debug
# the official SDK's submodules (smartcar.exception, smartcar.smartcar...)
from . import config, exception, helpers, smartcar, v2_response, v3_response
from .smartcar import get_management_token, get_vehicle

__version__: str = _core.version()

__all__ = [
    # API
    "AuthClient", "Vehicle", "VehicleV3", "TokenStore", "PostgresTokenStore",
    "is_expired", "get_app_token", "get_vehicle", "get_management_token",
    "run_many", "to_frame", "to_dict", "ResultList", "notebook", "configure",
    "set_debug", "get_debug", "random_state", "endpoints", "default_client",
    "Client", "Op", "BatchResult",
    # modules
    "errors", "types", "options", "config", "exception", "helpers",
    "smartcar", "v2_response", "v3_response",
]
__all__ += types.__all__
__all__ += _module_calls.__all__
__all__ += webhooks.__all__
__all__ += errors.__all__
# the option TypedDicts (their type aliases stay in smartcar_native.options)
__all__ += [n for n in options.__all__ if n[0].isupper() and
            n not in ("Flags", "RatePolicy", "Profile")]
