"""Evaluation rounds (轮次) as pure rules (issue 14 §3): the member states and their
moves, the review chain (the institution's region up to the round's region), the
self-assessment and review scores a scheme accepts, the evidence kinds a round accepts,
and the final score of a hand-scored item.

Conventions (the platform's, docs/campaigns.md "Rounds"):

- a unit may enter scores while ``invited``, ``self_assessing`` or ``returned``; its
  first save makes it ``self_assessing``;
- to submit, every ``checklist`` item needs a self-assessment score (0 allowed);
  ``inspection`` items are scored on site and may be left empty;
- the review runs up the region tree from the institution's region to the round's
  region, one level at a time (a county office first, then the city, …): ``submitted``
  waits at the first level, ``under_review`` at a later one, the last level's approval
  makes the member ``recommended``; a return sends it back to the unit (``returned``,
  the scores entered are kept), a refusal ends it (``failed``);
- the final score of a hand item is the inspection score if any, else the review
  score, else the self-assessment score;
- a round moves only as ``data/campaigns/round_transitions.csv`` says (自评中 → 审核中 →
  抽查中 → 公示中 → 已结束, with the ways back and the early end it lists), each move
  by the action named there: ``state`` (the round's state form), ``draw`` (a spot-check
  draw), ``publicity`` (starting the 公示) or ``award`` (naming after the 公示); any other
  move is refused (``round_state_not_allowed``, naming both states).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jieneng.core.evidence import EvidenceKind, kinds_of
from jieneng.core.exceptions import Conflict, ValidationFailed
from jieneng.core.messages import text

from .scheme import Item, RuleKind, Scheme

ROUND_STATES: tuple[str, ...] = ("open", "reviewing", "checking", "publicity", "closed")
#: the member states of the self-assessment and review (the checks add their own)
MEMBER_STATES: tuple[str, ...] = ("invited", "self_assessing", "submitted", "returned",
                                  "under_review", "recommended", "failed")
#: the states in which the unit may still enter scores and evidence
EDITABLE: frozenset[str] = frozenset({"invited", "self_assessing", "returned"})
#: the states waiting for a reviewer
WAITING: frozenset[str] = frozenset({"submitted", "under_review"})
#: the score stages, in increasing precedence (the last present one counts)
HAND_STAGES: tuple[str, ...] = ("self", "review", "inspection")
HAND_RULES: frozenset[RuleKind] = frozenset({RuleKind.CHECKLIST, RuleKind.INSPECTION})
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class RoundMove:
    """One allowed move of a round's state and the actions that make it."""

    source: str
    target: str
    by: frozenset[str]
    name_zh: str
    name_en: str


@cache
def round_moves() -> tuple[RoundMove, ...]:
    """The allowed moves of a round (``data/campaigns/round_transitions.csv``)."""
    path = resources.files("jieneng") / "data" / "campaigns" / "round_transitions.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    moves = tuple(RoundMove(r["from"], r["to"], frozenset(r["by"].split(";")), r["name_zh"],
                            r["name_en"]) for r in rows)
    unknown = {s for m in moves for s in (m.source, m.target)} - set(ROUND_STATES)
    if unknown:
        raise ValueError(f"round_transitions.csv: unknown states {sorted(unknown)}")
    return moves


def next_round_states(state: str, by: str = "state") -> tuple[str, ...]:
    """The states a round in ``state`` may move to by ``by``, in ``ROUND_STATES`` order."""
    targets = {m.target for m in round_moves() if m.source == state and by in m.by}
    return tuple(s for s in ROUND_STATES if s in targets)


def round_states_from(target: str, by: str) -> tuple[str, ...]:
    """The states from which ``by`` moves a round to ``target``."""
    sources = {m.source for m in round_moves() if m.target == target and by in m.by}
    return tuple(s for s in ROUND_STATES if s in sources)


def check_round_move(state: str, target: str, by: str = "state") -> None:
    """Refuse moving a round from ``state`` to ``target`` by ``by`` unless the table
    allows it (``round_state_not_allowed``)."""
    allowed = next_round_states(state, by)
    if target not in allowed:
        def names(lang: str, states: Sequence[str]) -> str:
            return "、".join(state_name(lang, s) for s in states) if states else "—"
        raise Conflict.of("round_state_not_allowed", field="state", current=state,
                          target=target, allowed=list(allowed), values={
                              "current_zh": state_name("zh", state),
                              "current_en": state_name("en", state),
                              "target_zh": state_name("zh", target),
                              "target_en": state_name("en", target),
                              "allowed_zh": names("zh", allowed),
                              "allowed_en": names("en", allowed).replace("、", ", ")})


