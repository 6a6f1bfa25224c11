"""The shared default Client used by module functions and Vehicle.

It is created on first use, not at import, and created again when one of
the SMARTCAR_*_ORIGIN variables or the SMARTCAR_CLIENT_* credentials
changed since (the C library reads them when a client is created).
Reusing one client reuses its connections.

Calls that authenticate with the application's client id and secret
(compatibility) use one shared client per set of credentials.
"""

from __future__ import annotations

import hashlib
import os
import platform
import threading
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional, Tuple

from . import _util
from ._core import Client, client_env, env_snapshot, same_env
from .options import Profile, RatePolicy

#: the variables libsmartcar's clients read their hosts, CA bundle and
#: credentials from (a change makes a new client)
ORIGIN_VARIABLES = tuple(client_env())

#: appended to libsmartcar's User-Agent by the Python layer
USER_AGENT_SUFFIX = "Python/%s" % platform.python_version()

#: how many clients with explicit credentials are kept
_MAX_CREDENTIAL_CLIENTS = 8

DebugHook = Callable[[str, str], Any]


_lock = threading.Lock()
#: the default client and a snapshot (libsmartcar's sc_env_snapshot) of
#: the variables it was made with, cheap to check on every Vehicle call
_current: Optional[Tuple[Client, object]] = None
_credential_clients: "OrderedDict[Tuple[Any, ...], Client]" = OrderedDict()
_debug: Optional[DebugHook] = None


#: client options from configure(); profile "official" is the drop-in
#: behaviour (no automatic retries, no local rate waits)
_settings: Dict[str, Any] = {"profile": "official"}


def configure(
    *,
    retries: Optional[int] = None,
    rate_policy: Optional[RatePolicy] = None,
    profile: Optional[Profile] = None,
) -> None:
    """Choose how the shared clients (and new :class:`AuthClient` objects)
    behave.  With no arguments: the official SDK's behaviour, the default.

    ``retries``: how many times a read (GET, batch, refresh) is sent again
    after a 429, a RETRY_LATER 5xx or a network error (libsmartcar's
    backoff, honouring Retry-After); ``rate_policy``: ``"wait"`` (sleep
    through cool-downs learned from Retry-After), ``"fail"`` (raise
    :class:`RateLimitedLocallyError` at once) or ``"off"``.  Giving either
    switches to ``profile="native"``, libsmartcar's own defaults (3
    attempts, ``"wait"``); ``profile="official"`` goes back.
    """
    settings: Dict[str, Any] = {"profile": profile if profile is not None
                                else "official" if retries is None and
                                rate_policy is None else "native"}
    if retries is not None:
        settings["max_attempts"] = _util.int_param("retries", retries) + 1
    if rate_policy is not None:
        settings["rate_policy"] = rate_policy
    Client(**settings)  # libsmartcar checks the values
    global _settings
    with _lock:
        _settings = settings
    reset_default_client()


def client_settings() -> Dict[str, Any]:
    """The options configure() chose, for a new Client."""
    return dict(_settings)


def _new_client(**options: Any) -> Client:
    return Client(user_agent_suffix=USER_AGENT_SUFFIX, debug=_debug,
                  **dict(_settings, **options))


def default_client() -> Client:
    """The process-wide client for calls that take only an access token.

    It also carries the application's credentials from
    ``SMARTCAR_CLIENT_ID`` / ``SMARTCAR_CLIENT_SECRET`` (read when it is
    made), which token-store refreshes and v3 application tokens use.
    """
    global _current
    current = _current  # one read: the client and what it was checked with
    if current is not None and same_env(current[1]) \
            and not current[0].closed:
        return current[0]
    with _lock:
        current = _current
        if current is None or current[0].closed or not same_env(current[1]):
            # The previous client is not closed here: another thread may be
            # about to use it.  It is freed when the last user drops it.
            env = env_snapshot(ORIGIN_VARIABLES)  # before the client reads it
            current = _current = (_new_client(), env)
        return current[0]


def credentials_client(client_id: Optional[str],
                       client_secret: Optional[str]) -> Client:
    """A shared client that authenticates as ``client_id`` (None: the
    library reads SMARTCAR_CLIENT_ID; the same for the secret; a client
    missing either credential has none: the library refuses its calls that
    need them).

    Keyed by the id, a digest of the secret and the variables the library
    reads; the least recently used one is dropped (not closed) past a few.
    """
    digest = hashlib.sha256((client_secret or "").encode("utf-8")).hexdigest()
    key = (client_id, digest, tuple(map(os.environ.get, ORIGIN_VARIABLES)))
    with _lock:
        client = _credential_clients.get(key)
        if client is None or client.closed:
            client = _new_client(client_id=client_id,
                                 client_secret=client_secret)
            _credential_clients[key] = client
        _credential_clients.move_to_end(key)
        while len(_credential_clients) > _MAX_CREDENTIAL_CLIENTS:
            _credential_clients.popitem(last=False)
        return client


def set_debug(hook: Optional[DebugHook]) -> None:
    """Install (or with None remove) a debug hook on the shared clients.

    ``hook(direction, line)`` receives every request line (direction
    ``">"``) and response line (``"<"``) with tokens, secrets and codes
    replaced by ``[REDACTED]``.  It applies to the default client and the
    credential clients, now and when they are created again.  It may be
    called from any thread running a call; what it raises is reported as
    unraisable and never changes a call's outcome.  Clients made by hand
    take ``Client(debug=hook)`` or ``client.set_debug(hook)``.
    """
    global _debug
    if hook is not None and not callable(hook):
        raise _util.wrong_type("debug hook", "callable or None", hook)
    with _lock:
        _debug = hook
        clients = [_current[0]] if _current is not None else []
        clients += list(_credential_clients.values())
    for client in clients:
        try:
            client.set_debug(hook)
        except ValueError:  # closed meanwhile
            pass


def get_debug() -> Optional[DebugHook]:
    """The hook set by :func:`set_debug`, or None."""
    return _debug


def reset_default_client() -> None:
    """Forget the shared clients; the next call creates new ones."""
    global _current
    with _lock:
        _current = None
        _credential_clients.clear()
