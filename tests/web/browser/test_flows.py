"""The platform's main flows in a real browser (issue 3, item 5).

Each role logs in and sees its own scope; a 公共机构 user who edits the URL to
another institution gets the 404 page; the 统计员 of the demo school enters a
month the demo left empty (2026-01), passes the jump-warning step and sees the
new figure in the overview and the institution detail, equal to the JSON twin;
a 管理机构 user uploads a bad consumption file and sees the row-level report
with nothing stored; the public big screen works without login and without
leaving 127.0.0.1. The screenshots of the README are saved on the way
(docs/screenshots/*.png at 1366×768; the entry form and the institution detail
as whole pages, 1366 wide).

One server and one demo database serve the whole session: the only test that
stores anything (the entry flow) writes 2026-01, a month no other test reads;
the pages photographed name their year (2025) explicitly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from jieneng.core.rounding import format_number
from tests.web.browser.conftest import Traffic, login, shot
from tests.web.browser.harness import Live, needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]

ROLES = ("admin", "guilin", "yangshuo", "viewer", "jiaoyuju", "school")
CITY = "450300"  # 桂林市, the demo city
DEMO_YEAR = 2025  # the demo's last complete year
EMPTY = (2026, 1)  # the month after the demo's last: no figures yet
UNKNOWN_CODE = "12450300000000000X"  # well formed, in no directory


# ---------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def patient(page: Page) -> None:
    """The city-wide pages are the heaviest the app serves: on a loaded machine
    (CI running other suites) allow them more than the harness's 10 s."""
    page.set_default_timeout(30_000)


def api(page: Page, path: str, status: int = 200, **params: Any) -> Any:
    """The JSON twin at ``path``, with the page's session (cookies)."""
    response = page.request.get(path, params=params or None)
    assert response.status == status, f"{path}: {response.status} {response.text()[:300]}"
    return response.json()


#: Session cookies of the users already logged in through the form (this session's
#: server): later tests of the same user reuse them instead of paying Argon2 again.
_SESSIONS: dict[str, list[Any]] = {}


def sign_in(page: Page, accounts: dict[str, Any], username: str, *, form: bool = False
            ) -> None:
    """Log in as ``username``: through the form the first time (or with ``form``),
    then with the session cookie it was given."""
    cookies = _SESSIONS.get(username)
    if cookies and not form:
        page.context.add_cookies(cookies)
        return
    login(page, username, accounts[username].password)
    _SESSIONS[username] = page.context.cookies()


def text_of(page: Page, selector: str) -> str:
    return " ".join(page.locator(selector).first.inner_text().split())


def charts_complete(page: Page) -> int:
    """Wait until every chart of the page is drawn, then draw it again without
    animation (so a screenshot shows the finished chart); the number of charts."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every(el => el.jienengChart && el.querySelector('canvas'))"
    )
    return int(page.evaluate(
        """() => Promise.all([...document.querySelectorAll('[data-chart]')].map(el => {
            const chart = el.jienengChart.chart;
            return new Promise(resolve => {
                chart.on('finished', resolve);
                setTimeout(resolve, 1500);
                const option = chart.getOption();
                option.animation = false;
                chart.setOption(option, true);
            });
        })).then(done => done.length)"""
    ))


def other_institution(live: Live, mine: str) -> str:
    """The credit code of an institution of the demo city in a county, not ``mine``."""
    from sqlalchemy import text

    from jieneng.services.database import open_database

    engine = open_database(live.database_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text(
                "SELECT credit_code FROM institution WHERE credit_code <> :mine "
                "AND region_code <> :city ORDER BY credit_code LIMIT 1"),
                {"mine": mine, "city": CITY}).scalar_one())
    finally:
        engine.dispose()


def assert_local_only(traffic: Traffic) -> None:
    assert traffic.blocked == [], f"requests leaving 127.0.0.1: {traffic.blocked}"
    assert traffic.external() == [], f"requests leaving 127.0.0.1: {traffic.external()}"


def carrier_row(page: Page, name_zh: str) -> list[str]:
    """The cells of the overview's by-carrier table row of one carrier."""
    row = page.locator("section.pg-two table.pg-table tbody tr").filter(
        has=page.locator("td:first-child", has_text=name_zh)).filter(
        has_not_text=name_zh + "-")  # 汽油-车辆用油 is not 汽油
    cells = [" ".join(c.split()) for c in row.first.locator("td").all_inner_texts()]
    assert cells and cells[0] == name_zh, cells
    return cells


# ---------------------------------------------------------------- log in, scope


