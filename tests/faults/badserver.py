"""A small misbehaving HTTP server for the faults the emulator cannot
produce: connections dropped before or after the request is read, the
second request on a kept-alive connection dropped, an answer later than
the client's timeout, absurd Retry-After
values, huge headers, a slow body, a 100-continue that never comes, and
TLS failures.  It counts the requests whose head it read ("seen").

The fault matrix (run.py) sets ``mode`` (and ``status``, ``headers``,
``body``) before each row; each connection reads them as it goes.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from typing import Dict, Optional

MODES = ("ok", "drop_before_read", "drop_after_read", "keepalive_drop",
         "status", "huge_headers", "slow_body", "continue_hang",
         "tls_garbage", "echo", "latency")


class BadServer:
    def __init__(self, tls_context: Optional[ssl.SSLContext] = None) -> None:
        self.mode = "ok"
        self.status = 200
        self.delay_ms = 0
        self.headers: Dict[str, str] = {}
        self.body = b"{}"
        self.seen = 0
        self._lock = threading.Lock()
        self._tls = tls_context
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        scheme = "https" if tls_context else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str, status: int = 200,
            headers: Optional[Dict[str, str]] = None,
            body: bytes = b"{}", delay_ms: int = 0) -> None:
        assert mode in MODES, mode
        with self._lock:
            self.mode, self.status, self.delay_ms = mode, status, delay_ms
            self.headers, self.body = dict(headers or {}), body
            self.seen = 0

    def close(self) -> None:
        self._stop.set()
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _count(self) -> None:
        with self._lock:
            self.seen += 1

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        try:
            if self.mode == "tls_garbage":
                # not TLS at all where the client expects a handshake
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                return
            if self.mode == "drop_before_read":
                return
            if self._tls:
                try:
                    conn = self._tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client refused our certificate
            self._requests(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _requests(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        number = 0
        while not self._stop.is_set():
            head = _read_head(reader)
            if head is None:
                return
            number += 1
            mode = self.mode
            self._count()
            if mode == "continue_hang":
                # never "100 Continue", never an answer: hold the
                # connection until the client gives up
                while conn.recv(4096):
                    pass
                return
            if head.get("expect", "").lower() == "100-continue":
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = reader.read(int(head.get("content-length", "0") or 0))
            if mode == "echo":
                self._echo(conn, head, body)
                continue
            if mode == "drop_after_read":
                return
            if mode == "keepalive_drop" and number == 2:
                return
            if mode == "latency":
                # the answer comes after delay_ms (the client has left)
                time.sleep(self.delay_ms / 1000)
                self._answer(conn, 200, {})
            elif mode == "huge_headers":
                self._answer(conn, 200, {"X-Huge": "h" * 200_000})
            elif mode == "slow_body":
                self._slow(conn)
                return
            elif mode == "status":
                self._answer(conn, self.status, self.headers)
            else:
                self._answer(conn, 200, {})

    def _answer(self, conn: socket.socket, status: int,
                headers: Dict[str, str]) -> None:
        lines = ["HTTP/1.1 %d Fault" % status,
                 "Content-Type: application/json",
                 "Content-Length: %d" % len(self.body)]
        lines += ["%s: %s" % kv for kv in headers.items()]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + self.body)

    def _echo(self, conn: socket.socket, head: Dict[str, str],
              body: bytes) -> None:
        """400 echoing the request back in every form a careless server
        might: as received, decoded, percent-encoded again, the body in
        base64, in an OAuth error's description and in a header."""
        raw = "\n".join("%s: %s" % kv for kv in head.items())
        raw += "\n" + body.decode("latin-1")
        forms = [raw, urllib.parse.unquote_plus(raw),
                 urllib.parse.quote(raw), urllib.parse.quote_plus(raw),
                 base64.b64encode(body).decode()]
        text = " | ".join(forms)
        self.body = json.dumps({"error": "invalid_grant",
                                "error_description": text}).encode()
        self._answer(conn, 400, {"X-Echo": urllib.parse.quote(text)})

    def _slow(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(self.body))
        for i in range(len(self.body)):
            if self._stop.is_set():
                return
            conn.sendall(self.body[i:i + 1])
            time.sleep(0.2)


def _read_head(reader) -> Optional[Dict[str, str]]:
    """The request line and headers (lower-case names), or None at EOF."""
    line = reader.readline(65536)
    while line in (b"\r\n", b"\n"):
        line = reader.readline(65536)
    if not line:
        return None
    head = {"request-line": line.decode("latin-1").strip()}
    while True:
        line = reader.readline(65536)
        if not line or line in (b"\r\n", b"\n"):
            return head
        name, _, value = line.decode("latin-1").partition(":")
        head[name.strip().lower()] = value.strip()


if __name__ == "__main__":
    # python3 badserver.py MODE [SECONDS]: serve in MODE, print the URL
    # and the process id, stop after SECONDS (default 60) or when killed
    # (for the suites of other languages)
    server = BadServer()
    mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
    # "status" answers 400 with a v2 VALIDATION error to everything
    server.set(mode, 400, body=json.dumps({
        "type": "VALIDATION", "code": "PARAMETER", "statusCode": 400,
        "description": "refused"}).encode())
    print(server.url, os.getpid(), flush=True)
    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 60)
    server.close()
