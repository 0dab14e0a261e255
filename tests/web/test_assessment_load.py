"""The load form of a local assessment sheet (issue 14 §4): the capability of
``jieneng assessments load`` (``manage_assessments``), a region inside the caller's
scope, a dry run that stores nothing, the example file, and a refusal answered 422
with every issue by sheet, row and column and what was typed kept, nothing stored."""

from __future__ import annotations

from jieneng.services.assessments.sheets import list_sheets
from tests.web.conftest import World, csrf


def _upload(client, name: str, content: bytes, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/assessments/sheets/load", files={"file": (name, content)},
                       data={"csrf_token": csrf(client), **fields})


def _stored(world: World) -> list[dict[str, object]]:
    return [s for s in list_sheets(world.engine) if s["stored"]]


def test_dry_run_then_store_then_refused(world: World) -> None:
    client = world.login("region")  # 阳朔县, manage_assessments
    assert 'id="sheet-load-link"' in client.get("/assessments").text
    assert client.get("/assessments/sheets/load").status_code == 200
    template = client.get("/assessments/sheets/template.csv")
    assert template.status_code == 200 and "subject" in template.content.decode("utf-8-sig")
    before = len(_stored(world))
    checked = _upload(client, "local.csv", template.content, dry_run="1")
    assert checked.status_code == 200 and 'id="load-report"' in checked.text, checked.text
    assert len(_stored(world)) == before
    outside = _upload(client, "local.csv", template.content, region_code="450302")
    assert outside.status_code == 404 and 'value="450302"' in outside.text
    stored = _upload(client, "local.csv", template.content)
    assert stored.status_code == 200, stored.text
    mine = [s for s in _stored(world) if s["origin"] == "local"]
    assert len(mine) == 1 and mine[0]["region_code"] == "450321"
    text = template.content.decode("utf-8-sig")
    lines = text.splitlines()
    head = lines[0].split(",")
    at = head.index("points")
    row = lines[1].split(",")
    row[at] = str(float(row[at] or 0) + 7)
    broken = "\n".join([lines[0], ",".join(row), *lines[2:]]).encode("utf-8")
    refused = _upload(client, "broken.csv", broken, region_code="450321", dry_run="1")
    assert refused.status_code == 422 and 'id="load-issues"' in refused.text
    assert 'value="450321"' in refused.text and "checked" in refused.text
    assert "/tmp" not in refused.text
    assert len(_stored(world)) == before + 1
    api = client.post("/api/v1/assessments/sheets/load", files={"file": ("b.csv", broken)},
                      headers={"X-CSRF-Token": csrf(client)})
    assert api.status_code == 422 and "issues" in api.text


def test_load_needs_the_capability(world: World) -> None:
    client = world.login("viewer")
    assert client.get("/assessments/sheets/load").status_code == 403
    assert 'id="sheet-load-link"' not in client.get("/assessments").text
    refused = client.post("/assessments/sheets/load", data={"csrf_token": csrf(client)})
    assert refused.status_code == 403
