"""Finding codes are stable and have texts in both languages."""

from __future__ import annotations

from jieneng.core import messages
from jieneng.core.metering import MeterFinding, render
from jieneng.core.metering.findings import SEVERITY

from .conftest import at


def test_every_finding_code_has_both_texts() -> None:
    for code in SEVERITY:
        assert code.startswith("metering.")
        assert code in messages.catalogue("zh-CN") and code in messages.catalogue("en")


def test_render_in_local_time() -> None:
    finding = MeterFinding("metering.counter_reset", "3301-0001", at("2026-03-01 08:15"),
                           3.0, 1020.5)
    assert render(finding) == (
        "计量表 3301-0001 于 2026-03-01 08:15 读数由 1,020.5 降至 3，"
        "判定为计数器清零，新周期从 0 起算")
    assert render(finding, "en").startswith("meter 3301-0001 at 2026-03-01 08:15: reading fell "
                                            "from 1,020.5 to 3")
    gap = MeterFinding("metering.gap_spread", "M", at("2026-03-01 01:15"), count=3)
    assert "缺少 3 个时段" in render(gap)
