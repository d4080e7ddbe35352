"""Imports point down the cycle: domain <- storage <- collection, analysis ... <- api, web, cli."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "markaz"
# The layers between storage and the interfaces; none of them may import an interface.
MIDDLE = ("collection", "processing", "analysis", "dissemination", "governance", "security")
INTERFACES = ("markaz.api", "markaz.web", "markaz.cli", "markaz.app", "markaz.demo")
# Storage imports reaching up that are known and kept, each with its reason (docs/architecture.md).
# A prefix on the left covers the files that start with it.
STORAGE_EXCEPTIONS = {
    # `markaz audit verify` re-checks the stored signatures; signing writes through audit.
    ("markaz.storage.audit", "markaz.security.signing"),
    # Scope is an enum and a rule (no I/O): the tokens table stores it.
    ("markaz.storage.principals", "markaz.security.scopes"),
    ("markaz.storage.schema", "markaz.security.scopes"),
    # The fusion graph's storage speaks the matching's types (Node, Link) and recomputes the
    # links inside an atom with the match rule (storage/fusion.py, storage/fusion_graph.py).
    ("markaz.storage.fusion", "markaz.analysis"),
}


def _imports(path: Path) -> Iterator[str]:
    """Every markaz module a file imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "markaz":
                yield from (f"markaz.{a.name}" for a in node.names)
            elif node.module.startswith("markaz."):
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("markaz."))


def _module(path: Path) -> str:
    return "markaz." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _files(folder: str) -> list[Path]:
    files = sorted((PACKAGE / folder).rglob("*.py"))
    assert files, folder
    return files


def test_domain_imports_nothing_above_it() -> None:
    wrong = [
        (_module(f), m)
        for f in _files("domain")
        for m in _imports(f)
        if not _under(m, "markaz.domain", "markaz.errors")
    ]
    assert wrong == []


def test_storage_imports_only_the_domain_and_the_listed_exceptions() -> None:
    allowed = ("markaz.storage", "markaz.domain", "markaz.errors", "markaz.settings", "markaz.__version__")
    wrong = []
    for f in _files("storage"):
        here = _module(f)
        for m in _imports(f):
            if _under(m, *allowed):
                continue
            if any(here.startswith(a) and _under(m, b) for a, b in STORAGE_EXCEPTIONS):
                continue
            wrong.append((here, m))
    assert wrong == []


def test_no_layer_below_the_interfaces_imports_one() -> None:
    wrong = [
        (_module(f), m)
        for folder in (*MIDDLE, "storage", "domain")
        for f in _files(folder)
        for m in _imports(f)
        if _under(m, *INTERFACES)
    ]
    assert wrong == []


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from markaz.api.filters import x\n\nimport markaz.web.auth\n")
    assert sorted(_imports(sample)) == ["markaz.api.filters", "markaz.web.auth"]
