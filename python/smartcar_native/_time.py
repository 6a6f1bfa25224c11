"""Times: datetimes and Unix seconds, and token expiry.

Naive datetimes are UTC, as in the official SDK (its ``Access`` carries
naive UTC expirations); aware ones are converted.  The expiry rule itself
(``now + leeway >= expiration``) is libsmartcar's ``sc_token_expired``.
"""

from __future__ import annotations

import datetime as _dt
import numbers
from typing import Any, Dict, Optional, Union

from . import _core, _util

Expiration = Union[_dt.datetime, float, int]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def to_unix(name: str, value: Any) -> float:
    """A datetime (naive = UTC) or a number of Unix seconds, as seconds."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return (value - _EPOCH).total_seconds()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _util.wrong_type(name, "a datetime or Unix seconds", value)
    return float(value)


def parse_iso(text: Any) -> Optional[_dt.datetime]:
    """An ISO-8601 time as Smartcar sends it (``2026-12-04T10:00:00.000Z``)
    -> naive UTC datetime; None for None or text that is not one (read
    by libsmartcar's ``sc_time_parse_ms``)."""
    aware = from_ms(_core.time_ms(text)) if isinstance(text, str) else None
    return None if aware is None else aware.replace(tzinfo=None)


def utc_naive(seconds: Any) -> Optional[_dt.datetime]:
    """Unix seconds -> naive UTC datetime (None stays None)."""
    if seconds is None:
        return None
    aware = _dt.datetime.fromtimestamp(float(seconds), _dt.timezone.utc)
    return aware.replace(tzinfo=None)


def from_ms(value: Any) -> Optional[_dt.datetime]:
    """Epoch milliseconds (libsmartcar's one time type for signals and
    webhooks) -> timezone-aware UTC datetime; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return _EPOCH + _dt.timedelta(milliseconds=value)


def row_times(row: Dict[str, Any]) -> Dict[str, Any]:
    """A signal row (sc_signal_rows) with its times as aware datetimes."""
    for key in ("retrieved_at", "oem_updated_at", "ingested_at"):
        if not isinstance(row.get(key), _dt.datetime):
            row[key] = from_ms(row.get(key))
    return row


def webhook_times(data: Dict[str, Any]) -> Dict[str, Any]:
    """A parsed delivery with its times (``delivered_at``, the rows') as
    aware datetimes."""
    if "delivered_at" in data:
        data["delivered_at"] = from_ms(data["delivered_at"])
    if isinstance(data.get("rows"), list):
        data["rows"] = [row_times(r) for r in data["rows"]]
    return data
