"""No internal codes where a person reads (usability review, "raw codes in the UI")."""

from __future__ import annotations

from tests.web.conftest import SCHOOL, World


def test_entry_form_names_where_a_figure_came_from(world: World) -> None:
    page = world.login("institution").get(f"/entry/{SCHOOL}/2025/1")
    assert page.status_code == 200
    assert "已存第 1 版（文件导入）" in page.text and "（file）" not in page.text


def test_quality_rules_name_parameters_not_codes(world: World) -> None:
    page = world.login("region").get("/quality/rules", params={"region": "450321"})
    assert page.status_code == 200
    assert "阳朔县" in page.text
    for code in ("lookback_months", "min_months", "min_previous", "<code>", "peer_bounds()"):
        assert code not in page.text, code
    assert "回看月数" in page.text and 'data-rule="missing_month"' in page.text


def test_overview_notes_in_one_language(world: World) -> None:
    from jieneng.web.i18n import one_language
    assert one_language("中文说明 / English note", "zh-CN") == "中文说明"
    assert one_language("中文说明 / English note", "en") == "English note"
    assert one_language("kgce/m² only", "en") == "kgce/m² only"
    office = world.login("region")
    zh = office.get("/overview", params={"region": "450321", "year": "2025"})
    assert zh.status_code == 200
    assert "单位建筑面积能耗和碳排放不含车辆用油" in zh.text
    assert "exclude vehicle fuel" not in zh.text
    en = office.get("/overview", params={"region": "450321", "year": "2025", "lang": "en"})
    assert "exclude vehicle fuel" in en.text and "不含车辆用油" not in en.text


def test_factor_set_editions_in_the_page_language(world: World) -> None:
    page = world.login("admin").get("/admin/factor-sets")
    assert "Chongqing 13th FYP" not in page.text and "重庆市" in page.text


def test_the_public_screen_speaks_chinese_unless_asked(world: World) -> None:
    anonymous = world.client()
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    page = anonymous.get("/screen/450321", headers=english_browser)
    assert '<html lang="zh-CN">' in page.text and "尚未发布" in page.text
    assert "Nothing published yet" not in page.text
    asked = anonymous.get("/screen/450321", params={"lang": "en"}, headers=english_browser)
    assert "Nothing published yet" in asked.text


def test_quotas_page_names_indicators_and_pages_its_rows(world: World) -> None:
    from jieneng.web.targets.quotas import _page_of
    rows = [{"position": "below_guide" if i % 3 else "above_constraint"} for i in range(250)]
    context = {"data": {"items": rows}}
    first = _page_of(context, "", 1)
    assert len(first["data"]["items"]) == 100 and first["listing"]["pages"] == 3
    above = _page_of(context, "above_constraint", 9)
    assert above["listing"] == {"position": "above_constraint", "page": 1, "pages": 1,
                                "total": 84}
    admin = world.login("admin")
    page = admin.get("/quotas", params={"year": "2025", "position": "below_guide", "page": 2})
    assert page.status_code == 200 and 'id="position-filter"' in page.text
    assert admin.get("/quotas", params={"position": "x%"}).status_code == 422


def test_a_statisticians_template_names_its_own_unit(world: World, tmp_path: object) -> None:
    import io

    from openpyxl import load_workbook
    response = world.login("institution").get("/import/template/consumption")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["数据"]
    rows = list(sheet.iter_rows(values_only=True))
    assert "柴油-车辆用油(升)" in rows[0] and "煤炭(吨)" in rows[0]
    assert {r[0] for r in rows[1:]} == {SCHOOL} and [r[3] for r in rows[1:]] == [1, 2]


def test_import_problems_in_the_page_language(world: World, tmp_path: object) -> None:
    from tests.web.conftest import csrf
    client = world.login("institution")
    bad = "统一社会信用代码,年,月,电(千瓦时)\n" + f"{SCHOOL},2025,13,100\n"
    page = client.post("/import", data={"csrf_token": csrf(client), "kind": "consumption",
                                        "dry_run": "1"},
                       files={"file": ("bad.csv", bad.encode("utf-8"), "text/csv")})
    assert 'id="issues"' in page.text
    assert "Problem (English)" not in page.text and "问题" in page.text


def test_a_school_is_offered_only_what_it_may_import(world: World) -> None:
    school = world.login("institution").get("/import")
    assert "/import/template/consumption" in school.text
    assert "/import/template/regions" not in school.text
    assert "/import/template/institutions" not in school.text
    assert 'value="regions"' not in school.text
    admin = world.login("admin").get("/import")
    assert "/import/template/regions" in admin.text and 'value="institutions"' in admin.text
