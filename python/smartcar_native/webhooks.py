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

The hashing and the constant-time comparison run in libsmartcar.
"""

from __future__ import annotations

from typing import Any, Dict, Union

from . import _core, _util

__all__ = [
    "hash_challenge",
    "verify_payload",
    "verify_webhook",
    "parse_webhook",
]

Body = Union[str, bytes, bytearray, memoryview]


def hash_challenge(amt: str, challenge: str) -> str:
    """The reply to a VERIFY challenge: lower-case hex
    HMAC-SHA256(key=amt, message=challenge).  Answer with
    ``{"challenge": <this>}``."""
    return _core.webhook_challenge(
        _util.require_str("amt", amt, allow_empty=True),
        _util.require_str("challenge", challenge, allow_empty=True),
    )


def verify_payload(amt: str, signature: Union[str, bytes], body: Body
                   ) -> bool:
    """True when ``signature`` (the ``SC-Signature`` header) is the
    HMAC-SHA256 of ``body`` keyed by ``amt``.

    ``body`` is the raw request body: bytes as received, or a str (taken
    as UTF-8, as the official SDK does).  Hex digits compare
    case-insensitively and in constant time.  A missing (None) signature
    is simply not valid.
    """
    _util.require_str("amt", amt, allow_empty=True)
    if signature is None:
        return False
    if not isinstance(signature, (str, bytes)):
        raise TypeError(
            "signature must be str or bytes, not %s"
            % type(signature).__name__
        )
    if not isinstance(body, (str, bytes, bytearray, memoryview)):
        raise TypeError(
            "body must be str or bytes (the raw request body), not %s"
            % type(body).__name__
        )
    return _core.webhook_verify(amt, signature, body)


#: the same as :func:`verify_payload`
verify_webhook = verify_payload


def parse_webhook(body: Body) -> Dict[str, Any]:
    """Parse a delivery (v2 or v4 shape) into one dict, snake_case keys.

    Keys, when present: ``version`` (``"2.0"``/``"4.0"``), ``event_type``
    (``VERIFY``, ``VEHICLE_STATE``, ``VEHICLE_ERROR``, or the v2
    ``eventName`` upper-cased: ``EVENTBASED``, ``SCHEDULE``,
    ``DYNAMIC``), ``event_id``, ``webhook_id``, ``webhook_name``,
    ``delivery_id``, ``delivered_at``, ``mode``, ``challenge``,
    ``user_id``, ``vehicle_id``, ``payload`` (the v2 payload or v4
    ``data``), ``signals`` and ``triggers`` (v4).

    Raises :class:`MalformedResponseError` for anything else.  Check the
    signature first (:func:`verify_payload`).
    """
    if not isinstance(body, (str, bytes, bytearray, memoryview)):
        raise TypeError(
            "body must be str or bytes, not %s" % type(body).__name__
        )
    return _core.webhook_parse(body)
