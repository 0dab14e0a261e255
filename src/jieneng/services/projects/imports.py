"""Bulk registration of projects from a spreadsheet — all or nothing (issue 13 §5).

The file is parsed by :func:`jieneng.ingest.projects.parse_projects` (every value the
domain checks alone); here the rows meet the registry: each owner exists and lies in
the caller's scope, each code is new, the region given holds the owners. Any error:
:class:`ImportRejected` with every issue (file, row, column, problem in zh/en), nothing
stored. A dry run checks the same and stores nothing. Writes are set-based
(:func:`jieneng.services.projects.registry.insert_specs`: one statement per table).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, DomainError, NotFound
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.ingest.issues import ImportIssue, rejection
from jieneng.ingest.projects import ProjectRows, parse_projects
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters, visible_institutions
from jieneng.storage import projects as store
from jieneng.storage import regions

from .registry import insert_specs, project_region


@dataclass(frozen=True)
class ProjectImport:
    """What an import stored (or, dry run, would store)."""

    file: str
    rows: int
    projects: int
    codes: tuple[str, ...]
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "rows": self.rows, "projects": self.projects,
                "codes": list(self.codes), "dry_run": self.dry_run}


def import_projects(engine: Engine, user: User, path: Path, *, dry_run: bool = False,
                    max_bytes: int | None = None) -> ProjectImport:
    """Register the file's projects, or raise ImportRejected with every issue."""
    require(user, Capability.MANAGE_PROJECTS)
    parsed = parse_projects(path) if max_bytes is None else parse_projects(
        path, max_bytes=max_bytes)
    if parsed.errors:
        raise rejection(parsed.file, parsed.errors)
    if dry_run:
        with engine.connect() as conn:
            _check(conn, user, parsed)
    else:
        with engine.begin() as conn:
            _check(conn, user, parsed)
            specs = [parsed.rows[r] for r in sorted(parsed.rows)]
            insert_specs(conn, user, specs)
            audit.record(conn, user.actor, "projects.import", "project_import", parsed.file,
                         after={"projects": [s.code for s in specs]})
    codes = tuple(parsed.rows[r].code for r in sorted(parsed.rows))
    return ProjectImport(parsed.file, parsed.rows_read, len(codes), codes, dry_run)


def _check(conn: Connection, user: User, parsed: ProjectRows) -> None:
    """The rows against the registry; raises ImportRejected with every issue."""
    issues: list[ImportIssue] = []
    owners = visible_institutions(conn, user.scope,
                                  {o for s in parsed.rows.values() for o in s.owners})
    taken = store.existing_codes(conn, [s.code for s in parsed.rows.values()])
    tree = RegionTree(regions.load_regions(conn))
    for row, spec in sorted(parsed.rows.items()):  # hundreds of rows
        if spec.code in taken:
            issues.append(parsed.issue(row, "code", spec.code,
                                       Conflict.of("project_code_taken", code=spec.code)))
        missing = [o for o in spec.owners if o not in owners]
        for code in missing:
            issues.append(parsed.issue(row, "owners", code, NotFound.of(
                "project_owner_not_found", credit_code=code)))
        if missing:
            continue
        try:
            region = project_region(tree, spec.region_code,
                                    [owners[o].region_code for o in spec.owners])
            if spec.region_code is not None:
                scoped_filters(conn, user.scope, region_code=region)
        except DomainError as err:
            issues.append(parsed.issue(row, "region_code", spec.region_code, err))
    if issues:
        raise rejection(parsed.file, issues)
