"""Login and logout. The login form carries a CSRF token too (login CSRF).

``POST /login`` is rate limited per client IP address (``login_rate_limit`` per
``login_rate_window``, :mod:`jieneng.web.ratelimit`): over the limit the form is
shown again with status 429, ``Retry-After`` and the message ``login.rate_limited``.
The per-account lockout (``services.accounts.auth``) is separate and still applies.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.permissions import Capability
from jieneng.services.accounts.auth import AuthenticationFailed, authenticate
from jieneng.services.accounts.auth import logout as audit_logout
from jieneng.web.csrf import SESSION_CSRF, verify_csrf
from jieneng.web.deps import (
    SESSION_TOKEN,
    CurrentUser,
    EngineDep,
    OptionalUser,
    SettingsDep,
    requires,
)
from jieneng.web.errors import lang_of
from jieneng.web.i18n import domain_lang, translate
from jieneng.web.ratelimit import Limiters, client_ip
from jieneng.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, user: OptionalUser, next: str | None = None,
               expired: bool = False) -> Response:
    """The sign-in form; ``expired``: the session ran out (a form's typed values wait in
    the browser, web/static/entry-grid.js)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "expired": expired})


@router.post("/login")
async def login(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    limiters: Limiters = request.app.state.limiters
    if limiters.login is not None:  # every attempt counts, before anything else is checked
        retry_after = limiters.login.hit(
            "login:" + client_ip(request.client.host if request.client else None))
        if retry_after is not None:
            context = {"next": safe_next(next), "username": username,
                       "error": translate(lang_of(request), "login.rate_limited",
                                          seconds=retry_after)}
            return await run_in_threadpool(
                render, request, "login.html", context, status_code=429,
                headers={"Retry-After": str(retry_after)})
    await verify_csrf(request)
    try:
        _, token = await run_in_threadpool(
            authenticate, engine, username, password,
            max_failures=settings.login_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_minutes),
            session_lifetime=timedelta(seconds=settings.session_max_age),
            refuse_demo=settings.environment == "production",
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    except AuthenticationFailed as err:
        context = {"next": safe_next(next), "username": username,
                   "error": err.message(domain_lang(lang_of(request)))}
        return await run_in_threadpool(render, request, "login.html", context, status_code=401)
    request.session.clear()  # a new session on login (no fixation)
    request.session[SESSION_TOKEN] = token
    request.session.pop(SESSION_CSRF, None)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[requires(Capability.OWN_ACCOUNT)])
def logout(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    """End the session on the server (a copy of the cookie no longer works) and here."""
    token = request.session.get(SESSION_TOKEN)
    audit_logout(engine, user, token if isinstance(token, str) else None)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
