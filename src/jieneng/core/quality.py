"""Data-quality rules (数据审核规则): the catalogue, per-region configuration,
findings and their messages, and the statistics the SQL layer cannot easily do.

Evaluation (which figures to look at, in SQL) lives in the storage/services
layers; this module only defines *what* each rule checks, its parameters and
messages, and pure helpers (:func:`robust_spike`, :func:`unit_slip`,
:func:`yoy_change`, :func:`peer_bounds`).

Codes
-----
A rule's ``code`` is a short snake-case English identifier (``yoy_change``). It is
stored with every finding and every regional override, sent in the API and used in
the message catalogue, so it is **stable**: never renamed, never reused; a changed
meaning gets a new code.

Severity
--------
``error`` blocks submission (the figure must be corrected); ``warning`` needs a
written explanation before submission (说明); ``notice`` is information for the
reviewer. See :func:`jieneng.core.reporting.transition`.

Configuration
-------------
Each region may override ``enabled``, ``severity`` and parameters of a rule; a
region inherits its parent's overrides (:func:`effective_config` takes them from
the root to the leaf; the leaf wins).

The Markdown catalogue ``docs/quality-rules.md`` is generated from this module
(:func:`catalogue_markdown`; ``python -m jieneng.core.quality > docs/quality-rules.md``).
"""

from __future__ import annotations

import math
import statistics
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .carriers import carrier, carrier_by_name
from .exceptions import ValidationFailed
from .indicator_registry import BY_CODE, change
from .rounding import format_number, format_percent


def _pick(lang: str, zh: str, en: str) -> str:
    return en if lang.startswith("en") else zh


