"""Accounts administration: create, role and scope, lock, password, sessions.

Pages ``/admin/users`` and ``/admin/users/{user_id}``; their JSON twins are the
older ``/api/v1/users`` and ``/api/v1/users/{user_id}`` (paths kept; listed in
``tests/web/test_twins.py``). The pages are open to a 系统管理员 and to a
管理机构管理员 (``region_admin``), who sees and changes only the accounts of its
subtree: the list is filtered in the query, and any other account is answered
404 (``services.accounts.accounts.get_manageable_user``; every write is checked
again in ``services.accounts.users``). The JSON routes are administrator-only.
A refused form shows the page again with the status the JSON twin answers
(:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotPermitted
from jieneng.core.messages import text as message_text
from jieneng.core.permissions import Capability
from jieneng.services.accounts import accounts, bulk, sessions
from jieneng.services.accounts.users import home_region
from jieneng.web.accounts_sheet import XLSX, accounts_workbook
from jieneng.web.common import query_url
from jieneng.web.deps import AdminUser, CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error
from jieneng.web.schemas import Page, UserCreate, UserOut, UserPatch
from jieneng.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["users"], responses=API_ERRORS)
PER_PAGE = 50
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page, from 1")]
PerPageQ = Annotated[int, Query(ge=1, le=200, description="每页条数 items per page")]
LIST = "admin/users.html"
EDIT = "admin/user_edit.html"


def require_account_manager(user: CurrentUser) -> User:
    if not user.can_manage_accounts:
        raise NotPermitted.of("accounts.managers_only")
    return user


#: a 系统管理员 or a 管理机构管理员 (the services limit the latter to its subtree)
ManagerUser = Annotated[User, Depends(require_account_manager)]


def _list_context(engine: Engine, manager: User, page: int,
                  form: dict[str, str] | None = None, q: str = "") -> dict[str, Any]:
    data = accounts.list_users(engine, page=page, per_page=PER_PAGE, actor=manager.actor,
                               search=q)
    region = home_region(engine, manager)
    return {"page_data": data, "roles": accounts.manageable_roles(manager),
            "form": form or {}, "errors": {}, "q": q,
            "bulk": {"region": region, "batch": bulk.BATCH,
                     "pending": bulk.pending(engine, manager, region) if region else 0}}


def _edit_context(engine: Engine, manager: User, user_id: int,
                  form: dict[str, str] | None = None) -> dict[str, Any]:
    target = accounts.get_manageable_user(engine, manager.actor, user_id)
    return {"target": target, "roles": accounts.manageable_roles(manager), "form": form or {},
            "errors": {}, "sessions": sessions.live_sessions(engine, user_id)}


# ---------------------------------------------------------------- pages
@router.get("/users")
def users_page(
    request: Request, manager: ManagerUser, engine: EngineDep, page: PageQ = 1,
    q: Annotated[str, Query(max_length=60)] = "",
    created: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The accounts (search ``q``: username, name, unit, region code); ``created``: the
    username just created, named in a notice above the list."""
    return render(request, LIST, {**_list_context(engine, manager, page, q=q.strip()),
                                  "created": created})


@router.post("/users", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def create_user_form(
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
    except DomainError as err:
        return form_error(request, LIST, _list_context(engine, manager, 1, form), err)
    return RedirectResponse(query_url("/admin/users", created=username.strip()), status_code=303)


@router.post("/users/bulk", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def bulk_create_form(
    request: Request, manager: ManagerUser, engine: EngineDep,
    region_code: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Accounts for up to 100 units of ``region_code`` that have none (the 名录 as the
    list): answered with a workbook of the new accounts and their initial passwords,
    shown this once (services.accounts.bulk)."""
    try:
        made, refused, left = bulk.create_unit_accounts(engine, manager, region_code.strip())
    except DomainError as err:
        return form_error(request, LIST, _list_context(engine, manager, 1), err,
                          errors_key="bulk_errors", default_field="region_code")
    lang = getattr(request.state, "lang", "zh-CN")
    content = accounts_workbook(made, refused, left, lang)
    name = f"{message_text(lang, 'admin.bulk_file')}-{region_code.strip()}.xlsx"
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store"})


@router.get("/users/{user_id}")
def edit_user_page(
    request: Request, user_id: int, manager: ManagerUser, engine: EngineDep
) -> Response:
    return render(request, EDIT, _edit_context(engine, manager, user_id))


@router.post("/users/{user_id}", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def edit_user_form(
    request: Request, user_id: int, manager: ManagerUser, engine: EngineDep,
    role: Annotated[str, Form(max_length=16)],
    display_name: Annotated[str, Form(max_length=100)] = "",
    region_code: Annotated[str, Form(max_length=6)] = "",
    institution: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    form = {"role": role, "display_name": display_name, "region_code": region_code,
            "institution": institution}
    try:
        accounts.update_user(
            engine, manager.actor, user_id, role=role, display_name=display_name or None,
            region_code=region_code or None, institution=institution or None,
        )
    except DomainError as err:
        return form_error(request, EDIT, _edit_context(engine, manager, user_id, form), err)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/password", dependencies=[requires(Capability.MANAGE_ACCOUNTS)])
def reset_password_form(
    request: Request, user_id: int, manager: ManagerUser, engine: EngineDep,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        accounts.update_user(engine, manager.actor, user_id, password=password)
    except DomainError as err:  # the password is never echoed back
        return form_error(request, EDIT, _edit_context(engine, manager, user_id), err,
                          default_field="password")
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


# ---------------------------------------------------------------- JSON (administrators)
@api.get("/users", response_model=Page[UserOut],
         dependencies=[requires(Capability.MANAGE_ALL_ACCOUNTS)])
def list_users(
    admin: AdminUser, engine: EngineDep, page: PageQ = 1, per_page: PerPageQ = 50
) -> dict[str, Any]:
    data = accounts.list_users(engine, page=page, per_page=per_page)
    return {**data, "items": [u.to_dict() for u in data["items"]]}


@api.post("/users", dependencies=[requires(Capability.MANAGE_ALL_ACCOUNTS)],
          response_model=UserOut, status_code=201)
def create_user(body: UserCreate, admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    return accounts.create_user(
        engine, admin.actor, username=body.username, password=body.password, role=body.role,
        region_code=body.region_code, institution=body.institution,
        display_name=body.display_name,
    ).to_dict()


@api.get("/users/{user_id}", response_model=UserOut,
         dependencies=[requires(Capability.MANAGE_ALL_ACCOUNTS)])
def get_user(user_id: int, admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    return accounts.get_user(engine, user_id).to_dict()


@api.patch("/users/{user_id}", dependencies=[requires(Capability.MANAGE_ALL_ACCOUNTS)],
           response_model=UserOut)
def patch_user(
    user_id: int, body: UserPatch, admin: AdminUser, engine: EngineDep
) -> dict[str, Any]:
    given = body.model_fields_set
    changes: dict[str, Any] = {
        k: getattr(body, k) for k in ("display_name", "role", "password", "locked")
        if k in given
    }
    for key in ("region_code", "institution"):
        if key in given:
            changes[key] = getattr(body, key)
    return accounts.update_user(engine, admin.actor, user_id, **changes).to_dict()
