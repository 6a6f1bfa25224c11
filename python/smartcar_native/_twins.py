"""What aio's twin classes (generated into _aio_twins.py) share: a twin
holds its blocking original as ``sync`` and reads its attributes from
it."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

_T = TypeVar("_T")


class Same(Generic[_T]):
    """A read-only attribute: the ``sync`` object's of the same name."""

    def __set_name__(self, owner: Any, name: str) -> None:
        self.name = name

    def __get__(self, twin: Any, owner: Any = None) -> _T:
        return getattr(twin.sync, self.name)  # type: ignore[no-any-return]


class Twin:
    sync: Any

    def __repr__(self) -> str:
        return "Async" + repr(self.sync)


class ClosingTwin(Twin):
    def close(self) -> None:
        """Close it (:meth:`sync`'s ``close``).  Idempotent."""
        self.sync.close()

    async def __aenter__(self: _T) -> _T:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()
