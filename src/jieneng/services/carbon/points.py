"""The carbon-points ledger (碳普惠): bulk import of staff actions from a spreadsheet,
leaderboards per institution (staff) and across the institutions of the caller's scope
(total and per capita), monthly totals, the rules table.

Import: all or nothing (:class:`ImportRejected` with every issue by row and column);
every institution must be one the caller sees; staff are registered on first sight
(pseudonymous code + display name, nothing else); an entry already stored with the same
quantity is skipped (re-importing a file adds nothing), with another quantity refused
(row named); an entry corrected or withdrawn by hand is skipped (the correction stands).
Points and CO₂ per :mod:`jieneng.core.carbon.points` (daily cap; CO₂ per
unit from the platform's factor set of the institution's region and the entry's year
where the rule has one). The rules are those in force (:mod:`.rules`: a local variant
an administrator loaded, else the shipped file); each entry stores their version.
Set-based: polars over the file, one statement per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine, insert, select, tuple_

from jieneng.core.caller import User
from jieneng.core.carbon.points import Rule, RuleSet, score
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.ingest.carbon import PointRows, parse_points
from jieneng.ingest.issues import ImportIssue, rejection
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters, visible_institutions
from jieneng.services.statistics.factor_choice import resolve_factor_set
from jieneng.storage import carbon as store
from jieneng.storage.bulk import bulk_insert

from .rules import active_rules


@dataclass(frozen=True)
class PointsImport:
    """What an import stored (or, dry run, would store)."""

    file: str
    rows: int
    added: int
    skipped: int
    staff_added: int
    points: float
    co2_kg: float
    dry_run: bool
    rule_version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def import_points(engine: Engine, user: User, path: Path, *, dry_run: bool = False,
                  max_bytes: int | None = None, default_factor_set: str | None = None
                  ) -> PointsImport:
    """Store the file's entries, or raise ImportRejected with every issue."""
    require(user, Capability.RECORD_CARBON)
    with engine.connect() as conn:
        version, in_force = active_rules(conn)
    parsed = (parse_points(path, rule_set=in_force) if max_bytes is None
              else parse_points(path, max_bytes=max_bytes, rule_set=in_force))
    if parsed.errors or parsed.frame is None:
        raise rejection(parsed.file, parsed.errors)
    with (engine.connect() if dry_run else engine.begin()) as conn:
        frame = _institutions(conn, user, parsed, parsed.frame)
        frame = _score(conn, frame, default_factor_set, in_force)
        staff_added, frame = _staff(conn, frame, dry_run)
        frame, skipped = _existing(conn, parsed, frame)
        if not dry_run and frame.height:  # COPY on PostgreSQL; recorded_at: the default
            bulk_insert(conn, store.carbon_points_entry, frame.select(
                "staff_id", "institution_id", "entry_date", "action", "quantity", "counted",
                "points", "co2_kg", pl.lit(user.actor.username).alias("recorded_by"),
                pl.lit(version, dtype=pl.Int64).alias("rule_version")))
            audit.record(conn, user.actor, "carbon.points_import", "carbon_points_import",
                         parsed.file, after={"entries": frame.height, "skipped": skipped,
                                             "staff_added": staff_added,
                                             "rule_version": version})
    return PointsImport(parsed.file, parsed.rows_read, frame.height, skipped, staff_added,
                        float(frame["points"].sum() or 0), float(frame["co2_kg"].sum() or 0),
                        dry_run, version)


def _institutions(conn: Connection, user: User, parsed: PointRows, frame: pl.DataFrame
                  ) -> pl.DataFrame:
    found = visible_institutions(conn, user.scope, frame["credit_code"].unique().to_list())
    missing = frame.filter(~pl.col("credit_code").is_in(list(found)))
    if missing.height:
        raise rejection(parsed.file, [
            parsed.issue(int(r["row"]), "credit_code", r["credit_code"], NotFound.of(
                "carbon_institution_not_found", field="credit_code",
                credit_code=str(r["credit_code"])[:20]))
            for r in missing.head(200).iter_rows(named=True)])
    ids = pl.DataFrame({"credit_code": list(found),
                        "institution_id": [found[c].id for c in found],
                        "region_code": [found[c].region_code for c in found]})
    return frame.join(ids, on="credit_code", how="left")


