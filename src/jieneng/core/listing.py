"""Columns of the lists (名录, 审核发现, 预警, 审核队列, 排名, 考核 …): what each column
is, once, for the page, the JSON twin and the Excel export.

A :class:`Column` names the field of a list row it shows (``key``), its header
(a message-catalogue key, or for a registry figure the registry's names), its
kind and its decimals. :meth:`Column.display` is the text a page shows,
:meth:`Column.number_format` the Excel number format of the export
(:func:`jieneng.reports.tables.table_xlsx`); both read the same kind and
decimals, so a figure reads the same on the page and in the workbook, while the
value itself keeps full precision (``docs/architecture.md`` — Numbers).

Kinds:

- ``text`` — text as written; ``code`` — a code kept as text (a credit code,
  a region code: never read as a number);
- ``int`` — a count, thousands separator (``#,##0``);
- ``number`` — a figure with ``decimals`` decimals and a thousands separator;
- ``percent`` — a fraction shown as a percentage (上报率 ``42.8%``);
- ``change`` — a signed relative change (同比 ``+5.2%``, ``-2.4%``);
- ``bool`` — yes / no (``pages.yes`` / ``pages.no``).

Standard library and ``core`` only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from .indicator_registry import BY_CODE
from .messages import text
from .rounding import format_number, format_percent

Kind = Literal["text", "code", "int", "number", "percent", "change", "bool"]
KINDS: tuple[str, ...] = ("text", "code", "int", "number", "percent", "change", "bool")
NUMERIC: frozenset[str] = frozenset({"int", "number", "percent", "change"})


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a list.

    ``label`` is a message-catalogue key (both languages); ``names`` (中文, English)
    replaces it for a header taken from the indicator registry. ``unit`` is added
    to the header in brackets. ``decimals``: of a ``number`` (default 2), of a
    ``percent``/``change`` in percent points (default 1 is used when 2 is left).
    """

    key: str
    label: str = ""
    kind: Kind = "text"
    decimals: int = 2
    unit: str | None = None
    names: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")
        if not self.label and self.names is None:
            raise ValueError(f"column {self.key!r} needs a label or names")

    def header(self, lang: str) -> str:
        """The header in ``lang`` (``zh-CN`` or ``en``), with the unit in brackets."""
        if self.names is not None:
            name = self.names[1] if lang.startswith("en") else self.names[0]
        else:
            name = text(lang, self.label)
        if not self.unit:
            return name
        return f"{name} ({self.unit})" if lang.startswith("en") else f"{name}（{self.unit}）"

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    def number_format(self) -> str:
        """The Excel number format of the column's cells."""
        return number_format(self.kind, self.decimals)

    def display(self, value: Any, lang: str = "zh-CN") -> str:
        """The text a page shows for ``value`` (GB/T 8170 rounding, ``—`` for none)."""
        return display(self.kind, self.decimals, value, lang)


def percent_decimals(kind: str, decimals: int) -> int:
    """Decimals of a percentage: 1 unless a column asked for another than the default 2."""
    return 1 if kind in ("percent", "change") and decimals == 2 else decimals


def number_format(kind: str, decimals: int = 2) -> str:
    """The Excel number format of a kind: ``#,##0.00``, ``0.0%``, ``+0.0%;-0.0%;0.0%``, ``@``."""
    digits = percent_decimals(kind, decimals)
    places = "." + "0" * digits if digits > 0 else ""
    if kind == "int":
        return "#,##0"
    if kind == "number":
        return "#,##0" + places
    if kind == "percent":
        return f"0{places}%"
    if kind == "change":
        return f"+0{places}%;-0{places}%;0{places}%"
    return "@"


def display(kind: str, decimals: int, value: Any, lang: str = "zh-CN") -> str:
    """The page's text of a value of ``kind`` (see :meth:`Column.display`)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind == "bool":
        return text(lang, "pages.yes" if value else "pages.no")
    if kind in NUMERIC and isinstance(value, int | float) and not isinstance(value, bool):
        if kind == "int":
            return format_number(float(value), 0)
        if kind == "number":
            return format_number(float(value), decimals)
        digits = percent_decimals(kind, decimals)
        if kind == "change":
            return format_percent(float(value), digits)
        return format_number(float(value) * 100, digits, thousands=False) + "%"
    return str(value)


def pick(columns: Sequence[Column], *keys: str) -> tuple[Column, ...]:
    """The columns named ``keys``, in that order: a page shows some of its export's."""
    by_key = {c.key: c for c in columns}
    return tuple(by_key[key] for key in keys)


def cell_text(column: Column, row: Mapping[str, Any], lang: str = "zh-CN") -> str:
    """The text a page's table shows in ``column`` for ``row`` (a list row, read by
    the column's key): :meth:`Column.display`, as the export formats the cell."""
    return column.display(row.get(column.key), lang)


def indicator_column(code: str, key: str | None = None, *, kind: Kind = "number") -> Column:
    """A column of a registry figure: its names, display unit and decimals
    (:mod:`jieneng.core.indicator_registry`); ``key`` defaults to the code."""
    found = BY_CODE[code]
    names = (f"{found.name_zh}（{found.unit_zh}）", f"{found.name_en} ({found.unit_en})")
    return Column(key or code, kind=kind, decimals=found.decimals, names=names)


def text_width(value: str) -> int:
    """Display width of ``value`` in a fixed-width grid: a CJK (wide or full-width)
    character counts 2, any other 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in value)
