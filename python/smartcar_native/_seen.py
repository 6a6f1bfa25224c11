"""SeenEvents: the webhook event ids seen recently (libsmartcar's
sc_webhook_seen); smartcar_native.webhooks exports it."""

from __future__ import annotations

import datetime as _dt
import os
from typing import Optional, Union

from . import _core, _util


class SeenEvents:
    """The webhook event ids seen recently (libsmartcar's bounded,
    thread-safe set): Smartcar delivers at least once and keeps
    ``eventId`` across retries, so a repeat can be told from the first.

    ``capacity`` ids are kept, each for ``ttl`` (a ``timedelta`` or
    seconds; None: until the set is full), the oldest going first.  With
    ``path`` the ids live in that SQLite file instead (table
    ``smartcar_webhook_events``; the token store's file will do), so
    every process using the file agrees; with ``postgres`` (a libpq
    connection string, "" for the ``PG*`` variables) they live in that
    PostgreSQL database, shared by every host.  ``ttl`` is then required
    and ``capacity`` unused.  A failing database raises
    :class:`StorageError`.
    """

    def __init__(self, capacity: int = 100000,
                 ttl: Union[_dt.timedelta, float, None] = 86400.0,
                 path: Union[str, "os.PathLike[str]", None] = None,
                 postgres: Optional[str] = None) -> None:
        if isinstance(ttl, _dt.timedelta):
            ttl = ttl.total_seconds()
        ttl_ms = 0 if ttl is None else int(_util.number("ttl", ttl) * 1000)
        #: the library's set (what the _core functions take)
        self.core: object = _core.seen_open(
            capacity, ttl_ms, None if path is None else os.fspath(path),
            postgres)

    def first(self, event_id: str) -> bool:
        """Record ``event_id``: True the first time, False for a repeat
        (within the time to live)."""
        return _core.seen_check(self, event_id, 0)

    def forget(self, event_id: str) -> bool:
        """Forget ``event_id`` (after failing to handle its event), so
        its retry counts as the first.  True when it was there."""
        return _core.seen_forget(self, event_id)

    def __len__(self) -> int:
        return _core.seen_count(self)

