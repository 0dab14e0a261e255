"""Settlement of a project's period by its contract (issue 13 §4), on the figures of
the period's statement (:mod:`.statements`, computed when missing):

- 能源费用托管型 (``trusteeship``) — :func:`jieneng.core.projects.settlement.trusteeship`:
  fee = Σ adjusted baseline × price (the contract's price mode: ``base_year`` the
  base period's price, ``pass_through`` the period's) × ``fee_factor`` + O&M fee;
  ESCO margin = fee − the actual energy cost − O&M cost. The amount: the fee.
- 节能效益分享型 (``shared_savings``) — :func:`~jieneng.core.projects.settlement.shared_benefit`
  at the contract's sharing ratio; the amount: the ESCO's share.
- 节能量保证型 (``guaranteed_savings``) —
  :func:`~jieneng.core.projects.settlement.guarantee_shortfall` in tce (the
  contract's ``guaranteed_tce`` a year pro-rated by months, or ``guaranteed_rate``
  × the adjusted baseline); the amount: what the ESCO pays.

Agreed prices are the base period's (Σ cost ÷ Σ quantity of the owners' NY201 months
of the baseline window) unless given (``prices``; ``price_per_tce`` for the
guarantee, else the base cost of the adjusted baseline per tce) — the platform's
convention (``docs/projects.md``). A settlement is a draft until confirmed
(:func:`confirm`); a confirmed one is not recomputed. Capability ``approve_projects``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.projects import settlement as formulas
from jieneng.core.projects.cadence import StatementPeriod
from jieneng.services.accounts import audit
from jieneng.storage import project_settlement as store

from . import statements
from .mv_access import contract_of, visible_project


def _base_prices(conn: Connection, statement: dict[str, Any]) -> dict[str, float]:
    """carrier → the base price of the run that made the statement's figures."""
    out: dict[str, float] = {}
    for carrier, run_id in statement["run_ids"].items():
        run = store.run(conn, int(run_id))
        price = None if run is None else run["inputs"].get("base_price")
        if price is not None:
            out[carrier] = float(price)
    return out


def _trusteeship(lines: dict[str, Any], contract: dict[str, Any], base: dict[str, float],
                 prices: Mapping[str, float], terms: dict[str, float]) -> dict[str, Any]:
    missing = sorted(c for c, v in lines.items()
                     if (prices.get(c) or base.get(c)) is None or v["price"] is None)
    if missing:
        raise ValidationFailed.of("project_settlement.no_price", carriers=", ".join(missing))
    result = formulas.trusteeship(
        [formulas.TrusteeshipLine(c, v["adjusted_baseline"], v["actual"],
                                  prices.get(c) or base[c], v["price"])
         for c, v in lines.items()],
        price_mode=contract.get("price_mode") or formulas.PriceMode.BASE,
        om_fee=terms["om_fee"], om_cost=terms["om_cost"], fee_factor=terms["fee_factor"])
    return {"amount": result.fee, "margin": result.esco_margin,
            "detail": {**asdict(result), "price_mode": result.price_mode.value}}


def _shared(lines: dict[str, Any], contract: dict[str, Any], base: dict[str, float],
            prices: Mapping[str, float], code: str) -> dict[str, Any]:
    if contract.get("sharing_ratio") is None:
        raise ValidationFailed.of("project_settlement.no_ratio", project=code)
    agreed = {**base, **prices}
    result = formulas.shared_benefit({c: v["savings"] for c, v in lines.items()}, agreed,
                                     ratio=float(contract["sharing_ratio"]))
    return {"amount": result.esco_share, "margin": None,
            "detail": {**asdict(result), "prices": {c: agreed[c] for c in lines}}}


def _guaranteed(statement: dict[str, Any], base: dict[str, float],
                price_per_tce: float | None, code: str) -> dict[str, Any]:
    figures = statement["figures"]
    guarantee = figures.get("guarantee")
    if guarantee is None:
        raise ValidationFailed.of("project_settlement.no_guarantee", project=code)
    lines, totals = figures["carriers"], figures["totals"]
    if price_per_tce is None:
        cost = sum(v["adjusted_baseline"] * base[c] for c, v in lines.items() if c in base)
        if not totals["baseline_tce"] or not cost:
            raise ValidationFailed.of("project_settlement.no_price",
                                      carriers=", ".join(sorted(lines)))
        price_per_tce = cost / totals["baseline_tce"]
    result = formulas.guarantee_shortfall(guarantee["guaranteed_tce"], totals["tce"],
                                          price=price_per_tce)
    return {"amount": result.payable, "margin": None,
            "detail": {**asdict(result), "unit": "tce", "basis": guarantee["basis"]}}


