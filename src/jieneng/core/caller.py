"""The caller: one type for whoever calls a service — a signed-in account or the
command line — with the scope its role pins it to and the :class:`Actor` its
audit entries name. Every service takes the caller as one typed argument
(:class:`User`); the scope (:attr:`User.scope`) and the actor (:attr:`User.actor`)
are derived from it, never passed beside it.

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

Standard library only (a ``core`` module): an account row becomes a :class:`User`
in :func:`jieneng.services.accounts.users.user_from_row`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jieneng.core.permissions import Capability, Role, allows
from jieneng.core.scope import Scope

#: The id of :func:`command_line_user` (never an account's id: ids start at 1).
COMMAND_LINE_ID = 0


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change, as the audit log names it: an account, or the command
    line (``user_id`` None)."""

    user_id: int | None
    username: str

    @classmethod
    def cli(cls) -> Actor:
        return cls(None, "cli")


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
