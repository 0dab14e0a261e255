"""One entry to the M&V engine: fit a baseline model and evaluate the savings.

API (pure, numpy; services and the command line call it the same way)::

    from jieneng.core.mv.data import DateRange, MeterSeries
    from jieneng.core.mv.temperature import daily_temperature, hourly_to_daily, to_fahrenheit
    from jieneng.core.mv.fit import FitOptions, fit_and_evaluate
    from jieneng.core.mv.savings import Adjustment

    meter = MeterSeries.daily(days, kwh)                 # or .periods(starts, ends, values,
                                                         #    estimated) / .months(months, values,
                                                         #    occupants=…, area=…)
    temperature = daily_temperature(days, to_fahrenheit(means, "C"))   # or hourly_to_daily(…)
    result = fit_and_evaluate(
        meter, temperature, DateRange.parse("2023-01-01..2023-12-31"),
        DateRange.parse("2024-03-01..2025-02-28"), "caltrack-daily",
        FitOptions(fuel="electricity", temperature_unit="C",
                   adjustments=(Adjustment(date(2024, 9, 1), date(2025, 2, 28),
                                           "新增机房 new server room", delta_per_day=120.0),)))
    result.to_dict()     # the JSON of ``jieneng mv fit --format json`` (docs/mv.md)

Methods: ``caltrack-daily`` (daily meter values, CalTRACK 2.0), ``daily`` (daily meter
values, the OpenEEmeter-4-compatible model of :mod:`.eemeter_daily`), ``caltrack-billing``
(billing periods),
``monthly`` (calendar months, e.g. NY201; ``FitOptions.normalise`` = ``occupants`` or
``area`` for the per-occupant / per-m² model). Lower functions for other uses:
:mod:`.data` (``prepare_daily``, ``prepare_periods``), :mod:`.sufficiency`,
:mod:`.caltrack` (``fit_daily``, ``fit_periods``, ``predict_*``), :mod:`.monthly`,
:mod:`.metrics` (``model_metrics``, ``savings_uncertainty``), :mod:`.savings`.

Refusals (``ValidationFailed`` with a catalogued ``mv.*`` code): an unknown method,
meter data of the wrong kind for the method, baseline and reporting overlapping, a
baseline that fails a sufficiency rule (each failed rule named; ``allow_insufficient``
fits anyway and reports ``qualified: false``), no qualified model (the candidates'
reasons named), a normalised monthly model without the baseline months' occupants or
area, no reporting day with both usage and temperature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from jieneng.core.exceptions import ValidationFailed

from .caltrack import fit_daily, predict_daily
from .caltrack_types import CaltrackFit, CaltrackSettings
from .data import (
    NO_FIGURE,
    DailyData,
    DateRange,
    Dropped,
    MeterSeries,
    PeriodData,
    prepare_daily,
    prepare_periods,
)
from .eemeter_daily import (
    DailyFit,
    fit_daily_eemeter4,
    predict_daily_eemeter4,
    summary_eemeter4,
)
from .metrics import ModelMetrics, model_metrics
from .monthly import Normalise, fit_period_model, predict_period_usage, scale
from .result import ModelSummary, MvResult
from .rules import default_confidence, guideline14
from .savings import Adjustment, Ledger, savings_table
from .sufficiency import (
    Sufficiency,
    billing_sufficiency,
    daily_sufficiency,
    monthly_sufficiency,
)
from .temperature import DailyTemperature, Unit

Method = Literal["caltrack-daily", "daily", "caltrack-billing", "monthly"]
METHODS: tuple[str, ...] = ("caltrack-daily", "daily", "caltrack-billing", "monthly")
DAILY_METHODS = ("caltrack-daily", "daily")


@dataclass(frozen=True)
class FitOptions:
    """How to fit: the fuel (gas: zeros are values and no CDD), the unit the
    temperatures came in (for the record; the engine works in °F), the confidence of
    the uncertainty (default from ``data/mv/rules.json``), whether an insufficient
    baseline is fitted anyway, the monthly normalisation, a minimum of baseline months
    other than 12, the non-routine adjustments and the grid settings."""

    fuel: str = "electricity"
    temperature_unit: Unit = "C"
    confidence: float | None = None
    allow_insufficient: bool = False
    normalise: Normalise = "none"
    min_months: int | None = None
    adjustments: tuple[Adjustment, ...] = ()
    settings: CaltrackSettings | None = None


def fit_and_evaluate(meter: MeterSeries, temperature: DailyTemperature, baseline: DateRange,
                     reporting: DateRange, method: str,
                     options: FitOptions | None = None) -> MvResult:
    """Fit ``method`` on ``baseline`` and evaluate the savings over ``reporting``."""
    opts = options or FitOptions()
    _check_inputs(meter, baseline, reporting, method)
    if method == "caltrack-daily":
        return _daily(meter, temperature, baseline, reporting, opts)
    if method == "daily":
        return _daily_eemeter4(meter, temperature, baseline, reporting, opts)
    return _periods(meter, temperature, baseline, reporting, method, opts)


def _check_inputs(meter: MeterSeries, baseline: DateRange, reporting: DateRange,
                  method: str) -> None:
    if method not in METHODS:
        raise ValidationFailed.of("mv.unknown_method", method=method,
                                  methods=", ".join(METHODS))
    if len(meter.value) and meter.is_daily != (method in DAILY_METHODS):
        kind = "daily" if meter.is_daily else "periods"
        raise ValidationFailed.of("mv.meter_kind", method=method, kind=kind)
    if baseline.start <= reporting.end and reporting.start <= baseline.end:
        raise ValidationFailed.of("mv.ranges_overlap", baseline=_range(baseline),
                                  reporting=_range(reporting))


def _range(r: DateRange) -> str:
    return f"{r.start.isoformat()}..{r.end.isoformat()}"


def _require(sufficiency: Sufficiency, opts: FitOptions) -> None:
    """Refuse an insufficient baseline, naming every failed rule."""
    if sufficiency.ok or opts.allow_insufficient:
        return
    errors = sufficiency.errors
    raise ValidationFailed.of(
        "mv.insufficient_baseline", rules=[r.code for r in errors],
        values={"reasons_zh": "；".join(f"{r.message('zh-CN')}（{r.clause}）" for r in errors),
                "reasons_en": "; ".join(f"{r.message('en')} ({r.clause})" for r in errors)})


def _require_model(fit: CaltrackFit) -> None:
    if fit.qualified:
        return
    reasons = sorted({f"{c.model_type}: {c.reason}" for c in fit.candidates if c.reason})
    raise ValidationFailed.of("mv.no_qualified_model", reasons="; ".join(reasons))


def _metrics(y: np.ndarray, predicted: np.ndarray, fit: CaltrackFit, method: str,
             opts: FitOptions) -> ModelMetrics:
    confidence = opts.confidence if opts.confidence is not None else default_confidence()
    return model_metrics(y, predicted, max(fit.n_parameters - 1, 0), guideline14(method),
                         confidence=confidence, r2=fit.r_squared)


def _require_reporting(ledger: Ledger, reporting: DateRange) -> None:
    if not np.any(~np.isnan(ledger.predicted) & ~np.isnan(ledger.observed)):
        raise ValidationFailed.of("mv.no_reporting_data", reporting=_range(reporting))


def _daily(meter: MeterSeries, temperature: DailyTemperature, baseline: DateRange,
           reporting: DateRange, opts: FitOptions) -> MvResult:
    base = prepare_daily(meter, temperature, baseline, fuel=opts.fuel)
    sufficiency = daily_sufficiency(base, baseline)
    _require(sufficiency, opts)
    fit = fit_daily(base.temperature_f, base.usage, fuel=opts.fuel, settings=opts.settings)
    _require_model(fit)
    valid = base.valid
    metrics = _metrics(base.usage[valid], predict_daily(fit, base.temperature_f)[valid], fit,
                       "caltrack-daily", opts)
    ledger = _daily_ledger(prepare_daily(meter, temperature, reporting, fuel=opts.fuel), fit)
    _require_reporting(ledger, reporting)
    periods, total = savings_table(ledger, metrics, frequency="daily",
                                   adjustments=opts.adjustments)
    return MvResult("caltrack-daily", opts.fuel, opts.temperature_unit, baseline, reporting,
                    ModelSummary.of(fit, "none"), metrics, sufficiency, periods, total,
                    opts.adjustments, (), ())


def _daily_ledger(rep: DailyData, fit: CaltrackFit | DailyFit) -> Ledger:
    """Reporting days grouped by calendar month."""
    months = rep.days.astype("datetime64[M]")
    group = (months - months[0]).astype(np.int64)
    labels = tuple(str(months[0] + i) for i in range(int(group[-1]) + 1))
    predicted = (predict_daily_eemeter4(fit, rep.temperature_f, rep.days)
                 if isinstance(fit, DailyFit) else predict_daily(fit, rep.temperature_f))
    return Ledger(rep.days, group, labels, predicted, rep.usage, np.ones(len(rep.days)))


def _daily_eemeter4(meter: MeterSeries, temperature: DailyTemperature, baseline: DateRange,
                    reporting: DateRange, opts: FitOptions) -> MvResult:
    """``daily``: the OpenEEmeter-4-compatible model (:mod:`.eemeter_daily`)."""
    base = prepare_daily(meter, temperature, baseline, fuel=opts.fuel)
    sufficiency = daily_sufficiency(base, baseline)
    _require(sufficiency, opts)
    fit = fit_daily_eemeter4(base.temperature_f, base.usage, base.days, fuel=opts.fuel)
    valid = base.valid
    predicted = predict_daily_eemeter4(fit, base.temperature_f, base.days)[valid]
    confidence = opts.confidence if opts.confidence is not None else default_confidence()
    metrics = model_metrics(base.usage[valid], predicted, max(fit.n_parameters - 1, 0),
                            guideline14("caltrack-daily"), confidence=confidence)
    ledger = _daily_ledger(prepare_daily(meter, temperature, reporting, fuel=opts.fuel), fit)
    _require_reporting(ledger, reporting)
    periods, total = savings_table(ledger, metrics, frequency="daily",
                                   adjustments=opts.adjustments)
    return MvResult("daily", opts.fuel, opts.temperature_unit, baseline, reporting,
                    summary_eemeter4(fit, int(valid.sum())), metrics, sufficiency, periods,
                    total, opts.adjustments, (), ())


def _periods(meter: MeterSeries, temperature: DailyTemperature, baseline: DateRange,
             reporting: DateRange, method: str, opts: FitOptions) -> MvResult:
    billing = method == "caltrack-billing"
    normalise: Normalise = "none" if billing else opts.normalise
    base = prepare_periods(meter, temperature, baseline, billing=billing)
    sufficiency = (billing_sufficiency(base, baseline) if billing else
                   monthly_sufficiency(base, baseline, min_months=opts.min_months))
    _require(sufficiency, opts)
    _require_figures(base, normalise)
    fit = fit_period_model(base, fuel=opts.fuel, normalise=normalise, settings=opts.settings)
    _require_model(fit)
    predicted = predict_period_usage(fit, base, normalise)
    ok = base.valid & np.isfinite(predicted)
    metrics = _metrics(base.usage[ok], predicted[ok], fit, method, opts)
    rep = prepare_periods(meter, temperature, reporting, billing=billing, length_rules=False)
    ledger = _period_ledger(rep, predict_period_usage(fit, rep, normalise), billing)
    _require_reporting(ledger, reporting)
    periods, total = savings_table(ledger, metrics, frequency="billing",
                                   adjustments=opts.adjustments)
    return MvResult(method, opts.fuel, opts.temperature_unit, baseline, reporting,
                    ModelSummary.of(fit, normalise), metrics, sufficiency, periods, total,
                    opts.adjustments, base.dropped, rep.dropped + _lacking(rep, normalise))


def _lacking(rep: PeriodData, normalise: Normalise) -> tuple[Dropped, ...]:
    """Reporting periods with a temperature but without the normalising figure: no
    prediction, so no savings (listed, never silently left out)."""
    if normalise == "none":
        return ()
    lacking = ~np.isnan(rep.temperature_f) & np.isnan(scale(rep, normalise))
    return tuple(Dropped(rep.start[i], rep.end[i], NO_FIGURE) for i in np.flatnonzero(lacking))


def _require_figures(base: PeriodData, normalise: Normalise) -> None:
    """A normalised model needs the figure (occupants, area) of every baseline period."""
    if normalise == "none":
        return
    lacking = base.valid & np.isnan(scale(base, normalise))
    if lacking.any():
        months = ", ".join(str(s.astype("datetime64[M]")) for s in base.start[lacking][:6])
        raise ValidationFailed.of("mv.normalise_missing", figure=normalise, months=months)


def _period_ledger(rep: PeriodData, predicted: np.ndarray, billing: bool) -> Ledger:
    """Reporting periods spread over their days (each day 1/days of the period)."""
    per = rep.day_period
    days = rep.days[per].astype(np.float64)
    if billing:
        labels = tuple(f"{s}..{e}" for s, e in zip(rep.start, rep.end, strict=True))
    else:
        labels = tuple(str(s.astype("datetime64[M]")) for s in rep.start)
    return Ledger(rep.day_dates, per, labels, predicted[per] / days, rep.usage[per] / days,
                  1.0 / days)
