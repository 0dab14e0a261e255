"""The values of one quality evaluation: what it looks at (:class:`Period`), what it
counted (:class:`Counts`), and the collector of its findings as column arrays (:class:`Out`)."""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from jieneng.core import chinatime
from jieneng.core.quality.config import RuleConfig

FINDING_COLUMNS = ("institution_id", "year", "month", "carrier", "rule", "severity",
                   "value", "expected", "suggested", "params")

FINDING_SCHEMA: dict[str, Any] = {
    "institution_id": pl.Int64, "year": pl.Int64, "month": pl.Int64, "carrier": pl.String,
    "rule": pl.String, "severity": pl.String, "value": pl.Float64, "expected": pl.Float64,
    "suggested": pl.Float64, "params": pl.String,
}


@dataclass(frozen=True, slots=True)
class Period:
    """What one evaluation looks at: ``year``, one ``month`` or the whole year, and
    the last month checked for missing figures (``cutoff``)."""

    year: int
    month: int | None
    cutoff: int

    @property
    def months(self) -> list[int]:
        """The months whose findings an evaluation replaces (0 = the year)."""
        return [0, self.month] if self.month else list(range(13))


def period(year: int, month: int | None = None, *, today: date | None = None) -> Period:
    """The :class:`Period` of an evaluation. Missing months are looked for up to the
    evaluated month (the whole year: up to December, or the last finished month of
    the current year)."""
    today = today or chinatime.today()
    last = 12 if year < today.year else max(today.month - 1, 0) if year == today.year else 0
    return Period(year, month, month if month else last)


@dataclass(slots=True)
class Counts:
    institutions: int = 0
    findings: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # wall clock per step

    def clock(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - since
        return now


class Out:
    """Collects findings as column arrays; one frame per chunk."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.parts: list[pl.DataFrame] = []

    def add(self, rule: str, config: RuleConfig, ids: npt.NDArray[np.int64], month: Any,
            carrier: Any, value: Any, expected: Any = None, suggested: Any = None,
            params: Mapping[str, Any] | None = None) -> None:
        n = len(ids)
        if n == 0:
            return

        def col(v: Any, dtype: Any) -> pl.Series:
            if v is None:
                return pl.Series([None] * n, dtype=dtype)
            if np.ndim(v) == 0:
                return pl.Series([v] * n, dtype=dtype)
            return pl.Series(np.asarray(v), dtype=dtype)

        frame = pl.DataFrame({
            "institution_id": col(ids, pl.Int64),
            "year": col(self.year, pl.Int64),
            "month": col(month, pl.Int64),
            "carrier": col(carrier, pl.String),
            "rule": col(rule, pl.String),
            "severity": col(config.severity.value, pl.String),
            "value": col(value, pl.Float64),
            "expected": col(expected, pl.Float64),
            "suggested": col(suggested, pl.Float64),
        })
        if params:
            structs = pl.DataFrame({k: col(v, pl.String if isinstance(v, str) or (
                np.ndim(v) and np.asarray(v).dtype.kind in "OUS") else pl.Float64)
                for k, v in params.items()})
            encoded = structs.select(pl.struct(pl.all()).struct.json_encode().alias("params"))
            frame = frame.with_columns(encoded["params"])
        else:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("params"))
        self.parts.append(frame)

    def frame(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema=FINDING_SCHEMA)
        return pl.concat(self.parts, how="vertical").select(FINDING_COLUMNS)
