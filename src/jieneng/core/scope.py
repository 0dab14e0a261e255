"""What a caller may see: one node of one of the two hierarchies.

Every account is pinned to one node — the whole country (administrators), a
region (管理机构: its subtree), a competent department (主管机构: itself and its
subordinate units) or one institution (公共机构) — and sees exactly that. A
:class:`Scope` is a value; the storage layer turns it into one SQL condition
(:func:`jieneng.services.scope.scoped_filters`), the only place scope is enforced.

That function answers a :class:`Filters`: the caller's scope intersected with
what a request asks for. Storage reads that are scoped take the whole
:class:`Filters` as one argument (never its parts one by one), so a query cannot
keep the region part and drop the department or institution part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ScopeKind(StrEnum):
    ALL = "all"
    REGION = "region"
    DEPARTMENT = "department"
    INSTITUTION = "institution"
    PUBLIC = "public"  # published figures only (大屏, public website)


@dataclass(frozen=True, slots=True)
class Scope:
    """A node of the administrative or departmental tree."""

    kind: ScopeKind
    region_code: str | None = None
    department_id: int | None = None
    institution_id: int | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(ScopeKind.ALL)

    @classmethod
    def region(cls, code: str) -> Scope:
        return cls(ScopeKind.REGION, region_code=code)

    @classmethod
    def department(cls, institution_id: int) -> Scope:
        return cls(ScopeKind.DEPARTMENT, department_id=institution_id)

    @classmethod
    def institution(cls, institution_id: int) -> Scope:
        return cls(ScopeKind.INSTITUTION, institution_id=institution_id)


@dataclass(frozen=True)
class Filters:
    """A scope as query arguments: all three parts hold together; None means no
    restriction on that part. Made by :func:`jieneng.services.scope.scoped_filters`."""

    region_codes: list[str] | None = None
    department_id: int | None = None
    institution_ids: list[int] | None = None

    @property
    def below_region(self) -> bool:
        """True when the scope is narrower than regions (a department or institutions):
        rows that belong to a region but to no institution are then outside it."""
        return self.department_id is not None or self.institution_ids is not None

    def narrowed(self, institution_ids: Sequence[int]) -> Filters:
        """These filters restricted further to ``institution_ids`` (of those, the ones
        already inside: an institution scope keeps only its own)."""
        ids = sorted(set(institution_ids))
        if self.institution_ids is not None:
            ids = sorted(set(ids) & set(self.institution_ids))
        return Filters(self.region_codes, self.department_id, ids)
