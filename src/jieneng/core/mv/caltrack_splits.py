"""Daily change-point models split by season × weekday/weekend (OpenEEmeter 4 structure).

CalTRACK 2.0 fits one HDD/CDD model to the whole baseline year (:mod:`.caltrack`).
OpenEEmeter 4 (``opendsm``/``eemeter`` 4.x, ``models/daily``; ``projects-campaigns.md``
§1.4) fits the same continuous change-point shape, but may fit it separately to
groups of days: seasons summer (Jun–Sep), shoulder (Mar–May, Oct), winter (Nov–Feb),
each either for the full week or for weekdays and weekends apart. This module is our
own, vectorised implementation of that structure, written from its documented rules:

1. candidate combinations: for weekdays and for weekends, one of the season
   partitions {all}, {su | sh+wi}, {su+sh | wi}, {su+wi | sh}, {su | sh | wi}; a season
   group chosen for both may be fitted once for the full week;
2. a season may stand alone only if it has ≥ 30 days and its Gaussian ellipse
   (temperature × usage, robust, 1.4 / 0.89 standard deviations) is separated from a
   neighbour's — for weekdays or for weekends — and weekday/weekend only if one season's
   weekday and weekend ellipses are separated; every group needs ≥ 8 weekend days;
3. each group: a continuous change-point model (:func:`.caltrack.fit_daily` on a fine
   balance-point grid inside the group's temperatures, ≥ 6 days beyond each balance
   point, no minimum degree-day total, least squares);
4. the combination with the lowest criterion wins:
   ln 2π + ln(L/N) + 1 + 0.24·K·(ln N)^2.061 / N, with L = RMSE(combination) /
   RMSE(one model for the year), K the number of groups, N the days (BIC with the
   penalty multiplier and power of eemeter 4's settings).

What it does not reproduce: eemeter's smoothed corners, its NLopt DIRECT+SBPLX search
(which does not always reach the least-squares optimum) and the adaptive robust
weights of its final fit; see ``docs/benchmarks.md`` for the parity this gives.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .caltrack import fit_daily, predict_daily
from .caltrack_types import CaltrackFit, CaltrackSettings

Array = NDArray[np.float64]

#: month → season code (eemeter 4 default seasons)
SEASON_OF_MONTH = ("", "wi", "wi", "sh", "sh", "sh", "su", "su", "su", "su", "sh", "wi", "wi")
SEASON_PARTITIONS = (("su_sh_wi",), ("su", "sh_wi"), ("su_sh", "wi"), ("su_wi", "sh"),
                     ("su", "sh", "wi"))
FULL_YEAR = "fw-su_sh_wi"
SPLIT_MIN_DAYS = 30
SEGMENT_MIN_COUNT = 6
PENALTY_MULTIPLIER = 0.24
PENALTY_POWER = 2.061
ELLIPSE_STD = (1.4, 0.89)


@dataclass(frozen=True)
class SplitFit:
    """The chosen combination (components joined by ``__``) and each component's model."""

    combination: str
    components: tuple[tuple[str, CaltrackFit], ...]
    criterion: float
    tried: int


def day_groups(dates: ArrayLike) -> tuple[NDArray[np.str_], NDArray[np.bool_]]:
    """Season code and weekend flag of each ``datetime64[D]`` date."""
    d = np.asarray(dates, dtype="datetime64[D]")
    month = (d.astype("datetime64[M]").astype(np.int64) % 12) + 1
    weekend = ((d.astype(np.int64) + 3) % 7) >= 5  # 1970-01-01 was a Thursday
    return np.asarray(SEASON_OF_MONTH, dtype=str)[month], weekend


def component_mask(component: str, season: NDArray[np.str_],
                   weekend: NDArray[np.bool_]) -> NDArray[np.bool_]:
    day, seasons = component[:2], component[3:].split("_")
    m = np.isin(season, seasons)
    if day == "wd":
        return m & ~weekend
    if day == "we":
        return m & weekend
    return m


def combinations() -> list[str]:
    """Every candidate combination, in eemeter 4's order (shortest name first)."""
    out: dict[tuple[str, ...], str] = {}
    names = []
    for wd, we in itertools.product(SEASON_PARTITIONS, SEASON_PARTITIONS):
        common = [g for g in wd if g in we]
        for r in range(len(common) + 1):
            for merged in itertools.combinations(common, r):
                comps = ([f"fw-{g}" for g in merged] + [f"wd-{g}" for g in wd if g not in merged]
                         + [f"we-{g}" for g in we if g not in merged])
                names.append("__".join(comps))
    for name in sorted(set(names), key=lambda x: (len(x), x)):
        out.setdefault(tuple(sorted(name.split("__"))), name)
    return list(out.values())


