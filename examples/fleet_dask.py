#!/usr/bin/env python3
"""Poll a whole fleet with Dask's distributed scheduler.

The users to poll are the keys of a PostgresTokenStore (or given).  They
are split into tasks of a few users; each task, in a Dask worker process,
lists its users' vehicles, reads every odometer with ``run_many`` (tokens
come from the shared store and are refreshed there, single-flight across
all hosts) and returns a pandas frame.  The frames form a Dask DataFrame
whose partitions are written to the ``vehicle_readings`` table, keyed by
``(poll_id, vehicle_id)`` with ``ON CONFLICT DO NOTHING``: when Dask runs
a task again (a worker died and its results went with it), the second
write of a reading changes nothing, so each reading lands exactly once.

Only strings, lists and pandas frames cross the wire.  The smartcar
client and token store are C objects: each worker process makes its own,
once, on first use.

    pip install "dask[distributed,dataframe]" pandas psycopg
    # one machine, 3 worker processes:
    python examples/fleet_dask.py --dsn "host=db dbname=app" --workers 3
    # many hosts: `dask scheduler` on one, `dask worker tcp://HOST:8786`
    # on each (same Python environment, SMARTCAR_* and PG* settings), then
    python examples/fleet_dask.py --dsn "host=db dbname=app" \\
        --scheduler tcp://HOST:8786

The application's credentials come from SMARTCAR_CLIENT_ID and
SMARTCAR_CLIENT_SECRET in the workers' environment (docs/postgres.md).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from typing import Any, Dict, List, Optional, Sequence

import pandas as pd

READINGS_TABLE = "vehicle_readings"
COLUMNS = {
    "poll_id": "object",
    "vehicle_id": "object",
    "user_key": "object",
    "odometer_km": "float64",
    "polled_at": "float64",
}
ATTEMPTS = 3  # per vehicle within a task, before the task fails


def _worker_objects(dsn: str) -> Dict[str, Any]:
    """This process's client and store (made on first use).  They hang on
    the Dask worker object, which lives as long as the process."""
    import smartcar_native as smartcar

    try:
        from distributed import get_worker

        holder: Any = get_worker()
    except (ImportError, ValueError):  # outside a worker: this module
        holder = sys.modules[__name__]
    cache = holder.__dict__.setdefault("_smartcar_fleet", {})
    if dsn not in cache:
        cache[dsn] = {
            "store": smartcar.PostgresTokenStore(dsn),
            "client": smartcar.AuthClient(),
        }
    return cache[dsn]


def poll_users(users: Sequence[str], dsn: str, poll_id: str) -> pd.DataFrame:
    """One task: every vehicle of these users, one odometer reading each."""
    import smartcar_native as smartcar

    objs = _worker_objects(dsn)
    store, client = objs["store"], objs["client"]
    cars = []
    for user in users:
        listed = client.client.call_stored(store.core, user, "get_vehicles")
        for vid in listed["vehicles"]:
            cars.append((user, smartcar.Vehicle(
                vid, store=store, key=user, options={"client": client})))
    rows: List[Dict[str, Any]] = []
    pending = cars
    for _ in range(ATTEMPTS):
        results = smartcar.run_many([(car, "odometer") for _, car in pending])
        failed = []
        for (user, car), res in zip(pending, results):
            if isinstance(res, smartcar.SmartcarException):
                failed.append((user, car))
                continue
            rows.append({"poll_id": poll_id, "vehicle_id": car.vehicle_id,
                         "user_key": user, "odometer_km": res.distance,
                         "polled_at": time.time()})
        pending = failed
        if not pending:
            break
    if pending:
        # Dask retries the whole task; readings already written stay once
        raise RuntimeError("%d vehicles could not be read" % len(pending))
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)


def write_partition(frame: pd.DataFrame, dsn: str) -> pd.DataFrame:
    """Insert a partition; a reading already there is left alone.
    Returns how many rows were new."""
    import psycopg

    rows = list(frame[list(COLUMNS)].itertuples(index=False, name=None))
    inserted = 0
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            for row in rows:
                cur.execute(
                    "INSERT INTO " + READINGS_TABLE + " (poll_id, vehicle_id,"
                    " user_key, odometer_km, polled_at) VALUES (%s, %s, %s,"
                    " %s, to_timestamp(%s)) ON CONFLICT (poll_id, vehicle_id)"
                    " DO NOTHING", row)
                inserted += cur.rowcount
    return pd.DataFrame({"inserted": [inserted]})


def ensure_table(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS " + READINGS_TABLE + " ("
            " poll_id text NOT NULL, vehicle_id text NOT NULL,"
            " user_key text NOT NULL, odometer_km double precision NOT NULL,"
            " polled_at timestamptz NOT NULL,"
            " PRIMARY KEY (poll_id, vehicle_id))")


def stored_users(dsn: str) -> List[str]:
    """The keys of the token store: one per user to poll."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute(
            "SELECT key FROM smartcar_tokens ORDER BY key")]


