"""services.metering.ingest on both databases: a gateway's batch resolved through its
own meters, stored idempotently, dirty ranges marked; unknown / foreign meters and
unknown / disabled gateways refuse the whole batch; refusals logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, update

from jieneng.core.permissions import Role
from jieneng.services.metering.ingest import (
    ReadingsRefused,
    SentReading,
    log_refusal,
    store_batch,
)
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import gateways as g
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from tests.sample import ORGAN, SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
T0 = 1_764_518_400  # 2025-11-30T16:00:00Z = 2025-12-01 00:00 China time


@pytest.fixture
def world(engine: Engine, files: Files, tmp_path: Path) -> dict[str, int]:
    load(engine, files)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("TOTAL", "电", "01000"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("AC", "电", "01B00", parent="TOTAL"))
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("S1", "电"))
    with engine.begin() as conn:
        meters = dict(conn.execute(select(m.metering_meter.c.number,
                                          m.metering_meter.c.id)).all())
        ids = {}
        for code in ("gw-a", "gw-b"):
            ids[code] = conn.execute(insert(g.metering_gateway).values(
                code=code, protocol="mqtt", region_code="450300", created_by="t",
                created_at=T0).returning(g.metering_gateway.c.id)).scalar_one()
        conn.execute(insert(g.metering_gateway_meter), [
            {"gateway_id": ids["gw-a"], "code": "M-1", "meter_id": meters["TOTAL"]},
            {"gateway_id": ids["gw-a"], "code": "M-2", "meter_id": meters["AC"]},
            {"gateway_id": ids["gw-b"], "code": "S-1", "meter_id": meters["S1"]}])
    return {**ids, **meters}


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_batch_is_stored_once_and_marks_dirty(engine: Engine, world: dict[str, int]) -> None:
    batch = [SentReading("M-1", T0 + 900 * k, 100.0 + k) for k in range(4)]
    batch += [SentReading("M-2", T0 + 900 * k, 10.0 + k) for k in range(4)]
    done = store_batch(engine, "gw-a", batch, batch_id="b1", now=T0 + 4000)
    assert (done.received, done.written, done.meters) == (8, 8, 2)
    again = store_batch(engine, "gw-a", batch, batch_id="b1", now=T0 + 5000)
    assert again.written == 0
    assert _count(engine, r.metering_reading) == 8
    with engine.connect() as conn:
        dirty = conn.execute(select(g.metering_dirty.c.meter_id, g.metering_dirty.c.low,
                                    g.metering_dirty.c.high)).all()
        seen = conn.execute(select(g.metering_gateway.c.last_seen).where(
            g.metering_gateway.c.code == "gw-a")).scalar_one()
    assert {d.meter_id for d in dirty} == {world["TOTAL"], world["AC"]}
    assert all(d.low == T0 - 900 and d.high == T0 + 3 * 900 + 901 for d in dirty)
    assert seen == T0 + 5000


def test_foreign_and_unknown_meters_refuse_the_whole_batch(engine: Engine,
                                                           world: dict[str, int]) -> None:
    with pytest.raises(ReadingsRefused) as err:
        store_batch(engine, "gw-a", [SentReading("M-1", T0, 1.0), SentReading("S-1", T0, 2.0)])
    assert err.value.refusal == "meter_not_gateways" and "S-1" in err.value.message_en
    with pytest.raises(ReadingsRefused) as err:
        store_batch(engine, "gw-a", [SentReading("M-1", T0, 1.0), SentReading("X", T0, 2.0)])
    assert err.value.refusal == "meter_unknown"
    with pytest.raises(ReadingsRefused) as err:
        store_batch(engine, "nobody", [SentReading("M-1", T0, 1.0)])
    assert err.value.refusal == "gateway_unknown"
    with engine.begin() as conn:
        conn.execute(update(g.metering_gateway).where(g.metering_gateway.c.code == "gw-b")
                     .values(status="disabled"))
    with pytest.raises(ReadingsRefused) as err:
        store_batch(engine, "gw-b", [SentReading("S-1", T0, 1.0)])
    assert err.value.refusal == "gateway_disabled"
    assert _count(engine, r.metering_reading) == 0
    log_refusal(engine, "gw-a", "meter_unknown", err.value.message_en, batch_id="b9", readings=2)
    log_refusal(engine, "nobody", "gateway_unknown", "?")
    with engine.connect() as conn:
        logged = conn.execute(select(g.metering_gateway_log)).all()
    assert [(x.gateway_id is None, x.kind) for x in logged] == [
        (False, "meter_unknown"), (True, "gateway_unknown")]
