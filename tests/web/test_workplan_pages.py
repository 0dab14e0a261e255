"""The work-plan pages and their JSON twins (issue 14 §1) as every role: the list of
plans of the scope, a plan's progress page with its filters, workbook and twin, an
item's page with the progress report form (what was typed kept on a refusal, evidence
stored and downloadable) and the review actions (accept, return with a reason), the
mid-year / year-end review and its Word summary with the page's figures, and the import
form (all or nothing, problems by row and column). No body shows an item outside the
caller's scope."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from jieneng.services.workplans.items import add_item, get_item
from jieneng.services.workplans.plans import create_plan
from tests.reports.docx_checks import run_texts
from tests.web.conftest import ROLES, World, csrf

YEAR = 2025


def _plan(world: World, region: str, title: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    admin = world.users["admin"]
    plan = create_plan(world.engine, admin, region_code=region, year=YEAR, title=title)
    made = [add_item(world.engine, admin, int(plan["id"]), fields) for fields in items]
    return {"id": int(plan["id"]), "items": [int(i["id"]) for i in made]}


def seed(world: World) -> dict[str, dict[str, Any]]:
    city = _plan(world, "450300", "城市工作安排", [
        {"item_no": "1", "section": "示范创建", "text": "阳朔培训事项",
         "deadline": f"{YEAR}-06-30", "responsible_region": "450321",
         "indicator": "trainings_held", "target": "2", "comparison": ">="},
        {"item_no": "2", "section": "示范创建", "text": "秀峰宣传事项",
         "deadline": f"{YEAR}-12-31", "responsible_region": "450302",
         "indicator": "publicity_participants", "target": "2000", "comparison": ">="},
    ])
    county = _plan(world, "450321", "阳朔工作安排", [
        {"item_no": "1", "section": "节能降碳", "text": "阳朔县本级事项",
         "deadline": f"{YEAR}-03-31", "responsible_region": "450321"},
    ])
    district = _plan(world, "450302", "秀峰工作安排", [
        {"item_no": "1", "section": "节能降碳", "text": "秀峰区本级事项",
         "deadline": f"{YEAR}-03-31", "responsible_region": "450302"},
    ])
    return {"city": city, "county": county, "district": district}


@pytest.fixture
def plans(world: World) -> tuple[World, dict[str, dict[str, Any]]]:
    return world, seed(world)


#: role → (plans it lists, item texts it may see)
SEES = {
    "admin": ({"城市工作安排", "阳朔工作安排", "秀峰工作安排"}, {"阳朔培训事项", "秀峰宣传事项"}),
    "region_admin": ({"城市工作安排", "阳朔工作安排"}, {"阳朔培训事项"}),
    "region": ({"城市工作安排", "阳朔工作安排"}, {"阳朔培训事项"}),
    "department": ({"城市工作安排", "阳朔工作安排"}, {"阳朔培训事项"}),
    "institution": ({"城市工作安排", "阳朔工作安排"}, {"阳朔培训事项"}),
    "viewer": ({"城市工作安排", "秀峰工作安排"}, {"秀峰宣传事项"}),
}


def test_list_and_plan_pages_show_only_the_scope(plans: tuple[World, dict[str, Any]]) -> None:
    """Every role, one world (the plans are read only here)."""
    world, made = plans
    for role in ROLES:
        _sees_only_its_scope(world, made, role)


def _sees_only_its_scope(world: World, made: dict[str, Any], role: str) -> None:
    client = world.login(role)
    listed, texts = SEES[role]
    for url in ("/workplans", "/api/v1/workplans"):
        response = client.get(url, params={"year": str(YEAR)})
        assert response.status_code == 200, response.text[:300]
        for title in ("城市工作安排", "阳朔工作安排", "秀峰工作安排"):
            assert (title in response.text) == (title in listed), (role, url, title)
    city = made["city"]["id"]
    for url in (f"/workplans/{city}", f"/api/v1/workplans/{city}", f"/workplans/{city}.xlsx",
                f"/workplans/{city}/review", f"/api/v1/workplans/{city}/review?stage=end"):
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.text[:300])
        if url.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(response.content))
            body = "\n".join(str(c.value) for s in book for row in s.iter_rows()
                             for c in row if c.value is not None)
        else:
            body = response.text
        for text in ("阳朔培训事项", "秀峰宣传事项"):
            assert (text in body) == (text in texts), (role, url, text)


def test_progress_page_figures_filters_and_overdue(plans: tuple[World, dict[str, Any]]) -> None:
    world, made = plans
    client = world.login("admin")
    city = made["city"]["id"]
    data = client.get(f"/api/v1/workplans/{city}").json()
    assert data["summary"]["items"] == 2 and data["total"] == 2
    first = next(i for i in data["items"] if i["text"] == "阳朔培训事项")
    assert first["target"] == "≥ 2 期" and first["deadline"] == f"{YEAR}-06-30"
    assert first["overdue"] is True and first["status"] == "overdue"   # 2025 is past
    assert first["href"] == f"/workplans/{city}/items/{first['id']}"
    only = client.get(f"/api/v1/workplans/{city}", params={"responsible": "450302"}).json()
    assert [i["text"] for i in only["items"]] == ["秀峰宣传事项"]
    assert only["summary"]["items"] == 2          # the figures stay the plan's
    page = client.get(f"/workplans/{city}", params={"overdue": "1"}).text
    assert 'data-status="overdue"' in page and f'/workplans/{city}.xlsx?overdue=1' in page
    assert client.get("/workplans/999999").status_code == 404
    assert client.get("/api/v1/workplans/999999").status_code == 404


def _report(client: Any, city: int, item: int, **fields: str) -> Any:
    """A report through the page's form (the CSRF token as a header: a refusal before
    the route reads the form leaves its spooled file to the garbage collector)."""
    files = {"evidence": ("培训签到表.pdf", b"%PDF-1.4 training", "application/pdf")}
    return client.post(f"/workplans/{city}/items/{item}/report", data=fields, files=files,
                       headers={"X-CSRF-Token": csrf(client)})


def test_report_review_and_evidence(plans: tuple[World, dict[str, Any]]) -> None:
    world, made = plans
    city, item = made["city"]["id"], made["city"]["items"][0]
    county = world.login("region")
    # a refusal keeps what was typed
    bad = _report(county, city, item, state="done", value="两期", comment="已办两期培训")
    assert bad.status_code == 422
    assert 'value="两期"' in bad.text and "已办两期培训" in bad.text
    good = _report(county, city, item, state="done", value="2", percent="100",
                   comment="已办两期培训")
    assert good.status_code == 303 and good.headers["location"].endswith("done=reported#history")
    page = county.get(f"/workplans/{city}/items/{item}").text
    assert "已办两期培训" in page and "培训签到表.pdf" in page and "待审核" in page
    found = get_item(world.engine, world.users["admin"], item)
    report = found["reports"][0]
    evidence = report["files"][0]["id"]
    download = county.get(f"/workplans/{city}/evidence/{evidence}")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 training"
    assert world.login("viewer").get(f"/workplans/{city}/evidence/{evidence}").status_code == 404
    # the viewer may not report; the institution does not own the item
    viewer = world.login("viewer")
    assert _report(viewer, city, item, state="done").status_code == 403
    # the city's owner reviews: returning needs a reason (kept on refusal)
    admin = world.login("admin")
    url = f"/workplans/{city}/items/{item}/reports/{report['id']}/review"
    refused = admin.post(url, data={"csrf_token": csrf(admin), "action": "return",
                                    "reason": ""})
    assert refused.status_code == 422
    accepted = admin.post(url, data={"csrf_token": csrf(admin), "action": "accept"})
    assert accepted.status_code == 303
    data = admin.get(f"/api/v1/workplans/{city}/items/{item}").json()
    assert data["item"]["status"] == "done" and data["item"]["overdue"] is False
    assert data["reports"][0]["review"] == "accepted"
    assert data["item"]["value"] == "2 期"


def test_review_page_and_summary_show_the_same_figures(plans: tuple[World, dict[str, Any]]
                                                       ) -> None:
    world, made = plans
    client = world.login("admin")
    city = made["city"]["id"]
    for stage, as_of in (("mid", f"{YEAR}-06-30"), ("end", f"{YEAR}-12-31")):
        data = client.get(f"/api/v1/workplans/{city}/review", params={"stage": stage}).json()
        assert data["stage"] == stage and data["as_of"] == as_of
        page = client.get(f"/workplans/{city}/review", params={"stage": stage})
        assert page.status_code == 200 and f"summary.docx?stage={stage}" in page.text
        doc = client.get(f"/workplans/{city}/summary.docx", params={"stage": stage})
        assert doc.status_code == 200
        body = "\n".join(run_texts(doc.content))
        s = data["summary"]
        assert (f"工作安排共{s['items']}项，已完成{s['done']}项，推进中{s['in_progress']}项，"
                f"尚未启动{s['not_started']}项，逾期未完成{s['overdue']}项，"
                f"平均完成进度{s['share_text']}。") in body
        assert "各县（市、区）机关事务管理部门" in body
    mid = client.get(f"/api/v1/workplans/{city}/review", params={"stage": "mid"}).json()
    assert mid["overdue"] == []                     # due on 30 June is not yet late
    end = client.get(f"/api/v1/workplans/{city}/review", params={"stage": "end"}).json()
    assert {i["text"] for i in end["overdue"]} == {"阳朔培训事项"}   # 秀峰's is due 12-31
    assert client.get(f"/workplans/{city}/review", params={"stage": "x"}).status_code == 422


TEMPLATE_ROWS = ("序号,栏目,事项,责任地区,完成时限,指标,比较,目标值,单位\n"
                 "1,创建,节水型单位建成率达到60%,450321,2025-12-31,campaign_compliance_rate,>=,60,%\n")


def _upload(client: Any, content: str, **fields: str) -> Any:
    return client.post("/workplans/import", data={
        "csrf_token": csrf(client), "region_code": "450321", "year": str(YEAR),
        "title": "导入的工作安排", **fields},
        files={"file": ("plan.csv", content.encode("utf-8"), "text/csv")})


def test_import_form_all_or_nothing(world: World) -> None:
    client = world.login("region")
    assert client.get("/workplans/import").status_code == 200
    template = client.get("/workplans/import/template.csv")
    assert template.status_code == 200 and "序号" in template.text
    bad = _upload(client, TEMPLATE_ROWS + "2,创建,没有时限的事项,450321,,,,,\n")
    assert bad.status_code == 422 and 'id="import-issues"' in bad.text
    assert "导入的工作安排" in bad.text                 # what was typed is kept
    listed = client.get("/api/v1/workplans").json()
    assert "导入的工作安排" not in {p["title"] for p in listed["items"]}   # nothing half-stored
    checked = _upload(client, TEMPLATE_ROWS, dry_run="1")
    assert checked.status_code == 200 and 'id="import-report"' in checked.text
    assert "导入的工作安排" not in client.get("/api/v1/workplans").text
    done = _upload(client, TEMPLATE_ROWS)
    assert done.status_code == 200, done.text[:500]
    assert "导入的工作安排" in client.get("/api/v1/workplans").text
    twin = client.post("/api/v1/workplans/import", headers={"X-CSRF-Token": csrf(client)},
                       data={"region_code": "450321", "year": str(YEAR), "title": "接口导入",
                             "dry_run": "1"},
                       files={"file": ("plan.csv", TEMPLATE_ROWS.encode("utf-8"), "text/csv")})
    assert twin.status_code == 200 and twin.json()["items"] == 1 and twin.json()["dry_run"]
    assert world.login("viewer").get("/workplans/import").status_code == 403


def _card(page: str, key: str) -> str:
    """The figure of a card (``data-count``) on a plan or review page."""
    start = page.index(f'data-count="{key}"')
    value = page.index('pg-card-value', start)
    return page[page.index(">", value) + 1:page.index("<", value)]


def test_an_overdue_item_under_way_is_in_progress_and_overdue(
        plans: tuple[World, dict[str, Any]]) -> None:
    """One rule on the cards, the table, the review, the document, the workbook and the
    twins (core ``tally``): an overdue item with an accepted 'in progress' report is
    counted once as in progress and marked overdue — never 'not started'."""
    world, made = plans
    city, item = made["city"]["id"], made["city"]["items"][0]
    sent = _report(world.login("region"), city, item, state="in_progress", percent="40",
                   comment="已办一期")
    assert sent.status_code == 303
    report = get_item(world.engine, world.users["admin"], item)["reports"][0]
    admin = world.login("admin")
    url = f"/workplans/{city}/items/{item}/reports/{report['id']}/review"
    assert admin.post(url, data={"csrf_token": csrf(admin), "action": "accept"}
                      ).status_code == 303
    data = admin.get(f"/api/v1/workplans/{city}").json()
    s = data["summary"]
    # today both 2025 items are late: 秀峰's (nothing reported) is not started + overdue
    assert (s["items"], s["done"], s["in_progress"], s["not_started"], s["overdue"]) == (
        2, 0, 1, 1, 2)
    row = next(i for i in data["items"] if i["id"] == item)
    assert row["progress"] == "in_progress" and row["overdue"] is True
    assert row["state_label"] == "推进中"
    page = admin.get(f"/workplans/{city}").text
    assert [_card(page, k) for k in ("in_progress", "not_started", "overdue")] == ["1", "1", "2"]
    kept = admin.get(f"/api/v1/workplans/{city}", params={"status": "in_progress"}).json()
    late = admin.get(f"/api/v1/workplans/{city}", params={"status": "overdue"}).json()
    assert [i["id"] for i in kept["items"]] == [item] and late["total"] == 2
    # on 31 December only 阳朔's (due 30 June) was late
    review = admin.get(f"/api/v1/workplans/{city}/review", params={"stage": "end"}).json()
    r = review["summary"]
    assert (r["in_progress"], r["not_started"], r["overdue"]) == (1, 1, 1)
    shown = admin.get(f"/workplans/{city}/review", params={"stage": "end"}).text
    assert [_card(shown, k) for k in ("in_progress", "not_started", "overdue")] == ["1", "1", "1"]
    doc = admin.get(f"/workplans/{city}/summary.docx", params={"stage": "end"})
    assert "推进中1项，尚未启动1项，逾期未完成1项" in "\n".join(run_texts(doc.content))
    book = load_workbook(io.BytesIO(admin.get(f"/workplans/{city}.xlsx").content))
    cells = [str(c.value) for s_ in book for row_ in s_.iter_rows() for c in row_]
    assert cells.count("推进中") == cells.count("未启动") == 1   # the state; overdue apart
