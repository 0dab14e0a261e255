"""Assessment runs: open for (sheet version, region, year), compute the figures, hand
scores with notes, confirm; the result — totals, blocks, items, ★ veto, grade and rank
of every subject (ties share a rank).

Writing needs ``manage_assessments`` for a region inside the caller's scope (its own
subtree); every write is audited and in one transaction. Reading: the assessors
(``manage_assessments``, the run's region inside their scope) read the whole run in
every state; once confirmed, any caller whose scope covers subjects of the run (a
child region, a unit, a department's units) reads it limited to those rows — with
their ranks among all and the run's grade counts, no other subject's scores
(通报-style); anything else is NotFound, as everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.assessments import MEASURE_SOURCES, Sheet, check_hand, score_sheet
from jieneng.core.caller import User
from jieneng.core.campaigns.scheme import RuleKind
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, allows, require
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.services.scope import (
    covered_institutions,
    covered_regions,
    reaching_regions,
    scoped_filters,
)
from jieneng.storage import assessments as store
from jieneng.storage import regions

from . import figures as platform
from .sheets import ensure_shipped, stored_sheet


def open_run(engine: Engine, user: User, *, code: str, region_code: str, year: int,
             version: int | None = None) -> dict[str, Any]:
    """Open (or find) the run of sheet ``code`` (its newest version unless ``version``)
    for ``region_code`` and ``year``, and compute it."""
    require(user, Capability.MANAGE_ASSESSMENTS)
    if not 2000 <= year <= 2100:
        raise ValidationFailed.of("assessment_year_invalid", value=year)
    with engine.begin() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        ensure_shipped(conn, code)
        row = store.sheet_by_code(conn, code, version)
        if row is None:
            raise NotFound.of("assessment_sheet_not_found", code=code)
        existing = store.find_run(conn, int(row.id), region_code, year)
        if existing is not None:
            return {"id": int(existing.id), "created": False}
        run_id = store.add_run(conn, version_id=int(row.id), region_code=region_code,
                               year=year, opened_by=user.username)
        audit.record(conn, user.actor, "assessments.open", "assessment_run", run_id,
                     after={"sheet": code, "version": int(row.version),
                            "region_code": region_code, "year": year})
    compute_run(engine, user, run_id)
    return {"id": run_id, "created": True}


def _open_run(conn: Connection, user: User, run_id: int) -> tuple[Any, Sheet]:
    run = store.run(conn, run_id, lock=True)
    if run is None:
        raise NotFound.of("assessment_run_not_found", run_id=run_id)
    scoped_filters(conn, user.scope, region_code=run.region_code)
    if run.state != "open":
        raise ValidationFailed.of("assessment_run_confirmed", run_id=run_id)
    sheet, _ = stored_sheet(conn, int(run.sheet_version_id))
    return run, sheet


def compute_run(engine: Engine, user: User, run_id: int, *, as_of: date | None = None
                ) -> dict[str, Any]:
    """(Re)compute the figures of an open run from the platform's data."""
    require(user, Capability.MANAGE_ASSESSMENTS)
    with engine.connect() as conn:
        run, sheet = _open_run(conn, user, run_id)
    found = platform.compute(engine, user, sheet, run.region_code, int(run.year), as_of=as_of)
    keys = found.keys()
    subjects = pl.DataFrame(found.subjects, schema={
        "subject_key": pl.Utf8, "position": pl.Int64, "name": pl.Utf8, "region_code": pl.Utf8,
        "category": pl.Utf8})
    figures = pl.concat([pl.DataFrame({"subject_key": keys, "measure": [m] * len(keys),
                                       "value": v}, schema={"subject_key": pl.Utf8,
                                                            "measure": pl.Utf8,
                                                            "value": pl.Float64})
                         .with_columns(pl.col("value").fill_nan(None))
                         for m, v in found.values.items()]) if found.values else pl.DataFrame(
        schema={"subject_key": pl.Utf8, "measure": pl.Utf8, "value": pl.Float64})
    with engine.begin() as conn:
        _open_run(conn, user, run_id)
        store.set_computed(conn, run_id, subjects, figures)
        audit.record(conn, user.actor, "assessments.compute", "assessment_run", run_id,
                     after={"subjects": len(found.subjects),
                            "not_available": [m for m, ok in found.available.items()
                                              if not ok]})
    return {"id": run_id, "subjects": len(found.subjects), "available": found.available}


