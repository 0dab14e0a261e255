"""Goodness of fit and savings uncertainty of a baseline model.

* R² = 1 − SSR/SST (weighted when the fit is: billing and monthly fits are WLS
  weighted by days, CalTRACK 2.0 §3.4.2); adjusted R² = 1 − (1 − R²)(n − 1)/(n − c − 1).
* CV(RMSE) = √(SSR/(P − c)) / Ū (CalTRACK 2.0 §4.3.2.2): ``U`` the measured use per
  period (day, billing period, month), ``Ū`` its baseline mean, ``P`` the baseline
  periods, ``c`` the explanatory variables without the intercept (§4.3.2.2.5).
* NMBE = Σ(U − Û) / (P · Ū) — as OpenEEmeter (``opendsm/common/metrics.py``), without
  ASHRAE Guideline 14's (P − c); positive when the model under-predicts.
* Lag-1 autocorrelation ρ₁ of the baseline residuals in time order and the effective
  number of periods P′ = P(1 − ρ₁)/(1 + ρ₁) (ASHRAE Guideline 14, as OpenEEmeter); a
  negative ρ₁ counts as 0 (P′ ≤ P, platform convention).
* Fractional savings uncertainty (CalTRACK 2.0 §4.3.2.4)
  FSU = t·(aM² + bM + d)·CV·√((P/P′)(1 + 2/P′)/Q) / F, ``t`` two-sided at the
  confidence level with P − c degrees of freedom (§4.3.2.4.2), ``M`` reporting months,
  ``Q`` reporting periods, ``F`` savings / baseline-predicted; so the absolute
  uncertainty is ΔU = t·(aM² + bM + d)·CV·√(…)·U_baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .rules import Guideline14, fsu_coefficients

FloatArray = NDArray[np.float64]


def _weights(y: FloatArray, weights: FloatArray | None) -> FloatArray:
    return np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)


def r_squared(y: FloatArray, predicted: FloatArray, weights: FloatArray | None = None) -> float:
    """1 − SSR/SST, weighted by ``weights`` when given (NaN when SST is 0)."""
    w = _weights(y, weights)
    mean = float(np.sum(w * y) / np.sum(w))
    sst = float(np.sum(w * (y - mean) ** 2))
    ssr = float(np.sum(w * (y - predicted) ** 2))
    return 1.0 - ssr / sst if sst > 0 else math.nan


def adjusted_r_squared(r2: float, n: int, c: int) -> float:
    """1 − (1 − R²)(n − 1)/(n − c − 1); NaN without degrees of freedom."""
    if n - c - 1 <= 0 or math.isnan(r2):
        return math.nan
    return 1.0 - (1.0 - r2) * (n - 1) / (n - c - 1)


def cv_rmse(y: FloatArray, predicted: FloatArray, c: int) -> float:
    """√(SSR/(P − c)) / Ū (CalTRACK 2.0 §4.3.2.2)."""
    n = len(y)
    mean = float(np.mean(y)) if n else math.nan
    if n - c <= 0 or mean == 0 or math.isnan(mean):
        return math.nan
    return math.sqrt(float(np.sum((y - predicted) ** 2)) / (n - c)) / mean


def nmbe(y: FloatArray, predicted: FloatArray) -> float:
    """Σ(U − Û) / (P·Ū) (as OpenEEmeter; positive: the model under-predicts)."""
    total = float(np.sum(y))
    return float(np.sum(y - predicted)) / total if total else math.nan


def lag1_autocorrelation(residuals: FloatArray) -> float:
    """The lag-1 autocorrelation of ``residuals`` (time order); 0 for fewer than 3."""
    r = np.asarray(residuals, dtype=np.float64)
    if len(r) < 3:
        return 0.0
    centred = r - r.mean()
    denominator = float(np.sum(centred**2))
    return float(np.sum(centred[1:] * centred[:-1]) / denominator) if denominator else 0.0


def effective_n(n: int, rho: float) -> float:
    """P′ = P(1 − ρ₁)/(1 + ρ₁), ρ₁ below 0 taken as 0."""
    rho = min(max(rho, 0.0), 0.999999)
    return n * (1.0 - rho) / (1.0 + rho)


# --- Student's t quantile (numpy/stdlib only: core imports no scipy) -----------------

def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularised incomplete beta (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                    -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, dof: float) -> float:
    """P(T ≤ t) for Student's t with ``dof`` degrees of freedom."""
    tail = 0.5 * incomplete_beta(dof / 2.0, 0.5, dof / (dof + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, dof: float) -> float:
    """The ``p`` quantile of Student's t (bisection to 1e-10)."""
    low, high = -1e3, 1e3
    for _ in range(200):
        mid = 0.5 * (low + high)
        if t_cdf(mid, dof) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-10:
            break
    return 0.5 * (low + high)


def t_two_sided(confidence: float, dof: float) -> float:
    """t for a two-sided interval at ``confidence`` (1.645… for 90 % and many dof)."""
    return t_quantile(0.5 + confidence / 2.0, max(dof, 1.0))


@dataclass(frozen=True)
class ModelMetrics:
    """The baseline model's fit on its own data and the Guideline 14 check."""

    n: int                  # P: baseline periods used in the fit
    c: int                  # explanatory variables, intercept not counted
    r_squared: float
    r_squared_adj: float
    cv_rmse: float
    nmbe: float
    rho1: float
    n_effective: float      # P′
    t: float                # two-sided t at ``confidence`` with P − c dof
    confidence: float
    g14: Guideline14

    @property
    def cv_rmse_ok(self) -> bool:
        return not math.isnan(self.cv_rmse) and self.cv_rmse <= self.g14.cv_rmse

    @property
    def nmbe_ok(self) -> bool:
        return not math.isnan(self.nmbe) and abs(self.nmbe) <= self.g14.nmbe


def model_metrics(y: FloatArray, predicted: FloatArray, c: int, g14: Guideline14, *,
                  weights: FloatArray | None = None, confidence: float = 0.9,
                  r2: float | None = None) -> ModelMetrics:
    """Every metric of a baseline fit: ``y`` and ``predicted`` per baseline period in
    time order (use per period); ``r2`` as the fit reported it when given."""
    y = np.asarray(y, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    n = len(y)
    found_r2 = r_squared(y, predicted, weights) if r2 is None else r2
    rho = lag1_autocorrelation(y - predicted)
    return ModelMetrics(
        n=n, c=c, r_squared=found_r2, r_squared_adj=adjusted_r_squared(found_r2, n, c),
        cv_rmse=cv_rmse(y, predicted, c), nmbe=nmbe(y, predicted), rho1=rho,
        n_effective=effective_n(n, rho), t=t_two_sided(confidence, n - c),
        confidence=confidence, g14=g14)


def savings_uncertainty(metrics: ModelMetrics, *, frequency: str, months: float,
                        periods: int, baseline: float) -> float:
    """ΔU, the absolute uncertainty of the savings over ``periods`` reporting periods
    spanning ``months`` months whose adjusted baseline is ``baseline`` (CalTRACK 2.0
    §4.3.2.4; FSU = ΔU / savings). ``frequency``: ``daily`` or ``billing``."""
    if periods <= 0 or metrics.n_effective <= 0 or math.isnan(metrics.cv_rmse):
        return math.nan
    a, b, d = fsu_coefficients(frequency)
    p, p_eff = metrics.n, metrics.n_effective
    factor = math.sqrt((p / p_eff) * (1.0 + 2.0 / p_eff) / periods)
    return metrics.t * (a * months**2 + b * months + d) * metrics.cv_rmse * factor * abs(baseline)


def fsu(delta: float, savings: float) -> float:
    """Fractional savings uncertainty ΔU / U_save (NaN without savings)."""
    return abs(delta / savings) if savings else math.nan
