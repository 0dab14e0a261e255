"""Metered figures into the monthly statistics (issue 12 §5; ``docs/metered-statistics.md``).

For a calendar month and the institutions in scope, each institution's **metered
figure** per carrier [the carrier's canonical NY201 unit] comes from

- its **utility accounts** (户号: daily data and bills, the billing period split into
  calendar months by the region's rule — :func:`account_figures`, the seam to
  :mod:`jieneng.services.metering.utility_months`), or
- its **top-level physical meters**' month roll-ups (:func:`meter_figures`): a meter
  with a parent is a sub-meter of one that is already counted, a virtual meter a
  formula over counted ones — neither is added again. The roll-ups are in the
  carrier's canonical unit already (the derivation applies 倍率 and the register's
  unit, :attr:`jieneng.core.metering.Meter.unit_factor`). A figure whose intervals
  present ÷ expected is below the region's ``min_completeness`` is no figure.

Which one counts when both exist is the region's ``precedence`` (``accounts_first``,
the default: the bill is what the institution pays; or ``meters_first``); the two are
never added. :func:`fill_from_metering` then writes the figures into
``consumption_record`` (source ``meter``) except for institutions whose report of the
month is submitted or approved and keys a 统计员 has overridden with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, select

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIER_CODES, carrier
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.messages import text
from jieneng.core.metering import LOCAL_OFFSET_S
from jieneng.core.permissions import Capability, require
from jieneng.core.quality.model import IMPORT_CHECK_LIMIT
from jieneng.core.regions import RegionTree
from jieneng.core.units import factor_to_canonical
from jieneng.services.accounts import audit
from jieneng.services.metering import utility_months
from jieneng.services.quality import quality
from jieneng.services.scope import scoped_filters
from jieneng.services.workflow.access import LOCKED_STATES
from jieneng.storage import consumption
from jieneng.storage import metered_statistics as store
from jieneng.storage import tables as t
from jieneng.storage.bulk import read_frame
from jieneng.storage.regions import load_regions
from jieneng.storage.scoping import institution_conditions

PRECEDENCES = store.PRECEDENCES


@dataclass(frozen=True, slots=True)
class MonthRule:
    """A region's rule: which source comes first, the least completeness filled."""

    precedence: str = "accounts_first"
    min_completeness: float = 0.95

    def __post_init__(self) -> None:
        if self.precedence not in PRECEDENCES:
            raise ValidationFailed.of("metered.invalid_precedence", precedence=self.precedence,
                                      known=", ".join(PRECEDENCES))
        if not 0.0 <= self.min_completeness <= 1.0:
            raise ValidationFailed.of("metered.invalid_completeness",
                                      value=self.min_completeness)


DEFAULT_RULE = MonthRule()

#: The metered figures of a month (before the period columns are added).
FIGURE_COLUMNS: dict[str, Any] = {
    "institution_id": pl.Int64, "carrier": pl.String, "quantity": pl.Float64,
    "cost_yuan": pl.Float64, "origin": pl.String, "detail": pl.String,
    "completeness": pl.Float64,
}


def month_bounds(year: int, month: int) -> tuple[int, int]:
    """(epoch s of the China-time month start, its length in s)."""
    start = int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - LOCAL_OFFSET_S
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    end = int(datetime(ny, nm, 1, tzinfo=UTC).timestamp()) - LOCAL_OFFSET_S
    return start, end - start


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=FIGURE_COLUMNS)


