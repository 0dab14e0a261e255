"""Quota tables: import (all-or-nothing, row-level errors), assignment, positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import ImportRejected, NotFound, NotPermitted
from jieneng.services.accounts.accounts import create_user
from jieneng.services.statistics.publication_figures import institution_intensities
from jieneng.services.targets import quotas
from jieneng.storage import tables as t
from jieneng.storage.consumption import write_consumption
from tests.storage._data import figures, load_directory

#: DB37/T 2673-2019 二级医疗机构 A区 as quoted in reference-data.md (secondary), and a
#: made-up row for the test of the nearest assignment.
GOOD = """指标,机构类型,气候区,约束值,基准值,引导值,单位
人均综合能耗,二级医疗机构,A区,907.4,556.9,428.3,kgce/人
单位建筑面积非供暖能耗,二级医疗机构,A区,22.6,15.3,9.4,kgce/m²
"""
STRICT = """指标,机构类型,气候区,约束值,基准值,引导值,单位
energy_per_capita_kgce,演示严格定额,,40,30,20,kgce/人
"""
BAD = """指标,机构类型,气候区,约束值,基准值,引导值,单位
人均耗煤,二级医疗机构,A区,1,1,1,t
人均综合能耗,二级医疗机构,A区,100,200,50,kgce/人
单位建筑面积非供暖能耗,二级医疗机构,A区,-1,-2,-3,kgce/m²
单位建筑面积非供暖能耗,二级医疗机构,A区,3,2,1,kgce/m²
"""


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def users(engine: Engine) -> dict[str, User]:
    with engine.begin() as conn:
        ids = load_directory(conn)
        write_consumption(conn, figures([
            (ids[4], 2024, 1, "electricity", 300_000.0, None),   # 西湖区人民医院 (024), 800 people
        ]), source="manual", import_id=None)
    return {name: create_user(engine, Actor.cli(), username=name, password="Pass-Word-123",
                              role=role, region_code=region)
            for name, role, region in (("root", "admin", None), ("zj", "region", "330000"),
                                       ("nb", "region", "330200"), ("vw", "viewer", "330000"))}


def test_import_assign_and_positions(engine: Engine, users: dict[str, User],
                                     tmp_path: Path) -> None:
    admin, province = users["root"], users["zj"]
    report = quotas.import_table(engine, admin, _file(tmp_path, "dbt.csv", GOOD),
                                 code="DB37/T 2673-2019", title="山东 医疗机构能耗定额",
                                 source="reference-data.md (secondary)")
    assert report["inserted"] == 2
    again = quotas.import_table(engine, admin, _file(tmp_path, "dbt.csv", GOOD),
                                code="DB37/T 2673-2019", title="山东 医疗机构能耗定额",
                                source="reference-data.md (secondary)")
    assert again["inserted"] == 0
    strict = quotas.import_table(engine, admin, _file(tmp_path, "s.csv", STRICT),
                                 code="TEST-1", title="演示", source="test")
    with engine.connect() as conn:
        ids = {r.indicator: r.id for r in conn.execute(
            select(t.quota.c.id, t.quota.c.indicator, t.quota.c.standard_id))
            if r.standard_id != strict["standard_id"]}
        strict_id = conn.execute(select(t.quota.c.id).where(
            t.quota.c.standard_id == strict["standard_id"])).scalar_one()
    quotas.assign(engine, province, quota_id=ids["energy_per_capita_kgce"],
                  region_code="330000", category="02")
    quotas.assign(engine, province, quota_id=ids["energy_per_area_nonheating_kgce_m2"],
                  region_code="330000", category="024")
    out = quotas.positions(engine, province, region_code="330000", year=2024)
    hospital = {i["indicator"]: i for i in out["items"] if i["category"] == "024"}
    value = institution_intensities(engine, province.scope, region_code="330000",
                                    year=2024)
    per_capita = next(r for r in value if r["category"] == "024")["energy_per_capita_kgce"]
    assert hospital["energy_per_capita_kgce"]["value"] == per_capita
    assert per_capita == pytest.approx(300_000 * 0.1229 / 800)
    assert hospital["energy_per_capita_kgce"]["position"] == "below_guide"
    assert hospital["energy_per_area_nonheating_kgce_m2"]["computed"] is False
    # the nearest assignment wins: a stricter quota at the county
    quotas.assign(engine, province, quota_id=strict_id, region_code="330106", category="024")
    out = quotas.positions(engine, province, region_code="330000", year=2024)
    hospital = {i["indicator"]: i for i in out["items"] if i["category"] == "024"}
    assert hospital["energy_per_capita_kgce"]["quota_id"] == strict_id
    assert hospital["energy_per_capita_kgce"]["position"] == "above_constraint"
    assert out["counts"] == {"above_constraint": 1}
    quotas.assign(engine, province, quota_id=strict_id, region_code="330106", category="024",
                  remove=True)
    with pytest.raises(NotFound):
        quotas.assign(engine, province, quota_id=strict_id, region_code="330106",
                      category="024", remove=True)
    with engine.connect() as conn:
        actions = {r.action for r in conn.execute(select(t.audit_log.c.action))}
    assert {"quota.import", "quota.assign", "quota.unassign"} <= actions


def test_bad_table_names_every_row_and_stores_nothing(
    engine: Engine, users: dict[str, User], tmp_path: Path
) -> None:
    with pytest.raises(ImportRejected) as err:
        quotas.import_table(engine, users["root"], _file(tmp_path, "bad.csv", BAD),
                            code="X", title="x", source="x")
    issues = {(i.row, i.code) for i in err.value.issues}
    assert (2, "import.unknown_indicator") in issues
    assert (3, "import.quota_levels") in issues
    assert (4, "import.negative") in issues
    assert (5, "import.duplicate_key") in issues
    first = next(i for i in err.value.issues if i.code == "import.unknown_indicator")
    assert first.file == "bad.csv" and first.column == "指标"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.quota)).scalar_one() == 0


def test_who_may_import_and_assign(engine: Engine, users: dict[str, User],
                                   tmp_path: Path) -> None:
    with pytest.raises(NotPermitted):
        quotas.import_table(engine, users["zj"], _file(tmp_path, "g.csv", GOOD),
                            code="A", title="a", source="a")
    quotas.import_table(engine, users["root"], _file(tmp_path, "g.csv", GOOD),
                        code="A", title="a", source="a")
    with engine.connect() as conn:
        quota_id = conn.execute(select(func.min(t.quota.c.id))).scalar_one()
    with pytest.raises(NotFound):       # outside its scope
        quotas.assign(engine, users["nb"], quota_id=quota_id, region_code="330100",
                      category="024")
    with pytest.raises(NotPermitted):
        quotas.assign(engine, users["vw"], quota_id=quota_id, region_code="330100",
                      category="024")


def test_command_line_imports(engine: Engine, db_url: str, tmp_path: Path,
                              users: dict[str, User]) -> None:
    from typer.testing import CliRunner

    from jieneng.cli.main import app

    result = CliRunner().invoke(app, [
        "--db", db_url, "import", "quotas", str(_file(tmp_path, "q.csv", GOOD)), "--code",
        "DB37/T 2673-2019", "--title", "山东 医疗机构能耗定额", "--source", "secondary"])
    assert result.exit_code == 0, result.output
    assert "2 行 rows" in result.output
    bad = CliRunner().invoke(app, ["--db", db_url, "import", "quotas",
                                   str(_file(tmp_path, "b.csv", BAD)), "--code", "X",
                                   "--title", "x", "--source", "x"])
    assert bad.exit_code == 1 and "约束值" in bad.output


def test_the_quota_rule_as_a_target_method(engine: Engine, users: dict[str, User],
                                          tmp_path: Path) -> None:
    from jieneng.services.targets import targets

    admin, province = users["root"], users["zj"]
    strict = quotas.import_table(engine, admin, _file(tmp_path, "s.csv", STRICT),
                                 code="TEST-1", title="演示", source="test")
    quota_id = quotas.list_quotas(engine, strict["standard_id"])[0]["id"]
    quotas.assign(engine, province, quota_id=quota_id, region_code="330000", category="024")
    preview = targets.quota_method(engine, province, region_code="330000", year=2025)
    [item] = preview["items"]           # the hospital, 46.1 kgce/人 in 2024 > 约束值 40
    assert item["position"] == "above_constraint" and item["change"] == -0.04
    assert item["target_value"] == pytest.approx(item["base_value"] * 0.96)
    assert item["reduction"] == pytest.approx(0.04)
    assert targets.institution_targets(engine, province, region_code="330000",
                                       year=2025) == []          # a preview saves nothing
    with pytest.raises(NotPermitted):
        targets.quota_method(engine, users["vw"], region_code="330000", year=2025, save=True)
    targets.quota_method(engine, province, region_code="330000", year=2025, save=True)
    [saved] = targets.institution_targets(engine, province, region_code="330000", year=2025)
    assert saved["institution_id"] == item["institution_id"]
    assert saved["value"] == pytest.approx(0.04) and saved["metric"] == "energy_per_capita_kgce"


def test_quota_alert_for_an_institution(engine: Engine, db_url: str, users: dict[str, User],
                                        tmp_path: Path) -> None:
    from jieneng.services.targets import alert_lists, alerts, progress
    from tests.services.notify_world import settings_for

    admin, province = users["root"], users["zj"]
    strict = quotas.import_table(engine, admin, _file(tmp_path, "s.csv", STRICT),
                                 code="TEST-1", title="演示", source="test")
    quota_id = quotas.list_quotas(engine, strict["standard_id"])[0]["id"]
    quotas.assign(engine, province, quota_id=quota_id, region_code="330000", category="024")
    [item] = progress.quota_progress(engine, province, region_code="330000", year=2024)
    assert item["months"] == 1 and item["limit"] == 40.0
    assert item["actual"] == pytest.approx(300_000 * 0.1229 / 800)   # 46.1 > 40: over
    assert item["status"] == "over" and item["projected"] == pytest.approx(item["actual"] * 12)
    result = alerts.evaluate(engine, settings_for(db_url), province, region_code="330000",
                             year=2024, sleep=lambda _s: None)
    assert len(result["opened"]) == 1
    code = item["credit_code"]
    [alert] = alert_lists.list_for(engine, province, region_code="330000", institution_code=code)
    assert alert["level"] == "over" and alert["institution_id"] == item["institution_id"]
    with pytest.raises(NotFound):   # 宁波 cannot see a 杭州 institution's alerts
        alert_lists.list_for(engine, users["nb"], region_code="330200", institution_code=code)


def test_quota_alerts_escalate_as_one_digest(engine: Engine, db_url: str,
                                            users: dict[str, User], tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from jieneng.services.notifications import channels, outbox
    from jieneng.services.targets import alerts
    from tests.services.notify_world import RobotServer, settings_for

    admin, province = users["root"], users["zj"]
    strict = quotas.import_table(engine, admin, _file(tmp_path, "s.csv", STRICT),
                                 code="TEST-1", title="演示", source="test")
    quota_id = quotas.list_quotas(engine, strict["standard_id"])[0]["id"]
    quotas.assign(engine, province, quota_id=quota_id, region_code="330000", category="024")
    with RobotServer() as robot:
        channels.create_channel(engine, actor=Actor.cli(), region_code="330100",
                                kind="wecom", target=robot.url("/wecom/city"))
        settings = settings_for(db_url)
        alerts.evaluate(engine, settings, province, region_code="330000", year=2024,
                        sleep=lambda _s: None)
        # queued in the evaluation's transaction, delivered after it (the outbox)
        assert robot.bodies("/wecom/city") == []
        outbox.deliver_pending(engine, settings)
        later = datetime.now(UTC) + timedelta(hours=49)
        out = alerts.evaluate(engine, settings, province, region_code="330000", year=2024,
                              now=later, sleep=lambda _s: None)
        assert len(out["escalated"]) == 1
        outbox.deliver_pending(engine, settings, now=later)
        # the city's channel (inherited by 西湖区): one digest when opened, one escalated
        opened, escalated = robot.bodies("/wecom/city")
        assert "定额预警" in opened["text"]["content"]
        assert escalated["text"]["content"].startswith("【升级】定额预警")
        assert "西湖区人民医院" in escalated["text"]["content"]


def test_progress_of_institution_targets(engine: Engine, users: dict[str, User],
                                         tmp_path: Path) -> None:
    import polars as pl

    from jieneng.services.targets import progress, targets
    from jieneng.storage.institutions import upsert_profiles

    admin, province = users["root"], users["zj"]
    with engine.connect() as conn:
        hospital = conn.execute(select(t.institution.c.id).where(
            t.institution.c.category == "024")).scalar_one()
    with engine.begin() as conn:
        write_consumption(conn, figures([(hospital, 2023, 1, "electricity", 400_000.0, None)]),
                          source="manual", import_id=None)
        upsert_profiles(conn, pl.DataFrame({"institution_id": [hospital], "year": [2023],
                                            "occupants": [800]}), import_id=None)
    strict = quotas.import_table(engine, admin, _file(tmp_path, "s.csv", STRICT),
                                 code="TEST-1", title="演示", source="test")
    quota_id = quotas.list_quotas(engine, strict["standard_id"])[0]["id"]
    quotas.assign(engine, province, quota_id=quota_id, region_code="330000", category="024")
    targets.quota_method(engine, province, region_code="330000", year=2024, save=True)
    [item] = progress.institution_target_progress(engine, province, region_code="330000",
                                                  year=2024)
    assert item["required_change"] == pytest.approx(-0.04)
    assert item["achieved_change"] == pytest.approx(300_000 / 400_000 - 1)   # −25 %
    assert item["status"] == "on_track" and item["months"] == 1
