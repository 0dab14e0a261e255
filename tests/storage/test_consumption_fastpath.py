"""The first-import fast path of ``write_consumption`` against the general path.

When no staged institution-year has a current record, the write skips the
classification and builds the month roll-up from the stage. Forcing the general
path on the same input must give identical tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Connection, Engine, select

from jieneng.core.carriers import CARRIER_CODES
from jieneng.storage import consumption
from jieneng.storage import tables as t
from jieneng.storage.consumption import write_consumption

from ._data import load_directory


def _frame(ids: list[int], years: list[int], seed: int,
           carriers: Sequence[str] = CARRIER_CODES) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    keys = (pl.DataFrame({"institution_id": ids})
            .join(pl.DataFrame({"year": years}), how="cross")
            .join(pl.DataFrame({"month": list(range(1, 13))}), how="cross")
            .join(pl.DataFrame({"carrier": list(carriers)}), how="cross"))
    # a sparse file: not every carrier in every month, some costs missing
    keys = keys.filter(pl.Series(rng.random(keys.height) < 0.6))
    n = keys.height
    cost = rng.gamma(2.0, 400.0, n)
    return keys.with_columns(
        pl.Series("quantity", rng.gamma(2.0, 500.0, n)),
        pl.Series("cost_yuan", np.where(rng.random(n) < 0.2, np.nan, cost)).fill_nan(None),
        pl.lit("1", dtype=pl.String).alias("entered_value"),
        pl.lit("kWh", dtype=pl.String).alias("entered_unit"),
    )


def _tables(conn: Connection, ids: list[int]) -> list[list[tuple[Any, ...]]]:
    """The three tables, institution ids as their rank (PostgreSQL sequences do not
    roll back, so a second run gets other ids)."""
    rank = {i: n for n, i in enumerate(ids)}
    return [[(rank[r[0]], *r[1:]) for r in rows] for rows in _raw_tables(conn)]


def _raw_tables(conn: Connection) -> list[list[tuple[Any, ...]]]:
    cr, cm, cy = t.consumption_record, t.consumption_month, t.consumption_year
    cols = [c for c in cr.c if c.name not in ("id", "recorded_at")]
    return [
        [tuple(r) for r in conn.execute(select(*cols).order_by(
            cr.c.institution_id, cr.c.year, cr.c.month, cr.c.carrier, cr.c.revision))],
        [tuple(r) for r in conn.execute(select(cm).order_by(*cm.primary_key.columns))],
        [tuple(r) for r in conn.execute(select(cy).order_by(*cy.primary_key.columns))],
    ]


def _run(engine: Engine, force_general: bool, monkeypatch: pytest.MonkeyPatch,
         carriers: Sequence[str] = CARRIER_CODES,
         ) -> tuple[list[list[tuple[Any, ...]]], list[tuple[int, int, int]], list[bool]]:
    taken: list[bool] = []
    real = consumption._any_current

    def spy(conn: Connection) -> bool:
        hit = real(conn)
        taken.append(hit)
        return True if force_general else hit

    monkeypatch.setattr(consumption, "_any_current", spy)
    counts = []
    with engine.connect() as conn:
        ids = sorted(load_directory(conn).values())
        first = _frame(ids, [2023, 2024], seed=11, carriers=carriers)
        c = write_consumption(conn, first, source="file", import_id=None)
        counts.append((c.inserted, c.revised, c.unchanged))
        # a new year for every institution: no current record → fast path again
        c = write_consumption(conn, _frame(ids, [2025], seed=12, carriers=carriers),
                              source="file", import_id=None)
        counts.append((c.inserted, c.revised, c.unchanged))
        # a revision of some figures plus new ones in known years → general path
        # (a key given twice: the last row wins, so the sample of `first` is unchanged)
        again = pl.concat([_frame(ids, [2024], seed=13),
                           first.filter(pl.col("year") == 2024).sample(fraction=0.3, seed=1)])
        c = write_consumption(conn, again, source="manual", import_id=None)
        counts.append((c.inserted, c.revised, c.unchanged))
        out = _tables(conn, ids)
        conn.rollback()
    monkeypatch.setattr(consumption, "_any_current", real)
    return out, counts, taken


@pytest.mark.parametrize("carriers", [CARRIER_CODES, ("electricity", "water")],
                         ids=["all carriers", "two carriers"])
def test_fast_path_equals_general_path(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, carriers: Sequence[str]
) -> None:
    # with two carriers the fast path sums only their columns; the others stay NULL
    fast, fast_counts, taken = _run(engine, False, monkeypatch, carriers)
    assert taken == [False, False, True]  # fast, fast, general
    general, general_counts, _ = _run(engine, True, monkeypatch, carriers)
    assert fast_counts == general_counts
    assert fast_counts[0][1:] == (0, 0) and all(n > 0 for n in fast_counts[2])
    # records and month roll-ups bit-identical (a month sum has one record per carrier)
    assert fast[:2] == general[:2]
    # year roll-ups: equal up to the order in which the database adds the months
    assert len(fast[2]) == len(general[2])
    for a, b in zip(fast[2], general[2], strict=True):
        assert [x is None for x in a] == [y is None for y in b]
        assert [x for x in a if x is not None] == pytest.approx(
            [y for y in b if y is not None], rel=1e-13)


def test_fast_path_skipped_when_one_institution_year_exists(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = sorted(load_directory(conn).values())
        frame = _frame(ids, [2024], seed=1)
        write_consumption(conn, frame.filter(pl.col("institution_id") == ids[0]),
                          source="file", import_id=None)
        # one institution-year known, the others new: the general path, same semantics
        c = write_consumption(conn, frame, source="file", import_id=None)
        known = frame.filter(pl.col("institution_id") == ids[0]).height
        assert (c.inserted, c.revised, c.unchanged) == (frame.height - known, 0, known)
        cm = t.consumption_month
        n = conn.execute(select(cm.c.institution_id).distinct()).all()
        assert len(n) == len(ids)
