"""A real HTTP server on 127.0.0.1 that serves canned answers per path, for collectors and chat channels."""

from __future__ import annotations

import socket
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class Reply:
    """One canned answer; `hang` keeps the connection open without answering until the server stops, `drip` sends
    the body a byte at a time, that many seconds apart (a server too slow for any per-read timeout to catch); `length`
    is the Content-Length announced when it is not the body's (a connection that closes before the body's end), or
    with Transfer-Encoding chunked the size of the one chunk sent."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    drip: float = 0.0
    length: int | None = None

    @classmethod
    def file(cls, name: str, content_type: str = "application/json", status: int = 200) -> Reply:
        return cls(status, (DATA / name).read_bytes(), {"Content-Type": content_type})


class LocalServer:
    """Serves `routes[path]` answers in order (the last one repeats) and records every request path."""

    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, str, bytes]] = []
        self.headers: list[dict[str, str]] = []  # each request's headers, in the order of `requests`
        self._served: dict[str, int] = defaultdict(int)
        self._stop = threading.Event()
        handler = self._handler()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def close(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, method: str, path: str, body: bytes) -> Reply:
        self.requests.append((method, path, body))
        # Counted per route, not per address: a route without a query answers its replies in order whatever the
        # query asks (min_id=1040 after min_id=1000).
        key = path if path in self.routes else path.split("?")[0]
        replies = self.routes.get(key)
        if not replies:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        index = min(self._served[key], len(replies) - 1)
        self._served[key] += 1
        return replies[index]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.headers.append(dict(self.headers))
                reply = server._answer(method, self.path, self.rfile.read(length) if length else b"")
                if reply.hang:
                    server._stop.wait()
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.headers.get("Transfer-Encoding") == "chunked":  # one chunk of `length`, its body cut
                    self.end_headers()
                    self.wfile.write(b"%x\r\n%s" % (reply.length or len(reply.body), reply.body))
                    return
                self.send_header("Content-Length", str(len(reply.body) if reply.length is None else reply.length))
                self.end_headers()
                if not reply.drip:
                    self.wfile.write(reply.body)
                    return
                for byte in reply.body:
                    if server._stop.wait(reply.drip):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

            def do_GET(self) -> None:  # noqa: N802
                self._reply("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._reply("POST")

            def do_HEAD(self) -> None:  # noqa: N802  (route HEAD answers without a body)
                self._reply("HEAD")

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@contextmanager
def silent_proxy(monkeypatch) -> Iterator[None]:
    """Route HTTPS through a proxy on 127.0.0.1 that accepts connections and never answers: a real timeout."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def hold() -> None:
        try:
            for _ in range(8):
                held.append(server.accept()[0])
        except OSError:  # the proxy closed while this thread waited in accept(): its work is done
            return

    threading.Thread(target=hold, daemon=True).start()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        yield
    finally:
        for conn in held:
            conn.close()
        server.close()
