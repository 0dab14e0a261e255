"""The evaluation scheme pages (issue 14 §2) and their JSON twins: the list (shipped
and stored versions with source and status), one version's tree (points, rule, bands,
★, pass rules, grades, parameters, each row's source and status), the loadable Excel
export (exported, loaded back: the same scheme, no new version), and the load form of
a local variant (capability ``manage_schemes``; a dry run stores nothing; a broken
sheet is refused with every problem by row and column in zh and en, nothing stored)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from jieneng.core.campaigns.shipped import SHIPPED
from jieneng.services.campaigns.schemes import install_shipped, list_schemes
from tests.web.conftest import ROLES, World, csrf


def _upload(client, name: str, content: bytes, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/campaigns/schemes/load", files={"file": (name, content)},
                       data={"csrf_token": csrf(client), **fields})


@pytest.mark.parametrize("role", ROLES)
def test_list_and_tree_as_every_role(world: World, role: str) -> None:
    client = world.login(role)
    page = client.get("/campaigns/schemes")
    assert page.status_code == 200
    for code in SHIPPED:
        assert f'data-scheme="{code}"' in page.text
    data = client.get("/api/v1/campaigns/schemes").json()
    assert {s["code"] for s in data["items"]} == set(SHIPPED)
    assert all(s["source"] for s in data["items"])
    tree = client.get("/campaigns/schemes/demonstration_unit")
    assert tree.status_code == 200
    assert "(−∞, 0.9] → 7" in tree.text  # the 示范单位 energy bands
    assert ("load-scheme" in page.text) == (role in ("admin", "region_admin"))


def test_scheme_twin_has_the_tree_with_sources(world: World) -> None:
    client = world.login("viewer")
    data = client.get("/api/v1/campaigns/schemes/demonstration_unit").json()
    assert data["total"] == 110
    items = [n for n in data["nodes"] if not n["block"]]
    assert all(n["status"] in ("found", "partial", "convention") for n in data["nodes"])
    banded = [n for n in items if n["rule"] == "band"]
    assert banded and next(b["points"] for b in banded[0]["bands"]) == 7
    assert any(p["kind"] == "min_score" and p["value"] == 85 for p in data["pass_rules"])
    assert data["params"]["window_months"] in ("12", 12)
    assert client.get("/api/v1/campaigns/schemes/no_such_scheme").status_code == 404
    assert client.get("/campaigns/schemes/no_such_scheme").status_code == 404
    assert client.get("/api/v1/campaigns/schemes/demonstration_unit",
                      params={"version": 99}).status_code == 404


def test_export_loads_back_as_the_same_scheme(world: World) -> None:
    admin = world.users["admin"]
    install_shipped(world.engine, admin)
    client = world.login("admin")
    page = client.get("/campaigns/schemes")
    assert 'data-version="1"' in page.text
    book = client.get("/campaigns/schemes/water_saving_unit.xlsx", params={"version": 1})
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).worksheets[0]
    assert sheet.cell(1, 1).value == "行类型"
    before = len(list_schemes(world.engine))
    back = _upload(client, "water_saving_unit.xlsx", book.content)
    assert back.status_code == 200, back.text
    assert 'id="load-report"' in back.text
    assert len(list_schemes(world.engine)) == before  # identical: no new version


def test_load_a_local_variant_dry_run_then_store(world: World) -> None:
    client = world.login("region_admin")
    form = client.get("/campaigns/schemes/load")
    assert form.status_code == 200
    template = client.get("/campaigns/schemes/template.csv")
    assert template.status_code == 200
    checked = _upload(client, "local.csv", template.content, dry_run="1")
    assert checked.status_code == 200, checked.text
    assert len(list_schemes(world.engine)) == len(SHIPPED)  # nothing stored
    stored = _upload(client, "local.csv", template.content)
    assert stored.status_code == 200, stored.text
    versions = [s for s in list_schemes(world.engine) if s["origin"] == "local"]
    assert len(versions) == 1 and versions[0]["region_code"] == "450321"
    code = versions[0]["code"]
    shown = client.get(f"/campaigns/schemes/{code}", params={"version": 1})
    assert shown.status_code == 200 and "450321" in shown.text


def test_a_broken_sheet_is_refused_whole(world: World) -> None:
    client = world.login("admin")
    text = client.get("/campaigns/schemes/template.csv").content.decode("utf-8-sig")
    lines = text.splitlines()
    # the scheme's stated total no longer adds up
    head = lines[0].split(",")
    at = head.index("分值")
    row = lines[1].split(",")
    row[at] = str(float(row[at] or 0) + 7)
    broken = "\n".join([lines[0], ",".join(row), *lines[2:]]).encode("utf-8")
    refused = _upload(client, "broken.csv", broken)
    assert refused.status_code == 422
    assert 'id="load-issues"' in refused.text
    assert "分值" in refused.text or "points" in refused.text
    assert len(list_schemes(world.engine)) == len(SHIPPED)
    assert "broken.csv" not in refused.text or "/tmp" not in refused.text


def test_load_needs_the_capability(world: World) -> None:
    client = world.login("region")
    assert client.get("/campaigns/schemes/load").status_code == 403
    refused = client.post("/campaigns/schemes/load", data={"csrf_token": csrf(client)})
    assert refused.status_code == 403


def test_english_page(world: World) -> None:
    client = world.login("admin")
    client.cookies.set("lang", "en")
    page = client.get("/campaigns/schemes/demonstration_unit", headers={"Accept-Language": "en"})
    assert page.status_code == 200
