"""The meter model: a metering point with its carrier, 分项 code, 倍率, register and unit.

A :class:`Meter` is a metering point (计量点) of the registry: what it measures and how
its register reads. The physical devices that succeed each other at the point are
described by install / replace / remove events (:mod:`.events`).

References
----------
- 倍率 (multiplier) of a transformer-rated electricity meter = CT ratio × PT ratio
  (电流互感器变比 × 电压互感器变比); energy = register difference × 倍率. MyEMS applies
  ``value*ratio+offset`` per point (``metering-and-scale.md`` §1.3).
- Energy item codes: :mod:`.items`; units and carriers: :mod:`jieneng.core.units`,
  :mod:`jieneng.core.carriers`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from ..carriers import Carrier, carrier
from ..exceptions import ValidationFailed
from ..units import factor_to_canonical
from ._graph import find_cycle
from .items import check_item_code

#: the longest interval a meter may report in (a day); it must divide a day
DAY_S = 86_400


class RegisterKind(StrEnum):
    """What a reading is; the value is the stable code."""

    CUMULATIVE = "cumulative"  # 累计示值: the register total, rising
    INTERVAL = "interval"  # 区间用量: the consumption of one interval, stamped at its start


@dataclass(frozen=True, slots=True)
class Multiplier:
    """倍率 = CT ratio × PT ratio (e.g. 200/5 A → ``ct=40``; 10 kV/100 V → ``pt=100``)."""

    ct: float = 1.0
    pt: float = 1.0

    def __post_init__(self) -> None:
        for name, ratio in (("ct", self.ct), ("pt", self.pt)):
            if not (math.isfinite(ratio) and ratio > 0):
                raise ValidationFailed.of("metering.invalid_multiplier", name=name, value=ratio)

    @property
    def value(self) -> float:
        """The factor applied to register differences [-]."""
        return self.ct * self.pt


@dataclass(frozen=True, slots=True)
class Meter:
    """A metering point.

    ``number`` is its identifier in the registry (表号 / 计量点编号); ``carrier`` a
    carrier code of form NY201 (``electricity`` …); ``item_code`` its 分项 code
    (checked against the carrier); ``unit`` the unit its register counts in (the
    carrier's canonical unit by default; ``MWh`` and ``万kWh`` are converted);
    ``parent`` the number of the meter upstream of it; ``interval_s`` the length of
    its consumption intervals [s] (divides a day; 900 = 15 min); ``register_digits``
    the digits before the decimal point of a cumulative register, which rolls over
    at ``10**register_digits`` (5 → after 99999.9 comes 0.0); ``max_rate`` the
    largest plausible consumption per hour after 倍率 [canonical unit / h], above
    which a step is flagged.
    """

    number: str
    carrier: str
    item_code: str | None = None
    multiplier: Multiplier = field(default_factory=Multiplier)
    register: RegisterKind = RegisterKind.CUMULATIVE
    unit: str | None = None
    parent: str | None = None
    interval_s: int = 900
    register_digits: int | None = None
    max_rate: float | None = None

    def __post_init__(self) -> None:
        if not self.number.strip():
            raise ValidationFailed.of("metering.meter_number_empty")
        found = self.carrier_info  # raises for an unknown carrier
        if self.item_code is not None:  # stored as in the table: "01a00 " → "01A00"
            object.__setattr__(self, "item_code", check_item_code(self.item_code, found).code)
        factor_to_canonical(found, self.unit or found.canonical_unit)
        if not (60 <= self.interval_s <= DAY_S and DAY_S % self.interval_s == 0):
            raise ValidationFailed.of("metering.invalid_interval", seconds=self.interval_s)
        if self.register_digits is not None and not 1 <= self.register_digits <= 12:
            raise ValidationFailed.of("metering.invalid_register_digits",
                                      digits=self.register_digits)
        if self.max_rate is not None and not (math.isfinite(self.max_rate)
                                              and self.max_rate > 0):
            raise ValidationFailed.of("metering.invalid_max_rate", value=self.max_rate)
        if self.parent is not None and self.parent == self.number:
            raise ValidationFailed.of("metering.parent_cycle", meters=self.number)

    @property
    def carrier_info(self) -> Carrier:
        return carrier(self.carrier)

    @property
    def unit_factor(self) -> float:
        """Register unit → the carrier's canonical unit [-]."""
        found = self.carrier_info
        return factor_to_canonical(found, self.unit or found.canonical_unit)

    @property
    def modulus(self) -> float | None:
        """Where the register rolls over (``10**register_digits``) [register unit]."""
        return None if self.register_digits is None else 10.0 ** self.register_digits


def check_parents(meters: Iterable[Meter]) -> None:
    """Refuse a parent that is not among ``meters`` or a loop of parents.

    Raises ``metering.unknown_parent`` or ``metering.parent_cycle`` (naming the loop).
    """
    by_number = {m.number: m for m in meters}
    for meter in by_number.values():
        if meter.parent is not None and meter.parent not in by_number:
            raise ValidationFailed.of("metering.unknown_parent", meter=meter.number,
                                      parent=meter.parent)
    edges = {m.number: [m.parent] if m.parent else [] for m in by_number.values()}
    cycle = find_cycle(edges)
    if cycle:
        raise ValidationFailed.of("metering.parent_cycle", meters=" → ".join(cycle))
