"""The indicator registry: what every figure of the platform is, in one place.

One :class:`Indicator` per code (``energy_per_capita_kgce`` …) says its Chinese and
English names, its unit, its formula, its numerator and denominator, what it
leaves out and the document it comes from. Pages, exports, the 通报, targets,
quotas, data-quality messages and ``docs/indicators.md`` read it
(:func:`registry_markdown`; ``python -m jieneng.core.indicator_registry >
docs/indicators.md``); :func:`jieneng.core.indicators.compute_indicators` is the
arithmetic of the computed ones.

:func:`change` is the one relative-change rule (同比, change against a base year).

References
----------
- 公共机构能源资源消费统计调查制度 (国管节能〔2022〕301号; revised 2025-11-10): the
  four headline intensities 人均综合能耗, 单位建筑面积能耗, 人均用水量,
  单位建筑面积碳排放 (``reference-data.md`` §2.1, §2.3).
- GB/T 2589-2020 《综合能耗计算通则》: 综合能耗 = Σ quantity × coefficient.
- DB11/T 1958-2022 《党政机关能源消耗定额》 and GB/T 51161-2016 《民用建筑能耗标准》:
  per-area figures cover building energy, not transport (``reference-data.md`` §2.4).
- GB/T 40498-2021 《公共机构能耗定额标准编制通则》: quota indicators and 用能人数
  (Annex A); 建筑面积 and 用能人数: 2009 form notes (``reference-data.md`` §2.4, §5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .carriers import CARRIERS
from .exceptions import ValidationFailed

Denominator = Literal["occupants", "floor_area_m2"]
TargetKind = Literal["cap", "reduction"]

STATISTICS_SYSTEM = ("公共机构能源资源消费统计调查制度（国管节能〔2022〕301号，2025-11-10 修订）"
                     "/ public-institution energy statistics system")
GBT_2589 = "GB/T 2589-2020 综合能耗计算通则 / General principles for calculation of energy"
MEE_NBS = ("生态环境部、国家统计局 电力二氧化碳排放因子（按数据年份和区域）"
           "/ MEE–NBS electricity CO₂ factors by year and area")
DB11_1958 = "DB11/T 1958-2022 党政机关能源消耗定额（人均、单位面积指标口径）"
GBT_51161 = "GB/T 51161-2016 民用建筑能耗标准（建筑能耗不含交通）"
GBT_40498 = "GB/T 40498-2021 公共机构能耗定额标准编制通则（定额指标；附录A 用能人数）"
FORM_NOTES = "统计报表填报说明（建筑面积、用能人数的口径，2009年表式）"

#: Denominator code → (中文, English) rule.
DENOMINATORS: dict[str, tuple[str, str]] = {
    "occupants": ("用能人数 > 0 的已报送单位的用能人数之和",
                  "Σ 用能人数 (occupants) of reporting institutions with 用能人数 > 0"),
    "floor_area_m2": ("建筑面积 > 0 的已报送单位的建筑面积之和",
                      "Σ 建筑面积 (floor area) of reporting institutions with 建筑面积 > 0"),
}

#: Carriers left out of the per-area figures by default (车辆用油: transport energy).
VEHICLE_FUEL: tuple[str, ...] = tuple(c.code for c in CARRIERS if c.vehicle)
#: Carriers not counted in energy (water; solar PV generation, for information).
NOT_ENERGY: tuple[str, ...] = tuple(c.code for c in CARRIERS if not c.counts_in_energy)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One figure of the platform.

    ``unit`` is the plain unit written in exports and JSON (``kgce/m2``);
    ``unit_zh``/``unit_en`` are the display symbols (``kgce/人``, ``kgce/person``).
    ``denominator`` is None for a total. ``computed`` is False for a quota indicator
    that is stored and shown but not computed by the platform. ``target`` says
    whether a 双控 target caps the
    total or asks a reduction of the intensity.
    """

    code: str
    name_zh: str
    name_en: str
    unit: str
    unit_zh: str
    unit_en: str
    formula_zh: str
    formula_en: str
    numerator_zh: str
    numerator_en: str
    denominator: Denominator | None
    excluded_carriers: tuple[str, ...]
    exclusions_zh: str
    exclusions_en: str
    sources: tuple[str, ...]
    computed: bool = True
    target: TargetKind | None = None
    quota: bool = False
    #: decimals shown on pages and in exports (``#,##0.00`` for 2); the value keeps
    #: full precision everywhere (``docs/architecture.md`` — Numbers)
    decimals: int = 2

    def name(self, lang: str = "zh") -> str:
        """The name in ``lang`` (``zh`` or ``en``)."""
        return self.name_en if lang == "en" else self.name_zh

    def label(self, lang: str = "zh") -> str:
        """Name and display unit: ``人均综合能耗（kgce/人）``,
        ``energy per capita (kgce/person)``."""
        if lang == "en":
            return f"{self.name_en} ({self.unit_en})"
        return f"{self.name_zh}（{self.unit_zh}）"

    @property
    def rankable(self) -> bool:
        """A computed intensity: institutions can be ranked by it."""
        return self.computed and self.denominator is not None

    def formula(self) -> dict[str, str]:
        """Name, unit and rule as the pages and exports show them."""
        return {"name_zh": self.name_zh, "name_en": self.name_en, "unit": self.unit,
                "formula_zh": self.formula_zh, "formula_en": self.formula_en}


