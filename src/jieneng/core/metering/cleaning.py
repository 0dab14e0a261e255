"""Readings set aside before differencing: short dips and single spikes.

The complaint that recurs across peers is a fake spike when a sensor briefly reports
0 (or garbage) and comes back (home-assistant/core#55901, #59491; Lamarqe/ha_openems#56;
``metering-and-scale.md`` §3.2, §3.5). Home Assistant treats any drop of more than
10 % as a new cycle and counts the whole next reading; MyEMS confirms a "concave"
run of low values as bad only when a later value returns to the base
(``myems-cleaning/clean_energy_value.py`` l.344-575). Here, per register segment:

- **dip**: a reading more than ``tolerance`` below the one before, where one of the
  next ``window`` readings returns to that level (within ``tolerance``): the low
  readings are set aside;
- **spike**: a reading above the next by more than ``tolerance`` while the next is
  at or above the one before (within ``tolerance``): the high reading is set aside.

Trusted readings (an event's initial/final reading) are never set aside. A drop that
does not come back is a reset, a rollover or a negative step (:mod:`.consumption`).
Limitation, stated: a reset whose new cycle passes the old level within ``window``
readings reads as a dip (only possible when the old register value was small).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Mask = NDArray[np.bool_]


def _ranges(starts: NDArray[np.int64], stops: NDArray[np.int64], size: int) -> Mask:
    """Union of the half-open index ranges [starts, stops) as a mask of ``size``."""
    diff = np.zeros(size + 1, dtype=np.int64)
    np.add.at(diff, starts, 1)
    np.add.at(diff, stops, -1)
    return np.cumsum(diff[:-1]) > 0


def dips(value: NDArray[np.float64], segment: NDArray[np.int64], trusted: Mask, *,
         tolerance: float, window: int) -> tuple[Mask, NDArray[np.float64]]:
    """Readings in short dips, and for each the level it dipped from [register unit]."""
    n = value.size
    if n < 3 or window < 1:
        return np.zeros(n, dtype=bool), np.full(n, np.nan)
    starts = np.flatnonzero((segment[1:] == segment[:-1])
                            & (value[1:] < value[:-1] - tolerance)) + 1
    starts = starts[~trusted[starts]]
    level = value[starts - 1] - tolerance
    ahead = starts[:, None] + np.arange(1, window + 1)[None, :]
    inside = ahead < n
    ahead = np.minimum(ahead, n - 1)
    back = inside & (segment[ahead] == segment[starts][:, None]) & (
        value[ahead] >= level[:, None])
    found = back.any(axis=1)
    stops = starts[found] + 1 + np.argmax(back[found], axis=1)
    mask = _ranges(starts[found], stops, n) & ~trusted
    from_level = np.full(n, np.nan)
    marks = np.zeros(n + 1, dtype=np.int64)  # which dip each removed reading belongs to
    np.add.at(marks, starts[found], 1)
    owner = np.cumsum(marks[:-1]) - 1
    from_level[mask] = (level[found] + tolerance)[owner[mask]]
    return mask, from_level


def spikes(value: NDArray[np.float64], segment: NDArray[np.int64], trusted: Mask, *,
           tolerance: float) -> Mask:
    """Single readings above both neighbours' trend (see the module docstring)."""
    n = value.size
    mask = np.zeros(n, dtype=bool)
    if n < 3:
        return mask
    before, here, after = value[:-2], value[1:-1], value[2:]
    same = (segment[:-2] == segment[1:-1]) & (segment[1:-1] == segment[2:])
    mask[1:-1] = same & (here > after + tolerance) & (after >= before - tolerance)
    return mask & ~trusted