class Severity(StrEnum):
    """How a finding affects submission; the value is the stable code."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    def label(self, lang: str = "zh") -> str:
        """``错误`` / ``error`` …"""
        zh, en = _SEVERITY_LABELS[self]
        return _pick(lang, zh, en)


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
        return _pick(lang, zh, en)


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
        return _pick(lang, self.title_zh, self.title_en)

    def description(self, lang: str = "zh") -> str:
        return _pick(lang, self.description_zh, self.description_en)

    def template(self, lang: str = "zh") -> str:
        return _pick(lang, self.message_zh, self.message_en)

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


def _p(name: str, default: float, lo: float, hi: float, zh: str, en: str,
       integer: bool = False) -> Param:
    return Param(name, default, lo, hi, zh, en, integer)


_THRESHOLD = _p("threshold", 0.10, 0.0, 10.0, "变化幅度阈值（0.10 即 10%）",
                "change threshold (0.10 = 10 %)")

#: The catalogue, in documentation order.
RULES: tuple[Rule, ...] = (
    Rule(
        "missing_month", "缺报月份", "missing month",
        "报告期内某月没有某品种的数据，而该单位在此前 12 个月内报过该品种。"
        "统计调查制度要求按月如实填报；确实未消耗的应填 0，而不是留空。",
        "A month of the period has no figure for a carrier the institution reported in the "
        "12 months before. The statistics system asks for every month; a carrier not "
        "consumed is entered as 0, not left blank.",
        Severity.ERROR, Level.INSTITUTION,
        "{period}{carrier}缺少 {months} 月的数据；未消耗请填 0",
        "{period} {carrier}: no figure for month(s) {months}; enter 0 if nothing was consumed",
        {"period": "2025年", "carrier": "电", "months": "3,4"},
        params=(_p("lookback_months", 12, 1, 60, "回看月数", "months looked back", True),),
    ),
    Rule(
        "negative_value", "负值", "negative value",
        "消费量和费用不能为负。光伏发电量也按发电量正数填报。",
        "Quantities and costs cannot be negative; solar PV generation is entered as a "
        "positive amount too.",
        Severity.ERROR, Level.FIGURE,
        "{period}{carrier}为负值 {value} {unit}",
        "{period} {carrier} is negative: {value} {unit}",
        {"period": "2025年3月", "carrier": "电", "unit": "千瓦时", "value": -1200.0},
    ),
    Rule(
        "unexpected_zero", "异常零值", "unexpected zero",
        "某品种填 0，而该单位近 12 个月中至少有 min_months 个月消耗大于 0（通常会用）。"
        "常见原因：漏抄表、账单未到。",
        "A carrier is 0 while the institution consumed it in at least min_months of the last "
        "12 months. Usual causes: meter not read, bill not yet received.",
        Severity.WARNING, Level.FIGURE,
        "{period}{carrier}为 0，而以往月份通常约为 {expected} {unit}",
        "{period} {carrier} is 0 although it is usually about {expected} {unit}",
        {"period": "2025年3月", "carrier": "电", "unit": "千瓦时", "expected": 15200.0},
        params=(_p("min_months", 6, 1, 12, "近 12 个月中大于 0 的最少月数",
                   "months > 0 needed among the last 12", True),),
    ),
    Rule(
        "yoy_change", "同比变化过大", "large year-on-year change",
        "与上年同期相比变化超过阈值（默认 10%）。各地数据审核通行做法：同比增减超过 10% "
        "的须说明原因（如新增建筑、人员变动、气候）。上年同期低于 min_previous 时不检查。",
        "Change from the same period last year above the threshold (default 10 %). Common "
        "review practice of the provincial offices: a year-on-year change over 10 % must be "
        "explained (new buildings, staff changes, weather). Not checked when last year's "
        "value is below min_previous.",
        Severity.WARNING, Level.FIGURE,
        "{period}{carrier}同比变化 {change}（{previous} → {value} {unit}），"
        "超过 {threshold}，请说明原因",
        "{period} {carrier} changed {change} on last year ({previous} → {value} {unit}), more "
        "than {threshold}; please explain",
        {"period": "2025年3月", "carrier": "电", "unit": "千瓦时", "change": 0.234,
         "previous": 12000.0, "value": 14808.0, "threshold": 0.10},
        params=(_THRESHOLD, _p("min_previous", 0.0, 0.0, 1e12, "上年同期最小值（低于此不检查）",
                               "minimum value last year (below it: not checked)")),
    ),
    Rule(
        "mom_spike", "月度突变", "monthly spike",
        "与本单位自身历史相比的突变，考虑季节：把本月与上年同月之比（取对数）与近 12 个月"
        "各月同比之比的中位数比较，以中位数绝对偏差（MAD×1.4826）为尺度，稳健 z 分数超过 k "
        "（默认 3.5，Iglewicz 与 Hoaglin 修正 z 分数；Hampel 滤波）即提示。夏季空调、冬季采暖"
        "等季节高峰不会被误报。",
        "A spike against the institution's own history, seasonality-aware: the log ratio of "
        "this month to the same month last year is compared with the median of the year-on-"
        "year log ratios of the last 12 months, scaled by the median absolute deviation "
        "(MAD × 1.4826); a robust z-score above k (default 3.5, the modified z-score of "
        "Iglewicz & Hoaglin; a Hampel filter) is flagged. Seasonal peaks (summer cooling, "
        "winter heating) are not flagged. See robust_spike().",
        Severity.WARNING, Level.FIGURE,
        "{period}{carrier} {value} {unit} 与本单位历史不符"
        "（按季节应约为 {expected}，稳健 z 分数 {score}）",
        "{period} {carrier} of {value} {unit} is out of line with the institution's history "
        "(about {expected} expected for the season, robust z-score {score})",
        {"period": "2025年3月", "carrier": "电", "unit": "千瓦时", "value": 48000.0,
         "expected": 15100.0, "score": 9.7},
        params=(
            _p("k", 3.5, 1.0, 20.0, "稳健 z 分数阈值", "robust z-score threshold"),
            _p("min_pairs", 6, 3, 12, "所需的最少同比月数", "year-on-year pairs needed", True),
            _p("min_scale", 0.05, 0.0, 1.0, "尺度下限（对数）", "floor of the scale (log units)"),
        ),
    ),
    Rule(
        "unit_slip_10000", "疑似万与基本单位混用", "unit slip (万 vs base unit)",
        "数值约为参照值的 1 万倍或 1/1 万（比值在 min_ratio–max_ratio 之间）：常见于把万千瓦时"
        "当作千瓦时填报，或反之。给出按 1 万换算后的建议值。",
        "The value is about 10,000× or 1/10,000 of the reference (ratio between min_ratio and "
        "max_ratio): typically 万kWh entered as kWh or the reverse. The value converted by "
        "10,000 is suggested.",
        Severity.WARNING, Level.FIGURE,
        "{period}{carrier} {value} {unit} 约为参照值 {expected} 的 {ratio}，疑似万与基本单位混用，"
        "建议值 {suggested} {unit}",
        "{period} {carrier} of {value} {unit} is {ratio} the reference {expected}: probably 万 "
        "mixed up with the base unit; suggested {suggested} {unit}",
        {"period": "2025年3月", "carrier": "电", "unit": "千瓦时", "value": 1.52,
         "expected": 15000.0, "ratio": 1.52 / 15000.0, "suggested": 15200.0},
        params=(_p("min_ratio", 3000, 10, 1e6, "比值下限", "lowest ratio"),
                _p("max_ratio", 30000, 10, 1e6, "比值上限", "highest ratio")),
        ordered=(("min_ratio", "max_ratio"),),
    ),
    Rule(
        "profile_change", "用能人数或建筑面积变化过大", "occupants or floor area changed",
        "用能人数或建筑面积与上年相比变化超过阈值（默认 10%）。两者是人均和单位面积指标的"
        "分母，变化须说明（新建、划转、合并）。",
        "用能人数 (occupants) or 建筑面积 (floor area) changed more than the threshold "
        "(default 10 %) from last year. They are the denominators of per-capita and per-area "
        "indicators; a change needs an explanation (new building, transfer, merger).",
        Severity.WARNING, Level.INSTITUTION,
        "{period}{indicator}由 {previous} 变为 {value}（{change}），超过 {threshold}，请说明原因",
        "{period} {indicator} went from {previous} to {value} ({change}), more than "
        "{threshold}; please explain",
        {"period": "2025年", "indicator": "floor_area_m2", "previous": 12000.0, "value": 15600.0,
         "change": 0.30, "threshold": 0.10},
        params=(_THRESHOLD,),
    ),
    Rule(
        "unit_price_range", "单价超出参考区间", "unit price outside reference range",
        "单价（费用 ÷ 消费量）超出本省该品种的参考区间（放宽 margin）。单价异常多为单位"
        "填错或费用与用量不对应。",
        "The unit price (cost ÷ quantity) is outside the reference range of the carrier in "
        "the province (widened by margin). An odd price usually means a wrong unit or a cost "
        "not matching the quantity.",
        Severity.WARNING, Level.FIGURE,
        "{period}{carrier}单价 {value} 元/{unit}，超出参考区间 {low}–{high} 元/{unit}",
        "{period} {carrier} unit price {value} yuan/{unit} is outside the reference range "
        "{low}–{high} yuan/{unit}",
        {"period": "2025年3月", "carrier": "电", "unit": "千瓦时", "value": 6.8,
         "low": 0.45, "high": 1.2},
        params=(_p("margin", 0.0, 0.0, 5.0, "区间放宽比例（0.2 即上下各放宽 20%）",
                   "widening of the range (0.2 = 20 % each side)"),),
        requires="reference_prices",
    ),
    Rule(
        "quota_outlier", "偏离能耗定额", "far from the energy quota",
        "人均或单位建筑面积能耗高于定额约束值的 upper_factor 倍，或低于引导值的 lower_factor 倍"
        "（可能漏报）。只在本地区已录入定额（约束值、引导值）后运行。",
        "Per-capita or per-area energy above upper_factor × the quota's 约束值 (binding "
        "value), or below lower_factor × its 引导值 (guide value; possibly under-reported). "
        "Runs only once the region's quotas exist.",
        Severity.WARNING, Level.INSTITUTION,
        "{period}{indicator} {value} 偏离定额 {expected}（{ratio}）",
        "{period} {indicator} {value} is far from the quota {expected} ({ratio})",
        {"period": "2025年", "indicator": "energy_per_area_kgce_m2", "value": 21.5,
         "expected": 12.0, "ratio": 1.79},
        params=(_p("upper_factor", 1.0, 0.5, 10.0, "约束值倍数", "multiple of the binding value"),
                _p("lower_factor", 0.5, 0.0, 1.0, "引导值倍数", "multiple of the guide value")),
        requires="quotas",
    ),
    Rule(
        "peer_outlier", "同类单位离群", "outlier among peers",
        "人均或单位面积能耗落在同地区同类别单位的百分位区间 [lower_pct, upper_pct] 之外"
        "（稳健：不受个别极端值影响）；同类少于 min_peers 家时不检查。",
        "Per-capita or per-area energy outside the [lower_pct, upper_pct] percentile range "
        "of institutions of the same category and region (robust to a few extreme values); "
        "not checked with fewer than min_peers peers. See peer_bounds().",
        Severity.NOTICE, Level.PEER_GROUP,
        "{period}{indicator} {value} 在 {peers} 家同类单位的区间 {low}–{high} 之外",
        "{period} {indicator} {value} is outside the range {low}–{high} of {peers} peers",
        {"period": "2025年", "indicator": "energy_per_capita_kgce", "value": 1450.0,
         "low": 180.0, "high": 720.0, "peers": 38},
        params=(_p("lower_pct", 5, 0, 50, "下百分位", "lower percentile"),
                _p("upper_pct", 95, 50, 100, "上百分位", "upper percentile"),
                _p("min_peers", 10, 3, 1000, "最少同类单位数", "fewest peers", True)),
        ordered=(("lower_pct", "upper_pct"),),
    ),
    Rule(
        "duplicate_institution", "疑似重复单位", "possible duplicate institution",
        "同一地区内另有单位名称相同（忽略空格、全角半角和括号差异），可能重复录入名录库，"
        "会使能耗重复计算。",
        "Another institution in the same region has the same name once spaces, full-width "
        "characters and brackets are folded: probably entered twice in the directory, which "
        "would count its energy twice.",
        Severity.WARNING, Level.INSTITUTION,
        "与 {other_institution} 名称相同，疑似重复单位",
        "same name as {other_institution}: possibly a duplicate institution",
        {"other_institution": "桂林市第一中学（12450300MB0000001X）"},
    ),
)

_BY_CODE = {r.code: r for r in RULES}


def rule(code: str) -> Rule:
    """The rule with this code; :class:`ValidationFailed` naming the known codes."""
    try:
        return _BY_CODE[code]
    except KeyError:
        known = ", ".join(_BY_CODE)
        raise ValidationFailed(
            f"未知数据审核规则 {code!r}，可用：{known}",
            f"unknown data-quality rule {code!r}; known: {known}",
        ) from None


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """The effective configuration of one rule in one region."""

    enabled: bool
    severity: Severity
    params: Mapping[str, float] = field(default_factory=dict)


def default_config(r: Rule) -> RuleConfig:
    """The rule's own defaults."""
    return RuleConfig(r.enabled, r.severity, r.defaults())


