"""Turning libsmartcar result data into return values: batch results and
exceptions rebuilt from error objects (batch slots)."""

from __future__ import annotations

import collections
import keyword
from typing import Any, Dict, Mapping, Optional

from . import _core, errors
from ._shapes import meta_from
from .types import CONVERTERS, data_tuple_from

__all__ = ["BatchResult", "batch_from"]

_CODE_BY_KIND: Dict[str, int] = {kind: code for _, code, kind, _ in _core.ERRORS}


class BatchResult:
    """One sub-response of a batch.  Call it: it returns the typed tuple
    (``Odometer``...) or raises the sub-request's SmartcarException."""

    __slots__ = ("path", "name", "code", "_value", "_error")

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.path: Optional[str] = item.get("path")
        self.name: Optional[str] = item.get("name")
        self.code: Optional[int] = item.get("code")
        # the library gives each path its data (a dict) or its error
        self._error: Optional[Mapping[str, Any]] = item.get("error")
        self._value: Any = None if self._error is not None else \
            CONVERTERS.get(self.name or "", data_tuple_from)(item["data"])

    @property
    def ok(self) -> bool:
        """True when the sub-request succeeded."""
        return self._error is None

    def __call__(self) -> Any:
        if self._error is not None:
            raise errors._from_core(_CODE_BY_KIND.get(
                str(self._error.get("kind")), _core.EAPI), self._error)
        return self._value

    def __repr__(self) -> str:
        return "<BatchResult %s %s>" % (self.path, self.code)


def _attribute(name: str) -> str:
    """The library's batch name as a namedtuple field (not a keyword)."""
    return "path_" + name if keyword.iskeyword(name) else name


def batch_from(data: Mapping[str, Any]) -> Any:
    """The ``batch`` namedtuple: one callable per path (named as the
    endpoint table names the path: ``odometer``, ``attributes``,
    ``tire_pressure``, ``nominal_capacity``...; where the official SDK
    uses another name, such as ``battery_nominal_capacity``, that one is
    there too) plus ``meta``.  A path given twice keeps its last answer."""
    results: Dict[str, BatchResult] = {}
    aliases: Dict[str, BatchResult] = {}
    for item in data["responses"]:  # (the library's: each an object)
        result = results[_attribute(item["name"] or "attributes")] = \
            BatchResult(item)
        if "alias" in item:
            aliases[_attribute(item["alias"])] = result
    for name, result in aliases.items():
        results.setdefault(name, result)
    cls = collections.namedtuple("batch", list(results) + ["meta"])  # type: ignore[misc]
    return cls(*results.values(), meta_from(data))
