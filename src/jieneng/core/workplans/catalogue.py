"""The plan-indicator catalogue (``jieneng/data/workplans/indicators.csv``).

One row per indicator a work-plan item may carry: code, Chinese and English names,
unit, direction (``>=``: more is better, ``<=``: less is better), ``source_kind`` — the
platform source it is computed from (``campaign_coverage``, ``projects``,
``datacentre``, ``fleet``, ``reporting``, ``quality``, ``targets``) or ``manual``
(reported by hand with evidence) —, ``parameter`` (what of the source: a coverage rate,
a project sum …), ``registry_key`` (the code in :mod:`jieneng.core.indicator_registry`
when the figure is one of its indicators: never defined twice), ``parent_rule``
(``region``: a parent item's value is computed over its whole region; ``sum``: the sum
of its children's values), the method in both languages, the source and its status
(found / partial / convention).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..exceptions import ValidationFailed
from ..indicator_registry import BY_CODE

SOURCE_KINDS: tuple[str, ...] = ("campaign_coverage", "projects", "datacentre", "fleet",
                                 "reporting", "quality", "targets", "manual")
PARENT_RULES: tuple[str, ...] = ("region", "sum")


@dataclass(frozen=True, slots=True)
class PlanIndicator:
    """One plan indicator (see the module docstring)."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    source_kind: str
    parameter: str
    registry_key: str | None
    parent_rule: str
    aliases: tuple[str, ...]
    how_zh: str
    how_en: str
    source: str
    status: str

    @property
    def computed(self) -> bool:
        return self.source_kind != "manual"

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "name_zh": self.name_zh, "name_en": self.name_en,
                "unit": self.unit, "direction": self.direction,
                "source_kind": self.source_kind, "parameter": self.parameter,
                "registry_key": self.registry_key, "parent_rule": self.parent_rule,
                "computed": self.computed, "how_zh": self.how_zh, "how_en": self.how_en,
                "source": self.source, "status": self.status}


def _row(r: dict[str, str]) -> PlanIndicator:
    key = r["registry_key"].strip() or None
    if key is not None and key not in BY_CODE:
        raise ValueError(f"indicators.csv: {r['code']}: unknown registry key {key}")
    if r["source_kind"] not in SOURCE_KINDS or r["parent_rule"] not in PARENT_RULES:
        raise ValueError(f"indicators.csv: {r['code']}: bad source kind or parent rule")
    if r["direction"] not in (">=", "<="):
        raise ValueError(f"indicators.csv: {r['code']}: bad direction")
    return PlanIndicator(
        r["code"], r["name_zh"], r["name_en"], r["unit"], r["direction"], r["source_kind"],
        r["parameter"], key, r["parent_rule"],
        tuple(a.strip() for a in r["aliases"].split("|") if a.strip()),
        r["how_zh"], r["how_en"], r["source"], r["status"])


@cache
def indicator_catalogue() -> tuple[PlanIndicator, ...]:
    """Every plan indicator, in the file's order."""
    text = (resources.files("jieneng.data.workplans") / "indicators.csv").read_text("utf-8")
    return tuple(_row(r) for r in csv.DictReader(io.StringIO(text)))


@cache
def _names() -> dict[str, str]:
    out: dict[str, str] = {}
    for i in indicator_catalogue():
        for name in (i.code, i.name_zh, i.name_en, *i.aliases):
            out[name.strip().lower()] = i.code
    return out


def resolve_indicator(name: str) -> PlanIndicator | None:
    """The indicator named ``name`` (its code, a name in either language or an alias,
    case-insensitive), or None."""
    code = _names().get(name.strip().lower())
    return None if code is None else indicator(code)


@cache
def _by_code() -> dict[str, PlanIndicator]:
    return {i.code: i for i in indicator_catalogue()}


def indicator(code: str) -> PlanIndicator:
    """The indicator ``code``; ValidationFailed ``workplan_unknown_indicator`` if none."""
    found = _by_code().get(code)
    if found is None:
        raise ValidationFailed.of("workplan_unknown_indicator", indicator=code)
    return found
