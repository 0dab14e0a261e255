"""Rounding of figures for display: GB/T 8170-2008 数值修约.

Figures keep full precision through the API; round only where a figure is shown
(``docs/architecture.md`` — Numbers).

References
----------
GB/T 8170-2008 《数值修约规则与极限数值的表示和判定》 clause 3.3: 四舍六入五成双 —
a discarded part below half rounds down, above half rounds up, exactly half
rounds to the even neighbour; negative values are rounded by their absolute
value; round once from the original value, never in several steps (3.4).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal


def round_gb8170(value: float, digits: int = 0) -> float:
    """Round ``value`` to ``digits`` decimals by GB/T 8170-2008 (round half to even).

    The float is taken at its shortest decimal representation (``repr``), so
    ``2.675`` is the decimal 2.675 and rounds to 2.68 — what the user typed and
    saw — not the binary value just below it.

    Parameters
    ----------
    value : float
        The figure.
    digits : int
        Decimals to keep; negative to round to tens (−1), hundreds (−2) ….

    Returns
    -------
    float

    References
    ----------
    GB/T 8170-2008 clause 3.3 (进舍规则).
    """
    exponent = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(exponent, rounding=ROUND_HALF_EVEN))


def format_number(
    value: float | None, digits: int = 2, *, thousands: bool = True, missing: str = "—"
) -> str:
    """Display text of a figure rounded by GB/T 8170 (``1,234.57``); ``missing`` for None."""
    if value is None:
        return missing
    if digits >= 0:
        rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_EVEN)
    else:
        rounded = Decimal(int(round_gb8170(value, digits)))
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    return f"{rounded:,f}" if thousands else f"{rounded:f}"


def format_percent(fraction: float | None, digits: int = 1, *, missing: str = "—") -> str:
    """A fraction as a signed percentage (``0.0523`` → ``+5.2%``); ``missing`` for None."""
    if fraction is None:
        return missing
    text = format_number(fraction * 100, digits, thousands=False)
    return text + "%" if text.startswith("-") or text.strip("0.") == "" else "+" + text + "%"


def to_wan(value: float) -> float:
    """``value`` in units of 万 (10⁴), as Chinese statistical tables print totals."""
    return value / 1e4