@pytest.mark.parametrize("username", ROLES)
def test_each_role_sees_its_own_overview(
    page: Page, traffic: Traffic, demo_accounts: dict[str, Any], username: str
) -> None:
    sign_in(page, demo_accounts, username, form=True)
    assert urlsplit(page.url).path == "/", page.url  # the workbench is the home page
    expect(page.locator("h1")).to_contain_text("工作台")
    page.goto("/overview")  # the overview of the role's scope, one click from it
    me = api(page, "/api/v1/me")
    assert me["user"]["username"] == username
    scope_name = me["scope_name"]
    assert scope_name, me
    # the top bar names the role's scope; the overview of that scope is shown
    assert scope_name in text_of(page, "header .scope"), text_of(page, "header")
    heading = text_of(page, "h1")
    assert heading.startswith("能耗总览"), heading
    overview = api(page, "/api/v1/overview")
    assert overview["region"]["name"] in heading, (heading, overview["region"])
    if me["scope"]["kind"] == "region":
        assert scope_name in heading, heading
    energy = text_of(page, ".pg-card[data-figure=energy_tce] .pg-card-value")
    assert energy.startswith(format_number(overview["energy_tce"])), energy
    # the 同类可比 ranking arrives after the page (htmx) and says what its twin says
    page.locator("#ranking form.pg-filters").wait_for()
    category = page.locator("#ranking select[name=category]").input_value()
    ranking = api(page, "/api/v1/ranking", year=str(overview["year"]), category=category,
                  **({"region": overview["region"]["code"]} if overview["region"]["code"]
                     else {}))
    hint = text_of(page, "#ranking .pg-hint")
    assert f"{ranking['rankable_count']}" in hint and f"{ranking['total']}" in hint, hint
    assert "Traceback" not in page.content()
    assert_local_only(traffic)


def test_wrong_password_is_shown_beside_the_form(page: Page) -> None:
    page.goto("/login")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill("viewer")
    form.locator("input[name=password]").fill("not-the-password")
    with page.expect_navigation() as nav:
        form.locator("button[type=submit]").click()
    assert nav.value is not None and nav.value.status == 401, nav.value and nav.value.status
    assert page.url.split("?", 1)[0].endswith("/login"), page.url
    card = page.locator("section:has(form:has(input[name=password]))")
    error = card.locator("[role=alert]")
    expect(error).to_be_visible()
    assert error.inner_text().strip(), "empty error message"
    # the typed user name is kept, the password is not
    assert form.locator("input[name=username]").input_value() == "viewer"
    assert form.locator("input[name=password]").input_value() == ""


def test_institution_user_editing_the_url_gets_404(
    page: Page, live: Live, demo_accounts: dict[str, Any]
) -> None:
    sign_in(page, demo_accounts, "school")
    own = api(page, "/api/v1/institutions")["items"]
    assert len(own) == 1, own
    mine = own[0]["credit_code"]
    response = page.goto(f"/institutions/{mine}")
    assert response is not None and response.status == 200
    # other institutions of the same city (its competent department, a county's
    # unit) are out of reach: the 404 page, as for a code that does not exist
    others = [own[0]["department_code"], other_institution(live, mine), UNKNOWN_CODE]
    for other in others:
        response = page.goto(f"/institutions/{other}")
        assert response is not None and response.status == 404, (other, response)
        assert text_of(page, "h1").startswith("404"), text_of(page, "h1")
        assert "不在您的权限范围内" in page.inner_text("body")
        assert api(page, f"/api/v1/institutions/{other}", 404)["error"]["kind"] == "not_found"
    forbidden = page.goto(f"/entry/{others[0]}/{DEMO_YEAR}/1")
    assert forbidden is not None and forbidden.status == 404


# ---------------------------------------------------------------- data entry


