"""The checks pages: the draw form pre-filled at the rule's rate, a draw below it refused
with the typed rate kept (nothing stored), the draw, the sample and its twin; 回头看 and
coverage pages with their twins and workbooks, in both languages."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from jieneng.services.campaigns.rounds import open_round
from jieneng.services.campaigns.schemes import install_shipped
from tests.web.conftest import EDU, ORGAN, OTHER, SCHOOL, World, csrf


def _round(world: World) -> int:
    admin = world.users["admin"]
    install_shipped(world.engine, admin)
    opened = open_round(world.engine, admin, "canteen_food_waste", "450300", 2025,
                        title="食堂评估")
    return int(opened["id"])


def test_draw_form_refusal_and_sample(world: World) -> None:
    rid = _round(world)
    client = world.login("admin")
    page = client.get(f"/campaigns/rounds/{rid}/checks")
    assert page.status_code == 200 and 'name="rate"' in page.text
    assert 'value="0.35"' in page.text  # the rule's rate
    refused = client.post(f"/campaigns/rounds/{rid}/checks/draw",
                          data={"rate": "0.2", "seed": "7", "csrf_token": csrf(client)})
    assert refused.status_code == 422
    assert 'value="0.2"' in refused.text and "0.35" in refused.text
    assert client.get(f"/api/v1/campaigns/rounds/{rid}/checks").json()["draw"] is None
    done = client.post(f"/campaigns/rounds/{rid}/checks/draw",
                       data={"rate": "0.35", "seed": "7", "csrf_token": csrf(client)})
    assert done.status_code == 303
    twin = client.get(f"/api/v1/campaigns/rounds/{rid}/checks").json()
    assert twin["draw"]["seed"] == 7 and twin["draw"]["population"] == 2
    assert {s["credit_code"] for s in twin["sample"]} <= {ORGAN, EDU}
    shown = client.get(f"/campaigns/rounds/{rid}/checks")
    assert 'id="sample"' in shown.text and 'id="inspect-form"' in shown.text
    book = load_workbook(io.BytesIO(client.get(f"/campaigns/rounds/{rid}/checks.xlsx").content))
    assert book.active is not None and book.active.max_row >= 2
    item = twin["items"][0]["code"]
    kept = client.post(f"/campaigns/rounds/{rid}/checks/inspect",
                       data={"credit_code": twin["sample"][0]["credit_code"],
                             f"score_{item}": "7", "note": "现场记录",
                             "csrf_token": csrf(client)})
    assert kept.status_code == 422 and 'value="7"' in kept.text and "现场记录" in kept.text
    saved = client.post(f"/campaigns/rounds/{rid}/checks/inspect",
                        data={"credit_code": twin["sample"][0]["credit_code"],
                              f"score_{item}": "1", "verdict": "pass",
                              "csrf_token": csrf(client)})
    assert saved.status_code == 303
    over = client.post(f"/api/v1/campaigns/rounds/{rid}/checks/inspect",
                       headers={"X-CSRF-Token": csrf(client)},
                       json={"credit_code": twin["sample"][0]["credit_code"],
                             "scores": {"no_such_item": 1}})
    assert over.status_code == 422
    # a further batch later in the year: the form again while members are left
    assert 'id="further-draw"' in shown.text and 'id="draw-total"' in shown.text
    later = client.post(f"/campaigns/rounds/{rid}/checks/draw",
                        data={"rate": "0.5", "seed": "8", "csrf_token": csrf(client)})
    assert later.status_code == 303, later.text
    both = client.get(f"/api/v1/campaigns/rounds/{rid}/checks").json()
    assert [d["seed"] for d in both["draws"]] == [7, 8] and both["undrawn"] == 0
    assert {s["credit_code"] for s in both["sample"]} == {ORGAN, EDU}
    assert sorted(s["batch"] for s in both["sample"]) == [1, 2]
    page = client.get(f"/campaigns/rounds/{rid}/checks")
    assert 'id="draw-record-1"' in page.text and 'id="draw-record"' in page.text
    assert 'id="further-draw"' not in page.text  # nobody left to draw
    again = client.post(f"/api/v1/campaigns/rounds/{rid}/checks/draw",
                        headers={"X-CSRF-Token": csrf(client)}, json={"rate": 0.5, "seed": 9})
    assert again.status_code == 409 and again.json()["error"]["code"] == "check_all_drawn"


def test_rechecks_and_coverage_pages(world: World) -> None:
    _round(world)
    client = world.login("region")
    for lang in ("zh-CN", "en"):
        client.cookies.set("lang", lang)
        assert client.get("/campaigns/rechecks").status_code == 200
        cover = client.get("/campaigns/coverage?year=2025&scheme=canteen_food_waste")
        assert cover.status_code == 200 and "coverage-table" in cover.text
    data = client.get("/api/v1/campaigns/coverage?year=2025&scheme=canteen_food_waste").json()
    assert data["region_code"] == "450321" and data["rows"][0]["members"] == 1
    assert data["rows"][0]["creation_rate"] == 1.0
    assert {d["code"] for d in data["definitions"]} >= {"compliance_rate", "spot_check_rate"}
    assert client.get("/api/v1/campaigns/rechecks").json()["total"] == 0
    workbook = client.get("/campaigns/coverage.xlsx?year=2025&scheme=canteen_food_waste")
    assert workbook.status_code == 200
    assert client.get("/campaigns/rechecks.xlsx").status_code == 200
    assert client.get("/api/v1/campaigns/coverage?region=450302").status_code == 404


def test_round_section_with_and_without_the_checks(world: World) -> None:
    from functools import partial

    from jieneng.services.campaigns.checks import checks_view
    from jieneng.web.common import num
    from jieneng.web.i18n import translate
    from jieneng.web.templating import env

    rid = _round(world)
    section = env.get_template("campaigns/_round_checks.html")
    base = {"t": partial(translate, "zh-CN"), "num": num, "lang": "zh-CN",
            "csrf_token": "x", "round": {"id": rid, "state": "open"}}
    assert f"/campaigns/rounds/{rid}/checks" in section.render(base)
    checks = checks_view(world.engine, world.users["admin"], rid)
    shown = section.render({**base, "checks": checks})
    assert 'id="draw-form"' in shown and 'value="0.35"' in shown
    assert 'id="publicity-form"' in shown


def _titles(world: World) -> None:
    """节水型单位 titles of 2025 in the web world (450302: ORGAN 01 national, OTHER 021
    provincial; 450321: EDU 01 provincial, SCHOOL 021 city, SILENT 021 none)."""
    from datetime import date

    from jieneng.storage import title_awards

    install_shipped(world.engine, world.users["admin"])
    held = {ORGAN: "national", OTHER: "provincial", EDU: "provincial", SCHOOL: "city"}
    with world.engine.begin() as conn:
        title_awards.award_titles(conn, [
            {"institution_id": world.ids[code], "scheme_code": "water_saving_unit",
             "round_id": None, "level": level, "awarded_on": date(2025, 3, 1),
             "valid_until": None} for code, level in held.items()])


def _by_region(data: dict[str, object], key: str) -> dict[str, object]:
    rows = data["rows"]
    assert isinstance(rows, list)
    return {r["region_code"]: r.get(key) for r in rows
            if r["region_code"] in ("450300", "450302", "450321")}


def test_coverage_by_category_and_level(world: World) -> None:
    """Reference values counted by hand (eligible: the five units, 01 and 02): whole
    4 / 5 held; 01 2 / 2; 02 2 / 3 (阳朔 1 / 2); provincial 2 / 5 (秀峰 1 / 2, 阳朔
    1 / 3); 02 of the city level 1 / 3 (秀峰 0 / 1, 阳朔 1 / 2). The page shows the
    same figures as its twin, the filters kept in its links; a level leaves the round
    figures out (— on the page); a refused value is the service's message."""
    _titles(world)
    client = world.login("admin")
    base = "/api/v1/campaigns/coverage?region=450300&year=2025&scheme=water_saving_unit"
    whole = client.get(base).json()
    assert whole["category"] is None and whole["level"] is None
    assert _by_region(whole, "eligible") == {"450300": 5, "450302": 2, "450321": 3}
    assert _by_region(whole, "titles_held") == {"450300": 4, "450302": 2, "450321": 2}
    assert whole["rows"][0]["compliance_rate"] == 0.8
    organs = client.get(base + "&category=01").json()
    assert _by_region(organs, "eligible") == {"450300": 2, "450302": 1, "450321": 1}
    assert _by_region(organs, "compliance_rate") == {"450300": 1.0, "450302": 1.0,
                                                     "450321": 1.0}
    units = client.get(base + "&category=02").json()
    assert _by_region(units, "titles_held") == {"450300": 2, "450302": 1, "450321": 1}
    assert _by_region(units, "compliance_rate") == {"450300": 2 / 3, "450302": 1.0,
                                                    "450321": 0.5}
    assert client.get(base + "&category=021").json()["rows"] == units["rows"]
    provincial = client.get(base + "&level=provincial").json()
    assert _by_region(provincial, "titles_held") == {"450300": 2, "450302": 1, "450321": 1}
    assert _by_region(provincial, "compliance_rate") == {"450300": 0.4, "450302": 0.5,
                                                         "450321": 1 / 3}
    assert "members" not in provincial["rows"][0]
    assert "creation_rate" not in provincial["rows"][0]
    assert set(provincial["figures"]) == {"eligible", "awarded", "titles_held", "rechecked",
                                          "recheck_passed", "compliance_rate",
                                          "recheck_pass_rate"}
    city = client.get(base + "&category=02&level=city").json()
    assert city["category"] == "02" and city["level"] == "city"
    assert _by_region(city, "awarded") == {"450300": 1, "450302": 0, "450321": 1}
    assert _by_region(city, "compliance_rate") == {"450300": 1 / 3, "450302": 0.0,
                                                   "450321": 0.5}
    for lang in ("zh-CN", "en"):
        client.cookies.set("lang", lang)
        page = client.get(base.removeprefix("/api/v1") + "&category=02&level=city")
        assert page.status_code == 200
        html = page.text
        assert '<option value="02" selected>' in html
        assert '<option value="city" selected>' in html
        assert ("33.3%" in html) and 'id="coverage-level-note"' in html
        assert 'data-count="members" data-na>—</td>' in html
        assert "category=02&amp;level=city" in html  # the twin, the workbook, child links
        assert ("事业单位" if lang == "zh-CN" else "public service units") in html
    client.cookies.set("lang", "zh-CN")
    book = load_workbook(io.BytesIO(client.get(
        "/campaigns/coverage.xlsx?region=450300&year=2025&scheme=water_saving_unit"
        "&category=02&level=city").content))
    sheet = book.active
    assert sheet is not None
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("事业单位" in c and "市级" in c for c in cells)
    assert "已自评" not in cells and "参评单位" not in cells
    # refusals: the service's message, the filters kept; the twin's error shape
    outside = client.get("/campaigns/coverage?region=450300&year=2025"
                         "&scheme=water_saving_unit&category=03")
    assert outside.status_code == 422 and 'id="coverage-error"' in outside.text
    assert "不在评价方案" in outside.text and '<option value="03" selected>' in outside.text
    assert 'id="coverage-table"' not in outside.text
    for query, code in (("&category=03", "coverage_category_outside"),
                        ("&level=regional", "coverage_level_unknown"),
                        ("&category=9", "categories.unknown_code")):
        refused = client.get(base + query)
        assert refused.status_code == 422, query
        assert refused.json()["error"]["code"] == code
        assert refused.json()["error"]["message"]
    client.cookies.set("lang", "en")
    unknown = client.get("/campaigns/coverage?region=450300&year=2025&level=regional")
    assert unknown.status_code == 422
    assert 'unknown title level "regional"' in unknown.text.replace("&#34;", '"')


