"""Crash tests for the token stores (issue 8): a process refreshing one
token set in a tight loop is killed with SIGKILL at a random point of
refresh-and-save, again and again.  Refresh tokens rotate, and the old one
works only for the grace window after its first use (the emulator's is
60 s, as Smartcar's), so a kill between the grant and the save leaves a
used refresh token in the store.  The refresh lease the library records
before each grant tells the next process: it refreshes at once.

- A later process within the grace window: no token set is lost.
- No process within it: the sets whose grant was cut short are lost (the
  outcome docs/design-notes.md describes); this test measures it.

tests/pg runs the same rounds against the PostgreSQL store.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any, Callable, Optional, Tuple

import smartcar_native as smartcar

from conftest import REPO, authorize

_REFRESHER = """
import sys
import smartcar_native as smartcar
store = %s
client = smartcar.AuthClient()
store.refresh("owner", client)
print("ready", flush=True)
while True:
    store.refresh("owner", client)
"""


def kill_mid_refresh(open_store: str, rng: random.Random) -> None:
    """Start a process refreshing the set in a loop (its store opened by
    the Python expression open_store) and SIGKILL it at a random moment
    once its loop runs."""
    proc = subprocess.Popen([sys.executable, "-c", _REFRESHER % open_store],
                            cwd=str(REPO / "tests"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert line == b"ready\n", proc.stderr.read().decode()[-2000:]
        proc.stdout.close()
        time.sleep(rng.uniform(0.0, 0.03))  # a grant takes milliseconds
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()


def still_refreshes(store: Any, auth: Any) -> bool:
    try:
        store.refresh("owner", auth)
        return True
    except smartcar.SmartcarException:
        return False


def kill_rounds(emu: Any, auth: Any, store: Any, open_store: str,
                lease_owner: Callable[[], Optional[str]], kills: int,
                seed: int, recover_vid: Optional[str],
                min_cut_short: int = 0) -> Tuple[int, int]:
    """kills rounds of: kill a refreshing process; with recover_vid, make
    one call for that vehicle within the grace window; let the window
    pass; check that the stored refresh token still works (else count the
    set lost and connect again).  Where a kill lands depends on the
    scheduler (a loaded machine runs the refresher less), so rounds go on
    past `kills`, up to four times as many, until min_cut_short of them
    left a lease.  Returns (kills that left a lease, sets lost)."""
    rng = random.Random(seed)
    cut_short = lost = rounds = 0
    while rounds < kills or (cut_short < min_cut_short
                             and rounds < 4 * kills):
        rounds += 1
        kill_mid_refresh(open_store, rng)
        cut_short += lease_owner() is not None
        if recover_vid is not None:
            # any call finds the stale lease and refreshes at once
            car = smartcar.Vehicle(recover_vid, store=store, key="owner",
                                   options={"client": auth})
            assert car.odometer().distance > 0
            assert lease_owner() is None
        emu.advance(61)  # past the grace: only an unused token works
        if not still_refreshes(store, auth):
            lost += 1
            store.put("owner", auth.exchange_code(authorize(emu, auth)))
    return cut_short, lost


def sqlite_lease(path: str) -> Callable[[], Optional[str]]:
    def owner() -> Optional[str]:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT lease_owner FROM smartcar_tokens "
                              "WHERE key = 'owner'").fetchone()[0]
    return owner


def test_30_kills_lose_no_set_when_a_later_process_runs_in_the_grace(
        emu, auth, access, tmp_path):
    path = str(tmp_path / "tokens.db")
    vid = smartcar.get_vehicles(access.access_token).vehicles[0]
    with smartcar.TokenStore(path) as store:
        store.put("owner", access)
        cut_short, lost = kill_rounds(
            emu, auth, store, "smartcar.TokenStore(%r)" % path,
            sqlite_lease(path), 30, 8, vid, min_cut_short=10)
    print("SQLite: 30+ kills, %d left a refresh lease, %d sets lost"
          % (cut_short, lost))
    assert lost == 0
    # most kills land between a lease and its save: the test means it
    assert cut_short >= 10


def test_kills_without_a_later_process_in_the_grace_lose_the_set(
        emu, auth, access, tmp_path):
    """The honest part: when nothing reads the set within the grace
    window, a grant cut short loses it (the owner must reconnect)."""
    path = str(tmp_path / "tokens.db")
    with smartcar.TokenStore(path) as store:
        store.put("owner", access)
        cut_short, lost = kill_rounds(
            emu, auth, store, "smartcar.TokenStore(%r)" % path,
            sqlite_lease(path), 10, 9, None)
    print("SQLite, no process in the grace: 10 kills, %d left a refresh "
          "lease, %d sets lost" % (cut_short, lost))
    # only a kill that left a lease can lose the set, and most do
    assert 1 <= lost <= cut_short
