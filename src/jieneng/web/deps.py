"""Who is asking, and what they may see: the ONE place routes get the caller.

:func:`current_user` resolves the caller from the session cookie or, on
``/api/``, from ``Authorization: Bearer <token>``; for a state-changing request
authenticated by the session cookie it checks the CSRF token
(:func:`jieneng.web.csrf.verify_csrf`). Routes declare what they need:

- ``CurrentUser`` — any signed-in account (HTML: redirect to /login, API: 401);
- ``ScopeDep`` — the caller's :class:`~jieneng.core.scope.Scope`, to hand to a
  service, which intersects it with the query through
  :func:`jieneng.services.scope.scoped_filters`;
- ``WriterUser`` — an account allowed to write (not a viewer);
- ``AdminUser`` — a 系统管理员.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from jieneng.core.caller import User
from jieneng.core.exceptions import NotPermitted
from jieneng.core.permissions import Capability, require
from jieneng.core.scope import Scope
from jieneng.services.accounts.auth import user_for_session, user_for_token
from jieneng.settings import Settings
from jieneng.web.csrf import verify_csrf
from jieneng.web.errors import LoginRequired

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: the session's token (its SHA-256 is the ``user_session`` row checked on every request)
SESSION_TOKEN = "sid"


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def optional_user(request: Request) -> User | None:
    """The caller, or None when not signed in. Invalid bearer tokens are refused (401)."""
    cached = getattr(request.state, "user", None)
    if isinstance(cached, User):
        return cached
    engine = get_engine(request)
    header = request.headers.get("authorization", "")
    user: User | None
    if request.url.path.startswith("/api/") and header.lower().startswith("bearer "):
        user = await run_in_threadpool(user_for_token, engine, header[7:].strip())
        if user is None:
            raise LoginRequired()
        request.state.via = "token"
    else:
        token = request.session.get(SESSION_TOKEN)
        if not isinstance(token, str) or not token:
            return None
        idle = timedelta(minutes=get_settings(request).session_idle_minutes)
        user = await run_in_threadpool(user_for_session, engine, token, idle=idle)
        if user is None:  # revoked, expired, idle or locked: the cookie is cleared
            request.session.pop(SESSION_TOKEN, None)
            request.state.session_expired = True  # the login page says so
            return None
        request.state.via = "session"
    request.state.user = user
    return user


async def current_user(request: Request) -> User:
    user = await optional_user(request)
    if user is None:
        raise LoginRequired()
    if request.method not in SAFE_METHODS and request.state.via == "session":
        await verify_csrf(request)
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


def current_scope(user: CurrentUser) -> Scope:
    return user.scope


ScopeDep = Annotated[Scope, Depends(current_scope)]


def require_write(user: CurrentUser) -> User:
    if not user.can_write:
        raise NotPermitted.of("web.read_only")
    return user


def require_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise NotPermitted.of("web.administrators_only")
    return user


WriterUser = Annotated[User, Depends(require_write)]
AdminUser = Annotated[User, Depends(require_admin)]


def requires(capability: Capability) -> Any:
    """A route's declared capability (``dependencies=[requires(Capability.X)]``): 403
    ``capability_required`` before the body is looked at, unless the caller's role
    holds it (:data:`jieneng.core.permissions.ROLE_CAPABILITIES`). The service checks
    the same capability again; the capability walk reads ``.capability`` off the route."""

    async def check(request: Request, user: CurrentUser) -> None:
        try:
            require(user, capability)
        except NotPermitted:
            await request.close()  # a refused upload's files (their temporary files)
            raise

    check.__name__ = f"requires_{capability.value}"
    setattr(check, "capability", capability)  # noqa: B010 (read by the capability walk)
    return Depends(check)
