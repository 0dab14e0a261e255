"""What the round services share: the round a caller may see, its scheme version
parsed, a member looked up by the institution's credit code, the review chain.

A round is visible to a caller whose scope holds a region of the round's subtree (the
office that opened it and those above it, the offices below it that review, the
units invited); anything else is answered as not found (:mod:`jieneng.services.scope`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import review_chain
from jieneng.core.campaigns.scheme import Scheme
from jieneng.core.campaigns.shipped import rows_of
from jieneng.core.campaigns.validate import check_scheme
from jieneng.core.exceptions import NotFound
from jieneng.core.regions import RegionTree
from jieneng.core.scope import ScopeKind
from jieneng.services.scope import held_regions, scoped_filters, visible_institution
from jieneng.storage import campaign_rounds as store
from jieneng.storage import regions


def now() -> datetime:
    return datetime.now(UTC)


def tree_of(conn: Connection) -> RegionTree:
    return RegionTree(regions.load_regions(conn))


def visible_regions(conn: Connection, user: User, tree: RegionTree) -> set[str] | None:
    """The regions whose rounds the caller sees (None: all): the regions it holds
    something in and every region above them."""
    held = held_regions(conn, user.scope, tree)
    if held is None:
        return None
    return {a for h in held for a in tree.lineage(h)} | held


def find_round(conn: Connection, user: User, round_id: int) -> dict[str, Any]:
    """The round ``round_id`` when the caller sees it; NotFound otherwise."""
    row = store.get_round(conn, round_id)
    if row is None:
        raise NotFound.of("round_not_found", round=round_id)
    tree = tree_of(conn)
    seen = visible_regions(conn, user, tree)
    if seen is not None and str(row["region_code"]) not in seen:
        raise NotFound.of("round_not_found", round=round_id)
    row["region_code"] = str(row["region_code"]).strip()
    row["region_name"] = tree.name(row["region_code"]) if row["region_code"] in tree else ""
    return row


@lru_cache(maxsize=32)
def _parsed(version_id: int, sha256: str, content: str, name: str) -> Scheme:
    return check_scheme(rows_of(content), name=name)


def round_scheme(conn: Connection, round_row: dict[str, Any]) -> Scheme:
    """The scheme version a round was opened with (parsed once per process)."""
    row = store.scheme_version_row(conn, int(round_row["version_id"]))
    if row is None:  # the foreign key forbids it
        raise NotFound.of("round_not_found", round=round_row["id"])
    return _parsed(int(row.id), str(row.sha256), str(row.content),
                   f"{round_row['scheme_code']} v{row.version}")


def find_member(conn: Connection, user: User, round_row: dict[str, Any], credit_code: str
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The member of the round for the institution ``credit_code`` (in the caller's
    scope) and the institution; NotFound otherwise."""
    inst = visible_institution(conn, user.scope, credit_code)
    member = store.get_member(conn, int(round_row["id"]), inst.id)
    if member is None:
        raise NotFound.of("round_member_not_found", credit_code=inst.credit_code)
    return member, {"id": inst.id, "credit_code": inst.credit_code, "name": inst.name,
                    "region_code": inst.region_code, "category": inst.category}


def chain_of(tree: RegionTree, institution_region: str, round_region: str) -> list[str]:
    return review_chain(tree.lineage(institution_region), round_region)


def reviews_at(user: User, region_code: str | None) -> bool:
    """Whether the caller reviews at ``region_code``: an administrator anywhere, an
    office account of that very region."""
    if region_code is None:
        return False
    if user.is_admin:
        return True
    return user.scope.kind is ScopeKind.REGION and user.scope.region_code == region_code


def round_filters(conn: Connection, user: User) -> Any:
    """The caller's scope as filters (every institution it may see)."""
    return scoped_filters(conn, user.scope)
