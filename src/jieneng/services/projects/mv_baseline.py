"""A baseline confirmed before there is reporting data (基准确认 comes before 实施).

:func:`jieneng.core.mv.fit.fit_and_evaluate` checks the baseline's sufficiency and the
model's qualification first and refuses a reporting window without data last
(``mv.no_reporting_data``). When that last refusal is the only one, the baseline has
passed every rule, and :func:`baseline_only` describes it with the engine's own public
functions (the same preparation, fit and metrics; no rule of its own): the model, the
metrics and the sufficiency report, with no periods and no total.
"""

from __future__ import annotations

from typing import Any

from jieneng.core.mv.caltrack import fit_daily, predict_daily
from jieneng.core.mv.data import DateRange, MeterSeries, prepare_daily, prepare_periods
from jieneng.core.mv.metrics import ModelMetrics, model_metrics
from jieneng.core.mv.monthly import Normalise, fit_period_model, predict_period_usage
from jieneng.core.mv.result import ModelSummary, metrics_dict
from jieneng.core.mv.rules import default_confidence, guideline14
from jieneng.core.mv.sufficiency import (
    Sufficiency,
    billing_sufficiency,
    daily_sufficiency,
    monthly_sufficiency,
)
from jieneng.core.mv.temperature import DailyTemperature


def _metrics(y: Any, predicted: Any, n_parameters: int, method: str, r2: float
             ) -> ModelMetrics:
    return model_metrics(y, predicted, max(n_parameters - 1, 0), guideline14(method),
                         confidence=default_confidence(), r2=r2)


def baseline_only(meter: MeterSeries, temperature: DailyTemperature, baseline: DateRange,
                  method: str, *, fuel: str, normalise: Normalise) -> dict[str, Any]:
    """The JSON of a fit (as ``MvResult.to_dict()``) without a reporting period."""
    sufficiency: Sufficiency
    if method == "caltrack-daily":
        base = prepare_daily(meter, temperature, baseline, fuel=fuel)
        sufficiency = daily_sufficiency(base, baseline)
        fit = fit_daily(base.temperature_f, base.usage, fuel=fuel)
        valid = base.valid
        metrics = _metrics(base.usage[valid], predict_daily(fit, base.temperature_f)[valid],
                           fit.n_parameters, method, fit.r_squared)
        normalise = "none"
    else:
        billing = method == "caltrack-billing"
        periods = prepare_periods(meter, temperature, baseline, billing=billing)
        sufficiency = (billing_sufficiency(periods, baseline) if billing
                       else monthly_sufficiency(periods, baseline))
        normalise = "none" if billing else normalise
        fit = fit_period_model(periods, fuel=fuel, normalise=normalise)
        predicted = predict_period_usage(fit, periods, normalise)
        ok = periods.valid & (predicted == predicted)  # finite
        metrics = _metrics(periods.usage[ok], predicted[ok], fit.n_parameters, method,
                           fit.r_squared)
    return {"method": method, "fuel": fuel, "baseline": baseline.to_dict(), "reporting": None,
            "qualified": sufficiency.ok and fit.model_type != "none",
            "model": ModelSummary.of(fit, normalise).to_dict(),
            "metrics": metrics_dict(metrics), "sufficiency": sufficiency.to_dict(),
            "adjustments": [], "periods": [], "total": None}
