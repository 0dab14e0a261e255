"""Account administration: create, read, list and change accounts, change one's
own password, end an account's sessions.

Every change goes through :func:`jieneng.services.accounts.audit.record` in the same
transaction.

Who may change an account is decided in one place, :func:`_check_manageable`:
a 系统管理员 (and the command line) any account; a 管理机构管理员 only the
accounts :func:`jieneng.storage.users.subtree_accounts` describes — region
accounts of the regions below its own, and viewer, department and institution
accounts pinned inside its subtree — before *and* after the change; anyone else
none. The same condition filters the account list in its query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_
from sqlalchemy.exc import IntegrityError

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability, Role, require
from jieneng.core.regions import RegionTree
from jieneng.services.accounts import audit
from jieneng.services.accounts.passwords import hash_password, validate_password, verify_password
from jieneng.services.accounts.sessions import revoke_sessions
from jieneng.services.accounts.users import user_from_row
from jieneng.storage import institutions, regions
from jieneng.storage import users as store


def _check_pin(
    conn: Connection, role: Role, region_code: str | None, institution: str | int | None
) -> tuple[str | None, int | None]:
    """Validate the node an account is pinned to; returns (region_code, institution_id)."""
    if role is Role.ADMIN:
        return None, None
    if role in (Role.REGION, Role.REGION_ADMIN, Role.VIEWER):
        if not region_code:
            raise ValidationFailed.of("accounts.role_needs_region_code", field="region_code")
        tree = RegionTree(regions.load_regions(conn))
        if region_code not in tree:
            raise ValidationFailed.of(
                "accounts.region_not_found", region_code=region_code, field="region_code",
            )
        return region_code, None
    if institution is None or institution == "":
        raise ValidationFailed.of("accounts.role_needs_institution", field="institution")
    text = str(institution).strip()
    if isinstance(institution, int) or (text.isdigit() and len(text) < 18):
        row = institutions.get_institution_by_id(conn, int(institution))
    else:
        row = institutions.get_institution(conn, text.upper())
    if row is None:
        raise ValidationFailed.of(
            "accounts.institution_not_in_directory", institution=institution, field="institution",
        )
    return None, row.id


#: the roles a 管理机构管理员 may give (inside its subtree; region: below its own)
MANAGER_ROLES: tuple[Role, ...] = (Role.REGION, Role.DEPARTMENT, Role.INSTITUTION, Role.VIEWER)


def _account_manager(conn: Connection, actor: Actor) -> User | None:
    """The 管理机构管理员 acting, or None when the actor may manage every account
    (a 系统管理员, the command line). NotPermitted for anyone else."""
    if actor.user_id is None:  # the command line, the demo builder
        return None
    row = store.get_user(conn, actor.user_id)
    manager = None if row is None else user_from_row(row)
    if manager is not None and manager.can(Capability.MANAGE_ALL_ACCOUNTS):
        return None
    if manager is not None:
        require(manager, Capability.MANAGE_ACCOUNTS)
    if manager is not None and manager.region_code:
        return manager
    raise NotPermitted.of("accounts.managers_only")


def _subtree_condition(conn: Connection, manager: User) -> ColumnElement[bool]:
    assert manager.region_code is not None
    tree = RegionTree(regions.load_regions(conn))
    area = tree.subtree(manager.region_code) if manager.region_code in tree else []
    return store.subtree_accounts(area, manager.region_code)


def _check_manageable(
    conn: Connection, manager: User | None, user_id: int, *, existing: bool
) -> None:
    """THE rule of who may manage an account: ``manager`` (None: every account) may
    manage ``user_id`` as it is stored on ``conn`` (checked before a change and again
    after it, inside the writing transaction, so a refusal rolls the change back).

    An existing account outside the subtree is answered as if it did not exist
    (``NotFound``); a change that would put an account outside it (another role,
    a pin elsewhere, ``admin``/``region_admin``) is ``NotPermitted``.
    """
    if manager is None or store.user_matches(conn, user_id, _subtree_condition(conn, manager)):
        return
    if existing:
        raise NotFound.of("accounts.user_not_found", user_id=user_id)
    raise NotPermitted.of("accounts.outside_managed_roles", field="role")


def manageable_roles(user: User) -> list[Role]:
    """The roles ``user`` may give to an account (for the forms)."""
    if user.can(Capability.MANAGE_ALL_ACCOUNTS):
        return list(Role)
    return list(MANAGER_ROLES) if user.can(Capability.MANAGE_ACCOUNTS) else []


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed.of(
            "accounts.invalid_role", value=value, known=', '.join(r.value for r in Role),
            field="role",
        ) from None


def _validate_username(username: str) -> str:
    name = username.strip()
    if not 2 <= len(name) <= 64 or any(c.isspace() for c in name):
        raise ValidationFailed.of("accounts.invalid_username", field="username")
    return name


def create_user(
    engine: Engine,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: Role | str,
    region_code: str | None = None,
    institution: str | int | None = None,
    display_name: str | None = None,
    is_demo: bool = False,
) -> User:
    """Create an account pinned to its node; Conflict if the username is taken.

    The password must pass :func:`jieneng.core.passwords.check_password`.
    """
    role = parse_role(role) if isinstance(role, str) else role
    name = _validate_username(username)
    validate_password(password, name)
    password_hash = hash_password(password)  # Argon2 (~0.1–0.5 s) outside the write lock
    try:
        with engine.begin() as conn:
            if store.get_user_by_username(conn, name) is not None:
                raise _taken(name)
            manager = _account_manager(conn, actor)
            region, inst = _check_pin(conn, role, region_code, institution)
            user_id = store.insert_user(
                conn, username=name, display_name=(display_name or name).strip()[:100],
                password_hash=password_hash, role=role.value, region_code=region,
                institution_id=inst, is_demo=is_demo,
            )
            _check_manageable(conn, manager, user_id, existing=False)
            row = store.get_user(conn, user_id)
            assert row is not None
            user = user_from_row(row)
            audit.record(conn, actor, "user.create", "user", user.id, after=_audited(user))
    except IntegrityError as err:  # the same name created at the same moment (PostgreSQL)
        raise _taken(name) from err
    return user


def _taken(name: str) -> Conflict:
    return Conflict.of("accounts.username_taken", name=name, field="username")


def _audited(user: User) -> dict[str, Any]:
    data = user.to_dict()
    data.pop("created_at", None)
    return data


def get_user(engine: Engine, user_id: int) -> User:
    with engine.connect() as conn:
        row = store.get_user(conn, user_id)
    if row is None:
        raise NotFound.of("accounts.user_not_found", user_id=user_id)
    return user_from_row(row)


def get_user_by_username(engine: Engine, username: str) -> User:
    with engine.connect() as conn:
        row = store.get_user_by_username(conn, username)
    if row is None:
        raise NotFound.of("accounts.username_not_found", username=username)
    return user_from_row(row)


def get_manageable_user(engine: Engine, actor: Actor, user_id: int) -> User:
    """An account ``actor`` may manage; NotFound for any other (as if it did not exist)."""
    with engine.connect() as conn:
        manager = _account_manager(conn, actor)
        _check_manageable(conn, manager, user_id, existing=True)
        row = store.get_user(conn, user_id)
    if row is None:
        raise NotFound.of("accounts.user_not_found", user_id=user_id)
    return user_from_row(row)


def list_users(
    engine: Engine, *, page: int = 1, per_page: int = 50, actor: Actor | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    """One page of accounts: ``{"items", "page", "per_page", "total", "pins"}``.

    With ``actor`` a 管理机构管理员, only the accounts it manages (filtered in the query);
    ``search``: username, display name, the unit's name or credit code, a region code
    prefix (:func:`jieneng.storage.users.search_accounts`). ``pins``: ``{user id: name
    of the node it is pinned to}`` (region or unit name) for the page's accounts.
    """
    with engine.connect() as conn:
        manager = None if actor is None else _account_manager(conn, actor)
        conditions = [] if manager is None else [_subtree_condition(conn, manager)]
        if search and search.strip():
            conditions.append(store.search_accounts(search.strip()))
        where = and_(*conditions) if conditions else None
        rows = store.list_users(conn, offset=(page - 1) * per_page, limit=per_page, where=where)
        total = store.count_users(conn, where=where)
        units = store.pin_names(conn, [r.institution_id for r in rows if r.institution_id])
        tree = RegionTree(regions.load_regions(conn)) if any(r.region_code for r in rows) else None
    pins: dict[int, str] = {}
    for r in rows:
        if r.institution_id in units:
            pins[r.id] = units[r.institution_id][1]
        elif tree is not None and r.region_code is not None and r.region_code in tree:
            pins[r.id] = tree.name(r.region_code)
    return {
        "items": [user_from_row(r) for r in rows], "page": page, "per_page": per_page,
        "total": total, "pins": pins,
    }


_UNSET: Any = object()


def update_user(
    engine: Engine,
    actor: Actor,
    user_id: int,
    *,
    display_name: str | None = None,
    role: Role | str | None = None,
    region_code: str | None = _UNSET,
    institution: str | int | None = _UNSET,
    password: str | None = None,
    locked: bool | None = None,
) -> User:
    """Change an account; ``locked=False`` also clears a lockout after failed logins.

    A new password or a lock ends every session of the account on the server.
    """
    with engine.begin() as conn:
        row = store.get_user(conn, user_id)
        if row is None:
            raise NotFound.of("accounts.user_not_found", user_id=user_id)
        before = user_from_row(row)
        manager = _account_manager(conn, actor)
        _check_manageable(conn, manager, user_id, existing=True)
        _refuse_self_lockout(actor, before, role, locked)
        values: dict[str, Any] = {}
        if display_name is not None and display_name.strip():
            values["display_name"] = display_name.strip()[:100]
        if role is not None or region_code is not _UNSET or institution is not _UNSET:
            new_role = before.role if role is None else (
                parse_role(role) if isinstance(role, str) else role)
            region = before.region_code if region_code is _UNSET else region_code
            inst: str | int | None = (
                before.institution_id if institution is _UNSET else institution)
            values["region_code"], values["institution_id"] = _check_pin(
                conn, new_role, region, inst)
            values["role"] = new_role.value
        if password is not None:
            validate_password(password, before.username)
            values["password_hash"] = hash_password(password)
            revoke_sessions(conn, user_id, "password")
        if locked is not None:
            values["is_locked"] = locked
            if locked:
                revoke_sessions(conn, user_id, "lock")
            else:
                values.update(failed_logins=0, locked_until=None)
        if values:
            store.update_user(conn, user_id, **values)
            _check_manageable(conn, manager, user_id, existing=False)
        after_row = store.get_user(conn, user_id)
        assert after_row is not None
        after = user_from_row(after_row)
        action = "user.update"
        if set(values) == {"password_hash"}:
            action = "user.password"
        elif locked is not None and set(values) <= {"is_locked", "failed_logins", "locked_until"}:
            action = "user.lock" if locked else "user.unlock"
        changes_before = _audited(before)
        changes_after = _audited(after)
        if password is not None:
            changes_before["password"] = "***"
            changes_after["password"] = "*** (changed)"
        audit.record(conn, actor, action, "user", user_id,
                     before=changes_before, after=changes_after)
    return after


def change_own_password(
    engine: Engine, user: User, current: str, new: str, *, keep_session: str | None = None
) -> None:
    """A user changes their own password.

    The current password is checked first (``ValidationFailed`` on field
    ``current_password``, nothing changes). As with an administrator's reset, every
    other session of the account ends (all but ``keep_session``, the token of the
    caller's own); API tokens are kept (they are separate credentials, revoked one
    by one on ``/account``).
    """
    with engine.begin() as conn:
        row = store.get_user(conn, user.id)
        if row is None:
            raise NotFound.of("accounts.user_not_found", user_id=user.id)
        if not verify_password(row.password_hash, current):
            raise ValidationFailed.of("accounts.current_password_wrong", field="current_password")
        validate_password(new, row.username)
        store.update_user(conn, user.id, password_hash=hash_password(new))
        revoke_sessions(conn, user.id, "password", keep_token=keep_session)
        audit.record(conn, user.actor, "user.password", "user", user.id,
                     before={"password": "***"}, after={"password": "*** (changed)"})


def revoke_user_sessions(engine: Engine, actor: Actor, user_id: int) -> int:
    """An account manager ends every session of an account it manages (audited
    ``user.sessions_revoke``); how many were live. NotFound for any other account."""
    with engine.begin() as conn:
        manager = _account_manager(conn, actor)
        _check_manageable(conn, manager, user_id, existing=True)
        count = revoke_sessions(conn, user_id, "admin")
        audit.record(conn, actor, "user.sessions_revoke", "user", user_id,
                     after={"sessions_revoked": count})
    return count


def _refuse_self_lockout(
    actor: Actor, target: User, role: Role | str | None, locked: bool | None
) -> None:
    """An administrator may not lock or demote their own account (the last way in)."""
    if actor.user_id != target.id or not target.is_admin:
        return
    if locked or (role is not None and str(role) != Role.ADMIN.value):
        raise NotPermitted.of("accounts.self_lockout")
