"""TokenStore and PostgresTokenStore: token sets kept by key, refreshed
without losing one (their doc and shared methods: csrc/lib/api.def)."""

from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from . import _core, _time, _util
from .errors import InvalidArgumentError
from ._shared_clients import default_client
from ._api import TokenStoreMethods
from ._core import Client
from ._shapes import Access, access_from

__all__ = ["TokenStore", "PostgresTokenStore"]

PathLike = Union[str, "os.PathLike[str]"]


def _token_dict(access: Any) -> Dict[str, Any]:
    """An Access (or a mapping of its fields) as the store's JSON shape,
    expirations in Unix seconds; the library checks each field."""
    if not isinstance(access, (Access, Mapping)):
        raise _util.wrong_type("token", "an Access or a dict", access)
    out = dict(access._asdict() if isinstance(access, Access) else access)
    for name in ("expiration", "refresh_expiration"):
        if out.get(name) is not None:
            out[name] = _time.to_unix(name, out[name])
    return out


def core_store(store: Any) -> "_core.TokenStore":
    """The ``_core.TokenStore`` of a TokenStore (or of an
    ``aio.AsyncTokenStore``, or a ``_core.TokenStore`` given as is)."""
    inner = getattr(store, "sync", store)  # an AsyncTokenStore's
    if isinstance(inner, TokenStore):
        return inner.core
    if isinstance(store, _core.TokenStore):
        return store
    raise _util.wrong_type("store", "a smartcar_native.TokenStore", store)


def store_and_key(store: Any, key: Optional[str],
                  access_token: Optional[str] = None
                  ) -> Tuple[Any, Optional[str]]:
    """The ``store=`` and ``key=`` of a call or vehicle, checked: both or
    neither, and not with an ``access_token``; (None, None) for neither."""
    if store is None and key is None:
        return None, None
    if store is None or key is None:
        raise InvalidArgumentError("store and key must be given together")
    if access_token is not None:
        raise InvalidArgumentError(
            "give an access_token or a store and key, not both")
    core_store(store)  # type check now
    return store, _util.require_str("key", key)


class TokenStore(TokenStoreMethods):
    __doc__ = TokenStoreMethods.__doc__

    path: str

    def __init__(self, path: PathLike = ":memory:") -> None:
        """A SQLite store: ``path`` is a file (created readable by its
        owner only; several processes may share it: WAL journal, atomic
        compare-and-swap saves) or ``":memory:"`` for a private in-memory
        store (the library's binding checks it)."""
        self._core = _core.sqlite_store(path)
        self.path = os.fsdecode(path)

    @property
    def core(self) -> "_core.TokenStore":
        """The underlying ``_core.TokenStore`` (for ``Client.call_stored``)."""
        return self._core

    # -- lifetime -------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._core.closed

    def close(self) -> None:
        """Close the database.  Idempotent; calls under way finish first."""
        self._core.close()

    def __enter__(self) -> "TokenStore":
        if self.closed:
            raise ValueError("operation on a closed TokenStore")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "TokenStore(%r%s)" % (self.path,
                                     ", closed" if self.closed else "")

    # -- token sets -----------------------------------------------------

    def put(self, key: str, access: Union[Access, Mapping[str, Any]]
            ) -> None:
        """Save a token set under ``key``, replacing what was there.

        ``access`` is an :class:`Access` (what ``exchange_code`` returns)
        or a dict with its fields; expirations may be datetimes (naive =
        UTC) or Unix seconds.  Without an ``expiration`` the next call
        refreshes first.
        """
        # the key is checked by the library's binding (a non-empty str)
        self._core.put(key, _token_dict(access))

    def refresh(self, key: str, client: Any = None) -> Access:
        """Refresh the set under ``key`` now, save it, and return it.

        ``client``: an :class:`AuthClient` or :class:`Client` with the
        application's credentials (default: the shared client, which takes
        them from ``SMARTCAR_CLIENT_ID`` / ``SMARTCAR_CLIENT_SECRET``).
        When another thread or process refreshed it meanwhile, that set is
        returned instead of refreshing twice.  The refresh token must
        still be valid (:meth:`Access.refresh_is_expired`).
        """
        owner: Client = _util.client_option(client) or default_client()
        name = _util.require_str("key", key)
        # a stored call of exchange_refresh_token is this refresh (aio
        # runs it on the event loop)
        return access_from(_util.call(
            owner, "exchange_refresh_token", {}, self._core, name,
            lambda: self._core.refresh(owner, name)))


class PostgresTokenStore(TokenStore):
    """Token sets by key in PostgreSQL, for many processes on many hosts.

    ``dsn`` is a libpq connection string or URI
    (``"host=db dbname=app user=worker"``, ``"postgresql://..."``);
    ``None`` or ``""`` takes everything from the ``PG*`` environment
    variables.  The tables are created when missing and the role may
    (docs/postgres.md has the SQL).  A refresh holds the key's row lock
    from the load to the commit of the new set, so one process on any
    host refreshes a key at a time; a process that dies mid-refresh
    releases it.  The store can also share cool-downs between clients:
    ``client.share_cooldowns(store)``.

    Raises :class:`StorageError` when it cannot connect, or when
    libsmartcar was built without libpq.
    """

    def __init__(self, dsn: Optional[str] = None) -> None:
        # the DSN may hold a password: kept by the C store only
        self.path = "postgresql"
        self._core = _core.postgres_store(
            None if dsn is None
            else _util.require_str("dsn", dsn, allow_empty=True)
        )

    def __repr__(self) -> str:
        return "PostgresTokenStore(%s)" % ("closed" if self.closed else
                                           "open")