def fit_daily_split(temperature_f: ArrayLike, usage_per_day: ArrayLike, dates: ArrayLike, *,
                    fuel: str = "electricity", step_f: float = 0.5) -> SplitFit:
    """Fit every allowed combination's groups and keep the best by the criterion (4.)."""
    t = np.asarray(temperature_f, dtype=np.float64)
    y = np.asarray(usage_per_day, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    season, weekend = day_groups(np.asarray(dates, dtype="datetime64[D]")[ok])
    combos = _allowed(t, y, season, weekend)
    fits: dict[str, tuple[CaltrackFit, float, int]] = {}
    for comp in sorted({c for combo in combos for c in combo.split("__")}):
        m = component_mask(comp, season, weekend)
        fit = _component_fit(t[m], y[m], fuel, step_f)
        resid = y[m] - predict_daily(fit, t[m])
        fits[comp] = (fit, float(np.sum(resid * resid)), int(m.sum()))
    base = np.sqrt(fits[FULL_YEAR][1] / fits[FULL_YEAR][2])
    best: tuple[float, str] | None = None
    for combo in combos:
        parts = combo.split("__")
        sse = sum(fits[c][1] for c in parts)
        n = sum(fits[c][2] for c in parts)
        crit = _criterion(np.sqrt(sse / n) / base if base > 0 else 1.0, n, len(parts))
        if best is None or crit < best[0]:
            best = (crit, combo)
    assert best is not None
    comps = tuple((c, fits[c][0]) for c in best[1].split("__"))
    return SplitFit(best[1], comps, best[0], len(combos))


def predict_daily_split(fit: SplitFit, temperature_f: ArrayLike, dates: ArrayLike) -> Array:
    """Usage per day from the model of the group each day belongs to."""
    t = np.asarray(temperature_f, dtype=np.float64)
    season, weekend = day_groups(dates)
    out = np.full(t.shape, np.nan)
    for comp, model in fit.components:
        m = component_mask(comp, season, weekend)
        out[m] = predict_daily(model, t[m])
    return out


def _component_fit(t: Array, y: Array, fuel: str, step: float) -> CaltrackFit:
    ts = np.sort(t)
    if ts.size == 0:
        return fit_daily(t, y, fuel=fuel)
    k = min(SEGMENT_MIN_COUNT, max(ts.size // 2, 1))
    lo, hi = float(ts[k - 1]), float(ts[-k])
    grid = tuple(float(b) for b in np.arange(np.floor(lo / step) * step, hi + step / 2, step))
    s = CaltrackSettings(balance_points_f=grid or (float(lo),),
                         minimum_non_zero_days=SEGMENT_MIN_COUNT, minimum_total_degree_days=0.0)
    return fit_daily(t, y, fuel=fuel, settings=s)


def _criterion(loss: float, n: int, k: int) -> float:
    if loss <= 0 or n <= 0:
        return float("inf")
    ll2 = n * (np.log(2 * np.pi) + np.log(loss / n) + 1)
    return float((ll2 + PENALTY_MULTIPLIER * k * np.log(n) ** PENALTY_POWER) / n)


def _allowed(t: Array, y: Array, season: NDArray[np.str_], weekend: NDArray[np.bool_]) -> list[str]:
    """Step 2: the combinations the data allow."""
    sep = _separable(t, y, season, weekend)
    for s in ("su", "sh", "wi"):
        if int((season == s).sum()) < SPLIT_MIN_DAYS:
            sep[s] = False
    out = []
    for combo in combinations():
        if combo == FULL_YEAR:
            out.append(combo)
            continue
        if "wd" in combo and not sep["weekday_weekend"]:
            continue
        good = True
        for comp in combo.split("__"):
            seasons = comp[3:].split("_")
            if len(seasons) == 1 and not sep[seasons[0]]:
                good = False
            if int((np.isin(season, seasons) & weekend).sum()) < SPLIT_MIN_DAYS / 3.75:
                good = False
        if good:
            out.append(combo)
    return out


_PAIRS = {
    "su": ((("wd-su", "wd-sh"), ("we-su", "we-sh")), (("wd-su", "wd-wi"), ("we-su", "we-wi"))),
    "sh": ((("wd-su", "wd-sh"), ("we-su", "we-sh")), (("wd-sh", "wd-wi"), ("we-sh", "we-wi"))),
    "wi": ((("wd-sh", "wd-wi"), ("we-sh", "we-wi")), (("wd-su", "wd-wi"), ("we-su", "we-wi"))),
    "weekday_weekend": ((("wd-su", "we-su"), ("wd-sh", "we-sh"), ("wd-wi", "we-wi")),),
}


def _separable(t: Array, y: Array, season: NDArray[np.str_],
               weekend: NDArray[np.bool_]) -> dict[str, bool]:
    """A split is allowed when, in every listed group of pairs, some pair's ellipses are apart."""
    std = np.asarray(ELLIPSE_STD)[:, None]
    scale = std.T * std
    ell = {}
    for s in ("su", "sh", "wi"):
        for key, m in ((f"wd-{s}", (season == s) & ~weekend), (f"we-{s}", (season == s) & weekend)):
            order = np.argsort(t[m], kind="stable")
            ell[key] = robust_ellipse(t[m][order], y[m][order], scale) if m.sum() >= 3 else None
    out = {}
    for key, groups in _PAIRS.items():
        flags = []
        for group in groups:
            apart = False
            for a, b in group:
                ea, eb = ell[a], ell[b]
                if ea is None or eb is None or not ellipses_intersect(ea, eb):
                    apart = True
                    break
            flags.append(apart)
        out[key] = all(flags)
    return out


# ---------------------------------------------------------------- ellipses

Ellipse = tuple[Array, Array]  # (mean, scaled covariance)


def _median5(y: Array) -> Array:
    """Running median of width 5, edges mirrored (scipy.ndimage.median_filter 'reflect')."""
    pad = np.pad(y, 2, mode="symmetric")
    return np.asarray(np.median(np.lib.stride_tricks.sliding_window_view(pad, 5), axis=1))


def _ellipse(x: Array, y: Array, scale: Array) -> tuple[Array, Array, Array, Array]:
    """Mean, covariance × ``scale`` and its axes (eigenvalues, eigenvectors); ``x`` sorted."""
    ym = _median5(y)
    cov = np.cov(x, ym) * scale
    ab2, vec = np.linalg.eigh(cov)
    return np.array([x.mean(), ym.mean()]), cov, np.sqrt(np.maximum(ab2, 0.0)), vec


def robust_ellipse(x: Array, y: Array, scale: Array, outlier_std: float = 3.6,
                   rounds: int = 3) -> Ellipse | None:
    """The ellipse of the points left after up to ``rounds`` passes removing those outside
    the ``outlier_std`` ellipse; None when fewer than 3 distinct points remain."""
    for _ in range(rounds):
        if x.size <= 1 or np.all(x == x[0]) or np.all(y == y[0]):
            break
        mu, _cov, ab, vec = _ellipse(x, y, np.full((2, 2), outlier_std ** 2))
        if ab[0] == 0 or ab[1] == 0:
            break
        rot = np.stack([x - mu[0], y - mu[1]], axis=1) @ vec  # coordinates on the axes
        inside = ((rot / ab) ** 2).sum(axis=1) <= 1
        if inside.sum() < 3 or inside.all():
            break
        x, y = x[inside], y[inside]
    if x.size < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return None
    mu, cov, _ab, _vec = _ellipse(x, y, scale)
    return mu, cov


def ellipses_intersect(a: Ellipse, b: Ellipse) -> bool:
    """Ellipsoid intersection test (Gilitschenski & Hanebeck): K(s) = 1 − Σ v²·s(1−s) /
    (1 + s(λ − 1)) ≥ 0 for the minimum over s ∈ [0, 1], λ the generalised eigenvalues of
    (Σ_a, Σ_b) and v the mean difference on their eigenvectors."""
    cov_a, cov_b = a[1].copy(), b[1].copy()
    cov_a[1, 1] = cov_a[1, 1] or 1e-14
    cov_b[1, 1] = cov_b[1, 1] or 1e-14
    try:
        low = np.linalg.cholesky(cov_b)
    except np.linalg.LinAlgError:
        return True
    inv = np.linalg.inv(low)
    lam, u = np.linalg.eigh(inv @ cov_a @ inv.T)
    v2 = ((inv.T @ u).T @ (a[0] - b[0])) ** 2
    s = np.linspace(0.0, 1.0, 2001)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        k = 1 - np.sum(v2[None, :] * (s * (1 - s)) / (1 + s * (lam[None, :] - 1)), axis=1)
    return bool(np.nanmin(k) >= 0)
