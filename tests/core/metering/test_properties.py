"""Properties of readings → consumption over generated series (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from jieneng.core.metering import (
    ConsumptionOptions,
    GapPolicy,
    Meter,
    interval_consumption,
)

from .conftest import at

METER = Meter("P", "electricity", register_digits=6)
START = at("2026-03-01 00:00")

steps = st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), min_size=2,
                 max_size=200)


def _series(increments: list[float], skip: list[bool]) -> tuple[np.ndarray, np.ndarray]:
    values = 1000 + np.cumsum(increments)
    ts = START + 900 * np.arange(values.size)
    keep = ~np.array((skip * values.size)[:values.size])
    keep[[0, -1]] = True
    return ts[keep], values[keep]


@settings(max_examples=60, deadline=None)
@given(steps, st.lists(st.booleans(), min_size=1, max_size=7),
       st.sampled_from(list(GapPolicy)))
def test_a_rising_register_loses_and_invents_nothing(increments: list[float], skip: list[bool],
                                                     policy: GapPolicy) -> None:
    """Whatever readings are missing, the intervals add up to last − first."""
    ts, values = _series(increments, skip)
    result = interval_consumption(METER, ts, values,
                                  options=ConsumptionOptions(gap_policy=policy))
    assert result.intervals.total() == pytest.approx(values[-1] - values[0], abs=1e-6)
    assert not any(f.code.endswith(("reset", "removed", "negative_step")) for f in
                   result.findings)


@settings(max_examples=40, deadline=None)
@given(steps, st.randoms(use_true_random=False))
def test_resends_in_any_order_change_nothing(increments: list[float], rnd: object) -> None:
    ts, values = _series(increments, [False])
    once = interval_consumption(METER, ts, values)
    order = list(range(ts.size)) * 2
    rnd.shuffle(order)  # type: ignore[attr-defined]
    again = interval_consumption(METER, ts[order], values[order])
    assert_array_equal(once.intervals.energy, again.intervals.energy)
    assert_array_equal(once.intervals.flags, again.intervals.flags)


@settings(max_examples=40, deadline=None)
@given(steps, st.integers(min_value=1, max_value=150))
def test_a_wrap_is_counted_as_rollover(increments: list[float], at_index: int) -> None:
    """The same register shifted so that it passes 999999.x: same intervals."""
    ts, values = _series(increments, [False])
    base = interval_consumption(METER, ts, values)
    cut = min(at_index, values.size - 1)
    shifted = values - values[cut - 1] + 999_999.9 - 1e-3  # just below the wrap at cut
    wrapped = np.where(shifted >= 1e6, shifted - 1e6, shifted)
    result = interval_consumption(METER, ts, wrapped)
    assert result.intervals.total() == pytest.approx(base.intervals.total(), abs=1e-4)
