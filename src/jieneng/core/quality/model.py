"""The vocabulary of the data-quality rules: severities, levels, message
placeholders and their kinds, the indicators a finding may name, and the
:class:`Rule` and :class:`Param` records the catalogue (:mod:`.catalogue`) is made of.

Severity
--------
``error`` blocks submission (the figure must be corrected); ``warning`` needs a
written explanation before submission (说明); ``notice`` is information for the
reviewer. See :func:`jieneng.core.reporting.tasks.transition`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..exceptions import ValidationFailed
from ..indicator_registry import BY_CODE

#: Consumption imports touching more institutions are not checked inline (the
#: region's run checks them); the import skips even loading the rule engine.
IMPORT_CHECK_LIMIT = 2000


def pick(lang: str, zh: str, en: str) -> str:
    """``en`` for an English ``lang`` (``en``, ``en-GB`` …), else ``zh``."""
    return en if lang.startswith("en") else zh


class Severity(StrEnum):
    """How a finding affects submission; the value is the stable code."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    def label(self, lang: str = "zh") -> str:
        """``错误`` / ``error`` …"""
        zh, en = _SEVERITY_LABELS[self]
        return pick(lang, zh, en)


_SEVERITY_LABELS = {
    Severity.ERROR: ("错误", "error"),
    Severity.WARNING: ("警告", "warning"),
    Severity.NOTICE: ("提示", "notice"),
}


class Level(StrEnum):
    """What one evaluation of a rule looks at."""

    FIGURE = "figure"  # one institution × period × carrier (or the total)
    INSTITUTION = "institution"  # one institution × period (profile, totals, directory)
    PEER_GROUP = "peer_group"  # institutions of one category and region together

    def label(self, lang: str = "zh") -> str:
        zh, en = _LEVEL_LABELS[self]
        return pick(lang, zh, en)


_LEVEL_LABELS = {
    Level.FIGURE: ("单项数据", "figure"),
    Level.INSTITUTION: ("单位", "institution"),
    Level.PEER_GROUP: ("同类单位", "peer group"),
}


class PlaceholderKind(StrEnum):
    """How :func:`render` formats a placeholder."""

    TEXT = "text"  # inserted as given
    NUMBER = "number"  # thousands separators, up to 2 decimals (GB/T 8170)
    PERCENT = "percent"  # a fraction as a signed percentage: 0.123 → +12.3%
    FACTOR = "factor"  # a ratio: 9,800×
    COUNT = "count"  # an integer
    MONTHS = "months"  # month numbers given as "3,4" → 3、4 / 3, 4
    INDICATOR = "indicator"  # a code of INDICATORS, shown in the language
    LABEL = "label"  # a code of LABELS, shown in the language


#: Every placeholder a template may use, with its kind and meaning.
PLACEHOLDERS: dict[str, tuple[PlaceholderKind, str, str]] = {
    "period": (PlaceholderKind.TEXT, "报告期（2025年3月）", "reporting period (2025-03)"),
    "carrier": (PlaceholderKind.TEXT, "能源品种；无品种时为综合能耗",
                "carrier; total energy when the finding has none"),
    "unit": (PlaceholderKind.TEXT, "品种的填报单位", "unit of the carrier on the form"),
    "value": (PlaceholderKind.NUMBER, "被检查的数值", "the value checked"),
    "expected": (PlaceholderKind.NUMBER, "参照值（同期、历史、定额）",
                 "reference value (last year, history, quota)"),
    "suggested": (PlaceholderKind.NUMBER, "建议改正值", "suggested corrected value"),
    "previous": (PlaceholderKind.NUMBER, "上年同期值", "value of the same period last year"),
    "change": (PlaceholderKind.PERCENT, "变化幅度", "relative change"),
    "threshold": (PlaceholderKind.PERCENT, "阈值", "threshold"),
    "ratio": (PlaceholderKind.FACTOR, "数值与参照值之比", "value ÷ reference"),
    "score": (PlaceholderKind.NUMBER, "稳健 z 分数", "robust (modified) z-score"),
    "low": (PlaceholderKind.NUMBER, "合理区间下限", "lower bound of the range"),
    "high": (PlaceholderKind.NUMBER, "合理区间上限", "upper bound of the range"),
    "months": (PlaceholderKind.MONTHS, "缺报月份，传入 \"3,4\"",
               "missing months, given as \"3,4\""),
    "indicator": (PlaceholderKind.INDICATOR, "指标代码（见 INDICATORS）",
                  "indicator code (see INDICATORS)"),
    "peers": (PlaceholderKind.COUNT, "同类单位数", "number of peers"),
    "other_institution": (PlaceholderKind.TEXT, "疑似重复的另一单位（名称、代码）",
                          "the other institution (name, code)"),
    "room": (PlaceholderKind.TEXT, "数据中心机房（编码 名称）", "data-centre room (code name)"),
    "pue_source": (PlaceholderKind.LABEL, "PUE 的来源：form 报表、meter 分项计量表",
                   "where the PUE comes from: form, meter (sub-meters)"),
}

#: Codes a ``LABEL`` placeholder may hold, shown in the language.
LABELS: dict[str, tuple[str, str]] = {
    "form": ("报表填报", "from the form"),
    "meter": ("分项计量", "from the sub-meters"),
}


#: Indicator codes a finding's ``indicator`` may name (as in docs/nomenclature.md): the
#: two profile figures and intensities of the indicator registry, with their units.
INDICATORS: dict[str, tuple[str, str]] = {
    "occupants": ("用能人数", "occupants (用能人数)"),
    "floor_area_m2": ("建筑面积（m²）", "floor area (m²)"),
    **{code: (BY_CODE[code].label("zh"), BY_CODE[code].label("en"))
       for code in ("energy_per_capita_kgce", "energy_per_area_kgce_m2", "water_per_capita_m3")},
}


@dataclass(frozen=True, slots=True)
class Param:
    """A tunable parameter of a rule, with its default and allowed range (inclusive)."""

    name: str
    default: float
    minimum: float
    maximum: float
    description_zh: str
    description_en: str
    integer: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """One data-quality rule of the catalogue.

    ``message_zh``/``message_en`` are :meth:`str.format` templates whose named
    placeholders are listed in :data:`PLACEHOLDERS`; both use the same set.
    ``requires`` names reference data without which the rule is skipped (not
    failed), e.g. ``quotas``. ``ordered`` lists parameter pairs that must satisfy
    ``a < b``. ``example`` holds placeholder values for the documentation.
    """

    code: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    severity: Severity
    level: Level
    message_zh: str
    message_en: str
    example: Mapping[str, float | int | str]
    params: tuple[Param, ...] = ()
    enabled: bool = True
    requires: str | None = None
    ordered: tuple[tuple[str, str], ...] = ()

    def title(self, lang: str = "zh") -> str:
        return pick(lang, self.title_zh, self.title_en)

    def description(self, lang: str = "zh") -> str:
        return pick(lang, self.description_zh, self.description_en)

    def template(self, lang: str = "zh") -> str:
        return pick(lang, self.message_zh, self.message_en)

    @property
    def placeholders(self) -> frozenset[str]:
        """Named placeholders of the Chinese template (the same as the English one)."""
        return template_placeholders(self.message_zh)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise _unknown_param(self, name)

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}


def template_placeholders(template: str) -> frozenset[str]:
    """Field names used in a :meth:`str.format` template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _unknown_param(r: Rule, name: str) -> ValidationFailed:
    known = ", ".join(p.name for p in r.params) or "—"
    return ValidationFailed.of(
        "quality.unknown_rule_parameter", code=r.code, name=name, known=known
    )
