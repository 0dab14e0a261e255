"""CalTRACK 2.0 daily and billing models on constructed series (clauses in brackets)."""

from __future__ import annotations

import numpy as np
import pytest

from jieneng.core.mv import caltrack as ct


def _year(seed: int = 0, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    d = np.arange(365)
    return 55 + 25 * np.sin(2 * np.pi * (d - 100) / 365) + rng.normal(0, 5, 365) + 0 * noise


def _usage(t: np.ndarray, mu: float, bh: float, h: float, bc: float, c: float) -> np.ndarray:
    return mu + bh * np.maximum(h - t, 0) + bc * np.maximum(t - c, 0)


def test_hdd_cdd_recovered_exactly() -> None:
    t = _year()
    fit = ct.fit_daily(t, _usage(t, 10, 2, 52, 3, 70))
    assert fit.model_type == ct.HDD_CDD and fit.n_parameters == 3
    assert (fit.heating_balance_point, fit.cooling_balance_point) == (52, 70)
    assert fit.intercept == pytest.approx(10) and fit.beta_hdd == pytest.approx(2)
    assert fit.beta_cdd == pytest.approx(3) and fit.r_squared == pytest.approx(1)


def test_noise_recovered_approximately() -> None:
    t = _year(1)
    y = _usage(t, 10, 2, 52, 3, 70) + np.random.default_rng(2).normal(0, 2, 365)
    fit = ct.fit_daily(t, y)
    assert fit.model_type == ct.HDD_CDD
    assert fit.heating_balance_point is not None and fit.cooling_balance_point is not None
    assert abs(fit.heating_balance_point - 52) <= 2
    assert abs(fit.cooling_balance_point - 70) <= 2
    assert fit.beta_hdd == pytest.approx(2, rel=0.1) and fit.beta_cdd == pytest.approx(3, rel=0.1)
    assert fit.intercept == pytest.approx(10, abs=1.5)


def test_single_terms_and_intercept_only() -> None:
    t = _year(3)
    noise = np.random.default_rng(11).normal(0, 0.5, 365)
    h = ct.fit_daily(t, _usage(t, 5, 1.5, 60, 0, 90) + noise)
    assert (h.model_type, h.heating_balance_point, h.cooling_balance_point) == (
        ct.HDD_ONLY, 60, None)
    assert h.beta_hdd == pytest.approx(1.5, rel=0.02)
    c = ct.fit_daily(t, _usage(t, 5, 0, 30, 0.8, 65) + noise)
    cdd = {k.model_type: k for k in c.candidates}[ct.CDD_ONLY]
    assert (cdd.status, cdd.cooling_balance_point) == (ct.QUALIFIED, 65)
    assert cdd.beta_cdd == pytest.approx(0.8, rel=0.02)
    assert c.cooling_balance_point == 65 and c.beta_cdd == pytest.approx(0.8, rel=0.02)
    flat = ct.fit_daily(t, np.full(365, 7.0))  # slopes 0: not positive [3.4.3.2]
    assert flat.model_type == ct.INTERCEPT_ONLY and flat.intercept == pytest.approx(7, abs=0.02)
    assert flat.r_squared_adj == 0 and flat.n_parameters == 1


def test_gas_fits_no_cdd() -> None:  # 3.4.3.1
    t = _year()
    fit = ct.fit_daily(t, _usage(t, 10, 2, 52, 3, 70), fuel="gas")
    assert fit.model_type in (ct.HDD_ONLY, ct.INTERCEPT_ONLY)
    by_type = {c.model_type: c for c in fit.candidates}
    assert by_type[ct.CDD_ONLY].status == ct.NOT_ATTEMPTED
    assert by_type[ct.HDD_CDD].reason == ct.NO_CDD_FOR_GAS


def test_negative_slope_disqualified() -> None:  # 3.4.3.2
    t = _year(5)
    y = 50 - 0.5 * np.maximum(t - 60, 0)  # usage falls when hot: a negative CDD slope
    fit = ct.fit_daily(t, y)
    by_type = {c.model_type: c for c in fit.candidates}
    assert by_type[ct.CDD_ONLY].qualified == 0
    assert by_type[ct.CDD_ONLY].reason == ct.BETA_CDD_NOT_POSITIVE
    assert fit.model_type != ct.CDD_ONLY


def test_too_few_degree_days_not_attempted() -> None:  # 3.2.2.2
    t = np.full(365, 75.0)
    t[:5] = 40.0  # 5 cold days: fewer than 10 non-zero HDD days at any balance point
    s = ct.CaltrackSettings(balance_points_f=tuple(float(b) for b in range(30, 75)))
    fit = ct.fit_daily(t, 20 + 2 * np.maximum(60 - t, 0), settings=s)
    by_type = {c.model_type: c for c in fit.candidates}
    assert by_type[ct.HDD_ONLY].status == ct.NOT_ATTEMPTED
    assert by_type[ct.HDD_ONLY].reason == ct.TOO_FEW_NON_ZERO_HDD


def test_total_degree_days_too_low() -> None:  # 3.2.2.2: ≥ 20 degree-days
    t = np.full(365, 75.0)
    t[:12] = 59.5  # 12 days of 0.5 HDD at 60 °F: 6 degree-days
    s = ct.CaltrackSettings(balance_points_f=(60.0,))
    fit = ct.fit_daily(t, 20 + 2 * np.maximum(60 - t, 0), settings=s)
    by_type = {c.model_type: c for c in fit.candidates}
    assert by_type[ct.HDD_ONLY].reason == ct.TOTAL_HDD_TOO_LOW


def test_cooling_not_below_heating() -> None:  # 3.2.2.1
    t = _year(6)
    fit = ct.fit_daily(t, _usage(t, 10, 2, 55, 3, 60) + np.random.default_rng(7).normal(0, 1, 365))
    if fit.model_type == ct.HDD_CDD:
        assert fit.heating_balance_point is not None and fit.cooling_balance_point is not None
        assert fit.cooling_balance_point >= fit.heating_balance_point


def test_highest_adjusted_r2_wins() -> None:  # 3.4.3.3
    t = _year(8)
    y = _usage(t, 10, 2, 52, 3, 70) + np.random.default_rng(9).normal(0, 3, 365)
    fit = ct.fit_daily(t, y)
    q = [c for c in fit.candidates if c.status == ct.QUALIFIED]
    assert fit.r_squared_adj == pytest.approx(max(c.r_squared_adj for c in q))


def test_nothing_qualifies() -> None:
    t = _year()
    fit = ct.fit_daily(t, np.full(365, -1.0) - 0.01 * t)  # negative usage: negative intercepts
    assert not fit.qualified and fit.model_type == ct.NONE
    assert np.isnan(ct.predict_daily(fit, t)).all()


def test_missing_days_dropped() -> None:
    t = _year()
    y = _usage(t, 10, 2, 52, 3, 70)
    y[::7] = np.nan
    fit = ct.fit_daily(t, y)
    assert fit.n_observations == 365 - len(range(0, 365, 7))
    assert fit.intercept == pytest.approx(10)


def test_predict_daily() -> None:
    t = _year()
    fit = ct.fit_daily(t, _usage(t, 10, 2, 52, 3, 70))
    assert ct.predict_daily(fit, np.array([40.0, 60.0, 80.0, np.nan]))[:3] == pytest.approx(
        [34.0, 10.0, 40.0])
    assert np.isnan(ct.predict_daily(fit, np.array([np.nan])))[0]


def _billing(t: np.ndarray, y: np.ndarray, lengths: list[int]) -> tuple[np.ndarray, ...]:
    period = np.repeat(np.arange(len(lengths)), lengths)
    days = np.array(lengths, dtype=float)
    upd = np.bincount(period, weights=y) / days
    return period, upd, days


def test_billing_wls_recovers_model() -> None:  # 3.4.2
    t = _year(10)
    y = _usage(t, 10, 2, 52, 3, 70)
    period, upd, days = _billing(t, y, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    fit = ct.fit_periods(t, period, upd, days)
    assert fit.model_type == ct.HDD_CDD and fit.n_observations == 12
    assert fit.beta_hdd == pytest.approx(2) and fit.beta_cdd == pytest.approx(3)
    assert fit.intercept == pytest.approx(10)
    assert ct.predict_periods(fit, t, period, 12) == pytest.approx(upd)


def test_billing_weights_by_days() -> None:  # 3.4.2: a long period counts more
    t = np.full(100, 50.0)  # no HDD at 30 °F, constant CDD: only the intercept is fitted
    lengths = [10] * 10
    period = np.repeat(np.arange(10), lengths)
    upd = np.bincount(period, weights=30 + 0 * t) / 10
    upd[0] += 5.0  # one period off the line
    w_short = np.array([1.0] + [10.0] * 9)
    w_long = np.array([50.0] + [10.0] * 9)
    s = ct.CaltrackSettings(balance_points_f=(30.0,))
    short = ct.fit_periods(t, period, upd, w_short, settings=s)
    long_ = ct.fit_periods(t, period, upd, w_long, settings=s)
    assert short.model_type == long_.model_type == ct.INTERCEPT_ONLY
    assert short.intercept == pytest.approx(30 + 5 * 1 / 91)
    assert long_.intercept == pytest.approx(30 + 5 * 50 / 140)


def test_grid_from_data_file() -> None:  # 3.2.1.1–3.2.3
    s = ct.CaltrackSettings()
    assert s.balance_points_f[0] == 30 and s.balance_points_f[-1] == 90
    assert len(s.balance_points_f) == 61
    assert s.minimum_non_zero_days == 10 and s.minimum_total_degree_days == 20


def test_degenerate_grid_without_warnings() -> None:
    """Two temperatures only: most pairs are singular (det 0) — no numpy warning escapes
    (the suite turns warnings into errors)."""
    import warnings

    t = np.repeat([40.0, 80.0], 183)[:365]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ct.fit_daily(t, 10 + 2 * np.maximum(55 - t, 0))
        period = np.arange(365) // 31
        days = np.bincount(period).astype(float)
        upd = np.bincount(period, weights=10 + 0.5 * np.maximum(55 - t, 0)) / days
        billing = ct.fit_periods(t, period, upd, days)
    assert fit.qualified and billing.qualified
