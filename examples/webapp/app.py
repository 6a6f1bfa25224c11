"""The back end of the three example integrations (docs/architectures.md).

One Flask application serves:

- the **server-side web app**: landing page, ``/connect`` (state kept in
  the signed session cookie), ``/callback`` (state checked, code
  exchanged, tokens saved by ``smartcar_native.TokenStore``), the
  dashboard with lock/unlock, and disconnect;
- the JSON API of the **single-page app** (``examples/spa/``, served at
  ``/spa/``): ``/api/spa/config`` hands out the state, ``/api/spa/exchange``
  takes the code the JavaScript SDK's popup returned;
- the JSON API of a **mobile app** (``examples/mobile/``):
  ``/api/mobile/connect`` issues a state and the Connect URL with the
  ``sc<client_id>://exchange`` redirect, ``/api/mobile/exchange`` takes
  the redirect the app caught;
- ``/api/vehicles`` (and lock, unlock, disconnect) for both;
- ``/webhooks/smartcar``, which verifies each delivery's signature.

Configuration comes from the environment (see ``Config`` and
examples/webapp/README.md); ``run.py`` serves it, with a private
smartcar-emulator when given ``--emulator``.
"""

import hmac
import os
import secrets
import time
import urllib.parse
from datetime import timedelta

from flask import (Flask, abort, flash, jsonify, make_response, redirect,
                   render_template, request, send_from_directory, session,
                   url_for)

import smartcar_native as smartcar
from appdb import AppDB

HERE = os.path.dirname(os.path.abspath(__file__))
SPA_DIR = os.path.join(os.path.dirname(HERE), "spa")
SDK_FILE = os.path.join("node_modules", "@smartcar", "auth", "dist", "npm",
                        "sdk.js")

# What the dashboard shows and does.
SCOPE = ["required:read_vehicle_info", "read_odometer", "read_battery",
         "read_fuel", "read_location", "read_security", "control_security"]
# One batch request per car; each path succeeds or fails on its own (an
# electric car has no /fuel, a petrol one no /battery).
PATHS = ["/", "/odometer", "/battery", "/fuel", "/location", "/security"]


class Config:
    """The app's settings, from environment variables.

    Required: ``SMARTCAR_CLIENT_ID``, ``SMARTCAR_CLIENT_SECRET``.
    ``SMARTCAR_REDIRECT_URI`` (default ``http://localhost:8000/callback``)
    is this app's ``/callback`` as registered with Smartcar;
    ``SMARTCAR_MODE`` is ``test`` (default), ``live`` or ``simulated``;
    ``SMARTCAR_MANAGEMENT_TOKEN`` (the AMT) turns the webhook endpoint on
    and ``SMARTCAR_WEBHOOK_ID`` subscribes newly connected cars to that
    webhook.  ``WEBAPP_DB`` is the database file (default ``webapp.db``),
    ``WEBAPP_SECRET_KEY`` signs the session cookie (default: a key made
    once and kept in the database).  The single-page and mobile redirect
    URIs default to Smartcar's forms for this app's origin and client id
    (``WEBAPP_SPA_REDIRECT_URI``, ``WEBAPP_MOBILE_REDIRECT_URI`` override
    them).  ``SMARTCAR_*_ORIGIN`` point the library (and the single-page
    app's Connect popup) at another server, such as smartcar-emulator.
    """

    def __init__(self, env=None):
        env = os.environ if env is None else env
        missing = [v for v in ("SMARTCAR_CLIENT_ID", "SMARTCAR_CLIENT_SECRET")
                   if not env.get(v)]
        if missing:
            raise SystemExit("set " + " and ".join(missing)
                             + " (see examples/webapp/README.md)")
        self.client_id = env["SMARTCAR_CLIENT_ID"]
        self.client_secret = env["SMARTCAR_CLIENT_SECRET"]
        self.redirect_uri = env.get("SMARTCAR_REDIRECT_URI",
                                    "http://localhost:8000/callback")
        parts = urllib.parse.urlsplit(self.redirect_uri)
        self.origin = "%s://%s" % (parts.scheme, parts.netloc)
        self.mode = env.get("SMARTCAR_MODE", "test")
        self.amt = env.get("SMARTCAR_MANAGEMENT_TOKEN") or None
        self.webhook_id = env.get("SMARTCAR_WEBHOOK_ID") or None
        self.spa_redirect_uri = env.get("WEBAPP_SPA_REDIRECT_URI") or (
            "https://javascript-sdk.smartcar.com/v2/redirect?app_origin="
            + self.origin)
        self.mobile_redirect_uri = (env.get("WEBAPP_MOBILE_REDIRECT_URI")
                                    or "sc%s://exchange" % self.client_id)
        self.connect_origin = env.get("SMARTCAR_CONNECT_ORIGIN") or None
        self.db = env.get("WEBAPP_DB", "webapp.db")
        self.secret_key = env.get("WEBAPP_SECRET_KEY") or None


