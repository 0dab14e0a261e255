"""Rooms with their PUE, the region's weighted PUE, rooms above their target, and
the heating summary — one computation for the page, the JSON twin and the export.

PUE of a room (:func:`jieneng.core.forms_ny.pue`): from its bound sub-meters when it
has an ``it`` and a ``total`` meter whose month roll-ups (``metering_rollup``, level
'month') cover the period (every month of the year for the annual report), else from
the form (240 ÷ 2401); ``pue_source`` says which (``meter`` / ``form``; null when
undefined). The region's PUE is Σ total ÷ Σ IT over the rooms whose PUE is defined,
each with the same figures its own PUE used. A room is above target when its PUE
exceeds the target of its status (:class:`jieneng.core.forms_ny.PueTargets`).

Heating energy [kgce] = Σ NY203 quantities × the default factor set's coefficients
(electricity, coal, natural gas, diesel, heat, other energy in tce; water is not
energy); per m² = Σ energy ÷ Σ heated area of the units reporting an area.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, select, true

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.factors.sets import factor_set
from jieneng.core.forms_ny import ANNUAL, DEFAULT_TARGETS, PueTargets
from jieneng.core.metering import LOCAL_OFFSET_S
from jieneng.core.scope import Filters
from jieneng.services.scope import scoped_filters
from jieneng.storage import forms_ny as store
from jieneng.storage import tables as t
from jieneng.storage.scoping import institution_conditions

#: NY203 quantity → the NY201 carrier whose coefficient converts it to kgce
HEATING_CARRIERS = {"electricity": "electricity", "coal": "coal", "natural_gas": "natural_gas",
                    "diesel": "diesel_other", "heat": "heat", "other": "other_energy"}


def check_period(year: int, month: int) -> None:
    if not 2000 <= year <= 2100 or not 0 <= month <= 12:
        raise ValidationFailed.of("forms_ny.bad_period", year=year, month=month)


def month_starts(year: int, month: int) -> list[int]:
    """Epoch seconds of the China-time months of the period (12 for the annual one)."""
    months = range(1, 13) if month == ANNUAL else (month,)
    return [int(datetime(year, m, 1, tzinfo=UTC).timestamp()) - LOCAL_OFFSET_S
            for m in months]


def metered(conn: Connection, room_ids: list[int], year: int, month: int) -> pl.DataFrame:
    """``room_id, meter_total, meter_it`` [kWh] of the rooms whose IT and total meters'
    month roll-ups cover the period (every month present with an energy)."""
    empty = pl.DataFrame(schema={"room_id": pl.Int64, "meter_total": pl.Float64,
                                 "meter_it": pl.Float64})
    links = store.room_meters(conn, room_ids)
    if links.is_empty():
        return empty
    starts = month_starts(year, month)
    energy = store.month_energy(conn, links["meter_id"].to_list(), starts)
    per_role = (links.join(energy, on="meter_id", how="inner")
                .group_by("room_id", "role")
                .agg(pl.col("energy").sum(), pl.col("energy").is_not_null().sum().alias("n")))
    complete = per_role.filter(pl.col("n") == len(starts))
    if complete.is_empty():
        return empty
    wide = complete.pivot(on="role", index="room_id", values="energy")
    for role in ("it", "total"):
        if role not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(role))
    return wide.select("room_id", pl.col("total").alias("meter_total"),
                       pl.col("it").alias("meter_it")).drop_nulls()


def _pue(total: pl.Expr, it: pl.Expr) -> pl.Expr:
    """:func:`jieneng.core.forms_ny.pue`, vectorised: null when IT ≤ 0 or unknown."""
    return pl.when(it > 0).then(total / it).otherwise(None)


def room_figures(conn: Connection, filters: Filters, year: int, month: int,
                 targets: PueTargets = DEFAULT_TARGETS) -> pl.DataFrame:
    """Every NY202 record of the period inside ``filters`` — and every room without
    one whose meters cover the period — with its PUE (form, meter, used), source,
    target and whether it is above."""
    records = store.current_records(conn, "NY202", filters, year=year, month=month)
    rooms = store.room_ids_in_scope(conn, filters)
    meters = metered(conn, rooms["room_id"].to_list(), year, month)
    # a room with metered figures but no record of the period is listed from its meters
    unreported = (rooms.join(meters.select("room_id"), on="room_id", how="semi")
                  .join(records.select("room_id"), on="room_id", how="anti")
                  .with_columns(pl.lit(year, pl.Int64).alias("year"),
                                pl.lit(month, pl.Int64).alias("month")))
    records = pl.concat([records, unreported.select(
        c for c in records.columns if c in unreported.columns)], how="diagonal_relaxed")
    df = records.join(meters, on="room_id", how="left")
    by_meter = pl.col("meter_total").is_not_null() & (pl.col("meter_it") > 0)
    df = df.with_columns(
        _pue(pl.col("elec_total"), pl.col("elec_it")).alias("pue_form"),
        _pue(pl.col("meter_total"), pl.col("meter_it")).alias("pue_meter"),
        pl.when(by_meter).then(pl.col("meter_total")).otherwise(pl.col("elec_total"))
        .alias("total_used"),
        pl.when(by_meter).then(pl.col("meter_it")).otherwise(pl.col("elec_it"))
        .alias("it_used"),
    )
    df = df.with_columns(
        pl.coalesce("pue_meter", "pue_form").alias("pue"),
        pl.when(pl.col("pue_meter").is_not_null()).then(pl.lit("meter"))
        .when(pl.col("pue_form").is_not_null()).then(pl.lit("form"))
        .otherwise(None).alias("pue_source"),
        pl.when(pl.col("room_status") == "new").then(pl.lit(targets.new))
        .otherwise(pl.lit(targets.existing)).alias("target"),
    )
    return df.with_columns((pl.col("pue") > pl.col("target")).fill_null(False)
                           .alias("above"))


def heating_figures(conn: Connection, filters: Filters, year: int,
                    month: int) -> pl.DataFrame:
    """Every NY203 record of the period inside ``filters`` with its energy [kgce] and
    energy per heated m²."""
    df = store.current_records(conn, "NY203", filters, year=year, month=month)
    factors = factor_set()
    energy = pl.sum_horizontal(
        pl.col(q).fill_null(0.0) * (factors.kgce_per_unit(c) or 0.0)
        for q, c in HEATING_CARRIERS.items())
    return df.with_columns(energy.alias("heating_energy")).with_columns(
        pl.when(pl.col("heated_area") > 0).then(pl.col("heating_energy") / pl.col("heated_area"))
        .otherwise(None).alias("energy_per_m2"))


def latest_period(engine: Engine, user: User, *,
                  region_code: str | None = None) -> tuple[int, int] | None:
    """The latest ``(year, month)`` with a current NY202 or NY203 record inside the
    caller's scope (``month`` 0 = the annual report, after the year's months); None
    when nothing is reported — the summary page opens on it."""
    found: list[tuple[int, int]] = []
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code or None)
        for form in ("NY202", "NY203"):  # two forms, one query each
            c = store.record_table(form).c
            i = t.institution
            row = conn.execute(
                select(c.year, c.month).select_from(
                    store.record_table(form).join(i, i.c.id == c.institution_id))
                .where(c.is_current == true(), *institution_conditions(conn, filters))
                .order_by(c.year.desc(), (c.month == 0).desc(), c.month.desc()).limit(1)
            ).first()
            if row is not None:
                found.append((int(row.year), int(row.month)))
    return max(found, key=lambda p: (p[0], p[1] == 0, p[1])) if found else None


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return df.to_dicts()


def summary(engine: Engine, user: User, *, region_code: str | None, year: int, month: int,
            targets: PueTargets = DEFAULT_TARGETS) -> dict[str, Any]:
    """The rooms, the region's totals and PUE, the rooms above target and the heating
    summary of the period, inside the caller's scope (``region_code`` narrows it)."""
    check_period(year, month)
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code or None)
        rooms = room_figures(conn, filters, year, month, targets)
        heating = heating_figures(conn, filters, year, month)
    defined = rooms.filter(pl.col("pue").is_not_null())
    sum_total = float(defined["total_used"].sum()) if defined.height else 0.0
    sum_it = float(defined["it_used"].sum()) if defined.height else 0.0
    with_area = heating.filter(pl.col("heated_area") > 0)
    area = float(with_area["heated_area"].sum()) if with_area.height else 0.0
    energy = float(with_area["heating_energy"].sum()) if with_area.height else 0.0
    return {
        "period": {"year": year, "month": month},
        "region_code": region_code or None,
        "targets": {"new": targets.new, "existing": targets.existing,
                    "source_new": targets.source_new, "source_existing": targets.source_existing},
        "rooms": _rows(rooms.drop("meter_total", "meter_it")),
        "totals": {
            "rooms": rooms.height,
            "elec_total": float(rooms["elec_total"].sum()) if rooms.height else 0.0,
            "elec_it": float(rooms["elec_it"].sum()) if rooms.height else 0.0,
            "pue_rooms": defined.height,
            "pue_total": sum_total, "pue_it": sum_it,
            "pue": sum_total / sum_it if sum_it > 0 else None,
        },
        "above": _rows(rooms.filter(pl.col("above")).drop("meter_total", "meter_it")),
        "heating": {
            "institutions": heating.height,
            "heated_area": float(heating["heated_area"].sum()) if heating.height else 0.0,
            **{k: float(heating[k].sum()) if heating.height else 0.0
               for k in ("area_independent", "area_central_by_area", "area_central_by_heat")},
            "heating_energy": energy,
            "energy_per_m2": energy / area if area > 0 else None,
        },
        "heating_rows": _rows(heating),
    }