def _score(conn: Connection, frame: pl.DataFrame, default_factor_set: str | None,
           rule_set: RuleSet) -> pl.DataFrame:
    """Counted quantity, points and kgCO₂ of every entry (CO₂ per unit per (region,
    year) from the factor set; a handful of combinations per file)."""
    frame = frame.with_columns(pl.col("entry_date").dt.year().alias("year"))
    sourced = [r for r in rule_set if r.co2_method == "factor_set"]
    keys = frame.select("region_code", "year").unique().rows()
    table = []
    for region, year in keys:
        fs = resolve_factor_set(conn, region, default=default_factor_set)
        for r in sourced:
            value = fs.co2_kg_per_unit(r.carrier, year=year, province_code=region).value
            table.append({"region_code": region, "year": year, "action": r.action,
                          "co2_unit": value})
    per_unit = pl.DataFrame(table, schema={"region_code": pl.String, "year": pl.Int32,
                                           "action": pl.String, "co2_unit": pl.Float64})
    frame = frame.join(per_unit, on=["region_code", "year", "action"], how="left")
    actions = frame["action"].to_numpy().astype(str)
    counted, points, _ = score(actions, frame["quantity"].to_numpy().astype(np.float64), {},
                               rule_set)
    co2 = counted * np.nan_to_num(frame["co2_unit"].to_numpy().astype(np.float64))
    return frame.with_columns(pl.Series("counted", counted), pl.Series("points", points),
                              pl.Series("co2_kg", co2))


def _staff(conn: Connection, frame: pl.DataFrame, dry_run: bool) -> tuple[int, pl.DataFrame]:
    """Register staff not yet known (one statement) and attach ``staff_id``."""
    s = store.carbon_staff
    wanted = frame.group_by("institution_id", "staff_code").agg(
        pl.col("display_name").first())
    pairs = list(wanted.select("institution_id", "staff_code").iter_rows())
    wanted = wanted.with_columns(pl.col("institution_id").cast(pl.Int64))
    new = wanted.join(_ids(_staff_ids(conn, pairs)), on=["institution_id", "staff_code"],
                      how="anti")
    if new.height and not dry_run:
        conn.execute(insert(s), new.to_dicts())
    frame = frame.with_columns(pl.col("institution_id").cast(pl.Int64)).join(
        _ids(_staff_ids(conn, pairs)), on=["institution_id", "staff_code"], how="left")
    return new.height, frame


def _ids(known: dict[tuple[int, str], int]) -> pl.DataFrame:
    return pl.DataFrame({"institution_id": [k[0] for k in known],
                         "staff_code": [k[1] for k in known],
                         "staff_id": list(known.values())},
                        schema={"institution_id": pl.Int64, "staff_code": pl.String,
                                "staff_id": pl.Int64})


def _staff_ids(conn: Connection, pairs: list[tuple[Any, ...]]) -> dict[tuple[int, str], int]:
    s = store.carbon_staff
    out: dict[tuple[int, str], int] = {}
    for start in range(0, len(pairs), 500):
        chunk = pairs[start:start + 500]
        rows = conn.execute(select(s.c.id, s.c.institution_id, s.c.staff_code).where(
            tuple_(s.c.institution_id, s.c.staff_code).in_(chunk)))
        out.update({(int(r.institution_id), str(r.staff_code)): int(r.id) for r in rows})
    return out


def _existing(conn: Connection, parsed: PointRows, frame: pl.DataFrame
              ) -> tuple[pl.DataFrame, int]:
    """Drop entries already stored with the same quantity, or corrected or withdrawn by
    hand (the correction stands); refuse another quantity."""
    p = store.carbon_points_entry
    staff_ids = [int(x) for x in frame["staff_id"].drop_nulls().unique().to_list()]
    if not staff_ids:
        return frame, 0
    dates = frame["entry_date"]
    by_hand = (p.c.corrected_at.is_not(None) | p.c.withdrawn_at.is_not(None)).label("hand")
    rows = conn.execute(select(p.c.staff_id, p.c.entry_date, p.c.action, p.c.quantity,
                               by_hand)
                        .where(p.c.staff_id.in_(staff_ids), p.c.entry_date >= dates.min(),
                               p.c.entry_date <= dates.max())).all()
    if not rows:
        return frame, 0
    stored = pl.DataFrame([tuple(r) for r in rows], orient="row",
                          schema={"staff_id": pl.Int64, "entry_date": pl.Date,
                                  "action": pl.String, "stored": pl.Float64,
                                  "hand": pl.Boolean})
    joined = frame.join(stored, on=["staff_id", "entry_date", "action"], how="left")
    clash = joined.filter(pl.col("stored").is_not_null() & ~pl.col("hand")
                          & ((pl.col("stored") - pl.col("quantity")).abs() > 1e-9))
    if clash.height:
        issues: list[ImportIssue] = [parsed.issue(
            int(r["row"]), "quantity", r["quantity"], ValidationFailed.of(
                "carbon_points_conflict", field="quantity", stored=f"{r['stored']:g}",
                staff=str(r["staff_code"]), day=str(r["entry_date"]),
                action=str(r["action"])))
            for r in clash.head(200).iter_rows(named=True)]
        raise rejection(parsed.file, issues)
    fresh = joined.filter(pl.col("stored").is_null()).drop("stored", "hand")
    return fresh, frame.height - fresh.height


