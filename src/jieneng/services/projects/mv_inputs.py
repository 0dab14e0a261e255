"""The inputs of a project's M&V: meter data (the owners' NY201 months or the boundary
meters' days), temperatures, prices — gathered once and described, so that a run and
a statement can say which inputs made their figures.

- ``statistics`` (method ``monthly``): Σ over the owner institutions of one carrier's
  NY201 month; a month counts only when every owner has a figure (else it is missing);
  用能人数 and 建筑面积 of each month from the owners' profiles of its year.
- ``meters`` (``caltrack-daily``): Σ of the day roll-ups of the boundary's physical
  meters of the carrier (:func:`jieneng.storage.project_inputs.meter_days`); a day
  counts only when every meter has it. A meter removed from the boundary counts for
  the days before its removal day only (the removal service refuses a day that
  would change a stored run, statement or settlement).
- temperatures: the daily means of the station serving the project's region
  (:func:`jieneng.services.weather.daily_temperatures`) unless a series is given.
- prices [元 per canonical unit]: Σ cost ÷ Σ quantity of the owners' NY201 months —
  of the baseline window (the base price) and of each reporting month (the actual
  price): the platform's convention when the contract names none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection

from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.mv.data import DateRange, MeterSeries
from jieneng.core.mv.temperature import DailyTemperature, daily_temperature
from jieneng.services import weather
from jieneng.storage import project_inputs as store

SOURCE_OF_METHOD = {"monthly": "statistics", "caltrack-daily": "meters",
                    "caltrack-billing": "statistics"}
#: the fuel the engine is told (gas: zeros are values and no cooling term)
FUEL = {"natural_gas": "gas", "lpg": "gas", "heat": "gas"}


@dataclass(frozen=True)
class Temperatures:
    """A daily-mean series given by the caller (°C), instead of the weather service's."""

    days: np.ndarray  # datetime64[D]
    celsius: np.ndarray
    source: str = "given"


@dataclass
class Inputs:
    meter: MeterSeries
    temperature: DailyTemperature
    described: dict[str, Any] = field(default_factory=dict)
    base_price: float | None = None
    month_prices: dict[str, float] = field(default_factory=dict)


def _months(first: date, last: date) -> np.ndarray:
    return np.arange(np.datetime64(first, "M"), np.datetime64(last, "M") + 1)


def statistics_series(conn: Connection, project: dict[str, Any], carrier: str,
                      first: date, last: date) -> tuple[MeterSeries, dict[str, Any],
                                                        pl.DataFrame]:
    owners = store.owners(conn, int(project["id"]))
    if not owners:
        raise ValidationFailed.of("project_mv.no_owners", project=project["code"])
    frame = store.statistics_months(conn, owners, carrier, first, last)
    months = _months(first, last)
    index = ((frame["year"].to_numpy() - first.year) * 12
             + frame["month"].to_numpy() - first.month)
    values = np.full(months.size, np.nan)
    complete = frame["reported"].to_numpy() == len(owners)
    values[index[complete]] = frame["quantity"].to_numpy()[complete]
    years = months.astype("datetime64[Y]").astype(np.int64) + 1970
    profiles = store.profile_sums(conn, owners, sorted(set(years.tolist())))
    occupants = np.array([np.nan if (p := profiles.get(int(y))) is None or p[0] is None
                          else p[0] for y in years])
    area = np.array([np.nan if (p := profiles.get(int(y))) is None or p[1] is None
                     else p[1] for y in years])
    series = MeterSeries.months(months, values, occupants=occupants, area=area)
    described = {"source": "statistics", "institutions": owners,
                 "months_with_data": int(np.count_nonzero(~np.isnan(values))),
                 "months": int(months.size)}
    return series, described, frame


