"""Dates in text: ISO, numeric, month names in five languages, Hijri and Solar Hijri calendars."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from markaz.domain.normalise import Normalised, normalise_text
from markaz.processing.spans import SpanSet

GREGORIAN, HIJRI, SOLAR = "gregorian", "hijri", "solar_hijri"

_MONTHS_SOURCE: tuple[tuple[str, str], ...] = (
    (
        GREGORIAN,
        "january jan | february feb | march mar | april apr | may | june jun | "
        "july jul | august aug | september sept sep | october oct | november nov | "
        "december dec",
    ),
    (
        GREGORIAN,
        "janvier | février fevrier | mars | avril | mai | juin | juillet | août | "
        "septembre | octobre | novembre | décembre",
    ),
    (
        GREGORIAN,
        "ocak | şubat | mart | nisan | mayıs | haziran | temmuz | ağustos | eylül | ekim | kasım | aralık",
    ),
    # Arabic, both series: Egyptian/Gulf transliterations and the Levantine/Iraqi names.
    (
        GREGORIAN,
        "يناير كانون_الثاني | فبراير شباط | مارس آذار | أبريل ابريل إبريل نيسان | "
        "مايو أيار | يونيو يونيه حزيران | يوليو يوليه تموز | أغسطس اغسطس آب | "
        "سبتمبر أيلول | أكتوبر اكتوبر تشرين_الأول | نوفمبر تشرين_الثاني | "
        "ديسمبر كانون_الأول",
    ),
    # Persian names of Gregorian months.
    (
        GREGORIAN,
        "ژانویه ژانویهٔ | فوریه | مارس | آوریل | مه می | ژوئن | ژوئیه ژوییه جولای | "
        "اوت آگوست | سپتامبر | اکتبر | نوامبر | دسامبر",
    ),
    (
        SOLAR,
        "فروردین | اردیبهشت | خرداد | تیر | مرداد امرداد | شهریور | مهر | آبان | آذر | دی | بهمن | اسفند",
    ),
    (
        HIJRI,
        "محرم | صفر | ربيع_الأول ربيع_الاول ربيع_أول | ربيع_الثاني ربيع_الآخر ربيع_ثاني | "
        "جمادى_الأولى جمادى_الاولى جمادى_الأول جمادي_الاول | جمادى_الآخرة جمادى_الثانية "
        "جمادى_الاخرة جمادي_الثاني | رجب | شعبان | رمضان | شوال | ذو_القعدة ذي_القعدة | "
        "ذو_الحجة ذي_الحجة",
    ),
)


def _month_table() -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for calendar, spec in _MONTHS_SOURCE:
        for number, names in enumerate(spec.split("|"), start=1):
            for name in names.split():
                table.setdefault(normalise_text(name.replace("_", " ")), (calendar, number))
    return table


_MONTHS = _month_table()
# Russian month names in every case (января, январе, январём ...) by stem and ending.
_RU_MONTH = (
    r"январ[ьяею]м?|феврал[ьяею]м?|март[аеу]?|мартом|апрел[ьяею]м?|ма[йяею]|маем|"
    r"июн[ьяею]м?|июл[ьяею]м?|август[аеу]?|августом|сентябр[ьяею]м?|октябр[ьяею]м?|"
    r"ноябр[ьяею]м?|декабр[ьяею]м?"
)
_RU_STEMS = (
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
)
_MONTH_ALT = (
    "(?:" + "|".join(re.escape(k) for k in sorted(_MONTHS, key=len, reverse=True)) + "|" + _RU_MONTH + ")"
)
_B = r"(?<![\w])"  # word start (Arabic clitics are not glued to month names)
_E = r"(?![\w])"
_YEAR_WORD = r"(?:عام|العام|سنه|سال|year|of|года|год|г\.?|yılı)"
# Era markers after a year: هـ / ه.ق (lunar Hijri), ه.ش (Solar Hijri), م / AD (Gregorian).
_MARKER = (
    r"(?:\s*(?P<marker>ه\s?\.?\s?ش|ه\s?\.?\s?ق|هجري\s+شمسي|هجري|ه|ق|ش|م|г\.|года|году"
    r"|ad|ce|ah|sh)(?![\w]))?"
)
_MONTH_DATE = re.compile(
    rf"{_B}(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th|er|-?го|-?е)?\s+(?:من\s+|of\s+)?)?"
    rf"(?P<month>{_MONTH_ALT})(?:\s*[/(\-]\s*(?P<month2>{_MONTH_ALT})\s*\)?)?{_E}"
    rf"\s*,?\s*(?:{_YEAR_WORD}\s*)?(?P<year>\d{{4}})(?!\d){_MARKER}"
)
_MONTH_DAY_YEAR = re.compile(
    rf"{_B}(?P<month>{_MONTH_ALT})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
    rf"(?P<year>\d{{4}}){_E}"
)
_ISO = re.compile(
    r"(?<![\d.\-/])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![\d\-])"
    rf"{_MARKER}"
)
_YMD = re.compile(
    r"(?<![\d./])(?P<year>\d{4})([/.])(?P<month>\d{1,2})\2(?P<day>\d{1,2})"
    rf"(?![\d/]|\.\d){_MARKER}"
)
_DMY = re.compile(
    r"(?<![\d./\-])(?P<day>\d{1,2})([/.\-])(?P<month>\d{1,2})\2(?P<year>\d{4})"
    rf"(?![\d/\-]|\.\d){_MARKER}"
)
_YEAR_CUE = re.compile(
    rf"{_B}(?:(?:in|since|during|until|by|year|عام|العام|سنه|خلال|منذ|سال|в|с|до|en|depuis)"
    rf"\s+(?P<year>\d{{4}})(?!\d){_MARKER}|(?P<year2>\d{{4}})\s*(?P<ru>году|года|год|г\.)"
    rf"|(?P<year3>\d{{4}})\s*(?:yılında|yılı))"
)


@dataclass(frozen=True, slots=True)
class DateMention:
    date: str
    precision: str
    calendar: str
    span: tuple[int, int]

    def to_dict(self) -> dict[str, object]:
        return {
            "date": self.date,
            "precision": self.precision,
            "calendar": self.calendar,
            "span": [self.span[0], self.span[1]],
        }


def to_gregorian(calendar: str, year: int, month: int, day: int) -> dt.date | None:
    """Convert a date in ``calendar`` to a Gregorian date; None when it does not exist."""
    try:
        if calendar == GREGORIAN:
            return dt.date(year, month, day)
        if calendar == HIJRI:
            from hijridate import Hijri

            g = Hijri(year, month, day).to_gregorian()
            return dt.date(g.year, g.month, g.day)
        import jdatetime

        return jdatetime.date(year, month, day).togregorian()  # type: ignore[no-any-return]
    except (ValueError, OverflowError, TypeError):
        return None


def _calendar_for_year(year: int, marker: str | None, default: str) -> str | None:
    """Which calendar a bare year number is in, from its size and an era marker."""
    marker = (marker or "").replace(" ", "").replace(".", "")
    if marker in ("هق", "ق", "ه", "هجري", "ah"):
        return HIJRI if 1300 <= year <= 1500 else None
    if marker in ("هش", "ش", "هجريشمسي", "sh"):
        return SOLAR if 1300 <= year <= 1500 else None
    if 1300 <= year <= 1500:
        return SOLAR if default == GREGORIAN else default
    if 1800 <= year <= 2200:
        return GREGORIAN if default == GREGORIAN else None
    return None


def _month_of(name: str) -> tuple[str, int] | None:
    if name in _MONTHS:
        return _MONTHS[name]
    for number, stem in enumerate(_RU_STEMS, start=1):
        if name.startswith(stem) and (stem != "ма" or name[:3] in ("май", "мая", "мае", "маю")):
            return GREGORIAN, number
    return None


def find_dates(norm: Normalised) -> list[DateMention]:
    text = norm.text
    found: list[DateMention] = []
    taken = SpanSet(len(text))

    def add(calendar: str, year: int, month: int | None, day: int | None, start: int, end: int) -> None:
        if taken.overlaps(start, end):
            return
        g = to_gregorian(calendar, year, month or 1, day or 1)
        if g is None:
            return
        if day is not None:
            value, precision = g.isoformat(), "day"
        elif month:
            value, precision = f"{g.year:04d}-{g.month:02d}", "month"
        else:
            value, precision = f"{g.year:04d}", "year"
        taken.take(start, end)
        found.append(DateMention(value, precision, calendar, norm.span(start, end)))

    for pattern in (_ISO, _YMD, _DMY):
        for m in pattern.finditer(text):
            year = int(m.group("year"))
            calendar = _calendar_for_year(year, m.group("marker"), GREGORIAN)
            if calendar is not None:
                add(calendar, year, int(m.group("month")), int(m.group("day")), m.start(), m.end())
    for pattern in (_MONTH_DATE, _MONTH_DAY_YEAR):
        for m in pattern.finditer(text):
            month = _month_of(m.group("month"))
            if month is None:
                continue
            calendar, number = month
            year = int(m.group("year"))
            marker = m.groupdict().get("marker")
            if calendar == GREGORIAN and not 1800 <= year <= 2200:
                continue
            if calendar != GREGORIAN and _calendar_for_year(year, marker, calendar) is None:
                continue
            day = int(m.group("day")) if m.group("day") else None
            add(calendar, year, number, day, m.start(), m.end())
    for m in _YEAR_CUE.finditer(text):
        raw = m.group("year") or m.group("year2") or m.group("year3")
        year = int(raw)
        calendar = _calendar_for_year(year, m.group("marker"), GREGORIAN)
        if calendar is not None:
            # A Solar Hijri year alone starts on 1 Farvardin (about 21 March).
            add(calendar, year, None, None, m.start(), m.end())
    found.sort(key=lambda d: d.span)
    return found
