"""The SQL of campaign coverage (:mod:`jieneng.services.campaigns.coverage`): for a
scheme and a year, the set of institutions each count counts (round members, their
submissions and states, spot-check samples, titles awarded and held, concluded 回头看) and
the count columns over them — ``SUM(CASE WHEN institution.id IN (set))``, which both
databases evaluate once per statement — that the service puts in its one grouped
statement."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.campaigns.checks import CONCLUDED, PASSED
from jieneng.core.campaigns.coverage import COUNTS

from .campaign_rounds import campaign_round, campaign_round_member, campaign_title
from .campaign_titles import campaign_recheck, campaign_spot_check, campaign_spot_check_member
from .tables import institution

#: member states that mean a review recommended the member (or later)
RECOMMENDED_STATES: tuple[str, ...] = ("recommended", "publicised", "awarded", "rejected")


def count_sets(scheme_code: str, year: int, level: str | None = None) -> dict[str, Select[Any]]:
    """count name → the institutions it counts (a SELECT of their ids), for every count
    of :data:`COUNTS` but ``eligible`` and ``taking_part`` (= members ∪ titles held);
    ``level``: the title counts (and the 回头看 of titles) of titles of that level."""
    r, m, t, k = campaign_round, campaign_round_member, campaign_title, campaign_recheck
    c, cm = campaign_spot_check, campaign_spot_check_member
    first, last = date(year, 1, 1), date(year, 12, 31)
    in_round = (r.c.scheme_code == scheme_code, r.c.year == year)
    of_level = () if level is None else (t.c.level == level,)
    of_titles = () if level is None else (k.c.title_id.in_(
        select(t.c.id).where(t.c.scheme_code == scheme_code, *of_level)),)

    def members(*condition: ColumnElement[bool]) -> Select[Any]:
        return select(m.c.institution_id).join(r, r.c.id == m.c.round_id).where(
            *in_round, *condition)

    def rechecks(states: Collection[Any]) -> Select[Any]:
        return select(k.c.institution_id).where(
            k.c.scheme_code == scheme_code, k.c.concluded_on.between(first, last),
            k.c.state.in_(sorted(s.value for s in states)), *of_titles)

    return {
        "members": members(),
        "self_assessed": members(m.c.submitted_at.is_not(None)),
        "spot_checked": (select(cm.c.institution_id).join(c, c.c.id == cm.c.check_id)
                         .join(r, r.c.id == c.c.round_id).where(*in_round)),
        "recommended": members(m.c.state.in_(RECOMMENDED_STATES)),
        "awarded": select(t.c.institution_id).where(t.c.scheme_code == scheme_code,
                                                    t.c.awarded_on.between(first, last),
                                                    *of_level),
        "titles_held": select(t.c.institution_id).where(
            t.c.scheme_code == scheme_code, *of_level, t.c.awarded_on <= last,
            or_(t.c.state == "held", and_(t.c.state == "revoked", t.c.revoked_on > last)),
            or_(t.c.valid_until.is_(None), t.c.valid_until >= last)),
        "rechecked": rechecks(CONCLUDED),
        "recheck_passed": rechecks(PASSED),
    }


#: the counts whose set reads the scheme's rounds of the year (members, their
#: submissions and states, the spot-check samples drawn in a round): empty without one
ROUND_COUNTS: frozenset[str] = frozenset(
    {"members", "self_assessed", "spot_checked", "recommended"})


def count_columns(scheme_code: str, year: int, wanted: Collection[str],
                   level: str | None = None, has_round: bool = True
                   ) -> dict[str, ColumnElement[Any]]:
    """count name → its column for one scheme: every ``wanted`` count of :data:`COUNTS`
    but ``eligible``, each a SUM of ``CASE WHEN id IN (its set)`` — a semi-join each
    database evaluates once per statement (PostgreSQL: a hashed subplan; SQLite: an
    ephemeral index); ``level``: of titles of that level (:func:`count_sets`). Without a
    round of the scheme in the year (``has_round``) the sets of :data:`ROUND_COUNTS`
    are empty: no column (the count is 0, left out like every zero), and
    ``taking_part`` is the titles held alone."""
    i, sets = institution, count_sets(scheme_code, year, level)

    def share(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    columns: dict[str, ColumnElement[Any]] = {}
    for name in COUNTS:
        if name in ROUND_COUNTS and not has_round:
            continue
        if name in sets and name in wanted:
            columns[name] = share(i.c.id.in_(sets[name]))
        elif name == "taking_part" and name in wanted:
            columns[name] = share(or_(i.c.id.in_(sets["members"]),
                                      i.c.id.in_(sets["titles_held"])) if has_round
                                  else i.c.id.in_(sets["titles_held"]))
    return columns


def schemes_with_round(conn: Connection, schemes: Collection[str], year: int) -> set[str]:
    """The schemes among ``schemes`` with a round (of any region) in ``year``."""
    r = campaign_round
    found = conn.execute(select(r.c.scheme_code).distinct()
                         .where(r.c.year == year, r.c.scheme_code.in_(sorted(schemes))))
    return {str(code) for code in found.scalars()}
