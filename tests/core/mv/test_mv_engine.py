"""The M&V engine on constructed series: known balance points, coefficients and savings
recovered for the daily, billing and monthly methods (CalTRACK 2.0 clauses in the
docstrings), sufficiency failures named, non-routine adjustments applied."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.mv.data import DateRange, MeterSeries, prepare_periods
from jieneng.core.mv.fit import FitOptions, fit_and_evaluate
from jieneng.core.mv.savings import Adjustment
from jieneng.core.mv.temperature import daily_temperature, f_to_c, to_fahrenheit

BASE = DateRange(date(2022, 1, 1), date(2022, 12, 31))
REP = DateRange(date(2023, 1, 1), date(2023, 12, 31))
DAYS = np.arange(np.datetime64("2022-01-01"), np.datetime64("2024-01-01"))


def _temps_f(seed: int = 0) -> np.ndarray:
    doy = (DAYS - DAYS[0]).astype(int)
    noise = np.random.default_rng(seed).normal(0, 4, len(DAYS))
    return np.asarray(60 - 25 * np.cos(2 * np.pi * doy / 365.25) + noise)


def _model(t: np.ndarray) -> np.ndarray:
    """μ = 100 /day, β_H = 3 per °F-day above 55 °F, β_C = 4 per °F-day above 70 °F."""
    return np.asarray(100 + 3 * np.maximum(55 - t, 0) + 4 * np.maximum(t - 70, 0))


def _daily_usage(t: np.ndarray, saving: float = 0.1) -> np.ndarray:
    usage = _model(t)
    usage[np.datetime64("2023-01-01") <= DAYS] *= 1 - saving
    return usage


def _months(values_per_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    months = np.arange(np.datetime64("2022-01"), np.datetime64("2024-01"))
    index = (DAYS.astype("datetime64[M]") - months[0]).astype(int)
    return months, np.bincount(index, weights=values_per_day)


@pytest.mark.reference("CalTRACK 2.0 §3.2–3.4: known balance points and coefficients")
def test_daily_recovers_the_model_and_the_savings() -> None:
    t = _temps_f()
    result = fit_and_evaluate(MeterSeries.daily(DAYS, _daily_usage(t)),
                              daily_temperature(DAYS, t), BASE, REP, "caltrack-daily")
    m = result.to_dict()["model"]
    assert m["type"] == "hdd_cdd"
    assert (m["balance_points"]["heating_f"], m["balance_points"]["cooling_f"]) == (55, 70)
    assert m["coefficients"]["intercept_per_day"] == pytest.approx(100)
    assert m["coefficients"]["beta_hdd_per_f_day"] == pytest.approx(3)
    assert m["coefficients"]["beta_cdd_per_c_day"] == pytest.approx(4 * 1.8)
    assert result.total.savings_pct == pytest.approx(0.1)
    assert len(result.periods) == 12 and result.periods[0].label == "2023-01"
    assert result.metrics.r_squared == pytest.approx(1)
    assert result.qualified and result.sufficiency.ok


def test_celsius_input_gives_the_same_fit() -> None:
    t = _temps_f()
    celsius = f_to_c(t)
    temps = daily_temperature(DAYS, to_fahrenheit(celsius, "C"))
    result = fit_and_evaluate(MeterSeries.daily(DAYS, _daily_usage(t)), temps, BASE, REP,
                              "caltrack-daily", FitOptions(temperature_unit="C"))
    bp = result.to_dict()["model"]["balance_points"]
    assert bp["heating_f"] == 55 and bp["heating_c"] == pytest.approx(12.7778, abs=1e-4)


@pytest.mark.reference("CalTRACK 2.0 §3.4.2: billing WLS on period usage per day")
def test_billing_recovers_coefficients_and_savings() -> None:
    t = _temps_f(3)
    months, totals = _months(_daily_usage(t))
    meter = MeterSeries.months(months, totals)
    result = fit_and_evaluate(meter, daily_temperature(DAYS, t), BASE, REP, "caltrack-billing")
    assert result.model.model_type == "hdd_cdd"
    assert result.model.heating_balance_point_f == pytest.approx(55, abs=3)
    assert result.model.cooling_balance_point_f == pytest.approx(70, abs=3)
    assert result.total.savings_pct == pytest.approx(0.1, abs=0.005)
    assert len(result.periods) == 12 and result.metrics.g14.frequency == "monthly"


def test_monthly_normalised_by_occupants() -> None:
    """Per-occupant model: a reporting year with twice the people doubles the baseline."""
    t = _temps_f(4)
    months, per_person = _months(_model(t))
    people = np.where(months < np.datetime64("2023-01"), 50.0, 100.0)
    observed = per_person * people * np.where(months < np.datetime64("2023-01"), 1.0, 0.8)
    meter = MeterSeries.months(months, observed, occupants=people)
    result = fit_and_evaluate(meter, daily_temperature(DAYS, t), BASE, REP, "monthly",
                              FitOptions(normalise="occupants"))
    assert result.total.savings_pct == pytest.approx(0.2, abs=0.005)
    assert result.to_dict()["model"]["normalised_by"] == "occupants"
    plain = fit_and_evaluate(meter, daily_temperature(DAYS, t), BASE, REP, "monthly")
    assert plain.total.savings_pct < 0  # without the adjustment the doubling reads as a loss


def test_non_routine_adjustment_changes_the_adjusted_baseline() -> None:
    t = _temps_f()
    usage = _daily_usage(t, saving=0.0)
    second_half = np.datetime64("2023-07-01") <= DAYS
    usage[second_half] += 50  # an added load from July
    adj = Adjustment(date(2023, 7, 1), date(2023, 12, 31), "新增机房 added server room",
                     delta_per_day=50.0)
    result = fit_and_evaluate(MeterSeries.daily(DAYS, usage), daily_temperature(DAYS, t), BASE,
                              REP, "caltrack-daily", FitOptions(adjustments=(adj,)))
    assert result.total.adjustment == pytest.approx(50 * 184)
    assert result.total.savings == pytest.approx(0, abs=1e-6)
    factor = Adjustment(date(2023, 1, 1), date(2023, 1, 31), "x", factor=1.1)
    scaled = fit_and_evaluate(MeterSeries.daily(DAYS, usage), daily_temperature(DAYS, t), BASE,
                              REP, "caltrack-daily", FitOptions(adjustments=(factor,)))
    january = scaled.periods[0]
    assert january.adjustment == pytest.approx(0.1 * january.baseline_predicted)


def _refusal(meter: MeterSeries, temps_f: np.ndarray, method: str = "caltrack-daily",
             baseline: DateRange = BASE) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        fit_and_evaluate(meter, daily_temperature(DAYS, temps_f), baseline, REP, method)
    return caught.value


def test_missing_meter_days_name_the_rules() -> None:
    t = _temps_f()
    usage = _daily_usage(t)
    usage[40:100] = np.nan
    err = _refusal(MeterSeries.daily(DAYS, usage), t)
    assert err.code == "mv.insufficient_baseline"
    assert set(err.details["rules"]) == {"mv.sufficiency.meter_days", "mv.sufficiency.joint_days"}
    assert "§2.2.1.2" in err.message_en and "83.6" in err.message_zh


def test_zero_electricity_is_missing_but_gas_zero_is_not() -> None:
    """CalTRACK 2.0 §2.2.1.4."""
    t = _temps_f()
    usage = _daily_usage(t)
    usage[:60] = 0.0
    err = _refusal(MeterSeries.daily(DAYS, usage), t)
    assert "mv.sufficiency.meter_days" in err.details["rules"]
    gas = fit_and_evaluate(MeterSeries.daily(DAYS, usage), daily_temperature(DAYS, t), BASE, REP,
                           "caltrack-daily", FitOptions(fuel="natural_gas"))
    assert gas.sufficiency.ok


def test_temperature_gap_in_a_month_and_long_window() -> None:
    t = _temps_f()
    gappy = t.copy()
    gappy[31:36] = np.nan  # five days of February 2022: 82 % of the month
    err = _refusal(MeterSeries.daily(DAYS, _daily_usage(t)), gappy)
    assert err.details["rules"] == ["mv.sufficiency.temperature_month"]
    assert "2022-02" in err.message_en
    long = DateRange(date(2021, 12, 1), date(2022, 12, 31))
    err = _refusal(MeterSeries.daily(DAYS, _daily_usage(t)), t, baseline=long)
    assert "mv.sufficiency.baseline_too_long" in err.details["rules"]


def test_allow_insufficient_fits_and_flags() -> None:
    t = _temps_f()
    usage = _daily_usage(t)
    usage[:100] = np.nan
    result = fit_and_evaluate(MeterSeries.daily(DAYS, usage), daily_temperature(DAYS, t), BASE,
                              REP, "caltrack-daily", FitOptions(allow_insufficient=True))
    data = result.to_dict()
    assert data["qualified"] is False and data["sufficiency"]["ok"] is False
    codes = {r["code"] for r in data["sufficiency"]["reasons"]}
    assert "mv.sufficiency.baseline_too_short" in codes


def test_extreme_values_are_flagged() -> None:
    """CalTRACK 2.0 §2.3.6: above median + 3·IQR, a warning."""
    t = _temps_f()
    usage = _daily_usage(t)
    usage[200] = 10_000
    result = fit_and_evaluate(MeterSeries.daily(DAYS, usage), daily_temperature(DAYS, t), BASE,
                              REP, "caltrack-daily")
    found = [r for r in result.sufficiency.reasons if r.code == "mv.sufficiency.extreme_values"]
    assert found and found[0].severity == "warning" and found[0].values["count"] == 1


def test_monthly_needs_twelve_months() -> None:
    t = _temps_f()
    months, totals = _months(_daily_usage(t))
    totals[2:4] = np.nan
    err = _refusal(MeterSeries.months(months, totals), t, method="monthly")
    assert err.details["rules"] == ["mv.sufficiency.too_few_months"]


def test_bad_requests_are_refused() -> None:
    t = _temps_f()
    meter = MeterSeries.daily(DAYS, _daily_usage(t))
    temps = daily_temperature(DAYS, t)
    overlap = DateRange(date(2022, 12, 1), date(2023, 3, 31))
    cases = [((meter, temps, BASE, overlap, "caltrack-daily"), "mv.ranges_overlap"),
             ((meter, temps, BASE, REP, "caltrack-billing"), "mv.meter_kind"),
             ((meter, temps, BASE, REP, "towt"), "mv.unknown_method"),
             ((meter, temps, BASE, DateRange(date(2025, 1, 1), date(2025, 2, 1)),
               "caltrack-daily"), "mv.no_reporting_data")]
    for args, code in cases:
        with pytest.raises(ValidationFailed) as caught:
            fit_and_evaluate(*args)
        assert caught.value.code == code
    with pytest.raises(ValidationFailed) as caught:
        DateRange.parse("2023-01-01-2023-12-31")
    assert caught.value.code == "mv.bad_range"


@pytest.mark.reference("CalTRACK 2.0 §2.2.3.1, §2.2.3.4, §2.2.3.5")
def test_billing_preparation_merges_and_drops() -> None:
    starts = np.array(["2022-01-01", "2022-02-01", "2022-02-16", "2022-03-01", "2022-03-20",
                       "2022-04-20"], dtype="datetime64[D]")
    ends = np.array(["2022-01-31", "2022-02-15", "2022-02-28", "2022-03-19", "2022-04-19",
                     "2022-06-30"], dtype="datetime64[D]")
    estimated = np.array([False, True, False, False, False, False])
    meter = MeterSeries.periods(starts, ends, np.arange(1.0, 7.0), estimated)
    window = DateRange(date(2022, 1, 1), date(2022, 12, 31))
    prepared = prepare_periods(meter, daily_temperature(DAYS, _temps_f()), window)
    assert [str(s) for s in prepared.start] == ["2022-01-01", "2022-02-01", "2022-03-20"]
    assert list(prepared.usage) == [1.0, 5.0, 5.0]  # the estimated February read merged
    reasons = {str(d.start): d.code for d in prepared.dropped}
    assert reasons == {"2022-03-01": "mv.period.too_short", "2022-04-20": "mv.period.too_long"}


def test_normalised_model_needs_the_figure() -> None:
    t = _temps_f(4)
    months, totals = _months(_model(t))
    people = np.full(len(months), 80.0)
    people[3] = np.nan
    meter = MeterSeries.months(months, totals, occupants=people)
    with pytest.raises(ValidationFailed) as caught:
        fit_and_evaluate(meter, daily_temperature(DAYS, t), BASE, REP, "monthly",
                         FitOptions(normalise="occupants"))
    assert caught.value.code == "mv.normalise_missing" and "2022-04" in caught.value.message_en
    people[3] = 80.0
    people[15] = 0.0  # a reporting month without its figure: listed, no savings counted
    meter = MeterSeries.months(months, totals, occupants=people)
    result = fit_and_evaluate(meter, daily_temperature(DAYS, t), BASE, REP, "monthly",
                              FitOptions(normalise="occupants"))
    assert [(str(d.start), d.code) for d in result.reporting_dropped] == [
        ("2023-04-01", "mv.period.no_figure")]
    assert result.periods[3].days_used == 0 and result.total.days_used == 365 - 30


def test_billing_sufficiency_counts_the_days_of_the_bills_kept() -> None:
    """Two bills missing out of twelve: 83 % of the window's days covered (< 90 %)."""
    t = _temps_f(3)
    months, totals = _months(_daily_usage(t))
    totals[[4, 5]] = np.nan
    err = _refusal(MeterSeries.months(months, totals), t, method="caltrack-billing")
    assert set(err.details["rules"]) == {"mv.sufficiency.meter_days",
                                         "mv.sufficiency.joint_days"}
    gappy = t.copy()
    gappy[31:40] = np.nan  # February and March 2022 below 90 % temperature: those bills
    gappy[59:68] = np.nan  # have none (§2.2.3.2), 306 of 365 days left
    err = _refusal(MeterSeries.months(months, _months(_daily_usage(t))[1]), gappy,
                   method="caltrack-billing")
    assert set(err.details["rules"]) == {"mv.sufficiency.temperature_days",
                                         "mv.sufficiency.joint_days"}
