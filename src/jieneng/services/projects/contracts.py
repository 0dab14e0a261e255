"""A project's contract (issue 13 §2): entered once, replaced while the project is not
yet in implementation, checked on entry against the national rules and the local rule
set (:mod:`jieneng.core.projects.contracts`; the rules are data with their sources).

A contract failing a rule is refused (``ValidationFailed`` ``project_contract_rule_failed``
listing each failed rule with its article and document, in both languages) and nothing
is stored; a passing one is stored with every rule's result (``check_result``, JSON),
which the project page shows. Needs ``manage_projects`` and the project in scope; one
transaction, an audit entry.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, delete

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.projects.contracts import Contract, RuleResult, check_contract, rule_set_for
from jieneng.core.projects.lifecycle import State
from jieneng.services.accounts import audit
from jieneng.storage import projects as store

from .registry import contract_dict, find_project, now

#: after these states the contract is part of the record: a change is an adjustment
_FIXED = frozenset({State.IMPLEMENTATION, State.MONITORING, State.ADJUSTMENT,
                    State.EVALUATION, State.SETTLEMENT, State.HANDOVER, State.CLOSED,
                    State.TERMINATED})


def check_only(region_code: str, subtype: str | None, contract: Contract,
               rule_set: str | None = None) -> tuple[str | None, list[RuleResult]]:
    """The rule set that applies and every result (nothing stored)."""
    chosen = rule_set_for(region_code, rule_set)
    return chosen, check_contract(contract, subtype, chosen)


def failures_text(results: list[RuleResult]) -> tuple[str, str]:
    """The failed rules as one line each language: rule, article, document, value."""
    bad = [r for r in results if not r.passed]
    zh = "；".join(f"{r.text_zh}（{r.article}，{r.document}；填写值 {_show(r.value)}，"
                  f"要求 {r.limit}）" for r in bad)
    en = "; ".join(f"{r.text_en} ({r.article}, {r.document}; given {_show(r.value)}, "
                   f"required {r.limit})" for r in bad)
    return zh, en


def _show(value: object) -> str:
    return "—" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))


def set_contract(engine: Engine, user: User, code: str, contract: Contract, *,
                 rule_set: str | None = None) -> dict[str, Any]:
    """Enter (or replace) the project's contract after checking the rules."""
    require(user, Capability.MANAGE_PROJECTS)
    with engine.begin() as conn:
        row = find_project(conn, user.scope, code, lock=True)
        if State(row.state) in _FIXED:
            raise ValidationFailed.of("project_contract_fixed", code=row.code,
                                      values={"state_zh": State(row.state).label_zh,
                                              "state_en": State(row.state).label_en})
        chosen, results = check_only(row.region_code, row.subtype, contract, rule_set)
        if not all(r.passed for r in results):
            zh, en = failures_text(results)
            raise ValidationFailed.of(
                "project_contract_rule_failed", code=row.code, rule_set=chosen or "national",
                failed=[r.rule for r in results if not r.passed],
                values={"failures_zh": zh, "failures_en": en})
        pid, at = int(row.id), now()
        before = store.contract_of(conn, pid)
        conn.execute(delete(store.project_contract).where(
            store.project_contract.c.project_id == pid))
        store.insert_rows(conn, store.project_contract, [contract.row() | {
            "project_id": pid, "rule_set": chosen,
            "check_result": json.dumps([r.to_dict() for r in results], ensure_ascii=False),
            "created_by": user.actor.username, "updated_at": at}])
        store.touch(conn, pid, at)
        audit.record(conn, user.actor, "projects.contract", "project", pid,
                     before=None if before is None else contract_dict(before),
                     after={k: str(v) if v is not None else None
                            for k, v in contract.row().items()} | {"rule_set": chosen})
        stored = store.contract_of(conn, pid)
    assert stored is not None
    return contract_dict(stored)
