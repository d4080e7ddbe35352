"""Dates for people: Gregorian, Hijri (Umm al-Qura) and Solar Hijri, always beside ISO 8601."""

from __future__ import annotations

from datetime import UTC, date, datetime

import jdatetime
from hijridate import Gregorian

_GREGORIAN_MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "ar": (
        "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
        "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
    ),
    "fa": (
        "ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن",
        "ژوئیه", "اوت", "سپتامبر", "اکتبر", "نوامبر", "دسامبر",
    ),
    "ru": (
        "января", "февраля", "марта", "апреля", "мая", "июня",
        "июля", "августа", "сентября", "октября", "ноября", "декабря",
    ),
}  # fmt: skip
_SUFFIX = {"hijri": {"en": "AH", "ar": "هـ", "fa": "ق", "ru": "г. х."}, "solar_hijri": {
    "en": "SH", "ar": "هـ ش", "fa": "ش", "ru": "г. с. х."}}  # fmt: skip
_OUT_OF_RANGE = "—"


def _day_month_year(d: date, calendar: str, language: str) -> str:
    if calendar == "hijri":
        try:
            h = Gregorian(d.year, d.month, d.day).to_hijri()
        except (OverflowError, ValueError):
            # Umm al-Qura tables cover 1343-1500 AH (1924-2077); outside them, say so plainly.
            return _OUT_OF_RANGE
        month = h.month_name("ar" if language in ("ar", "fa") else "en")
        return f"{h.day} {month} {h.year} {_SUFFIX['hijri'][language]}"
    if calendar == "solar_hijri":
        j = jdatetime.date.fromgregorian(date=d)
        names = j.j_months_fa if language in ("ar", "fa") else j.j_months_en
        return f"{j.day} {names[j.month - 1]} {j.year} {_SUFFIX['solar_hijri'][language]}"
    return f"{d.day} {_GREGORIAN_MONTHS[language][d.month - 1]} {d.year}"


def in_calendar(value: datetime | date | str | None, calendar: str, language: str) -> str:
    """The date (and UTC time, for a datetime) in the user's calendar and language."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if language not in _GREGORIAN_MONTHS:
        language = "en"
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        day = _day_month_year(value.date(), calendar, language)
        return day if day == _OUT_OF_RANGE else f"{day} {value:%H:%M} UTC"
    return _day_month_year(value, calendar, language)


def iso_text(value: datetime | date | str | None) -> str:
    """ISO 8601 (UTC, to the minute for times) for display and for <time datetime>."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.strftime("%Y-%m-%dT%H:%MZ")
    return value.isoformat()
