"""SmartcarException, the base of the exception classes generated from
csrc/lib/exceptions.def (_exceptions.py), with the attributes of the
library's error object (ErrorFields, generated from csrc/lib/results.def);
smartcar_native.errors re-exports them all."""

from __future__ import annotations

from typing import Any, Optional

from ._error_fields import ErrorFields


class SmartcarException(ErrorFields, Exception):
    """Base class of every error raised by smartcar_native.

    ``str(e)`` is ``e.message``; for Smartcar API errors it reads
    ``"TYPE:CODE - description"`` like the official SDK.
    """

    # the module users import it from (tracebacks, pickling)
    __module__ = "smartcar_native.errors"

    #: libsmartcar error kind ("network", "oauth", "api"...).
    default_kind: str = "unknown"
    #: the negative SC_E* code from errors.def, when libsmartcar raised it
    sc_code: Optional[int] = None

    def __init__(self, message: Optional[str] = None, **fields: Any) -> None:
        unknown = set(fields) - set(_FIELDS)
        if unknown:
            raise TypeError(
                "unexpected SmartcarException field(s): "
                + ", ".join(sorted(unknown))
            )
        fields["kind"] = fields.get("kind") or self.default_kind
        for name in _FIELDS:
            setattr(self, name, fields.get(name))
        if message is None:  # worded by the library (_core loads after us)
            from . import _core
            message = _core.error_message(self.type, self.code,
                                          self.description)
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        for name in ("kind", "type", "code", "status_code", "request_id"):
            value = getattr(self, name, None)
            if value is not None:
                parts.append("%s=%r" % (name, value))
        return "%s(%s)" % (type(self).__name__, ", ".join(parts))


# The attributes every SmartcarException has (None when not relevant), but
# the message.
_FIELDS = tuple(name for name in ErrorFields.__annotations__
                if name != "message")

