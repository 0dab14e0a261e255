"""Round pages: open a round (the form keeps what was typed on refusal), the members
table and its Excel export, the unit's self-assessment (over the maximum refused at the
item, typed value kept; submit), evidence upload (wrong type refused, nothing stored)
and download, the county office's review, the JSON twins."""

from __future__ import annotations

from tests.web.conftest import SCHOOL, SILENT, World, csrf


def _open(world: World) -> int:
    client = world.login("region")
    refused = client.post("/campaigns/rounds", data={
        "csrf_token": csrf(client), "scheme": "demonstration_unit", "region_code": "450321",
        "year": "20x5", "title": "阳朔示范单位"})
    assert refused.status_code == 422
    assert 'value="阳朔示范单位"' in refused.text and "20x5" in refused.text
    made = client.post("/campaigns/rounds", data={
        "csrf_token": csrf(client), "scheme": "demonstration_unit", "region_code": "450321",
        "year": "2025", "title": "阳朔示范单位", "evaluation": "2025-02"})
    assert made.status_code == 303, made.text
    return int(made.headers["location"].split("/")[3].split("?")[0])


def test_round_pages_assess_review(world: World) -> None:
    rid = _open(world)
    office = world.login("region")
    page = office.get(f"/campaigns/rounds/{rid}")
    assert page.status_code == 200 and SCHOOL in page.text and SILENT in page.text
    assert 'id="score-form"' in page.text
    twin = office.get(f"/api/v1/campaigns/rounds/{rid}").json()
    assert {m["credit_code"] for m in twin["items"]} >= {SCHOOL, SILENT}
    book = office.get(f"/campaigns/rounds/{rid}.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"

    unit = world.login("institution")
    base = f"/campaigns/rounds/{rid}/members/{SCHOOL}"
    mine = unit.get(base)
    assert mine.status_code == 200 and 'name="score.management"' in mine.text
    over = unit.post(base, data={"csrf_token": csrf(unit), "score.management": "31",
                                 "score.water": "8", "action": "save"})
    assert over.status_code == 422 and 'value="31"' in over.text and "29" in over.text
    bad = unit.post(f"{base}/evidence", data={"csrf_token": csrf(unit), "item": "management"},
                    files={"file": ("x.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 422 and "x.exe" in bad.text
    renamed = unit.post(f"{base}/evidence", data={"csrf_token": csrf(unit), "item": "management"},
                        files={"file": ("制度.docx", b"%PDF-1.4 r", "application/pdf")})
    assert renamed.status_code == 422 and "与扩展名不符" in renamed.text
    good = unit.post(f"{base}/evidence", data={"csrf_token": csrf(unit), "item": "management"},
                     files={"file": ("制度.pdf", b"%PDF-1.4 r", "application/pdf")})
    assert good.status_code == 303
    view = unit.get(f"/api/v1{base}").json()
    assert len(view["evidence"]) == 1
    got = unit.get(f"{base}/evidence/{view['evidence'][0]['id']}")
    assert got.status_code == 200 and got.content == b"%PDF-1.4 r"
    sent = unit.post(base, data={"csrf_token": csrf(unit), "score.management": "25",
                                 "score.water": "8", "score.green": "6", "score.extra": "0",
                                 "action": "submit"})
    assert sent.status_code == 303 and "submitted" in sent.headers["location"]

    queue = office.get("/campaigns/rounds")
    assert f'data-waiting="{SCHOOL}"' in queue.text
    no_reason = office.post(f"{base}/review", data={"csrf_token": csrf(office),
                                                    "decision": "return", "reason": ""})
    assert no_reason.status_code == 422
    ok = office.post(f"{base}/review", data={"csrf_token": csrf(office), "decision": "approve",
                                             "review.management": "20", "reason": "核减"})
    assert ok.status_code == 303
    after = office.get(f"/api/v1{base}").json()
    assert after["member"]["state"] == "recommended"
    scored = office.post(f"/api/v1/campaigns/rounds/{rid}/score",
                         headers={"X-CSRF-Token": csrf(office)})
    assert scored.status_code == 200, scored.text
    assert scored.json()["members"] >= 2
    english = office.get(f"{base}?lang=en")
    assert english.status_code == 200
