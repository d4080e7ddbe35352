"""A real `markaz serve` on 127.0.0.1: slowloris, slow bodies and huge headers are cut off."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.reliability._processes import free_port, markaz, serve

LIMITS = {
    "MARKAZ_HEADER_TIMEOUT_SECONDS": "1.5",
    "MARKAZ_BODY_TIMEOUT_SECONDS": "1.5",
    "MARKAZ_MAX_HEADER_BYTES": "4096",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """One server for the module (starting one takes seconds); SQLite is enough here: the
    limits live in the HTTP layer, before any storage, and these tests store nothing."""
    tmp_path = tmp_path_factory.mktemp("slow")
    url = f"sqlite:///{tmp_path}/markaz.db"
    markaz("init", url=url)
    port = free_port()
    running = serve(url, tmp_path / "serve.log", port=port, timeout=30, env=LIMITS)
    try:
        yield "127.0.0.1", port
    finally:
        running.stop()


def _read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    sock.settimeout(0.2)
    data = b""
    while time.monotonic() - started < limit:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data, time.monotonic() - started


def test_slowloris_is_cut_off_and_others_are_served(server: tuple[str, int]) -> None:
    host, port = server
    slow = [socket.create_connection((host, port)) for _ in range(20)]
    started = time.monotonic()
    for s in slow:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: markaz\r\n")
    # One more header byte every 0.3 s: each byte is progress, but the headers never finish.
    closed_after: list[float] = []
    open_ = list(slow)
    while open_ and time.monotonic() - started < 10:
        # Meanwhile an ordinary client is answered at once.
        assert httpx.get(f"http://{host}:{port}/healthz", timeout=2).status_code == 200
        for s in list(open_):
            try:
                s.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                closed_after.append(time.monotonic() - started)
                open_.remove(s)
        time.sleep(0.3)
    for s in slow:
        s.close()
    assert not open_, "slow connections were still open after 10 s"
    # Header deadline 1.5 s, plus the time a closed socket takes to show on the sender's side.
    assert max(closed_after) < 6


def test_slow_header_gets_408(server: tuple[str, int]) -> None:
    host, port = server
    with socket.create_connection((host, port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: mark")
        data, took = _read_until_closed(s, 8)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert 1.0 < took < 5


def test_slow_body_gets_408_and_stores_nothing(server: tuple[str, int]) -> None:
    host, port = server
    with socket.create_connection((host, port)) as s:
        s.sendall(
            b"POST /api/v1/reports HTTP/1.1\r\nHost: markaz\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"title": '
        )
        data, took = _read_until_closed(s, 8)
    # Either the 408 of the deadline, or the API's 401 (no token) once the body never came.
    assert data.startswith((b"HTTP/1.1 408", b"HTTP/1.1 401")), data
    assert took < 5


def test_huge_headers_get_431(server: tuple[str, int]) -> None:
    host, port = server
    with socket.create_connection((host, port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: markaz\r\nX-Padding: " + b"a" * 8000 + b"\r\n\r\n")
        data, _ = _read_until_closed(s, 5)
    assert data.startswith(b"HTTP/1.1 431"), data
    ok = httpx.get(f"http://{host}:{port}/healthz", headers={"X-Padding": "a" * 2000}, timeout=2)
    assert ok.status_code == 200
    # Headers within the limit on a kept-alive connection: several requests, all answered.
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=2) as client:
        assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
