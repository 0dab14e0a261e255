"""services.metering.mqtt_input on both databases: a group of batches in one
transaction — the good ones stored, a refused one left out whole and logged on its
gateway's page; a malformed payload logged there too."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from jieneng.ingest.mqtt import Batch, DeadLetter, JsonlDeadLetters, MqttRefused, Reading
from jieneng.services.metering.mqtt_input import DeadLetterLog, MqttStore
from jieneng.storage import gateways as g
from jieneng.storage import metering as m
from jieneng.storage import tables as t

T0 = 1_764_518_400


def _world(engine: Engine) -> None:
    with engine.begin() as conn:
        if conn.execute(select(t.region.c.code).where(t.region.c.code == "450300")).first() is None:
            conn.execute(insert(t.region).values(code="450300", name="桂林市", level=2))
        inst = conn.execute(insert(t.institution).values(
            credit_code="12450300MB0000009X", name="计量单位", name_key="计量单位",
            region_code="450300", category="01").returning(t.institution.c.id)).scalar_one()
        meters = conn.execute(insert(m.metering_meter).returning(m.metering_meter.c.id), [
            {"institution_id": inst, "number": f"Q{k}", "carrier": "electricity",
             "register": "cumulative", "unit": "kWh"} for k in range(3)]).scalars().all()
        for code, meter in (("gq-a", meters[:2]), ("gq-b", meters[2:])):
            gid = conn.execute(insert(g.metering_gateway).values(
                code=code, protocol="mqtt", region_code="450300", created_by="t",
                created_at=T0).returning(g.metering_gateway.c.id)).scalar_one()
            conn.execute(insert(g.metering_gateway_meter), [
                {"gateway_id": gid, "code": f"{code}-{k}", "meter_id": mid}
                for k, mid in enumerate(meter)])


def _batch(gateway: str, meters: list[str], n: int) -> Batch:
    return Batch(gateway, f"{gateway}#{n}", tuple(
        Reading(code, T0 + 900 * n, 10.0 * n + k, "cumulative", None)
        for k, code in enumerate(meters)))


def test_a_group_stores_the_good_batches_and_logs_the_refused(engine: Engine) -> None:
    _world(engine)
    target = MqttStore(engine)
    group = [_batch("gq-a", ["gq-a-0", "gq-a-1"], 0),
             _batch("gq-a", ["gq-a-0", "gq-b-0"], 1),  # a meter of another gateway
             _batch("gq-x", ["x"], 2),  # nobody registered gq-x
             _batch("gq-b", ["gq-b-0"], 3)]
    outcomes = target.store_many(group)
    assert [None if o is None else o.code for o in outcomes] == [
        None, "readings.meter_not_gateways", "readings.gateway_unknown", None]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*), sum(value) FROM metering_reading")).one()
        log = conn.execute(select(g.metering_gateway_log.c.gateway_code,
                                  g.metering_gateway_log.c.kind,
                                  g.metering_gateway_log.c.batch_id)
                           .order_by(g.metering_gateway_log.c.id)).all()
        seen = conn.execute(select(g.metering_gateway.c.last_seen)).scalars().all()
    assert tuple(stored) == (3, 0.0 + 1.0 + 30.0)
    assert [tuple(row) for row in log] == [("gq-a", "meter_not_gateways", "gq-a#1"),
                                           ("gq-x", "gateway_unknown", "gq-x#2")]
    assert all(s is not None for s in seen)
    assert target.store_many(group[:1]) == [None]  # a resend: stored once
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM metering_reading")).scalar_one() == 3


def test_a_malformed_payload_is_logged_on_its_gateways_page(engine: Engine,
                                                             tmp_path: Path) -> None:
    _world(engine)
    record = DeadLetterLog(engine, JsonlDeadLetters(tmp_path / "dead.jsonl"))
    record(DeadLetter.of("jieneng/v1/gq-a/readings", "gq-a", b"{no",
                         MqttRefused.of("mqtt.payload_not_json")))
    with engine.connect() as conn:
        kinds = conn.execute(select(g.metering_gateway_log.c.gateway_code,
                                    g.metering_gateway_log.c.kind)).all()
    assert [tuple(k) for k in kinds] == [("gq-a", "malformed")]
    assert json.loads((tmp_path / "dead.jsonl").read_text())["code"] == "mqtt.payload_not_json"


def test_unknown_meters_and_a_disabled_gateway_refuse_their_batches(engine: Engine) -> None:
    _world(engine)
    with engine.begin() as conn:
        conn.execute(g.metering_gateway.update().where(g.metering_gateway.c.code == "gq-b")
                     .values(status="disabled"))
    outcomes = MqttStore(engine).store_many([
        _batch("gq-a", ["gq-a-0", "nobody"], 0), _batch("gq-b", ["gq-b-0"], 1),
        _batch("gq-a", ["gq-a-1"], 2)])
    assert [None if o is None else o.code for o in outcomes] == [
        "readings.meter_unknown", "readings.gateway_disabled", None]
    assert outcomes[0] is not None and "nobody" in outcomes[0].message_en
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM metering_reading")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM metering_dirty")).scalar_one() == 1