class NotConnected(Exception):
    """The car is not one the user has connected (or no longer)."""


def _read(getter):
    """One path of a batch: its value, or None when that path failed."""
    try:
        return getter()
    except smartcar.SmartcarException:
        return None


def _summary(vid, b, error=None):
    """A car as the pages show it, from its batch ``b`` (None: nothing
    could be read, ``error`` says why)."""
    def read(name):
        return _read(getattr(b, name)) if b is not None else None
    attrs, odo, loc, lock = (read("attributes"), read("odometer"),
                             read("location"), read("lock_status"))
    battery, fuel = read("battery"), read("fuel")
    energy = None
    if battery is not None:
        energy = {"kind": "battery", "percent": battery.percent_remaining,
                  "range_km": battery.range}
    elif fuel is not None:
        energy = {"kind": "fuel", "percent": fuel.percent_remaining,
                  "range_km": fuel.range}
    return {
        "id": vid,
        "make": attrs.make if attrs else None,
        "model": attrs.model if attrs else None,
        "year": attrs.year if attrs else None,
        "odometer_km": odo.distance if odo else None,
        "energy": energy,
        "location": ({"latitude": loc.latitude, "longitude": loc.longitude}
                     if loc else None),
        "locked": lock.is_locked if lock else None,
        "error": error,
    }


class Cars:
    """Everything the app asks of Smartcar, through smartcar_native."""

    def __init__(self, cfg, store, db):
        self.cfg, self.store, self.db = cfg, store, db

        def client(redirect_uri):
            return smartcar.AuthClient(cfg.client_id, cfg.client_secret,
                                       redirect_uri, mode=cfg.mode)
        self.web = client(cfg.redirect_uri)
        self.spa = client(cfg.spa_redirect_uri)
        self.mobile = client(cfg.mobile_redirect_uri)

    def connected(self, uid):
        return bool(self.db.vehicles_of(uid))

    def finish_connect(self, client, uid, redirect):
        """The redirect Connect sent back, already checked against its
        state: exchange the code, save the token set under a key of its
        own, and note which cars it reaches."""
        key = "%s/%s" % (uid, secrets.token_hex(8))
        client.exchange_code(redirect.code, store=self.store, key=key)
        data = self.web.client.call_stored(self.store.core, key,
                                           "get_vehicles", {"limit": 50})
        for unused in self.db.set_vehicles(uid, key, data["vehicles"]):
            self.store.delete(unused)
        if self.cfg.webhook_id:
            for vid in data["vehicles"]:
                self.vehicle(uid, vid).subscribe(self.cfg.webhook_id)

    def vehicle(self, uid, vid):
        key = self.db.key_of(uid, vid)
        if key is None:
            raise NotConnected()
        return smartcar.Vehicle(vid, store=self.store, key=key,
                                options={"client": self.web})

    def vehicles(self, uid):
        return [self.summary(uid, vid) for vid, _ in self.db.vehicles_of(uid)]

    def summary(self, uid, vid):
        try:
            return _summary(vid, self.vehicle(uid, vid).batch(PATHS))
        except (smartcar.AuthenticationError, smartcar.OAuthError,
                smartcar.PermissionDeniedError) as e:
            # this car's connection ended (revoked, or the refresh token
            # expired): show it, and let the owner connect it again
            return _summary(vid, None, error=str(e))

    def command(self, uid, vid, action):
        car = self.vehicle(uid, vid)
        car.lock() if action == "lock" else car.unlock()

    def disconnect(self, uid):
        """Revoke every car's access, then forget the tokens."""
        for vid, _ in self.db.vehicles_of(uid):
            try:
                self.vehicle(uid, vid).disconnect()
            except smartcar.SmartcarException:
                pass  # already gone: nothing left to revoke
        for key in self.db.forget_vehicles(uid):
            self.store.delete(key)


