"""Vectorised cleaning of numbers typed as text: the one implementation every kind uses.

Accepted: ``12345.6``, ``12,345.6``, ``１２，３４５``, `` 12 345 ``, ``1.2e3``,
``−5`` (parsed, then refused as negative by the caller), Excel numbers read as
text (``2024`` for 2024.0). Refused: anything else, including ``inf``/``nan``.
"""

from __future__ import annotations

import polars as pl

from jieneng.core.text import CONTROL_CLASS

#: What a number looks like once cleaned (no separators, ASCII).
NUMBER_PATTERN = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Strip white space (incl. full-width U+3000) and remove control characters
    (:mod:`jieneng.core.text`: NUL, ESC, a vertical tab …); empty → null. Keeps the
    text otherwise."""
    stripped = expr.str.replace_all(f"[{CONTROL_CLASS}]", "").str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def number_text(expr: pl.Expr) -> pl.Expr:
    """The cell folded to an ASCII number candidate: NFKC (full-width digits, ，．),
    unicode minus signs to ``-``, thousands separators and spaces removed."""
    return (
        expr.str.normalize("NFKC")
        .str.replace_all(r"[\s,_']", "")
        .str.replace_all("[\u2212\u2012\u2013\ufe63]", "-")
    )


def parse_number(expr: pl.Expr) -> pl.Expr:
    """Float64 of a text cell; null when blank or not a number (see :func:`not_a_number`)."""
    text = number_text(expr)
    return (
        pl.when(text.str.contains(NUMBER_PATTERN))
        .then(text.cast(pl.Float64, strict=False))
        .otherwise(None)
    )


def not_a_number(expr: pl.Expr) -> pl.Expr:
    """True where the cell has text that is not a number (blank cells are not flagged)."""
    return expr.is_not_null() & ~number_text(expr).str.contains(NUMBER_PATTERN).fill_null(False)


def is_integral(expr: pl.Expr) -> pl.Expr:
    """True where a parsed Float64 is a whole number (null stays null)."""
    return expr == expr.round(0)


def parse_period_part(expr: pl.Expr, suffix: str) -> pl.Expr:
    """A year or month cell as Float64, allowing a trailing ``年``/``月`` (``2024年``, ``3月``)."""
    return parse_number(expr.str.strip_chars().str.strip_suffix(suffix))


def with_number(
    frame: pl.DataFrame, column: str, alias: str, *, factor: pl.Expr | float = 1.0
) -> pl.DataFrame:
    """Add ``alias`` (Float64 × ``factor``, null when blank or invalid) and
    ``alias__bad`` (True where the cell is not a number), cleaning the text once."""
    text = f"{alias}__text"
    frame = frame.with_columns(number_text(pl.col(column)).alias(text))
    ok = pl.col(text).str.contains(NUMBER_PATTERN)
    factor_expr = factor if isinstance(factor, pl.Expr) else pl.lit(factor, pl.Float64)
    return frame.with_columns(
        (pl.when(ok).then(pl.col(text).cast(pl.Float64, strict=False)) * factor_expr)
        .alias(alias),
        (pl.col(column).is_not_null() & ~ok.fill_null(False)).alias(f"{alias}__bad"),
    ).drop(text)
