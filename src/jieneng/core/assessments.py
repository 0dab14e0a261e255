"""Performance assessment (绩效考核) sheets (issue 14 §4): a 100-point sheet (or the
total it states) for the child regions of the assessing region or for the units of its
subtree, written in the scheme format of :mod:`jieneng.core.campaigns.scheme` — blocks,
items with points, rule kinds ``computed`` / ``band`` (from the platform's figures,
the ``assess_*`` measures of ``data/campaigns/measures.csv``) and ``checklist`` /
``inspection`` (hand scored with evidence), ★ veto items, pass rules and grades.

What a sheet adds to a scheme, as parameters: ``subject`` (``region`` | ``institution``,
required), ``veto_grade`` (the grade a subject with a failed ★ item gets; default the
lowest), ``coverage_scheme`` / ``coverage_rate`` (which campaign coverage the
``assess_campaign_coverage`` measure reads).

- :func:`check_sheet` — rows → a checked sheet or the refusal naming sheet, row, column.
- :func:`check_hand` — a hand score over the item's maximum (or below 0, or on an item
  the platform computes) is refused, naming sheet, subject (row) and item (column).
- :func:`score_sheet` — every subject at once (numpy, one pass per item), with the veto
  grade and :func:`rank_desc` (ties share a rank: 1, 1, 3).

Standard library and numpy only (a ``core`` module).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from jieneng.core.campaigns.scheme import RuleKind, Scheme
from jieneng.core.campaigns.scoring import Population, Scores, score
from jieneng.core.campaigns.validate import check_scheme
from jieneng.core.exceptions import ValidationFailed

SUBJECTS: tuple[str, ...] = ("region", "institution")
#: the measures the platform computes for an assessment, by where they come from
MEASURE_SOURCES: dict[str, str] = {
    "assess_targets_met_share": "targets",
    "assess_reporting_rate": "reporting",
    "assess_timely_rate": "reporting",
    "assess_approval_rate": "reporting",
    "assess_error_free_rate": "quality",
    "assess_findings_handled_rate": "quality",
    "assess_campaign_coverage": "campaigns",
    "assess_projects_registered": "projects",
    "assess_projects_in_operation": "projects",
    "assess_plan_completion": "plans",
}
#: measures only a region has (a unit has no campaign coverage or plan of its own)
REGION_ONLY: frozenset[str] = frozenset({"assess_campaign_coverage", "assess_plan_completion"})
_EPS = 1e-9


@dataclass(frozen=True)
class Sheet:
    """A checked sheet: the scheme and its subject."""

    scheme: Scheme
    subject: str

    @property
    def code(self) -> str:
        return self.scheme.code

    def measures(self) -> tuple[str, ...]:
        """The measures the sheet's computed and band items name, in order."""
        seen: dict[str, None] = {}
        for item in self.scheme.items:
            if item.rule in (RuleKind.COMPUTED, RuleKind.BAND):
                seen[item.measure] = None
        return tuple(seen)

    def hand_items(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.scheme.items
                     if i.rule in (RuleKind.CHECKLIST, RuleKind.INSPECTION))


def check_sheet(rows: Sequence[Mapping[str, str | None]], *, name: str = "",
                rows_at: Sequence[int] | None = None) -> Sheet:
    """The sheet of ``rows`` (the scheme checks, then the sheet's own: a subject, measures
    the platform computes for that subject, a veto grade that exists), or the refusal."""
    scheme = check_scheme(rows, name=name, rows_at=rows_at)
    subject = scheme.param("subject")
    if subject not in SUBJECTS:
        raise ValidationFailed.of("assessment_subject_invalid", sheet=name or scheme.code,
                                  value=subject or "—", allowed=", ".join(SUBJECTS))
    for item in scheme.items:
        if item.rule not in (RuleKind.COMPUTED, RuleKind.BAND):
            continue
        if item.measure not in MEASURE_SOURCES or (subject == "institution"
                                                   and item.measure in REGION_ONLY):
            raise ValidationFailed.of("assessment_measure_unavailable",
                                      sheet=name or scheme.code, row=item.row,
                                      column="measure", value=item.measure, subject=subject)
    veto = scheme.param("veto_grade")
    if veto and veto not in {g.code for g in scheme.grades}:
        raise ValidationFailed.of("assessment_veto_grade_missing", sheet=name or scheme.code,
                                  value=veto)
    return Sheet(scheme, subject)


