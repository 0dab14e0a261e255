"""The platform's OpenEEmeter-4-compatible daily model (``jieneng mv fit --method daily``).

Structure: the season × weekday/weekend groups chosen as OpenEEmeter 4.1.1 chooses them
(:func:`jieneng.core.mv.caltrack_splits.fit_daily_split`). Each group is then fitted with
OpenEEmeter 4.1.1's own procedure (``fit_hdd_tidd_cdd`` → ``fit_final_model``):

1. initial guess — DIRECT over the two balance points within the 6th-lowest … 6th-highest
   day temperatures (199 evaluations, x-tol 1e-3, f-tol 0.5); μ as the mean between
   them, slopes by Brent line searches (tol 0.1);
2. the smoothed heating/cooling model fitted by Subplex (1,999 evaluations, tolerances
   1e-5, first steps 10 % of the bounds) on the mean squared residual plus the lasso
   penalty (α = 0.001); bounds: balance points within the group's temperatures, slopes
   0 … (max slope + 2 × its order of magnitude), smoothing shares 0 … 1, μ within the
   1st … 99th percentile of usage;
3. the model reduced (no smoothing left → the unsmoothed model) and refitted by Subplex
   without penalty within ± one order of magnitude of each coefficient (balance points
   within the 6th-lowest … 6th-highest temperatures).

Groups whose search ends in a single-slope or intercept-only model keep the change-point
fit of :mod:`.caltrack_splits` (documented in docs/mv.md). Loss in step 3: OpenEEmeter
uses its adaptive robust loss; on the sample meters its shape parameter comes out at 2
(plain least squares), which is what we use. Sources: OpenEEmeter 4.1.1,
``eemeter/eemeter/models/daily`` (read to learn; our own code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from jieneng.core.mv.caltrack import predict_daily
from jieneng.core.mv.caltrack_splits import (
    component_mask,
    day_groups,
    fit_daily_split,
)
from jieneng.core.mv.caltrack_types import CaltrackFit
from jieneng.core.mv.eemeter_daily_direct import direct
from jieneng.core.mv.eemeter_daily_model import (
    LASSO,
    N_MIN,
    Array,
    GuessObjective,
    Objective,
    full_model,
    model_x7,
)
from jieneng.core.mv.eemeter_daily_optim import Stop, sbplx
from jieneng.core.mv.result import ModelSummary

SMOOTH, PLAIN = "hdd_tidd_cdd_smooth", "hdd_tidd_cdd"


@dataclass(frozen=True)
class GroupFit:
    """One group's eemeter-4 model: ``key`` and its coefficient vector (k as shares)."""

    key: str
    x: tuple[float, ...]
    t_min: float
    t_max: float
    evaluations: int

    def predict(self, t: Array) -> Array:
        return full_model(model_x7(list(self.x), self.key == SMOOTH), self.t_min, self.t_max, t)


@dataclass(frozen=True)
class DailyFit:
    """Combination of groups; each either a :class:`GroupFit` or a change-point fallback."""

    combination: str
    groups: tuple[tuple[str, GroupFit | CaltrackFit], ...]

    @property
    def n_parameters(self) -> int:
        return sum(len(g.x) if isinstance(g, GroupFit) else g.n_parameters
                   for _, g in self.groups)


def _group_dict(comp: str, g: GroupFit | CaltrackFit) -> dict[str, Any]:
    if isinstance(g, GroupFit):
        hbp, hb, hk, cbp, cb, ck, mu = model_x7(list(g.x), g.key == SMOOTH)
        return {"group": comp, "model_type": g.key, "heating_balance_point_f": hbp,
                "cooling_balance_point_f": cbp, "beta_hdd_per_f_day": hb,
                "beta_cdd_per_f_day": cb, "smoothing_hdd_f": hk, "smoothing_cdd_f": ck,
                "intercept_per_day": mu, "evaluations": g.evaluations}
    return {"group": comp, "model_type": f"change-point {g.model_type}",
            "heating_balance_point_f": g.heating_balance_point,
            "cooling_balance_point_f": g.cooling_balance_point,
            "beta_hdd_per_f_day": g.beta_hdd, "beta_cdd_per_f_day": g.beta_cdd,
            "intercept_per_day": g.intercept}


