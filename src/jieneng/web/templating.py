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
from jieneng.services.directory.search import region_choices
from jieneng.services.notifications import notify
from jieneng.web.csrf import csrf_token
from jieneng.web.i18n import one_language, translate
from jieneng.web.timefmt import local_time

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"], default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["local_time"] = local_time  # stored UTC → China time (web.timefmt)
env.filters["one_language"] = one_language  # "中文 / English" notes in the page's language


@dataclass(frozen=True, slots=True)
class NavItem:
    """A menu entry: a page (``href``), or a group of pages (``children``; its ``href``
    is its first page). ``also``: other paths that belong to the entry (``/directory``
    is the name the directory had)."""

    key: str
    href: str
    children: tuple[NavItem, ...] = ()
    also: tuple[str, ...] = ()


def _group(key: str, *children: NavItem | None) -> NavItem | None:
    kept = tuple(c for c in children if c is not None)
    return NavItem(key, kept[0].href, kept) if kept else None


def nav_for(user: User | None, home: str | None) -> list[NavItem]:
    """The navigation of a role, from its capabilities (:data:`ROLE_CAPABILITIES
    <jieneng.core.permissions.ROLE_CAPABILITIES>`): every page the role may open, in
    groups (统计, 报送, 审核, 目标, 管理); data entry and import for those who enter
    figures, the review queue for reviewers, 管理 for the pages of its capabilities.
    ``tests/web/test_navigation.py`` opens every link as every role."""
    if user is None:
        return []

    def page(key: str, href: str, capability: Capability | None = None,
             also: tuple[str, ...] = ()) -> NavItem | None:
        return NavItem(key, href, also=also) if capability is None or user.can(
            capability) else None

    C = Capability
    groups = [
        NavItem("nav.home", "/"),
        _group("nav.group.statistics",
               page("nav.overview", "/overview", also=("/explain",)),
               page("nav.summaries", "/summaries"),
               page("nav.directory", "/institutions", also=("/directory",))),
        _group("nav.group.reporting",
               page("nav.entry", "/entry", C.ENTER_DATA),
               page("nav.import", "/import", C.IMPORT_DATA),
               page("nav.metering", "/metering", C.VIEW_METERING),
               page("nav.utility_files", "/metering/utility", C.IMPORT_DATA),
               page("nav.datacentre", "/datacentre", C.ENTER_DATA),
               page("nav.monitoring", "/monitoring", C.VIEW_METERING),
               page("nav.gateways", "/gateways", C.MANAGE_GATEWAYS),
               page("nav.reporting", "/reporting"),
               page("nav.tasks", "/reporting/tasks"),
               page("nav.rate", "/reporting/rate")),
        _group("nav.group.review",
               page("nav.review_queue", "/review", C.REVIEW),  # a reviewer's worklist
               page("nav.quality", "/quality"),
               page("nav.datacentre_summary", "/datacentre/summary"),  # scoped, like /quality
               page("nav.review", "/review-report"),
               page("nav.spot_checks", "/spot-checks"),
               page("nav.rules", "/quality/rules")),
        _group("nav.group.targets",
               page("nav.targets", "/targets"),
               page("nav.assessment", "/targets/assessment"),
               page("nav.quotas", "/quotas"),
               page("nav.alerts", "/alerts")),
        _group("projects.web.nav",  # 节能项目: every role reads its scope's
               page("projects.web.nav_list", "/projects"),
               page("projects.web.register", "/projects/new", C.MANAGE_PROJECTS),
               page("projects.web.import", "/projects/import", C.MANAGE_PROJECTS),
               page("weather.web.nav", "/weather")),  # public reference data (M&V)
        _group("nav.group.campaigns",  # 创建与考核 (issue 14): one line per page family
               # work plans (W2):
               page("workplans.web.nav", "/workplans"),
               page("workplans.web.import", "/workplans/import", C.MANAGE_WORK_PLANS),
               # rounds (R1), checks (R2), coverage (R2):
               page("campaigns.web.nav_rounds", "/campaigns/rounds"),
               page("campaigns.web.nav_rechecks", "/campaigns/rechecks"),
               page("campaigns.web.nav_coverage", "/campaigns/coverage"),
               # schemes, fleet (R3):
               page("campaigns.web.nav_schemes", "/campaigns/schemes"),
               page("campaigns.web.nav_fleet", "/fleet"),
               # assessments (A):
               page("assessments.web.nav", "/assessments"),
               # carbon (C):
               page("carbon.web.nav_events", "/carbon/events"),
               page("carbon.web.nav_points", "/carbon/points"),
               ),
        NavItem("nav.screen", f"/screen/{home}") if home else None,
        _group("nav.admin",
               page("nav.users", "/admin/users", C.MANAGE_ACCOUNTS),
               page("nav.audit", "/admin/audit", C.VIEW_AUDIT),
               page("nav.factor_sets", "/admin/factor-sets", C.FACTOR_SETS),
               page("nav.publication", "/admin/publication", C.PUBLISH),
               page("nav.channels", "/admin/channels", C.MANAGE_CHANNELS)),
    ]
    return [g for g in groups if g is not None]


def _matches(path: str, href: str) -> bool:
    return path == href or (href != "/" and path.startswith(href.rstrip("/") + "/"))


def active_trail(nav: list[NavItem], path: str) -> list[NavItem]:
    """The menu entries of ``path``: [group, page] or [page]; the page is the one whose
    path is the longest prefix of ``path`` (``/reporting/rate`` is not ``/reporting``,
    ``/review-report`` is not ``/review``); empty for a page outside the menu."""
    best: list[NavItem] = []
    length = -1
    for item in nav:
        for child in item.children or (item,):
            for href in (child.href, *child.also):
                if _matches(path, href) and len(href) > length:
                    length = len(href)
                    best = [item, child] if item.children else [item]
    return best


def _region_options(engine: Any, user: User | None) -> list[dict[str, str]]:
    """The regions a page's region field suggests (a ``<datalist>``); none without an
    account or when the database is unwell (the field still takes a typed code)."""
    if user is None or engine is None:
        return []
    try:
        return region_choices(engine, user)
    except Exception:  # the page must render even if the database is unwell
        return []


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
    nav = nav_for(user, home)
    ctx: dict[str, Any] = {
        "request": request,
        "t": partial(translate, lang),
        "lang": lang,
        "languages": LANGUAGES,
        "user": user,
        "scope_name": scope_name,
        "nav": nav,
        "trail": active_trail(nav, request.url.path),
        # can('set_targets'): whether to show a form; the service checks the same table
        "can": partial(_can, user),
        # region_options(): the regions of the caller's scope, read when a page asks
        "region_options": partial(_region_options, engine, user),
        "unread": unread,
        "path": request.url.path,
        "csrf_token": csrf_token(request),
    }
    ctx.update(context or {})
    html = env.get_template(name).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)
