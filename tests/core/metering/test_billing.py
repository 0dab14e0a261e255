"""Billing periods (账期) → calendar months, worked by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.metering import Allocation, BillingPeriod, allocate

D = dt.date
#: a 抄表 cycle 2026-01-21 … 2026-02-20: 11 days in January, 20 in February
BILL = BillingPeriod(D(2026, 1, 21), D(2026, 2, 20), quantity=3100.0, cost=1860.0)


def _table(shares: tuple) -> list[tuple]:  # type: ignore[type-arg]
    return [(s.year, s.month, s.days, pytest.approx(s.quantity), pytest.approx(s.cost),
             s.method) for s in shares]


def test_pro_rata_by_days() -> None:
    """3100 kWh over 31 days = 100 kWh a day: January 11 days → 1100, February 20 → 2000;
    1860 元 likewise 660 / 1200."""
    assert BILL.days == 31
    assert _table(allocate(BILL, Allocation.DAYS)) == [
        (2026, 1, 11, 1100, 660, Allocation.DAYS), (2026, 2, 20, 2000, 1200, Allocation.DAYS)]


def test_by_daily_data_where_present() -> None:
    """Metered 40 kWh a day in January (11 × 40 = 440) and 33 in February (20 × 33 = 660):
    January's share 440 / 1100 = 0.4 → 1240 kWh and 744 元; February 1860 kWh, 1116 元."""
    days = np.arange(np.datetime64("2026-01-15"), np.datetime64("2026-03-01"))
    daily = np.where(days < np.datetime64("2026-02-01"), 40.0, 33.0)
    shares = allocate(BILL, Allocation.DAILY, daily_dates=days, daily_values=daily)
    assert _table(shares) == [(2026, 1, 11, 1240, 744, Allocation.DAILY),
                              (2026, 2, 20, 1860, 1116, Allocation.DAILY)]
    assert sum(s.quantity for s in shares) == BILL.quantity  # exact: the remainder is last
    # one day missing → pro rata by days, and the share says so
    gap = days != np.datetime64("2026-02-03")
    fallback = allocate(BILL, Allocation.DAILY, daily_dates=days[gap], daily_values=daily[gap])
    assert _table(fallback) == _table(allocate(BILL, Allocation.DAYS))
    nan = daily.copy()
    nan[10] = np.nan
    assert allocate(BILL, daily_dates=days, daily_values=nan)[0].method is Allocation.DAYS
    assert allocate(BILL)[0].method is Allocation.DAYS  # the default rule without data


def test_whole_bill_to_the_month_it_ends() -> None:
    assert _table(allocate(BILL, Allocation.END_MONTH)) == [
        (2026, 1, 11, 0, 0, Allocation.END_MONTH),
        (2026, 2, 20, 3100, 1860, Allocation.END_MONTH)]


def test_a_bill_over_three_months_and_without_cost() -> None:
    """2025-12-31 … 2026-03-01 = 1 (Dec) + 31 (Jan) + 28 (Feb) + 1 (Mar) = 61 days;
    6100 kWh → 100 / 3100 / 2800 / 100."""
    bill = BillingPeriod(D(2025, 12, 31), D(2026, 3, 1), 6100.0)
    shares = allocate(bill, Allocation.DAYS)
    assert [(s.year, s.month, s.days) for s in shares] == [(2025, 12, 1), (2026, 1, 31),
                                                           (2026, 2, 28), (2026, 3, 1)]
    assert [s.quantity for s in shares] == pytest.approx([100, 3100, 2800, 100])
    assert all(s.cost is None for s in shares)


def test_bad_bills_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="结束日 2026-01-01 早于开始日 2026-01-02"):
        BillingPeriod(D(2026, 1, 2), D(2026, 1, 1), 1.0)
    with pytest.raises(ValidationFailed, match="账单数值无效"):
        BillingPeriod(D(2026, 1, 1), D(2026, 1, 2), float("nan"))
