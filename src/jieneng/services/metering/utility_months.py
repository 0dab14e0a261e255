"""The calendar-month figures of institutions from their utility accounts (issue 12
§5) and the per-region rule that makes them (``docs/utility-files.md``).

- :func:`metered_month_figures` — what statistics (NY201) take from the accounts: daily
  data where the month is complete, else bills split into calendar months;
- :func:`month_rule`, :func:`set_month_rule` — the region's rule (source order and the
  bills' allocation), inherited down the region tree.

The files themselves are imported and queried by :mod:`.utility`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Connection, Engine, select

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.metering.billing import DEFAULT_ALLOCATION, Allocation
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters
from jieneng.storage import regions as region_store
from jieneng.storage import tables as t
from jieneng.storage import utility_data as data

CHINA = ZoneInfo("Asia/Shanghai")
#: the default rule: daily data first, bills split by the days' use where daily data
#: covers the bill (else pro rata by days)
DEFAULT_SOURCE_ORDER = "daily_first"


@dataclass(frozen=True, slots=True)
class MonthRule:
    """How a region's calendar-month figures are made: ``source_order``
    (``daily_first`` | ``bills_first``) and the bill ``allocation``
    (:class:`~jieneng.core.metering.billing.Allocation`); ``region_code`` is where it
    is set (None: the platform default)."""

    source_order: str = DEFAULT_SOURCE_ORDER
    allocation: Allocation = DEFAULT_ALLOCATION
    region_code: str | None = None


MONTH_FIGURES_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "institution_id": pl.Int64,
    "carrier": pl.String,
    "quantity": pl.Float64,
    "cost_yuan": pl.Float64,
    "source": pl.String,
    "source_detail": pl.String,
    "completeness": pl.Float64,
    "accounts": pl.Int64,
}


def metered_month_figures(conn: Connection, institution_ids: list[int] | tuple[int, ...],
                          year: int, month: int) -> pl.DataFrame:
    """The calendar month ``year``-``month`` of each institution, per carrier, from the
    utility accounts bound to it (in the month; an account bound to two institutions
    in the month counts for each over its own days).

    One row per (institution, carrier) that has a bound account in the month — the
    caller has already checked scope; ``institution_ids`` are trusted ids:

    - ``institution_id``, ``carrier`` (a :mod:`jieneng.core.carriers` code:
      ``electricity``, ``water``, ``natural_gas``);
    - ``quantity`` — in the carrier's canonical unit (kWh, m³); null when no account
      has any data for the month (completeness 0), never 0 for missing;
    - ``cost_yuan`` — 元, from the bills apportioned to the month (same shares as the
      quantity); null when no bill touches the month (daily files carry no cost);
    - ``source`` — ``daily`` (every account from its daily file), ``bills`` (every
      account from bills), ``mixed``, or ``none``;
    - ``source_detail`` — e.g. ``daily 2, bills 1, none 0; rule daily_first/daily``
      (accounts per source and the region's rule), for the "来自计量" note;
    - ``completeness`` — share of the accounts' bound days of the month covered by the
      source used (1.0 = complete);
    - ``accounts`` — how many accounts (bindings) contributed.

    Per account, by the institution's region rule (:func:`month_rule`):
    ``daily_first`` takes the sum of the daily file when every bound day of the month
    is present, else the bills, else the partial days; ``bills_first`` takes the bills
    when they cover every bound day, else complete daily data, else partial bills,
    else partial days. Bills are split into calendar months by
    :mod:`jieneng.core.metering.billing`'s rule (``days`` pro rata, ``daily`` by the
    daily file's shares when it covers the whole bill, else by days; ``end_month``
    whole in the month the period ends) — computed set-based here, the same shares
    as :func:`jieneng.core.metering.billing.allocate`.
    """
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    if not institution_ids:
        return pl.DataFrame(schema=MONTH_FIGURES_SCHEMA)
    binds, days, bills = data.month_inputs(conn, list(institution_ids), first, last)
    if binds.height == 0:
        return pl.DataFrame(schema=MONTH_FIGURES_SCHEMA)
    rules = _rules_for(conn, sorted(set(binds["institution_id"].to_list())))
    return _figures(binds, days, bills, rules, first, last)


def _rules_for(conn: Connection, institution_ids: list[int]) -> pl.DataFrame:
    """institution_id → source_order, allocation (its region's rule, inherited)."""
    i = t.institution
    regions = {int(r.id): str(r.region_code).strip() for r in conn.execute(
        select(i.c.id, i.c.region_code).where(i.c.id.in_(institution_ids)))}
    settings = data.month_rules(conn)
    tree = RegionTree(region_store.load_regions(conn)) if settings else None
    rows = []
    for inst, code in regions.items():  # a loop over institutions, not data
        rule = _resolve(settings, tree, code)
        rows.append((inst, rule.source_order, rule.allocation.value))
    return pl.DataFrame(rows, orient="row", schema={
        "institution_id": pl.Int64, "source_order": pl.String, "allocation": pl.String})


def _resolve(settings: dict[str, tuple[str, str]], tree: RegionTree | None,
             region_code: str) -> MonthRule:
    if tree is not None:
        for code in tree.lineage(region_code):
            if code in settings:
                order, allocation = settings[code]
                return MonthRule(order, Allocation(allocation), code)
    return MonthRule()


def _figures(binds: pl.DataFrame, days: pl.DataFrame, bills: pl.DataFrame,
             rules: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """The set-based computation of :func:`metered_month_figures`."""
    one = pl.duration(days=1)
    pieces = (binds.with_row_index("piece").with_columns(
        pl.max_horizontal(pl.col("valid_from"), pl.lit(first)).alias("lo"),
        pl.min_horizontal(pl.col("valid_to").fill_null(pl.lit(date(9999, 12, 31))) - one,
                          pl.lit(last)).alias("hi"))
        .with_columns(((pl.col("hi") - pl.col("lo")).dt.total_days() + 1).alias("span"))
        .filter(pl.col("span") > 0)
        .join(rules, on="institution_id", how="left"))
    # daily data inside each piece
    daily = (pieces.select("piece", "account_id", "lo", "hi")
             .join(days, on="account_id")
             .filter(pl.col("day").is_between(pl.col("lo"), pl.col("hi")))
             .group_by("piece").agg(pl.len().alias("d_days"),
                                    pl.col("quantity").sum().alias("d_qty")))
    shares = _bill_shares(pieces, days, bills)
    out = (pieces.join(daily, on="piece", how="left").join(shares, on="piece", how="left")
           .with_columns(pl.col("d_days").fill_null(0), pl.col("b_days").fill_null(0)))
    d_full = pl.col("d_days") == pl.col("span")
    b_full = pl.col("b_days") >= pl.col("span")
    d_some = pl.col("d_days") > 0
    b_some = pl.col("b_days") > 0
    daily_first = (pl.when(d_full).then(pl.lit("daily")).when(b_some).then(pl.lit("bills"))
                   .when(d_some).then(pl.lit("daily")).otherwise(pl.lit("none")))
    bills_first = (pl.when(b_full).then(pl.lit("bills")).when(d_full).then(pl.lit("daily"))
                   .when(b_some).then(pl.lit("bills")).when(d_some).then(pl.lit("daily"))
                   .otherwise(pl.lit("none")))
    out = out.with_columns(pl.when(pl.col("source_order") == "bills_first").then(bills_first)
                           .otherwise(daily_first).alias("used"))
    out = out.with_columns(
        pl.when(pl.col("used") == "daily").then(pl.col("d_qty"))
        .when(pl.col("used") == "bills").then(pl.col("b_qty")).alias("qty"),
        pl.when(pl.col("used") == "daily").then(pl.col("d_days"))
        .when(pl.col("used") == "bills").then(pl.min_horizontal("b_days", "span"))
        .otherwise(0).alias("covered"))
    grouped = out.group_by("institution_id", "carrier").agg(
        pl.col("qty").sum().alias("quantity"),
        pl.col("qty").is_not_null().any().alias("has"),
        pl.col("b_cost").sum().alias("cost_yuan"),
        pl.col("b_cost").is_not_null().any().alias("has_cost"),
        (pl.col("covered").sum() / pl.col("span").sum()).alias("completeness"),
        pl.len().alias("accounts"),
        (pl.col("used") == "daily").sum().alias("n_daily"),
        (pl.col("used") == "bills").sum().alias("n_bills"),
        (pl.col("used") == "none").sum().alias("n_none"),
        pl.col("source_order").first(), pl.col("allocation").first())
    return grouped.with_columns(
        pl.when(pl.col("has")).then(pl.col("quantity")).alias("quantity"),
        pl.when(pl.col("has_cost")).then(pl.col("cost_yuan")).alias("cost_yuan"),
        pl.when(pl.col("n_none") == pl.col("accounts")).then(pl.lit("none"))
        .when(pl.col("n_daily") + pl.col("n_none") == pl.col("accounts"))
        .then(pl.lit("daily"))
        .when(pl.col("n_bills") + pl.col("n_none") == pl.col("accounts"))
        .then(pl.lit("bills")).otherwise(pl.lit("mixed")).alias("source"),
        pl.format("daily {}, bills {}, none {}; rule {}/{}", "n_daily", "n_bills", "n_none",
                  "source_order", "allocation").alias("source_detail"),
        pl.col("accounts").cast(pl.Int64),
    ).select(list(MONTH_FIGURES_SCHEMA)).sort("institution_id", "carrier")


def _bill_shares(pieces: pl.DataFrame, days: pl.DataFrame, bills: pl.DataFrame
                 ) -> pl.DataFrame:
    """Per piece: the bills' days inside it (``b_days``) and their quantity and cost
    allocated to it (``b_qty``, ``b_cost``) by the piece's allocation rule."""
    if bills.height == 0:
        return pl.DataFrame(schema={"piece": pl.UInt32, "b_days": pl.Int64,
                                    "b_qty": pl.Float64, "b_cost": pl.Float64})
    b = bills.with_columns(((pl.col("period_end") - pl.col("period_start")).dt.total_days()
                            + 1).alias("p_days"))
    # the daily file over each whole bill: complete, and its total
    over = (b.select("account_id", "period_start", "period_end")
            .join(days, on="account_id")
            .filter(pl.col("day").is_between(pl.col("period_start"), pl.col("period_end")))
            .group_by("account_id", "period_start")
            .agg(pl.len().alias("w_days"), pl.col("quantity").sum().alias("w_total")))
    b = b.join(over, on=["account_id", "period_start"], how="left")
    joined = (pieces.select("piece", "account_id", "lo", "hi", "allocation")
              .join(b, on="account_id")
              .with_columns(pl.max_horizontal("lo", "period_start").alias("o_lo"),
                            pl.min_horizontal("hi", "period_end").alias("o_hi"))
              .with_columns(((pl.col("o_hi") - pl.col("o_lo")).dt.total_days() + 1)
                            .alias("o_days"))
              .filter(pl.col("o_days") > 0))
    inside = (joined.select("piece", "account_id", "period_start", "o_lo", "o_hi")
              .join(days, on="account_id")
              .filter(pl.col("day").is_between(pl.col("o_lo"), pl.col("o_hi")))
              .group_by("piece", "period_start")
              .agg(pl.col("quantity").sum().alias("w_part")))
    joined = joined.join(inside, on=["piece", "period_start"], how="left")
    by_days = pl.col("o_days") / pl.col("p_days")
    daily_ok = ((pl.col("w_days") == pl.col("p_days")) & (pl.col("w_total") > 0))
    by_daily = pl.col("w_part").fill_null(0.0) / pl.col("w_total")
    ends_here = pl.col("period_end").is_between(pl.col("lo"), pl.col("hi"))
    share = (pl.when(pl.col("allocation") == Allocation.END_MONTH.value)
             .then(pl.when(ends_here).then(1.0).otherwise(0.0))
             .when((pl.col("allocation") == Allocation.DAILY.value) & daily_ok)
             .then(by_daily).otherwise(by_days))
    covered = (pl.when(pl.col("allocation") == Allocation.END_MONTH.value)
               .then(pl.when(ends_here).then(pl.col("hi") - pl.col("lo")).otherwise(None)
                     .dt.total_days() + 1).otherwise(pl.col("o_days")))
    return (joined.with_columns(share.alias("share"), covered.fill_null(0).alias("cov"))
            .filter((pl.col("cov") > 0) | (pl.col("share") > 0))
            .group_by("piece").agg(
                pl.col("cov").sum().cast(pl.Int64).alias("b_days"),
                (pl.col("quantity") * pl.col("share")).sum().alias("b_qty"),
                pl.when(pl.col("cost_yuan").is_not_null().any())
                .then((pl.col("cost_yuan") * pl.col("share")).sum()).alias("b_cost")))


# ---------------------------------------------------------------- the month rule

def month_rule(engine: Engine, scope: Scope, region_code: str) -> MonthRule:
    """The rule in force for ``region_code`` (its own or inherited, else the default)."""
    with engine.connect() as conn:
        scoped_filters(conn, scope, region_code=region_code)
        tree = RegionTree(region_store.load_regions(conn))
        return _resolve(data.month_rules(conn), tree, region_code)


def set_month_rule(engine: Engine, user: User, region_code: str, *, source_order: str,
                   allocation: str) -> MonthRule:
    """Set the region's rule (capability ``configure_rules``, the region in scope)."""
    require(user, Capability.CONFIGURE_RULES)
    if source_order not in data.SOURCE_ORDERS or allocation not in {a.value for a in Allocation}:
        raise ValidationFailed.of("utility.bad_rule")
    with engine.begin() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        before = data.month_rules(conn).get(region_code)
        data.set_month_rule(conn, region_code, source_order, allocation, user.actor.username)
        audit.record(conn, user.actor, "metering.month_rule", "metering_month_rule",
                     region_code, before=None if before is None else list(before),
                     after=[source_order, allocation])
    return MonthRule(source_order, Allocation(allocation), region_code)
