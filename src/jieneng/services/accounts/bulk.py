"""Accounts for many units at once: one account per active unit of a region's
subtree that has none yet (a 机关事务管理局 rolling the platform out to hundreds
of units).

Each account is made by :func:`jieneng.services.accounts.accounts.create_user`
(the same checks, the manager's subtree rule and one audit entry per account):
username = the unit's credit code, display name = its name, role 公共机构 — or
主管机构 for a unit other units name as their 主管部门 —, and a random initial
password that meets the policy, handed back once (never stored in clear). A
password is hashed with Argon2 (about 0.05–0.5 s each), so one call makes at most
:data:`BATCH` accounts; the caller repeats until none is left.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotFound
from jieneng.core.permissions import Capability, Role, require
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.services.accounts.accounts import create_user
from jieneng.storage import regions
from jieneng.storage import users as store

#: accounts made by one call (Argon2 hashing keeps a request under a minute)
BATCH = 100
_SYMBOLS = "#%+-=@"


@dataclass(frozen=True, slots=True)
class NewAccount:
    credit_code: str
    name: str
    username: str
    password: str
    role: Role


def initial_password() -> str:
    """12 characters with upper and lower case letters, digits and a symbol
    (without look-alikes such as O/0 and l/1)."""
    upper = "".join(c for c in string.ascii_uppercase if c not in "IO")
    lower = "".join(c for c in string.ascii_lowercase if c not in "lo")
    digits, pool = "23456789", upper + lower + "23456789"
    chars = [secrets.choice(upper), secrets.choice(lower), secrets.choice(digits),
             secrets.choice(_SYMBOLS), *(secrets.choice(pool) for _ in range(8))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _area(engine: Engine, manager: User, region_code: str) -> Filters:
    """The subtree of ``region_code`` as filters; it must lie in the manager's own area
    (the accounts a manager may make, not a data scope: no department or unit part)."""
    with engine.connect() as conn:
        tree = RegionTree(regions.load_regions(conn))
    own = None if manager.can(Capability.MANAGE_ALL_ACCOUNTS) else manager.region_code
    if region_code not in tree or (own is not None and (
            own not in tree or region_code not in set(tree.subtree(own)))):
        raise NotFound.of("accounts.region_not_found", region_code=region_code,
                          field="region_code")
    return Filters(region_codes=list(tree.subtree(region_code)))


def pending(engine: Engine, manager: User, region_code: str) -> int:
    """How many active units of ``region_code``'s subtree have no account yet."""
    require(manager, Capability.MANAGE_ACCOUNTS)
    area = _area(engine, manager, region_code)
    with engine.connect() as conn:
        return store.units_without_accounts(conn, area, limit=0)[0]


def create_unit_accounts(engine: Engine, manager: User, region_code: str
                         ) -> tuple[list[NewAccount], list[tuple[str, str, DomainError]], int]:
    """Make accounts for up to :data:`BATCH` units without one; returns the new
    accounts with their initial passwords, the units refused (credit code, name, why:
    e.g. the username already taken by another account) and how many units are
    still left. A refusal never loses the accounts already made (each is its own
    transaction)."""
    require(manager, Capability.MANAGE_ACCOUNTS)
    area = _area(engine, manager, region_code)
    with engine.connect() as conn:
        total, units = store.units_without_accounts(conn, area, limit=BATCH)
    made: list[NewAccount] = []
    refused: list[tuple[str, str, DomainError]] = []
    for _id, code, name, head in units:
        role = Role.DEPARTMENT if head else Role.INSTITUTION
        password = initial_password()
        try:
            create_user(engine, manager.actor, username=code, password=password, role=role,
                        institution=code, display_name=name)
        except DomainError as err:
            refused.append((code, name, err))
            continue
        made.append(NewAccount(code, name, code, password, role))
    return made, refused, total - len(made) - len(refused)
