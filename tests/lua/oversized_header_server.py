"""An HTTP server whose every answer carries one header line of the size
given as argv[1] (bytes), for the "response too large" specs.  Prints its
base URL, then serves on 127.0.0.1 until stdin closes."""
import http.server
import sys
import threading

SIZE = int(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b'{"distance":1234.5}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Big", "a" * SIZE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the client hangs up on purpose


server = Server(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("http://127.0.0.1:%d" % server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
