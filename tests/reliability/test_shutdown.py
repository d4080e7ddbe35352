"""SIGTERM stops `markaz serve` and `markaz worker` cleanly: the work in flight is finished."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from markaz.centre import Centre
from markaz.collection import intake
from markaz.dissemination.channels import add_endpoint
from markaz.storage import audit
from markaz.storage.schema import reports
from markaz.storage.schema_dissemination import pushes
from tests.conftest import Account
from tests.dissemination.receiver import receiving
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
            "observations": [
                {"category": "position", "geometry": {"type": "Point", "coordinates": [44.4, 33.3]}}
            ],
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


@pytest.mark.slow
def test_sigterm_lets_the_worker_finish_its_pushes(
    centre: Centre, accounts: dict[str, Account], database_url: str, tmp_path: Path
) -> None:
    secret = "secret-of-ru-for-the-shutdown-test"
    # A slow receiver: each push takes 0.4 s, so SIGTERM comes while pushes are in flight.
    with receiving(secret, delay=0.4) as ru:
        with centre.db.write() as conn:
            add_endpoint(conn, centre.db.dialect, member="RU", url=ru.url, secret=secret, actor="test")
        items = [
            {
                "title": f"[SYNTHETIC] shutdown push {i}",
                "releasable_to": ["RU"],
                "precedence": "FLASH",
                "observations": [
                    {"category": "position", "geometry": {"type": "Point", "coordinates": [42, 35]}}
                ],
            }
            for i in range(12)
        ]
        assert all(r.error is None for r in intake.submit(centre, accounts["IQ"].principal, items))
        worker = procs.worker(database_url, tmp_path / "worker.log", procs.FAST_DELIVERY, ready=True)
        deadline = time.monotonic() + 30
        while _count(centre, "sending") == 0:
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.02)
        worker.stop()
        # Nothing is left claimed: what was in flight finished and was recorded as done.
        assert _count(centre, "sending") == 0
        done = _count(centre, "done")
        assert 0 < done < 12
        assert len(ru.unique) == done
        with centre.db.read() as conn:
            assert audit.verify(conn).ok


def _count(centre: Centre, state: str) -> int:
    with centre.db.read() as conn:
        return int(
            conn.execute(select(func.count()).select_from(pushes).where(pushes.c.state == state)).scalar_one()
        )
