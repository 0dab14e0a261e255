"""Data-quality services on the demo city: the planted anomalies are found, checks
run on save and import, scope, explanations, rule settings and reference prices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import ImportRejected, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.core.scope import Scope
from jieneng.demo.generate import write_demo_files
from jieneng.demo.layout import DemoFiles
from jieneng.services.demo import DEMO_YEARS
from jieneng.services.entry.entry import save_entry
from jieneng.services.entry.entry_checks import EntryValue
from jieneng.services.entry.imports import import_file
from jieneng.services.quality import quality
from jieneng.storage import tables as t
from jieneng.storage.institutions import get_institution


def user(role: Role, *, uid: int = 1, region: str | None = None,
         institution: int | None = None) -> User:
    return User(id=uid, username=f"{role.value}{uid}", display_name="", role=role,
                region_code=region, institution_id=institution, is_locked=False,
                locked_until=None, created_at=None)


ADMIN = user(Role.ADMIN)
CITY = user(Role.REGION, uid=2, region="450300")
CITY_ADMIN = user(Role.REGION_ADMIN, uid=3, region="450300")
OTHER = user(Role.REGION, uid=4, region="450100")


@pytest.fixture
def demo(engine: Engine, tmp_path: Path) -> DemoFiles:
    files = write_demo_files(tmp_path / "demo", years=DEMO_YEARS)
    for kind, path in (("regions", files.regions), ("institutions", files.institutions),
                       ("profiles", files.profiles)):
        import_file(engine, kind, path)
    for path in files.consumption:
        import_file(engine, "consumption", path, source="demo")
    return files


def _keys(engine: Engine) -> set[tuple[str, int, int, str, str]]:
    f, i = t.quality_finding, t.institution
    with engine.connect() as conn:
        rows = conn.execute(select(i.c.credit_code, f.c.year, f.c.month, f.c.carrier, f.c.rule,
                                   f.c.params).join(i, i.c.id == f.c.institution_id)).all()
    keys = set()
    for code, year, month, carrier, rule, params in rows:
        keys.add((code, year, month, carrier, rule))
        if rule == "missing_month":  # one key per missing month, for the planted list
            for m in json.loads(params)["months"].split(","):
                keys.add((code, year, int(m), carrier, "missing_month"))
    return keys


def test_demo_anomalies_are_found(engine: Engine, demo: DemoFiles) -> None:
    # the imports already checked what they wrote; a region run gives the same
    found_on_import = _keys(engine)
    result = quality.check_region(engine, CITY, "450300", 2025)
    assert result["institutions"] > 500
    quality.check_region(engine, CITY, "450300", 2024)
    found = _keys(engine)
    assert {k for k in found_on_import if k[1] in (2024, 2025)} <= found
    checked = 0
    for p in demo.planted:
        if p.year not in (2024, 2025):
            continue  # 2023 has no history before it to compare with
        checked += 1
        if p.kind == "unit_wan_kwh":
            assert (p.credit_code, p.year, p.month, "electricity", "unit_slip_10000") in found
        elif p.kind == "spike_10x":
            assert (p.credit_code, p.year, p.month, p.carrier, "mom_spike") in found
        elif p.kind in ("missing_month", "late_report"):
            assert (p.credit_code, p.year, p.month, "electricity", "missing_month") in found
        elif p.kind == "missing_value":
            assert (p.credit_code, p.year, p.month, p.carrier, "missing_month") in found
    assert checked >= 8
    # the suggested value of the 万kWh slip is the typical figure
    slip = next(p for p in demo.planted if p.kind == "unit_wan_kwh" and p.year == 2025)
    page = quality.list_findings(engine, CITY.scope, year=2025, rule_code="unit_slip_10000",
                                 per_page=500)
    item = next(x for x in page["items"] if x["credit_code"] == slip.credit_code)
    assert slip.reported is not None
    assert item["suggested"] == pytest.approx(slip.reported * 10_000)
    assert item["suggested"] == pytest.approx(slip.typical, rel=0.01)
    assert "建议值" in item["message_zh"] and "suggested" in item["message_en"]


def test_scope_list_and_explain(engine: Engine, demo: DemoFiles) -> None:
    with pytest.raises(NotFound):
        quality.check_region(engine, OTHER, "450300", 2025)
    with pytest.raises(NotPermitted):
        quality.check_region(engine, user(Role.VIEWER, uid=9, region="450300"), "450300", 2025)
    quality.check_region(engine, CITY, "450300", 2025)
    everything = quality.list_findings(engine, CITY.scope, year=2025)
    assert everything["total"] > 0
    assert quality.list_findings(engine, OTHER.scope, year=2025)["total"] == 0
    warning = quality.list_findings(engine, CITY.scope, year=2025, severity="warning",
                                    state="open")["items"][0]
    with engine.connect() as conn:
        inst = get_institution(conn, warning["credit_code"])
    assert inst is not None
    mine = user(Role.INSTITUTION, uid=5, institution=inst.id)
    own = quality.list_findings(engine, mine.scope, year=2025, per_page=500)
    assert {x["credit_code"] for x in own["items"]} == {warning["credit_code"]}
    stranger = user(Role.INSTITUTION, uid=6, institution=inst.id + 1)
    with pytest.raises(NotFound):
        quality.explain(engine, stranger, warning["id"], "不是我的")
    with pytest.raises(ValidationFailed):
        quality.explain(engine, mine, warning["id"], "  ")
    done = quality.explain(engine, mine, warning["id"], "新建教学楼投入使用")
    assert done["state"] == "explained"
    error = quality.list_findings(engine, CITY.scope, year=2025, severity="error")["items"][0]
    with pytest.raises(ValidationFailed):
        quality.explain(engine, CITY, error["id"], "说明")
    # a re-run keeps the explanation
    quality.check_region(engine, CITY, "450300", 2025)
    again = quality.list_findings(engine, mine.scope, year=2025, state="explained")
    assert [x["explanation"] for x in again["items"]] == ["新建教学楼投入使用"]
    with engine.connect() as conn:
        actions = set(conn.execute(select(t.audit_log.c.action)).scalars())
    assert {"quality.explain", "quality.check_region"} <= actions


def test_save_entry_checks_the_institution(engine: Engine, demo: DemoFiles) -> None:
    planted = next(p for p in demo.planted if p.kind == "unit_wan_kwh" and p.year == 2025)
    with engine.connect() as conn:
        inst = get_institution(conn, planted.credit_code)
    assert inst is not None
    key = (planted.credit_code, 2025, planted.month, "electricity", "unit_slip_10000")
    assert key in _keys(engine)  # found by the import
    value = str(planted.typical)
    save_entry(engine, Scope.institution(inst.id), planted.credit_code, 2025, planted.month,
               [EntryValue("electricity", value, "千瓦时", None)], actor=Actor(None, "school"))
    assert key not in _keys(engine)  # corrected: the open finding is gone


def test_rule_settings(engine: Engine, demo: DemoFiles) -> None:
    quality.set_rule(engine, ADMIN, "450000", "yoy_change", {"params": {"threshold": 0.2}})
    got = quality.set_rule(engine, CITY_ADMIN, "450300", "yoy_change", {"severity": "notice"})
    rule = next(r for r in got["rules"] if r["code"] == "yoy_change")
    assert rule["effective"] == {"enabled": True, "severity": "notice",
                                 "params": {"threshold": 0.2, "min_previous": 0.0}}
    county = quality.rule_settings(engine, CITY.scope, "450321")
    rule = next(r for r in county["rules"] if r["code"] == "yoy_change")
    assert rule["effective"]["severity"] == "notice" and rule["override"] is None
    with pytest.raises(NotPermitted):
        quality.set_rule(engine, CITY, "450300", "yoy_change", {"enabled": False})
    with pytest.raises(NotFound):  # the province is above the city's subtree
        quality.set_rule(engine, CITY_ADMIN, "450000", "yoy_change", {"enabled": False})
    with pytest.raises(ValidationFailed):
        quality.set_rule(engine, ADMIN, "450300", "yoy_change", {"params": {"threshold": -1}})
    quality.set_rule(engine, CITY_ADMIN, "450300", "yoy_change", None)
    rule = next(r for r in quality.rule_settings(engine, CITY.scope, "450300")["rules"]
                if r["code"] == "yoy_change")
    assert rule["effective"]["severity"] == "warning"
    quality.check_region(engine, CITY, "450300", 2025)
    page = quality.list_findings(engine, CITY.scope, year=2025, rule_code="yoy_change",
                                 per_page=500)
    assert all(abs(x["params"]["change"]) > 0.2 for x in page["items"])


def test_reference_prices_import(engine: Engine, demo: DemoFiles, tmp_path: Path) -> None:
    good = tmp_path / "prices.csv"
    good.write_text("省级区划代码,能源品种,下限,上限,来源\n450000,电,0.45,1.2,测试\n"
                    "450000,water,2,6,测试\n", encoding="utf-8")
    assert quality.import_reference_prices(engine, ADMIN, good)["rows"] == 2
    assert len(quality.list_reference_prices(engine, "450000")) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("省级区划代码,能源品种,下限,上限,来源\n990000,电,x,1,测试\n"
                   "450000,煤气,1,0.5,测试\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        quality.import_reference_prices(engine, ADMIN, bad)
    issues = caught.value.issues
    assert {i.code for i in issues} >= {"import.unknown_region", "import.not_a_number",
                                        "import.unknown_carrier"}
    assert all(i.row in (2, 3) and i.message_zh and i.message_en for i in issues)
    assert len(quality.list_reference_prices(engine, "450000")) == 2  # nothing changed
    with pytest.raises(NotPermitted):
        quality.import_reference_prices(engine, CITY, good)
    quality.check_region(engine, CITY, "450300", 2025)
    assert quality.list_findings(engine, CITY.scope, year=2025,
                                 rule_code="unit_price_range")["total"] > 0
