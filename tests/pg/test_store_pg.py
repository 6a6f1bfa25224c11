"""PostgresTokenStore against a real PostgreSQL server and the emulator:
single-flight refreshes across processes, a process killed mid-refresh,
a connection lost mid-refresh, and shared cool-downs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import smartcar_native as smartcar

from conftest import (REPO, Emulator, authorize, common, dsn,
                      refreshing_backends, sql, wait_until)

ORIGINS = ("SMARTCAR_AUTH_ORIGIN", "SMARTCAR_API_ORIGIN",
           "SMARTCAR_CONNECT_ORIGIN")


def first_vehicle(access):
    return smartcar.get_vehicles(access.access_token).vehicles[0]


def run_worker(code, *args, env=None):
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        env=env or dict(os.environ), cwd=str(REPO / "tests"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_put_get_delete_and_schema(store, access):
    store.put("owner", access)
    got = store.get("owner")
    assert got.refresh_token == access.refresh_token
    # a second store (another connection) sees it; tables exist once
    other = smartcar.PostgresTokenStore("")
    assert other.get("owner").access_token == access.access_token
    other.close()
    assert sql("SELECT count(*) FROM smartcar_tokens") == [(1,)]
    store.delete("owner")
    with pytest.raises(smartcar.NotFoundError):
        store.get("owner")
    store.delete("owner")


def test_open_errors_are_typed_and_hold_no_secret(clean_db):
    with pytest.raises(smartcar.StorageError) as info:
        smartcar.PostgresTokenStore(
            "host=127.0.0.1 port=1 password=hunter2 connect_timeout=5")
    assert "cannot connect" in str(info.value)
    assert "hunter2" not in str(info.value) + repr(info.value)
    with pytest.raises(smartcar.StorageError) as info:
        smartcar.PostgresTokenStore("password=hunter2 nonsense")
    assert "malformed" in str(info.value)
    assert "hunter2" not in str(info.value)
    st = smartcar.PostgresTokenStore("password=hunter2")
    assert "hunter2" not in repr(st)
    st.close()
    with pytest.raises(TypeError):
        smartcar.PostgresTokenStore(5)


def test_sqlite_store_cannot_share_cooldowns(auth, store):
    with pytest.raises(smartcar.InvalidArgumentError):
        auth.share_cooldowns(smartcar.TokenStore(":memory:"))
    with pytest.raises(TypeError):
        auth.share_cooldowns("postgres")
    auth.share_cooldowns(store)
    auth.share_cooldowns(None)


_REFRESHER = """
import sys, smartcar_native as smartcar
n = int(sys.argv[1])
store = smartcar.PostgresTokenStore()
client = smartcar.AuthClient()
seen = []
for _ in range(n):
    seen.append(store.refresh("owner", client).refresh_token)
