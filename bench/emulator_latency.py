"""How long do N concurrent requests take against smartcar-emulator's
latency fault, next to the ideal (the fault's delay)?

Starts the emulator, adds a latency fault of DELAY ms for N requests on
/v2.0/vehicles, opens N connections at once from one asyncio thread, sends
one request on each and waits for every answer. Prints the elapsed time
and its ratio to the ideal, for each N. It measures; it does not assert.

    python3 bench/emulator_latency.py            (after cmake --build build)

Environment: SMARTCAR_EMULATOR_BIN (default build/smartcar-emulator),
BENCH_LATENCY_MS (default 200), BENCH_CONCURRENCY (default "16 1000").
"""
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SMARTCAR_EMULATOR_BIN",
                     os.path.join(ROOT, "build", "smartcar-emulator"))
DELAY = int(os.environ.get("BENCH_LATENCY_MS", "200"))
COUNTS = [int(x) for x in
          os.environ.get("BENCH_CONCURRENCY", "16 1000").split()]


async def one(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"GET /v2.0/vehicles HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\n\r\n")
    await w.drain()
    head = await r.readline()
    await r.read()
    w.close()
    return head.split(b" ")[1] if head else b""


async def burst(port, n):
    t0 = time.monotonic()
    codes = await asyncio.gather(*(one(port) for _ in range(n)))
    return time.monotonic() - t0, codes


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max(COUNTS) + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    emu = subprocess.Popen([BIN, "--port", "0"], stdout=subprocess.PIPE)
    try:
        base = emu.stdout.readline().decode().strip()
        port = int(base.rsplit(":", 1)[1])
        print("latency fault %d ms, %s" % (DELAY, base))
        for n in COUNTS:
            spec = {"match": {"path": "/v2.0/vehicles"},
                    "fault": {"type": "latency", "ms": DELAY}, "count": n}
            req = urllib.request.Request(
                base + "/_emulator/faults", data=json.dumps(spec).encode(),
                headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req).read()
            secs, codes = asyncio.run(burst(port, n))
            ok = sum(1 for c in codes if c == b"401")
            print("%5d concurrent: %7.0f ms (ideal %d ms), ratio %.2f, "
                  "%d/%d answered" % (n, secs * 1000, DELAY,
                                      secs * 1000 / DELAY, ok, n))
    finally:
        emu.terminate()
        emu.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
