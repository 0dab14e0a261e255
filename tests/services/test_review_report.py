"""The 会审 report on both databases: completeness from reporting_task, findings by rule
and resolution, institutions with unresolved warnings, accuracy from spot checks; the
Word document."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine

from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Role
from jieneng.core.scope import Scope
from jieneng.reports.review_report import review_report_docx
from jieneng.services.quality.review_report import review_report
from jieneng.services.quality.spot_checks import create_spot_check, record_verified
from tests.services.spot_world import (
    SpotWorld,
    add_finding,
    add_period,
    add_tasks,
    load,
    user,
)

ADMIN = user(Role.ADMIN)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> SpotWorld:
    w = load(engine, tmp_path)
    xiufeng, yangshuo = w.codes("450302"), w.codes("450321")
    jan = add_period(engine, "450300", 2025, 1)
    # 秀峰区: 15 tasks, 10 approved, 2 submitted, 3 not started; 阳朔县: 8 tasks, 4 returned
    states = {w.ids[c]: "approved" for c in xiufeng[:10]}
    states |= {w.ids[c]: "submitted" for c in xiufeng[10:12]}
    states |= {w.ids[c]: "not_started" for c in xiufeng[12:]}
    states |= {w.ids[c]: "returned" for c in yangshuo[:4]}
    states |= {w.ids[c]: "approved" for c in yangshuo[4:]}
    add_tasks(engine, jan, states)
    a, b = w.ids[xiufeng[0]], w.ids[xiufeng[1]]
    s = w.ids[yangshuo[0]]
    add_finding(engine, a, "yoy_change", "warning", "open")
    add_finding(engine, a, "yoy_change", "warning", "open", carrier="water")
    add_finding(engine, b, "yoy_change", "warning", "explained")
    add_finding(engine, s, "yoy_change", "warning", "open")
    add_finding(engine, s, "negative_value", "error", "resolved")
    add_finding(engine, b, "missing_month", "error", "open", year=2024)  # another year
    return w


def test_report_figures(world: SpotWorld) -> None:
    report = review_report(world.engine, Scope.everything(), region_code="450300", year=2025)
    assert report["region_name"] == "桂林市"
    c = report["completeness"]
    total = c["total"]
    assert (total["expected"], total["reported"], total["approved"]) == (23, 16, 14)
    assert total["reporting_rate"] == pytest.approx(16 / 23)
    rows = {r["region_code"]: r for r in c["regions"]}
    assert rows["450302"]["reporting_rate"] == pytest.approx(12 / 15)
    assert rows["450321"]["approval_rate"] == pytest.approx(4 / 8)
    assert c["periods"] == {"monthly": 1}
    rules = {(r["rule"], r["severity"]): r for r in report["findings"]["rules"]}
    assert set(rules) == {("yoy_change", "warning"), ("negative_value", "error")}
    yoy = rules[("yoy_change", "warning")]
    assert (yoy["open"], yoy["explained"], yoy["resolved"], yoy["total"]) == (3, 1, 0, 4)
    assert report["findings"]["rules"][0]["severity"] == "error"  # errors first
    assert report["findings"]["total"]["total"] == 5
    warned = report["unresolved_warnings"]
    assert [w["credit_code"] for w in warned] == [world.codes("450302")[0],
                                                  world.codes("450321")[0]]
    assert warned[0]["open_warnings"] == 2 and warned[0]["rules"] == ["yoy_change"]
    assert report["accuracy"]["total"]["verified"] == 0
    assert report["accuracy"]["total"]["accuracy_rate"] is None


def test_report_scoped_to_a_county(world: SpotWorld) -> None:
    county = Scope.region("450321")
    report = review_report(world.engine, county, region_code="450321", year=2025)
    assert report["completeness"]["total"]["expected"] == 8
    assert [w["credit_code"] for w in report["unresolved_warnings"]] == [
        world.codes("450321")[0]]
    with pytest.raises(NotFound):
        review_report(world.engine, county, region_code="450300", year=2025)
    with pytest.raises(NotFound):
        review_report(world.engine, county, region_code="450302", year=2025)


def test_accuracy_from_spot_checks(world: SpotWorld) -> None:
    annual = add_period(world.engine, "450300", 2025)
    add_tasks(world.engine, annual, {world.ids[c]: "approved" for c in world.codes()})
    check = create_spot_check(world.engine, ADMIN, region_code="450300", year=2025,
                              share=1.0, seed=9)
    seen: set[int] = set()
    for item in check["items"]:
        if item["institution_id"] in seen or item["region_code"] != "450321":
            continue
        seen.add(item["institution_id"])
        factor = 1.0 if len(seen) <= 3 else 1.2
        record_verified(world.engine, ADMIN, spot_check_id=check["id"],
                        institution_id=item["institution_id"], carrier_code=item["carrier"],
                        verified=item["reported"] * factor)
    report = review_report(world.engine, Scope.everything(), region_code="450300", year=2025)
    acc = report["accuracy"]
    assert acc["spot_checks"] == 1
    assert (acc["total"]["sampled"], acc["total"]["verified"], acc["total"]["accurate"]) == (
        23, 8, 3)
    county = review_report(world.engine, Scope.region("450321"), region_code="450321",
                           year=2025)["accuracy"]
    assert county["total"]["accuracy_rate"] == pytest.approx(3 / 8)


def test_word_document(world: SpotWorld) -> None:
    report = review_report(world.engine, Scope.everything(), region_code="450300", year=2025)
    labels = {"review.title": "数据会审报告", "review.total": "合计",
              "review.doc_title": "{region}{year}年度数据会审报告"}
    data = review_report_docx(report, lambda key: labels.get(key, key))
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    assert "桂林市" in text and "数据会审报告" in text
    assert "69.6%" in cells  # 16 / 23
    assert world.codes("450302")[0] in cells
    assert 'w:eastAsia="仿宋_GB2312"' in doc.styles["Normal"].element.xml


def test_word_document_names_rules_not_codes(world: SpotWorld) -> None:
    from functools import partial

    from jieneng.core.messages import text as catalogue_text
    from tests.reports.docx_checks import internal_keys

    report = review_report(world.engine, Scope.everything(), region_code="450300", year=2025)
    for lang in ("zh-CN", "en"):
        blob = review_report_docx(report, partial(catalogue_text, lang), english=lang == "en")
        assert internal_keys(blob, english=lang == "en") == [], lang
    doc = Document(io.BytesIO(review_report_docx(report, partial(catalogue_text, "zh-CN"))))
    assert doc.paragraphs[2].text == "桂林市2025年度数据会审报告"
    assert doc.paragraphs[3].text == "一、数据完整性"
    assert abs(doc.sections[0].page_height - 10692000) <= 635        # 297 mm
