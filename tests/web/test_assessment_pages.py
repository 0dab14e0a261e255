"""The performance assessment pages (issue 14 §4) and their JSON twins: the list with
the open form (capability ``manage_assessments``), a run's ranking with blocks, grade
counts and item breakdown, the hand-scoring form (a score over the maximum refused
naming sheet, subject and item; what was typed kept; nothing stored), recompute,
confirm, the workbook (formula-safe) and the 公文."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.web.conftest import ROLES, World, csrf


@pytest.mark.parametrize("role", ROLES)
def test_list_as_every_role(world: World, role: str) -> None:
    client = world.login(role)
    page = client.get("/assessments")
    assert page.status_code == 200 and 'data-sheet="county_energy"' in page.text
    assert "/targets/assessment" in page.text
    assert ('id="open-form"' in page.text) == (role in ("admin", "region_admin", "region"))
    data = client.get("/api/v1/assessments").json()
    assert {"county_energy", "unit_energy"} <= {s["code"] for s in data["sheets"]}
    sheet = client.get("/api/v1/assessments/sheets/county_energy").json()
    assert sheet["total"] == 100 and all(r["status"] for r in sheet["rows"]
                                         if r["kind"] in ("item", "grade"))
    assert client.get("/assessments/sheets/county_energy").status_code == 200


def test_open_score_export_confirm(world: World) -> None:
    client = world.login("region")  # 阳朔县: its units
    refused = client.post("/assessments/open", data={
        "csrf_token": csrf(client), "code": "unit_energy", "region_code": "450321",
        "year": "1800"})
    assert refused.status_code == 422 and 'value="1800"' in refused.text
    opened = client.post("/assessments/open", data={
        "csrf_token": csrf(client), "code": "unit_energy", "region_code": "450321",
        "year": "2025"})
    assert opened.status_code == 303
    url = opened.headers["location"]
    run_id = int(url.rsplit("/", 1)[1])
    page = client.get(url)
    assert page.status_code == 200 and 'id="ranking"' in page.text
    data = client.get(f"/api/v1/assessments/{run_id}").json()
    first = data["rows"][0]["subject_key"]
    form = client.get(f"{url}/score")
    assert form.status_code == 200 and f"score__{first}__management.waste" in form.text
    over = client.post(f"{url}/score", data={
        "csrf_token": csrf(client), f"score__{first}__management.waste": "9",
        f"note__{first}__management.waste": "typed note"})
    assert over.status_code == 422 and "typed note" in over.text and 'value="9"' in over.text
    assert client.get(f"/api/v1/assessments/{run_id}/score").json()["subjects"][0][
        "scores"]["management.waste"]["score"] is None
    saved = client.post(f"{url}/score", data={
        "csrf_token": csrf(client), f"score__{first}__management.waste": "5",
        f"note__{first}__management.waste": "=HYPERLINK(\"x\")"})
    assert saved.status_code == 303
    book = load_workbook(io.BytesIO(client.get(f"{url}.xlsx").content))
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert "'=HYPERLINK(\"x\")" in cells or "=HYPERLINK(\"x\")" not in cells
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in cells)
    doc = Document(io.BytesIO(client.get(f"{url}.docx").content))
    assert any("考核结果" in p.text for p in doc.paragraphs)
    assert client.post(f"{url}/compute", data={"csrf_token": csrf(client)}).status_code == 303
    assert client.post(f"{url}/confirm", data={"csrf_token": csrf(client)}).status_code == 303
    again = client.post(f"{url}/compute", data={"csrf_token": csrf(client)})
    assert again.status_code == 422
    viewer = world.login("viewer")  # 秀峰区: none of 阳朔县's units
    assert viewer.get(url).status_code == 404
    school = world.login("institution")  # a unit of 阳朔县: its own row, once confirmed
    own = school.get(f"/api/v1/assessments/{run_id}").json()
    assert own["view"] == "own" and len(own["rows"]) == 1
    assert school.get(f"{url}/score").status_code == 403


def test_the_assessed_read_their_own_rows_once_confirmed(world: World) -> None:
    from jieneng.services.assessments.runs import confirm_run, open_run

    admin = world.users["admin"]
    run_id = open_run(world.engine, admin, code="county_energy", region_code="450300",
                      year=2024)["id"]
    url = f"/assessments/{run_id}"
    yangshuo = world.login("region")
    assert yangshuo.get(url).status_code == 404  # a draft stays with the assessors
    assert f'data-run="{run_id}"' not in yangshuo.get("/assessments").text
    confirm_run(world.engine, admin, run_id)
    listed = yangshuo.get("/api/v1/assessments").json()["runs"]
    assert any(r["id"] == run_id and r["view"] == "own" for r in listed)
    page = yangshuo.get(url)
    assert page.status_code == 200 and 'id="own-view"' in page.text
    assert "阳朔县" in page.text and "灵川县" not in page.text and 'id="compute"' not in page.text
    data = yangshuo.get(f"/api/v1/assessments/{run_id}").json()
    assert [r["subject_key"] for r in data["rows"]] == ["450321"] and data["total"] == 1
    assert sum(g["count"] for g in data["grades"]) == data["run"]["subjects"] > 1
    book = load_workbook(io.BytesIO(yangshuo.get(f"{url}.xlsx").content))
    cells = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert "阳朔县" in cells and "灵川县" not in cells
    doc = Document(io.BytesIO(yangshuo.get(f"{url}.docx").content))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables
                                                         for r in t.rows for c in r.cells])
    assert "阳朔县" in text and "灵川县" not in text
    viewer = world.login("viewer")  # 秀峰区 reads its own row like any caller of its scope
    seen = viewer.get(f"/api/v1/assessments/{run_id}").json()
    assert [r["subject_key"] for r in seen["rows"]] == ["450302"]
    assert world.login("institution").get(url).status_code == 404  # no unit is a county
    assert world.login("admin").get(f"/api/v1/assessments/{run_id}").json()["view"] == "all"


def test_the_ranking_and_the_form_page(world: World) -> None:
    client = world.login("admin")
    from jieneng.services.assessments.runs import open_run

    run_id = open_run(world.engine, world.users["admin"], code="unit_energy",
                      region_code="450300", year=2023)["id"]
    first = client.get(f"/api/v1/assessments/{run_id}").json()
    total = first["total"]
    assert first["per_page"] == 100 and len(first["rows"]) == min(total, 100)
    if total > 100:
        second = client.get(f"/api/v1/assessments/{run_id}", params={"page": 2}).json()
        assert second["rows"][0]["rank"] >= first["rows"][-1]["rank"]
    form = client.get(f"/api/v1/assessments/{run_id}/score").json()
    assert form["total"] == total and len(form["subjects"]) == min(total, 100)
    book = load_workbook(io.BytesIO(client.get(f"/assessments/{run_id}.xlsx").content))
    assert book.worksheets[0].max_row >= total
