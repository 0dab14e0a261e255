"""Weather (issue 13 §3): stations, temperature imports, and the daily mean temperatures
the M&V runs read.

- :func:`add_station` — register or update a station (code, name, optional latitude and
  longitude) and the regions it serves; :func:`list_stations`;
  :func:`station_months` — every station with its months: days stored of the days of
  the month, mean temperature, HDD18 / CDD26 and where the days came from (the
  weather page, ``/weather``).
- :func:`import_weather` — a station's daily-mean or hourly file
  (:func:`jieneng.ingest.weather.parse_weather`, °C or °F), all or nothing, dry run,
  the file kept as an import batch, audited; a day imported again is replaced
  (idempotent: an identical day is left alone).
- :func:`daily_temperatures` — a station's (or a region's) daily means over a range,
  one value per calendar day (NaN where none is stored) as numpy arrays;
  :func:`station_for_region` — the station of a region is its own or, without one, its
  nearest ancestor's (区县 → 市 → 省).

Weather is public reference data: reading it needs no capability and no scope.
Writing it (capability ``import_weather``) is the administrator's anywhere and a
管理机构's for stations whose regions all lie in its own subtree (a new station
serving no region yet: the administrator only).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.scope import ScopeKind
from jieneng.ingest import weather as files
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.storage import batches, regions
from jieneng.storage import weather as store

#: the longest range :func:`daily_temperatures` answers [days] (ten years and leap days)
MAX_DAYS = 3_660
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class DailyTemperatures:
    """Daily mean air temperature of one station, one entry per calendar day of
    [``days[0]``, ``days[-1]``]: ``celsius`` NaN and ``coverage`` 0 where no value is
    stored. ``coverage`` is the share of the day's hours observed (1 for a daily mean).
    """

    station: str
    region_code: str | None
    days: np.ndarray  # datetime64[D]
    celsius: np.ndarray  # float64 [°C]
    coverage: np.ndarray  # float64, 0–1

    @property
    def fahrenheit(self) -> np.ndarray:
        """[°F] = °C × 9/5 + 32 (the definition of the scale)."""
        return np.asarray(self.celsius * 1.8 + 32.0, dtype=np.float64)

    def in_unit(self, unit: str) -> np.ndarray:
        """The values in ``unit`` (C or F)."""
        return self.fahrenheit if unit.upper().lstrip("°") == "F" else self.celsius

    @property
    def present(self) -> int:
        """Days with a value."""
        return int(np.count_nonzero(~np.isnan(self.celsius)))

    @property
    def share_present(self) -> float:
        """Days with a value ÷ days of the range (0 for an empty range)."""
        return self.present / self.days.size if self.days.size else 0.0


@dataclass(frozen=True)
class WeatherImport:
    """What an import stored (a dry run: would store)."""

    file: str
    station: str
    shape: str
    unit: str
    rows: int
    days: int
    new: int
    replaced: int
    unchanged: int
    dry_run: bool
    first_day: str | None
    last_day: str | None
    batch_id: int | None = None
    warnings: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if k == "warnings" else v) for k, v in self.__dict__.items()}


# ---------------------------------------------------------------- stations

def add_station(engine: Engine, user: User, *, code: str, name: str,
                regions_served: Sequence[str] = (), latitude: float | None = None,
                longitude: float | None = None) -> dict[str, Any]:
    """Register the station ``code`` (or update its name and coordinates) and make it
    serve ``regions_served`` (each region one station: a region served by another
    station moves here). Returns the station as :func:`list_stations` shows it."""
    require(user, Capability.IMPORT_WEATHER)
    code = code.strip()
    if not _CODE.match(code):
        raise ValidationFailed.of("weather.bad_station_code", code=code)
    if not name.strip():
        raise ValidationFailed.of("weather.station_name_required", code=code)
    for value, limit in ((latitude, 90.0), (longitude, 180.0)):
        if value is not None and not -limit <= value <= limit:
            raise ValidationFailed.of("weather.bad_coordinate", value=value, limit=limit)
    codes = sorted({c.strip() for c in regions_served})
    with engine.begin() as conn:
        tree = RegionTree(regions.load_regions(conn))
        for region in codes:
            if region not in tree:
                raise NotFound.of("weather.unknown_region", region=region)
        existing = store.station_by_code(conn, code)
        served = _served(conn, int(existing.id)) if existing is not None else []
        _check_writable(user, tree, [*served, *codes])
        station_id, created = store.upsert_station(conn, code, name.strip(), latitude,
                                                   longitude)
        store.serve_regions(conn, station_id, codes)
        audit.record(conn, user.actor, "weather.station_" + ("add" if created else "update"),
                     "weather_station", station_id,
                     after={"code": code, "name": name.strip(), "regions": codes,
                            "latitude": latitude, "longitude": longitude})
        return next(s for s in store.stations(conn) if s["id"] == station_id)


def list_stations(db: Reader) -> list[dict[str, Any]]:
    """Every station: code, name, coordinates, regions served, days stored, first and
    last day."""
    with reading(db) as conn:
        return store.stations(conn)


def station_months(db: Reader, station: str | None = None) -> list[dict[str, Any]]:
    """Every station (or the one coded ``station``; NotFound when none is) as
    :func:`list_stations` gives it, with ``region_names`` (the served regions' names)
    and ``months`` — per month with a stored day:
    ``month`` (YYYY-MM), ``days`` stored of ``days_in_month``, ``share`` of the month
    stored, ``mean_c`` [°C], ``hdd18`` / ``cdd26`` [°C·d, over the stored days],
    ``hour_coverage`` (the mean share of the days' hours observed) and ``sources``
    (days per source) — and the station's totals: ``months_stored``,
    ``months_complete`` (every day stored), ``share`` (days stored ÷ days from the first
    to the last day) and ``sources``."""
    with reading(db) as conn:
        stations = store.stations(conn)
        if station is not None:
            stations = [s for s in stations if s["code"] == station.strip()]
            if not stations:
                raise NotFound.of("weather.unknown_station", station=station)
        frame = store.month_summary(conn, stations[0]["id"] if station is not None else None)
        tree = RegionTree(regions.load_regions(conn))
    by_station: dict[int, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        y, m = int(row["year"]), int(row["month"])
        in_month = calendar.monthrange(y, m)[1]
        sources = {s: int(row[f"days_{s}"]) for s in store.SOURCES if row[f"days_{s}"]}
        by_station.setdefault(int(row["station_id"]), []).append({
            "month": f"{y:04d}-{m:02d}", "days": int(row["days"]), "days_in_month": in_month,
            "share": int(row["days"]) / in_month, "mean_c": row["mean_c"],
            "hdd18": row["hdd18"], "cdd26": row["cdd26"],
            "hour_coverage": row["coverage"], "sources": sources})
    out = []
    for s in stations:
        months = by_station.get(int(s["id"]), [])
        span = ((date.fromisoformat(s["last_day"]) - date.fromisoformat(s["first_day"])).days
                + 1 if s["first_day"] and s["last_day"] else 0)
        totals: dict[str, int] = {}
        for line in months:
            for k, v in line["sources"].items():
                totals[k] = totals.get(k, 0) + v
        out.append({**s, "region_names": [tree.name(c) if c in tree else c for c in s["regions"]],
                    "months": months, "months_stored": len(months),
                    "months_complete": sum(1 for line in months
                                           if line["days"] == line["days_in_month"]),
                    "share": s["days"] / span if span else None, "sources": totals})
    return out


def _served(conn: Connection, station_id: int) -> list[str]:
    return [r for r, (sid, _c) in store.region_stations(conn).items() if sid == station_id]


def _check_writable(user: User, tree: RegionTree, region_codes: Sequence[str]) -> None:
    """The administrator writes any station; an office the stations all of whose
    regions lie in its subtree (a station serving nothing: the administrator only)."""
    scope = user.scope
    if scope.kind is ScopeKind.ALL:
        return
    own = scope.region_code if scope.kind is ScopeKind.REGION else None
    outside = [r for r in region_codes if own is None or own not in tree.lineage(r)]
    if outside or not region_codes:
        raise NotPermitted.of("weather.station_outside_scope",
                              region=", ".join(outside) or "—")


# ---------------------------------------------------------------- import

def import_weather(engine: Engine, user: User, path: Path, *, station: str,
                   unit: str | None = None, dry_run: bool = False,
                   max_bytes: int | None = None, today: date | None = None) -> WeatherImport:
    """Import a station's temperatures from ``path`` (daily means or hourly values;
    ``unit`` C or F, None: the header's), all or nothing; raises ImportRejected with
    every issue, NotFound for an unknown station."""
    require(user, Capability.IMPORT_WEATHER)
    kwargs: dict[str, Any] = {"unit": unit, "today": today}
    if max_bytes is not None:
        kwargs["max_bytes"] = max_bytes
    rows = files.parse_weather(path, **kwargs)
    if not rows.ok:
        raise rows.rejection()
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            found, counts, span, batch_id = _store(conn, user, rows, path, station, dry_run)
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    assert rows.unit is not None
    return WeatherImport(rows.file, found.code, rows.shape, rows.unit, rows.rows_read,
                         rows.frame.height, counts["new"], counts["replaced"],
                         counts["unchanged"], dry_run, span[0], span[1], batch_id,
                         tuple(rows.warnings))


def _store(conn: Connection, user: User, rows: files.WeatherRows, path: Path, station: str,
           dry_run: bool) -> tuple[Any, dict[str, int], tuple[str | None, str | None],
                                   int | None]:
    found = store.station_by_code(conn, station.strip())
    if found is None:
        raise NotFound.of("weather.unknown_station", station=station)
    tree = RegionTree(regions.load_regions(conn))
    _check_writable(user, tree, _served(conn, int(found.id)))
    batch_id = None if dry_run else batches.store_batch(
        conn, kind="weather", file_name=rows.file, content=path.read_bytes(),
        rows=rows.rows_read)
    counts = store.write_days(conn, int(found.id), rows.frame, batch_id)
    span = ((str(rows.frame["day"].min()), str(rows.frame["day"].max()))
            if rows.frame.height else (None, None))
    if not dry_run:
        audit.record(conn, user.actor, "weather.import", "import_batch", batch_id,
                     after={"file": rows.file, "station": found.code, "shape": rows.shape,
                            "unit": rows.unit, **counts, "first": span[0], "last": span[1]})
    return found, counts, span, batch_id


# ---------------------------------------------------------------- reads

def station_for_region(db: Reader, region_code: str) -> str:
    """The code of the station serving ``region_code``: its own or its nearest
    ancestor's; NotFound when none of them has one."""
    with reading(db) as conn:
        return _station_for_region(conn, region_code)[1]


def _station_for_region(conn: Connection, region_code: str) -> tuple[int, str]:
    served = store.region_stations(conn)
    tree = RegionTree(regions.load_regions(conn))
    for code in tree.lineage(region_code) or [region_code]:
        if code in served:
            return served[code]
    raise NotFound.of("weather.no_station", region=region_code)


def daily_temperatures(db: Reader, *, start: date, end: date, region_code: str | None = None,
                       station: str | None = None) -> DailyTemperatures:
    """Daily means of ``station``, or of the station serving ``region_code``
    (:func:`station_for_region`), for every day of [``start``, ``end``]."""
    if (region_code is None) == (station is None):
        raise ValidationFailed.of("weather.station_or_region")
    if start > end:
        raise ValidationFailed.of("weather.bad_range", first=start.isoformat(),
                                  last=end.isoformat())
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed.of("weather.range_too_long", limit=MAX_DAYS)
    with reading(db) as conn:
        if station is not None:
            found = store.station_by_code(conn, station.strip())
            if found is None:
                raise NotFound.of("weather.unknown_station", station=station)
            station_id, code = int(found.id), str(found.code)
        else:
            assert region_code is not None
            station_id, code = _station_for_region(conn, region_code)
        stored = store.days_of(conn, station_id, start, end)
    return _grid(code, region_code, stored, start, end)


def _grid(code: str, region_code: str | None, stored: pl.DataFrame, start: date,
          end: date) -> DailyTemperatures:
    """The stored days placed on the calendar of [start, end] (vectorised)."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end + timedelta(days=1), "D"))
    celsius = np.full(days.size, np.nan)
    coverage = np.zeros(days.size)
    if stored.height:
        at = (stored["day"].to_numpy().astype("datetime64[D]") - days[0]).astype(np.int64)
        celsius[at] = stored["temperature_c"].to_numpy()
        coverage[at] = stored["coverage"].to_numpy()
    return DailyTemperatures(code, region_code, days, celsius, coverage)
