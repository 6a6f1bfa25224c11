"""The awaitable twins aio gives of the blocking API, made at import from
the originals (the generated _aio_twins.py names them): a twin has its
original's parameters, and its original runs on the event loop through
aio's driver (aio._run, aio._iterate).  Type checkers read each twin's
signature from its original's through the ParamSpec below.  A twin class
holds its blocking original as ``sync`` and reads its attributes from
it."""

from __future__ import annotations

import functools
import inspect
from typing import (TYPE_CHECKING, Any, AsyncIterator, Callable, Coroutine,
                    Generic, Iterator, TypeVar)

# aio imports _aio_twins (and so this module) once _run and _iterate exist
from .aio import _iterate, _run

if TYPE_CHECKING:
    from typing_extensions import Concatenate, ParamSpec
    _P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


def _like(twin: _F, fn: Callable[..., Any], doc: str) -> _F:
    """twin with fn's name and signature (an iterator becomes an async
    iterator), and doc."""
    functools.update_wrapper(twin, fn)  # __wrapped__: get_type_hints
    sig = inspect.signature(fn)
    ret = sig.return_annotation
    if isinstance(ret, str) and ret.startswith("Iterator["):
        # resolved by get_type_hints in fn's module, which may not have
        # AsyncIterator
        generic: Any = AsyncIterator
        twin.__annotations__ = dict(fn.__annotations__, **{
            "return": generic[ret[len("Iterator["):-1]]})
        ret = "Async" + ret
    twin.__signature__ = sig.replace(  # type: ignore[attr-defined]
        return_annotation=ret)
    twin.__doc__ = doc
    twin.__module__ = _run.__module__  # where users find it
    return twin


def awaitable(fn: Callable[_P, _R]) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """The awaitable twin of the module function fn."""
    async def twin(*args: Any, **kwargs: Any) -> Any:
        return await _run(fn, *args, **kwargs)
    return _like(twin, fn, "Awaitable :func:`smartcar_native.%s`."
                 % fn.__name__)


def async_iterable(fn: Callable[_P, Iterator[_T]], name: str = ""
                   ) -> Callable[_P, AsyncIterator[_T]]:
    """The ``async for`` twin of the paging module function fn (named name
    where aio's name is another)."""
    def twin(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return _iterate(fn(*args, **kwargs))
    twin = _like(twin, fn, "``async for`` over :func:`smartcar_native.%s%s`."
                 % ("v3." if name else "", fn.__name__))
    twin.__name__ = twin.__qualname__ = name or fn.__name__
    return twin


def awaitable_method(fn: Callable[Concatenate[Any, _P], _R]
                     ) -> Callable[Concatenate[Any, _P],
                                   Coroutine[Any, Any, _R]]:
    """The awaitable twin of the method fn of ``self.sync``."""
    name = fn.__name__

    async def twin(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return await _run(getattr(self.sync, name), *args, **kwargs)
    return _like(twin, fn, "Awaitable :meth:`%s`." % _owner(fn))


def async_iterable_method(fn: Callable[Concatenate[Any, _P], Iterator[_T]]
                          ) -> Callable[Concatenate[Any, _P],
                                        AsyncIterator[_T]]:
    """The ``async for`` twin of the paging method fn of ``self.sync``."""
    name = fn.__name__

    def twin(self: Any, /, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return _iterate(getattr(self.sync, name)(*args, **kwargs))
    return _like(twin, fn, "``async for`` over :meth:`%s`." % _owner(fn))


def _owner(fn: Callable[..., Any]) -> str:
    """Class.method of a method (the generated VehicleMethods' are
    Vehicle's)."""
    return fn.__qualname__.replace("Methods.", ".")


def same_method(fn: Callable[Concatenate[Any, _P], _R]
                ) -> Callable[Concatenate[Any, _P], _R]:
    """The method fn of ``self.sync``, called at once (it does no I/O)."""
    name = fn.__name__

    def twin(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.sync, name)(*args, **kwargs)
    return _like(twin, fn, ":meth:`%s` (no I/O)." % _owner(fn))


if TYPE_CHECKING:
    def arguments_of(original: Callable[Concatenate[Any, _P], Any]
                     ) -> Callable[[Callable[..., _R]],
                                   Callable[Concatenate[Any, _P], _R]]:
        ...
else:
    def arguments_of(original):
        """The decorated method takes ``original``'s arguments (its
        signature, for type checkers and ``inspect``) and passes them on."""
        def take(method):
            method.__signature__ = inspect.signature(original)
            return method
        return take


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
