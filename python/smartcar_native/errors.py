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
and so on.  Smartcar API errors map to one class per error ``type``
(``AUTHENTICATION`` -> :class:`AuthenticationError`...).

No message, attribute or ``repr`` ever holds an access token, refresh
token, client secret or authorization code: libsmartcar removes them
before the error reaches Python.

This module is pure Python: the C extension imports it once and calls
:func:`_from_core` to build the exception for each failure.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Type, Union

__all__ = [
    "SmartcarException",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "NetworkError",
    "SmartcarTimeoutError",
    "TLSError",
    "MalformedResponseError",
    "ResponseTooLargeError",
    "StateMismatchError",
    "OAuthError",
    "ConnectError",
    "ApiError",
    "AuthenticationError",
    "PermissionDeniedError",
    "ValidationError",
    "ResourceNotFoundError",
    "RateLimitError",
    "VehicleStateError",
    "CompatibilityError",
    "UpstreamError",
    "ServerError",
    "BillingError",
    "ConnectedServicesAccountError",
    "HttpError",
    "RateLimitedLocallyError",
    "CallbackError",
    "MisuseError",
    "ConflictError",
    "NotFoundError",
    "StorageError",
    "WebhookSignatureError",
]


class SmartcarException(Exception):
    """Base class of every error raised by smartcar_native.

    ``str(e)`` is ``e.message``; for Smartcar API errors it reads
    ``"TYPE:CODE - description"`` like the official SDK.
    """

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


class InvalidArgumentError(SmartcarException, ValueError):
    """A value given to the library was refused (missing, malformed)."""


class OutOfMemoryError(SmartcarException, MemoryError):
    """libsmartcar ran out of memory."""


class NetworkError(SmartcarException, ConnectionError):
    """The request could not be sent or the response not received."""


class SmartcarTimeoutError(NetworkError, TimeoutError):
    """The connect or total timeout expired."""


class TLSError(NetworkError):
    """TLS handshake or certificate verification failed."""


class MalformedResponseError(SmartcarException, ValueError):
    """The server's response could not be understood."""


class ResponseTooLargeError(MalformedResponseError):
    """The response body went past the client's size limit."""


class StateMismatchError(SmartcarException, ValueError):
    """The redirect's ``state`` differs from the one that was sent."""


class OAuthError(SmartcarException):
    """The token endpoint refused a grant.

    ``error`` is the OAuth error code (``invalid_grant``,
    ``invalid_client``...), also available as ``type``.
    """

    @property
    def error(self) -> Optional[str]:
        return self.type


class ConnectError(SmartcarException):
    """Smartcar Connect redirected back with an error.

    ``error`` is the Connect error (``access_denied``,
    ``vehicle_incompatible``...); ``vin``, ``make``, ``model`` and ``year``
    are set when Connect shared them.
    """

    @property
    def error(self) -> Optional[str]:
        return self.type


class ApiError(SmartcarException):
    """A Smartcar API error body (v2 ``type``/``code`` or v1 ``error``)."""


class AuthenticationError(ApiError):
    """AUTHENTICATION: the access token is missing, invalid or expired."""


class PermissionDeniedError(ApiError, PermissionError):
    """PERMISSION: the token lacks the permission for this request."""


class ValidationError(ApiError, ValueError):
    """VALIDATION: the request was invalid."""


class ResourceNotFoundError(ApiError, LookupError):
    """RESOURCE_NOT_FOUND: unknown path or API version."""


class RateLimitError(ApiError):
    """RATE_LIMIT: see ``retry_after`` (the header text, as the official
    SDK) and ``retry_after_seconds`` (a number)."""


class VehicleStateError(ApiError):
    """VEHICLE_STATE: the vehicle cannot do this right now."""


class CompatibilityError(ApiError):
    """COMPATIBILITY: the vehicle or make does not support this."""


class UpstreamError(ApiError):
    """UPSTREAM: the automaker's service failed."""


class ServerError(ApiError):
    """SERVER: Smartcar failed."""


class BillingError(ApiError):
    """BILLING: the plan's limits were reached."""


class ConnectedServicesAccountError(ApiError):
    """CONNECTED_SERVICES_ACCOUNT: the owner must act on their account."""


class HttpError(SmartcarException):
    """An error status whose body is not a Smartcar error."""


