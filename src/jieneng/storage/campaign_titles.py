"""Spot checks, 公示, and 回头看 re-checks of campaign rounds (issue 14 §3).

- ``campaign_spot_check`` — one draw (batch) of a round's sample, several per round (a
  later batch never re-draws a member): who, when, the seed, the rate asked and the
  rule's rate, the population's size and SHA-256 (of its sorted ids), the sample's size
  (a draw is reproducible: same seed + same population + same earlier batches → same
  sample);
- ``campaign_spot_check_member`` — the drawn institutions (``preferred``: not checked in
  the scheme's earlier rounds of the coverage window), the on-site verdict
  (``pass``/``fail``, NULL until inspected), who inspected and when;
- ``campaign_publicity`` — a round's 公示: first and last day, who started it;
- ``campaign_objection`` — an objection (异议) to a member during the 公示, its
  resolution (``upheld`` → the member is rejected, ``dismissed``);
- ``campaign_recheck`` — a 回头看 of a held title (R1's ``campaign_title``): its state
  (:class:`jieneng.core.campaigns.checks.RecheckState`), the finding, the rectification
  deadline, the unit's answer, the conclusion and the last overdue reminder.

Titles themselves are :mod:`jieneng.storage.campaign_rounds`' (``campaign_title``).
Only tables and set-based reads/writes here; the rules are the services'
(:mod:`jieneng.services.campaigns.checks`, ``publicity``, ``rechecks``, ``coverage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)

from .campaign_rounds import campaign_round, campaign_title
from .tables import Double, institution, metadata

VERDICTS: tuple[str, ...] = ("pass", "fail")
RESOLUTIONS: tuple[str, ...] = ("upheld", "dismissed")
RECHECK_STATES: tuple[str, ...] = ("pending", "passed", "rectifying", "rectified", "revoked")

campaign_spot_check = Table(
    "campaign_spot_check",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, ForeignKey("campaign_round.id"), nullable=False, index=True),
    Column("seed", Integer, nullable=False),
    Column("rate", Double, nullable=False),
    Column("rule_rate", Double, nullable=True),
    Column("population", Integer, nullable=False),
    Column("population_sha256", CHAR(64), nullable=False),
    Column("sample_size", Integer, nullable=False),
    Column("preferred", Integer, nullable=False),
    Column("drawn_by", String(64), nullable=False),
    Column("drawn_at", DateTime(timezone=True), nullable=False),
)

campaign_spot_check_member = Table(
    "campaign_spot_check_member",
    metadata,
    Column("check_id", Integer, ForeignKey("campaign_spot_check.id"), primary_key=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), primary_key=True),
    Column("preferred", Boolean, nullable=False),
    Column("verdict", String(4), nullable=True),
    Column("note", Text, nullable=True),
    Column("inspected_by", String(64), nullable=True),
    Column("inspected_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("verdict IS NULL OR verdict IN ('pass', 'fail')", name="verdict"),
    Index("ix_campaign_spot_check_member_institution_id", "institution_id"),
)

campaign_publicity = Table(
    "campaign_publicity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, ForeignKey("campaign_round.id"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("members", Integer, nullable=False),
    Column("published_by", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("round_id"),
    CheckConstraint("ends_on >= starts_on", name="period"),
)

campaign_objection = Table(
    "campaign_objection",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("publicity_id", Integer, ForeignKey("campaign_publicity.id"), nullable=False,
           index=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("raised_by", String(64), nullable=False),
    Column("raised_on", Date, nullable=False),
    Column("resolution", String(10), nullable=True),
    Column("resolution_note", Text, nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("resolution IS NULL OR resolution IN ('upheld', 'dismissed')",
                    name="resolution"),
)

campaign_recheck = Table(
    "campaign_recheck",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title_id", Integer, ForeignKey("campaign_title.id"), nullable=False),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("scheme_code", String(64), nullable=False),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("state", String(10), nullable=False),
    Column("seed", Integer, nullable=True),
    Column("selected_by", String(64), nullable=False),
    Column("selected_at", DateTime(timezone=True), nullable=False),
    Column("checked_on", Date, nullable=True),
    Column("finding", Text, nullable=True),
    Column("checked_by", String(64), nullable=True),
    Column("deadline", Date, nullable=True),
    Column("rectification", Text, nullable=True),
    Column("rectified_on", Date, nullable=True),
    Column("rectified_by", String(64), nullable=True),
    Column("concluded_on", Date, nullable=True),
    Column("concluded_by", String(64), nullable=True),
    Column("reminded_on", Date, nullable=True),
    CheckConstraint("state IN ('pending', 'passed', 'rectifying', 'rectified', 'revoked')",
                    name="state"),
    Index("ix_campaign_recheck_scheme_code_year", "scheme_code", "year"),
    Index("ix_campaign_recheck_title_id", "title_id"),
)

_c, _cm, _p, _o, _k = (campaign_spot_check, campaign_spot_check_member, campaign_publicity,
                       campaign_objection, campaign_recheck)


# ------------------------------------------------------------------ spot checks


def insert_draw(conn: Connection, values: dict[str, Any],
                sample: Sequence[tuple[int, bool]]) -> int:
    """Store a draw and its sample ((institution id, preferred) pairs); the draw's id."""
    check_id = int(conn.execute(_c.insert().values(**values).returning(_c.c.id)).scalar_one())
    if sample:
        conn.execute(_cm.insert(), [{"check_id": check_id, "institution_id": i,
                                     "preferred": p} for i, p in sample])
    return check_id


