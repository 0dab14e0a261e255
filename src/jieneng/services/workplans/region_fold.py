"""What every plan-indicator source shares (:mod:`.indicators`, :mod:`.coverage_values`):
the key of a computed figure, an item's parameters, and the region-tree folds that turn
per-region-code rows into the figures of the regions asked.
"""

from __future__ import annotations

from collections.abc import Iterable

from jieneng.core.regions import RegionTree

#: (indicator code, parameter text) — what is computed once for a set of regions
Key = tuple[str, str | None]
Values = dict[str, float | None]


def params(text: str | None) -> dict[str, str]:
    """``scheme=conservation_organ; category=01`` → a dict."""
    out: dict[str, str] = {}
    for part in (text or "").replace("；", ";").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def fold(rt: RegionTree, regions: Iterable[str], rows: Iterable[tuple[str, dict[str, float]]]
         ) -> dict[str, dict[str, float]]:
    """Sum per-region-code rows into each asked region holding them (its subtree)."""
    asked = set(regions)
    out: dict[str, dict[str, float]] = {r: {} for r in asked}
    for code, figures in rows:
        for holder in rt.lineage(code):
            if holder in asked:
                bucket = out[holder]
                for k, v in figures.items():
                    bucket[k] = bucket.get(k, 0.0) + v
    return out


def subtree_codes(rt: RegionTree, regions: Iterable[str]) -> list[str]:
    """Every region code inside the asked regions (their subtrees)."""
    out: set[str] = set()
    for r in regions:
        out.update(rt.subtree(r))
    return sorted(out)


def by_parent(rt: RegionTree, regions: Iterable[str]) -> dict[str, set[str]]:
    """The asked regions grouped by the region whose per-child answer holds them: its
    parent when that is asked too, else itself (its own answer's first row)."""
    asked = set(regions)
    out: dict[str, set[str]] = {}
    for r in asked:
        parent = rt.by_code[r].parent_code if r in rt else None
        anchor = parent if parent is not None and parent in asked else r
        out.setdefault(anchor, set()).add(r)
    return out


def rate(part: float | None, whole: float | None) -> float | None:
    """``part`` of ``whole`` in % (None without either)."""
    if part is None or not whole:
        return None
    return 100.0 * part / whole
