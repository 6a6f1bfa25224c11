"""The pytest plugin users load with ``pytest -p smartcar_native.testing``.

A small user test file runs in a child pytest (its own emulator, started
by the plugin from SMARTCAR_EMULATOR_BIN); it must pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO

USER_TESTS = '''
import smartcar_native as smartcar


def test_connect_and_read(smartcar_emulator):
    assert smartcar_emulator.url.startswith("http://127.0.0.1:")
    code = smartcar_emulator.approve(["read_odometer", "read_vehicle_info"])
    access = smartcar.AuthClient().exchange_code(code)
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    car = smartcar.Vehicle(vid, access.access_token)
    assert car.odometer().distance > 0


def test_clock_control(smartcar_emulator):
    smartcar_emulator.freeze()
    before = smartcar_emulator.clock()["now"]
    smartcar_emulator.advance(3600)
    assert abs(smartcar_emulator.clock()["now"] - before - 3600) < 5


def test_state_is_reset_between_tests(smartcar_emulator):
    assert smartcar_emulator.requests() == []


def test_faults(smartcar_emulator):
    code = smartcar_emulator.approve()
    access = smartcar.AuthClient().exchange_code(code)
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    smartcar_emulator.fault({"type": "rate_limit", "retry_after": 5},
                            "/v2.0/vehicles/*/odometer")
    try:
        smartcar.Vehicle(vid, access.access_token).odometer()
    except smartcar.RateLimitError as e:
        assert e.retry_after == "5"
    else:
        raise AssertionError("no rate limit")
'''


def test_plugin_in_a_users_suite(tmp_path):
    (tmp_path / "test_user_app.py").write_text(textwrap.dedent(USER_TESTS))
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("SMARTCAR_") and name != "SMARTCAR_EMULATOR_BIN":
            del env[name]
    env.setdefault("SMARTCAR_EMULATOR_BIN",
                   str(REPO / "build" / "smartcar-emulator"))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "smartcar_native.testing",
         "-p", "no:cacheprovider", str(tmp_path)],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout
    assert "4 passed" in proc.stdout


def test_missing_binary_is_explained(monkeypatch):
    from smartcar_native import testing

    monkeypatch.setenv("SMARTCAR_EMULATOR_BIN", "/nonexistent/emulator")
    with pytest.raises(RuntimeError, match="cmake --install"):
        testing.find_emulator()