class RateLimitedLocallyError(SmartcarException):
    """The client's own rate limit refused to send the request."""


class CallbackError(SmartcarException):
    """A user callback failed."""


class MisuseError(SmartcarException, RuntimeError):
    """The library was used in a way it does not allow."""


class ConflictError(SmartcarException):
    """A token store entry changed meanwhile (another process refreshed
    it first): load it again and retry."""


class NotFoundError(SmartcarException, LookupError):
    """No such entry (a token store has nothing under that key)."""


class StorageError(SmartcarException, OSError):
    """The token store failed (the SQLite file could not be opened, read
    or written).  After a refresh whose new set could not be saved, the
    previous refresh token stays valid for a minute: try again."""


class WebhookSignatureError(SmartcarException, ValueError):
    """A webhook delivery's ``SC-Signature`` is missing or does not sign
    its body (answer it 401)."""


# The class of each libsmartcar error kind (errors.def); each class's
# default_kind is set from here.
_BY_KIND: Dict[str, Type[SmartcarException]] = {
    "invalid_argument": InvalidArgumentError,
    "out_of_memory": OutOfMemoryError,
    "network": NetworkError,
    "timeout": SmartcarTimeoutError,
    "tls": TLSError,
    "malformed_response": MalformedResponseError,
    "response_too_large": ResponseTooLargeError,
    "state_mismatch": StateMismatchError,
    "oauth": OAuthError,
    "connect": ConnectError,
    "api": ApiError,
    "http": HttpError,
    "rate_limited": RateLimitedLocallyError,
    "callback": CallbackError,
    "misuse": MisuseError,
    "conflict": ConflictError,
    "not_found": NotFoundError,
    "storage": StorageError,
    "bad_signature": WebhookSignatureError,
}
for _kind, _cls in _BY_KIND.items():
    _cls.default_kind = _kind


# Smartcar API error classes by the library's error "category" (the v2
# type; libsmartcar gives API v1 "error" values their v2 category).
_BY_API_TYPE: Dict[str, Type[ApiError]] = {
    "AUTHENTICATION": AuthenticationError,
    "PERMISSION": PermissionDeniedError,
    "VALIDATION": ValidationError,
    "RESOURCE_NOT_FOUND": ResourceNotFoundError,
    "RATE_LIMIT": RateLimitError,
    "VEHICLE_STATE": VehicleStateError,
    "COMPATIBILITY": CompatibilityError,
    "UPSTREAM": UpstreamError,
    "SERVER": ServerError,
    "BILLING": BillingError,
    "CONNECTED_SERVICES_ACCOUNT": ConnectedServicesAccountError,
}


def exception_class(kind: Optional[str], type_: Optional[str] = None
                    ) -> Type[SmartcarException]:
    """The exception class for a libsmartcar kind (and, for API errors,
    the error's category: its v2 type)."""
    cls = _BY_KIND.get(kind or "", SmartcarException)
    if cls is ApiError and type_:
        return _BY_API_TYPE.get(type_, ApiError)
    return cls


def _from_core(code: int, fields: Mapping[str, Any]) -> SmartcarException:
    """Build the exception for a libsmartcar error.

    ``code`` is the negative SC_E* value; ``fields`` is the library's error
    object converted to a dict (see ``sc_error_object`` in errors.h).
    Called by the C extension; returns the exception, does not raise it.
    """
    kind = fields.get("kind") or None
    cls = exception_class(kind, fields.get("category") or fields.get("type"))
    kwargs: Dict[str, Any] = {name: fields[name] for name in _FIELDS
                              if fields.get(name) is not None}
    if "resolution" in kwargs:  # the library's {type?, url?}: both keys
        kwargs["resolution"] = {k: kwargs["resolution"].get(k)
                                for k in ("type", "url")}
    seconds = kwargs.pop("retry_after", None)
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) \
            and seconds >= 0:
        if float(seconds).is_integer():
            seconds = int(seconds)
        kwargs["retry_after_seconds"] = seconds
        header = fields.get("retry_after_header")
        kwargs["retry_after"] = header if isinstance(header, str) \
            else str(seconds)
    if kind is None:
        kwargs.pop("kind", None)
    message = fields.get("message")
    if not isinstance(message, str) or not message:
        message = None
    exc = cls(message, **kwargs)
    exc.sc_code = code
    return exc
