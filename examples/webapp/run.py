#!/usr/bin/env python3
"""Serve the example back end (app.py).

    python examples/webapp/run.py [--host 127.0.0.1] [--port 8000]
    python examples/webapp/run.py --emulator [--port 0]
    python examples/webapp/run.py --port N --emulator-url URL

The first line on stdout is the app's URL.  Without ``--emulator`` the
app talks to whatever the ``SMARTCAR_*`` variables say (real Smartcar
when no ``SMARTCAR_*_ORIGIN`` is set; see README.md).  With
``--emulator`` it first listens, then starts a private smartcar-emulator
whose registered redirect URIs are this app's three (``/callback``, the
JavaScript SDK page for this origin, ``sc<client_id>://exchange``), points
every Smartcar origin at it, registers a webhook to ``/webhooks/smartcar``
and stops the emulator on exit.  That is what ``scripts/demo.sh --web``
runs.  ``--emulator-url`` points the app at an emulator already running
(the browser tests restart the app while theirs keeps its state).
"""

import argparse
import json
import os
import signal
import sys
import threading
import urllib.request
import uuid

from werkzeug.serving import make_server

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The emulator's built-in application (docs/emulator.md).
EMULATOR_APP = {
    "SMARTCAR_CLIENT_ID": "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07",
    "SMARTCAR_CLIENT_SECRET": "emulator-client-secret",
    "SMARTCAR_MANAGEMENT_TOKEN": "emulator-management-token",
}


def emulator_env(base, origin):
    """The environment that points the app at the emulator at ``base``."""
    env = dict(EMULATOR_APP)
    env.update({
        "SMARTCAR_REDIRECT_URI": origin + "/callback",
        "SMARTCAR_MODE": "test",
        # the emulator's stand-in for the JavaScript SDK page
        "WEBAPP_SPA_REDIRECT_URI": base + "/v2/redirect?app_origin=" + origin,
    })
    for var in ("SMARTCAR_CONNECT_ORIGIN", "SMARTCAR_AUTH_ORIGIN",
                "SMARTCAR_API_ORIGIN", "SMARTCAR_MANAGEMENT_API_ORIGIN"):
        env[var] = base
    return env


def start_emulator(binary, origin):
    """A smartcar-emulator that accepts this app's three redirect URIs;
    returns (process, base URL)."""
    sys.path.insert(0, os.path.dirname(HERE))
    from quickstart import start_emulator as start

    hosted = ("https://javascript-sdk.smartcar.com/v2/redirect?app_origin="
              + origin)
    return start(binary,
                 "--redirect-uri", origin + "/callback",
                 "--redirect-uri", hosted,
                 "--redirect-uri",
                 "sc%s://exchange" % EMULATOR_APP["SMARTCAR_CLIENT_ID"])


def register_webhook(base, webhook_id, callback_url):
    """Ask the emulator to send webhooks to the app; it verifies the
    callback with a signed challenge first."""
    body = json.dumps({"webhook_id": webhook_id, "name": "My Garage",
                       "callback_url": callback_url}).encode()
    req = urllib.request.Request(base + "/_emulator/webhooks", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp).get("verified")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=None,
                    help="default 8000, or a free port with --emulator")
    ap.add_argument("--emulator", nargs="?", const=os.path.join(
        ROOT, "build", "smartcar-emulator"), metavar="BINARY",
        help="start a private smartcar-emulator (default build/...)")
    ap.add_argument("--emulator-url", metavar="URL",
                    help="use a running smartcar-emulator (its redirect "
                    "URIs must include this app's)")
    args = ap.parse_args()
    port = args.port if args.port is not None else (
        0 if args.emulator else 8000)

    try:
        server = make_server(args.host, port, None, threaded=True)
    except OSError as e:
        sys.exit("cannot listen on %s:%d: %s" % (args.host, port, e))
    host = "localhost" if args.host in ("127.0.0.1", "::1") else args.host
    origin = "http://%s:%d" % (host, server.server_port)

    emulator, base = None, args.emulator_url
    if args.emulator:
        emulator, base = start_emulator(args.emulator, origin)
        os.environ["SMARTCAR_WEBHOOK_ID"] = str(uuid.uuid4())
        if "WEBAPP_DB" not in os.environ:
            # a new emulator knows none of an earlier run's tokens
            os.environ["WEBAPP_DB"] = os.path.join(ROOT, "build",
                                                   "webapp-demo.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(os.environ["WEBAPP_DB"] + suffix):
                    os.remove(os.environ["WEBAPP_DB"] + suffix)
    if base:
        os.environ.update(emulator_env(base.rstrip("/"), origin))

    sys.path.insert(0, HERE)
    from app import create_app  # after the environment is set

    server.app = create_app()
    print(origin + "/", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        if emulator:
            verified = register_webhook(
                base, os.environ["SMARTCAR_WEBHOOK_ID"],
                "http://127.0.0.1:%d/webhooks/smartcar" % server.server_port)
            print("smartcar-emulator at %s (webhook verified: %s)"
                  % (base, verified), flush=True)
            print("Open %s/ in a browser; Ctrl-C stops both." % origin,
                  flush=True)
        thread.join()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
        if emulator:
            emulator.terminate()
            emulator.wait(timeout=10)


if __name__ == "__main__":
    main()
