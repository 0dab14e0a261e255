"""Metering: meters, readings → interval consumption, roll-ups, bills and virtual meters.

Pure and vectorised (numpy over each meter's series; loops only over meters). The
conventions — gap policy, reset / rollover / replacement handling, tolerance, time
zone and billing allocation — are stated in ``docs/metering.md``.

Modules (import from them directly; the names below are re-exported for convenience):

- :mod:`.items` — 分项 codes (``01A00`` …) from ``data/metering/item_codes.csv``;
- :mod:`.meters` — :class:`Meter`, :class:`Multiplier` (CT × PT), :class:`RegisterKind`;
- :mod:`.events` — install / replace / remove events → register segments;
- :mod:`.series` — reading arrays, idempotent deduplication, the local interval grid;
- :mod:`.cleaning`, :mod:`.prepare` — short dips and single spikes set aside;
- :mod:`.options` — :class:`GapPolicy`, :class:`ConsumptionOptions`;
- :mod:`.consumption` — :func:`interval_consumption`, reset / rollover aware;
- :mod:`.intervals` — :class:`IntervalSeries`, gaps spread or kept;
- :mod:`.findings` — stable finding codes (texts in the catalogue) and interval flags;
- :mod:`.rollups` — hour / day / month roll-ups, periods touched by late readings;
- :mod:`.billing` — billing periods (账期) → calendar months;
- :mod:`.formula`, :mod:`.virtual` — virtual-meter formulas, parsed without ``eval``.
"""

from .billing import Allocation, BillingPeriod, MonthShare, allocate
from .consumption import interval_consumption
from .events import EventKind, MeterEvent, RegisterSegment, register_segments
from .findings import Flag, MeterFinding, render
from .intervals import Consumption, IntervalSeries
from .items import ItemCode, check_item_code, item_code, item_codes
from .meters import Meter, Multiplier, RegisterKind, check_parents
from .options import ConsumptionOptions, GapPolicy
from .rollups import Level, Rollup, changed_periods, periods_to_recompute, roll_up
from .series import LOCAL_OFFSET_S, Carry, ReadingSeries, deduplicate
from .virtual import VirtualMeter, evaluate, evaluate_all, evaluation_order

__all__ = [
    "LOCAL_OFFSET_S", "Allocation", "BillingPeriod", "Carry", "Consumption", "ConsumptionOptions",
    "EventKind", "Flag", "GapPolicy", "IntervalSeries", "ItemCode", "Level", "Meter",
    "MeterEvent", "MeterFinding", "MonthShare", "Multiplier", "ReadingSeries", "RegisterKind",
    "RegisterSegment", "Rollup", "VirtualMeter", "allocate", "changed_periods",
    "check_item_code", "check_parents", "deduplicate", "evaluate", "evaluate_all",
    "evaluation_order", "interval_consumption", "item_code", "item_codes",
    "periods_to_recompute", "register_segments", "render", "roll_up",
]
