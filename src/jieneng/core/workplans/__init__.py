"""Work plans (工作安排, issue 14 §1): the plan indicators and the progress arithmetic.

- :mod:`.catalogue` — every indicator a plan item may name (``data/workplans/indicators.csv``):
  names, unit, direction, how it is computed (which platform source), how a parent
  item's value follows from its children, source and status;
- :mod:`.progress` — target comparisons, share complete, an item's status.

Standard library only (a ``core`` module).
"""

from __future__ import annotations

from .catalogue import PlanIndicator, indicator, indicator_catalogue, resolve_indicator
from .progress import (
    CLAIMS,
    COMPARISONS,
    STATES,
    STATUSES,
    item_status,
    meets,
    parse_comparison,
    share_complete,
    tally,
    work_state,
)
from .units import unit_factor

__all__ = ["CLAIMS", "COMPARISONS", "STATES", "STATUSES", "PlanIndicator", "indicator",
           "indicator_catalogue", "item_status", "meets", "parse_comparison",
           "resolve_indicator", "share_complete", "tally", "unit_factor", "work_state"]
