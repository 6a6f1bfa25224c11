"""The secrets probe (Python): a server that echoes each request back in
every form (as received, decoded, percent-encoded again, base64; in the
error body and a header) answers token, client-credentials and API calls
made with secrets full of the characters encoders treat specially.  The
probe decodes the debug lines, the exceptions (str, repr, every
attribute) and the results' reprs every way it can; no view may hold a
secret."""

from __future__ import annotations

import base64
import binascii
import json
import pathlib
import re
import sys
import urllib.parse
from typing import Iterable, List

import pytest

import smartcar_native as smartcar

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "faults"))
from badserver import BadServer  # noqa: E402

CLIENT_ID = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
SECRET = 's3cr+t/=&% "sec-probe'
CODE = "c0de+/=&%25 x~Y-probe"
REFRESH = "rt+/=&%:Z9?#tok-probe"
ACCESS = "at+/=tok-probe-0123"

_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}")


def _decodings(text: str) -> List[str]:
    """text decoded once, every way a secret may hide in it."""
    out = [urllib.parse.unquote(text), urllib.parse.unquote_plus(text),
           text.replace("\\/", "/").replace("\\u0022", '"')
           .replace('\\"', '"')]
    for run in _B64_RUN.findall(text):
        for offset in range(4):
            chunk = run[offset:]
            if len(chunk) % 4 == 1:
                chunk = chunk[:-1]
            chunk += "=" * (-len(chunk) % 4)
            try:
                out.append(base64.b64decode(
                    chunk.replace("-", "+").replace("_", "/"))
                    .decode("latin-1"))
            except (binascii.Error, ValueError):
                pass
    return out


def _views(text: str) -> List[str]:
    """The text and its decodings, two levels deep (a form-encoded body
    in base64, a secret percent-encoded twice)."""
    views, frontier = {text}, [text]
    for _ in range(2):
        frontier = [d for v in frontier for d in _decodings(v)
                    if d not in views]
        views.update(frontier)
    return list(views)


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> List[str]:
    found = []
    for text in texts:
        for view in _views(text):
            found += ["%r in %r" % (s, text[:200]) for s in secrets
                      if s in view]
    return found


def exception_texts(exc: BaseException) -> List[str]:
    texts = [str(exc), repr(exc), repr(exc.args)]
    texts += [repr(v) for v in vars(exc).values()]
    return texts


@pytest.fixture
def echo():
    server = BadServer()
    server.set("echo")
    yield server
    server.close()


@pytest.fixture
def auth(echo):
    client = smartcar.AuthClient(
        CLIENT_ID, SECRET, "http://localhost:8000/callback",
        auth_origin=echo.url, api_origin=echo.url, iam_origin=echo.url,
        max_attempts=1)
    lines: List[str] = []
    client.client.set_debug(lambda direction, line: lines.append(line))
    client.lines = lines
    yield client
    client.close()


def probe_call(auth, call, secrets):
    with pytest.raises(smartcar.SmartcarException) as info:
        call()
    texts = exception_texts(info.value) + auth.lines
    # the probe looks at what the server really echoed
    assert any("invalid_grant" in t for t in texts)
    assert "[REDACTED]" in " ".join(texts)
    assert leaks(texts, secrets) == []


def test_probe_code_exchange(auth):
    probe_call(auth, lambda: auth.exchange_code(CODE), [CODE, SECRET])


def test_probe_refresh(auth):
    probe_call(auth, lambda: auth.exchange_refresh_token(REFRESH),
               [REFRESH, SECRET])


def test_probe_client_credentials(auth):
    # the v3 client-credentials body carries the secret form-encoded
    probe_call(auth, lambda: smartcar.get_app_token({"client": auth}),
               [SECRET])


def test_probe_api_call(auth):
    car = smartcar.Vehicle("veh-1", ACCESS, options={"client": auth})
    probe_call(auth, car.odometer, [ACCESS, SECRET])


def test_probe_sees_what_it_must():
    # each form the echo server writes is caught on its own
    raw = "Authorization: Basic %s\nclient_secret=%s" % (
        base64.b64encode(("%s:%s" % (CLIENT_ID, SECRET)).encode()).decode(),
        urllib.parse.quote_plus(SECRET))
    for form in (raw, urllib.parse.quote(raw), urllib.parse.quote_plus(raw),
                 base64.b64encode(raw.encode()).decode(),
                 json.dumps(SECRET)):
        assert leaks([form], [SECRET]), form


def test_probe_result_reprs(echo, auth):
    echo.set("ok", body=json.dumps({
        "access_token": ACCESS, "token_type": "Bearer", "expires_in": 7200,
        "refresh_token": REFRESH}).encode())
    access = auth.exchange_code(CODE)
    assert access.access_token == ACCESS
    app = smartcar.get_app_token({"client": auth})
    redirect = smartcar.parse_redirect(
        "http://localhost:8000/callback?code=%s&state=st-1"
        % urllib.parse.quote(CODE), expected_state="st-1")
    assert redirect.code == CODE
    texts = [repr(access), str(access), repr(app), str(app),
             repr(redirect), str(redirect)] + auth.lines
    assert leaks(texts, [ACCESS, REFRESH, CODE, SECRET]) == []
