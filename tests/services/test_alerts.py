"""Early warning end to end: figures imported → the projection crosses the cap → an
alert delivered to a local SMTP server and a local robot webhook → acknowledged →
cleared when a higher cap is set; escalation; a dead channel does not block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import NotFound
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.notifications import channels, notify, outbox
from jieneng.services.targets import alert_lists, alerts, targets
from tests.sample import ORGAN, SCHOOL, make_files, write_csv
from tests.services.notify_world import RobotServer, SmtpSink, closed_port, settings_for

#: kWh a month at the school: winter-heavy, as the tests of core.targets.
SHAPE = [14, 12, 9, 7, 6, 6, 7, 7, 6, 7, 9, 10]
KWH = 10_000


def _consumption(tmp_path: Path, name: str, rows: list[list[object]]) -> Path:
    return write_csv(tmp_path / name, ["统一社会信用代码", "年", "月", "电(千瓦时)"], rows)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> dict[str, User]:
    files = make_files(tmp_path)
    for kind, path in (("regions", files.regions), ("institutions", files.institutions),
                       ("profiles", files.profiles)):
        import_file(engine, kind, path)
    history = [[SCHOOL, y, m + 1, SHAPE[m] * KWH] for y in (2022, 2023, 2024)
               for m in range(12)]
    import_file(engine, "consumption", _consumption(tmp_path, "history.csv", history))
    return {name: create_user(engine, Actor.cli(), username=name, password="Pass-Word-123",
                              role=role, region_code=region)
            for name, role, region in (("root", "admin", None),
                                       ("yangshuo", "region", "450321"),
                                       ("guilin", "region", "450300"))}


def _tce(kwh: float) -> float:
    return kwh * 0.1229 / 1000.0


def test_alert_lifecycle(engine: Engine, db_url: str, tmp_path: Path,
                         world: dict[str, User]) -> None:
    admin, county, city = world["root"], world["yangshuo"], world["guilin"]
    cap = _tce(sum(SHAPE) * KWH * 1.2)            # last year + 20 %
    targets.set_target(engine, admin, region_code="450321", year=2025, metric="energy_tce",
                       value=cap)
    with SmtpSink() as smtp, RobotServer() as robot:
        settings = settings_for(db_url, smtp, notify_attempts=2)
        for kind, target in (("email", "office@example.org"),
                             ("wecom", robot.url("/wecom/key")),
                             ("webhook", f"http://127.0.0.1:{closed_port()}/dead")):
            channels.create_channel(engine, actor=Actor.cli(), region_code="450321", kind=kind,
                                    target=target)
        no_sleep: list[float] = []
        # January–February at last year's pace: 83 % of the allowance, nothing sent
        rows = [[SCHOOL, 2025, m + 1, SHAPE[m] * KWH] for m in range(2)]
        import_file(engine, "consumption", _consumption(tmp_path, "jf.csv", rows))
        quiet = alerts.evaluate(engine, settings, admin, region_code="450300", year=2025,
                                sleep=no_sleep.append)
        assert quiet["opened"] == [] and quiet["evaluated"] == 1
        # March at 4.8 × last March (a broken heating valve): the projection (≈ 1.98 ×
        # last year) crosses the cap while the actual does not → 预警
        import_file(engine, "consumption", _consumption(
            tmp_path, "mar.csv", [[SCHOOL, 2025, 3, SHAPE[2] * KWH * 4.8]]))
        out = alerts.evaluate(engine, settings, admin, region_code="450300", year=2025,
                              sleep=no_sleep.append)
        assert len(out["opened"]) == 1
        alert_id = out["opened"][0]
        listed = alert_lists.list_for(engine, county, region_code="450321")
        assert [(a["id"], a["level"]) for a in listed] == [(alert_id, "warning")]
        # queued in the evaluation's transaction, delivered after it (the outbox)
        assert smtp.messages == [] and robot.bodies("/wecom") == []
        first = outbox.deliver_pending(engine, settings)
        assert {d["status"] for d in first} == {"sent", "pending"}  # the dead one: retry
        retry = outbox.deliver_pending(engine, settings,
                                       now=datetime.now(UTC) + timedelta(minutes=5))
        assert [d["status"] for d in retry] == ["failed"] and retry[0]["attempts"] == 2
        assert len(smtp.messages) == 1 and "预警" in str(smtp.messages[0]["subject"])
        wecom = robot.bodies("/wecom")
        assert len(wecom) == 1 and "预警" in wecom[0]["text"]["content"]
        events = {(e["event"], (e["channel"] or "")[:3])
                  for e in alert_lists.history(engine, county, alert_id)["events"]}
        assert ("failed", "ch:") in events and ("sent", "ch:") in events
        assert ("queued", "ch:") in events
        assert ("notified", "in-") in events
        # the same condition again: deduplicated, nothing new is sent
        again = alerts.evaluate(engine, settings, admin, region_code="450300", year=2025,
                                sleep=no_sleep.append)
        assert again["kept"] == [alert_id] and len(smtp.messages) == 1
        # unacknowledged for 2 days: escalated once to the city
        later = datetime.now(UTC) + timedelta(hours=49)
        esc = alerts.evaluate(engine, settings, admin, region_code="450300", year=2025,
                              now=later, sleep=no_sleep.append)
        assert esc["escalated"] == [alert_id]
        assert notify.unread_count(engine, city.id) == 1
        # acknowledged, then cleared by a higher cap
        alert_lists.acknowledge(engine, county, alert_id)
        with pytest.raises(NotFound):
            alert_lists.acknowledge(engine, county, alert_id)
        targets.set_target(engine, admin, region_code="450321", year=2025,
                           metric="energy_tce", value=cap * 3)
        cleared = alerts.evaluate(engine, settings, admin, region_code="450300", year=2025,
                                  sleep=no_sleep.append)
        assert cleared["closed"] == [alert_id]
        assert alert_lists.list_for(engine, county, region_code="450321") == []


def test_alerts_are_scoped(engine: Engine, world: dict[str, User]) -> None:
    with pytest.raises(NotFound):
        alert_lists.list_for(engine, world["yangshuo"], region_code="450300")
    assert ORGAN  # the organ of 秀峰区 is outside 阳朔 (the sample's other county)