_ENERGY_NUM = ("各能源品种消费量 × 折标准煤系数之和（水、太阳能光电发电量不计入）",
               "Σ quantity × standard-coal coefficient over the energy carriers "
               "(water and solar PV generation not counted)")
_NO_ENERGY = ("水、太阳能光电系统发电量不计入能耗", "water and solar PV generation are not energy")
_AREA_EXCL = ("不含车辆用油（汽油、柴油-车辆用油，交通能耗）；水、太阳能光电发电量不计入",
              "vehicle fuel (gasoline and diesel for vehicles: transport energy) is left out "
              "by default; water and solar PV generation are not energy")

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "energy_tce", "能源消费总量", "total energy consumption", "tce", "tce", "tce",
        "Σ(各能源品种消费量 × 折标准煤系数) ÷ 1000；水和太阳能光电发电量不计入"
        "（GB/T 2589-2020 综合能耗计算通则）",
        "Σ(quantity of each carrier × standard-coal coefficient) ÷ 1000; water "
        "and solar PV generation are not counted (GB/T 2589-2020)",
        *_ENERGY_NUM, None, NOT_ENERGY, *_NO_ENERGY, (STATISTICS_SYSTEM, GBT_2589),
        target="cap"),
    Indicator(
        "water_m3", "用水总量", "total water use", "m3", "m³", "m³",
        "Σ 用水量；水不折算标准煤", "Σ water; water is not converted to standard coal",
        "各单位用水量之和", "Σ water of the institutions", None, (),
        "水不折算标准煤，不计入能耗", "water is not converted to standard coal nor counted "
        "in energy", (STATISTICS_SYSTEM,), target="cap"),
    Indicator(
        "co2_t", "二氧化碳排放总量", "total CO₂ emissions", "t", "tCO₂", "tCO₂",
        "Σ(各能源品种消费量 × 二氧化碳排放因子) ÷ 1000；电力因子按数据年份和"
        "区域取生态环境部、国家统计局公布值",
        "Σ(quantity of each carrier × CO₂ factor) ÷ 1000; the electricity "
        "factor is the MEE/NBS published value for the data year and area",
        "各能源品种消费量 × 二氧化碳排放因子之和", "Σ quantity × CO₂ factor over the carriers",
        None, (), "没有排放因子的品种（如其他能源）不计入，并在说明中列出",
        "carriers without a CO₂ factor (e.g. other energy) are left out and listed in the notes",
        (STATISTICS_SYSTEM, MEE_NBS), target="cap"),
    Indicator(
        "energy_per_capita_kgce", "人均综合能耗", "energy per capita", "kgce/人", "kgce/人",
        "kgce/person",
        "用能人数 > 0 的已报送单位能耗之和 ÷ 其用能人数之和（比值之和，"
        "非单位比值的平均）",
        "Σ energy of reporting institutions with occupants > 0 ÷ Σ their "
        "occupants (ratio of sums, not an average of ratios)",
        *_ENERGY_NUM, "occupants", NOT_ENERGY, *_NO_ENERGY,
        (STATISTICS_SYSTEM, GBT_2589, GBT_40498, FORM_NOTES), target="reduction", quota=True),
    Indicator(
        "energy_per_area_kgce_m2", "单位建筑面积能耗", "energy per floor area", "kgce/m2",
        "kgce/m²", "kgce/m²",
        "建筑面积 > 0 的已报送单位能耗之和（不含车辆用油）÷ 其建筑面积之和"
        "（DB11/T 1958-2022；GB/T 51161-2016）",
        "Σ energy of reporting institutions with floor area > 0, excluding "
        "vehicle fuel, ÷ Σ their floor area (DB11/T 1958-2022; GB/T 51161-2016)",
        *_ENERGY_NUM, "floor_area_m2", (*NOT_ENERGY, *VEHICLE_FUEL), *_AREA_EXCL,
        (STATISTICS_SYSTEM, GBT_2589, DB11_1958, GBT_51161, FORM_NOTES),
        target="reduction", quota=True),
    Indicator(
        "water_per_capita_m3", "人均用水量", "water per capita", "m3/人", "m³/人", "m³/person",
        "用能人数 > 0 的已报送单位用水量之和 ÷ 其用能人数之和",
        "Σ water of reporting institutions with occupants > 0 ÷ Σ their occupants",
        "用能人数 > 0 的已报送单位用水量之和", "Σ water of those institutions", "occupants", (),
        "水不折算标准煤", "water is not converted to standard coal",
        (STATISTICS_SYSTEM, GBT_40498, FORM_NOTES), target="reduction", quota=True),
    Indicator(
        "co2_per_area_kg_m2", "单位建筑面积碳排放", "CO₂ per floor area", "kgCO2/m2", "kgCO₂/m²",
        "kgCO₂/m²",
        "建筑面积 > 0 的已报送单位二氧化碳排放之和（不含车辆用油）÷ "
        "其建筑面积之和",
        "Σ CO₂ of reporting institutions with floor area > 0, excluding "
        "vehicle fuel, ÷ Σ their floor area",
        "建筑面积 > 0 的已报送单位二氧化碳排放之和", "Σ CO₂ of those institutions",
        "floor_area_m2", VEHICLE_FUEL, *_AREA_EXCL,
        (STATISTICS_SYSTEM, MEE_NBS, DB11_1958, GBT_51161, FORM_NOTES), target="reduction"),
    # Quota indicators the platform stores and shows but does not compute.
    Indicator(
        "energy_per_area_nonheating_kgce_m2", "单位建筑面积非供暖能耗",
        "non-heating energy per floor area", "kgce/m2", "kgce/m²", "kgce/m²",
        "（能耗 − 供暖能耗 − 车辆用油）÷ 建筑面积（定额标准口径，平台不计算）",
        "(energy − heating energy − vehicle fuel) ÷ floor area (quota standards; not "
        "computed by the platform)",
        "不含供暖和交通的能耗", "energy without heating and transport", "floor_area_m2",
        (*NOT_ENERGY, *VEHICLE_FUEL), "不含供暖能耗和车辆用油",
        "heating energy and vehicle fuel are left out", (DB11_1958, GBT_40498),
        computed=False, quota=True),
    Indicator(
        "electricity_per_capita_kwh", "人均电耗", "electricity per capita", "kWh/人",
        "kWh/人", "kWh/person", "用电量 ÷ 用能人数（定额标准口径，平台不计算）",
        "electricity ÷ occupants (quota standards; not computed by the platform)",
        "用电量", "electricity", "occupants", (), "—", "—", (DB11_1958, GBT_40498),
        computed=False, quota=True),
    Indicator(
        "electricity_per_area_kwh_m2", "单位建筑面积电耗", "electricity per floor area",
        "kWh/m2", "kWh/m²", "kWh/m²", "用电量 ÷ 建筑面积（定额标准口径，平台不计算）",
        "electricity ÷ floor area (quota standards; not computed by the platform)",
        "用电量", "electricity", "floor_area_m2", (), "—", "—", (GBT_40498,),
        computed=False, quota=True),
    # a data-centre room's figure (form NY202, jieneng.core.forms_ny), not an
    # institution's headline: computed per room and region by services.forms_ny
    Indicator(
        "datacentre_pue", "数据中心机房电能使用效率 PUE", "data-centre PUE", "kWh/kWh",
        "kWh/kWh", "kWh/kWh",
        "机房总用电量(240) ÷ IT设备用电量(2401)；IT用电量为0时无定义；区域 PUE = Σ总用电 ÷ ΣIT用电",
        "room electricity (240) ÷ IT electricity (2401); undefined when IT is 0; "
        "a region's PUE = Σ total ÷ Σ IT",
        "机房总用电量（或绑定的总用电计量表）", "room electricity (or its bound total meter)",
        None, (), "按机房计算，不属单位综合能耗指标", "per room, not an institution's headline",
        ("表NY202 数据中心机房（cn-platform §2.2）",
         "GB 40879-2021 数据中心能效限定值及能效等级（电能比 RM）"),
        computed=False),
)

