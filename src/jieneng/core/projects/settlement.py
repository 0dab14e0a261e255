"""Monitoring statements and settlement of energy-saving projects: pure formulas.

Every figure is in the canonical unit of its carrier (:mod:`jieneng.core.carriers`)
and money in 元. Conversions to tce and tCO₂ go through a factor set
(:class:`jieneng.core.factors.sets.FactorSet`): no coefficient is written here.
The sources and conventions below are restated in ``docs/projects.md``.

- **Savings** (IPMVP Core Concepts 2016 §5, equation 1; GB/T 28750-2012 "基准情况";
  GB/T 24915-2010 项目节能量): savings = adjusted baseline − reporting-period use,
  where the adjusted baseline is the baseline model's prediction under the
  reporting-period conditions (routine adjustments) plus the approved non-routine
  adjustments (:mod:`jieneng.core.mv.savings`).
- **Adjusted baseline by routine factors** (:func:`routine_adjusted_baseline`) for a
  contract that fixes its baseline as base-period quantities instead of a regression
  (京机管发〔2022〕21号 第六条: the baseline accounts for equipment, operating hours,
  用能人数 and price): B* = B × (A/A₀)^a × (N/N₀)^n × W + NRA — *the platform's
  convention* (the exponents and which factors apply are contract terms; no source
  gives the formula).
- **能源费用托管型** (:func:`trusteeship`): the unit pays "根据能源基准确定的费用"
  (国管节能〔2022〕287号); the fee base is the energy baseline × price (JS/T 301-2024,
  "托管费用基数", the rest of its text not found). Convention: fee = Σ B*ₑ × pₑ + O&M
  fee, with pₑ the base-period price (the ESCO carries the price risk) or the
  period's actual price (pass-through), as the contract's price mode says; ESCO
  margin = fee − Σ Qₑ × pₑ(actual) − O&M cost; the unit's saving as in
  :class:`TrusteeshipResult` (after 2.4 of the research notes, a proposal).
- **节能效益分享型** (:func:`shared_benefit`; GB/T 24915-2020 reference contract A):
  benefit = verified savings × agreed price; ESCO share = sharing ratio × benefit.
- **节能量保证型** (:func:`guarantee_shortfall`; GB/T 24915-2020 reference contract
  B): shortfall payable by the ESCO = max(0, guaranteed − verified) × agreed price.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..carriers import carrier
from ..exceptions import ValidationFailed
from ..factors.sets import FactorSet

KG_PER_T = 1000.0


class PriceMode(StrEnum):
    """How a trusteeship fee prices the adjusted baseline (a contract term)."""

    BASE = "base_year"  # 基准期价格: the ESCO carries the price risk
    CURRENT = "pass_through"  # 当期价格: price changes pass through to the fee


@dataclass(frozen=True)
class Savings:
    """One carrier's figures of a period [canonical unit; 元; t].

    ``tce`` and ``tco2`` are ``None`` where the carrier has no coefficient (water);
    ``yuan`` is ``None`` without a price; ``savings_pct`` is ``None`` for a zero
    baseline; ``uncertainty`` is the savings' absolute uncertainty from the fit when
    known.
    """

    carrier: str
    adjusted_baseline: float
    actual: float
    savings: float
    savings_pct: float | None
    tce: float | None
    tco2: float | None
    yuan: float | None
    price: float | None
    uncertainty: float | None = None


def savings(carrier_code: str, adjusted_baseline: float, actual: float, *,
            factor_set: FactorSet, year: int, province_code: str | None = None,
            price: float | None = None, uncertainty: float | None = None) -> Savings:
    """The savings of one carrier over a period, converted.

    tce = savings × kgce per unit / 1000 and tCO₂ = savings × kgCO₂ per unit / 1000 with
    the factor set's coefficients (GB/T 2589-2020 and the MEE/NBS factors, see
    :meth:`FactorSet.kgce_per_unit` and :meth:`FactorSet.co2_kg_per_unit`); 元 =
    savings × ``price`` [元 per canonical unit].
    """
    c = carrier(carrier_code)
    saved = adjusted_baseline - actual
    kgce = factor_set.kgce_per_unit(c)
    co2 = factor_set.co2_kg_per_unit(c, year=year, province_code=province_code).value
    return Savings(
        carrier=c.code, adjusted_baseline=adjusted_baseline, actual=actual, savings=saved,
        savings_pct=saved / adjusted_baseline if adjusted_baseline else None,
        tce=None if kgce is None else saved * kgce / KG_PER_T,
        tco2=None if co2 is None else saved * co2 / KG_PER_T,
        yuan=None if price is None else saved * price, price=price,
        uncertainty=uncertainty)


@dataclass(frozen=True)
class Totals:
    """Σ over carriers: tce, tCO₂ and 元 (carriers without a figure left out, named in
    ``missing``); the savings share of the adjusted baseline in tce."""

    tce: float
    tco2: float
    yuan: float
    baseline_tce: float
    savings_pct_tce: float | None
    missing: tuple[str, ...]


def totals(lines: Sequence[Savings], factor_set: FactorSet) -> Totals:
    """Add the carriers of one period (converted figures only: tce, tCO₂, 元)."""
    missing = tuple(sorted({s.carrier for s in lines if s.yuan is None}))
    baseline_tce = sum(s.adjusted_baseline * (factor_set.kgce_per_unit(s.carrier) or 0.0)
                       / KG_PER_T for s in lines)
    tce = sum(s.tce or 0.0 for s in lines)
    return Totals(tce=tce, tco2=sum(s.tco2 or 0.0 for s in lines),
                  yuan=sum(s.yuan or 0.0 for s in lines), baseline_tce=baseline_tce,
                  savings_pct_tce=tce / baseline_tce if baseline_tce else None,
                  missing=missing)


def combined_uncertainty(values: Sequence[float | None]) -> float | None:
    """Σ of independent absolute uncertainties in quadrature, √Σu² (CalTRACK 2.0
    §4.3.2.5, the portfolio rule, applied to periods and carriers); ``None`` if any
    is unknown."""
    if any(v is None for v in values):
        return None
    return math.sqrt(sum(float(v) ** 2 for v in values if v is not None))


# ---- routine adjustment of a fixed baseline (the platform's convention)

@dataclass(frozen=True)
class RoutineFactor:
    """One routine factor of a contract: the period's value over the base period's,
    raised to the contract's exponent (``1`` proportional, ``0`` ignored)."""

    name: str  # area | occupants | hours | weather
    base: float
    current: float
    exponent: float = 1.0


