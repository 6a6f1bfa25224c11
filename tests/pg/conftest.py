"""Fixtures for the PostgreSQL suite (tests/pg/run.sh starts the server and
sets PGHOST, PGPORT, PGUSER and PGDATABASE).  The emulator fixtures are
the Python suite's, loaded from tests/python/conftest.py."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import time
from typing import Any, Iterator, List

import pytest

HERE = pathlib.Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "sc_python_conftest", HERE.parent / "python" / "conftest.py")
assert _spec and _spec.loader
common = importlib.util.module_from_spec(_spec)
sys.modules["sc_python_conftest"] = common
_spec.loader.exec_module(common)

# the shared fixtures, registered here by name
emulator_url = common.emulator_url
emu = common.emu
auth = common.auth
access = common.access
silent_origin = common.silent_origin
Emulator = common.Emulator
authorize = common.authorize
REPO = common.REPO


def dsn() -> str:
    """Everything comes from the PG* variables run.sh sets."""
    if not os.environ.get("PGPORT"):
        raise RuntimeError("run tests/pg through tests/pg/run.sh")
    return ""


def sql(query: str, *args: Any) -> List[tuple]:
    """One statement through psycopg, committed; its rows (if any)."""
    import psycopg

    with psycopg.connect(dsn(), autocommit=True) as conn:
        cur = conn.execute(query, args)
        return cur.fetchall() if cur.description else []


@pytest.fixture
def clean_db() -> None:
    sql("DROP TABLE IF EXISTS smartcar_tokens, smartcar_cooldowns,"
        " smartcar_token_leases, vehicle_readings")


@pytest.fixture
def store(clean_db: None) -> Iterator[Any]:
    import smartcar_native as smartcar

    st = smartcar.PostgresTokenStore()
    yield st
    st.close()


@pytest.fixture(scope="session")
def strict_emulator_url() -> Iterator[str]:
    """An emulator whose used refresh tokens die at once (no grace)."""
    proc, url = common._start_emulator("--refresh-grace", "0")
    try:
        yield url
    finally:
        common._stop_emulator(proc)


def wait_until(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def refreshing_backends() -> List[int]:
    """Server pids of sessions holding a refresh's row lock (idle in
    their transaction while the token endpoint answers)."""
    return [r[0] for r in sql(
        "SELECT pid FROM pg_stat_activity WHERE state = 'idle in"
        " transaction' AND datname = current_database()")]
