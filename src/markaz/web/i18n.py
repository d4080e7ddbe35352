"""The interface's languages: gettext catalogues (Babel), direction, and one Jinja2 environment each."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from markaz.storage.web_sessions import LANGUAGES
from markaz.web.calendars import in_calendar, iso_text

LOCALE_DIR = Path(__file__).parent / "locale"
TEMPLATE_DIR = Path(__file__).parent / "templates"
RTL = frozenset({"ar", "fa"})
# Each language names itself in the switcher.
LANGUAGE_NAMES = {"en": "English", "ar": "العربية", "fa": "فارسی", "ru": "Русский"}


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue of a language, compiled from its .po file once per process.

    Compiling here rather than shipping .mo files keeps one source of truth: a fresh clone
    and `pip install -e .` need no build step, and a stale binary catalogue cannot exist.
    English is the language of the message ids.
    """
    if language == "en":
        return NullTranslations()
    with catalogue_path(language).open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def direction(language: str) -> str:
    return "rtl" if language in RTL else "ltr"


@cache
def environment(language: str) -> Environment:
    """A Jinja2 environment with the language's catalogue installed and autoescaping on."""
    if language not in LANGUAGES:
        raise ValueError(f"no interface language {language!r}")
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=language, dir=direction(language), language_names=LANGUAGE_NAMES)
    env.filters["iso"] = iso_text
    return env


def render(language: str, template: str, context: dict[str, Any]) -> str:
    env = environment(language)
    calendar = context.get("calendar", "gregorian")
    context = {**context, "when": lambda value: in_calendar(value, calendar, language)}
    return env.get_template(template).render(context)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)