def summary_eemeter4(fit: DailyFit, n_observations: int) -> ModelSummary:
    """The model for ``MvResult``: one group's coefficients, or each group's in
    ``candidates`` (type ``eemeter4:<groups>``; k are the smoothing widths in °F)."""
    groups = tuple(_group_dict(c, g) for c, g in fit.groups)
    nan = float("nan")
    one = groups[0] if len(groups) == 1 else None

    def get(key: str) -> float:
        v = None if one is None else one.get(key)
        return nan if v is None else float(v)

    hbp, cbp = get("heating_balance_point_f"), get("cooling_balance_point_f")
    return ModelSummary(f"eemeter4:{fit.combination}", hbp if math.isfinite(hbp) else None,
                        cbp if math.isfinite(cbp) else None, get("intercept_per_day"),
                        get("beta_hdd_per_f_day"), get("beta_cdd_per_f_day"),
                        fit.n_parameters, n_observations, "none", groups)


def _bounds(t: Array, y: Array, x0: list[float], smooth: bool, initial: bool,
            given: Array | None) -> Array:
    betas = [x0[1], x0[4]] if smooth else [x0[1], x0[3]]
    top = float(np.max(betas))
    if top != 0:
        top += 10 ** (np.log10(np.abs(top)) + np.log10(2.0))
    if initial:
        lo, hi = float(np.min(t)), float(np.max(t))
    else:
        lo, hi = float(np.partition(t, N_MIN)[N_MIN]), float(np.partition(t, -N_MIN)[-N_MIN])
    bp, beta, mu = [lo, hi], [0.0, abs(top)], list(np.quantile(y, [0.01, 0.99]))
    base = ([bp, beta, [0.0, 1.0], bp, beta, [0.0, 1.0], mu] if smooth
            else [bp, beta, bp, beta, mu])
    b = np.array(base if given is None else given, dtype=np.float64)
    for i in ((0, 3, 6) if smooth else (0, 2, 4)):
        b[i] = base[i]
    b = np.sort(b, axis=1)
    for j in np.flatnonzero(b[:, 0] == b[:, 1]).tolist():
        v = float(b[j, 0])
        b[j] += np.array([-1.0, 1.0]) * 10 ** (1.0 if v == 0 else math.floor(math.log10(abs(v))))
    for i in ((1, 2, 4, 5) if smooth else (1, 3)):
        b[i, 0] = max(b[i, 0], 0.0)
    return b


def _search(t: Array, y: Array, x0: list[float], smooth: bool, initial: bool,
            given: Array | None) -> tuple[list[float], int]:
    b = _bounds(t, y, x0, smooth, initial, given)
    x = np.clip(np.array(x0), b[:, 0], b[:, 1])
    bt = b.T
    step = (bt[1] - bt[0]) * 0.1
    reach = np.max(np.abs(bt - x), axis=0)
    step = np.clip(step, -reach, reach)
    out = x + step
    np.putmask(step, (out < bt[0]) | (out > bt[1]), -step)
    f = Objective(t, y, smooth, LASSO if initial else 0.0)
    xs, _ = sbplx(f, list(x), list(bt[0]), list(bt[1]), list(step),
                  Stop(maxeval=1999, ftol_rel=1e-5, xtol_rel=1e-5))
    return xs, f.nevals


