"""The M&V parts of the project page: savings to date, the model's line, the monthly
adjusted-baseline-vs-actual chart, the statements, the settlements and the non-routine
adjustments (with who may propose and decide), read through the services of
:mod:`jieneng.services.projects` (mv_runs, statements, settlement, adjustments).

The energy columns are those of the project's main carrier (electricity when it has
it, else the first of its statements); tce, tCO₂ and 元 are the statements' totals
over every carrier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.carriers import carrier as carrier_of
from jieneng.core.exceptions import DomainError
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.core.projects.cadence import kind_label
from jieneng.services.projects.adjustments import list_adjustments
from jieneng.services.projects.mv_runs import list_runs
from jieneng.services.projects.settlement import list_settlements
from jieneng.services.projects.statements import list_statements

#: the finest statements first: what "to date" sums
KIND_ORDER = ("monthly", "quarterly", "annual")


def finest_kind(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The finest kind of statement among ``rows`` (monthly before quarterly before
    annual): what savings to date, the page and the M&V report sum."""
    return next((k for k in KIND_ORDER if any(r["kind"] == k for r in rows)), None)
ADJUSTMENT_KINDS = ("area", "occupants", "hours", "added_load")
#: the carriers an adjustment may be of
CARRIERS = ("electricity", "water", "natural_gas", "heat")


def _carrier_label(code: str, lang: str) -> str:
    found = carrier_of(code)
    return found.name_en if lang == "en" else found.names_zh[0]


def _main(statements: Sequence[Mapping[str, Any]]) -> str | None:
    carriers = {c for s in statements for c in (s.get("figures") or {}).get("carriers") or {}}
    return "electricity" if "electricity" in carriers else min(carriers, default=None)


def unit_of(carrier: str | None, lang: str) -> str:
    if not carrier:
        return ""
    try:
        found = carrier_of(carrier)
    except DomainError:  # an unknown code reads as itself
        return carrier
    return found.canonical_unit  # kWh, m³: as the statistics pages write them


def statement_rows(statements: Sequence[Mapping[str, Any]], main: str | None,
                   lang: str) -> list[dict[str, Any]]:
    """One row a statement (the columns of ``STATEMENT_COLUMNS``)."""
    rows = []
    for s in statements:
        c = ((s.get("figures") or {}).get("carriers") or {}).get(main or "", {})
        rows.append({"period": s["period"], "kind": s["kind"],
                     "kind_label": kind_label(s["kind"], lang),
                     "adjusted_baseline": c.get("adjusted_baseline"), "actual": c.get("actual"),
                     "savings": c.get("savings"), "savings_share": c.get("savings_pct"),
                     "savings_tce": s.get("savings_tce"), "savings_co2": s.get("savings_co2_t"),
                     "savings_yuan": s.get("savings_yuan"), "uncertainty": c.get("uncertainty")})
    return sorted(rows, key=lambda r: (KIND_ORDER.index(r["kind"])
                                       if r["kind"] in KIND_ORDER else 9, r["period"]))


def chart(statements: Sequence[Mapping[str, Any]], main: str | None, unit: str
          ) -> dict[str, Any] | None:
    """The months of every statement (each month once): adjusted baseline, observed,
    savings."""
    months: dict[str, Mapping[str, Any]] = {}
    for s in statements:
        c = ((s.get("figures") or {}).get("carriers") or {}).get(main or "", {})
        for m in c.get("months") or ():
            months.setdefault(str(m["label"]), m)
    if not months:
        return None
    labels = sorted(months)
    return {"months": labels, "unit": unit,
            "adjusted": [months[k].get("adjusted_baseline") for k in labels],
            "actual": [months[k].get("observed") for k in labels],
            "savings": [months[k].get("savings") for k in labels]}


def _sum(values: Sequence[Any]) -> float | None:
    given = [float(v) for v in values if v is not None]
    return sum(given) if given else None


def to_date(rows: Sequence[Mapping[str, Any]], months: Mapping[str, Any] | None
            ) -> dict[str, Any] | None:
    """Savings to date: the chart's months summed (energy), the finest statements'
    tce, tCO₂ and 元."""
    finest = finest_kind(rows)
    if finest is None:
        return None
    chosen = [r for r in rows if r["kind"] == finest]
    adjusted = _sum(months["adjusted"]) if months else _sum([r["adjusted_baseline"]
                                                             for r in chosen])
    actual = _sum(months["actual"]) if months else _sum([r["actual"] for r in chosen])
    savings = _sum(months["savings"]) if months else _sum([r["savings"] for r in chosen])
    return {"adjusted_baseline": adjusted, "actual": actual, "savings": savings,
            "savings_share": savings / adjusted if savings is not None and adjusted else None,
            "savings_tce": _sum([r["savings_tce"] for r in chosen]),
            "savings_co2": _sum([r["savings_co2"] for r in chosen]),
            "savings_yuan": _sum([r["savings_yuan"] for r in chosen])}


