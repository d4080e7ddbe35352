"""The documentation keeps up with the code: every setting, endpoint and command is described."""

from __future__ import annotations

from pathlib import Path

import typer

from markaz.app import create_app
from markaz.cli import build_app
from markaz.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"MARKAZ_{name.upper()}" in readme, name


def test_every_endpoint_is_in_the_api_doc(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db"))
    spec = app.openapi()
    for path, operations in spec["paths"].items():
        for method in operations:
            assert (
                f"{method.upper()} {path.replace('{report_id}', '{id}').replace('{motion_id}', '{id}')}"
                in doc
            ), (method, path)


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    root = typer.main.get_command(build_app())
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        assert command.help, name
        if hasattr(command, "commands"):
            for sub in command.commands:
                assert f"markaz {name} {sub}" in readme or f"{name} {sub}" in readme, (name, sub)
        else:
            assert f"markaz {name}" in readme or f"| {name}" in readme or f" {name} " in readme, name
