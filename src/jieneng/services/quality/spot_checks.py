"""Spot checks (抽查) of approved reports and the data accuracy rate (数据准确率).

国管节能〔2015〕304号: the offices above county level spot-check at least 5 % of
their institutions every year. The rules here:

- **Population.** A spot check of a region and a year draws from the institutions
  of the region's subtree whose report of that year is approved: when the
  institution has an annual task (年报: ``reporting_period`` kind ``annual``,
  month 0) for the year, that task is ``approved``; when it has none, it has at
  least one monthly task of the year and every one of them is ``approved``.
- **Sample.** :func:`jieneng.core.sampling.draw_sample` — stratified by category,
  ⌈share × n⌉ per category (at least 1), reproducible from the stored ``seed``
  (default share 5 %). One ``spot_check_item`` per sampled institution and
  carrier with the reported annual quantity (``consumption_year``; an institution
  without any figure gets one electricity item with no reported value).
- **Verification.** The office records the verified annual quantity per item
  (audited: ``spot_check.verify``). An institution's report is **accurate** when
  every verified carrier lies within the tolerance (default 5 %, stored on the
  spot check) of the reported value: ``|verified − reported| ≤ tolerance ×
  |reported|`` (a reported 0 or blank must be verified as 0).
- **Accuracy rate** = accurate institutions ÷ verified institutions (those with
  at least one verified carrier), per direct child region of the region asked for
  and in total; None when nothing is verified yet.
- **Who.** Creating a check and recording verified figures: office accounts only
  (系统管理员, or 管理机构 / 管理机构管理员 of the check's region or a region above
  it). Reading: every account, inside its scope — a check is visible when its
  region is (:func:`jieneng.services.scope.scoped_filters`), and only the items of
  institutions inside the scope are shown.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.carriers import carrier
from jieneng.core.categories import category
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.sampling import DEFAULT_SHARE, check_share, draw_sample
from jieneng.core.scope import Scope
from jieneng.services.accounts import audit
from jieneng.services.scope import Filters, scoped_filters
from jieneng.storage import regions
from jieneng.storage import spot_checks as store
from jieneng.storage.spot_checks import ItemRow

DEFAULT_TOLERANCE = 0.05
MIN_YEAR, MAX_YEAR = 1990, 2100
#: relative tolerance → absolute slack for a reported 0
_ZERO = 1e-9


def _require_office(user: User) -> None:
    require(user, Capability.SPOT_CHECK)


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed.of("quality.invalid_year", year=year, field="year")
    return year


def check_tolerance(tolerance: float) -> float:
    if not (math.isfinite(tolerance) and 0 <= tolerance <= 1):
        raise ValidationFailed.of(
            "quality.invalid_tolerance", tolerance=tolerance, field="tolerance",
        )
    return float(tolerance)


def within_tolerance(reported: float | None, verified: float, tolerance: float) -> bool:
    """Is a verified figure within ``tolerance`` (relative) of the reported one?"""
    base = abs(reported or 0.0)
    return abs(verified - (reported or 0.0)) <= tolerance * base + _ZERO


def population(engine: Engine, scope: Scope, *, region_code: str, year: int) -> dict[int, str]:
    """The approved reports a spot check of ``region_code`` and ``year`` draws from."""
    with engine.connect() as conn:
        filters = scoped_filters(conn, scope, region_code=region_code)
        return store.approved_population(conn, filters, year)


def create_spot_check(
    engine: Engine, user: User, *, region_code: str, year: int,
    share: float = DEFAULT_SHARE, tolerance: float = DEFAULT_TOLERANCE,
    seed: int | None = None,
) -> dict[str, Any]:
    """Draw and store a spot check of a region's subtree for a year (audited)."""
    _require_office(user)
    check_year(year)
    check_share(share)
    check_tolerance(tolerance)
    seed = secrets.randbits(62) if seed is None else int(seed)
    with engine.begin() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        members = store.approved_population(conn, filters, year)
        if not members:
            raise ValidationFailed.of(
                "quality.nothing_to_sample", year=year, field="year",
            )
        sample = draw_sample(members, seed=seed, share=share)
        now = datetime.now(UTC)
        check_id = store.insert_spot_check(
            conn, region_code=region_code, year=year, seed=seed, share=share,
            tolerance=tolerance, created_by=user.id, created_at=now)
        quantities = store.annual_quantities(conn, sample, year)
        rows: list[dict[str, Any]] = []
        for institution_id in sample:
            figures: dict[str, float | None] = {"electricity": None}
            figures = dict(quantities.get(institution_id) or figures)
            rows.extend(
                {"spot_check_id": check_id, "institution_id": institution_id,
                 "carrier": code, "category": members[institution_id], "reported": value}
                for code, value in figures.items()
            )
        store.insert_items(conn, rows)
        audit.record(conn, user.actor, "spot_check.create", "spot_check", check_id, after={
            "region_code": region_code, "year": year, "seed": seed, "share": share,
            "tolerance": tolerance, "population": len(members), "sampled": sample,
        })
    return get_spot_check(engine, user.scope, check_id)