def model_line(runs: Sequence[Mapping[str, Any]], main: str | None, lang: str
               ) -> dict[str, Any] | None:
    run = next((r for r in runs if r.get("carrier") == main), runs[0] if runs else None)
    if run is None:
        return None
    metrics = run.get("metrics") or {}
    report = run.get("sufficiency_report") or {}
    reasons = [str(r.get("message_en" if lang == "en" else "message_zh") or r.get("code"))
               for r in report.get("reasons") or () if r.get("severity") == "error"]
    return {"method": text(lang, f"projects.web.method.{run['method']}"),
            "method_code": run["method"], "carrier": run.get("carrier"),
            "baseline": f"{run.get('baseline_start')} – {run.get('baseline_end')}",
            "r2": metrics.get("r_squared"), "cvrmse": metrics.get("cv_rmse"),
            "nmbe": metrics.get("nmbe"), "qualified": bool(run.get("qualified")),
            "reasons": reasons, "model": run.get("model"), "metrics": metrics,
            "sufficiency": run.get("sufficiency")}


def settlement_rows(settlements: Sequence[Mapping[str, Any]], lang: str
                    ) -> list[dict[str, Any]]:
    return [{"period": s["period"], "mode": s["mode"],
             "mode_label": label_or_code(lang, "projects.web.mode", s["mode"]),
             "amount_yuan": s.get("amount_yuan"), "esco_margin_yuan": s.get("esco_margin_yuan"),
             "state": s.get("state"),
             "state_label": label_or_code(lang, "projects.web.settlement_state", s.get("state")),
             "amounts": s.get("amounts")} for s in settlements]


def label_or_code(lang: str, prefix: str, code: Any) -> str:
    return "" if code is None else text(lang, f"{prefix}.{code}")


def adjustment_rows(user: User, adjustments: Sequence[Mapping[str, Any]], lang: str
                    ) -> list[dict[str, Any]]:
    decider = user.can(Capability.APPROVE_PROJECTS)
    return [{"id": a["id"], "kind": a["kind"],
             "kind_label": label_or_code(lang, "projects.web.adj", a["kind"]),
             "carrier": a.get("carrier"), "unit": unit_of(a.get("carrier"), lang),
             "period": f"{a.get('period_start')} – {a.get('period_end')}",
             "amount": a.get("value"), "factor": a.get("factor"), "reason": a.get("reason"),
             "evidence": f"#{a.get('document_id')}", "document_id": a.get("document_id"),
             "state": a.get("state"),
             "state_label": label_or_code(lang, "projects.web.adj_state", a.get("state")),
             "decision_note": a.get("decision_note"),
             "can_decide": decider and a.get("state") == "proposed"
             and a.get("created_by") != user.actor.username} for a in adjustments]


def mv_parts(engine: Engine, user: User, project: Mapping[str, Any], lang: str
             ) -> dict[str, Any]:
    """``savings``, ``statements``, ``settlements``, ``adjustments``, ``can_propose``
    and ``adjustment_kinds`` of ``project`` (a dict of :func:`get_project`)."""
    code = str(project["code"])
    statements = list_statements(engine, user, code)
    main = _main(statements)
    unit = unit_of(main, lang)
    rows = statement_rows(statements, main, lang)
    months = chart(statements, main, unit)
    runs = list_runs(engine, user, code)
    return {"savings": {"carrier": main, "unit": unit, "to_date": to_date(rows, months),
                        "model": model_line(runs, main, lang), "chart": months},
            "statements": rows,
            "settlements": settlement_rows(list_settlements(engine, user, code), lang),
            "adjustments": adjustment_rows(user, list_adjustments(engine, user, code), lang),
            "can_propose": user.can(Capability.MANAGE_PROJECTS),
            "carriers": [{"code": c, "label": _carrier_label(c, lang)} for c in CARRIERS],
            "adjustment_kinds": [{"code": k, "label": text(lang, f"projects.web.adj.{k}")}
                                 for k in ADJUSTMENT_KINDS]}
