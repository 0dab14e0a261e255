"""Savings over the reporting period: per period and in total (IPMVP general equation;
CalTRACK 2.0 §3.5–§3.6, §4.1, §4.3.2.4).

Everything is first laid out per reporting day (:class:`Ledger`): the baseline's
prediction for the day (a period's prediction spread evenly over its days), the
observed use, the group (a calendar month for daily data, the billing period or the
month otherwise) and the day's share of a reporting "point" (1 for a day, 1/days for a
period's day), so the sums per group and in total are ``bincount``\\ s.

* No counterfactual without temperature (§3.5.3) and no savings without consumption
  (§3.5.4): only days (periods) with both count; the others are reported as left out.
* Non-routine adjustments (IPMVP: factors not expected to change — area, occupants,
  hours, added loads) change the adjusted baseline: on each day of an
  :class:`Adjustment`'s range the prediction is multiplied by ``factor`` and then
  ``delta_per_day`` is added (in the meter's unit per day; negative for a removed load).
* savings = adjusted baseline − observed; % of the adjusted baseline;
  uncertainty ΔU per :func:`jieneng.core.mv.metrics.savings_uncertainty`, with
  ``M`` = used days / 30.4375 (months) and ``Q`` the points used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jieneng.core.exceptions import ValidationFailed

from .data import DateRange
from .metrics import ModelMetrics, fsu, savings_uncertainty
from .temperature import DayArray, FloatArray

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Adjustment:
    """A non-routine adjustment of the baseline over ``start``..``end`` (both included)."""

    start: date
    end: date
    reason: str
    factor: float = 1.0
    delta_per_day: float = 0.0

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationFailed.of("mv.range_order", start=self.start.isoformat(),
                                      end=self.end.isoformat())
        if not self.reason.strip():
            raise ValidationFailed.of("mv.adjustment_reason", start=self.start.isoformat(),
                                      end=self.end.isoformat())
        if not (math.isfinite(self.factor) and self.factor > 0
                and math.isfinite(self.delta_per_day)):
            raise ValidationFailed.of("mv.bad_adjustment",
                                      value=f"factor={self.factor} delta={self.delta_per_day}")

    @classmethod
    def parse(cls, text: str) -> Adjustment:
        """``START..END;delta=50;factor=1.1;reason=新增机房`` (the command line's form;
        ``delta`` per day, ``factor`` 1 and ``delta`` 0 when not given, a reason needed)."""
        head, *parts = text.split(";")
        fields: dict[str, str] = {}
        for part in parts:
            key, sep, value = part.partition("=")
            if not sep or key.strip() not in ("delta", "factor", "reason"):
                raise ValidationFailed.of("mv.bad_adjustment", value=text)
            fields[key.strip()] = value.strip()
        window = DateRange.parse(head)
        try:
            factor = float(fields.get("factor", "1"))
            delta = float(fields.get("delta", "0"))
        except ValueError:
            raise ValidationFailed.of("mv.bad_adjustment", value=text) from None
        return cls(window.start, window.end, fields.get("reason", ""), factor=factor,
                   delta_per_day=delta)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "reason": self.reason, "factor": self.factor,
                "delta_per_day": self.delta_per_day}


@dataclass(frozen=True)
class Ledger:
    """The reporting days: ``predicted`` and ``observed`` per day (NaN when none),
    ``group`` (0 … G−1) with ``labels[g]``, ``point`` the day's share of a point."""

    days: DayArray
    group: NDArray[np.int64]
    labels: tuple[str, ...]
    predicted: FloatArray
    observed: FloatArray
    point: FloatArray


def adjusted(ledger: Ledger, adjustments: Sequence[Adjustment]) -> FloatArray:
    """The adjusted baseline per day (the prediction where there is no adjustment)."""
    out = ledger.predicted.copy()
    for adj in adjustments:  # a handful per project, each vectorised over the days
        inside = (ledger.days >= np.datetime64(adj.start, "D")) & (
            ledger.days <= np.datetime64(adj.end, "D"))
        out[inside] = out[inside] * adj.factor + adj.delta_per_day
    return out


