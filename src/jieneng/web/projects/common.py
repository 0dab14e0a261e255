"""What the project pages share: the labels of types, states and options in the
page's language, the lifecycle's steps and the moves a caller may make (drawn from
the lifecycle's table of moves and the capability table, as the menus are), the
rows of the list (the columns of :data:`jieneng.reports.projects_document.
PROJECT_COLUMNS`), and the path and query types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import Path, Query

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.core.projects.lifecycle import FINAL, MOVES, State, next_states
from jieneng.core.projects.types import labels

CodeP = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-.]+$",
                            description="项目编号 project code")]
RegionQ = Annotated[str, Query(max_length=6, pattern=r"^(\d{6})?$",
                               description="行政区划代码 (default: my own)")]
TypeQ = Annotated[str, Query(max_length=24, pattern=r"^[a-z_]*$", description="项目类型")]
StateQ = Annotated[str, Query(max_length=16, pattern=r"^[a-z]*$", description="项目状态")]
YearQ = Annotated[str, Query(max_length=4, pattern=r"^(\d{4})?$", description="年度")]
EscoQ = Annotated[str, Query(max_length=64, description="节能服务公司 (part of the name)")]
PageQ = Annotated[int, Query(ge=1, le=100_000)]

#: the main path of the lifecycle drawn as steps (项目调整 and 终止 are side states)
MAIN_PATH: tuple[State, ...] = (
    State.DECLARED, State.APPROVAL, State.PROCUREMENT, State.CONTRACTED, State.BASELINE,
    State.IMPLEMENTATION, State.MONITORING, State.EVALUATION, State.SETTLEMENT,
    State.HANDOVER, State.CLOSED)
#: 分项 colours of the map by state group: before the contract, in work, in operation, done
STATE_COLOURS: dict[State, str] = {
    **{s: "#9fb8a8" for s in (State.DECLARED, State.APPROVAL, State.PROCUREMENT)},
    **{s: "#5b8db8" for s in (State.CONTRACTED, State.BASELINE, State.IMPLEMENTATION)},
    **{s: "#2e7d4f" for s in (State.MONITORING, State.ADJUSTMENT, State.EVALUATION,
                              State.SETTLEMENT)},
    **{s: "#7a7a7a" for s in (State.HANDOVER, State.CLOSED)},
    State.TERMINATED: "#b85b5b",
}


def en(lang: str) -> bool:
    return lang.startswith("en")


def state_label(code: str | None, lang: str) -> str:
    if not code:
        return ""
    try:
        state = State(code)
    except ValueError:
        return code
    return state.label_en if en(lang) else state.label_zh


def label_of(kind: str, code: str | None, lang: str, parent: str = "") -> str:
    """The name of a type, subtype (of ``parent``) or IPMVP option; the code when unknown."""
    if not code:
        return ""
    for row in labels():
        if row.kind == kind and row.code == code and (kind != "subtype" or row.parent == parent):
            return row.name_en if en(lang) else row.name_zh
    return code


def choices(kind: str, lang: str) -> list[dict[str, str]]:
    """The options of a select: ``[{code, label}]`` (subtypes named with their type)."""
    out = []
    for row in labels():
        if row.kind != kind:
            continue
        name = row.name_en if en(lang) else row.name_zh
        if kind == "subtype":
            out.append({"code": row.code,
                        "label": f"{label_of('type', row.parent, lang)} · {name}"})
        else:
            out.append({"code": row.code, "label": name})
    return out


def state_choices(lang: str) -> list[dict[str, str]]:
    return [{"code": s.value, "label": state_label(s.value, lang)} for s in State]


def moves_for(user: User, state: str, lang: str) -> list[dict[str, Any]]:
    """The moves open from ``state`` that the caller's capabilities allow (the
    lifecycle's table :data:`MOVES` × :data:`ROLE_CAPABILITIES`); the service checks
    the same table and the scope."""
    try:
        source = State(state)
    except ValueError:
        return []
    return [{"target": m.target.value, "label": state_label(m.target.value, lang),
             "capability": m.capability,
             "needs_reason": m.target is State.TERMINATED or (
                 source, m.target) == (State.APPROVAL, State.DECLARED)}
            for m in next_states(source) if user.can(Capability(m.capability))]


def steps(state: str, history: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The main path as steps: done (passed through), current."""
    passed = {h.get("to_state") for h in history} | {h.get("from_state") for h in history}
    shown = list(MAIN_PATH)
    if state in (State.ADJUSTMENT.value, State.TERMINATED.value):
        shown.insert(shown.index(State.MONITORING) + 1 if state == "adjustment"
                     else len(shown), State(state))
    return [{"code": s.value, "label": state_label(s.value, lang),
             "done": s.value in passed and s.value != state, "current": s.value == state}
            for s in shown]


def is_final(state: str) -> bool:
    return state in {s.value for s in FINAL}


def all_moves() -> dict[tuple[State, State], str]:
    return dict(MOVES)


def owners_text(owners: Sequence[Mapping[str, Any]], lang: str) -> str:
    return (", " if en(lang) else "、").join(str(o.get("name", "")) for o in owners)


def list_row(p: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A project as a row of the list, its twin and its workbook (investment in 万元)."""
    investment = p.get("investment_yuan")
    return {**p, "kind_label": label_of("type", p.get("type"), lang),
            "subtype_label": label_of("subtype", p.get("subtype"), lang, p.get("type") or ""),
            "state_label": state_label(p.get("state"), lang),
            "owners_text": owners_text(p.get("owners") or (), lang),
            "investment": None if investment is None else investment / 1e4,
            "esco": p.get("esco_name"), "year": str(p.get("year") or "")}


def t(lang: str, key: str, **values: Any) -> str:
    return text(lang, key, **values)
