"""The fault matrix's Python driver (tests/faults/run.py starts it): the
C driver's line protocol (see driver.c) through smartcar_native."""

import json
import sys
import time

import smartcar_native as smartcar
from smartcar_native import _core


def run(row):
    kinds = []
    start = time.monotonic()
    with _core.Client(**row["client"]) as client:
        for _ in range(row.get("repeat", 1)):
            try:
                if row.get("page_size"):
                    for _ in client.pages(row["endpoint"], row["params"],
                                          page_size=row["page_size"]):
                        pass
                else:
                    client.call(row["endpoint"], row["params"])
                kinds.append("ok")
            except smartcar.SmartcarException as exc:
                kinds.append(exc.kind)
            except Exception as exc:  # the matrix reports it as a failure
                kinds.append("untyped " + type(exc).__name__)
    return {"kinds": kinds, "ms": (time.monotonic() - start) * 1000}


for line in sys.stdin:
    print(json.dumps(run(json.loads(line))), flush=True)
