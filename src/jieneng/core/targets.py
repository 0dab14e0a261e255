"""Dual-control targets (双控目标): decomposition of a cap among children, the quota
rule of 《中央和国家机关能源资源消耗定额》, and the pace of a year against its cap.

Pure functions (standard library only); storage and pages build on them (issue 5).

Decomposition (差异化分解下达)
    A parent's cap is split among its children in proportion to ``base × factor``
    (a base year's consumption and a per-child or per-category adjustment), after
    the manual overrides are set aside. Amounts are :class:`~decimal.Decimal`
    multiples of ``resolution`` rounded *down*, and the units left by rounding go
    to the children in order of weight (largest first, then code), so that

    - Σ children ≤ the parent's cap, exactly (decimal arithmetic);
    - a child with a larger weight never gets less than one with a smaller weight
      (monotonic in the base) — the reason leftovers follow weight, not the largest
      remainder;
    - overrides are kept as given; overrides above the cap are refused with the
      excess named.

Quota rule (定额)
    《中央和国家机关能源资源消耗定额》 (国管局、中直管理局, 2021-02-20; rules quoted
    in docs/standards.md): above the 约束值 reduce ≥ 4 % a year; between 基准值 and
    约束值 reduce ≥ 2 %; between 引导值 and 基准值 hold; below the 引导值 the value may
    rise by at most 2 % and must stay below the 引导值. A value equal to a bound
    belongs to the band below it (约束值 itself is "between 基准值 and 约束值").

Pace (进度)
    The allowance to date is the cap times the institution's (or region's) own
    seasonal share of the months elapsed, from its complete previous years — not
    1/12 a month. The year-end projection divides the actual to date by that
    share; its range uses each previous year's own share to date (lowest and
    highest projection).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from .exceptions import ValidationFailed
from .messages import text

# ---------------------------------------------------------------- decomposition


@dataclass(frozen=True)
class Allocation:
    """One child's share of a decomposition."""

    code: str
    base: float
    factor: float
    amount: Decimal
    overridden: bool


@dataclass(frozen=True)
class Decomposition:
    """The children's amounts; ``allocated`` ≤ ``parent_cap`` always."""

    parent_cap: Decimal
    allocations: tuple[Allocation, ...]
    allocated: Decimal
    unallocated: Decimal

    def amounts(self) -> dict[str, Decimal]:
        return {a.code: a.amount for a in self.allocations}


def _finite(what: str, value: float, *, positive: bool = False, child: str = "") -> float:
    """``value`` as a float; ValidationFailed unless finite and ≥ 0 (> 0 if ``positive``).
    ``what`` names it in the message (the catalogue's ``targets.label.<what>``, with the
    ``child`` region it belongs to)."""
    v = float(value)
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        need = "> 0" if positive else "≥ 0"
        key = f"targets.label.{what}"
        raise ValidationFailed.of("targets.not_finite", name=what, child=child, need=need,
                                  value=value, values={
                                      "name_zh": text("zh-CN", key, child=child),
                                      "name_en": text("en", key, child=child)})
    return v


