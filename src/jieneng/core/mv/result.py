"""The result of an M&V fit and its JSON form (``jieneng mv fit --format json``; the
schema is in ``docs/mv.md``). Temperatures and coefficients are given in °F (the
CalTRACK grid) and in °C; floats that are not finite become ``null``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .caltrack_types import CaltrackFit
from .data import DateRange, Dropped
from .metrics import ModelMetrics
from .savings import Adjustment, PeriodSavings
from .sufficiency import Sufficiency
from .temperature import f_to_c

SCHEMA_VERSION = 1


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _celsius(value: float | None) -> float | None:
    return None if value is None else round(float(f_to_c(value)), 4)


@dataclass(frozen=True)
class ModelSummary:
    """The selected model: type, balance points, coefficients (usage per day; β per
    degree-day °F and °C — one °C-day is 1.8 °F-days, so β_°C = 1.8·β_°F)."""

    model_type: str
    heating_balance_point_f: float | None
    cooling_balance_point_f: float | None
    intercept: float
    beta_hdd_f: float
    beta_cdd_f: float
    n_parameters: int
    n_observations: int
    normalise: str
    candidates: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, fit: CaltrackFit, normalise: str) -> ModelSummary:
        candidates = tuple({"model_type": c.model_type, "status": c.status, "reason": c.reason,
                            "heating_balance_point_f": c.heating_balance_point,
                            "cooling_balance_point_f": c.cooling_balance_point,
                            "r_squared_adj": _num(c.r_squared_adj), "tried": c.tried,
                            "qualified": c.qualified} for c in fit.candidates)
        return cls(fit.model_type, fit.heating_balance_point, fit.cooling_balance_point,
                   fit.intercept, fit.beta_hdd, fit.beta_cdd, fit.n_parameters,
                   fit.n_observations, normalise, candidates)

    def to_dict(self) -> dict[str, Any]:
        has_h = self.heating_balance_point_f is not None
        has_c = self.cooling_balance_point_f is not None
        return {
            "type": self.model_type,
            "normalised_by": None if self.normalise == "none" else self.normalise,
            "balance_points": {
                "heating_f": self.heating_balance_point_f,
                "cooling_f": self.cooling_balance_point_f,
                "heating_c": _celsius(self.heating_balance_point_f),
                "cooling_c": _celsius(self.cooling_balance_point_f)},
            "coefficients": {
                "intercept_per_day": _num(self.intercept),
                "beta_hdd_per_f_day": _num(self.beta_hdd_f) if has_h else None,
                "beta_cdd_per_f_day": _num(self.beta_cdd_f) if has_c else None,
                "beta_hdd_per_c_day": _num(self.beta_hdd_f * 1.8) if has_h else None,
                "beta_cdd_per_c_day": _num(self.beta_cdd_f * 1.8) if has_c else None},
            "n_parameters": self.n_parameters,
            "n_observations": self.n_observations,
            "candidates": list(self.candidates),
        }


def metrics_dict(m: ModelMetrics) -> dict[str, Any]:
    return {
        "n": m.n, "c": m.c, "r_squared": _num(m.r_squared),
        "r_squared_adj": _num(m.r_squared_adj), "cv_rmse": _num(m.cv_rmse),
        "nmbe": _num(m.nmbe), "rho1": _num(m.rho1), "n_effective": _num(m.n_effective),
        "t": _num(m.t), "confidence": m.confidence,
        "guideline14": {"frequency": m.g14.frequency, "cv_rmse_limit": m.g14.cv_rmse,
                        "nmbe_limit": m.g14.nmbe, "cv_rmse_ok": m.cv_rmse_ok,
                        "nmbe_ok": m.nmbe_ok, "source": m.g14.source},
    }


@dataclass(frozen=True)
class MvResult:
    """Everything ``fit_and_evaluate`` found."""

    method: str
    fuel: str
    temperature_unit: str
    baseline: DateRange
    reporting: DateRange
    model: ModelSummary
    metrics: ModelMetrics
    sufficiency: Sufficiency
    periods: tuple[PeriodSavings, ...]
    total: PeriodSavings
    adjustments: tuple[Adjustment, ...]
    baseline_dropped: tuple[Dropped, ...]
    reporting_dropped: tuple[Dropped, ...]

    @property
    def qualified(self) -> bool:
        """Sufficient baseline data and a qualified model."""
        return self.sufficiency.ok and self.model.model_type != "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "method": self.method,
            "fuel": self.fuel,
            "temperature_unit": self.temperature_unit,
            "baseline": self.baseline.to_dict(),
            "reporting": self.reporting.to_dict(),
            "qualified": self.qualified,
            "model": self.model.to_dict(),
            "metrics": metrics_dict(self.metrics),
            "sufficiency": self.sufficiency.to_dict(),
            "adjustments": [a.to_dict() for a in self.adjustments],
            "periods": [p.to_dict() for p in self.periods],
            "total": self.total.to_dict(),
            "dropped": {"baseline": [d.to_dict() for d in self.baseline_dropped],
                        "reporting": [d.to_dict() for d in self.reporting_dropped]},
        }
