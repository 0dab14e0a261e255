"""Baseline data sufficiency with reasons (CalTRACK 2.0 §2.2, §2.3.6, §3.1.3; OpenEEmeter
``opendsm/eemeter/common/sufficiency_criteria.py``).

Every failed rule is a :class:`Reason` with a stable code (``mv.sufficiency.*``, its
texts in the message catalogue), the clause it applies, its severity (``error``: the
baseline does not qualify; ``warning``: flagged for review) and the figures. The
thresholds are data (``data/mv/rules.json``).

Daily and billing baselines:

======================================= ================================ ======================
rule                                    clause                           code
======================================= ================================ ======================
window at most 365 days                 §3.1.3; OpenEEmeter              ``baseline_too_long``
span (first to last valid day) ≥ 329 d  §2.2.1.2 (≤ 10 % missing)        ``baseline_too_short``
≥ 90 % of the window's days with usage  §2.2.1.2                         ``meter_days``
≥ 90 % with temperature                 §2.2.1.2                         ``temperature_days``
≥ 90 % with both                        §2.2.1.2; OpenEEmeter            ``joint_days``
≥ 90 % temperature in each month        OpenEEmeter                      ``temperature_month``
usage > median + 3·IQR (warning)        §2.3.6                           ``extreme_values``
======================================= ================================ ======================

Monthly baselines (platform convention, ``docs/mv.md``): at least
``monthly_min_months`` (12) months with usage and temperature (``too_few_months``), a
window of at most ``monthly_max_months`` months (``too_many_months``), and the
extreme-value warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from jieneng.core.messages import text

from .data import DailyData, DateRange, PeriodData, window_days
from .rules import sufficiency_value
from .temperature import DayArray, FloatArray

Severity = Literal["error", "warning"]

BASELINE_TOO_LONG = "mv.sufficiency.baseline_too_long"
BASELINE_TOO_SHORT = "mv.sufficiency.baseline_too_short"
METER_DAYS = "mv.sufficiency.meter_days"
TEMPERATURE_DAYS = "mv.sufficiency.temperature_days"
JOINT_DAYS = "mv.sufficiency.joint_days"
TEMPERATURE_MONTH = "mv.sufficiency.temperature_month"
EXTREME_VALUES = "mv.sufficiency.extreme_values"
TOO_FEW_MONTHS = "mv.sufficiency.too_few_months"
TOO_MANY_MONTHS = "mv.sufficiency.too_many_months"

CLAUSES: Mapping[str, str] = {
    BASELINE_TOO_LONG: "CalTRACK 2.0 §3.1.3",
    BASELINE_TOO_SHORT: "CalTRACK 2.0 §2.2.1.2 (OpenEEmeter: 329 days)",
    METER_DAYS: "CalTRACK 2.0 §2.2.1.2",
    TEMPERATURE_DAYS: "CalTRACK 2.0 §2.2.1.2",
    JOINT_DAYS: "CalTRACK 2.0 §2.2.1.2",
    TEMPERATURE_MONTH: "OpenEEmeter sufficiency_criteria (monthly temperature coverage)",
    EXTREME_VALUES: "CalTRACK 2.0 §2.3.6",
    TOO_FEW_MONTHS: "platform convention (docs/mv.md)",
    TOO_MANY_MONTHS: "platform convention (docs/mv.md), after CalTRACK 2.0 §3.1.3",
}


@dataclass(frozen=True)
class Reason:
    """One failed rule."""

    code: str
    severity: Severity
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def clause(self) -> str:
        return CLAUSES[self.code]

    def message(self, lang: str) -> str:
        return text(lang, self.code, **self.values)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "clause": self.clause,
                "values": dict(self.values), "message_zh": self.message("zh-CN"),
                "message_en": self.message("en")}


@dataclass(frozen=True)
class Sufficiency:
    """The verdict: ``ok`` when no rule of severity ``error`` failed."""

    reasons: tuple[Reason, ...]
    figures: Mapping[str, Any]

    @property
    def ok(self) -> bool:
        return not any(r.severity == "error" for r in self.reasons)

    @property
    def errors(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.severity == "error")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "figures": dict(self.figures),
                "reasons": [r.to_dict() for r in self.reasons]}


def _share(count: float, total: float) -> float:
    return count / total if total else 0.0


def _fraction_rules(shares: Mapping[str, float]) -> list[Reason]:
    need = sufficiency_value("min_valid_fraction")
    return [Reason(code, "error", {"share": round(share * 100, 1), "need": round(need * 100)})
            for code, share in shares.items() if share < need]


def _length_rules(window: DateRange, span_days: int) -> list[Reason]:
    out: list[Reason] = []
    longest = int(sufficiency_value("baseline_max_days"))
    shortest = int(sufficiency_value("baseline_min_days"))
    if window.days > longest:
        out.append(Reason(BASELINE_TOO_LONG, "error", {"days": window.days, "limit": longest}))
    if span_days < shortest:
        out.append(Reason(BASELINE_TOO_SHORT, "error", {"days": span_days, "need": shortest}))
    return out


def extreme_values(usage: FloatArray) -> Reason | None:
    """The §2.3.6 warning: values above median + 3·IQR (NaN ignored)."""
    values = usage[~np.isnan(usage)]
    if len(values) < 4:
        return None
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    limit = float(median + sufficiency_value("extreme_iqr_multiple") * (q3 - q1))
    count = int(np.sum(values > limit))
    if not count:
        return None
    return Reason(EXTREME_VALUES, "warning", {"count": count, "limit": round(limit, 3)})


def _month_coverage(days: DayArray, known: np.ndarray) -> list[Reason]:
    """Calendar months of the window whose temperature coverage is under 90 %."""
    months = days.astype("datetime64[M]")
    index = (months - months[0]).astype(np.int64)
    have = np.bincount(index, weights=known.astype(float))
    total = np.bincount(index)
    share = have / np.maximum(total, 1)
    need = sufficiency_value("min_month_temperature_coverage")
    return [Reason(TEMPERATURE_MONTH, "error",
                   {"month": str(months[0] + int(i)), "share": round(float(share[i]) * 100, 1),
                    "need": round(need * 100)})
            for i in np.flatnonzero(share < need)]


def daily_sufficiency(data: DailyData, window: DateRange) -> Sufficiency:
    """The rules of a daily baseline (see the module's table)."""
    valid = data.valid
    have_t = ~np.isnan(data.temperature_f)
    positions = np.flatnonzero(valid)
    span = int(positions[-1] - positions[0] + 1) if len(positions) else 0
    shares = {METER_DAYS: _share(int(np.sum(~np.isnan(data.usage))), window.days),
              TEMPERATURE_DAYS: _share(int(np.sum(have_t)), window.days),
              JOINT_DAYS: _share(len(positions), window.days)}
    reasons = _length_rules(window, span) + _fraction_rules(shares)
    reasons += _month_coverage(data.days, have_t)
    extreme = extreme_values(data.usage)
    if extreme is not None:
        reasons.append(extreme)
    figures = {"window_days": window.days, "span_days": span, "valid_days": len(positions),
               **{k.rsplit(".", 1)[1]: round(v, 4) for k, v in shares.items()}}
    return Sufficiency(tuple(reasons), figures)


def _covered(periods: PeriodData, window: DateRange, mask: np.ndarray
             ) -> tuple[DayArray, np.ndarray]:
    """The window's days and whether each lies in a period where ``mask`` holds."""
    days = window_days(window)
    offset = (periods.start - window.first).astype(np.int64)
    ends = offset + periods.days
    marks = np.zeros(len(days) + 1, dtype=np.int64)
    np.add.at(marks, np.clip(offset[mask], 0, len(days)), 1)
    np.add.at(marks, np.clip(ends[mask], 0, len(days)), -1)
    covered = np.cumsum(marks)[:-1] > 0
    return days, covered


def billing_sufficiency(periods: PeriodData, window: DateRange) -> Sufficiency:
    """The rules of a billing baseline: shares are of the window's days covered by
    periods kept (§2.2.3), periods with usage, with temperature (≥ 90 %, §2.2.3.2)."""
    has_usage = ~np.isnan(periods.usage)
    has_t = ~np.isnan(periods.temperature_f)
    valid = has_usage & has_t
    _, meter_cov = _covered(periods, window, has_usage)
    _, temp_cov = _covered(periods, window, has_t)
    _, joint = _covered(periods, window, valid)
    span = int(np.flatnonzero(joint)[-1] - np.flatnonzero(joint)[0] + 1) if joint.any() else 0
    shares = {METER_DAYS: _share(int(meter_cov.sum()), window.days),
              TEMPERATURE_DAYS: _share(int(temp_cov.sum()), window.days),
              JOINT_DAYS: _share(int(joint.sum()), window.days)}
    reasons = _length_rules(window, span) + _fraction_rules(shares)
    extreme = extreme_values(periods.usage_per_day)
    if extreme is not None:
        reasons.append(extreme)
    figures = {"window_days": window.days, "span_days": span,
               "periods": len(periods.usage), "valid_periods": int(valid.sum()),
               "dropped_periods": len(periods.dropped), "bimonthly": periods.bimonthly,
               **{k.rsplit(".", 1)[1]: round(v, 4) for k, v in shares.items()}}
    return Sufficiency(tuple(reasons), figures)


def monthly_sufficiency(periods: PeriodData, window: DateRange, *,
                        min_months: int | None = None) -> Sufficiency:
    """The platform's monthly rules (module table); ``min_months`` overrides the data."""
    need = int(sufficiency_value("monthly_min_months")) if min_months is None else min_months
    limit = int(sufficiency_value("monthly_max_months"))
    months = (np.datetime64(window.end, "M") - np.datetime64(window.start, "M")).astype(int) + 1
    valid = int(periods.valid.sum())
    reasons: list[Reason] = []
    if months > max(limit, need):
        reasons.append(Reason(TOO_MANY_MONTHS, "error", {"count": int(months), "limit": limit}))
    if valid < need:
        reasons.append(Reason(TOO_FEW_MONTHS, "error", {"count": valid, "need": need}))
    extreme = extreme_values(periods.usage_per_day)
    if extreme is not None:
        reasons.append(extreme)
    figures = {"window_months": int(months), "valid_months": valid,
               "dropped_months": len(periods.dropped), "min_months": need}
    return Sufficiency(tuple(reasons), figures)
