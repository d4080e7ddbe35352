"""The `extract` command, registered on a fresh Typer app and driven through CliRunner."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from markaz.cli.extract import register
from markaz.processing import Extractor


@pytest.fixture()
def app(extractor: Extractor) -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # a group, so the command is invoked by name as in `markaz extract`
        pass

    return app


def _run(app: typer.Typer, cache_dir: Path, args: list[str], data: bytes) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["extract", "--cache-dir", str(cache_dir), *args], input=data)
    return result.exit_code, result.stdout, result.stderr


def test_stdin_text(app: typer.Typer, cache_dir: Path) -> None:
    code, out, _ = _run(app, cache_dir, [], "انفجار في الموصل يوم 12/09/2015".encode())
    assert code == 0
    result = orjson.loads(out)
    assert result["places"][0]["geonameid"] == 99072
    assert "الموصل" in out  # UTF-8, not ASCII escapes


def test_file_and_dash(app: typer.Typer, cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("Explosion in Homs on 2016-02-21.", encoding="utf-8")
    code, out, _ = _run(app, cache_dir, [str(path)], b"")
    assert code == 0 and orjson.loads(out)["dates"][0]["date"] == "2016-02-21"
    code, out, _ = _run(app, cache_dir, ["-"], b"Explosion in Homs.")
    assert code == 0 and orjson.loads(out)["places"][0]["geonameid"] == 169577


def test_empty_input(app: typer.Typer, cache_dir: Path) -> None:
    code, out, _ = _run(app, cache_dir, [], b"")
    assert code == 0
    assert orjson.loads(out) == {
        "language": None,
        "places": [],
        "coordinates": [],
        "dates": [],
        "categories": [],
    }


def test_invalid_utf8_is_one_error_line(app: typer.Typer, cache_dir: Path) -> None:
    code, out, err = _run(app, cache_dir, [], b"Mosul \xff\xfe broken")
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_missing_file(app: typer.Typer, cache_dir: Path, tmp_path: Path) -> None:
    code, _, err = _run(app, cache_dir, [str(tmp_path / "nope.txt")], b"")
    assert code == 2 and err.startswith("error: ")


def test_jsonl_keeps_order_and_reports_bad_lines(app: typer.Typer, cache_dir: Path) -> None:
    lines = [
        b'{"id": "a", "text": "Explosion in Homs."}',
        b'{"id": "b", "text": 42}',
        b"not json",
        b'{"id": 7, "text": "\xd8\xa7\xd9\x84\xd9\x85\xd9\x88\xd8\xb5\xd9\x84"}',
        b'{"id": "c", "text": "\xff"}',
        b"",
        b'{"id": "d", "text": ""}',
    ]
    code, out, _ = _run(app, cache_dir, ["--jsonl"], b"\n".join(lines))
    assert code == 1
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", None, 7, None, "d"]
    assert rows[0]["places"][0]["geonameid"] == 169577
    assert "error" in rows[1] and "error" in rows[2] and "error" in rows[4]
    assert rows[3]["places"][0]["geonameid"] == 99072
    assert rows[5]["places"] == [] and "error" not in rows[5]


def test_jsonl_all_good_exits_zero(app: typer.Typer, cache_dir: Path) -> None:
    code, out, _ = _run(app, cache_dir, ["--jsonl"], b'{"id": 1, "text": "Baghdad"}\n')
    assert code == 0 and orjson.loads(out)["id"] == 1


def test_binary_garbage_and_digits(app: typer.Typer, cache_dir: Path) -> None:
    garbage = bytes(range(256)).decode("latin-1").encode("utf-8") * 200
    code, out, _ = _run(app, cache_dir, [], garbage)
    assert code == 0 and set(orjson.loads(out)) == {
        "language",
        "places",
        "coordinates",
        "dates",
        "categories",
    }
    code, out, _ = _run(app, cache_dir, [], b"0123456789" * 5000)
    assert code == 0 and orjson.loads(out)["places"] == []