def score_hand(engine: Engine, user: User, run_id: int,
               scores: list[dict[str, Any]]) -> dict[str, Any]:
    """Store hand scores ``[{"subject_key", "item_code", "score" (text or number; empty
    removes), "note"}]`` — all or nothing: a score that is not a number, over the item's
    maximum, below 0, on a computed item or for a subject not assessed is refused."""
    require(user, Capability.MANAGE_ASSESSMENTS)
    with engine.begin() as conn:
        run, sheet = _open_run(conn, user, run_id)
        names = {s["subject_key"]: s["name"] for s in store.subjects(conn, run_id)}
        label = f"{sheet.code} v{_version(conn, run)}"
        clean = [_checked(sheet, s, names, label) for s in scores]
        store.put_hand_scores(conn, run_id, clean, user.username)
        audit.record(conn, user.actor, "assessments.hand_score", "assessment_run", run_id,
                     after={"scores": [{k: c[k] for k in ("subject_key", "item_code", "score")}
                                       for c in clean]})
    return {"id": run_id, "scores": len(clean)}


def _version(conn: Connection, run: Any) -> int:
    _, row = stored_sheet(conn, int(run.sheet_version_id))
    return int(row.version)


def _checked(sheet: Sheet, given: dict[str, Any], names: dict[str, str],
             label: str) -> dict[str, Any]:
    key, item = str(given["subject_key"]), str(given["item_code"])
    if key not in names:
        raise ValidationFailed.of("assessment_subject_unknown", sheet=label, subject=key)
    text = str(given.get("score") if given.get("score") is not None else "").strip()
    if not text:
        return {"subject_key": key, "item_code": item, "score": None, "note": None}
    try:
        value = float(text)
    except ValueError:
        raise ValidationFailed.of("assessment_hand_not_number", sheet=label,
                                  subject=names[key], item=item, value=text) from None
    check_hand(sheet, item, value, subject=names[key], sheet_name=label)
    note = str(given.get("note") or "").strip()[:2000]
    return {"subject_key": key, "item_code": item, "score": value, "note": note}


def confirm_run(engine: Engine, user: User, run_id: int) -> dict[str, Any]:
    """Confirm an open run: its figures and hand scores no longer change."""
    require(user, Capability.MANAGE_ASSESSMENTS)
    with engine.begin() as conn:
        _open_run(conn, user, run_id)
        store.confirm(conn, run_id, user.username)
        audit.record(conn, user.actor, "assessments.confirm", "assessment_run", run_id)
    return {"id": run_id, "state": "confirmed"}


# ---------------------------------------------------------------- reads

def list_runs(db: Reader, user: User) -> list[dict[str, Any]]:
    """The runs the caller reads, newest first: for an assessing office
    (``manage_assessments``) every run of a region inside its scope; besides, for every
    caller, the confirmed runs of the regions above or at its own (where it may be
    assessed: :func:`result` then shows its own rows). ``view``: ``all`` or ``own``."""
    with reading(db) as conn:
        mine = store.runs(conn, scoped_filters(conn, user.scope)) if allows(
            user, Capability.MANAGE_ASSESSMENTS) else []
        reach = reaching_regions(conn, user.scope)
        above = [r for r in store.runs(conn, Filters(None if reach is None else sorted(reach)))
                 if r["state"] == "confirmed"]
        children = RegionTree(regions.load_regions(conn)).children
        above = [r for r in above if r["subject"] != "region" or covered_regions(
            conn, user.scope, children.get(r["region_code"], ()))]
    seen = {int(r["id"]) for r in mine}
    out = [{**_run_dict(r), "view": "all"} for r in mine]
    out += [{**_run_dict(r), "view": "own"} for r in above if int(r["id"]) not in seen]
    return sorted(out, key=lambda r: (-r["year"], -r["id"]))


