"""`markaz site|track|quality|fuse` through a CLI runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from tests.analysis.fusion_helpers import point, submit
from tests.conftest import Account

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(database_url: str) -> Run:
    runner = CliRunner()
    app = build_app()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, [*args, "--database-url", database_url])
        assert "Traceback" not in result.output
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_site_track_quality_and_fuse_commands(centre: Centre, accounts: dict[str, Account], run: Run) -> None:
    when = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    depot = {"category": "weapons_depot", "observed_at": when}
    a = submit(centre, accounts["IQ"], [{**depot, "geometry": point(44.0, 33.0)}])[1][0].id
    b = submit(centre, accounts["RU"], [{**depot, "geometry": point(44.005, 33.0)}])[1][0].id
    group = {"category": "movement", "observed_at": when, "subject": "Liwa Fatemiyoun"}
    t = submit(centre, accounts["SY"], [{**group, "geometry": point(40.0, 34.0)}])[1][0].id

    code, out, _ = run("fuse")
    assert code == 0 and out.strip() == "fused 3 observations"
    code, out, _ = run("site", "list", "--member", "SY")
    assert code == 0 and out.startswith(f"S{a}\tweapons_depot") and "2 obs/2 src" in out
    code, out, _ = run("site", "show", f"S{b}", "--member", "IR")
    shown = json.loads(out)
    assert code == 0 and shown["id"] == f"S{a}" and "confidence_explanation" in shown
    code, out, _ = run("track", "list", "--member", "IQ", "--json")
    assert code == 0 and json.loads(out)["items"][0]["id"] == f"T{t}"
    code, out, _ = run("track", "show", f"T{t}", "--member", "RU")
    assert code == 0 and json.loads(out)["subject"] == "Liwa Fatemiyoun"

    code, out, _ = run("site", "split", f"S{a}", "--observation", str(b), "--reason", "two", "--member", "IQ")
    assert code == 0 and out.splitlines()[0] == "decision 1: split"
    code, out, _ = run("site", "list", "--member", "SY")
    assert len(out.splitlines()) == 2
    code, out, _ = run("site", "merge", f"S{a}", f"S{b}", "--reason", "one after all", "--member", "RU")
    assert code == 0 and "decision 2: merge" in out
    code, out, err = run("site", "merge", f"S{a}", f"T{t}", "--reason", "x", "--member", "RU")
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1

    code, out, _ = run("quality", "IQ", "--member", "IQ")
    assert code == 0 and json.loads(out)["corroborated"] == 1
    code, _, err = run("quality", "IQ", "--member", "RU")
    assert code == 1 and err.strip() == "error: there is no quality record for IQ"
    code, _, err = run("site", "show", "S999999", "--member", "IQ")
    assert code == 1 and err.strip() == "error: there is no site S999999"
    code, out, _ = run("fuse", "--rebuild")
    assert code == 0 and out.strip() == "fused 3 observations"
    code, out, _ = run("audit", "verify")
    assert code == 0
