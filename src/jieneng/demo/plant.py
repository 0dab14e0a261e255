"""Problems planted in the demo files for reviewers to find: electricity typed in
万kWh into the kWh column, a 10× value in one month, a missing month, a blank
electricity cell, late reports (the last 1–2 months of the last year missing).
Each is listed as a :class:`~jieneng.demo.layout.PlantedError` with what a
reviewer should see; the data-quality rules (``docs/quality-rules.md``) find them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from jieneng.core.carriers import carrier

from .layout import PlantedError
from .model import BoolArray, Model


@dataclass
class _Planting:
    """The model being altered, the reported-month mask and the list of problems."""

    model: Model
    years: tuple[int, ...]
    reported: BoolArray  # (n, y, 12)
    planted: list[PlantedError] = field(default_factory=list)

    def add(
        self,
        where: tuple[int, int, int],
        code: str | None,
        kind: str,
        values: tuple[float | None, float | None],
        zh: str,
        en: str,
    ) -> None:
        """Record a problem at (institution, year index, month) with the value in the
        file and the typical one."""
        i, yi, month = where
        reported_value, typical = values
        self.planted.append(
            PlantedError(
                self.model.codes[i],
                self.model.seats[i].name,
                self.years[yi],
                month,
                code,
                kind,
                reported_value,
                typical,
                zh,
                en,
            )
        )


def plant(
    model: Model, rng: np.random.Generator, years: tuple[int, ...]
) -> tuple[BoolArray, list[PlantedError]]:
    """Alter ``model`` in place; return the reported-month mask (n, y, 12) and the list."""
    ny = model.active.shape[1]
    kinds = np.array([s.kind for s in model.seats])
    ordinary = np.flatnonzero(
        np.isin(kinds, ["organ_county", "organ_city", "middle", "primary", "other", "cdc"])
        & ~model.key_user
        & ~model.closed
    )
    picks = [int(i) for i in rng.choice(ordinary, size=11, replace=False)]
    p = _Planting(model, years, np.repeat(model.active[:, :, None], 12, axis=2))
    last = ny - 1
    _unit_slips(p, [(picks[0], min(1, last), 4), (picks[1], last, 9)])
    _spikes(p, [(picks[2], last, 5, "electricity"), (picks[3], 0, 10, "water")])
    _missing_month(p, picks[4], ny // 2)
    _missing_value(p, picks[5], last)
    _late_reports(p, picks[6:11], last)
    return p.reported, p.planted


def _unit_slips(p: _Planting, where: list[tuple[int, int, int]]) -> None:
    """Electricity typed in 万kWh into the kWh column (cost left as billed)."""
    el = p.model.quantity["electricity"]
    for i, yi, month in where:
        typical = float(el[i, yi, month - 1])
        el[i, yi, month - 1] = round(typical / 10_000.0, 2)
        price = p.model.cost["electricity"][i, yi, month - 1] / el[i, yi, month - 1]
        p.add(
            (i, yi, month),
            "electricity",
            "unit_wan_kwh",
            (float(el[i, yi, month - 1]), typical),
            f"用电量约为正常值的万分之一（疑按万千瓦时填报），折算单价约{price:,.0f}元/千瓦时",
            "electricity about 1/10 000 of normal (entered in 万kWh?); implied unit price "
            f"about {price:,.0f} yuan/kWh",
        )


def _spikes(p: _Planting, where: list[tuple[int, int, int, str]]) -> None:
    """One value 10× (an extra digit); the cost is the true bill."""
    for i, yi, month, code in where:
        arr = p.model.quantity[code]
        typical = float(arr[i, yi, month - 1])
        arr[i, yi, month - 1] = typical * 10.0
        name = carrier(code).name_zh
        p.add(
            (i, yi, month),
            code,
            "spike_10x",
            (float(arr[i, yi, month - 1]), typical),
            f"{name}当月用量为上下月的约10倍（多输一位？），单价仅约正常的十分之一",
            f"{code} about 10x the neighbouring months (an extra digit?); unit price about "
            "a tenth of normal",
        )


def _missing_month(p: _Planting, i: int, yi: int) -> None:
    """A whole month (June) missing mid-period."""
    p.reported[i, yi, 5] = False
    p.add(
        (i, yi, 6),
        None,
        "missing_month",
        (None, float(p.model.quantity["electricity"][i, yi, 5])),
        "当年6月无任何数据，前后月份均已填报",
        "no figures for June; the months around it are filled",
    )


def _missing_value(p: _Planting, i: int, yi: int) -> None:
    """The electricity cell of March blank (other carriers present)."""
    el = p.model.quantity["electricity"]
    typical = float(el[i, yi, 2])
    el[i, yi, 2] = np.nan
    p.model.cost["electricity"][i, yi, 2] = np.nan
    p.add(
        (i, yi, 3),
        "electricity",
        "missing_value",
        (None, typical),
        "3月用电量为空（其他品种已填），应补报",
        "March electricity blank (other carriers filled)",
    )


def _late_reports(p: _Planting, institutions: list[int], last: int) -> None:
    """Late reports: nothing for the last two months (the first two institutions) or
    the last month (the others) of the last year."""
    el = p.model.quantity["electricity"]
    year = p.years[last]
    for k, i in enumerate(institutions):
        months = 2 if k < 2 else 1
        for month in range(13 - months, 13):
            p.reported[i, last, month - 1] = False
            p.add(
                (i, last, month),
                None,
                "late_report",
                (None, float(el[i, last, month - 1])),
                f"{year}年{month}月尚未报送",
                f"{year}-{month:02d} not yet reported",
            )
