"""A project after registration, on both databases: removing a boundary line (an
effective day, a reason, audited; refused by code when an M&V run, statement or
settlement already used the line's meter on or after that day; the removed meter
counts for the days before it only), and adding / editing measures."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.mv.data import DateRange
from jieneng.core.permissions import Role
from jieneng.core.projects.spec import MeasureSpec
from jieneng.services.projects import mv_runs, settlement, statements
from jieneng.services.projects.boundary import add_boundary, remove_boundary
from jieneng.services.projects.registry import add_measure, get_project, update_measure
from jieneng.storage import projects as p
from jieneng.storage import tables as t
from tests.sample import Files
from tests.services.metering_world import user
from tests.services.projects.mv_world import OFFICE, bind_meter, build

BASE = DateRange(date(2024, 1, 2), date(2024, 12, 31))
REPORT = DateRange(date(2025, 1, 1), date(2025, 12, 31))


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, Any]:
    return build(engine, files)


def _line(engine: Engine, kind: str = "meter") -> int:
    lines = [b for b in get_project(engine, OFFICE, "P-T")["boundary"] if b["kind"] == kind]
    return int(lines[0]["id"])


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.audit_log.c.action)).scalars())


def test_a_removed_meter_counts_for_the_days_before_its_removal(
        engine: Engine, world: dict[str, Any]) -> None:
    meter = bind_meter(engine, world)
    removed = remove_boundary(engine, OFFICE, "P-T", _line(engine),
                              removed_on=date(2025, 7, 1), reason="机房移交另一单位")
    assert removed["removed_on"] == "2025-07-01" and removed["removed_reason"] == "机房移交另一单位"
    assert removed["removed_by"] == OFFICE.actor.username
    assert "projects.boundary_remove" in _actions(engine)
    run = mv_runs.fit_baseline(engine, OFFICE, "P-T", method="caltrack-daily", baseline=BASE,
                               reporting=REPORT)
    assert run["inputs"]["meters"] == [meter]
    # 2024-01-02 … 2025-06-30: 365 + 181 days; none from the removal day on
    assert run["inputs"]["days_with_data"] == 365 + 181
    shown = get_project(engine, OFFICE, "P-T")["boundary"][0]
    assert shown["removed_on"] == "2025-07-01" and shown["meter"] == "M-1"


def test_removal_is_refused_when_a_run_used_the_meter_on_or_after_the_day(
        engine: Engine, world: dict[str, Any]) -> None:
    bind_meter(engine, world)
    run = mv_runs.fit_baseline(engine, OFFICE, "P-T", method="caltrack-daily", baseline=BASE,
                               reporting=REPORT)
    line = _line(engine)
    with pytest.raises(Conflict) as err:
        remove_boundary(engine, OFFICE, "P-T", line, removed_on=date(2025, 6, 1),
                        reason="换表")
    assert err.value.code == "project_boundary_removal_used"
    assert f"#{run['id']} electricity 2024-01-02…2025-12-31" in err.value.message_zh
    assert "M-1" in err.value.message_en and "2025-06-01" in err.value.message_en
    assert get_project(engine, OFFICE, "P-T")["boundary"][0]["removed_on"] is None
    done = remove_boundary(engine, OFFICE, "P-T", line, removed_on=date(2026, 1, 1),
                           reason="换表")            # after the run's last day: allowed
    assert done["removed_on"] == "2026-01-01"
    with pytest.raises(Conflict) as twice:
        remove_boundary(engine, OFFICE, "P-T", line, removed_on=date(2026, 2, 1), reason="x")
    assert twice.value.code == "project_boundary_removal_twice"
    with pytest.raises(Conflict) as again:
        add_boundary(engine, OFFICE, "P-T", kind="meter", meter="M-1")
    assert again.value.code == "project_boundary_removal_readd"


def test_removal_is_refused_naming_the_settlement(engine: Engine,
                                                  world: dict[str, Any]) -> None:
    bind_meter(engine, world)
    mv_runs.fit_baseline(engine, OFFICE, "P-T", method="caltrack-daily", baseline=BASE,
                         reporting=REPORT)
    statements.compute_statement(engine, OFFICE, "P-T", "2025")
    with pytest.raises(Conflict) as used:
        remove_boundary(engine, OFFICE, "P-T", _line(engine), removed_on=date(2025, 12, 1),
                        reason="换表")
    assert used.value.code == "project_boundary_removal_used"
    assert "annual 2025" in used.value.message_en       # the statement named with the run
    assert "年度考核 2025" in used.value.message_zh
    settlement.settle(engine, OFFICE, "P-T", "2025")
    with pytest.raises(Conflict) as err:
        remove_boundary(engine, OFFICE, "P-T", _line(engine), removed_on=date(2025, 12, 1),
                        reason="换表")
    assert err.value.code == "project_boundary_removal_settled"
    assert "2025（草稿）" in err.value.message_zh and "2025 (draft)" in err.value.message_en
    assert get_project(engine, OFFICE, "P-T")["boundary"][0]["removed_on"] is None


def test_removal_refusals_by_code(engine: Engine, world: dict[str, Any]) -> None:
    add_boundary(engine, OFFICE, "P-T", kind="system", description="空调系统")
    mv_runs.fit_baseline(engine, OFFICE, "P-T", method="monthly",
                         baseline=DateRange(date(2024, 1, 1), date(2024, 12, 31)),
                         reporting=REPORT)
    line = _line(engine, "system")
    with pytest.raises(ValidationFailed) as err:
        remove_boundary(engine, OFFICE, "P-T", line, removed_on=date(2025, 1, 1), reason=" ")
    assert err.value.code == "project_field_required" and err.value.details["field"] == "reason"
    with pytest.raises(NotFound) as missing:
        remove_boundary(engine, OFFICE, "P-T", 99_999, removed_on=date(2025, 1, 1), reason="x")
    assert missing.value.code == "project_boundary_removal_not_found"
    with pytest.raises(NotPermitted):
        remove_boundary(engine, user(Role.VIEWER, "450321", uid=7), "P-T", line,
                        removed_on=date(2025, 1, 1), reason="x")
    with pytest.raises(NotFound):
        remove_boundary(engine, user(Role.REGION, "450302", uid=5), "P-T", line,
                        removed_on=date(2025, 1, 1), reason="x")
    # a system line feeds no figure: removable any day, whatever was fitted
    done = remove_boundary(engine, OFFICE, "P-T", line, removed_on=date(2024, 3, 1),
                           reason="系统拆除")
    assert done["removed_on"] == "2024-03-01"


def test_measures_after_registration(engine: Engine, world: dict[str, Any]) -> None:
    added = add_measure(engine, OFFICE, "P-T", MeasureSpec(" 变频水泵 ", "电", 5e4, 3e4, 3.7))
    assert added["name"] == "变频水泵" and added["carrier"] == "electricity"
    edited = update_measure(engine, OFFICE, "P-T", added["id"],
                            MeasureSpec("变频水泵与冷却塔", "electricity", 8e4, 4e4, 4.9, 3.2e4))
    shown = get_project(engine, OFFICE, "P-T")["measures"]
    assert shown == [{"id": added["id"], "name": "变频水泵与冷却塔", "carrier": "electricity",
                      "investment_yuan": 8e4, "expected_saving": 4e4, "expected_tce": 4.9,
                      "expected_yuan": 3.2e4}] and edited["id"] == added["id"]
    assert {"projects.measure", "projects.measure_update"} <= set(_actions(engine))
    with pytest.raises(ValidationFailed) as bad:
        update_measure(engine, OFFICE, "P-T", added["id"], MeasureSpec("x", None, -1.0))
    assert bad.value.code == "project_figure_invalid"
    with pytest.raises(ValidationFailed) as unnamed:
        add_measure(engine, OFFICE, "P-T", MeasureSpec("  "))
    assert unnamed.value.code == "project_field_required"
    with pytest.raises(NotFound) as other:
        update_measure(engine, OFFICE, "P-T", 99_999, MeasureSpec("x"))
    assert other.value.code == "project_measure_not_found"
    with engine.begin() as conn:
        conn.execute(update(p.project).values(state="closed"))
    with pytest.raises(ValidationFailed) as closed:
        add_measure(engine, OFFICE, "P-T", MeasureSpec("LED"))
    assert closed.value.code == "project_closed"


def test_a_removed_generation_meter_counts_for_the_months_before_its_removal(
        engine: Engine, files: Files) -> None:
    """A PV project's generation meter (month roll-ups 2025-01 … 03) removed from
    2025-03-01: January and February stay metered; March falls to the next source (the
    owners' NY201 figure)."""
    import numpy as np
    import polars as pl
    from sqlalchemy import insert

    from jieneng.services.projects.generation import project_generation
    from jieneng.storage import metering
    from jieneng.storage.consumption import write_consumption
    from jieneng.storage.meter_readings import metering_rollup

    made = build(engine, files, code="P-PV")
    with engine.begin() as conn:
        conn.execute(update(p.project).values(type="pv", subtype=None, pv_kwp=40.0))
        meter_id = conn.execute(insert(metering.metering_meter).values(
            institution_id=made["school"], number="PV-1", carrier="solar_pv",
            register="cumulative", unit="kWh").returning(metering.metering_meter.c.id)
        ).scalar_one()
        conn.execute(insert(p.project_boundary).values(
            project_id=made["project_id"], kind="meter", institution_id=made["school"],
            meter_id=meter_id, created_by="test"))
        starts = (np.array(["2025-01", "2025-02", "2025-03"], dtype="datetime64[M]")
                  .astype("datetime64[s]").astype(np.int64) - 8 * 3600)
        conn.execute(insert(metering_rollup), [
            {"meter_id": meter_id, "level": "month", "start": int(s), "energy": kwh,
             "present": 2976, "expected": 2976, "flags": 0}
            for s, kwh in zip(starts, (3000.0, 3500.0, 4200.0), strict=True)])
        write_consumption(conn, pl.DataFrame({
            "institution_id": [made["school"]], "year": [2025], "month": [3],
            "carrier": ["solar_pv"], "quantity": [3900.0], "cost_yuan": [None]}, schema={
            "institution_id": pl.Int64, "year": pl.Int64, "month": pl.Int64,
            "carrier": pl.String, "quantity": pl.Float64, "cost_yuan": pl.Float64}),
            source="manual", import_id=None)
    before = {m["label"]: (m["generation_kwh"], m["source"])
              for m in project_generation(engine, OFFICE, "P-PV")["months"]}
    assert before["2025-03"] == (4200.0, "meter")
    line = int(get_project(engine, OFFICE, "P-PV")["boundary"][0]["id"])
    mv_runs.fit_baseline(engine, OFFICE, "P-PV", baseline=DateRange(
        date(2024, 1, 1), date(2024, 12, 31)), reporting=REPORT)
    statements.compute_statement(engine, OFFICE, "P-PV", "2025-02")  # before: no matter
    statements.compute_statement(engine, OFFICE, "P-PV", "2025-03")  # metered generation
    with pytest.raises(Conflict) as err:
        remove_boundary(engine, OFFICE, "P-PV", line, removed_on=date(2025, 3, 1),
                        reason="光伏表移交")
    assert err.value.code == "project_boundary_removal_used"
    assert err.value.details["used"] == "monthly 2025-03"
    with engine.begin() as conn:  # the March statement withdrawn, as before its computation
        conn.execute(t.metadata.tables["project_statement"].delete().where(
            t.metadata.tables["project_statement"].c.period == "2025-03"))
    remove_boundary(engine, OFFICE, "P-PV", line, removed_on=date(2025, 3, 1),
                    reason="光伏表移交")
    after = {m["label"]: (m["generation_kwh"], m["source"])
             for m in project_generation(engine, OFFICE, "P-PV")["months"]}
    assert after == {"2025-01": (3000.0, "meter"), "2025-02": (3500.0, "meter"),
                     "2025-03": (3900.0, "ny201")}
