"""The example app's own tables, in the same SQLite file as its tokens.

The token sets themselves live in ``smartcar_native.TokenStore`` (table
``smartcar_tokens``, written only by the library), one per Connect (an
owner may connect cars of several brands, each time getting a token set
for the cars shared then).  This module keeps what the application adds
around them: its users, which token set reaches which of their cars, the
Connect states it issued to mobile apps, the bearer sessions of those
apps, the webhook deliveries it received, and the key that signs its
session cookies.
"""

import hashlib
import json
import secrets
import sqlite3
import threading
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS app_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS app_users (id TEXT PRIMARY KEY, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS app_pending_states (
    user_id TEXT NOT NULL, flow TEXT NOT NULL, state TEXT NOT NULL,
    issued_at REAL NOT NULL, PRIMARY KEY (user_id, flow));
CREATE TABLE IF NOT EXISTS app_sessions (
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS app_vehicles (
    user_id TEXT NOT NULL, vehicle_id TEXT NOT NULL, token_key TEXT NOT NULL,
    PRIMARY KEY (user_id, vehicle_id));
CREATE TABLE IF NOT EXISTS app_webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received_at REAL NOT NULL,
    event_type TEXT, vehicle_id TEXT, body TEXT NOT NULL);
"""

# Connect codes live 10 minutes; a state older than that cannot match one.
STATE_LIFETIME_S = 600


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class AppDB:
    """One connection per thread to the app's database file."""

    def __init__(self, path):
        self.path = path
        self._local = threading.local()
        with self._conn() as c:
            c.executescript(SCHEMA)

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10)
            self._local.conn = conn
        return conn

    def setting(self, name, make):
        """The stored value of ``name``; made with ``make()`` and saved the
        first time, so it survives restarts."""
        with self._conn() as c:
            c.execute("INSERT OR IGNORE INTO app_settings VALUES (?, ?)",
                      (name, make()))
            return c.execute("SELECT value FROM app_settings WHERE name = ?",
                             (name,)).fetchone()[0]

    def new_user(self):
        uid = secrets.token_hex(16)
        with self._conn() as c:
            c.execute("INSERT INTO app_users VALUES (?, ?)", (uid, time.time()))
        return uid

    def user_exists(self, uid):
        row = self._conn().execute("SELECT 1 FROM app_users WHERE id = ?",
                                   (uid,)).fetchone()
        return row is not None

    # -- states issued to apps that cannot keep a cookie (mobile) --------

    def issue_state(self, uid, flow, state):
        with self._conn() as c:
            c.execute("INSERT OR REPLACE INTO app_pending_states "
                      "VALUES (?, ?, ?, ?)", (uid, flow, state, time.time()))

    def take_state(self, uid, flow):
        """The state last issued to ``uid`` for ``flow``, removed so it is
        used once; None when there is none or it is too old."""
        with self._conn() as c:
            row = c.execute("SELECT state, issued_at FROM app_pending_states "
                            "WHERE user_id = ? AND flow = ?",
                            (uid, flow)).fetchone()
            c.execute("DELETE FROM app_pending_states "
                      "WHERE user_id = ? AND flow = ?", (uid, flow))
        if row is None or time.time() - row[1] > STATE_LIFETIME_S:
            return None
        return row[0]

    # -- bearer sessions of mobile apps ----------------------------------

    def new_session(self, uid):
        """A bearer token for ``uid``; only its hash is kept."""
        token = secrets.token_urlsafe(32)
        with self._conn() as c:
            c.execute("INSERT INTO app_sessions VALUES (?, ?, ?)",
                      (_hash(token), uid, time.time()))
        return token

    def session_user(self, token):
        row = self._conn().execute(
            "SELECT user_id FROM app_sessions WHERE token_hash = ?",
            (_hash(token),)).fetchone()
        return row[0] if row else None

    def end_sessions(self, uid):
        with self._conn() as c:
            c.execute("DELETE FROM app_sessions WHERE user_id = ?", (uid,))

    # -- which token set (TokenStore key) reaches which car ---------------

    def set_vehicles(self, uid, key, vehicle_ids):
        """Note that ``key``'s token set reaches these cars (a car connected
        again moves to the newer set); returns the user's keys that no car
        uses any more."""
        with self._conn() as c:
            before = {r[0] for r in c.execute(
                "SELECT DISTINCT token_key FROM app_vehicles WHERE user_id = ?",
                (uid,))}
            c.executemany("INSERT OR REPLACE INTO app_vehicles VALUES (?, ?, ?)",
                          [(uid, vid, key) for vid in vehicle_ids])
            after = {r[0] for r in c.execute(
                "SELECT DISTINCT token_key FROM app_vehicles WHERE user_id = ?",
                (uid,))}
        return sorted(before - after)

    def vehicles_of(self, uid):
        """[(vehicle id, token key)] in the order they were connected."""
        return self._conn().execute(
            "SELECT vehicle_id, token_key FROM app_vehicles WHERE user_id = ? "
            "ORDER BY rowid", (uid,)).fetchall()

    def key_of(self, uid, vid):
        row = self._conn().execute(
            "SELECT token_key FROM app_vehicles WHERE user_id = ? "
            "AND vehicle_id = ?", (uid, vid)).fetchone()
        return row[0] if row else None

    def forget_vehicles(self, uid):
        """Drop the user's cars; returns the token keys they used."""
        with self._conn() as c:
            keys = [r[0] for r in c.execute(
                "SELECT DISTINCT token_key FROM app_vehicles WHERE user_id = ?",
                (uid,))]
            c.execute("DELETE FROM app_vehicles WHERE user_id = ?", (uid,))
        return keys

    # -- webhook deliveries ----------------------------------------------

    def add_event(self, event_type, vehicle_id, body):
        with self._conn() as c:
            c.execute("INSERT INTO app_webhook_events "
                      "(received_at, event_type, vehicle_id, body) "
                      "VALUES (?, ?, ?, ?)",
                      (time.time(), event_type, vehicle_id, body))

    def events_for(self, vehicle_ids, limit=5):
        """The latest deliveries about these vehicles, newest first."""
        if not vehicle_ids:
            return []
        marks = ",".join("?" * len(vehicle_ids))
        rows = self._conn().execute(
            "SELECT received_at, event_type, vehicle_id, body "
            "FROM app_webhook_events WHERE vehicle_id IN (%s) "
            "ORDER BY id DESC LIMIT ?" % marks,
            (*vehicle_ids, limit)).fetchall()
        return [{"received_at": r[0], "event_type": r[1], "vehicle_id": r[2],
                 "body": json.loads(r[3])} for r in rows]
