"""Spot-check sampling (抽查): a reproducible random sample stratified by category.

国管节能〔2015〕304号 asks the offices above county level to spot-check at least
5 % of their institutions every year. :func:`draw_sample` takes the population
(institution id → category) and draws, in every category that has members,
⌈share × n⌉ institutions (at least one, at most n). The draw is a function of the
seed alone: one :class:`random.Random` seeded with it walks the categories in
sorted order and samples from each category's sorted ids, so the same seed over the
same population gives the same sample on any machine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

from jieneng.core.exceptions import ValidationFailed

DEFAULT_SHARE = 0.05


def stratum_size(n: int, share: float) -> int:
    """How many of ``n`` members a stratum contributes: ⌈share × n⌉, at least 1 (0 if empty).

    The product is rounded to 9 decimals first so that 0.07 × 100 is 7, not 8.
    """
    if n <= 0:
        return 0
    return min(n, max(1, math.ceil(round(share * n, 9))))


def check_share(share: float) -> float:
    """``share`` when it is a fraction in (0, 1]; else ValidationFailed."""
    if not (isinstance(share, int | float) and math.isfinite(share) and 0 < share <= 1):
        raise ValidationFailed.of("sampling.invalid_share", share=share, field="share")
    return float(share)


def draw_sample(
    population: Mapping[int, str], *, seed: int, share: float = DEFAULT_SHARE
) -> list[int]:
    """The sampled institution ids (sorted) of ``population`` (id → category)."""
    check_share(share)
    strata: dict[str, list[int]] = {}
    for institution_id, category in population.items():
        strata.setdefault(category, []).append(institution_id)
    rng = random.Random(seed)
    chosen: list[int] = []
    for category in sorted(strata):
        members = sorted(strata[category])
        chosen.extend(rng.sample(members, stratum_size(len(members), share)))
    return sorted(chosen)


__all__ = ["DEFAULT_SHARE", "check_share", "draw_sample", "stratum_size"]
