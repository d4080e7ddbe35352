"""The English error sentences markaz can raise, read from its source: the ids of the errors catalogues.

Every user-visible error is a MarkazError (or a ValueError inside a pydantic model, which the
API turns into "field: sentence") whose message is a literal or an f-string. An f-string is a
template: its literal text stays, each `{expression}` becomes a named placeholder (`{code}`,
`{field}`, `{value}` ...). The translated catalogues (`locale/<lang>/LC_MESSAGES/errors.po`)
translate these templates; `markaz.web.i18n.error_text` matches an English message against
them and puts the values back into the translation. `python -m markaz.web.error_templates update`
adds new templates to the catalogues for translation (docs/web.md).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ROOT_ERROR = "MarkazError"
# ValueErrors raised in these modules reach people (through pydantic's validation of
# requests, or converted to an InvalidInput); ValueErrors elsewhere are internal checks
# (settings at start-up, storage invariants) that no page or API answer shows.
USER_FACING_VALUE_ERRORS = (
    "domain/",
    "analysis/views.py",
    "analysis/sitrep_i18n.py",
    "governance/terms.py",
)
# The API's exception handlers build some answers themselves.
HANDLER_MODULES = ("api/errors.py",)
# pydantic's own sentences for the commonest refusals of a request's fields (pydantic-core's
# wording, with its values as placeholders). They reach people as "field: sentence"; rarer
# ones, and the detail after a comma in "{detail}", stay in English.
PYDANTIC_MESSAGES = (
    "Field required",
    "Extra inputs are not permitted",
    "Input should be a valid string",
    "Input should be a valid integer",
    "Input should be a valid integer, unable to parse string as an integer",
    "Input should be a valid integer, got a number with a fractional part",
    "Input should be a valid number",
    "Input should be a valid number, unable to parse string as a number",
    "Input should be a finite number",
    "Input should be a valid boolean",
    "Input should be a valid boolean, unable to interpret input",
    "Input should be a valid list",
    "Input should be a valid dictionary",
    "Input should be a valid dictionary or instance of {model}",
    "Input should be a valid datetime, {detail}",
    "Input should be a valid datetime or date, {detail}",
    "Input should be a valid date, {detail}",
    "Input should be {expected}",
    "Input should be greater than {gt}",
    "Input should be greater than or equal to {ge}",
    "Input should be less than {lt}",
    "Input should be less than or equal to {le}",
    "String should have at least {min_length} character",
    "String should have at least {min_length} characters",
    "String should have at most {max_length} characters",
    "String should match pattern {pattern}",
    "List should have at least {min_length} item after validation, not {actual_length}",
    "List should have at least {min_length} items after validation, not {actual_length}",
    "List should have at most {max_length} items after validation, not {actual_length}",
    "Invalid JSON: {detail}",
)
# States that f-strings put into messages ("member IQ is suspended"): members, reports,
# votes, suggestions. Translated on their own, then put into the translated sentence.
VALUE_WORDS = (
    "active",
    "suspended",
    "withdrawn",
    "superseded",
    "retracted",
    "approved",
    "rejected",
    "confirmed",
    "dismissed",
)
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _placeholder(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isidentifier():
            return key.value
        return _placeholder(expr.value)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.args:
        # len(x), sorted(x), str(x): name the placeholder after what is measured or shown.
        return _placeholder(expr.args[0])
    return "value"


def template_of(node: ast.expr) -> list[str]:
    """The message template(s) of a message expression; [] when it is not written in the code."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value.replace("{", "{{").replace("}", "}}")]
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        used: dict[str, int] = {}
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            elif isinstance(value, ast.FormattedValue):
                name = _placeholder(value.value)
                used[name] = used.get(name, 0) + 1
                parts.append("{" + (name if used[name] == 1 else f"{name}{used[name]}") + "}")
        return ["".join(parts)]
    if isinstance(node, ast.IfExp):
        return template_of(node.body) + template_of(node.orelse)
    return []


