"""The `markaz` command through a CLI runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from markaz.cli import build_app


@pytest.fixture
def run(database_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    app = build_app()

    def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
        result = runner.invoke(app, [*args, "--database-url", database_url], input=input)
        assert "Traceback" not in result.output
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_commands_end_to_end(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("init")[0] == 0
    assert "already current" in run("migrate")[1]
    assert (
        run(
            "member",
            "add",
            "IQ",
            "--name",
            "Iraq",
            "--name-ar",
            "العراق",
            "--name-fa",
            "عراق",
            "--name-ru",
            "Ирак",
        )[0]
        == 0
    )
    assert run("member", "add", "SY", "--name", "Syria")[0] == 0
    code, out, _ = run("member", "list")
    assert "IQ" in out and "العراق" in out and "SY" in out
    assert (
        run(
            "user",
            "add",
            "iq.officer",
            "--member",
            "IQ",
            "--role",
            "analyst",
            "--password",
            "long-enough-password",
        )[0]
        == 0
    )
    code, token, _ = run("token", "create", "--member", "IQ", "--expires", "30d")
    assert code == 0 and token.strip().startswith("mkz_") and len(token.strip().splitlines()) == 1
    reports = [
        {
            "title": "Depot near Raqqa",
            "releasable_to": ["IQ"],
            "client_ref": "c1",
            "observations": [
                {"category": "weapons_depot", "geometry": {"type": "Point", "coordinates": [39.0, 35.9]}}
            ],
        },
        {"title": "Gathering", "releasable_to": ["ALL"], "client_ref": "c2"},
    ]
    path = tmp_path / "reports.json"
    path.write_text(json.dumps(reports), encoding="utf-8")
    code, out, _ = run("report", "submit", str(path), "--member", "IQ", "--user", "iq.officer")
    assert code == 0 and out.count("created") == 2
    code, out, _ = run("report", "submit", str(path), "--member", "IQ")
    assert code == 0 and out.count("existing") == 2
    code, out, _ = run("report", "list", "--member", "SY")
    assert "Gathering" in out and "Raqqa" not in out
    code, out, _ = run("report", "list", "--member", "IQ", "--bbox", "38,35,40,36", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["title"] for r in rows] == ["Depot near Raqqa"]
    code, out, _ = run("report", "get", rows[0]["id"], "--member", "IQ")
    assert json.loads(out)["client_ref"] == "c1"
    code, _, err = run("report", "get", rows[0]["id"], "--member", "SY")
    assert code == 1 and err.startswith("error: there is no report")
    code, out, _ = run("token", "list")
    assert "mkz_" in out
    assert run("token", "revoke", "1")[0] == 0
    code, out, _ = run("audit", "verify")
    assert code == 0 and "intact" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("member", "add", "iq", "--name", "x"), "is not a member code"),
        (("token", "create", "--member", "ZZ"), "there is no member ZZ"),
        (("token", "create", "--member", "IQ", "--expires", "soon"), "is not a duration"),
        (("user", "add", "Bad Name", "--member", "IQ", "--password", "long-enough-pw"), "user name"),
        (("user", "add", "ok.name", "--member", "IQ", "--password", "short"), "at least 10"),
        (("report", "submit", "/nonexistent.json", "--member", "IQ"), "No such file"),
        (("report", "list", "--member", "IQ", "--bbox", "1,2"), "bbox must be four numbers"),
    ],
)
def test_readable_errors(run, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    run("init")
    run("member", "add", "IQ", "--name", "Iraq")
    code, _out, err = run(*args)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err


def test_bad_report_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    run("member", "add", "IQ", "--name", "Iraq")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"title": "\xff"}')
    code, _, err = run("report", "submit", str(bad), "--member", "IQ")
    assert code == 1 and "not valid UTF-8 JSON" in err
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps([{"title": "fine"}, {"title": "x" * 400}]), encoding="utf-8")
    code, out, err = run("report", "submit", str(mixed), "--member", "IQ")
    assert code == 1 and "created" in out and "title" in err


def test_demo_is_idempotent(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("demo", "--reports", "40")
    assert code == 0 and "40 synthetic reports added" in out
    assert "iq.analyst" in out and "mkz_demo_" in out
    code, out, _ = run("demo", "--reports", "40")
    assert "0 synthetic reports added, 40 already present" in out
    code, out, _ = run("member", "list")
    assert len(out.strip().splitlines()) == 4
    code, out, _ = run("report", "list", "--member", "IR", "--limit", "1000", "--json")
    assert all("[SYNTHETIC]" in json.loads(line)["title"] for line in out.splitlines())
    assert run("audit", "verify")[0] == 0


def test_every_command_has_help() -> None:
    runner = CliRunner()
    app = build_app()
    for args in ([], ["member"], ["user"], ["token"], ["report"], ["audit"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
    for cmd in ("init", "migrate", "demo", "serve", "extract"):
        result = runner.invoke(app, [cmd, "--help"])
        assert result.exit_code == 0 and len(result.output) > 100, cmd
