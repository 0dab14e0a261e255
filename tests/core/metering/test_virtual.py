"""Virtual meters: formulas parsed without eval, evaluated over aligned series."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.metering import (
    Flag,
    IntervalSeries,
    VirtualMeter,
    evaluate,
    evaluate_all,
    evaluation_order,
)
from jieneng.core.metering.formula import Binary, Negate, Number, Ref, parse, references

from .conftest import at

Q = 900
NAN = np.nan


def _series(name: str, first: str, energy: list[float], flags: list[int] | None = None
            ) -> IntervalSeries:
    start = at(first) + Q * np.arange(len(energy))
    return IntervalSeries(name, Q, start, np.array(energy, float),
                          np.array(flags or [0] * len(energy), np.uint16))


def test_parse() -> None:
    assert parse("M1 - M2 + 0.5*M3") == Binary(
        "+", Binary("-", Ref("M1"), Ref("M2")), Binary("*", Number(0.5), Ref("M3")))
    assert parse("-(总表 + [3301-0001]) * 2") == Binary(
        "*", Negate(Binary("+", Ref("总表"), Ref("3301-0001"))), Number(2))
    assert references(parse("a.b + 1e3*c - (d)")) == {"a.b", "c", "d"}
    long_sum = " + ".join(f"M{i}" for i in range(250))  # a deep tree, walked without recursion
    assert len(references(parse(long_sum))) == 250


@pytest.mark.parametrize(("formula", "position"), [
    ("M1 +", 5), ("M1 ** 2", 5), ("__import__('os').system('x')", 12), ("M1 M2", 4),
    ("(M1", 4), ("M1 / 2", 4), ("", 1), ("M1; M2", 3),
])
def test_syntax_errors_name_the_position(formula: str, position: int) -> None:
    with pytest.raises(ValidationFailed, match=f"第 {position} 个字符处有语法错误") as err:
        parse(formula)
    assert err.value.code == "metering.formula_syntax"


def test_other_refusals() -> None:
    with pytest.raises(ValidationFailed, match="乘法须至少一侧为常数"):
        parse("M1 * (M2 - 1)")
    with pytest.raises(ValidationFailed, match="嵌套过深"):
        parse("(" * 60 + "M1" + ")" * 60)
    with pytest.raises(ValidationFailed, match="公式过长"):
        parse("M1+" * 1000 + "M1")
    with pytest.raises(ValidationFailed, match="没有引用任何计量表"):
        VirtualMeter("V", "electricity", "2 * 3")


def test_evaluate_missing_propagates() -> None:
    """V = M1 − M2 + 0.5 × M3 on the union grid 00:00 … 01:00: M1 misses 00:30, M2 starts at
    00:15, M3 reaches 01:00. 00:00: M2 absent → missing; 00:15: 20 − 1 + 2 = 21; 00:30:
    M1 missing → missing; 00:45: 40 − 3 + 2 = 39; 01:00: M1, M2 absent → missing. MyEMS
    would read the absent hours as 0."""
    series = {
        "M1": _series("M1", "2026-03-01 00:00", [10, 20, NAN, 40], [0, Flag.SPREAD, 0, 0]),
        "M2": _series("M2", "2026-03-01 00:15", [1, 2, 3]),
        "M3": _series("M3", "2026-03-01 00:00", [4, 4, 4, 4, 4]),
    }
    result = evaluate(VirtualMeter("V", "electricity", "M1 - M2 + 0.5*M3"), series)
    assert result.meter == "V"
    assert_array_equal(result.start, at("2026-03-01 00:00") + Q * np.arange(5))
    assert_allclose(result.energy, [NAN, 21, NAN, 39, NAN])
    assert_array_equal(result.flags, [0, Flag.SPREAD, 0, 0, 0])


def test_virtual_meters_read_virtual_meters_in_order_and_loops_are_refused() -> None:
    physical = {"B": _series("B", "2026-03-01 00:00", [100, 110]),
                "DC": _series("DC", "2026-03-01 00:00", [30, 35])}
    carriers = {"B": "electricity", "DC": "electricity", "W": "water"}
    office = VirtualMeter("OFFICE", "electricity", "B - DC")
    half = VirtualMeter("HALF", "electricity", "0.5 * OFFICE")
    assert [v.number for v in evaluation_order([half, office], carriers)] == ["OFFICE", "HALF"]
    out = evaluate_all([half, office], physical, carriers)
    assert_allclose(out["HALF"].energy, [35, 37.5])
    loop = [VirtualMeter("V1", "electricity", "V2 + B"), VirtualMeter("V2", "electricity",
                                                                       "V1 - DC")]
    with pytest.raises(ValidationFailed, match="循环：V1 → V2 → V1") as err:
        evaluation_order(loop, carriers)
    assert err.value.code == "metering.virtual_cycle"
    with pytest.raises(ValidationFailed, match="不存在的计量表 X"):
        evaluation_order([VirtualMeter("V", "electricity", "B - X")], carriers)
    with pytest.raises(ValidationFailed, match="能源品种 water"):
        evaluation_order([VirtualMeter("V", "electricity", "B - W")], carriers)


def test_different_intervals_are_refused() -> None:
    series = {"A": _series("A", "2026-03-01 00:00", [1]),
              "H": IntervalSeries("H", 3600, np.array([at("2026-03-01 00:00")]), np.ones(1),
                                  np.zeros(1, np.uint16))}
    with pytest.raises(ValidationFailed, match="计量时段不同"):
        evaluate(VirtualMeter("V", "electricity", "A + H"), series)
