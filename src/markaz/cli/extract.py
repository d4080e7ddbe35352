"""The `markaz extract` command: places, coordinates, dates and categories from text as JSON."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import orjson
import typer

from markaz.processing import Extractor, get_extractor


def _read_bytes(file: Path | None) -> bytes:
    if file is None or str(file) == "-":
        return sys.stdin.buffer.read()
    return file.read_bytes()


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _InputError(f"{what} is not valid UTF-8 (byte {exc.start}): {exc.reason}") from None


class _InputError(Exception):
    pass


def _emit(out: BinaryIO, obj: dict[str, Any]) -> None:
    out.write(orjson.dumps(obj) + b"\n")


def _jsonl_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            yield number, line


def _one_line(extractor: Extractor, number: int, line: bytes) -> tuple[dict[str, Any], bool]:
    """(output object, ok) for one JSONL input line; a bad line becomes an error object."""
    try:
        record = orjson.loads(line)  # orjson rejects invalid UTF-8 itself
    except orjson.JSONDecodeError as exc:
        return {"id": None, "error": f"line {number}: not valid JSON or UTF-8: {exc}"}, False
    if not isinstance(record, dict):
        return {"id": None, "error": f"line {number}: expected an object with id and text"}, False
    ident = record.get("id")
    text = record.get("text")
    if not isinstance(text, str):
        return {"id": ident, "error": f'line {number}: "text" must be a string'}, False
    return {"id": ident, **extractor.extract(text).to_dict()}, True


def run_extract(data: bytes, *, jsonl: bool, extractor: Extractor, out: BinaryIO) -> int:
    """The command's logic on raw input bytes; returns the exit code."""
    if not jsonl:
        text = _decode(data, "input")
        _emit(out, extractor.extract(text).to_dict())
        return 0
    failed = False
    for number, line in _jsonl_lines(data):
        obj, ok = _one_line(extractor, number, line)
        failed |= not ok
        _emit(out, obj)
    return 1 if failed else 0


def register(app: typer.Typer) -> None:
    """Add the `extract` command to ``app``."""

    @app.command("extract")
    def extract_command(
        file: Annotated[
            Path | None,
            typer.Argument(help="Text file to read; '-' or nothing reads standard input."),
        ] = None,
        jsonl: Annotated[
            bool,
            typer.Option(
                "--jsonl",
                help='Read lines of {"id": ..., "text": ...}; print one result line per input line.',
            ),
        ] = False,
        cache_dir: Annotated[
            Path | None,
            typer.Option(
                "--cache-dir",
                help="Where the compiled gazetteer is cached "
                "(default: $MARKAZ_CACHE_DIR or ~/.cache/markaz).",
            ),
        ] = None,
    ) -> None:
        """Extract places, coordinates, dates and kinds of activity from text, as JSON."""
        try:
            data = _read_bytes(file)
            code = run_extract(data, jsonl=jsonl, extractor=get_extractor(cache_dir), out=sys.stdout.buffer)
        except (_InputError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        sys.stdout.flush()
        if code:
            raise typer.Exit(code)
