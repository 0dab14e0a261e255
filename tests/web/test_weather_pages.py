"""The weather page ``/weather`` (stations, months, share of days stored, mean °C,
HDD18 / CDD26, sources), its JSON twin, its workbook, and the import form with its
twin — on both databases, status AND body checked; refusals by code; what was chosen
kept on a refused file; CSRF."""

from __future__ import annotations

import io
from datetime import date, timedelta

import polars as pl
import pytest
from openpyxl import load_workbook

from jieneng.storage import weather
from tests.web.conftest import ROLES, World, csrf


def _days(first: date, temps: list[float], source: str = "daily") -> pl.DataFrame:
    days = [first + timedelta(days=n) for n in range(len(temps))]
    return pl.DataFrame({"day": days, "temperature_c": temps, "source": [source] * len(days),
                         "coverage": [1.0] * len(days), "hours": [None] * len(days)},
                        schema={"day": pl.Date, "temperature_c": pl.Float64,
                                "source": pl.String, "coverage": pl.Float64,
                                "hours": pl.Int16})


@pytest.fixture
def stations(world: World) -> World:
    """桂林 59431 serving 450300: all of January 2025 at 10 °C (HDD18 = 31 × 8 = 248) and
    February 1–10 at 30 °C (CDD26 = 10 × 4 = 40); 阳朔 59999 serving nothing, no days."""
    with world.engine.begin() as conn:
        sid, _ = weather.upsert_station(conn, "59431", "桂林", 25.3, 110.3)
        weather.serve_regions(conn, sid, ["450300"])
        weather.write_days(conn, sid, _days(date(2025, 1, 1), [10.0] * 31), None)
        weather.write_days(conn, sid, _days(date(2025, 2, 1), [30.0] * 10, "demo"), None)
        weather.upsert_station(conn, "59999", "阳朔", None, None)
    return world


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_page_its_twin_and_workbook(stations: World, role: str) -> None:
    client = stations.login(role)
    page = client.get("/weather")
    assert page.status_code == 200
    for shown in ("气象数据", "59431", "桂林", "450300", "2025-01", "2025-02", "248.0", "40.0",
                  "35.7%", "日平均值文件 31", "演示数据 10", 'href="/weather.xlsx"',
                  'href="/api/v1/weather"'):
        assert shown in page.text, (role, shown)
    assert ('id="weather-import-form"' in page.text) == (role in ("admin", "region_admin",
                                                                  "region"))
    assert 'href="/weather"' in client.get("/").text            # the menu entry
    data = client.get("/api/v1/weather").json()
    first = data["stations"][0]
    assert [s["code"] for s in data["stations"]] == ["59431", "59999"]
    assert first["days"] == 41 and first["months_stored"] == 2 and first["months_complete"] == 1
    assert first["share"] == pytest.approx(41 / 41)
    jan, feb = first["months"]
    assert jan == {"month": "2025-01", "days": 31, "days_in_month": 31, "share": 1.0,
                   "mean_c": 10.0, "hdd18": 248.0, "cdd26": 0.0, "hour_coverage": 1.0,
                   "sources": {"daily": 31}}
    assert feb["share"] == pytest.approx(10 / 28) and feb["cdd26"] == 40.0
    assert feb["sources"] == {"demo": 10}
    book = load_workbook(io.BytesIO(client.get("/weather.xlsx").content))
    cells = [str(c.value) for s in book for row in s.iter_rows() for c in row if c.value]
    for shown in ("采暖度日数 HDD18（°C·d）", "月平均气温（°C）", "59431", "2025-02"):
        assert any(shown in c for c in cells), (role, shown, cells[:40])


