"""Scoring a round (issue 14 §3): every member's computed and band items from the
platform's data, the hand items from the scores stored, totals, pass and grade —
set-based: one read of the members, one of the hand scores, the energy section of the
whole population from the statistics
(:func:`jieneng.services.campaigns.figures.energy_figures`: the province's same-type
averages over the 12 months before the evaluation), the flags
(:mod:`jieneng.services.campaigns.flags`), one numpy pass per item
(:func:`jieneng.core.campaigns.scoring.score`), one bulk UPDATE of the members and a
bulk insert of the computed item scores (figure and peer average kept for the
breakdown).

A hand item counts its inspection score if any, else the review score, else the
self-assessment. Speed: a province round of 50,000 members in a few seconds
(bench/bench_round_scoring.py, docs/benchmarks.md).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.campaigns.measures import flags as flag_codes
from jieneng.core.campaigns.rounds import HAND_RULES, HAND_STAGES
from jieneng.core.campaigns.scheme import Basis, RuleKind, Scheme
from jieneng.core.campaigns.scoring import Population, Scores, score, window_before
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.services.scope import scoped_filters
from jieneng.storage import campaign_rounds as store
from jieneng.storage import round_scores

from .assess import computed_rows, items_view
from .figures import energy_figures
from .flags import round_flags
from .round_access import find_member, find_round, now, round_scheme, tree_of
from .rounds import member_dict

#: the figures the statistics give (energy_figures); any other measure is missing
ENERGY_MEASURES = ("energy_per_area_kgce_m2", "energy_per_capita_kgce", "water_per_capita_m3",
                   "energy_tce")


def score_round(engine: Engine, user: User, round_id: int) -> dict[str, Any]:
    """Score every member of the round and store the outcome; returns the counts, the
    window and factor set used and the seconds taken."""
    require(user, Capability.RUN_ROUNDS)
    started = time.perf_counter()
    at = now()
    with engine.begin() as conn:
        row = find_round(conn, user, round_id)
        scoped_filters(conn, user.scope, region_code=row["region_code"])
        scheme = round_scheme(conn, row)
        members = round_scores.member_frame(conn, round_id)
        pop, computed = _population(conn, user, row, scheme, members)
        result = score(scheme, pop)
        totals = _totals(members, result).with_columns(
            _computed_json(scheme, result, pop).alias("computed"))
        round_scores.store_round_scores(conn, totals, at=at)
        store.set_round(conn, round_id, scored_at=at)
        summary = {"round_id": round_id, "members": int(members.height),
                   "passed": int(result.passed.sum()),
                   "with_missing": int((result.missing.sum(axis=1) > 0).sum()),
                   "window": [f"{y}-{m:02d}" for y, m in window_before(
                       int(row["eval_year"]), int(row["eval_month"]))],
                   "factor_set": computed["factor_set"], "figures": computed["figures"]}
        audit.record(conn, user.actor, "campaigns.round_score", "campaign_round", round_id,
                     after={k: summary[k] for k in ("members", "passed", "with_missing")})
    return {**summary, "seconds": round(time.perf_counter() - started, 3)}


def _population(conn: Connection, user: User, row: dict[str, Any], scheme: Scheme,
                members: pl.DataFrame) -> tuple[Population, dict[str, Any]]:
    n = members.height
    ids = members["institution_id"].to_numpy()
    measures = {i.measure for i in scheme.items if i.rule in (RuleKind.COMPUTED, RuleKind.BAND)}
    wanted_flags = (measures | {i.full_if for i in scheme.items if i.full_if}) & flag_codes()
    figures: dict[str, np.ndarray] = {}
    peers: dict[str, np.ndarray] = {}
    factor_set = str(row.get("factor_set") or DEFAULT_FACTOR_SET)
    used: list[str] = []
    if measures & set(ENERGY_MEASURES):
        found = energy_figures(conn, row["region_code"], int(row["eval_year"]),
                               int(row["eval_month"]), factor_set_name=factor_set)
        pos, hit = _positions(found.institution_ids, ids)
        for key in measures & set(ENERGY_MEASURES):
            figures[key] = _take(found.population.figures.get(key), pos, hit)
            peers[key] = _take(found.population.peers.get(key), pos, hit)
            used.append(key)
    flags: dict[str, np.ndarray] = {}
    if wanted_flags:
        last_year = window_before(int(row["eval_year"]), int(row["eval_month"]))[1][0]
        on = date(int(row["eval_year"]), int(row["eval_month"]), 1)
        values = round_flags(conn, user, ids, region_code=row["region_code"],
                             year=last_year, on_date=on, wanted=sorted(wanted_flags))
        for key, value in values.items():
            figures[key] = value
            flags[key] = value == 1.0
            used.append(key)
    pop = Population(n, figures=figures, peers=peers, flags=flags,
                     categories=members["category"].to_numpy().astype(str),
                     manual=_manual(round_scores.hand_score_frame(conn, int(row["id"])),
                                    members, scheme))
    return pop, {"factor_set": factor_set, "figures": sorted(used)}


def _positions(found: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``ids`` sits in ``found`` and whether it is there."""
    order = np.argsort(found, kind="stable")
    ranked = found[order]
    at = np.searchsorted(ranked, ids)
    safe = np.minimum(at, max(ranked.size - 1, 0))
    hit = (at < ranked.size) & (ranked[safe] == ids) if ranked.size else np.zeros(
        ids.size, dtype=bool)
    return order[safe] if ranked.size else safe, hit


