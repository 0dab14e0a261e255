"""Spot checks (现场抽查), 公示, titles and 回头看 re-checks of a round (issue 14 §3).

Pure: the sampling rule read from a scheme's parameters, the reproducible draw, the
publicity period, a title's validity, and the re-check state machine. The procedural
figures the references do not give (the publicity period, the rectification period, the
re-check sample share) are ``data/campaigns/procedure.csv`` rows with status
``convention``.

Sampling rule (机关食堂反食品浪费成效评估, projects-campaigns.md §3: "≥ 35 % of canteens
a year, full coverage every 3 years"): a scheme's ``sample_rate`` is the least share of
a round's population a draw may take; ``full_coverage_years`` makes the draw prefer the
members not checked in the scheme's rounds of the region over the previous
``full_coverage_years − 1`` years, so that every member is checked within the window.
The size is :func:`jieneng.core.sampling.stratum_size` (⌈rate × n⌉, the same rounding
as the statistics' spot checks). The draw is a function of the seed, the population and
the preferred set alone: one :class:`random.Random` seeded with the seed samples from
the sorted preferred ids first, then from the sorted others.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.sampling import check_share, stratum_size


@dataclass(frozen=True, slots=True)
class SamplingRule:
    """A scheme's sampling rule: the least share a year and the coverage window."""

    scheme_code: str
    rate: float | None  # None: the scheme states no rate (any share is allowed)
    full_coverage_years: int | None

    @property
    def minimum(self) -> float:
        return self.rate or 0.0


def sampling_rule(scheme_code: str, params: Mapping[str, str]) -> SamplingRule:
    """The rule of a scheme from its ``sample_rate`` and ``full_coverage_years``."""
    rate = (params.get("sample_rate") or "").strip()
    years = (params.get("full_coverage_years") or "").strip()
    return SamplingRule(scheme_code, float(rate) if rate else None,
                        int(float(years)) if years else None)


def check_rate(rule: SamplingRule, asked: float, drawn_share: float = 0.0) -> float:
    """``asked`` when it is a share in (0, 1] and, with ``drawn_share`` (the share of the
    round's members the earlier draws of the year took), the year's total reaches the
    rule's rate; else refused naming the rule, the rates and the minimum. The first
    draw must reach the minimum alone; a later batch may be any share."""
    if not (isinstance(asked, int | float) and math.isfinite(asked) and 0 < asked <= 1):
        raise ValidationFailed.of("check_rate_invalid", rate=asked, field="rate")
    if rule.rate is not None and round(drawn_share + asked, 9) < round(rule.rate, 9):
        if drawn_share > 0:
            raise ValidationFailed.of("check_total_below_rule", scheme=rule.scheme_code,
                                      rate=asked, drawn=round(drawn_share, 4),
                                      total=round(drawn_share + asked, 4),
                                      minimum=rule.rate, field="rate")
        raise ValidationFailed.of("check_rate_below_rule", scheme=rule.scheme_code,
                                  rate=asked, minimum=rule.rate, field="rate")
    return float(check_share(asked))


def sample_size(population: int, rate: float) -> int:
    """⌈rate × population⌉, at least one of a non-empty population."""
    return stratum_size(population, rate)


def window_start_year(year: int, rule: SamplingRule) -> int:
    """The first year whose checks count toward full coverage in ``year`` (the
    ``full_coverage_years`` ending with it; only ``year`` when the rule has none)."""
    return year - (rule.full_coverage_years or 1) + 1


@dataclass(frozen=True, slots=True)
class Draw:
    """A drawn sample: ids (sorted), how many came from the preferred ones."""

    sample: tuple[int, ...]
    preferred: frozenset[int]
    size: int
    population: int
    digest: str


def population_digest(ids: Iterable[int]) -> str:
    """SHA-256 of the sorted population ids (a draw is reproducible over it)."""
    text = ",".join(str(i) for i in sorted(set(ids)))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def draw(population: Iterable[int], *, rate: float, seed: int,
         checked_before: Iterable[int] = (), drawn: Iterable[int] = ()) -> Draw:
    """Draw ⌈rate × n⌉ of ``population`` (n: the whole population), the ones not in
    ``checked_before`` first, never one in ``drawn`` (the year's earlier batches; the
    size is then at most the members left). The same seed over the same population,
    earlier checks and earlier batches gives the same sample."""
    ids = sorted(set(population))
    taken = set(drawn)
    done = set(checked_before)
    fresh = [i for i in ids if i not in done and i not in taken]
    stale = [i for i in ids if i in done and i not in taken]
    size = min(sample_size(len(ids), rate), len(fresh) + len(stale))
    rng = random.Random(seed)
    first = rng.sample(fresh, min(size, len(fresh)))
    rest = rng.sample(stale, size - len(first)) if size > len(first) else []
    return Draw(tuple(sorted(first + rest)), frozenset(first), size, len(ids),
                population_digest(ids))


