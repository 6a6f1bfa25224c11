"""examples/fleet_dask.py on a 3-worker LocalCluster against the emulator:
300 vehicles (100 owners), every reading in the table exactly once, also
when a worker is killed in the middle of a task and Dask runs it again."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading

import pytest
import smartcar_native as smartcar

from conftest import REPO, authorize, sql, wait_until

_spec = importlib.util.spec_from_file_location(
    "fleet_dask", REPO / "examples" / "fleet_dask.py")
fleet = importlib.util.module_from_spec(_spec)
sys.modules["fleet_dask"] = fleet
_spec.loader.exec_module(fleet)

OWNERS = 100
PER_TASK = 5


@pytest.fixture
def fleet_store(emu, auth, store):
    """100 owners' token sets in the store; their vehicle ids by owner."""
    owners = {}
    for i in range(OWNERS):
        email = "fleet%03d@example.com" % i
        access = auth.exchange_code(authorize(emu, auth, email=email))
        store.put(email, access)
        owners[email] = smartcar.get_vehicles(access.access_token).vehicles
    return owners


@pytest.fixture
def cluster():
    from distributed import Client, LocalCluster

    lc = LocalCluster(n_workers=3, threads_per_worker=1, processes=True,
                      dashboard_address=None)
    client = Client(lc)
    yield client
    client.close()
    lc.close()


def landed(poll_id):
    return sql("SELECT vehicle_id, count(*) FROM vehicle_readings WHERE"
               " poll_id = %s GROUP BY vehicle_id", poll_id)


def test_fleet_poll_lands_every_reading_once(fleet_store, cluster):
    users = sorted(fleet_store)
    out = fleet.poll_fleet(cluster, "", users, "first",
                           users_per_task=PER_TASK)
    assert out["tasks"] == OWNERS // PER_TASK
    assert out["inserted"] == 300
    rows = landed("first")
    assert len(rows) == 300 and all(n == 1 for _, n in rows)
    assert {v for v, _ in rows} == {v for vs in fleet_store.values()
                                    for v in vs}
    # the same poll again: nothing is written twice
    again = fleet.poll_fleet(cluster, "", users, "first",
                             users_per_task=PER_TASK)
    assert again["inserted"] == 0
    assert len(landed("first")) == 300


def test_the_script_against_a_scheduler_address(fleet_store, cluster):
    """As run on many hosts: the script given the scheduler's address
    (its functions then travel by value)."""
    users = sorted(fleet_store)[:4]
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "fleet_dask.py"),
         "--scheduler", cluster.scheduler.address, "--users",
         ",".join(users), "--users-per-task", "2", "--poll-id", "cli"],
        capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    assert b"poll cli: 2 tasks, 12 new readings" in out.stdout
    assert len(landed("cli")) == 12


def test_a_worker_killed_mid_task_loses_and_doubles_nothing(
        emu, fleet_store, cluster):
    users = sorted(fleet_store)
    # task 7 stalls on one of its vehicles until its worker is killed
    slow_task = 7
    slow_vid = fleet_store[users[slow_task * PER_TASK]][0]
    emu.request("POST", "/_emulator/faults", {
        "match": {"path": "/v2.0/vehicles/%s/odometer" % slow_vid},
        "count": 1, "fault": {"type": "latency", "ms": 8000}})
    outcome = {}

    def run():
        outcome["out"] = fleet.poll_fleet(cluster, "", users, "killed",
                                          users_per_task=PER_TASK)

    thread = threading.Thread(target=run)
    thread.start()
    key = fleet.task_key("killed", slow_task)

    def victim():
        for addr, keys in cluster.processing().items():
            if key in keys:
                outcome["addr"] = addr
                return True
        return False

    wait_until(victim, timeout=60)
    # other tasks' readings land while it stalls; then kill its worker
    wait_until(lambda: len(landed("killed")) > 0, timeout=60)
    pid = cluster.run(os.getpid, workers=[outcome["addr"]])[outcome["addr"]]
    os.kill(pid, signal.SIGKILL)
    thread.join(120)
    assert not thread.is_alive()
    # partitions written by the killed worker were written again, and
    # inserted nothing the second time
    assert outcome["out"]["inserted"] <= 300
    rows = landed("killed")
    assert len(rows) == 300 and all(n == 1 for _, n in rows)
    assert slow_vid in {v for v, _ in rows}
