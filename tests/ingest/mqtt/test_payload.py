"""The batch payload: checked whole, every refusal with its stable code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jieneng.ingest.mqtt import MqttRefused, gateway_of, parse_batch, readings_topic
from jieneng.ingest.mqtt.payload import MAX_READINGS, Reading, parse_payload

TOPIC = "jieneng/v1/gw-1/readings"


def _doc(**reading: Any) -> dict[str, Any]:
    base = {"meter": "M-001", "ts": "2026-12-03T14:15:00+08:00", "value": 12.5,
            "kind": "cumulative", "unit": "kWh"}
    return {"gateway": "gw-1", "batch_id": "b1", "readings": [{**base, **reading}]}


def _parse(doc: Any, topic: str = TOPIC, **kw: Any) -> Any:
    return parse_batch(topic, json.dumps(doc).encode(), **kw)


def test_a_valid_batch() -> None:
    doc = _doc()
    doc["readings"].append({"meter": "电表-2", "ts": 1_796_278_500.9, "value": 3,
                            "kind": "interval"})
    batch = _parse(doc)
    assert batch.gateway == "gw-1" and batch.batch_id == "b1"
    assert batch.readings == (Reading("M-001", 1_796_278_500, 12.5, "cumulative", "kWh"),
                              Reading("电表-2", 1_796_278_500, 3.0, "interval", None))


def test_utc_z_and_offset_agree() -> None:
    assert (_parse(_doc(ts="2026-12-03T06:15:00Z")).readings[0].ts
            == _parse(_doc(ts="2026-12-03T14:15:00+08:00")).readings[0].ts)


@pytest.mark.parametrize(("reading", "code", "details"), [
    ({"value": "12"}, "mqtt.field_invalid", {"field": "value", "index": 0}),
    ({"value": True}, "mqtt.field_invalid", {"field": "value", "index": 0}),
    ({"kind": "delta"}, "mqtt.field_invalid", {"field": "kind", "index": 0}),
    ({"ts": "2026-12-03T14:15:00"}, "mqtt.ts_without_offset", {"index": 0}),
    ({"ts": "yesterday"}, "mqtt.field_invalid", {"field": "ts", "index": 0}),
    ({"ts": 12}, "mqtt.ts_out_of_range", {"index": 0}),
    ({"ts": None}, "mqtt.field_invalid", {"field": "ts", "index": 0}),
    ({"meter": ""}, "mqtt.field_invalid", {"field": "meter", "index": 0}),
    ({"unit": 5}, "mqtt.field_invalid", {"field": "unit", "index": 0}),
    ({"extra": 1}, "mqtt.field_unknown", {"field": "extra", "index": 0}),
])
def test_one_bad_reading_refuses_the_batch(reading: dict[str, Any], code: str,
                                           details: dict[str, Any]) -> None:
    with pytest.raises(MqttRefused) as err:
        _parse(_doc(**reading))
    assert (err.value.code, err.value.details) == (code, details)


def test_a_missing_field() -> None:
    doc = _doc()
    del doc["readings"][0]["value"]
    with pytest.raises(MqttRefused) as err:
        _parse(doc)
    assert (err.value.code, err.value.details) == ("mqtt.field_missing",
                                                   {"field": "value", "index": 0})


@pytest.mark.parametrize(("payload", "code"), [
    (b"{", "mqtt.payload_not_json"),
    (b"\xff\xfe", "mqtt.payload_not_json"),
    (b'{"gateway": "gw-1", "batch_id": "b", "readings": [{"value": NaN}]}',
     "mqtt.payload_not_json"),
    (b"[1]", "mqtt.payload_not_object"),
    (b'{"gateway": "gw-2", "batch_id": "b", "readings": []}', "mqtt.gateway_mismatch"),
    (b'{"gateway": "gw-1", "batch_id": "b", "readings": []}', "mqtt.batch_empty"),
    (b'{"gateway": "gw-1", "readings": []}', "mqtt.field_missing"),
    (b'{"gateway": "gw-1", "batch_id": "b", "readings": {}}', "mqtt.field_invalid"),
    (b'{"gateway": "gw-1", "batch_id": "b", "readings": [], "x": 1}', "mqtt.field_unknown"),
    (b"[" * 100_000, "mqtt.payload_not_json"),
])
def test_bad_payloads(payload: bytes, code: str) -> None:
    with pytest.raises(MqttRefused) as err:
        parse_batch(TOPIC, payload)
    assert err.value.code == code


def test_size_and_count_caps() -> None:
    with pytest.raises(MqttRefused) as err:
        parse_batch(TOPIC, b" " * 101, max_bytes=100)
    assert err.value.details == {"size": 101, "limit": 100}
    doc = _doc()
    doc["readings"] *= 3
    with pytest.raises(MqttRefused) as err:
        _parse(doc, max_readings=2)
    assert err.value.code == "mqtt.too_many_readings"
    assert MAX_READINGS >= 10_000


@pytest.mark.parametrize("topic", ["jieneng/v1/gw-1", "jieneng/v2/gw-1/readings",
                                   "jieneng/v1/a b/readings", "x/jieneng/v1/gw-1/readings"])
def test_topics(topic: str) -> None:
    with pytest.raises(MqttRefused) as err:
        gateway_of(topic)
    assert err.value.code == "mqtt.topic_invalid"
    assert gateway_of(readings_topic("gw.1_A-2")) == "gw.1_A-2"
    with pytest.raises(MqttRefused):
        readings_topic("gw/+")


def _per_reading(items: list[object]) -> object:
    """What the per-reading check makes of ``items`` (a tuple, or the refusal's code
    and details)."""
    from jieneng.ingest.mqtt.payload import _reading

    try:
        return tuple(_reading(item, i) for i, item in enumerate(items))
    except MqttRefused as err:
        return (err.code, err.details)


_GOOD = {"meter": "M-1", "ts": 1_764_518_400, "value": 1.5, "kind": "cumulative"}


@pytest.mark.parametrize("odd", [
    {}, {"unit": "kWh"}, {"unit": None}, {"extra": 1}, {"value": True}, {"value": 2},
    {"value": "1"}, {"ts": 1_764_518_400.7}, {"ts": "2025-12-01T00:00:00+08:00"},
    {"ts": 10}, {"ts": 5_000_000_000}, {"meter": "x" * 65}, {"meter": ""},
    {"meter": "a\nb"}, {"kind": "gauge"}, {"unit": "x" * 17}, {"value": 1e308},
])
def test_the_column_wise_check_agrees_with_the_per_reading_one(odd: dict[str, object]) -> None:
    from jieneng.ingest.mqtt.payload import _fast_readings

    items: list[object] = [dict(_GOOD), {**_GOOD, "meter": "M-2", **odd}, dict(_GOOD)]
    fast = _fast_readings(items)
    if fast is not None:
        assert fast == _per_reading(items)
    doc = {"gateway": "gw-a", "batch_id": "b", "readings": items}
    try:
        got: object = parse_payload("gw-a", json.dumps(doc).encode()).readings
    except MqttRefused as err:
        got = (err.code, err.details)
    assert got == _per_reading(items)
