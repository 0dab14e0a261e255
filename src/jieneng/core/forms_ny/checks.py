"""The consistency checks of NY202 and NY203, as data, and their pure evaluation.

Each :class:`Rule` says ``Σ parts  <op>  whole`` (``le``: at most, with a relative
tolerance; ``eq``: equal within it). A rule applies only when the whole and at
least one part are given (a blank is "not reported", never 0). The same rules are
evaluated for one record here (the entry form) and vectorised over a file by
:mod:`jieneng.ingest.forms_ny`, so both refuse the same figures.

Tolerance: 0.5 % of the whole (rounding of the parts as entered); the platform's
convention — the national system's built-in formulas were not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .fields import ANNUAL, Field, current

TOLERANCE = 0.005


@dataclass(frozen=True, slots=True)
class Rule:
    """``Σ parts <op> whole`` for one form; ``code`` names it in messages."""

    form: str
    code: str
    parts: tuple[str, ...]
    whole: str
    op: str  # "le" | "eq"
    zh: str
    en: str


RULES: tuple[Rule, ...] = (
    Rule("NY202", "it_le_total", ("elec_it",), "elec_total", "le",
         "IT设备用电量不应大于机房总用电量", "IT electricity must not exceed the room's total"),
    Rule("NY202", "elec_split", ("elec_it", "elec_cooling", "elec_distribution"), "elec_total",
         "le", "IT、空调、配电及附属用电量之和不应大于机房总用电量",
         "IT, cooling and distribution electricity must not add up to more than the total"),
    Rule("NY202", "power_split", ("power_it", "power_cooling", "power_distribution"),
         "power_total", "le", "IT、空调、配电及附属设备功率之和不应大于设备总功率",
         "IT, cooling and distribution power must not add up to more than the total power"),
    Rule("NY202", "reserved_le_cabinets", ("cabinets_reserved",), "cabinets", "le",
         "预留机柜数不应大于机柜总数", "reserved cabinets must not exceed the cabinets"),
    Rule("NY203", "area_split", ("area_independent", "area_central_by_area",
                                 "area_central_by_heat"), "heated_area", "eq",
         "独立供暖与集中供暖（按面积、按热量收费）面积之和应等于采暖面积",
         "the heated areas by type must add up to the heated area"),
)


def rules(form: str) -> tuple[Rule, ...]:
    return tuple(r for r in RULES if r.form == form)


@dataclass(frozen=True, slots=True)
class Problem:
    """One refused value: the field (key) and the texts."""

    field: str
    code: str
    zh: str
    en: str


def _bounds(f: Field, value: float, month: int) -> Problem | None:
    high = f.high
    if f.key == "heating_days" and month != ANNUAL:
        high = 31.0  # a month has at most 31 heating days
    if value < f.low or (high is not None and value > high):
        top = "" if high is None else f"{high:g}"
        return Problem(f.key, "out_of_bounds", f"{f.name_zh}应在 {f.low:g}–{top} 之间",
                       f"{f.name_en} must lie within {f.low:g}–{top}")
    if f.kind == "count" and value != int(value):
        return Problem(f.key, "not_whole", f"{f.name_zh}应为整数",
                       f"{f.name_en} must be a whole number")
    return None


def rule_fails(rule: Rule, whole: float | None, parts: list[float | None]) -> bool:
    """Whether ``rule`` refuses these values (None = not reported)."""
    given = [p for p in parts if p is not None]
    if whole is None or not given:
        return False
    total = sum(given)
    slack = TOLERANCE * abs(whole) + 1e-9
    if rule.op == "eq" and len(given) == len(parts):
        return abs(total - whole) > slack
    return total > whole + slack


def check_record(form: str, values: Mapping[str, float | None], *,
                 month: int) -> list[Problem]:
    """Every problem of one record of ``form`` (keys of :func:`current`; None = blank)."""
    out: list[Problem] = []
    for f in current(form):
        value = values.get(f.key)
        if value is None:
            if f.required:
                out.append(Problem(f.key, "required", f"{f.name_zh}必须填写",
                                   f"{f.name_en} is required"))
            continue
        problem = _bounds(f, float(value), month)
        if problem is not None:
            out.append(problem)
    for rule in rules(form):
        if rule_fails(rule, values.get(rule.whole), [values.get(p) for p in rule.parts]):
            out.append(Problem(rule.whole, rule.code, rule.zh, rule.en))
    return out
