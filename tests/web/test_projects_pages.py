"""The project pages and their JSON twins (issue 13 §5) as every role: the list with its
filters, counts, map and workbook; the project page (lifecycle with the buttons the
role's capabilities allow, the history); a move; the registration form (nothing typed
is lost on a refusal) and its twin. Every body is checked: a role never sees a project
outside its scope (a 公共机构 never another institution's project)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from jieneng.core.projects.spec import project_spec
from jieneng.services.projects.registry import create_project
from tests.web.conftest import ORGAN, ROLES, SCHOOL, SILENT, World, csrf

#: project code → (owner, name); each role's visible ones below
PROJECTS = {
    "YS-PV-1": (SCHOOL, "一中屋顶光伏"),
    "YS-EPC-2": (SILENT, "二中能源费用托管"),
    "XF-HP-3": (ORGAN, "机关热泵改造"),
}
VISIBLE = {
    "admin": {"YS-PV-1", "YS-EPC-2", "XF-HP-3"},
    "region_admin": {"YS-PV-1", "YS-EPC-2"},
    "region": {"YS-PV-1", "YS-EPC-2"},
    "department": {"YS-PV-1", "YS-EPC-2"},
    "institution": {"YS-PV-1"},
    "viewer": {"XF-HP-3"},
}


def seed_projects(world: World) -> None:
    admin = world.users["admin"]
    kinds = {"YS-PV-1": ("pv", None), "YS-EPC-2": ("epc", "trusteeship"),
             "XF-HP-3": ("heat_pump", None)}
    for code, (owner, name) in PROJECTS.items():
        kind, sub = kinds[code]
        create_project(world.engine, admin, project_spec(
            code=code, name=name, type_text=kind, owners=[owner], year=2025, subtype_text=sub,
            esco_name="桂林绿能" if code != "XF-HP-3" else "秀峰节能",
            investment_yuan=1_000_000.0, pv_kwp=100.0 if kind == "pv" else None))


@pytest.fixture
def projects(world: World) -> World:
    seed_projects(world)
    return world


def _shows(body: str, code: str) -> bool:
    return code in body or PROJECTS[code][1] in body


@pytest.mark.parametrize("role", ROLES)
def test_list_page_twin_and_workbook_show_only_the_scope(projects: World, role: str) -> None:
    client = projects.login(role)
    for url in ("/projects", "/api/v1/projects", "/projects.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, f"{role} {url}: {response.text[:200]}"
        if url.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(response.content))
            body = "\n".join(str(c.value) for s in book for row in s.iter_rows()
                             for c in row if c.value is not None)
        else:
            body = response.text
        for code in PROJECTS:
            assert _shows(body, code) == (code in VISIBLE[role]), f"{role} {url} {code}"
    data = client.get("/api/v1/projects").json()
    assert data["total"] == len(VISIBLE[role])
    counts = {c["key"]: c["value"] for c in data["counts"]}
    assert counts["projects"] == len(VISIBLE[role])
    assert sum(len(r["projects"]) for r in data["map"]["regions"]) == len(VISIBLE[role])


def test_list_filters(projects: World) -> None:
    client = projects.login("admin")
    got = client.get("/api/v1/projects", params={"type": "pv"}).json()
    assert [p["code"] for p in got["items"]] == ["YS-PV-1"]
    assert got["items"][0]["kind_label"] == "分布式光伏"
    assert got["items"][0]["investment"] == pytest.approx(100.0)      # 万元
    got = client.get("/api/v1/projects", params={"esco": "秀峰"}).json()
    assert [p["code"] for p in got["items"]] == ["XF-HP-3"]
    got = client.get("/api/v1/projects", params={"region": "450302"}).json()
    assert [p["code"] for p in got["items"]] == ["XF-HP-3"]
    got = client.get("/api/v1/projects", params={"state": "closed"}).json()
    assert got["items"] == []
    page = client.get("/projects", params={"type": "epc"})
    assert "二中能源费用托管" in page.text and "一中屋顶光伏" not in page.text
    assert 'id="project-map-data"' in page.text
    assert client.get("/api/v1/projects", params={"year": "20x5"}).status_code == 422


@pytest.mark.parametrize("role", ROLES)
def test_project_page_twin_and_documents_inside_200_outside_404(projects: World,
                                                                 role: str) -> None:
    client = projects.login(role)
    for code in PROJECTS:
        inside = code in VISIBLE[role]
        for url in (f"/projects/{code}", f"/api/v1/projects/{code}",
                    f"/projects/{code}/mv-report.docx", f"/projects/{code}/statements.xlsx"):
            response = client.get(url)
            assert response.status_code == (200 if inside else 404), f"{role} {url}"
            if url.endswith((".docx", ".xlsx")):
                continue
            for other in PROJECTS:  # the page names no other project
                if other != code:
                    assert PROJECTS[other][1] not in response.text, f"{role} {url} {other}"
            if not inside:
                assert PROJECTS[code][1] not in response.text


def test_move_buttons_follow_the_capability_table(projects: World) -> None:
    page = projects.login("institution").get("/projects/YS-PV-1")
    assert 'data-move="approval"' in page.text                      # manage_projects
    assert 'data-move="terminated"' not in page.text                 # approve_projects
    moves = projects.login("institution").get("/api/v1/projects/YS-PV-1").json()
    assert [m["target"] for m in moves["lifecycle"]["moves"]] == ["approval"]
    region = projects.login("region").get("/api/v1/projects/YS-PV-1").json()
    assert {m["target"] for m in region["lifecycle"]["moves"]} == {"approval", "terminated"}
    viewer = projects.login("viewer").get("/projects/XF-HP-3")
    assert "data-move=" not in viewer.text and 'id="no-moves"' in viewer.text


def test_lifecycle_moves_are_recorded_and_refused_with_a_reason(projects: World) -> None:
    school = projects.login("institution")
    token = csrf(school)
    moved = school.post("/projects/YS-PV-1/move", data={
        "csrf_token": token, "target": "approval", "reason": ""})
    assert moved.status_code == 303
    page = school.get(moved.headers["location"])
    assert "项目已转入“审批”" in page.text and 'data-state="approval"' in page.text
    assert 'data-to="approval"' in page.text                         # the history
    refused = school.post("/projects/YS-PV-1/move", data={
        "csrf_token": token, "target": "procurement", "reason": "请批准"})
    assert refused.status_code == 403                                # approve_projects
    assert "请批准" in refused.text                                  # what was typed stays
    office = projects.login("region")
    back = office.post("/api/v1/projects/YS-PV-1/moves", json={"target": "declared"},
                       headers={"X-CSRF-Token": csrf(office)})
    assert back.status_code == 422                                   # a send-back needs a reason
    ok = office.post("/api/v1/projects/YS-PV-1/moves",
                     json={"target": "procurement"}, headers={"X-CSRF-Token": csrf(office)})
    assert ok.status_code == 200 and ok.json()["state"] == "procurement"
    history = office.get("/api/v1/projects/YS-PV-1").json()["lifecycle"]["history"]
    assert [h["to_state"] for h in history] == ["declared", "approval", "procurement"]
    assert [h["actor"] for h in history][1:] == ["school", "yangshuo"]
    viewer = projects.login("viewer")
    assert viewer.post("/api/v1/projects/XF-HP-3/moves", json={"target": "approval"},
                       headers={"X-CSRF-Token": csrf(viewer)}).status_code == 403


def test_register_form_keeps_what_was_typed(projects: World) -> None:
    school = projects.login("institution")
    token = csrf(school)
    form = {"csrf_token": token, "code": "YS-NEW-1", "name": "一中热泵热水", "type": "heat_pump",
            "year": "2025", "owners": ORGAN, "investment_yuan": "250000",
            "description": "学生宿舍热水"}
    refused = school.post("/projects/new", data=form)          # another institution's unit
    assert refused.status_code == 404
    for typed in ("YS-NEW-1", "一中热泵热水", "250000", "学生宿舍热水"):
        assert typed in refused.text
    assert NAMES_OUTSIDE not in refused.text
    bad = school.post("/projects/new", data={**form, "owners": SCHOOL, "pv_kwp": "abc"})
    assert bad.status_code == 422 and "一中热泵热水" in bad.text and "abc" in bad.text
    made = school.post("/projects/new", data={**form, "owners": SCHOOL})
    assert made.status_code == 303 and made.headers["location"].startswith("/projects/YS-NEW-1")
    page = school.get(made.headers["location"])
    assert "项目已登记" in page.text and "征集/申报" in page.text
    again = school.post("/projects/new", data={**form, "owners": SCHOOL})
    assert again.status_code == 409 and "一中热泵热水" in again.text
    api = school.post("/api/v1/projects", headers={"X-CSRF-Token": token}, json={
        "code": "YS-NEW-2", "name": "一中充电桩", "type": "charging", "owners": [SCHOOL],
        "year": 2025})
    assert api.status_code == 201 and api.json()["url"] == "/projects/YS-NEW-2"
    assert projects.login("viewer").get("/projects/new").status_code == 403


NAMES_OUTSIDE = "秀峰区演示机关事务服务中心"


def test_import_page_dry_run_and_refusal(projects: World) -> None:
    school = projects.login("institution")
    token = csrf(school)
    assert school.get("/projects/import").status_code == 200
    header = "项目编号,项目名称,项目类型,业主单位信用代码,年度\n"
    good = (header + f"YS-IMP-1,一中节能灯改造,节能改造,{SCHOOL},2025\n").encode()
    checked = school.post("/projects/import", data={"csrf_token": token, "dry_run": "1"},
                          files={"file": ("p.csv", good, "text/csv")})
    assert checked.status_code == 200, checked.text[:500]
    assert "检查通过" in checked.text
    assert "YS-IMP-1" not in school.get("/api/v1/projects").text
    bad = (header + f"YS-IMP-2,外单位,节能改造,{ORGAN},2025\n").encode()
    refused = school.post("/projects/import", data={"csrf_token": token},
                          files={"file": ("p.csv", bad, "text/csv")})
    assert refused.status_code in (404, 422) and "YS-IMP-2" not in school.get(
        "/api/v1/projects").text
    done = school.post("/projects/import", data={"csrf_token": token},
                       files={"file": ("p.csv", good, "text/csv")})
    assert done.status_code == 200 and "已导入" in done.text
    assert "YS-IMP-1" in school.get("/api/v1/projects").text


def test_adjustment_needs_evidence_then_is_approved_by_another(projects: World) -> None:
    school = projects.login("institution")
    token = csrf(school)
    form = {"csrf_token": token, "kind": "area", "carrier": "electricity", "start": "2025-03",
            "end": "2025-05", "amount": "1200", "reason": "新建实验楼投入使用"}
    refused = school.post("/projects/YS-PV-1/adjustments", data=form)
    assert refused.status_code == 422
    assert "须附证明材料" in refused.text and "新建实验楼投入使用" in refused.text
    renamed = school.post("/projects/YS-PV-1/adjustments", data=form, files={
        "evidence": ("验收单.docx", b"%PDF-1.4 evidence", "application/octet-stream")})
    assert renamed.status_code == 422
    assert "验收单.docx" in renamed.text and "与扩展名不符" in renamed.text
    assert "新建实验楼投入使用" in renamed.text
    made = school.post("/projects/YS-PV-1/adjustments", data=form,
                       files={"evidence": ("验收单.pdf", b"%PDF-1.4 evidence", "application/pdf")})
    assert made.status_code == 303, made.text[:300]
    adjustments = school.get("/api/v1/projects/YS-PV-1").json()["adjustments"]
    assert [(a["kind"], a["state"], a["amount"]) for a in adjustments] == [
        ("area", "proposed", 1200.0)]
    assert adjustments[0]["can_decide"] is False                # a 公共机构 cannot approve
    document = school.get(f"/projects/YS-PV-1/documents/{adjustments[0]['document_id']}")
    assert document.status_code == 200 and document.content == b"%PDF-1.4 evidence"
    assert projects.login("viewer").get(
        f"/projects/YS-PV-1/documents/{adjustments[0]['document_id']}").status_code == 404
    office = projects.login("region")
    page = office.get("/projects/YS-PV-1")
    assert f'action="/projects/YS-PV-1/adjustments/{adjustments[0]["id"]}"' in page.text
    decided = office.post(f"/projects/YS-PV-1/adjustments/{adjustments[0]['id']}",
                          data={"csrf_token": csrf(office), "decision": "approve"})
    assert decided.status_code == 303
    assert "已批准" in office.get("/projects/YS-PV-1").text


def test_documents_download_as_word_and_excel(projects: World) -> None:
    from docx import Document

    client = projects.login("institution")
    report = client.get("/projects/YS-PV-1/mv-report.docx")
    assert report.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(report.content)).paragraphs)
    assert "一中屋顶光伏节能量测量与验证报告" in text and "尚未拟合基准模型" in text
    settlement = client.get("/projects/YS-PV-1/settlement.docx")
    assert settlement.status_code == 200
    assert "本项目尚无结算" in "\n".join(
        p.text for p in Document(io.BytesIO(settlement.content)).paragraphs)
    assert client.get("/projects/YS-PV-1/settlement.docx?period=2025").status_code == 422
    book = load_workbook(io.BytesIO(client.get("/projects/YS-PV-1/statements.xlsx").content))
    assert book.active is not None and book.active.max_row >= 3


def test_document_upload_is_checked_by_the_one_evidence_check(projects: World) -> None:
    """The documents API refuses a file by the shared evidence codes (a PDF named
    ``.docx``, a type not accepted, an empty file) and stores a good one."""
    school = projects.login("institution")
    url = "/api/v1/projects/YS-PV-1/documents?lang=en"
    for name, content, code in (("合同.docx", b"%PDF-1.4 contract", "evidence_content"),
                                ("合同.exe", b"MZ", "evidence_type"),
                                ("合同.pdf", b"", "evidence_empty")):
        refused = school.post(url, data={"title": "合同", "kind": "contract"},
                              files={"file": (name, content, "application/pdf")},
                              headers={"X-CSRF-Token": csrf(school)})
        assert refused.status_code == 422, refused.text[:300]
        error = refused.json()["error"]
        assert (error["code"], error["kind"]) == (code, "validation_failed")
        assert name in error["message"]
    stored = school.post(url, data={"title": "合同", "kind": "contract"},
                         files={"file": ("合同.pdf", b"%PDF-1.4 contract", "application/pdf")},
                         headers={"X-CSRF-Token": csrf(school)})
    assert stored.status_code == 201 and stored.json()["file_name"] == "合同.pdf"
