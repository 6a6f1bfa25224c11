"""Webhooks: the VERIFY challenge, delivery signatures and payloads.

Smartcar signs every delivery with the ``SC-Signature`` header: the hex
HMAC-SHA256 of the raw request body keyed by the application management
token (AMT).  Verify the raw bytes, before any JSON parsing::

    if not smartcar.verify_payload(AMT, request.headers["SC-Signature"],
                                   request.get_data()):
        abort(401)
    event = smartcar.parse_webhook(request.get_data())
    if event["event_type"] == "VERIFY":
        return {"challenge": smartcar.hash_challenge(AMT,
                                                     event["challenge"])}

Or in one call, which also answers VERIFY (Smartcar does not sign it)
and drops the repeats of at-least-once delivery::

    seen = smartcar.SeenEvents()
    try:
        event = smartcar.receive_webhook(
            AMT, request.headers.get("SC-Signature"), request.get_data(),
            seen)
    except smartcar.WebhookSignatureError:
        abort(401)
    if event["event_type"] != "VERIFY" and not event["duplicate"]:
        handle(event)                       # e.g. signal_rows(event)
    return event["reply"], 200, {"Content-Type": "application/json"}

The hashing, the constant-time comparison, parsing, deduplication and
the flattening of signals run in libsmartcar.  Times (``delivered_at``
and those of the rows) are timezone-aware UTC datetimes; the delivery's
own data (``payload``, ``signals``) keeps them as epoch milliseconds.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Dict, List, Mapping

from . import _core, _util
from ._api import (Body, hash_challenge, parse_time, parse_webhook,
                   receive_webhook, verify_payload)
from ._seen import SeenEvents
from ._time import row_times, to_unix
from .notebook import _frame_times, to_dict

__all__ = [
    "hash_challenge",
    "verify_payload",
    "verify_webhook",
    "parse_webhook",
    "receive_webhook",
    "SeenEvents",
    "signal_rows",
    "signal_frame",
    "parse_time",
]

#: the same as :func:`verify_payload`
verify_webhook = verify_payload


def _json_value(value: Any) -> Any:
    """json.dumps' fallback: a datetime (naive = UTC) as epoch ms."""
    if isinstance(value, _dt.datetime):
        return to_unix("time", value) * 1000
    return str(value)


def signal_rows(source: Any) -> List[Dict[str, Any]]:
    """One flat dict per signal: ``code``, ``name``, ``group``, ``value``,
    ``unit``, ``status``, ``error_type``, ``error_code``,
    ``retrieved_at``, ``oem_updated_at``, ``ingested_at`` (aware UTC
    datetimes or None), ``vehicle_id``, ``body`` (the value object as
    sent) and ``error`` (the status's error object).

    ``source`` is what holds the signals: a ``VehicleV3.get_signals()`` /
    ``get_signal()`` result, the official-SDK ``Vehicle.get_signals()``
    response, a webhook event from :func:`parse_webhook` /
    :func:`receive_webhook`, or the raw JSON (str or bytes) of any of
    them or of a delivery.  The flattening is libsmartcar's
    (``sc_signal_rows``), the same in every language.
    """
    if isinstance(source, Mapping) and isinstance(source.get("rows"), list):
        return [row_times(dict(r)) for r in source["rows"]
                if isinstance(r, Mapping)]
    if isinstance(source, (str, bytes, bytearray, memoryview)):
        text: Body = source
    elif isinstance(source, (Mapping, list, tuple)):  # results: tuples
        text = json.dumps(to_dict(source), default=_json_value)
    else:
        raise _util.wrong_type("source", "signals (a result, a webhook "
                               "event or JSON)", source)
    return [row_times(r) for r in _core.signal_rows(text)["rows"]]


def signal_frame(source: Any) -> Any:
    """:func:`signal_rows` as a :class:`pandas.DataFrame` (one row per
    signal, times as UTC datetimes).  pandas is imported only here."""
    import pandas as pd  # optional: only this function needs it

    return _frame_times(pd, pd.DataFrame(signal_rows(source)))