def _take(values: np.ndarray | None, pos: np.ndarray, hit: np.ndarray) -> np.ndarray:
    out = np.full(pos.shape[0], np.nan)
    if values is not None and values.size:
        out[hit] = np.asarray(values, dtype=np.float64)[pos[hit]]
    return out


def _manual(frame: pl.DataFrame, members: pl.DataFrame, scheme: Scheme
            ) -> dict[str, np.ndarray]:
    """item code → the final hand score of every member (inspection, else review, else
    self; NaN: none)."""
    n = members.height
    member_ids = members["member_id"].to_numpy()
    out: dict[str, np.ndarray] = {}
    hand = [i.code for i in scheme.items if i.rule in HAND_RULES]
    frame = frame.filter(pl.col("item_code").is_in(hand))
    for code in hand:
        final = np.full(n, np.nan)
        part = frame.filter(pl.col("item_code") == code)
        for stage in HAND_STAGES:  # later stages override earlier ones
            got = part.filter(pl.col("stage") == stage)
            if got.height:
                pos = np.searchsorted(member_ids, got["member_id"].to_numpy())
                final[pos] = got["score"].to_numpy()
        out[code] = final
    return out


def _totals(members: pl.DataFrame, result: Scores) -> pl.DataFrame:
    grades = result.grade_code()
    return pl.DataFrame({
        "member_id": members["member_id"],
        "total": np.round(result.total, 4),
        "passed": result.passed,
        "grade": pl.Series([g or None for g in grades.tolist()], dtype=pl.Utf8),
        "missing": result.missing.sum(axis=1).astype(np.int64),
    })


def _computed_json(scheme: Scheme, result: Scores, pop: Population) -> pl.Series:
    """Each member's computed and band items as JSON ``{item: [score, figure, peer
    average]}`` (null where missing), built column-wise (no loop over members)."""
    parts: list[pl.Expr] = []
    frame: dict[str, Any] = {}
    for j, code in enumerate(result.codes):
        item = scheme.node(code)
        if item.rule not in (RuleKind.COMPUTED, RuleKind.BAND):
            continue
        value = np.asarray(pop.figures.get(item.measure, np.full(pop.size, np.nan)))
        basis = (np.asarray(pop.peers.get(item.measure, np.full(pop.size, np.nan)))
                 if item.basis is Basis.PEER else np.full(pop.size, np.nan))
        k = len(parts)
        frame[f"s{k}"], frame[f"v{k}"], frame[f"b{k}"] = (
            _finite(result.items[:, j]), _finite(value), _finite(basis))
        parts.append(pl.format(f'"{code}":[{{}},{{}},{{}}]', *(
            pl.col(f"{x}{k}").cast(pl.Utf8).fill_null("null") for x in "svb")))
    if not parts:
        return pl.Series([None] * pop.size, dtype=pl.Utf8)
    out = pl.DataFrame(frame).select(pl.concat_str(parts, separator=",").alias("j"))
    return ("{" + out["j"] + "}").alias("computed")


def _finite(x: np.ndarray) -> pl.Series:
    return pl.Series(np.where(np.isfinite(x), x, np.nan)).fill_nan(None)


def member_breakdown(db: Reader, user: User, round_id: int, credit_code: str
                     ) -> dict[str, Any]:
    """One member's score: every item with its points, the score and where it came
    from (self / review / inspection / computed), the figure and peer average of a
    computed item; the total, pass, grade and missing as stored by the last scoring,
    and the window and factor set used."""
    with reading(db) as conn:
        row = find_round(conn, user, round_id)
        member, inst = find_member(conn, user, row, credit_code)
        scheme = round_scheme(conn, row)
        scores = round_scores.member_scores(conn, int(member["id"]))
        tree = tree_of(conn)
    scores += computed_rows(member)
    first, last = window_before(int(row["eval_year"]), int(row["eval_month"]))
    return {
        "round_id": round_id, "scheme_code": scheme.code, "total_points": scheme.total,
        "member": member_dict({**member, **{k: inst[k] for k in (
            "credit_code", "name", "region_code", "category")}}, tree),
        "items": [i for i in items_view(scheme, scores) if not i["block"]],
        "window": [f"{first[0]}-{first[1]:02d}", f"{last[0]}-{last[1]:02d}"],
        "factor_set": row.get("factor_set") or DEFAULT_FACTOR_SET,
        "scored_at": row["scored_at"].isoformat() if row.get("scored_at") else None,
        "peer_group": scheme.param("peer_group"),
    }


__all__ = ["ENERGY_MEASURES", "member_breakdown", "score_round"]
