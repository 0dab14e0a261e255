"""Data entry (数据填报): the monthly form of one institution, the checks run
before saving, saving, and the spreadsheet import of the web page.

The form lists every carrier of form NY201 (:data:`jieneng.core.carriers.CARRIERS`)
with its unit, what is stored for the month, and — beside it — the same carrier
in the previous month and in the same month last year, so that a 统计员 sees a
jump before saving. :func:`check_entry` returns structured findings with stable
codes (:data:`FINDING_CODES`), bilingual messages and the field they concern;
:func:`save_entry` refuses any error-level finding (nothing stored) and writes
the rest through :func:`jieneng.storage.consumption.write_consumption` in one
transaction — a changed figure becomes a new revision, exactly as in an import.
Simultaneous saves of the same institution-year are serialised (the later one
waits, then reads and revises the earlier one's figures).

Every function takes the caller's :class:`~jieneng.core.scope.Scope`; an
institution outside it is :class:`NotFound`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any, Literal

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.carriers import CARRIER_CODES, CARRIERS, carrier
from jieneng.core.exceptions import (
    ImportRejected,
    NotFound,
    NotPermitted,
    UnitMismatch,
    UnknownUnit,
    ValidationFailed,
)
from jieneng.core.indicator_registry import change as relative_change
from jieneng.core.regions import RegionTree
from jieneng.core.rounding import format_number
from jieneng.core.scope import Scope, ScopeKind
from jieneng.core.units import accepted_units, factor_to_canonical
from jieneng.ingest import parse_consumption, parse_institutions, parse_profiles
from jieneng.ingest.issues import ImportIssue, headline
from jieneng.ingest.numbers import not_a_number, parse_number
from jieneng.services import audit, quality, reporting
from jieneng.services.audit import Actor
from jieneng.services.imports import ImportKind, ImportReport, import_file
from jieneng.services.scope import Filters, scoped_filters, visible_institution
from jieneng.storage import consumption, institutions, regions
from jieneng.storage import directory as queries

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


@dataclass(frozen=True)
class _Parsed:
    """An entered figure after the checks, in the canonical unit."""

    carrier: str
    quantity: float
    cost_yuan: float | None
    entered_value: str
    entered_unit: str


def _hidden(what: str) -> NotFound:
    return NotFound(
        f"{what} 不存在或不在您的权限范围内", f"{what} does not exist or is out of scope"
    )


def _check_period(year: int, month: int) -> None:
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise ValidationFailed(f"填报期 {year} 年 {month} 月无效", f"invalid period {year}-{month}")


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def _institution(conn: Connection, scope: Scope, credit_code: str, *, write: bool) -> Any:
    if write and scope.kind is ScopeKind.PUBLIC:
        raise NotPermitted("公开访问不能填报数据", "public access cannot enter figures")
    return visible_institution(conn, scope, credit_code)


def _by_carrier(rows: list[dict[str, Any]], year: int, month: int) -> dict[str, dict[str, Any]]:
    return {r["carrier"]: r for r in rows if (r["year"], r["month"]) == (year, month)}


def _periods(conn: Connection, institution_id: int, year: int, month: int
             ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]],
                        dict[str, dict[str, Any]]]:
    """Current records of the month, the previous month and the month last year."""
    prev = _previous_month(year, month)
    rows = queries.current_records(conn, institution_id, [(year, month), prev, (year - 1, month)])
    return (_by_carrier(rows, year, month), _by_carrier(rows, *prev),
            _by_carrier(rows, year - 1, month))


def _brief(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"quantity": record["quantity"], "cost_yuan": record["cost_yuan"],
            "entered_value": record["entered_value"], "entered_unit": record["entered_unit"]}


def entry_form(
    engine: Engine, scope: Scope, credit_code: str, year: int, month: int
) -> dict[str, Any]:
    """The monthly form of an institution.

    Returns ``institution`` (``credit_code, name, region_code, status``), ``year,
    month``, ``previous_period`` and ``last_year_period`` (``{year, month}``),
    ``thresholds`` (``mom``, ``yoy``) and ``fields``: per carrier in form order
    ``carrier, name_zh, name_en, form_field, unit, unit_zh, accepted_units,
    vehicle, counts_in_energy``, what is stored for the month (``value`` and
    ``unit_entered`` as typed, ``quantity`` in the canonical unit, ``cost_yuan``,
    ``revision``, ``source``, ``recorded_at``; None when nothing is stored) and
    ``previous_month`` / ``same_month_last_year`` (``quantity, cost_yuan,
    entered_value, entered_unit`` or None).
    """
    _check_period(year, month)
    with engine.connect() as conn:
        row = _institution(conn, scope, credit_code, write=False)
        now, before, last_year = _periods(conn, row.id, year, month)
    fields = []
    for c in CARRIERS:
        stored = now.get(c.code)
        recorded = stored["recorded_at"] if stored else None
        fields.append({
            "carrier": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
            "form_field": c.form_field, "unit": c.canonical_unit, "unit_zh": c.unit_zh,
            "accepted_units": accepted_units(c), "vehicle": c.vehicle,
            "counts_in_energy": c.counts_in_energy,
            "value": stored["entered_value"] if stored else None,
            "unit_entered": stored["entered_unit"] if stored else None,
            "quantity": stored["quantity"] if stored else None,
            "cost_yuan": stored["cost_yuan"] if stored else None,
            "revision": stored["revision"] if stored else None,
            "source": stored["source"] if stored else None,
            "recorded_at": recorded.isoformat() if recorded is not None else None,
            "previous_month": _brief(before.get(c.code)),
            "same_month_last_year": _brief(last_year.get(c.code)),
        })
    prev = _previous_month(year, month)
    return {
        "institution": {"credit_code": row.credit_code, "name": row.name,
                        "region_code": row.region_code, "status": row.status},
        "year": year,
        "month": month,
        "previous_period": {"year": prev[0], "month": prev[1]},
        "last_year_period": {"year": year - 1, "month": month},
        "thresholds": {"mom": MOM_THRESHOLD, "yoy": YOY_THRESHOLD},
        "fields": fields,
    }


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


#: How a figure of a carrier is named in the messages: (zh suffix, en suffix).
_PART_NAMES: dict[str, tuple[str, str]] = {"value": ("", ""), "cost_yuan": ("费用", " cost")}


def _not_a_number(c: Any, part: str, text: str | None, bad: bool) -> list[EntryFinding]:
    """``entry.not_a_number`` for the quantity or the cost of a carrier, or nothing."""
    if not bad:
        return []
    zh, en = _PART_NAMES[part]
    return [EntryFinding("entry.not_a_number", f"{c.code}.{part}", c.code,
                         f"{c.name_zh}{zh}“{text}”不是数字",
                         f"{c.name_en}{en}: {text!r} is not a number", {"value": text})]


def _negative(c: Any, part: str, number: float | None) -> list[EntryFinding]:
    """``entry.negative`` for the quantity or the cost of a carrier, or nothing."""
    if number is None or number >= 0:
        return []
    zh, en = _PART_NAMES[part]
    return [EntryFinding("entry.negative", f"{c.code}.{part}", c.code,
                         f"{c.name_zh}{zh}不能为负数（{number}）",
                         f"{c.name_en}{en} cannot be negative ({number})", {"value": number})]


def _analyse(
    values: list[EntryValue],
    before: dict[str, dict[str, Any]],
    last_year: dict[str, dict[str, Any]],
    *,
    mom_threshold: float,
    yoy_threshold: float,
) -> tuple[list[EntryFinding], list[_Parsed]]:
    findings: list[EntryFinding] = []
    parsed: list[_Parsed] = []
    value_texts = [_text(v.value) for v in values]
    cost_texts = [_text(v.cost_yuan) for v in values]
    numbers, bad_numbers = _numbers(value_texts)
    costs, bad_costs = _numbers(cost_texts)
    seen: set[str] = set()
    for n, entry in enumerate(values):  # one line per carrier: at most 12
        code = entry.carrier
        if code not in CARRIER_CODES:
            findings.append(EntryFinding(
                "entry.unknown_carrier", code, code, f"未知能源品种“{code}”",
                f"unknown carrier {code!r}"))
            continue
        c = carrier(code)
        if code in seen:
            findings.append(EntryFinding(
                "entry.duplicate_carrier", code, code, f"{c.name_zh}填写了多次",
                f"{c.name_en} is given more than once"))
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
            findings.append(EntryFinding(
                "entry.cost_without_quantity", f"{code}.value", code,
                f"填写了{c.name_zh}费用，但未填写消费量",
                f"{c.name_en}: a cost without a quantity"))
        unit = (entry.unit or "").strip() or c.canonical_unit
        factor = 1.0
        try:
            factor = factor_to_canonical(c, unit)
        except UnknownUnit:
            ok = False
            findings.append(EntryFinding(
                "entry.unknown_unit", f"{code}.unit", code,
                f"无法识别{c.name_zh}的单位“{unit}”，可用：{'、'.join(accepted_units(c))}",
                f"unrecognised unit {unit!r} for {c.name_en}; accepted: "
                f"{', '.join(accepted_units(c))}", {"unit": unit}))
        except UnitMismatch:
            ok = False
            findings.append(EntryFinding(
                "entry.unit_mismatch", f"{code}.unit", code,
                f"单位“{unit}”不适用于{c.name_zh}（应为{c.unit_zh}或同类单位）",
                f"unit {unit!r} does not fit {c.name_en} (expected {c.canonical_unit} "
                "or a unit of the same kind)", {"unit": unit}))
        if not ok or number is None:
            continue
        quantity = number * factor
        parsed.append(_Parsed(code, quantity, cost, str(value_texts[n]), unit))
        for name, reference, threshold, zh, en in (
            ("entry.jump_mom", before.get(code), mom_threshold, "上月", "the previous month"),
            ("entry.jump_yoy", last_year.get(code), yoy_threshold, "去年同月",
             "the same month last year"),
        ):
            if reference is None or reference["quantity"] is None:
                continue
            old = float(reference["quantity"])
            change = relative_change(quantity, old)  # None against a base ≤ 0
            if change is not None and abs(change) > threshold:
                now_text, old_text = format_number(quantity), format_number(old)
                findings.append(EntryFinding(
                    name, f"{code}.value", code,
                    f"{c.name_zh} {now_text} {c.unit_zh}，较{zh}（{old_text}）变化 "
                    f"{change:+.1%}，超过 {threshold:.0%}，请核实",
                    f"{c.name_en} {now_text} {c.canonical_unit} changes {change:+.1%} "
                    f"from {en} ({old_text}), more than {threshold:.0%}: please check",
                    {"quantity": quantity, "reference": old, "change": change,
                     "threshold": threshold}))
    return findings, parsed


def check_entry(
    engine: Engine,
    scope: Scope,
    credit_code: str,
    year: int,
    month: int,
    values: list[EntryValue],
    *,
    mom_threshold: float = MOM_THRESHOLD,
    yoy_threshold: float = YOY_THRESHOLD,
) -> list[EntryFinding]:
    """The findings on a month's figures before saving (nothing is stored).

    Errors (not a number, negative, unknown or unfitting unit, unknown or repeated
    carrier, cost without quantity) block saving; warnings (``entry.jump_mom``:
    change vs the previous month over ``mom_threshold``; ``entry.jump_yoy``: vs the
    same month last year over ``yoy_threshold``, both as fractions) do not.
    """
    _check_period(year, month)
    with engine.connect() as conn:
        row = _institution(conn, scope, credit_code, write=False)
        _, before, last_year = _periods(conn, row.id, year, month)
    findings, _ = _analyse(values, before, last_year, mom_threshold=mom_threshold,
                           yoy_threshold=yoy_threshold)
    return findings


def save_entry(
    engine: Engine,
    scope: Scope,
    credit_code: str,
    year: int,
    month: int,
    values: list[EntryValue],
    *,
    user: str,
    actor: Actor | None = None,
    mom_threshold: float = MOM_THRESHOLD,
    yoy_threshold: float = YOY_THRESHOLD,
) -> dict[str, Any]:
    """Check and store a month's figures (``source="manual"``) in one transaction.

    The change is written to the audit log in the same transaction (``actor``,
    default the account name ``user``): the month's figures before → after.

    Any error-level finding raises :class:`ValidationFailed` whose ``details``
    hold ``fields`` (every finding as a dict) and nothing is stored. A changed
    figure becomes a new revision, an identical one changes nothing, a blank one
    is left as it is. Returns ``institution, year, month, user, inserted,
    revised, unchanged`` and ``warnings`` (the warning findings, as dicts).
    """
    _check_period(year, month)
    with engine.begin() as conn:
        row = _institution(conn, scope, credit_code, write=True)
        # another save of the institution-year waits here and then reads this one's figures
        consumption.lock_institution_years(conn, [(row.id, year)])
        current, before, last_year = _periods(conn, row.id, year, month)
        findings, parsed = _analyse(values, before, last_year, mom_threshold=mom_threshold,
                                    yoy_threshold=yoy_threshold)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise ValidationFailed(
                f"填报数据有 {len(errors)} 处错误，未保存",
                f"{len(errors)} error(s) in the figures; nothing was saved",
                fields=[f.to_dict() for f in findings],
            )
        frame = pl.DataFrame(
            {
                "institution_id": [row.id] * len(parsed),
                "year": [year] * len(parsed),
                "month": [month] * len(parsed),
                "carrier": [p.carrier for p in parsed],
                "quantity": [p.quantity for p in parsed],
                "cost_yuan": [p.cost_yuan for p in parsed],
                "entered_value": [p.entered_value for p in parsed],
                "entered_unit": [p.entered_unit for p in parsed],
            },
            schema={"institution_id": pl.Int64, "year": pl.Int32, "month": pl.Int32,
                    "carrier": pl.String, "quantity": pl.Float64, "cost_yuan": pl.Float64,
                    "entered_value": pl.String, "entered_unit": pl.String},
        )
        # figures of a submitted or approved report are locked (set-based check)
        reporting.check_unlocked(conn, pl.DataFrame(
            {"institution_id": [row.id], "year": [year], "month": [month]}))
        counts = consumption.write_consumption(conn, frame, source="manual", import_id=None)
        quality.check_institution(conn, row.id, year, month)  # findings before submitting
        if parsed:  # a save moves the report to 录入中 (not_started / returned)
            reporting.note_saved(conn, actor or Actor(None, user))
        changed = [p.carrier for p in parsed]
        audit.record(
            conn, actor or Actor(None, user), "consumption.entry",
            "consumption", f"{row.credit_code}/{year}-{month:02d}",
            before={c: _brief(current.get(c)) for c in changed},
            after={p.carrier: {"quantity": p.quantity, "cost_yuan": p.cost_yuan,
                               "entered_value": p.entered_value,
                               "entered_unit": p.entered_unit} for p in parsed},
        )
    return {
        "institution": row.credit_code,
        "year": year,
        "month": month,
        "user": user,
        "inserted": counts.inserted,
        "revised": counts.revised,
        "unchanged": counts.unchanged,
        "warnings": [f.to_dict() for f in findings],
    }


# ---------------------------------------------------------------- spreadsheet import


def _out_of_scope(issue: ImportIssue, what_zh: str, what_en: str) -> ImportIssue:
    return replace(
        issue, code="import.out_of_scope", severity="error",
        message_zh=f"{what_zh}“{issue.value}”不在您的权限范围内，不能导入",
        message_en=f"{what_en} {issue.value!r} is outside your scope and cannot be imported",
    )


def import_for_scope(
    engine: Engine,
    scope: Scope,
    kind: ImportKind | str,
    path: Path,
    dry_run: bool = False,
    *,
    max_bytes: int = 50 * 1024 * 1024,
    actor: Actor | None = None,
) -> ImportReport:
    """The spreadsheet import of the web page, limited to the caller's scope.

    A file any of whose rows touches an institution (or, for the directory, a
    region) outside the scope is refused with :class:`ImportRejected`, each such
    row an issue with code ``import.out_of_scope`` (row, column, value), together
    with the file's other errors; nothing is stored. Otherwise the file goes to
    :func:`jieneng.services.imports.import_file`. Region files need the whole
    country's scope; directory files a region scope or more.
    """
    kind = ImportKind(kind)
    if scope.kind is ScopeKind.PUBLIC:
        raise NotPermitted("公开访问不能导入数据", "public access cannot import files")
    if scope.kind is not ScopeKind.ALL:
        if kind is ImportKind.REGIONS:
            raise NotPermitted("只有系统管理员可以导入行政区划",
                               "only administrators can import regions")
        if kind is ImportKind.INSTITUTIONS and scope.kind is not ScopeKind.REGION:
            raise NotPermitted("只有管理机构可以导入单位名录",
                               "only a supervising office can import the directory")
        with engine.connect() as conn:
            filters = scoped_filters(conn, scope)
            issues = _scope_issues(conn, scope, filters, kind, path, max_bytes)
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            raise ImportRejected(*headline(path.name, errors), errors)
    return import_file(engine, kind, path, dry_run=dry_run, max_bytes=max_bytes, actor=actor)


def _scope_issues(
    conn: Connection, scope: Scope, filters: Filters, kind: ImportKind, path: Path,
    max_bytes: int,
) -> list[ImportIssue]:
    """Parse the file as the caller sees the directory; outside rows become errors."""
    lookup = institutions.institution_lookup(conn)
    visible = queries.visible_institution_ids(
        conn, region_codes=filters.region_codes, department_id=filters.department_id,
        institution_ids=filters.institution_ids)
    everyone = set(lookup["credit_code"].to_list())
    mine = lookup.filter(pl.col("institution_id").is_in(sorted(visible)))
    if kind is ImportKind.INSTITUTIONS:
        tree = RegionTree(regions.load_regions(conn))
        allowed = set(tree.subtree(scope.region_code)) if scope.region_code else set(tree.by_code)
        parsed = parse_institutions(path, known_regions=allowed, existing=lookup,
                                    max_bytes=max_bytes)
        out = [
            _out_of_scope(i, "行政区划代码", "region code")
            if i.code == "import.unknown_region" and i.value in tree else i
            for i in parsed.issues
        ]
        hidden = set(lookup["credit_code"].to_list()) - set(mine["credit_code"].to_list())
        for code in parsed.frame.filter(pl.col("credit_code").is_in(sorted(hidden)))[
                "credit_code"].to_list():
            out.append(ImportIssue(
                file=path.name, sheet=None, row=None, column="统一社会信用代码", value=code,
                code="import.out_of_scope", severity="error",
                message_zh=f"统一社会信用代码“{code}”的单位不在您的权限范围内，不能修改",
                message_en=f"the institution {code!r} is outside your scope and cannot be "
                           "changed"))
        return out
    parse = parse_profiles if kind is ImportKind.PROFILES else parse_consumption
    parsed = parse(path, institutions=mine, max_bytes=max_bytes)
    return [
        _out_of_scope(i, "统一社会信用代码", "credit code")
        if i.code == "import.unknown_institution" and i.value in everyone else i
        for i in parsed.issues
    ]
