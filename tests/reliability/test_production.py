"""The production layout on one machine: two API processes and two workers on one PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from markaz.centre import Centre
from markaz.dissemination.channels import add_endpoint
from markaz.domain.enums import Role
from markaz.storage.principals import add_principal
from tests.conftest import Account, add_account
from tests.dissemination.receiver import Receiver, receiving
from tests.reliability import _processes as procs

PASSWORD = "a long pass phrase for the production test"
RATE_LIMIT = 60
SECRET_RU = "secret-of-ru-for-the-production-test"


@pytest.fixture
def layout(
    centre: Centre, accounts: dict[str, Account], database_url: str, tmp_path: Path
) -> Iterator[tuple[str, str, Receiver]]:
    """API processes A and B (`--no-worker`) and two `markaz worker` processes; RU's webhook."""
    env = {**procs.FAST_DELIVERY, "MARKAZ_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)}
    with receiving(SECRET_RU) as ru:
        with centre.db.write() as conn:
            add_endpoint(conn, centre.db.dialect, member="RU", url=ru.url, secret=SECRET_RU, actor="test")
            add_principal(
                conn,
                centre.db.dialect,
                username="iq.analyst",
                member="IQ",
                role=Role.ANALYST,
                password=PASSWORD,
                actor="test",
            )
        started: list[procs.Running] = []
        try:
            # Started together, as a supervisor would, then each waited for.
            for name in ("a", "b"):
                started.append(procs.serve(database_url, tmp_path / f"serve-{name}.log", env=env, wait=False))
            for name in ("1", "2"):
                started.append(procs.worker(database_url, tmp_path / f"worker-{name}.log", env))
            for running in started[:2]:
                procs.wait_until_serving(running)
            for running in started[2:]:
                procs.wait_until_working(running)
            yield started[0].base, started[1].base, ru
        finally:
            for running in started:
                running.stop()


def _report(title: str, release: list[str], precedence: str = "ROUTINE") -> dict[str, Any]:
    return {
        "title": f"[SYNTHETIC] {title}",
        "releasable_to": release,
        "precedence": precedence,
        "observations": [
            {"category": "position", "geometry": {"type": "Point", "coordinates": [43.1, 36.3]}}
        ],
    }


def _submit(base: str, headers: dict[str, str], title: str) -> str:
    created = httpx.post(f"{base}/api/v1/reports", json=_report(title, ["RU"], "FLASH"), headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _streamed(
    base: str, headers: dict[str, str], submit: Callable[[], str], known: set[str]
) -> tuple[str, str]:
    """Open RU's stream on `base`, then `submit()`; (event id, report id) of the submitted report.

    Events before it may only repeat deliveries RU already has (docs/dissemination.md: on
    PostgreSQL a stream looks back two seconds, and receivers drop repeats by delivery id).
    """
    events: list[dict[str, Any]] = []
    opened = threading.Event()
    submitted: list[str] = []

    def listen() -> None:
        with httpx.stream(
            "GET", f"{base}/api/v1/stream", params={"timeout": 10}, headers=headers, timeout=30
        ) as answer:
            assert answer.status_code == 200, answer.read()
            opened.set()
            event: dict[str, Any] = {}
            for line in answer.iter_lines():
                if line.startswith("id: "):
                    event["id"] = line[4:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif not line and "id" in event:
                    events.append(event)
                    if submitted and event["data"].get("report_id") == submitted[0]:
                        return
                    event = {}

    listener = threading.Thread(target=listen)
    listener.start()
    assert opened.wait(20)
    rid = submit()
    submitted.append(rid)
    listener.join(30)
    ours = [e for e in events if e["data"].get("report_id") == rid]
    assert len(ours) == 1, f"the stream on {base} did not carry report {rid} once: {events}"
    repeats = {e["id"] for e in events} - {ours[0]["id"]}
    assert repeats <= known, f"the stream on {base} sent deliveries RU never had: {repeats - known}"
    known.add(ours[0]["id"])
    return ours[0]["id"], rid


def _form_token(client: httpx.Client) -> str:
    form = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    return token.group(1)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_api_processes_and_two_workers(
    layout: tuple[str, str, Receiver], accounts: dict[str, Account], centre: Centre
) -> None:
    a, b, ru = layout
    iq, sy = accounts["IQ"].headers, accounts["SY"].headers

    # Submitted through A, read through B; releasability holds on B as on A.
    created = httpx.post(f"{a}/api/v1/reports", json=_report("to IQ and RU", ["IQ", "RU"]), headers=iq)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    read = httpx.get(f"{b}/api/v1/reports/{rid}", headers=iq)
    assert read.status_code == 200 and read.json() == created.json()
    hidden = httpx.get(f"{b}/api/v1/reports/{rid}", headers=sy)
    missing = httpx.get(f"{b}/api/v1/reports/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=sy)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(rid, "ID") == missing.text.replace("01ARZ3NDEKTSV4RRFFQ69G5FAV", "ID")

    # A batch through B; a cursor from A continues on B and B's on A: cursors are signed, not stored.
    batch = [_report(f"batch {i}", ["ALL"], "FLASH" if i == 0 else "ROUTINE") for i in range(6)]
    answer = httpx.post(f"{b}/api/v1/reports:batch", json=batch, headers=iq)
    assert answer.status_code == 200 and answer.json()["created"] == 6
    everything = [r["id"] for r in httpx.get(f"{b}/api/v1/reports", headers=iq).json()["items"]]
    assert len(everything) == 7
    paged: list[str] = []
    cursor = None
    for base in (a, b, a, b):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{base}/api/v1/reports", params=params, headers=iq).json()
        paged += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
    assert paged == everything and cursor is None

    # The two workers deliver what was accepted by either process: RU gets each item once.
    wanted = {rid} | {item["id"] for item in answer.json()["results"]}
    assert ru.wait_for(len(wanted), timeout=30), ru.received
    assert {r["report"]["id"] for r in ru.unique.values()} == wanted
    assert ru.bad_signatures == 0

    # A live stream on B sees what was submitted on A; resumed on A with Last-Event-ID, it
    # continues after that event with what was submitted on B.
    ru_headers = accounts["RU"].headers
    known = set(ru.unique)
    first = _streamed(b, ru_headers, lambda: _submit(a, iq, "stream one"), known)
    second = _streamed(
        a, {**ru_headers, "Last-Event-ID": first[0]}, lambda: _submit(b, iq, "stream two"), known
    )
    assert first[1] != second[1]

    # A browser session signed in on A is valid on B, and signing out on B ends it on A.
    with httpx.Client(base_url=a) as browser:
        signed_in = browser.post(
            "/signin",
            data={
                "csrf_token": _form_token(browser),
                "username": "iq.analyst",
                "password": PASSWORD,
                "next": "/",
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        session = browser.cookies["markaz_session"]
    cookie = {"Cookie": f"markaz_session={session}"}
    me = httpx.get(f"{b}/api/v1/me", headers=cookie)
    assert me.status_code == 200 and me.json()["member"]["code"] == "IQ"
    page = httpx.get(f"{b}/reports", headers=cookie)
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text
    out = httpx.post(f"{b}/signout", data={"csrf_token": csrf.group(1)}, headers=cookie)
    assert out.status_code in (200, 303), out.text
    assert httpx.get(f"{a}/api/v1/me", headers=cookie).status_code == 401

    # Failed sign-ins count wherever they land: alternating A and B still locks the user out.
    forms = {base: httpx.Client(base_url=base) for base in (a, b)}
    try:
        tokens = {base: _form_token(client) for base, client in forms.items()}
        codes = [
            forms[base]
            .post("/signin", data={"csrf_token": tokens[base], "username": "iq.analyst", "password": "wrong"})
            .status_code
            for base in [a, b] * 3
        ]
        assert 429 in codes and codes[0] == 401, codes
        right = {"csrf_token": tokens[a], "username": "iq.analyst", "password": PASSWORD}
        assert forms[a].post("/signin", data=right).status_code == 429
    finally:
        for client in forms.values():
            client.close()

    # One token's rate limit holds across both processes: never more than the limit in a window.
    # On a busy machine the requests may outlast the window they started in; then again, with
    # a fresh token (the old one's new window is partly used), in the next window.
    for attempt in range(3):
        ir = accounts["IR"].headers if attempt == 0 else add_account(centre, "IR", new_member=False).headers
        while time.time() % 60 > 40:  # do not straddle the start of a new window
            time.sleep(0.5)
        window = int(time.time() // 60)
        statuses: dict[str, list[int]] = {a: [], b: []}
        retry_after: set[str] = set()
        for i in range(RATE_LIMIT + 20):
            base = a if i % 2 == 0 else b
            r = httpx.get(f"{base}/api/v1/me", headers=ir)
            statuses[base].append(r.status_code)
            if r.status_code == 429:
                retry_after.add(r.headers["Retry-After"])
        if int(time.time() // 60) == window:
            break
    else:
        pytest.fail("three one-minute windows ended before 80 requests were answered")
    allowed = sum(s == 200 for codes in statuses.values() for s in codes)
    assert allowed <= RATE_LIMIT
    assert allowed >= RATE_LIMIT // 2, statuses
    assert 429 in statuses[a] and 429 in statuses[b]
    assert retry_after and all(int(v) > 0 for v in retry_after)