def _reduce(t: Array, x: list[float], smooth: bool) -> tuple[str, list[float]] | None:
    hbp, hb, hk, cbp, cb, ck, mu = (x if smooth else [x[0], x[1], 0.0, x[2], x[3], 0.0, x[4]])
    t_min, t_max = float(np.min(t)), float(np.max(t))
    if cbp < hbp:
        hbp, cbp, hb, cb, hk, ck = cbp, hbp, cb, hb, ck, hk
    if hbp != cbp:
        if cbp >= t_max:
            cb = 0.0
        elif hbp <= t_min:
            hb = 0.0
    hk = 0.0 if hb == 0 else hk
    ck = 0.0 if cb == 0 else ck
    if cb != 0 and hb != 0:
        if ck != 0 or hk != 0:
            return SMOOTH, [hbp, hb, hk, cbp, cb, ck, mu]
        return PLAIN, [hbp, hb, cbp, cb, mu]
    return None


def fit_group(temperature_f: ArrayLike, usage_per_day: ArrayLike) -> GroupFit | None:
    """OpenEEmeter 4.1.1's fit of one group; None when it reduces to one slope or none."""
    t = np.asarray(temperature_f, dtype=np.float64)
    y = np.asarray(usage_per_day, dtype=np.float64)
    if t.shape[0] < 2 * N_MIN + 2:
        return None
    g = GuessObjective(t, y)
    lo, hi = float(g.t[N_MIN - 1]), float(g.t[-N_MIN])
    if lo == hi:
        lo, hi = float(np.min(t)), float(np.max(t))
    lo, hi = min(lo, hi), max(lo, hi)
    if lo == hi:
        return None
    xb, _ = direct(g, [lo, lo], [hi, hi], Stop(maxeval=199, ftol_rel=0.5, xtol_rel=1e-3))
    x0, _ = g.coeffs(xb)
    xs, n1 = _search(t, y, x0, True, True, None)
    red = _reduce(t, xs, True)
    if red is None:
        return None
    key, xr = red
    oom = np.array([10.0 if v == 0 else 10 ** (np.log10(np.abs(v)) + np.log10(1.0)) for v in xr])
    given = np.stack([np.array(xr) - oom, np.array(xr) + oom], axis=1)
    xf, n2 = _search(t, y, xr, key == SMOOTH, False, given)
    red = _reduce(t, xf, key == SMOOTH)
    if red is None:
        return None
    return GroupFit(red[0], tuple(red[1]), float(np.min(t)), float(np.max(t)), n1 + n2)


def fit_daily_eemeter4(temperature_f: ArrayLike, usage_per_day: ArrayLike, dates: ArrayLike, *,
                       fuel: str = "electricity") -> DailyFit:
    """Groups as OpenEEmeter 4 chooses them, each fitted by its procedure (see module doc)."""
    t = np.asarray(temperature_f, dtype=np.float64)
    y = np.asarray(usage_per_day, dtype=np.float64)
    d = np.asarray(dates, dtype="datetime64[D]")
    ok = np.isfinite(t) & np.isfinite(y)
    split = fit_daily_split(t[ok], y[ok], d[ok], fuel=fuel)
    season, weekend = day_groups(d[ok])
    groups: list[tuple[str, GroupFit | CaltrackFit]] = []
    for comp, fallback in split.components:
        m = component_mask(comp, season, weekend)
        g = fit_group(t[ok][m], y[ok][m])
        groups.append((comp, fallback if g is None else g))
    return DailyFit(split.combination, tuple(groups))


def predict_daily_eemeter4(fit: DailyFit, temperature_f: ArrayLike, dates: ArrayLike) -> Array:
    """Usage per day for each day (NaN where the temperature is missing)."""
    t = np.asarray(temperature_f, dtype=np.float64)
    season, weekend = day_groups(np.asarray(dates, dtype="datetime64[D]"))
    out = np.full(t.shape, np.nan)
    for comp, g in fit.groups:
        m = component_mask(comp, season, weekend) & np.isfinite(t)
        out[m] = g.predict(t[m]) if isinstance(g, GroupFit) else predict_daily(g, t[m])
    return out
