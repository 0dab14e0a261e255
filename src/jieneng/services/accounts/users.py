"""The account as the pages see it: an account row made a caller
(:func:`user_from_row`, the type itself is :class:`jieneng.core.caller.User`), the
name of its node for the top bar (:func:`scope_label`), the region its pages start
from (:func:`home_region`), and the check that the account behind an
:class:`~jieneng.core.caller.Actor` holds a capability (:func:`require_actor`).

Roles and the scope each is pinned to: :mod:`jieneng.core.caller`. Their
administration (create, change, list, who may change whom) is
:mod:`jieneng.services.accounts.accounts`.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from jieneng.core.caller import Actor, User
from jieneng.core.permissions import ROLE_LABELS as ROLE_LABELS
from jieneng.core.permissions import Capability, require_role
from jieneng.core.permissions import Role as Role
from jieneng.core.regions import RegionTree
from jieneng.storage import institutions, regions
from jieneng.storage import users as user_store
from jieneng.storage.users import UserRow


def user_from_row(row: UserRow) -> User:
    """The caller an account row stands for (no password hash)."""
    return User(
        id=row.id, username=row.username, display_name=row.display_name,
        role=Role(row.role), region_code=row.region_code,
        institution_id=row.institution_id, is_locked=row.is_locked,
        locked_until=row.locked_until, created_at=row.created_at,
    )


def scope_label(engine: Engine, user: User) -> str:
    """A short name of the node an account sees (for the top bar)."""
    with engine.connect() as conn:
        if user.region_code is not None:
            tree = RegionTree(regions.load_regions(conn))
            if user.region_code in tree:
                return tree.name(user.region_code)
        if user.institution_id is not None:
            row = institutions.get_institution_by_id(conn, user.institution_id)
            if row is not None:
                return row.name
    return "全部" if user.is_admin else "—"


def home_region(engine: Engine, user: User) -> str | None:
    """The region an account's pages start from: its own, its institution's, or the root."""
    with engine.connect() as conn:
        if user.region_code is not None:
            return user.region_code
        if user.institution_id is not None:
            row = institutions.get_institution_by_id(conn, user.institution_id)
            return None if row is None else row.region_code
        tree = RegionTree(regions.load_regions(conn))
        roots = sorted(c for c, r in tree.by_code.items() if r.parent_code is None)
        return roots[0] if roots else None


def require_actor(conn: Connection, actor: Actor, capability: Capability) -> None:
    """The account behind ``actor`` must hold ``capability``; the command line
    (no account) may do everything, a deleted account nothing."""
    if actor.user_id is None:
        return
    row = user_store.get_user(conn, actor.user_id)
    require_role(row.role if row is not None else "", capability)
