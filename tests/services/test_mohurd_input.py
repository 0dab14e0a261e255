"""``jieneng gateway serve`` end to end on both databases: the receiver on a free port,
simulated gateways over real sockets, readings stored exactly once and acknowledged
after the commit; wrong MD5, truncated and oversized frames, unknown and foreign meters,
unknown gateways refused and logged per gateway with a reason, nothing half-stored, and
a second gateway served meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from jieneng.core.permissions import Role
from jieneng.ingest.mohurd import load_profile
from jieneng.ingest.mohurd.client import GatewayClient
from jieneng.ingest.mohurd.framing import encode_frame
from jieneng.ingest.mohurd.server import Limits, Receiver
from jieneng.services.metering.mohurd_input import MohurdInput, sent_readings
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import gateways as g
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from tests.sample import ORGAN, SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
PROFILE = load_profile("default")
AES = bytes(range(1, 17))
B = "450300D001"
KEYS = {"01": "key-of-gateway-01", "02": "key-of-gateway-02", "03": "key-of-gateway-03"}
T0 = 1_764_518_400  # 2025-12-01 00:00 China time


@pytest.fixture
def world(engine: Engine, files: Files, tmp_path: Path) -> dict[str, int]:
    load(engine, files)
    for number, inst in (("E1", ORGAN), ("E2", ORGAN), ("S1", SCHOOL)):
        add_meter(engine, ADMIN, inst, MeterSpec(number, "电"))
    with engine.begin() as conn:
        meters: dict[str, int] = dict(conn.execute(select(m.metering_meter.c.number,
                                          m.metering_meter.c.id)).all())
        ids = {}
        for gw, status in (("01", "active"), ("02", "active"), ("03", "disabled")):
            ids[gw] = conn.execute(insert(g.metering_gateway).values(
                code=f"{B}/{gw}", protocol="mohurd", region_code="450300", secret=KEYS[gw],
                profile=None if gw == "01" else "default", status=status, created_by="t",
                created_at=T0).returning(g.metering_gateway.c.id)).scalar_one()
        conn.execute(insert(g.metering_gateway_meter), [
            {"gateway_id": ids["01"], "code": "1/1", "meter_id": meters["E1"]},
            {"gateway_id": ids["01"], "code": "2/1", "meter_id": meters["E2"]},
            {"gateway_id": ids["02"], "code": "9/1", "meter_id": meters["S1"]}])
    return {**ids, **meters}


def _run(engine: Engine, scenario: Callable[[int, list[GatewayClient]], Awaitable[Any]]
         ) -> Receiver:
    receiver = Receiver(PROFILE, MohurdInput(engine), aes_key=AES, limits=Limits(workers=2))

    async def main() -> None:
        port = await receiver.start("127.0.0.1", 0)
        clients: list[GatewayClient] = []
        try:
            await asyncio.wait_for(scenario(port, clients), 15)
        finally:
            for client in clients:
                await client.close()
            await receiver.shutdown()

    asyncio.run(main())
    return receiver


async def _login(port: int, clients: list[GatewayClient], gw: str, key: str | None = None,
                 ok: bool = True) -> GatewayClient:
    client = GatewayClient(PROFILE, B, gw, key or KEYS[gw], aes_key=AES)
    clients.append(client)
    await client.connect("127.0.0.1", port)
    assert await client.login() is ok
    return client


def _readings(engine: Engine) -> list[tuple[int, int, float]]:
    with engine.connect() as conn:
        rows = conn.execute(select(r.metering_reading.c.meter_id, r.metering_reading.c.ts,
                                   r.metering_reading.c.value)
                            .order_by(r.metering_reading.c.meter_id, r.metering_reading.c.ts))
        return [tuple(row) for row in rows]


def _log(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(g.metering_gateway_log.c.gateway_code,
                                   g.metering_gateway_log.c.kind,
                                   g.metering_gateway_log.c.reason)
                            .order_by(g.metering_gateway_log.c.id))
        return [tuple(row) for row in rows]


def test_readings_are_stored_exactly_once_and_acknowledged(engine: Engine,
                                                           world: dict[str, int]) -> None:
    async def scenario(port: int, clients: list[GatewayClient]) -> None:
        gw = await _login(port, clients, "01")
        assert await gw.heartbeat() is not None
        values = [("1", "1", "100.5"), ("2", "1", "40")]
        ack = await gw.report("1", T0, values)
        assert ack is not None and ack.fields["sequence"] == "1"
        assert len(_readings(engine)) == 2  # committed before the ack
        ack = await gw.report("1", T0, values)  # a resend of the same sequence
        assert ack is not None and ack.fields["sequence"] == "1"
        history = [("1", "1", "99.5"), ("2", "1", "39")]
        ack = await gw.report("2", T0 - 900, history, operation="continuous")
        assert ack is not None and ack.operation == "continuous_ack"

    _run(engine, scenario)
    assert _readings(engine) == [
        (world["E1"], T0 - 900, 99.5), (world["E1"], T0, 100.5),
        (world["E2"], T0 - 900, 39.0), (world["E2"], T0, 40.0)]
    assert _log(engine) == []
    with engine.connect() as conn:
        seen = conn.execute(select(g.metering_gateway.c.last_seen).where(
            g.metering_gateway.c.id == world["01"])).scalar_one()
    assert seen is not None


def test_bad_input_is_refused_logged_and_the_other_gateway_is_served(
        engine: Engine, world: dict[str, int]) -> None:
    async def scenario(port: int, clients: list[GatewayClient]) -> None:
        other = await _login(port, clients, "02")
        gw = await _login(port, clients, "01")
        # an unknown meter, another gateway's meter: the whole batch refused, acknowledged
        for seq, values in (("10", [("1", "1", "5"), ("7", "7", "1")]),
                            ("11", [("1", "1", "5"), ("9", "1", "1")]),
                            ("12", [("1", "1", "5"), ("2", "1", "n/a")])):
            ack = await gw.report(seq, T0, values)
            assert ack is not None and ack.fields["sequence"] == seq
        ack = await other.report("1", T0, [("9", "1", "12")])
        assert ack is not None
        # oversized, then a good batch on the same connection (resynchronised)
        await gw.send_bytes(PROFILE.framing.magic + (9 << 20).to_bytes(4, "little"))
        ack = await gw.report("13", T0, [("1", "1", "6")])
        assert ack is not None and ack.fields["sequence"] == "13"
        # truncated: the connection ends inside a frame
        await gw.send_bytes(encode_frame(PROFILE.framing, b"z" * 300)[:40])
        await gw.close()
        await _login(port, clients, "01", key="not-the-key", ok=False)
        await _login(port, clients, "03", ok=False)  # disabled
        stranger = GatewayClient(PROFILE, "NOBODY", "01", "k", aes_key=AES)
        clients.append(stranger)
        await stranger.connect("127.0.0.1", port)
        assert not await stranger.login()
        ack = await other.report("2", T0 + 900, [("9", "1", "13")])  # still served
        assert ack is not None and ack.fields["sequence"] == "2"
        for _ in range(200):  # the truncation is logged once the server saw the close
            if len(_log(engine)) >= 8:
                break
            await asyncio.sleep(0.02)

    _run(engine, scenario)
    assert _readings(engine) == [(world["E1"], T0, 6.0), (world["S1"], T0, 12.0),
                                 (world["S1"], T0 + 900, 13.0)]
    logged = _log(engine)
    assert sorted((code, kind) for code, kind, _ in logged) == sorted([
        (f"{B}/01", "meter_unknown"), (f"{B}/01", "meter_not_gateways"),
        (f"{B}/01", "malformed"), (f"{B}/01", "oversized"), (f"{B}/01", "truncated"),
        (f"{B}/01", "md5"), (f"{B}/03", "gateway_disabled"), ("NOBODY/01", "gateway_unknown")])
    reasons = {kind: reason for _, kind, reason in logged}
    assert "7/7" in reasons["meter_unknown"] and "9/1" in reasons["meter_not_gateways"]
    assert "n/a" in reasons["malformed"] and " / " in reasons["md5"]
    with engine.connect() as conn:
        batch = conn.execute(select(g.metering_gateway_log.c.batch_id, g.metering_gateway_log
                                    .c.readings).where(
            g.metering_gateway_log.c.kind == "meter_unknown")).one()
    assert tuple(batch) == ("report:10", 2)


def test_failed_reads_are_gaps_and_times_are_china_time() -> None:
    from jieneng.ingest.mohurd.model import Function, Message, Meter
    from jieneng.ingest.mohurd.session import readings_batch

    message = Message("report", B, "01", {"sequence": "1", "parser": "yes",
                                          "time": "20251201000000"},
                      (Meter("1", (Function("1", "5", "01000", "0"),
                                   Function("2", "", "01000", "192"))),))
    frame = sent_readings(readings_batch(message))
    assert frame.rows() == [("1/1", T0, 5.0)]


def test_a_gateway_registered_through_the_registry_is_served(engine: Engine, files: Files,
                                                             tmp_path: Path) -> None:
    from jieneng.services.metering.gateways import (
        Assignment,
        GatewaySpec,
        assign_meters,
        register_gateway,
    )

    load(engine, files)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("E9", "电"))
    made = register_gateway(engine, ADMIN, GatewaySpec(f"{B}/07", "mohurd", "450300"))
    assign_meters(engine, ADMIN, made["gateway_id"], [Assignment("3/1", ORGAN, "E9")])

    async def scenario(port: int, clients: list[GatewayClient]) -> None:
        gw = await _login(port, clients, "07", key=made["secret"])
        ack = await gw.report("1", T0, [("3", "1", "42.5")])
        assert ack is not None and ack.fields["sequence"] == "1"

    _run(engine, scenario)
    assert [v for _, _, v in _readings(engine)] == [42.5]
