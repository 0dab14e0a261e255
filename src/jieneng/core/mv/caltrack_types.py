"""The types, model names, reason codes and settings of the CalTRACK 2.0 models of
:mod:`.caltrack` (split from it; clause numbers in brackets as there).

The thresholds are data: ``data/mv/caltrack.json`` (with its source).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

INTERCEPT_ONLY = "intercept_only"
HDD_ONLY = "hdd_only"
CDD_ONLY = "cdd_only"
HDD_CDD = "hdd_cdd"
NONE = "none"  #: no candidate qualified (see :attr:`CaltrackFit.candidates` for why)
MODEL_TYPES = (INTERCEPT_ONLY, HDD_ONLY, CDD_ONLY, HDD_CDD)

QUALIFIED = "qualified"
DISQUALIFIED = "disqualified"
NOT_ATTEMPTED = "not_attempted"

#: candidate reasons (stable codes; the clause of CalTRACK 2.0, as in :mod:`.caltrack`'s doc)
TOO_FEW_NON_ZERO_HDD = "too_few_non_zero_hdd"          # 3.2.2.2
TOO_FEW_NON_ZERO_CDD = "too_few_non_zero_cdd"          # 3.2.2.2
TOTAL_HDD_TOO_LOW = "total_hdd_too_low"                # 3.2.2.2
TOTAL_CDD_TOO_LOW = "total_cdd_too_low"                # 3.2.2.2
NEGATIVE_INTERCEPT = "negative_intercept"              # 3.4.3.2
BETA_HDD_NOT_POSITIVE = "beta_hdd_not_positive"        # 3.4.3.2
BETA_CDD_NOT_POSITIVE = "beta_cdd_not_positive"        # 3.4.3.2
SINGULAR = "singular"                                  # degree days constant: no fit
NO_CDD_FOR_GAS = "no_cdd_for_fuel"                     # 3.4.3.1
NO_DATA = "no_data"

FUELS_WITHOUT_CDD = frozenset({"gas", "natural_gas"})


@cache
def _settings_data() -> dict[str, Any]:
    path = resources.files("jieneng") / "data" / "mv" / "caltrack.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _default_grid() -> tuple[float, ...]:
    d = _settings_data()
    lo, hi, step = float(d["balance_point_min_f"]), float(d["balance_point_max_f"]), float(
        d["balance_point_step_f"])
    return tuple(float(x) for x in np.arange(lo, hi + step / 2, step))


@dataclass(frozen=True)
class CaltrackSettings:
    """Grid and sufficiency thresholds; the defaults come from ``data/mv/caltrack.json``."""

    balance_points_f: tuple[float, ...] = field(default_factory=_default_grid)
    minimum_non_zero_days: int = field(
        default_factory=lambda: int(_settings_data()["minimum_non_zero_days"]))
    minimum_total_degree_days: float = field(
        default_factory=lambda: float(_settings_data()["minimum_total_degree_days"]))
    billing_minimum_non_zero_days: int = field(
        default_factory=lambda: int(_settings_data()["billing_minimum_non_zero_days"]))
    billing_minimum_total_degree_days: float = field(
        default_factory=lambda: float(_settings_data()["billing_minimum_total_degree_days"]))


@dataclass(frozen=True)
class Candidate:
    """The best candidate of one model type, or why that type has none.

    ``status`` is :data:`QUALIFIED`, :data:`DISQUALIFIED` (fitted, broke 3.4.3.2: the
    best-R² one is shown with ``reason``) or :data:`NOT_ATTEMPTED` (no balance point
    passed 3.2.2.2, or gas and CDD); ``tried`` / ``qualified`` count the grid points.
    """

    model_type: str
    status: str
    reason: str
    heating_balance_point: float | None
    cooling_balance_point: float | None
    intercept: float
    beta_hdd: float
    beta_cdd: float
    r_squared_adj: float
    tried: int
    qualified: int


@dataclass(frozen=True)
class CaltrackFit:
    """The selected model [3.4.3.3]; ``model_type == "none"`` when nothing qualified."""

    model_type: str
    heating_balance_point: float | None
    cooling_balance_point: float | None
    intercept: float
    beta_hdd: float
    beta_cdd: float
    r_squared: float
    r_squared_adj: float
    n_parameters: int
    n_observations: int
    candidates: tuple[Candidate, ...]

    @property
    def qualified(self) -> bool:
        return self.model_type != NONE
