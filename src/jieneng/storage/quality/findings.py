"""Findings in ``quality_finding``: staged per evaluation and replaced set-based
(:func:`replace_findings`), and read back for people (list, one, explain).

One replace per evaluated scope (institutions × year × months): open findings of the
scope that no longer fire are deleted; an explained finding that no longer fires
becomes ``resolved``; the findings that fire are upserted, and a finding that still
holds keeps its ``explained`` state and explanation (a ``resolved`` one firing again
is ``open`` again)."""

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Text,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)

from jieneng.core.quality.findings import Finding
from jieneng.core.quality.model import INDICATORS, Severity
from jieneng.core.scope import Filters

from .. import tables as t
from .._stage import insert_missing, update_changed
from ..bulk import analyze, bulk_insert, ensure_temp, temp_table
from ..scoping import institution_conditions
from .model import FINDING_COLUMNS, Counts

_KEYS = ("institution_id", "year", "month", "carrier", "rule")
_VALUES = ("severity", "value", "expected", "suggested", "params")

_stage = temp_table(
    "tmp_quality_finding",
    Column("institution_id", Integer, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("month", Integer, primary_key=True),
    Column("carrier", String(24), primary_key=True),
    Column("rule", String(32), primary_key=True),
    Column("severity", String(8)),
    Column("value", Float),
    Column("expected", Float),
    Column("suggested", Float),
    Column("params", Text),
)
_scope = temp_table("tmp_quality_scope", Column("institution_id", BigInteger, primary_key=True))


def stage_findings(conn: Connection, frame: pl.DataFrame, counts: Counts) -> None:
    if frame.height == 0:
        return
    frame = frame.with_columns(
        *(pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c)
          for c in ("value", "expected", "suggested")))
    bulk_insert(conn, _stage, frame, columns=list(FINDING_COLUMNS))
    counts.findings += frame.height
    for rule_code, n in frame.group_by("rule").len().iter_rows():
        counts.by_rule[rule_code] = counts.by_rule.get(rule_code, 0) + n


def begin_staging(conn: Connection) -> None:
    """Create (or empty) the staging tables of an evaluation: its findings and its
    institutions (``tmp_quality_scope``)."""
    ensure_temp(conn, _stage)
    ensure_temp(conn, _scope)


def stage_scope(conn: Connection, frame: pl.DataFrame) -> None:
    """Stage the evaluated institutions (``frame``: ``institution_id``)."""
    bulk_insert(conn, _scope, frame)


def stage(conn: Connection, frame: pl.DataFrame, institution_ids: Sequence[int]) -> None:
    """Load findings and the evaluated institutions into the staging tables (tests)."""
    begin_staging(conn)
    stage_scope(conn, pl.DataFrame({"institution_id": list(institution_ids)}))
    stage_findings(conn, frame, Counts())


def replace_findings(conn: Connection, year: int, months: Sequence[int]) -> None:
    """Replace the findings of the staged scope (``tmp_quality_scope`` × ``year`` ×
    ``months``) by the staged findings, in three set-based statements."""
    analyze(conn, _stage)
    analyze(conn, _scope)
    f = t.quality_finding
    match = and_(*(f.c[k] == _stage.c[k] for k in _KEYS))
    in_scope = and_(f.c.institution_id.in_(select(_scope.c.institution_id)),
                    f.c.year == year, f.c.month.in_(list(months)))
    fires = exists(select(1).select_from(_stage).where(match))
    conn.execute(delete(f).where(in_scope, f.c.state == "open", ~fires))
    conn.execute(update(f).where(in_scope, f.c.state == "explained", ~fires)
                 .values(state="resolved"))
    conn.execute(update(f).where(in_scope, f.c.state == "resolved", fires)
                 .values(state="open", explanation=None, explained_by=None,
                         explained_at=None))
    now = datetime.now(UTC)
    if conn.dialect.name == "postgresql":  # UPDATE … FROM: one hash join
        changed = or_(*(f.c[v].is_distinct_from(_stage.c[v]) for v in _VALUES))
        conn.execute(update(f).where(match, changed)
                     .values({**{v: _stage.c[v] for v in _VALUES}, "found_at": now}))
    else:  # SQLite plans UPDATE … FROM badly; correlated probes of the keyed stage
        update_changed(conn, f, _stage, keys=_KEYS, values=_VALUES, extra={"found_at": now})
    insert_missing(conn, f, _stage, keys=_KEYS, values=_VALUES,
                   extra={"found_at": now, "state": "open"})


def finding_of(row: Mapping[str, Any]) -> Finding:
    """A stored row as a :class:`Finding` (indicator codes moved into ``params``)."""
    params: dict[str, float | int | str] = json.loads(row["params"]) if row["params"] else {}
    carrier: str | None = row["carrier"] or None
    if carrier in INDICATORS:
        params.setdefault("indicator", carrier)
        carrier = None
    if carrier and carrier.startswith("room:"):  # datacentre_pue_above: one per room
        carrier = None
    if row["rule"] == "missing_month":
        params["months"] = str(params.get("months", ""))
    for key, value in list(params.items()):
        if isinstance(value, float) and key == "peers":
            params[key] = int(value)
        if isinstance(value, float) and not math.isfinite(value):
            params[key] = 0.0
    return Finding(str(row["rule"]), Severity(row["severity"]), int(row["institution_id"]),
                   int(row["year"]), int(row["month"]) or None, carrier, row["value"],
                   row["expected"], row["suggested"], params)


def list_findings(
    conn: Connection, filters: Filters, *, year: int | None = None, month: int | None = None,
    rule: str | None = None, severity: str | None = None, state: str | None = None,
    offset: int = 0, limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """Findings of the institutions of ``filters`` (the caller's scope), filtered;
    newest period first. Returns ``(rows, total)``."""
    f, i = t.quality_finding, t.institution
    conds: list[Any] = institution_conditions(conn, filters)
    for column, value in ((f.c.year, year), (f.c.month, month), (f.c.rule, rule),
                          (f.c.severity, severity), (f.c.state, state)):
        if value is not None:
            conds.append(column == value)
    base = select(f, i.c.credit_code, i.c.name.label("institution_name"),
                  i.c.region_code).join(i, i.c.id == f.c.institution_id).where(*conds)
    total = int(conn.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    rows = conn.execute(base.order_by(f.c.year.desc(), f.c.month.desc(), i.c.credit_code,
                                      f.c.rule, f.c.carrier).offset(offset).limit(limit))
    return [dict(r._mapping) for r in rows], total


def get_finding(conn: Connection, finding_id: int) -> dict[str, Any] | None:
    f, i = t.quality_finding, t.institution
    row = conn.execute(select(f, i.c.credit_code, i.c.name.label("institution_name"),
                              i.c.region_code).join(i, i.c.id == f.c.institution_id)
                       .where(f.c.id == finding_id)).first()
    return None if row is None else dict(row._mapping)


def explain_finding(conn: Connection, finding_id: int, text: str, *, user_id: int | None
                    ) -> None:
    f = t.quality_finding
    conn.execute(update(f).where(f.c.id == finding_id).values(
        state="explained", explanation=text, explained_by=user_id,
        explained_at=datetime.now(UTC)))
