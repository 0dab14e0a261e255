"""Settlement on both databases for the three contract modes over the constructed year
(baseline B kWh at 0.80 元, actual 0.8·B at 0.85 元), checked by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, update

from jieneng.core.exceptions import Conflict, ValidationFailed
from jieneng.core.mv.data import DateRange
from jieneng.services.projects import mv_runs, settlement
from jieneng.storage import projects as p
from tests.sample import Files
from tests.services.projects.mv_world import OFFICE, build

BASE = DateRange(date(2024, 1, 1), date(2024, 12, 31))


def _world(engine: Engine, files: Files, subtype: str) -> tuple[dict[str, Any], float]:
    made = build(engine, files, subtype=subtype)
    mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=BASE,
                         reporting=DateRange(date(2025, 1, 1), date(2025, 12, 31)))
    usage = made["usage"]
    return made, float(usage.filter(usage["year"] == 2025)["kwh"].sum())


def test_trusteeship_fee_and_margin(engine: Engine, files: Files) -> None:
    _, b = _world(engine, files, "trusteeship")
    got = settlement.settle(engine, OFFICE, "P-T", "2025", om_fee=10_000.0, om_cost=8_000.0)
    assert got["mode"] == "trusteeship" and got["state"] == "draft"
    fee = b * 0.80 + 10_000
    assert got["amount_yuan"] == pytest.approx(fee, rel=1e-6)
    assert got["esco_margin_yuan"] == pytest.approx(fee - 0.8 * b * 0.85 - 8_000, rel=1e-6)
    assert got["amounts"]["price_mode"] == "base_year"
    assert got["amounts"]["base_prices"] == {"electricity": pytest.approx(0.80)}
    assert got["amounts"]["contract_fee_base_yuan"] is None  # the contract fixes none
    confirmed = settlement.confirm(engine, OFFICE, "P-T", "2025")
    assert confirmed["state"] == "confirmed" and confirmed["confirmed_by"] == OFFICE.username
    with pytest.raises(Conflict) as err:
        settlement.settle(engine, OFFICE, "P-T", "2025")
    assert err.value.code == "project_settlement.confirmed"
    assert [s["period"] for s in settlement.list_settlements(engine, OFFICE, "P-T")] == ["2025"]


def test_pass_through_prices_the_fee_at_the_period_price(engine: Engine, files: Files) -> None:
    made, b = _world(engine, files, "trusteeship")
    with engine.begin() as conn:
        conn.execute(update(p.project_contract).where(
            p.project_contract.c.project_id == made["project_id"]).values(
                price_mode="pass_through"))
    got = settlement.settle(engine, OFFICE, "P-T", "2025", fee_factor=0.95)
    assert got["amount_yuan"] == pytest.approx(b * 0.85 * 0.95, rel=1e-6)


def test_shared_benefit(engine: Engine, files: Files) -> None:
    _, b = _world(engine, files, "shared_savings")
    got = settlement.settle(engine, OFFICE, "P-T", "2025")
    assert got["amounts"]["benefit"] == pytest.approx(0.2 * b * 0.80, rel=1e-6)
    assert got["amount_yuan"] == pytest.approx(0.7 * 0.2 * b * 0.80, rel=1e-6)
    given = settlement.settle(engine, OFFICE, "P-T", "2025", prices={"electricity": 1.0})
    assert given["amount_yuan"] == pytest.approx(0.7 * 0.2 * b, rel=1e-6)


def test_guarantee_shortfall(engine: Engine, files: Files) -> None:
    _, b = _world(engine, files, "guaranteed_savings")  # 25 % guaranteed, 20 % verified
    got = settlement.settle(engine, OFFICE, "P-T", "2025")
    assert got["amounts"]["shortfall"] == pytest.approx(0.05 * b * 0.1229 / 1000, rel=1e-6)
    assert got["amount_yuan"] == pytest.approx(0.05 * b * 0.80, rel=1e-6)
    assert not got["amounts"]["met"]


def test_refusals(engine: Engine, files: Files) -> None:
    made, _ = _world(engine, files, "shared_savings")
    with engine.begin() as conn:
        conn.execute(update(p.project_contract).where(
            p.project_contract.c.project_id == made["project_id"]).values(sharing_ratio=None))
    with pytest.raises(ValidationFailed) as err:
        settlement.settle(engine, OFFICE, "P-T", "2025-06")
    assert err.value.code == "project_settlement.no_ratio"
    with engine.begin() as conn:
        conn.execute(update(p.project).values(type="pv", subtype=None))
    with pytest.raises(ValidationFailed) as err:
        settlement.settle(engine, OFFICE, "P-T", "2025")
    assert err.value.code == "project_settlement.no_mode"
