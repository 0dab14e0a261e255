"""The lifecycle of an energy-saving project: a pure state machine (issue 13 §1).

States (stage names of JS/T 301-2024 公共机构能源费用托管实施规程 — 前期评估 → 组织采购 →
合同签订 → 组织实施 → 项目调整 → 效果评估 → 资产管理 → 费用结算 — with the
baseline confirmation of 京机管发〔2022〕21号 第六条 and the platform's own 申报/审批
and 关闭; the order of 结算 before 资产移交 is the platform's convention, since the
final settlement closes the accounts before the assets change hands)::

    declared 征集/申报 → approval 审批 → procurement 采购 → contracted 合同签订
      → baseline 基准确认 → implementation 实施 → monitoring 运行监测 ⇄ adjustment 项目调整
      → evaluation 效果评估 → settlement 结算 → handover 资产移交 → closed 关闭
    terminated 终止  ← from every open state

A state names the stage the project is *in*. Leaving an approval stage forward —
审批, 基准确认, 项目调整 (an adjustment is approved before monitoring resumes), 效果评估,
结算 — needs ``approve_projects``; sending a project under approval back to
申报 and terminating it too. Every other move needs ``manage_projects``. The
capability names are strings here (``core.permissions`` maps them); scope is the
services'.

Standard library only (a ``core`` module).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jieneng.core.exceptions import ValidationFailed


class State(StrEnum):
    DECLARED = "declared"
    APPROVAL = "approval"
    PROCUREMENT = "procurement"
    CONTRACTED = "contracted"
    BASELINE = "baseline"
    IMPLEMENTATION = "implementation"
    MONITORING = "monitoring"
    ADJUSTMENT = "adjustment"
    EVALUATION = "evaluation"
    SETTLEMENT = "settlement"
    HANDOVER = "handover"
    CLOSED = "closed"
    TERMINATED = "terminated"

    @property
    def label_zh(self) -> str:
        return STATE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return STATE_LABELS[self][1]


STATE_LABELS: dict[State, tuple[str, str]] = {
    State.DECLARED: ("征集/申报", "declared"),
    State.APPROVAL: ("审批", "under approval"),
    State.PROCUREMENT: ("采购", "procurement"),
    State.CONTRACTED: ("合同签订", "contract signed"),
    State.BASELINE: ("基准确认", "baseline confirmation"),
    State.IMPLEMENTATION: ("实施", "implementation"),
    State.MONITORING: ("运行监测", "operation and monitoring"),
    State.ADJUSTMENT: ("项目调整", "adjustment"),
    State.EVALUATION: ("效果评估", "evaluation"),
    State.SETTLEMENT: ("结算", "settlement"),
    State.HANDOVER: ("资产移交", "asset hand-over"),
    State.CLOSED: ("关闭", "closed"),
    State.TERMINATED: ("终止", "terminated"),
}

STATES: tuple[str, ...] = tuple(s.value for s in State)
#: the states a project can no longer leave
FINAL: frozenset[State] = frozenset({State.CLOSED, State.TERMINATED})
OPEN: tuple[State, ...] = tuple(s for s in State if s not in FINAL)

MANAGE = "manage_projects"
APPROVE = "approve_projects"

_S = State
#: (from, to) → the capability the move needs; 终止 is added for every open state below
MOVES: dict[tuple[State, State], str] = {
    (_S.DECLARED, _S.APPROVAL): MANAGE,
    (_S.APPROVAL, _S.PROCUREMENT): APPROVE,
    (_S.APPROVAL, _S.DECLARED): APPROVE,
    (_S.PROCUREMENT, _S.CONTRACTED): MANAGE,
    (_S.CONTRACTED, _S.BASELINE): MANAGE,
    (_S.BASELINE, _S.IMPLEMENTATION): APPROVE,
    (_S.IMPLEMENTATION, _S.MONITORING): MANAGE,
    (_S.MONITORING, _S.ADJUSTMENT): MANAGE,
    (_S.ADJUSTMENT, _S.MONITORING): APPROVE,
    (_S.MONITORING, _S.EVALUATION): MANAGE,
    (_S.EVALUATION, _S.SETTLEMENT): APPROVE,
    (_S.SETTLEMENT, _S.HANDOVER): APPROVE,
    (_S.HANDOVER, _S.CLOSED): MANAGE,
    **{(s, _S.TERMINATED): APPROVE for s in OPEN},
}

#: the states whose entry needs a checked contract on file (合同签订 and later)
NEEDS_CONTRACT: frozenset[State] = frozenset({_S.CONTRACTED})


@dataclass(frozen=True)
class Move:
    """An allowed move and the capability it needs."""

    source: State
    target: State
    capability: str


def parse_state(text: str) -> State:
    """A state from its code or either label (``审批``, ``under approval``)."""
    wanted = text.strip()
    for state in State:
        if wanted.lower() in (state.value, state.label_en.lower()) or wanted in (
                state.label_zh, *state.label_zh.split("/")):
            return state
    raise ValidationFailed.of("project_state_unknown", value=text)


def next_states(source: State) -> tuple[Move, ...]:
    """The moves open from ``source``, in the order of :class:`State`."""
    return tuple(Move(source, target, MOVES[(source, target)]) for target in State
                 if (source, target) in MOVES)


def check_move(source: State, target: State, *, reason: str | None) -> Move:
    """The move ``source`` → ``target`` when allowed; a termination or a send-back
    needs a reason. Refused naming both states and the moves that are open."""
    capability = MOVES.get((source, target))
    if capability is None:
        opened = next_states(source)
        raise ValidationFailed.of(
            "project_move_not_allowed", source=source.value, target=target.value, values={
                "source_zh": source.label_zh, "target_zh": target.label_zh,
                "source_en": source.label_en, "target_en": target.label_en,
                "open_zh": "、".join(m.target.label_zh for m in opened) or "无",
                "open_en": ", ".join(m.target.label_en for m in opened) or "none"})
    backwards = target is State.TERMINATED or (source, target) == (State.APPROVAL,
                                                                   State.DECLARED)
    if backwards and not (reason or "").strip():
        raise ValidationFailed.of("project_move_needs_reason", target=target.value,
                                  values={"target_zh": target.label_zh,
                                          "target_en": target.label_en})
    return Move(source, target, capability)
