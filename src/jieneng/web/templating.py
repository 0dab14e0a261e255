"""Jinja2 rendering with the layout's context: ``t()``, the user, the scope name,
the navigation for the user's role and the CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from jieneng.core.caller import User
from jieneng.core.messages import LANGUAGES
from jieneng.core.permissions import Capability
from jieneng.services.accounts.users import home_region, scope_label
from jieneng.services.notifications import notify
from jieneng.web.csrf import csrf_token
from jieneng.web.i18n import translate

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"], default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    href: str
    active_prefix: str


def nav_for(user: User | None, home: str | None) -> list[NavItem]:
    """The navigation of a role, from its capabilities (:data:`ROLE_CAPABILITIES
    <jieneng.core.permissions.ROLE_CAPABILITIES>`): data entry and import for those
    who enter figures, the review queue for reviewers, 管理 for account managers."""
    if user is None:
        return []
    items = [
        NavItem("nav.overview", "/overview", "/overview"),
        NavItem("nav.directory", "/directory", "/directory"),
        NavItem("nav.summaries", "/summaries", "/summaries"),
    ]
    if user.can(Capability.ENTER_DATA):
        items.append(NavItem("nav.entry", "/entry", "/entry"))
    if user.can(Capability.IMPORT_DATA):
        items.append(NavItem("nav.import", "/import", "/import"))
    items += [NavItem("nav.spot_checks", "/spot-checks", "/spot-checks"),
              NavItem("nav.review", "/review-report", "/review-report")]
    items.append(NavItem("nav.reporting", "/reporting", "/reporting"))
    items.append(NavItem("nav.quality", "/quality", "/quality"))
    items.append(NavItem("nav.targets", "/targets", "/targets"))
    items.append(NavItem("nav.alerts", "/alerts", "/alerts"))
    if user.can(Capability.REVIEW):
        items.append(NavItem("nav.review_queue", "/review", "/review"))
    if home:
        items.append(NavItem("nav.screen", f"/screen/{home}", "/screen"))
    if user.can(Capability.MANAGE_ACCOUNTS):  # an account manager: its subtree's only
        items.append(NavItem("nav.admin", "/admin/users", "/admin"))
    return items


def _can(user: User | None, capability: str) -> bool:
    return user is not None and user.can(Capability(capability))


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with the layout context (call from a worker thread: it reads the DB)."""
    lang = getattr(request.state, "lang", "zh-CN")
    user = getattr(request.state, "user", None)
    user = user if isinstance(user, User) else None
    engine = getattr(request.app.state, "engine", None)
    scope_name = home = None
    unread = 0
    if user is not None and engine is not None:
        try:
            scope_name = scope_label(engine, user)
            home = home_region(engine, user)
            unread = notify.unread_count(engine, user.id)
        except Exception:  # the layout must render even if the database is unwell
            scope_name = None
    ctx: dict[str, Any] = {
        "request": request,
        "t": partial(translate, lang),
        "lang": lang,
        "languages": LANGUAGES,
        "user": user,
        "scope_name": scope_name,
        "nav": nav_for(user, home),
        # can('set_targets'): whether to show a form; the service checks the same table
        "can": partial(_can, user),
        "unread": unread,
        "path": request.url.path,
        "csrf_token": csrf_token(request),
    }
    ctx.update(context or {})
    html = env.get_template(name).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)
