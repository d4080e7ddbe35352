"""`markaz site|track|quality|fuse`: the fused picture from the shell, as one member sees it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import typer

from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as, check_code
from markaz.domain.enums import Category
from markaz.domain.query import as_utc, parse_bbox

site_app = typer.Typer(help="Fused sites, as one member sees them; split and merge.", no_args_is_help=True)
track_app = typer.Typer(help="Fused tracks, as one member sees them; split and merge.", no_args_is_help=True)

MEMBER = typer.Option(..., "--member", help="read as this member: only what it may see")


def _echo_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _row(item: dict[str, Any]) -> str:
    lon, lat = item["position"]["coordinates"]
    confidence = "-" if item["confidence"] is None else str(item["confidence"])
    flag = "contested" if item["contested"] else ""
    label = item.get("subject") or item["category"]
    return (
        f"{item['id']}\t{label}\t{lat:.5f},{lon:.5f}\t{item['observations']} obs/{item['sources']} src"
        f"\tconf {confidence}\t{item['last_seen']}\t{flag}".rstrip()
    )


def _list(kind: str) -> Any:
    def command(
        member: str = MEMBER,
        bbox: str = typer.Option(None, help="minLon,minLat,maxLon,maxLat"),
        category: Category = typer.Option(None),
        since: datetime = typer.Option(None, help="last seen at or after"),
        until: datetime = typer.Option(None, help="first seen before"),
        contested: bool = typer.Option(None, "--contested/--uncontested", help="only (un)contested items"),
        limit: int = typer.Option(50, min=1, max=10_000),
        as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
        database_url: DatabaseUrl = None,
    ) -> None:
        from markaz.analysis import fused

        centre = centre_for(database_url)
        f = fused.FusedFilter(
            bbox=parse_bbox(bbox) if bbox else None,
            since=as_utc(since),
            until=as_utc(until),
            category=category.value if category else None,
            contested=contested,
        )
        viewer = check_code(member)
        lister = fused.list_tracks if kind == "track" else fused.list_sites
        page = lister(centre, viewer, f, limit=limit)
        if as_json:
            _echo_json(page)
            return
        for item in page["items"]:
            typer.echo(_row(item))

    command.__doc__ = f"List fused {kind}s visible to a member."
    return command


def _show(kind: str) -> Any:
    def command(
        item_id: str = typer.Argument(..., help=f"the {kind} id, e.g. {'T' if kind == 'track' else 'S'}12"),
        member: str = MEMBER,
        database_url: DatabaseUrl = None,
    ) -> None:
        from markaz.analysis import fused

        centre = centre_for(database_url)
        getter = fused.get_track if kind == "track" else fused.get_site
        _echo_json(getter(centre, check_code(member), item_id))

    command.__doc__ = f"Show one {kind} with its contributions and the explanation of its confidence."
    return command


def _split(kind: str) -> Any:
    def command(
        item_id: str = typer.Argument(..., help=f"the {kind} to split"),
        observations: list[int] = typer.Option(
            ..., "--observation", help="an observation to split off (repeat)"
        ),
        reason: str = typer.Option(..., "--reason", help="why these do not belong together"),
        member: str = typer.Option(..., "--member", help="decide as this member"),
        user: str = typer.Option(None, "--user", help="as this user of the member"),
        database_url: DatabaseUrl = None,
    ) -> None:
        from markaz.analysis import decisions

        centre = centre_for(database_url)
        request = decisions.parse(decisions.SplitRequest, {"observations": observations, "reason": reason})
        if item_id[:1] != ("T" if kind == "track" else "S"):
            from markaz.errors import NotFound

            raise NotFound(f"there is no {kind} {item_id}")
        result = decisions.split(centre, acting_as(centre, member, user), item_id, request)
        typer.echo(f"decision {result['decision']['id']}: split")
        for item in result["items"]:
            typer.echo(_row(item))

    command.__doc__ = f"Split observations off a {kind}; the decision sticks and is audited."
    return command


def _merge(kind: str) -> Any:
    def command(
        items: list[str] = typer.Argument(..., help=f"two or more {kind} ids"),
        reason: str = typer.Option(..., "--reason", help="why these are the same"),
        member: str = typer.Option(..., "--member", help="decide as this member"),
        user: str = typer.Option(None, "--user", help="as this user of the member"),
        database_url: DatabaseUrl = None,
    ) -> None:
        from markaz.analysis import decisions
        from markaz.errors import InvalidInput

        centre = centre_for(database_url)
        request = decisions.parse(decisions.MergeRequest, {"items": items, "reason": reason})
        prefix = "T" if kind == "track" else "S"
        if any(i[:1] != prefix for i in items):
            raise InvalidInput(f"name {kind}s ({prefix}...) to merge")
        result = decisions.merge(centre, acting_as(centre, member, user), request)
        typer.echo(f"decision {result['decision']['id']}: merge")
        for item in result["items"]:
            typer.echo(_row(item))

    command.__doc__ = f"Merge {kind}s of one family into one; the decision sticks and is audited."
    return command


for _kind, _app in (("site", site_app), ("track", track_app)):
    _app.command("list")(readable_errors(_list(_kind)))
    _app.command("show")(readable_errors(_show(_kind)))
    _app.command("split")(readable_errors(_split(_kind)))
    _app.command("merge")(readable_errors(_merge(_kind)))


def register(app: typer.Typer) -> None:
    app.add_typer(site_app, name="site")
    app.add_typer(track_app, name="track")

    @app.command("quality")
    @readable_errors
    def quality_cmd(
        code: str = typer.Argument(..., help="the member whose record to show"),
        member: str = typer.Option(..., "--member", help="read as this member (itself, or the chair)"),
        database_url: DatabaseUrl = None,
    ) -> None:
        """Show how often a member's reports are corroborated or contradicted by others."""
        from markaz.analysis.quality import member_quality

        centre = centre_for(database_url)
        _echo_json(member_quality(centre, check_code(member), check_code(code)))

    @app.command("fuse")
    @readable_errors
    def fuse_cmd(
        rebuild: bool = typer.Option(
            False,
            "--rebuild",
            help="forget the match graph and fuse everything again (after changing settings)",
        ),
        database_url: DatabaseUrl = None,
    ) -> None:
        """Fuse the observations not yet fused now (the worker does this continuously)."""
        from markaz.analysis import fusion

        centre = centre_for(database_url)
        total = fusion.rebuild(centre) if rebuild else fusion.fuse_all(centre)
        typer.echo(f"fused {total} observations")
