"""The crash rounds of tests/python/test_crash.py against the PostgreSQL
store: SIGKILL at random points of refresh-and-save, 30 times."""

from __future__ import annotations

import importlib.util
from typing import Optional

import smartcar_native as smartcar

from conftest import HERE, sql, wait_until

_spec = importlib.util.spec_from_file_location(
    "sc_crash_rounds", HERE.parent / "python" / "test_crash.py")
assert _spec and _spec.loader
crash = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crash)


# the killed processes' connections, to wait for: a statement the server
# was running when its client died (a lease being taken) still commits
VICTIM = "smartcar.PostgresTokenStore('application_name=sc_crash_victim')"


def lease_owner() -> Optional[str]:
    wait_until(lambda: not sql(
        "SELECT 1 FROM pg_stat_activity WHERE application_name ="
        " 'sc_crash_victim'"))
    rows = sql("SELECT owner FROM smartcar_token_leases WHERE key = 'owner'")
    return rows[0][0] if rows else None


def test_30_kills_lose_no_set_within_the_grace(emu, auth, access, store):
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    store.put("owner", access)
    cut_short, lost = crash.kill_rounds(
        emu, auth, store, VICTIM, lease_owner, 30,
        8, vid, min_cut_short=10)
    print("PostgreSQL: 30+ kills, %d left a refresh lease, %d sets lost"
          % (cut_short, lost))
    assert lost == 0
    assert cut_short >= 10


def test_kills_without_a_process_in_the_grace_lose_the_set(emu, auth,
                                                           access, store):
    store.put("owner", access)
    # each kill lands between the applied grant and the commit about one
    # time in four: 20 kills make a round without a loss very unlikely
    cut_short, lost = crash.kill_rounds(
        emu, auth, store, VICTIM, lease_owner, 20,
        9, None)
    print("PostgreSQL, no process in the grace: 20 kills, %d left a "
          "refresh lease, %d sets lost" % (cut_short, lost))
    assert 1 <= lost <= cut_short
