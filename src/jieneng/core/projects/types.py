"""Project types, contract subtypes and IPMVP options (issue 13 §1, §3).

The codes are stable (stored in ``project.type`` / ``subtype`` / ``ipmvp_option``);
the labels and their sources are data, ``jieneng/data/projects/project_types.csv``.

- types: 节能改造 ``retrofit``, 合同能源管理 ``epc``, 合同节水 ``water_contract``,
  分布式光伏 ``pv``, 热泵 ``heat_pump``, 煤改电/气改电 ``electrification``,
  充电设施 ``charging``, 数据中心改造 ``datacentre``;
- subtypes of ``epc`` (GB/T 24915-2020 reference contracts A/B/C) and of
  ``water_contract`` (GB/T 34149-2017 modes): ``shared_savings`` (节能效益分享型 /
  效益分享型), ``guaranteed_savings`` (节能量保证型 / 效果保证型), ``trusteeship``
  (能源费用托管型 / 费用托管型). A contract type needs one; the others take none;
- IPMVP options ``A``–``D`` (IPMVP Core Concepts 2016).

Standard library only (a ``core`` module).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from jieneng.core.exceptions import ValidationFailed


class ProjectType(StrEnum):
    RETROFIT = "retrofit"
    EPC = "epc"
    WATER_CONTRACT = "water_contract"
    PV = "pv"
    HEAT_PUMP = "heat_pump"
    ELECTRIFICATION = "electrification"
    CHARGING = "charging"
    DATACENTRE = "datacentre"


class Subtype(StrEnum):
    SHARED_SAVINGS = "shared_savings"
    GUARANTEED_SAVINGS = "guaranteed_savings"
    TRUSTEESHIP = "trusteeship"


class IpmvpOption(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


#: the types that are contracts with a service company and need a subtype
CONTRACT_TYPES: frozenset[ProjectType] = frozenset({ProjectType.EPC,
                                                    ProjectType.WATER_CONTRACT})

PROJECT_TYPES: tuple[str, ...] = tuple(t.value for t in ProjectType)
SUBTYPES: tuple[str, ...] = tuple(s.value for s in Subtype)
IPMVP_OPTIONS: tuple[str, ...] = tuple(o.value for o in IpmvpOption)


@dataclass(frozen=True)
class Label:
    """One row of ``project_types.csv``."""

    code: str
    kind: str  # type | subtype | ipmvp
    name_zh: str
    name_en: str
    parent: str
    source: str


@cache
def labels() -> tuple[Label, ...]:
    """Every label row of ``data/projects/project_types.csv``."""
    path = resources.files("jieneng") / "data" / "projects" / "project_types.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return tuple(Label(r["code"], r["kind"], r["name_zh"], r["name_en"], r["parent"],
                       r["source"]) for r in rows)


def label(kind: str, code: str, parent: str = "") -> Label:
    """The label of a type, a subtype (of ``parent``) or an IPMVP option."""
    for row in labels():
        if row.kind == kind and row.code == code and (kind != "subtype"
                                                      or row.parent == parent):
            return row
    raise ValidationFailed.of("project_type_unknown", value=code)


def _match(text: str, kind: str, parent: str = "") -> str | None:
    wanted = text.strip()
    for row in labels():
        if row.kind != kind or (kind == "subtype" and row.parent != parent):
            continue
        if wanted.lower() in (row.code.lower(), row.name_en.lower()) or wanted == row.name_zh:
            return row.code
    return None


def parse_type(text: str) -> ProjectType:
    """A type from its code or either name (``合同能源管理``, ``epc``, ``PV`` …); the
    two names of 煤改电/气改电 each count."""
    if text.strip() in ("煤改电", "气改电"):
        return ProjectType.ELECTRIFICATION
    code = _match(text, "type")
    if code is None:
        raise ValidationFailed.of("project_type_unknown", value=text)
    return ProjectType(code)


def parse_subtype(project_type: ProjectType, text: str | None) -> Subtype | None:
    """The subtype of a contract type (required) — None for the other types (a subtype
    given to them is refused)."""
    given = (text or "").strip()
    if project_type not in CONTRACT_TYPES:
        if given:
            raise ValidationFailed.of("project_subtype_not_allowed", value=given,
                                      type=project_type.value, values=_names(project_type))
        return None
    if not given:
        raise ValidationFailed.of("project_subtype_required", type=project_type.value,
                                  values=_names(project_type))
    code = _match(given, "subtype", project_type.value) or _short(given, project_type.value)
    if code is None:
        raise ValidationFailed.of("project_subtype_unknown", value=given,
                                  type=project_type.value, values=_names(project_type))
    return Subtype(code)


def _names(project_type: ProjectType) -> dict[str, str]:
    found = label("type", project_type.value)
    return {"type_zh": found.name_zh, "type_en": found.name_en}


def _short(text: str, parent: str) -> str | None:
    """A subtype by the end of its name (``托管型``, ``保证型``, ``分享型``) when one fits."""
    fits = {r.code for r in labels() if r.kind == "subtype" and r.parent == parent
            and len(text) >= 2 and r.name_zh.endswith(text)}
    return fits.pop() if len(fits) == 1 else None


def parse_ipmvp(text: str | None) -> IpmvpOption | None:
    """An IPMVP option ``A``–``D`` (also ``选项C``, ``Option C``); None when empty."""
    given = (text or "").strip().upper().removeprefix("OPTION").removeprefix("选项").strip()
    if not given:
        return None
    try:
        return IpmvpOption(given)
    except ValueError:
        raise ValidationFailed.of("project_ipmvp_unknown", value=text) from None