def _fee_base(contract: dict[str, Any], period: StatementPeriod) -> float | None:
    """The contract's fixed fee base (元 a year, JS/T 301-2024 托管费用基数) pro-rated to
    the period's months — shown beside the computed fee for comparison (convention)."""
    base = contract.get("fee_base_yuan")
    return None if base is None else float(base) * period.months / 12.0


def settle(engine: Engine, user: User, code: str, period: str, *,
           prices: Mapping[str, float] | None = None, price_per_tce: float | None = None,
           om_fee: float = 0.0, om_cost: float = 0.0, fee_factor: float = 1.0
           ) -> dict[str, Any]:
    """Compute and store the draft settlement of ``period`` (module docstring)."""
    require(user, Capability.APPROVE_PROJECTS)
    p = StatementPeriod.parse(period)
    prices = dict(prices or {})
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        contract = contract_of(conn, int(project["id"]))
        mode = project.get("subtype")
        if contract is None:
            raise ValidationFailed.of("project_settlement.no_contract", project=code)
        if mode not in store.SETTLEMENT_MODES:
            raise ValidationFailed.of("project_settlement.no_mode", project=code)
        done = store.settlement(conn, int(project["id"]), p.code)
        if done is not None and done["state"] == "confirmed":
            raise Conflict.of("project_settlement.confirmed", project=code, period=p.code)
        statement = store.statement(conn, int(project["id"]), p.kind.value, p.code)
    if statement is None:
        statement = statements.compute_statement(engine, user, code, p.code)
    with engine.connect() as conn:
        base = _base_prices(conn, statement)
    lines = statement["figures"]["carriers"]
    terms = {"om_fee": om_fee, "om_cost": om_cost, "fee_factor": fee_factor}
    figures = (_trusteeship(lines, contract, base, prices, terms) if mode == "trusteeship"
               else _shared(lines, contract, base, prices, code) if mode == "shared_savings"
               else _guaranteed(statement, base, price_per_tce, code))
    values = {"project_id": project["id"], "period": p.code, "mode": mode,
              "statement_id": statement["id"], "amount_yuan": figures["amount"],
              "esco_margin_yuan": figures["margin"], "state": "draft",
              "amounts": {**figures["detail"], "terms": terms, "prices_given": prices,
                          "base_prices": base, "statement_period": p.code,
                          "savings_tce": statement["savings_tce"],
                          "contract_fee_base_yuan": _fee_base(contract, p)},
              "created_by": user.username}
    with engine.begin() as conn:
        settlement_id = store.upsert_settlement(conn, values)
        audit.record(conn, user.actor, "project.settlement", "project", int(project["id"]),
                     after={"settlement_id": settlement_id, "period": p.code, "mode": mode,
                            "amount_yuan": figures["amount"]})
        stored = store.settlement(conn, int(project["id"]), p.code)
    assert stored is not None
    return {**stored, "project": code}


def confirm(engine: Engine, user: User, code: str, period: str) -> dict[str, Any]:
    """Confirm a draft settlement (it is then final); audited."""
    require(user, Capability.APPROVE_PROJECTS)
    p = StatementPeriod.parse(period)
    with engine.begin() as conn:
        project = visible_project(conn, user, code)
        found = store.settlement(conn, int(project["id"]), p.code)
        if found is None:
            raise NotFound.of("project_settlement.not_found", project=code, period=p.code)
        if found["state"] == "confirmed":
            raise Conflict.of("project_settlement.confirmed", project=code, period=p.code)
        store.confirm_settlement(conn, int(found["id"]), by=user.username, at=datetime.now(UTC))
        audit.record(conn, user.actor, "project.settlement.confirm", "project",
                     int(project["id"]), before={"state": "draft"},
                     after={"state": "confirmed", "period": p.code})
        stored = store.settlement(conn, int(project["id"]), p.code)
    assert stored is not None
    return stored


def list_settlements(engine: Engine, user: User, code: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        return store.settlements(conn, int(project["id"]))
