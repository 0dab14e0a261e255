"""OpenEEmeter 4.1.1's daily change-point model and its fitting objective, in numpy.

The model (``hdd_tidd_cdd`` and its smoothed form): below the heating balance point
``E = β_h·(T_h − T) + μ``, above the cooling one ``E = β_c·(T − T_c) + μ``, flat between;
the smoothed form adds ``|β·k|·(exp((T − T_bp)/k) − 1)`` (k ≥ 0; the fit works with k
as a share of the gap between the balance points, which also moves the balance points
inwards). The objective is the mean squared residual plus an L1 ("lasso") penalty,
α = 0.001, on the balance points' distance to the temperature range and on slopes and
smoothing scaled by σ_T/σ_E of their segments; the initial guess of the balance points
fits μ as a mean and the slopes by Brent line searches. Sources: OpenEEmeter 4.1.1
(``eemeter/eemeter/models/daily``: full_model, objective_function, hdd_tidd_cdd, base
utilities), read to learn — our own code; every floating-point step is written in the
same order so the searches of :mod:`.eemeter_daily_optim` retrace eemeter's.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from jieneng.core.mv.eemeter_daily_optim import brent

Array = NDArray[np.float64]

N_MIN = 6  # minimum days on a sloped segment
LASSO = 0.001  # regularisation α (100 % lasso)
_LN_MIN = math.log((np.finfo(float).tiny * 1e20) ** 0.5)
_LN_MAX = math.log((np.finfo(float).max * 1e-20) ** 0.5)


def full_model(x7: list[float], t_min: float, t_max: float, t: Array) -> Array:
    """Usage at temperatures ``t`` for [h_bp, β_h, k_h, c_bp, β_c, k_c, μ] (k absolute)."""
    hbp, hb, hk, cbp, cb, ck, mu = x7
    if hb == 0 and cb == 0:
        return np.ones_like(t) * mu
    if cbp < hbp:
        hbp, cbp, hb, cb, hk, ck = cbp, hbp, cb, hb, ck, hk
    heat = (t < hbp) | ((hbp == cbp) and (cbp >= t_max))
    cool = ~heat & ((t > cbp) | ((hbp == cbp) and (hbp <= t_min)))
    out = np.full_like(t, mu)
    for mask, bp, beta, k in ((heat, hbp, -hb, hk), (cool, cbp, cb, -ck)):
        if beta == 0:
            continue
        lin = beta * (t - bp) + mu  # element-wise: same values as on the subset
        if k != 0:
            e = np.clip(1 / k * (t - bp), _LN_MIN, _LN_MAX)
            lin = abs(beta * k) * (np.exp(e) - 1) + lin
        np.copyto(out, lin, where=mask)
    return out


def sorted_model(x7: list[float], t_min: float, t_max: float, ts: Array) -> Array:
    """:func:`full_model` for ascending temperatures ``ts``: the heating, flat and cooling
    days are slices (same values element by element, fewer passes)."""
    hbp, hb, hk, cbp, cb, ck, mu = x7
    if cbp < hbp:
        hbp, cbp, hb, cb, hk, ck = cbp, hbp, cb, hb, ck, hk
    if (hb == 0 and cb == 0) or hbp == cbp:
        return full_model(x7, t_min, t_max, ts)
    a = int(np.searchsorted(ts, hbp, side="left"))
    b = int(np.searchsorted(ts, cbp, side="right"))
    out = np.empty_like(ts)
    out[a:b] = mu
    for sl, bp, beta, k in ((slice(0, a), hbp, -hb, hk), (slice(b, None), cbp, cb, -ck)):
        if beta == 0:
            out[sl] = mu
            continue
        d = ts[sl] - bp
        lin = beta * d + mu
        if k != 0:
            e = np.clip(1 / k * d, _LN_MIN, _LN_MAX)
            lin = abs(beta * k) * (np.exp(e) - 1) + lin
        out[sl] = lin
    return out


def smooth_coeffs(hbp: float, pk_h: float, cbp: float, pk_c: float) -> list[float]:
    """Shares of the balance-point gap → absolute k, balance points moved inwards."""
    if pk_h < 0.01 and pk_c < 0.01:
        return [hbp, 0.0, cbp, 0.0]
    tot = pk_h + pk_c
    if tot > 1:
        pk_h, pk_c = pk_h / tot, pk_c / tot
    hk = pk_h * (cbp - hbp) / 1
    ck = pk_c * (cbp - hbp) / 1
    return [hbp + hk * 1, hk, cbp - ck * 1, ck]


def model_x7(x: list[float], smooth: bool) -> list[float]:
    """Fit vector (7 smooth with k shares, or 5) → full-model vector with absolute k."""
    if smooth:
        hbp, hk, cbp, ck = smooth_coeffs(x[0], x[2], x[3], x[5])
        return [hbp, x[1], hk, cbp, x[4], ck, x[6]]
    return [x[0], x[1], 0.0, x[2], x[3], 0.0, x[4]]


class Objective:
    """Mean squared residual (+ lasso penalty when ``reg``) of one group's days."""

    def __init__(self, t: Array, y: Array, smooth: bool, reg: float) -> None:
        self.t, self.y, self.smooth, self.reg = t, y, smooth, reg
        self.n = y.shape[0]
        self.t_min, self.t_max = float(np.min(t)), float(np.max(t))
        order = np.argsort(t)
        self.ts, self.ys = t[order], y[order]
        self.back = np.argsort(order)  # sorted position of each day, to sum in day order
        self.bp, self.beta = ((0, 3), (1, 4)) if smooth else ((0, 2), (1, 3))
        self.nevals = 0
        self._cache: dict[tuple[int, int, bool], tuple[float, float, float, float]] = {}

    def __call__(self, x: list[float]) -> float:
        self.nevals += 1
        x7 = model_x7(x, self.smooth)
        resid = (sorted_model(x7, self.t_min, self.t_max, self.ts) - self.ys)[self.back]
        loss: float = float(np.sum(resid * resid)) / self.n
        if self.reg != 0:
            loss += self.penalty(x, math.sqrt(loss))
        return loss

    def _spread(self, h_end: int, c_start: int, both: bool) -> tuple[float, float, float, float]:
        """σ_T and σ_E of the heating and cooling days (cached: the cut points repeat)."""
        key = (h_end, c_start, both)
        hit = self._cache.get(key)
        if hit is None:
            ts, ys = self.ts, self.ys
            if both:
                hit = (float(np.std(ts[:h_end])), float(np.std(ts[c_start:])),
                       float(np.std(ys[:h_end])), float(np.std(ys[c_start:])))
            else:
                st, sy = float(np.std(ts)), float(np.std(ys))
                hit = (st, st, sy, sy)
            self._cache[key] = hit
        return hit

    def penalty(self, x: list[float], wrmse: float) -> float:
        """Lasso term; scalar arithmetic in eemeter's order, sums as numpy does them."""
        i0, i1 = self.bp
        b0, b1 = self.beta
        hbp, cbp = x[i0], x[i1]
        half = (cbp - hbp) / 2
        scale = wrmse / (self.t_max - self.t_min)
        lo, hi = self.t_min, self.t_max
        p_h = (min(abs(hbp - lo), abs(hbp - hi)) + half) * scale
        p_c = (min(abs(cbp - lo), abs(cbp - hi)) + half) * scale
        # sorted temperatures: heating / middle / cooling days are slices (they overlap
        # when h_bp > c_bp, as eemeter's index sets then do)
        ts, n = self.ts, self.n
        a = int(np.searchsorted(ts, hbp, side="left"))
        b = int(np.searchsorted(ts, cbp, side="right"))
        n_h, n_m, n_c = a, max(b - a, 0), n - b
        h_end, c_start = a, b
        if n_h < N_MIN and n_c >= N_MIN:
            h_end = a + n_m
        elif n_h >= N_MIN and n_c < N_MIN:
            c_start = b - n_m
        both = h_end >= N_MIN and n - c_start >= N_MIN
        st_h, st_c, sy_h, sy_c = self._spread(h_end, c_start, both)
        e_h = x[b0] * (st_h / sy_h)
        e_c = x[b1] * (st_c / sy_c)
        few_h, few_c = (n_h < N_MIN, n_c < N_MIN) if both else (n_m < N_MIN, n_m < N_MIN)
        e_h = e_h * 1e30 if few_h else e_h
        e_c = e_c * 1e30 if few_c else e_c
        terms = [p_h, e_h]
        if self.smooth:
            k_h, k_c = x[2], x[5]
            tot = k_h + k_c
            if tot > 1:
                k_h, k_c = k_h / tot, k_c / tot
            terms = [p_h, e_h, k_h * (e_h / 2), p_c, e_c, k_c * (e_c / 2)]
        else:
            terms = [p_h, e_h, p_c, e_c]
        return float(self.reg * np.add.reduce(np.abs(np.array(terms))))


