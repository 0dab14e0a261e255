"""Evaluation rounds (轮次, issue 14 §3): open a round for a region, list and read
rounds and their members, move a round's state.

Opening a round (``run_rounds``, the region inside the caller's scope) invites every
active institution of the region's subtree to which the scheme applies — the
categories of ``data/campaigns/coverage_population.csv`` (the same population as the
coverage's 应创建单位; a scheme not listed there applies to every public institution)
— in one ``INSERT … SELECT``, audited. The scheme version is the one given, else the
newest stored for the round's region or a region above it or for everywhere; a
shipped scheme never stored is stored first (``origin shipped``), so a round always
names the version it was opened with.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.campaigns.coverage import population_of
from jieneng.core.campaigns.rounds import ROUND_STATES, check_round_move, next_round_states
from jieneng.core.campaigns.shipped import SHIPPED, shipped, shipped_text
from jieneng.core.categories import categories_under
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.services.scope import Filters, scoped_filters
from jieneng.storage import campaign_rounds as store
from jieneng.storage import campaigns as schemes_store
from jieneng.storage import tables as t
from jieneng.storage.scoping import institution_conditions

from .round_access import find_round, now, tree_of, visible_regions

#: the most members a page lists at once (the Excel export has them all)
MEMBER_PAGE = 2000


def open_round(engine: Engine, user: User, scheme_code: str, region_code: str, year: int, *,
               title: str, due: date | None = None, eval_year: int | None = None,
               eval_month: int | None = None, version: int | None = None,
               factor_set: str | None = None) -> dict[str, Any]:
    """Open a round of ``scheme_code`` for ``region_code`` and ``year``; the evaluation
    month defaults to January of ``year`` (the figures then cover the previous calendar
    year). Returns the round with its member count."""
    require(user, Capability.RUN_ROUNDS)
    title = title.strip()
    if not title:
        raise ValidationFailed.of("round_field_required", field="title")
    if not 2000 <= year <= 2100:
        raise ValidationFailed.of("round_bad_year", field="year", value=year)
    e_year, e_month = eval_year or year, eval_month or 1
    if not 1 <= e_month <= 12 or not 2000 <= e_year <= 2101:
        raise ValidationFailed.of("round_bad_month", field="eval_month",
                                  value=f"{e_year}-{e_month}")
    at = now()
    with engine.begin() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        tree = tree_of(conn)
        version_id, number = _version(conn, user, tree, scheme_code.strip(), region_code,
                                      version)
        round_id = store.insert_round(
            conn, version_id=version_id, scheme_code=scheme_code.strip(),
            region_code=region_code, year=year, title=title[:200], state="open",
            eval_year=e_year, eval_month=e_month, due=due, factor_set=factor_set,
            opened_by=user.username, opened_at=at)
        invited = store.insert_members(conn, round_id, _population(conn, filters, scheme_code),
                                       at=at)
        audit.record(conn, user.actor, "campaigns.round_open", "campaign_round", round_id,
                     after={"scheme": scheme_code, "version": number, "region": region_code,
                            "year": year, "members": invited})
        return {**_round_dict(find_round(conn, user, round_id)), "members": invited,
                "version": number}


def _population(conn: Connection, filters: Filters, scheme_code: str) -> list[Any]:
    found = population_of(scheme_code)
    categories = (None if found is None or not found.categories
                  else [c for g in found.categories for c in categories_under(g)])
    return [*institution_conditions(conn, filters, categories=categories),
            t.institution.c.status == "active"]


def _version(conn: Connection, user: User, tree: RegionTree, code: str, region: str,
             number: int | None) -> tuple[int, int]:
    """The id and number of the scheme version the round uses."""
    stored = schemes_store.versions(conn, code)
    if number is not None:
        for v in stored:
            if v["version"] == number:
                return int(v["id"]), number
        raise NotFound.of("campaign_scheme_version_not_found", code=code, version=number)
    lineage = tree.lineage(region)
    usable = [v for v in stored if v["region_code"] is None or v["region_code"] in lineage]
    if usable:
        def rank(v: dict[str, Any]) -> tuple[int, int]:
            where = v["region_code"]
            return (len(lineage) - lineage.index(where) if where else 0, v["version"])
        best = max(usable, key=rank)
        return int(best["id"]), int(best["version"])
    if code not in SHIPPED:
        raise NotFound.of("campaign_scheme_not_found", code=code)
    text = shipped_text(code)
    made = schemes_store.add_version(
        conn, shipped(code), content=text, sha256=hashlib.sha256(text.encode()).hexdigest(),
        origin="shipped", region_code=None, created_by=user.username, file_name=f"{code}.csv")
    return int(made["id"]), int(made["version"])


def list_rounds(db: Reader, user: User, *, region_code: str | None = None,
                year: int | None = None, scheme_code: str | None = None,
                state: str | None = None) -> list[dict[str, Any]]:
    """The rounds the caller sees (of ``region_code``'s subtree when given), newest
    first, each with its member count."""
    with reading(db) as conn:
        tree = tree_of(conn)
        seen = visible_regions(conn, user, tree)
        wanted: set[str] | None = seen
        if region_code:
            if region_code not in tree:
                raise NotFound.of("scope.region_not_found", region_code=region_code)
            below = set(tree.subtree(region_code))
            wanted = below if seen is None else below & seen
            if not wanted:  # a region outside the scope, as everywhere: not found
                raise NotFound.of("scope.region_not_found", region_code=region_code)
        rows = store.list_rounds(conn, region_codes=None if wanted is None else sorted(wanted),
                                 year=year, scheme_code=scheme_code or None,
                                 state=state or None)
    out = []
    for r in rows:
        code = str(r["region_code"]).strip()
        out.append({**_round_dict({**r, "region_code": code,
                                   "region_name": tree.name(code) if code in tree else ""}),
                    "members": int(r["members"])})
    return out


def get_round(db: Reader, user: User, round_id: int) -> dict[str, Any]:
    """A round with its member counts per state (members in the caller's scope)."""
    with reading(db) as conn:
        row = find_round(conn, user, round_id)
        conditions = institution_conditions(conn, scoped_filters(conn, user.scope))
        counts = store.state_counts(conn, round_id, conditions)
    return {**_round_dict(row), "counts": counts, "members": sum(counts.values())}


def round_members(db: Reader, user: User, round_id: int, *, state: str | None = None,
                  region_code: str | None = None, text: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
    """The members of a round in the caller's scope (of ``region_code``'s subtree when
    given), by region and credit code."""
    with reading(db) as conn:
        find_round(conn, user, round_id)
        tree = tree_of(conn)
        filters = scoped_filters(conn, user.scope, region_code=region_code or None)
        rows = store.list_members(conn, round_id, institution_conditions(conn, filters),
                                  state=state or None, text=text or None, limit=limit)
    return [member_dict(r, tree) for r in rows]


def set_round_state(engine: Engine, user: User, round_id: int, state: str) -> dict[str, Any]:
    """Move a round to ``state`` (``run_rounds``, the round's region in the caller's
    scope) when ``data/campaigns/round_transitions.csv`` allows the move by the state
    form (else ``round_state_not_allowed``, nothing changed); audited."""
    require(user, Capability.RUN_ROUNDS)
    if state not in ROUND_STATES:
        raise ValidationFailed.of("round_bad_state", field="state", value=state[:20])
    with engine.begin() as conn:
        row = find_round(conn, user, round_id)
        scoped_filters(conn, user.scope, region_code=row["region_code"])
        check_round_move(str(row["state"]), state)
        values: dict[str, Any] = {"state": state}
        if state == "closed":
            values["closed_at"] = now()
        store.set_round(conn, round_id, **values)
        audit.record(conn, user.actor, "campaigns.round_state", "campaign_round", round_id,
                     before={"state": row["state"]}, after={"state": state})
        return _round_dict(find_round(conn, user, round_id))


def member_dict(r: dict[str, Any], tree: RegionTree) -> dict[str, Any]:
    """A member row as the pages and the API give it."""
    region = str(r["region_code"]).strip()
    review = str(r["review_region"]).strip() if r.get("review_region") else None
    return {
        "member_id": int(r["id"]), "institution_id": int(r["institution_id"]),
        "credit_code": str(r["credit_code"]).strip(), "name": r["name"],
        "region_code": region, "region_name": tree.name(region) if region in tree else "",
        "category": str(r["category"]).strip(), "state": r["state"],
        "review_region": review,
        "review_region_name": tree.name(review) if review and review in tree else None,
        "review_level": r.get("review_level"), "total": r.get("total"),
        "passed": r.get("passed"), "grade": r.get("grade"), "missing": r.get("missing"),
        "reason": r.get("reason"),
        "submitted_at": _iso(r.get("submitted_at")), "updated_at": _iso(r.get("updated_at")),
    }


def _round_dict(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": int(r["id"]), "scheme_code": r["scheme_code"], "version_id": int(r["version_id"]),
        "region_code": str(r["region_code"]).strip(), "region_name": r.get("region_name", ""),
        "year": int(r["year"]), "title": r["title"], "state": r["state"],
        "next_states": list(next_round_states(str(r["state"]))),
        "eval_year": int(r["eval_year"]), "eval_month": int(r["eval_month"]),
        "due": r["due"].isoformat() if r.get("due") else None,
        "factor_set": r.get("factor_set"), "opened_by": r["opened_by"],
        "opened_at": _iso(r.get("opened_at")), "scored_at": _iso(r.get("scored_at")),
        "closed_at": _iso(r.get("closed_at")),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


__all__ = ["MEMBER_PAGE", "get_round", "list_rounds", "member_dict", "open_round",
           "round_members", "set_round_state"]
