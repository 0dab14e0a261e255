"""The figures a ``computed`` or ``band`` item may name: the keys of the indicator
registry (:mod:`jieneng.core.indicator_registry`) and the named measures and flags of
``jieneng/data/campaigns/measures.csv`` (each with its formula and source).

Standard library only (a ``core`` module).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jieneng.core.indicator_registry import INDICATORS


@dataclass(frozen=True)
class Measure:
    """A figure a scheme item may be computed from."""

    code: str
    kind: str  # indicator | measure | flag
    name_zh: str
    name_en: str
    unit: str
    formula: str
    source: str


@cache
def named_measures() -> tuple[Measure, ...]:
    """The rows of ``data/campaigns/measures.csv``."""
    path = resources.files("jieneng") / "data" / "campaigns" / "measures.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return tuple(Measure(r["code"], r["kind"], r["name_zh"], r["name_en"], r["unit"],
                         r["formula"], r["source"]) for r in rows)


@cache
def measures() -> dict[str, Measure]:
    """Every figure by code: the registry's indicators, then the named measures."""
    out = {i.code: Measure(i.code, "indicator", i.name_zh, i.name_en, i.unit, "", "")
           for i in INDICATORS}
    out.update({m.code: m for m in named_measures()})
    return out


def flags() -> frozenset[str]:
    """The yes/no figures (``full_if`` names one of these)."""
    return frozenset(m.code for m in named_measures() if m.kind == "flag")
