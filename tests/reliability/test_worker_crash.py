"""Kill -9 `markaz worker` in the middle of webhook deliveries: at least once, exactly once after dedupe."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from markaz.centre import Centre
from markaz.collection import intake
from markaz.dissemination.channels import add_endpoint
from markaz.storage import audit
from markaz.storage.schema_dissemination import deliveries, outbox, pushes
from tests.conftest import Account
from tests.dissemination.receiver import Receiver, receiving
from tests.reliability import _processes as procs

KILLS = 8
PER_ROUND = 12
RECIPIENTS = ("RU", "SY", "IR")
PRECEDENCES = ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")


def _unfinished(centre: Centre) -> int:
    with centre.db.read() as conn:
        queued = conn.execute(select(func.count()).where(outbox.c.state == "queued")).scalar_one()
        open_pushes = conn.execute(
            select(func.count()).select_from(pushes).where(pushes.c.state != "done")
        ).scalar_one()
    return int(queued) + int(open_pushes)


@pytest.mark.slow
def test_kill9_worker_during_deliveries(
    centre: Centre, accounts: dict[str, Account], database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(9_2026)
    secrets = {code: f"secret-of-{code.lower()}-for-the-crash-test" for code in RECIPIENTS}
    log = tmp_path / "worker.log"
    submitted: list[str] = []
    interrupted = 0
    with (
        receiving(secrets["RU"], delay=0.01) as ru,
        receiving(secrets["SY"], delay=0.01) as sy,
        receiving(secrets["IR"], delay=0.01) as ir,
    ):
        receivers: dict[str, Receiver] = {"RU": ru, "SY": sy, "IR": ir}
        with centre.db.write() as conn:
            for code, receiver in receivers.items():
                add_endpoint(
                    conn, centre.db.dialect, member=code, url=receiver.url, secret=secrets[code], actor="test"
                )
        for round_ in range(KILLS):
            items = [
                {
                    "title": f"[SYNTHETIC] worker crash test {round_}-{i}",
                    "releasable_to": ["ALL"],
                    "precedence": rng.choice(PRECEDENCES),
                    "observations": [
                        {"category": "position", "geometry": {"type": "Point", "coordinates": [42.0, 35.0]}}
                    ],
                }
                for i in range(PER_ROUND)
            ]
            results = intake.submit(centre, accounts["IQ"].principal, items)
            submitted += [r.id for r in results if r.id is not None]
            running = procs.worker(database_url, log, procs.FAST_DELIVERY)
            # Seeded delays: some kills land during start-up, some mid-fan-out, some mid-push.
            # (The worker is forked ready-imported, so it starts in about 0.1 s, not 1.5 s.)
            time.sleep(rng.uniform(0.05, 0.4))
            if _unfinished(centre):
                interrupted += 1
            running.kill9()
        # A last worker finishes what the killed ones left (leases expire after 1 s).
        final = procs.worker(database_url, log, procs.FAST_DELIVERY, ready=True)
        try:
            deadline = time.monotonic() + 60
            while _unfinished(centre) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _unfinished(centre) == 0, log.read_text()
        finally:
            final.stop()
        assert len(submitted) == KILLS * PER_ROUND
        assert interrupted >= KILLS // 3, f"only {interrupted} kills interrupted deliveries"
        for code, receiver in receivers.items():
            assert receiver.bad_signatures == 0
            # At least once: every report reached every recipient.
            reached = {r["report"]["id"] for r in receiver.received}
            assert reached == set(submitted), f"{code}: {len(set(submitted) - reached)} reports never arrived"
            # Exactly once after dedupe: one delivery id per report, however often it was sent.
            ids_per_report: dict[str, set[str]] = defaultdict(set)
            for r in receiver.received:
                ids_per_report[r["report"]["id"]].add(r["delivery_id"])
            assert all(len(ids) == 1 for ids in ids_per_report.values())
            assert len(receiver.unique) == len(submitted)
    with centre.db.read() as conn:
        rows = conn.execute(select(deliveries.c.member_code, deliveries.c.ref)).all()
        assert sorted(rows) == sorted((m, rid) for rid in submitted for m in RECIPIENTS)
        states = conn.execute(select(pushes.c.state, func.count()).group_by(pushes.c.state)).all()
        assert dict(states) == {"done": len(submitted) * len(RECIPIENTS)}
        assert audit.verify(conn).ok
