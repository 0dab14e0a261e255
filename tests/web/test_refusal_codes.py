"""API clients get a specific, stable code for each refusal (issue 10 §1), with the
general class in ``kind``, and the catalogue's message in the request's language."""

from __future__ import annotations

from datetime import UTC, datetime

from jieneng.core import messages
from jieneng.storage import tables as t
from tests.web.conftest import SCHOOL, SILENT, World, csrf


def _open_alert(world: World, region_code: str) -> int:
    with world.engine.begin() as conn:
        return int(conn.execute(t.alert.insert().values(
            subject="target:codes", region_code=region_code, year=2025, level="over",
            state="open", actual=2.0, projected=3.0, limit_value=1.0,
            opened_at=datetime.now(UTC)).returning(t.alert.c.id)).scalar_one())


def test_a_viewer_acknowledging_an_alert_is_refused_for_want_of_the_capability(
    world: World,
) -> None:
    alert_id = _open_alert(world, "450302")
    viewer = world.login("viewer")
    response = viewer.post(f"/api/v1/alerts/{alert_id}/acknowledge?lang=en",
                           headers={"X-CSRF-Token": csrf(viewer)})
    assert response.status_code == 403
    error = response.json()["error"]
    assert (error["code"], error["kind"]) == ("capability_required", "not_permitted")
    assert error["message"].startswith("a viewer account may not")


def test_an_institution_reading_another_institution_gets_the_scope_code(world: World) -> None:
    clerk = world.login("institution")
    assert clerk.get(f"/api/v1/institutions/{SCHOOL}").status_code == 200
    response = clerk.get(f"/api/v1/institutions/{SILENT}")
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["kind"]) == ("scope.institution_code_not_found", "not_found")
    assert error["message"] == messages.text(
        "zh-CN", "error.scope.institution_code_not_found", credit_code=SILENT)


def test_an_unknown_user_and_a_taken_username_have_their_own_codes(world: World) -> None:
    admin = world.login("admin")
    missing = admin.get("/api/v1/users/999999?lang=en").json()["error"]
    assert (missing["code"], missing["kind"]) == ("accounts.user_not_found", "not_found")
    assert missing["message"] == "user 999999 does not exist"
    assert missing["details"] == {"user_id": 999999}
    taken = admin.post("/api/v1/users", headers={"X-CSRF-Token": csrf(admin)}, json={
        "username": "viewer", "password": "Long-enough-1", "role": "admin"}).json()["error"]
    assert (taken["code"], taken["kind"]) == ("accounts.username_taken", "conflict")
    assert taken["details"]["field"] == "username"

