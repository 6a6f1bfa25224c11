"""The application's API v3 calls (application token): their client,
options and query parameters.  The calls themselves are generated from the
endpoint table (_app_calls.py); v3.py re-exports them."""

from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional, Tuple

from . import _util
from ._core import Client
from ._util import PageItems
from ._shared_clients import credentials_client, default_client

APP_OPTIONS = ("client", "client_id", "client_secret") + _util.CALL_OPTIONS
OPTIONS = APP_OPTIONS + ("unit_system",)


def from_env(name: str, given: Any) -> Any:
    """A credential given, else the ``SMARTCAR_<NAME>`` variable's (None
    when that is not set either)."""
    return os.environ.get("SMARTCAR_" + name.upper()) if given is None \
        else given


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
    return credentials_client(
        _util.optional_str("client_id", from_env("client_id", client_id)),
        _util.optional_str("client_secret",
                           from_env("client_secret", client_secret)))


QUERY = ("user_id", "vehicle_id", "mode", "external_id", "webhook_id",
          "name", "callback_uri", "is_enabled", "auto_subscribe",
          "page", "page_size")
BOOL_QUERY = ("is_enabled", "auto_subscribe")


def app_params(params: Dict[str, Any],
                options: Optional[Mapping[str, Any]],
                query: Optional[Mapping[str, Any]],
                keys: Tuple[str, ...] = QUERY) -> Tuple[Client,
                                                         Dict[str, Any]]:
    """The client and parameters of one of the application's v3 calls
    (application token): ``params`` plus ``query``, the filters and
    page / page_size."""
    opts = _util.require_mapping("options", options)
    _util.check_keys("option", opts, APP_OPTIONS)
    q = _util.require_mapping("query", query)
    _util.check_keys("query", q, keys)
    for key, value in q.items():
        if key in ("page", "page_size"):
            params[key] = _util.int_param(key, value)  # the library: >= 1
        elif key in BOOL_QUERY and value is not None:
            if not isinstance(value, bool):
                raise TypeError("%s must be a bool, not %s"
                                % (key, type(value).__name__))
            params[key] = "true" if value else "false"
        elif value is not None:
            params[key] = _util.require_str(key, value)
    params.update(_util.call_options(opts))
    return client_for(opts), params


def app_call(endpoint: str, params: Dict[str, Any],
              options: Optional[Mapping[str, Any]],
              query: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    client, params = app_params(params, options, query)
    return _util.call(client, endpoint, params)


def iter_pages(endpoint: str, query: Optional[Mapping[str, Any]],
                page_size: int, options: Optional[Mapping[str, Any]]
                ) -> PageItems[Dict[str, Any]]:
    """The resources of every page of a page-number paged call; the
    library asks for page 1, 2... and stops (null links.next, total, short
    or empty page)."""
    client, params = app_params({}, options, query, QUERY[:-2])
    pages = client.pages(endpoint, params,
                         _util.int_param("page_size", page_size, 1))
    return PageItems(pages, lambda page: page.get("data") or [])