def _run_dict(r: dict[str, Any]) -> dict[str, Any]:
    get = r.get
    return {"id": int(r["id"]), "code": get("code"), "version": int(r["version"]),
            "subject": get("subject"), "name_zh": get("name_zh"), "name_en": get("name_en"),
            "region_code": get("region_code"), "year": int(r["year"]),
            "state": get("state"), "opened_by": get("opened_by"),
            "opened_at": _iso(get("opened_at")), "computed_at": _iso(get("computed_at")),
            "confirmed_by": get("confirmed_by"), "confirmed_at": _iso(get("confirmed_at"))}


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def result(db: Reader, user: User, run_id: int, *, page: int | None = None,
           per_page: int = 100, order: str = "rank") -> dict[str, Any]:
    """The run's result: sheet, blocks and items (with where each figure comes from and
    whether it is available), grades with counts over the whole run, one row per
    subject the caller reads (``order``: ``rank`` or ``position``, the subjects' own
    order), all of them or the ``page`` (from 1) of ``per_page``; ``total``: how many
    rows the caller reads."""
    with reading(db) as conn:
        run = store.run(conn, run_id)
        if run is None:
            raise NotFound.of("assessment_run_not_found", run_id=run_id)
        sheet, _ = stored_sheet(conn, int(run.sheet_version_id))
        subjects = store.subjects(conn, run_id)
        shown = None if _assesses(conn, user, run) else _own_subjects(conn, user, run,
                                                                      sheet, subjects)
        figs = store.figures(conn, run_id)
        hands = store.hand_scores(conn, run_id)
        region_name = RegionTree(regions.load_regions(conn)).name(run.region_code)
    window = Window(shown, page, per_page, order)
    out = _result(sheet, run, region_name, subjects, figs, hands, window)
    out["view"] = "all" if shown is None else "own"
    out["run"]["subjects"] = len(subjects)
    return out


@dataclass(frozen=True)
class Window:
    """Which rows a result lists: the subjects the caller reads (None: all), in rank or
    position order, one page (None: all)."""

    shown: set[str] | None = None
    page: int | None = None
    per_page: int = 100
    order: str = "rank"

    def pick(self, keys: list[str], rank: np.ndarray) -> tuple[np.ndarray, int]:
        """The positions to list and how many rows there are over all pages."""
        at = (np.argsort(rank, kind="stable") if self.order == "rank"
              else np.arange(len(keys)))
        if self.shown is not None:
            at = at[np.isin(np.asarray(keys, dtype=object)[at], list(self.shown))]
        total = len(at)
        if self.page is not None:
            at = at[(self.page - 1) * self.per_page:self.page * self.per_page]
        return at, total


def _assesses(conn: Connection, user: User, run: Any) -> bool:
    """Whether the caller is an assessor of the run: ``manage_assessments`` and the
    run's region inside its scope."""
    if not allows(user, Capability.MANAGE_ASSESSMENTS):
        return False
    try:
        scoped_filters(conn, user.scope, region_code=run.region_code)
    except NotFound:
        return False
    return True


def _own_subjects(conn: Connection, user: User, run: Any, sheet: Sheet,
                  subjects: list[dict[str, Any]]) -> set[str]:
    """The subjects of a confirmed run inside the caller's scope (NotFound when the run
    is not confirmed or holds none: a draft stays with the assessors)."""
    if run.state != "confirmed":
        raise NotFound.of("assessment_run_not_found", run_id=int(run.id))
    if sheet.subject == "institution":
        ids = covered_institutions(conn, user.scope, (int(s["subject_key"]) for s in subjects))
        shown = {str(i) for i in ids}
    else:
        shown = covered_regions(conn, user.scope, (s["subject_key"] for s in subjects))
    if not shown:
        raise NotFound.of("assessment_run_not_found", run_id=int(run.id))
    return shown


