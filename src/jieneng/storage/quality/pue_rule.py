"""The rule ``datacentre_pue_above`` (a data-centre room's PUE above its target, issue 12
§7) over one chunk of institutions, and :func:`room_pue`, the rooms' PUE of a period
that the rule and the PUE alert (:mod:`jieneng.services.forms_ny.alerts`) share.

PUE as on ``/datacentre/summary`` (:func:`jieneng.services.forms_ny.summaries.room_figures`,
whose logic this repeats in the storage layer, which cannot import services): from the
room's IT and total sub-meters when their month roll-ups cover the period, else from the
NY202 form (240 ÷ 2401); undefined (no finding) when the IT electricity is 0 or unknown.
Targets are the rule's parameters (defaults :data:`jieneng.core.forms_ny.DEFAULT_TARGETS`:
1.3 new, 1.6 existing, with their sources). Set-based: one read of the records, one of
the links and one of the roll-ups per period; a loop over the periods only (≤ 13).

Finding key: ``carrier`` = ``room:<room id>`` (one finding per room and period),
``value`` the PUE, ``expected`` the target, ``params`` the room (code and name) and the
PUE's source (``form`` / ``meter``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection

from jieneng.core.forms_ny import ANNUAL, DEFAULT_TARGETS
from jieneng.core.metering import LOCAL_OFFSET_S
from jieneng.core.quality.config import RuleConfig
from jieneng.core.scope import Filters

from .. import forms_ny as store
from .figure_rules import Chunk
from .model import Out, Period

RULE = "datacentre_pue_above"
#: the finding's ``carrier`` of a room
ROOM_PREFIX = "room:"

ROOM_PUE_SCHEMA = {"institution_id": pl.Int64, "region_code": pl.String,
                   "institution_name": pl.String, "room_id": pl.Int64,
                   "room_code": pl.String, "room_name": pl.String, "room_status": pl.String,
                   "month": pl.Int64, "pue": pl.Float64, "pue_source": pl.String,
                   "target": pl.Float64, "above": pl.Boolean}


def _starts(year: int, month: int) -> list[int]:
    months = range(1, 13) if month == ANNUAL else (month,)
    return [int(datetime(year, m, 1, tzinfo=UTC).timestamp()) - LOCAL_OFFSET_S
            for m in months]


def _metered(conn: Connection, room_ids: list[int], year: int, month: int) -> pl.DataFrame:
    """``room_id, pue_meter`` of the rooms whose IT and total meters cover the period."""
    empty = pl.DataFrame(schema={"room_id": pl.Int64, "pue_meter": pl.Float64})
    links = store.room_meters(conn, room_ids)
    if links.is_empty():
        return empty
    starts = _starts(year, month)
    energy = store.month_energy(conn, links["meter_id"].to_list(), starts)
    per_role = (links.join(energy, on="meter_id", how="inner")
                .group_by("room_id", "role")
                .agg(pl.col("energy").sum(), pl.col("energy").is_not_null().sum().alias("n"))
                .filter(pl.col("n") == len(starts)))
    total = per_role.filter(pl.col("role") == "total").select("room_id", total="energy")
    it = per_role.filter(pl.col("role") == "it").select("room_id", it="energy")
    both = total.join(it, on="room_id", how="inner")
    return both.select("room_id", pl.when(pl.col("it") > 0)
                       .then(pl.col("total") / pl.col("it")).alias("pue_meter"))


def room_pue(conn: Connection, filters: Filters, year: int, month: int,
             targets: Mapping[str, float] | None = None) -> pl.DataFrame:
    """Every room inside ``filters`` with a PUE for ``year``/``month`` (0 = the annual
    report): its PUE, source, target (``targets`` ``new``/``existing``, default
    :data:`DEFAULT_TARGETS`) and whether it is above (:data:`ROOM_PUE_SCHEMA`)."""
    new = (targets or {}).get("new", DEFAULT_TARGETS.new)
    existing = (targets or {}).get("existing", DEFAULT_TARGETS.existing)
    rooms = store.room_ids_in_scope(conn, filters)
    if rooms.is_empty():
        return pl.DataFrame(schema=ROOM_PUE_SCHEMA)
    records = store.current_records(conn, "NY202", filters, year=year, month=month)
    form = records.select("room_id", pl.when(pl.col("elec_it") > 0)
                          .then(pl.col("elec_total") / pl.col("elec_it")).alias("pue_form"))
    meter = _metered(conn, rooms["room_id"].to_list(), year, month)
    df = (rooms.join(form, on="room_id", how="left").join(meter, on="room_id", how="left")
          .with_columns(pl.coalesce("pue_meter", "pue_form").alias("pue"),
                        pl.when(pl.col("pue_meter").is_not_null()).then(pl.lit("meter"))
                        .otherwise(pl.lit("form")).alias("pue_source"),
                        pl.when(pl.col("room_status") == "new").then(pl.lit(new))
                        .otherwise(pl.lit(existing)).alias("target"),
                        pl.lit(month, pl.Int64).alias("month"))
          .filter(pl.col("pue").is_not_null()))
    return df.with_columns((pl.col("pue") > pl.col("target")).alias("above")).select(
        list(ROOM_PUE_SCHEMA))


def pue_rule(conn: Connection, chunk: Chunk, per: Period,
             configs: Mapping[str, RuleConfig], out: Out) -> None:
    """Findings for the rooms of the chunk's institutions whose PUE of the evaluated
    month (or of the annual report and every month, for a year) is above target."""
    cfg = configs.get(RULE)
    if cfg is None or not cfg.enabled or len(chunk.ids) == 0:
        return
    filters = Filters(institution_ids=chunk.ids.tolist())
    targets = {"new": cfg.params["target_new"], "existing": cfg.params["target_existing"]}
    for month in per.months:  # ≤ 13 periods
        df = room_pue(conn, filters, per.year, month, targets).filter(pl.col("above"))
        if df.is_empty():
            continue
        out.add(RULE, cfg, df["institution_id"].to_numpy(), month,
                (ROOM_PREFIX + df["room_id"].cast(pl.String)).to_numpy(),
                df["pue"].to_numpy(), expected=df["target"].to_numpy(),
                params={"room": (df["room_code"] + " " + df["room_name"]).to_numpy(),
                        "pue_source": df["pue_source"].to_numpy()})