def _dec(value: float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def decompose(
    parent_cap: float | Decimal,
    bases: Mapping[str, float],
    *,
    factors: Mapping[str, float] | None = None,
    overrides: Mapping[str, float | Decimal] | None = None,
    resolution: Decimal = Decimal("0.01"),
) -> Decomposition:
    """Split ``parent_cap`` among the children of ``bases`` (see the module docstring).

    ``factors`` (default 1) adjust a child's weight; ``overrides`` fix a child's
    amount. Children whose weights are all zero share the remainder equally.
    Raises :class:`ValidationFailed` for negative or non-finite inputs, an override
    or factor of an unknown child, or overrides whose sum exceeds the cap
    (``details['excess']``).
    """
    cap = _dec(_finite("parent_cap", float(parent_cap)))
    factors = dict(factors or {})
    fixed = {code: _dec(_finite("override", float(v), child=code))
             for code, v in (overrides or {}).items()}
    for name, keys in (("factor", factors), ("override", fixed)):
        unknown = sorted(set(keys) - set(bases))
        if unknown:
            raise ValidationFailed.of(
                "targets.unknown_children", name=name, children=', '.join(unknown),
            )
    fixed_total = sum(fixed.values(), Decimal(0))
    if fixed_total > cap:
        excess = fixed_total - cap
        raise ValidationFailed.of(
            "targets.overrides_above_cap", fixed_total=fixed_total, cap=cap, excess=str(excess),
        )
    weights = {
        code: _finite("base", base, child=code) * _finite(
            "factor", factors.get(code, 1.0), positive=True, child=code)
        for code, base in bases.items() if code not in fixed
    }
    units = int(((cap - fixed_total) / resolution).to_integral_value(ROUND_FLOOR))
    shares = _shares(units, weights)
    allocations = tuple(
        Allocation(code, float(bases[code]), float(factors.get(code, 1.0)),
                   fixed[code] if code in fixed else shares[code] * resolution,
                   code in fixed)
        for code in sorted(bases)
    )
    allocated = sum((a.amount for a in allocations), Decimal(0))
    return Decomposition(cap, allocations, allocated, cap - allocated)


def _shares(units: int, weights: Mapping[str, float]) -> dict[str, int]:
    """``units`` split in proportion to ``weights``: floors, then the leftover units
    one each in order of weight (largest first, then code)."""
    if not weights:
        return {}
    total = math.fsum(weights.values())
    order = sorted(weights, key=lambda c: (-weights[c], c))
    if total == 0:
        base = {c: units // len(order) for c in order}
    else:
        base = {c: math.floor(units * weights[c] / total) for c in order}
    left = units - sum(base.values())
    for c in order[:max(left, 0)]:
        base[c] += 1
    return base


# ---------------------------------------------------------------- quota rule


@dataclass(frozen=True)
class Quota:
    """The three levels of a quota indicator (约束值 ≥ 基准值 ≥ 引导值), same unit."""

    constraint: float
    benchmark: float
    guide: float

    def __post_init__(self) -> None:
        if not (self.constraint >= self.benchmark >= self.guide >= 0):
            raise ValidationFailed.of(
                "targets.quota_order", constraint=self.constraint,
                benchmark=self.benchmark, guide=self.guide,
            )


class QuotaPosition(StrEnum):
    ABOVE_CONSTRAINT = "above_constraint"
    BENCHMARK_TO_CONSTRAINT = "benchmark_to_constraint"
    GUIDE_TO_BENCHMARK = "guide_to_benchmark"
    BELOW_GUIDE = "below_guide"

    def label(self, lang: str = "zh") -> str:
        zh, en = _POSITION_LABELS[self]
        return en if lang.startswith("en") else zh


_POSITION_LABELS: dict[QuotaPosition, tuple[str, str]] = {
    QuotaPosition.ABOVE_CONSTRAINT: ("高于约束值", "above the constraint value"),
    QuotaPosition.BENCHMARK_TO_CONSTRAINT: ("基准值至约束值之间",
                                            "between benchmark and constraint"),
    QuotaPosition.GUIDE_TO_BENCHMARK: ("引导值至基准值之间", "between guide and benchmark"),
    QuotaPosition.BELOW_GUIDE: ("低于引导值", "below the guide value"),
}

#: Required yearly change per position [fraction]; below the 引导值 the figure is
#: the largest rise allowed (the target also stays below the 引导值).
QUOTA_RULE: dict[QuotaPosition, float] = {
    QuotaPosition.ABOVE_CONSTRAINT: -0.04,
    QuotaPosition.BENCHMARK_TO_CONSTRAINT: -0.02,
    QuotaPosition.GUIDE_TO_BENCHMARK: 0.0,
    QuotaPosition.BELOW_GUIDE: 0.02,
}


def quota_position(value: float, quota: Quota) -> QuotaPosition:
    """Where ``value`` stands against ``quota`` (a bound belongs to the band below)."""
    if value > quota.constraint:
        return QuotaPosition.ABOVE_CONSTRAINT
    if value > quota.benchmark:
        return QuotaPosition.BENCHMARK_TO_CONSTRAINT
    if value >= quota.guide:
        return QuotaPosition.GUIDE_TO_BENCHMARK
    return QuotaPosition.BELOW_GUIDE


@dataclass(frozen=True)
class QuotaTarget:
    position: QuotaPosition
    change: float
    target: float


def quota_target(value: float, quota: Quota) -> QuotaTarget:
    """Next year's target for an indicator at ``value`` under the quota rule."""
    v = _finite("value", value)
    position = quota_position(v, quota)
    change = QUOTA_RULE[position]
    target = v * (1 + change)
    if position is QuotaPosition.BELOW_GUIDE:
        target = min(target, quota.guide)
    return QuotaTarget(position, change, target)


def nearest_assignments(
    assignments: Sequence[Mapping[str, object]], lineage: Sequence[str], category: str,
    categories_of: Mapping[str, tuple[str, ...]],
) -> dict[str, Mapping[str, object]]:
    """indicator → the quota assignment that applies to an institution of
    ``category`` whose region and ancestors are ``lineage`` (nearest first).

    ``assignments`` have ``region_code``, ``category`` (a leaf or group code) and
    ``indicator``; ``categories_of`` gives a category code's leaf codes. The
    nearest region wins; at one region a leaf category before its group."""
    best: dict[str, tuple[tuple[int, int], Mapping[str, object]]] = {}
    for a in assignments:
        region, group = str(a["region_code"]), str(a["category"])
        if region not in lineage or category not in categories_of.get(group, ()):
            continue
        rank = (lineage.index(region), -len(group))
        indicator = str(a["indicator"])
        if indicator not in best or rank < best[indicator][0]:
            best[indicator] = (rank, a)
    return {indicator: a for indicator, (_, a) in best.items()}


# ---------------------------------------------------------------- pace


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OVER = "over"


@dataclass(frozen=True)
class Profile:
    """Twelve monthly shares summing to 1, and how many complete years made them
    (0: none — the flat 1/12 profile)."""

    shares: tuple[float, ...]
    years: int


FLAT = Profile(tuple([1 / 12] * 12), 0)


def _complete(months: Sequence[float | None]) -> list[float] | None:
    if len(months) != 12 or any(m is None for m in months):
        return None
    values = [float(m) for m in months if m is not None]
    if any(not math.isfinite(v) or v < 0 for v in values) or math.fsum(values) <= 0:
        return None
    return values


def seasonal_profile(history: Mapping[int, Sequence[float | None]]) -> Profile:
    """Mean monthly shares over the complete years of ``history`` (year → 12 monthly
    values, None where missing); :data:`FLAT` without a complete year."""
    years = [v for _, months in sorted(history.items()) if (v := _complete(months))]
    if not years:
        return FLAT
    shares = [math.fsum(y[m] / math.fsum(y) for y in years) / len(years) for m in range(12)]
    total = math.fsum(shares)
    return Profile(tuple(s / total for s in shares), len(years))


@dataclass(frozen=True)
class Projection:
    """Year-to-date against the cap after ``months`` months."""

    cap: float
    months: int
    actual: float
    allowance: float
    share: float
    projected: float | None
    low: float | None
    high: float | None
    status: Status


def project(
    cap: float, actual_months: Sequence[float | None],
    history: Mapping[int, Sequence[float | None]],
) -> Projection:
    """The pace of a year: ``actual_months`` are the months elapsed (January first;
    None = not reported, counted as 0 in the actual); ``history`` as in
    :func:`seasonal_profile`. Status: over when the actual exceeds the cap,
    at risk when the projection does, else on track."""
    cap = _finite("cap", cap)
    k = len(actual_months)
    if not 1 <= k <= 12:
        raise ValidationFailed.of("targets.invalid_months_elapsed", k=k)
    actual = math.fsum(float(m) for m in actual_months if m is not None)
    profile = seasonal_profile(history)
    share = math.fsum(profile.shares[:k])
    projected = actual / share if share > 0 else None
    per_year = [s for months in history.values() if (y := _complete(months))
                and (s := math.fsum(y[:k]) / math.fsum(y)) > 0]
    candidates = [actual / s for s in per_year] or ([projected] if projected else [])
    low = min(candidates) if candidates else None
    high = max(candidates) if candidates else None
    if actual > cap:
        status = Status.OVER
    elif projected is not None and projected > cap:
        status = Status.AT_RISK
    else:
        status = Status.ON_TRACK
    return Projection(cap, k, actual, cap * share, share, projected, low, high, status)
