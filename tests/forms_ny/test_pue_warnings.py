"""Rooms above their PUE target are warned (issue 12 §7), on both databases: the quality
rule ``datacentre_pue_above`` gives a finding for the room's institution and period, and
``jieneng alerts evaluate`` raises a PUE alert for it; both clear when the PUE is fixed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from jieneng.core.permissions import Role
from jieneng.core.scope import Filters
from jieneng.services.forms_ny import alerts as pue_alerts
from jieneng.services.forms_ny.imports import import_form
from jieneng.services.quality.quality import list_findings
from jieneng.services.targets import alert_lists, alerts
from jieneng.settings import Settings
from jieneng.storage import tables as t
from jieneng.storage.quality.evaluation import evaluate
from jieneng.storage.quality.model import period
from tests.sample import ORGAN, Files, write_csv
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
HEADERS = ["统一社会信用代码", "年", "月", "机房编号", "机房名称", "机房状态",
           "机房建筑面积(平方米)", "机房总用电量(千瓦时)", "IT设备用电量(千瓦时)"]


def _rooms(engine: Engine, tmp_path: Path, new_total: int, name: str) -> None:
    import_form(engine, "datacentre", write_csv(tmp_path / name, HEADERS, [
        [ORGAN, 2025, 1, "N1", "新机房", "新建", 60, new_total, 1_000_000],
        [ORGAN, 2025, 1, "E1", "老机房", "既有", 120, 1_500_000, 1_000_000]]))


def _findings(engine: Engine) -> list[dict[str, Any]]:
    with engine.begin() as conn:
        evaluate(conn, period(2025, 1), Filters())
    items: list[dict[str, Any]] = list_findings(
        engine, ADMIN.scope, year=2025, rule_code="datacentre_pue_above", lang="en")["items"]
    return items


def _pue_alerts(engine: Engine) -> list[tuple[str, str, float | None, float | None]]:
    with engine.connect() as conn:
        return [(r.subject, r.state, r.actual, r.limit_value) for r in conn.execute(
            select(t.alert).where(t.alert.c.subject.like("pue:%")).order_by(t.alert.c.id))]


def test_room_above_target_finding_and_alert_cleared_when_fixed(
        engine: Engine, files: Files, tmp_path: Path) -> None:
    ids = load(engine, files)
    with engine.connect() as conn:
        region = conn.execute(select(t.institution.c.region_code)
                              .where(t.institution.c.id == ids[ORGAN])).scalar_one()
        root = str(conn.execute(select(t.region.c.code).where(
            t.region.c.parent_code.is_(None))).scalars().first())
    _rooms(engine, tmp_path, 1_500_000, "a.csv")  # new room 1.50 > 1.3; existing 1.50 ≤ 1.6

    found = _findings(engine)
    assert len(found) == 1
    f = found[0]
    assert (f["institution_id"], f["month"], f["value"], f["expected"]) == (
        ids[ORGAN], 1, pytest.approx(1.5), pytest.approx(1.3))
    assert f["params"]["pue_source"] == "form" and f["params"]["room"] == "N1 新机房"
    assert f["message_en"] == "2025-01 room N1 新机房: PUE 1.5 (from the form), above the " \
        "target of 1.3"
    assert "高于目标值 1.3" in f["message_zh"]

    at = datetime(2026, 2, 1, tzinfo=UTC)
    out = alerts.evaluate(engine, Settings(), ADMIN, region_code=root, year=2025,
                          as_of_month=1, now=at)
    assert len(out["pue"]["opened"]) == 1
    [(subject, state, actual, limit)] = _pue_alerts(engine)
    assert subject.startswith("pue:") and state == "open"
    assert actual == pytest.approx(1.5) and limit == pytest.approx(1.3)
    listed = alert_lists.list_for(engine, ADMIN, region_code=region, year=2025)
    mine = [r for r in listed if str(r["subject"]).startswith("pue:")]
    assert [(r["metric"], r["link"]) for r in mine] == [("datacentre_pue", "/datacentre/summary")]
    with engine.connect() as conn:
        told = conn.execute(select(t.alert_event.c.event).where(
            t.alert_event.c.alert_id == out["pue"]["opened"][0])).scalars().all()
    assert sorted(told) == ["notified", "opened"]
    again = alerts.evaluate(engine, Settings(), ADMIN, region_code=root, year=2025,
                            as_of_month=1, now=at)  # deduplicated: kept, not reopened
    assert again["pue"]["opened"] == [] and len(again["pue"]["kept"]) == 1

    _rooms(engine, tmp_path, 1_250_000, "b.csv")  # fixed: 1.25 ≤ 1.3
    assert _findings(engine) == []
    fixed = alerts.evaluate(engine, Settings(), ADMIN, region_code=root, year=2025,
                            as_of_month=1, now=at)
    assert fixed["pue"]["closed"] == out["pue"]["opened"]
    assert [s for _, s, _, _ in _pue_alerts(engine)] == ["closed"]


def test_alert_line_names_room_pue_source_and_target() -> None:
    room = {"institution_name": "某单位", "room_code": "N1", "room_name": "新机房",
            "month": 1, "pue": 1.5, "pue_source": "meter", "target": 1.3}
    assert pue_alerts._line(room, "warning").endswith(
        "某单位 机房 N1 新机房（1月）PUE 1.50（分项计量），目标值 1.30")
    assert pue_alerts._line({**room, "month": 0}, "recovered").startswith("已恢复")
