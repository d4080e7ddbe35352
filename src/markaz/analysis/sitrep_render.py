"""Situation reports rendered as Markdown, HTML (right-to-left for Arabic and Persian) and PDF."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, Template, select_autoescape
from markupsafe import Markup

from markaz.analysis.sitrep_i18n import RTL, category_name, country_name, t


def when(value: str | None) -> str:
    """`2026-11-24T06:00:00.000000Z` -> `2026-11-24 06:00Z`."""
    return f"{value[:10]} {value[11:16]}Z" if value else "—"


def near_label(lang: str, near: Mapping[str, Any] | None) -> str:
    if not near:
        return "—"
    town = near["names"].get(lang) or near["town"]
    return f"{town} ({country_name(lang, near['country'])}), {near['km']:g} {t(lang, 'scale')}"


def title_of(s: Mapping[str, Any]) -> str:
    return t(s["language"], "centre_title" if s["kind"] == "centre" else "title")


# --- HTML -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _template() -> tuple[Template, Markup]:
    """The HTML template and its style sheet, shipped in the package (no files read at import)."""
    folder = resources.files("markaz.analysis") / "sitrep_templates"
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string((folder / "sitrep.html.j2").read_text(encoding="utf-8"))
    # Line ends as a browser reads them, so style_source() hashes what the browser hashes.
    css = (folder / "sitrep.css").read_text(encoding="utf-8").replace("\r\n", "\n")
    return template, Markup(css)


def style_source() -> str:
    """The Content-Security-Policy source that admits the report's own <style> block and
    nothing else: its SHA-256 (CSP Level 2 hash source). The HTML stays one self-contained
    file, for saving and mailing, and the site's policy keeps refusing any other inline style."""
    _, css = _template()
    digest = hashlib.sha256(str(css).encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _head(lang: str, columns: Sequence[tuple[str, Sequence[str]]]) -> list[Markup]:
    """A fixed-layout table's opening: one <col> per column (its width is in the style sheet,
    so WeasyPrint need not measure every cell first) and a header repeated on every page."""
    out = [Markup('<table class="rows"><colgroup>')]
    out += [Markup('<col class="c-{}">').format(name) for name, _ in columns]
    out.append(Markup("</colgroup><thead><tr>"))
    out += [Markup("<th>{}</th>").format(" / ".join(t(lang, key) for key in keys)) for _, keys in columns]
    out.append(Markup("</tr></thead><tbody>"))
    return out


# Several fields share a cell, one per line: WeasyPrint's cost grows with the number of cells
# (each is a box laid out on its own), far more than with the lines of text in them.
_OBS_COLUMNS = (
    ("time", ("observed", "received")),
    ("report", ("report", "originator", "grading", "precedence")),
    ("where", ("position", "near")),
    ("subject", ("subject",)),
)


def _obs_table(lang: str, rows: Sequence[Mapping[str, Any]]) -> Markup:
    if not rows:
        return Markup("<p>{}</p>").format(t(lang, "none"))
    out = _head(lang, _OBS_COLUMNS)
    row = Markup(
        '<tr><td dir="ltr">{}<br>{}</td>'
        '<td><bdi>{}</bdi><br><span class="id" dir="ltr">{} · {} · {} · {}</span></td>'
        '<td><span dir="ltr">{:.4f}, {:.4f}</span><br>{}</td><td><bdi>{}</bdi></td></tr>'
    )
    for r in rows:
        out.append(
            row.format(
                when(r["observed_at"]),
                when(r["received_at"]),
                r["title"],
                r["report_id"],
                r["originator"],
                r["grading"],
                r["precedence"],
                r["lat"],
                r["lon"],
                near_label(lang, r["near"]),
                r["subject"] or "—",
            )
        )
    out.append(Markup("</tbody></table>"))
    return Markup("").join(out)


_FUSED_COLUMNS = (
    ("item", ("item", "category")),
    ("score", ("confidence", "sources")),
    ("span", ("first_seen", "last_seen")),
    ("position", ("position",)),
)


def _fused_table(lang: str, items: Sequence[Mapping[str, Any]], why: bool = False) -> Markup:
    if not items:
        return Markup("<p>{}</p>").format(t(lang, "none"))
    out = _head(lang, _FUSED_COLUMNS + ((("why", ("why",)),) if why else ()))
    row = Markup(
        '<tr><td><span class="id" dir="ltr">{}</span> {}<br><bdi>{}</bdi></td><td>{} / {}</td>'
        '<td dir="ltr">{}<br>{}</td><td dir="ltr">{}</td>'
    )
    for i in items:
        position = i.get("position") or {}
        coords = position.get("coordinates") if isinstance(position, Mapping) else position
        out.append(
            row.format(
                i["id"],
                category_name(lang, str(i.get("category"))),
                i.get("subject") or "",
                "—" if i.get("confidence") is None else i["confidence"],
                i.get("sources", "—"),
                when(i.get("first_seen")),
                when(i.get("last_seen")),
                f"{coords[1]:.4f}, {coords[0]:.4f}" if coords else "—",
            )
        )
        if why:
            reasons = i.get("contradictions") or []
            text = "; ".join(
                str(c.get("reason") or c.get("kind") or c) if isinstance(c, Mapping) else str(c)
                for c in reasons
            )
            out.append(Markup("<td><bdi>{}</bdi></td>").format(text or "—"))
        out.append(Markup("</tr>"))
    out.append(Markup("</tbody></table>"))
    return Markup("").join(out)


def to_html(s: Mapping[str, Any]) -> str:
    lang = s["language"]
    template, css = _template()
    return template.render(
        s=s,
        title=title_of(s),
        css=css,
        tr=lambda key, **kw: t(lang, key, **kw),
        cat=lambda c: category_name(lang, c),
        country=lambda code: country_name(lang, code) if code != "--" else "—",
        when=when,
        near=lambda n: near_label(lang, n),
        obs_table=lambda rows: _obs_table(lang, rows),
        markup=Markup,
        cut=lambda key: _cut_note(lang, s.get("printed_cut", {}).get(key)),
        fused_table=lambda items, why=False: _fused_table(lang, items, why),
    )


def _cut_note(lang: str, cut: Mapping[str, int] | None) -> Markup:
    if not cut:
        return Markup("")
    return Markup('<p class="note">{}</p>').format(t(lang, "printed_cut", n=cut["shown"], total=cut["total"]))


# WeasyPrint lays out every table cell as its own boxes in Python, about 10 ms per row of these
# tables (Arabic, 2-core machine): 150 rows per table made a 2,000-report PDF take 17 s of CPU,
# 50 about 6 s. The PDF lists at most this many rows per table and says so; HTML, Markdown and
# JSON keep everything.
PDF_MAX_ROWS = 50


def printable(s: Mapping[str, Any], max_rows: int = PDF_MAX_ROWS) -> dict[str, Any]:
    """The report as printed: every list that makes a table cut to `max_rows`, each cut noted."""
    out = dict(s)
    cut: dict[str, dict[str, int]] = {}
    tables = {}
    for c, rows in s["tables"].items():
        tables[c] = rows[:max_rows]
        if len(rows) > max_rows:
            cut[c] = {"shown": max_rows, "total": len(rows)}
    out["tables"] = tables
    for key in ("movements", "changes"):
        if len(s[key]) > max_rows:
            cut[key] = {"shown": max_rows, "total": len(s[key])}
            out[key] = s[key][:max_rows]
    if s.get("fused"):
        fused = dict(s["fused"])
        for key in ("sites", "tracks", "contested"):
            if len(fused[key]) > max_rows:
                cut[key] = {"shown": max_rows, "total": len(fused[key])}
                fused[key] = fused[key][:max_rows]
        out["fused"] = fused
    out["printed_cut"] = cut
    return out


def to_pdf(s: Mapping[str, Any], max_rows: int = PDF_MAX_ROWS) -> bytes:
    """PDF through WeasyPrint (Pango shapes Arabic and Persian; fonts from the system)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=to_html(printable(s, max_rows))).write_pdf()
    return pdf


# --- Markdown ---------------------------------------------------------------------------------


_SHAPES = {
    "circle": "●",
    "dot": "•",
    "ring": "◎",
    "square": "■",
    "triangle": "▲",
    "diamond": "◆",
    "cross": "✕",
    "line": "──",
    "dashed": "╌╌",
}


def _cell(value: object) -> str:
    return str(value if value not in (None, "") else "—").replace("|", "\\|").replace("\n", " ")


def _md_table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in rows]
    return [*out, ""]


def to_markdown(s: Mapping[str, Any], *, with_map: bool = True) -> str:
    """The report as Markdown; `with_map=False` leaves out the map image (a product's report body)."""
    lang = s["language"]

    def tr(key: str, **kw: object) -> str:
        return t(lang, key, **kw)

    lines: list[str] = []
    if lang in RTL:
        # CommonMark: an HTML block ends at a blank line, so the Markdown inside still renders.
        lines += [f'<div dir="rtl" lang="{lang}">', ""]
    lines += [f"# {title_of(s)}", ""]
    if s["kind"] == "centre":
        lines.append(f"- {tr('published_by')}: {s.get('published_by', '')}")
    lines += [
        f"- {tr('prepared_for')}: {', '.join(s['audience'])}",
        f"- {tr('period')}: {when(s['since'])} – {when(s['until'])}",
        f"- {tr('area')}: {', '.join(str(v) for v in s['bbox']) if s['bbox'] else tr('whole_area')}",
        f"- {tr('generated')}: {when(s['generated_at'])}",
        "",
    ]
    if s["kind"] == "centre":
        lines += [f"> {tr('recipients_note')}", ""]
    summary = s["summary"]
    lines += [f"## {tr('summary')}", ""]
    lines += _md_table(
        [tr("reports_received"), tr("observations")], [[summary["reports_received"], summary["observations"]]]
    )
    if summary["truncated"]:
        lines += [f"> {tr('truncated', n=summary['observations'])}", ""]
    lines += [f"### {tr('by_category')}", ""]
    lines += _md_table(
        [tr("category"), tr("count")],
        [[category_name(lang, c), n] for c, n in summary["by_category"].items()],
    )
    lines += [f"### {tr('by_area')}", ""]
    lines += _md_table(
        [tr("area"), tr("count")],
        [
            [country_name(lang, a["country"]) if a["country"] != "--" else "—", a["count"]]
            for a in summary["by_area"]
        ],
    )
    if with_map:
        svg = base64.b64encode(s["map_svg"].encode("utf-8")).decode("ascii")
        lines += [f"## {tr('map')}", "", f"![{tr('map')}](data:image/svg+xml;base64,{svg})", ""]
        lines += [f"{tr('legend')}:", ""]
        lines += [
            f"- {_SHAPES[item['shape']]} ({item['colour']}): {category_name(lang, item['category'])}"
            for item in s["legend"]
        ]
        lines += ["", tr("map_note"), ""]
    fused = s.get("fused")
    if fused:
        for key, items in (
            ("highest_confidence", fused["highest_confidence"]),
            ("contested", fused["contested"]),
            ("new_sites", fused["sites"]),
            ("new_tracks", fused["tracks"]),
        ):
            lines += [f"## {tr(key)}", ""]
            lines += (
                _md_table(
                    [tr("item"), tr("category"), tr("confidence"), tr("sources"), tr("last_seen")],
                    [
                        [
                            f"{i['id']} {i.get('subject') or ''}".strip(),
                            category_name(lang, str(i.get("category"))),
                            i.get("confidence"),
                            i.get("sources"),
                            when(i.get("last_seen")),
                        ]
                        for i in items
                    ],
                )
                if items
                else [tr("none"), ""]
            )
    else:
        lines += [f"## {tr('best_graded')}", ""]
        lines += _obs_md(lang, s["best_graded"])
        lines += [tr("fusion_absent"), ""]
    lines += [f"## {tr('movements')}", ""]
    lines += (
        _md_table(
            [tr("category"), tr("subject"), tr("points"), tr("first_seen"), tr("last_seen"), tr("near")],
            [
                [
                    category_name(lang, m["category"]),
                    m["subject"],
                    m["sightings"],
                    when(m["first_seen"]),
                    when(m["last_seen"]),
                    f"{near_label(lang, m['from'])} → {near_label(lang, m['to'])}",
                ]
                for m in s["movements"]
            ],
        )
        if s["movements"]
        else [tr("none"), ""]
    )
    lines += [f"## {tr('changes')}", ""]
    lines += (
        _md_table(
            [tr("report"), tr("originator"), "", tr("received")],
            [
                [
                    f"{c['title']} ({c['report_id']})",
                    c["originator"],
                    tr(c["change"]) + (f" ({tr('replaces')} {c['replaces']})" if c["replaces"] else ""),
                    when(c["at"]),
                ]
                for c in s["changes"]
            ],
        )
        if s["changes"]
        else [tr("none"), ""]
    )
    lines += [f"## {tr('tables')}", ""]
    for c, rows in s["tables"].items():
        lines += [f"### {category_name(lang, c)} ({len(rows)})", ""]
        lines += _obs_md(lang, rows)
    if not s["tables"]:
        lines += [tr("none"), ""]
    if lang in RTL:
        lines += ["</div>", ""]
    return "\n".join(lines)


def _obs_md(lang: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if not rows:
        return [t(lang, "none"), ""]
    head = ["observed", "originator", "report", "grading", "precedence", "position", "near", "subject"]
    return _md_table(
        [t(lang, h) for h in head],
        [
            [
                when(r["observed_at"]),
                r["originator"],
                f"{r['title']} ({r['report_id']})",
                r["grading"],
                r["precedence"],
                f"{r['lat']:.4f}, {r['lon']:.4f}",
                near_label(lang, r["near"]),
                r["subject"],
            ]
            for r in rows
        ],
    )
