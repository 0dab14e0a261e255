"""本级 (a region's own units) after a decomposition: its share of the cap is followed
as a row of its own — allocated, actual, ratio, status — in the target progress, the
year-end assessment, its workbook and its Word document (issue 11 §1)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from docx import Document
from sqlalchemy import Engine

from jieneng.core.caller import Actor, User
from jieneng.reports.annual_report import assessment_xlsx
from jieneng.reports.assessment_document import assessment_docx, counts
from jieneng.services.accounts.accounts import create_user
from jieneng.services.targets import progress, targets
from jieneng.storage.consumption import write_consumption
from tests.storage._data import figures, load_directory

#: 当量值 of electricity [kgce/kWh] (GB/T 2589, data/factors/coefficients.csv)
KGCE_PER_KWH = 0.1229


@pytest.fixture
def city(engine: Engine) -> User:
    """杭州市 (330100): its own unit (institution 1, 本级) and two districts' units;
    2024 January as the decomposition's base, all twelve months of 2025."""
    with engine.begin() as conn:
        ids = load_directory(conn)
        rows = [(ids[1], 2024, 1, "electricity", 50_000.0, None),    # 330100 本级
                (ids[2], 2024, 1, "electricity", 100_000.0, None),   # 330102
                (ids[4], 2024, 1, "electricity", 300_000.0, None)]   # 330106
        rows += [(ids[1], 2025, m, "electricity", 5_000.0, None) for m in range(1, 13)]
        rows += [(ids[2], 2025, m, "electricity", 10_000.0, None) for m in range(1, 13)]
        write_consumption(conn, figures(rows), source="manual", import_id=None)
    admin = create_user(engine, Actor.cli(), username="admin1", password="Pass-Word-123",
                        role="admin")
    targets.set_target(engine, admin, region_code="330100", year=2025, metric="energy_tce",
                       value=100.0)
    targets.decompose(engine, admin, region_code="330100", year=2025, metric="energy_tce",
                      overrides={"330100": 5.0})
    return admin


def test_progress_has_a_row_for_the_own_units(engine: Engine, city: User) -> None:
    items = progress.region_progress(engine, city, region_code="330100", year=2025)["items"]
    cap = next(i for i in items if i["region_code"] == "330100" and not i["own_level"])
    own = next(i for i in items if i["own_level"])
    assert items.index(own) == items.index(cap) + 1      # right after the cap it came from
    assert own["region_name"] == "杭州市（本级）" and own["source"] == "own_level"
    assert own["target_id"] == cap["target_id"] and own["kind"] == "cap"
    # 12 × 5,000 kWh × 0.1229 kgce/kWh = 7.374 tce against 5 tce: 147.48 %, over
    assert own["value"] == own["limit"] == 5.0
    assert own["actual"] == pytest.approx(60_000 * KGCE_PER_KWH / 1000)
    assert own["ratio"] == pytest.approx(1.4748)
    assert own["status"] == "over" and own["months"] == 12
    # the city's cap counts all its units: (60,000 + 120,000) kWh = 22.122 tce, 22.122 %
    assert cap["actual"] == pytest.approx(180_000 * KGCE_PER_KWH / 1000)
    assert cap["ratio"] == pytest.approx(0.22122)
    district = next(i for i in items if i["region_code"] == "330102")
    assert district["actual"] == pytest.approx(120_000 * KGCE_PER_KWH / 1000)
    assert district["ratio"] == pytest.approx(district["actual"] / district["value"])
    # a county's page has no 本级 row (no decomposition of its own)
    below = progress.region_progress(engine, city, region_code="330102", year=2025)["items"]
    assert not any(i["own_level"] for i in below)


def test_assessment_workbook_and_document_show_the_own_units(engine: Engine,
                                                             city: User) -> None:
    data = progress.assessment(engine, city, region_code="330100", year=2025)
    first = data["rows"][0]
    assert first["own_level"] is True and first["region_name"] == "杭州市（本级）"
    target = first["targets"][0]
    assert (target["value"], target["met"]) == (5.0, False) and not first["all_met"]
    assert target["ratio"] == pytest.approx(1.4748)
    assert [r["region_code"] for r in data["rows"][1:]] == ["330102", "330106"]
    assert all(not r["own_level"] for r in data["rows"][1:])
    assert counts(data)["regions"] == 2 and counts(data)["targets"] == 3
    # the workbook: the same row with its ratio as a percentage
    sheet = openpyxl.load_workbook(io.BytesIO(assessment_xlsx(data))).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in values if "占上限比例" in r)
    line = next(r for r in values if "杭州市（本级）" in r)
    assert line[header.index("目标值")] == 5.0
    assert line[header.index("实际")] == pytest.approx(7.374)
    assert line[header.index("占上限比例")] == pytest.approx(1.4748)
    assert sheet.cell(values.index(line) + 1, header.index("占上限比例") + 1
                      ).number_format.endswith("%")
    # the Word document: the same figures, the summary names the own units
    doc = Document(io.BytesIO(assessment_docx(data)))
    cells = [[c.text for c in row.cells] for table in doc.tables for row in table.rows]
    own = next(r for r in cells if r[0] == "杭州市（本级）")
    assert own[2] == "实际7.37 / 上限5.00（147.5%）" and own[3] == "未完成"
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "共考核2个地区及本级单位的3项目标" in body
    assert "杭州市（本级）" in body  # among those that missed a target
