"""`markaz backup` of a running, busy server and `markaz restore` into a fresh database."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import select

from markaz.centre import Centre
from markaz.settings import Settings
from markaz.storage.backup import BackupError, pg_binary
from markaz.storage.schema import reports
from tests.conftest import SECRET, Account
from tests.reliability import _processes as procs


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the same engine (a new file; a new PostgreSQL database)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'markaz.db'}"
        return
    base, _, _ = database_url.rpartition("/")
    name = f"markaz_r_{uuid.uuid4().hex[:12]}"
    admin = f"{base}/postgres".replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _writer(
    base: str, account: Account, tag: str, acked: list[tuple[float, str]], stop: threading.Event
) -> None:
    """Submit one report after another, noting when each was acknowledged."""
    n = 0
    with httpx.Client(base_url=base, headers=account.headers, timeout=30) as http:
        while not stop.is_set():
            n += 1
            r = http.post(
                "/api/v1/reports",
                json={
                    "title": f"[SYNTHETIC] backup test {tag}-{n}",
                    "releasable_to": ["ALL"],
                    "client_ref": f"{tag}-{n}",
                    "observations": [
                        {"category": "position", "geometry": {"type": "Point", "coordinates": [43.1, 36.3]}}
                    ],
                },
            )
            assert r.status_code == 201, r.text
            acked.append((time.monotonic(), r.json()["id"]))


def _stored_ids(url: str) -> set[str]:
    centre = Centre(Settings(database_url=url, secret_key=SECRET))
    try:
        with centre.db.read() as conn:
            return set(conn.execute(select(reports.c.id)).scalars())
    finally:
        centre.close()


@pytest.mark.slow
def test_backup_while_serving_then_restore(
    accounts: dict[str, Account], database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    server = procs.serve(database_url, tmp_path / "serve.log")
    acked: list[tuple[float, str]] = []
    stop = threading.Event()
    writers = [
        threading.Thread(target=_writer, args=(server.base, accounts[m], m, acked, stop))
        for m in ("IQ", "SY")
    ]
    try:
        for t in writers:
            t.start()
        while len(acked) < 30:
            time.sleep(0.05)
        began = time.monotonic()
        before = {rid for at, rid in list(acked) if at < began}
        backup_file = tmp_path / "backups" / "centre.backup"
        backup_file.parent.mkdir()
        out = procs.markaz("backup", str(backup_file), url=database_url)
        during = len([1 for at, _ in list(acked) if at >= began])
        time.sleep(0.2)
    finally:
        stop.set()
        for t in writers:
            t.join(timeout=30)
        server.stop()
    assert out.stdout.startswith(f"backup written to {backup_file}"), out.stdout
    assert during > 0, "no write was acknowledged while the backup ran: the test proves nothing"
    assert not list(backup_file.parent.glob("*.partial"))

    restored = procs.markaz("restore", str(backup_file), url=fresh_url)
    assert restored.stdout.startswith(f"restored {backup_file}: audit chain intact"), restored.stdout
    verified = procs.markaz("audit", "verify", url=fresh_url)
    assert verified.stdout.startswith("audit chain intact"), verified.stdout
    in_backup = _stored_ids(fresh_url)
    assert before <= in_backup, "reports acknowledged before the backup began are missing"
    # The backup is a snapshot: later writes are not in it, and it holds nothing the source lacks.
    assert in_backup <= _stored_ids(database_url)

    # A second restore into the now non-empty database refuses, in one line, and changes nothing.
    refused = procs.markaz("restore", str(backup_file), url=fresh_url, check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith(
        "error: the target database is not empty"
    )
    assert "--force" in refused.stderr

    # --force replaces the database whole: the source (with everything written after the
    # backup) restored over it makes it equal to the source.
    second = tmp_path / "second.backup"
    procs.markaz("backup", str(second), url=database_url)
    forced = procs.markaz("restore", str(second), "--force", url=fresh_url)
    assert "audit chain intact" in forced.stdout
    assert _stored_ids(fresh_url) == _stored_ids(database_url)


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all")
    out = procs.markaz("restore", str(junk), url=f"sqlite:///{tmp_path / 'new.db'}", check=False)
    assert out.returncode == 1
    assert (
        out.stderr
        == f"error: {junk} is not a markaz backup (neither a SQLite database nor a pg_dump custom archive)\n"
    )
    missing = procs.markaz(
        "restore", str(tmp_path / "none"), url=f"sqlite:///{tmp_path / 'new.db'}", check=False
    )
    assert missing.stderr.startswith("error: there is no backup file at")


def test_missing_postgresql_programs_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump was not found on PATH or under"):
        pg_binary("pg_dump", search=tmp_path / "nowhere")
    monkeypatch.undo()
    assert Path(pg_binary("pg_dump")).name == "pg_dump"
    assert shutil.which("true")