#: Code → indicator.
BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}
#: The computed headline figures, in display order.
HEADLINE: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.computed)
#: Computed totals (the monthly trend).
TOTALS: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.computed and not i.denominator)
#: Intensities an institution can be ranked by → what their denominator needs.
RANKABLE: dict[str, str] = {i.code: i.denominator for i in INDICATORS
                            if i.rankable and i.denominator}
#: 双控 targets: caps on totals and reductions of intensities.
CAP_METRICS: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.target == "cap")
REDUCTION_METRICS: tuple[str, ...] = tuple(i.code for i in INDICATORS
                                           if i.target == "reduction")
#: Indicators a quota (定额) may be given for.
QUOTA: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.quota)


def indicator(code: str) -> Indicator:
    """The indicator of ``code``; :class:`ValidationFailed` for an unknown code."""
    found = BY_CODE.get(code)
    if found is None:
        known = ", ".join(BY_CODE)
        raise ValidationFailed.of(
            "indicators.unknown_indicator", code=code, known=known,
        )
    return found


def formulas(codes: Sequence[str] = HEADLINE) -> dict[str, dict[str, str]]:
    """Code → name, unit and rule (:meth:`Indicator.formula`) of ``codes``."""
    return {code: BY_CODE[code].formula() for code in codes}


