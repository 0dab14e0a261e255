"""Weather stations and imports on both databases: re-import idempotent and replacing,
all or nothing, the nearest ancestor's station, the calendar grid the M&V runs read,
who may write."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import DomainError, ImportRejected, NotFound, NotPermitted
from jieneng.core.permissions import CapabilityRequired, Role
from jieneng.services import weather
from jieneng.services.entry.imports import import_file
from jieneng.storage.weather import weather_day
from tests.ingest.conftest import write_csv
from tests.sample import Files
from tests.services.metering_world import user

ADMIN = user(Role.ADMIN)
CITY = user(Role.REGION, "450300", uid=2)
COUNTY = user(Role.REGION, "450321", uid=3)
TODAY = date(2026, 12, 4)


@pytest.fixture
def stations(engine: Engine, files: Files) -> Engine:
    import_file(engine, "regions", files.regions)
    weather.add_station(engine, ADMIN, code="57957", name="桂林", regions_served=["450300"],
                        latitude=25.32, longitude=110.3)
    weather.add_station(engine, COUNTY, code="YS01", name="阳朔", regions_served=["450321"])
    return engine


def _daily(tmp_path: Path, name: str, rows: list[list[object]]) -> Path:
    return write_csv(tmp_path / name, ["日期", "日平均气温(℃)"], rows)


def test_import_is_idempotent_and_a_later_file_replaces(stations: Engine,
                                                        tmp_path: Path) -> None:
    first = _daily(tmp_path, "a.csv", [["2025-01-01", 8.0], ["2025-01-02", 9.0]])
    report = weather.import_weather(stations, CITY, first, station="57957", today=TODAY)
    assert (report.new, report.replaced, report.unchanged, report.days) == (2, 0, 0, 2)
    assert report.batch_id is not None and report.unit == "C"
    again = weather.import_weather(stations, CITY, first, station="57957", today=TODAY)
    assert (again.new, again.replaced, again.unchanged) == (0, 0, 2)
    later = _daily(tmp_path, "b.csv", [["2025-01-02", 9.5], ["2025-01-03", 10.0]])
    dry = weather.import_weather(stations, CITY, later, station="57957", dry_run=True,
                                 today=TODAY)
    assert (dry.new, dry.replaced, dry.batch_id) == (1, 1, None)
    temps = weather.daily_temperatures(stations, station="57957", start=date(2025, 1, 1),
                                       end=date(2025, 1, 3))
    assert np.isnan(temps.celsius[2]) and temps.celsius[1] == 9.0  # the dry run kept nothing
    done = weather.import_weather(stations, CITY, later, station="57957", today=TODAY)
    assert (done.new, done.replaced, done.unchanged) == (1, 1, 0)
    temps = weather.daily_temperatures(stations, station="57957", start=date(2025, 1, 1),
                                       end=date(2025, 1, 3))
    assert temps.celsius.tolist() == [8.0, 9.5, 10.0]
    assert temps.fahrenheit.tolist() == pytest.approx([46.4, 49.1, 50.0])


def test_a_bad_file_stores_nothing(stations: Engine, tmp_path: Path) -> None:
    bad = _daily(tmp_path, "bad.csv", [["2025-01-01", 8.0], ["2025-01-02", "x"]])
    with pytest.raises(ImportRejected) as err:
        weather.import_weather(stations, ADMIN, bad, station="57957", today=TODAY)
    assert err.value.report is not None and err.value.report.height == 1
    with stations.connect() as conn:
        assert conn.execute(select(func.count()).select_from(weather_day)).scalar_one() == 0
    good = _daily(tmp_path, "g.csv", [["2025-01-01", 8.0]])
    with pytest.raises(NotFound):
        weather.import_weather(stations, ADMIN, good, station="NOPE", today=TODAY)


def test_hourly_import_and_the_grid_with_gaps(stations: Engine, tmp_path: Path) -> None:
    rows = [[f"2025-07-0{d} {h:02d}:00", 80.6] for d in (1, 3) for h in range(24)]
    path = write_csv(tmp_path / "h.csv", ["timestamp", "temperature"], rows)
    report = weather.import_weather(stations, ADMIN, path, station="YS01", unit="F",
                                    today=TODAY)
    assert (report.shape, report.days, report.rows) == ("hourly", 2, 48)
    temps = weather.daily_temperatures(stations, region_code="450321",
                                       start=date(2025, 6, 30), end=date(2025, 7, 4))
    assert temps.station == "YS01" and temps.days.size == 5
    assert temps.days[0] == np.datetime64("2025-06-30")
    assert np.isnan(temps.celsius[[0, 2, 4]]).all()
    assert temps.celsius[[1, 3]] == pytest.approx([27.0, 27.0])
    assert temps.coverage.tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert (temps.present, temps.share_present) == (2, 0.4)


def test_a_region_takes_its_nearest_ancestors_station(stations: Engine) -> None:
    assert weather.station_for_region(stations, "450321") == "YS01"  # its own
    assert weather.station_for_region(stations, "450302") == "57957"  # the city's
    assert weather.station_for_region(stations, "450300") == "57957"
    with pytest.raises(NotFound) as err:
        weather.station_for_region(stations, "450000")  # the province has none
    assert err.value.code == "weather.no_station"
    listed = {s["code"]: s for s in weather.list_stations(stations)}
    assert listed["57957"]["regions"] == ["450300"] and listed["57957"]["latitude"] == 25.32
    # a region moves to another station
    weather.add_station(stations, ADMIN, code="57957", name="桂林站",
                        regions_served=["450321"])
    assert weather.station_for_region(stations, "450321") == "57957"


def test_who_may_write(stations: Engine, tmp_path: Path) -> None:
    with pytest.raises(NotPermitted) as err:  # the city's station is above the county
        weather.add_station(stations, COUNTY, code="57957", name="x")
    assert err.value.code == "weather.station_outside_scope"
    with pytest.raises(NotPermitted):  # a station serving nothing: the administrator's
        weather.add_station(stations, CITY, code="LONE", name="孤站")
    path = _daily(tmp_path, "c.csv", [["2025-01-01", 8.0]])
    with pytest.raises(NotPermitted):
        weather.import_weather(stations, COUNTY, path, station="57957", today=TODAY)
    with pytest.raises(CapabilityRequired):
        weather.import_weather(stations, user(Role.INSTITUTION, institution_id=1, uid=9), path,
                               station="YS01", today=TODAY)
    weather.import_weather(stations, CITY, path, station="YS01", today=TODAY)  # below the city


def test_bad_queries(stations: Engine) -> None:
    with pytest.raises(DomainError) as err:
        weather.daily_temperatures(stations, start=date(2025, 1, 2), end=date(2025, 1, 1),
                                   station="57957")
    assert err.value.code == "weather.bad_range"
    with pytest.raises(DomainError) as err:
        weather.daily_temperatures(stations, start=date(2025, 1, 1), end=date(2025, 1, 1))
    assert err.value.code == "weather.station_or_region"
    with pytest.raises(DomainError) as err:
        weather.add_station(stations, ADMIN, code="有 空格", name="x")
    assert err.value.code == "weather.bad_station_code"
