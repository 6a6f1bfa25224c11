"""run_many: many calls at once over libcurl's multi interface."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _util
from ._shared_clients import default_client
from ._core import Client
from .notebook import ResultList, progress_bar
from ._plans import Plan
from .vehicle import Vehicle

__all__ = ["run_many"]

Progress = Callable[[int, int, int], Any]


def _plan_of(index: int, call: Any, client: Optional[Client]
             ) -> Tuple[Client, Plan]:
    if isinstance(call, Sequence) and not isinstance(call, (str, bytes)):
        vehicle = getattr(call[0], "sync", call[0]) if call else None
        if isinstance(vehicle, Vehicle) and len(call) in (2, 3):
            # (or an aio.AsyncVehicle's)
            kwargs = call[2] if len(call) == 3 else None
            return vehicle.client, vehicle.plan(call[1], kwargs)
        if len(call) == 2 and isinstance(call[0], str):
            params = _util.require_mapping("params", call[1])
            return (client or default_client(),
                    Plan(call[0], dict(params), None))
    raise TypeError(
        "calls[%d] must be a (Vehicle, method[, kwargs]) or (endpoint, "
        "params) tuple, not %s" % (index, type(call).__name__))


def run_many(
    calls: Sequence[Any],
    max_in_flight: int = 8,
    progress: Union[bool, Progress, None] = None,
    client: Optional[Client] = None,
) -> ResultList:
    """Run many calls concurrently; return their results in input order.

    Each call is either ``(vehicle, "method_name", {kwargs})`` (a
    :class:`Vehicle` method by name, kwargs optional: the result is what
    the method returns) or ``("endpoint", {params})`` (as
    ``Client.call``: the result is the data dict).  At most
    ``max_in_flight`` requests are on the wire at once; retries and rate
    limits apply to each call.

    A call that fails gives its :class:`SmartcarException` *instance* in
    its slot; nothing is raised for it.  Argument errors (an unknown
    method, a bad kwarg) are raised before anything is sent.

    ``progress=True`` draws a tqdm progress bar (``tqdm.auto``) when tqdm
    is installed.  The list returned is a :class:`ResultList`: a plain
    list that Jupyter shows as a table, with ``to_frame()``.

    ``progress(index, done, total)`` is called, with the GIL held, as each
    call finishes; if it raises, it is not called again, the calls under
    way finish and the exception is raised then.  ``client`` runs the ``(endpoint, params)``
    calls (default: the shared client); vehicle calls use the vehicle's
    client.  Calls for different clients run one client after another.
    """
    plans, callback, bar = prepare(calls, max_in_flight, progress, client)
    try:
        return _run_many(plans, max_in_flight, callback)
    finally:
        if bar is not None:
            bar.close()


def prepare(calls: Sequence[Any], max_in_flight: int,
            progress: Union[bool, Progress, None], client: Optional[Client]
            ) -> Tuple[List[Tuple[Client, Plan]], Optional[Progress], Any]:
    """run_many's arguments checked before anything is sent: each call's
    client and plan, the progress callback (or None) and the tqdm bar it
    draws (or None; close it when done)."""
    _util.int_param("max_in_flight", max_in_flight, 1)
    if not isinstance(progress, bool) and progress is not None and \
            not callable(progress):
        raise TypeError("progress must be True, a callable or None")
    if isinstance(calls, (str, bytes)) or not isinstance(calls, Sequence):
        calls = list(calls)
    client = _util.client_option(client)
    plans = [_plan_of(index, call, client) for index, call in enumerate(calls)]
    bar = progress_bar(progress is True, len(plans), "run_many")
    if bar is not None:
        return plans, (lambda _index, _done, _total: bar.update(1)), bar
    return plans, (None if isinstance(progress, bool) else progress), None


def _run_many(plans: List[Tuple[Client, Plan]], max_in_flight: int,
              progress: Optional[Progress]) -> ResultList:
    groups: Dict[int, Tuple[Client, List[int]]] = {}
    for index, (owner, _) in enumerate(plans):
        groups.setdefault(id(owner), (owner, []))[1].append(index)
    total = len(plans)
    results = ResultList([None] * total)
    done = 0
    for owner, indices in groups.values():
        callback = None
        if progress is not None:
            def callback(local: int, _done: int, _total: int,
                         indices: List[int] = indices) -> None:
                nonlocal done
                done += 1
                progress(indices[local], done, total)
        answers = owner.call_many([plans[i][1].call() for i in indices],
                                  max_in_flight, callback)
        for i, answer in zip(indices, answers):
            convert = plans[i][1].convert
            if convert is not None and not isinstance(answer, BaseException):
                answer = convert(answer)
            results[i] = answer
    return results
