"""Exceptions raised by smartcar_native.

Every failure raises a :class:`SmartcarException`, which carries the same
attributes as the official ``smartcar`` SDK's exception (``status_code``,
``request_id``, ``type``, ``code``, ``description``, ``doc_url``,
``resolution``, ``detail``, ``suggested_user_message``, ``retry_after``,
``message``) plus ``kind`` (the libsmartcar error kind from errors.def),
``attempts`` and, for Connect errors, ``vin``, ``make``, ``model`` and
``year``.  Attributes that do not apply are ``None``.

Subclasses follow the kind of failure and also inherit the builtin a
Python programmer would catch: :class:`NetworkError` is a
:class:`ConnectionError`, :class:`SmartcarTimeoutError` a
:class:`TimeoutError`, :class:`InvalidArgumentError` a :class:`ValueError`
(:class:`InvalidArgumentTypeError`, a value of the wrong type, also a
:class:`TypeError`) and so on.  Smartcar API errors map to one class per error ``type``
(``AUTHENTICATION`` -> :class:`AuthenticationError`...).

No message, attribute or ``repr`` ever holds an access token, refresh
token, client secret or authorization code: libsmartcar removes them
before the error reaches Python.

This module is pure Python: the C extension imports it once and calls
:func:`_from_core` to build the exception for each failure.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type

# the subclasses: generated from csrc/lib/exceptions.def
from ._error_base import _FIELDS, SmartcarException
from . import _exceptions
from ._exceptions import *  # noqa: F401,F403
from ._exceptions import BY_API_TYPE as _BY_API_TYPE
from ._exceptions import BY_KIND as _BY_KIND

__all__ = ["SmartcarException"]
__all__ += _exceptions.__all__


def exception_class(kind: Optional[str], type_: Optional[str] = None,
                    expected: Optional[str] = None
                    ) -> Type[SmartcarException]:
    """The exception class for a libsmartcar kind (and, for API errors,
    the error's category: its v2 type; for invalid arguments, the type a
    value must have: a wrong type is also a TypeError)."""
    cls = _BY_KIND.get(kind or "", SmartcarException)
    if cls is ApiError and type_:
        return _BY_API_TYPE.get(type_, ApiError)
    if cls is InvalidArgumentError and expected:
        return InvalidArgumentTypeError
    return cls


def _from_core(code: int, fields: Mapping[str, Any]) -> SmartcarException:
    """Build the exception for a libsmartcar error.

    ``code`` is the negative SC_E* value; ``fields`` is the library's error
    object converted to a dict (see ``sc_error_object`` in errors.h).
    Called by the C extension; returns the exception, does not raise it.
    """
    kind = fields.get("kind") or None
    cls = exception_class(kind, fields.get("category") or fields.get("type"),
                          fields.get("expected"))
    kwargs: Dict[str, Any] = {name: fields[name] for name in _FIELDS
                              if fields.get(name) is not None}
    if "resolution" in kwargs:  # the library's {type?, url?}: both keys
        kwargs["resolution"] = {k: kwargs["resolution"].get(k)
                                for k in ("type", "url")}
    seconds = kwargs.pop("retry_after", None)  # the library's: a number >= 0
    if seconds is not None:
        if float(seconds).is_integer():
            seconds = int(seconds)
        kwargs["retry_after_seconds"] = seconds
        # the header as sent, as the official SDK's; the seconds without one
        kwargs["retry_after"] = fields.get("retry_after_header") or \
            str(seconds)
    # no kind: the class's default_kind; no message: the default one
    message = fields.get("message")
    exc = cls(message if isinstance(message, str) and message else None,
              **kwargs)
    exc.sc_code = code
    return exc