# ------------------------------------------------------------------ procedure


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    value: str
    unit: str
    source: str
    status: str
    note: str


@cache
def procedure() -> dict[str, Setting]:
    """The rows of ``data/campaigns/procedure.csv`` by key."""
    path = resources.files("jieneng") / "data" / "campaigns" / "procedure.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return {r["key"]: Setting(r["key"], r["value"], r["unit"], r["source"], r["status"],
                              r["note"]) for r in rows}


def setting(key: str) -> float:
    return float(procedure()[key].value)


def publicity_end(starts_on: date, days: int | None = None) -> date:
    """The last day of a publicity of ``days`` calendar days (default: procedure.csv)."""
    length = int(setting("publicity_days")) if days is None else days
    if length < 1:
        raise ValidationFailed.of("check_publicity_days", days=length, field="days")
    return starts_on + timedelta(days=length - 1)


def valid_until(awarded_on: date, params: Mapping[str, str]) -> date | None:
    """A title's last valid day: ``validity_years`` after the award (the day before
    the anniversary), or None when the scheme states no validity (convention)."""
    years = (params.get("validity_years") or "").strip()
    if not years:
        return None
    n = int(float(years))
    try:
        anniversary = awarded_on.replace(year=awarded_on.year + n)
    except ValueError:  # 29 February
        anniversary = awarded_on.replace(year=awarded_on.year + n, day=28)
    return anniversary - timedelta(days=1)


def rectification_deadline(checked_on: date, days: int | None = None) -> date:
    length = int(setting("rectification_days")) if days is None else days
    if length < 1:
        raise ValidationFailed.of("check_rectification_days", days=length, field="days")
    return checked_on + timedelta(days=length)


# ------------------------------------------------------------------ 回头看


class RecheckState(StrEnum):
    """pending → passed | rectifying; rectifying → rectified | revoked."""

    PENDING = "pending"
    PASSED = "passed"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    REVOKED = "revoked"


#: the states a re-check is concluded in, and the ones that count as passed
CONCLUDED = frozenset({RecheckState.PASSED, RecheckState.RECTIFIED, RecheckState.REVOKED})
PASSED = frozenset({RecheckState.PASSED, RecheckState.RECTIFIED})

_MOVES: dict[tuple[RecheckState, str], RecheckState] = {
    (RecheckState.PENDING, "pass"): RecheckState.PASSED,
    (RecheckState.PENDING, "fail"): RecheckState.RECTIFYING,
    (RecheckState.RECTIFYING, "rectified"): RecheckState.RECTIFIED,
    (RecheckState.RECTIFYING, "revoke"): RecheckState.REVOKED,
}
ACTIONS: tuple[str, ...] = ("pass", "fail", "rectified", "revoke")


def recheck_move(state: str, action: str) -> RecheckState:
    """The state after ``action`` on a re-check in ``state``; else refused naming the
    actions open from it."""
    current = RecheckState(state)
    nxt = _MOVES.get((current, action))
    if nxt is None:
        allowed = [a for (s, a) in _MOVES if s is current]
        raise ValidationFailed.of("check_recheck_move", state=current.value, action=action,
                                  allowed=", ".join(allowed) or "—")
    return nxt


def rectified_in_time(deadline: date, rectified_on: date) -> bool:
    """Rectified by the deadline (the deadline day included)."""
    return rectified_on <= deadline


def pick_titles(ids: Iterable[int], *, share: float | None, seed: int) -> list[int]:
    """The held titles a 回头看 re-checks: all, or a reproducible ⌈share × n⌉ of them."""
    pool = sorted(set(ids))
    if share is None:
        return pool
    check_share(share)
    return sorted(random.Random(seed).sample(pool, sample_size(len(pool), share)))


__all__ = ["ACTIONS", "CONCLUDED", "PASSED", "Draw", "RecheckState", "SamplingRule",
           "check_rate", "draw", "pick_titles", "population_digest", "procedure",
           "publicity_end", "recheck_move", "rectification_deadline", "rectified_in_time",
           "sample_size", "sampling_rule", "setting", "valid_until", "window_start_year"]