def task_key(poll_id: str, index: int) -> str:
    """The Dask key of a poll's index-th task (to find it on a worker)."""
    return "poll-users-%s-%d" % (poll_id, index)


def readings(users: Sequence[str], dsn: str, poll_id: str,
             users_per_task: int = 5) -> Any:
    """The poll as a lazy Dask DataFrame, one partition per task."""
    import dask
    import dask.dataframe as dd

    chunks = [list(users[i:i + users_per_task])
              for i in range(0, len(users), users_per_task)]
    parts = [dask.delayed(poll_users, pure=False)(
        chunk, dsn, poll_id, dask_key_name=task_key(poll_id, i))
        for i, chunk in enumerate(chunks)]
    meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def poll_fleet(dask_client: Any, dsn: str, users: Sequence[str],
               poll_id: Optional[str] = None, users_per_task: int = 5,
               retries: int = 3) -> Dict[str, Any]:
    """Poll every vehicle of users once and write the readings.  Returns
    {"poll_id", "tasks", "inserted"}: inserted counts the rows the final
    run of each partition added (a partition Dask wrote again after losing
    its result with a worker adds 0 the second time)."""
    poll_id = poll_id or uuid.uuid4().hex
    if __name__ != "__main__":
        # imported: tasks name this module's functions, so the workers
        # (and any that Dask starts later) must be able to import it too;
        # run as a script, they travel by value instead
        dask_client.upload_file(__file__, load=False)
    ensure_table(dsn)
    frame = readings(users, dsn, poll_id, users_per_task)
    written = frame.map_partitions(
        write_partition, dsn, meta=pd.DataFrame({"inserted": pd.Series(
            dtype="int64")}))
    counts = dask_client.compute(written, retries=retries).result()
    return {"poll_id": poll_id, "tasks": frame.npartitions,
            "inserted": int(counts["inserted"].sum())}


def main(argv: Optional[Sequence[str]] = None) -> int:
    from distributed import Client, LocalCluster

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dsn", default="",
                    help="libpq connection string (default: PG* variables)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a Dask scheduler")
    where.add_argument("--workers", type=int, default=3,
                       help="LocalCluster worker processes (default 3)")
    ap.add_argument("--users", help="comma-separated store keys "
                    "(default: every key in the store)")
    ap.add_argument("--users-per-task", type=int, default=5)
    ap.add_argument("--poll-id", help="idempotency key of this poll "
                    "(default: random); run again with the same one and "
                    "nothing is written twice")
    args = ap.parse_args(argv)

    users = args.users.split(",") if args.users else stored_users(args.dsn)
    if args.scheduler:
        client = Client(args.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        out = poll_fleet(client, args.dsn, users, args.poll_id,
                         args.users_per_task)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print("poll %(poll_id)s: %(tasks)d tasks, %(inserted)d new readings"
          % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