def test_one_station_english_and_an_unknown_one(stations: World) -> None:
    client = stations.login("viewer")
    one = client.get("/weather?station=59431&lang=en")
    assert one.status_code == 200 and "Weather data" in one.text and "59999" not in one.text
    assert "Heating degree days HDD18" in one.text and "daily-mean file 31" in one.text
    assert client.get("/api/v1/weather?station=59431").json()["station"] == "59431"
    missing = client.get("/api/v1/weather?station=NOPE")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "weather.unknown_station"
    client.cookies.set("lang", "en")
    book = load_workbook(io.BytesIO(client.get("/weather.xlsx?station=59431").content))
    headers = [str(c.value) for s in book for row in s.iter_rows() for c in row if c.value]
    assert any("Cooling degree days CDD26 (°C·d)" in h for h in headers), headers[:30]


def _csv(rows: list[tuple[str, str]]) -> bytes:
    return ("日期,日平均气温(℃)\n" + "".join(f"{d},{v}\n" for d, v in rows)).encode()


def test_import_form_checks_then_imports_and_keeps_the_choices(stations: World) -> None:
    office = stations.login("region")                   # 阳朔县's office
    admin = stations.login("admin")
    token = csrf(admin)
    good = _csv([("2025-03-01", "12.5"), ("2025-03-02", "13.5")])
    checked = admin.post("/weather/import", data={"csrf_token": token, "station": "59431",
                                                  "unit": "", "dry_run": "1"},
                         files={"file": ("guilin.csv", good, "text/csv")})
    assert checked.status_code == 200 and "试导入，未保存" in checked.text
    assert "2025-03" not in admin.get("/api/v1/weather").text
    done = admin.post("/weather/import", data={"csrf_token": token, "station": "59431"},
                      files={"file": ("guilin.csv", good, "text/csv")})
    assert done.status_code == 200 and "已导入气象站 59431" in done.text and "新增 2" in done.text
    march = admin.get("/api/v1/weather").json()["stations"][0]["months"][-1]
    assert march["month"] == "2025-03" and march["mean_c"] == 13.0
    bad = admin.post("/weather/import", data={"csrf_token": token, "station": "59431",
                                              "unit": "F", "dry_run": "1"},
                     files={"file": ("bad.csv", _csv([("2025-03-03", "热")]), "text/csv")})
    assert bad.status_code == 422 and 'id="import-issues"' in bad.text
    assert 'value="59431" selected' in bad.text and 'value="F" selected' in bad.text
    unknown = admin.post("/weather/import", data={"csrf_token": token, "station": "NOPE"},
                         files={"file": ("g.csv", good, "text/csv")})
    assert unknown.status_code == 404 and "气象站“NOPE”未登记" in unknown.text
    outside = office.post("/weather/import", data={"csrf_token": csrf(office),
                                                   "station": "59999"},
                          files={"file": ("g.csv", good, "text/csv")})
    assert outside.status_code == 403                    # a station serving no region
    assert "weather.station_outside_scope" not in outside.text
    viewer = stations.login("viewer")
    # refused before the file is read (a plain form: a refused multipart request's
    # spooled form is left unclosed by the session check — reported to the lead)
    assert viewer.post("/weather/import", data={"csrf_token": csrf(viewer),
                                                "station": "59431"}).status_code == 403
    # the form carries the session's CSRF token (a post without it: 403, checked with a
    # plain form for the same reason)
    assert f'name="csrf_token" value="{token}"' in admin.get("/weather").text
    assert admin.post("/weather/import", data={"station": "59431"}).status_code == 403


def test_import_twin(stations: World) -> None:
    admin = stations.login("admin")
    headers = {"X-CSRF-Token": csrf(admin)}
    good = _csv([("2025-04-01", "20")])
    dry = admin.post("/api/v1/weather/import?station=59431&dry_run=true", headers=headers,
                     files={"file": ("g.csv", good, "text/csv")})
    assert dry.status_code == 200 and dry.json()["dry_run"] and dry.json()["new"] == 1
    bad = admin.post("/api/v1/weather/import?station=59431", headers=headers,
                     files={"file": ("b.csv", _csv([("2025-04-01", "x")]), "text/csv")})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "imports.file_has_errors"
    stored = admin.post("/api/v1/weather/import?station=59431", headers=headers,
                        files={"file": ("g.csv", good, "text/csv")})
    assert stored.status_code == 200 and stored.json()["batch_id"] is not None
