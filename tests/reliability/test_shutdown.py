"""SIGTERM stops `markaz serve` cleanly: the request in flight is finished and answered."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from markaz.centre import Centre
from markaz.storage import audit
from markaz.storage.schema import reports
from tests.conftest import Account
from tests.reliability import _processes as procs


@pytest.mark.slow
def test_sigterm_finishes_the_request_in_flight(
    centre: Centre, accounts: dict[str, Account], database_url: str, tmp_path: Path
) -> None:
    server = procs.serve(database_url, tmp_path / "serve.log")
    batch = [
        {
            "title": f"[SYNTHETIC] shutdown test {i}",
            "releasable_to": ["ALL"],
            "client_ref": f"shutdown-{i}",
            "observations": [{"category": "position", "geometry": {"type": "Point", "coordinates": [44.4, 33.3]}}],
        }
        for i in range(300)
    ]
    body = json.dumps(batch).encode()
    half_sent = threading.Event()
    release = threading.Event()

    def chunks() -> Iterator[bytes]:
        # The request has begun (headers and half the body are at the server) when SIGTERM comes.
        yield body[: len(body) // 2]
        half_sent.set()
        release.wait(10)
        yield body[len(body) // 2 :]

    answer: list[httpx.Response] = []

    def post() -> None:
        answer.append(
            httpx.post(
                f"{server.base}/api/v1/reports:batch",
                content=chunks(),
                headers={**accounts["IQ"].headers, "Content-Type": "application/json"},
                timeout=60,
            )
        )

    sender = threading.Thread(target=post)
    sender.start()
    assert half_sent.wait(10)
    try:
        server.proc.send_signal(15)
        # The server stops listening for new connections but waits for this one.
        with pytest.raises(httpx.TransportError):
            for _ in range(50):
                httpx.get(f"{server.base}/healthz", timeout=0.5)
                threading.Event().wait(0.05)
        assert server.proc.poll() is None, "the server exited with a request in flight"
    finally:
        release.set()
        sender.join(timeout=60)
    server.stop()
    assert answer and answer[0].status_code == 200, answer
    assert answer[0].json()["created"] == 300
    with centre.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == 300
        assert audit.verify(conn).ok
