"""What the generated result tuples (_shapes.py) and their converters
share: positional construction, the dict reading of ``mapping`` shapes,
redacted reprs and the conversions of the schema's types."""

from __future__ import annotations

from typing import (Any, Callable, Dict, List, Mapping, Optional, Tuple,
                    TypeVar, Union)

from ._core import tuple_new
from ._time import from_ms as from_ms
from ._time import parse_iso as parse_iso
from ._time import utc_naive as utc_naive

_T = TypeVar("_T")
#: results are built positionally: a named tuple's own __new__ is a
#: Python call with keywords, tuple.__new__'s generic path half of it
new = tuple_new

_EMPTY: Mapping[str, Any] = {}


def as_map(value: Any) -> Mapping[str, Any]:
    """value when it is a dict, else an empty one."""
    # a dict first: the Mapping ABC's isinstance check costs as much as
    # the rest of a result's conversion
    if type(value) is dict or isinstance(value, Mapping):
        return value
    return _EMPTY


def dicts(value: Any) -> List[Dict[str, Any]]:
    """The dict items of a list (anything else: none)."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def one(convert: Callable[..., _T], value: Any, *args: Any
        ) -> Optional[_T]:
    """convert(value, *args) for a dict, else None."""
    return convert(value, *args) if isinstance(value, Mapping) else None


def at(value: Any, *path: Union[str, int]) -> Any:
    """value[path[0]][path[1]]...: None where a step is missing."""
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and \
                len(value) > step else None
        else:
            value = value.get(step) if isinstance(value, Mapping) else None
    return value


def redacted(self: Any, secrets: Tuple[str, ...]) -> str:
    """repr of a result tuple whose secret fields (tokens, codes) stay out
    of logs and tracebacks; the fields still hold them."""
    parts = []
    for name in self._fields:
        value = getattr(self, name)
        shown = "'[REDACTED]'" if name in secrets and value else repr(value)
        parts.append("%s=%s" % (name, shown))
    return "%s(%s)" % (type(self).__name__, ", ".join(parts))


def _item(self: Any, key: Any) -> Any:
    if isinstance(key, str):
        if key in self._fields:
            return getattr(self, key)
        raise KeyError(key)
    return tuple.__getitem__(self, key)


def _get(self: Any, key: str, default: Any = None) -> Any:
    return getattr(self, key) if key in self._fields else default


def _keys(self: Any) -> Any:
    return self._asdict().keys()


def _equal(self: Any, other: object) -> bool:
    if isinstance(other, Mapping):
        return dict(self._asdict()) == dict(other)
    return tuple.__eq__(self, other)


def _not_equal(self: Any, other: object) -> bool:
    return not _equal(self, other)


_MAPPING_METHODS = {
    "__getitem__": _item,
    "get": _get,
    "keys": _keys,
    "__eq__": _equal,
    "__ne__": _not_equal,
    "__hash__": tuple.__hash__,
}


def mapped(cls: Any) -> Any:
    """Named tuples that also read like the dicts the official SDK
    returns at run time: ``door.status`` and ``door["status"]`` both
    work, and a tuple equals the dict with the same keys."""
    for name, method in _MAPPING_METHODS.items():
        setattr(cls, name, method)
    return cls


# last: _api's parse_redirect converts with _shapes, which imports this
from ._api import is_expired as is_expired  # noqa: E402
