"""services.metering.gateways on both databases: register (secrets answered once,
kept hashed), scope (a county office neither sees nor touches another county's
gateways or meters), assignment (a meter fed by another gateway refused naming it;
bulk all or nothing with row errors), rotate, disable, the list and the log."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import Conflict, ImportRejected, NotFound, ValidationFailed
from jieneng.core.permissions import CapabilityRequired, Role
from jieneng.ingest.mqtt.broker import password_hash
from jieneng.services.metering import gateways as gw
from jieneng.services.metering.gateways_read import gateway_detail, list_gateways, refusal_log
from jieneng.services.metering.ingest import (
    ReadingsRefused,
    SentReading,
    log_refusal,
    store_batch,
)
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import gateways as g
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
YANGSHUO = user(Role.REGION, region="450321", uid=2)  # 阳朔县 office
XIUFENG = user(Role.REGION, region="450302", uid=3)  # 秀峰区 office
T0 = 1_764_518_400


@pytest.fixture
def world(engine: Engine, files: Files, tmp_path: Path) -> dict[str, int]:
    ids = load(engine, files)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("O1", "电"))
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("S1", "电"))
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("S2", "电"))
    add_meter(engine, ADMIN, SILENT, MeterSpec("Q1", "水"))
    return ids


def _audits(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(
            t.audit_log)).scalar_one())


def test_register_http_keeps_only_the_hash_and_finds_by_token(engine: Engine,
                                                              world: dict[str, int]) -> None:
    before = _audits(engine)
    made = gw.register_gateway(engine, YANGSHUO, gw.GatewaySpec(
        "ys-http-1", "http", "450321", name="一中网关", institution=SCHOOL))
    token = made["secret"]
    assert len(token) >= 43 and _audits(engine) == before + 1
    with engine.connect() as conn:
        row = conn.execute(select(g.metering_gateway)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.secret is None and token not in str(tuple(row))
    found = gw.gateway_by_token(engine, token)
    assert found is not None and found.code == "ys-http-1"
    assert gw.gateway_by_token(engine, token + "x") is None
    rotated = gw.rotate_secret(engine, YANGSHUO, made["gateway_id"])
    assert gw.gateway_by_token(engine, token) is None
    assert gw.gateway_by_token(engine, rotated["secret"]) is not None


def test_register_mqtt_and_mohurd_secrets(engine: Engine, world: dict[str, int]) -> None:
    mqtt = gw.register_gateway(engine, ADMIN, gw.GatewaySpec("gw-mqtt", "mqtt", "450300"))
    with engine.connect() as conn:
        stored = conn.execute(select(g.metering_gateway.c.secret).where(
            g.metering_gateway.c.code == "gw-mqtt")).scalar_one()
    _, _, iterations, salt, _ = stored.split("$")
    import base64

    assert stored == password_hash(mqtt["secret"], salt=base64.b64decode(salt),
                                   iterations=int(iterations))
    mohurd = gw.register_gateway(engine, ADMIN, gw.GatewaySpec(
        "4503000001/01", "mohurd", "450300", key="0123456789abcdef"))
    assert mohurd["secret"] == "0123456789abcdef" and mohurd["profile"] == "default"
    with pytest.raises(ValidationFailed) as err:
        gw.register_gateway(engine, ADMIN, gw.GatewaySpec("a/b", "mohurd", "450300",
                                                          key="short"))
    assert err.value.code == "metering.gateways.key_invalid"
    with pytest.raises(ValidationFailed) as err:
        gw.register_gateway(engine, ADMIN, gw.GatewaySpec("has space", "http", "450300"))
    assert err.value.code == "metering.gateways.code_invalid"
    with pytest.raises(Conflict):
        gw.register_gateway(engine, ADMIN, gw.GatewaySpec("gw-mqtt", "http", "450300"))


def test_scope_a_county_office_cannot_touch_another_countys_gateways(
        engine: Engine, world: dict[str, int]) -> None:
    theirs = gw.register_gateway(engine, XIUFENG, gw.GatewaySpec("xf-1", "http", "450302"))
    ours = gw.register_gateway(engine, YANGSHUO, gw.GatewaySpec("ys-1", "http", "450321"))
    before = _audits(engine)
    with pytest.raises(NotFound):  # a gateway of another county's region
        gw.register_gateway(engine, YANGSHUO, gw.GatewaySpec("ys-x", "http", "450302"))
    with pytest.raises(NotFound):  # an institution of another county
        gw.register_gateway(engine, YANGSHUO, gw.GatewaySpec("ys-y", "http", "450321",
                                                             institution=ORGAN))
    calls: list[Callable[[], object]] = [
        lambda: gw.rotate_secret(engine, YANGSHUO, theirs["gateway_id"]),
        lambda: gw.set_status(engine, YANGSHUO, theirs["gateway_id"], active=False),
        lambda: gw.assign_meters(engine, YANGSHUO, theirs["gateway_id"],
                                 [gw.Assignment("m", SCHOOL, "S1")]),
        lambda: gateway_detail(engine, YANGSHUO, theirs["gateway_id"]),
        lambda: refusal_log(engine, YANGSHUO, theirs["gateway_id"])]
    for call in calls:
        with pytest.raises(NotFound) as err:
            call()
        assert err.value.code == "metering.gateways.not_found"
    with pytest.raises(NotFound):  # another county's meter on its own gateway
        gw.assign_meters(engine, YANGSHUO, ours["gateway_id"], [gw.Assignment("m", ORGAN, "O1")])
    assert _audits(engine) == before
    listed = list_gateways(engine, YANGSHUO)
    assert [i["code"] for i in listed["items"]] == ["ys-1"]
    assert {i["code"] for i in list_gateways(engine, ADMIN)["items"]} == {"xf-1", "ys-1"}
    with pytest.raises(NotFound):
        list_gateways(engine, YANGSHUO, region="450302")
    school = user(Role.INSTITUTION, institution_id=world[SCHOOL], uid=4)
    with pytest.raises(CapabilityRequired):
        list_gateways(engine, school)
    with pytest.raises(CapabilityRequired):
        gw.register_gateway(engine, school, gw.GatewaySpec("s-1", "http", "450321"))


def test_assign_refuses_a_meter_fed_by_another_gateway_naming_it(
        engine: Engine, world: dict[str, int]) -> None:
    a = gw.register_gateway(engine, YANGSHUO, gw.GatewaySpec("ys-a", "http", "450321"))
    b = gw.register_gateway(engine, YANGSHUO, gw.GatewaySpec("ys-b", "mqtt", "450321"))
    done = gw.assign_meters(engine, YANGSHUO, a["gateway_id"],
                            [gw.Assignment("M-1", SCHOOL, "S1")])
    assert done["assigned"] == 1
    again = gw.assign_meters(engine, YANGSHUO, a["gateway_id"],
                             [gw.Assignment("M-1", SCHOOL, "S1")])
    assert (again["assigned"], again["unchanged"]) == (0, 1)
    with pytest.raises(Conflict) as err:
        gw.assign_meters(engine, YANGSHUO, b["gateway_id"], [gw.Assignment("X", SCHOOL, "S1")])
    assert err.value.code == "metering.gateways.meter_fed_elsewhere"
    assert "ys-a" in err.value.message_zh and "ys-a" in err.value.message_en
    with pytest.raises(Conflict) as err:  # the code names another meter already
        gw.assign_meters(engine, YANGSHUO, a["gateway_id"], [gw.Assignment("M-1", SCHOOL, "S2")])
    assert err.value.code == "metering.gateways.code_in_use"
    # the stored assignment is what the ingest resolves
    stored = store_batch(engine, "ys-a", [SentReading("M-1", T0, 5.0)], now=T0)
    assert stored.written == 1
    with pytest.raises(ReadingsRefused):
        store_batch(engine, "ys-b", [SentReading("M-1", T0, 5.0)], now=T0)
    gw.unassign_meter(engine, YANGSHUO, a["gateway_id"], "M-1")
    gw.assign_meters(engine, YANGSHUO, b["gateway_id"], [gw.Assignment("X", SCHOOL, "S1")])
    assert [m["code"] for m in gateway_detail(engine, YANGSHUO, b["gateway_id"])["assigned"]] \
        == ["X"]


def test_bulk_assignment_is_all_or_nothing_with_row_errors(engine: Engine,
                                                           world: dict[str, int]) -> None:
    a = gw.register_gateway(engine, YANGSHUO, gw.GatewaySpec("ys-a", "http", "450321"))
    content = ("网关表号,统一社会信用代码,表号\n"
               f"M-1,{SCHOOL},S1\nM-2,{SCHOOL},NOPE\nM-3,{ORGAN},O1\nM-4,{SILENT},Q1\n"
               ).encode("gbk")
    items = gw.assignments_from_csv(content, "meters.csv")
    assert [i.row for i in items] == [2, 3, 4, 5]
    with pytest.raises(ImportRejected) as err:
        gw.assign_meters(engine, YANGSHUO, a["gateway_id"], items, file="meters.csv")
    assert sorted(i.row for i in err.value.issues) == [3, 4]
    assert gateway_detail(engine, YANGSHUO, a["gateway_id"])["assigned"] == []
    good = [i for i in items if i.row in (2, 5)]
    done = gw.assign_meters(engine, YANGSHUO, a["gateway_id"], good, file="meters.csv")
    assert done["assigned"] == 2
    with pytest.raises(ImportRejected):
        gw.assignments_from_csv(b"code,meter\nx,y\n", "bad.csv")


def test_disable_list_counts_and_log(engine: Engine, world: dict[str, int]) -> None:
    a = gw.register_gateway(engine, YANGSHUO, gw.GatewaySpec("ys-a", "http", "450321",
                                                             institution=SCHOOL))
    gw.assign_meters(engine, YANGSHUO, a["gateway_id"], [gw.Assignment("M-1", SCHOOL, "S1")])
    now = T0 + 3600
    store_batch(engine, "ys-a", [SentReading("M-1", T0 + 900 * k, 1.0 + k)
                                 for k in range(3)], now=now)
    log_refusal(engine, "ys-a", "meter_unknown", "first", batch_id="b1", at=now - 10)
    log_refusal(engine, "ys-a", "malformed", "second", batch_id="b2", at=now - 5)
    item = list_gateways(engine, YANGSHUO, now=now)["items"][0]
    assert (item["meters"], item["readings_today"], item["refusals_today"]) == (1, 3, 2)
    assert item["institution"] == SCHOOL and item["last_seen"] is not None
    log = refusal_log(engine, YANGSHUO, a["gateway_id"])
    assert [r["reason"] for r in log["items"]] == ["second", "first"]
    assert log["total"] == 2
    assert refusal_log(engine, YANGSHUO, a["gateway_id"], per_page=1, page=2)["items"][0][
        "batch_id"] == "b1"
    gw.set_status(engine, YANGSHUO, a["gateway_id"], active=False)
    with pytest.raises(ReadingsRefused) as err:
        store_batch(engine, "ys-a", [SentReading("M-1", T0, 1.0)])
    assert err.value.refusal == "gateway_disabled"
    assert gw.set_status(engine, YANGSHUO, a["gateway_id"], active=True)["status"] == "active"