def draws(conn: Connection, round_id: int) -> list[dict[str, Any]]:
    """The draws of a round, newest first."""
    query = select(_c).where(_c.c.round_id == round_id).order_by(_c.c.id.desc())
    return [dict(r._mapping) for r in conn.execute(query)]


def sample_rows(conn: Connection, check_id: int) -> list[dict[str, Any]]:
    """The sample of a draw with the institutions' codes and names, by credit code."""
    i = institution
    query = (select(_cm, i.c.credit_code, i.c.name, i.c.region_code, i.c.category)
             .join(i, i.c.id == _cm.c.institution_id).where(_cm.c.check_id == check_id)
             .order_by(i.c.credit_code))
    return [dict(r._mapping) for r in conn.execute(query)]


def checked_in_rounds(conn: Connection, round_ids: Sequence[int]) -> set[int]:
    """Institutions drawn by any spot check of ``round_ids``."""
    if not round_ids:
        return set()
    query = (select(_cm.c.institution_id).distinct().join(_c, _c.c.id == _cm.c.check_id)
             .where(_c.c.round_id.in_(list(round_ids))))
    return {int(x) for x in conn.execute(query).scalars()}


def rounds_of(conn: Connection, scheme_code: str, region_code: str, first_year: int,
              last_year: int) -> list[int]:
    """Rounds of a scheme for a region in the years first…last."""
    r = campaign_round
    query = select(r.c.id).where(r.c.scheme_code == scheme_code,
                                 r.c.region_code == region_code,
                                 r.c.year.between(first_year, last_year))
    return [int(x) for x in conn.execute(query).scalars()]


def lock_round(conn: Connection, round_id: int) -> None:
    """Hold the round's row until the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite
    writes one at a time): two draws of a round never read the same earlier batches."""
    r = campaign_round
    conn.execute(select(r.c.id).where(r.c.id == round_id).with_for_update())


def drawn_in_round(conn: Connection, round_id: int) -> set[int]:
    """Institutions drawn by any batch of the round."""
    query = (select(_cm.c.institution_id).distinct().join(_c, _c.c.id == _cm.c.check_id)
             .where(_c.c.round_id == round_id))
    return {int(x) for x in conn.execute(query).scalars()}


def draw_of(conn: Connection, round_id: int, institution_id: int) -> int | None:
    """The draw of the round that sampled the institution (None: not sampled)."""
    found = conn.execute(select(_cm.c.check_id).join(_c, _c.c.id == _cm.c.check_id).where(
        _c.c.round_id == round_id, _cm.c.institution_id == institution_id)).scalar()
    return None if found is None else int(found)


def uninspected(conn: Connection, round_id: int) -> int:
    """Members of the round's samples (every batch) without a verdict."""
    query = (select(func.count()).select_from(_cm).join(_c, _c.c.id == _cm.c.check_id)
             .where(_c.c.round_id == round_id, _cm.c.verdict.is_(None)))
    return int(conn.execute(query).scalar_one())


def in_sample(conn: Connection, check_id: int, institution_id: int) -> bool:
    return conn.execute(select(_cm.c.check_id).where(
        _cm.c.check_id == check_id, _cm.c.institution_id == institution_id)).first() is not None


def set_verdict(conn: Connection, check_id: int, institution_id: int, **values: Any) -> int:
    return int(conn.execute(update(_cm).where(
        _cm.c.check_id == check_id, _cm.c.institution_id == institution_id)
        .values(**values)).rowcount)


# ------------------------------------------------------------------ publicity


def insert_publicity(conn: Connection, **values: Any) -> int:
    return int(conn.execute(_p.insert().values(**values).returning(_p.c.id)).scalar_one())


