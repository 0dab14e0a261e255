"""Season × weekday/weekend split daily models on constructed series."""

from __future__ import annotations

import numpy as np
import pytest

from jieneng.core.mv import caltrack_splits as cs


def _days() -> np.ndarray:
    return np.arange(np.datetime64("2019-01-01"), np.datetime64("2020-01-01"))


def _temps(seed: int = 0) -> np.ndarray:
    d = np.arange(365)
    noise = np.random.default_rng(seed).normal(0, 5, 365)
    return 55 + 25 * np.sin(2 * np.pi * (d - 100) / 365) + noise


def test_day_groups() -> None:
    season, weekend = cs.day_groups(np.array(["2019-01-05", "2019-01-07", "2019-07-01",
                                              "2019-10-15"], dtype="datetime64[D]"))
    assert list(season) == ["wi", "wi", "su", "sh"]
    assert list(weekend) == [True, False, False, False]  # 2019-01-05 was a Saturday


def test_combinations_unique_and_ordered() -> None:
    combos = cs.combinations()
    assert combos[0] == cs.FULL_YEAR
    keys = [tuple(sorted(c.split("__"))) for c in combos]
    assert len(keys) == len(set(keys))
    assert "wd-su_sh_wi__we-su_sh_wi" in combos and "fw-su__fw-sh__fw-wi" in combos
    assert [len(c) for c in combos] == sorted(len(c) for c in combos)


def test_one_model_when_nothing_differs() -> None:
    t = _temps()
    y = 10 + 2 * np.maximum(55 - t, 0) + np.random.default_rng(1).normal(0, 1, 365)
    fit = cs.fit_daily_split(t, y, _days())
    assert fit.combination == cs.FULL_YEAR
    (_name, model), = fit.components
    assert model.heating_balance_point == pytest.approx(55, abs=1.5)


def test_weekends_apart() -> None:
    t, days = _temps(2), _days()
    _, weekend = cs.day_groups(days)
    y = np.where(weekend, 5.0, 40.0) + 1.5 * np.maximum(55 - t, 0)
    y = y + np.random.default_rng(3).normal(0, 1, 365)
    fit = cs.fit_daily_split(t, y, days)
    assert fit.combination == "wd-su_sh_wi__we-su_sh_wi"
    pred = cs.predict_daily_split(fit, t, days)
    assert np.abs(pred - y).mean() < 2


def test_ellipses() -> None:
    scale = np.ones((2, 2))
    x = np.linspace(0, 10, 50)
    a = cs.robust_ellipse(x, 2 * x + np.sin(x), scale)
    b = cs.robust_ellipse(x, 2 * x + np.sin(x) + 1, scale)
    far = cs.robust_ellipse(x + 100, 2 * x + 500 + np.sin(x), scale)
    assert a is not None and b is not None and far is not None
    assert cs.ellipses_intersect(a, b)
    assert not cs.ellipses_intersect(a, far)
    assert cs.robust_ellipse(np.ones(5), np.arange(5.0), scale) is None
