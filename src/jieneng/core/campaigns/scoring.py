"""Scoring many institutions at once against a scheme (issue 14 §2; speed: a province's
round of 50,000 institutions in well under 10 s — numpy arrays per item, no loop over
institutions).

- :func:`peer_average` — each institution's peer-group average of a figure as a
  **ratio of sums** (Σ numerator / Σ denominator over the group's institutions with a
  denominator > 0 and a numerator), never an average of ratios (docs/architecture.md
  "Numbers"); the 示范单位 groups are province × institution type and the sums are over
  :func:`window_before` — the 12 months before the evaluation (projects-campaigns.md §3).
- :func:`score` — every item's score, whether it is met, block and total scores, the
  pass rules (minimum score, ★ veto, a block that must be met) and the grade.
- :func:`check_manual` — a self-assessment or review score over an item's maximum (or
  on a computed item) is refused.
- :func:`rank_within` — the rank of each eligible institution inside its group
  (领跑者 candidate lists: eligibility, then ranking within type × province).

Conventions (the platform's, stated in docs/campaigns.md): a figure that is missing
scores 0 and is marked ``missing``; an item that does not apply to an institution's
category (``applies``) scores its full points; a 0-point item is a condition — met when
its comparison holds (computed) or when its checklist score is > 0.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from jieneng.core.exceptions import ValidationFailed

from .scheme import Basis, Item, PassKind, RuleKind, Scheme
from .validate import comparison

_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
    "==": operator.eq}
_EPS = 1e-9


@dataclass(frozen=True)
class Population:
    """The institutions to score, one position per institution in every array.

    ``figures``: measure code → float64 (NaN = missing); ``peers``: measure code → each
    institution's peer-group average (for ``basis = peer`` items); ``flags``: flag code →
    bool; ``categories``: institution type codes (for ``applies``); ``manual``: item code
    → the checklist/inspection score given (NaN = none).
    """

    size: int
    figures: Mapping[str, np.ndarray] = field(default_factory=dict)
    peers: Mapping[str, np.ndarray] = field(default_factory=dict)
    flags: Mapping[str, np.ndarray] = field(default_factory=dict)
    categories: np.ndarray | None = None
    manual: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Scores:
    """The outcome for every institution: ``items`` (n × items, in ``codes`` order),
    ``met`` and ``missing`` likewise, ``blocks`` (block code → n), ``total``,
    ``passed``, ``vetoed`` (a ★ item failed) and ``grade`` (index into the scheme's
    grades sorted by their lower bound, −1 = none)."""

    codes: tuple[str, ...]
    items: np.ndarray
    met: np.ndarray
    missing: np.ndarray
    blocks: dict[str, np.ndarray]
    total: np.ndarray
    passed: np.ndarray
    vetoed: np.ndarray
    grade: np.ndarray
    grade_codes: tuple[str, ...]

    def grade_code(self) -> np.ndarray:
        """The grade code of every institution ("" = none)."""
        names = np.array((*self.grade_codes, ""), dtype=object)
        return names[np.where(self.grade >= 0, self.grade, len(self.grade_codes))]


def window_before(year: int, month: int, months: int = 12) -> tuple[tuple[int, int],
                                                                     tuple[int, int]]:
    """The first and last (year, month) of the ``months`` months before the evaluation
    month (year, month): 2025-03 → (2024-03, 2025-02)."""
    last = year * 12 + (month - 1) - 1
    first = last - months + 1
    return (first // 12, first % 12 + 1), (last // 12, last % 12 + 1)


def peer_average(numerator: np.ndarray, denominator: np.ndarray,
                 groups: np.ndarray) -> np.ndarray:
    """Each institution's group average Σ numerator / Σ denominator over the group's
    institutions with a finite numerator and a denominator > 0 (NaN for a group without
    any). ``groups``: integer group ids ≥ 0 (e.g. from ``np.unique(…, return_inverse)``
    of province × type)."""
    ok = np.isfinite(numerator) & np.isfinite(denominator) & (denominator > 0)
    size = int(groups.max()) + 1 if groups.size else 0
    num = np.bincount(groups, weights=np.where(ok, numerator, 0.0), minlength=size)
    den = np.bincount(groups, weights=np.where(ok, denominator, 0.0), minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return np.asarray(avg[groups], dtype=np.float64)


def group_ids(*keys: np.ndarray) -> np.ndarray:
    """Integer group ids of the combination of ``keys`` (province, type …)."""
    stacked = np.rec.fromarrays([np.asarray(k).astype(str) for k in keys])
    return np.unique(stacked, return_inverse=True)[1].astype(np.int64).ravel()


def check_manual(scheme: Scheme, manual: Mapping[str, np.ndarray]) -> None:
    """Refuse a given score over the item's maximum, below 0, or on an item the
    platform computes (``campaign_score_over_maximum`` …, naming the item and how many
    institutions)."""
    known = {i.code: i for i in scheme.items}
    for code, given in manual.items():
        item = known.get(code)
        if item is None:
            raise ValidationFailed.of("campaign_score_unknown_item", item=code,
                                      scheme=scheme.code)
        if item.rule in (RuleKind.COMPUTED, RuleKind.BAND):
            raise ValidationFailed.of("campaign_score_computed_item", item=code)
        top = max(item.points, 1.0) if item.points == 0 else item.points
        over = np.isfinite(given) & ((given > top + _EPS) | (given < 0))
        if over.any():
            raise ValidationFailed.of("campaign_score_over_maximum", item=code,
                                      name=item.name_zh, points=top, count=int(over.sum()),
                                      value=float(np.nanmax(np.abs(given[over]))))


def score(scheme: Scheme, pop: Population) -> Scores:
    """Score every institution of ``pop`` against ``scheme`` (checks manual scores
    first, :func:`check_manual`)."""
    check_manual(scheme, pop.manual)
    items = scheme.items
    n = pop.size
    points = np.zeros((n, len(items)))
    met = np.zeros((n, len(items)), dtype=bool)
    missing = np.zeros((n, len(items)), dtype=bool)
    for j, item in enumerate(items):  # a loop over the scheme's items, not institutions
        points[:, j], met[:, j], missing[:, j] = _item(item, pop)
    column = {item.code: j for j, item in enumerate(items)}
    blocks = {b.code: points[:, [column[i.code] for i in scheme.leaves_under(b.code)]]
              .sum(axis=1) for b in scheme.nodes if b.is_block}
    total = points.sum(axis=1)
    passed, vetoed = _passes(scheme, column, points, met, blocks, total)
    grades = sorted(scheme.grades, key=lambda g: g.lower)
    lowers = np.array([g.lower for g in grades])
    grade = (np.searchsorted(lowers, total + _EPS, side="right") - 1 if grades
             else np.full(n, -1))
    return Scores(tuple(column), points, met, missing, blocks, total, passed, vetoed,
                  grade.astype(np.int64), tuple(g.code for g in grades))


def _item(item: Item, pop: Population) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = pop.size
    if item.rule in (RuleKind.COMPUTED, RuleKind.BAND):
        x = _figure(item, pop)
        missing = ~np.isfinite(x)
        if item.rule is RuleKind.COMPUTED:
            op, threshold = comparison(item.compare)
            with np.errstate(invalid="ignore"):
                met = _OPS[op](x, threshold) & ~missing
            got = np.where(met, item.points, 0.0)
        else:
            got = np.where(missing, 0.0, _banded(item, x))
            met = ~missing & (got >= item.points - _EPS)
    else:
        given = pop.manual.get(item.code, np.full(n, np.nan))
        missing = ~np.isfinite(given)
        got = np.where(missing, 0.0, given)
        met = ~missing & ((got >= item.points - _EPS) if item.points > 0 else (got > 0))
        if item.points == 0:
            got = np.zeros(n)
    if item.full_if:
        full = np.asarray(pop.flags.get(item.full_if, np.zeros(n, dtype=bool)), dtype=bool)
        got, met, missing = np.where(full, item.points, got), met | full, missing & ~full
    if item.applies and pop.categories is not None:
        outside = ~_applies(item.applies, pop.categories)
        got, met, missing = (np.where(outside, item.points, got), met | outside,
                             missing & ~outside)
    return got, met, missing


def _figure(item: Item, pop: Population) -> np.ndarray:
    x = np.asarray(pop.figures.get(item.measure, np.full(pop.size, np.nan)), dtype=np.float64)
    if item.basis is Basis.PEER:
        peer = np.asarray(pop.peers.get(item.measure, np.full(pop.size, np.nan)),
                          dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(peer > 0, x / np.where(peer > 0, peer, 1.0), np.nan)
    return x


def _banded(item: Item, x: np.ndarray) -> np.ndarray:
    """The band score of every figure: (lower, upper] by default, [lower, upper) when the
    item says ``compare = lower``."""
    scores = np.array([b.points for b in item.bands])
    safe = np.where(np.isfinite(x), x, 0.0)
    if item.lower_closed:
        lowers = np.array([b.lower for b in item.bands[1:]], dtype=np.float64)
        idx = np.searchsorted(lowers, safe, side="right")
    else:
        uppers = np.array([b.upper for b in item.bands[:-1]], dtype=np.float64)
        idx = np.searchsorted(uppers, safe, side="left")
    return np.asarray(scores[idx], dtype=np.float64)


def _applies(rule: str, categories: np.ndarray) -> np.ndarray:
    """Whether an item applies: ``01`` (types starting with 01), ``!01`` (all others);
    several separated by ``;``."""
    cats = np.asarray(categories).astype(str)
    keep = np.zeros(cats.shape, dtype=bool)
    negated = rule.startswith("!")
    for prefix in rule.lstrip("!").split(";"):
        keep |= np.char.startswith(cats, prefix.strip())
    return ~keep if negated else keep


def _passes(scheme: Scheme, column: Mapping[str, int], points: np.ndarray, met: np.ndarray,
            blocks: Mapping[str, np.ndarray], total: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    n = total.shape[0]
    passed = np.ones(n, dtype=bool)
    vetoed = np.zeros(n, dtype=bool)
    for rule in scheme.pass_rules:
        cols = [column[i.code] for i in scheme.leaves_under(rule.target)]
        if rule.kind is PassKind.MIN_SCORE:
            got = total if not rule.target else (
                blocks[rule.target] if rule.target in blocks else points[:, cols[0]])
            passed &= got >= (rule.value or 0.0) - _EPS
        elif rule.kind is PassKind.BLOCK_MET:
            passed &= met[:, cols].all(axis=1) if cols else True
        else:
            stars = [column[i.code] for i in scheme.leaves_under(rule.target) if i.veto]
            if stars:
                weights = np.array([scheme.items[c].points for c in stars])
                failed = np.where(weights > 0, points[:, stars] <= _EPS, ~met[:, stars])
                vetoed |= failed.any(axis=1)
    return passed & ~vetoed, vetoed


def rank_within(values: np.ndarray, groups: np.ndarray, eligible: np.ndarray, *,
                ascending: bool = True) -> np.ndarray:
    """The 1-based rank of each eligible institution inside its group by ``values``
    (smallest first when ``ascending``); 0 for the ineligible or a missing value."""
    ok = eligible & np.isfinite(values)
    key = np.where(ok, values if ascending else -values, np.inf)
    order = np.lexsort((key, groups))
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - first + 1
    return np.where(ok, rank, 0)
