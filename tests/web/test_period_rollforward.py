"""Period management rolls into the current year (usability review: the periods stop
at 2025-12 although today is 2026-12): /reporting proposes the months not yet opened
up to last month and opens them in one go; periods are listed by region name."""

from __future__ import annotations

from datetime import date

from jieneng.services.workflow.periods import months_to_open
from tests.web.conftest import World, csrf


def _items(*periods: str, region: str = "450321") -> list[dict[str, object]]:
    return [{"region_code": region, "kind": "monthly", "period": p} for p in periods]


def test_months_to_open_from_the_newest_through_last_month() -> None:
    today = date(2026, 12, 3)
    todo = months_to_open(_items("2025-11", "2025-12"), "450321", today)
    assert [p.format() for p in todo] == [f"2026-{m:02d}" for m in range(1, 12)]
    assert [p.format() for p in months_to_open([], "450321", today)] == ["2026-11"]
    assert months_to_open(_items("2026-11"), "450321", today) == []
    other = _items("2025-12", region="450300")
    assert [p.format() for p in months_to_open(other, "450321", today)] == ["2026-11"]
    january = months_to_open(_items("2025-10"), "450321", date(2026, 1, 5))
    assert [p.format() for p in january] == ["2025-11", "2025-12"]
    assert len(months_to_open(_items("2020-01"), "450321", today)) == 24
    assert months_to_open(_items("2025-12"), None, today) == []


def test_open_several_months_at_once_and_list_them_by_name(world: World) -> None:
    office = world.login("region")
    token = csrf(office)
    done = office.post("/reporting/periods", data={
        "csrf_token": token, "region": "450321", "period": "2026-01", "through": "2026-03"})
    assert done.status_code == 200, done.text
    assert 'id="opened"' in done.text and "2026-01 – 2026-03" in done.text
    periods = office.get("/api/v1/reporting/periods").json()["items"]
    assert {p["period"] for p in periods} >= {"2026-01", "2026-02", "2026-03"}
    page = office.get("/reporting")
    assert "阳朔县" in page.text and 'class="pg-code">450321' not in page.text
    backwards = office.post("/reporting/periods", data={
        "csrf_token": token, "region": "450321", "period": "2026-05", "through": "2026-04"})
    assert backwards.status_code == 422
    assert "不早于起始月份" in backwards.text


def test_the_page_proposes_the_months_up_to_last_month(world: World) -> None:
    office = world.login("region")
    office.post("/reporting/periods", data={
        "csrf_token": csrf(office), "region": "450321", "period": "2020-01"})
    page = office.get("/reporting")
    assert 'id="catch-up"' in page.text and 'name="through"' in page.text
    assert "2020-02" in page.text
