"""Precedence: with thousands of ROUTINE deliveries queued, a FLASH overtakes every further ROUTINE."""

from __future__ import annotations

import time

from markaz.centre import Centre
from markaz.collection import intake
from markaz.dissemination.worker import Dispatcher
from markaz.settings import Settings
from tests.conftest import SECRET, add_account
from tests.dissemination.conftest import FAST, hook
from tests.dissemination.receiver import receiving

ROUTINE = 3000


def test_flash_overtakes_queued_routine(database_url: str) -> None:
    # One request at a time to the endpoint, so the order of arrival is the order of sending.
    centre = Centre(
        Settings(database_url=database_url, secret_key=SECRET, **{**FAST, "endpoint_concurrency": 1})
    )
    try:
        iq = add_account(centre, "IQ")
        add_account(centre, "RU")
        secret = "precedence-test-secret-0123"
        with receiving(secret) as ru:
            hook(centre, "RU", ru.url, secret)
            for start in range(0, ROUTINE, 1000):
                batch = [
                    {"title": f"routine {i}", "precedence": "ROUTINE", "releasable_to": ["RU"]}
                    for i in range(start, start + 1000)
                ]
                assert all(r.error is None for r in intake.submit(centre, iq.principal, batch))
            dispatcher = Dispatcher(centre)
            dispatcher.start()
            try:
                assert ru.wait_for(50, timeout=60)
                (flash,) = intake.submit(
                    centre, iq.principal, [{"title": "flash", "precedence": "FLASH", "releasable_to": ["RU"]}]
                )
                assert flash.error is None
                submitted = time.time()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not any(
                    r["precedence"] == "FLASH" for r in ru.received
                ):
                    time.sleep(0.005)
            finally:
                dispatcher.stop()
            order = [r["precedence"] for r in ru.received]
            assert "FLASH" in order
            position = order.index("FLASH")
            after_submit = [r for r in ru.received[:position] if r["at"] >= submitted]
            # At most the ROUTINE request already on the wire and one claimed in the same step
            # may arrive first; thousands were still queued behind the FLASH.
            assert len(after_submit) <= 2, len(after_submit)
            assert position < ROUTINE - 1000
    finally:
        centre.close()
