"""The application's API v3 calls (application token): their client and
options.  The calls themselves are generated from the endpoint table
(_app_calls.py, run by _module_calls); v3.py re-exports them."""

from __future__ import annotations

from typing import Any, Mapping

from . import _util
from ._core import Client
from ._shared_clients import credentials_client, default_client

APP_OPTIONS = ("client", "client_id", "client_secret") + _util.CALL_OPTIONS
OPTIONS = APP_OPTIONS + ("unit_system",)


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
