"""The fault matrix: every fault of matrix.json x language (C, Python,
Lua) x call kind (read, command, token, paging, batch), each row checked
for its typed outcome, the bound on its elapsed time and how many times
the server saw the request.  Faults come from the emulator's fault
control or from the misbehaving test server (badserver.py).

    .venv/bin/python tests/faults/run.py [--only TEXT] [--lang c,python,lua]

Prints one line per row and ends with "N passed, N failed".
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import select
import ssl
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "python"))
sys.path.insert(0, str(HERE))

import conftest  # noqa: E402  (the Python suite's emulator helpers)
from badserver import BadServer  # noqa: E402

#: scheduling slack on top of each row's bound (a loaded CI machine)
SLACK_MS = 1000

CLIENT_DEFAULTS = {
    "client_id": conftest.CLIENT_ID,
    "client_secret": conftest.CLIENT_SECRET,
    "connect_timeout_ms": 2000,
    "timeout_ms": 3000,
    "max_attempts": 2,
    "retry_base_ms": 50,
    "retry_max_ms": 200,
    "retry_deadline_ms": 3000,
}

#: the call kinds: endpoint, how the emulator's log and fault control
#: name the request, and the answer the test server gives when it answers
KINDS: Dict[str, Dict[str, Any]] = {
    "read": {
        "endpoint": "odometer", "method": "GET",
        "path": "/v2.0/vehicles/*/odometer",
        "body": {"distance": 1.5},
    },
    "command": {
        "endpoint": "lock", "method": "POST",
        "path": "/v2.0/vehicles/*/security",
        "body": {"status": "success", "message": "done"},
    },
    "token": {
        "endpoint": "get_app_token", "method": "POST",
        "path": "/oauth2/token",
        "body": {"access_token": "app-token-0123456789",
                 "token_type": "Bearer", "expires_in": 3600},
    },
    "paging": {
        # every page, walked by the library's pager (one page: the
        # owner's fleet fits in it, and a short page is the last)
        "endpoint": "get_vehicles", "method": "GET",
        "path": "/v2.0/vehicles", "page_size": 50,
        "body": {"vehicles": ["veh-2"], "paging": {"count": 1, "offset": 0}},
    },
    "batch": {
        "endpoint": "batch", "method": "POST",
        "path": "/v2.0/vehicles/*/batch",
        "extra": {"paths": "/odometer"},
        "body": {"responses": [{"path": "/odometer", "code": 200,
                                "body": {"distance": 1.5}, "headers": {}}]},
    },
}


def path_matches(pattern: str, path: str) -> bool:
    want = pattern.strip("/").split("/")
    have = path.split("?")[0].strip("/").split("/")
    return len(want) == len(have) and all(
        w == "*" or w == h for w, h in zip(want, have))


class Driver:
    """One language's driver process, one row at a time."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.proc: Optional[subprocess.Popen] = None

    def command(self) -> List[str]:
        if self.lang == "c":
            return [str(REPO / "build" / "sc_fault_driver")]
        if self.lang == "python":
            return [sys.executable, str(HERE / "driver.py")]
        return ["lua5.4", str(HERE / "driver.lua")]

    def start(self) -> None:
        env = dict(os.environ)
        tree = REPO / "build" / "luarocks"
        env["LUA_PATH"] = "%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;;" \
            % (tree, tree)
        env["LUA_CPATH"] = "%s/lib/lua/5.4/?.so;;" % tree
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, text=True, bufsize=1)

    def run(self, row: Dict[str, Any], limit_s: float) -> Optional[dict]:
        """The driver's answer, or None when it gave none in limit_s (a
        hang: the driver is restarted)."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(row) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], limit_s)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            return None
        return json.loads(line)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class Matrix:
    def __init__(self) -> None:
        self.proc, base = conftest._start_emulator()
        self.emu = conftest.Emulator(base)
        self.base = base
        self.plain = BadServer()
        certs = pathlib.Path(tempfile.mkdtemp(prefix="sc-faults-"))
        subprocess.run(["sh", str(REPO / "tests" / "tls" / "make-cert.sh"),
                        str(certs)], check=True, stdout=subprocess.DEVNULL)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs / "server.crt", certs / "server.key")
        self.tls = BadServer(ctx)
        self.credentials()

    def credentials(self) -> None:
        """An access token and a vehicle of the emulator's owner."""
        import smartcar_native as smartcar

        # every SMARTCAR_* origin and the test application's credentials
        os.environ.update(self.emu.environment())
        auth = smartcar.AuthClient()
        code = conftest.authorize(self.emu, auth, [
            "required:read_odometer", "read_vehicle_info",
            "control_security"])
        access = auth.exchange_code(code)
        auth.close()
        self.token = access.access_token
        self.vehicle = smartcar.get_vehicles(self.token).vehicles[0]

    def close(self) -> None:
        self.plain.close()
        self.tls.close()
        self.proc.kill()
        self.proc.wait()

    def arrange(self, fault: Dict[str, Any], kind: Dict[str, Any]) -> str:
        """Set the fault up for one row; the base URL the row calls."""
        source = fault["source"]
        if source == "emulator":
            self.emu.request("DELETE", "/_emulator/faults")
            self.emu.request("DELETE", "/_emulator/requests")
            self.emu.request("POST", "/_emulator/faults", {
                "match": {"method": kind["method"], "path": kind["path"]},
                "count": fault.get("count", 1000),
                "fault": fault["fault"],
            })
            return self.base
        body = json.dumps(fault.get("body", kind["body"])).encode()
        if source == "tls_untrusted":
            self.tls.set("ok", body=body)
            return self.tls.url
        if source == "tls_garbage":
            self.plain.set("tls_garbage")
            return self.plain.url.replace("http:", "https:")
        self.plain.set(source, fault.get("status", 200),
                       fault.get("headers"), body, fault.get("delay_ms", 0))
        return self.plain.url

    def seen(self, fault: Dict[str, Any], kind: Dict[str, Any]) -> int:
        source = fault["source"]
        if source == "emulator":
            self.emu.request("DELETE", "/_emulator/faults")
            return sum(1 for r in self.emu.requests()
                       if r["method"] == kind["method"]
                       and path_matches(kind["path"], r["path"]))
        return (self.tls if source == "tls_untrusted" else self.plain).seen


