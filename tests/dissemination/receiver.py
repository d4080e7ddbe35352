"""A webhook receiver written from docs/dissemination.md alone: real HTTP on 127.0.0.1, checks signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(secret: str, headers: Any, body: bytes, tolerance: int = 300) -> bool:
    """The recipe in docs/dissemination.md: HMAC-SHA256 over '<timestamp>.<body>'."""
    timestamp = headers["X-Markaz-Timestamp"]
    expected = (
        "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    fresh = abs(time.time() - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(expected, headers["X-Markaz-Signature"])


@dataclass
class Receiver:
    secret: str
    url: str = ""
    fail_first: int = 0  # answer 503 to this many requests first
    status: int = 200
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list, repr=False)  # every request, duplicates too
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def unique(self) -> dict[str, dict[str, Any]]:
        """Deliveries deduplicated by delivery id, as a careful receiver keeps them."""
        with self.lock:
            return {r["delivery_id"]: r for r in self.received}

    def wait_for(self, n: int, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.unique) >= n:
                return True
            time.sleep(0.02)
        return False


@contextmanager
def receiving(secret: str, **options: Any) -> Iterator[Receiver]:
    receiver = Receiver(secret, **options)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if receiver.delay:
                time.sleep(receiver.delay)
            with receiver.lock:
                ok = verify(receiver.secret, self.headers, body)
                if not ok:
                    receiver.bad_signatures += 1
                failing = receiver.fail_first > 0
                if failing:
                    receiver.fail_first -= 1
                elif ok and 200 <= receiver.status < 300:
                    payload = json.loads(body)
                    assert payload["delivery_id"] == self.headers["X-Markaz-Delivery"]
                    receiver.received.append({**payload, "at": time.time()})
            status = 401 if not ok else (503 if failing else receiver.status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
