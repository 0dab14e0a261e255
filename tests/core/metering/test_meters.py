"""The meter model: 分项 codes from the data table, 倍率, units, parents, events."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from jieneng.core.carriers import CARRIER_CODES, carrier
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.metering import (
    EventKind,
    Meter,
    MeterEvent,
    Multiplier,
    check_item_code,
    check_parents,
    item_code,
    item_codes,
    register_segments,
)

from .conftest import at


def test_every_item_code_row_has_a_source_and_the_5_character_form() -> None:
    path = resources.files("jieneng") / "data" / "metering" / "item_codes.csv"
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    assert [r["code"] for r in rows] == list(item_codes())
    for row in rows:
        assert len(row["code"]) == 5 and row["code"][:2].isdigit()
        assert row["source"].strip() and row["status"] in {"secondary_code", "structure"}
        assert set(row["carriers"].split()) <= set(CARRIER_CODES)


@pytest.mark.reference(source="reference-data.md §6 (the four electricity sub-items)")
@pytest.mark.parametrize(("code", "name"), [("01A00", "照明插座用电"), ("01B00", "空调用电"),
                                            ("01C00", "动力用电"), ("01D00", "特殊用电")])
def test_electricity_sub_items(code: str, name: str) -> None:
    assert item_code(code).name_zh == name
    assert check_item_code(code.lower(), carrier("electricity")).code == code


def test_unverified_codes_are_refused_with_the_known_ones() -> None:
    for code in ("01A10", "07000", "02A00"):  # third level, class 07, water "W"
        with pytest.raises(ValidationFailed, match=r"未知的分项编码 .*可用：01000, 01A00"):
            item_code(code)
    with pytest.raises(ValidationFailed, match=r"照明插座用电.*不能用于 水 计量表") as err:
        check_item_code("01A00", carrier("water"))
    assert err.value.code == "metering.item_code_carrier"
    assert "lighting and sockets" in err.value.message("en")


def test_meter_validation() -> None:
    meter = Meter("M1", "electricity", "01B00", Multiplier(ct=200 / 5, pt=10_000 / 100),
                  unit="MWh")
    assert meter.multiplier.value == pytest.approx(4000)
    assert Meter("M2", "electricity", " 01b00").item_code == "01B00"
    assert meter.unit_factor == 1000
    assert Meter("W1", "water", "02000", register_digits=5).modulus == 100_000
    cases = [
        ({"item_code": "02000"}, "metering.item_code_carrier"),
        ({"interval_s": 7}, "metering.invalid_interval"),
        ({"interval_s": 7200 * 5}, "metering.invalid_interval"),
        ({"register_digits": 0}, "metering.invalid_register_digits"),
        ({"max_rate": -1.0}, "metering.invalid_max_rate"),
        ({"parent": "M1"}, "metering.parent_cycle"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ValidationFailed) as err:
            Meter("M1", "electricity", **kwargs)  # type: ignore[arg-type]
        assert err.value.code == code
    with pytest.raises(ValidationFailed, match="倍率 ct = 0 无效"):
        Multiplier(ct=0)
    with pytest.raises(ValidationFailed, match="不能为空"):
        Meter(" ", "electricity")


def test_parents_must_exist_and_not_loop() -> None:
    a, b = Meter("A", "electricity", parent="B"), Meter("B", "electricity", parent="C")
    with pytest.raises(ValidationFailed, match="上级计量表 C 不存在"):
        check_parents([a, b])
    c = Meter("C", "electricity", parent="A")
    with pytest.raises(ValidationFailed, match="循环：A → B → C → A"):
        check_parents([a, b, c])
    check_parents([a, b, Meter("C", "electricity")])


def test_events_delimit_register_segments() -> None:
    meter = Meter("M1", "electricity", multiplier=Multiplier(ct=40))
    t0, t1, t2, t3 = at("2026-01-01 00:00"), at("2026-02-01 00:00"), at("2026-03-01 00:00"), \
        at("2026-04-01 00:00")
    assert [(s.start, s.end, s.multiplier) for s in register_segments(meter)] == [
        (None, None, 40)]
    segments = register_segments(meter, [
        MeterEvent.remove(t3, final=90),
        MeterEvent.install(t0, initial=0),
        MeterEvent.replace(t1, final=500.6, initial=0, multiplier=Multiplier(ct=60),
                           register_digits=5),
    ])
    assert [(s.start, s.end, s.initial, s.final, s.multiplier, s.modulus)
            for s in segments] == [(t0, t1, 0, 500.6, 40, None), (t1, t3, 0, 90, 60, 100_000)]
    assert segments[0].covers(t0) and not segments[0].covers(t1)
    # an open past: a replacement with no install before it
    first = register_segments(meter, [MeterEvent.replace(t1, final=5, initial=0)])[0]
    assert (first.start, first.end) == (None, t1)
    for events in ([MeterEvent.install(t0, initial=0), MeterEvent.install(t2, initial=0)],
                   [MeterEvent.remove(t0, final=1), MeterEvent.replace(t2, final=1, initial=0)],
                   [MeterEvent.replace(t0, final=1, initial=0), MeterEvent.remove(t0, final=2)]):
        with pytest.raises(ValidationFailed, match="事件顺序有误") as err:
            register_segments(meter, events)
        assert err.value.code == "metering.event_order"
    with pytest.raises(ValidationFailed, match="更换事件缺少有效的末次"):
        MeterEvent(EventKind.REPLACE, t0, None, 0.0)
