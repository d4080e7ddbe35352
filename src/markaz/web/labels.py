"""Names of the exchange's codes (categories, precedence, grading, TLP) in the interface's languages."""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]


def category_labels(_: Gettext) -> dict[str, str]:
    return {
        "position": _("Position"),
        "gathering": _("Gathering place"),
        "command_post": _("Command centre"),
        "weapons_depot": _("Weapons depot"),
        "chemical_lab": _("Chemical-weapons laboratory"),
        "movement": _("Movement route"),
        "smuggling_route": _("Oil smuggling route"),
        "incident": _("Incident"),
        "other": _("Other"),
    }


def precedence_labels(_: Gettext) -> dict[str, str]:
    return {
        "FLASH": _("FLASH"),
        "IMMEDIATE": _("IMMEDIATE"),
        "PRIORITY": _("PRIORITY"),
        "ROUTINE": _("ROUTINE"),
    }


def reliability_labels(_: Gettext) -> dict[str, str]:
    return {
        "A": _("A: completely reliable"),
        "B": _("B: usually reliable"),
        "C": _("C: fairly reliable"),
        "D": _("D: not usually reliable"),
        "E": _("E: unreliable"),
        "F": _("F: reliability cannot be judged"),
    }


def credibility_labels(_: Gettext) -> dict[str, str]:
    return {
        "1": _("1: confirmed by other sources"),
        "2": _("2: probably true"),
        "3": _("3: possibly true"),
        "4": _("4: doubtful"),
        "5": _("5: improbable"),
        "6": _("6: truth cannot be judged"),
    }


def status_labels(_: Gettext) -> dict[str, str]:
    """States of votes, members, circles and reported sites as the pages show them."""
    return {
        "open": _("open"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "active": _("active"),
        "suspended": _("suspended"),
        "withdrawn": _("withdrawn"),
        "pending": _("pending"),
        "destroyed": _("destroyed"),
        "abandoned": _("abandoned"),
    }


def calendar_labels(_: Gettext) -> dict[str, str]:
    return {"gregorian": _("Gregorian"), "hijri": _("Hijri"), "solar_hijri": _("Solar Hijri")}


def role_labels(_: Gettext) -> dict[str, str]:
    return {
        "analyst": _("analyst"),
        "member_admin": _("member administrator"),
        "centre_admin": _("centre administrator"),
        "auditor": _("auditor"),
    }


def map_strings(_: Gettext) -> dict[str, str]:
    """Words the map's script shows (popups, status line), translated on the server."""
    return {
        "report": _("Report"),
        "observed": _("Observed"),
        "received": _("Received"),
        "originator": _("Originator"),
        "subject": _("Subject"),
        "grading": _("Grading"),
        "open_report": _("Open the report"),
        "loading": _("Loading…"),
        "shown": _("observations shown"),
        "area_set": _("Area search: only this box"),
        "draw_hint": _("Drag on the map to draw the search box"),
        "load_error": _("The map data could not be loaded"),
        "new_item": _("New report"),
        "confidence": _("Confidence"),
        "contested": _("Contested"),
        "site": _("Fused site"),
        "track": _("Track"),
        "open_item": _("Contributions and confidence"),
    }


def opinion_labels(_: Gettext) -> dict[str, str]:
    return {
        "strongly-disagree": _("strongly disagree"),
        "disagree": _("disagree"),
        "neutral": _("neutral"),
        "agree": _("agree"),
        "strongly-agree": _("strongly agree"),
    }
