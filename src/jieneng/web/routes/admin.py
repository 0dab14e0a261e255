"""Administration pages: accounts (create, role and scope, lock, password), the factor
set chosen per region, and the audit log.

The account pages are open to a 系统管理员 and to a 管理机构管理员
(``region_admin``), who sees and changes only the accounts of its subtree: the
list is filtered in the query, and any other account is answered 404
(``services.accounts.accounts.get_manageable_user``; every write is checked again in
``services.accounts.users``). Factor sets and the audit log stay administrator-only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.accounts import accounts, audit, sessions
from jieneng.services.accounts.users import User
from jieneng.services.statistics import factor_choice
from jieneng.web.deps import AdminUser, CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import lang_of
from jieneng.web.i18n import domain_lang
from jieneng.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
PER_PAGE = 50
Page = Annotated[int, Query(ge=1, le=100_000)]


def require_account_manager(user: CurrentUser) -> User:
    if not user.can_manage_accounts:
        raise NotPermitted("仅系统管理员和管理机构管理员可以管理账户",
                           "only administrators and account managers may manage accounts")
    return user


#: a 系统管理员 or a 管理机构管理员 (the services limit the latter to its subtree)
ManagerUser = Annotated[User, Depends(require_account_manager)]
FormError = ValidationFailed | Conflict | NotFound | NotPermitted


def _errors(request: Request, err: FormError) -> dict[str, str]:
    field = str(err.details.get("field") or "_form")
    return {field: err.message(domain_lang(lang_of(request)))}


def _users_page(
    request: Request, engine: Any, manager: User, page: int, *,
    form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    data = accounts.list_users(engine, page=page, per_page=PER_PAGE, actor=manager.actor)
    context = {"page_data": data, "roles": accounts.manageable_roles(manager), "form": form or {},
               "errors": errors or {}}
    return render(request, "admin/users.html", context, status_code=status_code)


@router.get("/users")
def users_page(
    request: Request, manager: ManagerUser, engine: EngineDep, page: Page = 1
) -> Response:
    return _users_page(request, engine, manager, page)


@router.post("/users", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def create_user(
    request: Request, manager: ManagerUser, engine: EngineDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=16)],
    display_name: Annotated[str, Form(max_length=100)] = "",
    region_code: Annotated[str, Form(max_length=6)] = "",
    institution: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    form = {"username": username, "role": role, "display_name": display_name,
            "region_code": region_code, "institution": institution}
    try:
        accounts.create_user(
            engine, manager.actor, username=username, password=password, role=role,
            region_code=region_code or None, institution=institution or None,
            display_name=display_name or None,
        )
    except (ValidationFailed, Conflict, NotPermitted) as err:
        return _users_page(request, engine, manager, 1, form=form,
                           errors=_errors(request, err),
                           status_code=403 if isinstance(err, NotPermitted) else 422)
    return RedirectResponse("/admin/users", status_code=303)


def _edit_page(
    request: Request, engine: Any, manager: User, user_id: int, *,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    target = accounts.get_manageable_user(engine, manager.actor, user_id)
    context = {"target": target, "roles": accounts.manageable_roles(manager),
               "errors": errors or {}, "sessions": sessions.live_sessions(engine, user_id)}
    return render(request, "admin/user_edit.html", context, status_code=status_code)


@router.get("/users/{user_id}")
def edit_user_page(
    request: Request, user_id: int, manager: ManagerUser, engine: EngineDep
) -> Response:
    return _edit_page(request, engine, manager, user_id)


@router.post("/users/{user_id}", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def edit_user(
    request: Request, user_id: int, manager: ManagerUser, engine: EngineDep,
    role: Annotated[str, Form(max_length=16)],
    display_name: Annotated[str, Form(max_length=100)] = "",
    region_code: Annotated[str, Form(max_length=6)] = "",
    institution: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    try:
        accounts.update_user(
            engine, manager.actor, user_id, role=role, display_name=display_name or None,
            region_code=region_code or None, institution=institution or None,
        )
    except (ValidationFailed, Conflict, NotPermitted) as err:
        return _edit_page(request, engine, manager, user_id, errors=_errors(request, err),
                          status_code=403 if isinstance(err, NotPermitted) else 422)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/password", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def reset_password(
    request: Request, user_id: int, manager: ManagerUser, engine: EngineDep,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        accounts.update_user(engine, manager.actor, user_id, password=password)
    except ValidationFailed as err:
        return _edit_page(request, engine, manager, user_id, errors=_errors(request, err),
                          status_code=422)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/lock", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def lock_user(user_id: int, manager: ManagerUser, engine: EngineDep) -> Response:
    accounts.update_user(engine, manager.actor, user_id, locked=True)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/sessions/revoke",
             dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def revoke_sessions(user_id: int, manager: ManagerUser, engine: EngineDep) -> Response:
    """End every login session of the account now (audited ``user.sessions_revoke``)."""
    accounts.revoke_user_sessions(engine, manager.actor, user_id)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/unlock", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def unlock_user(user_id: int, manager: ManagerUser, engine: EngineDep) -> Response:
    accounts.update_user(engine, manager.actor, user_id, locked=False)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.get("/audit",
            dependencies=[requires(Capability.VIEW_AUDIT)])
def audit_page(request: Request, admin: AdminUser, engine: EngineDep, page: Page = 1) -> Response:
    data = audit.list_entries(engine, page=page, per_page=PER_PAGE)
    return render(request, "admin/audit.html", {"page_data": data})


# ---------------------------------------------------------------- factor sets per region
def _factor_sets_page(
    request: Request, engine: Any, default: str, *, form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    sets = factor_choice.available_sets()
    gas = {
        s["name"]: next((c for c in s["coefficients"] if c["carrier"] == "natural_gas"), None)
        for s in sets
    }
    context = {
        "sets": sets, "gas": gas, "choices": factor_choice.list_choices(engine),
        "co2_scopes": factor_choice.CO2_SCOPES, "installation_default": default,
        "form": form or {}, "errors": errors or {},
    }
    return render(request, "admin/factor_sets.html", context, status_code=status_code)


@router.get("/factor-sets",
            dependencies=[requires(Capability.FACTOR_SETS)])
def factor_sets_page(
    request: Request, admin: AdminUser, engine: EngineDep, settings: SettingsDep
) -> Response:
    return _factor_sets_page(request, engine, settings.factor_set)


@router.post("/factor-sets", dependencies=[requires(Capability.FACTOR_SETS)])
def choose_factor_set(
    request: Request, admin: AdminUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)],
    factor_set: Annotated[str, Form(max_length=64)] = "",
    co2_scope: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Choose (or, with an empty set, remove) the factor set of a region; audited."""
    form = {"region_code": region_code, "factor_set": factor_set, "co2_scope": co2_scope}
    try:
        factor_choice.set_factor_set(engine, actor=admin.actor, region_code=region_code.strip(),
                                     name=factor_set, co2_scope=co2_scope)
    except (ValidationFailed, NotFound) as err:
        return _factor_sets_page(request, engine, settings.factor_set, form=form,
                                 errors=_errors(request, err), status_code=422)
    return RedirectResponse("/admin/factor-sets", status_code=303)
