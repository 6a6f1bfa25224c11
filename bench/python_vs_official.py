#!/usr/bin/env python3
"""smartcar_native against the official `smartcar` Python SDK, same run.

Both drive the same emulator on loopback: N sequential odometer reads, then
the same reads from 8 threads.  The official SDK is the baseline; the
report is the ratio of wall-clock times (baseline / ours: above 1 means
smartcar_native is faster).  Nothing here asserts: it measures.

Run with `bash bench/run.sh` (installs the official SDK into .venv).
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(os.environ.get("BENCH_N", "300"))
THREADS = 8

CLIENT_ID = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
CLIENT_SECRET = "emulator-client-secret"
REDIRECT = "http://localhost:8000/callback"


def control(base, path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def timed(fn, n, threads=1):
    per = n // threads

    def loop():
        for _ in range(per):
            fn()

    start = time.perf_counter()
    if threads == 1:
        loop()
    else:
        ts = [threading.Thread(target=loop) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return time.perf_counter() - start


def main():
    binary = os.environ.get("SMARTCAR_EMULATOR_BIN",
                            os.path.join(ROOT, "build", "smartcar-emulator"))
    emu = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE,
                           text=True)
    base = emu.stdout.readline().strip()
    try:
        for var in ("SMARTCAR_CONNECT_ORIGIN", "SMARTCAR_API_ORIGIN",
                    "SMARTCAR_MANAGEMENT_API_ORIGIN"):
            os.environ[var] = base
        # the official Python SDK reads the full token URL, at import time
        os.environ["SMARTCAR_AUTH_ORIGIN"] = base + "/oauth/token"
        import smartcar  # the official SDK (baseline)
        import smartcar_native as native

        auth = native.AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT,
                                 mode="test")
        url, state = auth.get_auth_url_with_state(["read_odometer"])
        loc = control(base, "/_emulator/connect",
                      {"authorize_url": url, "action": "approve",
                       "email": "bench@example.com"})["location"]
        token = auth.exchange_code(
            native.parse_redirect(loc, state).code).access_token
        vid = native.get_vehicles(token).vehicles[0]

        ours = native.Vehicle(vid, token)
        theirs = smartcar.Vehicle(vid, token)
        assert abs(ours.odometer().distance - theirs.odometer().distance) < 1

        rows = []
        for label, threads in (("sequential", 1), ("8 threads", THREADS)):
            t_theirs = timed(theirs.odometer, N, threads)
            t_ours = timed(ours.odometer, N, threads)
            rows.append((label, t_theirs, t_ours))
        print(f"odometer reads against smartcar-emulator, N={N}")
        print(f"{'scenario':<12} {'official s':>11} {'native s':>10} "
              f"{'ratio':>7}")
        for label, a, b in rows:
            print(f"{label:<12} {a:>11.3f} {b:>10.3f} {a / b:>6.2f}x")
    finally:
        emu.terminate()
        emu.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
