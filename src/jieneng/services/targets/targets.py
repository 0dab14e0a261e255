"""Dual-control targets (双控目标) of regions: set by hand, decomposed from a parent's
cap with a preview, and locked per year.

Rules
- **Caps** (``energy_tce`` [tce], ``water_m3`` [m³], ``co2_t`` [t]) are amounts;
  **reductions** (the four intensities) are fractions against a base year
  (0.011 = −1.1 %), as in the seeds (淄博 2024: −0.9 %, −1.2 %, −1.2 %, −1.4 %).
- Who writes: an administrator anywhere; a 管理机构 user (region, region_admin)
  for the regions strictly below its own (a city sets and decomposes its
  counties' targets, not its own). Others get NotPermitted; a region outside the
  caller's scope is NotFound, as everywhere (:mod:`jieneng.services.scope`).
- **Decomposition** (:func:`preview` / :func:`decompose`): the parent's cap for the
  year is split among its direct child regions in proportion to their base-year
  consumption of the metric, each (child, category) cell weighted by an optional
  per-category factor, then by an optional per-child factor, with manual
  overrides (:func:`jieneng.core.targets.decompose`: Σ ≤ cap exactly, monotonic,
  excess of overrides named). The institutions registered at the parent itself
  (本级, e.g. 桂林市（本级）) are one more child, keyed by the parent's own code: they
  get their share in proportion to their base like the child regions (a factor or an
  override under that code too); saving stores the child regions' caps as targets
  and the 本级 share in meta ``target_own:<region>:<year>:<metric>`` (a region's own
  units have no region of their own to hold a target).
- **Locked years**: ``target_lock:<region>:<year>`` in meta locks the targets of
  the region's subtree for that year; a change needs :func:`reopen` first. Lock,
  reopen, every set and every decomposition are audited in their transaction.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core import indicator_registry as registry
from jieneng.core.caller import User
from jieneng.core.exceptions import (
    Conflict,
    ImportRejected,
    NotFound,
    NotPermitted,
    ValidationFailed,
)
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.targets import Quota, quota_target
from jieneng.core.targets import decompose as split
from jieneng.ingest.reader import DEFAULT_MAX_BYTES
from jieneng.ingest.targets import parse_targets
from jieneng.services.accounts import audit
from jieneng.services.scope import Filters, scoped_filters
from jieneng.services.statistics.overview import child_category_figures
from jieneng.services.targets import quotas
from jieneng.storage import meta, regions
from jieneng.storage import targets as store

#: Capped totals and intensities to reduce, from the indicator registry.
CAP_METRICS: tuple[str, ...] = registry.CAP_METRICS
REDUCTION_METRICS: tuple[str, ...] = registry.REDUCTION_METRICS
LOCK_PREFIX = "target_lock:"


def _tree(conn: Connection) -> RegionTree:
    return RegionTree(regions.load_regions(conn))


def _check_writer(conn: Connection, user: User, region_code: str) -> RegionTree:
    """``set_targets``, then the region relation: a 管理机构 sets the targets of the
    regions below its own (a 系统管理员 any)."""
    require(user, Capability.SET_TARGETS)
    scoped_filters(conn, user.scope, region_code=region_code)  # NotFound outside scope
    tree = _tree(conn)
    if user.is_admin:
        return tree
    own = user.region_code
    if own is None or region_code == own or region_code not in tree.subtree(own):
        raise NotPermitted.of("targets.office_above_only", region_code=region_code)
    return tree


def _lock_key(region_code: str, year: int) -> str:
    return f"{LOCK_PREFIX}{region_code}:{year}"


def locked_by(conn: Connection, tree: RegionTree, region_code: str, year: int) -> str | None:
    """The region (itself or an ancestor) whose lock covers ``year``, or None."""
    for code in tree.lineage(region_code):
        if meta.get_meta(conn, _lock_key(code, year)) is not None:
            return code
    return None


def _refuse_locked(conn: Connection, tree: RegionTree, region_code: str, year: int) -> None:
    by = locked_by(conn, tree, region_code, year)
    if by is not None:
        raise Conflict.of(
            "targets.locked", region_name=tree.name(by), locked_by=by, year=year,
        )


def _validate(metric: str, value: float, base_year: int | None, year: int
              ) -> tuple[str, int | None]:
    if metric in CAP_METRICS:
        if not math.isfinite(value) or value < 0:
            raise ValidationFailed.of("targets.invalid_cap", value=value)
        return "cap", None
    if metric in REDUCTION_METRICS:
        if not math.isfinite(value) or not -1 < value < 1:
            raise ValidationFailed.of("targets.invalid_reduction", value=value)
        base = base_year if base_year is not None else year - 1
        if base >= year:
            raise ValidationFailed.of("targets.base_year_not_before", base=base, year=year)
        return "reduction", base
    known = ", ".join((*CAP_METRICS, *REDUCTION_METRICS))
    raise ValidationFailed.of("targets.unknown_metric", metric=metric, known=known)


def _as_dict(row: store.TargetRow, tree: RegionTree) -> dict[str, Any]:
    return {"id": row.id, "region_code": row.region_code,
            "region_name": tree.name(row.region_code), "institution_id": row.institution_id,
            "year": row.year, "metric": row.metric, "kind": row.kind, "value": row.value,
            "base_year": row.base_year, "source": row.source, "parent_id": row.parent_id,
            "set_at": row.set_at.isoformat() if row.set_at else None}


def set_target(engine: Engine, user: User, *, region_code: str, year: int, metric: str,
               value: float, base_year: int | None = None) -> dict[str, Any]:
    """Set (or replace) a region's target; audited as ``target.set``."""
    kind, base = _validate(metric, float(value), base_year, year)
    with engine.begin() as conn:
        tree = _check_writer(conn, user, region_code)
        _refuse_locked(conn, tree, region_code, year)
        old = store.find_target(conn, region_code=region_code, institution_id=None, year=year,
                                metric=metric)
        new = store.put_target(conn, region_code=region_code, institution_id=None, year=year,
                               metric=metric, kind=kind, value=float(value), base_year=base,
                               source="manual", parent_id=None, set_by=user.id,
                               at=datetime.now(UTC))
        audit.record(conn, user.actor, "target.set", "target", f"{region_code}:{year}:{metric}",
                     before=None if old is None else _as_dict(old, tree),
                     after=_as_dict(new, tree))
        return _as_dict(new, tree)


