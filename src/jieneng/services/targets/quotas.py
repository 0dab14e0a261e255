"""Quotas (定额): standards imported from a sheet, assigned to the institutions of a
category in a region, and each institution's position against them.

Rules
- A quota table is imported all-or-nothing (every row error in zh + en, naming
  file, row and column) by an administrator; importing the same standard again
  updates its rows. Audited as ``quota.import``.
- An assignment (quota, region, category) covers the institutions of that
  category — a group code such as ``02`` covers 021…026 — in the region's
  subtree. For one institution and indicator the **nearest** assignment wins
  (its own region before its city, before its province); at one region a leaf
  category before its group. Administrators assign anywhere; a 管理机构 user
  inside its own subtree. Audited as ``quota.assign`` / ``quota.unassign``.
- Position (:func:`jieneng.core.targets.quota_position`): below the 引导值,
  between, above the 约束值 — for the indicators the platform computes (the
  dashboard's intensities, ratios of the institution's own sums); other
  indicators (非供暖, 电耗) are listed without a value (not computed yet).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from jieneng.core import indicator_registry as registry
from jieneng.core.caller import User
from jieneng.core.categories import categories_under
from jieneng.core.exceptions import ImportRejected, NotFound
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.targets import Quota, nearest_assignments, quota_position
from jieneng.ingest.quotas import INDICATORS, parse_quotas
from jieneng.ingest.reader import DEFAULT_MAX_BYTES
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.services.scope import scoped_filters
from jieneng.services.statistics.publication_figures import institution_intensities
from jieneng.storage import quotas as store
from jieneng.storage import regions

#: Quota indicators the platform computes per institution (dashboard intensities).
COMPUTED: frozenset[str] = frozenset(
    code for code in registry.QUOTA if registry.BY_CODE[code].computed)


def import_table(engine: Engine, user: User, path: Path, *, code: str, title: str,
                 source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Import a standard's quota table (administrators only)."""
    require(user, Capability.IMPORT_QUOTAS)
    parsed = parse_quotas(path, max_bytes=max_bytes)
    if parsed.errors:
        raise ImportRejected.of(
            "quotas.file_has_errors", name=path.name, count=len(parsed.errors),
            issues=parsed.errors,
        )
    with engine.begin() as conn:
        standard_id = store.upsert_standard(conn, code=code.strip(), title=title.strip(),
                                            source=source.strip())
        counts = store.upsert_quotas(conn, standard_id, parsed.frame)
        after = {"standard": code, "file": path.name, "rows": parsed.frame.height,
                 "inserted": counts.inserted, "updated": counts.updated}
        audit.record(conn, user.actor, "quota.import", "quota_standard", standard_id,
                     after=after)
    return {"standard_id": standard_id, **after}


def list_quotas(engine: Engine, standard_id: int | None = None) -> list[dict[str, Any]]:
    """The quota rows (of one standard), with their standard's code and title."""
    with engine.connect() as conn:
        return store.list_quotas(conn, standard_id)


def _check_assigner(engine: Engine, user: User, region_code: str) -> None:
    require(user, Capability.ASSIGN_QUOTAS)
    with engine.connect() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)  # NotFound outside


def assign(engine: Engine, user: User, *, quota_id: int, region_code: str, category: str,
           remove: bool = False) -> None:
    """Assign (or with ``remove`` withdraw) a quota for a category in a region."""
    require(user, Capability.ASSIGN_QUOTAS)
    categories_under(category)  # ValidationFailed for an unknown category
    _check_assigner(engine, user, region_code)
    with engine.begin() as conn:
        if not any(q["id"] == quota_id for q in store.list_quotas(conn)):
            raise NotFound.of("quotas.quota_not_found", quota_id=quota_id)
        key = {"quota_id": quota_id, "region_code": region_code, "category": category}
        if remove:
            if not store.unassign(conn, quota_id, region_code, category):
                raise NotFound.of("quotas.not_assigned")
            audit.record(conn, user.actor, "quota.unassign", "quota", quota_id, before=key)
        elif store.assign(conn, quota_id, region_code, category):
            audit.record(conn, user.actor, "quota.assign", "quota", quota_id, after=key)


def _applicable(assignments: list[dict[str, Any]], tree: RegionTree, region_code: str,
                category: str) -> dict[str, dict[str, Any]]:
    """indicator → the nearest assignment's quota for an institution."""
    groups = {str(a["category"]): categories_under(str(a["category"])) for a in assignments}
    found = nearest_assignments(assignments, tree.lineage(region_code), category, groups)
    return {indicator: dict(a) for indicator, a in found.items()}


def positions(db: Reader, user: User, *, region_code: str, year: int,
              default_factor_set: str | None = None) -> dict[str, Any]:
    """Each institution of the region with an assigned quota: per indicator its value,
    the quota levels and its position; and the counts per position. ``db``: an engine,
    or the connection of a caller's snapshot (the 通报); one connection either way."""
    with reading(db) as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        tree = RegionTree(regions.load_regions(conn))
        assigned = store.assignments(conn)
        rows = (institution_intensities(conn, user.scope, region_code=region_code,
                                        year=year, default_factor_set=default_factor_set)
                if assigned else [])  # no quota assigned anywhere: nothing to read
    items: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for row in rows:
        for indicator, q in sorted(_applicable(assigned, tree, row["region_code"],
                                               row["category"]).items()):
            value = row.get(indicator) if indicator in COMPUTED else None
            position = None
            if value is not None:
                position = quota_position(value, Quota(q["constraint_value"],
                                                       q["benchmark_value"], q["guide_value"]))
                counts[position.value] += 1
            items.append({
                "institution_id": row["institution_id"], "credit_code": row["credit_code"],
                "name": row["name"], "region_code": row["region_code"],
                "category": row["category"], "indicator": indicator,
                "indicator_name": INDICATORS.get(indicator, (indicator, ""))[0],
                "value": value, "computed": indicator in COMPUTED,
                "constraint_value": q["constraint_value"],
                "benchmark_value": q["benchmark_value"], "guide_value": q["guide_value"],
                "unit": q["unit"], "quota_id": q["id"],
                "position": None if position is None else position.value,
                "position_zh": None if position is None else position.label("zh"),
                "position_en": None if position is None else position.label("en"),
            })
    return {"region": {"code": region_code, "name": tree.name(region_code)}, "year": year,
            "counts": dict(counts), "items": items}
