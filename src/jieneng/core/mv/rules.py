"""The M&V rules as data: sufficiency thresholds, ASHRAE Guideline 14 limits and the
savings-uncertainty coefficients, each with its source, from ``data/mv/rules.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@cache
def rules() -> dict[str, Any]:
    """The whole rule file (read once)."""
    path = resources.files("jieneng") / "data" / "mv" / "rules.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def sufficiency_value(name: str) -> float:
    """A sufficiency threshold (``baseline_max_days`` …)."""
    return float(rules()["sufficiency"][name]["value"])


def sufficiency_source(name: str) -> str:
    return str(rules()["sufficiency"][name]["source"])


@dataclass(frozen=True)
class Guideline14:
    """ASHRAE Guideline 14 limits for one data frequency."""

    frequency: str  # "monthly" | "hourly"
    cv_rmse: float
    nmbe: float
    source: str


def guideline14(method: str) -> Guideline14:
    """The limits a model of ``method`` is checked against."""
    g14 = rules()["guideline14"]
    frequency = g14["by_method"][method]
    return Guideline14(frequency, float(g14[frequency]["cv_rmse"]),
                       float(g14[frequency]["nmbe"]), str(g14["source"]))


def fsu_coefficients(frequency: str) -> tuple[float, float, float]:
    """(a, b, d) of CalTRACK 2.0 §4.3.2.4 for ``daily`` or ``billing`` data."""
    found = rules()["uncertainty"][frequency]
    return float(found["a"]), float(found["b"]), float(found["d"])


def default_confidence() -> float:
    return float(rules()["uncertainty"]["confidence"])
