"""My account: change my password; API tokens (created here, shown once, revocable)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.accounts import accounts, auth
from jieneng.web.deps import SESSION_TOKEN, CurrentUser, EngineDep, requires
from jieneng.web.errors import lang_of
from jieneng.web.i18n import domain_lang
from jieneng.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/account")
def account_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return render(request, "account.html", {"tokens": auth.list_tokens(engine, user)})


@router.post("/account/tokens", dependencies=[requires(Capability.OWN_ACCOUNT)])
def create_token(
    request: Request, user: CurrentUser, engine: EngineDep,
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        _, secret = auth.create_token(engine, user, name)
    except ValidationFailed as err:
        context = {"tokens": auth.list_tokens(engine, user),
                   "errors": {"name": err.message(domain_lang(lang_of(request)))}}
        return render(request, "account.html", context, status_code=422)
    context = {"tokens": auth.list_tokens(engine, user), "new_secret": secret}
    return render(request, "account.html", context, status_code=201)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[requires(Capability.OWN_ACCOUNT)])
def revoke_token(token_id: int, user: CurrentUser, engine: EngineDep) -> Response:
    auth.revoke_token(engine, user, token_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", dependencies=[requires(Capability.OWN_ACCOUNT)])
def change_password(
    request: Request, user: CurrentUser, engine: EngineDep,
    current_password: Annotated[str, Form(max_length=1024)],
    password: Annotated[str, Form(max_length=1024)],
    password_confirm: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Change the caller's own password (the current one is required)."""
    errors: dict[str, str] = {}
    if password != password_confirm:
        errors["password_confirm"] = "mismatch"
    else:
        token = request.session.get(SESSION_TOKEN)
        try:
            accounts.change_own_password(engine, user, current_password, password,
                                         keep_session=token if isinstance(token, str) else None)
        except ValidationFailed as err:
            field = str(err.details.get("field") or "password")
            errors[field] = err.message(domain_lang(lang_of(request)))
    if errors:
        context = {"tokens": auth.list_tokens(engine, user), "password_errors": errors}
        return render(request, "account.html", context, status_code=422)
    # this session stays signed in; every other one was revoked on the server
    changed: dict[str, object] = {"tokens": auth.list_tokens(engine, user),
                                   "password_changed": True}
    return render(request, "account.html", changed)
