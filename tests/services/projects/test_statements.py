"""Statements of a project on both databases: the monthly, quarterly and annual figures
of the constructed 20 % saving, converted; the 荆州 cadence; non-routine adjustments
need evidence and approval before they change the adjusted baseline."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.factors.sets import factor_set
from jieneng.core.mv.data import DateRange
from jieneng.core.permissions import Role
from jieneng.services.projects import adjustments, mv_runs, statements
from jieneng.services.projects.adjustments import AdjustmentSpec
from tests.sample import Files
from tests.services.metering_world import user
from tests.services.projects.mv_world import OFFICE, build

BASE = DateRange(date(2024, 1, 1), date(2024, 12, 31))
REPORT = DateRange(date(2025, 1, 1), date(2025, 12, 31))
FILER = user(Role.INSTITUTION, uid=7)


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, Any]:
    made = build(engine, files)
    mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=BASE, reporting=REPORT)
    return made


def test_monthly_statement_figures(engine: Engine, world: dict[str, Any]) -> None:
    got = statements.compute_statement(engine, OFFICE, "P-T", "2025-03")
    usage = world["usage"].filter((world["usage"]["year"] == 2025)
                                  & (world["usage"]["month"] == 3))["kwh"][0]
    line = got["figures"]["carriers"]["electricity"]
    assert line["adjusted_baseline"] == pytest.approx(usage, rel=1e-6)
    assert line["actual"] == pytest.approx(0.8 * usage, rel=1e-6)
    assert line["savings"] == pytest.approx(0.2 * usage, rel=1e-6)
    assert line["tce"] == pytest.approx(0.2 * usage * 0.1229 / 1000, rel=1e-6)
    assert line["price"] == pytest.approx(0.85) and line["yuan"] == pytest.approx(
        0.2 * usage * 0.85, rel=1e-6)
    co2 = factor_set().co2_kg_per_unit("electricity", year=2025,
                                       province_code="450000").value
    assert co2 is not None
    assert line["tco2"] == pytest.approx(0.2 * usage * co2 / 1000, rel=1e-6)
    assert got["savings_tce"] == pytest.approx(line["tce"])
    assert got["savings_pct"] == pytest.approx(0.2, abs=1e-6)
    assert got["run_ids"] == {"electricity": line["run_id"]} and got["factor_set"] == "pi-published"
    assert got["figures"]["coverage"] == pytest.approx(1.0)
    guarantee = got["figures"]["guarantee"]  # 25 % of the baseline guaranteed: not met
    assert guarantee["basis"] == "rate" and not guarantee["met"]
    assert guarantee["guaranteed_tce"] == pytest.approx(0.25 * usage * 0.1229 / 1000, rel=1e-6)


def test_quarter_and_year_and_the_cadence(engine: Engine, world: dict[str, Any]) -> None:
    q = statements.compute_statement(engine, OFFICE, "P-T", "2025-Q2")
    months = [m["label"] for m in q["figures"]["carriers"]["electricity"]["months"]]
    assert months == ["2025-04", "2025-05", "2025-06"]
    made = statements.issue_due(engine, OFFICE, "P-T", through=date(2026, 1, 1))
    kinds = sorted({(s["kind"]) for s in made})
    assert kinds == ["annual", "monthly", "quarterly"]
    assert len(made) == 12 + 3 + 1  # Q2 was already stated
    listed = statements.list_statements(engine, OFFICE, "P-T", kind="monthly")
    year = statements.get_statement(engine, OFFICE, "P-T", "2025")
    assert sum(s["savings_tce"] for s in listed) == pytest.approx(year["savings_tce"])
    with pytest.raises(NotFound):
        statements.get_statement(engine, OFFICE, "P-T", "2026-01")


def test_refusals(engine: Engine, world: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as err:
        statements.compute_statement(engine, OFFICE, "P-T", "2024-06")
    assert err.value.code == "project_statement.before_baseline"
    with pytest.raises(ValidationFailed) as err:
        statements.compute_statement(engine, OFFICE, "P-T", "2025-13")
    assert err.value.code == "project_statement.bad_period"
    with pytest.raises(NotPermitted):
        statements.compute_statement(engine, FILER, "P-T", "2025-03")


def test_an_adjustment_needs_evidence_and_approval(engine: Engine,
                                                   world: dict[str, Any]) -> None:
    filer = user(Role.INSTITUTION, institution_id=world["school"], uid=7)
    spec = AdjustmentSpec("electricity", "added_load", date(2025, 3, 1), date(2025, 4, 1),
                          value=3_100.0, reason="新增机房 new server room", document_id=None)
    with pytest.raises(ValidationFailed) as err:
        adjustments.propose(engine, filer, "P-T", spec)
    assert err.value.code == "project_adjustment.no_evidence"
    assert "证明材料" in err.value.message_zh and "evidence" in err.value.message_en
    with pytest.raises(ValidationFailed) as err:
        adjustments.propose(engine, filer, "P-T", AdjustmentSpec(
            **{**spec.__dict__, "document_id": world["document_id"] + 99}))
    assert err.value.code == "project_adjustment.bad_evidence"
    proposed = adjustments.propose(engine, filer, "P-T", AdjustmentSpec(
        **{**spec.__dict__, "document_id": world["document_id"]}))
    assert proposed["state"] == "proposed"
    before = statements.compute_statement(engine, OFFICE, "P-T", "2025-03")
    base = before["figures"]["carriers"]["electricity"]["adjusted_baseline"]
    decided = adjustments.decide(engine, OFFICE, "P-T", proposed["id"], approve=True,
                                 note="核实")
    assert decided["state"] == "approved" and decided["decided_by"] == OFFICE.username
    with pytest.raises(Conflict):
        adjustments.decide(engine, OFFICE, "P-T", proposed["id"], approve=False)
    after = statements.compute_statement(engine, OFFICE, "P-T", "2025-03")
    line = after["figures"]["carriers"]["electricity"]
    assert line["adjusted_baseline"] == pytest.approx(base + 3_100.0, rel=1e-6)
    assert line["adjustment"] == pytest.approx(3_100.0, rel=1e-6)
    april = statements.compute_statement(engine, OFFICE, "P-T", "2025-04")
    assert april["figures"]["carriers"]["electricity"]["adjustment"] == pytest.approx(0.0)


def test_statements_are_read_in_scope(engine: Engine, world: dict[str, Any]) -> None:
    statements.compute_statement(engine, OFFICE, "P-T", "2025-03")
    own = user(Role.INSTITUTION, institution_id=world["school"], uid=8)
    assert [s["period"] for s in statements.list_statements(engine, own, "P-T")] == ["2025-03"]
    elsewhere = user(Role.REGION, "450302", uid=9)
    with pytest.raises(NotFound):
        statements.list_statements(engine, elsewhere, "P-T")
    with pytest.raises(NotFound):
        statements.get_statement(engine, elsewhere, "P-T", "2025-03")