def record_verified(
    engine: Engine, user: User, *, spot_check_id: int, institution_id: int, carrier_code: str,
    verified: float | None,
) -> dict[str, Any]:
    """Record (or clear, with None) the verified annual quantity of one item (audited)."""
    _require_office(user)
    if verified is not None and not (math.isfinite(verified) and verified >= 0):
        raise ValidationFailed.of(
            "quality.invalid_verified_value", verified=verified, field="verified",
        )
    with engine.begin() as conn:
        check = _visible_check(conn, user.scope, spot_check_id)
        filters = scoped_filters(conn, user.scope, region_code=check.region_code)
        items = [r for r in store.list_items(conn, [spot_check_id], filters)
                 if r.institution_id == institution_id and r.carrier == carrier_code]
        if not items:
            raise NotFound.of("quality.spot_check_item_not_found")
        before = items[0]
        store.set_verified(
            conn, spot_check_id=spot_check_id, institution_id=institution_id,
            carrier=carrier_code, verified=verified,
            verified_by=None if verified is None else user.id,
            verified_at=None if verified is None else datetime.now(UTC))
        audit.record(conn, user.actor, "spot_check.verify", "spot_check_item",
                     f"{spot_check_id}:{institution_id}:{carrier_code}",
                     before={"verified": before.verified}, after={"verified": verified})
    return get_spot_check(engine, user.scope, spot_check_id)


def _hidden(spot_check_id: int) -> NotFound:
    return NotFound.of("quality.spot_check_not_found", spot_check_id=spot_check_id)


def _visible_check(conn: Connection, scope: Scope, spot_check_id: int) -> store.SpotCheckRow:
    check = store.get_spot_check(conn, spot_check_id)
    if check is None:
        raise _hidden(spot_check_id)
    try:
        scoped_filters(conn, scope, region_code=check.region_code)
    except NotFound:
        raise _hidden(spot_check_id) from None
    return check


# ---------------------------------------------------------------- accuracy


def _institution_verdicts(
    items: Iterable[ItemRow], tolerances: dict[int, float]
) -> dict[int, tuple[str, bool | None]]:
    """institution id → (region code, accurate?) — None when no carrier is verified."""
    out: dict[int, tuple[str, bool | None]] = {}
    for item in items:
        region_code, verdict = out.get(item.institution_id, (item.region_code, None))
        if item.verified is not None:
            ok = within_tolerance(item.reported, item.verified,
                                  tolerances[item.spot_check_id])
            verdict = ok if verdict is None else (verdict and ok)
        out[item.institution_id] = (region_code, verdict)
    return out


def _rate(accurate: int, verified: int) -> float | None:
    return None if verified == 0 else accurate / verified


def accuracy_table(
    items: Sequence[ItemRow], tolerances: dict[int, float], tree: RegionTree, region_code: str
) -> dict[str, Any]:
    """Accuracy per direct child region of ``region_code`` and in total."""
    verdicts = _institution_verdicts(items, tolerances)
    child_of = tree.child_under(region_code)
    groups: dict[str, list[int]] = {}
    for region, verdict in verdicts.values():
        child = child_of.get(region)
        if child is None:
            continue
        counts = groups.setdefault(child, [0, 0, 0])
        counts[0] += 1
        if verdict is not None:
            counts[1] += 1
            counts[2] += int(verdict)

    def row(code: str | None, name: str, counts: Sequence[int]) -> dict[str, Any]:
        return {"region_code": code, "region_name": name, "sampled": counts[0],
                "verified": counts[1], "accurate": counts[2],
                "accuracy_rate": _rate(counts[2], counts[1])}

    rows = [row(code, tree.group_name(region_code, code), groups[code])
            for code in sorted(groups)]
    total = [sum(r[k] for r in rows) for k in ("sampled", "verified", "accurate")]
    return {"regions": rows, "total": row(region_code, tree.name(region_code), total)}


