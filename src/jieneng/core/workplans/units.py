"""Units a plan sheet may write a target in, and their factor to the indicator's unit.

A notice writes "18万平方米", "9.1万吨标准煤", "1040万立方米", "85%": the unit as written
is folded (``平方米`` → ``m2`` …) and a leading ``万`` multiplies by 10 000. Any other
unit than the indicator's is refused.
"""

from __future__ import annotations

_SAME: dict[str, str] = {
    "m2": "m2", "m²": "m2", "平方米": "m2", "㎡": "m2",
    "m3": "m3", "m³": "m3", "立方米": "m3", "方": "m3",
    "tce": "tce", "吨标准煤": "tce", "吨标煤": "tce", "t标准煤": "tce",
    "t": "t", "吨": "t", "吨二氧化碳": "t", "tco2": "t",
    "%": "%", "％": "%", "百分比": "%",
    "个": "个", "项": "个", "家": "家", "个单位": "家", "期": "期", "次": "期",
    "人次": "人次", "kwp": "kWp", "千瓦": "kWp", "kw": "kWp",
    "kwh/kwh": "kWh/kWh", "pue": "kWh/kWh",
}


def unit_factor(indicator_unit: str, written: str | None) -> float | None:
    """The factor from ``written`` to ``indicator_unit`` (1 when nothing is written),
    or None when ``written`` is another unit."""
    if written is None or not written.strip():
        return 1.0
    text = written.strip().replace(" ", "")
    factor = 1.0
    if text.startswith("万") and len(text) > 1:
        factor, text = 10_000.0, text[1:]
    folded = _SAME.get(text.lower(), _SAME.get(text))
    want = _SAME.get(indicator_unit.lower(), indicator_unit)
    if folded is None or folded != want:
        if folded in ("家", "个") and want in ("家", "个"):
            return factor
        return None
    return factor
