"""Canonical rows → a checked :class:`~jieneng.core.campaigns.scheme.Scheme`, or every
problem found (issue 14 §2, "Bad input").

:func:`build_scheme` reads rows of text cells under the canonical columns
(:data:`~jieneng.core.campaigns.scheme.COLUMNS`) and returns the scheme or the list of
:class:`Problem` (row, column, stable code ``campaign_…``, details): points that do not
add up to a block's or the stated total, a pass rule naming a missing item, duplicated
codes, a parent that is not a block above, bands not contiguous or not monotone, an
unknown rule, basis, status or measure. Nothing is half-built: a scheme comes back only
when there is no problem. The texts of each code are the catalogue's
``error.campaign_…`` (:func:`problem_error` makes the refusal of one).

Standard library only (a ``core`` module).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.messages import error_texts

from .measures import flags, measures
from .scheme import (
    OPERATORS,
    Band,
    Basis,
    Grade,
    Item,
    PassKind,
    PassRule,
    RowKind,
    RuleKind,
    Scheme,
    Status,
)

#: points are compared to this many decimals
_EPS = 1e-6


@dataclass(frozen=True)
class Problem:
    """One problem of a scheme table: ``row`` as numbered by the caller (the sheet's
    row), ``column`` a canonical column, ``code`` the catalogue's ``campaign_…``."""

    row: int | None
    column: str | None
    code: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def error(self) -> ValidationFailed:
        return problem_error(self)


def problem_error(problem: Problem) -> ValidationFailed:
    """The refusal of ``problem``: its code's catalogue texts formatted with its details
    (the codes are the literals of :class:`_Builder`'s checks)."""
    details = {"row": problem.row, "column": problem.column, **problem.details}
    zh, en = error_texts(problem.code, details)
    err = ValidationFailed(zh, en, **details)
    err.code = problem.code
    return err


class SchemeInvalid(ValidationFailed):
    """A scheme table with problems; ``problems`` lists every one."""

    problems: list[Problem]


def check_scheme(rows: Sequence[Mapping[str, str | None]], *, name: str = "",
                 rows_at: Sequence[int] | None = None) -> Scheme:
    """:func:`build_scheme` or :class:`SchemeInvalid` naming the first problem (of
    ``name``, a file or scheme) and how many there are."""
    scheme, problems = build_scheme(rows, rows_at=rows_at)
    if scheme is not None:
        return scheme
    first = problems[0]
    err = first.error()
    refusal = SchemeInvalid.of("campaign_scheme_invalid", name=name, row=first.row,
                               column=first.column or "", count=len(problems),
                               values={"problem_zh": err.message_zh,
                                       "problem_en": err.message_en})
    refusal.problems = problems
    raise refusal


def build_scheme(rows: Sequence[Mapping[str, str | None]], *,
                 rows_at: Sequence[int] | None = None) -> tuple[Scheme | None, list[Problem]]:
    """The scheme of ``rows`` (row ``i`` numbered ``rows_at[i]``, default i + 2: a header
    line, then the rows), or None and every problem."""
    at = list(rows_at) if rows_at is not None else [i + 2 for i in range(len(rows))]
    b = _Builder()
    for n, raw in zip(at, rows, strict=True):
        cells = {k: (v or "").strip() for k, v in raw.items()}
        if any(cells.values()):
            b.row(n, cells)
    b.finish()
    if b.problems:
        return None, b.problems
    assert b.head is not None
    head = b.head
    return Scheme(code=head["code"], name_zh=head["name_zh"],
                  name_en=head.get("name_en", ""), total=b.total,
                  source=head.get("source", ""), status=Status(head["status"]),
                  note=head.get("note", ""), params=b.params, nodes=tuple(b.final_nodes()),
                  pass_rules=tuple(b.passes), grades=tuple(b.grades)), []


