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
#: A number already in that form, in ASCII digits only: :func:`number_text` leaves such a
#: cell as it is (NFKC changes no ASCII; no separator, space or minus sign to replace).
PLAIN_PATTERN = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Strip white space (incl. full-width U+3000) and remove control characters
    (:mod:`jieneng.core.text`: NUL, ESC, a vertical tab …); empty → null. Keeps the
    text otherwise."""
    stripped = expr.str.replace_all(f"[{CONTROL_CLASS}]", "").str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def clean_column(frame: pl.DataFrame, column: str) -> pl.Expr:
    """:func:`clean_text` of ``frame[column]`` as text, the same values; a text column
    without control characters, white space around a cell or empty cells (what a
    spreadsheet's number and code cells read as) is taken as it is — one scan."""
    series = frame.get_column(column)
    if series.dtype == pl.String and not series.str.contains(
            rf"[{CONTROL_CLASS}]|^\s|\s$|^$").any():
        return pl.col(column)
    return clean_text(pl.col(column).cast(pl.String))


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


def plain_numbers(column: pl.Series) -> bool:
    """Whether every non-blank cell of ``column`` is a plain ASCII number
    (:data:`PLAIN_PATTERN`, what a spreadsheet's number cells read as text look like):
    the folding of :func:`number_text` would change none of them, so a caller may skip
    it for the whole column — one scan instead of NFKC and two replacements per cell."""
    return bool(column.str.contains(PLAIN_PATTERN).fill_null(True).all())


def period_part(frame: pl.DataFrame, column: str, suffix: str) -> pl.Expr:
    """:func:`parse_period_part` of ``frame[column]``, the same values; a column of plain
    numbers only (:func:`plain_numbers`: no white space, no ``年``/``月``) is cast directly."""
    if plain_numbers(frame.get_column(column)):
        return pl.col(column).cast(pl.Float64, strict=False)
    return parse_period_part(pl.col(column), suffix)


def with_number(
    frame: pl.DataFrame, column: str, alias: str, *, factor: pl.Expr | float = 1.0
) -> pl.DataFrame:
    """Add ``alias`` (Float64 × ``factor``, null when blank or invalid) and
    ``alias__bad`` (True where the cell is not a number), cleaning the text once."""
    text = f"{alias}__text"
    # a column of plain numbers only is its own folded text (see plain_numbers)
    folded = pl.col(column) if plain_numbers(frame.get_column(column)) else number_text(
        pl.col(column))
    frame = frame.with_columns(folded.alias(text))
    ok = pl.col(text).str.contains(NUMBER_PATTERN)
    factor_expr = factor if isinstance(factor, pl.Expr) else pl.lit(factor, pl.Float64)
    return frame.with_columns(
        (pl.when(ok).then(pl.col(text).cast(pl.Float64, strict=False)) * factor_expr)
        .alias(alias),
        (pl.col(column).is_not_null() & ~ok.fill_null(False)).alias(f"{alias}__bad"),
    ).drop(text)
