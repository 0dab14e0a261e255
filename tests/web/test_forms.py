"""A refused form answers with the status of its JSON twin and keeps what was typed.

:func:`jieneng.web.forms.form_error` is the one answer of every page form that a
service refused: the page again, the message beside the field, the typed values in
the fields, and the HTTP status the JSON twin gives the same input (422 invalid,
404 not found, 409 conflict, 403 not permitted).
"""

from __future__ import annotations

import html

import pytest

from tests.web.conftest import PASSWORD, World, csrf


def _both(world: World, role: str, form_path: str, form: dict[str, str], method: str,
          api_path: str, body: dict[str, object]) -> tuple[int, str, int]:
    client = world.login(role)
    token = csrf(client)
    page = client.post(form_path, data={**form, "csrf_token": token})
    twin = client.request(method, api_path, json=body, headers={"X-CSRF-Token": token})
    return page.status_code, html.unescape(page.text), twin.status_code


@pytest.mark.parametrize(("username", "region", "status"), [
    ("lingui", "999999", 422),  # a region that does not exist: invalid input
    ("admin", "450321", 409),  # a username that is taken
])
def test_create_user_form_and_twin(world: World, username: str, region: str,
                                   status: int) -> None:
    page, text, twin = _both(
        world, "admin", "/admin/users",
        {"username": username, "password": "Long-enough-1x", "role": "region",
         "region_code": region, "display_name": "临桂区管理员"},
        "POST", "/api/v1/users",
        {"username": username, "password": "Long-enough-1x", "role": "region",
         "region_code": region, "display_name": "临桂区管理员"})
    assert page == twin == status
    assert f'value="{username}"' in text and 'value="临桂区管理员"' in text
    assert 'class="field-error"' in text


def test_publish_form_and_twin_for_a_region_that_does_not_exist(world: World) -> None:
    page, text, twin = _both(
        world, "admin", "/admin/publication", {"region_code": "999998", "year": "2025"},
        "POST", "/api/v1/admin/publication", {"region_code": "999998", "year": 2025})
    assert page == twin == 404
    assert 'value="999998"' in text and 'value="2025"' in text


def test_edit_user_form_keeps_what_was_typed(world: World) -> None:
    viewer = world.users["viewer"].id
    page, text, twin = _both(
        world, "admin", f"/admin/users/{viewer}",
        {"role": "region", "region_code": "999997", "display_name": "改名"},
        "PATCH", f"/api/v1/users/{viewer}", {"role": "region", "region_code": "999997"})
    assert page == twin == 422
    assert 'value="999997"' in text and 'value="改名"' in text


def test_channel_form_and_twin_for_a_bad_kind(world: World) -> None:
    page, text, twin = _both(
        world, "admin", "/admin/channels",
        {"region_code": "450300", "kind": "pigeon", "target": "a@b.example"},
        "POST", "/api/v1/admin/channels",
        {"region_code": "450300", "kind": "pigeon", "target": "a@b.example"})
    assert page == twin == 422
    assert 'value="450300"' in text
    assert "a@b.example" not in text  # a target is never echoed back (it may hold a secret)


def test_token_form_and_twin_for_an_empty_name(world: World) -> None:
    page, text, twin = _both(world, "viewer", "/account/tokens", {"name": "  "},
                             "POST", "/api/v1/tokens", {"name": "  "})
    assert page == twin == 422
    assert 'class="field-error"' in text
    assert PASSWORD not in text


def test_open_period_form_and_twin_for_a_bad_period(world: World) -> None:
    client = world.login("admin")
    token = csrf(client)
    page = client.post("/reporting/periods", data={
        "csrf_token": token, "region": "450300", "period": "2025-13"})
    twin = client.post("/api/v1/reporting/periods", json={
        "region_code": "450300", "period": "2025-13"}, headers={"X-CSRF-Token": token})
    assert page.status_code == twin.status_code == 422
    assert 'value="2025-13"' in page.text


def test_set_target_form_and_twin_for_a_region_outside_the_scope(world: World) -> None:
    """A county office asking for the city's target: outside its scope, 404 both ways."""
    client = world.login("region")
    token = csrf(client)
    page = client.post("/targets", data={
        "csrf_token": token, "region_code": "450300", "year": "2025", "metric": "energy_tce",
        "value": "123"})
    twin = client.post("/api/v1/targets", json={
        "region_code": "450300", "year": 2025, "metric": "energy_tce", "value": 123},
        headers={"X-CSRF-Token": token})
    assert page.status_code == twin.status_code == 404
    assert 'value="123"' in page.text
