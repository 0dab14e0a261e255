"""/reporting/rate, /summaries and /summaries.xlsx: the same numbers as their JSON twins."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import openpyxl
from sqlalchemy import Engine

from jieneng.core.rounding import format_number
from jieneng.storage import tables as t
from tests.web.conftest import EDU, ORGAN, OTHER, SCHOOL, SILENT, World


def _period(engine: Engine, ids: dict[str, int], states: dict[str, str]) -> int:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        period_id = conn.execute(t.reporting_period.insert().values(
            region_code="450300", kind="monthly", year=2025, month=1,
            deadline=date(2025, 2, 15), department_step=False, opened_at=now,
        ).returning(t.reporting_period.c.id)).scalar_one()
        conn.execute(t.reporting_task.insert(), [
            {"period_id": period_id, "institution_id": ids[code], "state": state}
            for code, state in states.items()])
    return int(period_id)


def _tasks(world: World) -> int:
    return _period(world.engine, world.ids, {
        ORGAN: "approved", SCHOOL: "approved", OTHER: "submitted", EDU: "not_started",
        SILENT: "returned"})


def _row_cells(html: str, row: str, measure: str) -> dict[str, str]:
    match = re.search(rf'<tr data-row="{row}" data-measure="{measure}"[^>]*>(.*?)</tr>', html,
                      re.S)
    assert match, (row, measure)
    return dict(re.findall(r'data-col="(\w+)">([^<]*)<', match.group(1)))


def test_summary_page_api_and_excel_agree(world: World) -> None:
    _tasks(world)
    client = world.login("admin")
    query = "region=450300&year=2025&kind=region"
    api = client.get(f"/api/v1/summaries?{query}")
    assert api.status_code == 200, api.text
    data = api.json()
    total = data["rows"][0]
    assert total["key"] == "total"
    assert total["cells"]["total"]["institutions"] == 2  # ORGAN and SCHOOL approved only
    assert total["cells"]["01"]["institutions"] == 1
    assert total["cells"]["02"]["institutions"] == 1
    page = client.get(f"/summaries?{query}")
    assert page.status_code == 200
    for row in data["rows"]:
        for measure in data["measures"]:
            shown = _row_cells(page.text, row["key"], measure["key"])
            digits = 0 if measure["key"] == "institutions" else 2
            assert shown == {c: format_number(v[measure["key"]], digits)
                             for c, v in row["cells"].items()}
    xlsx = client.get(f"/summaries.xlsx?{query}")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in xlsx.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    # below the form's header and its row of column numbers 甲 乙 丙 丁 1 … (issue 11 §2)
    start = next(int(r[0].row) for r in sheet.iter_rows(max_row=15) if r[0].value == "甲") + 1
    lines = list(sheet.iter_rows(min_row=start, values_only=True))
    n = 0
    for row in data["rows"]:
        for measure in data["measures"]:
            for k, column in enumerate(data["columns"]):
                value = row["cells"][column["key"]][measure["key"]]
                assert lines[n][4 + k] == (None if value is None else float(f"{value:.16G}"))
            n += 1


def test_department_and_category_summaries(world: World) -> None:
    _tasks(world)
    client = world.login("department")
    data = client.get("/api/v1/summaries?year=2025&kind=department").json()
    assert [r["key"] for r in data["rows"]] == ["total", world.ids[EDU]]
    assert data["rows"][1]["cells"]["021"]["institutions"] == 1  # SCHOOL
    page = client.get("/summaries?year=2025&kind=category")
    assert page.status_code == 200 and "分类汇总" in page.text
    assert client.get("/summaries?year=2025&kind=other").status_code == 422


def test_rate_page_and_api_agree(world: World) -> None:
    period = _tasks(world)
    client = world.login("admin")
    api = client.get(f"/api/v1/reporting/rate?period={period}").json()
    assert api["total"]["expected"] == 5
    assert api["total"]["reported"] == 3
    assert api["total"]["approved"] == 2
    assert api["total"]["reporting_rate"] == 0.6
    assert {i["credit_code"] for i in api["not_reported"]["items"]} == {EDU, SILENT}
    assert all(i["overdue"] for i in api["not_reported"]["items"])
    page = client.get(f"/reporting/rate?period={period}")
    assert page.status_code == 200
    assert 'id="total-reporting-rate">60.0%<' in page.text
    assert 'id="total-review-rate">40.0%<' in page.text
    assert EDU in page.text and SILENT in page.text
    # the county sees its part of the city's period; default period: the latest
    county = world.login("region")
    mine = county.get("/api/v1/reporting/rate").json()
    assert mine["period"]["id"] == period
    assert mine["total"] == {"expected": 3, "reported": 1, "approved": 1, "not_reported": 2,
                             "reporting_rate": 1 / 3, "review_rate": 1 / 3}
    assert county.get("/api/v1/reporting/rate?period=999999").status_code == 404
    viewer = world.login("viewer")
    seen = viewer.get(f"/reporting/rate?period={period}")
    assert seen.status_code == 200 and SILENT not in seen.text and EDU not in seen.text
