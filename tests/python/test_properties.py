"""Property tests: every public callable of smartcar_native (module
functions, constructors and the methods of Vehicle, VehicleV3, AuthClient,
TokenStore, Client and Op) called with arbitrary values (huge ints, NaN,
lone surrogates, NULs, bytes, deep and cyclic containers...) raises
nothing but the library's typed errors -- and TypeError for a value of the
wrong type, the Python convention the library follows; ImportError when
an optional dependency is missing -- and never crashes.  Calls that pass validation reach a local server that answers
400 at once, so nothing leaves the machine.

Fixed seed and a bounded number of examples in CI; more on demand:
SMARTCAR_PROPERTY_EXAMPLES (default 12 per callable) and
SMARTCAR_PROPERTY_SEED.
"""

from __future__ import annotations

import inspect
import itertools
import json
import os
import pathlib
import sys
from typing import Any, Callable, Dict, List

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import smartcar_native as smartcar
from smartcar_native import _core

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "faults"))
from badserver import BadServer  # noqa: E402

EXAMPLES = int(os.environ.get("SMARTCAR_PROPERTY_EXAMPLES", "12"))
SEED = int(os.environ.get("SMARTCAR_PROPERTY_SEED", "20261204"))
# ImportError: to_frame() needs pandas, an optional dependency
ALLOWED = (smartcar.SmartcarException, TypeError, ImportError)


def _deep(levels: int) -> Dict[str, Any]:
    top = cur = {}
    for _ in range(levels):
        cur["a"] = {}
        cur = cur["a"]
    return top


def _cyclic() -> List[Any]:
    out: List[Any] = []
    out.append(out)
    return out


SPECIAL = st.sampled_from([
    "", "\x00", "veh\x00", "\ud800", "x" * 5000, "veh-1", "tok-123456",
    "2.0", "GET", "POST", "/odometer", "read_odometer", "a b", "+/=&%",
    "http://localhost:8000/callback?code=c&state=s", "https://x/y",
    2**63, -2**63 - 1, 10**30, 2**64, float("nan"), float("inf"), -0.0,
    {"limit": 2**64}, [["odometer", {}]],
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(),
    st.binary(max_size=16), SPECIAL,
    # built per example (hypothesis prints its strategies)
    st.builds(_deep, st.just(5000)), st.builds(_cyclic))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=12),
                                  st.sampled_from(["limit", "offset",
                                                   "flags", "client",
                                                   "timeout_ms"])),
                        inner, max_size=3),
        st.tuples(inner, inner)),
    max_leaves=6)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    srv = BadServer()
    srv.set("status", 400, body=json.dumps({
        "type": "VALIDATION", "code": "PARAMETER", "statusCode": 400,
        "description": "no"}).encode())
    saved = dict(os.environ)
    for name in ("SMARTCAR_CONNECT_ORIGIN", "SMARTCAR_AUTH_ORIGIN",
                 "SMARTCAR_API_ORIGIN", "SMARTCAR_MANAGEMENT_API_ORIGIN",
                 "SMARTCAR_API_V3_ORIGIN", "SMARTCAR_IAM_ORIGIN"):
        os.environ[name] = srv.url
    os.environ["SMARTCAR_CLIENT_ID"] = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
    os.environ["SMARTCAR_CLIENT_SECRET"] = "emulator-client-secret"
    os.environ["SMARTCAR_REDIRECT_URI"] = "http://localhost:8000/callback"
    cwd = os.getcwd()
    # stores made by paths
    os.chdir(tmp_path_factory.mktemp("sc-props"))
    yield srv
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(saved)
    smartcar.configure()
    srv.close()


def _keywords(fn: Callable[..., Any]) -> List[str]:
    """fn's keyword parameters, plus option names many calls take."""
    names = ["options", "paging", "flags", "client", "timeout_ms",
             "max_attempts", "scope", "state", "key"]
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return names
    return names + [p.name for p in params
                    if p.kind in (inspect.Parameter.KEYWORD_ONLY,
                                  inspect.Parameter.POSITIONAL_OR_KEYWORD)]


def _positional(fn: Callable[..., Any]) -> int:
    """How many positional arguments fn takes at most (3 when unknown)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 3
    kinds = (inspect.Parameter.POSITIONAL_ONLY,
             inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return min(4, sum(1 for p in params if p.kind in kinds))


def _instance(cls: str, server) -> Any:
    """A working instance of cls whose methods get the arbitrary values."""
    if cls == "Vehicle":
        return smartcar.Vehicle("veh-1", "tok-123456")
    if cls == "VehicleV3":
        return smartcar.VehicleV3("veh-1", user_id="user-1")
    if cls == "AuthClient":
        return smartcar.AuthClient(max_attempts=1)
    if cls == "TokenStore":
        return smartcar.TokenStore(":memory:")
    client = _core.Client(max_attempts=1, api_origin=server.url,
                          auth_origin=server.url)
    if cls == "Client":
        return client
    return _core.Op(client, "odometer", {"vehicle_id": "v",
                                         "access_token": "tok-123456"})


FUNCTIONS = sorted(
    name for name in smartcar.__all__
    if inspect.isfunction(getattr(smartcar, name)))
CONSTRUCTORS = ["AuthClient", "Vehicle", "VehicleV3", "TokenStore",
                "Client", "Op"]
METHODS = sorted(
    "%s.%s" % (cls, name) for cls in CONSTRUCTORS
    for name in dir(getattr(smartcar, cls))
    if not name.startswith("_")
    and callable(getattr(getattr(smartcar, cls), name))
    # closing is not a value check; it would end the shared instance
    and name not in ("close", "aclose"))


def _target(name: str, server) -> Callable[..., Any]:
    if "." in name:
        cls, method = name.split(".")
        return getattr(_instance(cls, server), method)
    return getattr(smartcar, name)


def _exercise(fn: Callable[..., Any], args: List[Any],
              kwargs: Dict[str, Any]) -> None:
    try:
        out = fn(*args, **kwargs)
        if inspect.isgenerator(out) or hasattr(out, "__next__"):
            list(itertools.islice(out, 3))
    except ALLOWED:
        pass


@pytest.mark.parametrize("name", FUNCTIONS + CONSTRUCTORS + METHODS)
def test_arbitrary_values_raise_only_typed_errors(server, name):
    fn = _target(name, server)
    keywords = _keywords(fn)

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data):
        n = data.draw(st.integers(0, _positional(fn)), label="nargs")
        args = [data.draw(VALUES, label="arg") for _ in range(n)]
        kwargs = data.draw(st.dictionaries(
            st.sampled_from(keywords), VALUES, max_size=2), label="kwargs")
        _exercise(fn, args, kwargs)

    check()