def create_app(cfg=None):
    cfg = cfg or Config()
    db = AppDB(cfg.db)
    store = smartcar.TokenStore(cfg.db)
    cars = Cars(cfg, store, db)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=cfg.secret_key or db.setting(
            "session_key", lambda: secrets.token_hex(32)),
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
    )

    # -- who is asking ---------------------------------------------------

    def web_user():
        uid = session.get("uid")
        return uid if uid and db.user_exists(uid) else None

    def ensure_web_user():
        uid = web_user() or db.new_user()
        session["uid"] = uid
        session.permanent = True
        return uid

    def csrf_token():
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(24)
        return session["csrf"]

    def csrf_ok(given):
        return bool(given) and hmac.compare_digest(
            given, session.get("csrf", ""))

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.filters["utc_time"] = lambda t: time.strftime(
        "%Y-%m-%d %H:%M:%S", time.gmtime(t))

    def api_user(optional=False):
        """A mobile app's bearer session, or the browser's cookie session
        (whose POSTs must carry the CSRF token in ``X-CSRF-Token``)."""
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            uid = db.session_user(auth[7:])
        else:
            uid = web_user()
            if uid and request.method == "POST" and not csrf_ok(
                    request.headers.get("X-CSRF-Token")):
                abort(make_response(jsonify(
                    error="csrf", message="missing CSRF token"), 403))
        if uid is None and not optional:
            abort(make_response(jsonify(
                error="unauthenticated", message="no session"), 401))
        return uid

    @app.errorhandler(NotConnected)
    def not_connected(_):
        if request.path.startswith("/api/"):
            return jsonify(error="not_connected",
                           message="connect a car first"), 409
        flash("Your car is not connected. Connect it again.")
        return redirect(url_for("landing"))

    @app.errorhandler(smartcar.SmartcarException)
    def smartcar_failed(e):
        # str(e) never holds a token, secret or code (the library
        # redacts them), so it can be shown.
        if request.path.startswith("/api/"):
            return jsonify(error=e.kind, message=str(e)), 502
        return render_template("error.html", message=str(e)), 502

    # -- server-side web app ---------------------------------------------

    @app.get("/")
    def landing():
        uid = web_user()
        if uid and cars.connected(uid):
            return redirect(url_for("dashboard"))
        return render_template("landing.html")

    @app.get("/connect")
    def connect():
        ensure_web_user()
        url, state = cars.web.get_auth_url_with_state(SCOPE)
        session["connect_state"] = state
        return redirect(url)

    @app.get("/callback")
    def callback():
        uid = web_user()
        expected = session.pop("connect_state", None)
        if uid is None or expected is None:
            return render_template(
                "error.html", message="No Connect was started from this "
                "browser. Start again from the home page."), 400
        try:
            r = smartcar.parse_redirect(request.query_string.decode(),
                                        expected_state=expected)
        except smartcar.StateMismatchError:
            return render_template(
                "error.html", message="This answer from Connect does not "
                "belong to the Connect you started (state mismatch)."), 400
        except smartcar.ConnectError as e:
            flash("Connect did not finish: %s" % (e.description or e.error))
            return redirect(url_for("landing"))
        cars.finish_connect(cars.web, uid, r)
        return redirect(url_for("dashboard"))

    @app.get("/dashboard")
    def dashboard():
        uid = web_user()
        if uid is None or not cars.connected(uid):
            return redirect(url_for("landing"))
        vehicles = cars.vehicles(uid)
        events = db.events_for([v["id"] for v in vehicles])
        return render_template("dashboard.html", vehicles=vehicles,
                               events=events)

    @app.post("/vehicles/<vid>/<any(lock, unlock):action>")
    def command(vid, action):
        uid = web_user()
        if uid is None or not csrf_ok(request.form.get("csrf")):
            abort(403)
        cars.command(uid, vid, action)
        return redirect(url_for("dashboard"))

    @app.post("/disconnect")
    def disconnect():
        uid = web_user()
        if uid is None or not csrf_ok(request.form.get("csrf")):
            abort(403)
        cars.disconnect(uid)
        session.clear()
        flash("Disconnected. The app no longer has access to your car.")
        return redirect(url_for("landing"))

    # -- webhooks ----------------------------------------------------------

    # Smartcar delivers at least once: a retry keeps its eventId
    seen = smartcar.SeenEvents()

    @app.post("/webhooks/smartcar")
    def webhook():
        if not cfg.amt:
            abort(404)
        body = request.get_data()
        try:
            # VERIFY answered (Smartcar does not sign it), the signature of
            # anything else checked, repeats marked duplicate
            event = smartcar.receive_webhook(
                cfg.amt, request.headers.get("SC-Signature"), body, seen)
        except smartcar.WebhookSignatureError:
            return jsonify(error="bad signature"), 401
        except smartcar.MalformedResponseError:
            return jsonify(error="not a Smartcar delivery"), 400
        if event["event_type"] != "VERIFY" and not event["duplicate"]:
            db.add_event(event.get("event_type"), event.get("vehicle_id"),
                         body.decode("utf-8"))
        return app.response_class(event["reply"],
                                  mimetype="application/json")

    # -- single-page app ---------------------------------------------------

    @app.get("/spa/")
    @app.get("/spa/<path:name>")
    def spa(name="index.html"):
        if name == "vendor/smartcar-auth.js":
            name = SDK_FILE
            if not os.path.exists(os.path.join(SPA_DIR, name)):
                return ("@smartcar/auth is not installed: "
                        "run npm ci in examples/spa\n", 404)
        elif name not in ("index.html", "app.js"):
            abort(404)
        return send_from_directory(SPA_DIR, name)

    @app.get("/api/spa/config")
    def spa_config():
        ensure_web_user()
        session["spa_state"] = secrets.token_urlsafe(24)
        return jsonify(client_id=cfg.client_id,
                       redirect_uri=cfg.spa_redirect_uri, mode=cfg.mode,
                       scope=SCOPE, state=session["spa_state"],
                       connect_origin=cfg.connect_origin,
                       csrf=csrf_token())

    def posted_redirect():
        """The redirect an app forwards: ``{"url": ...}`` as caught, or
        its ``code`` and ``state``; as a query for parse_redirect."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            data = {}
        if isinstance(data.get("url"), str):
            return data["url"]
        fields = {k: data[k] for k in ("code", "state", "error",
                                       "error_description")
                  if isinstance(data.get(k), str)}
        return urllib.parse.urlencode(fields)

    def exchange(client, uid, expected):
        if expected is None:
            return jsonify(error="no_connect",
                           message="no Connect in progress"), 400
        try:
            r = smartcar.parse_redirect(posted_redirect(),
                                        expected_state=expected)
        except smartcar.StateMismatchError:
            return jsonify(error="state_mismatch",
                           message="state does not match"), 400
        except smartcar.ConnectError as e:
            return jsonify(error=e.error, message=str(e)), 400
        except smartcar.InvalidArgumentError as e:
            return jsonify(error="bad_redirect", message=str(e)), 400
        cars.finish_connect(client, uid, r)
        return jsonify(connected=True, vehicles=cars.vehicles(uid))

    @app.post("/api/spa/exchange")
    def spa_exchange():
        uid = api_user()
        return exchange(cars.spa, uid, session.pop("spa_state", None))

    # -- mobile app ----------------------------------------------------------

    @app.post("/api/mobile/connect")
    def mobile_connect():
        uid = api_user(optional=True)
        token = None
        if uid is None:
            uid = db.new_user()
            token = db.new_session(uid)
        url, state = cars.mobile.get_auth_url_with_state(SCOPE)
        db.issue_state(uid, "mobile", state)
        out = {"auth_url": url, "state": state}
        if token:
            out["session_token"] = token
        return jsonify(out)

    @app.post("/api/mobile/exchange")
    def mobile_exchange():
        uid = api_user()
        return exchange(cars.mobile, uid, db.take_state(uid, "mobile"))

    # -- shared JSON API -----------------------------------------------------

    @app.get("/api/vehicles")
    def api_vehicles():
        uid = api_user(optional=True)
        if uid is None or not cars.connected(uid):
            return jsonify(connected=False, vehicles=[])
        return jsonify(connected=True, vehicles=cars.vehicles(uid))

    @app.post("/api/vehicles/<vid>/<any(lock, unlock):action>")
    def api_command(vid, action):
        uid = api_user()
        cars.command(uid, vid, action)
        return jsonify(vehicle=cars.summary(uid, vid))

    @app.post("/api/disconnect")
    def api_disconnect():
        cars.disconnect(api_user())
        return jsonify(connected=False, vehicles=[])

    return app
