"""CalTRACK 2.0 usage-per-day models, daily and billing — a vectorised grid search.

Clause numbers refer to CalTRACK 2.0 (``openeemeter/caltrack`` ``docs/methods.rst``,
summarised in ``projects-campaigns.md`` §1.3):

- model: UPD = μ + β_H·HDD(h) + β_C·CDD(c), HDD(h) = max(h − T, 0), CDD(c) = max(T − c, 0)
  on the daily mean temperature T in °F [3.3.1.3];
- balance points on a grid 30–90 °F [3.2.1.1–3.2.1.2], step ≤ 3 °F [3.2.3] (the
  default 1 °F is the legacy implementation's ``range(30, 91)``, eemeter 2.x
  ``design_matrices.py``), cooling ≥ heating [3.2.2.1];
- a degree-day term is tried only with ≥ 10 days of non-zero degree days (daily models
  only) and ≥ 20 degree-days in the (one-year [3.1.3]) baseline [3.2.2.2];
- candidates intercept-only, HDD-only, CDD-only, HDD+CDD; gas meters fit no CDD
  [3.4.3.1]; a candidate qualifies only if its coefficients are not negative (betas
  strictly positive) — no p-value screen, it was removed in 2.0 [3.4.3.2]; the
  qualified candidate with the highest adjusted R² wins [3.4.3.3];
- billing models: ordinary least squares on period usage per day against the period's
  average degree days per day, weighted by the days of each period (WLS) [3.4.2].

The thresholds are data: ``data/mv/caltrack.json`` (with its source). The model names,
reason codes, settings and result types are in :mod:`.caltrack_types`.

Speed: every candidate of every model type is solved at once from the normal
equations. With an intercept, centred sums make each HDD/CDD pair a 2×2 system; all
61 × 61 pairs are broadcast arrays (one matrix product for the HDD×CDD cross sums,
which vanish for daily data when cooling ≥ heating). No Python loop over data or grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .caltrack_types import (
    BETA_CDD_NOT_POSITIVE,
    BETA_HDD_NOT_POSITIVE,
    CDD_ONLY,
    DISQUALIFIED,
    FUELS_WITHOUT_CDD,
    HDD_CDD,
    HDD_ONLY,
    INTERCEPT_ONLY,
    MODEL_TYPES,
    NEGATIVE_INTERCEPT,
    NO_CDD_FOR_GAS,
    NO_DATA,
    NONE,
    NOT_ATTEMPTED,
    QUALIFIED,
    SINGULAR,
    TOO_FEW_NON_ZERO_CDD,
    TOO_FEW_NON_ZERO_HDD,
    TOTAL_CDD_TOO_LOW,
    TOTAL_HDD_TOO_LOW,
    Array,
    CaltrackFit,
    CaltrackSettings,
    Candidate,
)

__all__ = [
    "BETA_CDD_NOT_POSITIVE",
    "BETA_HDD_NOT_POSITIVE",
    "CDD_ONLY",
    "DISQUALIFIED",
    "FUELS_WITHOUT_CDD",
    "HDD_CDD",
    "HDD_ONLY",
    "INTERCEPT_ONLY",
    "MODEL_TYPES",
    "NEGATIVE_INTERCEPT",
    "NONE",
    "NOT_ATTEMPTED",
    "NO_CDD_FOR_GAS",
    "NO_DATA",
    "QUALIFIED",
    "SINGULAR",
    "TOO_FEW_NON_ZERO_CDD",
    "TOO_FEW_NON_ZERO_HDD",
    "TOTAL_CDD_TOO_LOW",
    "TOTAL_HDD_TOO_LOW",
    "CaltrackFit",
    "CaltrackSettings",
    "Candidate",
    "fit_daily",
    "fit_periods",
    "predict_daily",
    "predict_periods",
]

# internal: reasons as small integers on the grids (0 = fine), named only for the report
_INVALID = "cooling_below_heating"  # 3.2.2.1: not a candidate at all
_CODES = ("", TOO_FEW_NON_ZERO_HDD, TOO_FEW_NON_ZERO_CDD, TOTAL_HDD_TOO_LOW, TOTAL_CDD_TOO_LOW,
          NEGATIVE_INTERCEPT, BETA_HDD_NOT_POSITIVE, BETA_CDD_NOT_POSITIVE, SINGULAR, _INVALID)
_C = {name: np.int8(i) for i, name in enumerate(_CODES)}
Codes = NDArray[np.int8]


def _finite(*arrays: ArrayLike) -> list[Array]:
    out = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    n = out[0].shape[0]
    if any(a.shape[0] != n for a in out):
        raise ValueError("caltrack: arrays differ in length")
    return out


def fit_daily(temperature_f: ArrayLike, usage_per_day: ArrayLike, *, fuel: str = "electricity",
              settings: CaltrackSettings | None = None) -> CaltrackFit:
    """CalTRACK 2.0 daily model: OLS of daily usage on daily HDD/CDD over the grid.

    Days with a missing usage or temperature are left out (data preparation and the
    sufficiency checks [2.2] are the caller's).
    """
    s = settings or CaltrackSettings()
    t, y = _finite(temperature_f, usage_per_day)
    keep = np.isfinite(t) & np.isfinite(y)
    t, y = t[keep], y[keep]
    bp = np.asarray(s.balance_points_f, dtype=np.float64)
    hdd = np.maximum(bp[None, :] - t[:, None], 0.0)
    cdd = np.maximum(t[:, None] - bp[None, :], 0.0)
    stats = _TermStats(
        nz_h=np.count_nonzero(hdd, axis=0), nz_c=np.count_nonzero(cdd, axis=0),
        tot_h=hdd.sum(axis=0), tot_c=cdd.sum(axis=0))
    return _search(hdd, cdd, y, np.ones_like(y), bp, stats, fuel=fuel, cross_zero=True,
                   min_non_zero=s.minimum_non_zero_days, min_total=s.minimum_total_degree_days)


def fit_periods(daily_temperature_f: ArrayLike, period_of_day: ArrayLike,
                usage_per_day: ArrayLike, days: ArrayLike, *, fuel: str = "electricity",
                settings: CaltrackSettings | None = None) -> CaltrackFit:
    """CalTRACK 2.0 billing model: WLS, weight = days of the period [3.4.2].

    ``daily_temperature_f[i]`` is the mean temperature of day i and ``period_of_day[i]``
    the index (0 … P−1) of the billing period it belongs to; ``usage_per_day[p]`` and
    ``days[p]`` describe period p. A period's HDD/CDD is the mean of its days' daily
    degree days (days without temperature left out).
    """
    s = settings or CaltrackSettings()
    t, per = _finite(daily_temperature_f, period_of_day)
    y, w = _finite(usage_per_day, days)
    n_periods = y.shape[0]
    bp = np.asarray(s.balance_points_f, dtype=np.float64)
    ok_day = np.isfinite(t) & (per >= 0) & (per < n_periods)
    t, idx = t[ok_day], per[ok_day].astype(np.int64)
    hdd_d = np.maximum(bp[None, :] - t[:, None], 0.0)
    cdd_d = np.maximum(t[:, None] - bp[None, :], 0.0)
    counts = np.bincount(idx, minlength=n_periods).astype(np.float64)
    onehot = np.zeros((n_periods, t.shape[0]))
    onehot[idx, np.arange(t.shape[0])] = 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        hdd = (onehot @ hdd_d) / counts[:, None]
        cdd = (onehot @ cdd_d) / counts[:, None]
    keep = np.isfinite(y) & np.isfinite(w) & (w > 0) & (counts > 0)
    stats = _TermStats(
        nz_h=np.count_nonzero(hdd_d[keep[idx]], axis=0),
        nz_c=np.count_nonzero(cdd_d[keep[idx]], axis=0),
        tot_h=(hdd[keep] * w[keep, None]).sum(axis=0),
        tot_c=(cdd[keep] * w[keep, None]).sum(axis=0))
    return _search(hdd[keep], cdd[keep], y[keep], w[keep], bp, stats, fuel=fuel,
                   cross_zero=False, min_non_zero=s.billing_minimum_non_zero_days,
                   min_total=s.billing_minimum_total_degree_days)


def predict_daily(fit: CaltrackFit, temperature_f: ArrayLike) -> Array:
    """Usage per day predicted for each daily mean temperature (NaN where T is NaN)."""
    t = np.asarray(temperature_f, dtype=np.float64)
    if not fit.qualified:
        return np.full(t.shape, np.nan)
    out = np.full(t.shape, fit.intercept) + 0.0 * t
    if fit.heating_balance_point is not None:
        out = out + fit.beta_hdd * np.maximum(fit.heating_balance_point - t, 0.0)
    if fit.cooling_balance_point is not None:
        out = out + fit.beta_cdd * np.maximum(t - fit.cooling_balance_point, 0.0)
    return out


def predict_periods(fit: CaltrackFit, daily_temperature_f: ArrayLike, period_of_day: ArrayLike,
                    n_periods: int) -> Array:
    """Usage per day predicted for each period: the mean of its days' predictions
    (the model is linear in degree days, so this equals the model at the period's mean
    HDD/CDD, as fitted by :func:`fit_periods`). NaN for a period without temperature."""
    pred = predict_daily(fit, daily_temperature_f).ravel()
    per = np.asarray(period_of_day, dtype=np.int64).ravel()
    ok = np.isfinite(pred) & (per >= 0) & (per < n_periods)
    sums = np.bincount(per[ok], weights=pred[ok], minlength=n_periods)
    counts = np.bincount(per[ok], minlength=n_periods)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


# ---------------------------------------------------------------- the search


@dataclass(frozen=True)
class _TermStats:
    nz_h: NDArray[np.int64]
    nz_c: NDArray[np.int64]
    tot_h: Array
    tot_c: Array


@dataclass(frozen=True)
class _Grid:
    """All candidates of one model type as arrays of one shape (K or K×K)."""

    model_type: str
    h: Array | None
    c: Array | None
    mu: Array
    bh: Array
    bc: Array
    r2: Array
    r2_adj: Array
    reason: Codes  # 0 = qualified


def _search(hdd: Array, cdd: Array, y: Array, w: Array, bp: Array, st: _TermStats, *,
            fuel: str, cross_zero: bool, min_non_zero: int, min_total: float) -> CaltrackFit:
    n = y.shape[0]
    if n == 0:
        cands = tuple(_not_attempted(m, NO_DATA) for m in MODEL_TYPES)
        return _none(cands, 0)
    sw = w.sum()
    ybar = (w * y).sum() / sw
    yc = y - ybar
    sst = (w * yc * yc).sum()
    # centred sums per balance point (K,)
    hbar = (w @ hdd) / sw
    cbar = (w @ cdd) / sw
    a_hh = (w @ (hdd * hdd)) - sw * hbar * hbar
    a_cc = (w @ (cdd * cdd)) - sw * cbar * cbar
    r_h = (w * yc) @ hdd
    r_c = (w * yc) @ cdd
    ok_h = _term_reason(st.nz_h, st.tot_h, min_non_zero, min_total, "hdd")
    ok_c = _term_reason(st.nz_c, st.tot_c, min_non_zero, min_total, "cdd")
    with_cdd = fuel not in FUELS_WITHOUT_CDD

    grids: list[_Grid] = []
    mu0 = np.array([ybar])
    grids.append(_qualify(INTERCEPT_ONLY, None, None, mu0, np.zeros(1), np.zeros(1),
                          np.zeros(1), np.zeros(1), np.zeros(1, np.int8), n, 1))
    grids.append(_single(HDD_ONLY, bp, a_hh, r_h, hbar, ybar, sst, ok_h, n))
    if with_cdd:
        grids.append(_single(CDD_ONLY, bp, a_cc, r_c, cbar, ybar, sst, ok_c, n))
        # daily, cooling ≥ heating: HDD(h)·CDD(c) = 0 on every day
        s_hc = np.zeros((bp.size, bp.size)) if cross_zero else (hdd * w[:, None]).T @ cdd
        a_hc = s_hc - sw * hbar[:, None] * cbar[None, :]
        grids.append(_pair(bp, a_hh, a_cc, a_hc, r_h, r_c, hbar, cbar, ybar, sst, ok_h, ok_c, n))
    cands = tuple(_best(g) for g in grids)
    if not with_cdd:
        cands += (_not_attempted(CDD_ONLY, NO_CDD_FOR_GAS), _not_attempted(HDD_CDD, NO_CDD_FOR_GAS))
    return _select(grids, cands, n, sst)


def _term_reason(nz: NDArray[np.int64], tot: Array, min_nz: int, min_tot: float,
                 term: str) -> Codes:
    reason = np.zeros(nz.shape, dtype=np.int8)
    reason[tot < min_tot] = _C[TOTAL_HDD_TOO_LOW if term == "hdd" else TOTAL_CDD_TOO_LOW]
    reason[nz < min_nz] = _C[TOO_FEW_NON_ZERO_HDD if term == "hdd" else TOO_FEW_NON_ZERO_CDD]
    return reason


def _single(model_type: str, bp: Array, a: Array, r: Array, xbar: Array, ybar: float,
            sst: float, pre: Codes, n: int) -> _Grid:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        beta = np.where(a > 0, r / a, np.nan)
        ssr = sst - beta * r
        mu = ybar - beta * xbar
    pre = np.where((pre == 0) & ~(a > 1e-12 * max(1.0, float(np.max(a, initial=0)))),
                   _C[SINGULAR], pre)
    zero = np.zeros_like(beta)
    if model_type == HDD_ONLY:
        return _qualify(model_type, bp, None, mu, beta, zero, ssr, sst + zero, pre, n, 2)
    return _qualify(model_type, None, bp, mu, zero, beta, ssr, sst + zero, pre, n, 2)


def _pair(bp: Array, a_hh: Array, a_cc: Array, a_hc: Array, r_h: Array, r_c: Array,
          hbar: Array, cbar: Array, ybar: float, sst: float, ok_h: Codes,
          ok_c: Codes, n: int) -> _Grid:
    ahh, acc = a_hh[:, None], a_cc[None, :]
    det = ahh * acc - a_hc * a_hc
    scale = np.maximum(np.abs(ahh * acc), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # det 0: NaN, SINGULAR
        bh = (r_h[:, None] * acc - r_c[None, :] * a_hc) / det
        bc = (r_c[None, :] * ahh - r_h[:, None] * a_hc) / det
        ssr = sst - bh * r_h[:, None] - bc * r_c[None, :]
        mu = ybar - bh * hbar[:, None] - bc * cbar[None, :]
    pre = np.where(ok_h[:, None] != 0, ok_h[:, None], ok_c[None, :])
    pre = np.where((pre == 0) & (np.abs(det) <= 1e-10 * scale), _C[SINGULAR], pre)
    # 3.2.2.1: cooling balance point ≥ heating balance point (other pairs are not candidates)
    invalid = bp[None, :] < bp[:, None]
    pre = np.where(invalid, _C[_INVALID], pre)
    hh, cc = np.meshgrid(bp, bp, indexing="ij")
    return _qualify(HDD_CDD, hh, cc, mu, bh, bc, ssr, np.full(det.shape, sst), pre, n, 3)


def _qualify(model_type: str, h: Array | None, c: Array | None, mu: Array, bh: Array,
             bc: Array, ssr: Array, sst: Array, pre: Codes, n: int,
             p: int) -> _Grid:
    """3.4.3.2 on every fitted candidate, and R² / adjusted R² (statsmodels' definitions:
    R² = 1 − SSR/SST on weighted centred sums, adj = 1 − (n − 1)/(n − p)·(1 − R²))."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(sst > 0, 1.0 - ssr / sst, 0.0) if p > 1 else np.zeros_like(mu)
        r2_adj = 1.0 - (n - 1) / (n - p) * (1.0 - r2) if n > p else np.full_like(mu, np.nan)
    if p == 1:
        r2_adj = np.zeros_like(mu)
    reason = pre.copy()
    fitted = reason == 0
    if model_type in (HDD_ONLY, HDD_CDD):
        reason[fitted & ~(bh > 0)] = _C[BETA_HDD_NOT_POSITIVE]
    if model_type in (CDD_ONLY, HDD_CDD):
        reason[fitted & (reason == 0) & ~(bc > 0)] = _C[BETA_CDD_NOT_POSITIVE]
    reason[fitted & (reason == 0) & ~(mu >= 0)] = _C[NEGATIVE_INTERCEPT]
    reason[fitted & (reason == 0) & ~np.isfinite(r2_adj)] = _C[SINGULAR]
    return _Grid(model_type, h, c, mu, bh, bc, r2, r2_adj, reason)


def _pick(g: _Grid, mask: NDArray[np.bool_]) -> int:
    """Flat index of the highest adjusted R² under ``mask`` (first on ties: the lowest
    heating, then cooling balance point)."""
    score = np.where(mask, np.nan_to_num(g.r2_adj, nan=-np.inf), -np.inf).ravel()
    return int(np.argmax(score))


def _value(a: Array | None, i: int) -> float | None:
    return None if a is None else float(a.ravel()[i])


def _best(g: _Grid) -> Candidate:
    reason = g.reason.ravel()
    qualified = reason == 0
    fitted = qualified | np.isin(reason, [_C[BETA_HDD_NOT_POSITIVE], _C[BETA_CDD_NOT_POSITIVE],
                                          _C[NEGATIVE_INTERCEPT]])
    valid = reason != _C[_INVALID]
    n_q, n_f = int(qualified.sum()), int(fitted.sum())
    if n_q:
        i, status, why = _pick(g, g.reason == 0), QUALIFIED, ""
    elif n_f:
        i = _pick(g, fitted.reshape(g.reason.shape))
        status, why = DISQUALIFIED, _CODES[int(reason[i])]
    else:
        # nothing fitted: report the rule at the first valid grid point
        i = int(np.argmax(valid))
        return _not_attempted(g.model_type, _CODES[int(reason[i])], tried=0)
    return Candidate(g.model_type, status, why, _value(g.h, i), _value(g.c, i),
                     float(g.mu.ravel()[i]), float(g.bh.ravel()[i]), float(g.bc.ravel()[i]),
                     float(g.r2_adj.ravel()[i]), n_f, n_q)


def _not_attempted(model_type: str, reason: str, tried: int = 0) -> Candidate:
    nan = float("nan")
    return Candidate(model_type, NOT_ATTEMPTED, reason, None, None, nan, nan, nan, nan, tried, 0)


def _none(cands: tuple[Candidate, ...], n: int) -> CaltrackFit:
    nan = float("nan")
    return CaltrackFit(NONE, None, None, nan, nan, nan, nan, nan, 0, n, cands)


def _select(grids: list[_Grid], cands: tuple[Candidate, ...], n: int, sst: float) -> CaltrackFit:
    """3.4.3.3: the qualified candidate with the highest adjusted R² (first on ties, in
    the order intercept-only, HDD-only, CDD-only, HDD+CDD)."""
    best: tuple[float, _Grid, int] | None = None
    for g in grids:
        if not (g.reason == 0).any():
            continue
        i = _pick(g, g.reason == 0)
        score = float(g.r2_adj.ravel()[i])
        if best is None or score > best[0]:
            best = (score, g, i)
    if best is None:
        return _none(cands, n)
    _, g, i = best
    p = {INTERCEPT_ONLY: 1, HDD_ONLY: 2, CDD_ONLY: 2, HDD_CDD: 3}[g.model_type]
    return CaltrackFit(
        g.model_type, _value(g.h, i), _value(g.c, i), float(g.mu.ravel()[i]),
        float(g.bh.ravel()[i]), float(g.bc.ravel()[i]), float(g.r2.ravel()[i]),
        float(g.r2_adj.ravel()[i]), p, n, cands)
