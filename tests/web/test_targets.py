"""/targets, /alerts, /quotas and the annual 通报 downloads: forms with CSRF, the
same numbers as the JSON twins, roles."""

from __future__ import annotations

import io

import pytest
from docx import Document

from jieneng.core.rounding import format_number
from tests.web.conftest import World, csrf


def test_set_decompose_lock_through_the_pages(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    # a cap for the city, then a preview and a saved decomposition among its counties
    response = admin.post("/targets", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce",
        "value": "1,000", "back": "450300"})
    assert response.status_code == 303
    preview = admin.post("/targets/decompose", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce"})
    assert preview.status_code == 200 and 'id="preview"' in preview.text
    assert admin.post("/targets/decompose", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce",
        "save": "1"}).status_code == 303
    twin = admin.get("/api/v1/targets?region=450300&year=2025").json()
    sources = {i["region_code"]: i["source"] for i in twin["items"]}
    assert sources["450300"] == "manual" and sources["450321"] == "decomposed"
    page = admin.get("/targets?region=450300&year=2025").text
    city = next(p for p in twin["progress"] if p["region_code"] == "450300")
    assert format_number(city["actual"], 2) in page
    # a reduction entered in percent is stored as a fraction
    admin.post("/targets", data={
        "csrf_token": token, "region_code": "450321", "year": "2025",
        "metric": "energy_per_capita_kgce", "value": "1.1", "back": "450300"})
    twin = admin.get("/api/v1/targets?region=450300&year=2025").json()
    assert any(i["metric"] == "energy_per_capita_kgce" and abs(i["value"] - 0.011) < 1e-12
               for i in twin["items"])
    # locked: a change is refused beside the form, then reopened
    assert admin.post("/targets/lock", data={
        "csrf_token": token, "region_code": "450300", "year": "2025"}).status_code == 303
    refused = admin.post("/targets", data={
        "csrf_token": token, "region_code": "450321", "year": "2025", "metric": "energy_tce",
        "value": "5", "back": "450300"})
    assert refused.status_code == 409 and "锁定" in refused.text  # a Conflict, as the twin
    assert 'value="5"' in refused.text  # what was typed stays
    assert admin.post("/targets/lock", data={
        "csrf_token": token, "region_code": "450300", "year": "2025",
        "reopen": "1"}).status_code == 303
    # without the CSRF token nothing happens
    assert admin.post("/targets/lock", data={
        "region_code": "450300", "year": "2025"}).status_code == 403


def test_roles_and_api(world: World) -> None:
    viewer = world.login("viewer")
    response = viewer.post("/api/v1/targets", json={
        "region_code": "450302", "year": 2025, "metric": "energy_tce", "value": 1.0},
        headers={"X-CSRF-Token": csrf(viewer)})
    assert response.status_code in (403, 404)
    county = world.login("region")  # 阳朔县 (450321)
    response = county.post("/api/v1/targets", json={
        "region_code": "450321", "year": 2025, "metric": "energy_tce", "value": 1.0},
        headers={"X-CSRF-Token": csrf(county)})
    assert response.status_code == 403            # not its own target
    assert response.json()["error"]["kind"] == "not_permitted"
    assert response.json()["error"]["code"] == "targets.office_above_only"
    admin = world.login("admin")
    response = admin.post("/api/v1/targets/decompose", json={
        "region_code": "450300", "year": 2025, "metric": "water_m3"},
        headers={"X-CSRF-Token": csrf(admin)})
    assert response.status_code == 404            # no parent cap to decompose


def test_alerts_quotas_and_the_annual_document(world: World) -> None:
    admin = world.login("admin")
    assert admin.get("/alerts?region=450300").status_code == 200
    assert admin.get("/api/v1/alerts?region=450300").json()["items"] == []
    quotas = admin.get("/api/v1/quotas/positions?region=450300&year=2025").json()
    assert quotas["items"] == [] and admin.get("/quotas?year=2025").status_code == 200
    response = admin.get("/reports/annual.docx?region=450300&year=2025")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    overview = admin.get("/api/v1/overview?region=450300&year=2025").json()
    assert "2025年度公共机构能源资源消费情况通报" in text
    tables = Document(io.BytesIO(response.content)).tables
    first_row = [c.text for c in tables[0].rows[1].cells]
    assert first_row[2] == format_number(overview["energy_tce"], 2)
    assert admin.get("/reports/annual.xlsx?region=450300&year=2025").status_code == 200


