"""Importing regions, institutions, profiles and consumption from files.

Every import validates the whole file first and is all-or-nothing: a file with
any error-level issue raises :class:`ImportRejected` (carrying every issue) and
stores nothing; a clean file is stored in one transaction together with the
original bytes and their SHA-256 (``import_batch``), to which every stored row
links. ``dry_run`` validates only.

:func:`import_for_scope` is the upload of the web page: the same import, limited
to the caller's scope (rows outside it refuse the file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotPermitted, ValidationFailed
from jieneng.core.messages import text as message
from jieneng.core.quality.model import IMPORT_CHECK_LIMIT
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters, Scope, ScopeKind
from jieneng.ingest import (
    Parsed,
    parse_consumption,
    parse_institutions,
    parse_profiles,
    parse_regions,
)
from jieneng.ingest.issue_table import issues_frame, recoded, rejection
from jieneng.ingest.issues import ImportIssue
from jieneng.ingest.reader import size_text
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters
from jieneng.services.workflow import locks
from jieneng.storage import batches, consumption, institutions, regions
from jieneng.storage import directory as queries


class ImportKind(StrEnum):
    REGIONS = "regions"
    INSTITUTIONS = "institutions"
    PROFILES = "profiles"
    CONSUMPTION = "consumption"


@dataclass
class ImportReport:
    """What an import did (or would do, with ``dry_run``)."""

    kind: str
    file: str
    format: str
    rows_read: int
    records: int
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[ImportIssue] = field(default_factory=list)
    batch_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["warnings"] = [w.to_dict() for w in self.warnings]
        return data


Progress = Callable[[str], None]


def no_progress(_stage: str) -> None:
    return None


def import_file(
    engine: Engine,
    kind: ImportKind | str,
    path: Path,
    *,
    dry_run: bool = False,
    max_bytes: int = 50 * 1024 * 1024,
    source: str = "file",
    progress: Progress = no_progress,
    actor: Actor | None = None,
) -> ImportReport:
    """Validate ``path`` as ``kind`` and, unless ``dry_run``, store it atomically.

    A stored import is written to the audit log in the same transaction (``actor``,
    default the command line): file, SHA-256 batch and counts.

    Raises :class:`ImportRejected` with every issue when the file has errors.
    """
    kind = ImportKind(kind)
    _check_size(path, max_bytes)
    progress("validate")
    # Read and check the file outside the write transaction (on SQLite it holds the
    # database's write lock from its start), against the directory as it is now;
    # the write checks again only if the directory changed meanwhile.
    with engine.connect() as conn:
        basis = _basis(conn, kind)
    parsed = _checked(basis, kind, path, max_bytes)
    if dry_run:
        with engine.connect() as conn:
            _check_unlocked(conn, kind, parsed)
        return _report(kind, path, parsed, dry_run=True)
    with engine.begin() as conn:
        current = _basis(conn, kind)
        if not current.same_as(basis):
            parsed = _checked(current, kind, path, max_bytes)
        _check_unlocked(conn, kind, parsed)
        report = _report(kind, path, parsed, dry_run=False)
        progress("store")
        report.batch_id = batches.store_batch(
            conn, kind=kind.value, file_name=path.name, content=path.read_bytes(),
            rows=parsed.rows_read,
        )
        report.counts = _store(conn, kind, parsed, report.batch_id, source)
        if kind is ImportKind.CONSUMPTION and parsed.frame.height:
            locks.note_saved(conn, actor)
        audit.record(
            conn, actor or Actor.cli(), f"import.{kind.value}", "import_batch",
            report.batch_id, after={"file": path.name, "rows": parsed.rows_read,
                                    "records": parsed.frame.height, **report.counts},
        )
    return report


@dataclass(frozen=True)
class _Basis:
    """What a file is checked against: the known region codes (regions and
    institutions files) and the directory (every kind but regions)."""

    regions: frozenset[str] | None
    lookup: pl.DataFrame | None

    def same_as(self, other: _Basis) -> bool:
        if self.regions != other.regions:
            return False
        if self.lookup is None or other.lookup is None:
            return self.lookup is other.lookup
        return self.lookup.equals(other.lookup)


def _basis(conn: Connection, kind: ImportKind) -> _Basis:
    known = (frozenset(r.code for r in regions.load_regions(conn))
             if kind in (ImportKind.REGIONS, ImportKind.INSTITUTIONS) else None)
    lookup = None if kind is ImportKind.REGIONS else institutions.institution_lookup(conn)
    return _Basis(known, lookup)


def _checked(basis: _Basis, kind: ImportKind, path: Path, max_bytes: int) -> Parsed:
    """The parsed file; :class:`ImportRejected` with every issue if it has errors."""
    parsed = _parse(basis, kind, path, max_bytes)
    if parsed.errors:
        raise rejection(path.name, parsed.all_issues())
    return parsed


def _check_unlocked(conn: Connection, kind: ImportKind, parsed: Parsed) -> None:
    if kind is ImportKind.CONSUMPTION and parsed.frame.height:
        # figures of a submitted or approved report are locked: one query joins
        # the file's institution-months with the reporting tasks
        locks.check_unlocked(conn, parsed.frame.select("institution_id", "year", "month"))


def _report(kind: ImportKind, path: Path, parsed: Parsed, *, dry_run: bool) -> ImportReport:
    return ImportReport(
        kind=kind.value,
        file=path.name,
        format=parsed.format,
        rows_read=parsed.rows_read,
        records=parsed.frame.height,
        dry_run=dry_run,
        warnings=list(parsed.warnings),
    )


def _check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise ValidationFailed.of(
            "imports.file_too_large", name=path.name, size=size, max_bytes=max_bytes,
            values={"size_text": size_text(size), "max_text": size_text(max_bytes)},
        )


def _parse(basis: _Basis, kind: ImportKind, path: Path, max_bytes: int) -> Parsed:
    if kind is ImportKind.REGIONS:
        assert basis.regions is not None
        return parse_regions(path, known_regions=set(basis.regions), max_bytes=max_bytes)
    lookup = basis.lookup
    assert lookup is not None
    if kind is ImportKind.INSTITUTIONS:
        assert basis.regions is not None
        return parse_institutions(path, known_regions=set(basis.regions), existing=lookup,
                                  max_bytes=max_bytes)
    if kind is ImportKind.PROFILES:
        return parse_profiles(path, institutions=lookup, max_bytes=max_bytes)
    return parse_consumption(path, institutions=lookup, max_bytes=max_bytes)


def _store(
    conn: Connection, kind: ImportKind, parsed: Parsed, batch_id: int, source: str
) -> dict[str, int]:
    if kind is ImportKind.REGIONS:
        return asdict(regions.upsert_regions(conn, parsed.frame))
    if kind is ImportKind.INSTITUTIONS:
        return asdict(institutions.upsert_institutions(conn, parsed.frame, import_id=batch_id))
    if kind is ImportKind.PROFILES:
        return asdict(institutions.upsert_profiles(conn, parsed.frame, import_id=batch_id))
    counts = consumption.write_consumption(conn, parsed.frame, source=source, import_id=batch_id)
    if parsed.frame["institution_id"].n_unique() <= IMPORT_CHECK_LIMIT:
        # deferred: the rule engine (numpy, the rule tables) costs a quarter of a second
        # to import, and a bulk load leaves its check to the region's run anyway
        from jieneng.services.quality import quality

        quality.check_written(conn, parsed.frame)  # data-quality findings of what was written
    return asdict(counts)


# ---------------------------------------------------------------- the web upload, in a scope


def import_for_scope(
    engine: Engine,
    scope: Scope,
    kind: ImportKind | str,
    path: Path,
    dry_run: bool = False,
    *,
    max_bytes: int = 50 * 1024 * 1024,
    actor: Actor | None = None,
) -> ImportReport:
    """The spreadsheet import of the web page, limited to the caller's scope.

    A file any of whose rows touches an institution (or, for the directory, a
    region) outside the scope is refused with :class:`ImportRejected`, each such
    row an issue with code ``import.out_of_scope`` (row, column, value), together
    with the file's other errors; nothing is stored. Otherwise the file goes to
    :func:`import_file`. Region files need the whole
    country's scope; directory files a region scope or more.
    """
    kind = ImportKind(kind)
    if scope.kind is ScopeKind.PUBLIC:
        raise NotPermitted.of("imports.public_access")
    if scope.kind is not ScopeKind.ALL:
        if kind is ImportKind.REGIONS:
            raise NotPermitted.of("imports.regions_need_admin")
        if kind is ImportKind.INSTITUTIONS and scope.kind is not ScopeKind.REGION:
            raise NotPermitted.of("imports.directory_needs_office")
        with engine.connect() as conn:
            filters = scoped_filters(conn, scope)
            issues = _scope_issues(conn, scope, filters, kind, path, max_bytes)
        if issues.filter(pl.col("severity") == "error").height:
            raise rejection(path.name, issues)
    return import_file(engine, kind, path, dry_run=dry_run, max_bytes=max_bytes, actor=actor)


def _scope_issues(
    conn: Connection, scope: Scope, filters: Filters, kind: ImportKind, path: Path,
    max_bytes: int,
) -> pl.DataFrame:
    """Parse the file as the caller sees the directory; outside rows become errors
    (every issue, as a frame: :mod:`jieneng.ingest.issue_table`)."""
    lookup = institutions.institution_lookup(conn)
    visible = queries.visible_institution_ids(conn, filters)
    everyone = lookup["credit_code"].implode()
    mine = lookup.filter(pl.col("institution_id").is_in(sorted(visible)))
    if kind is ImportKind.INSTITUTIONS:
        tree = RegionTree(regions.load_regions(conn))
        allowed = set(tree.subtree(scope.region_code)) if scope.region_code else set(tree.by_code)
        parsed = parse_institutions(path, known_regions=allowed, existing=lookup,
                                    max_bytes=max_bytes)
        table = recoded(
            parsed.all_issues(),
            (pl.col("code") == "import.unknown_region")
            & pl.col("value").is_in(pl.Series(sorted(tree.by_code), dtype=pl.String).implode()),
            "import.out_of_scope", "import.out_of_scope.region")
        hidden = set(lookup["credit_code"].to_list()) - set(mine["credit_code"].to_list())
        changed = parsed.frame.filter(pl.col("credit_code").is_in(sorted(hidden)))
        out = [ImportIssue(
            file=path.name, sheet=None, row=None, column="统一社会信用代码", value=code,
            code="import.out_of_scope", severity="error",
            message_zh=message("zh-CN", "import.out_of_scope.change", value=code),
            message_en=message("en", "import.out_of_scope.change", value=code))
            for code in changed["credit_code"].to_list()]
        return pl.concat([table, issues_frame(out)], how="vertical")
    parse = parse_profiles if kind is ImportKind.PROFILES else parse_consumption
    parsed = parse(path, institutions=mine, max_bytes=max_bytes)
    return recoded(
        parsed.all_issues(),
        (pl.col("code") == "import.unknown_institution") & pl.col("value").is_in(everyone),
        "import.out_of_scope", "import.out_of_scope.institution")
