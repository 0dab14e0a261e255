"""The OpenEEmeter-4-compatible daily model: our DIRECT / Subplex / Brent searches on
known functions, one group's fit on a constructed series, and ``mv fit --method daily``.
(Evaluation-by-evaluation agreement with NLopt inside OpenEEmeter 4.1.1 is checked by
``bench/bench_mv_parity.py`` against the eemeter venv; see docs/benchmarks.md.)"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from jieneng.core.mv import eemeter_daily as ed
from jieneng.core.mv.data import DateRange, MeterSeries
from jieneng.core.mv.eemeter_daily_direct import direct
from jieneng.core.mv.eemeter_daily_model import model_x7
from jieneng.core.mv.eemeter_daily_optim import Stop, brent, sbplx
from jieneng.core.mv.fit import fit_and_evaluate
from jieneng.core.mv.temperature import daily_temperature

BASE = DateRange(date(2022, 1, 1), date(2022, 12, 31))
REP = DateRange(date(2023, 1, 1), date(2023, 12, 31))
DAYS = np.arange(np.datetime64("2022-01-01"), np.datetime64("2024-01-01"))


def _temps_f(seed: int = 0) -> np.ndarray:
    doy = (DAYS - DAYS[0]).astype(int)
    noise = np.random.default_rng(seed).normal(0, 4, len(DAYS))
    return np.asarray(60 - 25 * np.cos(2 * np.pi * doy / 365.25) + noise)


def _model(t: np.ndarray) -> np.ndarray:
    return np.asarray(100 + 3 * np.maximum(55 - t, 0) + 4 * np.maximum(t - 70, 0))


def test_sbplx_minimises_within_bounds_and_budget() -> None:
    calls: list[list[float]] = []

    def f(x: list[float]) -> float:
        calls.append(list(x))
        return (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2 + (x[2] - 3) ** 2 + 0.5 * x[0] * x[2]

    stop = Stop(maxeval=1999, ftol_rel=1e-12, xtol_rel=1e-10)
    x, fx = sbplx(f, [0.0, 0.0, 0.0], [-5.0, -5.0, -5.0], [5.0, 5.0, 5.0], [0.5, 0.5, 0.5],
                  stop)
    # analytic minimum of the quadratic: x1 = -2, and (x0, x2) from the 2 × 2 system
    a = np.linalg.solve([[2.0, 0.5], [0.5, 2.0]], [2.0, 6.0])
    assert x == pytest.approx([a[0], -2.0, a[1]], abs=1e-4)
    assert fx == pytest.approx(f(x))
    assert len(calls) <= 1999 + 1 and all(-5 <= v <= 5 for c in calls for v in c)


def test_sbplx_stops_at_the_evaluation_limit() -> None:
    n = 0

    def f(x: list[float]) -> float:
        nonlocal n
        n += 1
        return sum((v - 0.3) ** 2 for v in x)

    sbplx(f, [0.0] * 7, [-1.0] * 7, [1.0] * 7, [0.1] * 7,
          Stop(maxeval=50, ftol_rel=0.0, xtol_rel=0.0))
    assert n == 50


def test_direct_finds_the_basin_and_respects_the_budget() -> None:
    n = 0

    def f(x: list[float]) -> float:
        nonlocal n
        n += 1
        return (x[0] - 62.0) ** 2 + (x[1] - 48.0) ** 2

    x, fx = direct(f, [30.0, 30.0], [90.0, 90.0], Stop(maxeval=199, ftol_rel=0.0,
                                                        xtol_rel=1e-4))
    assert n <= 199
    assert x == pytest.approx([62.0, 48.0], abs=1.0) and fx < 1.0


def test_brent_line_search() -> None:
    assert brent(lambda s: (s - 3.7) ** 2 + 1.0, 1e-6) == pytest.approx(3.7, abs=1e-5)


def test_group_fit_recovers_the_change_point_model() -> None:
    t = _temps_f()[:365]
    y = _model(t) + np.random.default_rng(3).normal(0, 0.5, 365)
    g = ed.fit_group(t, y)
    assert g is not None and g.key in (ed.PLAIN, ed.SMOOTH)
    x7 = model_x7(list(g.x), g.key == ed.SMOOTH)
    assert x7[0] == pytest.approx(55, abs=1.5) and x7[3] == pytest.approx(70, abs=1.5)
    assert x7[1] == pytest.approx(3, rel=0.1) and x7[4] == pytest.approx(4, rel=0.1)
    assert x7[6] == pytest.approx(100, abs=2)
    assert np.max(np.abs(g.predict(t) - _model(t))) < 5


def test_too_few_days_falls_back() -> None:
    assert ed.fit_group(np.arange(10.0), np.ones(10)) is None


def test_mv_fit_method_daily_recovers_the_savings() -> None:
    t = _temps_f()
    usage = _model(t) + np.random.default_rng(4).normal(0, 0.5, len(DAYS))
    usage[np.datetime64("2023-01-01") <= DAYS] *= 0.9
    result = fit_and_evaluate(MeterSeries.daily(DAYS, usage), daily_temperature(DAYS, t),
                              BASE, REP, "daily")
    d = result.to_dict()
    assert d["method"] == "daily" and d["model"]["type"].startswith("eemeter4:")
    assert d["model"]["candidates"] and d["model"]["n_parameters"] >= 5
    assert result.total.savings_pct == pytest.approx(0.1, abs=0.01)
    assert len(result.periods) == 12
