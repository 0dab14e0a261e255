"""Rendering results for the terminal: tables, JSON, CSV, issue lists, progress."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.core.messages import text
from jieneng.core.text import strip_control

#: Piped output is not wrapped at 80 columns: tables of indicators are wide.
console = Console(width=None if Console().is_terminal else 200)
err_console = Console(stderr=True, width=None if Console(stderr=True).is_terminal else 200)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection in exported text cells (OWASP CSV
    injection), and drop control characters (an ESC would reach the terminal)."""
    if isinstance(value, str):
        value = strip_control(value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def print_csv(rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    sys.stdout.write(buffer.getvalue())


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(escape(fmt(v)) for v in row))
    console.print(table)


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.2f}%"


def say(key: str, **values: Any) -> str:
    """The catalogue's ``key`` (``cli.*``) in both languages, Chinese first: the command
    line speaks to whoever runs it."""
    zh, en = text("zh-CN", key, **values), text("en", key, **values)
    return zh if zh == en else f"{zh} / {en}"


def label(key: str, **values: Any) -> str:
    """A short label (a title, a column) in both languages: ``账户 accounts``."""
    zh, en = text("zh-CN", key, **values), text("en", key, **values)
    return zh if zh == en else f"{zh} {en}"


def print_error(err: DomainError) -> None:
    err_console.print(f"[bold red]{label('cli.error')}:[/] {err.message_zh}\n  {err.message_en}")
    if isinstance(err, ImportRejected):
        print_issues(err.issues, stream=err_console)


def print_issues(issues: Sequence[Any], *, stream: Console | None = None) -> None:
    """One line per issue: file, sheet, row, column, value, zh and en message."""
    out = stream or console
    table = Table(show_lines=False, title=label("cli.issues"))
    for column in ("level", "where", "value", "problem"):
        table.add_column(label(f"cli.column.{column}"), overflow="fold")
    for issue in issues:
        where = " / ".join(
            str(p) for p in (
                issue.file, issue.sheet, f"第{issue.row}行 row {issue.row}" if issue.row else None,
                f"列 {issue.column}" if issue.column else None,
            ) if p
        )
        table.add_row(
            issue.severity, where, "" if issue.value is None else str(issue.value),
            f"{issue.message_zh}\n{issue.message_en}",
        )
    out.print(table)


@contextmanager
def progress(description: str) -> Iterator[Any]:
    """A spinner with stages on a terminal; silent when output is piped."""
    if not err_console.is_terminal:
        yield lambda _stage: None
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda stage: bar.update(task, description=f"{description}: {stage}")
