"""Reporting periods (报告期): a month (月报) or a whole year (年报), parsed from
``2025-03`` / ``2025年3月`` / ``2025`` and displayed in either language.

References
----------
- 公共机构能源资源消费统计调查制度: 月报 for one month, 年报 for one year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ..exceptions import ValidationFailed

#: Years a reporting period may have (the statistics system began in the 2000s).
MIN_YEAR = 2000
MAX_YEAR = 2100


class PeriodKind(StrEnum):
    """Kind of reporting period; the value is the stable code."""

    MONTHLY = "monthly"
    ANNUAL = "annual"

    def label(self, lang: str = "zh") -> str:
        """``月报`` / ``monthly report`` …"""
        return _PERIOD_LABELS[self][1 if lang.startswith("en") else 0]


_PERIOD_LABELS = {
    PeriodKind.MONTHLY: ("月报", "monthly report"),
    PeriodKind.ANNUAL: ("年报", "annual report"),
}

_PERIOD_RE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$|^(\d{4})年(?:(\d{1,2})月)?$")


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: a month (``month`` 1–12) or a whole year (``month`` None).

    Build with :meth:`monthly`, :meth:`annual` or :meth:`parse`; the constructor
    validates. Sort with :meth:`sort_key` (the year before its months).
    """

    year: int
    month: int | None = None

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise ValidationFailed.of(
                "reporting.invalid_year", year=self.year, min_year=MIN_YEAR,
                max_year=MAX_YEAR,
            )
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValidationFailed.of("reporting.invalid_month", month=self.month)

    @classmethod
    def monthly(cls, year: int, month: int) -> Period:
        """The 月报 period of ``year``-``month``."""
        return cls(year, month)

    @classmethod
    def annual(cls, year: int) -> Period:
        """The 年报 period of ``year``."""
        return cls(year, None)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``"2025-03"``, ``"2025-3"``, ``"2025年3月"`` (monthly) or ``"2025"``,
        ``"2025年"`` (annual)."""
        match = _PERIOD_RE.match(text.strip())
        if match is None:
            raise ValidationFailed.of(
                "reporting.invalid_period", text=text,
            )
        year, month = match.group(1) or match.group(3), match.group(2) or match.group(4)
        return cls(int(year), int(month) if month is not None else None)

    @property
    def kind(self) -> PeriodKind:
        return PeriodKind.ANNUAL if self.month is None else PeriodKind.MONTHLY

    @property
    def months(self) -> tuple[int, ...]:
        """Calendar months covered: ``(3,)`` for a month, 1–12 for a year."""
        return tuple(range(1, 13)) if self.month is None else (self.month,)

    def sort_key(self) -> tuple[int, int]:
        """(year, month or 0): the annual period sorts before the months of its year."""
        return (self.year, self.month or 0)

    def format(self) -> str:
        """The stable text form, inverse of :meth:`parse`: ``2025-03`` or ``2025``."""
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"

    def label(self, lang: str = "zh") -> str:
        """Display text: ``2025年3月`` / ``2025年`` or ``2025-03`` / ``2025``."""
        if lang.startswith("en"):
            return self.format()
        return f"{self.year}年" if self.month is None else f"{self.year}年{self.month}月"

    def __str__(self) -> str:
        return self.format()

