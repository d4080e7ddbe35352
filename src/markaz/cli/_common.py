"""What every command shares: the --database-url option, readable errors, the Centre."""

from __future__ import annotations

import contextvars
import functools
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from markaz.centre import Centre
from markaz.errors import MarkazError
from markaz.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
_OPENED: contextvars.ContextVar[list[Centre]] = contextvars.ContextVar("markaz_cli_centres")

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="MARKAZ_DATABASE_URL",
        help="sqlite:///path/to/file.db or postgresql://user@host/db (default ./var/markaz.db)",
        show_envvar=True,
    ),
]

OPERATOR = "operator"


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def readable_errors(fn: F) -> F:
    """Turn every failure into one `error: ...` line on stderr and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opened: list[Centre] = []
        token = _OPENED.set(opened)
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except MarkazError as exc:
            fail(exc.message)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            fail(f"{where}: {first['msg']}" if where else str(first["msg"]))
        except OSError as exc:
            fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        except Exception as exc:  # the last line of defence: never a traceback
            from sqlalchemy.exc import OperationalError

            if isinstance(exc, OperationalError):
                fail(f"the database could not be used: {str(exc.orig).strip().splitlines()[0]}")
            print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
            raise typer.Exit(1) from None
        finally:
            _OPENED.reset(token)
            for centre in opened:
                centre.close()

    return wrapper  # type: ignore[return-value]


def settings_for(database_url: str | None) -> Settings:
    if database_url:
        return Settings(database_url=database_url)
    return Settings()


def centre_for(database_url: str | None) -> Centre:
    """A Centre for this command; closed when the command ends."""
    centre = Centre(settings_for(database_url))
    opened = _OPENED.get(None)
    if opened is not None:
        opened.append(centre)
    return centre
