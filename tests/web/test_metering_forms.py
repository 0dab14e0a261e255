"""The metering page's forms (web.metering): add, replace and remove a meter, define
a virtual meter, 抄表 per meter with its last reading; a refused form keeps what was
typed; the manual reading's JSON twin; scope and capability."""

from __future__ import annotations

from tests.web.conftest import ORGAN, SCHOOL, World, csrf


def _add(client, token: str, **extra: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token, "institution": SCHOOL, "number": "M1", "name": "总表",
            "carrier": "electricity", "item_code": "01000", "ct": "40", "pt": "1",
            "register": "cumulative", "installed_at": "2025-11-01T00:00", "initial": "100"}
    return client.post("/metering/meter", data={**data, **extra})


def test_meter_forms_and_manual_reading(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    assert _add(client, token).status_code == 303
    assert _add(client, token, number="M2", name="空调", item_code="01B00",
                parent="M1").status_code == 303
    again = _add(client, token, number="M3", name="写错", ct="四十")
    assert again.status_code == 422 and "四十" in again.text and "写错" in again.text
    virtual = client.post("/metering/virtual", data={
        "csrf_token": token, "institution": SCHOOL, "number": "V1", "carrier": "electricity",
        "formula": "M1 - M2", "name": "其他"})
    assert virtual.status_code == 303
    bad = client.post("/metering/virtual", data={
        "csrf_token": token, "institution": SCHOOL, "number": "V2", "carrier": "electricity",
        "formula": "M1 - NOPE"})
    assert bad.status_code == 422 and "M1 - NOPE" in bad.text
    page = client.get(f"/metering?institution={SCHOOL}")
    assert "01B00" in page.text and "抄表录入" in page.text and "M1 - M2" in page.text
    saved = client.post("/metering/reading", data={
        "csrf_token": token, "institution": SCHOOL, "meter": "M1", "at": "2025-11-30T09:00",
        "value": "130.5"})
    assert saved.status_code == 303
    assert "130.5" in client.get(f"/metering?institution={SCHOOL}").text
    lower = client.post("/metering/reading", data={
        "csrf_token": token, "institution": SCHOOL, "meter": "M1", "at": "2025-12-01T09:00",
        "value": "12"})
    assert lower.status_code == 422 and "回零" in lower.text and 'name="confirm"' in lower.text
    assert 'value="12"' in lower.text
    replaced = client.post("/metering/replace", data={
        "csrf_token": token, "institution": SCHOOL, "meter": "M1", "at": "2025-12-01T08:00",
        "final": "131", "initial": "0", "ct": "50"})
    assert replaced.status_code == 303
    twin = client.post("/api/v1/metering/readings/manual", headers={"X-CSRF-Token": token},
                       json={"credit_code": SCHOOL, "meter": "M1", "at": "2025-12-01T09:00",
                             "value": 12, "confirm": True})
    assert twin.status_code == 201 and twin.json()["confirmed_lower"] is True
    removed = client.post("/metering/remove", data={
        "csrf_token": token, "institution": SCHOOL, "meter": "M2", "at": "2025-12-01T10:00",
        "final": "5"})
    assert removed.status_code == 303
    meters = {m["number"]: m for m in client.get(
        f"/api/v1/metering?institution={SCHOOL}").json()["meters"]}
    assert meters["M1"]["multiplier"] == 50 and meters["M2"]["status"] == "removed"
    assert meters["V1"]["formula"] == "M1 - M2"
    foreign = client.post("/api/v1/metering/readings/manual", headers={"X-CSRF-Token": token},
                          json={"credit_code": ORGAN, "meter": "M1",
                                "at": "2025-12-01T09:00", "value": 1})
    assert foreign.status_code == 404
    viewer = world.login("viewer")
    refused = viewer.post("/api/v1/metering/readings/manual",
                          headers={"X-CSRF-Token": csrf(viewer)},
                          json={"credit_code": SCHOOL, "meter": "M1",
                                "at": "2025-12-01T11:00", "value": 13})
    assert refused.status_code == 403
