"""``smartcar.v3_response`` of the official SDK: the v3 ``Response``, and
:class:`Headers`, the case-insensitive mapping its ``headers`` is."""

from __future__ import annotations

from typing import (Any, Dict, Iterable, Iterator, Mapping, MutableMapping,
                    Optional, Tuple, TypedDict, Union)

__all__ = ["Response", "Headers"]


class Headers(MutableMapping[str, str]):
    """Every response header, looked up in any case
    (``headers["SC-Request-Id"] == headers["sc-request-id"]``) and listed
    with the names as the server sent them; a header sent more than once
    holds its values joined with ``", "``.  Equal to any mapping with the
    same names (in any case) and values."""

    __slots__ = ("_items",)

    def __init__(
        self,
        items: Union[Mapping[str, str], Iterable[Tuple[str, str]], None] = None,
    ) -> None:
        self._items: Dict[str, Tuple[str, str]] = {}
        if items is not None:
            self.update(items)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __setitem__(self, name: str, value: str) -> None:
        self._items[name.lower()] = (name, value)

    def __delitem__(self, name: str) -> None:
        del self._items[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def lower_items(self) -> Iterator[Tuple[str, str]]:
        """(lower-case name, value) pairs."""
        return ((k, v[1]) for k, v in self._items.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.lower_items()) == dict(Headers(other).lower_items())

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> "Headers":
        return Headers(self._items.values())

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class Response(TypedDict):
    """What ``get_vehicle``, ``Vehicle.get_signals`` and
    ``Vehicle.get_signal`` return: the JSON body as sent and every
    response header (:class:`Headers`)."""

    body: Any
    headers: Headers


def response_from(data: Mapping[str, Any]) -> Response:
    """``{body, headers, meta}`` from the C core (``raw_body``) ->
    ``{"body", "headers"}``."""
    headers: Optional[Mapping[str, str]] = data.get("headers")
    return {"body": data.get("body"), "headers": Headers(headers or {})}
