"""A trusteeship project over the sample 阳朔县 school with constructed data: two years of
daily temperatures at a station serving 450321, NY201 electricity months made by a
known heating/cooling law — 2024 the baseline, 2025 at 80 % of it (20 % savings) —
with costs at 0.80 元/kWh (2024) and 0.85 元/kWh (2025), and a contract."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, insert

from jieneng.core.permissions import Role
from jieneng.storage import projects as p
from jieneng.storage import weather
from jieneng.storage.consumption import write_consumption
from tests.sample import SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
OFFICE = user(Role.REGION, "450321", uid=2)
FIRST, LAST = date(2024, 1, 1), date(2025, 12, 31)
SAVED = 0.2


def temperatures_c() -> tuple[np.ndarray, np.ndarray]:
    days = np.arange(np.datetime64(FIRST), np.datetime64(LAST) + 1)
    doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
    celsius = 18.0 - 12.0 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    return days, celsius


def month_usage() -> pl.DataFrame:
    """kWh per month: Σ over its days of 1500 + 60·HDD(60 °F) + 90·CDD(70 °F)."""
    days, celsius = temperatures_c()
    f = celsius * 1.8 + 32
    daily = 1500 + 60 * np.maximum(60 - f, 0) + 90 * np.maximum(f - 70, 0)
    months = days.astype("datetime64[M]")
    frame = pl.DataFrame({"m": months.astype(np.int64), "kwh": daily}).group_by("m").agg(
        pl.col("kwh").sum()).sort("m")
    year = frame["m"] // 12 + 1970
    return frame.with_columns(year=year, month=frame["m"] % 12 + 1)


def build(engine: Engine, files: Files, *, subtype: str = "trusteeship",
          code: str = "P-T") -> dict[str, Any]:
    ids = load(engine, files)
    school = ids[SCHOOL]
    usage = month_usage()
    actual = usage.with_columns(
        quantity=pl.when(pl.col("year") == 2025).then(pl.col("kwh") * (1 - SAVED))
        .otherwise(pl.col("kwh")))
    consumption = actual.select(
        pl.lit(school).alias("institution_id"), pl.col("year").cast(pl.Int64),
        pl.col("month").cast(pl.Int64), pl.lit("electricity").alias("carrier"),
        pl.col("quantity"),
        (pl.col("quantity") * pl.when(pl.col("year") == 2025).then(0.85).otherwise(0.80))
        .alias("cost_yuan"))
    days, celsius = temperatures_c()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        write_consumption(conn, consumption, source="manual", import_id=None)
        sid, _ = weather.upsert_station(conn, "59431", "桂林", None, None)
        weather.serve_regions(conn, sid, ["450300"])
        weather.write_days(conn, sid, pl.DataFrame(
            {"day": days.astype("datetime64[D]").tolist(), "temperature_c": celsius,
             "source": ["daily"] * len(days), "coverage": [1.0] * len(days),
             "hours": [None] * len(days)},
            schema={"day": pl.Date, "temperature_c": pl.Float64, "source": pl.String,
                    "coverage": pl.Float64, "hours": pl.Int16}), None)
        pid = conn.execute(insert(p.project).values(
            code=code, name="阳朔一中能源托管", type="epc", subtype=subtype,
            region_code="450321", state="monitoring", year=2024, esco_name="某节能公司",
            created_by="test", created_at=now, updated_at=now).returning(p.project.c.id)
        ).scalar_one()
        conn.execute(insert(p.project_owner).values(project_id=pid, institution_id=school,
                                                    position=0))
        conn.execute(insert(p.project_contract).values(
            project_id=pid, term_start=date(2025, 1, 1), term_end=date(2030, 1, 1),
            base_start=date(2024, 1, 1), base_end=date(2025, 1, 1), price_mode="base_year",
            sharing_ratio=0.7, guaranteed_rate=0.25, guaranteed_tce=None,
            created_by="test"))
        doc = conn.execute(insert(p.project_document).values(
            project_id=pid, title="新增机房的竣工验收单", kind="evidence", file_name="a.pdf",
            sha256="0" * 64, size_bytes=3, content=b"pdf", uploaded_by="test"
        ).returning(p.project_document.c.id)).scalar_one()
    return {"school": school, "project_id": pid, "document_id": doc, "code": code,
            "usage": usage}


def bind_meter(engine: Engine, made: dict[str, Any]) -> int:
    """A school meter in the project's boundary with day roll-ups of the same law per
    day (2025 at 80 %) — as the metering feature derives them (China-time days)."""
    from jieneng.storage import metering
    from jieneng.storage.meter_readings import metering_rollup

    days, celsius = temperatures_c()
    f = celsius * 1.8 + 32
    daily = 1500 + 60 * np.maximum(60 - f, 0) + 90 * np.maximum(f - 70, 0)
    daily = np.where(days >= np.datetime64("2025-01-01"), daily * (1 - SAVED), daily)
    starts = days.astype(np.int64) * 86_400 - 8 * 3600
    with engine.begin() as conn:
        meter_id = conn.execute(insert(metering.metering_meter).values(
            institution_id=made["school"], number="M-1", carrier="electricity",
            register="cumulative", unit="kWh").returning(metering.metering_meter.c.id)
        ).scalar_one()
        conn.execute(insert(p.project_boundary).values(
            project_id=made["project_id"], kind="meter", institution_id=made["school"],
            meter_id=meter_id, created_by="test"))
        conn.execute(insert(metering_rollup), [
            {"meter_id": meter_id, "level": "day", "start": int(s), "energy": float(e),
             "present": 96, "expected": 96, "flags": 0}
            for s, e in zip(starts, daily, strict=True)])
    return int(meter_id)
