"""GB/T 8170-2008 数值修约 (四舍六入五成双)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.core.rounding import format_number, format_percent, round_gb8170, to_wan


@pytest.mark.reference(source="GB/T 8170-2008 clause 3.3 examples (rule: 四舍六入五成双)")
@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (12.1498, 1, 12.1),  # below half: drop
        (10.502, 0, 11.0),  # above half: up
        (1.050, 1, 1.0),  # exactly half, kept digit even (0): stay
        (0.35, 1, 0.4),  # exactly half, kept digit odd: up to even
        (2500, -3, 2000.0),  # tens of hundreds: 2 stays
        (3500, -3, 4000.0),
        (-0.0365, 3, -0.036),  # negative: by absolute value
        (2.675, 2, 2.68),  # decimal of the shortest repr, not binary 2.67499…
        (0.125, 2, 0.12),
        (0.135, 2, 0.14),
    ],
)
def test_round_half_even(value: float, digits: int, expected: float) -> None:
    assert round_gb8170(value, digits) == expected


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 6))
def test_rounding_is_idempotent_and_close(value: float, digits: int) -> None:
    once = round_gb8170(value, digits)
    assert round_gb8170(once, digits) == once
    assert abs(once - value) <= 0.5 * 10**-digits + 1e-9 * max(1.0, abs(value))


def test_format_number() -> None:
    assert format_number(1234567.125, 2) == "1,234,567.12"
    assert format_number(1234.5, 0, thousands=False) == "1234"
    assert format_number(12345, -2) == "12,300"
    assert format_number(-0.001, 2) == "0.00"
    assert format_number(None) == "—"
    assert format_number(None, missing="") == ""


def test_format_percent_and_wan() -> None:
    assert format_percent(0.0523) == "+5.2%"
    assert format_percent(-0.1) == "-10.0%"
    assert format_percent(0.0) == "0.0%"
    assert format_percent(None) == "—"
    assert to_wan(1107500.0) == 110.75
