"""What every command module shares: the command's state (settings, engines), the error
handler that prints domain errors bilingually, and the common option types.

The root callback in :mod:`jieneng.cli.main` fills :data:`state` before any command runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

import typer

from jieneng.cli import output
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


class _Report(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Report)


class State:
    settings: Settings
    explicit_db: bool = False
    engines: list[Any]

    def __init__(self) -> None:
        self.engines = []

    def dispose(self) -> None:
        while self.engines:
            self.engines.pop().dispose()


state = State()


def handles_errors(func: F) -> F:
    """Print domain errors bilingually and exit 1 instead of a traceback; the same for a
    database that is unavailable or a change that collided with another; dispose engines."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DomainError as err:
            output.print_error(err)
            raise typer.Exit(1) from None
        except Exception as err:
            refusal = _database_refusal(err)
            if refusal is None:
                raise
            output.print_error(refusal)
            raise typer.Exit(1) from None
        finally:
            state.dispose()

    return wrapper  # type: ignore[return-value]


def _database_refusal(err: Exception) -> DomainError | None:
    """A bilingual message for a database error that is not a bug (see
    :func:`jieneng.storage.engine.database_trouble`), else None."""
    from jieneng.storage.engine import database_trouble

    trouble = database_trouble(err)
    if trouble == "unavailable":
        return DomainError.of("cli.database_unavailable")
    if trouble == "conflict":
        return DomainError.of("cli.changed_meanwhile")
    return None


def day(text: str) -> date:
    """A command's ``YYYY-MM-DD`` argument; a malformed one is refused bilingually
    (``cli.invalid_date``), not a traceback."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed.of("cli.invalid_date", day=text[:20]) from None


def day_or_none(text: str | None) -> date | None:
    """:func:`day` of an option that may be left out (None, or empty)."""
    return day(text) if text else None


def engine(url: str | None = None) -> Any:
    """The command's engine, disposed when the command ends."""
    from jieneng.services.database import open_database

    opened = open_database(url or state.settings.database_url)
    state.engines.append(opened)
    return opened


class Fmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
DryRun = Annotated[bool, typer.Option("--dry-run", help="只校验不写入 validate only")]
FormatOpt = Annotated[Fmt, typer.Option("--format", help="输出格式 output format")]
RegionOpt = Annotated[str, typer.Option("--region", help="行政区划代码 region code")]
YearOpt = Annotated[int, typer.Option("--year", help="年度 year")]
HostOpt = Annotated[str, typer.Option("--host", help="监听地址 bind address")]
PortOpt = Annotated[int, typer.Option("--port", help="端口 port")]


def file_import(run: Callable[[], R], fmt: Fmt) -> R | None:
    """An import command's service call: a refused file printed with its issues' summary
    (exit status 1); the report printed as JSON with ``--format json`` (then None) or
    returned for the command's sentence."""
    from jieneng.core.exceptions import ImportRejected

    try:
        report = run()
    except ImportRejected as err:
        output.print_error(err)
        raise typer.Exit(1) from None
    if fmt is Fmt.json:
        output.print_json(report.to_dict())
        return None
    return report
