"""Coverage of a campaign per region (创建覆盖): 达标率, 创建率, 自评率, 抽查率, 复检合格率.

Every rate is a row of ``data/campaigns/coverage.csv`` — ``numerator`` ÷ ``denominator``,
both names of the counts the service reads (:data:`COUNTS`), with its source and status —
and the population that ought to take part (应创建单位) is ``coverage_population.csv``:
the institution categories per scheme (a scheme not listed: every category).

Counts (per region subtree, for a scheme and a year):

- ``eligible`` — active institutions of the scheme's categories;
- ``members`` — eligible institutions that are members of a round of the scheme opened
  for that year; ``self_assessed``, ``spot_checked``, ``recommended`` — those of them
  whose self-assessment was submitted, that a spot check drew, that a review recommended;
- ``awarded`` — titles of the scheme awarded in the year; ``titles_held`` — institutions
  holding a valid title at the end of the year (not revoked, not expired);
- ``taking_part`` — institutions that are members or hold a title;
- ``rechecked`` / ``recheck_passed`` — 回头看 concluded in the year / passed (or rectified).

Two optional narrowings (a work plan's ``category=`` / ``level=``): an institution
category (a group ``01`` / ``02`` / ``03`` or a leaf, :mod:`jieneng.core.categories`)
narrows every count to the institutions of that category inside the scheme's population;
a title level (:data:`TITLE_LEVELS`, ``campaign_title.level``) narrows the counts made of
titles (:data:`LEVELLED`: titles awarded and held, the 回头看 of such titles) — the round
counts have no level, so only the figures of :func:`takes_level` take one.

Standard library only (a ``core`` module).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

COUNTS: tuple[str, ...] = (
    "eligible", "members", "self_assessed", "spot_checked", "recommended", "awarded",
    "titles_held", "taking_part", "rechecked", "recheck_passed")

#: the levels a title is awarded at (``campaign_title.level``; by the round's region:
#: province → provincial, city, county; national for a title of the state)
TITLE_LEVELS: tuple[str, ...] = ("national", "provincial", "city", "county")
#: the counts a title level narrows: titles awarded and held, the 回头看 of titles
LEVELLED: tuple[str, ...] = ("awarded", "titles_held", "rechecked", "recheck_passed")


@dataclass(frozen=True, slots=True)
class Rate:
    """One coverage rate: numerator ÷ denominator (names of :data:`COUNTS`)."""

    code: str
    numerator: str
    denominator: str
    name_zh: str
    name_en: str
    source: str
    status: str
    note: str


def _read(name: str) -> list[dict[str, str]]:
    path = resources.files("jieneng") / "data" / "campaigns" / name
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@cache
def rates() -> tuple[Rate, ...]:
    """The rates of ``coverage.csv``, in file order."""
    out = tuple(Rate(r["code"], r["numerator"], r["denominator"], r["name_zh"],
                     r["name_en"], r["source"], r["status"], r["note"])
                for r in _read("coverage.csv"))
    unknown = {n for r in out for n in (r.numerator, r.denominator) if n not in COUNTS}
    if unknown:  # a data error the tests catch; never a user's input
        raise ValueError(f"coverage.csv names unknown counts: {sorted(unknown)}")
    return out


@dataclass(frozen=True, slots=True)
class Population:
    scheme: str
    categories: tuple[str, ...]
    name_zh: str
    name_en: str
    source: str
    status: str


@cache
def populations() -> dict[str, Population]:
    return {r["scheme"]: Population(r["scheme"], tuple(c for c in r["categories"].split(";")
                                                       if c), r["name_zh"], r["name_en"],
                                    r["source"], r["status"])
            for r in _read("coverage_population.csv")}


def population_of(scheme_code: str) -> Population | None:
    """The eligible categories of a scheme (None: every active institution)."""
    return populations().get(scheme_code)


def rate_values(counts: Mapping[str, int]) -> dict[str, float | None]:
    """Every rate of ``coverage.csv`` from one region's counts (None: denominator 0)."""
    out: dict[str, float | None] = {}
    for r in rates():
        den = counts.get(r.denominator, 0)
        out[r.code] = None if not den else counts.get(r.numerator, 0) / den
    return out


def figure_counts(figure: str) -> tuple[str, ...]:
    """The counts a figure is made of: a rate's numerator and denominator, a count
    itself (``()`` for a name that is neither)."""
    for r in rates():
        if r.code == figure:
            return (r.numerator, r.denominator)
    return (figure,) if figure in COUNTS else ()


def takes_level(figure: str) -> bool:
    """Whether a title level narrows the figure (a rate or a count) as a whole: every
    count it is made of is one of :data:`LEVELLED` or the denominator ``eligible``
    (达标率 = titles held of the level ÷ eligible; 称号单位数; 复检合格率), not a round's
    count (自评率, 抽查率, 创建率: a round has no level)."""
    made_of = figure_counts(figure)
    return bool(made_of) and any(n in LEVELLED for n in made_of) and all(
        n in LEVELLED or n == "eligible" for n in made_of)


__all__ = ["COUNTS", "LEVELLED", "TITLE_LEVELS", "Population", "Rate", "figure_counts",
           "population_of", "populations", "rate_values", "rates", "takes_level"]
