"""An event's carbon (大型活动/会议碳中和): activity × factor per mode, by source, with
offsets, net and whether it is carbon neutral.

Method (《大型活动碳中和实施指南（试行）》, 生态环境部公告 2019年第19号):

- 第三条: carbon neutrality = the event's emissions offset by 碳配额, 碳信用 or the
  carbon sink of new forestry projects; here: achieved when the offsets ≥ emissions
  [tCO₂] (:func:`neutrality`);
- 第六条: reduce first, then offset — the page shows the emissions by source so the
  reductions can be seen before the offsets;
- the annex's emission types: fossil fuel burnt at the venue (固定源) and by vehicles
  serving the event (移动源), purchased electricity and heat, travel (交通), 住宿餐饮;
  会议用品 and 废弃物 are not covered (no activity data or factors in the references).

Each mode's factor [kgCO₂ per unit] is data (``data/carbon/event_factors.csv``):
``factor_set`` — the platform's factor set for the region and year (electricity: the
MEE/NBS grid factor; fuels: IPCC rate × NCV; heat: 0.11 tCO₂/GJ), never copied;
``none`` — no citable value in the references: the mode is refused
(:class:`ValidationFailed` ``carbon_factor_missing``) until an administrator sets a
factor with its source. E [tCO₂] = Σ quantity × factor / 1000.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..exceptions import ValidationFailed
from ..factors.sets import FactorSet

#: the sources of an event's emissions, in the order of the 指南's annex
CATEGORIES: tuple[str, ...] = ("venue", "travel", "accommodation", "catering")
#: the kinds of offset (指南 第三条: 碳配额, 碳信用 (CCER and others), new forestry sinks;
#: tree planting is recorded but is not one of the 指南's three ways)
OFFSET_KINDS: tuple[str, ...] = ("ccer", "forestry", "allowance", "purchased_credit",
                                 "tree_planting")
#: the largest quantity one input line takes (a sanity bound, not a rule) [unit]
MAX_QUANTITY = 1e10


def check_offset(kind: str, quantity_t: float) -> None:
    """An offset's kind (one of :data:`OFFSET_KINDS`) and quantity (0 < t ≤ 10⁹, a
    number), or ValidationFailed (``carbon_offset_kind``, ``carbon_offset_quantity``)."""
    if kind not in OFFSET_KINDS:
        raise ValidationFailed.of("carbon_offset_kind", field="kind", value=kind[:32],
                                  known=", ".join(OFFSET_KINDS))
    if not quantity_t == quantity_t or not 0 < quantity_t <= 1e9:
        raise ValidationFailed.of("carbon_offset_quantity", field="quantity_t",
                                  value=str(quantity_t)[:20])


@dataclass(frozen=True, slots=True)
class Mode:
    """One row of ``event_factors.csv``: an activity and how its factor is obtained."""

    code: str
    category: str
    label_zh: str
    label_en: str
    unit: str
    unit_zh: str
    method: str  # factor_set | none
    carrier: str
    value_unit: str
    status: str
    source: str
    notes: str


@dataclass(frozen=True, slots=True)
class Factor:
    """A mode's factor as used [kgCO₂ per unit]; ``value`` None: none available."""

    code: str
    value: float | None
    unit: str
    status: str
    source: str
    note: str | None = None
    set_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def modes() -> tuple[Mode, ...]:
    """Every mode of ``data/carbon/event_factors.csv``, in file order."""
    path = resources.files("jieneng") / "data" / "carbon" / "event_factors.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return tuple(Mode(**{k: r[k] for k in Mode.__dataclass_fields__}) for r in rows)


def mode(code: str) -> Mode:
    """The mode ``code``; ValidationFailed naming the known ones."""
    for m in modes():
        if m.code == code:
            return m
    raise ValidationFailed.of("carbon_unknown_mode", field=code[:40], mode=code[:40],
                              known=", ".join(m.code for m in modes()))


def resolve(fs: FactorSet, *, year: int, province_code: str | None,
            overrides: Mapping[str, tuple[float, str, str]]) -> dict[str, Factor]:
    """Every mode's factor: from the factor set ``fs`` for ``year`` and the province,
    or for a ``none`` mode the administrator's ``overrides[code]`` = (value, source,
    set_by) when there is one."""
    out: dict[str, Factor] = {}
    for m in modes():
        if m.method == "factor_set":
            fv = fs.co2_kg_per_unit(m.carrier, year=year, province_code=province_code)
            source = f"{fs.name}: {fv.source}"
            if fv.year_used is not None:
                source = f"{fs.name} ({fv.area or fv.scope} {fv.year_used}): {fv.source}"
            out[m.code] = Factor(m.code, fv.value, m.value_unit, fv.status, source, fv.note)
        elif m.code in overrides:
            value, source, by = overrides[m.code]
            out[m.code] = Factor(m.code, value, m.value_unit, "convention", source,
                                 m.notes, set_by=by)
        else:
            out[m.code] = Factor(m.code, None, m.value_unit, m.status, m.source, m.notes)
    return out


def check_lines(lines: Mapping[str, float], factors: Mapping[str, Factor]) -> None:
    """Refuse a line of an unknown mode, a negative or absurd quantity, or a mode
    without a factor (named, with the administrator's way to set one)."""
    for code, quantity in lines.items():
        m = mode(code)
        if not quantity == quantity or quantity < 0 or quantity > MAX_QUANTITY:
            raise ValidationFailed.of("carbon_quantity_invalid", field=code,
                                      mode_zh=m.label_zh, mode_en=m.label_en,
                                      value=str(quantity)[:20])
        if quantity and factors[code].value is None:
            raise ValidationFailed.of("carbon_factor_missing", field=code,
                                      mode_zh=m.label_zh, mode_en=m.label_en, mode=code)


@dataclass(frozen=True, slots=True)
class LineResult:
    code: str
    category: str
    quantity: float
    unit: str
    factor: Factor
    kg: float


def compute(lines: Mapping[str, float], factors: Mapping[str, Factor]
            ) -> tuple[list[LineResult], dict[str, float], float]:
    """(lines with their kgCO₂, tCO₂ per category, total tCO₂).

    E_line [kgCO₂] = quantity [unit] × factor [kgCO₂/unit]; t = kg / 1000.
    """
    check_lines(lines, factors)
    out: list[LineResult] = []
    by_cat = dict.fromkeys(CATEGORIES, 0.0)
    for m in modes():
        quantity = lines.get(m.code)
        if not quantity:
            continue
        factor = factors[m.code]
        kg = quantity * float(factor.value or 0.0)
        out.append(LineResult(m.code, m.category, quantity, m.unit, factor, kg))
        by_cat[m.category] += kg / 1000.0
    return out, by_cat, sum(by_cat.values())


def neutrality(total_t: float, offsets_t: Sequence[float]) -> dict[str, Any]:
    """Offsets, net [tCO₂] and 碳中和: achieved when Σ offsets ≥ emissions (指南 第三条)
    and there is something to offset or an offset recorded."""
    offset = sum(offsets_t)
    return {"emissions_t": total_t, "offsets_t": offset, "net_t": total_t - offset,
            "neutral": offset >= total_t and (total_t > 0 or offset > 0)}
