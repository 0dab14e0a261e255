"""The administrative tree (GB/T 2260) as a pure value: subtree and child look-ups.

A region's subtree is found through parent links, not code prefixes, because
directly administered counties (省直辖县级行政单位, e.g. 469001) sit under their
province without a city.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: int
    parent_code: str | None


class RegionTree:
    """Regions indexed by code and by parent."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self.by_code: dict[str, Region] = {r.code: r for r in regions}
        self.children: dict[str, list[str]] = {}
        for region in self.by_code.values():
            if region.parent_code:
                self.children.setdefault(region.parent_code, []).append(region.code)
        for kids in self.children.values():
            kids.sort()

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def name(self, code: str) -> str:
        return self.by_code[code].name

    def group_name(self, parent: str, code: str) -> str:
        """Name of a group under ``parent``: the parent itself is its 本级 (own level)."""
        return f"{self.name(code)}（本级）" if code == parent else self.name(code)

    def subtree(self, code: str) -> list[str]:
        """``code`` and every region below it."""
        out, stack = [], [code]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self.children.get(current, ()))
        return sorted(out)

    def lineage(self, code: str) -> list[str]:
        """``code`` and every region above it, nearest first (empty for an unknown
        code; a cycle in the parent links stops the walk)."""
        out: list[str] = []
        current: str | None = code
        while current is not None and current in self.by_code and current not in out:
            out.append(current)
            current = self.by_code[current].parent_code
        return out

    def child_under(self, code: str) -> dict[str, str]:
        """Map every region of the subtree to the direct child of ``code`` holding it.

        Institutions registered at ``code`` itself (e.g. city-level organs at
        450300) map to ``code``: they form their own group (本级).
        """
        mapping = {code: code}
        for child in self.children.get(code, ()):
            for member in self.subtree(child):
                mapping[member] = child
        return mapping
