"""Plans: calls ready to run.  ``planner(endpoint)`` makes the
``_plan_<name>`` of a vehicle call from the endpoint table's line
(``_core.endpoint_info``): each argument ``name[>parameter]:kind[?]`` is
checked by its kind and sent as its parameter (a paging argument as its
keys).  The calls that need more write their own (vehicle.py, v3.py)."""

from __future__ import annotations

import inspect
import json
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterator, Mapping, NamedTuple,
                    Optional, Tuple)

from . import _util
from ._core import endpoint_info
from .errors import InvalidArgumentError
from .store import core_store

Convert = Optional[Callable[[Dict[str, Any]], Any]]


class Plan(NamedTuple):
    """One call ready to run: endpoint, parameters, result converter, and
    the token store and key of a store-backed vehicle's call."""

    endpoint: str
    params: Dict[str, Any]
    convert: Convert
    store: Any = None
    key: Optional[str] = None

    def call(self) -> Tuple[Any, ...]:
        """The ``Client.call_many`` item of this plan."""
        if self.store is None:
            return (self.endpoint, self.params)
        params = dict(self.params)
        params.pop("access_token", None)
        return (self.endpoint, params, core_store(self.store), self.key)


class Planned:
    """What Vehicle and VehicleV3 share: their calls by name, planned."""

    _store: Any
    _key: Optional[str]

    if TYPE_CHECKING:
        @property
        def client(self) -> Any: ...

        def _plan(self, endpoint: str,
                  extra: Optional[Mapping[str, Any]] = None,
                  convert: Convert = None) -> Plan: ...

    def plan(self, method: str, kwargs: Optional[Mapping[str, Any]] = None
             ) -> Plan:
        """The call ``getattr(self, method)(**kwargs)`` would make, not yet
        run (used by :func:`run_many` and ``aio``).  Arguments are checked
        now.

        For a vehicle backed by a token store the plan carries the store
        and key: the run loads, refreshes and saves the token set as
        :meth:`Client.call_stored` does (also after a 401).
        """
        _util.require_str("method", method)
        builder = getattr(self, "_plan_" + method, None)
        if builder is None:
            raise InvalidArgumentError("%s has no method %r"
                                       % (type(self).__name__, method))
        plan: Plan = builder(**_util.require_mapping("kwargs", kwargs))
        if self._store is not None:
            plan = plan._replace(store=self._store, key=str(self._key))
        return plan

    def _pages(self, endpoint: str, page_size: int, field: str,
               convert: Callable[[Dict[str, Any]], Any]) -> Iterator[Any]:
        """The items (``field`` of each page converted) of every page of
        ``endpoint``, pages of ``page_size`` fetched as the iteration
        goes."""
        call = self.plan(endpoint).call()
        pages = self.client.pages(
            call[0], call[1], _util.int_param("page_size", page_size, 1),
            *call[2:])
        return _util.page_items(pages, convert, field)


#: each kind of argument: its check, giving the parameter's value (or
#: several parameters, as a dict)
_CHECKS: Dict[str, Callable[[str, Any], Any]] = {
    "string": _util.require_str, "number": _util.number_param,
    "integer": _util.int_param, "date": _util.date_param,
    "json": _util.json_object,
    "paging": lambda _name, value: _util.offset_paging(value),
    # the library checks each path (a JSON list keeps them apart)
    "paths": lambda name, value: json.dumps(
        _util.str_list(name, value, allow_empty=True)),
}
_KIND = inspect.Parameter.POSITIONAL_OR_KEYWORD


def planner(endpoint: str, constant: Optional[Dict[str, Any]] = None,
            convert: Convert = None) -> Callable[..., Plan]:
    """``_plan_<endpoint>(self, arguments...)``: ``self._plan(endpoint,
    {parameter: checked argument, **constant}, convert)``."""
    info = endpoint_info(endpoint)
    if info is None:
        raise LookupError("no endpoint %r" % endpoint)
    args = []  # (argument, parameter, check, whether it may be None)
    params = [inspect.Parameter("self", _KIND)]
    for word in info["args"].split():
        names, _, kind = word.partition(":")
        name, _, parameter = names.partition(">")
        optional = kind.endswith("?")
        args.append((name, parameter or name, _CHECKS[kind.rstrip("?")],
                     optional))
        params.append(inspect.Parameter(
            name, _KIND,
            default=None if optional else inspect.Parameter.empty))
    sig = inspect.Signature(params)

    def plain(self: Any) -> Plan:
        return self._plan(endpoint, constant, convert)  # type: ignore

    def checked(self: Any, *values: Any, **named: Any) -> Plan:
        if named or len(values) != len(args):
            bound = sig.bind(self, *values, **named)
            bound.apply_defaults()
            values = bound.args[1:]
        extra = dict(constant or {})
        for (name, parameter, check, optional), value in zip(args, values):
            if value is None and optional:
                continue  # the parameter is not sent
            value = check(name, value)
            if isinstance(value, dict):
                extra.update(value)
            else:
                extra[parameter] = value
        return self._plan(endpoint, extra, convert)  # type: ignore

    plan = checked if args else plain
    plan.__name__ = plan.__qualname__ = "_plan_" + endpoint
    plan.__signature__ = sig  # type: ignore[attr-defined]
    plan.__doc__ = "The plan of :meth:`%s` (not yet run)." % endpoint
    return plan
