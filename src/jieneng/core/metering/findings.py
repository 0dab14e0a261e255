"""What turning readings into consumption found: stable codes, never silent.

A :class:`MeterFinding` is data (HA's ``ValidationIssue`` habit, ``aesthetics.md``
habit 7): a stable code, the meter, the time and the values that show why. Its text
is the catalogue's entry under the code (``metering.…`` in
``jieneng/data/messages``), rendered by :func:`render`. Each interval of a derived
series also carries :class:`Flag` bits saying how its value came about.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntFlag

from ..messages import text
from ..quality.model import Severity
from ..rounding import format_number
from .series import LOCAL_OFFSET_S


class Flag(IntFlag):
    """How an interval's value came about (stored as a small integer)."""

    SPREAD = 1  # a share of the energy of a gap, spread evenly (estimated)
    AFTER_GAP = 2  # holds the whole energy of the gap before it
    RESET = 4  # a counter reset: counted from 0
    ROLLOVER = 8  # the register wrapped past its last digit
    REPLACEMENT = 16  # a register was replaced at the end of this interval
    RATE_EXCEEDED = 32  # faster than the meter's max_rate; kept
    NEGATIVE_STEP = 64  # the register went back; held at its previous maximum
    READING_REMOVED = 128  # an outlying reading (a dip or spike) was set aside
    CONFLICT = 256  # a time stamp was received with different values
    REJECTED = 512  # an interval value was refused (negative)


#: code → severity. Codes are stable: storage, API and tests match on them.
SEVERITY: dict[str, Severity] = {
    "metering.counter_reset": Severity.WARNING,
    "metering.rollover": Severity.NOTICE,
    "metering.negative_step": Severity.WARNING,
    "metering.dip_removed": Severity.WARNING,
    "metering.spike_removed": Severity.WARNING,
    "metering.rate_exceeded": Severity.WARNING,
    "metering.gap_spread": Severity.NOTICE,
    "metering.gap_kept": Severity.NOTICE,
    "metering.duplicate_conflict": Severity.WARNING,
    "metering.invalid_reading": Severity.ERROR,
    "metering.negative_reading": Severity.ERROR,
    "metering.outside_installation": Severity.WARNING,
    "metering.negative_interval": Severity.ERROR,
}


@dataclass(frozen=True, slots=True)
class MeterFinding:
    """One finding: ``code`` (a key of :data:`SEVERITY`), the ``meter`` number, the
    reading's ``ts`` [epoch s, UTC]; ``value`` and ``previous`` the readings involved
    [register unit] (for a conflict the value kept and another received), ``count`` the intervals
    of a gap."""

    code: str
    meter: str
    ts: int
    value: float | None = None
    previous: float | None = None
    count: int | None = None

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.code]


def local_time(ts: int) -> str:
    """``2026-03-01 08:15`` in Asia/Shanghai."""
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=ts + LOCAL_OFFSET_S)
    return moment.strftime("%Y-%m-%d %H:%M")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    shown = format_number(value, 3)
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def render(finding: MeterFinding, lang: str = "zh-CN") -> str:
    """The finding's message in ``lang`` (the catalogue's text under its code)."""
    return text(lang, finding.code, meter=finding.meter, time=local_time(finding.ts),
                value=_number(finding.value), previous=_number(finding.previous),
                count="" if finding.count is None else finding.count)