def check_hand(sheet: Sheet, item_code: str, value: float, *, subject: str,
               sheet_name: str = "") -> None:
    """Refuse a hand score over the item's maximum, below 0, or on a computed item."""
    name = sheet_name or sheet.code
    try:
        item = sheet.scheme.node(item_code)
    except KeyError:
        raise ValidationFailed.of("assessment_item_unknown", sheet=name,
                                  item=item_code) from None
    if item.is_block or item.rule in (RuleKind.COMPUTED, RuleKind.BAND):
        raise ValidationFailed.of("assessment_item_computed", sheet=name, item=item_code,
                                  subject=subject)
    top = item.points if item.points > 0 else 1.0
    if not np.isfinite(value) or value < 0 or value > top + _EPS:
        raise ValidationFailed.of("assessment_hand_over_maximum", sheet=name, subject=subject,
                                  item=f"{item.code} {item.name_zh}", points=f"{top:g}",
                                  value=f"{value:g}")


@dataclass(frozen=True)
class Outcome:
    """Every subject's scores, grade code (after the veto) and rank."""

    scores: Scores
    grade: np.ndarray  # grade code per subject ("" = none)
    rank: np.ndarray  # 1-based, ties share
    vetoed: np.ndarray  # a ★ item failed (a ★ hand item not scored yet does not veto)


def score_sheet(sheet: Sheet, *, size: int, figures: Mapping[str, np.ndarray],
                manual: Mapping[str, np.ndarray],
                categories: np.ndarray | None = None) -> Outcome:
    """Score ``size`` subjects: ``figures`` per measure (NaN = none), ``manual`` per hand
    item (NaN = not scored yet)."""
    got = score(sheet.scheme, Population(size=size, figures=figures, manual=manual,
                                         categories=categories))
    vetoed = _vetoed(sheet, got)
    grades = got.grade_code()
    if sheet.scheme.grades:
        lowest = min(sheet.scheme.grades, key=lambda g: g.lower).code
        veto = sheet.scheme.param("veto_grade") or lowest
        grades = np.where(vetoed, veto, grades)
    return Outcome(got, grades, rank_desc(got.total), vetoed)


def _vetoed(sheet: Sheet, got: Scores) -> np.ndarray:
    """A ★ item scored 0 (a 0-point ★ item not met); not yet scored is not a failure
    (the platform's convention: a run in progress is not vetoed by what is still to do)."""
    out = np.zeros(got.total.shape[0], dtype=bool)
    for j, item in enumerate(sheet.scheme.items):
        if item.veto:
            failed = got.items[:, j] <= _EPS if item.points > 0 else ~got.met[:, j]
            out |= failed & ~got.missing[:, j]
    return out


def rank_desc(total: np.ndarray) -> np.ndarray:
    """Competition ranks, highest total first; equal totals share a rank (1, 1, 3)."""
    if total.size == 0:
        return np.zeros(0, dtype=np.int64)
    rounded = np.round(total, 6)
    ordered = np.sort(rounded)[::-1]
    return (np.searchsorted(-ordered, -rounded, side="left") + 1).astype(np.int64)


#: the sheets shipped with the platform, ``jieneng/data/assessments/<code>.csv``
SHIPPED_SHEETS: tuple[str, ...] = ("county_energy", "unit_energy")


def shipped_sheet_text(code: str) -> str:
    """The CSV text of the shipped sheet ``code``."""
    from importlib import resources

    from jieneng.core.exceptions import NotFound

    if code not in SHIPPED_SHEETS:
        raise NotFound.of("assessment_sheet_not_found", code=code)
    path = resources.files("jieneng") / "data" / "assessments" / f"{code}.csv"
    return path.read_text(encoding="utf-8")


def sheet_of_text(text: str, *, name: str = "") -> Sheet:
    """The checked sheet of a canonical CSV text (a stored version or a shipped file)."""
    import csv
    import io

    return check_sheet(list(csv.DictReader(io.StringIO(text, newline=""))), name=name)
