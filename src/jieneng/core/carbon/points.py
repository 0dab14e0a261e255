"""The carbon-points ledger's arithmetic (碳普惠): rules as data, points and CO₂ of
entries, the daily cap.

Rules: ``data/carbon/point_rules.csv`` — action, unit, points per unit, how the CO₂
reduction per unit is obtained (``factor_set``: the platform's factor for a carrier —
the grid factor for electricity saved, the fuel factor for fuel saved; ``none``: not
sourced, no CO₂ is claimed), the daily cap [units per staff member and day], status
and source. The points are a platform convention (no published points scheme was found:
``projects-campaigns.md`` §3 names Shandong's 公共机构碳小惠 without figures).

For an entry: counted = min(quantity, daily cap); points = counted × points per unit;
CO₂ [kg] = counted × CO₂ per unit (vectorised over a batch with numpy).

A deployment may load a local variant of the rules (same columns, an administrator's
spreadsheet): each function taking ``rule_set`` scores with that set (default: the
shipped file). A set travels as JSON (:func:`rules_to_json`, :func:`rules_from_json`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..exceptions import ValidationFailed


@dataclass(frozen=True, slots=True)
class Rule:
    action: str
    label_zh: str
    label_en: str
    unit: str
    unit_zh: str
    points_per_unit: float
    co2_method: str  # factor_set | none
    carrier: str
    daily_cap: float | None
    status: str
    source: str
    notes: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: the columns of a rules file, in order (``data/carbon/point_rules.csv``)
COLUMNS: tuple[str, ...] = ("action", "label_zh", "label_en", "unit", "unit_zh",
                            "points_per_unit", "co2_method", "carrier", "daily_cap",
                            "status", "source", "notes")
#: how a rule's CO₂ per unit is obtained
CO2_METHODS: tuple[str, ...] = ("factor_set", "none")
#: a rule's sourcing status (as every factor's)
STATUSES: tuple[str, ...] = ("found", "partial", "convention")
RuleSet = Sequence["Rule"]


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def rules() -> tuple[Rule, ...]:
    """Every rule of ``data/carbon/point_rules.csv``, in file order."""
    path = resources.files("jieneng") / "data" / "carbon" / "point_rules.csv"
    out = []
    for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
        out.append(Rule(r["action"], r["label_zh"], r["label_en"], r["unit"], r["unit_zh"],
                        float(r["points_per_unit"]), r["co2_method"], r["carrier"],
                        _float(r["daily_cap"]), r["status"], r["source"], r["notes"]))
    return tuple(out)


def rules_to_json(rule_set: RuleSet) -> str:
    """The rule set as canonical JSON (stored per version; equal sets, equal text)."""
    return json.dumps([r.to_dict() for r in rule_set], ensure_ascii=False, sort_keys=True)


def rules_from_json(text: str) -> tuple[Rule, ...]:
    return tuple(Rule(**item) for item in json.loads(text))


def rule_by_name(rule_set: RuleSet | None = None) -> dict[str, Rule]:
    """Action code, Chinese and English label → rule (what a file may write)."""
    out: dict[str, Rule] = {}
    for r in rules() if rule_set is None else rule_set:
        for key in (r.action, r.label_zh, r.label_en.lower()):
            out[key] = r
    return out


def rule(action: str, rule_set: RuleSet | None = None) -> Rule:
    names = rule_by_name(rule_set)
    found = names.get(action.strip()) or names.get(action.strip().lower())
    if found is None:
        raise ValidationFailed.of("carbon_unknown_action", field="action", action=action[:40],
                                  known=", ".join(r.action for r in (rule_set or rules())))
    return found


def score(actions: NDArray[np.str_], quantities: NDArray[np.float64],
          co2_per_unit: Mapping[str, float | None], rule_set: RuleSet | None = None
          ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(counted quantity, points, CO₂ kg) of each entry; ``co2_per_unit`` maps an action
    to its CO₂ per unit [kg] (None: not sourced → 0)."""
    by = {r.action: r for r in (rules() if rule_set is None else rule_set)}
    caps = np.array([by[a].daily_cap if by[a].daily_cap is not None else np.inf
                     for a in actions], dtype=np.float64)
    ppu = np.array([by[a].points_per_unit for a in actions], dtype=np.float64)
    co2 = np.array([co2_per_unit.get(a) or 0.0 for a in actions], dtype=np.float64)
    counted = np.minimum(quantities, caps)
    return counted, np.round(counted * ppu, 4), counted * co2
