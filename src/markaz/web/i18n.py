"""The interface's languages: gettext catalogues (Babel), direction, and one Jinja2 environment each."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
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


def catalogue_path(language: str, domain: str = "messages") -> Path:
    """A language's catalogue: `messages` for the pages, `errors` for the error sentences."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


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
    env.filters["error_text"] = lambda message: error_text(language, str(message))
    return env


def render(language: str, template: str, context: dict[str, Any]) -> str:
    env = environment(language)
    calendar = context.get("calendar", "gregorian")
    context = {**context, "when": lambda value: in_calendar(value, calendar, language)}
    return env.get_template(template).render(context)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


# ---- error sentences --------------------------------------------------------------------
#
# Errors are raised with English sentences built from f-strings (markaz.errors); their
# templates, found in the source by markaz.web.error_templates, are the message ids of the
# `errors` catalogues. A message is translated by finding the template it was made from,
# taking the values out of it and putting them into the translated template. Values (codes,
# ids, field names, numbers) stay as they are: they mean the same in every language.

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
# "field: sentence", the API's shape for a refused field, when the whole has no template.
_FIELD_PREFIX = re.compile(r"^([A-Za-z_][\w.\[\]-]*): (.+)$", re.DOTALL)


@dataclass(frozen=True)
class _Template:
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    translation: str
    specificity: int  # characters of literal text: the longest matching template wins


def _compile(msgid: str) -> tuple[str, tuple[str, ...]]:
    parts: list[str] = []
    names: list[str] = []
    end = 0
    for token in _TOKEN.finditer(msgid):
        parts.append(re.escape(msgid[end : token.start()]))
        if token.group(1):
            names.append(token.group(1))
            parts.append(f"(?P<p{len(names) - 1}>.+?)")
        else:
            parts.append(re.escape(token.group(0)[0]))
        end = token.end()
    parts.append(re.escape(msgid[end:]))
    return "^" + "".join(parts) + "$", tuple(names)


def fill(template: str, values: dict[str, str]) -> str:
    """A template with its placeholders replaced by the values, `{{` and `}}` by braces."""

    def one(token: re.Match[str]) -> str:
        if token.group(1):
            return values.get(token.group(1), token.group(0))
        return token.group(0)[0]

    return _TOKEN.sub(one, template)


def error_catalogue_entries(language: str) -> dict[str, str]:
    """The translated error templates of a language (English template -> translation)."""
    path = catalogue_path(language, "errors")
    if language == "en" or not path.exists():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


@cache
def _error_catalogue(language: str) -> tuple[dict[str, str], tuple[_Template, ...]]:
    exact: dict[str, str] = {}
    patterns: list[_Template] = []
    for msgid, msgstr in error_catalogue_entries(language).items():
        regex, names = _compile(msgid)
        if names:
            literal = len(_TOKEN.sub("", msgid))
            patterns.append(_Template(re.compile(regex, re.DOTALL), names, msgstr, literal))
        else:
            exact[fill(msgid, {})] = fill(msgstr, {})
    patterns.sort(key=lambda t: -t.specificity)
    return exact, tuple(patterns)


def error_text(language: str, message: str, _depth: int = 0) -> str:
    """An English error sentence in the language; unchanged for English or when unknown."""
    if language == "en" or language not in LANGUAGES or not message:
        return message
    exact, patterns = _error_catalogue(language)
    if message in exact:
        return exact[message]
    for template in patterns:
        found = template.pattern.match(message)
        if found is None:
            continue
        values = {}
        for i, name in enumerate(template.names):
            value = found.group(f"p{i}")
            # A value can itself be a sentence ("{what} failed: {detail}").
            values[name] = error_text(language, value, _depth + 1) if _depth < 2 else value
        return fill(template.translation, values)
    prefixed = _FIELD_PREFIX.match(message)
    if prefixed and _depth < 2:
        rest = error_text(language, prefixed.group(2), _depth + 1)
        if rest != prefixed.group(2):
            return f"{prefixed.group(1)}: {rest}"
    return message


def error_language(accept_language: str | None) -> str:
    """The language an API caller prefers in Accept-Language among en, ar, fa, ru, else English.

    Preference by quality (`q=`), then by order; `q=0` means "not this one".
    """
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:500].split(",")):
        code, *params = part.split(";")
        quality = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = code.strip().lower()[:2]
        if language in LANGUAGES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else "en"
