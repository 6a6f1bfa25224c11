"""How long does ``await asyncio.gather(...)`` of N vehicle calls take on
one thread against smartcar-emulator's latency fault, next to the ideal
(the fault's delay: every call on the wire at once)?

Starts the emulator, logs an owner in, then for each round adds a
latency fault of DELAY ms for the next N odometer reads and awaits N
``AsyncVehicle.odometer()`` calls together through smartcar_native.aio
(libsmartcar's sc_async on the running loop: no worker threads).  The
first round opens the connections; the later ones find them open.
Prints wall time, its ratio to the ideal, CPU time and the threads
used.  It measures; it does not assert.

    python3 bench/aio_gather.py       (after bash scripts/setup.sh;
                                       run with .venv/bin/python)

Environment: SMARTCAR_EMULATOR_BIN (default build/smartcar-emulator),
BENCH_LATENCY_MS (default 200), BENCH_CALLS (default 1000),
BENCH_ROUNDS (default 3).
"""
import asyncio
import os
import resource
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SMARTCAR_EMULATOR_BIN",
                     os.path.join(ROOT, "build", "smartcar-emulator"))
DELAY = int(os.environ.get("BENCH_LATENCY_MS", "200"))
CALLS = int(os.environ.get("BENCH_CALLS", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = CALLS + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    from smartcar_native.testing import start_emulator

    emu = start_emulator(binary=BIN)
    try:
        os.environ.update(emu.environment())
        import smartcar_native as smartcar
        from smartcar_native import aio

        access = smartcar.AuthClient().exchange_code(
            emu.approve(["read_odometer"]))
        ids = smartcar.get_vehicles(access.access_token).vehicles
        cars = [aio.AsyncVehicle(ids[i % len(ids)], access.access_token)
                for i in range(CALLS)]
        print("%d calls, latency fault %d ms, %s" % (CALLS, DELAY, emu.url))
        async def rounds():
            # one loop: later rounds reuse the first round's connections
            for n in range(ROUNDS):
                emu.fault({"type": "latency", "ms": DELAY},
                          "/v2.0/vehicles/*/odometer", CALLS)
                before = threading.active_count()
                cpu0, t0 = time.process_time(), time.monotonic()
                out = await asyncio.gather(
                    *(car.odometer() for car in cars),
                    return_exceptions=True)
                secs = time.monotonic() - t0
                cpu = time.process_time() - cpu0
                ok = sum(1 for r in out
                         if not isinstance(r, BaseException))
                print("round %d: %6.0f ms (ideal %d ms), ratio %.2f, "
                      "cpu %.0f ms, %d/%d ok, connections opened so far "
                      "%d, threads %d -> %d"
                      % (n + 1, secs * 1000, DELAY, secs * 1000 / DELAY,
                         cpu * 1000, ok, CALLS,
                         cars[0].client.connections_opened(), before,
                         threading.active_count()))

        asyncio.run(rounds())
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