def meter_figures(conn: Connection, institution_ids: Sequence[int], year: int, month: int
                  ) -> pl.DataFrame:
    """Per institution and carrier, the sum of its top-level physical meters' month
    roll-ups with the completeness (present ÷ expected intervals) and a description."""
    if not institution_ids:
        return _empty()
    start, seconds = month_bounds(year, month)
    rolled = store.meter_month_rollups(conn, institution_ids, start, seconds)
    rolled = rolled.filter(pl.col("energy").is_not_null()
                           & pl.col("carrier").is_in(list(CARRIER_CODES)))
    completeness = (pl.when(pl.col("expected") > 0)
                    .then((pl.col("present") / pl.col("expected")).clip(0.0, 1.0))
                    .otherwise(None))
    out = rolled.with_columns(completeness.alias("completeness"))
    detail = pl.struct(
        pl.col("first"), pl.col("meters"),
        pl.col("completeness").round(4).alias("completeness"),
    ).struct.json_encode()
    return out.select(
        "institution_id", "carrier", pl.col("energy").alias("quantity"),
        pl.lit(None, dtype=pl.Float64).alias("cost_yuan"), pl.lit("meters").alias("origin"),
        detail.alias("detail"), "completeness",
    ).cast(FIGURE_COLUMNS)  # type: ignore[arg-type]


def account_figures(conn: Connection, institution_ids: Sequence[int], year: int, month: int
                    ) -> pl.DataFrame:
    """Per institution and carrier, the month's figure from its utility accounts:
    :func:`jieneng.services.metering.utility_months.metered_month_figures` (the billing periods
    split into calendar months by the region's ``metering_month_rule``), normalised."""
    if not institution_ids:
        return _empty()
    return normalise_account_frame(utility_months.metered_month_figures(conn, list(institution_ids),
                                                                 year, month))


def normalise_account_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """An account source's frame (``institution_id, carrier, quantity`` and optionally
    ``unit`` — converted here to the carrier's canonical unit —, ``cost_yuan``,
    ``source`` (``daily`` / ``bills`` / ``mixed``), ``accounts`` (how many),
    ``completeness``) in :data:`FIGURE_COLUMNS`; a null quantity is no figure."""
    if frame.height == 0:
        return _empty()
    frame = frame.filter(pl.col("carrier").is_in(list(CARRIER_CODES))
                         & pl.col("quantity").is_not_null())
    if "unit" in frame.columns:
        pairs = frame.select("carrier", "unit").unique().drop_nulls()
        factors = pl.DataFrame(
            {"carrier": pairs["carrier"], "unit": pairs["unit"],
             "factor": [factor_to_canonical(carrier(c), u)  # one per distinct (carrier, unit)
                        for c, u in pairs.iter_rows()]},
            schema={"carrier": pl.String, "unit": pl.String, "factor": pl.Float64})
        frame = frame.join(factors, on=["carrier", "unit"], how="left").with_columns(
            (pl.col("quantity") * pl.col("factor").fill_null(1.0)).alias("quantity"))

    def optional(name: str, dtype: Any) -> pl.Expr:
        return (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)

    frame = frame.with_columns(optional("cost_yuan", pl.Float64), optional("source", pl.String),
                               optional("accounts", pl.Int64),
                               optional("completeness", pl.Float64))
    detail = pl.struct(pl.col("accounts"), pl.col("source"),
                       pl.col("completeness").round(4)).struct.json_encode()
    return frame.select(
        "institution_id", "carrier", "quantity", "cost_yuan", pl.lit("accounts").alias("origin"),
        detail.alias("detail"), "completeness",
    ).cast(FIGURE_COLUMNS)  # type: ignore[arg-type]


def rules_for(conn: Connection, region_codes: Sequence[str]) -> dict[str, MonthRule]:
    """Each region's effective rule: its own setting, else its nearest ancestor's,
    else :data:`DEFAULT_RULE`."""
    stored = {code: MonthRule(p, c) for code, (p, c) in store.rules(conn).items()}
    tree = RegionTree(load_regions(conn))
    out: dict[str, MonthRule] = {}
    for code in region_codes:  # a loop over the distinct regions of the scope
        found = DEFAULT_RULE
        for node in tree.lineage(code) or [code]:
            if node in stored:
                found = stored[node]
                break
        out[code] = found
    return out