print(" ".join(seen))
"""


def test_eight_processes_force_refresh_one_key(strict_emulator_url, store,
                                               monkeypatch):
    """8 x 200 forced refreshes of one key; used refresh tokens die at
    once (grace 0), so any refresh that reused one would fail, and a reuse
    would also show as a set returned twice (the loser adopts the
    winner's)."""
    emu = Emulator(strict_emulator_url)
    for name in ORIGINS:
        monkeypatch.setenv(name, strict_emulator_url)
    monkeypatch.setenv("SMARTCAR_CLIENT_ID", common.CLIENT_ID)
    monkeypatch.setenv("SMARTCAR_CLIENT_SECRET", "emulator-client-secret")
    monkeypatch.setenv("SMARTCAR_REDIRECT_URI",
                       "http://localhost:8000/callback")
    emu.reset()
    auth = smartcar.AuthClient()
    first = auth.exchange_code(authorize(emu, auth))
    store.put("owner", first)
    procs = [run_worker(_REFRESHER, 200) for _ in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outs):
        assert proc.returncode == 0, err.decode()[-2000:]
    tokens = [t for out, _ in outs for t in out.split()]
    # every refresh was a real one: 1600 distinct new sets
    assert len(tokens) == 1600 and len(set(tokens)) == 1600
    final = store.get("owner")
    assert final.refresh_token in set(t.decode() for t in tokens)
    # every used refresh token is dead, the more so past the usual grace
    # window; the stored one was never used: it refreshes and reads the car
    emu.advance(61)
    with pytest.raises(smartcar.SmartcarException):
        auth.exchange_refresh_token(first.refresh_token)
    fresh = store.refresh("owner", auth)
    vid = first_vehicle(fresh)
    car = smartcar.Vehicle(vid, store=store, key="owner",
                           options={"client": auth})
    assert car.odometer().distance > 0
    auth.close()


_SLOW_REFRESH = """
import sys, smartcar_native as smartcar
store = smartcar.PostgresTokenStore()
print("go", flush=True)
store.refresh("owner", smartcar.AuthClient())
print("refreshed", flush=True)
"""


def slow_token_endpoint(emu, ms):
    emu.request("POST", "/_emulator/faults", {
        "match": {"method": "POST", "path": "/oauth/token"}, "count": 1,
        "fault": {"type": "latency", "ms": ms}})


def test_sigkill_mid_refresh_loses_nothing(emu, auth, access, store):
    store.put("owner", access)
    slow_token_endpoint(emu, 4000)
    proc = run_worker(_SLOW_REFRESH)
    assert proc.stdout.readline().strip() == b"go"
    # the refresh holds the row lock while the token endpoint stalls
    wait_until(lambda: refreshing_backends())
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # the stored set is the one before; another process refreshes it and
    # reads the car
    assert store.get("owner").refresh_token == access.refresh_token
    code = _SLOW_REFRESH + """
car = smartcar.Vehicle(sys.argv[1], store=store, key="owner")
print(car.odometer().distance)
"""
    other = run_worker(code, first_vehicle(access))
    out, err = other.communicate(timeout=60)
    assert other.returncode == 0, err.decode()[-2000:]
    assert float(out.split()[-1]) > 0
    assert store.get("owner").refresh_token != access.refresh_token


def test_connection_lost_mid_refresh_is_a_storage_error(emu, auth, access,
                                                        store):
    store.put("owner", access)
    slow_token_endpoint(emu, 3000)
    outcome = {}

    def refresh():
        try:
            outcome["set"] = store.refresh("owner", auth)
        except smartcar.SmartcarException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=refresh)
    thread.start()
    wait_until(lambda: refreshing_backends())
    for pid in refreshing_backends():
        sql("SELECT pg_terminate_backend(%s)", pid)
    thread.join(30)
    exc = outcome.get("error")
    assert isinstance(exc, smartcar.StorageError), outcome
    text = str(exc) + repr(exc)
    assert access.refresh_token not in text
    assert access.access_token not in text
    # the stored set is unchanged and still valid (inside the grace)
    assert store.get("owner").refresh_token == access.refresh_token
    again = store.refresh("owner", auth)
    assert again.refresh_token != access.refresh_token
    assert store.get("owner").refresh_token == again.refresh_token


_RATE_LIMITED = """
import sys, smartcar_native as smartcar
store = smartcar.PostgresTokenStore()
client = smartcar.AuthClient(max_attempts=1)
client.share_cooldowns(store)
car = smartcar.Vehicle(sys.argv[1], sys.argv[2], options={"client": client})
try:
    car.odometer()
except smartcar.RateLimitError as exc:
    print("429", exc.retry_after)
"""


