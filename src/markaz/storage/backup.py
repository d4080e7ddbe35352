"""Online backup and restore: SQLite's backup API, pg_dump/pg_restore for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from markaz.errors import MarkazError
from markaz.storage.audit import VerifyResult, verify
from markaz.storage.database import Database
from markaz.storage.migrate import current_revision, head_revision
from markaz.storage.schema import audit_head

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
PG_SEARCH = Path("/usr/lib/postgresql")
# How long the backup or restore waits for a SQLite writer to finish its transaction.
BUSY_SECONDS = 30.0


class BackupError(MarkazError):
    """A backup or restore that could not be done, with what to do about it."""

    code = "backup_failed"


@dataclass(frozen=True)
class BackupInfo:
    """What a finished backup holds: enough for an operator to log and compare later."""

    path: Path
    size: int
    audit_seq: int
    audit_hash: str


@dataclass(frozen=True)
class RestoreInfo:
    revision: str | None
    current: bool
    audit: VerifyResult


def pg_binary(name: str, search: Path = PG_SEARCH) -> str:
    """A PostgreSQL client program: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    if search.is_dir():
        for root in sorted(search.glob("*/bin"), key=lambda p: _version(p.parent.name), reverse=True):
            if (root / name).exists():
                return str(root / name)
    raise BackupError(
        f"PostgreSQL's {name} was not found on PATH or under {search}: install the PostgreSQL "
        "client programs (Debian: apt-get install postgresql-client) in the version of the server or newer"
    )


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit()) or (0,)


def _sqlite_path(db: Database) -> Path:
    return Path(make_url(db.url).database or "")


def _libpq_url(db: Database) -> str:
    """The URL without SQLAlchemy's driver suffix, as pg_dump and pg_restore take it."""
    return make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _audit_head(db: Database) -> tuple[int, str]:
    with db.read() as conn:
        row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    return int(row.seq), str(row.hash)


def _run(command: Sequence[str], what: str, stdin_file: Path | None = None) -> None:
    try:
        out = subprocess.run(list(command), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"{what} could not be started: {exc}") from exc
    if out.returncode != 0:
        lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
        detail = lines[0] if lines else f"exit status {out.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def backup(db: Database, target: Path) -> BackupInfo:
    """Copy the whole database to `target` while it is in use; the copy is one consistent snapshot.

    The copy is written next to `target` and renamed into place, so `target` is never a
    half-written file, even if the backup is interrupted.
    """
    target = target.expanduser().resolve()
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the path of the backup file to write")
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist")
    fd, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    partial = Path(partial_name)
    try:
        if db.is_sqlite:
            seq, digest = _backup_sqlite(db, partial)
        else:
            seq, digest = _audit_head(db)
            # pg_dump reads everything in one repeatable-read snapshot; the audit head read just
            # before is at most as new as the snapshot, never newer.
            _run(
                [
                    pg_binary("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(partial),
                    _libpq_url(db),
                ],
                "pg_dump",
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(target, target.stat().st_size, seq, digest)


def _backup_sqlite(db: Database, partial: Path) -> tuple[int, str]:
    source_path = _sqlite_path(db)
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path}")
    source = sqlite3.connect(str(source_path), timeout=BUSY_SECONDS)
    dest = sqlite3.connect(str(partial))
    try:
        # pages=-1: the whole database in one step, inside one read transaction, so the copy is
        # a single snapshot; in WAL mode the server's writers carry on meanwhile.
        source.backup(dest, pages=-1)
        row = dest.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        problem = dest.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite backup of {source_path} failed: {exc}") from exc
    finally:
        dest.close()
        source.close()
    if problem != "ok":
        raise BackupError(f"the backup copy failed its integrity check: {problem}")
    if row is None:
        raise BackupError(f"{source_path} is not a markaz database (it has no audit chain)")
    return int(row[0]), str(row[1])


def backup_kind(source: Path) -> str:
    """'sqlite' or 'postgresql', from the file's first bytes."""
    try:
        with source.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"there is no backup file at {source}") from None
    except IsADirectoryError:
        raise BackupError(f"{source} is a directory, not a backup file") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{source} is not a markaz backup (neither a SQLite database nor a pg_dump custom archive)"
    )


def table_count(db: Database) -> int:
    """How many tables the database holds; a database with none is empty and safe to restore into."""
    if db.is_sqlite and not _sqlite_path(db).exists():
        return 0
    with db.read() as conn:
        if db.is_sqlite:
            query = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        else:
            query = "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        return int(conn.execute(text(query)).scalar_one())


def restore(db: Database, source: Path, *, force: bool = False) -> RestoreInfo:
    """Replace the database's contents with the backup at `source`, then verify its audit chain.

    Refuses a database that holds any table unless `force`: a restore replaces everything.
    """
    source = source.expanduser().resolve()
    kind = backup_kind(source)
    if kind != db.dialect.name:
        raise BackupError(f"{source} is a {kind} backup; restore it into a {kind} database")
    tables = table_count(db)
    if tables and not force:
        raise BackupError(
            f"the target database is not empty ({tables} tables); restoring replaces everything in it: "
            "stop every markaz process using it and add --force"
        )
    if kind == "sqlite":
        _restore_sqlite(db, source)
    else:
        _restore_postgresql(db, source, replace=bool(tables))
    db.dispose()  # pooled connections may have cached the old schema
    revision = current_revision(db)
    with db.read() as conn:
        result = verify(conn)
    return RestoreInfo(revision, revision == head_revision(), result)


def _restore_sqlite(db: Database, source: Path) -> None:
    target_path = _sqlite_path(db)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    db.dispose()
    backup_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(str(target_path), timeout=BUSY_SECONDS)
    try:
        problem = backup_conn.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"{source} is damaged: {problem}")
        has_chain = backup_conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_head'"
        ).fetchone()[0]
        if not has_chain:
            raise BackupError(
                f"{source} is a SQLite database but not a markaz backup (it has no audit chain)"
            )
        # The backup API writes every page of the target in one transaction: either the whole
        # backup is in place or the target is as it was.
        backup_conn.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"restoring {source} into {target_path} failed: {exc}") from exc
    finally:
        target.close()
        backup_conn.close()


def _restore_postgresql(db: Database, source: Path, *, replace: bool) -> None:
    pg_restore = pg_binary("pg_restore")
    if replace:
        # pg_restore --clean only drops what the archive holds; tables added by a later
        # migration would survive it. Dropping the schema replaces the database whole.
        with db.write() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db.dispose()
    _run(
        [
            pg_restore,
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            _libpq_url(db),
            str(source),
        ],
        "pg_restore",
    )
