"""PUE of a data-centre room and its target.

PUE (电能使用效率, power usage effectiveness) = room electricity ÷ IT equipment
electricity [kWh/kWh] — NY202 field 240 ÷ 2401 (``reference/cn-platform.md`` §2.2);
the same ratio as GB 40879-2021's 电能比 RM2 (annual metered E / E_IT) and the
EEUE of the national data-centre standards (``reference/reference-data.md`` §6;
the clause text of GB/T 32910.3 was not found). **PUE is undefined when the IT
electricity is 0 or not reported** (None, never 0 or infinity).

A region's PUE is weighted by energy: Σ total ÷ Σ IT over the rooms where both are
known (never the mean of the rooms' PUEs).

Targets (configurable, :class:`PueTargets`): 1.3 for a new room — "新建大型、超大型
数据中心 … 电能利用效率衡量指标（PUE）降到1.3以下" (渠县 2023 公共机构节能工作安排,
``shared/seeds/001``); 1.6 for an existing room — "数据中心机房节能改造 … 电能利用效率
降至1.6以下" (桂林市管局〔2024〕4号, ``shared/seeds/000``). GB 40879's grade thresholds
were not found and are not used.
"""

from __future__ import annotations

from dataclasses import dataclass


def pue(total_kwh: float | None, it_kwh: float | None) -> float | None:
    """Room electricity ÷ IT electricity; None when either is unknown or IT ≤ 0."""
    if total_kwh is None or it_kwh is None or it_kwh <= 0:
        return None
    return total_kwh / it_kwh


@dataclass(frozen=True, slots=True)
class PueTargets:
    """The PUE a room should stay at or below, by its status (new / existing)."""

    new: float = 1.3
    existing: float = 1.6
    source_new: str = "渠县公共机构节能工作安排（2023）：新建数据中心 PUE 降到1.3以下"
    source_existing: str = "桂林市管局〔2024〕4号：数据中心机房电能利用效率降至1.6以下"

    def of(self, status: str) -> float:
        return self.new if status == "new" else self.existing


DEFAULT_TARGETS = PueTargets()