def _offered(html: str) -> list[str]:
    """The codes the page's category select offers (its "all" option left out)."""
    select = re.search(r'<select name="category" id="coverage-category">(.*?)</select>', html)
    assert select is not None
    return [c for c in re.findall(r'<option value="([^"]*)"', select.group(1)) if c]


def test_coverage_category_select_follows_the_scheme(world: World) -> None:
    """The category select offers the codes the chosen scheme's population covers
    (coverage_population.csv): 节水型单位 01 and 02 with its leaves, not 03; 绿色低碳公共机构
    every one; 节约型机关 01 only. A chosen code outside the scheme (the scheme changed
    after it was chosen) stays selected next to the refusal; so does an unknown one."""
    install_shipped(world.engine, world.users["admin"])
    client = world.login("admin")
    page = "/campaigns/coverage?region=450300&year=2025&scheme="
    leaves = ["021", "022", "023", "024", "025", "026"]
    water = client.get(page + "water_saving_unit")
    assert water.status_code == 200
    assert _offered(water.text) == ["01", "02", *leaves]
    green = client.get(page + "green_low_carbon").text
    assert _offered(green) == ["01", "02", *leaves, "03"]
    assert _offered(client.get(page + "conservation_organ").text) == ["01"]
    assert _offered(client.get(page + "green_low_carbon&category=03").text)[-1] == "03"
    outside = client.get(page + "water_saving_unit&category=03")
    assert outside.status_code == 422 and 'id="coverage-error"' in outside.text
    assert _offered(outside.text) == ["01", "02", *leaves, "03"]
    assert '<option value="03" selected>03 团体组织</option>' in outside.text
    organ = client.get(page + "conservation_organ&category=024")
    assert organ.status_code == 422 and _offered(organ.text) == ["01", "024"]
    assert '<option value="024" selected>' in organ.text
    unknown = client.get(page + "water_saving_unit&category=9")
    assert unknown.status_code == 422 and _offered(unknown.text)[-1] == "9"
    assert '<option value="9" selected>' in unknown.text
    kept = client.get(page + "water_saving_unit&category=021").text
    assert '<option value="021" selected>' in kept and "03" not in _offered(kept)