def test_a_429_in_one_process_stops_the_others(emu, access, store):
    vid, other_vid = smartcar.get_vehicles(
        access.access_token).vehicles[:2]
    emu.request("POST", "/_emulator/faults", {
        "match": {"path": "/v2.0/vehicles/%s/odometer" % vid}, "count": 1,
        "fault": {"type": "rate_limit", "retry_after": 3}})
    proc = run_worker(_RATE_LIMITED, vid, access.access_token)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert out.split()[0] == b"429"

    shared = smartcar.AuthClient(rate_policy="fail")
    shared.share_cooldowns(store)
    alone = smartcar.AuthClient(rate_policy="fail")
    car = smartcar.Vehicle(vid, access.access_token,
                           options={"client": shared})
    emu.clear_requests()
    with pytest.raises(smartcar.RateLimitedLocallyError):
        car.odometer()
    assert emu.count("GET", vid) == 0  # never sent
    # another vehicle is not cooling down
    assert smartcar.Vehicle(other_vid, access.access_token,
                            options={"client": shared}).odometer().distance
    # a client that does not share cool-downs knows nothing of it
    assert smartcar.Vehicle(vid, access.access_token,
                            options={"client": alone}).odometer().distance
    # once the window has passed the shared client calls again
    started = time.monotonic()
    while True:
        try:
            assert car.odometer().distance > 0
            break
        except smartcar.SmartcarException:
            assert time.monotonic() - started < 10
            time.sleep(0.2)
    shared.close()
    alone.close()


def test_a_role_that_may_not_create_tables(clean_db, access):
    """The tables are created when the role may; otherwise the store opens
    once they exist (applied from docs/postgres.md)."""
    sql("DROP ROLE IF EXISTS sc_worker")
    sql("CREATE ROLE sc_worker LOGIN")
    try:
        with pytest.raises(smartcar.StorageError) as info:
            smartcar.PostgresTokenStore("user=sc_worker")
        assert "docs/postgres.md" in str(info.value)
        smartcar.PostgresTokenStore().close()  # the owner creates them
        sql("GRANT SELECT, INSERT, UPDATE, DELETE ON smartcar_tokens,"
            " smartcar_cooldowns, smartcar_token_leases TO sc_worker")
        worker = smartcar.PostgresTokenStore("user=sc_worker")
        worker.put("owner", access)
        assert worker.get("owner").access_token == access.access_token
        worker.close()
    finally:
        sql("DROP OWNED BY sc_worker")
        sql("DROP ROLE sc_worker")


def test_a_server_that_never_answers_fails_the_open(clean_db, silent_origin,
                                                    monkeypatch):
    """No connect_timeout given: the store's own default ends the wait
    (libpq alone would wait for the TCP stack, minutes)."""
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    port = silent_origin.rsplit(":", 1)[1]
    outcome = {}

    def open_store():
        try:
            smartcar.PostgresTokenStore("host=127.0.0.1 port=%s" % port)
        except smartcar.SmartcarException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=open_store, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), smartcar.StorageError)


def test_webhook_seen_events_on_postgres(clean_db):
    """Webhook event ids in PostgreSQL: two sets (two hosts, in effect)
    agree on what is a repeat, expired rows count as new, forget works,
    and a database that cannot be reached is a StorageError."""
    sql("DROP TABLE IF EXISTS smartcar_webhook_events")
    a = smartcar.SeenEvents(postgres=dsn(), ttl=300)
    b = smartcar.SeenEvents(postgres="", ttl=300)
    assert a.first("pg-ev-1")
    assert not b.first("pg-ev-1")
    assert b.first("pg-ev-2")
    assert len(a) == 2
    assert a.forget("pg-ev-2") and not b.forget("pg-ev-2")
    # an old row (seen long ago) counts as new again
    sql("UPDATE smartcar_webhook_events SET seen_ms = 0 "
        "WHERE event_id = 'pg-ev-1'")
    assert b.first("pg-ev-1") and not a.first("pg-ev-1")
    body = b'{"eventId":"pg-ev-3","eventType":"VEHICLE_STATE","data":{}}'
    sig = smartcar._core.hmac_sha256_hex("amt", body)
    assert not smartcar.receive_webhook("amt", sig, body, a)["duplicate"]
    assert smartcar.receive_webhook("amt", sig, body, b)["duplicate"]
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.SeenEvents(postgres="", ttl=None)
    with pytest.raises(smartcar.StorageError):
        smartcar.SeenEvents(postgres="host=127.0.0.1 port=1 "
                            "connect_timeout=2", ttl=300)
