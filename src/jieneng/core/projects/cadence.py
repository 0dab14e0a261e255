"""Statement periods of a project (月度监测 / 季度评估 / 年度考核) and the thresholds of
its alerts, read from ``data/projects/monitoring.json`` (each with its source).

A period is written ``2025-03`` (a month), ``2025-Q1`` (a quarter) or ``2025`` (a
year); its kind is the statement's kind: monthly monitoring, quarterly evaluation,
annual assessment — the 荆州 scheme (荆政办发〔2024〕18号, as the issue quotes it) is the
default cadence; a project may use another (``docs/projects.md``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from ..exceptions import ValidationFailed


class StatementKind(StrEnum):
    MONTHLY = "monthly"  # 月度监测
    QUARTERLY = "quarterly"  # 季度评估
    ANNUAL = "annual"  # 年度考核


_LABELS = {StatementKind.MONTHLY: ("月度监测", "monthly monitoring"),
           StatementKind.QUARTERLY: ("季度评估", "quarterly evaluation"),
           StatementKind.ANNUAL: ("年度考核", "annual assessment")}
_RE = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|[Qq]([1-4])))?$")


def kind_label(kind: StatementKind | str, lang: str = "zh") -> str:
    return _LABELS[StatementKind(kind)][1 if lang.startswith("en") else 0]


@dataclass(frozen=True, slots=True)
class StatementPeriod:
    """A statement's period: ``first``..``last`` month of ``year`` (inclusive)."""

    kind: StatementKind
    year: int
    first: int
    last: int

    @classmethod
    def parse(cls, value: str) -> StatementPeriod:
        """``2025-03`` → a month, ``2025-Q2`` → a quarter, ``2025`` → a year."""
        m = _RE.match(value.strip())
        if m is None or not 2000 <= int(m.group(1)) <= 2100:
            raise ValidationFailed.of("project_statement.bad_period", period=value)
        year = int(m.group(1))
        if m.group(2):
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise ValidationFailed.of("project_statement.bad_period", period=value)
            return cls(StatementKind.MONTHLY, year, month, month)
        if m.group(3):
            q = int(m.group(3))
            return cls(StatementKind.QUARTERLY, year, 3 * q - 2, 3 * q)
        return cls(StatementKind.ANNUAL, year, 1, 12)

    @property
    def code(self) -> str:
        if self.kind == StatementKind.MONTHLY:
            return f"{self.year}-{self.first:02d}"
        if self.kind == StatementKind.QUARTERLY:
            return f"{self.year}-Q{self.last // 3}"
        return str(self.year)

    @property
    def months(self) -> int:
        return self.last - self.first + 1

    @property
    def start(self) -> date:
        return date(self.year, self.first, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        return date(self.year + 1, 1, 1) if self.last == 12 else date(self.year,
                                                                       self.last + 1, 1)

    def month_keys(self) -> list[tuple[int, int]]:
        return [(self.year, m) for m in range(self.first, self.last + 1)]

    def sub_periods(self, kind: StatementKind) -> list[StatementPeriod]:
        """The periods of ``kind`` inside this one (the months of a quarter …)."""
        step = {StatementKind.MONTHLY: 1, StatementKind.QUARTERLY: 3,
                StatementKind.ANNUAL: 12}[kind]
        return [StatementPeriod(kind, self.year, m, m + step - 1)
                for m in range(self.first, self.last + 1, step) if m + step - 1 <= self.last]


def periods_between(start: date, end: date, kind: StatementKind) -> list[StatementPeriod]:
    """Every complete period of ``kind`` in [``start``, ``end``) (month starts)."""
    out: list[StatementPeriod] = []
    for year in range(start.year, end.year + 1):
        for p in StatementPeriod(StatementKind.ANNUAL, year, 1, 12).sub_periods(kind):
            if p.start >= start and p.end <= end:
                out.append(p)
    return out


@cache
def monitoring_rules() -> dict[str, Any]:
    """``data/projects/monitoring.json``: the default cadence and alert thresholds."""
    path = resources.files("jieneng") / "data" / "projects" / "monitoring.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def default_cadence() -> tuple[StatementKind, ...]:
    return tuple(StatementKind(k) for k in monitoring_rules()["cadence"]["default"])


def alert_threshold(name: str) -> Any:
    """``min_sufficiency``, ``expiry_months``, ``guarantee_level``."""
    return monitoring_rules()["alerts"][name]["value"]
