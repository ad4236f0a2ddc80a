"""A real HTTP receiver on 127.0.0.1 (a free port) for webhook tests and benchmarks.

It answers each request with the next scripted status (then `default`), or hangs for
`hang` seconds first, and keeps every request it was sent, verified or not.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() on arrival


class Receiver:
    def __init__(self, script: list[int] | None = None, default: int = 200,
                 hang: float = 0.0, answer: bytes = b"ok") -> None:
        self.script, self.default = list(script or []), default
        self.hang, self.answer = hang, answer
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                status = receiver._take(Received(dict(self.headers.items()), body, time.time()))
                if receiver.hang:
                    receiver._released.wait(receiver.hang)
                self.send_response(status)
                self.send_header("content-length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *_: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # many senders connect at once: no reset connections

            def handle_error(self, *_: Any) -> None:
                pass  # a sender that hangs up (a killed daemon) is part of the tests

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _take(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            return self.script.pop(0) if self.script else self.default

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def ids(self) -> Counter[str]:
        """How many times each webhook-id arrived."""
        with self._lock:
            return Counter(r.headers["webhook-id"] for r in self.requests)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()