def change(now: float | None, before: float | None) -> float | None:
    """Relative change ``(now − before) / before`` as a fraction (0.05 = +5 %).

    The platform's one rule for 同比 and for changes against a base year: None when
    either value is missing or the base is zero or negative — there is no
    meaningful change against no consumption (every figure is a sum of quantities
    ≥ 0, so a base ≤ 0 means nothing was consumed or reported).

    References
    ----------
    同比审核 (``reference-data.md`` §2.6); ``docs/nomenclature.md`` (``yoy[...]``).
    """
    if now is None or before is None or before <= 0:
        return None
    return (now - before) / before


# --------------------------------------------------------------------------- document

_DOC: dict[str, tuple[str, str]] = {
    "title": ("指标目录", "Indicator registry"),
    "intro": (
        "本页由 `jieneng.core.indicator_registry.registry_markdown` 生成，请勿手工修改"
        "（`python -m jieneng.core.indicator_registry zh`）。比值指标均为“比值之和”"
        "（分子之和 ÷ 分母之和），不是各单位比值的平均；分母为 0 时为空。",
        "Generated by `jieneng.core.indicator_registry.registry_markdown`; do not edit by "
        "hand (`python -m jieneng.core.indicator_registry > docs/indicators.md`). Every "
        "intensity is a ratio of sums (Σ numerator ÷ Σ denominator over the institutions "
        "that reported), never an average of the institutions' ratios; it is empty (null) "
        "when its denominator is 0.",
    ),
    "summary": ("| 代码 | 指标 | 英文名 | 单位 | 分母 | 目标 | 平台计算 |",
                "| code | 指标 | indicator | unit | denominator | target | computed |"),
    "formula": ("公式", "Formula"),
    "unit": ("单位", "Unit"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "exclusions": ("不计入", "Left out"),
    "sources": ("依据", "Sources"),
    "none": ("无（总量）", "none (a total)"),
    "change": ("变化率（同比、较基准年）", "Change ratio (year on year, against a base year)"),
    "change_text": (
        "变化率 = (本期 − 基期) ÷ 基期，以小数表示（0.05 即 +5%）。任一值缺失或基期 ≤ 0 时为空："
        "对没有消费的基期，变化率没有意义。由 `jieneng.core.indicator_registry.change` 计算，"
        "总览、通报、目标进度和数据审核共用这一规则。",
        "change = (now − base) ÷ base, as a fraction (0.05 = +5 %). It is empty (null) when "
        "either value is missing or the base is ≤ 0: there is no meaningful change against "
        "a base without consumption. Computed by `jieneng.core.indicator_registry.change`; "
        "the overview, the annual notice, target progress and the data-quality rules share "
        "this one rule.",
    ),
    "yes": ("是", "yes"),
    "no": ("否（定额指标，只存储和显示）", "no (quota indicator, stored and shown)"),
    "cap": ("总量上限", "cap"),
    "reduction": ("强度下降", "reduction"),
}


def _t(key: str, lang: str) -> str:
    zh, en = _DOC[key]
    return en if lang == "en" else zh


def _pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _section(i: Indicator, lang: str) -> list[str]:
    denominator = (_pick(lang, *DENOMINATORS[i.denominator]) if i.denominator
                   else _t("none", lang))
    excluded = ", ".join(f"`{c}`" for c in i.excluded_carriers)
    left_out = _pick(lang, i.exclusions_zh, i.exclusions_en)
    lines = [f"## `{i.code}` — {i.name_zh} / {i.name_en}", "",
             f"- {_t('unit', lang)}: {_pick(lang, i.unit_zh, i.unit_en)} (`{i.unit}`)",
             f"- {_t('formula', lang)}: {_pick(lang, i.formula_zh, i.formula_en)}",
             f"- {_t('numerator', lang)}: {_pick(lang, i.numerator_zh, i.numerator_en)}",
             f"- {_t('denominator', lang)}: {denominator}",
             f"- {_t('exclusions', lang)}: {left_out}" + (f" ({excluded})" if excluded else ""),
             f"- {_t('sources', lang)}:"]
    lines += [f"  - {s}" for s in i.sources]
    return [*lines, ""]


def registry_markdown(lang: str = "en") -> str:
    """The registry as Markdown in ``lang``; ``docs/indicators.md`` is the English one."""
    lines = [f"# {_t('title', lang)}", "", _t("intro", lang), "", _t("summary", lang),
             "|---|---|---|---|---|---|---|"]
    for i in INDICATORS:
        target = _t(i.target, lang) if i.target else "—"
        computed = _t("yes" if i.computed else "no", lang)
        lines.append(f"| `{i.code}` | {i.name_zh} | {i.name_en} | "
                     f"{_pick(lang, i.unit_zh, i.unit_en)} | {i.denominator or '—'} | "
                     f"{target} | {computed} |")
    lines.append("")
    for i in INDICATORS:
        lines += _section(i, lang)
    lines += [f"## {_t('change', lang)}", "", _t("change_text", lang)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(registry_markdown(sys.argv[1] if len(sys.argv) > 1 else "en"), end="")
