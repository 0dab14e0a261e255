"""The whole-column fast paths of number and code parsing give the slow paths' values."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.ingest._common import code_column, code_text
from jieneng.ingest.numbers import (
    clean_column,
    clean_text,
    parse_period_part,
    period_part,
    plain_numbers,
    with_number,
)

PLAIN = ["2024", "12", "-5", "+3", "1.5", ".5", "7.", "1e3", "2E-2", None]
FOLDED = ["１２", "12,345", " 3 ", "−5", "2024年", "٣", "abc", "", "1e", None]


@pytest.mark.parametrize(("cells", "plain"), [(PLAIN, True), ([*PLAIN, "１２"], False),
                                               ([None, None], True), ([], True)])
def test_plain_numbers(cells: list[str | None], plain: bool) -> None:
    assert plain_numbers(pl.Series(cells, dtype=pl.String)) is plain


def _slow_with_number(frame: pl.DataFrame) -> pl.DataFrame:
    # the same cells in a column that is not plain: the slow path
    padded = pl.concat([frame, pl.DataFrame({"v": ["１"]})])
    return with_number(padded, "v", "n").head(frame.height)


@given(st.lists(st.one_of(st.sampled_from([*PLAIN, *FOLDED]), st.none()), max_size=12))
def test_fast_paths_match_the_slow_ones(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"v": cells}, schema={"v": pl.String})
    assert with_number(frame, "v", "n").equals(_slow_with_number(frame))
    fast = frame.select(period_part(frame, "v", "年").alias("x"))
    slow = frame.select(parse_period_part(pl.col("v"), "年").alias("x"))
    assert fast.equals(slow)


@pytest.mark.parametrize("cells", [["11450302000000000P", None], ["１１４５", "ab c", "x"]])
def test_code_column(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"c": cells}, schema={"c": pl.String})
    assert frame.select(code_column(frame, "c")).equals(frame.select(code_text(pl.col("c"))))


CELLS = ["abc", " abc", "abc ", "a b", "", "\u3000x", "x\n", "a\x00b", "\x0bz", "12", "电", None]


@given(st.lists(st.sampled_from(CELLS), max_size=8))
def test_clean_column_is_clean_text(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"c": cells}, schema={"c": pl.String})
    fast = frame.select(clean_column(frame, "c").alias("c"))
    assert fast.equals(frame.select(clean_text(pl.col("c")).alias("c")))
