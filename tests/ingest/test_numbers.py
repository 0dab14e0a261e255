from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.ingest.numbers import clean_text, not_a_number, parse_number, with_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345.6", 12345.6),
        ("12,345.6", 12345.6),
        ("１２，３４５", 12345.0),
        ("１２３．５", 123.5),
        (" 12 345 ", 12345.0),
        ("\u300012\u3000", 12.0),
        ("2024", 2024.0),
        ("-5", -5.0),
        ("−5", -5.0),
        ("1.2e3", 1200.0),
        (".5", 0.5),
        ("0", 0.0),
    ],
)
def test_parse_number_accepts(text: str, expected: float) -> None:
    out = pl.select(parse_number(pl.lit(text)).alias("v")).item()
    assert out == pytest.approx(expected)
    assert pl.select(not_a_number(pl.lit(text))).item() is False


@pytest.mark.parametrize("text", ["abc", "1.2.3", "inf", "nan", "12元", "--1", "1,2a"])
def test_parse_number_refuses(text: str) -> None:
    assert pl.select(parse_number(pl.lit(text))).item() is None
    assert pl.select(not_a_number(pl.lit(text))).item() is True


def test_blank_is_not_an_error() -> None:
    frame = pl.DataFrame({"a": [None, "  ", "\u3000"]}, schema={"a": pl.String})
    cleaned = frame.select(clean_text(pl.col("a")).alias("a"))
    assert cleaned["a"].to_list() == [None, None, None]
    out = with_number(cleaned, "a", "n")
    assert out["n"].to_list() == [None, None, None]
    assert out["n__bad"].to_list() == [False, False, False]


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_thousands_separated_round_trip(value: float) -> None:
    text = f"{value:,.3f}"
    out = pl.select(parse_number(pl.lit(text))).item()
    assert out == pytest.approx(round(value, 3), rel=1e-12, abs=1e-9)
