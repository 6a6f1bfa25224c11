"""asyncio: awaitable versions of the calls, without blocking the loop.

::

    import asyncio
    from smartcar_native import aio

    async def main(token, ids):
        cars = [aio.AsyncVehicle(vid, token) for vid in ids]
        readings = await asyncio.gather(*(car.odometer() for car in cars))

How it works: a Vehicle call runs on the running event loop itself, on
one thread.  libsmartcar's non-blocking driver (``sc_async``, over
libcurl's multi-socket interface) names the sockets to watch and its
next timeout; this module watches them with ``loop.add_reader`` /
``add_writer`` and ``loop.call_later`` and hands back each result as it
comes.  One driver per event loop and client keeps its connections
open between calls, so ``await asyncio.gather(...)`` of 1,000 calls
needs neither threads nor 1,000 new connections.  Retries, rate limits
(waits are timers), token stores (refresh after a 401) and errors
behave exactly as in the synchronous API; the results are the same
named tuples.  Cancelling an awaiting task stops its call; a command
(``lock``, ``start_charge``...) already sent may still take effect.

Paging iterators (``async for``) walk their pages on the same driver:
the library decides which page is the last, as for the blocking
iterators.  The module functions, :class:`AsyncAuthClient`'s token calls
and :meth:`AsyncTokenStore.refresh` run on the driver too: the blocking
function is replayed, each call it makes answered from the loop, so its
checks and conversions are the blocking API's own.  No call of this
module starts a thread.

:func:`run_many` runs a list of calls (``max_in_flight`` at once) on the
loop as well.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import warnings
import weakref
from typing import (Any, AsyncIterator, Callable, Dict, Iterator, List,
                    Optional, Sequence, Tuple, TypeVar, Union)

from . import many
from .notebook import ResultList
from ._core import Async, WATCH_READ, WATCH_WRITE
from . import _util
from ._util import PageItems

__all__ = ["run_many", "set_executor", "get_executor"]

T = TypeVar("T")


# ---------------------------------------------------------------------
# Kept from the thread-pool era so programs that configured it still run.
_executor: Optional[concurrent.futures.Executor] = None


def set_executor(executor: Optional[concurrent.futures.Executor]) -> None:
    """Deprecated: calls run on the event loop, not on an executor.
    ``executor`` is kept (and returned by :func:`get_executor`) but no
    call uses it."""
    global _executor
    if executor is not None and not isinstance(
            executor, concurrent.futures.Executor):
        raise _util.wrong_type("executor",
                               "a concurrent.futures.Executor", executor)
    warnings.warn("smartcar_native.aio.set_executor: calls run on the "
                  "event loop; the executor is not used",
                  DeprecationWarning, stacklevel=2)
    _executor = executor


def get_executor() -> Optional[concurrent.futures.Executor]:
    """Deprecated: the executor :func:`set_executor` kept (None unless
    one was set); no call runs on it."""
    return _executor

#: requests one loop's driver puts on the wire at once (the others wait)
DEFAULT_MAX_IN_FLIGHT = 1024


class _Driver:
    """One event loop's calls through one client: the C driver's sockets
    and timer on the loop, each call's future settled from its result.
    The loop watches the driver's one descriptor (an epoll set on Linux)
    or, where it has none, each of its sockets."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: Any,
                 max_in_flight: int = 0) -> None:
        # weak: _drivers is keyed weakly by the loop, so nothing the
        # driver keeps between calls may hold the loop
        self._loop = weakref.ref(loop)
        self.client = client
        self.core = Async(client, max_in_flight or DEFAULT_MAX_IN_FLIGHT)
        #: call id -> its future, or a walk's queue of (page or error,
        #: whether more follow)
        self.waiting: Dict[int, Any] = {}
        self.timer: Optional[asyncio.Handle] = None
        self.soon = False  # the timer is a call_soon
        self.fd = self.core.fileno()
        if self.fd >= 0:
            loop.add_reader(self.fd, self._on_ready)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop()
        assert loop is not None  # only used from the running loop
        return loop

    async def run(self, item: Tuple[Any, ...],
                  convert: Optional[Callable[[Any], Any]] = None) -> Any:
        """The answer of a ``Client.call_many`` item, given to
        ``convert`` if there is one."""
        call_id, future = self._wait(self.core.start(item),
                                     self.loop.create_future())
        try:
            data = await future
        except asyncio.CancelledError:
            self.cancel(call_id)
            raise
        return convert(data) if convert else data

    def _wait(self, call_id: int, waiter: T) -> Tuple[int, T]:
        """Keep ``waiter``; the call starts on the loop's next turn."""
        self.waiting[call_id] = waiter
        if not self.soon:
            self._set_timer(0)
        return call_id, waiter

    def _set_timer(self, wait_ms: int) -> None:
        """The timer, due in ``wait_ms`` (0: a call_soon; < 0: none)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.soon = wait_ms == 0
        if wait_ms == 0:
            self.timer = self.loop.call_soon(self._on_timer)
        elif wait_ms > 0:
            self.timer = self.loop.call_later(wait_ms / 1000.0,
                                              self._on_timer)

    def start_pages(self, pages: Any
                    ) -> Tuple[int, "asyncio.Queue[Tuple[Any, bool]]"]:
        """Walk the pages of a ``Client.pages`` iterator on the loop."""
        return self._wait(self.core.start_pages(pages), asyncio.Queue())

    def cancel(self, call_id: int) -> None:
        if self.waiting.pop(call_id, None) is not None:
            self.core.cancel(call_id)
            self.update()

    def close(self) -> None:
        """Stop watching; cancel the calls not finished (run_many)."""
        loop = self.loop
        if self.fd >= 0:
            loop.remove_reader(self.fd)
        else:
            for fd, _ in self.core.fds():
                loop.remove_reader(fd)
                loop.remove_writer(fd)
        self._set_timer(-1)
        for waiter in self.waiting.values():
            if isinstance(waiter, asyncio.Future):
                waiter.cancel()
        self.waiting.clear()

    def _on_ready(self) -> None:
        self.core.poll()
        self.update()

    def _on_socket(self, fd: int, events: int) -> None:
        self.core.socket(fd, events)
        self.update()

    def _on_timer(self) -> None:
        self.timer = None
        self.soon = False
        self.core.timeout()
        self.update()

    def update(self) -> None:
        """Settle finished calls, then follow the sockets and timer."""
        waiting = self.waiting
        for call_id, value, more in self.core.take():
            waiter = waiting.get(call_id) if more else \
                waiting.pop(call_id, None)
            if isinstance(waiter, asyncio.Queue):
                waiter.put_nowait((value, more))
            elif waiter is not None and not waiter.done():
                if isinstance(value, BaseException):
                    waiter.set_exception(value)
                else:
                    waiter.set_result(value)
        if self.fd < 0:
            self._follow_sockets(self.loop)
        if not self.soon:  # (a call_soon is due anyway)
            # nothing awaits: idle connections need no timer
            self._set_timer(self.core.timeout_ms() if waiting else -1)

    def _follow_sockets(self, loop: asyncio.AbstractEventLoop) -> None:
        for fd, events in self.core.changes():
            for bit, add, remove in (
                    (WATCH_READ, loop.add_reader, loop.remove_reader),
                    (WATCH_WRITE, loop.add_writer, loop.remove_writer)):
                if events & bit:
                    add(fd, self._on_socket, fd, bit)
                    continue
                # libcurl may have closed a socket it stopped watching:
                # the selector then fails to update it, and forgets it
                try:
                    remove(fd)
                except OSError:
                    pass


#: each loop's drivers, by the id of their client
_drivers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[int, _Driver]]" = weakref.WeakKeyDictionary()


#: the driver found last and its loop, both weakly: most calls in a
#: burst go through the same one
_last: Tuple[Any, Any] = (lambda: None, lambda: None)


def _driver(client: Any) -> _Driver:
    global _last
    loop = asyncio.get_running_loop()
    last = _last
    if last[0]() is loop:
        driver = last[1]()
        if driver is not None and driver.client is client:
            return driver  # type: ignore[no-any-return]
    mine = _drivers.setdefault(loop, {})
    driver = mine.get(id(client))
    if driver is None or driver.client is not client:
        driver = mine[id(client)] = _Driver(loop, client)
    _last = (weakref.ref(loop), weakref.ref(driver))
    return driver


async def _planned(vehicle: Any, method: str,
                   arguments: Optional[Dict[str, Any]] = None) -> Any:
    """``vehicle.<method>(**arguments)`` (a Vehicle or VehicleV3 call) on
    the event loop: the vehicle's plan of the call, run by the driver."""
    plan = vehicle.plan(method, arguments)
    return await _driver(vehicle.client).run(plan.call(), plan.convert)