def test_school_enters_a_month_and_sees_it_in_overview_and_detail(
    page: Page, traffic: Traffic, demo_accounts: dict[str, Any]
) -> None:
    sign_in(page, demo_accounts, "school")
    code = api(page, "/api/v1/institutions")["items"][0]["credit_code"]
    year, month = EMPTY
    twin = f"/api/v1/entry/{code}/{year}/{month}"
    form_before = api(page, twin)
    assert all(f["quantity"] is None for f in form_before["fields"]), "the month is not empty"
    records_before = api(page, f"/api/v1/institutions/{code}")["records"]["records"]

    page.goto(f"/entry/{code}/{year}/{month}")
    assert "数据填报" in text_of(page, "h1")
    # about twice the previous month's electricity: a jump to confirm
    previous = next(f for f in form_before["fields"] if f["carrier"] == "electricity")
    electricity = round(previous["previous_month"]["quantity"] * 2)
    page.fill("#v_electricity", f"{electricity:,}")
    page.fill("input[name=c_electricity]", str(round(electricity * 0.79)))
    page.fill("#v_water", "41000")
    page.fill("input[name=c_water]", "123000")

    # 检查 (htmx): the warnings, and nothing stored yet
    page.get_by_role("button", name="检查").click()
    findings = page.locator("#findings li.pg-warning")
    findings.first.wait_for()
    assert "电" in " ".join(findings.all_inner_texts())
    confirm = page.locator("#findings input[name=confirm]")
    assert confirm.is_visible()
    assert all(f["quantity"] is None for f in api(page, twin)["fields"])
    shot(page, "entry", full_page=True)

    # 保存 without ticking the box: the warnings step again, still nothing stored
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    page.locator("#findings li.pg-warning").first.wait_for()
    assert page.locator("#v_electricity").input_value() == f"{electricity:,}"
    assert all(f["quantity"] is None for f in api(page, twin)["fields"])

    page.locator("#findings input[name=confirm]").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "saved=" in page.url, page.url
    assert "已保存" in text_of(page, "[role=status]")

    stored = {f["carrier"]: f for f in api(page, twin)["fields"]}
    assert stored["electricity"]["quantity"] == electricity
    assert stored["water"]["quantity"] == 41000

    # the overview of that year shows what its twin says, and it is the new figure
    overview = api(page, "/api/v1/overview", year=str(year))
    carriers = {c["carrier"]: c for c in overview["by_carrier"]}
    assert carriers["electricity"]["quantity"] == electricity
    assert overview["institutions_reported"] == 1
    page.goto(f"/overview?year={year}")
    assert str(year) in text_of(page, "h1")
    energy = text_of(page, ".pg-card[data-figure=energy_tce] .pg-card-value")
    assert energy.startswith(format_number(overview["energy_tce"])), energy
    assert overview["energy_tce"] > 0
    cells = carrier_row(page, "电")
    assert cells[1] == format_number(electricity) == format_number(
        carriers["electricity"]["quantity"]), cells
    assert carrier_row(page, "水")[1] == format_number(carriers["water"]["quantity"])

    # the institution detail: its 36-month series now holds the new month
    detail = api(page, f"/api/v1/institutions/{code}")
    assert detail["records"]["records"] > records_before
    series = detail["series"]
    at = series["months"].index(f"{year}-{month:02d}")
    page.goto(f"/institutions/{code}")
    charts_complete(page)
    shown = page.evaluate(
        "() => JSON.parse(document.getElementById('series-electricity-data').textContent)")
    assert shown["months"] == series["months"]
    assert shown["values"][at] == electricity
    assert shown["values"] == next(
        c["quantity"] for c in series["carriers"] if c["carrier"] == "electricity")
    assert f"{detail['records']['records']}" in text_of(page, "dl.pg-facts")
    assert_local_only(traffic)


# ---------------------------------------------------------------- import


def test_bad_import_shows_row_errors_and_stores_nothing(
    page: Page, traffic: Traffic, demo_accounts: dict[str, Any], tmp_path: Path
) -> None:
    sign_in(page, demo_accounts, "guilin")
    code = api(page, "/api/v1/institutions", per_page="1")["items"][0]["credit_code"]
    overview_before = api(page, "/api/v1/overview", year=str(DEMO_YEAR))
    detail_before = api(page, f"/api/v1/institutions/{code}")

    bad = tmp_path / "月度能耗.csv"
    bad.write_text(
        "统一社会信用代码,年,月,电(吨),水(立方米)\n"
        f"{code},{DEMO_YEAR},6,100,50\n"          # row 2: fine on its own
        f"{UNKNOWN_CODE},{DEMO_YEAR},6,100,50\n"  # row 3: unknown institution
        f"{code},{DEMO_YEAR},13,100,50\n",        # row 4: month 13
        encoding="utf-8",
    )
    page.goto("/import")
    page.select_option("select[name=kind]", "consumption")
    page.set_input_files("input[name=file]", str(bad))
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="上传并检查").click()
    assert nav.value is not None and nav.value.status == 422, nav.value and nav.value.status

    report = page.locator("#report")
    assert "未导入任何数据" in report.inner_text()
    rows = [[" ".join(c.split()) for c in r.locator("td").all_inner_texts()]
            for r in report.locator("#issues tbody tr").all()]  # not the counts
    # columns: file, sheet, row, column, value, problem (zh), problem (en)
    by_place = {(r[2], r[3]): r for r in rows}
    assert any(col == "电(吨)" for _, col in by_place), rows
    assert ("3", "统一社会信用代码") in by_place, rows
    assert by_place[("3", "统一社会信用代码")][4] == UNKNOWN_CODE
    assert ("4", "月") in by_place, rows
    assert by_place[("4", "月")][4] == "13"
    assert all(r[5] for r in rows), rows  # every issue says what is wrong
    report.scroll_into_view_if_needed()
    shot(page, "import-errors")

    # nothing stored: the JSON twins are unchanged
    assert api(page, f"/api/v1/institutions/{code}") == detail_before
    assert api(page, "/api/v1/overview", year=str(DEMO_YEAR)) == overview_before
    assert_local_only(traffic)


