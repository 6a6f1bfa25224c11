"""Plans: calls ready to run.  ``arguments(endpoint)`` reads a call's
arguments from the endpoint table's line (``_core.endpoint_info``); the
library checks each by its kind and gives the parameters it fills
(``_core.endpoint_args``); ``planner(endpoint)`` makes a vehicle call's
``_plan_<name>`` of them, _module_calls its functions' parameters."""

from __future__ import annotations

import inspect
from typing import (TYPE_CHECKING, Any, Callable, Collection, Dict,
                    Iterator, Mapping, NamedTuple, Optional, Sequence,
                    Tuple)

from . import _util
from ._core import endpoint_args, endpoint_info, tuple_new
from .errors import InvalidArgumentError
from .store import core_store
from .types import CONVERTERS

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
        """The ``Client.call_many`` item of this plan (a stored vehicle's
        access_token is None: the store's is sent)."""
        if self.store is None:
            return (self.endpoint, self.params)
        return (self.endpoint, self.params, core_store(self.store), self.key)


class Planned:
    """What Vehicle and VehicleV3 share: their calls by name, planned."""

    vehicle_id: str
    _store: Any
    _key: Optional[str]
    _client_override: Any
    _unit_system: str
    _call_options: Dict[str, Any]

    if TYPE_CHECKING:
        @property
        def client(self) -> Any: ...

        def _params(self) -> Dict[str, Any]:
            """The parameters of every call of this vehicle (a stored
            vehicle's access_token is None: the store's is sent)."""

    @property
    def unit_system(self) -> str:
        """``"metric"`` or ``"imperial"``."""
        return self._unit_system

    def _settings(self, vehicle_id: str, options: Any,
                  allowed: Collection[str]) -> Mapping[str, Any]:
        """Check and keep what both take; the options, checked."""
        self.vehicle_id = _util.require_str("vehicle_id", vehicle_id)
        opts = _util.require_mapping("options", options)
        _util.check_keys("option", opts, allowed)
        unit_system = opts.get("unit_system")
        self._unit_system = "metric" if unit_system is None else \
            _util.setting("unit_system", unit_system)
        self._client_override = _util.client_option(opts.get("client"))
        self._call_options = _util.call_options(opts)
        return opts

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
        return plan

    def _plan(self, endpoint: str, extra: Optional[Mapping[str, Any]] = None,
              convert: Convert = None) -> Plan:
        params = self._params()
        if self._call_options:
            params.update(self._call_options)
        if extra:
            params.update(extra)
        # positional tuple.__new__: the named tuple's own __new__ is a
        # Python-level call (a call's worth of instructions, issue 9)
        return tuple_new(Plan, (endpoint, params, convert or
                               CONVERTERS.get(endpoint), self._store,
                               self._key))

    def _run(self, plan: Plan) -> Any:
        data = _util.call(self.client, *plan.call())
        return plan.convert(data) if plan.convert else data

    def _pages(self, endpoint: str, page_size: int, field: str
               ) -> Iterator[Any]:
        """The items (``field`` of each page converted) of every page of
        ``endpoint``."""
        return _util.page_items(self.client, self.plan(endpoint).call(),
                                page_size, CONVERTERS[endpoint], field)


_KIND = inspect.Parameter.POSITIONAL_OR_KEYWORD


def arguments(endpoint: str, first: Sequence[str] = ()
              ) -> Tuple[inspect.Signature, Callable[..., Dict[str, Any]]]:
    """The signature of ``endpoint``'s arguments (after ``first``) as the
    endpoint table declares them, and the function of their values (in
    order) that gives the call's parameters, each checked by its kind
    (the library's rule, ``_core.endpoint_args``; a date or datetime
    is sent as its text)."""
    params = [inspect.Parameter(name, _KIND) for name in first]
    dates = []
    for i, word in enumerate(endpoint_info(endpoint)["args"].split()):
        name, _, kind = word.partition(":")
        params.append(inspect.Parameter(
            name.partition(">")[0], _KIND, default=None
            if kind.endswith("?") else inspect.Parameter.empty))
        if kind.startswith("date"):
            dates.append(i)

    def params_of(*values: Any) -> Dict[str, Any]:
        values = tuple(_util.date_text(v) if i in dates else v
                       for i, v in enumerate(values))
        return endpoint_args(endpoint, values, "python")
    return inspect.Signature(params), params_of


def planner(endpoint: str, constant: Optional[Dict[str, Any]] = None,
            convert: Convert = None) -> Callable[..., Plan]:
    """``_plan_<endpoint>(self, arguments...)``: ``self._plan(endpoint,
    {parameter: checked argument, **constant}, convert)``."""
    sig, params_of = arguments(endpoint, ("self",))
    count = len(sig.parameters) - 1

    def plan(self: Any, *values: Any, **named: Any) -> Plan:
        if named or len(values) != count:
            bound = sig.bind(self, *values, **named)
            bound.apply_defaults()
            values = bound.args[1:]
        extra = dict(params_of(*values) if count else {}, **(constant or {}))
        return self._plan(endpoint, extra, convert)  # type: ignore

    plan.__name__ = plan.__qualname__ = "_plan_" + endpoint
    plan.__signature__ = sig  # type: ignore[attr-defined]
    plan.__doc__ = "The plan of :meth:`%s` (not yet run)." % endpoint
    return plan
