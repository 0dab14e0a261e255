"""core.fleet: fuel kinds and which are 新能源汽车 (工信部令第39号 第三条), targets with
their sources, shares as ratios of counts, charging spaces within parking spaces, coal
clearance (煤炭消费动态清零) — refusals asserted by code and text."""

from __future__ import annotations

import pytest

from jieneng.core import fleet
from jieneng.core.exceptions import ValidationFailed


def test_nev_kinds_follow_the_definition() -> None:
    # 插电式混合动力（含增程式）、纯电动、燃料电池 — and nothing else
    assert set(fleet.nev_codes()) == {"bev", "phev", "erev", "fcev"}
    assert all("工信部令第39号" in k.source for k in fleet.fuel_kinds() if k.nev)
    assert not fleet.fuel_kind("油电混合").nev  # a hybrid that cannot be charged


@pytest.mark.parametrize(("written", "code"), [
    ("纯电动", "bev"), ("插电混动", "phev"), ("插电式混合动力", "phev"), ("增程式", "erev"),
    ("燃料电池", "fcev"), ("汽油", "gasoline"), ("柴油", "diesel"), ("天然气", "natural_gas"),
    ("ＢＥＶ", "bev"), (" Diesel ", "diesel"), ("CNG", "natural_gas"),
])
def test_fuel_names_codes_and_aliases(written: str, code: str) -> None:
    assert fleet.fuel_kind(written).code == code


def test_unknown_fuel_is_refused_naming_the_kinds() -> None:
    with pytest.raises(ValidationFailed) as caught:
        fleet.fuel_kind("蒸汽")
    assert caught.value.code == "fleet_unknown_fuel"
    assert "蒸汽" in caught.value.message_zh and "纯电动" in caught.value.message_zh
    assert "unknown fuel kind" in caught.value.message_en


def test_targets_are_data_with_sources() -> None:
    nev, charging = fleet.target("nev_purchase_share"), fleet.target("charging_space_share")
    assert nev.value == pytest.approx(0.30) and "30%" in nev.source
    assert charging.value == pytest.approx(0.08) and "渠县" in charging.source
    assert charging.status == "local" and nev.status == "national"


def test_shares_and_targets() -> None:
    assert fleet.share(3, 10) == pytest.approx(0.3)
    assert fleet.share(0, 0) is None
    assert fleet.meets(0.3, 0.3) is True and fleet.meets(0.29, 0.3) is False
    assert fleet.meets(None, 0.3) is None


def test_charging_spaces_lie_within_parking() -> None:
    fleet.check_charging(100, 8)
    fleet.check_charging(0, 0)
    with pytest.raises(ValidationFailed) as caught:
        fleet.check_charging(10, 11)
    assert caught.value.code == "fleet_charging_over_parking"
    assert "11" in caught.value.message_zh and "10" in caught.value.message_en
    with pytest.raises(ValidationFailed):
        fleet.check_target(1.5)
    assert fleet.check_target(0.1) == 0.1


def test_coal_lines_and_clearance() -> None:
    assert fleet.COAL_CARRIERS == ("coal",)  # NY201 line 130 煤炭 [t]
    assert fleet.coal_cleared(0.0, 0) and fleet.coal_cleared(None, 0)
    assert not fleet.coal_cleared(1.5, 0)
    assert not fleet.coal_cleared(0.0, 1)


def test_status_and_equipment_names() -> None:
    assert fleet.status("vehicle", "已处置") == "disposed"
    assert fleet.status("equipment", "已拆除") == "removed"
    assert fleet.equipment_kind("燃煤锅炉").code == "boiler"
    with pytest.raises(ValidationFailed) as caught:
        fleet.status("vehicle", "借出")
    assert caught.value.code == "fleet_unknown_status" and "在用" in caught.value.message_zh
