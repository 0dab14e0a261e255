"""Evaluation rounds (轮次): members, self-assessments, evidence, reviews, scores,
titles held (issue 14 §3).

- ``campaign_round`` — a round of one scheme version for a region and year: its
  ``state`` (``open`` → ``reviewing`` → ``checking`` → ``publicity`` → ``closed``), the
  evaluation month (``eval_year``/``eval_month``: the computed figures cover the 12
  months before it), the self-assessment due date;
- ``campaign_round_member`` — one row per institution invited, unique per round: its
  ``state`` (:data:`jieneng.core.campaigns.rounds.MEMBER_STATES`), where the review
  stands (``review_region`` — the region whose office acts next, ``review_level`` —
  that region's level 1/2/3), the stored score (``total``, ``passed``, ``grade``,
  ``missing`` = items without data), the last return reason, ``computed`` — the
  computed and band items of the last scoring as JSON ``{item: [score, figure, peer
  average]}`` (written with the totals in one UPDATE; the breakdown reads it);
- ``campaign_item_score`` — a score per member × item × stage (``self``, ``review``,
  ``inspection``; ``computed`` stays allowed, but a scoring keeps the computed items on
  the member, above); the final score of a hand item is ``inspection`` if present, else
  ``review``, else ``self``;
- ``campaign_evidence`` — the documents attached to an item (content in the row,
  size-limited by the upload limit, like ``project_document``);
- ``campaign_title`` — titles held (节约型机关, 示范单位, 节水型单位 …): awarded by a round
  or imported from before the platform (``round_id`` NULL), revoked or expired.

Only tables and set-based reads/writes here (the rounds and their members; the scores in
:mod:`.round_scores`, the titles held in :mod:`.title_awards`); the rules are the
services' (:mod:`jieneng.services.campaigns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal,
    or_,
    select,
    update,
)

from . import tables as t
from .campaigns import campaign_scheme_version
from .tables import Double, metadata

ROUND_STATES: tuple[str, ...] = ("open", "reviewing", "checking", "publicity", "closed")
SCORE_STAGES: tuple[str, ...] = ("self", "review", "inspection", "computed")
TITLE_STATES: tuple[str, ...] = ("held", "revoked", "expired")

campaign_round = Table(
    "campaign_round",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version_id", Integer, ForeignKey("campaign_scheme_version.id"), nullable=False),
    Column("scheme_code", String(64), nullable=False),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("title", String(200), nullable=False),
    Column("state", String(12), nullable=False),
    Column("eval_year", SmallInteger, nullable=False),
    Column("eval_month", SmallInteger, nullable=False),
    Column("due", Date, nullable=True),
    Column("factor_set", String(64), nullable=True),
    Column("opened_by", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("state IN ('open', 'reviewing', 'checking', 'publicity', 'closed')",
                    name="state"),
    CheckConstraint("eval_month BETWEEN 1 AND 12", name="eval_month"),
    Index("ix_campaign_round_region_code_year", "region_code", "year"),
)

campaign_round_member = Table(
    "campaign_round_member",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, ForeignKey("campaign_round.id"), nullable=False),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("review_region", CHAR(6), nullable=True),
    Column("review_level", SmallInteger, nullable=True),
    Column("total", Double, nullable=True),
    Column("passed", Boolean, nullable=True),
    Column("grade", String(64), nullable=True),
    Column("missing", Integer, nullable=True),
    Column("reason", Text, nullable=True),
    Column("computed", Text, nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("round_id", "institution_id"),
    # covering: the coverage counts (members, submitted, recommended) read a round's
    # members from the index alone (migration 0029)
    Index("ix_campaign_round_member_round_state_submitted", "round_id", "state",
          "submitted_at", "institution_id"),
    Index("ix_campaign_round_member_institution_id", "institution_id"),
)

campaign_item_score = Table(
    "campaign_item_score",
    metadata,
    Column("member_id", Integer, ForeignKey("campaign_round_member.id"), primary_key=True),
    Column("item_code", String(64), primary_key=True),
    Column("stage", String(12), primary_key=True),
    Column("score", Double, nullable=True),
    Column("value", Double, nullable=True),
    Column("basis", Double, nullable=True),
    Column("note", Text, nullable=True),
    Column("by_user", String(64), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    CheckConstraint("stage IN ('self', 'review', 'inspection', 'computed')", name="stage"),
)

campaign_evidence = Table(
    "campaign_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("campaign_round_member.id"), nullable=False,
           index=True),
    Column("item_code", String(64), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", CHAR(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)

campaign_title = Table(
    "campaign_title",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("scheme_code", String(64), nullable=False),
    Column("round_id", Integer, ForeignKey("campaign_round.id"), nullable=True),
    Column("level", String(16), nullable=False),
    Column("awarded_on", Date, nullable=False),
    Column("valid_until", Date, nullable=True),
    Column("state", String(8), nullable=False),
    Column("revoked_on", Date, nullable=True),
    Column("reason", Text, nullable=True),
    CheckConstraint("state IN ('held', 'revoked', 'expired')", name="state"),
    Index("ix_campaign_title_scheme_code_institution_id", "scheme_code", "institution_id"),
)

_r, _m, _s = campaign_round, campaign_round_member, campaign_item_score
_e, _t = campaign_evidence, campaign_title


# ------------------------------------------------------------------ rounds


def insert_round(conn: Connection, **values: Any) -> int:
    """A new round (``values``: the columns of ``campaign_round``); its id."""
    return int(conn.execute(_r.insert().values(**values).returning(_r.c.id)).scalar_one())


def get_round(conn: Connection, round_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_r).where(_r.c.id == round_id)).first()
    return None if row is None else dict(row._mapping)


def set_round(conn: Connection, round_id: int, **values: Any) -> None:
    conn.execute(update(_r).where(_r.c.id == round_id).values(**values))


# ------------------------------------------------------------------ members


def get_member(conn: Connection, round_id: int, institution_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_m).where(_m.c.round_id == round_id,
                                        _m.c.institution_id == institution_id)).first()
    return None if row is None else dict(row._mapping)


def set_member(conn: Connection, member_id: int, **values: Any) -> None:
    conn.execute(update(_m).where(_m.c.id == member_id).values(**values))


def set_members_state(conn: Connection, round_id: int, institution_ids: Sequence[int],
                      state: str, *, at: datetime) -> int:
    """Move the members of ``institution_ids`` in one round to ``state`` (one statement);
    the number of rows changed."""
    if not institution_ids:
        return 0
    return int(conn.execute(update(_m).where(
        _m.c.round_id == round_id, _m.c.institution_id.in_(list(institution_ids)))
        .values(state=state, updated_at=at)).rowcount)


def insert_members(conn: Connection, round_id: int, conditions: Sequence[Any], *,
                   at: datetime) -> int:
    """Invite every institution matching ``conditions`` (on ``institution``) to a round:
    one ``INSERT … SELECT``; the number invited."""
    i = t.institution
    query = select(literal(round_id), i.c.id, literal("invited"), literal(at, DateTime(
        timezone=True))).where(*conditions)
    conn.execute(_m.insert().from_select(
        ["round_id", "institution_id", "state", "updated_at"], query))
    return int(conn.execute(select(func.count()).where(_m.c.round_id == round_id))
               .scalar_one())


def list_rounds(conn: Connection, *, region_codes: Sequence[str] | None = None,
                year: int | None = None, scheme_code: str | None = None,
                state: str | None = None) -> list[dict[str, Any]]:
    """Rounds (newest first) of ``region_codes`` (None: all) with their member counts."""
    counts = (select(_m.c.round_id, func.count().label("members"))
              .group_by(_m.c.round_id).subquery())
    query = (select(_r, func.coalesce(counts.c.members, 0).label("members"))
             .outerjoin(counts, counts.c.round_id == _r.c.id)
             .order_by(_r.c.year.desc(), _r.c.id.desc()))
    if region_codes is not None:
        query = query.where(_r.c.region_code.in_(list(region_codes)))
    if year is not None:
        query = query.where(_r.c.year == year)
    if scheme_code:
        query = query.where(_r.c.scheme_code == scheme_code)
    if state:
        query = query.where(_r.c.state == state)
    return [dict(r._mapping) for r in conn.execute(query)]


def list_members(conn: Connection, round_id: int, conditions: Sequence[Any], *,
                 state: str | None = None, text: str | None = None,
                 review_region: str | None = None, limit: int | None = None,
                 ) -> list[dict[str, Any]]:
    """The members of a round whose institution matches ``conditions``, with the
    institution's code, name, region and type; by region and credit code."""
    i = t.institution
    query = (select(_m, i.c.credit_code, i.c.name, i.c.region_code, i.c.category)
             .join(i, i.c.id == _m.c.institution_id)
             .where(_m.c.round_id == round_id, *conditions)
             .order_by(i.c.region_code, i.c.credit_code))
    if state:
        query = query.where(_m.c.state == state)
    if review_region:
        query = query.where(_m.c.review_region == review_region)
    if text:
        like = f"%{text.strip()}%"
        query = query.where(or_(i.c.name.like(like), i.c.credit_code.like(like.upper())))
    if limit is not None:
        query = query.limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def state_counts(conn: Connection, round_id: int, conditions: Sequence[Any]
                 ) -> dict[str, int]:
    """state → members of a round (institutions matching ``conditions``)."""
    i = t.institution
    query = (select(_m.c.state, func.count()).join(i, i.c.id == _m.c.institution_id)
             .where(_m.c.round_id == round_id, *conditions).group_by(_m.c.state))
    return {str(s): int(n) for s, n in conn.execute(query)}


