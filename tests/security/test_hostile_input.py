"""Hostile and broken input on both engines: a clear 4xx, one error shape, nothing stored.

tests/test_api_reports.py already covers the report body's basic cases (bad fields, nesting
bomb, invalid UTF-8, body over the limit, an override character in a title); this file adds
the rest of the issue's list: bodies without a declared length, encodings that are not
UTF-8, invisible and direction-changing characters in every name a member or person gives,
and hostile batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.domain.enums import Role
from markaz.storage.schema import audit_head, members, principals, reports

# Characters that change how the text around them is displayed (Trojan Source, CVE-2021-42574)
# or are invisible controls; none belongs in a one-line name or title.
MISLEADING = {
    "right-to-left override": "\u202e",
    "left-to-right override": "\u202d",
    "right-to-left embedding": "\u202b",
    "pop directional formatting": "\u202c",
    "right-to-left isolate": "\u2067",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "NUL": "\x00",
    "escape": "\x1b",
    "bell": "\x07",
    "C1 control": "\x9b",
    "line break": "\n",
    "carriage return": "\r",
}


def state(centre: Centre) -> tuple[int, ...]:
    with centre.db.read() as conn:
        return tuple(
            int(conn.execute(q).scalar_one())
            for q in (
                select(func.count()).select_from(reports),
                select(func.count()).select_from(members),
                select(func.count()).select_from(principals),
                select(audit_head.c.seq),
            )
        )


def _refused(r: Any, status: int | tuple[int, ...] = (400, 422)) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] and error["message"]
    return error


def test_misleading_characters_in_labels(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    for name in MISLEADING:
        _misleading_character(client, centre, name, accounts["IQ"].headers)


def _misleading_character(client: ASGIClient, centre: Centre, name: str, h: dict[str, str]) -> None:
    ch = MISLEADING[name]
    before = state(centre)
    point = {"type": "Point", "coordinates": [39.0, 35.9]}
    cases = [
        ({"title": f"مستودع{ch}الرقة"}, "title"),
        (
            {"title": "x", "observations": [{"category": "other", "geometry": point, "subject": f"a{ch}b"}]},
            "observations.0.subject",
        ),
    ]
    for body, field in cases:
        error = _refused(client.post("/api/v1/reports", headers=h, json=body), 422)
        assert error["field"] == field, (name, error)
    circle = {"name": "iq-sy", "description": f"a{ch}b", "members": ["IQ", "SY"]}
    admin = add_account(centre, "IQ", Role.MEMBER_ADMIN, new_member=False)
    after_admin = state(centre)
    _refused(client.post("/api/v1/circles", headers=admin.headers, json=circle), 422)
    assert state(centre) == after_admin
    assert before[0] == state(centre)[0]


def test_overrides_in_free_text_are_refused_plain_rtl_is_kept(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    h = accounts["IQ"].headers
    before = state(centre)
    for field in ("body",):
        _refused(client.post("/api/v1/reports", headers=h, json={"title": "x", field: "a\u202eb"}), 422)
    assert state(centre) == before
    # Right-to-left scripts need no control characters: Arabic, Persian (with its zero-width
    # non-joiner) and mixed numbers are stored as sent.
    ok = client.post(
        "/api/v1/reports",
        headers=h,
        json={"title": "تجمع قرب می\u200cرود ۱۲ km", "body": "سطر أول\nسطر ثانٍ 35.95"},
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["title"] == "تجمع قرب می\u200cرود ۱۲ km"
    rid = ok.json()["id"]
    reason = client.post(f"/api/v1/reports/{rid}:retract", headers=h, json={"reason": "x\u202ey"})
    _refused(reason, 422)


ENCODINGS = {
    "UTF-16 with BOM": '{"title": "x"}'.encode("utf-16"),
    "UTF-32": '{"title": "x"}'.encode("utf-32"),
    "Latin-1": '{"title": "caf\xe9"}'.encode("latin-1"),
    "overlong slash": b'{"title": "\xc0\xaf"}',
    "encoded surrogate": b'{"title": "\xed\xa0\x80"}',
    "escaped lone surrogate": b'{"title": "\\ud800"}',
    "truncated multibyte": b'{"title": "\xd8"}',
    "NUL byte": b'{"title": "x"}\x00',
    "BOM then JSON": b'\xef\xbb\xbf{"title": "x"}',
}


def test_encodings_other_than_utf8_are_refused(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    before = state(centre)
    for name, raw in ENCODINGS.items():
        r = client.post(
            "/api/v1/reports",
            headers={**accounts["IQ"].headers, "Content-Type": "application/json"},
            content=raw,
        )
        assert r.status_code in (400, 422), (name, r.text)
        _refused(r, (400, 422))
    assert state(centre) == before


def test_bodies_without_a_declared_length_are_bounded(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    limit = centre.settings.max_body_bytes

    async def chunks() -> Any:
        # Sent chunked: no Content-Length for the limit to check up front.
        for _ in range(limit // 65_536 + 4):
            yield b" " * 65_536

    before = state(centre)
    r = client.post(
        "/api/v1/reports",
        headers={**accounts["IQ"].headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert _refused(r, 413)["code"] == "too_large"
    bad_length = client.post(
        "/api/v1/reports",
        headers={**accounts["IQ"].headers, "Content-Type": "application/json", "Content-Length": "-5"},
        content=b"",
    )
    assert bad_length.status_code in (400, 413)
    assert state(centre) == before


def _nested(depth: int) -> Iterator[bytes]:
    yield b'{"title": "x", "observations": [{"category": "other", '
    yield b'"geometry": {"type": "Point", "coordinates": '
    yield b"[" * depth + b"]" * depth
    yield b"}}]}"


def test_deep_nesting_inside_a_valid_shape_and_in_batches(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    h = {**accounts["IQ"].headers, "Content-Type": "application/json"}
    before = state(centre)
    for depth in (50, 5_000, 200_000):
        _refused(client.post("/api/v1/reports", headers=h, content=b"".join(_nested(depth))), (400, 422))
    batch = b"[" + b",".join([b"[" * 2000 + b"]" * 2000] * 3) + b"]"
    _refused(client.post("/api/v1/reports:batch", headers=h, content=batch), (400, 422))
    # A batch of hostile items: each is reported, none stored.
    items = [{"title": "a\u202eb"}, {"title": "x" * 301}, {"title": "ok", "tlp": "PURPLE"}, 5, None, "x"]
    out = client.post("/api/v1/reports:batch", headers=h, content=orjson.dumps(items))
    assert out.status_code == 200, out.text
    assert out.json()["failed"] == len(items) and out.json()["created"] == 0
    assert state(centre) == before


def test_a_final_newline_does_not_slip_through_patterns(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    # Python's re.match lets "$" match before a final newline; every pattern check uses
    # fullmatch (found by this file: "ali\n" was accepted as a user name).
    h = accounts["IQ"].headers
    before = state(centre)
    for body, field in (
        ({"title": "x", "language": "ar\n"}, "language"),
        ({"title": "x", "releasable_to": ["SY\n"]}, "releasable_to"),
        ({"title": "x", "releasable_to": ["circle:iq-sy\n"]}, "releasable_to"),
    ):
        assert _refused(client.post("/api/v1/reports", headers=h, json=body), 422)["field"] == field
    assert state(centre) == before


def test_hostile_query_strings(client: ASGIClient, centre: Centre, accounts: dict[str, Account]) -> None:
    h = accounts["IQ"].headers
    for params in (
        {"q": "\x00"},
        {"q": "a" * 10_000},
        {"bbox": "1e999,0,1,1"},
        {"bbox": "nan,nan,nan,nan"},
        {"cursor": "\u202e" * 10},
        {"limit": "99999999999999999999"},
        {"precedence": "FLASH\x00"},
    ):
        r = client.get("/api/v1/reports", headers=h, params=params)
        assert r.status_code < 500, (params, r.text)
        if r.status_code >= 400:
            _refused(r, (400, 422))


@pytest.mark.parametrize("name", ["right-to-left override", "NUL", "line break", "right-to-left isolate"])
def test_cli_refuses_misleading_member_and_user_names(database_url: str, name: str) -> None:
    ch = MISLEADING[name]
    runner, cli = CliRunner(), build_app()
    url = ["--database-url", database_url]
    assert runner.invoke(cli, ["init", *url]).exit_code == 0
    bad_member = runner.invoke(cli, ["member", "add", "IQ", "--name", f"Ira{ch}q", *url])
    assert bad_member.exit_code != 0 and bad_member.output.startswith("error: "), bad_member.output
    bad_arabic = runner.invoke(
        cli, ["member", "add", "IQ", "--name", "Iraq", "--name-ar", f"العراق{ch}", *url]
    )
    assert bad_arabic.exit_code != 0
    assert (
        runner.invoke(cli, ["member", "add", "IQ", "--name", "Iraq", "--name-ar", "العراق", *url]).exit_code
        == 0
    )
    bad_user = runner.invoke(
        cli, ["user", "add", f"ali{ch}", "--member", "IQ", "--password", "long enough pass", *url]
    )
    assert bad_user.exit_code != 0 and "user name" in bad_user.output
    listed = runner.invoke(cli, ["member", "list", *url]).output
    assert listed.count("\n") == 1 and (ch == "\n" or ch not in listed)
