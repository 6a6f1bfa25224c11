"""Token stores: put/get/delete, vehicles that refresh by themselves
(expired set, 401), save-before-use, several stores on one file, threads
and processes sharing a set, and expiry helpers."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import smartcar_native as smartcar
from smartcar_native import _core

from conftest import (CLIENT_ID, CLIENT_SECRET, REPO, assert_no_secrets,
                      in_threads)

PAST = dt.datetime(2000, 1, 1)


def aged(access):
    """The same set with an access token that looks expired."""
    return access._replace(expiration=PAST)


# ---------------------------------------------------------------------
# put / get / delete (no server)


def sample(**changes):
    base = smartcar.Access(
        access_token="at-123",
        token_type="Bearer",
        expires_in=7200,
        expiration=dt.datetime(2030, 5, 1, 12, 0, 0, 250000),
        refresh_token="rt-456",
        refresh_expiration=dt.datetime(2030, 6, 30, 12, 0, 0),
    )
    return base._replace(**changes)


def test_put_get_delete():
    with smartcar.TokenStore() as store:
        access = sample()
        store.put("user-1", access)
        got = store.get("user-1")
        assert isinstance(got, smartcar.Access)
        assert got == access
        store.put("user-1", sample(access_token="at-2"))
        assert store.get("user-1").access_token == "at-2"
        store.delete("user-1")
        with pytest.raises(smartcar.NotFoundError) as info:
            store.get("user-1")
        assert isinstance(info.value, LookupError)
        assert info.value.kind == "not_found"
        store.delete("user-1")  # absent: no error
        with pytest.raises(smartcar.NotFoundError):
            store.get("never")


def test_put_accepts_dicts_with_seconds_or_datetimes():
    store = smartcar.TokenStore(":memory:")
    store.put("a", {"access_token": "x", "refresh_token": "y",
                    "expiration": 1900000000.5,
                    "refresh_expiration": dt.datetime(2031, 1, 1,
                                                      tzinfo=dt.timezone.utc)})
    got = store.get("a")
    assert got.expiration == dt.datetime(2030, 3, 17, 17, 46, 40, 500000)
    assert got.refresh_expiration == dt.datetime(2031, 1, 1)
    assert got.token_type == "Bearer"
    # an aware datetime is converted to UTC
    plus2 = dt.timezone(dt.timedelta(hours=2))
    store.put("b", sample(expiration=dt.datetime(2030, 1, 1, 14,
                                                 tzinfo=plus2)))
    assert store.get("b").expiration == dt.datetime(2030, 1, 1, 12)
    # the raw core store returns Unix seconds
    raw = store.core.get("a")
    assert raw["expiration"] == 1900000000.5
    store.close()


def test_put_and_key_checks():
    store = smartcar.TokenStore()
    with pytest.raises(TypeError):
        store.put("k", sample(refresh_token=None))
    with pytest.raises(smartcar.InvalidArgumentError):
        store.put("k", sample(access_token=""))
    with pytest.raises(TypeError):
        store.put("k", "not a token")
    with pytest.raises(TypeError):
        store.put("k", sample(expiration="tomorrow"))
    for wrong in ({"token_type": 5}, {"expires_in": "soon"},
                  {"access_token": b"a"}):
        with pytest.raises(TypeError) as info:
            store.put("k", sample(**wrong))
        assert list(wrong)[0] in str(info.value)
    with pytest.raises(TypeError):
        store.put(42, sample())
    with pytest.raises(ValueError):
        store.put("", sample())
    with pytest.raises(ValueError):
        store.get("")
    # the core checks too
    with pytest.raises(TypeError):
        store.core.put("k", {"access_token": 1, "refresh_token": "r"})
    with pytest.raises(ValueError):
        store.core.put("k", {"access_token": "a"})
    with pytest.raises(TypeError):
        store.core.put("k", {"access_token": "a", "refresh_token": "r",
                             "extra": object()})
    with pytest.raises(ValueError):
        store.core.put("k\0x", {"access_token": "a", "refresh_token": "r"})
    store.close()
    store.close()
    assert store.closed and "closed" in repr(store)
    with pytest.raises(ValueError):
        store.get("k")
    with pytest.raises(ValueError):
        with store:
            pass


def test_store_file_is_private_and_shared(tmp_path):
    path = tmp_path / "tokens.db"
    first = smartcar.TokenStore(path)  # os.PathLike
    assert first.path == str(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = smartcar.TokenStore(str(path))
    first.put("k", sample())
    assert second.get("k") == sample()
    second.delete("k")
    with pytest.raises(smartcar.NotFoundError):
        first.get("k")
    first.close()
    second.close()


def test_store_open_failures(tmp_path):
    with pytest.raises(smartcar.StorageError) as info:
        smartcar.TokenStore(tmp_path / "missing-dir" / "tokens.db")
    assert isinstance(info.value, OSError)
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.TokenStore("")
    with pytest.raises(TypeError):
        smartcar.TokenStore(123)
    with pytest.raises(TypeError):
        _core.TokenStore()  # made by sqlite_store() only


def test_stored_sets_are_not_in_reprs():
    store = smartcar.TokenStore()
    store.put("k", sample())
    vehicle = smartcar.Vehicle("vid", store=store, key="k")
    for text in (repr(store), repr(store.core), repr(vehicle),
                 repr(store.get("k"))):
        assert "at-123" not in text and "rt-456" not in text


# ---------------------------------------------------------------------
# expiry helpers


def test_is_expired():
    now = dt.datetime.now(dt.timezone.utc)
    naive_now = now.replace(tzinfo=None)
    assert smartcar.is_expired(naive_now - dt.timedelta(seconds=1))
    assert not smartcar.is_expired(naive_now + dt.timedelta(minutes=5))
    assert smartcar.is_expired(naive_now + dt.timedelta(minutes=5),
                               leeway=600)
    assert not smartcar.is_expired(now + dt.timedelta(minutes=5))  # aware
    assert smartcar.is_expired(time.time() - 1)
    assert not smartcar.is_expired(time.time() + 100)
    assert smartcar.is_expired(time.time() + 100, 120)
    assert smartcar.is_expired(0)
    with pytest.raises(TypeError):
        smartcar.is_expired(True)
    with pytest.raises(TypeError):
        smartcar.is_expired("2030-01-01")
    with pytest.raises(TypeError):
        smartcar.is_expired(time.time(), leeway="60")


def test_access_helpers_keep_the_tuple():
    soon = dt.datetime.utcnow() + dt.timedelta(seconds=30)
    later = dt.datetime.utcnow() + dt.timedelta(days=59)
    access = sample(expiration=soon, refresh_expiration=later)
    assert access.is_expired()  # within the 60 s default leeway
    assert not access.is_expired(leeway=0)
    assert not access.refresh_is_expired()
    assert access.refresh_is_expired(leeway=60 * 86400)
    # still a plain 6-tuple with the official fields
    assert smartcar.Access._fields == (
        "access_token", "token_type", "expires_in", "expiration",
        "refresh_token", "refresh_expiration")
    assert tuple(access) == (access.access_token, "Bearer", 7200, soon,
                             "rt-456", later)
    assert access == tuple(access)
    assert access == smartcar.Access(*access)
    assert "at-123" not in repr(access) and "rt-456" not in repr(access)


# ---------------------------------------------------------------------
# Vehicles backed by a store (emulator)


@pytest.fixture
def store():
    s = smartcar.TokenStore(":memory:")
    yield s
    s.close()


def first_vehicle(access):
    return smartcar.get_vehicles(access.access_token).vehicles[0]


def test_vehicle_refreshes_an_expired_set_and_saves_it(emu, auth, access,
                                                       store):
    vid = first_vehicle(access)
    store.put("owner", aged(access))
    emu.clear_requests()
    car = smartcar.Vehicle(vid, store=store, key="owner",
                           options={"client": auth})
    assert car.access_token is None and car.key == "owner"
    assert car.odometer().distance > 0
    assert emu.refreshes() == 1
    saved = store.get("owner")
    assert saved.refresh_token != access.refresh_token
    assert saved.access_token != access.access_token
    assert not saved.is_expired()
    # the saved set is the one in use: no second refresh
    car.attributes()
    assert emu.refreshes() == 1
    # the request carried the new token
    odometer = [r for r in emu.requests() if r["path"].endswith("/odometer")]
    assert odometer[-1]["headers"]["authorization"] == (
        "Bearer " + saved.access_token)


def test_vehicle_with_store_uses_the_shared_client(emu, access, store):
    # credentials come from SMARTCAR_CLIENT_ID / SECRET (set by emu)
    store.put("owner", aged(access))
    car = smartcar.Vehicle(first_vehicle(access), store=store, key="owner")
    assert car.odometer().distance > 0
    assert store.get("owner").refresh_token != access.refresh_token


def refused_car(emu, auth, access, store):
    """A stored vehicle whose access token the server no longer takes,
    though the stored expiration says it is fresh."""
    vid = first_vehicle(access)
    store.put("owner", access)
    emu.advance(7300)  # the server sees the access token as expired
    emu.clear_requests()
    return smartcar.Vehicle(vid, store=store, key="owner",
                            options={"client": auth})


def test_401_refreshes_and_retries(emu, auth, access, store):
    car = refused_car(emu, auth, access, store)
    assert car.odometer().distance > 0
    assert emu.refreshes() == 1
    statuses = [r["status"] for r in emu.requests()
                if r["path"].endswith("/odometer")]
    assert statuses == [401, 200]
    assert store.get("owner").refresh_token != access.refresh_token


def test_client_call_stored(emu, auth, access, store):
    vid = first_vehicle(access)
    store.put("owner", aged(access))
    data = auth.client.call_stored(store.core, "owner", "odometer",
                                   {"vehicle_id": vid})
    assert data["distance"] > 0
    with pytest.raises(smartcar.NotFoundError):
        auth.client.call_stored(store.core, "nobody", "odometer",
                                {"vehicle_id": vid})
    with pytest.raises(TypeError):
        auth.client.call_stored(store, "owner", "odometer", {})


def test_store_refresh(emu, auth, access, store):
    store.put("owner", access)
    fresh = store.refresh("owner", auth)
    assert fresh.refresh_token != access.refresh_token
    assert store.get("owner") == fresh
    # the raw core call, with the Client itself
    raw = store.core.refresh(auth.client, "owner")
    assert raw["refresh_token"] != fresh.refresh_token
    with pytest.raises(smartcar.NotFoundError):
        store.refresh("nobody", auth)


def test_exchange_code_and_refresh_save_to_the_store(emu, auth, store):
    from conftest import authorize

    access = auth.exchange_code(authorize(emu, auth), store=store,
                                key="user-9")
    assert store.get("user-9") == access
    again = auth.exchange_refresh_token(access.refresh_token, store=store,
                                        key="user-9")
    assert store.get("user-9") == again
    with pytest.raises(smartcar.InvalidArgumentError):
        auth.exchange_refresh_token(again.refresh_token, store=store)
    with pytest.raises(TypeError):
        auth.exchange_refresh_token(again.refresh_token, store=object(),
                                    key="k")


def test_two_stores_on_one_file(emu, auth, access, tmp_path):
    path = tmp_path / "tokens.db"
    vid = first_vehicle(access)
    first, second = smartcar.TokenStore(path), smartcar.TokenStore(path)
    first.put("owner", aged(access))
    emu.clear_requests()
    smartcar.Vehicle(vid, store=first, key="owner",
                     options={"client": auth}).odometer()
    assert emu.refreshes() == 1
    seen = second.get("owner")
    assert seen.refresh_token != access.refresh_token
    # the second store uses the first's refresh: no refresh of its own
    smartcar.Vehicle(vid, store=second, key="owner",
                     options={"client": auth}).odometer()
    assert emu.refreshes() == 1
    # a forced refresh through the second is seen by the first
    rotated = second.refresh("owner", auth)
    assert first.get("owner") == rotated
    first.close()
    second.close()


def test_threads_sharing_a_store_refresh_once(emu, auth, access, store):
    vid = first_vehicle(access)
    store.put("owner", aged(access))
    emu.clear_requests()
    car = smartcar.Vehicle(vid, store=store, key="owner",
                           options={"client": auth})
    results = []

    def work():
        results.append(car.odometer().distance)

    failures = in_threads(work, 8)
    assert not failures
    assert len(results) == 8
    assert emu.refreshes() == 1


_WORKER = textwrap.dedent("""
    import sys, time
    import smartcar_native as smartcar
    path, vid, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    store = smartcar.TokenStore(path)
    while time.time() < start:
        time.sleep(0.001)
    print(smartcar.Vehicle(vid, store=store, key="owner").odometer().distance)
