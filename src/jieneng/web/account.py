"""My account: who I am, my password, my API tokens (created here, shown once, revocable).

The page ``/account`` and its JSON twin ``/api/v1/account`` (who I am and my tokens);
``/api/v1/me`` (who I am) and ``/api/v1/tokens`` (create, list, revoke) for clients.
A refused form shows the page again with the status the JSON twin answers
(:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability, capabilities
from jieneng.services.accounts import accounts, auth, users
from jieneng.web.deps import SESSION_TOKEN, CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error
from jieneng.web.schemas import MeOut, ScopeOut, TokenCreate, TokenCreated, TokenOut
from jieneng.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["account"], responses=API_ERRORS)
TEMPLATE = "account.html"


def me_data(engine: Engine, user: User) -> dict[str, Any]:
    """The caller, their role, the scope (node of the tree) they see and what they may do."""
    scope = user.scope
    return {
        "user": user.to_dict(),
        "scope": ScopeOut(kind=scope.kind.value, region_code=scope.region_code,
                          department_id=scope.department_id,
                          institution_id=scope.institution_id),
        "scope_name": users.scope_label(engine, user),
        "can_write": user.can_write,
        "capabilities": sorted(capabilities(user.role)),
    }


def tokens_data(engine: Engine, user: User) -> list[dict[str, Any]]:
    """My API tokens (never their secrets)."""
    return [t.to_dict() for t in auth.list_tokens(engine, user)]


# ---------------------------------------------------------------- the page
@router.get("/account")
def account_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return render(request, TEMPLATE, {"tokens": auth.list_tokens(engine, user)})


@router.post("/account/tokens", dependencies=[requires(Capability.OWN_ACCOUNT)])
def create_token_form(
    request: Request, user: CurrentUser, engine: EngineDep,
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        _, secret = auth.create_token(engine, user, name)
    except ValidationFailed as err:
        context = {"tokens": auth.list_tokens(engine, user), "form": {"name": name}}
        return form_error(request, TEMPLATE, context, err, default_field="name")
    context = {"tokens": auth.list_tokens(engine, user), "new_secret": secret}
    return render(request, TEMPLATE, context, status_code=201)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[requires(Capability.OWN_ACCOUNT)])
def revoke_token_form(token_id: int, user: CurrentUser, engine: EngineDep) -> Response:
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
    tokens = auth.list_tokens(engine, user)
    if password != password_confirm:
        return render(request, TEMPLATE, {"tokens": tokens,
                                          "password_errors": {"password_confirm": "mismatch"}},
                      status_code=422)
    token = request.session.get(SESSION_TOKEN)
    try:
        accounts.change_own_password(engine, user, current_password, password,
                                     keep_session=token if isinstance(token, str) else None)
    except ValidationFailed as err:  # passwords are never echoed back
        return form_error(request, TEMPLATE, {"tokens": tokens}, err,
                          errors_key="password_errors", default_field="password")
    # this session stays signed in; every other one was revoked on the server
    return render(request, TEMPLATE, {"tokens": tokens, "password_changed": True})


# ---------------------------------------------------------------- JSON
class AccountOut(BaseModel):
    me: MeOut
    tokens: list[TokenOut]


@api.get("/account", response_model=AccountOut)
def account(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """The twin of ``/account``: who I am and my API tokens (never their secrets)."""
    return {"me": me_data(engine, user), "tokens": tokens_data(engine, user)}


@api.get("/me", response_model=MeOut)
def me(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """The caller, their role and the scope (node of the tree) they see."""
    return me_data(engine, user)


@api.get("/tokens", response_model=list[TokenOut])
def list_tokens(user: CurrentUser, engine: EngineDep) -> list[dict[str, Any]]:
    """My API tokens (never their secrets)."""
    return tokens_data(engine, user)


@api.post("/tokens", dependencies=[requires(Capability.OWN_ACCOUNT)],
          response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """A new token; its secret is in this response only."""
    token, secret = auth.create_token(engine, user, body.name)
    return {**token.to_dict(), "token": secret}


@api.delete("/tokens/{token_id}",
            dependencies=[requires(Capability.OWN_ACCOUNT)], response_model=TokenOut)
def revoke_token(token_id: int, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Revoke one of my tokens."""
    return auth.revoke_token(engine, user, token_id).to_dict()
