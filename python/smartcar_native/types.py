"""Return types: named tuples with the official ``smartcar`` SDK's names.

The tuples and their converters from libsmartcar's result data are
generated from csrc/lib/results.def (``_shapes``); this module adds the
service records, the data of batch paths without a shape, ``Reason``
and ``CONVERTERS``.
"""

from __future__ import annotations

import collections
import enum
from typing import Any, Callable, Dict, Mapping

from . import _shape_util as _u
from . import _shapes
from . import notebook as _notebook
from ._shapes import *  # noqa: F401,F403  (the generated tuples)
from ._shapes import (
    CompatibilityMatrixModel,
    ServiceHistory,
    compatibility_matrix_from as compatibility_matrix_from,
    meta_from,
    signals_from as signals_from,
)

__all__ = [
    "CompatibilityMatrixEntry",
    "NominalCapacity",
]
__all__ += _shapes.__all__

Number = _shapes.Number

#: the correctly spelt name of :class:`NominalCapcity`
NominalCapacity = _shapes.NominalCapcity
#: another name of :class:`CompatibilityMatrixModel`
CompatibilityMatrixEntry = CompatibilityMatrixModel


class Reason(enum.Enum):
    """Why a vehicle is not compatible (``CompatibilityV2.reason``; the
    value arrives as its str).  In smartcar.v2_response, as officially."""

    VEHICLE_NOT_COMPATIBLE = "VEHICLE_NOT_COMPATIBLE"
    MAKE_NOT_COMPATIBLE = "MAKE_NOT_COMPATIBLE"


class ServiceRecordDict(Dict[str, Any]):
    """A service record as the server sent it (camelCase keys, as the
    official SDK returns it: ``record["serviceDate"]``); the snake_case
    spelling (``record["service_date"]``) reads the same value."""

    def __missing__(self, key: str) -> Any:
        if isinstance(key, str) and "_" in key:
            head, *rest = key.split("_")
            camel = head + "".join(w[:1].upper() + w[1:] for w in rest)
            if camel in self:
                return self[camel]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or (
            isinstance(key, str) and self.get(key) is not None)


def _records(value: Any) -> Any:
    if isinstance(value, dict):
        return ServiceRecordDict({k: _records(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_records(v) for v in value]
    return value


def service_history_from(data: Mapping[str, Any]) -> ServiceHistory:
    if "body" in data:  # the verbatim body: a list of records
        items = _records(_u.dicts(data.get("body")))
    else:
        items = _u.dicts(data.get("items"))
    return ServiceHistory(items=items, meta=meta_from(data))


def data_tuple_from(data: Mapping[str, Any]) -> Any:
    """Data of a path without a named tuple of its own (make-specific
    batch paths): a namedtuple ``Data`` of its (snake_case) fields, as the
    official SDK makes, plus ``meta``."""
    body = {k: v for k, v in data.items() if k != "meta"}
    cls = collections.namedtuple(  # type: ignore[misc]
        "Data", list(body) + ["meta"], rename=True)
    return cls(*body.values(), meta_from(data))


#: endpoint name (docs/endpoints.md) -> converter of its result data.
#: Batch results and run_many use it too.
CONVERTERS: Dict[str, Callable[[Mapping[str, Any]], Any]] = {
    endpoint: getattr(_shapes, name, None) or globals()[name]
    for endpoint, name in _shapes.CONVERTER_NAMES.items()
}


# to_dict() and _repr_html_ on every result (smartcar_native.notebook)
_notebook.install(v for v in list(vars(_shapes).values())
                  if isinstance(v, type) and issubclass(v, tuple)
                  and hasattr(v, "_fields"))
