"""Spot-check pages and the 会审 report in the browser's shoes: draw, verify, accuracy,
roles, and the Word document agreeing with the page and the JSON twin."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

from docx import Document

from jieneng.core.quality.catalogue import rule
from jieneng.reports.review_report import percent
from jieneng.storage import tables as t
from tests.web.conftest import NAMES, ORGAN, SCHOOL, SILENT, World, csrf

NOW = datetime(2026, 1, 10, tzinfo=UTC)


def _approve_everything(world: World) -> None:
    with world.engine.begin() as conn:
        period = conn.execute(t.reporting_period.insert().values(
            region_code="450300", kind="annual", year=2025, month=0,
            deadline=date(2026, 1, 31), opened_at=NOW).returning(t.reporting_period.c.id)
        ).scalar_one()
        states = {world.ids[ORGAN]: "approved", world.ids[SCHOOL]: "approved",
                  world.ids[SILENT]: "submitted"}
        conn.execute(t.reporting_task.insert(), [
            {"period_id": period, "institution_id": iid, "state": states.get(iid, "approved")}
            for iid in world.ids.values()])
        conn.execute(t.quality_finding.insert(), [
            {"institution_id": world.ids[SCHOOL], "year": 2025, "month": 1,
             "carrier": "electricity", "rule": "yoy_change", "severity": "warning",
             "state": "open", "found_at": NOW},
            {"institution_id": world.ids[ORGAN], "year": 2025, "month": 1,
             "carrier": "water", "rule": "yoy_change", "severity": "warning",
             "state": "explained", "found_at": NOW},
        ])


def _draw(world: World, role: str, region: str, **fields: str) -> tuple[int, str]:
    client = world.login(role)
    response = client.post("/spot-checks", data={
        "csrf_token": csrf(client), "region_code": region, "year": "2025", "share": "1",
        "tolerance": "0.05", "seed": "7", **fields})
    location = response.headers.get("location", "")
    match = re.fullmatch(r"/spot-checks/(\d+)", location)
    return (int(match.group(1)) if match else 0), f"{response.status_code} {response.text[:300]}"


def test_draw_verify_and_accuracy(world: World) -> None:
    _approve_everything(world)
    check_id, answer = _draw(world, "admin", "450300")
    assert check_id, answer
    client = world.login("admin")
    page = client.get(f"/spot-checks/{check_id}")
    assert page.status_code == 200
    assert NAMES[SCHOOL] in page.text and NAMES[SILENT] not in page.text  # not approved
    data = client.get(f"/api/v1/spot-checks/{check_id}").json()
    assert len({i["institution_id"] for i in data["items"]}) == 4
    reported = {(i["institution_id"], i["carrier"]): i["reported"] for i in data["items"]}
    token = csrf(client)
    for code, factor in ((SCHOOL, 1.02), (ORGAN, 1.5)):
        iid = world.ids[code]
        response = client.post(f"/spot-checks/{check_id}/verify", data={
            "csrf_token": token, "institution_id": str(iid), "carrier": "electricity",
            "verified": str(reported[(iid, "electricity")] * factor)})
        assert response.status_code == 303, response.text[:300]
    bad = client.post(f"/spot-checks/{check_id}/verify", data={
        "csrf_token": token, "institution_id": str(world.ids[SCHOOL]),
        "carrier": "electricity", "verified": "abc"})
    assert bad.status_code == 422
    data = client.get(f"/api/v1/spot-checks/{check_id}").json()
    total = data["accuracy"]["total"]
    assert (total["sampled"], total["verified"], total["accurate"]) == (4, 2, 1)
    assert total["accuracy_rate"] == 0.5
    page = client.get(f"/spot-checks/{check_id}")
    assert percent(0.5) in page.text
    listed = client.get("/api/v1/spot-checks?region=450300&year=2025").json()["items"]
    assert [c["id"] for c in listed] == [check_id]
    assert "/spot-checks/" + str(check_id) in client.get("/spot-checks").text
    # the API twin of the verify form
    iid = world.ids[ORGAN]
    response = client.post(f"/api/v1/spot-checks/{check_id}/verify",
                           json={"institution_id": iid, "carrier": "electricity",
                                 "verified": reported[(iid, "electricity")]},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    assert response.json()["accuracy"]["total"]["accurate"] == 2


def test_roles(world: World) -> None:
    _approve_everything(world)
    for role in ("viewer", "department", "institution"):
        client = world.login(role)
        response = client.post("/spot-checks", data={
            "csrf_token": csrf(client), "region_code": "450321", "year": "2025"})
        assert response.status_code == 403, role
        assert 'method="post" action="/spot-checks"' not in client.get("/spot-checks").text
    city, answer = _draw(world, "admin", "450300")
    assert city, answer
    county, answer = _draw(world, "region", "450321")
    assert county, answer
    outside, answer = _draw(world, "region", "450302")
    assert not outside and answer.startswith("404"), answer  # as the twin; nothing stored
    region = world.login("region")
    assert region.get(f"/spot-checks/{city}").status_code == 404
    assert region.get(f"/api/v1/spot-checks/{city}").status_code == 404
    school = world.login("institution")
    page = school.get(f"/spot-checks/{county}")
    assert page.status_code == 200 and NAMES[SCHOOL] in page.text
    assert NAMES[ORGAN] not in page.text
    items = school.get(f"/api/v1/spot-checks/{county}").json()["items"]
    assert {i["institution_id"] for i in items} == {world.ids[SCHOOL]}
    response = school.post(f"/spot-checks/{county}/verify", data={
        "csrf_token": csrf(school), "institution_id": str(world.ids[SCHOOL]),
        "carrier": "electricity", "verified": "1"})
    assert response.status_code == 403


def test_review_report_page_json_and_docx_agree(world: World) -> None:
    _approve_everything(world)
    check_id, answer = _draw(world, "admin", "450300")
    assert check_id, answer
    client = world.login("admin")
    data = client.get(f"/api/v1/spot-checks/{check_id}").json()
    item = next(i for i in data["items"] if i["institution_id"] == world.ids[SCHOOL])
    client.post(f"/spot-checks/{check_id}/verify", data={
        "csrf_token": csrf(client), "institution_id": str(item["institution_id"]),
        "carrier": item["carrier"], "verified": str(item["reported"])})
    report = client.get("/api/v1/review-report?region=450300&year=2025").json()
    assert report["region_name"] == "桂林市"
    completeness = report["completeness"]["total"]
    assert (completeness["expected"], completeness["reported"], completeness["approved"]) == (
        5, 5, 4)
    assert report["accuracy"]["total"]["accuracy_rate"] == 1.0
    # (the imports run the data-quality rules too: other findings may be there)
    assert SCHOOL in [w["credit_code"] for w in report["unresolved_warnings"]]
    yoy = next(r for r in report["findings"]["rules"]
               if (r["rule"], r["severity"]) == ("yoy_change", "warning"))
    assert (yoy["open"], yoy["explained"]) == (1, 1)

    page = client.get("/review-report?region=450300&year=2025")
    assert page.status_code == 200
    figures = [percent(completeness["reporting_rate"]), percent(completeness["approval_rate"]),
               percent(report["accuracy"]["total"]["accuracy_rate"])]
    for text in ("桂林市", SCHOOL, *figures):
        assert text in page.text, text
    # rules by their title from the quality catalogue, as the Word report, never by code
    shown = re.sub(r"<[^>]+>", " ", page.text)
    assert rule("yoy_change").title("zh") in shown
    codes = {r["rule"] for r in report["findings"]["rules"]}
    assert not [c for c in codes if c in shown], codes

    download = client.get("/review-report.docx?region=450300&year=2025")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert "attachment" in download.headers["content-disposition"]
    doc = Document(io.BytesIO(download.content))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for table in doc.tables for row in table.rows for c in row.cells]
    assert "桂林市" in paragraphs and "会审" in paragraphs
    for text in (SCHOOL, *figures, str(completeness["expected"])):
        assert text in cells, text
    assert "eastAsia" in doc.paragraphs[0].runs[0]._element.xml

    # a county sees its own report only
    region = world.login("region")
    assert region.get("/review-report?region=450300&year=2025").status_code == 404
    assert region.get("/review-report.docx?region=450302&year=2025").status_code == 404
    county = region.get("/api/v1/review-report?region=450321&year=2025").json()
    assert county["completeness"]["total"]["expected"] == 3
