"""Data entry by the year (数据填报 like a spreadsheet), one module per page with its
JSON twin: ``grid`` (the year grid of 12 months × carriers and the form's 上报),
``profile`` (the annual 基本信息, NY101); ``schemas`` holds their bodies and
response models. Listed in ``web.app.ROUTERS`` before ``web.entry`` (whose
``/entry/{code}/{year}/{month}`` would otherwise take ``…/profile``).
"""

from __future__ import annotations


def plain(value: float | None) -> str:
    """A stored figure as a form shows it: full precision, no exponent, no ``.0``."""
    if value is None:
        return ""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.12f}".rstrip("0")
    return text[:-2] if text.endswith(".0") else text.rstrip(".")