async def _replayed(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, a blocking function, on the event loop:
    each pass runs it with the answers of the calls made so far
    (``_util.call`` hands them out in order); the call it needs next stops
    the pass (``NeedCall``) and runs on the loop's driver, then the next
    pass goes one call further.  The function's own checks and
    conversions run as in the blocking API."""
    answers: List[Any] = []
    while True:
        token = _util.REPLAY.set([0] + answers)
        try:
            return fn(*args, **kwargs)
        except _util.NeedCall as need:
            client, item = need.client, need.item
        finally:
            _util.REPLAY.reset(token)
        try:
            answers.append(await _driver(client).run(item))
        except Exception as exc:  # the function decides what it means
            answers.append(exc)


async def _iterate(items: Iterator[T]) -> AsyncIterator[T]:
    """``async for`` over a blocking paging iterator (``PageItems``): its
    walk of pages runs on the loop's driver, with the same stop rules
    (the library's), and each page's items are handed out as it comes.
    Leaving the loop early stops the walk."""
    if not isinstance(items, PageItems):
        raise TypeError("not a paging iterator: %s" % type(items).__name__)
    driver = _driver(items.pages.client)
    call_id, walk = driver.start_pages(items.pages)
    more = True
    try:
        while more:
            value, more = await walk.get()
            if isinstance(value, BaseException):
                raise value
            for item in items.items_of(value):
                items.advance()
                yield item
    finally:
        items.done()
        if more:
            driver.cancel(call_id)


# ---------------------------------------------------------------------
# The module functions and the classes AsyncAuthClient, AsyncTokenStore,
# AsyncVehicle and AsyncVehicleV3: generated twins (_aio_twins.py),
# imported here because they use _run and _iterate above
from . import _aio_twins  # noqa: E402
from ._aio_twins import *  # noqa: E402,F401,F403

__all__ += _aio_twins.__all__


async def run_many(
    calls: Sequence[Any],
    max_in_flight: int = 8,
    progress: Union[bool, Callable[[int, int, int], Any], None] = None,
    client: Any = None,
) -> List[Any]:
    """Awaitable :func:`smartcar_native.run_many`, on the event loop.

    Calls may name :class:`AsyncVehicle` or :class:`Vehicle` objects.
    Each client's calls go through a driver of their own that puts at
    most ``max_in_flight`` requests on the wire at once; store-backed
    vehicles refresh (also after a 401) as their awaited calls do.
    ``progress(index, done, total)`` is called on the loop as each call
    finishes; if it raises, it is not called again and the exception is
    raised once every call finished.  ``progress=True`` draws a tqdm bar.
    """
    plans, callback, bar = many.prepare(calls, max_in_flight, progress,
                                        client)
    loop = asyncio.get_running_loop()
    drivers: Dict[int, _Driver] = {}
    results = ResultList([None] * len(plans))
    failed: List[BaseException] = []
    done = 0

    async def one(index: int, driver: _Driver, plan: Any) -> None:
        nonlocal done
        try:
            value = await driver.run(plan.call(), plan.convert)
        except Exception as exc:  # a failed call fills its slot
            value = exc
        results[index] = value
        done += 1
        if callback is not None and not failed:
            try:
                callback(index, done, len(plans))
            except Exception as exc:
                failed.append(exc)

    try:
        for owner, _ in plans:  # a driver per client
            if id(owner) not in drivers:
                drivers[id(owner)] = _Driver(loop, owner, max_in_flight)
        await asyncio.gather(*(one(index, drivers[id(owner)], plan)
                               for index, (owner, plan) in enumerate(plans)))
    finally:
        for driver in drivers.values():
            driver.close()
        if bar is not None:
            bar.close()
    if failed:
        raise failed[0]
    return results