def routine_adjusted_baseline(base_quantity: float, factors: Sequence[RoutineFactor],
                              non_routine: float = 0.0) -> float:
    """B* = B × Π (current/base)^exponent + NRA — the platform's convention
    (``docs/projects.md``; 京机管发〔2022〕21号 第六条 names the factors, not the
    formula). Refuses a factor whose base is not positive."""
    out = base_quantity
    for f in factors:
        if f.exponent == 0:
            continue
        if not f.base > 0 or f.current < 0:
            raise ValidationFailed.of("project_settlement.bad_factor", factor=f.name,
                                      base=f.base, current=f.current)
        out *= (f.current / f.base) ** f.exponent
    return out + non_routine


# ---- 能源费用托管型

@dataclass(frozen=True)
class TrusteeshipLine:
    """One carrier of a trusteeship period: adjusted baseline B* and actual use Q
    [canonical unit], base-period and actual price [元/unit]."""

    carrier: str
    adjusted_baseline: float
    actual: float
    base_price: float
    actual_price: float


@dataclass(frozen=True)
class TrusteeshipResult:
    """A trusteeship period [元].

    - ``fee`` — what the unit pays the ESCO: Σ B*ₑ × pₑ + ``om_fee`` (p by price mode);
    - ``actual_energy_cost`` — Σ Qₑ × pₑ(actual), paid by the ESCO;
    - ``esco_margin`` — fee − actual energy cost − O&M cost;
    - ``baseline_cost`` — Σ B*ₑ × pₑ(actual): what the unit would have paid itself;
    - ``owner_saving`` — baseline cost + O&M fee − fee (0 under pass-through pricing
      unless the contract discounts the fee: the unit's gain is then the ESCO's
      investment and the agreed intensity cut).
    """

    fee: float
    actual_energy_cost: float
    om_cost: float
    esco_margin: float
    baseline_cost: float
    owner_saving: float
    price_mode: PriceMode


