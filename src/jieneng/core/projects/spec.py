"""A project as entered (one form, one row of an import), checked without the database.

:func:`project_spec` turns the texts and numbers of a form or a file row into a
:class:`ProjectSpec` or raises the first problem (``ValidationFailed`` under a stable
code, naming the field); what needs the database — the owner institutions exist and
are in scope, the code is new, the region holds the owners — is the services'.

Standard library only (a ``core`` module).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from jieneng.core.exceptions import ValidationFailed

from .types import IpmvpOption, ProjectType, Subtype, parse_ipmvp, parse_subtype, parse_type

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
#: the figures that cannot be negative, with the field name the refusal shows
FIGURES: tuple[str, ...] = ("area_m2", "pv_kwp", "heat_pumps", "heat_pump_kw",
                            "investment_yuan", "expected_tce", "expected_yuan")
YEARS = range(2000, 2101)


@dataclass(frozen=True)
class MeasureSpec:
    """A measure (节能措施): name, the carrier it saves (code), investment [元],
    expected saving [the carrier's canonical unit / year], tce/year, 元/year."""

    name: str
    carrier: str | None = None
    investment_yuan: float | None = None
    expected_saving: float | None = None
    expected_tce: float | None = None
    expected_yuan: float | None = None


@dataclass(frozen=True)
class ProjectSpec:
    """A project to register; ``owners`` are credit codes (one, or many for a packaged
    project), ``region_code`` the region it is counted in (default: the owners')."""

    code: str
    name: str
    type: ProjectType
    owners: tuple[str, ...]
    year: int
    subtype: Subtype | None = None
    region_code: str | None = None
    esco_name: str | None = None
    esco_credit_code: str | None = None
    funding_source: str | None = None
    ipmvp_option: IpmvpOption | None = None
    area_m2: float | None = None
    pv_kwp: float | None = None
    heat_pumps: int | None = None
    heat_pump_kw: float | None = None
    investment_yuan: float | None = None
    expected_tce: float | None = None
    expected_yuan: float | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    description: str | None = None
    measures: tuple[MeasureSpec, ...] = field(default_factory=tuple)

    def row(self) -> dict[str, object]:
        """The ``project`` columns of this spec (without owners and measures)."""
        return {"code": self.code, "name": self.name, "type": self.type.value,
                "subtype": self.subtype.value if self.subtype else None,
                "region_code": self.region_code, "esco_name": self.esco_name,
                "esco_credit_code": self.esco_credit_code,
                "funding_source": self.funding_source,
                "ipmvp_option": self.ipmvp_option.value if self.ipmvp_option else None,
                "area_m2": self.area_m2, "pv_kwp": self.pv_kwp, "heat_pumps": self.heat_pumps,
                "heat_pump_kw": self.heat_pump_kw, "investment_yuan": self.investment_yuan,
                "expected_tce": self.expected_tce, "expected_yuan": self.expected_yuan,
                "year": self.year, "planned_start": self.planned_start,
                "planned_end": self.planned_end, "description": self.description}


def _clean(text: str | None) -> str | None:
    value = (text or "").strip()
    return value or None


def project_spec(*, code: str, name: str, type_text: str, owners: list[str] | tuple[str, ...],
                 year: int | None = None, subtype_text: str | None = None,
                 ipmvp_text: str | None = None, **rest: object) -> ProjectSpec:
    """The checked spec. ``rest`` holds the other fields of :class:`ProjectSpec` as
    given (numbers, dates, texts); ``year`` defaults to the planned start's year."""
    code = code.strip()
    if not _CODE.match(code):
        raise ValidationFailed.of("project_code_invalid", field="code", value=code)
    if not name.strip():
        raise ValidationFailed.of("project_field_required", field="name")
    kind = parse_type(type_text)
    owner_codes = tuple(dict.fromkeys(o.strip().upper() for o in owners if o.strip()))
    if not owner_codes:
        raise ValidationFailed.of("project_field_required", field="owners")
    for fld in FIGURES:
        value = rest.get(fld)
        if value is not None and (not isinstance(value, int | float) or value < 0):
            raise ValidationFailed.of("project_figure_invalid", field=fld, value=value)
    start, end = rest.get("planned_start"), rest.get("planned_end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        raise ValidationFailed.of("project_dates_order", start=start.isoformat(),
                                  end=end.isoformat())
    year = year if year is not None else (start.year if isinstance(start, date) else None)
    if year is None or year not in YEARS:
        raise ValidationFailed.of("project_year_invalid", field="year", value=year)
    texts = {k: _clean(v) if isinstance(v, str) or v is None else v for k, v in rest.items()}
    spec = ProjectSpec(code=code, name=name.strip(), type=kind, owners=owner_codes, year=year,
                       subtype=parse_subtype(kind, subtype_text),
                       ipmvp_option=parse_ipmvp(ipmvp_text))
    heat_pumps = texts.pop("heat_pumps", None)
    if heat_pumps is not None:
        if float(str(heat_pumps)) != int(float(str(heat_pumps))):
            raise ValidationFailed.of("project_figure_invalid", field="heat_pumps",
                                      value=heat_pumps)
        texts["heat_pumps"] = int(float(str(heat_pumps)))
    return replace(spec, **texts)  # type: ignore[arg-type]
