"""The checks of the monthly entry form (数据填报), run before saving.

:func:`analyse` turns the typed lines of the form (:class:`EntryValue`) into
findings with stable codes (:data:`FINDING_CODES`), bilingual messages and the
field they concern (:class:`EntryFinding`), and the figures that passed, in the
canonical unit (:class:`EntryFigure`). It reads nothing: the previous month and
the same month last year are given by :mod:`jieneng.services.entry.entry`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

import polars as pl

from jieneng.core.carriers import CARRIER_CODES, carrier
from jieneng.core.exceptions import UnitMismatch, UnknownUnit
from jieneng.core.indicator_registry import change as relative_change
from jieneng.core.messages import text as message
from jieneng.core.rounding import format_number
from jieneng.core.units import accepted_units, factor_to_canonical
from jieneng.ingest.numbers import not_a_number, parse_number

Severity = Literal["error", "warning"]

#: Stable codes of the entry findings, with their severity.
FINDING_CODES: dict[str, Severity] = {
    "entry.unknown_carrier": "error",
    "entry.duplicate_carrier": "error",
    "entry.not_a_number": "error",
    "entry.negative": "error",
    "entry.unknown_unit": "error",
    "entry.unit_mismatch": "error",
    "entry.cost_without_quantity": "error",
    "entry.jump_mom": "warning",
    "entry.jump_yoy": "warning",
}

#: Default thresholds of the jump checks (fractions): 环比 50 %, 同比 10 %
#: (同比 review flags a change > 10 %, ``reference-data.md`` §2.6).
MOM_THRESHOLD = 0.5
YOY_THRESHOLD = 0.10


@dataclass(frozen=True)
class EntryValue:
    """One input line of the form: a carrier's quantity as typed, its unit
    (None → the canonical unit) and its cost [元]. A blank value means "not
    entered" (nothing is stored or changed for that carrier)."""

    carrier: str
    value: float | str | None
    unit: str | None = None
    cost_yuan: float | str | None = None


@dataclass(frozen=True)
class EntryFinding:
    """A problem found before saving: ``code`` (stable), ``severity``, the
    ``field`` it concerns (``electricity.value``, ``water.unit``,
    ``gas.cost_yuan`` …), bilingual messages and ``details``."""

    code: str
    field: str
    carrier: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return FINDING_CODES[self.code]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity
        return data


#: Another name for a finding (most findings are warnings).
EntryWarning = EntryFinding


def _finding(code: str, field: str, c: Any, key: str, details: dict[str, Any] | None = None,
             **values: Any) -> EntryFinding:
    """The finding ``code`` with the catalogue's ``finding.<key>`` texts, formatted with
    the carrier's names (``name_zh``, ``name_en``, ``unit_zh``, ``unit_en``), ``details``
    and ``values``."""
    names = {"name_zh": c.name_zh, "name_en": c.name_en, "unit_zh": c.unit_zh,
             "unit_en": c.canonical_unit}
    filled = {**names, **(details or {}), **values}
    return EntryFinding(code, field, c.code, message("zh-CN", f"finding.{key}", **filled),
                        message("en", f"finding.{key}", **filled), details or {})


@dataclass(frozen=True)
class EntryFigure:
    """An entered figure after the checks, in the canonical unit."""

    carrier: str
    quantity: float
    cost_yuan: float | None
    entered_value: str
    entered_unit: str