def trusteeship(lines: Sequence[TrusteeshipLine], *, price_mode: PriceMode | str,
                om_fee: float = 0.0, om_cost: float = 0.0,
                fee_factor: float = 1.0) -> TrusteeshipResult:
    """The fee and the ESCO margin of one trusteeship period (module docstring).

    ``fee_factor`` is the contract's agreed share of the fee base (1 when the fee is
    the whole energy baseline's cost; e.g. 0.95 when the unit keeps 5 %): a contract
    term, the platform's convention for JS/T 301-2024's "托管费用基数" × the rest.
    """
    mode = PriceMode(price_mode)
    base = sum(ln.adjusted_baseline * (ln.base_price if mode == PriceMode.BASE
                                       else ln.actual_price) for ln in lines)
    fee = base * fee_factor + om_fee
    actual_cost = sum(ln.actual * ln.actual_price for ln in lines)
    baseline_cost = sum(ln.adjusted_baseline * ln.actual_price for ln in lines)
    return TrusteeshipResult(
        fee=fee, actual_energy_cost=actual_cost, om_cost=om_cost,
        esco_margin=fee - actual_cost - om_cost, baseline_cost=baseline_cost,
        owner_saving=baseline_cost + om_fee - fee, price_mode=mode)


# ---- 节能效益分享型 and 节能量保证型

@dataclass(frozen=True)
class SharedBenefit:
    """A 分享型 period [元]: benefit = Σ verified savings × agreed price; the ESCO's
    part = ratio × benefit; the unit keeps the rest. Negative savings share nothing
    (convention: a period's loss is not charged back; it stays in the cumulative
    figures)."""

    benefit: float
    ratio: float
    esco_share: float
    owner_share: float


def shared_benefit(verified: Mapping[str, float], prices: Mapping[str, float], *,
                   ratio: float) -> SharedBenefit:
    """Benefit shared at the contract's ``ratio`` (GB/T 24915-2020 contract A)."""
    if not 0.0 <= ratio <= 1.0:
        raise ValidationFailed.of("project_settlement.bad_ratio", ratio=ratio)
    _priced(verified, prices)
    benefit = max(0.0, sum(q * prices[c] for c, q in verified.items()))
    return SharedBenefit(benefit=benefit, ratio=ratio, esco_share=ratio * benefit,
                         owner_share=(1.0 - ratio) * benefit)


@dataclass(frozen=True)
class Shortfall:
    """A 保证型 period: guaranteed and verified savings [the guarantee's unit], the
    shortfall max(0, guaranteed − verified) and what the ESCO pays for it [元]."""

    guaranteed: float
    verified: float
    shortfall: float
    price: float
    payable: float
    met: bool


def guarantee_shortfall(guaranteed: float, verified: float, *, price: float) -> Shortfall:
    """Shortfall payable = max(0, guaranteed − verified) × price (GB/T 24915-2020
    contract B; the price is the contract's agreed price per unit of the guarantee)."""
    short = max(0.0, guaranteed - verified)
    return Shortfall(guaranteed=guaranteed, verified=verified, shortfall=short,
                     price=price, payable=short * price, met=short == 0.0)


def prorated_guarantee(annual: float, months: int) -> float:
    """The guarantee of a part of a contract year: annual × months / 12 — the
    platform's convention for quarterly evaluations and the alert (the settlement
    itself is per contract year)."""
    return annual * months / 12.0


def _priced(quantities: Mapping[str, float], prices: Mapping[str, float]) -> None:
    missing = sorted(c for c in quantities if c not in prices)
    if missing:
        raise ValidationFailed.of("project_settlement.no_price", carriers=", ".join(missing))
