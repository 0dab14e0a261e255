"""The demo's metered side through the ordinary services: accounts bound, meters, the
simulated gateway feeding them, readings derived; a catch-up resends nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from jieneng.demo.generate import write_demo_files
from jieneng.services import demo_metering
from jieneng.services.entry.imports import import_file
from jieneng.storage import gateways as g
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_seed_registers_feeds_and_derives(engine: Engine, tmp_path: Path) -> None:
    files = write_demo_files(tmp_path, years=(2025,))
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", files.institutions)
    stored = demo_metering.seed(engine, "450300", since=demo_metering.hours_ago(6))
    meters = _count(engine, m.metering_meter)
    assert meters >= 4 and _count(engine, m.metering_binding) >= 2
    assert stored == _count(engine, r.metering_reading) > 0
    with engine.connect() as conn:
        gateway = conn.execute(select(g.metering_gateway)).one()
        fed = conn.execute(select(func.count()).select_from(g.metering_gateway_meter)).scalar()
        days = conn.execute(select(func.count()).select_from(r.metering_rollup).where(
            r.metering_rollup.c.level == "hour")).scalar()
    assert gateway.code == demo_metering.GATEWAY and fed == meters
    assert days and _count(engine, g.metering_dirty) == 0
    assert demo_metering.seed(engine, "450300") == 0  # once per database
    assert demo_metering.catch_up(engine) == 0 or _count(engine, g.metering_dirty) == 0
