"""A project's baseline fits (M&V runs, issue 13 §3): the same engine as ``jieneng mv
fit`` (:func:`jieneng.core.mv.fit.fit_and_evaluate`) on the platform's own data.

- :func:`fit_baseline` — fit one carrier's baseline from the owners' NY201 months
  (``monthly``, the common Chinese case; ``caltrack-billing`` on the same months) or
  the boundary meters' days (``caltrack-daily``), with the temperatures of the
  station serving the project's region (or a given series), evaluate it over a
  reporting window, and store the run (model, metrics, sufficiency, inputs, factor
  set) as the carrier's current one; audited. Capability ``approve_projects``
  (基准确认 is the office's).
- :func:`evaluate` — the same fit over another reporting window with the project's
  approved non-routine adjustments (what a statement uses); refuses when the
  baseline data changed since the run (the model would differ).
- :func:`list_runs` — the runs of a project (current, or all).

Refusals (bilingual, stable codes): too little baseline data (each failed CalTRACK /
platform rule named, from the engine), temperatures missing (no station, no value),
baseline and reporting overlapping, a project without owners or boundary meters, no
qualified model (each candidate's reason) — never a silently wrong saving.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.carriers import carrier as find_carrier
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, factor_set
from jieneng.core.mv.data import DateRange
from jieneng.core.mv.fit import METHODS, FitOptions, fit_and_evaluate
from jieneng.core.mv.monthly import Normalise
from jieneng.core.mv.result import MvResult
from jieneng.core.mv.savings import Adjustment
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.storage import project_settlement as store

from .mv_access import visible_project
from .mv_baseline import baseline_only
from .mv_inputs import FUEL, SOURCE_OF_METHOD, Inputs, Temperatures, gather


def _check(method: str, carrier: str, baseline: DateRange, reporting: DateRange) -> None:
    if method not in METHODS:
        raise ValidationFailed.of("mv.unknown_method", method=method,
                                  methods=", ".join(METHODS))
    if baseline.start <= reporting.end and reporting.start <= baseline.end:
        raise ValidationFailed.of("mv.ranges_overlap",
                                  baseline=f"{baseline.start}..{baseline.end}",
                                  reporting=f"{reporting.start}..{reporting.end}")
    find_carrier(carrier)


def adjustments_of(conn: Connection, project_id: int, carrier: str) -> tuple[Adjustment, ...]:
    """The approved non-routine adjustments of a carrier as the engine takes them:
    ``value`` spread evenly over the days of [start, end) and the ``factor``."""
    out = []
    for a in store.adjustments(conn, project_id, states=("approved",)):
        if a["carrier"] != carrier:
            continue
        days = (a["period_end"] - a["period_start"]).days
        out.append(Adjustment(a["period_start"], a["period_end"] - timedelta(days=1),
                              f"#{a['id']} {a['kind']}: {a['reason']}",
                              factor=float(a["factor"]),
                              delta_per_day=float(a["value"]) / days))
    return tuple(out)


def _run(inputs: Inputs, method: str, carrier: str, baseline: DateRange,
         reporting: DateRange, adjustments: tuple[Adjustment, ...],
         normalise: Normalise = "none") -> MvResult:
    options = FitOptions(fuel=FUEL.get(carrier, "electricity"), temperature_unit="C",
                         adjustments=adjustments, normalise=normalise)
    return fit_and_evaluate(inputs.meter, inputs.temperature, baseline, reporting, method,
                            options)


def _sufficiency_share(out: dict[str, Any]) -> float | None:
    """The baseline's share of valid days or months (the engine's figures)."""
    figures = out["sufficiency"]["figures"]
    if "joint_days" in figures:
        return float(figures["joint_days"])
    if figures.get("window_months"):
        return float(figures["valid_months"]) / float(figures["window_months"])
    return None


def fit_baseline(engine: Engine, user: User, code: str, *, carrier: str = "electricity",
                 method: str = "monthly", baseline: DateRange,
                 reporting: DateRange | None = None, temperatures: Temperatures | None = None,
                 factor_set_name: str | None = None, normalise: Normalise = "none"
                 ) -> dict[str, Any]:
    """Fit and store a baseline run (module docstring). ``normalise`` (``monthly``
    only): ``occupants`` or ``area`` fits use per 用能人数 / m² — the routine adjustment
    for people and area (``docs/mv.md``). Returns the stored run and the engine's
    result (``result``: the JSON of ``jieneng mv fit``)."""
    require(user, Capability.APPROVE_PROJECTS)
    given = reporting is not None
    reporting = reporting or DateRange(baseline.end + timedelta(days=1),
                                       max(baseline.end + timedelta(days=1),
                                           date.today() - timedelta(days=1)))
    _check(method, carrier, baseline, reporting)
    fs = factor_set(factor_set_name or DEFAULT_FACTOR_SET)
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        inputs = gather(conn, project, carrier, method, baseline, reporting, temperatures)
        adjustments = adjustments_of(conn, int(project["id"]), carrier)
    try:
        out = _run(inputs, method, carrier, baseline, reporting, adjustments,
                   normalise).to_dict()
    except ValidationFailed as err:  # 基准确认 before any reporting data: the baseline alone
        if given or err.code != "mv.no_reporting_data":
            raise
        out = baseline_only(inputs.meter, inputs.temperature, baseline, method,
                            fuel=FUEL.get(carrier, "electricity"), normalise=normalise)
    values = {
        "project_id": project["id"], "carrier": carrier, "method": method,
        "source": "file" if temperatures is not None and temperatures.source == "file"
        else SOURCE_OF_METHOD[method],
        "baseline_start": baseline.start, "baseline_end": baseline.end,
        "reporting_start": reporting.start, "reporting_end": reporting.end,
        "qualified": out["qualified"], "cvrmse": out["metrics"]["cv_rmse"],
        "sufficiency": _sufficiency_share(out), "model": out["model"],
        "metrics": out["metrics"], "sufficiency_report": out["sufficiency"],
        "inputs": {**inputs.described, "base_price": inputs.base_price,
                   "adjustments": [a.to_dict() for a in adjustments]},
        "factor_set": fs.name, "created_by": user.actor.username,
    }
    with engine.begin() as conn:
        run_id = store.insert_run(conn, values)
        audit.record(conn, user.actor, "project.baseline", "project", int(project["id"]),
                     after={"run_id": run_id, "carrier": carrier, "method": method,
                            "baseline": f"{baseline.start}..{baseline.end}"})
    return {**values, "id": run_id, "project": project["code"], "result": out}


def evaluate(conn: Connection, project: dict[str, Any], run: dict[str, Any],
             reporting: DateRange, temperatures: Temperatures | None = None
             ) -> tuple[MvResult, Inputs]:
    """The run's model evaluated over ``reporting`` with today's approved adjustments;
    refuses when the refit on the stored baseline window differs from the run."""
    baseline = DateRange(run["baseline_start"], run["baseline_end"])
    _check(run["method"], run["carrier"], baseline, reporting)
    inputs = gather(conn, project, run["carrier"], run["method"], baseline, reporting,
                    temperatures)
    adjustments = adjustments_of(conn, int(project["id"]), run["carrier"])
    result = _run(inputs, run["method"], run["carrier"], baseline, reporting, adjustments,
                  run["model"].get("normalised_by") or "none")
    if _coefficients(result.to_dict()["model"]) != _coefficients(run["model"]):
        raise ValidationFailed.of("project_mv.baseline_changed", run_id=run["id"],
                                  project=project["code"], carrier=run["carrier"])
    return result, inputs


def _coefficients(model: dict[str, Any]) -> tuple[Any, ...]:
    c = model["coefficients"]
    return (model["type"], *(None if v is None else round(float(v), 6)
                             for v in (c["intercept_per_day"], c["beta_hdd_per_f_day"],
                                       c["beta_cdd_per_f_day"])))


def list_runs(engine: Engine, user: User, code: str, *, current_only: bool = True
              ) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        return store.runs(conn, int(project["id"]), current_only=current_only)
