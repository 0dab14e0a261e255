"""core.units: every alias, dimension checks, round trips (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.core.carriers import CARRIERS, carrier
from jieneng.core.exceptions import UnitMismatch, UnknownUnit
from jieneng.core.units import (
    _UNIT_TABLE,
    accepted_units,
    factor_to_canonical,
    parse_unit,
    to_canonical,
)

ALIASES = [(alias, symbol) for aliases, symbol, _d, _s in _UNIT_TABLE for alias in aliases]


@pytest.mark.parametrize(("alias", "symbol"), ALIASES)
def test_every_alias(alias: str, symbol: str) -> None:
    assert parse_unit(alias).symbol == symbol
    # full-width and spaced forms of the same alias
    assert parse_unit(f" {alias} ").symbol == symbol
    assert parse_unit(alias.upper()).symbol == symbol


@pytest.mark.parametrize(("text", "symbol"), [("m³", "m3"), ("ＫＷＨ", "kWh"), ("万 m³", "万m3")])
def test_folded_spellings(text: str, symbol: str) -> None:
    assert parse_unit(text).symbol == symbol


def test_unknown_unit() -> None:
    with pytest.raises(UnknownUnit, match="无法识别的计量单位“桶” / unrecognised unit '桶'"):
        parse_unit("桶")


def test_mismatch() -> None:
    with pytest.raises(UnitMismatch, match=r"单位“吨”不适用于电.*does not fit electricity"):
        factor_to_canonical(carrier("electricity"), "吨")


@pytest.mark.reference(source="GB 3100-1993 prefixes; 万 = 10⁴; form NY201 units")
@pytest.mark.parametrize(
    ("code", "unit", "factor"),
    [
        ("electricity", "万kWh", 1e4),
        ("electricity", "MWh", 1e3),
        ("electricity", "亿千瓦时", 1e8),
        ("water", "吨", 1.0),
        ("water", "万m3", 1e4),
        ("coal", "kg", 1e-3),
        ("coal", "万吨", 1e4),
        ("natural_gas", "万立方米", 1e4),
        ("lpg", "吨", 1e3),
        ("gasoline_vehicle", "千升", 1e3),
        ("gasoline_vehicle", "万升", 1e4),
        ("diesel_other", "m3", 1e3),
        ("heat", "百万千焦", 1.0),
        ("heat", "MJ", 1e-3),
        ("other_energy", "千克标准煤", 1e-3),
        ("other_energy", "万吨标准煤", 1e4),
    ],
)
def test_conversion_factors(code: str, unit: str, factor: float) -> None:
    assert factor_to_canonical(carrier(code), unit) == pytest.approx(factor, rel=1e-12)


def test_accepted_units_start_with_canonical() -> None:
    for c in CARRIERS:
        units = accepted_units(c)
        assert units[0] == c.canonical_unit
        for symbol in units:
            factor_to_canonical(c, symbol)  # every accepted unit converts


values = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(st.data())
def test_round_trip_between_units(data: st.DataObject) -> None:
    c = data.draw(st.sampled_from(CARRIERS))
    unit_a = data.draw(st.sampled_from(accepted_units(c)))
    unit_b = data.draw(st.sampled_from(accepted_units(c)))
    value = data.draw(values)
    canonical = to_canonical(c, value, unit_a)
    # the same quantity written in unit_b converts to the same canonical value
    in_b = value * factor_to_canonical(c, unit_a) / factor_to_canonical(c, unit_b)
    assert math.isclose(to_canonical(c, in_b, unit_b), canonical, rel_tol=1e-12, abs_tol=1e-12)
    # and back from canonical to unit_a
    back = canonical / factor_to_canonical(c, unit_a)
    assert math.isclose(back, value, rel_tol=1e-12, abs_tol=1e-12)