def state_name(lang: str, state: str) -> str:
    """A round state's name in ``lang`` (the catalogue's ``campaigns.rounds.state.*``)."""
    if state not in ROUND_STATES:
        return state
    return text(lang, f"campaigns.rounds.state.{state}")


#: the evidence kinds a round accepts (suffixes of ``data/evidence/kinds.csv``, checked
#: by :func:`jieneng.core.evidence.check_evidence`)
EVIDENCE_SUFFIXES: tuple[str, ...] = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx")


def evidence_types() -> tuple[EvidenceKind, ...]:
    """The evidence kinds a round accepts (:data:`EVIDENCE_SUFFIXES`)."""
    return kinds_of(EVIDENCE_SUFFIXES)


def hand_items(scheme: Scheme) -> tuple[Item, ...]:
    """The items scored by hand (checklist and inspection), in scheme order."""
    return tuple(i for i in scheme.items if i.rule in HAND_RULES)


def maximum(item: Item) -> float:
    """The largest score an item accepts (a 0-point condition: 1 = met)."""
    return 1.0 if item.points == 0 else float(item.points)


def check_scores(scheme: Scheme, scores: Mapping[str, float | None]) -> dict[str, float | None]:
    """The given scores checked against the scheme: an unknown item, a computed item, a
    value that is not a finite number or outside 0 … max is refused naming the item and
    its maximum (``round_score_*``)."""
    known = {i.code: i for i in scheme.items}
    out: dict[str, float | None] = {}
    for code, value in scores.items():
        item = known.get(code)
        if item is None:
            raise ValidationFailed.of("round_score_unknown_item", field=f"score.{code}",
                                      item=code[:64])
        if item.rule not in HAND_RULES:
            raise ValidationFailed.of("round_score_computed_item", field=f"score.{code}",
                                      item=code, name=item.name_zh)
        if value is None:
            out[code] = None
            continue
        top = maximum(item)
        if not math.isfinite(value) or value < 0 or value > top + _EPS:
            raise ValidationFailed.of("round_score_over_maximum", field=f"score.{code}",
                                      item=code, name=item.name_zh, points=_num(top),
                                      value=_num(value))
        out[code] = float(value)
    return out


def parse_score(code: str, text: str) -> float | None:
    """A score typed in a form ('' = none); refused when not a number."""
    text = text.strip().replace("，", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed.of("round_score_not_number", field=f"score.{code}",
                                  item=code[:64], value=text[:32]) from None


def missing_for_submit(scheme: Scheme, given: Mapping[str, float | None]) -> list[str]:
    """The checklist items without a self-assessment score (submit is refused)."""
    return [i.code for i in scheme.items
            if i.rule is RuleKind.CHECKLIST and given.get(i.code) is None]


def final_hand(stages: Mapping[str, float | None]) -> tuple[float | None, str | None]:
    """The score of a hand item and the stage it comes from (inspection, else review,
    else self)."""
    for stage in reversed(HAND_STAGES):
        value = stages.get(stage)
        if value is not None:
            return value, stage
    return None, None


def review_chain(institution_lineage: Sequence[str], round_region: str) -> list[str]:
    """The regions whose offices review a member, first to last: the institution's
    region and those above it up to the round's region (``institution_lineage``:
    nearest first); empty when the institution lies outside the round."""
    if round_region not in institution_lineage:
        return []
    return list(institution_lineage[: list(institution_lineage).index(round_region) + 1])


def next_reviewer(chain: Sequence[str], current: str | None) -> str | None:
    """The region after ``current`` in the chain (None: ``current`` was the last)."""
    if current is None or current not in chain:
        return chain[0] if chain else None
    k = list(chain).index(current)
    return chain[k + 1] if k + 1 < len(chain) else None


def require_state(state: str, allowed: frozenset[str] | set[str], action: str) -> None:
    """Refuse ``action`` on a member in ``state`` (``round_member_state``)."""
    if state not in allowed:
        raise Conflict.of("round_member_state", state=state, action=action)


def _num(value: float) -> str:
    return f"{value:g}"


__all__ = [
    "EDITABLE", "EVIDENCE_SUFFIXES", "HAND_RULES", "HAND_STAGES", "MEMBER_STATES",
    "ROUND_STATES", "WAITING", "RoundMove", "check_round_move", "check_scores",
    "evidence_types", "final_hand", "hand_items", "maximum", "missing_for_submit",
    "next_reviewer", "next_round_states", "parse_score", "require_state", "review_chain",
    "round_moves", "round_states_from", "state_name",
]
