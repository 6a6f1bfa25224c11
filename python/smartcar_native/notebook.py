"""Notebook helpers: plain dicts, pandas DataFrames, HTML and progress bars.

- ``result.to_dict()`` (every result tuple) and :func:`to_dict`: nested
  plain dicts and lists, ready for JSON.
- :func:`~smartcar_native.signal_frame`: one row per v3 signal (the
  flattening is libsmartcar's ``sc_signal_rows``).
- :func:`to_frame`: one flat :class:`pandas.DataFrame` row per result, the
  unit in each measured column's name (``distance_km`` or
  ``distance_mi``, following the response's unit system) and real
  datetimes (``data_age``, ``fetched_at``...).  pandas is imported only
  here, when called (``pip install smartcar-native[notebook]``).
- ``_repr_html_`` on every result and on :class:`ResultList` (what
  :func:`~smartcar_native.run_many` returns), so Jupyter shows tables.
- ``progress=True`` on ``run_many``, ``iter_vehicles`` and
  ``iter_connections`` draws a tqdm bar (``tqdm.auto``: a widget in
  Jupyter) when tqdm is installed, and nothing when it is not.
"""

from __future__ import annotations

import html
from typing import (Any, Dict, Iterable, List, Mapping, Optional,
                    TYPE_CHECKING, TypeVar)

from . import _shapes
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    from ._util import PageItems

__all__ = ["to_dict", "to_frame", "ResultList", "UNITS"]

T = TypeVar("T")

#: measured fields -> (metric unit, imperial unit), from results.def
UNITS = _shapes.UNITS


def _is_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def to_dict(result: Any) -> Any:
    """A result as plain data: named tuples become dicts (nested ones
    too), lists stay lists, datetimes stay datetimes, an exception
    becomes its attributes.  ``result.to_dict()`` is the same."""
    try:
        return _to_dict(result)
    except RecursionError:  # not a result: a value holding itself
        raise InvalidArgumentError(
            "the value nests too deeply to convert") from None


def _to_dict(result: Any) -> Any:
    if _is_tuple(result):
        return {name: _to_dict(getattr(result, name))
                for name in result._fields}
    if isinstance(result, BaseException):
        out = {"type": type(result).__name__, "error": str(result)}
        for name in ("status_code", "code", "request_id", "retry_after"):
            if getattr(result, name, None) is not None:
                out[name] = getattr(result, name)
        return out
    if isinstance(result, Mapping):
        return {k: _to_dict(v) for k, v in result.items()}
    if isinstance(result, list):
        return [_to_dict(v) for v in result]
    return result


def _flat(prefix: str, value: Any, units: str, row: Dict[str, Any]) -> None:
    """A tuple's or dict's fields into row: nested ones as prefix_name
    columns, meta's without a prefix, the unit appended to measured
    values."""
    if _is_tuple(value):
        value = value._asdict()
    for name, item in value.items():
        if name == "meta":
            if item is not None:
                _flat("", item, units, row)
        elif _is_tuple(item) or isinstance(item, Mapping):
            _flat("%s%s_" % (prefix, name), item, units, row)
        else:
            _cell("%s%s" % (prefix, name), item, units, row)


def _cell(name: str, value: Any, units: str, row: Dict[str, Any]) -> None:
    parts = name.split("_")
    unit = next((UNITS[key] for key in ("_".join(parts[i:])
                                        for i in range(len(parts)))
                 if key in UNITS), None)
    if unit is not None and isinstance(value, (int, float)) and \
            not isinstance(value, bool):
        name = "%s_%s" % (name, unit[1] if units == "imperial" else unit[0])
    row[name] = value


def _shown(result: Any) -> Dict[str, Any]:
    """A tuple's fields, credentials redacted (for display)."""
    fields: Dict[str, Any] = result._asdict()
    for name in _shapes.SECRET_FIELDS.get(type(result).__name__, ()):
        if fields.get(name):
            fields[name] = "[REDACTED]"
    return fields


def _row(result: Any) -> Dict[str, Any]:
    if isinstance(result, BaseException):
        return dict(to_dict(result))
    meta = getattr(result, "meta", None)
    units = getattr(meta, "unit_system", None) or "metric"
    row = {"type": type(result).__name__}
    if _is_tuple(result):
        _flat("", _shown(result), units, row)
    elif isinstance(result, Mapping):
        _flat("", result, units, row)
    else:
        row["value"] = result
    return row


def to_frame(results: Any) -> Any:
    """A flat :class:`pandas.DataFrame`: one row per result.

    ``results`` is one result, a list of them (``run_many``'s), or a dict
    ``{key: result}`` (the key becomes the ``key`` column: a vehicle id,
    a time...).  Columns: ``type`` (``Odometer``...), every field (nested
    ones as ``paging_count``...; ``meta``'s as ``data_age``,
    ``unit_system``...), with units in the names of measured values
    (``distance_km``, ``range_mi``, ``front_left_kpa``,
    ``percent_remaining_fraction``); times are pandas datetimes (UTC).
    A failed call (an exception in the list) gives ``type``, ``error`` and
    ``status_code``.
    """
    import pandas as pd  # optional: only this function needs it

    if isinstance(results, Mapping) and not _is_tuple(results):
        rows = [dict(key=key, **_row(value)) for key, value in
                results.items()]
    elif _is_tuple(results) or isinstance(results, BaseException) or \
            not isinstance(results, Iterable):
        rows = [_row(results)]
    else:
        rows = [_row(r) for r in results]
    return _frame_times(pd, pd.DataFrame(rows))


def _frame_times(pd: Any, frame: Any) -> Any:
    """The time columns of a frame as pandas datetimes (UTC)."""
    for column in frame.columns:
        if column in _shapes.TIME_FIELDS or str(column).endswith("_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True,
                                           errors="coerce")
    return frame


# ---------------------------------------------------------------------
# HTML


def _html(results: Iterable[Any]) -> str:
    """A table of results, one row each, with to_frame's columns."""
    rows = [_row(r) for r in results]
    columns: List[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    head = "".join("<th>%s</th>" % html.escape(c) for c in columns)
    body = "".join(
        "<tr>%s</tr>" % "".join(
            "<td>%s</td>" % html.escape("" if row.get(c) is None
                                        else str(row.get(c)))
            for c in columns)
        for row in rows)
    return "<table><tr>%s</tr>%s</table>" % (head, body)


class ResultList(List[Any]):
    """A list of results (``run_many`` returns one): a plain list, plus a
    table in Jupyter and :meth:`to_frame`."""

    def to_frame(self) -> Any:
        """:func:`to_frame` of the list."""
        return to_frame(self)

    def to_dict(self) -> List[Any]:
        """Each result as :func:`to_dict` gives it."""
        return [to_dict(r) for r in self]

    def _repr_html_(self) -> str:
        return _html(self)


# ---------------------------------------------------------------------
# progress


def progress_bar(enabled: bool, total: Optional[int], desc: str) -> Any:
    """A tqdm bar (tqdm.auto: a widget in Jupyter), or None when not
    enabled or tqdm is not installed."""
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc)


def with_progress(items: "PageItems[T]", enabled: bool, desc: str
                  ) -> "PageItems[T]":
    """items, advancing a progress bar (when enabled) as they come."""
    items.bar = progress_bar(enabled, None, desc)
    return items


def install(classes: Iterable[Any]) -> None:
    """Give each result class ``to_dict`` and ``_repr_html_``."""
    for cls in classes:
        cls.to_dict = to_dict
        cls._repr_html_ = lambda self: _html([self])
