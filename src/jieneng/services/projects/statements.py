"""Monitoring statements of a project (issue 13 §4): 月度监测 (monthly monitoring), 季度评估
(quarterly evaluation), 年度考核 (annual assessment) — the 荆州 scheme is the default
cadence (``data/projects/monitoring.json``; another can be asked for).

- :func:`compute_statement` — one period (``2025-03``, ``2025-Q1``, ``2025``): for every
  carrier with a current baseline run, the run's model evaluated over the period
  (:func:`jieneng.services.projects.mv_runs.evaluate`, approved non-routine
  adjustments applied) → adjusted baseline, actual, savings [canonical unit], %, tce,
  tCO₂ (the factor set's coefficients, :func:`jieneng.core.projects.settlement.savings`),
  元 (at the period's price: Σ cost ÷ Σ quantity of the owners' NY201 months, else the
  base price — the platform's convention), the savings' uncertainty, each month's line,
  the reporting data's coverage, the model's CV(RMSE) and sufficiency, and the
  guarantee pro-rated to the period (:func:`jieneng.core.projects.settlement.prorated_guarantee`);
  for a PV project also its generation, self-consumed / exported when known and the
  avoided grid electricity in tce and tCO₂
  (:func:`jieneng.services.projects.generation.period_generation`).
  Stored with the run ids and the factor set (one per project, kind and period;
  recomputing replaces it); audited. Capability ``approve_projects``.
- :func:`issue_due` — every complete period of the cadence's kinds from the contract's
  term start (else the day after the baseline) to ``through`` not yet stated.
- :func:`list_statements`, :func:`get_statement` — reads in the caller's scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, FactorSet, factor_set
from jieneng.core.mv.data import DateRange
from jieneng.core.mv.result import MvResult
from jieneng.core.permissions import Capability, require
from jieneng.core.projects import settlement as formulas
from jieneng.core.projects.cadence import (
    StatementKind,
    StatementPeriod,
    default_cadence,
    periods_between,
)
from jieneng.services.accounts import audit
from jieneng.storage import project_settlement as store

from . import mv_runs
from .generation import period_generation
from .mv_access import contract_of, visible_project
from .mv_inputs import Inputs, Temperatures


def _price(result: MvResult, inputs: Inputs) -> float | None:
    """The period's price: observed-weighted mean of its months' NY201 prices, else the
    base price."""
    weights = [(p.observed, inputs.month_prices[p.label]) for p in result.periods
               if p.label in inputs.month_prices and p.observed > 0]
    total = sum(w for w, _ in weights)
    if weights and total > 0:
        return sum(w * price for w, price in weights) / total
    return inputs.base_price


def _carrier_figures(result: MvResult, inputs: Inputs, fs: FactorSet, year: int,
                     province: str, run: dict[str, Any]) -> dict[str, Any]:
    total = result.total
    price = _price(result, inputs)
    line = formulas.savings(run["carrier"], total.adjusted_baseline, total.observed,
                            factor_set=fs, year=year, province_code=province, price=price,
                            uncertainty=total.uncertainty)
    days = sum(p.days for p in result.periods)
    return {**asdict(line), "run_id": run["id"], "method": run["method"],
            "baseline_predicted": total.baseline_predicted, "adjustment": total.adjustment,
            "coverage": sum(p.days_used for p in result.periods) / days if days else 0.0,
            "cvrmse": run["cvrmse"], "baseline_sufficiency": run["sufficiency"],
            "qualified": run["qualified"],
            "months": [{"label": p.label, "adjusted_baseline": p.adjusted_baseline,
                        "observed": p.observed, "savings": p.savings,
                        "savings_pct": p.savings_pct, "uncertainty": p.uncertainty,
                        "days_used": p.days_used, "days": p.days} for p in result.periods],
            "inputs": inputs.described}


def _guarantee(contract: dict[str, Any] | None, period: StatementPeriod,
               totals: formulas.Totals) -> dict[str, Any] | None:
    """The contract's guarantee for the period [tce] and whether the savings meet it:
    ``guaranteed_tce`` a year pro-rated by months, or ``guaranteed_rate`` × the
    period's adjusted baseline in tce."""
    if contract is None:
        return None
    if contract.get("guaranteed_tce") is not None:
        need = formulas.prorated_guarantee(float(contract["guaranteed_tce"]), period.months)
        basis = "tce"
    elif contract.get("guaranteed_rate") is not None:
        need = float(contract["guaranteed_rate"]) * totals.baseline_tce
        basis = "rate"
    else:
        return None
    return {"basis": basis, "guaranteed_tce": need, "verified_tce": totals.tce,
            "met": totals.tce >= need}


