"""The shared default Client used by module functions and Vehicle.

It is created on first use, not at import, and created again when one of
the SMARTCAR_*_ORIGIN variables changed since (the C library reads them
when a client is created).  Reusing one client reuses its connections.
"""

from __future__ import annotations

import os
import platform
import threading
from typing import Optional, Tuple

from ._core import Client

ORIGIN_VARIABLES = (
    "SMARTCAR_CONNECT_ORIGIN",
    "SMARTCAR_AUTH_ORIGIN",
    "SMARTCAR_API_ORIGIN",
    "SMARTCAR_MANAGEMENT_API_ORIGIN",
)

#: appended to libsmartcar's User-Agent by the Python layer
USER_AGENT_SUFFIX = "Python/%s" % platform.python_version()

_lock = threading.Lock()
_client: Optional[Client] = None
_client_env: Optional[Tuple[Optional[str], ...]] = None


def _origin_env() -> Tuple[Optional[str], ...]:
    return tuple(os.environ.get(name) for name in ORIGIN_VARIABLES)


def default_client() -> Client:
    """The process-wide client for calls that take only an access token."""
    global _client, _client_env
    env = _origin_env()
    with _lock:
        if _client is None or _client.closed or env != _client_env:
            # The previous client is not closed here: another thread may be
            # about to use it.  It is freed when the last user drops it.
            _client = Client(user_agent_suffix=USER_AGENT_SUFFIX)
            _client_env = env
        return _client


def reset_default_client() -> None:
    """Forget the default client; the next call creates a new one."""
    global _client, _client_env
    with _lock:
        _client = None
        _client_env = None