def waiting_members(conn: Connection, review_regions: Sequence[str] | None,
                    round_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Members waiting for a review (submitted / under review) at one of
    ``review_regions`` (None: any), with their round and institution."""
    i = t.institution
    query = (select(_m, i.c.credit_code, i.c.name, i.c.region_code, i.c.category,
                    _r.c.title, _r.c.scheme_code, _r.c.region_code.label("round_region"))
             .join(i, i.c.id == _m.c.institution_id).join(_r, _r.c.id == _m.c.round_id)
             .where(_m.c.state.in_(("submitted", "under_review")), _r.c.state != "closed")
             .order_by(_m.c.submitted_at, _m.c.id).limit(limit))
    if review_regions is not None:
        query = query.where(_m.c.review_region.in_(list(review_regions)))
    if round_id is not None:
        query = query.where(_m.c.round_id == round_id)
    return [dict(r._mapping) for r in conn.execute(query)]


def scheme_version_row(conn: Connection, version_id: int) -> Any:
    """The scheme version ``version_id`` (with content), or None."""
    v = campaign_scheme_version
    return conn.execute(select(v).where(v.c.id == version_id)).first()


# ------------------------------------------------------------------ evidence


def add_evidence(conn: Connection, **values: Any) -> int:
    return int(conn.execute(_e.insert().values(**values).returning(_e.c.id)).scalar_one())


def list_evidence(conn: Connection, member_id: int) -> list[dict[str, Any]]:
    """The evidence of a member without content, by item and upload."""
    cols = [c for c in _e.c if c.name != "content"]
    query = select(*cols).where(_e.c.member_id == member_id).order_by(_e.c.item_code, _e.c.id)
    return [dict(r._mapping) for r in conn.execute(query)]


def get_evidence(conn: Connection, evidence_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_e).where(_e.c.id == evidence_id)).first()
    return None if row is None else dict(row._mapping)


def delete_evidence(conn: Connection, evidence_id: int) -> int:
    return int(conn.execute(_e.delete().where(_e.c.id == evidence_id)).rowcount)