def meter_series(conn: Connection, project: dict[str, Any], carrier: str, first: date,
                 last: date) -> tuple[MeterSeries, dict[str, Any]]:
    cutoffs = store.boundary_cutoffs(conn, int(project["id"]), carrier)
    meters = [i for i, d in sorted(cutoffs.items()) if d is None or d > first]
    if not meters:
        raise ValidationFailed.of("project_mv.no_meters", project=project["code"],
                                  carrier=carrier)
    frame = store.meter_days(conn, meters, first, last, cutoffs)
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    values = np.full(days.size, np.nan)
    # the meters in the boundary on each day (a removed one until its removal day)
    active = np.full(days.size, len(meters))
    for i in meters:
        if (cut := cutoffs[i]) is not None and cut <= last:
            active[(cut - first).days:] -= 1
    at = frame["day"].to_numpy() - (first - date(1970, 1, 1)).days
    full = frame["meters"].to_numpy() == active[at]
    values[at[full]] = frame["energy"].to_numpy()[full]
    return MeterSeries.daily(days, values), {
        "source": "meters", "meters": meters,
        "days_with_data": int(np.count_nonzero(~np.isnan(values))), "days": int(days.size)}


def temperatures(conn: Connection, project: dict[str, Any], first: date, last: date,
                 given: Temperatures | None) -> tuple[DailyTemperature, dict[str, Any]]:
    """°F series for the engine, and what it came from; refuses a project without any."""
    if given is not None:
        days, celsius, source = given.days, given.celsius, given.source
    else:
        try:
            found = weather.daily_temperatures(conn, start=first, end=last,
                                               region_code=str(project["region_code"]))
        except NotFound:
            raise ValidationFailed.of("project_mv.no_temperatures",
                                      project=project["code"]) from None
        days, celsius, source = found.days, found.celsius, f"station:{found.station}"
    celsius = np.asarray(celsius, dtype=np.float64)
    if not np.any(~np.isnan(celsius)):
        raise ValidationFailed.of("project_mv.no_temperatures", project=project["code"])
    series = daily_temperature(np.asarray(days, dtype="datetime64[D]"), celsius * 1.8 + 32.0)
    return series, {"temperatures": source,
                    "temperature_days": int(np.count_nonzero(~np.isnan(celsius)))}


def gather(conn: Connection, project: dict[str, Any], carrier: str, method: str,
           baseline: DateRange, reporting: DateRange, given: Temperatures | None) -> Inputs:
    """Everything the engine needs for [baseline.start, reporting.end], described."""
    first = min(baseline.start, reporting.start)
    last = max(baseline.end, reporting.end)
    if SOURCE_OF_METHOD[method] == "meters":
        meter, described = meter_series(conn, project, carrier, first, last)
        owners = store.owners(conn, int(project["id"]))
        frame = store.statistics_months(conn, owners, carrier, first, last)
    else:
        meter, described, frame = statistics_series(conn, project, carrier, first, last)
    temps, t_described = temperatures(conn, project, first - timedelta(days=0), last, given)
    base_price, month_prices = _prices(frame, baseline)
    return Inputs(meter, temps, {**described, **t_described, "carrier": carrier},
                  base_price, month_prices)


def _prices(frame: pl.DataFrame, baseline: DateRange) -> tuple[float | None, dict[str, float]]:
    """Base price (Σ cost ÷ Σ quantity over the baseline's months) and each month's."""
    if frame.is_empty():
        return None, {}
    priced = frame.filter(pl.col("cost").is_not_null() & (pl.col("quantity") > 0))
    key = pl.col("year") * 12 + pl.col("month")
    base = priced.filter((key >= baseline.start.year * 12 + baseline.start.month)
                         & (key <= baseline.end.year * 12 + baseline.end.month))
    q = float(base["quantity"].sum()) if base.height else 0.0
    base_price = float(base["cost"].sum()) / q if q > 0 else None
    months = {f"{y:04d}-{m:02d}": c / qty for y, m, qty, c in priced.select(
        "year", "month", "quantity", "cost").iter_rows()}
    return base_price, months
