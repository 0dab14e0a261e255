"""Accounts: roles, the scope each role is pinned to, the account as the pages see it.

============ ============== ================================================
role         统计制度 term   pinned to / sees
============ ============== ================================================
admin        系统管理员       everything; manages accounts, reads the audit log
region_admin 管理机构管理员   a region code: sees and writes exactly as ``region``;
                            also manages the accounts of its subtree
                            (:func:`jieneng.services.accounts.accounts._check_manageable`)
region       管理机构         a region code: that region's whole subtree
department   主管机构         a competent department (an institution id): itself
                            and its subordinate units
institution  公共机构         one institution
viewer       只读用户         a region code: its subtree, read-only
============ ============== ================================================

Their administration (create, change, list, who may change whom) is
:mod:`jieneng.services.accounts.accounts`; :func:`scope_label` and :func:`home_region` name
an account's node for the top bar and the pages' starting region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.permissions import ROLE_LABELS as ROLE_LABELS
from jieneng.core.permissions import Capability, allows, require_role
from jieneng.core.permissions import Role as Role
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope
from jieneng.services.accounts.audit import Actor
from jieneng.storage import institutions, regions
from jieneng.storage import users as user_store
from jieneng.storage.users import UserRow

#: The id of :func:`command_line_user` (never an account's id: ids start at 1).
COMMAND_LINE_ID = 0


@dataclass(frozen=True, slots=True)
class User:
    """An account as the rest of the platform sees it (no password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    region_code: str | None
    institution_id: int | None
    is_locked: bool
    locked_until: datetime | None
    created_at: datetime | None

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=row.id, username=row.username, display_name=row.display_name,
            role=Role(row.role), region_code=row.region_code,
            institution_id=row.institution_id, is_locked=row.is_locked,
            locked_until=row.locked_until, created_at=row.created_at,
        )

    @property
    def actor(self) -> Actor:
        return Actor.cli() if self.id == COMMAND_LINE_ID else Actor(self.id, self.username)

    @property
    def scope(self) -> Scope:
        return scope_of(self.role, self.region_code, self.institution_id)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can(self, capability: Capability) -> bool:
        """Whether the account's role holds ``capability`` (:data:`ROLE_CAPABILITIES
        <jieneng.core.permissions.ROLE_CAPABILITIES>`); scope is decided elsewhere."""
        return allows(self, capability)

    @property
    def can_manage_accounts(self) -> bool:
        """A 系统管理员, or a 管理机构管理员 (the accounts of its subtree only)."""
        return self.can(Capability.MANAGE_ACCOUNTS)

    @property
    def can_write(self) -> bool:
        """Enters figures (every role but the read-only viewer)."""
        return self.can(Capability.ENTER_DATA)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "username": self.username, "display_name": self.display_name,
            "role": self.role.value, "region_code": self.region_code,
            "institution_id": self.institution_id, "is_locked": self.is_locked,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


def command_line_user() -> User:
    """The command line as a user: an administrator (as for imports and accounts)
    whose audit entries say ``cli``; its id :data:`COMMAND_LINE_ID` is stored
    nowhere as a reference."""
    return User(id=COMMAND_LINE_ID, username="cli", display_name="命令行 command line",
                role=Role.ADMIN, region_code=None, institution_id=None, is_locked=False,
                locked_until=None, created_at=None)


def scope_of(role: Role, region_code: str | None, institution_id: int | None) -> Scope:
    """The node an account of ``role`` is pinned to."""
    if role is Role.ADMIN:
        return Scope.everything()
    if role in (Role.REGION, Role.REGION_ADMIN, Role.VIEWER) and region_code is not None:
        return Scope.region(region_code)
    if role is Role.DEPARTMENT and institution_id is not None:
        return Scope.department(institution_id)
    if role is Role.INSTITUTION and institution_id is not None:
        return Scope.institution(institution_id)
    # A mis-pinned account sees nothing rather than everything.
    return Scope.institution(-1)


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