def test_quota_method_form_and_twin(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    preview = admin.post("/targets/quota-method", data={
        "csrf_token": token, "region_code": "450300", "year": "2026"})
    assert preview.status_code == 200 and 'id="quota-plan"' in preview.text
    twin = admin.post("/api/v1/targets/quota-method", json={
        "region_code": "450300", "year": 2026}, headers={"X-CSRF-Token": token}).json()
    assert twin["items"] == [] and twin["saved"] is False   # no quota assigned here
    listed = admin.get("/api/v1/targets/institutions?region=450300&year=2026").json()
    assert listed["items"] == []


def test_assessment_workbook_equals_its_twin(world: World) -> None:
    import openpyxl

    admin = world.login("admin")
    token = csrf(admin)
    admin.post("/targets", data={"csrf_token": token, "region_code": "450321", "year": "2025",
                                 "metric": "energy_tce", "value": "100", "back": "450300"})
    twin = admin.get("/api/v1/targets/assessment?region=450300&year=2025").json()
    [row] = twin["rows"]
    book = openpyxl.load_workbook(io.BytesIO(admin.get(
        "/targets/assessment.xlsx?region=450300&year=2025").content))
    sheet = book["目标考核"]
    # below the title and the scope / period / basis lines (issue 11 §2): the header
    head = next(r[0].row for r in sheet.iter_rows(max_row=10) if r[0].value == "地区代码")
    col = {c.value: c.column for c in sheet[head]}
    assert sheet.cell(head + 1, 1).value == "450321"
    # xlsxwriter stores 15 significant digits
    assert sheet.cell(head + 1, col["实际"]).value == pytest.approx(
        row["targets"][0]["actual"], rel=1e-14)
    assert sheet.cell(head + 1, col["实际"]).number_format == "#,##0.00"
    assert sheet.cell(head + 1, col["考核结果"]).value == (
        "完成" if row["targets"][0]["met"] else "未完成")


def test_sheets_and_quota_assignment_through_the_api(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    headers = {"X-CSRF-Token": token}
    sheet = "行政区划代码,年份,指标,目标值\n450321,2026,能源消费总量,120\n".encode()
    response = admin.post("/api/v1/targets/import", headers=headers,
                          files={"file": ("targets.csv", sheet, "text/csv")})
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 1
    bad = admin.post("/api/v1/targets/import", headers=headers, files={
        "file": ("t.csv", "行政区划代码,年份,指标,目标值\n450321,2026,能耗,1\n".encode(),
                 "text/csv")})
    assert bad.status_code == 422 and bad.json()["error"]["kind"] == "import_rejected"
    table = ("指标,机构类型,气候区,约束值,基准值,引导值,单位\n"
             "人均综合能耗,演示,,40,30,20,kgce/人\n").encode()
    county = world.login("region")
    refused = county.post("/api/v1/quotas/import", headers={"X-CSRF-Token": csrf(county)},
                          data={"code": "T", "title": "t", "source": "s"},
                          files={"file": ("q.csv", table, "text/csv")})
    assert refused.status_code == 403
    done = admin.post("/api/v1/quotas/import", headers=headers,
                      data={"code": "T", "title": "t", "source": "s"},
                      files={"file": ("q.csv", table, "text/csv")})
    assert done.status_code == 200 and done.json()["inserted"] == 1
    [quota] = admin.get("/api/v1/quotas").json()["items"]
    assigned = admin.post("/api/v1/quotas/assign", headers=headers, json={
        "quota_id": quota["id"], "region_code": "450300", "category": "021"})
    assert assigned.status_code == 200
    positions = admin.get("/api/v1/quotas/positions?region=450300&year=2025").json()
    assert {i["quota_id"] for i in positions["items"]} == {quota["id"]}


def test_assessment_sorts_unmet_first(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    for region, value in (("450302", "1000000"), ("450321", "0.001")):   # met / not met
        admin.post("/targets", data={"csrf_token": token, "region_code": region,
                                     "year": "2025", "metric": "energy_tce", "value": value,
                                     "back": "450300"})
    by_code = admin.get("/api/v1/targets/assessment?region=450300&year=2025").json()["rows"]
    assert [r["region_code"] for r in by_code] == ["450302", "450321"]
    unmet = admin.get("/api/v1/targets/assessment?region=450300&year=2025&sort=unmet").json()
    assert [r["all_met"] for r in unmet["rows"]] == [False, True]
    assert admin.get("/targets/assessment?region=450300&year=2025&sort=met").status_code == 200
    assert admin.get("/api/v1/targets/assessment?sort=sideways").status_code == 422


def test_quota_and_decomposition_forms(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    table = ("指标,机构类型,气候区,约束值,基准值,引导值,单位\n"
             "人均综合能耗,演示,,40,30,20,kgce/人\n").encode()
    missing = admin.post("/quotas/import", data={"csrf_token": token, "code": "T"},
                         files={"file": ("q.csv", table, "text/csv")})
    assert missing.status_code == 422 and "title" in missing.text
    done = admin.post("/quotas/import", data={"csrf_token": token, "code": "T", "title": "t",
                                              "source": "s"},
                      files={"file": ("q.csv", table, "text/csv")})
    assert done.status_code == 303
    [quota] = admin.get("/api/v1/quotas").json()["items"]
    assert admin.post("/quotas/assign", data={
        "csrf_token": token, "quota_id": str(quota["id"]), "region_code": "450300",
        "category": "021"}).status_code == 303
    assert admin.post("/quotas/assign", data={
        "csrf_token": token, "quota_id": str(quota["id"]), "region_code": "450300",
        "category": "99"}).status_code == 422
    # decomposition with an override and a child factor typed in the form's table
    admin.post("/targets", data={"csrf_token": token, "region_code": "450300", "year": "2025",
                                 "metric": "energy_tce", "value": "100", "back": "450300"})
    preview = admin.post("/targets/decompose", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce",
        "override_450302": "60", "factor_450321": "0.5"})
    assert preview.status_code == 200 and 'id="preview"' in preview.text
    assert ">60.00 *<" in preview.text
    bad = admin.post("/targets/decompose", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce",
        "override_450302": "200"})
    assert bad.status_code == 422 and "超出" in bad.text
    assert 'name="override_450302" size="10" inputmode="decimal" value="200"' in bad.text
    garbled = admin.post("/targets/decompose", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce",
        "category_factors": "01:1.1"})
    assert garbled.status_code == 422 and "代码=数值" in garbled.text
    not_a_number = admin.post("/targets/decompose", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce",
        "factor_450321": "半"})
    assert not_a_number.status_code == 422 and "“半”无效" in not_a_number.text


