"""The gateway pages, their JSON twins and the HTTP push ``POST /api/v1/readings``
end to end: a good batch, an idempotent resend, a bad token (401, nothing stored), a
foreign meter (422, logged on the gateway's page, nothing stored), an oversized body
(413), malformed JSON (422) — every refusal in the one error shape, no server path or
library name in it."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select

from jieneng.services.metering import gateways as gw
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import meter_readings as r
from tests.web.conftest import ORGAN, SCHOOL, World, csrf

LEAKS = re.compile(r"/work|/home|\.py\b|Traceback|sqlalchemy|pydantic|polars|json\.decoder|"
                   r"JSONDecodeError|starlette|fastapi", re.IGNORECASE)


def _setup(world: World) -> dict[str, Any]:
    admin, region = world.users["admin"], world.users["region"]
    add_meter(world.engine, admin, SCHOOL, MeterSpec("S1", "电"))
    add_meter(world.engine, admin, SCHOOL, MeterSpec("S2", "电"))
    add_meter(world.engine, admin, ORGAN, MeterSpec("O1", "电"))
    ours = gw.register_gateway(world.engine, region, gw.GatewaySpec(
        "ys-http", "http", "450321", name="一中网关", institution=SCHOOL))
    other = gw.register_gateway(world.engine, region, gw.GatewaySpec("ys-other", "mqtt",
                                                                     "450321"))
    theirs = gw.register_gateway(world.engine, admin, gw.GatewaySpec(
        "xf-http", "http", "450302", institution=ORGAN))
    gw.assign_meters(world.engine, region, ours["gateway_id"], [gw.Assignment("M-1", SCHOOL,
                                                                              "S1")])
    gw.assign_meters(world.engine, region, other["gateway_id"], [gw.Assignment("M-2", SCHOOL,
                                                                               "S2")])
    return {"ours": ours, "other": other, "theirs": theirs}


def _batch(gateway: str, *meters: str, batch_id: str = "b-1") -> dict[str, Any]:
    return {"gateway": gateway, "batch_id": batch_id, "readings": [
        {"meter": m, "ts": "2026-12-03T14:15:00+08:00", "value": 100.5 + k,
         "kind": "cumulative", "unit": "kWh"} for k, m in enumerate(meters)]}


def _count(world: World) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(r.metering_reading))
                   .scalar_one())


def _clean(response: Any) -> dict[str, Any]:
    assert not LEAKS.search(response.text), response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "kind", "message", "details"}
    return error


def test_http_push_end_to_end(world: World) -> None:
    made = _setup(world)
    token = made["ours"]["secret"]
    client = world.client()  # a gateway: no session, no CSRF token
    auth = {"Authorization": f"Bearer {token}"}
    good = client.post("/api/v1/readings", headers=auth, json=_batch("ys-http", "M-1"))
    assert good.status_code == 200, good.text
    assert good.json() == {"gateway": "ys-http", "batch_id": "b-1", "stored": 1, "written": 1}
    again = client.post("/api/v1/readings", headers=auth, json=_batch("ys-http", "M-1"))
    assert again.status_code == 200 and again.json()["written"] == 0
    assert _count(world) == 1
    # a token no gateway holds: 401, nothing stored, logged for the gateway it names
    bad = client.post("/api/v1/readings", headers={"Authorization": "Bearer nope"},
                      json=_batch("ys-http", "M-1", batch_id="b-2"))
    assert bad.status_code == 401 and _clean(bad)["code"] == "readings.token_invalid"
    none = client.post("/api/v1/readings", json=_batch("ys-http", "M-1"))
    assert none.status_code == 401
    # the other token of the other county is no key to this gateway's meters either
    foreign = client.post("/api/v1/readings", headers=auth,
                          json=_batch("ys-http", "M-1", "M-2", batch_id="b-3"))
    assert foreign.status_code == 422
    assert _clean(foreign)["code"] == "readings.meter_not_gateways"
    unknown = client.post("/api/v1/readings", headers=auth,
                          json=_batch("ys-http", "M-9", batch_id="b-4"))
    assert unknown.status_code == 422 and _clean(unknown)["code"] == "readings.meter_unknown"
    malformed = client.post("/api/v1/readings", headers={**auth, "Content-Type":
                                                         "application/json"},
                            content=b'{"gateway": "ys-http", "readings": [')
    assert malformed.status_code == 422 and _clean(malformed)["code"] == "mqtt.payload_not_json"
    mismatch = client.post("/api/v1/readings", headers=auth, json=_batch("xf-http", "M-1"))
    assert mismatch.status_code == 422 and _clean(mismatch)["code"] == "mqtt.gateway_mismatch"
    big = json.dumps(_batch("ys-http", *["M-1"] * 12_000)).encode()
    assert len(big) > 1024 * 1024
    oversized = client.post("/api/v1/readings", headers={**auth, "Content-Type":
                                                         "application/json"}, content=big)
    assert oversized.status_code == 413 and _clean(oversized)["code"] == "too_large"
    assert _count(world) == 1  # nothing of a refused batch was stored
    # every refusal is on the gateway's log, newest first
    admin = world.login("region")
    log = admin.get(f"/api/v1/gateways/{made['ours']['gateway_id']}/log").json()
    kinds = [i["kind"] for i in log["items"]]
    # (the oversized body was refused once its gateway was known, without reading it)
    assert kinds == ["oversized", "malformed", "malformed", "meter_unknown",
                     "meter_not_gateways", "token", "token"]
    assert {i["batch_id"] for i in log["items"]} >= {"b-3", "b-4"}
    page = admin.get(f"/gateways/{made['ours']['gateway_id']}")
    assert page.status_code == 200
    assert "其他网关的计量表" in page.text and "b-3" in page.text and "M-2" in page.text
    # a disabled gateway's batch is refused
    gw.set_status(world.engine, world.users["region"], made["ours"]["gateway_id"],
                  active=False)
    off = client.post("/api/v1/readings", headers=auth, json=_batch("ys-http", "M-1"))
    assert off.status_code == 422 and _clean(off)["code"] == "readings.gateway_disabled"


def test_pages_register_assign_rotate_disable(world: World) -> None:
    made = _setup(world)
    client = world.login("region")
    token = csrf(client)
    listing = client.get("/gateways")
    assert listing.status_code == 200
    assert "ys-http" in listing.text and "xf-http" not in listing.text
    assert "/gateways.xlsx" in listing.text
    created = client.post("/gateways", data={
        "csrf_token": token, "code": "ys-new", "protocol": "http", "region_code": "450321",
        "name": "新网关", "institution": SCHOOL})
    assert created.status_code == 201, created.text
    secret = re.search(r'id="secret-value"[^>]*>([^<]+)<', created.text)
    assert secret is not None
    found = gw.gateway_by_token(world.engine, secret.group(1))
    assert found is not None and found.code == "ys-new"
    detail_url = f"/gateways/{found.id}"
    shown = client.get(detail_url)
    assert secret.group(1) not in shown.text and 'id="secret-value"' not in shown.text
    refused = client.post("/gateways", data={
        "csrf_token": token, "code": "bad code", "protocol": "http", "region_code": "450321"})
    assert refused.status_code == 422 and "网关编号" in refused.text
    assigned = client.post(f"{detail_url}/meters", data={
        "csrf_token": token, "code": "X-2", "institution": SCHOOL, "meter": "S2"})
    assert assigned.status_code == 409 and "ys-other" in assigned.text
    bulk = client.post(f"{detail_url}/meters", data={
        "csrf_token": token, "rows": f"网关表号,统一社会信用代码,表号\nX-1,{SCHOOL},S1\n"
                                     f"X-3,{SCHOOL},NOPE\n"})
    assert bulk.status_code == 422 and 'id="issues"' in bulk.text
    removed = client.post(f"/gateways/{made['ours']['gateway_id']}/meters/remove",
                          data={"csrf_token": token, "code": "M-1"})
    assert removed.status_code == 303
    ok = client.post(f"{detail_url}/meters", data={
        "csrf_token": token, "code": "X-1", "institution": SCHOOL, "meter": "S1"})
    assert ok.status_code == 303
    twin = client.get(f"/api/v1{detail_url}").json()
    assert [a["code"] for a in twin["assigned"]] == ["X-1"]
    rotated = client.post(f"{detail_url}/rotate", data={"csrf_token": token})
    assert rotated.status_code == 200 and 'id="secret-value"' in rotated.text
    assert gw.gateway_by_token(world.engine, secret.group(1)) is None
    off = client.post(f"{detail_url}/status", data={"csrf_token": token, "active": "0"})
    assert off.status_code == 303
    assert client.get(f"/api/v1{detail_url}").json()["status"] == "disabled"
    xlsx = client.get("/gateways.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # another county's gateway: as if it did not exist
    theirs = made["theirs"]["gateway_id"]
    assert client.get(f"/gateways/{theirs}").status_code == 404
    assert client.get(f"/api/v1/gateways/{theirs}").status_code == 404
    assert client.post(f"/gateways/{theirs}/rotate",
                       data={"csrf_token": token}).status_code == 404
    # an institution account has no gateway pages
    school = world.login("institution")
    assert school.get("/gateways").status_code == 403
    assert school.get("/api/v1/gateways").status_code == 403


def test_json_create_returns_the_secret_once(world: World) -> None:
    client = world.login("admin")
    token = csrf(client)
    made = client.post("/api/v1/gateways", headers={"X-CSRF-Token": token}, json={
        "code": "gw-1", "protocol": "mqtt", "region_code": "450300"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["protocol"] == "mqtt" and len(body["secret"]) >= 20
    listed = client.get("/api/v1/gateways").json()
    assert [i["code"] for i in listed["items"]] == ["gw-1"]
    assert body["secret"] not in json.dumps(listed)
