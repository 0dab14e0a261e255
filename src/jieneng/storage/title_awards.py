"""Titles held (``campaign_title``, :mod:`.campaign_rounds`): who holds a scheme's title
on a day, awards (by a round's 公示, or imported from before the platform) and
revocations (a failed 回头看). Set-based reads and writes only; the rules are the
services' (:mod:`jieneng.services.campaigns.publicity`, ``.rechecks``, ``.flags``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from .campaign_rounds import campaign_title as _t


def titles_held(conn: Connection, scheme_code: str, on_date: date,
                institution_ids: Sequence[int] | None = None) -> dict[int, dict[str, Any]]:
    """institution id → its title of ``scheme_code`` held on ``on_date`` (state
    ``held``, awarded on or before, valid until on or after or without end; the newest
    award when several)."""
    query = (select(_t).where(
        _t.c.scheme_code == scheme_code, _t.c.state == "held", _t.c.awarded_on <= on_date,
        or_(_t.c.valid_until.is_(None), _t.c.valid_until >= on_date))
        .order_by(_t.c.institution_id, _t.c.awarded_on))
    if institution_ids is not None:
        if not institution_ids:
            return {}
        query = query.where(_t.c.institution_id.in_(list(institution_ids)))
    return {int(r.institution_id): dict(r._mapping) for r in conn.execute(query)}


def award_titles(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert titles held (each: institution_id, scheme_code, round_id, level,
    awarded_on, valid_until); the number inserted."""
    if not rows:
        return 0
    conn.execute(_t.insert(), [{**r, "state": "held", "revoked_on": None,
                                "reason": r.get("reason")} for r in rows])
    return len(rows)


def revoke_title(conn: Connection, title_id: int, *, revoked_on: date, reason: str) -> int:
    """Revoke a held title; the number of rows changed (0: none held with that id)."""
    return int(conn.execute(update(_t).where(and_(_t.c.id == title_id, _t.c.state == "held"))
                            .values(state="revoked", revoked_on=revoked_on,
                                    reason=reason)).rowcount)


def titles_of(conn: Connection, institution_id: int) -> list[dict[str, Any]]:
    query = select(_t).where(_t.c.institution_id == institution_id).order_by(
        _t.c.awarded_on.desc(), _t.c.id.desc())
    return [dict(r._mapping) for r in conn.execute(query)]