# ---------------------------------------------------------------- big screen


def test_big_screen_without_login_stays_on_127_0_0_1(page: Page, traffic: Traffic) -> None:
    response = page.goto(f"/screen/{CITY}", wait_until="networkidle")
    assert response is not None and response.status == 200, response and response.status
    assert page.url.endswith(f"/screen/{CITY}"), page.url  # no detour to /login
    data = api(page, f"/api/v1/screen/{CITY}")
    assert data["region"]["name"] in text_of(page, "h1")
    assert str(data["year"]) in text_of(page, "h1")
    for key in ("energy_tce", "water_m3", "co2_t", "energy_per_capita_kgce"):
        value = data["figures"][key]
        digits = 0 if value is not None and value >= 10000 else 2
        shown = text_of(page, f".pg-screen-card[data-figure={key}] .pg-screen-value")
        assert shown.startswith(format_number(value, digits)), (key, shown, value)
    rows = page.locator("#publication tbody tr")
    assert rows.count() == len(data["institutions"]) > 0
    first = data["institutions"][0]
    cells = [" ".join(c.split()) for c in rows.first.locator("td").all_inner_texts()]
    assert cells[:3] == [first["name"], first["region_name"], format_number(first["energy_tce"])]
    assert charts_complete(page) == 1
    shot(page, "screen")
    assert_local_only(traffic)


# ---------------------------------------------------------------- screenshots


def test_screenshots_of_the_main_pages(
    page: Page, traffic: Traffic, demo_accounts: dict[str, Any]
) -> None:
    sign_in(page, demo_accounts, "guilin")
    page.goto(f"/overview?region={CITY}&year={DEMO_YEAR}")
    assert text_of(page, "h1") == f"能耗总览 · 桂林市 · {DEMO_YEAR}"
    assert charts_complete(page) == 2
    shot(page, "overview")

    page.goto("/institutions")
    listing = api(page, "/api/v1/institutions")
    assert page.locator("table.pg-table tbody tr").count() > 0
    assert listing["items"][0]["name"] in page.inner_text("main")
    shot(page, "institutions")

    # a hospital of the city (the entry test writes to the school, not here)
    hospital = api(page, "/api/v1/institutions", q="桂林市演示人民医院")["items"][0]
    page.goto(f"/institutions/{hospital['credit_code']}")
    assert text_of(page, "h1") == hospital["name"]
    assert charts_complete(page) >= 2
    shot(page, "institution", full_page=True)
    assert_local_only(traffic)

    # the workflow and the targets of the demo city (issues 4 and 5)
    page.goto("/review")
    queue = api(page, "/api/v1/reporting/review")
    assert queue["total"] > 0 and page.locator("table tbody tr").count() > 0
    shot(page, "review-queue")
    page.goto(f"/reporting/rate?region={CITY}")
    shot(page, "reporting-rate")
    page.goto(f"/targets?region={CITY}&year={DEMO_YEAR}")
    progress = api(page, "/api/v1/targets", region=CITY, year=str(DEMO_YEAR))["progress"]
    assert progress and page.locator("#progress tbody tr").count() == len(progress)
    shot(page, "targets", full_page=True)
    page.goto(f"/quality?region={CITY}&year={DEMO_YEAR}")
    shot(page, "quality")
    assert_local_only(traffic)

    page.context.clear_cookies()
    sign_in(page, demo_accounts, "admin")
    page.goto("/admin/users")
    names = page.locator("table tbody tr td:nth-child(2)").all_inner_texts()
    assert set(ROLES) <= set(names), names
    shot(page, "admin-users")
    assert_local_only(traffic)