def test_the_assessment_page_links_its_word_document(world: World) -> None:
    """/targets/assessment offers 导出 Word beside 导出 Excel; the download is the 公文
    of the same region and year (A4), named in Chinese."""
    admin = world.login("admin")
    page = admin.get("/targets/assessment?region=450300&year=2025").text
    href = "/targets/assessment.docx?region=450300&amp;year=2025&amp;sort=region"
    assert f'href="{href}"' in page and "导出 Word" in page
    response = admin.get(href.replace("&amp;", "&"))
    assert response.status_code == 200
    assert "wordprocessingml" in response.headers["content-type"]
    assert "filename*=UTF-8''%E6%A1%82%E6%9E%97%E5%B8%82" in response.headers[
        "content-disposition"]                                  # 桂林市…
    doc = Document(io.BytesIO(response.content))
    assert abs(doc.sections[0].page_width - 7560000) <= 635     # A4
    assert "桂林市2025年度公共机构能源资源消费目标考核结果" in [p.text for p in doc.paragraphs]
    english = admin.get("/targets/assessment.docx?region=450300&year=2025&lang=en")
    assert english.status_code == 200


def test_the_own_units_share_in_page_twin_workbook_and_document(world: World) -> None:
    """本级 after a decomposition (issue 11 §1): /targets and /targets/assessment show
    the city's own units as a row of their own with the same allocated, actual, ratio
    and status as the twins, the workbook and the Word document."""
    import openpyxl

    admin = world.login("admin")
    token = csrf(admin)
    admin.post("/targets", data={"csrf_token": token, "region_code": "450300", "year": "2025",
                                 "metric": "energy_tce", "value": "1,000", "back": "450300"})
    assert admin.post("/targets/decompose", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce",
        "override_450300": "40", "save": "1"}).status_code == 303
    own = next(p for p in admin.get("/api/v1/targets?region=450300&year=2025").json()[
        "progress"] if p["own_level"])
    assert own["region_name"] == "桂林市（本级）" and own["value"] == 40.0
    assert own["ratio"] == pytest.approx(own["actual"] / 40.0)
    page = admin.get("/targets?region=450300&year=2025").text
    row = page[page.index('<tr data-own-level="true"><th scope="row">桂林市（本级）'):]
    row = row[:row.index("</tr>")]
    assert format_number(own["actual"], 2) in row
    assert f'{format_number(own["ratio"] * 100, 1)}%' in row
    twin = admin.get("/api/v1/targets/assessment?region=450300&year=2025").json()
    first = twin["rows"][0]
    assert first["own_level"] and first["region_code"] == "450300"
    target = first["targets"][0]
    assert target["actual"] == pytest.approx(own["actual"]) and target["value"] == 40.0
    assessment = admin.get("/targets/assessment?region=450300&year=2025").text
    assert 'data-region="450300" data-own-level="true"' in assessment
    assert f'{format_number(target["ratio"] * 100, 1)}%' in assessment
    book = openpyxl.load_workbook(io.BytesIO(admin.get(
        "/targets/assessment.xlsx?region=450300&year=2025").content))
    sheet = book["目标考核"]
    head = next(r[0].row for r in sheet.iter_rows(max_row=10) if r[0].value == "地区代码")
    col = {c.value: c.column for c in sheet[head]}
    assert sheet.cell(head + 1, col["地区"]).value == "桂林市（本级）"
    assert sheet.cell(head + 1, col["目标值"]).value == 40.0
    assert sheet.cell(head + 1, col["占上限比例"]).value == pytest.approx(target["ratio"])
    doc = Document(io.BytesIO(admin.get(
        "/targets/assessment.docx?region=450300&year=2025").content))
    cells = [[c.text for c in r.cells] for table in doc.tables for r in table.rows]
    line = next(r for r in cells if r[0] == "桂林市（本级）")
    assert line[2] == (f'实际{format_number(target["actual"], 2)} / 上限40.00'
                       f'（{format_number(target["ratio"] * 100, 1, thousands=False)}%）')
