"""The statistics of the data-quality rules that the SQL layer cannot easily do:
the robust seasonal spike test (:func:`robust_spike`, Iglewicz & Hoaglin 1993,
Hampel 1974), the 万 ↔ base-unit slip (:func:`unit_slip`), the year-on-year change
(:data:`yoy_change`) and peer percentiles (:func:`percentile`, Hyndman & Fan 1996;
:func:`peer_bounds`). References are given with each function.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..exceptions import ValidationFailed
from ..indicator_registry import change

#: Consistency constant of the MAD for normally distributed data (1 / Φ⁻¹(3/4)).
MAD_SCALE = 1.4826


@dataclass(frozen=True, slots=True)
class Spike:
    """Result of :func:`robust_spike`."""

    is_spike: bool
    expected: float  # seasonal expectation of the value
    score: float  # robust z-score of the value's year-on-year log ratio
    pairs: int  # year-on-year pairs the scale was estimated from


def _yoy_log_ratios(history: Sequence[float | None], month: int) -> list[float]:
    ratios = []
    for t in range(max(12, month - 12), month):
        now, before = history[t], history[t - 12]
        if now is not None and before is not None and now > 0 and before > 0:
            ratios.append(math.log(now / before))
    return ratios


def robust_spike(
    history: Sequence[float | None],
    value: float,
    month: int,
    *,
    k: float = 3.5,
    min_pairs: int = 6,
    min_scale: float = 0.05,
) -> Spike | None:
    """Is ``value`` a spike against the institution's own, seasonal history?

    ``history[i]`` is the figure of month index ``i`` (consecutive months, None
    when missing); ``value`` is the figure of month index ``month`` (only
    ``history[:month]`` is used, so the whole series may be passed). Example: a
    series from January 2023 tests March 2025 with ``month=26``.

    Method (seasonal naive + modified z-score):

    1. ``r = ln(value / history[month-12])`` — the change on the same calendar month
       a year earlier, which removes the seasonal pattern (summer cooling and
       winter heating recur every year);
    2. ``R`` = the same log ratios for each of the last 12 months (pairs where both
       values are > 0); need at least ``min_pairs``;
    3. ``score = (r − median(R)) / max(1.4826 · MAD(R), min_scale)`` where MAD is
       the median absolute deviation: the modified z-score of Iglewicz & Hoaglin
       (1993), who recommend flagging ``|score| > 3.5``; a rolling median/MAD
       test like this is the Hampel filter (Hampel 1974). ``min_scale`` (log
       units; 0.05 ≈ 5 %) keeps a very regular history from flagging tiny changes;
    4. ``expected = history[month-12] · exp(median(R))`` — last year's same month
       moved by the typical recent year-on-year change.

    Returns None when the test cannot be made (no positive same-month value a
    year earlier, ``value`` ≤ 0, or too few pairs); zeros and negatives belong to
    other rules.

    References
    ----------
    - B. Iglewicz, D. C. Hoaglin, *How to Detect and Handle Outliers*, ASQC
      Basic References in Quality Control 16, 1993 (modified z-score, 3.5).
    - F. R. Hampel, "The influence curve and its role in robust estimation",
      JASA 69 (1974) 383–393 (MAD, Hampel identifier).
    - R. J. Hyndman, G. Athanasopoulos, *Forecasting: Principles and Practice*,
      3rd ed., §5.2 (seasonal naive method).
    """
    if month < 12 or month > len(history) or value <= 0:
        return None
    base = history[month - 12]
    if base is None or base <= 0:
        return None
    ratios = _yoy_log_ratios(history, month)
    if len(ratios) < min_pairs:
        return None
    centre = statistics.median(ratios)
    mad = statistics.median(abs(x - centre) for x in ratios)
    score = (math.log(value / base) - centre) / max(MAD_SCALE * mad, min_scale)
    return Spike(abs(score) > k, base * math.exp(centre), score, len(ratios))


def unit_slip(
    value: float, expected: float, *, min_ratio: float = 3000.0, max_ratio: float = 30000.0
) -> float | None:
    """The corrected value if ``value`` looks like a 万 ↔ base-unit slip, else None.

    ``value / expected`` in [``min_ratio``, ``max_ratio``] (about 10,000×: the
    figure was in base units where 万 was asked, or 万kWh typed as kWh…) suggests
    ``value / 10000``; a ratio in [1/``max_ratio``, 1/``min_ratio``] suggests
    ``value × 10000``. The default band (3,000–30,000) is about half an order of
    magnitude either side of 10⁴, wide enough for real month-to-month variation and
    far from ordinary growth. Non-positive inputs give None.
    """
    if value <= 0 or expected <= 0:
        return None
    ratio = value / expected
    if min_ratio <= ratio <= max_ratio:
        return value / 1e4
    if 1 / max_ratio <= ratio <= 1 / min_ratio:
        return value * 1e4
    return None


#: ``(now − before) / before`` (0.05 = +5 %); None when either is missing or
#: ``before`` ≤ 0 (no meaningful base): the platform's one change rule,
#: :func:`jieneng.core.indicator_registry.change`.
yoy_change = change


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0–100) by linear interpolation between closest ranks.

    With the sorted values ``x[0] ≤ … ≤ x[n−1]`` and ``h = (n − 1) · pct / 100``,
    the result is ``x[⌊h⌋] + (h − ⌊h⌋) · (x[⌊h⌋+1] − x[⌊h⌋])``: definition 7 of
    Hyndman & Fan (1996), the default of numpy and R, Excel ``PERCENTILE.INC`` and
    PostgreSQL ``percentile_cont(pct / 100)``, so SQL and Python agree.

    References
    ----------
    R. J. Hyndman, Y. Fan, "Sample quantiles in statistical packages",
    The American Statistician 50 (1996) 361–365.
    """
    if not values:
        raise ValidationFailed.of("quality.percentile_without_values")
    if not 0 <= pct <= 100:
        raise ValidationFailed.of("quality.percentile_out_of_range", pct=pct)
    if any(not math.isfinite(v) for v in values):
        raise ValidationFailed.of("quality.percentile_values_not_finite")
    ordered = sorted(values)
    h = (len(ordered) - 1) * pct / 100
    low = math.floor(h)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def peer_bounds(
    values: Sequence[float], lower_pct: float = 5.0, upper_pct: float = 95.0
) -> tuple[float, float]:
    """(low, high): the ``lower_pct`` and ``upper_pct`` percentiles (0–100) of the
    peers' values by :func:`percentile`; a value outside is a peer outlier.
    Percentiles, unlike mean ± k·sd, are not pulled by the outliers themselves."""
    if lower_pct > upper_pct:
        raise ValidationFailed.of(
            "quality.percentiles_reversed", lower_pct=lower_pct, upper_pct=upper_pct,
        )
    return percentile(values, lower_pct), percentile(values, upper_pct)
