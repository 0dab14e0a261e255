"""The data-quality rule catalogue (数据审核规则): every rule with its texts,
default severity, level, parameters and message templates, and :func:`rule` by code.

Codes
-----
A rule's ``code`` is a short snake-case English identifier (``yoy_change``). It is
stored with every finding and every regional override, sent in the API and used in
the message catalogue, so it is **stable**: never renamed, never reused; a changed
meaning gets a new code.

Evaluation (which figures to look at, in SQL) lives in the storage/services
layers; the statistics behind some rules are in :mod:`.stats`.
"""

from __future__ import annotations

from ..exceptions import ValidationFailed
from .model import Level, Param, Rule, Severity


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
        "某品种填 0，而该单位近 12 个月中消耗大于 0 的月数达到设定值（默认 6 个月，通常会用）。"
        "常见原因：漏抄表、账单未到。",
        "A carrier is 0 while the institution consumed it in at least the set number of the "
        "last 12 months (default 6). Usual causes: meter not read, bill not yet received.",
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
        "的须说明原因（如新增建筑、人员变动、气候）。上年同期低于设定的最小值时不检查。",
        "Change from the same period last year above the threshold (default 10 %). Common "
        "review practice of the provincial offices: a year-on-year change over 10 % must be "
        "explained (new buildings, staff changes, weather). Not checked when last year's "
        "value is below the set minimum.",
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
        "各月同比之比的中位数比较，以中位数绝对偏差（MAD×1.4826）为尺度，稳健 z 分数超过阈值"
        "（默认 3.5，Iglewicz 与 Hoaglin 修正 z 分数；Hampel 滤波）即提示。夏季空调、冬季采暖"
        "等季节高峰不会被误报。",
        "A spike against the institution's own history, seasonality-aware: the log ratio of "
        "this month to the same month last year is compared with the median of the year-on-"
        "year log ratios of the last 12 months, scaled by the median absolute deviation "
        "(MAD × 1.4826); a robust z-score above the threshold (default 3.5, the modified "
        "z-score of Iglewicz & Hoaglin; a Hampel filter) is flagged. Seasonal peaks "
        "(summer cooling, winter heating) are not flagged.",
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
        "数值约为参照值的 1 万倍或 1/1 万（比值在设定的上下限之间）：常见于把万千瓦时"
        "当作千瓦时填报，或反之。给出按 1 万换算后的建议值。",
        "The value is about 10,000× or 1/10,000 of the reference (ratio between the set "
        "limits): typically 万kWh entered as kWh or the reverse. The value converted by "
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
        "人均或单位建筑面积能耗高于定额约束值的设定倍数（默认 1 倍），"
        "或低于引导值的设定倍数（默认 0.5 倍）（可能漏报）。"
        "只在本地区已录入定额（约束值、引导值）后运行。",
        "Per-capita or per-area energy above a set multiple (default 1) of the quota's "
        "约束值 (binding value), or below a set multiple (default 0.5) of its 引导值 "
        "(guide value; possibly under-reported). Runs only once the region's quotas exist.",
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
        "人均或单位面积能耗落在同地区同类别单位的设定的百分位区间之外"
        "（稳健：不受个别极端值影响）；同类单位少于设定家数时不检查。",
        "Per-capita or per-area energy outside the set percentile range "
        "of institutions of the same category and region (robust to a few extreme values); "
        "not checked with fewer peers than set.",
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
    Rule(
        "metered_difference", "上报值与计量值差异超过容差", "reported differs from metered",
        "某月某品种的上报值与计量值（户号的日用量或按账期分摊的账单、或总表的月累计，"
        "见 docs/metered-statistics.md）之差同时超过相对容差（默认 5%）和最小绝对差"
        "（默认 100，按该品种的填报单位）；计量值为 0 的月份不比较。"
        "常见原因：人工覆盖计量值、上报或审核后才到的账单、表计故障。默认值是本平台的约定而非国家标准：账期与自然月错位、抄表日不同"
        "造成的月度偏差通常在几个百分点以内，绝对下限避免用量很小的月份误报；各地可调整。",
        "The reported figure of a month and carrier differs from the metered one (the "
        "account's daily data or bills split by billing period, or the main meters' month "
        "total; docs/metered-statistics.md) by more than both the relative tolerance "
        "(default 5 %) and the least absolute difference (default 100, in the carrier's "
        "form unit); a month metered as 0 is not compared. Usual causes: a metered figure "
        "overridden by hand, a bill arriving after submission or approval, a faulty meter. "
        "The defaults are this platform's convention, not a national standard: billing "
        "periods not matching calendar months and reading days shift a month by a few per "
        "cent; the absolute floor keeps small months quiet. Each region may change them.",
        Severity.WARNING, Level.FIGURE,
        "{period}{carrier}上报 {value} {unit}，计量值 {expected} {unit}，相差 {change}，"
        "超过容差 {threshold}，请核对或说明原因",
        "{period} {carrier}: reported {value} {unit}, metered {expected} {unit}, a "
        "difference of {change}, more than the tolerance of {threshold}; please check or "
        "explain",
        {"period": "2026年1月", "carrier": "电", "unit": "千瓦时", "value": 11800.0,
         "expected": 12500.0, "change": -0.056, "threshold": 0.05},
        params=(_p("threshold", 0.05, 0.0, 1.0, "相对容差（0.05 即 5%）",
                   "relative tolerance (0.05 = 5 %)"),
                _p("min_difference", 100.0, 0.0, 1e12, "最小绝对差（填报单位）",
                   "least absolute difference (form unit)")),
    ),
    Rule(
        "datacentre_pue_above", "数据中心机房PUE高于目标值", "data-centre room PUE above target",
        "数据中心机房（NY202）某报告期的 PUE（机房总耗电量 ÷ IT 设备耗电量；有覆盖该期的 IT 与"
        "总耗电分项计量表时取计量值，否则取报表填报值）高于目标值：新建机房 1.3（渠县公共机构"
        "节能工作安排（2023）：新建数据中心 PUE 降到1.3以下），既有机房 1.6（桂林市管局〔2024〕"
        "4号：数据中心机房电能利用效率降至1.6以下）。IT 耗电为 0 或未报时 PUE 无定义，不检查。"
        "目标值是上述地方文件的要求而非国家标准；各地可调整。见 docs/datacentre-heating.md。",
        "The PUE of a data-centre room (NY202) for a period (room electricity ÷ IT "
        "electricity; from the room's IT and total sub-meters when they cover the period, "
        "else from the form) is above its target: 1.3 for a new room (Qu County's 2023 "
        "public-institution energy plan: new data centres below PUE 1.3), 1.6 for an "
        "existing one (Guilin office document [2024] No. 4: data-centre rooms below 1.6). "
        "A PUE is undefined, and not checked, when the IT "
        "electricity is 0 or not reported. The targets are those local documents' "
        "requirements, not a national standard; each region may change them. See "
        "docs/datacentre-heating.md.",
        Severity.WARNING, Level.INSTITUTION,
        "{period}机房 {room} 的 PUE 为 {value}（{pue_source}），高于目标值 {expected}",
        "{period} room {room}: PUE {value} ({pue_source}), above the target of {expected}",
        {"period": "2025年", "room": "JF-01 主机房", "value": 1.5, "expected": 1.3,
         "pue_source": "form"},
        params=(_p("target_new", 1.3, 1.0, 3.0, "新建机房 PUE 目标值",
                   "PUE target of a new room"),
                _p("target_existing", 1.6, 1.0, 3.0, "既有机房 PUE 目标值",
                   "PUE target of an existing room")),
    ),
)

_BY_CODE = {r.code: r for r in RULES}


def rule(code: str) -> Rule:
    """The rule with this code; :class:`ValidationFailed` naming the known codes."""
    try:
        return _BY_CODE[code]
    except KeyError:
        known = ", ".join(_BY_CODE)
        raise ValidationFailed.of(
            "quality.unknown_rule", code=code, known=known,
        ) from None