def _error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """Names of MarkazError and of every class in the package that derives from it."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                bases.setdefault(node.name, set()).update(names)
    found = {ROOT_ERROR}
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name not in found and parents & found:
                found.add(name)
                changed = True
    return found


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _message_argument(call: ast.Call, position: int = 0) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "message":
            return keyword.value
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return None


def _sites(relative: str, tree: ast.AST, errors: set[str]) -> Iterator[tuple[ast.expr, int]]:
    value_errors = relative.startswith(USER_FACING_VALUE_ERRORS)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in errors:
            # Subclasses that compose their own sentence: super().__init__(f"...").
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr == "__init__"
                    and isinstance(inner.func.value, ast.Call)
                ):
                    argument = _message_argument(inner)
                    if argument is not None:
                        yield argument, inner.lineno
        if isinstance(node, ast.Dict) and relative in HANDLER_MODULES:
            # The handlers' own sentences for framework errors ({404: "there is nothing ..."}).
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, int)
                    and isinstance(value, ast.Constant)
                    and " " in str(value.value)
                ):
                    yield value, value.lineno
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        if name in errors or (value_errors and name == "ValueError"):
            argument = _message_argument(node)
        elif name == "_answer" and relative in HANDLER_MODULES:
            argument = _message_argument(node, 3)
        else:
            continue
        if argument is not None:
            yield argument, node.lineno


def templates(package_dir: Path = PACKAGE_DIR) -> dict[str, list[str]]:
    """Every error message template in the package, with where each is raised."""
    trees = {
        path.relative_to(package_dir).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(package_dir.rglob("*.py"))
    }
    errors = _error_classes(trees)
    found: dict[str, list[str]] = {}
    for relative, tree in trees.items():
        for argument, line in _sites(relative, tree, errors):
            for template in template_of(argument):
                # A message that is nothing but a value (str(exc)) has nothing to translate.
                if any(ch.isalpha() for ch in _literal_text(template)):
                    found.setdefault(template, []).append(f"{relative}:{line}")
    for phrase, where in _phrases(trees, errors):
        found.setdefault(phrase, []).append(where)
    for message in PYDANTIC_MESSAGES:
        found.setdefault(message, []).append("pydantic:0")
    for word in VALUE_WORDS:
        found.setdefault(word, []).append("values:0")
    return found


def _phrases(trees: dict[str, ast.Module], errors: set[str]) -> Iterator[tuple[str, str]]:
    """Literal words handed to a function that puts its parameter into an error message.

    `require_admin(principal, "manage subscriptions")` with `f"... may {what}"` inside:
    "manage subscriptions" is translated too, and put into the translated sentence.
    """
    slots: dict[str, set[tuple[int, str]]] = {}
    for relative, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [a.arg for a in node.args.posonlyargs + node.args.args]
            offset = 1 if params[:1] in (["self"], ["cls"]) else 0
            for argument, _line in _sites(relative, node, errors):
                for value in ast.walk(argument):
                    if isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name):
                        name = value.value.id
                        if name in params:
                            slots.setdefault(node.name, set()).add((params.index(name) - offset, name))
    for relative, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for position, param in slots.get(_called(node), ()):
                given = [k.value for k in node.keywords if k.arg == param]
                if not given and 0 <= position < len(node.args):
                    given = [node.args[position]]
                for value in given:
                    if isinstance(value, ast.Constant) and " " in str(value.value):
                        for phrase in template_of(value):
                            yield phrase, f"{relative}:{node.lineno}"


def _literal_text(template: str) -> str:
    return PLACEHOLDER.sub("", template)


def pot(found: dict[str, list[str]]) -> str:
    """The templates as a gettext template catalogue (errors.pot)."""

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for template in sorted(found):
        lines.append("#: " + " ".join(found[template]))
        lines.append("msgid " + quoted(template))
        lines.append('msgstr ""')
        lines.append("")
    return "\n".join(lines)


def _location(where: str) -> tuple[str, int]:
    path, line = where.rsplit(":", 1)
    return (path if path in ("pydantic", "values") else f"src/markaz/{path}", int(line))


def update_catalogues(
    locale_dir: Path, languages: tuple[str, ...] = ("ar", "fa", "ru"), *, prune: bool = False
) -> dict[str, int]:
    """Add the templates that are new to each errors.po (untranslated) and keep the
    translations of the others; returns how many lack a translation.

    Templates no longer raised are kept unless `prune`: with several people editing one tree,
    a raise removed in work not yet committed may still be in the committed code.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    found = templates()
    template = Catalog(domain="errors", project="markaz")
    for message, where in sorted(found.items()):
        template.add(
            message,
            locations=[_location(w) for w in where],
        )
    untranslated: dict[str, int] = {}
    for language in languages:
        path = locale_dir / language / "LC_MESSAGES" / "errors.po"
        with path.open("rb") as f:
            catalogue = read_po(f, locale=language, domain="errors")
        catalogue.update(template, no_fuzzy_matching=True)
        unused = list(catalogue.obsolete.values())
        catalogue.obsolete.clear()
        if not prune:
            for kept in unused:
                catalogue.add(kept.id, kept.string)
        with path.open("wb") as f:
            write_po(f, catalogue, width=100, sort_output=True)
        untranslated[language] = sum(1 for m in catalogue if m.id and not m.string)
    return untranslated


if __name__ == "__main__":
    if sys.argv[1:2] == ["update"]:
        counts = update_catalogues(PACKAGE_DIR / "web" / "locale", prune="--prune" in sys.argv[2:])
        for language, count in counts.items():
            print(f"{language}: {count} error messages to translate")
    else:
        sys.stdout.write(pot(templates()))
