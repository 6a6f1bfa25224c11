"""examples/v3_quickstart.py runs the API v3 flow against its own
emulator: Connect's user id, the application token, the connections,
signals, and a lock read back."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO


def test_v3_quickstart_example():
    binary = os.environ.get("SMARTCAR_EMULATOR_BIN") or str(
        REPO / "build" / "smartcar-emulator")
    # only the example's own settings: no SMARTCAR_* from the test run
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SMARTCAR_")}
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "v3_quickstart.py"),
         binary], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert re.fullmatch(r"1\. Connect: user [0-9a-f-]{36}", lines[1])
    assert lines[2] == "2. application token: Bearer, 3600 s"
    assert lines[3] == "3. 3 connected vehicles"
    cars = [line for line in lines if line.startswith("4. ")]
    assert sorted(c.split(":")[0] for c in cars) == [
        "4. FORD F-150", "4. TESLA Model 3", "4. TOYOTA RAV4 Prime"]
    assert all(re.search(r"odometer \d+\.\d kilometers$", c) for c in cars)
    assert lines[-1] == "5. lock: SUCCESS; closure-islocked: True"
