"""Metrics against hand-computed values, the FSU formula (CalTRACK 2.0 §4.3.2.4), the t
quantile, and the temperature roll-up (°C/°F, §2.2.2.3, §2.2.4.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jieneng.core.mv import metrics as mt
from jieneng.core.mv.rules import guideline14
from jieneng.core.mv.temperature import c_to_f, hourly_to_daily, interpolate_short_gaps

Y = np.array([1.0, 2.0, 3.0, 4.0])
YHAT = np.array([1.5, 1.5, 3.5, 3.5])


def test_fit_metrics_by_hand() -> None:
    """SSR = 1, SST = 5, Ū = 2.5, c = 1: R² 0.8, adj 0.7, CV = √(1/3)/2.5, NMBE 0."""
    m = mt.model_metrics(Y, YHAT, 1, guideline14("monthly"))
    assert m.r_squared == pytest.approx(0.8)
    assert m.r_squared_adj == pytest.approx(1 - 0.2 * 3 / 2)
    assert m.cv_rmse == pytest.approx(math.sqrt(1 / 3) / 2.5)
    assert m.nmbe == pytest.approx(0.0)
    assert m.rho1 == pytest.approx(-0.75)  # residuals −½, ½, −½, ½
    assert m.n_effective == 4  # a negative ρ₁ counts as 0
    assert not m.cv_rmse_ok and m.nmbe_ok  # 23 % > 15 % (monthly limit)
    assert mt.nmbe(np.array([2.0, 2.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)


@pytest.mark.reference("Student's t tables: t(.95, 5) 2.015, t(.95, 10) 1.812, t(.975, 1) 12.706")
def test_t_quantile() -> None:
    assert mt.t_two_sided(0.90, 5) == pytest.approx(2.0150, abs=1e-4)
    assert mt.t_two_sided(0.90, 10) == pytest.approx(1.8125, abs=1e-4)
    assert mt.t_two_sided(0.95, 1) == pytest.approx(12.7062, abs=1e-3)
    assert mt.t_two_sided(0.90, 1e6) == pytest.approx(1.6449, abs=1e-4)


@pytest.mark.reference("CalTRACK 2.0 §4.3.2.4 (daily a, b, d = −0.00024, 0.03535, 1.00286)")
def test_fsu_formula() -> None:
    rng = np.random.default_rng(0)
    y = 100 + rng.normal(0, 10, 365)
    m = mt.model_metrics(y, np.full(365, y.mean()), 0, guideline14("caltrack-daily"))
    months, q, baseline = 12.0, 365, 36_500.0
    p, pp = m.n, m.n_effective
    expected = (m.t * (-0.00024 * months**2 + 0.03535 * months + 1.00286) * m.cv_rmse
                * math.sqrt((p / pp) * (1 + 2 / pp) / q) * baseline)
    delta = mt.savings_uncertainty(m, frequency="daily", months=months, periods=q,
                                   baseline=baseline)
    assert delta == pytest.approx(expected)
    assert mt.fsu(delta, 3_650.0) == pytest.approx(expected / 3_650.0)
    billing = mt.savings_uncertainty(m, frequency="billing", months=months, periods=12,
                                     baseline=baseline)
    assert billing > delta  # fewer points, more uncertainty


def test_effective_n() -> None:
    assert mt.effective_n(100, 0.5) == pytest.approx(100 * 0.5 / 1.5)
    assert mt.lag1_autocorrelation(np.array([1.0, 2.0])) == 0.0


def test_temperature_conversion_and_gaps() -> None:
    assert float(c_to_f(100.0)) == pytest.approx(212.0)
    nan = np.nan
    six = np.array([0.0, nan, nan, nan, nan, nan, nan, 7.0])
    assert interpolate_short_gaps(six) == pytest.approx(np.arange(8.0))
    seven = np.array([0.0, nan, nan, nan, nan, nan, nan, nan, 8.0])
    assert np.isnan(interpolate_short_gaps(seven)[1:8]).all()
    assert np.isnan(interpolate_short_gaps(np.array([nan, 1.0, nan]))[[0, 2]]).all()


@pytest.mark.reference("CalTRACK 2.0 §2.2.2.3: a day needs half of its hours")
def test_hourly_to_daily_coverage() -> None:
    start = np.datetime64("2023-01-01T00:00")
    hours = start + np.arange(72).astype("timedelta64[h]")
    values = np.full(72, 50.0)
    values[24:24 + 12] = 60.0  # day 2: 12 known hours at 60 …
    keep = np.ones(72, dtype=bool)
    keep[24 + 12:48] = False   # … and 12 hours without a reading: kept (50 %)
    keep[48:48 + 13] = False   # day 3: 11 hours known: missing
    daily = hourly_to_daily(hours[keep], values[keep])
    assert [str(d) for d in daily.days] == ["2023-01-01", "2023-01-02", "2023-01-03"]
    assert daily.mean_f[0] == pytest.approx(50.0)
    assert daily.coverage[1] == pytest.approx(0.5)  # a 25-hour gap: nothing interpolated
    assert daily.mean_f[1] == pytest.approx(60.0)
    assert np.isnan(daily.mean_f[2])
    half_hourly = start + np.arange(48).astype("timedelta64[m]") * 30
    assert hourly_to_daily(half_hourly, np.arange(48.0)).mean_f[0] == pytest.approx(23.5)
