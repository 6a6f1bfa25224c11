"""The shared declarative cases (tests/cases/*.json), run through _core.Op.

The same files drive tests/c/test_cases.c; this runner follows it.  A case
names an endpoint and its params, the exact first request expected, the
canned reply (or "replies" for cases that retry), and the expected
"result" data or "error" object.  No sockets.  Expected values are
subsets of the actual ones, with the wildcards "<any>", "<number>",
"<string>" and "<absent>" (key must not be there).

Here the error side is checked on the Python exception (its attributes),
so the cases also cover smartcar_native.errors.  Zero files means zero
tests.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List, Optional

import pytest

import smartcar_native as smartcar
from smartcar_native import _core

CASES_DIR = pathlib.Path(__file__).resolve().parents[1] / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.json")) if CASES_DIR.is_dir() else []

_MISSING = object()

# The official SDK's exception class for each v2 API error type.
API_CLASSES = {
    "AUTHENTICATION": "AuthenticationError",
    "PERMISSION": "PermissionDeniedError",
    "VALIDATION": "ValidationError",
    "RESOURCE_NOT_FOUND": "ResourceNotFoundError",
    "RATE_LIMIT": "RateLimitError",
    "VEHICLE_STATE": "VehicleStateError",
    "COMPATIBILITY": "CompatibilityError",
    "UPSTREAM": "UpstreamError",
    "SERVER": "ServerError",
    "BILLING": "BillingError",
    "CONNECTED_SERVICES_ACCOUNT": "ConnectedServicesAccountError",
}

# The client every case starts from, as the other runners read it.
DEFAULT_CLIENT = json.loads(
    (CASES_DIR / "defaults" / "client.json").read_text())
CLIENT_STRING_OPTIONS = ("api_version", "unit_system", "flags", "mode")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _subset(exp: Any, act: Any, where: str, problems: List[str],
            loose_none: bool = False) -> None:
    """Collect every way ``act`` fails to contain ``exp``.

    With ``loose_none`` (exception attributes) None and absent are the
    same thing, as Python attributes cannot be absent.
    """
    if loose_none and act is None and exp == "<absent>":
        return
    if loose_none and exp is None and act is _MISSING:
        return
    if isinstance(exp, str):
        if exp == "<any>":
            ok = act is not _MISSING
        elif exp == "<number>":
            ok = _is_number(act)
        elif exp == "<string>":
            ok = isinstance(act, str)
        else:
            ok = act == exp and isinstance(act, str)
        if not ok:
            problems.append("%s: want %r, got %r" % (where, exp, act))
    elif _is_number(exp):
        if not (_is_number(act) and abs(exp - act) < 1e-9):
            problems.append("%s: want %r, got %r" % (where, exp, act))
    elif isinstance(exp, dict):
        if not isinstance(act, dict):
            problems.append("%s: want an object, got %r" % (where, act))
            return
        for key, value in exp.items():
            got = act.get(key, _MISSING)
            if value == "<absent>":
                if got is not _MISSING and not (loose_none and got is None):
                    problems.append("%s.%s must be absent" % (where, key))
                continue
            _subset(value, got, "%s.%s" % (where, key), problems,
                    loose_none)
    elif isinstance(exp, list):
        if not isinstance(act, list) or len(act) != len(exp):
            problems.append("%s: want %r, got %r" % (where, exp, act))
            return
        for i, (e, a) in enumerate(zip(exp, act)):
            _subset(e, a, "%s[%d]" % (where, i), problems, loose_none)
    else:  # true, false, null
        if act is _MISSING or act is not exp:
            problems.append("%s: want %r, got %r" % (where, exp, act))


def _error_view(exc: BaseException, want: Dict[str, Any]) -> Dict[str, Any]:
    """The exception's attributes named by the expected error object.

    Attributes that are None are left out; the comparison treats None
    and absent alike.
    """
    view = {}
    for key in want:
        # the cases' retry_after is a number: our retry_after_seconds
        # (retry_after is the header text, the official SDK's type)
        attr = "retry_after_seconds" if key == "retry_after" else key
        value = getattr(exc, attr, None)
        if value is not None:
            view[key] = value
    return view


def _client(opts: Optional[Dict[str, Any]]) -> Any:
    kwargs: Dict[str, Any] = dict(DEFAULT_CLIENT)
    opts = opts or {}
    for key in CLIENT_STRING_OPTIONS:
        if isinstance(opts.get(key), str):
            kwargs[key] = opts[key]
    attempts = opts.get("max_attempts")
    if _is_number(attempts):
        kwargs["max_attempts"] = int(attempts)
    return _core.Client(**kwargs)


def _params(obj: Optional[Dict[str, Any]]) -> Dict[str, str]:
    # As the C runner: strings as is, numbers as "%.17g", the rest skipped.
    out = {}
    for key, value in (obj or {}).items():
        if isinstance(value, str):
            out[key] = value
        elif _is_number(value):
            out[key] = format(value, ".17g")
    return out


def _check_request(want: Dict[str, Any], req: Dict[str, Any],
                   problems: List[str]) -> None:
    if "method" in want and req["method"] != want["method"]:
        problems.append("request method %s" % req["method"])
    if "url" in want and req["url"] != want["url"]:
        problems.append("request url %s" % req["url"])
    headers: Dict[str, str] = {}
    for name, value in req["headers"]:
        headers.setdefault(name.lower(), value)
    for name, value in (want.get("headers") or {}).items():
        got = headers.get(name.lower())
        if value is None:
            if got is not None:
                problems.append("header %s must be absent" % name)
        elif got != value:
            problems.append("header %s = %r" % (name, got))
    body = req["body"].decode("utf-8", "replace")
    if "body" in want:
        expected = want["body"]
        if expected is None:
            if body:
                problems.append("unexpected body %r" % body)
        elif isinstance(expected, str):
            if body != expected:
                problems.append("body %r" % body)
        else:
            try:
                got_json = json.loads(body)
            except ValueError:
                got_json = _MISSING
            if got_json != expected:
                problems.append("body %r" % body)


def _feed(op: Any, reply: Dict[str, Any]) -> None:
    headers = dict(reply.get("headers") or {})
    body = reply.get("body")
    if body is not None and not isinstance(body, str):
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        body = json.dumps(body, separators=(",", ":"))
    status = reply.get("status")
    op.feed(int(status) if _is_number(status) else 200,
            list(headers.items()), body)


def run_case(case: Dict[str, Any]) -> None:
    want_err = case.get("error")
    want_res = case.get("result")
    replies = case.get("replies")
    problems: List[str] = []
    client = _client(case.get("client"))
    try:
        try:
            op = _core.Op(client, case.get("endpoint"),
                          _params(case.get("params")))
        except smartcar.SmartcarException as exc:
            # an argument error is itself the expected outcome
            assert want_err is not None, "Op(): %r" % exc
            _subset(want_err, _error_view(exc, want_err), "error", problems,
                    loose_none=True)
            assert not problems, problems
            return

        count = len(replies) if isinstance(replies, list) else 1
        for i in range(count):
            step, value = op.next()
            while step == _core.STEP_WAIT:  # canned replies: no real wait
                step, value = op.next()
            assert step == _core.STEP_SEND, "done after %d replies" % i
            # "requests": every request, one per reply; else the first
            if isinstance(case.get("requests"), list):
                _check_request(case["requests"][i], value, problems)
            elif i == 0:
                _check_request(case.get("request") or {}, value, problems)
            _feed(op, replies[i] if isinstance(replies, list)
                  else case.get("reply") or {})
        step, _ = op.next()
        assert step == _core.STEP_DONE, "not done after the replies"

        if want_err is not None:
            with pytest.raises(smartcar.SmartcarException) as info:
                op.result()
            exc = info.value
            _subset(want_err, _error_view(exc, want_err), "error", problems,
                    loose_none=True)
            # the class follows the kind (and the API error type), checked
            # against the names written here, not against
            # errors.exception_class, which chose the class
            assert type(exc).default_kind == exc.kind
            if exc.kind == "api" and exc.type in API_CLASSES:
                assert type(exc).__name__ == API_CLASSES[exc.type]
        else:
            data = op.result()
            _subset(want_res if want_res is not None else {}, data,
                    "result", problems)
        assert not problems, problems
    finally:
        client.close()


# Defined only when there are cases: zero files is zero tests (an empty
# parametrize would report a skip instead).
if CASE_FILES:

    @pytest.mark.parametrize(
        "path", CASE_FILES, ids=[p.stem for p in CASE_FILES]
    )
    def test_shared_case(path: pathlib.Path) -> None:
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        run_case(case)