def _slope(x: Array, y: Array, bp: float, mu: float) -> float:
    return brent(lambda s: float(np.sqrt(np.sum((y - (s * (x - bp) + mu)) ** 2))), 0.1)


class GuessObjective:
    """Balance-point search of the initial guess: μ a mean, slopes by line search."""

    def __init__(self, t: Array, y: Array) -> None:
        order = np.argsort(t).flatten()
        self.t, self.y = t[order], y[order]
        self.n = y.shape[0]
        self.bnds = np.array([self.t[0], self.t[-1]])

    def coeffs(self, x: list[float]) -> tuple[list[float], float]:
        hbp, cbp = (x[0], x[1]) if x[0] < x[1] else (x[1], x[0])
        t, y = self.t, self.y
        i_h = np.argwhere(t < hbp).flatten()
        i_m = np.argwhere((hbp <= t) & (t <= cbp)).flatten()
        i_c = np.argwhere(cbp < t).flatten()
        if len(i_m) > 0:
            mu = float(np.mean(y[i_m]))
        elif len(i_c) >= N_MIN and len(i_h) >= N_MIN and (i_c[N_MIN - 1] - i_h[-N_MIN]) > 0:
            mu = float(np.mean(y[i_h[-N_MIN]:i_c[N_MIN - 1]]))
        else:
            mu = float(np.quantile(y, 0.20))
        hb = _slope(t[i_h], y[i_h], hbp, mu)
        hb = 0.0 if hb > 0 else hb * -1
        cb = _slope(t[i_c], y[i_c], cbp, mu)
        cb = 0.0 if cb < 0 else cb
        resid = sorted_model([hbp, hb, 0.0, cbp, cb, 0.0, mu], self.bnds[0], self.bnds[1], t) - y
        rm = np.mean(resid)
        resid -= rm
        mu += float(rm)
        loss = float(np.sum(np.ones(self.n) * resid**2))
        xl = np.array([np.min(np.abs(v - self.bnds)) for v in x])
        xl += (x[1] - x[0]) / 2
        xl *= math.sqrt(loss / self.n) / (self.bnds[1] - self.bnds[0])
        loss += LASSO * float(np.linalg.norm(xl, 1))
        return [hbp, hb, 0.0, cbp, cb, 0.0, mu], loss

    def __call__(self, x: list[float]) -> float:
        return self.coeffs(x)[1]