def _compute(conn: Connection, project: dict[str, Any], period: StatementPeriod,
             fs: FactorSet, temperatures: Temperatures | None) -> dict[str, Any]:
    runs = store.runs(conn, int(project["id"]))
    if not runs:
        raise ValidationFailed.of("project_statement.no_runs", project=project["code"])
    reporting = DateRange(period.start, period.end - timedelta(days=1))
    province = str(project["region_code"])[:2] + "0000"
    lines: dict[str, dict[str, Any]] = {}
    for run in runs:  # one per carrier
        if reporting.start <= run["baseline_end"]:
            raise ValidationFailed.of(
                "project_statement.before_baseline", period=period.code,
                baseline=f"{run['baseline_start']}..{run['baseline_end']}")
        result, inputs = mv_runs.evaluate(conn, project, run, reporting, temperatures)
        lines[run["carrier"]] = _carrier_figures(result, inputs, fs, period.year, province,
                                                 run)
    names = [f.name for f in fields(formulas.Savings)]
    totals = formulas.totals([formulas.Savings(**{k: v[k] for k in names})
                              for v in lines.values()], fs)
    uncertainty = formulas.combined_uncertainty([v["uncertainty"] for v in lines.values()])
    return {"carriers": lines, "totals": {**asdict(totals), "missing": list(totals.missing),
                                          "uncertainty": uncertainty},
            "guarantee": _guarantee(contract_of(conn, int(project["id"])), period, totals),
            "coverage": min(v["coverage"] for v in lines.values()),
            "generation": period_generation(conn, project, period.start,
                                            period.end - timedelta(days=1), fs,
                                            year=period.year),
            "period": {"code": period.code, "kind": period.kind.value,
                       "start": period.start.isoformat(),
                       "end": (period.end - timedelta(days=1)).isoformat()}}


def compute_statement(engine: Engine, user: User, code: str, period: str, *,
                      factor_set_name: str | None = None,
                      temperatures: Temperatures | None = None) -> dict[str, Any]:
    """Compute and store the statement of ``period`` (module docstring)."""
    require(user, Capability.APPROVE_PROJECTS)
    p = StatementPeriod.parse(period)
    fs = factor_set(factor_set_name or DEFAULT_FACTOR_SET)
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        figures = _compute(conn, project, p, fs, temperatures)
    totals = figures["totals"]
    values = {"project_id": project["id"], "kind": p.kind.value, "period": p.code,
              "year": p.year, "first_month": p.first, "last_month": p.last,
              "run_ids": {c: v["run_id"] for c, v in figures["carriers"].items()},
              "factor_set": fs.name, "savings_tce": totals["tce"],
              "savings_yuan": totals["yuan"], "savings_co2_t": totals["tco2"],
              "savings_pct": totals["savings_pct_tce"], "figures": figures,
              "created_by": user.username}
    with engine.begin() as conn:
        statement_id = store.upsert_statement(conn, values)
        audit.record(conn, user.actor, "project.statement", "project", int(project["id"]),
                     after={"statement_id": statement_id, "kind": p.kind.value,
                            "period": p.code, "savings_tce": totals["tce"]})
        stored = store.statement(conn, int(project["id"]), p.kind.value, p.code)
    assert stored is not None
    return {**stored, "project": project["code"]}


def issue_due(engine: Engine, user: User, code: str, *, through: date,
              kinds: Sequence[StatementKind | str] | None = None,
              factor_set_name: str | None = None, recompute: bool = False
              ) -> list[dict[str, Any]]:
    """Compute every complete period of ``kinds`` (default: the cadence) from the
    contract's term start (else the day after the latest baseline) up to ``through``
    that has no statement yet (or all of them with ``recompute``)."""
    require(user, Capability.APPROVE_PROJECTS)
    wanted = [StatementKind(k) for k in (kinds or default_cadence())]
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        contract = contract_of(conn, int(project["id"]))
        runs = store.runs(conn, int(project["id"]))
        if not runs:
            raise ValidationFailed.of("project_statement.no_runs", project=code)
        after = max(r["baseline_end"] for r in runs) + timedelta(days=1)
        start = max(contract["term_start"], after) if contract else after
        have = {(s["kind"], s["period"]) for s in store.statements(conn, int(project["id"]))}
    out = []
    for kind in wanted:
        for p in periods_between(start, through, kind):
            if recompute or (kind.value, p.code) not in have:
                out.append(compute_statement(engine, user, code, p.code,
                                             factor_set_name=factor_set_name))
    return out


def list_statements(engine: Engine, user: User, code: str, *, kind: str | None = None,
                    year: int | None = None) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        return store.statements(conn, int(project["id"]), kind=kind, year=year)


def get_statement(engine: Engine, user: User, code: str, period: str) -> dict[str, Any]:
    p = StatementPeriod.parse(period)
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        found = store.statement(conn, int(project["id"]), p.kind.value, p.code)
    if found is None:
        raise NotFound.of("project_statement.not_found", project=code, period=p.code)
    return found
