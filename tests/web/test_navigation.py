"""The menu, the breadcrumbs and the phone menu (``web.templating.nav_for``).

Every link of a role's menu opens (200) for that role, and every page a role may
open is in its menu: the menu is drawn from the capability table, so a page is
neither missing (``/quotas`` was in no menu) nor a dead link (``/alerts`` was a
404 for a school).
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from jieneng.web.app import ROUTERS
from tests.web.conftest import ROLES, World

#: pages reached otherwise than through the menu, with the reason
OFF_MENU = {
    "/login": "the sign-in form",
    "/account": "the account link of the top bar",
    "/notifications": "the bell of the top bar",
    "/search": "the search box of the top bar",
    "/directory": "the old name of /institutions (a redirect)",
    "/api/v1/docs": "the API reference, linked from the account page",
    "/campaigns/schemes/load": "the 加载本地方案 button of /campaigns/schemes",
    "/fleet/import": "the import button of /fleet",
    "/assessments/sheets/load": "the 加载本地考核表 button of /assessments",
    "/carbon/points/entries": "the 查看、更正或撤回积分记录 link of /carbon/points",
}
#: (role, page) it may open that its menu leaves out, with the reason
NOT_FOR = {
    ("institution", "/review"): "a 公共机构 reviews nothing: its queue is always empty",
    ("viewer", "/review"): "the queue is a reviewer's worklist (the review capability); the "
                           "viewer reads the same state in 上报率 and the task list",
}


def _menu(body: str) -> list[str]:
    nav = body[body.index('class="mainnav"'):]
    nav = nav[:nav.index("</nav>")]
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', nav)]


def _plain_pages() -> set[str]:
    """The HTML pages without path parameters that are not file downloads."""
    out = set()
    for router in ROUTERS:
        for route in router.routes:
            if (isinstance(route, APIRoute) and "GET" in route.methods
                    and not route.path.startswith("/api/") and "{" not in route.path
                    and "." not in route.path.rsplit("/", 1)[-1]):
                out.add(route.path)
    return out


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_link_opens_and_every_page_is_in_the_menu(world: World, role: str) -> None:
    client = world.login(role)
    menu = _menu(client.get("/").text)
    assert "/" in menu and "/quotas" in menu and "/alerts" in menu
    for href in menu:
        response = client.get(href)
        assert response.status_code == 200, f"{role}: {href} → {response.status_code}"
    opened = {href.split("?")[0] for href in menu}
    for path in sorted(_plain_pages() - set(OFF_MENU)):
        if (role, path) not in NOT_FOR and client.get(path).status_code == 200:
            assert path in opened, f"{role} may open {path}, which is in no menu"


@pytest.mark.parametrize(("role", "present", "absent"), [
    ("admin", ["/review", "/entry", "/admin/users", "/admin/audit", "/admin/publication"], []),
    ("region_admin", ["/review", "/admin/users"], ["/admin/audit", "/admin/publication"]),
    ("region", ["/review", "/entry", "/import"], ["/admin/users"]),
    ("department", ["/review", "/entry"], ["/admin/users"]),
    ("institution", ["/entry", "/import", "/reporting"], ["/review", "/admin/users"]),
    ("viewer", ["/overview", "/reporting/rate"], ["/review", "/entry", "/import",
                                                    "/admin/users"]),
])
def test_the_menu_follows_the_capability_table(
    world: World, role: str, present: list[str], absent: list[str]
) -> None:
    menu = _menu(world.login(role).get("/").text)
    for href in present:
        assert href in menu, f"{role}: {href} missing"
    for href in absent:
        assert href not in menu, f"{role}: {href} shown"


def test_breadcrumbs_and_the_active_entry(world: World) -> None:
    client = world.login("region")
    body = client.get("/targets/assessment").text
    crumbs = body[body.index('class="crumbs"'):]
    crumbs = crumbs[:crumbs.index("</nav>")]
    assert re.search(r'href="/">工作台</a>.*href="/targets">目标与预警</a>.*目标考核', crumbs,
                     re.S)
    # /review-report is 会审, not the review queue /review; /reporting/rate is not /reporting
    for path, label in (("/review-report", "会审"), ("/reporting/rate", "上报率")):
        page = client.get(path).text
        nav = page[page.index('class="mainnav"'):]
        nav = nav[:nav.index("</nav>")]
        active = re.findall(r'class="active" aria-current="page">([^<]+)<', nav)
        assert active == [label], (path, active)
    # a page below a menu entry: the entry, then the page's own title
    school = client.get("/institutions").text
    assert 'aria-current="page">名录' in school
    # the workbench itself has no breadcrumbs; every page has the phone menu button
    home = client.get("/").text
    assert 'class="crumbs"' not in home
    assert 'id="nav-toggle"' in home and "菜单" in home


def test_the_top_bar_search_box_is_on_every_page(world: World) -> None:
    client = world.login("institution")
    for path in ("/", "/overview", "/reporting"):
        body = client.get(path).text
        assert 'action="/search"' in body and 'name="q"' in body, path
    assert 'action="/search"' not in world.client().get("/login").text
