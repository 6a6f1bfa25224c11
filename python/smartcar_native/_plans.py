"""The ``_plan_<name>`` of a vehicle call whose arguments need only a type
check, made from the endpoint table's line (``_core.endpoint_info``):
each argument ``name[>parameter]:type[?]`` is checked by type and sent
as its parameter.  The calls that need more keep a hand-written
``_plan_<name>`` (vehicle.py, v3.py)."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict

from . import _util
from ._core import endpoint_info

_CHECKS: Dict[str, Callable[[str, Any], Any]] = {
    "string": _util.require_str, "number": _util.number_param,
    "integer": _util.int_param, "date": _util.date_param,
    "json": _util.json_object,
}
_KIND = inspect.Parameter.POSITIONAL_OR_KEYWORD


def _optional(check: Callable[[str, Any], Any]
              ) -> Callable[[str, Any], Any]:
    return lambda name, value: None if value is None else check(name, value)


def planner(endpoint: str) -> Callable[..., Any]:
    """``_plan_<endpoint>(self, arguments...)``: ``self._plan(endpoint,
    {parameter: checked argument})``."""
    info = endpoint_info(endpoint)
    if info is None:
        raise LookupError("no endpoint %r" % endpoint)
    args = []  # (argument, parameter, check)
    params = [inspect.Parameter("self", _KIND)]
    for word in info["args"].split():
        names, _, kind = word.partition(":")
        name, _, parameter = names.partition(">")
        check = _CHECKS[kind.rstrip("?")]
        if kind.endswith("?"):  # None: the parameter is not sent
            check = _optional(check)
        args.append((name, parameter or name, check))
        params.append(inspect.Parameter(
            name, _KIND,
            default=None if kind.endswith("?") else inspect.Parameter.empty))
    sig = inspect.Signature(params)

    def plain(self: Any) -> Any:
        return self._plan(endpoint)

    def checked(self: Any, *values: Any, **named: Any) -> Any:
        if named or len(values) != len(args):
            bound = sig.bind(self, *values, **named)
            bound.apply_defaults()
            values = bound.args[1:]
        extra = {}
        for (name, parameter, check), value in zip(args, values):
            extra[parameter] = check(name, value)
        return self._plan(endpoint, extra)

    plan = checked if args else plain
    plan.__name__ = plan.__qualname__ = "_plan_" + endpoint
    plan.__signature__ = sig  # type: ignore[attr-defined]
    plan.__doc__ = "The plan of :meth:`%s` (not yet run)." % endpoint
    return plan
