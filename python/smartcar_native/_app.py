"""The application's API v3 calls (application token): their client,
options and query parameters.  The calls themselves are generated from the
endpoint table (_app_calls.py); v3.py re-exports them."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from . import _util
from ._core import Client, endpoint_args
from ._util import PageItems
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


def app_params(params: Dict[str, Any],
               options: Optional[Mapping[str, Any]],
               query: Optional[Mapping[str, Any]], endpoint: str,
               paged: bool = True) -> Tuple[Client, Dict[str, Any]]:
    """The client and parameters of one of the application's v3 calls
    (application token): ``params`` plus ``query``, the call's filters
    and (``paged``) page / page_size."""
    opts = _util.require_mapping("options", options)
    _util.check_keys("option", opts, APP_OPTIONS)
    if query is not None:
        params.update(endpoint_args(endpoint, (query,),
                                    "python" if paged else "python walk"))
    params.update(_util.call_options(opts))
    return client_for(opts), params


def app_call(endpoint: str, params: Dict[str, Any],
              options: Optional[Mapping[str, Any]],
              query: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    client, params = app_params(params, options, query, endpoint)
    return _util.call(client, endpoint, params)


def iter_pages(endpoint: str, query: Optional[Mapping[str, Any]],
                page_size: int, options: Optional[Mapping[str, Any]]
                ) -> PageItems[Dict[str, Any]]:
    """The resources of every page of a page-number paged call; the
    library asks for page 1, 2... and stops (null links.next, total, short
    or empty page)."""
    client, params = app_params({}, options, query, endpoint, False)
    pages = client.pages(endpoint, params,
                         _util.int_param("page_size", page_size, 1))
    return PageItems(pages, lambda page: page.get("data") or [])
