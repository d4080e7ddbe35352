"""Every message of the interface is translated in every catalogue, and the catalogues compile."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from markaz.web import i18n

WEB = Path(i18n.__file__).parent


def _messages() -> set[str]:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, keywords={"_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_interface_has_messages_to_translate() -> None:
    messages = _messages()
    assert {"Sign in", "New report", "Governance", "Chemical-weapons laboratory"} <= messages


@pytest.mark.parametrize("language", ["ar", "fa", "ru"])
def test_every_message_is_translated(language: str) -> None:
    with i18n.catalogue_path(language).open("rb") as f:
        catalog = read_po(f, locale=language)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(m for m in _messages() if not translated.get(m))
    assert not missing, f"{language}: {missing}"
    # Placeholders survive translation.
    for message_id, text in translated.items():
        if "%(" in str(message_id):
            assert "%(time)s" in str(text), (language, message_id)


@pytest.mark.parametrize("language", ["ar", "fa", "ru"])
def test_catalogues_compile_and_translate(language: str) -> None:
    translations = i18n.translations(language)
    assert translations.gettext("Sign in") != "Sign in"
    assert i18n.direction(language) == ("rtl" if language in ("ar", "fa") else "ltr")
