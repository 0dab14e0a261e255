"""The flags a scheme names (``data/campaigns/measures.csv``) for the members of a round,
computed from what the platform holds — one float array per flag, one position per
institution: 1 = holds, 0 = does not, NaN = the platform has nothing to say (scored
0 and counted as missing, as any missing figure).

- ``water_saving_unit``, ``conservation_organ_title``: a title of 节水型单位 /
  节约型机关 held on the evaluation date (``campaign_title``: held, not expired) → 1,
  none → 0;
- ``intensity_target_met``, ``per_capita_target_met``: the institution's own reduction
  target of the year (per-area / per-capita energy) met by the year's figures
  (:func:`jieneng.services.targets.progress.institution_target_progress`) → 1, not met
  → 0, no such target → NaN;
- ``targets_met``: every institution-level target of the year met → 1, one not → 0,
  none → NaN; ``targets_met_2y``: the same for both years before the evaluation year;
- ``water_target_met``: the platform holds no institution-level water target → NaN
  (the review may score it by hand).

Conventions (the platform's, docs/campaigns.md "Rounds"): the year of the targets is
the last year of the window (the year before the evaluation month, January → the
previous year); a target whose year is not complete counts as met while on track.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Connection

from jieneng.core.caller import User
from jieneng.services.targets.progress import institution_target_progress
from jieneng.storage import title_awards

#: flag → the title whose holders have it
TITLE_FLAGS: dict[str, str] = {"water_saving_unit": "water_saving_unit",
                               "conservation_organ_title": "conservation_organ"}
#: flag → the institution-level target metric it reads
TARGET_FLAGS: dict[str, str] = {"intensity_target_met": "energy_per_area_kgce_m2",
                                "per_capita_target_met": "energy_per_capita_kgce"}
_MET = ("met", "on_track")


def round_flags(conn: Connection, user: User, institution_ids: np.ndarray, *,
                region_code: str, year: int, on_date: date,
                wanted: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """flag → float array over ``institution_ids`` (sorted ascending or not: positions
    follow the array). ``wanted``: the flags to compute (None: all)."""
    ids = np.asarray(institution_ids, dtype=np.int64)
    names = set(wanted) if wanted is not None else (
        set(TITLE_FLAGS) | set(TARGET_FLAGS) | {"targets_met", "targets_met_2y",
                                                "water_target_met"})
    out: dict[str, np.ndarray] = {}
    for flag, scheme in TITLE_FLAGS.items():
        if flag in names:
            held = title_awards.titles_held(conn, scheme, on_date)
            out[flag] = np.isin(ids, np.fromiter(held, dtype=np.int64, count=len(held))
                                ).astype(np.float64)
    if names & (set(TARGET_FLAGS) | {"targets_met", "targets_met_2y"}):
        this = _targets(conn, user, ids, region_code, year)
        for flag, metric in TARGET_FLAGS.items():
            if flag in names:
                out[flag] = this.get(metric, _nan(ids))
        if "targets_met" in names:
            out["targets_met"] = this["*"]
        if "targets_met_2y" in names:
            before = _targets(conn, user, ids, region_code, year - 1)["*"]
            out["targets_met_2y"] = _both(this["*"], before)
    if "water_target_met" in names:
        out["water_target_met"] = _nan(ids)
    return out


def _targets(conn: Connection, user: User, ids: np.ndarray, region_code: str, year: int
             ) -> dict[str, np.ndarray]:
    """metric → met (1/0/NaN) per institution, and ``*`` → all of its targets met."""
    rows = institution_target_progress(conn, user, region_code=region_code, year=year)
    out: dict[str, np.ndarray] = {"*": _nan(ids)}
    if not rows:
        return out
    by_metric: dict[str, list[tuple[int, float]]] = {}
    for r in rows:  # the year's institution-level targets: a few per institution
        by_metric.setdefault(str(r["metric"]), []).append(
            (int(r["institution_id"]), 1.0 if r["status"] in _MET else 0.0))
    for metric, pairs in by_metric.items():
        out[metric] = _spread(ids, pairs)
        out["*"] = _all(out["*"], out[metric])
    return out


def _spread(ids: np.ndarray, pairs: list[tuple[int, float]]) -> np.ndarray:
    """The values of ``pairs`` (institution id, 0/1; several per id: all must be 1) at
    the positions of ``ids``; NaN elsewhere."""
    got = np.array([p[0] for p in pairs], dtype=np.int64)
    val = np.array([p[1] for p in pairs], dtype=np.float64)
    order = np.argsort(got, kind="stable")
    uniq, start = np.unique(got[order], return_index=True)
    worst = np.minimum.reduceat(val[order], start) if uniq.size else val
    pos = np.searchsorted(uniq, ids)
    hit = (pos < uniq.size) & (uniq[np.minimum(pos, max(uniq.size - 1, 0))] == ids)
    out = _nan(ids)
    out[hit] = worst[pos[hit]]
    return out


def _all(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Both conditions: NaN + x = x; 0 wins."""
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, np.minimum(a, b)))


def _both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Both years known and met → 1; either not met → 0; otherwise NaN."""
    out = np.where((a == 0) | (b == 0), 0.0, np.nan)
    return np.where((a == 1) & (b == 1), 1.0, out)


def _nan(ids: np.ndarray) -> np.ndarray:
    return np.full(ids.shape[0], np.nan)


def flag_names() -> tuple[str, ...]:
    return (*TITLE_FLAGS, *TARGET_FLAGS, "targets_met", "targets_met_2y", "water_target_met")


__all__: list[Any] = ["TARGET_FLAGS", "TITLE_FLAGS", "flag_names", "round_flags"]
