"""Progress arithmetic of a work-plan item (pure).

- :func:`meets` — is a value on the right side of the target (``>=``, ``<=``, ``>``,
  ``<``)?
- :func:`share_complete` — how far along [0…1]: for "at least" targets value ÷ target
  (capped at 1); for "at most" targets 1 when met, else target ÷ value (a PUE of 2.0
  against ≤ 1.6 is 0.8 along) — a platform convention (``docs/workplans.md``).
- :func:`item_status` — ``done`` when the last accepted report says done or a computed
  target is met (an "at most" target — a cap, a PUE, coal — only once its deadline has
  passed: before, a value under the cap is on track, not done); ``overdue`` when not
  done and the deadline has passed; ``in_progress`` when a report was accepted or a
  value exists; else ``not_started``.
- :func:`work_state` — the worked-out state (``done`` / ``in_progress`` /
  ``not_started``, the same rules without the deadline) and :func:`tally` — the one
  count rule of every page, workbook, twin and document: the three states add up to
  the items, **overdue is a mark on top** (an overdue item is also counted as in
  progress or not started; ``docs/workplans.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..exceptions import ValidationFailed

#: stored state of an item (the last accepted report's claim)
STATES: tuple[str, ...] = ("not_started", "in_progress", "done")
#: what a progress report may claim
CLAIMS: tuple[str, ...] = ("in_progress", "done")
#: the status shown: the state, or overdue
STATUSES: tuple[str, ...] = ("not_started", "in_progress", "done", "overdue")
COMPARISONS: tuple[str, ...] = (">=", "<=", ">", "<")
_SPELLINGS: dict[str, str] = {
    ">=": ">=", "≥": ">=", "不低于": ">=", "不少于": ">=", "以上": ">=", "达到": ">=",
    "至少": ">=", "at least": ">=",
    "<=": "<=", "≤": "<=", "不高于": "<=", "不超过": "<=", "以内": "<=", "以下": "<=",
    "at most": "<=",
    ">": ">", "超": ">", "超过": ">", "more than": ">",
    "<": "<", "低于": "<", "less than": "<",
}


def parse_comparison(text: str) -> str | None:
    """The comparison written as ``text`` (``≥``, ``>=``, ``不低于`` …), or None."""
    return _SPELLINGS.get(text.strip().lower())


def meets(value: float | None, comparison: str | None, target: float | None) -> bool | None:
    """Whether ``value`` meets ``comparison target``; None without a value or target."""
    if value is None or target is None or comparison is None:
        return None
    if comparison == ">=":
        return value >= target
    if comparison == "<=":
        return value <= target
    if comparison == ">":
        return value > target
    if comparison == "<":
        return value < target
    raise ValidationFailed.of("workplan_bad_comparison", comparison=comparison)


def share_complete(value: float | None, comparison: str | None, target: float | None
                   ) -> float | None:
    """How far ``value`` has come towards ``comparison target`` [0…1]; None without
    both. "At least" targets: value ÷ target (a zero target is met at once); "at most"
    targets: 1 when met, else target ÷ value."""
    if value is None or target is None or comparison is None:
        return None
    if meets(value, comparison, target):
        return 1.0
    if comparison in (">=", ">"):
        return max(0.0, min(1.0, value / target)) if target > 0 else 1.0
    if value <= 0:
        return 0.0
    return max(0.0, min(1.0, target / value))


def work_state(state: str, deadline: date, as_of: date, met: bool | None,
               has_value: bool = False, *, at_most: bool = False) -> str:
    """The worked-out state of an item on ``as_of`` (``done`` / ``in_progress`` /
    ``not_started``): the stored ``state`` corrected by the value (see the module
    docstring); ``at_most``: the target is an upper bound."""
    if state == "done" or (met is True and (not at_most or as_of > deadline)):
        return "done"
    if state == "in_progress" or has_value:
        return "in_progress"
    return "not_started"


def item_status(state: str, deadline: date, as_of: date, met: bool | None,
                has_value: bool = False, *, at_most: bool = False) -> str:
    """The status shown as an item's tag on ``as_of``: its :func:`work_state`, or
    ``overdue`` when not done and the deadline has passed."""
    worked = work_state(state, deadline, as_of, met, has_value, at_most=at_most)
    return "overdue" if worked != "done" and as_of > deadline else worked


def tally(items: Iterable[tuple[str, bool]]) -> dict[str, int]:
    """Counts of ``(work_state, overdue)`` pairs: ``items``, ``done``, ``in_progress``,
    ``not_started`` (these three add up to ``items``) and ``overdue`` (a mark on top:
    an overdue item is counted in its state too)."""
    out = {"items": 0, "done": 0, "in_progress": 0, "not_started": 0, "overdue": 0}
    for worked, overdue in items:
        out["items"] += 1
        out[worked if worked in STATES else "not_started"] += 1
        out["overdue"] += 1 if overdue and worked != "done" else 0
    return out