def combine(accounts: pl.DataFrame, meters: pl.DataFrame, places: pl.DataFrame,
            rules: Mapping[str, MonthRule]) -> pl.DataFrame:
    """One figure per (institution, carrier): the first source of the institution's
    region rule that has one (never the sum); figures below the rule's least
    completeness dropped (meters: intervals present ÷ expected; accounts: the share of
    their bound days covered). ``places``: ``institution_id, region_code``."""
    rule_frame = pl.DataFrame(
        {"region_code": list(rules),
         "meters_first": [r.precedence == "meters_first" for r in rules.values()],
         "min_completeness": [r.min_completeness for r in rules.values()]},
        schema={"region_code": pl.String, "meters_first": pl.Boolean,
                "min_completeness": pl.Float64})
    per_inst = places.join(rule_frame, on="region_code", how="left").select(
        "institution_id", pl.col("meters_first").fill_null(False),
        pl.col("min_completeness").fill_null(DEFAULT_RULE.min_completeness))
    both = pl.concat([accounts, meters], how="vertical").join(per_inst, on="institution_id")
    both = both.filter(pl.col("completeness").fill_null(1.0) >= pl.col("min_completeness"))
    rank = pl.when((pl.col("origin") == "meters") == pl.col("meters_first")).then(0).otherwise(1)
    return (both.with_columns(rank.alias("_rank"))
            .sort("institution_id", "carrier", "_rank")
            .unique(["institution_id", "carrier"], keep="first", maintain_order=True)
            .select(list(FIGURE_COLUMNS)))


def _places(conn: Connection, filters: Any) -> pl.DataFrame:
    i = t.institution
    return read_frame(conn, select(i.c.id, i.c.region_code).where(
        *institution_conditions(conn, filters), i.c.status == "active").order_by(i.c.id),
        {"institution_id": pl.Int64, "region_code": pl.String})


def metered_figures(conn: Connection, places: pl.DataFrame, year: int, month: int
                    ) -> pl.DataFrame:
    """The month's metered figures of ``places`` (``institution_id, region_code``)."""
    ids = places["institution_id"].to_list()
    rules = rules_for(conn, places["region_code"].unique().to_list())
    return combine(account_figures(conn, ids, year, month),
                   meter_figures(conn, ids, year, month), places, rules)


def _check_period(year: int, month: int) -> None:
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise ValidationFailed.of("entry.invalid_period", year=year, month=month)


def fill_from_metering(engine: Engine, user: User, year: int, month: int,
                       region: str | None = None) -> dict[str, Any]:
    """Compute the month's metered figures of the institutions in the caller's scope
    (narrowed to ``region``), keep them (``metered_figure``) and write them into the
    statistics where allowed, in one transaction; set-based; idempotent (an unchanged
    figure adds no revision). Returns counts: ``institutions, figures, written``
    (``inserted, revised, unchanged``), ``locked`` (figures of submitted or approved
    reports left alone), ``overridden`` (keys with an open override left alone)."""
    require(user, Capability.MANAGE_METERING)
    _check_period(year, month)
    with engine.begin() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region)
        places = _places(conn, filters)
        ids = places["institution_id"].to_list()
        figures = metered_figures(conn, places, year, month).with_columns(
            pl.lit(year, dtype=pl.Int32).alias("year"), pl.lit(month, dtype=pl.Int32)
            .alias("month"))
        store.replace_figures(conn, ids, year, month, figures)
        blocked = store.blocked_keys(conn, year, month, LOCKED_STATES)
        whole = blocked.filter(pl.col("carrier").is_null()).select("institution_id").unique()
        keyed = blocked.filter(pl.col("carrier").is_not_null()).unique()
        free = (figures.join(whole, on="institution_id", how="anti")
                .join(keyed, on=["institution_id", "carrier"], how="anti"))
        locked = figures.join(whole, on="institution_id", how="semi").height
        frame = with_current_costs(conn, free, year, month)
        changed = frame.filter(pl.col("changed"))["institution_id"].unique().sort().to_list()
        counts = consumption.write_consumption(conn, frame, source="meter", import_id=None)
        # the findings of what changed, before anyone submits; a bulk fill (more than an
        # import's limit) is left to the region's quality run, as for an import
        if changed and len(changed) <= IMPORT_CHECK_LIMIT:
            quality.check_institutions(conn, changed, year, month)
        result = {
            "year": year, "month": month, "region": region, "institutions": len(ids),
            "figures": figures.height, "from_accounts":
                figures.filter(pl.col("origin") == "accounts").height,
            "from_meters": figures.filter(pl.col("origin") == "meters").height,
            "inserted": counts.inserted, "revised": counts.revised,
            "unchanged": counts.unchanged, "locked": locked,
            "overridden": figures.height - free.height - locked,
        }
        audit.record(conn, user.actor, "consumption.metered_fill", "consumption",
                     f"{region or '*'}/{year}-{month:02d}", after=result)
    return result


