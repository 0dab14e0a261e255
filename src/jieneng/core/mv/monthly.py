"""Period regressions: CalTRACK 2.0 billing and the monthly regression on the
platform's own NY201 months.

Both are the same model (CalTRACK 2.0 §3.3, §3.4.2): a period's usage per day against
its average HDD and CDD per day, balance points on the CalTRACK grid, WLS weighted by
the period's days — fitted by :func:`jieneng.core.mv.caltrack.fit_periods`.

The monthly regression may take occupants or floor area as a routine adjustment
(platform convention, ``docs/mv.md``): with ``normalise="occupants"`` (or ``"area"``)
the model is fitted on usage per day *per occupant* (per m²) and a period's prediction
is multiplied back by that period's occupants (area) — so a reporting month with more
people gets a proportionally higher adjusted baseline. A period without the figure
(missing or ≤ 0) is left out of the fit and has no prediction.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .caltrack import fit_periods, predict_periods
from .caltrack_types import CaltrackFit, CaltrackSettings
from .data import PeriodData
from .temperature import FloatArray

Normalise = Literal["none", "occupants", "area"]
NORMALISE_CHOICES: tuple[str, ...] = ("none", "occupants", "area")


def scale(periods: PeriodData, normalise: Normalise) -> FloatArray:
    """The divisor of each period's usage: 1, its occupants or its area (NaN when the
    figure is missing or not positive)."""
    if normalise == "none":
        return np.ones(len(periods.usage))
    figure = periods.occupants if normalise == "occupants" else periods.area
    if figure is None:
        return np.full(len(periods.usage), np.nan)
    values = np.asarray(figure, dtype=np.float64)
    return np.where(values > 0, values, np.nan)


def fit_period_model(periods: PeriodData, *, fuel: str = "electricity",
                     normalise: Normalise = "none",
                     settings: CaltrackSettings | None = None) -> CaltrackFit:
    """The selected CalTRACK period model of ``periods`` (the valid ones)."""
    per_day = periods.usage / periods.days / scale(periods, normalise)
    usable = periods.valid & np.isfinite(per_day)
    return fit_periods(periods.day_temperature_f, periods.day_period,
                       np.where(usable, per_day, np.nan), periods.days.astype(np.float64),
                       fuel=fuel, settings=settings)


def predict_period_usage(fit: CaltrackFit, periods: PeriodData,
                         normalise: Normalise = "none") -> FloatArray:
    """Each period's predicted usage (total over its days; NaN without temperature or
    without the normalising figure)."""
    per_day = predict_periods(fit, periods.day_temperature_f, periods.day_period,
                              len(periods.usage))
    per_day = np.where(np.isnan(periods.temperature_f), np.nan, per_day)
    return np.asarray(per_day * periods.days * scale(periods, normalise), dtype=np.float64)
