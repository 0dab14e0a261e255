"""The settlement formulas of core.projects.settlement on hand-checked figures."""

from __future__ import annotations

from datetime import date

import pytest

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.factors.sets import factor_set
from jieneng.core.projects import settlement as s
from jieneng.core.projects.cadence import (
    StatementKind,
    StatementPeriod,
    alert_threshold,
    default_cadence,
    periods_between,
)

FS = factor_set()  # pi-published: 0.1229 kgce/kWh; electricity CO₂ 2024 from the set


def test_savings_converted_through_the_factor_set() -> None:
    got = s.savings("electricity", 100_000.0, 80_000.0, factor_set=FS, year=2024,
                    price=0.8, uncertainty=1_500.0)
    co2 = FS.co2_kg_per_unit("electricity", year=2024).value
    assert co2 is not None
    assert got.savings == 20_000.0
    assert got.savings_pct == pytest.approx(0.2)
    assert got.tce == pytest.approx(20_000 * 0.1229 / 1000)  # 2.458 tce
    assert got.tco2 == pytest.approx(20_000 * co2 / 1000)
    assert got.yuan == pytest.approx(16_000.0)
    assert got.uncertainty == 1_500.0


def test_water_has_no_tce_and_a_zero_baseline_no_share() -> None:
    water = s.savings("water", 1_000.0, 900.0, factor_set=FS, year=2024, price=4.0)
    assert water.tce is None and water.yuan == pytest.approx(400.0)
    zero = s.savings("electricity", 0.0, 10.0, factor_set=FS, year=2024)
    assert zero.savings_pct is None and zero.yuan is None


def test_totals_add_converted_figures_and_name_unpriced_carriers() -> None:
    lines = [s.savings("electricity", 1000.0, 900.0, factor_set=FS, year=2024, price=1.0),
             s.savings("natural_gas", 100.0, 90.0, factor_set=FS, year=2024)]
    t = s.totals(lines, FS)
    assert t.tce == pytest.approx((100 * 0.1229 + 10 * 1.33) / 1000)
    assert t.baseline_tce == pytest.approx((1000 * 0.1229 + 100 * 1.33) / 1000)
    assert t.yuan == pytest.approx(100.0)
    assert t.missing == ("natural_gas",)


def test_uncertainty_in_quadrature() -> None:
    assert s.combined_uncertainty([3.0, 4.0]) == pytest.approx(5.0)
    assert s.combined_uncertainty([3.0, None]) is None


def test_routine_adjusted_baseline() -> None:
    factors = [s.RoutineFactor("area", 10_000.0, 11_000.0, 1.0),
               s.RoutineFactor("occupants", 400.0, 300.0, 0.5),
               s.RoutineFactor("hours", 1.0, 2.0, 0.0)]  # exponent 0: ignored
    got = s.routine_adjusted_baseline(50_000.0, factors, non_routine=1_000.0)
    assert got == pytest.approx(50_000 * 1.1 * (0.75 ** 0.5) + 1_000)
    with pytest.raises(ValidationFailed) as err:
        s.routine_adjusted_baseline(1.0, [s.RoutineFactor("area", 0.0, 1.0)])
    assert err.value.code == "project_settlement.bad_factor"
    assert "area" in err.value.message_zh


def test_trusteeship_base_price_mode() -> None:
    lines = [s.TrusteeshipLine("electricity", 100_000.0, 85_000.0, 0.80, 0.90),
             s.TrusteeshipLine("water", 5_000.0, 4_000.0, 4.0, 4.0)]
    got = s.trusteeship(lines, price_mode="base_year", om_fee=2_000.0, om_cost=1_500.0)
    fee = 100_000 * 0.80 + 5_000 * 4.0 + 2_000  # 102,000
    actual = 85_000 * 0.90 + 4_000 * 4.0  # 92,500
    assert got.fee == pytest.approx(fee)
    assert got.actual_energy_cost == pytest.approx(actual)
    assert got.esco_margin == pytest.approx(fee - actual - 1_500)
    assert got.baseline_cost == pytest.approx(100_000 * 0.90 + 20_000)
    assert got.owner_saving == pytest.approx(110_000 + 2_000 - fee)


def test_trusteeship_pass_through_and_fee_factor() -> None:
    lines = [s.TrusteeshipLine("electricity", 100_000.0, 85_000.0, 0.80, 0.90)]
    got = s.trusteeship(lines, price_mode=s.PriceMode.CURRENT, fee_factor=0.95)
    assert got.fee == pytest.approx(100_000 * 0.90 * 0.95)
    assert got.esco_margin == pytest.approx(85_500 - 76_500)
    assert got.owner_saving == pytest.approx(90_000 - 85_500)


def test_shared_benefit() -> None:
    got = s.shared_benefit({"electricity": 20_000.0, "water": 500.0},
                           {"electricity": 0.8, "water": 4.0}, ratio=0.7)
    assert got.benefit == pytest.approx(18_000.0)
    assert got.esco_share == pytest.approx(12_600.0)
    assert got.owner_share == pytest.approx(5_400.0)
    loss = s.shared_benefit({"electricity": -5.0}, {"electricity": 1.0}, ratio=0.5)
    assert loss.benefit == 0.0
    with pytest.raises(ValidationFailed) as err:
        s.shared_benefit({"electricity": 1.0}, {}, ratio=0.5)
    assert err.value.code == "project_settlement.no_price"
    with pytest.raises(ValidationFailed):
        s.shared_benefit({}, {}, ratio=1.5)


def test_guarantee_shortfall() -> None:
    short = s.guarantee_shortfall(100_000.0, 80_000.0, price=0.8)
    assert short.shortfall == 20_000.0 and short.payable == pytest.approx(16_000.0)
    assert not short.met
    met = s.guarantee_shortfall(100_000.0, 120_000.0, price=0.8)
    assert met.met and met.payable == 0.0
    assert s.prorated_guarantee(120_000.0, 3) == pytest.approx(30_000.0)


def test_statement_periods() -> None:
    q = StatementPeriod.parse("2025-Q2")
    assert (q.kind, q.first, q.last, q.code, q.months) == (
        StatementKind.QUARTERLY, 4, 6, "2025-Q2", 3)
    assert q.end == date(2025, 7, 1)
    assert [p.code for p in q.sub_periods(StatementKind.MONTHLY)] == [
        "2025-04", "2025-05", "2025-06"]
    y = StatementPeriod.parse("2025")
    assert y.kind == StatementKind.ANNUAL and y.end == date(2026, 1, 1)
    assert StatementPeriod.parse("2025-3").code == "2025-03"
    for bad in ("2025-13", "2025-Q5", "25", "x"):
        with pytest.raises(ValidationFailed) as err:
            StatementPeriod.parse(bad)
        assert err.value.code == "project_statement.bad_period"
    got = periods_between(date(2025, 2, 1), date(2026, 1, 1), StatementKind.QUARTERLY)
    assert [p.code for p in got] == ["2025-Q2", "2025-Q3", "2025-Q4"]


def test_cadence_and_thresholds_from_data() -> None:
    assert default_cadence() == (StatementKind.MONTHLY, StatementKind.QUARTERLY,
                                 StatementKind.ANNUAL)
    assert alert_threshold("min_sufficiency") == pytest.approx(0.9)
    assert alert_threshold("expiry_months") == 6
