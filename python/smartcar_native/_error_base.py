"""SmartcarException, the base of the exception classes generated from
csrc/lib/exceptions.def (_exceptions.py); smartcar_native.errors
re-exports them all."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union


class SmartcarException(Exception):
    """Base class of every error raised by smartcar_native.

    ``str(e)`` is ``e.message``; for Smartcar API errors it reads
    ``"TYPE:CODE - description"`` like the official SDK.
    """

    # the module users import it from (tracebacks, pickling)
    __module__ = "smartcar_native.errors"

    #: libsmartcar error kind ("network", "oauth", "api"...).
    default_kind: str = "unknown"

    message: str
    status_code: Optional[int]
    request_id: Optional[str]
    type: Optional[str]
    code: Optional[str]
    description: Optional[str]
    doc_url: Optional[str]
    resolution: Optional[Dict[str, Optional[str]]]
    detail: Optional[List[Any]]
    suggested_user_message: Optional[str]
    #: the Retry-After header as sent (the official SDK's type, str)
    retry_after: Optional[str]
    #: ``retry_after`` as a number of seconds
    retry_after_seconds: Optional[Union[int, float]]
    kind: str
    attempts: Optional[int]
    vin: Optional[str]
    make: Optional[str]
    model: Optional[str]
    year: Optional[str]
    error_message: Optional[str]
    #: v3 (JSON:API) errors: the short title ("Bad Gateway")
    title: Optional[str]
    #: a v3 command that ended without SUCCESS: its status.value
    #: ("FAILURE", "ERROR", "UNAVAILABLE"), commandType and execution id
    command_status: Optional[str]
    command_type: Optional[str]
    execution_id: Optional[str]
    #: the negative SC_E* code from errors.def, when libsmartcar raised it
    sc_code: Optional[int] = None

    def __init__(self, message: Optional[str] = None, **fields: Any) -> None:
        unknown = set(fields) - set(_FIELDS)
        if unknown:
            raise TypeError(
                "unexpected SmartcarException field(s): "
                + ", ".join(sorted(unknown))
            )
        for name in _FIELDS:
            setattr(self, name, fields.get(name))
        if self.kind is None:
            self.kind = self.default_kind
        if message is None:
            message = _default_message(self.type, self.code, self.description)
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


# The attributes every SmartcarException has (None when not relevant): the
# annotated ones, but for the class-level ones and the message.
_FIELDS = tuple(name for name in SmartcarException.__annotations__
                if name not in ("default_kind", "message", "sc_code"))


def _default_message(
    type_: Optional[str], code: Optional[str], description: Optional[str]
) -> str:
    if type_ and code:
        return "%s:%s - %s" % (type_, code, description or "")
    if type_:
        return "%s - %s" % (type_, description or "")
    return description or "Smartcar error"