def with_current_costs(conn: Connection, free: pl.DataFrame, year: int, month: int
                        ) -> pl.DataFrame:
    """The figures to write: a figure without a cost keeps the current record's cost
    (a meter measures no money), so an unchanged quantity stays unchanged; ``changed``:
    it differs from the current record (or there is none)."""
    if free.height == 0:
        return free.select("institution_id", "year", "month", "carrier", "quantity",
                           "cost_yuan", pl.lit(False).alias("changed"))
    cr = t.consumption_record
    ids = store.stage_institutions(conn, free["institution_id"].unique().to_list())
    current = read_frame(conn, select(cr.c.institution_id, cr.c.carrier,
                                      cr.c.cost_yuan.label("current_cost"))
                         .join(ids, ids.c.institution_id == cr.c.institution_id)
                         .add_columns(cr.c.quantity.label("current_quantity"))
                         .where(cr.c.year == year, cr.c.month == month, cr.c.is_current),
                         {"institution_id": pl.Int64, "carrier": pl.String,
                          "current_cost": pl.Float64, "current_quantity": pl.Float64})
    units = pl.DataFrame({"carrier": list(CARRIER_CODES),
                          "entered_unit": [carrier(c).canonical_unit for c in CARRIER_CODES]})
    return (free.join(current, on=["institution_id", "carrier"], how="left")
            .join(units, on="carrier", how="left")
            .with_columns(pl.coalesce("cost_yuan", "current_cost").alias("cost_yuan"),
                          pl.col("quantity").round(6).cast(pl.String).str.replace(r"\.0$", "")
                          .alias("entered_value"))
            .with_columns(pl.col("current_quantity").is_null()
                          .or_(pl.col("current_quantity") != pl.col("quantity")).alias("changed"))
            .select("institution_id", "year", "month", "carrier", "quantity", "cost_yuan",
                    "entered_value", "entered_unit", "changed"))


def describe(origin: str, detail: str, lang: str = "zh-CN") -> str:
    """The source of a metered figure as the form shows it (message catalogue)."""
    values: dict[str, Any] = json.loads(detail or "{}")
    if origin == "meters":
        share = values.get("completeness")
        pct = "—" if share is None else f"{float(share) * 100:.1f} %"
        key = "metered.source.meter" if int(values.get("meters", 1)) == 1 \
            else "metered.source.meters"
        return text(lang, key, first=values.get("first", ""), meters=values.get("meters", 1),
                    completeness=pct)
    share = values.get("completeness")
    pct = "—" if share is None else f"{float(share) * 100:.1f} %"
    basis = text(lang, f"metered.basis.{values.get('source') or 'none'}")
    return text(lang, "metered.source.accounts", accounts=values.get("accounts") or 1,
                basis=basis, completeness=pct)


def set_rule(engine: Engine, user: User, region_code: str, precedence: str,
             min_completeness: float) -> dict[str, Any]:
    """Set a region's rule (an office of the region or above; audited)."""
    require(user, Capability.CONFIGURE_RULES)
    rule = MonthRule(precedence, min_completeness)
    with engine.begin() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        store.set_rule(conn, region_code, rule.precedence, rule.min_completeness,
                       user.username)
        audit.record(conn, user.actor, "metered.rule", "region", region_code,
                     after={"precedence": rule.precedence,
                            "min_completeness": rule.min_completeness})
    return {"region_code": region_code, "precedence": rule.precedence,
            "min_completeness": rule.min_completeness}
