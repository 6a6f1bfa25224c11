"""Small helpers shared by the public modules (argument checks, flags)."""

from __future__ import annotations

import contextvars
import datetime as _dt
import json
import numbers
import warnings
from typing import (Any, Callable, Collection, Dict, Iterable, Iterator, List,
                    Mapping, Optional, Sequence, Tuple, TypeVar, Union)

from . import _core
from .errors import InvalidArgumentError
from .options import CallOptions

Flags = Union[Mapping[str, Any], str, None]
T_item = TypeVar("T_item")


def wrong_type(name: str, expected: str, value: Any) -> TypeError:
    """The TypeError of argument ``name`` (its type named, never its
    value)."""
    return TypeError("%s must be %s, not %s"
                     % (name, expected, type(value).__name__))


def require_str(name: str, value: Any, *, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a (non-empty) str, else raise.

    TypeError for a wrong type, InvalidArgumentError (a ValueError) for an
    empty string.  The value itself never appears in the message.
    """
    if not isinstance(value, str):
        raise wrong_type(name, "str", value)
    if not allow_empty and not value:
        raise InvalidArgumentError("%s must not be empty" % name)
    return value


def optional_str(name: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    return require_str(name, value)


def require_mapping(name: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise wrong_type(name, "a dict", value)
    return value


def json_text(name: str, value: Any) -> str:
    """value as compact JSON text (TypeError / InvalidArgumentError when
    it cannot be)."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except TypeError as exc:
        raise TypeError("%s must be JSON-serialisable: %s"
                        % (name, exc)) from None
    except (ValueError, RecursionError) as exc:
        # NaN, a cycle, or nesting deeper than Python recurses
        raise InvalidArgumentError(
            "%s must be JSON-serialisable: %s" % (name, exc)) from None


def check_keys(
    name: str, options: Mapping[str, Any], allowed: Collection[str]
) -> None:
    """Refuse keys not in ``allowed`` (a tuple, or an options TypedDict's
    ``__annotations__``)."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidArgumentError(
            "unknown %s: %s (expected %s)"
            % (name, ", ".join(map(str, unknown)), ", ".join(allowed))
        )


def _flag_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, (str, int, float)):
        raise wrong_type("flag values", "str, bool or numbers", value)
    try:
        return str(value)
    except ValueError as exc:  # an int too long to print
        raise InvalidArgumentError("flag value: %s" % exc) from None


def flags_string(flags: Flags) -> Optional[str]:
    """``{"country": "DE", "flag": True}`` -> ``"country:DE flag:true"``
    (libsmartcar's sc_flags_format: keys in byte order).

    A str is passed through unchanged; None or an empty dict gives None.
    """
    if flags is None:
        return None
    if isinstance(flags, str):
        return flags or None
    if not isinstance(flags, Mapping):
        raise wrong_type("flags", "a dict", flags)
    texts = {key: _flag_value(value) for key, value in flags.items()}
    return _core.format_flags(texts) or None


def setting(name: str, value: Any) -> str:
    """A str setting checked by libsmartcar's rule for ``name``
    (unit_system, version, mode...): TypeError or InvalidArgumentError."""
    text = require_str(name, value)
    _core.check_param(name, text)
    return text


def number(name: str, value: Any) -> Union[int, float]:
    """An int or float (another real number as a float; not a bool), else
    TypeError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise wrong_type(name, "a number", value)
    return value if isinstance(value, (int, float)) else float(value)


def int_param(name: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type(name, "int", value)
    if value < minimum:
        raise InvalidArgumentError("%s must be at least %d" % (name, minimum))
    return value


#: per-call options every call accepts (see docs/endpoints.md)
CALL_OPTIONS = tuple(CallOptions.__annotations__)


def call_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The per-call parameters among ``options``, checked (rate_policy's
    value by the library when the call is made)."""
    return {key: require_str(key, value) if key == "rate_policy" else
            int_param(key, value, int(key == "max_attempts"))
            for key, value in options.items()
            if key in CALL_OPTIONS and value is not None}


class NeedCall(BaseException):
    """Raised by :func:`call` while ``aio`` replays a blocking function:
    the next call it needs (a ``Client.call_many`` item) and its client.
    (A BaseException: no ``except Exception`` of a caller takes it.)"""

    def __init__(self, client: Any, item: Tuple[Any, ...]) -> None:
        super().__init__()
        self.client = client
        self.item = item


#: while aio replays a blocking function: the answers of the calls it made
#: so far, in order, and how many of them this pass has read
REPLAY: "contextvars.ContextVar[Optional[List[Any]]]" = \
    contextvars.ContextVar("smartcar_native_replay", default=None)


def call(client: Any, endpoint: str, params: Dict[str, Any],
         store: Any = None, key: Optional[str] = None,
         blocking: Optional[Callable[[], Dict[str, Any]]] = None
         ) -> Dict[str, Any]:
    """``client.call(endpoint, params)`` (or ``call_stored`` with a core
    store and key; ``blocking()`` instead when given), the one place the
    blocking functions make a call.  While ``aio`` replays the function,
    the answers come from the replay, and a call not answered yet raises
    :class:`NeedCall`: aio runs it on the event loop and replays again."""
    replay = REPLAY.get()
    if replay is None:
        if blocking is not None:
            return blocking()
        if store is not None:
            return client.call_stored(store, key, endpoint, params)  # type: ignore[no-any-return]
        return client.call(endpoint, params)  # type: ignore[no-any-return]
    read = replay[0]
    if read < len(replay) - 1:
        replay[0] = read + 1
        answer = replay[read + 1]
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]
    raise NeedCall(client, (endpoint, params) if store is None
                   else (endpoint, params, store, key))


class PageItems(Iterator[T_item]):
    """The items of every page of ``Client.pages`` (the library decides
    which page is the last): ``items_of(page)`` gives a page's items.
    ``aio`` walks the same ``pages`` on the event loop instead."""

    def __init__(self, pages: Any,
                 items_of: Callable[[Dict[str, Any]], Iterable[T_item]]
                 ) -> None:
        self.pages = pages
        self.items_of = items_of
        self.bar: Any = None  # a progress bar (notebook.with_progress)
        self._items = self._walk()

    def _walk(self) -> Iterator[T_item]:
        try:
            for page in self.pages:
                for item in self.items_of(page):
                    self.advance()
                    yield item
        finally:
            self.done()

    def __iter__(self) -> "PageItems[T_item]":
        return self

    def __next__(self) -> T_item:
        return next(self._items)

    def advance(self) -> None:
        """One item was handed out."""
        if self.bar is not None:
            self.bar.update(1)

    def done(self) -> None:
        """The walk ended."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def page_items(client: Any, call: Sequence[Any], page_size: int,
               convert: Optional[Callable[[Dict[str, Any]], Any]],
               field: str) -> PageItems[Any]:
    """The items of every page of ``call`` (a ``Client.call_many`` item),
    fetched ``page_size`` at a time: ``field`` of each page converted, or
    without a converter a v3 page's resources."""
    pages = client.pages(call[0], call[1],
                         int_param("page_size", page_size, 1), *call[2:])
    if convert is None:
        return PageItems(pages, lambda page: page.get("data") or [])
    return PageItems(pages, lambda data: getattr(convert(data), field))


def client_option(value: Any) -> Optional[_core.Client]:
    """``options["client"]``: a Client, or an AuthClient (its client)."""
    if value is None or isinstance(value, _core.Client):
        return value
    inner = getattr(value, "client", None)
    if isinstance(inner, _core.Client):
        return inner
    raise wrong_type("client", "a smartcar_native.Client or AuthClient",
                     value)


def date_text(value: Any) -> Any:
    """A date as YYYY-MM-DD, a datetime as UTC ISO-8601 with ms; any
    other value as it is."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def mode_of_test_mode(test_mode: Any) -> str:
    """The mode the deprecated ``test_mode`` flag stands for, with its
    DeprecationWarning (pointing at the caller's caller)."""
    warnings.warn("test_mode is deprecated; use mode='test'",
                  DeprecationWarning, stacklevel=3)
    return "test" if test_mode else "live"