def expectation(fault: Dict[str, Any], kind: str
                ) -> Optional[Dict[str, Any]]:
    """The row's expected outcome; None: the fault has no row for kind."""
    expect = fault["expect"]
    if kind in expect:
        return expect[kind]
    if kind != "command" and "resendable" in expect:
        return expect["resendable"]
    return expect.get("*")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="faults whose name has TEXT")
    ap.add_argument("--lang", default="c,python,lua")
    args = ap.parse_args()
    spec = json.loads((HERE / "matrix.json").read_text())
    matrix = Matrix()
    drivers = {lang: Driver(lang) for lang in args.lang.split(",")}
    passed = failed = 0
    started = time.monotonic()
    try:
        for name, fault in spec["faults"].items():
            if args.only not in name:
                continue
            for kind_name, kind in KINDS.items():
                want = expectation(fault, kind_name)
                if want is None:
                    continue
                for lang, driver in drivers.items():
                    base = matrix.arrange(fault, kind)
                    client = dict(CLIENT_DEFAULTS, api_origin=base,
                                  auth_origin=base, iam_origin=base)
                    client.update(fault.get("client", {}))
                    repeat = fault.get("repeat", 1)
                    bound = want.get("max_ms", repeat * (
                        client["max_attempts"] * client["timeout_ms"]
                        + client["retry_deadline_ms"]))
                    params = {"access_token": matrix.token,
                              "vehicle_id": matrix.vehicle}
                    params.update(kind.get("extra", {}))
                    row = {"client": client, "endpoint": kind["endpoint"],
                           "params": params, "repeat": repeat}
                    if "page_size" in kind:
                        row["page_size"] = kind["page_size"]
                    got = driver.run(row,
                                     (bound + SLACK_MS) / 1000 + 10)
                    seen = matrix.seen(fault, kind)
                    problems = []
                    if got is None:
                        problems.append("no answer (hang)")
                    else:
                        if got["kinds"] != want["kinds"]:
                            problems.append("outcome %s, want %s"
                                            % (got["kinds"], want["kinds"]))
                        if got["ms"] > bound + SLACK_MS:
                            problems.append("took %d ms, bound %d ms"
                                            % (got["ms"], bound))
                    if seen != want["seen"]:
                        problems.append("server saw it %d times, want %d"
                                        % (seen, want["seen"]))
                    label = "%s | %s | %s" % (name, lang, kind_name)
                    if problems:
                        failed += 1
                        print("FAIL %s: %s" % (label, "; ".join(problems)))
                    else:
                        passed += 1
                        print("ok   %s: %s seen %d, %d ms" % (
                            label, ",".join(got["kinds"]), seen, got["ms"]))
                    sys.stdout.flush()
    finally:
        for driver in drivers.values():
            driver.stop()
        matrix.close()
    print("fault matrix: %d rows in %.0f s" % (passed + failed,
                                               time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
