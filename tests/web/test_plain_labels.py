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