def _unknown_param(r: Rule, name: str) -> ValidationFailed:
    known = ", ".join(p.name for p in r.params) or "—"
    return ValidationFailed(
        f"规则 {r.code} 没有参数 {name!r}，可用：{known}",
        f"rule {r.code} has no parameter {name!r}; known: {known}",
    )


def _bad(r: Rule, what_zh: str, what_en: str) -> ValidationFailed:
    return ValidationFailed(f"规则 {r.code} 的配置有误：{what_zh}",
                            f"invalid configuration of rule {r.code}: {what_en}")


def _param_value(r: Rule, name: str, value: object) -> float:
    spec = r.param(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(r, f"参数 {name} 须为数值，而非 {value!r}",
                   f"parameter {name} must be a number, not {value!r}")
    if not spec.minimum <= value <= spec.maximum:
        raise _bad(r, f"参数 {name}={value} 超出 {spec.minimum}–{spec.maximum}",
                   f"parameter {name}={value} outside {spec.minimum}–{spec.maximum}")
    if spec.integer and value != int(value):
        raise _bad(r, f"参数 {name} 须为整数，而非 {value}",
                   f"parameter {name} must be a whole number, not {value}")
    return float(value)


def _severity(r: Rule, value: object) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        known = ", ".join(Severity)
        raise _bad(r, f"级别 {value!r} 无效，可用：{known}",
                   f"severity {value!r} is not one of {known}") from None


def _merge(r: Rule, base: RuleConfig, override: Mapping[str, object]) -> RuleConfig:
    unknown = set(override) - {"enabled", "severity", "params"}
    if unknown:
        raise _bad(r, f"未知配置项 {sorted(unknown)}（可用 enabled、severity、params）",
                   f"unknown keys {sorted(unknown)} (known: enabled, severity, params)")
    enabled = override.get("enabled", base.enabled)
    if not isinstance(enabled, bool):
        raise _bad(r, f"enabled 须为 true/false，而非 {enabled!r}",
                   f"enabled must be true or false, not {enabled!r}")
    severity = _severity(r, override["severity"]) if "severity" in override else base.severity
    raw = override.get("params", {})
    if not isinstance(raw, Mapping):
        raise _bad(r, "params 须为 名称→数值 的映射", "params must map names to numbers")
    params = dict(base.params)
    params.update({str(k): _param_value(r, str(k), v) for k, v in raw.items()})
    return RuleConfig(enabled, severity, params)


def _check_ordered(r: Rule, params: Mapping[str, float]) -> None:
    for a, b in r.ordered:
        if not params[a] < params[b]:
            raise _bad(r, f"须满足 {a} < {b}（现为 {params[a]:g} 与 {params[b]:g}）",
                       f"{a} must be below {b} (got {params[a]:g} and {params[b]:g})")


def effective_config(r: Rule, overrides: Sequence[Mapping[str, object]] = ()) -> RuleConfig:
    """The configuration of ``r`` in a region, from its defaults and overrides.

    ``overrides`` are this rule's override dicts of the region's ancestors, **from
    the root to the leaf** (e.g. 广西 → 桂林市 → 阳朔县); each may set ``enabled``
    (bool), ``severity`` (``error``/``warning``/``notice``) and ``params`` (name →
    number). Later overrides win key by key, so a county inherits what its city set
    and changes only what it names.

    Raises :class:`ValidationFailed` (bilingual) for unknown keys or parameters,
    non-numeric, non-finite, out-of-range or non-integral values, and violated
    parameter orderings (``min_ratio < max_ratio``).
    """
    config = default_config(r)
    for override in overrides:
        config = _merge(r, config, override)
    _check_ordered(r, config.params)
    return config


def effective_configs(
    overrides: Sequence[Mapping[str, Mapping[str, object]]] = (),
) -> dict[str, RuleConfig]:
    """:func:`effective_config` of every rule; ``overrides`` are per-region dicts
    ``{rule code: override}`` from the root to the leaf (unknown codes refused)."""
    for level in overrides:
        for code in level:
            rule(code)
    return {
        r.code: effective_config(r, [level[r.code] for level in overrides if r.code in level])
        for r in RULES
    }


# --------------------------------------------------------------------------- findings


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
        return _pick(lang, zh, en)
    if kind is PlaceholderKind.MONTHS:
        parts = [m.strip() for m in str(value).split(",") if m.strip()]
        return _pick(lang, "、", ", ").join(parts)
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
        name, unit = _pick(lang, "综合能耗", "total energy"), "tce"
    else:
        c = carrier(finding.carrier)
        name, unit = _pick(lang, c.name_zh, c.name_en), _pick(lang, c.unit_zh, c.canonical_unit)
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
        raise ValidationFailed(
            f"规则 {r.code} 的提示缺少占位值 {sorted(missing)}",
            f"the message of rule {r.code} lacks values for {sorted(missing)}",
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


# --------------------------------------------------------------------------- statistics

#: Consistency constant of the MAD for normally distributed data (1 / Φ⁻¹(3/4)).
MAD_SCALE = 1.4826


@dataclass(frozen=True, slots=True)
class Spike:
    """Result of :func:`robust_spike`."""

    is_spike: bool
    expected: float  # seasonal expectation of the value
    score: float  # robust z-score of the value's year-on-year log ratio
    pairs: int  # year-on-year pairs the scale was estimated from


def _yoy_log_ratios(history: Sequence[float | None], month: int) -> list[float]:
    ratios = []
    for t in range(max(12, month - 12), month):
        now, before = history[t], history[t - 12]
        if now is not None and before is not None and now > 0 and before > 0:
            ratios.append(math.log(now / before))
    return ratios


def robust_spike(
    history: Sequence[float | None],
    value: float,
    month: int,
    *,
    k: float = 3.5,
    min_pairs: int = 6,
    min_scale: float = 0.05,
) -> Spike | None:
    """Is ``value`` a spike against the institution's own, seasonal history?

    ``history[i]`` is the figure of month index ``i`` (consecutive months, None
    when missing); ``value`` is the figure of month index ``month`` (only
    ``history[:month]`` is used, so the whole series may be passed). Example: a
    series from January 2023 tests March 2025 with ``month=26``.

    Method (seasonal naive + modified z-score):

    1. ``r = ln(value / history[month-12])`` — the change on the same calendar month
       a year earlier, which removes the seasonal pattern (summer cooling and
       winter heating recur every year);
    2. ``R`` = the same log ratios for each of the last 12 months (pairs where both
       values are > 0); need at least ``min_pairs``;
    3. ``score = (r − median(R)) / max(1.4826 · MAD(R), min_scale)`` where MAD is
       the median absolute deviation: the modified z-score of Iglewicz & Hoaglin
       (1993), who recommend flagging ``|score| > 3.5``; a rolling median/MAD
       test like this is the Hampel filter (Hampel 1974). ``min_scale`` (log
       units; 0.05 ≈ 5 %) keeps a very regular history from flagging tiny changes;
    4. ``expected = history[month-12] · exp(median(R))`` — last year's same month
       moved by the typical recent year-on-year change.

    Returns None when the test cannot be made (no positive same-month value a
    year earlier, ``value`` ≤ 0, or too few pairs); zeros and negatives belong to
    other rules.

    References
    ----------
    - B. Iglewicz, D. C. Hoaglin, *How to Detect and Handle Outliers*, ASQC
      Basic References in Quality Control 16, 1993 (modified z-score, 3.5).
    - F. R. Hampel, "The influence curve and its role in robust estimation",
      JASA 69 (1974) 383–393 (MAD, Hampel identifier).
    - R. J. Hyndman, G. Athanasopoulos, *Forecasting: Principles and Practice*,
      3rd ed., §5.2 (seasonal naive method).
    """
    if month < 12 or month > len(history) or value <= 0:
        return None
    base = history[month - 12]
    if base is None or base <= 0:
        return None
    ratios = _yoy_log_ratios(history, month)
    if len(ratios) < min_pairs:
        return None
    centre = statistics.median(ratios)
    mad = statistics.median(abs(x - centre) for x in ratios)
    score = (math.log(value / base) - centre) / max(MAD_SCALE * mad, min_scale)
    return Spike(abs(score) > k, base * math.exp(centre), score, len(ratios))


def unit_slip(
    value: float, expected: float, *, min_ratio: float = 3000.0, max_ratio: float = 30000.0
) -> float | None:
    """The corrected value if ``value`` looks like a 万 ↔ base-unit slip, else None.

    ``value / expected`` in [``min_ratio``, ``max_ratio``] (about 10,000×: the
    figure was in base units where 万 was asked, or 万kWh typed as kWh…) suggests
    ``value / 10000``; a ratio in [1/``max_ratio``, 1/``min_ratio``] suggests
    ``value × 10000``. The default band (3,000–30,000) is about half an order of
    magnitude either side of 10⁴, wide enough for real month-to-month variation and
    far from ordinary growth. Non-positive inputs give None.
    """
    if value <= 0 or expected <= 0:
        return None
    ratio = value / expected
    if min_ratio <= ratio <= max_ratio:
        return value / 1e4
    if 1 / max_ratio <= ratio <= 1 / min_ratio:
        return value * 1e4
    return None


#: ``(now − before) / before`` (0.05 = +5 %); None when either is missing or
#: ``before`` ≤ 0 (no meaningful base): the platform's one change rule,
#: :func:`jieneng.core.indicator_registry.change`.
yoy_change = change


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0–100) by linear interpolation between closest ranks.

    With the sorted values ``x[0] ≤ … ≤ x[n−1]`` and ``h = (n − 1) · pct / 100``,
    the result is ``x[⌊h⌋] + (h − ⌊h⌋) · (x[⌊h⌋+1] − x[⌊h⌋])``: definition 7 of
    Hyndman & Fan (1996), the default of numpy and R, Excel ``PERCENTILE.INC`` and
    PostgreSQL ``percentile_cont(pct / 100)``, so SQL and Python agree.

    References
    ----------
    R. J. Hyndman, Y. Fan, "Sample quantiles in statistical packages",
    The American Statistician 50 (1996) 361–365.
    """
    if not values:
        raise ValidationFailed("百分位数需要至少一个数值", "a percentile needs at least one value")
    if not 0 <= pct <= 100:
        raise ValidationFailed(f"百分位 {pct} 须在 0–100 之间",
                               f"percentile {pct} must be between 0 and 100")
    if any(not math.isfinite(v) for v in values):
        raise ValidationFailed("百分位数的数值须为有限数", "percentile values must be finite")
    ordered = sorted(values)
    h = (len(ordered) - 1) * pct / 100
    low = math.floor(h)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def peer_bounds(
    values: Sequence[float], lower_pct: float = 5.0, upper_pct: float = 95.0
) -> tuple[float, float]:
    """(low, high): the ``lower_pct`` and ``upper_pct`` percentiles (0–100) of the
    peers' values by :func:`percentile`; a value outside is a peer outlier.
    Percentiles, unlike mean ± k·sd, are not pulled by the outliers themselves."""
    if lower_pct > upper_pct:
        raise ValidationFailed(f"下百分位 {lower_pct} 大于上百分位 {upper_pct}",
                               f"lower percentile {lower_pct} above upper {upper_pct}")
    return percentile(values, lower_pct), percentile(values, upper_pct)


# --------------------------------------------------------------------------- catalogue

_DOC = {
    "title": ("数据审核规则目录", "Data-quality rule catalogue"),
    "intro": (
        "本页由 `jieneng.core.quality.catalogue_markdown` 生成，请勿手工修改"
        "（`python -m jieneng.core.quality zh`）。级别：错误阻止上报；警告须填写说明后方可上报；"
        "提示供审核人参考。各地区可按规则覆盖是否启用、级别和参数，下级地区继承上级设置。",
        "Generated by `jieneng.core.quality.catalogue_markdown`; do not edit by hand "
        "(`python -m jieneng.core.quality > docs/quality-rules.md`). Severity: an error "
        "blocks submission; a warning needs a written explanation before submission; a "
        "notice informs the reviewer. Each region may override whether a rule is enabled, "
        "its severity and parameters; a region inherits its parent's settings.",
    ),
    "summary": ("| 代码 | 规则 | 默认级别 | 层级 | 默认启用 |",
                "| code | rule | default severity | level | enabled by default |"),
    "severity": ("默认级别", "Default severity"),
    "level": ("层级", "Level"),
    "enabled": ("默认启用", "Enabled by default"),
    "requires": ("需要的参考数据", "Needs reference data"),
    "params": ("参数", "Parameters"),
    "param_head": ("| 参数 | 默认值 | 范围 | 说明 |", "| parameter | default | range | meaning |"),
    "message": ("提示文字", "Message"),
    "example": ("示例", "Example"),
    "placeholders": ("占位符", "Placeholders"),
    "ph_head": ("| 占位符 | 格式 | 含义 |", "| placeholder | format | meaning |"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


def _t(key: str, lang: str) -> str:
    zh, en = _DOC[key]
    return _pick(lang, zh, en)


def _param_rows(r: Rule, lang: str) -> list[str]:
    rows = [_t("param_head", lang), "|---|---|---|---|"]
    for p in r.params:
        rows.append(f"| `{p.name}` | {p.default:g} | {p.minimum:g}–{p.maximum:g} | "
                    f"{_pick(lang, p.description_zh, p.description_en)} |")
    return rows


def _rule_section(r: Rule, lang: str) -> list[str]:
    yes_no = _t("yes" if r.enabled else "no", lang)
    lines = [f"## `{r.code}` — {r.title(lang)}", "", r.description(lang), "",
             f"- {_t('severity', lang)}: {r.severity.label(lang)} (`{r.severity.value}`)",
             f"- {_t('level', lang)}: {r.level.label(lang)} (`{r.level.value}`)",
             f"- {_t('enabled', lang)}: {yes_no}"]
    if r.requires:
        lines.append(f"- {_t('requires', lang)}: `{r.requires}`")
    lines.append(f"- {_t('placeholders', lang)}: "
                 + ", ".join(f"`{{{p}}}`" for p in sorted(r.placeholders)))
    if r.params:
        lines += ["", f"{_t('params', lang)}:", "", *_param_rows(r, lang)]
    finding = example_finding(r)
    lines += ["", f"{_t('message', lang)}:", "",
              f"- zh: `{r.message_zh}`", f"- en: `{r.message_en}`", "",
              f"{_t('example', lang)}: {render(finding, lang)}", ""]
    return lines


def catalogue_markdown(lang: str = "en") -> str:
    """The catalogue as Markdown in ``lang``; ``docs/quality-rules.md`` is the
    English version (both message templates are shown in either language)."""
    lines = [f"# {_t('title', lang)}", "", _t("intro", lang), "", _t("summary", lang),
             "|---|---|---|---|---|"]
    for r in RULES:
        yes_no = _t("yes" if r.enabled else "no", lang)
        lines.append(f"| `{r.code}` | {r.title(lang)} | "
                     f"{r.severity.label(lang)} | {r.level.label(lang)} | {yes_no} |")
    lines.append("")
    for r in RULES:
        lines += _rule_section(r, lang)
    lines += [f"## {_t('placeholders', lang)}", "",
              _t("ph_head", lang), "|---|---|---|"]
    for name, (kind, zh, en) in PLACEHOLDERS.items():
        lines.append(f"| `{{{name}}}` | {kind.value} | {_pick(lang, zh, en)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(catalogue_markdown(sys.argv[1] if len(sys.argv) > 1 else "en"), end="")