def publicity_of(conn: Connection, round_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_p).where(_p.c.round_id == round_id)).first()
    return None if row is None else dict(row._mapping)


def insert_objection(conn: Connection, **values: Any) -> int:
    return int(conn.execute(_o.insert().values(**values).returning(_o.c.id)).scalar_one())


def objections(conn: Connection, publicity_id: int) -> list[dict[str, Any]]:
    i = institution
    query = (select(_o, i.c.credit_code, i.c.name).join(i, i.c.id == _o.c.institution_id)
             .where(_o.c.publicity_id == publicity_id).order_by(_o.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]


def get_objection(conn: Connection, objection_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_o).where(_o.c.id == objection_id)).first()
    return None if row is None else dict(row._mapping)


def resolve_objection(conn: Connection, objection_id: int, **values: Any) -> int:
    return int(conn.execute(update(_o).where(_o.c.id == objection_id,
                                             _o.c.resolution.is_(None))
                            .values(**values)).rowcount)


# ------------------------------------------------------------------ 回头看


def held_titles(conn: Connection, scheme_code: str, conditions: Sequence[Any],
                awarded_before: date, on_date: date) -> list[dict[str, Any]]:
    """Titles of ``scheme_code`` held on ``on_date`` by the institutions matching
    ``conditions`` (on ``institution``: the caller's scope and region), awarded before
    ``awarded_before``, without an open 回头看 (pending/rectifying)."""
    t, i = campaign_title, institution
    open_checks = select(_k.c.title_id).where(_k.c.state.in_(("pending", "rectifying")))
    query = (select(t.c.id, t.c.institution_id, i.c.region_code)
             .join(i, i.c.id == t.c.institution_id)
             .where(t.c.scheme_code == scheme_code, t.c.state == "held",
                    t.c.awarded_on < awarded_before, *conditions,
                    (t.c.valid_until.is_(None)) | (t.c.valid_until >= on_date),
                    t.c.id.not_in(open_checks))
             .order_by(t.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]


def insert_rechecks(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    if rows:
        conn.execute(_k.insert(), list(rows))
    return len(rows)


def get_recheck(conn: Connection, recheck_id: int, *, lock: bool = False
                ) -> dict[str, Any] | None:
    query = select(_k).where(_k.c.id == recheck_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return None if row is None else dict(row._mapping)


def set_recheck(conn: Connection, recheck_id: int, **values: Any) -> None:
    conn.execute(update(_k).where(_k.c.id == recheck_id).values(**values))


def list_rechecks(conn: Connection, conditions: Sequence[Any], *,
                  scheme_code: str | None = None, year: int | None = None,
                  state: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
    """Re-checks of the institutions matching ``conditions`` (on ``institution``: the
    caller's scope) with the institution's code and name and the title's award date."""
    t, i = campaign_title, institution
    query = (select(_k, i.c.credit_code, i.c.name, t.c.awarded_on, t.c.level,
                    t.c.state.label("title_state"))
             .join(i, i.c.id == _k.c.institution_id).join(t, t.c.id == _k.c.title_id)
             .where(*conditions))
    for column, value in ((_k.c.scheme_code, scheme_code), (_k.c.year, year),
                          (_k.c.state, state)):
        if value is not None:
            query = query.where(column == value)
    query = query.order_by(_k.c.deadline.is_(None), _k.c.deadline, _k.c.id).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def overdue_rechecks(conn: Connection, today: date) -> list[dict[str, Any]]:
    """Rectifying re-checks past their deadline, not answered, not reminded today."""
    i = institution
    query = (select(_k.c.id, _k.c.institution_id, _k.c.region_code, _k.c.scheme_code,
                    _k.c.deadline, i.c.credit_code, i.c.name)
             .join(i, i.c.id == _k.c.institution_id)
             .where(_k.c.state == "rectifying", _k.c.deadline < today,
                    _k.c.rectified_on.is_(None),
                    (_k.c.reminded_on.is_(None)) | (_k.c.reminded_on < today))
             .order_by(_k.c.region_code, _k.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]


def mark_reminded(conn: Connection, ids: Sequence[int], today: date) -> int:
    """Claim the reminder of ``ids`` for ``today`` (never twice a day); the ids claimed
    are those whose row changed."""
    if not ids:
        return 0
    return int(conn.execute(update(_k).where(
        _k.c.id.in_(list(ids)), (_k.c.reminded_on.is_(None)) | (_k.c.reminded_on < today))
        .values(reminded_on=today)).rowcount)


def recheck_counts(conn: Connection) -> dict[str, int]:
    query = select(_k.c.state, func.count()).group_by(_k.c.state)
    return {str(s): int(n) for s, n in conn.execute(query)}