""")


def test_processes_sharing_a_file_never_lose_the_set(emu, access, tmp_path):
    path = str(tmp_path / "tokens.db")
    vid = first_vehicle(access)
    store = smartcar.TokenStore(path)
    store.put("owner", aged(access))
    emu.clear_requests()
    start = time.time() + 1.5
    env = dict(os.environ)
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, path, vid,
                          repr(start)], env=env, cwd=str(REPO / "tests"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err.decode()
        assert float(out) > 0
    # one refresh: the first process's lease makes the others wait and
    # adopt its set; and the stored set is a live one
    assert emu.refreshes() == 1
    final = store.get("owner")
    assert final.refresh_token != access.refresh_token
    before = emu.refreshes()
    smartcar.Vehicle(vid, final.access_token).odometer()
    smartcar.Vehicle(vid, store=store, key="owner").odometer()
    assert emu.refreshes() == before
    store.close()


def test_run_many_with_stored_vehicles(emu, auth, access, store):
    vid = first_vehicle(access)
    store.put("owner", aged(access))
    car = smartcar.Vehicle(vid, store=store, key="owner",
                           options={"client": auth})
    results = smartcar.run_many([(car, "odometer"), (car, "attributes")])
    assert results[0].distance > 0
    assert results[1].id == vid
    assert store.get("owner").refresh_token != access.refresh_token


def test_run_many_refreshes_once_after_a_401(emu, auth, access, store):
    car = refused_car(emu, auth, access, store)
    results = smartcar.run_many([(car, "odometer")] * 4 +
                                [(car, "attributes")], max_in_flight=5)
    assert all(r.distance > 0 for r in results[:4])
    assert results[4].id == car.vehicle_id
    # every call was refused once at most, and one refresh served all
    assert emu.refreshes() == 1
    statuses = [r["status"] for r in emu.requests()
                if r["path"].endswith("/odometer")]
    assert statuses.count(200) == 4 and statuses.count(401) <= 4
    assert store.get("owner").refresh_token != access.refresh_token


def test_call_many_takes_store_calls(emu, auth, access, store):
    vid = first_vehicle(access)
    store.put("owner", aged(access))
    core = smartcar.Vehicle(vid, store=store, key="owner",
                            options={"client": auth}).client
    out = core.call_many([
        ("odometer", {"vehicle_id": vid}, store.core, "owner"),
        ("odometer", {"vehicle_id": vid}, store.core, "nobody"),
        ("no_such_endpoint", {}),
        ("odometer", {"vehicle_id": vid, "access_token": "x"}, store.core,
         "owner"),
    ])
    assert out[0]["distance"] > 0
    assert isinstance(out[1], smartcar.NotFoundError)
    assert isinstance(out[2], smartcar.InvalidArgumentError)
    assert isinstance(out[3], smartcar.InvalidArgumentError)
    assert emu.refreshes() == 1
    with pytest.raises(TypeError):
        core.call_many([("odometer", {}, "not a store", "owner")])


def test_store_errors_hold_no_secrets(emu, auth, access, store):
    vid = first_vehicle(access)
    dead = access._replace(expiration=PAST,
                           refresh_token="dead-refresh-token-0123456789")
    store.put("owner", dead)
    car = smartcar.Vehicle(vid, store=store, key="owner",
                           options={"client": auth})
    with pytest.raises(smartcar.OAuthError) as info:
        car.odometer()
    assert info.value.type == "invalid_grant"
    assert_no_secrets(info.value, dead.refresh_token, dead.access_token,
                      CLIENT_SECRET)
    # the failed refresh left the stored set alone
    assert store.get("owner") == dead
    # a refresh with a client that has the wrong secret
    bad = smartcar.AuthClient(client_secret="wrong-secret-for-store")
    store.put("owner", aged(access))
    with pytest.raises(smartcar.OAuthError) as info:
        store.refresh("owner", bad)
    assert_no_secrets(info.value, access.refresh_token, access.access_token,
                      "wrong-secret-for-store")
    bad.close()


def test_vehicle_store_arguments(store):
    store.put("k", sample())
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.Vehicle("vid", store=store)
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.Vehicle("vid", key="k")
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.Vehicle("vid", "token", store=store, key="k")
    with pytest.raises(TypeError):
        smartcar.Vehicle("vid", store="tokens.db", key="k")
    with pytest.raises(TypeError):
        smartcar.Vehicle("vid")  # neither a token nor a store
    car = smartcar.Vehicle("vid", store=store.core, key="k")
    assert car.store is store.core


def test_closing_a_store_while_a_call_runs(emu, auth, access, store):
    vid = first_vehicle(access)
    store.put("owner", access)
    emu.request("POST", "/_emulator/faults", {
        "match": {"method": "GET", "path": "/v2.0/vehicles/*/odometer"},
        "count": 1, "fault": {"type": "latency", "ms": 300}})
    car = smartcar.Vehicle(vid, store=store, key="owner",
                           options={"client": auth})
    out = []
    thread = threading.Thread(target=lambda: out.append(car.odometer()))
    thread.start()
    time.sleep(0.1)
    store.close()  # deferred until the call is done
    thread.join()
    assert out and out[0].distance > 0
    assert store.closed
    with pytest.raises(ValueError):
        car.odometer()


def test_client_needs_credentials_to_refresh(emu, access, store,
                                             monkeypatch):
    vid = first_vehicle(access)
    store.put("owner", aged(access))
    monkeypatch.delenv("SMARTCAR_CLIENT_SECRET")
    plain = smartcar.Client(client_id=CLIENT_ID)
    car = smartcar.Vehicle(vid, store=store, key="owner",
                           options={"client": plain})
    with pytest.raises(smartcar.InvalidArgumentError) as info:
        car.odometer()
    assert "client_secret" in str(info.value)
    assert_no_secrets(info.value, access.refresh_token, access.access_token)
    plain.close()
