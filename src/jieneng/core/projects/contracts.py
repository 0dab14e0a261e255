"""Contracts of energy-saving projects and the local rule sets checked on entry
(issue 13 §2).

A :class:`Contract` holds what the contract fixes (京机管发〔2022〕21号 第九条; GB/T
24915-2020 reference contracts A/B/C): term, base period, price mode, sharing ratio,
guarantee, fee base, ceiling price, O&M scope, carbon-rights owner, asset hand-over.

The rules are data, ``jieneng/data/projects/contract_rules.csv``, one row per rule with
its article, document and source URL: the set ``national`` (always) and local sets
(``beijing-2022-21`` for region codes starting ``11``, or chosen by name). A row
applies to one contract subtype or to every one (``*``). Checks:

- ``years_between`` — the term or base period in whole months ÷ 12 within [min, max]
  (both dates: start inclusive, end exclusive — the platform's convention);
- ``base_before_term`` — the base period ends no later than the term starts;
- ``required`` / ``required_any`` — the field(s) stated, within [min, max] when given;
- ``intensity_cut`` — the committed intensity cut ≥ r(n) = min × step^(n − 5) for a
  term of n whole years (京机管发〔2022〕21号 第八条 read as a relative step; the
  clause is ambiguous, see ``docs/projects.md``).

:func:`check_contract` returns every rule's result; the services refuse a contract
failing one and store the results with the contract.

Standard library only (a ``core`` module).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from importlib import resources

from jieneng.core.exceptions import ValidationFailed

NATIONAL = "national"


@dataclass(frozen=True)
class Contract:
    """A project's contract as entered; rates and ratios are fractions (0.1 = 10 %),
    money in 元, ``fee_base_yuan`` per year."""

    term_start: date
    term_end: date
    base_start: date
    base_end: date
    number: str | None = None
    signed_on: date | None = None
    price_mode: str | None = None  # base_year | pass_through
    sharing_ratio: float | None = None
    guaranteed_rate: float | None = None
    guaranteed_tce: float | None = None
    fee_base_yuan: float | None = None
    ceiling_yuan: float | None = None
    om_scope: str | None = None
    carbon_rights: str | None = None  # owner | esco | shared
    asset_handover: str | None = None
    heating_by_area: bool | None = None

    def row(self) -> dict[str, object]:
        out = asdict(self)
        out["heating_by_area"] = None if self.heating_by_area is None else int(
            self.heating_by_area)
        return out


@dataclass(frozen=True)
class Rule:
    """One row of ``contract_rules.csv``."""

    rule_set: str
    region_prefix: str
    rule: str
    applies_to: str
    check: str
    field: str
    min: float | None
    max: float | None
    step: float | None
    article: str
    text_zh: str
    text_en: str
    document: str
    source_url: str
    note: str


@dataclass(frozen=True)
class RuleResult:
    """A rule checked: passed or not, the value found and the limit applied."""

    rule_set: str
    rule: str
    article: str
    passed: bool
    value: float | str | None
    limit: str
    text_zh: str
    text_en: str
    document: str
    source_url: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def rules() -> tuple[Rule, ...]:
    """Every rule of ``data/projects/contract_rules.csv``."""
    path = resources.files("jieneng") / "data" / "projects" / "contract_rules.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return tuple(Rule(r["rule_set"], r["region_prefix"], r["rule"], r["applies_to"],
                      r["check"], r["field"], _number(r["min"]), _number(r["max"]),
                      _number(r["step"]), r["article"], r["text_zh"], r["text_en"],
                      r["document"], r["source_url"], r["note"]) for r in rows)


def rule_sets() -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.rule_set for r in rules()))


def rule_set_for(region_code: str, wanted: str | None = None) -> str | None:
    """The local rule set: ``wanted`` (checked to exist) or the one whose region prefix
    the region code starts with; None when no local set applies."""
    if wanted:
        if wanted not in rule_sets() or wanted == NATIONAL:
            raise ValidationFailed.of("project_rule_set_unknown", value=wanted,
                                      known=", ".join(s for s in rule_sets() if s != NATIONAL))
        return wanted
    for r in rules():
        if r.region_prefix and region_code.startswith(r.region_prefix):
            return r.rule_set
    return None


def whole_years(start: date, end: date) -> float:
    """Whole months from ``start`` to ``end`` (exclusive) ÷ 12."""
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    return months / 12


def required_cut(rule: Rule, term_years: float) -> float:
    """r(n) = min × step^(n − 5) for n whole years (第八条 as read by the platform)."""
    base, step = rule.min or 0.0, rule.step or 1.0
    return base * step ** max(0, int(term_years) - 5)


def _check(rule: Rule, c: Contract) -> RuleResult:
    value: float | str | None = None
    limit = ""
    if rule.check == "years_between":
        start, end = ((c.term_start, c.term_end) if rule.field == "term"
                      else (c.base_start, c.base_end))
        value = whole_years(start, end)
        limit = f"{rule.min:g}–{rule.max:g}"
        passed = (rule.min or 0) <= value <= (rule.max if rule.max is not None else value)
    elif rule.check == "base_before_term":
        value, limit = c.base_end.isoformat(), f"≤ {c.term_start.isoformat()}"
        passed = c.base_end <= c.term_start
    elif rule.check in ("required", "required_any"):
        given = [getattr(c, f) for f in rule.field.split() if getattr(c, f) is not None]
        value = given[0] if given else None
        limit = rule.field if rule.min is None else (
            f"{rule.min:g}–{rule.max:g}" if rule.max is not None else f"≥ {rule.min:g}")
        passed = bool(given) and all(
            not isinstance(v, int | float) or ((rule.min is None or v >= rule.min)
                                               and (rule.max is None or v <= rule.max))
            for v in given)
    elif rule.check == "intensity_cut":
        need = required_cut(rule, whole_years(c.term_start, c.term_end))
        value, limit = c.guaranteed_rate, f"≥ {need:.4g}"
        passed = c.guaranteed_rate is not None and c.guaranteed_rate >= need - 1e-12
    else:  # a rule kind this code does not know: data ahead of code
        raise ValidationFailed.of("project_rule_set_unknown", value=rule.check, known="")
    return RuleResult(rule.rule_set, rule.rule, rule.article, passed, value, limit,
                      rule.text_zh, rule.text_en, rule.document, rule.source_url)


def check_contract(c: Contract, subtype: str | None, rule_set: str | None
                   ) -> list[RuleResult]:
    """Every rule of ``national`` and ``rule_set`` that applies to ``subtype``."""
    if c.term_end <= c.term_start or c.base_end <= c.base_start:
        raise ValidationFailed.of("project_contract_dates", term_start=c.term_start.isoformat(),
                                  term_end=c.term_end.isoformat(),
                                  base_start=c.base_start.isoformat(),
                                  base_end=c.base_end.isoformat())
    for name, value in (("sharing_ratio", c.sharing_ratio), ("guaranteed_rate",
                                                              c.guaranteed_rate)):
        if value is not None and not 0 <= value <= 1:
            raise ValidationFailed.of("project_contract_fraction", field=name, value=value)
    if c.price_mode not in (None, "base_year", "pass_through"):
        raise ValidationFailed.of("project_contract_choice", field="price_mode",
                                  value=c.price_mode, allowed="base_year, pass_through")
    if c.carbon_rights not in (None, "owner", "esco", "shared"):
        raise ValidationFailed.of("project_contract_choice", field="carbon_rights",
                                  value=c.carbon_rights, allowed="owner, esco, shared")
    wanted = {NATIONAL, *([rule_set] if rule_set else [])}
    return [_check(r, c) for r in rules()
            if r.rule_set in wanted and r.applies_to in ("*", subtype or "")]
