"""The scores of a round's members (``campaign_item_score`` per member × item × stage,
and the totals stored on ``campaign_round_member``; tables in :mod:`.campaign_rounds`):
a member's scores, replacing a stage's, and the set-based reads and the one-UPDATE write
of a round's scoring (:mod:`jieneng.services.campaigns.round_scoring`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Boolean, Column, Connection, Integer, String, Text, select, update

from . import tables as t
from .bulk import analyze, bulk_insert, ensure_temp, read_frame, temp_table
from .campaign_rounds import campaign_item_score as _s
from .campaign_rounds import campaign_round_member as _m
from .tables import Double


def member_scores(conn: Connection, member_id: int) -> list[dict[str, Any]]:
    """Every stored score of a member (all stages), by item and stage."""
    query = select(_s).where(_s.c.member_id == member_id).order_by(_s.c.item_code, _s.c.stage)
    return [dict(r._mapping) for r in conn.execute(query)]


def put_scores(conn: Connection, member_id: int, stage: str,
               rows: Sequence[dict[str, Any]]) -> None:
    """Replace the ``stage`` scores of the items in ``rows`` (each: item_code, score,
    note, by_user, at) for one member."""
    codes = [r["item_code"] for r in rows]
    if not codes:
        return
    conn.execute(_s.delete().where(_s.c.member_id == member_id, _s.c.stage == stage,
                                   _s.c.item_code.in_(codes)))
    conn.execute(_s.insert(), [{**r, "member_id": member_id, "stage": stage} for r in rows])


def delete_empty(conn: Connection, member_id: int, stage: str) -> None:
    """Remove the ``stage`` rows of a member with neither a score nor a note."""
    conn.execute(_s.delete().where(_s.c.member_id == member_id, _s.c.stage == stage,
                                   _s.c.score.is_(None), _s.c.note.is_(None)))


def member_frame(conn: Connection, round_id: int) -> Any:
    """The members of a round (member id, institution id, category) as a polars frame,
    by member id."""
    i = t.institution
    query = (select(_m.c.id, _m.c.institution_id, i.c.category)
             .join(i, i.c.id == _m.c.institution_id)
             .where(_m.c.round_id == round_id).order_by(_m.c.id))
    return read_frame(conn, query, {"member_id": pl.Int64, "institution_id": pl.Int64,
                                    "category": pl.Utf8})


def hand_score_frame(conn: Connection, round_id: int) -> Any:
    """Every hand score (stages self, review, inspection) of a round's members."""
    query = (select(_s.c.member_id, _s.c.item_code, _s.c.stage, _s.c.score)
             .join(_m, _m.c.id == _s.c.member_id)
             .where(_m.c.round_id == round_id, _s.c.stage != "computed",
                    _s.c.score.is_not(None)))
    return read_frame(conn, query, {"member_id": pl.Int64, "item_code": pl.Utf8,
                                    "stage": pl.Utf8, "score": pl.Float64})


_score_stage = temp_table(
    "tmp_round_score",
    Column("member_id", Integer, primary_key=True),
    Column("total", Double), Column("passed", Boolean), Column("grade", String(64)),
    Column("missing", Integer), Column("computed", Text))


def store_round_scores(conn: Connection, totals: Any, *, at: datetime) -> None:
    """Store every member's total, passed, grade, missing and computed items
    (``totals``: a frame with member_id, total, passed, grade, missing, computed) in
    one UPDATE from a staged table."""
    ensure_temp(conn, _score_stage)
    bulk_insert(conn, _score_stage, totals)
    analyze(conn, _score_stage)
    st = _score_stage
    conn.execute(update(_m).where(_m.c.id == st.c.member_id).values(
        total=st.c.total, passed=st.c.passed, grade=st.c.grade, missing=st.c.missing,
        computed=st.c.computed, updated_at=at))