class _Builder:
    """Collects rows and problems (one pass, then the cross checks)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.head: dict[str, str] | None = None
        self.total = 0.0
        self.params: dict[str, str] = {}
        self.nodes: dict[str, Item] = {}
        self.first: dict[str, int] = {}
        self.bands: dict[str, list[Band]] = {}
        self.passes: list[PassRule] = []
        self.grades: list[Grade] = []

    def bad(self, row: int | None, column: str | None, code: str, **details: Any) -> None:
        shown = {k: f"{v:g}" if isinstance(v, float) else v for k, v in details.items()}
        self.problems.append(Problem(row, column, code, shown))

    def number(self, n: int, cells: Mapping[str, str], column: str, *,
               required: bool = True) -> float | None:
        text = cells.get(column, "").replace(",", "").replace("，", "")
        if not text:
            if required:
                self.bad(n, column, "campaign_missing_value")
            return None
        try:
            value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.bad(n, column, "campaign_not_a_number", value=text)
            return None
        return value

    def enum(self, n: int, cells: Mapping[str, str], column: str, kind: type[Any],
             code: str, default: str | None = None) -> Any:
        text = cells.get(column, "") or (default or "")
        try:
            return kind(text.lower())
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            self.bad(n, column, code, value=text, allowed=allowed)
            return None

    def row(self, n: int, cells: dict[str, str]) -> None:
        kind = self.enum(n, cells, "kind", RowKind, "campaign_kind_unknown")
        if kind is None:
            return
        if kind is not RowKind.SCHEME and kind is not RowKind.BAND and not cells.get("code"):
            self.bad(n, "code", "campaign_missing_value")
            return
        {RowKind.SCHEME: self.scheme, RowKind.PARAM: self.param, RowKind.BLOCK: self.node,
         RowKind.ITEM: self.node, RowKind.BAND: self.band, RowKind.PASS: self.pass_rule,
         RowKind.GRADE: self.grade}[kind](n, cells)

    def scheme(self, n: int, cells: dict[str, str]) -> None:
        if self.head is not None:
            self.bad(n, "kind", "campaign_scheme_twice", first_row=self.head["row"])
            return
        for column in ("code", "name_zh"):
            if not cells.get(column):
                self.bad(n, column, "campaign_missing_value")
        total = self.number(n, cells, "points")
        status = self.enum(n, cells, "status", Status, "campaign_status_unknown", "found")
        self.total = total or 0.0
        self.head = {**cells, "row": str(n), "status": status.value if status else "found"}

    def param(self, n: int, cells: dict[str, str]) -> None:
        self.params[cells["code"]] = cells.get("value", "")

    def node(self, n: int, cells: dict[str, str]) -> None:
        code, parent = cells["code"], cells.get("parent", "")
        if code in self.first:
            self.bad(n, "code", "campaign_duplicate_code", item=code, first_row=self.first[code])
            return
        self.first[code] = n
        if parent and (parent not in self.nodes or not self.nodes[parent].is_block):
            self.bad(n, "parent", "campaign_parent_missing", item=code, parent=parent)
        points = self.number(n, cells, "points")
        if points is not None and points < 0:
            self.bad(n, "points", "campaign_negative_points", value=cells["points"])
        status = self.enum(n, cells, "status", Status, "campaign_status_unknown", "found")
        is_block = cells["kind"].lower() == RowKind.BLOCK
        rule = None if is_block else self.enum(n, cells, "rule", RuleKind,
                                               "campaign_rule_unknown")
        basis = self.enum(n, cells, "basis", Basis, "campaign_basis_unknown", "value")
        if rule is not None:
            self.rule(n, cells, rule)
        self.nodes[code] = Item(
            code=code, parent=parent, name_zh=cells.get("name_zh", ""),
            name_en=cells.get("name_en", ""), points=points or 0.0, row=n, is_block=is_block,
            rule=rule, measure=cells.get("measure", ""), basis=basis or Basis.VALUE,
            compare=cells.get("compare", "").replace(" ", ""),
            veto=cells.get("veto", "").lower() in ("★", "*", "yes", "y", "是", "true", "1"),
            full_if=cells.get("full_if", ""), applies=cells.get("applies", ""),
            evidence=cells.get("evidence", ""), source=cells.get("source", ""),
            status=status or Status.FOUND, note=cells.get("note", ""))

    def rule(self, n: int, cells: dict[str, str], rule: RuleKind) -> None:
        measure = cells.get("measure", "")
        if rule in (RuleKind.COMPUTED, RuleKind.BAND):
            if not measure:
                self.bad(n, "measure", "campaign_measure_required", rule=rule.value)
            elif measure not in measures():
                self.bad(n, "measure", "campaign_measure_unknown", value=measure)
        compare = cells.get("compare", "").replace(" ", "")
        if rule is RuleKind.COMPUTED and _comparison(compare) is None:
            self.bad(n, "compare", "campaign_compare_invalid", value=compare)
        if rule is RuleKind.BAND and compare not in ("", "upper", "lower"):
            self.bad(n, "compare", "campaign_band_side_invalid", value=compare)
        full_if = cells.get("full_if", "")
        if full_if and full_if not in flags():
            self.bad(n, "full_if", "campaign_flag_unknown", value=full_if)

    def band(self, n: int, cells: dict[str, str]) -> None:
        parent = cells.get("parent", "")
        item = self.nodes.get(parent)
        if item is None or item.rule is not RuleKind.BAND:
            self.bad(n, "parent", "campaign_band_without_item", parent=parent)
            return
        lower = self.number(n, cells, "lower", required=False)
        upper = self.number(n, cells, "upper", required=False)
        points = self.number(n, cells, "points")
        if points is not None:
            self.bands.setdefault(parent, []).append(Band(lower, upper, points, n))

    def pass_rule(self, n: int, cells: dict[str, str]) -> None:
        kind = self.enum(n, cells, "code", PassKind, "campaign_pass_kind_unknown")
        value = self.number(n, cells, "value", required=kind is PassKind.MIN_SCORE)
        status = self.enum(n, cells, "status", Status, "campaign_status_unknown", "found")
        if kind is not None:
            self.passes.append(PassRule(kind, cells.get("parent", ""), value, n,
                                        cells.get("source", ""), status or Status.FOUND))

    def grade(self, n: int, cells: dict[str, str]) -> None:
        lower = self.number(n, cells, "lower")
        if cells["code"] in {g.code for g in self.grades}:
            self.bad(n, "code", "campaign_duplicate_code", item=cells["code"],
                     first_row=next(g.row for g in self.grades if g.code == cells["code"]))
        elif lower is not None:
            self.grades.append(Grade(cells["code"], cells.get("name_zh", ""),
                                     cells.get("name_en", ""), lower, n))

    # ---------------------------------------------------------- cross checks

    def finish(self) -> None:
        if self.head is None:
            self.bad(None, "kind", "campaign_scheme_missing")
            return
        for code, item in self.nodes.items():
            if item.rule is RuleKind.BAND:
                self.check_bands(item, self.bands.get(code, []))
        self.check_sums()
        for rule in self.passes:
            if rule.target and rule.target not in self.nodes:
                self.bad(rule.row, "parent", "campaign_pass_target_missing",
                         kind=rule.kind.value, target=rule.target)
            elif rule.kind is PassKind.VETO and rule.target and not any(
                    i.veto for i in _under(self.nodes, rule.target)):
                self.bad(rule.row, "parent", "campaign_veto_without_items", target=rule.target)
        for g in self.grades:
            if not 0 <= g.lower <= self.total + _EPS:
                self.bad(g.row, "lower", "campaign_grade_out_of_range", item=g.code,
                         lower=g.lower, total=self.total)

    def check_bands(self, item: Item, bands: list[Band]) -> None:
        if not bands:
            self.bad(item.row, "rule", "campaign_bands_missing", item=item.code)
            return
        ordered = sorted(bands, key=lambda b: -math.inf if b.lower is None else b.lower)
        gap = next((b for a, b in itertools.pairwise(ordered) if not _joined(a, b)), None)
        if ordered[0].lower is not None:
            gap = ordered[0]
        elif ordered[-1].upper is not None:
            gap = ordered[-1]
        if gap is not None:
            self.bad(gap.row, "lower", "campaign_bands_not_contiguous", item=item.code)
            return
        scores = [b.points for b in ordered]
        steps = [b - a for a, b in itertools.pairwise(scores)]
        if not (all(s <= _EPS for s in steps) or all(s >= -_EPS for s in steps)):
            self.bad(ordered[0].row, "points", "campaign_bands_not_monotone", item=item.code,
                     scores="/".join(f"{s:g}" for s in scores))
        if abs(max(scores) - item.points) > _EPS or min(scores) < 0:
            self.bad(item.row, "points", "campaign_band_points_mismatch", item=item.code,
                     points=item.points, best=max(scores))

    def check_sums(self) -> None:
        children: dict[str, float] = {}
        for n in self.nodes.values():
            children[n.parent] = children.get(n.parent, 0.0) + n.points
        for n in self.nodes.values():
            if n.is_block and abs(children.get(n.code, 0.0) - n.points) > _EPS:
                self.bad(n.row, "points", "campaign_points_mismatch", item=n.code,
                         points=n.points, sum=children.get(n.code, 0.0))
        top = children.get("", 0.0)
        if self.head is not None and abs(top - self.total) > _EPS:
            self.bad(int(self.head["row"]), "points", "campaign_total_mismatch",
                     total=self.total, sum=top)

    def final_nodes(self) -> list[Item]:
        out = []
        for item in self.nodes.values():
            if item.rule is RuleKind.BAND:
                ordered = sorted(self.bands[item.code],
                                 key=lambda b: -math.inf if b.lower is None else b.lower)
                item = replace(item, bands=tuple(ordered))
            out.append(item)
        return out


def _joined(a: Band, b: Band) -> bool:
    """Band ``b`` starts where ``a`` ends and is not empty."""
    return (a.upper is not None and b.lower is not None and abs(a.upper - b.lower) < _EPS
            and b.lower < (math.inf if b.upper is None else b.upper))


def _under(nodes: Mapping[str, Item], code: str) -> list[Item]:
    """The node ``code`` and every node below it."""
    out, todo = [], [code]
    while todo:
        current = todo.pop()
        out.append(nodes[current])
        todo += [n.code for n in nodes.values() if n.parent == current]
    return out


def _comparison(text: str) -> tuple[str, float] | None:
    """``("<=", 1.3)`` of ``<=1.3``; None when it is not one."""
    for op in OPERATORS:
        if text.startswith(op):
            try:
                value = float(text[len(op):].rstrip("%")) / (100 if text.endswith("%") else 1)
            except ValueError:
                return None
            return (op, value) if math.isfinite(value) else None
    return None


def comparison(text: str) -> tuple[str, float]:
    """The operator and threshold of a checked ``computed`` item's ``compare``."""
    found = _comparison(text)
    if found is None:
        raise ValidationFailed.of("campaign_compare_invalid", value=text, row=None, column=None)
    return found
