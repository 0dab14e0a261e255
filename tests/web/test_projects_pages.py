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
from tests.web.conftest import ORGAN, ROLES, SCHOOL, SILENT, World

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
