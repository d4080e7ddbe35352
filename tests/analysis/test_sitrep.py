"""Situation reports: only what the member may see, in four languages, as Markdown, HTML, JSON and PDF."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account

_run = itertools.count(1)
WIDE = {"since": "2000-01-01T00:00:00Z", "until": "2000-12-31T00:00:00Z"}


def _period() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "since": (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "until": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    }


def _submit(
    client: ASGIClient,
    account: Account,
    releasable_to: list[str],
    *,
    category: str = "gathering",
    lon: float = 43.13,
    lat: float = 36.34,
    title: str = "[SYNTHETIC] gathering",
    subject: str | None = None,
    line: bool = False,
    observed_at: str = "2026-09-12T06:00:00Z",
) -> str:
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.2, lat + 0.1]]}
        if line
        else {"type": "Point", "coordinates": [lon, lat]}
    )
    r = client.post(
        "/api/v1/reports",
        headers=account.headers,
        json={
            "title": title,
            "releasable_to": releasable_to,
            "source_reliability": "B",
            "information_credibility": "2",
            "observations": [
                {
                    "category": category,
                    "geometry": geometry,
                    "subject": subject,
                    "observed_at": observed_at,
                }
            ],
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _json(client: ASGIClient, account: Account, **params: str) -> dict[str, Any]:
    r = client.get(
        "/api/v1/sitrep", headers=account.headers, params={**_period(), "format": "json", **params}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    return body


def _ids(s: dict[str, Any]) -> set[str]:
    return {row["report_id"] for rows in s["tables"].values() for row in rows}


def test_member_sitrep_content(centre: Centre, client: ASGIClient, accounts: dict[str, Account]) -> None:
    iq, ru, sy = accounts["IQ"], accounts["RU"], accounts["SY"]
    seen = _submit(client, iq, ["ALL"], title="[SYNTHETIC] تجمع قرب الموصل")
    depot = _submit(client, ru, ["IQ"], category="weapons_depot", lon=44.39, lat=33.33)
    hidden = _submit(client, sy, ["SY"], category="chemical_lab", lon=40.1, lat=35.3)
    moves = [
        _submit(
            client, ru, ["ALL"], category="movement", subject="Group A (synthetic)", lon=42.0 + i, line=True
        )
        for i in range(2)
    ]
    s = _json(client, iq)
    assert s["kind"] == "member" and s["audience"] == ["IQ"] and s["dir"] == "ltr"
    assert _ids(s) == {seen, depot, *moves}
    assert hidden not in str(s)
    assert s["summary"]["reports_received"] == 4 and s["summary"]["observations"] == 4
    assert s["summary"]["by_category"] == {"gathering": 1, "weapons_depot": 1, "movement": 2}
    areas = {a["country"]: a["count"] for a in s["summary"]["by_area"]}
    assert areas.get("IQ", 0) >= 2
    row = s["tables"]["gathering"][0]
    assert row["near"]["town"] in ("Mosul", "Al Mawşil al Jadīdah") and row["grading"] == "B2"
    assert row["confidence"] == 70  # STIX 2.1 Appendix A: credibility 2 -> 70
    (movement,) = s["movements"]
    assert movement["subject"] == "Group A (synthetic)" and movement["sightings"] == 2
    assert s["best_graded"][0]["confidence"] == 70
    svg = s["map_svg"]
    assert svg.startswith("<svg") and 'class="graticule"' in svg and " km</text>" in svg
    assert 'class="countries"' in svg and "<title>IQ</title>" in svg and ">Mosul</text>" in svg
    assert (
        'class="cat-gathering"' in svg
        and 'class="cat-weapons_depot"' in svg
        and "cat-chemical_lab" not in svg
    )
    # Nothing is fetched: no link to anything outside the drawing.
    assert not re.search(r"(href|src)=", svg)
    assert [i["category"] for i in s["legend"]] == ["gathering", "weapons_depot", "movement"]
    # A bbox limits the area; outside the period, nothing.
    boxed = _json(client, iq, bbox="44,33,45,34")
    assert _ids(boxed) == {depot} and boxed["bbox"] == [44.0, 33.0, 45.0, 34.0]
    empty = _json(client, iq, **WIDE)
    assert _ids(empty) == set() and empty["summary"]["reports_received"] == 0


def test_changes_name_only_what_the_member_sees(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    iq, ru = accounts["IQ"], accounts["RU"]
    narrow = _submit(client, iq, ["IQ"])
    r = client.post(
        f"/api/v1/reports/{narrow}:correct",
        headers=iq.headers,
        json={
            "title": "[SYNTHETIC] corrected",
            "releasable_to": ["RU"],
            "observations": [
                {"category": "gathering", "geometry": {"type": "Point", "coordinates": [43.2, 36.3]}}
            ],
        },
    )
    assert r.status_code == 201, r.text
    corrected = r.json()["id"]
    gone = _submit(client, iq, ["ALL"])
    assert (
        client.post(
            f"/api/v1/reports/{gone}:retract", headers=iq.headers, json={"reason": "duplicate"}
        ).status_code
        == 200
    )
    for_ru = {c["report_id"]: c for c in _json(client, ru)["changes"]}
    assert for_ru[corrected]["change"] == "corrected" and for_ru[corrected]["replaces"] is None
    assert for_ru[gone]["change"] == "retracted" and for_ru[gone]["reason"] == "duplicate"
    for_iq = {c["report_id"]: c for c in _json(client, iq)["changes"]}
    assert for_iq[corrected]["replaces"] == narrow
    # Only active reports fill the tables.
    assert _ids(_json(client, iq)) == {corrected}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-10-02T00:00:00Z", "until": "2026-10-01T00:00:00Z"}, "since"),
        ({"since": "2026-10-01T00:00:00Z", "until": "2026-10-01T00:00:00Z"}, "since"),
        ({"since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"bbox": "44,33,43,34"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"lang": "de"}, "lang"),
        ({"format": "docx"}, "format"),
        ({"since": "yesterday"}, None),
    ],
)
def test_bad_requests_are_refused_clearly(
    client: ASGIClient, accounts: dict[str, Account], params: dict[str, str], field: str | None
) -> None:
    r = client.get("/api/v1/sitrep", headers=accounts["IQ"].headers, params=params)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["message"]
    if field is not None:
        assert error["field"] == field


@pytest.mark.parametrize("lang", ["ar", "fa", "ru", "en"])
def test_html_and_markdown_in_four_languages(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], lang: str
) -> None:
    _submit(client, accounts["IQ"], ["ALL"], title="[SYNTHETIC] <script>alert(1)</script>")
    h = accounts["RU"].headers
    html = client.get("/api/v1/sitrep", headers=h, params={**_period(), "lang": lang, "format": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    rtl = lang in ("ar", "fa")
    assert f'<html lang="{lang}" dir="{"rtl" if rtl else "ltr"}">' in html.text
    title = {"ar": "تقرير الموقف", "fa": "گزارش وضعیت", "ru": "Сводка обстановки", "en": "Situation report"}[
        lang
    ]
    assert f"<h1>{title}</h1>" in html.text
    assert "<script>" not in html.text and "&lt;script&gt;" in html.text
    assert 'class="legend-item"' in html.text and "<svg" in html.text
    md = client.get("/api/v1/sitrep", headers=h, params={**_period(), "lang": lang, "format": "md"})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith(f'<div dir="rtl" lang="{lang}">\n\n# {title}' if rtl else f"# {title}")
    assert "data:image/svg+xml;base64," in md.text
    assert "- ◎ (#e07b00): " in md.text  # the legend: gathering's symbol and colour


def test_pdf_renders_arabic_right_to_left(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], tmp_path: Path
) -> None:
    _submit(client, accounts["IQ"], ["ALL"], title="[SYNTHETIC] تجمع قرب الموصل")
    r = client.get(
        "/api/v1/sitrep", headers=accounts["IQ"].headers, params={**_period(), "lang": "ar", "format": "pdf"}
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    pdf = tmp_path / "sitrep.pdf"
    pdf.write_bytes(r.content)
    assert shutil.which("pdftoppm") and shutil.which("pdftotext"), "poppler-utils (make install-test)"
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")], check=True
    )
    assert list(tmp_path.glob("page*.png"))
    text = subprocess.run(
        ["pdftotext", "-l", "1", str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode()
    # pdftotext marks right-to-left runs with bidi controls; the words themselves come out whole.
    plain = re.sub("[\u200e\u200f\u202a-\u202e]", "", text)
    assert "تقرير الموقف" in plain and "الخلاصة" in plain


# Release sets over 2-4 members: None means ALL, otherwise the named members.
release = st.one_of(st.none(), st.sets(st.integers(min_value=0, max_value=3), max_size=3))


@settings(max_examples=20)
@given(
    n_members=st.integers(min_value=2, max_value=4),
    specs=st.lists(
        st.tuples(st.integers(0, 3), release, st.sampled_from(["gathering", "movement", "incident"])),
        min_size=1,
        max_size=6,
    ),
)
def test_sitrep_holds_exactly_what_the_member_may_see(
    centre: Centre, client: ASGIClient, n_members: int, specs: list[tuple[int, set[int] | None, str]]
) -> None:
    run = next(_run)
    accounts = [add_account(centre, f"R{run:04d}{i}") for i in range(n_members)]
    codes = [a.member for a in accounts]
    expected: dict[str, set[str]] = {c: set() for c in codes}
    for origin_i, rel, category in specs:
        origin = accounts[origin_i % n_members]
        releasable = ["ALL"] if rel is None else sorted({codes[i % n_members] for i in rel} | {origin.member})
        rid = _submit(client, origin, releasable, category=category, subject=f"subject {run}")
        for code in codes if rel is None else releasable:
            expected[code].add(rid)
    mine = {rid for ids in expected.values() for rid in ids}
    for account in accounts:
        s = _json(client, account)
        assert _ids(s) & mine == expected[account.member]
        # Nothing about the others' reports anywhere in the answer, not even in counts or moves.
        for rid in mine - expected[account.member]:
            assert rid not in str(s)
        moved = {r for m in s["movements"] for r in m["reports"]}
        assert moved & mine <= expected[account.member]


def test_cli_sitrep(
    centre: Centre, database_url: str, client: ASGIClient, accounts: dict[str, Account], tmp_path: Path
) -> None:
    _submit(client, accounts["IQ"], ["ALL"])
    runner = CliRunner()
    period = _period()
    base = ["sitrep", "--member", "RU", "--since", period["since"][:19], "--until", period["until"][:19]]
    md = runner.invoke(build_app(), [*base, "--database-url", database_url])
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith("# Situation report") and "Gathering place" in md.stdout
    out = tmp_path / "s.html"
    html = runner.invoke(
        build_app(),
        [*base, "--lang", "fa", "--format", "html", "-o", str(out), "--database-url", database_url],
    )
    assert html.exit_code == 0, html.output
    assert '<html lang="fa" dir="rtl">' in out.read_text(encoding="utf-8")
    bad = runner.invoke(
        build_app(),
        [
            "sitrep",
            "--member",
            "RU",
            "--since",
            "2026-10-02",
            "--until",
            "2026-10-01",
            "--database-url",
            database_url,
        ],
    )
    assert bad.exit_code == 1 and bad.stderr.strip() == "error: since must be before until"
    lang = runner.invoke(build_app(), [*base, "--lang", "xx", "--database-url", database_url])
    assert lang.exit_code == 1 and "error: lang must be one of" in lang.stderr


def test_member_sitrep_has_its_own_fused_picture(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    from markaz.analysis.fusion import fuse_all

    iq, ru, sy = accounts["IQ"], accounts["RU"], accounts["SY"]
    seen = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    both = _submit(client, iq, ["ALL"], observed_at=seen)
    _submit(client, ru, ["ALL"], lon=43.131, observed_at=seen)
    only_sy = _submit(client, sy, ["SY"], lon=43.132, observed_at=seen)
    fuse_all(centre)
    for account, observations, sources in ((iq, 2, 2), (sy, 3, 3)):
        s = _json(client, account)
        (site,) = s["fused"]["sites"]
        assert site["observations"] == observations and site["sources"] == sources
        assert s["fused"]["highest_confidence"][0]["id"] == site["id"]
        assert s["fused"]["contested"] == []
    assert only_sy not in str(_json(client, iq))
    assert both in str(_json(client, iq))
    html = client.get("/api/v1/sitrep", headers=iq.headers, params={**_period(), "format": "html"}).text
    assert '<section id="sites">' in html and '<section id="contested">' in html


def test_the_printed_report_says_where_it_was_cut(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    from markaz.analysis.sitrep_render import printable, to_html

    for dx in (0.0, 0.5):
        _submit(client, accounts["IQ"], ["ALL"], lon=43.0 + dx)
    for group in ("Group A (synthetic)", "Group B (synthetic)"):
        _submit(client, accounts["IQ"], ["ALL"], category="movement", subject=group, line=True)
    for _ in range(2):
        gone = _submit(client, accounts["IQ"], ["ALL"])
        r = client.post(
            f"/api/v1/reports/{gone}:retract", headers=accounts["IQ"].headers, json={"reason": "x"}
        )
        assert r.status_code == 200, r.text
    s = _json(client, accounts["RU"])
    assert len(s["tables"]["gathering"]) == 2 and len(s["movements"]) == 2 and len(s["changes"]) == 2
    printed = printable(s, max_rows=1)
    assert len(printed["tables"]["gathering"]) == 1 and len(s["tables"]["gathering"]) == 2
    assert len(printed["movements"]) == 1 and len(printed["changes"]) == 1
    html = to_html(printed)
    # The gathering and movement tables, the movements and the changes.
    assert html.count("The printed report lists the first 1 of 2") == 4
    for section in ("movements", "changes"):
        part = html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
        assert "The printed report lists the first 1 of 2" in part
    assert "The printed report lists" not in to_html(s)


def test_the_map_draws_any_number_of_features_in_a_few_elements() -> None:
    """One SVG element per feature made large reports slow to print: the drawing groups them."""
    from markaz.analysis.sitrep_map import Projection, render_map

    box = (40.0, 33.0, 45.0, 37.0)
    features: list[dict[str, Any]] = [
        {
            "category": c,
            "geometry": {"type": "Point", "coordinates": [40.5 + i * 0.004, 34.0 + (i % 7) * 0.3]},
        }
        for i in range(1000)
        for c in ("gathering", "incident", "movement")
    ]
    features += [
        {
            "category": "smuggling_route",
            "geometry": {"type": "LineString", "coordinates": [[41, 34], [42, 35 + i / 100]]},
        }
        for i in range(50)
    ]
    features.append(
        {
            "category": "chemical_lab",
            "geometry": {"type": "Polygon", "coordinates": [[[43, 34], [44, 34], [44, 35], [43, 34]]]},
        }
    )
    svg = render_map(features, box)
    assert len(re.findall(r"<(path|circle|rect|polygon|polyline|line|text|g)\b", svg)) < 80
    for c in ("gathering", "incident", "movement", "smuggling_route", "chemical_lab"):
        assert f'class="cat-{c}"' in svg
    # Every feature is in the drawing: its projected position starts a symbol or a line.
    proj = Projection(box)
    for f in features[:3000:97]:
        x, y = proj.xy(*f["geometry"]["coordinates"])
        r = 5.0 if f["category"] != "gathering" else 1.6  # a ring's filled centre
        shape_start = f"M{x - r:.1f},{y:.1f}" if f["category"] != "incident" else f"M{x - r:.1f},{y - r:.1f}"
        assert shape_start in svg, f
    for i in range(50):
        assert f"L{proj.xy(42, 35 + i / 100)[0]:.1f},{proj.xy(42, 35 + i / 100)[1]:.1f}" in svg


def test_printed_tables_have_few_cells_and_a_fixed_layout(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    from markaz.analysis.sitrep_render import to_html

    _submit(client, accounts["IQ"], ["ALL"], title="[SYNTHETIC] تجمع قرب الموصل")
    s = _json(client, accounts["RU"], lang="ar")
    html = to_html(s)
    table = html.split('<h3 class="cat-gathering">', 1)[1].split("</table>", 1)[0]
    assert '<table class="rows"><colgroup>' in table and table.count("<col ") == 4
    assert "<thead>" in table  # repeated on every printed page
    (row,) = re.findall(r"<tr><td.*?</tr>", table)
    assert row.count("<td") == 4
    assert "تجمع قرب الموصل" in row and "B2" in row and "36.3400, 43.1300" in row