def _item_dict(item: ItemRow, tolerance: float) -> dict[str, Any]:
    c = carrier(item.carrier)
    verdict = (None if item.verified is None
               else within_tolerance(item.reported, item.verified, tolerance))
    deviation = (None if item.verified is None or not item.reported
                 else (item.verified - item.reported) / abs(item.reported))
    return {
        "institution_id": item.institution_id, "credit_code": item.credit_code,
        "name": item.name, "region_code": item.region_code, "category": item.category,
        "category_name": category(item.category).name_zh, "carrier": item.carrier,
        "carrier_name": c.name_zh, "carrier_name_en": c.name_en, "unit": c.unit_zh,
        "reported": item.reported, "verified": item.verified, "deviation": deviation,
        "within_tolerance": verdict,
        "verified_at": item.verified_at.isoformat() if item.verified_at else None,
    }


def _check_dict(check: store.SpotCheckRow, tree: RegionTree) -> dict[str, Any]:
    return {
        "id": check.id, "region_code": check.region_code,
        "region_name": tree.name(check.region_code) if check.region_code in tree else "",
        "year": check.year, "seed": check.seed, "share": check.share,
        "tolerance": check.tolerance, "created_at": check.created_at.isoformat(),
    }


def get_spot_check(engine: Engine, scope: Scope, spot_check_id: int) -> dict[str, Any]:
    """A spot check with its items inside ``scope`` and its accuracy per child region."""
    with engine.connect() as conn:
        check = _visible_check(conn, scope, spot_check_id)
        filters = scoped_filters(conn, scope, region_code=check.region_code)
        items = store.list_items(conn, [check.id], filters)
        tree = RegionTree(regions.load_regions(conn))
    tolerances = {check.id: check.tolerance}
    return {
        **_check_dict(check, tree),
        "institutions": len({i.institution_id for i in items}),
        "items": [_item_dict(i, check.tolerance) for i in items],
        "accuracy": accuracy_table(items, tolerances, tree, check.region_code),
    }


def list_spot_checks(
    engine: Engine, scope: Scope, *, region_code: str | None = None, year: int | None = None
) -> dict[str, Any]:
    """The spot checks visible in ``scope`` (of ``region_code``'s subtree when given)."""
    with engine.connect() as conn:
        wanted = scoped_filters(conn, scope, region_code=region_code) if region_code else Filters()
        tree = RegionTree(regions.load_regions(conn))
        checks: list[store.SpotCheckRow] = []
        for check in store.list_spot_checks(conn, wanted, year=year):
            try:
                scoped_filters(conn, scope, region_code=check.region_code)
            except NotFound:
                continue
            checks.append(check)
        out = []
        for check in checks:
            filters = scoped_filters(conn, scope, region_code=check.region_code)
            items = store.list_items(conn, [check.id], filters)
            accuracy = accuracy_table(items, {check.id: check.tolerance}, tree,
                                      check.region_code)
            out.append({**_check_dict(check, tree), **{
                k: accuracy["total"][k]
                for k in ("sampled", "verified", "accurate", "accuracy_rate")}})
    return {"items": out}


def accuracy_for_region(
    conn: Connection, filters: Filters, tree: RegionTree, region_code: str, year: int
) -> dict[str, Any]:
    """Accuracy of every spot check of ``year`` over the institutions of ``filters``
    (checks of the region, above it or below it alike), per child of ``region_code``."""
    checks = store.list_spot_checks(conn, Filters(), year=year)  # items are scoped below
    items = store.list_items(conn, [c.id for c in checks], filters)
    return {"spot_checks": len({i.spot_check_id for i in items}),
            **accuracy_table(items, {c.id: c.tolerance for c in checks}, tree, region_code)}


__all__ = [
    "DEFAULT_TOLERANCE",
    "accuracy_for_region",
    "accuracy_table",
    "create_spot_check",
    "get_spot_check",
    "list_spot_checks",
    "population",
    "record_verified",
    "within_tolerance",
]
