"""Spreadsheet export helpers shared by the web downloads.

:func:`safe_cell` neutralises spreadsheet formula injection (OWASP "CSV
injection"): a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with an apostrophe, so Excel/WPS show it as text.
(The command line has the same rule in ``jieneng.cli.output.safe_cell``; the web
cannot import the cli layer.)
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged, except text that a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