def import_targets(engine: Engine, user: User, path: Path, *,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Import a targets sheet (:mod:`jieneng.ingest.targets`), all-or-nothing: every
    row error in zh + en, then every region checked as :func:`set_target` does
    (writer, lock) before anything is written; audited as ``target.import``."""
    require(user, Capability.SET_TARGETS)
    parsed = parse_targets(path, max_bytes=max_bytes)
    if parsed.errors:
        raise ImportRejected.of(
            "targets.file_has_errors", name=path.name, count=len(parsed.errors),
            issues=parsed.errors,
        )
    rows = parsed.frame.to_dicts()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for region_code in sorted({r["region_code"] for r in rows}):
            tree = _check_writer(conn, user, region_code)
        for row in rows:
            kind, base = _validate(row["metric"], float(row["value"]), row["base_year"],
                                   int(row["year"]))
            _refuse_locked(conn, tree, row["region_code"], int(row["year"]))
            store.put_target(conn, region_code=row["region_code"], institution_id=None,
                             year=int(row["year"]), metric=row["metric"], kind=kind,
                             value=float(row["value"]), base_year=base, source="import",
                             parent_id=None, set_by=user.id, at=now)
        audit.record(conn, user.actor, "target.import", "target", None,
                     after={"file": path.name, "rows": len(rows)})
    return {"file": path.name, "rows": len(rows)}


def list_for(engine: Engine, user: User, *, region_code: str, year: int) -> dict[str, Any]:
    """The targets of a region and its direct children for a year, and the lock."""
    with engine.connect() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        tree = _tree(conn)
        codes = [region_code, *tree.children.get(region_code, ())]
        rows = store.list_targets(conn, Filters(region_codes=codes), year=year,
                                  institution_ids=[])
        return {"region": {"code": region_code, "name": tree.name(region_code)}, "year": year,
                "locked_by": locked_by(conn, tree, region_code, year),
                "items": [_as_dict(r, tree) for r in rows],
                # the decomposition's children, 本级 first (one factor input each)
                "children": [{"code": c, "name": tree.group_name(region_code, c),
                              "own_level": c == region_code}
                             for c in [region_code, *sorted(tree.children.get(region_code, ()))]]
                if tree.children.get(region_code) else [],
                "own_level": {m: share for m in CAP_METRICS
                              if (share := own_level_share(conn, region_code, year, m))
                              is not None}}


def _bases(engine: Engine, user: User, region_code: str, base_year: int, metric: str,
           category_factors: Mapping[str, float]) -> tuple[dict[str, float], float]:
    """Base-year consumption of the metric per child region (category-weighted), and
    the parent's own level (本级)."""
    cells = child_category_figures(engine, user.scope, region_code=region_code,
                                   year=base_year)
    bases: dict[str, float] = {}
    own = 0.0
    for (child, category), figures in cells.items():
        value = float(figures.get(metric) or 0.0) * float(category_factors.get(category, 1.0))
        if child == region_code:
            own += value
        else:
            bases[child] = bases.get(child, 0.0) + value
    return bases, own


def preview(
    engine: Engine, user: User, *, region_code: str, year: int, metric: str,
    base_year: int | None = None, factors: Mapping[str, float] | None = None,
    category_factors: Mapping[str, float] | None = None,
    overrides: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The decomposition of the region's ``metric`` cap for ``year`` among its child
    regions, not saved. NotFound without a parent cap; ValidationFailed for bad
    factors or overrides above the cap (the excess named)."""
    require(user, Capability.SET_TARGETS)
    if metric not in CAP_METRICS:
        raise ValidationFailed.of("targets.only_caps_decompose", metric=metric)
    base = base_year if base_year is not None else year - 1
    with engine.connect() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        tree = _tree(conn)
        parent = store.find_target(conn, region_code=region_code, institution_id=None,
                                   year=year, metric=metric)
    if parent is None:
        raise NotFound.of(
            "targets.no_cap", region_name=tree.name(region_code), year=year, metric=metric,
            region_code=region_code,
        )
    children = tree.children.get(region_code, ())
    if not children:
        raise ValidationFailed.of(
            "targets.no_child_regions", region_name=tree.name(region_code),
            region_code=region_code,
        )
    bases, own = _bases(engine, user, region_code, base, metric, category_factors or {})
    bases = {c: bases.get(c, 0.0) for c in children}
    bases[region_code] = own  # 本级: the parent's own units, one more child
    result = split(Decimal(repr(parent.value)), bases, factors=factors, overrides=overrides)
    return {
        "region": {"code": region_code, "name": tree.name(region_code)}, "year": year,
        "metric": metric, "base_year": base, "parent_cap": float(result.parent_cap),
        "parent_id": parent.id, "own_level_base": own,
        "category_factors": dict(category_factors or {}),
        "allocated": float(result.allocated), "unallocated": float(result.unallocated),
        "children": [
            {"code": a.code, "name": tree.group_name(region_code, a.code), "base": a.base,
             "factor": a.factor, "amount": float(a.amount), "overridden": a.overridden,
             "own_level": a.code == region_code}
            for a in sorted(result.allocations, key=lambda a: (a.code != region_code, a.code))
        ],
    }


def _own_key(region_code: str, year: int, metric: str) -> str:
    return f"target_own:{region_code}:{year}:{metric}"


def own_level_share(conn: Connection, region_code: str, year: int, metric: str
                    ) -> float | None:
    """The 本级 share of the region's ``metric`` cap saved by the last decomposition."""
    value = meta.get_meta(conn, _own_key(region_code, year, metric))
    return None if value is None else float(json.loads(value)["amount"])


def decompose(
    engine: Engine, user: User, *, region_code: str, year: int, metric: str,
    base_year: int | None = None, factors: Mapping[str, float] | None = None,
    category_factors: Mapping[str, float] | None = None,
    overrides: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """:func:`preview`, then save every child's cap (source ``decomposed``) in one
    transaction, audited as ``target.decompose``; refused in a locked year."""
    plan = preview(engine, user, region_code=region_code, year=year, metric=metric,
                   base_year=base_year, factors=factors, category_factors=category_factors,
                   overrides=overrides)
    now = datetime.now(UTC)
    regions_below = [c for c in plan["children"] if not c["own_level"]]
    with engine.begin() as conn:
        tree = _check_writer(conn, user, regions_below[0]["code"])
        _refuse_locked(conn, tree, region_code, year)
        for child in plan["children"]:
            if child["own_level"]:
                meta.set_meta(conn, _own_key(region_code, year, metric), json.dumps(
                    {"amount": child["amount"], "by": user.username,
                     "at": now.isoformat(timespec="seconds")}, ensure_ascii=False))
                continue
            store.put_target(conn, region_code=child["code"], institution_id=None, year=year,
                             metric=metric, kind="cap", value=child["amount"], base_year=None,
                             source="decomposed", parent_id=plan["parent_id"],
                             set_by=user.id, at=now)
        audit.record(conn, user.actor, "target.decompose", "target",
                     f"{region_code}:{year}:{metric}", after=plan)
    return plan


def _check_locker(conn: Connection, user: User, region_code: str) -> RegionTree:
    require(user, Capability.LOCK_TARGETS)
    scoped_filters(conn, user.scope, region_code=region_code)
    return _tree(conn)


def lock(engine: Engine, user: User, *, region_code: str, year: int) -> None:
    """Lock the targets of the region's subtree for ``year`` (audited)."""
    with engine.begin() as conn:
        _check_locker(conn, user, region_code)
        value = json.dumps({"by": user.username, "at": datetime.now(UTC).isoformat()})
        meta.set_meta(conn, _lock_key(region_code, year), value)
        audit.record(conn, user.actor, "target.lock", "region", f"{region_code}:{year}",
                     after={"locked": True})


def reopen(engine: Engine, user: User, *, region_code: str, year: int) -> None:
    """Remove the region's own lock of ``year`` (audited); NotFound if none."""
    with engine.begin() as conn:
        _check_locker(conn, user, region_code)
        key = _lock_key(region_code, year)
        if meta.get_meta(conn, key) is None:
            raise NotFound.of("targets.not_locked", region_code=region_code, year=year)
        meta.delete_meta(conn, key)
        audit.record(conn, user.actor, "target.reopen", "region", f"{region_code}:{year}",
                     before={"locked": True}, after={"locked": False})


# ---------------------------------------------------------------- the quota rule as a method


def quota_method(engine: Engine, user: User, *, region_code: str, year: int,
                 save: bool = False) -> dict[str, Any]:
    """Institution targets for ``year`` by the rule of 《中央和国家机关能源资源消耗定额》
    (:func:`jieneng.core.targets.quota_target`): each institution of the region with
    an assigned quota is placed by its ``year − 1`` value — above the 约束值 −4 %,
    between 基准值 and 约束值 −2 %, between 引导值 and 基准值 hold, below the 引导值 at most
    +2 % and not above it. A preview unless ``save``; saving writes one reduction
    target per institution and indicator (``institution_id`` set, source
    ``decomposed``; a permitted rise is a negative reduction), audited as
    ``target.quota_method``, refused in a locked year."""
    require(user, Capability.SET_TARGETS)
    positions = quotas.positions(engine, user, region_code=region_code, year=year - 1)
    items: list[dict[str, Any]] = []
    for p in positions["items"]:
        if p["value"] is None or p["indicator"] not in REDUCTION_METRICS:
            continue
        level = Quota(p["constraint_value"], p["benchmark_value"], p["guide_value"])
        rule = quota_target(float(p["value"]), level)
        items.append({
            "institution_id": p["institution_id"], "credit_code": p["credit_code"],
            "name": p["name"], "region_code": p["region_code"], "indicator": p["indicator"],
            "base_year": year - 1, "base_value": p["value"], "position": rule.position.value,
            "change": rule.change, "target_value": rule.target,
            # stored as a reduction against the base year (a rise is negative)
            "reduction": (float(p["value"]) - rule.target) / float(p["value"])
            if p["value"] else 0.0,
        })
    result = {"region": positions["region"], "year": year, "items": items, "saved": False}
    if not save:
        return result
    now = datetime.now(UTC)
    with engine.begin() as conn:
        tree = _tree(conn)
        own = None if user.is_admin else user.region_code
        for item in items:
            region = item["region_code"]
            if not user.is_admin and (own is None or region not in tree.subtree(own)):
                raise NotPermitted.of("targets.office_only", region=region)
            _refuse_locked(conn, tree, region, year)
            store.put_target(conn, region_code=region, institution_id=item["institution_id"],
                             year=year, metric=item["indicator"], kind="reduction",
                             value=item["reduction"], base_year=year - 1,
                             source="decomposed", parent_id=None, set_by=user.id, at=now)
        audit.record(conn, user.actor, "target.quota_method", "target", f"{region_code}:{year}",
                     after={"institutions": len({i["institution_id"] for i in items}),
                            "targets": len(items)})
    result["saved"] = True
    return result


def institution_targets(engine: Engine, user: User, *, region_code: str, year: int
                        ) -> list[dict[str, Any]]:
    """The institution-level targets of the region's subtree for a year (scope-checked)."""
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        tree = _tree(conn)
        rows = [r for r in store.list_targets(conn, filters, year=year)
                if r.institution_id is not None]
    return [_as_dict(r, tree) for r in rows]