def _text(value: float | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = str(value).strip()
    return text or None


def _numbers(texts: list[str | None]) -> tuple[list[float | None], list[bool]]:
    """Parse typed numbers with the import's rules (``12,345``, full-width digits)."""
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    out = frame.select(parse_number(pl.col("t")).alias("n"), not_a_number(pl.col("t")).alias("bad"))
    return out["n"].to_list(), [bool(b) for b in out["bad"].to_list()]


def parse_numbers(texts: list[str | None]) -> tuple[list[float | None], list[bool]]:
    """Typed numbers with the form's rules (the 基本信息 form too): values and which
    texts are not numbers."""
    return _numbers(texts)


def _not_a_number(c: Any, part: str, text: str | None, bad: bool) -> list[EntryFinding]:
    """``entry.not_a_number`` for the quantity or the cost of a carrier, or nothing."""
    if not bad:
        return []
    return [_finding("entry.not_a_number", f"{c.code}.{part}", c,
                     f"entry.not_a_number.{part}", {"value": text})]


def _negative(c: Any, part: str, number: float | None) -> list[EntryFinding]:
    """``entry.negative`` for the quantity or the cost of a carrier, or nothing."""
    if number is None or number >= 0:
        return []
    return [_finding("entry.negative", f"{c.code}.{part}", c, f"entry.negative.{part}",
                     {"value": number})]


def analyse(
    values: list[EntryValue],
    before: dict[str, dict[str, Any]],
    last_year: dict[str, dict[str, Any]],
    *,
    mom_threshold: float,
    yoy_threshold: float,
) -> tuple[list[EntryFinding], list[EntryFigure]]:
    findings: list[EntryFinding] = []
    parsed: list[EntryFigure] = []
    value_texts = [_text(v.value) for v in values]
    cost_texts = [_text(v.cost_yuan) for v in values]
    numbers, bad_numbers = _numbers(value_texts)
    costs, bad_costs = _numbers(cost_texts)
    seen: set[str] = set()
    for n, entry in enumerate(values):  # one line per carrier: at most 12
        code = entry.carrier
        if code not in CARRIER_CODES:
            findings.append(EntryFinding(
                "entry.unknown_carrier", code, code,
                message("zh-CN", "finding.entry.unknown_carrier", code=code),
                message("en", "finding.entry.unknown_carrier", code=code)))
            continue
        c = carrier(code)
        if code in seen:
            findings.append(_finding("entry.duplicate_carrier", code, c,
                                     "entry.duplicate_carrier"))
            continue
        seen.add(code)
        number, cost = numbers[n], costs[n]
        checks = [
            *_not_a_number(c, "value", value_texts[n], bad_numbers[n]),
            *_not_a_number(c, "cost_yuan", cost_texts[n], bad_costs[n]),
            *_negative(c, "value", number),
            *_negative(c, "cost_yuan", cost),
        ]
        findings += checks
        ok = not checks
        if number is None and cost is not None and value_texts[n] is None:
            ok = False
            findings.append(_finding("entry.cost_without_quantity", f"{code}.value", c,
                                     "entry.cost_without_quantity"))
        unit = (entry.unit or "").strip() or c.canonical_unit
        factor = 1.0
        try:
            factor = factor_to_canonical(c, unit)
        except UnknownUnit:
            ok = False
            findings.append(_finding(
                "entry.unknown_unit", f"{code}.unit", c, "entry.unknown_unit", {"unit": unit},
                accepted_zh="、".join(accepted_units(c)),
                accepted_en=", ".join(accepted_units(c))))
        except UnitMismatch:
            ok = False
            findings.append(_finding("entry.unit_mismatch", f"{code}.unit", c,
                                     "entry.unit_mismatch", {"unit": unit}))
        if not ok or number is None:
            continue
        quantity = number * factor
        parsed.append(EntryFigure(code, quantity, cost, str(value_texts[n]), unit))
        for name, reference, threshold in (
            ("entry.jump_mom", before.get(code), mom_threshold),
            ("entry.jump_yoy", last_year.get(code), yoy_threshold),
        ):
            if reference is None or reference["quantity"] is None:
                continue
            old = float(reference["quantity"])
            change = relative_change(quantity, old)  # None against a base ≤ 0
            if change is not None and abs(change) > threshold:
                now_text, old_text = format_number(quantity), format_number(old)
                findings.append(_finding(
                    name, f"{code}.value", c, name,
                    {"quantity": quantity, "reference": old, "change": change,
                     "threshold": threshold}, now=now_text, old=old_text))
    return findings, parsed
