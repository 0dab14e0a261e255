"""The conventions of turning readings into consumption: gap policy and thresholds
(stated in ``docs/metering.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..exceptions import ValidationFailed


class GapPolicy(StrEnum):
    """Where the energy of the reading after a gap goes; the value is the stable code."""

    SPREAD = "spread"  # evenly over the gap's intervals, flagged SPREAD (estimated)
    FLAG = "flag"  # all on the interval the reading ends, flagged AFTER_GAP; the rest missing


@dataclass(frozen=True, slots=True)
class ConsumptionOptions:
    """The conventions of :func:`interval_consumption` (defaults in ``docs/metering.md``).

    ``tolerance`` [register unit]: a drop this small is jitter, not a finding;
    ``reset_ratio`` [-]: a drop to below this share of the previous reading is a reset
    (HA: 0.9); ``rollover_band`` [-]: the largest wrapped step, as a share of the
    register's modulus, that counts as a rollover; ``glitch_window`` [readings]: how
    soon a dip must come back to be set aside; ``max_spread_intervals``: longer gaps
    are handled as :attr:`GapPolicy.FLAG` even under SPREAD (None: no limit).
    """

    gap_policy: GapPolicy = GapPolicy.SPREAD
    tolerance: float = 0.0
    reset_ratio: float = 0.9
    rollover_band: float = 0.1
    glitch_window: int = 3
    max_spread_intervals: int | None = None

    def __post_init__(self) -> None:
        checks = (("tolerance", self.tolerance, self.tolerance >= 0),
                  ("reset_ratio", self.reset_ratio, 0 < self.reset_ratio < 1),
                  ("rollover_band", self.rollover_band, 0 < self.rollover_band < 1),
                  ("glitch_window", self.glitch_window, 0 <= self.glitch_window <= 96),
                  ("max_spread_intervals", self.max_spread_intervals,
                   self.max_spread_intervals is None or self.max_spread_intervals >= 1))
        for name, value, ok in checks:
            if not ok:
                raise ValidationFailed.of("metering.invalid_option", name=name, value=value)
