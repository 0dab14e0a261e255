"""Data-quality findings and their messages: :class:`Finding` (one result of a
rule), :func:`render` (the message in a language, numbers formatted by placeholder
kind, GB/T 8170 rounding) and :func:`example_finding` (from a rule's example).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..carriers import carrier, carrier_by_name
from ..exceptions import ValidationFailed
from ..rounding import format_number, format_percent
from .catalogue import rule
from .model import INDICATORS, LABELS, PLACEHOLDERS, PlaceholderKind, Rule, Severity, pick


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a rule for one institution and period.

    ``month`` is None for annual findings; ``carrier`` is a carrier code, or None
    for institution-level findings and for the total (综合能耗, tce). ``params``
    holds the further placeholder values of the message (``change``,
    ``threshold``, ``months`` …, see :data:`PLACEHOLDERS`).
    """

    rule: str
    severity: Severity
    institution_id: int
    year: int
    month: int | None
    carrier: str | None
    value: float | None
    expected: float | None = None
    suggested: float | None = None
    params: Mapping[str, float | int | str] = field(default_factory=dict)


def _format(name: str, value: float | int | str, lang: str) -> str:
    kind = PLACEHOLDERS[name][0] if name in PLACEHOLDERS else PlaceholderKind.TEXT
    if kind is PlaceholderKind.INDICATOR and str(value) in INDICATORS:
        zh, en = INDICATORS[str(value)]
        return pick(lang, zh, en)
    if kind is PlaceholderKind.LABEL and str(value) in LABELS:
        zh, en = LABELS[str(value)]
        return pick(lang, zh, en)
    if kind is PlaceholderKind.MONTHS:
        parts = [m.strip() for m in str(value).split(",") if m.strip()]
        return pick(lang, "、", ", ").join(parts)
    if isinstance(value, str) or kind is PlaceholderKind.TEXT:
        return str(value)
    if kind is PlaceholderKind.PERCENT:
        if name == "threshold":
            return _trim(format_number(value * 100, 2)) + "%"
        return format_percent(value)
    if kind is PlaceholderKind.COUNT:
        return f"{int(value):,}"
    if kind is PlaceholderKind.FACTOR:
        if 0 < value < 1:  # 0.0001 → 1/10,000
            return "1/" + _trim(format_number(1 / value, 0 if 1 / value >= 100 else 2))
        return _trim(format_number(value, 0 if abs(value) >= 100 else 2)) + "×"
    return _trim(format_number(value, 2 if abs(value) >= 1 or value == 0 else 6))


def _trim(text: str) -> str:
    """Drop trailing zeros of a decimal text: ``1.50`` → ``1.5``, ``12.00`` → ``12``."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def _context(finding: Finding, lang: str) -> dict[str, float | int | str]:
    period = (f"{finding.year}-{finding.month:02d}" if finding.month else f"{finding.year}"
              ) if lang.startswith("en") else (
        f"{finding.year}年{finding.month}月" if finding.month else f"{finding.year}年")
    if finding.carrier is None:
        name, unit = pick(lang, "综合能耗", "total energy"), "tce"
    else:
        c = carrier(finding.carrier)
        name, unit = pick(lang, c.name_zh, c.name_en), pick(lang, c.unit_zh, c.canonical_unit)
    context: dict[str, float | int | str] = {"period": period, "carrier": name, "unit": unit}
    for key in ("value", "expected", "suggested"):
        number = getattr(finding, key)
        if number is not None:
            context[key] = number
    context.update(finding.params)
    return context


def render(finding: Finding, lang: str = "zh") -> str:
    """The message of ``finding`` in ``lang`` (``zh`` or ``en``…), numbers formatted
    by placeholder kind (GB/T 8170 rounding). A placeholder without a value raises
    :class:`ValidationFailed`."""
    r = rule(finding.rule)
    context = _context(finding, lang)
    missing = r.placeholders - set(context)
    if missing:
        raise ValidationFailed.of(
            "quality.message_lacks_values", code=r.code, missing=sorted(missing),
        )
    return r.template(lang).format(**{k: _format(k, v, lang) for k, v in context.items()})


def example_finding(r: Rule) -> Finding:
    """A finding of ``r`` built from its documented example (for docs and tests)."""
    ex = dict(r.example)
    period = str(ex.pop("period", "2025年"))
    month = int(period.split("年")[1].rstrip("月")) if period.endswith("月") else None
    year = int(period.split("年")[0])
    fields = {k: float(ex.pop(k)) for k in ("value", "expected", "suggested") if k in ex}
    ex.pop("unit", None)
    code = _carrier_code(str(ex.pop("carrier"))) if "carrier" in ex else None
    return Finding(r.code, r.severity, 1, year, month, code, fields.get("value"),
                   fields.get("expected"), fields.get("suggested"), ex)


def _carrier_code(name: str) -> str:
    return carrier_by_name(name).code