def _result(sheet: Sheet, run: Any, region_name: str, subjects: list[dict[str, Any]],
            figs: pl.DataFrame, hands: list[dict[str, Any]],
            window: Window | None = None) -> dict[str, Any]:
    keys = [s["subject_key"] for s in subjects]
    at = {k: n for n, k in enumerate(keys)}
    n = len(keys)
    values = _figure_arrays(sheet, keys, figs)
    seen = set(figs["measure"].unique().to_list())
    manual = {c: np.full(n, np.nan) for c in sheet.hand_items()}
    notes: dict[tuple[str, str], dict[str, Any]] = {}
    for h in hands:
        if h["item_code"] in manual and h["subject_key"] in at:
            manual[h["item_code"]][at[h["subject_key"]]] = float(h["score"])
            notes[(h["subject_key"], h["item_code"])] = h
    cats = np.array([s.get("category") or "" for s in subjects], dtype=object)
    out = score_sheet(sheet, size=n, figures=values, manual=manual, categories=cats)
    sc = out.scores
    items = sheet.scheme.items
    pending_cols = [j for j, i in enumerate(items) if i.code in manual]
    pending = (sc.missing[:, pending_cols].sum(axis=1) if pending_cols
               else np.zeros(n, dtype=np.int64))
    rows = []
    win = window or Window()
    listed, total = win.pick(keys, out.rank)
    for p in listed:  # the listed subjects, in presentation order
        s = subjects[int(p)]
        row_items = {}
        for j, item in enumerate(items):
            hand = notes.get((s["subject_key"], item.code))
            row_items[item.code] = {
                "score": float(sc.items[p, j]), "met": bool(sc.met[p, j]),
                "missing": bool(sc.missing[p, j]),
                "figure": _num(values[item.measure][p]) if item.measure in values else None,
                "note": hand["note"] if hand else None,
                "scored_by": hand["scored_by"] if hand else None}
        rows.append({"subject_key": s["subject_key"], "name": s["name"],
                     "region_code": s["region_code"], "rank": int(out.rank[p]),
                     "total": round(float(sc.total[p]), 2), "grade": str(out.grade[p]),
                     "vetoed": bool(out.vetoed[p]),
                     "pending": int(pending[p]),
                     "blocks": {b: round(float(v[p]), 2) for b, v in sc.blocks.items()},
                     "items": row_items})
    grades = sorted(sheet.scheme.grades, key=lambda g: -g.lower)
    counts = {g.code: int((out.grade == g.code).sum()) for g in grades}
    available = {m: (m in seen and not np.all(np.isnan(values[m]))) for m in values}
    return {
        "run": {"id": int(run.id), "region_code": run.region_code, "region_name": region_name,
                "year": int(run.year), "state": run.state, "opened_by": run.opened_by,
                "computed_at": _iso(run.computed_at), "confirmed_by": run.confirmed_by,
                "confirmed_at": _iso(run.confirmed_at)},
        "sheet": {"code": sheet.code, "version": int(run.version), "subject": sheet.subject,
                  "name_zh": sheet.scheme.name_zh, "name_en": sheet.scheme.name_en,
                  "total": sheet.scheme.total, "source": sheet.scheme.source,
                  "status": sheet.scheme.status.value},
        "blocks": [_node(b) for b in sheet.scheme.nodes if b.is_block],
        "items": [{**_node(i), "rule": i.rule.value if i.rule else None,
                   "measure": i.measure or None, "veto": i.veto,
                   "hand": i.rule in (RuleKind.CHECKLIST, RuleKind.INSPECTION),
                   "from": MEASURE_SOURCES.get(i.measure),
                   "available": available.get(i.measure, True) if i.measure else True,
                   "evidence": i.evidence, "source": i.source, "status": i.status.value}
                  for i in items],
        "grades": [{"code": g.code, "name_zh": g.name_zh, "name_en": g.name_en,
                    "lower": g.lower, "count": counts[g.code]} for g in grades],
        "available": available,
        "rows": rows,
        "total": total,
        "page": win.page or 1,
        "per_page": win.per_page if win.page else max(total, 1),
    }


def _figure_arrays(sheet: Sheet, keys: list[str], figs: pl.DataFrame
                   ) -> dict[str, np.ndarray]:
    """Each measure's figures in subject order (NaN: none), by a join — no loop over
    the figures."""
    order = pl.DataFrame({"subject_key": keys}, schema={"subject_key": pl.Utf8})
    out = {}
    for m in sheet.measures():
        part = figs.filter(pl.col("measure") == m).select("subject_key", "value")
        joined = order.join(part, on="subject_key", how="left", maintain_order="left")
        out[m] = joined["value"].fill_null(np.nan).to_numpy().astype(np.float64)
    return out


def _node(n: Any) -> dict[str, Any]:
    return {"code": n.code, "parent": n.parent, "name_zh": n.name_zh, "name_en": n.name_en,
            "points": n.points}


def _num(value: float) -> float | None:
    return None if not math.isfinite(float(value)) else float(value)
