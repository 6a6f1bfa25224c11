"""AuthClient: the Connect URL, the code exchange and token refresh."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from .options import AuthUrlOptions, TokenOptions
from . import _util
from ._shared_clients import USER_AGENT_SUFFIX, client_settings
from ._core import Client
from .errors import InvalidArgumentError
from .store import core_store, store_and_key
from ._shapes import Access, access_from
from ._vehicle_methods import AuthClientMethods
from ._api import AuthClientBase

__all__ = ["AuthClient"]


class AuthClient(AuthClientMethods, AuthClientBase):
    __doc__ = AuthClientBase.__doc__

    client_id: str
    redirect_uri: Optional[str]
    mode: str

    def __init__(
        self,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        test_mode: Optional[bool] = None,
        mode: str = "live",
        **options: Any,
    ) -> None:
        """``client_id``, ``client_secret`` and ``redirect_uri`` default to
        their variables (InvalidArgumentError when the first two are in
        neither); ``mode`` is ``"live"``, ``"test"`` or ``"simulated"``
        (``test_mode`` is the deprecated spelling of ``mode="test"``);
        other keywords go to the underlying :class:`Client`."""
        if test_mode is not None:
            mode = _util.mode_of_test_mode(test_mode)
        _util.setting("mode", mode)
        options.setdefault("user_agent_suffix", USER_AGENT_SUFFIX)
        options = dict(client_settings(), **options)
        # the library takes a credential not given (None or "") from
        # SMARTCAR_<NAME>
        self._core = Client(
            client_id=client_id or None,
            client_secret=client_secret or None,
            redirect_uri=redirect_uri or None,
            mode=mode,
            **options,
        )
        missing = ["%s (or SMARTCAR_%s)" % (name, name.upper())
                   for name, key in (("client_id", "client_id"),
                                     ("client_secret", "client_secret_set"))
                   if self._core.get(key) is None]
        if missing:
            self._core.close()
            raise InvalidArgumentError(
                "AuthClient is missing " + ", ".join(missing))
        self.client_id = str(self._core.get("client_id"))
        self.redirect_uri = self._core.get("redirect_uri")
        self.mode = mode

    # -- lifetime -------------------------------------------------------

    @property
    def client(self) -> Client:
        """The underlying :class:`smartcar_native.Client`."""
        return self._core

    def close(self) -> None:
        """Close the connections.  Idempotent."""
        self._core.close()

    def __enter__(self) -> "AuthClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "AuthClient(client_id=%r, redirect_uri=%r, mode=%r)" % (
            self.client_id,
            self.redirect_uri,
            self.mode,
        )

    # -- Connect --------------------------------------------------------

    def get_auth_url(
        self,
        scope: Optional[Sequence[str]] = None,
        options: Optional[AuthUrlOptions] = None,
    ) -> str:
        """The Connect URL to send the vehicle owner to.

        ``scope`` lists permissions (``"required:read_odometer"`` marks one
        as mandatory).  ``options``: ``force_prompt`` (bool), ``state``,
        ``make_bypass``, ``single_select`` (``{"enabled": bool}`` or
        ``{"vin": str}``), ``flags`` (dict), ``user``.
        """
        return self.get_auth_url_with_state(scope, options)[0]

    def get_auth_url_with_state(
        self,
        scope: Optional[Sequence[str]] = None,
        options: Optional[AuthUrlOptions] = None,
    ) -> Tuple[str, str]:
        """Like :meth:`get_auth_url`, and also return the ``state`` sent.

        When ``options`` has no ``state`` the library generates a random
        one; keep it and pass it to :func:`parse_redirect`.
        """
        opts = dict(_util.require_mapping("options", options))
        if scope is not None:
            opts["scope"] = scope
        if "force_prompt" in opts:  # any truthy value, as the official SDK
            opts["force_prompt"] = bool(opts["force_prompt"])
        # the library checks each option and its type (sc_auth_url_text)
        return self._core.auth_url_text(
            _util.json_text("scope and options", opts))

    # -- token endpoint (the grants: _vehicle_methods.AuthClientMethods) -

    def _exchange(self, endpoint: str, name: str, value: str,
                  options: Optional[TokenOptions], store: Any,
                  key: Optional[str]) -> Access:
        """The grant ``endpoint`` with ``value`` as ``name``, the new set
        saved under ``key`` in ``store`` when given."""
        params = _token_params(options)
        params[name] = _util.require_str(name, value)
        store, key = store_and_key(store, key)
        data = _util.call(self._core, endpoint, params)
        if store is not None:
            core_store(store).put(str(key), data)
        return access_from(data)


def _token_params(options: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    opts = _util.require_mapping("options", options)
    _util.check_keys("option", opts, TokenOptions.__annotations__)
    return {"flags": _util.flags_string(opts.get("flags"))}

