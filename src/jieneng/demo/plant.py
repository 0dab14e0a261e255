"""Problems planted in the demo files for reviewers to find: electricity typed in
万kWh into the kWh column, a 10× value in one month, a missing month, a blank
electricity cell, late reports (the last 1–2 months of the last year missing).
Each is listed as a :class:`~jieneng.demo.layout.PlantedError` with what a
reviewer should see; the data-quality rules (``docs/quality-rules.md``) find them.
"""

from __future__ import annotations

import numpy as np

from jieneng.core.carriers import carrier

from .layout import PlantedError
from .model import BoolArray, Model


def plant(
    model: Model, rng: np.random.Generator, years: tuple[int, ...]
) -> tuple[BoolArray, list[PlantedError]]:
    """Alter ``model`` in place; return the reported-month mask (n, y, 12) and the list."""
    ny = model.active.shape[1]
    reported = np.repeat(model.active[:, :, None], 12, axis=2)
    kinds = np.array([s.kind for s in model.seats])
    ordinary = np.flatnonzero(
        np.isin(kinds, ["organ_county", "organ_city", "middle", "primary", "other", "cdc"])
        & ~model.key_user
        & ~model.closed
    )
    picks = [int(i) for i in rng.choice(ordinary, size=11, replace=False)]
    last = ny - 1
    mid = ny // 2
    planted: list[PlantedError] = []
    el, water = model.quantity["electricity"], model.quantity["water"]

    def add(
        i: int,
        yi: int,
        month: int,
        code: str | None,
        kind: str,
        reported_value: float | None,
        typical: float | None,
        zh: str,
        en: str,
    ) -> None:
        planted.append(
            PlantedError(
                model.codes[i],
                model.seats[i].name,
                years[yi],
                month,
                code,
                kind,
                reported_value,
                typical,
                zh,
                en,
            )
        )

    # 1–2: electricity typed in 万kWh into the kWh column (cost left as billed)
    for i, yi, month in ((picks[0], min(1, last), 4), (picks[1], last, 9)):
        typical = float(el[i, yi, month - 1])
        el[i, yi, month - 1] = round(typical / 10_000.0, 2)
        price = model.cost["electricity"][i, yi, month - 1] / el[i, yi, month - 1]
        add(
            i,
            yi,
            month,
            "electricity",
            "unit_wan_kwh",
            float(el[i, yi, month - 1]),
            typical,
            f"用电量约为正常值的万分之一（疑按万千瓦时填报），折算单价约{price:,.0f}元/千瓦时",
            "electricity about 1/10 000 of normal (entered in 万kWh?); implied unit price "
            f"about {price:,.0f} yuan/kWh",
        )
    # 3–4: one value 10× (an extra digit); the cost is the true bill
    for i, yi, month, code, arr in (
        (picks[2], last, 5, "electricity", el),
        (picks[3], 0, 10, "water", water),
    ):
        typical = float(arr[i, yi, month - 1])
        arr[i, yi, month - 1] = typical * 10.0
        name = carrier(code).name_zh
        add(
            i,
            yi,
            month,
            code,
            "spike_10x",
            float(arr[i, yi, month - 1]),
            typical,
            f"{name}当月用量为上下月的约10倍（多输一位？），单价仅约正常的十分之一",
            f"{code} about 10x the neighbouring months (an extra digit?); unit price about "
            "a tenth of normal",
        )
    # 5: a whole month missing mid-year
    i = picks[4]
    reported[i, mid, 5] = False
    add(
        i,
        mid,
        6,
        None,
        "missing_month",
        None,
        float(el[i, mid, 5]),
        "当年6月无任何数据，前后月份均已填报",
        "no figures for June; the months around it are filled",
    )
    # 6: electricity cell blank in one month (other carriers present)
    i = picks[5]
    typical = float(el[i, last, 2])
    el[i, last, 2] = np.nan
    model.cost["electricity"][i, last, 2] = np.nan
    add(
        i,
        last,
        3,
        "electricity",
        "missing_value",
        None,
        typical,
        "3月用电量为空（其他品种已填），应补报",
        "March electricity blank (other carriers filled)",
    )
    # 7–11: late reports — nothing for the last one or two months of the last year
    for k, i in enumerate(picks[6:11]):
        months = 2 if k < 2 else 1
        for month in range(13 - months, 13):
            reported[i, last, month - 1] = False
            add(
                i,
                last,
                month,
                None,
                "late_report",
                None,
                float(el[i, last, month - 1]),
                f"{years[last]}年{month}月尚未报送",
                f"{years[last]}-{month:02d} not yet reported",
            )
    return reported, planted

