"""The grouped reads the plan indicators need that no other module offers per region
(:mod:`jieneng.services.workplans.indicators`): vehicles bought and parking per region,
and a fingerprint of the campaign tables (the key of a cached coverage).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, case, func, select

from jieneng.core.fleet import nev_codes
from jieneng.core.scope import Filters

from . import tables as t
from .campaign_rounds import campaign_round, campaign_round_member, campaign_title
from .campaign_titles import campaign_recheck, campaign_spot_check_member
from .fleet import fleet_parking, fleet_vehicle
from .scoping import institution_conditions


def fleet_by_region(conn: Connection, filters: Filters, year: int
                    ) -> dict[str, dict[str, int]]:
    """Per institution region code inside ``filters``: vehicles bought in
    ``year`` (``bought``), of them NEVs (``bought_nev``), Σ parking and Σ charging
    spaces of ``year`` — two grouped queries."""
    i, v, p = t.institution, fleet_vehicle, fleet_parking
    nev = list(nev_codes())
    out: dict[str, dict[str, int]] = {}

    def slot(code: Any) -> dict[str, int]:
        return out.setdefault(str(code).strip(), {"bought": 0, "bought_nev": 0,
                                                  "parking": 0, "charging": 0})

    bought = conn.execute(
        select(i.c.region_code, func.count().label("bought"),
               func.sum(case((v.c.fuel.in_(nev), 1), else_=0)).label("nev"))
        .select_from(v.join(i, i.c.id == v.c.institution_id))
        .where(v.c.purchase_year == year, *institution_conditions(conn, filters))
        .group_by(i.c.region_code))
    for r in bought:
        s = slot(r.region_code)
        s["bought"], s["bought_nev"] = int(r.bought), int(r.nev or 0)
    spaces = conn.execute(
        select(i.c.region_code, func.sum(p.c.parking_spaces).label("parking"),
               func.sum(p.c.charging_spaces).label("charging"))
        .select_from(p.join(i, i.c.id == p.c.institution_id))
        .where(p.c.year == year, *institution_conditions(conn, filters))
        .group_by(i.c.region_code))
    for r in spaces:
        s = slot(r.region_code)
        s["parking"], s["charging"] = int(r.parking or 0), int(r.charging or 0)
    return out


def campaign_fingerprint(conn: Connection) -> tuple[Any, ...]:
    """A cheap fingerprint of everything a scheme's coverage reads (rounds, members —
    each change of a member, a self-assessment's submission included, sets its
    ``updated_at`` —, titles and their state, spot-check draws, re-checks and their
    outcome) — one statement of aggregates. Campaign writes do not move the data
    version, so a cached coverage (:mod:`jieneng.services.workplans.indicators`) is keyed
    by this too: any insert, state change, submission, revocation or conclusion changes
    it."""
    def agg(table: Table, *extra: Any) -> list[Any]:
        return [select(func.count()).select_from(table).scalar_subquery(),
                select(func.max(table.c.id)).scalar_subquery(),
                *(select(e).select_from(table).scalar_subquery() for e in extra)]

    m, ti, k = campaign_round_member, campaign_title, campaign_recheck
    sm = campaign_spot_check_member

    def states(column: Any, values: tuple[str, ...]) -> list[Any]:
        return [func.sum(case((column == v, 1), else_=0)) for v in values]

    row = conn.execute(select(
        *agg(campaign_round),
        select(func.max(m.c.id)).scalar_subquery(),  # members are never deleted
        select(func.max(m.c.updated_at)).scalar_subquery(),  # set by every change
        *agg(ti, func.count(ti.c.revoked_on), func.count(ti.c.valid_until),
             *states(ti.c.state, ("held", "revoked", "expired"))),
        select(func.max(sm.c.check_id)).scalar_subquery(),  # a draw's members come with it
        *agg(k, func.count(k.c.concluded_on),
             *states(k.c.state, ("pending", "passed", "rectifying", "rectified",
                                 "revoked"))))).one()
    return tuple(str(v) for v in row)
