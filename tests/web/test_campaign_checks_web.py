"""The checks pages: the draw form pre-filled at the rule's rate, a draw below it refused
with the typed rate kept (nothing stored), the draw, the sample and its twin; 回头看 and
coverage pages with their twins and workbooks, in both languages."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from jieneng.services.campaigns.rounds import open_round
from jieneng.services.campaigns.schemes import install_shipped
from tests.web.conftest import EDU, ORGAN, World, csrf


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