@dataclass(frozen=True)
class PeriodSavings:
    """Savings of one reporting period (or of the total)."""

    label: str
    start: str
    end: str
    days: int
    days_used: int
    days_no_temperature: int
    days_no_usage: int
    baseline_predicted: float
    adjustment: float
    adjusted_baseline: float
    observed: float
    savings: float
    savings_pct: float
    uncertainty: float
    fsu: float

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and not math.isfinite(v) else v
        return {k: clean(v) for k, v in self.__dict__.items()}


def _sums(group: NDArray[np.int64], values: FloatArray, n: int) -> FloatArray:
    return np.asarray(np.bincount(group, weights=values, minlength=n), dtype=np.float64)


def savings_table(ledger: Ledger, metrics: ModelMetrics, *, frequency: str,
                  adjustments: Sequence[Adjustment] = ()) -> tuple[tuple[PeriodSavings, ...],
                                                                   PeriodSavings]:
    """The savings of every group and of the whole reporting period."""
    n = len(ledger.labels)
    has_t = ~np.isnan(ledger.predicted)
    has_u = ~np.isnan(ledger.observed)
    used = has_t & has_u
    base = np.where(used, ledger.predicted, 0.0)
    adj = np.where(used, adjusted(ledger, adjustments), 0.0)
    obs = np.where(used, ledger.observed, 0.0)
    columns = {
        "days": np.bincount(ledger.group, minlength=n).astype(np.float64),
        "days_used": _sums(ledger.group, used.astype(float), n),
        "days_no_temperature": _sums(ledger.group, (~has_t).astype(float), n),
        "days_no_usage": _sums(ledger.group, (~has_u).astype(float), n),
        "baseline_predicted": _sums(ledger.group, base, n),
        "adjusted_baseline": _sums(ledger.group, adj, n),
        "observed": _sums(ledger.group, obs, n),
        "points": _sums(ledger.group, np.where(used, ledger.point, 0.0), n),
    }
    first = np.full(n, np.datetime64("NaT", "D"))
    last = np.full(n, np.datetime64("NaT", "D"))
    if len(ledger.days):
        starts = np.flatnonzero(np.r_[True, ledger.group[1:] != ledger.group[:-1]])
        ends = np.r_[starts[1:] - 1, len(ledger.days) - 1]
        first[ledger.group[starts]] = ledger.days[starts]
        last[ledger.group[ends]] = ledger.days[ends]
    rows = tuple(_row(ledger.labels[g], str(first[g]), str(last[g]),
                      {k: float(v[g]) for k, v in columns.items()}, metrics, frequency)
                 for g in range(n))
    total = _row("total", str(ledger.days[0]) if len(ledger.days) else "",
                 str(ledger.days[-1]) if len(ledger.days) else "",
                 {k: float(v.sum()) for k, v in columns.items()}, metrics, frequency)
    return rows, total


def _row(label: str, start: str, end: str, c: dict[str, float], metrics: ModelMetrics,
         frequency: str) -> PeriodSavings:
    savings = c["adjusted_baseline"] - c["observed"]
    delta = savings_uncertainty(metrics, frequency=frequency,
                                months=c["days_used"] / DAYS_PER_MONTH,
                                periods=round(c["points"]), baseline=c["adjusted_baseline"])
    pct = savings / c["adjusted_baseline"] if c["adjusted_baseline"] else math.nan
    return PeriodSavings(
        label=label, start=start, end=end, days=int(c["days"]), days_used=int(c["days_used"]),
        days_no_temperature=int(c["days_no_temperature"]),
        days_no_usage=int(c["days_no_usage"]), baseline_predicted=c["baseline_predicted"],
        adjustment=c["adjusted_baseline"] - c["baseline_predicted"],
        adjusted_baseline=c["adjusted_baseline"], observed=c["observed"], savings=savings,
        savings_pct=pct, uncertainty=delta, fsu=fsu(delta, savings))
