"""services.metering.manual on both databases: a manual reading stored with its dirty
range and audit entry and derived like any other; before install, not after the last
reading, lower than the last without confirmation, removed meters and the capability
refused with clear messages; a crash before the commit of a derivation loses nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.services.metering import derive
from jieneng.services.metering.manual import last_readings, record_reading
from jieneng.services.metering.registry import MeterSpec, add_meter, remove_meter
from jieneng.storage import gateways as g
from jieneng.storage import meter_readings as r
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
NOW = 1_764_604_800  # 2025-12-02 00:00 China time


@pytest.fixture
def ids(engine: Engine, files: Files, tmp_path: Path) -> dict[str, int]:
    found = load(engine, files)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("W1", "水", installed_at=datetime(2025, 11, 1),
                                              initial=100.0))
    return found


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_reading_is_stored_dirty_audited_and_derived(engine: Engine,
                                                    ids: dict[str, int]) -> None:
    own = user(Role.INSTITUTION, institution_id=ids[ORGAN], uid=7)
    audits = _count(engine, t.audit_log)
    record_reading(engine, own, ORGAN, "W1", datetime(2025, 11, 30, 9, 0), 130.0, now=NOW)
    record_reading(engine, own, ORGAN, "W1", datetime(2025, 12, 1, 9, 0), 142.5, now=NOW)
    assert _count(engine, r.metering_reading) == 2 and _count(engine, g.metering_dirty) == 2
    assert _count(engine, t.audit_log) == audits + 2
    assert last_readings(engine, own, ORGAN)["W1"] == {"time": "2025-12-01 09:00",
                                                       "value": 142.5}
    done = derive.derive_all_pending(engine)
    assert done.meters == 1 and _count(engine, g.metering_dirty) == 0
    with engine.connect() as conn:
        total = conn.execute(select(func.sum(r.metering_interval.c.energy))).scalar_one()
    assert total == pytest.approx(42.5)  # from the install's 100 to 142.5


def test_refusals_are_clear(engine: Engine, ids: dict[str, int]) -> None:
    record_reading(engine, ADMIN, ORGAN, "W1", datetime(2025, 11, 30, 9, 0), 130.0, now=NOW)
    cases = [
        (datetime(2025, 10, 1), 120.0, "metering.manual.before_install", "2025-11-01 00:00"),
        (datetime(2025, 11, 30, 9, 0), 131.0, "metering.manual.not_after_last",
         "2025-11-30 09:00"),
        (datetime(2025, 12, 1, 9, 0), 12.0, "metering.manual.lower_than_previous", "130"),
        (datetime(2025, 12, 1, 9, 0), -1.0, "metering.manual.bad_value", "-1"),
        (datetime(2026, 1, 1), 200.0, "metering.manual.in_future", "2026-01-01"),
    ]
    for at, value, code, shown in cases:
        with pytest.raises(ValidationFailed) as err:
            record_reading(engine, ADMIN, ORGAN, "W1", at, value, now=NOW)
        assert err.value.code == code and shown in err.value.message_zh, code
    confirmed = record_reading(engine, ADMIN, ORGAN, "W1", datetime(2025, 12, 1, 9), 12.0,
                               confirm=True, now=NOW)
    assert confirmed["confirmed_lower"] is True
    with pytest.raises(NotPermitted):
        record_reading(engine, user(Role.VIEWER), ORGAN, "W1", datetime(2025, 12, 1, 10),
                       13.0, now=NOW)
    other = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=8)
    with pytest.raises(NotFound):
        record_reading(engine, other, ORGAN, "W1", datetime(2025, 12, 1, 10), 13.0, now=NOW)
    remove_meter(engine, ADMIN, ORGAN, "W1", at=datetime(2025, 12, 1, 10), final=13.0)
    with pytest.raises(ValidationFailed) as err:
        record_reading(engine, ADMIN, ORGAN, "W1", datetime(2025, 12, 1, 11), 14.0, now=NOW)
    assert err.value.code == "metering.manual.meter_removed"


def test_a_failed_derivation_loses_nothing(engine: Engine, ids: dict[str, int],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    record_reading(engine, ADMIN, ORGAN, "W1", datetime(2025, 11, 30, 9, 0), 130.0, now=NOW)

    def crash(*_: object, **__: object) -> int:
        raise RuntimeError("killed between claim and commit")

    monkeypatch.setattr(r, "write_rollups", crash)  # the module derive writes through
    with pytest.raises(RuntimeError):
        derive.derive_pending(engine)
    assert _count(engine, g.metering_dirty) == 1 and _count(engine, r.metering_interval) == 0
    monkeypatch.undo()
    assert derive.derive_pending(engine).meters == 1
    assert _count(engine, g.metering_dirty) == 0 and _count(engine, r.metering_interval) > 0