# ------------------------------------------------------------------ reads

def period_bounds(month: str | None, year: int | None) -> tuple[date, date, str]:
    """[start, end] of ``month`` (``YYYY-MM``) or ``year``; refused when malformed."""
    if month:
        try:
            y, m = (int(x) for x in month.split("-"))
            start = date(y, m, 1)
        except ValueError:
            raise ValidationFailed.of("carbon_month_invalid", field="month",
                                      value=month[:10]) from None
        end = date(y + (m == 12), m % 12 + 1, 1).toordinal() - 1
        return start, date.fromordinal(end), month
    y = year or date.today().year
    return date(y, 1, 1), date(y, 12, 31), str(y)


def leaderboards(engine: Engine, user: User, *, region_code: str | None = None,
                 institution_code: str | None = None, month: str | None = None,
                 year: int | None = None, top: int = 20) -> dict[str, Any]:
    """Staff ranking (within one institution when given, else across the scope), the
    institutions of the scope by total and per-capita points, and monthly totals of the
    period's year. Without ``month`` or ``year``: the latest year with entries."""
    with engine.connect() as conn:
        if not month and not year:  # the latest year with entries, else this year
            latest = store.latest_entry_date(conn, scoped_filters(conn, user.scope,
                                                                  region_code=region_code))
            year = latest.year if isinstance(latest, date) else None
        start, end, label = period_bounds(month, year)
        institution_id = None
        if institution_code:
            found = visible_institutions(conn, user.scope, [institution_code])
            row = found.get(institution_code.strip().upper())
            if row is None:
                raise NotFound.of("carbon_institution_not_found", field="institution",
                                  credit_code=institution_code[:20])
            institution_id = row.id
        filters = scoped_filters(conn, user.scope, region_code=region_code,
                                 institution_id=institution_id)
        staff = store.staff_points(conn, filters, start, end)
        units = store.institution_points(conn, filters, start, end)
        months = store.monthly_points(conn, filters, date(start.year, 1, 1),
                                      date(start.year, 12, 31))
    for r in (*staff, *units, *months):  # sums of floats: 4 decimals (no 121.16999…)
        r["points"], r["co2_kg"] = round(float(r["points"]), 4), round(float(r["co2_kg"]), 4)
    for n, r in enumerate(staff, 1):
        r["rank"] = n
    for r in units:
        r["per_capita"] = float(r["points"]) / int(r["staff"]) if r["staff"] else None
    by_total = sorted(units, key=lambda r: (-float(r["points"]), r["credit_code"]))
    for n, r in enumerate(by_total, 1):
        r["rank_total"] = n
    for n, r in enumerate(sorted(units, key=lambda r: -(r["per_capita"] or 0)), 1):
        r["rank_per_capita"] = n
    return {"period": {"label": label, "start": start.isoformat(), "end": end.isoformat()},
            "staff": [{k: v for k, v in r.items() if k != "id"} for r in staff[:top]],
            "staff_total": len(staff), "institutions": by_total, "months": months,
            "totals": {"points": round(sum(float(r["points"]) for r in units), 4),
                       "co2_kg": round(sum(float(r["co2_kg"]) for r in units), 4),
                       "staff": sum(int(r["staff"]) for r in units)}}


def rules_table(lang: str, rule_set: Sequence[Rule]) -> list[dict[str, Any]]:
    """The rules with their sources (the page's table and the API)."""
    return [{**r.to_dict(), "label": r.label_zh if lang != "en" else r.label_en,
             "unit_label": r.unit_zh if lang != "en" else r.unit} for r in rule_set]


def rules_in_force(engine: Engine) -> tuple[int, tuple[Rule, ...]]:
    """(version, rules) in force (:func:`.rules.active_rules`)."""
    with engine.connect() as conn:
        return active_rules(conn)
